//! Structural validation: a YAML tree checked against the spec's JSON Schema.
//!
//! A small interpreter for the subset of JSON Schema that schemars writes for `model.rs`
//! (types, properties, required, additionalProperties, enum, ranges, lengths, patterns,
//! items, $ref, anyOf/oneOf). It exists, rather than a JSON Schema crate, because it works
//! on the positioned YAML tree, reports every problem at once, and words each one for a
//! person: "did you mean", the field's own description as help.

use std::cell::RefCell;
use std::collections::HashMap;

use serde_json::{Map, Value};

use crate::spec::diag::{Code, Diagnostic};
use crate::spec::source::Span;
use crate::spec::yaml::{self, Node, Value as Yaml};

/// Checks `node` against the root `schema`, pushing one diagnostic per problem.
///
/// Returns the node as JSON with every invalid part left out (an unknown field, a
/// wrong value, a list item that is wrong), so that the rules that span fields can still
/// run on the rest and one run reports as much as it can. `None` when the root itself is
/// unusable (a required top-level field is missing or wrong).
///
/// `spans` receives where each kept value was written, by its path in the returned JSON
/// (list indices count kept items only, so they match what the typed spec holds).
pub fn check(
    node: &Node,
    schema: &Value,
    spans: &mut HashMap<String, (Span, Span)>,
    diags: &mut Vec<Diagnostic>,
) -> Option<Value> {
    let checker = Checker {
        spans: RefCell::new(std::mem::take(spans)),
        defs: schema
            .get("$defs")
            .and_then(Value::as_object)
            .cloned()
            .unwrap_or_default(),
    };
    let checked = checker.node(node, schema, &Path::root(), "", node.span, diags);
    *spans = checker.spans.into_inner();
    checked
}

/// Where a node sits, for messages: `functions.api.events[0].http`.
#[derive(Clone)]
struct Path(String);

impl Path {
    fn root() -> Path {
        Path(String::new())
    }
    fn key(&self, key: &str) -> Path {
        if self.0.is_empty() {
            Path(key.to_string())
        } else {
            Path(format!("{}.{key}", self.0))
        }
    }
    fn index(&self, i: usize) -> Path {
        Path(format!("{}[{i}]", self.0))
    }
    fn name(&self) -> &str {
        if self.0.is_empty() {
            "the spec"
        } else {
            &self.0
        }
    }
    /// The key the value was written under; `None` for the root and for a list item.
    fn last_key(&self) -> Option<&str> {
        if self.0.is_empty() || self.0.ends_with(']') {
            return None;
        }
        Some(self.0.rsplit('.').next().unwrap_or(&self.0))
    }
}

struct Checker {
    spans: RefCell<HashMap<String, (Span, Span)>>,
    defs: Map<String, Value>,
}

impl Checker {
    fn resolve<'a>(&'a self, schema: &'a Value) -> &'a Value {
        let mut current = schema;
        // Bounded: a chain of references longer than the number of definitions is a loop.
        for _ in 0..=self.defs.len() {
            match current.get("$ref").and_then(Value::as_str) {
                Some(r) => match self.defs.get(r.trim_start_matches("#/$defs/")) {
                    Some(target) => current = target,
                    None => return current,
                },
                None => return current,
            }
        }
        current
    }

    /// The description to show as help: the schema's own, else its target's.
    fn description(&self, schema: &Value) -> Option<String> {
        schema
            .get("description")
            .or_else(|| self.resolve(schema).get("description"))
            .and_then(Value::as_str)
            .map(str::to_string)
    }

    /// The schema's examples, else its target's: the forms a wrong shape is shown.
    fn examples<'a>(&'a self, schema: &'a Value) -> &'a [Value] {
        schema
            .get("examples")
            .or_else(|| self.resolve(schema).get("examples"))
            .and_then(Value::as_array)
            .map_or(&[], Vec::as_slice)
    }

