//! slsr's entries in a bucket's notification document: one resource per bucket that the
//! spec's `s3` events name (`bucket_notification.uploads` for a declared bucket,
//! `bucket_notification["arn:aws:s3:::theirs"]` for an existing one), holding one entry per
//! event, each a Lambda configuration with the Id `slsr-{function}-{8 hex of what it is}`.
//! Each event's function gets a statement letting S3 invoke it from that bucket (SourceArn
//! and SourceAccount), which the entry needs first: S3 refuses a destination it cannot
//! invoke.
//!
//! The document is shared, and S3 only ever replaces it whole. slsr's entries are those
//! whose Id starts `slsr-{service}-{stage}-`; every other entry (queues, topics, others'
//! functions, other stages') and the EventBridge setting are kept exactly as they are, and
//! the plan lists them as kept. The live resource holds the whole document as it was read
//! (`document`, in a normal form); the desired side cannot know it, so it is "known after
//! apply" there and never a change by itself. Just before writing, apply reads the
//! document again and refuses, writing nothing, when it is not the one the plan was made
//! from: S3 has no conditional write, so this is how another writer's work is not lost.

use std::collections::{BTreeMap, BTreeSet};

use aws_sdk_s3::types::{
    Event as S3EventName, FilterRule, FilterRuleName, LambdaFunctionConfiguration,
    NotificationConfiguration, NotificationConfigurationFilter, S3KeyFilter,
};
use serde_json::{Value, json};

use super::{Index, KindInfo, Tags, attr, attr_list, attr_opt, attr_str};
use crate::apply::{Applier, Step};
use crate::aws::AwsError;
use crate::engine::desired::{Builder, canonical_json, short_hash};
use crate::engine::model::{KNOWN_AFTER_APPLY, Kept, Resource, State, address};
use crate::engine::plan::Action;
use crate::spec::data_rules::{foreign_bucket, s3_event_name};
use crate::spec::model::Event;

pub static INFO: KindInfo = KindInfo {
    prefix: "bucket_notification",
    naming: "entries with an Id starting `slsr-{service}-{stage}-` in the bucket's notification document",
    tags: Tags::Untagged,
    replaced_by: &[],
    holds_data: false,
    desired,
    needs,
    serial_with: super::not_serial,
    public: super::never_public,
    identity: &[BUCKET_ARN],
    about: super::nothing_to_add,
    write: super::writer!(apply),
};

pub const BUCKET_ARN: &str = "bucket_arn";
/// The whole document as the plan read it (live side only; see the module's comment).
pub const DOCUMENT: &str = "document";
/// An entry's fields: `{Id}.function` (the function's ARN), `{Id}.events` (S3's names,
/// sorted), `{Id}.prefix` and `{Id}.suffix` (null when none).
pub const FUNCTION: &str = "function";
pub const EVENTS: &str = "events";
pub const PREFIX: &str = "prefix";
pub const SUFFIX: &str = "suffix";

/// The principal and the identity of the statement that lets S3 invoke a function from
/// the bucket an event names (`uploads`, or `arn:aws:s3:::theirs`): one per function and
/// bucket, whatever the number of events.
const S3_PRINCIPAL: &str = "s3.amazonaws.com";

fn permission_identity(bucket: &str) -> String {
    format!("s3\0{bucket}")
}

fn entry_attr(id: &str, field: &str) -> String {
    format!("{id}.{field}")
}

/// The entries of a resource: Id to function ARN.
fn entries(r: &Resource) -> BTreeMap<String, String> {
    r.attrs
        .iter()
        .filter_map(|(path, value)| {
            let id = path.strip_suffix(&format!(".{FUNCTION}"))?;
            Some((id.to_string(), value.as_str()?.to_string()))
        })
        .collect()
}

