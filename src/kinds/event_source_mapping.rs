//! Event source mappings: an SQS queue, a DynamoDB table's stream or a Kinesis stream
//! feeding a function,
//! with batch size, window, filters, partial batch responses and whether it is enabled; a
//! stream's also with its starting position, bisect on error, retries, record age, an
//! on-failure queue and parallelization. AWS names a mapping by a UUID; slsr knows its own
//! by its tags (written at creation), which ListEventSourceMappings does not return: a
//! mapping is read as unverified and its tags read before a change touches it.
//!
//! A mapping needs its function, its queue or table, its on-failure queue and the
//! function's generated role (which grants the poller its reads). A stream's view type
//! change gives the stream a new ARN: the mapping's source changes, so it is replaced, after
//! the table's update that makes the new stream.

use aws_sdk_lambda::types::{
    DestinationConfig, EventSourceMappingConfiguration, EventSourcePosition, Filter,
    FilterCriteria, FunctionResponseType, OnFailure,
};
use serde_json::Value;

use super::{
    Index, Kind, KindInfo, TAGS, Tags, attr, attr_bool, attr_i32, attr_map, attr_opt, attr_str,
};
use crate::apply::{Applier, Settle, Step};
use crate::aws::AwsError;
use crate::aws::read::Scope;
use crate::engine::desired::{Builder, canonical_json};
use crate::engine::model::{KNOWN_AFTER_APPLY, Resource, State};
use crate::engine::plan::Action;
use crate::spec::model::{DynamodbEvent, Event, KinesisEvent, StartingPosition};

pub static INFO: KindInfo = KindInfo {
    prefix: "event_source_mapping",
    naming: "a UUID AWS gives; slsr's carry its tags",
    tags: Tags::WrittenOnly,
    // AWS cannot move a mapping to another source, nor make it start elsewhere.
    replaced_by: &[EVENT_SOURCE_ARN, STARTING_POSITION],
    holds_data: false,
    desired,
    needs,
    serial_with,
    public: super::never_public,
    identity: &[FUNCTION, EVENT_SOURCE_ARN],
    about: super::nothing_to_add,
    write: super::writer!(apply),
};

/// The function's physical name.
pub const FUNCTION: &str = "function";
pub const EVENT_SOURCE_ARN: &str = "event_source_arn";
pub const BATCH_SIZE: &str = "batch_size";
pub const BATCHING_WINDOW: &str = "batching_window";
pub const ENABLED: &str = "enabled";
pub const REPORT_BATCH_ITEM_FAILURES: &str = "report_batch_item_failures";
/// Event filter patterns, each a JSON object, sorted: `[]` when none.
pub const FILTERS: &str = "filters";
/// A stream's: `latest` or `trim_horizon`.
pub const STARTING_POSITION: &str = "starting_position";
pub const BISECT_ON_ERROR: &str = "bisect_on_error";
pub const MAX_RETRIES: &str = "max_retries";
pub const MAX_RECORD_AGE: &str = "max_record_age";
/// The ARN of the queue records that failed every retry go to, or null.
pub const ON_FAILURE: &str = "on_failure";
pub const PARALLELIZATION: &str = "parallelization";

/// An SQS mapping's default batch size.
pub const DEFAULT_BATCH: u32 = 10;
/// AWS's defaults for a stream's mapping: 100 records a batch, retried until they expire
/// (-1), however old (-1), one batch per shard at a time, not split on error.
pub const DEFAULT_STREAM_BATCH: u32 = 100;
pub const DEFAULT_MAX_RETRIES: i32 = -1;
pub const DEFAULT_MAX_RECORD_AGE: i32 = -1;
pub const DEFAULT_PARALLELIZATION: u32 = 1;
/// slsr's default starting position: only what is written once the mapping exists.
pub const DEFAULT_STARTING_POSITION: &str = "latest";

fn desired(b: &Builder, state: &mut State) {
    for (function, f) in &b.p.functions {
        for event in f.events.iter().flatten() {
            if let Event::Dynamodb(d) = event {
                state.insert(table_stream_mapping(b, function, d));
                continue;
            }
            if let Event::Kinesis(k) = event {
                state.insert(kinesis_mapping(b, function, k));
                continue;
            }
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
                .with(FILTERS, filters(sqs.filters.iter().flatten()))
                .with_map(TAGS, &b.tags),
            );
        }
    }
}

