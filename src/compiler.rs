//! The orchestrator: runs the stages in order, from the spec directory to the rendered tree.
//!
//! load → document + validate → plan → render → verify (every file parses, the files agree with
//! each other, Grafana's tenant isolation holds; with `--crds`, custom resources against their
//! CRDs). Nothing here writes; `emit` does that, and only with the complete, verified tree this
//! returns.

use std::path::Path;

use crate::capacity::CapacityPlan;
use crate::crds::{self, CrdSet};
use crate::diagnostic::Problem;
use crate::emit::{MANIFEST_PATH, manifest_text};
use crate::error::Error;
use crate::load::{self, LoadError};
use crate::plan;
use crate::render::{self, Rendered};
use crate::validate::{self, Budget, ValidSpec};
use crate::verify;
use crate::verify::isolation::Isolation;
use minijinja::Environment;

/// The compiled platform.
#[derive(Debug)]
pub struct Compilation {
    /// The environment names, in promotion order.
    pub environments: Vec<String>,
    /// Where the tree sits in the repository (`gitops out`, the same in every environment):
    /// where `render` writes and `check` reads by default, and what the Applications point at.
    pub out: String,
    /// Every file lgtmc owns under `out/`, the manifest included.
    pub files: crate::emit::RenderedTree,
    /// What was checked against CRDs, when they were given.
    pub custom_resources: Option<crds::Summary>,
    /// What is worth saying but not fatal: environments over a capacity budget they do not
    /// enforce.
    pub warnings: Vec<Problem>,
    /// The spec line of every tenant of every environment, for `check --format github`.
    pub tenant_lines: validate::TenantLines,
}

/// Loads and validates the spec, without rendering.
pub fn validate_spec(spec_dir: &Path) -> Result<ValidSpec, Error> {
    validate::validate(&load_spec(spec_dir)?).map_err(Error::Spec)
}

/// Reads and parses the spec files.
pub fn load_spec(spec_dir: &Path) -> Result<load::LoadedSpec, Error> {
    load::load(spec_dir).map_err(|error| match error {
        LoadError::NoSpec { dir } => Error::NoSpec { dir },
        LoadError::Io { path, source } => Error::Read { path, source },
        LoadError::Syntax(problems) => Error::Spec(problems),
    })
}

/// The capacity plans of a platform, for `lgtmc plan`.
#[derive(Debug)]
pub struct CapacityReport {
    pub platform: String,
    /// One plan per environment, in promotion order.
    pub plans: Vec<CapacityPlan>,
    /// The compute plan of each environment, in the order of `plans`.
    pub compute: Vec<crate::compute::ComputePlan>,
    /// Each environment's `CAPACITY.md`, in the order of `plans`, when asked for.
    pub markdown: Vec<String>,
    /// Environments over a budget they do not enforce.
    pub warnings: Vec<Problem>,
    /// Environments over a budget they enforce: the report is still complete, and the command
    /// fails after printing it.
    pub over_budget: Vec<Problem>,
}

/// Validates the spec and returns every environment's capacity plan, even when one is over a
/// budget it enforces; with `markdown`, also renders each `CAPACITY.md` as `render` would.
pub fn capacity(
    spec_dir: &Path,
    templates_dir: Option<&Path>,
    markdown: bool,
) -> Result<CapacityReport, Error> {
    let spec =
        validate::validate_with(&load_spec(spec_dir)?, Budget::Report).map_err(Error::Spec)?;
    let mut texts = Vec::new();
    if markdown {
        let env = render::environment(templates_dir)?;
        for environment in &spec.environments {
            let plan = plan::plan(environment);
            let path = format!("{}/CAPACITY.md", environment.name);
            texts.push(match plan.artifacts.iter().find(|a| a.path == path) {
                Some(artifact) => render::render_artifact(&env, &plan, artifact)?,
                None => String::new(),
            });
        }
    }
    Ok(CapacityReport {
        platform: spec
            .environments
            .first()
            .map(|e| e.platform.name.clone())
            .unwrap_or_default(),
        compute: spec
            .environments
            .iter()
            .map(|environment| environment.compute.clone())
            .collect(),
        plans: spec
            .environments
            .into_iter()
            .map(|environment| std::sync::Arc::unwrap_or_clone(environment.capacity))
            .collect(),
        markdown: texts,
        warnings: spec.warnings,
        over_budget: spec.over_budget,
    })
}

/// Validates, plans and renders an already loaded spec, without `verify`'s checks: `explain`
/// renders the spec once per probe and only compares the results.
pub fn render_loaded(
    loaded: &load::LoadedSpec,
    env: &Environment<'static>,
) -> Result<(Rendered, String), Error> {
    let spec = validate::validate(loaded).map_err(Error::Spec)?;
    Ok((render_valid(&spec, env)?.1, gitops_out(&spec)))
}

/// The output directory of a valid spec (`gitops out`, the same in every environment).
fn gitops_out(spec: &ValidSpec) -> String {
    (spec.environments.first()).map_or_else(|| "out".to_owned(), |e| e.platform.gitops.out.clone())
}

