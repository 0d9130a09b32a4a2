//! State machines in the spec: each definition read (from its file, which must stay in the
//! project as `code` must, or inline), parsed as JSON or YAML, its `${...}` references
//! resolved as the spec's are, and checked to be an Amazon States Language document; the
//! names that the events and `access` lines give of state machines, and the length of the
//! names slsr derives from a state machine's.
//!
//! A reference inside a definition file is reported at the spec's `definition` field, with
//! the file and the path of the string in it (`States.Invoke.Resource`).

use std::collections::BTreeMap;

use serde_json::Value;

use super::interpolate::{self, Context};
use super::load::Project;
use super::model::{Definition, Event, ScheduleEvent};
use super::names::Kind;
use super::rules::{span, undeclared};
use super::yaml::{self, Node};
use crate::spec::diag::{Code, Diagnostic};

/// Step Functions' limit on a definition's size.
pub const MAX_DEFINITION_BYTES: usize = 1_048_576;

/// Step Functions' limit on a state machine's name.
pub const MAX_NAME: usize = 80;

/// What the generated role's name adds to the state machine's key (`{service}-{stage}-{name}.states`):
/// a `.`, which no function's or declared role's key has, so the names never meet.
pub const ROLE_SUFFIX: &str = ".states";

/// The name EventBridge's role for starting a state machine adds (`{...}-{name}.events`).
pub const EVENTS_ROLE_SUFFIX: &str = ".events";

/// Every state machine's definition as JSON, its references to the spec's values resolved
/// (those to what apply makes are left for the desired state to fill). `files` false
/// leaves file definitions out (destroy needs none).
pub fn load(
    p: &Project,
    ctx: &Context,
    files: bool,
    diags: &mut Vec<Diagnostic>,
) -> BTreeMap<String, Value> {
    let mut out = BTreeMap::new();
    for (name, sm) in &p.state_machines {
        let at = format!("state_machines.{name}.definition");
        let definition = match &sm.definition {
            Definition::Inline(map) => Some(Value::Object(map.clone())),
            Definition::File(path) if files => read_file(p, ctx, &at, path, diags),
            Definition::File(_) => None,
        };
        if let Some(definition) = definition {
            if let Some(why) = not_asl(&definition) {
                diags.push(
                    Diagnostic::error(
                        Code::InvalidValue,
                        span(p, &at),
                        format!("state machine `{name}`'s definition {why}"),
                    )
                    .with_help("an Amazon States Language definition is a mapping with `StartAt` (the first state's name) and `States`"),
                );
            }
            out.insert(name.clone(), definition);
        }
    }
    out
}

/// Why a definition is not an Amazon States Language document, if it is not.
fn not_asl(definition: &Value) -> Option<String> {
    let start = definition.get("StartAt").and_then(Value::as_str);
    let states = definition.get("States").and_then(Value::as_object);
    match (start, states) {
        (None, _) => Some("has no `StartAt`".into()),
        (_, None) => Some("has no `States` mapping".into()),
        (Some(start), Some(states)) if !states.contains_key(start) => Some(format!(
            "starts at `{start}`, which is not one of its `States`"
        )),
        _ => None,
    }
}

/// A definition file: inside the project, readable, JSON (or YAML by its extension), its
/// references resolved.
fn read_file(
    p: &Project,
    ctx: &Context,
    at: &str,
    path: &str,
    diags: &mut Vec<Diagnostic>,
) -> Option<Value> {
    let here = span(p, at);
    let spec_dir = super::code_roots::spec_dir(p);
    let resolved = super::code_roots::resolve(&spec_dir.join(path));
    if !super::code_roots::roots(p)
        .iter()
        .any(|root| resolved.starts_with(root))
    {
        diags.push(
            Diagnostic::error(
                Code::CodeOutside,
                here,
                format!(
                    "`definition: {path}` resolves to {}, outside the project",
                    resolved.display()
                ),
            )
            .with_label("outside the project")
            .with_help("a definition file comes from the spec's directory or the git repository that holds it, as `code` does; to use one from elsewhere, name its directory in `package: {allow_outside: [...]}`"),
        );
        return None;
    }
    let fail = |message: String, help: &str| {
        Diagnostic::error(Code::InvalidValue, here, message).with_help(help.to_string())
    };
    let text = match std::fs::read(&resolved) {
        Ok(bytes) if bytes.len() > MAX_DEFINITION_BYTES => {
            diags.push(fail(
                format!(
                    "`definition: {path}` is {} bytes; Step Functions takes at most {MAX_DEFINITION_BYTES}",
                    bytes.len()
                ),
                "split the workflow into state machines that start each other",
            ));
            return None;
        }
        Ok(bytes) => match String::from_utf8(bytes) {
            Ok(text) => text,
            Err(_) => {
                diags.push(fail(
                    format!("`definition: {path}` is not UTF-8 text"),
                    "a definition is a JSON or YAML file",
                ));
                return None;
            }
        },
        Err(e) => {
            let why = match e.kind() {
                std::io::ErrorKind::NotFound => "does not exist".to_string(),
                _ if resolved.is_dir() => "is a directory".to_string(),
                _ => format!("cannot be read: {e}"),
            };
            diags.push(
                fail(
                    format!("`definition: {path}` {why}"),
                    "`definition` is a JSON file (or .yaml/.yml) relative to the spec file, or an inline mapping",
                )
                .with_label("no such file"),
            );
            return None;
        }
    };
    let yaml = path.ends_with(".yaml") || path.ends_with(".yml");
    let parsed = if yaml {
        match yaml::parse(&text) {
            Ok((Some(node), problems)) if problems.iter().all(|d| !d.is_error()) => {
                Ok(super::structure::to_json(&node))
            }
            Ok((None, _)) => Err("is empty".to_string()),
            Ok((Some(_), problems)) => Err(format!(
                "is not valid YAML: {}",
                problems
                    .iter()
                    .find(|d| d.is_error())
                    .map_or(String::new(), |d| format!(
                        "line {}: {}",
                        d.span.line, d.message
                    ))
            )),
            Err(e) => Err(format!(
                "is not valid YAML: line {}, column {}: {}",
                e.line, e.col, e.message
            )),
        }
    } else {
        serde_json::from_str::<Value>(&text).map_err(|e| {
            format!(
                "is not valid JSON: line {}, column {}: {e}",
                e.line(),
                e.column()
            )
        })
    };
    let mut definition = match parsed {
        Ok(v @ Value::Object(_)) => v,
        Ok(_) => {
            diags.push(fail(
                format!("`definition: {path}` is not a mapping"),
                "an Amazon States Language definition is a mapping with StartAt and States",
            ));
            return None;
        }
        Err(why) => {
            diags.push(fail(
                format!("`definition: {path}` {why}"),
                "a definition is JSON, or YAML when the file ends in .yaml or .yml",
            ));
            return None;
        }
    };
    let mut found = Vec::new();
    resolve_strings(&mut definition, ctx, here, &mut String::new(), &mut found);
    diags.extend(found.into_iter().map(|(at, mut d)| {
        d.message = format!("in `{path}` at {at}: {}", d.message);
        d
    }));
    Some(definition)
}

