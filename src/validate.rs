//! Stage 3, validate: check the merged documents against the schema, then check what no schema
//! can express, and produce one typed `Platform` per environment.
//!
//! Every problem in every file and every environment is collected before returning, so one run
//! shows them all. A problem in `platform.kdl` is found once per environment and reported once.

use jsonschema::error::ValidationErrorKind;
use serde_json::Value;

use std::collections::BTreeMap;

use crate::capacity::{self, CapacityPlan};
use crate::catalog;
use crate::compute::{self, ComputePlan};
use crate::diagnostic::{Problem, SourceFile, did_you_mean, tidy};
use crate::document::{self, Document, Origins, pointer_child};
use crate::load::{ENVIRONMENTS_DIR, LoadedSpec, VERSIONS_DIR};
use crate::model::{CPU_PATTERN, MEMORY_PATTERN};
use crate::model::{DURATION_PATTERN, MAX_EXACT, Platform, TracesMode};
use crate::schema;

const HOUR: u64 = 3_600;
const DAY: u64 = 24 * HOUR;

/// The longest tenant id: `profiles-<id>` must fit a Grafana uid (40 characters).
pub const MAX_TENANT_ID_LEN: usize = 30;

/// A spec that passed every check: one typed platform per environment, in promotion order.
#[derive(Debug)]
pub struct ValidSpec {
    pub files: Vec<SourceFile>,
    pub environments: Vec<EnvironmentSpec>,
    /// Environments over their capacity budget, without `enforce`: printed, never fatal.
    pub warnings: Vec<Problem>,
    /// Environments over their capacity budget with `enforce`, when validated with
    /// `Budget::Report` (with `Budget::Enforce` they are problems, and validation fails).
    pub over_budget: Vec<Problem>,
}

/// What an environment over its capacity budget with `enforce` is.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Budget {
    /// A problem in the spec: validation fails (`render`, `check`, `validate`).
    Enforce,
    /// Reported in `ValidSpec::over_budget` (`lgtmc plan` prints the plan, then fails).
    Report,
}

#[derive(Debug)]
pub struct EnvironmentSpec {
    pub name: String,
    pub platform: Platform,
    /// The files this environment was compiled from, for the "generated from" header.
    pub sources: Vec<String>,
    /// The pinned version of each chart the environment uses, from `versions/<env>.yaml`.
    pub versions: BTreeMap<String, String>,
    /// The storage the environment needs, against its budget.
    pub capacity: CapacityPlan,
    /// The CPU and memory the environment requests, against its nodes.
    pub compute: ComputePlan,
}

/// Validates the loaded spec, or returns every problem found in it.
pub fn validate(loaded: &LoadedSpec) -> Result<ValidSpec, Vec<Problem>> {
    validate_with(loaded, Budget::Enforce)
}

