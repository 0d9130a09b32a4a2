//! The HTTP API (API Gateway v2): GetApis (tags included) to find `{service}-{stage}`, then
//! its routes, integrations, stages and authorizers, one listing each, each followed page by
//! page (the SDK has no paginators for them).

use serde_json::Value;

use super::{Reader, Scope, conflict};
use crate::aws::AwsError;
use crate::aws::pages::follow;
use crate::engine::model::{Kind, Resource, State, address};

/// The API's resources, the conflicts, the API's id when slsr owns one, and APIs of the
/// same name that are someone else's (kept). A second owned API of the name is returned as
/// a second `http_api.api`, which the caller reports (`Live::duplicate_conflicts`).
pub async fn read(
    r: &Reader,
    scope: &Scope,
    wanted: &State,
) -> Result<
    (
        Vec<Resource>,
        Vec<crate::engine::model::Conflict>,
        Option<String>,
        Vec<crate::engine::model::Kept>,
    ),
    AwsError,
> {
    let name = format!("{}-{}", scope.service, scope.stage);
    let apis = follow(
        &r.calls,
        "ApiGatewayV2.GetApis",
        "HTTP APIs",
        |token| async {
            let out = r
                .apigw
                .get_apis()
                .set_next_token(token)
                .send()
                .await
                .map_err(|e| AwsError::new("GetApis", "HTTP APIs", e))?;
            Ok((out.items.unwrap_or_default(), out.next_token))
        },
    )
    .await?;
    let (owned, others): (Vec<_>, Vec<_>) = apis
        .into_iter()
        .filter(|a| a.name() == Some(name.as_str()))
        .partition(|a| scope.owns(&a.tags().cloned().unwrap_or_default()));
    let mut owned = owned.into_iter();
    let Some(api) = owned.next() else {
        let at = address(Kind::HttpApi, "api");
        let conflicts = if !others.is_empty() && wanted.resources.contains_key(&at) {
            vec![conflict(at, &name, scope)]
        } else {
            vec![]
        };
        return Ok((vec![], conflicts, None, vec![]));
    };
    let kept = others
        .iter()
        .map(|other| crate::engine::model::Kept {
            address: address(Kind::HttpApi, "api"),
            name: format!("{name} (id {})", other.api_id().unwrap_or_default()),
            reason:
                "an HTTP API of the same name without this service and stage's tags; slsr leaves it"
                    .into(),
        })
        .collect();
    // Further owned APIs of the name: each a second claim on `http_api.api`.
    let duplicates: Vec<Resource> = owned.map(|a| http_api(&name, &a)).collect();
    let id = api.api_id().unwrap_or_default().to_string();
    let http = http_api(&name, &api);
    let id = id.as_str();
    // One of the API's listings (`get_routes`, "GetRoutes"), every page of it.
    macro_rules! listing {
        ($call:ident, $operation:literal) => {
            follow(
                &r.calls,
                concat!("ApiGatewayV2.", $operation),
                id,
                |token| async {
                    let out = r
                        .apigw
                        .$call()
                        .api_id(id)
                        .set_next_token(token)
                        .send()
                        .await
                        .map_err(|e| AwsError::new($operation, id, e))?;
                    Ok((out.items.unwrap_or_default(), out.next_token))
                },
            )
        };
    }
    let (routes, integrations, stages, authorizers) = tokio::try_join!(
        listing!(get_routes, "GetRoutes"),
        listing!(get_integrations, "GetIntegrations"),
        listing!(get_stages, "GetStages"),
        listing!(get_authorizers, "GetAuthorizers"),
    )?;
    let mut resources = vec![http];
    resources.extend(duplicates);
    // Authorizers by their name (the spec's key); routes name them by address.
    let mut authorizer_keys = std::collections::HashMap::new();
    for a in &authorizers {
        let key = a.name().unwrap_or_default();
        let authorizer_id = a.authorizer_id().unwrap_or_default();
        authorizer_keys.insert(authorizer_id.to_string(), format!("authorizer.{key}"));
        let jwt = a.jwt_configuration();
        let mut audience = jwt.map(|j| j.audience().to_vec()).unwrap_or_default();
        audience.sort();
        resources.push(
            Resource::new(Kind::Authorizer, key, authorizer_id)
                .with("type", a.authorizer_type().map_or("", |t| t.as_str()))
                .with(
                    "identity_source",
                    a.identity_source().first().map_or("", String::as_str),
                )
                .with("issuer", jwt.and_then(|j| j.issuer()).unwrap_or_default())
                .with("audience", audience),
        );
    }
    let mut integration_keys = std::collections::HashMap::new();
    for i in &integrations {
        let uri = i.integration_uri().unwrap_or_default();
        // The function's name sits after `function:` in its ARN.
        let function = uri
            .split("function:")
            .nth(1)
            .and_then(|rest| rest.split([':', '/']).next())
            .unwrap_or_default();
        let key = scope.logical(function).unwrap_or(function).to_string();
        let integration_id = i.integration_id().unwrap_or_default();
        integration_keys.insert(format!("integrations/{integration_id}"), key.clone());
        resources.push(
            Resource::new(Kind::Integration, key, integration_id)
                .with("integration_uri", uri)
                .with(
                    "payload_format_version",
                    i.payload_format_version().unwrap_or("2.0"),
                ),
        );
    }
    for route in &routes {
        let key = route.route_key().unwrap_or_default();
        let target = route.target().map(|t| {
            integration_keys
                .get(t)
                .map_or_else(|| t.to_string(), |k| format!("integration.{k}"))
        });
        resources.push(
            Resource::new(Kind::Route, key, route.route_id().unwrap_or_default())
                .with("target", target.map_or(Value::Null, Value::from))
                .with(
                    "authorization",
                    route.authorization_type().map_or("NONE", |a| a.as_str()),
                )
                .with(
                    "authorizer",
                    route
                        .authorizer_id()
                        .filter(|id| !id.is_empty())
                        .map_or(Value::Null, |id| {
                            Value::from(authorizer_keys.get(id).cloned().unwrap_or(id.to_string()))
                        }),
                ),
        );
    }
    for stage in &stages {
        let stage_name = stage.stage_name().unwrap_or_default();
        resources.push(
            Resource::new(Kind::Stage, stage_name, stage_name)
                .with("auto_deploy", stage.auto_deploy().unwrap_or(false)),
        );
    }
    Ok((resources, vec![], Some(id.to_string()), kept))
}

/// An HTTP API as the model has it: its id, protocol, CORS and tags.
fn http_api(name: &str, api: &aws_sdk_apigatewayv2::types::Api) -> Resource {
    let mut http = Resource::new(Kind::HttpApi, "api", name)
        .with("id", api.api_id().unwrap_or_default())
        .with(
            "protocol",
            api.protocol_type().map_or("HTTP", |p| p.as_str()),
        );
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
    for (k, v) in api.tags().into_iter().flatten() {
        http = http.with(&format!("tags.{k}"), v.as_str());
    }
    http
}
