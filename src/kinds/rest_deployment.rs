//! The REST API's deployment to its stage (named after slsr's stage). A REST API serves only
//! what a deployment holds, so apply makes one new deployment (CreateDeployment on the
//! stage, which makes the stage the first time) after any change to the API's resources,
//! methods or integrations, and none on a no-op.
//!
//! How that is known: the desired `digest` is a hash of the desired resources and methods
//! (every attribute the plan compares); slsr writes it into each deployment's description
//! (`slsr DIGEST`). The live `digest` is the one the stage's deployment records when the
//! live resources and methods still hash to it, and otherwise the live tree's own hash with
//! a note: a hand edit of a method, deployed or not, shows as drift that redeploys. `methods`
//! lists the routes it serves, so the plan shows which ones a deployment adds or removes.

use aws_sdk_apigateway::types::Resource as AwsResource;
use serde_json::Value;

use super::{Index, Kind, KindInfo, Tags, attr_list, attr_str};
use crate::apply::{Applier, Settle, Step};
use crate::aws::AwsError;
use crate::engine::desired::{Builder, canonical_json, short_hash};
use crate::engine::model::{Resource, State, address};
use crate::engine::plan::Action;

pub static INFO: KindInfo = KindInfo {
    prefix: "rest_deployment",
    naming: "a deployment id AWS gives, on the stage named after slsr's stage",
    tags: Tags::Untagged,
    replaced_by: &[],
    holds_data: false,
    desired,
    needs,
    serial_with: super::not_serial,
    public: super::never_public,
    identity: &[STAGE],
    about: |r| {
        Some(format!(
            "a new deployment of the REST API to stage {}: the API serves only what its latest deployment holds",
            attr_str(r, STAGE)
        ))
    },
    write: super::writer!(apply),
};

pub const STAGE: &str = "stage";
/// The routes the deployment serves, sorted.
pub const METHODS: &str = "methods";
/// The hash of the resources and methods it serves.
pub const DIGEST: &str = "digest";

/// What slsr writes before the digest in a deployment's description.
pub const DESCRIPTION_PREFIX: &str = "slsr ";

/// The hash of the REST API's resources and methods: their addresses and every attribute
/// the plan compares (nulls left out, as the plan leaves them out).
pub fn digest<'a>(resources: impl Iterator<Item = &'a Resource>) -> String {
    let mut tree: Vec<Value> = resources
        .filter(|r| {
            matches!(
                r.kind,
                Kind::RestResource | Kind::RestMethod | Kind::RestAuthorizer | Kind::RestCors
            )
        })
        .map(|r| {
            let attrs: serde_json::Map<String, Value> = r
                .attrs
                .iter()
                .filter(|(_, v)| !v.is_null())
                .map(|(k, v)| (k.clone(), v.clone()))
                .collect();
            serde_json::json!([r.address(), attrs])
        })
        .collect();
    tree.sort_by_key(|v| v.to_string());
    short_hash(&canonical_json(&Value::Array(tree)))
}

fn methods<'a>(resources: impl Iterator<Item = &'a Resource>) -> Vec<String> {
    let mut out: Vec<String> = resources
        .filter(|r| r.kind == Kind::RestMethod)
        .map(|r| r.key.clone())
        .collect();
    out.sort();
    out
}

fn desired(b: &Builder, state: &mut State) {
    if !super::rest_api::wanted(b) {
        return;
    }
    let deployment = Resource::new(Kind::RestDeployment, "api", b.p.stage.as_str())
        .with(STAGE, b.p.stage.as_str())
        .with(METHODS, methods(state.resources.values()))
        .with(DIGEST, digest(state.resources.values()))
        .with(
            super::rest_cors::DEPLOYMENT_PATHS,
            super::rest_cors::paths(state.resources.values()),
        );
    state.insert(deployment);
}

/// The deployment as the stage's `deployment` records it (`recorded`: its description's
/// digest), against the live resources and methods.
pub fn live(stage: &str, recorded: Option<&str>, tree: &[Resource]) -> Resource {
    let current = digest(tree.iter());
    let digest = match recorded {
        Some(d) if d == current => d.to_string(),
        Some(d) => format!("{current} (changed since deployment {d})"),
        None => format!("{current} (not deployed by slsr)"),
    };
    Resource::new(Kind::RestDeployment, "api", stage)
        .with(STAGE, stage)
        .with(METHODS, methods(tree.iter()))
        .with(DIGEST, digest)
        .with(
            super::rest_cors::DEPLOYMENT_PATHS,
            super::rest_cors::paths(tree.iter()),
        )
}

/// The digest a deployment's description records.
pub fn recorded(description: Option<&str>) -> Option<&str> {
    description.and_then(|d| d.strip_prefix(DESCRIPTION_PREFIX))
}

/// The live tree of `resources` as GetResources lists it (with its methods embedded).
pub fn tree(resources: &[AwsResource]) -> Vec<Resource> {
    let mut out = Vec::new();
    for r in resources {
        let path = r.path().unwrap_or("/");
        out.push(super::rest_resource::live(r));
        for m in r.resource_methods().into_iter().flat_map(|m| m.values()) {
            if let Some(cors) = super::rest_cors::live(path, r.id().unwrap_or_default(), m) {
                out.push(cors);
                continue;
            }
            out.push(super::rest_method::live(
                path,
                r.id().unwrap_or_default(),
                m,
            ));
        }
    }
    out
}

/// A deployment goes after the API's methods (and so their resources).
fn needs(r: &Resource, _: &Index) -> Vec<String> {
    let mut needs = vec![super::rest_api::the_api()];
    needs.extend(
        attr_list(r, METHODS)
            .iter()
            .map(|m| address(Kind::RestMethod, m)),
    );
    needs.extend(super::rest_cors::needed_by_deployment(r));
    needs
}

async fn apply(a: &Applier, step: &Step) -> Result<(), AwsError> {
    let r = step.resource();
    let target = step.change.address.clone();
    let api = super::rest_api::api_id(a)?;
    let stage = attr_str(r, STAGE);
    if step.action == Action::Delete {
        return a
            .rest
            .delete_stage()
            .rest_api_id(&api)
            .stage_name(&stage)
            .send()
            .await
            .or_gone("DeleteStage", &target);
    }
    // Apply deletes after it creates and updates, but a deployment must not hold a method
    // the plan removes: those go first (their own deletions then find them gone).
    let keep = attr_list(r, METHODS);
    for gone in step
        .live()
        .map(|l| attr_list(l, METHODS))
        .unwrap_or_default()
        .iter()
        .filter(|m| !keep.contains(m))
    {
        let method = address(Kind::RestMethod, gone);
        let Some(name) = a.ids.get(&method) else {
            continue;
        };
        let (resource_id, http_method) = super::rest_method::ids(&name);
        a.rest
            .delete_method()
            .rest_api_id(&api)
            .resource_id(resource_id)
            .http_method(http_method)
            .send()
            .await
            .or_gone("DeleteMethod", &method)?;
    }
    super::rest_cors::delete_removed(a, step, &api).await?;
    a.rest
        .create_deployment()
        .rest_api_id(&api)
        .stage_name(&stage)
        .description(format!("{DESCRIPTION_PREFIX}{}", attr_str(r, DIGEST)))
        .send()
        .await
        .map_err(|e| AwsError::new("CreateDeployment", &target, e))?;
    Ok(())
}
