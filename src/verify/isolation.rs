//! Stage 6, verify (Grafana): tenant isolation of the rendered provisioning files.
//!
//! Reads what was rendered, not the plan, so that a template (ours or a `--templates` override)
//! cannot break isolation unnoticed:
//!
//! - each tenant's data source file defines only data sources that send that tenant's
//!   `X-Scope-OrgID`, and every link between data sources stays within the tenant;
//! - every dashboard in a tenant's folder is JSON with a `schemaVersion`, names every data
//!   source by uid (never the default, never by name, never through a data source variable), and
//!   names only that tenant's;
//! - every alert rule queries only data sources of the tenant whose folder holds it.
//!
//! A failure is a template bug (exit 3): the message names the file, the dashboard or rule, the
//! tenant and the offending uid.

use std::collections::{BTreeMap, BTreeSet};

use miette::Diagnostic;
use serde_json::Value;

use super::ParsedTree;
use crate::plan::EnvironmentPlan;
use crate::plan::grafana::{EXPRESSION_DATASOURCE, PROVISIONING_DIR};
use crate::render::Rendered;

/// The header that carries the tenant, and the only one a data source may send it in.
const TENANT_HEADER: &str = "X-Scope-OrgID";
/// Grafana's own pseudo data sources, which read no tenant's data.
const BUILT_IN: [&str; 4] = [
    EXPRESSION_DATASOURCE,
    "-- Dashboard --",
    "-- Grafana --",
    "grafana",
];

#[derive(Debug, thiserror::Error)]
#[error("{message}")]
pub struct IsolationError {
    /// The rendered file, below `out/`.
    pub path: String,
    pub template: String,
    pub message: String,
    pub help: String,
}

impl Diagnostic for IsolationError {
    fn help<'a>(&'a self) -> Option<Box<dyn std::fmt::Display + 'a>> {
        Some(Box::new(format!(
            "{}; `out/{}` comes from template `{}`: this is a template bug",
            self.help, self.path, self.template
        )))
    }
}

/// Checks the Grafana provisioning of every environment, as parsed by `verify` (a file that did
/// not parse is skipped: `verify` reports it); returns every breach.
pub fn check(
    plans: &[EnvironmentPlan],
    rendered: &Rendered,
    tree: &ParsedTree,
) -> Result<(), Vec<IsolationError>> {
    let mut errors = Vec::new();
    for plan in plans {
        let prefix = format!("{}/{PROVISIONING_DIR}/", plan.environment);
        let files: Vec<(&str, &str)> = rendered
            .files
            .range(prefix.clone()..)
            .take_while(|(path, _)| path.starts_with(&prefix))
            .map(|(path, _)| (path.as_str(), &path[prefix.len()..]))
            .collect();
        let mut checker = Checker {
            rendered,
            tree,
            owners: BTreeMap::new(),
            errors: &mut errors,
        };
        checker.provisioning(&files);
    }
    if errors.is_empty() {
        Ok(())
    } else {
        Err(errors)
    }
}

struct Checker<'a> {
    rendered: &'a Rendered,
    tree: &'a ParsedTree,
    /// Data source uid → the tenant whose file defines it.
    owners: BTreeMap<String, String>,
    errors: &'a mut Vec<IsolationError>,
}

impl<'a> Checker<'a> {
    /// Every provisioning file of one environment, (path, path below the provisioning
    /// directory): the data sources first, so that references can be checked against all.
    fn provisioning(&mut self, files: &[(&str, &str)]) {
        self.datasources(files);
        for (path, relative) in files {
            let mut parts = relative.split('/');
            match (parts.next(), parts.next(), parts.next()) {
                (Some("dashboards"), Some(tenant), Some(_)) => self.dashboard(path, tenant),
                (Some("alerting"), Some(_), None) => self.alerting(path),
                _ => {}
            }
        }
    }

    fn fail(&mut self, path: &str, message: String, help: String) {
        self.errors.push(IsolationError {
            path: path.to_owned(),
            template: self
                .rendered
                .templates
                .get(path)
                .cloned()
                .unwrap_or_default(),
            message,
            help,
        });
    }

    /// The uids of a tenant's data sources, for help texts.
    fn owned_by(&self, tenant: &str) -> String {
        let uids: Vec<String> = self
            .owners
            .iter()
            .filter(|(_, owner)| owner.as_str() == tenant)
            .map(|(uid, _)| format!("`{uid}`"))
            .collect();
        if uids.is_empty() {
            "none".to_owned()
        } else {
            uids.join(", ")
        }
    }

