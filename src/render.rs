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

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use miette::{Diagnostic, NamedSource, SourceSpan};
use minijinja::syntax::SyntaxConfig;
use minijinja::value::Serde;
use minijinja::{AutoEscape, Environment, UndefinedBehavior};

use crate::diagnostic::{Problem, SourceFile, did_you_mean};
use crate::plan::{Artifact, EnvironmentPlan, KargoPlan};

mod alloy_format;

mod embedded {
    include!(concat!(env!("OUT_DIR"), "/templates.rs"));
}

/// The rendered platform: path under `out/` → file contents, plus which template made each file.
#[derive(Debug, Default)]
pub struct Rendered {
    pub files: BTreeMap<String, String>,
    pub templates: BTreeMap<String, String>,
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
    env.set_auto_escape_callback(|name| {
        let name = name.strip_suffix(".j2").unwrap_or(name);
        match name.rsplit('.').next() {
            Some("yaml" | "yml" | "json") => AutoEscape::Json,
            // XML escaping (`<`, `>`, `&`, quotes): safe in SVG text and attribute values.
            Some("svg") => AutoEscape::Html,
            Some("md") => AutoEscape::Custom(MARKDOWN.into()),
            Some("alloy") => AutoEscape::Custom(alloy_format::MODE.into()),
            // Fail closed: a template for a format we have no escaping rules for cannot print
            // a value at all.
            _ => AutoEscape::Custom("unsupported".into()),
        }
    });
    env.set_formatter(|out, state, value| {
        if matches!(state.auto_escape(), AutoEscape::Custom(name) if name == MARKDOWN)
            && !value.is_safe()
        {
            let text = value
                .as_str()
                .map_or_else(|| value.to_string(), str::to_owned);
            out.write_str(&escape_markdown(&text))?;
            Ok(())
        } else if matches!(state.auto_escape(), AutoEscape::Json) && !value.is_safe() {
            let json = serde_json::to_string(value).map_err(|error| {
                minijinja::Error::new(
                    minijinja::ErrorKind::BadSerialization,
                    format!("cannot write JSON: {error}"),
                )
            })?;
            out.write_str(&yaml_safe(&json))?;
            Ok(())
        } else {
            // Alloy values, then the built-in escaping (HTML) for everything else.
            alloy_format::formatter(out, state, value)
        }
    });
    env.add_filter("toyaml", toyaml);
    env.add_filter("alloy_label", alloy_format::alloy_label);
    env.add_filter("alloy_ident", alloy_format::alloy_ident);
    env.add_filter("alloy_raw", alloy_format::alloy_raw);
    env.add_filter("regex_escape", alloy_format::regex_escape);
    env.add_function("env_var", env_var);
    env.add_filter("kargo_scalar", kargo_scalar);
    // Numbers of the plans as the reports write them: `9.495` CPUs, `38.87 GiB`.
    env.add_filter("cpu", crate::compute::cpu_text);
    env.add_filter("bytes", crate::capacity::format_bytes);
    for (name, source) in embedded::TEMPLATES {
        env.add_template(name, source)
            .map_err(|error| template_error_with_source(name, source, &error))?;
    }
    if let Some(dir) = templates_dir {
        for (name, source) in read_template_dir(dir).map_err(RenderError::TemplateDir)? {
            env.add_template_owned(name.clone(), source.clone())
                .map_err(|error| template_error_with_source(&name, &source, &error))?;
        }
    }
    Ok(env)
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
        let context = minijinja::Value::from(Serde(plan));
        for artifact in &plan.artifacts {
            render_one(env, artifact, &context, &plan.sources, &mut rendered)?;
        }
    }
    let context = minijinja::Value::from(Serde(kargo));
    for artifact in kargo_artifacts {
        render_one(env, artifact, &context, all_sources, &mut rendered)?;
    }
    Ok(rendered)
}