    /// `key_span` is where the node's key is: missing fields are reported there.
    fn node(
        &self,
        node: &Node,
        schema: &Value,
        path: &Path,
        at: &str,
        key_span: Span,
        diags: &mut Vec<Diagnostic>,
    ) -> Option<Value> {
        self.spans
            .borrow_mut()
            .insert(at.to_string(), (key_span, node.span));
        let help = self.description(schema);
        let resolved = self.resolve(schema);
        if let Some(branches) = resolved
            .get("anyOf")
            .or_else(|| resolved.get("oneOf"))
            .and_then(Value::as_array)
        {
            let shape = Shape {
                help: help.as_deref(),
                forms: self.examples(schema),
            };
            return self.alternatives(node, branches, path, at, key_span, &shape, diags);
        }
        if let Some(expected) = resolved.get("type")
            && !type_accepts(expected, node)
        {
            let shape = Shape {
                help: help.as_deref(),
                forms: self.examples(schema),
            };
            let mut d = self.wrong_type(node, &type_names(expected), path, &shape);
            if node.span.end_line > node.span.line
                && matches!(node.value, Yaml::Map(_) | Yaml::Seq(_))
                && !path.0.is_empty()
            {
                // A multi-line value: the key names it better than its first line.
                d.span = key_span;
            }
            diags.push(d);
            return None;
        }
        if let Some(allowed) = resolved.get("enum").and_then(Value::as_array)
            && !allowed.iter().any(|a| same_value(a, node))
        {
            diags.push(not_one_of(node, allowed, path, help.as_deref()));
            return None;
        }
        let before = diags.len();
        let value = match &node.value {
            Yaml::Int(_) | Yaml::Float(_) => {
                self.number(node, resolved, path, help.as_deref(), diags);
                to_json(node)
            }
            Yaml::Str(s) => {
                self.string(node, s, resolved, path, help.as_deref(), diags);
                Value::String(s.clone())
            }
            Yaml::Seq(items) => {
                let before_len = diags.len();
                self.length(node, items.len(), resolved, path, help.as_deref(), diags);
                // A list's length is a property of the whole list: point at its key.
                for d in &mut diags[before_len..] {
                    d.span = key_span;
                }
                let mut valid = Vec::with_capacity(items.len());
                for (i, item) in items.iter().enumerate() {
                    let item_at = format!("{at}[{}]", valid.len());
                    let checked = match resolved.get("items") {
                        Some(item_schema) => self.node(
                            item,
                            item_schema,
                            &path.index(i),
                            &item_at,
                            item.span,
                            diags,
                        ),
                        None => Some(to_json(item)),
                    };
                    valid.extend(checked);
                }
                Value::Array(valid)
            }
            Yaml::Map(entries) => return self.object(entries, resolved, path, at, key_span, diags),
            Yaml::Null | Yaml::Bool(_) => to_json(node),
        };
        // A scalar or list with its own problem (range, pattern, length) is left out whole.
        let own_problem = diags[before..]
            .iter()
            .any(|d| d.is_error() && d.span == node.span);
        (!own_problem).then_some(value)
    }

    fn number(
        &self,
        node: &Node,
        schema: &Value,
        path: &Path,
        help: Option<&str>,
        diags: &mut Vec<Diagnostic>,
    ) {
        let value = match node.value {
            Yaml::Int(i) => i as f64,
            Yaml::Float(f) => f,
            _ => return,
        };
        let min = schema.get("minimum").and_then(Value::as_f64);
        let max = schema.get("maximum").and_then(Value::as_f64);
        let below = min.is_some_and(|m| value < m);
        let above = max.is_some_and(|m| value > m);
        if below || above {
            let shown = display_scalar(node);
            let message = match (min, max) {
                (Some(lo), Some(hi)) => format!(
                    "`{}` must be between {lo} and {hi}, found {shown}",
                    path.name()
                ),
                (Some(lo), None) => {
                    format!("`{}` must be at least {lo}, found {shown}", path.name())
                }
                (None, Some(hi)) => {
                    format!("`{}` must be at most {hi}, found {shown}", path.name())
                }
                (None, None) => unreachable!("a bound was crossed"),
            };
            let label = if below { "too small" } else { "too large" };
            diags.push(with_help(
                Diagnostic::error(Code::OutOfRange, node.span, message).with_label(label),
                help,
            ));
        }
    }

