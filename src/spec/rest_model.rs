//! The spec's types of the REST API (API Gateway v1): `rest_api` and `rest` events.
//! Re-exported by `model.rs`. What is not built yet (API keys, usage plans, a domain,
//! stage settings) is declared so that validation refuses it by name
//! (`rest_rules.rs`) rather than as an unknown field, and slots in later.

use std::collections::BTreeMap;

use schemars::JsonSchema;
use serde::Deserialize;

/// The service's REST API (API Gateway v1), `{service}-{stage}`. It exists when any function has a `rest` event.
#[derive(Debug, Clone, Default, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
#[schemars(example = serde_json::json!({"endpoint": "private", "policy": [{"principals": ["*"], "actions": ["execute-api:Invoke"], "conditions": {"StringEquals": {"aws:SourceVpce": "vpce-0abc"}}}]}))]
pub struct RestApi {
    /// `regional` (the default), `private` (reached only from a VPC endpoint; needs a `policy`) or `edge`.
    pub endpoint: Option<RestEndpoint>,
    /// The API's resource policy: who may call it. A private API needs one, since AWS refuses every call to a private API without one.
    pub policy: Option<Vec<ApiPolicyStatement>>,
    /// Tags of the API, besides slsr's own.
    pub tags: Option<BTreeMap<String, String>>,
    /// Not built yet: the stage's access log, tracing and throttling.
    pub stage: Option<serde_json::Value>,
    /// Not built yet: API keys.
    pub api_keys: Option<serde_json::Value>,
    /// Not built yet: usage plans.
    pub usage_plans: Option<serde_json::Value>,
    /// Lambda (request or token) and Cognito user-pool authorizers, by name; a `rest` event's `auth` names one.
    pub authorizers: Option<BTreeMap<String, super::rest_auth_model::RestAuthorizer>>,
    /// CORS: an OPTIONS method answered by API Gateway on each resource with routes.
    pub cors: Option<super::rest_cors_model::RestCors>,
    /// Not built yet: a custom domain name.
    pub domain: Option<serde_json::Value>,
}

/// Where the REST API is reached from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, JsonSchema)]
#[serde(rename_all = "lowercase")]
pub enum RestEndpoint {
    Regional,
    Private,
    Edge,
}

impl RestEndpoint {
    /// API Gateway's word for it.
    pub fn as_aws(self) -> &'static str {
        match self {
            RestEndpoint::Regional => "REGIONAL",
            RestEndpoint::Private => "PRIVATE",
            RestEndpoint::Edge => "EDGE",
        }
    }
}

/// One statement of the REST API's resource policy.
#[derive(Debug, Clone, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
#[schemars(example = serde_json::json!({"effect": "Allow", "principals": ["*"], "actions": ["execute-api:Invoke"]}))]
pub struct ApiPolicyStatement {
    /// Allow (the default) or Deny.
    pub effect: Option<super::model::Effect>,
    /// Who the statement is about: `*`, or AWS account ids and ARNs.
    #[schemars(length(min = 1))]
    pub principals: Vec<String>,
    /// Actions, for example execute-api:Invoke.
    #[schemars(length(min = 1))]
    pub actions: Vec<String>,
    /// The API's parts the statement covers, as `execute-api:/STAGE/METHOD/PATH`; every method of the API (`execute-api:/*`) when left out.
    pub resources: Option<Vec<String>>,
    /// IAM conditions, operator to key to value: {StringEquals: {aws:SourceVpce: vpce-0abc}}.
    pub conditions: Option<BTreeMap<String, BTreeMap<String, serde_json::Value>>>,
}

/// A method of the REST API: `METHOD /path` or `{route, auth, api_key_required}`.
#[derive(Debug, Clone, Deserialize, JsonSchema)]
#[serde(untagged)]
#[schemars(example = serde_json::json!("GET /orders/{id}"))]
#[schemars(example = serde_json::json!({"route": "POST /orders", "auth": "iam"}))]
pub enum RestEvent {
    /// `METHOD /path`: METHOD is GET, POST, PUT, PATCH, DELETE, HEAD, OPTIONS or ANY; the path may use {param} and a final {proxy+}.
    Route(String),
    Detailed(RestRoute),
}

/// A REST method with its authorization.
#[derive(Debug, Clone, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
#[schemars(example = serde_json::json!({"route": "POST /orders", "auth": "iam", "api_key_required": false}))]
pub struct RestRoute {
    /// `METHOD /path`: METHOD is GET, POST, PUT, PATCH, DELETE, HEAD, OPTIONS or ANY; the path may use {param} and a final {proxy+}.
    pub route: String,
    /// Who may call it: `none` (public, the default), `iam` (requests signed by principals allowed execute-api:Invoke) or the name of one of `rest_api.authorizers`.
    pub auth: Option<String>,
    /// Whether a caller must send an API key (`x-api-key`).
    pub api_key_required: Option<bool>,
}

impl RestEvent {
    /// The route, its `auth` (none when absent) and whether an API key is required.
    pub fn parts(&self) -> (&str, &str, bool) {
        match self {
            RestEvent::Route(r) => (r.as_str(), "none", false),
            RestEvent::Detailed(d) => (
                d.route.as_str(),
                d.auth.as_deref().unwrap_or("none"),
                d.api_key_required.unwrap_or(false),
            ),
        }
    }
}
