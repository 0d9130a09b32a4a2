//! YAML to a tree of nodes that remember where they came from.
//!
//! serde-based YAML crates lose positions after the first error; validation needs the
//! line and column of every key and value, so the spec is first read into this tree with
//! the event parser of saphyr-parser. Scalars are typed by the YAML 1.2 core schema, so
//! `yes` is a string and `0755` a number, as in every current YAML library. Depth, and the
//! nodes and bytes of text once aliases are expanded, are bounded so that no input can
//! exhaust the stack or the memory.

use saphyr_parser::{Event, Parser, ScalarStyle, Span as YamlSpan};

use crate::spec::diag::{Code, Diagnostic};
use crate::spec::source::Span;

/// How deep mappings and sequences may nest; far beyond any real spec.
const MAX_DEPTH: usize = 64;
/// How many nodes a document may have once aliases are expanded (a "billion laughs" guard).
pub const MAX_NODES: usize = 200_000;
/// How many bytes of text (every scalar as written, keys included) a document may hold once
/// aliases are expanded. Counting nodes alone lets a few long strings, each aliased thousands of times,
/// take gigabytes from a file of kilobytes. A real spec is well under 1 MiB; 16 MiB leaves
/// room for large event patterns and params and keeps the tree, and the copies the later
/// stages make of it, to some hundreds of megabytes at worst.
pub const MAX_TEXT_BYTES: usize = 16 * 1024 * 1024;

#[derive(Clone, Debug, PartialEq)]
pub enum Value {
    Null,
    Bool(bool),
    Int(i64),
    Float(f64),
    Str(String),
    Seq(Vec<Node>),
    Map(Vec<(Node, Node)>),
}

#[derive(Clone, Debug, PartialEq)]
pub struct Node {
    pub value: Value,
    pub span: Span,
    /// For strings: whether the scalar was quoted (a quoted `"512"` stays a string
    /// even when interpolation re-types plain scalars).
    pub quoted: bool,
}

impl Node {
    pub fn new(value: Value, span: Span) -> Node {
        Node {
            value,
            span,
            quoted: false,
        }
    }

    /// The type name used in messages: "a string", "a mapping"...
    pub fn kind(&self) -> &'static str {
        match &self.value {
            Value::Null => "null",
            Value::Bool(_) => "a boolean",
            Value::Int(_) => "an integer",
            Value::Float(_) => "a number",
            Value::Str(_) => "a string",
            Value::Seq(_) => "a list",
            Value::Map(_) => "a mapping",
        }
    }

    pub fn as_str(&self) -> Option<&str> {
        match &self.value {
            Value::Str(s) => Some(s),
            _ => None,
        }
    }

    /// The value under `key` when this node is a mapping.
    pub fn get(&self, key: &str) -> Option<&Node> {
        match &self.value {
            Value::Map(entries) => entries
                .iter()
                .find(|(k, _)| k.as_str() == Some(key))
                .map(|(_, v)| v),
            _ => None,
        }
    }

    fn size(&self) -> usize {
        self.value.size()
    }
}

impl Value {
    /// The number of nodes in this tree, itself included.
    pub fn size(&self) -> usize {
        1 + match self {
            Value::Seq(items) => items.iter().map(Node::size).sum(),
            Value::Map(entries) => entries.iter().map(|(k, v)| k.size() + v.size()).sum(),
            _ => 0,
        }
    }

    /// The bytes of text in this tree: every string, keys included.
    pub fn text_bytes(&self) -> usize {
        match self {
            Value::Str(s) => s.len(),
            Value::Seq(items) => items.iter().map(|n| n.value.text_bytes()).sum(),
            Value::Map(entries) => entries
                .iter()
                .map(|(k, v)| k.value.text_bytes() + v.value.text_bytes())
                .sum(),
            _ => 0,
        }
    }
}

/// Why a file could not be read as one YAML document at all.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct LoadError {
    pub line: usize,
    pub col: usize,
    pub message: String,
}

/// Parses one YAML document. Problems that still leave a usable tree (duplicate keys)
/// come back as diagnostics; anything else is a `LoadError`. `Ok(None)` is an empty file.
pub fn parse(text: &str) -> Result<(Option<Node>, Vec<Diagnostic>), LoadError> {
    let mut builder = Builder::default();
    let mut documents = 0;
    for event in Parser::new_from_str(text) {
        let (event, span) = event.map_err(|e| syntax_error(text, &e))?;
        if let Event::DocumentStart(_) = event {
            documents += 1;
            if documents > 1 {
                return Err(LoadError {
                    line: span.start.line(),
                    col: span.start.col() + 1,
                    message: "more than one YAML document; a spec is one document".into(),
                });
            }
        }
        builder.event(event, span)?;
    }
    Ok((builder.root, builder.diagnostics))
}

