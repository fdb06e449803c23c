//! Reading a `--crds` directory: the served versions of every CustomResourceDefinition,
//! converted and compiled on all cores, and Kargo's step and subscription schemas. The only
//! part of `crds` that reads files.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use jsonschema::Draft;
use serde_json::Value;

use super::convert::{Position, convert};
use super::{CrdError, Schema};

pub(super) fn read(path: &Path) -> Result<String, CrdError> {
    std::fs::read_to_string(path).map_err(|source| CrdError::Read {
        path: path.to_path_buf(),
        source,
    })
}

/// One served version of a CRD, converted and ready to compile.
pub(super) struct Source {
    pub(super) file: PathBuf,
    pub(super) api_version: String,
    pub(super) kind: String,
    pub(super) schema: Value,
    /// The first version of its CRD, to count CRDs rather than versions.
    pub(super) first_version: bool,
}

/// The served versions of every CustomResourceDefinition in one YAML file.
pub(super) fn crd_sources(path: &Path, text: &str) -> Result<Vec<Source>, CrdError> {
    let documents = crate::yaml::documents(text).map_err(|error| CrdError::Parse {
        path: path.to_path_buf(),
        format: "YAML",
        detail: error.message,
    })?;
    let mut sources = Vec::new();
    for document in documents {
        if document.get("kind").and_then(Value::as_str) != Some("CustomResourceDefinition") {
            continue;
        }
        let invalid = |detail: String| CrdError::Definition {
            path: path.to_path_buf(),
            detail,
        };
        let api_version = document.get("apiVersion").and_then(Value::as_str);
        if api_version != Some("apiextensions.k8s.io/v1") {
            return Err(invalid(format!(
                "only apiextensions.k8s.io/v1 CustomResourceDefinitions are supported, found apiVersion {}",
                api_version.unwrap_or("(none)")
            )));
        }
        let field = |pointer: &str| {
            document
                .pointer(pointer)
                .and_then(Value::as_str)
                .ok_or_else(|| invalid(format!("the CustomResourceDefinition has no `{pointer}`")))
        };
        let group = field("/spec/group")?;
        let kind = field("/spec/names/kind")?;
        let versions = document
            .pointer("/spec/versions")
            .and_then(Value::as_array)
            .ok_or_else(|| {
                invalid(format!(
                    "CustomResourceDefinition of {kind} has no `/spec/versions`"
                ))
            })?;
        let mut first_version = true;
        for version in versions {
            if version.get("served").and_then(Value::as_bool) == Some(false) {
                continue;
            }
            let name = version
                .get("name")
                .and_then(Value::as_str)
                .ok_or_else(|| invalid(format!("a version of {kind} has no `name`")))?;
            let schema = version.pointer("/schema/openAPIV3Schema").ok_or_else(|| {
                invalid(format!(
                    "version {name} of {kind} has no `schema.openAPIV3Schema`"
                ))
            })?;
            sources.push(Source {
                file: path.to_path_buf(),
                api_version: format!("{group}/{name}"),
                kind: kind.to_owned(),
                schema: convert(schema, Position::Root),
                first_version,
            });
            first_version = false;
        }
    }
    Ok(sources)
}

/// Compiles every converted schema, on all cores: the largest CRDs take most of the time.
pub(super) fn compile_all(sources: &[Source]) -> Vec<Result<Schema, CrdError>> {
    let workers = std::thread::available_parallelism()
        .map_or(1, std::num::NonZero::get)
        .min(sources.len())
        .max(1);
    if workers == 1 {
        return sources.iter().map(compile_one).collect();
    }
    // Largest first, dealt round-robin, so that the workers finish at about the same time.
    let mut order: Vec<usize> = (0..sources.len()).collect();
    order.sort_by_key(|&index| std::cmp::Reverse(size(&sources[index].schema)));
    let mut results: Vec<Option<Result<Schema, CrdError>>> =
        (0..sources.len()).map(|_| None).collect();
    std::thread::scope(|scope| {
        let handles: Vec<_> = (0..workers)
            .map(|worker| {
                let mine: Vec<usize> = order
                    .iter()
                    .copied()
                    .skip(worker)
                    .step_by(workers)
                    .collect();
                scope.spawn(move || {
                    mine.into_iter()
                        .map(|index| (index, compile_one(&sources[index])))
                        .collect::<Vec<_>>()
                })
            })
            .collect();
        for handle in handles {
            // A worker that panicked leaves its schemas unset; they are reported below.
            for (index, result) in handle.join().unwrap_or_default() {
                results[index] = Some(result);
            }
        }
    });
    results
        .into_iter()
        .zip(sources)
        .map(|(result, source)| {
            result.unwrap_or_else(|| {
                Err(CrdError::Schema {
                    path: source.file.clone(),
                    what: format!("{} {}", source.api_version, source.kind),
                    detail: "internal error: the schema compiler failed".to_owned(),
                })
            })
        })
        .collect()
}

