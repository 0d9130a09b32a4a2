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
    identity: &[VALUE],
    about: super::nothing_to_add,
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

#[cfg(test)]
mod tests {
    use std::collections::HashMap;

    use aws_sdk_ssm::operation::list_tags_for_resource::ListTagsForResourceOutput;
    use aws_sdk_ssm::operation::put_parameter::{PutParameterError, PutParameterOutput};
    use aws_sdk_ssm::types::error::ParameterAlreadyExists;
    use aws_smithy_mocks::{RuleMode, mock, mock_client};
    use aws_smithy_types::error::ErrorMetadata;

    use super::*;

    fn create_step() -> Step {
        let r = Resource::new(super::super::Kind::Parameter, "/shared/url", "/shared/url")
            .with(VALUE, "https://example.com")
            .with(TYPE, "String")
            .with("tags.slsr:service", "shop")
            .with("tags.slsr:stage", "dev");
        crate::apply::testing::step(Action::Create, None, r, vec![])
    }

    fn applier(ssm: aws_sdk_ssm::Client) -> Applier {
        let mut a = crate::apply::testing::applier(HashMap::new());
        a.clients.ssm = ssm;
        a
    }

    fn exists() -> PutParameterError {
        PutParameterError::ParameterAlreadyExists(
            ParameterAlreadyExists::builder()
                .meta(
                    ErrorMetadata::builder()
                        .code("ParameterAlreadyExists")
                        .message("The parameter already exists.")
                        .build(),
                )
                .build(),
        )
    }

    fn tagged(tags: &[(&str, &str)]) -> ListTagsForResourceOutput {
        ListTagsForResourceOutput::builder()
            .set_tag_list(Some(
                tags.iter()
                    .map(|(k, v)| Tag::builder().key(*k).value(*v).build().unwrap())
                    .collect(),
            ))
            .build()
    }

    #[tokio::test]
    async fn a_path_taken_since_the_plan_is_overwritten_only_when_it_is_slsrs() {
        // Someone else's parameter at the path: refused, and not overwritten.
        let put = mock!(aws_sdk_ssm::Client::put_parameter)
            .sequence()
            .error(exists)
            .output(|| PutParameterOutput::builder().version(2).build())
            .build();
        let theirs = mock!(aws_sdk_ssm::Client::list_tags_for_resource)
            .then_output(|| tagged(&[("owner", "platform")]));
        let a = applier(mock_client!(
            aws_sdk_ssm,
            RuleMode::MatchAny,
            [&put, &theirs]
        ));
        let err = apply(&a, &create_step()).await.unwrap_err();
        assert!(
            err.message
                .contains("without this service and stage's tags"),
            "{err}"
        );
        assert_eq!(put.num_calls(), 1, "no overwrite");

        // The first attempt of this run, whose answer was lost: overwritten.
        let put = mock!(aws_sdk_ssm::Client::put_parameter)
            .sequence()
            .error(exists)
            .output(|| PutParameterOutput::builder().version(2).build())
            .build();
        let ours = mock!(aws_sdk_ssm::Client::list_tags_for_resource)
            .then_output(|| tagged(&[("slsr:service", "shop"), ("slsr:stage", "dev")]));
        let a = applier(mock_client!(aws_sdk_ssm, RuleMode::MatchAny, [&put, &ours]));
        apply(&a, &create_step()).await.unwrap();
        assert_eq!(put.num_calls(), 2);
    }
}
