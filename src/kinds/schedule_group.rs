//! The EventBridge Scheduler schedule group of a service and stage: `{service}-{stage}`,
//! tagged, made when a `schedule` event goes through Scheduler (a timezone, an at()
//! expression or a flexible window). Scheduler cannot tag a schedule: the schedules in this
//! group are slsr's because the group is. Read with ListScheduleGroups and
//! ListTagsForResource (`aws/read/scheduler.rs`); its schedules need it, so they go first
//! when it is deleted.

use aws_sdk_scheduler::types::Tag;

use super::{KindInfo, TAGS, Tags, attr_map, attr_str};
use crate::apply::{Applier, Settle, Step, tag_by_arn, tag_changes, tag_list};
use crate::aws::{AwsError, tags_by_arn};
use crate::engine::desired::Builder;
use crate::engine::model::{Resource, State};
use crate::engine::plan::Action;

pub static INFO: KindInfo = KindInfo {
    prefix: "schedule_group",
    naming: "{service}-{stage}",
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

impl Builder<'_> {
    /// The service and stage's schedule group: `{service}-{stage}`.
    pub fn schedule_group(&self) -> String {
        format!("{}-{}", self.p.service, self.p.stage)
    }
}

fn desired(b: &Builder, state: &mut State) {
    if crate::spec::messaging_rules::scheduled(b.p)
        .next()
        .is_none()
    {
        return;
    }
    let name = b.schedule_group();
    state.insert(
        Resource::new(super::Kind::ScheduleGroup, &name, &name)
            .with(
                ARN,
                format!(
                    "arn:aws:scheduler:{}:{}:schedule-group/{name}",
                    b.t.region(),
                    b.t.account()
                ),
            )
            .with_map(TAGS, &b.tags),
    );
}

/// A group as ListScheduleGroups and ListTagsForResource have it.
pub fn live(name: &str, arn: &str, tags: &std::collections::HashMap<String, String>) -> Resource {
    Resource::new(super::Kind::ScheduleGroup, name, name)
        .with(ARN, arn)
        .with_map(TAGS, tags)
}

async fn apply(a: &Applier, step: &Step) -> Result<(), AwsError> {
    let r = step.resource();
    let name = r.name.as_str();
    match step.action {
        Action::Create => {
            let created = a
                .scheduler
                .create_schedule_group()
                .name(name)
                .set_tags(Some(tag_list!(Tag, attr_map(r, TAGS))))
                .send()
                .await
                .or_exists("CreateScheduleGroup", name)?;
            if created.is_none() {
                let tags = tags_by_arn!(a.scheduler, attr_str(r, ARN), name).await?;
                crate::apply::ensure_ours("CreateScheduleGroup", r, &tags)?;
            }
        }
        Action::Delete => {
            a.scheduler
                .delete_schedule_group()
                .name(name)
                .send()
                .await
                .or_gone("DeleteScheduleGroup", name)?;
        }
        _ => {
            let arn = attr_str(r, ARN);
            tag_by_arn!(a.scheduler, &arn, name, tag_changes(step), Tag).await?;
        }
    }
    Ok(())
}
