//! `slsr package`: deterministic zips, whatever the files' times, order, permissions or
//! location; exclusions, symlinks, limits, ready-made zips, and reuse of unchanged zips.

use std::fs;
use std::os::unix::fs::{PermissionsExt, symlink};
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, SystemTime};

use base64::Engine;
use sha2::{Digest, Sha256};

use crate::support::{Run, run, scratch, slsr};

const SPEC: &str = "service: shop\nfunctions:\n  api:\n    handler: bootstrap\n    runtime: provided.al2023\n    code: ./app\n";

/// The files of a small app, in the order given (the order they are created in).
const FILES: &[(&str, &str, bool)] = &[
    (
        "bootstrap",
        "#!/bin/sh\necho \"hello from bootstrap\"\n",
        true,
    ),
    ("lib/util.py", "def add(a, b):\n    return a + b\n", false),
    ("lib/data/table.json", "{\"rows\": [1, 2, 3]}\n", false),
    ("bin/tool", "#!/bin/sh\nexit 0\n", true),
    ("README.txt", "a small app\n", false),
];

/// Writes the app under `dir/app` with a spec beside it; `mode` decides permissions (the
/// same executable bits under another umask), `reverse` the creation order.
fn write_app(dir: &Path, reverse: bool, exec_mode: u32, plain_mode: u32) -> PathBuf {
    let app = dir.join("app");
    let mut files: Vec<_> = FILES.to_vec();
    if reverse {
        files.reverse();
    }
    for (name, content, executable) in files {
        let path = app.join(name);
        fs::create_dir_all(path.parent().unwrap()).unwrap();
        fs::write(&path, content).unwrap();
        let mode = if executable { exec_mode } else { plain_mode };
        fs::set_permissions(&path, fs::Permissions::from_mode(mode)).unwrap();
    }
    symlink("lib/util.py", app.join("util.py")).unwrap();
    fs::write(dir.join("slsr.yaml"), SPEC).unwrap();
    dir.join("slsr.yaml")
}

fn package(spec: &Path, extra: &[&str]) -> Run {
    let out = run(slsr().arg("package").arg("-f").arg(spec).args(extra));
    assert_eq!(
        out.code, 0,
        "slsr package failed:\n{}{}",
        out.stdout, out.stderr
    );
    out
}

fn zip_of(spec: &Path) -> Vec<u8> {
    fs::read(spec.parent().unwrap().join(".slsr/build/api.zip")).unwrap()
}

fn code_sha256(bytes: &[u8]) -> String {
    base64::engine::general_purpose::STANDARD.encode(Sha256::digest(bytes))
}

#[test]
fn zips_are_byte_identical_whatever_the_times_order_permissions_and_place() {
    let base = scratch("det-base");
    let spec = write_app(&base, false, 0o755, 0o644);
    package(&spec, &[]);
    let reference = zip_of(&spec);

    // Repeated runs, rebuilding each time.
    package(&spec, &["--force"]);
    assert!(zip_of(&spec) == reference, "a second build differs");

    // Other modification times.
    for (i, (name, _, _)) in FILES.iter().enumerate() {
        let file = fs::File::options()
            .write(true)
            .open(base.join("app").join(name))
            .unwrap();
        file.set_modified(SystemTime::UNIX_EPOCH + Duration::from_secs(1_000_000 * (i as u64 + 7)))
            .unwrap();
    }
    package(&spec, &["--force"]);
    assert!(zip_of(&spec) == reference, "new mtimes changed the zip");

    // Created in the opposite order, in another directory.
    let reversed = scratch("det-reversed");
    let spec2 = write_app(&reversed, true, 0o755, 0o644);
    package(&spec2, &[]);
    assert!(
        zip_of(&spec2) == reference,
        "creation order or location changed the zip"
    );

    // Written under umask 077: the same executable bits, other group and world bits.
    let umask = scratch("det-umask");
    let spec3 = write_app(&umask, false, 0o700, 0o600);
    package(&spec3, &[]);
    assert!(
        zip_of(&spec3) == reference,
        "permissions beyond the executable bit changed the zip"
    );

    // A copy of the tree made by cp (new inodes, new times).
    let copy = scratch("det-copy");
    let status = Command::new("cp")
        .arg("-r")
        .arg(base.join("app"))
        .arg(&copy)
        .status()
        .unwrap();
    assert!(status.success());
    fs::write(copy.join("slsr.yaml"), SPEC).unwrap();
    package(&copy.join("slsr.yaml"), &[]);
    assert!(
        zip_of(&copy.join("slsr.yaml")) == reference,
        "a copy of the tree gave another zip"
    );
}

