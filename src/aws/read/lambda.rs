//! Lambda (and each function's log group): functions, their resource-policy statements,
//! event source mappings, the `live` alias, function URLs. Calls: ListFunctions (paged),
//! then per function with the service's prefix GetFunction (configuration, code, tags and
//! concurrency in one) and, when slsr owns it, GetPolicy and GetAlias (`live`, with
//! GetProvisionedConcurrencyConfig when it exists); ListEventSourceMappings and
//! DescribeLogGroups (paged) once for the whole service, alongside.
//! GetFunctionEventInvokeConfig and GetFunctionUrlConfig cost control-plane calls: they are
//! read only for a function whose spec wants one or whose tag (`slsr:async`, `slsr:url`)
//! says slsr made one. What each answer becomes is the kinds' (`kinds::function::live`...).
//!
//! Mappings and log groups are slsr's only when they carry its tags, which no listing
//! returns. A log group's tags are read with it (ListTagsForResource, one call per group of
//! the service's functions), since they are compared like any resource's; mappings are read
//! as unverified, and their tags are read (`owner_tags`) only for those a plan would change
//! or delete. Statements without a `slsr-` id are someone else's: kept, and shown as kept.

use std::collections::{BTreeMap, HashMap};

use aws_sdk_cloudwatchlogs::operation::describe_log_groups::DescribeLogGroupsOutput;
use serde_json::Value;

use super::{Found, Parts, Reader, Scope, conflict};
use crate::aws::{AwsError, pages};
use crate::engine::model::{Kept, Kind, Resource, State, address};
use crate::kinds::{alias, event_source_mapping, function, function_url, log_group, permission};

