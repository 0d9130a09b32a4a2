//! CloudWatch metric alarms (`alarms:`): with `defaults: true`, each function's
//! `{service}-{stage}-{function}-errors`, `-throttles` and `-duration` and each dead-letter
//! queue's `{service}-{stage}-{queue}-visible`; and the spec's `custom` alarms,
//! `{service}-{stage}-{name}`. Each notifies `notify` in ALARM and in OK. Read with
//! DescribeAlarms by prefix and ListTagsForResource each (`aws/read/cloudwatch.rs`).
//!
//! PutMetricAlarm makes or replaces an alarm of its name without asking whose it is, so a
//! create first looks the name up and refuses someone else's alarm made since the plan; an
//! update sends the whole configuration again (PutMetricAlarm replaces every field) and its
//! tags through TagResource and UntagResource (PutMetricAlarm's tags count only at creation).

use std::collections::HashMap;

use aws_sdk_cloudwatch::types::{ComparisonOperator, Dimension, MetricAlarm, Statistic, Tag};
use serde_json::Value;

use super::{Index, KindInfo, TAGS, Tags, attr, attr_bool, attr_list, attr_map, attr_str};
use crate::apply::{Applier, Settle, Step, tag_by_arn, tag_changes, tag_list};
use crate::aws::AwsError;
use crate::engine::desired::Builder;
use crate::engine::model::{Resource, State};
use crate::engine::plan::Action;
use crate::spec::alarm_rules::{FUNCTION_DEFAULTS, QUEUE_DEFAULT, dead_letter_queues};
use crate::spec::model::CustomAlarm;

