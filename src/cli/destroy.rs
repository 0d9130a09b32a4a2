//! Destroy's own words. It runs through apply's machinery (`commands::apply_unlocked`),
//! but what it says is about deleting: its question, its refusal, its summary, "Nothing to
//! destroy." when slsr owns nothing, and, before it asks, the resources whose data goes
//! with them (a queue's messages, a function's logs, and with --allow-data-loss the tables'
//! items and the buckets' objects).

use std::io::Write;

use crate::engine::make::Planned;
use crate::engine::model::Kind;
use crate::engine::plan::{Action, Change};
use crate::render::escape::printable;

/// The question before deleting.
pub fn question(planned: &Planned) -> String {
    let n = deletions(planned).count();
    format!(
        "Destroy these {n} resource{}?",
        if n == 1 { "" } else { "s" }
    )
}

fn deletions(planned: &Planned) -> impl Iterator<Item = &Change> {
    planned
        .plan
        .changes
        .iter()
        .filter(|c| c.action == Action::Delete)
}

/// What destroy prints when slsr owns nothing to delete: what it keeps, if anything, then
/// `Nothing to destroy.`
pub fn nothing(out: &mut impl Write, planned: &Planned) {
    let h = &planned.header;
    let _ = write!(out, "{}", crate::render::kept(&planned.plan.kept));
    let _ = writeln!(
        out,
        "Nothing to destroy. slsr owns nothing {}of service {} stage {} in account {}, {}.",
        if planned.plan.kept.is_empty() {
            ""
        } else {
            "else "
        },
        printable(&h.service),
        printable(&h.stage),
        printable(h.account.as_deref().unwrap_or("(unknown)")),
        printable(h.region.as_deref().unwrap_or("(no region)"))
    );
}

/// The resources whose data goes with them, one line each, read where the plan does not
/// say (a queue's message count). A count that cannot be read is said so, not guessed.
pub async fn holding_data(planned: &Planned) -> Vec<String> {
    let sqs = planned
        .config
        .as_ref()
        .map(|config| crate::aws::paced_client!(aws_sdk_sqs, config));
    let mut lines = Vec::new();
    for change in deletions(planned) {
        let what = match change.kind {
            Kind::Queue => {
                let Some(sqs) = &sqs else { continue };
                match crate::aws::read::sqs::messages(sqs, &change.name).await {
                    Ok(0) => continue,
                    Ok(1) => "1 message".to_string(),
                    Ok(n) => format!("{n} messages"),
                    Err(e) => format!("its messages, if any (they could not be counted: {e})"),
                }
            }
            Kind::LogGroup => "the function's logs".to_string(),
            Kind::Table if change.data_loss => "every item in the table".to_string(),
            Kind::Stream if change.data_loss => "every record in the stream".to_string(),
            Kind::Secret if change.data_loss => {
                "the secret's value (Secrets Manager keeps it restorable for 7 days)".to_string()
            }
            Kind::Bucket if change.data_loss => {
                "every object in the bucket, all versions".to_string()
            }
            _ => continue,
        };
        lines.push(format!(
            "  {} ({}): {}",
            printable(&change.address),
            printable(&change.name),
            printable(&what)
        ));
    }
    lines
}

/// The note before the question, when anything holds data.
pub fn print_holding_data(out: &mut impl Write, lines: &[String]) {
    if lines.is_empty() {
        return;
    }
    let _ = writeln!(
        out,
        "\nThese hold data that is deleted with them, for good:"
    );
    for line in lines {
        let _ = writeln!(out, "{line}");
    }
}

/// The last line of a destroy that did everything.
pub fn complete(planned: &Planned, seconds: f64) -> String {
    format!(
        "Destroy complete: {} destroyed in {seconds:.1}s",
        planned.plan.summary().destroy
    )
}
