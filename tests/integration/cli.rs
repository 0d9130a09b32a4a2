//! The `slsr` binary's command line without an account: validate and schema (exit codes,
//! one-line file errors, colour, stages, JSON diagnostics), the flags Terraform and
//! Serverless users bring (before or after the subcommand, short forms, `--no-color`,
//! `--param`, `--build-dir`, completions), and each command's help. No emulator needed.

use std::path::Path;

use crate::support::{run, scratch, slsr};

fn validate(path: &Path) -> crate::support::Run {
    run(slsr().arg("validate").arg("-f").arg(path))
}

#[test]
fn a_clean_example_exits_zero() {
    let out = run(slsr().args(["validate", "-f", "examples/orders/slsr.yaml"]));
    assert_eq!(out.code, 0, "{}", out.stderr);
    assert!(out.stderr.contains("no problems found"), "{}", out.stderr);
}

#[test]
fn an_error_exits_one_and_a_warning_alone_exits_zero() {
    let dir = scratch("exit-codes");
    std::fs::create_dir_all(dir.join("src")).unwrap();
    std::fs::write(
        dir.join("src/index.js"),
        "export const handler = async () => 200;\n",
    )
    .unwrap();
    let base = "service: shop\nfunctions:\n  api:\n    handler: index.handler\n    runtime: nodejs22.x\n    code: ./src\n";
    std::fs::write(dir.join("error.yaml"), format!("{base}    memory: 64\n")).unwrap();
    std::fs::write(
        dir.join("warning.yaml"),
        format!("{base}    timeout: 60\n    events:\n      - http: GET /\n"),
    )
    .unwrap();
    let error = validate(&dir.join("error.yaml"));
    assert_eq!(error.code, 1, "{}", error.stderr);
    assert!(
        error.stderr.contains("error[E104]") && error.stderr.contains("error.yaml:7:13"),
        "{}",
        error.stderr
    );
    let warning = validate(&dir.join("warning.yaml"));
    assert_eq!(warning.code, 0, "{}", warning.stderr);
    assert!(
        warning.stderr.contains("warning[W301]") && warning.stderr.contains("0 errors, 1 warning"),
        "{}",
        warning.stderr
    );
}

/// Files that cannot be checked at all: exit 1, with one clear line naming the file, or,
/// when the problem has a place in the file, that place and its line with a caret, as every
/// diagnostic shows it.
#[test]
fn unusable_files_get_one_line_errors_or_their_line_with_a_caret() {
    let dir = scratch("file-errors");
    // (file, bytes, what the error says, where it points and the line shown, if anywhere)
    type Case = (
        &'static str,
        Vec<u8>,
        &'static str,
        Option<(&'static str, &'static str)>,
    );
    let cases: Vec<Case> = vec![
        ("empty.yaml", b"".to_vec(), "is empty", None),
        (
            "comments.yaml",
            b"# nothing here yet\n\n".to_vec(),
            "is empty",
            None,
        ),
        (
            "list.yaml",
            b"- service: x\n".to_vec(),
            "must be a YAML mapping",
            Some(("1:1", "1 | - service: x")),
        ),
        (
            "scalar.yaml",
            b"just some text\n".to_vec(),
            "must be a YAML mapping",
            Some(("1:1", "1 | just some text")),
        ),
        (
            "tabs.yaml",
            b"service: x\nfunctions:\n\tapi:\n\t\thandler: a\n".to_vec(),
            "tab character",
            Some(("3:1", "3 |  api:")),
        ),
        (
            "binary.yaml",
            vec![0x7f, b'E', b'L', b'F', 0, 1, 2, 3],
            "binary",
            None,
        ),
        (
            "latin1.yaml",
            b"service: caf\xe9\n".to_vec(),
            "not UTF-8",
            None,
        ),
        (
            "broken.yaml",
            b"service: [x\nfunctions: {\n".to_vec(),
            "invalid YAML",
            Some(("2:10", "2 | functions: {")),
        ),
        (
            "two-docs.yaml",
            b"service: a\n---\nservice: b\n".to_vec(),
            "more than one YAML document",
            Some(("2:1", "2 | ---")),
        ),
    ];
    for (name, bytes, says, located) in cases {
        let path = dir.join(name);
        std::fs::write(&path, bytes).unwrap();
        let out = validate(&path);
        assert_eq!(out.code, 1, "{name}: {}", out.stderr);
        assert!(out.stderr.contains(says), "{name}: {}", out.stderr);
        match located {
            None => {
                assert_eq!(
                    out.stderr.lines().count(),
                    1,
                    "{name}: one line expected:\n{}",
                    out.stderr
                );
                assert!(out.stderr.contains(name), "{name}: {}", out.stderr);
            }
            Some((at, line)) => {
                assert!(
                    out.stderr.starts_with("error: ")
                        && out.stderr.lines().next().unwrap().contains(says)
                        && out
                            .stderr
                            .contains(&format!("--> {}:{at}\n", path.display()))
                        && out.stderr.contains(line)
                        && out.stderr.contains(" ^ "),
                    "{name}: the line with a caret expected:\n{}",
                    out.stderr
                );
            }
        }
    }
    let missing = validate(&dir.join("absent.yaml"));
    assert_eq!(missing.code, 1);
    assert!(
        missing.stderr.contains("absent.yaml: no such file"),
        "{}",
        missing.stderr
    );
    let directory = validate(&dir);
    assert_eq!(directory.code, 1);
    assert!(
        directory.stderr.contains("is a directory"),
        "{}",
        directory.stderr
    );
}

