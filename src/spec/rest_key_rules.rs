//! The rules of the REST API's API keys and usage plans: key names slsr can use in a
//! physical name, each declared once; a usage plan admits only declared keys, and a key is
//! in at most one plan (AWS refuses a key in two plans of one API stage, and slsr's plans
//! share the one stage). Negative limits and a period other than day, week or month are
//! refused by the schema.

use std::collections::BTreeMap;

use super::diag::{Code, Diagnostic};
use super::load::Project;
use super::rules::{reference_values, span, undeclared};

pub fn check(p: &Project, diags: &mut Vec<Diagnostic>) {
    let keys = p
        .rest_api
        .as_ref()
        .and_then(|a| a.api_keys.clone())
        .unwrap_or_default();
    check_key_references(p, &keys, diags);
    let Some(api) = &p.rest_api else { return };
    // `auth` says `none`, `iam` and `api_key` itself: an authorizer of those names could
    // never be chosen.
    for reserved in ["none", "iam", super::model::API_KEY_AUTH] {
        if !api
            .authorizers
            .as_ref()
            .is_some_and(|a| a.contains_key(reserved))
        {
            continue;
        }
        let meaning = match reserved {
            "none" => "no authorization",
            "iam" => "IAM (SigV4) authorization",
            _ => "an API key and no authorizer",
        };
        diags.push(
            Diagnostic::error(
                Code::InvalidValue,
                p.spans
                    .key(&format!("rest_api.authorizers.{reserved}"))
                    .unwrap_or_else(|| span(p, "rest_api.authorizers")),
                format!(
                    "an authorizer cannot be named `{reserved}`: `auth: {reserved}` means {meaning}"
                ),
            )
            .with_label("reserved name")
            .with_help("rename the authorizer"),
        );
    }
    for (i, key) in keys.iter().enumerate() {
        let at = span(p, &format!("rest_api.api_keys[{i}]"));
        if !super::names::valid_key(key) {
            diags.push(
                Diagnostic::error(
                    Code::InvalidValue,
                    at,
                    format!("API key name `{key}` is not letters, digits, `-` and `_`"),
                )
                .with_label("invalid key name"),
            );
        } else if keys[..i].contains(key) {
            diags.push(
                Diagnostic::error(
                    Code::DuplicateKey,
                    at,
                    format!("API key `{key}` is declared twice"),
                )
                .with_label("declared twice"),
            );
        }
    }
    let mut admitted: BTreeMap<&str, &str> = BTreeMap::new();
    for (plan, up) in api.usage_plans.iter().flatten() {
        if !super::names::valid_key(plan) {
            diags.push(
                Diagnostic::error(
                    Code::InvalidValue,
                    p.spans
                        .key(&format!("rest_api.usage_plans.{plan}"))
                        .unwrap_or_else(|| span(p, "rest_api.usage_plans")),
                    format!("usage plan name `{plan}` is not letters, digits, `-` and `_`"),
                )
                .with_label("invalid plan name"),
            );
        }
        for (i, key) in up.keys.iter().flatten().enumerate() {
            let at = span(p, &format!("rest_api.usage_plans.{plan}.keys[{i}]"));
            if !keys.contains(key) {
                diags.push(undeclared(
                    at,
                    "API key",
                    key,
                    keys.iter(),
                    "rest_api.api_keys",
                ));
                continue;
            }
            match admitted.get(key.as_str()) {
                Some(first) => diags.push(
                    Diagnostic::error(
                        Code::Conflict,
                        at,
                        format!("API key `{key}` is already in usage plan `{first}`"),
                    )
                    .with_label("in two usage plans")
                    .with_help(
                        "AWS admits a key to one usage plan of an API stage: keep it in one",
                    ),
                ),
                None => {
                    admitted.insert(key, plan);
                }
            }
        }
    }
}

/// `${rest_api.api_keys.NAME.id}` names a declared key.
fn check_key_references(p: &Project, keys: &[String], diags: &mut Vec<Diagnostic>) {
    let pattern = super::interpolate::reference_pattern();
    for (path, value) in reference_values(p) {
        for c in pattern.captures_iter(value) {
            let Some(key) = c.get(6).map(|m| m.as_str()) else {
                continue;
            };
            if !keys.iter().any(|k| k == key) {
                diags.push(undeclared(
                    span(p, &path),
                    "API key",
                    key,
                    keys.iter(),
                    "rest_api.api_keys",
                ));
            }
        }
    }
}
