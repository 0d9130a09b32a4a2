//! S3: the service's buckets, and slsr's entries in the notification documents of the
//! buckets its `s3` events use.
//!
//! Buckets: ListBuckets (every page), kept when the name is `{service}-{stage}-{name}-`
//! and 12 digits, a name the spec declares exactly, or one the Resource Groups Tagging API
//! says carries this service and stage's tags (`tagged`: an exactly named bucket that left
//! the spec, known by its name); then per bucket GetBucketTagging,
//! and for one with slsr's tags GetBucketVersioning, GetBucketLifecycleConfiguration,
//! GetBucketCors, GetBucketEncryption and GetPublicAccessBlock. S3's "no such
//! configuration" answers are S3's defaults. A bucket in another region is never read (its
//! calls would go to another endpoint): the spec wanting it is a conflict.
//!
//! Notifications (`notifications`, after the other reads): GetBucketNotificationConfiguration
//! for each bucket the spec's events name, and for each bucket a statement of slsr's on an
//! owned function lets S3 invoke it from, so that an event that left the spec (or `destroy`)
//! still finds slsr's entries to remove. Entries with an Id starting `slsr-{service}-{stage}-`
//! are slsr's; every other entry, and the EventBridge setting, is kept.

use std::collections::{BTreeMap, HashMap};

use aws_sdk_s3::error::ProvideErrorMetadata;

use super::{Live, Reader, Scope, conflict};
use crate::aws::{AwsError, pages};
use crate::engine::model::{Conflict, Kind, Resource, State, address};
use crate::kinds::{attr_str, bucket, bucket_notification, permission};

/// The service's buckets in this region, and the conflicts.
pub async fn read(r: &Reader, scope: &Scope, wanted: &State) -> Result<Live, AwsError> {
    let listing = async {
        pages::all(
            &r.calls,
            "S3.ListBuckets",
            r.s3.list_buckets()
                .max_buckets(1000)
                .into_paginator()
                .send(),
        )
        .await
        .map_err(|e| AwsError::new("ListBuckets", "S3 buckets", e))
    };
    let (listed, tagged) = tokio::try_join!(
        listing,
        super::tagged::names(r, scope, &super::tagged::BUCKETS)
    )?;
    let region = r.s3.config().region().map(|r| r.to_string());
    // A declared name is found as it is; `{service}-{stage}-{name}-{account_id}` by its form
    // (the account is not known yet: the read goes alongside the call that says it).
    let exact: HashMap<&str, &str> = wanted
        .resources
        .values()
        .filter(|w| w.kind == Kind::Bucket)
        .map(|w| (w.name.as_str(), w.key.as_str()))
        .collect();
    let mut live = Live::default();
    let mut tasks = tokio::task::JoinSet::new();
    for b in listed.iter().flat_map(|page| page.buckets()) {
        let Some(name) = b.name() else { continue };
        // A bucket that carries the tags under a name the spec no longer declares (an exact
        // `name` removed from the spec) is known by that name.
        let Some(key) = exact
            .get(name)
            .map(|k| k.to_string())
            .or_else(|| default_key(scope, name))
            .or_else(|| tagged.iter().find(|t| *t == name).cloned())
        else {
            continue;
        };
        let at = address(Kind::Bucket, &key);
        if let (Some(there), Some(here)) = (b.bucket_region(), region.as_deref())
            && there != here
        {
            if wanted.resources.contains_key(&at) {
                live.state.conflicts.push(Conflict {
                    address: at,
                    name: name.to_string(),
                    reason: format!("a bucket of that name exists in region {there}, and this plan is for {here}; bucket names are global: give the bucket another `name`, or deploy to {there}"),
                });
            }
            continue;
        }
        let (r, name) = (r.clone(), name.to_string());
        let (owns, at) = (scope.clone(), at.clone());
        tasks.spawn(async move {
            let _slot = r.slot().await;
            r.calls.count("S3.GetBucketTagging");
            let tags = match r.s3.get_bucket_tagging().bucket(&name).send().await {
                Ok(out) => out
                    .tag_set()
                    .iter()
                    .map(|t| (t.key().to_string(), t.value().to_string()))
                    .collect(),
                Err(e) if e.code() == Some("NoSuchTagSet") => HashMap::new(),
                // Deleted since it was listed.
                Err(e) if e.code() == Some("NoSuchBucket") => return Ok(None),
                Err(e) => return Err(AwsError::new("GetBucketTagging", name, e)),
            };
            // `slsr adopt` reads the bucket it takes over as slsr's already.
            if !owns.owns_at(&at, &tags) {
                return Ok(Some((key, name, None)));
            }
            let answers = configuration(&r, &name, tags).await?;
            Ok::<_, AwsError>(Some((key, name, Some(answers))))
        });
    }
    while let Some(joined) = tasks.join_next().await {
        let Some((key, name, answers)) = joined.expect("a read task does not panic")? else {
            continue;
        };
        let at = address(Kind::Bucket, &key);
        match answers {
            Some(answers) => live.add(vec![bucket::live(&key, &name, &answers)], vec![]),
            None if wanted.resources.contains_key(&at) => {
                live.state.conflicts.push(conflict(at, &name, scope))
            }
            None => {}
        }
    }
    Ok(live)
}