fn syntax_error(text: &str, e: &saphyr_parser::ScanError) -> LoadError {
    let marker = e.marker();
    let line = marker.line();
    // saphyr reports a tab in indentation as an unexpected character; say what it is.
    // Lines are 1-based: look at the error's line and the one before it, if any.
    let tab_line = (line.saturating_sub(1).max(1)..=line).find(|&n| {
        text.split('\n').nth(n - 1).is_some_and(|l| {
            l.starts_with([' ', '\t']) && l.trim_start_matches(' ').starts_with('\t')
        })
    });
    if let Some(n) = tab_line {
        let col = text
            .split('\n')
            .nth(n - 1)
            .map_or(1, |l| l.find('\t').map_or(1, |i| i + 1));
        return LoadError {
            line: n,
            col,
            message: "tab character in indentation; YAML indents with spaces only".into(),
        };
    }
    LoadError {
        line,
        col: marker.col() + 1,
        message: format!("invalid YAML: {}", e.info()),
    }
}

/// The words under the caret of a located file error (see `load::FileError::report`).
pub fn error_label(message: &str) -> &'static str {
    let has = |part: &str| message.contains(part);
    if has("tab character") {
        "tab"
    } else if has("more than one YAML document") {
        "a second document starts here"
    } else if has("did not find expected key") {
        "not in line with the keys above"
    } else if has("mapping values are not allowed") {
        "a `key:` cannot start here"
    } else if has("did not find expected ',' or") {
        "not closed"
    } else if has("illegal placement of ':'") {
        "unexpected `:`"
    } else if has("quoted scalar") {
        "the quote is never closed"
    } else if has("must be a YAML mapping") {
        "not a mapping"
    } else {
        "here"
    }
}

/// What to do about a located file error, when the parser's words leave it unclear.
pub fn error_help(message: &str) -> Option<&'static str> {
    let has = |part: &str| message.contains(part);
    Some(if has("tab character") {
        "indent with spaces, as many as the lines above use for this level"
    } else if has("more than one YAML document") {
        "a spec is one document: remove the `---` and what follows it, or move that to a file of its own"
    } else if has("did not find expected key") {
        "keys of one mapping line up, and a key's own fields go further in: indent this line like the keys it belongs with"
    } else if has("mapping values are not allowed") {
        "line this key up with the keys it belongs with, or quote a value that contains `: `"
    } else if has("did not find expected ',' or") || has("illegal placement of ':'") {
        "close the `{` or `[` this is in, and quote values that contain `,`, `{`, `}`, `[` or `]`"
    } else if has("quoted scalar") {
        "close the quote on the same value, or escape a quote inside it"
    } else if has("unexpected character") {
        "a plain value cannot start with `@` or a backquote: quote the value"
    } else if has("unknown anchor") {
        "an alias `*NAME` needs an anchor `&NAME` earlier in the file"
    } else if has("must be a YAML mapping") {
        "a spec is a mapping of top-level fields, starting with `service: NAME`"
    } else {
        return None;
    })
}

fn span_of(span: &YamlSpan) -> Span {
    Span {
        line: span.start.line(),
        col: span.start.col() + 1,
        end_line: span.end.line(),
        end_col: span.end.col() + 1,
    }
}

enum Frame {
    Seq {
        start: Span,
        anchor: usize,
        items: Vec<Node>,
    },
    Map {
        start: Span,
        anchor: usize,
        entries: Vec<(Node, Node)>,
        key: Option<Node>,
    },
}

/// An anchored node, with what one alias to it adds: its node count and text bytes.
struct Anchor {
    id: usize,
    node: Node,
    nodes: usize,
    bytes: usize,
}

#[derive(Default)]
struct Builder {
    stack: Vec<Frame>,
    anchors: Vec<Anchor>,
    nodes: usize,
    bytes: usize,
    root: Option<Node>,
    diagnostics: Vec<Diagnostic>,
}

