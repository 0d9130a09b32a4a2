//! `slsr logs` against the emulator: log events written with plain CloudWatch Logs calls
//! (literal messages, timestamps a few minutes back, since the service refuses events
//! older than 14 days) into the log groups AWS names after each function, and the exact
//! lines slsr prints of them: interleaved across functions and streams, prefixed and
//! aligned, cut by `--since`, filtered by CloudWatch's own `--filter`, and `--follow`
//! printing a new event once until interrupted.

use std::io::{BufRead, BufReader};
use std::sync::mpsc;
use std::time::Duration;

use aws_sdk_cloudwatchlogs::types::InputLogEvent;
use aws_smithy_types::DateTime;
use aws_smithy_types::date_time::Format;

use crate::support::{Account, app, applied, run};

const SPEC: &str = "service: shop
functions:
  api:
    handler: index.handler
    runtime: python3.12
    code: ./src
  worker:
    handler: index.handler
    runtime: python3.12
    code: ./src
";

fn now() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_millis() as i64
}

/// `2026-01-02T15:04:` for a time on a whole minute, by the SDK's own RFC 3339 formatter:
/// a test's times are that and the seconds written out by hand.
fn minute_of(millis: i64) -> String {
    assert_eq!(millis % 60_000, 0);
    let text = DateTime::from_millis(millis).fmt(Format::DateTime).unwrap();
    text.strip_suffix("00Z").unwrap().to_string()
}

/// A time on a whole second, as `2026-01-02T15:04:05.000Z`.
fn second_of(millis: i64) -> String {
    assert_eq!(millis % 1000, 0);
    let text = DateTime::from_millis(millis).fmt(Format::DateTime).unwrap();
    format!("{}.000Z", text.strip_suffix('Z').unwrap())
}

async fn logs_client(account: &Account) -> aws_sdk_cloudwatchlogs::Client {
    aws_sdk_cloudwatchlogs::Client::new(&account.config().await)
}

/// Puts `events` (time, message), in time order, into a new stream of `group`.
async fn put(
    logs: &aws_sdk_cloudwatchlogs::Client,
    group: &str,
    stream: &str,
    events: &[(i64, &str)],
) {
    logs.create_log_stream()
        .log_group_name(group)
        .log_stream_name(stream)
        .send()
        .await
        .unwrap();
    let events: Vec<InputLogEvent> = events
        .iter()
        .map(|(at, message)| {
            InputLogEvent::builder()
                .timestamp(*at)
                .message(*message)
                .build()
                .unwrap()
        })
        .collect();
    let out = logs
        .put_log_events()
        .log_group_name(group)
        .log_stream_name(stream)
        .set_log_events(Some(events))
        .send()
        .await
        .unwrap();
    assert!(out.rejected_log_events_info().is_none(), "{out:?}");
}

fn logs(account: &Account, spec: &std::path::Path, args: &[&str]) -> crate::support::Run {
    run(account.slsr().arg("logs").arg("-f").arg(spec).args(args))
}

/// Removes the SGR sequences (colours) a terminal would interpret.
fn uncoloured(text: &str) -> String {
    regex_lite::Regex::new("\u{1b}\\[[0-9;]*m")
        .unwrap()
        .replace_all(text, "")
        .into_owned()
}

