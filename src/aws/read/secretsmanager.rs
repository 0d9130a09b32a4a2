//! Secrets Manager secrets: ListSecrets (paged, with those scheduled for deletion), whose
//! entries carry each secret's description, KMS key and tags, so one listing tells which
//! are the service's whatever their names. Never GetSecretValue. What the answers become is
//! the kind's (`kinds::secret::live`).
//!
//! A secret of this service scheduled for deletion that the spec no longer declares is
//! already going: it is left out, so the plan does not delete it twice. One the spec still
//! declares is read with its `scheduled_deletion`, which the plan shows going away.

use std::collections::HashMap;

use super::{Live, Reader, Scope, conflict};
use crate::aws::{AwsError, pages};
use crate::engine::model::{Kind, State, address};
use crate::kinds::secret;

pub async fn read(r: &Reader, scope: &Scope, wanted: &State) -> Result<Live, AwsError> {
    let exact: HashMap<String, String> = wanted
        .resources
        .values()
        .filter(|w| w.kind == Kind::Secret)
        .map(|w| (w.name.clone(), w.key.clone()))
        .collect();
    let listed = pages::all(
        &r.calls,
        "SecretsManager.ListSecrets",
        r.secrets
            .list_secrets()
            .include_planned_deletion(true)
            .into_paginator()
            .send(),
    )
    .await
    .map_err(|e| AwsError::new("ListSecrets", "Secrets Manager secrets", e))?;
    let mut live = Live::default();
    let mut resources = Vec::new();
    let mut conflicts = Vec::new();
    for entry in listed.iter().flat_map(|page| page.secret_list()) {
        let name = entry.name().unwrap_or_default();
        let tags = secret::tags(entry);
        // By the spec's exact name, else by the prefix; one with the tags of this service
        // and stage under another name is keyed by its name, so that the plan names it.
        let Some(key) = exact
            .get(name)
            .cloned()
            .or_else(|| scope.logical(name).map(str::to_string))
            .or_else(|| scope.owns(&tags).then(|| name.to_string()))
        else {
            continue;
        };
        let at = address(Kind::Secret, &key);
        if !scope.owns_at(&at, &tags) {
            if wanted.resources.contains_key(&at) {
                let mut c = conflict(at, name, scope);
                if entry.deleted_date().is_some() {
                    // Its name is taken until Secrets Manager deletes it for good.
                    c.reason.push_str("; it is scheduled for deletion, and Secrets Manager refuses a new secret of its name until the deletion is done or the secret is restored");
                }
                conflicts.push(c);
            }
            continue;
        }
        if entry.deleted_date().is_some() && !wanted.resources.contains_key(&at) {
            continue;
        }
        if let Some(arn) = entry.arn() {
            live.secret_arns.insert(key.clone(), arn.to_string());
        }
        let mut found = secret::live(&key, entry);
        crate::kinds::stream::key_as_the_spec_names_it(
            &mut found,
            wanted.resources.get(&at),
            secret::KMS_KEY,
        );
        resources.push(found);
    }
    live.add(resources, conflicts);
    Ok(live)
}
