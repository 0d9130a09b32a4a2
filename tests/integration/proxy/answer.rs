//! Error answers shaped as each AWS service sends them, so the SDK parses them exactly as it
//! would parse AWS's: the status, the error code where the protocol puts it (an
//! `x-amzn-errortype` header for REST-JSON, `__type` for the JSON protocols, `<Code>` in the
//! query protocol's and REST-XML's documents) and the message.

/// What kind of error to answer with.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Kind {
    /// Over the operation's rate limit.
    Throttled,
    /// The service failed (a 500).
    Internal,
    /// The caller may not call this.
    Denied,
}

/// A whole HTTP response for `service` (the SigV4 signing name) and the operation's
/// short name. Returns the response and its status.
pub fn error(service: &str, operation: &str, kind: Kind) -> (Vec<u8>, u16) {
    let message = match kind {
        Kind::Throttled => "Rate exceeded".to_string(),
        Kind::Internal => "We encountered an internal error. Please try again.".to_string(),
        Kind::Denied => format!(
            "User: arn:aws:iam::123456789012:user/ci is not authorized to perform: {service}:{operation}"
        ),
    };
    let (status, headers, body) = match service {
        // REST-JSON: the code in x-amzn-errortype.
        "lambda" => {
            let (status, code, body) = match kind {
                Kind::Throttled => (
                    429,
                    "TooManyRequestsException",
                    format!(
                        r#"{{"Reason":"CallerRateLimitExceeded","Type":"User","message":"{message}"}}"#
                    ),
                ),
                Kind::Internal => (
                    500,
                    "ServiceException",
                    format!(r#"{{"Type":"Service","message":"{message}"}}"#),
                ),
                Kind::Denied => (
                    403,
                    "AccessDeniedException",
                    format!(r#"{{"Type":"User","Message":"{message}"}}"#),
                ),
            };
            (status, rest_json(code), body)
        }
        "apigateway" => {
            let (status, code) = match kind {
                Kind::Throttled => (429, "TooManyRequestsException"),
                Kind::Internal => (500, "InternalServerErrorException"),
                Kind::Denied => (403, "AccessDeniedException"),
            };
            (
                status,
                rest_json(code),
                format!(r#"{{"message":"{message}"}}"#),
            )
        }
        // REST-XML (S3): an Error document, and S3's own codes (a throttle is 503 SlowDown).
        "s3" => {
            let (status, code) = match kind {
                Kind::Throttled => (503, "SlowDown"),
                Kind::Internal => (500, "InternalError"),
                Kind::Denied => (403, "AccessDenied"),
            };
            (
                status,
                vec![("content-type", "application/xml".to_string())],
                format!(
                    r#"<?xml version="1.0" encoding="UTF-8"?><Error><Code>{code}</Code><Message>{message}</Message><RequestId>0000000000000000</RequestId></Error>"#
                ),
            )
        }
        // The query protocol: an XML ErrorResponse.
        "iam" | "sts" => {
            let (status, code, fault) = match kind {
                Kind::Throttled => (400, "Throttling", "Sender"),
                Kind::Internal => (500, "ServiceFailure", "Receiver"),
                Kind::Denied => (403, "AccessDenied", "Sender"),
            };
            let xmlns = if service == "iam" {
                "https://iam.amazonaws.com/doc/2010-05-08/"
            } else {
                "https://sts.amazonaws.com/doc/2011-06-15/"
            };
            (
                status,
                vec![("content-type", "text/xml".to_string())],
                format!(
                    r#"<ErrorResponse xmlns="{xmlns}"><Error><Type>{fault}</Type><Code>{code}</Code><Message>{message}</Message></Error><RequestId>00000000-0000-0000-0000-000000000000</RequestId></ErrorResponse>"#
                ),
            )
        }
        // The JSON protocols: the code in `__type`. SQS is query-compatible and also says
        // the query code in x-amzn-query-error.
        _ => {
            let (status, code) = match (service, kind) {
                ("sqs", Kind::Throttled) => (400, "RequestThrottled"),
                (_, Kind::Throttled) => (400, "ThrottlingException"),
                ("sqs", Kind::Internal) => (500, "InternalError"),
                ("dynamodb", Kind::Internal) => (500, "InternalServerError"),
                (_, Kind::Internal) => (500, "InternalException"),
                (_, Kind::Denied) => (400, "AccessDeniedException"),
            };
            let (namespace, content_type) = match service {
                "sqs" => ("com.amazonaws.sqs#", "application/x-amz-json-1.0"),
                "dynamodb" => (
                    "com.amazonaws.dynamodb.v20120810#",
                    "application/x-amz-json-1.0",
                ),
                _ => ("", "application/x-amz-json-1.1"),
            };
            let mut headers = vec![("content-type", content_type.to_string())];
            if service == "sqs" {
                let fault = if status == 500 { "Receiver" } else { "Sender" };
                headers.push(("x-amzn-query-error", format!("{code};{fault}")));
            }
            (
                status,
                headers,
                format!(r#"{{"__type":"{namespace}{code}","message":"{message}"}}"#),
            )
        }
    };
    let mut response = format!("HTTP/1.1 {status} {}\r\n", reason(status));
    for (name, value) in headers {
        response.push_str(&format!("{name}: {value}\r\n"));
    }
    response.push_str(&format!(
        "x-amzn-requestid: 00000000-0000-0000-0000-000000000000\r\ncontent-length: {}\r\n\r\n{body}",
        body.len()
    ));
    (response.into_bytes(), status)
}

/// A whole HTTP response of `status` with `headers` and `body`, as a test gives it (a
/// Lambda Invoke's answer, which the emulator cannot give).
pub fn reply(status: u16, headers: &[(&'static str, String)], body: &str) -> Vec<u8> {
    let mut response = format!("HTTP/1.1 {status} {}\r\n", reason(status));
    for (name, value) in headers {
        response.push_str(&format!("{name}: {value}\r\n"));
    }
    response.push_str(&format!("content-length: {}\r\n\r\n{body}", body.len()));
    response.into_bytes()
}

fn reason(status: u16) -> &'static str {
    match status {
        200 => "OK",
        202 => "Accepted",
        400 => "Bad Request",
        403 => "Forbidden",
        404 => "Not Found",
        429 => "Too Many Requests",
        503 => "Slow Down",
        _ => "Internal Server Error",
    }
}

fn rest_json(code: &str) -> Vec<(&'static str, String)> {
    vec![
        ("content-type", "application/json".to_string()),
        ("x-amzn-errortype", code.to_string()),
    ]
}
