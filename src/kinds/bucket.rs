//! S3 buckets: `{service}-{stage}-{name}-{account_id}` (bucket names are global) or the
//! exact `name` a bucket declares; versioning, lifecycle rules keyed by their prefix, CORS
//! rules in order, default encryption (SSE-S3, or SSE-KMS with `kms_key`), the public access
//! block always on, and tags. Read with ListBuckets, then per bucket GetBucketTagging and,
//! when slsr owns it, its versioning, lifecycle, CORS, encryption and public access block
//! (`aws/read/s3.rs`). Everything but the name changes in place. A bucket holds data: its
//! deletion (which the engine plans only when data loss is allowed) empties it first, every
//! unfinished upload, object version and delete marker.
//!
//! slsr owns a bucket's whole tag set, as it owns every other kind's (and as Terraform's
//! `aws_s3_bucket` does): a tag added by hand shows as drift and the next apply removes it.
//! PutBucketTagging replaces the set, so the writer always sends the whole desired set,
//! with AWS's own `aws:` tags as the bucket has them (S3 refuses a set that drops them).
//! `slsr adopt` and `slsr release` change the tags through this writer too.

use std::collections::{BTreeMap, HashMap};

use aws_sdk_s3::types::{
    AbortIncompleteMultipartUpload, BucketLifecycleConfiguration, BucketLocationConstraint,
    BucketVersioningStatus, CorsConfiguration, CorsRule, CreateBucketConfiguration, Delete,
    ExpirationStatus, LifecycleExpiration, LifecycleRule, LifecycleRuleFilter,
    NoncurrentVersionExpiration, ObjectIdentifier, PublicAccessBlockConfiguration,
    ServerSideEncryption, ServerSideEncryptionByDefault, ServerSideEncryptionConfiguration,
    ServerSideEncryptionRule, Tag, Tagging, VersioningConfiguration,
};
use serde_json::Value;

use super::{KindInfo, TAGS, Tags, attr_bool, attr_map, attr_opt, attr_str};
use crate::apply::{Applier, Settle, Step, ensure_ours, tag_changes};
use crate::aws::AwsError;
use crate::engine::desired::{Builder, short_hash};
use crate::engine::model::{Resource, State};
use crate::engine::plan::Action;

