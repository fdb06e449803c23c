//! The delivery plan: the Rook-Ceph object store and bucket claims, the Argo CD AppProject and
//! Applications of one environment, and the Kargo pipeline across all environments.
//!
//! Everything that names a bucket reads `StoragePlan::buckets`; every Application points at a
//! path this same plan renders (checked again on the rendered files by `verify`).

use std::collections::BTreeSet;

use serde::Serialize;

use super::{Artifact, EnvironmentPlan};
use crate::charts::Chart;
use crate::validate::EnvironmentSpec;

/// Sync waves of the Applications: the object store, then the bucket claims, then the backends
/// that read the buckets, then what reads the backends.
const WAVE_STORAGE: i32 = -20;
const WAVE_BUCKETS: i32 = -10;
const WAVE_BACKENDS: i32 = 0;
const WAVE_AFTER_OPERATORS: i32 = 10;
/// What reads the backends (Grafana, the collector) comes up after them.
const WAVE_CONSUMERS: i32 = 10;
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
    pub storage: PathApp,
    pub buckets: PathApp,
    /// The K8sGPT resource, after the operator that serves its CRD.
    pub diagnostics: Option<PathApp>,
    /// Grafana's provisioning ConfigMaps, beside the chart.
    pub grafana_provisioning: PathApp,
    pub root: PathApp,
    /// The Helm chart Applications, in sync-wave order.
    pub charts: Vec<ChartApp>,
    /// The Argo CD files of this environment, for its kustomization.
    pub argocd_files: Vec<String>,
}

