//! YAML, behind one module: the only one that names a YAML library (`serde_norway`, and
//! `saphyr-parser` for the positioned events `explain` reads).
//!
//! Every YAML text lgtmc reads (a rendered file parsed back, a CRD, two versions of a file being
//! compared) is read here into `serde_json::Value`s, the one tree type the checks walk; every
//! YAML text lgtmc writes from a value (the `toyaml` filter) is written here. `safe_json` makes
//! JSON text safe to read as YAML, which is how every `{{ }}` of a YAML template is printed.
//!
//! A stream is read by the first of three paths that accepts it (issue 14: `verify` reads
//! thousands of rendered files back): `subset.rs` reads the block YAML lgtmc renders without a
//! parser (plain scalars resolved by `scalar.rs`), `direct.rs` deserialises libyaml's events
//! straight into JSON, and `reference` goes by way of `serde_norway::Value`. `tests.rs` holds the
//! first two to the last, over the rendered `out/`, edge cases and random documents.
//!
//! **Invariants:** pure: text in, values out; no file is read. A fast path either gives up or
//! gives exactly the reference path's result, errors included (they all come from it).

use std::borrow::Cow;

use serde::Serialize;
use serde_json::Value;

mod direct;
mod scalar;
mod subset;

/// A YAML text that does not parse: the parser's message and the byte offset it points at.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct YamlError {
    pub message: String,
    pub offset: usize,
}

impl std::fmt::Display for YamlError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.message)
    }
}

impl From<serde_norway::Error> for YamlError {
    fn from(error: serde_norway::Error) -> Self {
        YamlError {
            offset: error.location().map_or(0, |location| location.index()),
            message: error.to_string(),
        }
    }
}

/// Every document of a YAML stream, as Kubernetes and Helm read it: merge keys (`<<`) applied,
/// tags dropped, scalar keys turned into strings (see `to_json`). Duplicate keys are an error.
/// Empty documents are kept as `null`, so that indices match the stream.
///
/// Read by the first of three paths that accepts the text, each giving exactly the result of the
/// last: `subset` (the block YAML lgtmc renders, without a YAML parser), `direct` (libyaml's
/// events straight into JSON) and `reference` (by way of `serde_norway::Value`), which alone
/// reads merge keys, non-string keys, tags and errors.
pub fn documents(text: &str) -> Result<Vec<Value>, YamlError> {
    subset::documents(text)
        .or_else(|| direct::documents(text, true))
        .map_or_else(|| reference::documents(text), Ok)
}

/// Like `documents`, but as written: a merge key stays a key named `<<`, as a reader of the
/// text sees it (the semantic diff names what changed in the file, not in its expansion).
pub fn documents_as_written(text: &str) -> Result<Vec<Value>, YamlError> {
    subset::documents(text)
        .or_else(|| direct::documents(text, false))
        .map_or_else(|| reference::documents_as_written(text), Ok)
}

/// The reference implementation of `documents` and `documents_as_written`: each document read
/// into a `serde_norway::Value`, merged, then copied into JSON (`to_json`). Slower (two trees per
/// document), so only the fast paths' fallback, and the oracle of the differential tests and the
/// `yaml` benchmark.
pub mod reference {
    use serde::Deserialize;
    use serde_json::Value;

    use super::{YamlError, to_json};

    /// `super::documents`, by way of `serde_norway::Value`.
    pub fn documents(text: &str) -> Result<Vec<Value>, YamlError> {
        let mut documents = Vec::new();
        for document in serde_norway::Deserializer::from_str(text) {
            let mut value = serde_norway::Value::deserialize(document)?;
            value.apply_merge()?;
            documents.push(to_json(value));
        }
        Ok(documents)
    }

    /// `super::documents_as_written`, by way of `serde_norway::Value`.
    pub fn documents_as_written(text: &str) -> Result<Vec<Value>, YamlError> {
        serde_norway::Deserializer::from_str(text)
            .map(|document| Ok(to_json(serde_norway::Value::deserialize(document)?)))
            .collect()
    }
}

/// YAML to JSON: non-string keys become their YAML text, tags are dropped, and numbers JSON
/// cannot hold (NaN, infinities) become strings.
fn to_json(value: serde_norway::Value) -> Value {
    use serde_norway::Value as Yaml;
    match value {
        Yaml::Null => Value::Null,
        Yaml::Bool(b) => Value::Bool(b),
        Yaml::Number(n) => {
            if let Some(i) = n.as_i64() {
                Value::from(i)
            } else if let Some(u) = n.as_u64() {
                Value::from(u)
            } else {
                n.as_f64()
                    .and_then(serde_json::Number::from_f64)
                    .map_or_else(|| Value::String(n.to_string()), Value::Number)
            }
        }
        Yaml::String(s) => Value::String(s),
        Yaml::Sequence(items) => Value::Array(items.into_iter().map(to_json).collect()),
        Yaml::Mapping(mapping) => Value::Object(
            mapping
                .into_iter()
                .map(|(key, value)| (key_text(key), to_json(value)))
                .collect(),
        ),
        Yaml::Tagged(tagged) => to_json(tagged.value),
    }
}

