//! Rules of `alarms:` that span fields: where `notify` points (a declared topic or an SNS
//! topic's ARN), what a custom alarm names (functions, queues), CloudWatch's periods, datapoints
//! within the evaluated periods, a finite threshold, alarm names (characters, CloudWatch's 255,
//! one alarm per name between `custom` and the defaults). Part of `rules::check`; the same
//! positions and codes.

use std::collections::BTreeSet;

use super::load::Project;
use super::model::{CustomAlarm, Event};
use super::rules::{span, undeclared};
use crate::spec::diag::{Code, Diagnostic};

/// CloudWatch's limit on alarm names.
pub const MAX_ALARM_NAME: usize = 255;
/// CloudWatch's limit on an alarm's dimensions.
const MAX_DIMENSIONS: usize = 30;

/// The suffixes of a function's default alarms, each after the function's name.
pub const FUNCTION_DEFAULTS: [&str; 3] = ["errors", "throttles", "duration"];
/// The suffix of a dead-letter queue's default alarm.
pub const QUEUE_DEFAULT: &str = "visible";

/// The queues that receive what failed elsewhere: each queue's `dead_letter` target, each
/// function's `async_invoke.on_failure` queue and each `dynamodb` and `kinesis` event's
/// `on_failure` queue, the declared ones only.
pub fn dead_letter_queues(p: &Project) -> BTreeSet<&str> {
    let of_queues = p
        .queues
        .values()
        .filter_map(|q| q.dead_letter.as_ref().map(|d| d.queue.as_str()));
    let of_functions = p.functions.values().filter_map(|f| {
        f.async_invoke
            .as_ref()
            .and_then(|a| a.on_failure.as_ref())
            .map(|o| o.queue.as_str())
    });
    let of_events = p.functions.values().flat_map(|f| {
        f.events.iter().flatten().filter_map(|e| match e {
            Event::Dynamodb(d) => d.on_failure.as_ref().map(|o| o.queue.as_str()),
            Event::Kinesis(k) => k.on_failure.as_ref().map(|o| o.queue.as_str()),
            _ => None,
        })
    });
    of_queues
        .chain(of_functions)
        .chain(of_events)
        .filter(|q| p.queues.contains_key(*q))
        .collect()
}

/// The keys of the default alarms (`api-errors`, `jobs-dlq-visible`), when `defaults` is on.
pub fn default_keys(p: &Project) -> Vec<String> {
    if p.alarms.as_ref().is_none_or(|a| a.defaults != Some(true)) {
        return Vec::new();
    }
    let functions = p
        .functions
        .keys()
        .flat_map(|f| FUNCTION_DEFAULTS.iter().map(move |s| format!("{f}-{s}")));
    let queues = dead_letter_queues(p)
        .into_iter()
        .map(|q| format!("{q}-{QUEUE_DEFAULT}"));
    functions.chain(queues).collect()
}

/// The topic a `notify` of `topic.NAME` names.
pub fn notify_topic(notify: &str) -> Option<&str> {
    notify.strip_prefix("topic.")
}

/// Whether `notify` is an SNS topic's ARN: arn:PARTITION:sns:REGION:ACCOUNT:NAME.
fn sns_arn(notify: &str) -> bool {
    let parts: Vec<&str> = notify.split(':').collect();
    parts.len() == 6
        && parts[0] == "arn"
        && parts[1].starts_with("aws")
        && parts[2] == "sns"
        && !parts[3].is_empty()
        && (parts[4].len() == 12 && parts[4].bytes().all(|b| b.is_ascii_digit())
            || parts[4] == "${account_id}")
        && !parts[5].is_empty()
}

pub fn check(p: &Project, diags: &mut Vec<Diagnostic>) {
    let Some(alarms) = &p.alarms else { return };
    if let Some(notify) = &alarms.notify {
        check_notify(p, notify, diags);
    }
    let defaults: BTreeSet<String> = default_keys(p).into_iter().collect();
    for (name, alarm) in &alarms.custom {
        let path = format!("alarms.custom.{name}");
        check_name(p, name, &path, &defaults, diags);
        check_custom(p, &path, alarm, diags);
    }
}

fn check_notify(p: &Project, notify: &str, diags: &mut Vec<Diagnostic>) {
    let at = span(p, "alarms.notify");
    if let Some(topic) = notify_topic(notify) {
        if !p.topics.contains_key(topic) {
            diags.push(undeclared(at, "topic", topic, p.topics.keys(), "topics"));
        }
    } else if !sns_arn(notify) && !notify.starts_with("${topic:") {
        diags.push(
            Diagnostic::error(
                Code::InvalidValue,
                at,
                format!("`{notify}` is neither `topic.NAME` nor an SNS topic's ARN"),
            )
            .with_label("not a topic")
            .with_help("write `topic.NAME` for a topic under `topics`, or an existing topic's ARN: arn:aws:sns:REGION:ACCOUNT:NAME"),
        );
    }
}