#[test]
fn tab_error_names_the_line() {
    let dir = scratch("tab-line");
    std::fs::write(dir.join("s.yaml"), "service: x\nfunctions:\n\tapi: {}\n").unwrap();
    let out = validate(&dir.join("s.yaml"));
    assert!(
        out.stderr
            .starts_with("error: tab character in indentation")
            && out.stderr.contains("s.yaml:3:1\n"),
        "{}",
        out.stderr
    );
}

#[test]
fn colour_only_when_asked_for_and_never_with_no_color() {
    let dir = scratch("colour");
    std::fs::write(
        dir.join("s.yaml"),
        "service: shop\nfunctions:\n  api: {image: x, memory: 64}\n",
    )
    .unwrap();
    let piped = validate(&dir.join("s.yaml"));
    assert!(
        !piped.stderr.contains('\u{1b}'),
        "no colour in a pipe: {:?}",
        piped.stderr
    );
    // CLICOLOR_FORCE stands in for a terminal here.
    let forced = run(slsr()
        .env_remove("NO_COLOR")
        .env("CLICOLOR_FORCE", "1")
        .args(["validate", "-f"])
        .arg(dir.join("s.yaml")));
    assert!(
        forced.stderr.contains("\u{1b}["),
        "colour when forced: {:?}",
        forced.stderr
    );
    let both = run(slsr()
        .env("NO_COLOR", "1")
        .env("CLICOLOR_FORCE", "1")
        .args(["validate", "-f"])
        .arg(dir.join("s.yaml")));
    assert!(
        !both.stderr.contains('\u{1b}'),
        "NO_COLOR wins over CLICOLOR_FORCE: {:?}",
        both.stderr
    );
}

#[test]
fn stage_flag_chooses_params_and_names() {
    let dir = scratch("stage");
    std::fs::create_dir_all(dir.join("src")).unwrap();
    std::fs::write(dir.join("src/a.py"), "def b(event, context): pass\n").unwrap();
    let spec = "service: shop\nparams:\n  default: {memory: 256}\n  prod: {memory: 99999}\nfunctions:\n  api:\n    handler: a.b\n    runtime: python3.12\n    code: ./src\n    memory: ${param:memory}\n";
    std::fs::write(dir.join("s.yaml"), spec).unwrap();
    let dev = validate(&dir.join("s.yaml"));
    assert_eq!(dev.code, 0, "{}", dev.stderr);
    let prod = run(slsr()
        .args(["validate", "--stage", "prod", "-f"])
        .arg(dir.join("s.yaml")));
    assert_eq!(prod.code, 1);
    assert!(
        prod.stderr.contains("found 99999") && prod.stderr.contains("s.yaml:10:13"),
        "{}",
        prod.stderr
    );
}

