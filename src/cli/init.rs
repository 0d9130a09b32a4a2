//! `slsr init`: a new service in the current or a given directory, ready to validate and
//! plan offline: a spec with one function behind one HTTP route and an output, its
//! handler, and the spec's JSON Schema beside it for editors.
//!
//! It never overwrites a file: when any file it would write exists, it writes nothing. The
//! schema is `slsr schema`'s text, written where the spec's `yaml-language-server` line
//! points, so editors complete and explain fields without a network.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use clap::Args;

use crate::cli::commands::fail;
use crate::render::escape::printable;

/// The file the spec's first line points editors at.
pub const SCHEMA_FILE: &str = "slsr.schema.json";

#[derive(Debug, Clone, Args)]
pub struct InitArgs {
    /// The directory of the new service (created if missing; default: the current one).
    #[arg(value_name = "DIR")]
    pub dir: Option<PathBuf>,
    /// The handler's language.
    #[arg(long, value_enum, default_value_t = Runtime::Python)]
    pub runtime: Runtime,
    /// The service name, the first part of every AWS name (default: from the directory's name).
    #[arg(long, value_name = "NAME")]
    pub service: Option<String>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Runtime {
    /// Python 3.13: src/app.py.
    Python,
    /// Node.js 22: src/index.mjs.
    Node,
    /// Rust on provided.al2023 (arm64): a Cargo project built into target/lambda/api/bootstrap.
    Rust,
}

/// `slsr init`.
pub fn run(args: &InitArgs) -> ExitCode {
    let dir = args.dir.clone().unwrap_or_else(|| PathBuf::from("."));
    let service = match &args.service {
        Some(name) if valid_service(name) => name.clone(),
        Some(name) => {
            return fail(&format!(
                "--service `{name}`: a service name is 1 to 40 lower-case letters, digits and dashes, starting with a letter"
            ));
        }
        None => service_from(&dir),
    };
    let files = scaffold(args.runtime, &service);
    if let Some(existing) = files
        .iter()
        .map(|(path, _)| dir.join(path))
        .find(|path| path.symlink_metadata().is_ok())
    {
        return fail(&format!(
            "{} exists; slsr init never overwrites a file: move it away, or init another directory",
            existing.display()
        ));
    }
    for (path, content) in &files {
        if let Err(e) = write_new(&dir.join(path), content) {
            return fail(&format!("{}: {e}", dir.join(path).display()));
        }
    }
    let mut out = anstream::stdout().lock();
    let _ = writeln!(
        out,
        "Created the service `{service}` in {}:",
        printable(&dir.display().to_string())
    );
    for (path, _) in &files {
        let _ = writeln!(out, "  {}", path.display());
    }
    let spec = if dir == Path::new(".") {
        String::new()
    } else {
        format!(
            " -f {}",
            printable(&dir.join("slsr.yaml").display().to_string())
        )
    };
    let _ = writeln!(out, "\nNext:");
    if args.runtime == Runtime::Rust {
        let _ = writeln!(
            out,
            "  cargo lambda build --release --arm64   # writes target/lambda/api/bootstrap (https://www.cargo-lambda.info)"
        );
    }
    let _ = writeln!(out, "  slsr validate{spec}");
    let _ = writeln!(out, "  slsr plan --offline{spec}   # no AWS account needed");
    let _ = writeln!(out, "  slsr apply{spec}            # with AWS credentials");
    ExitCode::SUCCESS
}

/// Creates `path` (and its directory), failing rather than replacing a file that appeared
/// since the check.
fn write_new(path: &Path, content: &str) -> std::io::Result<()> {
    if let Some(parent) = path.parent() {
        std::fs::create_dir_all(parent)?;
    }
    let mut file = std::fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .open(path)?;
    file.write_all(content.as_bytes())
}

/// The spec's rule for `service`: `^[a-z][a-z0-9-]*$`, at most 40 characters.
fn valid_service(name: &str) -> bool {
    name.len() <= 40
        && name.starts_with(|c: char| c.is_ascii_lowercase())
        && name
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-')
}

/// A service name from the directory's own name: `My App_2` -> `my-app-2`.
fn service_from(dir: &Path) -> String {
    let name = std::path::absolute(dir)
        .ok()
        .and_then(|p| p.file_name().map(|n| n.to_string_lossy().into_owned()))
        .unwrap_or_default();
    let mut service = String::new();
    for c in name.chars() {
        if c.is_ascii_alphanumeric() {
            service.push(c.to_ascii_lowercase());
        } else if !service.is_empty() && !service.ends_with('-') {
            service.push('-');
        }
    }
    let service = service
        .trim_start_matches(|c: char| c.is_ascii_digit() || c == '-')
        .chars()
        .take(40)
        .collect::<String>()
        .trim_end_matches('-')
        .to_string();
    if valid_service(&service) {
        service
    } else {
        "my-service".to_string()
    }
}

/// A spec line with its comment, the comments of a spec in one column.
fn commented(text: &str, comment: &str) -> String {
    format!("{text:<31} # {comment}\n")
}

/// The files of a new service, relative to its directory.
fn scaffold(runtime: Runtime, service: &str) -> Vec<(PathBuf, String)> {
    let c = commented;
    let (function, handler_files) = match runtime {
        Runtime::Python => (
            [
                c(
                    "    handler: app.handler",
                    "the function `handler` in src/app.py",
                ),
                "    runtime: python3.13\n".into(),
                c(
                    "    code: ./src",
                    "a directory, relative to this file: slsr zips it",
                ),
            ]
            .concat(),
            vec![("src/app.py", PYTHON.replace("{service}", service))],
        ),
        Runtime::Node => (
            [
                c(
                    "    handler: index.handler",
                    "the export `handler` of src/index.mjs",
                ),
                "    runtime: nodejs22.x\n".into(),
                c(
                    "    code: ./src",
                    "a directory, relative to this file: slsr zips it",
                ),
            ]
            .concat(),
            vec![("src/index.mjs", NODE.replace("{service}", service))],
        ),
        Runtime::Rust => (
            [
                "    # Build first: `cargo lambda build --release --arm64` writes Cargo.toml's\n",
                "    # binary `api` as target/lambda/api/bootstrap, the file Lambda runs.\n",
                "    handler: bootstrap\n",
                "    runtime: provided.al2023\n",
                "    architecture: arm64\n",
                "    code: ./target/lambda/api\n",
            ]
            .concat(),
            vec![
                ("Cargo.toml", CARGO_TOML.replace("{service}", service)),
                ("src/main.rs", RUST.replace("{service}", service)),
            ],
        ),
    };
    let spec = [
        format!("# yaml-language-server: $schema={SCHEMA_FILE}\n"),
        format!("# The spec of `{service}`. Editors read {SCHEMA_FILE} for completion and help;\n"),
        format!("# `slsr schema > {SCHEMA_FILE}` writes it again after an upgrade of slsr.\n"),
        c(
            &format!("service: {service}"),
            "every AWS name is {service}-{stage}-{name}",
        ),
        c("stage: dev", "`--stage prod` deploys a second copy"),
        c(
            "region: us-east-1",
            "unless --region, AWS_REGION or your AWS profile says otherwise",
        ),
        "\nfunctions:\n  api:\n".into(),
        function,
        "    memory: 256\n    timeout: 10\n    events:\n".into(),
        c(
            "      - http: GET /hello",
            "a route on the service's HTTP API",
        ),
        "\noutputs:\n".into(),
        c(
            "  url: {value: \"${http_api.url}\"}",
            "printed after apply, and by `slsr outputs`",
        ),
    ]
    .concat();
    let mut files = vec![
        (PathBuf::from("slsr.yaml"), spec),
        (
            PathBuf::from(SCHEMA_FILE),
            crate::spec::schema::editor_text(),
        ),
    ];
    files.extend(
        handler_files
            .into_iter()
            .map(|(path, content)| (PathBuf::from(path), content)),
    );
    files
}

const PYTHON: &str = r#""""The handler of GET /hello: Lambda calls handler(event, context) for each request."""

import json


def handler(event, context):
    return {
        "statusCode": 200,
        "headers": {"content-type": "application/json"},
        "body": json.dumps({"message": "Hello from {service}"}),
    }
"#;

const NODE: &str = r#"// The handler of GET /hello: Lambda calls handler(event) for each request.
export const handler = async (event) => ({
  statusCode: 200,
  headers: { "content-type": "application/json" },
  body: JSON.stringify({ message: "Hello from {service}" }),
});
"#;

const CARGO_TOML: &str = r#"[package]
name = "{service}"
version = "0.1.0"
edition = "2024"

# `cargo lambda build` writes each binary as target/lambda/NAME/bootstrap.
[[bin]]
name = "api"
path = "src/main.rs"

[dependencies]
lambda_http = "1"
tokio = { version = "1", features = ["macros"] }
"#;

const RUST: &str = r##"//! The handler of GET /hello, built as `bootstrap` for Lambda's provided.al2023 runtime.

use lambda_http::{Body, Error, Request, Response, run, service_fn};

async fn hello(_request: Request) -> Result<Response<Body>, Error> {
    let response = Response::builder()
        .status(200)
        .header("content-type", "application/json")
        .body(Body::from(r#"{"message":"Hello from {service}"}"#))?;
    Ok(response)
}

#[tokio::main]
async fn main() -> Result<(), Error> {
    run(service_fn(hello)).await
}
"##;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_service_name_comes_from_the_directory() {
        for (dir, service) in [
            ("/tmp/shop", "shop"),
            ("/tmp/My App_2", "my-app-2"),
            ("/tmp/2fast", "fast"),
            ("/tmp/---", "my-service"),
            ("/tmp/Ünïcode", "n-code"),
        ] {
            assert_eq!(service_from(Path::new(dir)), service, "{dir}");
        }
        assert_eq!(service_from(Path::new(&"a".repeat(60))).len(), 40);
    }
}
