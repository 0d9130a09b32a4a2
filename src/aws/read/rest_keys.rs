//! The REST API's API keys and usage plans, for `rest.rs`'s reader: GetApiKeys by the name
//! prefix `{service}-{stage}-` (never with `includeValues`: slsr never reads a key's
//! value), GetUsagePlans, and GetUsagePlanKeys of each owned plan, every page. Owned by
//! tags; someone else's key or plan at a name the spec wants is a conflict, and others'
//! keys in slsr's plans are left alone.

use std::collections::BTreeMap;

use super::{Live, Reader, Scope, conflict};
use crate::aws::AwsError;
use crate::aws::pages::follow;
use crate::engine::model::{Kept, Kind, State, address};
use crate::kinds;

pub async fn read(r: &Reader, scope: &Scope, wanted: &State) -> Result<Live, AwsError> {
    let prefix = scope.prefix();
    let keys = follow(
        &r.calls,
        "APIGateway.GetApiKeys",
        "API keys",
        |position| async {
            let out = r
                .rest
                .get_api_keys()
                .name_query(&prefix)
                .set_position(position)
                .send()
                .await
                .map_err(|e| AwsError::new("GetApiKeys", "API keys", e))?;
            Ok((out.items.unwrap_or_default(), out.position))
        },
    )
    .await?;
    let plans = follow(
        &r.calls,
        "APIGateway.GetUsagePlans",
        "usage plans",
        |position| async {
            let out = r
                .rest
                .get_usage_plans()
                .set_position(position)
                .send()
                .await
                .map_err(|e| AwsError::new("GetUsagePlans", "usage plans", e))?;
            Ok((out.items.unwrap_or_default(), out.position))
        },
    )
    .await?;
    let mut live = Live::default();
    // Owned keys' ids to their logical names, for the plans' keys.
    let mut owned_keys: BTreeMap<String, String> = BTreeMap::new();
    for k in &keys {
        let Some(logical) = k.name().and_then(|n| scope.logical(n)) else {
            continue;
        };
        let at = kinds::rest_api_key::at(logical);
        if scope.owns(&k.tags().cloned().unwrap_or_default()) {
            owned_keys.insert(k.id().unwrap_or_default().to_string(), logical.to_string());
            live.rest_api_key_ids
                .insert(logical.to_string(), k.id().unwrap_or_default().to_string());
            let resource = kinds::rest_api_key::live(logical, k);
            live.add(vec![resource], vec![]);
        } else if wanted.resources.contains_key(&at) {
            live.state
                .conflicts
                .push(conflict(at, k.name().unwrap_or_default(), scope));
        }
    }
    for u in &plans {
        let Some(logical) = u.name().and_then(|n| scope.logical(n)) else {
            continue;
        };
        let at = kinds::rest_usage_plan::at(logical);
        if !scope.owns(&u.tags().cloned().unwrap_or_default()) {
            if wanted.resources.contains_key(&at) {
                live.state
                    .conflicts
                    .push(conflict(at, u.name().unwrap_or_default(), scope));
            }
            continue;
        }
        let plan_id = u.id().unwrap_or_default().to_string();
        let plan_keys = follow(
            &r.calls,
            "APIGateway.GetUsagePlanKeys",
            &plan_id,
            |position| async {
                let out = r
                    .rest
                    .get_usage_plan_keys()
                    .usage_plan_id(&plan_id)
                    .set_position(position)
                    .send()
                    .await
                    .map_err(|e| AwsError::new("GetUsagePlanKeys", &plan_id, e))?;
                Ok((out.items.unwrap_or_default(), out.position))
            },
        )
        .await?;
        for pk in &plan_keys {
            match owned_keys.get(pk.id().unwrap_or_default()) {
                Some(key) => live.add(
                    vec![kinds::rest_usage_plan_key::live(logical, &plan_id, key, pk)],
                    vec![],
                ),
                None => live.state.kept.push(Kept {
                    address: address(Kind::RestUsagePlanKey, &format!("{logical}/{}", pk.name().unwrap_or_default())),
                    name: format!("{} (id {})", pk.name().unwrap_or_default(), pk.id().unwrap_or_default()),
                    reason: "an API key in slsr's usage plan that is not this service and stage's; slsr leaves it".into(),
                }),
            }
        }
        live.add(vec![kinds::rest_usage_plan::live(logical, u)], vec![]);
    }
    Ok(live)
}
