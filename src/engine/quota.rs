//! The quota preflight: whether the account's Lambda limits (one GetAccountSettings a
//! plan) leave room for what the plan would do, so that a deploy is refused at plan time
//! rather than failing half-way through apply.
//!
//! - Concurrency: AWS refuses a reserved concurrency that would leave fewer than 100
//!   unreserved concurrent executions in the account. After the plan, the unreserved pool is
//!   today's (`UnreservedConcurrentExecutions`) plus what the plan's functions stop reserving
//!   (lowered, removed, deleted) minus what they start reserving.
//! - Code storage: the zips the plan uploads (a new function's, a changed code's) must fit in
//!   what is left (`AccountLimit.TotalCodeSize` minus `AccountUsage.TotalCodeSize`), net of
//!   what the plan frees. A deleted or replaced function frees its current package (its
//!   published versions go too, but their sizes are not read, so they are not counted). A
//!   function's new code frees its old package only when no published version keeps it:
//!   slsr publishes versions only for a function's `live` alias (provisioned concurrency),
//!   so a function with that alias on either side keeps its old code, and one without is
//!   taken to have no published versions. Publishing a version is not counted as new
//!   storage. Container images are stored in ECR, not here. It warns when the account would
//!   be at 80% of its code storage or more after an upload.
//!
//! Pure: a function of the plan and the account's settings.

use serde_json::Value;

use crate::engine::model::{Kind, Resource};
use crate::engine::plan::{Action, Change, Plan};
use crate::kinds::function;

/// AWS keeps at least this many concurrent executions unreserved in every account.
pub const MIN_UNRESERVED: i64 = 100;
/// The share of code storage, in percent, from which the plan warns.
pub const WARN_PERCENT: i64 = 80;

/// What GetAccountSettings answers that the preflight needs.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct AccountSettings {
    pub concurrent_executions: i64,
    pub unreserved_concurrent_executions: i64,
    /// Bytes the account may store (`AccountLimit.TotalCodeSize`).
    pub code_storage_limit: i64,
    /// Bytes it stores (`AccountUsage.TotalCodeSize`).
    pub code_storage_used: i64,
}

/// What the preflight found: refusals (the plan fails) and warnings (it goes on).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Findings {
    pub refusals: Vec<String>,
    pub warnings: Vec<String>,
}

fn reserved(r: Option<&Resource>) -> i64 {
    r.and_then(|r| r.attrs.get(function::RESERVED_CONCURRENCY))
        .and_then(Value::as_i64)
        .unwrap_or(0)
}

fn code_size(r: Option<&Resource>) -> i64 {
    r.and_then(|r| r.attrs.get(function::CODE_SIZE))
        .and_then(Value::as_i64)
        .unwrap_or(0)
}

fn is_zip(r: Option<&Resource>) -> bool {
    r.and_then(|r| r.attrs.get(function::PACKAGE_TYPE))
        .and_then(Value::as_str)
        .is_none_or(|t| t == "Zip")
}

fn functions(plan: &Plan) -> impl Iterator<Item = &Change> {
    plan.changes
        .iter()
        .filter(|c| c.kind == Kind::Function && c.action != Action::NoOp)
}

/// `function.api (shop-dev-api)`.
fn named(c: &Change) -> String {
    format!("{} ({})", c.address, c.name)
}

/// The error of a plan the quotas refuse: each refusal on its own line.
pub fn refusal_message(refusals: &[String]) -> String {
    let lines: Vec<String> = refusals.iter().map(|r| format!("  {r}")).collect();
    format!(
        "the account's Lambda quotas would refuse this plan part-way, so slsr makes none:\n{}",
        lines.join("\n")
    )
}

pub fn check(plan: &Plan, account: &AccountSettings) -> Findings {
    let mut findings = Findings::default();
    concurrency(plan, account, &mut findings);
    code_storage(plan, account, &mut findings);
    findings
}

fn concurrency(plan: &Plan, account: &AccountSettings, findings: &mut Findings) {
    // An answer without its limits (none from AWS; an emulator's) checks nothing.
    if account.concurrent_executions <= 0 {
        return;
    }
    let delta: i64 = functions(plan)
        .map(|c| reserved(c.after.as_ref()) - reserved(c.before.as_ref()))
        .sum();
    let left = account
        .unreserved_concurrent_executions
        .saturating_sub(delta);
    if delta <= 0 || left >= MIN_UNRESERVED {
        return;
    }
    let growing: Vec<String> = functions(plan)
        .filter(|c| reserved(c.after.as_ref()) > reserved(c.before.as_ref()))
        .map(|c| {
            let was = match reserved(c.before.as_ref()) {
                0 => String::new(),
                n => format!(", was {n}"),
            };
            format!("{} reserves {}{was}", named(c), reserved(c.after.as_ref()))
        })
        .collect();
    findings.refusals.push(format!(
        "the reserved concurrency of this plan would leave {left} unreserved concurrent executions in the account, and AWS keeps at least {MIN_UNRESERVED}: {}. The account has {} unreserved of {} now; lower reserved_concurrency, or ask AWS for a higher concurrency quota",
        growing.join("; "),
        account.unreserved_concurrent_executions,
        account.concurrent_executions,
    ));
}

