//! The HTTP API (API Gateway v2) of the service and stage, `{service}-{stage}`: made when a
//! function has an http event, with its CORS configuration and tags. API Gateway names
//! APIs by id and would make a second of one name as readily as the first: a create goes
//! without the SDK's retries and looks for what a lost attempt made (`create_once`), and a
//! second owned API of the name is a conflict. Read with GetApis (`aws/read/apigw.rs`).

use std::time::Duration;

use aws_config::retry::RetryConfig;
use aws_sdk_apigatewayv2::error::{ProvideErrorMetadata, SdkError};
use aws_sdk_apigatewayv2::types::{Cors, ProtocolType};
use aws_smithy_runtime_api::client::orchestrator::HttpResponse;
use serde_json::Value;

use super::{KindInfo, TAGS, Tags, attr, attr_i32, attr_list, attr_map, attr_str};
use crate::apply::{Applier, Settle, Step, tag_by_arn, tag_changes};
use crate::aws::AwsError;
use crate::aws::pages::follow;
use crate::engine::desired::Builder;
use crate::engine::model::{KNOWN_AFTER_APPLY, Resource, State, address};
use crate::engine::plan::Action;
use crate::spec::model::Event;

pub static INFO: KindInfo = KindInfo {
    prefix: "http_api",
    naming: "{service}-{stage}, one per service and stage",
    tags: Tags::Compared,
    replaced_by: &[],
    holds_data: false,
    desired,
    needs: super::needs_nothing,
    serial_with: super::not_serial,
    public: super::never_public,
    identity: &[ID],
    about: super::nothing_to_add,
    write: super::writer!(apply),
};

/// The id AWS gives the API: known after apply for a new one.
pub const ID: &str = "id";
pub const PROTOCOL: &str = "protocol";

/// The address of the one HTTP API.
pub fn the_api() -> String {
    address(super::Kind::HttpApi, "api")
}

/// Whether any function has an http event: then the service has an API.
pub fn wanted(b: &Builder) -> bool {
    b.p.functions.values().any(|f| {
        f.events
            .iter()
            .flatten()
            .any(|e| matches!(e, Event::Http(_)))
    })
}

fn desired(b: &Builder, state: &mut State) {
    if let Some(api) = resource(b) {
        state.insert(api);
    }
}

fn resource(b: &Builder) -> Option<Resource> {
    if !wanted(b) {
        return None;
    }
    let mut r = Resource::new(
        super::Kind::HttpApi,
        "api",
        format!("{}-{}", b.p.service, b.p.stage),
    )
    .with(ID, b.t.api_id.as_deref().unwrap_or(KNOWN_AFTER_APPLY))
    .with(PROTOCOL, "HTTP")
    .with_map(TAGS, &b.tags);
    let cors = b.p.http_api.as_ref().and_then(|a| a.cors.as_ref());
    if let Some(c) = cors {
        let sorted = |v: &Option<Vec<String>>| {
            let mut v = v.clone().unwrap_or_default();
            v.sort();
            v
        };
        r = r
            .with("cors.allow_origins", sorted(&c.allow_origins))
            .with("cors.allow_methods", sorted(&c.allow_methods))
            .with("cors.allow_headers", sorted(&c.allow_headers))
            .with("cors.expose_headers", sorted(&c.expose_headers))
            .with("cors.max_age", c.max_age.map_or(Value::Null, Value::from))
            .with(
                "cors.allow_credentials",
                c.allow_credentials.unwrap_or(false),
            );
    }
    Some(r)
}

/// An HTTP API as the model has it: its id, protocol, CORS and tags.
pub fn live(name: &str, api: &aws_sdk_apigatewayv2::types::Api) -> Resource {
    let mut http = Resource::new(super::Kind::HttpApi, "api", name)
        .with(ID, api.api_id().unwrap_or_default())
        .with(PROTOCOL, api.protocol_type().map_or("HTTP", |p| p.as_str()));
    if let Some(c) = api.cors_configuration() {
        let sorted = |v: &[String]| {
            let mut v = v.to_vec();
            v.sort();
            v
        };
        http = http
            .with("cors.allow_origins", sorted(c.allow_origins()))
            .with("cors.allow_methods", sorted(c.allow_methods()))
            .with("cors.allow_headers", sorted(c.allow_headers()))
            .with("cors.expose_headers", sorted(c.expose_headers()))
            .with("cors.max_age", c.max_age().map_or(Value::Null, Value::from))
            .with(
                "cors.allow_credentials",
                c.allow_credentials().unwrap_or(false),
            );
    }
    http = http.with_map(TAGS, api.tags().into_iter().flatten());
    http
}

