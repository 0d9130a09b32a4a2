//! DynamoDB tables: `{service}-{stage}-{name}` or the exact `name` a table declares, with
//! its key, billing, TTL, stream, global secondary indexes, point-in-time recovery,
//! deletion protection and tags. Read with ListTables, DescribeTable, ListTagsOfResource,
//! DescribeTimeToLive and DescribeContinuousBackups (`aws/read/dynamodb.rs`).
//!
//! A table holds data: a change of its key or name replaces it, which the engine allows
//! only with `--allow-data-loss`. Everything else changes in place, one thing per
//! UpdateTable as DynamoDB requires (one index created or deleted at a time), waiting for
//! the table and its indexes to be ACTIVE between calls.

use std::collections::{BTreeMap, HashMap};
use std::time::Duration;

use aws_sdk_dynamodb::error::ProvideErrorMetadata as _;
use aws_sdk_dynamodb::types::{
    AttributeDefinition, BillingMode, ContinuousBackupsDescription,
    CreateGlobalSecondaryIndexAction, DeleteGlobalSecondaryIndexAction, GlobalSecondaryIndex,
    GlobalSecondaryIndexUpdate, KeySchemaElement, KeyType, PointInTimeRecoverySpecification,
    Projection, ProjectionType, ProvisionedThroughput, ScalarAttributeType, StreamSpecification,
    StreamViewType, TableDescription, TableStatus, Tag, TimeToLiveDescription,
    TimeToLiveSpecification, UpdateGlobalSecondaryIndexAction,
};
use aws_smithy_types::error::operation::BuildError;
use serde_json::{Value, json};

use super::{KindInfo, TAGS, Tags, attr, attr_bool, attr_map, attr_opt, attr_str};
use crate::apply::{Applier, Settle, Step, tag_by_arn, tag_changes};
use crate::aws::AwsError;
use crate::aws::read::Calls;
use crate::engine::desired::Builder;
use crate::engine::model::{Resource, State};
use crate::engine::plan::Action;
use crate::spec::model::{AttributeType, Billing, Projection as SpecProjection, ProjectionKind};
use crate::spec::model::{StreamView, Table};

pub static INFO: KindInfo = KindInfo {
    prefix: "table",
    naming: "{service}-{stage}-{name}, or the `name` the table declares",
    tags: Tags::Compared,
    // A table's name (in its ARN) and its key cannot change: another table replaces it.
    replaced_by: &[ARN, PARTITION_KEY, SORT_KEY],
    holds_data: true,
    desired,
    needs: super::needs_nothing,
    serial_with: super::not_serial,
    public: super::never_public,
    identity: &[ARN],
    about: super::nothing_to_add,
    write: super::writer!(apply),
};

pub const ARN: &str = "arn";
/// The partition key: `pk (string)`.
pub const PARTITION_KEY: &str = "key.partition";
/// The sort key, `sk (number)`, or null.
pub const SORT_KEY: &str = "key.sort";
/// `on_demand` or `{"read": R, "write": W}`.
pub const BILLING: &str = "billing";
/// The TTL attribute's name, or null when TTL is off.
pub const TTL: &str = "ttl";
/// The stream's view type in the spec's words (`new_and_old_images`), or null.
pub const STREAM: &str = "stream";
/// `index.NAME`: a global secondary index, `{"partition", "sort", "projection"}`.
pub const INDEX: &str = "index";
pub const POINT_IN_TIME_RECOVERY: &str = "point_in_time_recovery";
pub const DELETION_PROTECTION: &str = "deletion_protection";

/// Billing when the spec says none: on-demand (AWS's default is provisioned, which needs
/// capacity numbers the spec did not give).
pub const ON_DEMAND: &str = "on_demand";
/// slsr's defaults for a table that holds data (AWS's are both off).
pub const DEFAULT_POINT_IN_TIME_RECOVERY: bool = true;
pub const DEFAULT_DELETION_PROTECTION: bool = true;
/// What an index holds when the spec does not say: every attribute, as in the console.
const DEFAULT_PROJECTION: &str = "all";

/// How long a table or index change may take to settle: an index's backfill on a large
/// table takes a long time.
const SETTLE_TIMEOUT: Duration = Duration::from_secs(3600);

/// A stream view type as DynamoDB spells it.
pub fn stream_view_name(view: StreamView) -> &'static str {
    match view {
        StreamView::KeysOnly => "KEYS_ONLY",
        StreamView::NewImage => "NEW_IMAGE",
        StreamView::OldImage => "OLD_IMAGE",
        StreamView::NewAndOldImages => "NEW_AND_OLD_IMAGES",
    }
}

/// A stream view type in the spec's words, from DynamoDB's.
fn stream_word(view: &str) -> Option<&'static str> {
    Some(match view {
        "KEYS_ONLY" => "keys_only",
        "NEW_IMAGE" => "new_image",
        "OLD_IMAGE" => "old_image",
        "NEW_AND_OLD_IMAGES" => "new_and_old_images",
        _ => return None,
    })
}

/// DynamoDB's view type for the spec's word.
fn stream_view_type(word: &str) -> StreamViewType {
    StreamViewType::from(word.to_ascii_uppercase().as_str())
}

fn type_word(t: AttributeType) -> &'static str {
    match t {
        AttributeType::String => "string",
        AttributeType::Number => "number",
        AttributeType::Binary => "binary",
    }
}

/// The spec's word for a key attribute type, from DynamoDB's `S`, `N` or `B`.
fn type_word_of(t: &ScalarAttributeType) -> &'static str {
    match t.as_str() {
        "N" => "number",
        "B" => "binary",
        _ => "string",
    }
}

fn scalar_type(word: &str) -> ScalarAttributeType {
    match word {
        "number" => ScalarAttributeType::N,
        "binary" => ScalarAttributeType::B,
        _ => ScalarAttributeType::S,
    }
}

/// A key attribute as the plan shows it: `pk (string)`.
fn key_text(name: &str, type_word: &str) -> String {
    format!("{name} ({type_word})")
}

