//! The REST API's usage plans (`rest_api.usage_plans`), `{service}-{stage}-{NAME}`, each on
//! the API's stage (apiStages `API_ID:STAGE`), with its throttle (requests per second and
//! burst) and quota (requests a day, week or month), tagged for ownership. Changed in
//! place by UpdateUsagePlan's patch operations (add where AWS holds no value, replace,
//! remove where the spec drops it). The stage exists once the deployment has made it, so
//! a plan needs the deployment. Read with GetUsagePlans (`aws/read/rest_keys.rs`).

use aws_sdk_apigateway::types::{
    ApiStage, Op, PatchOperation, QuotaPeriodType, QuotaSettings, ThrottleSettings,
};
use serde_json::Value;

use super::{Index, KindInfo, TAGS, Tags, attr, attr_map, attr_opt, attr_str};
use crate::apply::{Applier, Settle, Step, tag_by_arn, tag_changes};
use crate::aws::AwsError;
use crate::engine::desired::Builder;
use crate::engine::model::{KNOWN_AFTER_APPLY, Resource, State, address};
use crate::engine::plan::Action;

pub static INFO: KindInfo = KindInfo {
    prefix: "rest_usage_plan",
    naming: "{service}-{stage}-{name}, on the REST API's stage; AWS gives its id",
    tags: Tags::Compared,
    replaced_by: &[],
    holds_data: false,
    desired,
    needs,
    serial_with: super::not_serial,
    public: super::never_public,
    identity: &[NAME, API_STAGE],
    about: super::nothing_to_add,
    write: super::writer!(apply),
};

/// The plan's name in AWS, `{service}-{stage}-{name}`.
pub const NAME: &str = "name";
/// `API_ID:STAGE`, as UpdateUsagePlan's `/apiStages` names it.
pub const API_STAGE: &str = "api_stage";
/// Requests per second, or null.
pub const THROTTLE_RATE: &str = "throttle_rate";
/// The burst, or null.
pub const THROTTLE_BURST: &str = "throttle_burst";
/// Requests per period, or null.
pub const QUOTA_LIMIT: &str = "quota_limit";
/// `DAY`, `WEEK` or `MONTH`, or null.
pub const QUOTA_PERIOD: &str = "quota_period";

/// The address of the usage plan `name`.
pub fn at(name: &str) -> String {
    address(super::Kind::RestUsagePlan, name)
}

/// The ARN API Gateway's tag calls name a usage plan by.
pub fn arn(region: &str, id: &str) -> String {
    format!("arn:aws:apigateway:{region}::/usageplans/{id}")
}

fn desired(b: &Builder, state: &mut State) {
    if !super::rest_api::wanted(b) {
        return;
    }
    let api_stage = format!("{}:{}", super::rest_api::id_or_later(b), b.p.stage);
    for (name, plan) in
        b.p.rest_api
            .iter()
            .flat_map(|a| a.usage_plans.iter().flatten())
    {
        let throttle = plan.throttle.as_ref();
        let quota = plan.quota.as_ref();
        state.insert(
            Resource::new(super::Kind::RestUsagePlan, name, KNOWN_AFTER_APPLY)
                .with(NAME, format!("{}-{}-{name}", b.p.service, b.p.stage))
                .with(API_STAGE, api_stage.as_str())
                .with(THROTTLE_RATE, throttle.map(|t| t.rate))
                .with(THROTTLE_BURST, throttle.map(|t| t.burst))
                .with(QUOTA_LIMIT, quota.map(|q| q.limit))
                .with(QUOTA_PERIOD, quota.map(|q| q.period.as_aws()))
                .with_map(TAGS, &b.tags),
        );
        for key in plan.keys.iter().flatten() {
            state.insert(super::rest_usage_plan_key::resource(name, key));
        }
    }
}

/// A usage plan needs the API and its stage, which the deployment makes.
fn needs(_: &Resource, _: &Index) -> Vec<String> {
    vec![
        super::rest_api::the_api(),
        address(super::Kind::RestDeployment, "api"),
    ]
}

/// A usage plan as GetUsagePlans lists it, at its logical name `plan`: its first API
/// stage (slsr's plans have one).
pub fn live(plan: &str, u: &aws_sdk_apigateway::types::UsagePlan) -> Resource {
    let stages: Vec<String> = u
        .api_stages()
        .iter()
        .map(|s| {
            format!(
                "{}:{}",
                s.api_id().unwrap_or_default(),
                s.stage().unwrap_or_default()
            )
        })
        .collect();
    let throttle = u.throttle();
    let quota = u.quota();
    Resource::new(super::Kind::RestUsagePlan, plan, u.id().unwrap_or_default())
        .with(NAME, u.name().unwrap_or_default())
        .with(
            API_STAGE,
            match stages.as_slice() {
                [one] => Value::from(one.as_str()),
                [] => Value::Null,
                many => Value::from(many.join(", ")),
            },
        )
        .with(THROTTLE_RATE, throttle.map(|t| t.rate_limit()))
        .with(THROTTLE_BURST, throttle.map(|t| t.burst_limit()))
        .with(QUOTA_LIMIT, quota.map(|q| q.limit()))
        .with(
            QUOTA_PERIOD,
            quota
                .and_then(|q| q.period())
                .map(|p| p.as_str().to_string()),
        )
        .with_map(TAGS, u.tags().into_iter().flatten())
}

