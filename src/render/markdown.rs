//! The Markdown plan, for a pull-request comment: a summary table and collapsible details.

use std::fmt::Write as _;

use super::Header;
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
    if header.account.is_none() {
        let _ = writeln!(
            out,
            "_Offline: the account was not read, so this is everything the spec makes._\n"
        );
    }
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
    if !plan.outputs.is_empty() {
        let _ = writeln!(
            out,
            "\n**Changes to Outputs:**\n\n| action | output | before | after |\n|---|---|---|---|"
        );
        for o in &plan.outputs {
            let _ = writeln!(
                out,
                "| {} {} | {} | {} | {} |",
                o.action.symbol(),
                o.action.as_str(),
                markdown_code(&o.name),
                markdown_code(&super::output_value(o.before.as_deref(), o.sensitive)),
                markdown_code(&super::output_value(o.after.as_deref(), o.sensitive))
            );
        }
    }
    out.push_str(&super::cost::markdown_section(&plan.cost));
    // Inside the fence Markdown is not interpreted, and no line can close it early: each
    // starts with its mark (`+`, `-`, `!`, or a space and more indentation than a fence
    // allows) and is printable, so on one line.
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
        if let Some(about) = super::body::about(c) {
            let _ = writeln!(out, "{mark}     # {about}");
        }
        if let Some(cost) = plan.cost.changes.get(&c.address) {
            let _ = writeln!(out, "{mark}     # cost: {}", super::cost::change_line(cost));
        }
        for line in super::body::lines(c) {
            let sign = if line.sign == '~' { '!' } else { line.sign };
            let _ = match line.part {
                super::body::Part::Attribute => writeln!(out, "{sign}     {}", line.text),
                _ => writeln!(out, "{sign}         {}", line.text),
            };
        }
    }
    let _ = writeln!(out, "```\n\n</details>");
    out.push_str(&super::widening::markdown(&plan.widening));
    out
}