fn compile_one(source: &Source) -> Result<Schema, CrdError> {
    jsonschema::options()
        .with_draft(Draft::Draft202012)
        .should_validate_formats(false)
        .offline()
        .build(&source.schema)
        .map(|validator| Schema {
            validator,
            documents: Arc::new(BTreeMap::from([(String::new(), source.schema.clone())])),
        })
        .map_err(|error| CrdError::Schema {
            path: source.file.clone(),
            what: format!("{} {}", source.api_version, source.kind),
            detail: error.to_string(),
        })
}

/// A rough size of a schema: the number of values in it.
fn size(value: &Value) -> usize {
    match value {
        Value::Object(map) => 1 + map.values().map(size).sum::<usize>(),
        Value::Array(items) => 1 + items.iter().map(size).sum::<usize>(),
        _ => 1,
    }
}

/// Loads the Kargo schemas of one directory: every `*.json` is registered (so `$ref`s between
/// them resolve), and those whose file name `name_of` accepts are compiled under that name.
pub(super) fn kargo_schemas(
    dir: &Path,
    base: &str,
    name_of: impl Fn(&str) -> Option<&str>,
) -> Result<BTreeMap<String, Schema>, CrdError> {
    let mut compiled = BTreeMap::new();
    if !dir.is_dir() {
        return Ok(compiled);
    }
    let mut documents = BTreeMap::new();
    let mut files = Vec::new();
    for entry in walkdir::WalkDir::new(dir)
        .min_depth(1)
        .max_depth(1)
        .sort_by_file_name()
    {
        let entry = entry.map_err(|error| CrdError::Read {
            path: dir.to_path_buf(),
            source: std::io::Error::other(error.to_string()),
        })?;
        let file_name = entry.file_name().to_string_lossy().into_owned();
        if !entry.file_type().is_file() || !file_name.ends_with(".json") {
            continue;
        }
        let path = entry.path().to_path_buf();
        let value: Value =
            serde_json::from_str(&read(&path)?).map_err(|error| CrdError::Parse {
                path: path.clone(),
                format: "JSON",
                detail: error.to_string(),
            })?;
        documents.insert(format!("{base}{file_name}"), value);
        files.push((path, file_name));
    }
    let documents = Arc::new(documents);
    let registry = jsonschema::Registry::new()
        .extend(documents.iter().map(|(uri, value)| (uri.as_str(), value)))
        .and_then(jsonschema::RegistryBuilder::prepare)
        .map_err(|error| CrdError::Schema {
            path: dir.to_path_buf(),
            what: "the Kargo schemas".to_owned(),
            detail: error.to_string(),
        })?;
    for (path, file_name) in files {
        let Some(name) = name_of(&file_name) else {
            continue;
        };
        let uri = format!("{base}{file_name}");
        let validator = jsonschema::options()
            .with_registry(&registry)
            .should_validate_formats(false)
            .offline()
            .build(&serde_json::json!({ "$ref": uri }))
            .map_err(|error| CrdError::Schema {
                path: path.clone(),
                what: format!("`{name}`"),
                detail: error.to_string(),
            })?;
        compiled.insert(
            name.to_owned(),
            Schema {
                validator,
                documents: Arc::clone(&documents),
            },
        );
    }
    Ok(compiled)
}
