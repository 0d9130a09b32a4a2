//! The deploy lock: two applies of one service and stage never interleave, a waiting run
//! says who holds the lock, since when and when it expires, and `slsr unlock` clears a
//! stale one. A signal mid-apply releases it, a lost answer to its put is known as this
//! run's, a dead run's expired lock is taken over, and a live run's is renewed.

use std::collections::HashMap;
use std::io::{BufRead, BufReader};
use std::time::{Duration, Instant};

use aws_sdk_dynamodb::types::AttributeValue;

use crate::proxy::{Config, Outcome, Proxy};
use crate::support::{Account, app, run};

const SPEC: &str = "service: shop
lock: {table: slsr-locks, timeout: 0}
functions:
  api:
    handler: index.handler
    runtime: python3.12
    code: ./src
    events:
      - http: GET /items
      - schedule: rate(5 minutes)
";

async fn lock_table(account: &Account) -> aws_sdk_dynamodb::Client {
    let db = aws_sdk_dynamodb::Client::new(&account.config().await);
    crate::console::lock_table(&db, "slsr-locks").await;
    db
}

// Several worker threads: the slow proxy must keep serving while this test waits on slsr.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn two_applies_of_one_stage_never_interleave() {
    let spec = app("lock-concurrent", SPEC);
    let account = Account::new().await;
    let db = lock_table(&account).await;
    let upstream = crate::support::endpoint()
        .trim_start_matches("http://")
        .to_string();
    // The first apply talks to AWS through a slow link: it holds the lock for a while.
    let slow = crate::proxy::slow(&upstream, Duration::from_millis(100)).await;
    let mut first = account
        .slsr()
        .env("AWS_ENDPOINT_URL", slow)
        .args(["apply", "--auto-approve", "-f"])
        .arg(&spec)
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let stdout = first.stdout.take().unwrap();
    let holding = tokio::task::spawn_blocking(move || {
        let mut lines = BufReader::new(stdout).lines();
        // The plan is printed while the lock is held.
        let holding = lines
            .by_ref()
            .map_while(Result::ok)
            .any(|l| l.starts_with("Plan: "));
        // Keep draining so that the apply never blocks on a full pipe.
        std::thread::spawn(move || lines.for_each(drop));
        holding
    })
    .await
    .unwrap();
    assert!(holding, "the first apply reached its plan");

    // A second apply that will not wait fails at once, naming the holder.
    let second = run(account
        .slsr()
        .args(["apply", "--auto-approve", "-f"])
        .arg(&spec));
    assert_eq!(second.code, 1, "{}{}", second.stdout, second.stderr);
    assert!(
        second.stderr.contains("shop stage dev is locked by")
            && second.stderr.contains(" since 20")
            && second.stderr.contains("slsr unlock "),
        "{}",
        second.stderr
    );
    assert!(
        second.stdout.is_empty(),
        "it did not even plan:\n{}",
        second.stdout
    );

    // A third that waits gets the lock once the first is done, and finds nothing to do.
    let third = run(account
        .slsr()
        .args(["apply", "--auto-approve", "--lock-timeout", "60", "-f"])
        .arg(&spec));
    let first = first.wait_with_output().unwrap();
    assert!(
        first.status.success(),
        "{}",
        String::from_utf8_lossy(&first.stderr)
    );
    assert_eq!(third.code, 0, "{}{}", third.stdout, third.stderr);
    assert!(
        third.stdout.contains("Nothing to apply."),
        "{}",
        third.stdout
    );
    let left = db.scan().table_name("slsr-locks").send().await.unwrap();
    assert_eq!(left.count(), 0, "every lock was released");
}