#[tokio::test]
async fn logs_interleave_the_functions_events_in_time_order_cut_by_since_and_filtered() {
    let spec = app("logs-interleave", SPEC);
    let account = Account::new().await;
    // slsr makes each function's log group, at the name Lambda writes to.
    applied(&account, &spec, &[]);
    let logs_client = logs_client(&account).await;
    let base = (now() - 5 * 60_000) / 60_000 * 60_000;
    let old = base - 15 * 60_000;
    let api = "/aws/lambda/shop-dev-api";
    let worker = "/aws/lambda/shop-dev-worker";
    put(
        &logs_client,
        api,
        "2026/01/01/[$LATEST]aaaa",
        &[
            (old, "old api event\n"),
            (base + 1000, "START RequestId: a1 Version: $LATEST\n"),
            (base + 3000, "api says hello\n"),
            (base + 5000, "END RequestId: a1\n"),
        ],
    )
    .await;
    // A second execution environment's stream, between the first's events.
    put(
        &logs_client,
        api,
        "2026/01/01/[$LATEST]bbbb",
        &[(base + 2500, "second stream\n")],
    )
    .await;
    put(
        &logs_client,
        worker,
        "2026/01/01/[$LATEST]cccc",
        &[
            (base + 2000, "worker took job 7\n"),
            (base + 4000, "[ERROR]\tjob 8 failed\n"),
            (base + 6000, "Traceback:\n  boom \u{1b}[31m\n"),
        ],
    )
    .await;
    let m = minute_of(base);
    let lines = [
        format!("api    | {m}01.000Z START RequestId: a1 Version: $LATEST"),
        format!("worker | {m}02.000Z worker took job 7"),
        format!("api    | {m}02.500Z second stream"),
        format!("api    | {m}03.000Z api says hello"),
        format!("worker | {m}04.000Z [ERROR]\tjob 8 failed"),
        format!("api    | {m}05.000Z END RequestId: a1"),
        format!("worker | {m}06.000Z Traceback:"),
        format!("worker | {m}06.000Z   boom \\u{{1b}}[31m"),
    ];
    let expected =
        |from: usize| -> String { lines[from..].iter().map(|l| format!("{l}\n")).collect() };

    // The default: the last 10 minutes, which leaves the event of 20 minutes ago out.
    let out = logs(&account, &spec, &[]);
    assert_eq!(out.code, 0, "{}", out.stderr);
    assert_eq!(out.stdout, expected(0));
    assert_eq!(out.stderr, "");

    let out = logs(&account, &spec, &["--since", "30m"]);
    assert_eq!(out.code, 0, "{}", out.stderr);
    let old_line = format!("api    | {}00.000Z old api event\n", minute_of(old));
    assert_eq!(out.stdout, format!("{old_line}{}", expected(0)));

    // An RFC 3339 time: from that millisecond on, its own event included.
    let out = logs(&account, &spec, &["--since", &format!("{m}03Z")]);
    assert_eq!(out.code, 0, "{}", out.stderr);
    assert_eq!(out.stdout, expected(3));

    // The pattern is CloudWatch's: two terms match an event holding both, apart.
    let out = logs(&account, &spec, &["--filter", "job failed"]);
    assert_eq!(out.code, 0, "{}", out.stderr);
    assert_eq!(out.stdout, format!("{}\n", lines[4]));

    // One function: its lines alone, aligned to its own name.
    let out = logs(&account, &spec, &["api"]);
    assert_eq!(out.code, 0, "{}", out.stderr);
    assert_eq!(
        out.stdout,
        format!(
            "api | {m}01.000Z START RequestId: a1 Version: $LATEST\napi | {m}02.500Z second stream\napi | {m}03.000Z api says hello\napi | {m}05.000Z END RequestId: a1\n"
        )
    );

    // In colour, each function's name in its own; the text is the same.
    let out = run(account
        .slsr()
        .env_remove("NO_COLOR")
        .env("CLICOLOR_FORCE", "1")
        .args(["logs", "-f"])
        .arg(&spec));
    assert_eq!(out.code, 0, "{}", out.stderr);
    assert_ne!(out.stdout, expected(0), "coloured");
    assert_eq!(uncoloured(&out.stdout), expected(0));
    let first: Vec<&str> = out.stdout.lines().take(2).collect();
    let style = |line: &str, name: &str| line[..line.find(name).unwrap()].to_string();
    assert!(style(first[0], "api").starts_with("\u{1b}["), "{first:?}");
    assert_ne!(
        style(first[0], "api"),
        style(first[1], "worker"),
        "{first:?}"
    );
}