/// `pk (string)` back to its name and type word. Attribute names may hold spaces and
/// parentheses; the type, last, holds neither.
fn parse_key(text: &str) -> Option<(&str, &str)> {
    let (name, rest) = text.rsplit_once(" (")?;
    Some((name, rest.strip_suffix(')')?))
}

fn desired(b: &Builder, state: &mut State) {
    for (name, t) in &b.p.tables {
        state.insert(desired_table(b, name, t));
    }
}

fn desired_table(b: &Builder, name: &str, t: &Table) -> Resource {
    let typed = |attribute: &str| {
        key_text(
            attribute,
            t.attributes
                .get(attribute)
                .copied()
                .map_or("string", type_word),
        )
    };
    let billing = match t.billing {
        Some(Billing::Provisioned(p)) => json!({"read": p.read, "write": p.write}),
        Some(Billing::Mode(_)) | None => Value::from(ON_DEMAND),
    };
    let tags = b.tags_with(&t.tags);
    let mut r = Resource::new(super::Kind::Table, name, b.table_physical(name))
        .with(ARN, b.table_arn(name))
        .with(PARTITION_KEY, typed(&t.key.partition))
        .with(
            SORT_KEY,
            t.key
                .sort
                .as_deref()
                .map_or(Value::Null, |s| typed(s).into()),
        )
        .with(BILLING, billing)
        .with(TTL, t.ttl.clone().map_or(Value::Null, Value::from))
        .with(
            STREAM,
            t.stream.map_or(Value::Null, |v| {
                stream_word(stream_view_name(v)).map_or(Value::Null, Value::from)
            }),
        )
        .with(
            POINT_IN_TIME_RECOVERY,
            t.point_in_time_recovery
                .unwrap_or(DEFAULT_POINT_IN_TIME_RECOVERY),
        )
        .with(
            DELETION_PROTECTION,
            t.deletion_protection.unwrap_or(DEFAULT_DELETION_PROTECTION),
        )
        .with_map(TAGS, &tags);
    for (index, i) in &t.indexes {
        let projection = match &i.projection {
            None | Some(SpecProjection::Kind(ProjectionKind::All)) => {
                Value::from(DEFAULT_PROJECTION)
            }
            Some(SpecProjection::Kind(ProjectionKind::KeysOnly)) => Value::from("keys_only"),
            Some(SpecProjection::Include(attributes)) => Value::from(sorted(attributes.clone())),
        };
        let value = index_value(
            &typed(&i.partition),
            i.sort.as_deref().map(typed).as_deref(),
            projection,
        );
        r = r.with(&format!("{INDEX}.{index}"), value);
    }
    r
}

fn sorted(mut items: Vec<String>) -> Vec<String> {
    items.sort();
    items.dedup();
    items
}

/// An index as the plan shows it; `sort` is left out when the index has none.
fn index_value(partition: &str, sort: Option<&str>, projection: Value) -> Value {
    let mut v = json!({"partition": partition, "projection": projection});
    if let Some(sort) = sort {
        v["sort"] = Value::from(sort);
    }
    v
}

/// A table as DescribeTable, DescribeTimeToLive, DescribeContinuousBackups and
/// ListTagsOfResource have it, with AWS's defaults for what they leave out.
pub fn live(
    key: &str,
    t: &TableDescription,
    ttl: Option<&TimeToLiveDescription>,
    backups: Option<&ContinuousBackupsDescription>,
    tags: &HashMap<String, String>,
) -> Resource {
    let stream = t
        .stream_specification()
        .filter(|s| s.stream_enabled())
        .and_then(|s| s.stream_view_type())
        .and_then(|v| stream_word(v.as_str()))
        .map_or(Value::Null, Value::from);
    // ENABLING counts as on, DISABLING as off: where each is going.
    let ttl = ttl
        .filter(|d| {
            d.time_to_live_status()
                .is_some_and(|s| matches!(s.as_str(), "ENABLED" | "ENABLING"))
        })
        .and_then(|d| d.attribute_name())
        .map_or(Value::Null, Value::from);
    let pitr = backups
        .and_then(|b| b.point_in_time_recovery_description())
        .and_then(|p| p.point_in_time_recovery_status())
        .is_some_and(|s| s.as_str() == "ENABLED");
    let key_of = |kind: KeyType| key_of(t, t.key_schema(), kind).map_or(Value::Null, Value::from);
    let mut r = Resource::new(super::Kind::Table, key, t.table_name().unwrap_or_default())
        .with(ARN, t.table_arn().unwrap_or_default())
        .with(PARTITION_KEY, key_of(KeyType::Hash))
        .with(SORT_KEY, key_of(KeyType::Range))
        .with(BILLING, billing_of(t))
        .with(TTL, ttl)
        .with(STREAM, stream)
        .with(POINT_IN_TIME_RECOVERY, pitr)
        .with(
            DELETION_PROTECTION,
            t.deletion_protection_enabled().unwrap_or(false),
        );
    for (index, value) in live_indexes(t) {
        r = r.with(&format!("{INDEX}.{index}"), value);
    }
    r = r.with_map(TAGS, tags);
    r
}

/// A key of `schema` as the plan shows it, typed from the table's attribute definitions.
fn key_of(t: &TableDescription, schema: &[KeySchemaElement], kind: KeyType) -> Option<String> {
    let k = schema.iter().find(|k| *k.key_type() == kind)?;
    let type_word = t
        .attribute_definitions()
        .iter()
        .find(|d| d.attribute_name() == k.attribute_name())
        .map_or("string", |d| type_word_of(d.attribute_type()));
    Some(key_text(k.attribute_name(), type_word))
}

