//! What real apps need (docs/spec.md), end to end through the real binary against the
//! emulator: each feature planned from empty, applied, planned clean, changed (the plan
//! shows the exact field), and removed.

use crate::ground_truth::{env_of, role_policy, statements};
use crate::support::{
    Account, all_items, app, applied_clean, apply_change, has_all, planned_changes, replan, run,
    slsr_on as slsr,
};

/// Whether a policy line diff has a line marked `sign` with `content` (after indentation).
fn diff_line(text: &str, sign: char, content: &str) -> bool {
    text.lines().any(|l| {
        l.trim_start()
            .strip_prefix(sign)
            .is_some_and(|rest| rest.trim() == content)
    })
}

const STATEMENTS: &str = "service: feat
functions:
  api:
    handler: index.handler
    runtime: python3.12
    code: ./src
    statements:
      - actions: [s3:GetObject]
        resources: ['arn:aws:s3:::feat-bucket/*']
";

#[tokio::test]
async fn function_statements_join_the_generated_role_and_keep_its_grants() {
    let spec = app("feat-statements", STATEMENTS);
    let account = Account::new().await;
    let first = planned_changes(&account, &spec, &[]);
    let role = first.split("+ role.api").nth(1).unwrap_or_default();
    assert!(
        role.contains("s3:GetObject") && role.contains("logs:PutLogEvents"),
        "the statement beside the generated grants:\n{first}"
    );
    applied_clean(&account, &spec, &[]);

    // A change: the exact lines of the policy that moved, on the role alone.
    let changed = replan(
        &account,
        &spec,
        STATEMENTS.replace("feat-bucket/*", "feat-bucket/reports/*"),
        &[],
    );
    assert!(changed.contains("~ role.api"), "{changed}");
    assert!(
        changed.contains("Plan: 0 to add, 1 to change, 0 to replace, 0 to destroy."),
        "{changed}"
    );
    assert!(
        diff_line(
            &changed,
            '-',
            "\"Resource\": [\"arn:aws:s3:::feat-bucket/*\"]"
        ) && diff_line(
            &changed,
            '+',
            "\"Resource\": [\"arn:aws:s3:::feat-bucket/reports/*\"]"
        ),
        "{changed}"
    );
    applied_clean(&account, &spec, &[]);

    // Removed: the statement goes, the generated grants stay.
    let without: String = STATEMENTS
        .lines()
        .take_while(|l| !l.contains("statements:"))
        .map(|l| format!("{l}\n"))
        .collect();
    let removed = replan(&account, &spec, without, &[]);
    assert!(
        removed.contains("~ role.api")
            && diff_line(&removed, '-', "\"Action\": [\"s3:GetObject\"],"),
        "{removed}"
    );
    applied_clean(&account, &spec, &[]);
    let iam = aws_sdk_iam::Client::new(&account.config().await);
    let policy = iam
        .get_role_policy()
        .role_name("feat-dev-api")
        .policy_name("slsr")
        .send()
        .await
        .unwrap();
    let document = policy.policy_document();
    assert!(
        document.contains("logs") && !document.contains("s3"),
        "{document}"
    );
}

const HTTP: &str = "service: web
http_api:
  payload_format: '1.0'
  cors:
    allow_origins: ['https://a.example']
    allow_methods: [GET]
    allow_headers: [x-api-key]
    expose_headers: [x-request-id]
    max_age: 600
    allow_credentials: true
functions:
  api:
    handler: index.handler
    runtime: python3.12
    code: ./src
    events:
      - http: GET /open
      - http: {route: POST /admin, auth: iam}
";

