//! Applying the HTTP API: the API (CORS, tags), one Lambda proxy integration per function,
//! the routes, and the `$default` stage with automatic deployment. Ids AWS assigns (the
//! API's, each integration's) are kept for the changes that name them.

use std::time::Duration;

use aws_config::retry::RetryConfig;
use aws_sdk_apigatewayv2::error::{ProvideErrorMetadata, SdkError};
use aws_sdk_apigatewayv2::types::{
    AuthorizationType, AuthorizerType, Cors, IntegrationType, JwtConfiguration, ProtocolType,
};
use aws_smithy_runtime_api::client::orchestrator::HttpResponse;

use super::{Applier, Settle, Step, attr_i32, attr_list, attr_map, attr_str, tag_changes};
use crate::aws::{AwsError, pace};
use crate::model::{Kind, Resource};
use crate::plan::Action;

pub async fn apply(a: &Applier, step: &Step) -> Result<(), AwsError> {
    match step.change.kind {
        Kind::HttpApi => api(a, step).await,
        Kind::Integration => integration(a, step).await,
        Kind::Route => route(a, step).await,
        Kind::Authorizer => authorizer(a, step).await,
        _ => stage(a, step).await,
    }
}

fn api_id(a: &Applier) -> Result<String, AwsError> {
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
            .allow_credentials(r.attrs["cors.allow_credentials"] == true)
            .build()
    })
}

async fn api(a: &Applier, step: &Step) -> Result<(), AwsError> {
    let r = step.resource();
    let name = r.name.as_str();
    match step.action {
        Action::Create => {
            let create = || async {
                a.write("ApiGatewayV2.CreateApi");
                a.apigw
                    .create_api()
                    .name(name)
                    .protocol_type(ProtocolType::Http)
                    .set_cors_configuration(cors(r))
                    .set_tags(Some(attr_map(r, "tags")))
                    .customize()
                    .config_override(without_retries())
                    .send()
                    .await
                    .map(|out| out.api_id.unwrap_or_default())
            };
            let tags = attr_map(r, "tags");
            let find = || async {
                a.write("ApiGatewayV2.GetApis");
                let apis = a
                    .apigw
                    .get_apis()
                    .send()
                    .await
                    .map_err(|e| AwsError::new("GetApis", name, e))?;
                Ok(apis
                    .items()
                    .iter()
                    .find(|api| {
                        api.name() == Some(name)
                            && ["slsr:service", "slsr:stage"]
                                .iter()
                                .all(|k| api.tags().and_then(|t| t.get(*k)) == tags.get(*k))
                    })
                    .and_then(|api| api.api_id().map(str::to_string)))
            };
            let id = create_once("CreateApi", name, create, find).await?;
            a.ids.set("http_api", id);
        }
        Action::Delete => {
            let id = api_id(a)?;
            a.write("ApiGatewayV2.DeleteApi");
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
                        a.write("ApiGatewayV2.UpdateApi");
                        a.apigw
                            .update_api()
                            .api_id(&id)
                            .cors_configuration(c)
                            .send()
                            .await
                            .map_err(|e| AwsError::new("UpdateApi", name, e))?;
                    }
                    None => {
                        a.write("ApiGatewayV2.DeleteCorsConfiguration");
                        a.apigw
                            .delete_cors_configuration()
                            .api_id(&id)
                            .send()
                            .await
                            .or_gone("DeleteCorsConfiguration", name)?;
                    }
                }
            }
            let (set, remove) = tag_changes(step);
            let arn = format!(
                "arn:aws:apigateway:{}::/apis/{id}",
                a.apigw
                    .config()
                    .region()
                    .map(|r| r.to_string())
                    .unwrap_or_default()
            );
            if !set.is_empty() {
                a.write("ApiGatewayV2.TagResource");
                a.apigw
                    .tag_resource()
                    .resource_arn(&arn)
                    .set_tags(Some(set))
                    .send()
                    .await
                    .map_err(|e| AwsError::new("TagResource", name, e))?;
            }
            if !remove.is_empty() {
                a.write("ApiGatewayV2.UntagResource");
                a.apigw
                    .untag_resource()
                    .resource_arn(&arn)
                    .set_tag_keys(Some(remove))
                    .send()
                    .await
                    .map_err(|e| AwsError::new("UntagResource", name, e))?;
            }
        }
    }
    Ok(())
}

