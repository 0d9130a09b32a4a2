//! Applying Lambda: functions (code, then configuration, waiting for each update to land),
//! their log groups, the `live` alias with provisioned concurrency, resource-policy
//! statements and SQS mappings. A new role may not be assumable by Lambda for a few seconds
//! on AWS: creating a function retries that error for about a minute.

use std::time::Duration;

use aws_sdk_lambda::primitives::Blob;
use aws_sdk_lambda::types::{
    Architecture, Environment, EphemeralStorage, FunctionCode, FunctionResponseType, Runtime,
    TracingConfig, TracingMode, VpcConfig,
};
use serde_json::Value;

use super::{Applier, Settle, Step, attr_i32, attr_list, attr_map, attr_str, tag_changes};
use crate::aws::AwsError;
use crate::model::{Kind, Resource};
use crate::package::CodeIdentity;
use crate::plan::Action;

/// Errors that clear up by themselves: a function still being updated. (A throttle is
/// waited out below, in the SDK's retries, until its own deadline: `aws::pace`.)
const TRANSIENT: &[&str] = &["ResourceConflictException"];
/// How long a transient error is waited out.
const PATIENCE: Duration = Duration::from_secs(60);

/// Makes a call, retrying transient errors with backoff for up to `PATIENCE`; the last
/// error when it does not clear.
pub(crate) async fn patiently<T, E, Fut>(call: impl Fn() -> Fut) -> Result<T, E>
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
                    && !super::already_exists(&e)
                    && started.elapsed() < PATIENCE =>
            {
                tokio::time::sleep(pause).await;
                pause = (pause * 2).min(Duration::from_secs(8));
            }
            Err(e) => return Err(e),
        }
    }
}

/// How long a new role may take to become assumable, and a function to become ready.
const ROLE_PROPAGATION: Duration = Duration::from_secs(60);
const READY_TIMEOUT: Duration = Duration::from_secs(300);

pub async fn apply(a: &Applier, step: &Step) -> Result<(), AwsError> {
    match step.change.kind {
        Kind::LogGroup => log_group(a, step).await,
        Kind::Function => function(a, step).await,
        Kind::Alias => alias(a, step).await,
        Kind::Permission => permission(a, step).await,
        _ => mapping(a, step).await,
    }
}

async fn log_group(a: &Applier, step: &Step) -> Result<(), AwsError> {
    let r = step.resource();
    let name = r.name.as_str();
    if step.action == Action::Delete {
        a.write("CloudWatchLogs.DeleteLogGroup");
        return a
            .logs
            .delete_log_group()
            .log_group_name(name)
            .send()
            .await
            .map(|_| ())
            .or_gone("DeleteLogGroup", name);
    }
    if step.action == Action::Create {
        a.write("CloudWatchLogs.CreateLogGroup");
        let tags: std::collections::HashMap<String, String> = a.tags.clone().into_iter().collect();
        a.logs
            .create_log_group()
            .log_group_name(name)
            .set_tags(Some(tags))
            .send()
            .await
            .or_exists("CreateLogGroup", name)?;
    }
    match attr_i32(r, "retention_days") {
        Some(days) => {
            a.write("CloudWatchLogs.PutRetentionPolicy");
            a.logs
                .put_retention_policy()
                .log_group_name(name)
                .retention_in_days(days)
                .send()
                .await
                .map_err(|e| AwsError::new("PutRetentionPolicy", name, e))?;
        }
        None if step.action == Action::Update => {
            a.write("CloudWatchLogs.DeleteRetentionPolicy");
            a.logs
                .delete_retention_policy()
                .log_group_name(name)
                .send()
                .await
                .or_gone("DeleteRetentionPolicy", name)?;
        }
        None => {}
    }
    Ok(())
}

/// The function's variables, with references known only now filled in, and values that
/// take a SecureString put together from SSM again (a plan keeps only their fingerprint);
/// an error if one is still unknown (what it names was not made).
async fn environment(a: &Applier, r: &Resource) -> Result<Environment, AwsError> {
    let mut variables = std::collections::HashMap::new();
    for (k, v) in attr_map(r, "env") {
        let mut value = a.resolve(&v);
        if let Some((_, template)) = crate::ssm::parse(&value) {
            value = secure_value(a, &r.name, template).await?;
        }
        if crate::desired::still_unknown(&value) {
            return Err(AwsError {
                operation: "CreateFunction",
                target: r.name.clone(),
                message: format!("env.{k}: {value} is still unknown"),
            });
        }
        variables.insert(k, value);
    }
    Ok(Environment::builder()
        .set_variables(Some(variables))
        .build())
}

