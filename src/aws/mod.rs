//! The AWS layer: the only place that talks to AWS through the SDK.
//!
//! Builds one SDK configuration per run from the command line and the standard AWS
//! environment, with retries and timeouts chosen for a deployer: a few quick attempts,
//! connections that fail fast, and calls that cannot hang a CI job.

use std::time::Duration;

use aws_config::meta::region::RegionProviderChain;
use aws_config::retry::RetryConfig;
use aws_config::timeout::TimeoutConfig;
use aws_config::{BehaviorVersion, Region, SdkConfig};
use aws_smithy_types::error::display::DisplayErrorContext;

/// How to reach AWS, from flags; anything unset comes from the AWS environment and profile.
#[derive(Debug, Clone, Default)]
pub struct Connection {
    pub profile: Option<String>,
    pub region: Option<String>,
    pub endpoint_url: Option<String>,
}

/// An AWS call that failed, with the operation, what it was about, and AWS's own message.
#[derive(Debug, thiserror::Error)]
#[error("{operation} {target}: {message}")]
pub struct AwsError {
    pub operation: &'static str,
    pub target: String,
    pub message: String,
}

impl AwsError {
    pub fn new(operation: &'static str, target: impl Into<String>, err: impl std::error::Error) -> AwsError {
        AwsError { operation, target: target.into(), message: DisplayErrorContext(err).to_string() }
    }
}

/// Attempts per call, including the first. Throttling and 5xx are retried with backoff.
const MAX_ATTEMPTS: u32 = 4;

/// The SDK configuration every client is built from. Region: `--region`, then the
/// environment (AWS_REGION, AWS_DEFAULT_REGION), then the profile, then the spec's.
/// The EC2 metadata service is never asked for a region: a CI runner without one would
/// wait seconds for it.
pub async fn sdk_config(connection: &Connection, spec_region: Option<&str>) -> SdkConfig {
    let mut profile_region = aws_config::profile::ProfileFileRegionProvider::builder();
    if let Some(p) = &connection.profile {
        profile_region = profile_region.profile_name(p);
    }
    let region = RegionProviderChain::first_try(connection.region.clone().map(Region::new))
        .or_else(aws_config::environment::EnvironmentVariableRegionProvider::new())
        .or_else(profile_region.build())
        .or_else(spec_region.map(|r| Region::new(r.to_string())));
    let mut loader = aws_config::defaults(BehaviorVersion::latest())
        .region(region)
        .retry_config(RetryConfig::standard().with_max_attempts(MAX_ATTEMPTS))
        .timeout_config(
            TimeoutConfig::builder()
                .connect_timeout(Duration::from_secs(5))
                .operation_attempt_timeout(Duration::from_secs(30))
                .operation_timeout(Duration::from_secs(90))
                .build(),
        );
    if let Some(p) = &connection.profile {
        loader = loader.profile_name(p);
    }
    if let Some(url) = &connection.endpoint_url {
        loader = loader.endpoint_url(url);
    }
    loader.load().await
}

/// Who the credentials belong to: the first call of any live command.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Identity {
    pub account: String,
    pub arn: String,
    pub region: Option<String>,
}

pub async fn whoami(config: &SdkConfig) -> Result<Identity, AwsError> {
    let region = config.region().map(|r| r.to_string());
    if config.credentials_provider().is_none() {
        return Err(AwsError { operation: "GetCallerIdentity", target: "credentials".into(), message: "no AWS credentials found; set AWS_PROFILE or AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY".into() });
    }
    let sts = aws_sdk_sts::Client::new(config);
    let out = sts.get_caller_identity().send().await.map_err(|e| AwsError::new("GetCallerIdentity", "the current credentials", e))?;
    Ok(Identity {
        account: out.account().unwrap_or_default().to_string(),
        arn: out.arn().unwrap_or_default().to_string(),
        region,
    })
}
