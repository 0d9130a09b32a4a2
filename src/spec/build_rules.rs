//! Whether each function's `build:` can run (E213), checked before any build does: a build
//! that is bound to fail is reported at its line, with every other problem of the spec,
//! rather than after the builds before it have run.
//!
//! The handler of a built function is checked in the build's output, after the build
//! (`package::build`); here only what the build reads is: the file its builder starts from,
//! a runtime it builds for, an `output` inside the code directory.

use super::load::Project;
use super::model::{Build, Builder};
use crate::spec::diag::{Code, Diagnostic};

pub fn check(p: &Project, diags: &mut Vec<Diagnostic>) {
    for (name, f) in &p.functions {
        let bundles = f.bundle == Some(true);
        if bundles && f.build != Some(Build::Builtin(Builder::Node)) {
            diags.push(
                Diagnostic::error(
                    Code::BuildSetup,
                    p.field_span(name, "bundle"),
                    "`bundle: true` is for `build: node`",
                )
                .with_label("bundle without build: node")
                .with_help("add `build: node`, or remove `bundle`"),
            );
        }
        let Some(build) = &f.build else { continue };
        let at = p.field_span(name, "build");
        if f.image.is_some() {
            diags.push(
                Diagnostic::error(
                    Code::BuildSetup,
                    at,
                    "an image function has no code for `build` to build",
                )
                .with_label("build with image")
                .with_help("build the image yourself and give its URI, or use `code` with `build`"),
            );
            continue;
        }
        let Some(code) = &f.code else { continue };
        let dir = p.base_dir.join(code);
        if dir.is_file() {
            diags.push(
                Diagnostic::error(
                    Code::BuildSetup,
                    at,
                    format!("`code: {code}` is a ready-made zip, which `build` cannot build"),
                )
                .with_label("build of a zip")
                .with_help("give `code` the directory the build starts from"),
            );
            continue;
        }
        let runtime = f.runtime.as_deref().unwrap_or_default();
        match build {
            Build::Builtin(Builder::Python) => {
                if !runtime.starts_with("python") {
                    diags.push(wrong_runtime(at, "python", runtime, "a python3.* runtime"));
                } else if dir.is_dir()
                    && !dir.join("requirements.txt").is_file()
                    && !dir.join("pyproject.toml").is_file()
                {
                    diags.push(
                        Diagnostic::error(
                            Code::BuildSetup,
                            at,
                            format!("`build: python` installs `requirements.txt` (or pyproject.toml's dependencies), and `code: {code}` has neither"),
                        )
                        .with_label("no requirements.txt or pyproject.toml")
                        .with_help(format!(
                            "list the function's dependencies in {} (one per line, as pip reads them), or under [project] dependencies in pyproject.toml",
                            dir.join("requirements.txt").components().collect::<std::path::PathBuf>().display()
                        )),
                    );
                }
            }
            Build::Builtin(Builder::Node) => {
                if !runtime.starts_with("nodejs") {
                    diags.push(wrong_runtime(at, "node", runtime, "a nodejs* runtime"));
                } else if dir.is_dir() {
                    // A bundle reads the project's node_modules; it installs nothing.
                    let needed: &[&str] = if bundles {
                        &["package.json"]
                    } else {
                        &["package.json", "package-lock.json"]
                    };
                    let missing = needed
                        .iter()
                        .copied()
                        .find(|file| !dir.join(file).is_file());
                    if let Some(file) = missing {
                        diags.push(
                            Diagnostic::error(
                                Code::BuildSetup,
                                at,
                                format!("`build: node` runs `npm ci`, which needs `{file}`, and `code: {code}` has none"),
                            )
                            .with_label(format!("no {file}"))
                            .with_help(if file == "package.json" {
                                "list the function's dependencies in package.json (`npm init`), then `npm install` writes package-lock.json; commit both"
                            } else {
                                "`npm install` in the code directory writes package-lock.json from package.json; commit both"
                            }),
                        );
                    }
                }
            }
            Build::Builtin(Builder::Rust) => {
                if !runtime.starts_with("provided") {
                    diags.push(wrong_runtime(
                        at,
                        "rust",
                        runtime,
                        "provided.al2023 or provided.al2",
                    ));
                }
            }
            Build::Command(c) => {
                let output = std::path::Path::new(&c.output);
                let inside = !output.is_absolute()
                    && output.components().all(|part| {
                        matches!(
                            part,
                            std::path::Component::Normal(_) | std::path::Component::CurDir
                        )
                    })
                    && output
                        .components()
                        .any(|part| matches!(part, std::path::Component::Normal(_)));
                if !inside {
                    diags.push(
                        Diagnostic::error(
                            Code::BuildSetup,
                            p.field_span(name, "build.output"),
                            format!("`output: {}` is not a directory inside the code directory", c.output),
                        )
                        .with_label("outside the code directory")
                        .with_help("`output` is a relative path under `code`, such as `dist`, where the command leaves the package"),
                    );
                }
            }
        }
    }
}

fn wrong_runtime(
    at: crate::spec::source::Span,
    builder: &str,
    runtime: &str,
    wanted: &str,
) -> Diagnostic {
    Diagnostic::error(
        Code::BuildSetup,
        at,
        format!("`build: {builder}` builds for {wanted}, not for runtime `{runtime}`"),
    )
    .with_label("builder and runtime do not match")
    .with_help(format!(
        "use {wanted} with `build: {builder}`, or `build: {{command, output}}` for another runtime"
    ))
}
