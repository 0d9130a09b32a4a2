//! `slsr build [FUNCTION...]`: the functions' builds alone, without packaging or an
//! account, each said built or unchanged (its inputs' key as the last build left it).

use std::io::Write;
use std::path::Path;
use std::process::ExitCode;

use crate::cli::SpecArgs;
use crate::cli::commands::{fail, load_project};
use crate::package::Packager;
use crate::render::escape::printable;

pub fn run(
    args: &SpecArgs,
    functions: &[String],
    build_dir: Option<&Path>,
    force: bool,
) -> ExitCode {
    let project = match load_project(args) {
        Ok(p) => p,
        Err(code) => return code,
    };
    for name in functions {
        match project.functions.get(name) {
            None => {
                return fail(&format!("no function `{}` in the spec", printable(name)));
            }
            Some(f) if f.build.is_none() => {
                return fail(&format!("function `{}` has no `build:`", printable(name)));
            }
            Some(_) => {}
        }
    }
    let mut packager = Packager::new(&project, build_dir, force);
    let built = match packager.build(&project, functions) {
        Ok(built) => built,
        Err(e) => return fail(&e.to_string()),
    };
    let mut names: Vec<&String> = built.keys().collect();
    names.sort();
    let mut out = std::io::stdout().lock();
    if names.is_empty() {
        let _ = writeln!(out, "No function has a `build:`.");
    }
    for name in names {
        let b = &built[name];
        let how = if b.rebuilt { "built" } else { "unchanged" };
        let _ = writeln!(
            out,
            "{}: {how}  {}",
            printable(name),
            printable(&b.dir.display().to_string())
        );
    }
    ExitCode::SUCCESS
}