#[test]
fn env_references_resolve_from_the_environment() {
    let dir = scratch("env-ref");
    std::fs::create_dir_all(dir.join("src")).unwrap();
    std::fs::write(dir.join("src/a.py"), "def b(event, context): pass\n").unwrap();
    let spec = "service: shop\nfunctions:\n  api:\n    handler: a.b\n    runtime: python3.12\n    code: ./src\n    memory: ${env:SLSR_TEST_MEMORY}\n    timeout: ${env:SLSR_TEST_UNSET, 5}\n";
    std::fs::write(dir.join("s.yaml"), spec).unwrap();
    let unset = validate(&dir.join("s.yaml"));
    assert_eq!(unset.code, 1);
    assert!(
        unset
            .stderr
            .contains("environment variable `SLSR_TEST_MEMORY` is not set")
            && unset.stderr.contains("s.yaml:7:13"),
        "{}",
        unset.stderr
    );
    let set = run(slsr()
        .env("SLSR_TEST_MEMORY", "512")
        .args(["validate", "-f"])
        .arg(dir.join("s.yaml")));
    assert_eq!(set.code, 0, "{}", set.stderr);
}

#[test]
fn schema_command_prints_the_checked_in_schema() {
    let out = run(slsr().arg("schema"));
    assert_eq!(out.code, 0);
    let checked_in = std::fs::read_to_string(
        Path::new(env!("CARGO_MANIFEST_DIR")).join("schema/slsr.schema.json"),
    )
    .unwrap();
    assert!(
        out.stdout == checked_in,
        "schema/slsr.schema.json is stale: run `cargo run -- schema > schema/slsr.schema.json`"
    );
}

#[test]
fn diagnostics_show_control_characters_escaped_with_the_marks_in_place() {
    let dir = scratch("hostile-diagnostics");
    // A raw ESC and BEL in the line of an error, and an invalid route made of them.
    std::fs::write(
        dir.join("s.yaml"),
        "service: shop\nfunctions:\n  api: {image: x, description: \"\u{1b}[2J\u{7}\", memory: 64}\n  web:\n    image: x\n    events:\n      - http: \"get /x\\e[2J\\r\"\n",
    )
    .unwrap();
    let out = run(slsr()
        .env_remove("NO_COLOR")
        .env("CLICOLOR_FORCE", "1")
        .args(["validate", "-f"])
        .arg(dir.join("s.yaml")));
    assert_eq!(out.code, 1, "{}", out.stderr);
    // Colour styles are `ESC [ digits m`; any other ESC, and any CR or BEL, is the spec's.
    let styles = regex_lite::Regex::new("\u{1b}\\[[0-9;]*m").unwrap();
    let shown = styles.replace_all(&out.stderr, "").into_owned();
    assert!(
        !shown.contains(['\u{1b}', '\r', '\u{7}']),
        "raw control characters in:\n{:?}",
        out.stderr
    );
    assert!(
        shown.contains("invalid route `get /x\\u{1b}[2J\\u{d}`"),
        "{shown}"
    );
    let lines: Vec<&str> = shown.lines().collect();
    let source = lines
        .iter()
        .position(|l| l.contains("memory: 64"))
        .unwrap_or_else(|| panic!("{shown}"));
    assert!(lines[source].contains("\\u{1b}[2J\\u{7}"), "{shown}");
    let value_at = lines[source].find("64").unwrap();
    assert_eq!(
        lines[source + 1].find('^'),
        Some(value_at),
        "the mark stays under the value:\n{shown}"
    );
}

/// A 50 KB spec whose aliases of one long string would expand to 1.5 GB, and a 200 KB one
/// whose repeated `${param:...}` would make 1 GB of env values: both refused at once, with
/// the line where the bound was crossed.
#[test]
fn specs_that_expand_to_gigabytes_are_refused_quickly() {
    let dir = scratch("expansion-bombs");
    let list = |alias: &str, n: usize| vec![alias; n].join(", ");
    let aliases = format!(
        "service: bomb\nparams:\n  default:\n    a: &a \"{}\"\n    b: &b [{}]\n    c: &c [{}]\n    d: [{}]\nfunctions: {{}}\n",
        "x".repeat(50_000),
        list("*a", 100),
        list("*b", 100),
        list("*c", 3)
    );
    let refs = "${param:s}".repeat(100);
    let env: String = (0..100)
        .map(|i| format!("      V{i}: \"{refs}\"\n"))
        .collect();
    let references = format!(
        "service: bomb\nparams:\n  default:\n    s: \"{}\"\nfunctions:\n  api:\n    image: x\n    env:\n{env}",
        "y".repeat(100_000)
    );
    for (name, text, says) in [
        ("aliases.yaml", aliases, "aliases.yaml:6:20\n"),
        ("references.yaml", references, "references.yaml:10:"),
    ] {
        let path = dir.join(name);
        std::fs::write(&path, text).unwrap();
        let started = std::time::Instant::now();
        let out = validate(&path);
        let took = started.elapsed();
        assert_eq!(out.code, 1, "{name}: {}", out.stderr);
        // The message, then the place and its line with a caret.
        assert!(out.stderr.contains(says), "{name}: {}", out.stderr);
        assert!(
            out.stderr
                .lines()
                .next()
                .unwrap()
                .contains("16 MiB of text"),
            "{name}: {}",
            out.stderr
        );
        assert!(
            took < std::time::Duration::from_secs(5),
            "{name} took {took:?} to refuse"
        );
    }
}

