//! The REST API (API Gateway v1) of the service and stage, `{service}-{stage}`: made when a
//! function has a `rest` event, with its endpoint type (regional, private or edge), its
//! resource policy and tags; owned by tags as the HTTP API is. Its resources, methods and
//! deployment are kinds of their own (`rest_resource`, `rest_method`, `rest_deployment`).
//! Read with GetRestApis (`aws/read/rest.rs`).

use aws_sdk_apigateway::types::{EndpointConfiguration, EndpointType, Op, PatchOperation};
use serde_json::{Value, json};

use super::{KindInfo, TAGS, Tags, attr, attr_map, attr_str};
use crate::apply::{Applier, Settle, Step, tag_by_arn, tag_changes};
use crate::aws::AwsError;
use crate::engine::desired::{Builder, known_after_apply};
use crate::engine::model::{KNOWN_AFTER_APPLY, Resource, State, address};
use crate::engine::plan::Action;
use crate::spec::model::{Effect, Event, RestEndpoint};

pub static INFO: KindInfo = KindInfo {
    prefix: "rest_api",
    naming: "{service}-{stage}, one per service and stage",
    tags: Tags::Compared,
    replaced_by: &[],
    holds_data: false,
    desired,
    needs: super::needs_nothing,
    serial_with: super::not_serial,
    public: super::never_public,
    identity: &[ID, ENDPOINT],
    about: super::nothing_to_add,
    write: super::writer!(apply),
};

/// The id AWS gives the API: known after apply for a new one.
pub const ID: &str = "id";
/// `REGIONAL`, `PRIVATE` or `EDGE`.
pub const ENDPOINT: &str = "endpoint";
/// The resource policy, as a JSON document (normalized: `normal_policy`), or null.
pub const POLICY: &str = "policy";
/// `https://{id}.execute-api.{region}.amazonaws.com/{stage}`.
pub const URL: &str = "url";

/// The keys apply knows the API's id, its root resource's id and its URL by (`Applier::ids`).
pub const ID_KEY: &str = "rest_api.id";
pub const ROOT_KEY: &str = "rest_api.root";
pub const URL_KEY: &str = "rest_api.url";

/// The address of the one REST API.
pub fn the_api() -> String {
    address(super::Kind::RestApi, "api")
}

/// Whether any function has a rest event: then the service has a REST API.
pub fn wanted(b: &Builder) -> bool {
    b.p.functions.values().any(|f| {
        f.events
            .iter()
            .flatten()
            .any(|e| matches!(e, Event::Rest(_)))
    })
}

/// The API's id as a desired value: the live one, or known after apply.
pub fn id_or_later(b: &Builder) -> String {
    b.t.rest_api_id
        .clone()
        .unwrap_or_else(|| known_after_apply(ID_KEY))
}

/// The URL of a REST API's stage.
pub fn url(id: &str, region: &str, stage: &str) -> String {
    format!("https://{id}.execute-api.{region}.amazonaws.com/{stage}")
}

fn desired(b: &Builder, state: &mut State) {
    if !wanted(b) {
        return;
    }
    let api = b.p.rest_api.clone().unwrap_or_default();
    let endpoint = api.endpoint.unwrap_or(RestEndpoint::Regional).as_aws();
    let mut tags = b.tags.clone();
    tags.extend(api.tags.clone().unwrap_or_default());
    let policy = api.policy.as_ref().map_or(Value::Null, |statements| {
        let statements: Vec<Value> = statements
            .iter()
            .map(|s| {
                let principal = if s.principals.iter().any(|p| p == "*") {
                    json!("*")
                } else {
                    json!({"AWS": s.principals})
                };
                let mut statement = json!({
                    "Effect": if s.effect == Some(Effect::Deny) { "Deny" } else { "Allow" },
                    "Principal": principal,
                    "Action": s.actions,
                    "Resource": s.resources.clone().unwrap_or_else(|| vec!["execute-api:/*".into()]),
                });
                if let Some(c) = &s.conditions {
                    statement["Condition"] = json!(c);
                }
                statement
            })
            .collect();
        normal_policy(json!({"Version": "2012-10-17", "Statement": statements}))
    });
    let id = b.t.rest_api_id.as_deref().unwrap_or(KNOWN_AFTER_APPLY);
    state.insert(
        Resource::new(
            super::Kind::RestApi,
            "api",
            format!("{}-{}", b.p.service, b.p.stage),
        )
        .with(ID, id)
        .with(ENDPOINT, endpoint)
        .with(POLICY, policy)
        .with(URL, url(id, b.t.region(), &b.p.stage))
        .with_map(TAGS, &tags),
    );
}

