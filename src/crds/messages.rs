//! The messages of a schema error: what is wrong, in words, with the fields an object allows
//! and the alternatives a value could have matched.

use jsonschema::ValidationError;
use jsonschema::error::{TypeKind, ValidationErrorKind};
use serde_json::Value;

use super::{EXPRESSION, Schema};
use crate::diagnostic::did_you_mean;

/// The (pointer, message) pairs of one error: none when, with `expressions`, it is about a value
/// holding a Kargo expression; one per field for unknown fields.
pub(super) fn error_messages(
    schema: &Schema,
    instance: &Value,
    error: &ValidationError<'_>,
    expressions: bool,
) -> Vec<(String, String)> {
    let pointer = error.instance_path().as_str().to_owned();
    let value = instance.pointer(&pointer).unwrap_or(&Value::Null);
    if expressions && value.as_str().is_some_and(|text| text.contains(EXPRESSION)) {
        return Vec::new();
    }
    let message = match error.kind() {
        ValidationErrorKind::AdditionalProperties { unexpected } => {
            let allowed = allowed_fields(schema, error);
            return unexpected
                .iter()
                .map(|field| {
                    (
                        format!("{pointer}/{}", escape(field)),
                        unknown_field(field, &allowed),
                    )
                })
                .collect();
        }
        ValidationErrorKind::Required { property } => {
            let property = property
                .as_str()
                .map_or_else(|| property.to_string(), str::to_owned);
            format!("missing required field `{property}`")
        }
        ValidationErrorKind::Type { kind } => {
            format!("expected {}, found {}", type_name(kind), describe(value))
        }
        ValidationErrorKind::Enum { options } => {
            let options = options.as_array().map_or_else(
                || options.to_string(),
                |options| {
                    options
                        .iter()
                        .map(Value::to_string)
                        .collect::<Vec<_>>()
                        .join(", ")
                },
            );
            format!("expected one of {options}, found {}", describe(value))
        }
        ValidationErrorKind::Pattern { pattern } => {
            format!("{} does not match the pattern `{pattern}`", describe(value))
        }
        ValidationErrorKind::AnyOf { context } | ValidationErrorKind::OneOfNotValid { context } => {
            match none_matched(schema, instance, &pointer, context, expressions) {
                Some(message) => message,
                None => return Vec::new(),
            }
        }
        ValidationErrorKind::OneOfMultipleValid { .. } => {
            "matches more than one of the alternatives, where exactly one must match".to_owned()
        }
        _ => error.to_string(),
    };
    vec![(pointer, message)]
}

/// The message of a value that matched none of `context`'s alternatives: which types, when
/// only the types differ (int-or-string, nullable), else what each alternative found wrong;
/// `None` when an alternative failed only on Kargo expressions (with `expressions`), since it
/// may well hold.
fn none_matched(
    schema: &Schema,
    instance: &Value,
    pointer: &str,
    context: &[Vec<ValidationError<'_>>],
    expressions: bool,
) -> Option<String> {
    let value = instance.pointer(pointer).unwrap_or(&Value::Null);
    let types: Option<Vec<String>> = context
        .iter()
        .map(|branch| match branch.as_slice() {
            [only] if only.instance_path().as_str() == pointer => match only.kind() {
                ValidationErrorKind::Type { kind } => Some(type_name(kind)),
                _ => None,
            },
            _ => None,
        })
        .collect();
    if let Some(types) = types.filter(|types| !types.is_empty()) {
        return Some(format!(
            "expected {}, found {}",
            types.join(" or "),
            describe(value)
        ));
    }
    let mut alternatives = Vec::new();
    for branch in context {
        let messages: Vec<String> = branch
            .iter()
            .flat_map(|error| error_messages(schema, instance, error, expressions))
            .map(|(at, message)| match at.strip_prefix(pointer) {
                Some("") | None => message,
                Some(below) => format!("{below}: {message}"),
            })
            .collect();
        if messages.is_empty() {
            return None;
        }
        alternatives.push(messages.join(" and "));
    }
    let alternatives = alternatives
        .iter()
        .enumerate()
        .map(|(index, messages)| format!("({}) {messages}", index + 1))
        .collect::<Vec<_>>()
        .join("; ");
    Some(format!(
        "matches none of the allowed alternatives: {alternatives}"
    ))
}

/// The fields the object schema that rejected an unknown field allows, when it can be found.
fn allowed_fields(schema: &Schema, error: &ValidationError<'_>) -> Vec<String> {
    let (document, pointer) = match error.absolute_keyword_location() {
        Some(uri) => {
            let uri = uri.as_str();
            let (base, fragment) = uri.split_once('#').unwrap_or((uri, ""));
            (base.to_owned(), fragment.to_owned())
        }
        None => (String::new(), error.schema_path().as_str().to_owned()),
    };
    let object = pointer
        .strip_suffix("/additionalProperties")
        .and_then(|parent| schema.documents.get(&document)?.pointer(parent))
        .and_then(|object| object.get("properties"))
        .and_then(Value::as_object);
    object.map_or_else(Vec::new, |properties| properties.keys().cloned().collect())
}

fn unknown_field(field: &str, allowed: &[String]) -> String {
    if let Some(help) = did_you_mean(field, allowed.iter().map(String::as_str)) {
        return format!("unknown field `{field}`; {help}");
    }
    if !allowed.is_empty() && allowed.len() <= 12 {
        let list = allowed
            .iter()
            .map(|name| format!("`{name}`"))
            .collect::<Vec<_>>()
            .join(", ");
        return format!("unknown field `{field}` (allowed: {list})");
    }
    format!("unknown field `{field}`")
}

fn type_name(kind: &TypeKind) -> String {
    match kind {
        TypeKind::Single(kind) => kind.to_string(),
        TypeKind::Multiple(kinds) => kinds
            .iter()
            .map(|kind| kind.to_string())
            .collect::<Vec<_>>()
            .join(" or "),
    }
}

/// A short description of a value for a message.
fn describe(value: &Value) -> String {
    match value {
        Value::Object(_) => "an object".to_owned(),
        Value::Array(_) => "a list".to_owned(),
        Value::Null => "null".to_owned(),
        Value::String(text) if text.chars().count() > 60 => {
            format!(
                "the string {:?}…",
                text.chars().take(60).collect::<String>()
            )
        }
        Value::String(text) => format!("the string {text:?}"),
        other => other.to_string(),
    }
}

/// Orders JSON pointers segment by segment, list indices as numbers (`/2` before `/10`).
pub(super) fn pointer_order(a: &str, b: &str) -> std::cmp::Ordering {
    let key = |segment: &str| (segment.parse::<u64>().ok(), segment.to_owned());
    a.split('/').map(key).cmp(b.split('/').map(key))
}

/// Escapes a key for a JSON pointer.
pub(super) fn escape(key: &str) -> String {
    key.replace('~', "~0").replace('/', "~1")
}