/// `code` outside the project, by an absolute path, by `..` or through a symlink: a located
/// error; inside the spec's git repository or a directory the spec allows: accepted.
#[test]
fn code_outside_the_project_is_an_error_unless_allowed() {
    use std::os::unix::fs::symlink;
    let dir = scratch("code-outside");
    let project = dir.join("repo/services/shop");
    std::fs::create_dir_all(project.join("src")).unwrap();
    std::fs::create_dir_all(dir.join("repo/libs/common")).unwrap();
    std::fs::create_dir_all(dir.join("shared-libs")).unwrap();
    symlink("/etc", project.join("link-to-etc")).unwrap();
    // `handler: a.b` is in a.py: each directory the spec may package holds it.
    for code in ["repo/services/shop/src", "repo/libs/common", "shared-libs"] {
        std::fs::write(dir.join(code).join("a.py"), "def b(event, context): pass\n").unwrap();
    }
    let depth = project.components().count();
    let spec = |functions: &str, extra: &str| {
        format!(
            "service: shop\ndefaults: {{handler: a.b, runtime: python3.12}}\n{extra}functions:\n{functions}"
        )
    };
    let outside = format!(
        "  etc: {{code: /etc/apt}}\n  up: {{code: {}}}\n  link: {{code: ./link-to-etc}}\n  repo: {{code: ../../libs/common}}\n  shared: {{code: ../../../shared-libs}}\n  own: {{code: ./src}}\n",
        "../".repeat(depth)
    );
    std::fs::write(project.join("slsr.yaml"), spec(&outside, "")).unwrap();
    let out = validate(&project.join("slsr.yaml"));
    assert_eq!(out.code, 1, "{}", out.stderr);
    let real = dir.canonicalize().unwrap();
    for (line, resolved) in [
        (4, "/etc/apt".to_string()),
        (5, "/".to_string()),
        (6, "/etc".to_string()),
        (7, format!("{}/repo/libs/common", real.display())),
        (8, format!("{}/shared-libs", real.display())),
    ] {
        assert!(
            out.stderr.contains(&format!("slsr.yaml:{line}:"))
                && out
                    .stderr
                    .contains(&format!("resolves to {resolved}, outside the project")),
            "line {line}, {resolved}: {}",
            out.stderr
        );
    }
    assert!(
        out.stderr.contains("5 errors") && out.stderr.contains("package: {allow_outside:"),
        "{}",
        out.stderr
    );

    // Inside the git repository that holds the spec (a worktree's `.git` is a file), and in
    // a directory the spec allows: accepted. The link to /etc stays an error.
    std::fs::write(dir.join("repo/.git"), "gitdir: elsewhere\n").unwrap();
    std::fs::write(
        project.join("slsr.yaml"),
        spec(
            &outside,
            "package: {allow_outside: [../../../shared-libs]}\n",
        ),
    )
    .unwrap();
    let out = validate(&project.join("slsr.yaml"));
    assert_eq!(out.code, 1, "{}", out.stderr);
    assert!(
        out.stderr.contains("3 errors")
            && out.stderr.contains("resolves to /etc, outside")
            && !out.stderr.contains("libs/common, outside")
            && !out.stderr.contains("shared-libs, outside"),
        "{}",
        out.stderr
    );
}

