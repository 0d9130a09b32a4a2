//! `slsr plan` against the emulator: resources created with the SDK as a console user
//! would, then the plan checked for exactly the right changes, drift, deletions and
//! conflicts. Every test has an emulator account of its own.

use std::collections::HashMap;
use std::path::{Path, PathBuf};

use serde_json::{Value, json};
use slsr::desired::{self, Target};
use slsr::package::CodeIdentity;

use crate::console;
use crate::support::{Account, REGION, Run, pages, run};

const SPEC: &str = "service: shop
stage: dev
tags: {team: core}
queues:
  jobs: {visibility_timeout: 60, dead_letter: {queue: jobs-dlq, max_receive_count: 3}}
  jobs-dlq: {}
http_api:
  cors: {allow_origins: ['https://example.com'], allow_methods: [GET]}
functions:
  api:
    handler: index.handler
    runtime: python3.12
    code: ./src
    memory: 256
    timeout: 10
    log_retention_days: 14
    env: {TABLE: orders, API_TOKEN: s3cret-value, REGION_NAME: eu}
    events:
      - http: GET /items/{id}
  worker:
    handler: index.handler
    runtime: python3.12
    code: ./src
    events:
      - sqs: {queue: jobs, batch_size: 5}
      - schedule: rate(5 minutes)
";

struct Deployed {
    account: Account,
    dir: PathBuf,
    config: aws_config::SdkConfig,
}

impl Deployed {
    fn spec(&self) -> PathBuf {
        self.dir.join("slsr.yaml")
    }

    fn plan(&self, args: &[&str]) -> Run {
        run(self
            .account
            .slsr()
            .arg("plan")
            .arg("-f")
            .arg(self.spec())
            .args(args))
    }

    /// The JSON plan's changes by address.
    fn changes(&self) -> HashMap<String, Value> {
        let out = self.plan(&["--format", "json"]);
        assert_eq!(out.code, 0, "{}{}", out.stdout, out.stderr);
        let plan: Value = serde_json::from_str(&out.stdout).unwrap();
        plan["changes"]
            .as_array()
            .unwrap()
            .iter()
            .map(|c| (c["address"].as_str().unwrap().to_string(), c.clone()))
            .collect()
    }
}

/// A small app in a scratch directory: the spec and `src/index.py`. Returns the directory.
fn write_app(name: &str, spec: &str) -> PathBuf {
    crate::support::app(name, spec)
        .parent()
        .unwrap()
        .to_path_buf()
}

fn desired(
    spec: &Path,
    account: &Account,
    api_id: Option<String>,
) -> (slsr::model::State, HashMap<String, Vec<u8>>) {
    let options = slsr::spec::Options {
        region: Some(REGION.into()),
        ..Default::default()
    };
    let project = slsr::spec::load_file(spec, &options, &|_| None)
        .unwrap()
        .project
        .unwrap();
    let code = slsr::planning::code_identities(&project).unwrap();
    let zips = code
        .iter()
        .filter_map(|(name, c)| match c {
            CodeIdentity::Zip(p) => Some((name.clone(), std::fs::read(&p.path).unwrap())),
            CodeIdentity::Image(_) => None,
        })
        .collect();
    let target = Target {
        account_id: Some(account.id.clone()),
        region: Some(REGION.into()),
        api_id,
        ..Target::default()
    };
    (desired::build(&project, &code, &target), zips)
}

/// Creates everything SPEC declares, with the SDK.
async fn deploy(name: &str) -> Deployed {
    let dir = write_app(name, SPEC);
    let account = Account::new().await;
    let config = account.config().await;
    let (state, zips) = desired(&dir.join("slsr.yaml"), &account, None);
    let api_id = console::create(&config, &state, &zips).await;
    let (state, _) = desired(&dir.join("slsr.yaml"), &account, api_id);
    console::permit(&config, &state).await;
    Deployed {
        account,
        dir,
        config,
    }
}

