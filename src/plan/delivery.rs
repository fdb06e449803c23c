//! The delivery plan: the Rook-Ceph object store and bucket claims, the Argo CD AppProject and
//! Applications of one environment, and the Kargo pipeline across all environments.
//!
//! One Application per enabled catalog component that Argo CD deploys, at the component's wave;
//! the Kargo Warehouses and Stages follow the chart Applications. Everything that names a bucket
//! reads `StoragePlan::buckets`; every Application points at a path this same plan renders
//! (checked again on the rendered files by `verify`).

use std::collections::BTreeSet;

use serde::Serialize;

use super::{Artifact, EnvironmentPlan, Item};
use crate::catalog::{self, Component, Delivery};
use crate::validate::EnvironmentSpec;

/// The label on Argo CD cluster Secrets that names a cluster's environment.
const ENVIRONMENT_LABEL: &str = "lgtmc.dev/environment";

#[derive(Debug, Serialize)]
pub struct DeliveryPlan {
    /// The Kubernetes API server of this environment.
    pub cluster: String,
    pub argocd_namespace: String,
    pub project: String,
    pub kargo_project: String,
    pub gitops_repo: String,
    pub gitops_branch: String,
    /// This environment's directory in the GitOps repository (`out/prod`).
    pub env_dir: String,
    /// Every repository the AppProject allows: the GitOps repository and the chart repositories.
    pub source_repos: Vec<String>,
    /// Every namespace the Applications deploy to.
    pub namespaces: Vec<String>,
    /// The namespaces the backends run in, created with their bucket claims.
    pub backend_namespaces: Vec<String>,
    /// The Applications of directories of this repository (the object store, the bucket claims,
    /// Grafana's provisioning, …), in catalog order.
    pub paths: Vec<PathApp>,
    pub root: PathApp,
    /// The Helm chart Applications, in sync-wave order.
    pub charts: Vec<ChartApp>,
    /// The Argo CD files of this environment, for its kustomization.
    pub argocd_files: Vec<String>,
}

/// An Application that syncs a directory of this repository.
#[derive(Clone, Debug, Serialize)]
pub struct PathApp {
    pub name: String,
    /// The Application's file, relative to the environment directory.
    pub file: String,
    pub path: String,
    pub namespace: String,
    pub wave: i32,
}

/// An Application of a Helm chart from its repository, with values from this repository.
#[derive(Clone, Debug, Serialize)]
pub struct ChartApp {
    pub name: String,
    pub component: String,
    pub chart: String,
    pub repo: String,
    pub version: String,
    pub release: String,
    pub namespace: String,
    /// The values file, relative to the repository root.
    pub values: String,
    pub wave: i32,
    /// The Application's file, relative to the environment directory.
    pub file: String,
    /// The collector goes to every cluster of the environment: an ApplicationSet with a
    /// clusters generator instead of one Application, reading its configuration from `config`.
    pub every_cluster: Option<EveryCluster>,
    /// Where the chart version sits in the file, for Kargo's `yaml-update`.
    pub revision_key: String,
}

/// The clusters an ApplicationSet deploys to, and the directory it adds to the chart.
#[derive(Clone, Debug, Serialize)]
pub struct EveryCluster {
    /// Argo CD cluster Secrets carrying this label and value belong to the environment.
    pub label: String,
    pub value: String,
    /// A directory of this repository synced beside the chart (the collector's ConfigMap).
    pub config: String,
}