/// A live table's global secondary indexes, by name, as the plan has them.
fn live_indexes(t: &TableDescription) -> BTreeMap<String, Value> {
    t.global_secondary_indexes()
        .iter()
        .map(|index| {
            let schema = index.key_schema();
            let projection = index.projection();
            let projection = match projection
                .and_then(|p| p.projection_type())
                .map(|t| t.as_str())
            {
                Some("KEYS_ONLY") => Value::from("keys_only"),
                Some("INCLUDE") => Value::from(sorted(
                    projection
                        .map(|p| p.non_key_attributes().to_vec())
                        .unwrap_or_default(),
                )),
                _ => Value::from(DEFAULT_PROJECTION),
            };
            let value = index_value(
                &key_of(t, schema, KeyType::Hash).unwrap_or_default(),
                key_of(t, schema, KeyType::Range).as_deref(),
                projection,
            );
            (index.index_name().unwrap_or_default().to_string(), value)
        })
        .collect()
}

/// The stream of a live table, when it has one enabled: its view type as DynamoDB spells
/// it and its ARN (`Live::table_streams`).
pub fn live_stream(t: &TableDescription) -> Option<(String, String)> {
    let view = t
        .stream_specification()
        .filter(|s| s.stream_enabled())?
        .stream_view_type()?;
    Some((
        view.as_str().to_string(),
        t.latest_stream_arn()?.to_string(),
    ))
}

/// A table's tags, every page of them.
pub async fn tags_of(
    db: &aws_sdk_dynamodb::Client,
    calls: &Calls,
    arn: &str,
) -> Result<HashMap<String, String>, AwsError> {
    let tags = crate::aws::pages::follow(
        calls,
        "DynamoDB.ListTagsOfResource",
        arn,
        |token| async move {
            let out = db
                .list_tags_of_resource()
                .resource_arn(arn)
                .set_next_token(token)
                .send()
                .await
                .map_err(|e| AwsError::new("ListTagsOfResource", arn, e))?;
            let tags: Vec<(String, String)> = out
                .tags()
                .iter()
                .map(|t| (t.key().to_string(), t.value().to_string()))
                .collect();
            Ok((tags, out.next_token))
        },
    )
    .await?;
    Ok(tags.into_iter().collect())
}

// ---------------------------------------------------------------------------------------------
// The writer.

/// An index of the plan's resource: its name and value.
fn indexes(r: &Resource) -> BTreeMap<String, Value> {
    let prefix = format!("{INDEX}.");
    r.attrs
        .iter()
        .filter_map(|(k, v)| Some((k.strip_prefix(&prefix)?.to_string(), v.clone())))
        .collect()
}

/// The key attributes a key value names: `(name, type word)`.
fn key_parts(value: &Value) -> Option<(String, String)> {
    let (name, t) = parse_key(value.as_str()?)?;
    Some((name.to_string(), t.to_string()))
}

fn build<T>(built: Result<T, BuildError>, target: &str) -> Result<T, AwsError> {
    built.map_err(|e| AwsError {
        operation: "a DynamoDB request",
        target: target.to_string(),
        message: e.to_string(),
    })
}

fn key_schema(
    partition: &Value,
    sort: &Value,
    target: &str,
) -> Result<Vec<KeySchemaElement>, AwsError> {
    let mut schema = Vec::new();
    for (value, kind) in [(partition, KeyType::Hash), (sort, KeyType::Range)] {
        if let Some((name, _)) = key_parts(value) {
            schema.push(build(
                KeySchemaElement::builder()
                    .attribute_name(name)
                    .key_type(kind)
                    .build(),
                target,
            )?);
        }
    }
    Ok(schema)
}

/// The attribute definitions of the table's key and of `indexes`: DynamoDB wants exactly
/// the attributes some key uses.
fn attribute_definitions<'a>(
    r: &Resource,
    indexes: impl IntoIterator<Item = &'a Value>,
) -> Result<Vec<AttributeDefinition>, AwsError> {
    let mut types = BTreeMap::new();
    let mut add = |value: &Value| {
        if let Some((name, t)) = key_parts(value) {
            types.insert(name, t);
        }
    };
    add(attr(r, PARTITION_KEY));
    add(attr(r, SORT_KEY));
    for index in indexes {
        add(&index["partition"]);
        add(&index["sort"]);
    }
    types
        .into_iter()
        .map(|(name, t)| {
            build(
                AttributeDefinition::builder()
                    .attribute_name(name)
                    .attribute_type(scalar_type(&t))
                    .build(),
                &r.name,
            )
        })
        .collect()
}

/// The provisioned capacity of a `billing` value; `None` on demand.
fn throughput(billing: &Value, target: &str) -> Result<Option<ProvisionedThroughput>, AwsError> {
    let (Some(read), Some(write)) = (billing["read"].as_i64(), billing["write"].as_i64()) else {
        return Ok(None);
    };
    build(
        ProvisionedThroughput::builder()
            .read_capacity_units(read)
            .write_capacity_units(write)
            .build(),
        target,
    )
    .map(Some)
}

fn projection(value: &Value) -> Projection {
    match value {
        Value::Array(attributes) => Projection::builder()
            .projection_type(ProjectionType::Include)
            .set_non_key_attributes(Some(
                attributes
                    .iter()
                    .filter_map(|a| a.as_str().map(str::to_string))
                    .collect(),
            ))
            .build(),
        Value::String(s) if s == "keys_only" => Projection::builder()
            .projection_type(ProjectionType::KeysOnly)
            .build(),
        _ => Projection::builder()
            .projection_type(ProjectionType::All)
            .build(),
    }
}

async fn apply(a: &Applier, step: &Step) -> Result<(), AwsError> {
    match step.action {
        Action::Create => create(a, step).await,
        Action::Delete => delete(a, step).await,
        _ => update(a, step).await,
    }
}