async fn integration(a: &Applier, step: &Step) -> Result<(), AwsError> {
    let r = step.resource();
    let id = api_id(a)?;
    let target = step.change.address.clone();
    match step.action {
        Action::Create => {
            let uri = attr_str(r, "integration_uri");
            let create = || async {
                a.write("ApiGatewayV2.CreateIntegration");
                a.apigw
                    .create_integration()
                    .api_id(&id)
                    .integration_type(IntegrationType::AwsProxy)
                    .integration_uri(&uri)
                    .payload_format_version(attr_str(r, "payload_format_version"))
                    .customize()
                    .config_override(without_retries())
                    .send()
                    .await
                    .map(|out| out.integration_id.unwrap_or_default())
            };
            // One integration per function: the one with this function's URI.
            let find = || async {
                a.write("ApiGatewayV2.GetIntegrations");
                let integrations = a
                    .apigw
                    .get_integrations()
                    .api_id(&id)
                    .send()
                    .await
                    .map_err(|e| AwsError::new("GetIntegrations", &target, e))?;
                Ok(integrations
                    .items()
                    .iter()
                    .find(|i| i.integration_uri() == Some(uri.as_str()))
                    .and_then(|i| i.integration_id().map(str::to_string)))
            };
            let made = create_once("CreateIntegration", &target, create, find).await?;
            a.ids.set(&target, made);
        }
        Action::Delete => {
            a.write("ApiGatewayV2.DeleteIntegration");
            a.apigw
                .delete_integration()
                .api_id(&id)
                .integration_id(&r.name)
                .send()
                .await
                .or_gone("DeleteIntegration", &target)?;
        }
        _ => {
            let integration_id = step.live().map(|l| l.name.clone()).unwrap_or_default();
            a.write("ApiGatewayV2.UpdateIntegration");
            a.apigw
                .update_integration()
                .api_id(&id)
                .integration_id(integration_id)
                .integration_uri(attr_str(r, "integration_uri"))
                .payload_format_version(attr_str(r, "payload_format_version"))
                .send()
                .await
                .map_err(|e| AwsError::new("UpdateIntegration", target, e))?;
        }
    }
    Ok(())
}

async fn route(a: &Applier, step: &Step) -> Result<(), AwsError> {
    let r = step.resource();
    let id = api_id(a)?;
    let key = step.change.address.clone();
    if step.action == Action::Delete {
        a.write("ApiGatewayV2.DeleteRoute");
        return a
            .apigw
            .delete_route()
            .api_id(&id)
            .route_id(&r.name)
            .send()
            .await
            .map(|_| ())
            .or_gone("DeleteRoute", &key);
    }
    let integration = attr_str(r, "target");
    let integration_id = a.ids.get(&integration).ok_or_else(|| AwsError {
        operation: "CreateRoute",
        target: key.clone(),
        message: format!("{integration} does not exist"),
    })?;
    let authorization = AuthorizationType::from(attr_str(r, "authorization").as_str());
    // A JWT route names its authorizer by address; AWS by id.
    let authorizer_id = match r.attrs.get("authorizer").and_then(|v| v.as_str()) {
        Some(address) => Some(a.ids.get(address).ok_or_else(|| AwsError {
            operation: "CreateRoute",
            target: key.clone(),
            message: format!("{address} does not exist"),
        })?),
        None => None,
    };
    if step.action == Action::Create {
        a.write("ApiGatewayV2.CreateRoute");
        a.apigw
            .create_route()
            .api_id(&id)
            .route_key(&r.key)
            .target(format!("integrations/{integration_id}"))
            .authorization_type(authorization)
            .set_authorizer_id(authorizer_id)
            .send()
            .await
            .or_exists("CreateRoute", &key)?;
    } else {
        let route_id = step.live().map(|l| l.name.clone()).unwrap_or_default();
        a.write("ApiGatewayV2.UpdateRoute");
        a.apigw
            .update_route()
            .api_id(&id)
            .route_id(route_id)
            .target(format!("integrations/{integration_id}"))
            .authorization_type(authorization)
            .set_authorizer_id(authorizer_id.or_else(|| {
                // An empty id takes the authorizer the route had off it.
                step.live()
                    .is_some_and(|l| !l.attrs["authorizer"].is_null())
                    .then(String::new)
            }))
            .send()
            .await
            .map_err(|e| AwsError::new("UpdateRoute", key, e))?;
    }
    Ok(())
}

fn jwt(r: &Resource) -> JwtConfiguration {
    JwtConfiguration::builder()
        .issuer(attr_str(r, "issuer"))
        .set_audience(Some(attr_list(r, "audience")))
        .build()
}