/// Renders one artifact of one environment on its own (`lgtmc plan --format markdown`).
pub fn render_artifact(
    env: &Environment<'static>,
    plan: &EnvironmentPlan,
    artifact: &Artifact,
) -> Result<String, RenderError> {
    let mut rendered = Rendered::default();
    let context = minijinja::Value::from(Serde(plan));
    render_one(env, artifact, &context, &plan.sources, &mut rendered)?;
    Ok(rendered.files.remove(&artifact.path).unwrap_or_default())
}

fn render_one(
    env: &Environment<'static>,
    artifact: &Artifact,
    context: &minijinja::Value,
    sources: &[String],
    rendered: &mut Rendered,
) -> Result<(), RenderError> {
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
    let text = format!("{}{body}", header(&artifact.path, sources));
    rendered.files.insert(artifact.path.clone(), text);
    rendered
        .templates
        .insert(artifact.path.clone(), artifact.template.to_owned());
    Ok(())
}

/// The "do not edit" line, in the comment syntax of the file's format (JSON has none).
pub fn header(path: &str, sources: &[String]) -> String {
    let line = format!(
        "generated by lgtmc from {}; do not edit",
        sources.join(", ")
    );
    match path.rsplit('.').next() {
        Some("yaml" | "yml") | None => format!("# {line}\n"),
        Some("alloy") => format!("// {line}\n"),
        Some("md") => format!("<!-- {line} -->\n"),
        // An XML comment must not hold `--`.
        Some("svg") => {
            let mut line = line;
            while line.contains("--") {
                line = line.replace("--", "- -");
            }
            format!("<!-- {line} -->\n")
        }
        _ => String::new(),
    }
}

/// JSON text made safe to read as YAML too: JSON leaves some characters raw that YAML reads
/// differently. U+0085, U+2028 and U+2029 are line breaks to YAML (a double-quoted string folds
/// them into a space), and DEL, the C1 controls, U+FEFF, U+FFFE and U+FFFF are not printable in
/// YAML 1.1 (go-yaml, which Helm and Kubernetes use, rejects them). Each becomes a `\uXXXX`
/// escape, which JSON and YAML both read back as the same character. Outside a string these
/// characters cannot occur in JSON, so the replacement never changes structure.
pub(crate) fn yaml_safe(json: &str) -> std::borrow::Cow<'_, str> {
    let unsafe_char = |c: char| {
        matches!(
            c,
            '\u{7f}'..='\u{9f}' | '\u{2028}' | '\u{2029}' | '\u{feff}' | '\u{fffe}' | '\u{ffff}'
        )
    };
    if !json.contains(unsafe_char) {
        return std::borrow::Cow::Borrowed(json);
    }
    let mut safe = String::with_capacity(json.len() + 12);
    for c in json.chars() {
        if unsafe_char(c) {
            safe.push_str(&format!("\\u{:04x}", u32::from(c)));
        } else {
            safe.push(c);
        }
    }
    std::borrow::Cow::Owned(safe)
}

/// The auto-escape mode of Markdown templates.
const MARKDOWN: &str = "markdown";

/// A value printed into Markdown, where it is text in a paragraph or a table cell: the characters
/// that start Markdown syntax are backslash-escaped, `<`, `>` and `&` become entities (Markdown
/// passes HTML through), and a line break becomes a space (it would end a table row).
fn escape_markdown(text: &str) -> String {
    let mut escaped = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '\\' | '`' | '*' | '_' | '[' | ']' | '|' | '#' | '~' | '$' | '!' => {
                escaped.push('\\');
                escaped.push(c);
            }
            '<' => escaped.push_str("&lt;"),
            '>' => escaped.push_str("&gt;"),
            '&' => escaped.push_str("&amp;"),
            '\n' | '\r' | '\u{85}' | '\u{2028}' | '\u{2029}' => escaped.push(' '),
            c => escaped.push(c),
        }
    }
    escaped
}