#[tokio::test]
async fn an_empty_account_plans_every_resource_as_a_create() {
    let dir = write_app("live-empty", SPEC);
    let account = Account::new().await;
    let out = run(account
        .slsr()
        .args(["plan", "--detailed-exitcode", "-v", "-f"])
        .arg(dir.join("slsr.yaml")));
    assert_eq!(out.code, 2, "{}{}", out.stdout, out.stderr);
    assert!(
        out.stdout
            .contains(&format!("in account {}, us-east-1", account.id)),
        "{}",
        out.stdout
    );
    assert!(
        out.stdout
            .contains("Plan: 16 to add, 0 to change, 0 to replace, 0 to destroy."),
        "{}",
        out.stdout
    );
    // An empty account costs one listing per service (SSM's: the published outputs),
    // whatever the spec's size.
    assert!(out.stderr.contains("AWS calls: 8"), "{}", out.stderr);
}

#[tokio::test]
async fn what_was_just_created_plans_as_no_change() {
    let d = deploy("live-clean").await;
    let out = d.plan(&["--detailed-exitcode", "-v"]);
    assert_eq!(
        out.code, 0,
        "expected no changes:\n{}{}",
        out.stdout, out.stderr
    );
    assert!(out.stdout.contains("No changes."), "{}", out.stdout);
    // Reads: one listing per service, then per function GetFunction, GetPolicy and GetAlias, per
    // queue its attributes and tags, per rule its tags and targets, and the API's routes,
    // integrations, stages and authorizers, and the published outputs. Twelve listings, four
    // of them (functions, log groups, roles, queues) of two things, each in pages.
    let calls = 25 + 4 * (pages(2) - 1);
    assert!(
        out.stderr.contains(&format!("AWS calls: {calls}")),
        "{}",
        out.stderr
    );
    for line in [
        "Lambda.GetFunction: 2",
        "Lambda.GetPolicy: 2",
        "Lambda.GetAlias: 2",
        "SQS.GetQueueAttributes: 2",
        &format!("IAM.GetAccountAuthorizationDetails: {}", pages(2)),
        &format!("Lambda.ListFunctions: {}", pages(2)),
        &format!("CloudWatchLogs.DescribeLogGroups: {}", pages(2)),
        &format!("SQS.ListQueues: {}", pages(2)),
    ] {
        assert!(out.stderr.contains(line), "{line}:\n{}", out.stderr);
    }
}

