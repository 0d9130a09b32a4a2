//! Creates live resources with plain SDK calls, as a user in the console would: the ground
//! truth the live plan tests compare slsr's plans against.
//!
//! Every value comes from the test that calls these helpers, written out literally: names,
//! the role path, trust and inline policies as AWS documents, tags, memory and timeouts,
//! queue attributes, routes and their `integrations/ID` targets, statement ids. Nothing here
//! reads slsr's desired state, model or packaging code, so a wrong default in slsr (memory
//! 129, a missing tag, another trust policy) makes the plan of what was made here not clean.
//! The only part of slsr a test uses is the `slsr package` command, run as a user would run
//! it, for the zips uploaded to Lambda.

use std::collections::HashMap;
use std::path::Path;

use aws_config::SdkConfig;
use serde_json::{Value, json};

/// Tags, as a user types them: key and value.
pub type Tags<'a> = &'a [(&'a str, &'a str)];

fn tag_map(tags: Tags) -> HashMap<String, String> {
    tags.iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect()
}

/// The trust policy that lets Lambda assume a role, as the console writes it.
pub fn lambda_trust_policy() -> Value {
    json!({
        "Version": "2012-10-17",
        "Statement": [{
            "Effect": "Allow",
            "Principal": {"Service": "lambda.amazonaws.com"},
            "Action": "sts:AssumeRole"
        }]
    })
}

/// A policy document of `statements`.
pub fn policy(statements: Value) -> Value {
    json!({"Version": "2012-10-17", "Statement": statements})
}

/// Zips every function of `spec` into `out_dir` by running `slsr package`, as a user would
/// before uploading, and returns each function's zip by its name in the spec.
pub fn package(spec: &Path, out_dir: &Path) -> HashMap<String, Vec<u8>> {
    let out = crate::support::run(
        crate::support::slsr()
            .arg("package")
            .arg("-f")
            .arg(spec)
            .arg("--out-dir")
            .arg(out_dir),
    );
    assert_eq!(out.code, 0, "slsr package:\n{}{}", out.stdout, out.stderr);
    // `api: /path/api.zip  139 B zipped, ...`
    out.stdout
        .lines()
        .filter_map(|line| {
            let (name, rest) = line.split_once(": ")?;
            let path = rest.split("  ").next()?;
            Some((name.to_string(), std::fs::read(path).unwrap()))
        })
        .collect()
}

pub struct Role<'a> {
    pub name: &'a str,
    pub path: &'a str,
    pub trust_policy: Value,
    /// The inline policy, which slsr names `slsr`.
    pub inline_policy: Option<Value>,
    pub managed_policies: &'a [&'a str],
    pub tags: Tags<'a>,
}

pub async fn create_role(config: &SdkConfig, role: Role<'_>) {
    let iam = aws_sdk_iam::Client::new(config);
    let tags: Vec<_> = role
        .tags
        .iter()
        .map(|(k, v)| {
            aws_sdk_iam::types::Tag::builder()
                .key(*k)
                .value(*v)
                .build()
                .unwrap()
        })
        .collect();
    iam.create_role()
        .role_name(role.name)
        .path(role.path)
        .assume_role_policy_document(role.trust_policy.to_string())
        .set_tags(Some(tags))
        .send()
        .await
        .unwrap();
    if let Some(document) = role.inline_policy {
        iam.put_role_policy()
            .role_name(role.name)
            .policy_name("slsr")
            .policy_document(document.to_string())
            .send()
            .await
            .unwrap();
    }
    for arn in role.managed_policies {
        iam.attach_role_policy()
            .role_name(role.name)
            .policy_arn(*arn)
            .send()
            .await
            .unwrap();
    }
}

/// A queue with the attributes a user sets, by their SQS names (`VisibilityTimeout`,
/// `RedrivePolicy`, ...); SQS gives the others its own defaults, as in the console, so a
/// default slsr assumes is checked against the service's.
pub struct Queue<'a> {
    pub name: &'a str,
    pub attributes: &'a [(&'a str, &'a str)],
    pub tags: Tags<'a>,
}

pub async fn create_queue(config: &SdkConfig, q: Queue<'_>) {
    let attributes = q
        .attributes
        .iter()
        .map(|(k, v)| {
            (
                aws_sdk_sqs::types::QueueAttributeName::from(*k),
                v.to_string(),
            )
        })
        .collect();
    aws_sdk_sqs::Client::new(config)
        .create_queue()
        .queue_name(q.name)
        .set_attributes(Some(attributes))
        .set_tags(Some(tag_map(q.tags)))
        .send()
        .await
        .unwrap();
}

