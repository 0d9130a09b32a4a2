//! The spec's outputs against the account: what each one names, which of that the account
//! has yet, and how a plan changes them (the plan's "Changes to Outputs").
//!
//! slsr keeps no state, so an output has a value "now" only where the account holds one:
//! the published SSM parameter of an output with `ssm`, or, for the others, the value its
//! references take once everything they name exists. Pure: no I/O.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::engine::desired::still_unknown;
use crate::engine::model::{Kind, State, address};
use crate::engine::plan::Action;
use crate::spec::Project;

/// How one output changes: added (the account holds no value for it yet) or changed. A
/// published output that leaves the spec shows as its parameter's deletion.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct OutputChange {
    pub name: String,
    /// `Create` or `Update`.
    pub action: Action,
    /// The value now: `None` when the account holds none yet.
    pub before: Option<String>,
    /// The value after apply (`(known after apply: ...)` while something it names is new).
    pub after: Option<String>,
    /// Masked in every output (`sensitive::is_sensitive`, as for a parameter's value).
    pub sensitive: bool,
}

/// The addresses an output's value names: `${queue:jobs.url}` names `queue.jobs`,
/// `${function:api.url}` the function URL `function_url.api`, `${http_api.url}` and
/// `${rest_api.url}` their API.
pub fn names(value: &str) -> Vec<String> {
    let pattern = crate::spec::interpolate::reference_pattern();
    let mut out: Vec<String> = pattern
        .captures_iter(value)
        .filter_map(|c| {
            let name = c.get(2).map_or("", |m| m.as_str());
            // A reference's word is its kind's address prefix; a function's URL is its own kind.
            let kind = match (c.get(1).map(|m| m.as_str()), c.get(3).map(|m| m.as_str())) {
                (Some("function"), Some("url")) => Some(Kind::FunctionUrl),
                (Some(word), _) => crate::kinds::ALL
                    .iter()
                    .copied()
                    .find(|k| k.info().prefix == word),
                (None, _) if c.get(6).is_some() => {
                    return Some(crate::kinds::rest_api_key::at(&c[6]));
                }
                // `${http_api.domain_target}`: the API's domain name.
                (None, _) if c[5].starts_with("domain_") => {
                    return Some(crate::kinds::domain_name::of(&c[4]));
                }
                (None, _) if &c[4] == "rest_api" => Some(Kind::RestApi),
                (None, _) => Some(Kind::HttpApi),
            };
            match kind? {
                Kind::HttpApi => Some(address(Kind::HttpApi, "api")),
                Kind::RestApi => Some(address(Kind::RestApi, "api")),
                kind => Some(address(kind, name)),
            }
        })
        .collect();
    out.sort();
    out.dedup();
    out
}

/// Each output's missing parts: what it names that the account does not have (by address),
/// so that its value is not real yet. Outputs with nothing missing are left out.
pub fn missing(project: &Project, live: &State) -> BTreeMap<String, Vec<String>> {
    project
        .outputs
        .iter()
        .filter_map(|(name, output)| {
            let absent: Vec<String> = names(&output.value)
                .into_iter()
                .filter(|a| !live.resources.contains_key(a))
                .collect();
            (!absent.is_empty()).then(|| (name.clone(), absent))
        })
        .collect()
}

/// How the plan changes the outputs. `after` holds each output's value after apply;
/// `live` is the account as read (empty offline, where every output is added).
pub fn changes(
    project: &Project,
    after: &BTreeMap<String, String>,
    live: &State,
) -> Vec<OutputChange> {
    let absent = missing(project, live);
    let sensitive = |v: &Option<String>| {
        v.as_deref().is_some_and(|v| {
            crate::engine::sensitive::is_sensitive(
                crate::kinds::parameter::VALUE,
                Some(&Value::from(v)),
            )
        })
    };
    let mut out = Vec::new();
    for (name, output) in &project.outputs {
        let will_be = after.get(name).cloned();
        let now = match &output.ssm {
            Some(path) => live
                .resources
                .get(&address(Kind::Parameter, path))
                .and_then(|p| p.attrs.get(crate::kinds::parameter::VALUE))
                .and_then(Value::as_str)
                .map(str::to_string),
            None if absent.contains_key(name) => None,
            None => will_be.clone().filter(|v| !still_unknown(v)),
        };
        let action = match (&now, &will_be) {
            (None, _) => Action::Create,
            (Some(a), Some(b)) if a != b => Action::Update,
            _ => continue,
        };
        out.push(OutputChange {
            name: name.clone(),
            action,
            sensitive: sensitive(&now) || sensitive(&will_be),
            before: now,
            after: will_be,
        });
    }
    out
}

/// Why `slsr outputs` cannot give every value: the stage is not deployed at all, or the
/// outputs that name what the account lacks, each with what it names. `None` when every
/// output has its value.
pub fn not_deployed(planned: &crate::engine::make::Planned) -> Option<String> {
    let undeployed = planned.owned.is_empty() && !planned.outputs.is_empty();
    if planned.outputs_missing.is_empty() && !undeployed {
        return None;
    }
    let where_ = format!(
        "service {} stage {} in account {}, {}",
        planned.header.service,
        planned.header.stage,
        planned.header.account.as_deref().unwrap_or("(none)"),
        planned.header.region.as_deref().unwrap_or("(no region)")
    );
    if undeployed {
        return Some(format!(
            "{where_} is not deployed: slsr owns nothing there, so no output has a value yet; run `slsr apply` first"
        ));
    }
    let each: Vec<String> = planned
        .outputs_missing
        .iter()
        .map(|(name, absent)| format!("{name} (needs {})", absent.join(", ")))
        .collect();
    Some(format!(
        "{} of the outputs of {where_} {} no value yet, because what {} is not deployed: {}; run `slsr apply` to deploy it",
        each.len(),
        if each.len() == 1 { "has" } else { "have" },
        if each.len() == 1 {
            "it names"
        } else {
            "they name"
        },
        each.join("; ")
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn references_name_the_resources_that_hold_their_values() {
        assert_eq!(
            names("${http_api.url}/v1 ${queue:jobs.url} ${function:api.url} ${function:api.arn}"),
            [
                "function.api",
                "function_url.api",
                "http_api.api",
                "queue.jobs"
            ]
        );
        assert_eq!(names("${table:orders.stream_arn}"), ["table.orders"]);
        assert_eq!(names("${topic:orders.arn}"), ["topic.orders"]);
        assert_eq!(names("${stream:clicks.arn}"), ["stream.clicks"]);
        assert_eq!(names("${secret:key.arn}"), ["secret.key"]);
        assert_eq!(
            names("${state_machine:fulfil.arn}"),
            ["state_machine.fulfil"]
        );
        assert!(names("https://example.com").is_empty());
    }

    /// Each reference's word names a kind, so an output's dependency is never lost.
    #[test]
    fn every_reference_names_a_kind() {
        for (word, attributes) in crate::spec::interpolate::RESOURCE_REFERENCES {
            for attribute in *attributes {
                let named = names(&format!("${{{word}:x.{attribute}}}"));
                assert_eq!(named.len(), 1, "{word}.{attribute}: {named:?}");
                assert!(named[0].ends_with(".x"), "{word}.{attribute}: {named:?}");
            }
        }
    }
}