/// An Application that syncs a directory of this repository.
#[derive(Debug, Serialize)]
pub struct PathApp {
    pub name: String,
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

/// A Helm chart one environment deploys: its component name, chart, release and namespace.
pub(super) struct Deployed {
    pub component: &'static str,
    pub chart: Chart,
    pub release: String,
    pub namespace: String,
}

/// The delivery plan of one environment and the artifacts it adds.
pub(super) fn delivery(
    env: &str,
    deployed: Vec<Deployed>,
    spec: &EnvironmentSpec,
) -> (DeliveryPlan, Vec<Artifact>) {
    let platform = &spec.platform;
    let out = &platform.gitops.out;
    let env_dir = format!("{out}/{env}");
    let mut charts = Vec::new();
    for Deployed {
        component,
        chart,
        release,
        namespace,
    } in deployed
    {
        let wave = match component {
            "grafana" | "alloy" => WAVE_CONSUMERS,
            _ => WAVE_BACKENDS,
        };
        let every_cluster = (component == "alloy").then(|| EveryCluster {
            label: ENVIRONMENT_LABEL.to_owned(),
            value: env.to_owned(),
            config: format!("{env_dir}/{component}"),
        });
        let revision_key = match every_cluster {
            Some(_) => "spec.template.spec.sources.0.targetRevision",
            None => "spec.sources.0.targetRevision",
        };
        charts.push(ChartApp {
            name: format!("{component}-{env}"),
            component: component.to_owned(),
            chart: chart.name.to_owned(),
            repo: chart.repo.to_owned(),
            version: spec.versions.get(chart.name).cloned().unwrap_or_default(),
            release,
            namespace,
            values: format!("{env_dir}/{component}/values.yaml"),
            wave,
            file: format!("argocd/{component}.yaml"),
            every_cluster,
            revision_key: revision_key.to_owned(),
        });
    }
    let backend_namespaces: BTreeSet<String> =
        charts.iter().map(|app| app.namespace.clone()).collect();
    let mut namespaces = backend_namespaces.clone();
    namespaces.insert(platform.storage.ceph.namespace.clone());
    namespaces.insert(platform.gitops.argocd.namespace.clone());
    let mut source_repos: BTreeSet<String> = charts.iter().map(|app| app.repo.clone()).collect();
    source_repos.insert(platform.gitops.repo.clone());

    let path_app = |name: &str, dir: &str, namespace: &str, wave: i32| PathApp {
        name: format!("{name}-{env}"),
        path: format!("{env_dir}/{dir}"),
        namespace: namespace.to_owned(),
        wave,
    };
    let ceph_ns = platform.storage.ceph.namespace.as_str();
    let grafana_namespace = platform.grafana.namespace.clone();
    let argocd_ns = platform.gitops.argocd.namespace.as_str();
    let mut artifacts = vec![
        artifact(env, "ceph/object-store.yaml", "ceph/object-store.yaml.j2"),
        artifact(env, "ceph/storage-class.yaml", "ceph/storage-class.yaml.j2"),
        artifact(env, "ceph/kustomization.yaml", "ceph/kustomization.yaml.j2"),
        artifact(env, "buckets/namespaces.yaml", "buckets/namespaces.yaml.j2"),
        artifact(env, "buckets/claims.yaml", "buckets/claims.yaml.j2"),
        artifact(
            env,
            "buckets/kustomization.yaml",
            "buckets/kustomization.yaml.j2",
        ),
        artifact(env, "argocd/project.yaml", "argocd/project.yaml.j2"),
        artifact(env, "argocd/root.yaml", "argocd/root.yaml.j2"),
        artifact(env, "kustomization.yaml", "kustomization.yaml.j2"),
    ];
    let mut argocd_files = vec![
        "argocd/project.yaml".to_owned(),
        "argocd/root.yaml".to_owned(),
    ];
    // The plan field of each directory Application, and its file.
    let mut path_apps = vec![
        ("storage", "storage"),
        ("buckets", "buckets"),
        ("grafana_provisioning", "grafana-provisioning"),
    ];
    if platform.diagnose.is_some() {
        path_apps.push(("diagnostics", "k8sgpt-config"));
    }
    for (field, name) in path_apps {
        let file = format!("argocd/{name}.yaml");
        artifacts.push(Artifact {
            path: format!("{env}/{file}"),
            template: "argocd/path.yaml.j2",
            item: Some(serde_json::Value::from(field)),
        });
        argocd_files.push(file);
    }
    for app in &charts {
        artifacts.push(Artifact {
            path: format!("{env}/{}", app.file),
            template: match app.every_cluster {
                Some(_) => "argocd/every-cluster.yaml.j2",
                None => "argocd/chart.yaml.j2",
            },
            item: Some(serde_json::Value::from(app.component.clone())),
        });
        argocd_files.push(app.file.clone());
    }
    argocd_files.sort();
    let plan = DeliveryPlan {
        cluster: platform.cluster.clone(),
        argocd_namespace: argocd_ns.to_owned(),
        project: platform.gitops.argocd.project.clone(),
        kargo_project: platform.gitops.kargo.project.clone(),
        gitops_repo: platform.gitops.repo.clone(),
        gitops_branch: platform.gitops.branch.clone(),
        env_dir: env_dir.clone(),
        source_repos: source_repos.into_iter().collect(),
        namespaces: namespaces.into_iter().collect(),
        backend_namespaces: backend_namespaces.into_iter().collect(),
        diagnostics: spec.platform.diagnose.as_ref().map(|diagnose| {
            path_app(
                "k8sgpt-config",
                "k8sgpt",
                &diagnose.namespace,
                WAVE_AFTER_OPERATORS,
            )
        }),
        grafana_provisioning: path_app(
            "grafana-provisioning",
            "grafana/provisioning",
            &grafana_namespace,
            WAVE_CONSUMERS,
        ),
        storage: path_app("storage", "ceph", ceph_ns, WAVE_STORAGE),
        buckets: path_app("buckets", "buckets", ceph_ns, WAVE_BUCKETS),
        root: PathApp {
            name: format!("platform-{env}"),
            path: env_dir,
            namespace: argocd_ns.to_owned(),
            wave: 0,
        },
        charts,
        argocd_files,
    };
    (plan, artifacts)
}

fn artifact(env: &str, file: &str, template: &'static str) -> Artifact {
    Artifact {
        path: format!("{env}/{file}"),
        template,
        item: None,
    }
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

/// The Kargo plan and its artifacts (under `out/kargo/`).
pub fn kargo(plans: &[EnvironmentPlan], specs: &[EnvironmentSpec]) -> (KargoPlan, Vec<Artifact>) {
    let mut warehouses: Vec<WarehousePlan> = Vec::new();
    for (plan, spec) in plans.iter().zip(specs) {
        for app in &plan.delivery.charts {
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
    let last = plans.len().saturating_sub(1);
    let stages = plans
        .iter()
        .zip(specs)
        .enumerate()
        .map(|(index, (plan, spec))| {
            let env = &plan.environment;
            let versions_file = format!("{}/{env}.yaml", crate::load::VERSIONS_DIR);
            let mut updates = vec![FileUpdate {
                path: versions_file,
                keys: plan
                    .delivery
                    .charts
                    .iter()
                    .map(|app| KeyUpdate {
                        key: app.chart.clone(),
                        chart: app.chart.clone(),
                        repo: app.repo.clone(),
                        warehouse: app.chart.clone(),
                    })
                    .collect(),
            }];
            for app in &plan.delivery.charts {
                updates.push(FileUpdate {
                    path: format!("{}/{}", plan.delivery.env_dir, app.file),
                    keys: vec![KeyUpdate {
                        key: app.revision_key.clone(),
                        chart: app.chart.clone(),
                        repo: app.repo.clone(),
                        warehouse: app.chart.clone(),
                    }],
                });
            }
            StagePlan {
                name: env.clone(),
                upstream: index.checked_sub(1).map(|up| plans[up].environment.clone()),
                soak: (index == last && index > 0).then(|| spec.platform.gitops.kargo.soak.go()),
                auto_promote: index != last,
                warehouses: plan
                    .delivery
                    .charts
                    .iter()
                    .map(|app| app.chart.clone())
                    .collect(),
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
                // An ApplicationSet's Applications are named per cluster, and the
                // ApplicationSet itself is what the commit changes: nothing to wait for by name.
                apps: plan
                    .delivery
                    .charts
                    .iter()
                    .filter(|app| app.every_cluster.is_none())
                    .cloned()
                    .collect(),
            }
        })
        .collect();
    let first = specs.first();
    let plan = KargoPlan {
        project: first
            .map(|s| s.platform.gitops.kargo.project.clone())
            .unwrap_or_default(),
        argocd_namespace: first
            .map(|s| s.platform.gitops.argocd.namespace.clone())
            .unwrap_or_default(),
        gitops_repo: first
            .map(|s| s.platform.gitops.repo.clone())
            .unwrap_or_default(),
        gitops_branch: first
            .map(|s| s.platform.gitops.branch.clone())
            .unwrap_or_default(),
        interval: first
            .map(|s| s.platform.gitops.kargo.interval.go())
            .unwrap_or_default(),
        warehouses,
        stages,
    };
    let artifacts = ["project", "warehouses", "stages", "kustomization"]
        .into_iter()
        .map(|name| Artifact {
            path: format!("kargo/{name}.yaml"),
            template: match name {
                "project" => "kargo/project.yaml.j2",
                "warehouses" => "kargo/warehouses.yaml.j2",
                "stages" => "kargo/stages.yaml.j2",
                _ => "kargo/kustomization.yaml.j2",
            },
            item: None,
        })
        .collect();
    (plan, artifacts)
}
