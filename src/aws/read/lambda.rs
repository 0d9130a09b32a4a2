//! Lambda (and each function's log group): functions, their resource-policy statements,
//! event source mappings, the `live` alias. Calls: ListFunctions (paged), then per function
//! with the service's prefix GetFunction (configuration, code, tags and concurrency in one)
//! and, when slsr owns it, GetPolicy and GetAlias (`live`, with
//! GetProvisionedConcurrencyConfig when it exists); ListEventSourceMappings and
//! DescribeLogGroups (paged) once for the whole service, alongside; GetFunctionEventInvokeConfig
//! only for a function with slsr's `slsr:async` tag or whose spec sets `async`.
//!
//! Mappings and log groups are slsr's only when they carry its tags, which no listing
//! returns: they are read as unverified, and their tags are read (`owner_tags`) only for
//! those a plan would change or delete. Statements without a `slsr-` id are someone else's:
//! kept, and shown as kept.

use std::collections::HashMap;

use serde_json::Value;

use super::{Found, Parts, Reader, Scope, conflict};
use crate::aws::{AwsError, pages};
use crate::engine::model::{Kept, Kind, Resource, State, address};

pub async fn read(r: &Reader, scope: &Scope, wanted: &State) -> Result<(Found, Parts), AwsError> {
    let prefix = scope.prefix();
    let listed = pages::all(
        &r.calls,
        "Lambda.ListFunctions",
        r.lambda.list_functions().into_paginator().send(),
    )
    .await
    .map_err(|e| AwsError::new("ListFunctions", "Lambda functions", e))?;
    let names: Vec<String> = listed
        .iter()
        .flat_map(|page| page.functions())
        .filter_map(|f| f.function_name())
        .filter(|n| n.starts_with(&prefix))
        .map(str::to_string)
        .collect();

    // Per function, one after another: GetFunction, then (when slsr owns it) its policy
    // statements and its `live` alias, so the calls of the three quotas overlap. The
    // account-wide listings go at the same time.
    // The asynchronous invocation config costs a control-plane call: read only where slsr
    // made one (the function's tag says so) or the spec wants one.
    let wants_async: Vec<String> = wanted
        .resources
        .values()
        .filter(|w| w.kind == Kind::Function && w.attrs.contains_key("async.max_retries"))
        .map(|w| w.name.clone())
        .collect();
    let mut tasks = tokio::task::JoinSet::new();
    for name in names.clone() {
        let (r, scope) = (r.clone(), scope.clone());
        let read_async = wants_async.contains(&name);
        tasks.spawn(async move {
            let _slot = r.slot().await;
            r.calls.count("Lambda.GetFunction");
            let out = r
                .lambda
                .get_function()
                .function_name(&name)
                .send()
                .await
                .map_err(|e| AwsError::new("GetFunction", name.clone(), e))?;
            let tags = out.tags().cloned().unwrap_or_default();
            let mut found = (Vec::new(), Vec::new());
            let mut async_attrs = Vec::new();
            if scope.owns(&tags) {
                let read_async = read_async || tags.contains_key("slsr:async");
                // Every owned function's alias: one left from provisioned concurrency that
                // the spec no longer wants must show up to be deleted.
                let (statements, aliases, config) = tokio::try_join!(
                    permissions(&r, &name, &scope),
                    alias(&r, &scope, &name),
                    async {
                        match read_async {
                            true => async_config(&r, &name).await,
                            false => Ok(vec![]),
                        }
                    }
                )?;
                let (mut resources, kept) = statements;
                resources.extend(aliases);
                found = (resources, kept);
                async_attrs = config;
            }
            Ok::<_, AwsError>((name, out, tags, found, async_attrs))
        });
    }
    // A log group is the function's: read it for every owned or wanted function. Whether
    // it is slsr's (its tags) is read only before a change touches it.
    let wanted_functions: Vec<String> = wanted
        .resources
        .values()
        .filter(|w| w.kind == Kind::Function)
        .map(|w| w.name.clone())
        .collect();
    let functions = async {
        let mut all = Vec::new();
        while let Some(joined) = tasks.join_next().await {
            all.push(joined.expect("a read task does not panic")?);
        }
        Ok::<_, AwsError>(all)
    };
    let any_listed = !names.is_empty();
    let any_logs = any_listed || !wanted_functions.is_empty();
    let (functions, mappings, logs) = tokio::try_join!(
        functions,
        async {
            match any_listed {
                true => mappings(r, scope).await,
                false => Ok(vec![]),
            }
        },
        async {
            match any_logs {
                true => log_groups(r, scope).await,
                false => Ok(vec![]),
            }
        },
    )?;
    let mut resources = Vec::new();
    let mut conflicts = Vec::new();
    let mut parts = Parts::default();
    let mut owned = Vec::new();
    for (name, out, tags, (statements, kept), async_attrs) in functions {
        let Some(key) = scope.logical(&name) else {
            continue;
        };
        let at = address(Kind::Function, key);
        if !scope.owns(&tags) {
            if wanted.resources.contains_key(&at) {
                conflicts.push(conflict(at, &name, scope));
            }
            continue;
        }
        owned.push(name.clone());
        let mut resource = function(key, &name, &out, &tags);
        for (attr, value) in async_attrs {
            resource = resource.with(attr, value);
        }
        resources.push(resource);
        resources.extend(statements);
        parts.kept.extend(kept);
    }
    for (mapping, arn) in mappings {
        let function = mapping.attrs.get("function").and_then(Value::as_str);
        if owned.iter().any(|f| Some(f.as_str()) == function) {
            parts.unverified.insert(mapping.address(), arn);
            resources.push(mapping);
        }
    }
    for (group, arn) in logs {
        let function = group.name.trim_start_matches("/aws/lambda/");
        if owned.iter().chain(&wanted_functions).any(|f| f == function) {
            parts.unverified.insert(group.address(), arn);
            resources.push(group);
        }
    }
    Ok(((resources, conflicts), parts))
}

