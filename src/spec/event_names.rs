//! Names given to `schedule` and `eventbridge` events (`name:`). Each names its rule,
//! `{service}-{stage}-{function}-{name}`, so it must be a name EventBridge takes, fit its
//! 64 characters, and be the only rule of that name in the spec (`a` named `b-c` and `a-b`
//! named `c` would be one rule).

use std::collections::BTreeMap;

use super::diag::{Code, Diagnostic};
use super::model::{Event, ScheduleEvent};
use super::names;
use super::rules::{events_path, name_length, span};
use crate::spec::Project;

pub(super) fn check(p: &Project, diags: &mut Vec<Diagnostic>) {
    // Each rule name, with the line where it was first given.
    let mut seen: BTreeMap<String, usize> = BTreeMap::new();
    for (function, f) in &p.functions {
        let base = events_path(p, function);
        for (i, event) in f.events.iter().flatten().enumerate() {
            let (name, path) = match event {
                Event::Schedule(ScheduleEvent::Detailed(d)) => {
                    (&d.name, format!("{base}[{i}].schedule.name"))
                }
                Event::Eventbridge(e) => (&e.name, format!("{base}[{i}].eventbridge.name")),
                _ => continue,
            };
            let Some(name) = name else { continue };
            let at = span(p, &path);
            if !names::valid_key(name) {
                diags.push(
                    Diagnostic::error(
                        Code::InvalidName,
                        at,
                        format!("`{name}` cannot be part of an EventBridge rule's name"),
                    )
                    .with_label("invalid name")
                    .with_help(
                        "names use letters, digits, `-` and `_`, starting with a letter or digit",
                    ),
                );
                continue;
            }
            let rule = format!("{}-{name}", p.physical_name(function));
            name_length(&rule, names::Kind::Rule, at, diags);
            match seen.get(&rule) {
                Some(first) => diags.push(
                    Diagnostic::error(
                        Code::Conflict,
                        at,
                        format!("two events name the rule `{rule}`"),
                    )
                    .with_label("rule name taken")
                    .with_help(format!(
                        "the event at line {first} names it too; give each event its own name"
                    )),
                ),
                None => {
                    seen.insert(rule, at.line);
                }
            }
        }
    }
}