/// The spec's name of a bucket named `{service}-{stage}-{name}-{12 digits}`.
fn default_key(scope: &Scope, name: &str) -> Option<String> {
    let rest = scope.logical(name)?;
    let (key, account) = rest.rsplit_once('-')?;
    (account.len() == 12 && account.bytes().all(|b| b.is_ascii_digit()) && !key.is_empty())
        .then(|| key.to_string())
}

/// Whether an S3 error says the bucket has no configuration of that kind.
fn none<E: ProvideErrorMetadata>(e: &E, code: &str) -> bool {
    e.code() == Some(code)
}

/// An owned bucket's configuration: five reads at once.
async fn configuration(
    r: &Reader,
    name: &str,
    tags: HashMap<String, String>,
) -> Result<bucket::Answers, AwsError> {
    for op in [
        "S3.GetBucketVersioning",
        "S3.GetBucketLifecycleConfiguration",
        "S3.GetBucketCors",
        "S3.GetBucketEncryption",
        "S3.GetPublicAccessBlock",
    ] {
        r.calls.count(op);
    }
    let s3 = &r.s3;
    let (versioning, lifecycle, cors, encryption, block) = tokio::try_join!(
        async {
            s3.get_bucket_versioning()
                .bucket(name)
                .send()
                .await
                .map(|out| out.status().cloned())
                .map_err(|e| AwsError::new("GetBucketVersioning", name, e))
        },
        async {
            match s3
                .get_bucket_lifecycle_configuration()
                .bucket(name)
                .send()
                .await
            {
                Ok(out) => Ok(out.rules().to_vec()),
                Err(e) if none(&e, "NoSuchLifecycleConfiguration") => Ok(vec![]),
                Err(e) => Err(AwsError::new("GetBucketLifecycleConfiguration", name, e)),
            }
        },
        async {
            match s3.get_bucket_cors().bucket(name).send().await {
                Ok(out) => Ok(out.cors_rules().to_vec()),
                Err(e) if none(&e, "NoSuchCORSConfiguration") => Ok(vec![]),
                Err(e) => Err(AwsError::new("GetBucketCors", name, e)),
            }
        },
        async {
            match s3.get_bucket_encryption().bucket(name).send().await {
                Ok(out) => Ok(out
                    .server_side_encryption_configuration()
                    .and_then(|c| c.rules().first())
                    .and_then(|rule| rule.apply_server_side_encryption_by_default())
                    .cloned()),
                Err(e) if none(&e, "ServerSideEncryptionConfigurationNotFoundError") => Ok(None),
                Err(e) => Err(AwsError::new("GetBucketEncryption", name, e)),
            }
        },
        async {
            match s3.get_public_access_block().bucket(name).send().await {
                Ok(out) => Ok(out.public_access_block_configuration().cloned()),
                Err(e) if none(&e, "NoSuchPublicAccessBlockConfiguration") => Ok(None),
                Err(e) => Err(AwsError::new("GetPublicAccessBlock", name, e)),
            }
        },
    )?;
    Ok(bucket::Answers {
        tags,
        versioning,
        lifecycle,
        cors,
        encryption,
        public_access_block: block,
    })
}

