//! Reading a log group's events for `slsr logs`: FilterLogEvents from a start time, with
//! the user's filter pattern passed through, every page followed. A group that does not
//! exist (a function that has not run yet) is an answer of its own, not an error.

use aws_config::SdkConfig;

use super::AwsError;

/// One log event as CloudWatch Logs returns it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Event {
    /// Unique within the group: what tells apart two events of one millisecond, and an
    /// event seen again by a later read that starts at its time.
    pub id: String,
    /// Milliseconds since the epoch.
    pub timestamp: i64,
    pub message: String,
}

/// CloudWatch Logs' client, for the commands outside `aws/` to hold.
pub type Client = aws_sdk_cloudwatchlogs::Client;

/// CloudWatch Logs' client, paced and recorded as every client is.
pub fn client(config: &SdkConfig) -> Client {
    super::paced_client!(aws_sdk_cloudwatchlogs, config)
}

/// The events of `group` at or after `start` (milliseconds since the epoch) that match
/// `pattern` (CloudWatch Logs' filter syntax, as given), in the order AWS returns them
/// (by time); `None` when the group does not exist.
pub async fn events(
    logs: &Client,
    group: &str,
    start: i64,
    pattern: Option<&str>,
) -> Result<Option<Vec<Event>>, AwsError> {
    let mut pages = logs
        .filter_log_events()
        .log_group_name(group)
        .start_time(start)
        .set_filter_pattern(pattern.map(str::to_string))
        .into_paginator()
        .send();
    let mut events = Vec::new();
    while let Some(page) = pages.next().await {
        let page = match page {
            Ok(page) => page,
            Err(e)
                if e.as_service_error()
                    .is_some_and(|e| e.is_resource_not_found_exception()) =>
            {
                return Ok(None);
            }
            Err(e) => return Err(AwsError::new("FilterLogEvents", group, e)),
        };
        events.extend(page.events().iter().map(|e| Event {
            id: e.event_id().unwrap_or_default().to_string(),
            timestamp: e.timestamp().unwrap_or_default(),
            message: e.message().unwrap_or_default().to_string(),
        }));
    }
    Ok(Some(events))
}
