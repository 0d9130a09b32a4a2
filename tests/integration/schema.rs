//! The JSON Schema: the checked-in file is what the code generates, and an independent
//! validator (the jsonschema crate) accepts every example and rejects a bad spec.

use std::path::Path;

use slsr::spec::yaml;
use slsr::spec::{schema, structure};

fn root() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

fn checked_in() -> serde_json::Value {
    serde_json::from_str(&std::fs::read_to_string(root().join("schema/slsr.schema.json")).unwrap())
        .unwrap()
}

/// A spec file as the JSON an editor's YAML plugin would validate: no interpolation.
fn as_json(path: &Path) -> serde_json::Value {
    let text = std::fs::read_to_string(path).unwrap();
    let (node, _) = yaml::parse(&text).unwrap();
    structure::to_json(&node.unwrap())
}

#[test]
fn checked_in_schema_is_what_the_code_generates() {
    let on_disk = std::fs::read_to_string(root().join("schema/slsr.schema.json")).unwrap();
    assert!(
        on_disk == schema::editor_text(),
        "schema/slsr.schema.json is stale: run `cargo run -- schema > schema/slsr.schema.json`"
    );
}

#[test]
fn every_example_satisfies_the_schema() {
    let validator =
        jsonschema::validator_for(&checked_in()).expect("the schema is valid JSON Schema");
    let mut seen = 0;
    for entry in std::fs::read_dir(root().join("examples")).unwrap() {
        let spec = entry.unwrap().path().join("slsr.yaml");
        if !spec.exists() {
            continue;
        }
        seen += 1;
        let errors: Vec<String> = validator
            .iter_errors(&as_json(&spec))
            .map(|e| format!("{} at {}", e, e.instance_path()))
            .collect();
        assert!(errors.is_empty(), "{}: {errors:#?}", spec.display());
    }
    assert!(seen >= 3);
}

#[test]
fn the_schema_rejects_what_validation_rejects() {
    let validator = jsonschema::validator_for(&checked_in()).unwrap();
    for (spec, why) in [
        (
            "service: shop\nfunctions:\n  api: {image: x, memory: 64}\n",
            "memory below 128",
        ),
        (
            "service: shop\nfunctions:\n  api: {image: x, memroy: 256}\n",
            "unknown field",
        ),
        ("service: Shop\n", "service with upper case"),
        ("functions: {}\n", "no service"),
        (
            "service: shop\nfunctions:\n  api:\n    image: x\n    events: [{htp: GET /}]\n",
            "unknown event kind",
        ),
        (
            "service: shop\nfunctions:\n  api: {image: x, log_retention_days: 13}\n",
            "retention not a CloudWatch value",
        ),
    ] {
        let (node, _) = yaml::parse(spec).unwrap();
        assert!(
            !validator.is_valid(&structure::to_json(&node.unwrap())),
            "the schema should reject {why}"
        );
    }
    // A reference where a number goes is fine for editors: interpolation gives it its type.
    let (node, _) =
        yaml::parse("service: shop\nfunctions:\n  api: {image: x, memory: '${param:memory}'}\n")
            .unwrap();
    assert!(validator.is_valid(&structure::to_json(&node.unwrap())));
}