/// `{{ env_var(bucket, "BUCKET_NAME") }}` is `${<prefix>BUCKET_NAME}`: a variable from a bucket
/// claim's Secret or ConfigMap, which the product expands at start-up (`-config.expand-env`). A
/// plain string, so it is escaped where it is printed like any other value.
fn env_var(bucket: minijinja::Value, name: &str) -> Result<String, minijinja::Error> {
    let prefix = bucket.get_attr("env_prefix")?;
    let prefix = prefix.as_str().ok_or_else(|| {
        minijinja::Error::new(
            minijinja::ErrorKind::InvalidOperation,
            "env_var needs a bucket with an `env_prefix`",
        )
    })?;
    Ok(format!("${{{prefix}{name}}}"))
}

/// `{{ version | kargo_scalar }}`: a scalar written exactly as Kargo's `yaml-update` step writes
/// a string (quoted only when YAML would read it as a number, a boolean or JSON), so that a
/// promotion's edit and lgtmc's rendering of the same version are the same bytes. Anything that
/// is not a plain word is JSON-quoted, which keeps the YAML safe.
fn kargo_scalar(value: &str) -> minijinja::Value {
    let looks_typed = value.parse::<f64>().is_ok()
        || matches!(
            value,
            "1" | "t"
                | "T"
                | "TRUE"
                | "true"
                | "True"
                | "0"
                | "f"
                | "F"
                | "FALSE"
                | "false"
                | "False"
        )
        || serde_json::from_str::<serde_json::Value>(value).is_ok();
    let plain = !value.is_empty()
        && value
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '-' | '+' | '_'))
        && !value.starts_with(['-', '.']);
    if looks_typed || !plain {
        minijinja::Value::from_safe_string(
            yaml_safe(&serde_json::Value::from(value).to_string()).into_owned(),
        )
    } else {
        minijinja::Value::from_safe_string(value.to_owned())
    }
}

/// `{{ value | toyaml }}`: a value as a YAML flow-free block, marked safe so the JSON auto-escape
/// leaves it alone. Serialised by serde, so strings are always quoted where YAML needs it.
fn toyaml(value: minijinja::Value) -> Result<minijinja::Value, minijinja::Error> {
    let text = serde_norway::to_string(&value).map_err(|error| {
        minijinja::Error::new(
            minijinja::ErrorKind::InvalidOperation,
            format!("cannot write YAML: {error}"),
        )
    })?;
    Ok(minijinja::Value::from_safe_string(
        text.trim_end().to_owned(),
    ))
}

