//! A function's code must be there and hold its handler's file: `slsr validate` and an
//! offline `plan` refuse a missing `code` at its line (E211) and a handler whose file the
//! package does not hold at the `handler:` line (E212), and accept each runtime's real
//! layouts. `destroy`, which packages nothing, does not need the code.

use std::io::Write;
use std::path::{Path, PathBuf};

use crate::support::{Account, Run, applied, run, scratch, slsr, slsr_on};

fn validate(spec: &Path) -> Run {
    run(slsr().arg("validate").arg("-f").arg(spec))
}

fn plan_offline(spec: &Path) -> Run {
    run(slsr().args(["plan", "--offline", "-f"]).arg(spec))
}

/// A spec of one function in a scratch directory, with `files` (path, content) beside it.
fn function(name: &str, fields: &str, files: &[(&str, &str)]) -> PathBuf {
    let dir = scratch(name);
    for (path, content) in files {
        let path = dir.join(path);
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(path, content).unwrap();
    }
    let spec = dir.join("slsr.yaml");
    std::fs::write(
        &spec,
        format!("service: shop\nfunctions:\n  api:\n{fields}"),
    )
    .unwrap();
    spec
}

/// Files of a code tree: (path, content).
type Files = &'static [(&'static str, &'static str)];

/// A zip at `path` holding `entries` (name, Unix mode).
fn zip_file(path: &Path, entries: &[(&str, u32)]) {
    let mut zip = zip::ZipWriter::new(std::fs::File::create(path).unwrap());
    for (name, mode) in entries {
        let options = zip::write::SimpleFileOptions::default().unix_permissions(*mode);
        zip.start_file(*name, options).unwrap();
        zip.write_all(b"content").unwrap();
    }
    zip.finish().unwrap();
}

#[test]
fn a_missing_code_directory_is_an_error_at_its_line_in_validate_and_plan() {
    let spec = function(
        "code-missing",
        "    handler: app.handler\n    runtime: python3.12\n    code: ./build/api\n",
        &[],
    );
    for out in [validate(&spec), plan_offline(&spec)] {
        assert_eq!(out.code, 1, "{}{}", out.stdout, out.stderr);
        assert!(
            out.stderr
                .contains("error[E211]: `code: ./build/api` does not exist")
                && out.stderr.contains("slsr.yaml:6:11")
                && out.stderr.contains("^^^^^^^^^^^ no such directory or file"),
            "{}",
            out.stderr
        );
        assert!(!out.stdout.contains("Plan:"), "no plan: {}", out.stdout);
    }
}

#[test]
fn an_empty_code_directory_is_an_error_at_the_handler() {
    let spec = function(
        "code-empty",
        "    handler: app.handler\n    runtime: python3.12\n    code: ./src\n",
        &[],
    );
    std::fs::create_dir_all(spec.parent().unwrap().join("src")).unwrap();
    for out in [validate(&spec), plan_offline(&spec)] {
        assert_eq!(out.code, 1, "{}", out.stderr);
        assert!(
            out.stderr.contains("error[E212]: `handler: app.handler` needs `app.py` or `app/__init__.py` in `code: ./src`")
                && out.stderr.contains("slsr.yaml:4:14")
                && out.stderr.contains("`./src` is empty"),
            "{}",
            out.stderr
        );
    }
}

