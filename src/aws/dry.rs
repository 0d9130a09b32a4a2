//! The HTTP client of `apply --dry-run`: apply's own writers run against it, and it answers
//! every request as AWS answers a call with nothing to report, so that not a byte leaves the
//! machine. The calls are noted as in a real apply (`record.rs`), so what a dry run prints
//! is what the same code would call, never a description kept beside it.

use aws_smithy_runtime_api::client::http::{
    HttpClient, HttpConnector, HttpConnectorFuture, HttpConnectorSettings, SharedHttpClient,
    SharedHttpConnector,
};
use aws_smithy_runtime_api::client::orchestrator::{HttpRequest, HttpResponse};
use aws_smithy_runtime_api::client::runtime_components::RuntimeComponents;
use aws_smithy_types::body::SdkBody;

/// An HTTP client that answers, and never connects.
#[derive(Debug, Clone)]
pub struct DryClient;

impl DryClient {
    pub fn shared() -> SharedHttpClient {
        SharedHttpClient::new(DryClient)
    }
}

impl HttpClient for DryClient {
    fn http_connector(
        &self,
        _settings: &HttpConnectorSettings,
        _components: &RuntimeComponents,
    ) -> SharedHttpConnector {
        SharedHttpConnector::new(DryConnector)
    }
}

#[derive(Debug)]
struct DryConnector;

impl HttpConnector for DryConnector {
    fn call(&self, request: HttpRequest) -> HttpConnectorFuture {
        let (service, operation) = super::pace::operation_of(&request)
            .unwrap_or_else(|| ("?".to_string(), "?".to_string()));
        let response = nothing_to_report(&service, &operation);
        HttpConnectorFuture::new(async move { Ok(response) })
    }
}

