//! Handing resources that hold data over, without losing a row: `slsr release ADDRESS`
//! removes slsr's ownership tags from a table or bucket (slsr then never changes or
//! deletes it), and `slsr adopt ADDRESS` adds them to one of the spec's name that slsr
//! did not make, after showing what the next apply would change in it.
//!
//! Both make one change, a tag change, through the kind's own writer and apply's ownership
//! check; both hold the deploy lock like apply.

use std::collections::BTreeMap;
use std::io::Write;
use std::process::ExitCode;

use serde_json::Value;

use super::HandoverArgs;
use super::commands::{Ask, confirm, connection, fail, load_project, locked, plan_failed};
use crate::engine::make::{self, DataLoss, Planned};
use crate::engine::model::{Kind, Resource};
use crate::engine::plan::{Action, Change, FieldDiff, Plan};
use crate::render::escape::printable;
use crate::spec::Project;

/// The ownership tags slsr adds on adopt and removes on release.
const OWNER_TAGS: [&str; 2] = ["tags.slsr:service", "tags.slsr:stage"];

pub fn release(args: &HandoverArgs) -> ExitCode {
    handover(args, false)
}

pub fn adopt(args: &HandoverArgs) -> ExitCode {
    handover(args, true)
}

/// What `release` and `adopt` share: the kind check, the lock, the read, then one tag
/// change made from the read (or refused with a message).
fn handover(args: &HandoverArgs, adopting: bool) -> ExitCode {
    let project = match load_project(&args.spec) {
        Ok(p) => p,
        Err(code) => return code,
    };
    if let Err(e) = holds_data(&args.address) {
        return fail(&e);
    }
    let connection = connection(&args.spec, &args.aws, &project);
    let options = make::Options {
        build_dir: args.build.build_dir.clone(),
        ..Default::default()
    };
    let runtime = tokio::runtime::Runtime::new().expect("a tokio runtime starts");
    let interrupts = crate::cli::interrupt::Interrupts::install(&runtime);
    locked(
        &project,
        &args.lock,
        &connection,
        &runtime,
        &interrupts,
        || {
            let planning = async {
                if adopting {
                    make::adopting(&project, &connection, &args.address, &options).await
                } else {
                    make::live(&project, &connection, DataLoss::Allowed, &options).await
                }
            };
            let planned = match runtime.block_on(planning) {
                Ok(p) => p,
                Err(e) => return plan_failed(&project, e),
            };
            let decided = if adopting {
                adopt_change(args, &project, &planned)
            } else {
                release_change(args, &project, &planned)
            };
            let handover = match decided {
                Ok(h) => h,
                Err(e) => return fail(&e),
            };
            let _ = write!(anstream::stdout().lock(), "{}", handover.shown);
            if handover.confirm
                && !args.auto_approve
                && let Err(code) = confirm(&Ask {
                    question: "Add slsr's tags to it?",
                    verb: "adopt",
                    declined: "Nothing was changed.",
                })
            {
                return code;
            }
            let Some(config) = planned.config.clone() else {
                return fail("no connection to AWS");
            };
            let applier = std::sync::Arc::new(
                crate::apply::Applier::new(
                    &config,
                    planned.code.clone(),
                    planned.api_id.clone(),
                    planned.owned.clone(),
                    1,
                )
                .stop_when(interrupts.flag()),
            );
            let one = Plan {
                changes: vec![handover.change],
                ..Plan::default()
            };
            let quiet: crate::apply::Progress = std::sync::Arc::new(|_| {});
            interrupts.applying();
            let report = runtime.block_on(applier.apply(&one, quiet));
            if let Some(e) = report.failed.first() {
                return fail(&format!("{e}; nothing else was changed"));
            }
            let _ = writeln!(anstream::stdout().lock(), "{}", handover.done);
            ExitCode::SUCCESS
        },
    )
}

/// What one handover does: the change, what is shown before it, whether to ask, and the
/// line printed once it is made.
struct Handover {
    change: Change,
    shown: String,
    confirm: bool,
    done: String,
}

/// Only what holds data is handed over: everything else slsr makes is recreated from the
/// spec at no cost, and removing it from the spec deletes it.
fn holds_data(address: &str) -> Result<Kind, String> {
    let prefix = address.split(['.', '[']).next().unwrap_or_default();
    crate::kinds::ALL
        .iter()
        .copied()
        .find(|k| k.as_str() == prefix && k.info().holds_data && address.len() > prefix.len() + 1)
        .ok_or_else(|| {
            let takes: Vec<String> = crate::kinds::ALL
                .iter()
                .filter(|k| k.info().holds_data)
                .map(|k| format!("{}.NAME", k.as_str()))
                .collect();
            format!(
                "`{address}` is not a resource that holds data; release and adopt take {}",
                takes.join(" or ")
            )
        })
}

/// The live resource at the address, as this run read it.
fn live_at<'a>(planned: &'a Planned, address: &str) -> Option<&'a Change> {
    planned
        .plan
        .changes
        .iter()
        .find(|c| c.address == address && c.before.is_some())
}

