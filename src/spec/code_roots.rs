//! Where a function's `code` may come from: inside the project, so that a spec cannot
//! package, and upload to Lambda, files from elsewhere on the machine (`/etc`, a home
//! directory) by a path, by `..` or through a symlink.
//!
//! The project is the spec's directory, the git repository that holds it (the nearest
//! directory at or above the spec's with a `.git`, which a worktree has as a file), and the
//! directories that `package.allow_outside` names. Every path is resolved first (made
//! absolute, `..` and symlinks followed), so `./link-to-etc` is caught as `/etc` is.

use std::path::{Component, Path, PathBuf};

use super::load::Project;
use crate::spec::diag::{Code, Diagnostic};

/// The directories `code` may resolve into, resolved themselves.
pub fn roots(p: &Project) -> Vec<PathBuf> {
    let spec_dir = resolve(&spec_dir(p));
    let mut roots = vec![spec_dir.clone()];
    if let Some(repository) = spec_dir
        .ancestors()
        .find(|dir| dir.join(".git").symlink_metadata().is_ok())
    {
        roots.push(repository.to_path_buf());
    }
    if let Some(package) = &p.package {
        for allowed in &package.allow_outside {
            roots.push(resolve(&spec_dir.join(allowed)));
        }
    }
    roots
}

/// The spec's directory as a path that can be joined and resolved (`""` is the current one).
pub(super) fn spec_dir(p: &Project) -> PathBuf {
    if p.base_dir.as_os_str().is_empty() {
        PathBuf::from(".")
    } else {
        p.base_dir.clone()
    }
}

/// `path` made absolute with `..` and symlinks resolved, component by component as the
/// kernel would: `link/..` is the parent of the link's target. A part that does not exist
/// holds no link, so it is kept by its names alone.
pub fn resolve(path: &Path) -> PathBuf {
    let absolute = std::path::absolute(path).unwrap_or_else(|_| path.to_path_buf());
    let mut out = PathBuf::new();
    for component in absolute.components() {
        match component {
            Component::Prefix(_) | Component::RootDir => out.push(component),
            Component::CurDir => {}
            Component::ParentDir => {
                out.pop();
            }
            Component::Normal(name) => {
                out.push(name);
                if let Ok(real) = out.canonicalize() {
                    out = real;
                }
            }
        }
    }
    out
}

/// A located error for each `code` (of a function, or of `defaults` where a function takes
/// it) that resolves outside the project.
pub fn check(p: &Project, diags: &mut Vec<Diagnostic>) {
    let roots = roots(p);
    let spec_dir = spec_dir(p);
    for (name, f) in &p.functions {
        let (Some(code), None) = (&f.code, &f.image) else {
            continue;
        };
        let resolved = resolve(&spec_dir.join(code));
        if roots.iter().any(|root| resolved.starts_with(root)) {
            continue;
        }
        // A `defaults.code` shared by several functions is reported once: same place, same words.
        diags.push(
            Diagnostic::error(
                Code::CodeOutside,
                p.field_span(name, "code"),
                format!(
                    "`code: {code}` resolves to {}, outside the project",
                    resolved.display()
                ),
            )
            .with_label("outside the project")
            .with_help(
                "code comes from the spec's directory or the git repository that holds it; to package a directory from elsewhere, name it (relative to the spec file) in `package: {allow_outside: [../shared-libs]}`",
            ),
        );
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[cfg(unix)]
    #[test]
    fn dot_dot_after_a_link_is_taken_from_its_target_and_missing_parts_by_name() {
        let dir = std::env::temp_dir().join(format!("slsr-code-roots-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(dir.join("a/b")).unwrap();
        std::os::unix::fs::symlink("a/b", dir.join("link")).unwrap();
        let real = dir.canonicalize().unwrap();
        assert_eq!(resolve(&dir.join("link/..")), real.join("a"));
        assert_eq!(resolve(&dir.join("link/./x/../y")), real.join("a/b/y"));
        assert_eq!(resolve(&dir.join("missing/x/../y")), real.join("missing/y"));
        assert_eq!(resolve(Path::new("/../..")), PathBuf::from("/"));
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
