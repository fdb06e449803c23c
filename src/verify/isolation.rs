//! Stage 6, verify (Grafana): tenant isolation of the rendered provisioning files.
//!
//! Reads what was rendered, not the plan, so that a template (ours or a `--templates` override)
//! cannot break isolation unnoticed:
//!
//! - each tenant's data source file defines only data sources that send that tenant's
//!   `X-Scope-OrgID`, and every link between data sources stays within the tenant;
//! - every dashboard in a tenant's folder (`dashboards/<tenant>.<file>`) is JSON with a
//!   `schemaVersion`, names every data source by uid (never the default, never by name, never
//!   through a data source variable), and names only that tenant's;
//! - every alert rule queries only data sources of the tenant whose folder holds it.
//!
//! A failure is a template bug (exit 3): the message names the file, the dashboard or rule, the
//! tenant and the offending uid.

use std::collections::{BTreeMap, HashMap};
use std::fmt;

use miette::Diagnostic;
use serde_json::Value;

use super::ParsedTree;
use crate::format::Parsed;
use crate::plan::grafana::{EXPRESSION_DATASOURCE, PROVISIONING_DIR, dashboard_tenant};
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

/// Data source uid → the tenant whose file defines it, in one environment. Looked up for every
/// reference of every dashboard (thousands of uids at thousands of tenants): hashed, and sorted
/// only for a help text.
type Owners = HashMap<String, String, foldhash::fast::FixedState>;

/// Tenant isolation, checked file by file as `verify::stream` hands the parses over: data
/// source files first (`checks_first`), so that every uid has its owner before a dashboard or a
/// rule names it. A reference that is not the tenant's own (rare: it is a breach, or a link to
/// a data source defined later) is kept and judged by `finish`, when every data source is known;
/// nothing else of a file is kept.
pub struct Isolation<'r> {
    rendered: &'r Rendered,
    /// The environments checked, in promotion order.
    environments: Vec<String>,
    /// Per environment checked: data source uid → the tenant whose file defines it.
    owners: BTreeMap<String, Owners>,
    deferred: Vec<Deferred>,
    errors: Vec<IsolationError>,
}

/// A reference judged at the end: where it is, what holds it, and what it names.
struct Deferred {
    environment: String,
    path: String,
    what: String,
    tenant: String,
    pointer: String,
    reference: OwnedReference,
}

enum OwnedReference {
    Uid(String),
    Name(String),
    Default,
}