fn vpc(r: &Resource) -> VpcConfig {
    // Empty lists detach a function from its VPC.
    VpcConfig::builder()
        .set_subnet_ids(Some(attr_list(r, "vpc.subnet_ids")))
        .set_security_group_ids(Some(attr_list(r, "vpc.security_group_ids")))
        .build()
}

fn ephemeral_storage(r: &Resource) -> EphemeralStorage {
    EphemeralStorage::builder()
        .size(attr_i32(r, "ephemeral_storage").unwrap_or(512))
        .build()
        .expect("size is set")
}

fn tracing(r: &Resource) -> TracingConfig {
    TracingConfig::builder()
        .mode(TracingMode::from(attr_str(r, "tracing").as_str()))
        .build()
}

fn optional(r: &Resource, attr: &str) -> Option<String> {
    r.attrs
        .get(attr)
        .and_then(Value::as_str)
        .map(str::to_string)
}

/// Configuration fields the update sends when any of them changed.
pub(crate) const CONFIGURATION: &[&str] = &[
    "memory",
    "timeout",
    "ephemeral_storage",
    "tracing",
    "description",
    "kms_key_arn",
    "role",
    "layers",
    "runtime",
    "handler",
    "env.",
    "vpc.",
];

async fn function(a: &Applier, step: &Step) -> Result<(), AwsError> {
    let r = step.resource();
    let name = r.name.as_str();
    match step.action {
        Action::Delete => {
            a.write("Lambda.DeleteFunction");
            a.lambda
                .delete_function()
                .function_name(name)
                .send()
                .await
                .or_gone("DeleteFunction", name)?;
        }
        Action::Create => {
            let code = a.code.get(&r.key);
            let mut create = a
                .lambda
                .create_function()
                .function_name(name)
                .role(attr_str(r, "role"))
                .memory_size(attr_i32(r, "memory").unwrap_or(128))
                .timeout(attr_i32(r, "timeout").unwrap_or(3))
                .ephemeral_storage(ephemeral_storage(r))
                .architectures(Architecture::from(attr_str(r, "architecture").as_str()))
                .tracing_config(tracing(r))
                .description(attr_str(r, "description"))
                .set_kms_key_arn(optional(r, "kms_key_arn"))
                .set_layers(Some(attr_list(r, "layers")))
                .environment(environment(a, r).await?)
                .set_tags(Some(attr_map(r, "tags")));
            if r.attrs.contains_key("vpc.subnet_ids") {
                create = create.vpc_config(vpc(r));
            }
            create = match code {
                Some(CodeIdentity::Image(uri)) => create
                    .package_type(aws_sdk_lambda::types::PackageType::Image)
                    .code(FunctionCode::builder().image_uri(uri).build()),
                Some(CodeIdentity::Zip(p)) => {
                    let bytes = std::fs::read(&p.path).map_err(|e| AwsError {
                        operation: "CreateFunction",
                        target: name.to_string(),
                        message: format!("reading {}: {e}", p.path.display()),
                    })?;
                    create
                        .runtime(Runtime::from(attr_str(r, "runtime").as_str()))
                        .handler(attr_str(r, "handler"))
                        .code(FunctionCode::builder().zip_file(Blob::new(bytes)).build())
                }
                None => {
                    return Err(AwsError {
                        operation: "CreateFunction",
                        target: name.to_string(),
                        message: "no code was packaged for this function".into(),
                    });
                }
            };
            let started = std::time::Instant::now();
            let created = loop {
                a.write("Lambda.CreateFunction");
                match create.clone().send().await {
                    Ok(out) => break Some(out),
                    // A lost answer, sent again: the first attempt made the function.
                    Err(e) if super::already_exists(&e) => {
                        ensure_owned(a, r).await?;
                        break None;
                    }
                    // A role created moments ago is not yet assumable by Lambda on AWS.
                    Err(e)
                        if started.elapsed() < ROLE_PROPAGATION
                            && e.as_service_error().is_some_and(|s| {
                                s.is_invalid_parameter_value_exception()
                                    && s.to_string().contains("role")
                            }) =>
                    {
                        tokio::time::sleep(Duration::from_secs(2)).await;
                    }
                    Err(e) => return Err(AwsError::new("CreateFunction", name, e)),
                }
            };
            // Lambda answers a create with the function Pending; wait only if it is not
            // ready already (as it is at once on the emulator).
            if !created.is_some_and(|c| settled(c.state(), c.last_update_status())) {
                wait_ready(a, name).await?;
            }
            if r.attrs.contains_key("async.max_retries") {
                put_async(a, r).await?;
            }
            if let Some(reserved) = attr_i32(r, "reserved_concurrency") {
                put_concurrency(a, name, reserved).await?;
            }
        }
        _ => {
            // The instruction set travels with the code: UpdateFunctionCode sets both.
            if step.changes("code_sha256")
                || step.changes("image_uri")
                || step.changes("architecture")
            {
                let mut update = a
                    .lambda
                    .update_function_code()
                    .function_name(name)
                    .architectures(Architecture::from(attr_str(r, "architecture").as_str()));
                update = match a.code.get(&r.key) {
                    Some(CodeIdentity::Image(uri)) => update.image_uri(uri),
                    Some(CodeIdentity::Zip(p)) => {
                        let bytes = std::fs::read(&p.path).map_err(|e| AwsError {
                            operation: "UpdateFunctionCode",
                            target: name.to_string(),
                            message: format!("reading {}: {e}", p.path.display()),
                        })?;
                        update.zip_file(Blob::new(bytes))
                    }
                    None => {
                        return Err(AwsError {
                            operation: "UpdateFunctionCode",
                            target: name.to_string(),
                            message: "no code was packaged for this function".into(),
                        });
                    }
                };
                a.write("Lambda.UpdateFunctionCode");
                let out = patiently(|| update.clone().send())
                    .await
                    .map_err(|e| AwsError::new("UpdateFunctionCode", name, e))?;
                if !settled(out.state(), out.last_update_status()) {
                    wait_ready(a, name).await?;
                }
            }
            if CONFIGURATION.iter().any(|f| step.changes(f)) {
                let mut update = a
                    .lambda
                    .update_function_configuration()
                    .function_name(name)
                    .role(attr_str(r, "role"))
                    .memory_size(attr_i32(r, "memory").unwrap_or(128))
                    .timeout(attr_i32(r, "timeout").unwrap_or(3))
                    .ephemeral_storage(ephemeral_storage(r))
                    .tracing_config(tracing(r))
                    .description(attr_str(r, "description"))
                    .kms_key_arn(optional(r, "kms_key_arn").unwrap_or_default())
                    .set_layers(Some(attr_list(r, "layers")))
                    .environment(environment(a, r).await?)
                    .vpc_config(vpc(r));
                if r.attrs.contains_key("runtime") {
                    update = update
                        .runtime(Runtime::from(attr_str(r, "runtime").as_str()))
                        .handler(attr_str(r, "handler"));
                }
                a.write("Lambda.UpdateFunctionConfiguration");
                let out = patiently(|| update.clone().send())
                    .await
                    .map_err(|e| AwsError::new("UpdateFunctionConfiguration", name, e))?;
                if !settled(out.state(), out.last_update_status()) {
                    wait_ready(a, name).await?;
                }
            }
            if step.changes("reserved_concurrency") {
                match attr_i32(r, "reserved_concurrency") {
                    Some(n) => put_concurrency(a, name, n).await?,
                    None => {
                        a.write("Lambda.DeleteFunctionConcurrency");
                        a.lambda
                            .delete_function_concurrency()
                            .function_name(name)
                            .send()
                            .await
                            .or_gone("DeleteFunctionConcurrency", name)?;
                    }
                }
            }
            let (set, remove) = tag_changes(step);
            let arn = attr_str(r, "arn");
            if !set.is_empty() {
                a.write("Lambda.TagResource");
                a.lambda
                    .tag_resource()
                    .resource(&arn)
                    .set_tags(Some(set))
                    .send()
                    .await
                    .map_err(|e| AwsError::new("TagResource", name, e))?;
            }
            // Between the tags added and the tags removed: the `slsr:async` tag is there
            // whenever slsr's config is, so a read never misses one (aws/read/lambda.rs).
            if step.changes("async.") {
                if r.attrs.contains_key("async.max_retries") {
                    put_async(a, r).await?;
                } else {
                    a.write("Lambda.DeleteFunctionEventInvokeConfig");
                    a.lambda
                        .delete_function_event_invoke_config()
                        .function_name(name)
                        .send()
                        .await
                        .or_gone("DeleteFunctionEventInvokeConfig", name)?;
                }
            }
            if !remove.is_empty() {
                a.write("Lambda.UntagResource");
                a.lambda
                    .untag_resource()
                    .resource(&arn)
                    .set_tag_keys(Some(remove))
                    .send()
                    .await
                    .map_err(|e| AwsError::new("UntagResource", name, e))?;
            }
        }
    }
    Ok(())
}

