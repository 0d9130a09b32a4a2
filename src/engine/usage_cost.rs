//! `plan --cost`: what a change of a function's memory or architecture does to its bill for
//! requests and duration, priced from its last 30 days of use (CloudWatch's Invocations and
//! Duration, `aws::read::usage`) at the price table's rates, before and after. The same
//! invocations at the same average duration are assumed on both sides: more memory often
//! makes a function faster, and the plan cannot know by how much, so it says so.
//!
//! Pure: the usage is read by `make` and handed in.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::aws::read::usage::{Usage, WINDOW_DAYS};
use crate::engine::cost::{ChangeCost, Costs, Unpriced};
use crate::engine::model::{Kind, Resource};
use crate::engine::plan::{Action, Plan};
use crate::engine::prices::{self, Table};
use crate::kinds::function;

/// The use a change was priced at.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct UsedBasis {
    pub days: i64,
    pub invocations: u64,
    pub average_duration_ms: f64,
}

/// A function's memory and architecture, on one side of its change.
fn sizing(r: &Resource) -> (u64, String) {
    let memory = r
        .attrs
        .get(function::MEMORY)
        .and_then(Value::as_u64)
        .unwrap_or(function::DEFAULT_MEMORY.into());
    let arch = r
        .attrs
        .get(function::ARCHITECTURE)
        .and_then(Value::as_str)
        .unwrap_or(function::DEFAULT_ARCHITECTURE)
        .to_string();
    (memory, arch)
}

/// The functions whose updates change their memory or architecture: their physical names,
/// the usage to read.
pub fn resized(plan: &Plan) -> Vec<String> {
    plan.changes
        .iter()
        .filter(|c| c.kind == Kind::Function && c.action == Action::Update)
        .filter_map(|c| match (&c.before, &c.after) {
            (Some(b), Some(a)) if sizing(b) != sizing(a) => Some(a.name.clone()),
            _ => None,
        })
        .collect()
}

/// Adds each resized function's priced use to `costs`, by the function's address (beside a
/// fixed cost already there: its provisioned concurrency's).
pub fn add(costs: &mut Costs, plan: &Plan, usage: &BTreeMap<String, Usage>) {
    add_with(prices::table(), costs, plan, usage)
}