fn key_text(key: serde_norway::Value) -> String {
    match key {
        serde_norway::Value::String(s) => s,
        other => match to_json(other) {
            Value::String(s) => s,
            json => json.to_string(),
        },
    }
}

/// A single-document YAML text read into `T` (the chart values of a test, a versions file).
pub fn from_str<T: serde::de::DeserializeOwned>(text: &str) -> Result<T, YamlError> {
    Ok(serde_norway::from_str(text)?)
}

/// A single-document YAML map, its entries in the file's order: a key that is not a string is
/// `None` (so the caller can name the entry), every value as JSON. An empty text is an empty
/// map. A versions file is read this way.
pub fn map_entries(text: &str) -> Result<Vec<(Option<String>, Value)>, YamlError> {
    let mapping: Option<serde_norway::Mapping> = serde_norway::from_str(text)?;
    Ok(mapping
        .unwrap_or_default()
        .into_iter()
        .map(|(key, value)| {
            let key = match key {
                serde_norway::Value::String(key) => Some(key),
                _ => None,
            };
            (key, to_json(value))
        })
        .collect())
}

/// A value written as block YAML, keys in the order the value gives them. Serialised by serde,
/// so strings are quoted wherever YAML needs it.
pub fn to_string<T: Serialize + ?Sized>(value: &T) -> Result<String, String> {
    serde_norway::to_string(value).map_err(|error| error.to_string())
}

/// JSON text made safe to read as YAML too: JSON leaves some characters raw that YAML reads
/// differently. U+0085, U+2028 and U+2029 are line breaks to YAML (a double-quoted string folds
/// them into a space), and DEL, the C1 controls, U+FEFF, U+FFFE and U+FFFF are not printable in
/// YAML 1.1 (go-yaml, which Helm and Kubernetes use, rejects them). Each becomes a `\uXXXX`
/// escape, which JSON and YAML both read back as the same character. Outside a string these
/// characters cannot occur in JSON, so the replacement never changes structure.
pub fn safe_json(json: &str) -> Cow<'_, str> {
    let unsafe_char = |c: char| {
        matches!(
            c,
            '\u{7f}'..='\u{9f}' | '\u{2028}' | '\u{2029}' | '\u{feff}' | '\u{fffe}' | '\u{ffff}'
        )
    };
    // Every such character is U+007F or above: ASCII below DEL (nearly every value) is safe,
    // and the byte scan is several times cheaper than decoding characters.
    if json.bytes().all(|byte| byte < 0x7f) || !json.contains(unsafe_char) {
        return Cow::Borrowed(json);
    }
    let mut safe = String::with_capacity(json.len() + 12);
    for c in json.chars() {
        if unsafe_char(c) {
            safe.push_str(&format!("\\u{:04x}", u32::from(c)));
        } else {
            safe.push(c);
        }
    }
    Cow::Owned(safe)
}

/// Where a YAML event is: lines 1-based, columns 0-based in characters (the parser's marks).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Span {
    pub start_line: usize,
    pub start_column: usize,
    pub end_line: usize,
    pub end_column: usize,
}

/// The events of a YAML stream that a reader keeping positions needs (`explain`, since a parsed
/// value forgets where it was written).
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Event {
    DocumentStart,
    /// A scalar as written; `block` for `|` and `>`, whose span starts at the indicator.
    Scalar {
        text: String,
        block: bool,
    },
    /// An alias, by the parser's anchor id.
    Alias(usize),
    MappingStart,
    SequenceStart,
    /// The end of a mapping or sequence.
    End,
}

/// Every event of a YAML stream with its span, in order; `Err` at the first that does not parse.
pub fn events(text: &str) -> impl Iterator<Item = Result<(Event, Span), YamlError>> + '_ {
    use saphyr_parser::{Event as Raw, Parser, ScalarStyle};
    Parser::new_from_str(text).filter_map(|event| {
        let (event, span) = match event {
            Ok(event) => event,
            Err(error) => {
                return Some(Err(YamlError {
                    message: error.to_string(),
                    offset: error.marker().index(),
                }));
            }
        };
        let event = match event {
            Raw::DocumentStart(_) => Event::DocumentStart,
            Raw::Scalar(text, style, ..) => Event::Scalar {
                text: text.into_owned(),
                block: matches!(style, ScalarStyle::Literal | ScalarStyle::Folded),
            },
            Raw::Alias(id) => Event::Alias(id),
            Raw::MappingStart(..) => Event::MappingStart,
            Raw::SequenceStart(..) => Event::SequenceStart,
            Raw::MappingEnd | Raw::SequenceEnd => Event::End,
            _ => return None,
        };
        let span = Span {
            start_line: span.start.line(),
            start_column: span.start.col(),
            end_line: span.end.line(),
            end_column: span.end.col(),
        };
        Some(Ok((event, span)))
    })
}

#[cfg(test)]
mod tests;