/// What the Lambda read found, and the URLs of the function URLs that exist, by function key.
pub async fn read(
    r: &Reader,
    scope: &Scope,
    wanted: &State,
) -> Result<(Found, Parts, BTreeMap<String, String>), AwsError> {
    let prefix = scope.prefix();
    let listed = pages::all(
        &r.calls,
        "Lambda.ListFunctions",
        r.lambda.list_functions().into_paginator().send(),
    )
    .await
    .map_err(|e| AwsError::new("ListFunctions", "Lambda functions", e))?;
    let names: Vec<String> = listed
        .iter()
        .flat_map(|page| page.functions())
        .filter_map(|f| f.function_name())
        .filter(|n| n.starts_with(&prefix))
        .map(str::to_string)
        .collect();

    // Per function, one after another: GetFunction, then (when slsr owns it) its policy
    // statements and its `live` alias, so the calls of the three quotas overlap. The
    // account-wide listings go at the same time.
    let wants = |has: fn(&Resource) -> bool| -> Vec<String> {
        wanted
            .resources
            .values()
            .filter(|w| has(w))
            .map(|w| w.name.clone())
            .collect()
    };
    let wants_async =
        wants(|w| w.kind == Kind::Function && w.attrs.contains_key(function::ASYNC_MAX_RETRIES));
    let wants_url = wants(|w| w.kind == Kind::FunctionUrl);
    let mut tasks = tokio::task::JoinSet::new();
    for name in names.clone() {
        let (r, scope) = (r.clone(), scope.clone());
        let read_async = wants_async.contains(&name);
        let read_url = wants_url.contains(&name);
        tasks.spawn(async move {
            let _slot = r.slot().await;
            r.calls.count("Lambda.GetFunction");
            let out = r
                .lambda
                .get_function()
                .function_name(&name)
                .send()
                .await
                .map_err(|e| AwsError::new("GetFunction", name.clone(), e))?;
            let mut tags = out.tags().cloned().unwrap_or_default();
            let mut found = Owned::default();
            if scope.owns(&tags) {
                let key = scope.logical(&name).unwrap_or(&name).to_string();
                let read_async = read_async || tags.contains_key("slsr:async");
                // The tag only says slsr made the URL: it is no attribute of the function.
                let read_url = tags.remove(function_url::URL_TAG).is_some() || read_url;
                // Every owned function's alias: one left from provisioned concurrency that
                // the spec no longer wants must show up to be deleted.
                let (statements, aliases, config, url) = tokio::try_join!(
                    permission::read(&r, &name, &scope),
                    alias::read(&r, &scope, &name),
                    async {
                        match read_async {
                            true => function::async_config(&r, &name).await,
                            false => Ok(vec![]),
                        }
                    },
                    async {
                        match read_url {
                            true => function_url::read(&r, &key, &name).await,
                            false => Ok(None),
                        }
                    },
                )?;
                let (resources, kept) = statements;
                found = Owned {
                    resources,
                    kept,
                    async_attrs: config,
                    url,
                };
                found.resources.extend(aliases);
            }
            Ok::<_, AwsError>((name, out, tags, found))
        });
    }
    // A log group is the function's: read it, with its tags, for every owned or wanted
    // function. Which functions are owned is known only once GetFunction answers, so the
    // groups of every listed function of the prefix have their tags read alongside.
    let wanted_functions: Vec<String> = wanted
        .resources
        .values()
        .filter(|w| w.kind == Kind::Function)
        .map(|w| w.name.clone())
        .collect();
    let group_functions: Vec<String> = names.iter().chain(&wanted_functions).cloned().collect();
    let functions = async {
        let mut all = Vec::new();
        while let Some(joined) = tasks.join_next().await {
            all.push(joined.expect("a read task does not panic")?);
        }
        Ok::<_, AwsError>(all)
    };
    let any_listed = !names.is_empty();
    let any_logs = any_listed || !wanted_functions.is_empty();
    let (functions, mappings, logs) = tokio::try_join!(
        functions,
        async {
            match any_listed {
                true => mappings(r, scope).await,
                false => Ok(vec![]),
            }
        },
        async {
            match any_logs {
                true => log_groups(r, scope, &group_functions).await,
                false => Ok(vec![]),
            }
        },
    )?;
    let mut resources = Vec::new();
    let mut conflicts = Vec::new();
    let mut parts = Parts::default();
    let mut urls = BTreeMap::new();
    let mut owned = Vec::new();
    for (name, out, tags, found) in functions {
        let Some(key) = scope.logical(&name) else {
            continue;
        };
        let at = address(Kind::Function, key);
        if !scope.owns(&tags) {
            if wanted.resources.contains_key(&at) {
                conflicts.push(conflict(at, &name, scope));
            }
            continue;
        }
        owned.push(name.clone());
        let mut resource = function::live(key, &name, &out, &tags);
        for (attr, value) in found.async_attrs {
            resource = resource.with(attr, value);
        }
        resources.push(resource);
        resources.extend(found.resources);
        if let Some((url, address)) = found.url {
            urls.insert(key.to_string(), address);
            resources.push(url);
        }
        parts.kept.extend(found.kept);
    }
    for (mapping, arn) in mappings {
        let function = mapping
            .attrs
            .get(event_source_mapping::FUNCTION)
            .and_then(Value::as_str);
        if owned.iter().any(|f| Some(f.as_str()) == function) {
            parts.unverified.insert(mapping.address(), arn);
            resources.push(mapping);
        }
    }
    for (group, tags) in logs {
        let function = group.name.trim_start_matches("/aws/lambda/");
        if !owned.iter().chain(&wanted_functions).any(|f| f == function) {
            continue;
        }
        if scope.owns(&tags) {
            resources.push(log_group::with_tags(group, &tags));
        } else if wanted.resources.contains_key(&group.address()) {
            conflicts.push(conflict(group.address(), &group.name, scope));
        } else {
            parts.kept.push(Kept {
                address: group.address(),
                name: group.name,
                reason: "the log group of a function slsr owns, but without slsr's tags: someone else made it, and slsr leaves it".into(),
            });
        }
    }
    Ok(((resources, conflicts), parts, urls))
}