/// A zip function with every setting written out.
pub struct Function<'a> {
    pub name: &'a str,
    pub runtime: &'a str,
    pub handler: &'a str,
    /// The role's ARN.
    pub role: &'a str,
    pub zip: Vec<u8>,
    pub description: &'a str,
    pub memory: i32,
    pub timeout: i32,
    pub ephemeral_storage: i32,
    /// `x86_64` or `arm64`.
    pub architecture: &'a str,
    /// `PassThrough` or `Active`.
    pub tracing: &'a str,
    pub env: &'a [(&'a str, &'a str)],
    /// Subnets and security groups.
    pub vpc: Option<(&'a [&'a str], &'a [&'a str])>,
    pub reserved_concurrency: Option<i32>,
    pub tags: Tags<'a>,
}

pub async fn create_function(config: &SdkConfig, f: Function<'_>) {
    use aws_sdk_lambda::types as t;
    let lambda = aws_sdk_lambda::Client::new(config);
    let environment = (!f.env.is_empty()).then(|| {
        t::Environment::builder()
            .set_variables(Some(tag_map(f.env)))
            .build()
    });
    let vpc = f.vpc.map(|(subnets, groups)| {
        t::VpcConfig::builder()
            .set_subnet_ids(Some(subnets.iter().map(|s| s.to_string()).collect()))
            .set_security_group_ids(Some(groups.iter().map(|s| s.to_string()).collect()))
            .build()
    });
    lambda
        .create_function()
        .function_name(f.name)
        .runtime(t::Runtime::from(f.runtime))
        .handler(f.handler)
        .role(f.role)
        .code(
            t::FunctionCode::builder()
                .zip_file(aws_sdk_lambda::primitives::Blob::new(f.zip))
                .build(),
        )
        .description(f.description)
        .memory_size(f.memory)
        .timeout(f.timeout)
        .ephemeral_storage(
            t::EphemeralStorage::builder()
                .size(f.ephemeral_storage)
                .build()
                .unwrap(),
        )
        .architectures(t::Architecture::from(f.architecture))
        .tracing_config(
            t::TracingConfig::builder()
                .mode(t::TracingMode::from(f.tracing))
                .build(),
        )
        .set_environment(environment)
        .set_vpc_config(vpc)
        .set_tags(Some(tag_map(f.tags)))
        .send()
        .await
        .unwrap();
    if let Some(reserved) = f.reserved_concurrency {
        lambda
            .put_function_concurrency()
            .function_name(f.name)
            .reserved_concurrent_executions(reserved)
            .send()
            .await
            .unwrap();
    }
}

/// The function's asynchronous invocation config, with an optional on-failure destination.
pub async fn put_async_config(
    config: &SdkConfig,
    function: &str,
    max_retries: i32,
    max_event_age: i32,
    on_failure: Option<&str>,
) {
    use aws_sdk_lambda::types as t;
    let destination = on_failure.map(|arn| {
        t::DestinationConfig::builder()
            .on_failure(t::OnFailure::builder().destination(arn).build())
            .build()
    });
    aws_sdk_lambda::Client::new(config)
        .put_function_event_invoke_config()
        .function_name(function)
        .maximum_retry_attempts(max_retries)
        .maximum_event_age_in_seconds(max_event_age)
        .set_destination_config(destination)
        .send()
        .await
        .unwrap();
}

/// Publishes a version, points the alias `alias` at it and gives it provisioned concurrency.
pub async fn create_provisioned_alias(
    config: &SdkConfig,
    function: &str,
    alias: &str,
    provisioned: i32,
) {
    let lambda = aws_sdk_lambda::Client::new(config);
    let version = lambda
        .publish_version()
        .function_name(function)
        .send()
        .await
        .unwrap()
        .version
        .unwrap();
    lambda
        .create_alias()
        .function_name(function)
        .name(alias)
        .function_version(version)
        .send()
        .await
        .unwrap();
    lambda
        .put_provisioned_concurrency_config()
        .function_name(function)
        .qualifier(alias)
        .provisioned_concurrent_executions(provisioned)
        .send()
        .await
        .unwrap();
}

