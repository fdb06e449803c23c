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
use crate::plan::{self, EnvironmentPlan};
use crate::render::{self, Rendered};
use crate::validate::{self, Budget, ValidSpec};
use crate::verify;
use crate::verify::isolation;
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
    pub files: std::collections::BTreeMap<String, String>,
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
            .map(|environment| environment.capacity)
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
) -> Result<(Vec<EnvironmentPlan>, Rendered), Error> {
    let plans: Vec<EnvironmentPlan> = spec.environments.iter().map(plan::plan).collect();
    let (kargo, kargo_artifacts) = plan::kargo(&plans, &spec.environments);
    let all_sources: Vec<String> = spec.files.iter().map(|file| file.name.clone()).collect();
    let rendered = render::render(env, &plans, &kargo, &kargo_artifacts, &all_sources)?;
    Ok((plans, rendered))
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
    let (plans, mut rendered) = render_valid(&spec, &env)?;
    let directories: Vec<verify::EnvironmentDir> = plans
        .iter()
        .map(|plan| verify::EnvironmentDir {
            environment: plan.environment.clone(),
            repo_dir: plan.delivery.env_dir.clone(),
        })
        .collect();
    // Every file is parsed once; a file that does not parse is reported first. The other
    // checks read the parsed tree, side by side (the pre-commit hook runs this on every commit).
    let tree = verify::verify(&rendered).map_err(Error::Verify)?;
    let (references, isolated) = std::thread::scope(|scope| {
        let references = scope.spawn(|| verify::cross_check(&rendered, &tree, &directories));
        let isolated = isolation::check(&plans, &rendered, &tree);
        (references.join(), isolated)
    });
    // A check that panicked is a bug; let it surface as the panic it was.
    references
        .unwrap_or_else(|panic| std::panic::resume_unwind(panic))
        .map_err(Error::References)?;
    isolated.map_err(Error::Isolation)?;
    let mut custom_resources = None;
    if let Some(crds) = crds {
        let check = crds::check_tree(crds, &tree, "out/");
        if !check.problems.is_empty() {
            return Err(Error::CustomResources(check.problems));
        }
        custom_resources = Some(crds::Summary {
            resources: check.resources.len(),
            crds: crds.crd_count(),
        });
    }
    let manifest = manifest_text(rendered.files.keys().map(String::as_str));
    rendered.files.insert(MANIFEST_PATH.to_owned(), manifest);
    let out = gitops_out(&spec);
    let tenant_lines = spec.tenant_lines();
    Ok(Compilation {
        out,
        environments: spec.environments.into_iter().map(|e| e.name).collect(),
        files: rendered.files,
        custom_resources,
        warnings: spec.warnings,
        tenant_lines,
    })
}
