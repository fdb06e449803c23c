//! Stage 2, document: turn KDL into a JSON value the schema can check, remembering where every
//! value came from, and merge an environment overlay onto the platform.
//!
//! The mapping is driven by the schema, so it needs no per-node code (SPEC.md states the rules):
//! a node or property names a field; a field whose schema is an object with fixed properties takes
//! a node with properties and children; a map field (`tenant`) takes one node per entry, keyed by
//! the node's first argument; a list takes the node's arguments; a scalar takes one argument.
//! Unknown names are reported here, with a suggestion; types, ranges and patterns are left to the
//! schema (`validate`), which finds them all at once.
//!
//! **Invariant:** every value in `Document::value` has an `Origin` at its JSON pointer or at the
//! pointer of an enclosing value, so any later problem can be reported at a file, line and column.

mod convert;

use std::collections::{BTreeMap, BTreeSet};

use kdl::{KdlDocument, KdlEntry};
use miette::SourceSpan;
use serde_json::Value;

use crate::diagnostic::{Problem, SourceFile};
use convert::{Converter, kdl_to_json, type_annotations};

/// Where a value was written: a file (index into the loaded files) and a span in it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Origin {
    pub file: usize,
    pub span: SourceSpan,
}

/// The origin of every value, by JSON pointer (RFC 6901).
#[derive(Clone, Debug, Default)]
pub struct Origins(BTreeMap<String, Origin>);

impl Origins {
    /// The origin of the value at `pointer`, or of the nearest enclosing value that has one.
    pub fn find(&self, pointer: &str) -> Origin {
        let mut pointer = pointer;
        loop {
            if let Some(origin) = self.0.get(pointer) {
                return *origin;
            }
            match pointer.rfind('/') {
                Some(slash) => pointer = &pointer[..slash],
                None => {
                    return self.0.get("").copied().unwrap_or(Origin {
                        file: 0,
                        span: SourceSpan::from(0..0),
                    });
                }
            }
        }
    }

    /// Every recorded origin, by JSON pointer.
    pub fn iter(&self) -> impl Iterator<Item = (&str, Origin)> {
        self.0
            .iter()
            .map(|(pointer, origin)| (pointer.as_str(), *origin))
    }

    fn insert(&mut self, pointer: &str, origin: Origin) {
        self.0.insert(pointer.to_owned(), origin);
    }

    /// Drops the origins of `pointer` and everything below it.
    fn remove_subtree(&mut self, pointer: &str) {
        let below = format!("{pointer}/");
        self.0
            .retain(|key, _| key != pointer && !key.starts_with(below.as_str()));
    }
}

/// A spec file (or a merge of several) as a JSON value, with the origin of each value.
#[derive(Clone, Debug)]
pub struct Document {
    pub value: Value,
    pub origins: Origins,
    /// Objects that had an unknown key: a "missing key" there is most likely that key
    /// misspelt, already reported, so validation does not report it again.
    pub misspelt: BTreeSet<String>,
}

/// Appends one JSON-pointer segment, escaped.
pub fn pointer_child(pointer: &str, key: &str) -> String {
    format!("{pointer}/{}", key.replace('~', "~0").replace('/', "~1"))
}

/// Converts `platform.kdl`: exactly one `platform "<name>" { … }` node.
pub fn from_platform(
    document: &KdlDocument,
    file: &SourceFile,
    file_index: usize,
    schema: &Value,
    problems: &mut Vec<Problem>,
) -> Option<Document> {
    type_annotations(document, file, problems);
    let mut converter = Converter::new(file, file_index, schema, problems);
    let node = converter.single_root(document, "platform", "platform \"bare-metal\" { … }")?;
    let mut object = converter.struct_body(node, schema, "", 1, &["name"]);
    match node
        .entries()
        .first()
        .filter(|entry| entry.name().is_none())
    {
        Some(entry) if node.entries().iter().filter(|e| e.name().is_none()).count() == 1 => {
            object.insert("name".to_owned(), kdl_to_json(entry.value()));
            converter
                .origins
                .insert("/name", converter.origin(entry.span()));
        }
        _ => converter.problem(
            node.span(),
            "the `platform` node takes exactly one argument, the platform's name",
            "expected `platform \"<name>\"`",
            Some("for example `platform \"bare-metal\" { … }`"),
        ),
    }
    Some(converter.finish(Value::Object(object)))
}

/// Converts `environments/<stem>.kdl`: exactly one `environment "<stem>" { … }` node whose
/// children override the platform's.
pub fn from_overlay(
    document: &KdlDocument,
    file: &SourceFile,
    file_index: usize,
    stem: &str,
    schema: &Value,
    problems: &mut Vec<Problem>,
) -> Option<Document> {
    type_annotations(document, file, problems);
    let mut converter = Converter::new(file, file_index, schema, problems);
    let example = format!("environment \"{stem}\" {{ … }}");
    let node = converter.single_root(document, "environment", &example)?;
    let arguments: Vec<&KdlEntry> = node
        .entries()
        .iter()
        .filter(|e| e.name().is_none())
        .collect();
    match arguments.as_slice() {
        [entry] if entry.value().as_string() == Some(stem) => {}
        [entry] => converter.problem(
            entry.span(),
            format!(
                "`{}` must describe environment `{stem}`, not `{}`",
                file.name,
                entry.value().as_string().unwrap_or_default()
            ),
            "does not match the file name",
            Some(&format!(
                "write `environment \"{stem}\"`, or rename the file"
            )),
        ),
        _ => converter.problem(
            node.span(),
            "the `environment` node takes exactly one argument, the environment's name",
            "expected `environment \"<name>\"`",
            Some(&format!("write `{example}`")),
        ),
    }
    let object = converter.struct_body(node, schema, "", 1, &["name", "environments"]);
    Some(converter.finish(Value::Object(object)))
}

/// Merges an overlay onto a copy of the platform document: objects merge key by key (map
/// entries too, so `tenant "dev" retention="3d"` changes one field of one tenant); any other value
/// replaces what was there, and its origin with it.
pub fn merge(base: &Document, overlay: &Document) -> Document {
    let mut merged = base.clone();
    merge_value(&mut merged, &overlay.value, &overlay.origins, "");
    merged.misspelt.extend(overlay.misspelt.iter().cloned());
    merged
}

fn merge_value(target: &mut Document, overlay: &Value, overlay_origins: &Origins, pointer: &str) {
    let Value::Object(overlay_object) = overlay else {
        return;
    };
    for (key, value) in overlay_object {
        let child = pointer_child(pointer, key);
        let target_object = match value_at_mut(&mut target.value, pointer) {
            Some(Value::Object(object)) => object,
            _ => return,
        };
        let both_objects =
            value.is_object() && target_object.get(key).is_some_and(Value::is_object);
        if both_objects {
            if let Some(origin) = overlay_origins.0.get(&child) {
                // The overlay's node now explains this object better than the platform's.
                target.origins.insert(&child, *origin);
            }
            merge_value(target, value, overlay_origins, &child);
        } else {
            target_object.insert(key.clone(), value.clone());
            target.origins.remove_subtree(&child);
            let below = format!("{child}/");
            for (path, origin) in &overlay_origins.0 {
                if *path == child || path.starts_with(below.as_str()) {
                    target.origins.insert(path, *origin);
                }
            }
        }
    }
}

fn value_at_mut<'v>(value: &'v mut Value, pointer: &str) -> Option<&'v mut Value> {
    if pointer.is_empty() {
        Some(value)
    } else {
        value.pointer_mut(pointer)
    }
}

#[cfg(test)]
mod tests;
