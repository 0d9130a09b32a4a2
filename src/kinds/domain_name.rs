//! An API's regional custom domain name (API Gateway v2's CreateDomainName, which serves
//! HTTP and REST APIs alike): the spec's `domain.name` with its ACM certificate, the
//! REGIONAL endpoint and TLS 1.2, tagged for ownership and keyed by the API it serves
//! (`domain_name.http_api`, the `slsr:api` tag saying which). A name of the spec's without
//! slsr's tags is someone else's: a conflict, left alone. A certificate's change is an
//! UpdateDomainName; a new name replaces the domain. AWS's target for DNS
//! (`ApiGatewayDomainName` and its hosted zone) is read back and known after apply for a
//! new one. A domain that still carries others' API mappings when slsr lets it go is handed
//! over (its tags removed) instead of deleted, so their mappings live on. Read with
//! GetDomainNames (`aws/read/domains.rs`).

use aws_sdk_apigatewayv2::types::{
    DomainName, DomainNameConfiguration, EndpointType, SecurityPolicy,
};
use serde_json::Value;

use super::{KindInfo, TAGS, Tags, attr_map, attr_str};
use crate::apply::{Applier, Settle, Step, ensure_ours, tag_by_arn, tag_changes};
use crate::aws::AwsError;
use crate::engine::desired::{Builder, known_after_apply};
use crate::engine::model::{KNOWN_AFTER_APPLY, Resource, State, address};
use crate::engine::plan::Action;
use crate::spec::model::Domain;

pub static INFO: KindInfo = KindInfo {
    prefix: "domain_name",
    naming: "the spec's `domain.name`, keyed by the API it serves (`http_api`, `rest_api`)",
    tags: Tags::Compared,
    replaced_by: &[DOMAIN],
    holds_data: false,
    desired,
    needs: super::needs_nothing,
    serial_with: super::not_serial,
    public: super::never_public,
    identity: &[DOMAIN, CERTIFICATE],
    about: super::nothing_to_add,
    write: super::writer!(apply),
};

/// The domain's name (a new one replaces the domain).
pub const DOMAIN: &str = "domain";
pub const CERTIFICATE: &str = "certificate";
pub const ENDPOINT_TYPE: &str = "endpoint_type";
pub const SECURITY_POLICY: &str = "security_policy";
/// What DNS points at: AWS's `ApiGatewayDomainName`, and the hosted zone it is in.
pub const TARGET: &str = "target";
pub const HOSTED_ZONE_ID: &str = "hosted_zone_id";
/// The tag that says which of the service's APIs a domain serves (its address word).
pub const API_TAG: &str = "slsr:api";

/// The only endpoint type and TLS policy slsr makes.
pub const REGIONAL: &str = "REGIONAL";
pub const TLS_1_2: &str = "TLS_1_2";

/// A live domain's name and its target for DNS, by the API it serves: what
/// `${http_api.domain_target}` and `${http_api.domain_zone_id}` read.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct DomainTarget {
    pub name: String,
    pub target: String,
    pub hosted_zone_id: String,
}

/// An API of the service that the spec gives a domain: the key its domain and mapping
/// take (the API's address word), the API's address and id (when it exists), the stage
/// mapped (its name in AWS and its address), and the domain.
pub struct Served<'a> {
    pub key: &'static str,
    pub api: String,
    pub api_id: Option<String>,
    pub stage: String,
    pub stage_address: String,
    pub domain: &'a Domain,
}

/// Every API the spec gives a domain.
pub fn served<'a>(b: &Builder<'a>) -> Vec<Served<'a>> {
    let mut out = Vec::new();
    if super::http_api::wanted(b)
        && let Some(domain) = b.p.http_api.as_ref().and_then(|a| a.domain.as_ref())
    {
        out.push(Served {
            key: "http_api",
            api: super::http_api::the_api(),
            api_id: b.t.api_id.clone(),
            stage: "$default".into(),
            stage_address: address(super::Kind::Stage, "$default"),
            domain,
        });
    }
    // A REST API's stage is named after slsr's stage, and made by its first deployment.
    if super::rest_api::wanted(b)
        && let Some(domain) = b.p.rest_api.as_ref().and_then(|a| a.domain.as_ref())
    {
        out.push(Served {
            key: "rest_api",
            api: super::rest_api::the_api(),
            api_id: b.t.rest_api_id.clone(),
            stage: b.p.stage.clone(),
            stage_address: address(super::Kind::RestStage, "api"),
            domain,
        });
    }
    out
}

