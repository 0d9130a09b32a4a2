//! `slsr plan` against the emulator: resources created with plain SDK calls from literal
//! values, as a console user would, then the plan checked for exactly the right changes,
//! drift, deletions and conflicts. Every test has an emulator account of its own.
//!
//! The ground truth is written out here, not computed by slsr: each spec's resources are
//! made by `console`'s helpers from the names, policies, tags and settings slsr's contract
//! (docs/spec.md) says they have. Where a spec is silent, Lambda's defaults are written out
//! (128 MB, 3 s, ...) and a queue's attributes are left to SQS, as in the console. A wrong
//! default in slsr then shows as a change in a plan that must be clean.

use std::collections::HashMap;
use std::path::{Path, PathBuf};

use aws_config::SdkConfig;
use serde_json::{Value, json};

use crate::console::{self, Function, Mapping, Permission, Queue, Role, Rule};
use crate::support::{Account, REGION, Run, has_all, pages, run};

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

// slsr's documented content-derived names for SPEC (docs/spec.md, "Rule names" and
// "Physical names"): a rule is `{service}-{stage}-{function}-{8 hex}` and a statement
// `slsr-{8 hex}`, the digits a hash of what the rule or statement is, never of its place
// in the spec. Written once, literally: if slsr's hashing changed, what these tests make
// would no longer be what slsr plans, and the tests fail.
/// The rule of worker's `schedule: rate(5 minutes)`.
const SHOP_RULE: &str = "shop-dev-worker-a2179194";
/// The statement letting EventBridge invoke worker from SHOP_RULE.
const SHOP_RULE_SID: &str = "slsr-74516443";
/// The statement letting API Gateway invoke api from `GET /items/{id}`.
const SHOP_ROUTE_SID: &str = "slsr-70c772d5";

/// Every resource of the shop service carries slsr's ownership tags and the spec's.
const SHOP_TAGS: console::Tags = &[
    ("slsr:service", "shop"),
    ("slsr:stage", "dev"),
    ("team", "core"),
];

/// The generated role's statement for a function's own log group.
fn log_statement(account: &str, function: &str) -> Value {
    json!({
        "Effect": "Allow",
        "Action": ["logs:CreateLogStream", "logs:PutLogEvents"],
        "Resource": format!("arn:aws:logs:us-east-1:{account}:log-group:/aws/lambda/{function}:*")
    })
}

/// The generated role's statement for consuming an SQS queue.
fn consume_statement(queue_arn: &str) -> Value {
    json!({
        "Effect": "Allow",
        "Action": [
            "sqs:ReceiveMessage",
            "sqs:DeleteMessage",
            "sqs:GetQueueAttributes",
            "sqs:ChangeMessageVisibility"
        ],
        "Resource": queue_arn
    })
}

