//! The AWS layer: the only place that talks to AWS through the SDK.
//!
//! Builds one SDK configuration per run from the command line and the standard AWS
//! environment, with retries and timeouts chosen for a deployer: a few quick attempts,
//! connections that fail fast, calls that cannot hang a CI job, and throttles waited out
//! (`pace`) rather than failed on.

pub mod dry;
pub mod invoke;
pub mod lock;
pub mod logs;
pub mod pace;
pub mod pages;
pub mod read;
pub mod record;
mod tags;

pub(crate) use tags::tags_by_arn;

use std::time::Duration;

use aws_config::meta::region::RegionProviderChain;
use aws_config::retry::RetryConfig;
use aws_config::stalled_stream_protection::StalledStreamProtectionConfig;
use aws_config::timeout::TimeoutConfig;
use aws_config::{BehaviorVersion, Region, SdkConfig};
use aws_smithy_runtime::client::retries::RetryPartition;
use aws_smithy_runtime::client::retries::TokenBucket;

/// One client per service slsr uses, all from one SDK configuration. Reading and applying
/// both hold one (and reach its clients through `Deref`).
#[derive(Clone)]
pub struct Clients {
    pub lambda: aws_sdk_lambda::Client,
    pub iam: aws_sdk_iam::Client,
    pub sqs: aws_sdk_sqs::Client,
    pub events: aws_sdk_eventbridge::Client,
    pub apigw: aws_sdk_apigatewayv2::Client,
    pub rest: aws_sdk_apigateway::Client,
    pub logs: aws_sdk_cloudwatchlogs::Client,
    pub ssm: aws_sdk_ssm::Client,
    pub dynamodb: aws_sdk_dynamodb::Client,
    pub s3: aws_sdk_s3::Client,
    pub tagging: aws_sdk_resourcegroupstagging::Client,
    pub sns: aws_sdk_sns::Client,
    pub kinesis: aws_sdk_kinesis::Client,
    pub sfn: aws_sdk_sfn::Client,
    pub scheduler: aws_sdk_scheduler::Client,
    pub secrets: aws_sdk_secretsmanager::Client,
    pub cloudwatch: aws_sdk_cloudwatch::Client,
}

/// A service's client from the shared configuration, naming its operations on the
/// requests for the pacing HTTP client, with throttled attempts not counted against the
/// SDK's attempts (`pace`) nor its retry quota (`patient_retries`).
macro_rules! paced_client {
    ($sdk:ident, $config:expr) => {
        $sdk::Client::from_conf(
            $sdk::config::Builder::from($config)
                .interceptor($crate::aws::pace::PacedOperations)
                .interceptor($crate::aws::record::RecordCalls)
                .retry_partition($crate::aws::patient_retries(concat!(
                    "slsr-",
                    stringify!($sdk)
                )))
                .build(),
        )
    };
}
pub(crate) use paced_client;

/// The SDK's retry quota for a client: a token bucket that each retry takes from and that
/// only first attempts that succeed refill. Under throttling for minutes (other pipelines
/// spending the account's quota) it would run dry and end retries, so a throttled retry
/// takes nothing from it: the attempt was not made. 5xx answers and timeouts take from it
/// as the SDK's standard mode does.
pub(crate) fn patient_retries(name: &'static str) -> RetryPartition {
    RetryPartition::custom(name)
        .token_bucket(TokenBucket::builder().throttling_retry_cost(0).build())
        .build()
}

impl Clients {
    pub fn new(config: &SdkConfig) -> Clients {
        Clients {
            lambda: paced_client!(aws_sdk_lambda, config),
            iam: paced_client!(aws_sdk_iam, config),
            sqs: paced_client!(aws_sdk_sqs, config),
            events: paced_client!(aws_sdk_eventbridge, config),
            apigw: paced_client!(aws_sdk_apigatewayv2, config),
            rest: paced_client!(aws_sdk_apigateway, config),
            logs: paced_client!(aws_sdk_cloudwatchlogs, config),
            ssm: paced_client!(aws_sdk_ssm, config),
            dynamodb: paced_client!(aws_sdk_dynamodb, config),
            s3: s3_client(config),
            tagging: paced_client!(aws_sdk_resourcegroupstagging, config),
            sns: paced_client!(aws_sdk_sns, config),
            kinesis: paced_client!(aws_sdk_kinesis, config),
            sfn: paced_client!(aws_sdk_sfn, config),
            scheduler: paced_client!(aws_sdk_scheduler, config),
            secrets: paced_client!(aws_sdk_secretsmanager, config),
            cloudwatch: paced_client!(aws_sdk_cloudwatch, config),
        }
    }
}

