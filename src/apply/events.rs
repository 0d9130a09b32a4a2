//! Applying EventBridge rules: the rule (schedule or pattern, state, tags) and its one
//! target, the function. Deleting removes the target first, as EventBridge requires.

use aws_sdk_eventbridge::types::{RuleState, Tag, Target};

use super::{Applier, Settle, Step, attr_map, attr_str, tag_changes};
use crate::aws::AwsError;
use crate::aws::read::events::TARGET_ID;
use crate::engine::plan::Action;

pub async fn apply(a: &Applier, step: &Step) -> Result<(), AwsError> {
    let r = step.resource();
    let (name, bus) = (r.name.as_str(), attr_str(r, "bus"));
    if step.action == Action::Delete {
        a.events
            .remove_targets()
            .rule(name)
            .event_bus_name(&bus)
            .ids(TARGET_ID)
            .send()
            .await
            .or_gone("RemoveTargets", name)?;
        // Targets someone else added keep the rule: slsr takes only its own target off and
        // hands the rule over by removing its tags (a later plan then leaves it alone).
        let others = other_targets(a, name, &bus).await?;
        if !others.is_empty() {
            return a
                .events
                .untag_resource()
                .resource_arn(attr_str(r, "arn"))
                .set_tag_keys(Some(attr_map(r, "tags").into_keys().collect()))
                .send()
                .await
                .map(|_| ())
                .or_gone("UntagResource", name);
        }
        a.events
            .delete_rule()
            .name(name)
            .event_bus_name(&bus)
            .send()
            .await
            .or_gone("DeleteRule", name)?;
        return Ok(());
    }
    let rule_changed = step.action == Action::Create
        || ["schedule_expression", "event_pattern", "state"]
            .iter()
            .any(|f| step.changes(f));
    if rule_changed {
        let mut put = a
            .events
            .put_rule()
            .name(name)
            .event_bus_name(&bus)
            .state(RuleState::from(attr_str(r, "state").as_str()));
        if let Some(expression) = r.attrs.get("schedule_expression").and_then(|v| v.as_str()) {
            put = put.schedule_expression(expression);
        }
        if let Some(pattern) = r.attrs.get("event_pattern") {
            put = put.event_pattern(pattern.to_string());
        }
        if step.action == Action::Create {
            let tags: Vec<Tag> = tag_list(attr_map(r, "tags"));
            put = put.set_tags(Some(tags));
        }
        put.send()
            .await
            .map_err(|e| AwsError::new("PutRule", name, e))?;
    }
    if step.action == Action::Create || step.changes("target") || step.changes("input") {
        let target = Target::builder()
            .id(TARGET_ID)
            .arn(attr_str(r, "target"))
            .set_input(
                r.attrs
                    .get("input")
                    .and_then(|v| v.as_str())
                    .map(str::to_string),
            )
            .build()
            .expect("id and arn are set");
        a.events
            .put_targets()
            .rule(name)
            .event_bus_name(&bus)
            .targets(target)
            .send()
            .await
            .map_err(|e| AwsError::new("PutTargets", name, e))?;
    }
    if step.action == Action::Update {
        let (set, remove) = tag_changes(step);
        let arn = attr_str(r, "arn");
        if !set.is_empty() {
            let tags: Vec<Tag> = tag_list(set);
            a.events
                .tag_resource()
                .resource_arn(&arn)
                .set_tags(Some(tags))
                .send()
                .await
                .map_err(|e| AwsError::new("TagResource", name, e))?;
        }
        if !remove.is_empty() {
            a.events
                .untag_resource()
                .resource_arn(&arn)
                .set_tag_keys(Some(remove))
                .send()
                .await
                .map_err(|e| AwsError::new("UntagResource", name, e))?;
        }
    }
    Ok(())
}

/// The ids of the rule's targets that are not slsr's (every page).
async fn other_targets(a: &Applier, rule: &str, bus: &str) -> Result<Vec<String>, AwsError> {
    let mut ids = Vec::new();
    let mut token = None;
    loop {
        let out = a
            .events
            .list_targets_by_rule()
            .rule(rule)
            .event_bus_name(bus)
            .set_next_token(token)
            .send()
            .await;
        let out = match out {
            Ok(out) => out,
            Err(e) if super::already_gone(&e) => return Ok(ids),
            Err(e) => return Err(AwsError::new("ListTargetsByRule", rule, e)),
        };
        ids.extend(
            out.targets()
                .iter()
                .filter(|t| t.id() != TARGET_ID)
                .map(|t| t.id().to_string()),
        );
        token = out.next_token().map(str::to_string);
        if token.is_none() {
            return Ok(ids);
        }
    }
}

/// Tags as the EventBridge API takes them.
fn tag_list(tags: std::collections::HashMap<String, String>) -> Vec<Tag> {
    tags.into_iter()
        .map(|(k, v)| {
            Tag::builder()
                .key(k)
                .value(v)
                .build()
                .expect("key and value are set")
        })
        .collect()
}
