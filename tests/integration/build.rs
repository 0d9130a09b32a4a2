//! Builds (`build:`): a command's build run again only when its inputs change, a failed
//! build that stops the plan before any AWS call, a no-op plan that builds nothing, Python
//! dependencies installed from local wheels for the function's architecture, and `build:
//! rust` without cargo-lambda.

use std::fs;
use std::io::{Read, Write};
use std::path::{Path, PathBuf};
use std::time::Instant;

use base64::Engine;
use sha2::{Digest, Sha256};

use crate::support::{Run, run, scratch, slsr};

/// A spec of one function built by `command`, whose code is `./src`.
fn command_spec(command: &str, inputs: &str) -> String {
    format!(
        "service: shop\nregion: us-east-1\nfunctions:\n  api:\n    handler: app.handler\n    runtime: python3.12\n    code: ./src\n    build:\n      command: '{command}'\n      inputs: {inputs}\n      output: dist\n"
    )
}

/// A command that counts its runs in `../builds.log`, outside the code directory, and
/// copies app.py into dist/.
const COUNTING: &str = "echo built >> ../builds.log && rm -rf dist && mkdir dist && cp app.py dist/ && echo arch=$SLSR_BUILD_ARCH runtime=$SLSR_BUILD_RUNTIME";

fn builds(dir: &Path) -> usize {
    fs::read_to_string(dir.join("builds.log"))
        .map(|log| log.lines().count())
        .unwrap_or(0)
}

fn command_app(name: &str) -> PathBuf {
    let dir = scratch(name);
    fs::create_dir_all(dir.join("src")).unwrap();
    fs::write(dir.join("src/app.py"), "def handler(e, c):\n    return 1\n").unwrap();
    fs::write(dir.join("src/notes.txt"), "not an input\n").unwrap();
    fs::write(
        dir.join("slsr.yaml"),
        command_spec(COUNTING, "[\"app.py\"]"),
    )
    .unwrap();
    dir
}

fn ok(out: Run) -> Run {
    assert_eq!(out.code, 0, "slsr failed:\n{}{}", out.stdout, out.stderr);
    out
}

/// The names and bytes of a zip's files, read with the zip crate.
fn zip_files(path: &Path) -> Vec<(String, Vec<u8>)> {
    let mut archive = zip::ZipArchive::new(fs::File::open(path).unwrap()).unwrap();
    (0..archive.len())
        .map(|i| {
            let mut file = archive.by_index(i).unwrap();
            let mut bytes = Vec::new();
            file.read_to_end(&mut bytes).unwrap();
            (file.name().unwrap().to_string(), bytes)
        })
        .collect()
}

fn code_sha256(path: &Path) -> String {
    base64::engine::general_purpose::STANDARD.encode(Sha256::digest(fs::read(path).unwrap()))
}

#[test]
fn a_command_build_runs_again_only_when_an_input_changes() {
    let dir = command_app("build-inputs");
    let spec = dir.join("slsr.yaml");
    let first = ok(run(slsr().arg("build").arg("-f").arg(&spec)));
    assert_eq!(builds(&dir), 1);
    assert!(first.stdout.contains("api: built"), "{}", first.stdout);
    // The command's output is relayed with the function's name, and it was given the
    // function's architecture and runtime.
    assert!(
        first
            .stderr
            .contains("api | arch=x86_64 runtime=python3.12"),
        "{}",
        first.stderr
    );

    let again = ok(run(slsr().arg("build").arg("-f").arg(&spec)));
    assert_eq!(builds(&dir), 1, "nothing changed: no build");
    assert!(again.stdout.contains("api: unchanged"), "{}", again.stdout);

    fs::write(dir.join("src/notes.txt"), "changed, but not an input\n").unwrap();
    ok(run(slsr()
        .arg("plan")
        .arg("--offline")
        .arg("-f")
        .arg(&spec)));
    assert_eq!(builds(&dir), 1, "a file outside `inputs` changed: no build");

    fs::write(dir.join("src/app.py"), "def handler(e, c):\n    return 2\n").unwrap();
    ok(run(slsr()
        .arg("plan")
        .arg("--offline")
        .arg("-f")
        .arg(&spec)));
    assert_eq!(builds(&dir), 2, "an input changed: built again");
    // What is packaged is the build's output (dist/), holding the new app.py and nothing of
    // the code directory beside it.
    let package = ok(run(slsr().arg("package").arg("-f").arg(&spec)));
    assert_eq!(builds(&dir), 2);
    let zip = dir.join(".slsr/build/api.zip");
    assert_eq!(
        zip_files(&zip),
        [(
            "app.py".to_string(),
            b"def handler(e, c):\n    return 2\n".to_vec()
        )]
    );
    assert!(
        package.stdout.contains(&code_sha256(&zip)),
        "{}",
        package.stdout
    );

    // The architecture is part of the key: arm64 builds again, and says so to the command.
    fs::write(
        &spec,
        command_spec(COUNTING, "[\"app.py\"]").replace(
            "    runtime: python3.12\n",
            "    runtime: python3.12\n    architecture: arm64\n",
        ),
    )
    .unwrap();
    let arm = ok(run(slsr().arg("build").arg("-f").arg(&spec)));
    assert_eq!(builds(&dir), 3);
    assert!(arm.stderr.contains("api | arch=arm64"), "{}", arm.stderr);
}

