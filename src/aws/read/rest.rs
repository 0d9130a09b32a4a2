//! The REST API (API Gateway v1): GetRestApis (tags included) to find `{service}-{stage}`,
//! then its resources with their methods and integrations embedded (GetResources), and the
//! stage's settings and deployment (GetStage, GetDeployment: the digest it records), with
//! API keys, usage plans (`rest_keys.rs`) and the access log's group (`rest_logs.rs`). Each
//! listing is followed page by page.

use super::{Live, Reader, Scope, conflict};
use crate::aws::AwsError;
use crate::aws::pages::follow;
use crate::engine::model::{Kept, Kind, State, address};
use crate::kinds;

pub async fn read(r: &Reader, scope: &Scope, wanted: &State) -> Result<Live, AwsError> {
    let name = format!("{}-{}", scope.service, scope.stage);
    let apis = follow(
        &r.calls,
        "APIGateway.GetRestApis",
        "REST APIs",
        |position| async {
            let out = r
                .rest
                .get_rest_apis()
                .set_position(position)
                .send()
                .await
                .map_err(|e| AwsError::new("GetRestApis", "REST APIs", e))?;
            Ok((out.items.unwrap_or_default(), out.position))
        },
    )
    .await?;
    let (owned, others): (Vec<_>, Vec<_>) = apis
        .into_iter()
        .filter(|a| a.name() == Some(name.as_str()))
        .partition(|a| scope.owns(&a.tags().cloned().unwrap_or_default()));
    let mut live = Live::default();
    let at = address(Kind::RestApi, "api");
    // API keys, usage plans and the access log's group: read while the spec wants the API
    // or slsr owns one.
    if !owned.is_empty() || wanted.resources.contains_key(&at) {
        let (keys, logs) = tokio::try_join!(
            super::rest_keys::read(r, scope, wanted),
            super::rest_logs::read(r, scope, wanted),
        )?;
        live.merge(keys);
        live.merge(logs);
    }
    let mut owned = owned.into_iter();
    let Some(api) = owned.next() else {
        if !others.is_empty() && wanted.resources.contains_key(&at) {
            live.state.conflicts.push(conflict(at, &name, scope));
        }
        return Ok(live);
    };
    live.state.kept.extend(others.iter().map(|other| {
        Kept {
            address: at.clone(),
            name: format!("{name} (id {})", other.id().unwrap_or_default()),
            reason:
                "a REST API of the same name without this service and stage's tags; slsr leaves it"
                    .into(),
        }
    }));
    let region = r
        .rest
        .config()
        .region()
        .map(|r| r.to_string())
        .unwrap_or_default();
    // Further owned APIs of the name: each a second claim on `rest_api.api`.
    live.duplicates
        .extend(owned.map(|a| kinds::rest_api::live(&name, &a, &region, &scope.stage)));
    let id = api.id().unwrap_or_default().to_string();
    let resources = follow(&r.calls, "APIGateway.GetResources", &id, |position| async {
        let out = r
            .rest
            .get_resources()
            .rest_api_id(&id)
            .embed("methods")
            .set_position(position)
            .send()
            .await
            .map_err(|e| AwsError::new("GetResources", &id, e))?;
        Ok((out.items.unwrap_or_default(), out.position))
    })
    .await?;
    let mut tree = kinds::rest_deployment::tree(&resources);
    let authorizers = super::rest_authorizers::read(r, &id).await?;
    kinds::rest_authorizer::name_methods(&mut tree, &authorizers);
    live.rest_authorizer_ids = authorizers
        .iter()
        .map(|a| (a.key.clone(), a.name.clone()))
        .collect();
    // The deployment's digest covers the authorizers, as the desired one does.
    tree.extend(authorizers);
    r.calls.count("APIGateway.GetStage");
    let stage = match r
        .rest
        .get_stage()
        .rest_api_id(&id)
        .stage_name(&scope.stage)
        .send()
        .await
    {
        Ok(stage) => Some(stage),
        Err(e)
            if e.as_service_error()
                .is_some_and(|s| s.is_not_found_exception()) =>
        {
            None
        }
        Err(e) => return Err(AwsError::new("GetStage", &id, e)),
    };
    if let Some(stage) = &stage {
        live.state
            .insert(kinds::rest_stage::live(&scope.stage, stage));
    }
    if let Some(deployment_id) = stage.as_ref().and_then(|s| s.deployment_id()) {
        r.calls.count("APIGateway.GetDeployment");
        let deployment = r
            .rest
            .get_deployment()
            .rest_api_id(&id)
            .deployment_id(deployment_id)
            .send()
            .await
            .map_err(|e| AwsError::new("GetDeployment", &id, e))?;
        live.state.insert(kinds::rest_deployment::live(
            &scope.stage,
            kinds::rest_deployment::recorded(deployment.description()),
            &tree,
        ));
    }
    live.state
        .insert(kinds::rest_api::live(&name, &api, &region, &scope.stage));
    for resource in tree {
        live.state.insert(resource);
    }
    live.rest_api_id = Some(id);
    Ok(live)
}
