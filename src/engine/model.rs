//! The normalized model: desired state (from the spec) and live state (from the account)
//! as the same resources with the same attributes, so that the plan is one generic diff.
//!
//! Both sides fill AWS's defaults (memory 128, timeout 3, ...), so a default never shows as
//! a change. Maps are flattened into one attribute per key (`env.LOG_LEVEL`, `tags.team`)
//! so that a plan shows exactly which key changed; unordered lists are sorted; policies and
//! event patterns are parsed JSON, compared as values.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};
use serde_json::Value;

/// Shown where a value is only known once apply has created something (an API id, an ARN
/// in an account not yet read).
pub const KNOWN_AFTER_APPLY: &str = "(known after apply)";

pub use crate::kinds::Kind;

/// One resource, desired or live.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Resource {
    pub kind: Kind,
    /// Unique within the kind: `api`, `jobs`, `nightly.1a2b3c4d`, `GET /orders/{id}`.
    pub key: String,
    /// The name (or id) it has in AWS.
    pub name: String,
    pub attrs: BTreeMap<String, Value>,
}

impl Resource {
    pub fn new(kind: Kind, key: impl Into<String>, name: impl Into<String>) -> Resource {
        Resource {
            kind,
            key: key.into(),
            name: name.into(),
            attrs: BTreeMap::new(),
        }
    }

    /// `function.api`: how plans and errors name it.
    pub fn address(&self) -> String {
        address(self.kind, &self.key)
    }

    /// Sets an attribute (builder style).
    pub fn with(mut self, attr: &str, value: impl Into<Value>) -> Resource {
        self.attrs.insert(attr.to_string(), value.into());
        self
    }

    /// Sets `prefix.KEY` for every entry of a map (env vars, tags).
    pub fn with_map<'a>(
        mut self,
        prefix: &str,
        map: impl IntoIterator<Item = (&'a String, &'a String)>,
    ) -> Resource {
        for (k, v) in map {
            self.attrs
                .insert(format!("{prefix}.{k}"), Value::String(v.clone()));
        }
        self
    }
}

/// `function.api`, or `route["GET /orders/{id}"]` for a key that is not a plain name.
pub fn address(kind: Kind, key: &str) -> String {
    let plain = key
        .chars()
        .all(|c| c.is_ascii_alphanumeric() || matches!(c, '_' | '-' | '.' | '$'));
    if plain {
        format!("{}.{key}", kind.as_str())
    } else {
        format!("{}[{key:?}]", kind.as_str())
    }
}

/// A live resource with a name slsr would use but without slsr's ownership tags: slsr
/// will not touch it, and a plan that needs it fails.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Conflict {
    pub address: String,
    pub name: String,
    pub reason: String,
}

/// A live resource beside slsr's that slsr did not make (a trigger another team added to
/// a function slsr owns, a log group someone else tagged): left exactly as it is, and
/// shown in the plan so that nobody wonders why it stays.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Kept {
    pub address: String,
    pub name: String,
    pub reason: String,
}

/// All resources of one side, by address.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct State {
    pub resources: BTreeMap<String, Resource>,
    pub conflicts: Vec<Conflict>,
    pub kept: Vec<Kept>,
}

impl State {
    pub fn insert(&mut self, resource: Resource) {
        self.resources.insert(resource.address(), resource);
    }
}
