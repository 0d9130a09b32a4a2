//! SSM Parameter Store: the parameters the spec reads with `${ssm:/path}` (a missing one
//! fails the plan, at the line of the reference), and the outputs this service published.

use std::collections::{BTreeMap, BTreeSet};

use super::Reader;
use crate::aws::AwsError;
use crate::engine::ssm::Parameter;

/// The parameters the spec reads, decrypted, and the names that are missing (the plan
/// fails on them, at the line of the reference).
pub async fn parameters(
    r: &Reader,
    paths: &BTreeSet<String>,
) -> Result<(BTreeMap<String, Parameter>, Vec<String>), AwsError> {
    get(&r.ssm, Some(&r.calls), paths, true).await
}

/// GetParameters, ten names a call (its limit): the parameters found, by the name asked
/// for (`/db/pass`, or `/db/pass:3` and `/db/pass:prod` for a version or label), and the
/// names not found. A name is found only when the answer holds it: one left out of both
/// lists of an answer is missing, never taken as empty. Counted in `calls` when given
/// (reads during a plan).
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
        let (batch_found, batch_missing) = match_answers(batch, out.parameters());
        found.extend(batch_found);
        missing.extend(batch_missing);
    }
    Ok((found, missing))
}

/// Each name asked for, found in an answer's parameters or missing.
fn match_answers(
    asked: &[&String],
    answer: &[aws_sdk_ssm::types::Parameter],
) -> (BTreeMap<String, Parameter>, Vec<String>) {
    let (mut found, mut missing) = (BTreeMap::new(), Vec::new());
    for asked in asked {
        let Some(p) = answer.iter().find(|p| answers(asked, p)) else {
            missing.push(asked.to_string());
            continue;
        };
        let secure = p
            .r#type()
            .is_some_and(|t| *t == aws_sdk_ssm::types::ParameterType::SecureString);
        found.insert(
            asked.to_string(),
            Parameter {
                value: p.value().unwrap_or_default().to_string(),
                secure,
            },
        );
    }
    (found, missing)
}

/// Whether a parameter in GetParameters' answer is the one asked for as `asked`: the same
/// name, and for `NAME:SELECTOR` the same selector (AWS names it in `Selector`; a version
/// number also shows in `Version`).
fn answers(asked: &str, p: &aws_sdk_ssm::types::Parameter) -> bool {
    let (name, selector) = match asked.split_once(':') {
        Some((name, selector)) => (name, Some(selector)),
        None => (asked, None),
    };
    if p.name() != Some(name) {
        return false;
    }
    match selector {
        None => p.selector().is_none_or(str::is_empty),
        Some(want) => {
            p.selector().map(|s| s.trim_start_matches(':')) == Some(want)
                || (p.selector().is_none() && want.parse::<i64>().is_ok_and(|v| v == p.version()))
        }
    }
}

/// The outputs this service and stage published: the parameters with both ownership tags
/// (DescribeParameters filters by tag), with their values. A wanted path that exists
/// without the tags is a conflict.
pub async fn published(
    r: &Reader,
    scope: &super::Scope,
    wanted: &crate::engine::model::State,
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
        .filter(|w| w.kind == crate::engine::model::Kind::Parameter)
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
            conflicts.push(crate::engine::model::Conflict {
                address: crate::engine::model::address(crate::engine::model::Kind::Parameter, &name),
                reason: format!(
                    "it exists without slsr's ownership tags (slsr:service={service} and slsr:stage={stage}), so slsr will not overwrite or delete it. Either give the output another `ssm` path in the spec; or, in AWS, delete the parameter, or tag it slsr:service={service} and slsr:stage={stage} to hand it to slsr",
                    service = scope.service,
                    stage = scope.stage
                ),
                name,
            });
            continue;
        }
        resources.push(crate::kinds::parameter::live(&name, &p.value, p.secure));
    }
    Ok((resources, conflicts))
}

#[cfg(test)]
mod tests {
    use aws_sdk_ssm::types::Parameter as Answer;

    use super::*;

    fn answer(name: &str, selector: Option<&str>, version: i64, value: &str) -> Answer {
        Answer::builder()
            .name(name)
            .set_selector(selector.map(str::to_string))
            .version(version)
            .value(value)
            .r#type(aws_sdk_ssm::types::ParameterType::SecureString)
            .build()
    }

    #[test]
    fn a_name_is_found_only_in_an_answer_that_holds_it() {
        let (plain, pinned, labelled) = (
            "/db/pass".to_string(),
            "/db/pass:1".to_string(),
            "/db/pass:stable".to_string(),
        );
        let asked = [&plain, &pinned, &labelled];
        // An empty answer (neither found nor invalid) leaves every name missing.
        let (found, missing) = match_answers(&asked, &[]);
        assert!(found.is_empty());
        assert_eq!(missing, [plain.clone(), pinned.clone(), labelled.clone()]);
        // The latest version does not stand for a pinned one or a label.
        let (found, missing) = match_answers(&asked, &[answer("/db/pass", None, 2, "two")]);
        assert_eq!(found[&plain].value, "two");
        assert_eq!(missing, [pinned.clone(), labelled.clone()]);
        // Each by its selector (or, without one, a version's number).
        let (found, missing) = match_answers(
            &asked,
            &[
                answer("/db/pass", None, 2, "two"),
                answer("/db/pass", None, 1, "one"),
                answer("/db/pass", Some(":stable"), 1, "one"),
            ],
        );
        assert!(missing.is_empty(), "{missing:?}");
        assert_eq!(
            (
                found[&pinned].value.as_str(),
                found[&labelled].value.as_str()
            ),
            ("one", "one")
        );
    }
}
