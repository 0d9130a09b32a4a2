//! Whether each function's code can run: its `code` exists, and the file its handler names
//! is in the package (E211, E212).
//!
//! Without these checks a missing directory passes validation and fails `plan` with no
//! line, and an empty directory, or one without the handler's file, deploys a function
//! that fails on every call. What is "in the package" follows the packaging rules
//! (`package::contents`: `exclude`, `.git` and `.slsr`, links), and a ready-made `.zip`
//! is read from its own directory. Which file a handler names is the runtime's rule:
//!
//! - Python, `a.b.fn`: the module `a/b.py`, or the package `a/b/__init__.py` (Lambda's
//!   loader also takes `/` for `.`);
//! - Node.js, `dir/file.fn`: `dir/file.js`, `.mjs` or `.cjs`;
//! - `provided.*`: an executable `bootstrap` at the root, whatever the handler says.
//!
//! Other runtimes (Java, .NET, Ruby) load classes and files by rules of their own, and a
//! function with `layers` may take its handler or `bootstrap` from a layer: neither is
//! checked. Image functions have no package.

use super::code_roots;
use super::load::Project;
use super::model::Function;
use crate::package::contents::{Contents, Presence, Unreadable};
use crate::spec::diag::{Code, Diagnostic};

/// Root entries a message lists, at most.
const LISTED: usize = 6;

/// The file a handler needs, by runtime.
enum Wanted {
    /// Any one of these paths in the package, and what loads it (for the help line).
    Files {
        any_of: Vec<String>,
        loader: &'static str,
        function: String,
    },
    /// An executable `bootstrap` at the root.
    Bootstrap,
    /// A handler that names no file: the form it must have, and how the runtime reads it.
    Malformed(&'static str, &'static str),
    /// A runtime whose handlers are not checked.
    Unchecked,
}

pub fn check(p: &Project, diags: &mut Vec<Diagnostic>) {
    let roots = code_roots::roots(p);
    let spec_dir = code_roots::spec_dir(p);
    for (name, f) in &p.functions {
        let (Some(code), None) = (&f.code, &f.image) else {
            continue;
        };
        // Code outside the project is E210 already, and is never looked into.
        let resolved = code_roots::resolve(&spec_dir.join(code));
        if !roots.iter().any(|root| resolved.starts_with(root)) {
            continue;
        }
        let path = p.base_dir.join(code);
        let excludes = f.exclude.clone().unwrap_or_default();
        // A built function's handler appears only in the build's output, which is checked
        // after the build (`missing_after_build`); here, only that the build has a directory
        // to start from.
        if f.build.is_some() {
            if !path.exists() {
                diags.push(unreadable(
                    p,
                    name,
                    code,
                    &path,
                    &excludes,
                    Unreadable::Missing,
                ));
            }
            continue;
        }
        let contents = match Contents::open(&path, &excludes) {
            Ok(contents) => contents,
            Err(why) => {
                diags.push(unreadable(p, name, code, &path, &excludes, why));
                continue;
            }
        };
        if let Some(d) = handler_file(p, name, f, code, &contents) {
            diags.push(d);
        }
    }
}

/// The diagnostic for a `code` that cannot be looked into.
fn unreadable(
    p: &Project,
    name: &str,
    code: &str,
    path: &std::path::Path,
    excludes: &[String],
    why: Unreadable,
) -> Diagnostic {
    let at = p.field_span(name, "code");
    let shown: std::path::PathBuf = path.components().collect();
    match why {
        Unreadable::Missing => Diagnostic::error(
            Code::MissingCode,
            at,
            format!("`code: {code}` does not exist"),
        )
        .with_label("no such directory or file")
        .with_help(format!(
            "`code` is a directory (slsr zips it) or a .zip file, relative to the spec file: create {}, or build it first if a build makes it",
            shown.display()
        )),
        Unreadable::NotZip(reason) => Diagnostic::error(
            Code::MissingCode,
            at,
            format!("`code: {code}` is a file but not a zip archive ({reason})"),
        )
        .with_label("not a zip")
        .with_help("`code` is a directory (slsr zips it) or a ready-made .zip file"),
        Unreadable::Special => Diagnostic::error(
            Code::MissingCode,
            at,
            format!("`code: {code}` is neither a directory nor a file"),
        )
        .with_label("not a directory")
        .with_help("`code` is a directory (slsr zips it) or a ready-made .zip file"),
        Unreadable::BadExclude => {
            let bad = excludes
                .iter()
                .find_map(|pattern| {
                    crate::package::contents::glob_error(pattern).map(|e| (pattern, e))
                })
                .map(|(pattern, e)| format!("`{pattern}`: {e}"))
                .unwrap_or_default();
            Diagnostic::error(
                Code::InvalidValue,
                p.field_span(name, "exclude"),
                format!("an `exclude` pattern is not a glob: {bad}"),
            )
            .with_label("invalid pattern")
            .with_help("patterns are globs such as `*.pyc`, `tests` or `**/__pycache__`")
        }
    }
}

