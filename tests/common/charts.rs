//! The real upstream Helm charts, for tests that check what a chart does with the rendered values
//! (not only that the value paths exist). The charts live in `../shared/reference/helm-charts/`
//! (`<chart>-<version>`), and `../shared/tools/helm-template` renders one with real Helm v4
//! (PyPI `helm-python-sdk`); `kubernetes-validate --strict` (PyPI) checks the built-in kinds.
//!
//! Which chart, version, release name and namespace to render comes from the rendered Argo CD
//! Applications under `out/<env>/argocd/`, as Argo CD would read them, never from constants here.

use std::collections::HashMap;
use std::fmt::Write as _;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::{Arc, Mutex, OnceLock};

use serde_json::Value;

use super::{read, shared_reference, skipped};

/// The Kubernetes version the built-in kinds are validated against.
pub(crate) const KUBERNETES_VERSION: &str = "1.37.0";

const INSTALL_HINT: &str =
    "install them with `python3 -m pip install helm-python-sdk kubernetes-validate pyyaml`";

/// One Helm-chart Application of one environment: what Argo CD installs.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct ChartRelease {
    pub env: String,
    /// The Application's name without the environment suffix (`loki` for `loki-dev`).
    pub component: String,
    pub chart: String,
    pub version: String,
    pub release: String,
    pub namespace: String,
    /// The values file the Application names, resolved in the rendered tree.
    pub values: PathBuf,
}

impl ChartRelease {
    /// `loki 18.11.0 (dev)`, for messages.
    pub(crate) fn label(&self) -> String {
        format!("{} {} ({})", self.chart, self.version, self.env)
    }
}

/// The upstream chart directories: `<reference>/helm-charts`.
pub(crate) fn charts_dir() -> Option<PathBuf> {
    shared_reference().map(|reference| reference.join("helm-charts"))
}

/// `helm-template`, beside the reference directory (`../shared/tools/`).
fn helm_template() -> Option<PathBuf> {
    let reference = shared_reference()?;
    Some(reference.parent()?.join("tools/helm-template"))
}

/// Whether the charts, `helm-template` and its Python packages and `kubernetes-validate` are all
/// here. Without them the test prints SKIPPED with the reason; under `LGTMC_REQUIRE_TOOLS` (or
/// `LGTMC_REQUIRE_REFERENCE`, for the charts themselves) it fails instead.
pub(crate) fn tools_available() -> bool {
    static AVAILABLE: OnceLock<Result<(), String>> = OnceLock::new();
    let Some(charts) = charts_dir() else {
        // shared_reference already said why, or failed under LGTMC_REQUIRE_REFERENCE.
        return false;
    };
    let found = AVAILABLE.get_or_init(|| missing_tools(&charts));
    match found {
        Ok(()) => true,
        Err(why) if why.starts_with("the reference") => {
            if std::env::var_os("LGTMC_REQUIRE_REFERENCE").is_some() {
                panic!("{why}, and LGTMC_REQUIRE_REFERENCE says these tests must run (CI)");
            }
            skipped(
                "the upstream charts of the shared reference",
                "set LGTMC_REFERENCE_DIR to a copy of the shared reference; no network needed",
                &format!("{why}; the real-chart tests did not run"),
            );
            false
        }
        Err(why) => {
            if std::env::var_os("LGTMC_REQUIRE_TOOLS").is_some() {
                panic!(
                    "{why}, and LGTMC_REQUIRE_TOOLS says these tests must run (CI); {INSTALL_HINT}"
                );
            }
            skipped(
                "helm-python-sdk and kubernetes-validate",
                INSTALL_HINT,
                &format!("{why}; the real-chart tests did not run ({INSTALL_HINT})"),
            );
            false
        }
    }
}