#[test]
fn each_runtime_finds_its_handler_where_its_loader_would() {
    let ok: &[(&str, &str, Files)] = &[
        ("python3.12", "app.handler", &[("src/app.py", "")]),
        (
            "python3.12",
            "orders.handler",
            &[("src/orders/__init__.py", "")],
        ),
        (
            "python3.12",
            "api.v1.routes.handler",
            &[("src/api/v1/routes.py", "")],
        ),
        (
            "python3.13",
            "api/v1/routes.handler",
            &[("src/api/v1/routes.py", "")],
        ),
        ("nodejs22.x", "index.handler", &[("src/index.js", "")]),
        ("nodejs22.x", "index.handler", &[("src/index.mjs", "")]),
        ("nodejs22.x", "index.handler", &[("src/index.cjs", "")]),
        (
            "nodejs20.x",
            "dist/lambda.handlers.get",
            &[("src/dist/lambda.js", "")],
        ),
        // Packaging makes a root `bootstrap` executable, whatever its mode on disk.
        ("provided.al2023", "bootstrap", &[("src/bootstrap", "")]),
        ("provided.al2", "anything.at.all", &[("src/bootstrap", "")]),
    ];
    for (i, (runtime, handler, files)) in ok.iter().enumerate() {
        let spec = function(
            &format!("handler-ok-{i}"),
            &format!("    handler: {handler}\n    runtime: {runtime}\n    code: ./src\n"),
            files,
        );
        let out = validate(&spec);
        assert_eq!(out.code, 0, "{runtime} {handler}: {}", out.stderr);
        assert!(out.stderr.contains("no problems found"), "{}", out.stderr);
        let plan = plan_offline(&spec);
        assert_eq!(plan.code, 0, "{runtime} {handler}: {}", plan.stderr);
    }
    let wrong: &[(&str, &str, Files, &str)] = &[
        (
            "python3.12",
            "app.handler",
            &[("src/main.py", "")],
            "`./src` holds `main.py`",
        ),
        // A directory without __init__.py is a namespace package: it has no function.
        (
            "python3.12",
            "orders.handler",
            &[("src/orders/models.py", "")],
            "`orders/__init__.py`",
        ),
        (
            "nodejs22.x",
            "index.handler",
            &[("src/index.ts", "")],
            "`./src` holds `index.ts`",
        ),
        (
            "nodejs22.x",
            "lib/app.handler",
            &[("src/app.js", "")],
            "`lib/app.js`",
        ),
        (
            "provided.al2023",
            "bootstrap",
            &[("src/main.rs", "")],
            "no bootstrap in the package",
        ),
    ];
    for (i, (runtime, handler, files, says)) in wrong.iter().enumerate() {
        let spec = function(
            &format!("handler-wrong-{i}"),
            &format!("    handler: {handler}\n    runtime: {runtime}\n    code: ./src\n"),
            files,
        );
        let out = validate(&spec);
        assert_eq!(out.code, 1, "{runtime} {handler}: {}", out.stderr);
        assert!(
            out.stderr.contains("error[E212]")
                && out.stderr.contains("slsr.yaml:4:14")
                && out.stderr.contains(says),
            "{runtime} {handler}: {}",
            out.stderr
        );
    }
}

#[test]
fn what_is_in_the_package_follows_the_packaging_rules() {
    let spec = function(
        "handler-excluded",
        "    handler: lib/app.handler\n    runtime: python3.12\n    code: ./src\n    exclude: [lib]\n",
        &[("src/lib/app.py", ""), ("src/other.py", "")],
    );
    let out = validate(&spec);
    assert_eq!(out.code, 1, "{}", out.stderr);
    assert!(
        out.stderr.contains("error[E212]: the handler's file `lib/app.py` is not in the package: the `exclude` pattern `lib` leaves it out"),
        "{}",
        out.stderr
    );
    // `.slsr` is never packaged, whatever the patterns say.
    let spec = function(
        "handler-in-slsr-dir",
        "    handler: .slsr/app.handler\n    runtime: nodejs22.x\n    code: ./src\n",
        &[("src/.slsr/app.js", "")],
    );
    let out = validate(&spec);
    assert!(
        out.stderr.contains("`.slsr` is never packaged"),
        "{}",
        out.stderr
    );
    // A link inside the code directory is packaged as what it points to.
    let spec = function(
        "handler-link",
        "    handler: app.handler\n    runtime: python3.12\n    code: ./src\n",
        &[("src/real/app.py", "")],
    );
    let dir = spec.parent().unwrap();
    std::os::unix::fs::symlink("real/app.py", dir.join("src/app.py")).unwrap();
    let out = validate(&spec);
    assert_eq!(out.code, 0, "{}", out.stderr);
}

