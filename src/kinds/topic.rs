//! SNS topics: `{service}-{stage}-{name}` (with `.fifo` for a FIFO topic) or the exact
//! `name` a topic declares, with its KMS key and tags. Read with ListTopics,
//! ListTagsForResource and GetTopicAttributes (`aws/read/sns.rs`). slsr's subscriptions on
//! a topic need it, so they go before it when it is deleted; a topic someone else
//! subscribed to is handed over (its tags removed) instead, so that their subscriptions
//! live on.

use std::collections::HashMap;

use aws_sdk_sns::types::Tag;
use serde_json::Value;

use super::{KindInfo, TAGS, Tags, attr, attr_map, attr_str};
use crate::apply::{Applier, Settle, Step, tag_by_arn, tag_changes, tag_list};
use crate::aws::AwsError;
use crate::engine::desired::Builder;
use crate::engine::model::{Resource, State};
use crate::engine::plan::Action;

pub static INFO: KindInfo = KindInfo {
    prefix: "topic",
    naming: "{service}-{stage}-{name}, ending .fifo for a FIFO topic, or its exact `name`",
    tags: Tags::Compared,
    replaced_by: &[FIFO],
    holds_data: false,
    desired,
    needs: super::needs_nothing,
    serial_with: super::not_serial,
    public: super::never_public,
    identity: &[ARN],
    about: super::nothing_to_add,
    write: super::writer!(apply),
};

pub const ARN: &str = "arn";
pub const FIFO: &str = "fifo";
pub const KMS_KEY: &str = "kms_key";

impl Builder<'_> {
    /// A topic's physical name: the `name` it declares, else `{service}-{stage}-{name}`
    /// (and `.fifo` for a FIFO topic).
    pub fn topic_physical(&self, name: &str) -> String {
        let topic = self.p.topics.get(name);
        if let Some(exact) = topic.and_then(|t| t.name.clone()) {
            return exact;
        }
        let fifo = topic.is_some_and(|t| t.fifo == Some(true));
        format!(
            "{}{}",
            self.p.physical_name(name),
            if fifo { ".fifo" } else { "" }
        )
    }

    pub fn topic_arn(&self, name: &str) -> String {
        format!(
            "arn:aws:sns:{}:{}:{}",
            self.t.region(),
            self.t.account(),
            self.topic_physical(name)
        )
    }
}

fn desired(b: &Builder, state: &mut State) {
    for (name, t) in &b.p.topics {
        let tags = b.tags_with(&t.tags);
        state.insert(
            Resource::new(super::Kind::Topic, name, b.topic_physical(name))
                .with(ARN, b.topic_arn(name))
                .with(FIFO, t.fifo == Some(true))
                .with(KMS_KEY, t.kms_key.clone().map_or(Value::Null, Value::from))
                .with_map(TAGS, &tags),
        );
    }
}

/// A topic as GetTopicAttributes and ListTagsForResource have it.
pub fn live(
    key: &str,
    arn: &str,
    attrs: &HashMap<String, String>,
    tags: &HashMap<String, String>,
) -> Resource {
    let name = arn.rsplit(':').next().unwrap_or_default();
    let mut res = Resource::new(super::Kind::Topic, key, name)
        .with(ARN, arn)
        .with(
            FIFO,
            attrs.get("FifoTopic").is_some_and(|v| v == "true") || name.ends_with(".fifo"),
        )
        .with(
            KMS_KEY,
            attrs
                .get("KmsMasterKeyId")
                .filter(|k| !k.is_empty())
                .cloned()
                .map_or(Value::Null, Value::from),
        );
    res = res.with_map(TAGS, tags);
    res
}

async fn apply(a: &Applier, step: &Step) -> Result<(), AwsError> {
    let r = step.resource();
    let name = r.name.as_str();
    let arn = attr_str(r, ARN);
    match step.action {
        Action::Create => {
            let mut attributes = HashMap::new();
            if attr(r, FIFO) == true {
                attributes.insert("FifoTopic".to_string(), "true".to_string());
            }
            if let Some(key) = attr(r, KMS_KEY).as_str() {
                attributes.insert("KmsMasterKeyId".to_string(), key.to_string());
            }
            a.sns
                .create_topic()
                .name(name)
                .set_attributes(Some(attributes))
                .set_tags(Some(tag_list!(Tag, attr_map(r, TAGS))))
                .send()
                .await
                .map_err(|e| AwsError::new("CreateTopic", name, e))?;
        }
        Action::Delete => {
            // Others' subscriptions keep the topic: slsr's own went first (they need it),
            // and the topic is handed over by removing slsr's tags.
            if others_subscribed(a, &arn).await? {
                return a
                    .sns
                    .untag_resource()
                    .resource_arn(&arn)
                    .set_tag_keys(Some(attr_map(r, TAGS).into_keys().collect()))
                    .send()
                    .await
                    .map(|_| ())
                    .or_gone("UntagResource", name);
            }
            a.sns
                .delete_topic()
                .topic_arn(&arn)
                .send()
                .await
                .or_gone("DeleteTopic", name)?;
        }
        _ => {
            if step.changes(KMS_KEY) {
                // An empty key turns encryption off.
                a.sns
                    .set_topic_attributes()
                    .topic_arn(&arn)
                    .attribute_name("KmsMasterKeyId")
                    .attribute_value(attr(r, KMS_KEY).as_str().unwrap_or_default())
                    .send()
                    .await
                    .map_err(|e| AwsError::new("SetTopicAttributes", name, e))?;
            }
            tag_by_arn!(a.sns, &arn, name, tag_changes(step), Tag).await?;
        }
    }
    Ok(())
}

/// Whether the topic has a subscription whose endpoint is not one of slsr's own functions
/// (every page). slsr's subscriptions are gone by now: they need the topic.
async fn others_subscribed(a: &Applier, topic: &str) -> Result<bool, AwsError> {
    let subscriptions = crate::aws::pages::follow(
        &a.lookups,
        "SNS.ListSubscriptionsByTopic",
        topic,
        |token| async move {
            match a
                .sns
                .list_subscriptions_by_topic()
                .topic_arn(topic)
                .set_next_token(token)
                .send()
                .await
            {
                Ok(out) => Ok((out.subscriptions.unwrap_or_default(), out.next_token)),
                Err(e) if crate::aws::read::sns::gone(&e) => Ok((vec![], None)),
                Err(e) => Err(AwsError::new("ListSubscriptionsByTopic", topic, e)),
            }
        },
    )
    .await?;
    let owned_functions: Vec<&str> = a
        .owned
        .values()
        .filter(|(kind, _)| *kind == super::Kind::Function)
        .map(|(_, name)| name.as_str())
        .collect();
    Ok(subscriptions.iter().any(|s| {
        let function = s
            .endpoint()
            .and_then(|e| e.split(":function:").nth(1))
            .map(|f| f.split(':').next().unwrap_or(f));
        !(s.protocol() == Some("lambda") && function.is_some_and(|f| owned_functions.contains(&f)))
    }))
}