/// What the mapping of a `dynamodb` or a `kinesis` event is made of besides its source.
struct StreamSettings<'a> {
    starting_position: Option<StartingPosition>,
    batch_size: Option<u32>,
    batching_window: Option<u32>,
    filters: &'a Option<Vec<serde_json::Map<String, Value>>>,
    bisect_on_error: Option<bool>,
    max_retries: Option<i32>,
    max_record_age: Option<i32>,
    on_failure: Option<&'a str>,
    report_batch_item_failures: Option<bool>,
    parallelization: Option<u32>,
    enabled: Option<bool>,
}

/// The mapping of a `dynamodb` event: on a declared table's stream (its ARN known after
/// apply while the plan makes or changes the stream) or on the stream ARN given.
fn table_stream_mapping(b: &Builder, function: &str, d: &DynamodbEvent) -> Resource {
    let (table, stream) = if crate::spec::data_rules::is_stream_arn(&d.table) {
        (table_of_stream(&d.table).to_string(), d.table.clone())
    } else {
        (b.table_physical(&d.table), b.table_stream_arn(&d.table))
    };
    // Keyed by the table's name as the live side can tell it from the stream's ARN.
    let prefix = format!("{}-{}-", b.p.service, b.p.stage);
    let table_key = table.strip_prefix(&prefix).unwrap_or(&table);
    let settings = StreamSettings {
        starting_position: d.starting_position,
        batch_size: d.batch_size,
        batching_window: d.batching_window,
        filters: &d.filters,
        bisect_on_error: d.bisect_on_error,
        max_retries: d.max_retries,
        max_record_age: d.max_record_age,
        on_failure: d.on_failure.as_ref().map(|q| q.queue.as_str()),
        report_batch_item_failures: d.report_batch_item_failures,
        parallelization: d.parallelization,
        enabled: d.enabled,
    };
    stream_mapping(
        b,
        function,
        stream_key(function, table_key),
        stream,
        &settings,
    )
}

/// The mapping of a `kinesis` event: on a declared stream or on the stream ARN given (one
/// slsr does not own gets only the mapping).
fn kinesis_mapping(b: &Builder, function: &str, k: &KinesisEvent) -> Resource {
    let source = b.kinesis_source(&k.stream);
    let name = kinesis_stream_of(&source);
    let prefix = format!("{}-{}-", b.p.service, b.p.stage);
    let stream_key = name.strip_prefix(&prefix).unwrap_or(name);
    let settings = StreamSettings {
        starting_position: k.starting_position,
        batch_size: k.batch_size,
        batching_window: k.batching_window,
        filters: &k.filters,
        bisect_on_error: k.bisect_on_error,
        max_retries: k.retries,
        max_record_age: k.max_record_age,
        on_failure: k.on_failure.as_ref().map(|q| q.queue.as_str()),
        report_batch_item_failures: k.report_batch_item_failures,
        parallelization: k.parallelization,
        enabled: k.enabled,
    };
    stream_mapping(
        b,
        function,
        kinesis_key(function, stream_key),
        source,
        &settings,
    )
}

/// A stream's mapping, from its key, source and settings, with AWS's defaults written out.
fn stream_mapping(
    b: &Builder,
    function: &str,
    key: String,
    source: String,
    d: &StreamSettings,
) -> Resource {
    let position = match d.starting_position {
        Some(StartingPosition::TrimHorizon) => "trim_horizon",
        Some(StartingPosition::Latest) | None => DEFAULT_STARTING_POSITION,
    };
    Resource::new(Kind::EventSourceMapping, key, KNOWN_AFTER_APPLY)
        .with(FUNCTION, b.p.physical_name(function))
        .with(EVENT_SOURCE_ARN, source)
        .with(STARTING_POSITION, position)
        .with(BATCH_SIZE, d.batch_size.unwrap_or(DEFAULT_STREAM_BATCH))
        .with(BATCHING_WINDOW, d.batching_window.unwrap_or(0))
        .with(ENABLED, d.enabled.unwrap_or(true))
        .with(
            REPORT_BATCH_ITEM_FAILURES,
            d.report_batch_item_failures.unwrap_or(false),
        )
        .with(FILTERS, filters(d.filters.iter().flatten()))
        .with(BISECT_ON_ERROR, d.bisect_on_error.unwrap_or(false))
        .with(MAX_RETRIES, d.max_retries.unwrap_or(DEFAULT_MAX_RETRIES))
        .with(
            MAX_RECORD_AGE,
            d.max_record_age.unwrap_or(DEFAULT_MAX_RECORD_AGE),
        )
        .with(
            ON_FAILURE,
            d.on_failure.map_or(Value::Null, |q| b.queue_arn(q).into()),
        )
        .with(
            PARALLELIZATION,
            d.parallelization.unwrap_or(DEFAULT_PARALLELIZATION),
        )
        .with_map(TAGS, &b.tags)
}

