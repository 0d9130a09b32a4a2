//! `${...}` references: found in every string of the spec and replaced by their values.
//!
//! Runs on the positioned YAML tree, before structural validation, so that a scalar that
//! is exactly one reference can take the referenced value's type (`memory: ${param:memory}`
//! becomes a number) and so that an unknown reference is reported at its own column.
//! References to what apply creates (`${queue:jobs.url}`...) and to SSM are checked for
//! form and target here and left in the text: later stages resolve them.

use std::cell::Cell;
use std::collections::{BTreeMap, BTreeSet};

use crate::spec::diag::{Code, Diagnostic};
use crate::spec::source::Span;
use crate::spec::yaml::{self, Node, Value};

/// What references resolve to. `None` for region or account keeps the reference as text:
/// a plan shows it as a placeholder.
pub struct Context<'a> {
    pub service: String,
    pub stage: String,
    pub region: Option<String>,
    pub account_id: Option<String>,
    /// The params of the chosen stage, `default` merged under it.
    pub params: BTreeMap<String, Node>,
    /// Names the spec declares, for `${queue:NAME...}` and friends.
    pub declared: Declared,
    pub env: &'a dyn Fn(&str) -> Option<String>,
    /// What the references have added so far.
    pub growth: Growth,
}

/// What references may add to the spec in all, in the YAML reader's own bounds: a
/// `${param:...}` holding a long string or a big list, repeated a thousand times, would
/// otherwise grow a small file into gigabytes, as aliases could.
#[derive(Default)]
pub struct Growth {
    nodes: Cell<usize>,
    bytes: Cell<usize>,
    /// Where a bound was crossed, and which; nothing is replaced after that.
    exceeded: Cell<Option<(Span, &'static str)>>,
}

impl Growth {
    /// Counts what one reference adds; false once over a bound.
    fn add(&self, nodes: usize, bytes: usize, at: Span) -> bool {
        self.nodes.set(self.nodes.get().saturating_add(nodes));
        self.bytes.set(self.bytes.get().saturating_add(bytes));
        let over = if self.nodes.get() > yaml::MAX_NODES {
            Some("nodes")
        } else if self.bytes.get() > yaml::MAX_TEXT_BYTES {
            Some("text")
        } else {
            None
        };
        if let Some(what) = over
            && self.exceeded.get().is_none()
        {
            self.exceeded.set(Some((at, what)));
        }
        self.exceeded.get().is_none()
    }