/// A value with SecureStrings in it, read from SSM with decryption.
async fn secure_value(a: &Applier, function: &str, template: &str) -> Result<String, AwsError> {
    let paths = crate::ssm::paths_in(template);
    let (params, _) = crate::aws::read::ssm::get(&a.ssm, None, &paths, true).await?;
    crate::ssm::substitute(template, &params)
        .map(|(value, _)| value)
        .ok_or_else(|| AwsError {
            operation: "GetParameters",
            target: function.to_string(),
            message: format!("a parameter of {template} is gone since the plan"),
        })
}

/// Reserves `n` concurrent executions for the function.
async fn put_concurrency(a: &Applier, name: &str, n: i32) -> Result<(), AwsError> {
    a.write("Lambda.PutFunctionConcurrency");
    a.lambda
        .put_function_concurrency()
        .function_name(name)
        .reserved_concurrent_executions(n)
        .send()
        .await
        .map_err(|e| AwsError::new("PutFunctionConcurrency", name, e))?;
    Ok(())
}

/// Sets the function's asynchronous invocation config from its `async.` attributes.
async fn put_async(a: &Applier, r: &Resource) -> Result<(), AwsError> {
    let destination = optional(r, "async.on_failure").map(|queue| {
        aws_sdk_lambda::types::DestinationConfig::builder()
            .on_failure(
                aws_sdk_lambda::types::OnFailure::builder()
                    .destination(queue)
                    .build(),
            )
            .build()
    });
    a.write("Lambda.PutFunctionEventInvokeConfig");
    let put = a
        .lambda
        .put_function_event_invoke_config()
        .function_name(&r.name)
        .set_maximum_retry_attempts(attr_i32(r, "async.max_retries"))
        .set_maximum_event_age_in_seconds(attr_i32(r, "async.max_event_age"))
        .set_destination_config(destination);
    patiently(|| put.clone().send())
        .await
        .map_err(|e| AwsError::new("PutFunctionEventInvokeConfig", &r.name, e))?;
    Ok(())
}