/// The API's id, for the changes of its parts.
pub fn api_id(a: &Applier) -> Result<String, AwsError> {
    a.ids.get("http_api").ok_or_else(|| AwsError {
        operation: "GetApis",
        target: "the HTTP API".into(),
        message: "the API does not exist".into(),
    })
}

fn cors(r: &Resource) -> Option<Cors> {
    r.attrs.contains_key("cors.allow_origins").then(|| {
        Cors::builder()
            .set_allow_origins(Some(attr_list(r, "cors.allow_origins")))
            .set_allow_methods(Some(attr_list(r, "cors.allow_methods")))
            .set_allow_headers(Some(attr_list(r, "cors.allow_headers")))
            .set_expose_headers(Some(attr_list(r, "cors.expose_headers")))
            .set_max_age(attr_i32(r, "cors.max_age"))
            .allow_credentials(attr(r, "cors.allow_credentials") == true)
            .build()
    })
}

async fn apply(a: &Applier, step: &Step) -> Result<(), AwsError> {
    let r = step.resource();
    let name = r.name.as_str();
    match step.action {
        Action::Create => {
            let create = || async {
                a.apigw
                    .create_api()
                    .name(name)
                    .protocol_type(ProtocolType::Http)
                    .set_cors_configuration(cors(r))
                    .set_tags(Some(attr_map(r, TAGS)))
                    .customize()
                    .config_override(without_retries())
                    .send()
                    .await
                    .map(|out| out.api_id.unwrap_or_default())
            };
            let tags = attr_map(r, TAGS);
            // A read, not counted among the writes.
            let find = || async {
                let apis = follow(&a.lookups, "ApiGatewayV2.GetApis", name, |token| async {
                    let out = a
                        .apigw
                        .get_apis()
                        .set_next_token(token)
                        .send()
                        .await
                        .map_err(|e| AwsError::new("GetApis", name, e))?;
                    Ok((out.items.unwrap_or_default(), out.next_token))
                })
                .await?;
                Ok(apis
                    .iter()
                    .find(|api| {
                        api.name() == Some(name)
                            && ["slsr:service", "slsr:stage"]
                                .iter()
                                .all(|k| api.tags().and_then(|t| t.get(*k)) == tags.get(*k))
                    })
                    .and_then(|api| api.api_id().map(str::to_string)))
            };
            // API Gateway gives a second API of one name as readily as the first: one made
            // since the plan (a concurrent apply) is reported, never doubled.
            if let Some(id) = find().await? {
                return Err(AwsError {
                    operation: "CreateApi",
                    target: name.to_string(),
                    message: format!(
                        "an HTTP API of this name and this service and stage's tags (id {id}) was made since the plan, by another apply or by hand; run `slsr plan` again"
                    ),
                });
            }
            let id = create_once("CreateApi", name, create, find).await?;
            a.ids.set("http_api", id);
        }
        Action::Delete => {
            // Its own id: a duplicate API of the service is deleted by destroy too.
            let id = match attr_str(r, ID) {
                id if !id.is_empty() && !crate::engine::desired::still_unknown(&id) => id,
                _ => api_id(a)?,
            };
            a.apigw
                .delete_api()
                .api_id(id)
                .send()
                .await
                .or_gone("DeleteApi", name)?;
        }
        _ => {
            let id = api_id(a)?;
            if step.changes("cors.") {
                match cors(r) {
                    Some(c) => {
                        a.apigw
                            .update_api()
                            .api_id(&id)
                            .cors_configuration(c)
                            .send()
                            .await
                            .map_err(|e| AwsError::new("UpdateApi", name, e))?;
                    }
                    None => {
                        a.apigw
                            .delete_cors_configuration()
                            .api_id(&id)
                            .send()
                            .await
                            .or_gone("DeleteCorsConfiguration", name)?;
                    }
                }
            }
            let arn = format!(
                "arn:aws:apigateway:{}::/apis/{id}",
                a.apigw
                    .config()
                    .region()
                    .map(|r| r.to_string())
                    .unwrap_or_default()
            );
            tag_by_arn!(a.apigw, &arn, name, tag_changes(step)).await?;
        }
    }
    Ok(())
}

/// Attempts at a create that API Gateway does not deduplicate (throttled ones not counted).
const CREATE_ATTEMPTS: u32 = 4;

/// The longest pause between throttled attempts at such a create.
const LONGEST_THROTTLED_PAUSE: Duration = Duration::from_secs(5);

pub(crate) fn without_retries() -> aws_sdk_apigatewayv2::config::Builder {
    aws_sdk_apigatewayv2::config::Builder::default().retry_config(RetryConfig::disabled())
}

