//! What the integration tests share: the emulator's address, a fresh emulator account per
//! test, a way to run the real `slsr` binary against it, and the checks most tests make of
//! its runs (an apply that plans clean after, a plan with changes, a refusal to lose data).
//!
//! Every AWS call a test makes goes to the emulator named by SLSR_TEST_ENDPOINT, a loopback
//! address; nothing reaches real AWS. Each test gets its own account (moto keeps accounts
//! apart by access key), so tests run in parallel on one emulator.

use std::net::TcpStream;
use std::process::{Command, Output};
use std::time::Duration;

use aws_config::{BehaviorVersion, Region, SdkConfig};
use aws_sdk_iam::config::Credentials;

pub const REGION: &str = "us-east-1";

/// The emulator's endpoint. A test that needs it and cannot reach it fails, saying how to
/// start one: nothing is skipped silently.
pub fn endpoint() -> String {
    let endpoint = std::env::var("SLSR_TEST_ENDPOINT").unwrap_or_else(|_| {
        panic!("SLSR_TEST_ENDPOINT is not set: this test needs the local AWS emulator. Run the tests with `scripts/test`, which installs and starts moto, or start moto yourself (see README) and set SLSR_TEST_ENDPOINT=http://127.0.0.1:PORT")
    });
    let host = endpoint.trim_start_matches("http://").trim_end_matches('/');
    assert!(
        host.starts_with("127.0.0.1:") || host.starts_with("localhost:"),
        "SLSR_TEST_ENDPOINT must be a loopback address, got {endpoint}"
    );
    let addr = host
        .replace("localhost", "127.0.0.1")
        .parse()
        .expect("SLSR_TEST_ENDPOINT is http://127.0.0.1:PORT");
    if TcpStream::connect_timeout(&addr, Duration::from_secs(2)).is_err() {
        panic!(
            "no emulator answers at {endpoint}: run the tests with `scripts/test`, which starts moto"
        );
    }
    endpoint
}

/// An emulator account of the test's own, with credentials that select it.
#[derive(Clone)]
pub struct Account {
    pub id: String,
    pub access_key: String,
    pub secret_key: String,
}

fn sdk_config(
    endpoint: &str,
    access_key: &str,
    secret_key: &str,
) -> impl Future<Output = SdkConfig> {
    aws_config::defaults(BehaviorVersion::latest())
        .endpoint_url(endpoint)
        .region(Region::new(REGION))
        .credentials_provider(Credentials::new(
            access_key,
            secret_key,
            None,
            None,
            "slsr-tests",
        ))
        .load()
}

impl Account {
    /// Creates an account: a user and an access key made with moto's `x-moto-account-id`
    /// header; calls signed with that key then land in that account.
    pub async fn new() -> Account {
        let endpoint = endpoint();
        let id = format!("{:012}", fastrand::u64(100_000_000_000..999_999_999_999));
        let config = sdk_config(&endpoint, "test", "test").await;
        let iam = aws_sdk_iam::Client::new(&config);
        let header = id.clone();
        iam.create_user()
            .user_name("slsr-test")
            .customize()
            .mutate_request(move |req| {
                req.headers_mut()
                    .insert("x-moto-account-id", header.clone());
            })
            .send()
            .await
            .expect("create a user in the test account");
        let header = id.clone();
        let key = iam
            .create_access_key()
            .user_name("slsr-test")
            .customize()
            .mutate_request(move |req| {
                req.headers_mut()
                    .insert("x-moto-account-id", header.clone());
            })
            .send()
            .await
            .expect("create an access key in the test account")
            .access_key
            .expect("an access key");
        Account {
            id,
            access_key: key.access_key_id,
            secret_key: key.secret_access_key,
        }
    }

    /// SDK configuration for this account, pointed at the emulator.
    pub async fn config(&self) -> SdkConfig {
        sdk_config(&endpoint(), &self.access_key, &self.secret_key).await
    }

    /// An S3 client for this account, addressing buckets by path (`endpoint/bucket`), as
    /// the emulator needs.
    pub async fn s3(&self) -> aws_sdk_s3::Client {
        s3_by_path(&self.config().await)
    }

    /// The `slsr` binary with this account's credentials and the emulator's endpoint.
    pub fn slsr(&self) -> Command {
        let mut cmd = slsr();
        cmd.env("AWS_ACCESS_KEY_ID", &self.access_key)
            .env("AWS_SECRET_ACCESS_KEY", &self.secret_key)
            .env("AWS_REGION", REGION)
            .env("AWS_ENDPOINT_URL", endpoint());
        cmd
    }
}