/// A Kinesis mapping's key: `FUNCTION.stream.STREAM`.
fn kinesis_key(function: &str, stream: &str) -> String {
    format!("{function}.stream.{stream}")
}

/// The stream's name in a Kinesis ARN: `arn:aws:kinesis:R:A:stream/NAME`.
fn kinesis_stream_of(arn: &str) -> &str {
    arn.split(":stream/").nth(1).unwrap_or(arn)
}

/// A stream mapping's key: `FUNCTION.table.TABLE`, apart from the function's queues.
fn stream_key(function: &str, table: &str) -> String {
    format!("{function}.table.{table}")
}

/// The table's name in a stream's ARN: `arn:aws:dynamodb:R:A:table/NAME/stream/LABEL`.
fn table_of_stream(arn: &str) -> &str {
    arn.split(":table/")
        .nth(1)
        .and_then(|rest| rest.split('/').next())
        .unwrap_or_default()
}

/// Whether a live mapping reads a DynamoDB or a Kinesis stream (else an SQS queue).
fn reads_stream(source: &str) -> bool {
    matches!(source.split(':').nth(2), Some("dynamodb" | "kinesis"))
}

/// Filter patterns in one normal form: keys sorted at every level, the list sorted, so
/// that neither the spec's order nor AWS's changes anything.
fn filters<'a>(patterns: impl IntoIterator<Item = &'a serde_json::Map<String, Value>>) -> Value {
    let mut texts: Vec<String> = patterns
        .into_iter()
        .map(|p| canonical_json(&Value::Object(p.clone())))
        .collect();
    texts.sort();
    texts.dedup();
    Value::Array(
        texts
            .iter()
            .map(|t| serde_json::from_str(t).unwrap_or(Value::Null))
            .collect(),
    )
}

/// A mapping needs its function and, when slsr makes them, its queue or table, and its
/// on-failure queue; and its function's generated role, named as the function is: AWS
/// checks, as it makes a mapping, that the role lets the poller read the source.
fn needs(r: &Resource, index: &Index) -> Vec<String> {
    let mut needs = super::function_of(r, index, FUNCTION);
    let source = attr_str(r, EVENT_SOURCE_ARN);
    needs.extend(index.arn(&source));
    if let Some(table) = source
        .split("/stream/")
        .next()
        .filter(|_| source.contains("/stream/"))
    {
        needs.extend(index.arn(table));
    }
    needs.extend(attr_opt(r, ON_FAILURE).and_then(|q| index.arn(&q)));
    needs.extend(index.named(Kind::Role, &attr_str(r, FUNCTION)));
    // A new stream's ARN, known after apply: its table.
    needs.extend(super::referenced(r));
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
    let stream = reads_stream(source);
    let key = if source.split(':').nth(2) == Some("kinesis") {
        let name = kinesis_stream_of(source);
        kinesis_key(function_key, scope.logical(name).unwrap_or(name))
    } else if stream {
        let table = table_of_stream(source);
        stream_key(function_key, scope.logical(table).unwrap_or(table))
    } else {
        let queue = source.rsplit(':').next().unwrap_or_default();
        let queue_key = scope
            .logical(queue)
            .map(|q| q.trim_end_matches(".fifo"))
            .unwrap_or(queue);
        format!("{function_key}.{queue_key}")
    };
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
    let patterns: Vec<serde_json::Map<String, Value>> = m
        .filter_criteria()
        .map(|c| c.filters())
        .unwrap_or_default()
        .iter()
        .filter_map(|f| serde_json::from_str(f.pattern()?).ok())
        .collect();
    let default_batch = if stream {
        DEFAULT_STREAM_BATCH
    } else {
        DEFAULT_BATCH
    };
    let mut mapping = Resource::new(super::Kind::EventSourceMapping, key, uuid)
        .with(FUNCTION, function.as_str())
        .with(EVENT_SOURCE_ARN, source)
        .with(BATCH_SIZE, m.batch_size().unwrap_or(default_batch as i32))
        .with(
            BATCHING_WINDOW,
            m.maximum_batching_window_in_seconds().unwrap_or(0),
        )
        .with(ENABLED, enabled)
        .with(REPORT_BATCH_ITEM_FAILURES, reports)
        .with(FILTERS, filters(&patterns));
    if stream {
        let position = match m.starting_position().map(|p| p.as_str()) {
            Some("TRIM_HORIZON") => "trim_horizon",
            Some("AT_TIMESTAMP") => "at_timestamp",
            _ => "latest",
        };
        // AWS answers `{"OnFailure": {}}` for a mapping without a destination.
        let on_failure = m
            .destination_config()
            .and_then(|d| d.on_failure())
            .and_then(|f| f.destination())
            .filter(|d| !d.is_empty())
            .map_or(Value::Null, Value::from);
        mapping = mapping
            .with(STARTING_POSITION, position)
            .with(
                BISECT_ON_ERROR,
                m.bisect_batch_on_function_error().unwrap_or(false),
            )
            .with(
                MAX_RETRIES,
                m.maximum_retry_attempts().unwrap_or(DEFAULT_MAX_RETRIES),
            )
            .with(
                MAX_RECORD_AGE,
                m.maximum_record_age_in_seconds()
                    .unwrap_or(DEFAULT_MAX_RECORD_AGE),
            )
            .with(ON_FAILURE, on_failure)
            .with(
                PARALLELIZATION,
                m.parallelization_factor()
                    .unwrap_or(DEFAULT_PARALLELIZATION as i32),
            );
    }
    Some((mapping, arn))
}