pub async fn create_log_group(
    config: &SdkConfig,
    name: &str,
    retention: Option<i32>,
    tags: Tags<'_>,
) {
    let logs = aws_sdk_cloudwatchlogs::Client::new(config);
    logs.create_log_group()
        .log_group_name(name)
        .set_tags(Some(tag_map(tags)))
        .send()
        .await
        .unwrap();
    if let Some(days) = retention {
        logs.put_retention_policy()
            .log_group_name(name)
            .retention_in_days(days)
            .send()
            .await
            .unwrap();
    }
}

/// An SQS event source mapping, created with its tags.
pub struct Mapping<'a> {
    pub function: &'a str,
    pub queue_arn: &'a str,
    pub batch_size: i32,
    pub batching_window: i32,
    pub enabled: bool,
    pub report_batch_item_failures: bool,
    pub tags: Tags<'a>,
}

pub async fn create_mapping(config: &SdkConfig, m: Mapping<'_>) {
    let mut create = aws_sdk_lambda::Client::new(config)
        .create_event_source_mapping()
        .function_name(m.function)
        .event_source_arn(m.queue_arn)
        .batch_size(m.batch_size)
        .maximum_batching_window_in_seconds(m.batching_window)
        .enabled(m.enabled)
        .set_tags(Some(tag_map(m.tags)));
    if m.report_batch_item_failures {
        create = create.function_response_types(
            aws_sdk_lambda::types::FunctionResponseType::ReportBatchItemFailures,
        );
    }
    create.send().await.unwrap();
}

/// An EventBridge rule with one target, the function, under the id `slsr`.
pub struct Rule<'a> {
    pub name: &'a str,
    pub bus: &'a str,
    pub schedule: Option<&'a str>,
    pub pattern: Option<Value>,
    /// `ENABLED` or `DISABLED`.
    pub state: &'a str,
    /// The function's ARN.
    pub target: &'a str,
    pub input: Option<&'a str>,
    pub tags: Tags<'a>,
}

pub async fn create_rule(config: &SdkConfig, rule: Rule<'_>) {
    use aws_sdk_eventbridge::types as t;
    let events = aws_sdk_eventbridge::Client::new(config);
    let tags: Vec<_> = rule
        .tags
        .iter()
        .map(|(k, v)| t::Tag::builder().key(*k).value(*v).build().unwrap())
        .collect();
    events
        .put_rule()
        .name(rule.name)
        .event_bus_name(rule.bus)
        .state(t::RuleState::from(rule.state))
        .set_schedule_expression(rule.schedule.map(str::to_string))
        .set_event_pattern(rule.pattern.map(|p| p.to_string()))
        .set_tags(Some(tags))
        .send()
        .await
        .unwrap();
    events
        .put_targets()
        .rule(rule.name)
        .event_bus_name(rule.bus)
        .targets(
            t::Target::builder()
                .id("slsr")
                .arn(rule.target)
                .set_input(rule.input.map(str::to_string))
                .build()
                .unwrap(),
        )
        .send()
        .await
        .unwrap();
}

/// Creates an HTTP API; returns its id.
pub async fn create_http_api(
    config: &SdkConfig,
    name: &str,
    cors: Option<aws_sdk_apigatewayv2::types::Cors>,
    tags: Tags<'_>,
) -> String {
    aws_sdk_apigatewayv2::Client::new(config)
        .create_api()
        .name(name)
        .protocol_type(aws_sdk_apigatewayv2::types::ProtocolType::Http)
        .set_cors_configuration(cors)
        .set_tags(Some(tag_map(tags)))
        .send()
        .await
        .unwrap()
        .api_id
        .unwrap()
}

/// A Lambda proxy integration of the function `function_arn`; returns its id.
pub async fn create_integration(
    config: &SdkConfig,
    api: &str,
    function_arn: &str,
    payload_format: &str,
) -> String {
    aws_sdk_apigatewayv2::Client::new(config)
        .create_integration()
        .api_id(api)
        .integration_type(aws_sdk_apigatewayv2::types::IntegrationType::AwsProxy)
        .integration_uri(function_arn)
        .payload_format_version(payload_format)
        .send()
        .await
        .unwrap()
        .integration_id
        .unwrap()
}

