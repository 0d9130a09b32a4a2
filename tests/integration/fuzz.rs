//! No input makes slsr panic: arbitrary bytes, arbitrary YAML built from the spec's own
//! words, and random mutations of the example specs, each for a bounded time.
//!
//! The seed is fixed by default, so the suite explores the same inputs on every run and a
//! CI result does not depend on luck; `SLSR_FUZZ_SEED=random` explores new ones, and
//! `SLSR_FUZZ_SEED=N` replays the seed a failure prints. `SLSR_FUZZ_SECONDS` sets the time
//! per kind (default 3), e.g. `SLSR_FUZZ_SEED=random SLSR_FUZZ_SECONDS=600 cargo test
//! --test integration fuzz` for a long session.
//!
//! The corpus, `tests/fuzz-corpus/`, is what such a session grew: with
//! `SLSR_FUZZ_GROW=1`, an input whose outcome (the set of diagnostic codes, or the file
//! error) no earlier input had is kept, if small, up to `CORPUS_MAX` files. Every run
//! replays the corpus first.

use std::panic::{AssertUnwindSafe, catch_unwind};
use std::path::Path;
use std::time::{Duration, Instant};

use slsr::spec;

fn budget() -> Duration {
    let secs = std::env::var("SLSR_FUZZ_SECONDS")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(3.0);
    Duration::from_secs_f64(secs)
}

fn rng() -> (fastrand::Rng, u64) {
    let seed = match std::env::var("SLSR_FUZZ_SEED").as_deref() {
        Ok("random") => fastrand::u64(..),
        Ok(n) => n.parse().expect("SLSR_FUZZ_SEED is a number or `random`"),
        Err(_) => 0x5157_5253,
    };
    (fastrand::Rng::with_seed(seed), seed)
}

/// How long one input may take before it counts as a hang.
const HANG: Duration = Duration::from_secs(5);

/// Where the grown corpus lives, and how much of it to keep.
fn corpus_dir() -> std::path::PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fuzz-corpus")
}
const CORPUS_MAX: usize = 80;
const CORPUS_INPUT_MAX: usize = 2048;

/// Runs the whole validation pipeline on `bytes`, on a thread of its own so that a hang is
/// caught too; a panic or a hang fails with the input shown. Returns the outcome's
/// signature: the sorted diagnostic codes, or the kind of file error.
fn check_no_panic(bytes: &[u8], seed: u64, kind: &str) -> String {
    let input = bytes.to_vec();
    let (done, finished) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        let options = spec::Options {
            stage: None,
            region: Some("us-east-1".into()),
            account_id: None,
            ..Default::default()
        };
        let result = catch_unwind(AssertUnwindSafe(|| {
            let loaded = spec::load_bytes(Path::new("fuzz.yaml"), input, &options, &|name| {
                (name == "SET").then(|| "1".into())
            });
            match loaded {
                Ok(loaded) => {
                    // Rendering must not panic either (spans past a line's end, odd characters).
                    let _ = slsr::spec::diag::report_plain(&loaded.diagnostics, &loaded.file);
                    let mut codes: Vec<&str> =
                        loaded.diagnostics.iter().map(|d| d.code.as_str()).collect();
                    codes.sort();
                    codes.dedup();
                    codes.join(",")
                }
                // The message's leading words: the kind of error, not the input's text.
                Err(e) => format!(
                    "file error {}",
                    e.message
                        .split(|c: char| !c.is_ascii_alphabetic() && c != ' ')
                        .next()
                        .unwrap_or_default()
                ),
            }
        }));
        let _ = done.send(result.ok());
    });
    let shown = String::from_utf8_lossy(bytes);
    match finished.recv_timeout(HANG) {
        Ok(Some(signature)) => signature,
        Ok(None) | Err(std::sync::mpsc::RecvTimeoutError::Disconnected) => {
            panic!("{kind} input made slsr panic (SLSR_FUZZ_SEED={seed}):\n{shown:?}")
        }
        Err(std::sync::mpsc::RecvTimeoutError::Timeout) => {
            panic!("{kind} input made slsr hang for {HANG:?} (SLSR_FUZZ_SEED={seed}):\n{shown:?}")
        }
    }
}

