//! The commands over the rendered tree: `render` writes it, `check` and `diff` compare it with
//! `out/`, and `diff --base REV` with the tree of the spec at a git revision.

use std::mem::ManuallyDrop;
use std::path::Path;

use crate::compiler::{self, Compilation};
use crate::config::{Config, Invocation, OutputFormat};
use crate::emit::{self, MANIFEST_PATH, RenderedTree};
use crate::error::{EXIT_DRIFT, EXIT_OK, Error};
use crate::history;
use crate::report::{self, format_drift};
use crate::{annotate, cache, crds};

use super::print::{errln, plural, print_out, warn};

/// `lgtmc render`: writes the selected environments (and the whole platform's manifest).
pub(super) fn render(invocation: Invocation) -> Result<i32, Error> {
    let key = record_key(&invocation);
    let (compilation, config) = compile(invocation)?;
    let out_dir = &config.out_dir;
    let scope = |path: &str| config.in_scope(path);
    let report = emit::write_tree_in(out_dir, &compilation.files, &scope, &|| waiting(out_dir))?;
    // Recorded only when no input changed while compiling, so the record never pairs the
    // inputs of one moment with the tree of another.
    let key_after = record_key_of(
        &config.spec_dir,
        config.templates.as_deref(),
        config.crds.as_deref(),
    );
    if let (Some(key), Some(after)) = (&key, &key_after)
        && cache::same_inputs(key, after)
        && compilation.warnings.is_empty()
    {
        let files = &compilation.files;
        let (out, environments) = (&compilation.out, &compilation.environments);
        cache::write(key, out, environments, files, &report.stamps);
    }
    print_crd_summary(&compilation);
    let count = report.written.len() + report.unchanged.len();
    print_out(&format!(
        "rendered {count} file{} into {}: {} written, {} removed, {} unchanged\n",
        plural(count),
        out_dir.display(),
        report.written.len(),
        report.removed.len(),
        report.unchanged.len()
    ));
    Ok(EXIT_OK)
}

/// `lgtmc check` (`is_check`: drift exits 1) and plain `lgtmc diff`: the drift of `out/` as a
/// unified diff; with `check --format github`, also workflow commands. With `use_record`, a clean
/// `out/` that the last render recorded for these very inputs is up to date without a compile.
pub(super) fn check(
    invocation: Invocation,
    is_check: bool,
    use_record: bool,
) -> Result<i32, Error> {
    if use_record && let Some(up_to_date) = recorded_check(&invocation) {
        print_out(&up_to_date);
        return Ok(EXIT_OK);
    }
    let github = invocation.format == OutputFormat::Github;
    let spec_dir = invocation.spec_dir.clone();
    let (compilation, config) = compile(invocation).inspect_err(|error| {
        if github {
            print_out(&annotate::error(error, &spec_dir));
        }
    })?;
    let tree = &compilation.files;
    let out_dir = &config.out_dir;
    // `--env` compares that environment's files; the manifest describes the whole platform.
    let scope = |path: &str| {
        config.in_scope(path) && (config.environments.is_empty() || path != MANIFEST_PATH)
    };
    let drift = emit::compare_tree_in(out_dir, tree, &scope, &|| waiting(out_dir))?;
    if drift.is_clean() {
        print_crd_summary(&compilation);
        print_out(&up_to_date(out_dir, tree.keys().filter(|path| scope(path))));
        return Ok(EXIT_OK);
    }
    let diff = format_drift(&drift, &config.out_label(), config.colour.stdout);
    if github {
        print_out(&annotate::drift(
            &drift,
            &config.out_label(),
            &spec_dir,
            &compilation.tenant_lines,
        ));
        print_out(&format!("::group::lgtmc: the diff\n{diff}::endgroup::\n"));
    } else {
        print_out(&diff);
    }
    if !is_check {
        return Ok(EXIT_OK);
    }
    errln!(
        "error: {} is stale: run `lgtmc render` and commit the result",
        out_dir.display()
    );
    Ok(EXIT_DRIFT)
}

fn up_to_date<'a>(out_dir: &Path, compared: impl Iterator<Item = &'a String>) -> String {
    let compared = compared.count();
    let files = format!("{compared} file{}", plural(compared));
    format!("{} is up to date ({files})\n", out_dir.display())
}

/// The answer of a check from the last render's record (`cache`): `Some` only when the record
/// is of these inputs and `out/` holds exactly the recorded files; anything else is the full
/// compile's to answer (and to explain).
fn recorded_check(invocation: &Invocation) -> Option<String> {
    let key = record_key(invocation)?;
    let record = cache::read(&key)?;
    let config = invocation
        .clone()
        .resolve(&record.out, &record.environments)
        .ok()?;
    let out_dir = &config.out_dir;
    let scope = |path: &str| {
        config.in_scope(path) && (config.environments.is_empty() || path != MANIFEST_PATH)
    };
    let drift = emit::compare_tree_in(out_dir, &record.files, &scope, &|| waiting(out_dir));
    let clean = drift.ok()?.is_clean();
    clean.then(|| up_to_date(out_dir, record.files.keys().filter(|path| scope(path))))
}