async fn create(a: &Applier, step: &Step) -> Result<(), AwsError> {
    let r = step.resource();
    let name = r.name.as_str();
    let billing = attr(r, BILLING);
    let capacity = throughput(billing, name)?;
    let all = indexes(r);
    let mut gsis = Vec::new();
    for (index, value) in &all {
        gsis.push(build(
            GlobalSecondaryIndex::builder()
                .index_name(index)
                .set_key_schema(Some(key_schema(&value["partition"], &value["sort"], name)?))
                .projection(projection(&value["projection"]))
                .set_provisioned_throughput(capacity.clone())
                .build(),
            name,
        )?);
    }
    let stream = match attr_opt(r, STREAM) {
        Some(view) => Some(build(
            StreamSpecification::builder()
                .stream_enabled(true)
                .stream_view_type(stream_view_type(&view))
                .build(),
            name,
        )?),
        None => None,
    };
    let tags = attr_map(r, TAGS)
        .into_iter()
        .map(|(k, v)| build(Tag::builder().key(k).value(v).build(), name))
        .collect::<Result<Vec<_>, _>>()?;
    let created = a
        .dynamodb
        .create_table()
        .table_name(name)
        .set_key_schema(Some(key_schema(
            attr(r, PARTITION_KEY),
            attr(r, SORT_KEY),
            name,
        )?))
        .set_attribute_definitions(Some(attribute_definitions(r, all.values())?))
        .billing_mode(match capacity {
            Some(_) => BillingMode::Provisioned,
            None => BillingMode::PayPerRequest,
        })
        .set_provisioned_throughput(capacity.clone())
        .set_global_secondary_indexes((!gsis.is_empty()).then_some(gsis))
        .set_stream_specification(stream)
        .deletion_protection_enabled(attr_bool(r, DELETION_PROTECTION))
        .set_tags(Some(tags))
        .send()
        .await
        .or_exists("CreateTable", name)?;
    if created.is_none() {
        ensure_owned(a, r).await?;
    }
    let table = settled(a, name).await?;
    if let Some(ttl) = attr_opt(r, TTL) {
        set_ttl(a, name, &ttl, true).await?;
    }
    if attr_bool(r, POINT_IN_TIME_RECOVERY) {
        set_point_in_time_recovery(a, name, true).await?;
    }
    record_stream(a, r, table.as_ref());
    Ok(())
}

/// For `${table:NAME.stream_arn}` and the mappings on the stream, in what comes after.
fn record_stream(a: &Applier, r: &Resource, table: Option<&TableDescription>) {
    if let Some((_, arn)) = table.and_then(live_stream) {
        a.ids.set(&format!("table.{}.stream_arn", r.key), arn);
    }
}

/// After a create refused as "exists": the table must carry this service and stage's tags
/// (a lost answer's first attempt made it), not be someone else's made since the plan.
async fn ensure_owned(a: &Applier, r: &Resource) -> Result<(), AwsError> {
    let out = a
        .dynamodb
        .describe_table()
        .table_name(&r.name)
        .send()
        .await
        .map_err(|e| AwsError::new("DescribeTable", &r.name, e))?;
    let arn = out
        .table()
        .and_then(|t| t.table_arn())
        .unwrap_or_default()
        .to_string();
    let tags = tags_of(&a.dynamodb, &a.lookups, &arn).await?;
    crate::apply::ensure_ours("CreateTable", r, &tags)
}

async fn delete(a: &Applier, step: &Step) -> Result<(), AwsError> {
    let r = step.resource();
    let name = r.name.as_str();
    // The engine plans a table's deletion only when the user allowed it (data safety).
    if attr_bool(r, DELETION_PROTECTION) {
        settled(a, name).await?;
        update_table(
            a,
            name,
            "deletion protection off",
            a.dynamodb
                .update_table()
                .table_name(name)
                .deletion_protection_enabled(false),
            |t| t.deletion_protection_enabled() != Some(true),
        )
        .await?;
    }
    let started = std::time::Instant::now();
    loop {
        match a.dynamodb.delete_table().table_name(name).send().await {
            Ok(_) => break,
            Err(e) if crate::apply::already_gone(&e) => break,
            // A table being deleted (a lost answer's first attempt), or still settling.
            Err(e) if e.code() == Some("ResourceInUseException") => match status(a, name).await? {
                None | Some(TableStatus::Deleting) => break,
                Some(_) if started.elapsed() < SETTLE_TIMEOUT => {
                    settled(a, name).await?;
                }
                Some(_) => return Err(AwsError::new("DeleteTable", name, e)),
            },
            Err(e) => return Err(AwsError::new("DeleteTable", name, e)),
        }
    }
    // Until it is gone, the name is taken (a replacement makes it again) and the next plan
    // would read it still there.
    gone(a, name).await
}

/// The table's status, `None` once it is gone (or in a dry run, which describes nothing).
async fn status(a: &Applier, name: &str) -> Result<Option<TableStatus>, AwsError> {
    match a.dynamodb.describe_table().table_name(name).send().await {
        Ok(out) => Ok(out.table().and_then(|t| t.table_status()).cloned()),
        Err(e) if crate::apply::already_gone(&e) => Ok(None),
        Err(e) => Err(AwsError::new("DescribeTable", name, e)),
    }
}

async fn gone(a: &Applier, name: &str) -> Result<(), AwsError> {
    let started = std::time::Instant::now();
    let mut pause = Duration::from_millis(250);
    while let Some(status) = status(a, name).await? {
        if started.elapsed() > SETTLE_TIMEOUT {
            return Err(AwsError {
                operation: "DescribeTable",
                target: name.to_string(),
                message: format!("still {} after {SETTLE_TIMEOUT:?}", status.as_str()),
            });
        }
        tokio::time::sleep(pause).await;
        pause = (pause * 2).min(Duration::from_secs(10));
    }
    Ok(())
}

