//! Lambda functions: `{service}-{stage}-{name}`, their configuration with Lambda's
//! defaults written out, their code (a zip's CodeSha256 or an image URI), reserved
//! concurrency, tags, and the asynchronous invocation config. Read with GetFunction (and
//! GetFunctionEventInvokeConfig where slsr's `slsr:async` tag or the spec says,
//! `aws/read/lambda.rs`). A function needs its role, its log group and what its
//! environment names as known only after apply. Code first, then configuration, waiting
//! for each update to land; a new role may not be assumable by Lambda for a few seconds on
//! AWS: creating a function retries that error for about a minute.

use std::collections::HashMap;
use std::time::Duration;

use aws_sdk_lambda::primitives::Blob;
use aws_sdk_lambda::types::{
    Architecture, Environment, EphemeralStorage, FunctionCode, Runtime, TracingConfig, TracingMode,
    VpcConfig,
};
use serde_json::Value;

use super::{Index, KindInfo, TAGS, Tags, attr_i32, attr_list, attr_map, attr_opt, attr_str};
use crate::apply::{Applier, Settle, Step, patiently, tag_changes};
use crate::aws::AwsError;
use crate::engine::desired::Builder;
use crate::engine::model::{Resource, State};
use crate::engine::plan::Action;
use crate::package::CodeIdentity;
use crate::spec::model::{Architecture as SpecArchitecture, Function, Tracing};

pub static INFO: KindInfo = KindInfo {
    prefix: "function",
    naming: "{service}-{stage}-{name}",
    tags: Tags::Compared,
    replaced_by: &[PACKAGE_TYPE],
    holds_data: false,
    desired,
    needs,
    serial_with,
    public: super::never_public,
    identity: &[ARN],
    about: super::nothing_to_add,
    write: super::writer!(apply),
};

pub const ARN: &str = "arn";
pub const ROLE: &str = "role";
pub const PACKAGE_TYPE: &str = "package_type";
pub const MEMORY: &str = "memory";
pub const TIMEOUT: &str = "timeout";
pub const EPHEMERAL_STORAGE: &str = "ephemeral_storage";
pub const ARCHITECTURE: &str = "architecture";
pub const TRACING: &str = "tracing";
pub const DESCRIPTION: &str = "description";
pub const KMS_KEY_ARN: &str = "kms_key_arn";
pub const LAYERS: &str = "layers";
pub const RESERVED_CONCURRENCY: &str = "reserved_concurrency";
pub const RUNTIME: &str = "runtime";
pub const HANDLER: &str = "handler";
pub const CODE_SHA256: &str = "code_sha256";
pub const CODE_SIZE: &str = "code_size";
pub const IMAGE_URI: &str = "image_uri";
pub const SUBNET_IDS: &str = "vpc.subnet_ids";
pub const SECURITY_GROUP_IDS: &str = "vpc.security_group_ids";
/// Environment variables, as `env.NAME`.
pub const ENV: &str = "env";
pub const ASYNC_MAX_RETRIES: &str = "async.max_retries";
pub const ASYNC_MAX_EVENT_AGE: &str = "async.max_event_age";
pub const ASYNC_ON_FAILURE: &str = "async.on_failure";
/// The function tag that says slsr made the function's asynchronous invocation config, as
/// a `tags.` attribute.
pub const ASYNC_TAG: &str = "tags.slsr:async";

/// Lambda's defaults, filled where the spec is silent, so a default never shows as a change.
pub const DEFAULT_MEMORY: u32 = 128;
pub const DEFAULT_TIMEOUT: u32 = 3;
pub const DEFAULT_EPHEMERAL: u32 = 512;
pub const DEFAULT_ARCHITECTURE: &str = "x86_64";
pub const DEFAULT_TRACING: &str = "PassThrough";
pub const DEFAULT_MAX_RETRIES: u32 = 2;
pub const DEFAULT_MAX_EVENT_AGE: u32 = 21_600;

fn desired(b: &Builder, state: &mut State) {
    for (name, f) in &b.p.functions {
        state.insert(resource(b, name, f, b.code.get(name)));
    }
}

/// A function needs its role (when slsr makes it), its log group, and whatever its values
/// name that is known only after apply (a new queue's URL).
fn needs(r: &Resource, index: &Index) -> Vec<String> {
    let mut needs: Vec<String> = index.arn(&attr_str(r, ROLE)).into_iter().collect();
    needs.push(crate::engine::model::address(super::Kind::LogGroup, &r.key));
    needs.extend(attr_opt(r, ASYNC_ON_FAILURE).and_then(|q| index.arn(&q)));
    needs.extend(super::referenced(r));
    needs
}