fn desired(b: &Builder, state: &mut State) {
    let mut by_bucket: BTreeMap<String, Resource> = BTreeMap::new();
    for (function, f) in &b.p.functions {
        for event in f.events.iter().flatten() {
            let Event::S3(s3) = event else { continue };
            let (name, arn) = match foreign_bucket(&s3.bucket) {
                Some(name) => (name.to_string(), s3.bucket.clone()),
                None => (b.bucket_physical(&s3.bucket), b.bucket_arn(&s3.bucket)),
            };
            let events: BTreeSet<&str> =
                s3.events.iter().filter_map(|e| s3_event_name(e)).collect();
            let prefix = s3.prefix.clone().filter(|p| !p.is_empty());
            let suffix = s3.suffix.clone().filter(|s| !s.is_empty());
            let what = json!({"events": events, "prefix": prefix, "suffix": suffix});
            let id = format!(
                "slsr-{}-{}",
                b.p.physical_name(function),
                short_hash(&format!(
                    "{function}\0{}\0{}",
                    s3.bucket,
                    canonical_json(&what)
                ))
            );
            let r = by_bucket.entry(s3.bucket.clone()).or_insert_with(|| {
                Resource::new(super::Kind::BucketNotification, s3.bucket.clone(), name)
                    .with(BUCKET_ARN, arn.clone())
                    .with(DOCUMENT, KNOWN_AFTER_APPLY)
            });
            r.attrs.insert(
                entry_attr(&id, FUNCTION),
                Value::from(b.function_arn(function)),
            );
            r.attrs.insert(entry_attr(&id, EVENTS), json!(events));
            r.attrs.insert(entry_attr(&id, PREFIX), json!(prefix));
            r.attrs.insert(entry_attr(&id, SUFFIX), json!(suffix));
            state.insert(super::permission::resource(
                b,
                function,
                &permission_identity(&s3.bucket),
                json!({"principal": S3_PRINCIPAL, "source_arn": arn, "source_account": b.t.account()}),
            ));
        }
    }
    for r in by_bucket.into_values() {
        state.insert(r);
    }
}

/// A document needs its bucket, and each entry its function and the statement that lets S3
/// invoke it (S3 refuses to write an entry it cannot invoke).
fn needs(r: &Resource, index: &Index) -> Vec<String> {
    let mut needs: BTreeSet<String> = index.arn(&attr_str(r, BUCKET_ARN)).into_iter().collect();
    for function_arn in entries(r).values() {
        let Some(function) = index.arn(function_arn) else {
            continue;
        };
        if let Some(key) = function.strip_prefix("function.") {
            let sid = super::permission::sid(key, &permission_identity(&r.key));
            needs.extend(index.named(super::Kind::Permission, &sid));
        }
        needs.insert(function);
    }
    needs.into_iter().collect()
}

/// A notification document as GetBucketNotificationConfiguration answered it.
pub fn configuration(
    out: &aws_sdk_s3::operation::get_bucket_notification_configuration::GetBucketNotificationConfigurationOutput,
) -> NotificationConfiguration {
    NotificationConfiguration::builder()
        .set_topic_configurations(out.topic_configurations.clone())
        .set_queue_configurations(out.queue_configurations.clone())
        .set_lambda_function_configurations(out.lambda_function_configurations.clone())
        .set_event_bridge_configuration(out.event_bridge_configuration.clone())
        .build()
}

/// An entry's key filter as (name, value) pairs, names in lower case (S3 writes `prefix` and
/// reads back `Prefix`).
fn filter_rules(filter: Option<&NotificationConfigurationFilter>) -> Vec<(String, String)> {
    let mut rules: Vec<(String, String)> = filter
        .and_then(|f| f.key())
        .map(|k| k.filter_rules())
        .unwrap_or_default()
        .iter()
        .map(|r| {
            (
                r.name().map_or("", |n| n.as_str()).to_lowercase(),
                r.value().unwrap_or_default().to_string(),
            )
        })
        .collect();
    rules.sort();
    rules
}

fn entry_value(
    id: Option<&str>,
    arn: &str,
    events: &[S3EventName],
    filter: Option<&NotificationConfigurationFilter>,
) -> Value {
    let mut names: Vec<&str> = events.iter().map(|e| e.as_str()).collect();
    names.sort();
    json!({"id": id, "arn": arn, "events": names, "filter": filter_rules(filter)})
}

/// A document in a normal form: each kind's entries sorted, each entry's events and filter
/// rules sorted, so that two reads of one document compare equal whatever S3's order.
pub fn document(config: &NotificationConfiguration) -> Value {
    let sorted = |mut items: Vec<Value>| {
        items.sort_by_key(canonical_json);
        Value::from(items)
    };
    json!({
        "lambda": sorted(config.lambda_function_configurations().iter().map(|c| entry_value(c.id(), c.lambda_function_arn(), c.events(), c.filter())).collect()),
        "queue": sorted(config.queue_configurations().iter().map(|c| entry_value(c.id(), c.queue_arn(), c.events(), c.filter())).collect()),
        "topic": sorted(config.topic_configurations().iter().map(|c| entry_value(c.id(), c.topic_arn(), c.events(), c.filter())).collect()),
        "eventbridge": config.event_bridge_configuration().is_some(),
    })
}