/// The overrides in `dir`, each named like the embedded template it replaces. A file that
/// replaces nothing (a misspelled name), a symbolic link (git history, which `diff --base` reads,
/// keeps the link, not the file) and a file that is not UTF-8 text are problems, all reported at
/// once, rather than silently not applied.
fn read_template_dir(dir: &Path) -> Result<Vec<(String, String)>, TemplateDirError> {
    let not_a_directory = |reason: String| TemplateDirError::NotADirectory {
        path: dir.to_path_buf(),
        reason,
    };
    match std::fs::metadata(dir) {
        Ok(metadata) if metadata.is_dir() => {}
        Ok(_) => return Err(not_a_directory("not a directory".to_owned())),
        Err(error) => return Err(not_a_directory(error.to_string())),
    }
    let known = || embedded::TEMPLATES.iter().map(|(name, _)| *name);
    let mut templates = Vec::new();
    let mut problems = Vec::new();
    for entry in walkdir::WalkDir::new(dir).sort_by_file_name() {
        let entry = entry.map_err(|error| not_a_directory(error.to_string()))?;
        if entry.file_type().is_dir() {
            continue;
        }
        let Ok(relative) = entry.path().strip_prefix(dir) else {
            continue;
        };
        let name = relative.to_string_lossy().replace('\\', "/");
        let shown = entry.path().display().to_string();
        if entry.path_is_symlink() {
            let target = std::fs::read_link(entry.path())
                .map_or_else(|_| String::new(), |t| t.display().to_string());
            let file = SourceFile::new(shown.as_str(), target.as_str());
            problems.push(
                Problem::new(
                    &file,
                    (0, target.len()).into(),
                    format!("`{shown}` is a symbolic link"),
                    "it links to this",
                )
                .with_help(format!(
                    "copy the file to `{shown}`: `diff --base` reads overrides from git, which keeps the link, not the file"
                )),
            );
            continue;
        }
        let bytes = match std::fs::read(entry.path()) {
            Ok(bytes) => bytes,
            Err(error) => {
                let file = SourceFile::new(shown.as_str(), "");
                problems.push(Problem::new(
                    &file,
                    (0, 0).into(),
                    format!("cannot read `{shown}`: {error}"),
                    "here",
                ));
                continue;
            }
        };
        let text = String::from_utf8_lossy(&bytes).into_owned();
        let first_line = text.find('\n').unwrap_or(text.len());
        let file = SourceFile::new(shown.as_str(), text.as_str());
        if !known().any(|known| known == name) {
            let help = did_you_mean(&name, known()).map_or_else(
                || "an override replaces the built-in template at the same path of lgtmc's templates/ directory, for example `mimir/values.yaml.j2`".to_owned(),
                |hint| format!("{hint} an override replaces the built-in template of the same path"),
            );
            problems.push(
                Problem::new(
                    &file,
                    (0, first_line).into(),
                    format!("`{name}` overrides no template of lgtmc"),
                    "this template would never be used",
                )
                .with_help(help),
            );
        } else if std::str::from_utf8(&bytes).is_err() {
            problems.push(Problem::new(
                &file,
                (0, first_line).into(),
                format!("`{shown}` is not UTF-8 text"),
                "templates are UTF-8",
            ));
        } else {
            templates.push((name, text));
        }
    }
    if problems.is_empty() {
        Ok(templates)
    } else {
        Err(TemplateDirError::Overrides {
            path: dir.to_path_buf(),
            problems: crate::diagnostic::tidy(problems),
        })
    }
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
mod tests {
    use super::*;

    fn render_one(
        name: &str,
        source: &str,
        context: minijinja::Value,
    ) -> Result<String, minijinja::Error> {
        let mut env = environment(None).map_err(|e| {
            minijinja::Error::new(minijinja::ErrorKind::InvalidOperation, e.to_string())
        })?;
        env.add_template_owned(name.to_owned(), source.to_owned())?;
        env.get_template(name)?.render(context)
    }

    /// Characters YAML reads differently from JSON, or not at all.
    const AWKWARD: &str = "a\u{2028}b\u{2029}c\u{85}d\u{7f}e\u{9f}f\u{feff}g\u{ffff}h\té";

    #[test]
    fn line_separators_and_controls_survive_every_yaml_and_json_path() {
        let context =
            minijinja::context! { s => AWKWARD, m => minijinja::context! { k => AWKWARD } };
        for (name, source) in [
            ("t.yaml.j2", "s: {{ s }}\n"),
            ("t.yaml.j2", "s: {{ s | kargo_scalar }}\n"),
            ("t.yaml.j2", "{{ m | toyaml }}\n"),
            ("t.json.j2", "{\"s\": {{ s }}}\n"),
        ] {
            let out = render_one(name, source, context.clone()).unwrap();
            for c in ['\u{2028}', '\u{2029}', '\u{85}', '\u{7f}', '\u{feff}'] {
                assert!(!out.contains(c), "{source}: raw {c:?} in {out:?}");
            }
            let read: serde_json::Value = serde_norway::from_str(&out).unwrap();
            let value = read.get("s").or_else(|| read.get("k")).unwrap();
            assert_eq!(value.as_str(), Some(AWKWARD), "{source}: {out:?}");
            if name.ends_with(".json.j2") {
                let read: serde_json::Value = serde_json::from_str(&out).unwrap();
                assert_eq!(read["s"].as_str(), Some(AWKWARD));
            }
        }
        let markdown = render_one("t.md.j2", "| {{ s }} |\n", context.clone()).unwrap();
        assert!(
            !markdown.contains(['\u{2028}', '\u{2029}', '\u{85}']),
            "{markdown:?}"
        );
        let alloy = render_one("t.alloy.j2", "x = {{ s }}\n", context).unwrap();
        assert!(
            !alloy.contains(['\u{2028}', '\u{2029}', '\u{85}']),
            "{alloy:?}"
        );
    }

    #[test]
    fn yaml_values_are_json_escaped() {
        let context =
            minijinja::context! { s => "a\"b: c\n# d", n => 3, flag => true, missing => () };
        let out = render_one(
            "t.yaml.j2",
            "s: {{ s }}\nn: {{ n }}\nf: {{ flag }}\nm: {{ missing }}\n",
            context,
        );
        assert_eq!(
            out.ok().as_deref(),
            Some("s: \"a\\\"b: c\\n# d\"\nn: 3\nf: true\nm: null\n")
        );
    }

    #[test]
    fn unknown_formats_fail_closed() {
        let out = render_one("notes.txt.j2", "{{ 1 }}", minijinja::context! {});
        assert!(
            out.is_err(),
            "a value printed into a format without escaping rules must fail"
        );
    }

    #[test]
    fn markdown_values_are_escaped() {
        let context = minijinja::context! { s => "a|b *c* <d> `e`\nf", n => 3 };
        let out = render_one(
            "t.md.j2",
            "| {{ s }} | {{ n }} | {{ \"`x`\" | safe }} |\n",
            context,
        );
        assert_eq!(
            out.ok().as_deref(),
            Some("| a\\|b \\*c\\* &lt;d&gt; \\`e\\` f | 3 | `x` |\n")
        );
    }

    #[test]
    fn svg_values_are_xml_escaped() {
        let context = minijinja::context! { s => "<a> & \"b\"" };
        let out = render_one("t.svg.j2", "<text a=\"{{ s }}\">{{ s }}</text>", context);
        assert_eq!(
            out.ok().as_deref(),
            Some("<text a=\"&lt;a&gt; &amp; &quot;b&quot;\">&lt;a&gt; &amp; &quot;b&quot;</text>")
        );
    }

    #[test]
    fn undefined_is_an_error() {
        let out = render_one("t.yaml.j2", "{{ nope }}", minijinja::context! {});
        assert!(out.is_err());
    }

    #[test]
    /// Keys keep the order the plan gives them; the plan's maps are sorted, so output is stable.
    fn toyaml_is_valid_yaml_and_safe() {
        let context =
            minijinja::context! { m => minijinja::context! { b => "x: y", a => vec![1, 2] } };
        let out = render_one(
            "t.yaml.j2",
            "root:\n  {{ m | toyaml | indent(2) }}\n",
            context,
        );
        assert_eq!(
            out.ok().as_deref(),
            Some("root:\n  b: 'x: y'\n  a:\n  - 1\n  - 2\n")
        );
    }

    #[test]
    fn kargo_scalars_match_yaml_update() {
        assert_eq!(kargo_scalar("5.6.0").to_string(), "5.6.0");
        assert_eq!(kargo_scalar("1.2").to_string(), "\"1.2\"");
        assert_eq!(kargo_scalar("true").to_string(), "\"true\"");
        assert_eq!(kargo_scalar("a: b").to_string(), "\"a: b\"");
    }

    #[test]
    fn headers_follow_the_format() {
        let sources = vec!["platform.kdl".to_owned()];
        assert_eq!(
            header("a/b.yaml", &sources),
            "# generated by lgtmc from platform.kdl; do not edit\n"
        );
        assert_eq!(
            header("a/b.alloy", &sources),
            "// generated by lgtmc from platform.kdl; do not edit\n"
        );
        assert_eq!(header("a/b.json", &sources), "");
        assert_eq!(
            header("a/b.md", &sources),
            "<!-- generated by lgtmc from platform.kdl; do not edit -->\n"
        );
        let odd = vec!["environments/a---b.kdl".to_owned()];
        assert_eq!(
            header("a/b.svg", &odd),
            "<!-- generated by lgtmc from environments/a- - -b.kdl; do not edit -->\n"
        );
    }
}