#[test]
fn the_zip_tests_clean_and_runs_as_lambda_would() {
    let dir = scratch("runs");
    let spec = write_app(&dir, false, 0o755, 0o644);
    let out = package(&spec, &[]);
    let zip = dir.join(".slsr/build/api.zip");
    let bytes = fs::read(&zip).unwrap();
    assert!(
        out.stdout
            .contains(&format!("CodeSha256 {}", code_sha256(&bytes))),
        "{}",
        out.stdout
    );

    let tested = Command::new("unzip").arg("-t").arg(&zip).output().unwrap();
    assert!(
        tested.status.success(),
        "{}",
        String::from_utf8_lossy(&tested.stdout)
    );
    let extracted = dir.join("task");
    let unzipped = Command::new("unzip")
        .arg("-q")
        .arg(&zip)
        .arg("-d")
        .arg(&extracted)
        .output()
        .unwrap();
    assert!(unzipped.status.success());
    let mode = |p: &str| {
        fs::symlink_metadata(extracted.join(p))
            .unwrap()
            .permissions()
            .mode()
            & 0o777
    };
    assert_eq!(mode("bootstrap"), 0o755);
    assert_eq!(mode("bin/tool"), 0o755);
    assert_eq!(mode("lib/util.py"), 0o644);
    // The link inside the tree is stored as the file it points to.
    assert_eq!(mode("util.py"), 0o644);
    assert_eq!(
        fs::read(extracted.join("util.py")).unwrap(),
        fs::read(extracted.join("lib/util.py")).unwrap()
    );
    let ran = Command::new(extracted.join("bootstrap")).output().unwrap();
    assert_eq!(
        String::from_utf8_lossy(&ran.stdout),
        "hello from bootstrap\n"
    );
}

#[test]
fn more_threads_give_the_same_bytes() {
    let dir = scratch("threads");
    let spec = write_app(&dir, false, 0o755, 0o644);
    for i in 0..200 {
        fs::write(
            dir.join("app/lib").join(format!("m{i}.py")),
            format!("x = {i}\n").repeat(i + 1),
        )
        .unwrap();
    }
    let options = slsr::spec::Options::default();
    let project = slsr::spec::load_file(&spec, &options, &|_| None)
        .unwrap()
        .project
        .unwrap();
    let mut shas = Vec::new();
    for threads in [1, 2, 8] {
        let out = dir.join(format!("out{threads}"));
        let mut packager =
            slsr::package::Packager::new(&project, Some(&out), true).with_threads(threads);
        match packager.code(&project, "api").unwrap() {
            slsr::package::CodeIdentity::Zip(p) => shas.push(p.code_sha256),
            other => panic!("{other:?}"),
        }
    }
    assert!(shas.windows(2).all(|w| w[0] == w[1]), "{shas:?}");
}

fn listing(zip: &Path) -> String {
    String::from_utf8(
        Command::new("unzip")
            .arg("-Z1")
            .arg(zip)
            .output()
            .unwrap()
            .stdout,
    )
    .unwrap()
}

