//! Kinesis data streams: `{service}-{stage}-{name}` or the exact `name` a stream declares,
//! with its capacity mode, shard count (provisioned), retention and KMS encryption, and
//! tags. Read with ListStreams (paged), DescribeStreamSummary and ListTagsForStream
//! (`aws/read/kinesis.rs`).
//!
//! A stream holds data: a change of its name replaces it, and removing it deletes it, which
//! the engine allows only with `--allow-data-loss`. Everything else changes in place, one
//! call each (UpdateStreamMode, UpdateShardCount, Increase/DecreaseStreamRetentionPeriod,
//! Start/StopStreamEncryption), waiting for the stream to be ACTIVE before and after each
//! one, as Kinesis takes one change at a time; a new stream is ACTIVE before what needs it
//! is made.

use std::collections::HashMap;
use std::time::Duration;

use aws_sdk_kinesis::error::ProvideErrorMetadata as _;
use aws_sdk_kinesis::types::{
    EncryptionType, ScalingType, StreamDescriptionSummary, StreamMode, StreamModeDetails,
    StreamStatus,
};
use serde_json::Value;

use super::{KindInfo, TAGS, Tags, attr_i32, attr_map, attr_opt, attr_str};
use crate::apply::{Applier, Settle, Step, tag_changes, write_tags};
use crate::aws::AwsError;
use crate::engine::desired::Builder;
use crate::engine::model::{Resource, State};
use crate::engine::plan::Action;
use crate::spec::model::{Event, Function, Stream, StreamMode as SpecMode};

pub static INFO: KindInfo = KindInfo {
    prefix: "stream",
    naming: "{service}-{stage}-{name}, or the `name` the stream declares",
    tags: Tags::Compared,
    // A stream's name (in its ARN) cannot change: another stream replaces it.
    replaced_by: &[ARN],
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
/// `on_demand` or `provisioned`.
pub const MODE: &str = "mode";
/// The open shards of a provisioned stream; null on demand (Kinesis decides them).
pub const SHARDS: &str = "shards";
pub const RETENTION_HOURS: &str = "retention_hours";
/// The KMS key of server-side encryption, or null when the stream is not encrypted.
pub const KMS_KEY: &str = "kms_key";

pub const ON_DEMAND: &str = "on_demand";
pub const PROVISIONED: &str = "provisioned";
/// Kinesis's default retention.
pub const DEFAULT_RETENTION_HOURS: u32 = 24;

/// How long a stream may take to become ACTIVE: a reshard of many shards takes a while.
const SETTLE_TIMEOUT: Duration = Duration::from_secs(1800);

impl Builder<'_> {
    /// A stream's physical name: the `name` it declares, else `{service}-{stage}-{name}`.
    pub fn stream_physical(&self, name: &str) -> String {
        self.declared_or_physical(name, self.p.streams.get(name).and_then(|s| s.name.as_ref()))
    }

    pub fn stream_arn(&self, name: &str) -> String {
        format!(
            "arn:aws:kinesis:{}:{}:stream/{}",
            self.t.region(),
            self.t.account(),
            self.stream_physical(name)
        )
    }

    /// The ARN a `kinesis` event reads: an ARN given, or a declared stream's.
    pub fn kinesis_source(&self, stream: &str) -> String {
        if stream.starts_with("arn:") {
            stream.to_string()
        } else {
            self.stream_arn(stream)
        }
    }
}

/// The mode a stream's spec asks for: provisioned with `shards` unless it says otherwise.
pub fn mode_of(s: &Stream) -> SpecMode {
    s.mode.unwrap_or(if s.shards.is_some() {
        SpecMode::Provisioned
    } else {
        SpecMode::OnDemand
    })
}

fn desired(b: &Builder, state: &mut State) {
    for (name, s) in &b.p.streams {
        let tags = b.tags_with(&s.tags);
        let (mode, shards) = match mode_of(s) {
            SpecMode::OnDemand => (ON_DEMAND, Value::Null),
            SpecMode::Provisioned => (PROVISIONED, Value::from(s.shards.unwrap_or(1))),
        };
        let r = Resource::new(super::Kind::Stream, name, b.stream_physical(name))
            .with(ARN, b.stream_arn(name))
            .with(MODE, mode)
            .with(SHARDS, shards)
            .with(
                RETENTION_HOURS,
                s.retention_hours.unwrap_or(DEFAULT_RETENTION_HOURS),
            )
            .with(
                KMS_KEY,
                s.encryption
                    .as_ref()
                    .map_or(Value::Null, |e| Value::from(e.kms_key.as_str())),
            )
            .with_map(TAGS, &tags);
        state.insert(r);
    }
}

