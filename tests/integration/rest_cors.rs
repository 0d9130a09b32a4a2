//! REST APIs' CORS through the real binary against the emulator: the OPTIONS method API
//! Gateway answers itself (MOCK) on each resource with routes, its method and integration
//! responses read back with GetMethod as literal header values, a resource whose function
//! answers OPTIONS left alone, an answer edited by hand put back, an allow_headers change shown as its field and redeploying
//! once, `cors` removed deleting the OPTIONS methods, and an OPTIONS method added by hand
//! where the spec has no CORS planned away.

use std::collections::BTreeMap;

use crate::support::{Account, app, applied_clean, destroyed, has_all, planned_changes, replan};

const SHOP: &str = "service: corsy
rest_api:
  cors: {allow_origins: ['https://example.com'], allow_headers: [Content-Type, Authorization], max_age: 600}
functions:
  api:
    handler: index.handler
    runtime: python3.12
    code: ./src
    events:
      - rest: GET /orders/{id}
      - rest: GET /orders
      - rest: POST /orders
      - rest: ANY /{proxy+}
      - rest: GET /custom
      - rest: OPTIONS /custom
";

/// The one REST API's id and its resources' ids by path.
async fn api(rest: &aws_sdk_apigateway::Client) -> (String, BTreeMap<String, String>) {
    let id = crate::ground_truth::the_rest_api(rest)
        .await
        .id()
        .unwrap()
        .to_string();
    let paths = crate::ground_truth::rest_resources(rest, &id).await;
    (id, paths)
}

/// What the OPTIONS method at `path` is, as GetMethod returns it: its integration's type and
/// request templates, the integration response 200's parameters, and the headers the method
/// response 200 declares; None when there is no OPTIONS method.
struct Options {
    integration: String,
    templates: BTreeMap<String, String>,
    answers: BTreeMap<String, String>,
    declared: Vec<String>,
}

async fn options(rest: &aws_sdk_apigateway::Client, id: &str, resource: &str) -> Option<Options> {
    let m = match rest
        .get_method()
        .rest_api_id(id)
        .resource_id(resource)
        .http_method("OPTIONS")
        .send()
        .await
    {
        Ok(m) => m,
        Err(e)
            if e.as_service_error()
                .is_some_and(|s| s.is_not_found_exception()) =>
        {
            return None;
        }
        Err(e) => panic!("{e:?}"),
    };
    let integration = m.method_integration().unwrap();
    let answers = integration
        .integration_responses()
        .and_then(|r| r.get("200"))
        .and_then(|r| r.response_parameters())
        .map(|p| p.iter().map(|(k, v)| (k.clone(), v.clone())).collect())
        .unwrap_or_default();
    let mut declared: Vec<String> = m
        .method_responses()
        .and_then(|r| r.get("200"))
        .and_then(|r| r.response_parameters())
        .map(|p| p.keys().cloned().collect())
        .unwrap_or_default();
    declared.sort();
    Some(Options {
        integration: integration.r#type().unwrap().as_str().to_string(),
        templates: integration
            .request_templates()
            .map(|t| t.iter().map(|(k, v)| (k.clone(), v.clone())).collect())
            .unwrap_or_default(),
        answers,
        declared,
    })
}

async fn deployments(rest: &aws_sdk_apigateway::Client, id: &str) -> usize {
    rest_items!(rest.get_deployments().rest_api_id(id)).len()
}

fn header(name: &str) -> String {
    format!("method.response.header.Access-Control-{name}")
}

