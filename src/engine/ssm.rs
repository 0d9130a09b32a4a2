//! `${ssm:/path}` in the spec: the parameters a plan reads from SSM Parameter Store, and
//! how a SecureString stays out of every output.
//!
//! A String parameter's value is put in place at plan time, like any value. A value that
//! takes a SecureString is never held in clear by a plan: it becomes a fingerprint
//! `(secure sha256:HEX of TEMPLATE)`, where HEX is the hash of the whole value with the
//! secrets put in, and TEMPLATE is the value as the spec wrote it. The planner compares
//! fingerprints (the live value hashed), the renderers mask it, a saved plan keeps only
//! the fingerprint, and apply reads the parameters again to put the value together.

use std::collections::{BTreeMap, BTreeSet};

use serde_json::Value;

use crate::engine::model::{Kind, State};

/// A parameter's value, and whether it is a SecureString.
#[derive(Clone, Debug)]
pub struct Parameter {
    pub value: String,
    pub secure: bool,
}

fn pattern() -> &'static regex_lite::Regex {
    static PATTERN: std::sync::OnceLock<regex_lite::Regex> = std::sync::OnceLock::new();
    PATTERN.get_or_init(|| regex_lite::Regex::new(r"\$\{ssm:(/[^}]*)\}").expect("a valid pattern"))
}

/// The parameter paths one value names.
pub fn paths_in(value: &str) -> BTreeSet<String> {
    pattern()
        .captures_iter(value)
        .map(|c| c[1].to_string())
        .collect()
}

/// Every parameter path the desired state names.
pub fn references(state: &State) -> BTreeSet<String> {
    fn walk(value: &Value, out: &mut BTreeSet<String>) {
        match value {
            Value::String(s) => out.extend(paths_in(s)),
            Value::Array(items) => items.iter().for_each(|v| walk(v, out)),
            Value::Object(map) => map.values().for_each(|v| walk(v, out)),
            _ => {}
        }
    }
    let mut out = BTreeSet::new();
    for r in state.resources.values() {
        r.attrs.values().for_each(|v| walk(v, &mut out));
    }
    out
}

/// `template` with each `${ssm:/path}` replaced by the parameter's value; whether any was
/// a SecureString. `None` when a parameter is missing from `params`.
pub fn substitute(template: &str, params: &BTreeMap<String, Parameter>) -> Option<(String, bool)> {
    let mut secure = false;
    let mut missing = false;
    let value = pattern().replace_all(template, |c: &regex_lite::Captures| {
        match params.get(&c[1]) {
            Some(p) => {
                secure |= p.secure;
                p.value.clone()
            }
            None => {
                missing = true;
                String::new()
            }
        }
    });
    (!missing).then(|| (value.into_owned(), secure))
}

/// Puts the parameters' values in the desired state: plain ones in clear, a value with a
/// SecureString in it as a fingerprint. Returns the values that name a parameter missing
/// from `params`: the plan must fail on them, for a reference left as text would be
/// written into AWS as it is.
pub fn fill(state: &mut State, params: &BTreeMap<String, Parameter>) -> Vec<String> {
    fn walk(value: &mut Value, params: &BTreeMap<String, Parameter>, unresolved: &mut Vec<String>) {
        match value {
            Value::String(s) if s.contains("${ssm:") => match substitute(s, params) {
                Some((resolved, secure)) => {
                    *s = if secure {
                        fingerprint(s, &resolved)
                    } else {
                        resolved
                    };
                }
                None => unresolved.push(s.clone()),
            },
            Value::Array(items) => items.iter_mut().for_each(|v| walk(v, params, unresolved)),
            Value::Object(map) => map.values_mut().for_each(|v| walk(v, params, unresolved)),
            _ => {}
        }
    }
    let mut unresolved = Vec::new();
    for r in state.resources.values_mut() {
        r.attrs
            .values_mut()
            .for_each(|v| walk(v, params, &mut unresolved));
    }
    unresolved
}

/// Where a SecureString may go: a function's environment, which Lambda encrypts at rest and
/// slsr masks, compares by fingerprint and puts together again at apply. Anywhere else
/// (a description, a tag, a rule's input, a statement, an output) the value would be
/// written as its fingerprint or shown in clear.
fn may_hold_secret(kind: Kind, path: &str) -> bool {
    kind == Kind::Function && path.starts_with("env.")
}

/// The parameter paths of SecureStrings the desired state uses where they may not go.
pub fn misplaced(state: &State, params: &BTreeMap<String, Parameter>) -> BTreeSet<String> {
    fn walk(value: &Value, params: &BTreeMap<String, Parameter>, out: &mut BTreeSet<String>) {
        match value {
            Value::String(s) => {
                let template = parse(s).map_or(s.as_str(), |(_, t)| t);
                out.extend(
                    paths_in(template)
                        .into_iter()
                        .filter(|p| params.get(p).is_some_and(|p| p.secure)),
                );
            }
            Value::Array(items) => items.iter().for_each(|v| walk(v, params, out)),
            Value::Object(map) => map.values().for_each(|v| walk(v, params, out)),
            _ => {}
        }
    }
    let mut out = BTreeSet::new();
    for r in state.resources.values() {
        for (path, value) in &r.attrs {
            if !may_hold_secret(r.kind, path) {
                walk(value, params, &mut out);
            }
        }
    }
    out
}

