//! Stage 6, verify: parse every rendered file back in its own format before anything is written,
//! once, into the `ParsedTree` every later check reads.
//!
//! A file that does not parse means a template is wrong, so the error names the file, the
//! template that made it and the line. YAML files may hold several documents; each must parse,
//! without duplicate keys. Alloy files go through lgtmc's own Alloy parser and checker; SVG images
//! must be well-formed XML with an `svg` root (`Format::parse`). Then `cross_check`
//! (`verify/references.rs`) checks that the files agree with each other; `isolation` and, with
//! `--crds`, `crds::check_tree` read the same tree; `verify/isolation.rs` checks Grafana's tenant
//! isolation on it.

use std::collections::{BTreeMap, HashMap};
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use miette::{Diagnostic, NamedSource, SourceSpan};
use serde_json::Value;

use crate::format::{Format, ParseError, Parsed};
use crate::render::Rendered;

pub mod isolation;
mod references;

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

/// Every rendered file in a known format, parsed: path under `out/` → its YAML documents, JSON
/// value, Alloy syntax tree. Files with the same body (environments often render identical files
/// but for their "generated from" header) share one parse.
#[derive(Debug, Default)]
pub struct ParsedTree {
    files: BTreeMap<String, Arc<Parsed>>,
}

impl ParsedTree {
    /// A parsed file; `None` when its format is unknown or it did not parse.
    pub fn get(&self, path: &str) -> Option<&Parsed> {
        self.files.get(path).map(Arc::as_ref)
    }

    /// The documents of a YAML file; none when it is not YAML or did not parse.
    pub fn documents(&self, path: &str) -> &[Value] {
        match self.get(path) {
            Some(Parsed::Yaml(documents)) => documents,
            _ => &[],
        }
    }

    /// The value of a JSON file, when it is one and parsed.
    pub fn json(&self, path: &str) -> Option<&Value> {
        match self.get(path) {
            Some(Parsed::Json(value)) => Some(value),
            _ => None,
        }
    }

    /// Every YAML file and its documents, in path order.
    pub fn yaml_files(&self) -> impl Iterator<Item = (&str, &[Value])> {
        self.files
            .iter()
            .filter_map(|(path, parsed)| match parsed.as_ref() {
                Parsed::Yaml(documents) => Some((path.as_str(), documents.as_slice())),
                _ => None,
            })
    }
}

/// Parses every rendered file back; returns the parsed tree, or every broken file.
pub fn verify(rendered: &Rendered) -> Result<ParsedTree, Vec<VerifyError>> {
    // Each distinct body is parsed once, and the parses share the work of all cores.
    let mut index: HashMap<(Format, &str), usize> = HashMap::new();
    let mut unique: Vec<(&str, Format, &str)> = Vec::new();
    let mut copies: Vec<(&str, Format, &str, usize)> = Vec::new();
    for (path, text) in &rendered.files {
        let Some(format) = Format::of(path) else {
            continue;
        };
        match index.entry((format, format.strip_header(text))) {
            std::collections::hash_map::Entry::Occupied(entry) => {
                copies.push((path, format, text, *entry.get()));
            }
            std::collections::hash_map::Entry::Vacant(entry) => {
                entry.insert(unique.len());
                unique.push((path, format, text));
            }
        }
    }
    let results: Vec<Result<Arc<Parsed>, ParseError>> = parse_all(&unique)
        .into_iter()
        .map(|result| result.map(Arc::new))
        .collect();
    let mut tree = ParsedTree::default();
    let mut errors = Vec::new();
    for ((path, format, text), result) in unique.iter().zip(&results) {
        match result {
            Ok(parsed) => {
                tree.files.insert((*path).to_owned(), Arc::clone(parsed));
            }
            Err(error) => errors.push(broken(rendered, path, *format, text, error.clone())),
        }
    }
    for (path, format, text, first) in copies {
        match &results[first] {
            Ok(parsed) => {
                tree.files.insert(path.to_owned(), Arc::clone(parsed));
            }
            // Report a broken body in every file that has it, at that file's own offset (the
            // headers differ in length).
            Err(_) => {
                if let Err(error) = format.parse(text) {
                    errors.push(broken(rendered, path, format, text, error));
                }
            }
        }
    }
    if errors.is_empty() {
        Ok(tree)
    } else {
        errors.sort_by(|a, b| a.path.cmp(&b.path));
        Err(errors)
    }
}

