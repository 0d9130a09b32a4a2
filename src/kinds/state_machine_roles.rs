//! What a state machine brings besides itself: its generated role (assumed by Step
//! Functions, allowed to invoke exactly the functions and start exactly the state machines
//! its resolved definition names, to deliver its logs and, with tracing, to write to
//! X-Ray), its log group, the role EventBridge assumes to start it, and the grant of
//! `access: {state_machine.NAME: start}`. Pure: built from the spec and the definition.

use std::collections::BTreeSet;

use serde_json::{Value, json};

use super::state_machine::start_target;
use crate::engine::desired::Builder;
use crate::engine::model::{Resource, State};
use crate::spec::model::{Event, LogLevel, ScheduleEvent, StateMachine, StateMachineType, Tracing};
use crate::spec::state_machines::{EVENTS_ROLE_SUFFIX, ROLE_SUFFIX};

/// What a definition's Task states name.
#[derive(Debug, Default, PartialEq, Eq)]
pub struct Named {
    /// Lambda functions' ARNs, without a version or alias.
    pub functions: BTreeSet<String>,
    /// State machines it starts.
    pub machines: BTreeSet<String>,
    /// State machines it starts and waits for (`startExecution.sync`).
    pub waited_for: BTreeSet<String>,
}

/// The functions and state machines the Task states of `definition` name, at any depth
/// (in Parallel branches and Map processors too): a function by its ARN as the
/// `Resource`, or as the `FunctionName` of `arn:aws:states:::lambda:invoke` (an ARN, a
/// partial ARN or a name, in `Parameters` or JSONata's `Arguments`); a state machine as
/// the `StateMachineArn` of `arn:aws:states:::states:startExecution`. A name taken from
/// the input (`FunctionName.$`) is not known here: such a machine needs a `role`.
pub fn named(definition: &Value, region: &str, account: &str) -> Named {
    let mut out = Named::default();
    walk(definition, region, account, &mut out);
    out
}

fn walk(value: &Value, region: &str, account: &str, out: &mut Named) {
    match value {
        Value::Object(map) => {
            if map.get("Type").and_then(Value::as_str) == Some("Task") {
                task(map, region, account, out);
            }
            map.values().for_each(|v| walk(v, region, account, out));
        }
        Value::Array(items) => items.iter().for_each(|v| walk(v, region, account, out)),
        _ => {}
    }
}

fn task(state: &serde_json::Map<String, Value>, region: &str, account: &str, out: &mut Named) {
    let resource = state
        .get("Resource")
        .and_then(Value::as_str)
        .unwrap_or_default();
    let argument = |field: &str| {
        ["Parameters", "Arguments"]
            .iter()
            .find_map(|p| state.get(*p)?.get(field)?.as_str())
    };
    if resource.starts_with("arn:aws:lambda:") {
        out.functions
            .insert(function_arn(resource, region, account));
    } else if resource.starts_with("arn:aws:states:::lambda:invoke") {
        if let Some(name) = argument("FunctionName") {
            out.functions.insert(function_arn(name, region, account));
        }
    } else if let Some(integration) =
        resource.strip_prefix("arn:aws:states:::states:startExecution")
        && let Some(arn) = argument("StateMachineArn")
    {
        out.machines.insert(arn.to_string());
        if integration.starts_with(".sync") {
            out.waited_for.insert(arn.to_string());
        }
    }
}

/// A function's unqualified ARN from its ARN, partial ARN (`ACCOUNT:function:NAME`) or
/// name, each maybe with a version or alias.
fn function_arn(named: &str, region: &str, account: &str) -> String {
    let parts: Vec<&str> = named.split(':').collect();
    match parts.as_slice() {
        ["arn", partition, "lambda", r, a, "function", name, ..] => {
            format!("arn:{partition}:lambda:{r}:{a}:function:{name}")
        }
        [a, "function", name, ..] => format!("arn:aws:lambda:{region}:{a}:function:{name}"),
        [name, ..] => format!("arn:aws:lambda:{region}:{account}:function:{name}"),
        [] => String::new(),
    }
}