#[test]
fn git_slsr_and_excluded_files_stay_out() {
    let dir = scratch("exclude");
    let spec = write_app(&dir, false, 0o755, 0o644);
    for extra in [
        ".git/HEAD",
        "lib/.git/config",
        ".slsr/build/old.zip",
        "lib/cache.pyc",
        "tests/test_util.py",
        "tests/data/x.json",
    ] {
        let path = dir.join("app").join(extra);
        fs::create_dir_all(path.parent().unwrap()).unwrap();
        fs::write(path, "excluded").unwrap();
    }
    fs::write(&spec, format!("{SPEC}    exclude: ['*.pyc', tests]\n")).unwrap();
    package(&spec, &[]);
    let names = listing(&dir.join(".slsr/build/api.zip"));
    for gone in [".git", ".slsr", ".pyc", "tests/"] {
        assert!(!names.contains(gone), "{gone} should be excluded:\n{names}");
    }
    assert!(
        names.contains("lib/util.py") && names.contains("bootstrap"),
        "{names}"
    );

    // `exclude` in defaults applies to every function.
    fs::write(&spec, "service: shop\ndefaults: {exclude: ['README.txt']}\nfunctions:\n  api: {handler: bootstrap, runtime: provided.al2023, code: ./app}\n").unwrap();
    package(&spec, &[]);
    let names = listing(&dir.join(".slsr/build/api.zip"));
    assert!(
        !names.contains("README.txt") && names.contains("tests/test_util.py"),
        "{names}"
    );
}

#[test]
fn links_out_of_the_code_directory_or_nowhere_are_errors() {
    let dir = scratch("links");
    let spec = write_app(&dir, false, 0o755, 0o644);
    fs::write(dir.join("secret.txt"), "outside").unwrap();
    symlink(dir.join("secret.txt"), dir.join("app/secret.txt")).unwrap();
    let out = run(slsr().arg("package").arg("-f").arg(&spec));
    assert_eq!(out.code, 1);
    assert!(
        out.stderr
            .contains("app/secret.txt points outside the code directory"),
        "{}",
        out.stderr
    );
    fs::remove_file(dir.join("app/secret.txt")).unwrap();
    symlink("missing.txt", dir.join("app/dangling")).unwrap();
    let out = run(slsr().arg("package").arg("-f").arg(&spec));
    assert_eq!(out.code, 1);
    assert!(
        out.stderr
            .contains("app/dangling points to missing.txt, which does not exist"),
        "{}",
        out.stderr
    );
}

/// `unzip -Z` (zipinfo) lines of the zip: the first character of each entry's is its type.
fn zipinfo(zip: &Path) -> Vec<String> {
    let out = Command::new("unzip").arg("-Z").arg(zip).output().unwrap();
    String::from_utf8(out.stdout)
        .unwrap()
        .lines()
        .filter(|l| l.starts_with(['-', 'l', 'd']))
        .map(str::to_string)
        .collect()
}

#[test]
fn links_inside_the_code_directory_are_stored_as_what_they_point_to() {
    let dir = scratch("links-inside");
    let spec = write_app(&dir, false, 0o755, 0o644);
    // A link to an executable, to a directory, and one through a link to a directory.
    symlink("bin/tool", dir.join("app/run")).unwrap();
    symlink("lib/data", dir.join("app/data")).unwrap();
    symlink("../data/table.json", dir.join("app/lib/table.json")).unwrap();
    package(&spec, &[]);
    let zip = dir.join(".slsr/build/api.zip");
    let info = zipinfo(&zip);
    assert!(
        info.iter().all(|l| l.starts_with('-')),
        "only regular files in the zip:\n{}",
        info.join("\n")
    );
    let extracted = dir.join("extracted");
    assert!(
        Command::new("unzip")
            .arg("-q")
            .arg(&zip)
            .arg("-d")
            .arg(&extracted)
            .status()
            .unwrap()
            .success()
    );
    let mode = |p: &str| {
        fs::metadata(extracted.join(p))
            .unwrap()
            .permissions()
            .mode()
            & 0o777
    };
    assert_eq!(
        fs::read(extracted.join("run")).unwrap(),
        b"#!/bin/sh\nexit 0\n"
    );
    assert_eq!(mode("run"), 0o755, "the target's executable bit");
    assert_eq!(
        fs::read(extracted.join("data/table.json")).unwrap(),
        b"{\"rows\": [1, 2, 3]}\n"
    );
    assert_eq!(mode("data/table.json"), 0o644);
    assert_eq!(
        fs::read(extracted.join("lib/table.json")).unwrap(),
        b"{\"rows\": [1, 2, 3]}\n"
    );
    // The same tree with real copies instead of links gives the same bytes.
    let copy = scratch("links-inside-copy");
    let status = Command::new("cp")
        .arg("-rL")
        .arg(dir.join("app"))
        .arg(&copy)
        .status()
        .unwrap();
    assert!(status.success());
    fs::write(copy.join("slsr.yaml"), SPEC).unwrap();
    package(&copy.join("slsr.yaml"), &[]);
    assert!(
        zip_of(&copy.join("slsr.yaml")) == fs::read(&zip).unwrap(),
        "a link and a copy of its target give different zips"
    );
}

