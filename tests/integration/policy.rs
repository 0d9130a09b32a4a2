//! `slsr policy` for real: an emulator of the test's own that enforces IAM (`enforcing.rs`:
//! moto with `INITIAL_NO_AUTH_ACTION_COUNT`, patched to name each call's resource as AWS
//! does), a CI user holding only the policy
//! `slsr policy` printed for a spec, and that user planning, applying, re-planning clean
//! and destroying it through the test proxy, whose log shows every call slsr made: each
//! must be answered (no AccessDenied) and be an action the printed policy names. The same
//! user is refused another service's resources.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

use serde_json::Value;

use crate::enforcing::{ACCOUNT, Enforcing, slsr_as};
use crate::proxy::operation::Operation;
use crate::proxy::{Config, Proxy};
use crate::support::{app, run, slsr};

/// `slsr policy -f SPEC --account ACCOUNT`, run without any AWS credentials.
fn policy_of(spec: &Path, extra: &[&str]) -> Value {
    let out = run(slsr()
        .args(["policy", "-f"])
        .arg(spec)
        .args(["--account", ACCOUNT])
        .args(extra));
    assert_eq!(out.code, 0, "{}", out.stderr);
    serde_json::from_str(&out.stdout).expect("slsr policy prints a JSON document")
}

/// IAM's wildcard match (`*` any run, `?` one character).
fn glob(pattern: &str, value: &str) -> bool {
    match pattern.chars().next() {
        None => value.is_empty(),
        Some('*') => (0..=value.len())
            .filter(|i| value.is_char_boundary(*i))
            .any(|i| glob(&pattern[1..], &value[i..])),
        Some(c) => value.chars().next().is_some_and(|v| {
            (c == '?' || c.eq_ignore_ascii_case(&v))
                && glob(&pattern[c.len_utf8()..], &value[v.len_utf8()..])
        }),
    }
}

fn strings(v: &Value) -> Vec<&str> {
    match v {
        Value::String(s) => vec![s.as_str()],
        Value::Array(items) => items.iter().filter_map(Value::as_str).collect(),
        _ => Vec::new(),
    }
}

/// Whether an Allow statement of `policy` names `action`.
fn names_action(policy: &Value, action: &str) -> bool {
    policy["Statement"]
        .as_array()
        .unwrap()
        .iter()
        .any(|s| s["Effect"] == "Allow" && strings(&s["Action"]).iter().any(|a| glob(a, action)))
}

/// The IAM action of an SDK operation, as the Service Authorization Reference names it:
/// mostly `signing-name:Operation`, with each service's exceptions.
fn iam_action(op: &Operation) -> String {
    let short = op.short();
    match op.service.as_str() {
        // API Gateway's IAM is by HTTP method.
        "apigateway" => {
            let method = [
                ("Create", "POST"),
                ("TagResource", "POST"),
                ("Get", "GET"),
                ("Update", "PATCH"),
                ("Delete", "DELETE"),
                ("UntagResource", "DELETE"),
                ("Import", "PUT"),
                ("Put", "PUT"),
                ("Reimport", "PUT"),
            ]
            .iter()
            .find(|(verb, _)| short.starts_with(verb))
            .map(|(_, m)| *m)
            // API Gateway v1's calls, which the proxy names by method and path.
            .or_else(|| {
                ["GET", "POST", "PUT", "PATCH", "DELETE"]
                    .into_iter()
                    .find(|m| short.starts_with(&format!("{m} ")))
            })
            .unwrap_or("?");
            format!("apigateway:{method}")
        }
        "tagging" => format!("tag:{short}"),
        "monitoring" => format!("cloudwatch:{short}"),
        "lambda" if short == "Invoke" => "lambda:InvokeFunction".into(),
        "s3" => {
            let action = match short {
                "ListBuckets" => "ListAllMyBuckets",
                "ListObjectVersions" => "ListBucketVersions",
                "ListMultipartUploads" => "ListBucketMultipartUploads",
                "ListObjects" | "ListObjectsV2" | "HeadBucket" => "ListBucket",
                "GetBucketNotificationConfiguration" => "GetBucketNotification",
                "PutBucketNotificationConfiguration" => "PutBucketNotification",
                "GetBucketLifecycleConfiguration" => "GetLifecycleConfiguration",
                "PutBucketLifecycleConfiguration" | "DeleteBucketLifecycle" => {
                    "PutLifecycleConfiguration"
                }
                "GetBucketCors" => "GetBucketCORS",
                "PutBucketCors" | "DeleteBucketCors" => "PutBucketCORS",
                "GetBucketEncryption" => "GetEncryptionConfiguration",
                "PutBucketEncryption" | "DeleteBucketEncryption" => "PutEncryptionConfiguration",
                "GetPublicAccessBlock" => "GetBucketPublicAccessBlock",
                "PutPublicAccessBlock" | "DeletePublicAccessBlock" => "PutBucketPublicAccessBlock",
                "DeleteBucketTagging" => "PutBucketTagging",
                "DeleteObjects" => "DeleteObject",
                "HeadObject" => "GetObject",
                "CreateMultipartUpload" | "UploadPart" | "CompleteMultipartUpload" => "PutObject",
                other => other,
            };
            format!("s3:{action}")
        }
        service => format!("{service}:{short}"),
    }
}

