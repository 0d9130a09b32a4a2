//! CloudWatch metric alarms: DescribeAlarms by the `{service}-{stage}-` prefix (metric
//! alarms only, every page), then ListTagsForResource of each, a few at a time. An alarm
//! with this service and stage's tags is slsr's; one without them at a name the spec wants
//! is a conflict, and others under the prefix are someone else's and left out. What the
//! answers become is the kind's (`kinds::alarm::live`).

use aws_sdk_cloudwatch::types::AlarmType;

use super::{Found, Reader, Scope, conflict};
use crate::aws::{AwsError, pages};
use crate::engine::model::{Kind, State, address};
use crate::kinds::alarm;

pub async fn read(r: &Reader, scope: &Scope, wanted: &State) -> Result<Found, AwsError> {
    let listed = pages::all(
        &r.calls,
        "CloudWatch.DescribeAlarms",
        r.cloudwatch
            .describe_alarms()
            .alarm_name_prefix(scope.prefix())
            .alarm_types(AlarmType::MetricAlarm)
            // AWS's most a page (its default is 50).
            .max_records(100)
            .into_paginator()
            .send(),
    )
    .await
    .map_err(|e| AwsError::new("DescribeAlarms", "CloudWatch alarms", e))?;
    let mut tasks = tokio::task::JoinSet::new();
    for found in listed
        .into_iter()
        .flat_map(|page| page.metric_alarms.unwrap_or_default())
    {
        let (Some(name), Some(arn)) = (found.alarm_name(), found.alarm_arn()) else {
            continue;
        };
        let Some(key) = scope.logical(name).map(str::to_string) else {
            continue;
        };
        let (name, arn) = (name.to_string(), arn.to_string());
        let r = r.clone();
        tasks.spawn(async move {
            let _slot = r.slot().await;
            r.calls.count("CloudWatch.ListTagsForResource");
            let tags = alarm::tags_of(&r.cloudwatch, &arn, &name).await?;
            Ok::<_, AwsError>((key, name, found, tags))
        });
    }
    let (mut resources, mut conflicts) = (Vec::new(), Vec::new());
    while let Some(joined) = tasks.join_next().await {
        let (key, name, found, tags) = joined.expect("a read task does not panic")?;
        let at = address(Kind::Alarm, &key);
        if scope.owns_at(&at, &tags) {
            resources.push(alarm::live(&key, &found, &tags));
        } else if wanted.resources.contains_key(&at) {
            conflicts.push(conflict(at, &name, scope));
        }
    }
    // The same order whatever order the tag reads finished in.
    resources.sort_by(|a, b| a.key.cmp(&b.key));
    conflicts.sort_by(|a, b| a.address.cmp(&b.address));
    Ok((resources, conflicts))
}
