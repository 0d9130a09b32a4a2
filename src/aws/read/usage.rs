//! What functions did in the last 30 days, from CloudWatch's Lambda metrics: their
//! invocations and their summed duration, for `plan --cost` to price a change of memory or
//! architecture by. One GetMetricData asks for every function at once (two queries each,
//! 250 functions to a call), and its pages are followed.

use std::collections::BTreeMap;

use aws_sdk_cloudwatch::types::{Dimension, Metric, MetricDataQuery, MetricStat};
use aws_smithy_types::DateTime;

use super::Calls;
use crate::aws::{AwsError, Clients};

/// The window a change is priced over: 30 days, as a month.
pub const WINDOW_DAYS: i64 = 30;

/// A function's use over the window.
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub struct Usage {
    pub invocations: f64,
    /// Milliseconds, summed over every invocation.
    pub duration_ms: f64,
}

/// GetMetricData takes at most 500 queries a call.
const QUERIES_PER_CALL: usize = 500;

/// The last 30 days' use of each function, by physical name, ending `now` (seconds since
/// the epoch). A function with no data points has used nothing.
pub async fn last_30_days(
    clients: &Clients,
    calls: &Calls,
    functions: &[String],
    now: i64,
) -> Result<BTreeMap<String, Usage>, AwsError> {
    let mut usage: BTreeMap<String, Usage> = functions
        .iter()
        .map(|f| (f.clone(), Usage::default()))
        .collect();
    // A query's id must start with a lower-case letter and be unique in the call:
    // `i3` is the fourth function's invocations, `d3` its duration.
    let queries: Vec<(String, MetricDataQuery)> = functions
        .iter()
        .enumerate()
        .flat_map(|(index, function)| {
            [("i", "Invocations"), ("d", "Duration")].map(|(letter, metric)| {
                let id = format!("{letter}{index}");
                (id.clone(), query(&id, function, metric))
            })
        })
        .collect();
    let end = now - now % 60;
    let start = end - WINDOW_DAYS * 86_400;
    for batch in queries.chunks(QUERIES_PER_CALL) {
        let mut token: Option<String> = None;
        loop {
            calls.count("CloudWatch.GetMetricData");
            let answer = clients
                .cloudwatch
                .get_metric_data()
                .set_metric_data_queries(Some(batch.iter().map(|(_, q)| q.clone()).collect()))
                .start_time(DateTime::from_secs(start))
                .end_time(DateTime::from_secs(end))
                .set_next_token(token.take())
                .send()
                .await
                .map_err(|e| AwsError::new("CloudWatch.GetMetricData", "Lambda metrics", e))?;
            for result in answer.metric_data_results() {
                let Some(id) = result.id() else { continue };
                let Some((letter, index)) = id.split_at_checked(1) else {
                    continue;
                };
                let Some(function) = index.parse::<usize>().ok().and_then(|i| functions.get(i))
                else {
                    continue;
                };
                let total: f64 = result.values().iter().sum();
                let entry = usage.entry(function.clone()).or_default();
                match letter {
                    "i" => entry.invocations += total,
                    _ => entry.duration_ms += total,
                }
            }
            match answer.next_token() {
                Some(next) if !next.is_empty() => token = Some(next.to_string()),
                _ => break,
            }
        }
    }
    Ok(usage)
}

/// A day's sum of one of a function's Lambda metrics.
fn query(id: &str, function: &str, metric: &str) -> MetricDataQuery {
    MetricDataQuery::builder()
        .id(id)
        .metric_stat(
            MetricStat::builder()
                .metric(
                    Metric::builder()
                        .namespace("AWS/Lambda")
                        .metric_name(metric)
                        .dimensions(
                            Dimension::builder()
                                .name("FunctionName")
                                .value(function)
                                .build(),
                        )
                        .build(),
                )
                .period(86_400)
                .stat("Sum")
                .build(),
        )
        .return_data(true)
        .build()
}