impl<'r> Isolation<'r> {
    /// Checks the Grafana provisioning of these environments' directories.
    pub fn new(rendered: &'r Rendered, environments: &[String]) -> Isolation<'r> {
        Isolation {
            rendered,
            environments: environments.to_vec(),
            owners: environments
                .iter()
                .map(|environment| (environment.clone(), Owners::default()))
                .collect(),
            deferred: Vec::new(),
            errors: Vec::new(),
        }
    }

    /// Whether a file must be visited before the others: a tenant's data source file.
    pub fn checks_first(path: &str) -> bool {
        provisioning_path(path).is_some_and(|(_, relative)| relative.starts_with("datasources/"))
    }

    /// Checks one parsed file; files outside the provisioning directories are ignored.
    pub fn visit(&mut self, path: &str, parsed: &Parsed) {
        let Some((environment, relative)) = provisioning_path(path) else {
            return;
        };
        let Some(owners) = self.owners.get_mut(environment) else {
            return;
        };
        let mut checker = Checker {
            rendered: self.rendered,
            environment,
            owners,
            deferred: &mut self.deferred,
            errors: &mut self.errors,
        };
        if let Some(tenant) = dashboard_tenant(relative) {
            return checker.dashboard(path, tenant, parsed);
        }
        let mut parts = relative.split('/');
        match (parts.next(), parts.next(), parts.next()) {
            (Some("datasources"), Some(file), None) => checker.datasources(path, file, parsed),
            (Some("alerting"), Some(_), None) => checker.alerting(path, parsed),
            _ => {}
        }
    }

    /// Judges the references kept, and returns every breach, in path order.
    pub fn finish(mut self) -> Result<(), Vec<IsolationError>> {
        for deferred in std::mem::take(&mut self.deferred) {
            let owners = &self.owners[&deferred.environment];
            if let Some(error) = judge(self.rendered, owners, &deferred) {
                self.errors.push(error);
            }
        }
        if self.errors.is_empty() {
            Ok(())
        } else {
            // As a reader goes: environment by environment in promotion order, the data
            // source files first, then by path.
            self.errors.sort_by_cached_key(|error| {
                let environment =
                    provisioning_path(&error.path).map(|(environment, _)| environment);
                let rank = self
                    .environments
                    .iter()
                    .position(|e| Some(e.as_str()) == environment);
                (
                    rank,
                    !Isolation::checks_first(&error.path),
                    error.path.clone(),
                )
            });
            Err(self.errors)
        }
    }
}

/// Checks the Grafana provisioning of `environments` in a tree parsed whole (`verify::verify`).
pub fn check(
    rendered: &Rendered,
    tree: &ParsedTree,
    environments: &[String],
) -> Result<(), Vec<IsolationError>> {
    let mut isolation = Isolation::new(rendered, environments);
    let (first, rest): (Vec<_>, Vec<_>) = tree
        .files()
        .partition(|(path, _)| Isolation::checks_first(path));
    for (path, parsed) in first.into_iter().chain(rest) {
        isolation.visit(path, parsed);
    }
    isolation.finish()
}

/// `(environment, path below its provisioning directory)` of a provisioning file.
fn provisioning_path(path: &str) -> Option<(&str, &str)> {
    let (environment, rest) = path.split_once('/')?;
    let relative = rest.strip_prefix(PROVISIONING_DIR)?.strip_prefix('/')?;
    Some((environment, relative))
}

/// The breach a kept reference is, now that every data source is known; `None` when it names
/// one of its tenant's own after all.
fn judge(rendered: &Rendered, owners: &Owners, deferred: &Deferred) -> Option<IsolationError> {
    let Deferred {
        path,
        what,
        tenant,
        pointer,
        ..
    } = deferred;
    let owned_by = || owned_by(owners, tenant);
    let (message, help) = match &deferred.reference {
        OwnedReference::Default => (
            format!("{what} uses the default data source (at `{pointer}`)"),
            format!(
                "name one of tenant `{tenant}`'s data sources by uid: {}",
                owned_by()
            ),
        ),
        OwnedReference::Name(name) => (
            format!("{what} names data source `{name}` by name (at `{pointer}`)"),
            format!(
                "name one of tenant `{tenant}`'s data sources by uid: {}",
                owned_by()
            ),
        ),
        OwnedReference::Uid(uid) => match owners.get(uid) {
            Some(owner) if owner == tenant => return None,
            Some(owner) => (
                format!("{what} queries data source `{uid}` of tenant `{owner}` (at `{pointer}`)"),
                format!(
                    "a tenant's folder may query only that tenant's data sources ({})",
                    owned_by()
                ),
            ),
            None => (
                format!(
                    "{what} queries data source `{uid}`, which does not exist (at `{pointer}`)"
                ),
                format!("tenant `{tenant}`'s data sources are {}", owned_by()),
            ),
        },
    };
    Some(IsolationError {
        path: path.clone(),
        template: rendered.templates.get(path).cloned().unwrap_or_default(),
        message,
        help,
    })
}

/// The uids of a tenant's data sources, for help texts.
fn owned_by(owners: &Owners, tenant: &str) -> String {
    let mut uids: Vec<String> = owners
        .iter()
        .filter(|(_, owner)| owner.as_str() == tenant)
        .map(|(uid, _)| format!("`{uid}`"))
        .collect();
    uids.sort_unstable();
    if uids.is_empty() {
        "none".to_owned()
    } else {
        uids.join(", ")
    }
}

/// The checks of one file of one environment.
struct Checker<'c> {
    rendered: &'c Rendered,
    environment: &'c str,
    owners: &'c mut Owners,
    deferred: &'c mut Vec<Deferred>,
    errors: &'c mut Vec<IsolationError>,
}

