//! The references between rendered files (`verify::cross_check`): every kustomization resource
//! exists, every Application path and values file is rendered, every Secret or ConfigMap a
//! backend reads is created by a bucket claim in its namespace. Reads the parsed tree; a file
//! that did not parse has no documents here.

use serde_json::Value;

use super::{EnvironmentDir, ParsedTree, ReferenceError};
use crate::render::Rendered;

/// Every resource a `kustomization.yaml` lists is a rendered file or a directory with its own
/// kustomization.
pub(super) fn kustomizations(rendered: &Rendered, tree: &ParsedTree) -> Vec<ReferenceError> {
    let mut errors = Vec::new();
    for path in rendered
        .files
        .keys()
        .filter(|p| p.ends_with("kustomization.yaml"))
    {
        let dir = path.strip_suffix("kustomization.yaml").unwrap_or_default();
        for document in tree.documents(path) {
            for resource in document["resources"].as_array().into_iter().flatten() {
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
    errors
}

/// One environment's Applications (and ApplicationSets) against the files rendered for it.
pub(super) fn environment(
    rendered: &Rendered,
    tree: &ParsedTree,
    environment: &EnvironmentDir,
) -> Vec<ReferenceError> {
    let env = &environment.environment;
    let claims: Vec<(&str, &str)> = tree
        .documents(&format!("{env}/buckets/claims.yaml"))
        .iter()
        .map(|claim| {
            let name = claim["metadata"]["name"].as_str().unwrap_or_default();
            let namespace = claim["metadata"]["namespace"].as_str().unwrap_or_default();
            (name, namespace)
        })
        .collect();
    let check = Environment {
        rendered,
        tree,
        dir: environment,
        claims,
    };
    let argocd = format!("{env}/argocd/");
    let mut errors = Vec::new();
    for path in rendered.files.keys().filter(|p| p.starts_with(&argocd)) {
        for application in tree.documents(path) {
            if matches!(
                application["kind"].as_str(),
                Some("Application" | "ApplicationSet")
            ) {
                check.application(path, application, &mut errors);
            }
        }
    }
    errors
}

struct Environment<'a> {
    rendered: &'a Rendered,
    tree: &'a ParsedTree,
    dir: &'a EnvironmentDir,
    /// Every bucket claim: (name, namespace); each creates a Secret and a ConfigMap of its name.
    claims: Vec<(&'a str, &'a str)>,
}

impl Environment<'_> {
    /// A path of the GitOps repository as a path of the rendered tree, when it is in this
    /// environment's directory.
    fn to_tree(&self, repo_path: &str) -> Option<String> {
        repo_path
            .strip_prefix(&self.dir.repo_dir)
            .map(|rest| format!("{}{rest}", self.dir.environment))
    }

    fn application(&self, path: &str, application: &Value, errors: &mut Vec<ReferenceError>) {
        // An ApplicationSet's Applications are its template.
        let spec = match application["kind"].as_str() {
            Some("ApplicationSet") => &application["spec"]["template"]["spec"],
            _ => &application["spec"],
        };
        let namespace = spec["destination"]["namespace"]
            .as_str()
            .unwrap_or_default();
        let sources: Vec<&Value> = match spec["sources"].as_array() {
            Some(sources) => sources.iter().collect(),
            None => vec![&spec["source"]],
        };
        for source in sources {
            if let Some(dir) = source["path"].as_str() {
                let found = self.to_tree(dir).is_some_and(|tree_dir| {
                    let prefix = format!("{tree_dir}/");
                    self.rendered.files.keys().any(|p| p.starts_with(&prefix))
                });
                if !found {
                    errors.push(ReferenceError {
                        path: path.to_owned(),
                        detail: format!("points at `{dir}`, which lgtmc does not render"),
                    });
                }
            }
            for values in source["helm"]["valueFiles"]
                .as_array()
                .into_iter()
                .flatten()
            {
                self.values_file(path, values.as_str().unwrap_or_default(), namespace, errors);
            }
        }
    }

    /// A values file an Application reads is rendered, and every Secret and ConfigMap the chart
    /// reads from a claim is one a claim in the Application's namespace creates.
    fn values_file(
        &self,
        path: &str,
        file: &str,
        namespace: &str,
        errors: &mut Vec<ReferenceError>,
    ) {
        let file = file.strip_prefix("$values/").unwrap_or(file);
        let Some(tree_file) = self
            .to_tree(file)
            .filter(|f| self.rendered.files.contains_key(f))
        else {
            errors.push(ReferenceError {
                path: path.to_owned(),
                detail: format!("reads values `{file}`, which lgtmc does not render"),
            });
            return;
        };
        for reference in env_from_names(self.tree.documents(&tree_file)) {
            if !self
                .claims
                .iter()
                .any(|(name, ns)| *name == reference && *ns == namespace)
            {
                errors.push(ReferenceError {
                    path: tree_file.clone(),
                    detail: format!("reads Secret or ConfigMap `{reference}` in namespace `{namespace}`, which no bucket claim creates"),
                });
            }
        }
    }
}

/// The names in every `secretRef`/`configMapRef` of an `extraEnvFrom` list, anywhere in values.
fn env_from_names(documents: &[Value]) -> Vec<&str> {
    fn walk<'a>(value: &'a Value, inside_env_from: bool, names: &mut Vec<&'a str>) {
        match value {
            Value::Object(map) => {
                for (key, child) in map {
                    if inside_env_from
                        && matches!(key.as_str(), "secretRef" | "configMapRef")
                        && let Some(name) = child["name"].as_str()
                    {
                        names.push(name);
                    }
                    walk(child, inside_env_from || key == "extraEnvFrom", names);
                }
            }
            Value::Array(items) => items
                .iter()
                .for_each(|item| walk(item, inside_env_from, names)),
            _ => {}
        }
    }
    let mut names = Vec::new();
    documents
        .iter()
        .for_each(|document| walk(document, false, &mut names));
    names.sort_unstable();
    names.dedup();
    names
}