#[tokio::test]
async fn console_drift_shows_as_the_exact_field_changes() {
    let d = deploy("live-drift").await;
    let lambda = aws_sdk_lambda::Client::new(&d.config);
    let env = aws_sdk_lambda::types::Environment::builder()
        .variables("TABLE", "items")
        .variables("NEW", "1")
        .variables("API_TOKEN", "rotated")
        .build();
    lambda
        .update_function_configuration()
        .function_name("shop-dev-api")
        .memory_size(512)
        .timeout(20)
        .environment(env)
        .send()
        .await
        .unwrap();
    let arn = format!(
        "arn:aws:lambda:{REGION}:{}:function:shop-dev-api",
        d.account.id
    );
    lambda
        .untag_resource()
        .resource(arn)
        .tag_keys("team")
        .send()
        .await
        .unwrap();
    let iam = aws_sdk_iam::Client::new(&d.config);
    let widened = json!({"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": ["sqs:*"], "Resource": ["*"]}]});
    iam.put_role_policy()
        .role_name("shop-dev-worker")
        .policy_name("slsr")
        .policy_document(widened.to_string())
        .send()
        .await
        .unwrap();
    let sqs = aws_sdk_sqs::Client::new(&d.config);
    let url = sqs
        .get_queue_url()
        .queue_name("shop-dev-jobs")
        .send()
        .await
        .unwrap()
        .queue_url
        .unwrap();
    sqs.set_queue_attributes()
        .queue_url(&url)
        .attributes(
            aws_sdk_sqs::types::QueueAttributeName::VisibilityTimeout,
            "90",
        )
        .send()
        .await
        .unwrap();
    let events = aws_sdk_eventbridge::Client::new(&d.config);
    let rules = events
        .list_rules()
        .name_prefix("shop-dev-worker-")
        .send()
        .await
        .unwrap();
    let rule = rules.rules()[0].name().unwrap().to_string();
    events
        .put_rule()
        .name(&rule)
        .schedule_expression("rate(10 minutes)")
        .send()
        .await
        .unwrap();
    let apigw = aws_sdk_apigatewayv2::Client::new(&d.config);
    let api = apigw.get_apis().send().await.unwrap().items()[0]
        .api_id()
        .unwrap()
        .to_string();
    let routes = apigw.get_routes().api_id(&api).send().await.unwrap();
    apigw
        .delete_route()
        .api_id(&api)
        .route_id(routes.items()[0].route_id().unwrap())
        .send()
        .await
        .unwrap();

    // A saved plan keeps neither the desired secret nor the live one, only keyed
    // fingerprints (apply runs the plan it makes then, never the file).
    let saved = d.dir.join("drift.plan");
    d.plan(&["--out", saved.to_str().unwrap()]);
    let text = std::fs::read_to_string(&saved).unwrap();
    assert!(
        !text.contains("s3cret-value") && !text.contains("rotated"),
        "a secret in the saved plan:\n{text}"
    );
    assert!(text.contains("(sensitive hmac-sha256:"), "{text}");
    let changes = d.changes();
    let diffs = |address: &str| -> Vec<(String, Value, Value)> {
        changes[address]["diffs"]
            .as_array()
            .unwrap()
            .iter()
            .map(|d| {
                (
                    d["path"].as_str().unwrap().to_string(),
                    d["before"].clone(),
                    d["after"].clone(),
                )
            })
            .collect()
    };
    assert_eq!(changes["function.api"]["action"], "update");
    let api_diffs = diffs("function.api");
    assert_eq!(api_diffs.len(), 7, "nothing else changed: {api_diffs:?}");
    for expected in [
        (
            "env.API_TOKEN".to_string(),
            json!("(sensitive)"),
            json!("(sensitive)"),
        ),
        ("env.NEW".to_string(), json!("1"), Value::Null),
        ("env.REGION_NAME".to_string(), Value::Null, json!("eu")),
        ("tags.team".to_string(), Value::Null, json!("core")),
        ("env.TABLE".to_string(), json!("items"), json!("orders")),
        ("memory".to_string(), json!(512), json!(256)),
        ("timeout".to_string(), json!(20), json!(10)),
    ] {
        assert!(
            api_diffs.contains(&expected),
            "{expected:?} not in {api_diffs:?}"
        );
    }
    let policy = diffs("role.worker");
    assert_eq!(policy.len(), 1, "{policy:?}");
    assert_eq!(policy[0].0, "inline_policy");
    assert_eq!(policy[0].1["Statement"][0]["Action"], json!(["sqs:*"]));
    assert_eq!(
        diffs("queue.jobs"),
        vec![("visibility_timeout".to_string(), json!(90), json!(60))]
    );
    let rule_address = changes
        .keys()
        .find(|a| a.starts_with("rule.worker."))
        .expect("the rule changed")
        .clone();
    assert_eq!(
        diffs(&rule_address),
        vec![(
            "schedule_expression".to_string(),
            json!("rate(10 minutes)"),
            json!("rate(5 minutes)")
        )]
    );
    assert_eq!(changes["route[\"GET /items/{id}\"]"]["action"], "create");
    let out = d.plan(&["--detailed-exitcode"]);
    assert_eq!(out.code, 2);
    assert!(
        !out.stdout.contains("rotated") && !out.stdout.contains("s3cret"),
        "a secret leaked:\n{}",
        out.stdout
    );
    assert!(
        out.stdout.contains("~ memory: 512 -> 256"),
        "{}",
        out.stdout
    );
}