#[tokio::test]
async fn cors_answers_options_on_each_resource_with_routes_changes_redeploy_once_and_removal_deletes_them()
 {
    let spec = app("rest-cors", SHOP);
    let account = Account::new().await;
    let first = planned_changes(&account, &spec, &[]);
    has_all(
        &first,
        &[
            "+ rest_cors[\"/orders\"]",
            "+ rest_cors[\"/orders/{id}\"]",
            "+ rest_cors[\"/{proxy+}\"]",
            "+ allow_methods = \"GET,OPTIONS,POST\"",
            "+ allow_origin = \"https://example.com\"",
            "+ allow_headers = \"Content-Type,Authorization\"",
            "+ max_age = \"600\"",
            "OPTIONS /orders answered by API Gateway (CORS preflight)",
        ],
    );
    // No route at `/`, and /custom's function answers OPTIONS itself.
    assert!(!first.contains("rest_cors[\"/\"]"), "{first}");
    assert!(!first.contains("rest_cors[\"/custom\"]"), "{first}");
    applied_clean(&account, &spec, &[]);

    let rest = aws_sdk_apigateway::Client::new(&account.config().await);
    let (id, paths) = api(&rest).await;
    let orders = options(&rest, &id, &paths["/orders"]).await.unwrap();
    assert_eq!(orders.integration, "MOCK");
    assert_eq!(
        orders.templates,
        BTreeMap::from([("application/json".into(), "{\"statusCode\": 200}".into())])
    );
    assert_eq!(
        orders.answers,
        BTreeMap::from([
            (header("Allow-Origin"), "'https://example.com'".into()),
            (
                header("Allow-Headers"),
                "'Content-Type,Authorization'".into()
            ),
            (header("Allow-Methods"), "'GET,OPTIONS,POST'".into()),
            (header("Max-Age"), "'600'".into()),
        ])
    );
    let mut declared = vec![
        header("Allow-Headers"),
        header("Allow-Methods"),
        header("Allow-Origin"),
        header("Max-Age"),
    ];
    declared.sort();
    assert_eq!(orders.declared, declared);
    let one = options(&rest, &id, &paths["/orders/{id}"]).await.unwrap();
    assert_eq!(one.answers[&header("Allow-Methods")], "'GET,OPTIONS'");
    let proxy = options(&rest, &id, &paths["/{proxy+}"]).await.unwrap();
    assert_eq!(
        proxy.answers[&header("Allow-Methods")],
        "'DELETE,GET,HEAD,OPTIONS,PATCH,POST,PUT'"
    );
    assert!(options(&rest, &id, &paths["/"]).await.is_none());
    let custom = options(&rest, &id, &paths["/custom"]).await.unwrap();
    assert_eq!(custom.integration, "AWS_PROXY");
    assert_eq!(deployments(&rest, &id).await, 1);

    // The answer edited by hand: drift on that resource's CORS, put back and redeployed.
    rest.put_integration_response()
        .rest_api_id(&id)
        .resource_id(&paths["/orders"])
        .http_method("OPTIONS")
        .status_code("200")
        .response_parameters(header("Allow-Origin"), "'https://evil.example'")
        .send()
        .await
        .unwrap();
    let plan = planned_changes(&account, &spec, &[]);
    has_all(
        &plan,
        &[
            "~ rest_cors[\"/orders\"]",
            "~ allow_origin: \"https://evil.example\" -> \"https://example.com\"",
            "~ rest_deployment.api",
        ],
    );
    assert!(!plan.contains("rest_cors[\"/orders/{id}\"]"), "{plan}");
    applied_clean(&account, &spec, &[]);
    let orders = options(&rest, &id, &paths["/orders"]).await.unwrap();
    assert_eq!(
        orders.answers[&header("Allow-Origin")],
        "'https://example.com'"
    );
    assert_eq!(orders.declared, declared);
    assert_eq!(deployments(&rest, &id).await, 2);

    // allow_headers changed: that field on each CORS method, and one new deployment.
    let changed = SHOP.replace(
        "allow_headers: [Content-Type, Authorization]",
        "allow_headers: [Content-Type, X-Api-Key]",
    );
    let plan = replan(&account, &spec, &changed, &[]);
    has_all(
        &plan,
        &[
            "~ rest_cors[\"/orders\"]",
            "~ allow_headers: \"Content-Type,Authorization\" -> \"Content-Type,X-Api-Key\"",
            "~ rest_deployment.api",
        ],
    );
    assert!(!plan.contains("rest_method"), "{plan}");
    applied_clean(&account, &spec, &[]);
    assert_eq!(deployments(&rest, &id).await, 3);
    let orders = options(&rest, &id, &paths["/orders"]).await.unwrap();
    assert_eq!(
        orders.answers[&header("Allow-Headers")],
        "'Content-Type,X-Api-Key'"
    );
    assert_eq!(orders.declared, declared);

    // `cors` removed: the OPTIONS methods go, the function's own stays, one deployment.
    let removed = changed.replace(
        "  cors: {allow_origins: ['https://example.com'], allow_headers: [Content-Type, X-Api-Key], max_age: 600}\n",
        "  endpoint: regional\n",
    );
    let plan = replan(&account, &spec, &removed, &[]);
    has_all(
        &plan,
        &[
            "- rest_cors[\"/orders\"]",
            "- rest_cors[\"/orders/{id}\"]",
            "- rest_cors[\"/{proxy+}\"]",
            "~ rest_deployment.api",
        ],
    );
    applied_clean(&account, &spec, &[]);
    assert_eq!(deployments(&rest, &id).await, 4);
    for path in ["/orders", "/orders/{id}", "/{proxy+}"] {
        assert!(options(&rest, &id, &paths[path]).await.is_none(), "{path}");
    }
    assert_eq!(
        options(&rest, &id, &paths["/custom"])
            .await
            .unwrap()
            .integration,
        "AWS_PROXY"
    );
    destroyed(&account, &spec, &[]);
    assert!(rest_items!(rest.get_rest_apis()).is_empty());
}

const PLAIN: &str = "service: plain
functions:
  api:
    handler: index.handler
    runtime: python3.12
    code: ./src
    events:
      - rest: GET /orders
";

#[tokio::test]
async fn an_options_method_added_by_hand_where_the_spec_has_no_cors_is_planned_away() {
    let spec = app("rest-cors-hand", PLAIN);
    let account = Account::new().await;
    applied_clean(&account, &spec, &[]);
    let rest = aws_sdk_apigateway::Client::new(&account.config().await);
    let (id, paths) = api(&rest).await;
    // What a console user does for CORS: an OPTIONS method with a mock integration.
    let orders = &paths["/orders"];
    rest.put_method()
        .rest_api_id(&id)
        .resource_id(orders)
        .http_method("OPTIONS")
        .authorization_type("NONE")
        .send()
        .await
        .unwrap();
    rest.put_integration()
        .rest_api_id(&id)
        .resource_id(orders)
        .http_method("OPTIONS")
        .r#type(aws_sdk_apigateway::types::IntegrationType::Mock)
        .request_templates("application/json", "{\"statusCode\": 200}")
        .send()
        .await
        .unwrap();
    rest.put_integration_response()
        .rest_api_id(&id)
        .resource_id(orders)
        .http_method("OPTIONS")
        .status_code("200")
        .response_parameters(header("Allow-Origin"), "'*'")
        .send()
        .await
        .unwrap();
    let before = deployments(&rest, &id).await;
    let plan = planned_changes(&account, &spec, &[]);
    has_all(
        &plan,
        &[
            "- rest_cors[\"/orders\"]",
            "- allow_origin = \"*\"",
            "~ rest_deployment.api",
        ],
    );
    assert!(!plan.contains("rest_method"), "{plan}");
    applied_clean(&account, &spec, &[]);
    assert!(options(&rest, &id, orders).await.is_none());
    assert_eq!(deployments(&rest, &id).await, before + 1);
}
