//! Kinesis data streams: ListStreams (paged), then per stream with the service's prefix, or
//! with an exact name the spec gives one, DescribeStreamSummary and ListTagsForStream
//! (paged). What the answers become is the kind's (`kinds::stream::live`).
//!
//! Kinesis lists names only: a stream of an exact `name` that has left the spec is found by
//! its tags through the tagging API (`tagged.rs`), as a table is, so that the plan still
//! names it (and refuses to lose its data) and destroy still says it kept it.

use std::collections::HashMap;

use super::{Live, Reader, Scope, conflict};
use crate::aws::AwsError;
use crate::engine::model::{Kind, State, address};
use crate::kinds::stream;

pub async fn read(r: &Reader, scope: &Scope, wanted: &State) -> Result<Live, AwsError> {
    let exact: HashMap<String, String> = wanted
        .resources
        .values()
        .filter(|w| w.kind == Kind::Stream)
        .map(|w| (w.name.clone(), w.key.clone()))
        .collect();
    let (names, tagged) = tokio::try_join!(
        list(r),
        super::tagged::names(r, scope, &super::tagged::STREAMS)
    )?;
    let found: Vec<(String, String)> = names
        .into_iter()
        .filter_map(|name| {
            let key = exact
                .get(&name)
                .cloned()
                .or_else(|| scope.logical(&name).map(str::to_string))
                .or_else(|| tagged.contains(&name).then(|| name.clone()))?;
            Some((name, key))
        })
        .collect();
    let mut tasks = tokio::task::JoinSet::new();
    for (name, key) in found {
        let r = r.clone();
        tasks.spawn(async move {
            let _slot = r.slot().await;
            r.calls.count("Kinesis.DescribeStreamSummary");
            let described = r
                .kinesis
                .describe_stream_summary()
                .stream_name(&name)
                .send()
                .await
                .map_err(|e| AwsError::new("DescribeStreamSummary", name.clone(), e))?;
            let Some(summary) = described.stream_description_summary else {
                return Ok(None);
            };
            let tags = stream::tags_of(&r.kinesis, Some(&r.calls), summary.stream_arn()).await?;
            Ok::<_, AwsError>(Some((key, name, summary, tags)))
        });
    }
    let mut resources = Vec::new();
    let mut conflicts = Vec::new();
    while let Some(joined) = tasks.join_next().await {
        let Some((key, name, summary, tags)) = joined.expect("a read task does not panic")? else {
            continue;
        };
        let at = address(Kind::Stream, &key);
        if !scope.owns_at(&at, &tags) {
            if wanted.resources.contains_key(&at) {
                conflicts.push(conflict(at, &name, scope));
            }
            continue;
        }
        // One being deleted that the spec no longer declares is going already.
        if *summary.stream_status() == aws_sdk_kinesis::types::StreamStatus::Deleting
            && !wanted.resources.contains_key(&at)
        {
            continue;
        }
        let mut found = stream::live(&key, &summary, &tags);
        stream::key_as_the_spec_names_it(&mut found, wanted.resources.get(&at), stream::KMS_KEY);
        resources.push(found);
    }
    let mut live = Live::default();
    live.add(resources, conflicts);
    Ok(live)
}

/// Every stream's name, every page: a page ends with the name the next one starts after
/// (ExclusiveStartStreamName), or a token where Kinesis gives one.
async fn list(r: &Reader) -> Result<Vec<String>, AwsError> {
    let mut names = Vec::new();
    let mut token: Option<String> = None;
    let mut after: Option<String> = None;
    loop {
        let _slot = r.slot().await;
        r.calls.count("Kinesis.ListStreams");
        let out = r
            .kinesis
            .list_streams()
            .set_next_token(token.clone())
            .set_exclusive_start_stream_name(if token.is_none() { after.clone() } else { None })
            .send()
            .await
            .map_err(|e| AwsError::new("ListStreams", "Kinesis streams", e))?;
        names.extend(out.stream_names().iter().cloned());
        if !out.has_more_streams() || out.stream_names().is_empty() {
            break;
        }
        token = out.next_token().map(str::to_string);
        after = out.stream_names().last().cloned();
    }
    names.sort();
    names.dedup();
    Ok(names)
}
