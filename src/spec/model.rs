//! The typed spec: what `slsr.yaml` may contain, as Rust types.
//!
//! These types are the single source of the spec's shape: the JSON Schema (for editors and
//! for structural validation) is generated from them, and their doc comments are the hover
//! help and the `help:` lines of diagnostics. Constraints that JSON Schema can say (ranges,
//! enums, patterns, list lengths) are written here as `schemars` attributes; rules that span
//! several fields live in `rules.rs`.

use std::borrow::Cow;
use std::collections::BTreeMap;

use schemars::{JsonSchema, Schema, SchemaGenerator, json_schema};
use serde::{Deserialize, Serialize};

pub use super::alarm_model::*;
pub use super::data_model::*;
pub use super::domain_model::*;
pub use super::messaging_model::*;
pub use super::rest_auth_model::*;
pub use super::rest_cors_model::*;
pub use super::rest_key_model::*;
pub use super::rest_model::*;
pub use super::stream_model::*;
pub use super::workflow_model::*;

/// An slsr spec: one serverless service, deployed once per stage.
#[derive(Debug, Clone, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Spec {
    /// Spec format version. Only 1 exists; omitted means 1.
    #[schemars(extend("enum" = [1]))]
    pub version: Option<u32>,
    /// The service name, the first part of every physical name `{service}-{stage}-{name}`: lower-case letters, digits and dashes, starting with a letter.
    #[schemars(regex(pattern = r"^[a-z][a-z0-9-]*$"), length(min = 1, max = 40))]
    pub service: String,
    /// The default stage (for example dev or prod); `--stage` overrides it. Omitted: dev.
    #[schemars(regex(pattern = r"^[a-z0-9][a-z0-9-]*$"), length(min = 1, max = 20))]
    pub stage: Option<String>,
    /// The AWS region, for example us-east-1. `--region`, then the AWS profile or environment, override it.
    #[schemars(regex(pattern = r"^[a-z]{2}(-[a-z]+)+-[0-9]+$"))]
    pub region: Option<String>,
    /// Tags added to every resource slsr creates, besides its own `slsr:service` and `slsr:stage`.
    #[serde(default)]
    pub tags: BTreeMap<String, String>,
    /// Per-stage values used as `${param:NAME}`: `default` applies to every stage, a stage's own mapping overrides it key by key.
    #[serde(default)]
    pub params: BTreeMap<String, BTreeMap<String, ParamValue>>,
    /// Function fields applied to every function; a function's own value wins, and `env` is merged key by key.
    #[serde(default)]
    pub defaults: Function,
    /// IAM roles that functions name with `role: NAME`.
    #[serde(default)]
    pub roles: BTreeMap<String, Role>,
    /// SQS queues, named `{service}-{stage}-{name}` (with `.fifo` for FIFO queues).
    #[serde(default)]
    pub queues: BTreeMap<String, Queue>,
    /// DynamoDB tables, named `{service}-{stage}-{name}` unless they declare a `name`. They hold data: slsr never deletes or replaces one without `--allow-data-loss`.
    #[serde(default)]
    pub tables: BTreeMap<String, Table>,
    /// S3 buckets, named `{service}-{stage}-{name}-{account_id}` unless they declare a `name`. They hold data: slsr never deletes one without `--allow-data-loss`.
    #[serde(default)]
    pub buckets: BTreeMap<String, Bucket>,
    /// Step Functions state machines, named `{service}-{stage}-{name}` unless they declare a `name`, each with a generated role that may invoke exactly the functions its definition names.
    #[serde(default)]
    pub state_machines: BTreeMap<String, StateMachine>,
    /// SNS topics, named `{service}-{stage}-{name}` (with `.fifo` for FIFO topics) unless they declare a `name`. `sns` events subscribe functions to them.
    #[serde(default)]
    pub topics: BTreeMap<String, Topic>,
    /// EventBridge custom event buses, named `{service}-{stage}-{name}`. `eventbridge` events name them with `bus: NAME`.
    #[serde(default)]
    pub buses: BTreeMap<String, Bus>,
    /// Kinesis data streams, named `{service}-{stage}-{name}` unless they declare a `name`. They hold data: slsr never deletes or replaces one without `--allow-data-loss`.
    #[serde(default)]
    pub streams: BTreeMap<String, Stream>,
    /// Secrets Manager secrets with a value Secrets Manager generates, named `{service}-{stage}-{name}` unless they declare a `name`. They hold data: slsr never deletes one without `--allow-data-loss`.
    #[serde(default)]
    pub secrets: BTreeMap<String, Secret>,
    /// Settings of the service's HTTP API (API Gateway v2). The API exists when any function has an `http` event.
    pub http_api: Option<HttpApi>,
    /// Settings of the service's REST API (API Gateway v1). The API exists when any function has a `rest` event.
    pub rest_api: Option<RestApi>,
    /// The Lambda functions, each named `{service}-{stage}-{name}`.
    #[serde(default)]
    pub functions: BTreeMap<String, Function>,
    /// Values printed after apply and by `slsr outputs`, optionally published to SSM Parameter Store.
    #[serde(default)]
    pub outputs: BTreeMap<String, Output>,
    /// A deploy lock, so that two pipelines never apply or destroy this service and stage at once.
    pub lock: Option<DeployLock>,
    /// Packaging settings: the directories outside the project that `code` may come from.
    pub package: Option<Packaging>,
    /// CloudWatch alarms: the defaults of every function and dead-letter queue, the service's own, and where they notify.
    pub alarms: Option<Alarms>,
}

