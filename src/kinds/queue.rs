//! SQS queues: `{service}-{stage}-{name}` (with `.fifo` for a FIFO queue), their attributes
//! with SQS's defaults written out, a dead-letter queue by redrive policy, and tags. Read
//! with ListQueues, GetQueueAttributes and ListQueueTags (`aws/read/sqs.rs`). A queue with
//! a dead-letter queue needs that queue first.

use std::collections::HashMap;

use aws_sdk_sqs::types::QueueAttributeName as A;
use serde_json::{Value, json};

use super::{Index, KindInfo, TAGS, Tags, attr, attr_map};
use crate::apply::{Applier, Settle, Step, tag_changes, write_tags};
use crate::aws::AwsError;
use crate::engine::desired::Builder;
use crate::engine::model::{Resource, State};
use crate::engine::plan::Action;
use crate::spec::model::Queue;

pub static INFO: KindInfo = KindInfo {
    prefix: "queue",
    naming: "{service}-{stage}-{name}, ending .fifo for a FIFO queue",
    tags: Tags::Compared,
    replaced_by: &[FIFO],
    holds_data: false,
    desired,
    needs,
    serial_with: super::not_serial,
    public: super::never_public,
    identity: &[ARN],
    about: super::nothing_to_add,
    write: super::writer!(apply),
};

pub const ARN: &str = "arn";
pub const FIFO: &str = "fifo";
pub const REDRIVE_POLICY: &str = "redrive_policy";
pub const KMS_KEY: &str = "kms_key";
pub const CONTENT_BASED_DEDUPLICATION: &str = "content_based_deduplication";

/// A numeric attribute: its name in the plan, SQS's name for it, and SQS's default.
struct Number {
    attr: &'static str,
    sqs: A,
    default: u32,
    spec: fn(&Queue) -> Option<u32>,
}

const NUMBERS: [Number; 5] = [
    Number {
        attr: "visibility_timeout",
        sqs: A::VisibilityTimeout,
        default: 30,
        spec: |q| q.visibility_timeout,
    },
    Number {
        attr: "message_retention",
        sqs: A::MessageRetentionPeriod,
        default: 345_600,
        spec: |q| q.message_retention,
    },
    Number {
        attr: "delay",
        sqs: A::DelaySeconds,
        default: 0,
        spec: |q| q.delay,
    },
    Number {
        attr: "receive_wait_time",
        sqs: A::ReceiveMessageWaitTimeSeconds,
        default: 0,
        spec: |q| q.receive_wait_time,
    },
    // 1 MiB, as SQS's API reference documents `MaximumMessageSize` now (256 KiB before
    // SQS raised the limit).
    Number {
        attr: "max_message_size",
        sqs: A::MaximumMessageSize,
        default: 1_048_576,
        spec: |q| q.max_message_size,
    },
];

fn desired(b: &Builder, state: &mut State) {
    for (name, q) in &b.p.queues {
        let fifo = q.fifo == Some(true);
        let redrive = q.dead_letter.as_ref().map_or(Value::Null, |dl| json!({"deadLetterTargetArn": b.queue_arn(&dl.queue), "maxReceiveCount": dl.max_receive_count}));
        let mut r = Resource::new(super::Kind::Queue, name, b.queue_physical(name))
            .with(ARN, b.queue_arn(name))
            .with(FIFO, fifo);
        for n in &NUMBERS {
            r = r.with(n.attr, (n.spec)(q).unwrap_or(n.default));
        }
        r = r
            .with(KMS_KEY, q.kms_key.clone().map_or(Value::Null, Value::from))
            .with(REDRIVE_POLICY, redrive)
            .with_map(TAGS, &b.tags);
        if fifo {
            r = r.with(
                CONTENT_BASED_DEDUPLICATION,
                q.content_based_deduplication.unwrap_or(false),
            );
        }
        state.insert(r);
    }
}

/// A queue with a dead-letter queue needs that queue.
fn needs(r: &Resource, index: &Index) -> Vec<String> {
    attr(r, REDRIVE_POLICY)["deadLetterTargetArn"]
        .as_str()
        .and_then(|arn| index.arn(arn))
        .into_iter()
        .collect()
}

