//! Converting a CRD's `openAPIV3Schema` into a strict JSON Schema (see the module docs of
//! `crds`): unknown fields rejected, OpenAPI's and Kubernetes' extensions made JSON Schema.

use serde_json::{Map, Value};

/// Where a schema sits in its CRD's schema, which decides whether it is made strict.
#[derive(Clone, Copy, PartialEq, Eq)]
pub(super) enum Position {
    /// The `openAPIV3Schema` itself.
    Root,
    /// Below `properties`, `items` or `additionalProperties`: describes a value's shape.
    Structural,
    /// In `anyOf`, `allOf`, `oneOf` or `not`: only adds checks to the value around it.
    Branch,
}

/// Converts an OpenAPI v3 schema of a CRD into a strict JSON Schema (see the module docs).
pub(super) fn convert(schema: &Value, position: Position) -> Value {
    let Value::Object(source) = schema else {
        return schema.clone();
    };
    let flag = |key: &str| source.get(key).and_then(Value::as_bool) == Some(true);
    let preserve_unknown = flag("x-kubernetes-preserve-unknown-fields");
    let int_or_string = flag("x-kubernetes-int-or-string");
    let embedded = flag("x-kubernetes-embedded-resource");
    let nullable = flag("nullable");
    let mut out = Map::new();
    for (key, value) in source {
        if let Some(converted) = convert_keyword(key, value) {
            out.insert(key.clone(), converted);
        }
    }
    for (exclusive, bound) in [
        ("exclusiveMinimum", "minimum"),
        ("exclusiveMaximum", "maximum"),
    ] {
        if source.get(exclusive).and_then(Value::as_bool) == Some(true)
            && let Some(limit) = out.remove(bound)
        {
            out.insert(exclusive.to_owned(), limit);
        }
    }
    if int_or_string && !out.contains_key("anyOf") && !out.contains_key("type") {
        out.insert(
            "anyOf".to_owned(),
            serde_json::json!([{"type": "integer"}, {"type": "string"}]),
        );
    }
    if nullable {
        allow_null(&mut out);
    }
    if (position == Position::Root || embedded)
        && let Some(Value::Object(properties)) = out.get_mut("properties")
    {
        properties.insert(
            "apiVersion".to_owned(),
            serde_json::json!({"type": "string"}),
        );
        properties.insert("kind".to_owned(), serde_json::json!({"type": "string"}));
        properties.insert("metadata".to_owned(), serde_json::json!({"type": "object"}));
    }
    if position != Position::Branch
        && !preserve_unknown
        && out.contains_key("properties")
        && !out.contains_key("additionalProperties")
    {
        out.insert("additionalProperties".to_owned(), Value::Bool(false));
    }
    Value::Object(out)
}

/// One keyword of a schema, converted; `None` for a keyword JSON Schema does not have (or that
/// the schema around it turns into another: nullable, int-or-string, boolean exclusive bounds).
fn convert_keyword(key: &str, value: &Value) -> Option<Value> {
    let each = |items: &[Value], position: Position| {
        Value::Array(items.iter().map(|item| convert(item, position)).collect())
    };
    Some(match key {
        "nullable" | "description" => return None,
        key if key.starts_with("x-kubernetes-") => return None,
        "properties" => match value {
            Value::Object(properties) => Value::Object(
                properties
                    .iter()
                    .map(|(name, schema)| (name.clone(), convert(schema, Position::Structural)))
                    .collect(),
            ),
            other => other.clone(),
        },
        "items" => match value {
            Value::Array(items) => each(items, Position::Structural),
            other => convert(other, Position::Structural),
        },
        "additionalProperties" => convert(value, Position::Structural),
        "anyOf" | "allOf" | "oneOf" => match value {
            Value::Array(branches) => each(branches, Position::Branch),
            other => other.clone(),
        },
        "not" => convert(value, Position::Branch),
        // OpenAPI 3.0 writes exclusive bounds as booleans beside minimum/maximum.
        "exclusiveMinimum" | "exclusiveMaximum" if value.is_boolean() => return None,
        _ => value.clone(),
    })
}

/// Lets a schema accept `null` as well as what it accepted.
fn allow_null(schema: &mut Map<String, Value>) {
    match schema.get_mut("type") {
        Some(Value::String(single)) => {
            let single = std::mem::take(single);
            schema.insert("type".to_owned(), serde_json::json!([single, "null"]));
        }
        Some(Value::Array(types)) if !types.iter().any(|t| t == "null") => {
            types.push(Value::from("null"));
        }
        _ => {}
    }
    if let Some(Value::Array(options)) = schema.get_mut("enum")
        && !options.contains(&Value::Null)
    {
        options.push(Value::Null);
    }
    if let Some(Value::Array(branches)) = schema.get_mut("anyOf")
        && !schema_allows_null(branches)
    {
        branches.push(serde_json::json!({"type": "null"}));
    }
}

fn schema_allows_null(branches: &[Value]) -> bool {
    branches.iter().any(|branch| {
        branch.get("type").is_some_and(|t| {
            t == "null"
                || t.as_array()
                    .is_some_and(|types| types.iter().any(|t| t == "null"))
        })
    })
}