#[test]
fn a_failed_build_fails_the_plan_with_its_command_and_last_lines_and_no_aws_call() {
    let dir = scratch("build-fails");
    fs::create_dir_all(dir.join("src")).unwrap();
    fs::write(dir.join("src/app.py"), "def handler(e, c):\n    return 1\n").unwrap();
    let command = "for i in $(seq 1 30); do echo line $i; done; echo compiler says no >&2; exit 7";
    fs::write(dir.join("slsr.yaml"), command_spec(command, "[\"app.py\"]")).unwrap();
    // Credentials and an endpoint nothing listens on: any AWS call would fail with a
    // connection error instead of the build's.
    let out = run(slsr()
        .args(["plan", "-f"])
        .arg(dir.join("slsr.yaml"))
        .env("AWS_ACCESS_KEY_ID", "AKIAEXAMPLE")
        .env("AWS_SECRET_ACCESS_KEY", "secret")
        .env("AWS_REGION", "us-east-1")
        .env("AWS_ENDPOINT_URL", "http://127.0.0.1:9"));
    assert_eq!(out.code, 1, "{}{}", out.stdout, out.stderr);
    let error = out
        .stderr
        .lines()
        .position(|l| l.starts_with("error: "))
        .map(|i| out.stderr.lines().skip(i).collect::<Vec<_>>().join("\n"))
        .unwrap_or_else(|| panic!("no error line:\n{}", out.stderr));
    assert!(
        error.starts_with(&format!(
            "error: function `api`: the build failed: `{command}` exited with code 7; its last lines:"
        )),
        "{error}"
    );
    // The last 20 lines of its output, not the first ones.
    assert!(error.contains("  compiler says no"), "{error}");
    assert!(error.contains("  line 30"), "{error}");
    assert!(!error.contains("  line 5\n"), "{error}");
    for word in ["dispatch", "connect", "127.0.0.1:9", "credentials"] {
        assert!(
            !out.stderr.contains(word),
            "an AWS call was made:\n{}",
            out.stderr
        );
    }
    // Every line the build printed went to stderr after the function's name.
    assert!(out.stderr.contains("api | line 1\n"), "{}", out.stderr);
    assert!(
        !dir.join(".slsr/build/api.zip").exists(),
        "nothing packaged"
    );
}

/// Functions that each build with a command; `build` false gives the same functions
/// without it, packaging `src` as it is.
fn many(dir: &Path, count: usize, build: bool) -> PathBuf {
    let mut spec = String::from("service: shop\nregion: us-east-1\nfunctions:\n");
    for i in 0..count {
        let code = format!("f{i}");
        fs::create_dir_all(dir.join(&code)).unwrap();
        fs::write(dir.join(&code).join("app.py"), format!("N = {i}\n")).unwrap();
        spec.push_str(&format!(
            "  f{i}:\n    handler: app.handler\n    runtime: python3.12\n    code: ./{code}\n"
        ));
        if build {
            spec.push_str(&format!(
                "    build:\n      command: '{}'\n      output: dist\n",
                COUNTING.replace("../builds.log", "../../builds.log")
            ));
        }
    }
    fs::write(dir.join("slsr.yaml"), &spec).unwrap();
    dir.join("slsr.yaml")
}

fn timed_offline_plan(spec: &Path) -> f64 {
    let start = Instant::now();
    ok(run(slsr().args(["plan", "--offline", "-f"]).arg(spec)));
    start.elapsed().as_secs_f64()
}