fn render_valid(
    spec: &ValidSpec,
    env: &Environment<'static>,
) -> Result<(Vec<verify::EnvironmentDir>, Rendered), Error> {
    let mut rendered = Rendered::default();
    let mut stages = Vec::new();
    let mut directories = Vec::new();
    for environment in &spec.environments {
        // One environment's plan at a time: its per-tenant items are large, and once its files
        // are rendered only its Kargo stage and its directory are needed.
        let mut plan = plan::plan(environment);
        // Each artifact's item (a dashboard's JSON, a tenant's data sources) is freed once its
        // file is rendered, not with the plan.
        let artifacts = std::mem::take(&mut plan.artifacts);
        render::render_artifacts(env, &plan, artifacts, &mut rendered)?;
        stages.push(plan::StageSource::of(&plan));
        directories.push(verify::EnvironmentDir {
            environment: plan.environment.clone(),
            repo_dir: plan.delivery.env_dir.clone(),
        });
    }
    let (kargo, kargo_artifacts) = plan::kargo(stages, &spec.environments);
    let all_sources: Vec<String> = spec.files.iter().map(|file| file.name.clone()).collect();
    render::render_kargo(env, &kargo, &kargo_artifacts, &all_sources, &mut rendered)?;
    Ok((directories, rendered))
}

/// Verifies the rendered tree: every file is parsed once, on all cores, and each parse is
/// visited by every check (the references between files, Grafana's tenant isolation and, with
/// `crds`, the custom resources) and then freed, so memory holds the rendered text and what the
/// checks keep, never the whole parsed tree. The problems come in this order: files that do not
/// parse, references, isolation, custom resources.
fn check_rendered(
    rendered: &Rendered,
    directories: Vec<verify::EnvironmentDir>,
    crds: Option<&CrdSet>,
) -> Result<Option<crds::Summary>, Error> {
    let environments: Vec<String> = directories.iter().map(|d| d.environment.clone()).collect();
    let mut references = verify::References::new(rendered, directories);
    let mut isolation = Isolation::new(rendered, &environments);
    let mut resources = 0;
    let mut crd_problems = Vec::new();
    // Data source files first (isolation needs every uid's owner before a dashboard names
    // one); then by the path inside the environment, so that the environments' copies of a
    // file are adjacent and the parse they share is freed early.
    let mut paths: Vec<&str> = rendered.files.keys().map(String::as_str).collect();
    paths.sort_by_cached_key(|path| {
        let (environment, inside) = path.split_once('/').unwrap_or(("", path));
        (!Isolation::checks_first(path), inside, environment)
    });
    let broken = verify::stream(rendered, &paths, &mut |path, parsed| {
        references.visit(path, parsed);
        isolation.visit(path, parsed);
        if let Some(crds) = crds {
            let check = crds::check_parsed(crds, "out/", path, parsed);
            resources += check.resources.len();
            crd_problems.extend(check.problems);
        }
    });
    if !broken.is_empty() {
        return Err(Error::Verify(broken));
    }
    references.finish().map_err(Error::References)?;
    isolation.finish().map_err(Error::Isolation)?;
    let Some(crds) = crds else {
        return Ok(None);
    };
    if !crd_problems.is_empty() {
        crd_problems.sort_by(|a, b| a.path.cmp(&b.path));
        return Err(Error::CustomResources(crd_problems));
    }
    Ok(Some(crds::Summary {
        resources,
        crds: crds.crd_count(),
    }))
}

/// Compiles the spec in `spec_dir` into the complete tree of files under `out/`.
pub fn compile(spec_dir: &Path, templates_dir: Option<&Path>) -> Result<Compilation, Error> {
    compile_checked(spec_dir, templates_dir, None)
}

/// Like `compile`; with `crds`, every custom resource in a rendered YAML file is also checked
/// against its CRD, and every problem is returned at once (`Error::CustomResources`).
pub fn compile_checked(
    spec_dir: &Path,
    templates_dir: Option<&Path>,
    crds: Option<&CrdSet>,
) -> Result<Compilation, Error> {
    compile_valid(validate_spec(spec_dir)?, templates_dir, crds)
}

/// Like `compile_checked`, for a spec validated already (`validate --crds` validates once).
pub fn compile_valid(
    spec: ValidSpec,
    templates_dir: Option<&Path>,
    crds: Option<&CrdSet>,
) -> Result<Compilation, Error> {
    let env = render::environment(templates_dir)?;
    let (directories, mut rendered) = render_valid(&spec, &env)?;
    // What the compilation keeps of the spec, taken before `verify` so that the spec (the typed
    // platforms, their origins and capacity plans: megabytes at thousands of tenants) is freed
    // before the parses of the rendered files are made.
    let out = gitops_out(&spec);
    let tenant_lines = spec.tenant_lines();
    let environments = spec.environments.into_iter().map(|e| e.name).collect();
    let warnings = spec.warnings;
    let custom_resources = check_rendered(&rendered, directories, crds)?;
    let manifest = manifest_text(rendered.files.keys().map(String::as_str));
    rendered
        .files
        .insert(MANIFEST_PATH.to_owned(), manifest.into());
    Ok(Compilation {
        out,
        environments,
        files: rendered.files,
        custom_resources,
        warnings,
        tenant_lines,
    })
}
