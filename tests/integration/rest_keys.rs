//! REST APIs' API keys and usage plans through the real binary against the emulator: keys,
//! plans (stage, throttle, quota) and plan keys as GetApiKeys, GetUsagePlans and
//! GetUsagePlanKeys return them; the key's value (read here, and only here, with
//! includeValues) in none of slsr's outputs; a quota change shown as its field and applied
//! without a deployment; a method's `api_key_required` change redeploying once; removal.

use crate::support::{
    Account, app, applied, applied_clean, assert_clean, destroyed, has_all, planned_changes,
    replan, slsr_on,
};

const KEYED: &str = "service: keys
rest_api:
  api_keys: [partner-a]
  usage_plans:
    basic: {keys: [partner-a], throttle: {rate: 10, burst: 20}, quota: {limit: 10000, period: month}}
functions:
  api:
    handler: index.handler
    runtime: python3.12
    code: ./src
    events:
      - rest: {route: GET /orders, auth: api_key}
      - rest: {route: POST /orders, auth: iam, api_key_required: true}
      - rest: GET /open
outputs:
  url: {value: '${rest_api.url}'}
  partner_key: {value: '${rest_api.api_keys.partner-a.id}'}
";

/// Whether the method `method` at `path` requires an API key, by GetMethod.
async fn key_required(
    rest: &aws_sdk_apigateway::Client,
    id: &str,
    path: &str,
    method: &str,
) -> bool {
    let resources = rest_items!(rest.get_resources().rest_api_id(id));
    let resource = resources.iter().find(|r| r.path() == Some(path)).unwrap();
    rest.get_method()
        .rest_api_id(id)
        .resource_id(resource.id().unwrap())
        .http_method(method)
        .send()
        .await
        .unwrap()
        .api_key_required()
        .unwrap_or(false)
}

