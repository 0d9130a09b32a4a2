//! A key of a usage plan (`rest_api.usage_plans.PLAN.keys`): CreateUsagePlanKey with the
//! API key's id, type API_KEY, at `PLAN/KEY`. Owned as part of slsr's plan when the key is
//! slsr's too; others' keys in slsr's plans are left alone. Nothing to change in place: a
//! different plan or key is a different address. AWS's answers hold the key's value: slsr
//! keeps only ids. Read with GetUsagePlanKeys (`aws/read/rest_keys.rs`); the live name is
//! `PLAN_ID KEY_ID`.

use super::{Index, KindInfo, Tags, attr_str};
use crate::apply::{Applier, Settle, Step};
use crate::aws::AwsError;
use crate::engine::model::{KNOWN_AFTER_APPLY, Resource};
use crate::engine::plan::Action;

pub static INFO: KindInfo = KindInfo {
    prefix: "rest_usage_plan_key",
    naming: "PLAN/KEY: the API key admitted to the usage plan",
    tags: Tags::Untagged,
    replaced_by: &[],
    holds_data: false,
    desired: |_, _| {},
    needs,
    serial_with: super::not_serial,
    public: super::never_public,
    identity: &[USAGE_PLAN, API_KEY],
    about: super::nothing_to_add,
    write: super::writer!(apply),
};

/// The plan's key in `rest_api.usage_plans`.
pub const USAGE_PLAN: &str = "usage_plan";
/// The key's name in `rest_api.api_keys`.
pub const API_KEY: &str = "api_key";
/// `API_KEY`.
pub const KEY_TYPE: &str = "key_type";

/// The desired key `key` of the plan `plan` (the plan's builder makes them).
pub fn resource(plan: &str, key: &str) -> Resource {
    Resource::new(
        super::Kind::RestUsagePlanKey,
        format!("{plan}/{key}"),
        KNOWN_AFTER_APPLY,
    )
    .with(USAGE_PLAN, plan)
    .with(API_KEY, key)
    .with(KEY_TYPE, "API_KEY")
}

/// A plan key as GetUsagePlanKeys lists it (its value left out).
pub fn live(
    plan: &str,
    plan_id: &str,
    key: &str,
    k: &aws_sdk_apigateway::types::UsagePlanKey,
) -> Resource {
    Resource::new(
        super::Kind::RestUsagePlanKey,
        format!("{plan}/{key}"),
        format!("{plan_id} {}", k.id().unwrap_or_default()),
    )
    .with(USAGE_PLAN, plan)
    .with(API_KEY, key)
    .with(KEY_TYPE, k.r#type().unwrap_or_default())
}

/// It needs its plan and its key.
fn needs(r: &Resource, _: &Index) -> Vec<String> {
    vec![
        super::rest_usage_plan::at(&attr_str(r, USAGE_PLAN)),
        super::rest_api_key::at(&attr_str(r, API_KEY)),
    ]
}

async fn apply(a: &Applier, step: &Step) -> Result<(), AwsError> {
    let r = step.resource();
    let target = step.change.address.clone();
    if step.action == Action::Delete {
        let (plan_id, key_id) = r.name.split_once(' ').unwrap_or_default();
        return a
            .rest
            .delete_usage_plan_key()
            .usage_plan_id(plan_id)
            .key_id(key_id)
            .send()
            .await
            .or_gone("DeleteUsagePlanKey", &target);
    }
    let missing = |what: String| AwsError {
        operation: "CreateUsagePlanKey",
        target: target.clone(),
        message: format!("{what} does not exist"),
    };
    let plan = super::rest_usage_plan::at(&attr_str(r, USAGE_PLAN));
    let key = super::rest_api_key::at(&attr_str(r, API_KEY));
    let plan_id = a.ids.get(&plan).ok_or_else(|| missing(plan.clone()))?;
    let key_id = a.ids.get(&key).ok_or_else(|| missing(key.clone()))?;
    // The answer holds the key's value: nothing of it is kept.
    a.rest
        .create_usage_plan_key()
        .usage_plan_id(plan_id)
        .key_id(key_id)
        .key_type(attr_str(r, KEY_TYPE))
        .send()
        .await
        .or_exists("CreateUsagePlanKey", &target)?;
    Ok(())
}