/// Creates, with the SDK and literal values, everything SPEC declares.
async fn create_shop(config: &SdkConfig, account: &str, spec: &Path) {
    let zips = console::package(spec, &spec.parent().unwrap().join("zips"));
    let tags = SHOP_TAGS;
    let jobs_arn = format!("arn:aws:sqs:us-east-1:{account}:shop-dev-jobs");
    let dlq_arn = format!("arn:aws:sqs:us-east-1:{account}:shop-dev-jobs-dlq");
    let api_arn = format!("arn:aws:lambda:us-east-1:{account}:function:shop-dev-api");
    let worker_arn = format!("arn:aws:lambda:us-east-1:{account}:function:shop-dev-worker");
    console::create_role(
        config,
        Role {
            name: "shop-dev-api",
            path: "/slsr/shop/dev/",
            trust_policy: console::lambda_trust_policy(),
            inline_policy: Some(console::policy(json!([log_statement(
                account,
                "shop-dev-api"
            )]))),
            managed_policies: &[],
            tags,
        },
    )
    .await;
    console::create_role(
        config,
        Role {
            name: "shop-dev-worker",
            path: "/slsr/shop/dev/",
            trust_policy: console::lambda_trust_policy(),
            inline_policy: Some(console::policy(json!([
                log_statement(account, "shop-dev-worker"),
                consume_statement(&jobs_arn),
            ]))),
            managed_policies: &[],
            tags,
        },
    )
    .await;
    // The dead-letter queue first: the redrive policy names it.
    let redrive = json!({"deadLetterTargetArn": dlq_arn, "maxReceiveCount": 3}).to_string();
    console::create_queue(
        config,
        Queue {
            name: "shop-dev-jobs-dlq",
            // `jobs-dlq: {}`: every attribute is SQS's default.
            attributes: &[],
            tags,
        },
    )
    .await;
    console::create_queue(
        config,
        Queue {
            name: "shop-dev-jobs",
            attributes: &[("VisibilityTimeout", "60"), ("RedrivePolicy", &redrive)],
            tags,
        },
    )
    .await;
    let api_role = format!("arn:aws:iam::{account}:role/slsr/shop/dev/shop-dev-api");
    console::create_function(
        config,
        Function {
            name: "shop-dev-api",
            runtime: "python3.12",
            handler: "index.handler",
            role: &api_role,
            zip: zips["api"].clone(),
            description: "",
            memory: 256,
            timeout: 10,
            ephemeral_storage: 512,
            architecture: "x86_64",
            tracing: "PassThrough",
            env: &[
                ("TABLE", "orders"),
                ("API_TOKEN", "s3cret-value"),
                ("REGION_NAME", "eu"),
            ],
            vpc: None,
            reserved_concurrency: None,
            tags,
        },
    )
    .await;
    let worker_role = format!("arn:aws:iam::{account}:role/slsr/shop/dev/shop-dev-worker");
    // Lambda's defaults where the spec is silent: 128 MB, 3 s, 512 MB of /tmp, x86_64.
    console::create_function(
        config,
        Function {
            name: "shop-dev-worker",
            runtime: "python3.12",
            handler: "index.handler",
            role: &worker_role,
            zip: zips["worker"].clone(),
            description: "",
            memory: 128,
            timeout: 3,
            ephemeral_storage: 512,
            architecture: "x86_64",
            tracing: "PassThrough",
            env: &[],
            vpc: None,
            reserved_concurrency: None,
            tags,
        },
    )
    .await;
    console::create_log_group(config, "/aws/lambda/shop-dev-api", Some(14), tags).await;
    console::create_log_group(config, "/aws/lambda/shop-dev-worker", None, tags).await;
    console::create_mapping(
        config,
        Mapping {
            function: "shop-dev-worker",
            queue_arn: &jobs_arn,
            batch_size: 5,
            batching_window: 0,
            enabled: true,
            report_batch_item_failures: false,
            tags,
        },
    )
    .await;
    console::create_rule(
        config,
        Rule {
            name: SHOP_RULE,
            bus: "default",
            schedule: Some("rate(5 minutes)"),
            pattern: None,
            state: "ENABLED",
            target: &worker_arn,
            input: None,
            tags,
        },
    )
    .await;
    console::add_permission(
        config,
        Permission {
            function: "shop-dev-worker",
            statement_id: SHOP_RULE_SID,
            principal: "events.amazonaws.com",
            source_arn: &format!("arn:aws:events:us-east-1:{account}:rule/{SHOP_RULE}"),
            source_account: account,
        },
    )
    .await;
    let cors = aws_sdk_apigatewayv2::types::Cors::builder()
        .allow_origins("https://example.com")
        .allow_methods("GET")
        .build();
    let api = console::create_http_api(config, "shop-dev", Some(cors), tags).await;
    let integration = console::create_integration(config, &api, &api_arn, "2.0").await;
    console::create_route(config, &api, "GET /items/{id}", &integration, "NONE", None).await;
    console::create_default_stage(config, &api).await;
    console::add_permission(
        config,
        Permission {
            function: "shop-dev-api",
            statement_id: SHOP_ROUTE_SID,
            principal: "apigateway.amazonaws.com",
            source_arn: &format!(
                "arn:aws:execute-api:us-east-1:{account}:{api}/*/GET/items/{{id}}"
            ),
            source_account: account,
        },
    )
    .await;
}