#[tokio::test]
async fn logs_say_once_which_function_has_no_log_group_and_refuse_unknown_names_and_times() {
    let spec = app("logs-missing", SPEC);
    let account = Account::new().await;
    let logs_client = logs_client(&account).await;
    // Only `api` has run: only its group exists.
    logs_client
        .create_log_group()
        .log_group_name("/aws/lambda/shop-dev-api")
        .send()
        .await
        .unwrap();
    let at = (now() - 60_000) / 1000 * 1000;
    put(
        &logs_client,
        "/aws/lambda/shop-dev-api",
        "s",
        &[(at, "hello\n")],
    )
    .await;
    let out = logs(&account, &spec, &[]);
    assert_eq!(out.code, 0, "{}", out.stderr);
    assert_eq!(out.stdout, format!("api    | {} hello\n", second_of(at)));
    assert_eq!(
        out.stderr,
        "warning: function `worker` has no log group /aws/lambda/shop-dev-worker yet: it has not run, or is not deployed\n"
    );

    // The spec flag before the subcommand, as the other commands take it.
    let before = run(account.slsr().arg("-f").arg(&spec).args(["logs", "api"]));
    assert_eq!(before.code, 0, "{}", before.stderr);
    assert_eq!(before.stdout, format!("api | {} hello\n", second_of(at)));
    assert_eq!(before.stderr, "");

    let out = logs(&account, &spec, &["api", "nope", "other"]);
    assert_eq!(out.code, 1);
    assert_eq!(out.stdout, "");
    assert_eq!(
        out.stderr,
        "error: no functions `nope`, `other` in the spec; its functions are: api, worker\n"
    );
    let out = logs(&account, &spec, &["nope"]);
    assert_eq!(
        out.stderr,
        "error: no function `nope` in the spec; its functions are: api, worker\n"
    );

    for bad in ["5x", "yesterday", "2026-13-40T00:00:00Z"] {
        let out = logs(&account, &spec, &["--since", bad]);
        assert_eq!(out.code, 2, "{bad}: {}", out.stderr);
        assert!(
            out.stderr
                .contains(&format!("invalid value '{bad}' for '--since <WHEN>'")),
            "{bad}: {}",
            out.stderr
        );
        assert_eq!(out.stdout, "");
    }
}

/// Lines of slsr's stdout as they come, over a channel.
fn lines_of(stdout: std::process::ChildStdout) -> mpsc::Receiver<String> {
    let (send, receive) = mpsc::channel();
    std::thread::spawn(move || {
        for line in BufReader::new(stdout).lines().map_while(Result::ok) {
            if send.send(line).is_err() {
                break;
            }
        }
    });
    receive
}

/// Takes lines from `lines` until `want` of them have come, or 30 s pass.
fn take(lines: &mpsc::Receiver<String>, seen: &mut Vec<String>, want: usize) {
    let until = std::time::Instant::now() + Duration::from_secs(30);
    while seen.len() < want {
        let left = until.saturating_duration_since(std::time::Instant::now());
        match lines.recv_timeout(left) {
            Ok(line) => seen.push(line),
            Err(_) => panic!("waited 30 s for {want} lines, got {seen:#?}"),
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn logs_follow_prints_each_new_event_once_until_interrupted() {
    let spec = app("logs-follow", SPEC);
    let account = Account::new().await;
    let logs_client = logs_client(&account).await;
    for group in ["/aws/lambda/shop-dev-api", "/aws/lambda/shop-dev-worker"] {
        logs_client
            .create_log_group()
            .log_group_name(group)
            .send()
            .await
            .unwrap();
    }
    let first = (now() - 5000) / 1000 * 1000;
    put(
        &logs_client,
        "/aws/lambda/shop-dev-api",
        "one",
        &[(first, "before the start\n")],
    )
    .await;
    let mut child = account
        .slsr()
        .args(["logs", "--follow", "-f"])
        .arg(&spec)
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let lines = lines_of(child.stdout.take().unwrap());
    let mut seen = Vec::new();
    take(&lines, &mut seen, 1);
    assert_eq!(
        seen,
        [format!("api    | {} before the start", second_of(first))]
    );

    // Written after it started: one in the other function's group, and one in the same
    // millisecond as the event printed already (which each read returns again).
    let later = now() / 1000 * 1000;
    put(
        &logs_client,
        "/aws/lambda/shop-dev-worker",
        "two",
        &[(later, "written later\n")],
    )
    .await;
    put(
        &logs_client,
        "/aws/lambda/shop-dev-api",
        "three",
        &[(first, "same millisecond\n")],
    )
    .await;
    take(&lines, &mut seen, 3);
    // Several more reads, each of which returns all three again.
    tokio::time::sleep(Duration::from_secs(4)).await;
    while let Ok(line) = lines.try_recv() {
        seen.push(line);
    }
    let mut sorted = seen.clone();
    sorted.sort();
    assert_eq!(
        sorted,
        [
            format!("api    | {} before the start", second_of(first)),
            format!("api    | {} same millisecond", second_of(first)),
            format!("worker | {} written later", second_of(later)),
        ],
        "each event once: {seen:#?}"
    );

    let sent = std::process::Command::new("kill")
        .arg("-INT")
        .arg(child.id().to_string())
        .status()
        .unwrap();
    assert!(sent.success());
    let out = tokio::task::spawn_blocking(move || child.wait_with_output())
        .await
        .unwrap()
        .unwrap();
    assert_eq!(out.status.code(), Some(130));
    assert_eq!(String::from_utf8_lossy(&out.stderr), "", "quietly");
}
