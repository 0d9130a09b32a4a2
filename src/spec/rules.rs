//! Rules that span fields: references between resources, routes, names, AWS's limits, and
//! the warnings about settings that deploy but misbehave.
//!
//! Runs on a structurally valid, defaults-merged `Project`, so every value has its type;
//! positions come from the project's `Spans`.

use std::collections::BTreeMap;

use super::escalation::{self, Escalation};
use super::load::Project;
use super::model::{Event, Function, HttpEvent, ScheduleEvent, Statement};
use super::names::{self, Kind};
use super::runtime::{self, Status};
use crate::spec::diag::{Code, Diagnostic};
use crate::spec::source::Span;

/// Lambda's default timeout, used where a function does not set one.
const LAMBDA_DEFAULT_TIMEOUT: u32 = 3;
/// SQS's default visibility timeout.
const SQS_DEFAULT_VISIBILITY: u32 = 30;
/// API Gateway's integration timeout: an HTTP function cannot answer later than this.
const HTTP_MAX_SECONDS: u32 = 30;
const METHODS: &[&str] = &[
    "GET", "POST", "PUT", "PATCH", "DELETE", "HEAD", "OPTIONS", "ANY",
];

pub fn check(p: &Project, diags: &mut Vec<Diagnostic>) {
    check_names(p, diags);
    check_url_references(p, diags);
    check_tags(p, diags);
    for (name, f) in &p.functions {
        check_function(p, name, f, diags);
    }
    check_routes(p, diags);
    check_queues(p, diags);
    super::event_names::check(p, diags);
    super::data_rules::check(p, diags);
    super::state_machines::check(p, diags);
    super::code_roots::check(p, diags);
    super::alarm_rules::check(p, diags);
    super::rest_rules::check(p, diags);
    super::domain_rules::check(p, diags);
    for (name, role) in &p.roles {
        check_statements(
            p,
            &format!("roles.{name}.statements"),
            &role.statements,
            diags,
        );
    }
}

pub(super) fn span(p: &Project, path: &str) -> Span {
    p.spans
        .value(path)
        .or_else(|| p.spans.key(path))
        .unwrap_or(Span::point(1, 1))
}

/// Where a function's `events` list was written: its own, or the one in `defaults`.
pub(super) fn events_path(p: &Project, function: &str) -> String {
    let own = format!("functions.{function}.events");
    if p.spans.value(&own).is_some() {
        own
    } else {
        "defaults.events".into()
    }
}

fn fn_key_span(p: &Project, name: &str) -> Span {
    p.spans
        .key(&format!("functions.{name}"))
        .unwrap_or(Span::point(1, 1))
}

fn unresolved(s: &str) -> bool {
    s.contains("${")
}

fn check_names(p: &Project, diags: &mut Vec<Diagnostic>) {
    let sections: [(&str, Vec<&String>, Kind); 3] = [
        ("functions", p.functions.keys().collect(), Kind::Function),
        ("queues", p.queues.keys().collect(), Kind::Queue),
        ("roles", p.roles.keys().collect(), Kind::Role),
    ];
    for (section, keys, kind) in sections {
        for key in keys {
            let at = p
                .spans
                .key(&format!("{section}.{key}"))
                .unwrap_or(Span::point(1, 1));
            if !names::valid_key(key) {
                diags.push(
                    Diagnostic::error(
                        Code::InvalidName,
                        at,
                        format!("`{key}` cannot be part of an AWS name"),
                    )
                    .with_label("invalid name")
                    .with_help(
                        "names use letters, digits, `-` and `_`, starting with a letter or digit",
                    ),
                );
                continue;
            }
            let mut physical = p.physical_name(key);
            if section == "queues" && p.queues[key].fifo == Some(true) {
                physical.push_str(".fifo");
            }
            name_length(&physical, kind, at, diags);
        }
    }
    for (name, f) in &p.functions {
        let at = p
            .spans
            .key(&format!("functions.{name}"))
            .unwrap_or(Span::point(1, 1));
        let has_rule = f
            .events
            .iter()
            .flatten()
            .any(|e| matches!(e, Event::Schedule(_) | Event::Eventbridge(_)));
        if has_rule && names::valid_key(name) {
            let rule = format!("{}-xxxxxxxx", p.physical_name(name));
            debug_assert_eq!(
                rule.len(),
                p.physical_name(name).len() + names::RULE_SUFFIX_LEN
            );
            name_length(&rule, Kind::Rule, at, diags);
        }
        if f.role.is_none() && p.roles.contains_key(name) {
            diags.push(Diagnostic::error(Code::Conflict, at, format!("function `{name}` gets a generated role named like the declared role `{name}`"))
                .with_label("role name taken")
                .with_help(format!("give the function `role: {name}`, or rename the role or the function")));
        }
    }
    let api = format!("{}-{}", p.service, p.stage);
    if api.len() > Kind::HttpApi.max_len() {
        name_length(&api, Kind::HttpApi, span(p, "service"), diags);
    }
}

