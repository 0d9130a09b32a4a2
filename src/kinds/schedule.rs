//! EventBridge Scheduler schedules: one per `schedule` event with a timezone, an at()
//! expression or a flexible window (the others stay EventBridge rules, `rule.rs`), in the
//! service and stage's schedule group, named `{function}-{8 hex of the expression}` or
//! `{function}-{name}` (then a new expression is an update, as for rules). A timezone or a
//! window changes a schedule in place.
//!
//! A schedule starts its target through a role of its own that Scheduler assumes, allowed
//! exactly one action on exactly that target: `Target` keeps the two together, so another
//! kind of target plugs in as another `Target`: a state machine (`state_machine: NAME` on
//! the event), with states:StartExecution, through `{service}-{stage}-{machine}.scheduler-start`. For a function the role is `{service}-{stage}-{function}.scheduler` (a `.`,
//! which no function or role key holds, so it cannot meet another role's name), under
//! slsr's role path, trusting scheduler.amazonaws.com. No Lambda permission is needed:
//! Scheduler invokes with the role.
//!
//! Read with ListSchedules and GetSchedule in the owned group (`aws/read/scheduler.rs`).
//! A schedule needs its group, its role and its target.

use aws_sdk_scheduler::types::{
    FlexibleTimeWindow, FlexibleTimeWindowMode, ScheduleState, Target as SchedulerTarget,
};
use serde_json::{Value, json};

use super::{Index, KindInfo, TAGS, Tags, attr, attr_str};
use crate::apply::{Applier, Settle, Step};
use crate::aws::AwsError;
use crate::engine::desired::{Builder, canonical_json, short_hash};
use crate::engine::model::{Resource, State, address};
use crate::engine::plan::Action;
use crate::spec::messaging_rules::scheduled;

pub static INFO: KindInfo = KindInfo {
    prefix: "schedule",
    naming: "{function}-{8 hex of the expression} or {function}-{name}, in the group {service}-{stage}",
    tags: Tags::Untagged,
    replaced_by: &[GROUP],
    holds_data: false,
    desired,
    needs,
    serial_with: super::not_serial,
    public: super::never_public,
    identity: &[GROUP, EXPRESSION, TARGET],
    about: super::nothing_to_add,
    write: super::writer!(apply),
};

pub const GROUP: &str = "group";
pub const EXPRESSION: &str = "expression";
pub const TIMEZONE: &str = "timezone";
/// Minutes of the flexible time window; null when the window is off.
pub const FLEXIBLE_WINDOW: &str = "flexible_window";
pub const STATE: &str = "state";
/// The target's ARN.
pub const TARGET: &str = "target";
/// The ARN of the role Scheduler assumes to start the target.
pub const TARGET_ROLE: &str = "target_role";
pub const INPUT: &str = "input";

/// Scheduler's own default timezone.
pub const DEFAULT_TIMEZONE: &str = "UTC";

/// What a schedule starts: the target's ARN, the one action its role may take on it, and
/// the key of that role (`{target}.scheduler`, one per target).
pub struct Target {
    pub arn: String,
    pub action: &'static str,
    pub role_key: String,
}

/// The target of a function's schedules.
fn function_target(b: &Builder, function: &str) -> Target {
    Target {
        arn: b.function_arn(function),
        action: "lambda:InvokeFunction",
        role_key: format!("{function}.scheduler"),
    }
}

/// The target of schedules that start state machine `name` (`state_machine: NAME` on the
/// event): StartExecution on it, through a role of its own. The key's suffix differs from
/// a function's, so a function and a machine of one name get two roles.
fn state_machine_target(b: &Builder, name: &str) -> Target {
    let start = super::state_machine::start_target(b, name);
    Target {
        arn: start.arn,
        action: "states:StartExecution",
        role_key: format!("{name}.scheduler-start"),
    }
}

