//! The references between rendered files (`verify::cross_check`): every kustomization resource
//! exists, every Application path and values file is rendered, every Secret or ConfigMap a
//! backend reads is created by a bucket claim in its namespace. `References` keeps what these
//! checks need of each parsed file as it is visited; a file that did not parse is not visited.

use std::collections::{BTreeMap, HashMap};

use serde_json::Value;

use super::{EnvironmentDir, ReferenceError};
use crate::format::Parsed;
use crate::render::Rendered;

/// What the cross-checks need of the parsed files, gathered file by file as `verify::stream`
/// hands them over (nothing else of a file is kept): every kustomization's resources, every
/// environment's Applications and bucket claims, and the Secrets and ConfigMaps each values
/// file reads through `extraEnvFrom`. `finish` checks them against the rendered paths.
pub struct References<'r> {
    rendered: &'r Rendered,
    environments: Vec<EnvironmentDir>,
    /// A kustomization's path → the resources it lists.
    kustomizations: BTreeMap<String, Vec<String>>,
    /// An Argo CD file of an environment's → its documents.
    applications: BTreeMap<String, Vec<Value>>,
    /// Per environment: every bucket claim (name, namespace); each creates a Secret and a
    /// ConfigMap of its name.
    claims: HashMap<String, Vec<(String, String)>>,
    /// A YAML file → the names its `extraEnvFrom` lists read.
    env_from: HashMap<String, Vec<String>>,
}

impl<'r> References<'r> {
    pub fn new(rendered: &'r Rendered, environments: Vec<EnvironmentDir>) -> References<'r> {
        References {
            rendered,
            environments,
            kustomizations: BTreeMap::new(),
            applications: BTreeMap::new(),
            claims: HashMap::new(),
            env_from: HashMap::new(),
        }
    }

    /// Keeps what the checks need of one parsed file.
    pub fn visit(&mut self, path: &str, parsed: &Parsed) {
        let Parsed::Yaml(documents) = parsed else {
            return;
        };
        if path.ends_with("kustomization.yaml") {
            let resources = documents
                .iter()
                .flat_map(|document| document["resources"].as_array().into_iter().flatten())
                .map(|resource| resource.as_str().unwrap_or_default().to_owned())
                .collect();
            self.kustomizations.insert(path.to_owned(), resources);
        }
        let Some((environment, relative)) = path.split_once('/') else {
            return;
        };
        if !self
            .environments
            .iter()
            .any(|e| e.environment == environment)
        {
            return;
        }
        if relative.starts_with("argocd/") {
            self.applications.insert(path.to_owned(), documents.clone());
        } else if relative == "buckets/claims.yaml" {
            let claims = documents.iter().map(|claim| {
                let text = |key: &str| claim["metadata"][key].as_str().unwrap_or_default();
                (text("name").to_owned(), text("namespace").to_owned())
            });
            self.claims.insert(environment.to_owned(), claims.collect());
        }
        // Walking every document for `extraEnvFrom` costs more than looking for the word.
        let text = self.rendered.files.get(path).map_or("", |text| &**text);
        if text.contains("extraEnvFrom") {
            let names = env_from_names(documents).into_iter().map(str::to_owned);
            self.env_from.insert(path.to_owned(), names.collect());
        }
    }

    /// Checks what was kept; returns every reference that does not resolve.
    pub fn finish(self) -> Result<(), Vec<ReferenceError>> {
        let mut errors = self.kustomization_errors();
        for environment in &self.environments {
            let check = Environment {
                rendered: self.rendered,
                env_from: &self.env_from,
                dir: environment,
                claims: self
                    .claims
                    .get(&environment.environment)
                    .map_or(&[], Vec::as_slice),
            };
            let argocd = format!("{}/argocd/", environment.environment);
            let files = self.applications.range(argocd.clone()..);
            for (path, documents) in files.take_while(|(path, _)| path.starts_with(&argocd)) {
                for application in documents {
                    if matches!(
                        application["kind"].as_str(),
                        Some("Application" | "ApplicationSet")
                    ) {
                        check.application(path, application, &mut errors);
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

    /// Every resource a `kustomization.yaml` lists is a rendered file or a directory with its
    /// own kustomization.
    fn kustomization_errors(&self) -> Vec<ReferenceError> {
        let files = &self.rendered.files;
        let mut errors = Vec::new();
        for (path, resources) in &self.kustomizations {
            let dir = path.strip_suffix("kustomization.yaml").unwrap_or_default();
            for resource in resources {
                let target = format!("{dir}{resource}");
                let exists = files.contains_key(&target)
                    || files.contains_key(&format!("{target}/kustomization.yaml"));
                if !exists {
                    errors.push(ReferenceError {
                        path: path.clone(),
                        detail: format!("lists resource `{resource}`, which is not rendered"),
                    });
                }
            }
        }
        errors
    }
}

struct Environment<'a> {
    rendered: &'a Rendered,
    env_from: &'a HashMap<String, Vec<String>>,
    dir: &'a EnvironmentDir,
    /// Every bucket claim: (name, namespace); each creates a Secret and a ConfigMap of its name.
    claims: &'a [(String, String)],
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
        let names = self.env_from.get(&tree_file).map_or(&[][..], Vec::as_slice);
        for reference in names {
            if !self
                .claims
                .iter()
                .any(|(name, ns)| name == reference && ns == namespace)
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