/// Packaging settings.
#[derive(Debug, Clone, Default, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
#[schemars(example = serde_json::json!({"allow_outside": ["../shared-libs"]}))]
pub struct Packaging {
    /// Directories outside the spec's directory and its git repository that `code` may name, relative to the spec file, for example ../shared-libs. A `code` that resolves (through `..` and symlinks) outside all of them is an error.
    #[serde(default)]
    pub allow_outside: Vec<String>,
}

/// The deploy lock: an item in an existing DynamoDB table.
#[derive(Debug, Clone, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
#[schemars(example = serde_json::json!({"table": "deploy-locks"}))]
pub struct DeployLock {
    /// The DynamoDB table that holds locks; its partition key is `lock`, a string. One table can serve many services.
    #[schemars(length(min = 3, max = 255))]
    pub table: String,
    /// Seconds to wait for a lock another run holds before giving up, 0 to 3600 (default 60).
    #[schemars(range(min = 0, max = 3600))]
    pub timeout: Option<u32>,
    /// Seconds a lock lasts unless renewed, 3 to 3600 (default 120). A running apply or destroy renews it every third of that; a lock whose run died expires after it, and the next run takes it over.
    #[schemars(range(min = 3, max = 3600))]
    pub lease: Option<u32>,
}

/// A parameter's value: any YAML value; a reference that is the whole scalar takes its type.
#[derive(Debug, Clone, Deserialize)]
#[serde(transparent)]
pub struct ParamValue(pub serde_json::Value);

impl JsonSchema for ParamValue {
    fn schema_name() -> Cow<'static, str> {
        "ParamValue".into()
    }
    fn json_schema(_: &mut SchemaGenerator) -> Schema {
        json_schema!({
            "description": "A parameter value: a string, number, boolean, list or mapping."
        })
    }
}

/// An environment variable's value. Numbers and booleans are written as text, as Lambda stores them.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(from = "serde_json::Value")]
pub struct EnvValue(pub String);

impl From<serde_json::Value> for EnvValue {
    fn from(value: serde_json::Value) -> EnvValue {
        match value {
            serde_json::Value::String(s) => EnvValue(s),
            other => EnvValue(other.to_string()),
        }
    }
}

impl JsonSchema for EnvValue {
    fn schema_name() -> Cow<'static, str> {
        "EnvValue".into()
    }
    fn json_schema(_: &mut SchemaGenerator) -> Schema {
        json_schema!({
            "type": ["string", "number", "boolean"],
            "description": "An environment variable's value; numbers and booleans are stored as text."
        })
    }
}

