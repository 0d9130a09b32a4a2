//! Making an API key or a usage plan exactly once. API Gateway gives a second key or plan
//! of one name as readily as the first, so a create whose answer was lost (after it took
//! effect) must not simply be sent again: it goes without the SDK's retries, and after a
//! failure that may have taken effect `http_api::create_once` looks for what it made (by
//! name and ownership tags) before sending it again.

use std::collections::HashMap;

use aws_config::retry::RetryConfig;

use crate::apply::Applier;
use crate::aws::AwsError;
use crate::aws::pages::follow;

/// API Gateway v1's client settings without the SDK's retries.
pub(crate) fn without_retries() -> aws_sdk_apigateway::config::Builder {
    aws_sdk_apigateway::config::Builder::default().retry_config(RetryConfig::disabled())
}

fn ours(found: Option<&HashMap<String, String>>, tags: &HashMap<String, String>) -> bool {
    ["slsr:service", "slsr:stage"]
        .iter()
        .all(|k| found.and_then(|t| t.get(*k)) == tags.get(*k))
}

/// The id of the API key `name` with these ownership tags, if one exists.
pub(crate) async fn find_key(
    a: &Applier,
    name: &str,
    tags: &HashMap<String, String>,
) -> Result<Option<String>, AwsError> {
    let keys = follow(
        &a.lookups,
        "APIGateway.GetApiKeys",
        name,
        |position| async {
            let out = a
                .rest
                .get_api_keys()
                .name_query(name)
                .set_position(position)
                .send()
                .await
                .map_err(|e| AwsError::new("GetApiKeys", name, e))?;
            Ok((out.items.unwrap_or_default(), out.position))
        },
    )
    .await?;
    Ok(keys
        .iter()
        .find(|k| k.name() == Some(name) && ours(k.tags(), tags))
        .and_then(|k| k.id().map(str::to_string)))
}

/// The id of the usage plan `name` with these ownership tags, if one exists.
pub(crate) async fn find_plan(
    a: &Applier,
    name: &str,
    tags: &HashMap<String, String>,
) -> Result<Option<String>, AwsError> {
    let plans = follow(
        &a.lookups,
        "APIGateway.GetUsagePlans",
        name,
        |position| async {
            let out = a
                .rest
                .get_usage_plans()
                .set_position(position)
                .send()
                .await
                .map_err(|e| AwsError::new("GetUsagePlans", name, e))?;
            Ok((out.items.unwrap_or_default(), out.position))
        },
    )
    .await?;
    Ok(plans
        .iter()
        .find(|u| u.name() == Some(name) && ours(u.tags(), tags))
        .and_then(|u| u.id().map(str::to_string)))
}
