//! The planner: desired state against live state, attribute by attribute.
//!
//! Pure: no I/O, no async, and it cannot fail. Apply is built from the `Plan` alone, never
//! from the spec, so it cannot touch what was not planned.

use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::engine::model::{Conflict, Kept, Kind, Resource, State};
use crate::engine::sensitive::is_sensitive;

/// What apply does to one resource. The symbols are what the text plan shows.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Action {
    Create,
    Update,
    Replace,
    Delete,
    NoOp,
}

impl Action {
    pub fn symbol(self) -> &'static str {
        match self {
            Action::Create => "+",
            Action::Update => "~",
            Action::Replace => "-/+",
            Action::Delete => "-",
            Action::NoOp => " ",
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Action::Create => "create",
            Action::Update => "update",
            Action::Replace => "replace",
            Action::Delete => "delete",
            Action::NoOp => "no-op",
        }
    }
}

/// One attribute that differs. `None` is "absent" (a new env var, a removed tag).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct FieldDiff {
    pub path: String,
    pub before: Option<Value>,
    pub after: Option<Value>,
    /// The value is masked in every output (an env var whose name looks secret).
    pub sensitive: bool,
    /// Changing this attribute replaces the resource.
    pub forces_replacement: bool,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Change {
    pub address: String,
    pub kind: Kind,
    pub name: String,
    pub action: Action,
    pub diffs: Vec<FieldDiff>,
    /// The live resource, as read (none for a create).
    pub before: Option<Resource>,
    /// The desired resource (none for a delete). Apply works from these two alone.
    pub after: Option<Resource>,
    /// Why a resource without a changed field of its own is replaced (display only).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
    /// The change deletes or replaces a resource that holds data (a table, a bucket): what
    /// it holds is lost. Planned only with `--allow-data-loss` (`make::DataLoss`).
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub data_loss: bool,
}

impl Change {
    /// Whether this change loses the data its resource holds (`KindInfo::holds_data`).
    pub fn loses_data(&self) -> bool {
        self.kind.info().holds_data && matches!(self.action, Action::Delete | Action::Replace)
    }
}

#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct Plan {
    pub changes: Vec<Change>,
    /// Live resources slsr would need but does not own; a plan with any cannot be applied.
    pub conflicts: Vec<Conflict>,
    /// Live resources beside slsr's that it does not own and leaves as they are.
    #[serde(default)]
    pub kept: Vec<Kept>,
    /// The spec's outputs whose value apply changes (`engine::outputs`), filled in by `make`.
    #[serde(default)]
    pub outputs: Vec<crate::engine::outputs::OutputChange>,
    /// What the change opens up (`engine::widening`), filled in by `make`. Never saved nor
    /// read from a saved plan: it is always made again from the changes.
    #[serde(skip)]
    pub widening: Vec<crate::engine::widening::Widening>,
    /// What the plan does to the fixed monthly bill (`engine::cost`), filled in by `make`.
    /// Never saved nor read from a saved plan: it is always priced again from the changes.
    #[serde(skip)]
    pub cost: crate::engine::cost::Costs,
}

/// `Plan: 2 to add, 1 to change, 0 to replace, 1 to destroy.`
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Summary {
    pub add: usize,
    pub change: usize,
    pub replace: usize,
    pub destroy: usize,
    /// Of those, the deletions and replacements that lose data.
    pub data_loss: usize,
}

impl Plan {
    pub fn summary(&self) -> Summary {
        let count = |a: Action| self.changes.iter().filter(|c| c.action == a).count();
        Summary {
            add: count(Action::Create),
            change: count(Action::Update),
            replace: count(Action::Replace),
            destroy: count(Action::Delete),
            data_loss: self.changes.iter().filter(|c| c.data_loss).count(),
        }
    }

    pub fn has_changes(&self) -> bool {
        self.changes.iter().any(|c| c.action != Action::NoOp)
    }
}

/// Whether a diff is masked: either side's value is sensitive.
fn sensitive(path: &str, before: Option<&Value>, after: Option<&Value>) -> bool {
    is_sensitive(path, before) || is_sensitive(path, after)
}