#[tokio::test]
async fn payload_format_cors_and_route_auth_are_planned_applied_and_changed_exactly() {
    let spec = app("feat-http", HTTP);
    let account = Account::new().await;
    let first = planned_changes(&account, &spec, &[]);
    let route = |text: &str, key: &str| -> String {
        text.split(&format!("route[\"{key}\"]"))
            .nth(1)
            .and_then(|rest| rest.split("\n\n").next())
            .unwrap_or_default()
            .to_string()
    };
    assert!(
        route(&first, "GET /open").contains("# public"),
        "a route without auth is marked public:\n{first}"
    );
    assert!(
        !route(&first, "POST /admin").contains("# public")
            && route(&first, "POST /admin").contains("AWS_IAM"),
        "{first}"
    );
    assert!(
        first.contains("payload_format_version = \"1.0\""),
        "{first}"
    );
    applied_clean(&account, &spec, &[]);

    // What AWS holds.
    let apigw = aws_sdk_apigatewayv2::Client::new(&account.config().await);
    let apis = apigw.get_apis().send().await.unwrap();
    let api = &apis.items()[0];
    let cors = api.cors_configuration().unwrap();
    assert_eq!(cors.max_age(), Some(600));
    assert_eq!(cors.allow_credentials(), Some(true));
    assert_eq!(cors.expose_headers(), ["x-request-id"]);
    let id = api.api_id().unwrap();
    let integrations = all_items!(apigw.get_integrations().api_id(id), items);
    assert_eq!(integrations[0].payload_format_version(), Some("1.0"));
    let routes = all_items!(apigw.get_routes().api_id(id), items);
    let admin = routes
        .iter()
        .find(|r| r.route_key() == Some("POST /admin"))
        .unwrap();
    assert_eq!(
        admin.authorization_type().map(|a| a.as_str()),
        Some("AWS_IAM")
    );

    // Changes: each shows as its own field.
    let changed_spec = HTTP
        .replace("payload_format: '1.0'", "payload_format: '2.0'")
        .replace("max_age: 600", "max_age: 300")
        .replace(
            "{route: POST /admin, auth: iam}",
            "{route: POST /admin, auth: none}",
        );
    let changed = replan(&account, &spec, &changed_spec, &[]);
    assert!(
        changed.contains("~ payload_format_version: \"1.0\" -> \"2.0\""),
        "{changed}"
    );
    assert!(changed.contains("~ cors.max_age: 600 -> 300"), "{changed}");
    let admin = route(&changed, "POST /admin");
    assert!(
        admin.contains("~ authorization: \"AWS_IAM\" -> \"NONE\"") && admin.contains("# public"),
        "{changed}"
    );
    assert!(
        changed.contains("Plan: 0 to add, 3 to change, 0 to replace, 0 to destroy."),
        "{changed}"
    );
    applied_clean(&account, &spec, &[]);

    // Removed: the CORS block and the admin route.
    let removed_spec: String = changed_spec
        .lines()
        .filter(|l| {
            !(l.starts_with("  cors:")
                || l.starts_with("    allow_")
                || l.starts_with("    expose_")
                || l.starts_with("    max_age")
                || l.contains("POST /admin"))
        })
        .map(|l| format!("{l}\n"))
        .collect();
    apply_change(
        &account,
        &spec,
        removed_spec,
        &["- route[\"POST /admin\"]", "- cors.max_age"],
    );
}

const ASYNC: &str = "service: feat
queues:
  failed: {}
functions:
  api:
    handler: index.handler
    runtime: python3.12
    code: ./src
    async: {max_retries: 1, max_event_age: 3600, on_failure: {queue: failed}}
";

#[tokio::test]
async fn async_invocation_config_is_planned_applied_drift_checked_and_removed() {
    let spec = app("feat-async", ASYNC);
    let account = Account::new().await;
    let first = planned_changes(&account, &spec, &[]);
    assert!(
        first.contains("+ async.max_retries = 1")
            && first.contains("+ async.max_event_age = 3600")
            && first.contains(":feat-dev-failed\""),
        "{first}"
    );
    applied_clean(&account, &spec, &[]);
    let config = account.config().await;
    let lambda = aws_sdk_lambda::Client::new(&config);
    let live = lambda
        .get_function_event_invoke_config()
        .function_name("feat-dev-api")
        .send()
        .await
        .unwrap();
    assert_eq!(live.maximum_retry_attempts(), Some(1));
    let destination = live
        .destination_config()
        .and_then(|d| d.on_failure())
        .and_then(|d| d.destination())
        .unwrap_or_default();
    assert!(destination.ends_with(":feat-dev-failed"), "{destination}");
    // The generated role may send to exactly that queue.
    let iam = aws_sdk_iam::Client::new(&config);
    let document = role_policy(&iam, "feat-dev-api").await.to_string();
    assert!(
        document.contains("sqs:SendMessage") && document.contains(":feat-dev-failed"),
        "{document}"
    );

    // Drift: someone changes the retries by hand; the plan shows it and apply puts it back.
    lambda
        .put_function_event_invoke_config()
        .function_name("feat-dev-api")
        .maximum_retry_attempts(0)
        .maximum_event_age_in_seconds(3600)
        .send()
        .await
        .unwrap();
    let drift = planned_changes(&account, &spec, &[]);
    assert!(drift.contains("~ async.max_retries: 0 -> 1"), "{drift}");
    assert!(
        drift.contains("+ async.on_failure: (none) -> \"arn:aws:sqs:"),
        "{drift}"
    );
    applied_clean(&account, &spec, &[]);

    // A change in the spec: the exact field.
    let changed = replan(
        &account,
        &spec,
        ASYNC.replace("max_event_age: 3600", "max_event_age: 7200"),
        &[],
    );
    assert!(
        changed.contains("~ async.max_event_age: 3600 -> 7200"),
        "{changed}"
    );
    applied_clean(&account, &spec, &[]);

    // Removed: the config goes, and so does the tag that marks it.
    let removed = replan(
        &account,
        &spec,
        ASYNC.replace(
            "    async: {max_retries: 1, max_event_age: 3600, on_failure: {queue: failed}}\n",
            "",
        ),
        &[],
    );
    assert!(
        removed.contains("- async.max_retries") && removed.contains("- tags.slsr:async"),
        "{removed}"
    );
    applied_clean(&account, &spec, &[]);
    let gone = lambda
        .get_function_event_invoke_config()
        .function_name("feat-dev-api")
        .send()
        .await;
    assert!(gone.is_err(), "the config is deleted");
}

