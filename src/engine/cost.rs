//! What a plan does to the account's fixed monthly bill: for each change, what its resource
//! costs every month before and after, from the price table (`engine::prices`), and the
//! plan's total. Fixed costs are those billed by the hour whatever the traffic: a function's
//! provisioned concurrency (its `live` alias, at the function's memory and architecture), a
//! table's provisioned capacity (with its indexes'), a stream's shards or on-demand hours.
//! Everything billed by use (requests, duration, storage, data) is left out.
//!
//! Pure: a function of the plan and the region. Offline the live side is empty, so every
//! change is a create and is priced as one. A region the table lacks prices nothing: each
//! change that would have a cost is listed as unpriced, never given a guessed number.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::engine::model::{Kind, Resource};
use crate::engine::plan::{Action, Change, Plan};
use crate::engine::prices::{self, Table};
use crate::kinds::{alias, function, stream, table};

/// One change's fixed monthly cost, before and after it.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ChangeCost {
    pub monthly_usd_before: f64,
    pub monthly_usd_after: f64,
    /// What is priced: `provisioned concurrency 5 × 1024 MB arm64`, with `, was ...` when
    /// it changes.
    pub basis: String,
    /// With `plan --cost`, the use a change of memory or architecture was priced at
    /// (`engine::usage_cost`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub used: Option<crate::engine::usage_cost::UsedBasis>,
}

impl ChangeCost {
    pub fn monthly_usd_change(&self) -> f64 {
        self.monthly_usd_after - self.monthly_usd_before
    }
}

/// A change that has a fixed cost slsr could not price.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Unpriced {
    pub address: String,
    pub reason: String,
}

/// The plan's fixed monthly costs: by the address of the change that moves each.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct Costs {
    pub changes: BTreeMap<String, ChangeCost>,
    pub unpriced: Vec<Unpriced>,
    /// The region priced (`None`: none was known).
    pub region: Option<String>,
    /// `plan --cost`: functions' use was read and priced too, not only fixed costs.
    #[serde(default)]
    pub priced_use: bool,
}

impl Costs {
    /// The sum of every change's difference.
    pub fn monthly_usd_change(&self) -> f64 {
        self.changes
            .values()
            .map(ChangeCost::monthly_usd_change)
            .sum()
    }

    /// Whether the plan has anything to say about cost: a change that moves one, or one
    /// that could not be priced.
    pub fn is_empty(&self) -> bool {
        self.changes.is_empty() && self.unpriced.is_empty()
    }
}

/// What a resource costs every month whatever its use, as a quantity to price.
#[derive(Clone, Debug, PartialEq)]
enum Fixed {
    Concurrency {
        concurrency: u64,
        memory_mb: u64,
        arch: String,
    },
    Capacity {
        read: u64,
        write: u64,
        indexes: u64,
    },
    Shards(u64),
    OnDemandStream,
}

impl Fixed {
    fn describe(&self) -> String {
        match self {
            Fixed::Concurrency {
                concurrency,
                memory_mb,
                arch,
            } => format!("provisioned concurrency {concurrency} × {memory_mb} MB {arch}"),
            Fixed::Capacity {
                read,
                write,
                indexes,
            } => {
                let with = match indexes {
                    0 => String::new(),
                    1 => ", for the table and its index".into(),
                    n => format!(", for the table and each of its {n} indexes"),
                };
                format!("provisioned capacity {read} RCU + {write} WCU{with}")
            }
            Fixed::Shards(n) => format!("{n} shard{}, provisioned", if *n == 1 { "" } else { "s" }),
            Fixed::OnDemandStream => "on-demand stream".into(),
        }
    }

    fn monthly(&self, t: &Table, region: &str) -> Option<f64> {
        match self {
            Fixed::Concurrency {
                concurrency,
                memory_mb,
                arch,
            } => t.provisioned_concurrency_monthly(*concurrency, *memory_mb, arch, region),
            Fixed::Capacity {
                read,
                write,
                indexes,
            } => t.table_monthly(*read, *write, *indexes, region),
            Fixed::Shards(n) => t.provisioned_stream_monthly(*n, region),
            Fixed::OnDemandStream => t.on_demand_stream_monthly(region),
        }
    }
}

/// Which side of a change a resource is on.
#[derive(Clone, Copy)]
enum Side {
    Before,
    After,
}

fn side(change: &Change, side: Side) -> Option<&Resource> {
    match side {
        Side::Before => change.before.as_ref(),
        Side::After => change.after.as_ref(),
    }
}

fn number(r: &Resource, attr: &str) -> Option<u64> {
    r.attrs.get(attr).and_then(Value::as_u64)
}

