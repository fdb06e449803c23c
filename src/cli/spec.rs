//! The commands that read the spec without writing `out/`: `validate`, `plan` and `explain`.

use std::path::PathBuf;

use crate::compiler;
use crate::config::{Config, Invocation, OutputFormat, check_environments};
use crate::diagnostic::did_you_mean;
use crate::emit;
use crate::error::{EXIT_OK, Error};
use crate::{capacity, crds, explain};

use super::ExplainArgs;
use super::print::{plural, print_out, warn};
use super::tree::print_crd_summary;

/// `lgtmc validate`: the spec, loaded and validated once; with `--crds`, that spec also rendered
/// in memory and its custom resources checked.
pub(super) fn validate(invocation: &Invocation) -> Result<i32, Error> {
    let spec = compiler::validate_spec(&invocation.spec_dir)?;
    warn(&spec.warnings, invocation.colour.stderr);
    let names: Vec<String> = spec.environments.iter().map(|e| e.name.clone()).collect();
    let tenants = spec
        .environments
        .first()
        .map_or(0, |e| e.platform.tenants.len());
    let checked = match &invocation.crds {
        Some(dir) => {
            let crds = crds::load(dir)?;
            let templates = invocation.templates.as_deref();
            // Its warnings were printed above, with the spec's.
            let compiled = compiler::compile_valid(spec, templates, Some(&crds))?;
            Some(compiled)
        }
        None => None,
    };
    print_out(&format!(
        "the spec is valid: {} environment{} ({}), {} tenant{}\n",
        names.len(),
        plural(names.len()),
        names.join(", "),
        tenants,
        plural(tenants)
    ));
    if let Some(compilation) = &checked {
        print_crd_summary(compilation);
    }
    Ok(EXIT_OK)
}

/// `lgtmc plan`: the plan of the selected environments, then any budget warnings and errors.
pub(super) fn plan(invocation: &Invocation) -> Result<i32, Error> {
    let markdown = invocation.format == OutputFormat::Markdown;
    let templates = invocation.templates.as_deref();
    let report = compiler::capacity(&invocation.spec_dir, templates, markdown)?;
    let names: Vec<String> = report.plans.iter().map(|p| p.environment.clone()).collect();
    check_environments(&names, &invocation.environments)?;
    let selected = |name: &str| invocation.selects(name);
    let plans: Vec<_> = (report.plans.iter())
        .filter(|p| selected(&p.environment))
        .cloned()
        .collect();
    let compute: Vec<_> = (report.compute.iter())
        .filter(|p| selected(&p.environment))
        .cloned()
        .collect();
    print_out(&match invocation.format {
        OutputFormat::Json => capacity::json(&report.platform, &plans, &compute),
        OutputFormat::Markdown => (report.plans.iter())
            .zip(&report.markdown)
            .filter(|(plan, _)| selected(&plan.environment))
            .map(|(_, text)| text.as_str())
            .collect::<Vec<_>>()
            .join("\n"),
        OutputFormat::Text | OutputFormat::Github => capacity::text(&plans, &compute),
    });
    warn(&report.warnings, invocation.colour.stderr);
    if report.over_budget.is_empty() {
        Ok(EXIT_OK)
    } else {
        Err(Error::Spec(report.over_budget))
    }
}

/// `lgtmc explain FILE PATH` or `lgtmc explain FILE:LINE`.
pub(super) fn explain(invocation: Invocation, args: &ExplainArgs) -> Result<i32, Error> {
    let (file, target) = match (&args.path, explain::split_line(&args.file)) {
        (Some(path), _) => (args.file.as_str(), explain::Target::Path(path.clone())),
        (None, Some((file, line))) => (file, explain::Target::Line(line)),
        (None, None) => {
            return Err(Error::Usage {
                message: "`explain` needs a value path after the file, or `FILE:LINE`".to_owned(),
                help: Some(format!(
                    "for example `lgtmc explain {} loki.runtimeConfig` or `lgtmc explain {}:12`",
                    args.file, args.file
                )),
            });
        }
    };
    let templates = invocation.templates.as_deref();
    let mut provenance = explain::Provenance::baseline(&invocation.spec_dir, templates)?;
    let config = invocation.resolve(provenance.out_dir(), &[])?;
    let key = out_key(&config, file, &provenance)?;
    // A wrong path or line is reported before the probes run.
    provenance.explain(&key, &target)?;
    provenance.probe();
    let explanation = provenance.explain(&key, &target)?;
    print_out(&match config.format {
        OutputFormat::Json => explain::json(&explanation),
        _ => explain::text(&explanation),
    });
    Ok(EXIT_OK)
}

/// The path under out/ of a file named relative to the working directory or to `-C`, checked
/// to be what the spec renders now (a stale file's lines would point at other values).
fn out_key(config: &Config, file: &str, provenance: &explain::Provenance) -> Result<String, Error> {
    let canonical_out = config.out_dir.canonicalize().ok();
    let under_out = |path: PathBuf| -> Option<String> {
        let path = path.canonicalize().ok()?;
        let rest = path.strip_prefix(canonical_out.as_ref()?).ok()?;
        let parts: Vec<&str> = rest.iter().filter_map(|part| part.to_str()).collect();
        Some(parts.join("/"))
    };
    let key = under_out(PathBuf::from(file))
        .or_else(|| under_out(config.spec_dir.join(file)))
        .or_else(|| {
            file.trim_start_matches("./")
                .strip_prefix(&format!("{}/", provenance.out_dir()))
                .map(str::to_owned)
        });
    let Some(key) = key.filter(|key| provenance.rendered(key).is_some()) else {
        let rendered: Vec<String> = provenance
            .files()
            .map(|f| format!("{}/{f}", provenance.out_dir()))
            .collect();
        return Err(Error::Usage {
            message: format!("`{file}` is not a file lgtmc renders"),
            help: Some(
                did_you_mean(file.trim_start_matches("./"), rendered.iter().map(String::as_str))
                    .unwrap_or_else(|| {
                        "name a file under out/, relative to the working directory or to -C, as `out/prod/loki/values.yaml`".to_owned()
                    }),
            ),
        });
    };
    let on_disk = emit::read_rendered(&config.out_dir, &key);
    if on_disk.as_deref() != provenance.rendered(&key) {
        return Err(Error::Usage {
            message: format!("`out/{key}` is not what the spec renders now"),
            help: Some("run `lgtmc render` first: explain answers for the spec as it is, and its lines must be the file's".to_owned()),
        });
    }
    Ok(key)
}