/// Compares every desired resource with its live twin, and plans the deletion of owned
/// live resources the spec no longer has. Changes come in creation order (by kind, then
/// address); deletions last, in reverse.
pub fn plan(desired: &State, live: &State) -> Plan {
    let mut changes = Vec::new();
    // A conflict is an address slsr will not touch: the resource there is someone else's
    // (or one of two that claim it). Listing it as a create as well would say both that
    // slsr leaves it and that slsr makes it, and count it in the plan's total.
    let conflicted = |address: &str| live.conflicts.iter().any(|c| c.address == address);
    for (address, want) in desired
        .resources
        .iter()
        .filter(|(address, _)| !conflicted(address))
    {
        let change = match live.resources.get(address) {
            None => Change {
                address: address.clone(),
                kind: want.kind,
                name: want.name.clone(),
                action: Action::Create,
                diffs: want
                    .attrs
                    .iter()
                    .filter(|(_, v)| !v.is_null())
                    .map(|(path, v)| FieldDiff {
                        path: path.clone(),
                        before: None,
                        after: Some(v.clone()),
                        sensitive: sensitive(path, None, Some(v)),
                        forces_replacement: false,
                    })
                    .collect(),
                before: None,
                after: Some(want.clone()),
                reason: None,
                data_loss: false,
            },
            Some(have) => compare(want, have),
        };
        changes.push(change);
    }
    let mut deletions: Vec<Change> = live
        .resources
        .iter()
        .filter(|(address, _)| !desired.resources.contains_key(*address) && !conflicted(address))
        .map(|(address, have)| Change {
            address: address.clone(),
            kind: have.kind,
            name: have.name.clone(),
            action: Action::Delete,
            diffs: have
                .attrs
                .iter()
                .filter(|(_, v)| !v.is_null())
                .map(|(path, v)| FieldDiff {
                    path: path.clone(),
                    before: Some(v.clone()),
                    after: None,
                    sensitive: sensitive(path, Some(v), None),
                    forces_replacement: false,
                })
                .collect(),
            before: Some(have.clone()),
            after: None,
            reason: None,
            data_loss: false,
        })
        .collect();
    changes.sort_by(|a, b| (a.kind, &a.address).cmp(&(b.kind, &b.address)));
    deletions.sort_by(|a, b| (b.kind, &b.address).cmp(&(a.kind, &a.address)));
    changes.extend(deletions);
    replace_dependents(&mut changes);
    // A resource with parts others attached (a rule with their targets) is not deleted:
    // slsr takes its own part off and hands the rest over.
    for c in changes.iter_mut().filter(|c| c.action == Action::Delete) {
        if live.kept.iter().any(|k| k.address == c.address) {
            c.reason = Some(
                "slsr removes only its own part and its tags; what others attached stays (see Kept)"
                    .into(),
            );
        }
    }
    for c in changes.iter_mut() {
        c.data_loss = c.loses_data();
    }
    Plan {
        changes,
        conflicts: live.conflicts.clone(),
        kept: live.kept.clone(),
        outputs: Vec::new(),
        widening: Vec::new(),
        cost: Default::default(),
    }
}

/// A replaced function takes its parts with it when it is deleted (its alias, policy
/// statements, mappings and URL: what queues behind it, `KindInfo::serial_with`): they are
/// replaced too, so that one apply leaves them in place.
fn replace_dependents(changes: &mut [Change]) {
    let replaced: Vec<(String, String)> = changes
        .iter()
        .filter(|c| c.kind == Kind::Function && c.action == Action::Replace)
        .map(|c| (c.name.clone(), c.address.clone()))
        .collect();
    for (function, address) in replaced {
        for c in changes.iter_mut().filter(|c| {
            c.kind != Kind::Function
                && matches!(c.action, Action::NoOp | Action::Update)
                && c.before.is_some()
        }) {
            let Some(resource) = c.after.as_ref().or(c.before.as_ref()) else {
                continue;
            };
            if (c.kind.info().serial_with)(resource).as_deref() == Some(function.as_str()) {
                c.action = Action::Replace;
                c.reason = Some(format!("replaced with {address}"));
            }
        }
    }
}

fn compare(want: &Resource, have: &Resource) -> Change {
    let replaced_by = want.kind.replaced_by();
    let mut diffs = Vec::new();
    // The live resource as the plan keeps it: a value that the spec takes from a
    // SecureString is kept as a fingerprint, never in clear (`ssm`).
    let mut have = have.clone();
    let paths: Vec<String> = want
        .attrs
        .keys()
        .chain(have.attrs.keys())
        .cloned()
        .collect::<std::collections::BTreeSet<_>>()
        .into_iter()
        .collect();
    for path in &paths {
        // Tags that no bulk read returns are written, not compared (`Kind::tags_compared`).
        if path.starts_with("tags.") && !want.kind.tags_compared() {
            continue;
        }
        // Null is "not set", the same as absent: one side may write it out, the other leave
        // it out, and a saved plan reads both back as absent.
        let after = want.attrs.get(path).filter(|v| !v.is_null());
        // A value only known after apply cannot be compared: it is not a change by itself.
        if after.is_some_and(is_unknown) {
            continue;
        }
        let secure = after
            .and_then(Value::as_str)
            .filter(|a| crate::engine::ssm::parse(a).is_some());
        if let Some(fingerprint) = secure {
            let live = have
                .attrs
                .get(path)
                .and_then(Value::as_str)
                .map(str::to_string);
            if live
                .as_deref()
                .is_some_and(|l| crate::engine::ssm::matches(fingerprint, l))
            {
                have.attrs.insert(path.clone(), Value::from(fingerprint));
                continue;
            }
            if let Some(live) = live {
                let kept = crate::engine::ssm::fingerprint("the live value", &live);
                have.attrs.insert(path.clone(), Value::from(kept));
            }
        }
        let before = have.attrs.get(path).filter(|v| !v.is_null());
        if after != before {
            diffs.push(FieldDiff {
                path: path.clone(),
                before: before.cloned(),
                after: after.cloned(),
                sensitive: secure.is_some() || sensitive(path, before, after),
                forces_replacement: replaced_by.contains(&path.as_str()),
            });
        }
    }
    let action = if diffs.is_empty() {
        Action::NoOp
    } else if diffs.iter().any(|d| d.forces_replacement) {
        Action::Replace
    } else {
        Action::Update
    };
    Change {
        address: want.address(),
        kind: want.kind,
        name: want.name.clone(),
        action,
        diffs,
        before: Some(have),
        after: Some(want.clone()),
        reason: None,
        data_loss: false,
    }
}

