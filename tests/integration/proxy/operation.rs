//! Names a request as the SDK and AWS's docs do: service and operation, from the SigV4
//! scope and the protocol's own marker (the JSON target header, the query's Action, or the
//! REST method and path), so the proxy can rate-limit, answer and log by operation.

/// `service` is the SigV4 signing name (`lambda`, `iam`, ...); `name` is `Lambda.GetFunction`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Operation {
    pub service: String,
    pub name: String,
}

impl Operation {
    /// The operation alone: `GetFunction`.
    pub fn short(&self) -> &str {
        self.name.split_once('.').map_or(&self.name, |(_, op)| op)
    }

    /// Reads change nothing: Get*, List*, Describe*, Head*, and a REST call this module
    /// does not name (`GET /path`) made with GET or HEAD.
    pub fn is_read(&self) -> bool {
        ["Get", "List", "Describe", "Head", "GET ", "HEAD "]
            .iter()
            .any(|p| self.short().starts_with(p))
    }
}

/// A request's head: method, path (without the query), the query and headers (names
/// lower-cased).
pub struct Head {
    pub method: String,
    pub path: String,
    pub query: String,
    pub headers: Vec<(String, String)>,
}

impl Head {
    pub fn parse(text: &str) -> Head {
        let mut lines = text.lines();
        let mut request_line = lines.next().unwrap_or_default().split(' ');
        let method = request_line.next().unwrap_or_default().to_string();
        let target = request_line.next().unwrap_or_default();
        let headers = lines
            .filter_map(|l| l.split_once(':'))
            .map(|(k, v)| (k.trim().to_lowercase(), v.trim().to_string()))
            .collect();
        let (path, query) = target.split_once('?').unwrap_or((target, ""));
        Head {
            method,
            path: path.to_string(),
            query: query.to_string(),
            headers,
        }
    }

    pub fn get(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.as_str())
    }
}

/// The operation of one request, from its head and body.
pub fn of(head: &Head, body: &[u8]) -> Operation {
    let service = head
        .get("authorization")
        .and_then(|a| a.split("Credential=").nth(1))
        .and_then(|c| c.split('/').nth(3))
        .unwrap_or("unknown")
        .to_string();
    let display = match service.as_str() {
        "lambda" => "Lambda",
        "iam" => "IAM",
        "sts" => "STS",
        "sqs" => "SQS",
        "events" => "EventBridge",
        "apigateway" if head.path.starts_with("/v2/") => "ApiGatewayV2",
        "apigateway" => "ApiGateway",
        "logs" => "CloudWatchLogs",
        "dynamodb" => "DynamoDB",
        "cloudformation" => "CloudFormation",
        "s3" => "S3",
        "tagging" => "ResourceGroupsTagging",
        "sns" => "SNS",
        "scheduler" => "Scheduler",
        "monitoring" => "CloudWatch",
        other => other,
    };
    let (method, path) = (head.method.as_str(), head.path.as_str());
    let operation = if let Some(target) = head.get("x-amz-target") {
        // JSON protocols: `AmazonSQS.CreateQueue`.
        target.rsplit('.').next().unwrap_or_default().to_string()
    } else if body.starts_with(b"Action=") || matches!(service.as_str(), "iam" | "sts") {
        // The query protocol (IAM, STS, CloudFormation).
        form_action(body)
    } else if service == "lambda" {
        lambda(method, path)
    } else if service == "apigateway" && path.starts_with("/v2/") {
        apigateway(method, path)
    } else if service == "apigateway" {
        rest_apigateway(method, path)
    } else if service == "s3" {
        s3(method, path, &head.query)
    } else if service == "scheduler" {
        scheduler(method, path)
    } else if let Some((_, op)) = path.split_once("/operation/") {
        // Smithy RPC v2 CBOR (CloudWatch): `/service/SERVICE/operation/OPERATION`.
        op.to_string()
    } else {
        format!("{method} {path}")
    };
    Operation {
        name: format!("{display}.{operation}"),
        service,
    }
}