pub static INFO: KindInfo = KindInfo {
    prefix: "alarm",
    naming: "{service}-{stage}-{function}-errors|throttles|duration, {service}-{stage}-{queue}-visible, or {service}-{stage}-{name} for a custom alarm",
    tags: Tags::Compared,
    replaced_by: &[],
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
pub const NAMESPACE: &str = "namespace";
pub const METRIC: &str = "metric";
/// `dimensions.NAME`, one attribute per dimension.
pub const DIMENSIONS: &str = "dimensions";
/// A statistic (`Sum`) or an extended statistic (`p99`).
pub const STATISTIC: &str = "statistic";
pub const PERIOD: &str = "period";
pub const EVALUATION_PERIODS: &str = "evaluation_periods";
pub const DATAPOINTS_TO_ALARM: &str = "datapoints_to_alarm";
pub const THRESHOLD: &str = "threshold";
/// `>=`, `>`, `<=` or `<`; another operator CloudWatch has (anomaly bands) by its own name.
pub const COMPARISON: &str = "comparison";
pub const TREAT_MISSING_DATA: &str = "treat_missing_data";
pub const ACTIONS_ENABLED: &str = "actions_enabled";
pub const ALARM_ACTIONS: &str = "alarm_actions";
pub const OK_ACTIONS: &str = "ok_actions";
pub const DESCRIPTION: &str = "description";

/// CloudWatch's default for periods without data.
pub const DEFAULT_TREAT_MISSING_DATA: &str = "missing";
/// The default duration alarm's threshold, in per mille of the function's timeout: 90%.
pub const DURATION_PER_MILLE: u64 = 900;

/// The comparison operators slsr writes, by the spec's symbol.
const COMPARISONS: [(&str, &str); 4] = [
    (">=", "GreaterThanOrEqualToThreshold"),
    (">", "GreaterThanThreshold"),
    ("<=", "LessThanOrEqualToThreshold"),
    ("<", "LessThanThreshold"),
];

/// One alarm as the builder sees it before it becomes a resource.
struct Alarm {
    key: String,
    namespace: String,
    metric: String,
    dimensions: Vec<(String, String)>,
    statistic: String,
    period: u32,
    evaluation_periods: u32,
    datapoints_to_alarm: Option<u32>,
    threshold: f64,
    comparison: &'static str,
    treat_missing_data: &'static str,
    description: Option<String>,
}

/// A default alarm: 60 s, one period, at least the threshold, missing data not breaching.
fn default_alarm(
    key: String,
    namespace: &str,
    metric: &str,
    dimension: (&str, String),
    statistic: &str,
    threshold: f64,
    description: String,
) -> Alarm {
    Alarm {
        key,
        namespace: namespace.to_string(),
        metric: metric.to_string(),
        dimensions: vec![(dimension.0.to_string(), dimension.1)],
        statistic: statistic.to_string(),
        period: 60,
        evaluation_periods: 1,
        datapoints_to_alarm: None,
        threshold,
        comparison: ">=",
        treat_missing_data: "notBreaching",
        description: Some(description),
    }
}

/// The default alarms of every function and dead-letter queue.
fn defaults(b: &Builder) -> Vec<Alarm> {
    let mut out = Vec::new();
    for (name, f) in &b.p.functions {
        let physical = b.p.physical_name(name);
        let timeout = u64::from(f.timeout.unwrap_or(super::function::DEFAULT_TIMEOUT));
        let duration = (timeout * DURATION_PER_MILLE) as f64;
        for suffix in FUNCTION_DEFAULTS {
            let key = format!("{name}-{suffix}");
            let dimension = ("FunctionName", physical.clone());
            out.push(match suffix {
                "errors" => default_alarm(
                    key,
                    "AWS/Lambda",
                    "Errors",
                    dimension,
                    "Sum",
                    1.0,
                    format!("{physical}: any invocation error in a minute (slsr)"),
                ),
                "throttles" => default_alarm(
                    key,
                    "AWS/Lambda",
                    "Throttles",
                    dimension,
                    "Sum",
                    1.0,
                    format!("{physical}: any throttled invocation in a minute (slsr)"),
                ),
                _ => default_alarm(
                    key,
                    "AWS/Lambda",
                    "Duration",
                    dimension,
                    "Maximum",
                    duration,
                    format!("{physical}: an invocation took 90% of its {timeout} s timeout (slsr)"),
                ),
            });
        }
    }
    for queue in dead_letter_queues(b.p) {
        let physical = b.queue_physical(queue);
        out.push(default_alarm(
            format!("{queue}-{QUEUE_DEFAULT}"),
            "AWS/SQS",
            "ApproximateNumberOfMessagesVisible",
            ("QueueName", physical.clone()),
            "Maximum",
            1.0,
            format!("{physical}: a message is waiting in the dead-letter queue (slsr)"),
        ));
    }
    out
}

fn custom(b: &Builder, name: &str, c: &CustomAlarm) -> Alarm {
    let mut dimensions: Vec<(String, String)> = c
        .dimensions
        .iter()
        .map(|(k, v)| (k.clone(), v.clone()))
        .collect();
    if let Some(function) = &c.function {
        dimensions.push(("FunctionName".into(), b.p.physical_name(function)));
    }
    if let Some(queue) = &c.queue {
        dimensions.push(("QueueName".into(), b.queue_physical(queue)));
    }
    Alarm {
        key: name.to_string(),
        namespace: c.namespace.clone(),
        metric: c.metric.clone(),
        dimensions,
        statistic: c.statistic.clone(),
        period: c.period,
        evaluation_periods: c.evaluation_periods,
        datapoints_to_alarm: c.datapoints_to_alarm,
        threshold: c.threshold,
        comparison: COMPARISONS
            .iter()
            .find(|(_, aws)| *aws == c.comparison.as_cloudwatch())
            .map_or(">=", |(symbol, _)| symbol),
        treat_missing_data: c
            .treat_missing_data
            .map_or(DEFAULT_TREAT_MISSING_DATA, |t| t.as_cloudwatch()),
        description: c.description.clone(),
    }
}

fn desired(b: &Builder, state: &mut State) {
    let Some(alarms) = &b.p.alarms else { return };
    // `notify` gives both the alarm and the recovery notice, as the alerts plugin does.
    let actions: Vec<String> = alarms
        .notify
        .iter()
        .map(|n| match crate::spec::alarm_rules::notify_topic(n) {
            Some(topic) => b.topic_arn(topic),
            None => n.clone(),
        })
        .collect();
    let mut all: Vec<Alarm> = Vec::new();
    if alarms.defaults == Some(true) {
        all.extend(defaults(b));
    }
    all.extend(alarms.custom.iter().map(|(name, c)| custom(b, name, c)));
    for a in all {
        let physical = b.p.physical_name(&a.key);
        let mut r = Resource::new(super::Kind::Alarm, &a.key, &physical)
            .with(
                ARN,
                format!(
                    "arn:aws:cloudwatch:{}:{}:alarm:{physical}",
                    b.t.region(),
                    b.t.account()
                ),
            )
            .with(NAMESPACE, a.namespace)
            .with(METRIC, a.metric)
            .with(STATISTIC, a.statistic)
            .with(PERIOD, a.period)
            .with(EVALUATION_PERIODS, a.evaluation_periods)
            // CloudWatch evaluates every period when DatapointsToAlarm is not given.
            .with(
                DATAPOINTS_TO_ALARM,
                a.datapoints_to_alarm.unwrap_or(a.evaluation_periods),
            )
            .with(THRESHOLD, a.threshold)
            .with(COMPARISON, a.comparison)
            .with(TREAT_MISSING_DATA, a.treat_missing_data)
            .with(ACTIONS_ENABLED, true)
            .with(ALARM_ACTIONS, actions.clone())
            .with(OK_ACTIONS, actions.clone())
            .with(DESCRIPTION, a.description.map_or(Value::Null, Value::from))
            .with_map(TAGS, &b.tags);
        for (k, v) in &a.dimensions {
            r = r.with(&format!("{DIMENSIONS}.{k}"), v.as_str());
        }
        state.insert(r);
    }
}

/// An alarm that notifies one of the spec's topics needs that topic.
fn needs(r: &Resource, index: &Index) -> Vec<String> {
    let mut out: Vec<String> = attr_list(r, ALARM_ACTIONS)
        .into_iter()
        .chain(attr_list(r, OK_ACTIONS))
        .filter_map(|arn| index.arn(&arn))
        .collect();
    out.sort();
    out.dedup();
    out
}

/// An alarm as DescribeAlarms and ListTagsForResource have it, with CloudWatch's defaults
/// where it leaves a field out (DatapointsToAlarm: every evaluated period; TreatMissingData:
/// missing; ActionsEnabled: true).
pub fn live(key: &str, alarm: &MetricAlarm, tags: &HashMap<String, String>) -> Resource {
    let name = alarm.alarm_name().unwrap_or_default();
    let statistic = alarm
        .statistic()
        .map(|s| s.as_str().to_string())
        .or_else(|| alarm.extended_statistic().map(str::to_string));
    let comparison = alarm.comparison_operator().map(|c| {
        COMPARISONS
            .iter()
            .find(|(_, aws)| *aws == c.as_str())
            .map_or(c.as_str(), |(symbol, _)| symbol)
            .to_string()
    });
    let sorted = |actions: &[String]| {
        let mut actions = actions.to_vec();
        actions.sort();
        actions
    };
    let optional = |v: Option<String>| v.map_or(Value::Null, Value::from);
    let mut r = Resource::new(super::Kind::Alarm, key, name)
        .with(ARN, alarm.alarm_arn().unwrap_or_default())
        .with(NAMESPACE, optional(alarm.namespace().map(str::to_string)))
        .with(METRIC, optional(alarm.metric_name().map(str::to_string)))
        .with(STATISTIC, optional(statistic))
        .with(PERIOD, alarm.period().map_or(Value::Null, Value::from))
        .with(
            EVALUATION_PERIODS,
            alarm.evaluation_periods().map_or(Value::Null, Value::from),
        )
        .with(
            DATAPOINTS_TO_ALARM,
            alarm
                .datapoints_to_alarm()
                .or(alarm.evaluation_periods())
                .map_or(Value::Null, Value::from),
        )
        .with(
            THRESHOLD,
            alarm.threshold().map_or(Value::Null, Value::from),
        )
        .with(COMPARISON, optional(comparison))
        .with(
            TREAT_MISSING_DATA,
            alarm
                .treat_missing_data()
                .unwrap_or(DEFAULT_TREAT_MISSING_DATA),
        )
        .with(ACTIONS_ENABLED, alarm.actions_enabled().unwrap_or(true))
        .with(ALARM_ACTIONS, sorted(alarm.alarm_actions()))
        .with(OK_ACTIONS, sorted(alarm.ok_actions()))
        .with(
            DESCRIPTION,
            optional(alarm.alarm_description().map(str::to_string)),
        )
        .with_map(TAGS, tags);
    for d in alarm.dimensions() {
        if let (Some(k), Some(v)) = (d.name(), d.value()) {
            r = r.with(&format!("{DIMENSIONS}.{k}"), v);
        }
    }
    r
}

/// An alarm's tags (ListTagsForResource by its ARN); a failure names `target`.
pub async fn tags_of(
    client: &aws_sdk_cloudwatch::Client,
    arn: &str,
    target: &str,
) -> Result<HashMap<String, String>, AwsError> {
    let out = client
        .list_tags_for_resource()
        .resource_arn(arn)
        .send()
        .await
        .map_err(|e| AwsError::new("ListTagsForResource", target, e))?;
    Ok(out
        .tags()
        .iter()
        .filter_map(|t| Some((t.key()?.to_string(), t.value()?.to_string())))
        .collect())
}

/// PutMetricAlarm with the whole desired configuration (every field it has: PutMetricAlarm
/// replaces the alarm), without tags.
fn put(
    a: &Applier,
    r: &Resource,
) -> aws_sdk_cloudwatch::operation::put_metric_alarm::builders::PutMetricAlarmFluentBuilder {
    let number = |attribute: &str| super::attr_i32(r, attribute);
    let statistic = attr_str(r, STATISTIC);
    let comparison = attr_str(r, COMPARISON);
    let operator = COMPARISONS
        .iter()
        .find(|(symbol, _)| *symbol == comparison)
        .map_or(comparison.as_str(), |(_, aws)| aws);
    let dimensions = attr_map(r, DIMENSIONS)
        .into_iter()
        .map(|(k, v)| Dimension::builder().name(k).value(v).build())
        .collect();
    let put = a
        .cloudwatch
        .put_metric_alarm()
        .alarm_name(&r.name)
        .namespace(attr_str(r, NAMESPACE))
        .metric_name(attr_str(r, METRIC))
        .set_dimensions(Some(dimensions))
        .set_period(number(PERIOD))
        .set_evaluation_periods(number(EVALUATION_PERIODS))
        .set_datapoints_to_alarm(number(DATAPOINTS_TO_ALARM))
        .set_threshold(attr(r, THRESHOLD).as_f64())
        .comparison_operator(ComparisonOperator::from(operator))
        .treat_missing_data(attr_str(r, TREAT_MISSING_DATA))
        .actions_enabled(attr_bool(r, ACTIONS_ENABLED))
        .set_alarm_actions(Some(attr_list(r, ALARM_ACTIONS)))
        .set_ok_actions(Some(attr_list(r, OK_ACTIONS)))
        .set_alarm_description(super::attr_opt(r, DESCRIPTION));
    if statistic.starts_with('p') {
        put.extended_statistic(statistic)
    } else {
        put.statistic(Statistic::from(statistic.as_str()))
    }
}

/// The alarm of this exact name, if there is one (DescribeAlarms by name).
async fn existing(a: &Applier, name: &str) -> Result<Option<MetricAlarm>, AwsError> {
    a.lookups.count("CloudWatch.DescribeAlarms");
    let out = a
        .cloudwatch
        .describe_alarms()
        .alarm_names(name)
        .alarm_types(aws_sdk_cloudwatch::types::AlarmType::MetricAlarm)
        .send()
        .await
        .map_err(|e| AwsError::new("DescribeAlarms", name, e))?;
    Ok(out
        .metric_alarms()
        .iter()
        .find(|m| m.alarm_name() == Some(name))
        .cloned())
}

async fn apply(a: &Applier, step: &Step) -> Result<(), AwsError> {
    let r = step.resource();
    let name = r.name.as_str();
    match step.action {
        Action::Create => {
            // PutMetricAlarm would replace an alarm of this name whoever made it: one that
            // appeared since the plan is made again only if it carries this service's tags
            // (an attempt of ours whose answer was lost).
            if let Some(found) = existing(a, name).await? {
                let arn = found.alarm_arn().unwrap_or_default().to_string();
                let tags = tags_of(&a.cloudwatch, &arn, name).await?;
                crate::apply::ensure_ours("PutMetricAlarm", r, &tags)?;
                put(a, r)
                    .send()
                    .await
                    .map_err(|e| AwsError::new("PutMetricAlarm", name, e))?;
                // Its tags are this service's already: the desired ones set over them.
                let changes = (attr_map(r, TAGS), Vec::new());
                return tag_by_arn!(a.cloudwatch, &arn, name, changes, Tag).await;
            }
            put(a, r)
                .set_tags(Some(tag_list!(Tag, attr_map(r, TAGS))))
                .send()
                .await
                .map_err(|e| AwsError::new("PutMetricAlarm", name, e))?;
        }
        Action::Delete => {
            a.cloudwatch
                .delete_alarms()
                .alarm_names(name)
                .send()
                .await
                .or_gone("DeleteAlarms", name)?;
        }
        _ => {
            if step
                .change
                .diffs
                .iter()
                .any(|d| !d.path.starts_with("tags."))
            {
                put(a, r)
                    .send()
                    .await
                    .map_err(|e| AwsError::new("PutMetricAlarm", name, e))?;
            }
            let arn = step
                .live()
                .map(|l| attr_str(l, ARN))
                .filter(|arn| !arn.is_empty())
                .unwrap_or_else(|| attr_str(r, ARN));
            tag_by_arn!(a.cloudwatch, &arn, name, tag_changes(step), Tag).await?;
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn alarms(spec: &str) -> State {
        let mut state = crate::engine::desired::testing::desired(spec, "us-east-1");
        state
            .resources
            .retain(|_, r| r.kind == super::super::Kind::Alarm);
        state
    }

    #[test]
    fn defaults_give_each_function_three_alarms_and_each_dead_letter_queue_one() {
        let state = alarms(
            r#"
service: shop
topics: {alerts: {}}
queues:
  jobs: {dead_letter: {queue: jobs-dlq, max_receive_count: 3}}
  jobs-dlq: {}
functions:
  api: {image: 123456789012.dkr.ecr.us-east-1.amazonaws.com/api:1, timeout: 10}
alarms: {notify: topic.alerts, defaults: true}
"#,
        );
        let keys: Vec<&str> = state.resources.values().map(|r| r.key.as_str()).collect();
        assert_eq!(
            keys,
            [
                "api-duration",
                "api-errors",
                "api-throttles",
                "jobs-dlq-visible"
            ]
        );
        let duration = &state.resources["alarm.api-duration"];
        assert_eq!(duration.name, "shop-dev-api-duration");
        assert_eq!(attr(duration, THRESHOLD), &Value::from(9000.0));
        assert_eq!(attr_str(duration, STATISTIC), "Maximum");
        assert_eq!(
            attr_list(duration, OK_ACTIONS),
            ["arn:aws:sns:us-east-1:123456789012:shop-dev-alerts"]
        );
        let visible = &state.resources["alarm.jobs-dlq-visible"];
        assert_eq!(
            attr_str(visible, "dimensions.QueueName"),
            "shop-dev-jobs-dlq"
        );
        assert_eq!(attr_str(visible, TREAT_MISSING_DATA), "notBreaching");
    }

    #[test]
    fn a_custom_alarm_takes_cloudwatchs_defaults_where_it_says_nothing() {
        let state = alarms(
            r#"
service: shop
queues: {jobs: {}}
functions:
  api: {image: 123456789012.dkr.ecr.us-east-1.amazonaws.com/api:1}
alarms:
  custom:
    backlog: {namespace: AWS/SQS, metric: ApproximateAgeOfOldestMessage, queue: jobs, statistic: p99, period: 300, evaluation_periods: 3, threshold: 600, comparison: ">"}
"#,
        );
        let backlog = &state.resources["alarm.backlog"];
        assert_eq!(backlog.name, "shop-dev-backlog");
        assert_eq!(attr(backlog, DATAPOINTS_TO_ALARM), &Value::from(3));
        assert_eq!(attr_str(backlog, TREAT_MISSING_DATA), "missing");
        assert_eq!(attr_str(backlog, COMPARISON), ">");
        assert_eq!(attr_str(backlog, "dimensions.QueueName"), "shop-dev-jobs");
        assert!(attr_list(backlog, ALARM_ACTIONS).is_empty());
        assert_eq!(
            state.resources.len(),
            1,
            "no defaults without `defaults: true`"
        );
    }

    #[test]
    fn a_live_alarm_takes_cloudwatchs_defaults_for_what_describe_alarms_leaves_out() {
        let described = MetricAlarm::builder()
            .alarm_name("shop-dev-api-errors")
            .alarm_arn("arn:aws:cloudwatch:us-east-1:123456789012:alarm:shop-dev-api-errors")
            .namespace("AWS/Lambda")
            .metric_name("Errors")
            .statistic(Statistic::Sum)
            .period(60)
            .evaluation_periods(4)
            .threshold(1.0)
            .comparison_operator(ComparisonOperator::GreaterThanOrEqualToThreshold)
            .alarm_actions("arn:b")
            .alarm_actions("arn:a")
            .build();
        let r = live("api-errors", &described, &HashMap::new());
        assert_eq!(attr(&r, DATAPOINTS_TO_ALARM), &Value::from(4));
        assert_eq!(attr_str(&r, TREAT_MISSING_DATA), "missing");
        assert_eq!(attr(&r, ACTIONS_ENABLED), &Value::from(true));
        assert_eq!(attr_str(&r, COMPARISON), ">=");
        assert_eq!(attr_list(&r, ALARM_ACTIONS), ["arn:a", "arn:b"]);
        assert!(attr_list(&r, OK_ACTIONS).is_empty());
        assert_eq!(attr(&r, DESCRIPTION), &Value::Null);
        // An operator slsr does not write is kept by CloudWatch's name: a change to show.
        let band = MetricAlarm::builder()
            .comparison_operator(ComparisonOperator::LessThanLowerOrGreaterThanUpperThreshold)
            .build();
        assert_eq!(
            attr_str(&live("x", &band, &HashMap::new()), COMPARISON),
            "LessThanLowerOrGreaterThanUpperThreshold"
        );
    }

    #[test]
    fn an_alarm_needs_the_topic_it_notifies() {
        let topic = Resource::new(super::super::Kind::Topic, "alerts", "shop-dev-alerts")
            .with("arn", "arn:aws:sns:us-east-1:123456789012:shop-dev-alerts");
        let alarm = Resource::new(super::super::Kind::Alarm, "api-errors", "x")
            .with(
                ALARM_ACTIONS,
                vec!["arn:aws:sns:us-east-1:123456789012:shop-dev-alerts"],
            )
            .with(
                OK_ACTIONS,
                vec!["arn:aws:sns:us-east-1:123456789012:shop-dev-alerts"],
            );
        let index = Index::of([&topic]);
        assert_eq!(needs(&alarm, &index), ["topic.alerts"]);
    }
}
