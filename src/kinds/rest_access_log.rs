//! The REST API stage's access log (`rest_api.stage.access_log`): slsr's log group
//! `/aws/api-gateway/{service}-{stage}` (Serverless Framework's name for it), keyed
//! `rest_api.access` (no function's key has a dot, so it cannot clash), with slsr's tags and
//! the spec's retention, and the stage's access log settings that name it with one fixed
//! JSON line per request. The group is a `log_group` like a function's, written by that
//! kind; the settings are attributes of `rest_stage.api`, written by UpdateStage.

use serde_json::Value;

use super::{Kind, TAGS, log_group};
use crate::engine::desired::Builder;
use crate::engine::model::{Resource, State, address};

/// The group's key: `log_group.rest_api.access`.
pub const KEY: &str = "rest_api.access";

/// What API Gateway writes for each request: Serverless Framework's format for REST APIs,
/// one JSON object a line.
pub const FORMAT: &str = r#"{"requestId":"$context.requestId","ip":"$context.identity.sourceIp","caller":"$context.identity.caller","user":"$context.identity.user","requestTime":"$context.requestTime","httpMethod":"$context.httpMethod","resourcePath":"$context.resourcePath","status":"$context.status","protocol":"$context.protocol","responseLength":"$context.responseLength"}"#;

/// Where every service's REST API access log group is.
pub const ROOT: &str = "/aws/api-gateway/";

/// The access log group's name for `{service}-{stage}`.
pub fn group_name(service: &str, stage: &str) -> String {
    format!("{ROOT}{service}-{stage}")
}

/// The address of the access log group.
pub fn at() -> String {
    address(Kind::LogGroup, KEY)
}

/// Whether a desired state holds the access log group.
pub fn wanted(state: &State) -> bool {
    state.resources.contains_key(&at())
}

/// The access log group, when the spec asks for the access log.
pub fn log_group(b: &Builder) -> Option<Resource> {
    let stage = b.p.rest_api.as_ref()?.stage.as_ref()?;
    if stage.access_log != Some(true) {
        return None;
    }
    let name = group_name(&b.p.service, &b.p.stage);
    Some(
        Resource::new(Kind::LogGroup, KEY, name.as_str())
            .with(
                log_group::ARN,
                format!(
                    "arn:aws:logs:{}:{}:log-group:{name}",
                    b.t.region(),
                    b.t.account()
                ),
            )
            .with(
                log_group::RETENTION_DAYS,
                stage.log_retention_days.map_or(Value::Null, Value::from),
            )
            .with_map(TAGS, &b.tags),
    )
}

#[cfg(test)]
mod tests {
    use crate::engine::desired::testing::desired;

    #[test]
    fn the_access_log_is_a_tagged_group_of_the_service_and_stage() {
        let state = desired(
            "service: shop
rest_api: {stage: {access_log: true, log_retention_days: 30}}
functions:
  api: {image: x, events: [{rest: GET /}]}
",
            "eu-west-1",
        );
        let group = &state.resources["log_group.rest_api.access"];
        assert_eq!(group.name, "/aws/api-gateway/shop-dev");
        assert_eq!(
            group.attrs["arn"],
            "arn:aws:logs:eu-west-1:123456789012:log-group:/aws/api-gateway/shop-dev"
        );
        assert_eq!(group.attrs["retention_days"], 30);
        assert_eq!(group.attrs["tags.slsr:service"], "shop");
        let stage = &state.resources["rest_stage.api"];
        assert_eq!(
            stage.attrs["access_log.destination"],
            "arn:aws:logs:eu-west-1:123456789012:log-group:/aws/api-gateway/shop-dev"
        );
        assert!(
            stage.attrs["access_log.format"]
                .as_str()
                .unwrap()
                .starts_with(r#"{"requestId":"$context.requestId","ip":"#)
        );
    }
}