/// The delivery plan of one environment and the Argo CD files it adds: an Application per
/// enabled component that Argo CD deploys, at the component's wave.
pub(super) fn delivery(
    components: &[&Component],
    spec: &EnvironmentSpec,
) -> (DeliveryPlan, Vec<Artifact>) {
    let platform = &spec.platform;
    let env = &spec.name;
    let env_dir = format!("{}/{env}", platform.gitops.out);
    let charts = chart_apps(components, spec, &env_dir);
    let paths: Vec<PathApp> = components
        .iter()
        .filter_map(|component| match component.delivery {
            Delivery::Path { dir } => Some(PathApp {
                name: format!("{}-{env}", component.name),
                file: format!("argocd/{}.yaml", component.name),
                path: format!("{env_dir}/{dir}"),
                namespace: (component.namespace)(platform).to_owned(),
                wave: component.wave,
            }),
            _ => None,
        })
        .collect();
    let backend_namespaces: BTreeSet<String> =
        charts.iter().map(|app| app.namespace.clone()).collect();
    let mut namespaces = backend_namespaces.clone();
    namespaces.insert(platform.storage.ceph.namespace.clone());
    namespaces.insert(platform.gitops.argocd.namespace.clone());
    let mut source_repos: BTreeSet<String> = charts.iter().map(|app| app.repo.clone()).collect();
    source_repos.insert(platform.gitops.repo.clone());
    let artifacts = application_artifacts(env, &charts, &paths);
    // The root Application syncs `argocd/`: every file there, the components' own and the
    // Applications.
    let mut argocd_files: Vec<String> = (components.iter())
        .flat_map(|component| component.files)
        .map(|(file, _)| (*file).to_owned())
        .chain(charts.iter().map(|app| app.file.clone()))
        .chain(paths.iter().map(|app| app.file.clone()))
        .filter(|file| file.starts_with("argocd/"))
        .collect();
    argocd_files.sort();
    let plan = DeliveryPlan {
        cluster: platform.cluster.clone(),
        argocd_namespace: platform.gitops.argocd.namespace.clone(),
        project: platform.gitops.argocd.project.clone(),
        kargo_project: platform.gitops.kargo.project.clone(),
        gitops_repo: platform.gitops.repo.clone(),
        gitops_branch: platform.gitops.branch.clone(),
        env_dir: env_dir.clone(),
        source_repos: source_repos.into_iter().collect(),
        namespaces: namespaces.into_iter().collect(),
        backend_namespaces: backend_namespaces.into_iter().collect(),
        paths,
        root: PathApp {
            name: format!("platform-{env}"),
            file: "argocd/root.yaml".to_owned(),
            path: env_dir,
            namespace: platform.gitops.argocd.namespace.clone(),
            wave: catalog::WAVE_BACKENDS,
        },
        charts,
        argocd_files,
    };
    (plan, artifacts)
}

/// The chart Applications of the enabled components, in catalog order.
fn chart_apps(components: &[&Component], spec: &EnvironmentSpec, env_dir: &str) -> Vec<ChartApp> {
    let env = &spec.name;
    let mut charts = Vec::new();
    for component in components {
        let Some((chart, release)) = component.chart() else {
            continue;
        };
        let name = component.name;
        let every_cluster =
            matches!(component.delivery, Delivery::EveryCluster { .. }).then(|| EveryCluster {
                label: ENVIRONMENT_LABEL.to_owned(),
                value: env.to_owned(),
                config: format!("{env_dir}/{name}"),
            });
        let revision_key = match every_cluster {
            Some(_) => "spec.template.spec.sources.0.targetRevision",
            None => "spec.sources.0.targetRevision",
        };
        charts.push(ChartApp {
            name: format!("{name}-{env}"),
            component: name.to_owned(),
            chart: chart.name.to_owned(),
            repo: chart.repo.to_owned(),
            version: spec.versions.get(chart.name).cloned().unwrap_or_default(),
            release: release.to_owned(),
            namespace: (component.namespace)(&spec.platform).to_owned(),
            values: format!("{env_dir}/{name}/values.yaml"),
            wave: component.wave,
            file: format!("argocd/{name}.yaml"),
            every_cluster,
            revision_key: revision_key.to_owned(),
        });
    }
    charts
}