    fn string(
        &self,
        node: &Node,
        s: &str,
        schema: &Value,
        path: &Path,
        help: Option<&str>,
        diags: &mut Vec<Diagnostic>,
    ) {
        let chars = s.chars().count();
        self.length(node, chars, schema, path, help, diags);
        if let Some(pattern) = schema.get("pattern").and_then(Value::as_str)
            && let Ok(re) = regex_lite::Regex::new(pattern)
            && !re.is_match(s)
        {
            diags.push(with_help(
                Diagnostic::error(
                    Code::InvalidValue,
                    node.span,
                    format!("`{}` is not in the expected form, found `{s}`", path.name()),
                )
                .with_label("invalid form"),
                help,
            ));
        }
    }

    /// minLength/maxLength for strings and minItems/maxItems for lists.
    fn length(
        &self,
        node: &Node,
        len: usize,
        schema: &Value,
        path: &Path,
        help: Option<&str>,
        diags: &mut Vec<Diagnostic>,
    ) {
        let (min_key, max_key, unit) = match node.value {
            Yaml::Seq(_) => ("minItems", "maxItems", "item"),
            _ => ("minLength", "maxLength", "character"),
        };
        let plural = |n: u64| {
            if n == 1 {
                unit.to_string()
            } else {
                format!("{unit}s")
            }
        };
        let code = if unit == "item" {
            Code::ListLength
        } else {
            Code::InvalidValue
        };
        if let Some(min) = schema.get(min_key).and_then(Value::as_u64)
            && (len as u64) < min
        {
            let message = if min == 1 && unit == "item" {
                format!("`{}` must not be empty", path.name())
            } else if min == 1 {
                format!("`{}` must not be an empty string", path.name())
            } else {
                format!(
                    "`{}` needs at least {min} {}, found {len}",
                    path.name(),
                    plural(min)
                )
            };
            diags.push(with_help(Diagnostic::error(code, node.span, message), help));
        }
        if let Some(max) = schema.get(max_key).and_then(Value::as_u64)
            && (len as u64) > max
        {
            diags.push(with_help(
                Diagnostic::error(
                    code,
                    node.span,
                    format!(
                        "`{}` has {len} {}, at most {max} allowed",
                        path.name(),
                        plural(len as u64)
                    ),
                )
                .with_label("too long"),
                help,
            ));
        }
    }

    fn object(
        &self,
        entries: &[(Node, Node)],
        schema: &Value,
        path: &Path,
        at: &str,
        key_span: Span,
        diags: &mut Vec<Diagnostic>,
    ) -> Option<Value> {
        let mut valid = Map::new();
        let mut complete = true;
        let properties = schema.get("properties").and_then(Value::as_object);
        let additional = schema.get("additionalProperties");
        for (i, (key, value)) in entries.iter().enumerate() {
            let name = yaml::key_text(key);
            if !matches!(key.value, Yaml::Str(_)) {
                diags.push(
                    Diagnostic::error(
                        Code::WrongType,
                        key.span,
                        format!("the key `{name}` in `{}` must be a string", path.name()),
                    )
                    .with_help("quote the key, for example \"200\": ..."),
                );
                continue;
            }
            let child_at = if at.is_empty() {
                name.clone()
            } else {
                format!("{at}.{name}")
            };
            let checked = if let Some(prop) = properties.and_then(|p| p.get(&name)) {
                self.node(value, prop, &path.key(&name), &child_at, key.span, diags)
            } else {
                match additional {
                    Some(Value::Bool(false)) => {
                        let mut d = unknown_field(key, &name, properties, path);
                        if let Some(hint) = self.belongs_above(&entries[..i], properties, &name) {
                            d = d.with_help(hint);
                        }
                        diags.push(d);
                        continue;
                    }
                    Some(extra @ Value::Object(_)) => {
                        if let Some(d) = self.misplaced(&entries[..i], key, value, extra, path) {
                            diags.push(d);
                            continue;
                        }
                        self.node(value, extra, &path.key(&name), &child_at, key.span, diags)
                    }
                    _ => {
                        self.record(value, &child_at, key.span);
                        Some(to_json(value))
                    }
                }
            };
            match checked {
                Some(v) => {
                    valid.insert(name, v);
                }
                // A required field that is wrong makes the whole mapping unusable.
                None if is_required(schema, &name) => complete = false,
                None => {}
            }
        }
        if let Some(required) = schema.get("required").and_then(Value::as_array) {
            for field in required.iter().filter_map(Value::as_str) {
                if !entries.iter().any(|(k, _)| k.as_str() == Some(field)) {
                    let help = properties
                        .and_then(|p| p.get(field))
                        .and_then(|p| self.description(p))
                        .unwrap_or_else(|| format!("add `{field}`"));
                    complete = false;
                    // The top level has no key: point at where its mapping starts.
                    let span = if path.0.is_empty() {
                        Span::point(key_span.line, key_span.col)
                    } else {
                        key_span
                    };
                    let message = if path.0.is_empty() {
                        format!("missing the top-level field `{field}`")
                    } else {
                        format!("`{}` is missing the required field `{field}`", path.name())
                    };
                    let mut d = Diagnostic::error(Code::MissingField, span, message)
                        .with_help(format!("{field}: {help}"));
                    if path.0.is_empty() {
                        d = d.with_label(format!("no `{field}:` at the top level of the file"));
                    }
                    diags.push(d);
                }
            }
        }
        complete.then_some(Value::Object(valid))
    }

