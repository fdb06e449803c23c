//! Stage 3, validate: check the merged documents against the schema, then check what no schema
//! can express, and produce one typed `Platform` per environment, with the origins of its values.
//!
//! Every problem in every file and every environment is collected before returning, so one run
//! shows them all. A problem in `platform.kdl` is found once per environment and reported once.
//!
//! `environments.rs` matches the declared environments with their overlays, `schema_check.rs` maps
//! JSON Schema errors to spans, `semantic.rs` checks what the schema cannot, `names.rs` tenant ids
//! and label keys, `versions.rs` the chart versions files, `budget.rs` the capacity budget and the
//! fit on the nodes (computed by `capacity` and `compute`).

mod budget;
mod environments;
mod names;
mod schema_check;
mod semantic;
mod versions;

use std::collections::BTreeMap;

use crate::capacity::{self, CapacityPlan};
use crate::compute::{self, ComputePlan};
use crate::diagnostic::{Problem, SourceFile, tidy};
use crate::document::{self, Document, Origin, Origins, pointer_child};
use crate::load::LoadedSpec;
use crate::model::Platform;
use crate::schema;

use environments::OverlayDocument;

pub use names::{MAX_TENANT_ID_LEN, check_label_key, check_tenant_id};

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
    /// The storage the environment needs, against its budget (shared with the plan, which
    /// hands it to `CAPACITY.md`, rather than copied: it has a row per tenant and backend).
    pub capacity: std::sync::Arc<CapacityPlan>,
    /// The CPU and memory the environment requests, against its nodes.
    pub compute: ComputePlan,
    /// Where every value of the environment's merged document was written (indices into
    /// `ValidSpec::files`): what later stages need to point back at the spec (`tenant_lines`)
    /// without loading and merging it again.
    pub origins: Origins,
}

/// (environment, tenant id) → (spec file, as `SourceFile::name`, and 1-based line) of the node
/// that declares the tenant: the overlay's when the environment overrides that tenant.
pub type TenantLines = BTreeMap<(String, String), (String, usize)>;

impl ValidSpec {
    /// The spec line of every tenant of every environment, from the origins kept at validation.
    pub fn tenant_lines(&self) -> TenantLines {
        let mut lines = TenantLines::new();
        for environment in &self.environments {
            for tenant in environment.platform.tenants.keys() {
                let origin = environment.origins.find(&pointer_child("/tenant", tenant));
                if let Some(file) = self.files.get(origin.file) {
                    let (line, _) = SourceFile::line_column(file, origin.span.offset());
                    lines.insert(
                        (environment.name.clone(), tenant.clone()),
                        (file.name.clone(), line),
                    );
                }
            }
        }
        lines
    }
}

/// Validates the loaded spec, or returns every problem found in it.
pub fn validate(loaded: &LoadedSpec) -> Result<ValidSpec, Vec<Problem>> {
    validate_with(loaded, Budget::Enforce)
}

/// The environments validated so far, and those over their budget or their nodes, each with
/// where the raw capacity or the nodes are declared.
#[derive(Default)]
struct Checked {
    environments: Vec<EnvironmentSpec>,
    over: Vec<(usize, Origin)>,
    unfit: Vec<(usize, Origin)>,
}

/// Validates the loaded spec; `budget` says what an enforced capacity budget that is exceeded is.
pub fn validate_with(loaded: &LoadedSpec, budget: Budget) -> Result<ValidSpec, Vec<Problem>> {
    let schema = schema::generate();
    let mut problems = Vec::new();
    let (base, overlays) = documents(loaded, &schema, &mut problems);
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
    let declared =
        environments::declared_environments(&base, &loaded.files, &overlays, &mut problems);
    if declared.is_empty() {
        // Still check the platform on its own, so its problems are not hidden.
        schema_check::schema_problems(&validator, &base, &loaded.files, &mut problems);
        schema_check::secret_problems(&base, &loaded.files, &mut problems);
    }
    let context = Context {
        loaded,
        base: &base,
        validator: &validator,
    };
    // What one environment needs of no other is examined on all cores (at 2,000 tenants each
    // takes about 15 ms); what compares it with those before it is admitted in promotion
    // order, so the problems come in the same order as one at a time.
    let examined = crate::parallel::batches(&declared, 1, &|(name, overlay)| {
        examine_environment(&context, name, *overlay)
    });
    let mut checked = Checked::default();
    for ((name, overlay), examined) in declared.into_iter().zip(examined) {
        admit_environment(
            &context,
            name,
            overlay,
            examined,
            &mut checked,
            &mut problems,
        );
    }
    versions::orphan_problems(loaded, &base, &checked.environments, &mut problems);
    finish(loaded, checked, budget, problems)
}