#[test]
fn a_ready_made_zip_is_read_for_the_handler_and_bootstrap() {
    let spec = function(
        "zip-handlers",
        "    handler: app.handler\n    runtime: python3.12\n    code: ./good.zip\n  \
         missing:\n    handler: app.handler\n    runtime: python3.12\n    code: ./other.zip\n  \
         rust:\n    handler: bootstrap\n    runtime: provided.al2023\n    code: ./rust.zip\n  \
         not-executable:\n    handler: bootstrap\n    runtime: provided.al2023\n    code: ./plain.zip\n  \
         broken:\n    handler: app.handler\n    runtime: python3.12\n    code: ./broken.zip\n",
        &[("broken.zip", "PK but not really")],
    );
    let dir = spec.parent().unwrap();
    zip_file(&dir.join("good.zip"), &[("app.py", 0o644)]);
    zip_file(
        &dir.join("other.zip"),
        &[("main.py", 0o644), ("lib/util.py", 0o644)],
    );
    zip_file(&dir.join("rust.zip"), &[("bootstrap", 0o755)]);
    zip_file(&dir.join("plain.zip"), &[("bootstrap", 0o644)]);
    let out = validate(&spec);
    assert_eq!(out.code, 1, "{}", out.stderr);
    let errors: Vec<&str> = out
        .stderr
        .lines()
        .filter(|l| l.starts_with("error["))
        .collect();
    assert_eq!(errors.len(), 3, "{}", out.stderr);
    assert!(
        out.stderr
            .contains("`code: ./other.zip`, which has none of them")
            && out.stderr.contains("`./other.zip` holds `lib/`, `main.py`")
            && out
                .stderr
                .contains("error[E212]: `bootstrap` in `code: ./plain.zip` is not executable")
            && out
                .stderr
                .contains("error[E211]: `code: ./broken.zip` is a file but not a zip archive"),
        "{}",
        out.stderr
    );
}

#[test]
fn image_functions_and_functions_with_layers_are_not_looked_into() {
    let spec = function(
        "handler-exempt",
        "    image: 123456789012.dkr.ecr.us-east-1.amazonaws.com/api:1\n  \
         layered:\n    handler: from_layer.handler\n    runtime: python3.12\n    code: ./src\n    \
         layers: [arn:aws:lambda:us-east-1:123456789012:layer:shared:3]\n",
        &[("src/other.py", "")],
    );
    let out = validate(&spec);
    assert_eq!(out.code, 0, "{}", out.stderr);
}

/// A CI job tearing a stage down from a checkout without its build: destroy needs no code.
#[tokio::test]
async fn destroy_needs_no_code_where_plan_and_apply_do() {
    let account = Account::new().await;
    let spec = function(
        "destroy-without-code",
        "    handler: app.handler\n    runtime: python3.12\n    code: ./build\n",
        &[(
            "build/app.py",
            "def handler(event, context):\n    return None\n",
        )],
    );
    applied(&account, &spec, &[]);
    std::fs::remove_dir_all(spec.parent().unwrap().join("build")).unwrap();
    let plan = slsr_on(&account, "plan", &spec, &[]);
    assert_eq!(plan.code, 1);
    assert!(plan.stderr.contains("error[E211]"), "{}", plan.stderr);
    let destroyed = slsr_on(&account, "destroy", &spec, &["--auto-approve"]);
    assert_eq!(
        destroyed.code, 0,
        "{}{}",
        destroyed.stdout, destroyed.stderr
    );
    assert!(
        destroyed.stdout.contains("function.api"),
        "{}",
        destroyed.stdout
    );
}
