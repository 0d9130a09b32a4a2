//! EventBridge rules: one per `schedule` or `eventbridge` event, named for what it is
//! (`{function}-{8 hex}` of the function, bus and schedule or pattern, so reordering events
//! renames nothing) or by the event's `name` (`{function}-{name}`: then a new expression or
//! pattern is an update of the same rule), with one target, the function, under the id `slsr`, and the permission
//! that lets EventBridge invoke the function. An event that names a `state_machine` targets
//! that machine instead, with the role EventBridge assumes to start it
//! (`state_machine_roles.rs`), and needs no permission. Targets with other ids are someone else's:
//! kept, and a rule that has some loses only slsr's target and tags when it leaves the
//! spec. Read with ListRules, ListTagsForResource and ListTargetsByRule
//! (`aws/read/events.rs`). A rule needs its function, and the bus it is on when that is a
//! bus of the spec's (`bus.rs`). Schedules with a timezone, an at() expression or a
//! flexible window are not rules but Scheduler's (`schedule.rs`).

use aws_sdk_eventbridge::types::{Rule, RuleState, Tag, Target};
use serde_json::{Value, json};

use super::{Index, KindInfo, TAGS, Tags, attr_map, attr_str};
use crate::apply::{Applier, Settle, Step, tag_by_arn, tag_changes, tag_list};
use crate::aws::AwsError;
use crate::engine::desired::{Builder, canonical_json, short_hash};
use crate::engine::model::{Resource, State};
use crate::engine::plan::Action;
use crate::spec::model::{Event, ScheduleEvent};

pub static INFO: KindInfo = KindInfo {
    prefix: "rule",
    naming: "{service}-{stage}-{function}-{8 hex of what it is}",
    tags: Tags::Compared,
    replaced_by: &[BUS],
    holds_data: false,
    desired,
    needs,
    serial_with: super::not_serial,
    public: super::never_public,
    identity: &[ARN, SCHEDULE_EXPRESSION, EVENT_PATTERN, TARGET],
    about: super::nothing_to_add,
    write: super::writer!(apply),
};

pub const ARN: &str = "arn";
pub const BUS: &str = "bus";
pub const STATE: &str = "state";
/// The function's ARN: the rule's one target of slsr's.
pub const TARGET: &str = "target";
/// The role EventBridge assumes to call the target (a state machine's starter role), or null.
pub const TARGET_ROLE: &str = "target_role";
pub const INPUT: &str = "input";
pub const SCHEDULE_EXPRESSION: &str = "schedule_expression";
pub const EVENT_PATTERN: &str = "event_pattern";

/// The id slsr gives the one target of each of its rules.
pub const TARGET_ID: &str = "slsr";

fn desired(b: &Builder, state: &mut State) {
    for (function, f) in &b.p.functions {
        for event in f.events.iter().flatten() {
            if !matches!(event, Event::Schedule(_) | Event::Eventbridge(_)) {
                continue;
            }
            // A timezone, an at() or a flexible window is Scheduler's (`schedule.rs`).
            if let Event::Schedule(ScheduleEvent::Detailed(d)) = event
                && crate::spec::messaging_rules::through_scheduler(d)
            {
                continue;
            }
            let rule = resource(b, function, event);
            let source = rule.attrs.get(ARN).cloned().unwrap_or_default();
            let identity = format!("rule\0{}", rule.name);
            state.insert(rule);
            // A rule that starts a state machine calls no function: no permission.
            if super::state_machine_roles::event_target(event).is_some() {
                continue;
            }
            state.insert(super::permission::resource(
                b,
                function,
                &identity,
                json!({"principal": "events.amazonaws.com", "source_arn": source, "source_account": b.t.account()}),
            ));
        }
    }
}

