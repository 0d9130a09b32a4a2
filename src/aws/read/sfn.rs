//! Step Functions state machines and their log groups: ListStateMachines (paged), then for
//! each machine of the service's prefix or of a name the spec declares, DescribeStateMachine
//! and ListTagsForResource (ownership); DescribeLogGroups (paged) by the
//! `/aws/vendedlogs/states/` prefix of the service, and each group's tags. A machine of its
//! own `name` that has left the spec is found by its tags (`tagged.rs`), with its group.

use std::collections::HashMap;

use super::{Live, Reader, Scope, conflict};
use crate::aws::{AwsError, pages};
use crate::engine::model::{Kind, State, address};
use crate::kinds::{log_group, state_machine};
use crate::spec::state_machines::ROLE_SUFFIX;

pub async fn read(r: &Reader, scope: &Scope, wanted: &State) -> Result<Live, AwsError> {
    let service = state_machine::log_group_name(&scope.prefix());
    let (tagged, (machines, listed), service_groups) = tokio::try_join!(
        super::tagged::names(r, scope, &super::tagged::STATE_MACHINES),
        machines(r, scope, wanted),
        groups(r, scope, wanted, &[]),
    )?;
    // A machine of its own `name` that has left the spec is found by its tags, as a table
    // is, and keyed by its name: it and its log group (outside the service's prefix) are
    // read, so the plan deletes them. One the listing lacks was deleted since.
    let left_spec: Vec<(String, String, String)> = listed
        .into_iter()
        .filter(|(name, _)| {
            tagged.contains(name)
                && scope.logical(name).is_none()
                && key_of(wanted, Kind::StateMachine, name, None, "").is_none()
        })
        .map(|(name, arn)| (name.clone(), name, arn))
        .collect();
    let (left, left_groups) = if left_spec.is_empty() {
        (Default::default(), Default::default())
    } else {
        let prefixes: Vec<String> = left_spec
            .iter()
            .map(|(name, _, _)| state_machine::log_group_name(name))
            .filter(|p| !p.starts_with(&service))
            .collect();
        tokio::try_join!(
            described(r, scope, wanted, left_spec),
            groups(r, scope, wanted, &prefixes),
        )?
    };
    let mut live = Live::default();
    for (resources, conflicts) in [machines, left, service_groups, left_groups] {
        live.add(resources, conflicts);
    }
    Ok(live)
}

/// The key of a live resource named `name`: the spec's key for that name, else the name
/// without the service's prefix (then `suffix` added), else none (not slsr's to read).
fn key_of(
    wanted: &State,
    kind: Kind,
    name: &str,
    logical: Option<&str>,
    suffix: &str,
) -> Option<String> {
    wanted
        .resources
        .values()
        .find(|w| w.kind == kind && w.name == name)
        .map(|w| w.key.clone())
        .or_else(|| logical.map(|l| format!("{l}{suffix}")))
}

/// The machines of the listing that are the spec's or have the service's prefix, and every
/// machine listed, as (name, ARN).
async fn machines(
    r: &Reader,
    scope: &Scope,
    wanted: &State,
) -> Result<(Found, Vec<(String, String)>), AwsError> {
    let listed = pages::all(
        &r.calls,
        "SFN.ListStateMachines",
        r.sfn.list_state_machines().into_paginator().send(),
    )
    .await
    .map_err(|e| AwsError::new("ListStateMachines", "state machines", e))?;
    let items: Vec<(String, String)> = listed
        .iter()
        .flat_map(|p| p.state_machines())
        .map(|m| (m.name().to_string(), m.state_machine_arn().to_string()))
        .collect();
    let chosen = items
        .iter()
        .filter_map(|(name, arn)| {
            let key = key_of(wanted, Kind::StateMachine, name, scope.logical(name), "")?;
            Some((key, name.clone(), arn.clone()))
        })
        .collect();
    Ok((described(r, scope, wanted, chosen).await?, items))
}

