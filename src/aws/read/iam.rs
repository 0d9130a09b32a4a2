//! IAM roles: one GetAccountAuthorizationDetails listing (paged) gives every role with its
//! path, trust policy, inline policies, attached managed policies and tags, so roles cost
//! no call per function.

use std::collections::HashMap;

use serde_json::Value;

use super::{Found, Reader, Scope, conflict};
use crate::aws::{AwsError, pages};
use crate::engine::model::{Kind, Resource, State, address};
use crate::engine::normalize::parse_policy;

/// The name of the inline policy slsr writes on its roles.
pub const INLINE_POLICY: &str = "slsr";

pub async fn read(r: &Reader, scope: &Scope, wanted: &State) -> Result<Found, AwsError> {
    let listed = pages::all(
        &r.calls,
        "IAM.GetAccountAuthorizationDetails",
        r.iam
            .get_account_authorization_details()
            .filter(aws_sdk_iam::types::EntityType::Role)
            .into_paginator()
            .send(),
    )
    .await
    .map_err(|e| AwsError::new("GetAccountAuthorizationDetails", "IAM roles", e))?;
    let path = format!("/slsr/{}/{}/", scope.service, scope.stage);
    let mut resources = Vec::new();
    let mut conflicts = Vec::new();
    for role in listed.iter().flat_map(|p| p.role_detail_list()) {
        let name = role.role_name().unwrap_or_default();
        let Some(key) = scope.logical(name) else {
            continue;
        };
        let tags: HashMap<String, String> = role
            .tags()
            .iter()
            .map(|t| (t.key().to_string(), t.value().to_string()))
            .collect();
        let at = address(Kind::Role, key);
        if !scope.owns(&tags) || role.path() != Some(path.as_str()) {
            if wanted.resources.contains_key(&at) {
                conflicts.push(conflict(at, name, scope));
            }
            continue;
        }
        let mut managed: Vec<String> = role
            .attached_managed_policies()
            .iter()
            .filter_map(|p| p.policy_arn())
            .map(str::to_string)
            .collect();
        managed.sort();
        let mut res = Resource::new(Kind::Role, key, name)
            .with("arn", role.arn().unwrap_or_default())
            .with("path", role.path().unwrap_or_default())
            .with(
                "trust_policy",
                role.assume_role_policy_document()
                    .and_then(parse_policy)
                    .unwrap_or(Value::Null),
            )
            .with("managed_policies", managed)
            .with("inline_policy", Value::Null);
        for policy in role.role_policy_list() {
            let document = policy
                .policy_document()
                .and_then(parse_policy)
                .unwrap_or(Value::Null);
            match policy.policy_name() {
                Some(INLINE_POLICY) => res = res.with("inline_policy", document),
                // Another inline policy on a role slsr owns is drift: the plan removes it.
                Some(other) => res = res.with(&format!("inline_policy.{other}"), document),
                None => {}
            }
        }
        for (k, v) in &tags {
            res = res.with(&format!("tags.{k}"), v.as_str());
        }
        resources.push(res);
    }
    Ok((resources, conflicts))
}