#[tokio::test]
async fn an_owned_resource_removed_from_the_spec_is_planned_for_deletion() {
    let d = deploy("live-remove").await;
    let without_worker = SPEC.split("  worker:").next().unwrap().to_string();
    std::fs::write(d.spec(), without_worker.replace("  jobs: {visibility_timeout: 60, dead_letter: {queue: jobs-dlq, max_receive_count: 3}}\n", "")).unwrap();
    let changes = d.changes();
    let mut deleted: Vec<&str> = changes
        .iter()
        .filter(|(_, c)| c["action"] == "delete")
        .map(|(a, _)| a.as_str())
        .collect();
    deleted.sort();
    let rule = deleted
        .iter()
        .find(|a| a.starts_with("rule.worker."))
        .copied()
        .unwrap_or("rule missing");
    let permission = deleted
        .iter()
        .find(|a| a.starts_with("permission.worker."))
        .copied()
        .unwrap_or("permission missing");
    let mut expected = vec![
        "event_source_mapping.worker.jobs",
        "function.worker",
        "log_group.worker",
        "queue.jobs",
        "role.worker",
        rule,
        permission,
    ];
    expected.sort();
    assert_eq!(deleted, expected);
    assert!(
        changes.values().all(|c| c["action"] == "delete"),
        "only deletions: {:?}",
        changes.keys()
    );
}

#[tokio::test]
async fn a_resource_without_ownership_tags_is_a_conflict_and_never_planned_for_deletion() {
    let dir = write_app("live-conflict", SPEC);
    let account = Account::new().await;
    let config = account.config().await;
    let sqs = aws_sdk_sqs::Client::new(&config);
    sqs.create_queue()
        .queue_name("shop-dev-jobs")
        .send()
        .await
        .unwrap();
    sqs.create_queue()
        .queue_name("shop-dev-legacy")
        .send()
        .await
        .unwrap();
    let out = run(account
        .slsr()
        .args(["plan", "-f"])
        .arg(dir.join("slsr.yaml")));
    assert_eq!(out.code, 1, "{}{}", out.stdout, out.stderr);
    assert!(
        out.stdout.contains("! queue.jobs  shop-dev-jobs")
            && out.stdout.contains("without slsr's ownership tags"),
        "{}",
        out.stdout
    );
    assert!(
        !out.stdout.contains("legacy"),
        "an unowned queue outside the spec is not slsr's business:\n{}",
        out.stdout
    );
    assert!(
        out.stderr
            .contains("1 resource(s) exist without slsr's ownership tags"),
        "{}",
        out.stderr
    );
}

#[test]
fn an_unreachable_account_fails_without_a_partial_plan() {
    let dir = write_app("live-unreachable", SPEC);
    let out = run(crate::support::slsr()
        .env("AWS_ACCESS_KEY_ID", "test")
        .env("AWS_SECRET_ACCESS_KEY", "test")
        .args([
            "plan",
            "--region",
            "us-east-1",
            "--endpoint-url",
            "http://127.0.0.1:9",
            "-f",
        ])
        .arg(dir.join("slsr.yaml")));
    assert_eq!(out.code, 1);
    assert!(
        out.stdout.is_empty(),
        "no plan on a failed read:\n{}",
        out.stdout
    );
    assert!(
        out.stderr.contains("GetCallerIdentity") && out.stderr.contains("Connection refused"),
        "{}",
        out.stderr
    );
}