    /// Where the references crossed a bound, and a message saying which.
    pub fn exceeded(&self) -> Option<(Span, String)> {
        let (at, what) = self.exceeded.get()?;
        let bound = if what == "nodes" {
            format!("{} nodes", yaml::MAX_NODES)
        } else {
            format!("{} MiB of text", yaml::MAX_TEXT_BYTES >> 20)
        };
        Some((
            at,
            format!(
                "`${{...}}` references expand the spec to more than {bound}, slsr's bound for a spec once references are replaced; use each long param less often"
            ),
        ))
    }
}

#[derive(Default)]
pub struct Declared {
    pub queues: BTreeSet<String>,
    pub functions: BTreeSet<String>,
    pub roles: BTreeSet<String>,
    pub tables: BTreeSet<String>,
    pub buckets: BTreeSet<String>,
    pub state_machines: BTreeSet<String>,
    pub topics: BTreeSet<String>,
    pub streams: BTreeSet<String>,
    pub secrets: BTreeSet<String>,
    /// The APIs the spec gives a `domain` (`http_api`, `rest_api`), for `${http_api.domain_target}`.
    pub domains: BTreeSet<String>,
}

/// The references to what the spec declares, `${KIND:NAME.ATTRIBUTE}`: each kind's word and
/// its attributes. The one list: validation, the planner's substitution
/// (`engine::desired::fill_references`) and the outputs' dependencies
/// (`engine::outputs::names`) all match `reference_pattern`, made from it.
pub const RESOURCE_REFERENCES: &[(&str, &[&str])] = &[
    ("queue", &["url", "arn"]),
    ("function", &["arn", "name", "url"]),
    ("role", &["arn"]),
    ("table", &["name", "arn", "stream_arn"]),
    ("bucket", &["name", "arn"]),
    ("topic", &["arn"]),
    ("stream", &["arn"]),
    ("state_machine", &["arn", "name"]),
    ("secret", &["arn"]),
];

/// `${KIND:NAME.ATTRIBUTE}` for the kinds of `RESOURCE_REFERENCES` (captures: kind, name,
/// attribute), or `${http_api.url}`, `${rest_api.url}`, `${http_api.domain_target}`,
/// `${http_api.domain_zone_id}` and the same of `rest_api` (captures 4 and 5: the API and
/// the attribute), or `${rest_api.api_keys.NAME.id}` (capture 6: the key's name).
pub fn reference_pattern() -> &'static regex_lite::Regex {
    static PATTERN: std::sync::OnceLock<regex_lite::Regex> = std::sync::OnceLock::new();
    PATTERN.get_or_init(|| {
        let kinds: Vec<&str> = RESOURCE_REFERENCES.iter().map(|(k, _)| *k).collect();
        let mut attributes: Vec<&str> = RESOURCE_REFERENCES
            .iter()
            .flat_map(|(_, a)| a.iter().copied())
            .collect();
        attributes.sort();
        attributes.dedup();
        regex_lite::Regex::new(&format!(
            r"\$\{{({}):([A-Za-z0-9_.-]+?)\.({})\}}|\$\{{(http_api|rest_api)\.(url|domain_target|domain_zone_id)\}}|\$\{{rest_api\.api_keys\.([A-Za-z0-9_-]+)\.id\}}",
            kinds.join("|"),
            attributes.join("|")
        ))
        .expect("a valid pattern")
    })
}

impl Declared {
    /// The declared names of a kind of `RESOURCE_REFERENCES`; none for a word this does not
    /// know, so that a reference kind listed without its names is never another's.
    fn of(&self, kind: &str) -> &BTreeSet<String> {
        static NONE: BTreeSet<String> = BTreeSet::new();
        match kind {
            "role" => &self.roles,
            "queue" => &self.queues,
            "function" => &self.functions,
            "table" => &self.tables,
            "bucket" => &self.buckets,
            "state_machine" => &self.state_machines,
            "topic" => &self.topics,
            "stream" => &self.streams,
            "secret" => &self.secrets,
            _ => &NONE,
        }
    }
}

const FORMS: &str = "${service}, ${stage}, ${region}, ${account_id}, ${param:NAME}, ${env:NAME}, ${env:NAME, default}, ${queue:NAME.url|arn}, ${function:NAME.arn|name|url}, ${role:NAME.arn}, ${table:NAME.name|arn|stream_arn}, ${bucket:NAME.name|arn}, ${topic:NAME.arn}, ${stream:NAME.arn}, ${state_machine:NAME.arn|name}, ${secret:NAME.arn}, ${http_api.url|domain_target|domain_zone_id}, ${rest_api.url|domain_target|domain_zone_id}, ${rest_api.api_keys.NAME.id}, ${ssm:/path}";

/// What one reference stands for.
enum Resolved {
    /// A value to put in its place (a param keeps its YAML type).
    Value(Value),
    /// Text to splice in, typed like a plain scalar when it is the whole value (env vars).
    PlainText(String),
    /// Left as written; resolved later (known after apply, SSM, or a placeholder).
    Kept,
}

/// Replaces references in every string value of `node` (keys are left alone), until they
/// have added more than the bounds of `Growth`.
pub fn interpolate(node: &mut Node, ctx: &Context, diags: &mut Vec<Diagnostic>) {
    if ctx.growth.exceeded.get().is_some() {
        return;
    }
    match &mut node.value {
        Value::Str(_) => interpolate_scalar(node, ctx, diags),
        Value::Seq(items) => items
            .iter_mut()
            .for_each(|item| interpolate(item, ctx, diags)),
        Value::Map(entries) => entries
            .iter_mut()
            .for_each(|(_, v)| interpolate(v, ctx, diags)),
        _ => {}
    }
}

