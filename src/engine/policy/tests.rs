//! The policy document of small specs, checked by hand against what each kind calls.

use super::{Options, allows, document, matches};
use crate::engine::desired::testing::project;

const HTTP: &str = "
service: shop
region: eu-west-1
functions:
  api:
    image: 123456789012.dkr.ecr.eu-west-1.amazonaws.com/shop:1.2
    events:
      - http: GET /items
";

fn sids(doc: &serde_json::Value) -> Vec<String> {
    doc["Statement"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["Sid"].as_str().unwrap().to_string())
        .collect()
}

#[test]
fn wildcards_match_as_iam_matches_them() {
    assert!(matches("lambda:Get*", "lambda:GetFunction", true));
    assert!(matches("LAMBDA:getfunction", "lambda:GetFunction", true));
    assert!(!matches("lambda:Get*", "lambda:CreateFunction", true));
    assert!(matches("arn:aws:s3:::a-*/*", "arn:aws:s3:::a-b/c/d", false));
    assert!(!matches("arn:aws:s3:::a-*", "arn:aws:s3:::b-a", false));
    assert!(matches("secret:x-??????", "secret:x-AbC123", false));
    assert!(!matches("secret:x-??????", "secret:x-AbC1234", false));
    assert!(!matches("Arn:aws", "arn:aws", false));
}

#[test]
fn a_function_behind_an_http_route_gets_its_kinds_statements_and_nothing_else() {
    let doc = document(&project(HTTP), &Options::default());
    let sids = sids(&doc);
    for sid in ["Roles", "PassRoles", "Functions", "LogGroups", "HttpApis"] {
        assert!(sids.contains(&sid.to_string()), "{sid}: {sids:?}");
    }
    for sid in ["Tables", "Buckets", "Queues", "DeployLock", "Operate"] {
        assert!(!sids.contains(&sid.to_string()), "{sid}: {sids:?}");
    }
    // The account is unknown offline: `*`.
    assert!(allows(
        &doc,
        "lambda:UpdateFunctionCode",
        "arn:aws:lambda:eu-west-1:123456789012:function:shop-dev-api"
    ));
    assert!(!allows(
        &doc,
        "lambda:UpdateFunctionCode",
        "arn:aws:lambda:eu-west-1:123456789012:function:other-dev-api"
    ));
    assert!(allows(
        &doc,
        "iam:PassRole",
        "arn:aws:iam::123456789012:role/slsr/shop/dev/shop-dev-api"
    ));
    assert!(!allows(
        &doc,
        "iam:PassRole",
        "arn:aws:iam::123456789012:role/admin"
    ));
    // The image's repository, by name, for Lambda to read it as the caller.
    assert!(allows(
        &doc,
        "ecr:BatchGetImage",
        "arn:aws:ecr:eu-west-1:123456789012:repository/shop"
    ));
    assert!(!allows(
        &doc,
        "ecr:BatchGetImage",
        "arn:aws:ecr:eu-west-1:123456789012:repository/other"
    ));
    let pass = doc["Statement"]
        .as_array()
        .unwrap()
        .iter()
        .find(|s| s["Sid"] == "PassRoles")
        .unwrap();
    assert_eq!(
        pass["Condition"],
        serde_json::json!({"StringEquals": {"iam:PassedToService": ["lambda.amazonaws.com"]}})
    );
    // Only list calls on `*`.
    for s in doc["Statement"].as_array().unwrap() {
        if s["Resource"] == serde_json::json!(["*"]) {
            assert!(
                [
                    "ReadAccountWide",
                    "EventSourceMappingsCreate",
                    "SecretValues",
                    "FunctionNetworks",
                ]
                .contains(&s["Sid"].as_str().unwrap()),
                "{s}"
            );
        }
    }
}

#[test]
fn the_account_and_the_lock_table_are_named_when_given() {
    let doc = document(
        &project(HTTP),
        &Options {
            account: Some("210987654321".into()),
            lock_table: Some("deploy-locks".into()),
            operate: true,
        },
    );
    assert!(allows(
        &doc,
        "dynamodb:PutItem",
        "arn:aws:dynamodb:eu-west-1:210987654321:table/deploy-locks"
    ));
    assert!(!allows(
        &doc,
        "dynamodb:PutItem",
        "arn:aws:dynamodb:eu-west-1:123456789012:table/deploy-locks"
    ));
    assert!(!allows(
        &doc,
        "dynamodb:DeleteTable",
        "arn:aws:dynamodb:eu-west-1:210987654321:table/deploy-locks"
    ));
    assert!(allows(
        &doc,
        "lambda:InvokeFunction",
        "arn:aws:lambda:eu-west-1:210987654321:function:shop-dev-api"
    ));
}

#[test]
fn exact_names_and_named_arns_are_granted_by_name() {
    let doc = document(
        &project(
            "
service: shop
region: us-east-1
tables:
  orders: {name: orders-live, key: {partition: id}, attributes: {id: string}}
secrets:
  key: {name: payment-key, generate: {length: 20}}
functions:
  api:
    image: 123456789012.dkr.ecr.eu-west-1.amazonaws.com/shop:1.2
    role: arn:aws:iam::123456789012:role/team/api
    env:
      DB: ${ssm:/shop/db-url}
",
        ),
        &Options::default(),
    );
    assert!(allows(
        &doc,
        "dynamodb:UpdateTable",
        "arn:aws:dynamodb:us-east-1:123456789012:table/orders-live"
    ));
    assert!(allows(
        &doc,
        "secretsmanager:DescribeSecret",
        "arn:aws:secretsmanager:us-east-1:123456789012:secret:payment-key-Ab12Cd"
    ));
    assert!(allows(
        &doc,
        "iam:PassRole",
        "arn:aws:iam::123456789012:role/team/api"
    ));
    assert!(allows(
        &doc,
        "ssm:GetParameters",
        "arn:aws:ssm:us-east-1:123456789012:parameter/shop/db-url"
    ));
    assert!(!allows(
        &doc,
        "ssm:GetParameters",
        "arn:aws:ssm:us-east-1:123456789012:parameter/shop/other"
    ));
}

#[test]
fn a_rest_api_s_access_log_grants_its_group_exactly_and_reads_the_account_settings_only() {
    let spec = "
service: shop
region: eu-west-1
rest_api: {stage: {access_log: true}}
functions:
  api:
    image: 123456789012.dkr.ecr.eu-west-1.amazonaws.com/shop:1.2
    events:
      - rest: GET /items
";
    let options = Options {
        account: Some("123456789012".into()),
        ..Options::default()
    };
    let doc = document(&project(spec), &options);
    let group = "arn:aws:logs:eu-west-1:123456789012:log-group:/aws/api-gateway/shop-dev";
    for action in [
        "logs:CreateLogGroup",
        "logs:DeleteLogGroup",
        "logs:TagResource",
    ] {
        assert!(allows(&doc, action, group), "{action}");
    }
    let other = "arn:aws:logs:eu-west-1:123456789012:log-group:/aws/api-gateway/shop-devx";
    assert!(!allows(&doc, "logs:CreateLogGroup", other));
    let account = "arn:aws:apigateway:eu-west-1::/account";
    assert!(allows(&doc, "apigateway:GET", account));
    assert!(!allows(&doc, "apigateway:PATCH", account));
    // Without the access log, the account's settings are not read.
    let plain = document(
        &project(&spec.replace("rest_api: {stage: {access_log: true}}\n", "")),
        &options,
    );
    assert!(!allows(&plain, "apigateway:GET", account));
}