/// A stream as DescribeStreamSummary and ListTagsForStream have it.
pub fn live(key: &str, s: &StreamDescriptionSummary, tags: &HashMap<String, String>) -> Resource {
    let on_demand = s
        .stream_mode_details()
        .is_some_and(|m| *m.stream_mode() == StreamMode::OnDemand);
    let (mode, shards) = if on_demand {
        (ON_DEMAND, Value::Null)
    } else {
        (PROVISIONED, Value::from(s.open_shard_count()))
    };
    let kms_key = match s.encryption_type() {
        Some(EncryptionType::Kms) => s.key_id().map_or(Value::Null, Value::from),
        _ => Value::Null,
    };
    let mut r = Resource::new(super::Kind::Stream, key, s.stream_name())
        .with(ARN, s.stream_arn())
        .with(MODE, mode)
        .with(SHARDS, shards)
        .with(RETENTION_HOURS, s.retention_period_hours())
        .with(KMS_KEY, kms_key);
    r = r.with_map(TAGS, tags);
    r
}

/// A live KMS key written as the spec writes it when both name the same key: AWS may answer
/// a key's ARN for the id or alias the spec gave (`arn:aws:kms:R:A:key/ID` for `ID`,
/// `...:alias/NAME` for `alias/NAME`), which is no change.
pub fn key_as_the_spec_names_it(live: &mut Resource, wanted: Option<&Resource>, attribute: &str) {
    let (Some(have), Some(want)) = (
        attr_opt(live, attribute),
        wanted.and_then(|w| attr_opt(w, attribute)),
    ) else {
        return;
    };
    let suffix = |arn: &str, short: &str| {
        arn.starts_with("arn:")
            && (arn.ends_with(&format!(":key/{short}")) || arn.ends_with(&format!(":{short}")))
    };
    if have != want && (suffix(&have, &want) || suffix(&want, &have)) {
        live.attrs.insert(attribute.to_string(), Value::from(want));
    }
}

// ---------------------------------------------------------------------------------------------
// What a function's generated role gets for streams.

/// What Lambda's poller needs to read each Kinesis stream the function consumes, on that
/// stream only (as AWSLambdaKinesisExecutionRole, without its `*`), and to send what fails
/// to its on-failure queue.
pub fn kinesis_reads(b: &Builder, f: &Function) -> Vec<Value> {
    const READS: [&str; 6] = [
        "kinesis:DescribeStream",
        "kinesis:DescribeStreamSummary",
        "kinesis:GetRecords",
        "kinesis:GetShardIterator",
        "kinesis:ListShards",
        "kinesis:ListStreams",
    ];
    let mut statements = Vec::new();
    for event in f.events.iter().flatten() {
        let Event::Kinesis(k) = event else { continue };
        statements.push(allow(&READS, b.kinesis_source(&k.stream)));
        if let Some(on_failure) = &k.on_failure {
            statements.push(allow(&["sqs:SendMessage"], b.queue_arn(&on_failure.queue)));
        }
    }
    statements
}

/// `access: {stream.NAME: write}`: putting records on that stream.
pub fn write_grant(b: &Builder, name: &str) -> Value {
    allow(
        &["kinesis:PutRecord", "kinesis:PutRecords"],
        b.stream_arn(name),
    )
}

fn allow(actions: &[&str], resource: String) -> Value {
    let mut actions: Vec<&str> = actions.to_vec();
    actions.sort();
    serde_json::json!({"Effect": "Allow", "Action": actions, "Resource": [resource]})
}

// ---------------------------------------------------------------------------------------------
// The writer.

async fn apply(a: &Applier, step: &Step) -> Result<(), AwsError> {
    match step.action {
        Action::Create => create(a, step).await,
        Action::Delete => {
            let r = step.resource();
            a.kinesis
                .delete_stream()
                .stream_arn(attr_str(r, ARN))
                .send()
                .await
                .or_gone("DeleteStream", &r.name)
        }
        _ => update(a, step).await,
    }
}

fn mode_details(mode: &str) -> Result<StreamModeDetails, AwsError> {
    let mode = if mode == ON_DEMAND {
        StreamMode::OnDemand
    } else {
        StreamMode::Provisioned
    };
    StreamModeDetails::builder()
        .stream_mode(mode.clone())
        .build()
        .map_err(|e| AwsError {
            operation: "a Kinesis request",
            target: mode_word(&mode).into(),
            message: e.to_string(),
        })
}

fn mode_word(mode: &StreamMode) -> &'static str {
    match mode {
        StreamMode::OnDemand => ON_DEMAND,
        _ => PROVISIONED,
    }
}

