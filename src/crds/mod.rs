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

use jsonschema::Validator;
use serde_json::Value;

use crate::format::Format;
use crate::format::Parsed;
use crate::verify::ParsedTree;

mod check;
mod convert;
mod load;
mod messages;

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
        let is_yaml = Format::of(&entry.file_name().to_string_lossy()) == Some(Format::Yaml);
        if entry.file_type().is_file() && is_yaml {
            let path = entry.path().to_path_buf();
            let text = load::read(&path)?;
            sources.extend(load::crd_sources(&path, &text)?);
        }
    }
    if sources.is_empty() {
        return Err(CrdError::Empty {
            dir: dir.to_path_buf(),
        });
    }
    let crd_count = sources.iter().filter(|source| source.first_version).count();
    let mut definitions: BTreeMap<(String, String), Definition> = BTreeMap::new();
    for (source, compiled) in sources.iter().zip(load::compile_all(&sources)) {
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
    let steps = load::kargo_schemas(&kargo.join("promotion-steps"), STEPS_BASE, |name| {
        name.strip_suffix("-config.json")
    })?;
    let subscriptions =
        load::kargo_schemas(&kargo.join("subscriptions"), SUBSCRIPTIONS_BASE, |name| {
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

/// Checks every custom resource in one YAML file; returns its problems.
pub fn validate_file(crds: &CrdSet, path: &str, text: &str) -> Vec<CrdProblem> {
    check_file(crds, path, text).problems
}

/// Checks every custom resource in one YAML file; returns the resources checked and the
/// problems. Documents of a kind without a CRD in the set (a Namespace, a ConfigMap, Helm
/// values) are not custom resources and are skipped.
pub fn check_file(crds: &CrdSet, path: &str, text: &str) -> FileCheck {
    match crate::yaml::documents(text) {
        Ok(documents) => check_documents(crds, path, &documents),
        Err(error) => FileCheck {
            resources: Vec::new(),
            problems: vec![CrdProblem {
                path: path.to_owned(),
                document: 0,
                kind: String::new(),
                name: String::new(),
                instance_path: String::new(),
                message: format!("not valid YAML: {error}"),
            }],
        },
    }
}

/// Checks every YAML file of a parsed tree, in path order; each file is named `prefix` and its
/// path (`out/prod/ceph/object-store.yaml`). A file that did not parse is not in the tree
/// (`verify` reports it).
pub fn check_tree(crds: &CrdSet, tree: &ParsedTree, prefix: &str) -> FileCheck {
    let mut all = FileCheck::default();
    for (path, documents) in tree.yaml_files() {
        let check = check_documents(crds, &format!("{prefix}{path}"), documents);
        all.resources.extend(check.resources);
        all.problems.extend(check.problems);
    }
    all
}

/// Checks the custom resources of one parsed file at `path` below `prefix` (a file in another
/// format than YAML has none).
pub fn check_parsed(crds: &CrdSet, prefix: &str, path: &str, parsed: &Parsed) -> FileCheck {
    match parsed {
        Parsed::Yaml(documents) => check_documents(crds, &format!("{prefix}{path}"), documents),
        _ => FileCheck::default(),
    }
}

/// Checks the custom resources among the documents of one YAML stream (`yaml::documents`).
fn check_documents(crds: &CrdSet, path: &str, documents: &[Value]) -> FileCheck {
    let mut check = FileCheck::default();
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
        let found = check::problems(crds, &definition.schema, api_version, kind, document);
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

#[cfg(test)]
mod tests;