pub(super) fn name_length(physical: &str, kind: Kind, at: Span, diags: &mut Vec<Diagnostic>) {
    if physical.len() > kind.max_len() {
        diags.push(
            Diagnostic::error(
                Code::InvalidName,
                at,
                format!(
                    "the {} `{physical}` is {} characters, over AWS's limit of {}",
                    kind.noun(),
                    physical.len(),
                    kind.max_len()
                ),
            )
            .with_label("name too long")
            .with_help(
                "names are {service}-{stage}-{name}; shorten the service, the stage or this name",
            ),
        );
    }
}

fn check_tags(p: &Project, diags: &mut Vec<Diagnostic>) {
    check_tag_map(p, "tags", &p.tags, diags);
}

/// Tags written at `path` (`tags`, `tables.orders.tags`): AWS's limits and reserved prefixes.
pub(super) fn check_tag_map(
    p: &Project,
    path: &str,
    tags: &BTreeMap<String, String>,
    diags: &mut Vec<Diagnostic>,
) {
    for (key, value) in tags {
        let at = p
            .spans
            .key(&format!("{path}.{key}"))
            .unwrap_or(Span::point(1, 1));
        let lower = key.to_lowercase();
        if lower.starts_with("aws:") || lower.starts_with("slsr:") {
            diags.push(Diagnostic::error(Code::InvalidName, at, format!("tag key `{key}` uses a reserved prefix")).with_label("reserved prefix")
                .with_help("`aws:` belongs to AWS and `slsr:` to slsr's ownership tags; choose another key"));
        } else if key.is_empty() || key.chars().count() > 128 || value.chars().count() > 256 {
            diags.push(
                Diagnostic::error(
                    Code::InvalidName,
                    at,
                    format!("tag `{key}` is outside AWS's limits"),
                )
                .with_help("tag keys are 1 to 128 characters, values at most 256"),
            );
        }
    }
}

