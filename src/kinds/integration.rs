//! One Lambda proxy integration per function with http events, in the service's HTTP API,
//! with the payload format (2.0 unless `http_api.payload_format` says 1.0). AWS names it by
//! id; slsr knows it by the function it invokes. It needs the API and its function.

use aws_sdk_apigatewayv2::types::{Integration, IntegrationType};

use super::{Index, KindInfo, Tags, attr_str};
use crate::apply::{Applier, Settle, Step};
use crate::aws::AwsError;
use crate::aws::pages::follow;
use crate::aws::read::Scope;
use crate::engine::desired::Builder;
use crate::engine::model::{KNOWN_AFTER_APPLY, Resource, State};
use crate::engine::plan::Action;
use crate::spec::model::Event;

pub static INFO: KindInfo = KindInfo {
    prefix: "integration",
    naming: "an id AWS gives, one per function",
    tags: Tags::Untagged,
    replaced_by: &[],
    holds_data: false,
    desired,
    needs,
    serial_with: super::not_serial,
    public: super::never_public,
    identity: &[INTEGRATION_URI],
    about: super::nothing_to_add,
    write: super::writer!(apply),
};

/// The function's ARN.
pub const INTEGRATION_URI: &str = "integration_uri";
pub const PAYLOAD_FORMAT_VERSION: &str = "payload_format_version";
/// API Gateway's payload format unless the spec asks for 1.0.
pub const DEFAULT_PAYLOAD_FORMAT: &str = "2.0";

fn desired(b: &Builder, state: &mut State) {
    if !super::http_api::wanted(b) {
        return;
    }
    let payload = match b.p.http_api.as_ref().and_then(|a| a.payload_format) {
        Some(crate::spec::model::PayloadFormat::V1) => "1.0",
        _ => DEFAULT_PAYLOAD_FORMAT,
    };
    for (name, f) in &b.p.functions {
        if !f
            .events
            .iter()
            .flatten()
            .any(|e| matches!(e, Event::Http(_)))
        {
            continue;
        }
        state.insert(
            Resource::new(super::Kind::Integration, name.as_str(), KNOWN_AFTER_APPLY)
                .with(INTEGRATION_URI, b.function_arn(name))
                .with(PAYLOAD_FORMAT_VERSION, payload),
        );
    }
}

fn needs(r: &Resource, index: &Index) -> Vec<String> {
    let mut needs = vec![super::http_api::the_api()];
    needs.extend(index.arn(&attr_str(r, INTEGRATION_URI)));
    needs
}

/// An integration as GetIntegrations lists it, keyed by its function.
pub fn live(scope: &Scope, i: &Integration) -> Resource {
    let uri = i.integration_uri().unwrap_or_default();
    // The function's name sits after `function:` in its ARN.
    let function = uri
        .split("function:")
        .nth(1)
        .and_then(|rest| rest.split([':', '/']).next())
        .unwrap_or_default();
    let key = scope.logical(function).unwrap_or(function).to_string();
    Resource::new(
        super::Kind::Integration,
        key,
        i.integration_id().unwrap_or_default(),
    )
    .with(INTEGRATION_URI, uri)
    .with(
        PAYLOAD_FORMAT_VERSION,
        i.payload_format_version().unwrap_or(DEFAULT_PAYLOAD_FORMAT),
    )
}

async fn apply(a: &Applier, step: &Step) -> Result<(), AwsError> {
    let r = step.resource();
    let id = super::http_api::api_id(a)?;
    let target = step.change.address.clone();
    match step.action {
        Action::Create => {
            let uri = attr_str(r, INTEGRATION_URI);
            let create = || async {
                a.apigw
                    .create_integration()
                    .api_id(&id)
                    .integration_type(IntegrationType::AwsProxy)
                    .integration_uri(&uri)
                    .payload_format_version(attr_str(r, PAYLOAD_FORMAT_VERSION))
                    .customize()
                    .config_override(super::http_api::without_retries())
                    .send()
                    .await
                    .map(|out| out.integration_id.unwrap_or_default())
            };
            // One integration per function: the one with this function's URI.
            let find = || async {
                let integrations = follow(
                    &a.lookups,
                    "ApiGatewayV2.GetIntegrations",
                    &target,
                    |token| async {
                        let out = a
                            .apigw
                            .get_integrations()
                            .api_id(&id)
                            .set_next_token(token)
                            .send()
                            .await
                            .map_err(|e| AwsError::new("GetIntegrations", &target, e))?;
                        Ok((out.items.unwrap_or_default(), out.next_token))
                    },
                )
                .await?;
                Ok(integrations
                    .iter()
                    .find(|i| i.integration_uri() == Some(uri.as_str()))
                    .and_then(|i| i.integration_id().map(str::to_string)))
            };
            let made =
                super::http_api::create_once("CreateIntegration", &target, create, find).await?;
            a.ids.set(&target, made);
        }
        Action::Delete => {
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
            a.apigw
                .update_integration()
                .api_id(&id)
                .integration_id(integration_id)
                .integration_uri(attr_str(r, INTEGRATION_URI))
                .payload_format_version(attr_str(r, PAYLOAD_FORMAT_VERSION))
                .send()
                .await
                .map_err(|e| AwsError::new("UpdateIntegration", target, e))?;
        }
    }
    Ok(())
}