/// An S3 client addressing buckets by path (`endpoint/bucket`), as the emulator needs.
pub fn s3_by_path(config: &SdkConfig) -> aws_sdk_s3::Client {
    aws_sdk_s3::Client::from_conf(
        aws_sdk_s3::config::Builder::from(config)
            .force_path_style(true)
            .build(),
    )
}

/// The real `slsr` binary with an environment that cannot reach AWS: no credentials, no
/// profile, no instance metadata, no colour.
pub fn slsr() -> Command {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_slsr"));
    for var in [
        "AWS_ACCESS_KEY_ID",
        "AWS_SECRET_ACCESS_KEY",
        "AWS_SESSION_TOKEN",
        "AWS_PROFILE",
        "AWS_DEFAULT_PROFILE",
        "AWS_REGION",
        "AWS_DEFAULT_REGION",
        "AWS_ENDPOINT_URL",
        "CLICOLOR_FORCE",
    ] {
        cmd.env_remove(var);
    }
    let home = std::env::temp_dir().join("slsr-test-home");
    std::fs::create_dir_all(&home).unwrap();
    cmd.env("HOME", &home)
        .env("AWS_CONFIG_FILE", home.join("no-config"))
        .env("AWS_SHARED_CREDENTIALS_FILE", home.join("no-credentials"))
        .env("AWS_EC2_METADATA_DISABLED", "true")
        .env("NO_COLOR", "1")
        .current_dir(env!("CARGO_MANIFEST_DIR"));
    cmd
}

pub struct Run {
    pub code: i32,
    pub stdout: String,
    pub stderr: String,
}

pub fn run(cmd: &mut Command) -> Run {
    let Output {
        status,
        stdout,
        stderr,
    } = cmd.output().expect("slsr runs");
    let run = Run {
        code: status.code().unwrap_or(-1),
        stdout: String::from_utf8_lossy(&stdout).into_owned(),
        stderr: String::from_utf8_lossy(&stderr).into_owned(),
    };
    assert!(
        !run.stderr.contains("panicked"),
        "slsr panicked:\n{}",
        run.stderr
    );
    run
}

/// `slsr COMMAND -f SPEC EXTRA...` in `account`: what most tests run.
pub fn slsr_on(account: &Account, command: &str, spec: &std::path::Path, extra: &[&str]) -> Run {
    run(account.slsr().arg(command).arg("-f").arg(spec).args(extra))
}

/// `slsr apply --auto-approve -f SPEC EXTRA...` in `account`, which must succeed.
pub fn applied(account: &Account, spec: &std::path::Path, extra: &[&str]) -> Run {
    let mut args = vec!["--auto-approve"];
    args.extend(extra);
    let out = slsr_on(account, "apply", spec, &args);
    assert_eq!(out.code, 0, "apply failed:\n{}{}", out.stdout, out.stderr);
    out
}

/// Fails unless a plan of `spec` in `account` has no changes (`--detailed-exitcode` 0).
pub fn assert_clean(account: &Account, spec: &std::path::Path) {
    let out = slsr_on(account, "plan", spec, &["--detailed-exitcode"]);
    assert_eq!(
        out.code, 0,
        "not clean after apply:\n{}{}",
        out.stdout, out.stderr
    );
}

/// [`applied`], then [`assert_clean`]: apply's output.
pub fn applied_clean(account: &Account, spec: &std::path::Path, extra: &[&str]) -> Run {
    let out = applied(account, spec, extra);
    assert_clean(account, spec);
    out
}

/// Plans `spec` (with `extra` flags), which must have changes (`--detailed-exitcode` 2):
/// the plan's output.
pub fn planned_changes(account: &Account, spec: &std::path::Path, extra: &[&str]) -> String {
    let mut args = vec!["--detailed-exitcode"];
    args.extend(extra);
    let out = slsr_on(account, "plan", spec, &args);
    assert_eq!(out.code, 2, "{}{}", out.stdout, out.stderr);
    out.stdout
}

/// Writes `text` as the spec, then [`planned_changes`].
pub fn replan(
    account: &Account,
    spec: &std::path::Path,
    text: impl AsRef<[u8]>,
    extra: &[&str],
) -> String {
    std::fs::write(spec, text).unwrap();
    planned_changes(account, spec, extra)
}