/// What a read of one owned function found beside it.
#[derive(Default)]
struct Owned {
    resources: Vec<Resource>,
    kept: Vec<crate::engine::model::Kept>,
    async_attrs: Vec<(&'static str, Value)>,
    url: Option<(Resource, String)>,
}

/// The tags of unverified mappings (by address, from their ARNs), to tell slsr's from
/// others' before a change touches them.
pub async fn owner_tags(
    r: &Reader,
    unverified: &[(String, String)],
) -> Result<HashMap<String, HashMap<String, String>>, AwsError> {
    let mut tasks = tokio::task::JoinSet::new();
    for (address, arn) in unverified.iter().cloned() {
        let r = r.clone();
        tasks.spawn(async move {
            let _slot = r.slot().await;
            r.calls.count("Lambda.ListTags");
            let tags = r
                .lambda
                .list_tags()
                .resource(&arn)
                .send()
                .await
                .map_err(|e| AwsError::new("ListTags", arn.clone(), e))?
                .tags
                .unwrap_or_default();
            Ok::<_, AwsError>((address, tags))
        });
    }
    let mut found = HashMap::new();
    while let Some(joined) = tasks.join_next().await {
        let (address, tags) = joined.expect("a read task does not panic")?;
        found.insert(address, tags);
    }
    Ok(found)
}

/// Every SQS mapping of the service's functions (by name), with its ARN, from one listing
/// of the account's mappings; the caller keeps those of the functions it owns.
async fn mappings(r: &Reader, scope: &Scope) -> Result<Vec<(Resource, String)>, AwsError> {
    let listed = pages::all(
        &r.calls,
        "Lambda.ListEventSourceMappings",
        r.lambda
            .list_event_source_mappings()
            .into_paginator()
            .send(),
    )
    .await
    .map_err(|e| AwsError::new("ListEventSourceMappings", "event source mappings", e))?;
    Ok(listed
        .iter()
        .flat_map(|page| page.event_source_mappings())
        .filter_map(|m| event_source_mapping::live(scope, m))
        .collect())
}

/// The log groups of `functions` (physical names), each with its tags, from one listing by
/// prefix and a ListTagsForResource per group; the caller keeps those of the functions it
/// owns or wants.
async fn log_groups(
    r: &Reader,
    scope: &Scope,
    functions: &[String],
) -> Result<Vec<(Resource, HashMap<String, String>)>, AwsError> {
    let prefix = format!("/aws/lambda/{}", scope.prefix());
    let listed = log_groups_by_prefix(r, &prefix).await?;
    let groups: Vec<(Resource, String)> = listed
        .iter()
        .flat_map(|page| page.log_groups())
        .filter_map(|g| {
            let function = g.log_group_name()?.strip_prefix("/aws/lambda/")?;
            let key = scope.logical(function)?;
            functions.iter().any(|f| f == function).then_some(())?;
            log_group::live(key, g)
        })
        .collect();
    tagged_log_groups(r, groups).await
}

/// The log groups whose names start with `prefix`: every page of DescribeLogGroups.
pub(super) async fn log_groups_by_prefix(
    r: &Reader,
    prefix: &str,
) -> Result<Vec<DescribeLogGroupsOutput>, AwsError> {
    pages::all(
        &r.calls,
        "CloudWatchLogs.DescribeLogGroups",
        r.logs
            .describe_log_groups()
            .log_group_name_prefix(prefix)
            .into_paginator()
            .send(),
    )
    .await
    .map_err(|e| AwsError::new("DescribeLogGroups", prefix, e))
}

/// Log groups (with their ARNs), each with its tags: no listing returns a group's tags, so
/// one ListTagsForResource per group, several at a time; in the groups' name order.
pub(super) async fn tagged_log_groups(
    r: &Reader,
    groups: Vec<(Resource, String)>,
) -> Result<Vec<(Resource, HashMap<String, String>)>, AwsError> {
    let mut tasks = tokio::task::JoinSet::new();
    for (group, arn) in groups {
        let r = r.clone();
        tasks.spawn(async move {
            let _slot = r.slot().await;
            r.calls.count("CloudWatchLogs.ListTagsForResource");
            let tags = r
                .logs
                .list_tags_for_resource()
                .resource_arn(&arn)
                .send()
                .await
                .map_err(|e| AwsError::new("ListTagsForResource", arn.clone(), e))?
                .tags
                .unwrap_or_default();
            Ok::<_, AwsError>((group, tags))
        });
    }
    let mut found = Vec::new();
    while let Some(joined) = tasks.join_next().await {
        found.push(joined.expect("a read task does not panic")?);
    }
    // In name order, whatever order the answers came in.
    found.sort_by(|a, b| a.0.name.cmp(&b.0.name));
    Ok(found)
}
