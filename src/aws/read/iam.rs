//! IAM roles: one GetAccountAuthorizationDetails listing (paged) gives every role with its
//! path, trust policy, inline policies, attached managed policies and tags, so roles cost
//! no call per function.

use std::collections::HashMap;

use super::{Found, Reader, Scope, conflict};
use crate::aws::{AwsError, pages};
use crate::engine::model::{Kind, State, address};

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
        let res = crate::kinds::role::live(key, role, &tags);
        resources.push(res);
    }
    Ok((resources, conflicts))
}