/// A JWT authorizer that reads the bearer token from the Authorization header; returns
/// its id.
pub async fn create_jwt_authorizer(
    config: &SdkConfig,
    api: &str,
    name: &str,
    issuer: &str,
    audience: &[&str],
) -> String {
    aws_sdk_apigatewayv2::Client::new(config)
        .create_authorizer()
        .api_id(api)
        .name(name)
        .authorizer_type(aws_sdk_apigatewayv2::types::AuthorizerType::Jwt)
        .identity_source("$request.header.Authorization")
        .jwt_configuration(
            aws_sdk_apigatewayv2::types::JwtConfiguration::builder()
                .issuer(issuer)
                .set_audience(Some(audience.iter().map(|a| a.to_string()).collect()))
                .build(),
        )
        .send()
        .await
        .unwrap()
        .authorizer_id
        .unwrap()
}

/// A route whose target is `integrations/{integration}`. `authorization` is `NONE`,
/// `AWS_IAM` or `JWT` (with the authorizer's id).
pub async fn create_route(
    config: &SdkConfig,
    api: &str,
    route_key: &str,
    integration: &str,
    authorization: &str,
    authorizer: Option<&str>,
) {
    aws_sdk_apigatewayv2::Client::new(config)
        .create_route()
        .api_id(api)
        .route_key(route_key)
        .target(format!("integrations/{integration}"))
        .authorization_type(aws_sdk_apigatewayv2::types::AuthorizationType::from(
            authorization,
        ))
        .set_authorizer_id(authorizer.map(str::to_string))
        .send()
        .await
        .unwrap();
}

/// The `$default` stage, deployed automatically.
pub async fn create_default_stage(config: &SdkConfig, api: &str) {
    aws_sdk_apigatewayv2::Client::new(config)
        .create_stage()
        .api_id(api)
        .stage_name("$default")
        .auto_deploy(true)
        .send()
        .await
        .unwrap();
}

/// A statement in a function's resource policy letting a service invoke it.
pub struct Permission<'a> {
    pub function: &'a str,
    pub statement_id: &'a str,
    pub principal: &'a str,
    pub source_arn: &'a str,
    pub source_account: &'a str,
}

pub async fn add_permission(config: &SdkConfig, p: Permission<'_>) {
    aws_sdk_lambda::Client::new(config)
        .add_permission()
        .function_name(p.function)
        .statement_id(p.statement_id)
        .action("lambda:InvokeFunction")
        .principal(p.principal)
        .source_arn(p.source_arn)
        .source_account(p.source_account)
        .send()
        .await
        .unwrap();
}

/// A DynamoDB table as the console makes one: a partition key of `key_type` (`S`, `N`),
/// on-demand, with the given tags and deletion protection; no stream, no TTL.
pub async fn create_table(
    db: &aws_sdk_dynamodb::Client,
    name: &str,
    (key, key_type): (&str, &str),
    tags: Tags<'_>,
    deletion_protection: bool,
) {
    use aws_sdk_dynamodb::types::{
        AttributeDefinition, BillingMode, KeySchemaElement, KeyType, ScalarAttributeType, Tag,
    };
    db.create_table()
        .table_name(name)
        .attribute_definitions(
            AttributeDefinition::builder()
                .attribute_name(key)
                .attribute_type(ScalarAttributeType::from(key_type))
                .build()
                .unwrap(),
        )
        .key_schema(
            KeySchemaElement::builder()
                .attribute_name(key)
                .key_type(KeyType::Hash)
                .build()
                .unwrap(),
        )
        .billing_mode(BillingMode::PayPerRequest)
        .set_tags(Some(
            tags.iter()
                .map(|(k, v)| Tag::builder().key(*k).value(*v).build().unwrap())
                .collect(),
        ))
        .deletion_protection_enabled(deletion_protection)
        .send()
        .await
        .unwrap_or_else(|e| panic!("CreateTable {name}: {e:?}"));
}

/// A deploy lock's table as a team makes one for slsr (`lock.table`): a string partition
/// key `lock`, on demand.
pub async fn lock_table(db: &aws_sdk_dynamodb::Client, name: &str) {
    use aws_sdk_dynamodb::types::{
        AttributeDefinition, BillingMode, KeySchemaElement, KeyType, ScalarAttributeType,
    };
    db.create_table()
        .table_name(name)
        .attribute_definitions(
            AttributeDefinition::builder()
                .attribute_name("lock")
                .attribute_type(ScalarAttributeType::S)
                .build()
                .unwrap(),
        )
        .key_schema(
            KeySchemaElement::builder()
                .attribute_name("lock")
                .key_type(KeyType::Hash)
                .build()
                .unwrap(),
        )
        .billing_mode(BillingMode::PayPerRequest)
        .send()
        .await
        .unwrap();
}