async fn create(a: &Applier, step: &Step) -> Result<(), AwsError> {
    let r = step.resource();
    let name = r.name.as_str();
    let mode = attr_str(r, MODE);
    // Tagged as it is made, so a stream slsr made is never without its tags.
    let created = a
        .kinesis
        .create_stream()
        .stream_name(name)
        .stream_mode_details(mode_details(&mode)?)
        .set_shard_count((mode == PROVISIONED).then(|| attr_i32(r, SHARDS).unwrap_or(1)))
        .set_tags(Some(attr_map(r, TAGS)))
        .send()
        .await;
    match created {
        Ok(_) => {}
        // Kinesis's "exists": a lost answer's first attempt made it, or someone else has the
        // name.
        Err(e) if e.code() == Some("ResourceInUseException") => {
            let tags = tags_of(&a.kinesis, None, &attr_str(r, ARN)).await?;
            crate::apply::ensure_ours("CreateStream", r, &tags)?;
        }
        Err(e) => return Err(AwsError::new("CreateStream", name, e)),
    }
    let arn = attr_str(r, ARN);
    active(a, &arn).await?;
    let retention = attr_i32(r, RETENTION_HOURS).unwrap_or(DEFAULT_RETENTION_HOURS as i32);
    if retention != DEFAULT_RETENTION_HOURS as i32 {
        set_retention(a, &arn, DEFAULT_RETENTION_HOURS as i32, retention).await?;
    }
    if let Some(key) = attr_opt(r, KMS_KEY) {
        start_encryption(a, &arn, &key).await?;
    }
    Ok(())
}

async fn update(a: &Applier, step: &Step) -> Result<(), AwsError> {
    let r = step.resource();
    let arn = attr_str(r, ARN);
    let live = step.live();
    active(a, &arn).await?;
    if step.changes(MODE) {
        a.kinesis
            .update_stream_mode()
            .stream_arn(&arn)
            .stream_mode_details(mode_details(&attr_str(r, MODE))?)
            .send()
            .await
            .map_err(|e| AwsError::new("UpdateStreamMode", &r.name, e))?;
        active(a, &arn).await?;
    }
    // Switched to provisioned, a stream keeps the shards it had: the count is compared with
    // what it has now, read again.
    if let Some(shards) = attr_i32(r, SHARDS) {
        let have = if step.changes(MODE) {
            open_shards(a, &arn).await?
        } else {
            live.and_then(|l| attr_i32(l, SHARDS))
        };
        if have.is_some_and(|h| h != shards) {
            a.kinesis
                .update_shard_count()
                .stream_arn(&arn)
                .target_shard_count(shards)
                .scaling_type(ScalingType::UniformScaling)
                .send()
                .await
                .map_err(|e| AwsError::new("UpdateShardCount", &r.name, e))?;
            active(a, &arn).await?;
        }
    }
    if step.changes(RETENTION_HOURS) {
        let have = live
            .and_then(|l| attr_i32(l, RETENTION_HOURS))
            .unwrap_or(DEFAULT_RETENTION_HOURS as i32);
        let want = attr_i32(r, RETENTION_HOURS).unwrap_or(DEFAULT_RETENTION_HOURS as i32);
        set_retention(a, &arn, have, want).await?;
    }
    if step.changes(KMS_KEY) {
        match attr_opt(r, KMS_KEY) {
            Some(key) => start_encryption(a, &arn, &key).await?,
            None => {
                let key = live.and_then(|l| attr_opt(l, KMS_KEY)).unwrap_or_default();
                a.kinesis
                    .stop_stream_encryption()
                    .stream_arn(&arn)
                    .encryption_type(EncryptionType::Kms)
                    .key_id(key)
                    .send()
                    .await
                    .map_err(|e| AwsError::new("StopStreamEncryption", &r.name, e))?;
                active(a, &arn).await?;
            }
        }
    }
    write_tags(
        tag_changes(step),
        &r.name,
        ("AddTagsToStream", |set| {
            a.kinesis
                .add_tags_to_stream()
                .stream_arn(&arn)
                .set_tags(Some(set))
                .send()
        }),
        ("RemoveTagsFromStream", |keys| {
            a.kinesis
                .remove_tags_from_stream()
                .stream_arn(&arn)
                .set_tag_keys(Some(keys))
                .send()
        }),
    )
    .await
}