fn resource(b: &Builder, function: &str, event: &Event) -> Resource {
    let (bus, what, input, enabled, name) = match event {
        Event::Schedule(ScheduleEvent::Expression(e)) => (
            "default".to_string(),
            json!({"schedule_expression": e}),
            None,
            true,
            None,
        ),
        Event::Schedule(ScheduleEvent::Detailed(d)) => (
            "default".to_string(),
            json!({"schedule_expression": d.expression}),
            d.input.clone(),
            d.enabled.unwrap_or(true),
            d.name.clone(),
        ),
        Event::Eventbridge(e) => (
            e.bus
                .as_deref()
                .map_or_else(|| "default".into(), |bus| b.bus_name(bus)),
            json!({"event_pattern": Value::Object(e.pattern.clone())}),
            e.input.clone(),
            true,
            e.name.clone(),
        ),
        Event::Sqs(_)
        | Event::Http(_)
        | Event::S3(_)
        | Event::Dynamodb(_)
        | Event::Sns(_)
        | Event::Kinesis(_)
        | Event::Rest(_) => {
            unreachable!("only schedule and eventbridge events make rules")
        }
    };
    // The rule's own part of its name: the event's name, else a hash of what it is.
    let suffix = name
        .unwrap_or_else(|| short_hash(&format!("{function}\0{bus}\0{}", canonical_json(&what))));
    let physical = format!("{}-{suffix}", b.p.physical_name(function));
    let bus_name = bus.rsplit('/').next().unwrap_or(&bus).to_string();
    let arn = if bus_name == "default" {
        format!(
            "arn:aws:events:{}:{}:rule/{physical}",
            b.t.region(),
            b.t.account()
        )
    } else {
        format!(
            "arn:aws:events:{}:{}:rule/{bus_name}/{physical}",
            b.t.region(),
            b.t.account()
        )
    };
    // A state machine named on the event is the target, started through its starter role.
    let (target, role) = match super::state_machine_roles::event_target(event) {
        Some(machine) => (
            super::state_machine::start_target(b, machine).arn,
            Value::from(super::state_machine_roles::starter_role_arn(b, machine)),
        ),
        None => (b.function_arn(function), Value::Null),
    };
    let mut r = Resource::new(super::Kind::Rule, format!("{function}.{suffix}"), physical)
        .with(ARN, arn)
        .with(BUS, bus_name)
        .with(STATE, if enabled { "ENABLED" } else { "DISABLED" })
        .with(TARGET, target)
        .with(TARGET_ROLE, role)
        .with(
            INPUT,
            input.map_or(Value::Null, |i| Value::String(canonical_json(&i))),
        )
        .with_map(TAGS, &b.tags);
    for (k, v) in what.as_object().expect("an object").clone() {
        r = r.with(&k, v);
    }
    r
}

/// A rule needs what it targets (a function or a state machine), the role it calls it with,
/// and the bus it is on when slsr makes that bus (EventBridge refuses to delete a bus that
/// has rules: they go first).
fn needs(r: &Resource, index: &Index) -> Vec<String> {
    let mut needs: Vec<String> = [TARGET, TARGET_ROLE]
        .iter()
        .filter_map(|attr| index.arn(&attr_str(r, attr)))
        .collect();
    needs.extend(index.named(super::Kind::Bus, &attr_str(r, BUS)));
    needs
}

/// A rule as ListRules has it, keyed `key`, with its tags and slsr's target (if any).
pub fn live(
    key: &str,
    bus: &str,
    rule: &Rule,
    tags: &std::collections::HashMap<String, String>,
    target: Option<&Target>,
) -> Resource {
    let name = rule.name().unwrap_or_default();
    let mut res = Resource::new(super::Kind::Rule, key, name)
        .with(ARN, rule.arn().unwrap_or_default())
        .with(BUS, bus)
        .with(STATE, rule.state().map_or("ENABLED", |s| s.as_str()))
        .with(
            TARGET,
            target.map(|t| t.arn().to_string()).unwrap_or_default(),
        )
        .with(
            TARGET_ROLE,
            target
                .and_then(|t| t.role_arn())
                .map_or(Value::Null, Value::from),
        )
        .with(
            INPUT,
            target
                .and_then(|t| t.input())
                .map_or(Value::Null, Value::from),
        );
    if let Some(expression) = rule.schedule_expression() {
        res = res.with(SCHEDULE_EXPRESSION, expression);
    }
    if let Some(pattern) = rule
        .event_pattern()
        .and_then(|p| serde_json::from_str::<Value>(p).ok())
    {
        res = res.with(EVENT_PATTERN, pattern);
    }
    res = res.with_map(TAGS, tags);
    res
}

async fn apply(a: &Applier, step: &Step) -> Result<(), AwsError> {
    let r = step.resource();
    let (name, bus) = (r.name.as_str(), attr_str(r, BUS));
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
                .resource_arn(attr_str(r, ARN))
                .set_tag_keys(Some(attr_map(r, TAGS).into_keys().collect()))
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
        || [SCHEDULE_EXPRESSION, EVENT_PATTERN, STATE]
            .iter()
            .any(|f| step.changes(f));
    if rule_changed {
        let mut put = a
            .events
            .put_rule()
            .name(name)
            .event_bus_name(&bus)
            .state(RuleState::from(attr_str(r, STATE).as_str()));
        if let Some(expression) = r.attrs.get(SCHEDULE_EXPRESSION).and_then(|v| v.as_str()) {
            put = put.schedule_expression(expression);
        }
        if let Some(pattern) = r.attrs.get(EVENT_PATTERN) {
            put = put.event_pattern(pattern.to_string());
        }
        if step.action == Action::Create {
            let tags: Vec<Tag> = tag_list!(Tag, attr_map(r, TAGS));
            put = put.set_tags(Some(tags));
        }
        put.send()
            .await
            .map_err(|e| AwsError::new("PutRule", name, e))?;
    }
    if step.action == Action::Create
        || step.changes(TARGET)
        || step.changes(INPUT)
        || step.changes(TARGET_ROLE)
    {
        let target = Target::builder()
            .id(TARGET_ID)
            .arn(attr_str(r, TARGET))
            .set_role_arn(super::attr_opt(r, TARGET_ROLE))
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
        let arn = attr_str(r, ARN);
        tag_by_arn!(a.events, &arn, name, tag_changes(step), Tag).await?;
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
            Err(e) if crate::apply::already_gone(&e) => return Ok(ids),
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