impl Builder {
    fn event(&mut self, event: Event, span: YamlSpan) -> Result<(), LoadError> {
        let here = span_of(&span);
        let too_deep = || LoadError {
            line: here.line,
            col: here.col,
            message: format!("nesting deeper than {MAX_DEPTH} levels"),
        };
        match event {
            Event::Scalar(text, style, anchor, tag) => {
                self.count(0, text.len(), here)?;
                let tag = tag.map(|t| t.to_string());
                let node = scalar(&text, style, tag.as_deref(), here)?;
                self.add(node, anchor)?;
            }
            Event::Alias(id) => {
                let Some(at) = self.anchors.iter().rposition(|a| a.id == id) else {
                    return Err(LoadError {
                        line: here.line,
                        col: here.col,
                        message: "alias to an unknown anchor".into(),
                    });
                };
                // Counted before the copy is made: refusing must not cost the memory.
                self.count(self.anchors[at].nodes, self.anchors[at].bytes, here)?;
                let mut node = self.anchors[at].node.clone();
                node.span = here;
                self.add_counted(node, 0)?;
            }
            Event::SequenceStart(anchor, _) => {
                if self.stack.len() >= MAX_DEPTH {
                    return Err(too_deep());
                }
                self.stack.push(Frame::Seq {
                    start: here,
                    anchor,
                    items: Vec::new(),
                });
            }
            Event::MappingStart(anchor, _) => {
                if self.stack.len() >= MAX_DEPTH {
                    return Err(too_deep());
                }
                self.stack.push(Frame::Map {
                    start: here,
                    anchor,
                    entries: Vec::new(),
                    key: None,
                });
            }
            Event::SequenceEnd => {
                if let Some(Frame::Seq {
                    start,
                    anchor,
                    items,
                }) = self.stack.pop()
                {
                    let span = Span {
                        end_line: here.end_line,
                        end_col: here.end_col,
                        ..start
                    };
                    self.add(Node::new(Value::Seq(items), span), anchor)?;
                }
            }
            Event::MappingEnd => {
                if let Some(Frame::Map {
                    start,
                    anchor,
                    entries,
                    ..
                }) = self.stack.pop()
                {
                    let span = Span {
                        end_line: here.end_line,
                        end_col: here.end_col,
                        ..start
                    };
                    let entries = self.merge_and_check(entries);
                    self.add(Node::new(Value::Map(entries), span), anchor)?;
                }
            }
            _ => {}
        }
        Ok(())
    }

    fn count(&mut self, nodes: usize, bytes: usize, here: Span) -> Result<(), LoadError> {
        self.nodes += nodes;
        self.bytes += bytes;
        let too_big = |message: String| LoadError {
            line: here.line,
            col: here.col,
            message,
        };
        if self.nodes > MAX_NODES {
            return Err(too_big(format!(
                "more than {MAX_NODES} nodes once aliases are expanded"
            )));
        }
        if self.bytes > MAX_TEXT_BYTES {
            return Err(too_big(format!(
                "more than {} MiB of text once aliases are expanded; a spec this large is refused so that aliases of long strings cannot exhaust the memory",
                MAX_TEXT_BYTES >> 20
            )));
        }
        Ok(())
    }

    fn add(&mut self, node: Node, anchor: usize) -> Result<(), LoadError> {
        self.count(1, 0, node.span)?;
        self.add_counted(node, anchor)
    }

    fn add_counted(&mut self, node: Node, anchor: usize) -> Result<(), LoadError> {
        if anchor != 0 {
            self.anchors.push(Anchor {
                id: anchor,
                nodes: node.size(),
                bytes: node.value.text_bytes(),
                node: node.clone(),
            });
        }
        match self.stack.last_mut() {
            None => self.root = Some(node),
            Some(Frame::Seq { items, .. }) => items.push(node),
            Some(Frame::Map { entries, key, .. }) => match key.take() {
                None => *key = Some(node),
                Some(k) => entries.push((k, node)),
            },
        }
        Ok(())
    }

    /// Applies `<<` merge keys (entries written in the mapping win) and reports
    /// duplicate keys, which YAML forbids and which would otherwise hide a value.
    fn merge_and_check(&mut self, entries: Vec<(Node, Node)>) -> Vec<(Node, Node)> {
        let mut own: Vec<(Node, Node)> = Vec::with_capacity(entries.len());
        let mut merged: Vec<(Node, Node)> = Vec::new();
        for (key, value) in entries {
            if key.as_str() == Some("<<") && !key.quoted {
                let sources = match value.value {
                    Value::Seq(items) => items,
                    _ => vec![value],
                };
                for source in sources {
                    match source.value {
                        Value::Map(more) => merged.extend(more),
                        _ => self.diagnostics.push(
                            Diagnostic::error(
                                Code::WrongType,
                                source.span,
                                "a merge key `<<` takes a mapping or a list of mappings",
                            )
                            .with_help("write `<<: *anchor` where the anchor names a mapping"),
                        ),
                    }
                }
                continue;
            }
            if let Some((first, _)) = own.iter().find(|(k, _)| same_key(k, &key)) {
                self.diagnostics.push(
                    Diagnostic::error(
                        Code::DuplicateKey,
                        key.span,
                        format!("duplicate key `{}`", key_text(&key)),
                    )
                    .with_label("written again here")
                    .with_help(format!(
                        "the first `{}` is at line {}; remove one of them",
                        key_text(&key),
                        first.span.line
                    )),
                );
                continue;
            }
            own.push((key, value));
        }
        for (key, value) in merged {
            if !own.iter().any(|(k, _)| same_key(k, &key)) {
                own.push((key, value));
            }
        }
        own
    }
}