/// Parses each file on as many threads as there are cores, in the order given.
fn parse_all(files: &[(&str, Format, &str)]) -> Vec<Result<Parsed, ParseError>> {
    let workers = std::thread::available_parallelism()
        .map_or(1, std::num::NonZero::get)
        .min(files.len());
    if workers <= 1 {
        return files
            .iter()
            .map(|(_, format, text)| format.parse(text))
            .collect();
    }
    // Files differ a lot in size (a dashboard, the collector's configuration): each worker takes
    // the next file when it is done with one.
    let next = AtomicUsize::new(0);
    let mut results: Vec<Option<Result<Parsed, ParseError>>> = files.iter().map(|_| None).collect();
    std::thread::scope(|scope| {
        let handles: Vec<_> = (0..workers)
            .map(|_| {
                scope.spawn(|| {
                    let mut mine = Vec::new();
                    loop {
                        let at = next.fetch_add(1, Ordering::Relaxed);
                        let Some((_, format, text)) = files.get(at) else {
                            break mine;
                        };
                        mine.push((at, format.parse(text)));
                    }
                })
            })
            .collect();
        for handle in handles {
            // A parser that panicked is a bug; let it surface as the panic it was.
            let parsed = handle
                .join()
                .unwrap_or_else(|panic| std::panic::resume_unwind(panic));
            for (at, result) in parsed {
                results[at] = Some(result);
            }
        }
    });
    results
        .into_iter()
        .map(|result| {
            result.unwrap_or_else(|| {
                Err(ParseError {
                    detail: "internal error: the file was not parsed".to_owned(),
                    offset: 0,
                })
            })
        })
        .collect()
}

fn broken(
    rendered: &Rendered,
    path: &str,
    format: Format,
    text: &str,
    error: ParseError,
) -> VerifyError {
    let offset = error.offset.min(text.len());
    VerifyError {
        path: path.to_owned(),
        template: rendered.templates.get(path).cloned().unwrap_or_default(),
        format: format.name(),
        detail: error.detail,
        source_code: NamedSource::new(format!("out/{path}"), Arc::from(text)),
        span: SourceSpan::from(offset..offset),
    }
}

/// A reference between rendered files that does not resolve: an Application pointing at a path
/// that is not rendered, a backend reading a Secret no bucket claim creates, a kustomization
/// listing a missing resource.
#[derive(Debug, thiserror::Error, Diagnostic)]
#[error("`{path}`: {detail}")]
#[diagnostic(help("this is a template or plan bug: the rendered files disagree with each other"))]
pub struct ReferenceError {
    pub path: String,
    pub detail: String,
}

/// One environment's directory in the GitOps repository, as its Applications name it.
pub struct EnvironmentDir {
    pub environment: String,
    /// `out/prod`: the prefix of every path its Applications point at.
    pub repo_dir: String,
}

/// Checks that the rendered files agree with each other (see `ReferenceError`); reads each file
/// from `tree`, so a file that did not parse is skipped (`verify` reports it).
pub fn cross_check(
    rendered: &Rendered,
    tree: &ParsedTree,
    environments: &[EnvironmentDir],
) -> Result<(), Vec<ReferenceError>> {
    let mut errors = references::kustomizations(rendered, tree);
    for environment in environments {
        errors.extend(references::environment(rendered, tree, environment));
    }
    if errors.is_empty() {
        Ok(())
    } else {
        Err(errors)
    }
}

#[cfg(test)]
mod tests;