fn check_name(
    p: &Project,
    name: &str,
    path: &str,
    defaults: &BTreeSet<String>,
    diags: &mut Vec<Diagnostic>,
) {
    let at = p.spans.key(path).unwrap_or(span(p, path));
    if !super::names::valid_key(name) {
        diags.push(
            Diagnostic::error(
                Code::InvalidName,
                at,
                format!("`{name}` cannot be part of an alarm's name"),
            )
            .with_label("invalid name")
            .with_help("names use letters, digits, `-` and `_`, starting with a letter or digit"),
        );
        return;
    }
    let physical = p.physical_name(name);
    if physical.len() > MAX_ALARM_NAME {
        diags.push(
            Diagnostic::error(
                Code::InvalidName,
                at,
                format!(
                    "the alarm name `{physical}` is {} characters, over CloudWatch's limit of {MAX_ALARM_NAME}",
                    physical.len()
                ),
            )
            .with_help("use a shorter alarm name"),
        );
    }
    if defaults.contains(name) {
        diags.push(
            Diagnostic::error(
                Code::Conflict,
                at,
                format!("`{name}` is also the name of a default alarm (`alarms.defaults`)"),
            )
            .with_label("a second alarm of this name")
            .with_help("rename the custom alarm: the defaults are named `{function}-errors`, `-throttles`, `-duration` and `{queue}-visible`"),
        );
    }
}

fn check_custom(p: &Project, path: &str, alarm: &CustomAlarm, diags: &mut Vec<Diagnostic>) {
    if let Some(function) = &alarm.function
        && !p.functions.contains_key(function)
    {
        diags.push(undeclared(
            span(p, &format!("{path}.function")),
            "function",
            function,
            p.functions.keys(),
            "functions",
        ));
    }
    if let Some(queue) = &alarm.queue
        && !p.queues.contains_key(queue)
    {
        diags.push(undeclared(
            span(p, &format!("{path}.queue")),
            "queue",
            queue,
            p.queues.keys(),
            "queues",
        ));
    }
    for (field, dimension) in [("function", "FunctionName"), ("queue", "QueueName")] {
        let given = if field == "function" {
            alarm.function.is_some()
        } else {
            alarm.queue.is_some()
        };
        if given && alarm.dimensions.contains_key(dimension) {
            diags.push(
                Diagnostic::error(
                    Code::Conflict,
                    span(p, &format!("{path}.{field}")),
                    format!(
                        "`{field}` sets the dimension {dimension}, which `dimensions` sets too"
                    ),
                )
                .with_help(format!(
                    "keep one: `{field}: NAME`, or `dimensions: {{{dimension}: ...}}`"
                )),
            );
        }
    }
    let dimensions = alarm.dimensions.len()
        + usize::from(alarm.function.is_some())
        + usize::from(alarm.queue.is_some());
    if dimensions > MAX_DIMENSIONS {
        diags.push(
            Diagnostic::error(
                Code::ListLength,
                span(p, &format!("{path}.dimensions")),
                format!("{dimensions} dimensions, over CloudWatch's {MAX_DIMENSIONS}"),
            )
            .with_help("an alarm's metric has at most 30 dimensions"),
        );
    }
    if !(alarm.period == 10 || alarm.period == 30 || alarm.period.is_multiple_of(60)) {
        diags.push(
            Diagnostic::error(
                Code::InvalidValue,
                span(p, &format!("{path}.period")),
                format!(
                    "a period of {} seconds is not one CloudWatch takes",
                    alarm.period
                ),
            )
            .with_label("not 10, 30 or a multiple of 60")
            .with_help(
                "use 10 or 30 (high-resolution metrics), or a multiple of 60: 60, 300, 3600",
            ),
        );
    }
    if let Some(datapoints) = alarm.datapoints_to_alarm
        && datapoints > alarm.evaluation_periods
    {
        diags.push(
            Diagnostic::error(
                Code::OutOfRange,
                span(p, &format!("{path}.datapoints_to_alarm")),
                format!(
                    "{datapoints} datapoints to alarm, more than the {} evaluated periods",
                    alarm.evaluation_periods
                ),
            )
            .with_label("more than evaluation_periods")
            .with_help("datapoints_to_alarm is at most evaluation_periods (M of N: M ≤ N)"),
        );
    }
    if !alarm.threshold.is_finite() {
        diags.push(
            Diagnostic::error(
                Code::InvalidValue,
                span(p, &format!("{path}.threshold")),
                "the threshold is not a finite number",
            )
            .with_help("write a number, for example 300 or 0.5"),
        );
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_sns_arn_has_six_parts_with_a_twelve_digit_account() {
        assert!(sns_arn("arn:aws:sns:us-east-1:123456789012:alerts"));
        assert!(sns_arn("arn:aws-cn:sns:cn-north-1:123456789012:alerts"));
        assert!(!sns_arn("arn:aws:sqs:us-east-1:123456789012:alerts"));
        assert!(!sns_arn("arn:aws:sns:us-east-1:1234:alerts"));
        assert!(!sns_arn("alerts"));
    }
}