/// A Lambda function. Either `code` (with `handler` and `runtime`) or `image`.
#[derive(Debug, Clone, Default, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
#[schemars(example = serde_json::json!({"handler": "app.handler", "runtime": "python3.12", "code": "./src"}))]
pub struct Function {
    /// The handler Lambda calls, for example `index.handler` or `bootstrap`. Required with `code`, not allowed with `image`.
    #[schemars(length(min = 1, max = 128))]
    pub handler: Option<String>,
    /// The Lambda runtime, for example python3.12, nodejs22.x or provided.al2023. Required with `code`, not allowed with `image`.
    pub runtime: Option<String>,
    /// The function's code: a directory (zipped deterministically) or a .zip file, relative to the spec file.
    #[schemars(length(min = 1))]
    pub code: Option<String>,
    /// Glob patterns of files under `code` to leave out of the zip, relative to the code directory (`*` also matches `/`; a pattern matching a directory leaves out all under it). `.git` and `.slsr` are always left out.
    #[schemars(example = serde_json::json!(["*.pyc", "tests"]))]
    pub exclude: Option<Vec<String>>,
    /// How `code` is built before it is packaged: `python` (requirements.txt installed for the function's architecture and Python version), `node` (package.json's production dependencies, from package-lock.json), `rust` (cargo lambda build, for provided.* runtimes), or `{command, inputs, output}`. Built again only when its inputs change.
    #[schemars(example = serde_json::json!("python"))]
    #[schemars(example = serde_json::json!({"command": "npm run build", "inputs": ["src/**", "package.json"], "output": "dist"}))]
    pub build: Option<Build>,
    /// With `build: node`: bundle the handler's file and all it imports into that one file with the project's own esbuild (node_modules/.bin/esbuild), instead of installing node_modules.
    pub bundle: Option<bool>,
    /// A container image URI in ECR, for an image function (instead of `code`).
    #[schemars(length(min = 1))]
    pub image: Option<String>,
    /// A description shown in the Lambda console, at most 256 characters.
    #[schemars(length(max = 256))]
    pub description: Option<String>,
    /// Memory in MB, from 128 to 10240. Lambda's default is 128.
    #[schemars(range(min = 128, max = 10240))]
    pub memory: Option<u32>,
    /// Timeout in seconds, from 1 to 900. Lambda's default is 3.
    #[schemars(range(min = 1, max = 900))]
    pub timeout: Option<u32>,
    /// Size of /tmp in MB, from 512 to 10240. Lambda's default is 512.
    #[schemars(range(min = 512, max = 10240))]
    pub ephemeral_storage: Option<u32>,
    /// The instruction set: x86_64 (Lambda's default) or arm64.
    pub architecture: Option<Architecture>,
    /// Environment variables. Names start with a letter and use letters, digits and `_`; all together at most 4 KB.
    #[schemars(example = serde_json::json!({"LOG_LEVEL": "info"}))]
    pub env: Option<BTreeMap<String, EnvValue>>,
    /// The ARN of the KMS key that encrypts the environment variables.
    pub kms_key_arn: Option<String>,
    /// The execution role: the name of a role under `roles`, or a role ARN. Omitted: a generated least-privilege role.
    pub role: Option<String>,
    /// Layer version ARNs, at most 5.
    #[schemars(length(max = 5))]
    pub layers: Option<Vec<String>>,
    /// Runs the function in a VPC: its subnets and security groups.
    pub vpc: Option<Vpc>,
    /// Concurrency reserved for this function (0 stops it from running).
    #[schemars(range(min = 0, max = 100000))]
    pub reserved_concurrency: Option<u32>,
    /// Pre-initialized environments. Publishes a version and points the alias `live` at it.
    #[schemars(range(min = 1, max = 100000))]
    pub provisioned_concurrency: Option<u32>,
    /// X-Ray tracing: active or passthrough (Lambda's default).
    pub tracing: Option<Tracing>,
    /// Days CloudWatch Logs keeps the function's logs: 1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922, 3288 or 3653.
    #[schemars(extend("enum" = [1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922, 3288, 3653]))]
    pub log_retention_days: Option<u32>,
    /// Other principals allowed to invoke the function (a resource-based policy statement each).
    pub allow_invoke: Option<Vec<AllowInvoke>>,
    /// What triggers the function: http routes, schedules, EventBridge patterns, SQS queues.
    #[schemars(example = serde_json::json!([{"http": "GET /orders"}, {"schedule": "rate(5 minutes)"}]))]
    pub events: Option<Vec<Event>>,
    /// Extra IAM statements added to the function's generated role. Not allowed together with `role`.
    #[schemars(example = serde_json::json!([{"actions": ["s3:GetObject"], "resources": ["arn:aws:s3:::acme-uploads/*"]}]))]
    pub statements: Option<Vec<Statement>>,
    /// Asynchronous invocation settings: retries, maximum event age and an SQS on-failure destination.
    #[serde(rename = "async")]
    pub async_invoke: Option<AsyncInvoke>,
    /// A function URL: an HTTPS endpoint of the function's own. `${function:NAME.url}` is its address.
    pub url: Option<FunctionUrl>,
    /// Grants on the generated role, by `KIND.NAME` of a resource the spec declares: `table.NAME` and `bucket.NAME` take read, write or read_write; `queue.NAME` takes send; `topic.NAME` takes publish; `state_machine.NAME` takes start; `stream.NAME` takes write; `secret.NAME` (or `secret.ARN` of an existing secret) takes read. Merged over `defaults.access` key by key.
    pub access: Option<BTreeMap<String, AccessLevel>>,
}

