//! SNS: the service's topics, and slsr's subscriptions on the topics its `sns` events use.
//!
//! Topics: ListTopics (every page), kept when the name starts `{service}-{stage}-`, is a
//! name the spec declares exactly, or one the Resource Groups Tagging API says carries this
//! service and stage's tags (`tagged`: an exactly named topic that left the spec); then per topic ListTagsForResource, and for one with
//! slsr's tags GetTopicAttributes.
//!
//! Subscriptions (`subscriptions`, after the other reads): ListSubscriptionsByTopic (every
//! page) on each owned topic, each existing topic the spec's events name by ARN, and each
//! topic a statement of slsr's on an owned function lets SNS invoke it from (so that an
//! event that left the spec, or `destroy`, still finds slsr's subscription to remove).
//! SNS cannot tag a subscription: slsr's are those of protocol lambda whose endpoint is one
//! of slsr's own functions, read with GetSubscriptionAttributes; every other subscription
//! is kept, and never touched.

use std::collections::{BTreeMap, HashMap};

use super::{Found, Live, Reader, Scope, conflict};
use crate::aws::{AwsError, pages};
use crate::engine::model::{Kept, Kind, State, address};
use crate::kinds::{attr_str, permission, subscription, topic};

/// The service's topics, and the conflicts.
pub async fn read(r: &Reader, scope: &Scope, wanted: &State) -> Result<Found, AwsError> {
    let listing = async {
        pages::all(
            &r.calls,
            "SNS.ListTopics",
            r.sns.list_topics().into_paginator().send(),
        )
        .await
        .map_err(|e| AwsError::new("ListTopics", "SNS topics", e))
    };
    let (listed, tagged) = tokio::try_join!(
        listing,
        super::tagged::names(r, scope, &super::tagged::TOPICS)
    )?;
    let exact: HashMap<&str, &str> = wanted
        .resources
        .values()
        .filter(|w| w.kind == Kind::Topic)
        .map(|w| (w.name.as_str(), w.key.as_str()))
        .collect();
    let mut tasks = tokio::task::JoinSet::new();
    for arn in listed
        .iter()
        .flat_map(|page| page.topics())
        .filter_map(|t| t.topic_arn())
    {
        let name = arn.rsplit(':').next().unwrap_or_default();
        let Some(key) = exact.get(name).map(|k| k.to_string()).or_else(|| {
            scope
                .logical(name)
                .map(|k| k.trim_end_matches(".fifo").to_string())
                .or_else(|| tagged.iter().find(|t| *t == name).cloned())
        }) else {
            continue;
        };
        let (r, arn, name) = (r.clone(), arn.to_string(), name.to_string());
        let scope = scope.clone();
        tasks.spawn(async move {
            let _slot = r.slot().await;
            r.calls.count("SNS.ListTagsForResource");
            let tags: HashMap<String, String> = match r
                .sns
                .list_tags_for_resource()
                .resource_arn(&arn)
                .send()
                .await
            {
                Ok(out) => out
                    .tags()
                    .iter()
                    .map(|t| (t.key().to_string(), t.value().to_string()))
                    .collect(),
                // Deleted since it was listed.
                Err(e) if gone(&e) => return Ok(None),
                Err(e) => return Err(AwsError::new("ListTagsForResource", arn, e)),
            };
            if !scope.owns(&tags) {
                return Ok(Some((key, name, None)));
            }
            r.calls.count("SNS.GetTopicAttributes");
            let attributes = r
                .sns
                .get_topic_attributes()
                .topic_arn(&arn)
                .send()
                .await
                .map_err(|e| AwsError::new("GetTopicAttributes", arn.clone(), e))?
                .attributes
                .unwrap_or_default();
            Ok::<_, AwsError>(Some((
                key.clone(),
                name,
                Some(topic::live(&key, &arn, &attributes, &tags)),
            )))
        });
    }
    let (mut resources, mut conflicts) = (Vec::new(), Vec::new());
    while let Some(joined) = tasks.join_next().await {
        let Some((key, name, found)) = joined.expect("a read task does not panic")? else {
            continue;
        };
        let at = address(Kind::Topic, &key);
        match found {
            Some(res) => resources.push(res),
            None if wanted.resources.contains_key(&at) => {
                conflicts.push(conflict(at, &name, scope))
            }
            None => {}
        }
    }
    Ok((resources, conflicts))
}

/// A topic whose subscriptions are read: how slsr's subscriptions on it are keyed (the
/// topic's key, or its ARN when slsr does not own it), where others' are kept, and whether
/// the spec needs it to exist.
struct Listed {
    key: String,
    kept_at: String,
    wanted: bool,
}

