//! Each function's log group, `/aws/lambda/{function}`: made by slsr before the function
//! (so Lambda never makes an untagged one), with the retention the spec sets (none: kept
//! forever) and slsr's tags, which prove it is slsr's. DescribeLogGroups does not return
//! tags, so the reader asks ListTagsForResource for each group of the service's functions
//! (`aws/read/lambda.rs`): they are compared like any resource's, and apply puts back a tag
//! removed by hand.

use aws_sdk_cloudwatchlogs::types::LogGroup;
use serde_json::Value;

use super::{KindInfo, TAGS, Tags, attr_i32, attr_map, attr_str};
use crate::apply::{Applier, Settle, Step};
use crate::apply::{tag_by_arn, tag_changes};
use crate::aws::AwsError;
use crate::engine::desired::Builder;
use crate::engine::model::{Resource, State};
use crate::engine::plan::Action;

pub static INFO: KindInfo = KindInfo {
    prefix: "log_group",
    naming: "/aws/lambda/{service}-{stage}-{function}",
    tags: Tags::Compared,
    replaced_by: &[],
    holds_data: false,
    desired,
    needs: super::needs_nothing,
    serial_with: super::not_serial,
    public: super::never_public,
    identity: &[ARN],
    about: super::nothing_to_add,
    write: super::writer!(apply),
};

pub const ARN: &str = "arn";
pub const RETENTION_DAYS: &str = "retention_days";

fn desired(b: &Builder, state: &mut State) {
    for (name, f) in &b.p.functions {
        let physical = b.p.physical_name(name);
        state.insert(
            Resource::new(
                super::Kind::LogGroup,
                name.as_str(),
                format!("/aws/lambda/{physical}"),
            )
            .with(ARN, b.log_group_arn(&physical))
            .with(
                RETENTION_DAYS,
                f.log_retention_days.map_or(Value::Null, Value::from),
            )
            .with_map(TAGS, &b.tags),
        );
    }
}

/// A group as DescribeLogGroups lists it, keyed `key`, with its ARN (for its tags, which
/// `with_tags` adds once read).
pub fn live(key: &str, g: &LogGroup) -> Option<(Resource, String)> {
    let name = g.log_group_name()?.to_string();
    let arn = g
        .log_group_arn()
        .map(str::to_string)
        .or_else(|| g.arn().map(|a| a.trim_end_matches(":*").to_string()))
        .unwrap_or_default();
    let group = Resource::new(super::Kind::LogGroup, key, name)
        .with(ARN, arn.as_str())
        .with(
            RETENTION_DAYS,
            g.retention_in_days().map_or(Value::Null, Value::from),
        );
    Some((group, arn))
}

/// A listed group with the tags ListTagsForResource returned for it.
pub fn with_tags(group: Resource, tags: &std::collections::HashMap<String, String>) -> Resource {
    group.with_map(TAGS, tags)
}

async fn apply(a: &Applier, step: &Step) -> Result<(), AwsError> {
    let r = step.resource();
    let name = r.name.as_str();
    if step.action == Action::Delete {
        return a
            .logs
            .delete_log_group()
            .log_group_name(name)
            .send()
            .await
            .map(|_| ())
            .or_gone("DeleteLogGroup", name);
    }
    if step.action == Action::Create {
        let created = a
            .logs
            .create_log_group()
            .log_group_name(name)
            .set_tags(Some(attr_map(r, TAGS)))
            .send()
            .await
            .or_exists("CreateLogGroup", name)?;
        // A group that exists already is slsr's only with its tags: someone else's keeps
        // its retention (on AWS a shorter one deletes the older events).
        if created.is_none() {
            let arn = attr_str(r, ARN);
            let tags = a
                .logs
                .list_tags_for_resource()
                .resource_arn(&arn)
                .send()
                .await
                .map_err(|e| AwsError::new("ListTagsForResource", &arn, e))?
                .tags
                .unwrap_or_default();
            crate::apply::ensure_ours("CreateLogGroup", r, &tags)?;
        }
    }
    if step.action == Action::Update {
        update_tags(a, step).await?;
        if !step.changes(RETENTION_DAYS) {
            return Ok(());
        }
    }
    match attr_i32(r, RETENTION_DAYS) {
        Some(days) => {
            a.logs
                .put_retention_policy()
                .log_group_name(name)
                .retention_in_days(days)
                .send()
                .await
                .map_err(|e| AwsError::new("PutRetentionPolicy", name, e))?;
        }
        None if step.action == Action::Update => {
            a.logs
                .delete_retention_policy()
                .log_group_name(name)
                .send()
                .await
                .or_gone("DeleteRetentionPolicy", name)?;
        }
        None => {}
    }
    Ok(())
}

/// Tags added or changed since the read, and tags removed, put right (a tag removed by hand
/// comes back).
async fn update_tags(a: &Applier, step: &Step) -> Result<(), AwsError> {
    let arn = attr_str(step.resource(), ARN);
    tag_by_arn!(a.logs, &arn, &arn, tag_changes(step)).await
}
