//! The JSON Schema check of a merged document, each error at the span of the value it is about and
//! in the spec's words (`a whole number`, `a duration`); and the secrets found in it.

use jsonschema::error::ValidationErrorKind;
use serde_json::Value;

use crate::diagnostic::{Problem, SourceFile};
use crate::document::Document;
use crate::model::{CPU_PATTERN, DURATION_PATTERN, MEMORY_PATTERN};

/// Every schema error of the document, at the origin of the value it is about.
pub(super) fn schema_problems(
    validator: &jsonschema::Validator,
    document: &Document,
    files: &[SourceFile],
    problems: &mut Vec<Problem>,
) {
    for error in validator
        .iter_errors(&document.value)
        .flat_map(optional_section_errors)
    {
        let pointer = error.instance_path().as_str().to_owned();
        let instance = document.value.pointer(&pointer).unwrap_or(&Value::Null);
        let what = describe_location(&pointer);
        let (message, label, help) = match error.kind() {
            ValidationErrorKind::Required { .. } if document.misspelt.contains(&pointer) => continue,
            ValidationErrorKind::Required { property } => {
                let property = property.as_str().unwrap_or_default();
                (
                    format!("{what} is missing `{property}`"),
                    format!("`{property}` is required"),
                    Some(format!("add `{property}`; SPEC.md describes every key")),
                )
            }
            ValidationErrorKind::Type { kind } => (
                format!("{what} must be {}, found {}", type_name(kind), describe_value(instance)),
                format!("expected {}", type_name(kind)),
                Some(type_hint(kind, last_segment(&pointer))),
            ),
            ValidationErrorKind::Minimum { limit } => (
                format!("{what} must be at least {limit}, found {instance}"),
                format!("at least {limit}"),
                None,
            ),
            ValidationErrorKind::Maximum { limit } => (
                format!("{what} must be at most {limit}, found {instance}"),
                format!("at most {limit}"),
                None,
            ),
            ValidationErrorKind::Pattern { pattern } if pattern == DURATION_PATTERN => (
                format!("{what} must be a duration, found {}", describe_value(instance)),
                "not a duration".to_owned(),
                Some("write a number and a unit, for example `90d`, `12h`, `30m` or `1h30m` (units: y w d h m s ms)".to_owned()),
            ),
            ValidationErrorKind::Pattern { pattern } if pattern == CPU_PATTERN => (
                format!("{what} must be a CPU quantity, found {}", describe_value(instance)),
                "not a CPU quantity".to_owned(),
                Some("write CPUs (`2`, `1.5`) or millicores (`500m`)".to_owned()),
            ),
            ValidationErrorKind::Pattern { pattern } if pattern == MEMORY_PATTERN => (
                format!("{what} must be a memory quantity, found {}", describe_value(instance)),
                "not a memory quantity".to_owned(),
                Some("write a number and a unit: `512Mi`, `4Gi` (Ki, Mi, Gi, Ti; or k, M, G, T)".to_owned()),
            ),
            ValidationErrorKind::Pattern { pattern } => (
                format!("{what} must match `{pattern}`, found {}", describe_value(instance)),
                "does not match".to_owned(),
                Some("use lower-case letters, digits and `-`, starting and ending with a letter or digit".to_owned()),
            ),
            ValidationErrorKind::MinItems { .. } | ValidationErrorKind::MinProperties { .. } => (
                format!("{what} needs at least one entry"),
                "empty".to_owned(),
                None,
            ),
            ValidationErrorKind::MinLength { .. } => (format!("{what} must not be empty"), "empty".to_owned(), None),
            _ => (format!("{what}: {error}"), "here".to_owned(), None),
        };
        let origin = document.origins.find(&pointer);
        let problem = Problem::new(&files[origin.file], origin.span, message, label);
        problems.push(match help {
            Some(help) => problem.with_help(help),
            None => problem,
        });
    }
}