/// Waits until the table and every index are ACTIVE (an index being deleted is waited out
/// until it is gone): DynamoDB refuses the next change before. The last description, or
/// `None` in a dry run, whose answers describe no table.
async fn settled(a: &Applier, name: &str) -> Result<Option<TableDescription>, AwsError> {
    let started = std::time::Instant::now();
    let mut pause = Duration::from_millis(250);
    loop {
        let out = a
            .dynamodb
            .describe_table()
            .table_name(name)
            .send()
            .await
            .map_err(|e| AwsError::new("DescribeTable", name, e))?;
        let Some(table) = out.table else {
            return Ok(None);
        };
        let busy: Vec<String> = std::iter::once((
            "the table".to_string(),
            table.table_status().map(|s| s.as_str().to_string()),
        ))
        .chain(table.global_secondary_indexes().iter().map(|i| {
            (
                format!("index {}", i.index_name().unwrap_or_default()),
                i.index_status().map(|s| s.as_str().to_string()),
            )
        }))
        .filter(|(_, s)| s.as_deref().is_some_and(|s| s != "ACTIVE"))
        .map(|(what, s)| format!("{what} {}", s.unwrap_or_default()))
        .collect();
        if busy.is_empty() {
            return Ok(Some(table));
        }
        if started.elapsed() > SETTLE_TIMEOUT {
            return Err(AwsError {
                operation: "DescribeTable",
                target: name.to_string(),
                message: format!("{} after {SETTLE_TIMEOUT:?}", busy.join(", ")),
            });
        }
        tokio::time::sleep(pause).await;
        pause = (pause * 2).min(Duration::from_secs(10));
    }
}

/// One UpdateTable, then the wait for the table to settle. A refusal after an attempt
/// whose answer was lost (the index exists, the stream is on) is done when the table is
/// as asked (`reached`).
async fn update_table(
    a: &Applier,
    name: &str,
    what: &str,
    call: aws_sdk_dynamodb::operation::update_table::builders::UpdateTableFluentBuilder,
    reached: impl Fn(&TableDescription) -> bool,
) -> Result<Option<TableDescription>, AwsError> {
    if let Err(e) = call.send().await {
        let error = AwsError::new("UpdateTable", format!("{name}: {what}"), e);
        return match settled(a, name).await? {
            Some(t) if reached(&t) => Ok(Some(t)),
            _ => Err(error),
        };
    }
    settled(a, name).await
}

async fn update(a: &Applier, step: &Step) -> Result<(), AwsError> {
    let r = step.resource();
    let name = r.name.as_str();
    let live = step.live().expect("an update has a live resource");
    let (want, have) = (indexes(r), indexes(live));
    let dropped: Vec<&String> = have
        .keys()
        .filter(|i| want.get(*i) != have.get(*i))
        .collect();
    let added: Vec<&String> = want
        .keys()
        .filter(|i| have.get(*i) != want.get(*i))
        .collect();
    let touches_table = !dropped.is_empty()
        || !added.is_empty()
        || [BILLING, STREAM, DELETION_PROTECTION]
            .iter()
            .any(|a| step.changes(a));
    let mut table = None;
    if touches_table {
        table = settled(a, name).await?;
    }
    // Indexes out first (one changed is dropped and made again): what stays is what the
    // billing change must give capacity to.
    for index in &dropped {
        let delete = GlobalSecondaryIndexUpdate::builder()
            .delete(build(
                DeleteGlobalSecondaryIndexAction::builder()
                    .index_name(*index)
                    .build(),
                name,
            )?)
            .build();
        table = update_table(
            a,
            name,
            &format!("delete index {index}"),
            a.dynamodb
                .update_table()
                .table_name(name)
                .global_secondary_index_updates(delete),
            |t| !live_indexes(t).contains_key(index.as_str()),
        )
        .await?;
    }
    let billing = attr(r, BILLING);
    let capacity = throughput(billing, name)?;
    if step.changes(BILLING) {
        // Switching to provisioned, every index that stays needs its capacity too.
        let mut updates = Vec::new();
        if let Some(capacity) = &capacity {
            for index in have.keys().filter(|i| !dropped.contains(i)) {
                updates.push(
                    GlobalSecondaryIndexUpdate::builder()
                        .update(build(
                            UpdateGlobalSecondaryIndexAction::builder()
                                .index_name(index)
                                .provisioned_throughput(capacity.clone())
                                .build(),
                            name,
                        )?)
                        .build(),
                );
            }
        }
        let wanted = billing.clone();
        table = update_table(
            a,
            name,
            "billing",
            a.dynamodb
                .update_table()
                .table_name(name)
                .billing_mode(match capacity {
                    Some(_) => BillingMode::Provisioned,
                    None => BillingMode::PayPerRequest,
                })
                .set_provisioned_throughput(capacity.clone())
                .set_global_secondary_index_updates((!updates.is_empty()).then_some(updates)),
            move |t| billing_of(t) == wanted,
        )
        .await?;
    }
    // Indexes in, one per call, each with the attribute definitions of every key the
    // table has once it is made.
    let mut present: BTreeMap<&String, &Value> =
        have.iter().filter(|(i, _)| !dropped.contains(i)).collect();
    for index in &added {
        let Some(value) = want.get(*index) else {
            continue;
        };
        present.insert(index, value);
        let create = GlobalSecondaryIndexUpdate::builder()
            .create(build(
                CreateGlobalSecondaryIndexAction::builder()
                    .index_name(*index)
                    .set_key_schema(Some(key_schema(&value["partition"], &value["sort"], name)?))
                    .projection(projection(&value["projection"]))
                    .set_provisioned_throughput(capacity.clone())
                    .build(),
                name,
            )?)
            .build();
        table = update_table(
            a,
            name,
            &format!("create index {index}"),
            a.dynamodb
                .update_table()
                .table_name(name)
                .set_attribute_definitions(Some(attribute_definitions(
                    r,
                    present.values().copied(),
                )?))
                .global_secondary_index_updates(create),
            |t| live_indexes(t).get(index.as_str()) == Some(value),
        )
        .await?;
    }
    if step.changes(STREAM) {
        // DynamoDB cannot change a stream's view type: the stream goes off, and a new one
        // (with a new ARN) comes on.
        if attr_opt(live, STREAM).is_some() {
            table = update_table(
                a,
                name,
                "stream off",
                a.dynamodb
                    .update_table()
                    .table_name(name)
                    .stream_specification(build(
                        StreamSpecification::builder().stream_enabled(false).build(),
                        name,
                    )?),
                |t| live_stream(t).is_none(),
            )
            .await?;
        }
        if let Some(view) = attr_opt(r, STREAM) {
            let wanted = stream_view_name_of(&view);
            table = update_table(
                a,
                name,
                "stream on",
                a.dynamodb
                    .update_table()
                    .table_name(name)
                    .stream_specification(build(
                        StreamSpecification::builder()
                            .stream_enabled(true)
                            .stream_view_type(stream_view_type(&view))
                            .build(),
                        name,
                    )?),
                move |t| live_stream(t).is_some_and(|(v, _)| v == wanted),
            )
            .await?;
        }
    }
    if step.changes(DELETION_PROTECTION) {
        let on = attr_bool(r, DELETION_PROTECTION);
        table = update_table(
            a,
            name,
            "deletion protection",
            a.dynamodb
                .update_table()
                .table_name(name)
                .deletion_protection_enabled(on),
            move |t| t.deletion_protection_enabled().unwrap_or(false) == on,
        )
        .await?;
    }
    if step.changes(TTL) {
        // One attribute at a time: the old one off before another comes on.
        if let Some(old) = attr_opt(live, TTL) {
            set_ttl(a, name, &old, false).await?;
        }
        if let Some(new) = attr_opt(r, TTL) {
            set_ttl(a, name, &new, true).await?;
        }
    }
    if step.changes(POINT_IN_TIME_RECOVERY) {
        set_point_in_time_recovery(a, name, attr_bool(r, POINT_IN_TIME_RECOVERY)).await?;
    }
    if step.changes(STREAM) {
        record_stream(a, r, table.as_ref());
    }
    let arn = attr_str(live, ARN);
    tag_by_arn!(a.dynamodb, &arn, name, tag_changes(step), Tag).await
}

