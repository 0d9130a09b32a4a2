//! The API mapping of an API's stage at the base path of its custom domain (API Gateway
//! v2's CreateApiMapping, which maps HTTP and REST APIs' stages alike), keyed as its domain
//! is (`api_mapping.http_api`). Mappings carry no tags: slsr's are those on its own domain
//! that map its own API; others' there are kept (`aws/read/domains.rs`). A new base path,
//! API or stage is an UpdateApiMapping; a new domain replaces it. It needs its API, stage
//! and domain, so it goes before them when deleted.

use aws_sdk_apigatewayv2::types::ApiMapping;
use serde_json::Value;

use super::{Index, KindInfo, Tags, attr_opt, attr_str};
use crate::apply::{Applier, Settle, Step};
use crate::aws::AwsError;
use crate::engine::desired::{Builder, still_unknown};
use crate::engine::model::{KNOWN_AFTER_APPLY, Resource, State, address};
use crate::engine::plan::Action;

pub static INFO: KindInfo = KindInfo {
    prefix: "api_mapping",
    naming: "{domain}/{base_path}, one per API with a domain, keyed as its domain; AWS gives it an id",
    tags: Tags::Untagged,
    replaced_by: &[DOMAIN],
    holds_data: false,
    desired,
    needs,
    serial_with: super::not_serial,
    public: super::never_public,
    identity: &[DOMAIN, API, STAGE],
    about: super::nothing_to_add,
    write: super::writer!(apply),
};

/// The domain's name.
pub const DOMAIN: &str = "domain";
/// The address of the API mapped (`http_api.api`), and its id in AWS.
pub const API: &str = "api";
pub const API_ID: &str = "api_id";
/// The stage's name in AWS (`$default`).
pub const STAGE: &str = "stage";
/// The path under the domain; null for the root.
pub const BASE_PATH: &str = "base_path";
/// The id AWS gives the mapping: known after apply for a new one.
pub const ID: &str = "id";

/// How plans name a mapping: its domain and base path.
fn label(domain: &str, base: Option<&str>) -> String {
    format!("{domain}/{}", base.unwrap_or_default())
}

fn desired(b: &Builder, state: &mut State) {
    for s in super::domain_name::served(b) {
        state.insert(
            Resource::new(
                super::Kind::ApiMapping,
                s.key,
                label(&s.domain.name, s.domain.base_path.as_deref()),
            )
            .with(ID, KNOWN_AFTER_APPLY)
            .with(DOMAIN, s.domain.name.as_str())
            .with(API, s.api.as_str())
            .with(API_ID, s.api_id.as_deref().unwrap_or(KNOWN_AFTER_APPLY))
            .with(STAGE, s.stage.as_str())
            .with(
                BASE_PATH,
                s.domain.base_path.clone().map_or(Value::Null, Value::from),
            ),
        );
    }
}

/// The address of the stage a mapping maps, by the kind of API (its address word).
fn stage_address(api: &str, stage: &str) -> Option<String> {
    match api.split('.').next() {
        Some("http_api") => Some(address(super::Kind::Stage, stage)),
        // The REST API's one stage, made by its first deployment.
        Some("rest_api") => Some(address(super::Kind::RestStage, "api")),
        _ => None,
    }
}

fn needs(r: &Resource, _: &Index) -> Vec<String> {
    let api = attr_str(r, API);
    let mut needs = vec![super::domain_name::of(&r.key)];
    needs.extend(stage_address(&api, &attr_str(r, STAGE)));
    needs.push(api);
    needs
}

/// A mapping as GetApiMappings lists it, on the domain `domain` of key `key`, mapping the
/// API at address `api`.
pub fn live(key: &str, domain: &str, api: &str, m: &ApiMapping) -> Resource {
    let base = m.api_mapping_key().filter(|k| !k.is_empty());
    Resource::new(super::Kind::ApiMapping, key, label(domain, base))
        .with(ID, m.api_mapping_id().unwrap_or_default())
        .with(DOMAIN, domain)
        .with(API, api)
        .with(API_ID, m.api_id().unwrap_or_default())
        .with(STAGE, m.stage().unwrap_or_default())
        .with(BASE_PATH, base.map_or(Value::Null, Value::from))
}

/// The id of the API a mapping maps: as the plan read it, else the one apply just made
/// (each API's writer keeps it under its own key).
fn api_id(a: &Applier, r: &Resource) -> Result<String, AwsError> {
    let id = attr_str(r, API_ID);
    if !id.is_empty() && !still_unknown(&id) {
        return Ok(id);
    }
    let api = attr_str(r, API);
    if api == super::http_api::the_api() {
        return super::http_api::api_id(a);
    }
    if api == super::rest_api::the_api() {
        return super::rest_api::api_id(a);
    }
    a.ids.get(&api).ok_or_else(|| AwsError {
        operation: "CreateApiMapping",
        target: api.clone(),
        message: "the API does not exist".into(),
    })
}

async fn apply(a: &Applier, step: &Step) -> Result<(), AwsError> {
    let r = step.resource();
    let domain = attr_str(r, DOMAIN);
    let base = attr_opt(r, BASE_PATH).unwrap_or_default();
    match step.action {
        Action::Create => {
            let api = api_id(a, r)?;
            let made = a
                .apigw
                .create_api_mapping()
                .domain_name(&domain)
                .api_id(&api)
                .stage(attr_str(r, STAGE))
                .api_mapping_key(&base)
                .send()
                .await
                .or_exists("CreateApiMapping", &domain)?;
            if made.is_none() {
                // A base path taken: by a lost attempt of this call (the same API and
                // stage) or by someone else's mapping since the plan, which stays.
                let ours = mapping_at(a, &domain, &base).await?;
                if ours.as_ref().and_then(|m| m.api_id()) != Some(api.as_str()) {
                    return Err(AwsError {
                        operation: "CreateApiMapping",
                        target: format!("{domain}/{base}"),
                        message: "another API's mapping took this base path since the plan; slsr leaves it alone".into(),
                    });
                }
            }
        }
        Action::Delete => {
            a.apigw
                .delete_api_mapping()
                .domain_name(&domain)
                .api_mapping_id(attr_str(r, ID))
                .send()
                .await
                .or_gone("DeleteApiMapping", &domain)?;
        }
        _ => {
            let id = step.live().map(|l| attr_str(l, ID)).unwrap_or_default();
            a.apigw
                .update_api_mapping()
                .domain_name(&domain)
                .api_mapping_id(id)
                .api_id(api_id(a, r)?)
                .stage(attr_str(r, STAGE))
                .api_mapping_key(&base)
                .send()
                .await
                .map_err(|e| AwsError::new("UpdateApiMapping", &domain, e))?;
        }
    }
    Ok(())
}

/// The mapping at a base path of a domain, if any (every page).
async fn mapping_at(a: &Applier, domain: &str, base: &str) -> Result<Option<ApiMapping>, AwsError> {
    let mappings = crate::aws::pages::follow(
        &a.lookups,
        "ApiGatewayV2.GetApiMappings",
        domain,
        |token| async move {
            let out = a
                .apigw
                .get_api_mappings()
                .domain_name(domain)
                .set_next_token(token)
                .send()
                .await
                .map_err(|e| AwsError::new("GetApiMappings", domain, e))?;
            Ok((out.items.unwrap_or_default(), out.next_token))
        },
    )
    .await?;
    Ok(mappings
        .into_iter()
        .find(|m| m.api_mapping_key().unwrap_or_default() == base))
}