/// A policy document as the plan compares it: one-item lists as their item, `{"AWS": "*"}`
/// as `*`, and the API's own ARN prefix (which AWS writes into each Resource) as
/// `execute-api:/`, so that AWS's copy of what slsr wrote is the same document.
pub fn normal_policy(doc: Value) -> Value {
    fn one(v: &Value) -> Value {
        match v {
            Value::Array(items) if items.len() == 1 => one(&items[0]),
            Value::Array(items) => Value::Array(items.iter().map(one).collect()),
            other => other.clone(),
        }
    }
    fn resource(v: &Value) -> Value {
        match v {
            Value::String(s) if s.starts_with("arn:aws:execute-api:") => {
                let rest = s.splitn(6, ':').nth(5).unwrap_or_default();
                let path = rest.split_once('/').map_or("", |(_, p)| p);
                Value::from(format!("execute-api:/{path}"))
            }
            Value::Array(items) => Value::Array(items.iter().map(resource).collect()),
            other => other.clone(),
        }
    }
    let statements = match &doc["Statement"] {
        Value::Array(items) => items.clone(),
        Value::Null => vec![],
        single => vec![single.clone()],
    };
    let statements: Vec<Value> = statements
        .iter()
        .map(|s| {
            let mut out = serde_json::Map::new();
            for (k, v) in s.as_object().into_iter().flatten() {
                let v = match k.as_str() {
                    "Principal" => match one(v) {
                        Value::Object(p) if p.len() == 1 && p.get("AWS") == Some(&json!("*")) => {
                            json!("*")
                        }
                        Value::Object(p) => {
                            Value::Object(p.iter().map(|(k, v)| (k.clone(), one(v))).collect())
                        }
                        other => other,
                    },
                    "Resource" => resource(&one(v)),
                    "Sid" => continue,
                    _ => one(v),
                };
                out.insert(k.clone(), v);
            }
            Value::Object(out)
        })
        .collect();
    json!({"Version": doc["Version"].as_str().unwrap_or("2012-10-17"), "Statement": statements})
}

/// The policy as AWS returns it: JSON, sometimes with its quotes escaped.
pub fn parse_policy(text: &str) -> Value {
    if text.is_empty() {
        return Value::Null;
    }
    let parsed = serde_json::from_str::<Value>(text)
        .or_else(|_| serde_json::from_str::<Value>(&text.replace("\\\"", "\"")));
    match parsed {
        Ok(Value::String(inner)) => parse_policy(&inner),
        Ok(doc) => normal_policy(doc),
        Err(_) => Value::from(text),
    }
}

/// A REST API as the model has it.
pub fn live(
    name: &str,
    api: &aws_sdk_apigateway::types::RestApi,
    region: &str,
    stage: &str,
) -> Resource {
    let id = api.id().unwrap_or_default();
    let endpoint = api
        .endpoint_configuration()
        .and_then(|e| e.types().first())
        .map_or("EDGE", |t| t.as_str());
    Resource::new(super::Kind::RestApi, "api", name)
        .with(ID, id)
        .with(ENDPOINT, endpoint)
        .with(POLICY, parse_policy(api.policy().unwrap_or_default()))
        .with(URL, url(id, region, stage))
        .with_map(TAGS, api.tags().into_iter().flatten())
}

/// The ids of what exists already, from a change's live resource: the API's id and URL,
/// each resource's id, each method's `{resource id} {METHOD}` (`Applier::ids`).
pub(crate) fn known_ids(ids: &crate::apply::Ids, change: &crate::engine::plan::Change) {
    let Some(before) = &change.before else {
        return;
    };
    if before.kind == super::Kind::RestApi {
        ids.set(ID_KEY, attr_str(before, ID));
        ids.set(URL_KEY, attr_str(before, URL));
    } else if [
        super::Kind::RestResource,
        super::Kind::RestMethod,
        super::Kind::RestAuthorizer,
        super::Kind::RestApiKey,
        super::Kind::RestUsagePlan,
        super::Kind::RestCors,
    ]
    .contains(&before.kind)
    {
        ids.set(&change.address, before.name.clone());
    }
}