/// One change to the spec: writes `text` as the spec, plans it (the plan must show each of
/// `lines`), applies it and plans clean. The plan's text.
pub fn apply_change(
    account: &Account,
    spec: &std::path::Path,
    text: impl AsRef<[u8]>,
    lines: &[&str],
) -> String {
    let plan = replan(account, spec, text, &[]);
    has_all(&plan, lines);
    applied_clean(account, spec, &[]);
    plan
}

/// Fails unless `text` contains every one of `lines`.
pub fn has_all(text: &str, lines: &[&str]) {
    for line in lines {
        assert!(text.contains(line), "{line}:\n{text}");
    }
}

/// Plans `spec`, which must be refused for losing data (exit 1), saying so with both ways
/// on (`--allow-data-loss`, `slsr release`) and each of `lines`: the refused run.
pub fn refused_for_data_loss(account: &Account, spec: &std::path::Path, lines: &[&str]) -> Run {
    let refused = slsr_on(account, "plan", spec, &[]);
    assert_eq!(refused.code, 1, "{}{}", refused.stdout, refused.stderr);
    has_all(
        &refused.stderr,
        &[
            "this plan would lose data",
            "--allow-data-loss",
            "slsr release ADDRESS",
        ],
    );
    has_all(&refused.stderr, lines);
    refused
}

/// The plan's changes marked DATA LOSS, as (address, kind), from a `--format json` plan.
pub fn data_loss_changes(plan_json: &str) -> Vec<(String, String)> {
    let doc: serde_json::Value = serde_json::from_str(plan_json).unwrap();
    doc["changes"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|c| c["data_loss"] == true)
        .map(|c| {
            (
                c["address"].as_str().unwrap().to_string(),
                c["kind"].as_str().unwrap().to_string(),
            )
        })
        .collect()
}

/// `slsr destroy --auto-approve -f SPEC EXTRA...` in `account`, which must succeed.
pub fn destroyed(account: &Account, spec: &std::path::Path, extra: &[&str]) -> Run {
    let mut args = vec!["--auto-approve"];
    args.extend(extra);
    let out = slsr_on(account, "destroy", spec, &args);
    assert_eq!(out.code, 0, "destroy failed:\n{}{}", out.stdout, out.stderr);
    out
}

/// A scratch directory of the test's own.
pub fn scratch(name: &str) -> std::path::PathBuf {
    let dir = std::env::temp_dir().join(format!("slsr-test-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

/// A small app in a scratch directory: `spec` as slsr.yaml beside a `src/index.py`
/// handler. Returns the spec's path.
pub fn app(name: &str, spec: &str) -> std::path::PathBuf {
    let dir = scratch(name);
    std::fs::create_dir_all(dir.join("src")).unwrap();
    std::fs::write(
        dir.join("src/index.py"),
        "def handler(event, context):\n    return {'statusCode': 200}\n",
    )
    .unwrap();
    std::fs::write(dir.join("slsr.yaml"), spec).unwrap();
    dir.join("slsr.yaml")
}

/// The most items the emulator puts in a page of any listing: scripts/test starts it with
/// SLSR_EMULATOR_PAGE_SIZE and tells the tests. At most 10, the smallest of AWS's own
/// default pages (SSM DescribeParameters'), so that every listing's pages are `pages(n)`.
pub fn page_size() -> usize {
    let size = std::env::var("SLSR_EMULATOR_PAGE_SIZE")
        .ok()
        .and_then(|s| s.parse().ok())
        .expect("SLSR_EMULATOR_PAGE_SIZE, the emulator's page size, is set: run the tests with `scripts/test`");
    assert!(
        (1..=10).contains(&size),
        "these tests count pages of 1 to 10 items, not SLSR_EMULATOR_PAGE_SIZE={size}"
    );
    size
}

/// The pages a listing of `items` things takes on the emulator; an empty listing is one page.
pub fn pages(items: usize) -> usize {
    items.div_ceil(page_size()).max(1)
}

/// Every item of a listing the SDK has no paginator for (API Gateway v2, EventBridge), the
/// pages followed by their tokens: `all_items!(apigw.get_routes().api_id(id), items)`. The
/// emulator answers in small pages, so a test that read one page would see only part.
macro_rules! all_items {
    ($request:expr, $items:ident) => {{
        let mut all = Vec::new();
        let mut token: Option<String> = None;
        loop {
            let out = $request.set_next_token(token).send().await.unwrap();
            all.extend(out.$items().iter().cloned());
            token = out.next_token().map(str::to_string);
            if token.is_none() {
                break all;
            }
        }
    }};
}
pub(crate) use all_items;
