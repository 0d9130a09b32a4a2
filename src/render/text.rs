//! The text plan, Terraform-like: one block per resource, the changed fields indented, and
//! a closing summary. Styled with ANSI codes that anstream strips off a terminal.

use std::fmt::Write as _;

use anstyle::{AnsiColor, Style};

use super::{Header, change_text, show};
use crate::plan::{Action, Plan};

fn style(action: Action) -> Style {
    match action {
        Action::Create => AnsiColor::Green.on_default(),
        Action::Update => AnsiColor::Yellow.on_default(),
        Action::Replace => AnsiColor::Magenta.on_default(),
        Action::Delete => AnsiColor::Red.on_default(),
        Action::NoOp => Style::new(),
    }
}

pub fn text(plan: &Plan, header: &Header) -> String {
    let mut out = String::new();
    let bold = Style::new().bold();
    let account = header
        .account
        .as_deref()
        .unwrap_or("(offline: no account read)");
    let region = header.region.as_deref().unwrap_or("(no region)");
    let _ = writeln!(
        out,
        "{bold}slsr plan{bold:#} for service {} stage {} in account {account}, {region}\n",
        header.service, header.stage
    );
    for conflict in &plan.conflicts {
        let red = AnsiColor::Red.on_default().bold();
        let _ = writeln!(
            out,
            "{red}! {}{red:#}  {}\n    {}\n",
            conflict.address, conflict.name, conflict.reason
        );
    }
    for change in plan.changes.iter().filter(|c| c.action != Action::NoOp) {
        let s = style(change.action);
        let _ = writeln!(
            out,
            "  {s}{} {}{s:#}  {}",
            change.action.symbol(),
            change.address,
            change.name
        );
        if let Some(reason) = &change.reason {
            let _ = writeln!(out, "      # {reason}");
        }
        match change.action {
            Action::Create => {
                // Unset optional attributes (null) are noise in a new resource.
                for d in change
                    .diffs
                    .iter()
                    .filter(|d| d.after.as_ref().is_some_and(|v| !v.is_null()))
                {
                    let _ = writeln!(
                        out,
                        "      {s}+{s:#} {} = {}",
                        d.path,
                        show(d.after.as_ref(), d.sensitive)
                    );
                }
            }
            Action::Update | Action::Replace => {
                for d in &change.diffs {
                    let (mark, ds) = match (&d.before, &d.after) {
                        (None, _) => ("+", style(Action::Create)),
                        (_, None) => ("-", style(Action::Delete)),
                        _ => ("~", style(Action::Update)),
                    };
                    let forces = if d.forces_replacement {
                        "  # forces replacement"
                    } else {
                        ""
                    };
                    let _ = writeln!(
                        out,
                        "      {ds}{mark}{ds:#} {}: {}{forces}",
                        d.path,
                        change_text(d)
                    );
                }
            }
            Action::Delete | Action::NoOp => {}
        }
        out.push('\n');
    }
    let summary = plan.summary();
    if plan.has_changes() {
        let _ = writeln!(
            out,
            "{bold}Plan: {} to add, {} to change, {} to replace, {} to destroy.{bold:#}",
            summary.add, summary.change, summary.replace, summary.destroy
        );
    } else {
        let _ = writeln!(
            out,
            "{bold}No changes.{bold:#} The account matches the spec."
        );
    }
    out
}
