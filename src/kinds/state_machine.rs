//! Step Functions state machines: `{service}-{stage}-{name}` (or the `name` declared), with
//! the definition as JSON (compared as JSON, so the whitespace and key order of the copy
//! AWS stores never show as a change), type (a new one replaces the machine: AWS cannot
//! change it), role, logging into the machine's own log group
//! (`/aws/vendedlogs/states/{name}`, a `log_group` slsr owns), tracing and tags. Read with
//! ListStateMachines, DescribeStateMachine and ListTagsForResource (`aws/read/sfn.rs`).
//!
//! Its desired builder also makes the machine's generated role and log group, and the role
//! EventBridge assumes to start it (`state_machine_roles.rs`).

use aws_sdk_sfn::operation::describe_state_machine::DescribeStateMachineOutput;
use aws_sdk_sfn::types::{
    CloudWatchLogsLogGroup, LogDestination, LogLevel, LoggingConfiguration, StateMachineType, Tag,
    TracingConfiguration,
};
use serde_json::{Value, json};

use super::{Index, KindInfo, TAGS, Tags, attr, attr_bool, attr_map, attr_opt, attr_str};
use crate::apply::{Applier, Settle, Step, tag_by_arn, tag_changes, tag_list};
use crate::aws::AwsError;
use crate::engine::desired::Builder;
use crate::engine::model::{Resource, State};
use crate::engine::plan::Action;
use crate::spec::model::{StateMachineType as SpecType, Tracing};

pub static INFO: KindInfo = KindInfo {
    prefix: "state_machine",
    naming: "{service}-{stage}-{name}, or the name it declares",
    tags: Tags::Compared,
    replaced_by: &[TYPE],
    holds_data: false,
    desired,
    needs,
    serial_with: super::not_serial,
    public: super::never_public,
    identity: &[ARN],
    about: super::nothing_to_add,
    write: super::writer!(apply),
};

pub const ARN: &str = "arn";
/// STANDARD or EXPRESS.
pub const TYPE: &str = "type";
/// The definition as a JSON document.
pub const DEFINITION: &str = "definition";
pub const ROLE: &str = "role_arn";
/// OFF, ERROR or ALL.
pub const LOG_LEVEL: &str = "logging.level";
pub const LOG_EXECUTION_DATA: &str = "logging.include_execution_data";
/// The ARN of the log group the machine logs into (`...:log-group:NAME:*`), or null.
pub const LOG_DESTINATION: &str = "logging.destination";
/// Whether X-Ray tracing is on.
pub const TRACING: &str = "tracing";

/// The log group of a state machine's executions, by its physical name.
pub fn log_group_name(physical: &str) -> String {
    format!("/aws/vendedlogs/states/{physical}")
}

fn desired(b: &Builder, state: &mut State) {
    for (name, sm) in &b.p.state_machines {
        let physical = b.state_machine_physical(name);
        let mut definition = b.p.definitions.get(name).cloned().unwrap_or(Value::Null);
        b.fill_references(&mut definition);
        let role = match &sm.role {
            Some(arn) => arn.clone(),
            None => {
                let role = super::state_machine_roles::execution_role(b, name, sm, &definition);
                let arn = super::attr_str(&role, super::role::ARN);
                state.insert(role);
                arn
            }
        };
        let logging = sm
            .logging
            .as_ref()
            .filter(|l| l.level != crate::spec::model::LogLevel::Off);
        let destination = match logging {
            Some(_) => {
                let group = super::state_machine_roles::log_group(b, name, sm, &physical);
                let arn = format!("{}:*", attr_str(&group, super::log_group::ARN));
                state.insert(group);
                Value::from(arn)
            }
            None => Value::Null,
        };
        let level = sm.logging.as_ref().map_or("OFF", |l| l.level.aws());
        state.insert(
            Resource::new(super::Kind::StateMachine, name.as_str(), physical)
                .with(ARN, b.state_machine_arn(name))
                .with(TYPE, sm.kind.unwrap_or(SpecType::Standard).aws())
                .with(DEFINITION, definition)
                .with(ROLE, role)
                .with(LOG_LEVEL, level)
                .with(
                    LOG_EXECUTION_DATA,
                    logging.is_some_and(|l| l.include_execution_data == Some(true)),
                )
                .with(LOG_DESTINATION, destination)
                .with(TRACING, sm.tracing == Some(Tracing::Active))
                .with_map(TAGS, &b.tags)
                .with_map(TAGS, &sm.tags),
        );
    }
    super::state_machine_roles::starter_roles(b, state);
}

/// A state machine needs its role, its log group, and what its definition names as known
/// only after apply.
fn needs(r: &Resource, index: &Index) -> Vec<String> {
    let mut out: Vec<String> = index.arn(&attr_str(r, ROLE)).into_iter().collect();
    if let Some(group) = attr_opt(r, LOG_DESTINATION) {
        out.extend(index.arn(group.trim_end_matches(":*")));
    }
    out.extend(super::referenced(r));
    out
}