fn desired(b: &Builder, state: &mut State) {
    let group = b.schedule_group();
    for (function, s) in scheduled(b.p) {
        let target = match s.state_machine.as_deref() {
            Some(machine) => state_machine_target(b, machine),
            None => function_target(b, function),
        };
        let role = role(b, &target);
        let suffix = s
            .name
            .clone()
            .unwrap_or_else(|| short_hash(&format!("{function}\0scheduler\0{}", s.expression)));
        let physical = format!("{function}-{suffix}");
        state.insert(
            Resource::new(
                super::Kind::Schedule,
                format!("{function}.{suffix}"),
                physical,
            )
            .with(GROUP, group.clone())
            .with(EXPRESSION, s.expression.trim())
            .with(
                TIMEZONE,
                s.timezone
                    .clone()
                    .unwrap_or_else(|| DEFAULT_TIMEZONE.into()),
            )
            .with(
                FLEXIBLE_WINDOW,
                s.flexible_window.map_or(Value::Null, Value::from),
            )
            .with(
                STATE,
                if s.enabled.unwrap_or(true) {
                    "ENABLED"
                } else {
                    "DISABLED"
                },
            )
            .with(TARGET, target.arn.clone())
            .with(TARGET_ROLE, attr_str(&role, super::role::ARN))
            .with(
                INPUT,
                s.input
                    .as_ref()
                    .map_or(Value::Null, |i| Value::String(canonical_json(i))),
            ),
        );
        state.insert(role);
    }
}

/// The role Scheduler assumes for `target`: under slsr's path, trusting Scheduler, allowed
/// exactly the target's action on the target.
fn role(b: &Builder, target: &Target) -> Resource {
    use super::role::{ARN, INLINE_POLICY, MANAGED_POLICIES, PATH, TRUST_POLICY};
    let physical = b.p.physical_name(&target.role_key);
    let policy = crate::engine::normalize::policy(&json!({
        "Version": "2012-10-17",
        "Statement": [{"Effect": "Allow", "Action": [target.action], "Resource": [target.arn]}],
    }));
    let trust = crate::engine::normalize::policy(&json!({
        "Version": "2012-10-17",
        "Statement": [{"Effect": "Allow", "Principal": {"Service": "scheduler.amazonaws.com"}, "Action": "sts:AssumeRole"}],
    }));
    Resource::new(super::Kind::Role, &target.role_key, &physical)
        .with(ARN, b.role_arn(&physical))
        .with(PATH, format!("/slsr/{}/{}/", b.p.service, b.p.stage))
        .with(TRUST_POLICY, trust)
        .with(INLINE_POLICY, policy)
        .with(MANAGED_POLICIES, Vec::<String>::new())
        .with_map(TAGS, &b.tags)
}

/// A schedule needs its group, its role and its target.
fn needs(r: &Resource, index: &Index) -> Vec<String> {
    let mut needs = vec![address(super::Kind::ScheduleGroup, &attr_str(r, GROUP))];
    needs.extend(
        [TARGET_ROLE, TARGET]
            .iter()
            .filter_map(|a| index.arn(&attr_str(r, a))),
    );
    needs
}

/// A schedule as GetSchedule has it.
pub fn live(
    key: &str,
    s: &aws_sdk_scheduler::operation::get_schedule::GetScheduleOutput,
) -> Resource {
    let window = s
        .flexible_time_window()
        .filter(|w| w.mode() == &FlexibleTimeWindowMode::Flexible)
        .and_then(|w| w.maximum_window_in_minutes())
        .map_or(Value::Null, Value::from);
    let target = s.target();
    Resource::new(super::Kind::Schedule, key, s.name().unwrap_or_default())
        .with(GROUP, s.group_name().unwrap_or_default())
        .with(EXPRESSION, s.schedule_expression().unwrap_or_default())
        .with(
            TIMEZONE,
            s.schedule_expression_timezone().unwrap_or(DEFAULT_TIMEZONE),
        )
        .with(FLEXIBLE_WINDOW, window)
        .with(STATE, s.state().map_or("ENABLED", |s| s.as_str()))
        .with(TARGET, target.map(|t| t.arn()).unwrap_or_default())
        .with(
            TARGET_ROLE,
            target.map(|t| t.role_arn()).unwrap_or_default(),
        )
        .with(
            INPUT,
            target
                .and_then(|t| t.input())
                .map_or(Value::Null, Value::from),
        )
}