const JWT: &str = "service: jwt
http_api:
  authorizers:
    users: {jwt: {issuer: 'https://issuer.example.com', audience: [web]}}
functions:
  api:
    handler: index.handler
    runtime: python3.12
    code: ./src
    events:
      - http: {route: GET /me, auth: users}
      - http: GET /health
";

#[tokio::test]
async fn jwt_authorizers_guard_routes_and_change_and_go_exactly() {
    let spec = app("feat-jwt", JWT);
    let account = Account::new().await;
    let first = planned_changes(&account, &spec, &[]);
    assert!(
        first.contains("+ authorizer.users")
            && first.contains("+ issuer = \"https://issuer.example.com\""),
        "{first}"
    );
    let me = first
        .split("route[\"GET /me\"]")
        .nth(1)
        .and_then(|rest| rest.split("\n\n").next())
        .unwrap_or_default();
    assert!(
        me.contains("+ authorization = \"JWT\"")
            && me.contains("+ authorizer = \"authorizer.users\"")
            && !me.contains("# public"),
        "{first}"
    );
    applied_clean(&account, &spec, &[]);

    // AWS holds the authorizer, and the route names it by id.
    let apigw = aws_sdk_apigatewayv2::Client::new(&account.config().await);
    let api = apigw.get_apis().send().await.unwrap().items()[0]
        .api_id()
        .unwrap()
        .to_string();
    let authorizers = all_items!(apigw.get_authorizers().api_id(&api), items);
    let users = &authorizers[0];
    assert_eq!(users.name(), Some("users"));
    let routes = all_items!(apigw.get_routes().api_id(&api), items);
    let route = routes
        .iter()
        .find(|r| r.route_key() == Some("GET /me"))
        .unwrap();
    assert_eq!(route.authorizer_id(), users.authorizer_id());

    // A change: the audience, on the authorizer alone.
    let changed = replan(
        &account,
        &spec,
        JWT.replace("audience: [web]", "audience: [web, mobile]"),
        &[],
    );
    assert!(changed.contains("~ authorizer.users"), "{changed}");
    assert!(
        changed.contains("Plan: 0 to add, 1 to change, 0 to replace, 0 to destroy."),
        "{changed}"
    );
    applied_clean(&account, &spec, &[]);

    // Removed: the route goes public, the authorizer goes.
    let without: String = JWT
        .lines()
        .filter(|l| {
            !l.starts_with("http_api:") && !l.contains("authorizers:") && !l.contains("users: {jwt")
        })
        .map(|l| format!("{l}\n"))
        .collect::<String>()
        .replace("{route: GET /me, auth: users}", "GET /me");
    apply_change(
        &account,
        &spec,
        without,
        &["- authorizer.users", "~ authorization: \"JWT\" -> \"NONE\""],
    );
}

const REFERENCES: &str = "service: refs
queues:
  jobs: {}
roles:
  shared:
    managed_policies: [arn:aws:iam::aws:policy/service-role/AWSLambdaBasicExecutionRole]
functions:
  api:
    handler: index.handler
    runtime: python3.12
    code: ./src
    env:
      JOBS_URL: ${queue:jobs.url}
      JOBS_ARN: ${queue:jobs.arn}
      WORKER: ${function:worker.name}
      WORKER_ARN: ${function:worker.arn}
      SHARED_ROLE: ${role:shared.arn}
      API: ${http_api.url}
    events: [{http: GET /x}]
  worker:
    handler: index.handler
    runtime: python3.12
    code: ./src