    /// A field of an item written at the level of the items' names, as `events:` dedented
    /// under `functions` reads as a function named "events": reported as that, with where
    /// it belongs, instead of as a function with no fields. `before` are the entries above.
    fn misplaced(
        &self,
        before: &[(Node, Node)],
        key: &Node,
        value: &Node,
        item_schema: &Value,
        path: &Path,
    ) -> Option<Diagnostic> {
        let name = yaml::key_text(key);
        let fields = self.resolve(item_schema).get("properties")?.as_object()?;
        if is_item(fields, key, value) {
            return None;
        }
        let noun = singular(path.last_key().unwrap_or("item"));
        let a = article(&noun);
        let above = before
            .iter()
            .rev()
            .filter(|(k, v)| is_item(fields, k, v))
            .find_map(|(k, v)| match &v.value {
                Yaml::Map(inner) => Some((yaml::key_text(k), inner.first().map(|(f, _)| f))),
                _ => None,
            });
        let help = match above {
            Some((item, Some(first))) => format!(
                "`{name}` is {a} {noun} field: indent it under `{item}`, the {noun} above, in line with its `{}:` (column {})",
                yaml::key_text(first),
                first.span.col
            ),
            Some((item, None)) => {
                format!("`{name}` is {a} {noun} field: indent it under `{item}`, the {noun} above")
            }
            None => {
                format!("`{name}` is {a} {noun} field: indent it under the {noun} it belongs to")
            }
        };
        Some(
            Diagnostic::error(
                Code::WrongType,
                key.span,
                format!(
                    "`{}` is read as {a} {noun} named `{name}`",
                    path.key(&name).name()
                ),
            )
            .with_label(format!("at the indentation of the {noun} names"))
            .with_help(help),
        )
    }

    /// Where an unknown field belongs when the entry just above it takes a field of that
    /// name: `memory:` dedented below `defaults:` belongs under `defaults`, `events:`
    /// dedented to the top level under the last of `functions`.
    fn belongs_above(
        &self,
        before: &[(Node, Node)],
        properties: Option<&Map<String, Value>>,
        name: &str,
    ) -> Option<String> {
        let (above_key, above) = before.last()?;
        let above_name = yaml::key_text(above_key);
        let schema = self.resolve(properties?.get(&above_name)?);
        let has = |s: &Value| {
            s.get("properties")
                .and_then(Value::as_object)
                .is_some_and(|p| p.contains_key(name))
        };
        if has(schema) {
            return Some(format!(
                "`{name}` is a field of `{above_name}`: indent it under `{above_name}:` above"
            ));
        }
        let item = self.resolve(schema.get("additionalProperties")?);
        if let (true, Yaml::Map(items)) = (has(item), &above.value) {
            let fields = item.get("properties")?.as_object()?;
            let (last, _) = items.iter().rev().find(|(k, v)| is_item(fields, k, v))?;
            let noun = singular(&above_name);
            let a = article(&noun);
            return Some(format!(
                "`{name}` is {a} {noun} field: indent it under `{}`, the last {noun} in `{above_name}` above",
                yaml::key_text(last)
            ));
        }
        None
    }

