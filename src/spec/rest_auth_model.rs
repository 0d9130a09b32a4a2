//! The spec's types of the REST API's authorizers (`rest_api.authorizers`): Lambda request
//! or token authorizers and Cognito user-pool authorizers. Re-exported by `model.rs`.

use schemars::JsonSchema;
use serde::Deserialize;

/// An authorizer of the REST API, named by its key; a `rest` event names it in `auth`.
#[derive(Debug, Clone, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
#[schemars(example = serde_json::json!({"function": "authorizer", "type": "request", "identity": ["header.Authorization"], "ttl": 300}))]
#[schemars(example = serde_json::json!({"type": "cognito", "user_pools": ["arn:aws:cognito-idp:eu-west-1:123456789012:userpool/eu-west-1_abc"]}))]
pub struct RestAuthorizer {
    /// `request` (the function gets the request's headers, query and context), `token` (the function gets one header's value) or `cognito` (a Cognito user pool checks the token).
    #[serde(rename = "type")]
    pub kind: RestAuthorizerType,
    /// The function (its key in `functions`) that decides, for `request` and `token`.
    pub function: Option<String>,
    /// Where the caller's identity is, as `header.NAME` or `querystring.NAME`; `[header.Authorization]` when left out. A token authorizer takes one header.
    pub identity: Option<Vec<String>>,
    /// How long API Gateway caches the answer, in seconds (0 to 3600); 300 when left out.
    #[schemars(range(min = 0, max = 3600))]
    pub ttl: Option<u32>,
    /// The ARNs of the Cognito user pools whose tokens are accepted, for `cognito`.
    pub user_pools: Option<Vec<String>>,
}

/// Which kind of authorizer.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, JsonSchema)]
#[serde(rename_all = "lowercase")]
pub enum RestAuthorizerType {
    Request,
    Token,
    Cognito,
}

impl RestAuthorizerType {
    /// API Gateway's word for the authorizer's type.
    pub fn as_aws(self) -> &'static str {
        match self {
            RestAuthorizerType::Request => "REQUEST",
            RestAuthorizerType::Token => "TOKEN",
            RestAuthorizerType::Cognito => "COGNITO_USER_POOLS",
        }
    }

    /// API Gateway's word for a method's authorization through an authorizer of this type.
    pub fn method_authorization(self) -> &'static str {
        match self {
            RestAuthorizerType::Cognito => "COGNITO_USER_POOLS",
            _ => "CUSTOM",
        }
    }
}