/// How a function's code is built: a built-in builder by name, or a command.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(untagged)]
pub enum Build {
    /// A built-in builder: `python` (pip, for the function's architecture and Python version, no Docker), `node` (npm ci --omit=dev: production dependencies only) or `rust` (cargo lambda build --release, for provided.* runtimes).
    Builtin(Builder),
    Command(CommandBuild),
}

/// The built-in builders.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "lowercase")]
pub enum Builder {
    Python,
    Node,
    Rust,
}

/// A build by a command of your own.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
#[schemars(example = serde_json::json!({"command": "make dist", "inputs": ["src/**", "Makefile"], "output": "dist"}))]
pub struct CommandBuild {
    /// Run with `sh -c` in the code directory, with SLSR_BUILD_ARCH (x86_64 or arm64), SLSR_BUILD_RUNTIME and SLSR_BUILD_OUT (the output directory's absolute path) in its environment.
    #[schemars(length(min = 1))]
    pub command: String,
    /// Glob patterns, relative to the code directory, of the files the build reads (a pattern naming a directory takes everything under it). Omitted: every file of the code directory outside `output`.
    pub inputs: Option<Vec<String>>,
    /// The directory, relative to the code directory and inside it, that the command leaves the function's package in. slsr packages it instead of the code directory.
    #[schemars(length(min = 1))]
    pub output: String,
}

/// A Lambda function URL.
#[derive(Debug, Clone, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
#[schemars(example = serde_json::json!({"auth": "iam"}))]
pub struct FunctionUrl {
    /// Who may call it: `iam` (requests signed by principals allowed lambda:InvokeFunctionUrl) or `none` (anyone on the internet; the plan marks the function public).
    pub auth: UrlAuth,
    /// CORS for browsers calling the URL: origins, methods, headers, max_age, allow_credentials.
    pub cors: Option<Cors>,
    /// `buffered` (Lambda's default: the answer goes when the function returns) or `response_stream` (the answer streams as the function writes it).
    pub invoke_mode: Option<InvokeMode>,
}

/// Who may call a function URL.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, JsonSchema)]
#[serde(rename_all = "lowercase")]
pub enum UrlAuth {
    Iam,
    None,
}

/// How a function URL answers.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum InvokeMode {
    Buffered,
    ResponseStream,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, JsonSchema)]
