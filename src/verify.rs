//! Stage 6, verify: parse every rendered file back in its own format before anything is written.
//!
//! A file that does not parse means a template is wrong, so the error names the file, the
//! template that made it and the line. YAML files may hold several documents; each must parse,
//! without duplicate keys. Alloy files go through lgtmc's own Alloy parser and checker; SVG images
//! must be well-formed XML with an `svg` root.

use std::sync::Arc;

use miette::{Diagnostic, NamedSource, SourceSpan};
use serde::Deserialize;

use crate::render::Rendered;

#[derive(Debug, thiserror::Error, Diagnostic)]
#[error("rendered file `{path}` (from template `{template}`) is not valid {format}: {detail}")]
#[diagnostic(help(
    "this is a template bug: the template produced a file its consumer would reject"
))]
pub struct VerifyError {
    pub path: String,
    pub template: String,
    pub format: &'static str,
    pub detail: String,
    #[source_code]
    source_code: NamedSource<Arc<str>>,
    #[label("here")]
    span: SourceSpan,
}

/// Checks every rendered file; returns every broken one.
pub fn verify(rendered: &Rendered) -> Result<(), Vec<VerifyError>> {
    let mut errors = Vec::new();
    for (path, text) in &rendered.files {
        let template = rendered.templates.get(path).cloned().unwrap_or_default();
        let failure = match path.rsplit('.').next() {
            Some("yaml" | "yml") => check_yaml(text).err().map(|e| ("YAML", e)),
            Some("json") => check_json(text).err().map(|e| ("JSON", e)),
            Some("alloy") => check_alloy(text).err().map(|e| ("Alloy configuration", e)),
            Some("svg") => check_svg(text).err().map(|e| ("SVG", e)),
            _ => None,
        };
        if let Some((format, (detail, offset))) = failure {
            errors.push(VerifyError {
                path: path.clone(),
                template,
                format,
                detail,
                source_code: NamedSource::new(format!("out/{path}"), Arc::from(text.as_str())),
                span: SourceSpan::from(offset.min(text.len())..offset.min(text.len())),
            });
        }
    }
    if errors.is_empty() {
        Ok(())
    } else {
        Err(errors)
    }
}

/// Parses every document of a YAML stream; on failure, the message and its byte offset.
pub fn check_yaml(text: &str) -> Result<(), (String, usize)> {
    for document in serde_norway::Deserializer::from_str(text) {
        if let Err(error) = serde_norway::Value::deserialize(document) {
            let offset = error.location().map_or(0, |location| location.index());
            return Err((error.to_string(), offset));
        }
    }
    Ok(())
}

/// Parses an Alloy configuration with lgtmc's own parser and checks that every component
/// reference resolves; on failure, every problem (joined) and the offset of the first.
pub fn check_alloy(text: &str) -> Result<(), (String, usize)> {
    crate::alloy::validate(text).map(|_| ()).map_err(|errors| {
        let offset = errors.first().map_or(0, |error| error.span.start);
        let detail = errors
            .iter()
            .map(ToString::to_string)
            .collect::<Vec<_>>()
            .join("; ");
        (detail, offset)
    })
}

/// Parses an SVG image as XML: well-formed, one `svg` root element in the SVG namespace.
pub fn check_svg(text: &str) -> Result<(), (String, usize)> {
    let document = roxmltree::Document::parse(text).map_err(|error| {
        let position = error.pos();
        (
            error.to_string(),
            offset_of(text, position.row, position.col),
        )
    })?;
    let root = document.root_element();
    if root.tag_name().name() == "svg"
        && root.tag_name().namespace() == Some("http://www.w3.org/2000/svg")
    {
        Ok(())
    } else {
        Err((
            "the root element is not `svg` in the SVG namespace".to_owned(),
            root.range().start,
        ))
    }
}

/// The byte offset of a 1-based line and character column.
fn offset_of(text: &str, line: u32, column: u32) -> usize {
    let line_start: usize = text
        .split_inclusive('\n')
        .take((line as usize).saturating_sub(1))
        .map(str::len)
        .sum();
    let rest = &text[line_start.min(text.len())..];
    line_start
        + rest
            .char_indices()
            .nth((column as usize).saturating_sub(1))
            .map_or(rest.len(), |(offset, _)| offset)
}