";

#[tokio::test]
async fn references_resolve_from_the_account_or_after_apply_and_follow_changes() {
    let spec = app("feat-refs", REFERENCES);
    let account = Account::new().await;
    let first = planned_changes(&account, &spec, &[]);
    let id = &account.id;
    has_all(
        &first,
        &[
            "+ env.JOBS_URL = \"(known after apply: queue.jobs.url)\"",
            "+ env.API = \"(known after apply: http_api.url)\"",
            &format!("+ env.JOBS_ARN = \"arn:aws:sqs:us-east-1:{id}:refs-dev-jobs\""),
            "+ env.WORKER = \"refs-dev-worker\"",
            &format!(
                "+ env.WORKER_ARN = \"arn:aws:lambda:us-east-1:{id}:function:refs-dev-worker\""
            ),
            &format!(
                "+ env.SHARED_ROLE = \"arn:aws:iam::{id}:role/slsr/refs/dev/refs-dev-shared\""
            ),
        ],
    );
    applied_clean(&account, &spec, &[]);

    // What the function got: the queue's and the API's real URLs.
    let config = account.config().await;
    let sqs = aws_sdk_sqs::Client::new(&config);
    let queue_url = sqs
        .get_queue_url()
        .queue_name("refs-dev-jobs")
        .send()
        .await
        .unwrap()
        .queue_url
        .unwrap();
    let apigw = aws_sdk_apigatewayv2::Client::new(&config);
    let api_id = apigw.get_apis().send().await.unwrap().items()[0]
        .api_id()
        .unwrap()
        .to_string();
    let lambda = aws_sdk_lambda::Client::new(&config);
    let env = env_of(&lambda, "refs-dev-api").await;
    assert_eq!(env["JOBS_URL"], queue_url);
    assert_eq!(
        env["API"],
        format!("https://{api_id}.execute-api.us-east-1.amazonaws.com")
    );

    // A reference to a queue this plan adds: known after apply on an update too.
    let changed = replan(
        &account,
        &spec,
        REFERENCES
            .replace("  jobs: {}\n", "  jobs: {}\n  more: {}\n")
            .replace(
                "      API: ${http_api.url}\n",
                "      API: ${http_api.url}\n      MORE_URL: ${queue:more.url}\n",
            ),
        &[],
    );
    assert!(
        changed.contains("+ env.MORE_URL: (none) -> \"(known after apply: queue.more.url)\""),
        "{changed}"
    );
    applied_clean(&account, &spec, &[]);

    // Removed: the variables go with the references.
    let removed = replan(
        &account,
        &spec,
        REFERENCES.replace("      JOBS_URL: ${queue:jobs.url}\n", ""),
        &[],
    );
    assert!(removed.contains("- env.JOBS_URL"), "{removed}");
    assert!(removed.contains("- env.MORE_URL"), "{removed}");
    applied_clean(&account, &spec, &[]);
}

const SSM: &str = "service: params
functions:
  api:
    handler: index.handler
    runtime: python3.12
    code: ./src
    env:
      TABLE: ${ssm:/params/table}
      DATABASE_URL: postgres://app:${ssm:/params/db-password}@db.internal/app
";