/// S3's client: like the others, and addressing buckets by path (`endpoint/bucket`) when an
/// endpoint is given, as emulators need; AWS itself gets virtual-hosted addresses.
fn s3_client(config: &SdkConfig) -> aws_sdk_s3::Client {
    let custom_endpoint = config.endpoint_url().is_some();
    aws_sdk_s3::Client::from_conf(
        aws_sdk_s3::config::Builder::from(config)
            .force_path_style(custom_endpoint)
            .interceptor(crate::aws::pace::PacedOperations)
            .interceptor(crate::aws::record::RecordCalls)
            .retry_partition(patient_retries("slsr-aws_sdk_s3"))
            .build(),
    )
}

/// How to reach AWS, from flags; anything unset comes from the AWS environment and profile.
#[derive(Debug, Clone, Default)]
pub struct Connection {
    pub profile: Option<String>,
    pub region: Option<String>,
    pub endpoint_url: Option<String>,
}

/// An AWS call that failed, with the operation, what it was about, and AWS's own message.
#[derive(Debug, thiserror::Error)]
#[error("{operation} ({target}) failed: {message}")]
pub struct AwsError {
    pub operation: &'static str,
    pub target: String,
    pub message: String,
}

impl AwsError {
    /// AWS's own error code and message when the service answered, else the cause (a
    /// connection refused, a timeout) from the error's chain.
    pub fn new<E>(operation: &'static str, target: impl Into<String>, err: E) -> AwsError
    where
        E: std::error::Error + aws_sdk_sts::error::ProvideErrorMetadata,
    {
        let message = match (err.code(), err.message()) {
            (Some(code), Some(message)) => format!("{code}: {message}"),
            (Some(code), None) => code.to_string(),
            _ => error_chain(&err),
        };
        AwsError {
            operation,
            target: target.into(),
            message,
        }
    }
}

/// An error and its causes, each by its Display, `: `-joined. The SDK's own Display says
/// only "dispatch failure" or "service error"; the cause is further down the chain. (The
/// SDK's DisplayErrorContext also appends a Debug dump, too long for a one-line message.)
pub fn error_chain(err: &dyn std::error::Error) -> String {
    let mut parts: Vec<String> = vec![err.to_string()];
    let mut source = err.source();
    while let Some(e) = source {
        let text = e.to_string();
        if !parts.iter().any(|p| p.contains(&text)) {
            parts.push(text);
        }
        source = e.source();
    }
    parts.join(": ")
}

/// Attempts per call, including the first. 5xx answers and timeouts are retried with
/// backoff. Throttled attempts do not count: they are retried until `pace::THROTTLED_PATIENCE`.
const MAX_ATTEMPTS: u32 = 4;

/// How long one attempt may wait for AWS's answer, counted from its slot (`pace`): the
/// paced HTTP client enforces it, not the SDK, whose attempt timeout would also count the
/// wait for the slot, and fail a call for waiting its turn.
const ATTEMPT_TIMEOUT: Duration = Duration::from_secs(30);

/// How long a call may take, retries and waits included: the throttling patience, and room
/// for the attempts after it. A call that is not throttled ends well before, after its
/// attempts.
const OPERATION_TIMEOUT: Duration = Duration::from_secs(pace::THROTTLED_PATIENCE.as_secs() + 120);

/// The SDK configuration every client is built from. Region: `--region`, then the
/// spec's, then the environment (AWS_REGION, AWS_DEFAULT_REGION), then the profile: the
/// region a spec names is where it deploys, as in Serverless and Terraform, whatever shell
/// it is run from. The EC2 metadata service is never asked for a region: a CI runner without one would
/// wait seconds for it. Its HTTP client paces calls to AWS's published quotas, adapted to
/// the throttles it hears (`pace`).
pub async fn sdk_config(connection: &Connection, spec_region: Option<&str>) -> SdkConfig {
    let mut profile_region = aws_config::profile::ProfileFileRegionProvider::builder();
    if let Some(p) = &connection.profile {
        profile_region = profile_region.profile_name(p);
    }
    let region = RegionProviderChain::first_try(connection.region.clone().map(Region::new))
        .or_else(spec_region.map(|r| Region::new(r.to_string())))
        .or_else(aws_config::environment::EnvironmentVariableRegionProvider::new())
        .or_else(profile_region.build());
    let mut loader = aws_config::defaults(BehaviorVersion::latest())
        .region(region)
        .retry_config(RetryConfig::standard().with_max_attempts(MAX_ATTEMPTS))
        .timeout_config(
            TimeoutConfig::builder()
                .connect_timeout(Duration::from_secs(5))
                .operation_timeout(OPERATION_TIMEOUT)
                .build(),
        )
        // A request waiting for its slot sends no bytes, which the upload check would take
        // for a stalled connection after 5 s; the attempt timeout, counted from the slot,
        // bounds a stalled upload instead. Downloads keep the check.
        .stalled_stream_protection(
            StalledStreamProtectionConfig::enabled()
                .upload_enabled(false)
                .build(),
        );
    if let Some(p) = &connection.profile {
        loader = loader.profile_name(p);
    }
    if let Some(url) = &connection.endpoint_url {
        loader = loader.endpoint_url(url);
    }
    let pacer = std::sync::Arc::new(pace::Pacer::new(pace::PUBLISHED));
    loader
        .http_client(pace::PacedClient::shared(
            https_client(),
            pacer,
            ATTEMPT_TIMEOUT,
        ))
        .load()
        .await
}

/// The SDK's default HTTPS client (hyper 1, rustls with aws-lc, a proxy from the
/// environment), made here to be wrapped: left unset, each service client makes its own.
/// `invoke` uses it unwrapped, for a call that may rightly take a function's whole timeout.
pub(crate) fn https_client() -> aws_smithy_runtime_api::client::http::SharedHttpClient {
    use aws_smithy_http_client::proxy::ProxyConfig;
    use aws_smithy_http_client::{Builder, ConnectorBuilder, tls};
    Builder::new().build_with_connector_fn(|settings, components| {
        let mut connector = ConnectorBuilder::default().tls_provider(tls::Provider::Rustls(
            tls::rustls_provider::CryptoMode::AwsLc,
        ));
        connector.set_connector_settings(settings.cloned());
        if let Some(components) = components {
            connector.set_sleep_impl(components.sleep_impl());
        }
        connector.set_proxy_config(Some(ProxyConfig::from_env()));
        connector.build()
    })
}

/// Who the credentials belong to: the first call of any live command.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Identity {
    pub account: String,
    pub arn: String,
    pub region: Option<String>,
}

