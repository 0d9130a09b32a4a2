//! The settings of the REST API's stage (named after slsr's stage): its access log
//! (`rest_access_log.rs`), tracing and the default throttling of every method
//! (`rest_api.stage`). The stage itself is made by the first deployment
//! (`rest_deployment`), so this needs it, and the access log's group; it goes with the API.

use aws_sdk_apigateway::operation::get_stage::GetStageOutput;
use aws_sdk_apigateway::types::{Op, PatchOperation};
use serde_json::Value;

use super::{KindInfo, Tags, attr, attr_bool, attr_str};
use crate::apply::{Applier, Step};
use crate::aws::AwsError;
use crate::engine::desired::Builder;
use crate::engine::model::{Kind, Resource, State, address};
use crate::engine::plan::Action;
use crate::spec::model::Tracing;

pub static INFO: KindInfo = KindInfo {
    prefix: "rest_stage",
    naming: "the stage named after slsr's stage",
    tags: Tags::Untagged,
    replaced_by: &[],
    holds_data: false,
    desired,
    needs: |r, _| {
        let mut needs = vec![
            super::rest_api::the_api(),
            address(Kind::RestDeployment, "api"),
        ];
        if !attr(r, ACCESS_LOG_DESTINATION).is_null() {
            needs.push(super::rest_access_log::at());
        }
        needs
    },
    serial_with: super::not_serial,
    public: super::never_public,
    identity: &[TRACING],
    about: super::nothing_to_add,
    write: super::writer!(apply),
};

/// Whether X-Ray traces the stage's requests.
pub const TRACING: &str = "tracing";
/// The default throttling of every method (`*/*`): null when the stage has none.
pub const THROTTLE_RATE: &str = "throttle.rate";
pub const THROTTLE_BURST: &str = "throttle.burst";
/// The access log's log group (its ARN, without `:*`) and line format: null when the stage
/// has no access log.
pub const ACCESS_LOG_DESTINATION: &str = "access_log.destination";
pub const ACCESS_LOG_FORMAT: &str = "access_log.format";

fn desired(b: &Builder, state: &mut State) {
    if !super::rest_api::wanted(b) {
        return;
    }
    let stage =
        b.p.rest_api
            .as_ref()
            .and_then(|a| a.stage.clone())
            .unwrap_or_default();
    let throttle = stage.throttle.as_ref();
    let group = super::rest_access_log::log_group(b);
    // The group's ARN, which slsr builds without the `:*` API Gateway refuses.
    let destination = group.as_ref().map_or(Value::Null, |g| {
        Value::from(attr_str(g, super::log_group::ARN))
    });
    let format = match group.is_some() {
        true => Value::from(super::rest_access_log::FORMAT),
        false => Value::Null,
    };
    if let Some(group) = group {
        state.insert(group);
    }
    state.insert(
        Resource::new(Kind::RestStage, "api", b.p.stage.as_str())
            .with(TRACING, stage.tracing == Some(Tracing::Active))
            .with(
                THROTTLE_RATE,
                throttle.map_or(Value::Null, |t| Value::from(t.rate)),
            )
            .with(
                THROTTLE_BURST,
                throttle.map_or(Value::Null, |t| Value::from(t.burst)),
            )
            .with(ACCESS_LOG_DESTINATION, destination)
            .with(ACCESS_LOG_FORMAT, format),
    );
}

/// The stage's settings as GetStage answers them.
pub fn live(name: &str, stage: &GetStageOutput) -> Resource {
    let every = stage.method_settings().and_then(|m| m.get("*/*"));
    let logs = stage.access_log_settings();
    let logged = |value: Option<&str>| {
        value
            .filter(|v| !v.is_empty())
            .map_or(Value::Null, Value::from)
    };
    Resource::new(Kind::RestStage, "api", name)
        .with(TRACING, stage.tracing_enabled())
        .with(
            THROTTLE_RATE,
            every.map_or(Value::Null, |m| Value::from(m.throttling_rate_limit())),
        )
        .with(
            THROTTLE_BURST,
            every.map_or(Value::Null, |m| Value::from(m.throttling_burst_limit())),
        )
        .with(
            ACCESS_LOG_DESTINATION,
            logged(logs.and_then(|l| l.destination_arn())),
        )
        .with(ACCESS_LOG_FORMAT, logged(logs.and_then(|l| l.format())))
}

async fn apply(a: &Applier, step: &Step) -> Result<(), AwsError> {
    if step.action == Action::Delete {
        // The stage goes with its deployment (DeleteStage) or the API.
        return Ok(());
    }
    let r = step.resource();
    let target = step.change.address.clone();
    let api = super::rest_api::api_id(a)?;
    let create = step.action == Action::Create;
    let patch = |op: Op, path: &str, value: Option<String>| {
        PatchOperation::builder()
            .op(op)
            .path(path)
            .set_value(value)
            .build()
    };
    let mut patches = Vec::new();
    if create || step.changes(TRACING) {
        patches.push(patch(
            Op::Replace,
            "/tracingEnabled",
            Some(attr_bool(r, TRACING).to_string()),
        ));
    }
    if create || step.changes("throttle.") {
        if attr(r, THROTTLE_RATE).is_null() {
            if !create {
                patches.push(patch(Op::Remove, "/*/*", None));
            }
        } else {
            patches.push(patch(
                Op::Replace,
                "/*/*/throttling/rateLimit",
                Some(attr(r, THROTTLE_RATE).to_string()),
            ));
            patches.push(patch(
                Op::Replace,
                "/*/*/throttling/burstLimit",
                Some(attr(r, THROTTLE_BURST).to_string()),
            ));
        }
    }
    if create || step.changes("access_log.") {
        if attr(r, ACCESS_LOG_DESTINATION).is_null() {
            if !create {
                patches.push(patch(Op::Remove, "/accessLogSettings", None));
            }
        } else {
            patches.push(patch(
                Op::Replace,
                "/accessLogSettings/destinationArn",
                Some(attr_str(r, ACCESS_LOG_DESTINATION)),
            ));
            patches.push(patch(
                Op::Replace,
                "/accessLogSettings/format",
                Some(attr_str(r, ACCESS_LOG_FORMAT)),
            ));
        }
    }
    if patches.is_empty() {
        return Ok(());
    }
    a.rest
        .update_stage()
        .rest_api_id(&api)
        .stage_name(&r.name)
        .set_patch_operations(Some(patches))
        .send()
        .await
        .map_err(|e| AwsError::new("UpdateStage", &target, e))?;
    Ok(())
}
