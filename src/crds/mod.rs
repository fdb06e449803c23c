//! Custom-resource validation (`--crds DIR`): every rendered custom resource is checked against
//! the `openAPIV3Schema` of its CustomResourceDefinition, and Kargo promotion-step configs and
//! Warehouse subscriptions against Kargo's own JSON Schemas.
//!
//! A CRD schema is not a strict JSON Schema: it does not forbid unknown fields (the API server
//! prunes them silently), and it uses OpenAPI and Kubernetes extensions. Each schema is converted
//! before it is compiled with the `jsonschema` crate:
//!
//! - every object schema with `properties` and neither `additionalProperties` nor
//!   `x-kubernetes-preserve-unknown-fields: true` gets `additionalProperties: false`, so a
//!   misspelt field is an error. Only structural positions are made strict (`properties`,
//!   `items`, `additionalProperties`), never the branches of `anyOf`/`allOf`/`oneOf`/`not`,
//!   which only add value checks to the object around them;
//! - the root always allows `apiVersion`, `kind` and `metadata` (any object), and so does an
//!   object with `x-kubernetes-embedded-resource: true`;
//! - `nullable: true` allows `null`; `x-kubernetes-int-or-string: true` allows an integer or a
//!   string; the other `x-kubernetes-*` keywords (list types, map types, CEL validation rules)
//!   and descriptions are dropped.
//!
//! `DIR/kargo-schemas/promotion-steps/<step>-config.json` and
//! `DIR/kargo-schemas/subscriptions/<kind>.json`, when present, are compiled as they are (draft
//! 2020-12; their relative `$ref`s to `common.json` and `argocd-common.json` resolve through a
//! registry of every file of that directory). The steps of a Kargo `Stage`
//! (`spec.promotionTemplate.spec.steps[]`), `PromotionTask` and `ClusterPromotionTask`
//! (`spec.steps[]`) have their `config` checked against the schema of the step they `use`;
//! each `spec.subscriptions[]` item of a `Warehouse` against the schema of its one key.
//!
//! Limits: formats are not asserted, CEL rules (`x-kubernetes-validations`) and list-type
//! uniqueness are not checked, and a Kargo expression (`${{ … }}`) in a step config is evaluated
//! by Kargo before its schema applies, so a config value holding one is not checked at all.
//!
//! Only `load` reads files; validation is a pure function of the loaded set and the text.

use std::collections::BTreeMap;
use std::fmt;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use jsonschema::error::{TypeKind, ValidationErrorKind};
use jsonschema::{Draft, ValidationError, Validator};
use serde::Deserialize;
use serde_json::{Map, Value};

use crate::diagnostic::did_you_mean;

/// The API group of Kargo, whose step configs and subscriptions get their own schemas.
const KARGO_GROUP: &str = "kargo.akuity.io";
/// The base URI the Kargo promotion-step schemas are registered under, so that their relative
/// `$ref`s (`argocd-common.json#/definitions/…`) resolve offline.
const STEPS_BASE: &str = "https://lgtmc.invalid/kargo-schemas/promotion-steps/";
const SUBSCRIPTIONS_BASE: &str = "https://lgtmc.invalid/kargo-schemas/subscriptions/";
/// Where a Kargo expression starts; a config value holding one is only known after evaluation.
const EXPRESSION: &str = "${{";

/// A compiled schema and the documents it was compiled from (by URI; `""` for a schema without
/// one), kept to name the allowed fields when an unknown one is found.
struct Schema {
    validator: Validator,
    documents: Arc<BTreeMap<String, Value>>,
}

impl fmt::Debug for Schema {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Schema").finish_non_exhaustive()
    }
}

/// One served version of a custom resource.
#[derive(Debug)]
struct Definition {
    /// The CRD file it came from.
    file: PathBuf,
    schema: Schema,
}

/// The CRDs and Kargo schemas of one directory, compiled.
#[derive(Debug)]
pub struct CrdSet {
    dir: PathBuf,
    /// (apiVersion, kind) → the schema of that served version.
    definitions: BTreeMap<(String, String), Definition>,
    /// The number of CustomResourceDefinition documents read.
    crd_count: usize,
    /// Promotion step name → the schema of its `config`.
    steps: BTreeMap<String, Schema>,
    /// Subscription key (`chart`, `git`, `image`) → its schema.
    subscriptions: BTreeMap<String, Schema>,
}

impl CrdSet {
    /// The directory the set was loaded from.
    pub fn dir(&self) -> &Path {
        &self.dir
    }

    /// How many CustomResourceDefinitions were loaded.
    pub fn crd_count(&self) -> usize {
        self.crd_count
    }

    /// Every (apiVersion, kind) with a schema, sorted.
    pub fn kinds(&self) -> impl Iterator<Item = (&str, &str)> {
        self.definitions
            .keys()
            .map(|(api_version, kind)| (api_version.as_str(), kind.as_str()))
    }

    /// Whether documents of this apiVersion and kind are checked.
    pub fn has_kind(&self, api_version: &str, kind: &str) -> bool {
        self.definitions
            .contains_key(&(api_version.to_owned(), kind.to_owned()))
    }

    /// The Kargo promotion steps with a config schema, sorted.
    pub fn steps(&self) -> impl Iterator<Item = &str> {
        self.steps.keys().map(String::as_str)
    }

