//! `slsr init`: each runtime's scaffold validates and plans offline cleanly through the real
//! binary, points editors at a schema that is there and current, and never overwrites a
//! file; and the README's walk-through, from `init` to `destroy`, against the emulator.

use std::path::Path;

use crate::support::{Account, Run, applied, run, scratch, slsr, slsr_on};

fn init(dir: &Path, args: &[&str]) -> Run {
    run(slsr().arg("init").arg(dir).args(args))
}

/// The offline plan as JSON (docs/plan-format.md): the address and `after` value of each
/// created attribute, by address.
fn offline_plan(spec: &Path) -> serde_json::Value {
    let out = run(slsr()
        .args(["plan", "--offline", "--format", "json", "-f"])
        .arg(spec));
    assert_eq!(out.code, 0, "{}", out.stderr);
    assert!(out.stderr.is_empty(), "a clean plan: {}", out.stderr);
    serde_json::from_str(&out.stdout).unwrap()
}

fn after(plan: &serde_json::Value, address: &str, path: &str) -> serde_json::Value {
    plan["changes"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["address"] == address)
        .and_then(|c| {
            c["diffs"]
                .as_array()
                .unwrap()
                .iter()
                .find(|d| d["path"] == path)
        })
        .map(|d| d["after"].clone())
        .unwrap_or_else(|| panic!("no {address} {path} in {plan:#}"))
}

/// What every scaffold shares: the schema line, the schema itself, a clean validate.
fn check_spec(dir: &Path) {
    let spec = std::fs::read_to_string(dir.join("slsr.yaml")).unwrap();
    assert!(
        spec.starts_with("# yaml-language-server: $schema=slsr.schema.json\n"),
        "{spec}"
    );
    let schema = run(slsr().arg("schema"));
    assert_eq!(
        std::fs::read_to_string(dir.join("slsr.schema.json")).unwrap(),
        schema.stdout,
        "the schema beside the spec is `slsr schema`'s"
    );
    let out = run(slsr().arg("validate").arg("-f").arg(dir.join("slsr.yaml")));
    assert_eq!(out.code, 0, "{}", out.stderr);
    assert!(out.stderr.contains("no problems found"), "{}", out.stderr);
}

#[test]
fn python_is_the_default_and_works_in_the_current_directory() {
    let dir = scratch("init-python").join("Hello World");
    std::fs::create_dir_all(&dir).unwrap();
    let out = run(slsr().arg("init").current_dir(&dir));
    assert_eq!(out.code, 0, "{}", out.stderr);
    assert!(
        out.stdout.contains("Created the service `hello-world`")
            && out.stdout.contains("slsr plan --offline ")
            && !out.stdout.contains(" -f "),
        "{}",
        out.stdout
    );
    assert!(dir.join("src/app.py").is_file());
    check_spec(&dir);
    let plan = offline_plan(&dir.join("slsr.yaml"));
    assert_eq!(after(&plan, "function.api", "runtime"), "python3.13");
    assert_eq!(after(&plan, "function.api", "handler"), "app.handler");
    assert_eq!(
        after(&plan, "route[\"GET /hello\"]", "authorization"),
        "NONE"
    );
}

#[test]
fn node_scaffolds_into_a_new_directory() {
    let dir = scratch("init-node").join("services/greeter");
    let out = init(&dir, &["--runtime", "node"]);
    assert_eq!(out.code, 0, "{}", out.stderr);
    assert!(
        out.stdout.contains(&format!(
            "slsr validate -f {}",
            dir.join("slsr.yaml").display()
        )),
        "{}",
        out.stdout
    );
    assert!(dir.join("src/index.mjs").is_file());
    check_spec(&dir);
    let plan = offline_plan(&dir.join("slsr.yaml"));
    assert_eq!(after(&plan, "function.api", "runtime"), "nodejs22.x");
    assert_eq!(after(&plan, "function.api", "handler"), "index.handler");
    assert_eq!(after(&plan, "function.api", "tags.slsr:service"), "greeter");
}

/// slsr does not build Rust: the scaffold says to build `bootstrap` first, validation
/// asks for it until it is there, and then the spec is clean.
#[test]
fn rust_is_a_cargo_project_whose_built_bootstrap_the_spec_packages() {
    let dir = scratch("init-rust").join("api");
    let out = init(&dir, &["--runtime", "rust", "--service", "orders"]);
    assert_eq!(out.code, 0, "{}", out.stderr);
    assert!(
        out.stdout.contains("cargo lambda build --release --arm64"),
        "{}",
        out.stdout
    );
    let cargo = std::fs::read_to_string(dir.join("Cargo.toml")).unwrap();
    assert!(
        cargo.contains("[[bin]]\nname = \"api\"") && cargo.contains("lambda_http"),
        "{cargo}"
    );
    assert!(dir.join("src/main.rs").is_file());
    let before = run(slsr().arg("validate").arg("-f").arg(dir.join("slsr.yaml")));
    assert_eq!(before.code, 1, "{}", before.stderr);
    assert!(
        before
            .stderr
            .contains("error[E211]: `code: ./target/lambda/api` does not exist")
            && before.stderr.contains("build it first"),
        "{}",
        before.stderr
    );
    // What `cargo lambda build` leaves: the binary `api` as target/lambda/api/bootstrap.
    std::fs::create_dir_all(dir.join("target/lambda/api")).unwrap();
    std::fs::write(dir.join("target/lambda/api/bootstrap"), b"\x7fELF built").unwrap();
    check_spec(&dir);
    let plan = offline_plan(&dir.join("slsr.yaml"));
    assert_eq!(after(&plan, "function.api", "runtime"), "provided.al2023");
    assert_eq!(after(&plan, "function.api", "architecture"), "arm64");
    assert_eq!(after(&plan, "function.api", "tags.slsr:service"), "orders");
}