/// `Action=CreateRole&...` in a query-protocol body.
fn form_action(body: &[u8]) -> String {
    String::from_utf8_lossy(body)
        .split('&')
        .find_map(|kv| kv.strip_prefix("Action="))
        .unwrap_or("Unknown")
        .to_string()
}

/// Lambda's REST routes, as its API reference lists them (versioned prefixes dropped).
fn lambda(method: &str, path: &str) -> String {
    let segments: Vec<&str> = path.split('/').filter(|s| !s.is_empty()).skip(1).collect();
    let op = match (method, segments.as_slice()) {
        ("POST", ["functions"]) => "CreateFunction",
        ("GET", ["functions"]) => "ListFunctions",
        ("GET", ["functions", _]) => "GetFunction",
        ("DELETE", ["functions", _]) => "DeleteFunction",
        ("GET", ["functions", _, "configuration"]) => "GetFunctionConfiguration",
        ("PUT", ["functions", _, "configuration"]) => "UpdateFunctionConfiguration",
        ("PUT", ["functions", _, "code"]) => "UpdateFunctionCode",
        ("GET", ["functions", _, "policy"]) => "GetPolicy",
        ("POST", ["functions", _, "policy"]) => "AddPermission",
        ("DELETE", ["functions", _, "policy", _]) => "RemovePermission",
        ("PUT", ["functions", _, "concurrency"]) => "PutFunctionConcurrency",
        ("DELETE", ["functions", _, "concurrency"]) => "DeleteFunctionConcurrency",
        ("GET", ["functions", _, "concurrency"]) => "GetFunctionConcurrency",
        ("POST", ["functions", _, "aliases"]) => "CreateAlias",
        ("GET", ["functions", _, "aliases"]) => "ListAliases",
        ("GET", ["functions", _, "aliases", _]) => "GetAlias",
        ("PUT", ["functions", _, "aliases", _]) => "UpdateAlias",
        ("DELETE", ["functions", _, "aliases", _]) => "DeleteAlias",
        ("POST", ["functions", _, "versions"]) => "PublishVersion",
        ("GET", ["functions", _, "versions"]) => "ListVersionsByFunction",
        ("GET", ["functions", _, "provisioned-concurrency"]) => "GetProvisionedConcurrencyConfig",
        ("PUT", ["functions", _, "provisioned-concurrency"]) => "PutProvisionedConcurrencyConfig",
        ("DELETE", ["functions", _, "provisioned-concurrency"]) => {
            "DeleteProvisionedConcurrencyConfig"
        }
        ("POST", ["functions", _, "invocations"]) => "Invoke",
        ("POST", ["functions", _, "url"]) => "CreateFunctionUrlConfig",
        ("GET", ["functions", _, "url"]) => "GetFunctionUrlConfig",
        ("PUT", ["functions", _, "url"]) => "UpdateFunctionUrlConfig",
        ("DELETE", ["functions", _, "url"]) => "DeleteFunctionUrlConfig",
        ("PUT", ["functions", _, "event-invoke-config"]) => "PutFunctionEventInvokeConfig",
        ("GET", ["functions", _, "event-invoke-config"]) => "GetFunctionEventInvokeConfig",
        ("DELETE", ["functions", _, "event-invoke-config"]) => "DeleteFunctionEventInvokeConfig",
        ("POST", ["event-source-mappings"]) => "CreateEventSourceMapping",
        ("GET", ["event-source-mappings"]) => "ListEventSourceMappings",
        ("GET", ["event-source-mappings", _]) => "GetEventSourceMapping",
        ("PUT", ["event-source-mappings", _]) => "UpdateEventSourceMapping",
        ("DELETE", ["event-source-mappings", _]) => "DeleteEventSourceMapping",
        ("POST", ["tags", ..]) => "TagResource",
        ("DELETE", ["tags", ..]) => "UntagResource",
        ("GET", ["tags", ..]) => "ListTags",
        ("GET", ["account-settings"]) => "GetAccountSettings",
        _ => return format!("{method} {path}"),
    };
    op.to_string()
}

