//! Which environments there are: `environments` in `platform.kdl` against the overlay files, and
//! the environments that would collide (one cluster and namespace, two output directories).

use serde_json::Value;

use super::EnvironmentSpec;
use crate::diagnostic::{Problem, SourceFile, did_you_mean};
use crate::document::{Document, Origin, Origins};
use crate::load::ENVIRONMENTS_DIR;
use crate::model::Platform;

/// The environments validated before `name` that it would collide with: the same cluster and a
/// namespace in common, or another output directory than the first environment's.
pub(super) fn collision_problems(
    before: &[EnvironmentSpec],
    name: &str,
    platform: &Platform,
    origins: &Origins,
    files: &[SourceFile],
    problems: &mut Vec<Problem>,
) {
    if let Some(other) = before
        .iter()
        .find(|e| shares_cluster(&e.platform, platform))
    {
        let origin = origins.find("/cluster");
        problems.push(
            Problem::new(
                &files[origin.file],
                origin.span,
                format!("environments `{}` and `{name}` would deploy the same objects to `{}`", other.name, platform.cluster),
                "same cluster",
            )
            .with_help("each environment needs its own cluster (set `cluster` in its overlay), or its own namespaces for every backend and its own Ceph object store"),
        );
    }
    if let Some(first) = before
        .first()
        .filter(|f| f.platform.gitops.out != platform.gitops.out)
    {
        let origin = origins.find("/gitops/out");
        problems.push(
            Problem::new(
                &files[origin.file],
                origin.span,
                format!(
                    "environment `{name}` puts the rendered tree in `{}`, environment `{}` in `{}`",
                    platform.gitops.out, first.name, first.platform.gitops.out
                ),
                "a second output directory",
            )
            .with_help("there is one output directory: set `gitops out` in platform.kdl only"),
        );
    }
}

/// Whether two environments would collide: the same cluster, and a namespace (or the Ceph object
/// store) in common.
fn shares_cluster(a: &Platform, b: &Platform) -> bool {
    let namespaces = |p: &Platform| {
        [
            p.metrics.namespace.clone(),
            p.logs.namespace.clone(),
            p.traces.namespace.clone(),
            p.profiles.namespace.clone(),
            format!(
                "{}/{}",
                p.storage.ceph.namespace, p.storage.ceph.object_store
            ),
        ]
    };
    let theirs = namespaces(b);
    a.cluster == b.cluster && namespaces(a).iter().any(|ns| theirs.contains(ns))
}

/// The names listed in `environments`.
pub(super) fn declared_names(base: &Document) -> Vec<String> {
    base.value
        .get("environments")
        .and_then(Value::as_array)
        .map(|items| {
            items
                .iter()
                .filter_map(|v| v.as_str().map(str::to_owned))
                .collect()
        })
        .unwrap_or_default()
}

/// Where `name` is listed in `environments`, for problems that concern the environment as a whole.
pub(super) fn environment_origin(base: &Document, name: &str) -> Origin {
    let index = declared_names(base)
        .iter()
        .position(|n| n == name)
        .unwrap_or(0);
    base.origins.find(&format!("/environments/{index}"))
}

/// An overlay file converted to a document.
pub(super) struct OverlayDocument {
    pub(super) file: usize,
    pub(super) stem: String,
    pub(super) document: Document,
}

/// The environments in the order `platform.kdl` declares them, each with its overlay; reports
/// declared environments without an overlay file and overlay files nobody declared.
pub(super) fn declared_environments<'o>(
    base: &Document,
    files: &[SourceFile],
    overlays: &'o [OverlayDocument],
    problems: &mut Vec<Problem>,
) -> Vec<(String, Option<&'o OverlayDocument>)> {
    let names: Vec<(usize, String)> = base
        .value
        .get("environments")
        .and_then(Value::as_array)
        .map(|items| {
            items
                .iter()
                .enumerate()
                .filter_map(|(i, v)| v.as_str().map(|s| (i, s.to_owned())))
                .collect()
        })
        .unwrap_or_default();
    let mut declared = Vec::new();
    for (index, name) in &names {
        let overlay = overlays.iter().find(|overlay| overlay.stem == *name);
        if overlay.is_none() {
            let origin = base.origins.find(&format!("/environments/{index}"));
            let known: Vec<&str> = overlays
                .iter()
                .map(|overlay| overlay.stem.as_str())
                .collect();
            let help = did_you_mean(name, known.iter().copied())
                .map(|hint| format!("{hint} or create `{ENVIRONMENTS_DIR}/{name}.kdl` with `environment \"{name}\" {{ }}`"))
                .unwrap_or_else(|| format!("create `{ENVIRONMENTS_DIR}/{name}.kdl` with `environment \"{name}\" {{ }}`"));
            problems.push(
                Problem::new(
                    &files[origin.file],
                    origin.span,
                    format!(
                        "environment `{name}` has no overlay file `{ENVIRONMENTS_DIR}/{name}.kdl`"
                    ),
                    "declared here",
                )
                .with_help(help),
            );
            continue;
        }
        if declared.iter().any(|(seen, _)| seen == name) {
            let origin = base.origins.find(&format!("/environments/{index}"));
            problems.push(
                Problem::new(
                    &files[origin.file],
                    origin.span,
                    format!("environment `{name}` is listed twice"),
                    "listed again here",
                )
                .with_help("list each environment once"),
            );
            continue;
        }
        declared.push((name.clone(), overlay));
    }
    for OverlayDocument {
        file,
        stem,
        document,
    } in overlays
    {
        if !names.iter().any(|(_, name)| name == stem) {
            let origin = document.origins.find("");
            let help = if base.value.get("environments").is_some() {
                format!("add \"{stem}\" to `environments` in platform.kdl, or delete the file")
            } else {
                format!("declare it in platform.kdl: `environments \"{stem}\"`")
            };
            problems.push(
                Problem::new(
                    &files[*file],
                    origin.span,
                    format!("`{}` is not a declared environment", files[*file].name),
                    "not in `environments`",
                )
                .with_help(help),
            );
        }
    }
    declared
}
