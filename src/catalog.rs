//! The component catalog: every component an environment can deploy (the backends, Grafana, the
//! collector, Sentry, k8sgpt, and the pieces around them: the Ceph object store, the bucket
//! claims, Grafana's provisioning, the Argo CD bootstrap, the capacity report), each as data:
//! its upstream chart, release and namespace, the buckets it claims, the files it renders (path
//! under the environment → template), its Argo CD sync wave, and when it is enabled.
//!
//! `plan` loops over this table; `validate` reads the bucket names (`BUCKET_NAMES`) and the charts
//! (`used_by`, `charts`) from it. Adding a component is one entry here plus its templates.
//!
//! **Invariant:** the catalog depends only on `model`: it sits below `validate` and `plan`, so
//! both can read it without a cycle. Chart-specific decisions (what a chart's values must say)
//! stay in `plan/backends.rs` and `plan/apps.rs`.

use std::sync::LazyLock;

use crate::model::{Platform, TracesMode};

/// One upstream chart.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Chart {
    /// The chart's name in its repository, and its key in `versions/<env>.yaml`.
    pub name: &'static str,
    /// The Helm repository that publishes it.
    pub repo: &'static str,
}

/// One deployable component of an environment.
#[derive(Clone, Copy, Debug)]
pub struct Component {
    /// Its directory under the environment, and its Application's name before `-<env>`.
    pub name: &'static str,
    /// How Argo CD deploys it.
    pub delivery: Delivery,
    /// Its Argo CD sync wave (`WAVE_*`).
    pub wave: i32,
    /// Whether an environment with this platform deploys it.
    pub enabled: fn(&Platform) -> bool,
    /// The namespace it runs in (read only when it is enabled).
    pub namespace: fn(&Platform) -> &str,
    /// The buckets it claims, in its namespace.
    pub buckets: &'static [Bucket],
    /// The files it renders: path under the environment directory, and template.
    pub files: &'static [(&'static str, &'static str)],
}

/// How Argo CD deploys a component.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Delivery {
    /// A Helm chart from its repository, one Application (`argocd/<name>.yaml`) with the values
    /// file `<name>/values.yaml` of this repository.
    Chart { chart: Chart, release: &'static str },
    /// A Helm chart on every cluster of the environment: an ApplicationSet that also syncs the
    /// component's directory beside the chart (the collector and its configuration).
    EveryCluster { chart: Chart, release: &'static str },
    /// A directory of this repository (`dir` under the environment), synced by the Application
    /// `argocd/<name>.yaml`.
    Path { dir: &'static str },
    /// Files that no Application of the component syncs: the Argo CD bootstrap, which the root
    /// Application keeps in sync, and the reports.
    Files,
}

/// One S3 bucket a component claims (an ObjectBucketClaim of the same name).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Bucket {
    pub name: &'static str,
    /// The prefix of the claim's variables in the component's pods, so that two claims in one
    /// pod do not overwrite each other's.
    pub env_prefix: &'static str,
    /// The bucket has the fixed name `<name>-<env>` instead of a generated one, for a consumer
    /// that reads the name from its values rather than from the claim's ConfigMap.
    pub fixed_per_environment: bool,
}

impl Component {
    /// The Helm release of a chart component; a component without a chart has none, and its
    /// name stands in.
    pub const fn release(&self) -> &'static str {
        match self.delivery {
            Delivery::Chart { release, .. } | Delivery::EveryCluster { release, .. } => release,
            Delivery::Path { .. } | Delivery::Files => self.name,
        }
    }

    /// The chart and release of a component deployed as a Helm chart.
    pub fn chart(&self) -> Option<(Chart, &'static str)> {
        match self.delivery {
            Delivery::Chart { chart, release } | Delivery::EveryCluster { chart, release } => {
                Some((chart, release))
            }
            Delivery::Path { .. } | Delivery::Files => None,
        }
    }
}

impl Bucket {
    /// The bucket's fixed name in `environment`, when it has one.
    pub fn fixed_name(&self, environment: &str) -> Option<String> {
        self.fixed_per_environment
            .then(|| format!("{}-{environment}", self.name))
    }
}

/// Sync waves of the Applications: the object store, then the bucket claims, then the backends
/// that read the buckets, then what reads the backends and resources after their operators.
pub const WAVE_STORAGE: i32 = -20;
pub const WAVE_BUCKETS: i32 = -10;
pub const WAVE_BACKENDS: i32 = 0;
/// What reads the backends (Grafana, the collector) comes up after them, and so do custom
/// resources after the operator that serves their CRD.
pub const WAVE_CONSUMERS: i32 = 10;

