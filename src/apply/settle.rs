//! How apply settles with AWS's answers: a refusal of a retry that means the first attempt
//! took effect (a create finds the thing exists, a delete finds it gone) is the change
//! done (`Settle`), after checking that what exists carries this service and stage's tags
//! (`ensure_ours`); a conflict that clears up by itself (a function still being updated)
//! is waited out (`patiently`). Throttles are waited out below, in the paced client.

use std::collections::HashMap;
use std::time::Duration;

use crate::aws::AwsError;
use crate::engine::model::Resource;

/// What a refused retry means. An answer can be lost after the call took effect (a
/// dropped connection); the SDK then sends the call again, and AWS refuses the second one
/// because the first did what was asked: a create finds the thing exists, a delete finds it
/// gone. Those refusals are the change done.
pub trait Settle<T> {
    /// A create: `Ok(None)` when AWS says the thing exists already.
    fn or_exists(self, operation: &'static str, target: &str) -> Result<Option<T>, AwsError>;
    /// A delete: done when AWS says the thing does not exist.
    fn or_gone(self, operation: &'static str, target: &str) -> Result<(), AwsError>;
}

impl<T, E> Settle<T> for Result<T, E>
where
    E: std::error::Error + aws_sdk_sts::error::ProvideErrorMetadata,
{
    fn or_exists(self, operation: &'static str, target: &str) -> Result<Option<T>, AwsError> {
        match self {
            Ok(out) => Ok(Some(out)),
            Err(e) if already_exists(&e) => Ok(None),
            Err(e) => Err(AwsError::new(operation, target, e)),
        }
    }

    fn or_gone(self, operation: &'static str, target: &str) -> Result<(), AwsError> {
        match self {
            Ok(_) => Ok(()),
            Err(e) if already_gone(&e) => Ok(()),
            Err(e) => Err(AwsError::new(operation, target, e)),
        }
    }
}

/// After a create refused as "exists": the thing must be the one a lost attempt made, with
/// the desired resource's ownership tags, not someone else's made since the plan.
pub fn ensure_ours(
    operation: &'static str,
    desired: &Resource,
    live_tags: &HashMap<String, String>,
) -> Result<(), AwsError> {
    let want = crate::kinds::attr_map(desired, crate::kinds::TAGS);
    let ours = ["slsr:service", "slsr:stage"]
        .iter()
        .all(|k| live_tags.contains_key(*k) && live_tags.get(*k) == want.get(*k));
    if ours {
        return Ok(());
    }
    Err(AwsError {
        operation,
        target: desired.name.clone(),
        message: "it was made since the plan, without this service and stage's tags; slsr leaves it alone".into(),
    })
}

/// Whether AWS refused a create because the thing exists (each service says it its way).
pub fn already_exists(e: &impl aws_sdk_sts::error::ProvideErrorMetadata) -> bool {
    matches!(
        e.code(),
        Some(
            "EntityAlreadyExists"
                | "ConflictException"
                | "ResourceAlreadyExistsException"
                | "ParameterAlreadyExists"
                // S3, to a repeated CreateBucket outside us-east-1 (which answers success).
                | "BucketAlreadyOwnedByYou"
        )
    ) || e
        .message()
        // Lambda says a function URL config "exists for this Lambda function".
        .is_some_and(|m| m.contains("already exist") || m.contains("exists for this"))
}

/// Whether AWS refused a delete because the thing does not exist.
pub fn already_gone(e: &impl aws_sdk_sts::error::ProvideErrorMetadata) -> bool {
    matches!(
        e.code(),
        Some(
            "ResourceNotFoundException"
                | "NoSuchEntity"
                | "NotFoundException"
                // SNS, of a topic or subscription.
                | "NotFound"
                | "QueueDoesNotExist"
                | "AWS.SimpleQueueService.NonExistentQueue"
                | "ParameterNotFound"
                | "NoSuchBucket"
                | "NoSuchUpload"
        )
    )
}

/// Errors that clear up by themselves: a function still being updated. (A throttle is
/// waited out below, in the SDK's retries, until its own deadline: `aws::pace`.)
const TRANSIENT: &[&str] = &["ResourceConflictException"];
/// How long a transient error is waited out.
const PATIENCE: Duration = Duration::from_secs(60);

/// Makes a call, retrying transient errors with backoff for up to `PATIENCE`; the last
/// error when it does not clear.
pub async fn patiently<T, E, Fut>(call: impl Fn() -> Fut) -> Result<T, E>
where
    Fut: std::future::Future<Output = Result<T, E>>,
    E: std::error::Error + aws_sdk_lambda::error::ProvideErrorMetadata,
{
    let started = std::time::Instant::now();
    let mut pause = Duration::from_millis(250);
    loop {
        match call().await {
            Ok(out) => return Ok(out),
            // A conflict over something that already exists is an answer, not a wait.
            Err(e)
                if e.code().is_some_and(|c| TRANSIENT.contains(&c))
                    && !already_exists(&e)
                    && started.elapsed() < PATIENCE =>
            {
                tokio::time::sleep(pause).await;
                pause = (pause * 2).min(Duration::from_secs(8));
            }
            Err(e) => return Err(e),
        }
    }
}