/// The tags of unverified mappings and log groups (by address, from their ARNs), to tell
/// slsr's from others' before a change touches them.
pub async fn owner_tags(
    r: &Reader,
    unverified: &[(String, String)],
) -> Result<HashMap<String, HashMap<String, String>>, AwsError> {
    let mut tasks = tokio::task::JoinSet::new();
    for (address, arn) in unverified.iter().cloned() {
        let r = r.clone();
        tasks.spawn(async move {
            let _slot = r.slot().await;
            let tags = if arn.starts_with("arn:aws:logs:") || arn.contains(":logs:") {
                r.calls.count("CloudWatchLogs.ListTagsForResource");
                r.logs
                    .list_tags_for_resource()
                    .resource_arn(&arn)
                    .send()
                    .await
                    .map_err(|e| AwsError::new("ListTagsForResource", arn.clone(), e))?
                    .tags
                    .unwrap_or_default()
            } else {
                r.calls.count("Lambda.ListTags");
                r.lambda
                    .list_tags()
                    .resource(&arn)
                    .send()
                    .await
                    .map_err(|e| AwsError::new("ListTags", arn.clone(), e))?
                    .tags
                    .unwrap_or_default()
            };
            Ok::<_, AwsError>((address, tags))
        });
    }
    let mut found = HashMap::new();
    while let Some(joined) = tasks.join_next().await {
        let (address, tags) = joined.expect("a read task does not panic")?;
        found.insert(address, tags);
    }
    Ok(found)
}

fn function(
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
    let mut res = Resource::new(Kind::Function, key, name)
        .with("arn", c.function_arn().unwrap_or_default())
        .with("memory", c.memory_size().unwrap_or(128))
        .with("timeout", c.timeout().unwrap_or(3))
        .with(
            "ephemeral_storage",
            c.ephemeral_storage().map_or(512, |e| e.size()),
        )
        .with(
            "architecture",
            c.architectures().first().map_or("x86_64", |a| a.as_str()),
        )
        .with(
            "tracing",
            c.tracing_config()
                .and_then(|t| t.mode())
                .map_or("PassThrough", |m| m.as_str()),
        )
        .with("description", c.description().unwrap_or_default())
        .with(
            "kms_key_arn",
            c.kms_key_arn().map_or(Value::Null, Value::from),
        )
        .with("role", c.role().unwrap_or_default())
        .with(
            "layers",
            c.layers()
                .iter()
                .filter_map(|l| l.arn())
                .map(str::to_string)
                .collect::<Vec<_>>(),
        )
        .with(
            "reserved_concurrency",
            out.concurrency()
                .and_then(|c| c.reserved_concurrent_executions())
                .map_or(Value::Null, Value::from),
        )
        .with("package_type", if image { "Image" } else { "Zip" });
    for (k, v) in tags {
        res = res.with(&format!("tags.{k}"), v.as_str());
    }
    if let Some(vpc) = c.vpc_config().filter(|v| !v.subnet_ids().is_empty()) {
        let mut subnets = vpc.subnet_ids().to_vec();
        subnets.sort();
        let mut groups = vpc.security_group_ids().to_vec();
        groups.sort();
        res = res
            .with("vpc.subnet_ids", subnets)
            .with("vpc.security_group_ids", groups);
    }
    if let Some(vars) = c.environment().and_then(|e| e.variables()) {
        for (k, v) in vars {
            res = res.with(&format!("env.{k}"), v.as_str());
        }
    }
    if image {
        res.with(
            "image_uri",
            out.code().and_then(|c| c.image_uri()).unwrap_or_default(),
        )
    } else {
        res.with("runtime", c.runtime().map_or("", |r| r.as_str()))
            .with("handler", c.handler().unwrap_or_default())
            .with("code_sha256", c.code_sha256().unwrap_or_default())
            .with("code_size", c.code_size())
    }
}

