//! SQS queues: ListQueues by prefix, then per queue GetQueueAttributes (all of them) and
//! ListQueueTags; and how many messages a queue holds, for destroy's note.

use std::collections::{BTreeMap, HashMap};

use aws_sdk_sqs::types::QueueAttributeName;

use super::{Found, Reader, Scope, conflict};
use crate::aws::{AwsError, pages};
use crate::engine::model::{Kind, State, address};

/// The queues, the conflicts, and each owned queue's URL by its key (for `${queue:NAME.url}`).
pub async fn read(
    r: &Reader,
    scope: &Scope,
    wanted: &State,
) -> Result<(Found, BTreeMap<String, String>), AwsError> {
    // Without MaxResults, SQS answers the first 1000 queues and no token: asking for pages
    // (of its largest size) is what makes it say there are more.
    let listed = pages::all(
        &r.calls,
        "SQS.ListQueues",
        r.sqs
            .list_queues()
            .queue_name_prefix(scope.prefix())
            .into_paginator()
            .page_size(1000)
            .send(),
    )
    .await
    .map_err(|e| AwsError::new("ListQueues", scope.prefix(), e))?;
    let urls: Vec<String> = listed
        .iter()
        .flat_map(|p| p.queue_urls())
        .cloned()
        .collect();
    let mut tasks = tokio::task::JoinSet::new();
    for url in urls {
        let r = r.clone();
        tasks.spawn(async move {
            let _slot = r.slot().await;
            r.calls.count("SQS.GetQueueAttributes");
            let attrs = r
                .sqs
                .get_queue_attributes()
                .queue_url(&url)
                .attribute_names(QueueAttributeName::All)
                .send()
                .await
                .map_err(|e| AwsError::new("GetQueueAttributes", url.clone(), e))?;
            r.calls.count("SQS.ListQueueTags");
            let tags = r
                .sqs
                .list_queue_tags()
                .queue_url(&url)
                .send()
                .await
                .map_err(|e| AwsError::new("ListQueueTags", url.clone(), e))?;
            let attrs: HashMap<String, String> = attrs
                .attributes()
                .map(|a| {
                    a.iter()
                        .map(|(k, v)| (k.as_str().to_string(), v.clone()))
                        .collect()
                })
                .unwrap_or_default();
            Ok::<_, AwsError>((url, attrs, tags.tags().cloned().unwrap_or_default()))
        });
    }
    let mut resources = Vec::new();
    let mut conflicts = Vec::new();
    let mut owned_urls = BTreeMap::new();
    while let Some(joined) = tasks.join_next().await {
        let (url, attrs, tags) = joined.expect("a read task does not panic")?;
        let name = url.rsplit('/').next().unwrap_or_default().to_string();
        let Some(key) = scope
            .logical(&name)
            .map(|k| k.trim_end_matches(".fifo").to_string())
        else {
            continue;
        };
        let at = address(Kind::Queue, &key);
        if !scope.owns(&tags) {
            if wanted.resources.contains_key(&at) {
                conflicts.push(conflict(at, &name, scope));
            }
            continue;
        }
        resources.push(crate::kinds::queue::live(&key, &name, &attrs, &tags));
        owned_urls.insert(key, url);
    }
    Ok(((resources, conflicts), owned_urls))
}

/// How many messages the queue named `name` holds: waiting, in flight and delayed, all lost
/// with it. Destroy names a queue that holds any before it asks.
pub async fn messages(sqs: &aws_sdk_sqs::Client, name: &str) -> Result<u64, AwsError> {
    let url = sqs
        .get_queue_url()
        .queue_name(name)
        .send()
        .await
        .map_err(|e| AwsError::new("GetQueueUrl", name, e))?
        .queue_url
        .unwrap_or_default();
    let out = sqs
        .get_queue_attributes()
        .queue_url(&url)
        .attribute_names(QueueAttributeName::ApproximateNumberOfMessages)
        .attribute_names(QueueAttributeName::ApproximateNumberOfMessagesNotVisible)
        .attribute_names(QueueAttributeName::ApproximateNumberOfMessagesDelayed)
        .send()
        .await
        .map_err(|e| AwsError::new("GetQueueAttributes", name, e))?;
    Ok(out
        .attributes()
        .map(|a| a.values().filter_map(|v| v.parse::<u64>().ok()).sum())
        .unwrap_or(0))
}