fn is_unknown(value: &Value) -> bool {
    value
        .as_str()
        .is_some_and(|s| s.contains(crate::engine::model::KNOWN_AFTER_APPLY))
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn function(memory: u32, env: &[(&str, &str)]) -> Resource {
        let mut r = Resource::new(Kind::Function, "api", "shop-dev-api")
            .with("memory", memory)
            .with("package_type", "Zip");
        for (k, v) in env {
            r = r.with(&format!("env.{k}"), *v);
        }
        r
    }

    fn state(resources: Vec<Resource>) -> State {
        let mut s = State::default();
        for r in resources {
            s.insert(r);
        }
        s
    }

    #[test]
    fn same_on_both_sides_is_no_change() {
        let p = plan(
            &state(vec![function(256, &[("A", "1")])]),
            &state(vec![function(256, &[("A", "1")])]),
        );
        assert!(!p.has_changes());
        assert_eq!(p.changes[0].action, Action::NoOp);
    }

    #[test]
    fn every_changed_field_is_listed_with_before_and_after() {
        let want = function(512, &[("A", "1"), ("NEW", "x"), ("DB_PASSWORD", "s2")]);
        let have = function(256, &[("A", "1"), ("OLD", "y"), ("DB_PASSWORD", "s1")]);
        let p = plan(&state(vec![want]), &state(vec![have]));
        let c = &p.changes[0];
        assert_eq!(c.action, Action::Update);
        let paths: Vec<(&str, Option<Value>, Option<Value>, bool)> = c
            .diffs
            .iter()
            .map(|d| {
                (
                    d.path.as_str(),
                    d.before.clone(),
                    d.after.clone(),
                    d.sensitive,
                )
            })
            .collect();
        assert_eq!(
            paths,
            vec![
                (
                    "env.DB_PASSWORD",
                    Some(json!("s1")),
                    Some(json!("s2")),
                    true
                ),
                ("env.NEW", None, Some(json!("x")), false),
                ("env.OLD", Some(json!("y")), None, false),
                ("memory", Some(json!(256)), Some(json!(512)), false),
            ]
        );
    }

    #[test]
    fn a_change_to_a_fixed_attribute_replaces() {
        let want = function(128, &[]).with("package_type", "Image");
        let p = plan(&state(vec![want]), &state(vec![function(128, &[])]));
        assert_eq!(p.changes[0].action, Action::Replace);
        assert!(
            p.changes[0]
                .diffs
                .iter()
                .any(|d| d.path == "package_type" && d.forces_replacement)
        );
    }

    #[test]
    fn live_only_is_deleted_and_desired_only_created_in_order() {
        let role = Resource::new(Kind::Role, "api", "shop-dev-api").with("path", "/slsr/shop/dev/");
        let queue = Resource::new(Kind::Queue, "old", "shop-dev-old").with("fifo", false);
        let p = plan(
            &state(vec![function(128, &[]), role]),
            &state(vec![queue.clone(), Resource::new(Kind::Rule, "api.1", "r")]),
        );
        let order: Vec<(&str, Action)> = p
            .changes
            .iter()
            .map(|c| (c.address.as_str(), c.action))
            .collect();
        assert_eq!(
            order,
            vec![
                ("role.api", Action::Create),
                ("function.api", Action::Create),
                ("rule.api.1", Action::Delete),
                ("queue.old", Action::Delete)
            ]
        );
        assert_eq!(
            p.summary(),
            Summary {
                add: 2,
                change: 0,
                replace: 0,
                destroy: 2,
                data_loss: 0
            }
        );
    }

    #[test]
    fn a_conflicting_address_is_neither_created_nor_deleted() {
        let mut live = state(vec![Resource::new(Kind::Rule, "api.1", "r")]);
        for address in ["function.api", "rule.api.1"] {
            live.conflicts.push(Conflict {
                address: address.into(),
                name: "theirs".into(),
                reason: "not slsr's".into(),
            });
        }
        let p = plan(&state(vec![function(128, &[])]), &live);
        assert!(p.changes.is_empty(), "{:?}", p.changes);
        assert_eq!(p.summary(), Summary::default());
        assert_eq!(p.conflicts.len(), 2);
    }

    #[test]
    fn values_known_only_after_apply_are_not_changes() {
        let want =
            function(128, &[]).with("function_version", crate::engine::model::KNOWN_AFTER_APPLY);
        let have = function(128, &[]).with("function_version", "7");
        assert!(!plan(&state(vec![want]), &state(vec![have])).has_changes());
    }
}