/// Retention goes up and down through two calls.
async fn set_retention(a: &Applier, arn: &str, have: i32, want: i32) -> Result<(), AwsError> {
    if want > have {
        a.kinesis
            .increase_stream_retention_period()
            .stream_arn(arn)
            .retention_period_hours(want)
            .send()
            .await
            .map_err(|e| AwsError::new("IncreaseStreamRetentionPeriod", arn, e))?;
    } else if want < have {
        a.kinesis
            .decrease_stream_retention_period()
            .stream_arn(arn)
            .retention_period_hours(want)
            .send()
            .await
            .map_err(|e| AwsError::new("DecreaseStreamRetentionPeriod", arn, e))?;
    }
    active(a, arn).await
}

async fn start_encryption(a: &Applier, arn: &str, key: &str) -> Result<(), AwsError> {
    a.kinesis
        .start_stream_encryption()
        .stream_arn(arn)
        .encryption_type(EncryptionType::Kms)
        .key_id(key)
        .send()
        .await
        .map_err(|e| AwsError::new("StartStreamEncryption", arn, e))?;
    active(a, arn).await
}

/// The stream's summary; `None` in a dry run, whose answers describe no stream.
async fn summary(a: &Applier, arn: &str) -> Result<Option<StreamDescriptionSummary>, AwsError> {
    let out = a
        .kinesis
        .describe_stream_summary()
        .stream_arn(arn)
        .send()
        .await
        .map_err(|e| AwsError::new("DescribeStreamSummary", arn, e))?;
    Ok(out.stream_description_summary)
}

async fn open_shards(a: &Applier, arn: &str) -> Result<Option<i32>, AwsError> {
    Ok(summary(a, arn).await?.map(|s| s.open_shard_count()))
}

/// Waits until the stream is ACTIVE: Kinesis takes one change at a time, and what reads or
/// writes the stream needs it ACTIVE. The polls back off to 10 seconds apart.
async fn active(a: &Applier, arn: &str) -> Result<(), AwsError> {
    // A dry run's answers describe no stream: one look, as a real apply's first.
    if a.dry {
        summary(a, arn).await?;
        return Ok(());
    }
    let started = std::time::Instant::now();
    let mut pause = Duration::from_millis(250);
    loop {
        let Some(s) = summary(a, arn).await? else {
            return Ok(());
        };
        if *s.stream_status() == StreamStatus::Active {
            return Ok(());
        }
        if started.elapsed() > SETTLE_TIMEOUT {
            return Err(AwsError {
                operation: "DescribeStreamSummary",
                target: arn.to_string(),
                message: format!(
                    "still {} after {SETTLE_TIMEOUT:?}",
                    s.stream_status().as_str()
                ),
            });
        }
        tokio::time::sleep(pause).await;
        pause = (pause * 2).min(Duration::from_secs(10));
    }
}

/// A stream's tags, every page of them (ListTagsForStream pages by the last key).
pub async fn tags_of(
    kinesis: &aws_sdk_kinesis::Client,
    calls: Option<&crate::aws::read::Calls>,
    arn: &str,
) -> Result<HashMap<String, String>, AwsError> {
    let mut tags = HashMap::new();
    let mut after: Option<String> = None;
    loop {
        if let Some(calls) = calls {
            calls.count("Kinesis.ListTagsForStream");
        }
        let out = kinesis
            .list_tags_for_stream()
            .stream_arn(arn)
            .set_exclusive_start_tag_key(after.clone())
            .send()
            .await
            .map_err(|e| AwsError::new("ListTagsForStream", arn, e))?;
        for t in out.tags() {
            tags.insert(
                t.key().to_string(),
                t.value().unwrap_or_default().to_string(),
            );
        }
        match out.tags().last() {
            Some(last) if out.has_more_tags() => after = Some(last.key().to_string()),
            _ => return Ok(tags),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_key_arn_is_the_key_the_spec_names_by_id_or_alias() {
        let spec =
            |key: &str| Resource::new(super::super::Kind::Stream, "s", "s").with(KMS_KEY, key);
        for (want, have) in [
            (
                "1234abcd",
                "arn:aws:kms:us-east-1:123456789012:key/1234abcd",
            ),
            (
                "alias/mine",
                "arn:aws:kms:us-east-1:123456789012:alias/mine",
            ),
        ] {
            let mut live = spec(have);
            key_as_the_spec_names_it(&mut live, Some(&spec(want)), KMS_KEY);
            assert_eq!(attr_opt(&live, KMS_KEY).as_deref(), Some(want));
        }
        let mut other = spec("arn:aws:kms:us-east-1:123456789012:key/other");
        key_as_the_spec_names_it(&mut other, Some(&spec("1234abcd")), KMS_KEY);
        assert_eq!(
            attr_opt(&other, KMS_KEY).as_deref(),
            Some("arn:aws:kms:us-east-1:123456789012:key/other")
        );
    }
}