pub const MIMIR_CHART: Chart = Chart {
    name: "mimir-distributed",
    repo: "https://grafana.github.io/helm-charts",
};
pub const LOKI_CHART: Chart = Chart {
    name: "loki",
    repo: "https://grafana-community.github.io/helm-charts",
};
pub const TEMPO_CHART: Chart = Chart {
    name: "tempo",
    repo: "https://grafana-community.github.io/helm-charts",
};
pub const TEMPO_DISTRIBUTED_CHART: Chart = Chart {
    name: "tempo-distributed",
    repo: "https://grafana-community.github.io/helm-charts",
};
pub const PYROSCOPE_CHART: Chart = Chart {
    name: "pyroscope",
    repo: "https://grafana.github.io/helm-charts",
};
pub const ALLOY_CHART: Chart = Chart {
    name: "alloy",
    repo: "https://grafana.github.io/helm-charts",
};
pub const GRAFANA_CHART: Chart = Chart {
    name: "grafana",
    repo: "https://grafana-community.github.io/helm-charts",
};
pub const SENTRY_CHART: Chart = Chart {
    name: "sentry",
    repo: "https://sentry-kubernetes.github.io/charts",
};
pub const K8SGPT_CHART: Chart = Chart {
    name: "k8sgpt-operator",
    repo: "https://charts.k8sgpt.ai/",
};

const fn bucket(name: &'static str, env_prefix: &'static str) -> Bucket {
    Bucket {
        name,
        env_prefix,
        fixed_per_environment: false,
    }
}

pub const MIMIR_BLOCKS: Bucket = bucket("mimir-blocks", "BLOCKS_");
pub const MIMIR_RULER: Bucket = bucket("mimir-ruler", "RULER_");
pub const MIMIR_ALERTMANAGER: Bucket = bucket("mimir-alertmanager", "ALERTMANAGER_");
pub const LOKI_CHUNKS: Bucket = bucket("loki-chunks", "CHUNKS_");
pub const LOKI_RULER: Bucket = bucket("loki-ruler", "RULER_");
/// Tempo reads AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY itself, and it needs only one claim,
/// so its variables carry no prefix.
pub const TEMPO_TRACES: Bucket = bucket("tempo-traces", "");
pub const PYROSCOPE_PROFILES: Bucket = bucket("pyroscope-profiles", "");
/// Sentry's file store: Sentry reads the bucket name from its values. Bucket names are unique
/// across the object store; the environment keeps them apart where environments share one.
pub const SENTRY_FILES: Bucket = Bucket {
    name: "sentry-files",
    env_prefix: "",
    fixed_per_environment: true,
};

pub const MIMIR: Component = Component {
    name: "mimir",
    delivery: Delivery::Chart {
        chart: MIMIR_CHART,
        release: "mimir",
    },
    wave: WAVE_BACKENDS,
    enabled: always,
    namespace: |p| &p.metrics.namespace,
    buckets: &[MIMIR_BLOCKS, MIMIR_RULER, MIMIR_ALERTMANAGER],
    files: &[("mimir/values.yaml", "mimir/values.yaml.j2")],
};

pub const LOKI: Component = Component {
    name: "loki",
    delivery: Delivery::Chart {
        chart: LOKI_CHART,
        release: "loki",
    },
    wave: WAVE_BACKENDS,
    enabled: always,
    namespace: |p| &p.logs.namespace,
    buckets: &[LOKI_CHUNKS, LOKI_RULER],
    files: &[("loki/values.yaml", "loki/values.yaml.j2")],
};

/// Tempo in monolithic mode: the `tempo` chart.
pub const TEMPO: Component = Component {
    name: "tempo",
    delivery: Delivery::Chart {
        chart: TEMPO_CHART,
        release: "tempo",
    },
    wave: WAVE_BACKENDS,
    enabled: |p| p.traces.mode == TracesMode::Monolithic,
    namespace: |p| &p.traces.namespace,
    buckets: &[TEMPO_TRACES],
    files: &[("tempo/values.yaml", "tempo/values.yaml.j2")],
};

/// Tempo in microservices mode: the `tempo-distributed` chart, in the same directory and under
/// the same Application name as the monolithic one.
pub const TEMPO_DISTRIBUTED: Component = Component {
    name: "tempo",
    delivery: Delivery::Chart {
        chart: TEMPO_DISTRIBUTED_CHART,
        release: "tempo",
    },
    wave: WAVE_BACKENDS,
    enabled: |p| p.traces.mode == TracesMode::Microservices,
    namespace: |p| &p.traces.namespace,
    buckets: &[TEMPO_TRACES],
    files: &[("tempo/values.yaml", "tempo-distributed/values.yaml.j2")],
};

pub const PYROSCOPE: Component = Component {
    name: "pyroscope",
    delivery: Delivery::Chart {
        chart: PYROSCOPE_CHART,
        release: "pyroscope",
    },
    wave: WAVE_BACKENDS,
    enabled: always,
    namespace: |p| &p.profiles.namespace,
    buckets: &[PYROSCOPE_PROFILES],
    files: &[("pyroscope/values.yaml", "pyroscope/values.yaml.j2")],
};

