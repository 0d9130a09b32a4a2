//! REST APIs (API Gateway v1) through the real binary against the emulator: resources,
//! methods and Lambda proxy integrations as AWS's tree holds them, one deployment per
//! change and none on a no-op, a route's removal, per-method permissions, `${rest_api.url}`,
//! and a private API's policy read back, with hand edits shown as drift.

use aws_sdk_apigateway::types::{Op, PatchOperation};

use crate::support::{
    Account, app, applied, applied_clean, assert_clean, destroyed, has_all, pages, planned_changes,
    replan, slsr_on,
};

const SHOP: &str = "service: shop
functions:
  api:
    handler: index.handler
    runtime: python3.12
    code: ./src
    env:
      URL: ${rest_api.url}
    events:
      - rest: GET /orders/{id}
      - rest: {route: POST /orders, auth: iam}
      - rest: ANY /{proxy+}
      - rest: GET /
outputs:
  url: {value: '${rest_api.url}'}
";

#[tokio::test]
async fn methods_resources_and_one_deployment_per_change_follow_the_spec() {
    let spec = app("rest-shop", SHOP);
    let account = Account::new().await;
    let first = planned_changes(&account, &spec, &[]);
    let block = |text: &str, address: &str| -> String {
        text.split(address)
            .nth(1)
            .and_then(|rest| rest.split("\n\n").next())
            .unwrap_or_default()
            .to_string()
    };
    assert!(
        block(&first, "rest_method[\"GET /orders/{id}\"]").contains("# public"),
        "{first}"
    );
    assert!(
        !block(&first, "rest_method[\"POST /orders\"]").contains("# public"),
        "{first}"
    );
    has_all(
        &first,
        &[
            "rest_api.api",
            "rest_resource[\"/orders/{id}\"]",
            "rest_resource[\"/{proxy+}\"]",
            "rest_deployment.api",
            "+ env.URL = \"(known after apply: rest_api.url)\"",
        ],
    );
    applied_clean(&account, &spec, &[]);

    let config = account.config().await;
    let rest = aws_sdk_apigateway::Client::new(&config);
    let lambda = aws_sdk_lambda::Client::new(&config);
    let api = crate::ground_truth::the_rest_api(&rest).await;
    let id = api.id().unwrap().to_string();
    assert_eq!(api.name(), Some("shop-dev"));
    assert_eq!(
        api.endpoint_configuration().unwrap().types()[0].as_str(),
        "REGIONAL"
    );
    assert_eq!(
        api.tags().unwrap().get("slsr:service").map(String::as_str),
        Some("shop")
    );
    let paths = crate::ground_truth::rest_resources(&rest, &id).await;
    assert_eq!(
        paths.keys().collect::<Vec<_>>(),
        ["/", "/orders", "/orders/{id}", "/{proxy+}"]
    );
    let acct = &account.id;
    let uri = format!(
        "arn:aws:apigateway:us-east-1:lambda:path/2015-03-31/functions/arn:aws:lambda:us-east-1:{acct}:function:shop-dev-api/invocations"
    );
    for (path, method, auth) in [
        ("/orders/{id}", "GET", "NONE"),
        ("/orders", "POST", "AWS_IAM"),
        ("/{proxy+}", "ANY", "NONE"),
        ("/", "GET", "NONE"),
    ] {
        let m = rest
            .get_method()
            .rest_api_id(&id)
            .resource_id(&paths[path])
            .http_method(method)
            .send()
            .await
            .unwrap();
        assert_eq!(m.authorization_type(), Some(auth), "{method} {path}");
        let i = rest
            .get_integration()
            .rest_api_id(&id)
            .resource_id(&paths[path])
            .http_method(method)
            .send()
            .await
            .unwrap();
        assert_eq!(i.r#type().map(|t| t.as_str()), Some("AWS_PROXY"));
        assert_eq!(i.http_method(), Some("POST"));
        assert_eq!(i.uri(), Some(uri.as_str()));
    }
    let stage = rest
        .get_stage()
        .rest_api_id(&id)
        .stage_name("dev")
        .send()
        .await
        .unwrap();
    assert!(stage.deployment_id().is_some());
    assert_eq!(crate::ground_truth::rest_deployments(&rest, &id).await, 1);
    // The read follows the emulator's pages of the API's four resources.
    let clean = slsr_on(&account, "plan", &spec, &["--detailed-exitcode", "-v"]);
    assert_eq!(clean.code, 0, "{}{}", clean.stdout, clean.stderr);
    has_all(
        &clean.stderr,
        &[&format!("APIGateway.GetResources: {}", pages(4))],
    );
    // Each method's permission names its method and path.
    let arn = |rest: &str| format!("arn:aws:execute-api:us-east-1:{acct}:{id}/*/{rest}");
    let mut want = vec![
        arn("GET/orders/*"),
        arn("POST/orders"),
        arn("*/*"),
        arn("GET/"),
    ];
    want.sort();
    assert_eq!(
        crate::ground_truth::source_arns(&lambda, "shop-dev-api").await,
        want
    );
    // `${rest_api.url}` in env and outputs: the stage's URL.
    let url = format!("https://{id}.execute-api.us-east-1.amazonaws.com/dev");
    let env = lambda
        .get_function_configuration()
        .function_name("shop-dev-api")
        .send()
        .await
        .unwrap();
    assert_eq!(env.environment().unwrap().variables().unwrap()["URL"], url);
    let outputs = slsr_on(&account, "outputs", &spec, &[]);
    assert!(
        outputs.stdout.contains(&url),
        "{}{}",
        outputs.stdout,
        outputs.stderr
    );

    // One method's change and a new route: one new deployment, saying why.
    let changed = SHOP.replace(
        "      - rest: {route: POST /orders, auth: iam}\n",
        "      - rest: {route: POST /orders, auth: none}\n      - rest: GET /orders\n",
    );
    let plan = replan(&account, &spec, &changed, &[]);
    let post = block(&plan, "rest_method[\"POST /orders\"]");
    assert!(
        post.contains("~ authorization: \"AWS_IAM\" -> \"NONE\"") && post.contains("# public"),
        "{plan}"
    );
    has_all(
        &plan,
        &[
            "+ rest_method[\"GET /orders\"]",
            "~ rest_deployment.api",
            "a new deployment of the REST API to stage dev",
        ],
    );
    // The writers' calls, as a dry run lists them: one deployment, after the methods.
    let dry = slsr_on(&account, "apply", &spec, &["--dry-run"]);
    assert_eq!(dry.code, 0, "{}{}", dry.stdout, dry.stderr);
    let listing = dry
        .stdout
        .split("Dry run:")
        .nth(1)
        .expect("a dry run listing");
    let calls = crate::apply::dry_run_calls(listing);
    assert_eq!(
        calls["rest_method[\"POST /orders\"]"],
        ["APIGateway.UpdateMethod"],
        "{listing}"
    );
    assert_eq!(
        calls["rest_method[\"GET /orders\"]"],
        ["APIGateway.PutMethod", "APIGateway.PutIntegration"],
        "{listing}"
    );
    assert_eq!(
        calls["rest_deployment.api"],
        ["APIGateway.CreateDeployment"],
        "{listing}"
    );
    applied_clean(&account, &spec, &[]);
    assert_eq!(crate::ground_truth::rest_deployments(&rest, &id).await, 2);

    // A no-op apply deploys nothing.
    let noop = applied(&account, &spec, &[]);
    assert!(noop.stdout.contains("No changes."), "{}", noop.stdout);
    assert_eq!(crate::ground_truth::rest_deployments(&rest, &id).await, 2);

    // A route removed: its method and the resource no route uses go, and the API redeploys.
    let removed = changed.replace("      - rest: GET /orders/{id}\n", "");
    let plan = replan(&account, &spec, &removed, &[]);
    has_all(
        &plan,
        &[
            "- rest_method[\"GET /orders/{id}\"]",
            "- rest_resource[\"/orders/{id}\"]",
            "~ rest_deployment.api",
        ],
    );
    assert!(!plan.contains("- rest_resource[\"/orders\"]"), "{plan}");
    applied_clean(&account, &spec, &[]);
    assert_eq!(crate::ground_truth::rest_deployments(&rest, &id).await, 3);
    assert_eq!(
        crate::ground_truth::rest_resources(&rest, &id)
            .await
            .keys()
            .collect::<Vec<_>>(),
        ["/", "/orders", "/{proxy+}"]
    );
    assert!(
        !crate::ground_truth::source_arns(&lambda, "shop-dev-api")
            .await
            .contains(&arn("GET/orders/*"))
    );

    // A new endpoint type: that field, changed in place on the same API.
    let edge = format!("{removed}rest_api: {{endpoint: edge}}\n");
    let plan = replan(&account, &spec, &edge, &[]);
    has_all(
        &plan,
        &["~ rest_api.api", "~ endpoint: \"REGIONAL\" -> \"EDGE\""],
    );
    applied_clean(&account, &spec, &[]);
    let api = crate::ground_truth::the_rest_api(&rest).await;
    assert_eq!(api.id(), Some(id.as_str()));
    assert_eq!(
        api.endpoint_configuration().unwrap().types()[0].as_str(),
        "EDGE"
    );
}

const PRIVATE: &str = "service: vault
rest_api:
  endpoint: private
  policy:
    - principals: ['*']
      actions: [execute-api:Invoke]
      conditions: {StringEquals: {aws:SourceVpce: vpce-0abc}}
  stage: {tracing: active, throttle: {rate: 100, burst: 200}}
functions:
  api:
    handler: index.handler
    runtime: python3.12
    code: ./src
    events:
      - rest: GET /secrets
";

#[tokio::test]
async fn a_private_api_s_policy_is_read_back_and_hand_edits_are_drift_that_redeploys() {
    let spec = app("rest-private", PRIVATE);
    let account = Account::new().await;
    applied_clean(&account, &spec, &[]);
    let rest = aws_sdk_apigateway::Client::new(&account.config().await);
    let api = crate::ground_truth::the_rest_api(&rest).await;
    let id = api.id().unwrap().to_string();
    assert_eq!(
        api.endpoint_configuration().unwrap().types()[0].as_str(),
        "PRIVATE"
    );
    let policy: serde_json::Value = serde_json::from_str(api.policy().unwrap()).unwrap();
    assert_eq!(
        policy["Statement"][0]["Condition"]["StringEquals"]["aws:SourceVpce"],
        "vpce-0abc"
    );
    assert_eq!(policy["Statement"][0]["Action"], "execute-api:Invoke");
    let stage = rest
        .get_stage()
        .rest_api_id(&id)
        .stage_name("dev")
        .send()
        .await
        .unwrap();
    assert!(stage.tracing_enabled());
    let every = &stage.method_settings().unwrap()["*/*"];
    assert_eq!(
        (
            every.throttling_rate_limit(),
            every.throttling_burst_limit()
        ),
        (100.0, 200)
    );

    // A stage setting changed: the stage updated in place, nothing redeployed.
    let before = crate::ground_truth::rest_deployments(&rest, &id).await;
    let slower = PRIVATE.replace("rate: 100", "rate: 50");
    let plan = replan(&account, &spec, &slower, &[]);
    has_all(
        &plan,
        &["~ rest_stage.api", "~ throttle.rate: 100.0 -> 50.0"],
    );
    assert!(!plan.contains("rest_deployment"), "{plan}");
    applied_clean(&account, &spec, &[]);
    assert_eq!(
        crate::ground_truth::rest_deployments(&rest, &id).await,
        before
    );
    let stage = rest
        .get_stage()
        .rest_api_id(&id)
        .stage_name("dev")
        .send()
        .await
        .unwrap();
    assert_eq!(
        stage.method_settings().unwrap()["*/*"].throttling_rate_limit(),
        50.0
    );

    // The policy edited by hand: drift on the API, put back by apply.
    let edited = api.policy().unwrap().replace("vpce-0abc", "vpce-0bad");
    rest.update_rest_api()
        .rest_api_id(&id)
        .patch_operations(
            PatchOperation::builder()
                .op(Op::Replace)
                .path("/policy")
                .value(edited)
                .build(),
        )
        .send()
        .await
        .unwrap();
    let plan = planned_changes(&account, &spec, &[]);
    has_all(&plan, &["~ rest_api.api", "vpce-0bad", "vpce-0abc"]);
    assert!(!plan.contains("rest_deployment"), "{plan}");
    applied_clean(&account, &spec, &[]);
    let api = crate::ground_truth::the_rest_api(&rest).await;
    assert!(api.policy().unwrap().contains("vpce-0abc"));

    // A method edited by hand: drift on the method, and a deployment after it is put back.
    let before = crate::ground_truth::rest_deployments(&rest, &id).await;
    let paths = crate::ground_truth::rest_resources(&rest, &id).await;
    rest.update_method()
        .rest_api_id(&id)
        .resource_id(&paths["/secrets"])
        .http_method("GET")
        .patch_operations(
            PatchOperation::builder()
                .op(Op::Replace)
                .path("/authorizationType")
                .value("AWS_IAM")
                .build(),
        )
        .send()
        .await
        .unwrap();
    let plan = planned_changes(&account, &spec, &[]);
    has_all(
        &plan,
        &[
            "~ rest_method[\"GET /secrets\"]",
            "~ authorization: \"AWS_IAM\" -> \"NONE\"",
            "~ rest_deployment.api",
        ],
    );
    applied_clean(&account, &spec, &[]);
    assert_eq!(
        crate::ground_truth::rest_deployments(&rest, &id).await,
        before + 1
    );
    assert_clean(&account, &spec);

    // Destroyed: the API and everything in it.
    destroyed(&account, &spec, &[]);
    assert!(rest_items!(rest.get_rest_apis()).is_empty());
}

/// Each example's HTTP routes written as `rest` events instead: the spec's text with `http:`
/// events as `rest:` ones, `${http_api.url}` as `${rest_api.url}`, and (orders) the HTTP API's JWT authorizer of the Cognito pool and
/// its CORS as the REST API's Cognito authorizer of that pool and CORS of one origin.
fn as_rest(example: &str) -> (String, Vec<(String, String)>) {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("examples")
        .join(example);
    let text = std::fs::read_to_string(dir.join("slsr.yaml")).unwrap();
    let mut routes = Vec::new();
    let mut out = String::new();
    let mut in_http_api = false;
    for line in text.lines() {
        // The top-level `http_api:` section goes (REST APIs are configured under `rest_api`).
        if line.starts_with("http_api:") {
            in_http_api = true;
            continue;
        }
        if in_http_api {
            if line.is_empty() || line.starts_with([' ', '#']) {
                continue;
            }
            in_http_api = false;
        }
        let line = line
            .replace("- http: ", "- rest: ")
            .replace("${http_api.url}", "${rest_api.url}");
        if let Some(route) = line.trim().strip_prefix("- rest: ") {
            let route = route.split(" #").next().unwrap().trim();
            let route = match route.strip_prefix("{route: ") {
                Some(r) => r
                    .split_once(", ")
                    .map_or_else(|| r.strip_suffix('}').unwrap(), |(r, _)| r),
                None => route,
            };
            let (method, path) = route.split_once(' ').unwrap();
            routes.push((method.to_string(), path.to_string()));
        }
        out.push_str(&line);
        out.push('\n');
    }
    if example == "orders" {
        out.push_str(
            "rest_api:
  cors: {allow_origins: ['https://shop.example.com'], allow_headers: [content-type, authorization, idempotency-key], max_age: 3600}
  authorizers:
    customers: {type: cognito, user_pools: ['arn:aws:cognito-idp:us-east-1:123456789012:userpool/us-east-1_Sh0pCust']}
",
        );
    }
    assert!(!routes.is_empty(), "{example} has no HTTP routes");
    (out, routes)
}

fn copy_tree(from: &std::path::Path, to: &std::path::Path) {
    std::fs::create_dir_all(to).unwrap();
    for entry in std::fs::read_dir(from).unwrap() {
        let entry = entry.unwrap();
        let target = to.join(entry.file_name());
        if entry.file_type().unwrap().is_dir() {
            copy_tree(&entry.path(), &target);
        } else {
            std::fs::copy(entry.path(), target).unwrap();
        }
    }
}

#[tokio::test]
async fn the_examples_http_routes_written_as_rest_events_deploy_and_plan_clean() {
    for example in ["hello-http", "notes", "orders"] {
        let (text, routes) = as_rest(example);
        // A copy of the example, its code beside the rewritten spec.
        let copy = crate::support::scratch(&format!("rest-example-{example}"));
        copy_tree(
            &std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
                .join("examples")
                .join(example),
            &copy,
        );
        let spec = copy.join("slsr.yaml");
        std::fs::write(&spec, &text).unwrap();
        let account = Account::new().await;
        applied_clean(&account, &spec, &[]);

        // Every route is a method of AWS's tree with a Lambda proxy integration; nothing
        // else is (besides CORS's OPTIONS), and the stage serves a deployment.
        let rest = aws_sdk_apigateway::Client::new(&account.config().await);
        let api = crate::ground_truth::the_rest_api(&rest).await;
        let id = api.id().unwrap();
        let mut served: Vec<(String, String)> = Vec::new();
        for r in rest_items!(rest.get_resources().rest_api_id(id).embed("methods")) {
            for method in r.resource_methods().into_iter().flatten().map(|(m, _)| m) {
                let integration = rest
                    .get_integration()
                    .rest_api_id(id)
                    .resource_id(r.id().unwrap())
                    .http_method(method)
                    .send()
                    .await
                    .unwrap();
                let kind = integration.r#type().unwrap().as_str().to_string();
                if method == "OPTIONS" && kind == "MOCK" {
                    continue;
                }
                assert_eq!(kind, "AWS_PROXY", "{example}: {method} {:?}", r.path());
                served.push((method.clone(), r.path().unwrap().to_string()));
            }
        }
        let mut want = routes.clone();
        want.sort();
        served.sort();
        assert_eq!(served, want, "{example}:\n{text}");
        let stage = rest
            .get_stage()
            .rest_api_id(id)
            .stage_name("dev")
            .send()
            .await
            .unwrap();
        assert!(stage.deployment_id().is_some(), "{example}");
        destroyed(&account, &spec, &[]);
        assert!(rest_items!(rest.get_rest_apis()).is_empty(), "{example}");
    }
}