/// One file per Application, each about its Application.
fn application_artifacts(env: &str, charts: &[ChartApp], paths: &[PathApp]) -> Vec<Artifact> {
    let charts = charts.iter().map(|app| Artifact {
        path: format!("{env}/{}", app.file),
        template: match app.every_cluster {
            Some(_) => "argocd/every-cluster.yaml.j2",
            None => "argocd/chart.yaml.j2",
        },
        item: Some(Item::Chart(app.clone())),
    });
    let paths = paths.iter().map(|app| Artifact {
        path: format!("{env}/{}", app.file),
        template: "argocd/path.yaml.j2",
        item: Some(Item::Path(app.clone())),
    });
    charts.chain(paths).collect()
}

/// The Kargo pipeline: one Warehouse per chart, one Stage per environment in promotion order.
#[derive(Debug, Serialize)]
pub struct KargoPlan {
    pub project: String,
    pub argocd_namespace: String,
    pub gitops_repo: String,
    pub gitops_branch: String,
    pub interval: String,
    pub warehouses: Vec<WarehousePlan>,
    pub stages: Vec<StagePlan>,
}

#[derive(Debug, Serialize)]
pub struct WarehousePlan {
    pub name: String,
    pub chart: String,
    pub repo: String,
    /// New versions within the major version of the first environment's.
    pub constraint: String,
}

#[derive(Debug, Serialize)]
pub struct StagePlan {
    pub name: String,
    /// The stage it takes verified Freight from; none for the first.
    pub upstream: Option<String>,
    /// How long Freight must have run upstream first (the last stage only).
    pub soak: Option<String>,
    pub auto_promote: bool,
    /// The warehouses of the charts this stage deploys.
    pub warehouses: Vec<String>,
    /// The edits a promotion makes, all in one commit: each chart's version in
    /// `versions/<env>.yaml` and in its Application, so `lgtmc check` stays clean.
    pub updates: Vec<FileUpdate>,
    /// The Applications the promotion waits for.
    pub apps: Vec<ChartApp>,
    /// Where the promotion registers itself as a Sentry release and deploy, when Sentry runs.
    pub sentry: Option<SentryRelease>,
}

/// A promotion, as a Sentry release of the platform and a deploy to the stage's environment.
#[derive(Debug, Serialize)]
pub struct SentryRelease {
    /// `https://sentry.example.com/api/0/organizations/<org>/releases/`.
    pub releases_url: String,
    pub project: String,
    /// Secret in the Kargo project namespace holding the API token (key `token`).
    pub token_secret: String,
    /// Release versions are `<platform>@<freight name>`.
    pub version_prefix: String,
}

/// One `yaml-update` step: a file and the keys it sets.
#[derive(Debug, Serialize)]
pub struct FileUpdate {
    pub path: String,
    pub keys: Vec<KeyUpdate>,
}

#[derive(Debug, Serialize)]
pub struct KeyUpdate {
    pub key: String,
    pub chart: String,
    pub repo: String,
    pub warehouse: String,
}

/// What the Kargo plan needs of one environment's plan: its Stage apart from its place in the
/// promotion order, and its chart Applications. `compiler` keeps this of each environment's
/// plan and drops the rest once the environment is rendered.
#[derive(Debug)]
pub struct StageSource {
    stage: StagePlan,
    charts: Vec<ChartApp>,
}

impl StageSource {
    pub fn of(plan: &EnvironmentPlan) -> StageSource {
        StageSource {
            stage: stage(plan),
            charts: plan.delivery.charts.clone(),
        }
    }
}