/// The API's id, for the changes of its parts.
pub fn api_id(a: &Applier) -> Result<String, AwsError> {
    a.ids.get(ID_KEY).ok_or_else(|| AwsError {
        operation: "GetRestApis",
        target: "the REST API".into(),
        message: "the REST API does not exist".into(),
    })
}

/// `"{id} {root resource id}"` of the REST API of `r`'s name with its service and stage's
/// tags, if there is one: a read, not counted among the writes.
async fn find(a: &Applier, r: &Resource) -> Result<Option<String>, AwsError> {
    let name = r.name.as_str();
    let tags = attr_map(r, TAGS);
    let apis = crate::aws::pages::follow(
        &a.lookups,
        "APIGateway.GetRestApis",
        name,
        |position| async {
            let out = a
                .rest
                .get_rest_apis()
                .set_position(position)
                .send()
                .await
                .map_err(|e| AwsError::new("GetRestApis", name, e))?;
            Ok((out.items.unwrap_or_default(), out.position))
        },
    )
    .await?;
    Ok(apis
        .iter()
        .find(|api| {
            api.name() == Some(name)
                && ["slsr:service", "slsr:stage"]
                    .iter()
                    .all(|k| api.tags().and_then(|t| t.get(*k)) == tags.get(*k))
        })
        .map(|api| {
            format!(
                "{} {}",
                api.id().unwrap_or_default(),
                api.root_resource_id().unwrap_or_default()
            )
        }))
}

fn policy_text(r: &Resource) -> Option<String> {
    let policy = attr(r, POLICY);
    (!policy.is_null()).then(|| policy.to_string())
}