/// The fixed cost of one side of a change, if its resource has one. An alias's provisioned
/// concurrency takes its function's memory and architecture from the same side of the
/// function's change.
fn fixed(change: &Change, on: Side, plan: &Plan) -> Option<Fixed> {
    let r = side(change, on)?;
    match r.kind {
        Kind::Alias => {
            let concurrency = number(r, alias::PROVISIONED_CONCURRENCY).filter(|n| *n > 0)?;
            let f = plan
                .changes
                .iter()
                .find(|c| c.kind == Kind::Function && c.address == format!("function.{}", r.key))
                .and_then(|c| side(c, on).or(c.after.as_ref()).or(c.before.as_ref()));
            let memory_mb = f
                .and_then(|f| number(f, function::MEMORY))
                .unwrap_or(function::DEFAULT_MEMORY.into());
            let arch = f
                .and_then(|f| f.attrs.get(function::ARCHITECTURE))
                .and_then(Value::as_str)
                .unwrap_or(function::DEFAULT_ARCHITECTURE)
                .to_string();
            Some(Fixed::Concurrency {
                concurrency,
                memory_mb,
                arch,
            })
        }
        Kind::Table => {
            let billing = r.attrs.get(table::BILLING)?;
            let (read, write) = (billing["read"].as_u64()?, billing["write"].as_u64()?);
            let prefix = format!("{}.", table::INDEX);
            let indexes = r.attrs.keys().filter(|k| k.starts_with(&prefix)).count() as u64;
            Some(Fixed::Capacity {
                read,
                write,
                indexes,
            })
        }
        Kind::Stream => match r.attrs.get(stream::MODE).and_then(Value::as_str) {
            Some(stream::ON_DEMAND) => Some(Fixed::OnDemandStream),
            _ => Some(Fixed::Shards(number(r, stream::SHARDS).unwrap_or(1))),
        },
        _ => None,
    }
}

/// The plan's fixed monthly costs in `region`, from slsr's price table.
pub fn price(plan: &Plan, region: Option<&str>) -> Costs {
    price_with(prices::table(), plan, region)
}

