//! EventBridge Scheduler: the service and stage's schedule group (`{service}-{stage}`),
//! found with ListScheduleGroups by that prefix (every page) and owned by its tags
//! (ListTagsForResource); then, in an owned group only, every schedule (ListSchedules,
//! every page) with GetSchedule each. Scheduler cannot tag a schedule: the schedules of an
//! owned group are slsr's, those of any other group are never read.

use super::{Found, Reader, Scope, conflict};
use crate::aws::{AwsError, pages, tags_by_arn};
use crate::engine::model::{Kind, State, address};
use crate::kinds::{schedule, schedule_group};

pub async fn read(r: &Reader, scope: &Scope, wanted: &State) -> Result<Found, AwsError> {
    let group = format!("{}-{}", scope.service, scope.stage);
    let listed = pages::all(
        &r.calls,
        "Scheduler.ListScheduleGroups",
        r.scheduler
            .list_schedule_groups()
            .name_prefix(&group)
            .into_paginator()
            .send(),
    )
    .await
    .map_err(|e| AwsError::new("ListScheduleGroups", "schedule groups", e))?;
    let Some(found) = listed
        .iter()
        .flat_map(|p| p.schedule_groups())
        .find(|g| g.name() == Some(group.as_str()))
    else {
        return Ok((vec![], vec![]));
    };
    let arn = found.arn().unwrap_or_default().to_string();
    r.calls.count("Scheduler.ListTagsForResource");
    let tags = tags_by_arn!(r.scheduler, &arn, arn.clone()).await?;
    let at = address(Kind::ScheduleGroup, &group);
    if !scope.owns(&tags) {
        let conflicts = if wanted.resources.contains_key(&at) {
            vec![conflict(at, &group, scope)]
        } else {
            vec![]
        };
        return Ok((vec![], conflicts));
    }
    let mut resources = vec![schedule_group::live(&group, &arn, &tags)];
    let schedules = pages::all(
        &r.calls,
        "Scheduler.ListSchedules",
        r.scheduler
            .list_schedules()
            .group_name(&group)
            .into_paginator()
            .send(),
    )
    .await
    .map_err(|e| AwsError::new("ListSchedules", group.clone(), e))?;
    let mut tasks = tokio::task::JoinSet::new();
    for name in schedules
        .iter()
        .flat_map(|p| p.schedules())
        .filter_map(|s| s.name())
    {
        let (r, group, name) = (r.clone(), group.clone(), name.to_string());
        tasks.spawn(async move {
            let _slot = r.slot().await;
            r.calls.count("Scheduler.GetSchedule");
            match r
                .scheduler
                .get_schedule()
                .group_name(&group)
                .name(&name)
                .send()
                .await
            {
                Ok(out) => Ok(Some(out)),
                // Deleted since it was listed.
                Err(e) if crate::apply::already_gone(&e) => Ok(None),
                Err(e) => Err(AwsError::new("GetSchedule", name, e)),
            }
        });
    }
    while let Some(joined) = tasks.join_next().await {
        let Some(out) = joined.expect("a read task does not panic")? else {
            continue;
        };
        let name = out.name().unwrap_or_default();
        // `{function}-{8 hex or the event's name}`: the spec's schedule of that name says
        // where the function's name ends; one no longer in the spec is keyed at its last `-`.
        let key = wanted
            .resources
            .values()
            .find(|w| w.kind == Kind::Schedule && w.name == name)
            .map(|w| w.key.clone())
            .or_else(|| name.rsplit_once('-').map(|(f, s)| format!("{f}.{s}")))
            .unwrap_or_else(|| name.to_string());
        resources.push(schedule::live(&key, &out));
    }
    Ok((resources, vec![]))
}