/// The filter criteria of a mapping resource; an empty one when it has no filters, which
/// takes a change's last filter away.
fn filter_criteria(r: &Resource) -> FilterCriteria {
    let patterns = attr(r, FILTERS).as_array().cloned().unwrap_or_default();
    FilterCriteria::builder()
        .set_filters(Some(
            patterns
                .iter()
                .map(|p| Filter::builder().pattern(p.to_string()).build())
                .collect(),
        ))
        .build()
}

/// The on-failure destination; an empty one takes a change's destination away.
fn destination(r: &Resource) -> DestinationConfig {
    DestinationConfig::builder()
        .on_failure(
            OnFailure::builder()
                .set_destination(attr_opt(r, ON_FAILURE))
                .build(),
        )
        .build()
}

fn starting_position(r: &Resource) -> Option<EventSourcePosition> {
    attr_opt(r, STARTING_POSITION)
        .map(|p| EventSourcePosition::from(p.to_ascii_uppercase().as_str()))
}

async fn apply(a: &Applier, step: &Step) -> Result<(), AwsError> {
    let r = step.resource();
    let function = attr_str(r, FUNCTION);
    // A new stream's ARN, known once the table's change made it.
    let source = a.resolve(&attr_str(r, EVENT_SOURCE_ARN));
    if crate::engine::desired::still_unknown(&source) && !a.dry && step.action != Action::Delete {
        return Err(AwsError {
            operation: "CreateEventSourceMapping",
            target: format!("{function} <- {source}"),
            message:
                "the source's ARN is still unknown: the change that makes it did not record it"
                    .into(),
        });
    }
    let target = format!("{function} <- {source}");
    // Stream mappings alone take these; SQS refuses them.
    let stream = r.attrs.contains_key(STARTING_POSITION);
    let patterns = attr(r, FILTERS).as_array().is_some_and(|p| !p.is_empty());
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
                .set_filter_criteria(patterns.then(|| filter_criteria(r)))
                .set_starting_position(starting_position(r))
                .set_bisect_batch_on_function_error(stream.then(|| attr_bool(r, BISECT_ON_ERROR)))
                .set_maximum_retry_attempts(stream.then(|| attr_i32(r, MAX_RETRIES)).flatten())
                .set_maximum_record_age_in_seconds(
                    stream.then(|| attr_i32(r, MAX_RECORD_AGE)).flatten(),
                )
                .set_parallelization_factor(stream.then(|| attr_i32(r, PARALLELIZATION)).flatten())
                .set_destination_config(
                    (stream && attr_opt(r, ON_FAILURE).is_some()).then(|| destination(r)),
                )
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
                .set_filter_criteria(step.changes(FILTERS).then(|| filter_criteria(r)))
                .set_bisect_batch_on_function_error(stream.then(|| attr_bool(r, BISECT_ON_ERROR)))
                .set_maximum_retry_attempts(stream.then(|| attr_i32(r, MAX_RETRIES)).flatten())
                .set_maximum_record_age_in_seconds(
                    stream.then(|| attr_i32(r, MAX_RECORD_AGE)).flatten(),
                )
                .set_parallelization_factor(stream.then(|| attr_i32(r, PARALLELIZATION)).flatten())
                .set_destination_config(
                    (stream && step.changes(ON_FAILURE)).then(|| destination(r)),
                )
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

#[cfg(test)]
mod tests {
    use super::*;

    fn mappings(events: &[&str]) -> State {
        let text = format!(
            "service: shop
queues: {{jobs: {{}}, failed: {{}}}}
tables:
  orders: {{key: {{partition: pk}}, attributes: {{pk: string}}, stream: new_image}}
functions:
  worker:
    image: 123456789012.dkr.ecr.eu-west-1.amazonaws.com/worker:1
    events:
{}
",
            events.join("\n")
        );
        let mut state = crate::engine::desired::testing::desired(&text, "eu-west-1");
        state
            .resources
            .retain(|_, r| r.kind == Kind::EventSourceMapping);
        state
    }

    #[test]
    fn a_kinesis_event_is_a_stream_mapping_keyed_by_its_stream() {
        let text = "service: shop
streams: {clicks: {}}
functions:
  worker:
    image: 123456789012.dkr.ecr.eu-west-1.amazonaws.com/worker:1
    events:
      - kinesis: {stream: clicks, retries: 3, parallelization: 4}
      - kinesis: {stream: 'arn:aws:kinesis:eu-west-1:210987654321:stream/theirs'}
";
        let state = crate::engine::desired::testing::desired(text, "eu-west-1");
        let ours = &state.resources["event_source_mapping.worker.stream.clicks"];
        assert_eq!(
            attr(ours, EVENT_SOURCE_ARN),
            "arn:aws:kinesis:eu-west-1:123456789012:stream/shop-dev-clicks"
        );
        assert_eq!(
            (
                attr(ours, MAX_RETRIES),
                attr(ours, PARALLELIZATION),
                attr(ours, BATCH_SIZE),
                attr(ours, STARTING_POSITION),
            ),
            (
                &Value::from(3),
                &Value::from(4),
                &Value::from(100),
                &Value::from("latest")
            )
        );
        let theirs = &state.resources["event_source_mapping.worker.stream.theirs"];
        assert_eq!(
            attr(theirs, EVENT_SOURCE_ARN),
            "arn:aws:kinesis:eu-west-1:210987654321:stream/theirs"
        );
        assert!(!state.resources.contains_key("stream.theirs"));
    }

    #[test]
    fn reordering_events_or_their_filters_changes_no_mapping() {
        let events = [
            "      - sqs: {queue: jobs, filters: [{body: {b: [2]}}, {body: {a: [1]}}]}",
            "      - dynamodb: {table: orders, on_failure: {queue: failed}}",
            "      - dynamodb: {table: 'arn:aws:dynamodb:eu-west-1:123456789012:table/other/stream/2026-01-01T00:00:00.000'}",
        ];
        let forward = mappings(&events);
        let backward = mappings(&[
            events[2],
            events[1],
            "      - sqs: {queue: jobs, filters: [{body: {a: [1]}}, {body: {b: [2]}}]}",
        ]);
        assert_eq!(forward, backward);
        let keys: Vec<&str> = forward.resources.values().map(|r| r.key.as_str()).collect();
        assert_eq!(
            keys,
            ["worker.jobs", "worker.table.orders", "worker.table.other"]
        );
        let orders = &forward.resources["event_source_mapping.worker.table.orders"];
        // AWS's defaults for a stream, and the stream known after apply (the plan makes it).
        assert_eq!(
            (
                attr(orders, BATCH_SIZE),
                attr(orders, MAX_RETRIES),
                attr(orders, MAX_RECORD_AGE),
                attr(orders, PARALLELIZATION),
                attr(orders, STARTING_POSITION),
            ),
            (
                &Value::from(100),
                &Value::from(-1),
                &Value::from(-1),
                &Value::from(1),
                &Value::from("latest")
            )
        );
        assert_eq!(
            attr(orders, EVENT_SOURCE_ARN),
            "(known after apply: table.orders.stream_arn)"
        );
        assert_eq!(
            attr(orders, ON_FAILURE),
            "arn:aws:sqs:eu-west-1:123456789012:shop-dev-failed"
        );
        // An SQS mapping has none of a stream's settings.
        let jobs = &forward.resources["event_source_mapping.worker.jobs"];
        assert!(!jobs.attrs.contains_key(STARTING_POSITION));
        assert_eq!(
            attr(jobs, FILTERS),
            &serde_json::json!([{"body": {"a": [1]}}, {"body": {"b": [2]}}])
        );
    }
}