fn patch(op: Op, path: &str, value: Option<String>) -> PatchOperation {
    PatchOperation::builder()
        .op(op)
        .path(path)
        .set_value(value)
        .build()
}

/// The patch operations that take the live plan to the desired one: each changed field
/// added where AWS holds none, replaced, or its whole group removed.
fn patches(step: &Step, api_stage: &str) -> Vec<PatchOperation> {
    let r = step.resource();
    let live = step.live();
    let had = |field: &str| live.is_some_and(|l| !attr(l, field).is_null());
    let mut out = Vec::new();
    if step.changes(API_STAGE) {
        out.push(patch(Op::Add, "/apiStages", Some(api_stage.to_string())));
        for old in live.and_then(|l| attr_opt(l, API_STAGE)).into_iter() {
            for one in old.split(", ") {
                out.push(patch(Op::Remove, "/apiStages", Some(one.to_string())));
            }
        }
    }
    for (group, fields) in [
        (
            "/throttle",
            [(THROTTLE_RATE, "rateLimit"), (THROTTLE_BURST, "burstLimit")],
        ),
        ("/quota", [(QUOTA_LIMIT, "limit"), (QUOTA_PERIOD, "period")]),
    ] {
        if !fields.iter().any(|(f, _)| step.changes(f)) {
            continue;
        }
        if fields.iter().all(|(f, _)| attr(r, f).is_null()) {
            out.push(patch(Op::Remove, group, None));
            continue;
        }
        for (field, name) in fields {
            let value = match attr(r, field) {
                Value::String(s) => s.clone(),
                other => other.to_string(),
            };
            let op = if had(field) { Op::Replace } else { Op::Add };
            out.push(patch(op, &format!("{group}/{name}"), Some(value)));
        }
    }
    out
}

async fn apply(a: &Applier, step: &Step) -> Result<(), AwsError> {
    let r = step.resource();
    let target = step.change.address.clone();
    let region = a
        .rest
        .config()
        .region()
        .map(|r| r.to_string())
        .unwrap_or_default();
    let api_stage = a.resolve(&attr_str(r, API_STAGE));
    match step.action {
        Action::Create => {
            let (api_id, stage) = api_stage.split_once(':').unwrap_or_default();
            let throttle = attr(r, THROTTLE_RATE).as_f64().map(|rate| {
                ThrottleSettings::builder()
                    .rate_limit(rate)
                    .set_burst_limit(attr(r, THROTTLE_BURST).as_i64().map(|b| b as i32))
                    .build()
            });
            let quota = attr(r, QUOTA_LIMIT).as_i64().map(|limit| {
                QuotaSettings::builder()
                    .limit(limit as i32)
                    .set_period(
                        attr_opt(r, QUOTA_PERIOD).map(|p| QuotaPeriodType::from(p.as_str())),
                    )
                    .build()
            });
            let name = attr_str(r, NAME);
            let tags = attr_map(r, TAGS);
            let create = || async {
                a.rest
                    .create_usage_plan()
                    .name(&name)
                    .api_stages(ApiStage::builder().api_id(api_id).stage(stage).build())
                    .set_throttle(throttle.clone())
                    .set_quota(quota.clone())
                    .set_tags(Some(tags.clone()))
                    .customize()
                    .config_override(super::rest_key_creates::without_retries())
                    .send()
                    .await
                    .map(|out| out.id.unwrap_or_default())
            };
            let find = || super::rest_key_creates::find_plan(a, &name, &tags);
            let id = super::http_api::create_once("CreateUsagePlan", &target, create, find).await?;
            a.ids.set(&target, id);
        }
        Action::Delete => {
            // Its stages first, as AWS asks of a plan in use; then the plan.
            let stages = patches_removing_stages(r);
            if !stages.is_empty() {
                a.rest
                    .update_usage_plan()
                    .usage_plan_id(&r.name)
                    .set_patch_operations(Some(stages))
                    .send()
                    .await
                    .or_gone("UpdateUsagePlan", &target)?;
            }
            a.rest
                .delete_usage_plan()
                .usage_plan_id(&r.name)
                .send()
                .await
                .or_gone("DeleteUsagePlan", &target)?;
        }
        _ => {
            let id = step.live().map(|l| l.name.clone()).unwrap_or_default();
            a.ids.set(&target, id.clone());
            let ops = patches(step, &api_stage);
            if !ops.is_empty() {
                a.rest
                    .update_usage_plan()
                    .usage_plan_id(&id)
                    .set_patch_operations(Some(ops))
                    .send()
                    .await
                    .map_err(|e| AwsError::new("UpdateUsagePlan", &target, e))?;
            }
            tag_by_arn!(a.rest, &arn(&region, &id), &target, tag_changes(step)).await?;
        }
    }
    Ok(())
}

fn patches_removing_stages(r: &Resource) -> Vec<PatchOperation> {
    attr_opt(r, API_STAGE)
        .iter()
        .flat_map(|s| s.split(", ").map(str::to_string).collect::<Vec<_>>())
        .map(|s| patch(Op::Remove, "/apiStages", Some(s)))
        .collect()
}