    /// Registers every data source (so that references can be checked against all of them),
    /// then checks each one's tenant header and links.
    fn datasources(&mut self, files: &[(&str, &str)]) {
        let mut parsed = Vec::new();
        for (path, relative) in files {
            let Some(file) = relative.strip_prefix("datasources/") else {
                continue;
            };
            let tenant = file.strip_suffix(".yaml").unwrap_or(file);
            let Some(document) = self.yaml(path) else {
                continue;
            };
            self.api_version(path, document);
            let sources = document.get("datasources").and_then(Value::as_array);
            for source in sources.into_iter().flatten() {
                let Some(uid) = source.get("uid").and_then(Value::as_str) else {
                    self.fail(
                        path,
                        format!("a data source of tenant `{tenant}` has no uid"),
                        "dashboards, links and alert rules name data sources by uid".to_owned(),
                    );
                    continue;
                };
                if let Some(owner) = self.owners.insert(uid.to_owned(), tenant.to_owned()) {
                    self.fail(
                        path,
                        format!("data source `{uid}` of tenant `{tenant}` is defined twice (also by tenant `{owner}`)"),
                        "each uid names exactly one data source".to_owned(),
                    );
                }
                parsed.push((*path, tenant, uid, source));
            }
        }
        for (path, tenant, uid, source) in parsed {
            self.tenant_header(path, tenant, uid, source);
            let what = format!("data source `{uid}` of tenant `{tenant}`");
            self.references(path, &what, tenant, source, &mut Vec::new());
        }
    }

    /// A data source sends its own tenant's id, and nothing else, in `X-Scope-OrgID`.
    fn tenant_header(&mut self, path: &str, tenant: &str, uid: &str, source: &Value) {
        let header = source
            .pointer("/jsonData/httpHeaderName1")
            .and_then(Value::as_str);
        let value = source
            .pointer("/secureJsonData/httpHeaderValue1")
            .and_then(Value::as_str);
        if header != Some(TENANT_HEADER) || value != Some(tenant) {
            self.fail(
                path,
                format!(
                    "data source `{uid}` of tenant `{tenant}` does not send `{TENANT_HEADER}: {tenant}` (it sends {})",
                    match (header, value) {
                        (Some(name), Some(value)) => format!("`{name}: {value}`"),
                        _ => "no tenant header".to_owned(),
                    }
                ),
                format!(
                    "set `jsonData.httpHeaderName1: {TENANT_HEADER}` and `secureJsonData.httpHeaderValue1: {tenant}`: one tenant, never a federated `a|b`"
                ),
            );
        }
    }

    fn dashboard(&mut self, path: &str, tenant: &str) {
        let tree = self.tree;
        let Some(dashboard) = tree.json(path) else {
            return;
        };
        let title = dashboard
            .get("title")
            .and_then(Value::as_str)
            .unwrap_or("(untitled)");
        let what = format!("dashboard `{title}` in the folder of tenant `{tenant}`");
        if !dashboard.get("schemaVersion").is_some_and(Value::is_u64) {
            self.fail(
                path,
                format!("{what} has no `schemaVersion`"),
                "Grafana needs a numeric `schemaVersion` to migrate a dashboard".to_owned(),
            );
        }
        if !dashboard.get("uid").is_some_and(Value::is_string) {
            self.fail(
                path,
                format!("{what} has no `uid`"),
                "a provisioned dashboard needs a stable uid".to_owned(),
            );
        }
        let variables = dashboard
            .pointer("/templating/list")
            .and_then(Value::as_array);
        for variable in variables.into_iter().flatten() {
            if variable.get("type").and_then(Value::as_str) == Some("datasource") {
                let name = variable.get("name").and_then(Value::as_str).unwrap_or("");
                self.fail(
                    path,
                    format!("{what} has a data source variable `{name}`"),
                    "a data source variable lets a viewer switch the dashboard to another tenant's data; name the tenant's data sources by uid".to_owned(),
                );
            }
        }
        self.references(path, &what, tenant, dashboard, &mut Vec::new());
    }

    fn alerting(&mut self, path: &str) {
        let Some(document) = self.yaml(path) else {
            return;
        };
        self.api_version(path, document);
        let groups = document.get("groups").and_then(Value::as_array);
        let tenants: BTreeSet<String> = self.owners.values().cloned().collect();
        for (index, group) in groups.into_iter().flatten().enumerate() {
            let name = group.get("name").and_then(Value::as_str).unwrap_or("");
            let Some(folder) = group.get("folder").and_then(Value::as_str) else {
                continue;
            };
            if !tenants.contains(folder) {
                self.fail(
                    path,
                    format!(
                        "alert rule group `{name}` is in folder `{folder}`, which is no tenant's"
                    ),
                    "alert rules live in a tenant's folder and query that tenant's data sources"
                        .to_owned(),
                );
                continue;
            }
            let what = format!("alert rule group `{name}` in the folder of tenant `{folder}`");
            let mut steps = vec![Step::Key("groups"), Step::Index(index)];
            self.references(path, &what, folder, group, &mut steps);
        }
    }

