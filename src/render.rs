//! Stage 5, render: run each planned artifact through its minijinja template.
//!
//! Templates are embedded in the binary (see `build.rs`); `--templates DIR` replaces any of them
//! file by file. Undefined variables are errors, and every `{{ value }}` in a YAML or JSON template
//! is JSON-escaped (valid YAML too), and in an Alloy template written as an Alloy literal
//! (`alloy_format`), so no string from the spec can break the file it lands in. A template that
//! wants raw text must say so with a filter that returns a safe string.
//!
//! **Invariant:** rendering reads no file and no environment variable: the output bytes depend
//! only on the plan, the templates and the lgtmc version.

use std::borrow::Borrow;
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, PoisonError};

use miette::{Diagnostic, NamedSource, SourceSpan};
use minijinja::syntax::SyntaxConfig;
use minijinja::value::Serde;
use minijinja::{AutoEscape, Environment, UndefinedBehavior};

use crate::diagnostic::Problem;
use crate::format::{self, Format, Text};
use crate::parallel;
use crate::plan::{Artifact, EnvironmentPlan, KargoPlan};

mod alloy_format;
mod context;
mod filters;
mod overrides;

mod embedded {
    include!(concat!(env!("OUT_DIR"), "/templates.rs"));
}

/// The rendered platform: path under `out/` → file contents, plus which template made each file.
#[derive(Debug, Default)]
pub struct Rendered {
    /// The tree `emit` writes (`emit::RenderedTree`).
    pub files: BTreeMap<String, Text>,
    pub templates: BTreeMap<String, String>,
    /// The top directories of `files` (the environments', `kargo`), where `insert` looks for
    /// another copy of a file.
    tops: Vec<String>,
}

impl Rendered {
    /// Adds the file `path`, sharing the text of another top directory's file at the same place
    /// inside it when the bytes are the same (a tenant's dashboards are the same in every
    /// environment: at 2,000 tenants that is 9 MB held once instead of three times).
    pub fn insert(&mut self, path: String, template: &str, mut text: Text) {
        let (top, inside) = path.split_once('/').unwrap_or(("", path.as_str()));
        for other in self.tops.iter().filter(|other| *other != top) {
            if let Some(copy) = self.files.get(&format!("{other}/{inside}"))
                && **copy == *text
            {
                text = Arc::clone(copy);
                break;
            }
        }
        if !self.tops.iter().any(|known| known == top) {
            self.tops.push(top.to_owned());
        }
        self.templates.insert(path.clone(), template.to_owned());
        self.files.insert(path, text);
    }
}

/// A template that does not parse or does not render: a bug in a template (ours, or one given with
/// `--templates`), never a problem in the spec.
#[derive(Debug, thiserror::Error, Diagnostic)]
#[error("template `{template}` failed{}: {detail}", line.map(|l| format!(" at line {l}")).unwrap_or_default())]
#[diagnostic(help(
    "this is a template bug: fix the template, or report it if it is one of lgtmc's own"
))]
pub struct TemplateError {
    pub template: String,
    pub line: Option<usize>,
    pub detail: String,
    #[source_code]
    source_code: Option<NamedSource<Arc<str>>>,
    #[label("here")]
    span: Option<SourceSpan>,
}

/// A `--templates DIR` that cannot be used: invalid input, reported before anything renders.
#[derive(Debug, thiserror::Error)]
pub enum TemplateDirError {
    /// DIR is missing, not a directory, or cannot be listed.
    #[error("--templates `{}`: {reason}", path.display())]
    NotADirectory { path: PathBuf, reason: String },
    /// Files in DIR that override nothing or cannot be read; all of them.
    #[error("--templates `{}`: {} unusable override{}", path.display(), problems.len(), if problems.len() == 1 { "" } else { "s" })]
    Overrides {
        path: PathBuf,
        problems: Vec<Problem>,
    },
}