#[tokio::test]
async fn ssm_parameters_are_read_at_plan_time_and_secure_ones_never_shown_or_saved() {
    let spec = app("feat-ssm", SSM);
    let account = Account::new().await;
    let config = account.config().await;
    let ssm = aws_sdk_ssm::Client::new(&config);
    let put = |name: &'static str, value: &'static str, kind: aws_sdk_ssm::types::ParameterType| {
        let ssm = ssm.clone();
        async move {
            ssm.put_parameter()
                .name(name)
                .value(value)
                .r#type(kind)
                .overwrite(true)
                .send()
                .await
                .unwrap();
        }
    };
    // A missing parameter fails the plan, naming it.
    let out = slsr(&account, "plan", &spec, &[]);
    assert_eq!(out.code, 1, "{}{}", out.stdout, out.stderr);
    assert!(out.stderr.contains("/params/"), "{}", out.stderr);

    put(
        "/params/table",
        "orders",
        aws_sdk_ssm::types::ParameterType::String,
    )
    .await;
    put(
        "/params/db-password",
        "hunter2-secret",
        aws_sdk_ssm::types::ParameterType::SecureString,
    )
    .await;
    let first = planned_changes(&account, &spec, &[]);
    assert!(first.contains("+ env.TABLE = \"orders\""), "{first}");
    assert!(!first.contains("hunter2"), "{first}");
    assert!(first.contains("env.DATABASE_URL = (sensitive)"), "{first}");
    // A saved plan holds no secret either.
    let saved = spec.with_file_name("saved.plan");
    let out = slsr(&account, "plan", &spec, &["--out", saved.to_str().unwrap()]);
    assert!(out.code == 0 || out.code == 2, "{}", out.stderr);
    let text = std::fs::read_to_string(&saved).unwrap();
    assert!(!text.contains("hunter2"), "the saved plan holds the secret");
    applied_clean(&account, &spec, &[]);

    // The function has the real values.
    let lambda = aws_sdk_lambda::Client::new(&config);
    let env = env_of(&lambda, "params-dev-api").await;
    assert_eq!(env["TABLE"], "orders");
    assert_eq!(
        env["DATABASE_URL"],
        "postgres://app:hunter2-secret@db.internal/app"
    );

    // A new secret is a change, masked; a new plain value shows.
    put(
        "/params/db-password",
        "rotated-secret",
        aws_sdk_ssm::types::ParameterType::SecureString,
    )
    .await;
    put(
        "/params/table",
        "orders-v2",
        aws_sdk_ssm::types::ParameterType::String,
    )
    .await;
    let changed = planned_changes(&account, &spec, &[]);
    assert!(
        changed.contains("~ env.TABLE: \"orders\" -> \"orders-v2\""),
        "{changed}"
    );
    assert!(
        changed.contains("~ env.DATABASE_URL: (sensitive)"),
        "{changed}"
    );
    assert!(!changed.contains("secret"), "{changed}");
    applied_clean(&account, &spec, &[]);
}

const NAMED_RULES: &str = "service: named
functions:
  worker:
    handler: index.handler
    runtime: python3.12
    code: ./src
    events:
      - schedule: {expression: rate(5 minutes), name: nightly}
      - eventbridge: {pattern: {source: [shop.orders]}, name: on-order}
";

/// An event's `name` names its rule, so a new expression or pattern is an update of that
/// rule in place: no second rule, no new permission.
#[tokio::test]
async fn a_named_rule_changes_in_place() {
    let spec = app("feat-named-rules", NAMED_RULES);
    let account = Account::new().await;
    let first = planned_changes(&account, &spec, &[]);
    assert!(
        first.contains("+ rule.worker.nightly  named-dev-worker-nightly")
            && first.contains("+ rule.worker.on-order  named-dev-worker-on-order"),
        "{first}"
    );
    applied_clean(&account, &spec, &[]);
    let changed = replan(
        &account,
        &spec,
        NAMED_RULES
            .replace("rate(5 minutes)", "rate(10 minutes)")
            .replace("[shop.orders]", "[shop.returns]"),
        &[],
    );
    assert!(
        changed.contains("~ rule.worker.nightly  named-dev-worker-nightly")
            && changed.contains("schedule_expression: \"rate(5 minutes)\" -> \"rate(10 minutes)\"")
            && changed.contains("~ rule.worker.on-order  named-dev-worker-on-order")
            && changed.contains("Plan: 0 to add, 2 to change, 0 to replace, 0 to destroy."),
        "{changed}"
    );
    applied_clean(&account, &spec, &[]);
    let events = aws_sdk_eventbridge::Client::new(&account.config().await);
    let rule = events
        .describe_rule()
        .name("named-dev-worker-nightly")
        .send()
        .await
        .unwrap();
    assert_eq!(rule.schedule_expression(), Some("rate(10 minutes)"));
    let pattern: serde_json::Value = serde_json::from_str(
        events
            .describe_rule()
            .name("named-dev-worker-on-order")
            .send()
            .await
            .unwrap()
            .event_pattern()
            .unwrap(),
    )
    .unwrap();
    assert_eq!(pattern, serde_json::json!({"source": ["shop.returns"]}));
    let rules = all_items!(events.list_rules().name_prefix("named-dev-"), rules);
    assert_eq!(rules.len(), 2, "no rule was added: {rules:?}");
}

const PRODUCER: &str = "service: producer
queues:
  jobs: {}
outputs:
  api_url: {value: '${http_api.url}', ssm: /shared/producer/api_url}
  jobs_url: {value: '${queue:jobs.url}'}
functions:
  api:
    handler: index.handler
    runtime: python3.12
    code: ./src
    events: [{http: GET /hello}]
";

const CONSUMER: &str = "service: consumer
functions:
  api:
    handler: index.handler
    runtime: python3.12
    code: ./src
    env:
      PRODUCER_URL: ${ssm:/shared/producer/api_url}