#[tokio::test]
async fn a_stale_lock_is_reported_and_released_with_unlock() {
    let spec = app("lock-stale", SPEC);
    let account = Account::new().await;
    let db = lock_table(&account).await;
    db.put_item()
        .table_name("slsr-locks")
        .item("lock", AttributeValue::S("shop/dev".into()))
        .item("id", AttributeValue::S("0123456789ab".into()))
        .item("who", AttributeValue::S("ci@runner-7 (pid 4242)".into()))
        .item("since", AttributeValue::S("2026-11-26T03:00:00Z".into()))
        .send()
        .await
        .unwrap();
    let blocked = run(account
        .slsr()
        .args(["apply", "--auto-approve", "-f"])
        .arg(&spec));
    assert_eq!(blocked.code, 1);
    assert!(
        blocked.stderr.contains(
            "locked by ci@runner-7 (pid 4242) since 2026-11-26T03:00:00Z (lock id 0123456789ab)"
        ),
        "{}",
        blocked.stderr
    );
    let wrong = run(account
        .slsr()
        .args(["unlock", "ffffffffffff", "-f"])
        .arg(&spec));
    assert_eq!(wrong.code, 1);
    assert!(
        wrong.stderr.contains("holds no lock with id ffffffffffff"),
        "{}",
        wrong.stderr
    );
    let unlocked = run(account
        .slsr()
        .args(["unlock", "0123456789ab", "-f"])
        .arg(&spec));
    assert_eq!(unlocked.code, 0, "{}", unlocked.stderr);
    let applied = run(account
        .slsr()
        .args(["apply", "--auto-approve", "-f"])
        .arg(&spec));
    assert_eq!(applied.code, 0, "{}{}", applied.stdout, applied.stderr);
    // The other service and stage in the same table are untouched by all of this.
    assert_eq!(
        db.scan()
            .table_name("slsr-locks")
            .send()
            .await
            .unwrap()
            .count(),
        0
    );
}

/// The lock item of shop/dev, read consistently with a plain GetItem.
async fn lock_item(db: &aws_sdk_dynamodb::Client) -> Option<HashMap<String, AttributeValue>> {
    db.get_item()
        .table_name("slsr-locks")
        .key("lock", AttributeValue::S("shop/dev".into()))
        .consistent_read(true)
        .send()
        .await
        .unwrap()
        .item
}

fn text(item: &HashMap<String, AttributeValue>, name: &str) -> String {
    item[name].as_s().unwrap().clone()
}

fn number(item: &HashMap<String, AttributeValue>, name: &str) -> u64 {
    item[name].as_n().unwrap().parse().unwrap()
}

fn epoch_seconds() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs()
}

fn emulator_host() -> String {
    crate::support::endpoint()
        .trim_start_matches("http://")
        .to_string()
}

/// Reads lines from `from` until one satisfies `ready`; whether one did, and the lines
/// read and still to come (drained in the background, so that slsr never blocks on a full
/// pipe).
fn read_until(
    from: impl std::io::Read + Send + 'static,
    ready: fn(&str) -> bool,
) -> (bool, std::thread::JoinHandle<Vec<String>>) {
    let mut lines = BufReader::new(from).lines();
    let mut seen = Vec::new();
    let reached = lines.by_ref().map_while(Result::ok).any(|l| {
        seen.push(l.clone());
        ready(&l)
    });
    let rest = std::thread::spawn(move || {
        seen.extend(lines.map_while(Result::ok));
        seen
    });
    (reached, rest)
}

/// Sends `signal` (`INT`, `TERM`) to a running slsr, as `kill` does.
fn send(signal: &str, child: &std::process::Child) {
    let sent = std::process::Command::new("kill")
        .arg(format!("-{signal}"))
        .arg(child.id().to_string())
        .status()
        .unwrap();
    assert!(sent.success(), "kill -{signal} {}", child.id());
}

/// Starts `slsr ARGS -f SPEC` through `endpoint`, and returns it once a line of its stdout
/// satisfies `ready` (the rest of stdout is drained in the background, into the handle).
async fn start_until(
    account: &Account,
    endpoint: &str,
    args: &[&str],
    spec: &std::path::Path,
    ready: fn(&str) -> bool,
) -> (std::process::Child, std::thread::JoinHandle<Vec<String>>) {
    let mut child = account
        .slsr()
        .env("AWS_ENDPOINT_URL", endpoint)
        .args(args)
        .arg("-f")
        .arg(spec)
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let stdout = child.stdout.take().unwrap();
    let (reached, rest) = tokio::task::spawn_blocking(move || read_until(stdout, ready))
        .await
        .unwrap();
    if !reached {
        let out = child.wait_with_output().unwrap();
        panic!(
            "slsr ended before the awaited line:\n{}\n{}",
            rest.join().unwrap().join("\n"),
            String::from_utf8_lossy(&out.stderr)
        );
    }
    (child, rest)
}