/// Fails unless every call through `proxy` was answered without AccessDenied and is an
/// action `policy` names. The actions seen.
fn every_call_allowed(proxy: &Proxy, policy: &Value, what: &str) -> BTreeSet<String> {
    let mut seen = BTreeSet::new();
    for call in proxy.calls() {
        let action = iam_action(&call.operation);
        assert_ne!(
            call.status, 403,
            "{what}: {} ({action}) was denied",
            call.operation.name
        );
        assert!(
            names_action(policy, &action),
            "{what}: slsr called {} ({action}), which the policy does not name:\n{policy:#}",
            call.operation.name
        );
        seen.insert(action);
    }
    seen
}

/// The kinds a plan of `spec` (offline) has.
fn kinds_of(spec: &Path) -> BTreeSet<String> {
    let out = run(slsr()
        .args(["plan", "--offline", "--format", "json", "-f"])
        .arg(spec));
    let plan: Value = serde_json::from_str(&out.stdout).expect("a JSON plan");
    plan["changes"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["kind"].as_str().unwrap().to_string())
        .collect()
}

/// A user holding only `spec`'s policy plans it, applies it, plans clean and destroys it
/// (with its data), through a proxy whose log must show only allowed calls. The actions
/// the proxy saw.
async fn deploy_and_destroy_as_ci(
    server: &Enforcing,
    user: &str,
    spec: &Path,
    between: &[&[&str]],
) -> BTreeSet<String> {
    let policy = policy_of(spec, &[]);
    let key = server.user(user, &policy.to_string()).await;
    server.take_unnamed();
    let proxy = Proxy::start(&server.endpoint, Config::default()).await;
    let spec = spec.to_str().unwrap();
    let at = |args: &[&str]| slsr_as(&key, &proxy.endpoint, args);
    let plan = at(&["plan", "-f", spec, "--detailed-exitcode"]);
    assert_eq!(plan.code, 2, "{user}: plan\n{}{}", plan.stdout, plan.stderr);
    let apply = at(&["apply", "-f", spec, "--auto-approve"]);
    assert_eq!(
        apply.code, 0,
        "{user}: apply\n{}{}",
        apply.stdout, apply.stderr
    );
    // What else the user runs between apply and the next plan (`release`, `adopt`).
    for command in between {
        let mut args = command.to_vec();
        args.extend(["-f", spec]);
        let out = at(&args);
        assert_eq!(
            out.code, 0,
            "{user}: {command:?}\n{}{}",
            out.stdout, out.stderr
        );
    }
    let clean = at(&["plan", "-f", spec, "--detailed-exitcode"]);
    assert_eq!(
        clean.code, 0,
        "{user}: re-plan\n{}{}",
        clean.stdout, clean.stderr
    );
    let destroy = at(&["destroy", "-f", spec, "--auto-approve", "--allow-data-loss"]);
    assert_eq!(
        destroy.code, 0,
        "{user}: destroy\n{}{}",
        destroy.stdout, destroy.stderr
    );
    assert!(
        destroy.stdout.contains("Destroy complete"),
        "{user}: {}",
        destroy.stdout
    );
    let after = at(&["plan", "-f", spec, "--detailed-exitcode"]);
    assert_eq!(
        after.code, 2,
        "{user}: everything is gone\n{}",
        after.stdout
    );
    // What moto checked by its action alone, the policy grants on `*`: no call's scoping
    // went untested.
    for action in server.take_unnamed() {
        assert!(
            granted_on_anything(&policy, &action),
            "{user}: {action} was checked without its resource, and the policy scopes it: the emulator's patch must name its resource"
        );
    }
    every_call_allowed(&proxy, &policy, user)
}

/// Whether an Allow statement of `policy` grants `action` on `*`.
fn granted_on_anything(policy: &Value, action: &str) -> bool {
    policy["Statement"].as_array().unwrap().iter().any(|s| {
        s["Effect"] == "Allow"
            && strings(&s["Action"]).iter().any(|a| glob(a, action))
            && strings(&s["Resource"]).contains(&"*")
    })
}