struct Deployed {
    account: Account,
    dir: PathBuf,
    config: SdkConfig,
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

/// Creates everything SPEC declares, with the SDK.
async fn deploy(name: &str) -> Deployed {
    let dir = write_app(name, SPEC);
    let account = Account::new().await;
    let config = account.config().await;
    create_shop(&config, &account.id, &dir.join("slsr.yaml")).await;
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
    // An empty account costs one listing per service (SSM's: the published outputs;
    // DynamoDB's, S3's, SNS's, Kinesis's, Step Functions' and Secrets Manager's: the
    // tables, buckets, topics, streams, state machines and secrets, which a spec without any
    // may still own; one of the Tagging API's: those with the service's tags, whatever their
    // names; EventBridge's buses and Scheduler's groups besides the rules; the state
    // machines' log groups; CloudWatch's alarms under the prefix; API Gateway's REST APIs
    // besides its HTTP APIs, and its custom domains, which a domain left without its API may
    // still be), whatever the spec's size; and Lambda's GetAccountSettings, once, for the
    // quota preflight (engine/quota.rs).
    assert!(out.stderr.contains("AWS calls: 22"), "{}", out.stderr);
    assert!(
        out.stderr.contains("Lambda.GetAccountSettings: 1"),
        "{}",
        out.stderr
    );
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
    // Reads: one listing per service, then per function GetFunction, GetPolicy and GetAlias,
    // per log group its tags (ListTagsForResource: no listing returns them, and they are
    // compared like any resource's), per queue its attributes and tags, per rule its tags and
    // targets, and the API's routes, integrations, stages and authorizers, the published
    // outputs, the tables, buckets, topics, streams and state machines (each by name, and all
    // by tags in one GetResources), the buses, the schedule groups, the state machines' log
    // groups, the secrets, the alarms, the REST APIs and the custom domains. Twenty-five
    // listings, four of them (functions, log groups, roles, queues) of two things, each in
    // pages; and one GetAccountSettings, the quota preflight's.
    let calls = 41 + 4 * (pages(2) - 1);
    assert!(
        out.stderr.contains(&format!("AWS calls: {calls}")),
        "{}",
        out.stderr
    );
    has_all(
        &out.stderr,
        &[
            "Lambda.GetFunction: 2",
            "Lambda.GetPolicy: 2",
            "Lambda.GetAlias: 2",
            "SQS.GetQueueAttributes: 2",
            &format!("IAM.GetAccountAuthorizationDetails: {}", pages(2)),
            &format!("Lambda.ListFunctions: {}", pages(2)),
            // The functions' groups in pages, and one page of no state machine's group.
            &format!("CloudWatchLogs.DescribeLogGroups: {}", pages(2) + 1),
            "CloudWatchLogs.ListTagsForResource: 2",
            &format!("SQS.ListQueues: {}", pages(2)),
            "SFN.ListStateMachines: 1",
        ],
    );
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
    events
        .put_rule()
        .name(SHOP_RULE)
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
    // docs/plan-format.md: `reason` is present only on what has one (a replacement with no
    // changed field of its own, a partial deletion), never as a null.
    assert!(
        changes.values().all(|c| c.get("reason").is_none()),
        "{changes:?}"
    );
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
    assert_eq!(
        diffs("rule.worker.a2179194"),
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
    // The rule and the statement by the names SHOP_RULE and SHOP_RULE_SID.
    assert_eq!(
        deleted,
        [
            "event_source_mapping.worker.jobs",
            "function.worker",
            "log_group.worker",
            "permission.worker.slsr-74516443",
            "queue.jobs",
            "role.worker",
            "rule.worker.a2179194",
        ]
    );
    assert!(
        changes.values().all(|c| c["action"] == "delete"),
        "only deletions: {:?}",
        changes.keys()
    );
    // The text says which resources go by what identifies them, and what each statement
    // was for, rather than nothing (or everything they had).
    let text = d.plan(&[]).stdout;
    let a = &d.account.id;
    for block in [
        format!(
            "  - queue.jobs  shop-dev-jobs\n      - arn = \"arn:aws:sqs:us-east-1:{a}:shop-dev-jobs\"\n\n"
        ),
        format!(
            "  - function.worker  shop-dev-worker\n      - arn = \"arn:aws:lambda:us-east-1:{a}:function:shop-dev-worker\"\n\n"
        ),
        format!(
            "  - permission.worker.{SHOP_RULE_SID}  {SHOP_RULE_SID}\n      # for rule {SHOP_RULE}\n      - function = \"shop-dev-worker\"\n      - principal = \"events.amazonaws.com\"\n      - source_arn = \"arn:aws:events:us-east-1:{a}:rule/{SHOP_RULE}\"\n\n"
        ),
        format!(
            "  - rule.worker.a2179194  {SHOP_RULE}\n      - arn = \"arn:aws:events:us-east-1:{a}:rule/{SHOP_RULE}\"\n      - schedule_expression = \"rate(5 minutes)\"\n      - target = \"arn:aws:lambda:us-east-1:{a}:function:shop-dev-worker\"\n\n"
        ),
    ] {
        assert!(text.contains(&block), "{block}\nnot in:\n{text}");
    }
}

/// A log group's tags are read and compared like any resource's: one removed by hand (and
/// one added) shows in the plan, and apply puts them as the spec says.
#[tokio::test]
async fn a_log_group_tag_changed_by_hand_is_planned_and_put_back() {
    let d = deploy("live-log-tags").await;
    let logs = aws_sdk_cloudwatchlogs::Client::new(&d.config);
    let arn = format!(
        "arn:aws:logs:{REGION}:{}:log-group:/aws/lambda/shop-dev-api",
        d.account.id
    );
    logs.untag_resource()
        .resource_arn(&arn)
        .tag_keys("team")
        .send()
        .await
        .unwrap();
    logs.tag_resource()
        .resource_arn(&arn)
        .tags("added-by", "hand")
        .send()
        .await
        .unwrap();
    let changes = d.changes();
    let group = &changes["log_group.api"];
    assert_eq!(group["action"], "update", "{group}");
    let diffs: Vec<(&str, &Value, &Value)> = group["diffs"]
        .as_array()
        .unwrap()
        .iter()
        .map(|d| (d["path"].as_str().unwrap(), &d["before"], &d["after"]))
        .collect();
    assert_eq!(
        diffs,
        [
            ("tags.added-by", &json!("hand"), &Value::Null),
            ("tags.team", &Value::Null, &json!("core")),
        ]
    );
    let text = d.plan(&[]).stdout;
    assert!(
        text.contains("~ log_group.api  /aws/lambda/shop-dev-api"),
        "{text}"
    );
    let out = crate::support::slsr_on(&d.account, "apply", &d.spec(), &["--auto-approve"]);
    assert_eq!(out.code, 0, "{}{}", out.stdout, out.stderr);
    let tags = logs
        .list_tags_for_resource()
        .resource_arn(&arn)
        .send()
        .await
        .unwrap()
        .tags
        .unwrap_or_default();
    let expected: HashMap<String, String> = SHOP_TAGS
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect();
    assert_eq!(tags, expected);
    let clean = d.plan(&["--detailed-exitcode"]);
    assert_eq!(clean.code, 0, "{}{}", clean.stdout, clean.stderr);
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

/// A conflict is never also a create: the plan that says slsr will not touch a queue does
/// not list it as one to make, or count it, in any format; and it says both ways on.
#[tokio::test]
async fn a_conflict_is_neither_listed_nor_counted_as_a_create() {
    let dir = write_app("live-conflict-count", SPEC);
    let account = Account::new().await;
    let sqs = aws_sdk_sqs::Client::new(&account.config().await);
    sqs.create_queue()
        .queue_name("shop-dev-jobs")
        .send()
        .await
        .unwrap();
    let spec = dir.join("slsr.yaml");
    let plan = |format: &str| {
        let out = run(account
            .slsr()
            .args(["plan", "--format", format, "-f"])
            .arg(&spec));
        assert_eq!(out.code, 1, "{}{}", out.stdout, out.stderr);
        out.stdout
    };
    // SPEC makes 16 resources in an empty account (see the first test); one is taken.
    let text = plan("text");
    assert!(text.contains("! queue.jobs  shop-dev-jobs"), "{text}");
    assert!(!text.contains("+ queue.jobs "), "{text}");
    assert!(
        text.contains("Plan: 15 to add, 0 to change, 0 to replace, 0 to destroy."),
        "{text}"
    );
    assert!(
        text.contains("rename it in the spec")
            && text.contains("tag it slsr:service=shop and slsr:stage=dev"),
        "the advice names both ways on:\n{text}"
    );
    let json: Value = serde_json::from_str(&plan("json")).unwrap();
    let addresses: Vec<&str> = json["changes"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["address"].as_str().unwrap())
        .collect();
    assert!(!addresses.contains(&"queue.jobs"), "{addresses:?}");
    assert_eq!(json["summary"]["add"], 15);
    assert_eq!(json["conflicts"][0]["address"], "queue.jobs");
    let markdown = plan("markdown");
    assert!(
        markdown.contains("**Conflict** `queue.jobs`") && !markdown.contains("| `queue.jobs` |"),
        "{markdown}"
    );
    assert!(markdown.contains("15 to add"), "{markdown}");
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

// slsr's documented content-derived names for `generated_spec(100)` (see SHOP_RULE), written
// once: the statement id of each `http: GET /f{i}` route, for f0, f3, ..., f99.
const BIG_ROUTE_SIDS: [&str; 34] = [
    "slsr-f0b9e548",
    "slsr-32258e84",
    "slsr-bda477af",
    "slsr-36bb08de",
    "slsr-6aaa1675",
    "slsr-978be16e",
    "slsr-edde31fc",
    "slsr-27d3a8a1",
    "slsr-e03b096d",
    "slsr-90a2096a",
    "slsr-55ee8d92",
    "slsr-d85f4223",
    "slsr-c9ea6db1",
    "slsr-bec94eea",
    "slsr-937c1626",
    "slsr-afdae0b5",
    "slsr-d4c06a6d",
    "slsr-d87224af",
    "slsr-da69b976",
    "slsr-2e79ae4f",
    "slsr-f974eda6",
    "slsr-f9aa7dec",
    "slsr-54979970",
    "slsr-00225b03",
    "slsr-ad142851",
    "slsr-64ec0d20",
    "slsr-5208dcfc",
    "slsr-edba31c8",
    "slsr-63728251",
    "slsr-f777f87d",
    "slsr-e5ee0665",
    "slsr-3883fe4f",
    "slsr-045e355f",
    "slsr-7cd4c402",
];
// The rule suffix and the statement id of each `schedule: rate({i + 2} minutes)`, for f1, f4,
// ..., f97: the rule is `big-dev-f{i}-{suffix}`.
const BIG_RULES: [(&str, &str); 33] = [
    ("987c4166", "slsr-95eb576e"),
    ("dcf75485", "slsr-1ca7fa7a"),
    ("e5b707bf", "slsr-d48541e9"),
    ("a44b9d80", "slsr-918a7332"),
    ("a419cb03", "slsr-cde703f1"),
    ("e80c1b3c", "slsr-7a285339"),
    ("9f629fed", "slsr-b9a7e7d2"),
    ("39f24c4b", "slsr-c83b67e8"),
    ("19766bc7", "slsr-dbb474e8"),
    ("85e73f97", "slsr-54d3c6ea"),
    ("09e9467c", "slsr-e8643374"),
    ("80fbfb2a", "slsr-b752c13d"),
    ("f2785e75", "slsr-1e33d1cc"),
    ("af8ae8b5", "slsr-2ea647cd"),
    ("ea84bacf", "slsr-3ed38eca"),
    ("94fb6caf", "slsr-07fa7cac"),
    ("f046bae1", "slsr-7d2cc726"),
    ("d61000d4", "slsr-58caab6f"),
    ("b73e1cf3", "slsr-ec0ff0b7"),
    ("82aff43a", "slsr-dcdddb65"),
    ("d29b14c1", "slsr-47063e19"),
    ("29e0373f", "slsr-0e9d537a"),
    ("666f1a9b", "slsr-59dac3e6"),
    ("971bd382", "slsr-20e3523c"),
    ("32e3af4b", "slsr-5d1fad3e"),
    ("c57e3832", "slsr-b92f17e9"),
    ("653939f4", "slsr-2c0206b2"),
    ("659fbfa2", "slsr-1facdfe3"),
    ("287656fe", "slsr-7759958d"),
    ("40aa45d4", "slsr-2034afc5"),
    ("97cb5b51", "slsr-b5554f5b"),
    ("e91225e7", "slsr-d6a832a1"),
    ("bfaffbc5", "slsr-d974e9e9"),
];

/// Creates, with the SDK and literal templates, everything `generated_spec(100)` declares.
async fn create_big(config: &SdkConfig, account: &str, spec: &Path) {
    let zips = console::package(spec, &spec.parent().unwrap().join("zips"));
    let tags: console::Tags = &[("slsr:service", "big"), ("slsr:stage", "dev")];
    let jobs_arn = format!("arn:aws:sqs:us-east-1:{account}:big-dev-jobs");
    console::create_queue(
        config,
        Queue {
            name: "big-dev-jobs",
            attributes: &[("VisibilityTimeout", "60")],
            tags,
        },
    )
    .await;
    let api = console::create_http_api(config, "big-dev", None, tags).await;
    console::create_default_stage(config, &api).await;
    for i in 0..100 {
        let name = format!("big-dev-f{i}");
        let function_arn = format!("arn:aws:lambda:us-east-1:{account}:function:{name}");
        let mut statements = vec![log_statement(account, &name)];
        if i % 3 == 2 {
            statements.push(consume_statement(&jobs_arn));
        }
        console::create_role(
            config,
            Role {
                name: &name,
                path: "/slsr/big/dev/",
                trust_policy: console::lambda_trust_policy(),
                inline_policy: Some(console::policy(Value::Array(statements))),
                managed_policies: &[],
                tags,
            },
        )
        .await;
        let role = format!("arn:aws:iam::{account}:role/slsr/big/dev/{name}");
        console::create_function(
            config,
            Function {
                name: &name,
                runtime: "python3.12",
                handler: "index.handler",
                role: &role,
                zip: zips[&format!("f{i}")].clone(),
                description: "",
                memory: 128,
                timeout: 3,
                ephemeral_storage: 512,
                architecture: "x86_64",
                tracing: "PassThrough",
                env: &[],
                vpc: None,
                reserved_concurrency: None,
                tags,
            },
        )
        .await;
        console::create_log_group(config, &format!("/aws/lambda/{name}"), None, tags).await;
        match i % 3 {
            0 => {
                let integration =
                    console::create_integration(config, &api, &function_arn, "2.0").await;
                let route = format!("GET /f{i}");
                console::create_route(config, &api, &route, &integration, "NONE", None).await;
                console::add_permission(
                    config,
                    Permission {
                        function: &name,
                        statement_id: BIG_ROUTE_SIDS[i / 3],
                        principal: "apigateway.amazonaws.com",
                        source_arn: &format!(
                            "arn:aws:execute-api:us-east-1:{account}:{api}/*/GET/f{i}"
                        ),
                        source_account: account,
                    },
                )
                .await;
            }
            1 => {
                let (suffix, sid) = BIG_RULES[i / 3];
                let rule = format!("{name}-{suffix}");
                console::create_rule(
                    config,
                    Rule {
                        name: &rule,
                        bus: "default",
                        schedule: Some(&format!("rate({} minutes)", i + 2)),
                        pattern: None,
                        state: "ENABLED",
                        target: &function_arn,
                        input: None,
                        tags,
                    },
                )
                .await;
                console::add_permission(
                    config,
                    Permission {
                        function: &name,
                        statement_id: sid,
                        principal: "events.amazonaws.com",
                        source_arn: &format!("arn:aws:events:us-east-1:{account}:rule/{rule}"),
                        source_account: account,
                    },
                )
                .await;
            }
            _ => {
                console::create_mapping(
                    config,
                    Mapping {
                        function: &name,
                        queue_arn: &jobs_arn,
                        batch_size: 10,
                        batching_window: 0,
                        enabled: true,
                        report_batch_item_failures: false,
                        tags,
                    },
                )
                .await;
            }
        }
    }
}

#[tokio::test]
async fn a_plan_of_100_functions_reads_at_most_five_calls_per_function() {
    let dir = write_app("live-100", &generated_spec(100));
    let account = Account::new().await;
    let config = account.config().await;
    create_big(&config, &account.id, &dir.join("slsr.yaml")).await;
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
    // of one function (GetFunction, GetPolicy, GetAlias), its log group's tags, or one
    // function's rule or queue.
    const LISTINGS: [&str; 15] = [
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
        "S3.ListBuckets",
        "ResourceGroupsTagging.GetResources",
        "SFN.ListStateMachines",
    ];
    let listed: usize = out
        .stderr
        .lines()
        .filter_map(|l| l.trim().split_once(": "))
        .filter(|(op, _)| LISTINGS.contains(op))
        .map(|(_, n)| n.parse::<usize>().unwrap())
        .sum();
    assert!(
        total - listed <= 500,
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

/// Creates, with the SDK and literal values, what examples/hello-http/slsr.yaml declares:
/// one function with a generated role behind one public route.
async fn create_hello_http(config: &SdkConfig, account: &str, zips: HashMap<String, Vec<u8>>) {
    let tags: console::Tags = &[
        ("slsr:service", "hello-http"),
        ("slsr:stage", "dev"),
        ("team", "platform"),
        ("example", "hello-http"),
    ];
    let function_arn = format!("arn:aws:lambda:us-east-1:{account}:function:hello-http-dev-hello");
    console::create_role(
        config,
        Role {
            name: "hello-http-dev-hello",
            path: "/slsr/hello-http/dev/",
            trust_policy: console::lambda_trust_policy(),
            inline_policy: Some(console::policy(json!([log_statement(
                account,
                "hello-http-dev-hello"
            )]))),
            managed_policies: &[],
            tags,
        },
    )
    .await;
    let role = format!("arn:aws:iam::{account}:role/slsr/hello-http/dev/hello-http-dev-hello");
    console::create_function(
        config,
        Function {
            name: "hello-http-dev-hello",
            runtime: "nodejs22.x",
            handler: "index.handler",
            role: &role,
            zip: zips["hello"].clone(),
            description: "Greets a caller by name, in the caller's language",
            memory: 128,
            timeout: 5,
            ephemeral_storage: 512,
            architecture: "arm64",
            tracing: "PassThrough",
            env: &[("DEFAULT_LANG", "en")],
            vpc: None,
            reserved_concurrency: None,
            tags,
        },
    )
    .await;
    console::create_log_group(config, "/aws/lambda/hello-http-dev-hello", Some(14), tags).await;
    let api = console::create_http_api(config, "hello-http-dev", None, tags).await;
    let integration = console::create_integration(config, &api, &function_arn, "2.0").await;
    console::create_route(
        config,
        &api,
        "GET /hello/{name}",
        &integration,
        "NONE",
        None,
    )
    .await;
    console::create_default_stage(config, &api).await;
    console::add_permission(
        config,
        Permission {
            function: "hello-http-dev-hello",
            // slsr's documented content-derived id for the route (see SHOP_RULE).
            statement_id: "slsr-270a5bb1",
            principal: "apigateway.amazonaws.com",
            source_arn: &format!(
                "arn:aws:execute-api:us-east-1:{account}:{api}/*/GET/hello/{{name}}"
            ),
            source_account: account,
        },
    )
    .await;
}

/// Creates, with the SDK and literal values, what examples/orders/slsr.yaml declares in
/// stage dev: declared roles, three queues, three functions (one in a VPC, one with an
/// async config), a mapping, two rules, and the HTTP API with CORS, a JWT authorizer and
/// two routes. Its outputs publish nothing to SSM.
async fn create_orders(config: &SdkConfig, account: &str, zips: HashMap<String, Vec<u8>>) {
    let tags: console::Tags = &[
        ("slsr:service", "orders"),
        ("slsr:stage", "dev"),
        ("team", "payments"),
        ("cost-center", "cc-4120"),
    ];
    let basic = "arn:aws:iam::aws:policy/service-role/AWSLambdaBasicExecutionRole";
    let vpc_access = "arn:aws:iam::aws:policy/service-role/AWSLambdaVPCAccessExecutionRole";
    let xray = "arn:aws:iam::aws:policy/AWSXRayDaemonWriteAccess";
    let table = format!("arn:aws:dynamodb:us-east-1:{account}:table/orders-dev");
    let jobs_arn = format!("arn:aws:sqs:us-east-1:{account}:orders-dev-jobs");
    let dlq_arn = format!("arn:aws:sqs:us-east-1:{account}:orders-dev-jobs-dlq");
    let failed_arn = format!("arn:aws:sqs:us-east-1:{account}:orders-dev-reports-failed");
    let function_arn =
        |name: &str| format!("arn:aws:lambda:us-east-1:{account}:function:orders-dev-{name}");
    let role_arn =
        |name: &str| format!("arn:aws:iam::{account}:role/slsr/orders/dev/orders-dev-{name}");

    // The declared roles' statements, as the spec lists them: a user's documents, in the
    // user's order.
    let roles = [
        (
            "orders-dev-api",
            json!([
                {"Effect": "Allow", "Action": ["dynamodb:GetItem", "dynamodb:PutItem"], "Resource": [table]},
                {"Effect": "Allow", "Action": ["sqs:SendMessage"], "Resource": [jobs_arn]}
            ]),
            [basic, xray],
        ),
        (
            "orders-dev-worker",
            json!([
                {"Effect": "Allow", "Action": [
                    "sqs:ReceiveMessage",
                    "sqs:DeleteMessage",
                    "sqs:ChangeMessageVisibility",
                    "sqs:GetQueueAttributes"
                ], "Resource": [jobs_arn]},
                {"Effect": "Allow", "Action": ["dynamodb:GetItem", "dynamodb:UpdateItem"], "Resource": [table]}
            ]),
            [vpc_access, xray],
        ),
        (
            "orders-dev-reports",
            json!([
                {"Effect": "Allow", "Action": ["dynamodb:Query"], "Resource": [format!("{table}/index/by-day")]},
                {"Effect": "Allow", "Action": ["s3:PutObject"], "Resource": ["arn:aws:s3:::acme-orders-reports-dev/daily/*"]},
                {"Effect": "Allow", "Action": ["sqs:SendMessage"], "Resource": [failed_arn]}
            ]),
            [basic, xray],
        ),
    ];
    for (name, statements, managed) in roles {
        console::create_role(
            config,
            Role {
                name,
                path: "/slsr/orders/dev/",
                trust_policy: console::lambda_trust_policy(),
                inline_policy: Some(console::policy(statements)),
                managed_policies: &managed,
                tags,
            },
        )
        .await;
    }

    let redrive = json!({"deadLetterTargetArn": dlq_arn, "maxReceiveCount": 5}).to_string();
    let queues = [
        // 14 days, the maximum.
        (
            "orders-dev-jobs-dlq",
            &[("MessageRetentionPeriod", "1209600")][..],
        ),
        (
            "orders-dev-reports-failed",
            &[("MessageRetentionPeriod", "1209600")],
        ),
        (
            "orders-dev-jobs",
            &[
                ("VisibilityTimeout", "240"),
                ("MessageRetentionPeriod", "345600"),
                ("ReceiveMessageWaitTimeSeconds", "20"),
                ("RedrivePolicy", &redrive),
            ],
        ),
    ];
    for (name, attributes) in queues {
        console::create_queue(
            config,
            Queue {
                name,
                attributes,
                tags,
            },
        )
        .await;
    }

    // `defaults`: python3.12 on arm64, 256 MB, 10 s, tracing active, 30 days of logs, and
    // LOG_LEVEL and TABLE_NAME in every function's environment.
    let jobs_url = format!("https://sqs.us-east-1.amazonaws.com/{account}/orders-dev-jobs");
    let (api_role, worker_role, reports_role) =
        (role_arn("api"), role_arn("worker"), role_arn("reports"));
    let functions = [
        Function {
            name: "orders-dev-api",
            runtime: "python3.12",
            handler: "api.handler",
            role: &api_role,
            zip: zips["api"].clone(),
            description: "Orders HTTP API (create and read)",
            memory: 256,
            timeout: 10,
            ephemeral_storage: 512,
            architecture: "arm64",
            tracing: "Active",
            env: &[
                ("LOG_LEVEL", "info"),
                ("TABLE_NAME", "orders-dev"),
                ("JOBS_QUEUE_URL", &jobs_url),
            ],
            vpc: None,
            reserved_concurrency: None,
            tags,
        },
        Function {
            name: "orders-dev-worker",
            runtime: "python3.12",
            handler: "worker.handler",
            role: &worker_role,
            zip: zips["worker"].clone(),
            description: "Charges pending orders from the jobs queue",
            memory: 256,
            timeout: 30,
            ephemeral_storage: 512,
            architecture: "arm64",
            tracing: "Active",
            env: &[
                ("LOG_LEVEL", "info"),
                ("TABLE_NAME", "orders-dev"),
                ("PAYMENTS_URL", "http://payments.dev.internal:8080"),
            ],
            vpc: Some((
                &["subnet-0a1b2c3d4e5f60718", "subnet-0f1e2d3c4b5a69788"],
                &["sg-0123456789abcdef0"],
            )),
            reserved_concurrency: Some(10),
            tags,
        },
        Function {
            name: "orders-dev-reports",
            runtime: "python3.12",
            handler: "reports.handler",
            role: &reports_role,
            zip: zips["reports"].clone(),
            description: "Daily order summary to S3, nightly or on request",
            memory: 512,
            timeout: 120,
            ephemeral_storage: 512,
            architecture: "arm64",
            tracing: "Active",
            env: &[
                ("LOG_LEVEL", "info"),
                ("TABLE_NAME", "orders-dev"),
                ("REPORTS_BUCKET", "acme-orders-reports-dev"),
            ],
            vpc: None,
            reserved_concurrency: Some(1),
            // slsr's mark that it made the function's async config (docs/spec.md, `async`).
            tags: &[
                ("slsr:service", "orders"),
                ("slsr:stage", "dev"),
                ("team", "payments"),
                ("cost-center", "cc-4120"),
                ("slsr:async", "on"),
            ],
        },
    ];
    for f in functions {
        console::create_function(config, f).await;
    }
    // One retry, as the spec says, and AWS's default maximum age (6 hours) written out.
    console::put_async_config(config, "orders-dev-reports", 1, 21_600, Some(&failed_arn)).await;
    for (group, days) in [("api", 30), ("worker", 30), ("reports", 90)] {
        let name = format!("/aws/lambda/orders-dev-{group}");
        console::create_log_group(config, &name, Some(days), tags).await;
    }
    console::create_mapping(
        config,
        Mapping {
            function: "orders-dev-worker",
            queue_arn: &jobs_arn,
            batch_size: 10,
            batching_window: 5,
            enabled: true,
            report_batch_item_failures: true,
            tags,
        },
    )
    .await;

    // slsr's documented content-derived names (see SHOP_RULE): the rule of each event and
    // the statement letting EventBridge invoke reports from it.
    let reports_arn = function_arn("reports");
    let rules = [
        (
            "orders-dev-reports-a1b73f5c",
            "slsr-c18863d9",
            Some("cron(15 2 * * ? *)"),
            None,
        ),
        (
            "orders-dev-reports-5faaa40c",
            "slsr-00553aa6",
            None,
            Some(json!({"source": ["acme.orders.admin"], "detail-type": ["ReportRequested"]})),
        ),
    ];
    for (name, sid, schedule, pattern) in rules {
        console::create_rule(
            config,
            Rule {
                name,
                bus: "default",
                schedule,
                pattern,
                state: "ENABLED",
                target: &reports_arn,
                input: None,
                tags,
            },
        )
        .await;
        console::add_permission(
            config,
            Permission {
                function: "orders-dev-reports",
                statement_id: sid,
                principal: "events.amazonaws.com",
                source_arn: &format!("arn:aws:events:us-east-1:{account}:rule/{name}"),
                source_account: account,
            },
        )
        .await;
    }

    let cors = aws_sdk_apigatewayv2::types::Cors::builder()
        .allow_origins("https://shop.example.com")
        .allow_origins("https://admin.example.com")
        .allow_methods("GET")
        .allow_methods("POST")
        .allow_headers("content-type")
        .allow_headers("authorization")
        .allow_headers("idempotency-key")
        .max_age(3600)
        .build();
    let api = console::create_http_api(config, "orders-dev", Some(cors), tags).await;
    let integration = console::create_integration(config, &api, &function_arn("api"), "2.0").await;
    let customers = console::create_jwt_authorizer(
        config,
        &api,
        "customers",
        "https://cognito-idp.us-east-1.amazonaws.com/us-east-1_Sh0pCust",
        &["4v9k2shopwebclient"],
    )
    .await;
    console::create_route(config, &api, "GET /orders/{id}", &integration, "NONE", None).await;
    console::create_route(
        config,
        &api,
        "POST /orders",
        &integration,
        "JWT",
        Some(&customers),
    )
    .await;
    console::create_default_stage(config, &api).await;
    // slsr's documented content-derived ids for the two routes (see SHOP_RULE).
    for (sid, route) in [
        ("slsr-e62bd745", "GET/orders/{id}"),
        ("slsr-7c9b892f", "POST/orders"),
    ] {
        console::add_permission(
            config,
            Permission {
                function: "orders-dev-api",
                statement_id: sid,
                principal: "apigateway.amazonaws.com",
                source_arn: &format!("arn:aws:execute-api:us-east-1:{account}:{api}/*/{route}"),
                source_account: account,
            },
        )
        .await;
    }
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
        let zips = console::package(&spec, &crate::support::scratch(&format!("zips-{example}")));
        match example {
            "hello-http" => create_hello_http(&config, &account.id, zips).await,
            _ => create_orders(&config, &account.id, zips).await,
        }
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
    // A function with Lambda's defaults, its role and log group, and the alias `live` on a
    // published version with 2 provisioned.
    let zips = console::package(&dir.join("slsr.yaml"), &dir.join("zips"));
    let tags: console::Tags = &[("slsr:service", "warm"), ("slsr:stage", "dev")];
    console::create_role(
        &config,
        Role {
            name: "warm-dev-api",
            path: "/slsr/warm/dev/",
            trust_policy: console::lambda_trust_policy(),
            inline_policy: Some(console::policy(json!([log_statement(
                &account.id,
                "warm-dev-api"
            )]))),
            managed_policies: &[],
            tags,
        },
    )
    .await;
    let role = format!(
        "arn:aws:iam::{}:role/slsr/warm/dev/warm-dev-api",
        account.id
    );
    console::create_function(
        &config,
        Function {
            name: "warm-dev-api",
            runtime: "python3.12",
            handler: "index.handler",
            role: &role,
            zip: zips["api"].clone(),
            description: "",
            memory: 128,
            timeout: 3,
            ephemeral_storage: 512,
            architecture: "x86_64",
            tracing: "PassThrough",
            env: &[],
            vpc: None,
            reserved_concurrency: None,
            tags,
        },
    )
    .await;
    console::create_log_group(&config, "/aws/lambda/warm-dev-api", None, tags).await;
    console::create_provisioned_alias(&config, "warm-dev-api", "live", 2).await;
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