";

#[tokio::test]
async fn outputs_are_printed_read_back_and_published_for_another_service() {
    let producer = app("feat-producer", PRODUCER);
    let consumer = app("feat-consumer", CONSUMER);
    let account = Account::new().await;
    let first = planned_changes(&account, &producer, &[]);
    assert!(
        first.contains("+ parameter[\"/shared/producer/api_url\"]")
            && first.contains("+ value = \"(known after apply: http_api.url)\""),
        "{first}"
    );
    let out = slsr(&account, "apply", &producer, &["--auto-approve"]);
    assert_eq!(out.code, 0, "{}{}", out.stdout, out.stderr);
    let config = account.config().await;
    let apigw = aws_sdk_apigatewayv2::Client::new(&config);
    let api_id = apigw.get_apis().send().await.unwrap().items()[0]
        .api_id()
        .unwrap()
        .to_string();
    let url = format!("https://{api_id}.execute-api.us-east-1.amazonaws.com");
    assert!(
        out.stdout.contains("Outputs:") && out.stdout.contains(&format!("api_url = {url}")),
        "{}",
        out.stdout
    );
    let out = slsr(&account, "plan", &producer, &["--detailed-exitcode"]);
    assert_eq!(out.code, 0, "{}{}", out.stdout, out.stderr);

    // Read back from the account.
    let out = slsr(&account, "outputs", &producer, &["--format", "json"]);
    assert_eq!(out.code, 0, "{}", out.stderr);
    let values: serde_json::Value = serde_json::from_str(&out.stdout).unwrap();
    assert_eq!(values["api_url"], url.as_str());
    assert!(
        values["jobs_url"]
            .as_str()
            .unwrap()
            .ends_with("/producer-dev-jobs"),
        "{values}"
    );

    // Another service reads the published value.
    let reads = planned_changes(&account, &consumer, &[]);
    assert!(
        reads.contains(&format!("+ env.PRODUCER_URL = \"{url}\"")),
        "{reads}"
    );
    applied_clean(&account, &consumer, &[]);

    // Removed: the parameter goes, and the reader says what is missing.
    let without: String = PRODUCER
        .lines()
        .filter(|l| !l.starts_with("outputs:") && !l.contains("_url: {value"))
        .map(|l| format!("{l}\n"))
        .collect();
    let removed = replan(&account, &producer, without, &[]);
    assert!(
        removed.contains("- parameter[\"/shared/producer/api_url\"]"),
        "{removed}"
    );
    applied_clean(&account, &producer, &[]);
    let out = slsr(&account, "plan", &consumer, &[]);
    assert_eq!(out.code, 1, "{}{}", out.stdout, out.stderr);
    assert!(
        out.stderr.contains("/shared/producer/api_url"),
        "{}",
        out.stderr
    );
}

/// `slsr outputs` is what a pipeline passes on as a URL: on a stage never deployed it
/// prints no placeholder and fails, saying so; once deployed, an output that names what is
/// not deployed yet fails the same way, naming it, while the others print.
#[tokio::test]
async fn outputs_of_what_is_not_deployed_are_an_error_never_a_placeholder() {
    let spec = app("feat-outputs-undeployed", PRODUCER);
    let account = Account::new().await;
    for format in ["text", "json"] {
        let out = slsr(&account, "outputs", &spec, &["--format", format]);
        assert_eq!(out.code, 1, "{}{}", out.stdout, out.stderr);
        assert!(
            out.stderr.contains("service producer stage dev in account")
                && out.stderr.contains("is not deployed")
                && out.stderr.contains("run `slsr apply` first"),
            "{}",
            out.stderr
        );
        assert!(
            !out.stdout.contains("known after apply") && !out.stdout.contains("_url"),
            "{}",
            out.stdout
        );
    }
    applied_clean(&account, &spec, &[]);
    let out = slsr(&account, "outputs", &spec, &[]);
    assert_eq!(out.code, 0, "{}{}", out.stdout, out.stderr);

    // A new queue and an output that names it, not applied yet.
    let more = PRODUCER
        .replace("  jobs: {}\n", "  jobs: {}\n  extra: {}\n")
        .replace(
            "outputs:\n",
            "outputs:\n  extra_url: {value: '${queue:extra.url}'}\n",
        );
    std::fs::write(&spec, more).unwrap();
    let out = slsr(&account, "outputs", &spec, &["--format", "json"]);
    assert_eq!(out.code, 1, "{}{}", out.stdout, out.stderr);
    assert!(
        out.stderr.contains("extra_url (needs queue.extra)") && !out.stderr.contains("api_url"),
        "{}",
        out.stderr
    );
    let values: serde_json::Value = serde_json::from_str(&out.stdout).unwrap();
    assert!(values.get("extra_url").is_none(), "{values}");
    assert!(
        values["jobs_url"]
            .as_str()
            .is_some_and(|u| u.ends_with("/producer-dev-jobs")),
        "{values}"
    );
}