/// The record key of an invocation; with `--crds` there is none (the custom resources are
/// checked by a compile every time).
fn record_key(invocation: &Invocation) -> Option<cache::Key> {
    let templates = invocation.templates.as_deref();
    record_key_of(&invocation.spec_dir, templates, invocation.crds.as_deref())
}

fn record_key_of(
    spec_dir: &Path,
    templates: Option<&Path>,
    crds: Option<&Path>,
) -> Option<cache::Key> {
    if crds.is_some() {
        return None;
    }
    cache::key(spec_dir, templates)
}

/// `diff --base REV`, or `diff --format markdown|json` against out/: see `report`.
pub(super) fn diff_report(
    invocation: Invocation,
    base: Option<&str>,
    summary_only: bool,
) -> Result<i32, Error> {
    let (compilation, config) = compile(invocation)?;
    let scope = |path: &str| config.in_scope(path);
    let mut order = compilation.environments.clone();
    let (base, base_commit, environments) = match base {
        Some(rev) => {
            let (commit, old) = compile_at(&config, rev)?;
            let empty = RenderedTree::new();
            let old_files = old.as_ref().map_or(&empty, |c| &c.files);
            for env in old.iter().flat_map(|c| &c.environments) {
                if !order.contains(env) {
                    order.push(env.clone());
                }
            }
            let environments = report::compare(old_files, &compilation.files, &order, &scope);
            (rev.to_owned(), Some(commit), environments)
        }
        None => {
            let out_dir = &config.out_dir;
            let wait = || waiting(out_dir);
            let drift = emit::compare_tree_in(out_dir, &compilation.files, &scope, &wait)?;
            let environments = report::from_drift(&drift, &order);
            (config.out_label(), None, environments)
        }
    };
    let report = report::Report {
        base,
        base_commit,
        head: "working tree".to_owned(),
        out_label: config.out_label(),
        environments,
    };
    let format = match config.format {
        OutputFormat::Markdown => report::Format::Markdown,
        OutputFormat::Json => report::Format::Json,
        OutputFormat::Text | OutputFormat::Github => report::Format::Text,
    };
    let colour = config.colour.stdout;
    print_out(&report::format(&report, format, colour, summary_only));
    Ok(EXIT_OK)
}

/// The platform of the spec at `rev` (`None` when that revision has no `platform.kdl`), with the
/// commit it resolved to. `history` only materialises the files; compiling them is ours, and a
/// broken spec there is `Error::AtRevision`, so it is not mistaken for one in the working tree.
fn compile_at(config: &Config, rev: &str) -> Result<(String, Option<Compilation>), Error> {
    let checkout = history::checkout(&config.spec_dir, rev, config.templates.as_deref())?;
    if !checkout.has_spec {
        return Ok((checkout.commit, None));
    }
    let compiled = compiler::compile(&checkout.spec_dir(), checkout.templates.as_deref());
    let compilation = compiled.map_err(|source| Error::AtRevision {
        rev: rev.to_owned(),
        source: Box::new(source),
    })?;
    Ok((checkout.commit.clone(), Some(compilation)))
}

/// Compiles the spec (checking custom resources with `--crds`), prints its warnings, and
/// resolves the configuration: the selected environments and the out dir.
fn compile(invocation: Invocation) -> Result<(ManuallyDrop<Compilation>, Config), Error> {
    let crds = invocation.crds.as_deref().map(crds::load).transpose()?;
    let compilation = compiler::compile_checked(
        &invocation.spec_dir,
        invocation.templates.as_deref(),
        crds.as_ref(),
    )?;
    // The tree lives until the process exits, which returns its memory at once: freeing each
    // of its thousands of strings first would only add to the time of every command.
    let compilation = ManuallyDrop::new(compilation);
    warn(&compilation.warnings, invocation.colour.stderr);
    let config = invocation.resolve(&compilation.out, &compilation.environments)?;
    Ok((compilation, config))
}

/// Another render holds the out dir: say why nothing happens yet.
fn waiting(out_dir: &Path) {
    errln!(
        "waiting for another lgtmc render into `{}` to finish",
        out_dir.display()
    );
}

/// With `--crds`: how many custom resources were checked against how many CRDs.
pub(super) fn print_crd_summary(compilation: &Compilation) {
    if let Some(summary) = &compilation.custom_resources {
        print_out(&format!("{summary}\n"));
    }
}