/// A state machine as DescribeStateMachine and ListTagsForResource have it, keyed `key`.
/// A definition AWS holds that is not JSON is kept as its text (it then differs).
pub fn live(
    key: &str,
    out: &DescribeStateMachineOutput,
    tags: &std::collections::HashMap<String, String>,
) -> Resource {
    let definition = serde_json::from_str::<Value>(out.definition())
        .unwrap_or_else(|_| Value::from(out.definition()));
    let logging = out.logging_configuration();
    let destination = logging
        .and_then(|l| l.destinations().first())
        .and_then(|d| d.cloud_watch_logs_log_group())
        .and_then(|g| g.log_group_arn())
        .map_or(Value::Null, Value::from);
    Resource::new(super::Kind::StateMachine, key, out.name())
        .with(ARN, out.state_machine_arn())
        .with(TYPE, out.r#type().as_str())
        .with(DEFINITION, definition)
        .with(ROLE, out.role_arn())
        .with(
            LOG_LEVEL,
            logging
                .and_then(|l| l.level())
                .map_or("OFF", |l| l.as_str()),
        )
        .with(
            LOG_EXECUTION_DATA,
            logging.is_some_and(|l| l.include_execution_data()),
        )
        .with(LOG_DESTINATION, destination)
        .with(
            TRACING,
            out.tracing_configuration().is_some_and(|t| t.enabled()),
        )
        .with_map(TAGS, tags)
}

/// The definition as the text Step Functions takes, with what apply learnt filled in.
fn definition_text(a: &Applier, r: &Resource) -> String {
    a.resolve(&serde_json::to_string_pretty(attr(r, DEFINITION)).unwrap_or_default())
}

fn logging(r: &Resource) -> LoggingConfiguration {
    let mut config = LoggingConfiguration::builder()
        .level(LogLevel::from(attr_str(r, LOG_LEVEL).as_str()))
        .include_execution_data(attr_bool(r, LOG_EXECUTION_DATA));
    if let Some(arn) = attr_opt(r, LOG_DESTINATION) {
        config = config.destinations(
            LogDestination::builder()
                .cloud_watch_logs_log_group(
                    CloudWatchLogsLogGroup::builder().log_group_arn(arn).build(),
                )
                .build(),
        );
    }
    config.build()
}

fn tracing(r: &Resource) -> TracingConfiguration {
    TracingConfiguration::builder()
        .enabled(attr_bool(r, TRACING))
        .build()
}

async fn apply(a: &Applier, step: &Step) -> Result<(), AwsError> {
    let r = step.resource();
    let (name, arn) = (r.name.as_str(), attr_str(r, ARN));
    match step.action {
        Action::Delete => a
            .sfn
            .delete_state_machine()
            .state_machine_arn(&arn)
            .send()
            .await
            .map(|_| ())
            .or_gone("DeleteStateMachine", name),
        Action::Create => {
            let tags = tag_list!(Tag, attr_map(r, TAGS));
            let definition = definition_text(a, r);
            // A role made a moment ago may not be assumable yet (IAM is eventually
            // consistent), and the machine this one replaces may still be being deleted:
            // Step Functions says so, and both clear up by themselves.
            let created = settled(|| {
                a.sfn
                    .create_state_machine()
                    .name(name)
                    .definition(&definition)
                    .role_arn(attr_str(r, ROLE))
                    .r#type(StateMachineType::from(attr_str(r, TYPE).as_str()))
                    .logging_configuration(logging(r))
                    .tracing_configuration(tracing(r))
                    .set_tags(Some(tags.clone()))
                    .send()
            })
            .await;
            // A retry of a create whose answer was lost finds the machine (Step Functions
            // says StateMachineAlreadyExists when what it holds differs from the request).
            let created = match created {
                Err(e)
                    if aws_sdk_sfn::error::ProvideErrorMetadata::code(&e)
                        == Some("StateMachineAlreadyExists") =>
                {
                    None
                }
                other => other.or_exists("CreateStateMachine", name)?,
            };
            if created.is_none() {
                let tags = tags_of(a, &arn).await?;
                crate::apply::ensure_ours("CreateStateMachine", r, &tags)?;
            }
            Ok(())
        }
        _ => {
            let settings = [
                DEFINITION,
                ROLE,
                LOG_LEVEL,
                LOG_EXECUTION_DATA,
                LOG_DESTINATION,
            ];
            if settings.iter().any(|f| step.changes(f)) || step.changes(TRACING) {
                let definition = definition_text(a, r);
                settled(|| {
                    let mut update = a.sfn.update_state_machine().state_machine_arn(&arn);
                    if step.changes(DEFINITION) {
                        update = update.definition(&definition);
                    }
                    if step.changes(ROLE) {
                        update = update.role_arn(attr_str(r, ROLE));
                    }
                    if [LOG_LEVEL, LOG_EXECUTION_DATA, LOG_DESTINATION]
                        .iter()
                        .any(|f| step.changes(f))
                    {
                        update = update.logging_configuration(logging(r));
                    }
                    if step.changes(TRACING) {
                        update = update.tracing_configuration(tracing(r));
                    }
                    update.send()
                })
                .await
                .map_err(|e| AwsError::new("UpdateStateMachine", name, e))?;
            }
            tag_by_arn!(a.sfn, &arn, name, tag_changes(step), Tag).await?;
            Ok(())
        }
    }
}

/// A state machine's tags.
async fn tags_of(
    a: &Applier,
    arn: &str,
) -> Result<std::collections::HashMap<String, String>, AwsError> {
    let out = a
        .sfn
        .list_tags_for_resource()
        .resource_arn(arn)
        .send()
        .await
        .map_err(|e| AwsError::new("ListTagsForResource", arn, e))?;
    Ok(out
        .tags()
        .iter()
        .filter_map(|t| Some((t.key()?.to_string(), t.value()?.to_string())))
        .collect())
}

/// How long a new role, or the deletion of the machine a new one replaces, is waited for.
const PATIENCE: std::time::Duration = std::time::Duration::from_secs(120);

/// Whether Step Functions refused a call for what clears up by itself: a role it cannot
/// assume yet (a new role's trust takes seconds to reach it), a machine of the name still
/// being deleted (a replacement's create right after the delete).
fn clears_up(code: Option<&str>, message: Option<&str>) -> bool {
    match code {
        Some("StateMachineDeleting") => true,
        Some("AccessDeniedException") => message.is_some_and(|m| m.contains("assume")),
        _ => false,
    }
}

/// Makes a call, again while Step Functions refuses it for what clears up by itself
/// (`clears_up`), for up to `PATIENCE`.
async fn settled<T, E, Fut>(call: impl Fn() -> Fut) -> Result<T, E>
where
    Fut: std::future::Future<Output = Result<T, E>>,
    E: aws_sdk_sfn::error::ProvideErrorMetadata,
{
    let started = std::time::Instant::now();
    let mut pause = std::time::Duration::from_millis(500);
    loop {
        match call().await {
            Err(e) if clears_up(e.code(), e.message()) && started.elapsed() < PATIENCE => {
                tokio::time::sleep(pause).await;
                pause = (pause * 2).min(std::time::Duration::from_secs(8));
            }
            other => return other,
        }
    }
}

/// The target a schedule or rule gives to start a state machine, and what its role may do
/// there: StartExecution on exactly that machine. EventBridge rules use it
/// (`kinds/rule.rs`); EventBridge Scheduler can take the same.
pub struct StartTarget {
    /// The state machine's ARN: the target's ARN.
    pub arn: String,
    /// The statements of the role the service assumes to start it.
    pub statements: Vec<Value>,
}

/// What starting state machine `name` takes.
pub fn start_target(b: &Builder, name: &str) -> StartTarget {
    let arn = b.state_machine_arn(name);
    StartTarget {
        statements: vec![
            json!({"Effect": "Allow", "Action": ["states:StartExecution"], "Resource": [arn]}),
        ],
        arn,
    }
}

#[cfg(test)]
mod tests {
    use std::sync::atomic::{AtomicUsize, Ordering};

    use aws_smithy_types::error::ErrorMetadata;

    use super::settled;

    fn refusal(code: &str, message: &str) -> ErrorMetadata {
        ErrorMetadata::builder().code(code).message(message).build()
    }

    #[tokio::test(start_paused = true)]
    async fn a_replaced_machine_still_deleting_and_a_new_role_are_waited_for() {
        let calls = AtomicUsize::new(0);
        let answers = [
            Err(refusal(
                "StateMachineDeleting",
                "State Machine is being deleted",
            )),
            Err(refusal(
                "AccessDeniedException",
                "Neither the global service principal states.amazonaws.com, nor the regional one is authorized to assume the provided role.",
            )),
            Ok("arn:aws:states:us-east-1:123456789012:stateMachine:shop-dev-flow"),
        ];
        let out = settled(|| {
            let answer = answers[calls.fetch_add(1, Ordering::SeqCst)].clone();
            async move { answer }
        })
        .await;
        assert_eq!(out.unwrap(), answers[2].clone().unwrap());
        assert_eq!(calls.load(Ordering::SeqCst), 3);

        // Any other refusal is the answer at once.
        let calls = AtomicUsize::new(0);
        let out: Result<(), _> = settled(|| {
            calls.fetch_add(1, Ordering::SeqCst);
            async {
                Err(refusal(
                    "AccessDeniedException",
                    "not allowed: states:CreateStateMachine",
                ))
            }
        })
        .await;
        assert!(out.is_err());
        assert_eq!(calls.load(Ordering::SeqCst), 1);
    }
}