fn code_storage(plan: &Plan, account: &AccountSettings, findings: &mut Findings) {
    if account.code_storage_limit <= 0 {
        return;
    }
    let mut uploads: Vec<(String, i64)> = Vec::new();
    let mut freed = 0;
    for c in functions(plan) {
        let (before, after) = (c.before.as_ref(), c.after.as_ref());
        let new_code = match c.action {
            Action::Create | Action::Replace => true,
            Action::Update => c
                .diffs
                .iter()
                .any(|d| d.path == function::CODE_SHA256 || d.path == function::CODE_SIZE),
            _ => false,
        };
        if new_code && is_zip(after) && code_size(after) > 0 {
            uploads.push((named(c), code_size(after)));
        }
        let frees = match c.action {
            Action::Delete | Action::Replace => true,
            Action::Update => new_code && !keeps_versions(plan, c),
            _ => false,
        };
        if frees && is_zip(before) {
            freed += code_size(before);
        }
    }
    let upload: i64 = uploads.iter().map(|(_, n)| n).sum();
    if upload == 0 {
        return;
    }
    // Saturating: the numbers are AWS's, and none of them should stop a plan with a panic.
    let room = account
        .code_storage_limit
        .saturating_sub(account.code_storage_used);
    let used_after = account
        .code_storage_used
        .saturating_add(upload)
        .saturating_sub(freed);
    let listed: Vec<String> = uploads
        .iter()
        .map(|(name, n)| format!("{name} {}", size(*n)))
        .collect();
    let freeing = match freed {
        0 => String::new(),
        n => format!(", less {} the plan frees", size(n)),
    };
    if upload - freed > room {
        findings.refusals.push(format!(
            "the code this plan uploads would pass the account's Lambda code storage: {} to upload ({}){freeing}, and {} is left ({} used of {}). Delete old function versions or layers, or ask AWS for more code storage",
            size(upload),
            listed.join(", "),
            size(room.max(0)),
            size(account.code_storage_used),
            size(account.code_storage_limit),
        ));
    } else if i128::from(used_after) * 100
        >= i128::from(account.code_storage_limit) * i128::from(WARN_PERCENT)
    {
        findings.warnings.push(format!(
            "after this plan the account's Lambda code storage would be {:.0}% full: {} used of {} ({} to upload: {}{freeing})",
            100.0 * used_after as f64 / account.code_storage_limit as f64,
            size(used_after),
            size(account.code_storage_limit),
            size(upload),
            listed.join(", "),
        ));
    }
}

/// Whether a function keeps published versions of its code: slsr publishes them only for
/// its `live` alias, so it does when the alias is there before or after the plan.
fn keeps_versions(plan: &Plan, function_change: &Change) -> bool {
    let key = function_change.address.trim_start_matches("function.");
    plan.changes.iter().any(|c| {
        c.kind == Kind::Alias
            && (c.before.as_ref().is_some_and(|r| r.key == key)
                || c.after.as_ref().is_some_and(|r| r.key == key))
    })
}