/// Whether an entry Id is this service and stage's (`prefix` is `{service}-{stage}-`).
fn ours(id: Option<&str>, prefix: &str) -> bool {
    id.is_some_and(|id| id.starts_with(&format!("slsr-{prefix}")))
}

/// The live resource of a document (when the spec wants notifications on the bucket, or
/// the document holds entries of slsr's to remove), and the others' entries, kept.
pub fn live(
    key: &str,
    bucket: &str,
    config: &NotificationConfiguration,
    prefix: &str,
    wanted: bool,
) -> (Option<Resource>, Vec<Kept>) {
    let at = address(super::Kind::BucketNotification, key);
    let mut r = Resource::new(super::Kind::BucketNotification, key, bucket)
        .with(BUCKET_ARN, format!("arn:aws:s3:::{bucket}"))
        .with(DOCUMENT, document(config));
    let mut kept = Vec::new();
    let keep = |kind: &str, id: Option<&str>, arn: &str, events: &[S3EventName], filter| {
        let mut what: Vec<String> = vec![format!("to {arn}")];
        what.push(
            events
                .iter()
                .map(|e| e.as_str())
                .collect::<Vec<_>>()
                .join(" "),
        );
        what.extend(
            filter_rules(filter)
                .into_iter()
                .map(|(n, v)| format!("{n} {v}")),
        );
        let slsr = if id.is_some_and(|id| id.starts_with("slsr-")) {
            "another slsr service or stage's"
        } else {
            "a"
        };
        Kept {
            address: at.clone(),
            name: format!("{bucket} {}", id.unwrap_or("(no id)")),
            reason: format!(
                "{slsr} {kind} notification slsr did not add ({}); slsr keeps it exactly as it is",
                what.join(", ")
            ),
        }
    };
    for c in config.lambda_function_configurations() {
        if !ours(c.id(), prefix) {
            kept.push(keep(
                "Lambda",
                c.id(),
                c.lambda_function_arn(),
                c.events(),
                c.filter(),
            ));
            continue;
        }
        let id = c.id().unwrap_or_default();
        let mut events: Vec<&str> = c.events().iter().map(|e| e.as_str()).collect();
        events.sort();
        let rules = filter_rules(c.filter());
        let rule = |name: &str| {
            rules
                .iter()
                .find(|(n, _)| n == name)
                .map_or(Value::Null, |(_, v)| Value::from(v.as_str()))
        };
        r = r
            .with(&entry_attr(id, FUNCTION), c.lambda_function_arn())
            .with(&entry_attr(id, EVENTS), json!(events))
            .with(&entry_attr(id, PREFIX), rule("prefix"))
            .with(&entry_attr(id, SUFFIX), rule("suffix"));
    }
    for c in config.queue_configurations() {
        kept.push(keep("queue", c.id(), c.queue_arn(), c.events(), c.filter()));
    }
    for c in config.topic_configurations() {
        kept.push(keep("topic", c.id(), c.topic_arn(), c.events(), c.filter()));
    }
    if config.event_bridge_configuration().is_some() {
        kept.push(Kept {
            address: at.clone(),
            name: format!("{bucket} EventBridge"),
            reason: "the bucket sends its events to EventBridge, a setting slsr did not make; slsr keeps it as it is".into(),
        });
    }
    let has_ours = !entries(&r).is_empty();
    if !wanted && !has_ours {
        return (None, vec![]);
    }
    (Some(r), kept)
}