fn check_function(p: &Project, name: &str, f: &Function, diags: &mut Vec<Diagnostic>) {
    let own = |field: &str| p.spans.value(&format!("functions.{name}.{field}"));
    let fn_key = p
        .spans
        .key(&format!("functions.{name}"))
        .unwrap_or(Span::point(1, 1));
    match (&f.code, &f.image) {
        (Some(_), Some(_)) => diags.push(Diagnostic::error(Code::CodeOrImage, own("image").unwrap_or(fn_key), format!("function `{name}` has both `code` and `image`"))
            .with_label("second source of code")
            .with_help("a function is either a zip (`code`, with `handler` and `runtime`) or a container `image`; remove one")),
        (None, None) if own("code").is_none() && own("image").is_none() => diags.push(Diagnostic::error(Code::CodeOrImage, fn_key, format!("function `{name}` has neither `code` nor `image`"))
            .with_label("no code")
            .with_help("add `code: ./path` (a directory or .zip) with `handler` and `runtime`, or `image: URI`")),
        (None, None) => {}
        (Some(_), None) => {
            for field in ["handler", "runtime"] {
                let missing = if field == "handler" { f.handler.is_none() } else { f.runtime.is_none() };
                // Written but invalid (already reported): not missing.
                let written = own(field).is_some() || p.spans.value(&format!("defaults.{field}")).is_some();
                if missing && !written {
                    diags.push(Diagnostic::error(Code::CodeOrImage, fn_key, format!("function `{name}` has `code` but no `{field}`"))
                        .with_label(format!("no {field}"))
                        .with_help(format!("a zip function needs `{field}`, in the function or in `defaults`")));
                }
            }
        }
        (None, Some(_)) => {
            for field in ["handler", "runtime"] {
                if let Some(at) = own(field) {
                    diags.push(Diagnostic::error(Code::CodeOrImage, at, format!("function `{name}` is an image function and cannot have `{field}`"))
                        .with_label("not allowed with image")
                        .with_help("the image's own CMD and ENTRYPOINT set what runs; remove this field"));
                }
            }
        }
    }
    if let Some(r) = &f.runtime {
        let at = p.field_span(name, "runtime");
        match runtime::status(r) {
            Status::Supported => {}
            Status::Deprecated {
                successor,
                blocked: true,
            } => diags.push(
                Diagnostic::error(
                    Code::Runtime,
                    at,
                    format!("runtime `{r}` is deprecated and Lambda no longer accepts it"),
                )
                .with_label("deprecated runtime")
                .with_help(format!("use {successor}")),
            ),
            Status::Deprecated {
                successor,
                blocked: false,
            } => diags.push(
                Diagnostic::warning(
                    Code::DeprecatedRuntime,
                    at,
                    format!("runtime `{r}` is deprecated; Lambda will soon refuse updates to it"),
                )
                .with_label("deprecated runtime")
                .with_help(format!("move to {successor}")),
            ),
            Status::Unknown => {
                let best = super::structure::closest(r, runtime::SUPPORTED.iter().copied());
                diags.push(
                    Diagnostic::error(Code::Runtime, at, format!("unknown runtime `{r}`"))
                        .with_label("unknown runtime")
                        .with_help(match best {
                            Some(b) => format!("did you mean `{b}`?"),
                            None => format!("Lambda's runtimes: {}", runtime::SUPPORTED.join(", ")),
                        }),
                );
            }
        }
    }
    if let Some(role) = &f.role {
        let at = p.field_span(name, "role");
        if role.starts_with("arn:") {
            let ok = unresolved(role)
                || regex_lite::Regex::new(r"^arn:aws[a-z-]*:iam::\d{12}:role/[\w+=,.@/-]+$")
                    .expect("valid regex")
                    .is_match(role);
            if !ok {
                diags.push(
                    Diagnostic::error(
                        Code::InvalidValue,
                        at,
                        format!("`{role}` is not an IAM role ARN"),
                    )
                    .with_help("a role ARN looks like arn:aws:iam::123456789012:role/NAME"),
                );
            }
        } else if !p.roles.contains_key(role) {
            diags.push(undeclared(at, "role", role, p.roles.keys(), "roles"));
        }
        if f.statements.is_some() {
            let at = p
                .spans
                .key(&format!("functions.{name}.statements"))
                .unwrap_or_else(|| p.field_span(name, "statements"));
            diags.push(Diagnostic::error(Code::Conflict, at, format!("function `{name}` has both `role` and `statements`"))
                .with_label("not allowed with role")
                .with_help("`statements` extend the generated role; add them to the declared role instead, or remove `role`"));
        }
    }
    if let Some(statements) = &f.statements {
        let path = if own("statements").is_some() {
            format!("functions.{name}.statements")
        } else {
            "defaults.statements".into()
        };
        check_statements(p, &path, statements, diags);
    }
    check_env(p, name, f, diags);
    if let Some(arn) = &f.kms_key_arn
        && !unresolved(arn)
        && !regex_lite::Regex::new(r"^arn:aws[a-z-]*:kms:[a-z0-9-]+:\d{12}:key/[A-Za-z0-9-]+$")
            .expect("valid regex")
            .is_match(arn)
    {
        diags.push(
            Diagnostic::error(
                Code::InvalidValue,
                p.field_span(name, "kms_key_arn"),
                format!("`{arn}` is not a KMS key ARN"),
            )
            .with_help("a key ARN looks like arn:aws:kms:REGION:ACCOUNT:key/KEY-ID"),
        );
    }
    for (i, layer) in f.layers.iter().flatten().enumerate() {
        if !unresolved(layer)
            && !regex_lite::Regex::new(
                r"^arn:aws[a-z-]*:lambda:[a-z0-9-]+:\d{12}:layer:[A-Za-z0-9_-]+:\d+$",
            )
            .expect("valid regex")
            .is_match(layer)
        {
            let path = if own("layers").is_some() {
                format!("functions.{name}.layers[{i}]")
            } else {
                format!("defaults.layers[{i}]")
            };
            diags.push(Diagnostic::error(Code::InvalidValue, span(p, &path), format!("`{layer}` is not a layer version ARN"))
                .with_help("a layer version ARN looks like arn:aws:lambda:REGION:ACCOUNT:layer:NAME:VERSION"));
        }
    }
    if let Some(vpc) = &f.vpc {
        let base = if own("vpc").is_some() {
            format!("functions.{name}.vpc")
        } else {
            "defaults.vpc".into()
        };
        for (field, ids, prefix) in [
            ("subnet_ids", &vpc.subnet_ids, "subnet-"),
            ("security_group_ids", &vpc.security_group_ids, "sg-"),
        ] {
            for (i, id) in ids.iter().enumerate() {
                let hex = id
                    .strip_prefix(prefix)
                    .is_some_and(|h| !h.is_empty() && h.chars().all(|c| c.is_ascii_hexdigit()));
                if !hex && !unresolved(id) {
                    diags.push(
                        Diagnostic::error(
                            Code::InvalidValue,
                            span(p, &format!("{base}.{field}[{i}]")),
                            format!(
                                "`{id}` is not a valid {} id",
                                if prefix == "sg-" {
                                    "security group"
                                } else {
                                    "subnet"
                                }
                            ),
                        )
                        .with_label("invalid id")
                        .with_help(format!("ids look like {prefix}0123456789abcdef0")),
                    );
                }
            }
        }
    }
    if let (Some(provisioned), Some(reserved)) = (f.provisioned_concurrency, f.reserved_concurrency)
        && provisioned > reserved
    {
        diags.push(Diagnostic::error(Code::Conflict, p.field_span(name, "provisioned_concurrency"), format!("provisioned concurrency {provisioned} exceeds the reserved concurrency {reserved}"))
            .with_help("Lambda cannot keep more environments warm than the function may run"));
    }
    if let Some(on_failure) = f.async_invoke.as_ref().and_then(|a| a.on_failure.as_ref())
        && !p.queues.contains_key(&on_failure.queue)
    {
        diags.push(undeclared(
            p.field_span(name, "async"),
            "queue",
            &on_failure.queue,
            p.queues.keys(),
            "queues",
        ));
    }
    check_events(p, name, f, diags);
}

