//! The plan's last section, "Access this change opens:" (`engine::widening`), in text and
//! Markdown, and its `widening` array in JSON; the text's lines are what apply's refusal
//! under `--require-approval widening` repeats. Nothing when the change opens nothing.

use std::fmt::Write as _;

use anstyle::{AnsiColor, Style};
use serde_json::Value;

use crate::engine::widening::{Flag, Opens, Widening};
use crate::render::escape::{markdown_code, printable};

/// The section's title, in every format.
pub const TITLE: &str = "Access this change opens:";

/// What an item opens, and to whom, in words: `allows iam:PassRole on *`.
pub fn what(w: &Widening) -> String {
    let text = match &w.opens {
        Opens::Public { note, .. } => note.clone(),
        Opens::Principal {
            function,
            action,
            principal,
            about,
            ..
        } => {
            let verb = if action == "lambda:InvokeFunction" {
                format!("invoke {function}")
            } else {
                format!("call {action} on {function}")
            };
            let about = about.as_ref().map_or_else(String::new, |a| format!(" {a}"));
            format!("lets {principal} {verb}{about}")
        }
        Opens::IamAction {
            effect,
            action,
            resource,
            condition,
            ..
        } => {
            let verb = if *effect == "allow" {
                "allows"
            } else {
                "no longer denies"
            };
            format!("{verb} {action} on {resource}{}", when(condition))
        }
        Opens::ManagedPolicy { policy_arn, .. } => format!("attaches managed policy {policy_arn}"),
        Opens::Trust {
            principal_type,
            principal,
            action,
            condition,
            ..
        } => format!(
            "trusts {principal_type} {principal} to {action}{}",
            when(condition)
        ),
    };
    printable(&text).into_owned()
}

fn when(condition: &Option<Value>) -> String {
    condition
        .as_ref()
        .map_or_else(String::new, |c| format!(" when {c}"))
}

/// A flag's words, as a reviewer scans for them.
pub fn label(flag: Flag) -> &'static str {
    match flag {
        Flag::Wildcard => "*",
        Flag::PassRole => "iam:PassRole",
        Flag::Escalation => "privilege escalation",
        Flag::OtherAccount => "another account",
    }
}

/// An item's flags, `[*] [iam:PassRole]`; `None` when it has none.
fn flags(w: &Widening) -> Option<String> {
    let labels: Vec<String> = w.flags.iter().map(|f| format!("[{}]", label(*f))).collect();
    (!labels.is_empty()).then(|| labels.join(" "))
}

/// The items as the text plan lays them out, without colour: each address once, then one
/// line per item it opens, `allows iam:PassRole on *  [*] [iam:PassRole] [privilege
/// escalation]`, indented under it. `flagged` styles an item's flags.
pub fn lines(items: &[Widening], flagged: impl Fn(String) -> String) -> Vec<String> {
    let mut out = Vec::new();
    let mut address: Option<&str> = None;
    for w in items {
        if address != Some(w.address.as_str()) {
            out.push(format!("  {}", printable(&w.address)));
            address = Some(w.address.as_str());
        }
        let tail = flags(w).map_or_else(String::new, |f| format!("  {}", flagged(f)));
        out.push(format!("      {}{tail}", what(w)));
    }
    out
}

/// The text section, after a blank line; empty when nothing widens.
pub fn text(items: &[Widening]) -> String {
    let mut out = String::new();
    if items.is_empty() {
        return out;
    }
    let bold = Style::new().bold();
    let red = AnsiColor::Red.on_default().bold();
    let _ = writeln!(out, "\n{bold}{TITLE}{bold:#}");
    for line in lines(items, |f| format!("{red}{f}{red:#}")) {
        let _ = writeln!(out, "{line}");
    }
    out
}

/// The Markdown section: a table of resource, what it opens, flags; empty when nothing widens.
pub fn markdown(items: &[Widening]) -> String {
    let mut out = String::new();
    if items.is_empty() {
        return out;
    }
    let _ = writeln!(
        out,
        "\n**{TITLE}**\n\n| resource | opens | flags |\n|---|---|---|"
    );
    for w in items {
        let flags: Vec<String> = w
            .flags
            .iter()
            .map(|f| format!("**{}**", markdown_code(label(*f))))
            .collect();
        let _ = writeln!(
            out,
            "| {} | {} | {} |",
            markdown_code(&w.address),
            markdown_code(&what(w)),
            flags.join(" ")
        );
    }
    out
}

/// The JSON plan's `widening` array (docs/plan-format.md).
pub fn json(items: &[Widening]) -> Value {
    serde_json::to_value(items).expect("a widening list serializes")
}