/// The address of the domain of the API whose address word is `key`.
pub fn of(key: &str) -> String {
    address(super::Kind::DomainName, key)
}

/// The targets for DNS of the live domains, by key: from the live state.
pub fn targets(live: &State) -> std::collections::BTreeMap<String, DomainTarget> {
    live.resources
        .values()
        .filter(|r| r.kind == super::Kind::DomainName)
        .map(|r| {
            (
                r.key.clone(),
                DomainTarget {
                    name: r.name.clone(),
                    target: attr_str(r, TARGET),
                    hosted_zone_id: attr_str(r, HOSTED_ZONE_ID),
                },
            )
        })
        .collect()
}

/// What `${KEY.domain_target}` (`attribute` "target") or `${KEY.domain_zone_id}`
/// ("hosted_zone_id") stands for: the live domain's value while it keeps its name, else
/// known after apply.
pub fn reference(b: &Builder, key: &str, attribute: &str) -> String {
    let name = served(b)
        .into_iter()
        .find(|s| s.key == key)
        .map(|s| s.domain.name.clone());
    match (b.t.domains.get(key), name) {
        (Some(live), Some(name)) if live.name == name => match attribute {
            TARGET => live.target.clone(),
            _ => live.hosted_zone_id.clone(),
        },
        _ => known_after_apply(&format!("{}.{attribute}", of(key))),
    }
}

fn desired(b: &Builder, state: &mut State) {
    for s in served(b) {
        let mut tags = b.tags.clone();
        tags.insert(API_TAG.into(), s.key.into());
        let live = b.t.domains.get(s.key).filter(|l| l.name == s.domain.name);
        state.insert(
            Resource::new(super::Kind::DomainName, s.key, s.domain.name.as_str())
                .with(DOMAIN, s.domain.name.as_str())
                .with(CERTIFICATE, s.domain.certificate.as_str())
                .with(ENDPOINT_TYPE, REGIONAL)
                .with(SECURITY_POLICY, TLS_1_2)
                .with(
                    TARGET,
                    live.map_or(KNOWN_AFTER_APPLY.to_string(), |l| l.target.clone()),
                )
                .with(
                    HOSTED_ZONE_ID,
                    live.map_or(KNOWN_AFTER_APPLY.to_string(), |l| l.hosted_zone_id.clone()),
                )
                .with_map(TAGS, &tags),
        );
    }
}

/// A domain name as GetDomainNames lists it, at the key its `slsr:api` tag (else `key`) gives.
pub fn live(key: &str, d: &DomainName) -> Resource {
    let name = d.domain_name().unwrap_or_default();
    let config = d.domain_name_configurations().first();
    let text = |v: Option<&str>| v.map_or(Value::Null, Value::from);
    let key = d
        .tags()
        .and_then(|t| t.get(API_TAG))
        .map_or(key, String::as_str);
    Resource::new(super::Kind::DomainName, key, name)
        .with(DOMAIN, name)
        .with(CERTIFICATE, text(config.and_then(|c| c.certificate_arn())))
        .with(
            ENDPOINT_TYPE,
            text(config.and_then(|c| c.endpoint_type()).map(|e| e.as_str())),
        )
        .with(
            SECURITY_POLICY,
            text(config.and_then(|c| c.security_policy()).map(|p| p.as_str())),
        )
        .with(
            TARGET,
            text(config.and_then(|c| c.api_gateway_domain_name())),
        )
        .with(
            HOSTED_ZONE_ID,
            text(config.and_then(|c| c.hosted_zone_id())),
        )
        .with_map(TAGS, d.tags().into_iter().flatten())
}

fn configuration(r: &Resource) -> DomainNameConfiguration {
    DomainNameConfiguration::builder()
        .certificate_arn(attr_str(r, CERTIFICATE))
        .endpoint_type(EndpointType::from(attr_str(r, ENDPOINT_TYPE).as_str()))
        .security_policy(SecurityPolicy::from(attr_str(r, SECURITY_POLICY).as_str()))
        .build()
}