pub(super) fn undeclared<'a>(
    at: Span,
    kind: &str,
    name: &str,
    known: impl Iterator<Item = &'a String>,
    section: &str,
) -> Diagnostic {
    let known: Vec<&str> = known.map(String::as_str).collect();
    let help = match super::structure::closest(name, known.iter().copied()) {
        Some(best) => format!("did you mean `{best}`?"),
        None if known.is_empty() => format!("declare it under `{section}:`"),
        None => format!("declared {section}: {}", known.join(", ")),
    };
    Diagnostic::error(
        Code::Undeclared,
        at,
        format!("{kind} `{name}` is not declared"),
    )
    .with_label(format!("no such {kind}"))
    .with_help(help)
}

fn check_env(p: &Project, name: &str, f: &Function, diags: &mut Vec<Diagnostic>) {
    let Some(env) = &f.env else { return };
    let key_span = |key: &str| {
        p.spans
            .key(&format!("functions.{name}.env.{key}"))
            .or_else(|| p.spans.key(&format!("defaults.env.{key}")))
            .unwrap_or_else(|| p.field_span(name, "env"))
    };
    let mut total = 0;
    for (key, value) in env {
        total += key.len() + value.0.len();
        if !names::valid_env_name(key) {
            diags.push(Diagnostic::error(Code::InvalidEnvName, key_span(key), format!("`{key}` is not a valid environment variable name"))
                .with_label("invalid name")
                .with_help("Lambda requires a letter, then letters, digits or `_`, at least two characters"));
        } else if names::RESERVED_ENV.contains(&key.as_str()) {
            diags.push(
                Diagnostic::error(
                    Code::InvalidEnvName,
                    key_span(key),
                    format!("`{key}` is reserved by Lambda"),
                )
                .with_label("reserved name")
                .with_help("Lambda sets this variable itself; choose another name"),
            );
        }
    }
    if total > names::ENV_LIMIT {
        let at = p
            .spans
            .key(&format!("functions.{name}.env"))
            .or_else(|| p.spans.key("defaults.env"))
            .unwrap_or(fn_key_span(p, name));
        let (largest, value) = env
            .iter()
            .max_by_key(|(k, v)| k.len() + v.0.len())
            .expect("a non-empty environment");
        diags.push(Diagnostic::error(Code::EnvTooLarge, at, format!("function `{name}`'s environment is {total} bytes, over Lambda's 4 KB limit"))
            .with_label(format!("largest: {largest} ({} bytes)", largest.len() + value.0.len()))
            .with_help("keys and values together must fit in 4096 bytes; move large values to SSM Parameter Store or a file in the package"));
    }
}

