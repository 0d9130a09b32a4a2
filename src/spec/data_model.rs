//! The typed spec of the resources that hold data: DynamoDB tables and S3 buckets, the
//! events they send to functions (`dynamodb`, `s3`) and the `access` grants functions get
//! on them. Part of the spec's single source of shape, like `model.rs` (which re-exports
//! these types): the JSON Schema and the hover help come from here.

use std::collections::BTreeMap;

use schemars::JsonSchema;
use serde::Deserialize;

use super::model::OnFailure;

/// A DynamoDB table, named `{service}-{stage}-{name}` unless `name` says otherwise.
#[derive(Debug, Clone, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
#[schemars(example = serde_json::json!({"key": {"partition": "pk", "sort": "sk"}, "attributes": {"pk": "string", "sk": "number"}}))]
pub struct Table {
    /// The table's exact physical name instead of `{service}-{stage}-{name}`: 3 to 255 letters, digits, `_`, `-` and `.`.
    #[schemars(regex(pattern = r"^[A-Za-z0-9_.-]{3,255}$"))]
    pub name: Option<String>,
    /// The primary key: a partition key and an optional sort key, each an attribute under `attributes`. Changing it replaces the table (see data safety).
    pub key: TableKey,
    /// The type of every key attribute of the table and its indexes: string, number or binary. Other attributes are not declared.
    #[schemars(length(min = 1))]
    pub attributes: BTreeMap<String, AttributeType>,
    /// `on_demand` (the default: pay per request) or `{read, write}` provisioned capacity units.
    pub billing: Option<Billing>,
    /// The attribute that holds each item's expiry time (epoch seconds): DynamoDB deletes expired items.
    #[schemars(length(min = 1, max = 255))]
    pub ttl: Option<String>,
    /// A DynamoDB stream of the table's changes: keys_only, new_image, old_image or new_and_old_images. `dynamodb` events read it.
    pub stream: Option<StreamView>,
    /// Global secondary indexes by name; each takes the table's billing.
    #[serde(default)]
    pub indexes: BTreeMap<String, TableIndex>,
    /// Continuous backups for point-in-time recovery (default true).
    pub point_in_time_recovery: Option<bool>,
    /// Whether DynamoDB refuses to delete the table (default true). slsr turns it off only to delete the table with `--allow-data-loss`.
    pub deletion_protection: Option<bool>,
    /// Tags of this table, besides the spec's `tags` and slsr's own.
    #[serde(default)]
    pub tags: BTreeMap<String, String>,
}

/// A table's or an index's key.
#[derive(Debug, Clone, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
#[schemars(example = serde_json::json!({"partition": "pk", "sort": "sk"}))]
pub struct TableKey {
    /// The partition (hash) key attribute.
    #[schemars(length(min = 1, max = 255))]
    pub partition: String,
    /// The sort (range) key attribute, if any.
    #[schemars(length(min = 1, max = 255))]
    pub sort: Option<String>,
}

/// The type of a key attribute.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, JsonSchema)]
#[serde(rename_all = "lowercase")]
pub enum AttributeType {
    String,
    Number,
    Binary,
}

/// How a table is billed: `on_demand` or provisioned `{read, write}`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, JsonSchema)]
#[serde(untagged)]
pub enum Billing {
    /// `on_demand`: pay per request.
    Mode(BillingMode),
    /// Provisioned read and write capacity units.
    Provisioned(Throughput),
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum BillingMode {
    OnDemand,
}

/// Provisioned capacity.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
#[schemars(example = serde_json::json!({"read": 5, "write": 5}))]
pub struct Throughput {
    /// Read capacity units, 1 to 40000.
    #[schemars(range(min = 1, max = 40000))]
    pub read: u32,
    /// Write capacity units, 1 to 40000.
    #[schemars(range(min = 1, max = 40000))]
    pub write: u32,
}

/// What a table's stream records hold.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum StreamView {
    KeysOnly,
    NewImage,
    OldImage,
    NewAndOldImages,
}

