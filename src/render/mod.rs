//! Plans as text (for people), JSON (for machines) and Markdown (for pull requests).
//! Renderers format; they never decide. Secret values are masked here, in every format, and
//! what came from the spec or the account is escaped (`crate::render::escape`): no control
//! character reaches a terminal, and nothing breaks out of a Markdown cell or code span.

mod body;
mod cost;
mod document;
pub mod escape;
mod json;
mod markdown;
mod text;
pub mod widening;

pub use json::{FORMAT_VERSION, json};
pub use markdown::markdown;
pub use text::{kept, text};

use serde_json::Value;

use crate::engine::plan::FieldDiff;
use crate::render::escape::printable;

/// What a plan is about, for its header.
#[derive(Clone, Debug, Default)]
pub struct Header {
    pub service: String,
    pub stage: String,
    /// `None` offline.
    pub account: Option<String>,
    pub region: Option<String>,
}

/// What a change marked DATA LOSS does to the data, for the line under it.
pub fn data_loss_note(change: &crate::engine::plan::Change) -> String {
    let what = match change.kind {
        crate::engine::model::Kind::Table => "every item in the table",
        crate::engine::model::Kind::Bucket => "every object in the bucket, all versions",
        crate::engine::model::Kind::Stream => "every record in the stream",
        crate::engine::model::Kind::Secret => {
            "the secret's value (Secrets Manager keeps it restorable for 7 days)"
        }
        _ => "the data it holds",
    };
    match change.action {
        crate::engine::plan::Action::Replace => {
            format!("DATA LOSS: replacing it deletes {what} (--allow-data-loss)")
        }
        _ => format!("DATA LOSS: deleting it deletes {what} (--allow-data-loss)"),
    }
}

/// `, 1 with DATA LOSS` after the plan's counts, when any change loses data.
pub fn data_loss_summary(summary: &crate::engine::plan::Summary) -> String {
    match summary.data_loss {
        0 => String::new(),
        n => format!(" ({n} with DATA LOSS)"),
    }
}

/// Shown instead of a secret value.
pub const MASK: &str = "(sensitive)";

/// A value as one line: strings quoted, JSON compact, secrets masked. JSON escapes C0
/// control characters; `printable` takes the rest (DEL, C1, direction marks).
pub fn show(value: Option<&Value>, sensitive: bool) -> String {
    match value {
        None => "(none)".into(),
        Some(_) if sensitive => MASK.into(),
        Some(Value::String(s)) if s == crate::engine::model::KNOWN_AFTER_APPLY => s.clone(),
        Some(v) => printable(&v.to_string()).into_owned(),
    }
}

/// An output's value as the plan shows it: quoted, but for one that is only a
/// `(known after apply: ...)` marker; masked when sensitive.
pub fn output_value(value: Option<&str>, sensitive: bool) -> String {
    match value {
        None => "(none)".into(),
        Some(_) if sensitive => MASK.into(),
        Some(v)
            if crate::engine::desired::next_known_after_apply(v)
                .is_some_and(|(range, _)| range == (0..v.len())) =>
        {
            printable(v).into_owned()
        }
        Some(v) => printable(&Value::from(v).to_string()).into_owned(),
    }
}

/// The one-line form of a diff's change: `30 -> 120`, or for code size `2.1 KB -> 2.3 KB (+204 B)`.
pub fn change_text(d: &FieldDiff) -> String {
    if d.path == "code_size"
        && let (Some(before), Some(after)) = (
            d.before.as_ref().and_then(Value::as_u64),
            d.after.as_ref().and_then(Value::as_u64),
        )
    {
        let delta = after as i64 - before as i64;
        let sign = if delta >= 0 { "+" } else { "-" };
        return format!(
            "{} -> {} ({sign}{})",
            crate::package::human_size(before),
            crate::package::human_size(after),
            crate::package::human_size(delta.unsigned_abs())
        );
    }
    format!(
        "{} -> {}",
        show(d.before.as_ref(), d.sensitive),
        show(d.after.as_ref(), d.sensitive)
    )
}