fn check_events(p: &Project, name: &str, f: &Function, diags: &mut Vec<Diagnostic>) {
    let base = events_path(p, name);
    let timeout = f.timeout.unwrap_or(LAMBDA_DEFAULT_TIMEOUT);
    let mut warned_http_timeout = false;
    for (i, event) in f.events.iter().flatten().enumerate() {
        match event {
            Event::Http(http) => {
                let (route, auth, path) = match http {
                    HttpEvent::Route(r) => (r, None, format!("{base}[{i}].http")),
                    HttpEvent::Detailed(d) => {
                        (&d.route, d.auth.as_ref(), format!("{base}[{i}].http.route"))
                    }
                };
                if let Err(e) = check_route(route) {
                    diags.push(Diagnostic::error(Code::InvalidRoute, span(p, &path), format!("invalid route `{route}`: {e}"))
                        .with_label("invalid route")
                        .with_help("a route is `METHOD /path`, e.g. `GET /orders/{id}` or `ANY /{proxy+}`; METHOD is GET, POST, PUT, PATCH, DELETE, HEAD, OPTIONS or ANY"));
                }
                if let Some(auth) = auth
                    && auth != "none"
                    && auth != "iam"
                    && !p
                        .http_api
                        .as_ref()
                        .is_some_and(|api| api.authorizers.contains_key(auth))
                {
                    let known = p.http_api.iter().flat_map(|a| a.authorizers.keys());
                    let d = undeclared(
                        span(p, &format!("{base}[{i}].http.auth")),
                        "authorizer",
                        auth,
                        known,
                        "http_api.authorizers",
                    );
                    let help = format!(
                        "{} (`auth` is `none`, `iam`, or an authorizer under http_api.authorizers)",
                        d.help.clone().unwrap_or_default()
                    );
                    diags.push(d.with_help(help));
                }
                if timeout > HTTP_MAX_SECONDS && !warned_http_timeout {
                    warned_http_timeout = true;
                    diags.push(Diagnostic::warning(Code::HttpTimeout, p.field_span(name, "timeout"), format!("function `{name}` serves HTTP routes but its timeout is {timeout} s"))
                        .with_help("API Gateway gives up after 30 s; callers get a 503 while the function runs on"));
                }
            }
            Event::Schedule(s) => {
                let (expression, path) = match s {
                    ScheduleEvent::Expression(e) => (e, format!("{base}[{i}].schedule")),
                    ScheduleEvent::Detailed(d) => {
                        (&d.expression, format!("{base}[{i}].schedule.expression"))
                    }
                };
                if let Err(e) = super::messaging_rules::check_expression(expression) {
                    diags.push(
                        Diagnostic::error(
                            Code::InvalidSchedule,
                            span(p, &path),
                            format!("invalid schedule `{expression}`"),
                        )
                        .with_label("EventBridge rejects this")
                        .with_help(e),
                    );
                }
            }
            Event::Eventbridge(e) => {
                if e.pattern.is_empty() {
                    diags.push(
                        Diagnostic::error(
                            Code::InvalidValue,
                            span(p, &format!("{base}[{i}].eventbridge.pattern")),
                            "an event pattern must match on at least one field",
                        )
                        .with_help("for example pattern: {source: [orders.app]}"),
                    );
                }
            }
            // Checked with the data resources (`data_rules.rs`).
            Event::S3(_)
            | Event::Dynamodb(_)
            | Event::Sns(_)
            | Event::Kinesis(_)
            | Event::Rest(_) => {}
            Event::Sqs(sqs) => {
                let path = format!("{base}[{i}].sqs");
                match (&sqs.queue, &sqs.arn) {
                    (Some(_), Some(_)) => diags.push(Diagnostic::error(Code::Conflict, span(p, &format!("{path}.arn")), "an sqs event has both `queue` and `arn`")
                        .with_help("use `queue: NAME` for a queue this spec declares, `arn: ARN` for any other")),
                    (None, None) => diags.push(Diagnostic::error(Code::MissingField, span(p, &path), "an sqs event needs `queue` or `arn`")
                        .with_help("use `queue: NAME` for a queue this spec declares, `arn: ARN` for any other")),
                    (Some(q), None) if !p.queues.contains_key(q) => diags.push(undeclared(span(p, &format!("{path}.queue")), "queue", q, p.queues.keys(), "queues")),
                    _ => {}
                }
                let batch = sqs.batch_size.unwrap_or(10);
                let fifo = sqs
                    .queue
                    .as_ref()
                    .and_then(|q| p.queues.get(q))
                    .is_some_and(|q| q.fifo == Some(true))
                    || sqs.arn.as_ref().is_some_and(|a| a.ends_with(".fifo"));
                if fifo && batch > 10 {
                    diags.push(
                        Diagnostic::error(
                            Code::OutOfRange,
                            span(p, &format!("{path}.batch_size")),
                            format!("batch_size {batch} is over 10, the most a FIFO queue allows"),
                        )
                        .with_help("FIFO queues deliver at most 10 messages per batch"),
                    );
                } else if batch > 10 && sqs.batching_window.unwrap_or(0) == 0 {
                    diags.push(Diagnostic::error(Code::Conflict, span(p, &format!("{path}.batch_size")), format!("batch_size {batch} needs a batching_window of at least 1 second")).with_label("needs batching_window")
                        .with_help("Lambda takes batches over 10 only with a batching window; add batching_window"));
                }
                if let Some(q) = sqs.queue.as_ref().and_then(|q| p.queues.get(q)) {
                    let visibility = q.visibility_timeout.unwrap_or(SQS_DEFAULT_VISIBILITY);
                    if visibility < timeout.saturating_mul(6) {
                        let at = p
                            .spans
                            .value(&format!(
                                "queues.{}.visibility_timeout",
                                sqs.queue.as_deref().unwrap_or_default()
                            ))
                            .unwrap_or_else(|| span(p, &format!("{path}.queue")));
                        diags.push(Diagnostic::warning(Code::ShortVisibilityTimeout, at, format!("queue `{}` has a visibility timeout of {visibility} s, less than 6 x {timeout} s, the timeout of its consumer `{name}`", sqs.queue.as_deref().unwrap_or_default()))
                            .with_help(format!("AWS recommends at least 6 times the function's timeout, here {}; else messages are received again while still being processed", timeout * 6)));
                    }
                }
            }
        }
    }
}