/// A successful answer without content, in the service's protocol: a JSON object for the
/// JSON protocols (Lambda, API Gateway, EventBridge, CloudWatch Logs, SQS, SSM, DynamoDB,
/// Kinesis, Step Functions, Scheduler, Secrets Manager), an empty CBOR map for CloudWatch's RPC
/// v2 CBOR protocol, an empty result element for the
/// query protocol (IAM, STS, SNS), an empty document or no body
/// for REST-XML (S3). What later calls need from
/// an answer (the API's id, a queue's URL, a published version), a dry run makes up: JSON
/// readers skip the fields an operation's answer does not have.
fn nothing_to_report(service: &str, operation: &str) -> HttpResponse {
    let (content_type, body) = match service {
        "IAM" | "STS" | "SNS" => (
            "text/xml",
            format!(
                "<{operation}Response><{operation}Result></{operation}Result><ResponseMetadata><RequestId>dry-run</RequestId></ResponseMetadata></{operation}Response>"
            ),
        ),
        "ApiGatewayV2" => (
            "application/json",
            r#"{"apiId": "dry-run", "integrationId": "dry-run", "authorizerId": "dry-run", "routeId": "dry-run"}"#.to_string(),
        ),
        "APIGateway" => (
            "application/json",
            r#"{"id": "dry-run", "rootResourceId": "dry-run"}"#.to_string(),
        ),
        "SQS" => (
            "application/json",
            r#"{"QueueUrl": "https://sqs.dry-run.invalid/000000000000/dry-run"}"#.to_string(),
        ),
        "Lambda" => ("application/json", r#"{"Version": "1"}"#.to_string()),
        // REST-XML: an answer with a document must have its root element; the rest have
        // no body at all.
        "S3" => (
            "application/xml",
            s3_root(operation).map_or(String::new(), |root| format!("<{root}/>")),
        ),
        _ => ("application/json", "{}".to_string()),
    };
    if service == "CloudWatch" {
        return cbor_nothing_to_report();
    }
    let mut response = HttpResponse::new(
        200.try_into().expect("200 is a status"),
        SdkBody::from(body),
    );
    response
        .headers_mut()
        .insert("content-type", content_type.to_string());
    response
}

/// CloudWatch's answer in the Smithy RPC v2 CBOR protocol its SDK speaks: an empty map
/// (the byte 0xA0), with the protocol's header.
fn cbor_nothing_to_report() -> HttpResponse {
    let mut response = HttpResponse::new(
        200.try_into().expect("200 is a status"),
        SdkBody::from(vec![0xA0u8]),
    );
    let headers = response.headers_mut();
    headers.insert("content-type", "application/cbor");
    headers.insert("smithy-protocol", "rpc-v2-cbor");
    response
}

/// The root element of an S3 answer that has a document (an empty listing, an empty
/// notification document, no failed deletion); the SDK checks it.
fn s3_root(operation: &str) -> Option<&'static str> {
    Some(match operation {
        "GetBucketNotificationConfiguration" => "NotificationConfiguration",
        "ListObjectVersions" => "ListVersionsResult",
        "ListMultipartUploads" => "ListMultipartUploadsResult",
        "DeleteObjects" => "DeleteResult",
        "ListBuckets" => "ListAllMyBucketsResult",
        "GetBucketTagging" => "Tagging",
        _ => return None,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Every service slsr writes to takes the answer without an error.
    #[tokio::test]
    async fn every_service_takes_the_answer() {
        use super::super::record::{CHANGE, InChange, Recorder};
        let recorder = std::sync::Arc::new(Recorder::default());
        let config = aws_config::SdkConfig::builder()
            .behavior_version(aws_config::BehaviorVersion::latest())
            .region(aws_config::Region::new("us-east-1"))
            .credentials_provider(
                aws_credential_types::provider::SharedCredentialsProvider::new(
                    aws_credential_types::Credentials::new("a", "b", None, None, "dry"),
                ),
            )
            .http_client(DryClient::shared())
            .build();
        let c = super::super::Clients::new(&config);
        let change = InChange {
            address: "function.api".into(),
            recorder: recorder.clone(),
        };
        CHANGE
            .scope(change, async {
                c.lambda
                    .create_function()
                    .function_name("f")
                    .role("r")
                    .send()
                    .await
                    .unwrap();
                c.lambda
                    .delete_function()
                    .function_name("f")
                    .send()
                    .await
                    .unwrap();
                c.iam
                    .create_role()
                    .role_name("r")
                    .assume_role_policy_document("{}")
                    .send()
                    .await
                    .unwrap();
                c.iam.delete_role().role_name("r").send().await.unwrap();
                c.sqs.create_queue().queue_name("q").send().await.unwrap();
                c.events.put_rule().name("x").send().await.unwrap();
                c.apigw
                    .create_api()
                    .name("a")
                    .protocol_type(aws_sdk_apigatewayv2::types::ProtocolType::Http)
                    .send()
                    .await
                    .unwrap();
                c.logs
                    .create_log_group()
                    .log_group_name("g")
                    .send()
                    .await
                    .unwrap();
                c.ssm
                    .put_parameter()
                    .name("/p")
                    .value("v")
                    .send()
                    .await
                    .unwrap();
                c.s3.create_bucket().bucket("b").send().await.unwrap();
                let read =
                    c.s3.get_bucket_notification_configuration()
                        .bucket("b")
                        .send()
                        .await
                        .unwrap();
                assert!(read.lambda_function_configurations().is_empty());
                let versions =
                    c.s3.list_object_versions()
                        .bucket("b")
                        .send()
                        .await
                        .unwrap();
                assert!(versions.versions().is_empty());
                c.s3.list_multipart_uploads()
                    .bucket("b")
                    .send()
                    .await
                    .unwrap();
                c.s3.delete_bucket().bucket("b").send().await.unwrap();
                c.sns.create_topic().name("t").send().await.unwrap();
                c.kinesis
                    .create_stream()
                    .stream_name("s")
                    .send()
                    .await
                    .unwrap();
                c.sfn
                    .create_state_machine()
                    .name("m")
                    .definition("{}")
                    .role_arn("r")
                    .send()
                    .await
                    .unwrap();
                c.scheduler
                    .create_schedule_group()
                    .name("g")
                    .send()
                    .await
                    .unwrap();
                c.secrets.create_secret().name("x").send().await.unwrap();
                c.cloudwatch
                    .put_metric_alarm()
                    .alarm_name("a")
                    .send()
                    .await
                    .unwrap();
                let alarms = c.cloudwatch.describe_alarms().send().await.unwrap();
                assert!(alarms.metric_alarms().is_empty());
                c.rest.create_rest_api().name("r").send().await.unwrap();
            })
            .await;
        let ops: Vec<String> = recorder.calls().into_iter().map(|c| c.operation).collect();
        assert_eq!(
            ops,
            [
                "Lambda.CreateFunction",
                "Lambda.DeleteFunction",
                "IAM.CreateRole",
                "IAM.DeleteRole",
                "SQS.CreateQueue",
                "EventBridge.PutRule",
                "ApiGatewayV2.CreateApi",
                "CloudWatchLogs.CreateLogGroup",
                "SSM.PutParameter",
                "S3.CreateBucket",
                "S3.GetBucketNotificationConfiguration",
                "S3.ListObjectVersions",
                "S3.ListMultipartUploads",
                "S3.DeleteBucket",
                "SNS.CreateTopic",
                "Kinesis.CreateStream",
                "SFN.CreateStateMachine",
                "Scheduler.CreateScheduleGroup",
                "SecretsManager.CreateSecret",
                "CloudWatch.PutMetricAlarm",
                "CloudWatch.DescribeAlarms",
                "APIGateway.CreateRestApi",
            ]
        );
        assert!(recorder.calls().iter().all(|c| c.change == "function.api"));
    }
}