pub enum Architecture {
    #[serde(rename = "x86_64")]
    X86_64,
    #[serde(rename = "arm64")]
    Arm64,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, JsonSchema)]
#[serde(rename_all = "lowercase")]
pub enum Tracing {
    Active,
    Passthrough,
}

/// VPC settings: both lists are required and not empty.
#[derive(Debug, Clone, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
#[schemars(example = serde_json::json!({"subnet_ids": ["subnet-0abc", "subnet-0def"], "security_group_ids": ["sg-0123"]}))]
pub struct Vpc {
    /// Subnet ids, for example subnet-0a1b2c3d.
    #[schemars(length(min = 1, max = 16))]
    pub subnet_ids: Vec<String>,
    /// Security group ids, for example sg-0123abcd.
    #[schemars(length(min = 1, max = 5))]
    pub security_group_ids: Vec<String>,
}

/// A principal allowed to invoke the function.
#[derive(Debug, Clone, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
#[schemars(example = serde_json::json!({"principal": "alexa-appkit.amazon.com", "event_source_token": "amzn1.ask.skill.12345"}))]
pub struct AllowInvoke {
    /// A service principal (for example alexa-appkit.amazon.com) or an AWS account id or ARN.
    #[schemars(length(min = 1))]
    pub principal: String,
    /// Only calls made on behalf of this ARN are allowed.
    pub source_arn: Option<String>,
    /// Only calls made on behalf of this account are allowed.
    pub source_account: Option<String>,
    /// The token an Alexa skill or other event source must present.
    pub event_source_token: Option<String>,
}

/// One trigger of a function. Exactly one of http, schedule, eventbridge, sqs, s3, dynamodb or sns.
#[derive(Debug, Clone, Deserialize, JsonSchema)]
#[serde(rename_all = "lowercase", deny_unknown_fields)]
#[schemars(example = serde_json::json!({"http": "GET /orders"}))]
#[schemars(example = serde_json::json!({"sqs": {"queue": "jobs"}}))]
pub enum Event {
    /// A route on the service's HTTP API: `METHOD /path`, or a mapping with `route` and `auth`.
    Http(HttpEvent),
    /// A schedule: `rate(...)`, `cron(...)` or `at(...)`, or a mapping with `expression`, `input`, `enabled`, `name`, `timezone` and `flexible_window`. With a timezone, an at() expression or a flexible window it goes through EventBridge Scheduler, else an EventBridge rule.
    Schedule(ScheduleEvent),
    /// An EventBridge rule with an event pattern.
    Eventbridge(EventBridgeEvent),
    /// An SQS event source mapping.
    Sqs(SqsEvent),
    /// An S3 event notification from a bucket.
    S3(S3Event),
    /// A DynamoDB stream event source mapping.
    Dynamodb(DynamodbEvent),
    /// An SNS subscription to a topic, with its filter policy.
    Sns(SnsEvent),
    /// A Kinesis stream event source mapping.
    Kinesis(KinesisEvent),
    /// A method on the service's REST API (API Gateway v1): `METHOD /path`, or a mapping with `route`, `auth` and `api_key_required`.
    Rest(RestEvent),
}

/// An HTTP route: `METHOD /path` or `{route, auth}`.
#[derive(Debug, Clone, Deserialize, JsonSchema)]
#[serde(untagged)]
#[schemars(example = serde_json::json!("GET /orders"))]
#[schemars(example = serde_json::json!({"route": "POST /orders", "auth": "customers"}))]
pub enum HttpEvent {
    /// A route key, `METHOD /path`: METHOD is GET, POST, PUT, PATCH, DELETE, HEAD, OPTIONS or ANY; the path may use {param} and a final {proxy+}.
    Route(String),
    Detailed(HttpRoute),
}