/// The function's resource-policy statements whose ids slsr gave (`slsr-...`); others are
/// someone else's: kept, and named as kept.
async fn permissions(
    r: &Reader,
    name: &str,
    scope: &Scope,
) -> Result<(Vec<Resource>, Vec<Kept>), AwsError> {
    r.calls.count("Lambda.GetPolicy");
    let policy = match r.lambda.get_policy().function_name(name).send().await {
        Ok(out) => out.policy().unwrap_or_default().to_string(),
        Err(e)
            if e.as_service_error()
                .is_some_and(|s| s.is_resource_not_found_exception()) =>
        {
            return Ok((vec![], vec![]));
        }
        Err(e) => return Err(AwsError::new("GetPolicy", name, e)),
    };
    let doc: Value = serde_json::from_str(&policy).unwrap_or(Value::Null);
    let key = scope.logical(name).unwrap_or(name);
    let statements = match &doc["Statement"] {
        Value::Array(items) => items.clone(),
        Value::Null => vec![],
        single => vec![single.clone()],
    };
    let mut found = Vec::new();
    let mut kept = Vec::new();
    for s in statements {
        let sid = s["Sid"].as_str().unwrap_or_default();
        if !sid.starts_with("slsr-") {
            kept.push(Kept {
                address: address(Kind::Permission, &format!("{key}.{sid}")),
                name: format!("{name} {sid}"),
                reason: "a statement slsr did not add to this function's policy; slsr leaves it"
                    .into(),
            });
            continue;
        }
        let principal = match &s["Principal"] {
            Value::String(p) => p.clone(),
            Value::Object(p) => p
                .values()
                .next()
                .and_then(Value::as_str)
                .unwrap_or_default()
                .to_string(),
            _ => String::new(),
        };
        let condition = |op: &str, key: &str| s["Condition"][op][key].as_str().map(str::to_string);
        let mut res = Resource::new(Kind::Permission, format!("{key}.{sid}"), sid)
            .with("function", name)
            .with("action", s["Action"].as_str().unwrap_or_default())
            .with("principal", principal);
        if let Some(arn) = condition("ArnLike", "AWS:SourceArn") {
            res = res.with("source_arn", arn);
        }
        if let Some(account) = condition("StringEquals", "AWS:SourceAccount") {
            res = res.with("source_account", account);
        }
        if let Some(token) = condition("StringEquals", "lambda:EventSourceToken") {
            res = res.with("event_source_token", token);
        }
        found.push(res);
    }
    Ok((found, kept))
}

/// The function's asynchronous invocation config as its `async.` attributes; none when it
/// has none.
async fn async_config(r: &Reader, name: &str) -> Result<Vec<(&'static str, Value)>, AwsError> {
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
            "async.max_retries",
            config
                .maximum_retry_attempts()
                .map_or(Value::Null, Value::from),
        ),
        (
            "async.max_event_age",
            config
                .maximum_event_age_in_seconds()
                .map_or(Value::Null, Value::from),
        ),
        ("async.on_failure", on_failure),
    ])
}

async fn alias(r: &Reader, scope: &Scope, name: &str) -> Result<Vec<Resource>, AwsError> {
    r.calls.count("Lambda.GetAlias");
    let alias = match r
        .lambda
        .get_alias()
        .function_name(name)
        .name("live")
        .send()
        .await
    {
        Ok(a) => a,
        Err(e)
            if e.as_service_error()
                .is_some_and(|s| s.is_resource_not_found_exception()) =>
        {
            return Ok(vec![]);
        }
        Err(e) => return Err(AwsError::new("GetAlias", format!("{name}:live"), e)),
    };
    r.calls.count("Lambda.GetProvisionedConcurrencyConfig");
    let provisioned = match r
        .lambda
        .get_provisioned_concurrency_config()
        .function_name(name)
        .qualifier("live")
        .send()
        .await
    {
        Ok(p) => p
            .requested_provisioned_concurrent_executions()
            .map_or(Value::Null, Value::from),
        Err(e)
            if e.as_service_error()
                .is_some_and(|s| s.is_provisioned_concurrency_config_not_found_exception()) =>
        {
            Value::Null
        }
        Err(e) => {
            return Err(AwsError::new(
                "GetProvisionedConcurrencyConfig",
                format!("{name}:live"),
                e,
            ));
        }
    };
    let key = scope.logical(name).unwrap_or(name);
    Ok(vec![
        Resource::new(Kind::Alias, key, format!("{name}:live"))
            .with("provisioned_concurrency", provisioned)
            .with(
                "function_version",
                alias.function_version().unwrap_or_default(),
            ),
    ])
}