#[test]
fn a_no_op_plan_of_built_functions_builds_nothing() {
    let root = scratch("build-noop");
    let built_dir = root.join("built/app");
    let plain_dir = root.join("plain/app");
    fs::create_dir_all(&built_dir).unwrap();
    fs::create_dir_all(&plain_dir).unwrap();
    let built = many(&built_dir, 8, true);
    let plain = many(&plain_dir, 8, false);
    let log = root.join("built/builds.log");

    timed_offline_plan(&built);
    let after_first = fs::read_to_string(&log).unwrap().lines().count();
    assert_eq!(after_first, 8, "each function built once");
    timed_offline_plan(&plain);

    let mut with_builds = Vec::new();
    let mut without = Vec::new();
    for _ in 0..3 {
        with_builds.push(timed_offline_plan(&built));
        without.push(timed_offline_plan(&plain));
    }
    assert_eq!(
        fs::read_to_string(&log).unwrap().lines().count(),
        8,
        "a no-op plan ran a build"
    );
    let best = |v: &[f64]| v.iter().copied().fold(f64::INFINITY, f64::min);
    eprintln!(
        "no-op `slsr plan --offline` of 8 functions: {:.3} s with builds, {:.3} s without (best of 3)",
        best(&with_builds),
        best(&without)
    );
}

/// A wheel (a zip) of the package `fastthing` for `platform`, with an extension module whose
/// bytes name the platform.
fn wheel(dir: &Path, platform: &str) -> Vec<u8> {
    let tag = format!("cp312-cp312-{platform}");
    let so = format!("\x7fELF fastthing speedups for {platform}\n").into_bytes();
    let files: Vec<(String, Vec<u8>)> = vec![
        (
            "fastthing/__init__.py".into(),
            b"from . import _speedups\n".to_vec(),
        ),
        ("fastthing/_speedups.so".into(), so.clone()),
        (
            "fastthing-1.0.dist-info/METADATA".into(),
            b"Metadata-Version: 2.1\nName: fastthing\nVersion: 1.0\n".to_vec(),
        ),
        (
            "fastthing-1.0.dist-info/WHEEL".into(),
            format!(
                "Wheel-Version: 1.0\nGenerator: slsr-test\nRoot-Is-Purelib: false\nTag: {tag}\n"
            )
            .into_bytes(),
        ),
    ];
    let mut record = String::new();
    for (name, bytes) in &files {
        let hash = base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(Sha256::digest(bytes));
        record.push_str(&format!("{name},sha256={hash},{}\n", bytes.len()));
    }
    record.push_str("fastthing-1.0.dist-info/RECORD,,\n");
    let path = dir.join(format!("fastthing-1.0-{tag}.whl"));
    let mut writer = zip::ZipWriter::new(fs::File::create(&path).unwrap());
    let options = zip::write::SimpleFileOptions::default();
    for (name, bytes) in files.iter().chain(
        [(
            "fastthing-1.0.dist-info/RECORD".to_string(),
            record.into_bytes(),
        )]
        .iter(),
    ) {
        writer.start_file(name.as_str(), options).unwrap();
        writer.write_all(bytes).unwrap();
    }
    writer.finish().unwrap();
    so
}

#[test]
fn python_dependencies_are_installed_for_the_functions_architecture_from_local_wheels() {
    let dir = scratch("build-python");
    let wheels = dir.join("wheels");
    fs::create_dir_all(&wheels).unwrap();
    let x86 = wheel(&wheels, "manylinux2014_x86_64");
    let arm = wheel(&wheels, "manylinux2014_aarch64");
    assert_ne!(x86, arm);
    let app = dir.join("app");
    fs::create_dir_all(app.join("src/tests")).unwrap();
    fs::write(
        app.join("src/app.py"),
        "import fastthing\n\ndef handler(e, c):\n    return 1\n",
    )
    .unwrap();
    fs::write(app.join("src/tests/test_app.py"), "def test(): pass\n").unwrap();
    fs::write(app.join("src/requirements.txt"), "fastthing==1.0\n").unwrap();
    fs::write(
        app.join("slsr.yaml"),
        "service: shop\nregion: us-east-1\nfunctions:\n  api:\n    handler: app.handler\n    runtime: python3.12\n    architecture: arm64\n    code: ./src\n    exclude: [tests]\n    build: python\n",
    )
    .unwrap();
    let spec = app.join("slsr.yaml");
    let package = |build_dir: &Path| {
        ok(run(slsr()
            .args(["package", "-f"])
            .arg(&spec)
            .arg("--build-dir")
            .arg(build_dir)
            .env("PIP_NO_INDEX", "1")
            .env("PIP_FIND_LINKS", &wheels)));
        build_dir.join("api.zip")
    };
    let first = package(&dir.join("build-a"));
    let files = zip_files(&first);
    let names: Vec<&str> = files.iter().map(|(n, _)| n.as_str()).collect();
    assert!(names.contains(&"app.py"), "{names:?}");
    assert!(names.contains(&"requirements.txt"), "{names:?}");
    assert!(names.contains(&"fastthing/__init__.py"), "{names:?}");
    assert!(
        names.contains(&"fastthing-1.0.dist-info/METADATA"),
        "{names:?}"
    );
    assert!(
        !names.iter().any(|n| n.starts_with("tests/")),
        "excluded: {names:?}"
    );
    for noisy in ["RECORD", "direct_url.json", "INSTALLER"] {
        assert!(!names.iter().any(|n| n.ends_with(noisy)), "{names:?}");
    }
    assert!(
        !names.iter().any(|n| n.contains("__pycache__")),
        "{names:?}"
    );
    let so = &files
        .iter()
        .find(|(n, _)| n == "fastthing/_speedups.so")
        .unwrap_or_else(|| panic!("no extension module: {names:?}"))
        .1;
    assert_eq!(
        so, &arm,
        "the aarch64 wheel's extension, not the x86_64 one"
    );

    // From a clean build directory, the same zip.
    let second = package(&dir.join("build-b"));
    assert_eq!(code_sha256(&first), code_sha256(&second));
}

