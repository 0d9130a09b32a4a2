//! The Markdown plan, for a pull-request comment: a summary table and collapsible details.

use std::fmt::Write as _;

use super::{Header, change_text, show};
use crate::engine::plan::{Action, Plan};
use crate::render::escape::{markdown_code, markdown_text, printable};

pub fn markdown(plan: &Plan, header: &Header) -> String {
    let mut out = String::new();
    let s = plan.summary();
    let _ = writeln!(
        out,
        "### slsr plan: {} stage {}\n",
        markdown_code(&header.service),
        markdown_code(&header.stage)
    );
    for c in &plan.conflicts {
        let _ = writeln!(
            out,
            "> **Conflict** {} ({}): {}\n",
            markdown_code(&c.address),
            markdown_text(&c.name),
            markdown_text(&c.reason)
        );
    }
    for k in &plan.kept {
        let _ = writeln!(
            out,
            "> **Kept** {} ({}): {}\n",
            markdown_code(&k.address),
            markdown_text(&k.name),
            markdown_text(&k.reason)
        );
    }
    if !plan.has_changes() {
        let _ = writeln!(out, "**No changes.** The account matches the spec.");
        return out;
    }
    let _ = writeln!(
        out,
        "**Plan: {} to add, {} to change, {} to replace, {} to destroy{}.**\n",
        s.add,
        s.change,
        s.replace,
        s.destroy,
        super::data_loss_summary(&s)
    );
    for c in plan.changes.iter().filter(|c| c.data_loss) {
        let _ = writeln!(
            out,
            "> **DATA LOSS** {}: {}\n",
            markdown_code(&c.address),
            markdown_text(&super::data_loss_note(c))
        );
    }
    let _ = writeln!(out, "| action | resource | name |\n|---|---|---|");
    for c in plan.changes.iter().filter(|c| c.action != Action::NoOp) {
        let _ = writeln!(
            out,
            "| {} {}{} | {} | {} |",
            c.action.symbol(),
            c.action.as_str(),
            if c.data_loss { " **DATA LOSS**" } else { "" },
            markdown_code(&c.address),
            markdown_code(&c.name)
        );
    }
    // Inside the fence Markdown is not interpreted, and no line can close it early: each
    // starts with its mark (`+`, `-`, `!`) and is printable, so on one line.
    let _ = writeln!(out, "\n<details><summary>Details</summary>\n\n```diff");
    for c in plan.changes.iter().filter(|c| c.action != Action::NoOp) {
        let mark = match c.action {
            Action::Create => "+",
            Action::Delete => "-",
            _ => "!",
        };
        let _ = writeln!(
            out,
            "{mark} {} ({}){}",
            printable(&c.address),
            c.action.as_str(),
            if c.data_loss { " DATA LOSS" } else { "" }
        );
        if let Some(reason) = &c.reason {
            let _ = writeln!(out, "!     # {}", printable(reason));
        }
        for d in &c.diffs {
            match c.action {
                Action::Create if d.after.as_ref().is_none_or(|v| v.is_null()) => {}
                Action::Create => {
                    let _ = writeln!(
                        out,
                        "+     {} = {}",
                        printable(&d.path),
                        show(d.after.as_ref(), d.sensitive)
                    );
                }
                Action::Delete => {}
                _ => {
                    let _ = writeln!(out, "!     {}: {}", printable(&d.path), change_text(d));
                }
            }
        }
    }
    let _ = writeln!(out, "```\n\n</details>");
    out
}