fn serial_with(r: &Resource) -> Option<String> {
    Some(r.name.clone())
}

/// How long a new role may take to become assumable, and a function to become ready.
const ROLE_PROPAGATION: Duration = Duration::from_secs(60);
const READY_TIMEOUT: Duration = Duration::from_secs(300);

fn resource(b: &Builder, name: &str, f: &Function, code: Option<&CodeIdentity>) -> Resource {
    let physical = b.p.physical_name(name);
    let role = match &f.role {
        Some(r) if r.starts_with("arn:") => r.clone(),
        Some(declared) => b.role_arn(&b.p.physical_name(declared)),
        None => b.role_arn(&physical),
    };
    let mut r = Resource::new(super::Kind::Function, name, physical.clone())
        .with(ARN, b.function_arn(name))
        .with(MEMORY, f.memory.unwrap_or(DEFAULT_MEMORY))
        .with(TIMEOUT, f.timeout.unwrap_or(DEFAULT_TIMEOUT))
        .with(
            EPHEMERAL_STORAGE,
            f.ephemeral_storage.unwrap_or(DEFAULT_EPHEMERAL),
        )
        .with(
            ARCHITECTURE,
            if f.architecture == Some(SpecArchitecture::Arm64) {
                "arm64"
            } else {
                DEFAULT_ARCHITECTURE
            },
        )
        .with(
            TRACING,
            if f.tracing == Some(Tracing::Active) {
                "Active"
            } else {
                DEFAULT_TRACING
            },
        )
        .with(DESCRIPTION, f.description.clone().unwrap_or_default())
        .with(
            KMS_KEY_ARN,
            f.kms_key_arn.clone().map_or(Value::Null, Value::from),
        )
        .with(ROLE, role)
        .with(LAYERS, f.layers.clone().unwrap_or_default())
        .with(
            RESERVED_CONCURRENCY,
            f.reserved_concurrency.map_or(Value::Null, Value::from),
        )
        .with_map(TAGS, &b.tags);
    if let Some(a) = &f.async_invoke {
        // AWS's defaults written out, so that the plan compares like with like. The tag
        // tells a later read that slsr made the config (see aws/read/lambda.rs).
        r = r
            .with(ASYNC_TAG, "on")
            .with(
                ASYNC_MAX_RETRIES,
                a.max_retries.unwrap_or(DEFAULT_MAX_RETRIES),
            )
            .with(
                ASYNC_MAX_EVENT_AGE,
                a.max_event_age.unwrap_or(DEFAULT_MAX_EVENT_AGE),
            )
            .with(
                ASYNC_ON_FAILURE,
                a.on_failure
                    .as_ref()
                    .map_or(Value::Null, |d| Value::from(b.queue_arn(&d.queue))),
            );
    }
    if let Some(vpc) = &f.vpc {
        let mut subnets = vpc.subnet_ids.clone();
        subnets.sort();
        let mut groups = vpc.security_group_ids.clone();
        groups.sort();
        r = r.with(SUBNET_IDS, subnets).with(SECURITY_GROUP_IDS, groups);
    }
    let env: Vec<(String, String)> = f
        .env
        .iter()
        .flatten()
        .map(|(k, v)| (k.clone(), v.0.clone()))
        .collect();
    for (k, v) in env {
        r = r.with(&format!("{ENV}.{k}"), v);
    }
    match code {
        Some(CodeIdentity::Image(uri)) => {
            r.with(PACKAGE_TYPE, "Image").with(IMAGE_URI, uri.as_str())
        }
        Some(CodeIdentity::Zip(p)) => r
            .with(PACKAGE_TYPE, "Zip")
            .with(RUNTIME, f.runtime.clone().unwrap_or_default())
            .with(HANDLER, f.handler.clone().unwrap_or_default())
            .with(CODE_SHA256, p.code_sha256.as_str())
            .with(CODE_SIZE, p.zipped),
        None => r.with(
            PACKAGE_TYPE,
            if f.image.is_some() { "Image" } else { "Zip" },
        ),
    }
}