/// The spec of the stage test: `prod`'s memory is out of range.
const STAGED: &str = "service: shop\nparams:\n  default: {memory: 256}\n  prod: {memory: 99999}\nfunctions:\n  api:\n    handler: a.b\n    runtime: python3.12\n    code: ./src\n    memory: ${param:memory}\n";

/// Terraform's and Serverless's habit: the shared flags before the subcommand work as after
/// it, with their short forms; one a subcommand does not take is refused, not dropped.
#[test]
fn shared_flags_go_before_or_after_the_subcommand() {
    let dir = scratch("flags-anywhere");
    std::fs::create_dir_all(dir.join("src")).unwrap();
    std::fs::write(dir.join("src/a.py"), "def b(e, c): pass\n").unwrap();
    std::fs::write(dir.join("s.yaml"), STAGED).unwrap();
    let spec = dir.join("s.yaml");
    let spec = spec.to_str().unwrap();
    for args in [
        vec!["-f", spec, "-s", "prod", "validate"],
        vec!["--file", spec, "validate", "--stage", "prod"],
        vec!["validate", "-s", "prod", "-f", spec],
    ] {
        let out = run(slsr().args(&args));
        assert_eq!(out.code, 1, "{args:?}: {}", out.stderr);
        assert!(
            out.stderr.contains("found 99999") && out.stderr.contains("s.yaml:10:13"),
            "{args:?}: {}",
            out.stderr
        );
    }
    let region = run(slsr().args(["-r", "eu-west-1", "plan", "--offline", "-f", spec]));
    assert_eq!(region.code, 0, "{}", region.stderr);
    assert!(
        region.stdout.lines().next().unwrap().ends_with("eu-west-1"),
        "{}",
        region.stdout
    );
    let refused = run(slsr().args(["--profile", "ops", "validate", "-f", spec]));
    assert_eq!(refused.code, 2, "{}", refused.stderr);
    assert!(
        refused
            .stderr
            .contains("--profile does not apply to `slsr validate`"),
        "{}",
        refused.stderr
    );
}

/// Each command's help lists only the flags it takes.
#[test]
fn each_help_lists_only_its_own_flags() {
    let help = |command: &str| run(slsr().args([command, "--help"])).stdout;
    let unlock = help("unlock");
    assert!(unlock.contains("--lock-table"), "{unlock}");
    assert!(
        !unlock.contains("--lock-timeout") && !unlock.contains("--lock-lease"),
        "{unlock}"
    );
    let validate = help("validate");
    assert!(
        !validate.contains("--profile") && !validate.contains("--endpoint-url"),
        "{validate}"
    );
    assert!(!help("schema").contains("--file"));
    let destroy = help("destroy");
    assert!(
        !destroy.to_lowercase().contains("apply"),
        "destroy's help in apply's words:\n{destroy}"
    );
    assert!(destroy.contains("--auto-approve"), "{destroy}");
}

/// `--no-color` before or after the subcommand turns colour off even when it is forced.
#[test]
fn no_color_flag_turns_colour_off() {
    let dir = scratch("no-color-flag");
    std::fs::write(
        dir.join("s.yaml"),
        "service: shop\nfunctions:\n  api: {image: x, memory: 64}\n",
    )
    .unwrap();
    let forced = || {
        let mut cmd = slsr();
        cmd.env_remove("NO_COLOR").env("CLICOLOR_FORCE", "1");
        cmd
    };
    let coloured = run(forced().args(["validate", "-f"]).arg(dir.join("s.yaml")));
    assert!(coloured.stderr.contains("\u{1b}["), "{:?}", coloured.stderr);
    for args in [
        ["--no-color", "validate", "-f"],
        ["validate", "--no-color", "-f"],
    ] {
        let plain = run(forced().args(args).arg(dir.join("s.yaml")));
        assert_eq!(plain.code, 1, "{}", plain.stderr);
        assert!(
            plain.stderr.contains("error[E104]") && !plain.stderr.contains('\u{1b}'),
            "{args:?}: {:?}",
            plain.stderr
        );
    }
    let plan = run(forced().args([
        "plan",
        "--offline",
        "--no-color",
        "-f",
        "examples/hello-http/slsr.yaml",
    ]));
    assert_eq!(plan.code, 0, "{}", plan.stderr);
    assert!(!plan.stdout.contains('\u{1b}'), "{:?}", plan.stdout);
}