async fn apply(a: &Applier, step: &Step) -> Result<(), AwsError> {
    let r = step.resource();
    let name = r.name.as_str();
    let region = a
        .rest
        .config()
        .region()
        .map(|r| r.to_string())
        .unwrap_or_default();
    match step.action {
        Action::Create => {
            // The id and the root resource's id, as one string for `create_once`.
            let create = || async {
                a.rest
                    .create_rest_api()
                    .name(name)
                    .endpoint_configuration(
                        EndpointConfiguration::builder()
                            .types(EndpointType::from(attr_str(r, ENDPOINT).as_str()))
                            .build(),
                    )
                    .set_policy(policy_text(r))
                    .set_tags(Some(attr_map(r, TAGS)))
                    .customize()
                    .config_override(
                        aws_sdk_apigateway::config::Builder::default()
                            .retry_config(aws_config::retry::RetryConfig::disabled()),
                    )
                    .send()
                    .await
                    .map(|out| {
                        format!(
                            "{} {}",
                            out.id.unwrap_or_default(),
                            out.root_resource_id.unwrap_or_default()
                        )
                    })
            };
            // API Gateway makes a second REST API of one name as readily as the first: one
            // made since the plan (a concurrent apply) is reported, and a create whose answer
            // was lost is looked for before it is sent again (`create_once`).
            if let Some(made) = find(a, r).await? {
                return Err(AwsError {
                    operation: "CreateRestApi",
                    target: name.to_string(),
                    message: format!(
                        "a REST API of this name and this service and stage's tags (id {}) was made since the plan, by another apply or by hand; run `slsr plan` again",
                        made.split(' ').next().unwrap_or_default()
                    ),
                });
            }
            let made =
                super::http_api::create_once("CreateRestApi", name, create, || find(a, r)).await?;
            let (id, root) = made.split_once(' ').unwrap_or((made.as_str(), ""));
            a.ids.set(ROOT_KEY, root.to_string());
            a.ids
                .set(URL_KEY, attr_str(r, URL).replace(KNOWN_AFTER_APPLY, id));
            a.ids.set(ID_KEY, id.to_string());
        }
        Action::Delete => {
            a.rest
                .delete_rest_api()
                .rest_api_id(attr_str(r, ID))
                .send()
                .await
                .or_gone("DeleteRestApi", name)?;
        }
        _ => {
            let id = api_id(a)?;
            let mut patches = Vec::new();
            if step.changes(ENDPOINT) {
                let before = step
                    .live()
                    .map(|l| attr_str(l, ENDPOINT))
                    .unwrap_or_default();
                patches.push(
                    PatchOperation::builder()
                        .op(Op::Replace)
                        .path(format!("/endpointConfiguration/types/{before}"))
                        .value(attr_str(r, ENDPOINT))
                        .build(),
                );
            }
            if step.changes(POLICY) {
                patches.push(
                    PatchOperation::builder()
                        .op(Op::Replace)
                        .path("/policy")
                        .value(policy_text(r).unwrap_or_default())
                        .build(),
                );
            }
            if !patches.is_empty() {
                a.rest
                    .update_rest_api()
                    .rest_api_id(&id)
                    .set_patch_operations(Some(patches))
                    .send()
                    .await
                    .map_err(|e| AwsError::new("UpdateRestApi", name, e))?;
            }
            let arn = format!("arn:aws:apigateway:{region}::/restapis/{id}");
            tag_by_arn!(a.rest, &arn, name, tag_changes(step)).await?;
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use std::collections::HashMap;

    use aws_sdk_apigateway::operation::create_rest_api::CreateRestApiOutput;
    use aws_sdk_apigateway::operation::get_rest_apis::GetRestApisOutput;
    use aws_sdk_apigateway::types::RestApi;
    use aws_smithy_mocks::{RuleMode, mock, mock_client};

    use super::*;

    fn create_step() -> Step {
        let r = Resource::new(super::super::Kind::RestApi, "api", "shop-dev")
            .with(ENDPOINT, "REGIONAL")
            .with(
                URL,
                "https://(known after apply).execute-api.us-east-1.amazonaws.com/dev",
            )
            .with("tags.slsr:service", "shop")
            .with("tags.slsr:stage", "dev");
        crate::apply::testing::step(Action::Create, None, r, vec![])
    }

    fn applier(rest: aws_sdk_apigateway::Client) -> Applier {
        let mut a = crate::apply::testing::applier(HashMap::new());
        a.clients.rest = rest;
        a
    }

    #[tokio::test]
    async fn a_rest_api_made_since_the_plan_is_reported_not_doubled() {
        let theirs = mock!(aws_sdk_apigateway::Client::get_rest_apis).then_output(|| {
            GetRestApisOutput::builder()
                .items(
                    RestApi::builder()
                        .name("shop-dev")
                        .id("made-by-the-other-run")
                        .tags("slsr:service", "shop")
                        .tags("slsr:stage", "dev")
                        .build(),
                )
                .build()
        });
        let create = mock!(aws_sdk_apigateway::Client::create_rest_api).then_output(|| {
            CreateRestApiOutput::builder()
                .id("a-second")
                .root_resource_id("root")
                .build()
        });
        let a = applier(mock_client!(
            aws_sdk_apigateway,
            RuleMode::MatchAny,
            [&theirs, &create]
        ));
        let err = apply(&a, &create_step()).await.unwrap_err();
        assert!(err.message.contains("made-by-the-other-run"), "{err}");
        assert_eq!(create.num_calls(), 0, "no second API");

        // Someone else's API of the name is not ours: it does not stop the create.
        let other = mock!(aws_sdk_apigateway::Client::get_rest_apis).then_output(|| {
            GetRestApisOutput::builder()
                .items(RestApi::builder().name("shop-dev").id("theirs").build())
                .build()
        });
        let a = applier(mock_client!(
            aws_sdk_apigateway,
            RuleMode::MatchAny,
            [&other, &create]
        ));
        apply(&a, &create_step()).await.unwrap();
        assert_eq!(create.num_calls(), 1);
        assert_eq!(a.ids.get(ID_KEY).as_deref(), Some("a-second"));
        assert_eq!(a.ids.get(ROOT_KEY).as_deref(), Some("root"));
        assert_eq!(
            a.ids.get(URL_KEY).as_deref(),
            Some("https://a-second.execute-api.us-east-1.amazonaws.com/dev")
        );
    }

    #[test]
    fn aws_s_copy_of_a_policy_is_the_document_slsr_wrote() {
        let written = normal_policy(json!({"Version": "2012-10-17", "Statement": [{
            "Effect": "Allow", "Principal": "*", "Action": ["execute-api:Invoke"],
            "Resource": ["execute-api:/*"],
        }]}));
        let aws = r#"{\"Version\":\"2012-10-17\",\"Statement\":[{\"Effect\":\"Allow\",\"Principal\":{\"AWS\":\"*\"},\"Action\":\"execute-api:Invoke\",\"Resource\":\"arn:aws:execute-api:eu-west-1:123456789012:abc123/*\"}]}"#;
        assert_eq!(parse_policy(aws), written);
    }
}