pub fn live(
    key: &str,
    name: &str,
    out: &aws_sdk_lambda::operation::get_function::GetFunctionOutput,
    tags: &HashMap<String, String>,
) -> Resource {
    let c = out
        .configuration()
        .cloned()
        .unwrap_or_else(|| aws_sdk_lambda::types::FunctionConfiguration::builder().build());
    let image = c.package_type().is_some_and(|p| p.as_str() == "Image");
    let mut res = Resource::new(super::Kind::Function, key, name)
        .with(ARN, c.function_arn().unwrap_or_default())
        .with(MEMORY, c.memory_size().unwrap_or(DEFAULT_MEMORY as i32))
        .with(TIMEOUT, c.timeout().unwrap_or(DEFAULT_TIMEOUT as i32))
        .with(
            EPHEMERAL_STORAGE,
            c.ephemeral_storage()
                .map_or(DEFAULT_EPHEMERAL as i32, |e| e.size()),
        )
        .with(
            ARCHITECTURE,
            c.architectures()
                .first()
                .map_or(DEFAULT_ARCHITECTURE, |a| a.as_str()),
        )
        .with(
            TRACING,
            c.tracing_config()
                .and_then(|t| t.mode())
                .map_or(DEFAULT_TRACING, |m| m.as_str()),
        )
        .with(DESCRIPTION, c.description().unwrap_or_default())
        .with(
            KMS_KEY_ARN,
            c.kms_key_arn().map_or(Value::Null, Value::from),
        )
        .with(ROLE, c.role().unwrap_or_default())
        .with(
            LAYERS,
            c.layers()
                .iter()
                .filter_map(|l| l.arn())
                .map(str::to_string)
                .collect::<Vec<_>>(),
        )
        .with(
            RESERVED_CONCURRENCY,
            out.concurrency()
                .and_then(|c| c.reserved_concurrent_executions())
                .map_or(Value::Null, Value::from),
        )
        .with(PACKAGE_TYPE, if image { "Image" } else { "Zip" });
    res = res.with_map(TAGS, tags);
    if let Some(vpc) = c.vpc_config().filter(|v| !v.subnet_ids().is_empty()) {
        let mut subnets = vpc.subnet_ids().to_vec();
        subnets.sort();
        let mut groups = vpc.security_group_ids().to_vec();
        groups.sort();
        res = res
            .with(SUBNET_IDS, subnets)
            .with(SECURITY_GROUP_IDS, groups);
    }
    if let Some(vars) = c.environment().and_then(|e| e.variables()) {
        for (k, v) in vars {
            res = res.with(&format!("{ENV}.{k}"), v.as_str());
        }
    }
    if image {
        res.with(
            IMAGE_URI,
            out.code().and_then(|c| c.image_uri()).unwrap_or_default(),
        )
    } else {
        res.with(RUNTIME, c.runtime().map_or("", |r| r.as_str()))
            .with(HANDLER, c.handler().unwrap_or_default())
            .with(CODE_SHA256, c.code_sha256().unwrap_or_default())
            .with(CODE_SIZE, c.code_size())
    }
}

/// The function's asynchronous invocation config as its `async.` attributes; none when it
/// has none.
pub async fn async_config(
    r: &crate::aws::read::Reader,
    name: &str,
) -> Result<Vec<(&'static str, Value)>, AwsError> {
    r.calls.count("Lambda.GetFunctionEventInvokeConfig");
    let config = match r
        .lambda
        .get_function_event_invoke_config()
        .function_name(name)
        .send()
        .await
    {
        Ok(c) => c,
        Err(e)
            if e.as_service_error()
                .is_some_and(|s| s.is_resource_not_found_exception()) =>
        {
            return Ok(vec![]);
        }
        Err(e) => return Err(AwsError::new("GetFunctionEventInvokeConfig", name, e)),
    };
    let on_failure = config
        .destination_config()
        .and_then(|d| d.on_failure())
        .and_then(|d| d.destination())
        .map_or(Value::Null, Value::from);
    Ok(vec![
        (
            ASYNC_MAX_RETRIES,
            config
                .maximum_retry_attempts()
                .map_or(Value::Null, Value::from),
        ),
        (
            ASYNC_MAX_EVENT_AGE,
            config
                .maximum_event_age_in_seconds()
                .map_or(Value::Null, Value::from),
        ),
        (ASYNC_ON_FAILURE, on_failure),
    ])
}