/// A domain's ARN, as the tag calls take it.
fn arn(a: &Applier, name: &str) -> String {
    let region = a.apigw.config().region().map(|r| r.to_string());
    format!(
        "arn:aws:apigateway:{}::/domainnames/{name}",
        region.unwrap_or_default()
    )
}

/// Keeps AWS's target for DNS for what names it as known after apply (the outputs).
fn remember(a: &Applier, r: &Resource, config: Option<&DomainNameConfiguration>) {
    let at = address(super::Kind::DomainName, &r.key);
    if let Some(target) = config.and_then(|c| c.api_gateway_domain_name()) {
        a.ids.set(&format!("{at}.{TARGET}"), target.to_string());
    }
    if let Some(zone) = config.and_then(|c| c.hosted_zone_id()) {
        a.ids
            .set(&format!("{at}.{HOSTED_ZONE_ID}"), zone.to_string());
    }
}

async fn apply(a: &Applier, step: &Step) -> Result<(), AwsError> {
    let r = step.resource();
    let name = r.name.as_str();
    match step.action {
        Action::Create => {
            let made = a
                .apigw
                .create_domain_name()
                .domain_name(name)
                .domain_name_configurations(configuration(r))
                .set_tags(Some(attr_map(r, TAGS)))
                .send()
                .await
                .or_exists("CreateDomainName", name)?;
            match made {
                Some(out) => remember(a, r, out.domain_name_configurations().first()),
                // A lost attempt's, or someone else's made since the plan: only ours goes on.
                None => {
                    let there = a
                        .apigw
                        .get_domain_name()
                        .domain_name(name)
                        .send()
                        .await
                        .map_err(|e| AwsError::new("GetDomainName", name, e))?;
                    let tags = there.tags().cloned().unwrap_or_default();
                    ensure_ours("CreateDomainName", r, &tags)?;
                    remember(a, r, there.domain_name_configurations().first());
                }
            }
        }
        Action::Delete => {
            if others_mapped(a, name).await? {
                // slsr's own mapping went first (it needs the domain); the rest are
                // someone else's, and deleting the domain would take them with it.
                let keys: Vec<String> = attr_map(r, TAGS).into_keys().collect();
                return a
                    .apigw
                    .untag_resource()
                    .resource_arn(arn(a, name))
                    .set_tag_keys(Some(keys))
                    .send()
                    .await
                    .map(|_| ())
                    .or_gone("UntagResource", name);
            }
            a.apigw
                .delete_domain_name()
                .domain_name(name)
                .send()
                .await
                .or_gone("DeleteDomainName", name)?;
        }
        _ => {
            if step.changes(CERTIFICATE)
                || step.changes(ENDPOINT_TYPE)
                || step.changes(SECURITY_POLICY)
            {
                let out = a
                    .apigw
                    .update_domain_name()
                    .domain_name(name)
                    .domain_name_configurations(configuration(r))
                    .send()
                    .await
                    .map_err(|e| AwsError::new("UpdateDomainName", name, e))?;
                remember(a, r, out.domain_name_configurations().first());
            }
            tag_by_arn!(a.apigw, &arn(a, name), name, tag_changes(step)).await?;
        }
    }
    Ok(())
}

/// Whether the domain still has an API mapping (every page): slsr's went before it, so any
/// left is someone else's.
async fn others_mapped(a: &Applier, domain: &str) -> Result<bool, AwsError> {
    let mappings = crate::aws::pages::follow(
        &a.lookups,
        "ApiGatewayV2.GetApiMappings",
        domain,
        |token| async move {
            match a
                .apigw
                .get_api_mappings()
                .domain_name(domain)
                .set_next_token(token)
                .send()
                .await
            {
                Ok(out) => Ok((out.items.unwrap_or_default(), out.next_token)),
                Err(e) if crate::apply::already_gone(&e) => Ok((vec![], None)),
                Err(e) => Err(AwsError::new("GetApiMappings", domain, e)),
            }
        },
    )
    .await?;
    Ok(!mappings.is_empty())
}