fn missing_tools(charts: &Path) -> Result<(), String> {
    if !charts.is_dir() {
        return Err(format!(
            "the reference has no upstream charts: {} is absent",
            charts.display()
        ));
    }
    let helm_template = helm_template().unwrap_or_default();
    if !helm_template.is_file() {
        return Err(format!("{} is absent", helm_template.display()));
    }
    let imports = Command::new("python3")
        .args(["-c", "import helm_python, yaml"])
        .output()
        .map_err(|e| format!("python3 does not run: {e}"))?;
    if !imports.status.success() {
        return Err(format!(
            "python3 cannot import helm_python and yaml: {}",
            String::from_utf8_lossy(&imports.stderr)
                .lines()
                .last()
                .unwrap_or_default()
        ));
    }
    let validate = Command::new("kubernetes-validate")
        .arg("--version")
        .output();
    if !validate.is_ok_and(|output| output.status.success()) {
        return Err("`kubernetes-validate` is not on PATH".to_owned());
    }
    Ok(())
}

/// Every Helm-chart Application (or ApplicationSet) of every environment of the rendered tree at `repo_root`
/// (`out/<env>/argocd/*.yaml`), in environment then Application order.
pub(crate) fn releases(repo_root: &Path) -> Vec<ChartRelease> {
    let out = repo_root.join("out");
    let mut envs: Vec<PathBuf> = std::fs::read_dir(&out)
        .unwrap_or_else(|e| panic!("read {}: {e}", out.display()))
        .map(|entry| entry.expect("a directory entry").path())
        .filter(|path| path.join("argocd").is_dir())
        .collect();
    envs.sort();
    let mut found = Vec::new();
    for env_dir in envs {
        let env = env_dir
            .file_name()
            .expect("a name")
            .to_string_lossy()
            .into_owned();
        let mut files: Vec<PathBuf> = std::fs::read_dir(env_dir.join("argocd"))
            .expect("read argocd")
            .map(|entry| entry.expect("a directory entry").path())
            .filter(|path| path.extension().is_some_and(|ext| ext == "yaml"))
            .collect();
        files.sort();
        for file in files {
            let text = read(&file);
            for document in serde_norway::Deserializer::from_str(&text) {
                let application: Value = serde::Deserialize::deserialize(document)
                    .unwrap_or_else(|e| panic!("{}: {e}", file.display()));
                // An ApplicationSet (the collector, one per cluster) installs its template's
                // chart; its own name is the template's without the cluster.
                let spec = match application["kind"].as_str() {
                    Some("Application") => &application["spec"],
                    Some("ApplicationSet") => &application["spec"]["template"]["spec"],
                    _ => continue,
                };
                let name = application["metadata"]["name"].as_str().expect("a name");
                found.extend(chart_release(repo_root, &env, name, spec));
            }
        }
    }
    found
}

/// The Helm-chart source of one Application, if it has one.
fn chart_release(repo_root: &Path, env: &str, name: &str, spec: &Value) -> Option<ChartRelease> {
    let sources = spec["sources"].as_array()?;
    let source = sources
        .iter()
        .find(|source| source.get("chart").is_some())?;
    let text = |value: &Value| {
        value
            .as_str()
            .map(str::to_owned)
            .or_else(|| value.as_number().map(ToString::to_string))
            .unwrap_or_else(|| panic!("Application {name}: {value} is not a string"))
    };
    let values = source["helm"]["valueFiles"]
        .as_array()
        .and_then(|files| files.first())
        .map(&text)
        .unwrap_or_else(|| panic!("Application {name} names no values file"));
    let values = values
        .strip_prefix("$values/")
        .unwrap_or_else(|| panic!("Application {name}: {values} is not in the $values source"));
    Some(ChartRelease {
        env: env.to_owned(),
        component: name
            .strip_suffix(&format!("-{env}"))
            .unwrap_or(name)
            .to_owned(),
        chart: text(&source["chart"]),
        version: text(&source["targetRevision"]),
        release: text(&source["helm"]["releaseName"]),
        namespace: text(&spec["destination"]["namespace"]),
        values: repo_root.join(values),
    })
}

/// The chart directory of a release: `<reference>/helm-charts/<chart>-<version>`.
pub(crate) fn chart_dir(release: &ChartRelease) -> Result<PathBuf, String> {
    let charts = charts_dir().ok_or("the shared reference is absent")?;
    let dir = charts.join(format!("{}-{}", release.chart, release.version));
    if dir.is_dir() {
        Ok(dir)
    } else {
        Err(format!(
            "{}: chart {} version {} is not under {} (add the upstream chart at that version, see its SOURCES.md)",
            release.env,
            release.chart,
            release.version,
            charts.display()
        ))
    }
}