fn example(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("examples")
        .join(name)
        .join("slsr.yaml")
}

/// What the examples lack of the kinds: a function URL, a JWT authorizer, a custom domain
/// (its domain name and API mapping), provisioned concurrency (its alias), a parameter read
/// from SSM, an output published to SSM, and the deploy lock; a REST API with its resources,
/// methods, authorizer, API key, usage plan, CORS, access log and deployment; and a table and a secret of
/// exact names, outside the prefix.
const THE_REST: &str = "service: every
region: us-east-1
lock: {table: ci-locks}
tables:
  ledger: {name: ledger-of-every, key: {partition: id}, attributes: {id: string}}
secrets:
  token: {name: token-of-every, generate: {length: 24}}
http_api:
  authorizers:
    users: {jwt: {issuer: 'https://issuer.example.com', audience: [web]}}
  domain: {name: api.every.example.com, certificate: 'arn:aws:acm:us-east-1:123456789012:certificate/every', base_path: v1}
rest_api:
  authorizers:
    gate: {function: api, type: token}
  api_keys: [partner]
  usage_plans: {basic: {keys: [partner], throttle: {rate: 5, burst: 10}, quota: {limit: 100, period: day}}}
  cors: {allow_origins: ['https://example.com'], allow_headers: [Content-Type]}
  stage: {access_log: true}
functions:
  api:
    handler: index.handler
    runtime: python3.12
    code: ./src
    url: {auth: iam}
    provisioned_concurrency: 1
    env: {DB: '${ssm:/every/db-url}'}
    events:
      - http: {route: GET /me, auth: users}
      - rest: GET /orders/{id}
      - rest: {route: GET /guarded, auth: gate}
      - rest: {route: GET /keyed, auth: api_key}
outputs:
  api_url: {value: '${http_api.url}', ssm: /every/dev/api_url}
  rest_url: {value: '${rest_api.url}'}
";

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_user_holding_only_the_printed_policy_deploys_and_destroys_every_example_and_every_kind()
{
    let server = Enforcing::start("every").await;
    // What the team provides: the lock's table and the parameter the spec reads.
    let admin = server.admin_config().await;
    let db = aws_sdk_dynamodb::Client::new(&admin);
    crate::console::lock_table(&db, "ci-locks").await;
    aws_sdk_ssm::Client::new(&admin)
        .put_parameter()
        .name("/every/db-url")
        .value("postgres://db.internal/every")
        .r#type(aws_sdk_ssm::types::ParameterType::String)
        .send()
        .await
        .unwrap();
    // The account's CloudWatch Logs role for API Gateway, which the access log needs and
    // slsr never sets.
    aws_sdk_apigateway::Client::new(&admin)
        .update_account()
        .patch_operations(
            aws_sdk_apigateway::types::PatchOperation::builder()
                .op(aws_sdk_apigateway::types::Op::Replace)
                .path("/cloudwatchRoleArn")
                .value("arn:aws:iam::123456789012:role/apigw-logs")
                .build(),
        )
        .send()
        .await
        .unwrap();

    let rest = app("policy-every", THE_REST);
    let mut kinds = kinds_of(&rest);
    let mut actions = deploy_and_destroy_as_ci(
        &server,
        "ci-every",
        &rest,
        &[
            &["release", "table.ledger"],
            &["adopt", "table.ledger", "--auto-approve"],
        ],
    )
    .await;
    assert!(
        [
            "dynamodb:PutItem",
            "dynamodb:DeleteItem",
            "dynamodb:UntagResource",
            "dynamodb:TagResource",
            "ssm:GetParameters"
        ]
        .iter()
        .all(|a| actions.contains(*a)),
        "the lock, release and adopt, and the parameter were used: {actions:?}"
    );
    for name in ["hello-http", "orders", "notes", "fulfilment", "image-etl"] {
        let spec = example(name);
        kinds.extend(kinds_of(&spec));
        actions.extend(deploy_and_destroy_as_ci(&server, &format!("ci-{name}"), &spec, &[]).await);
    }
    let every_kind: BTreeSet<String> = [
        "alarm",
        "alias",
        "api_mapping",
        "authorizer",
        "bucket",
        "bucket_notification",
        "bus",
        "domain_name",
        "event_source_mapping",
        "function",
        "function_url",
        "http_api",
        "integration",
        "log_group",
        "parameter",
        "permission",
        "queue",
        "rest_api",
        "rest_api_key",
        "rest_authorizer",
        "rest_cors",
        "rest_deployment",
        "rest_method",
        "rest_resource",
        "rest_stage",
        "rest_usage_plan",
        "rest_usage_plan_key",
        "role",
        "route",
        "rule",
        "schedule",
        "schedule_group",
        "secret",
        "stage",
        "state_machine",
        "stream",
        "subscription",
        "table",
        "topic",
    ]
    .map(String::from)
    .into();
    assert_eq!(kinds, every_kind, "the specs cover every kind");
    // Writes of every service were made and allowed (reads alone would prove little).
    for action in [
        "lambda:CreateFunction",
        "iam:CreateRole",
        "apigateway:POST",
        "sqs:CreateQueue",
        "dynamodb:CreateTable",
        "s3:CreateBucket",
        "s3:PutBucketNotification",
        "sns:Subscribe",
        "kinesis:CreateStream",
        "secretsmanager:CreateSecret",
        "states:CreateStateMachine",
        "events:PutRule",
        "scheduler:CreateSchedule",
        "logs:CreateLogGroup",
        "ssm:PutParameter",
        "tag:GetResources",
        "cloudwatch:PutMetricAlarm",
        "cloudwatch:DeleteAlarms",
        "lambda:GetAccountSettings",
    ] {
        assert!(actions.contains(action), "{action}: {actions:?}");
    }
}

