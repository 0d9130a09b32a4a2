//! EventBridge custom event buses: `{service}-{stage}-{name}`, tagged. `eventbridge` events
//! name one with `bus: NAME`; the rules on a bus need it, so they go before it when it is
//! deleted (EventBridge refuses to delete a bus that has rules). Read with ListEventBuses
//! by prefix and ListTagsForResource (`aws/read/buses.rs`).

use aws_sdk_eventbridge::types::Tag;

use super::{KindInfo, TAGS, Tags, attr_map, attr_str};
use crate::apply::{Applier, Settle, Step, tag_by_arn, tag_changes, tag_list};
use crate::aws::{AwsError, tags_by_arn};
use crate::engine::desired::Builder;
use crate::engine::model::{Resource, State};
use crate::engine::plan::Action;

pub static INFO: KindInfo = KindInfo {
    prefix: "bus",
    naming: "{service}-{stage}-{name}",
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
    /// The bus an `eventbridge` event's `bus` names: a bus of the spec by its physical
    /// name, else the existing bus's name (from its ARN too) as written.
    pub fn bus_name(&self, bus: &str) -> String {
        if self.p.buses.contains_key(bus) {
            return self.p.physical_name(bus);
        }
        bus.rsplit('/').next().unwrap_or(bus).to_string()
    }
}

fn desired(b: &Builder, state: &mut State) {
    for (name, bus) in &b.p.buses {
        let physical = b.p.physical_name(name);
        let tags = b.tags_with(&bus.tags);
        state.insert(
            Resource::new(super::Kind::Bus, name, &physical)
                .with(
                    ARN,
                    format!(
                        "arn:aws:events:{}:{}:event-bus/{physical}",
                        b.t.region(),
                        b.t.account()
                    ),
                )
                .with_map(TAGS, &tags),
        );
    }
}

/// A bus as ListEventBuses and ListTagsForResource have it.
pub fn live(
    key: &str,
    name: &str,
    arn: &str,
    tags: &std::collections::HashMap<String, String>,
) -> Resource {
    Resource::new(super::Kind::Bus, key, name)
        .with(ARN, arn)
        .with_map(TAGS, tags)
}

async fn apply(a: &Applier, step: &Step) -> Result<(), AwsError> {
    let r = step.resource();
    let name = r.name.as_str();
    match step.action {
        Action::Create => {
            let created = a
                .events
                .create_event_bus()
                .name(name)
                .set_tags(Some(tag_list!(Tag, attr_map(r, TAGS))))
                .send()
                .await
                .or_exists("CreateEventBus", name)?;
            if created.is_none() {
                let tags = tags_by_arn!(a.events, attr_str(r, ARN), name).await?;
                crate::apply::ensure_ours("CreateEventBus", r, &tags)?;
            }
        }
        Action::Delete => {
            a.events
                .delete_event_bus()
                .name(name)
                .send()
                .await
                .or_gone("DeleteEventBus", name)?;
        }
        _ => {
            let arn = attr_str(r, ARN);
            tag_by_arn!(a.events, &arn, name, tag_changes(step), Tag).await?;
        }
    }
    Ok(())
}