/// Resolves the credentials once, up front, so that missing credentials are one clear
/// line instead of the provider chain's report on every call.
pub async fn check_credentials(config: &SdkConfig) -> Result<(), AwsError> {
    use aws_sdk_sts::config::ProvideCredentials;
    let missing = |detail: String| AwsError {
        operation: "LoadCredentials",
        target: "AWS credentials".into(),
        message: format!(
            "none found ({detail}); set AWS_PROFILE, or AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY"
        ),
    };
    let provider = config
        .credentials_provider()
        .ok_or_else(|| missing("no provider configured".into()))?;
    match provider.provide_credentials().await {
        Ok(_) => Ok(()),
        Err(aws_credential_types::provider::error::CredentialsError::CredentialsNotLoaded(_)) => {
            Err(missing(
                "tried the environment, the profile, web identity, ECS and instance metadata"
                    .into(),
            ))
        }
        Err(e) => Err(missing(error_chain(&e))),
    }
}

pub async fn whoami(config: &SdkConfig) -> Result<Identity, AwsError> {
    let region = config.region().map(|r| r.to_string());
    check_credentials(config).await?;
    let sts = aws_sdk_sts::Client::new(config);
    let out = sts
        .get_caller_identity()
        .send()
        .await
        .map_err(|e| AwsError::new("GetCallerIdentity", "the current credentials", e))?;
    Ok(Identity {
        account: out.account().unwrap_or_default().to_string(),
        arn: out.arn().unwrap_or_default().to_string(),
        region,
    })
}
