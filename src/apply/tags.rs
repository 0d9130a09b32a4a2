//! A step's tag changes, and writing them: every service has its own pair of calls (and tag
//! type) to add and remove tags, but the kinds' writers share which tags change, the order
//! of the two calls, leaving out a call with nothing to send, and how a failure is named.

use std::collections::HashMap;
use std::future::Future;

use super::Step;
use crate::aws::AwsError;

/// Tags to add or change, and tag keys to remove, between the live and the desired resource.
pub fn tag_changes(step: &Step) -> (HashMap<String, String>, Vec<String>) {
    let want = crate::kinds::attr_map(step.resource(), crate::kinds::TAGS);
    let have = step
        .live()
        .map(|l| crate::kinds::attr_map(l, crate::kinds::TAGS))
        .unwrap_or_default();
    let set = want
        .iter()
        .filter(|(k, v)| have.get(*k) != Some(v))
        .map(|(k, v)| (k.clone(), v.clone()))
        .collect();
    let remove = have
        .keys()
        .filter(|k| !want.contains_key(*k))
        .cloned()
        .collect();
    (set, remove)
}

/// Sends the tags to set, then the keys to remove, each call only when it has something to
/// send. `tag` and `untag` are the service's calls, each with AWS's name of its operation,
/// which a failure gives along with `target`.
pub async fn write_tags<S, SF, SO, SE, R, RF, RO, RE>(
    (set, remove): (HashMap<String, String>, Vec<String>),
    target: &str,
    (tag_operation, tag): (&'static str, S),
    (untag_operation, untag): (&'static str, R),
) -> Result<(), AwsError>
where
    S: FnOnce(HashMap<String, String>) -> SF,
    SF: Future<Output = Result<SO, SE>>,
    SE: std::error::Error + aws_sdk_sts::error::ProvideErrorMetadata,
    R: FnOnce(Vec<String>) -> RF,
    RF: Future<Output = Result<RO, RE>>,
    RE: std::error::Error + aws_sdk_sts::error::ProvideErrorMetadata,
{
    if !set.is_empty() {
        tag(set)
            .await
            .map_err(|e| AwsError::new(tag_operation, target, e))?;
    }
    if !remove.is_empty() {
        untag(remove)
            .await
            .map_err(|e| AwsError::new(untag_operation, target, e))?;
    }
    Ok(())
}

/// What a tag builder's `build` gives. Most SDKs check that the key and value are set and
/// answer a `Result`; Step Functions', Secrets Manager's and CloudWatch's cannot fail. Either way the tag,
/// as `tag_list!` always sets both.
pub trait BuiltTag<T> {
    fn tag(self) -> T;
}

impl<T> BuiltTag<T> for Result<T, aws_smithy_types::error::operation::BuildError> {
    fn tag(self) -> T {
        self.expect("key and value are set")
    }
}

impl BuiltTag<aws_sdk_sfn::types::Tag> for aws_sdk_sfn::types::Tag {
    fn tag(self) -> Self {
        self
    }
}

impl BuiltTag<aws_sdk_secretsmanager::types::Tag> for aws_sdk_secretsmanager::types::Tag {
    fn tag(self) -> Self {
        self
    }
}

impl BuiltTag<aws_sdk_cloudwatch::types::Tag> for aws_sdk_cloudwatch::types::Tag {
    fn tag(self) -> Self {
        self
    }
}

/// Tags (a map, in its order) as a list of a service's own `Tag` type: every SDK has one,
/// built alike (`builder().key(k).value(v)`), but no type in common a function could take.
macro_rules! tag_list {
    ($tag:ty, $tags:expr) => {
        $tags
            .into_iter()
            .map(|(k, v)| $crate::apply::BuiltTag::tag(<$tag>::builder().key(k).value(v).build()))
            .collect::<Vec<$tag>>()
    };
}
pub(crate) use tag_list;

/// `write_tags` through TagResource and UntagResource, for the services that name the
/// resource by its ARN and spell the two calls alike (EventBridge, Scheduler, SNS, Step
/// Functions, DynamoDB, API Gateway, CloudWatch Logs). Their clients and tag types have
/// nothing in common a function could take, hence a macro. `Tag` is the service's own type
/// of a tag, for those that do not take a map.
macro_rules! tag_by_arn {
    (@send $client:expr, $arn:expr, $target:expr, $changes:expr, $to_tags:expr) => {
        $crate::apply::write_tags(
            $changes,
            $target,
            ("TagResource", |set| {
                $client
                    .tag_resource()
                    .resource_arn($arn)
                    .set_tags(Some($to_tags(set)))
                    .send()
            }),
            ("UntagResource", |keys| {
                $client
                    .untag_resource()
                    .resource_arn($arn)
                    .set_tag_keys(Some(keys))
                    .send()
            }),
        )
    };
    ($client:expr, $arn:expr, $target:expr, $changes:expr) => {
        $crate::apply::tag_by_arn!(@send $client, $arn, $target, $changes, std::convert::identity)
    };
    ($client:expr, $arn:expr, $target:expr, $changes:expr, $tag:ty) => {
        $crate::apply::tag_by_arn!(@send $client, $arn, $target, $changes,
            |set: std::collections::HashMap<String, String>| $crate::apply::tag_list!($tag, set))
    };
}
pub(crate) use tag_by_arn;