/// The state machine's generated role, `{service}-{stage}-{name}.states`.
pub fn execution_role(b: &Builder, name: &str, sm: &StateMachine, definition: &Value) -> Resource {
    let (region, account) = (b.t.region(), b.t.account());
    let found = named(definition, region, account);
    let mut statements = Vec::new();
    if !found.functions.is_empty() {
        // `:*` too: a Task may call a version or an alias of the function.
        let resources: Vec<String> = found
            .functions
            .iter()
            .flat_map(|f| [f.clone(), format!("{f}:*")])
            .collect();
        statements.push(allow(&["lambda:InvokeFunction"], resources));
    }
    if !found.machines.is_empty() {
        statements.push(allow(
            &["states:StartExecution"],
            found.machines.iter().cloned().collect(),
        ));
    }
    if !found.waited_for.is_empty() {
        // Waiting for a child (`.sync`) reads and stops its executions, and Step Functions
        // hears of their end through a rule it manages.
        let executions = found
            .waited_for
            .iter()
            .map(|arn| format!("{}:*", arn.replacen(":stateMachine:", ":execution:", 1)))
            .collect();
        statements.push(allow(
            &["states:DescribeExecution", "states:StopExecution"],
            executions,
        ));
        statements.push(allow(
            &["events:PutTargets", "events:PutRule", "events:DescribeRule"],
            vec![format!(
                "arn:aws:events:{region}:{account}:rule/StepFunctionsGetEventsForStepFunctionsExecutionRule"
            )],
        ));
    }
    if sm
        .logging
        .as_ref()
        .is_some_and(|l| l.level != LogLevel::Off)
    {
        // Log delivery is set up through these, which take no resource but "*".
        statements.push(allow(
            &[
                "logs:CreateLogDelivery",
                "logs:GetLogDelivery",
                "logs:UpdateLogDelivery",
                "logs:DeleteLogDelivery",
                "logs:ListLogDeliveries",
                "logs:PutResourcePolicy",
                "logs:DescribeResourcePolicies",
                "logs:DescribeLogGroups",
            ],
            vec!["*".into()],
        ));
    }
    if sm.tracing == Some(Tracing::Active) {
        statements.push(allow(
            &[
                "xray:PutTraceSegments",
                "xray:PutTelemetryRecords",
                "xray:GetSamplingRules",
                "xray:GetSamplingTargets",
            ],
            vec!["*".into()],
        ));
    }
    let key = format!("{name}{ROLE_SUFFIX}");
    super::role::assumed_by(
        b,
        &key,
        &b.p.physical_name(&key),
        "states.amazonaws.com",
        statements,
    )
}

/// The state machine's log group, `/aws/vendedlogs/states/{physical}`, keyed `{name}.states`.
pub fn log_group(b: &Builder, name: &str, sm: &StateMachine, physical: &str) -> Resource {
    let group = super::state_machine::log_group_name(physical);
    Resource::new(
        super::Kind::LogGroup,
        format!("{name}{ROLE_SUFFIX}"),
        group.as_str(),
    )
    .with(
        super::log_group::ARN,
        format!(
            "arn:aws:logs:{}:{}:log-group:{group}",
            b.t.region(),
            b.t.account()
        ),
    )
    .with(
        super::log_group::RETENTION_DAYS,
        sm.log_retention_days.map_or(Value::Null, Value::from),
    )
    .with_map(super::TAGS, &b.tags)
}

/// The state machine an event starts instead of its function, if it names one.
pub fn event_target(event: &Event) -> Option<&str> {
    match event {
        Event::Schedule(ScheduleEvent::Detailed(s)) => s.state_machine.as_deref(),
        Event::Eventbridge(e) => e.state_machine.as_deref(),
        _ => None,
    }
}

/// The ARN of the role EventBridge assumes to start state machine `name`.
pub fn starter_role_arn(b: &Builder, name: &str) -> String {
    b.role_arn(&b.p.physical_name(&format!("{name}{EVENTS_ROLE_SUFFIX}")))
}