#[test]
fn a_link_back_into_its_own_directories_is_an_error() {
    let dir = scratch("links-cycle");
    let spec = write_app(&dir, false, 0o755, 0o644);
    symlink("..", dir.join("app/lib/up")).unwrap();
    let out = run(slsr().arg("package").arg("-f").arg(&spec));
    assert_eq!(out.code, 1, "{}", out.stdout);
    assert!(
        out.stderr.contains("symlink ")
            && out.stderr.contains("app/lib/up points to")
            && out.stderr.contains("a directory it is inside of"),
        "{}",
        out.stderr
    );
    // Through two links: a -> b, b -> a.
    fs::remove_file(dir.join("app/lib/up")).unwrap();
    fs::create_dir_all(dir.join("app/x")).unwrap();
    fs::create_dir_all(dir.join("app/y")).unwrap();
    symlink("../y", dir.join("app/x/to-y")).unwrap();
    symlink("../x", dir.join("app/y/to-x")).unwrap();
    let out = run(slsr().arg("package").arg("-f").arg(&spec));
    assert_eq!(out.code, 1, "{}", out.stdout);
    assert!(
        out.stderr.contains("a directory it is inside of"),
        "{}",
        out.stderr
    );
}

#[test]
fn file_names_an_extractor_could_misread_are_errors_naming_the_file() {
    for (case, file, says) in [
        ("backslash", "a\\..\\..\\evil.sh", "it has a backslash"),
        ("control", "x\u{1b}[2J.py", "it has a control character"),
    ] {
        let dir = scratch(&format!("bad-name-{case}"));
        let spec = write_app(&dir, false, 0o755, 0o644);
        fs::write(dir.join("app/lib").join(file), "x").unwrap();
        let out = run(slsr().arg("package").arg("-f").arg(&spec));
        assert_eq!(out.code, 1, "{case}: {}", out.stdout);
        let shown = file.replace('\u{1b}', "\\u{1b}");
        assert!(
            out.stderr.contains(&format!(
                "app/lib/{shown}: cannot be stored in a zip as `lib/{shown}`"
            )) && out.stderr.contains(says),
            "{case}: {}",
            out.stderr
        );
        assert!(
            !out.stderr.contains('\u{1b}'),
            "{case}: escaped: {:?}",
            out.stderr
        );
    }
}

#[test]
fn limits_are_errors_and_a_large_zip_a_warning() {
    let dir = scratch("limits");
    let spec = write_app(&dir, false, 0o755, 0o644);
    // 11 MB that does not compress: over the warning size.
    let noise: Vec<u8> = (0..11 * 1024 * 1024).map(|_| fastrand::u8(..)).collect();
    fs::write(dir.join("app/model.bin"), &noise).unwrap();
    let out = package(&spec, &[]);
    assert!(
        out.stderr
            .contains("warning: function `api`: the zip is 11.0 MB"),
        "{}",
        out.stderr
    );
    // Over 50 MB zipped.
    let more: Vec<u8> = (0..40 * 1024 * 1024).map(|_| fastrand::u8(..)).collect();
    fs::write(dir.join("app/weights.bin"), &more).unwrap();
    let out = run(slsr().arg("package").arg("-f").arg(&spec));
    assert_eq!(out.code, 1, "{}", out.stdout);
    assert!(
        out.stderr
            .contains("function `api`: the zip is 51.0 MB, over Lambda's limit of 50.0 MB"),
        "{}",
        out.stderr
    );
    // Over 250 MB unzipped (a sparse file: nothing is read or written).
    fs::remove_file(dir.join("app/weights.bin")).unwrap();
    fs::File::create(dir.join("app/huge.dat"))
        .unwrap()
        .set_len(260 * 1024 * 1024)
        .unwrap();
    let out = run(slsr().arg("package").arg("-f").arg(&spec));
    assert_eq!(out.code, 1);
    assert!(
        out.stderr
            .contains("the unzipped code is 271.0 MB, over Lambda's limit of 250.0 MB"),
        "{}",
        out.stderr
    );
}