fn add_with(t: &Table, costs: &mut Costs, plan: &Plan, usage: &BTreeMap<String, Usage>) {
    costs.priced_use = true;
    let region = costs.region.clone();
    for change in &plan.changes {
        let (Some(before), Some(after)) = (&change.before, &change.after) else {
            continue;
        };
        if change.kind != Kind::Function || change.action != Action::Update {
            continue;
        }
        let (Some(used), (memory_before, arch_before), (memory_after, arch_after)) =
            (usage.get(&after.name), sizing(before), sizing(after))
        else {
            continue;
        };
        if (memory_before, &arch_before) == (memory_after, &arch_after) {
            continue;
        }
        let invocations = used.invocations.round().max(0.0) as u64;
        let average_ms = match invocations {
            0 => 0.0,
            n => used.duration_ms / n as f64,
        };
        let priced = |memory, arch: &str| {
            region
                .as_deref()
                .and_then(|r| t.monthly_compute_cost(invocations, average_ms, memory, arch, r))
        };
        let (Some(usd_before), Some(usd_after)) = (
            priced(memory_before, &arch_before),
            priced(memory_after, &arch_after),
        ) else {
            costs.unpriced.push(Unpriced {
                address: change.address.clone(),
                reason: match &region {
                    Some(region) => format!("slsr's price table has no prices for {region}"),
                    None => "no region is known to price it in".into(),
                },
            });
            continue;
        };
        let basis = format!(
            "requests and duration at the last {WINDOW_DAYS} days' use ({invocations} invocations averaging {average_ms:.0} ms, assumed unchanged), {memory_after} MB {arch_after}, was {memory_before} MB {arch_before}"
        );
        let entry = costs
            .changes
            .entry(change.address.clone())
            .or_insert(ChangeCost {
                monthly_usd_before: 0.0,
                monthly_usd_after: 0.0,
                basis: String::new(),
                used: None,
            });
        entry.monthly_usd_before += usd_before;
        entry.monthly_usd_after += usd_after;
        entry.basis = match entry.basis.is_empty() {
            true => basis,
            false => format!("{}; {basis}", entry.basis),
        };
        entry.used = Some(UsedBasis {
            days: WINDOW_DAYS,
            invocations,
            average_duration_ms: (average_ms * 10.0).round() / 10.0,
        });
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::engine::model::State;
    use crate::engine::plan::plan;

    fn function(memory: u64, arch: &str) -> Resource {
        let mut r = Resource::new(Kind::Function, "api", "orders-dev-api");
        r.attrs.insert(function::MEMORY.into(), memory.into());
        r.attrs
            .insert(function::ARCHITECTURE.into(), Value::from(arch.to_string()));
        r
    }

    fn resize(before: Resource, after: Resource) -> Plan {
        let mut live = State::default();
        live.insert(before);
        let mut desired = State::default();
        desired.insert(after);
        plan(&desired, &live)
    }

    #[test]
    fn a_memory_change_is_priced_at_the_last_30_days_use() {
        let p = resize(function(512, "x86_64"), function(1024, "x86_64"));
        assert_eq!(resized(&p), ["orders-dev-api"]);
        let usage = BTreeMap::from([(
            "orders-dev-api".to_string(),
            Usage {
                invocations: 3_000_000.0,
                duration_ms: 3_000_000.0 * 120.0,
            },
        )]);
        let mut costs = Costs {
            region: Some("us-east-1".into()),
            ..Costs::default()
        };
        add(&mut costs, &p, &usage);
        let cost = &costs.changes["function.api"];
        // By hand: 3M requests at $0.20 a million = $0.60; 3M × 0.12 s = 360,000 s, at
        // 0.5 GB = 180,000 GB-s × $0.0000166667 = $3.000006, at 1 GB twice that.
        assert!(
            (cost.monthly_usd_before - (0.60 + 3.000006)).abs() < 1e-6,
            "{cost:?}"
        );
        assert!(
            (cost.monthly_usd_after - (0.60 + 6.000012)).abs() < 1e-6,
            "{cost:?}"
        );
        assert_eq!(
            cost.basis,
            "requests and duration at the last 30 days' use (3000000 invocations averaging 120 ms, assumed unchanged), 1024 MB x86_64, was 512 MB x86_64"
        );
        assert!(costs.priced_use);
    }

    #[test]
    fn a_move_to_arm_is_priced_at_arms_rate_and_an_unchanged_size_is_not_priced() {
        let usage = BTreeMap::from([(
            "orders-dev-api".to_string(),
            Usage {
                invocations: 1_000_000.0,
                duration_ms: 1_000_000.0 * 1000.0,
            },
        )]);
        let p = resize(function(1024, "x86_64"), function(1024, "arm64"));
        let mut costs = Costs {
            region: Some("us-east-1".into()),
            ..Costs::default()
        };
        add(&mut costs, &p, &usage);
        let cost = &costs.changes["function.api"];
        // 1M × 1 s × 1 GB = 1,000,000 GB-s: $16.6667 on x86, $13.3334 on arm; $0.20 requests.
        assert!((cost.monthly_usd_before - 16.8667).abs() < 1e-4, "{cost:?}");
        assert!((cost.monthly_usd_after - 13.5334).abs() < 1e-4, "{cost:?}");

        let same = resize(function(1024, "arm64"), function(1024, "arm64"));
        assert!(resized(&same).is_empty());
    }

    #[test]
    fn a_region_without_prices_is_unpriced() {
        let p = resize(function(512, "x86_64"), function(1024, "x86_64"));
        let usage = BTreeMap::from([("orders-dev-api".to_string(), Usage::default())]);
        let mut costs = Costs {
            region: Some("sa-east-1".into()),
            ..Costs::default()
        };
        add(&mut costs, &p, &usage);
        assert!(costs.changes.is_empty());
        assert_eq!(costs.unpriced[0].address, "function.api");
    }
}