fn same_key(a: &Node, b: &Node) -> bool {
    key_text(a) == key_text(b)
}

/// A mapping key as text; non-string keys (`200:`) are written as YAML would print them.
pub fn key_text(node: &Node) -> String {
    match &node.value {
        Value::Str(s) => s.clone(),
        Value::Null => "null".into(),
        Value::Bool(b) => b.to_string(),
        Value::Int(i) => i.to_string(),
        Value::Float(f) => f.to_string(),
        Value::Seq(_) | Value::Map(_) => "<complex key>".into(),
    }
}

fn scalar(
    text: &str,
    style: ScalarStyle,
    tag: Option<&str>,
    span: Span,
) -> Result<Node, LoadError> {
    let plain = style == ScalarStyle::Plain;
    let value = match tag {
        Some("tag:yaml.org,2002:!str") | Some("!!str") => Value::Str(text.to_string()),
        Some(t) if t.contains("2002:") => type_plain(text),
        Some(t) => {
            return Err(LoadError {
                line: span.line,
                col: span.col,
                message: format!(
                    "YAML tag `{t}` is not supported; slsr specs use plain values and ${{...}} references"
                ),
            });
        }
        None if plain => type_plain(text),
        None => Value::Str(text.to_string()),
    };
    Ok(Node {
        quoted: !plain,
        ..Node::new(value, span)
    })
}

/// Types a plain scalar by the YAML 1.2 core schema.
pub fn type_plain(text: &str) -> Value {
    match text {
        "" | "~" | "null" | "Null" | "NULL" => return Value::Null,
        "true" | "True" | "TRUE" => return Value::Bool(true),
        "false" | "False" | "FALSE" => return Value::Bool(false),
        ".inf" | ".Inf" | ".INF" | "+.inf" | "+.Inf" | "+.INF" => {
            return Value::Float(f64::INFINITY);
        }
        "-.inf" | "-.Inf" | "-.INF" => return Value::Float(f64::NEG_INFINITY),
        ".nan" | ".NaN" | ".NAN" => return Value::Float(f64::NAN),
        _ => {}
    }
    let digits = text.strip_prefix(['-', '+']).unwrap_or(text);
    if !digits.is_empty() && digits.bytes().all(|b| b.is_ascii_digit()) {
        if let Ok(i) = text.parse::<i64>() {
            return Value::Int(i);
        }
        if let Ok(f) = text.parse::<f64>() {
            return Value::Float(f);
        }
    }
    if let Some(hex) = text.strip_prefix("0x")
        && let Ok(i) = i64::from_str_radix(hex, 16)
    {
        return Value::Int(i);
    }
    if let Some(oct) = text.strip_prefix("0o")
        && let Ok(i) = i64::from_str_radix(oct, 8)
    {
        return Value::Int(i);
    }
    if is_float(text)
        && let Ok(f) = text.parse::<f64>()
    {
        return Value::Float(f);
    }
    Value::Str(text.to_string())
}

/// `[-+]?(\.[0-9]+|[0-9]+(\.[0-9]*)?)([eE][-+]?[0-9]+)?`, the core schema's float.
fn is_float(text: &str) -> bool {
    let s = text.strip_prefix(['-', '+']).unwrap_or(text);
    let (mantissa, exponent) = match s.find(['e', 'E']) {
        Some(i) => (&s[..i], Some(&s[i + 1..])),
        None => (s, None),
    };
    let (int, frac) = match mantissa.split_once('.') {
        Some((i, f)) => (i, Some(f)),
        None => (mantissa, None),
    };
    let all_digits = |p: &str| p.bytes().all(|b| b.is_ascii_digit());
    let mantissa_ok = match frac {
        Some(f) => all_digits(int) && all_digits(f) && !(int.is_empty() && f.is_empty()),
        None => !int.is_empty() && all_digits(int),
    };
    let exponent_ok = exponent.is_none_or(|e| {
        let e = e.strip_prefix(['-', '+']).unwrap_or(e);
        !e.is_empty() && all_digits(e)
    });
    mantissa_ok && exponent_ok
}