/// The collector, on every cluster of the environment, with its configuration beside the chart.
pub const ALLOY: Component = Component {
    name: "alloy",
    delivery: Delivery::EveryCluster {
        chart: ALLOY_CHART,
        release: "alloy",
    },
    wave: WAVE_CONSUMERS,
    enabled: always,
    namespace: |p| &p.collector.namespace,
    buckets: &[],
    files: &[
        ("alloy/values.yaml", "alloy/values.yaml.j2"),
        ("alloy/config.alloy", "alloy/config.alloy.j2"),
        ("alloy/kustomization.yaml", "alloy/kustomization.yaml.j2"),
    ],
};

pub const GRAFANA: Component = Component {
    name: "grafana",
    delivery: Delivery::Chart {
        chart: GRAFANA_CHART,
        release: "grafana",
    },
    wave: WAVE_CONSUMERS,
    enabled: always,
    namespace: |p| &p.grafana.namespace,
    buckets: &[],
    files: &[("grafana/values.yaml", "grafana/values.yaml.j2")],
};

pub const SENTRY: Component = Component {
    name: "sentry",
    delivery: Delivery::Chart {
        chart: SENTRY_CHART,
        release: "sentry",
    },
    wave: WAVE_BACKENDS,
    enabled: |p| p.errors.is_some(),
    namespace: |p| p.errors.as_ref().map_or("", |errors| &errors.namespace),
    buckets: &[SENTRY_FILES],
    files: &[("sentry/values.yaml", "sentry/values.yaml.j2")],
};

pub const K8SGPT: Component = Component {
    name: "k8sgpt",
    delivery: Delivery::Chart {
        chart: K8SGPT_CHART,
        release: "k8sgpt-operator",
    },
    wave: WAVE_BACKENDS,
    enabled: |p| p.diagnose.is_some(),
    namespace: diagnose_namespace,
    buckets: &[],
    files: &[("k8sgpt/values.yaml", "k8sgpt/values.yaml.j2")],
};

/// The Rook-Ceph object store and the StorageClass of the bucket claims.
pub const STORAGE: Component = Component {
    name: "storage",
    delivery: Delivery::Path { dir: "ceph" },
    wave: WAVE_STORAGE,
    enabled: always,
    namespace: ceph_namespace,
    buckets: &[],
    files: &[
        ("ceph/object-store.yaml", "ceph/object-store.yaml.j2"),
        ("ceph/storage-class.yaml", "ceph/storage-class.yaml.j2"),
        ("ceph/kustomization.yaml", "ceph/kustomization.yaml.j2"),
    ],
};

/// Every bucket claim of the environment (`storage.buckets`), with the namespaces they land in.
pub const BUCKETS: Component = Component {
    name: "buckets",
    delivery: Delivery::Path { dir: "buckets" },
    wave: WAVE_BUCKETS,
    enabled: always,
    namespace: ceph_namespace,
    buckets: &[],
    files: &[
        ("buckets/namespaces.yaml", "buckets/namespaces.yaml.j2"),
        ("buckets/claims.yaml", "buckets/claims.yaml.j2"),
        (
            "buckets/kustomization.yaml",
            "buckets/kustomization.yaml.j2",
        ),
    ],
};

/// Grafana's provisioning ConfigMaps, beside the chart. The per-tenant data sources and the
/// dashboards are one file per item, which `plan` adds from the Grafana plan.
pub const GRAFANA_PROVISIONING: Component = Component {
    name: "grafana-provisioning",
    delivery: Delivery::Path {
        dir: "grafana/provisioning",
    },
    wave: WAVE_CONSUMERS,
    enabled: always,
    namespace: |p| &p.grafana.namespace,
    buckets: &[],
    files: &[
        (
            "grafana/provisioning/kustomization.yaml",
            "grafana/kustomization.yaml.j2",
        ),
        (
            "grafana/provisioning/alerting/contact-points.yaml",
            "grafana/alerting/contact-points.yaml.j2",
        ),
        (
            "grafana/provisioning/alerting/policies.yaml",
            "grafana/alerting/policies.yaml.j2",
        ),
        (
            "grafana/provisioning/alerting/rules.yaml",
            "grafana/alerting/rules.yaml.j2",
        ),
    ],
};

/// The K8sGPT resource, after the operator that serves its CRD.
pub const K8SGPT_CONFIG: Component = Component {
    name: "k8sgpt-config",
    delivery: Delivery::Path { dir: "k8sgpt" },
    wave: WAVE_CONSUMERS,
    enabled: |p| p.diagnose.is_some(),
    namespace: diagnose_namespace,
    buckets: &[],
    files: &[
        ("k8sgpt/k8sgpt.yaml", "k8sgpt/k8sgpt.yaml.j2"),
        ("k8sgpt/kustomization.yaml", "k8sgpt/kustomization.yaml.j2"),
    ],
};