    /// Records the spans of a value the schema does not describe (event patterns, params).
    fn record(&self, node: &Node, at: &str, key_span: Span) {
        self.spans
            .borrow_mut()
            .insert(at.to_string(), (key_span, node.span));
        match &node.value {
            Yaml::Map(entries) => entries
                .iter()
                .for_each(|(k, v)| self.record(v, &format!("{at}.{}", yaml::key_text(k)), k.span)),
            Yaml::Seq(items) => items
                .iter()
                .enumerate()
                .for_each(|(i, v)| self.record(v, &format!("{at}[{i}]"), v.span)),
            _ => {}
        }
    }

    // Where the node is (message path, kept-value path, key span) travels with it, as in `node`.
    #[allow(clippy::too_many_arguments)]
    fn alternatives(
        &self,
        node: &Node,
        branches: &[Value],
        path: &Path,
        at: &str,
        key_span: Span,
        shape: &Shape,
        diags: &mut Vec<Diagnostic>,
    ) -> Option<Value> {
        let mut tried: Vec<(&Value, Vec<Diagnostic>)> = Vec::new();
        for branch in branches {
            let mut found = Vec::new();
            let value = self.node(node, branch, path, at, key_span, &mut found);
            if !found.iter().any(Diagnostic::is_error) {
                diags.extend(found);
                return value;
            }
            tried.push((branch, found));
        }
        let fitting: Vec<&(&Value, Vec<Diagnostic>)> = tried
            .iter()
            .filter(|(b, _)| {
                self.resolve(b)
                    .get("type")
                    .is_none_or(|t| type_accepts(t, node))
            })
            .collect();
        if fitting.is_empty() {
            let mut names: Vec<String> = Vec::new();
            for (branch, _) in &tried {
                if let Some(t) = self.resolve(branch).get("type") {
                    for n in type_names(t) {
                        if !names.contains(&n) {
                            names.push(n);
                        }
                    }
                }
            }
            diags.push(self.wrong_type(node, &names, path, shape));
            return None;
        }
        // A tagged union ({http: ...} | {sqs: ...}): the branch is chosen by its key.
        if let Yaml::Map(entries) = &node.value {
            let tags: Vec<(&str, &Vec<Diagnostic>)> = fitting
                .iter()
                .filter_map(|(b, d)| single_required(self.resolve(b)).map(|t| (t, d)))
                .collect();
            if tags.len() == fitting.len() && tags.len() > 1 {
                if let Some((_, found)) = tags
                    .iter()
                    .find(|(t, _)| entries.iter().any(|(k, _)| k.as_str() == Some(t)))
                {
                    diags.extend(found.iter().cloned());
                    return None;
                }
                let names: Vec<&str> = tags.iter().map(|(t, _)| *t).collect();
                let list = names
                    .iter()
                    .map(|n| format!("`{n}`"))
                    .collect::<Vec<_>>()
                    .join(", ");
                match entries.first() {
                    Some((key, _)) => {
                        let name = yaml::key_text(key);
                        let mut d = Diagnostic::error(
                            Code::UnknownField,
                            key.span,
                            format!("`{name}` is not a kind of `{}`", path.name()),
                        )
                        .with_label("unknown");
                        d = match closest(&name, names.iter().copied()) {
                            Some(best) => d.with_help(format!(
                                "did you mean `{best}`? expected one of {list}"
                            )),
                            None => d.with_help(format!("expected one of {list}")),
                        };
                        diags.push(d);
                    }
                    None => diags.push(
                        Diagnostic::error(
                            Code::MissingField,
                            node.span,
                            format!("`{}` is empty", path.name()),
                        )
                        .with_help(format!("expected one of {list}")),
                    ),
                }
                return None;
            }
        }
        let best = fitting
            .iter()
            .min_by_key(|(_, d)| d.iter().filter(|d| d.is_error()).count())
            .expect("fitting is not empty");
        diags.extend(best.1.iter().cloned());
        None
    }

