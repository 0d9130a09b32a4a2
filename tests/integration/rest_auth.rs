//! REST APIs' authorizers through the real binary against the emulator: Lambda request and
//! token authorizers and a Cognito user-pool one as GetAuthorizers returns them, methods
//! on them (authorizationType, authorizerId), the authorizer function's permission scoped
//! to its authorizer, a TTL change shown as its field and redeploying, and removal.

use crate::support::{Account, app, applied_clean, destroyed, has_all, planned_changes, replan};

const GUARDED: &str = "service: guarded
rest_api:
  authorizers:
    check: {function: gate, type: request, identity: [header.Authorization], ttl: 300}
    tokens: {function: gate, type: token}
    pool: {type: cognito, user_pools: ['arn:aws:cognito-idp:us-east-1:123456789012:userpool/us-east-1_abc']}
functions:
  gate:
    handler: index.handler
    runtime: python3.12
    code: ./src
  api:
    handler: index.handler
    runtime: python3.12
    code: ./src
    events:
      - rest: {route: GET /orders, auth: check}
      - rest: {route: POST /orders, auth: pool}
      - rest: {route: GET /tokens, auth: tokens}
      - rest: GET /open
";

/// The method `method` at `path`: its authorization type and authorizer id.
async fn method_auth(
    rest: &aws_sdk_apigateway::Client,
    id: &str,
    path: &str,
    method: &str,
) -> (String, Option<String>) {
    let resources = rest_items!(rest.get_resources().rest_api_id(id));
    let resource = resources
        .iter()
        .find(|r| r.path() == Some(path))
        .unwrap_or_else(|| panic!("no resource {path}"));
    let m = rest
        .get_method()
        .rest_api_id(id)
        .resource_id(resource.id().unwrap())
        .http_method(method)
        .send()
        .await
        .unwrap();
    (
        m.authorization_type().unwrap_or_default().to_string(),
        m.authorizer_id().map(str::to_string),
    )
}