#[test]
fn build_rust_without_cargo_lambda_says_what_to_install() {
    let dir = scratch("build-rust");
    fs::create_dir_all(dir.join("api/src")).unwrap();
    fs::write(dir.join("api/Cargo.toml"), "[package]\nname = \"api\"\n").unwrap();
    fs::write(dir.join("api/src/main.rs"), "fn main() {}\n").unwrap();
    fs::write(
        dir.join("slsr.yaml"),
        "service: shop\nregion: us-east-1\nfunctions:\n  api:\n    handler: bootstrap\n    runtime: provided.al2023\n    code: ./api\n    build: rust\n",
    )
    .unwrap();
    // A PATH with sh and the usual tools, and no cargo-lambda.
    let out = run(slsr()
        .args(["plan", "--offline", "-f"])
        .arg(dir.join("slsr.yaml"))
        .env("PATH", "/usr/bin:/bin"));
    assert_eq!(out.code, 1, "{}{}", out.stdout, out.stderr);
    assert!(
        out.stderr.contains("error: function `api`: `build: rust` runs `cargo lambda build`, and cargo-lambda is not on PATH: install it with `cargo install cargo-lambda` (or `pip install cargo-lambda`)"),
        "{}",
        out.stderr
    );
}

#[test]
fn a_built_functions_handler_is_looked_for_in_the_builds_output() {
    let dir = scratch("build-handler");
    fs::create_dir_all(dir.join("src")).unwrap();
    // The handler's file exists only once the build has made it: validation does not ask
    // for it in the code directory.
    fs::write(
        dir.join("src/app.py.in"),
        "def handler(e, c):\n    return 1\n",
    )
    .unwrap();
    let spec = dir.join("slsr.yaml");
    fs::write(
        &spec,
        command_spec(
            "mkdir -p dist && cp app.py.in dist/app.py",
            "[\"app.py.in\"]",
        ),
    )
    .unwrap();
    ok(run(slsr().args(["validate", "-f"]).arg(&spec)));
    ok(run(slsr().args(["plan", "--offline", "-f"]).arg(&spec)));

    // A build that leaves its output without the handler's file fails after it.
    fs::write(
        &spec,
        command_spec(
            "rm -rf dist && mkdir -p dist && echo x > dist/other.py",
            "[\"app.py.in\"]",
        ),
    )
    .unwrap();
    let out = run(slsr().args(["plan", "--offline", "-f"]).arg(&spec));
    assert_eq!(out.code, 1, "{}{}", out.stdout, out.stderr);
    assert!(
        out.stderr.contains("error: function `api`: after the build, its output has none of `app.py` or `app/__init__.py`, which `handler: app.handler` needs; the output holds `other.py`"),
        "{}",
        out.stderr
    );

    // A build that leaves no output directory at all says which one it expected.
    fs::write(&spec, command_spec("rm -rf dist", "[\"app.py.in\"]")).unwrap();
    let out = run(slsr().args(["build", "-f"]).arg(&spec));
    assert_eq!(out.code, 1, "{}{}", out.stdout, out.stderr);
    assert!(
        out.stderr
            .contains("error: function `api`: the build succeeded but left no directory `dist`"),
        "{}",
        out.stderr
    );

    // `slsr build NAME` of a function the spec does not have.
    let out = run(slsr().args(["build", "nope", "-f"]).arg(&spec));
    assert_eq!(out.code, 1);
    assert!(
        out.stderr.contains("error: no function `nope` in the spec"),
        "{}",
        out.stderr
    );
}

/// `npm pack`s a one-file package `name` into `deps`.
fn npm_package(root: &Path, deps: &Path, name: &str) {
    let dir = root.join(name);
    fs::create_dir_all(&dir).unwrap();
    fs::write(
        dir.join("package.json"),
        format!("{{\"name\": \"{name}\", \"version\": \"1.0.0\", \"main\": \"index.js\"}}\n"),
    )
    .unwrap();
    fs::write(
        dir.join("index.js"),
        format!("module.exports = '{name}';\n"),
    )
    .unwrap();
    let packed = std::process::Command::new("npm")
        .args(["pack", "--silent", "--pack-destination"])
        .arg(deps)
        .current_dir(&dir)
        .output()
        .expect("npm runs");
    assert!(packed.status.success(), "{packed:?}");
}

