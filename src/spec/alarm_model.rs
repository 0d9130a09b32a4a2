//! The typed spec of CloudWatch alarms (`alarms:`): where they notify, the default alarms of
//! every function and dead-letter queue, and the user's own metric alarms. Part of the spec's
//! single source of shape, like `model.rs` (which re-exports these types): the JSON Schema and
//! the hover help come from here.

use std::collections::BTreeMap;

use schemars::JsonSchema;
use serde::Deserialize;

/// CloudWatch metric alarms: with `defaults: true`, each function's errors, throttles and duration near its timeout, and each dead-letter queue's visible messages; `custom` adds the service's own. Alarms are named `{service}-{stage}-...`, tagged, and deleted when they leave the spec.
#[derive(Debug, Clone, Default, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
#[schemars(example = serde_json::json!({"notify": "topic.alerts", "defaults": true}))]
pub struct Alarms {
    /// Where alarms notify, both when they go into ALARM and when they return to OK: `topic.NAME` (a topic under `topics`) or an existing SNS topic's ARN (arn:aws:sns:REGION:ACCOUNT:NAME), used as written. Omitted: alarms have no actions.
    #[schemars(length(min = 1))]
    pub notify: Option<String>,
    /// true: each function gets `{function}-errors` (Errors, Sum ≥ 1 in 60 s), `-throttles` (Throttles, Sum ≥ 1 in 60 s) and `-duration` (Duration, Maximum ≥ 90% of its timeout in 60 s), and each dead-letter queue `{queue}-visible` (ApproximateNumberOfMessagesVisible, Maximum ≥ 1 in 60 s); missing data is not breaching.
    pub defaults: Option<bool>,
    /// The service's own metric alarms, each named `{service}-{stage}-{name}`.
    #[serde(default)]
    pub custom: BTreeMap<String, CustomAlarm>,
}

/// A metric alarm on one CloudWatch metric.
#[derive(Debug, Clone, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
#[schemars(example = serde_json::json!({"namespace": "AWS/SQS", "metric": "ApproximateAgeOfOldestMessage", "queue": "jobs", "statistic": "Maximum", "period": 60, "evaluation_periods": 5, "datapoints_to_alarm": 3, "threshold": 300, "comparison": ">=", "treat_missing_data": "notBreaching"}))]
pub struct CustomAlarm {
    /// The metric's namespace, for example AWS/Lambda, AWS/SQS or your own.
    #[schemars(length(min = 1, max = 255))]
    pub namespace: String,
    /// The metric's name, for example Errors or ApproximateAgeOfOldestMessage.
    #[schemars(length(min = 1, max = 255))]
    pub metric: String,
    /// The metric's dimensions, name to value, for example {QueueName: my-queue}; at most 30 with `function` and `queue`.
    #[serde(default)]
    pub dimensions: BTreeMap<String, String>,
    /// A function under `functions`: adds the dimension FunctionName with its physical name.
    pub function: Option<String>,
    /// A queue under `queues`: adds the dimension QueueName with its physical name.
    pub queue: Option<String>,
    /// SampleCount, Average, Sum, Minimum, Maximum, or a percentile p0 to p100 (p99, p99.9).
    #[schemars(regex(
        pattern = r"^(SampleCount|Average|Sum|Minimum|Maximum|p(100|[0-9]{1,2})(\.[0-9]{1,2})?)$"
    ))]
    pub statistic: String,
    /// Seconds over which the statistic is taken: 10, 30, or a multiple of 60 (at most 86400).
    #[schemars(range(min = 10, max = 86400))]
    pub period: u32,
    /// How many recent periods are evaluated, at least 1.
    #[schemars(range(min = 1, max = 100000))]
    pub evaluation_periods: u32,
    /// How many of the evaluated periods must breach to alarm (at most `evaluation_periods`); omitted: all of them, as CloudWatch does.
    #[schemars(range(min = 1, max = 100000))]
    pub datapoints_to_alarm: Option<u32>,
    /// The value the statistic is compared with.
    pub threshold: f64,
    /// How the statistic is compared with the threshold: `>=`, `>`, `<=` or `<`.
    pub comparison: Comparison,
    /// How periods without data count: missing (CloudWatch's default), notBreaching, breaching or ignore.
    pub treat_missing_data: Option<TreatMissingData>,
    /// The alarm's description, up to 1024 characters.
    #[schemars(length(max = 1024))]
    pub description: Option<String>,
}

/// How an alarm compares the statistic with its threshold: `>=` (CloudWatch's GreaterThanOrEqualToThreshold), `>` (GreaterThanThreshold), `<=` (LessThanOrEqualToThreshold) or `<` (LessThanThreshold).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, JsonSchema)]
pub enum Comparison {
    #[serde(rename = ">=")]
    AtLeast,
    #[serde(rename = ">")]
    Above,
    #[serde(rename = "<=")]
    AtMost,
    #[serde(rename = "<")]
    Below,
}

impl Comparison {
    /// CloudWatch's name of the operator.
    pub fn as_cloudwatch(self) -> &'static str {
        match self {
            Comparison::AtLeast => "GreaterThanOrEqualToThreshold",
            Comparison::Above => "GreaterThanThreshold",
            Comparison::AtMost => "LessThanOrEqualToThreshold",
            Comparison::Below => "LessThanThreshold",
        }
    }
}

/// How an alarm counts periods without data: missing (left out of the evaluation, CloudWatch's default), notBreaching (within the threshold), breaching, or ignore (the alarm keeps its state).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub enum TreatMissingData {
    Missing,
    NotBreaching,
    Breaching,
    Ignore,
}

impl TreatMissingData {
    /// CloudWatch's spelling.
    pub fn as_cloudwatch(self) -> &'static str {
        match self {
            TreatMissingData::Missing => "missing",
            TreatMissingData::NotBreaching => "notBreaching",
            TreatMissingData::Breaching => "breaching",
            TreatMissingData::Ignore => "ignore",
        }
    }
}
