//! The spec's types of the REST API's API keys and usage plans (`rest_api.api_keys`,
//! `rest_api.usage_plans`). Re-exported by `model.rs`.

use schemars::JsonSchema;
use serde::Deserialize;

use super::rest_model::RestThrottle;

/// A usage plan of the REST API's stage, `{service}-{stage}-{NAME}`: the keys it admits, their throttle and quota.
#[derive(Debug, Clone, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
#[schemars(example = serde_json::json!({"keys": ["partner-a"], "throttle": {"rate": 10, "burst": 20}, "quota": {"limit": 10000, "period": "month"}}))]
pub struct RestUsagePlan {
    /// The API keys (names in `rest_api.api_keys`) this plan admits; a key is in at most one plan, since AWS refuses a key in two plans of one stage.
    pub keys: Option<Vec<String>>,
    /// Requests per second each key may make (`rate`) and the burst above it; unthrottled when left out.
    pub throttle: Option<RestThrottle>,
    /// How many requests each key may make in a day, week or month; unlimited when left out.
    pub quota: Option<RestQuota>,
}

/// A usage plan's quota.
#[derive(Debug, Clone, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct RestQuota {
    /// Requests per period, 0 or more.
    #[schemars(range(min = 0))]
    pub limit: u32,
    /// `day`, `week` or `month`.
    pub period: QuotaPeriod,
}

/// The period of a usage plan's quota.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, JsonSchema)]
#[serde(rename_all = "lowercase")]
pub enum QuotaPeriod {
    Day,
    Week,
    Month,
}

impl QuotaPeriod {
    /// API Gateway's word for it.
    pub fn as_aws(self) -> &'static str {
        match self {
            QuotaPeriod::Day => "DAY",
            QuotaPeriod::Week => "WEEK",
            QuotaPeriod::Month => "MONTH",
        }
    }
}
