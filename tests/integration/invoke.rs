//! `slsr invoke` through the test proxy, which answers Lambda's Invoke itself (the emulator
//! runs code only with Docker) with a literal status, headers and body, and keeps what slsr
//! sent: the payload, LogType Tail, the invocation type. The answer printed, the log tail
//! decoded, a function error's exit and type, `--data @file`, refused data, `--async`, and,
//! against the emulator itself, a function that is not deployed.

use crate::proxy::{Config, Outcome, Proxy, Reply};
use crate::support::{Account, app, run, scratch};

const SPEC: &str = "service: shop
functions:
  api:
    handler: index.handler
    runtime: python3.12
    code: ./src
";

/// A proxy answering every Invoke with `status`, `headers` and `body`.
async fn answering(status: u16, headers: Vec<(&'static str, String)>, body: &str) -> Proxy {
    let config = Config {
        reply: Some(Reply {
            operation: "Lambda.Invoke",
            status,
            headers,
            body: body.to_string(),
        }),
        ..Config::default()
    };
    Proxy::start(&crate::support::endpoint(), config).await
}

fn invoke(
    account: &Account,
    proxy: &Proxy,
    spec: &std::path::Path,
    args: &[&str],
) -> crate::support::Run {
    run(account
        .slsr()
        .env("AWS_ENDPOINT_URL", &proxy.endpoint)
        .arg("invoke")
        .arg("-f")
        .arg(spec)
        .args(args))
}

// "START RequestId: r-1 Version: $LATEST\nhello from api\nEND RequestId: r-1\n", base64'd
// with `base64`.
const TAIL: &str = "U1RBUlQgUmVxdWVzdElkOiByLTEgVmVyc2lvbjogJExBVEVTVApoZWxsbyBmcm9tIGFwaQpFTkQgUmVxdWVzdElkOiByLTEK";

fn ok_headers() -> Vec<(&'static str, String)> {
    vec![
        ("content-type", "application/json".into()),
        ("x-amzn-requestid", "r-1".into()),
        ("x-amz-executed-version", "$LATEST".into()),
        ("x-amz-log-result", TAIL.into()),
    ]
}

// Several worker threads: the proxy must serve while the test waits on slsr.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn invoke_prints_the_answer_and_the_decoded_log_tail_and_sends_the_payload_with_logtype_tail()
{
    let spec = app("invoke-ok", SPEC);
    let account = Account::new().await;
    let proxy = answering(200, ok_headers(), r#"{"statusCode": 200, "body": "ok"}"#).await;

    let out = invoke(
        &account,
        &proxy,
        &spec,
        &["api", "--data", r#"{"name": "Ada"}"#],
    );
    assert_eq!(out.code, 0, "{}", out.stderr);
    assert_eq!(out.stdout, "{\"statusCode\": 200, \"body\": \"ok\"}\n");
    assert_eq!(
        out.stderr,
        "START RequestId: r-1 Version: $LATEST\nhello from api\nEND RequestId: r-1\n"
    );
    // One call, the Invoke, of the physical name, synchronous, with the log's tail.
    assert_eq!(proxy.calls().len(), 1, "{:?}", proxy.calls());
    assert_eq!(proxy.outcomes(Outcome::Replied), 1);
    let sent = &proxy.replied()[0];
    assert_eq!(sent.path, "/2015-03-31/functions/shop-dev-api/invocations");
    assert_eq!(sent.query, "");
    assert_eq!(sent.header("x-amz-log-type"), Some("Tail"));
    assert_eq!(
        sent.header("x-amz-invocation-type"),
        Some("RequestResponse")
    );
    assert_eq!(sent.body, br#"{"name": "Ada"}"#);

    // From a file, as its bytes are; and no data at all is an empty object.
    let dir = scratch("invoke-data");
    std::fs::write(dir.join("event.json"), "{\n  \"from\": \"file\"\n}\n").unwrap();
    let at = format!("@{}", dir.join("event.json").display());
    let out = invoke(&account, &proxy, &spec, &["api", "--data", &at]);
    assert_eq!(out.code, 0, "{}", out.stderr);
    assert_eq!(proxy.replied()[1].body, b"{\n  \"from\": \"file\"\n}\n");
    let out = invoke(&account, &proxy, &spec, &["api"]);
    assert_eq!(out.code, 0, "{}", out.stderr);
    assert_eq!(proxy.replied()[2].body, b"{}");

    // Data that is not JSON, or a file that is not there, never reaches Lambda.
    let out = invoke(&account, &proxy, &spec, &["api", "--data", "{name: Ada}"]);
    assert_eq!(out.code, 1);
    assert_eq!(
        out.stderr,
        "error: --data is not JSON: key must be a string at line 1 column 2\n"
    );
    std::fs::write(dir.join("bad.json"), "[1, 2,]").unwrap();
    let bad = dir.join("bad.json").display().to_string();
    let out = invoke(
        &account,
        &proxy,
        &spec,
        &["api", "--data", &format!("@{bad}")],
    );
    assert_eq!(out.code, 1);
    assert_eq!(
        out.stderr,
        format!("error: --data @{bad}: the file is not JSON: trailing comma at line 1 column 7\n")
    );
    let missing = dir.join("missing.json").display().to_string();
    let out = invoke(
        &account,
        &proxy,
        &spec,
        &["api", "-d", &format!("@{missing}")],
    );
    assert_eq!(out.code, 1);
    assert!(
        out.stderr.starts_with(&format!(
            "error: --data @{missing}: cannot read the file: No such file"
        )),
        "{}",
        out.stderr
    );
    let out = invoke(&account, &proxy, &spec, &["web"]);
    assert_eq!(out.code, 1);
    assert_eq!(
        out.stderr,
        "error: no function `web` in the spec; its functions are: api\n"
    );
    assert_eq!(proxy.replied().len(), 3, "no more invokes");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn invoke_exits_1_with_the_error_type_on_a_function_error() {
    let spec = app("invoke-error", SPEC);
    let account = Account::new().await;
    let mut headers = ok_headers();
    headers.push(("x-amz-function-error", "Unhandled".into()));
    let body = r#"{"errorMessage": "bad input", "errorType": "ValueError", "stackTrace": []}"#;
    let proxy = answering(200, headers, body).await;
    let out = invoke(&account, &proxy, &spec, &["api"]);
    assert_eq!(out.code, 1, "{}", out.stderr);
    assert_eq!(out.stdout, format!("{body}\n"));
    assert_eq!(
        out.stderr,
        "START RequestId: r-1 Version: $LATEST\nhello from api\nEND RequestId: r-1\nerror: function `api` failed with ValueError (Unhandled)\n"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn invoke_async_queues_the_event_and_prints_the_status_and_request_id() {
    let spec = app("invoke-async", SPEC);
    let account = Account::new().await;
    let headers = vec![("x-amzn-requestid", "r-async-7".to_string())];
    let proxy = answering(202, headers, "").await;
    let out = invoke(
        &account,
        &proxy,
        &spec,
        &["api", "--async", "--data", "[1]"],
    );
    assert_eq!(out.code, 0, "{}", out.stderr);
    assert_eq!(
        out.stdout,
        "Queued `api`: status 202, request id r-async-7\n"
    );
    assert_eq!(out.stderr, "");
    let sent = &proxy.replied()[0];
    assert_eq!(sent.header("x-amz-invocation-type"), Some("Event"));
    assert_eq!(sent.header("x-amz-log-type"), None);
    assert_eq!(sent.body, b"[1]");
}

#[tokio::test]
async fn invoking_a_function_that_is_not_deployed_says_to_apply() {
    let spec = app("invoke-undeployed", SPEC);
    let account = Account::new().await;
    let out = run(account.slsr().args(["invoke", "api", "-f"]).arg(&spec));
    assert_eq!(out.code, 1, "{}", out.stderr);
    assert_eq!(out.stdout, "");
    assert_eq!(
        out.stderr,
        "error: function `api` is not deployed: the account has no function shop-dev-api in us-east-1; run `slsr apply` first\n"
    );
}