fn interpolate_scalar(node: &mut Node, ctx: &Context, diags: &mut Vec<Diagnostic>) {
    let Value::Str(text) = &node.value else {
        return;
    };
    if !text.contains("${") {
        return;
    }
    let text = text.clone();
    let mut out = String::new();
    let mut rest = text.as_str();
    let mut offset = 0;
    let mut whole: Option<Resolved> = None;
    let mut failed = false;
    while let Some(start) = rest.find("${") {
        out.push_str(&rest[..start]);
        let after = &rest[start + 2..];
        let column = offset + start;
        let Some(end) = after.find('}') else {
            diags.push(
                Diagnostic::error(
                    Code::UnknownReference,
                    sub_span(node, &text, column, rest.len() - start),
                    "`${` is not closed with `}`",
                )
                .with_help(format!("references are written {FORMS}")),
            );
            return;
        };
        let inner = &after[..end];
        let reference_len = end + 3;
        let span = sub_span(node, &text, column, reference_len);
        match resolve(inner, ctx, span) {
            Ok(resolved) => {
                let is_whole = start == 0 && reference_len == rest.len() && offset == 0;
                let (nodes, bytes) = match &resolved {
                    Resolved::Value(v) if is_whole => (v.size() - 1, v.text_bytes()),
                    Resolved::Value(v) => (0, value_text(v).len()),
                    Resolved::PlainText(s) => (0, s.len()),
                    Resolved::Kept => (0, 0),
                };
                if !ctx.growth.add(nodes, bytes, span) {
                    return;
                }
                match &resolved {
                    Resolved::Value(v) => out.push_str(&value_text(v)),
                    Resolved::PlainText(s) => out.push_str(s),
                    Resolved::Kept => out.push_str(&rest[start..start + reference_len]),
                }
                if is_whole {
                    whole = Some(resolved);
                }
            }
            Err(d) => {
                diags.push(d);
                failed = true;
            }
        }
        offset += start + reference_len;
        rest = &rest[start + reference_len..];
    }
    out.push_str(rest);
    if failed {
        return;
    }
    node.value = match whole {
        Some(Resolved::Value(v)) => v,
        Some(Resolved::PlainText(s)) if !node.quoted => yaml::type_plain(&s),
        _ => Value::Str(out),
    };
}

/// Why a `${ssm:...}` name is not one SSM accepts: a path of letters, digits and `_.-/`,
/// optionally `:` and a version number or a label (a selector, which GetParameters takes).
fn ssm_name_error(arg: &str) -> Option<&'static str> {
    let (name, selector) = match arg.split_once(':') {
        Some((n, s)) => (n, Some(s)),
        None => (arg, None),
    };
    let path_char = |c: char| c.is_ascii_alphanumeric() || matches!(c, '_' | '.' | '-' | '/');
    if name.len() < 2 || !name.chars().all(path_char) || name.ends_with('/') {
        return Some("a name is `/` and letters, digits, `_`, `.`, `-` and `/`");
    }
    match selector {
        Some("") => Some("a version or label must follow `:`"),
        Some(s)
            if !s
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || matches!(c, '_' | '.' | '-')) =>
        {
            Some("a version is a number and a label is letters, digits, `_`, `.` and `-`")
        }
        _ => None,
    }
}

