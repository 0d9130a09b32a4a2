//! The AWS layer against the emulator: configuration, credentials, and clear failures.

use std::time::{Duration, Instant};

use crate::support::{Account, run, slsr};

#[tokio::test]
async fn whoami_names_the_account_of_the_credentials() {
    let account = Account::new().await;
    let out = run(account.slsr().arg("whoami"));
    assert_eq!(out.code, 0, "{}", out.stderr);
    assert!(
        out.stdout.contains(&format!("account: {}", account.id)),
        "{}",
        out.stdout
    );
    assert!(out.stdout.contains("region: us-east-1"), "{}", out.stdout);
}

#[tokio::test]
async fn endpoint_flag_overrides_the_environment() {
    let account = Account::new().await;
    let endpoint = crate::support::endpoint();
    let out = run(account
        .slsr()
        .env("AWS_ENDPOINT_URL", "http://127.0.0.1:9")
        .args([
            "whoami",
            "--endpoint-url",
            &endpoint,
            "--region",
            "eu-west-1",
        ]));
    assert_eq!(out.code, 0, "{}", out.stderr);
    assert!(
        out.stdout.contains(&account.id) && out.stdout.contains("region: eu-west-1"),
        "{}",
        out.stdout
    );
}

#[tokio::test]
async fn each_test_account_is_its_own() {
    let (a, b) = (Account::new().await, Account::new().await);
    let iam_a = aws_sdk_iam::Client::new(&a.config().await);
    let iam_b = aws_sdk_iam::Client::new(&b.config().await);
    let trust = r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"Service":"lambda.amazonaws.com"},"Action":"sts:AssumeRole"}]}"#;
    iam_a
        .create_role()
        .role_name("only-in-a")
        .assume_role_policy_document(trust)
        .send()
        .await
        .unwrap();
    let roles_b = iam_b.list_roles().send().await.unwrap();
    assert!(roles_b.roles().iter().all(|r| r.role_name() != "only-in-a"));
    let roles_a = iam_a.list_roles().send().await.unwrap();
    assert!(roles_a.roles().iter().any(|r| r.role_name() == "only-in-a"));
}

#[test]
fn unreachable_endpoint_fails_fast_naming_the_operation() {
    let started = Instant::now();
    let out = run(slsr()
        .env("AWS_ACCESS_KEY_ID", "test")
        .env("AWS_SECRET_ACCESS_KEY", "test")
        .args([
            "whoami",
            "--region",
            "us-east-1",
            "--endpoint-url",
            "http://127.0.0.1:9",
        ]));
    assert_eq!(out.code, 1);
    assert!(out.stderr.contains("GetCallerIdentity"), "{}", out.stderr);
    assert!(
        out.stderr.to_lowercase().contains("connect") || out.stderr.contains("dispatch"),
        "{}",
        out.stderr
    );
    assert!(
        started.elapsed() < Duration::from_secs(30),
        "took {:?}",
        started.elapsed()
    );
}

#[test]
fn missing_credentials_fail_with_a_clear_message() {
    let endpoint = crate::support::endpoint();
    let out = run(slsr().args([
        "whoami",
        "--region",
        "us-east-1",
        "--endpoint-url",
        &endpoint,
    ]));
    assert_eq!(out.code, 1);
    assert!(out.stderr.contains("credentials"), "{}", out.stderr);
    assert_eq!(out.stderr.lines().count(), 1, "one line: {}", out.stderr);
}