#[test]
fn node_builds_package_the_production_dependencies_only() {
    let dir = scratch("build-node");
    let app = dir.join("app");
    let code = app.join("src");
    fs::create_dir_all(code.join("deps")).unwrap();
    npm_package(&dir, &code.join("deps"), "prod");
    npm_package(&dir, &code.join("deps"), "devtool");
    fs::write(
        code.join("package.json"),
        "{\"name\": \"api\", \"version\": \"1.0.0\", \"dependencies\": {\"prod\": \"file:./deps/prod-1.0.0.tgz\"}, \"devDependencies\": {\"devtool\": \"file:./deps/devtool-1.0.0.tgz\"}}\n",
    )
    .unwrap();
    fs::write(
        code.join("index.js"),
        "exports.handler = async () => require('prod');\n",
    )
    .unwrap();
    let locked = std::process::Command::new("npm")
        .args([
            "install",
            "--package-lock-only",
            "--offline",
            "--no-audit",
            "--no-fund",
        ])
        .current_dir(&code)
        .output()
        .expect("npm runs");
    assert!(locked.status.success(), "{locked:?}");
    fs::write(
        app.join("slsr.yaml"),
        "service: shop\nregion: us-east-1\nfunctions:\n  api:\n    handler: index.handler\n    runtime: nodejs22.x\n    code: ./src\n    exclude: [deps]\n    build: node\n",
    )
    .unwrap();
    let spec = app.join("slsr.yaml");
    let package = |build_dir: &Path| {
        ok(run(slsr()
            .args(["package", "-f"])
            .arg(&spec)
            .arg("--build-dir")
            .arg(build_dir)));
        build_dir.join("api.zip")
    };
    let first = package(&dir.join("build-a"));
    let names: Vec<String> = zip_files(&first).into_iter().map(|(n, _)| n).collect();
    assert_eq!(
        names,
        [
            "index.js",
            "node_modules/prod/index.js",
            "node_modules/prod/package.json",
            "package-lock.json",
            "package.json",
        ],
        "the production dependency, not the dev one; `exclude` applied; npm's own lock left out"
    );
    assert!(
        !code.join("node_modules").exists(),
        "the code directory is left as it was"
    );
    let second = package(&dir.join("build-b"));
    assert_eq!(code_sha256(&first), code_sha256(&second));
}

#[test]
fn a_build_whose_output_changes_with_the_same_inputs_is_reported() {
    let dir = scratch("build-unstable");
    fs::create_dir_all(dir.join("src")).unwrap();
    fs::write(dir.join("src/app.py"), "def handler(e, c):\n    return 1\n").unwrap();
    let spec = dir.join("slsr.yaml");
    let warning = "warning: function `api`: the build's output differs from the last build of the same inputs";
    // The same bytes each time: built again with --force, no warning.
    fs::write(
        &spec,
        command_spec(
            "rm -rf dist && mkdir dist && cp app.py dist/",
            "[\"app.py\"]",
        ),
    )
    .unwrap();
    ok(run(slsr().args(["build", "-f"]).arg(&spec)));
    let stable = ok(run(slsr().args(["build", "--force", "-f"]).arg(&spec)));
    assert!(!stable.stderr.contains(warning), "{}", stable.stderr);
    // A build that stamps its output with the time of the build.
    fs::write(
        &spec,
        command_spec(
            "rm -rf dist && mkdir dist && cp app.py dist/ && date +%s%N > dist/built_at",
            "[\"app.py\"]",
        ),
    )
    .unwrap();
    ok(run(slsr().args(["build", "-f"]).arg(&spec)));
    let unstable = ok(run(slsr().args(["build", "--force", "-f"]).arg(&spec)));
    assert!(unstable.stderr.contains(warning), "{}", unstable.stderr);
}