/// A queue as GetQueueAttributes (all of them) and ListQueueTags have it.
pub fn live(
    key: &str,
    name: &str,
    attrs: &HashMap<String, String>,
    tags: &HashMap<String, String>,
) -> Resource {
    let fifo = attrs.get("FifoQueue").is_some_and(|v| v == "true") || name.ends_with(".fifo");
    let redrive = attrs
        .get("RedrivePolicy")
        .and_then(|p| serde_json::from_str::<Value>(p).ok())
        .map_or(Value::Null, |p| {
            // SQS returns maxReceiveCount as a number or as text, depending on how it was set.
            let count = p["maxReceiveCount"]
                .as_u64()
                .or_else(|| p["maxReceiveCount"].as_str().and_then(|s| s.parse().ok()));
            json!({"deadLetterTargetArn": p["deadLetterTargetArn"], "maxReceiveCount": count})
        });
    let mut res = Resource::new(super::Kind::Queue, key, name)
        .with(ARN, attrs.get("QueueArn").cloned().unwrap_or_default())
        .with(FIFO, fifo);
    for n in &NUMBERS {
        let value = attrs
            .get(n.sqs.as_str())
            .and_then(|v| v.parse::<u64>().ok())
            .map_or(Value::Null, Value::from);
        res = res.with(n.attr, value);
    }
    res = res
        .with(
            KMS_KEY,
            attrs
                .get("KmsMasterKeyId")
                .cloned()
                .map_or(Value::Null, Value::from),
        )
        .with(REDRIVE_POLICY, redrive);
    if fifo {
        res = res.with(
            CONTENT_BASED_DEDUPLICATION,
            attrs
                .get("ContentBasedDeduplication")
                .is_some_and(|v| v == "true"),
        );
    }
    res = res.with_map(TAGS, tags);
    res
}

/// The SQS attributes of a queue resource: every one when `all`, else only those changed.
fn attributes(step: &Step, all: bool) -> HashMap<A, String> {
    let r = step.resource();
    let mut out = HashMap::new();
    for n in &NUMBERS {
        if (all || step.changes(n.attr))
            && let Some(v) = r.attrs.get(n.attr).and_then(Value::as_u64)
        {
            out.insert(n.sqs.clone(), v.to_string());
        }
    }
    if all || step.changes(REDRIVE_POLICY) {
        // An empty policy removes a redrive policy that the spec no longer has.
        let policy = match attr(r, REDRIVE_POLICY) {
            Value::Null => String::new(),
            p => p.to_string(),
        };
        if !(all && policy.is_empty()) {
            out.insert(A::RedrivePolicy, policy);
        }
    }
    if (all && !attr(r, KMS_KEY).is_null()) || (!all && step.changes(KMS_KEY)) {
        out.insert(
            A::KmsMasterKeyId,
            attr(r, KMS_KEY).as_str().unwrap_or_default().to_string(),
        );
    }
    if attr(r, FIFO) == true {
        if all {
            out.insert(A::FifoQueue, "true".into());
        }
        if all || step.changes(CONTENT_BASED_DEDUPLICATION) {
            out.insert(
                A::ContentBasedDeduplication,
                (attr(r, CONTENT_BASED_DEDUPLICATION) == true).to_string(),
            );
        }
    }
    out
}

async fn apply(a: &Applier, step: &Step) -> Result<(), AwsError> {
    let r = step.resource();
    let name = r.name.as_str();
    match step.action {
        Action::Create => {
            let out = a
                .sqs
                .create_queue()
                .queue_name(name)
                .set_attributes(Some(attributes(step, true)))
                .set_tags(Some(attr_map(r, TAGS)))
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
            write_tags(
                tag_changes(step),
                name,
                ("TagQueue", |set| {
                    a.sqs.tag_queue().queue_url(&url).set_tags(Some(set)).send()
                }),
                ("UntagQueue", |keys| {
                    a.sqs
                        .untag_queue()
                        .queue_url(&url)
                        .set_tag_keys(Some(keys))
                        .send()
                }),
            )
            .await?;
        }
    }
    Ok(())
}

/// A queue's URL from its name.
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
