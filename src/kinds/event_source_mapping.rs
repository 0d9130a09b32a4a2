//! Event source mappings: an SQS queue feeding a function, with batch size, window,
//! partial batch responses and whether it is enabled. AWS names a mapping by a UUID; slsr
//! knows its own by its tags (written at creation), which ListEventSourceMappings does not
//! return: a mapping is read as unverified and its tags read before a change touches it.
//! A mapping needs its function and its queue.

use aws_sdk_lambda::types::{EventSourceMappingConfiguration, FunctionResponseType};
use serde_json::Value;

use super::{Index, KindInfo, TAGS, Tags, attr_bool, attr_i32, attr_map, attr_str};
use crate::apply::{Applier, Settle, Step};
use crate::aws::AwsError;
use crate::aws::read::Scope;
use crate::engine::desired::Builder;
use crate::engine::model::{KNOWN_AFTER_APPLY, Resource, State};
use crate::engine::plan::Action;
use crate::spec::model::Event;

pub static INFO: KindInfo = KindInfo {
    prefix: "event_source_mapping",
    naming: "a UUID AWS gives; slsr's carry its tags",
    tags: Tags::WrittenOnly,
    replaced_by: &[EVENT_SOURCE_ARN],
    holds_data: false,
    desired,
    needs,
    serial_with,
    public: super::never_public,
    write: super::writer!(apply),
};

/// The function's physical name.
pub const FUNCTION: &str = "function";
pub const EVENT_SOURCE_ARN: &str = "event_source_arn";
pub const BATCH_SIZE: &str = "batch_size";
pub const BATCHING_WINDOW: &str = "batching_window";
pub const ENABLED: &str = "enabled";
pub const REPORT_BATCH_ITEM_FAILURES: &str = "report_batch_item_failures";

/// An SQS mapping's default batch size.
pub const DEFAULT_BATCH: u32 = 10;

fn desired(b: &Builder, state: &mut State) {
    for (function, f) in &b.p.functions {
        for event in f.events.iter().flatten() {
            let Event::Sqs(sqs) = event else { continue };
            let (source_key, arn) = match (&sqs.queue, &sqs.arn) {
                (Some(q), _) => (q.clone(), b.queue_arn(q)),
                (None, Some(arn)) => (
                    arn.rsplit(':').next().unwrap_or(arn).to_string(),
                    arn.clone(),
                ),
                (None, None) => ("?".into(), String::new()),
            };
            state.insert(
                Resource::new(
                    super::Kind::EventSourceMapping,
                    format!("{function}.{source_key}"),
                    KNOWN_AFTER_APPLY,
                )
                .with(FUNCTION, b.p.physical_name(function))
                .with(EVENT_SOURCE_ARN, arn)
                .with(BATCH_SIZE, sqs.batch_size.unwrap_or(DEFAULT_BATCH))
                .with(BATCHING_WINDOW, sqs.batching_window.unwrap_or(0))
                .with(ENABLED, sqs.enabled.unwrap_or(true))
                .with(
                    REPORT_BATCH_ITEM_FAILURES,
                    sqs.report_batch_item_failures.unwrap_or(false),
                )
                .with_map(TAGS, &b.tags),
            );
        }
    }
}

/// A mapping needs its function and, when slsr makes it, its queue.
fn needs(r: &Resource, index: &Index) -> Vec<String> {
    let mut needs = super::function_of(r, index, FUNCTION);
    needs.extend(index.arn(&attr_str(r, EVENT_SOURCE_ARN)));
    needs
}

fn serial_with(r: &Resource) -> Option<String> {
    Some(attr_str(r, FUNCTION))
}