/// After a create refused as "exists": the function must be ours (`ensure_ours`).
async fn ensure_owned(a: &Applier, r: &Resource) -> Result<(), AwsError> {
    let out = a
        .lambda
        .get_function()
        .function_name(&r.name)
        .send()
        .await
        .map_err(|e| AwsError::new("GetFunction", &r.name, e))?;
    super::ensure_ours(
        "CreateFunction",
        r,
        &out.tags().cloned().unwrap_or_default(),
    )
}

/// Whether a function's state in an answer lets the next change go: Active, its last
/// update Successful. (Lambda answers InProgress at first; the emulator answers done.)
fn settled(
    state: Option<&aws_sdk_lambda::types::State>,
    update: Option<&aws_sdk_lambda::types::LastUpdateStatus>,
) -> bool {
    state.is_none_or(|s| s.as_str() == "Active")
        && update.is_none_or(|u| u.as_str() == "Successful")
}

/// Waits until the function is Active and its last update Successful: Lambda refuses the
/// next change to a function while one is in progress.
async fn wait_ready(a: &Applier, name: &str) -> Result<(), AwsError> {
    let started = std::time::Instant::now();
    let mut pause = Duration::from_millis(250);
    loop {
        // GetFunction rather than GetFunctionConfiguration: it has a quota of its own (100
        // a second) instead of a share of the control plane's 15.
        let out = a
            .lambda
            .get_function()
            .function_name(name)
            .send()
            .await
            .map_err(|e| AwsError::new("GetFunction", name, e))?;
        let Some(c) = out.configuration() else {
            return Ok(());
        };
        let state = c.state().map(|s| s.as_str().to_string());
        let update = c.last_update_status().map(|s| s.as_str().to_string());
        if state.as_deref() == Some("Failed") || update.as_deref() == Some("Failed") {
            let reason = c
                .state_reason()
                .or(c.last_update_status_reason())
                .unwrap_or("no reason given");
            return Err(AwsError {
                operation: "GetFunction",
                target: name.to_string(),
                message: format!("the function failed to become ready: {reason}"),
            });
        }
        let active = state.as_deref().is_none_or(|s| s == "Active");
        let settled = update.as_deref().is_none_or(|s| s == "Successful");
        if active && settled {
            return Ok(());
        }
        if started.elapsed() > READY_TIMEOUT {
            return Err(AwsError {
                operation: "GetFunction",
                target: name.to_string(),
                message: format!(
                    "still {} / {} after {:?}",
                    state.unwrap_or_default(),
                    update.unwrap_or_default(),
                    READY_TIMEOUT
                ),
            });
        }
        tokio::time::sleep(pause).await;
        pause = (pause * 2).min(Duration::from_secs(5));
    }
}

