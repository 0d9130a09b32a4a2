//! Applying SQS queues: attributes and tags at creation, changed attributes and tags on
//! update.

use std::collections::HashMap;

use aws_sdk_sqs::types::QueueAttributeName as A;
use serde_json::Value;

use super::{Applier, Settle, Step, attr, attr_map, tag_changes};
use crate::aws::AwsError;
use crate::engine::plan::Action;

/// The SQS attributes of a queue resource: every one when `all`, else only those changed.
pub(crate) fn attributes(step: &Step, all: bool) -> HashMap<A, String> {
    let r = step.resource();
    let number = |attr: &str| {
        r.attrs
            .get(attr)
            .and_then(Value::as_u64)
            .map(|v| v.to_string())
    };
    let mut out = HashMap::new();
    for (attr, name) in [
        ("visibility_timeout", A::VisibilityTimeout),
        ("message_retention", A::MessageRetentionPeriod),
        ("delay", A::DelaySeconds),
        ("receive_wait_time", A::ReceiveMessageWaitTimeSeconds),
        ("max_message_size", A::MaximumMessageSize),
    ] {
        if (all || step.changes(attr))
            && let Some(v) = number(attr)
        {
            out.insert(name, v);
        }
    }
    if all || step.changes("redrive_policy") {
        // An empty policy removes a redrive policy that the spec no longer has.
        let policy = match &attr(r, "redrive_policy") {
            Value::Null => String::new(),
            p => p.to_string(),
        };
        if !(all && policy.is_empty()) {
            out.insert(A::RedrivePolicy, policy);
        }
    }
    if (all && !attr(r, "kms_key").is_null()) || (!all && step.changes("kms_key")) {
        out.insert(
            A::KmsMasterKeyId,
            attr(r, "kms_key").as_str().unwrap_or_default().to_string(),
        );
    }
    if attr(r, "fifo") == true {
        if all {
            out.insert(A::FifoQueue, "true".into());
        }
        if all || step.changes("content_based_deduplication") {
            out.insert(
                A::ContentBasedDeduplication,
                (attr(r, "content_based_deduplication") == true).to_string(),
            );
        }
    }
    out
}

pub async fn apply(a: &Applier, step: &Step) -> Result<(), AwsError> {
    let r = step.resource();
    let name = r.name.as_str();
    match step.action {
        Action::Create => {
            let out = a
                .sqs
                .create_queue()
                .queue_name(name)
                .set_attributes(Some(attributes(step, true)))
                .set_tags(Some(attr_map(r, "tags")))
                .send()
                .await
                .map_err(|e| AwsError::new("CreateQueue", name, e))?;
            // For `${queue:NAME.url}` in what comes after.
            if let Some(url) = out.queue_url {
                a.ids.set(&format!("queue.{}.url", r.key), url);
            }
        }
        Action::Delete => {
            let url = url(a, name).await?;
            a.sqs
                .delete_queue()
                .queue_url(url)
                .send()
                .await
                .or_gone("DeleteQueue", name)?;
        }
        _ => {
            let url = url(a, name).await?;
            let changed = attributes(step, false);
            if !changed.is_empty() {
                a.sqs
                    .set_queue_attributes()
                    .queue_url(&url)
                    .set_attributes(Some(changed))
                    .send()
                    .await
                    .map_err(|e| AwsError::new("SetQueueAttributes", name, e))?;
            }
            let (set, remove) = tag_changes(step);
            if !set.is_empty() {
                a.sqs
                    .tag_queue()
                    .queue_url(&url)
                    .set_tags(Some(set))
                    .send()
                    .await
                    .map_err(|e| AwsError::new("TagQueue", name, e))?;
            }
            if !remove.is_empty() {
                a.sqs
                    .untag_queue()
                    .queue_url(&url)
                    .set_tag_keys(Some(remove))
                    .send()
                    .await
                    .map_err(|e| AwsError::new("UntagQueue", name, e))?;
            }
        }
    }
    Ok(())
}

/// A queue's URL from its name (a read, not counted as a write).
async fn url(a: &Applier, name: &str) -> Result<String, AwsError> {
    let out = a
        .sqs
        .get_queue_url()
        .queue_name(name)
        .send()
        .await
        .map_err(|e| AwsError::new("GetQueueUrl", name, e))?;
    Ok(out.queue_url.unwrap_or_default())
}