fn check_json(text: &str) -> Result<(), (String, usize)> {
    serde_json::from_str::<serde_json::Value>(text)
        .map(|_| ())
        .map_err(|error| {
            let offset = text
                .split_inclusive('\n')
                .take(error.line().saturating_sub(1))
                .map(str::len)
                .sum::<usize>()
                + error.column().saturating_sub(1);
            (error.to_string(), offset)
        })
}

#[cfg(test)]
mod tests {
    use super::{check_svg, check_yaml};

    #[test]
    fn svg_checks() {
        let svg = "<!-- c -->\n<svg xmlns=\"http://www.w3.org/2000/svg\"><title>a &amp; b</title></svg>\n";
        assert!(check_svg(svg).is_ok());
        let unclosed = "<svg xmlns=\"http://www.w3.org/2000/svg\">\n  <g>\n</svg>\n";
        let (_, offset) = check_svg(unclosed).expect_err("an unclosed element");
        assert_eq!(&unclosed[offset..offset + 2], "</");
        assert!(check_svg("<svg><b>a & b</b></svg>").is_err(), "a bare &");
        assert!(check_svg("<html xmlns=\"http://www.w3.org/2000/svg\"/>").is_err());
        assert!(check_svg("<svg/>").is_err(), "no SVG namespace");
        assert!(check_svg("<!-- a -- b -->\n<svg xmlns=\"http://www.w3.org/2000/svg\"/>").is_err());
    }

    #[test]
    fn yaml_checks() {
        assert!(check_yaml("a: 1\n---\nb: [1, 2]\n").is_ok());
        assert!(
            check_yaml("a: 1\na: 2\n").is_err(),
            "duplicate keys are rejected"
        );
        assert!(check_yaml("a: [1, 2\n").is_err());
        assert!(check_yaml("a:\n  - b\n c: d\n").is_err());
    }
}

/// A reference between rendered files that does not resolve: an Application pointing at a path
/// that is not rendered, a backend reading a Secret no bucket claim creates, a kustomization
/// listing a missing resource.
#[derive(Debug, thiserror::Error, Diagnostic)]
#[error("`{path}`: {detail}")]
#[diagnostic(help("this is a template or plan bug: the rendered files disagree with each other"))]
pub struct ReferenceError {
    pub path: String,
    pub detail: String,
}

/// One environment's directory in the GitOps repository, as its Applications name it.
pub struct EnvironmentDir {
    pub environment: String,
    /// `out/prod`: the prefix of every path its Applications point at.
    pub repo_dir: String,
}