/// The Kargo plan and its artifacts (under `out/kargo/`), from each environment's
/// `StageSource`, in promotion order.
pub fn kargo(sources: Vec<StageSource>, specs: &[EnvironmentSpec]) -> (KargoPlan, Vec<Artifact>) {
    let last = sources.len().saturating_sub(1);
    let names: Vec<String> = sources.iter().map(|s| s.stage.name.clone()).collect();
    let warehouses = warehouses(&sources, specs);
    let stages = sources
        .into_iter()
        .zip(specs)
        .enumerate()
        .map(|(index, (source, spec))| StagePlan {
            upstream: index.checked_sub(1).map(|up| names[up].clone()),
            soak: (index == last && index > 0).then(|| spec.platform.gitops.kargo.soak.go()),
            auto_promote: index != last,
            ..source.stage
        })
        .collect();
    let first = specs.first().map(|spec| &spec.platform.gitops);
    let plan = KargoPlan {
        project: first.map(|g| g.kargo.project.clone()).unwrap_or_default(),
        argocd_namespace: (first.map(|g| g.argocd.namespace.clone())).unwrap_or_default(),
        gitops_repo: first.map(|g| g.repo.clone()).unwrap_or_default(),
        gitops_branch: first.map(|g| g.branch.clone()).unwrap_or_default(),
        interval: first.map(|g| g.kargo.interval.go()).unwrap_or_default(),
        warehouses,
        stages,
    };
    let artifacts = catalog::PLATFORM_FILES
        .iter()
        .map(|(path, template)| Artifact {
            path: (*path).to_owned(),
            template,
            item: None,
        })
        .collect();
    (plan, artifacts)
}

/// One Warehouse per chart any environment deploys, sorted by name.
fn warehouses(sources: &[StageSource], specs: &[EnvironmentSpec]) -> Vec<WarehousePlan> {
    let mut warehouses: Vec<WarehousePlan> = Vec::new();
    for (source, spec) in sources.iter().zip(specs) {
        for app in &source.charts {
            if warehouses.iter().all(|w| w.chart != app.chart) {
                let major = spec
                    .versions
                    .get(&app.chart)
                    .and_then(|v| v.split('.').next())
                    .unwrap_or("0");
                warehouses.push(WarehousePlan {
                    name: app.chart.clone(),
                    chart: app.chart.clone(),
                    repo: app.repo.clone(),
                    constraint: format!("^{major}.0.0"),
                });
            }
        }
    }
    warehouses.sort_by(|a, b| a.name.cmp(&b.name));
    warehouses
}

/// The Stage of one environment, apart from its place in the promotion order.
fn stage(plan: &EnvironmentPlan) -> StagePlan {
    let charts = &plan.delivery.charts;
    let key = |key: &str, app: &ChartApp| KeyUpdate {
        key: key.to_owned(),
        chart: app.chart.clone(),
        repo: app.repo.clone(),
        warehouse: app.chart.clone(),
    };
    let versions_file = format!("{}/{}.yaml", crate::load::VERSIONS_DIR, plan.environment);
    let mut updates = vec![FileUpdate {
        path: versions_file,
        keys: charts.iter().map(|app| key(&app.chart, app)).collect(),
    }];
    updates.extend(charts.iter().map(|app| FileUpdate {
        path: format!("{}/{}", plan.delivery.env_dir, app.file),
        keys: vec![key(&app.revision_key, app)],
    }));
    StagePlan {
        name: plan.environment.clone(),
        upstream: None,
        soak: None,
        auto_promote: false,
        warehouses: charts.iter().map(|app| app.chart.clone()).collect(),
        updates,
        sentry: plan.sentry.as_ref().map(|sentry| SentryRelease {
            releases_url: format!(
                "{}/api/0/organizations/{}/releases/",
                sentry.url.trim_end_matches('/'),
                sentry.org
            ),
            project: sentry.project.clone(),
            token_secret: sentry.token_secret.clone(),
            version_prefix: format!("{}@", plan.platform),
        }),
        // An ApplicationSet's Applications are named per cluster, and the ApplicationSet itself
        // is what the commit changes: nothing to wait for by name.
        apps: (charts.iter())
            .filter(|app| app.every_cluster.is_none())
            .cloned()
            .collect(),
    }
}
