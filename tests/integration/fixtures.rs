//! Bad-spec fixtures: each file in tests/fixtures/invalid is a spec with known problems,
//! next to the exact report slsr must print for it (`.expected`).
//!
//! Each fixture's first line, `# expect: E104 E102`, names the codes that must be in the
//! report, so a wrongly refreshed `.expected` file still fails. Refresh the reports with
//! `UPDATE_EXPECT=1 cargo test --test integration fixtures`, then read the diff.

use std::path::{Path, PathBuf};

use slsr::spec;
use slsr::spec::diag;

fn fixture_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/invalid")
}

fn no_env(name: &str) -> Option<String> {
    // One fixed variable so `${env:...}` fixtures do not depend on the machine.
    (name == "SLSR_FIXTURE_SET").then(|| "from-env".to_string())
}

/// The report for one fixture, as `slsr validate` prints it without colour.
fn report(relative: &Path) -> (String, Vec<String>) {
    let options = spec::Options {
        stage: None,
        region: Some("us-east-1".into()),
        account_id: None,
        ..Default::default()
    };
    match spec::load_file(relative, &options, &no_env) {
        Ok(loaded) => {
            let codes = loaded
                .diagnostics
                .iter()
                .map(|d| d.code.as_str().to_string())
                .collect();
            (diag::report_plain(&loaded.diagnostics, &loaded.file), codes)
        }
        Err(e) => (format!("error: {e}\n"), vec!["FILE".into()]),
    }
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