/// The files, any one of which `handler` needs under `runtime`, most likely first (none for
/// a runtime whose handlers are not checked).
pub fn handler_files(runtime: &str, handler: &str) -> Vec<String> {
    match wanted(runtime, handler) {
        Wanted::Files { any_of, .. } => any_of,
        Wanted::Bootstrap => vec!["bootstrap".into()],
        Wanted::Malformed(..) | Wanted::Unchecked => Vec::new(),
    }
}

/// After a build: why its output `dir` cannot run the handler, if it cannot (the same rule
/// as `check`'s, worded for a build's output rather than a spec line).
pub fn missing_after_build(
    runtime: &str,
    handler: Option<&str>,
    dir: &std::path::Path,
    excludes: &[String],
) -> Option<String> {
    let handler = handler?;
    let contents = Contents::open(dir, excludes).ok()?;
    match wanted(runtime, handler) {
        Wanted::Unchecked | Wanted::Malformed(..) => None,
        Wanted::Bootstrap => match contents.find("bootstrap") {
            Presence::Packed { .. } => None,
            _ => Some(format!(
                "its output has no `bootstrap`, which runtime `{runtime}` runs; {}",
                holds("the output", &contents)
            )),
        },
        Wanted::Files { any_of, .. } => {
            if any_of
                .iter()
                .any(|file| matches!(contents.find(file), Presence::Packed { .. }))
            {
                return None;
            }
            Some(format!(
                "its output has none of {}, which `handler: {handler}` needs; {}",
                or_list(&any_of),
                holds("the output", &contents)
            ))
        }
    }
}

/// The diagnostic for a handler whose file the package does not hold, if it does not.
fn handler_file(
    p: &Project,
    name: &str,
    f: &Function,
    code: &str,
    contents: &Contents,
) -> Option<Diagnostic> {
    if f.layers.as_ref().is_some_and(|l| !l.is_empty()) {
        return None;
    }
    let (runtime, handler) = (f.runtime.as_deref()?, f.handler.as_deref()?);
    let at = p.field_span(name, "handler");
    match wanted(runtime, handler) {
        Wanted::Unchecked => None,
        Wanted::Malformed(form, reading) => Some(
            Diagnostic::error(
                Code::InvalidValue,
                at,
                format!("`handler: {handler}` is not in the form {form}"),
            )
            .with_label("names no file")
            .with_help(format!("for {runtime}, {reading}")),
        ),
        Wanted::Bootstrap => match contents.find("bootstrap") {
            Presence::Packed { executable: true } => None,
            Presence::Packed { executable: false } => Some(
                Diagnostic::error(
                    Code::HandlerFile,
                    p.field_span(name, "code"),
                    format!("`bootstrap` in `code: {code}` is not executable"),
                )
                .with_label("bootstrap not executable")
                .with_help("Lambda runs `bootstrap`: `chmod +x bootstrap` before zipping, or give `code` the directory and let slsr zip it"),
            ),
            Presence::Excluded(pattern) => Some(excluded(at, "bootstrap", &pattern)),
            Presence::Absent => Some(
                Diagnostic::error(
                    Code::HandlerFile,
                    at,
                    format!("runtime `{runtime}` runs `bootstrap` at the root of the package, and `code: {code}` has none"),
                )
                .with_label("no bootstrap in the package")
                .with_help(format!(
                    "build the executable as `bootstrap` at the root of `{code}` (for Rust, `cargo lambda build --release` makes target/lambda/NAME/bootstrap); {}",
                    holds(&format!("`{code}`"), contents)
                )),
            ),
        },
        Wanted::Files {
            any_of,
            loader,
            function,
        } => {
            let mut left_out = None;
            for file in &any_of {
                match contents.find(file) {
                    Presence::Packed { .. } => return None,
                    Presence::Excluded(pattern) => {
                        left_out.get_or_insert((file.clone(), pattern));
                    }
                    Presence::Absent => {}
                }
            }
            if let Some((file, pattern)) = left_out {
                return Some(excluded(at, &file, &pattern));
            }
            let files = or_list(&any_of);
            Some(
                Diagnostic::error(
                    Code::HandlerFile,
                    at,
                    format!("`handler: {handler}` needs {files} in `code: {code}`, which has none of them"),
                )
                .with_label(format!("no {} in the package", any_of[0]))
                .with_help(format!(
                    "{loader} loads `{function}` from {files}, relative to the root of `code`; {}",
                    holds(&format!("`{code}`"), contents)
                )),
            )
        }
    }
}

fn excluded(at: crate::spec::source::Span, file: &str, pattern: &str) -> Diagnostic {
    let why = if crate::package::ALWAYS_EXCLUDED.contains(&pattern) {
        format!("`{pattern}` is never packaged")
    } else {
        format!("the `exclude` pattern `{pattern}` leaves it out")
    };
    Diagnostic::error(
        Code::HandlerFile,
        at,
        format!("the handler's file `{file}` is not in the package: {why}"),
    )
    .with_label("left out of the package")
    .with_help("narrow or remove the pattern, so that the handler's file is packaged")
}