    fn wrong_type(
        &self,
        node: &Node,
        expected: &[String],
        path: &Path,
        shape: &Shape,
    ) -> Diagnostic {
        let help = shape.help;
        let expected_text = join_or(expected);
        // The forms the model gives for this value, written as the user would write them.
        let forms: Vec<String> = shape
            .forms
            .iter()
            .map(|form| match path.last_key() {
                Some(key) => format!("`{key}: {}`", flow(form)),
                None => format!("`{}`", flow(form)),
            })
            .collect();
        let label = if forms.is_empty() {
            format!("expected {expected_text}")
        } else {
            format!("expected {expected_text} like {}", forms.join(" or "))
        };
        let mut d = Diagnostic::error(
            Code::WrongType,
            node.span,
            format!(
                "`{}` must be {expected_text}, found {}",
                path.name(),
                node.kind()
            ),
        )
        .with_label(label);
        // The usual slip: a number written where text was meant, or text with digits.
        if let Yaml::Str(s) = &node.value
            && expected.iter().any(|e| e.contains("integer"))
            && s.contains("${")
        {
            d = d.with_help("a reference that is the whole value takes the referenced value's type; this one is text");
            return d;
        }
        with_help(d, help)
    }
}

/// Whether `key: value`, in a mapping of named items with `fields`, is an item rather than
/// one of its fields written too far left: a key that is not a field name, or a mapping of
/// the item's own fields (a function may be named `events`).
fn is_item(fields: &Map<String, Value>, key: &Node, value: &Node) -> bool {
    if !fields.contains_key(&yaml::key_text(key)) {
        return true;
    }
    match &value.value {
        Yaml::Map(inner) => {
            inner.is_empty()
                || inner
                    .iter()
                    .any(|(k, _)| fields.contains_key(&yaml::key_text(k)))
        }
        _ => false,
    }
}

/// One of a section's items: `functions` -> function, `indexes` -> index.
fn singular(section: &str) -> String {
    section
        .strip_suffix("xes")
        .map(|stem| format!("{stem}x"))
        .or_else(|| section.strip_suffix('s').map(str::to_string))
        .unwrap_or_else(|| section.to_string())
}

/// `a` or `an`, as the noun is said.
fn article(noun: &str) -> &'static str {
    if noun.starts_with(['a', 'e', 'i', 'o', 'u']) {
        "an"
    } else {
        "a"
    }
}

/// What a wrong shape's report says besides the found type: the value's description, and
/// the forms (JSON Schema `examples`) the model gives for it.
struct Shape<'a> {
    help: Option<&'a str>,
    forms: &'a [Value],
}

/// A JSON value in YAML's flow style, as a spec would write it inline:
/// `{queue: jobs-dlq, max_receive_count: 5}`.
fn flow(value: &Value) -> String {
    match value {
        Value::Null => "null".into(),
        Value::Bool(b) => b.to_string(),
        Value::Number(n) => n.to_string(),
        Value::String(s) => flow_string(s),
        Value::Array(items) => format!(
            "[{}]",
            items.iter().map(flow).collect::<Vec<_>>().join(", ")
        ),
        Value::Object(entries) => format!(
            "{{{}}}",
            entries
                .iter()
                .map(|(k, v)| format!("{}: {}", flow_string(k), flow(v)))
                .collect::<Vec<_>>()
                .join(", ")
        ),
    }
}

/// A string plain where YAML reads it back as the same string inside `{...}` or `[...]`,
/// else in double quotes.
fn flow_string(s: &str) -> String {
    let typed_otherwise = matches!(
        s,
        "" | "~"
            | "null"
            | "Null"
            | "NULL"
            | "true"
            | "True"
            | "TRUE"
            | "false"
            | "False"
            | "FALSE"
    ) || s.parse::<f64>().is_ok()
        || s.starts_with("0x")
        || s.starts_with("0o");
    let starts_badly = s.starts_with(|c: char| "-?:,[]{}#&*!|>'\"%@`".contains(c) || c == ' ');
    let breaks_flow = s.contains([',', '[', ']', '{', '}'])
        || s.contains(": ")
        || s.contains(" #")
        || s.ends_with([':', ' ']);
    if typed_otherwise || starts_badly || breaks_flow {
        serde_json::to_string(s).expect("a string serializes")
    } else {
        s.to_string()
    }
}

