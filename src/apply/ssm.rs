//! Applying outputs published to SSM Parameter Store: a String parameter per output with
//! `ssm`, made with slsr's ownership tags (so a later read finds it), overwritten when its
//! value changes, deleted when the output goes.

use aws_sdk_ssm::types::{ParameterType, Tag};

use super::{Applier, Settle, Step, attr_str};
use crate::aws::AwsError;
use crate::engine::plan::Action;

pub async fn apply(a: &Applier, step: &Step) -> Result<(), AwsError> {
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
    let value = a.resolve(&attr_str(r, "value"));
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
    let tags = super::attr_map(r, "tags")
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
        super::ensure_ours("PutParameter", r, &tags)?;
        put.overwrite(true)
            .send()
            .await
            .map_err(|e| AwsError::new("PutParameter", path, e))?;
    }
    Ok(())
}