fn run_for(kind: &str, mut generate: impl FnMut(&mut fastrand::Rng) -> Vec<u8>) -> usize {
    let (mut rng, seed) = rng();
    eprintln!("fuzz {kind}: SLSR_FUZZ_SEED={seed}");
    let started = Instant::now();
    let grow = std::env::var("SLSR_FUZZ_GROW").is_ok_and(|v| v == "1");
    let mut seen = std::collections::HashSet::new();
    let mut count = 0;
    while started.elapsed() < budget() || count < 200 {
        let input = generate(&mut rng);
        let signature = check_no_panic(&input, seed, kind);
        if grow && input.len() <= CORPUS_INPUT_MAX && seen.insert(signature.clone()) {
            keep(kind, &signature, &input);
        }
        count += 1;
    }
    eprintln!("fuzz {kind}: {count} inputs in {:.1?}", started.elapsed());
    count
}

/// Adds an input to the corpus, named by its kind and outcome, unless the corpus is full or
/// has that outcome from this kind already.
fn keep(kind: &str, signature: &str, input: &[u8]) {
    let dir = corpus_dir();
    std::fs::create_dir_all(&dir).unwrap();
    let size = std::fs::read_dir(&dir).unwrap().count();
    let name: String = signature
        .chars()
        .map(|c| if c.is_ascii_alphanumeric() { c } else { '_' })
        .take(60)
        .collect();
    let path = dir.join(format!(
        "{kind}-{}.yaml",
        if name.is_empty() { "clean" } else { &name }
    ));
    if size < CORPUS_MAX && !path.exists() {
        std::fs::write(path, input).unwrap();
    }
}

#[test]
fn the_corpus_never_panics() {
    let mut files: Vec<_> = std::fs::read_dir(corpus_dir())
        .expect("tests/fuzz-corpus exists")
        .map(|e| e.unwrap().path())
        .collect();
    files.sort();
    assert!(files.len() >= 10, "the corpus has {} inputs", files.len());
    for file in files {
        let input = std::fs::read(&file).unwrap();
        check_no_panic(&input, 0, &format!("corpus {}", file.display()));
    }
}

#[test]
fn arbitrary_bytes_never_panic() {
    let n = run_for("bytes", |rng| {
        let len = rng.usize(0..400);
        (0..len)
            .map(|_| {
                if rng.bool() {
                    rng.u8(..)
                } else {
                    rng.u8(0x20..0x7f)
                }
            })
            .collect()
    });
    assert!(n >= 200);
}

const KEYS: &[&str] = &[
    "service",
    "stage",
    "region",
    "version",
    "tags",
    "params",
    "default",
    "prod",
    "defaults",
    "roles",
    "queues",
    "http_api",
    "functions",
    "outputs",
    "handler",
    "runtime",
    "code",
    "image",
    "memory",
    "timeout",
    "env",
    "events",
    "http",
    "sqs",
    "schedule",
    "eventbridge",
    "queue",
    "arn",
    "batch_size",
    "dead_letter",
    "max_receive_count",
    "vpc",
    "subnet_ids",
    "role",
    "statements",
    "actions",
    "resources",
    "layers",
    "cors",
    "allow_origins",
    "authorizers",
    "jwt",
    "route",
    "auth",
    "pattern",
    "fifo",
    "async",
    "on_failure",
    "<<",
    "api",
    "jobs",
];
const VALUES: &[&str] = &[
    "shop",
    "dev",
    "1",
    "0",
    "-1",
    "128",
    "99999999999999999999",
    "1.5",
    ".nan",
    "true",
    "~",
    "null",
    "''",
    "\"\"",
    "GET /x",
    "ANY /{proxy+}",
    "get x",
    "rate(5 minutes)",
    "cron(0 3 * * ? *)",
    "cron(",
    "${param:m}",
    "${env:SET}",
    "${env:UNSET}",
    "${queue:jobs.url}",
    "${",
    "${}",
    "${ssm:x}",
    "python3.12",
    "nodejs18.x",
    "arn:aws:iam::123456789012:role/x",
    "[]",
    "{}",
    "[a, b]",
    "{a: 1}",
    "*a",
    "&a x",
    "!!str 5",
    "!Ref x",
    "|\n  block",
    "ü∂ƒ",
    "\t",
    "'",
    "x: y: z",
];