fn resolve(inner: &str, ctx: &Context, span: Span) -> Result<Resolved, Diagnostic> {
    let unknown = |message: String, help: String| {
        Diagnostic::error(Code::UnknownReference, span, message)
            .with_label("unknown reference")
            .with_help(help)
    };
    let trimmed = inner.trim();
    match trimmed {
        "service" => return Ok(Resolved::Value(Value::Str(ctx.service.clone()))),
        "stage" => return Ok(Resolved::Value(Value::Str(ctx.stage.clone()))),
        "region" => {
            return Ok(ctx
                .region
                .clone()
                .map_or(Resolved::Kept, |r| Resolved::Value(Value::Str(r))));
        }
        "account_id" => {
            return Ok(ctx
                .account_id
                .clone()
                .map_or(Resolved::Kept, |a| Resolved::Value(Value::Str(a))));
        }
        "http_api.url" | "rest_api.url" => return Ok(Resolved::Kept),
        // A key's id (never its value); `rest_key_rules` checks the key is declared.
        key if key_id_reference(key).is_some() => return Ok(Resolved::Kept),
        "http_api.domain_target"
        | "http_api.domain_zone_id"
        | "rest_api.domain_target"
        | "rest_api.domain_zone_id" => {
            let (api, _) = trimmed.split_once('.').unwrap_or_default();
            if ctx.declared.domains.contains(api) {
                return Ok(Resolved::Kept);
            }
            let which = if api == "rest_api" { "REST" } else { "HTTP" };
            return Err(Diagnostic::error(
                Code::Undeclared,
                span,
                format!("`${{{trimmed}}}` refers to the {which} API's custom domain, which the spec does not declare"),
            )
            .with_label("no domain")
            .with_help(format!("declare it under `{api}: {{domain: {{name: ..., certificate: ...}}}}`")));
        }
        _ => {}
    }
    let Some((kind, arg)) = trimmed.split_once(':') else {
        let bare = [
            "service",
            "stage",
            "region",
            "account_id",
            "http_api.url",
            "rest_api.url",
            "http_api.domain_target",
            "http_api.domain_zone_id",
            "rest_api.domain_target",
            "rest_api.domain_zone_id",
        ];
        let help = match super::structure::closest(trimmed, bare.iter().copied()) {
            Some(best) => format!("did you mean `${{{best}}}`?"),
            None => format!("references are written {FORMS}"),
        };
        return Err(unknown(format!("unknown reference `${{{inner}}}`"), help));
    };
    let arg = arg.trim();
    match kind.trim() {
        "param" => match ctx.params.get(arg) {
            Some(node) => Ok(Resolved::Value(node.value.clone())),
            None => {
                let known: Vec<&str> = ctx.params.keys().map(String::as_str).collect();
                let help = match super::structure::closest(arg, known.iter().copied()) {
                    Some(best) => format!("did you mean `${{param:{best}}}`?"),
                    None if known.is_empty() => format!(
                        "declare it under `params: {{default: {{{arg}: ...}}}}` or under `params.{}`",
                        ctx.stage
                    ),
                    None => format!("params for stage {}: {}", ctx.stage, known.join(", ")),
                };
                Err(unknown(
                    format!("no param `{arg}` for stage `{}`", ctx.stage),
                    help,
                ))
            }
        },
        "env" => {
            let (name, default) = match arg.split_once(',') {
                Some((n, d)) => (n.trim(), Some(d.trim())),
                None => (arg, None),
            };
            match ((ctx.env)(name), default) {
                (Some(v), _) => Ok(Resolved::PlainText(v)),
                (None, Some(d)) => Ok(Resolved::PlainText(unquote(d).to_string())),
                (None, None) => Err(Diagnostic::error(
                    Code::UnknownReference,
                    span,
                    format!("environment variable `{name}` is not set"),
                )
                .with_label("not set")
                .with_help(format!(
                    "set {name}, or give a default: ${{env:{name}, VALUE}}"
                ))),
            }
        }
        "ssm" if arg.starts_with('/') => match ssm_name_error(arg) {
            None => Ok(Resolved::Kept),
            Some(why) => Err(unknown(
                format!("`{arg}` is not an SSM parameter name: {why}"),
                "write ${ssm:/path/name}, ${ssm:/path/name:VERSION} or ${ssm:/path/name:LABEL}"
                    .into(),
            )),
        },
        "ssm" => Err(unknown(
            format!("SSM parameter name `{arg}` must start with /"),
            "write ${ssm:/path/name}".into(),
        )),
        kind if RESOURCE_REFERENCES.iter().any(|(k, _)| *k == kind) => {
            let (name, attribute) = arg.split_once('.').unwrap_or((arg, ""));
            let attributes = RESOURCE_REFERENCES
                .iter()
                .find(|(k, _)| *k == kind)
                .map_or(&[][..], |(_, a)| *a);
            let names = ctx.declared.of(kind);
            if !names.contains(name) {
                let plural = format!("{kind}s");
                let help = match super::structure::closest(name, names.iter().map(String::as_str)) {
                    Some(best) => format!("did you mean `{best}`?"),
                    None => format!(
                        "declare it under `{}`",
                        if kind == "function" {
                            "functions"
                        } else {
                            plural.as_str()
                        }
                    ),
                };
                return Err(Diagnostic::error(Code::Undeclared, span, format!("`${{{trimmed}}}` refers to {kind} `{name}`, which the spec does not declare"))
                    .with_label("undeclared")
                    .with_help(help));
            }
            if !attributes.contains(&attribute) {
                return Err(unknown(
                    format!("`{attribute}` is not an attribute of a {kind}"),
                    format!(
                        "write {}",
                        attributes
                            .iter()
                            .map(|a| format!("${{{kind}:{name}.{a}}}"))
                            .collect::<Vec<_>>()
                            .join(" or ")
                    ),
                ));
            }
            Ok(Resolved::Kept)
        }
        other => {
            let kinds = ["param", "env", "ssm"]
                .into_iter()
                .chain(RESOURCE_REFERENCES.iter().map(|(k, _)| *k));
            let help = match super::structure::closest(other, kinds) {
                Some(best) => format!("did you mean `${{{best}:{arg}}}`?"),
                None => format!("references are written {FORMS}"),
            };
            Err(unknown(format!("unknown reference `${{{inner}}}`"), help))
        }
    }
}