/// An HTTP route with its authorization.
#[derive(Debug, Clone, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
#[schemars(example = serde_json::json!({"route": "POST /orders", "auth": "customers"}))]
pub struct HttpRoute {
    /// The route key, `METHOD /path`: METHOD is GET, POST, PUT, PATCH, DELETE, HEAD, OPTIONS or ANY; the path may use {param} and a final {proxy+}.
    pub route: String,
    /// Who may call the route: `none` (public, the default), `iam`, or the name of an authorizer under `http_api.authorizers`.
    pub auth: Option<String>,
}

/// A schedule: `rate(5 minutes)`, `cron(0 3 * * ? *)`, or `{expression, input, enabled, name}`.
#[derive(Debug, Clone, Deserialize, JsonSchema)]
#[serde(untagged)]
#[schemars(example = serde_json::json!("rate(5 minutes)"))]
#[schemars(example = serde_json::json!({"expression": "cron(0 3 * * ? *)", "enabled": false}))]
pub enum ScheduleEvent {
    /// A schedule expression: rate(VALUE UNIT) or cron(minutes hours day-of-month month day-of-week year).
    Expression(String),
    Detailed(Schedule),
}

/// A schedule with its options.
#[derive(Debug, Clone, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
#[schemars(example = serde_json::json!({"expression": "rate(5 minutes)", "enabled": false}))]
pub struct Schedule {
    /// A schedule expression: rate(VALUE UNIT), cron(minutes hours day-of-month month day-of-week year), or at(yyyy-mm-ddThh:mm:ss) to run once (through EventBridge Scheduler).
    pub expression: String,
    /// A constant JSON input passed to the function instead of the scheduled event.
    pub input: Option<serde_json::Value>,
    /// Whether the rule is enabled (default true).
    pub enabled: Option<bool>,
    /// The rule's name, unique among the spec's rules: letters, digits, `-` and `_`. The rule is then `{service}-{stage}-{function}-{name}`, and a new expression changes it in place; without a name it is named by a hash of what it is, so a new expression makes a new rule.
    pub name: Option<String>,
    /// A state machine under `state_machines` to start instead of the function the event is under (through a role EventBridge assumes, allowed to start only that machine).
    pub state_machine: Option<String>,
    /// The IANA time zone a cron() or at() expression is read in, for example Europe/Paris (default UTC). With it the schedule goes through EventBridge Scheduler instead of a rule.
    #[schemars(length(min = 1, max = 50))]
    pub timezone: Option<String>,
    /// Minutes, 1 to 1440, within which EventBridge Scheduler may start the function after the scheduled time (a flexible time window). With it the schedule goes through EventBridge Scheduler instead of a rule.
    #[schemars(range(min = 1, max = 1440))]
    pub flexible_window: Option<u32>,
}

/// An EventBridge rule that matches an event pattern.
#[derive(Debug, Clone, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
#[schemars(example = serde_json::json!({"pattern": {"source": ["orders.app"], "detail-type": ["OrderPlaced"]}}))]
pub struct EventBridgeEvent {
    /// A bus under `buses`, or the name or ARN of an existing event bus; default `default`.
    pub bus: Option<String>,
    /// The event pattern, for example {source: [orders.app], detail-type: [OrderPlaced]}.
    pub pattern: serde_json::Map<String, serde_json::Value>,
    /// A constant JSON input passed to the function instead of the matched event.
    pub input: Option<serde_json::Value>,
    /// The rule's name, unique among the spec's rules: letters, digits, `-` and `_`. The rule is then `{service}-{stage}-{function}-{name}`, and a new pattern changes it in place; without a name it is named by a hash of what it is, so a new pattern makes a new rule.
    pub name: Option<String>,
    /// A state machine under `state_machines` to start instead of the function the event is under (through a role EventBridge assumes, allowed to start only that machine).
    pub state_machine: Option<String>,
}