async fn apply(a: &Applier, step: &Step) -> Result<(), AwsError> {
    let r = step.resource();
    let (name, group) = (r.name.as_str(), attr_str(r, GROUP));
    if step.action == Action::Delete {
        return a
            .scheduler
            .delete_schedule()
            .name(name)
            .group_name(&group)
            .send()
            .await
            .or_gone("DeleteSchedule", name);
    }
    let window = match attr(r, FLEXIBLE_WINDOW).as_i64() {
        Some(minutes) => FlexibleTimeWindow::builder()
            .mode(FlexibleTimeWindowMode::Flexible)
            .maximum_window_in_minutes(minutes as i32),
        None => FlexibleTimeWindow::builder().mode(FlexibleTimeWindowMode::Off),
    }
    .build()
    .expect("the mode is set");
    let target = SchedulerTarget::builder()
        .arn(attr_str(r, TARGET))
        .role_arn(attr_str(r, TARGET_ROLE))
        .set_input(attr(r, INPUT).as_str().map(str::to_string))
        .build()
        .expect("the ARNs are set");
    let state = ScheduleState::from(attr_str(r, STATE).as_str());
    // CreateSchedule and UpdateSchedule take the same fields, on builders of two types.
    macro_rules! every_field {
        ($call:expr) => {
            $call
                .name(name)
                .group_name(&group)
                .schedule_expression(attr_str(r, EXPRESSION))
                .schedule_expression_timezone(attr_str(r, TIMEZONE))
                .flexible_time_window(window)
                .target(target)
                .state(state)
                .send()
                .await
        };
    }
    if step.action == Action::Create {
        // A retried create finds the schedule made: it is slsr's, as its group is.
        every_field!(a.scheduler.create_schedule()).or_exists("CreateSchedule", name)?;
    } else {
        // UpdateSchedule replaces every field: all of them go, changed or not.
        every_field!(a.scheduler.update_schedule())
            .map_err(|e| AwsError::new("UpdateSchedule", name, e))?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use crate::engine::desired::testing::desired;

    #[test]
    fn a_schedule_with_a_timezone_is_schedulers_and_its_role_may_invoke_only_its_function() {
        let s = desired(
            "service: shop
functions:
  api:
    image: x
    events:
      - schedule: {expression: \"cron(0 3 * * ? *)\", timezone: Europe/Paris, name: nightly}
      - schedule: rate(5 minutes)
",
            "eu-west-1",
        );
        let rules = s
            .resources
            .keys()
            .filter(|a| a.starts_with("rule."))
            .count();
        assert_eq!(rules, 1, "only the plain rate() is a rule");
        let nightly = &s.resources["schedule.api.nightly"];
        assert_eq!(nightly.name, "api-nightly");
        assert_eq!(nightly.attrs["group"], json!("shop-dev"));
        assert_eq!(nightly.attrs["timezone"], json!("Europe/Paris"));
        assert!(nightly.attrs["flexible_window"].is_null());
        assert!(s.resources.contains_key("schedule_group.shop-dev"));
        let role = &s.resources["role.api.scheduler"];
        assert_eq!(role.name, "shop-dev-api.scheduler");
        assert_eq!(
            role.attrs["inline_policy"]["Statement"],
            json!([{"Effect": "Allow", "Action": ["lambda:InvokeFunction"], "Resource": ["arn:aws:lambda:eu-west-1:123456789012:function:shop-dev-api"]}])
        );
        assert_eq!(
            role.attrs["trust_policy"]["Statement"][0]["Principal"],
            json!({"Service": ["scheduler.amazonaws.com"]})
        );
        assert_eq!(
            nightly.attrs["target_role"],
            json!("arn:aws:iam::123456789012:role/slsr/shop/dev/shop-dev-api.scheduler")
        );
    }

    #[test]
    fn without_scheduler_schedules_there_is_no_group() {
        let s = desired(
            "service: shop\nfunctions:\n  api:\n    image: x\n    events: [{schedule: rate(5 minutes)}]\n",
            "eu-west-1",
        );
        assert!(!s.resources.keys().any(|a| a.starts_with("schedule")));
        assert!(!s.resources.contains_key("role.api.scheduler"));
    }
}
