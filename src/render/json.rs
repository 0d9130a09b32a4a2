//! The JSON plan: a versioned, documented format (docs/plan-format.md) for pipelines.

use serde_json::{Value, json};

use super::{Header, MASK};
use crate::engine::plan::{Action, Plan};

/// Bumped on any change a consumer could notice.
pub const FORMAT_VERSION: &str = "1";

pub fn json(plan: &Plan, header: &Header) -> String {
    let value = |v: &Option<Value>, sensitive: bool| match v {
        Some(_) if sensitive => Value::String(MASK.into()),
        Some(v) => v.clone(),
        None => Value::Null,
    };
    let changes: Vec<Value> = plan
        .changes
        .iter()
        .filter(|c| c.action != Action::NoOp)
        .map(|c| {
            let mut change = serde_json::Map::new();
            change.insert("address".into(), Value::from(c.address.as_str()));
            change.insert("kind".into(), Value::from(c.kind.as_str()));
            change.insert("name".into(), Value::from(c.name.as_str()));
            change.insert("action".into(), Value::from(c.action.as_str()));
            // docs/plan-format.md: `reason` is there only when there is one to give.
            if let Some(reason) = &c.reason {
                change.insert("reason".into(), Value::from(reason.as_str()));
            }
            change.insert("data_loss".into(), Value::from(c.data_loss));
            if let Some(cost) = plan.cost.changes.get(&c.address) {
                change.insert("cost".into(), super::cost::json_change(cost));
            }
            let diffs = c.diffs.iter().map(|d| {
                json!({
                    "path": d.path,
                    "before": value(&d.before, d.sensitive),
                    "after": value(&d.after, d.sensitive),
                    "sensitive": d.sensitive,
                    "forces_replacement": d.forces_replacement,
                })
            });
            change.insert("diffs".into(), Value::Array(diffs.collect()));
            Value::Object(change)
        })
        .collect();
    let s = plan.summary();
    let doc = json!({
        "format_version": FORMAT_VERSION,
        "service": header.service,
        "stage": header.stage,
        "account": header.account,
        "region": header.region,
        "changes": changes,
        "conflicts": plan.conflicts.iter().map(|c| json!({"address": c.address, "name": c.name, "reason": c.reason})).collect::<Vec<_>>(),
        "kept": plan.kept.iter().map(|k| json!({"address": k.address, "name": k.name, "reason": k.reason})).collect::<Vec<_>>(),
        "output_changes": plan.outputs.iter().map(|o| {
            let side = |v: &Option<String>| match v {
                Some(_) if o.sensitive => Value::from(MASK),
                Some(v) => Value::from(v.as_str()),
                None => Value::Null,
            };
            json!({"name": o.name, "action": o.action.as_str(), "before": side(&o.before), "after": side(&o.after), "sensitive": o.sensitive})
        }).collect::<Vec<_>>(),
        "cost": super::cost::json_summary(&plan.cost),
        "summary": {"add": s.add, "change": s.change, "replace": s.replace, "destroy": s.destroy, "data_loss": s.data_loss},
        "widening": super::widening::json(&plan.widening),
    });
    // serde_json escapes C0 control characters in strings; json_text takes DEL, C1 and the
    // direction marks, so the JSON is as safe to print on a terminal as the text plan.
    let mut text = crate::render::escape::json_text(
        serde_json::to_string_pretty(&doc).expect("a JSON value prints"),
    );
    text.push('\n');
    text
}