/// The platform file and the overlays, each converted to a document.
fn documents(
    loaded: &LoadedSpec,
    schema: &serde_json::Value,
    problems: &mut Vec<Problem>,
) -> (Option<Document>, Vec<OverlayDocument>) {
    let base = document::from_platform(&loaded.platform, &loaded.files[0], 0, schema, problems);
    let overlays = loaded
        .overlays
        .iter()
        .filter_map(|overlay| {
            let file = &loaded.files[overlay.file];
            let document = document::from_overlay(
                &overlay.document,
                file,
                overlay.file,
                &overlay.stem,
                schema,
                problems,
            )?;
            Some(OverlayDocument {
                file: overlay.file,
                stem: overlay.stem.clone(),
                document,
            })
        })
        .collect();
    (base, overlays)
}

/// What every environment is checked against.
struct Context<'a> {
    loaded: &'a LoadedSpec,
    base: &'a Document,
    validator: &'a jsonschema::Validator,
}

/// What examining one environment on its own found: its problems, and when it has none that
/// stop it, what it compiles to.
struct Examined {
    problems: Vec<Problem>,
    valid: Option<Valid>,
}

/// An environment that fits the model, with its plans and the origins of its values.
struct Valid {
    platform: Platform,
    capacity: CapacityPlan,
    compute: ComputePlan,
    origins: Origins,
}

/// Merges the environment's overlay onto the platform and checks what needs no other
/// environment: the schema, secrets, the model, the semantic rules; then plans its capacity and
/// compute.
fn examine_environment(
    context: &Context<'_>,
    name: &str,
    overlay: Option<&OverlayDocument>,
) -> Examined {
    let merged = match overlay {
        Some(overlay) => document::merge(context.base, &overlay.document),
        None => context.base.clone(),
    };
    let files = &context.loaded.files;
    let mut problems = Vec::new();
    schema_check::schema_problems(context.validator, &merged, files, &mut problems);
    // After the schema check, so a secret counts as a problem however else the value is wrong.
    schema_check::secret_problems(&merged, files, &mut problems);
    // A misspelt key hides a required one: the typed model cannot be built until it is fixed.
    if !problems.is_empty() || !merged.misspelt.is_empty() {
        return Examined {
            problems,
            valid: None,
        };
    }
    let platform = match serde_json::from_value::<Platform>(merged.value.clone()) {
        Ok(platform) => platform,
        Err(error) => {
            let origin = merged.origins.find("");
            problems.push(Problem::new(
                &files[origin.file],
                origin.span,
                format!("the spec does not fit the model: {error}"),
                "here",
            ));
            return Examined {
                problems,
                valid: None,
            };
        }
    };
    semantic::semantic_problems(&platform, &merged.origins, files, &mut problems);
    let capacity = capacity::plan(name, &platform);
    let compute = compute::plan(name, &platform);
    Examined {
        problems,
        valid: Some(Valid {
            platform,
            capacity,
            compute,
            origins: merged.origins,
        }),
    }
}

/// Adds an examined environment to `checked`, after what compares it with the environments
/// before it (clusters, the out dir) and its chart versions.
fn admit_environment(
    context: &Context<'_>,
    name: String,
    overlay: Option<&OverlayDocument>,
    examined: Examined,
    checked: &mut Checked,
    problems: &mut Vec<Problem>,
) {
    problems.extend(examined.problems);
    let Some(Valid {
        platform,
        capacity,
        compute,
        origins,
    }) = examined.valid
    else {
        return;
    };
    let loaded = context.loaded;
    let files = &loaded.files;
    let mut sources = vec![files[0].name.clone()];
    if let Some(overlay) = overlay {
        sources.push(files[overlay.file].name.clone());
    }
    environments::collision_problems(
        &checked.environments,
        &name,
        &platform,
        &origins,
        files,
        problems,
    );
    let declared_at = environments::environment_origin(context.base, &name);
    let versions = versions::chart_versions(loaded, &name, &platform, declared_at, problems);
    if let Some(file) = loaded.versions.iter().find(|v| v.environment == name) {
        sources.push(files[file.file].name.clone());
    }
    if capacity.is_over_budget() {
        let at = origins.find("/capacity/raw");
        checked.over.push((checked.environments.len(), at));
    }
    if compute.is_over() {
        let at = origins.find("/compute/nodes");
        checked.unfit.push((checked.environments.len(), at));
    }
    checked.environments.push(EnvironmentSpec {
        name,
        platform,
        sources,
        versions,
        capacity: std::sync::Arc::new(capacity),
        compute,
        origins,
    });
}

/// Sorts the budget and fit problems into warnings, problems and `over_budget`, then returns the
/// valid spec or every problem.
fn finish(
    loaded: &LoadedSpec,
    checked: Checked,
    budget: Budget,
    mut problems: Vec<Problem>,
) -> Result<ValidSpec, Vec<Problem>> {
    let Checked {
        environments,
        over,
        unfit,
    } = checked;
    let mut warnings = Vec::new();
    let mut over_budget = Vec::new();
    let fit = budget::compute_fit_problems(&environments, &unfit, &loaded.files);
    for (problem, enforce) in budget::budget_problems(&environments, &over, &loaded.files)
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