/// The function's variables, with references known only now filled in, and values that
/// take a SecureString put together from SSM again (a plan keeps only their fingerprint);
/// an error if one is still unknown (what it names was not made).
async fn environment(a: &Applier, r: &Resource) -> Result<Environment, AwsError> {
    let mut variables = std::collections::HashMap::new();
    for (k, v) in attr_map(r, ENV) {
        let mut value = a.resolve(&v);
        // A dry run reads no secret and leaves what is unknown as it is: the call is only
        // noted.
        if let Some((_, template)) = crate::engine::ssm::parse(&value).filter(|_| !a.dry) {
            value = secure_value(a, &r.name, template).await?;
        }
        if crate::engine::desired::still_unknown(&value) && !a.dry {
            return Err(AwsError {
                operation: "CreateFunction",
                target: r.name.clone(),
                message: format!(
                    "env.{k}: {} is still unknown",
                    crate::engine::sensitive::redact(&value)
                ),
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
        .set_subnet_ids(Some(attr_list(r, SUBNET_IDS)))
        .set_security_group_ids(Some(attr_list(r, SECURITY_GROUP_IDS)))
        .build()
}

fn ephemeral_storage(r: &Resource) -> EphemeralStorage {
    EphemeralStorage::builder()
        .size(attr_i32(r, EPHEMERAL_STORAGE).unwrap_or(DEFAULT_EPHEMERAL as i32))
        .build()
        .expect("size is set")
}

fn tracing(r: &Resource) -> TracingConfig {
    TracingConfig::builder()
        .mode(TracingMode::from(attr_str(r, TRACING).as_str()))
        .build()
}

/// Configuration fields the update sends when any of them changed.
const CONFIGURATION: &[&str] = &[
    MEMORY,
    TIMEOUT,
    EPHEMERAL_STORAGE,
    TRACING,
    DESCRIPTION,
    KMS_KEY_ARN,
    ROLE,
    LAYERS,
    RUNTIME,
    HANDLER,
    "env.",
    "vpc.",
];

async fn apply(a: &Applier, step: &Step) -> Result<(), AwsError> {
    let r = step.resource();
    let name = r.name.as_str();
    match step.action {
        Action::Delete => {
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
                .role(attr_str(r, ROLE))
                .memory_size(attr_i32(r, MEMORY).unwrap_or(DEFAULT_MEMORY as i32))
                .timeout(attr_i32(r, TIMEOUT).unwrap_or(DEFAULT_TIMEOUT as i32))
                .ephemeral_storage(ephemeral_storage(r))
                .architectures(Architecture::from(attr_str(r, ARCHITECTURE).as_str()))
                .tracing_config(tracing(r))
                .description(attr_str(r, DESCRIPTION))
                .set_kms_key_arn(attr_opt(r, KMS_KEY_ARN))
                .set_layers(Some(attr_list(r, LAYERS)))
                .environment(environment(a, r).await?)
                .set_tags(Some(attr_map(r, TAGS)));
            if r.attrs.contains_key(SUBNET_IDS) {
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
                        .runtime(Runtime::from(attr_str(r, RUNTIME).as_str()))
                        .handler(attr_str(r, HANDLER))
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
                match create.clone().send().await {
                    Ok(out) => break Some(out),
                    // A lost answer, sent again: the first attempt made the function.
                    Err(e) if crate::apply::already_exists(&e) => {
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
            if r.attrs.contains_key(ASYNC_MAX_RETRIES) {
                put_async(a, r).await?;
            }
            if let Some(reserved) = attr_i32(r, RESERVED_CONCURRENCY) {
                put_concurrency(a, name, reserved).await?;
            }
        }
        _ => {
            // The instruction set travels with the code: UpdateFunctionCode sets both.
            if step.changes(CODE_SHA256) || step.changes(IMAGE_URI) || step.changes(ARCHITECTURE) {
                let mut update = a
                    .lambda
                    .update_function_code()
                    .function_name(name)
                    .architectures(Architecture::from(attr_str(r, ARCHITECTURE).as_str()));
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
                    .role(attr_str(r, ROLE))
                    .memory_size(attr_i32(r, MEMORY).unwrap_or(DEFAULT_MEMORY as i32))
                    .timeout(attr_i32(r, TIMEOUT).unwrap_or(DEFAULT_TIMEOUT as i32))
                    .ephemeral_storage(ephemeral_storage(r))
                    .tracing_config(tracing(r))
                    .description(attr_str(r, DESCRIPTION))
                    .kms_key_arn(attr_opt(r, KMS_KEY_ARN).unwrap_or_default())
                    .set_layers(Some(attr_list(r, LAYERS)))
                    .environment(environment(a, r).await?)
                    .vpc_config(vpc(r));
                if r.attrs.contains_key(RUNTIME) {
                    update = update
                        .runtime(Runtime::from(attr_str(r, RUNTIME).as_str()))
                        .handler(attr_str(r, HANDLER));
                }
                let out = patiently(|| update.clone().send())
                    .await
                    .map_err(|e| AwsError::new("UpdateFunctionConfiguration", name, e))?;
                if !settled(out.state(), out.last_update_status()) {
                    wait_ready(a, name).await?;
                }
            }
            if step.changes(RESERVED_CONCURRENCY) {
                match attr_i32(r, RESERVED_CONCURRENCY) {
                    Some(n) => put_concurrency(a, name, n).await?,
                    None => {
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
            let arn = attr_str(r, ARN);
            if !set.is_empty() {
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
                if r.attrs.contains_key(ASYNC_MAX_RETRIES) {
                    put_async(a, r).await?;
                } else {
                    a.lambda
                        .delete_function_event_invoke_config()
                        .function_name(name)
                        .send()
                        .await
                        .or_gone("DeleteFunctionEventInvokeConfig", name)?;
                }
            }
            if !remove.is_empty() {
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
    let paths = crate::engine::ssm::paths_in(template);
    let (params, _) = crate::aws::read::ssm::get(&a.ssm, None, &paths, true).await?;
    crate::engine::ssm::substitute(template, &params)
        .map(|(value, _)| value)
        .ok_or_else(|| AwsError {
            operation: "GetParameters",
            target: function.to_string(),
            message: format!("a parameter of {template} is gone since the plan"),
        })
}

/// Reserves `n` concurrent executions for the function.
async fn put_concurrency(a: &Applier, name: &str, n: i32) -> Result<(), AwsError> {
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
    let destination = attr_opt(r, ASYNC_ON_FAILURE).map(|queue| {
        aws_sdk_lambda::types::DestinationConfig::builder()
            .on_failure(
                aws_sdk_lambda::types::OnFailure::builder()
                    .destination(queue)
                    .build(),
            )
            .build()
    });
    let put = a
        .lambda
        .put_function_event_invoke_config()
        .function_name(&r.name)
        .set_maximum_retry_attempts(attr_i32(r, ASYNC_MAX_RETRIES))
        .set_maximum_event_age_in_seconds(attr_i32(r, ASYNC_MAX_EVENT_AGE))
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
    crate::apply::ensure_ours(
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

#[cfg(test)]
mod tests {
    //! The waits and retries that the emulator never triggers, against scripted answers.

    use std::collections::HashMap;

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
    use crate::apply::testing::step;
    use crate::engine::model::Resource;
    use crate::engine::plan::FieldDiff;
    use crate::kinds::Kind;

    fn applier(lambda: aws_sdk_lambda::Client, code: HashMap<String, CodeIdentity>) -> Applier {
        let mut a = crate::apply::testing::applier(code);
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
    async fn a_change_to_what_the_read_did_not_find_as_slsrs_makes_no_call() {
        let update = mock!(aws_sdk_lambda::Client::update_function_configuration)
            .then_output(|| UpdateFunctionConfigurationOutput::builder().build());
        let a = applier(
            mock_client!(aws_sdk_lambda, RuleMode::MatchAny, [&update]),
            HashMap::new(),
        );
        let err = a.run(&memory_update()).await.unwrap_err();
        assert_eq!(err.operation, "the ownership check");
        assert_eq!(update.num_calls(), 0);
        // Read as slsr's, but under another name: refused too.
        let mut a = a;
        a.owned.insert(
            "function.api".into(),
            (Kind::Function, "someone-elses-api".into()),
        );
        let err = a.run(&memory_update()).await.unwrap_err();
        assert!(err.message.contains("someone-elses-api"), "{err}");
        assert_eq!(update.num_calls(), 0);
        // As read: it goes.
        a.owned.insert(
            "function.api".into(),
            (Kind::Function, "shop-dev-api".into()),
        );
        let ready = mock!(aws_sdk_lambda::Client::get_function)
            .then_output(|| configuration(State::Active, LastUpdateStatus::Successful));
        a.clients.lambda = mock_client!(aws_sdk_lambda, RuleMode::MatchAny, [&update, &ready]);
        a.run(&memory_update()).await.unwrap();
        assert_eq!(update.num_calls(), 1);
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
        apply(&a, &s).await.unwrap();
        assert_eq!(update.num_calls(), 3);
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
        let err = apply(&a, &memory_update()).await.unwrap_err();
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
        crate::kinds::permission::apply(&a, &step(Action::Create, None, statement, vec![]))
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
        apply(
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