/// An SQS event source mapping: a declared `queue` or an existing queue's `arn`.
#[derive(Debug, Clone, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
#[schemars(example = serde_json::json!({"queue": "jobs", "batch_size": 10}))]
pub struct SqsEvent {
    /// The name of a queue under `queues`.
    pub queue: Option<String>,
    /// The ARN of a queue that this spec does not declare.
    pub arn: Option<String>,
    /// Messages per invocation: 1 to 10000 (at most 10 for FIFO queues; over 10 needs a batching_window).
    #[schemars(range(min = 1, max = 10000))]
    pub batch_size: Option<u32>,
    /// Seconds to gather a batch, 0 to 300.
    #[schemars(range(min = 0, max = 300))]
    pub batching_window: Option<u32>,
    /// Whether the function reports failed messages one by one (ReportBatchItemFailures).
    pub report_batch_item_failures: Option<bool>,
    /// Whether the mapping is enabled (default true).
    pub enabled: Option<bool>,
    /// Event filter patterns, at most 5: only matching messages invoke the function, for example {body: {type: [order]}}.
    #[schemars(length(max = 5))]
    pub filters: Option<Vec<serde_json::Map<String, serde_json::Value>>>,
}

/// An IAM role for functions that name it with `role:`.
#[derive(Debug, Clone, Default, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Role {
    /// ARNs of managed policies attached to the role.
    #[serde(default)]
    #[schemars(length(max = 20))]
    pub managed_policies: Vec<String>,
    /// Statements of the role's inline policy.
    #[serde(default)]
    pub statements: Vec<Statement>,
}

/// An IAM policy statement.
#[derive(Debug, Clone, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
#[schemars(example = serde_json::json!({"actions": ["dynamodb:PutItem"], "resources": ["arn:aws:dynamodb:us-east-1:123456789012:table/orders"]}))]
pub struct Statement {
    /// Allow (the default) or Deny.
    pub effect: Option<Effect>,
    /// IAM actions, for example dynamodb:PutItem.
    #[schemars(length(min = 1))]
    pub actions: Vec<String>,
    /// Resource ARNs the actions apply to.
    #[schemars(length(min = 1))]
    pub resources: Vec<String>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, JsonSchema)]
pub enum Effect {
    Allow,
    Deny,
}

/// An SQS queue.
#[derive(Debug, Clone, Default, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
#[schemars(example = serde_json::json!({"visibility_timeout": 120, "dead_letter": {"queue": "jobs-dlq", "max_receive_count": 5}}))]
pub struct Queue {
    /// A FIFO queue; its physical name ends in `.fifo`.
    pub fifo: Option<bool>,
    /// FIFO only: deduplicate messages by a hash of their body.
    pub content_based_deduplication: Option<bool>,
    /// Seconds a received message stays hidden, 0 to 43200 (SQS default 30). At least 6 times the consumer's timeout.
    #[schemars(range(min = 0, max = 43200))]
    pub visibility_timeout: Option<u32>,
    /// Seconds a message is kept, 60 to 1209600 (SQS default 345600, 4 days).
    #[schemars(range(min = 60, max = 1209600))]
    pub message_retention: Option<u32>,
    /// Seconds each message is delayed, 0 to 900.
    #[schemars(range(min = 0, max = 900))]
    pub delay: Option<u32>,
    /// Long-polling wait in seconds, 0 to 20.
    #[schemars(range(min = 0, max = 20))]
    pub receive_wait_time: Option<u32>,
    /// Largest message in bytes, 1024 to 1048576.
    #[schemars(range(min = 1024, max = 1048576))]
    pub max_message_size: Option<u32>,
    /// A KMS key id, alias or ARN for server-side encryption.
    pub kms_key: Option<String>,
    /// Where messages go after `max_receive_count` failed receives.
    pub dead_letter: Option<DeadLetter>,
}

/// A dead-letter queue for a queue.
#[derive(Debug, Clone, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
#[schemars(example = serde_json::json!({"queue": "jobs-dlq", "max_receive_count": 5}))]
pub struct DeadLetter {
    /// The name of another queue under `queues`.
    pub queue: String,
    /// Receives before a message moves to the dead-letter queue, 1 to 1000.
    #[schemars(range(min = 1, max = 1000))]
    pub max_receive_count: u32,
}

