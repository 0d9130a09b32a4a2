//! What the account holds, read back with plain SDK calls: the ground truth the end-to-end
//! tests compare slsr's work with (a role's policy and trust, a function's resource policy
//! and environment, tags, every page of a listing), and the literal statements and pairs
//! they are compared with. Nothing here asks slsr's own code.

use serde_json::{Value, json};

use crate::support::all_items;

/// `%XX` escapes decoded (IAM percent-encodes the policy documents it returns, RFC 3986).
fn percent_decoded(text: &str) -> String {
    let bytes = text.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'%'
            && let Some(byte) = text
                .get(i + 1..i + 3)
                .and_then(|h| u8::from_str_radix(h, 16).ok())
        {
            out.push(byte);
            i += 3;
            continue;
        }
        out.push(bytes[i]);
        i += 1;
    }
    String::from_utf8(out).unwrap()
}

/// A role's inline policy `slsr`, as IAM has it (percent-decoded).
pub async fn role_policy(iam: &aws_sdk_iam::Client, role: &str) -> Value {
    let document = iam
        .get_role_policy()
        .role_name(role)
        .policy_name("slsr")
        .send()
        .await
        .unwrap()
        .policy_document;
    serde_json::from_str(&percent_decoded(&document)).unwrap()
}

/// A role's path and its trust policy (percent-decoded), as IAM has them.
pub async fn path_and_trust(iam: &aws_sdk_iam::Client, role: &str) -> (String, Value) {
    let role = iam
        .get_role()
        .role_name(role)
        .send()
        .await
        .unwrap()
        .role
        .unwrap();
    let trust = percent_decoded(role.assume_role_policy_document().unwrap());
    (role.path, serde_json::from_str(&trust).unwrap())
}

/// A role's inline policy `slsr` as IAM returns it: each statement's effect, sorted actions
/// and sorted resources, the statements sorted.
pub async fn grants(iam: &aws_sdk_iam::Client, role: &str) -> Vec<Value> {
    let document = role_policy(iam, role).await;
    let list = |v: &Value| {
        let mut items: Vec<String> = match v {
            Value::Array(items) => items
                .iter()
                .map(|i| i.as_str().unwrap().to_string())
                .collect(),
            single => vec![single.as_str().unwrap().to_string()],
        };
        items.sort();
        items
    };
    let statements = document["Statement"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| json!({"Effect": s["Effect"], "Action": list(&s["Action"]), "Resource": list(&s["Resource"])}))
        .collect();
    sorted(statements)
}

/// The statement a generated role has for its function's log group: writing its streams.
pub fn log_grant(account: &str, function: &str) -> Value {
    json!({
        "Effect": "Allow",
        "Action": ["logs:CreateLogStream", "logs:PutLogEvents"],
        "Resource": [format!("arn:aws:logs:us-east-1:{account}:log-group:/aws/lambda/{function}:*")]
    })
}

/// Statements in one order (by their JSON text), to compare with [`grants`].
pub fn sorted(mut statements: Vec<Value>) -> Vec<Value> {
    statements.sort_by_key(|s| s.to_string());
    statements
}

/// The statements of a function's resource policy (none when it has no policy).
pub async fn statements(lambda: &aws_sdk_lambda::Client, function: &str) -> Vec<Value> {
    match lambda.get_policy().function_name(function).send().await {
        Ok(out) => {
            let policy: Value = serde_json::from_str(out.policy().unwrap()).unwrap();
            policy["Statement"].as_array().cloned().unwrap_or_default()
        }
        Err(_) => vec![],
    }
}

/// The SourceArn each statement of a function's resource policy is scoped to, sorted.
pub async fn source_arns(lambda: &aws_sdk_lambda::Client, function: &str) -> Vec<String> {
    let mut arns: Vec<String> = statements(lambda, function)
        .await
        .iter()
        .map(|s| {
            s["Condition"]["ArnLike"]["AWS:SourceArn"]
                .as_str()
                .unwrap()
                .to_string()
        })
        .collect();
    arns.sort();
    arns
}

/// A function's environment variables, as Lambda has them.
pub async fn env_of(
    lambda: &aws_sdk_lambda::Client,
    function: &str,
) -> std::collections::HashMap<String, String> {
    lambda
        .get_function_configuration()
        .function_name(function)
        .send()
        .await
        .unwrap()
        .environment
        .unwrap()
        .variables
        .unwrap()
}

/// Every tag of a DynamoDB table, every page of them, as sorted (key, value) pairs.
pub async fn table_tags(db: &aws_sdk_dynamodb::Client, arn: &str) -> Vec<(String, String)> {
    let mut all: Vec<_> = all_items!(db.list_tags_of_resource().resource_arn(arn), tags)
        .iter()
        .map(|t| (t.key().to_string(), t.value().to_string()))
        .collect();
    all.sort();
    all
}

/// Literal (key, value) pairs as the tag readers return them.
pub fn pairs(items: &[(&str, &str)]) -> Vec<(String, String)> {
    items
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect()
}

/// The tags one answer lists as sorted (key, value) pairs, where each tag's `key()` and
/// `value()` are strings (SNS, EventBridge, Scheduler, S3):
/// `tag_pairs!(sns.list_tags_for_resource().resource_arn(arn), tags)`.
macro_rules! tag_pairs {
    ($request:expr, $tags:ident) => {{
        let mut tags: Vec<(String, String)> = $request
            .send()
            .await
            .unwrap()
            .$tags()
            .iter()
            .map(|t| (t.key().to_string(), t.value().to_string()))
            .collect();
        tags.sort();
        tags
    }};
}
pub(crate) use tag_pairs;

/// Walks a listing page by page, following its tokens with plain SDK calls: the pages it
/// took and the name of each item, in the order they came. `$set_token` and `$next` are the
/// listing's token setter and getter (`set_next_token`, `next_token` for most).
macro_rules! walk {
    ($request:expr, $set_token:ident, $items:ident, $next:ident, $name:expr) => {{
        let mut took = 0;
        let mut names: Vec<String> = Vec::new();
        let mut token: Option<String> = None;
        loop {
            let out = $request.$set_token(token).send().await.unwrap();
            took += 1;
            names.extend(out.$items().iter().map($name));
            token = out.$next().map(str::to_string);
            if token.is_none() {
                break (took, names);
            }
        }
    }};
}
pub(crate) use walk;

/// The account's one REST API, every page of GetRestApis.
pub async fn the_rest_api(rest: &aws_sdk_apigateway::Client) -> aws_sdk_apigateway::types::RestApi {
    let apis = rest_items!(rest.get_rest_apis());
    assert_eq!(apis.len(), 1, "{apis:?}");
    apis[0].clone()
}

/// A REST API's resources by path: path to id, every page.
pub async fn rest_resources(
    rest: &aws_sdk_apigateway::Client,
    id: &str,
) -> std::collections::BTreeMap<String, String> {
    rest_items!(rest.get_resources().rest_api_id(id))
        .iter()
        .map(|r| (r.path().unwrap().to_string(), r.id().unwrap().to_string()))
        .collect()
}

/// How many deployments a REST API has, every page.
pub async fn rest_deployments(rest: &aws_sdk_apigateway::Client, id: &str) -> usize {
    rest_items!(rest.get_deployments().rest_api_id(id)).len()
}