/// slsr's subscriptions on the topics it owns or its events name, and the others' (kept).
pub async fn subscriptions(r: &Reader, wanted: &State, so_far: &State) -> Result<Live, AwsError> {
    let functions: HashMap<String, (String, String)> = so_far
        .resources
        .values()
        .filter(|f| f.kind == Kind::Function)
        .map(|f| (attr_str(f, "arn"), (f.key.clone(), f.name.clone())))
        .collect();
    let mut topics: BTreeMap<String, Listed> = BTreeMap::new();
    for t in so_far.resources.values().filter(|t| t.kind == Kind::Topic) {
        topics.insert(
            attr_str(t, topic::ARN),
            Listed {
                key: t.key.clone(),
                kept_at: t.address(),
                wanted: false,
            },
        );
    }
    let foreign = wanted
        .resources
        .values()
        .filter(|w| w.kind == Kind::Subscription)
        // Keyed `{function}.{topic}`: a topic named by its ARN is someone else's.
        .filter(|w| {
            w.key
                .split_once('.')
                .is_some_and(|(_, t)| subscription::foreign_topic(t))
        })
        .map(|w| (attr_str(w, subscription::TOPIC_ARN), true))
        .chain(
            so_far
                .resources
                .values()
                .filter(|p| {
                    p.kind == Kind::Permission
                        && attr_str(p, permission::PRINCIPAL) == subscription::SNS_PRINCIPAL
                })
                .map(|p| (attr_str(p, permission::SOURCE_ARN), false)),
        );
    for (arn, needed) in foreign {
        if arn.contains("${") || crate::engine::desired::still_unknown(&arn) {
            continue;
        }
        let entry = topics.entry(arn.clone()).or_insert_with(|| Listed {
            key: arn.clone(),
            kept_at: address(Kind::Topic, &arn),
            wanted: false,
        });
        // A topic the spec owns is wanted by its own resource, not here.
        entry.wanted |= needed && entry.key == arn;
    }
    let mut tasks = tokio::task::JoinSet::new();
    for (arn, listed) in topics {
        let r = r.clone();
        let functions = functions.clone();
        tasks.spawn(async move {
            let _slot = r.slot().await;
            let missing = std::sync::atomic::AtomicBool::new(false);
            let listing = pages::follow(&r.calls, "SNS.ListSubscriptionsByTopic", &arn, |token| {
                let (r, arn, missing) = (&r, &arn, &missing);
                async move {
                    let out = r
                        .sns
                        .list_subscriptions_by_topic()
                        .topic_arn(arn)
                        .set_next_token(token)
                        .send()
                        .await;
                    match out {
                        Ok(out) => Ok((out.subscriptions.unwrap_or_default(), out.next_token)),
                        Err(e) if gone(&e) => {
                            missing.store(true, std::sync::atomic::Ordering::Relaxed);
                            Ok((vec![], None))
                        }
                        Err(e) => Err(AwsError::new("ListSubscriptionsByTopic", arn.clone(), e)),
                    }
                }
            })
            .await?;
            if missing.into_inner() {
                if !listed.wanted {
                    return Ok(Live::default());
                }
                return Err(AwsError {
                    operation: "ListSubscriptionsByTopic",
                    target: arn.clone(),
                    message: format!(
                        "NotFound: the topic that an sns event names ({arn}) does not exist"
                    ),
                });
            }
            let mut live = Live::default();
            for s in listing {
                let endpoint = s.endpoint().unwrap_or_default();
                let ours = (s.protocol() == Some("lambda"))
                    .then(|| functions.get(endpoint))
                    .flatten();
                let sub_arn = s.subscription_arn().unwrap_or_default().to_string();
                let Some((function, physical)) = ours else {
                    live.state.kept.push(Kept {
                        address: listed.kept_at.clone(),
                        name: sub_arn,
                        reason: format!(
                            "a subscription slsr did not make ({} {endpoint}); slsr leaves it",
                            s.protocol().unwrap_or_default()
                        ),
                    });
                    continue;
                };
                r.calls.count("SNS.GetSubscriptionAttributes");
                let attributes = match r
                    .sns
                    .get_subscription_attributes()
                    .subscription_arn(&sub_arn)
                    .send()
                    .await
                {
                    Ok(out) => out.attributes.unwrap_or_default(),
                    // Unsubscribed since it was listed.
                    Err(e) if gone(&e) => continue,
                    Err(e) => return Err(AwsError::new("GetSubscriptionAttributes", sub_arn, e)),
                };
                let key = subscription::key(function, &listed.key);
                let name = format!("{physical} on {arn}");
                live.add(vec![subscription::live(&key, &name, &attributes)], vec![]);
            }
            Ok::<_, AwsError>(live)
        });
    }
    let mut live = Live::default();
    while let Some(joined) = tasks.join_next().await {
        live.merge(joined.expect("a read task does not panic")?);
    }
    Ok(live)
}

/// Whether SNS says the topic or subscription does not exist (its code is `NotFound`).
pub fn gone(e: &impl aws_sdk_sns::error::ProvideErrorMetadata) -> bool {
    e.code() == Some("NotFound") || crate::apply::already_gone(e)
}