/// Every secret written into the document (`secrets::find`), at its origin.
pub(super) fn secret_problems(
    document: &Document,
    files: &[SourceFile],
    problems: &mut Vec<Problem>,
) {
    for finding in crate::secrets::find(&document.value) {
        let origin = document.origins.find(&finding.pointer);
        problems.push(
            Problem::new(
                &files[origin.file],
                origin.span,
                format!(
                    "{} looks like it holds {}; the spec must not hold secrets",
                    describe_location(&finding.pointer),
                    finding.what
                ),
                "a secret",
            )
            .with_help(finding.help),
        );
    }
}

/// An optional section (`errors`, `compute nodes`) is `anyOf: [section, null]` in the schema, and
/// a mistake inside it fails both branches at once. The KDL mapping never writes null, so the
/// section's own errors are the ones to report: the null branch's type error is dropped.
fn optional_section_errors(
    error: jsonschema::ValidationError<'_>,
) -> Vec<jsonschema::ValidationError<'_>> {
    let is_null_branch = |branch: &[jsonschema::ValidationError<'_>], at: &str| {
        matches!(branch, [only] if matches!(only.kind(), ValidationErrorKind::Type { .. })
            && only.instance_path().as_str() == at)
    };
    let at = error.instance_path().as_str().to_owned();
    let section = match error.kind() {
        ValidationErrorKind::AnyOf { context } if context.len() == 2 => context
            .iter()
            .position(|branch| is_null_branch(branch, &at))
            .map(|null| 1 - null)
            .filter(|&section| !context[section].is_empty()),
        _ => None,
    };
    let Some(section) = section else {
        return vec![error];
    };
    match error.into_parts().kind {
        ValidationErrorKind::AnyOf { mut context } => context.swap_remove(section),
        // Unreachable: `section` is only found in an `anyOf`.
        _ => Vec::new(),
    }
}

/// "tenant `agents`", "`storage.ceph.replicas`", "the platform".
fn describe_location(pointer: &str) -> String {
    let segments: Vec<String> = pointer
        .split('/')
        .skip(1)
        .map(|segment| segment.replace("~1", "/").replace("~0", "~"))
        .collect();
    match segments.as_slice() {
        [] => "the platform".to_owned(),
        [map, key] if map == "tenant" => format!("tenant `{key}`"),
        [map, key, rest @ ..] if map == "tenant" => {
            format!("`{}` of tenant `{key}`", rest.join("."))
        }
        _ => format!("`{}`", segments.join(".")),
    }
}

fn type_name(kind: &jsonschema::error::TypeKind) -> String {
    let names = match kind {
        jsonschema::error::TypeKind::Single(kind) => vec![kind.to_string()],
        jsonschema::error::TypeKind::Multiple(kinds) => kinds
            .iter()
            .map(|k| k.to_string())
            .filter(|k| k != "null")
            .collect(),
    };
    let names: Vec<String> = names
        .into_iter()
        .map(|name| match name.as_str() {
            "integer" => "a whole number".to_owned(),
            "number" => "a number".to_owned(),
            "string" => "a string".to_owned(),
            "boolean" => "`#true` or `#false`".to_owned(),
            "array" => "a list".to_owned(),
            "object" => "a node with properties".to_owned(),
            other => other.to_owned(),
        })
        .collect();
    names.join(" or ")
}

fn type_hint(kind: &jsonschema::error::TypeKind, key: &str) -> String {
    let name = type_name(kind);
    if name.contains("whole number") {
        format!("write the number without quotes, for example `{key}=3`")
    } else if name.contains("string") {
        format!("write the value in double quotes, for example `{key}=\"…\"`")
    } else {
        format!("expected {name}")
    }
}

fn last_segment(pointer: &str) -> &str {
    pointer.rsplit('/').next().unwrap_or_default()
}

fn describe_value(value: &Value) -> String {
    match value {
        Value::String(text) => format!("the string \"{}\"", text.escape_debug()),
        Value::Bool(flag) => format!("#{flag}"),
        Value::Null => "#null".to_owned(),
        Value::Number(number) => format!("the number {number}"),
        Value::Array(_) => "a list".to_owned(),
        Value::Object(_) => "a node".to_owned(),
    }
}