/// slsr's entries of a resource as S3's configurations.
fn lambda_configurations(r: &Resource) -> Result<Vec<LambdaFunctionConfiguration>, AwsError> {
    let mut out = Vec::new();
    for (id, arn) in entries(r) {
        let events = attr_list(r, &entry_attr(&id, EVENTS))
            .iter()
            .map(|e| S3EventName::from(e.as_str()))
            .collect();
        let mut rules = Vec::new();
        for (field, name) in [
            (PREFIX, FilterRuleName::Prefix),
            (SUFFIX, FilterRuleName::Suffix),
        ] {
            if let Some(value) = attr_opt(r, &entry_attr(&id, field)) {
                rules.push(FilterRule::builder().name(name).value(value).build());
            }
        }
        let filter = (!rules.is_empty()).then(|| {
            NotificationConfigurationFilter::builder()
                .key(S3KeyFilter::builder().set_filter_rules(Some(rules)).build())
                .build()
        });
        let config = LambdaFunctionConfiguration::builder()
            .id(&id)
            .lambda_function_arn(arn)
            .set_events(Some(events))
            .set_filter(filter)
            .build()
            .map_err(|e| AwsError {
                operation: "PutBucketNotificationConfiguration",
                target: format!("{} {id}", r.name),
                message: e.to_string(),
            })?;
        out.push(config);
    }
    Ok(out)
}

/// Reads the document again, refuses if it is not the one the plan read, and writes it
/// back with slsr's entries as the step wants them and everything else as it was.
async fn apply(a: &Applier, step: &Step) -> Result<(), AwsError> {
    let r = step.resource();
    let bucket = r.name.as_str();
    let out =
        a.s3.get_bucket_notification_configuration()
            .bucket(bucket)
            .send()
            .await
            .map_err(|e| AwsError::new("GetBucketNotificationConfiguration", bucket, e))?;
    let now = configuration(&out);
    // A document the plan did not read is an empty one: the bucket is new, or it replaces
    // one of another name (whose entries went with it).
    let planned = match step.live() {
        Some(l) if l.name == r.name => attr(l, DOCUMENT).clone(),
        _ => document(&NotificationConfiguration::builder().build()),
    };
    let found = document(&now);
    if found != planned && !a.dry {
        return Err(AwsError {
            operation: "PutBucketNotificationConfiguration",
            target: bucket.to_string(),
            message: format!(
                "the bucket's notification document changed since the plan ({}); slsr wrote nothing, so that the other writer's change stands: plan again",
                what_changed(&planned, &found)
            ),
        });
    }
    // The entries the plan read as slsr's make way for the ones it wants (none, for a
    // removal); every other entry goes back as S3 answered it.
    let mut replaced: BTreeSet<String> = step
        .live()
        .map(entries)
        .unwrap_or_default()
        .into_keys()
        .collect();
    let wanted = match step.action {
        Action::Delete => Vec::new(),
        _ => lambda_configurations(r)?,
    };
    replaced.extend(wanted.iter().filter_map(|c| c.id().map(str::to_string)));
    let mut lambda: Vec<LambdaFunctionConfiguration> = now
        .lambda_function_configurations()
        .iter()
        .filter(|c| !c.id().is_some_and(|id| replaced.contains(id)))
        .cloned()
        .collect();
    lambda.extend(wanted);
    let document = NotificationConfiguration::builder()
        .set_topic_configurations(now.topic_configurations.clone())
        .set_queue_configurations(now.queue_configurations.clone())
        .set_lambda_function_configurations(Some(lambda))
        .set_event_bridge_configuration(now.event_bridge_configuration.clone())
        .build();
    a.s3.put_bucket_notification_configuration()
        .bucket(bucket)
        .notification_configuration(document)
        .send()
        .await
        .map_err(|e| AwsError::new("PutBucketNotificationConfiguration", bucket, e))?;
    Ok(())
}

/// The entries (by kind and Id) and settings that differ between two documents, in words.
fn what_changed(planned: &Value, found: &Value) -> String {
    let ids = |doc: &Value| -> BTreeSet<String> {
        ["lambda", "queue", "topic"]
            .iter()
            .flat_map(|kind| {
                doc[*kind]
                    .as_array()
                    .cloned()
                    .unwrap_or_default()
                    .into_iter()
                    .map(move |e| format!("{kind} {}", canonical_json(&e)))
            })
            .collect()
    };
    let (before, after) = (ids(planned), ids(found));
    let id_of = |entry: &String| {
        let (kind, json) = entry.split_once(' ').unwrap_or((entry, ""));
        let id = serde_json::from_str::<Value>(json)
            .ok()
            .and_then(|v| v["id"].as_str().map(str::to_string))
            .unwrap_or_else(|| "(no id)".into());
        format!("{kind} {id}")
    };
    let mut parts = Vec::new();
    let added: Vec<String> = after.difference(&before).map(id_of).collect();
    let removed: Vec<String> = before.difference(&after).map(id_of).collect();
    if !added.is_empty() {
        parts.push(format!("now there: {}", added.join(", ")));
    }
    if !removed.is_empty() {
        parts.push(format!("gone or changed: {}", removed.join(", ")));
    }
    if planned["eventbridge"] != found["eventbridge"] {
        parts.push("the EventBridge setting".into());
    }
    if parts.is_empty() {
        parts.push("its entries".into());
    }
    parts.join("; ")
}