    /// The Kargo subscription kinds with a schema, sorted.
    pub fn subscriptions(&self) -> impl Iterator<Item = &str> {
        self.subscriptions.keys().map(String::as_str)
    }
}

/// A CRD directory that cannot be used: an input error (exit 2), never a problem in the
/// rendered files.
#[derive(Debug, thiserror::Error)]
pub enum CrdError {
    #[error("cannot read `{}`: {source}", path.display())]
    Read {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error("`{}` is not a valid {format} file: {detail}", path.display())]
    Parse {
        path: PathBuf,
        format: &'static str,
        detail: String,
    },
    #[error("`{}`: {detail}", path.display())]
    Definition { path: PathBuf, detail: String },
    #[error("`{}`: the schema of {what} does not compile: {detail}", path.display())]
    Schema {
        path: PathBuf,
        what: String,
        detail: String,
    },
    #[error("{api_version} {kind} is defined twice: in `{}` and in `{}`", first.display(), second.display())]
    Duplicate {
        api_version: String,
        kind: String,
        first: PathBuf,
        second: PathBuf,
    },
    #[error("no CustomResourceDefinition in `{}` (looked for *.yaml and *.yml files below it)", dir.display())]
    Empty { dir: PathBuf },
}

/// One problem in one custom resource of a rendered file.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CrdProblem {
    /// The file, as the caller named it (`out/prod/ceph/object-store.yaml`).
    pub path: String,
    /// The index of the document in the file's YAML stream, from 0.
    pub document: usize,
    /// The resource's kind; empty when the document did not parse.
    pub kind: String,
    /// The resource's `metadata.name`; empty when it has none.
    pub name: String,
    /// Where in the document, as a JSON pointer (`/spec/gateway/port`; `` for the document).
    pub instance_path: String,
    pub message: String,
}

impl fmt::Display for CrdProblem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: ", self.path)?;
        match (self.kind.is_empty(), self.name.is_empty()) {
            (true, _) => write!(f, "document {}: ", self.document + 1)?,
            (false, true) => write!(f, "{} in document {}: ", self.kind, self.document + 1)?,
            (false, false) => write!(f, "{} {}: ", self.kind, self.name)?,
        }
        if !self.instance_path.is_empty() {
            write!(f, "{}: ", self.instance_path)?;
        }
        f.write_str(&self.message)
    }
}

/// A custom resource that was checked.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CheckedResource {
    pub document: usize,
    pub api_version: String,
    pub kind: String,
    pub name: String,
}

/// The outcome of checking one file.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct FileCheck {
    /// Every document that had a CRD in the set, valid or not.
    pub resources: Vec<CheckedResource>,
    pub problems: Vec<CrdProblem>,
}

/// What a check of a whole tree covered, for the command line.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Summary {
    /// Custom resources checked.
    pub resources: usize,
    /// CRDs they were checked against.
    pub crds: usize,
}

impl fmt::Display for Summary {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let plural = |n: usize| if n == 1 { "" } else { "s" };
        write!(
            f,
            "checked {} custom resource{} against {} CRD{}",
            self.resources,
            plural(self.resources),
            self.crds,
            plural(self.crds)
        )
    }
}

/// Loads every CRD below `dir` and the Kargo schemas in `dir/kargo-schemas`, and compiles them.
pub fn load(dir: &Path) -> Result<CrdSet, CrdError> {
    let metadata = std::fs::metadata(dir).map_err(|source| CrdError::Read {
        path: dir.to_path_buf(),
        source,
    })?;
    if !metadata.is_dir() {
        return Err(CrdError::Read {
            path: dir.to_path_buf(),
            source: std::io::Error::new(std::io::ErrorKind::InvalidInput, "not a directory"),
        });
    }
    let mut sources = Vec::new();
    for entry in walkdir::WalkDir::new(dir).sort_by_file_name() {
        let entry = entry.map_err(|error| CrdError::Read {
            path: error
                .path()
                .map_or_else(|| dir.to_path_buf(), Path::to_path_buf),
            source: std::io::Error::other(error.to_string()),
        })?;
        let is_yaml = entry
            .path()
            .extension()
            .is_some_and(|ext| ext == "yaml" || ext == "yml");
        if entry.file_type().is_file() && is_yaml {
            let path = entry.path().to_path_buf();
            let text = read(&path)?;
            sources.extend(crd_sources(&path, &text)?);
        }
    }
    if sources.is_empty() {
        return Err(CrdError::Empty {
            dir: dir.to_path_buf(),
        });
    }
    let crd_count = sources.iter().filter(|source| source.first_version).count();
    let mut definitions: BTreeMap<(String, String), Definition> = BTreeMap::new();
    for (source, compiled) in sources.iter().zip(compile_all(&sources)) {
        let schema = compiled?;
        let key = (source.api_version.clone(), source.kind.clone());
        if let Some(first) = definitions.get(&key) {
            return Err(CrdError::Duplicate {
                api_version: key.0,
                kind: key.1,
                first: first.file.clone(),
                second: source.file.clone(),
            });
        }
        definitions.insert(
            key,
            Definition {
                file: source.file.clone(),
                schema,
            },
        );
    }
    let kargo = dir.join("kargo-schemas");
    let steps = load_kargo_schemas(&kargo.join("promotion-steps"), STEPS_BASE, |name| {
        name.strip_suffix("-config.json")
    })?;
    let subscriptions =
        load_kargo_schemas(&kargo.join("subscriptions"), SUBSCRIPTIONS_BASE, |name| {
            name.strip_suffix(".json")
        })?;
    Ok(CrdSet {
        dir: dir.to_path_buf(),
        definitions,
        crd_count,
        steps,
        subscriptions,
    })
}