fn release_change(
    args: &HandoverArgs,
    project: &Project,
    planned: &Planned,
) -> Result<Handover, String> {
    let address = args.address.as_str();
    let Some(live) = live_at(planned, address).and_then(|c| c.before.clone()) else {
        if let Some(c) = planned.plan.conflicts.iter().find(|c| c.address == address) {
            return Err(format!(
                "{address} ({}) is not slsr's: {}; there is nothing to release",
                c.name, c.reason
            ));
        }
        return Err(format!(
            "{address}: service {} stage {} owns no such resource in the account; there is nothing to release",
            project.service, project.stage
        ));
    };
    let mut released = live.clone();
    for tag in OWNER_TAGS {
        released.attrs.remove(tag);
    }
    let name = live.name.clone();
    Ok(Handover {
        change: tag_change(address, live, released),
        shown: format!(
            "Releasing {} ({}): removing the tags slsr:service and slsr:stage. It keeps its data and everything else.\n",
            printable(address),
            printable(&name)
        ),
        confirm: false,
        done: format!(
            "Released {} ({}): slsr no longer changes or deletes it. Remove it from the spec, or the next plan reports it as a conflict.",
            printable(address),
            printable(&name)
        ),
    })
}

fn adopt_change(
    args: &HandoverArgs,
    project: &Project,
    planned: &Planned,
) -> Result<Handover, String> {
    let address = args.address.as_str();
    if let Some(c) = planned.plan.conflicts.iter().find(|c| c.address == address) {
        return Err(format!(
            "{address} ({}) cannot be adopted: {}",
            c.name, c.reason
        ));
    }
    let Some(change) = planned.plan.changes.iter().find(|c| c.address == address) else {
        return Err(format!(
            "the spec declares no {address}: declare it first, with the settings it has"
        ));
    };
    let Some(live) = change.before.clone() else {
        return Err(format!(
            "there is no {} in the account to adopt: `slsr apply` creates it",
            change.name
        ));
    };
    if live.attrs.get(OWNER_TAGS[0]).and_then(Value::as_str) == Some(project.service.as_str()) {
        return Err(format!(
            "{address} ({}) is slsr's already: nothing to adopt",
            live.name
        ));
    }
    if change.action == Action::Replace {
        let fields: Vec<&str> = change
            .diffs
            .iter()
            .filter(|d| d.forces_replacement)
            .map(|d| d.path.as_str())
            .collect();
        return Err(format!(
            "adopting {address} ({}) would not keep its data: the spec's {} differ from what it has, and the next apply would replace it; change the spec to match it first",
            live.name,
            fields.join(", ")
        ));
    }
    let mut adopted = live.clone();
    adopted
        .attrs
        .insert(OWNER_TAGS[0].into(), Value::from(project.service.as_str()));
    adopted
        .attrs
        .insert(OWNER_TAGS[1].into(), Value::from(project.stage.as_str()));
    let rest: Vec<&FieldDiff> = change
        .diffs
        .iter()
        .filter(|d| !OWNER_TAGS.contains(&d.path.as_str()))
        .collect();
    let mut shown = format!(
        "Adopting {} ({}), which slsr did not make: slsr adds the tags slsr:service={} and slsr:stage={}, and changes nothing else now.\n",
        printable(address),
        printable(&live.name),
        printable(&project.service),
        printable(&project.stage)
    );
    if rest.is_empty() {
        shown.push_str("It matches the spec: the next plan shows no change to it.\n");
    } else {
        shown.push_str("Once it is slsr's, the next `slsr apply` makes these changes to it:\n");
        for d in rest {
            shown.push_str(&format!(
                "      ~ {}: {}\n",
                printable(&d.path),
                crate::render::change_text(d)
            ));
        }
    }
    let name = live.name.clone();
    Ok(Handover {
        change: tag_change(address, live, adopted),
        shown,
        confirm: true,
        done: format!(
            "Adopted {} ({}): it is slsr's now, with its data.",
            printable(address),
            printable(&name)
        ),
    })
}

/// An update from `before` to `after` that differ only in tags.
fn tag_change(address: &str, before: Resource, after: Resource) -> Change {
    let mut paths: BTreeMap<&String, ()> = BTreeMap::new();
    for k in before.attrs.keys().chain(after.attrs.keys()) {
        paths.insert(k, ());
    }
    let diffs = paths
        .into_keys()
        .filter(|p| before.attrs.get(*p) != after.attrs.get(*p))
        .map(|p| FieldDiff {
            path: p.clone(),
            before: before.attrs.get(p).cloned(),
            after: after.attrs.get(p).cloned(),
            sensitive: false,
            forces_replacement: false,
        })
        .collect();
    Change {
        address: address.to_string(),
        kind: after.kind,
        name: after.name.clone(),
        action: Action::Update,
        diffs,
        before: Some(before.clone()),
        after: Some(after.clone()),
        reason: None,
        data_loss: false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_what_holds_data_is_handed_over() {
        assert_eq!(holds_data("table.orders"), Ok(Kind::Table));
        assert_eq!(holds_data("bucket.uploads"), Ok(Kind::Bucket));
        let refused = holds_data("function.api").unwrap_err();
        assert!(refused.contains("table.NAME or bucket.NAME"), "{refused}");
        assert!(holds_data("table").is_err());
        assert!(holds_data("table.").is_err());
    }

    #[test]
    fn a_tag_change_holds_only_the_tags_that_differ() {
        let before = Resource::new(Kind::Table, "orders", "orders")
            .with("billing", "PAY_PER_REQUEST")
            .with("tags.team", "a");
        let after = before
            .clone()
            .with("tags.slsr:service", "shop")
            .with("tags.slsr:stage", "dev");
        let change = tag_change("table.orders", before, after);
        let paths: Vec<&str> = change.diffs.iter().map(|d| d.path.as_str()).collect();
        assert_eq!(paths, ["tags.slsr:service", "tags.slsr:stage"]);
        assert_eq!(change.action, Action::Update);
    }
}