#[cfg(test)]
mod tests {
    use aws_sdk_s3::types::{EventBridgeConfiguration, QueueConfiguration};

    use super::*;

    fn lambda(id: &str, prefix: &str, rule_name: &str) -> LambdaFunctionConfiguration {
        LambdaFunctionConfiguration::builder()
            .id(id)
            .lambda_function_arn(format!("arn:aws:lambda:us-east-1:1:function:{id}"))
            .events(S3EventName::from("s3:ObjectRemoved:*"))
            .events(S3EventName::from("s3:ObjectCreated:*"))
            .filter(
                NotificationConfigurationFilter::builder()
                    .key(
                        S3KeyFilter::builder()
                            .filter_rules(
                                FilterRule::builder()
                                    .name(FilterRuleName::from(rule_name))
                                    .value(prefix)
                                    .build(),
                            )
                            .build(),
                    )
                    .build(),
            )
            .build()
            .unwrap()
    }

    fn shared(lambdas: Vec<LambdaFunctionConfiguration>) -> NotificationConfiguration {
        NotificationConfiguration::builder()
            .set_lambda_function_configurations(Some(lambdas))
            .queue_configurations(
                QueueConfiguration::builder()
                    .id("their-queue")
                    .queue_arn("arn:aws:sqs:us-east-1:1:q")
                    .events(S3EventName::from("s3:ObjectCreated:Put"))
                    .build()
                    .unwrap(),
            )
            .event_bridge_configuration(EventBridgeConfiguration::builder().build())
            .build()
    }

    #[test]
    fn entries_of_this_stage_are_slsrs_and_every_other_part_is_kept() {
        let config = shared(vec![
            lambda("slsr-shop-dev-thumbs-1a2b3c4d", "in/", "prefix"),
            lambda("slsr-shop-prod-thumbs-1a2b3c4d", "in/", "prefix"),
            lambda("their-function", "x/", "prefix"),
        ]);
        let (r, kept) = live("uploads", "b", &config, "shop-dev-", true);
        let r = r.unwrap();
        assert_eq!(
            entries(&r).into_keys().collect::<Vec<_>>(),
            ["slsr-shop-dev-thumbs-1a2b3c4d"]
        );
        assert_eq!(
            r.attrs["slsr-shop-dev-thumbs-1a2b3c4d.events"],
            json!(["s3:ObjectCreated:*", "s3:ObjectRemoved:*"])
        );
        assert_eq!(r.attrs["slsr-shop-dev-thumbs-1a2b3c4d.prefix"], "in/");
        assert_eq!(r.attrs["slsr-shop-dev-thumbs-1a2b3c4d.suffix"], Value::Null);
        let names: Vec<&str> = kept.iter().map(|k| k.name.as_str()).collect();
        assert_eq!(
            names,
            [
                "b slsr-shop-prod-thumbs-1a2b3c4d",
                "b their-function",
                "b their-queue",
                "b EventBridge"
            ]
        );
        assert!(
            kept[0]
                .reason
                .starts_with("another slsr service or stage's Lambda")
        );
        assert!(
            kept.iter()
                .all(|k| k.address == "bucket_notification.uploads")
        );

        // A document of others only, on a bucket the spec no longer names: nothing to do.
        let (r, kept) = live("uploads", "b", &config, "shop-test-", false);
        assert!(r.is_none() && kept.is_empty());
    }

    #[test]
    fn a_document_reads_the_same_whatever_s3s_order_and_case() {
        let one = shared(vec![
            lambda("a", "in/", "prefix"),
            lambda("b", "out/", "prefix"),
        ]);
        let other = shared(vec![
            lambda("b", "out/", "Prefix"),
            lambda("a", "in/", "Prefix"),
        ]);
        assert_eq!(document(&one), document(&other));
        let changed = shared(vec![lambda("a", "in/", "prefix")]);
        assert_ne!(document(&one), document(&changed));
        assert_eq!(
            what_changed(&document(&changed), &document(&one)),
            "now there: lambda b"
        );
    }
}