#[tokio::test]
async fn api_keys_and_usage_plans_are_made_changed_and_removed_and_the_key_value_is_never_shown() {
    let spec = app("rest-keys", KEYED);
    let account = Account::new().await;
    let first = planned_changes(&account, &spec, &[]);
    has_all(
        &first,
        &[
            "+ rest_api_key.partner-a",
            "+ name = \"keys-dev-partner-a\"",
            "+ rest_usage_plan.basic",
            "+ name = \"keys-dev-basic\"",
            "+ api_stage = \"(known after apply: rest_api.id):dev\"",
            "+ throttle_rate = 10.0",
            "+ throttle_burst = 20",
            "+ quota_limit = 10000",
            "+ quota_period = \"MONTH\"",
            "+ rest_usage_plan_key[\"basic/partner-a\"]",
            "+ key_type = \"API_KEY\"",
        ],
    );
    let mut outputs = vec![first];
    outputs.push(applied(&account, &spec, &["-v"]).stdout);
    assert_clean(&account, &spec);

    let config = account.config().await;
    let rest = aws_sdk_apigateway::Client::new(&config);
    let id = crate::ground_truth::the_rest_api(&rest)
        .await
        .id()
        .unwrap()
        .to_string();
    // The test, not slsr, reads the key's value: to look for it in slsr's outputs.
    let keys = rest_items!(rest.get_api_keys().include_values(true));
    assert_eq!(keys.len(), 1, "{keys:?}");
    let key = &keys[0];
    assert_eq!(key.name(), Some("keys-dev-partner-a"));
    assert!(key.enabled());
    assert_eq!(
        key.tags().unwrap().get("slsr:service").map(String::as_str),
        Some("keys")
    );
    assert_eq!(
        key.tags().unwrap().get("slsr:stage").map(String::as_str),
        Some("dev")
    );
    let value = key.value().unwrap().to_string();
    assert!(value.len() >= 20, "{value}");
    let plans = rest_items!(rest.get_usage_plans());
    assert_eq!(plans.len(), 1, "{plans:?}");
    let plan = &plans[0];
    assert_eq!(plan.name(), Some("keys-dev-basic"));
    let stages: Vec<(String, String)> = plan
        .api_stages()
        .iter()
        .map(|s| {
            (
                s.api_id().unwrap().to_string(),
                s.stage().unwrap().to_string(),
            )
        })
        .collect();
    assert_eq!(stages, [(id.clone(), "dev".to_string())]);
    assert_eq!(plan.throttle().unwrap().rate_limit(), 10.0);
    assert_eq!(plan.throttle().unwrap().burst_limit(), 20);
    assert_eq!(plan.quota().unwrap().limit(), 10000);
    assert_eq!(plan.quota().unwrap().period().unwrap().as_str(), "MONTH");
    assert_eq!(
        plan.tags().unwrap().get("slsr:service").map(String::as_str),
        Some("keys")
    );
    let plan_id = plan.id().unwrap().to_string();
    let plan_keys = rest_items!(rest.get_usage_plan_keys().usage_plan_id(&plan_id));
    assert_eq!(plan_keys.len(), 1, "{plan_keys:?}");
    assert_eq!(plan_keys[0].id(), key.id());
    assert_eq!(plan_keys[0].r#type(), Some("API_KEY"));
    assert!(key_required(&rest, &id, "/orders", "GET").await);
    assert!(key_required(&rest, &id, "/orders", "POST").await);
    assert!(!key_required(&rest, &id, "/open", "GET").await);
    let deployments = rest_items!(rest.get_deployments().rest_api_id(&id)).len();
    assert_eq!(deployments, 1);

    // A quota change: that field, in every format, through a saved plan, a dry run and -v;
    // a usage plan is no part of a deployment.
    let quota = KEYED.replace("limit: 10000", "limit: 20000");
    let plan_text = replan(&account, &spec, &quota, &[]);
    has_all(
        &plan_text,
        &["~ rest_usage_plan.basic", "~ quota_limit: 10000 -> 20000"],
    );
    assert!(!plan_text.contains("rest_deployment"), "{plan_text}");
    outputs.push(plan_text);
    for format in ["json", "markdown"] {
        let out = slsr_on(&account, "plan", &spec, &["--format", format]);
        assert_eq!(out.code, 0, "{}", out.stderr);
        assert!(out.stdout.contains("quota_limit"), "{}", out.stdout);
        outputs.push(out.stdout + &out.stderr);
    }
    let saved = spec.with_file_name("plan.saved");
    let out = slsr_on(&account, "plan", &spec, &["--out", saved.to_str().unwrap()]);
    assert_eq!(out.code, 0, "{}", out.stderr);
    outputs.push(std::fs::read_to_string(&saved).unwrap());
    let dry = slsr_on(&account, "apply", &spec, &["--dry-run"]);
    assert_eq!(dry.code, 0, "{}", dry.stderr);
    assert!(dry.stdout.contains("UpdateUsagePlan"), "{}", dry.stdout);
    outputs.push(dry.stdout + &dry.stderr);
    let run = applied_clean(&account, &spec, &["-v"]);
    outputs.push(run.stdout + &run.stderr);
    let plan = rest
        .get_usage_plan()
        .usage_plan_id(&plan_id)
        .send()
        .await
        .unwrap();
    assert_eq!(plan.quota().unwrap().limit(), 20000);
    assert_eq!(plan.throttle().unwrap().rate_limit(), 10.0);
    assert_eq!(
        rest_items!(rest.get_deployments().rest_api_id(&id)).len(),
        1
    );
    let shown = slsr_on(&account, "outputs", &spec, &[]);
    assert_eq!(shown.code, 0, "{}", shown.stderr);
    // The key's id, never its value.
    assert!(shown.stdout.contains(key.id().unwrap()), "{}", shown.stdout);
    outputs.push(shown.stdout + &shown.stderr);

    // A method's api_key_required: that field, and exactly one new deployment.
    let keyed_open = quota.replace(
        "- rest: GET /open",
        "- rest: {route: GET /open, api_key_required: true}",
    );
    let plan_text = replan(&account, &spec, &keyed_open, &[]);
    has_all(
        &plan_text,
        &[
            "~ rest_method[\"GET /open\"]",
            "~ api_key_required: false -> true",
            "~ rest_deployment.api",
        ],
    );
    applied_clean(&account, &spec, &[]);
    assert!(key_required(&rest, &id, "/open", "GET").await);
    assert_eq!(
        rest_items!(rest.get_deployments().rest_api_id(&id)).len(),
        2
    );

    // The throttle dropped: removed from the plan in place.
    let unthrottled = keyed_open.replace(", throttle: {rate: 10, burst: 20}", "");
    let plan_text = replan(&account, &spec, &unthrottled, &[]);
    has_all(
        &plan_text,
        &["~ rest_usage_plan.basic", "throttle_rate", "throttle_burst"],
    );
    applied_clean(&account, &spec, &[]);
    let plan = rest
        .get_usage_plan()
        .usage_plan_id(&plan_id)
        .send()
        .await
        .unwrap();
    assert!(plan.throttle().is_none(), "{plan:?}");
    assert_eq!(plan.quota().unwrap().limit(), 20000);

    for (i, text) in outputs.iter().enumerate() {
        assert!(
            !text.contains(&value),
            "output {i} holds the key's value:\n{text}"
        );
    }

    // Removal: slsr's key, plan and plan key go; the methods no longer take a key.
    let removed = "service: keys
functions:
  api:
    handler: index.handler
    runtime: python3.12
    code: ./src
    events:
      - rest: GET /orders
      - rest: {route: POST /orders, auth: iam}
      - rest: GET /open
";
    let plan_text = replan(&account, &spec, removed, &[]);
    has_all(
        &plan_text,
        &[
            "- rest_api_key.partner-a",
            "- rest_usage_plan.basic",
            "- rest_usage_plan_key[\"basic/partner-a\"]",
        ],
    );
    assert!(!plan_text.contains(&value), "{plan_text}");
    applied_clean(&account, &spec, &[]);
    assert!(rest_items!(rest.get_api_keys()).is_empty());
    assert!(rest_items!(rest.get_usage_plans()).is_empty());
    assert!(!key_required(&rest, &id, "/orders", "GET").await);
    destroyed(&account, &spec, &[]);
}

#[tokio::test]
async fn someone_elses_key_of_the_name_is_a_conflict_and_left_alone() {
    let spec = app("rest-keys-theirs", KEYED);
    let account = Account::new().await;
    let rest = aws_sdk_apigateway::Client::new(&account.config().await);
    let theirs = rest
        .create_api_key()
        .name("keys-dev-partner-a")
        .enabled(true)
        .send()
        .await
        .unwrap();
    let out = slsr_on(&account, "plan", &spec, &[]);
    assert_eq!(out.code, 1, "{}{}", out.stdout, out.stderr);
    has_all(
        &(out.stdout + &out.stderr),
        &[
            "rest_api_key.partner-a",
            "keys-dev-partner-a",
            "without slsr's ownership tags",
        ],
    );
    let keys = rest_items!(rest.get_api_keys());
    assert_eq!(keys.len(), 1);
    assert_eq!(keys[0].id(), theirs.id());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_lost_answer_to_a_key_s_or_a_plan_s_create_makes_neither_twice() {
    // API Gateway makes a second key or plan of one name as readily as the first: with the
    // first answer of each create lost after it took effect, slsr finds what it made.
    const CREATES: &[&str] = &["ApiGateway.POST /apikeys", "ApiGateway.POST /usageplans"];
    let spec = app("rest-keys-lost", KEYED);
    let account = Account::new().await;
    let (proxy, _) =
        crate::reliability::losing_first(&account, &spec, CREATES, &["apply", "--auto-approve"])
            .await;
    drop(proxy);
    assert_clean(&account, &spec);
    let rest = aws_sdk_apigateway::Client::new(&account.config().await);
    assert_eq!(rest_items!(rest.get_api_keys()).len(), 1);
    let plans = rest_items!(rest.get_usage_plans());
    assert_eq!(plans.len(), 1);
    let plan_keys = rest_items!(
        rest.get_usage_plan_keys()
            .usage_plan_id(plans[0].id().unwrap())
    );
    assert_eq!(plan_keys.len(), 1);
}