/// A global secondary index.
#[derive(Debug, Clone, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
#[schemars(example = serde_json::json!({"partition": "day", "sort": "pk", "projection": "all"}))]
pub struct TableIndex {
    /// The index's partition key attribute, declared under the table's `attributes`.
    #[schemars(length(min = 1, max = 255))]
    pub partition: String,
    /// The index's sort key attribute, if any.
    #[schemars(length(min = 1, max = 255))]
    pub sort: Option<String>,
    /// The attributes the index holds: all (the default), keys_only, or a list of attribute names besides the keys.
    pub projection: Option<Projection>,
}

/// What an index holds.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize, JsonSchema)]
#[serde(untagged)]
pub enum Projection {
    /// `all` or `keys_only`.
    Kind(ProjectionKind),
    /// The keys and these attributes.
    Include(#[schemars(length(min = 1, max = 100))] Vec<String>),
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum ProjectionKind {
    All,
    KeysOnly,
}

/// An S3 bucket, named `{service}-{stage}-{name}-{account_id}` unless `name` says otherwise. Public access is always blocked; objects are encrypted (SSE-S3, or SSE-KMS with `kms_key`).
#[derive(Debug, Clone, Default, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
#[schemars(example = serde_json::json!({"versioning": true}))]
pub struct Bucket {
    /// The bucket's exact, globally unique name instead of `{service}-{stage}-{name}-{account_id}`: 3 to 63 lower-case letters, digits, `-` and `.`.
    #[schemars(regex(pattern = r"^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$"))]
    pub name: Option<String>,
    /// Keep every version of every object (default false). Once on, S3 can only suspend it: false then suspends.
    pub versioning: Option<bool>,
    /// Rules that expire objects, by key prefix.
    #[serde(default)]
    #[schemars(length(max = 1000))]
    pub lifecycle: Vec<LifecycleRule>,
    /// CORS rules for browsers calling the bucket.
    #[serde(default)]
    #[schemars(length(max = 100))]
    pub cors: Vec<BucketCors>,
    /// A KMS key id, alias or ARN: SSE-KMS instead of SSE-S3.
    #[schemars(length(min = 1))]
    pub kms_key: Option<String>,
    /// Tags of this bucket, besides the spec's `tags` and slsr's own.
    #[serde(default)]
    pub tags: BTreeMap<String, String>,
}

/// A lifecycle rule: what expires under a key prefix.
#[derive(Debug, Clone, Default, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
#[schemars(example = serde_json::json!({"prefix": "tmp/", "expire_days": 7}))]
pub struct LifecycleRule {
    /// The key prefix it applies to; omitted: every object.
    pub prefix: Option<String>,
    /// Days after creation when objects expire.
    #[schemars(range(min = 1))]
    pub expire_days: Option<u32>,
    /// Days after an object version stops being current when it is deleted (versioned buckets).
    #[schemars(range(min = 1))]
    pub noncurrent_expire_days: Option<u32>,
    /// Days after which an incomplete multipart upload is aborted.
    #[schemars(range(min = 1))]
    pub abort_incomplete_upload_days: Option<u32>,
}

/// A CORS rule of a bucket.
#[derive(Debug, Clone, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
#[schemars(example = serde_json::json!({"allow_origins": ["https://example.com"], "allow_methods": ["GET", "PUT"]}))]
pub struct BucketCors {
    /// Origins allowed, for example https://example.com, or *.
    #[schemars(length(min = 1))]
    pub allow_origins: Vec<String>,
    /// Methods allowed: GET, PUT, POST, DELETE or HEAD.
    #[schemars(length(min = 1))]
    pub allow_methods: Vec<BucketMethod>,
    /// Request headers allowed.
    pub allow_headers: Option<Vec<String>>,
    /// Response headers exposed to the browser.
    pub expose_headers: Option<Vec<String>>,
    /// Seconds a browser may cache the preflight answer.
    #[schemars(range(min = 0, max = 2147483647))]
    pub max_age: Option<u32>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Deserialize, JsonSchema)]
pub enum BucketMethod {
    GET,
    PUT,
    POST,
    DELETE,
    HEAD,
}

impl BucketMethod {
    pub fn as_str(self) -> &'static str {
        match self {
            BucketMethod::GET => "GET",
            BucketMethod::PUT => "PUT",
            BucketMethod::POST => "POST",
            BucketMethod::DELETE => "DELETE",
            BucketMethod::HEAD => "HEAD",
        }
    }
}