/// Each machine's tags and description, as (key, name, ARN): slsr's as resources, the
/// others at an address the spec wants as conflicts.
async fn described(
    r: &Reader,
    scope: &Scope,
    wanted: &State,
    chosen: Vec<(String, String, String)>,
) -> Result<Found, AwsError> {
    let mut tasks = tokio::task::JoinSet::new();
    for (key, name, arn) in chosen {
        let r = r.clone();
        tasks.spawn(async move {
            let _slot = r.slot().await;
            r.calls.count("SFN.ListTagsForResource");
            let tags = r
                .sfn
                .list_tags_for_resource()
                .resource_arn(&arn)
                .send()
                .await
                .map_err(|e| AwsError::new("ListTagsForResource", arn.clone(), e))?;
            let tags: HashMap<String, String> = tags
                .tags()
                .iter()
                .filter_map(|t| Some((t.key()?.to_string(), t.value()?.to_string())))
                .collect();
            r.calls.count("SFN.DescribeStateMachine");
            let described = r
                .sfn
                .describe_state_machine()
                .state_machine_arn(&arn)
                .send()
                .await;
            let described = match described {
                Ok(out) => Some(out),
                // Deleted between the listing and now.
                Err(e) if crate::apply::already_gone(&e) => None,
                Err(e)
                    if aws_sdk_sfn::error::ProvideErrorMetadata::code(&e)
                        == Some("StateMachineDoesNotExist") =>
                {
                    None
                }
                Err(e) => return Err(AwsError::new("DescribeStateMachine", arn.clone(), e)),
            };
            Ok::<_, AwsError>((key, name, tags, described))
        });
    }
    let mut resources = Vec::new();
    let mut conflicts = Vec::new();
    while let Some(joined) = tasks.join_next().await {
        let (key, name, tags, described) = joined.expect("a read task does not panic")?;
        let at = address(Kind::StateMachine, &key);
        if !scope.owns(&tags) {
            if wanted.resources.contains_key(&at) {
                conflicts.push(conflict(at, &name, scope));
            }
            continue;
        }
        // A machine being deleted is gone as far as a plan goes.
        let Some(described) = described
            .filter(|d| d.status() != Some(&aws_sdk_sfn::types::StateMachineStatus::Deleting))
        else {
            continue;
        };
        resources.push(state_machine::live(&key, &described, &tags));
    }
    resources.sort_by_key(|r| r.address());
    Ok((resources, conflicts))
}

type Found = (
    Vec<crate::engine::model::Resource>,
    Vec<crate::engine::model::Conflict>,
);

/// The groups slsr owns, and a conflict for each the spec wants that is someone else's
/// (any other is left out: nothing of slsr's is in it). With `only`, the groups of those
/// prefixes alone.
async fn groups(
    r: &Reader,
    scope: &Scope,
    wanted: &State,
    only: &[String],
) -> Result<Found, AwsError> {
    let root = state_machine::log_group_name("");
    // The service's groups by prefix, and those of machines with a `name` of their own.
    let service = state_machine::log_group_name(&scope.prefix());
    let prefixes: Vec<String> = if only.is_empty() {
        let mut prefixes = vec![service.clone()];
        prefixes.extend(
            wanted
                .resources
                .values()
                .filter(|w| w.kind == Kind::LogGroup && w.name.starts_with(&root))
                .map(|w| w.name.clone())
                .filter(|name| !name.starts_with(&service)),
        );
        prefixes
    } else {
        only.to_vec()
    };
    let mut found = Vec::new();
    for prefix in prefixes {
        let listed = super::lambda::log_groups_by_prefix(r, &prefix).await?;
        for g in listed.iter().flat_map(|page| page.log_groups()) {
            let Some(name) = g.log_group_name() else {
                continue;
            };
            let machine = name.strip_prefix(&root).unwrap_or_default();
            // A machine found by its tags is keyed by its name, and so is its group.
            let logical = match only.is_empty() {
                true => scope.logical(machine),
                false => Some(machine),
            };
            let Some(key) = key_of(wanted, Kind::LogGroup, name, logical, ROLE_SUFFIX) else {
                continue;
            };
            if let Some(group) = log_group::live(&key, g) {
                found.push(group);
            }
        }
    }
    found.sort_by(|a, b| a.0.name.cmp(&b.0.name));
    found.dedup_by(|a, b| a.0.name == b.0.name);
    let (mut resources, mut conflicts) = (Vec::new(), Vec::new());
    for (group, tags) in super::lambda::tagged_log_groups(r, found).await? {
        if scope.owns(&tags) {
            resources.push(log_group::with_tags(group, &tags));
        } else if wanted.resources.contains_key(&group.address()) {
            conflicts.push(conflict(group.address(), &group.name, scope));
        }
    }
    resources.sort_by_key(|r| r.address());
    Ok((resources, conflicts))
}
