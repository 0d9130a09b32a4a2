//! The text plan, Terraform-like: one block per resource, the changed fields indented, and
//! a closing summary. Styled with ANSI codes that anstream strips off a terminal.

use std::fmt::Write as _;

use anstyle::{AnsiColor, Style};

use super::{Header, change_text, show};
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
    let account = header
        .account
        .as_deref()
        .unwrap_or("(offline: no account read)");
    let region = header.region.as_deref().unwrap_or("(no region)");
    let _ = writeln!(
        out,
        "{bold}slsr plan{bold:#} for service {} stage {} in account {}, {}\n",
        printable(&header.service),
        printable(&header.stage),
        printable(account),
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
        if let Some(note) = public_note(change) {
            let _ = writeln!(out, "      # {note}");
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
                        printable(&d.path),
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
                    if let Some(lines) = structured_diff(d) {
                        let _ = writeln!(
                            out,
                            "      {ds}{mark}{ds:#} {}:{forces}",
                            printable(&d.path)
                        );
                        for (sign, line) in lines {
                            let ls = match sign {
                                '+' => style(Action::Create),
                                '-' => style(Action::Delete),
                                _ => Style::new(),
                            };
                            let _ =
                                writeln!(out, "          {ls}{sign} {}{ls:#}", printable(&line));
                        }
                        continue;
                    }
                    let _ = writeln!(
                        out,
                        "      {ds}{mark}{ds:#} {}: {}{forces}",
                        printable(&d.path),
                        change_text(d)
                    );
                }
            }
            Action::Delete | Action::NoOp => {}
        }
        out.push('\n');
    }
    if !plan.kept.is_empty() {
        let _ = writeln!(out, "{bold}Kept{bold:#} (left as they are):");
        for k in &plan.kept {
            let _ = writeln!(
                out,
                "  = {}  {}\n      # {}",
                printable(&k.address),
                printable(&k.name),
                printable(&k.reason)
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
    } else {
        let _ = writeln!(
            out,
            "{bold}No changes.{bold:#} The account matches the spec."
        );
    }
    out
}

/// What a reviewer should know about a resource the change leaves callable by anyone.
fn public_note(change: &crate::engine::plan::Change) -> Option<&'static str> {
    let desired = change
        .after
        .as_ref()
        .filter(|_| change.action != Action::Delete)?;
    (change.kind.info().public)(desired)
}

/// Longer than this, a changed JSON document (a policy, an event pattern) is shown as a
/// line diff of its pretty form instead of two one-line values.
const ONE_LINE: usize = 100;

/// A changed policy or pattern as lines, each marked `+`, `-` or ` `: only the parts that
/// changed stand out. `None` for values that read well on one line.
fn structured_diff(d: &crate::engine::plan::FieldDiff) -> Option<Vec<(char, String)>> {
    let (before, after) = (d.before.as_ref()?, d.after.as_ref()?);
    if d.sensitive
        || !(before.is_object() || before.is_array())
        || !(after.is_object() || after.is_array())
    {
        return None;
    }
    if before.to_string().len() + after.to_string().len() <= ONE_LINE {
        return None;
    }
    let pretty = |v: &serde_json::Value| {
        serde_json::to_string_pretty(v)
            .unwrap_or_default()
            .lines()
            .map(str::to_string)
            .collect::<Vec<_>>()
    };
    Some(with_context(line_diff(&pretty(before), &pretty(after))))
}

/// Lines kept around each change in a document diff; the rest folds into `...`.
const CONTEXT: usize = 3;

fn with_context(lines: Vec<(char, String)>) -> Vec<(char, String)> {
    let near_change = |i: usize| {
        lines[i.saturating_sub(CONTEXT)..(i + CONTEXT + 1).min(lines.len())]
            .iter()
            .any(|(sign, _)| *sign != ' ')
    };
    let mut out = Vec::new();
    let mut folded = false;
    for (i, line) in lines.iter().enumerate() {
        if near_change(i) {
            out.push(line.clone());
            folded = false;
        } else if !folded {
            out.push((' ', "...".to_string()));
            folded = true;
        }
    }
    out
}

/// A longest-common-subsequence line diff; documents here are a few dozen lines.
fn line_diff(a: &[String], b: &[String]) -> Vec<(char, String)> {
    let mut lcs = vec![vec![0usize; b.len() + 1]; a.len() + 1];
    for i in (0..a.len()).rev() {
        for j in (0..b.len()).rev() {
            lcs[i][j] = if a[i] == b[j] {
                lcs[i + 1][j + 1] + 1
            } else {
                lcs[i + 1][j].max(lcs[i][j + 1])
            };
        }
    }
    let (mut i, mut j, mut out) = (0, 0, Vec::new());
    while i < a.len() || j < b.len() {
        if i < a.len() && j < b.len() && a[i] == b[j] {
            out.push((' ', a[i].clone()));
            i += 1;
            j += 1;
        } else if j < b.len() && (i == a.len() || lcs[i][j + 1] >= lcs[i + 1][j]) {
            out.push(('+', b[j].clone()));
            j += 1;
        } else {
            out.push(('-', a[i].clone()));
            i += 1;
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::engine::plan::FieldDiff;
    use serde_json::json;

    #[test]
    fn a_changed_policy_shows_only_what_changed() {
        let before = json!({"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": ["sqs:ReceiveMessage"], "Resource": ["arn:aws:sqs:us-east-1:123456789012:shop-dev-jobs"]}]});
        let after = json!({"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": ["sqs:DeleteMessage", "sqs:ReceiveMessage"], "Resource": ["arn:aws:sqs:us-east-1:123456789012:shop-dev-jobs"]}]});
        let d = FieldDiff {
            path: "inline_policy".into(),
            before: Some(before),
            after: Some(after),
            sensitive: false,
            forces_replacement: false,
        };
        let lines = structured_diff(&d).expect("a long document is diffed by line");
        let changed: Vec<&(char, String)> = lines.iter().filter(|(sign, _)| *sign != ' ').collect();
        assert_eq!(
            changed,
            vec![&('+', "        \"sqs:DeleteMessage\",".to_string())]
        );
        let short = FieldDiff {
            path: "layers".into(),
            before: Some(json!(["a"])),
            after: Some(json!(["b"])),
            sensitive: false,
            forces_replacement: false,
        };
        assert!(structured_diff(&short).is_none());
    }
}