type Rendered = Result<Vec<Value>, String>;

/// Renders a release with its real chart: every object, parsed, in the chart's template order.
/// `Err` carries the chart's own message (schema error, `fail`, template error, a missing
/// subchart). Each distinct release (chart, version, names and values bytes) renders once per
/// test run: rendering takes about a second.
pub(crate) fn render_release(release: &ChartRelease) -> Rendered {
    static CACHE: OnceLock<Mutex<HashMap<String, Arc<OnceLock<Rendered>>>>> = OnceLock::new();
    let values = std::fs::read_to_string(&release.values)
        .map_err(|e| format!("read {}: {e}", release.values.display()))?;
    let key = format!(
        "{}\0{}\0{}\0{}\0{values}",
        release.chart, release.version, release.release, release.namespace
    );
    let slot = Arc::clone(
        CACHE
            .get_or_init(Mutex::default)
            .lock()
            .expect("the cache")
            .entry(key)
            .or_default(),
    );
    // Tests running in parallel wait for a release another one is rendering, instead of
    // rendering it again, and render different releases at the same time.
    slot.get_or_init(|| render_uncached(release)).clone()
}

fn render_uncached(release: &ChartRelease) -> Rendered {
    let chart = chart_dir(release)?;
    let tool = helm_template().ok_or("the shared reference is absent")?;
    let output = Command::new("python3")
        .arg(&tool)
        .arg(&chart)
        .arg("-f")
        .arg(&release.values)
        .args(["--release", &release.release])
        .args(["--namespace", &release.namespace])
        .output()
        .map_err(|e| format!("{} does not run: {e}", tool.display()))?;
    if !output.status.success() {
        return Err(format!(
            "{} rejects {}:\n{}",
            release.label(),
            release.values.display(),
            String::from_utf8_lossy(&output.stderr).trim()
        ));
    }
    let text = String::from_utf8(output.stdout).map_err(|e| format!("not UTF-8: {e}"))?;
    let mut objects = Vec::new();
    for document in serde_norway::Deserializer::from_str(&text) {
        let object: Value = serde::Deserialize::deserialize(document)
            .map_err(|e| format!("{}: a rendered document is not YAML: {e}", release.label()))?;
        if !object.is_null() {
            objects.push(object);
        }
    }
    Ok(objects)
}

/// Validates the objects of built-in kinds (every object whose `apiVersion`/`kind` is not in
/// `custom`) with `kubernetes-validate --strict` against the Kubernetes 1.37 schemas, in one run.
/// `Err` lists every rejected object with the tool's message, and every object of a kind the
/// tool has no schema for.
pub(crate) fn validate_builtin(
    label: &str,
    objects: &[Value],
    custom: impl Fn(&str, &str) -> bool,
) -> Result<usize, String> {
    let builtin: Vec<&Value> = objects
        .iter()
        .filter(|object| {
            let field = |key: &str| object[key].as_str().unwrap_or_default().to_owned();
            !custom(&field("apiVersion"), &field("kind"))
        })
        .collect();
    if builtin.is_empty() {
        return Ok(0);
    }
    let dir = tempfile::tempdir().expect("a temporary directory");
    let mut stream = String::new();
    for object in &builtin {
        stream.push_str("---\n");
        stream.push_str(&serde_norway::to_string(object).expect("YAML"));
    }
    let file = dir.path().join("objects.yaml");
    std::fs::write(&file, stream).expect("write");
    let output = Command::new("kubernetes-validate")
        .args(["--strict", "--quiet", "-k", KUBERNETES_VERSION])
        .arg(&file)
        .output()
        .map_err(|e| format!("kubernetes-validate does not run: {e}"))?;
    let report = String::from_utf8_lossy(&output.stdout);
    // A kind without a schema is only a warning to the tool, and a success: here it is an object
    // that nothing validated.
    if output.status.success() && report.trim().is_empty() {
        Ok(builtin.len())
    } else {
        let mut message = format!("{label}: kubernetes-validate --strict rejects objects:\n");
        let _ = write!(
            message,
            "{report}{}",
            String::from_utf8_lossy(&output.stderr)
        );
        Err(message)
    }
}