#[tokio::test(flavor = "multi_thread")]
async fn a_live_no_op_plan_of_built_functions_builds_nothing_and_plans_no_change() {
    let account = crate::support::Account::new().await;
    let root = scratch("build-live-noop");
    let built_dir = root.join("built/app");
    let plain_dir = root.join("plain/app");
    fs::create_dir_all(&built_dir).unwrap();
    fs::create_dir_all(&plain_dir).unwrap();
    let built = many(&built_dir, 4, true);
    // The same functions under another service, without `build:`.
    let plain = many(&plain_dir, 4, false);
    fs::write(
        &plain,
        fs::read_to_string(&plain)
            .unwrap()
            .replace("service: shop", "service: plain"),
    )
    .unwrap();
    let log = root.join("built/builds.log");
    crate::support::applied(&account, &built, &[]);
    crate::support::applied(&account, &plain, &[]);
    assert_eq!(fs::read_to_string(&log).unwrap().lines().count(), 4);

    let timed = |spec: &Path| {
        let start = Instant::now();
        let out = crate::support::slsr_on(&account, "plan", spec, &[]);
        let took = start.elapsed().as_secs_f64();
        assert_eq!(out.code, 0, "{}{}", out.stdout, out.stderr);
        assert!(out.stdout.contains("No changes."), "{}", out.stdout);
        took
    };
    let (mut with_builds, mut without) = (f64::INFINITY, f64::INFINITY);
    for _ in 0..3 {
        with_builds = with_builds.min(timed(&built));
        without = without.min(timed(&plain));
    }
    assert_eq!(
        fs::read_to_string(&log).unwrap().lines().count(),
        4,
        "a no-op plan ran a build"
    );
    eprintln!(
        "no-op live `slsr plan` of 4 functions against the emulator: {with_builds:.3} s with builds, {without:.3} s without (best of 3)"
    );
}

#[test]
fn a_bundled_node_build_packages_the_one_file_the_projects_esbuild_makes() {
    let dir = scratch("build-bundle");
    let code = dir.join("src");
    fs::create_dir_all(code.join("node_modules/.bin")).unwrap();
    fs::create_dir_all(code.join("node_modules/dep")).unwrap();
    fs::write(
        code.join("package.json"),
        "{\"name\": \"api\", \"version\": \"1.0.0\"}\n",
    )
    .unwrap();
    fs::write(
        code.join("index.ts"),
        "export const handler = async () => 1;\n",
    )
    .unwrap();
    fs::write(
        code.join("node_modules/dep/index.js"),
        "module.exports = 2;\n",
    )
    .unwrap();
    let spec = dir.join("slsr.yaml");
    fs::write(
        &spec,
        "service: shop\nregion: us-east-1\nfunctions:\n  api:\n    handler: index.handler\n    runtime: nodejs22.x\n    code: ./src\n    build: node\n    bundle: true\n",
    )
    .unwrap();

    // Without esbuild in the project: what to add.
    let out = run(slsr().args(["plan", "--offline", "-f"]).arg(&spec));
    assert_eq!(out.code, 1, "{}{}", out.stdout, out.stderr);
    assert!(
        out.stderr.contains("error: function `api`: `bundle: true` bundles with the project's own esbuild, and node_modules/.bin/esbuild is not there: add it with `npm install --save-dev esbuild`"),
        "{}",
        out.stderr
    );

    // A stand-in for esbuild (the real one is a download): it notes its arguments and
    // writes the entry and its dependency into --outfile.
    let esbuild = code.join("node_modules/.bin/esbuild");
    fs::write(
        &esbuild,
        "#!/bin/sh\necho \"$@\" >> ../esbuild.log\nfor a in \"$@\"; do case $a in --outfile=*) out=${a#--outfile=};; esac; done\ncat \"$1\" node_modules/dep/index.js > \"$out\"\n",
    )
    .unwrap();
    fs::set_permissions(
        &esbuild,
        std::os::unix::fs::PermissionsExt::from_mode(0o755),
    )
    .unwrap();
    ok(run(slsr().args(["package", "-f"]).arg(&spec)));
    let args = fs::read_to_string(dir.join("esbuild.log")).unwrap();
    let outfile = dir.join(".slsr/build/api.build/stage/index.js");
    assert_eq!(
        args.trim_end(),
        format!(
            "index.ts --bundle --platform=node --target=node22 --format=cjs --outfile={}",
            std::path::absolute(&outfile).unwrap().display()
        )
    );
    assert_eq!(
        zip_files(&dir.join(".slsr/build/api.zip")),
        [(
            "index.js".to_string(),
            b"export const handler = async () => 1;\nmodule.exports = 2;\n".to_vec()
        )],
        "the bundle alone: no node_modules, no package.json"
    );
    // A dependency's change is an input of the bundle.
    ok(run(slsr().args(["build", "-f"]).arg(&spec)));
    assert_eq!(
        fs::read_to_string(dir.join("esbuild.log"))
            .unwrap()
            .lines()
            .count(),
        1
    );
    fs::write(
        code.join("node_modules/dep/index.js"),
        "module.exports = 3;\n",
    )
    .unwrap();
    ok(run(slsr().args(["build", "-f"]).arg(&spec)));
    assert_eq!(
        fs::read_to_string(dir.join("esbuild.log"))
            .unwrap()
            .lines()
            .count(),
        2
    );
    // From a clean build directory, the same zip: slsr's own steps add nothing of the time
    // or the place (the build directory is in esbuild's arguments, not in the bundle).
    ok(run(slsr().args(["package", "-f"]).arg(&spec)));
    let clean = dir.join("build-b");
    ok(run(slsr()
        .args(["package", "--build-dir"])
        .arg(&clean)
        .arg("-f")
        .arg(&spec)));
    assert_eq!(
        code_sha256(&dir.join(".slsr/build/api.zip")),
        code_sha256(&clean.join("api.zip"))
    );
}