/// A generated spec: `count` functions, each with one event (an HTTP route, a schedule or an
/// SQS queue in turn).
pub fn generated_spec(count: usize) -> String {
    let mut spec = String::from(
        "service: big\nstage: dev\nqueues:\n  jobs: {visibility_timeout: 60}\nfunctions:\n",
    );
    for i in 0..count {
        let event = match i % 3 {
            0 => format!("http: GET /f{i}"),
            1 => format!("schedule: rate({} minutes)", i + 2),
            _ => "sqs: {queue: jobs}".to_string(),
        };
        spec.push_str(&format!("  f{i}:\n    handler: index.handler\n    runtime: python3.12\n    code: ./src\n    events: [{{{event}}}]\n"));
    }
    spec
}

#[tokio::test]
async fn a_plan_of_100_functions_reads_at_most_four_calls_per_function() {
    let dir = write_app("live-100", &generated_spec(100));
    let account = Account::new().await;
    let config = account.config().await;
    let (state, zips) = desired(&dir.join("slsr.yaml"), &account, None);
    let api_id = console::create(&config, &state, &zips).await;
    let (state, _) = desired(&dir.join("slsr.yaml"), &account, api_id);
    console::permit(&config, &state).await;
    let started = std::time::Instant::now();
    let out = run(account
        .slsr()
        .args(["plan", "--detailed-exitcode", "-v", "-f"])
        .arg(dir.join("slsr.yaml")));
    let elapsed = started.elapsed();
    assert_eq!(out.code, 0, "{}{}", out.stdout, out.stderr);
    let total: usize = out
        .stderr
        .lines()
        .find_map(|l| l.strip_prefix("AWS calls: "))
        .unwrap()
        .parse()
        .unwrap();
    eprintln!(
        "100-function plan: {total} calls in {elapsed:?}\n{}",
        out.stderr
    );
    // The account-wide listings (the API's four included) come in pages; every other read is
    // of one function, or of one function's rule or queue.
    const LISTINGS: [&str; 12] = [
        "Lambda.ListFunctions",
        "Lambda.ListEventSourceMappings",
        "CloudWatchLogs.DescribeLogGroups",
        "IAM.GetAccountAuthorizationDetails",
        "SQS.ListQueues",
        "EventBridge.ListRules",
        "ApiGatewayV2.GetApis",
        "ApiGatewayV2.GetRoutes",
        "ApiGatewayV2.GetIntegrations",
        "ApiGatewayV2.GetStages",
        "ApiGatewayV2.GetAuthorizers",
        "SSM.DescribeParameters",
    ];
    let listed: usize = out
        .stderr
        .lines()
        .filter_map(|l| l.trim().split_once(": "))
        .filter(|(op, _)| LISTINGS.contains(op))
        .map(|(_, n)| n.parse::<usize>().unwrap())
        .sum();
    assert!(
        total - listed <= 400,
        "{} calls besides the listings for 100 functions:\n{}",
        total - listed,
        out.stderr
    );
    // Each function puts at most five things in the listings: itself, its log group, its
    // role, and its event's route and integration (or its rule, or its mapping).
    assert!(
        listed <= LISTINGS.len() + pages(5 * 100),
        "{listed} listing pages for 100 functions:\n{}",
        out.stderr
    );
}

#[tokio::test]
async fn the_examples_created_with_the_sdk_plan_as_no_change() {
    for example in ["hello-http", "orders"] {
        let spec = Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("examples")
            .join(example)
            .join("slsr.yaml");
        let account = Account::new().await;
        let config = account.config().await;
        let (state, zips) = desired(&spec, &account, None);
        let api_id = console::create(&config, &state, &zips).await;
        let (state, _) = desired(&spec, &account, api_id);
        console::permit(&config, &state).await;
        let started = std::time::Instant::now();
        let out = run(account
            .slsr()
            .args(["plan", "--detailed-exitcode", "-v", "-f"])
            .arg(&spec));
        eprintln!("{example}: plan in {:?}\n{}", started.elapsed(), out.stderr);
        assert_eq!(out.code, 0, "{example}:\n{}{}", out.stdout, out.stderr);
    }
}