/// DynamoDB's name of the view type the spec's word names.
fn stream_view_name_of(word: &str) -> String {
    word.to_ascii_uppercase()
}

/// A live table's billing, as the plan has it.
fn billing_of(t: &TableDescription) -> Value {
    // BillingModeSummary is absent on a table that was never switched from provisioned.
    let mode = t
        .billing_mode_summary()
        .and_then(|b| b.billing_mode())
        .map_or("PROVISIONED", |m| m.as_str());
    if mode == "PAY_PER_REQUEST" {
        return Value::from(ON_DEMAND);
    }
    let p = t.provisioned_throughput();
    json!({
        "read": p.and_then(|p| p.read_capacity_units()).unwrap_or(0),
        "write": p.and_then(|p| p.write_capacity_units()).unwrap_or(0),
    })
}

/// Turns TTL on or off for `attribute`. A refusal after a lost answer ("already enabled")
/// is done when DescribeTimeToLive says so.
async fn set_ttl(a: &Applier, name: &str, attribute: &str, on: bool) -> Result<(), AwsError> {
    let spec = build(
        TimeToLiveSpecification::builder()
            .attribute_name(attribute)
            .enabled(on)
            .build(),
        name,
    )?;
    let Err(e) = a
        .dynamodb
        .update_time_to_live()
        .table_name(name)
        .time_to_live_specification(spec)
        .send()
        .await
    else {
        return Ok(());
    };
    let error = AwsError::new("UpdateTimeToLive", name, e);
    let out = a
        .dynamodb
        .describe_time_to_live()
        .table_name(name)
        .send()
        .await
        .map_err(|e| AwsError::new("DescribeTimeToLive", name, e))?;
    let now = out.time_to_live_description().and_then(|d| {
        let status = d.time_to_live_status()?.as_str();
        Some((matches!(status, "ENABLED" | "ENABLING"), d.attribute_name()))
    });
    match now {
        Some((true, Some(current))) if on && current == attribute => Ok(()),
        Some((false, _)) | None if !on => Ok(()),
        _ => Err(error),
    }
}

/// Point-in-time recovery on or off. Just after a table is made, DynamoDB may still be
/// turning its continuous backups on: that is waited out.
async fn set_point_in_time_recovery(a: &Applier, name: &str, on: bool) -> Result<(), AwsError> {
    let spec = build(
        PointInTimeRecoverySpecification::builder()
            .point_in_time_recovery_enabled(on)
            .build(),
        name,
    )?;
    let started = std::time::Instant::now();
    let mut pause = Duration::from_millis(500);
    loop {
        match a
            .dynamodb
            .update_continuous_backups()
            .table_name(name)
            .point_in_time_recovery_specification(spec.clone())
            .send()
            .await
        {
            Ok(_) => return Ok(()),
            Err(e)
                if e.code() == Some("ContinuousBackupsUnavailableException")
                    && started.elapsed() < SETTLE_TIMEOUT =>
            {
                tokio::time::sleep(pause).await;
                pause = (pause * 2).min(Duration::from_secs(10));
            }
            Err(e) => return Err(AwsError::new("UpdateContinuousBackups", name, e)),
        }
    }
}

#[cfg(test)]
mod tests {
    //! The normal form both sides share, and the waits and settling the emulator never
    //! triggers, against scripted answers.

    use std::collections::HashMap;

    use aws_sdk_dynamodb::operation::delete_table::DeleteTableOutput;
    use aws_sdk_dynamodb::operation::describe_table::{DescribeTableError, DescribeTableOutput};
    use aws_sdk_dynamodb::operation::update_table::{UpdateTableError, UpdateTableOutput};
    use aws_sdk_dynamodb::types::error::{ResourceInUseException, ResourceNotFoundException};
    use aws_sdk_dynamodb::types::{
        AttributeDefinition, BillingModeSummary, ContinuousBackupsStatus,
        GlobalSecondaryIndexDescription, IndexStatus, PointInTimeRecoveryDescription,
        PointInTimeRecoveryStatus, ProvisionedThroughputDescription, TimeToLiveStatus,
    };
    use aws_smithy_mocks::{RuleMode, mock, mock_client};
    use aws_smithy_types::error::ErrorMetadata;

    use super::*;
    use crate::apply::testing::step;
    use crate::engine::plan::FieldDiff;

    fn desired_of(text: &str) -> State {
        crate::engine::desired::testing::desired(text, "eu-west-1")
    }

    fn key(name: &str, kind: KeyType) -> KeySchemaElement {
        KeySchemaElement::builder()
            .attribute_name(name)
            .key_type(kind)
            .build()
            .unwrap()
    }

