//! Physical names: how each resource is named in AWS, and AWS's limits on those names.
//!
//! Every resource is `{service}-{stage}-{name}`; resources whose identity is their content
//! (EventBridge rules) add a stable 8-character suffix. The limits are checked up front so
//! that no apply fails on a name AWS rejects.

/// Length of the content-derived suffix on rule names: `-` and 8 hex digits.
pub const RULE_SUFFIX_LEN: usize = 9;

/// AWS's limit for each kind of name slsr creates.
#[derive(Clone, Copy, Debug)]
pub enum Kind {
    Function,
    Role,
    Queue,
    Rule,
    HttpApi,
    Table,
    Bucket,
}

impl Kind {
    pub fn max_len(self) -> usize {
        match self {
            Kind::Function | Kind::Role | Kind::Rule => 64,
            Kind::Queue => 80,
            Kind::HttpApi => 128,
            Kind::Table => 255,
            Kind::Bucket => 63,
        }
    }

    pub fn noun(self) -> &'static str {
        match self {
            Kind::Function => "Lambda function name",
            Kind::Role => "IAM role name",
            Kind::Queue => "SQS queue name",
            Kind::Rule => "EventBridge rule name",
            Kind::HttpApi => "HTTP API name",
            Kind::Table => "DynamoDB table name",
            Kind::Bucket => "S3 bucket name (with the account id)",
        }
    }
}

/// A key under `functions`, `queues` or `roles`: letters, digits, `-` and `_`, which every
/// kind of physical name accepts.
pub fn valid_key(name: &str) -> bool {
    let mut chars = name.chars();
    chars.next().is_some_and(|c| c.is_ascii_alphanumeric())
        && chars.all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_')
}

/// Env var names Lambda reserves for itself.
pub const RESERVED_ENV: &[&str] = &[
    "_HANDLER",
    "_X_AMZN_TRACE_ID",
    "AWS_DEFAULT_REGION",
    "AWS_REGION",
    "AWS_EXECUTION_ENV",
    "AWS_LAMBDA_FUNCTION_NAME",
    "AWS_LAMBDA_FUNCTION_MEMORY_SIZE",
    "AWS_LAMBDA_FUNCTION_VERSION",
    "AWS_LAMBDA_INITIALIZATION_TYPE",
    "AWS_LAMBDA_LOG_GROUP_NAME",
    "AWS_LAMBDA_LOG_STREAM_NAME",
    "AWS_ACCESS_KEY",
    "AWS_ACCESS_KEY_ID",
    "AWS_SECRET_ACCESS_KEY",
    "AWS_SESSION_TOKEN",
    "AWS_LAMBDA_RUNTIME_API",
    "LAMBDA_TASK_ROOT",
    "LAMBDA_RUNTIME_DIR",
];

/// Lambda's rule for env var names: a letter, then letters, digits or `_` (two characters at least).
pub fn valid_env_name(name: &str) -> bool {
    let mut chars = name.chars();
    chars.next().is_some_and(|c| c.is_ascii_alphabetic())
        && name.len() >= 2
        && chars.all(|c| c.is_ascii_alphanumeric() || c == '_')
}

/// Lambda's limit on all environment variables together, keys and values, in bytes.
pub const ENV_LIMIT: usize = 4096;
