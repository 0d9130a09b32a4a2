//! `--target ADDRESS`: a plan cut down to the named resources and what they need, as
//! Terraform's `-target` does, for a fix that cannot wait for the rest of the spec.
//!
//! What a resource needs comes from its kind (`KindInfo::needs`, the edges apply orders
//! by), so a targeted function brings its role and log group, a targeted route its
//! integration and the API. A deletion or a replacement also brings what needs the target
//! and goes with it (a removed function's permissions, a replaced function's mappings):
//! leaving those out would leave them pointing at nothing. Pure: no I/O.

use std::collections::{BTreeSet, HashMap};

use crate::engine::plan::{Action, Change, Plan};
use crate::kinds::Index;

/// The plan with only the changes at `targets` and what they need. An address that is
/// neither in the spec nor in the account is an error naming the nearest ones.
pub fn select(mut plan: Plan, targets: &[String]) -> Result<Plan, String> {
    if targets.is_empty() {
        return Ok(plan);
    }
    let at: HashMap<&str, &Change> = plan
        .changes
        .iter()
        .map(|c| (c.address.as_str(), c))
        .collect();
    if let Some(unknown) = targets.iter().find(|t| !at.contains_key(t.as_str())) {
        return Err(unknown_target(unknown, at.keys().copied()));
    }
    let resources = plan
        .changes
        .iter()
        .flat_map(|c| [c.after.as_ref(), c.before.as_ref()])
        .flatten();
    let index = Index::of(resources);
    let needs = |c: &Change| -> Vec<String> {
        c.after
            .as_ref()
            .or(c.before.as_ref())
            .map(|r| (r.kind.info().needs)(r, &index))
            .unwrap_or_default()
    };
    let needed: HashMap<&str, Vec<String>> = plan
        .changes
        .iter()
        .map(|c| (c.address.as_str(), needs(c)))
        .collect();
    let goes = |a: Action| matches!(a, Action::Delete | Action::Replace);
    let mut chosen: BTreeSet<String> = BTreeSet::new();
    let mut todo: Vec<String> = targets.to_vec();
    while let Some(address) = todo.pop() {
        let Some(change) = at.get(address.as_str()) else {
            continue;
        };
        if !chosen.insert(address.clone()) {
            continue;
        }
        // What a deleted resource needed stays: only what it is made from, and it is not
        // being made.
        if change.action != Action::Delete {
            todo.extend(needed[address.as_str()].iter().cloned());
        }
        if goes(change.action) {
            todo.extend(
                plan.changes
                    .iter()
                    .filter(|c| goes(c.action) && needed[c.address.as_str()].contains(&address))
                    .map(|c| c.address.clone()),
            );
        }
    }
    plan.changes.retain(|c| chosen.contains(&c.address));
    plan.conflicts.retain(|c| chosen.contains(&c.address));
    Ok(plan)
}

/// `--target x` that names nothing: the nearest addresses, or how addresses look.
fn unknown_target<'a>(target: &str, known: impl Iterator<Item = &'a str>) -> String {
    let mut near: Vec<(f64, &str)> = known
        .map(|k| (strsim::jaro_winkler(target, k), k))
        .filter(|(score, _)| *score > 0.8)
        .collect();
    near.sort_by(|a, b| b.0.total_cmp(&a.0).then(a.1.cmp(b.1)));
    let hint = match near.first() {
        Some((_, best)) => format!("did you mean `{best}`?"),
        None => "addresses are as the plan names them: function.api, queue.jobs, route[\"GET /\"]"
            .into(),
    };
    format!("--target `{target}`: no such resource in the spec or the account; {hint}")
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::engine::model::{Kind, Resource, State};

    fn function(key: &str) -> Resource {
        Resource::new(Kind::Function, key, format!("s-dev-{key}"))
            .with("arn", format!("arn:aws:lambda:r:1:function:s-dev-{key}"))
            .with("role", format!("arn:aws:iam::1:role/s-dev-{key}"))
    }

    fn role(key: &str) -> Resource {
        Resource::new(Kind::Role, key, format!("s-dev-{key}"))
            .with("arn", format!("arn:aws:iam::1:role/s-dev-{key}"))
    }

    fn state(resources: Vec<Resource>) -> State {
        let mut s = State::default();
        for r in resources {
            s.insert(r);
        }
        s
    }

    fn addresses(plan: &Plan) -> Vec<&str> {
        plan.changes.iter().map(|c| c.address.as_str()).collect()
    }

    #[test]
    fn a_target_brings_what_it_needs_and_nothing_else() {
        let desired = state(vec![function("a"), role("a"), function("b"), role("b")]);
        let full = crate::engine::plan::plan(&desired, &State::default());
        let cut = select(full.clone(), &["function.a".into()]).unwrap();
        assert_eq!(addresses(&cut), ["role.a", "function.a"]);
        assert_eq!(select(full.clone(), &[]).unwrap(), full);
    }

    #[test]
    fn a_deleted_target_takes_what_needs_it_along() {
        let live = state(vec![function("a"), role("a")]);
        let full = crate::engine::plan::plan(&State::default(), &live);
        let cut = select(full, &["role.a".into()]).unwrap();
        assert_eq!(addresses(&cut), ["function.a", "role.a"]);
    }

    #[test]
    fn an_unknown_target_names_the_nearest_address() {
        let desired = state(vec![function("api"), role("api")]);
        let full = crate::engine::plan::plan(&desired, &State::default());
        let e = select(full, &["function.apii".into()]).unwrap_err();
        assert!(e.contains("did you mean `function.api`?"), "{e}");
    }
}