/// The plan's errors about `${ssm:...}`, each at a reference in the spec: parameters the
/// account does not have (`missing`), and SecureStrings used outside `env` (`misplaced`).
pub fn diagnostics(
    project: &crate::spec::Project,
    missing: &[String],
    misplaced: &BTreeSet<String>,
) -> Vec<crate::spec::diag::Diagnostic> {
    use crate::spec::diag::{Code, Diagnostic};
    let mut out = Vec::new();
    for path in missing {
        let at = references_to(project, path, |_| true)
            .first()
            .copied()
            .unwrap_or(crate::spec::source::Span::point(1, 1));
        out.push(
            Diagnostic::error(
                Code::MissingParameter,
                at,
                format!("SSM parameter `{path}` does not exist in the account"),
            )
            .with_label("no such parameter")
            .with_help(
                "create it, or correct the name (a version or label is written /name:3 or /name:label)",
            ),
        );
    }
    for path in misplaced {
        // Every reference written outside env; if there is none (it comes in through a
        // param), the first reference, wherever it is.
        let outside_env = |spec_path: &str| {
            !(spec_path.starts_with("params.")
                || spec_path.contains(".env.")
                || spec_path.starts_with("defaults.env."))
        };
        let mut at = references_to(project, path, outside_env);
        if at.is_empty() {
            at.extend(references_to(project, path, |_| true).first().copied());
        }
        if at.is_empty() {
            at.push(crate::spec::source::Span::point(1, 1));
        }
        for span in at {
            out.push(
                Diagnostic::error(
                    Code::SecretOutsideEnv,
                    span,
                    format!("`{path}` is a SecureString, and only a function's `env` may take one"),
                )
                .with_label("secret outside env")
                .with_help(
                    "slsr keeps a SecureString secret only in environment variables (masked, compared by fingerprint, put together at apply); elsewhere it would be written in clear or as its fingerprint. Move it into env, or use a String parameter",
                ),
            );
        }
    }
    out
}

/// The spans of the references `${ssm:PATH}` in the spec whose dotted path passes `keep`.
fn references_to(
    project: &crate::spec::Project,
    path: &str,
    keep: impl Fn(&str) -> bool,
) -> Vec<crate::spec::source::Span> {
    let needle = format!("${{ssm:{path}}}");
    let mut spans = Vec::new();
    for (i, line) in project.file.text.split('\n').enumerate() {
        let mut from = 0;
        while let Some(at) = line[from..].find(&needle) {
            let start = from + at;
            let col = line[..start].chars().count() + 1;
            let span = crate::spec::source::Span {
                line: i + 1,
                col,
                end_line: i + 1,
                end_col: col + needle.chars().count(),
            };
            let spec_path = project.spans.path_at(span.line, span.col).unwrap_or("");
            if keep(spec_path) {
                spans.push(span);
            }
            from = start + needle.len();
        }
    }
    spans
}

const SECURE: &str = "(secure sha256:";

/// The fingerprint of a value with secrets in it.
pub fn fingerprint(template: &str, resolved: &str) -> String {
    format!(
        "{SECURE}{} of {template})",
        crate::engine::saved::sha256_hex(resolved.as_bytes())
    )
}

/// A fingerprint's hash and template.
pub fn parse(value: &str) -> Option<(&str, &str)> {
    let rest = value.strip_prefix(SECURE)?.strip_suffix(')')?;
    rest.split_once(" of ")
}

/// Whether a live value is the one a fingerprint stands for.
pub fn matches(fingerprint: &str, live: &str) -> bool {
    parse(fingerprint)
        .is_some_and(|(hash, _)| crate::engine::saved::sha256_hex(live.as_bytes()) == hash)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_secure_value_is_kept_as_a_fingerprint_that_matches_only_its_value() {
        let params = BTreeMap::from([
            (
                "/db/user".to_string(),
                Parameter {
                    value: "app".into(),
                    secure: false,
                },
            ),
            (
                "/db/pass".to_string(),
                Parameter {
                    value: "s3cret".into(),
                    secure: true,
                },
            ),
        ]);
        let template = "postgres://${ssm:/db/user}:${ssm:/db/pass}@db";
        let (resolved, secure) = substitute(template, &params).unwrap();
        assert_eq!(
            (resolved.as_str(), secure),
            ("postgres://app:s3cret@db", true)
        );
        let print = fingerprint(template, &resolved);
        assert!(!print.contains("s3cret"), "{print}");
        assert_eq!(parse(&print).unwrap().1, template);
        assert!(matches(&print, "postgres://app:s3cret@db"));
        assert!(!matches(&print, "postgres://app:other@db"));
        assert!(substitute("${ssm:/nope}", &params).is_none());
    }
}
