//! The text plan, Terraform-like: one block per resource, the changed fields indented, and
//! a closing summary. Styled with ANSI codes that anstream strips off a terminal.

use std::fmt::Write as _;

use anstyle::{AnsiColor, Style};

use super::Header;
use super::body::Part;
use crate::engine::plan::{Action, Plan};
use crate::render::escape::printable;

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
    let region = header.region.as_deref().unwrap_or("(no region)");
    let against = match header.account.as_deref() {
        Some(account) => format!("in account {}", printable(account)),
        None => "(offline: the account was not read)".into(),
    };
    let _ = writeln!(
        out,
        "{bold}slsr plan{bold:#} for service {} stage {} {against}, {}\n",
        printable(&header.service),
        printable(&header.stage),
        printable(region)
    );
    for conflict in &plan.conflicts {
        let red = AnsiColor::Red.on_default().bold();
        let _ = writeln!(
            out,
            "{red}! {}{red:#}  {}\n    {}\n",
            printable(&conflict.address),
            printable(&conflict.name),
            printable(&conflict.reason)
        );
    }
    for change in plan.changes.iter().filter(|c| c.action != Action::NoOp) {
        let s = style(change.action);
        let loss = if change.data_loss {
            let red = AnsiColor::Red.on_default().bold();
            format!("  {red}DATA LOSS{red:#}")
        } else {
            String::new()
        };
        let _ = writeln!(
            out,
            "  {s}{} {}{s:#}  {}{loss}",
            change.action.symbol(),
            printable(&change.address),
            printable(&change.name)
        );
        if change.data_loss {
            let _ = writeln!(out, "      # {}", super::data_loss_note(change));
        }
        if let Some(reason) = &change.reason {
            let _ = writeln!(out, "      # {}", printable(reason));
        }
        if let Some(about) = super::body::about(change) {
            let _ = writeln!(out, "      # {about}");
        }
        if let Some(note) = public_note(change) {
            let _ = writeln!(out, "      # {note}");
        }
        if let Some(cost) = plan.cost.changes.get(&change.address) {
            let _ = writeln!(out, "      # cost: {}", super::cost::change_line(cost));
        }
        for line in super::body::lines(change) {
            let ls = sign_style(line.sign);
            let _ = match line.part {
                Part::Attribute => writeln!(out, "      {ls}{}{ls:#} {}", line.sign, line.text),
                // A whole value's lines take its attribute's sign once, on its first line.
                Part::Body => writeln!(out, "            {}", line.text),
                Part::Diff => writeln!(out, "          {ls}{} {}{ls:#}", line.sign, line.text),
            };
        }
        out.push('\n');
    }
    out.push_str(&kept(&plan.kept));
    if !plan.outputs.is_empty() {
        let _ = writeln!(out, "{bold}Changes to Outputs:{bold:#}");
        let width = plan.outputs.iter().map(|o| o.name.len()).max().unwrap_or(0);
        for o in &plan.outputs {
            let s = style(o.action);
            let value = match o.action {
                Action::Update => format!(
                    "{} -> {}",
                    super::output_value(o.before.as_deref(), o.sensitive),
                    super::output_value(o.after.as_deref(), o.sensitive)
                ),
                _ => super::output_value(o.after.as_deref(), o.sensitive),
            };
            let _ = writeln!(
                out,
                "  {s}{}{s:#} {:width$} = {value}",
                o.action.symbol(),
                printable(&o.name)
            );
        }
        out.push('\n');
    }
    let summary = plan.summary();
    if plan.has_changes() {
        let _ = writeln!(
            out,
            "{bold}Plan: {} to add, {} to change, {} to replace, {} to destroy{}.{bold:#}",
            summary.add,
            summary.change,
            summary.replace,
            summary.destroy,
            super::data_loss_summary(&summary)
        );
    } else if header.account.is_some() {
        let _ = writeln!(
            out,
            "{bold}No changes.{bold:#} The account matches the spec."
        );
    } else {
        let _ = writeln!(out, "{bold}No changes.{bold:#} The spec makes nothing.");
    }
    out.push_str(&super::cost::text_section(&plan.cost));
    if header.account.is_none() {
        let _ = writeln!(
            out,
            "Run `slsr plan` with AWS credentials to compare with the account, or `slsr apply` to deploy."
        );
    }
    out.push_str(&super::widening::text(&plan.widening));
    out
}

/// The colour of a line's sign: green to add, red to remove, yellow to change.
fn sign_style(sign: char) -> Style {
    match sign {
        '+' => style(Action::Create),
        '-' => style(Action::Delete),
        '~' => style(Action::Update),
        _ => Style::new(),
    }
}

/// What a reviewer should know about a resource the change leaves callable by anyone.
fn public_note(change: &crate::engine::plan::Change) -> Option<&'static str> {
    let desired = change
        .after
        .as_ref()
        .filter(|_| change.action != Action::Delete)?;
    (change.kind.info().public)(desired)
}

/// The "Kept" block: what slsr leaves as it is, each with why; empty when nothing is kept.
pub fn kept(kept: &[crate::engine::model::Kept]) -> String {
    let mut out = String::new();
    if kept.is_empty() {
        return out;
    }
    let bold = Style::new().bold();
    let _ = writeln!(out, "{bold}Kept{bold:#} (left as they are):");
    for k in kept {
        let _ = writeln!(
            out,
            "  = {}  {}\n      # {}",
            printable(&k.address),
            printable(&k.name),
            printable(&k.reason)
        );
    }
    out.push('\n');
    out
}