fn is_required(schema: &Value, name: &str) -> bool {
    schema
        .get("required")
        .and_then(Value::as_array)
        .is_some_and(|r| r.iter().any(|f| f == name))
}

/// A node as JSON, unchecked (for values the schema does not describe, such as patterns).
pub fn to_json(node: &Node) -> Value {
    match &node.value {
        Yaml::Null => Value::Null,
        Yaml::Bool(b) => Value::Bool(*b),
        Yaml::Int(i) => Value::from(*i),
        Yaml::Float(f) => serde_json::Number::from_f64(*f).map_or(Value::Null, Value::Number),
        Yaml::Str(s) => Value::String(s.clone()),
        Yaml::Seq(items) => Value::Array(items.iter().map(to_json).collect()),
        Yaml::Map(entries) => Value::Object(
            entries
                .iter()
                .map(|(k, v)| (yaml::key_text(k), to_json(v)))
                .collect(),
        ),
    }
}

fn with_help(d: Diagnostic, help: Option<&str>) -> Diagnostic {
    match help {
        Some(h) => d.with_help(h.to_string()),
        None => d,
    }
}

fn single_required(schema: &Value) -> Option<&str> {
    match schema
        .get("required")
        .and_then(Value::as_array)
        .map(Vec::as_slice)
    {
        Some([one]) => one.as_str(),
        _ => None,
    }
}

fn unknown_field(
    key: &Node,
    name: &str,
    properties: Option<&Map<String, Value>>,
    path: &Path,
) -> Diagnostic {
    let known: Vec<&str> = properties
        .map(|p| p.keys().map(String::as_str).collect())
        .unwrap_or_default();
    let place = if path.0.is_empty() {
        "at the top level".to_string()
    } else {
        format!("in `{}`", path.name())
    };
    let d = Diagnostic::error(
        Code::UnknownField,
        key.span,
        format!("unknown field `{name}` {place}"),
    )
    .with_label("unknown field");
    match closest(name, known.iter().copied()) {
        Some(best) => d.with_help(format!("did you mean `{best}`?")),
        None if known.is_empty() => d,
        None => d.with_help(format!(
            "expected one of {}",
            known
                .iter()
                .map(|k| format!("`{k}`"))
                .collect::<Vec<_>>()
                .join(", ")
        )),
    }
}

/// The known name closest to `name`, when it is close enough to be a typo.
pub fn closest<'a>(name: &str, known: impl Iterator<Item = &'a str>) -> Option<&'a str> {
    known
        .map(|k| {
            (
                strsim::damerau_levenshtein(&name.to_lowercase(), &k.to_lowercase()),
                k,
            )
        })
        .filter(|(distance, k)| *distance <= 2.max(k.len() / 4) && *distance < k.len())
        .min_by_key(|(distance, _)| *distance)
        .map(|(_, k)| k)
}

fn not_one_of(node: &Node, allowed: &[Value], path: &Path, help: Option<&str>) -> Diagnostic {
    let shown: Vec<String> = allowed
        .iter()
        .map(|a| match a {
            Value::String(s) => s.clone(),
            other => other.to_string(),
        })
        .collect();
    let found = display_scalar(node);
    let expected = match shown.as_slice() {
        [only] => only.clone(),
        _ => format!("one of {}", shown.join(", ")),
    };
    let mut d = Diagnostic::error(
        Code::InvalidValue,
        node.span,
        format!("`{}` must be {expected}, found {found}", path.name()),
    )
    .with_label("not allowed");
    if shown.contains(&found) {
        // `payload_format: 2.0` is the number 2 to YAML; the allowed value is the text "2.0".
        return d.with_help(format!("write it in quotes: \"{found}\""));
    }
    if let Some(best) = closest(&found, shown.iter().map(String::as_str)) {
        d = d.with_help(format!("did you mean `{best}`?"));
        return d;
    }
    with_help(d, help)
}