#[test]
fn python_takes_pyproject_dependencies_and_says_when_there_is_no_pip() {
    let dir = scratch("build-pyproject");
    let wheels = dir.join("wheels");
    fs::create_dir_all(&wheels).unwrap();
    let x86 = wheel(&wheels, "manylinux2014_x86_64");
    wheel(&wheels, "manylinux2014_aarch64");
    let app = dir.join("app");
    fs::create_dir_all(app.join("src")).unwrap();
    fs::write(app.join("src/app.py"), "def handler(e, c):\n    return 1\n").unwrap();
    fs::write(
        app.join("src/pyproject.toml"),
        "[project]\nname = \"api\"\nversion = \"1.0\"\ndependencies = [\"fastthing==1.0\"]\n",
    )
    .unwrap();
    let spec = app.join("slsr.yaml");
    fs::write(
        &spec,
        "service: shop\nregion: us-east-1\nfunctions:\n  api:\n    handler: app.handler\n    runtime: python3.12\n    code: ./src\n    build: python\n",
    )
    .unwrap();
    ok(run(slsr()
        .args(["package", "-f"])
        .arg(&spec)
        .env("PIP_NO_INDEX", "1")
        .env("PIP_FIND_LINKS", &wheels)));
    let files = zip_files(&app.join(".slsr/build/api.zip"));
    let names: Vec<&str> = files.iter().map(|(n, _)| n.as_str()).collect();
    assert_eq!(
        names,
        [
            "app.py",
            "fastthing-1.0.dist-info/METADATA",
            "fastthing-1.0.dist-info/WHEEL",
            "fastthing/__init__.py",
            "fastthing/_speedups.so",
            "pyproject.toml",
        ]
    );
    assert_eq!(files[4].1, x86, "x86_64, the default architecture");

    // No python3 on PATH: said, with what to install.
    let empty = dir.join("empty-path");
    fs::create_dir_all(&empty).unwrap();
    let out = run(slsr()
        .args(["build", "--force", "-f"])
        .arg(&spec)
        .env("PATH", &empty));
    assert_eq!(out.code, 1, "{}{}", out.stdout, out.stderr);
    assert!(
        out.stderr.contains("error: function `api`: `build: python` runs `python3 -m pip`, and there is no python3 with pip on PATH: install Python 3 with pip"),
        "{}",
        out.stderr
    );
}

#[test]
fn builds_run_at_the_same_time_each_line_after_its_functions_name() {
    let dir = scratch("build-parallel");
    let mut spec = String::from("service: shop\nregion: us-east-1\nfunctions:\n");
    for (me, other) in [("one", "two"), ("two", "one")] {
        fs::create_dir_all(dir.join(me)).unwrap();
        fs::write(
            dir.join(me).join("app.py"),
            "def handler(e, c):\n    return 1\n",
        )
        .unwrap();
        // Each build waits (up to 10 s) for the other to have started: run one after the
        // other, the first would give up.
        let command = format!(
            "touch ../{me}.started; i=0; while [ ! -e ../{other}.started ]; do i=$((i+1)); [ $i -gt 100 ] && echo alone && exit 1; sleep 0.1; done; echo met {other}; rm -rf dist && mkdir dist && cp app.py dist/"
        );
        spec.push_str(&format!(
            "  {me}:\n    handler: app.handler\n    runtime: python3.12\n    code: ./{me}\n    build:\n      command: '{command}'\n      output: dist\n"
        ));
    }
    fs::write(dir.join("slsr.yaml"), spec).unwrap();
    let cores = std::thread::available_parallelism().map_or(1, |n| n.get());
    let out = run(slsr().args(["build", "-f"]).arg(dir.join("slsr.yaml")));
    if cores < 2 {
        // One build at a time on one core: the first gives up waiting for the second.
        assert_eq!(out.code, 1, "{}", out.stderr);
        return;
    }
    assert_eq!(out.code, 0, "{}{}", out.stdout, out.stderr);
    assert!(out.stderr.contains("one | met two\n"), "{}", out.stderr);
    assert!(out.stderr.contains("two | met one\n"), "{}", out.stderr);
    assert!(out.stdout.contains("one: built") && out.stdout.contains("two: built"));
}

