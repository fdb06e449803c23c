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

use miette::{Diagnostic, NamedSource, SourceSpan};
use serde_json::Value;

use crate::format::{Format, ParseError, Parsed};
use crate::render::Rendered;

pub mod isolation;
mod references;
pub use references::References;
mod stream;

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

    /// Every parsed file, in path order.
    pub fn files(&self) -> impl Iterator<Item = (&str, &Parsed)> {
        (self.files.iter()).map(|(path, parsed)| (path.as_str(), parsed.as_ref()))
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

/// Parses every rendered file back; returns the parsed tree, or every broken file. The whole
/// tree stays in memory: `compiler` uses `stream` instead, and checks each file as it comes.
pub fn verify(rendered: &Rendered) -> Result<ParsedTree, Vec<VerifyError>> {
    let paths: Vec<&str> = rendered.files.keys().map(String::as_str).collect();
    let mut tree = ParsedTree::default();
    let errors = stream(rendered, &paths, &mut |path, parsed| {
        tree.files.insert(path.to_owned(), Arc::clone(parsed));
    });
    if errors.is_empty() {
        Ok(tree)
    } else {
        Err(errors)
    }
}

/// Parses the rendered files at `paths` (files in no known format are skipped) and hands each
/// parse to `visit`, in the order of `paths`, except that a body several files share (the
/// environments render many files that differ only in their "generated from" header) is parsed
/// once and visited for every path that has it when the first comes. Parses are made on all
/// cores but only a bounded number are alive at once: what `visit` does not keep is freed.
/// Returns every file that did not parse, sorted by path (those files are not visited).
pub fn stream(
    rendered: &Rendered,
    paths: &[&str],
    visit: &mut dyn FnMut(&str, &Arc<Parsed>),
) -> Vec<VerifyError> {
    // Every body is hashed once: foldhash reads long texts several times faster than the
    // default SipHash (39 MB at 2,000 tenants), and the table is sized up front so that no
    // body is hashed again when it grows. Equal hashes are still compared byte by byte.
    let mut index: HashMap<(Format, &str), usize, foldhash::fast::FixedState> =
        HashMap::with_capacity_and_hasher(paths.len(), foldhash::fast::FixedState::default());
    let mut jobs: Vec<(Format, &str)> = Vec::new();
    let mut holders: Vec<Vec<&str>> = Vec::new();
    for path in paths {
        let (Some(format), Some(text)) = (Format::of(path), rendered.files.get(*path)) else {
            continue;
        };
        match index.entry((format, format.strip_header(text))) {
            std::collections::hash_map::Entry::Occupied(entry) => holders[*entry.get()].push(path),
            std::collections::hash_map::Entry::Vacant(entry) => {
                entry.insert(jobs.len());
                jobs.push((format, text));
                holders.push(vec![path]);
            }
        }
    }
    drop(index);
    let mut errors = Vec::new();
    stream::parse_in_order(&jobs, &mut |at, result| match result {
        Ok(parsed) => {
            let parsed = Arc::new(parsed);
            for path in &holders[at] {
                visit(path, &parsed);
            }
        }
        Err(error) => {
            let format = jobs[at].0;
            for (copy, path) in holders[at].iter().enumerate() {
                let text = &rendered.files[*path];
                // Report a broken body in every file that has it, at that file's own offset
                // (the headers differ in length).
                let error = if copy == 0 {
                    Some(error.clone())
                } else {
                    format.parse(text).err()
                };
                if let Some(error) = error {
                    errors.push(broken(rendered, path, format, text, error));
                }
            }
        }
    });
    errors.sort_by(|a, b| a.path.cmp(&b.path));
    errors
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
#[derive(Clone, Debug)]
pub struct EnvironmentDir {
    pub environment: String,
    /// `out/prod`: the prefix of every path its Applications point at.
    pub repo_dir: String,
}

/// Checks that the rendered files agree with each other (see `ReferenceError`), in a tree
/// parsed whole; `compiler` visits `References` with each file as `stream` parses it instead.
pub fn cross_check(
    rendered: &Rendered,
    tree: &ParsedTree,
    environments: &[EnvironmentDir],
) -> Result<(), Vec<ReferenceError>> {
    let mut references = References::new(rendered, environments.to_vec());
    for (path, parsed) in tree.files() {
        references.visit(path, parsed);
    }
    references.finish()
}

#[cfg(test)]
mod tests;