/// `validate --format json`: every problem with its file, line, column, code, severity and
/// message, on stdout; the exit code is the text format's.
#[test]
fn validate_speaks_json_for_tools() {
    let dir = scratch("validate-json");
    std::fs::create_dir_all(dir.join("src")).unwrap();
    std::fs::write(
        dir.join("src/index.js"),
        "exports.handler = async () => ({});\n",
    )
    .unwrap();
    let base = "service: shop\nfunctions:\n  api:\n    handler: index.handler\n    runtime: nodejs22.x\n    code: ./src\n";
    std::fs::write(dir.join("bad.yaml"), format!("{base}    memory: 64\n")).unwrap();
    std::fs::write(
        dir.join("warn.yaml"),
        format!("{base}    timeout: 60\n    events:\n      - http: GET /\n"),
    )
    .unwrap();
    let json = |file: &str| {
        let out = run(slsr()
            .args(["validate", "--format", "json", "-f"])
            .arg(dir.join(file)));
        assert!(out.stderr.is_empty(), "{file}: {}", out.stderr);
        let doc: serde_json::Value = serde_json::from_str(&out.stdout)
            .unwrap_or_else(|e| panic!("{file}: {e}: {}", out.stdout));
        (out.code, doc)
    };
    let (code, bad) = json("bad.yaml");
    assert_eq!(code, 1);
    assert_eq!(
        (bad["valid"].as_bool(), bad["errors"].as_u64()),
        (Some(false), Some(1))
    );
    let d = &bad["diagnostics"][0];
    assert!(d["file"].as_str().unwrap().ends_with("bad.yaml"), "{d}");
    assert_eq!(
        (d["line"].as_u64(), d["column"].as_u64()),
        (Some(7), Some(13)),
        "{d}"
    );
    assert_eq!(
        (d["code"].as_str(), d["severity"].as_str()),
        (Some("E104"), Some("error"))
    );
    assert!(
        d["message"]
            .as_str()
            .unwrap()
            .contains("must be between 128 and 10240"),
        "{d}"
    );
    let (code, warned) = json("warn.yaml");
    assert_eq!(code, 0);
    assert_eq!(warned["valid"], true);
    assert_eq!(warned["diagnostics"][0]["code"], "W301");
    assert_eq!(warned["diagnostics"][0]["severity"], "warning");
    let (code, missing) = json("absent.yaml");
    assert_eq!(code, 1);
    assert_eq!(missing["diagnostics"][0]["severity"], "error");
    assert!(
        missing["diagnostics"][0]["message"]
            .as_str()
            .unwrap()
            .contains("no such file"),
        "{missing}"
    );
}

/// `--param KEY=VALUE` wins over the stage's value, typed as YAML types it; a key the spec
/// does not declare is an error naming the file, the line of `params:` and the key.
#[test]
fn param_flag_overrides_a_declared_param() {
    let dir = scratch("param-flag");
    std::fs::create_dir_all(dir.join("src")).unwrap();
    std::fs::write(dir.join("src/a.py"), "def b(e, c): pass\n").unwrap();
    std::fs::write(dir.join("s.yaml"), STAGED).unwrap();
    let spec = dir.join("s.yaml");
    let plan = |extra: &[&str]| {
        run(slsr()
            .args(["plan", "--offline", "--format", "json", "-f"])
            .arg(&spec)
            .args(extra))
    };
    let memory = |out: &crate::support::Run| -> serde_json::Value {
        let plan: serde_json::Value = serde_json::from_str(&out.stdout).unwrap();
        let function = plan["changes"]
            .as_array()
            .unwrap()
            .iter()
            .find(|c| c["address"] == "function.api")
            .unwrap()
            .clone();
        function["diffs"]
            .as_array()
            .unwrap()
            .iter()
            .find(|d| d["path"] == "memory")
            .map(|d| d["after"].clone())
            .unwrap()
    };
    let set = plan(&["--param", "memory=512"]);
    assert_eq!(set.code, 0, "{}", set.stderr);
    assert_eq!(memory(&set), serde_json::json!(512));
    // Over prod's own (invalid) value too.
    let prod = plan(&["-s", "prod", "--param", "memory=1024"]);
    assert_eq!(prod.code, 0, "{}", prod.stderr);
    assert_eq!(memory(&prod), serde_json::json!(1024));
    let low = run(slsr()
        .args(["validate", "--param", "memory=64", "-f"])
        .arg(&spec));
    assert_eq!(low.code, 1);
    assert!(low.stderr.contains("found 64"), "{}", low.stderr);
    let unknown = plan(&["--param", "memroy=512"]);
    assert_eq!(unknown.code, 1);
    assert!(
        unknown.stderr.contains("error: --param memroy")
            && unknown.stderr.contains("s.yaml:2:1")
            && unknown
                .stderr
                .contains("declare no `memroy` (it declares memory)"),
        "{}",
        unknown.stderr
    );
    let malformed = plan(&["--param", "memory"]);
    assert_eq!(malformed.code, 2);
    assert!(
        malformed.stderr.contains("is not KEY=VALUE"),
        "{}",
        malformed.stderr
    );
}

