//! The HTTP API (API Gateway v2): GetApis (tags included) to find `{service}-{stage}`, then
//! its routes, integrations, stages and authorizers, one listing each, each followed page by
//! page (the SDK has no paginators for them).

use super::{Reader, Scope, conflict};
use crate::aws::AwsError;
use crate::aws::pages::follow;
use crate::engine::model::{Kind, Resource, State, address};
use crate::kinds;

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
    let duplicates: Vec<Resource> = owned.map(|a| kinds::http_api::live(&name, &a)).collect();
    let id = api.api_id().unwrap_or_default().to_string();
    let http = kinds::http_api::live(&name, &api);
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
    // Authorizers and integrations by their ids; routes name them by address.
    let mut authorizer_keys = std::collections::HashMap::new();
    for a in &authorizers {
        let authorizer = kinds::authorizer::live(a);
        authorizer_keys.insert(authorizer.name.clone(), authorizer.address());
        resources.push(authorizer);
    }
    let mut integration_keys = std::collections::HashMap::new();
    for i in &integrations {
        let integration = kinds::integration::live(scope, i);
        integration_keys.insert(integration.name.clone(), integration.address());
        resources.push(integration);
    }
    for route in &routes {
        resources.push(kinds::route::live(
            route,
            &integration_keys,
            &authorizer_keys,
        ));
    }
    resources.extend(stages.iter().map(kinds::stage::live));
    Ok((resources, vec![], Some(id.to_string()), kept))
}