#[tokio::test]
async fn a_read_that_is_denied_fails_the_plan_naming_the_operation() {
    let dir = write_app("live-denied", SPEC);
    let account = Account::new().await;
    let upstream = crate::support::endpoint()
        .trim_start_matches("http://")
        .to_string();
    let proxy = crate::proxy::deny(&upstream, "SQS.ListQueues").await;
    let out = tokio::task::spawn_blocking(move || {
        run(account
            .slsr()
            .env("AWS_ENDPOINT_URL", proxy)
            .args(["plan", "-f"])
            .arg(dir.join("slsr.yaml")))
    })
    .await
    .unwrap();
    assert_eq!(out.code, 1, "{}{}", out.stdout, out.stderr);
    assert!(out.stdout.is_empty(), "no partial plan:\n{}", out.stdout);
    assert!(out.stderr.contains("ListQueues (shop-dev-) failed: AccessDeniedException: User: arn:aws:iam::123456789012:user/ci is not authorized"), "{}", out.stderr);
    assert_eq!(out.stderr.lines().count(), 1, "{}", out.stderr);
}

#[tokio::test]
async fn provisioned_concurrency_is_read_compared_and_its_alias_deleted_when_dropped() {
    let spec = "service: warm\nfunctions:\n  api:\n    handler: index.handler\n    runtime: python3.12\n    code: ./src\n    provisioned_concurrency: 2\n";
    let dir = write_app("live-alias", spec);
    let account = Account::new().await;
    let config = account.config().await;
    let (state, zips) = desired(&dir.join("slsr.yaml"), &account, None);
    console::create(&config, &state, &zips).await;
    let d = Deployed {
        account,
        dir,
        config,
    };
    let out = d.plan(&["--detailed-exitcode"]);
    assert_eq!(out.code, 0, "{}{}", out.stdout, out.stderr);

    std::fs::write(
        d.spec(),
        spec.replace("provisioned_concurrency: 2", "provisioned_concurrency: 3"),
    )
    .unwrap();
    let changes = d.changes();
    assert_eq!(changes.len(), 1, "{:?}", changes.keys());
    assert_eq!(
        changes["alias.api"]["diffs"],
        json!([{"path": "provisioned_concurrency", "before": 2, "after": 3, "sensitive": false, "forces_replacement": false}])
    );

    std::fs::write(
        d.spec(),
        spec.replace("    provisioned_concurrency: 2\n", ""),
    )
    .unwrap();
    let changes = d.changes();
    assert_eq!(changes.len(), 1, "{:?}", changes.keys());
    assert_eq!(changes["alias.api"]["action"], "delete");
}

#[tokio::test]
async fn a_code_change_shows_both_hashes_and_the_size_change() {
    let d = deploy("live-code").await;
    let before = d.changes();
    assert!(before.is_empty(), "{:?}", before.keys());
    let source = d.dir.join("src/index.py");
    let mut code = std::fs::read_to_string(&source).unwrap();
    code.push_str("\n\ndef health(event, context):\n    return {'statusCode': 204}\n");
    std::fs::write(&source, code).unwrap();
    let changes = d.changes();
    let diffs = changes["function.api"]["diffs"].as_array().unwrap();
    let paths: Vec<&str> = diffs.iter().map(|d| d["path"].as_str().unwrap()).collect();
    assert_eq!(paths, ["code_sha256", "code_size"]);
    assert_ne!(diffs[0]["before"], diffs[0]["after"]);
    assert!(diffs[1]["after"].as_u64() > diffs[1]["before"].as_u64());
    let text = d.plan(&[]);
    assert!(text.stdout.contains("~ code_sha256: \""), "{}", text.stdout);
    let size_line = text
        .stdout
        .lines()
        .find(|l| l.contains("code_size:"))
        .unwrap();
    assert!(
        size_line.contains(" B -> ") && size_line.contains("(+"),
        "{size_line}"
    );
}