/// The template environment: embedded templates, then any overrides from `templates_dir`.
pub fn environment(templates_dir: Option<&Path>) -> Result<Environment<'static>, RenderError> {
    let mut env = Environment::new();
    env.set_undefined_behavior(UndefinedBehavior::Strict);
    let syntax = SyntaxConfig::builder()
        .trim_blocks(true)
        .lstrip_blocks(true)
        .keep_trailing_newline(true)
        .build()
        .map_err(|error| template_error(&env, "(syntax)", &error))?;
    env.set_syntax(syntax);
    // Fail closed: a template for a format we have no escaping rules for cannot print a value.
    env.set_auto_escape_callback(|name| {
        Format::of_template(name).map_or_else(
            || AutoEscape::Custom(format::UNSUPPORTED_MODE.into()),
            Format::auto_escape,
        )
    });
    env.set_formatter(formatter);
    filters::add(&mut env);
    for (name, source) in embedded::TEMPLATES {
        env.add_template(name, source)
            .map_err(|error| template_error_with_source(name, source, &error))?;
    }
    if let Some(dir) = templates_dir {
        for (name, source) in overrides::read(dir).map_err(RenderError::TemplateDir)? {
            env.add_template_owned(name.clone(), source.clone())
                .map_err(|error| template_error_with_source(&name, &source, &error))?;
        }
    }
    Ok(env)
}

/// Prints every `{{ value }}` as the template's format escapes it (`Format::auto_escape`); a
/// safe value (from a filter that returns one) is printed as it is.
fn formatter(
    out: &mut minijinja::Output,
    state: &mut minijinja::State,
    value: &minijinja::Value,
) -> Result<(), minijinja::Error> {
    match state.auto_escape() {
        AutoEscape::Custom(name) if name == format::MARKDOWN_MODE && !value.is_safe() => {
            let text = value
                .as_str()
                .map_or_else(|| value.to_string(), str::to_owned);
            out.write_str(&format::escape_markdown(&text))?;
            Ok(())
        }
        AutoEscape::Json if !value.is_safe() => format::write_json_literal(out, value)
            .map_err(|error| minijinja::Error::new(minijinja::ErrorKind::BadSerialization, error)),
        // Alloy values, then the built-in escaping (HTML) for everything else.
        _ => alloy_format::formatter(out, state, value),
    }
}

#[derive(Debug, thiserror::Error, Diagnostic)]
pub enum RenderError {
    #[error(transparent)]
    #[diagnostic(transparent)]
    Template(Box<TemplateError>),
    #[error(transparent)]
    TemplateDir(TemplateDirError),
}

/// Renders every artifact of every environment, then the platform-wide ones (Kargo).
pub fn render(
    env: &Environment<'static>,
    plans: &[EnvironmentPlan],
    kargo: &KargoPlan,
    kargo_artifacts: &[Artifact],
    all_sources: &[String],
) -> Result<Rendered, RenderError> {
    let mut rendered = Rendered::default();
    for plan in plans {
        render_plan(env, plan, &mut rendered)?;
    }
    render_kargo(env, kargo, kargo_artifacts, all_sources, &mut rendered)?;
    Ok(rendered)
}

/// Renders every file of one environment's plan into `rendered`, on all cores (the per-tenant
/// files of a large platform are thousands of renders of the same few templates).
pub fn render_plan(
    env: &Environment<'static>,
    plan: &EnvironmentPlan,
    rendered: &mut Rendered,
) -> Result<(), RenderError> {
    render_artifacts(env, plan, plan.artifacts.iter().collect(), rendered)
}

/// The artifacts a rendering thread takes at a time: few enough to keep the cores balanced,
/// enough that taking them is not contended.
const ARTIFACTS_PER_BATCH: usize = 16;