    /// Checks every data source reference below `value` (at `steps` in its file), which
    /// belongs to `tenant`: `datasource: {uid}`, `datasource: "<name>"`, `datasourceUid:
    /// "<uid>"`, and a query (an object with `targets`) without a `datasource`. The JSON
    /// pointer of a reference is written only for a message.
    fn references(
        &mut self,
        path: &str,
        what: &str,
        tenant: &str,
        value: &'a Value,
        steps: &mut Vec<Step<'a>>,
    ) {
        match value {
            Value::Object(object) => {
                if object.contains_key("targets") && !object.contains_key("datasource") {
                    self.reference(path, what, tenant, steps, &Reference::Default);
                }
                for (key, child) in object {
                    steps.push(Step::Key(key));
                    if let Some(reference) = Reference::of(key, child) {
                        self.reference(path, what, tenant, steps, &reference);
                    }
                    self.references(path, what, tenant, child, steps);
                    steps.pop();
                }
            }
            Value::Array(items) => {
                for (index, item) in items.iter().enumerate() {
                    steps.push(Step::Index(index));
                    self.references(path, what, tenant, item, steps);
                    steps.pop();
                }
            }
            _ => {}
        }
    }

    /// Checks one reference found at `steps` in the file of `what`, which belongs to `tenant`.
    fn reference(
        &mut self,
        path: &str,
        what: &str,
        tenant: &str,
        steps: &[Step<'_>],
        reference: &Reference<'_>,
    ) {
        let uid = match reference {
            Reference::Uid(uid) => *uid,
            Reference::Default => {
                self.fail(
                    path,
                    format!(
                        "{what} uses the default data source (at `{}`)",
                        pointer(steps)
                    ),
                    format!(
                        "name one of tenant `{tenant}`'s data sources by uid: {}",
                        self.owned_by(tenant)
                    ),
                );
                return;
            }
            Reference::Name(name) => {
                self.fail(
                    path,
                    format!(
                        "{what} names data source `{name}` by name (at `{}`)",
                        pointer(steps)
                    ),
                    format!(
                        "name one of tenant `{tenant}`'s data sources by uid: {}",
                        self.owned_by(tenant)
                    ),
                );
                return;
            }
        };
        if BUILT_IN.contains(&uid) {
            return;
        }
        match self.owners.get(uid).cloned() {
            Some(owner) if owner == tenant => {}
            Some(owner) => self.fail(
                path,
                format!(
                    "{what} queries data source `{uid}` of tenant `{owner}` (at `{}`)",
                    pointer(steps)
                ),
                format!(
                    "a tenant's folder may query only that tenant's data sources ({})",
                    self.owned_by(tenant)
                ),
            ),
            None => self.fail(
                path,
                format!(
                    "{what} queries data source `{uid}`, which does not exist (at `{}`)",
                    pointer(steps)
                ),
                format!(
                    "tenant `{tenant}`'s data sources are {}",
                    self.owned_by(tenant)
                ),
            ),
        }
    }

    /// The one document of a provisioning file, as `verify` parsed it; `None` when it did not
    /// parse (`verify` reports it).
    fn yaml(&mut self, path: &str) -> Option<&'a Value> {
        let tree = self.tree;
        // An empty file is one empty document, as Grafana reads it.
        static EMPTY: Value = Value::Null;
        match tree.documents(path) {
            [] if tree.get(path).is_none() => None,
            [] => Some(&EMPTY),
            [document] => Some(document),
            _ => {
                self.fail(
                    path,
                    format!("provisioning file `{path}` is not one YAML document"),
                    "a provisioning file is one YAML document".to_owned(),
                );
                None
            }
        }
    }

    fn api_version(&mut self, path: &str, document: &Value) {
        if document.get("apiVersion").and_then(Value::as_u64) != Some(1) {
            self.fail(
                path,
                format!("provisioning file `{path}` does not say `apiVersion: 1`"),
                "Grafana reads provisioning files of apiVersion 1".to_owned(),
            );
        }
    }
}

/// How a panel, target, link or rule picks its data source.
#[derive(Debug, PartialEq, Eq)]
enum Reference<'a> {
    Uid(&'a str),
    /// By its name (a string `datasource`), which another tenant's data source could take.
    Name(&'a str),
    /// None at all: Grafana's default data source, which may be any tenant's.
    Default,
}

impl<'a> Reference<'a> {
    /// The reference a key and its value make, if they make one.
    fn of(key: &str, value: &'a Value) -> Option<Reference<'a>> {
        match (key, value) {
            ("datasource", Value::Object(source)) => Some(
                source
                    .get("uid")
                    .and_then(Value::as_str)
                    .map_or(Reference::Default, Reference::Uid),
            ),
            ("datasource", Value::String(name)) => Some(Reference::Name(name)),
            ("datasource", Value::Null) => Some(Reference::Default),
            ("datasourceUid", Value::String(uid)) => Some(Reference::Uid(uid)),
            _ => None,
        }
    }
}

/// One step of the path from a file's root to a value.
#[derive(Clone, Copy, Debug)]
enum Step<'a> {
    Key(&'a str),
    Index(usize),
}

/// The JSON pointer of a path: `/panels/0/datasource`.
fn pointer(steps: &[Step<'_>]) -> String {
    let mut pointer = String::new();
    for step in steps {
        pointer.push('/');
        match step {
            Step::Key(key) => pointer.push_str(&key.replace('~', "~0").replace('/', "~1")),
            Step::Index(index) => pointer.push_str(&index.to_string()),
        }
    }
    pointer
}

#[cfg(test)]
mod tests;