/// One role per state machine that rules start, `{service}-{stage}-{name}.events`, which
/// EventBridge assumes and which may start only that machine.
pub fn starter_roles(b: &Builder, state: &mut State) {
    let started: BTreeSet<&str> =
        b.p.functions
            .values()
            .flat_map(|f| f.events.iter().flatten())
            // Scheduler's schedules start a machine through a role of their own (`schedule.rs`).
            .filter(|e| {
                !matches!(e, Event::Schedule(ScheduleEvent::Detailed(d))
                    if crate::spec::messaging_rules::through_scheduler(d))
            })
            .filter_map(event_target)
            .filter(|name| b.p.state_machines.contains_key(*name))
            .collect();
    for name in started {
        state.insert(starter_role(
            b,
            name,
            "events.amazonaws.com",
            EVENTS_ROLE_SUFFIX,
        ));
    }
}

/// The role a service (`events.amazonaws.com`; EventBridge Scheduler's
/// `scheduler.amazonaws.com` takes the same) assumes to start state machine `name`, keyed
/// and named with `suffix` (`.events`): allowed exactly what `start_target` needs.
pub fn starter_role(b: &Builder, name: &str, service: &str, suffix: &str) -> Resource {
    let key = format!("{name}{suffix}");
    super::role::assumed_by(
        b,
        &key,
        &b.p.physical_name(&key),
        service,
        start_target(b, name).statements,
    )
}

/// `access: {state_machine.NAME: start}`: StartExecution on exactly that machine, and
/// StartSyncExecution too for an express one (the only kind that takes it).
pub fn start_grant(b: &Builder, name: &str) -> Value {
    let express =
        b.p.state_machines
            .get(name)
            .is_some_and(|s| s.kind == Some(StateMachineType::Express));
    let mut actions = vec!["states:StartExecution"];
    if express {
        actions.push("states:StartSyncExecution");
    }
    allow(&actions, vec![b.state_machine_arn(name)])
}

/// An Allow statement, its actions and resources sorted as live policies are compared.
fn allow(actions: &[&str], mut resources: Vec<String>) -> Value {
    let mut actions: Vec<&str> = actions.to_vec();
    actions.sort();
    resources.sort();
    resources.dedup();
    json!({"Effect": "Allow", "Action": actions, "Resource": resources})
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_definition_names_its_functions_and_machines_at_any_depth() {
        let definition = json!({"StartAt": "A", "States": {
            "A": {"Type": "Task", "Resource": "arn:aws:lambda:eu-west-1:123456789012:function:shop-dev-a:live", "Next": "B"},
            "B": {"Type": "Parallel", "Branches": [{"StartAt": "C", "States": {
                "C": {"Type": "Task", "Resource": "arn:aws:states:::lambda:invoke", "Parameters": {"FunctionName": "shop-dev-c"}, "End": true}}}], "Next": "D"},
            "D": {"Type": "Task", "Resource": "arn:aws:states:::states:startExecution.sync:2", "Arguments": {"StateMachineArn": "arn:aws:states:eu-west-1:123456789012:stateMachine:child"}, "Next": "E"},
            "E": {"Type": "Task", "Resource": "arn:aws:states:::lambda:invoke", "Parameters": {"FunctionName.$": "$.fn"}, "Next": "F"},
            "F": {"Type": "Pass", "Resource": "arn:aws:lambda:eu-west-1:123456789012:function:not-a-task", "End": true}}});
        let found = named(&definition, "eu-west-1", "123456789012");
        assert_eq!(
            found.functions.into_iter().collect::<Vec<_>>(),
            [
                "arn:aws:lambda:eu-west-1:123456789012:function:shop-dev-a",
                "arn:aws:lambda:eu-west-1:123456789012:function:shop-dev-c"
            ]
        );
        assert_eq!(
            found.waited_for.into_iter().collect::<Vec<_>>(),
            ["arn:aws:states:eu-west-1:123456789012:stateMachine:child"]
        );
    }
}