impl Checker<'_> {
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

    /// Registers the data sources of one tenant's file (so that references can be checked
    /// against them), then checks each one's tenant header and links.
    fn datasources(&mut self, path: &str, file: &str, parsed: &Parsed) {
        let tenant = file.strip_suffix(".yaml").unwrap_or(file);
        let Some(document) = self.yaml(path, parsed) else {
            return;
        };
        self.api_version(path, document);
        let sources = document.get("datasources").and_then(Value::as_array);
        let mut registered = Vec::new();
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
            registered.push((uid, source));
        }
        for (uid, source) in registered {
            self.tenant_header(path, tenant, uid, source);
            let what = What::DataSource { uid, tenant };
            self.references(path, &what, tenant, source, &mut Vec::new());
        }
    }

    /// A data source sends its own tenant's id, and nothing else, in `X-Scope-OrgID`.
    fn tenant_header(&mut self, path: &str, tenant: &str, uid: &str, source: &Value) {
        // `get` rather than `pointer`, which copies every token of its path.
        let header = (source.get("jsonData"))
            .and_then(|data| data.get("httpHeaderName1"))
            .and_then(Value::as_str);
        let value = (source.get("secureJsonData"))
            .and_then(|data| data.get("httpHeaderValue1"))
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

    fn dashboard(&mut self, path: &str, tenant: &str, parsed: &Parsed) {
        let Parsed::Json(dashboard) = parsed else {
            return;
        };
        let title = dashboard
            .get("title")
            .and_then(Value::as_str)
            .unwrap_or("(untitled)");
        let what = What::Dashboard { title, tenant };
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
        let variables = (dashboard.get("templating"))
            .and_then(|templating| templating.get("list"))
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

    fn alerting(&mut self, path: &str, parsed: &Parsed) {
        let Some(document) = self.yaml(path, parsed) else {
            return;
        };
        self.api_version(path, document);
        let groups = document.get("groups").and_then(Value::as_array);
        for (index, group) in groups.into_iter().flatten().enumerate() {
            let name = group.get("name").and_then(Value::as_str).unwrap_or("");
            let Some(folder) = group.get("folder").and_then(Value::as_str) else {
                continue;
            };
            // A folder is a tenant's when the tenant has a data source. A scan per group (a few
            // per file): copying thousands of tenant ids into a set cost more than the rest of
            // the file's checks.
            if !self.owners.values().any(|owner| owner == folder) {
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
            let what = What::RuleGroup { name, folder };
            let mut steps = vec![Step::Key("groups"), Step::Index(index)];
            self.references(path, &what, folder, group, &mut steps);
        }
    }

    /// Checks every data source reference below `value` (at `steps` in its file), which
    /// belongs to `tenant`: `datasource: {uid}`, `datasource: "<name>"`, `datasourceUid:
    /// "<uid>"`, and a query (an object with `targets`) without a `datasource`. The JSON
    /// pointer of a reference is written only for a message.
    fn references<'v>(
        &mut self,
        path: &str,
        what: &What<'_>,
        tenant: &str,
        value: &'v Value,
        steps: &mut Vec<Step<'v>>,
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

    /// Checks one reference found at `steps` in the file of `what`, which belongs to `tenant`:
    /// a uid of the tenant's own passes; anything else is kept for `Isolation::finish` to judge.
    fn reference(
        &mut self,
        path: &str,
        what: &What<'_>,
        tenant: &str,
        steps: &[Step<'_>],
        reference: &Reference<'_>,
    ) {
        let reference = match reference {
            Reference::Uid(uid)
                if BUILT_IN.contains(uid)
                    || self.owners.get(*uid).is_some_and(|owner| owner == tenant) =>
            {
                return;
            }
            Reference::Uid(uid) => OwnedReference::Uid((*uid).to_owned()),
            Reference::Name(name) => OwnedReference::Name((*name).to_owned()),
            Reference::Default => OwnedReference::Default,
        };
        self.deferred.push(Deferred {
            environment: self.environment.to_owned(),
            path: path.to_owned(),
            what: what.to_string(),
            tenant: tenant.to_owned(),
            pointer: pointer(steps),
            reference,
        });
    }

    /// The one document of a provisioning file, as `verify` parsed it; `None` when it did not
    /// parse (`verify` reports it).
    fn yaml<'p>(&mut self, path: &str, parsed: &'p Parsed) -> Option<&'p Value> {
        // An empty file is one empty document, as Grafana reads it.
        static EMPTY: Value = Value::Null;
        match parsed {
            Parsed::Yaml(documents) => match documents.as_slice() {
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
            },
            _ => None,
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

/// What holds a reference, for messages: written out only when a check fails or keeps the
/// reference (every data source and dashboard of every tenant is checked).
enum What<'a> {
    DataSource { uid: &'a str, tenant: &'a str },
    Dashboard { title: &'a str, tenant: &'a str },
    RuleGroup { name: &'a str, folder: &'a str },
}

impl fmt::Display for What<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            What::DataSource { uid, tenant } => {
                write!(f, "data source `{uid}` of tenant `{tenant}`")
            }
            What::Dashboard { title, tenant } => {
                write!(f, "dashboard `{title}` in the folder of tenant `{tenant}`")
            }
            What::RuleGroup { name, folder } => {
                write!(
                    f,
                    "alert rule group `{name}` in the folder of tenant `{folder}`"
                )
            }
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