fn unquote(s: &str) -> &str {
    for q in ['"', '\''] {
        if let Some(inner) = s.strip_prefix(q).and_then(|s| s.strip_suffix(q)) {
            return inner;
        }
    }
    s
}

fn value_text(v: &Value) -> String {
    match v {
        Value::Str(s) => s.clone(),
        Value::Null => String::new(),
        Value::Bool(b) => b.to_string(),
        Value::Int(i) => i.to_string(),
        Value::Float(f) => f.to_string(),
        Value::Seq(_) | Value::Map(_) => "<structured value>".into(),
    }
}

/// The span of part of a scalar; exact on a one-line scalar, else the whole scalar.
fn sub_span(node: &Node, text: &str, char_offset: usize, len: usize) -> Span {
    let s = node.span;
    if s.line != s.end_line || text.contains('\n') {
        return s;
    }
    let quote = usize::from(node.quoted);
    let col = s.col + quote + text[..char_offset].chars().count();
    Span {
        line: s.line,
        col,
        end_line: s.line,
        end_col: col + text[char_offset..char_offset + len].chars().count(),
    }
}

/// The key's name in `rest_api.api_keys.NAME.id`.
pub fn key_id_reference(inner: &str) -> Option<&str> {
    inner
        .strip_prefix("rest_api.api_keys.")?
        .strip_suffix(".id")
        .filter(|k| super::names::valid_key(k))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Each reference kind has its own declared names: none falls to another kind's.
    #[test]
    fn every_reference_kind_has_its_declared_names() {
        let one = |name: &str| BTreeSet::from([name.to_string()]);
        let declared = Declared {
            queues: one("queue"),
            functions: one("function"),
            roles: one("role"),
            tables: one("table"),
            buckets: one("bucket"),
            state_machines: one("state_machine"),
            topics: one("topic"),
            streams: one("stream"),
            secrets: one("secret"),
            domains: BTreeSet::new(),
        };
        for (kind, _) in RESOURCE_REFERENCES {
            assert_eq!(declared.of(kind), &one(kind), "{kind}");
        }
    }
}