fn display_scalar(node: &Node) -> String {
    match &node.value {
        Yaml::Null => "null".into(),
        Yaml::Bool(b) => b.to_string(),
        Yaml::Int(i) => i.to_string(),
        Yaml::Float(f) if f.fract() == 0.0 && f.is_finite() => format!("{f:.1}"),
        Yaml::Float(f) => f.to_string(),
        Yaml::Str(s) => s.clone(),
        Yaml::Seq(_) => "a list".into(),
        Yaml::Map(_) => "a mapping".into(),
    }
}

fn same_value(allowed: &Value, node: &Node) -> bool {
    match (&node.value, allowed) {
        (Yaml::Str(s), Value::String(a)) => s == a,
        (Yaml::Int(i), Value::Number(n)) => n.as_i64() == Some(*i),
        (Yaml::Bool(b), Value::Bool(a)) => b == a,
        _ => false,
    }
}

fn type_accepts(expected: &Value, node: &Node) -> bool {
    let accepts = |t: &str| {
        matches!(
            (t, &node.value),
            ("string", Yaml::Str(_))
                | ("integer", Yaml::Int(_))
                | ("number", Yaml::Int(_) | Yaml::Float(_))
                | ("boolean", Yaml::Bool(_))
                | ("object", Yaml::Map(_))
                | ("array", Yaml::Seq(_))
                | ("null", Yaml::Null)
        )
    };
    match expected {
        Value::String(t) => accepts(t),
        Value::Array(ts) => ts.iter().filter_map(Value::as_str).any(accepts),
        _ => true,
    }
}

fn type_names(expected: &Value) -> Vec<String> {
    let name = |t: &str| {
        match t {
            "string" => "a string",
            "integer" => "an integer",
            "number" => "a number",
            "boolean" => "true or false",
            "object" => "a mapping",
            "array" => "a list",
            _ => "null",
        }
        .to_string()
    };
    match expected {
        Value::String(t) => vec![name(t)],
        Value::Array(ts) => ts.iter().filter_map(Value::as_str).map(name).collect(),
        _ => vec![],
    }
}

fn join_or(names: &[String]) -> String {
    match names {
        [] => "something else".into(),
        [one] => one.clone(),
        [init @ .., last] => format!("{} or {last}", init.join(", ")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Every `examples` entry in `schema`, with the schema it belongs to.
    fn collect(schema: &Value, found: &mut Vec<(Value, Value)>) {
        match schema {
            Value::Object(object) => {
                for example in object
                    .get("examples")
                    .and_then(Value::as_array)
                    .into_iter()
                    .flatten()
                {
                    found.push((schema.clone(), example.clone()));
                }
                object.values().for_each(|v| collect(v, found));
            }
            Value::Array(items) => items.iter().for_each(|v| collect(v, found)),
            _ => {}
        }
    }

    #[test]
    fn every_form_a_diagnostic_shows_reads_back_as_itself_and_is_valid() {
        let root = crate::spec::schema::strict();
        let checker = Checker {
            spans: RefCell::new(HashMap::new()),
            defs: root["$defs"].as_object().cloned().unwrap_or_default(),
        };
        let mut found = Vec::new();
        collect(&root, &mut found);
        assert!(found.len() >= 20, "{} examples", found.len());
        for (schema, example) in found {
            let text = flow(&example);
            let (node, _) = yaml::parse(&format!("x: {text}\n")).expect(&text);
            let node = node.unwrap().get("x").unwrap().clone();
            assert_eq!(
                to_json(&node),
                example,
                "`{text}` reads back as another value"
            );
            let mut diags = Vec::new();
            checker.node(&node, &schema, &Path::root(), "", node.span, &mut diags);
            assert!(diags.is_empty(), "`{text}` is not valid: {diags:?}");
        }
    }

    #[test]
    fn strings_are_quoted_only_where_flow_yaml_would_misread_them() {
        for (s, shown) in [
            ("jobs-dlq", "jobs-dlq"),
            ("GET /orders", "GET /orders"),
            ("arn:aws:s3:::acme/*", "arn:aws:s3:::acme/*"),
            ("${http_api.url}", "\"${http_api.url}\""),
            ("a: b", "\"a: b\""),
            ("5", "\"5\""),
            ("true", "\"true\""),
            ("", "\"\""),
            ("*.pyc", "\"*.pyc\""),
        ] {
            assert_eq!(flow_string(s), shown);
        }
    }
}