async fn authorizer(a: &Applier, step: &Step) -> Result<(), AwsError> {
    let r = step.resource();
    let id = api_id(a)?;
    let target = step.change.address.clone();
    match step.action {
        Action::Create => {
            let create = || async {
                a.write("ApiGatewayV2.CreateAuthorizer");
                a.apigw
                    .create_authorizer()
                    .api_id(&id)
                    .name(&r.key)
                    .authorizer_type(AuthorizerType::Jwt)
                    .identity_source(attr_str(r, "identity_source"))
                    .jwt_configuration(jwt(r))
                    .customize()
                    .config_override(without_retries())
                    .send()
                    .await
                    .map(|out| out.authorizer_id.unwrap_or_default())
            };
            // Authorizers are told apart by name within the API.
            let find = || async {
                a.write("ApiGatewayV2.GetAuthorizers");
                let listed = a
                    .apigw
                    .get_authorizers()
                    .api_id(&id)
                    .send()
                    .await
                    .map_err(|e| AwsError::new("GetAuthorizers", &target, e))?;
                Ok(listed
                    .items()
                    .iter()
                    .find(|x| x.name() == Some(r.key.as_str()))
                    .and_then(|x| x.authorizer_id().map(str::to_string)))
            };
            let made = create_once("CreateAuthorizer", &target, create, find).await?;
            a.ids.set(&target, made);
        }
        Action::Delete => {
            a.write("ApiGatewayV2.DeleteAuthorizer");
            a.apigw
                .delete_authorizer()
                .api_id(&id)
                .authorizer_id(&r.name)
                .send()
                .await
                .or_gone("DeleteAuthorizer", &target)?;
        }
        _ => {
            let authorizer_id = step.live().map(|l| l.name.clone()).unwrap_or_default();
            a.write("ApiGatewayV2.UpdateAuthorizer");
            a.apigw
                .update_authorizer()
                .api_id(&id)
                .authorizer_id(authorizer_id)
                .identity_source(attr_str(r, "identity_source"))
                .jwt_configuration(jwt(r))
                .send()
                .await
                .map_err(|e| AwsError::new("UpdateAuthorizer", target, e))?;
        }
    }
    Ok(())
}

async fn stage(a: &Applier, step: &Step) -> Result<(), AwsError> {
    let r = step.resource();
    let id = api_id(a)?;
    match step.action {
        Action::Create => {
            a.write("ApiGatewayV2.CreateStage");
            a.apigw
                .create_stage()
                .api_id(&id)
                .stage_name(&r.name)
                .auto_deploy(true)
                .send()
                .await
                .or_exists("CreateStage", &r.name)?;
        }
        Action::Delete => {
            a.write("ApiGatewayV2.DeleteStage");
            a.apigw
                .delete_stage()
                .api_id(&id)
                .stage_name(&r.name)
                .send()
                .await
                .or_gone("DeleteStage", &r.name)?;
        }
        _ => {
            a.write("ApiGatewayV2.UpdateStage");
            a.apigw
                .update_stage()
                .api_id(&id)
                .stage_name(&r.name)
                .auto_deploy(true)
                .send()
                .await
                .map_err(|e| AwsError::new("UpdateStage", r.name.clone(), e))?;
        }
    }
    Ok(())
}

/// Attempts at a create that API Gateway does not deduplicate (throttled ones not counted).
const CREATE_ATTEMPTS: u32 = 4;

/// The longest pause between throttled attempts at such a create.
const LONGEST_THROTTLED_PAUSE: Duration = Duration::from_secs(5);

fn without_retries() -> aws_sdk_apigatewayv2::config::Builder {
    aws_sdk_apigatewayv2::config::Builder::default().retry_config(RetryConfig::disabled())
}

/// Makes something API Gateway does not deduplicate (an API, an integration) exactly once,
/// and returns its id. A create whose answer is lost may have taken effect, and the SDK's
/// own retry would then make a second one. So `create` goes without the SDK's retries, and
/// after a failure that may have taken effect (no answer, or a 5xx), `find` looks for what
/// it made before it is sent again. A throttle means the call was not made, so it is sent
/// again without looking, uncounted, with backoff, for as long as the SDK would wait one
/// out (`pace::THROTTLED_PATIENCE`).
async fn create_once<E, C, CF, F, FF>(
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
        if pace::was_throttled(&err) && started.elapsed() < pace::THROTTLED_PATIENCE {
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
