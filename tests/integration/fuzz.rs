//! No input makes slsr panic: arbitrary bytes, arbitrary YAML built from the spec's own
//! words, and random mutations of the example specs, each for a bounded time.
//!
//! The seed is fixed by default, so the suite explores the same inputs on every run and a
//! CI result does not depend on luck; `SLSR_FUZZ_SEED=random` explores new ones, and
//! `SLSR_FUZZ_SEED=N` replays the seed a failure prints. `SLSR_FUZZ_SECONDS` sets the time
//! per kind (default 3), e.g. `SLSR_FUZZ_SEED=random SLSR_FUZZ_SECONDS=600 cargo test
//! --test integration fuzz` for a long session.

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

/// Runs the whole validation pipeline on `bytes`, on a thread of its own so that a hang is
/// caught too; a panic or a hang fails with the input shown.
fn check_no_panic(bytes: &[u8], seed: u64, kind: &str) {
    let input = bytes.to_vec();
    let (done, finished) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        let options = spec::Options {
            stage: None,
            region: Some("us-east-1".into()),
            account_id: None,
        };
        let result = catch_unwind(AssertUnwindSafe(|| {
            let loaded = spec::load_bytes(Path::new("fuzz.yaml"), input, &options, &|name| {
                (name == "SET").then(|| "1".into())
            });
            if let Ok(loaded) = loaded {
                // Rendering must not panic either (spans past a line's end, odd characters).
                let _ = slsr::diag::report_plain(&loaded.diagnostics, &loaded.file);
            }
        }));
        let _ = done.send(result.is_ok());
    });
    let shown = String::from_utf8_lossy(bytes);
    match finished.recv_timeout(HANG) {
        Ok(true) => {}
        Ok(false) | Err(std::sync::mpsc::RecvTimeoutError::Disconnected) => {
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
    let mut count = 0;
    while started.elapsed() < budget() || count < 200 {
        let input = generate(&mut rng);
        check_no_panic(&input, seed, kind);
        count += 1;
    }
    eprintln!("fuzz {kind}: {count} inputs in {:.1?}", started.elapsed());
    count
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
    let examples: Vec<String> = ["hello-http", "orders", "image-etl"]
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
