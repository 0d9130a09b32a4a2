//! The spec's type of an API's custom domain (`http_api.domain`, and `rest_api.domain` on
//! the same type), re-exported by `model.rs`.

use schemars::JsonSchema;
use serde::Deserialize;

/// A regional custom domain name for the API, mapped to its stage.
#[derive(Debug, Clone, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
#[schemars(example = serde_json::json!({"name": "api.example.com", "certificate": "arn:aws:acm:us-east-1:123456789012:certificate/abc", "base_path": "v1"}))]
pub struct Domain {
    /// The domain name, for example api.example.com: lowercase labels of letters, digits and hyphens, 253 characters at most. Point its DNS at `${http_api.domain_target}` (an alias in `${http_api.domain_zone_id}`).
    pub name: String,
    /// The ARN of the ACM certificate for the name, in the API's own region (a regional domain takes no other): arn:aws:acm:REGION:ACCOUNT:certificate/ID.
    pub certificate: String,
    /// The path under the domain that serves the API, for example v1 (v1/orders for several levels). Absent: the API is served at the domain's root.
    pub base_path: Option<String>,
}