#[cfg(test)]
mod tests {
    use super::*;

    fn root(text: &str) -> Node {
        parse(text).unwrap().0.unwrap()
    }

    #[test]
    fn keeps_positions_of_keys_and_values() {
        let node = root("service: orders\nfunctions:\n  api:\n    memory: 64\n");
        let memory = node
            .get("functions")
            .unwrap()
            .get("api")
            .unwrap()
            .get("memory")
            .unwrap();
        assert_eq!(memory.value, Value::Int(64));
        assert_eq!((memory.span.line, memory.span.col), (4, 13));
        assert_eq!(memory.span.end_col, 15);
    }

    #[test]
    fn types_scalars_by_the_core_schema() {
        assert_eq!(type_plain("yes"), Value::Str("yes".into()));
        assert_eq!(type_plain("1.5"), Value::Float(1.5));
        assert_eq!(type_plain("-12"), Value::Int(-12));
        assert_eq!(type_plain("~"), Value::Null);
        assert_eq!(type_plain("1e3"), Value::Float(1000.0));
        assert_eq!(type_plain("1.2.3"), Value::Str("1.2.3".into()));
        assert_eq!(
            root("a: '12'").get("a").unwrap().value,
            Value::Str("12".into())
        );
    }

    #[test]
    fn reports_duplicate_keys_and_keeps_the_first() {
        let (node, diags) = parse("a: 1\nb: 2\na: 3\n").unwrap();
        assert_eq!(node.unwrap().get("a").unwrap().value, Value::Int(1));
        assert_eq!(diags.len(), 1);
        assert_eq!(diags[0].code, Code::DuplicateKey);
        assert_eq!(diags[0].span.line, 3);
    }

    #[test]
    fn merges_anchored_mappings() {
        let node = root("base: &b {memory: 256, timeout: 3}\nf:\n  <<: *b\n  timeout: 9\n");
        let f = node.get("f").unwrap();
        assert_eq!(f.get("memory").unwrap().value, Value::Int(256));
        assert_eq!(f.get("timeout").unwrap().value, Value::Int(9));
    }

    #[test]
    fn refuses_alias_bombs_and_deep_nesting() {
        let mut bomb = String::from("l0: &l0 [x,x,x,x,x,x,x,x,x,x]\n");
        for level in 1..7 {
            let prev = format!("*l{}", level - 1);
            let items = [prev.as_str(); 10].join(",");
            bomb.push_str(&format!("l{level}: &l{level} [{items}]\n"));
        }
        assert!(parse(&bomb).unwrap_err().message.contains("aliases"));
        let deep = "[".repeat(200) + &"]".repeat(200);
        assert!(parse(&deep).unwrap_err().message.contains("nesting"));
    }

    #[test]
    fn refuses_aliases_of_long_strings_before_copying_them() {
        // 200 nodes, but 1 KiB x 100 x 100 x 3 = 30 MiB of text once expanded.
        let long = "x".repeat(1024);
        let tens = |alias: &str, n: usize| vec![alias; n].join(", ");
        let bomb = format!(
            "a: &a {long}\nb: &b [{}]\nc: &c [{}]\nd: [{}]\n",
            tens("*a", 100),
            tens("*b", 100),
            tens("*c", 3)
        );
        let err = parse(&bomb).unwrap_err();
        assert!(err.message.contains("16 MiB of text"), "{err:?}");
        assert_eq!(err.line, 4, "the alias that crosses the bound: {err:?}");
        // Just under the bound is accepted.
        let under = format!(
            "a: &a {long}\nb: &b [{}]\nc: &c [{}]\n",
            tens("*a", 100),
            tens("*b", 100)
        );
        assert!(parse(&under).is_ok());
    }

    #[test]
    fn a_tab_on_the_first_line_is_named_too() {
        // Found by the fuzz test: a tab at the very start once underflowed the line number.
        let err = parse("\t,Hwm").unwrap_err();
        assert_eq!((err.line, err.col), (1, 1), "{err:?}");
        assert!(err.message.contains("tab"), "{err:?}");
    }

    #[test]
    fn names_a_tab_in_indentation() {
        let err = parse("functions:\n\tapi: {}\n").unwrap_err();
        assert!(err.message.contains("tab"), "{err:?}");
        assert_eq!(err.line, 2);
    }
}