/// A mapping of one of the service's functions as ListEventSourceMappings has it, with its
/// ARN (for its tags); `None` for another service's.
pub fn live(scope: &Scope, m: &EventSourceMappingConfiguration) -> Option<(Resource, String)> {
    let function = m
        .function_arn()
        .and_then(|a| a.rsplit(':').next())
        .unwrap_or_default()
        .to_string();
    let function_key = scope.logical(&function)?;
    let source = m.event_source_arn().unwrap_or_default();
    let queue = source.rsplit(':').next().unwrap_or_default();
    let queue_key = scope
        .logical(queue)
        .map(|q| q.trim_end_matches(".fifo"))
        .unwrap_or(queue);
    let key = format!("{function_key}.{queue_key}");
    let enabled = m
        .state()
        .is_some_and(|s| matches!(s, "Enabled" | "Enabling" | "Creating" | "Updating"));
    let reports = m
        .function_response_types()
        .iter()
        .any(|t| t.as_str() == "ReportBatchItemFailures");
    let uuid = m.uuid().unwrap_or_default();
    let arn = m
        .event_source_mapping_arn()
        .map(str::to_string)
        .unwrap_or_else(|| {
            // Older answers lack the ARN; it follows from the function's.
            let function_arn = m.function_arn().unwrap_or_default();
            let base = function_arn.split(":function:").next().unwrap_or_default();
            format!("{base}:event-source-mapping:{uuid}")
        });
    let mapping = Resource::new(super::Kind::EventSourceMapping, key, uuid)
        .with(FUNCTION, function.as_str())
        .with(EVENT_SOURCE_ARN, source)
        .with(BATCH_SIZE, m.batch_size().unwrap_or(DEFAULT_BATCH as i32))
        .with(
            BATCHING_WINDOW,
            m.maximum_batching_window_in_seconds().unwrap_or(0),
        )
        .with(ENABLED, enabled)
        .with(REPORT_BATCH_ITEM_FAILURES, reports);
    Some((mapping, arn))
}

async fn apply(a: &Applier, step: &Step) -> Result<(), AwsError> {
    let r = step.resource();
    let function = attr_str(r, FUNCTION);
    let source = attr_str(r, EVENT_SOURCE_ARN);
    let target = format!("{function} <- {source}");
    let responses = if attr_bool(r, REPORT_BATCH_ITEM_FAILURES) {
        vec![FunctionResponseType::ReportBatchItemFailures]
    } else {
        vec![]
    };
    let enabled = r.attrs.get(ENABLED) != Some(&Value::Bool(false));
    match step.action {
        Action::Delete => {
            a.lambda
                .delete_event_source_mapping()
                .uuid(&r.name)
                .send()
                .await
                .or_gone("DeleteEventSourceMapping", &target)?;
        }
        Action::Create => {
            let created = a
                .lambda
                .create_event_source_mapping()
                .function_name(&function)
                .event_source_arn(&source)
                .batch_size(attr_i32(r, BATCH_SIZE).unwrap_or(DEFAULT_BATCH as i32))
                .maximum_batching_window_in_seconds(attr_i32(r, BATCHING_WINDOW).unwrap_or(0))
                .enabled(enabled)
                .set_function_response_types(Some(responses))
                // slsr's tags are what makes the mapping its own (`aws/read/lambda.rs`).
                .set_tags(Some(attr_map(r, TAGS)))
                .send()
                .await
                .or_exists("CreateEventSourceMapping", &target)?;
            if created.is_none() {
                ensure_mapping_owned(a, r, &function, &source, &target).await?;
            }
        }
        _ => {
            let uuid = step.live().map(|l| l.name.clone()).unwrap_or_default();
            a.lambda
                .update_event_source_mapping()
                .uuid(uuid)
                .batch_size(attr_i32(r, BATCH_SIZE).unwrap_or(DEFAULT_BATCH as i32))
                .maximum_batching_window_in_seconds(attr_i32(r, BATCHING_WINDOW).unwrap_or(0))
                .enabled(enabled)
                .set_function_response_types(Some(responses))
                .send()
                .await
                .map_err(|e| AwsError::new("UpdateEventSourceMapping", target, e))?;
        }
    }
    Ok(())
}

/// After a mapping's create was refused as existing: the mapping of that source to that
/// function must carry this service and stage's tags (a lost answer's first attempt), not
/// be another team's trigger.
async fn ensure_mapping_owned(
    a: &Applier,
    r: &Resource,
    function: &str,
    source: &str,
    target: &str,
) -> Result<(), AwsError> {
    let listed: Vec<_> = a
        .lambda
        .list_event_source_mappings()
        .function_name(function)
        .event_source_arn(source)
        .into_paginator()
        .items()
        .send()
        .try_collect()
        .await
        .map_err(|e| AwsError::new("ListEventSourceMappings", target, e))?;
    for mapping in listed {
        let Some(arn) = mapping.event_source_mapping_arn() else {
            continue;
        };
        let tags = a
            .lambda
            .list_tags()
            .resource(arn)
            .send()
            .await
            .map_err(|e| AwsError::new("ListTags", arn, e))?
            .tags
            .unwrap_or_default();
        if crate::apply::ensure_ours("CreateEventSourceMapping", r, &tags).is_ok() {
            return Ok(());
        }
    }
    Err(AwsError {
        operation: "CreateEventSourceMapping",
        target: target.to_string(),
        message: "a mapping of this source to this function exists without this service and stage's tags; slsr leaves it alone".into(),
    })
}