/// S3's REST routes, path-style: `/` (the account's buckets), `/bucket` and its
/// subresources (`?tagging`, `?versions`...), `/bucket/key` and its multipart uploads.
fn s3(method: &str, path: &str, query: &str) -> String {
    let keys: Vec<&str> = query
        .split('&')
        .map(|kv| kv.split('=').next().unwrap_or_default())
        .filter(|k| !k.is_empty() && *k != "x-id")
        .collect();
    let has = |key: &str| keys.contains(&key);
    // The SDK addresses a bucket's own operations as `/bucket/?subresource`.
    let trimmed = path.trim_start_matches('/');
    let trimmed = trimmed
        .strip_suffix('/')
        .filter(|b| !b.contains('/'))
        .unwrap_or(trimmed);
    let op = if trimmed.is_empty() {
        match method {
            "GET" => "ListBuckets",
            _ => return format!("{method} {path}"),
        }
    } else if trimmed.contains('/') {
        match method {
            "POST" if has("uploads") => "CreateMultipartUpload",
            "POST" if has("uploadId") => "CompleteMultipartUpload",
            "PUT" if has("uploadId") => "UploadPart",
            "DELETE" if has("uploadId") => "AbortMultipartUpload",
            "GET" => "GetObject",
            "HEAD" => "HeadObject",
            "PUT" => "PutObject",
            "DELETE" => "DeleteObject",
            _ => return format!("{method} {path}"),
        }
    } else {
        // A bucket's subresources, as S3's API reference names their operations.
        const SUBRESOURCES: &[(&str, &str, &str, &str)] = &[
            // (subresource, GET, PUT, DELETE)
            (
                "tagging",
                "GetBucketTagging",
                "PutBucketTagging",
                "DeleteBucketTagging",
            ),
            (
                "versioning",
                "GetBucketVersioning",
                "PutBucketVersioning",
                "",
            ),
            (
                "lifecycle",
                "GetBucketLifecycleConfiguration",
                "PutBucketLifecycleConfiguration",
                "DeleteBucketLifecycle",
            ),
            ("cors", "GetBucketCors", "PutBucketCors", "DeleteBucketCors"),
            (
                "encryption",
                "GetBucketEncryption",
                "PutBucketEncryption",
                "DeleteBucketEncryption",
            ),
            (
                "publicAccessBlock",
                "GetPublicAccessBlock",
                "PutPublicAccessBlock",
                "DeletePublicAccessBlock",
            ),
            (
                "notification",
                "GetBucketNotificationConfiguration",
                "PutBucketNotificationConfiguration",
                "",
            ),
            (
                "policy",
                "GetBucketPolicy",
                "PutBucketPolicy",
                "DeleteBucketPolicy",
            ),
            ("location", "GetBucketLocation", "", ""),
            ("versions", "ListObjectVersions", "", ""),
            ("uploads", "ListMultipartUploads", "", ""),
        ];
        let named = SUBRESOURCES
            .iter()
            .find(|(sub, ..)| has(sub))
            .map(|(_, get, put, delete)| match method {
                "GET" => *get,
                "PUT" => *put,
                "DELETE" => *delete,
                _ => "",
            });
        match (method, named) {
            (_, Some(op)) if !op.is_empty() => op,
            ("POST", None) if has("delete") => "DeleteObjects",
            ("GET", None) if query.contains("list-type=2") => "ListObjectsV2",
            ("GET", None) => "ListObjects",
            ("HEAD", None) => "HeadBucket",
            ("PUT", None) => "CreateBucket",
            ("DELETE", None) => "DeleteBucket",
            _ => return format!("{method} {path}"),
        }
    };
    op.to_string()
}