    fn definition(name: &str, t: ScalarAttributeType) -> AttributeDefinition {
        AttributeDefinition::builder()
            .attribute_name(name)
            .attribute_type(t)
            .build()
            .unwrap()
    }

    fn backups(on: bool) -> ContinuousBackupsDescription {
        ContinuousBackupsDescription::builder()
            .continuous_backups_status(ContinuousBackupsStatus::Enabled)
            .point_in_time_recovery_description(
                PointInTimeRecoveryDescription::builder()
                    .point_in_time_recovery_status(match on {
                        true => PointInTimeRecoveryStatus::Enabled,
                        false => PointInTimeRecoveryStatus::Disabled,
                    })
                    .build(),
            )
            .build()
            .unwrap()
    }

    fn tags(pairs: &[(&str, &str)]) -> HashMap<String, String> {
        pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect()
    }

    const ARN_OF: &str = "arn:aws:dynamodb:eu-west-1:123456789012:table/";

    #[test]
    fn a_table_as_dynamodb_describes_it_is_the_table_the_spec_wants() {
        let wanted = desired_of(
            "service: shop
tags: {team: core}
tables:
  orders:
    key: {partition: pk, sort: sk}
    attributes: {pk: string, sk: number, day: binary}
    billing: {read: 5, write: 6}
    ttl: expires_at
    stream: new_and_old_images
    point_in_time_recovery: false
    indexes:
      by-day: {partition: day, sort: pk, projection: [b, a, b]}
    tags: {tier: gold}
  plain: {key: {partition: id}, attributes: {id: string}}
",
        );
        // Provisioned from the start: DynamoDB gives no BillingModeSummary.
        let orders = TableDescription::builder()
            .table_name("shop-dev-orders")
            .table_arn(format!("{ARN_OF}shop-dev-orders"))
            .attribute_definitions(definition("sk", ScalarAttributeType::N))
            .attribute_definitions(definition("pk", ScalarAttributeType::S))
            .attribute_definitions(definition("day", ScalarAttributeType::B))
            .key_schema(key("pk", KeyType::Hash))
            .key_schema(key("sk", KeyType::Range))
            .provisioned_throughput(
                ProvisionedThroughputDescription::builder()
                    .read_capacity_units(5)
                    .write_capacity_units(6)
                    .number_of_decreases_today(0)
                    .build(),
            )
            .global_secondary_indexes(
                GlobalSecondaryIndexDescription::builder()
                    .index_name("by-day")
                    .key_schema(key("day", KeyType::Hash))
                    .key_schema(key("pk", KeyType::Range))
                    .projection(
                        Projection::builder()
                            .projection_type(ProjectionType::Include)
                            .non_key_attributes("b")
                            .non_key_attributes("a")
                            .build(),
                    )
                    .index_status(IndexStatus::Active)
                    .build(),
            )
            .stream_specification(
                StreamSpecification::builder()
                    .stream_enabled(true)
                    .stream_view_type(StreamViewType::NewAndOldImages)
                    .build()
                    .unwrap(),
            )
            .latest_stream_arn(format!(
                "{ARN_OF}shop-dev-orders/stream/2026-01-01T00:00:00.000"
            ))
            .deletion_protection_enabled(true)
            .build();
        let ttl = TimeToLiveDescription::builder()
            .time_to_live_status(TimeToLiveStatus::Enabled)
            .attribute_name("expires_at")
            .build();
        let owner = [
            ("slsr:service", "shop"),
            ("slsr:stage", "dev"),
            ("team", "core"),
        ];
        let mut orders_tags = owner.to_vec();
        orders_tags.push(("tier", "gold"));
        let read = live(
            "orders",
            &orders,
            Some(&ttl),
            Some(&backups(false)),
            &tags(&orders_tags),
        );
        assert_eq!(read, wanted.resources["table.orders"]);
        assert_eq!(
            live_stream(&orders),
            Some((
                "NEW_AND_OLD_IMAGES".into(),
                format!("{ARN_OF}shop-dev-orders/stream/2026-01-01T00:00:00.000")
            ))
        );
        // slsr's defaults: on demand, recoverable, protected; AWS's: no TTL, no stream.
        let plain = TableDescription::builder()
            .table_name("shop-dev-plain")
            .table_arn(format!("{ARN_OF}shop-dev-plain"))
            .attribute_definitions(definition("id", ScalarAttributeType::S))
            .key_schema(key("id", KeyType::Hash))
            .billing_mode_summary(
                BillingModeSummary::builder()
                    .billing_mode(BillingMode::PayPerRequest)
                    .build(),
            )
            .deletion_protection_enabled(true)
            .build();
        let off = TimeToLiveDescription::builder()
            .time_to_live_status(TimeToLiveStatus::Disabled)
            .build();
        let read = live(
            "plain",
            &plain,
            Some(&off),
            Some(&backups(true)),
            &tags(&owner),
        );
        assert_eq!(read, wanted.resources["table.plain"]);
        assert_eq!(live_stream(&plain), None);
    }

    #[test]
    fn a_key_is_its_name_and_type_whatever_the_name_holds() {
        assert_eq!(parse_key("pk (string)"), Some(("pk", "string")));
        assert_eq!(parse_key("a (b) (number)"), Some(("a (b)", "number")));
        assert_eq!(parse_key("pk"), None);
    }

    fn applier(db: aws_sdk_dynamodb::Client) -> Applier {
        let mut a = crate::apply::testing::applier(HashMap::new());
        a.clients.dynamodb = db;
        a
    }

    fn described(status: TableStatus, index: Option<IndexStatus>) -> DescribeTableOutput {
        let mut t = TableDescription::builder()
            .table_name("shop-dev-orders")
            .table_status(status);
        if let Some(index) = index {
            t = t
                .attribute_definitions(definition("day", ScalarAttributeType::S))
                .global_secondary_indexes(
                    GlobalSecondaryIndexDescription::builder()
                        .index_name("by-day")
                        .key_schema(key("day", KeyType::Hash))
                        .projection(
                            Projection::builder()
                                .projection_type(ProjectionType::All)
                                .build(),
                        )
                        .index_status(index)
                        .build(),
                );
        }
        DescribeTableOutput::builder().table(t.build()).build()
    }