pub static INFO: KindInfo = KindInfo {
    prefix: "bucket",
    naming: "{service}-{stage}-{name}-{account_id}, or the `name` the bucket declares",
    tags: Tags::Compared,
    replaced_by: &[NAME],
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
/// The bucket's name as an attribute too: a new name is a new bucket (a replacement).
pub const NAME: &str = "name";
/// Whether versioning is on. S3 can only suspend it once it was on, and a suspended bucket
/// reads as off, as one that was never versioned does.
pub const VERSIONING: &str = "versioning";
/// The default encryption's algorithm: `AES256` (SSE-S3) or `aws:kms` (SSE-KMS).
pub const ENCRYPTION: &str = "encryption";
pub const KMS_KEY: &str = "kms_key";
/// `public_access_block.SETTING`, each always true.
pub const PUBLIC_ACCESS_BLOCK: &str = "public_access_block";
pub const PUBLIC_ACCESS_SETTINGS: [&str; 4] = [
    "block_public_acls",
    "ignore_public_acls",
    "block_public_policy",
    "restrict_public_buckets",
];
/// `lifecycle["PREFIX"].FIELD`: one rule per key prefix ("" for every object).
pub const LIFECYCLE: &str = "lifecycle";
pub const EXPIRE_DAYS: &str = "expire_days";
pub const NONCURRENT_EXPIRE_DAYS: &str = "noncurrent_expire_days";
pub const ABORT_INCOMPLETE_UPLOAD_DAYS: &str = "abort_incomplete_upload_days";
/// On a live rule only: what it does that the spec cannot say (transitions, a tag filter,
/// a disabled status...), so that such a rule shows as a change and apply rewrites it.
pub const OTHER: &str = "other";
/// `cors[N].FIELD`, in the order S3 tries them.
pub const CORS: &str = "cors";
pub const ALLOW_ORIGINS: &str = "allow_origins";
pub const ALLOW_METHODS: &str = "allow_methods";
pub const ALLOW_HEADERS: &str = "allow_headers";
pub const EXPOSE_HEADERS: &str = "expose_headers";
pub const MAX_AGE: &str = "max_age";

/// S3's default encryption, which every bucket has had since January 2023 and which an
/// answer "no encryption configuration" means.
pub const SSE_S3: &str = "AES256";
pub const SSE_KMS: &str = "aws:kms";

/// `lifecycle["tmp/"].expire_days`: the prefix as a JSON string, so that any prefix reads
/// back unambiguously.
pub fn lifecycle_attr(prefix: &str, field: &str) -> String {
    format!("{LIFECYCLE}[{}].{field}", Value::from(prefix))
}

pub fn cors_attr(index: usize, field: &str) -> String {
    format!("{CORS}[{index}].{field}")
}

pub fn public_access_attr(setting: &str) -> String {
    format!("{PUBLIC_ACCESS_BLOCK}.{setting}")
}

/// The prefix and field of a `lifecycle["PREFIX"].FIELD` attribute.
fn parse_lifecycle_attr(path: &str) -> Option<(String, &str)> {
    let inner = path.strip_prefix(LIFECYCLE)?.strip_prefix('[')?;
    let (prefix, field) = inner.rsplit_once("].")?;
    Some((serde_json::from_str(prefix).ok()?, field))
}

/// The index and field of a `cors[N].FIELD` attribute.
fn parse_cors_attr(path: &str) -> Option<(usize, &str)> {
    let inner = path.strip_prefix(CORS)?.strip_prefix('[')?;
    let (index, field) = inner.split_once("].")?;
    Some((index.parse().ok()?, field))
}

fn optional(value: Option<u32>) -> Value {
    value.map_or(Value::Null, Value::from)
}

fn sorted(items: impl IntoIterator<Item = String>) -> Value {
    let mut items: Vec<String> = items.into_iter().collect();
    items.sort();
    items.dedup();
    Value::from(items)
}

fn desired(b: &Builder, state: &mut State) {
    for (key, bucket) in &b.p.buckets {
        let name = b.bucket_physical(key);
        let (encryption, kms_key) = match &bucket.kms_key {
            Some(key) => (SSE_KMS, Value::from(key.as_str())),
            None => (SSE_S3, Value::Null),
        };
        let mut r = Resource::new(super::Kind::Bucket, key, name.clone())
            .with(ARN, b.bucket_arn(key))
            .with(NAME, name)
            .with(VERSIONING, bucket.versioning == Some(true))
            .with(ENCRYPTION, encryption)
            .with(KMS_KEY, kms_key);
        for setting in PUBLIC_ACCESS_SETTINGS {
            r = r.with(&public_access_attr(setting), true);
        }
        for rule in &bucket.lifecycle {
            let prefix = rule.prefix.as_deref().unwrap_or("");
            r = r
                .with(
                    &lifecycle_attr(prefix, EXPIRE_DAYS),
                    optional(rule.expire_days),
                )
                .with(
                    &lifecycle_attr(prefix, NONCURRENT_EXPIRE_DAYS),
                    optional(rule.noncurrent_expire_days),
                )
                .with(
                    &lifecycle_attr(prefix, ABORT_INCOMPLETE_UPLOAD_DAYS),
                    optional(rule.abort_incomplete_upload_days),
                );
        }
        for (i, rule) in bucket.cors.iter().enumerate() {
            let methods = rule.allow_methods.iter().map(|m| m.as_str().to_string());
            r = r
                .with(
                    &cors_attr(i, ALLOW_ORIGINS),
                    sorted(rule.allow_origins.clone()),
                )
                .with(&cors_attr(i, ALLOW_METHODS), sorted(methods))
                .with(
                    &cors_attr(i, ALLOW_HEADERS),
                    sorted(rule.allow_headers.clone().unwrap_or_default()),
                )
                .with(
                    &cors_attr(i, EXPOSE_HEADERS),
                    sorted(rule.expose_headers.clone().unwrap_or_default()),
                )
                .with(&cors_attr(i, MAX_AGE), optional(rule.max_age));
        }
        let tags = b.tags_with(&bucket.tags);
        state.insert(r.with_map(TAGS, &tags));
    }
}

/// What S3 answered about one bucket, for `live`. `None` where S3 said the bucket has no
/// such configuration.
#[derive(Debug, Default, Clone)]
pub struct Answers {
    pub tags: HashMap<String, String>,
    pub versioning: Option<BucketVersioningStatus>,
    pub lifecycle: Vec<LifecycleRule>,
    pub cors: Vec<CorsRule>,
    pub encryption: Option<ServerSideEncryptionByDefault>,
    pub public_access_block: Option<PublicAccessBlockConfiguration>,
}

/// A bucket as S3's answers have it, keyed `key`, with the attributes the desired side
/// builds: S3's defaults (SSE-S3, no public access block) where it has no configuration.
pub fn live(key: &str, name: &str, answers: &Answers) -> Resource {
    let (encryption, kms_key) = match &answers.encryption {
        Some(d) => (
            d.sse_algorithm().as_str().to_string(),
            d.kms_master_key_id()
                .map_or(Value::Null, |k| Value::from(k.to_string())),
        ),
        None => (SSE_S3.to_string(), Value::Null),
    };
    let mut r = Resource::new(super::Kind::Bucket, key, name)
        .with(ARN, format!("arn:aws:s3:::{name}"))
        .with(NAME, name)
        .with(
            VERSIONING,
            answers.versioning == Some(BucketVersioningStatus::Enabled),
        )
        .with(ENCRYPTION, encryption)
        .with(KMS_KEY, kms_key);
    let block = answers.public_access_block.as_ref();
    let settings = [
        block.and_then(|b| b.block_public_acls()),
        block.and_then(|b| b.ignore_public_acls()),
        block.and_then(|b| b.block_public_policy()),
        block.and_then(|b| b.restrict_public_buckets()),
    ];
    for (setting, on) in PUBLIC_ACCESS_SETTINGS.iter().zip(settings) {
        r = r.with(&public_access_attr(setting), on == Some(true));
    }
    let mut seen = Vec::new();
    for rule in &answers.lifecycle {
        let (prefix, other) = lifecycle_shape(rule);
        if seen.contains(&prefix) {
            let id = rule.id().unwrap_or("(no id)");
            r = append_other(r, &prefix, &format!("a second rule for this prefix ({id})"));
            continue;
        }
        seen.push(prefix.clone());
        let days = |d: Option<i32>| d.map_or(Value::Null, Value::from);
        r = r
            .with(
                &lifecycle_attr(&prefix, EXPIRE_DAYS),
                days(rule.expiration().and_then(|e| e.days())),
            )
            .with(
                &lifecycle_attr(&prefix, NONCURRENT_EXPIRE_DAYS),
                days(
                    rule.noncurrent_version_expiration()
                        .and_then(|e| e.noncurrent_days()),
                ),
            )
            .with(
                &lifecycle_attr(&prefix, ABORT_INCOMPLETE_UPLOAD_DAYS),
                days(
                    rule.abort_incomplete_multipart_upload()
                        .and_then(|a| a.days_after_initiation()),
                ),
            );
        if !other.is_empty() {
            r = append_other(r, &prefix, &other.join(", "));
        }
    }
    for (i, rule) in answers.cors.iter().enumerate() {
        let list = |items: &[String]| sorted(items.iter().cloned());
        r = r
            .with(&cors_attr(i, ALLOW_ORIGINS), list(rule.allowed_origins()))
            .with(&cors_attr(i, ALLOW_METHODS), list(rule.allowed_methods()))
            .with(&cors_attr(i, ALLOW_HEADERS), list(rule.allowed_headers()))
            .with(&cors_attr(i, EXPOSE_HEADERS), list(rule.expose_headers()))
            .with(
                &cors_attr(i, MAX_AGE),
                rule.max_age_seconds().map_or(Value::Null, Value::from),
            );
    }
    // `aws:` tags are AWS's own (CloudFormation's stack tags): nobody can set or remove
    // them, so they are neither compared nor written.
    r = r.with_map(
        TAGS,
        answers.tags.iter().filter(|(k, _)| !k.starts_with("aws:")),
    );
    r
}

fn append_other(mut r: Resource, prefix: &str, what: &str) -> Resource {
    let path = lifecycle_attr(prefix, OTHER);
    let text = match r.attrs.get(&path).and_then(Value::as_str) {
        Some(before) => format!("{before}, {what}"),
        None => what.to_string(),
    };
    r.attrs.insert(path, Value::from(text));
    r
}

/// A live rule's prefix, and what it does that a spec's rule cannot.
fn lifecycle_shape(rule: &LifecycleRule) -> (String, Vec<&'static str>) {
    let filter = rule.filter();
    let and = filter.and_then(|f| f.and());
    // A rule written by an old client has its prefix beside the filter, not in it.
    #[allow(deprecated)]
    let legacy = rule.prefix();
    let prefix = filter
        .and_then(|f| f.prefix())
        .or_else(|| and.and_then(|a| a.prefix()))
        .or(legacy)
        .unwrap_or("")
        .to_string();
    let mut other = Vec::new();
    if rule.status() != &ExpirationStatus::Enabled {
        other.push("disabled");
    }
    let tagged =
        filter.is_some_and(|f| f.tag().is_some()) || and.is_some_and(|a| !a.tags().is_empty());
    if tagged {
        other.push("a tag filter");
    }
    let sized = filter.is_some_and(|f| {
        f.object_size_greater_than().is_some() || f.object_size_less_than().is_some()
    }) || and.is_some_and(|a| {
        a.object_size_greater_than().is_some() || a.object_size_less_than().is_some()
    });
    if sized {
        other.push("an object size filter");
    }
    if rule.expiration().is_some_and(|e| e.date().is_some()) {
        other.push("an expiry date");
    }
    if rule
        .expiration()
        .is_some_and(|e| e.expired_object_delete_marker() == Some(true))
    {
        other.push("removes expired delete markers");
    }
    if !rule.transitions().is_empty() || !rule.noncurrent_version_transitions().is_empty() {
        other.push("storage class transitions");
    }
    if rule
        .noncurrent_version_expiration()
        .is_some_and(|e| e.newer_noncurrent_versions().is_some())
    {
        other.push("keeps newer noncurrent versions");
    }
    (prefix, other)
}

/// A request the SDK could not build from the resource (a value S3 requires is missing):
/// the operation fails with what is missing, never a panic.
fn built<T>(
    result: Result<T, aws_smithy_types::error::operation::BuildError>,
    operation: &'static str,
    target: &str,
) -> Result<T, AwsError> {
    result.map_err(|e| AwsError {
        operation,
        target: target.to_string(),
        message: e.to_string(),
    })
}

/// The tag set of a resource's `tags.KEY` attributes, sorted by key.
fn tag_set(
    tags: impl IntoIterator<Item = (String, String)>,
    target: &str,
) -> Result<Vec<Tag>, AwsError> {
    let sorted: BTreeMap<String, String> = tags.into_iter().collect();
    sorted
        .into_iter()
        .map(|(k, v)| {
            built(
                Tag::builder().key(k).value(v).build(),
                "PutBucketTagging",
                target,
            )
        })
        .collect()
}

/// Whether the update changes any attribute whose path starts with `prefix`.
fn changes_under(step: &Step, prefix: &str) -> bool {
    step.change.diffs.iter().any(|d| d.path.starts_with(prefix))
}

async fn apply(a: &Applier, step: &Step) -> Result<(), AwsError> {
    let r = step.resource();
    let name = r.name.as_str();
    match step.action {
        Action::Create => {
            create(a, r).await?;
            put_public_access_block(a, name).await?;
            put_encryption(a, r).await?;
            if attr_bool(r, VERSIONING) {
                put_versioning(a, r).await?;
            }
            put_lifecycle(a, r, false).await?;
            put_cors(a, r, false).await?;
        }
        Action::Delete => {
            empty(a, name).await?;
            a.s3.delete_bucket()
                .bucket(name)
                .send()
                .await
                .or_gone("DeleteBucket", name)?;
        }
        _ => {
            if changes_under(step, &format!("{PUBLIC_ACCESS_BLOCK}.")) {
                put_public_access_block(a, name).await?;
            }
            if step.changes(ENCRYPTION) || step.changes(KMS_KEY) {
                put_encryption(a, r).await?;
            }
            if step.changes(VERSIONING) {
                put_versioning(a, r).await?;
            }
            if changes_under(step, &format!("{LIFECYCLE}[")) {
                put_lifecycle(a, r, true).await?;
            }
            if changes_under(step, &format!("{CORS}[")) {
                put_cors(a, r, true).await?;
            }
            let (set, remove) = tag_changes(step);
            if !set.is_empty() || !remove.is_empty() {
                // PutBucketTagging replaces the whole set: what the live bucket has, less
                // what goes, plus what changes, which is the desired set.
                let mut tags = step.live().map(|l| attr_map(l, TAGS)).unwrap_or_default();
                tags.retain(|k, _| !remove.contains(k));
                tags.extend(set);
                put_tags(a, name, tags).await?;
            }
        }
    }
    Ok(())
}

/// CreateBucket with the bucket's tags, so it is slsr's from its first moment. An answer
/// lost after S3 made it is settled by the retry: S3 says the caller owns the bucket
/// already (in us-east-1 it answers the repeat with success). Either way the bucket must
/// carry this service and stage's tags, which only a bucket slsr made has: one someone else
/// made since the plan is left alone.
async fn create(a: &Applier, r: &Resource) -> Result<(), AwsError> {
    let name = r.name.as_str();
    let mut config =
        CreateBucketConfiguration::builder().set_tags(Some(tag_set(attr_map(r, TAGS), name)?));
    // us-east-1 takes no location constraint; every other region must be named.
    if let Some(region) =
        a.s3.config()
            .region()
            .map(|r| r.to_string())
            .filter(|r| r != "us-east-1")
    {
        config = config.location_constraint(BucketLocationConstraint::from(region.as_str()));
    }
    a.s3.create_bucket()
        .bucket(name)
        .create_bucket_configuration(config.build())
        .send()
        .await
        .or_exists("CreateBucket", name)?;
    if a.dry {
        return Ok(());
    }
    let tags = tags_of(a, name).await?;
    ensure_ours("CreateBucket", r, &tags)
}

/// The bucket's whole tag set: `tags`, and AWS's own `aws:` tags as the bucket has them
/// (CloudFormation's stack tags), which PutBucketTagging refuses to drop and nobody may
/// set. No tag at all (a release of a bucket with no other tag) is DeleteBucketTagging.
async fn put_tags(a: &Applier, name: &str, tags: HashMap<String, String>) -> Result<(), AwsError> {
    let system = tags_of(a, name).await?;
    let tags = with_system_tags(tags, &system);
    if tags.is_empty() {
        a.s3.delete_bucket_tagging()
            .bucket(name)
            .send()
            .await
            .map_err(|e| AwsError::new("DeleteBucketTagging", name, e))?;
        return Ok(());
    }
    let tagging = built(
        Tagging::builder()
            .set_tag_set(Some(tag_set(tags, name)?))
            .build(),
        "PutBucketTagging",
        name,
    )?;
    a.s3.put_bucket_tagging()
        .bucket(name)
        .tagging(tagging)
        .send()
        .await
        .map_err(|e| AwsError::new("PutBucketTagging", name, e))?;
    Ok(())
}

/// `tags` (never an `aws:` one) with the `aws:` tags of `live`.
fn with_system_tags(
    mut tags: HashMap<String, String>,
    live: &HashMap<String, String>,
) -> HashMap<String, String> {
    tags.retain(|k, _| !k.starts_with("aws:"));
    tags.extend(
        live.iter()
            .filter(|(k, _)| k.starts_with("aws:"))
            .map(|(k, v)| (k.clone(), v.clone())),
    );
    tags
}

/// A bucket's tags; none when it has no tag set.
pub async fn tags_of(a: &Applier, name: &str) -> Result<HashMap<String, String>, AwsError> {
    match a.s3.get_bucket_tagging().bucket(name).send().await {
        Ok(out) => Ok(out
            .tag_set()
            .iter()
            .map(|t| (t.key().to_string(), t.value().to_string()))
            .collect()),
        Err(e) if aws_sdk_s3::error::ProvideErrorMetadata::code(&e) == Some("NoSuchTagSet") => {
            Ok(HashMap::new())
        }
        Err(e) => Err(AwsError::new("GetBucketTagging", name, e)),
    }
}

async fn put_public_access_block(a: &Applier, name: &str) -> Result<(), AwsError> {
    let block = PublicAccessBlockConfiguration::builder()
        .block_public_acls(true)
        .ignore_public_acls(true)
        .block_public_policy(true)
        .restrict_public_buckets(true)
        .build();
    a.s3.put_public_access_block()
        .bucket(name)
        .public_access_block_configuration(block)
        .send()
        .await
        .map_err(|e| AwsError::new("PutPublicAccessBlock", name, e))?;
    Ok(())
}

async fn put_encryption(a: &Applier, r: &Resource) -> Result<(), AwsError> {
    let name = r.name.as_str();
    let algorithm = match attr_str(r, ENCRYPTION) {
        a if a.is_empty() => SSE_S3.to_string(),
        a => a,
    };
    let default = built(
        ServerSideEncryptionByDefault::builder()
            .sse_algorithm(ServerSideEncryption::from(algorithm.as_str()))
            .set_kms_master_key_id(attr_opt(r, KMS_KEY))
            .build(),
        "PutBucketEncryption",
        name,
    )?;
    let rule = ServerSideEncryptionRule::builder()
        .apply_server_side_encryption_by_default(default)
        .build();
    let config = built(
        ServerSideEncryptionConfiguration::builder()
            .rules(rule)
            .build(),
        "PutBucketEncryption",
        name,
    )?;
    a.s3.put_bucket_encryption()
        .bucket(name)
        .server_side_encryption_configuration(config)
        .send()
        .await
        .map_err(|e| AwsError::new("PutBucketEncryption", name, e))?;
    Ok(())
}

/// Versioning on, or suspended: once on, S3 can only suspend it.
async fn put_versioning(a: &Applier, r: &Resource) -> Result<(), AwsError> {
    let name = r.name.as_str();
    let status = match attr_bool(r, VERSIONING) {
        true => BucketVersioningStatus::Enabled,
        false => BucketVersioningStatus::Suspended,
    };
    a.s3.put_bucket_versioning()
        .bucket(name)
        .versioning_configuration(VersioningConfiguration::builder().status(status).build())
        .send()
        .await
        .map_err(|e| AwsError::new("PutBucketVersioning", name, e))?;
    Ok(())
}

/// The resource's lifecycle rules, by prefix, as the spec's fields.
fn lifecycle_rules(r: &Resource) -> BTreeMap<String, BTreeMap<String, i32>> {
    let mut rules: BTreeMap<String, BTreeMap<String, i32>> = BTreeMap::new();
    for (path, value) in &r.attrs {
        let Some((prefix, field)) = parse_lifecycle_attr(path) else {
            continue;
        };
        let rule = rules.entry(prefix).or_default();
        if let Some(days) = value.as_i64() {
            rule.insert(field.to_string(), days as i32);
        }
    }
    rules
}

/// The bucket's lifecycle configuration, whole (PutBucketLifecycleConfiguration replaces
/// it). Without rules: nothing on a new bucket, and the configuration removed on an update
/// (`remove`). Each rule's id is `slsr-` and a hash of its prefix.
async fn put_lifecycle(a: &Applier, r: &Resource, remove: bool) -> Result<(), AwsError> {
    let name = r.name.as_str();
    let rules = lifecycle_rules(r);
    if rules.is_empty() {
        if remove {
            a.s3.delete_bucket_lifecycle()
                .bucket(name)
                .send()
                .await
                .map_err(|e| AwsError::new("DeleteBucketLifecycle", name, e))?;
        }
        return Ok(());
    }
    let mut built_rules = Vec::new();
    for (prefix, fields) in rules {
        let mut rule = LifecycleRule::builder()
            .id(format!("slsr-{}", short_hash(&prefix)))
            .filter(LifecycleRuleFilter::builder().prefix(prefix).build())
            .status(ExpirationStatus::Enabled);
        if let Some(days) = fields.get(EXPIRE_DAYS) {
            rule = rule.expiration(LifecycleExpiration::builder().days(*days).build());
        }
        if let Some(days) = fields.get(NONCURRENT_EXPIRE_DAYS) {
            rule = rule.noncurrent_version_expiration(
                NoncurrentVersionExpiration::builder()
                    .noncurrent_days(*days)
                    .build(),
            );
        }
        if let Some(days) = fields.get(ABORT_INCOMPLETE_UPLOAD_DAYS) {
            rule = rule.abort_incomplete_multipart_upload(
                AbortIncompleteMultipartUpload::builder()
                    .days_after_initiation(*days)
                    .build(),
            );
        }
        built_rules.push(built(
            rule.build(),
            "PutBucketLifecycleConfiguration",
            name,
        )?);
    }
    let config = built(
        BucketLifecycleConfiguration::builder()
            .set_rules(Some(built_rules))
            .build(),
        "PutBucketLifecycleConfiguration",
        name,
    )?;
    a.s3.put_bucket_lifecycle_configuration()
        .bucket(name)
        .lifecycle_configuration(config)
        .send()
        .await
        .map_err(|e| AwsError::new("PutBucketLifecycleConfiguration", name, e))?;
    Ok(())
}

/// The resource's CORS rules, in order, as lists of strings and a maximum age.
fn cors_rules(r: &Resource) -> BTreeMap<usize, BTreeMap<String, Value>> {
    let mut rules: BTreeMap<usize, BTreeMap<String, Value>> = BTreeMap::new();
    for (path, value) in &r.attrs {
        if let Some((index, field)) = parse_cors_attr(path) {
            rules
                .entry(index)
                .or_default()
                .insert(field.to_string(), value.clone());
        }
    }
    rules
}

/// The bucket's CORS configuration, whole (PutBucketCors replaces it); without rules,
/// nothing on a new bucket and the configuration removed on an update (`remove`).
async fn put_cors(a: &Applier, r: &Resource, remove: bool) -> Result<(), AwsError> {
    let name = r.name.as_str();
    let rules = cors_rules(r);
    if rules.is_empty() {
        if remove {
            a.s3.delete_bucket_cors()
                .bucket(name)
                .send()
                .await
                .map_err(|e| AwsError::new("DeleteBucketCors", name, e))?;
        }
        return Ok(());
    }
    let list = |fields: &BTreeMap<String, Value>, field: &str| -> Option<Vec<String>> {
        let items: Vec<String> = fields
            .get(field)
            .and_then(Value::as_array)
            .map(|items| {
                items
                    .iter()
                    .filter_map(|v| v.as_str().map(str::to_string))
                    .collect()
            })
            .unwrap_or_default();
        (!items.is_empty()).then_some(items)
    };
    let mut built_rules = Vec::new();
    for fields in rules.values() {
        let rule = CorsRule::builder()
            .set_allowed_origins(list(fields, ALLOW_ORIGINS))
            .set_allowed_methods(list(fields, ALLOW_METHODS))
            .set_allowed_headers(list(fields, ALLOW_HEADERS))
            .set_expose_headers(list(fields, EXPOSE_HEADERS))
            .set_max_age_seconds(
                fields
                    .get(MAX_AGE)
                    .and_then(Value::as_i64)
                    .map(|v| v as i32),
            )
            .build();
        built_rules.push(built(rule, "PutBucketCors", name)?);
    }
    let config = built(
        CorsConfiguration::builder()
            .set_cors_rules(Some(built_rules))
            .build(),
        "PutBucketCors",
        name,
    )?;
    a.s3.put_bucket_cors()
        .bucket(name)
        .cors_configuration(config)
        .send()
        .await
        .map_err(|e| AwsError::new("PutBucketCors", name, e))?;
    Ok(())
}

/// The most keys one DeleteObjects takes, and the page size of the listings here.
const BATCH: usize = 1000;

/// Empties the bucket so that it can be deleted: every unfinished multipart upload
/// aborted (they block DeleteBucket and are not versions), then every object version and
/// delete marker deleted, up to 1000 a call. Each round lists from the start again, so
/// that what was deleted never has to serve as a page's marker.
async fn empty(a: &Applier, name: &str) -> Result<(), AwsError> {
    for (key, upload) in uploads(a, name).await? {
        a.s3.abort_multipart_upload()
            .bucket(name)
            .key(&key)
            .upload_id(&upload)
            .send()
            .await
            .or_gone("AbortMultipartUpload", &format!("{name}/{key}"))?;
    }
    let mut previous: Option<(String, usize)> = None;
    loop {
        let batch = versions(a, name).await?;
        if batch.is_empty() {
            return Ok(());
        }
        let count = batch.len();
        let delete = built(
            Delete::builder()
                .set_objects(Some(batch))
                .quiet(true)
                .build(),
            "DeleteObjects",
            name,
        )?;
        let out =
            a.s3.delete_objects()
                .bucket(name)
                .delete(delete.clone())
                .send()
                .await
                .map_err(|e| AwsError::new("DeleteObjects", name, e))?;
        if let Some(failed) = out.errors().first() {
            return Err(AwsError {
                operation: "DeleteObjects",
                target: format!("{name}/{}", failed.key().unwrap_or_default()),
                message: format!(
                    "{}: {} ({} of {count} objects not deleted)",
                    failed.code().unwrap_or("Error"),
                    failed.message().unwrap_or_default(),
                    out.errors().len()
                ),
            });
        }
        // S3 said every one was deleted; the same first one listed again would mean it was
        // not, and another round would be the same.
        let first = (batch_key(&delete), count);
        if previous.as_ref() == Some(&first) {
            return Err(AwsError {
                operation: "DeleteObjects",
                target: name.to_string(),
                message: format!("{} is still listed after it was deleted", first.0),
            });
        }
        previous = Some(first);
    }
}

fn batch_key(delete: &Delete) -> String {
    delete.objects().first().map_or(String::new(), |o| {
        format!("{} {}", o.key(), o.version_id().unwrap_or("null"))
    })
}

/// The bucket's unfinished multipart uploads, every page: (key, upload id).
async fn uploads(a: &Applier, name: &str) -> Result<Vec<(String, String)>, AwsError> {
    let mut all = Vec::new();
    let (mut key_marker, mut id_marker): (Option<String>, Option<String>) = (None, None);
    loop {
        a.lookups.count("S3.ListMultipartUploads");
        let out =
            a.s3.list_multipart_uploads()
                .bucket(name)
                .max_uploads(BATCH as i32)
                .set_key_marker(key_marker.clone())
                .set_upload_id_marker(id_marker.clone())
                .send()
                .await
                .map_err(|e| AwsError::new("ListMultipartUploads", name, e))?;
        all.extend(
            out.uploads()
                .iter()
                .filter_map(|u| Some((u.key()?.to_string(), u.upload_id()?.to_string()))),
        );
        let next = (
            out.next_key_marker().map(str::to_string),
            out.next_upload_id_marker().map(str::to_string),
        );
        if out.is_truncated() != Some(true) || next.0.is_none() {
            return Ok(all);
        }
        if next == (key_marker.clone(), id_marker.clone()) {
            return Err(stuck("ListMultipartUploads", name));
        }
        (key_marker, id_marker) = next;
    }
}

/// Up to `BATCH` object versions and delete markers of the bucket, from the first, across
/// as many pages as that takes.
async fn versions(a: &Applier, name: &str) -> Result<Vec<ObjectIdentifier>, AwsError> {
    let mut batch = Vec::new();
    let (mut key_marker, mut version_marker): (Option<String>, Option<String>) = (None, None);
    loop {
        a.lookups.count("S3.ListObjectVersions");
        let out =
            a.s3.list_object_versions()
                .bucket(name)
                .max_keys((BATCH - batch.len()) as i32)
                .set_key_marker(key_marker.clone())
                .set_version_id_marker(version_marker.clone())
                .send()
                .await
                .map_err(|e| AwsError::new("ListObjectVersions", name, e))?;
        let found = out
            .versions()
            .iter()
            .map(|v| (v.key(), v.version_id()))
            .chain(
                out.delete_markers()
                    .iter()
                    .map(|m| (m.key(), m.version_id())),
            );
        for (key, version) in found {
            let Some(key) = key else { continue };
            let id = ObjectIdentifier::builder()
                .key(key)
                .set_version_id(version.map(str::to_string))
                .build();
            batch.push(built(id, "DeleteObjects", name)?);
        }
        let next = (
            out.next_key_marker().map(str::to_string),
            out.next_version_id_marker().map(str::to_string),
        );
        if out.is_truncated() != Some(true) || batch.len() >= BATCH || next.0.is_none() {
            batch.truncate(BATCH);
            return Ok(batch);
        }
        if next == (key_marker.clone(), version_marker.clone()) {
            return Err(stuck("ListObjectVersions", name));
        }
        (key_marker, version_marker) = next;
    }
}

/// A listing whose next page would be the one just read: failed, never an endless loop.
fn stuck(operation: &'static str, name: &str) -> AwsError {
    AwsError {
        operation,
        target: name.to_string(),
        message: "the same page markers came back twice".into(),
    }
}

#[cfg(test)]
mod tests {
    use std::collections::HashMap;

    use aws_sdk_s3::types::{LifecycleRuleAndOperator, Transition, TransitionStorageClass};

    use super::*;

    fn desired_of(text: &str) -> State {
        crate::engine::desired::testing::desired(text, "us-east-1")
    }

    fn rule(prefix: &str) -> aws_sdk_s3::types::builders::LifecycleRuleBuilder {
        LifecycleRule::builder()
            .id(format!("x-{prefix}"))
            .filter(LifecycleRuleFilter::builder().prefix(prefix).build())
            .status(ExpirationStatus::Enabled)
    }

    #[test]
    fn a_bucket_read_back_as_slsr_made_it_is_no_change() {
        let desired = desired_of(
            "service: shop
tags: {team: core}
buckets:
  uploads:
    versioning: true
    lifecycle: [{prefix: tmp/, expire_days: 7}, {noncurrent_expire_days: 30}]
    cors: [{allow_origins: ['https://b.example', 'https://a.example'], allow_methods: [PUT, GET]}]
    tags: {team: media}
",
        );
        // As S3 answers for it: rules in another order, no encryption configuration (the
        // SSE-S3 default), lists in S3's order.
        let answers = Answers {
            tags: [
                ("team", "media"),
                ("slsr:service", "shop"),
                ("slsr:stage", "dev"),
                ("aws:cloudformation:stack-name", "old"),
            ]
            .into_iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect(),
            versioning: Some(BucketVersioningStatus::Enabled),
            lifecycle: vec![
                rule("")
                    .noncurrent_version_expiration(
                        NoncurrentVersionExpiration::builder()
                            .noncurrent_days(30)
                            .build(),
                    )
                    .build()
                    .unwrap(),
                rule("tmp/")
                    .expiration(LifecycleExpiration::builder().days(7).build())
                    .build()
                    .unwrap(),
            ],
            cors: vec![
                CorsRule::builder()
                    .allowed_origins("https://a.example")
                    .allowed_origins("https://b.example")
                    .allowed_methods("PUT")
                    .allowed_methods("GET")
                    .build()
                    .unwrap(),
            ],
            encryption: None,
            public_access_block: Some(
                PublicAccessBlockConfiguration::builder()
                    .block_public_acls(true)
                    .ignore_public_acls(true)
                    .block_public_policy(true)
                    .restrict_public_buckets(true)
                    .build(),
            ),
        };
        let mut live = State::default();
        live.insert(super::live(
            "uploads",
            "shop-dev-uploads-123456789012",
            &answers,
        ));
        let want = desired.resources["bucket.uploads"].clone();
        let mut only = State::default();
        only.insert(want.clone());
        let plan = crate::engine::plan::plan(&only, &live);
        assert!(!plan.has_changes(), "{:?}", plan.changes[0].diffs);
        assert_eq!(
            want.attrs["tags.team"], "media",
            "the bucket's own tag wins"
        );
    }

    #[test]
    fn a_live_rule_the_spec_cannot_say_shows_what_it_does() {
        let answers = Answers {
            lifecycle: vec![
                LifecycleRule::builder()
                    .filter(
                        LifecycleRuleFilter::builder()
                            .and(
                                LifecycleRuleAndOperator::builder()
                                    .prefix("logs/")
                                    .tags(Tag::builder().key("k").value("v").build().unwrap())
                                    .build(),
                            )
                            .build(),
                    )
                    .status(ExpirationStatus::Disabled)
                    .transitions(
                        Transition::builder()
                            .days(30)
                            .storage_class(TransitionStorageClass::Glacier)
                            .build(),
                    )
                    .build()
                    .unwrap(),
                rule("logs/").build().unwrap(),
            ],
            ..Answers::default()
        };
        let r = live("b", "b", &answers);
        assert_eq!(
            r.attrs[&lifecycle_attr("logs/", OTHER)],
            "disabled, a tag filter, storage class transitions, a second rule for this prefix (x-logs/)"
        );
        // Without a configuration: S3's defaults, the public access block off.
        assert_eq!(r.attrs[ENCRYPTION], SSE_S3);
        assert_eq!(r.attrs[&public_access_attr("block_public_acls")], false);
    }

    #[test]
    fn a_tag_set_keeps_awss_own_tags_as_the_bucket_has_them() {
        let map = |pairs: &[(&str, &str)]| -> HashMap<String, String> {
            pairs
                .iter()
                .map(|(k, v)| (k.to_string(), v.to_string()))
                .collect()
        };
        let live = map(&[
            ("aws:cloudformation:stack-name", "legacy"),
            ("owner", "data"),
        ]);
        assert_eq!(
            with_system_tags(map(&[("slsr:service", "shop"), ("aws:forged", "x")]), &live),
            map(&[
                ("slsr:service", "shop"),
                ("aws:cloudformation:stack-name", "legacy")
            ])
        );
        assert!(with_system_tags(HashMap::new(), &map(&[("owner", "data")])).is_empty());
    }

    #[test]
    fn any_prefix_reads_back_from_its_attribute() {
        for prefix in ["", "tmp/", "a].b", "quo\"te", "lifecycle[\"x\"]."] {
            let path = lifecycle_attr(prefix, EXPIRE_DAYS);
            assert_eq!(
                parse_lifecycle_attr(&path),
                Some((prefix.to_string(), EXPIRE_DAYS)),
                "{path}"
            );
        }
        assert_eq!(parse_cors_attr("cors[12].max_age"), Some((12, MAX_AGE)));
        assert_eq!(parse_cors_attr("cors.x"), None);
    }
}