/// A route key as API Gateway v2 accepts it: `METHOD /path`, `{param}` segments and a
/// final greedy `{proxy+}`.
pub fn check_route(route: &str) -> Result<(), String> {
    let Some((method, path)) = route.split_once(' ') else {
        return Err("expected `METHOD /path`".into());
    };
    if !METHODS.contains(&method) {
        return Err(
            match METHODS.iter().find(|m| m.eq_ignore_ascii_case(method)) {
                Some(m) => format!("methods are upper case: `{m}`"),
                None => format!("unknown method `{method}`"),
            },
        );
    }
    if !path.starts_with('/') {
        return Err("the path must start with `/`".into());
    }
    if path == "/" {
        return Ok(());
    }
    let segments: Vec<&str> = path[1..].split('/').collect();
    for (i, segment) in segments.iter().enumerate() {
        if segment.is_empty() {
            return Err("the path has an empty segment (`//` or a trailing `/`)".into());
        }
        if let Some(inner) = segment.strip_prefix('{') {
            let Some(name) = inner.strip_suffix('}') else {
                return Err(format!("segment `{segment}` opens `{{` without closing it"));
            };
            let (name, greedy) = match name.strip_suffix('+') {
                Some(n) => (n, true),
                None => (name, false),
            };
            if name.is_empty()
                || !name
                    .chars()
                    .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-')
            {
                return Err(format!(
                    "parameter `{segment}` needs a name of letters, digits, `_` or `-`"
                ));
            }
            if greedy && i + 1 != segments.len() {
                return Err(format!(
                    "the greedy parameter `{segment}` must be the last segment"
                ));
            }
        } else if segment.contains(['{', '}', ' ']) {
            return Err(format!(
                "segment `{segment}` mixes text with `{{` `}}` or spaces"
            ));
        }
    }
    Ok(())
}

/// Two functions (or one twice) claiming one route: API Gateway keeps one, silently.
/// Parameter names do not make routes different: `/a/{id}` and `/a/{key}` collide.
fn check_routes(p: &Project, diags: &mut Vec<Diagnostic>) {
    let mut seen: BTreeMap<String, (String, String, Span)> = BTreeMap::new();
    let mut any_http = false;
    for (name, f) in &p.functions {
        let base = events_path(p, name);
        for (i, event) in f.events.iter().flatten().enumerate() {
            let Event::Http(http) = event else { continue };
            any_http = true;
            let (route, path) = match http {
                HttpEvent::Route(r) => (r, format!("{base}[{i}].http")),
                HttpEvent::Detailed(d) => (&d.route, format!("{base}[{i}].http.route")),
            };
            if check_route(route).is_err() {
                continue;
            }
            let at = span(p, &path);
            let shape = route_shape(route);
            match seen.get(&shape) {
                Some((first, first_route, first_at)) => {
                    let same = if first_route == route {
                        format!("route `{route}`")
                    } else {
                        format!("route `{route}` is the same route as `{first_route}` and")
                    };
                    let why = if first_route == route {
                        String::new()
                    } else {
                        "; API Gateway ignores parameter names, so these are one route".to_string()
                    };
                    diags.push(
                        Diagnostic::error(
                            Code::DuplicateRoute,
                            at,
                            format!(
                                "{same} is already served by function `{first}` (line {})",
                                first_at.line
                            ),
                        )
                        .with_label("duplicate route")
                        .with_help(format!("one route goes to one function{why}")),
                    );
                }
                None => {
                    seen.insert(shape, (name.clone(), route.clone(), at));
                }
            }
        }
    }
    if p.http_api.is_some() && !any_http {
        diags.push(
            Diagnostic::warning(
                Code::Conflict,
                p.spans.key("http_api").unwrap_or(Span::point(1, 1)),
                "`http_api` is set but no function has an http event, so no API is created",
            )
            .with_help("add an `http: METHOD /path` event to a function, or remove http_api"),
        );
    }
}