    fn meta(code: &str, message: &str) -> ErrorMetadata {
        ErrorMetadata::builder().code(code).message(message).build()
    }

    #[tokio::test]
    async fn waits_until_the_table_and_every_index_are_active() {
        let describe = mock!(aws_sdk_dynamodb::Client::describe_table)
            .sequence()
            .output(|| described(TableStatus::Updating, None))
            .output(|| described(TableStatus::Active, Some(IndexStatus::Creating)))
            .output(|| described(TableStatus::Active, Some(IndexStatus::Active)))
            .build();
        let a = applier(mock_client!(
            aws_sdk_dynamodb,
            RuleMode::Sequential,
            [&describe]
        ));
        let table = settled(&a, "shop-dev-orders").await.unwrap();
        assert_eq!(describe.num_calls(), 3);
        assert!(table.is_some());
    }

    fn orders(protected: bool) -> Resource {
        Resource::new(crate::kinds::Kind::Table, "orders", "shop-dev-orders")
            .with(ARN, format!("{ARN_OF}shop-dev-orders"))
            .with(PARTITION_KEY, "pk (string)")
            .with(SORT_KEY, Value::Null)
            .with(BILLING, ON_DEMAND)
            .with(DELETION_PROTECTION, protected)
    }

    #[tokio::test]
    async fn an_index_made_by_an_attempt_whose_answer_was_lost_is_not_made_again() {
        // The retry of the create is refused: the table is busy making the index.
        let update = mock!(aws_sdk_dynamodb::Client::update_table)
            .sequence()
            .error(|| {
                UpdateTableError::ResourceInUseException(
                    ResourceInUseException::builder()
                        .message("Attempt to change a resource which is still in use")
                        .meta(meta("ResourceInUseException", "still in use"))
                        .build(),
                )
            })
            .build();
        let describe = mock!(aws_sdk_dynamodb::Client::describe_table)
            .sequence()
            .output(|| described(TableStatus::Active, None))
            .output(|| described(TableStatus::Updating, Some(IndexStatus::Creating)))
            .output(|| described(TableStatus::Active, Some(IndexStatus::Active)))
            .build();
        let a = applier(mock_client!(
            aws_sdk_dynamodb,
            RuleMode::MatchAny,
            [&update, &describe]
        ));
        let before = orders(false);
        let after = orders(false).with(
            "index.by-day",
            json!({"partition": "day (string)", "projection": "all"}),
        );
        let s = step(
            Action::Update,
            Some(before),
            after,
            vec![FieldDiff {
                path: "index.by-day".into(),
                before: None,
                after: Some(json!({"partition": "day (string)", "projection": "all"})),
                sensitive: false,
                forces_replacement: false,
            }],
        );
        apply(&a, &s).await.unwrap();
        assert_eq!(update.num_calls(), 1);
        assert_eq!(describe.num_calls(), 3);
    }

    #[tokio::test]
    async fn a_refusal_that_the_table_does_not_explain_fails_the_step() {
        let update = mock!(aws_sdk_dynamodb::Client::update_table).then_error(|| {
            UpdateTableError::ResourceInUseException(
                ResourceInUseException::builder()
                    .meta(meta(
                        "LimitExceededException",
                        "too many indexes being built",
                    ))
                    .build(),
            )
        });
        let describe = mock!(aws_sdk_dynamodb::Client::describe_table)
            .then_output(|| described(TableStatus::Active, None));
        let a = applier(mock_client!(
            aws_sdk_dynamodb,
            RuleMode::MatchAny,
            [&update, &describe]
        ));
        let value = json!({"partition": "day (string)", "projection": "all"});
        let s = step(
            Action::Update,
            Some(orders(false)),
            orders(false).with("index.by-day", value.clone()),
            vec![FieldDiff {
                path: "index.by-day".into(),
                before: None,
                after: Some(value),
                sensitive: false,
                forces_replacement: false,
            }],
        );
        let err = apply(&a, &s).await.unwrap_err();
        assert_eq!(err.operation, "UpdateTable");
        assert!(err.target.contains("create index by-day"), "{err}");
        assert!(
            err.message.contains("too many indexes being built"),
            "{err}"
        );
    }

    #[tokio::test]
    async fn a_delete_turns_protection_off_first_and_waits_until_the_table_is_gone() {
        let update = mock!(aws_sdk_dynamodb::Client::update_table)
            .then_output(|| UpdateTableOutput::builder().build());
        let delete = mock!(aws_sdk_dynamodb::Client::delete_table)
            .then_output(|| DeleteTableOutput::builder().build());
        let describe = mock!(aws_sdk_dynamodb::Client::describe_table)
            .sequence()
            .output(|| described(TableStatus::Active, None))
            .output(|| described(TableStatus::Active, None))
            .output(|| described(TableStatus::Deleting, None))
            .error(|| {
                DescribeTableError::ResourceNotFoundException(
                    ResourceNotFoundException::builder()
                        .meta(meta(
                            "ResourceNotFoundException",
                            "Requested resource not found",
                        ))
                        .build(),
                )
            })
            .build();
        let a = applier(mock_client!(
            aws_sdk_dynamodb,
            RuleMode::MatchAny,
            [&update, &delete, &describe]
        ));
        let protected = orders(true);
        let s = crate::apply::Step {
            change: crate::engine::plan::Change {
                address: protected.address(),
                kind: protected.kind,
                name: protected.name.clone(),
                action: Action::Delete,
                diffs: vec![],
                before: Some(protected),
                after: None,
                reason: None,
                data_loss: true,
            },
            action: Action::Delete,
        };
        apply(&a, &s).await.unwrap();
        assert_eq!(
            (update.num_calls(), delete.num_calls(), describe.num_calls()),
            (1, 1, 4)
        );
    }
}
