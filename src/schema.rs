//! The JSON Schema of the spec, generated from the types in `model`.
//!
//! `schema/platform.schema.json` is this schema, committed for editors and readers; a test keeps
//! it equal to `generate()`. The compiler validates against `generate()` itself, so the binary can
//! never disagree with its own types.

use serde_json::Value;

use crate::model::Platform;

/// The schema of a merged platform document (`platform.kdl` plus one overlay).
pub fn generate() -> Value {
    let schema = schemars::generate::SchemaSettings::draft2020_12()
        .into_generator()
        .into_root_schema_for::<Platform>();
    let mut value = schema.to_value();
    if let Some(object) = value.as_object_mut() {
        object.insert(
            "$id".to_owned(),
            Value::from("https://lgtmc.dev/schema/platform.schema.json"),
        );
        object.insert("title".to_owned(), Value::from("lgtmc platform spec"));
    }
    value
}

/// The schema as committed: pretty JSON with a final newline.
pub fn text() -> String {
    let mut text = serde_json::to_string_pretty(&generate()).unwrap_or_default();
    text.push('\n');
    text
}
