//! SSM Parameter Store: the parameters the spec reads with `${ssm:/path}` (a missing one
//! fails the plan, naming it), and the outputs this service published.

use std::collections::{BTreeMap, BTreeSet};

use super::Reader;
use crate::aws::AwsError;
use crate::ssm::Parameter;

/// The parameters the spec reads, decrypted; a missing one fails the plan, naming it.
pub async fn parameters(
    r: &Reader,
    paths: &BTreeSet<String>,
) -> Result<BTreeMap<String, Parameter>, AwsError> {
    let (found, missing) = get(&r.ssm, Some(&r.calls), paths, true).await?;
    match missing.into_iter().next() {
        Some(path) => Err(AwsError {
            operation: "GetParameters",
            target: path,
            message: "no such parameter (the spec reads it with `${ssm:...}`)".into(),
        }),
        None => Ok(found),
    }
}

/// GetParameters, ten names a call (its limit): the parameters found, and the names not
/// found. Counted in `calls` when given (reads during a plan).
pub async fn get(
    ssm: &aws_sdk_ssm::Client,
    calls: Option<&super::Calls>,
    paths: &BTreeSet<String>,
    decrypt: bool,
) -> Result<(BTreeMap<String, Parameter>, Vec<String>), AwsError> {
    let paths: Vec<&String> = paths.iter().collect();
    let (mut found, mut missing) = (BTreeMap::new(), Vec::new());
    for batch in paths.chunks(10) {
        if let Some(calls) = calls {
            calls.count("SSM.GetParameters");
        }
        let out = ssm
            .get_parameters()
            .set_names(Some(batch.iter().map(|p| p.to_string()).collect()))
            .with_decryption(decrypt)
            .send()
            .await
            .map_err(|e| {
                AwsError::new("GetParameters", batch.first().map_or("", |p| p.as_str()), e)
            })?;
        missing.extend(out.invalid_parameters().iter().cloned());
        for p in out.parameters() {
            let secure = p
                .r#type()
                .is_some_and(|t| *t == aws_sdk_ssm::types::ParameterType::SecureString);
            found.insert(
                p.name().unwrap_or_default().to_string(),
                Parameter {
                    value: p.value().unwrap_or_default().to_string(),
                    secure,
                },
            );
        }
    }
    Ok((found, missing))
}

/// The outputs this service and stage published: the parameters with both ownership tags
/// (DescribeParameters filters by tag), with their values. A wanted path that exists
/// without the tags is a conflict.
pub async fn published(
    r: &Reader,
    scope: &super::Scope,
    wanted: &crate::model::State,
) -> Result<super::Found, AwsError> {
    use aws_sdk_ssm::types::ParameterStringFilter;
    let filter = |key: &str, value: &str| {
        ParameterStringFilter::builder()
            .key(format!("tag:{key}"))
            .values(value)
            .build()
            .expect("key is set")
    };
    let listed = crate::aws::pages::all(
        &r.calls,
        "SSM.DescribeParameters",
        r.ssm
            .describe_parameters()
            .parameter_filters(filter("slsr:service", &scope.service))
            .parameter_filters(filter("slsr:stage", &scope.stage))
            .into_paginator()
            .send(),
    )
    .await
    .map_err(|e| AwsError::new("DescribeParameters", "parameters with slsr's tags", e))?;
    let owned: BTreeSet<String> = listed
        .iter()
        .flat_map(|p| p.parameters())
        .filter_map(|p| p.name().map(str::to_string))
        .collect();
    let wanted_paths: BTreeSet<String> = wanted
        .resources
        .values()
        .filter(|w| w.kind == crate::model::Kind::Parameter)
        .map(|w| w.name.clone())
        .collect();
    let to_read: BTreeSet<String> = owned.union(&wanted_paths).cloned().collect();
    let mut resources = Vec::new();
    let mut conflicts = Vec::new();
    if to_read.is_empty() {
        return Ok((resources, conflicts));
    }
    let (found, _) = get(&r.ssm, Some(&r.calls), &to_read, false).await?;
    for (name, p) in found {
        if !owned.contains(&name) {
            conflicts.push(crate::model::Conflict {
                address: crate::model::address(crate::model::Kind::Parameter, &name),
                reason: format!(
                    "it exists without slsr's ownership tags (slsr:service={}, slsr:stage={}), so slsr will not overwrite or delete it; delete it, or tag it to hand it over",
                    scope.service, scope.stage
                ),
                name,
            });
            continue;
        }
        resources.push(
            crate::model::Resource::new(crate::model::Kind::Parameter, &name, &name)
                .with("value", p.value)
                .with("type", if p.secure { "SecureString" } else { "String" }),
        );
    }
    Ok((resources, conflicts))
}