/// The environment's AppProject, its root Application and the kustomization that bootstraps
/// them; the root Application keeps every `argocd/` file in sync.
pub const ARGOCD: Component = Component {
    name: "argocd",
    delivery: Delivery::Files,
    wave: WAVE_BACKENDS,
    enabled: always,
    namespace: |p| &p.gitops.argocd.namespace,
    buckets: &[],
    files: &[
        ("argocd/project.yaml", "argocd/project.yaml.j2"),
        ("argocd/root.yaml", "argocd/root.yaml.j2"),
        ("kustomization.yaml", "kustomization.yaml.j2"),
    ],
};

/// The capacity report and its chart: files for people, deployed nowhere.
pub const CAPACITY: Component = Component {
    name: "capacity",
    delivery: Delivery::Files,
    wave: WAVE_BACKENDS,
    enabled: always,
    namespace: |p| &p.gitops.argocd.namespace,
    buckets: &[],
    files: &[
        ("CAPACITY.md", "capacity/CAPACITY.md.j2"),
        ("capacity.svg", "capacity/capacity.svg.j2"),
    ],
};

/// Every component, in deployment order: the order of the chart Applications in the plan and in
/// each Kargo Stage, and of `BUCKET_NAMES`.
pub const CATALOG: &[Component] = &[
    MIMIR,
    LOKI,
    TEMPO,
    TEMPO_DISTRIBUTED,
    PYROSCOPE,
    ALLOY,
    GRAFANA,
    SENTRY,
    K8SGPT,
    STORAGE,
    BUCKETS,
    GRAFANA_PROVISIONING,
    K8SGPT_CONFIG,
    ARGOCD,
    CAPACITY,
];

/// The files of the whole platform, rendered once under `out/` (the Kargo pipeline).
pub const PLATFORM_FILES: &[(&str, &str)] = &[
    ("kargo/project.yaml", "kargo/project.yaml.j2"),
    ("kargo/warehouses.yaml", "kargo/warehouses.yaml.j2"),
    ("kargo/stages.yaml", "kargo/stages.yaml.j2"),
    ("kargo/kustomization.yaml", "kargo/kustomization.yaml.j2"),
];

/// Every bucket any component can claim, each once, in catalog order;
/// `storage { quota "<name>" … }` must name one of them.
pub static BUCKET_NAMES: LazyLock<Vec<&'static str>> = LazyLock::new(|| bucket_names(CATALOG));

/// The names of the buckets the components of `catalog` claim, each once, in catalog order.
pub fn bucket_names(catalog: &[Component]) -> Vec<&'static str> {
    let mut names: Vec<&'static str> = Vec::new();
    for bucket in catalog.iter().flat_map(|component| component.buckets) {
        if !names.contains(&bucket.name) {
            names.push(bucket.name);
        }
    }
    names
}

/// The components of `catalog` that an environment with `platform` deploys, in catalog order.
pub fn enabled<'a>(catalog: &'a [Component], platform: &Platform) -> Vec<&'a Component> {
    catalog
        .iter()
        .filter(|component| (component.enabled)(platform))
        .collect()
}

/// Every chart lgtmc knows, each once, for "did you mean" and for unknown keys.
pub fn charts() -> Vec<Chart> {
    let mut charts: Vec<Chart> = Vec::new();
    for (chart, _) in CATALOG.iter().filter_map(Component::chart) {
        if !charts.contains(&chart) {
            charts.push(chart);
        }
    }
    charts
}

/// The charts one environment deploys, in catalog order: the keys of `versions/<env>.yaml`.
pub fn used_by(platform: &Platform) -> Vec<Chart> {
    enabled(CATALOG, platform)
        .into_iter()
        .filter_map(Component::chart)
        .map(|(chart, _)| chart)
        .collect()
}

/// A chart version as Helm publishes it: semantic versioning, no leading `v`.
pub fn is_version(text: &str) -> bool {
    let (core, _) = text.split_once(['-', '+']).unwrap_or((text, ""));
    let parts: Vec<&str> = core.split('.').collect();
    parts.len() == 3
        && parts
            .iter()
            .all(|part| !part.is_empty() && part.chars().all(|c| c.is_ascii_digit()))
        && text
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '-' | '+'))
}

fn always(_: &Platform) -> bool {
    true
}

fn ceph_namespace(platform: &Platform) -> &str {
    &platform.storage.ceph.namespace
}

fn diagnose_namespace(platform: &Platform) -> &str {
    platform
        .diagnose
        .as_ref()
        .map_or("", |diagnose| &diagnose.namespace)
}

#[cfg(test)]
mod tests;