/// EventBridge Scheduler's REST routes: `/schedule-groups/{name}`, `/schedules/{name}` and
/// `/tags/{arn}`, named as its API reference names them.
fn scheduler(method: &str, path: &str) -> String {
    let segments: Vec<&str> = path.split('/').filter(|s| !s.is_empty()).collect();
    let op = match (method, segments.first().copied(), segments.len() > 1) {
        ("GET", Some("schedule-groups"), false) => "ListScheduleGroups",
        ("POST", Some("schedule-groups"), true) => "CreateScheduleGroup",
        ("GET", Some("schedule-groups"), true) => "GetScheduleGroup",
        ("DELETE", Some("schedule-groups"), true) => "DeleteScheduleGroup",
        ("GET", Some("schedules"), false) => "ListSchedules",
        ("POST", Some("schedules"), true) => "CreateSchedule",
        ("GET", Some("schedules"), true) => "GetSchedule",
        ("PUT", Some("schedules"), true) => "UpdateSchedule",
        ("DELETE", Some("schedules"), true) => "DeleteSchedule",
        ("GET", Some("tags"), true) => "ListTagsForResource",
        ("POST", Some("tags"), true) => "TagResource",
        ("DELETE", Some("tags"), true) => "UntagResource",
        _ => return format!("{method} {path}"),
    };
    op.to_string()
}

/// API Gateway v1's routes (REST APIs), named as the SDK names the calls slsr makes.
fn rest_apigateway(method: &str, path: &str) -> String {
    let segments: Vec<&str> = path.split('/').filter(|s| !s.is_empty()).collect();
    let op = match (method, segments.as_slice()) {
        ("POST", ["tags", ..]) => "TagResource",
        ("DELETE", ["tags", ..]) => "UntagResource",
        ("GET", ["tags", ..]) => "GetTags",
        ("GET", ["restapis"]) => "GetRestApis",
        ("POST", ["restapis"]) => "CreateRestApi",
        ("GET", ["restapis", _]) => "GetRestApi",
        ("PATCH", ["restapis", _]) => "UpdateRestApi",
        ("DELETE", ["restapis", _]) => "DeleteRestApi",
        ("GET", ["restapis", _, "resources"]) => "GetResources",
        ("POST", ["restapis", _, "resources", _]) => "CreateResource",
        ("GET", ["restapis", _, "resources", _]) => "GetResource",
        ("DELETE", ["restapis", _, "resources", _]) => "DeleteResource",
        ("PUT", ["restapis", _, "resources", _, "methods", _]) => "PutMethod",
        ("GET", ["restapis", _, "resources", _, "methods", _]) => "GetMethod",
        ("PATCH", ["restapis", _, "resources", _, "methods", _]) => "UpdateMethod",
        ("DELETE", ["restapis", _, "resources", _, "methods", _]) => "DeleteMethod",
        ("PUT", ["restapis", _, "resources", _, "methods", _, "integration"]) => "PutIntegration",
        ("GET", ["restapis", _, "resources", _, "methods", _, "integration"]) => "GetIntegration",
        ("POST", ["restapis", _, "deployments"]) => "CreateDeployment",
        ("GET", ["restapis", _, "deployments"]) => "GetDeployments",
        ("GET", ["restapis", _, "deployments", _]) => "GetDeployment",
        ("GET", ["restapis", _, "stages"]) => "GetStages",
        ("GET", ["restapis", _, "stages", _]) => "GetStage",
        ("PATCH", ["restapis", _, "stages", _]) => "UpdateStage",
        ("DELETE", ["restapis", _, "stages", _]) => "DeleteStage",
        _ => return format!("{method} {path}"),
    };
    op.to_string()
}