fn read(path: &Path) -> Result<String, CrdError> {
    std::fs::read_to_string(path).map_err(|source| CrdError::Read {
        path: path.to_path_buf(),
        source,
    })
}

/// One served version of a CRD, converted and ready to compile.
struct Source {
    file: PathBuf,
    api_version: String,
    kind: String,
    schema: Value,
    /// The first version of its CRD, to count CRDs rather than versions.
    first_version: bool,
}

/// The served versions of every CustomResourceDefinition in one YAML file.
fn crd_sources(path: &Path, text: &str) -> Result<Vec<Source>, CrdError> {
    let documents = parse_stream(text).map_err(|detail| CrdError::Parse {
        path: path.to_path_buf(),
        format: "YAML",
        detail,
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
fn compile_all(sources: &[Source]) -> Vec<Result<Schema, CrdError>> {
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

/// Where a schema sits in its CRD's schema, which decides whether it is made strict.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Position {
    /// The `openAPIV3Schema` itself.
    Root,
    /// Below `properties`, `items` or `additionalProperties`: describes a value's shape.
    Structural,
    /// In `anyOf`, `allOf`, `oneOf` or `not`: only adds checks to the value around it.
    Branch,
}

/// Converts an OpenAPI v3 schema of a CRD into a strict JSON Schema (see the module docs).
fn convert(schema: &Value, position: Position) -> Value {
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
        let converted = match key.as_str() {
            "nullable" | "description" => continue,
            key if key.starts_with("x-kubernetes-") => continue,
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
                Value::Array(items) => Value::Array(
                    items
                        .iter()
                        .map(|item| convert(item, Position::Structural))
                        .collect(),
                ),
                other => convert(other, Position::Structural),
            },
            "additionalProperties" => convert(value, Position::Structural),
            "anyOf" | "allOf" | "oneOf" => match value {
                Value::Array(branches) => Value::Array(
                    branches
                        .iter()
                        .map(|branch| convert(branch, Position::Branch))
                        .collect(),
                ),
                other => other.clone(),
            },
            "not" => convert(value, Position::Branch),
            // OpenAPI 3.0 writes exclusive bounds as booleans beside minimum/maximum.
            "exclusiveMinimum" | "exclusiveMaximum" if value.is_boolean() => continue,
            _ => value.clone(),
        };
        out.insert(key.clone(), converted);
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
    if position == Position::Root || embedded {
        if let Some(Value::Object(properties)) = out.get_mut("properties") {
            properties.insert(
                "apiVersion".to_owned(),
                serde_json::json!({"type": "string"}),
            );
            properties.insert("kind".to_owned(), serde_json::json!({"type": "string"}));
            properties.insert("metadata".to_owned(), serde_json::json!({"type": "object"}));
        }
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

/// Loads the Kargo schemas of one directory: every `*.json` is registered (so `$ref`s between
/// them resolve), and those whose file name `name_of` accepts are compiled under that name.
fn load_kargo_schemas(
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

/// Checks every custom resource in one YAML file; returns its problems.
pub fn validate_file(crds: &CrdSet, path: &str, text: &str) -> Vec<CrdProblem> {
    check_file(crds, path, text).problems
}

/// Checks every custom resource in one YAML file; returns the resources checked and the
/// problems. Documents of a kind without a CRD in the set (a Namespace, a ConfigMap, Helm
/// values) are not custom resources and are skipped.
pub fn check_file(crds: &CrdSet, path: &str, text: &str) -> FileCheck {
    let mut check = FileCheck::default();
    let documents = match parse_stream(text) {
        Ok(documents) => documents,
        Err(detail) => {
            check.problems.push(CrdProblem {
                path: path.to_owned(),
                document: 0,
                kind: String::new(),
                name: String::new(),
                instance_path: String::new(),
                message: format!("not valid YAML: {detail}"),
            });
            return check;
        }
    };
    for (index, document) in documents.iter().enumerate() {
        let text_of = |key: &str| {
            document
                .get(key)
                .and_then(Value::as_str)
                .unwrap_or_default()
        };
        let (api_version, kind) = (text_of("apiVersion"), text_of("kind"));
        let Some(definition) = crds
            .definitions
            .get(&(api_version.to_owned(), kind.to_owned()))
        else {
            continue;
        };
        let name = document
            .pointer("/metadata/name")
            .and_then(Value::as_str)
            .unwrap_or_default();
        check.resources.push(CheckedResource {
            document: index,
            api_version: api_version.to_owned(),
            kind: kind.to_owned(),
            name: name.to_owned(),
        });
        let mut found = Vec::new();
        schema_problems(&definition.schema, document, "", false, &mut found);
        if api_version.split('/').next() == Some(KARGO_GROUP) {
            kargo_problems(crds, kind, document, &mut found);
        }
        // In document order, roughly: a parent's problem before its children's.
        found.sort_by(|a, b| pointer_order(&a.0, &b.0));
        check.problems.extend(
            found
                .into_iter()
                .map(|(instance_path, message)| CrdProblem {
                    path: path.to_owned(),
                    document: index,
                    kind: kind.to_owned(),
                    name: name.to_owned(),
                    instance_path,
                    message,
                }),
        );
    }
    check
}

/// Checks every YAML file of a tree (path → contents, in order). The paths are used as given.
pub fn check_tree<'a>(
    crds: &CrdSet,
    files: impl IntoIterator<Item = (&'a str, &'a str)>,
) -> FileCheck {
    let mut all = FileCheck::default();
    for (path, text) in files {
        if !(path.ends_with(".yaml") || path.ends_with(".yml")) {
            continue;
        }
        let check = check_file(crds, path, text);
        all.resources.extend(check.resources);
        all.problems.extend(check.problems);
    }
    all
}

/// The Kargo checks the CRD cannot make: step configs and Warehouse subscriptions.
fn kargo_problems(crds: &CrdSet, kind: &str, document: &Value, found: &mut Vec<(String, String)>) {
    let steps_pointer = match kind {
        "Stage" => "/spec/promotionTemplate/spec/steps",
        "PromotionTask" | "ClusterPromotionTask" => "/spec/steps",
        "Warehouse" => {
            subscription_problems(crds, document, found);
            return;
        }
        _ => return,
    };
    if crds.steps.is_empty() {
        return;
    }
    let Some(steps) = document.pointer(steps_pointer).and_then(Value::as_array) else {
        return;
    };
    for (index, step) in steps.iter().enumerate() {
        let here = format!("{steps_pointer}/{index}");
        let Some(step) = step.as_object() else {
            continue;
        };
        match (step.get("uses"), step.contains_key("task")) {
            (Some(_), true) => found.push((
                here,
                "a step has either `uses` or `task`, not both".to_owned(),
            )),
            (None, false) => found.push((here, "a step needs `uses` or `task`".to_owned())),
            (None, true) => {}
            (Some(uses), false) => {
                let Some(uses) = uses.as_str() else {
                    continue;
                };
                let Some(schema) = crds.steps.get(uses) else {
                    let help = did_you_mean(uses, crds.steps())
                        .map(|help| format!("; {help}"))
                        .unwrap_or_default();
                    found.push((
                        format!("{here}/uses"),
                        format!("unknown promotion step `{uses}`{help}"),
                    ));
                    continue;
                };
                let empty = Value::Object(Map::new());
                let config = step.get("config").unwrap_or(&empty);
                schema_problems(schema, config, &format!("{here}/config"), true, found);
            }
        }
    }
}

fn subscription_problems(crds: &CrdSet, document: &Value, found: &mut Vec<(String, String)>) {
    if crds.subscriptions.is_empty() {
        return;
    }
    let Some(subscriptions) = document
        .pointer("/spec/subscriptions")
        .and_then(Value::as_array)
    else {
        return;
    };
    let known = || {
        crds.subscriptions()
            .map(|key| format!("`{key}`"))
            .collect::<Vec<_>>()
            .join(", ")
    };
    for (index, subscription) in subscriptions.iter().enumerate() {
        let here = format!("/spec/subscriptions/{index}");
        let Some(map) = subscription.as_object().filter(|map| map.len() == 1) else {
            found.push((
                here,
                format!(
                    "a subscription is an object with exactly one key, one of {}",
                    known()
                ),
            ));
            continue;
        };
        for (key, value) in map {
            let Some(schema) = crds.subscriptions.get(key) else {
                let help = did_you_mean(key, crds.subscriptions()).map_or_else(
                    || format!("; it is one of {}", known()),
                    |help| format!("; {help}"),
                );
                found.push((
                    format!("{here}/{}", escape(key)),
                    format!("unknown subscription `{key}`{help}"),
                ));
                continue;
            };
            schema_problems(
                schema,
                value,
                &format!("{here}/{}", escape(key)),
                false,
                found,
            );
        }
    }
}

/// Validates `instance` and appends (pointer, message) for every error, with `prefix` before
/// each pointer. With `expressions`, a string holding a Kargo expression matches anything.
fn schema_problems(
    schema: &Schema,
    instance: &Value,
    prefix: &str,
    expressions: bool,
    found: &mut Vec<(String, String)>,
) {
    for error in schema.validator.iter_errors(instance) {
        for (pointer, message) in error_messages(schema, instance, &error, expressions) {
            found.push((format!("{prefix}{pointer}"), message));
        }
    }
}

/// The (pointer, message) pairs of one error: none when, with `expressions`, it is about a value
/// holding a Kargo expression; one per field for unknown fields.
fn error_messages(
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
            // Only the types differ (int-or-string, nullable): say which types.
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
                format!("expected {}, found {}", types.join(" or "), describe(value))
            } else {
                let mut alternatives = Vec::new();
                for branch in context {
                    let messages: Vec<String> = branch
                        .iter()
                        .flat_map(|error| error_messages(schema, instance, error, expressions))
                        .map(|(at, message)| match at.strip_prefix(pointer.as_str()) {
                            Some("") | None => message,
                            Some(below) => format!("{below}: {message}"),
                        })
                        .collect();
                    if messages.is_empty() {
                        // This alternative failed only on Kargo expressions: it may well hold.
                        return Vec::new();
                    }
                    alternatives.push(messages.join(" and "));
                }
                let alternatives = alternatives
                    .iter()
                    .enumerate()
                    .map(|(index, messages)| format!("({}) {messages}", index + 1))
                    .collect::<Vec<_>>()
                    .join("; ");
                format!("matches none of the allowed alternatives: {alternatives}")
            }
        }
        ValidationErrorKind::OneOfMultipleValid { .. } => {
            "matches more than one of the alternatives, where exactly one must match".to_owned()
        }
        _ => error.to_string(),
    };
    vec![(pointer, message)]
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
fn pointer_order(a: &str, b: &str) -> std::cmp::Ordering {
    let key = |segment: &str| (segment.parse::<u64>().ok(), segment.to_owned());
    a.split('/').map(key).cmp(b.split('/').map(key))
}

/// Escapes a key for a JSON pointer.
fn escape(key: &str) -> String {
    key.replace('~', "~0").replace('/', "~1")
}

/// Parses a YAML stream into one JSON value per document, as Kubernetes reads YAML: merge keys
/// applied, tags dropped, scalar keys turned into strings. Empty documents are kept as `null`
/// so that indices match the stream.
fn parse_stream(text: &str) -> Result<Vec<Value>, String> {
    let mut documents = Vec::new();
    for document in serde_norway::Deserializer::from_str(text) {
        let mut value = serde_norway::Value::deserialize(document).map_err(|e| e.to_string())?;
        value.apply_merge().map_err(|e| e.to_string())?;
        documents.push(crate::summary::yaml_to_json(value));
    }
    Ok(documents)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A CRD directory in a temporary directory.
    fn crd_dir(files: &[(&str, &str)]) -> tempfile::TempDir {
        let dir = tempfile::tempdir().expect("a temporary directory");
        for (name, text) in files {
            let path = dir.path().join(name);
            std::fs::create_dir_all(path.parent().expect("a parent")).expect("create dirs");
            std::fs::write(path, text).expect("write");
        }
        dir
    }

    const WIDGET_CRD: &str = r#"
apiVersion: apiextensions.k8s.io/v1
kind: CustomResourceDefinition
metadata:
  name: widgets.example.com
spec:
  group: example.com
  names:
    kind: Widget
    plural: widgets
  scope: Namespaced
  versions:
  - name: v1
    served: true
    storage: true
    schema:
      openAPIV3Schema:
        type: object
        properties:
          spec:
            type: object
            required: [size]
            properties:
              size:
                type: integer
              port:
                x-kubernetes-int-or-string: true
                anyOf:
                - type: integer
                - type: string
              bare:
                x-kubernetes-int-or-string: true
              owner:
                type: string
                nullable: true
              mode:
                type: string
                enum: [fast, slow]
                nullable: true
              extra:
                type: object
                x-kubernetes-preserve-unknown-fields: true
                properties:
                  known:
                    type: string
              labels:
                type: object
                additionalProperties:
                  type: string
              items:
                type: array
                items:
                  type: object
                  properties:
                    name:
                      type: string
              either:
                type: object
                properties:
                  a:
                    type: string
                  b:
                    type: string
                anyOf:
                - required: [a]
                  properties:
                    a:
                      minLength: 1
                - required: [b]
"#;

    fn widgets() -> (tempfile::TempDir, CrdSet) {
        let dir = crd_dir(&[("widgets.yaml", WIDGET_CRD)]);
        let crds = load(dir.path()).expect("the CRDs load");
        (dir, crds)
    }

    fn widget(spec: &str) -> String {
        format!(
            "apiVersion: example.com/v1\nkind: Widget\nmetadata:\n  name: w\n  namespace: n\n  labels: {{a: b}}\nspec:\n{spec}"
        )
    }

    fn messages(crds: &CrdSet, text: &str) -> Vec<String> {
        validate_file(crds, "out/w.yaml", text)
            .iter()
            .map(ToString::to_string)
            .collect()
    }

    #[test]
    fn a_valid_resource_passes_and_is_counted() {
        let (_dir, crds) = widgets();
        assert_eq!(crds.crd_count(), 1);
        assert_eq!(
            crds.kinds().collect::<Vec<_>>(),
            [("example.com/v1", "Widget")]
        );
        let check = check_file(&crds, "out/w.yaml", &widget("  size: 3\n  port: http\n"));
        assert_eq!(check.problems, []);
        assert_eq!(check.resources.len(), 1);
        assert_eq!(check.resources[0].name, "w");
    }

    #[test]
    fn unknown_fields_are_rejected_with_a_suggestion() {
        let (_dir, crds) = widgets();
        assert_eq!(
            messages(&crds, &widget("  size: 3\n  portt: 80\n")),
            ["out/w.yaml: Widget w: /spec/portt: unknown field `portt`; did you mean `port`?"]
        );
        assert_eq!(
            messages(
                &crds,
                &widget("  size: 3\n  items:\n  - name: a\n    colour: red\n")
            ),
            [
                "out/w.yaml: Widget w: /spec/items/0/colour: unknown field `colour` (allowed: `name`)"
            ]
        );
        assert_eq!(
            messages(&crds, &widget("  size: 3\nstatus: {}\n")),
            [
                "out/w.yaml: Widget w: /status: unknown field `status` (allowed: `apiVersion`, `kind`, `metadata`, `spec`)"
            ]
        );
    }

    #[test]
    fn preserved_subtrees_and_maps_accept_any_key() {
        let (_dir, crds) = widgets();
        let text = widget(
            "  size: 3\n  extra:\n    known: x\n    anything:\n      deep: [1, 2]\n  labels:\n    free: form\n",
        );
        assert_eq!(messages(&crds, &text), Vec::<String>::new());
        let text = widget("  size: 3\n  labels:\n    free: 1\n");
        assert_eq!(
            messages(&crds, &text),
            ["out/w.yaml: Widget w: /spec/labels/free: expected string, found 1"]
        );
    }

    #[test]
    fn int_or_string_accepts_both_and_nothing_else() {
        let (_dir, crds) = widgets();
        for value in ["80", "http", "\"80\""] {
            let text = widget(&format!("  size: 3\n  port: {value}\n  bare: {value}\n"));
            assert_eq!(messages(&crds, &text), Vec::<String>::new(), "{value}");
        }
        assert_eq!(
            messages(&crds, &widget("  size: 3\n  bare: [1]\n  port: 1.5\n")),
            [
                "out/w.yaml: Widget w: /spec/bare: expected integer or string, found a list",
                "out/w.yaml: Widget w: /spec/port: expected integer or string, found 1.5",
            ]
        );
    }

    #[test]
    fn nullable_allows_null_only_where_declared() {
        let (_dir, crds) = widgets();
        let text = widget("  size: 3\n  owner: null\n  mode: null\n");
        assert_eq!(messages(&crds, &text), Vec::<String>::new());
        assert_eq!(
            messages(&crds, &widget("  size: null\n")),
            ["out/w.yaml: Widget w: /spec/size: expected integer, found null"]
        );
        assert_eq!(
            messages(&crds, &widget("  size: 1\n  mode: medium\n")),
            [
                r#"out/w.yaml: Widget w: /spec/mode: expected one of "fast", "slow", null, found the string "medium""#
            ]
        );
    }

    #[test]
    fn root_metadata_is_allowed_and_required_fields_are_named() {
        let (_dir, crds) = widgets();
        assert_eq!(
            messages(&crds, &widget("  port: 1\n")),
            ["out/w.yaml: Widget w: /spec: missing required field `size`"]
        );
        // anyOf branches only add checks: `b` is not made unknown by the first branch.
        assert_eq!(
            messages(&crds, &widget("  size: 1\n  either: {b: x}\n")),
            Vec::<String>::new()
        );
        assert_eq!(
            messages(&crds, &widget("  size: 1\n  either: {a: \"\"}\n")),
            [
                "out/w.yaml: Widget w: /spec/either: matches none of the allowed alternatives: (1) /a: \"\" is shorter than 1 character; (2) missing required field `b`"
            ]
        );
    }

    #[test]
    fn other_kinds_and_other_files_are_not_checked() {
        let (_dir, crds) = widgets();
        let text = "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: c}\ndata: {a: b}\n---\n# values\nreplicas: 3\n---\n";
        let check = check_file(&crds, "out/c.yaml", text);
        assert_eq!(check, FileCheck::default());
        let tree = check_tree(
            &crds,
            [("a.json", "{}"), ("b.yaml", widget("  size: x\n").as_str())],
        );
        assert_eq!(tree.resources.len(), 1);
        assert_eq!(tree.problems.len(), 1);
        assert_eq!(tree.problems[0].path, "b.yaml");
    }

    #[test]
    fn documents_are_numbered_and_unnamed_ones_say_so() {
        let (_dir, crds) = widgets();
        let text = "---\napiVersion: v1\nkind: Namespace\nmetadata: {name: n}\n---\napiVersion: example.com/v1\nkind: Widget\nspec: {size: 1, typo: 2}\n";
        let problems = validate_file(&crds, "out/w.yaml", text);
        assert_eq!(problems.len(), 1);
        assert_eq!(problems[0].document, 1);
        assert_eq!(problems[0].instance_path, "/spec/typo");
        assert!(
            problems[0]
                .to_string()
                .starts_with("out/w.yaml: Widget in document 2: /spec/typo: unknown field `typo`"),
            "{}",
            problems[0]
        );
        let broken = validate_file(&crds, "out/w.yaml", "a: [1\n");
        assert_eq!(broken.len(), 1);
        assert!(
            broken[0].message.starts_with("not valid YAML"),
            "{:?}",
            broken[0]
        );
    }

    #[test]
    fn yaml_is_read_as_kubernetes_reads_it() {
        let (_dir, crds) = widgets();
        let text = widget("  size: 3\n  labels:\n    1: one\n  <<: {port: 8}\n");
        assert_eq!(messages(&crds, &text), Vec::<String>::new());
    }

    const KARGO_CRDS: &str = r#"
apiVersion: apiextensions.k8s.io/v1
kind: CustomResourceDefinition
metadata:
  name: promotiontasks.kargo.akuity.io
spec:
  group: kargo.akuity.io
  names: {kind: PromotionTask, plural: promotiontasks}
  scope: Namespaced
  versions:
  - name: v1alpha1
    served: true
    storage: true
    schema:
      openAPIV3Schema:
        type: object
        properties:
          spec:
            type: object
            properties:
              steps:
                type: array
                items:
                  type: object
                  properties:
                    uses: {type: string}
                    as: {type: string}
                    task:
                      type: object
                      properties:
                        name: {type: string}
                    config:
                      x-kubernetes-preserve-unknown-fields: true
---
apiVersion: apiextensions.k8s.io/v1
kind: CustomResourceDefinition
metadata:
  name: warehouses.kargo.akuity.io
spec:
  group: kargo.akuity.io
  names: {kind: Warehouse, plural: warehouses}
  scope: Namespaced
  versions:
  - name: v1alpha1
    served: true
    storage: true
    schema:
      openAPIV3Schema:
        type: object
        properties:
          spec:
            type: object
            properties:
              subscriptions:
                type: array
                items:
                  x-kubernetes-preserve-unknown-fields: true
"#;

    const STAGE_CRD: &str = r#"
apiVersion: apiextensions.k8s.io/v1
kind: CustomResourceDefinition
metadata:
  name: stages.kargo.akuity.io
spec:
  group: kargo.akuity.io
  names: {kind: Stage, plural: stages}
  scope: Namespaced
  versions:
  - name: v1alpha0
    served: false
    storage: false
  - name: v1alpha1
    served: true
    storage: true
    schema:
      openAPIV3Schema:
        type: object
        properties:
          spec:
            type: object
            x-kubernetes-preserve-unknown-fields: true
"#;

    const COMMON: &str = r#"{"definitions": {"author": {"type": "object", "additionalProperties": false,
        "properties": {"name": {"type": "string"}, "email": {"type": "string"}}}}}"#;
    const COMMIT_STEP: &str = r#"{"$schema": "https://json-schema.org/draft/2020-12/schema",
        "type": "object", "additionalProperties": false, "required": ["path"],
        "properties": {"path": {"type": "string", "minLength": 1},
          "retries": {"type": "integer"},
          "author": {"$ref": "common.json#/definitions/author"}}}"#;
    const IMAGE: &str = r#"{"type": "object", "additionalProperties": false, "required": ["repoURL"],
        "properties": {"repoURL": {"type": "string"}, "constraint": {"type": "string"}}}"#;

    fn kargo() -> (tempfile::TempDir, CrdSet) {
        let dir = crd_dir(&[
            ("kargo.yaml", KARGO_CRDS),
            ("stage.yml", STAGE_CRD),
            ("kargo-schemas/promotion-steps/common.json", COMMON),
            (
                "kargo-schemas/promotion-steps/git-commit-config.json",
                COMMIT_STEP,
            ),
            ("kargo-schemas/subscriptions/image.json", IMAGE),
        ]);
        let crds = load(dir.path()).expect("the CRDs load");
        (dir, crds)
    }

    fn task(steps: &str) -> String {
        format!(
            "apiVersion: kargo.akuity.io/v1alpha1\nkind: PromotionTask\nmetadata: {{name: t, namespace: p}}\nspec:\n  steps:\n{steps}"
        )
    }

    #[test]
    fn kargo_step_configs_are_checked_against_their_step_schema() {
        let (_dir, crds) = kargo();
        assert_eq!(crds.steps().collect::<Vec<_>>(), ["git-commit"]);
        assert_eq!(crds.crd_count(), 3);
        assert!(crds.has_kind("kargo.akuity.io/v1alpha1", "Stage"));
        assert!(
            !crds.has_kind("kargo.akuity.io/v1alpha0", "Stage"),
            "not served"
        );
        let valid = task(
            "  - uses: git-commit\n    config:\n      path: ./repo\n      author: {name: k}\n  - task: {name: other}\n",
        );
        assert_eq!(messages(&crds, &valid), Vec::<String>::new());
        assert_eq!(
            messages(
                &crds,
                &task(
                    "  - uses: git-commit\n    config:\n      path: ./repo\n      author: {nmae: k}\n"
                )
            ),
            [
                "out/w.yaml: PromotionTask t: /spec/steps/0/config/author/nmae: unknown field `nmae`; did you mean `name`?"
            ]
        );
        assert_eq!(
            messages(
                &crds,
                &task("  - uses: git-commit\n    config:\n      pth: ./repo\n")
            ),
            [
                "out/w.yaml: PromotionTask t: /spec/steps/0/config: missing required field `path`",
                "out/w.yaml: PromotionTask t: /spec/steps/0/config/pth: unknown field `pth`; did you mean `path`?",
            ]
        );
        assert_eq!(
            messages(&crds, &task("  - uses: git-comit\n")),
            [
                "out/w.yaml: PromotionTask t: /spec/steps/0/uses: unknown promotion step `git-comit`; did you mean `git-commit`?"
            ]
        );
        assert_eq!(
            messages(&crds, &task("  - as: x\n")),
            ["out/w.yaml: PromotionTask t: /spec/steps/0: a step needs `uses` or `task`"]
        );
    }

    #[test]
    fn kargo_expressions_are_not_checked() {
        let (_dir, crds) = kargo();
        let text = task(
            "  - uses: git-commit\n    config:\n      path: ${{ vars.path }}\n      retries: ${{ vars.retries }}\n",
        );
        assert_eq!(messages(&crds, &text), Vec::<String>::new());
        let text =
            task("  - uses: git-commit\n    config:\n      path: ./repo\n      retries: three\n");
        assert_eq!(
            messages(&crds, &text),
            [
                r#"out/w.yaml: PromotionTask t: /spec/steps/0/config/retries: expected integer, found the string "three""#
            ]
        );
    }

    #[test]
    fn stage_steps_are_checked_too() {
        let (_dir, crds) = kargo();
        let stage = |steps: &str| {
            format!(
                "apiVersion: kargo.akuity.io/v1alpha1\nkind: Stage\nmetadata: {{name: dev, namespace: p}}\nspec:\n  promotionTemplate:\n    spec:\n      steps:\n{steps}"
            )
        };
        assert_eq!(
            messages(
                &crds,
                &stage(
                    "      - task: {name: t}\n      - uses: git-commit\n        config: {path: ., retries: 1}\n"
                )
            ),
            Vec::<String>::new()
        );
        assert_eq!(
            messages(
                &crds,
                &stage(
                    "      - task: {name: t}\n      - uses: git-commit\n        config: {retries: 1}\n"
                )
            ),
            [
                "out/w.yaml: Stage dev: /spec/promotionTemplate/spec/steps/1/config: missing required field `path`"
            ]
        );
    }

    #[test]
    fn warehouse_subscriptions_are_checked_by_their_key() {
        let (_dir, crds) = kargo();
        let warehouse = |subscriptions: &str| {
            format!(
                "apiVersion: kargo.akuity.io/v1alpha1\nkind: Warehouse\nmetadata: {{name: w}}\nspec:\n  subscriptions:\n{subscriptions}"
            )
        };
        assert_eq!(
            messages(
                &crds,
                &warehouse("  - image: {repoURL: r, constraint: ^1}\n")
            ),
            Vec::<String>::new()
        );
        assert_eq!(
            messages(
                &crds,
                &warehouse("  - image: {repoURL: r, semverConstraint: ^1}\n")
            ),
            [
                "out/w.yaml: Warehouse w: /spec/subscriptions/0/image/semverConstraint: unknown field `semverConstraint` (allowed: `constraint`, `repoURL`)"
            ]
        );
        assert_eq!(
            messages(&crds, &warehouse("  - imag: {repoURL: r}\n")),
            [
                "out/w.yaml: Warehouse w: /spec/subscriptions/0/imag: unknown subscription `imag`; did you mean `image`?"
            ]
        );
        let two = messages(&crds, &warehouse("  - image: {repoURL: r}\n    git: {}\n"));
        assert_eq!(two.len(), 1, "{two:?}");
    }

    #[test]
    fn unusable_directories_are_errors() {
        let empty = crd_dir(&[("notes.yaml", "a: 1\n")]);
        assert!(matches!(load(empty.path()), Err(CrdError::Empty { .. })));
        assert!(matches!(
            load(&empty.path().join("missing")),
            Err(CrdError::Read { .. })
        ));
        let broken = crd_dir(&[("x.yaml", "a: [\n")]);
        assert!(matches!(load(broken.path()), Err(CrdError::Parse { .. })));
        let twice = crd_dir(&[("a.yaml", WIDGET_CRD), ("b.yaml", WIDGET_CRD)]);
        let error = load(twice.path()).map(|_| ()).expect_err("a duplicate");
        assert!(
            error
                .to_string()
                .contains("example.com/v1 Widget is defined twice"),
            "{error}"
        );
        let beta = crd_dir(&[(
            "a.yaml",
            &WIDGET_CRD.replace("apiextensions.k8s.io/v1", "apiextensions.k8s.io/v1beta1"),
        )]);
        assert!(matches!(
            load(beta.path()),
            Err(CrdError::Definition { .. })
        ));
    }

    #[test]
    fn openapi_exclusive_bounds_are_converted() {
        let converted = convert(
            &serde_json::json!({"type": "integer", "minimum": 0, "exclusiveMinimum": true, "x-kubernetes-list-type": "atomic"}),
            Position::Structural,
        );
        assert_eq!(
            converted,
            serde_json::json!({"type": "integer", "exclusiveMinimum": 0})
        );
        let embedded = convert(
            &serde_json::json!({"type": "object", "x-kubernetes-embedded-resource": true,
                "properties": {"spec": {"type": "object"}}}),
            Position::Structural,
        );
        let properties = embedded["properties"].as_object().expect("properties");
        assert_eq!(
            properties.keys().collect::<Vec<_>>(),
            ["apiVersion", "kind", "metadata", "spec"]
        );
        assert_eq!(embedded["additionalProperties"], false);
        // Branches of anyOf only add checks; they are never made strict.
        let branch = convert(
            &serde_json::json!({"type": "object", "properties": {"a": {"type": "string"}},
                "anyOf": [{"properties": {"a": {"minLength": 1}}}]}),
            Position::Structural,
        );
        assert_eq!(branch["additionalProperties"], false);
        assert_eq!(branch["anyOf"][0].get("additionalProperties"), None);
    }
}
