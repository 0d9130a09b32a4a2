//! Applying IAM roles: the role with its path, trust policy and tags, slsr's inline policy,
//! the attached managed policies. A delete detaches and removes policies first, as IAM
//! requires.

use aws_sdk_iam::types::Tag;
use serde_json::Value;

use super::{Applier, Settle, Step, attr, attr_list, attr_str, tag_changes};
use crate::aws::AwsError;
use crate::aws::read::iam::INLINE_POLICY;
use crate::engine::plan::Action;

pub async fn apply(a: &Applier, step: &Step) -> Result<(), AwsError> {
    let r = step.resource();
    let name = r.name.as_str();
    match step.action {
        Action::Delete => {
            for arn in attr_list(r, "managed_policies") {
                a.iam
                    .detach_role_policy()
                    .role_name(name)
                    .policy_arn(arn)
                    .send()
                    .await
                    .or_gone("DetachRolePolicy", name)?;
            }
            for policy in inline_policies(r) {
                a.iam
                    .delete_role_policy()
                    .role_name(name)
                    .policy_name(policy)
                    .send()
                    .await
                    .or_gone("DeleteRolePolicy", name)?;
            }
            a.iam
                .delete_role()
                .role_name(name)
                .send()
                .await
                .or_gone("DeleteRole", name)?;
        }
        Action::Create => {
            let tags: Vec<Tag> = tag_list(super::attr_map(r, "tags"));
            let created = a
                .iam
                .create_role()
                .role_name(name)
                .path(attr_str(r, "path"))
                .assume_role_policy_document(attr(r, "trust_policy").to_string())
                .set_tags(Some(tags))
                .send()
                .await
                .or_exists("CreateRole", name)?;
            if created.is_none() {
                ensure_owned(a, step).await?;
            }
            put_inline(a, step).await?;
            for arn in attr_list(r, "managed_policies") {
                a.iam
                    .attach_role_policy()
                    .role_name(name)
                    .policy_arn(arn)
                    .send()
                    .await
                    .map_err(|e| AwsError::new("AttachRolePolicy", name, e))?;
            }
        }
        _ => {
            if step.changes("trust_policy") {
                a.iam
                    .update_assume_role_policy()
                    .role_name(name)
                    .policy_document(attr(r, "trust_policy").to_string())
                    .send()
                    .await
                    .map_err(|e| AwsError::new("UpdateAssumeRolePolicy", name, e))?;
            }
            if step.changes("inline_policy") {
                put_inline(a, step).await?;
            }
            // Inline policies other than slsr's are drift on a role slsr owns.
            let live = step.live().expect("an update has a live resource");
            for policy in inline_policies(live)
                .into_iter()
                .filter(|p| p != INLINE_POLICY)
            {
                a.iam
                    .delete_role_policy()
                    .role_name(name)
                    .policy_name(policy)
                    .send()
                    .await
                    .or_gone("DeleteRolePolicy", name)?;
            }
            let (want, have) = (
                attr_list(r, "managed_policies"),
                attr_list(live, "managed_policies"),
            );
            for arn in want.iter().filter(|p| !have.contains(p)) {
                a.iam
                    .attach_role_policy()
                    .role_name(name)
                    .policy_arn(arn)
                    .send()
                    .await
                    .map_err(|e| AwsError::new("AttachRolePolicy", name, e))?;
            }
            for arn in have.iter().filter(|p| !want.contains(p)) {
                a.iam
                    .detach_role_policy()
                    .role_name(name)
                    .policy_arn(arn)
                    .send()
                    .await
                    .or_gone("DetachRolePolicy", name)?;
            }
            let (set, remove) = tag_changes(step);
            if !set.is_empty() {
                let tags: Vec<Tag> = tag_list(set);
                a.iam
                    .tag_role()
                    .role_name(name)
                    .set_tags(Some(tags))
                    .send()
                    .await
                    .map_err(|e| AwsError::new("TagRole", name, e))?;
            }
            if !remove.is_empty() {
                a.iam
                    .untag_role()
                    .role_name(name)
                    .set_tag_keys(Some(remove))
                    .send()
                    .await
                    .map_err(|e| AwsError::new("UntagRole", name, e))?;
            }
        }
    }
    Ok(())
}

/// Writes slsr's inline policy, or removes it when the role should have none.
async fn put_inline(a: &Applier, step: &Step) -> Result<(), AwsError> {
    let r = step.resource();
    match &attr(r, "inline_policy") {
        Value::Null => {
            if step
                .live()
                .is_some_and(|l| !attr(l, "inline_policy").is_null())
            {
                a.iam
                    .delete_role_policy()
                    .role_name(&r.name)
                    .policy_name(INLINE_POLICY)
                    .send()
                    .await
                    .or_gone("DeleteRolePolicy", &r.name)?;
            }
        }
        // Roles come first in apply: a statement cannot name what is made later (a new
        // queue's URL, the new API's URL); statements take ARNs, which are known.
        document if crate::engine::desired::still_unknown(&document.to_string()) && !a.dry => {
            return Err(AwsError {
                operation: "PutRolePolicy",
                target: r.name.clone(),
                message: "a statement names a URL that is known only after apply; statements take ARNs, such as ${queue:NAME.arn}".into(),
            });
        }
        document => {
            a.iam
                .put_role_policy()
                .role_name(&r.name)
                .policy_name(INLINE_POLICY)
                .policy_document(document.to_string())
                .send()
                .await
                .map_err(|e| AwsError::new("PutRolePolicy", r.name.clone(), e))?;
        }
    }
    Ok(())
}

/// The names of a live role's inline policies.
fn inline_policies(r: &crate::engine::model::Resource) -> Vec<String> {
    let mut names = Vec::new();
    if r.attrs.get("inline_policy").is_some_and(|p| !p.is_null()) {
        names.push(INLINE_POLICY.to_string());
    }
    names.extend(
        r.attrs
            .keys()
            .filter_map(|k| k.strip_prefix("inline_policy."))
            .map(str::to_string),
    );
    names
}

/// Tags as the IAM API takes them.
fn tag_list(tags: std::collections::HashMap<String, String>) -> Vec<Tag> {
    tags.into_iter()
        .map(|(k, v)| {
            Tag::builder()
                .key(k)
                .value(v)
                .build()
                .expect("key and value are set")
        })
        .collect()
}

/// After a create refused as "exists": the role must be ours (`ensure_ours`).
async fn ensure_owned(a: &Applier, step: &Step) -> Result<(), AwsError> {
    let r = step.resource();
    let out = a
        .iam
        .get_role()
        .role_name(&r.name)
        .send()
        .await
        .map_err(|e| AwsError::new("GetRole", &r.name, e))?;
    let tags = out
        .role()
        .map(|role| {
            role.tags()
                .iter()
                .map(|t| (t.key().to_string(), t.value().to_string()))
                .collect()
        })
        .unwrap_or_default();
    super::ensure_ours("CreateRole", r, &tags)
}