/// What the code holds at its root, for a help line; `code` is how to name it (quoted).
fn holds(code: &str, contents: &Contents) -> String {
    let (names, more) = contents.root_listing(LISTED);
    if names.is_empty() {
        return if contents.is_empty() {
            format!("{code} is empty")
        } else {
            format!("nothing at the root of {code} is packaged")
        };
    }
    let mut shown = names
        .iter()
        .map(|n| format!("`{n}`"))
        .collect::<Vec<_>>()
        .join(", ");
    if more {
        shown.push_str(", ...");
    }
    format!("{code} holds {shown}")
}

/// `a`, `a` or `b`, `a`, `b` or `c`, each in backquotes.
fn or_list(items: &[String]) -> String {
    let quoted: Vec<String> = items.iter().map(|i| format!("`{i}`")).collect();
    match quoted.as_slice() {
        [] => String::new(),
        [one] => one.clone(),
        [init @ .., last] => format!("{} or {last}", init.join(", ")),
    }
}

/// The file `handler` names under `runtime`.
fn wanted(runtime: &str, handler: &str) -> Wanted {
    if runtime.starts_with("provided") {
        return Wanted::Bootstrap;
    }
    if runtime.starts_with("python") {
        const FORM: &str = "MODULE.FUNCTION (for example app.handler)";
        const READING: &str = "the part before the last `.` names the module (app.py), the part after it the function";
        let Some((module, function)) = handler.rsplit_once('.') else {
            return Wanted::Malformed(FORM, READING);
        };
        // Lambda's Python loader reads `a/b.fn` as the module `a.b`.
        let parts: Vec<&str> = module.split(['.', '/']).collect();
        if function.is_empty() || parts.iter().any(|part| part.is_empty()) {
            return Wanted::Malformed(FORM, READING);
        }
        let base = parts.join("/");
        return Wanted::Files {
            any_of: vec![format!("{base}.py"), format!("{base}/__init__.py")],
            loader: "Python",
            function: function.to_string(),
        };
    }
    if runtime.starts_with("nodejs") {
        const FORM: &str = "FILE.FUNCTION (for example index.handler)";
        const READING: &str = "the part before the first `.` names the file (index.js, .mjs or .cjs), the rest the function it exports";
        // Node's loader takes the directory up to the last `/`, then the file up to the
        // first `.` after it; the rest names the function (it may be `a.b`).
        let (dir, last) = match handler.rsplit_once('/') {
            Some((dir, last)) => (Some(dir), last),
            None => (None, handler),
        };
        let Some((file, function)) = last.split_once('.') else {
            return Wanted::Malformed(FORM, READING);
        };
        if file.is_empty() || function.is_empty() {
            return Wanted::Malformed(FORM, READING);
        }
        let dir_parts: Vec<&str> = dir.map(|d| d.split('/').collect()).unwrap_or_default();
        if dir_parts
            .iter()
            .any(|part| part.is_empty() || *part == "..")
        {
            return Wanted::Malformed(FORM, READING);
        }
        let base = dir_parts
            .iter()
            .copied()
            .filter(|part| *part != ".")
            .chain([file])
            .collect::<Vec<_>>()
            .join("/");
        return Wanted::Files {
            any_of: ["js", "mjs", "cjs"]
                .iter()
                .map(|ext| format!("{base}.{ext}"))
                .collect(),
            loader: "Node.js",
            function: function.to_string(),
        };
    }
    Wanted::Unchecked
}

#[cfg(test)]
mod tests {
    use super::*;

    fn files(runtime: &str, handler: &str) -> Vec<String> {
        match wanted(runtime, handler) {
            Wanted::Files { any_of, .. } => any_of,
            Wanted::Bootstrap => vec!["bootstrap".into()],
            Wanted::Malformed(..) => vec!["malformed".into()],
            Wanted::Unchecked => vec![],
        }
    }

    #[test]
    fn each_runtime_names_the_files_its_loader_reads() {
        assert_eq!(
            files("python3.12", "app.handler"),
            ["app.py", "app/__init__.py"]
        );
        assert_eq!(files("python3.13", "a.b.fn"), ["a/b.py", "a/b/__init__.py"]);
        assert_eq!(files("python3.13", "a/b.fn"), ["a/b.py", "a/b/__init__.py"]);
        assert_eq!(
            files("nodejs22.x", "index.handler"),
            ["index.js", "index.mjs", "index.cjs"]
        );
        assert_eq!(
            files("nodejs22.x", "./lib/app.handlers.get"),
            ["lib/app.js", "lib/app.mjs", "lib/app.cjs"]
        );
        assert_eq!(files("provided.al2023", "anything"), ["bootstrap"]);
        assert_eq!(files("provided.al2", "bootstrap"), ["bootstrap"]);
        assert!(files("java21", "com.example.Handler::handleRequest").is_empty());
        for (runtime, handler) in [
            ("python3.12", "handler"),
            ("python3.12", "app."),
            ("python3.12", ".handler"),
            ("python3.12", "a..b.fn"),
            ("nodejs22.x", "index"),
            ("nodejs22.x", "lib/.handler"),
            ("nodejs22.x", "../index.handler"),
        ] {
            assert_eq!(files(runtime, handler), ["malformed"], "{handler}");
        }
    }
}
