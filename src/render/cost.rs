//! The plan's fixed monthly costs (`engine::cost`) in each format: the line under a change
//! that moves one, and the plan's own section (its total, what could not be priced, and on
//! what terms). Self-contained, so that each renderer calls in with one line.

use std::fmt::Write as _;

use serde_json::{Value, json};

use crate::engine::cost::{ChangeCost, Costs};
use crate::engine::prices::{self, cents, signed_usd};
use crate::render::escape::{markdown_code, markdown_text, printable};

/// `+$54.75/month (provisioned concurrency 5 × 1024 MB arm64)`.
pub fn change_line(cost: &ChangeCost) -> String {
    format!(
        "{}/month ({})",
        signed_usd(cost.monthly_usd_change()),
        printable(&cost.basis)
    )
}

/// What the totals are made of, said once under them.
fn terms(costs: &Costs) -> String {
    let t = prices::table();
    let region = printable(costs.region.as_deref().unwrap_or("(no region)"));
    match costs.priced_use {
        false => format!(
            "fixed costs only, at {} list prices in {region} as of {}, without the free tier; provisioned concurrency's requests and duration, on-demand capacity and data are billed by use and not included",
            t.currency, t.as_of
        ),
        true => format!(
            "fixed costs, and the requests and duration of functions whose memory or architecture changes at their last 30 days' use, at {} list prices in {region} as of {}, without the free tier; other use is not included",
            t.currency, t.as_of
        ),
    }
}

/// The text plan's section: `Monthly cost change: +$12.34`, then what was not priced.
pub fn text_section(costs: &Costs) -> String {
    let mut out = String::new();
    if costs.is_empty() {
        return out;
    }
    if !costs.changes.is_empty() {
        let _ = writeln!(
            out,
            "Monthly cost change: {}\n  ({})",
            signed_usd(costs.monthly_usd_change()),
            terms(costs)
        );
    }
    for u in &costs.unpriced {
        let _ = writeln!(
            out,
            "Not priced: {} ({})",
            printable(&u.address),
            printable(&u.reason)
        );
    }
    out
}

/// A change's `cost` object in the JSON plan.
pub fn json_change(cost: &ChangeCost) -> Value {
    let mut object = json!({
        "monthly_usd_before": cents(cost.monthly_usd_before),
        "monthly_usd_after": cents(cost.monthly_usd_after),
        "monthly_usd_change": cents(cost.monthly_usd_change()),
        "basis": cost.basis,
    });
    if let Some(used) = &cost.used {
        object["used"] = json!({
            "days": used.days,
            "invocations": used.invocations,
            "average_duration_ms": used.average_duration_ms,
        });
    }
    object
}

/// The JSON plan's top-level `cost`.
pub fn json_summary(costs: &Costs) -> Value {
    let t = prices::table();
    json!({
        "monthly_usd_change": cents(costs.monthly_usd_change()),
        "currency": t.currency,
        "prices_as_of": t.as_of,
        "region": costs.region,
        "priced_use": costs.priced_use,
        "unpriced": costs.unpriced.iter().map(|u| json!({"address": u.address, "reason": u.reason})).collect::<Vec<_>>(),
    })
}

/// An amount in Markdown: `$` escaped, so that two on a line never open GitHub's math.
fn money(amount: &str) -> String {
    amount.replace('$', "\\$")
}

/// The Markdown plan's section: the total, a row per change that moves a cost, and what
/// was not priced.
pub fn markdown_section(costs: &Costs) -> String {
    let mut out = String::new();
    if costs.is_empty() {
        return out;
    }
    if !costs.changes.is_empty() {
        let _ = writeln!(
            out,
            "\n**Monthly cost change: {}**\n\n| resource | before | after | change | basis |\n|---|---|---|---|---|",
            money(&signed_usd(costs.monthly_usd_change()))
        );
        for (address, c) in &costs.changes {
            let _ = writeln!(
                out,
                "| {} | {} | {} | {} | {} |",
                markdown_code(address),
                money(&format!("${:.2}", cents(c.monthly_usd_before))),
                money(&format!("${:.2}", cents(c.monthly_usd_after))),
                money(&signed_usd(c.monthly_usd_change())),
                markdown_text(&c.basis)
            );
        }
        let _ = writeln!(out, "\n_{}_", markdown_text(&terms(costs)));
    }
    for u in &costs.unpriced {
        let _ = writeln!(
            out,
            "\n> **Not priced** {}: {}",
            markdown_code(&u.address),
            markdown_text(&u.reason)
        );
    }
    out
}