#[test]
fn build_rust_packages_the_binary_cargo_lambda_makes_as_bootstrap() {
    let dir = scratch("build-rust-fake");
    fs::create_dir_all(dir.join("api/src")).unwrap();
    fs::write(dir.join("api/Cargo.toml"), "[package]\nname = \"api\"\n").unwrap();
    fs::write(dir.join("api/src/main.rs"), "fn main() {}\n").unwrap();
    fs::write(
        dir.join("slsr.yaml"),
        "service: shop\nregion: us-east-1\nfunctions:\n  api:\n    handler: bootstrap\n    runtime: provided.al2023\n    architecture: arm64\n    code: ./api\n    build: rust\n",
    )
    .unwrap();
    // Stand-ins for cargo and cargo-lambda (the real ones build for minutes and need the
    // Zig toolchain): `cargo lambda build` notes its arguments and writes a binary where
    // cargo-lambda writes it.
    let bin = dir.join("bin");
    fs::create_dir_all(&bin).unwrap();
    for (name, script) in [
        ("cargo-lambda", "#!/bin/sh\nexit 0\n"),
        (
            "cargo",
            "#!/bin/sh\necho \"$@\" >> ../cargo.log\nmkdir -p target/lambda/api && printf 'ELF arm64 api\\n' > target/lambda/api/bootstrap\n",
        ),
    ] {
        fs::write(bin.join(name), script).unwrap();
        fs::set_permissions(
            bin.join(name),
            std::os::unix::fs::PermissionsExt::from_mode(0o755),
        )
        .unwrap();
    }
    let path = format!("{}:/usr/bin:/bin", bin.display());
    ok(run(slsr()
        .args(["package", "-f"])
        .arg(dir.join("slsr.yaml"))
        .env("PATH", &path)));
    assert_eq!(
        fs::read_to_string(dir.join("cargo.log")).unwrap(),
        "lambda build --release --arm64\n"
    );
    let zip = dir.join(".slsr/build/api.zip");
    assert_eq!(
        zip_files(&zip),
        [("bootstrap".to_string(), b"ELF arm64 api\n".to_vec())]
    );
    let mut archive = zip::ZipArchive::new(fs::File::open(&zip).unwrap()).unwrap();
    assert_eq!(
        archive.by_index(0).unwrap().unix_mode().map(|m| m & 0o777),
        Some(0o755)
    );
    // `target` is not an input: what the build wrote there does not make it build again.
    ok(run(slsr()
        .args(["build", "-f"])
        .arg(dir.join("slsr.yaml"))
        .env("PATH", &path)));
    assert_eq!(
        fs::read_to_string(dir.join("cargo.log"))
            .unwrap()
            .lines()
            .count(),
        1
    );
    // From a clean build directory, the same zip: copying the binary in as `bootstrap`
    // adds nothing of the time or the place.
    let clean = dir.join("build-b");
    ok(run(slsr()
        .args(["package", "--build-dir"])
        .arg(&clean)
        .arg("-f")
        .arg(dir.join("slsr.yaml"))
        .env("PATH", &path)));
    assert_eq!(code_sha256(&zip), code_sha256(&clean.join("api.zip")));
}

/// A token a build prints (a registry's, echoed by a verbose install) is masked in the
/// build's lines on stderr and in the tail the error quotes, as in every other output.
#[test]
fn a_token_a_build_prints_is_masked_in_its_lines_and_its_error() {
    let dir = scratch("build-secret");
    fs::create_dir_all(dir.join("src")).unwrap();
    fs::write(dir.join("src/app.py"), "def handler(e, c):\n    return 1\n").unwrap();
    let token = "ghp_16C7e42F292c6912E7710c838347Ae178B4a";
    let command = format!("echo fetching; echo {token}; exit 3");
    fs::write(
        dir.join("slsr.yaml"),
        command_spec(&command, "[\"app.py\"]"),
    )
    .unwrap();
    let out = run(slsr().args(["build", "-f"]).arg(dir.join("slsr.yaml")));
    assert_eq!(out.code, 1, "{}{}", out.stdout, out.stderr);
    // The command itself is the spec's, and names the token: only the lines it printed
    // are the build's output.
    let printed: Vec<&str> = out
        .stderr
        .lines()
        .filter(|l| l.starts_with("api | ") || l.starts_with("  "))
        .collect();
    assert!(printed.contains(&"api | fetching"), "{}", out.stderr);
    assert!(printed.contains(&"api | (sensitive)"), "{}", out.stderr);
    assert!(printed.contains(&"  (sensitive)"), "{}", out.stderr);
    assert!(printed.iter().all(|l| !l.contains(token)), "{}", out.stderr);
}