/// An S3 event notification: a declared bucket or an existing bucket's ARN.
#[derive(Debug, Clone, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
#[schemars(example = serde_json::json!({"bucket": "uploads", "events": ["created"], "prefix": "incoming/"}))]
pub struct S3Event {
    /// The name of a bucket under `buckets`, or the ARN of an existing bucket (arn:aws:s3:::NAME): slsr then adds only its own notification entry.
    #[schemars(length(min = 1))]
    pub bucket: String,
    /// Which object events: created, removed, restored, replicated, or S3's own names such as s3:ObjectCreated:Put.
    #[schemars(length(min = 1))]
    pub events: Vec<String>,
    /// Only keys starting with this.
    pub prefix: Option<String>,
    /// Only keys ending with this.
    pub suffix: Option<String>,
}

/// Where a stream's mapping starts reading.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum StartingPosition {
    /// Only records written after the mapping exists (the default).
    Latest,
    /// The oldest record the stream still holds.
    TrimHorizon,
}

/// A DynamoDB stream event source mapping.
#[derive(Debug, Clone, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
#[schemars(example = serde_json::json!({"table": "orders", "starting_position": "latest"}))]
pub struct DynamodbEvent {
    /// The name of a table under `tables` (it must have a `stream`), or the ARN of an existing table's stream (arn:aws:dynamodb:REGION:ACCOUNT:table/NAME/stream/LABEL).
    #[schemars(length(min = 1))]
    pub table: String,
    /// latest (the default) or trim_horizon.
    pub starting_position: Option<StartingPosition>,
    /// Records per invocation, 1 to 10000 (default 100).
    #[schemars(range(min = 1, max = 10000))]
    pub batch_size: Option<u32>,
    /// Seconds to gather a batch, 0 to 300.
    #[schemars(range(min = 0, max = 300))]
    pub batching_window: Option<u32>,
    /// Event filter patterns, at most 5: only matching records invoke the function, for example {eventName: [INSERT]}.
    #[schemars(length(max = 5))]
    pub filters: Option<Vec<serde_json::Map<String, serde_json::Value>>>,
    /// Split a failing batch in two and retry each half.
    pub bisect_on_error: Option<bool>,
    /// Retries of a failing batch, -1 (until the record expires, the default) to 10000.
    #[schemars(range(min = -1, max = 10000))]
    pub max_retries: Option<i32>,
    /// Seconds after which a record is no longer sent: -1 (never, the default) or 60 to 604800.
    #[schemars(range(min = -1, max = 604800))]
    pub max_record_age: Option<i32>,
    /// Where records that failed every retry are sent: a queue under `queues`.
    pub on_failure: Option<OnFailure>,
    /// Whether the function reports failed records one by one (ReportBatchItemFailures).
    pub report_batch_item_failures: Option<bool>,
    /// Batches of one shard processed at once, 1 to 10 (default 1).
    #[schemars(range(min = 1, max = 10))]
    pub parallelization: Option<u32>,
    /// Whether the mapping is enabled (default true).
    pub enabled: Option<bool>,
}

/// What a function may do with a resource of the spec, granted on its generated role.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum AccessLevel {
    /// Tables and buckets: read items or objects; secrets: read the value.
    Read,
    /// Tables and buckets: write and delete items or objects; streams: put records.
    Write,
    /// Tables and buckets: both.
    ReadWrite,
    /// Queues: send messages.
    Send,
    /// State machines: start executions.
    Start,
    /// Topics: publish messages.
    Publish,
}

impl AccessLevel {
    pub fn as_str(self) -> &'static str {
        match self {
            AccessLevel::Read => "read",
            AccessLevel::Write => "write",
            AccessLevel::ReadWrite => "read_write",
            AccessLevel::Send => "send",
            AccessLevel::Start => "start",
            AccessLevel::Publish => "publish",
        }
    }
}
