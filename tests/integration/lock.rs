//! The deploy lock: two applies of one service and stage never interleave, a waiting run
//! says who holds the lock and since when, and `slsr unlock` clears a stale one.

use std::io::{BufRead, BufReader};
use std::time::Duration;

use aws_sdk_dynamodb::types::{
    AttributeDefinition, AttributeValue, BillingMode, KeySchemaElement, KeyType,
    ScalarAttributeType,
};

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
    db.create_table()
        .table_name("slsr-locks")
        .attribute_definitions(
            AttributeDefinition::builder()
                .attribute_name("lock")
                .attribute_type(ScalarAttributeType::S)
                .build()
                .unwrap(),
        )
        .key_schema(
            KeySchemaElement::builder()
                .attribute_name("lock")
                .key_type(KeyType::Hash)
                .build()
                .unwrap(),
        )
        .billing_mode(BillingMode::PayPerRequest)
        .send()
        .await
        .unwrap();
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