/// Makes something API Gateway does not deduplicate (an API, an integration) exactly once,
/// and returns its id. A create whose answer is lost may have taken effect, and the SDK's
/// own retry would then make a second one. So `create` goes without the SDK's retries, and
/// after a failure that may have taken effect (no answer, or a 5xx), `find` looks for what
/// it made before it is sent again. A throttle means the call was not made, so it is sent
/// again without looking, uncounted, with backoff, for as long as the SDK would wait one
/// out (`pace::THROTTLED_PATIENCE`).
pub(crate) async fn create_once<E, C, CF, F, FF>(
    operation: &'static str,
    target: &str,
    create: C,
    find: F,
) -> Result<String, AwsError>
where
    E: std::error::Error + ProvideErrorMetadata + 'static,
    C: Fn() -> CF,
    CF: Future<Output = Result<String, SdkError<E, HttpResponse>>>,
    F: Fn() -> FF,
    FF: Future<Output = Result<Option<String>, AwsError>>,
{
    let started = tokio::time::Instant::now();
    let mut pause = Duration::from_millis(250);
    let mut throttled_pause = Duration::from_millis(250);
    let mut attempt = 0;
    loop {
        let err = match create().await {
            Ok(id) => return Ok(id),
            Err(e) => e,
        };
        if crate::aws::pace::was_throttled(&err)
            && started.elapsed() < crate::aws::pace::THROTTLED_PATIENCE
        {
            tokio::time::sleep(throttled_pause).await;
            throttled_pause = (throttled_pause * 2).min(LONGEST_THROTTLED_PAUSE);
            continue;
        }
        attempt += 1;
        let maybe_made = match &err {
            SdkError::DispatchFailure(_)
            | SdkError::TimeoutError(_)
            | SdkError::ResponseError(_) => true,
            SdkError::ServiceError(s) => s.raw().status().is_server_error(),
            _ => false,
        };
        if attempt >= CREATE_ATTEMPTS || !maybe_made {
            return Err(AwsError::new(operation, target, err));
        }
        tokio::time::sleep(pause).await;
        pause *= 2;
        if maybe_made && let Some(id) = find().await? {
            return Ok(id);
        }
    }
}

#[cfg(test)]
mod tests {
    use std::collections::HashMap;

    use aws_sdk_apigatewayv2::operation::create_api::CreateApiOutput;
    use aws_sdk_apigatewayv2::operation::get_apis::GetApisOutput;
    use aws_sdk_apigatewayv2::types::Api;
    use aws_smithy_mocks::{RuleMode, mock, mock_client};

    use super::*;

    fn create_step() -> Step {
        let r = Resource::new(super::super::Kind::HttpApi, "api", "shop-dev")
            .with("tags.slsr:service", "shop")
            .with("tags.slsr:stage", "dev");
        crate::apply::testing::step(Action::Create, None, r, vec![])
    }

    fn applier(apigw: aws_sdk_apigatewayv2::Client) -> Applier {
        let mut a = crate::apply::testing::applier(HashMap::new());
        a.clients.apigw = apigw;
        a
    }

    #[tokio::test]
    async fn an_api_made_since_the_plan_by_another_run_is_reported_not_doubled() {
        let theirs = mock!(aws_sdk_apigatewayv2::Client::get_apis).then_output(|| {
            GetApisOutput::builder()
                .items(
                    Api::builder()
                        .name("shop-dev")
                        .api_id("made-by-the-other-run")
                        .tags("slsr:service", "shop")
                        .tags("slsr:stage", "dev")
                        .build(),
                )
                .build()
        });
        let create = mock!(aws_sdk_apigatewayv2::Client::create_api)
            .then_output(|| CreateApiOutput::builder().api_id("a-second").build());
        let a = applier(mock_client!(
            aws_sdk_apigatewayv2,
            RuleMode::MatchAny,
            [&theirs, &create]
        ));
        let err = apply(&a, &create_step()).await.unwrap_err();
        assert!(err.message.contains("made-by-the-other-run"), "{err}");
        assert_eq!(create.num_calls(), 0, "no second API");

        // Someone else's API of the name is not ours: it does not stop the create.
        let other = mock!(aws_sdk_apigatewayv2::Client::get_apis).then_output(|| {
            GetApisOutput::builder()
                .items(Api::builder().name("shop-dev").api_id("theirs").build())
                .build()
        });
        let a = applier(mock_client!(
            aws_sdk_apigatewayv2,
            RuleMode::MatchAny,
            [&other, &create]
        ));
        apply(&a, &create_step()).await.unwrap();
        assert_eq!(create.num_calls(), 1);
        assert_eq!(a.ids.get("http_api").as_deref(), Some("a-second"));
    }
}