pub(super) fn route_shape(route: &str) -> String {
    let (method, path) = route.split_once(' ').unwrap_or((route, ""));
    let path: Vec<String> = path
        .split('/')
        .map(|s| {
            if s.starts_with('{') && s.ends_with("+}") {
                "{+}".to_string()
            } else if s.starts_with('{') {
                "{}".to_string()
            } else {
                s.to_string()
            }
        })
        .collect();
    format!("{method} {}", path.join("/"))
}

fn check_queues(p: &Project, diags: &mut Vec<Diagnostic>) {
    for (name, q) in &p.queues {
        let fifo = q.fifo == Some(true);
        if q.content_based_deduplication == Some(true) && !fifo {
            diags.push(
                Diagnostic::error(
                    Code::Conflict,
                    span(p, &format!("queues.{name}.content_based_deduplication")),
                    "content-based deduplication needs a FIFO queue",
                )
                .with_help("add `fifo: true`, or remove content_based_deduplication"),
            );
        }
        let Some(dl) = &q.dead_letter else { continue };
        let at = span(p, &format!("queues.{name}.dead_letter.queue"));
        match p.queues.get(&dl.queue) {
            None => diags.push(undeclared(at, "dead-letter queue", &dl.queue, p.queues.keys(), "queues")),
            Some(_) if dl.queue == *name => diags.push(Diagnostic::error(Code::Conflict, at, format!("queue `{name}` is its own dead-letter queue"))
                .with_help("declare a separate queue for failed messages")),
            Some(target) if (target.fifo == Some(true)) != fifo => diags.push(Diagnostic::error(Code::Conflict, at, format!("queue `{name}` and its dead-letter queue `{}` must both be FIFO or both standard", dl.queue))
                .with_help("SQS requires a FIFO queue's dead-letter queue to be FIFO, and a standard queue's to be standard")),
            Some(_) => {}
        }
    }
}

fn check_statements(
    p: &Project,
    path: &str,
    statements: &[Statement],
    diags: &mut Vec<Diagnostic>,
) {
    for (i, s) in statements.iter().enumerate() {
        if s.effect == Some(super::model::Effect::Deny) {
            continue;
        }
        for (j, action) in s.actions.iter().enumerate() {
            let broad = action == "*" || action.ends_with(":*");
            if broad {
                diags.push(
                    Diagnostic::warning(
                        Code::BroadPermission,
                        span(p, &format!("{path}[{i}].actions[{j}]")),
                        format!(
                            "`{action}` grants every action{}",
                            if action == "*" { "" } else { " of the service" }
                        ),
                    )
                    .with_label("broad permission")
                    .with_help("name the actions the function calls, e.g. dynamodb:GetItem"),
                );
            }
        }
        for (j, action) in s.actions.iter().enumerate() {
            escalation_warning(p, &format!("{path}[{i}].actions[{j}]"), action, s, diags);
        }
        for (j, resource) in s.resources.iter().enumerate() {
            if resource == "*" {
                diags.push(Diagnostic::warning(Code::BroadPermission, span(p, &format!("{path}[{i}].resources[{j}]")), "resource `*` grants the actions on every resource in the account")
                    .with_label("broad permission")
                    .with_help("name the resources' ARNs; a few actions (e.g. xray:PutTraceSegments) only take `*`"));
            }
        }
    }
}