const MINE: &str = "service: mine
region: us-east-1
queues:
  jobs: {}
tables:
  items: {key: {partition: id}, attributes: {id: string}}
topics:
  news: {}
functions:
  api:
    handler: index.handler
    runtime: python3.12
    code: ./src
    events:
      - http: GET /items
      - sqs: {queue: jobs}
";

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_policy_denies_another_services_functions_roles_queues_tables_and_topics() {
    let server = Enforcing::start("denied").await;
    let mine = app("policy-mine", MINE);
    let theirs = app(
        "policy-theirs",
        &MINE.replace("service: mine", "service: theirs"),
    );
    // Another team's service, deployed by the admin.
    let admin = slsr_as(
        &server.admin,
        &server.endpoint,
        &["apply", "-f", theirs.to_str().unwrap(), "--auto-approve"],
    );
    assert_eq!(admin.code, 0, "{}{}", admin.stdout, admin.stderr);
    let key = server
        .user("ci-mine", &policy_of(&mine, &[]).to_string())
        .await;
    // Its own service deploys...
    let own = slsr_as(
        &key,
        &server.endpoint,
        &["apply", "-f", mine.to_str().unwrap(), "--auto-approve"],
    );
    assert_eq!(own.code, 0, "{}{}", own.stdout, own.stderr);
    // A role of the team's own, named by ARN: the policy of a spec that names it lets
    // Lambda have it (iam:PassRole), the policy of one that does not is refused.
    let iam = aws_sdk_iam::Client::new(&server.admin_config().await);
    iam.create_role()
        .role_name("api-runtime")
        .path("/team/")
        .assume_role_policy_document(
            r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"Service":"lambda.amazonaws.com"},"Action":"sts:AssumeRole"}]}"#,
        )
        .send()
        .await
        .unwrap();
    let with_role = app(
        "policy-mine-role",
        &MINE.replace(
            "    code: ./src\n",
            &format!("    code: ./src\n    role: arn:aws:iam::{ACCOUNT}:role/team/api-runtime\n"),
        ),
    );
    let refused = slsr_as(
        &key,
        &server.endpoint,
        &["apply", "-f", with_role.to_str().unwrap(), "--auto-approve"],
    );
    assert_eq!(refused.code, 1, "{}{}", refused.stdout, refused.stderr);
    assert!(
        refused.stderr.contains("iam:PassRole"),
        "{}{}",
        refused.stdout,
        refused.stderr
    );
    let role_key = server
        .user("ci-mine-role", &policy_of(&with_role, &[]).to_string())
        .await;
    let passed = slsr_as(
        &role_key,
        &server.endpoint,
        &["apply", "-f", with_role.to_str().unwrap(), "--auto-approve"],
    );
    assert_eq!(passed.code, 0, "{}{}", passed.stdout, passed.stderr);
    // ... but slsr pointed at the other service's resources is refused: reading its
    // function, and deleting it.
    let destroy = slsr_as(
        &key,
        &server.endpoint,
        &["destroy", "-f", theirs.to_str().unwrap(), "--auto-approve"],
    );
    assert_eq!(destroy.code, 1, "{}{}", destroy.stdout, destroy.stderr);
    assert!(
        destroy.stderr.contains("AccessDenied"),
        "{}{}",
        destroy.stdout,
        destroy.stderr
    );
    let lambda = aws_sdk_lambda::Client::new(&server.admin_config().await);
    lambda
        .get_function()
        .function_name("theirs-dev-api")
        .send()
        .await
        .expect("their function is still there");
    // A new service of another name: its roles cannot be made.
    let other = app(
        "policy-other",
        &MINE.replace("service: mine", "service: other"),
    );
    let apply = slsr_as(
        &key,
        &server.endpoint,
        &["apply", "-f", other.to_str().unwrap(), "--auto-approve"],
    );
    assert_eq!(apply.code, 1, "{}{}", apply.stdout, apply.stderr);
    assert!(
        apply.stderr.contains("AccessDenied") || apply.stdout.contains("AccessDenied"),
        "{}{}",
        apply.stdout,
        apply.stderr
    );
    assert!(
        iam.get_role()
            .role_name("other-dev-api")
            .send()
            .await
            .is_err(),
        "no role of the other service was made"
    );
    assert!(
        lambda
            .get_function()
            .function_name("other-dev-api")
            .send()
            .await
            .is_err(),
        "no function of the other service was made"
    );
    let sqs = aws_sdk_sqs::Client::new(&server.admin_config().await);
    assert!(
        sqs.get_queue_url()
            .queue_name("other-dev-jobs")
            .send()
            .await
            .is_err(),
        "no queue of the other service was made"
    );
    let logs = aws_sdk_cloudwatchlogs::Client::new(&server.admin_config().await);
    let groups = logs
        .describe_log_groups()
        .log_group_name_prefix("/aws/lambda/other-")
        .send()
        .await
        .unwrap();
    assert!(
        groups.log_groups().is_empty(),
        "no log group of the other service was made"
    );
    let db = aws_sdk_dynamodb::Client::new(&server.admin_config().await);
    assert!(
        db.describe_table()
            .table_name("other-dev-items")
            .send()
            .await
            .is_err(),
        "no table of the other service was made"
    );
    let sns = aws_sdk_sns::Client::new(&server.admin_config().await);
    let topics = sns.list_topics().send().await.unwrap();
    assert!(
        !topics
            .topics()
            .iter()
            .any(|t| t.topic_arn().unwrap_or_default().contains(":other-dev-")),
        "no topic of the other service was made"
    );
}