/// `slsr completions SHELL` prints a script that completes the subcommands.
#[test]
fn completions_for_bash_zsh_and_fish() {
    for (shell, marker) in [
        ("bash", "complete -F _slsr"),
        ("zsh", "#compdef slsr"),
        ("fish", "complete -c slsr"),
    ] {
        let out = run(slsr().args(["completions", shell]));
        assert_eq!(out.code, 0, "{shell}: {}", out.stderr);
        assert!(
            out.stdout.contains(marker) && out.stdout.contains("destroy"),
            "{shell}: {}",
            &out.stdout[..out.stdout.len().min(400)]
        );
    }
}

/// A read-only checkout plans offline with the zips built elsewhere (`--build-dir` or
/// SLSR_BUILD_DIR); without one, the error names the directory and the way out.
#[test]
fn a_read_only_checkout_plans_with_a_build_dir() {
    use std::os::unix::fs::PermissionsExt;
    use std::os::unix::process::CommandExt;
    let dir = scratch("read-only");
    let checkout = dir.join("hello-http");
    std::fs::create_dir_all(checkout.join("src")).unwrap();
    let example = Path::new(env!("CARGO_MANIFEST_DIR")).join("examples/hello-http");
    std::fs::copy(example.join("slsr.yaml"), checkout.join("slsr.yaml")).unwrap();
    for entry in std::fs::read_dir(example.join("src")).unwrap() {
        let entry = entry.unwrap();
        std::fs::copy(entry.path(), checkout.join("src").join(entry.file_name())).unwrap();
    }
    let build = dir.join("build");
    std::fs::create_dir_all(&build).unwrap();
    std::fs::set_permissions(&build, std::fs::Permissions::from_mode(0o777)).unwrap();
    let status = std::process::Command::new("chmod")
        .args(["-R", "a-w"])
        .arg(&checkout)
        .status()
        .unwrap();
    assert!(status.success());
    // Root writes through modes: run slsr as nobody then, as a CI user would be.
    let plan = |extra: &[&str], env: Option<&Path>| {
        let mut cmd = slsr();
        if unsafe { libc::geteuid() } == 0 {
            cmd.uid(65534).gid(65534);
        }
        if let Some(env) = env {
            cmd.env("SLSR_BUILD_DIR", env);
        }
        run(cmd
            .args(["plan", "--offline", "-f"])
            .arg(checkout.join("slsr.yaml"))
            .args(extra))
    };
    let refused = plan(&[], None);
    assert_eq!(refused.code, 1, "{}{}", refused.stdout, refused.stderr);
    assert!(
        refused.stderr.contains(&format!(
            "cannot write the zips to {}",
            checkout.join(".slsr/build").display()
        )) && refused.stderr.contains("--build-dir DIR"),
        "{}",
        refused.stderr
    );
    let flag = build.join("flag");
    let planned = plan(&["--build-dir", flag.to_str().unwrap()], None);
    assert_eq!(planned.code, 0, "{}", planned.stderr);
    assert!(
        planned.stdout.contains("+ function.hello"),
        "{}",
        planned.stdout
    );
    assert!(flag.join("hello.zip").is_file());
    let from_env = build.join("env");
    let planned = plan(&[], Some(&from_env));
    assert_eq!(planned.code, 0, "{}", planned.stderr);
    assert!(from_env.join("hello.zip").is_file());
    assert!(!checkout.join(".slsr").exists());
}