#[test]
fn arbitrary_yaml_never_panics() {
    let n = run_for("yaml", |rng| {
        let mut out = String::new();
        let lines = rng.usize(1..30);
        for _ in 0..lines {
            let indent = rng.usize(0..5) * 2;
            out.push_str(&" ".repeat(indent));
            if rng.u8(..10) == 0 {
                out.push_str("- ");
            }
            out.push_str(KEYS[rng.usize(..KEYS.len())]);
            out.push(':');
            if rng.bool() {
                out.push(' ');
                out.push_str(VALUES[rng.usize(..VALUES.len())]);
            }
            out.push('\n');
        }
        out.into_bytes()
    });
    assert!(n >= 200);
}

#[test]
fn mutated_examples_never_panic() {
    let examples: Vec<String> = ["hello-http", "orders", "image-etl", "fulfilment"]
        .iter()
        .map(|e| {
            std::fs::read_to_string(
                Path::new(env!("CARGO_MANIFEST_DIR"))
                    .join("examples")
                    .join(e)
                    .join("slsr.yaml"),
            )
            .unwrap()
        })
        .collect();
    let n = run_for("mutation", |rng| {
        let mut lines: Vec<String> = examples[rng.usize(..examples.len())]
            .lines()
            .map(str::to_string)
            .collect();
        for _ in 0..rng.usize(1..6) {
            if lines.is_empty() {
                break;
            }
            let i = rng.usize(..lines.len());
            match rng.u8(..6) {
                0 => {
                    lines.remove(i);
                }
                1 => {
                    let copy = lines[i].clone();
                    lines.insert(rng.usize(..=lines.len()), copy);
                }
                2 => {
                    let value = VALUES[rng.usize(..VALUES.len())];
                    if let Some((key, _)) = lines[i].split_once(':') {
                        lines[i] = format!("{key}: {value}");
                    }
                }
                3 => {
                    let key = KEYS[rng.usize(..KEYS.len())];
                    let indent: String = lines[i].chars().take_while(|c| *c == ' ').collect();
                    lines.insert(
                        i,
                        format!("{indent}{key}: {}", VALUES[rng.usize(..VALUES.len())]),
                    );
                }
                4 => {
                    let mut chars: Vec<char> = lines[i].chars().collect();
                    if !chars.is_empty() {
                        let at = rng.usize(..chars.len());
                        chars[at] = ['{', '}', '[', ']', ':', '-', '"', '$', ' ', '#', '&', '*']
                            [rng.usize(..12)];
                    }
                    lines[i] = chars.into_iter().collect();
                }
                _ => {
                    let cut = rng.usize(..=lines[i].len());
                    if lines[i].is_char_boundary(cut) {
                        lines[i].truncate(cut);
                    }
                }
            }
        }
        lines.join("\n").into_bytes()
    });
    assert!(n >= 200);
}