fn price_with(t: &Table, plan: &Plan, region: Option<&str>) -> Costs {
    let mut costs = Costs {
        region: region.map(str::to_string),
        ..Costs::default()
    };
    for change in &plan.changes {
        let (before, after) = (
            fixed(change, Side::Before, plan),
            fixed(change, Side::After, plan),
        );
        if before.is_none() && after.is_none() || before == after {
            continue;
        }
        let priced = |f: &Option<Fixed>| match (f, region) {
            (None, _) => Some(0.0),
            (Some(f), Some(region)) => f.monthly(t, region),
            (Some(_), None) => None,
        };
        let (Some(usd_before), Some(usd_after)) = (priced(&before), priced(&after)) else {
            costs.unpriced.push(Unpriced {
                address: change.address.clone(),
                reason: match region {
                    Some(region) => format!("slsr's price table has no prices for {region}"),
                    None => "no region is known to price it in".into(),
                },
            });
            continue;
        };
        let basis = match (&before, &after) {
            (Some(b), Some(a)) => format!("{}, was {}", a.describe(), b.describe()),
            (Some(b), None) if change.action == Action::Delete => b.describe(),
            (Some(b), None) => format!("none, was {}", b.describe()),
            (None, Some(a)) => a.describe(),
            (None, None) => continue,
        };
        // An alias that stays as it is while its function's memory or architecture changes:
        // the change that moves its cost is the function's.
        let address = match change.action {
            Action::NoOp => format!("function.{}", change.after.as_ref().map_or("", |r| &r.key)),
            _ => change.address.clone(),
        };
        let basis = if address != change.address {
            format!("{}: {basis}", change.address)
        } else {
            basis
        };
        costs.changes.insert(
            address,
            ChangeCost {
                monthly_usd_before: usd_before,
                monthly_usd_after: usd_after,
                basis,
                used: None,
            },
        );
    }
    costs
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::engine::model::State;
    use serde_json::json;

    fn function(memory: u32, arch: &str) -> Resource {
        Resource::new(Kind::Function, "api", "shop-dev-api")
            .with(function::MEMORY, memory)
            .with(function::ARCHITECTURE, arch)
    }

    fn alias_with(n: u32) -> Resource {
        Resource::new(Kind::Alias, "api", "shop-dev-api:live")
            .with(alias::PROVISIONED_CONCURRENCY, n)
            .with(alias::FUNCTION_VERSION, "1")
    }

    fn state(resources: Vec<Resource>) -> State {
        let mut s = State::default();
        for r in resources {
            s.insert(r);
        }
        s
    }

    fn planned(desired: Vec<Resource>, live: Vec<Resource>) -> Plan {
        crate::engine::plan::plan(&state(desired), &state(live))
    }

    const MONTH: f64 = 730.0 * 3600.0;

    #[test]
    fn a_new_alias_costs_its_concurrency_at_its_functions_memory_and_architecture() {
        let plan = planned(vec![function(1024, "arm64"), alias_with(5)], vec![]);
        let costs = price(&plan, Some("us-east-1"));
        let c = &costs.changes["alias.api"];
        assert_eq!(c.monthly_usd_before, 0.0);
        assert!((c.monthly_usd_after - 5.0 * MONTH * 0.0000033334).abs() < 1e-9);
        assert_eq!(c.basis, "provisioned concurrency 5 × 1024 MB arm64");
        assert_eq!(
            costs.changes.len(),
            1,
            "a function alone costs nothing fixed"
        );
    }

    #[test]
    fn a_memory_change_moves_the_unchanged_aliass_cost_onto_the_function() {
        let plan = planned(
            vec![function(2048, "x86_64"), alias_with(2)],
            vec![function(1024, "x86_64"), alias_with(2)],
        );
        let costs = price(&plan, Some("us-east-1"));
        let c = &costs.changes["function.api"];
        assert!((c.monthly_usd_change() - 2.0 * MONTH * 0.0000041667).abs() < 1e-9);
        assert_eq!(
            c.basis,
            "alias.api: provisioned concurrency 2 × 2048 MB x86_64, was provisioned concurrency 2 × 1024 MB x86_64"
        );
    }

    #[test]
    fn a_deletion_takes_its_cost_off_and_an_update_costs_the_difference() {
        let t = |billing: Value| {
            Resource::new(Kind::Table, "orders", "shop-dev-orders")
                .with(table::BILLING, billing)
                .with(
                    "index.by_day",
                    json!({"partition": "day (string)", "projection": "all"}),
                )
        };
        let plan = planned(
            vec![t(json!({"read": 10, "write": 4}))],
            vec![t(json!({"read": 5, "write": 4}))],
        );
        let costs = price(&plan, Some("us-east-1"));
        let c = &costs.changes["table.orders"];
        // Five more RCU, on the table and its index: 5 × $0.00013 × 2 × 730.
        assert!((c.monthly_usd_change() - 5.0 * 0.00013 * 2.0 * 730.0).abs() < 1e-9);
        assert_eq!(
            c.basis,
            "provisioned capacity 10 RCU + 4 WCU, for the table and its index, was provisioned capacity 5 RCU + 4 WCU, for the table and its index"
        );

        let s = Resource::new(Kind::Stream, "events", "shop-dev-events")
            .with(stream::MODE, stream::PROVISIONED)
            .with(stream::SHARDS, 2);
        let plan = planned(vec![], vec![s]);
        let c = &price(&plan, Some("us-east-1")).changes["stream.events"];
        assert!((c.monthly_usd_change() + 2.0 * 0.015 * 730.0).abs() < 1e-9);
        assert_eq!(c.basis, "2 shards, provisioned");
    }

    #[test]
    fn on_demand_tables_cost_nothing_fixed_and_switching_to_on_demand_saves_it_all() {
        let t = |billing: Value| {
            Resource::new(Kind::Table, "orders", "shop-dev-orders").with(table::BILLING, billing)
        };
        let plan = planned(vec![t(json!(table::ON_DEMAND))], vec![]);
        assert!(price(&plan, Some("us-east-1")).is_empty());
        let plan = planned(
            vec![t(json!(table::ON_DEMAND))],
            vec![t(json!({"read": 1, "write": 1}))],
        );
        let c = &price(&plan, Some("us-east-1")).changes["table.orders"];
        assert!((c.monthly_usd_after, c.monthly_usd_before) == (0.0, (0.00013 + 0.00065) * 730.0));
        assert_eq!(c.basis, "none, was provisioned capacity 1 RCU + 1 WCU");
    }

    #[test]
    fn a_region_without_prices_lists_what_it_could_not_price() {
        let s = Resource::new(Kind::Stream, "events", "shop-dev-events")
            .with(stream::MODE, stream::ON_DEMAND);
        let plan = planned(vec![s, function(128, "x86_64")], vec![]);
        let costs = price(&plan, Some("mars-north-1"));
        assert!(costs.changes.is_empty());
        assert_eq!(
            costs.unpriced,
            vec![Unpriced {
                address: "stream.events".into(),
                reason: "slsr's price table has no prices for mars-north-1".into(),
            }]
        );
        assert!(!price(&plan, None).unpriced.is_empty());
    }
}