/// API Gateway v2's REST routes: `/v2/apis/{id}/{collection}/{item}`, named as the SDK
/// names them (POST a collection: Create*, GET it: Get*s, GET an item: Get*, PATCH:
/// Update*, DELETE: Delete*); tags under `/v2/tags/{arn}`.
fn apigateway(method: &str, path: &str) -> String {
    let segments: Vec<&str> = path.split('/').filter(|s| !s.is_empty()).skip(1).collect();
    if segments.first() == Some(&"tags") {
        return match method {
            "POST" => "TagResource",
            "DELETE" => "UntagResource",
            _ => "GetTags",
        }
        .to_string();
    }
    // The last collection named in the path, and whether an item of it is addressed.
    let (collection, item) = match segments.len() {
        0 => return format!("{method} {path}"),
        n if n % 2 == 1 => (segments[n - 1], false),
        n => (segments[n - 2], true),
    };
    let mut singular: String = match collection {
        // Custom domains' collections, whose SDK names are two words.
        "domainnames" => "DomainName".into(),
        "apimappings" => "ApiMapping".into(),
        other => other.trim_end_matches('s').to_string(),
    };
    if let Some(first) = singular.get_mut(0..1) {
        first.make_ascii_uppercase();
    }
    if singular == "Cor" {
        // DELETE /v2/apis/{id}/cors
        return "DeleteCorsConfiguration".into();
    }
    match (method, item) {
        ("POST", false) => format!("Create{singular}"),
        ("GET", false) => format!("Get{singular}s"),
        ("GET", true) => format!("Get{singular}"),
        ("PATCH", true) => format!("Update{singular}"),
        ("DELETE", true) => format!("Delete{singular}"),
        _ => format!("{method} {path}"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn name(request: &str, service: &str, extra: &str, body: &str) -> String {
        let text = format!(
            "{request} HTTP/1.1\r\nAuthorization: AWS4-HMAC-SHA256 Credential=AKID/20261126/us-east-1/{service}/aws4_request, SignedHeaders=host\r\n{extra}"
        );
        of(&Head::parse(&text), body.as_bytes()).name
    }

    #[test]
    fn names_each_protocols_operations() {
        let cases = [
            (
                name("GET /2015-03-31/functions/orders-dev-api", "lambda", "", ""),
                "Lambda.GetFunction",
            ),
            (
                name("GET /2015-03-31/functions/?MaxItems=50", "lambda", "", ""),
                "Lambda.ListFunctions",
            ),
            (
                name(
                    "DELETE /2015-03-31/functions/f/policy/slsr-1",
                    "lambda",
                    "",
                    "",
                ),
                "Lambda.RemovePermission",
            ),
            (
                name("PUT /2017-10-31/functions/f/concurrency", "lambda", "", ""),
                "Lambda.PutFunctionConcurrency",
            ),
            (
                name("POST /2015-03-31/event-source-mappings/", "lambda", "", ""),
                "Lambda.CreateEventSourceMapping",
            ),
            (
                name("POST /", "iam", "", "Action=CreateRole&Version=2010-05-08"),
                "IAM.CreateRole",
            ),
            (
                name("POST /", "sqs", "X-Amz-Target: AmazonSQS.CreateQueue", ""),
                "SQS.CreateQueue",
            ),
            (
                name("POST /v2/apis", "apigateway", "", ""),
                "ApiGatewayV2.CreateApi",
            ),
            (
                name("GET /v2/apis", "apigateway", "", ""),
                "ApiGatewayV2.GetApis",
            ),
            (
                name("GET /v2/domainnames", "apigateway", "", ""),
                "ApiGatewayV2.GetDomainNames",
            ),
            (
                name(
                    "PATCH /v2/domainnames/api.example.com/apimappings/m1",
                    "apigateway",
                    "",
                    "",
                ),
                "ApiGatewayV2.UpdateApiMapping",
            ),
            (
                name("GET /v2/apis/a1/routes", "apigateway", "", ""),
                "ApiGatewayV2.GetRoutes",
            ),
            (
                name("PATCH /v2/apis/a1/integrations/i1", "apigateway", "", ""),
                "ApiGatewayV2.UpdateIntegration",
            ),
            (
                name("DELETE /v2/apis/a1/cors", "apigateway", "", ""),
                "ApiGatewayV2.DeleteCorsConfiguration",
            ),
            (
                name(
                    "POST /",
                    "cloudformation",
                    "",
                    "Action=CreateChangeSet&StackName=s",
                ),
                "CloudFormation.CreateChangeSet",
            ),
            (name("PUT /artifacts/app.zip", "s3", "", ""), "S3.PutObject"),
            (
                name("GET /?max-buckets=1000&x-id=ListBuckets", "s3", "", ""),
                "S3.ListBuckets",
            ),
            (name("PUT /b", "s3", "", ""), "S3.CreateBucket"),
            (name("DELETE /b", "s3", "", ""), "S3.DeleteBucket"),
            (name("PUT /b?tagging", "s3", "", ""), "S3.PutBucketTagging"),
            (
                name("GET /b/?notification", "s3", "", ""),
                "S3.GetBucketNotificationConfiguration",
            ),
            (name("PUT /b/dir/", "s3", "", ""), "S3.PutObject"),
            (
                name("GET /b?versioning", "s3", "", ""),
                "S3.GetBucketVersioning",
            ),
            (
                name("DELETE /b?lifecycle", "s3", "", ""),
                "S3.DeleteBucketLifecycle",
            ),
            (
                name("PUT /b?notification", "s3", "", ""),
                "S3.PutBucketNotificationConfiguration",
            ),
            (
                name("GET /b?versions&max-keys=1000&key-marker=a", "s3", "", ""),
                "S3.ListObjectVersions",
            ),
            (name("POST /b?delete", "s3", "", ""), "S3.DeleteObjects"),
            (
                name(
                    "DELETE /b/big?uploadId=u1&x-id=AbortMultipartUpload",
                    "s3",
                    "",
                    "",
                ),
                "S3.AbortMultipartUpload",
            ),
            (
                name("GET /b?uploads", "s3", "", ""),
                "S3.ListMultipartUploads",
            ),
            // Later pages: the token rides in the query, the form or the JSON body.
            (
                name(
                    "GET /2015-03-31/functions/?Marker=eyJhZnRlciI6IjEifQ%3D%3D",
                    "lambda",
                    "",
                    "",
                ),
                "Lambda.ListFunctions",
            ),
            (
                name(
                    "GET /2015-03-31/event-source-mappings/?Marker=abc",
                    "lambda",
                    "",
                    "",
                ),
                "Lambda.ListEventSourceMappings",
            ),
            (
                name("GET /v2/apis/a1/routes?nextToken=abc", "apigateway", "", ""),
                "ApiGatewayV2.GetRoutes",
            ),
            (
                name("GET /v2/apis?nextToken=abc", "apigateway", "", ""),
                "ApiGatewayV2.GetApis",
            ),
            (
                name(
                    "GET /schedule-groups?NamePrefix=shop-dev",
                    "scheduler",
                    "",
                    "",
                ),
                "Scheduler.ListScheduleGroups",
            ),
            (
                name("PUT /schedules/api-nightly", "scheduler", "", ""),
                "Scheduler.UpdateSchedule",
            ),
            (
                name(
                    "POST /",
                    "iam",
                    "",
                    "Action=GetAccountAuthorizationDetails&Version=2010-05-08&Filter.member.1=Role&Marker=abc",
                ),
                "IAM.GetAccountAuthorizationDetails",
            ),
            (
                name(
                    "POST /",
                    "logs",
                    "X-Amz-Target: Logs_20140328.DescribeLogGroups",
                    r#"{"nextToken":"abc"}"#,
                ),
                "CloudWatchLogs.DescribeLogGroups",
            ),
        ];
        for (got, want) in cases {
            assert_eq!(got, want);
        }
    }

    #[test]
    fn tells_reads_from_writes() {
        let op = |name: &str| Operation {
            service: "lambda".into(),
            name: name.into(),
        };
        assert!(op("Lambda.GetPolicy").is_read());
        assert!(op("IAM.GetAccountAuthorizationDetails").is_read());
        assert!(!op("Lambda.AddPermission").is_read());
        assert!(!op("ApiGatewayV2.CreateRoute").is_read());
        assert!(op("ApiGateway.GET /restapis").is_read());
        assert!(!op("ApiGateway.PUT /restapis/a1").is_read());
    }
}
