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

use crate::model::State;

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
/// SecureString in it as a fingerprint.
pub fn fill(state: &mut State, params: &BTreeMap<String, Parameter>) {
    fn walk(value: &mut Value, params: &BTreeMap<String, Parameter>) {
        match value {
            Value::String(s) if s.contains("${ssm:") => {
                if let Some((resolved, secure)) = substitute(s, params) {
                    *s = if secure {
                        fingerprint(s, &resolved)
                    } else {
                        resolved
                    };
                }
            }
            Value::Array(items) => items.iter_mut().for_each(|v| walk(v, params)),
            Value::Object(map) => map.values_mut().for_each(|v| walk(v, params)),
            _ => {}
        }
    }
    for r in state.resources.values_mut() {
        r.attrs.values_mut().for_each(|v| walk(v, params));
    }
}

const SECURE: &str = "(secure sha256:";

/// The fingerprint of a value with secrets in it.
pub fn fingerprint(template: &str, resolved: &str) -> String {
    format!(
        "{SECURE}{} of {template})",
        crate::saved::sha256_hex(resolved.as_bytes())
    )
}

/// A fingerprint's hash and template.
pub fn parse(value: &str) -> Option<(&str, &str)> {
    let rest = value.strip_prefix(SECURE)?.strip_suffix(')')?;
    rest.split_once(" of ")
}

/// Whether a live value is the one a fingerprint stands for.
pub fn matches(fingerprint: &str, live: &str) -> bool {
    parse(fingerprint).is_some_and(|(hash, _)| crate::saved::sha256_hex(live.as_bytes()) == hash)
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