/// Checks that the rendered files agree with each other (see `ReferenceError`).
pub fn cross_check(
    rendered: &Rendered,
    environments: &[EnvironmentDir],
) -> Result<(), Vec<ReferenceError>> {
    let mut errors = Vec::new();
    let documents = |path: &str| -> Vec<serde_norway::Value> {
        rendered.files.get(path).map_or_else(Vec::new, |text| {
            serde_norway::Deserializer::from_str(text)
                .filter_map(|document| serde_norway::Value::deserialize(document).ok())
                .collect()
        })
    };
    for path in rendered
        .files
        .keys()
        .filter(|p| p.ends_with("kustomization.yaml"))
    {
        let dir = path.strip_suffix("kustomization.yaml").unwrap_or_default();
        for document in documents(path) {
            for resource in document["resources"].as_sequence().into_iter().flatten() {
                let resource = resource.as_str().unwrap_or_default();
                let target = format!("{dir}{resource}");
                let exists = rendered.files.contains_key(&target)
                    || rendered
                        .files
                        .contains_key(&format!("{target}/kustomization.yaml"));
                if !exists {
                    errors.push(ReferenceError {
                        path: path.clone(),
                        detail: format!("lists resource `{resource}`, which is not rendered"),
                    });
                }
            }
        }
    }
    for environment in environments {
        let env = &environment.environment;
        let to_tree = |repo_path: &str| -> Option<String> {
            repo_path
                .strip_prefix(&environment.repo_dir)
                .map(|rest| format!("{env}{rest}"))
        };
        let claims: Vec<(String, String)> = documents(&format!("{env}/buckets/claims.yaml"))
            .iter()
            .map(|claim| {
                let name = claim["metadata"]["name"]
                    .as_str()
                    .unwrap_or_default()
                    .to_owned();
                let namespace = claim["metadata"]["namespace"]
                    .as_str()
                    .unwrap_or_default()
                    .to_owned();
                (name, namespace)
            })
            .collect();
        let applications = rendered
            .files
            .keys()
            .filter(|p| p.starts_with(&format!("{env}/argocd/")))
            .flat_map(|p| documents(p).into_iter().map(move |d| (p.clone(), d)))
            .filter(|(_, d)| matches!(d["kind"].as_str(), Some("Application" | "ApplicationSet")));
        for (path, application) in applications {
            // An ApplicationSet's Applications are its template.
            let spec = match application["kind"].as_str() {
                Some("ApplicationSet") => &application["spec"]["template"]["spec"],
                _ => &application["spec"],
            };
            let namespace = spec["destination"]["namespace"]
                .as_str()
                .unwrap_or_default();
            let sources: Vec<&serde_norway::Value> = match spec["sources"].as_sequence() {
                Some(sources) => sources.iter().collect(),
                None => vec![&spec["source"]],
            };
            for source in sources {
                if let Some(dir) = source["path"].as_str() {
                    let found = to_tree(dir).is_some_and(|tree_dir| {
                        rendered
                            .files
                            .keys()
                            .any(|p| p.starts_with(&format!("{tree_dir}/")))
                    });
                    if !found {
                        errors.push(ReferenceError {
                            path: path.clone(),
                            detail: format!("points at `{dir}`, which lgtmc does not render"),
                        });
                    }
                }
                for values in source["helm"]["valueFiles"]
                    .as_sequence()
                    .into_iter()
                    .flatten()
                {
                    let file = values.as_str().unwrap_or_default();
                    let file = file.strip_prefix("$values/").unwrap_or(file);
                    let Some(tree_file) = to_tree(file).filter(|f| rendered.files.contains_key(f))
                    else {
                        errors.push(ReferenceError {
                            path: path.clone(),
                            detail: format!("reads values `{file}`, which lgtmc does not render"),
                        });
                        continue;
                    };
                    // Every Secret and ConfigMap the chart reads from a claim must be one a
                    // claim in the same namespace creates.
                    for reference in env_from_names(&documents(&tree_file)) {
                        if !claims
                            .iter()
                            .any(|(name, ns)| *name == reference && ns == namespace)
                        {
                            errors.push(ReferenceError {
                                path: tree_file.clone(),
                                detail: format!("reads Secret or ConfigMap `{reference}` in namespace `{namespace}`, which no bucket claim creates"),
                            });
                        }
                    }
                }
            }
        }
    }
    if errors.is_empty() {
        Ok(())
    } else {
        Err(errors)
    }
}

/// The names in every `secretRef`/`configMapRef` of an `extraEnvFrom` list, anywhere in values.
fn env_from_names(documents: &[serde_norway::Value]) -> Vec<String> {
    fn walk(value: &serde_norway::Value, inside_env_from: bool, names: &mut Vec<String>) {
        match value {
            serde_norway::Value::Mapping(map) => {
                for (key, child) in map {
                    let key = key.as_str().unwrap_or_default();
                    if inside_env_from && matches!(key, "secretRef" | "configMapRef") {
                        if let Some(name) = child["name"].as_str() {
                            names.push(name.to_owned());
                        }
                    }
                    walk(child, inside_env_from || key == "extraEnvFrom", names);
                }
            }
            serde_norway::Value::Sequence(items) => items
                .iter()
                .for_each(|item| walk(item, inside_env_from, names)),
            _ => {}
        }
    }
    let mut names = Vec::new();
    documents
        .iter()
        .for_each(|document| walk(document, false, &mut names));
    names.sort();
    names.dedup();
    names
}
