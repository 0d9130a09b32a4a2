//! DynamoDB tables: ListTables (paged), then per table with the service's prefix, or with
//! an exact name the spec gives one, DescribeTable and ListTagsOfResource (paged); for a
//! table slsr owns, DescribeTimeToLive and DescribeContinuousBackups too. What the answers
//! become is the kind's (`kinds::table::live`).
//!
//! DynamoDB lists names only: a table of an exact `name` is found while the spec names it,
//! and after by its tags (`tagged.rs`), keyed by its physical name.

use std::collections::HashMap;

use super::{Live, Reader, Scope, conflict};
use crate::aws::{AwsError, pages};
use crate::engine::model::{Kind, State, address};
use crate::kinds::table;

/// The service's tables, the conflicts, and each owned table's stream.
pub async fn read(r: &Reader, scope: &Scope, wanted: &State) -> Result<Live, AwsError> {
    // The spec's tables by physical name: an exact name need not start with the prefix.
    let exact: HashMap<String, String> = wanted
        .resources
        .values()
        .filter(|w| w.kind == Kind::Table)
        .map(|w| (w.name.clone(), w.key.clone()))
        .collect();
    let (listed, tagged) = tokio::try_join!(
        async {
            pages::all(
                &r.calls,
                "DynamoDB.ListTables",
                r.dynamodb.list_tables().into_paginator().send(),
            )
            .await
            .map_err(|e| AwsError::new("ListTables", "DynamoDB tables", e))
        },
        super::tagged::names(r, scope, &super::tagged::TABLES),
    )?;
    let found: Vec<(String, String)> = listed
        .iter()
        .flat_map(|page| page.table_names())
        .filter_map(|name| {
            let key = exact
                .get(name)
                .cloned()
                .or_else(|| scope.logical(name).map(str::to_string))
                .or_else(|| tagged.contains(name).then(|| name.clone()))?;
            Some((name.clone(), key))
        })
        .collect();
    let mut tasks = tokio::task::JoinSet::new();
    for (name, key) in found {
        let (r, scope) = (r.clone(), scope.clone());
        tasks.spawn(async move {
            let _slot = r.slot().await;
            r.calls.count("DynamoDB.DescribeTable");
            let described = r
                .dynamodb
                .describe_table()
                .table_name(&name)
                .send()
                .await
                .map_err(|e| AwsError::new("DescribeTable", name.clone(), e))?;
            let Some(description) = described.table else {
                return Ok(None);
            };
            let arn = description.table_arn().unwrap_or_default().to_string();
            let tags = table::tags_of(&r.dynamodb, &r.calls, &arn).await?;
            if !scope.owns_at(&address(Kind::Table, &key), &tags) {
                return Ok(Some((key, name, description, tags, None)));
            }
            r.calls.count("DynamoDB.DescribeTimeToLive");
            r.calls.count("DynamoDB.DescribeContinuousBackups");
            let (ttl, backups) = tokio::try_join!(
                async {
                    r.dynamodb
                        .describe_time_to_live()
                        .table_name(&name)
                        .send()
                        .await
                        .map_err(|e| AwsError::new("DescribeTimeToLive", name.clone(), e))
                },
                async {
                    r.dynamodb
                        .describe_continuous_backups()
                        .table_name(&name)
                        .send()
                        .await
                        .map_err(|e| AwsError::new("DescribeContinuousBackups", name.clone(), e))
                },
            )?;
            Ok::<_, AwsError>(Some((key, name, description, tags, Some((ttl, backups)))))
        });
    }
    let mut live = Live::default();
    let mut resources = Vec::new();
    let mut conflicts = Vec::new();
    while let Some(joined) = tasks.join_next().await {
        let Some((key, name, description, tags, owned)) =
            joined.expect("a read task does not panic")?
        else {
            continue;
        };
        let at = address(Kind::Table, &key);
        let Some((ttl, backups)) = owned else {
            if wanted.resources.contains_key(&at) {
                conflicts.push(conflict(at, &name, scope));
            }
            continue;
        };
        let found = table::live(
            &key,
            &description,
            ttl.time_to_live_description(),
            backups.continuous_backups_description(),
            &tags,
        );
        // A table the plan replaces comes back with a new stream, whose ARN is known only
        // after apply: what names the stream must follow it.
        let replaced = wanted.resources.get(&at).is_some_and(|w| {
            w.name != found.name
                || [table::PARTITION_KEY, table::SORT_KEY]
                    .iter()
                    .any(|k| w.attrs.get(*k) != found.attrs.get(*k))
        });
        if let Some(stream) = table::live_stream(&description).filter(|_| !replaced) {
            live.table_streams.insert(key.clone(), stream);
        }
        resources.push(found);
    }
    live.add(resources, conflicts);
    Ok(live)
}
