//! `slsr apply --dry-run`: apply's own writers run against clients that answer without
//! connecting (`Applier::dry_run`, `aws/dry.rs`), and this prints the calls they made, by
//! change, in the order apply takes the changes. Nothing here decides what is called: a
//! test compares the listing with the calls a real apply then makes, change by change.

use std::fmt::Write as _;

use crate::aws::record::Recorder;
use crate::engine::plan::Plan;
use crate::render::escape::printable;

/// The changes of `plan` as apply takes them, each with the write calls made for it.
pub fn calls_by_change(plan: &Plan, recorder: &Recorder) -> Vec<(String, String, Vec<String>)> {
    let mut seen = std::collections::BTreeSet::new();
    let mut out = Vec::new();
    for step in super::schedule(plan) {
        let address = step.change.address.clone();
        if !seen.insert(address.clone()) {
            continue;
        }
        let calls = recorder.writes_of(&address);
        out.push((address, step.resource().name.clone(), calls));
    }
    out
}

/// The whole dry run as text: each change's calls, numbered.
pub fn render(plan: &Plan, recorder: &Recorder) -> String {
    let mut out = String::from(
        "Dry run: the calls apply would make, by change, in the order apply takes the changes (changes that do not need each other run at once):\n",
    );
    let mut n = 0;
    for (address, name, calls) in calls_by_change(plan, recorder) {
        let _ = writeln!(out, "  {} ({}):", printable(&address), printable(&name));
        for call in calls {
            n += 1;
            let _ = writeln!(out, "    {n:>3}. {call}");
        }
    }
    let _ = writeln!(out, "{n} write calls; none was made.");
    out
}
