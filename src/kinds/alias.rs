//! The `live` alias of a function with provisioned concurrency: a version published for
//! it, and the provisioned concurrency configured on it. Read with GetAlias and
//! GetProvisionedConcurrencyConfig for every function slsr owns (an alias the spec no
//! longer wants must show up to be deleted). It needs its function.

use serde_json::Value;

use super::{Index, KindInfo, Tags, attr_i32};
use crate::apply::{Applier, Settle, Step};
use crate::aws::AwsError;
use crate::aws::read::{Reader, Scope};
use crate::engine::desired::Builder;
use crate::engine::model::{KNOWN_AFTER_APPLY, Resource, State};
use crate::engine::plan::Action;

pub static INFO: KindInfo = KindInfo {
    prefix: "alias",
    naming: "{function}:live",
    tags: Tags::Untagged,
    replaced_by: &[],
    holds_data: false,
    desired,
    needs,
    serial_with,
    public: super::never_public,
    identity: &[FUNCTION_VERSION],
    about: super::nothing_to_add,
    write: super::writer!(apply),
};

pub const PROVISIONED_CONCURRENCY: &str = "provisioned_concurrency";
/// The version the alias points at: known only once apply publishes it.
pub const FUNCTION_VERSION: &str = "function_version";

fn desired(b: &Builder, state: &mut State) {
    for (name, f) in &b.p.functions {
        if let Some(n) = f.provisioned_concurrency {
            let physical = b.p.physical_name(name);
            state.insert(
                Resource::new(
                    super::Kind::Alias,
                    name.as_str(),
                    format!("{physical}:live"),
                )
                .with(PROVISIONED_CONCURRENCY, n)
                .with(FUNCTION_VERSION, KNOWN_AFTER_APPLY),
            );
        }
    }
}

/// The function whose alias it is.
fn function(r: &Resource) -> &str {
    r.name.trim_end_matches(":live")
}

fn needs(r: &Resource, index: &Index) -> Vec<String> {
    index
        .named(super::Kind::Function, function(r))
        .into_iter()
        .collect()
}

fn serial_with(r: &Resource) -> Option<String> {
    Some(function(r).to_string())
}

/// The function's `live` alias and its provisioned concurrency, if it has one.
pub async fn read(r: &Reader, scope: &Scope, name: &str) -> Result<Vec<Resource>, AwsError> {
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
        Resource::new(super::Kind::Alias, key, format!("{name}:live"))
            .with(PROVISIONED_CONCURRENCY, provisioned)
            .with(
                FUNCTION_VERSION,
                alias.function_version().unwrap_or_default(),
            ),
    ])
}

async fn apply(a: &Applier, step: &Step) -> Result<(), AwsError> {
    let r = step.resource();
    let function = r.name.trim_end_matches(":live");
    match step.action {
        Action::Delete => {
            if !step.live().is_some_and(|l| {
                l.attrs
                    .get(PROVISIONED_CONCURRENCY)
                    .is_none_or(Value::is_null)
            }) {
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
            a.lambda
                .delete_alias()
                .function_name(function)
                .name("live")
                .send()
                .await
                .or_gone("DeleteAlias", &format!("{function}:live"))?;
        }
        _ => {
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
                a.lambda
                    .create_alias()
                    .function_name(function)
                    .name("live")
                    .function_version(&version)
                    .send()
                    .await
                    .or_exists("CreateAlias", &format!("{function}:live"))?;
            } else {
                a.lambda
                    .update_alias()
                    .function_name(function)
                    .name("live")
                    .function_version(&version)
                    .send()
                    .await
                    .map_err(|e| AwsError::new("UpdateAlias", format!("{function}:live"), e))?;
            }
            if let Some(n) = attr_i32(r, PROVISIONED_CONCURRENCY) {
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
