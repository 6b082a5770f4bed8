//! The documented JSON schemas (docs/*.schema.json) as validators, closed so that a field
//! the binary emits but the schema does not list fails: shared by tests/schema.rs and the
//! e2e tests that validate the reports they produce.

use std::path::{Path, PathBuf};

use serde_json::Value;

use super::repo_root;

pub fn docs(name: &str) -> PathBuf {
    repo_root().join("docs").join(name)
}

pub fn read_json(path: &Path) -> Value {
    let text =
        std::fs::read_to_string(path).unwrap_or_else(|e| panic!("read {}: {e}", path.display()));
    serde_json::from_str(&text).unwrap_or_else(|e| panic!("{} is not JSON: {e}", path.display()))
}

/// The published schema with every object that lists its `properties` closed
/// (`additionalProperties: false` unless it says otherwise). Readers must tolerate fields
/// added later (see the policy in docs/schema.md), so the published files stay open; this
/// test closes them so that a field the binary emits but the schema does not list fails here.
pub fn closed(schema: &Value) -> Value {
    match schema {
        Value::Object(map) => {
            let mut out: serde_json::Map<String, Value> =
                map.iter().map(|(k, v)| (k.clone(), closed(v))).collect();
            if out.contains_key("properties") && !out.contains_key("additionalProperties") {
                out.insert("additionalProperties".into(), Value::Bool(false));
            }
            Value::Object(out)
        }
        Value::Array(items) => Value::Array(items.iter().map(closed).collect()),
        other => other.clone(),
    }
}

/// A validator of `docs/<name>`, closed, with the sibling schemas it refers to registered.
pub fn validator(name: &str) -> jsonschema::Validator {
    let mut registry = jsonschema::Registry::new();
    for sibling in ["report.schema.json", "record.schema.json"] {
        let s = closed(&read_json(&docs(sibling)));
        let id = s["$id"]
            .as_str()
            .expect("every schema has an $id")
            .to_string();
        registry = registry
            .add(id, jsonschema::Resource::from_contents(s))
            .expect("a schema $id is a URI");
    }
    let registry = registry.prepare().expect("the schemas' references resolve");
    jsonschema::options()
        .with_registry(&registry)
        .build(&closed(&read_json(&docs(name))))
        .unwrap_or_else(|e| panic!("docs/{name} is not a valid JSON Schema: {e}"))
}

pub fn assert_valid(name: &str, instance: &Value, what: &str) {
    let v = validator(name);
    let errors: Vec<String> = v
        .iter_errors(instance)
        .map(|e| format!("  at {}: {e}", e.instance_path()))
        .collect();
    assert!(
        errors.is_empty(),
        "{what} does not match docs/{name}:\n{}",
        errors.join("\n")
    );
}