/// A plan lists the outputs apply changes, as Terraform's "Changes to Outputs": a
/// published one by the value its parameter holds, a new one known only after apply; an
/// output that stays as it is is not listed.
#[tokio::test]
async fn a_plan_shows_the_outputs_it_changes() {
    let spec = app("feat-output-changes", PRODUCER);
    let account = Account::new().await;
    applied_clean(&account, &spec, &[]);
    let apigw = aws_sdk_apigatewayv2::Client::new(&account.config().await);
    let api_id = apigw.get_apis().send().await.unwrap().items()[0]
        .api_id()
        .unwrap()
        .to_string();
    let url = format!("https://{api_id}.execute-api.us-east-1.amazonaws.com");
    let changed = PRODUCER
        .replace("value: '${http_api.url}'", "value: '${http_api.url}/v2'")
        .replace("  jobs: {}\n", "  jobs: {}\n  extra: {}\n")
        .replace(
            "outputs:\n",
            "outputs:\n  extra_url: {value: '${queue:extra.url}'}\n",
        );
    let plan = replan(&account, &spec, changed, &[]);
    let expected = format!(
        "Changes to Outputs:\n  ~ api_url   = \"{url}\" -> \"{url}/v2\"\n  + extra_url = (known after apply: queue.extra.url)\n\n"
    );
    assert!(plan.contains(&expected), "{expected}\nnot in:\n{plan}");
    assert!(!plan.contains("jobs_url ="), "{plan}");
    let out = slsr(&account, "plan", &spec, &["--format", "json"]);
    let json: serde_json::Value = serde_json::from_str(&out.stdout).unwrap();
    assert_eq!(
        json["output_changes"][0],
        serde_json::json!({"name": "api_url", "action": "update", "before": url, "after": format!("{url}/v2"), "sensitive": false})
    );
    applied_clean(&account, &spec, &[]);
}

#[tokio::test]
async fn a_statement_that_names_a_url_known_only_after_apply_is_refused() {
    let spec = app(
        "feat-url-statement",
        "service: urls
queues:
  jobs: {}
functions:
  api:
    handler: index.handler
    runtime: python3.12
    code: ./src
    statements:
      - actions: [sqs:SendMessage]
        resources: ['${queue:jobs.url}']
",
    );
    let account = Account::new().await;
    let out = slsr(&account, "apply", &spec, &["--auto-approve"]);
    assert_eq!(out.code, 1, "{}{}", out.stdout, out.stderr);
    assert!(
        out.stderr.contains("statements take ARNs"),
        "{}",
        out.stderr
    );
}

const URLS: &str = "service: urls
functions:
  api:
    handler: index.handler
    runtime: python3.12
    code: ./src
    url: {auth: none, cors: {allow_origins: ['*'], allow_methods: [GET]}}
  caller:
    handler: index.handler
    runtime: python3.12
    code: ./src
    env: {API_URL: '${function:api.url}'}
outputs:
  api_url: {value: '${function:api.url}'}
";

/// The function's policy statements as AWS has them, by action.
async fn statements_by_action(
    lambda: &aws_sdk_lambda::Client,
    function: &str,
) -> std::collections::BTreeMap<String, serde_json::Value> {
    statements(lambda, function)
        .await
        .into_iter()
        .map(|s| (s["Action"].as_str().unwrap().to_string(), s))
        .collect()
}