#[test]
fn init_never_overwrites_a_file_and_then_writes_nothing() {
    let dir = scratch("init-twice");
    assert_eq!(init(&dir, &[]).code, 0);
    std::fs::write(dir.join("slsr.yaml"), "service: mine\n").unwrap();
    let again = init(&dir, &["--runtime", "node"]);
    assert_eq!(again.code, 1, "{}", again.stdout);
    assert!(
        again.stderr.contains("slsr.yaml exists") && again.stderr.contains("never overwrites"),
        "{}",
        again.stderr
    );
    assert_eq!(
        std::fs::read_to_string(dir.join("slsr.yaml")).unwrap(),
        "service: mine\n"
    );
    assert!(!dir.join("src/index.mjs").exists(), "nothing written");

    // A handler of the user's own, where the scaffold would put one: refused before any write.
    let dir = scratch("init-existing-handler");
    std::fs::create_dir_all(dir.join("src")).unwrap();
    std::fs::write(dir.join("src/app.py"), "# mine\n").unwrap();
    let out = init(&dir, &[]);
    assert_eq!(out.code, 1);
    assert!(out.stderr.contains("src/app.py exists"), "{}", out.stderr);
    assert!(!dir.join("slsr.yaml").exists() && !dir.join("slsr.schema.json").exists());
    assert_eq!(
        std::fs::read_to_string(dir.join("src/app.py")).unwrap(),
        "# mine\n"
    );
}

#[test]
fn a_service_name_the_spec_would_refuse_is_refused() {
    let dir = scratch("init-bad-service");
    let out = init(&dir, &["--service", "My_Shop"]);
    assert_eq!(out.code, 1);
    assert!(
        out.stderr.contains("--service `My_Shop`") && out.stderr.contains("lower-case"),
        "{}",
        out.stderr
    );
    assert!(!dir.join("slsr.yaml").exists());
}

/// The README's "Getting started", step by step, in an emulator account of its own.
#[tokio::test]
async fn the_getting_started_walk_through_deploys_changes_and_destroys_the_scaffold() {
    let account = Account::new().await;
    let dir = scratch("init-walk-through").join("hello");
    assert_eq!(init(&dir, &[]).code, 0);
    let spec = dir.join("slsr.yaml");
    let plan = slsr_on(&account, "plan", &spec, &["--detailed-exitcode"]);
    assert_eq!(
        plan.code, 2,
        "changes to make: {}{}",
        plan.stdout, plan.stderr
    );
    let first = applied(&account, &spec, &[]);
    assert!(
        first.stdout.contains("Outputs:") && first.stdout.contains("url = https://"),
        "{}",
        first.stdout
    );
    let outputs = slsr_on(&account, "outputs", &spec, &["--format", "json"]);
    assert_eq!(outputs.code, 0, "{}", outputs.stderr);
    let url: serde_json::Value = serde_json::from_str(&outputs.stdout).unwrap();
    assert!(
        url["url"].as_str().unwrap().starts_with("https://"),
        "{}",
        outputs.stdout
    );
    let clean = slsr_on(&account, "plan", &spec, &["--detailed-exitcode"]);
    assert_eq!(clean.code, 0, "nothing to change: {}", clean.stdout);

    // A change: new code is one update of the function, and nothing else.
    let handler = dir.join("src/app.py");
    let code = std::fs::read_to_string(&handler).unwrap();
    std::fs::write(&handler, code.replace("Hello from", "Hi from")).unwrap();
    let change = slsr_on(&account, "plan", &spec, &["--format", "json"]);
    let change: serde_json::Value = serde_json::from_str(&change.stdout).unwrap();
    let changed: Vec<(&str, &str)> = change["changes"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| {
            (
                c["address"].as_str().unwrap(),
                c["action"].as_str().unwrap(),
            )
        })
        .collect();
    assert_eq!(changed, [("function.api", "update")], "{change:#}");
    applied(&account, &spec, &[]);

    let destroyed = slsr_on(&account, "destroy", &spec, &["--auto-approve"]);
    assert_eq!(
        destroyed.code, 0,
        "{}{}",
        destroyed.stdout, destroyed.stderr
    );
    let after = slsr_on(&account, "plan", &spec, &["--format", "json"]);
    let after: serde_json::Value = serde_json::from_str(&after.stdout).unwrap();
    assert_eq!(after["summary"]["add"], 8, "all gone: {after:#}");
}