#[test]
fn a_ready_made_zip_is_used_as_it_is_and_images_are_compared_by_uri() {
    let dir = scratch("prebuilt");
    write_app(&dir, false, 0o755, 0o644);
    let made = Command::new("zip")
        .args(["-q", "-r", "../given.zip", "."])
        .current_dir(dir.join("app"))
        .status()
        .unwrap();
    assert!(made.success());
    let given = fs::read(dir.join("given.zip")).unwrap();
    fs::write(dir.join("slsr.yaml"), "service: shop\nfunctions:\n  api: {handler: bootstrap, runtime: provided.al2023, code: ./given.zip}\n  etl: {image: 123456789012.dkr.ecr.us-east-1.amazonaws.com/etl:1.4.2}\n").unwrap();
    let out = package(&dir.join("slsr.yaml"), &[]);
    assert!(
        out.stdout.contains("given.zip (given)") && out.stdout.contains(&code_sha256(&given)),
        "{}",
        out.stdout
    );
    assert!(
        out.stdout
            .contains("etl: image 123456789012.dkr.ecr.us-east-1.amazonaws.com/etl:1.4.2"),
        "{}",
        out.stdout
    );
    assert!(
        !dir.join(".slsr/build/api.zip").exists(),
        "a given zip is not rebuilt"
    );
}

#[test]
fn an_unchanged_tree_is_not_zipped_again() {
    let dir = scratch("reuse");
    let spec = write_app(&dir, false, 0o755, 0o644);
    let first = package(&spec, &[]);
    let zip = dir.join(".slsr/build/api.zip");
    let built_at = fs::metadata(&zip).unwrap().modified().unwrap();
    std::thread::sleep(Duration::from_millis(20));
    let second = package(&spec, &[]);
    assert!(second.stdout.contains("(unchanged)"), "{}", second.stdout);
    assert_eq!(
        fs::metadata(&zip).unwrap().modified().unwrap(),
        built_at,
        "the zip was rewritten"
    );
    assert_eq!(first.stdout, second.stdout.replace(" (unchanged)", ""));
    // A changed byte means a new zip and a new hash; touching a file does not.
    fs::write(dir.join("app/README.txt"), "a small app!\n").unwrap();
    let third = package(&spec, &[]);
    assert!(
        !third.stdout.contains("(unchanged)") && third.stdout != first.stdout,
        "{}",
        third.stdout
    );
    fs::File::options()
        .write(true)
        .open(dir.join("app/README.txt"))
        .unwrap()
        .set_modified(SystemTime::UNIX_EPOCH)
        .unwrap();
    assert!(package(&spec, &[]).stdout.contains("(unchanged)"));
}

#[test]
fn missing_code_is_an_error_at_its_line() {
    let dir = scratch("missing-code");
    fs::write(dir.join("slsr.yaml"), SPEC).unwrap();
    let out = run(slsr().arg("package").arg("-f").arg(dir.join("slsr.yaml")));
    assert_eq!(out.code, 1);
    assert!(
        out.stderr
            .contains("error[E211]: `code: ./app` does not exist")
            && out.stderr.contains("slsr.yaml:6:11"),
        "{}",
        out.stderr
    );
}