/// Every SQS mapping of the service's functions (by name), with its ARN, from one listing
/// of the account's mappings; the caller keeps those of the functions it owns.
async fn mappings(r: &Reader, scope: &Scope) -> Result<Vec<(Resource, String)>, AwsError> {
    let listed = pages::all(
        &r.calls,
        "Lambda.ListEventSourceMappings",
        r.lambda
            .list_event_source_mappings()
            .into_paginator()
            .send(),
    )
    .await
    .map_err(|e| AwsError::new("ListEventSourceMappings", "event source mappings", e))?;
    let mut found = Vec::new();
    for m in listed.iter().flat_map(|page| page.event_source_mappings()) {
        let function = m
            .function_arn()
            .and_then(|a| a.rsplit(':').next())
            .unwrap_or_default()
            .to_string();
        if scope.logical(&function).is_none() {
            continue;
        }
        let source = m.event_source_arn().unwrap_or_default();
        let queue = source.rsplit(':').next().unwrap_or_default();
        let queue_key = scope
            .logical(queue)
            .map(|q| q.trim_end_matches(".fifo"))
            .unwrap_or(queue);
        let key = format!(
            "{}.{queue_key}",
            scope.logical(&function).unwrap_or(&function)
        );
        let enabled = m
            .state()
            .is_some_and(|s| matches!(s, "Enabled" | "Enabling" | "Creating" | "Updating"));
        let reports = m
            .function_response_types()
            .iter()
            .any(|t| t.as_str() == "ReportBatchItemFailures");
        let uuid = m.uuid().unwrap_or_default();
        let arn = m
            .event_source_mapping_arn()
            .map(str::to_string)
            .unwrap_or_else(|| {
                // Older answers lack the ARN; it follows from the function's.
                let function_arn = m.function_arn().unwrap_or_default();
                let base = function_arn.split(":function:").next().unwrap_or_default();
                format!("{base}:event-source-mapping:{uuid}")
            });
        found.push((
            Resource::new(Kind::EventSourceMapping, key, uuid)
                .with("function", function.as_str())
                .with("event_source_arn", source)
                .with("batch_size", m.batch_size().unwrap_or(10))
                .with(
                    "batching_window",
                    m.maximum_batching_window_in_seconds().unwrap_or(0),
                )
                .with("enabled", enabled)
                .with("report_batch_item_failures", reports),
            arn,
        ));
    }
    Ok(found)
}

/// The log groups of the service's functions, with their ARNs, from one listing by prefix;
/// the caller keeps those of the functions it owns or wants.
async fn log_groups(r: &Reader, scope: &Scope) -> Result<Vec<(Resource, String)>, AwsError> {
    let prefix = format!("/aws/lambda/{}", scope.prefix());
    let listed = pages::all(
        &r.calls,
        "CloudWatchLogs.DescribeLogGroups",
        r.logs
            .describe_log_groups()
            .log_group_name_prefix(&prefix)
            .into_paginator()
            .send(),
    )
    .await
    .map_err(|e| AwsError::new("DescribeLogGroups", prefix.clone(), e))?;
    Ok(listed
        .iter()
        .flat_map(|page| page.log_groups())
        .filter_map(|g| {
            let name = g.log_group_name()?.to_string();
            let function = name.strip_prefix("/aws/lambda/")?.to_string();
            let key = scope.logical(&function)?.to_string();
            let arn = g
                .log_group_arn()
                .map(str::to_string)
                .or_else(|| g.arn().map(|a| a.trim_end_matches(":*").to_string()))
                .unwrap_or_default();
            let group = Resource::new(Kind::LogGroup, key, name)
                .with("arn", arn.as_str())
                .with(
                    "retention_days",
                    g.retention_in_days().map_or(Value::Null, Value::from),
                );
            Some((group, arn))
        })
        .collect())
}