/// Bytes as `2.1 KB` or `75.0 GB`, exact below a kilobyte.
fn size(bytes: i64) -> String {
    const GB: u64 = 1024 * 1024 * 1024;
    match bytes.unsigned_abs() {
        b if b >= GB => format!("{:.1} GB", b as f64 / GB as f64),
        b => crate::package::human_size(b),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::engine::model::State;

    fn f(name: &str, reserved: Option<i64>, code: i64, sha: &str) -> Resource {
        let mut r = Resource::new(Kind::Function, name, format!("shop-dev-{name}"))
            .with(function::PACKAGE_TYPE, "Zip")
            .with(function::CODE_SIZE, code)
            .with(function::CODE_SHA256, sha);
        if let Some(n) = reserved {
            r = r.with(function::RESERVED_CONCURRENCY, n);
        }
        r
    }

    fn plan(desired: Vec<Resource>, live: Vec<Resource>) -> Plan {
        let state = |rs: Vec<Resource>| {
            let mut s = State::default();
            rs.into_iter().for_each(|r| s.insert(r));
            s
        };
        crate::engine::plan::plan(&state(desired), &state(live))
    }

    fn account(unreserved: i64, limit: i64, used: i64) -> AccountSettings {
        AccountSettings {
            concurrent_executions: 1000,
            unreserved_concurrent_executions: unreserved,
            code_storage_limit: limit,
            code_storage_used: used,
        }
    }

    #[test]
    fn reserved_concurrency_may_leave_100_unreserved_but_not_99() {
        let p = plan(
            vec![f("a", Some(50), 1, "x"), f("b", Some(51), 1, "x")],
            vec![],
        );
        let refused = check(&p, &account(200, i64::MAX, 0)).refusals;
        assert_eq!(refused.len(), 1);
        assert!(
            refused[0].contains("would leave 99 unreserved"),
            "{}",
            refused[0]
        );
        assert!(refused[0].contains("function.a (shop-dev-a) reserves 50"));
        assert!(refused[0].contains("function.b (shop-dev-b) reserves 51"));
        assert!(check(&p, &account(201, i64::MAX, 0)).refusals.is_empty());
    }

    #[test]
    fn what_a_plan_stops_reserving_returns_to_the_pool() {
        // b goes from 300 to 100 and a is deleted with its 50: 250 more unreserved, so c's
        // 340 leaves 110 of today's 200.
        let p = plan(
            vec![f("b", Some(100), 1, "x"), f("c", Some(340), 1, "x")],
            vec![f("a", Some(50), 1, "x"), f("b", Some(300), 1, "x")],
        );
        assert!(check(&p, &account(200, i64::MAX, 0)).refusals.is_empty());
        let p = plan(
            vec![f("c", Some(341), 1, "x")],
            vec![f("b", Some(240), 1, "x")],
        );
        let refused = check(&p, &account(200, i64::MAX, 0)).refusals;
        assert!(refused[0].contains("would leave 99"), "{refused:?}");
        assert!(refused[0].contains("function.c"), "{refused:?}");
        assert!(!refused[0].contains("function.b"), "{refused:?}");
    }

    #[test]
    fn uploads_must_fit_in_what_is_left_and_warn_past_80_percent() {
        let p = plan(vec![f("a", None, 300, "new")], vec![]);
        let refused = check(&p, &account(1000, 1000, 701)).refusals;
        assert!(
            refused[0].contains("300 B to upload (function.a (shop-dev-a) 300 B)"),
            "{refused:?}"
        );
        assert!(
            refused[0].contains("299 B is left (701 B used of 1000 B)"),
            "{refused:?}"
        );
        let fine = check(&p, &account(1000, 1000, 700));
        assert!(fine.refusals.is_empty());
        assert!(fine.warnings[0].contains("100% full"), "{fine:?}");
        let low = check(&p, &account(1000, 1000, 499));
        assert!(low.warnings.is_empty(), "{low:?}");
        let at_80 = check(&p, &account(1000, 1000, 500));
        assert!(
            at_80.warnings[0].contains("80% full: 800 B used of 1000 B"),
            "{at_80:?}"
        );
    }

    #[test]
    fn new_code_frees_the_old_only_without_published_versions() {
        let p = plan(
            vec![f("a", None, 300, "new")],
            vec![f("a", None, 250, "old")],
        );
        // 300 in, 250 out: 50 more, and 60 are left.
        assert!(check(&p, &account(1000, 1000, 940)).refusals.is_empty());
        let alias = Resource::new(Kind::Alias, "a", "shop-dev-a:live")
            .with(crate::kinds::alias::PROVISIONED_CONCURRENCY, 1);
        let p = plan(
            vec![f("a", None, 300, "new"), alias.clone()],
            vec![f("a", None, 250, "old"), alias],
        );
        let refused = check(&p, &account(1000, 1000, 940)).refusals;
        assert!(refused[0].contains("300 B to upload"), "{refused:?}");
        // Unchanged code uploads nothing.
        let p = plan(
            vec![f("a", Some(5), 300, "x")],
            vec![f("a", None, 300, "x")],
        );
        assert_eq!(check(&p, &account(1000, 1000, 1000)), Findings::default());
        // An answer without limits refuses nothing.
        let p = plan(vec![f("a", Some(500), 300, "new")], vec![]);
        let none = AccountSettings {
            concurrent_executions: 0,
            unreserved_concurrent_executions: 0,
            code_storage_limit: 0,
            code_storage_used: 0,
        };
        assert_eq!(check(&p, &none), Findings::default());
    }
}