async fn alias(a: &Applier, step: &Step) -> Result<(), AwsError> {
    let r = step.resource();
    let function = r.name.trim_end_matches(":live");
    match step.action {
        Action::Delete => {
            if !step
                .live()
                .is_some_and(|l| l.attrs["provisioned_concurrency"].is_null())
            {
                a.write("Lambda.DeleteProvisionedConcurrencyConfig");
                a.lambda
                    .delete_provisioned_concurrency_config()
                    .function_name(function)
                    .qualifier("live")
                    .send()
                    .await
                    .map_err(|e| {
                        AwsError::new(
                            "DeleteProvisionedConcurrencyConfig",
                            format!("{function}:live"),
                            e,
                        )
                    })?;
            }
            a.write("Lambda.DeleteAlias");
            a.lambda
                .delete_alias()
                .function_name(function)
                .name("live")
                .send()
                .await
                .or_gone("DeleteAlias", &format!("{function}:live"))?;
        }
        _ => {
            a.write("Lambda.PublishVersion");
            let version = a
                .lambda
                .publish_version()
                .function_name(function)
                .send()
                .await
                .map_err(|e| AwsError::new("PublishVersion", format!("{function}:live"), e))?
                .version
                .unwrap_or_default();
            if step.action == Action::Create {
                a.write("Lambda.CreateAlias");
                a.lambda
                    .create_alias()
                    .function_name(function)
                    .name("live")
                    .function_version(&version)
                    .send()
                    .await
                    .or_exists("CreateAlias", &format!("{function}:live"))?;
            } else {
                a.write("Lambda.UpdateAlias");
                a.lambda
                    .update_alias()
                    .function_name(function)
                    .name("live")
                    .function_version(&version)
                    .send()
                    .await
                    .map_err(|e| AwsError::new("UpdateAlias", format!("{function}:live"), e))?;
            }
            if let Some(n) = attr_i32(r, "provisioned_concurrency") {
                a.write("Lambda.PutProvisionedConcurrencyConfig");
                a.lambda
                    .put_provisioned_concurrency_config()
                    .function_name(function)
                    .qualifier("live")
                    .provisioned_concurrent_executions(n)
                    .send()
                    .await
                    .map_err(|e| {
                        AwsError::new(
                            "PutProvisionedConcurrencyConfig",
                            format!("{function}:live"),
                            e,
                        )
                    })?;
            }
        }
    }
    Ok(())
}