/// `${function:NAME.url}` names the URL of a function that has `url`: one without has none
/// to give.
fn check_url_references(p: &Project, diags: &mut Vec<Diagnostic>) {
    let pattern =
        regex_lite::Regex::new(r"\$\{function:([A-Za-z0-9_-]+)\.url\}").expect("valid regex");
    for (path, value) in reference_values(p) {
        for c in pattern.captures_iter(value) {
            let function = &c[1];
            if p.functions.get(function).is_some_and(|f| f.url.is_none()) {
                diags.push(
                    Diagnostic::error(
                        Code::Undeclared,
                        span(p, &path),
                        format!("`${{function:{function}.url}}` names the URL of function `{function}`, which has no `url`"),
                    )
                    .with_label("no function URL")
                    .with_help(format!("give function `{function}` a URL (`url: {{auth: iam}}` or `url: {{auth: none}}`), or remove the reference")),
                );
            }
        }
    }
}

/// The values where references to what apply makes are used, by their path: env values,
/// statements' resources and outputs.
pub(super) fn reference_values(p: &Project) -> Vec<(String, &str)> {
    let mut values: Vec<(String, &str)> = Vec::new();
    for (name, f) in &p.functions {
        for (key, value) in f.env.iter().flatten() {
            let own = format!("functions.{name}.env.{key}");
            let path = if p.spans.value(&own).is_some() {
                own
            } else {
                format!("defaults.env.{key}")
            };
            values.push((path, value.0.as_str()));
        }
        let own = format!("functions.{name}.statements");
        let base = if p.spans.value(&own).is_some() {
            own
        } else {
            "defaults.statements".into()
        };
        for (i, s) in f.statements.iter().flatten().enumerate() {
            for (j, r) in s.resources.iter().enumerate() {
                values.push((format!("{base}[{i}].resources[{j}]"), r.as_str()));
            }
        }
    }
    for (name, role) in &p.roles {
        for (i, s) in role.statements.iter().enumerate() {
            for (j, r) in s.resources.iter().enumerate() {
                values.push((
                    format!("roles.{name}.statements[{i}].resources[{j}]"),
                    r.as_str(),
                ));
            }
        }
    }
    for (name, output) in &p.outputs {
        values.push((format!("outputs.{name}.value"), output.value.as_str()));
    }
    values
}

/// Rules that need the account the plan deploys to: a function's `role` ARN must be in it,
/// for Lambda refuses to take a role from another account (and a role that can be passed
/// across accounts is a door worth closing anyway).
pub fn check_account(p: &Project, account: &str) -> Vec<Diagnostic> {
    let mut diags = Vec::new();
    for (name, f) in &p.functions {
        let Some(role) = f.role.as_deref().filter(|r| r.starts_with("arn:")) else {
            continue;
        };
        let owner = role.split(':').nth(4).unwrap_or_default();
        if owner != account && !unresolved(owner) {
            diags.push(
                Diagnostic::error(
                    Code::CrossAccountRole,
                    p.field_span(name, "role"),
                    format!(
                        "function `{name}`'s role is in account {owner}, and this plan deploys to account {account}"
                    ),
                )
                .with_label("role in another account")
                .with_help("Lambda takes only a role of the function's own account: declare the role under `roles`, or name a role of this account"),
            );
        }
    }
    diags
}

/// W304 when `action` allows a privilege-escalation action (by name or through a wildcard)
/// on a resource of the statement that is broad enough for it.
fn escalation_warning(
    p: &Project,
    path: &str,
    action: &str,
    statement: &Statement,
    diags: &mut Vec<Diagnostic>,
) {
    let broad: Vec<(&Escalation, &String)> = escalation::allowed_by(action)
        .into_iter()
        .filter_map(|e| {
            statement
                .resources
                .iter()
                .find(|r| escalation::broad_for(r, e))
                .map(|r| (e, r))
        })
        .collect();
    let Some(&(first, resource)) = broad.first() else {
        return;
    };
    let message = if first.action.eq_ignore_ascii_case(action) {
        format!("`{action}` on `{resource}` allows privilege escalation")
    } else if broad.len() == 1 {
        format!(
            "`{action}` on `{resource}` includes {}, which allows privilege escalation",
            first.action
        )
    } else {
        format!(
            "`{action}` on `{resource}` includes {} and {} more actions that allow privilege escalation",
            first.action,
            broad.len() - 1
        )
    };
    diags.push(
        Diagnostic::warning(Code::PrivilegeEscalation, span(p, path), message)
            .with_label("privilege escalation")
            .with_help(format!(
                "{} lets the role {}; name the exact actions and resource ARNs it needs instead",
                first.action, first.allows
            )),
    );
}
