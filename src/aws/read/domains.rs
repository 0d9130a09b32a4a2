//! APIs' custom domain names (API Gateway v2, for HTTP and REST APIs alike): GetDomainNames,
//! every page (its entries carry their tags), then the API mappings of each domain slsr
//! owns (GetApiMappings, every page). A domain of a name the spec wants without this
//! service and stage's tags is a conflict, and so is the mapping the spec wants on it.
//! Mappings carry no tags: once the APIs' ids are read (`classify`), those that map one of
//! slsr's own APIs are slsr's, and the rest are someone else's, kept.

use aws_sdk_apigatewayv2::types::{ApiMapping, DomainName};

use super::{Reader, Scope, conflict};
use crate::aws::AwsError;
use crate::aws::pages::follow;
use crate::engine::model::{Conflict, Kept, Kind, Resource, State, address};
use crate::kinds;

/// What the read found: the owned domains (as resources) with their mappings as AWS lists
/// them, and the conflicts.
#[derive(Default)]
pub struct Domains {
    pub owned: Vec<(Resource, Vec<ApiMapping>)>,
    pub conflicts: Vec<Conflict>,
}

pub async fn read(r: &Reader, scope: &Scope, wanted: &State) -> Result<Domains, AwsError> {
    let domains: Vec<DomainName> = follow(
        &r.calls,
        "ApiGatewayV2.GetDomainNames",
        "custom domain names",
        |token| async {
            let out = r
                .apigw
                .get_domain_names()
                .set_next_token(token)
                .send()
                .await
                .map_err(|e| AwsError::new("GetDomainNames", "custom domain names", e))?;
            Ok((out.items.unwrap_or_default(), out.next_token))
        },
    )
    .await?;
    let mut found = Domains::default();
    for want in wanted
        .resources
        .values()
        .filter(|w| w.kind == Kind::DomainName)
    {
        let theirs = domains.iter().any(|d| {
            d.domain_name() == Some(want.name.as_str())
                && !scope.owns(&d.tags().cloned().unwrap_or_default())
        });
        if theirs {
            found
                .conflicts
                .push(conflict(want.address(), &want.name, scope));
            found.conflicts.push(Conflict {
                address: address(Kind::ApiMapping, &want.key),
                name: want.name.clone(),
                reason: format!(
                    "its domain {} is someone else's (see {}), so slsr maps nothing on it",
                    want.name,
                    want.address()
                ),
            });
        }
    }
    for d in domains
        .iter()
        .filter(|d| scope.owns(&d.tags().cloned().unwrap_or_default()))
    {
        let name = d.domain_name().unwrap_or_default();
        // The key its tag gives; else the one of the spec's domain of this name (a domain
        // tagged by hand to hand it to slsr); else its name, to be deleted.
        let key = wanted
            .resources
            .values()
            .find(|w| w.kind == Kind::DomainName && w.name == name)
            .map_or(name, |w| w.key.as_str());
        let domain = kinds::domain_name::live(key, d);
        let mappings = follow(
            &r.calls,
            "ApiGatewayV2.GetApiMappings",
            name,
            |token| async {
                let out = r
                    .apigw
                    .get_api_mappings()
                    .domain_name(name)
                    .set_next_token(token)
                    .send()
                    .await
                    .map_err(|e| AwsError::new("GetApiMappings", name, e))?;
                Ok((out.items.unwrap_or_default(), out.next_token))
            },
        )
        .await?;
        found.owned.push((domain, mappings));
    }
    Ok(found)
}

/// The domains and slsr's mappings on them, and the mappings kept as someone else's.
/// `apis` holds each owned API's address and id: a mapping of one of them is slsr's.
pub fn classify(found: Domains, apis: &[(String, String)]) -> (Vec<Resource>, Vec<Kept>) {
    let mut resources = Vec::new();
    let mut kept = Vec::new();
    for (domain, mappings) in found.owned {
        for m in &mappings {
            let ours = apis.iter().find(|(_, id)| m.api_id() == Some(id.as_str()));
            match ours {
                Some((api, _)) => resources.push(kinds::api_mapping::live(
                    &domain.key,
                    &domain.name,
                    api,
                    m,
                )),
                None => kept.push(Kept {
                    address: domain.address(),
                    name: format!(
                        "{}/{} (mapping {}: API {} stage {})",
                        domain.name,
                        m.api_mapping_key().unwrap_or_default(),
                        m.api_mapping_id().unwrap_or_default(),
                        m.api_id().unwrap_or_default(),
                        m.stage().unwrap_or_default()
                    ),
                    reason: "an API mapping of another API on slsr's domain; slsr leaves it, and hands the domain over rather than delete it while the mapping is there".into(),
                }),
            }
        }
        resources.push(domain);
    }
    (resources, kept)
}