/// A saved plan file is user input too: mutated files (bytes flipped, cut short, values
/// swapped for others of any type, keys dropped, changes copied) never make slsr panic,
/// and none but the exact plan passes the comparison apply makes with a fresh one.
#[test]
fn saved_plan_files_never_panic_and_only_the_exact_plan_passes() {
    let spec = Path::new(env!("CARGO_MANIFEST_DIR")).join("examples/orders/slsr.yaml");
    let options = spec::Options {
        region: Some("us-east-1".into()),
        ..Default::default()
    };
    let project = spec::load_file(&spec, &options, &|_| None)
        .unwrap()
        .project
        .unwrap();
    let mut planned = slsr::engine::make::offline(&project, &Default::default()).unwrap();
    planned.header.account = Some("123456789012".into());
    let key = slsr::engine::saved::PlanKey::from_bytes([3; 32]);
    let origin = slsr::engine::saved::Origin::new(&spec, &spec, "orders", "dev", &key).unwrap();
    let fresh = slsr::engine::saved::SavedPlan::new(&planned, &key, origin).unwrap();
    let original = serde_json::to_value(&fresh).unwrap();
    let bytes = serde_json::to_vec_pretty(&fresh).unwrap();
    // The file as written passes: what it says survives the trip through JSON (a null value
    // reads back as absent, so the plan never holds one).
    let as_written = slsr::engine::saved::parse(&bytes).unwrap();
    assert_eq!(
        slsr::engine::saved::differences(&as_written, &fresh),
        Vec::<String>::new()
    );
    let (mut rng, seed) = rng();
    let started = Instant::now();
    let (mut count, mut parsed) = (0, 0);
    while started.elapsed() < budget() || count < 200 {
        let input = if rng.bool() {
            mutate_bytes(&mut rng, &bytes)
        } else {
            let mut value = original.clone();
            for _ in 0..rng.usize(1..4) {
                mutate_json(&mut rng, &mut value);
            }
            serde_json::to_vec(&value).unwrap()
        };
        let outcome = catch_unwind(AssertUnwindSafe(|| {
            let Ok(saved) = slsr::engine::saved::parse(&input) else {
                return false;
            };
            let reasons = slsr::engine::saved::differences(&saved, &fresh);
            // Where the spec is (`origin`) is not compared: apply checks its signature before
            // it reads the spec there (`recorded_spec`, tested in ownership.rs).
            let without_origin =
                |p: &slsr::engine::saved::SavedPlan| slsr::engine::saved::SavedPlan {
                    origin: None,
                    ..p.clone()
                };
            assert!(
                !reasons.is_empty() || without_origin(&saved) == without_origin(&fresh),
                "a changed plan passed as the fresh one"
            );
            let signed = (&saved.origin, &saved.service, &saved.stage)
                == (&fresh.origin, &fresh.service, &fresh.stage);
            let named = slsr::engine::saved::origin_spec(saved, &spec, &key);
            assert!(
                signed || named.is_err(),
                "an edited spec path was taken for the plan's"
            );
            true
        }));
        match outcome {
            Ok(was_parsed) => parsed += usize::from(was_parsed),
            Err(_) => panic!(
                "a saved plan file made slsr panic (SLSR_FUZZ_SEED={seed}):\n{}",
                String::from_utf8_lossy(&input)
            ),
        }
        count += 1;
    }
    eprintln!(
        "fuzz saved plans: {count} inputs, {parsed} parsed, in {:.1?}",
        started.elapsed()
    );
    assert!(
        parsed > count / 10,
        "the mutations rarely made a readable plan: {parsed} of {count}"
    );
}

fn mutate_bytes(rng: &mut fastrand::Rng, bytes: &[u8]) -> Vec<u8> {
    let mut out = bytes.to_vec();
    match rng.u8(0..3) {
        0 => out.truncate(rng.usize(0..out.len())),
        1 => {
            for _ in 0..rng.usize(1..8) {
                let at = rng.usize(0..out.len());
                out[at] = rng.u8(..);
            }
        }
        _ => {
            let at = rng.usize(0..out.len());
            let junk: &[u8] = [
                &b"null"[..],
                b"{}",
                b"[",
                b"\"",
                b"-1",
                b"1e999",
                b"\\u0000",
            ][rng.usize(0..7)];
            out.splice(at..at, junk.iter().copied());
        }
    }
    out
}

/// Replaces, drops or copies one node somewhere in a JSON document.
fn mutate_json(rng: &mut fastrand::Rng, value: &mut serde_json::Value) {
    use serde_json::{Value, json};
    let replacement = |rng: &mut fastrand::Rng| match rng.u8(0..8) {
        0 => Value::Null,
        1 => json!(rng.i64(..)),
        2 => json!(slsr::engine::saved::FORMAT),
        3 => json!("delete"),
        4 => json!([]),
        5 => json!({}),
        6 => json!(rng.bool()),
        _ => {
            json!({"kind": "function", "key": "x", "name": "other", "attrs": {"role": "arn:aws:iam::1:role/admin"}})
        }
    };
    // Walk down a random path, then act on the node reached.
    let descend = rng.u8(0..4) != 0;
    match value {
        Value::Object(map) if descend && !map.is_empty() => {
            let key = map.keys().nth(rng.usize(0..map.len())).cloned().unwrap();
            if rng.u8(0..6) == 0 {
                map.remove(&key);
            } else {
                mutate_json(rng, map.get_mut(&key).unwrap());
            }
        }
        Value::Array(items) if descend && !items.is_empty() => {
            let at = rng.usize(0..items.len());
            if rng.u8(0..6) == 0 {
                let copy = items[at].clone();
                items.push(copy);
            } else {
                mutate_json(rng, &mut items[at]);
            }
        }
        // Half the time a value of the same type, so the file still reads as a plan.
        Value::String(s) if rng.bool() => {
            *s = ["delete", "function.api", "x", ""][rng.usize(0..4)].into()
        }
        Value::Number(_) if rng.bool() => *value = json!(rng.i64(-1..100_000)),
        Value::Bool(b) if rng.bool() => *b = !*b,
        node => *node = replacement(rng),
    }
}