// Several worker threads: the slow proxy must keep serving while this test waits on slsr.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn sigint_mid_apply_releases_the_lock_and_the_next_apply_finishes() {
    let spec = app("lock-sigint", SPEC);
    let account = Account::new().await;
    let db = lock_table(&account).await;
    let slow = crate::proxy::slow(&emulator_host(), Duration::from_millis(300)).await;
    // Mid-apply: the first change has finished, the function (which needs the role, the
    // log group and the API) has not started.
    let (child, stdout) = start_until(&account, &slow, &["apply", "--auto-approve"], &spec, |l| {
        l.contains(" created in ")
    })
    .await;
    assert!(lock_item(&db).await.is_some(), "the apply holds the lock");
    send("INT", &child);
    let out = tokio::task::spawn_blocking(move || child.wait_with_output())
        .await
        .unwrap()
        .unwrap();
    let stdout = stdout.join().unwrap().join("\n");
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(130), "{stdout}\n{stderr}");
    assert!(
        stderr.contains("SIGINT: the changes in flight finish, no new change starts")
            && stderr.contains("(SIGINT): ")
            && stderr.contains(" not started: "),
        "{stderr}"
    );
    assert!(lock_item(&db).await.is_none(), "the lock was released");
    let lambda = aws_sdk_lambda::Client::new(&account.config().await);
    let function = lambda
        .get_function()
        .function_name("shop-dev-api")
        .send()
        .await;
    assert!(function.is_err(), "the function never started");

    // The next plan shows what is left; the next apply does it.
    let plan = run(account
        .slsr()
        .args(["plan", "--detailed-exitcode", "-f"])
        .arg(&spec));
    assert_eq!(plan.code, 2, "{}{}", plan.stdout, plan.stderr);
    assert!(plan.stdout.contains("function.api"), "{}", plan.stdout);
    let again = run(account
        .slsr()
        .args(["apply", "--auto-approve", "-f"])
        .arg(&spec));
    assert_eq!(again.code, 0, "{}{}", again.stdout, again.stderr);
    let plan = run(account
        .slsr()
        .args(["plan", "--detailed-exitcode", "-f"])
        .arg(&spec));
    assert_eq!(plan.code, 0, "{}{}", plan.stdout, plan.stderr);
    lambda
        .get_function()
        .function_name("shop-dev-api")
        .send()
        .await
        .expect("the second apply made the function");
    assert!(lock_item(&db).await.is_none());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_lost_answer_to_the_locks_put_is_known_as_this_runs_lock() {
    let spec = app("lock-lost-answer", SPEC);
    let account = Account::new().await;
    let db = lock_table(&account).await;
    // The first PutItem takes effect and its answer is lost; the SDK sends it again, and
    // DynamoDB refuses the second because the lock is held: by this very run.
    let proxy = Proxy::start(
        &crate::support::endpoint(),
        Config {
            drop_first: &["DynamoDB.PutItem"],
            ..Config::default()
        },
    )
    .await;
    let (endpoint, account2, spec2) = (proxy.endpoint.clone(), account.clone(), spec.clone());
    let started = Instant::now();
    let out = tokio::task::spawn_blocking(move || {
        run(account2
            .slsr()
            .env("AWS_ENDPOINT_URL", endpoint)
            .args(["apply", "--auto-approve", "--lock-timeout", "30", "-f"])
            .arg(&spec2))
    })
    .await
    .unwrap();
    assert_eq!(out.code, 0, "{}{}", out.stdout, out.stderr);
    assert!(
        started.elapsed() < Duration::from_secs(20),
        "took the lock at once, without waiting out the timeout: {:?}",
        started.elapsed()
    );
    assert!(!out.stderr.contains("Waiting"), "{}", out.stderr);
    assert_eq!(proxy.outcomes(Outcome::Dropped), 1);
    assert_eq!(proxy.count("DynamoDB.PutItem"), 2, "the SDK sent it again");
    assert!(lock_item(&db).await.is_none(), "and released it");
}

