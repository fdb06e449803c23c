//! `versions/<env>.yaml`: the pinned version of every chart an environment deploys, and nothing
//! else.

use std::collections::BTreeMap;

use crate::catalog;
use crate::diagnostic::{Problem, SourceFile, did_you_mean};
use crate::document::{Document, Origin};
use crate::load::{LoadedSpec, VERSIONS_DIR};
use crate::model::Platform;

use super::EnvironmentSpec;
use super::environments::declared_names;

/// Reads `versions/<env>.yaml`: a map from chart name to version, with exactly the charts the
/// environment uses.
pub(super) fn chart_versions(
    loaded: &LoadedSpec,
    environment: &str,
    platform: &Platform,
    declared_at: Origin,
    problems: &mut Vec<Problem>,
) -> BTreeMap<String, String> {
    let used = catalog::used_by(platform);
    let example: String = used
        .iter()
        .map(|c| format!("{}: <version>", c.name))
        .collect::<Vec<_>>()
        .join(", ");
    let Some(versions_file) = loaded
        .versions
        .iter()
        .find(|v| v.environment == environment)
    else {
        problems.push(
            Problem::new(&loaded.files[declared_at.file], declared_at.span, format!("environment `{environment}` has no chart versions file `{VERSIONS_DIR}/{environment}.yaml`"), "declared here")
                .with_help(format!("create it with one line per chart: {example}")),
        );
        return BTreeMap::new();
    };
    let file = &loaded.files[versions_file.file];
    let Some(mapping) = mapping(file, &example, problems) else {
        return BTreeMap::new();
    };
    let mut versions = BTreeMap::new();
    for (key, value) in &mapping {
        if let Some((chart, version)) = entry(file, environment, &used, key, value, problems) {
            versions.insert(chart.to_owned(), version.to_owned());
        }
    }
    for chart in &used {
        if !mapping
            .iter()
            .any(|(key, _)| key.as_deref() == Some(chart.name))
        {
            problems.push(
                Problem::new(
                    file,
                    (0..0).into(),
                    format!("`{}` has no version for chart `{}`", file.name, chart.name),
                    "missing chart",
                )
                .with_help(format!("add a line `{}: <version>`", chart.name)),
            );
        }
    }
    versions
}

/// The versions file as a YAML map (an empty file is an empty map), or a problem.
fn mapping(
    file: &SourceFile,
    example: &str,
    problems: &mut Vec<Problem>,
) -> Option<Vec<(Option<String>, serde_json::Value)>> {
    match crate::yaml::map_entries(&file.text) {
        Ok(entries) => Some(entries),
        Err(error) => {
            let offset = error.offset;
            problems.push(
                Problem::new(
                    file,
                    (offset..offset).into(),
                    format!(
                        "`{}` is not a YAML map of chart versions: {error}",
                        file.name
                    ),
                    "here",
                )
                .with_help(format!("one line per chart: {example}")),
            );
            None
        }
    }
}

/// One line of the versions file: a chart the environment uses and its version, or a problem.
fn entry<'m>(
    file: &SourceFile,
    environment: &str,
    used: &[catalog::Chart],
    key: &'m Option<String>,
    value: &'m serde_json::Value,
    problems: &mut Vec<Problem>,
) -> Option<(&'m str, &'m str)> {
    let Some(chart) = key.as_deref() else {
        problems.push(Problem::new(
            file,
            (0..0).into(),
            format!("`{}` has a key that is not a chart name", file.name),
            "here",
        ));
        return None;
    };
    let offset = key_offset(&file.text, chart);
    let span: miette::SourceSpan = (offset..offset + chart.len()).into();
    if !used.iter().any(|c| c.name == chart) {
        let known = catalog::charts().iter().any(|c| c.name == chart);
        let help = if known {
            format!("environment `{environment}` does not deploy `{chart}`; remove the line")
        } else {
            did_you_mean(chart, used.iter().map(|c| c.name)).unwrap_or_else(|| {
                format!(
                    "the charts of `{environment}` are: {}",
                    used.iter()
                        .map(|c| format!("`{}`", c.name))
                        .collect::<Vec<_>>()
                        .join(", ")
                )
            })
        };
        problems.push(
            Problem::new(
                file,
                span,
                format!("`{chart}` is not a chart environment `{environment}` uses"),
                "unknown chart",
            )
            .with_help(help),
        );
        return None;
    }
    match value.as_str() {
        Some(version) if catalog::is_version(version) => Some((chart, version)),
        _ => {
            problems.push(
                Problem::new(
                    file,
                    span,
                    format!("the version of `{chart}` must be a chart version like `1.2.3`"),
                    "not a version",
                )
                .with_help("write the chart's semantic version, without a leading `v`"),
            );
            None
        }
    }
}

/// The byte offset of `key` at the start of a line in a flat YAML map (0 when not found).
fn key_offset(text: &str, key: &str) -> usize {
    let mut offset = 0;
    for line in text.split_inclusive('\n') {
        if line
            .strip_prefix(key)
            .is_some_and(|rest| rest.trim_start().starts_with(':'))
        {
            return offset;
        }
        offset += line.len();
    }
    0
}

/// A versions file of an environment that is not declared.
pub(super) fn orphan_problems(
    loaded: &LoadedSpec,
    base: &Document,
    environments: &[EnvironmentSpec],
    problems: &mut Vec<Problem>,
) {
    for file in &loaded.versions {
        if !environments.iter().any(|e| e.name == file.environment)
            && !declared_names(base).contains(&file.environment)
        {
            problems.push(
                Problem::new(
                    &loaded.files[file.file],
                    (0..0).into(),
                    format!(
                        "`{}` is not the chart versions of a declared environment",
                        loaded.files[file.file].name
                    ),
                    "no such environment",
                )
                .with_help("delete the file, or declare the environment in platform.kdl"),
            );
        }
    }
}