/// A bucket whose notification document is read: its spec name (a declared bucket's key,
/// or `arn:aws:s3:::NAME`), and whether the spec wants notifications on it.
struct Document {
    key: String,
    wanted: bool,
}

/// slsr's entries in the notification documents of the buckets its events use, with the
/// entries and settings of others there as kept. `so_far` is what the other reads found:
/// the owned buckets, and slsr's statements that let S3 invoke an owned function.
pub async fn notifications(
    r: &Reader,
    scope: &Scope,
    wanted: &State,
    so_far: &State,
) -> Result<Live, AwsError> {
    let owned_buckets: BTreeMap<&str, &str> = so_far
        .resources
        .values()
        .filter(|b| b.kind == Kind::Bucket)
        .map(|b| (b.name.as_str(), b.key.as_str()))
        .collect();
    let mut documents: BTreeMap<String, Document> = BTreeMap::new();
    for w in wanted
        .resources
        .values()
        .filter(|w| w.kind == Kind::BucketNotification)
    {
        let name = match crate::spec::data_rules::foreign_bucket(&w.key) {
            Some(name) => name.to_string(),
            // A declared bucket's document, once the bucket exists as slsr's.
            None => match so_far.resources.get(&address(Kind::Bucket, &w.key)) {
                Some(b) => b.name.clone(),
                None => continue,
            },
        };
        documents.insert(
            name,
            Document {
                key: w.key.clone(),
                wanted: true,
            },
        );
    }
    for statement in so_far
        .resources
        .values()
        .filter(|p| p.kind == Kind::Permission && attr_str(p, permission::PRINCIPAL) == S3)
    {
        let source = attr_str(statement, permission::SOURCE_ARN);
        let Some(name) = crate::spec::data_rules::foreign_bucket(&source) else {
            continue;
        };
        documents
            .entry(name.to_string())
            .or_insert_with(|| Document {
                key: owned_buckets
                    .get(name)
                    .map_or_else(|| source.clone(), |k| k.to_string()),
                wanted: false,
            });
    }
    let mut tasks = tokio::task::JoinSet::new();
    for (name, document) in documents {
        let (r, scope) = (r.clone(), scope.clone());
        tasks.spawn(async move {
            let _slot = r.slot().await;
            r.calls.count("S3.GetBucketNotificationConfiguration");
            let out = match r
                .s3
                .get_bucket_notification_configuration()
                .bucket(&name)
                .send()
                .await
            {
                Ok(out) => out,
                Err(e) if e.code() == Some("NoSuchBucket") && !document.wanted => {
                    return Ok(None);
                }
                Err(e) if e.code() == Some("NoSuchBucket") => {
                    return Err(AwsError {
                        operation: "GetBucketNotificationConfiguration",
                        target: name,
                        message: format!(
                            "NoSuchBucket: the bucket that an s3 event names ({}) does not exist",
                            document.key
                        ),
                    });
                }
                Err(e) => return Err(AwsError::new("GetBucketNotificationConfiguration", name, e)),
            };
            let config = bucket_notification::configuration(&out);
            Ok(Some(bucket_notification::live(
                &document.key,
                &name,
                &config,
                &scope.prefix(),
                document.wanted,
            )))
        });
    }
    let mut live = Live::default();
    while let Some(joined) = tasks.join_next().await {
        if let Some((resource, kept)) = joined.expect("a read task does not panic")? {
            live.state.kept.extend(kept);
            live.add(resource.into_iter().collect::<Vec<Resource>>(), vec![]);
        }
    }
    Ok(live)
}

/// The principal of the statements that let S3 invoke a function.
const S3: &str = "s3.amazonaws.com";
