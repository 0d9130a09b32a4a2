//! Invoking a function for `slsr invoke`: one Invoke, synchronous with the log's tail
//! (LogType Tail) or queued (InvocationType Event), and Lambda's answer as plain values.
//!
//! The call is sent once. A synchronous invoke runs the user's code, and an answer lost
//! after it ran would have the SDK run it again, so there are no retries; and it may rightly
//! take the function's whole timeout (up to 15 minutes), longer than any other call slsr
//! makes is allowed, so it goes through a client of its own rather than the paced one.

use std::time::Duration;

use aws_config::SdkConfig;
use aws_config::retry::RetryConfig;
use aws_config::timeout::TimeoutConfig;
use aws_sdk_lambda::operation::RequestId;
use aws_sdk_lambda::types::{InvocationType, LogType};
use base64::Engine;

use super::AwsError;

/// Lambda's longest function timeout, and a minute for the answer to come back.
const LONGEST_RUN: Duration = Duration::from_secs(15 * 60 + 60);

/// What Lambda answered.
#[derive(Debug, Clone)]
pub struct Answer {
    /// 200 for a synchronous invoke, 202 for a queued one.
    pub status: i32,
    /// The function's response (or its error document); empty for a queued invoke.
    pub payload: Vec<u8>,
    /// `X-Amz-Function-Error`: `Unhandled` (or `Handled`) when the function failed.
    pub function_error: Option<String>,
    /// The last 4 KB of the invocation's log, decoded from `X-Amz-Log-Result` (as it came
    /// when it is not base64).
    pub log_tail: Option<String>,
    pub request_id: Option<String>,
}

/// An invoke's outcome.
#[derive(Debug, Clone)]
pub enum Invoked {
    Answered(Answer),
    /// No function of that name: the stage is not deployed (or not this function yet).
    NotDeployed,
}

/// Invokes `function` (its physical name) with `payload`; queued (`Event`) when
/// `queued`, else synchronously with the log's tail.
pub async fn invoke(
    config: &SdkConfig,
    function: &str,
    payload: Vec<u8>,
    queued: bool,
) -> Result<Invoked, AwsError> {
    let lambda = client(config);
    let request = lambda
        .invoke()
        .function_name(function)
        .payload(aws_smithy_types::Blob::new(payload));
    let request = if queued {
        request.invocation_type(InvocationType::Event)
    } else {
        request
            .invocation_type(InvocationType::RequestResponse)
            .log_type(LogType::Tail)
    };
    let out = match request.send().await {
        Ok(out) => out,
        Err(e)
            if e.as_service_error()
                .is_some_and(|e| e.is_resource_not_found_exception()) =>
        {
            return Ok(Invoked::NotDeployed);
        }
        Err(e) => return Err(AwsError::new("Invoke", function, e)),
    };
    Ok(Invoked::Answered(Answer {
        status: out.status_code(),
        payload: out
            .payload()
            .map(|p| p.as_ref().to_vec())
            .unwrap_or_default(),
        function_error: out.function_error().map(str::to_string),
        log_tail: out.log_result().map(decode_tail),
        request_id: out.request_id().map(str::to_string),
    }))
}

/// Lambda's client for one invoke: one attempt, and the longest run's time to answer.
fn client(config: &SdkConfig) -> aws_sdk_lambda::Client {
    aws_sdk_lambda::Client::from_conf(
        aws_sdk_lambda::config::Builder::from(config)
            .http_client(super::https_client())
            .retry_config(RetryConfig::standard().with_max_attempts(1))
            .timeout_config(
                TimeoutConfig::builder()
                    .connect_timeout(Duration::from_secs(5))
                    .operation_timeout(LONGEST_RUN)
                    .build(),
            )
            .build(),
    )
}

/// `X-Amz-Log-Result`: base64 of the log's last 4 KB, which may cut a UTF-8 character.
fn decode_tail(header: &str) -> String {
    match base64::engine::general_purpose::STANDARD.decode(header) {
        Ok(bytes) => String::from_utf8_lossy(&bytes).into_owned(),
        Err(_) => header.to_string(),
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn a_tail_is_decoded_and_one_that_is_not_base64_kept_as_it_came() {
        // "START RequestId: 1\nhello\n" in base64, by hand with `base64`.
        assert_eq!(
            super::decode_tail("U1RBUlQgUmVxdWVzdElkOiAxCmhlbGxvCg=="),
            "START RequestId: 1\nhello\n"
        );
        assert_eq!(super::decode_tail("not base64!"), "not base64!");
    }
}
