//! Stage 6, verify: parse every rendered file back in its own format before anything is written.
//!
//! A file that does not parse means a template is wrong, so the error names the file, the
//! template that made it and the line. YAML files may hold several documents; each must parse,
//! without duplicate keys. Alloy files go through lgtmc's own Alloy parser and checker.

use std::sync::Arc;

use miette::{Diagnostic, NamedSource, SourceSpan};
use serde::Deserialize;

use crate::render::Rendered;

#[derive(Debug, thiserror::Error, Diagnostic)]
#[error("rendered file `{path}` (from template `{template}`) is not valid {format}: {detail}")]
#[diagnostic(help(
    "this is a template bug: the template produced a file its consumer would reject"
))]
pub struct VerifyError {
    pub path: String,
    pub template: String,
    pub format: &'static str,
    pub detail: String,
    #[source_code]
    source_code: NamedSource<Arc<str>>,
    #[label("here")]
    span: SourceSpan,
}

/// Checks every rendered file; returns every broken one.
pub fn verify(rendered: &Rendered) -> Result<(), Vec<VerifyError>> {
    let mut errors = Vec::new();
    for (path, text) in &rendered.files {
        let template = rendered.templates.get(path).cloned().unwrap_or_default();
        let failure = match path.rsplit('.').next() {
            Some("yaml" | "yml") => check_yaml(text).err().map(|e| ("YAML", e)),
            Some("json") => check_json(text).err().map(|e| ("JSON", e)),
            Some("alloy") => check_alloy(text).err().map(|e| ("Alloy configuration", e)),
            _ => None,
        };
        if let Some((format, (detail, offset))) = failure {
            errors.push(VerifyError {
                path: path.clone(),
                template,
                format,
                detail,
                source_code: NamedSource::new(format!("out/{path}"), Arc::from(text.as_str())),
                span: SourceSpan::from(offset.min(text.len())..offset.min(text.len())),
            });
        }
    }
    if errors.is_empty() {
        Ok(())
    } else {
        Err(errors)
    }
}

/// Parses every document of a YAML stream; on failure, the message and its byte offset.
pub fn check_yaml(text: &str) -> Result<(), (String, usize)> {
    for document in serde_norway::Deserializer::from_str(text) {
        if let Err(error) = serde_norway::Value::deserialize(document) {
            let offset = error.location().map_or(0, |location| location.index());
            return Err((error.to_string(), offset));
        }
    }
    Ok(())
}

/// Parses an Alloy configuration with lgtmc's own parser and checks that every component
/// reference resolves; on failure, every problem (joined) and the offset of the first.
pub fn check_alloy(text: &str) -> Result<(), (String, usize)> {
    crate::alloy::validate(text).map(|_| ()).map_err(|errors| {
        let offset = errors.first().map_or(0, |error| error.span.start);
        let detail = errors
            .iter()
            .map(ToString::to_string)
            .collect::<Vec<_>>()
            .join("; ");
        (detail, offset)
    })
}

fn check_json(text: &str) -> Result<(), (String, usize)> {
    serde_json::from_str::<serde_json::Value>(text)
        .map(|_| ())
        .map_err(|error| {
            let offset = text
                .split_inclusive('\n')
                .take(error.line().saturating_sub(1))
                .map(str::len)
                .sum::<usize>()
                + error.column().saturating_sub(1);
            (error.to_string(), offset)
        })
}

#[cfg(test)]
mod tests {
    use super::check_yaml;

    #[test]
    fn yaml_checks() {
        assert!(check_yaml("a: 1\n---\nb: [1, 2]\n").is_ok());
        assert!(
            check_yaml("a: 1\na: 2\n").is_err(),
            "duplicate keys are rejected"
        );
        assert!(check_yaml("a: [1, 2\n").is_err());
        assert!(check_yaml("a:\n  - b\n c: d\n").is_err());
    }
}