#[tokio::test]
async fn authorizers_guard_methods_and_a_ttl_change_redeploys() {
    let spec = app("rest-guarded", GUARDED);
    let account = Account::new().await;
    let first = planned_changes(&account, &spec, &[]);
    has_all(
        &first,
        &[
            "+ rest_authorizer.check",
            "+ rest_authorizer.tokens",
            "+ rest_authorizer.pool",
            "+ identity_source = \"method.request.header.Authorization\"",
            "+ type = \"COGNITO_USER_POOLS\"",
            "+ ttl = 300",
            "for REST API authorizer (known after apply: rest_authorizer.check.id)",
        ],
    );
    applied_clean(&account, &spec, &[]);

    let config = account.config().await;
    let rest = aws_sdk_apigateway::Client::new(&config);
    let lambda = aws_sdk_lambda::Client::new(&config);
    let id = crate::ground_truth::the_rest_api(&rest)
        .await
        .id()
        .unwrap()
        .to_string();
    let acct = &account.id;
    let uri = format!(
        "arn:aws:apigateway:us-east-1:lambda:path/2015-03-31/functions/arn:aws:lambda:us-east-1:{acct}:function:guarded-dev-gate/invocations"
    );
    let authorizers = rest_items!(rest.get_authorizers().rest_api_id(&id));
    let by_name = |name: &str| {
        authorizers
            .iter()
            .find(|a| a.name() == Some(name))
            .unwrap_or_else(|| panic!("no authorizer {name}: {authorizers:?}"))
            .clone()
    };
    let (check, tokens, pool) = (by_name("check"), by_name("tokens"), by_name("pool"));
    assert_eq!(check.r#type().unwrap().as_str(), "REQUEST");
    assert_eq!(check.authorizer_uri(), Some(uri.as_str()));
    assert_eq!(
        check.identity_source(),
        Some("method.request.header.Authorization")
    );
    assert_eq!(check.authorizer_result_ttl_in_seconds(), Some(300));
    assert_eq!(tokens.r#type().unwrap().as_str(), "TOKEN");
    assert_eq!(pool.r#type().unwrap().as_str(), "COGNITO_USER_POOLS");
    assert_eq!(
        pool.provider_arns(),
        ["arn:aws:cognito-idp:us-east-1:123456789012:userpool/us-east-1_abc"]
    );
    assert_eq!(
        method_auth(&rest, &id, "/orders", "GET").await,
        ("CUSTOM".into(), check.id().map(str::to_string))
    );
    assert_eq!(
        method_auth(&rest, &id, "/orders", "POST").await,
        ("COGNITO_USER_POOLS".into(), pool.id().map(str::to_string))
    );
    assert_eq!(
        method_auth(&rest, &id, "/tokens", "GET").await,
        ("CUSTOM".into(), tokens.id().map(str::to_string))
    );
    assert_eq!(
        method_auth(&rest, &id, "/open", "GET").await,
        ("NONE".into(), None)
    );
    // API Gateway may invoke the authorizer function for each of its authorizers only.
    let scoped = |a: &aws_sdk_apigateway::types::Authorizer| {
        format!(
            "arn:aws:execute-api:us-east-1:{acct}:{id}/authorizers/{}",
            a.id().unwrap()
        )
    };
    let mut want = vec![scoped(&check), scoped(&tokens)];
    want.sort();
    assert_eq!(
        crate::ground_truth::source_arns(&lambda, "guarded-dev-gate").await,
        want
    );
    let deployments = crate::ground_truth::rest_deployments(&rest, &id).await;
    assert_eq!(deployments, 1);

    // A TTL change, a new type and a new user pool are shown as those fields, changed in
    // place (the methods keep their authorizers' ids), and make one new deployment.
    let changed = GUARDED
        .replace("ttl: 300", "ttl: 60")
        .replace(
            "tokens: {function: gate, type: token}",
            "tokens: {function: gate, type: request}",
        )
        .replace("userpool/us-east-1_abc", "userpool/us-east-1_xyz");
    let plan = replan(&account, &spec, &changed, &[]);
    has_all(
        &plan,
        &[
            "~ rest_authorizer.check",
            "~ ttl: 300 -> 60",
            "~ rest_authorizer.tokens",
            "~ type: \"TOKEN\" -> \"REQUEST\"",
            "~ rest_authorizer.pool",
            "~ provider_arns: [\"arn:aws:cognito-idp:us-east-1:123456789012:userpool/us-east-1_abc\"] -> [\"arn:aws:cognito-idp:us-east-1:123456789012:userpool/us-east-1_xyz\"]",
            "~ rest_deployment.api",
        ],
    );
    assert!(!plan.contains("-/+ rest_authorizer"), "{plan}");
    applied_clean(&account, &spec, &[]);
    let check = rest
        .get_authorizer()
        .rest_api_id(&id)
        .authorizer_id(check.id().unwrap())
        .send()
        .await
        .unwrap();
    assert_eq!(check.authorizer_result_ttl_in_seconds(), Some(60));
    let retyped = rest
        .get_authorizer()
        .rest_api_id(&id)
        .authorizer_id(tokens.id().unwrap())
        .send()
        .await
        .unwrap();
    assert_eq!(retyped.r#type().unwrap().as_str(), "REQUEST");
    let repooled = rest
        .get_authorizer()
        .rest_api_id(&id)
        .authorizer_id(pool.id().unwrap())
        .send()
        .await
        .unwrap();
    assert_eq!(
        repooled.provider_arns(),
        ["arn:aws:cognito-idp:us-east-1:123456789012:userpool/us-east-1_xyz"]
    );
    assert_eq!(
        method_auth(&rest, &id, "/orders", "POST").await,
        ("COGNITO_USER_POOLS".into(), pool.id().map(str::to_string))
    );
    assert_eq!(crate::ground_truth::rest_deployments(&rest, &id).await, 2);

    // A method moved off its authorizer, and the authorizer removed.
    let removed = changed
        .replace("    tokens: {function: gate, type: request}\n", "")
        .replace(
            "{route: GET /tokens, auth: tokens}",
            "{route: GET /tokens, auth: iam}",
        );
    let plan = replan(&account, &spec, &removed, &[]);
    has_all(
        &plan,
        &[
            "- rest_authorizer.tokens",
            "~ authorization: \"CUSTOM\" -> \"AWS_IAM\"",
            "- authorizer: \"tokens\"",
        ],
    );
    applied_clean(&account, &spec, &[]);
    let names: Vec<String> = rest_items!(rest.get_authorizers().rest_api_id(&id))
        .iter()
        .map(|a| a.name().unwrap().to_string())
        .collect();
    assert_eq!(names.len(), 2, "{names:?}");
    assert!(!names.contains(&"tokens".to_string()), "{names:?}");
    assert_eq!(
        method_auth(&rest, &id, "/tokens", "GET").await,
        ("AWS_IAM".into(), None)
    );
    assert_eq!(
        crate::ground_truth::source_arns(&lambda, "guarded-dev-gate").await,
        [scoped(&by_name("check"))]
    );
    destroyed(&account, &spec, &[]);
    assert!(rest_items!(rest.get_rest_apis()).is_empty());
}
