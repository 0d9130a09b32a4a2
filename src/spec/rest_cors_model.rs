//! The spec's type of the REST API's CORS (`rest_api.cors`): what the OPTIONS method slsr
//! adds to each resource with routes answers a browser's preflight. Re-exported by
//! `model.rs`.

use schemars::JsonSchema;
use serde::Deserialize;

/// CORS for the REST API: each resource with routes answers OPTIONS (a preflight) from API Gateway itself, with these headers. A Lambda proxy integration must still add `Access-Control-Allow-Origin` to its own answers.
#[derive(Debug, Clone, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
#[schemars(example = serde_json::json!({"allow_origins": ["https://example.com"], "allow_headers": ["Content-Type", "Authorization"]}))]
pub struct RestCors {
    /// The one origin allowed (`https://example.com`), or `["*"]` for any: API Gateway's OPTIONS answer is one static value, so several origins are refused (answer OPTIONS from a function to choose among them).
    #[schemars(length(min = 1))]
    pub allow_origins: Vec<String>,
    /// The request headers a caller may send (Access-Control-Allow-Headers).
    pub allow_headers: Vec<String>,
    /// The methods allowed (Access-Control-Allow-Methods); each resource's own methods and OPTIONS when left out.
    pub allow_methods: Option<Vec<String>>,
    /// Whether the browser may send cookies and credentials (Access-Control-Allow-Credentials: true); not with the origin `*`.
    pub allow_credentials: Option<bool>,
    /// How long, in seconds, a browser may cache the preflight's answer (Access-Control-Max-Age).
    #[schemars(range(min = 0, max = 86400))]
    pub max_age: Option<u32>,
    /// The response headers a browser's script may read (Access-Control-Expose-Headers); the functions' answers must carry it too.
    pub expose_headers: Option<Vec<String>>,
}