/// Resolves the references in every string of a file's definition, as the spec's own are;
/// each problem comes back with the path of its string (`States.Invoke.Resource`).
fn resolve_strings(
    value: &mut Value,
    ctx: &Context,
    here: super::source::Span,
    path: &mut String,
    found: &mut Vec<(String, Diagnostic)>,
) {
    match value {
        Value::String(s) if s.contains("${") => {
            let mut node = Node {
                quoted: true,
                ..Node::new(yaml::Value::Str(s.clone()), here)
            };
            let mut diags = Vec::new();
            interpolate::interpolate(&mut node, ctx, &mut diags);
            found.extend(diags.into_iter().map(|d| (path.clone(), d)));
            *value = super::structure::to_json(&node);
        }
        Value::Array(items) => {
            for (i, item) in items.iter_mut().enumerate() {
                let len = path.len();
                path.push_str(&format!("[{i}]"));
                resolve_strings(item, ctx, here, path, found);
                path.truncate(len);
            }
        }
        Value::Object(map) => {
            for (key, item) in map.iter_mut() {
                let len = path.len();
                if !path.is_empty() {
                    path.push('.');
                }
                path.push_str(key);
                resolve_strings(item, ctx, here, path, found);
                path.truncate(len);
            }
        }
        _ => {}
    }
}

/// The names slsr derives from each state machine's fit AWS's limits, and what events name
/// as their state machine is declared.
pub fn check(p: &Project, diags: &mut Vec<Diagnostic>) {
    for (name, sm) in &p.state_machines {
        let base = format!("state_machines.{name}");
        let at = p.spans.key(&base).unwrap_or(span(p, &base));
        super::rules::check_tag_map(p, &format!("{base}.tags"), &sm.tags, diags);
        if !super::names::valid_key(name) {
            diags.push(
                Diagnostic::error(Code::InvalidName, at, format!("`{name}` cannot name a state machine"))
                    .with_help("state machine keys are letters, digits, `-` and `_`, starting with a letter or digit"),
            );
            continue;
        }
        let physical = sm.name.clone().unwrap_or_else(|| p.physical_name(name));
        if physical.len() > MAX_NAME {
            diags.push(
                Diagnostic::error(
                    Code::InvalidName,
                    at,
                    format!(
                        "state machine name `{physical}` is {} characters; Step Functions allows {MAX_NAME}",
                        physical.len()
                    ),
                )
                .with_help("shorten the key, or give the state machine a shorter `name`"),
            );
        }
        if sm.role.is_none() {
            let role = format!("{}{ROLE_SUFFIX}", p.physical_name(name));
            super::rules::name_length(&role, Kind::Role, at, diags);
        }
        if sm.logging.is_none() && sm.log_retention_days.is_some() {
            diags.push(
                Diagnostic::error(
                    Code::Conflict,
                    span(p, &format!("{base}.log_retention_days")),
                    format!("state machine `{name}` keeps logs but writes none"),
                )
                .with_help(
                    "add `logging: {level: error}` (or all), or remove `log_retention_days`",
                ),
            );
        }
    }
    for (function, f) in &p.functions {
        for (i, event) in f.events.iter().flatten().enumerate() {
            let (field, target) = match event {
                Event::Schedule(ScheduleEvent::Detailed(s)) => ("schedule", &s.state_machine),
                Event::Eventbridge(e) => ("eventbridge", &e.state_machine),
                _ => continue,
            };
            let Some(target) = target else { continue };
            let path = format!(
                "{}[{i}].{field}.state_machine",
                super::rules::events_path(p, function)
            );
            if !p.state_machines.contains_key(target) {
                diags.push(undeclared(
                    span(p, &path),
                    "state machine",
                    target,
                    p.state_machines.keys(),
                    "state_machines",
                ));
                continue;
            }
            let role = format!("{}{EVENTS_ROLE_SUFFIX}", p.physical_name(target));
            super::rules::name_length(&role, Kind::Role, span(p, &path), diags);
        }
    }
}