/// The service's HTTP API (API Gateway v2).
#[derive(Debug, Clone, Default, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct HttpApi {
    /// CORS settings of the API.
    pub cors: Option<Cors>,
    /// The Lambda proxy payload format: "2.0" (the default) or "1.0" for handlers written for REST APIs.
    pub payload_format: Option<PayloadFormat>,
    /// JWT authorizers that routes name in `auth`.
    #[serde(default)]
    pub authorizers: BTreeMap<String, Authorizer>,
    /// A custom domain name for the API (regional, TLS 1.2), mapped to its `$default` stage at `base_path`.
    pub domain: Option<Domain>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, JsonSchema)]
pub enum PayloadFormat {
    #[serde(rename = "2.0")]
    V2,
    #[serde(rename = "1.0")]
    V1,
}

/// CORS settings of the HTTP API.
#[derive(Debug, Clone, Default, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
#[schemars(example = serde_json::json!({"allow_origins": ["https://example.com"], "allow_methods": ["GET", "POST"]}))]
pub struct Cors {
    /// Origins allowed to call the API, for example https://example.com, or *.
    pub allow_origins: Option<Vec<String>>,
    /// Methods allowed, for example GET and POST, or *.
    pub allow_methods: Option<Vec<String>>,
    /// Request headers allowed.
    pub allow_headers: Option<Vec<String>>,
    /// Response headers exposed to the browser.
    pub expose_headers: Option<Vec<String>>,
    /// Seconds a browser may cache the preflight answer, 0 to 86400.
    #[schemars(range(min = 0, max = 86400))]
    pub max_age: Option<u32>,
    /// Whether credentials (cookies, authorization headers) are allowed.
    pub allow_credentials: Option<bool>,
}

/// An authorizer of the HTTP API.
#[derive(Debug, Clone, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
#[schemars(example = serde_json::json!({"jwt": {"issuer": "https://cognito-idp.us-east-1.amazonaws.com/POOL_ID", "audience": ["CLIENT_ID"]}}))]
pub struct Authorizer {
    /// A JWT authorizer: the token's issuer and accepted audiences.
    pub jwt: Jwt,
}

/// A JWT authorizer's settings.
#[derive(Debug, Clone, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Jwt {
    /// The token issuer URL, for example https://cognito-idp.us-east-1.amazonaws.com/POOL_ID.
    #[schemars(length(min = 1))]
    pub issuer: String,
    /// Accepted audiences (client ids).
    #[schemars(length(min = 1))]
    pub audience: Vec<String>,
}

/// Asynchronous invocation settings.
#[derive(Debug, Clone, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
#[schemars(example = serde_json::json!({"max_retries": 1, "on_failure": {"queue": "reports-failed"}}))]
pub struct AsyncInvoke {
    /// Retries after a failed asynchronous invocation, 0 to 2.
    #[schemars(range(min = 0, max = 2))]
    pub max_retries: Option<u32>,
    /// Seconds an event may wait before it is dropped, 60 to 21600.
    #[schemars(range(min = 60, max = 21600))]
    pub max_event_age: Option<u32>,
    /// Where failed events go: a queue under `queues`.
    pub on_failure: Option<OnFailure>,
}

/// The on-failure destination of asynchronous invocations.
#[derive(Debug, Clone, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
#[schemars(example = serde_json::json!({"queue": "reports-failed"}))]
pub struct OnFailure {
    /// The name of a queue under `queues`.
    pub queue: String,
}

/// A value the service exposes after apply.
#[derive(Debug, Clone, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
#[schemars(example = serde_json::json!({"value": "${http_api.url}", "ssm": "/shared/orders/api_url"}))]
pub struct Output {
    /// The value, usually a reference such as ${http_api.url} or ${queue:jobs.url}.
    pub value: String,
    /// An SSM parameter name (starting with /) to publish the value under.
    #[schemars(regex(pattern = r"^/[A-Za-z0-9_.\-/]+$"))]
    pub ssm: Option<String>,
    /// A description of the output.
    pub description: Option<String>,
}