async fn permission(a: &Applier, step: &Step) -> Result<(), AwsError> {
    let r = step.resource();
    let function = attr_str(r, "function");
    let target = format!("{function} {}", r.name);
    if step.action != Action::Create {
        let live = step
            .live()
            .expect("an update or delete has a live resource");
        a.write("Lambda.RemovePermission");
        let remove = a
            .lambda
            .remove_permission()
            .function_name(&function)
            .statement_id(&live.name);
        patiently(|| remove.clone().send())
            .await
            .or_gone("RemovePermission", &target)?;
        if step.action == Action::Delete {
            return Ok(());
        }
    }
    a.write("Lambda.AddPermission");
    let add = a
        .lambda
        .add_permission()
        .function_name(&function)
        .statement_id(&r.name)
        .action(attr_str(r, "action"))
        .principal(attr_str(r, "principal"))
        .set_source_arn(optional(r, "source_arn").map(|arn| a.resolve(&arn)))
        .set_source_account(optional(r, "source_account"))
        .set_event_source_token(optional(r, "event_source_token"));
    patiently(|| add.clone().send())
        .await
        .or_exists("AddPermission", &target)?;
    Ok(())
}

async fn mapping(a: &Applier, step: &Step) -> Result<(), AwsError> {
    let r = step.resource();
    let target = format!(
        "{} <- {}",
        attr_str(r, "function"),
        attr_str(r, "event_source_arn")
    );
    let responses = if r.attrs["report_batch_item_failures"] == true {
        vec![FunctionResponseType::ReportBatchItemFailures]
    } else {
        vec![]
    };
    match step.action {
        Action::Delete => {
            a.write("Lambda.DeleteEventSourceMapping");
            a.lambda
                .delete_event_source_mapping()
                .uuid(&r.name)
                .send()
                .await
                .or_gone("DeleteEventSourceMapping", &target)?;
        }
        Action::Create => {
            a.write("Lambda.CreateEventSourceMapping");
            a.lambda
                .create_event_source_mapping()
                .function_name(attr_str(r, "function"))
                .event_source_arn(attr_str(r, "event_source_arn"))
                .batch_size(attr_i32(r, "batch_size").unwrap_or(10))
                .maximum_batching_window_in_seconds(attr_i32(r, "batching_window").unwrap_or(0))
                .enabled(r.attrs["enabled"] != false)
                .set_function_response_types(Some(responses))
                .send()
                .await
                .or_exists("CreateEventSourceMapping", &target)?;
        }
        _ => {
            let uuid = step.live().map(|l| l.name.clone()).unwrap_or_default();
            a.write("Lambda.UpdateEventSourceMapping");
            a.lambda
                .update_event_source_mapping()
                .uuid(uuid)
                .batch_size(attr_i32(r, "batch_size").unwrap_or(10))
                .maximum_batching_window_in_seconds(attr_i32(r, "batching_window").unwrap_or(0))
                .enabled(r.attrs["enabled"] != false)
                .set_function_response_types(Some(responses))
                .send()
                .await
                .map_err(|e| AwsError::new("UpdateEventSourceMapping", target, e))?;
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    //! The waits and retries that the emulator never triggers, against scripted answers.

    use std::collections::{BTreeMap, HashMap};

    use aws_sdk_lambda::operation::create_function::{CreateFunctionError, CreateFunctionOutput};
    use aws_sdk_lambda::operation::get_function::GetFunctionOutput;
    use aws_sdk_lambda::operation::update_function_configuration::{
        UpdateFunctionConfigurationError, UpdateFunctionConfigurationOutput,
    };
    use aws_sdk_lambda::types::error::{InvalidParameterValueException, ResourceConflictException};
    use aws_sdk_lambda::types::{FunctionConfiguration, LastUpdateStatus, State};
    use aws_smithy_mocks::{RuleMode, mock, mock_client};
    use aws_smithy_types::error::ErrorMetadata;

    use super::*;
    use crate::model::Resource;
    use crate::plan::{Change, FieldDiff};

    fn applier(lambda: aws_sdk_lambda::Client, code: HashMap<String, CodeIdentity>) -> Applier {
        let config = aws_config::SdkConfig::builder()
            .behavior_version(aws_config::BehaviorVersion::latest())
            .region(aws_config::Region::new("us-east-1"))
            .build();
        let mut a = Applier::new(&config, code, None, BTreeMap::new(), 1);
        a.clients.lambda = lambda;
        a
    }

    fn configuration(state: State, update: LastUpdateStatus) -> GetFunctionOutput {
        GetFunctionOutput::builder()
            .configuration(
                FunctionConfiguration::builder()
                    .state(state)
                    .last_update_status(update)
                    .build(),
            )
            .build()
    }

    fn meta(code: &str, message: &str) -> ErrorMetadata {
        ErrorMetadata::builder().code(code).message(message).build()
    }

    fn function_resource(memory: i64) -> Resource {
        Resource::new(Kind::Function, "api", "shop-dev-api")
            .with("memory", memory)
            .with(
                "role",
                "arn:aws:iam::123456789012:role/slsr/shop/dev/shop-dev-api",
            )
            .with("runtime", "python3.12")
            .with("handler", "index.handler")
            .with("architecture", "x86_64")
            .with("tracing", "PassThrough")
            .with("package_type", "Zip")
    }

    fn step(
        action: Action,
        before: Option<Resource>,
        after: Resource,
        diffs: Vec<FieldDiff>,
    ) -> Step {
        Step {
            change: Change {
                address: after.address(),
                kind: after.kind,
                name: after.name.clone(),
                action,
                diffs,
                before,
                after: Some(after),
                reason: None,
            },
            action,
        }
    }

    /// An update of a function's memory from 256 to 512 MB.
    fn memory_update() -> Step {
        let diff = FieldDiff {
            path: "memory".into(),
            before: Some(256.into()),
            after: Some(512.into()),
            sensitive: false,
            forces_replacement: false,
        };
        step(
            Action::Update,
            Some(function_resource(256)),
            function_resource(512),
            vec![diff],
        )
    }

    #[tokio::test]
    async fn waits_while_a_function_is_pending_or_updating() {
        let rule = mock!(aws_sdk_lambda::Client::get_function)
            .sequence()
            .output(|| configuration(State::Pending, LastUpdateStatus::Successful))
            .output(|| configuration(State::Active, LastUpdateStatus::InProgress))
            .output(|| configuration(State::Active, LastUpdateStatus::Successful))
            .build();
        let a = applier(
            mock_client!(aws_sdk_lambda, RuleMode::Sequential, [&rule]),
            HashMap::new(),
        );
        wait_ready(&a, "shop-dev-api").await.unwrap();
        assert_eq!(rule.num_calls(), 3);
    }

    #[tokio::test]
    async fn a_failed_update_is_an_error_with_lambdas_reason() {
        let rule = mock!(aws_sdk_lambda::Client::get_function).then_output(|| {
            GetFunctionOutput::builder()
                .configuration(
                    FunctionConfiguration::builder()
                        .state(State::Active)
                        .last_update_status(LastUpdateStatus::Failed)
                        .last_update_status_reason("subnet has no free IPs")
                        .build(),
                )
                .build()
        });
        let a = applier(
            mock_client!(aws_sdk_lambda, RuleMode::Sequential, [&rule]),
            HashMap::new(),
        );
        let err = wait_ready(&a, "shop-dev-api").await.unwrap_err();
        assert!(err.message.contains("subnet has no free IPs"), "{err}");
    }

    #[tokio::test]
    async fn conflicts_are_waited_out() {
        let conflict = || {
            UpdateFunctionConfigurationError::ResourceConflictException(
                ResourceConflictException::builder()
                    .meta(meta(
                        "ResourceConflictException",
                        "An update is in progress",
                    ))
                    .build(),
            )
        };
        let update = mock!(aws_sdk_lambda::Client::update_function_configuration)
            .sequence()
            .error(conflict)
            .error(conflict)
            .output(|| UpdateFunctionConfigurationOutput::builder().build())
            .build();
        let ready = mock!(aws_sdk_lambda::Client::get_function)
            .then_output(|| configuration(State::Active, LastUpdateStatus::Successful));
        let a = applier(
            mock_client!(aws_sdk_lambda, RuleMode::MatchAny, [&update, &ready]),
            HashMap::new(),
        );
        let s = memory_update();
        function(&a, &s).await.unwrap();
        assert_eq!(update.num_calls(), 3);
        assert_eq!(
            a.calls.snapshot()["Lambda.UpdateFunctionConfiguration"],
            1,
            "counted once, however often retried"
        );
    }

    #[tokio::test]
    async fn other_errors_fail_the_step_at_once_with_awss_message() {
        let update =
            mock!(aws_sdk_lambda::Client::update_function_configuration).then_error(|| {
                UpdateFunctionConfigurationError::InvalidParameterValueException(
                    InvalidParameterValueException::builder()
                        .meta(meta(
                            "InvalidParameterValueException",
                            "MemorySize value failed to satisfy constraint",
                        ))
                        .build(),
                )
            });
        let a = applier(
            mock_client!(aws_sdk_lambda, RuleMode::MatchAny, [&update]),
            HashMap::new(),
        );
        let err = function(&a, &memory_update()).await.unwrap_err();
        assert_eq!(update.num_calls(), 1);
        assert_eq!(err.operation, "UpdateFunctionConfiguration");
        assert!(
            err.message
                .contains("InvalidParameterValueException: MemorySize value failed"),
            "{err}"
        );
    }

    #[tokio::test]
    async fn a_statement_that_already_exists_is_done_not_waited_for() {
        use aws_sdk_lambda::operation::add_permission::AddPermissionError;
        let message = "The statement id (slsr-1) provided already exists. Please provide a new statement id, or remove the existing statement.";
        let add = mock!(aws_sdk_lambda::Client::add_permission).then_error(move || {
            AddPermissionError::ResourceConflictException(
                ResourceConflictException::builder()
                    .message(message)
                    .meta(meta("ResourceConflictException", message))
                    .build(),
            )
        });
        let a = applier(
            mock_client!(aws_sdk_lambda, RuleMode::MatchAny, [&add]),
            HashMap::new(),
        );
        let statement = Resource::new(Kind::Permission, "api.slsr-1", "slsr-1")
            .with("function", "shop-dev-api")
            .with("action", "lambda:InvokeFunction")
            .with("principal", "apigateway.amazonaws.com");
        let started = std::time::Instant::now();
        permission(&a, &step(Action::Create, None, statement, vec![]))
            .await
            .unwrap();
        assert_eq!(add.num_calls(), 1, "not retried");
        assert!(started.elapsed() < Duration::from_secs(2));
    }

    #[tokio::test]
    async fn a_new_role_not_yet_assumable_is_retried() {
        let dir = std::env::temp_dir().join(format!("slsr-role-retry-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let zip = dir.join("api.zip");
        std::fs::write(&zip, b"PK\x05\x06\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0").unwrap();
        let package = crate::package::Package {
            path: zip,
            code_sha256: "x".into(),
            zipped: 22,
            unzipped: 0,
            reused: false,
            prebuilt: true,
            large: false,
        };
        let create = mock!(aws_sdk_lambda::Client::create_function)
            .sequence()
            .error(|| {
                CreateFunctionError::InvalidParameterValueException(
                    InvalidParameterValueException::builder()
                        .message("The role defined for the function cannot be assumed by Lambda.")
                        .meta(meta(
                            "InvalidParameterValueException",
                            "The role defined for the function cannot be assumed by Lambda.",
                        ))
                        .build(),
                )
            })
            .output(|| {
                CreateFunctionOutput::builder()
                    .state(State::Pending)
                    .build()
            })
            .build();
        let ready = mock!(aws_sdk_lambda::Client::get_function)
            .then_output(|| configuration(State::Active, LastUpdateStatus::Successful));
        let a = applier(
            mock_client!(aws_sdk_lambda, RuleMode::MatchAny, [&create, &ready]),
            HashMap::from([("api".to_string(), CodeIdentity::Zip(package))]),
        );
        function(
            &a,
            &step(Action::Create, None, function_resource(256), vec![]),
        )
        .await
        .unwrap();
        assert_eq!(create.num_calls(), 2);
        assert_eq!(ready.num_calls(), 1, "a Pending function is waited for");
        std::fs::remove_dir_all(&dir).ok();
    }
}
