//! The JSON Schema of the spec, generated from the types in `model.rs`.
//!
//! Two variants: `strict()` drives structural validation after interpolation, and
//! `for_editors()` (what `slsr schema` prints and `schema/slsr.schema.json` holds) also lets
//! a number or boolean field hold a `${...}` reference, which interpolation turns into the
//! referenced value's type.

use serde_json::{Map, Value, json};

use super::model::Spec;

/// A `${...}` reference: the whole scalar is one reference.
const REFERENCE_PATTERN: &str = r"^\$\{[^}]+\}$";

pub fn strict() -> Value {
    let schema = schemars::SchemaGenerator::default().into_root_schema_for::<Spec>();
    let mut value = schema.to_value();
    drop_null(&mut value);
    if let Some(object) = value.as_object_mut() {
        object.insert("title".into(), json!("slsr spec"));
    }
    value
}

pub fn for_editors() -> Value {
    let mut value = strict();
    allow_references(&mut value);
    value
}

/// The text of `slsr schema`, byte for byte what `schema/slsr.schema.json` holds.
pub fn editor_text() -> String {
    let mut text = serde_json::to_string_pretty(&for_editors()).expect("a JSON value prints");
    text.push('\n');
    text
}

/// Optional fields are `Option<T>` in Rust, which schemars writes as "T or null". A spec
/// omits a field rather than writing null, and null would be read as "not set", hiding
/// a mistake like `memory:` with no value; so null is not allowed anywhere.
fn drop_null(value: &mut Value) {
    match value {
        Value::Object(object) => {
            if let Some(Value::Array(types)) = object.get_mut("type") {
                types.retain(|t| t != "null");
                if types.len() == 1 {
                    let only = types.remove(0);
                    object.insert("type".into(), only);
                }
            }
            for key in ["anyOf", "oneOf"] {
                if let Some(Value::Array(branches)) = object.get_mut(key) {
                    branches.retain(|b| b.get("type") != Some(&json!("null")));
                    if branches.len() == 1 {
                        let only = branches.remove(0);
                        object.remove(key);
                        if let Value::Object(inner) = only {
                            for (k, v) in inner {
                                object.entry(k).or_insert(v);
                            }
                        }
                    }
                }
            }
            for child in object.values_mut() {
                drop_null(child);
            }
        }
        Value::Array(items) => items.iter_mut().for_each(drop_null),
        _ => {}
    }
}

/// Lets every integer, number or boolean schema also take a `${...}` string.
fn allow_references(value: &mut Value) {
    match value {
        Value::Object(object) => {
            for child in object.values_mut() {
                allow_references(child);
            }
            let scalar = matches!(
                object.get("type").and_then(Value::as_str),
                Some("integer" | "number" | "boolean")
            );
            if scalar {
                let description = object.remove("description");
                let original: Map<String, Value> = std::mem::take(object);
                object.insert(
                    "anyOf".into(),
                    json!([
                        Value::Object(original),
                        {"type": "string", "pattern": REFERENCE_PATTERN}
                    ]),
                );
                if let Some(d) = description {
                    object.insert("description".into(), d);
                }
            }
        }
        Value::Array(items) => items.iter_mut().for_each(allow_references),
        _ => {}
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn no_field_accepts_null() {
        let text = serde_json::to_string(&strict()).unwrap();
        assert!(!text.contains("\"null\""), "{text}");
    }

    #[test]
    fn every_property_has_a_description() {
        fn walk(value: &Value, defs: &Map<String, Value>, path: &str, missing: &mut Vec<String>) {
            if let Some(props) = value.get("properties").and_then(Value::as_object) {
                for (name, prop) in props {
                    let described = prop.get("description").is_some()
                        || prop
                            .get("$ref")
                            .and_then(Value::as_str)
                            .and_then(|r| defs.get(r.trim_start_matches("#/$defs/")))
                            .is_some_and(|d| d.get("description").is_some());
                    if !described {
                        missing.push(format!("{path}.{name}"));
                    }
                }
            }
            if let Value::Object(o) = value {
                for (k, v) in o {
                    walk(v, defs, &format!("{path}/{k}"), missing);
                }
            }
        }
        let schema = for_editors();
        let defs = schema["$defs"].as_object().unwrap().clone();
        let mut missing = Vec::new();
        walk(&schema, &defs, "", &mut missing);
        assert!(
            missing.is_empty(),
            "properties without description: {missing:?}"
        );
    }
}
