//! Outputs published to SSM Parameter Store (`outputs.NAME.ssm`): a String parameter at
//! the path, with slsr's tags (written on creation, as AWS takes tags only then), found by
//! a DescribeParameters tag filter (`aws/read/ssm.rs`), so a removed output's parameter is
//! pruned. A parameter needs what its value names as known only after apply.

use aws_sdk_ssm::types::{ParameterType, Tag};

use super::{KindInfo, TAGS, Tags, attr_map, attr_str};
use crate::apply::{Applier, Settle, Step};
use crate::aws::AwsError;
use crate::engine::desired::Builder;
use crate::engine::model::{Resource, State};
use crate::engine::plan::Action;

pub static INFO: KindInfo = KindInfo {
    prefix: "parameter",
    naming: "the output's `ssm` path",
    tags: Tags::WrittenOnly,
    replaced_by: &[],
    holds_data: false,
    desired,
    needs: |r, _| super::referenced(r),
    serial_with: super::not_serial,
    public: super::never_public,
    write: super::writer!(apply),
};

pub const VALUE: &str = "value";
/// `String`; slsr never publishes a SecureString.
pub const TYPE: &str = "type";

fn desired(b: &Builder, state: &mut State) {
    for output in b.p.outputs.values() {
        if let Some(path) = &output.ssm {
            state.insert(
                Resource::new(super::Kind::Parameter, path.as_str(), path.as_str())
                    .with(VALUE, output.value.as_str())
                    .with(TYPE, "String")
                    .with_map(TAGS, &b.tags),
            );
        }
    }
}

/// A published parameter, by its path.
pub fn live(path: &str, value: &str, secure: bool) -> Resource {
    Resource::new(super::Kind::Parameter, path, path)
        .with(VALUE, value)
        .with(TYPE, if secure { "SecureString" } else { "String" })
}

async fn apply(a: &Applier, step: &Step) -> Result<(), AwsError> {
    let r = step.resource();
    let path = r.name.as_str();
    if step.action == Action::Delete {
        return a
            .ssm
            .delete_parameter()
            .name(path)
            .send()
            .await
            .or_gone("DeleteParameter", path);
    }
    let value = a.resolve(&attr_str(r, VALUE));
    if crate::engine::ssm::parse(&value).is_some() {
        return Err(AwsError {
            operation: "PutParameter",
            target: path.to_string(),
            message: "the value takes a SecureString; slsr publishes outputs as String parameters and will not put a secret in one".into(),
        });
    }
    if crate::engine::desired::still_unknown(&value) && !a.dry {
        return Err(AwsError {
            operation: "PutParameter",
            target: path.to_string(),
            message: format!(
                "{} is still unknown",
                crate::engine::sensitive::redact(&value)
            ),
        });
    }
    let put = a
        .ssm
        .put_parameter()
        .name(path)
        .value(value)
        .r#type(ParameterType::String);
    // AWS takes tags only on a new parameter, and an overwrite only without tags.
    if step.action != Action::Create {
        put.overwrite(true)
            .send()
            .await
            .map_err(|e| AwsError::new("PutParameter", path, e))?;
        return Ok(());
    }
    let tags = attr_map(r, TAGS)
        .into_iter()
        .map(|(k, v)| Tag::builder().key(k).value(v).build())
        .collect::<Result<Vec<_>, _>>()
        .map_err(|e| AwsError {
            operation: "PutParameter",
            target: path.to_string(),
            message: e.to_string(),
        })?;
    let created = put
        .clone()
        .set_tags(Some(tags))
        .send()
        .await
        .or_exists("PutParameter", path)?;
    if created.is_none() {
        // The path is taken: by a first attempt whose answer was lost, or by someone else
        // since the plan. Only the first may be overwritten.
        let tags: std::collections::HashMap<String, String> = a
            .ssm
            .list_tags_for_resource()
            .resource_type(aws_sdk_ssm::types::ResourceTypeForTagging::Parameter)
            .resource_id(path)
            .send()
            .await
            .map_err(|e| AwsError::new("ListTagsForResource", path, e))?
            .tag_list()
            .iter()
            .map(|t| (t.key().to_string(), t.value().to_string()))
            .collect();
        crate::apply::ensure_ours("PutParameter", r, &tags)?;
        put.overwrite(true)
            .send()
            .await
            .map_err(|e| AwsError::new("PutParameter", path, e))?;
    }
    Ok(())
}
