//! Bad-spec fixtures: each file in tests/fixtures/invalid is a spec with known problems,
//! next to the exact report `slsr validate` must print for it (`.expected`). The report is
//! taken from the real binary's stderr, so what is checked is what a user sees.
//!
//! Each fixture's first line, `# expect: E104 E102`, names the codes that must be in the
//! report, so a wrongly refreshed `.expected` file still fails. Refresh the reports with
//! `UPDATE_EXPECT=1 cargo test --test integration fixtures`, then read the diff.
//!
//! Fixtures name code directories beside them (`./src`, `./handlers`, ...), which hold the
//! files their handlers need, so that a report shows only the problem the fixture is about.

use std::path::{Path, PathBuf};

use slsr::spec;
use slsr::spec::diag;

use crate::support::{run, slsr};

fn fixture_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/invalid")
}

/// The report for one fixture, as `slsr validate` prints it without colour, and the codes
/// in it (`FILE` for a file that cannot be checked at all).
fn report(relative: &Path) -> (String, Vec<String>) {
    let mut cmd = slsr();
    // One fixed variable so `${env:...}` fixtures do not depend on the machine.
    cmd.env("SLSR_FIXTURE_SET", "from-env")
        .env_remove("SLSR_FIXTURE_UNSET_A")
        .env_remove("SLSR_FIXTURE_STRIPE_KEY")
        .args(["validate", "--region", "us-east-1", "-f"])
        .arg(relative);
    let out = run(&mut cmd);
    assert!(
        out.stdout.is_empty(),
        "{}: validate prints to stderr only:\n{}",
        relative.display(),
        out.stdout
    );
    let mut codes: Vec<String> = out
        .stderr
        .lines()
        .filter_map(|line| {
            let rest = line
                .strip_prefix("error[")
                .or_else(|| line.strip_prefix("warning["))?;
            rest.split_once(']').map(|(code, _)| code.to_string())
        })
        .collect();
    if codes.is_empty() && out.stderr.starts_with("error: ") {
        codes.push("FILE".into());
    }
    (out.stderr, codes)
}

#[test]
fn every_bad_spec_gets_its_exact_diagnostics() {
    std::env::set_current_dir(env!("CARGO_MANIFEST_DIR")).unwrap();
    let update = std::env::var_os("UPDATE_EXPECT").is_some();
    let mut fixtures: Vec<PathBuf> = std::fs::read_dir(fixture_dir())
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "yaml"))
        .collect();
    fixtures.sort();
    assert!(
        fixtures.len() >= 30,
        "expected at least 30 fixtures, found {}",
        fixtures.len()
    );
    let mut failures = Vec::new();
    for path in &fixtures {
        let relative = path.strip_prefix(env!("CARGO_MANIFEST_DIR")).unwrap();
        let text = std::fs::read_to_string(path).unwrap();
        let wanted: Vec<&str> = text
            .lines()
            .next()
            .and_then(|l| l.strip_prefix("# expect:"))
            .unwrap_or_else(|| panic!("{} must start with `# expect: CODES`", relative.display()))
            .split_whitespace()
            .collect();
        let (actual, codes) = report(relative);
        for code in &wanted {
            if !codes.iter().any(|c| c == code) {
                failures.push(format!(
                    "{}: expected a {code} diagnostic, got {codes:?}\n{actual}",
                    relative.display()
                ));
            }
        }
        if !actual.contains("error") {
            failures.push(format!(
                "{}: a bad spec must get at least one error\n{actual}",
                relative.display()
            ));
        }
        let expected_path = path.with_extension("expected");
        if update {
            std::fs::write(&expected_path, &actual).unwrap();
            continue;
        }
        let expected = std::fs::read_to_string(&expected_path).unwrap_or_default();
        if expected != actual {
            failures.push(format!(
                "{}: report differs from {}\n--- expected\n{expected}\n--- actual\n{actual}",
                relative.display(),
                expected_path.display()
            ));
        }
    }
    assert!(
        failures.is_empty(),
        "{} fixture(s) failed:\n\n{}",
        failures.len(),
        failures.join("\n\n")
    );
}

#[test]
fn every_example_validates_cleanly() {
    let examples = Path::new(env!("CARGO_MANIFEST_DIR")).join("examples");
    let mut seen = 0;
    for entry in std::fs::read_dir(&examples).unwrap() {
        let spec_path = entry.unwrap().path().join("slsr.yaml");
        if !spec_path.exists() {
            continue;
        }
        seen += 1;
        for stage in [None, Some("prod".to_string())] {
            let options = spec::Options {
                stage: stage.clone(),
                region: None,
                account_id: None,
                ..Default::default()
            };
            let loaded = spec::load_file(&spec_path, &options, &|_| None).unwrap();
            assert!(
                loaded.diagnostics.is_empty(),
                "{} (stage {stage:?}):\n{}",
                spec_path.display(),
                diag::report_plain(&loaded.diagnostics, &loaded.file)
            );
            assert!(loaded.project.is_some());
        }
    }
    assert!(seen >= 3, "expected at least three examples, found {seen}");
}