#[tokio::test]
async fn an_expired_lock_left_by_a_dead_run_is_taken_over() {
    let spec = app("lock-expired", SPEC);
    let account = Account::new().await;
    let db = lock_table(&account).await;
    let left = |expires: &str| {
        db.put_item()
            .table_name("slsr-locks")
            .item("lock", AttributeValue::S("shop/dev".into()))
            .item("id", AttributeValue::S("5eadbeef0001".into()))
            .item("who", AttributeValue::S("ci@runner-3 (pid 77)".into()))
            .item("since", AttributeValue::S("2025-11-26T02:58:00Z".into()))
            .item("expires", AttributeValue::N(expires.into()))
            .send()
    };
    // Unexpired (2100-01-01T00:00:00Z): it holds, and the message says until when.
    left("4102444800").await.unwrap();
    let blocked = run(account
        .slsr()
        .args(["apply", "--auto-approve", "-f"])
        .arg(&spec));
    assert_eq!(blocked.code, 1, "{}{}", blocked.stdout, blocked.stderr);
    assert!(
        blocked.stderr.contains(
            "shop stage dev is locked by ci@runner-3 (pid 77) since 2025-11-26T02:58:00Z (lock id 5eadbeef0001), expiring at 2100-01-01T00:00:00Z unless renewed"
        ),
        "{}",
        blocked.stderr
    );
    // Expired at 2025-11-26T03:00:00Z: its run is gone, the next apply takes it over.
    left("1764126000").await.unwrap();
    let applied = run(account
        .slsr()
        .args(["apply", "--auto-approve", "-f"])
        .arg(&spec));
    assert_eq!(applied.code, 0, "{}{}", applied.stdout, applied.stderr);
    assert!(
        applied.stderr.contains(
            "took over the deploy lock of shop stage dev, which had expired: it was held by ci@runner-3 (pid 77) since 2025-11-26T02:58:00Z (lock id 5eadbeef0001), expired at 2025-11-26T03:00:00Z"
        ),
        "{}",
        applied.stderr
    );
    assert!(lock_item(&db).await.is_none(), "released after the apply");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_live_runs_lock_is_renewed_past_its_first_lease_so_others_keep_waiting() {
    let spec = app("lock-renewed", &long_spec());
    let account = Account::new().await;
    let db = lock_table(&account).await;
    let slow = crate::proxy::slow(&emulator_host(), Duration::from_millis(500)).await;
    let before = epoch_seconds();
    let (mut first, stdout) = start_until(
        &account,
        &slow,
        &["apply", "--auto-approve", "--lock-lease", "6"],
        &spec,
        |l| l.starts_with("Plan: "),
    )
    .await;
    let taken = lock_item(&db)
        .await
        .expect("the first apply holds the lock");
    let (id, seen_expiry) = (text(&taken, "id"), number(&taken, "expires"));
    assert!(
        (before + 6..=epoch_seconds() + 6).contains(&seen_expiry),
        "a lease of 6 s: {seen_expiry}"
    );
    // Past that expiry (so past the first lease), the lock is still the first run's, with a
    // later expiry that has not passed.
    while epoch_seconds() <= seen_expiry {
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    assert!(
        first.try_wait().unwrap().is_none(),
        "the first apply still runs"
    );
    let renewed = lock_item(&db).await.expect("still locked");
    assert_eq!(text(&renewed, "id"), id);
    assert!(
        number(&renewed, "expires") > seen_expiry && number(&renewed, "expires") >= epoch_seconds(),
        "renewed: {renewed:?}"
    );
    // A second run finds it held and waits, then gives up, naming the first.
    let second = run(account
        .slsr()
        .args(["apply", "--auto-approve", "--lock-timeout", "1", "-f"])
        .arg(&spec));
    assert_eq!(second.code, 1, "{}{}", second.stdout, second.stderr);
    assert!(
        second
            .stderr
            .contains("Waiting up to 1s for the deploy lock of shop stage dev, held by ")
            && second
                .stderr
                .contains(&format!("(lock id {id}), expiring at ")),
        "{}",
        second.stderr
    );
    assert!(
        first.try_wait().unwrap().is_none(),
        "the first apply still runs"
    );
    let out = tokio::task::spawn_blocking(move || first.wait_with_output())
        .await
        .unwrap()
        .unwrap();
    let stdout = stdout.join().unwrap().join("\n");
    assert!(
        out.status.success(),
        "{stdout}\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(lock_item(&db).await.is_none(), "released at the end");
}

/// SPEC with 24 more schedules: 24 permissions, which slsr adds one at a time
/// (Lambda takes one change to a function at a time), so that an apply through a slow
/// link outlasts a short lease by several seconds.
fn long_spec() -> String {
    let mut spec = SPEC.to_string();
    for minutes in 2..=25 {
        spec.push_str(&format!("      - schedule: rate({minutes} minutes)\n"));
    }
    spec
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_run_whose_lock_is_taken_stops_starting_changes_and_fails() {
    let spec = app("lock-taken", &long_spec());
    let account = Account::new().await;
    let db = lock_table(&account).await;
    let slow = crate::proxy::slow(&emulator_host(), Duration::from_millis(500)).await;
    let (child, stdout) = start_until(
        &account,
        &slow,
        &["apply", "--auto-approve", "--lock-lease", "6"],
        &spec,
        |l| l.contains(" created in "),
    )
    .await;
    // Someone takes the lock from under the running apply (by hand, or a run whose clock
    // is far ahead).
    db.put_item()
        .table_name("slsr-locks")
        .item("lock", AttributeValue::S("shop/dev".into()))
        .item("id", AttributeValue::S("07he50000001".into()))
        .item("who", AttributeValue::S("ops@laptop (pid 9)".into()))
        .item("since", AttributeValue::S("2026-11-26T03:00:00Z".into()))
        .item("expires", AttributeValue::N("4102444800".into()))
        .send()
        .await
        .unwrap();
    let out = tokio::task::spawn_blocking(move || child.wait_with_output())
        .await
        .unwrap()
        .unwrap();
    let stdout = stdout.join().unwrap().join("\n");
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{stdout}\n{stderr}");
    assert!(
        stderr.contains("this run lost the deploy lock of shop stage dev (lock id ")
            && stderr.contains(
                "it is now held by ops@laptop (pid 9) since 2026-11-26T03:00:00Z (lock id 07he50000001)"
            )
            && stderr.contains("(the deploy lock was lost): ")
            && stderr.contains(" not started: "),
        "{stderr}"
    );
    assert!(!stdout.contains("Apply complete"), "{stdout}");
    let left = lock_item(&db).await.expect("the other run's lock stays");
    assert_eq!(text(&left, "id"), "07he50000001");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_run_that_cannot_renew_its_lock_stops_before_it_expires() {
    let spec = app("lock-unrenewable", &long_spec());
    let account = Account::new().await;
    let db = lock_table(&account).await;
    // Renewals are refused; taking and releasing the lock are not.
    let proxy = Proxy::start(
        &crate::support::endpoint(),
        Config {
            latency: Duration::from_millis(500),
            deny: Some("DynamoDB.UpdateItem"),
            ..Config::default()
        },
    )
    .await;
    let (endpoint, account2, spec2) = (proxy.endpoint.clone(), account.clone(), spec.clone());
    let out = tokio::task::spawn_blocking(move || {
        run(account2
            .slsr()
            .env("AWS_ENDPOINT_URL", endpoint)
            .args(["apply", "--auto-approve", "--lock-lease", "6", "-f"])
            .arg(&spec2))
    })
    .await
    .unwrap();
    assert_eq!(out.code, 1, "{}{}", out.stdout, out.stderr);
    assert!(
        out.stderr.contains("could not renew the deploy lock of shop stage dev (lock id ")
            && out
                .stderr
                .contains("before it expires: UpdateItem (lock table slsr-locks) failed: AccessDeniedException")
            && out.stderr.contains("(the deploy lock was lost): "),
        "{}",
        out.stderr
    );
    // Two renewals, a third of the lease apart, then it gave up.
    assert_eq!(proxy.count("DynamoDB.UpdateItem"), 2);
    assert!(lock_item(&db).await.is_none(), "still its own, so released");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_signal_while_waiting_or_planning_leaves_no_lock_of_its_own() {
    let spec = app("lock-early-signal", SPEC);
    let account = Account::new().await;
    let db = lock_table(&account).await;

    // Waiting for another run's lock: SIGTERM ends the wait, and the lock stays the other's.
    db.put_item()
        .table_name("slsr-locks")
        .item("lock", AttributeValue::S("shop/dev".into()))
        .item("id", AttributeValue::S("0a1e50000001".into()))
        .item("who", AttributeValue::S("ci@runner-1 (pid 5)".into()))
        .item("since", AttributeValue::S("2026-11-26T03:00:00Z".into()))
        .item("expires", AttributeValue::N("4102444800".into()))
        .send()
        .await
        .unwrap();
    let mut waiting = account
        .slsr()
        .args(["apply", "--auto-approve", "--lock-timeout", "600", "-f"])
        .arg(&spec)
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let stderr = waiting.stderr.take().unwrap();
    let (reached, stderr) = tokio::task::spawn_blocking(move || {
        read_until(stderr, |l| l.starts_with("Waiting up to 600s"))
    })
    .await
    .unwrap();
    assert!(reached, "{:?}", stderr.join().unwrap());
    let signalled = Instant::now();
    send("TERM", &waiting);
    let out = tokio::task::spawn_blocking(move || waiting.wait_with_output())
        .await
        .unwrap()
        .unwrap();
    let stderr = stderr.join().unwrap().join("\n");
    assert_eq!(out.status.code(), Some(143), "{stderr}");
    assert!(signalled.elapsed() < Duration::from_secs(10), "{stderr}");
    assert!(
        stderr.contains("SIGTERM: stopped before any change was made; releasing the deploy lock"),
        "{stderr}"
    );
    let other = lock_item(&db).await.expect("the other run's lock stays");
    assert_eq!(text(&other, "id"), "0a1e50000001");
    db.delete_item()
        .table_name("slsr-locks")
        .key("lock", AttributeValue::S("shop/dev".into()))
        .send()
        .await
        .unwrap();

    // Planning, through a slow link, with the lock held: SIGINT releases it.
    let slow = crate::proxy::slow(&emulator_host(), Duration::from_millis(500)).await;
    let planning = account
        .slsr()
        .env("AWS_ENDPOINT_URL", &slow)
        .args(["apply", "--auto-approve", "-f"])
        .arg(&spec)
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let started = Instant::now();
    while lock_item(&db).await.is_none() {
        assert!(
            started.elapsed() < Duration::from_secs(30),
            "it took the lock"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    send("INT", &planning);
    let out = tokio::task::spawn_blocking(move || planning.wait_with_output())
        .await
        .unwrap()
        .unwrap();
    let (stdout, stderr) = (
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr),
    );
    assert_eq!(out.status.code(), Some(130), "{stdout}\n{stderr}");
    assert!(
        !stdout.contains("Plan: "),
        "interrupted before its plan:\n{stdout}"
    );
    assert!(
        stderr.contains("SIGINT: stopped before any change was made; releasing the deploy lock"),
        "{stderr}"
    );
    assert!(lock_item(&db).await.is_none(), "the lock was released");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_second_signal_exits_at_once_and_releases_the_lock() {
    let spec = app("lock-second-signal", SPEC);
    let account = Account::new().await;
    let db = lock_table(&account).await;
    // Slow enough that changes are still in flight, a call from their end, long after the
    // second signal.
    let slow = crate::proxy::slow(&emulator_host(), Duration::from_millis(1500)).await;
    let (child, stdout) = start_until(&account, &slow, &["apply", "--auto-approve"], &spec, |l| {
        l.contains(" created in ")
    })
    .await;
    send("INT", &child);
    // The first signal is heard (and said) before the second is sent.
    tokio::time::sleep(Duration::from_millis(200)).await;
    send("TERM", &child);
    let out = tokio::task::spawn_blocking(move || child.wait_with_output())
        .await
        .unwrap()
        .unwrap();
    let stdout = stdout.join().unwrap().join("\n");
    let stderr = String::from_utf8_lossy(&out.stderr);
    // The second signal's code: it ended the run, not the end of the changes in flight
    // (which would exit 130, for the first).
    assert_eq!(out.status.code(), Some(143), "{stdout}\n{stderr}");
    assert!(
        stderr.contains("SIGINT: the changes in flight finish")
            && stderr.contains("SIGTERM: exiting now"),
        "{stderr}"
    );
    assert!(lock_item(&db).await.is_none(), "the lock was released");
}