/// Like `render_plan`, for the artifacts taken out of `plan` (`std::mem::take(&mut
/// plan.artifacts)`): each artifact, and its item (a dashboard's JSON, a tenant's data sources),
/// is freed as soon as its file is rendered rather than with the plan, so an environment's
/// items and its rendered text are not all in memory at once.
pub fn render_artifacts<A: Borrow<Artifact> + Send>(
    env: &Environment<'static>,
    plan: &EnvironmentPlan,
    artifacts: Vec<A>,
    rendered: &mut Rendered,
) -> Result<(), RenderError> {
    let context = context::plan_context(plan);
    // Each thread takes its artifacts out of their slots, so it can drop them once rendered.
    let slots: Vec<Mutex<Option<A>>> = artifacts.into_iter().map(|a| Mutex::new(Some(a))).collect();
    // In batches, not runs: a dashboard costs a hundred kustomizations and the artifacts come
    // grouped by kind, so two contiguous runs left one core idle for half of each render.
    let texts = parallel::batches(&slots, ARTIFACTS_PER_BATCH, &|slot| {
        let artifact = (slot.lock().unwrap_or_else(PoisonError::into_inner).take())?;
        let artifact = artifact.borrow();
        // Made shareable on the rendering thread: it is a copy of the text.
        let text = render_text(env, artifact, &context, &plan.sources).map(Text::from);
        Some((artifact.path.clone(), artifact.template, text))
    });
    for (path, template, text) in texts.into_iter().flatten() {
        rendered.insert(path, template, text?);
    }
    Ok(())
}

/// Renders the platform's Kargo files (made from every spec file) into `rendered`.
pub fn render_kargo(
    env: &Environment<'static>,
    kargo: &KargoPlan,
    kargo_artifacts: &[Artifact],
    all_sources: &[String],
    rendered: &mut Rendered,
) -> Result<(), RenderError> {
    let context = minijinja::Value::from(Serde(kargo));
    for artifact in kargo_artifacts {
        render_one(env, artifact, &context, all_sources, rendered)?;
    }
    Ok(())
}

pub fn render_artifact(
    env: &Environment<'static>,
    plan: &EnvironmentPlan,
    artifact: &Artifact,
) -> Result<String, RenderError> {
    render_text(env, artifact, &context::plan_context(plan), &plan.sources)
}

fn render_one(
    env: &Environment<'static>,
    artifact: &Artifact,
    context: &minijinja::Value,
    sources: &[String],
    rendered: &mut Rendered,
) -> Result<(), RenderError> {
    let text = render_text(env, artifact, context, sources)?;
    rendered.insert(artifact.path.clone(), artifact.template, text.into());
    Ok(())
}

/// The text of one artifact: the header its format writes, then what its template renders.
fn render_text(
    env: &Environment<'static>,
    artifact: &Artifact,
    context: &minijinja::Value,
    sources: &[String],
) -> Result<String, RenderError> {
    let template = env
        .get_template(artifact.template)
        .map_err(|error| template_error(env, artifact.template, &error))?;
    // A file about one item (a tenant's data sources, a dashboard, a component's Application)
    // sees it as `item` beside the whole plan.
    let context = match &artifact.item {
        Some(item) => {
            minijinja::context! { item => minijinja::Value::from(Serde(item)), ..context.clone() }
        }
        None => context.clone(),
    };
    let body = template
        .render(context)
        .map_err(|error| template_error(env, artifact.template, &error))?;
    let header = Format::of(&artifact.path).map_or_else(String::new, |f| f.header(sources));
    // Short-lived: the tree holds a copy of exactly its length (`Text::from`).
    Ok(header + &body)
}

fn template_error(env: &Environment<'static>, name: &str, error: &minijinja::Error) -> RenderError {
    let template_name = error.name().unwrap_or(name).to_owned();
    let source = env
        .get_template(&template_name)
        .map(|template| template.source().to_owned())
        .unwrap_or_default();
    template_error_with_source(&template_name, &source, error)
}

fn template_error_with_source(name: &str, source: &str, error: &minijinja::Error) -> RenderError {
    let span = error
        .range()
        .filter(|range| range.end <= source.len())
        .map(|range| SourceSpan::from(range.start..range.end));
    RenderError::Template(Box::new(TemplateError {
        template: error.name().unwrap_or(name).to_owned(),
        line: error.line(),
        detail: error
            .detail()
            .map_or_else(|| error.kind().to_string(), str::to_owned),
        source_code: (!source.is_empty())
            .then(|| NamedSource::new(format!("templates/{name}"), Arc::from(source))),
        span,
    }))
}

/// The embedded templates, for `lgtmc init` and for tests.
pub fn embedded_templates() -> &'static [(&'static str, &'static str)] {
    embedded::TEMPLATES
}

#[cfg(test)]
mod tests;