#[test]
fn policy_runs_offline_without_credentials_and_names_the_flag_of_a_bad_account() {
    let spec = example("hello-http");
    let out = run(slsr().args(["policy", "-f"]).arg(&spec));
    assert_eq!(out.code, 0, "{}", out.stderr);
    let policy: Value = serde_json::from_str(&out.stdout).unwrap();
    // Without `--account`, the account is `*`.
    assert!(
        out.stdout
            .contains("\"arn:aws:lambda:us-east-1:*:function:hello-http-dev-*\""),
        "{}",
        out.stdout
    );
    // A spec without tables has no DynamoDB statement, and no lock without a lock table.
    assert!(!names_action(&policy, "dynamodb:CreateTable"));
    assert!(!names_action(&policy, "dynamodb:PutItem"));
    let locked = run(slsr()
        .args(["policy", "--lock-table", "deploy-locks", "-f"])
        .arg(&spec));
    assert!(
        locked
            .stdout
            .contains("\"arn:aws:dynamodb:us-east-1:*:table/deploy-locks\""),
        "{}",
        locked.stdout
    );
    // The stage chooses the names: prod's policy cannot touch dev.
    let prod = run(slsr().args(["policy", "-s", "prod", "-f"]).arg(&spec));
    assert!(
        prod.stdout
            .contains("\"arn:aws:lambda:us-east-1:*:function:hello-http-prod-*\"")
            && !prod.stdout.contains("hello-http-dev-"),
        "{}",
        prod.stdout
    );
    // README's example, as written there, with no credentials.
    let readme = run(slsr().args([
        "policy",
        "-f",
        "examples/orders/slsr.yaml",
        "--account",
        "123456789012",
    ]));
    assert_eq!(readme.code, 0, "{}", readme.stderr);
    for arn in [
        "\"arn:aws:lambda:us-east-1:123456789012:function:orders-dev-*\"",
        "\"arn:aws:iam::123456789012:role/slsr/orders/dev/*\"",
        "\"arn:aws:sqs:us-east-1:123456789012:orders-dev-*\"",
    ] {
        assert!(readme.stdout.contains(arn), "{arn}:\n{}", readme.stdout);
    }
    let bad = run(slsr()
        .args(["policy", "--account", "12345", "-f"])
        .arg(&spec));
    assert_eq!(bad.code, 2);
    assert!(
        bad.stderr.contains("--account") && bad.stderr.contains("12 digits"),
        "{}",
        bad.stderr
    );
}