/// Validates the loaded spec; `budget` says what an enforced capacity budget that is exceeded is.
pub fn validate_with(loaded: &LoadedSpec, budget: Budget) -> Result<ValidSpec, Vec<Problem>> {
    let schema = schema::generate();
    let mut problems = Vec::new();
    let base = document::from_platform(
        &loaded.platform,
        &loaded.files[0],
        0,
        &schema,
        &mut problems,
    );
    let overlays: Vec<OverlayDocument> = loaded
        .overlays
        .iter()
        .filter_map(|overlay| {
            let file = &loaded.files[overlay.file];
            let document = document::from_overlay(
                &overlay.document,
                file,
                overlay.file,
                &overlay.stem,
                &schema,
                &mut problems,
            )?;
            Some(OverlayDocument {
                file: overlay.file,
                stem: overlay.stem.clone(),
                document,
            })
        })
        .collect();
    // Without its root node, the platform file says nothing the later checks could use; they
    // would only repeat that it is missing.
    let Some(base) = base else {
        return Err(tidy(problems));
    };

    let validator = match jsonschema::validator_for(&schema) {
        Ok(validator) => validator,
        Err(error) => {
            // The schema is generated from our own types; failing to compile it is a bug, but
            // it is still reported rather than panicking.
            problems.push(Problem::new(
                &loaded.files[0],
                (0..0).into(),
                format!("internal error: the spec schema does not compile: {error}"),
                "here",
            ));
            return Err(tidy(problems));
        }
    };

    let declared = declared_environments(&base, &loaded.files, &overlays, &mut problems);
    let mut environments = Vec::new();
    // Environments over their capacity budget, with where their raw capacity is declared.
    let mut over: Vec<(usize, document::Origin)> = Vec::new();
    // Environments whose requests do not fit their nodes, with where the nodes are declared.
    let mut unfit: Vec<(usize, document::Origin)> = Vec::new();
    if declared.is_empty() {
        // Still check the platform on its own, so its problems are not hidden.
        schema_problems(&validator, &base, &loaded.files, &mut problems);
        secret_problems(&base, &loaded.files, &mut problems);
    }
    for (name, overlay) in declared {
        let merged = match overlay {
            Some(overlay) => document::merge(&base, &overlay.document),
            None => base.clone(),
        };
        let before = problems.len();
        schema_problems(&validator, &merged, &loaded.files, &mut problems);
        // After the schema check, so a secret counts as a problem however else the value is wrong.
        secret_problems(&merged, &loaded.files, &mut problems);
        // A misspelt key hides a required one: the typed model cannot be built until it is fixed.
        if problems.len() > before || !merged.misspelt.is_empty() {
            continue;
        }
        match serde_json::from_value::<Platform>(merged.value.clone()) {
            Ok(platform) => {
                semantic_problems(&platform, &merged.origins, &loaded.files, &mut problems);
                let mut sources = vec![loaded.files[0].name.clone()];
                if let Some(overlay) = overlay {
                    sources.push(loaded.files[overlay.file].name.clone());
                }
                if let Some(other) = environments
                    .iter()
                    .find(|e: &&EnvironmentSpec| shares_cluster(&e.platform, &platform))
                {
                    let origin = merged.origins.find("/cluster");
                    problems.push(
                        Problem::new(
                            &loaded.files[origin.file],
                            origin.span,
                            format!("environments `{}` and `{name}` would deploy the same objects to `{}`", other.name, platform.cluster),
                            "same cluster",
                        )
                        .with_help("each environment needs its own cluster (set `cluster` in its overlay), or its own namespaces for every backend and its own Ceph object store"),
                    );
                }
                let first = environments.first();
                if let Some(first) = first.filter(|f| f.platform.gitops.out != platform.gitops.out)
                {
                    let origin = merged.origins.find("/gitops/out");
                    problems.push(
                        Problem::new(
                            &loaded.files[origin.file],
                            origin.span,
                            format!("environment `{name}` puts the rendered tree in `{}`, environment `{}` in `{}`", platform.gitops.out, first.name, first.platform.gitops.out),
                            "a second output directory",
                        )
                        .with_help("there is one output directory: set `gitops out` in platform.kdl only"),
                    );
                }
                let declared_at = environment_origin(&base, &name);
                let versions = chart_versions(loaded, &name, &platform, declared_at, &mut problems);
                if let Some(file) = loaded.versions.iter().find(|v| v.environment == name) {
                    sources.push(loaded.files[file.file].name.clone());
                }
                let capacity = capacity::plan(&name, &platform);
                if capacity.is_over_budget() {
                    over.push((environments.len(), merged.origins.find("/capacity/raw")));
                }
                let compute = compute::plan(&name, &platform);
                if compute.is_over() {
                    unfit.push((environments.len(), merged.origins.find("/compute/nodes")));
                }
                environments.push(EnvironmentSpec {
                    name,
                    platform,
                    sources,
                    versions,
                    capacity,
                    compute,
                });
            }
            Err(error) => {
                let origin = merged.origins.find("");
                problems.push(Problem::new(
                    &loaded.files[origin.file],
                    origin.span,
                    format!("the spec does not fit the model: {error}"),
                    "here",
                ));
            }
        }
    }
    for file in &loaded.versions {
        if !environments
            .iter()
            .any(|e: &EnvironmentSpec| e.name == file.environment)
            && !declared_names(&base).contains(&file.environment)
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
    let mut warnings = Vec::new();
    let mut over_budget = Vec::new();
    let fit = compute_fit_problems(&environments, &unfit, &loaded.files);
    for (problem, enforce) in budget_problems(&environments, &over, &loaded.files)
        .into_iter()
        .chain(fit)
    {
        match (enforce, budget) {
            (false, _) => warnings.push(problem),
            (true, Budget::Enforce) => problems.push(problem),
            (true, Budget::Report) => over_budget.push(problem),
        }
    }
    if problems.is_empty() {
        Ok(ValidSpec {
            files: loaded.files.clone(),
            environments,
            warnings: tidy(warnings),
            over_budget: tidy(over_budget),
        })
    } else {
        Err(tidy(problems))
    }
}

/// The environments over their capacity budget, each problem pointing at the raw capacity that
/// sets the budget, and whether the budget is enforced. Environments that inherit the same
/// numbers from the same line share one problem.
fn budget_problems(
    environments: &[EnvironmentSpec],
    over: &[(usize, document::Origin)],
    files: &[SourceFile],
) -> Vec<(Problem, bool)> {
    let mut groups: Vec<(document::Origin, &CapacityPlan, Vec<&str>)> = Vec::new();
    for (index, origin) in over {
        let plan = &environments[*index].capacity;
        let same = |(o, p, _): &&mut (document::Origin, &CapacityPlan, Vec<&str>)| {
            *o == *origin
                && p.size.raw_bytes == plan.size.raw_bytes
                && p.enforce == plan.enforce
                && p.budget.as_ref().map(|b| b.budget_bytes)
                    == plan.budget.as_ref().map(|b| b.budget_bytes)
        };
        match groups.iter_mut().find(|group| same(group)) {
            Some(group) => group.2.push(&plan.environment),
            None => groups.push((*origin, plan, vec![plan.environment.as_str()])),
        }
    }
    groups
        .into_iter()
        .filter_map(|(origin, plan, names)| {
            let budget = plan.budget.as_ref()?;
            let (who, command) = match names.as_slice() {
                [one] => (
                    format!("environment `{one}` needs"),
                    format!("lgtmc plan --env {one}"),
                ),
                [rest @ .., last] => (
                    format!(
                        "environments {} and `{last}` each need",
                        rest.iter()
                            .map(|n| format!("`{n}`"))
                            .collect::<Vec<_>>()
                            .join(", ")
                    ),
                    "lgtmc plan".to_owned(),
                ),
                [] => return None,
            };
            let mut help = format!(
                "`{command}` shows what each tenant stores: shorten a retention, lower a limit or a `utilisation`, or raise `raw`"
            );
            if !plan.enforce {
                help.push_str("; `enforce=#true` makes this an error");
            }
            let problem = Problem::new(
                &files[origin.file],
                origin.span,
                format!(
                    "{who} {} of raw Ceph storage, {} over the budget of {}",
                    plan.size.raw, budget.over, budget.budget
                ),
                format!(
                    "{} × max fill {} = {}",
                    budget.raw_capacity, budget.max_fill_text, budget.budget
                ),
            )
            .with_help(help);
            Some((problem, plan.enforce))
        })
        .collect()
}

/// The environments whose requests do not fit their nodes, each problem pointing at the nodes,
/// and whether the fit is enforced.
fn compute_fit_problems(
    environments: &[EnvironmentSpec],
    unfit: &[(usize, document::Origin)],
    files: &[SourceFile],
) -> Vec<(Problem, bool)> {
    unfit
        .iter()
        .filter_map(|(index, origin)| {
            let plan = &environments[*index].compute;
            let nodes = plan.nodes.as_ref()?;
            let mut why: Vec<String> = plan.unplaceable.clone();
            if let Some(headroom) = plan.headroom_text.as_ref().filter(|h| h.contains('-')) {
                why.push(format!("headroom {headroom}"));
            }
            for node in plan.per_node.iter().filter(|n| !n.fits) {
                why.push(format!(
                    "node {} would request {} of {}",
                    node.node,
                    node.requests.text(),
                    nodes.allocatable.text()
                ));
            }
            let mut help = format!(
                "`lgtmc plan --env {}` shows each component and node: lower a size (`compute {{ container … }}`, a section's `resources`), fewer replicas, or more or larger nodes",
                plan.environment
            );
            if !plan.enforce {
                help.push_str("; `compute enforce=#true` makes this an error");
            }
            let problem = Problem::new(
                &files[origin.file],
                origin.span,
                format!(
                    "environment `{}` requests {}, which does not fit {} nodes: {}",
                    plan.environment,
                    plan.requests_text,
                    nodes.count,
                    why.join("; ")
                ),
                format!("allocatable {} per node", nodes.allocatable.text()),
            )
            .with_help(help);
            Some((problem, plan.enforce))
        })
        .collect()
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
fn declared_names(base: &Document) -> Vec<String> {
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
fn environment_origin(base: &Document, name: &str) -> document::Origin {
    let index = declared_names(base)
        .iter()
        .position(|n| n == name)
        .unwrap_or(0);
    base.origins.find(&format!("/environments/{index}"))
}

/// Reads `versions/<env>.yaml`: a map from chart name to version, with exactly the charts the
/// environment uses.
fn chart_versions(
    loaded: &LoadedSpec,
    environment: &str,
    platform: &Platform,
    declared_at: document::Origin,
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
    let text: &str = &file.text;
    let mapping: serde_norway::Mapping =
        match serde_norway::from_str::<Option<serde_norway::Mapping>>(text) {
            Ok(mapping) => mapping.unwrap_or_default(),
            Err(error) => {
                let offset = error.location().map_or(0, |l| l.index());
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
                return BTreeMap::new();
            }
        };
    let mut versions = BTreeMap::new();
    for (key, value) in &mapping {
        let Some(chart) = key.as_str() else {
            problems.push(Problem::new(
                file,
                (0..0).into(),
                format!("`{}` has a key that is not a chart name", file.name),
                "here",
            ));
            continue;
        };
        let offset = key_offset(text, chart);
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
            continue;
        }
        match value.as_str() {
            Some(version) if catalog::is_version(version) => {
                versions.insert(chart.to_owned(), version.to_owned());
            }
            _ => problems.push(
                Problem::new(
                    file,
                    span,
                    format!("the version of `{chart}` must be a chart version like `1.2.3`"),
                    "not a version",
                )
                .with_help("write the chart's semantic version, without a leading `v`"),
            ),
        }
    }
    for chart in &used {
        if !mapping.contains_key(chart.name) {
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

/// An overlay file converted to a document.
struct OverlayDocument {
    file: usize,
    stem: String,
    document: Document,
}

/// The environments in the order `platform.kdl` declares them, each with its overlay; reports
/// declared environments without an overlay file and overlay files nobody declared.
fn declared_environments<'o>(
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

fn schema_problems(
    validator: &jsonschema::Validator,
    document: &Document,
    files: &[SourceFile],
    problems: &mut Vec<Problem>,
) {
    for error in validator
        .iter_errors(&document.value)
        .flat_map(optional_section_errors)
    {
        let pointer = error.instance_path().as_str().to_owned();
        let instance = document.value.pointer(&pointer).unwrap_or(&Value::Null);
        let what = describe_location(&pointer);
        let (message, label, help) = match error.kind() {
            ValidationErrorKind::Required { .. } if document.misspelt.contains(&pointer) => continue,
            ValidationErrorKind::Required { property } => {
                let property = property.as_str().unwrap_or_default();
                (
                    format!("{what} is missing `{property}`"),
                    format!("`{property}` is required"),
                    Some(format!("add `{property}`; SPEC.md describes every key")),
                )
            }
            ValidationErrorKind::Type { kind } => (
                format!("{what} must be {}, found {}", type_name(kind), describe_value(instance)),
                format!("expected {}", type_name(kind)),
                Some(type_hint(kind, last_segment(&pointer))),
            ),
            ValidationErrorKind::Minimum { limit } => (
                format!("{what} must be at least {limit}, found {instance}"),
                format!("at least {limit}"),
                None,
            ),
            ValidationErrorKind::Maximum { limit } => (
                format!("{what} must be at most {limit}, found {instance}"),
                format!("at most {limit}"),
                None,
            ),
            ValidationErrorKind::Pattern { pattern } if pattern == DURATION_PATTERN => (
                format!("{what} must be a duration, found {}", describe_value(instance)),
                "not a duration".to_owned(),
                Some("write a number and a unit, for example `90d`, `12h`, `30m` or `1h30m` (units: y w d h m s ms)".to_owned()),
            ),
            ValidationErrorKind::Pattern { pattern } if pattern == CPU_PATTERN => (
                format!("{what} must be a CPU quantity, found {}", describe_value(instance)),
                "not a CPU quantity".to_owned(),
                Some("write CPUs (`2`, `1.5`) or millicores (`500m`)".to_owned()),
            ),
            ValidationErrorKind::Pattern { pattern } if pattern == MEMORY_PATTERN => (
                format!("{what} must be a memory quantity, found {}", describe_value(instance)),
                "not a memory quantity".to_owned(),
                Some("write a number and a unit: `512Mi`, `4Gi` (Ki, Mi, Gi, Ti; or k, M, G, T)".to_owned()),
            ),
            ValidationErrorKind::Pattern { pattern } => (
                format!("{what} must match `{pattern}`, found {}", describe_value(instance)),
                "does not match".to_owned(),
                Some("use lower-case letters, digits and `-`, starting and ending with a letter or digit".to_owned()),
            ),
            ValidationErrorKind::MinItems { .. } | ValidationErrorKind::MinProperties { .. } => (
                format!("{what} needs at least one entry"),
                "empty".to_owned(),
                None,
            ),
            ValidationErrorKind::MinLength { .. } => (format!("{what} must not be empty"), "empty".to_owned(), None),
            _ => (format!("{what}: {error}"), "here".to_owned(), None),
        };
        let origin = document.origins.find(&pointer);
        let problem = Problem::new(&files[origin.file], origin.span, message, label);
        problems.push(match help {
            Some(help) => problem.with_help(help),
            None => problem,
        });
    }
}

/// Every secret written into the document (`secrets::find`), at its origin.
fn secret_problems(document: &Document, files: &[SourceFile], problems: &mut Vec<Problem>) {
    for finding in crate::secrets::find(&document.value) {
        let origin = document.origins.find(&finding.pointer);
        problems.push(
            Problem::new(
                &files[origin.file],
                origin.span,
                format!(
                    "{} looks like it holds {}; the spec must not hold secrets",
                    describe_location(&finding.pointer),
                    finding.what
                ),
                "a secret",
            )
            .with_help(finding.help),
        );
    }
}

/// An optional section (`errors`, `compute nodes`) is `anyOf: [section, null]` in the schema, and
/// a mistake inside it fails both branches at once. The KDL mapping never writes null, so the
/// section's own errors are the ones to report: the null branch's type error is dropped.
fn optional_section_errors(
    error: jsonschema::ValidationError<'_>,
) -> Vec<jsonschema::ValidationError<'_>> {
    let is_null_branch = |branch: &[jsonschema::ValidationError<'_>], at: &str| {
        matches!(branch, [only] if matches!(only.kind(), ValidationErrorKind::Type { .. })
            && only.instance_path().as_str() == at)
    };
    let at = error.instance_path().as_str().to_owned();
    let section = match error.kind() {
        ValidationErrorKind::AnyOf { context } if context.len() == 2 => context
            .iter()
            .position(|branch| is_null_branch(branch, &at))
            .map(|null| 1 - null)
            .filter(|&section| !context[section].is_empty()),
        _ => None,
    };
    let Some(section) = section else {
        return vec![error];
    };
    match error.into_parts().kind {
        ValidationErrorKind::AnyOf { mut context } => context.swap_remove(section),
        // Unreachable: `section` is only found in an `anyOf`.
        _ => Vec::new(),
    }
}

fn semantic_problems(
    platform: &Platform,
    origins: &Origins,
    files: &[SourceFile],
    problems: &mut Vec<Problem>,
) {
    let mut report = |pointer: &str, message: String, label: &str, help: String| {
        let origin = origins.find(pointer);
        problems
            .push(Problem::new(&files[origin.file], origin.span, message, label).with_help(help));
    };
    for (id, tenant) in &platform.tenants {
        let pointer = pointer_child("/tenant", id);
        if let Err((why, help)) = check_tenant_id(id) {
            report(
                &pointer,
                format!(
                    "tenant id `{}` {why}",
                    shorten(&id.escape_debug().to_string())
                ),
                "invalid tenant id",
                help,
            );
        }
        let default_burst = u128::from(tenant.ingestion_rate)
            * u128::from(crate::plan::backends::MIMIR_BURST_SECONDS);
        if tenant.ingestion_burst.is_none() && default_burst > u128::from(MAX_EXACT) {
            report(
                &format!("{pointer}/ingestion-rate"),
                format!(
                    "tenant `{id}` has no ingestion burst, and the default ({default_burst}, {}× the rate) is more than Mimir reads exactly ({MAX_EXACT})",
                    crate::plan::backends::MIMIR_BURST_SECONDS
                ),
                "default burst too large",
                format!("lower the rate, or set `ingestion-burst=` (at most {MAX_EXACT})"),
            );
        }
        if let (Some(burst), rate) = (tenant.ingestion_burst, tenant.ingestion_rate) {
            if burst < rate {
                report(
                    &format!("{pointer}/ingestion-burst"),
                    format!(
                        "tenant `{id}` has an ingestion burst ({burst}) below its ingestion rate ({rate})"
                    ),
                    "below the rate",
                    "the burst is the most a tenant may send at once; make it at least the rate"
                        .to_owned(),
                );
            }
        }
    }
    for (id, tenant) in &platform.tenants {
        let logs_retention = tenant.logs.retention.as_ref().unwrap_or(&tenant.retention);
        if logs_retention.in_range() && logs_retention.seconds() < DAY {
            let pointer = pointer_child("/tenant", id);
            let pointer = match tenant.logs.retention {
                Some(_) => format!("{pointer}/logs/retention"),
                None => format!("{pointer}/retention"),
            };
            report(
                &pointer,
                format!("tenant `{id}` keeps logs for `{}`, less than a day", logs_retention.text()),
                "shorter than 24h",
                "Loki applies retention per day of index: make it at least `24h`, or set a longer `logs retention=` for this tenant".to_owned(),
            );
        }
    }
    let block_range = platform.metrics.block_range.millis();
    if platform.metrics.block_range.in_range() && (12 * u128::from(HOUR) * 1_000) % block_range != 0
    {
        report(
            "/metrics/block-range",
            format!("the Mimir block range `{}` does not divide 12h", platform.metrics.block_range.text()),
            "must divide 12h",
            "the compactor merges blocks into 12h and 24h ranges; use `1h`, `2h`, `3h`, `4h`, `6h` or `12h`".to_owned(),
        );
    }
    for (pointer, duration) in durations(platform) {
        duration_problem(&pointer, duration, &mut report);
    }
    if let Some(diagnose) = &platform.diagnose {
        if let Some(every) = crate::model::Duration::parse(&diagnose.every) {
            duration_problem("/diagnose/every", &every, &mut report);
        }
    }
    let traces = &platform.traces;
    match traces.mode {
        TracesMode::Microservices if traces.kafka.is_none() => report(
            "/traces/mode",
            "Tempo in microservices mode needs a Kafka: `kafka` is not set".to_owned(),
            "needs `kafka`",
            "add `kafka=\"<host>:<port>\"` to `traces`, or use `mode=\"monolithic\"` (no Kafka, one replica)".to_owned(),
        ),
        TracesMode::Monolithic if traces.replicas != 1 => report(
            "/traces/replicas",
            format!("monolithic Tempo runs one replica, not {}", traces.replicas),
            "monolithic runs one",
            "remove `replicas`, or use `mode=\"microservices\"` with a `kafka` to run several".to_owned(),
        ),
        TracesMode::Monolithic if traces.compaction_window.millis() != u128::from(HOUR) * 1_000 => report(
            "/traces/compaction-window",
            "monolithic Tempo compacts over its default one-hour window; its chart cannot change it".to_owned(),
            "only in microservices mode",
            "remove `compaction-window`, or use `mode=\"microservices\"`".to_owned(),
        ),
        _ => {}
    }
    if let Some(tenant) = &platform.tenancy.platform_tenant {
        if !platform.tenants.contains_key(tenant) {
            let help = did_you_mean(tenant, platform.tenants.keys().map(String::as_str))
                .unwrap_or_else(|| "name a declared tenant".to_owned());
            report(
                "/tenancy/platform-tenant",
                format!("the platform tenant `{tenant}` is not a declared tenant"),
                "unknown tenant",
                help,
            );
        }
    }
    for bucket in platform.storage.quotas.keys() {
        if !crate::catalog::BUCKET_NAMES.contains(&bucket.as_str()) {
            let help = did_you_mean(bucket, crate::catalog::BUCKET_NAMES.iter().copied())
                .unwrap_or_else(|| {
                    format!(
                        "the buckets are: {}",
                        crate::catalog::BUCKET_NAMES.join(", ")
                    )
                });
            report(
                &pointer_child("/storage/quota", bucket),
                format!("there is no bucket `{bucket}` to give a quota"),
                "unknown bucket",
                help,
            );
        }
    }
    capacity_problems(platform, &mut report);
    compute::problems(platform, &mut report);
    for (pointer, duration) in [
        ("/gitops/kargo/soak", &platform.gitops.kargo.soak),
        ("/gitops/kargo/interval", &platform.gitops.kargo.interval),
    ] {
        let kargo_units = duration
            .text()
            .chars()
            .all(|c| c.is_ascii_digit() || matches!(c, 'h' | 'm' | 's'))
            && !duration.text().contains("ms");
        if !kargo_units {
            report(
                pointer,
                format!(
                    "Kargo reads `{}` only in hours, minutes and seconds, not `{}`",
                    &pointer[1..].replace('/', "."),
                    duration.text()
                ),
                "use h, m or s",
                "for example `24h` rather than `1d`".to_owned(),
            );
        }
    }
    collector_problems(platform, &mut report);
    url_problems(platform, &mut report);
    if let Err(why) = check_label_key(&platform.tenancy.label) {
        report(
            "/tenancy/label",
            format!(
                "the tenancy label `{}` is not a Kubernetes label key: {why}",
                shorten(&platform.tenancy.label.escape_debug().to_string())
            ),
            "not a label key",
            "a label key is an optional DNS-subdomain prefix and `/`, then a name of at most 63 letters, digits, `-`, `_` and `.`, for example `platform.example.com/tenant`".to_owned(),
        );
    }
    let default = &platform.tenancy.default;
    if !platform.tenants.contains_key(default) {
        let help = did_you_mean(default, platform.tenants.keys().map(String::as_str))
            .unwrap_or_else(|| {
                format!(
                    "declared tenants: {}",
                    platform
                        .tenants
                        .keys()
                        .map(|k| format!("`{k}`"))
                        .collect::<Vec<_>>()
                        .join(", ")
                )
            });
        report(
            "/tenancy/default",
            format!("the default tenant `{default}` is not a declared tenant"),
            "unknown tenant",
            help,
        );
    }
}

/// Every duration of the platform, by JSON pointer.
fn durations(platform: &Platform) -> Vec<(String, &crate::model::Duration)> {
    let mut all = vec![
        (
            "/metrics/block-range".to_owned(),
            &platform.metrics.block_range,
        ),
        ("/logs/flush".to_owned(), &platform.logs.flush),
        (
            "/traces/block-duration".to_owned(),
            &platform.traces.block_duration,
        ),
        (
            "/traces/compaction-window".to_owned(),
            &platform.traces.compaction_window,
        ),
        ("/gitops/kargo/soak".to_owned(), &platform.gitops.kargo.soak),
        (
            "/gitops/kargo/interval".to_owned(),
            &platform.gitops.kargo.interval,
        ),
        (
            "/collector/scrape-interval".to_owned(),
            &platform.collector.scrape_interval,
        ),
    ];
    for (id, tenant) in &platform.tenants {
        let pointer = pointer_child("/tenant", id);
        all.push((format!("{pointer}/retention"), &tenant.retention));
        for (signal, limits) in [
            ("logs", &tenant.logs),
            ("traces", &tenant.traces),
            ("profiles", &tenant.profiles),
        ] {
            if let Some(retention) = &limits.retention {
                all.push((format!("{pointer}/{signal}/retention"), retention));
            }
        }
    }
    all
}

/// A duration of zero, or longer than every backend can hold (`Duration::MAX_MILLIS`).
fn duration_problem(
    pointer: &str,
    duration: &crate::model::Duration,
    report: &mut impl FnMut(&str, String, &str, String),
) {
    let key = pointer[1..].replace('/', ".");
    if duration.millis() == 0 {
        let help = if pointer.ends_with("/retention") {
            "a zero retention means \"keep forever\" in Mimir but \"delete now\" elsewhere; write the real period, for example `30d`"
        } else {
            "write a real period, for example `5m`"
        };
        report(
            pointer,
            format!(
                "`{key}` must be longer than zero, found `{}`",
                duration.text()
            ),
            "must be longer than zero",
            help.to_owned(),
        );
    } else if !duration.in_range() {
        report(
            pointer,
            format!(
                "`{key}` is `{}`, longer than the backends can hold",
                shorten(duration.text())
            ),
            "at most 2562047h (about 292 years)",
            "Go and Prometheus durations hold at most 2^63 nanoseconds; write a real period, for example `90d` or `5y`".to_owned(),
        );
    }
}

/// The `capacity` section: a raw capacity that fits in bytes, `enforce` only with one, and
/// utilisation only for declared tenants.
fn capacity_problems(platform: &Platform, report: &mut impl FnMut(&str, String, &str, String)) {
    let spec = &platform.capacity;
    match &spec.raw {
        Some(raw) if capacity::parse_quantity(raw).is_none() => report(
            "/capacity/raw",
            format!("the raw capacity `{raw}` is more than 16 EiB"),
            "too large",
            "write the raw capacity of the cluster's disks, for example `3Ti`".to_owned(),
        ),
        None if spec.enforce => report(
            "/capacity/enforce",
            "`enforce` needs a budget, and `capacity` declares no `raw` capacity".to_owned(),
            "nothing to enforce",
            "add `raw=\"<capacity>\"` (the raw Ceph capacity, for example `3Ti`), or remove `enforce`".to_owned(),
        ),
        _ => {}
    }
    for tenant in spec.tenants.keys() {
        if !platform.tenants.contains_key(tenant) {
            let help = did_you_mean(tenant, platform.tenants.keys().map(String::as_str))
                .unwrap_or_else(|| "name a declared tenant".to_owned());
            report(
                &pointer_child("/capacity/tenant", tenant),
                format!(
                    "the capacity plan sets the utilisation of `{tenant}`, which is not a declared tenant"
                ),
                "unknown tenant",
                help,
            );
        }
    }
}

/// The collector names each tenant's Alloy components after the tenant (`crate::alloy::label_for`),
/// so two tenants must not map to one label; and its scrape interval is a whole number of seconds.
fn collector_problems(platform: &Platform, report: &mut impl FnMut(&str, String, &str, String)) {
    let mut labels: std::collections::BTreeMap<String, &str> = std::collections::BTreeMap::new();
    for id in platform.tenants.keys() {
        let label = crate::alloy::label_for(id);
        if let Some(first) = labels.get(label.as_str()) {
            report(
                &pointer_child("/tenant", id),
                format!("tenants `{first}` and `{id}` would both be `{label}` in the collector's configuration"),
                "same Alloy label",
                "Alloy labels replace `-` with `_` and put `t_` before a leading digit; rename one of the two tenants".to_owned(),
            );
        } else {
            labels.insert(label, id);
        }
    }
    let interval = &platform.collector.scrape_interval;
    if interval.in_range() && interval.millis() < 1_000 {
        report(
            "/collector/scrape-interval",
            format!(
                "the collector's scrape interval `{}` is shorter than a second",
                interval.text()
            ),
            "at least 1s",
            "write a period of whole seconds, for example `30s` or `1m`".to_owned(),
        );
    }
}

/// The URLs of the spec: each parses (RFC 3986), has the scheme its consumer speaks and a host,
/// and no query or fragment where none belongs. Credentials in a URL are `secrets`' to report.
fn url_problems(platform: &Platform, report: &mut impl FnMut(&str, String, &str, String)) {
    let mut urls = vec![
        ("/cluster", platform.cluster.as_str(), &["https"][..]),
        (
            "/gitops/repo",
            platform.gitops.repo.as_str(),
            &["https", "http", "ssh", "git"][..],
        ),
    ];
    if let Some(errors) = &platform.errors {
        urls.push(("/errors/url", errors.url.as_str(), &["https", "http"][..]));
    }
    if let Some(base_url) = platform
        .diagnose
        .as_ref()
        .and_then(|d| d.base_url.as_deref())
    {
        urls.push(("/diagnose/base-url", base_url, &["https", "http"][..]));
    }
    for (pointer, url, schemes) in urls {
        if pointer == "/gitops/repo" && is_scp_like(url) {
            continue;
        }
        if let Err(why) = check_url(url, schemes) {
            let key = pointer[1..].replace('/', ".");
            report(
                pointer,
                format!("`{key}` is not a usable URL: {why}"),
                "not a URL",
                format!(
                    "write a URL with a scheme ({}) and a host, for example `{}://host.example.com`",
                    schemes.join(", "),
                    schemes[0]
                ),
            );
        }
    }
}

/// `git@host:path`, the form git and Argo CD accept for SSH clone URLs.
fn is_scp_like(url: &str) -> bool {
    let Some((user_host, path)) = url.split_once(':') else {
        return false;
    };
    let host = user_host.rsplit('@').next().unwrap_or_default();
    !url.contains("://")
        && user_host.contains('@')
        && !host.is_empty()
        && host
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '-'))
        && !path.is_empty()
        && !path.chars().any(char::is_whitespace)
}

fn check_url(url: &str, schemes: &[&str]) -> Result<(), String> {
    let parsed = fluent_uri::Uri::parse(url).map_err(|error| error.to_string())?;
    let scheme = parsed.scheme().as_str().to_ascii_lowercase();
    if !schemes.contains(&scheme.as_str()) {
        return Err(format!("the scheme is `{scheme}`"));
    }
    match parsed.authority() {
        Some(authority) if !authority.host().is_empty() => {}
        _ => return Err("it has no host".to_owned()),
    }
    if parsed.fragment().is_some() {
        return Err("it has a fragment (`#…`)".to_owned());
    }
    Ok(())
}

/// A Kubernetes label key: `[prefix/]name`, the prefix a DNS subdomain of at most 253
/// characters, the name at most 63 alphanumerics, `-`, `_` and `.`, alphanumeric at both ends.
pub fn check_label_key(key: &str) -> Result<(), String> {
    let (prefix, name) = match key.rsplit_once('/') {
        Some((prefix, name)) => (Some(prefix), name),
        None => (None, key),
    };
    let alnum = |c: Option<char>| c.is_some_and(|c| c.is_ascii_alphanumeric());
    if name.is_empty() || name.len() > 63 {
        return Err("the name (after any `/`) must be 1 to 63 characters".to_owned());
    }
    if !name
        .chars()
        .all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.'))
        || !alnum(name.chars().next())
        || !alnum(name.chars().last())
    {
        return Err("the name must be letters, digits, `-`, `_` and `.`, starting and ending with a letter or digit".to_owned());
    }
    if let Some(prefix) = prefix {
        let label_ok = |label: &str| {
            !label.is_empty()
                && label.len() <= 63
                && label
                    .chars()
                    .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-')
                && !label.starts_with('-')
                && !label.ends_with('-')
        };
        if prefix.len() > 253 || !prefix.split('.').all(label_ok) {
            return Err("the prefix (before `/`) must be a DNS subdomain: lower-case letters, digits, `-` and `.`".to_owned());
        }
    }
    Ok(())
}

/// A tenant id must work as a file name, a Kubernetes name (RFC 1123 label), an `X-Scope-OrgID`
/// header value and part of a Grafana uid. Returns why not, and what to do.
pub fn check_tenant_id(id: &str) -> Result<(), (String, String)> {
    let fix = "use lower-case letters, digits and `-` (a DNS label), for example `team-a`";
    if id.is_empty() {
        return Err(("is empty".into(), fix.into()));
    }
    if id.len() > MAX_TENANT_ID_LEN {
        return Err((
            format!(
                "is {} characters long; the limit is {MAX_TENANT_ID_LEN}",
                id.chars().count()
            ),
            format!(
                "lgtmc derives Grafana uids such as `profiles-<tenant>` from it, and a Grafana uid is at most 40 characters; shorten it to {MAX_TENANT_ID_LEN} characters or fewer"
            ),
        ));
    }
    if id == "." || id == ".." || id.contains('/') || id.contains('\\') {
        return Err((
            "would escape its directory: tenant ids become file and directory names under out/"
                .into(),
            fix.into(),
        ));
    }
    if let Some(bad) = id.chars().find(|c| c.is_whitespace() || c.is_control()) {
        return Err((
            format!(
                "contains {}: not allowed in an HTTP header value (`X-Scope-OrgID`) or a Kubernetes name",
                describe_char(bad)
            ),
            fix.into(),
        ));
    }
    if let Some(bad) = id.chars().find(|c| {
        matches!(
            c,
            '"' | '\'' | '`' | '|' | ':' | '*' | '(' | ')' | '{' | '}' | '$'
        )
    }) {
        return Err((
            format!(
                "contains {}: it breaks quoting in YAML and Alloy or has a meaning to Mimir and Loki (`|` joins tenants, `:` cuts the id), and a Kubernetes name cannot hold it",
                describe_char(bad)
            ),
            fix.into(),
        ));
    }
    if id.chars().any(|c| c.is_ascii_uppercase()) {
        return Err((
            "contains upper-case letters: a Kubernetes name (RFC 1123) is lower case".into(),
            format!("write `{}`", id.to_ascii_lowercase()),
        ));
    }
    if let Some(bad) = id
        .chars()
        .find(|c| !(c.is_ascii_lowercase() || c.is_ascii_digit() || *c == '-'))
    {
        return Err((
            format!(
                "contains {}: a Kubernetes name (RFC 1123 label) allows only `a-z`, `0-9` and `-`",
                describe_char(bad)
            ),
            fix.into(),
        ));
    }
    if id.starts_with('-') || id.ends_with('-') {
        return Err((
            "starts or ends with `-`: a Kubernetes name (RFC 1123 label) must start and end with a letter or digit".into(),
            fix.into(),
        ));
    }
    Ok(())
}

/// Long values are cut in messages; the snippet below the message shows them whole.
fn shorten(text: &str) -> String {
    const KEEP: usize = 24;
    if text.chars().count() <= KEEP {
        text.to_owned()
    } else {
        format!("{}…", text.chars().take(KEEP).collect::<String>())
    }
}

fn describe_char(c: char) -> String {
    match c {
        ' ' => "a space".to_owned(),
        '\t' => "a tab".to_owned(),
        c if c.is_control() => format!("the control character {:?}", c),
        c => format!("`{c}`"),
    }
}

/// "tenant `agents`", "`storage.ceph.replicas`", "the platform".
fn describe_location(pointer: &str) -> String {
    let segments: Vec<String> = pointer
        .split('/')
        .skip(1)
        .map(|segment| segment.replace("~1", "/").replace("~0", "~"))
        .collect();
    match segments.as_slice() {
        [] => "the platform".to_owned(),
        [map, key] if map == "tenant" => format!("tenant `{key}`"),
        [map, key, rest @ ..] if map == "tenant" => {
            format!("`{}` of tenant `{key}`", rest.join("."))
        }
        _ => format!("`{}`", segments.join(".")),
    }
}

fn type_name(kind: &jsonschema::error::TypeKind) -> String {
    let names = match kind {
        jsonschema::error::TypeKind::Single(kind) => vec![kind.to_string()],
        jsonschema::error::TypeKind::Multiple(kinds) => kinds
            .iter()
            .map(|k| k.to_string())
            .filter(|k| k != "null")
            .collect(),
    };
    let names: Vec<String> = names
        .into_iter()
        .map(|name| match name.as_str() {
            "integer" => "a whole number".to_owned(),
            "number" => "a number".to_owned(),
            "string" => "a string".to_owned(),
            "boolean" => "`#true` or `#false`".to_owned(),
            "array" => "a list".to_owned(),
            "object" => "a node with properties".to_owned(),
            other => other.to_owned(),
        })
        .collect();
    names.join(" or ")
}

fn type_hint(kind: &jsonschema::error::TypeKind, key: &str) -> String {
    let name = type_name(kind);
    if name.contains("whole number") {
        format!("write the number without quotes, for example `{key}=3`")
    } else if name.contains("string") {
        format!("write the value in double quotes, for example `{key}=\"…\"`")
    } else {
        format!("expected {name}")
    }
}

fn last_segment(pointer: &str) -> &str {
    pointer.rsplit('/').next().unwrap_or_default()
}

fn describe_value(value: &Value) -> String {
    match value {
        Value::String(text) => format!("the string \"{}\"", text.escape_debug()),
        Value::Bool(flag) => format!("#{flag}"),
        Value::Null => "#null".to_owned(),
        Value::Number(number) => format!("the number {number}"),
        Value::Array(_) => "a list".to_owned(),
        Value::Object(_) => "a node".to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::check_tenant_id;

    #[test]
    fn tenant_ids() {
        for good in ["platform", "agents", "dev", "team-a", "1st", "a"] {
            assert_eq!(check_tenant_id(good), Ok(()), "{good}");
        }
        for bad in [
            "", "a/b", "..", ".", "a b", "a\"b", "Team", "-a", "a-", "a.b", "a_b", "a|b", "a:b",
        ] {
            assert!(check_tenant_id(bad).is_err(), "{bad}");
        }
        assert!(check_tenant_id(&"a".repeat(31)).is_err());
        assert!(check_tenant_id(&"a".repeat(30)).is_ok());
    }
}