#[tokio::test]
async fn function_urls_are_made_read_back_changed_and_removed_with_their_statements() {
    let spec = app("feat-urls", URLS);
    let account = Account::new().await;
    let lambda = aws_sdk_lambda::Client::new(&account.config().await);
    let first = planned_changes(&account, &spec, &[]);
    assert!(first.contains("+ function_url.api"), "{first}");
    assert!(
        first.contains(
            "# public: anyone on the internet can invoke the function through this URL (auth: none)"
        ),
        "{first}"
    );
    assert!(
        first.contains("+ env.API_URL = \"(known after apply: function_url.api.url)\""),
        "{first}"
    );
    let out = slsr(&account, "apply", &spec, &["--auto-approve"]);
    assert_eq!(out.code, 0, "{}{}", out.stdout, out.stderr);

    // What AWS has: the URL config, both statements of a public URL, the URL in the other
    // function's environment and in the outputs.
    let url = lambda
        .get_function_url_config()
        .function_name("urls-dev-api")
        .send()
        .await
        .unwrap();
    assert_eq!(url.auth_type().as_str(), "NONE");
    assert_eq!(url.cors().unwrap().allow_origins(), ["*"]);
    let address = url.function_url().to_string();
    assert!(address.starts_with("https://"), "{address}");
    let policy = statements_by_action(&lambda, "urls-dev-api").await;
    assert_eq!(
        policy["lambda:InvokeFunctionUrl"]["Condition"],
        serde_json::json!({"StringEquals": {"lambda:FunctionUrlAuthType": "NONE"}})
    );
    assert_eq!(
        policy["lambda:InvokeFunction"]["Condition"],
        serde_json::json!({"Bool": {"lambda:InvokedViaFunctionUrl": "true"}})
    );
    assert_eq!(env_of(&lambda, "urls-dev-caller").await["API_URL"], address);
    assert!(
        out.stdout.contains(&format!("api_url = {address}")),
        "{}",
        out.stdout
    );
    let out = slsr(&account, "plan", &spec, &["--detailed-exitcode"]);
    assert_eq!(
        out.code, 0,
        "clean after apply:\n{}{}",
        out.stdout, out.stderr
    );

    // Drift made by hand shows as the field, and apply puts it back.
    lambda
        .update_function_url_config()
        .function_name("urls-dev-api")
        .cors(
            aws_sdk_lambda::types::Cors::builder()
                .allow_origins("https://evil.example")
                .allow_methods("GET")
                .build(),
        )
        .send()
        .await
        .unwrap();
    let drift = planned_changes(&account, &spec, &[]);
    assert!(
        drift.contains("~ cors.allow_origins: [\"https://evil.example\"] -> [\"*\"]"),
        "{drift}"
    );
    applied_clean(&account, &spec, &[]);

    // IAM auth: the URL changes in place and the public statements go.
    let iam = replan(
        &account,
        &spec,
        URLS.replace("auth: none", "auth: iam"),
        &[],
    );
    assert!(
        iam.contains("~ auth_type: \"NONE\" -> \"AWS_IAM\""),
        "{iam}"
    );
    assert!(!iam.contains("# public"), "{iam}");
    assert_eq!(iam.matches("  - permission.api.").count(), 2, "{iam}");
    applied_clean(&account, &spec, &[]);
    let url = lambda
        .get_function_url_config()
        .function_name("urls-dev-api")
        .send()
        .await
        .unwrap();
    assert_eq!(url.auth_type().as_str(), "AWS_IAM");
    assert_eq!(url.function_url(), address, "the same URL");
    assert!(
        statements_by_action(&lambda, "urls-dev-api")
            .await
            .is_empty()
    );

    // Removed: the config goes, then the function's `slsr:url` tag.
    let without = "service: urls\nfunctions:\n  api:\n    handler: index.handler\n    runtime: python3.12\n    code: ./src\n";
    apply_change(&account, &spec, without, &["- function_url.api"]);
    assert!(
        lambda
            .get_function_url_config()
            .function_name("urls-dev-api")
            .send()
            .await
            .is_err()
    );
    let tags = lambda
        .list_tags()
        .resource(format!(
            "arn:aws:lambda:us-east-1:{}:function:urls-dev-api",
            account.id
        ))
        .send()
        .await
        .unwrap()
        .tags
        .unwrap_or_default();
    assert!(!tags.contains_key("slsr:url"), "{tags:?}");
}

#[test]
fn a_function_that_needs_its_own_url_is_a_cycle_at_plan_time() {
    let spec = app(
        "feat-url-cycle",
        "service: urls\nfunctions:\n  api:\n    handler: index.handler\n    runtime: python3.12\n    code: ./src\n    url: {auth: iam}\n    env: {SELF: '${function:api.url}'}\n",
    );
    let out = run(crate::support::slsr()
        .args(["plan", "--offline", "-f"])
        .arg(&spec));
    assert_eq!(out.code, 1, "{}{}", out.stdout, out.stderr);
    assert!(
        out.stderr
            .contains("function.api needs function_url.api needs function.api")
            || out
                .stderr
                .contains("function_url.api needs function.api needs function_url.api"),
        "{}",
        out.stderr
    );
}
