//! Stage 4, plan: derive, per environment, everything the templates need from the typed spec:
//! the buckets, the per-tenant limits in each backend's terms, the sizes, the endpoints. Templates
//! see this plan, never the spec itself, so a template cannot depend on how the spec is written.
//!
//! What an environment deploys comes from the component catalog (`catalog`): `plan_with` loops
//! over it for the files to render, the bucket claims, the Applications and the chart versions.
//! Each file's template sees the plan, and what the one file is about as a typed `Item`.
//!
//! **Invariant:** the plan is a pure function of one `EnvironmentSpec`; every collection in it is
//! ordered (tenants by id, buckets by name), so rendering it is deterministic.

mod apps;
pub(crate) mod backends;
mod collector;
mod delivery;
pub mod grafana;

use serde::Serialize;

use crate::catalog::{self, Component};
use crate::limits::{self, MIB};
use crate::validate::EnvironmentSpec;

pub use crate::limits::{ByteLimits, MetricsLimits, TenantPlan};

pub use apps::{K8sgptPlan, SentryPlan};
pub use backends::{LokiPlan, MimirPlan, PyroscopePlan, TempoPlan};
pub use collector::{CollectorPlan, HEARTBEAT, Heartbeat, sanitize_label_name};
pub use delivery::{ChartApp, DeliveryPlan, KargoPlan, PathApp, StageSource, kargo};
pub use grafana::GrafanaPlan;

/// One file to render: where it goes under `out/` and which template renders it.
#[derive(Clone, Debug)]
pub struct Artifact {
    pub path: String,
    pub template: &'static str,
    /// What this one file is about, which the template sees as `item` beside the whole plan;
    /// `None` for a file about the whole environment.
    pub item: Option<Item>,
}

/// What one file is about. It serialises as the value itself (no tag): the template reads
/// `item.tenant`, `item.json`, `item.name` as it would the value's own fields.
#[derive(Clone, Debug, Serialize)]
#[serde(untagged)]
pub enum Item {
    /// One tenant's data sources (`grafana/datasources.yaml.j2`).
    Datasources(grafana::TenantDatasources),
    /// One dashboard (`grafana/dashboard.json.j2`).
    Dashboard(grafana::DashboardPlan),
    /// One chart Application or ApplicationSet (`argocd/chart.yaml.j2`, `every-cluster.yaml.j2`).
    Chart(ChartApp),
    /// One Application of a directory of this repository (`argocd/path.yaml.j2`).
    Path(PathApp),
}

/// Everything about one environment that the templates may use.
#[derive(Debug, Serialize)]
pub struct EnvironmentPlan {
    pub platform: String,
    pub environment: String,
    /// The spec files this environment was compiled from.
    pub sources: Vec<String>,
    pub tenancy: TenancyPlan,
    pub tenants: Vec<TenantPlan>,
    pub storage: StoragePlan,
    pub mimir: MimirPlan,
    pub loki: LokiPlan,
    pub tempo: TempoPlan,
    pub pyroscope: PyroscopePlan,
    pub sentry: Option<SentryPlan>,
    pub k8sgpt: Option<K8sgptPlan>,
    pub delivery: DeliveryPlan,
    /// Shared with the template context, which makes its lists into values only when a
    /// template reads them.
    #[serde(skip)]
    pub grafana: std::sync::Arc<GrafanaPlan>,
    /// The storage this environment needs, against its budget (`CAPACITY.md`): the spec's own
    /// plan, shared. Like `capacity_chart`, it has a row per tenant and one template reads it,
    /// so `render` makes it into template values only while that template renders.
    #[serde(skip)]
    pub capacity: std::sync::Arc<crate::capacity::CapacityPlan>,
    /// The bar chart of the capacity plan (`capacity.svg`).
    #[serde(skip)]
    pub capacity_chart: std::sync::Arc<crate::capacity::Chart>,
    pub collector: CollectorPlan,
    /// The CPU and memory this environment requests, against its nodes (`CAPACITY.md`).
    pub compute: crate::compute::ComputePlan,
    /// Every container's `resources:` block, by container key (`compute::CONTAINERS`).
    pub sizes: std::collections::BTreeMap<&'static str, SizedPlan>,
    /// Sentry's own workloads and Snuba's, each with its values key.
    pub sentry_sizes: Vec<SizedPlan>,
    pub snuba_sizes: Vec<SizedPlan>,
    #[serde(skip)]
    pub artifacts: Vec<Artifact>,
}

/// One container's `resources:` block; `key` is the values key of a Sentry or Snuba workload.
#[derive(Debug, Serialize)]
pub struct SizedPlan {
    pub key: &'static str,
    pub resources: ResourcesPlan,
    /// For a memcached container: the cache's `allocatedMemory` in MB, five sixths of its
    /// memory, the ratio of the Loki chart's own default (the rest is connections and overhead).
    pub memcached_mb: u64,
}

#[derive(Debug, Serialize)]
pub struct TenancyPlan {
    /// The pod label that names a workload's tenant.
    pub label: String,
    /// The tenant of pods without the label.
    pub default: String,
    /// The tenant of the platform's own telemetry and alerts.
    pub platform: String,
}

#[derive(Debug, Serialize)]
pub struct StoragePlan {
    pub ceph_namespace: String,
    pub object_store: String,
    pub region: String,
    /// Ceph replication of the object store's pools.
    pub replicas: u32,
    pub gateway_port: u16,
    pub gateway_instances: u32,
    /// The StorageClass the bucket claims name.
    pub storage_class: String,
    /// Rook's bucket provisioner (`<ceph namespace>.ceph.rook.io/bucket`).
    pub provisioner: String,
    /// Every bucket any backend uses, sorted by name. The Ceph claims read this same list.
    pub buckets: Vec<BucketPlan>,
}

/// One S3 bucket, claimed by an ObjectBucketClaim of the same name in the backend's namespace.
/// The claim creates a Secret and a ConfigMap of that name; the backend reads them with
/// `env_prefix` so that two claims in one pod do not overwrite each other's variables.
#[derive(Clone, Debug, Serialize)]
pub struct BucketPlan {
    pub name: String,
    pub namespace: String,
    pub component: String,
    pub env_prefix: String,
    /// The quota of the bucket, from `storage { quota "<bucket>" … }`.
    pub max_size: Option<String>,
    pub max_objects: Option<String>,
    /// A fixed bucket name, for a consumer that cannot read it from the claim's ConfigMap;
    /// otherwise the claim generates one from `name`.
    pub fixed_name: Option<String>,
}

/// A pod's CPU and memory, as the charts take them (`resources:`), or nothing to keep the
/// chart's own defaults.
#[derive(Debug, Serialize)]
pub struct ResourcesPlan {
    pub requests: std::collections::BTreeMap<String, String>,
    pub limits: std::collections::BTreeMap<String, String>,
}

/// The plan of one environment, deploying the built-in catalog's components.
pub fn plan(environment: &EnvironmentSpec) -> EnvironmentPlan {
    plan_with(catalog::CATALOG, environment)
}

/// The plan of one environment, deploying the components of `catalog` it enables: each one's
/// files, Application, bucket claims and chart version.
pub fn plan_with(catalog: &[Component], environment: &EnvironmentSpec) -> EnvironmentPlan {
    let platform = &environment.platform;
    let tenants = limits::tenants(platform);

    assemble(catalog, environment, tenants)
}

/// The fewest tenants for which the Grafana plan is made on a thread of its own: below, starting
/// the thread costs more than it saves.
const TENANTS_WORTH_A_THREAD: usize = 64;

/// The rest of the plan, once the tenants' limits are known.
fn assemble(
    catalog: &[Component],
    environment: &EnvironmentSpec,
    tenants: Vec<TenantPlan>,
) -> EnvironmentPlan {
    let platform = &environment.platform;
    let env = &environment.name;
    let components = catalog::enabled(catalog, platform);
    let mimir = backends::mimir(platform);
    let loki = backends::loki(platform);
    let tempo = backends::tempo(platform, default_trace_retention(platform, &tenants));
    let pyroscope = backends::pyroscope(platform);
    let sentry = platform
        .errors
        .as_ref()
        .map(|errors| apps::sentry(platform, errors, env));
    let k8sgpt = apps::k8sgpt(platform);
    let storage = storage(platform, &components, env);
    let platform_tenant = platform
        .tenancy
        .platform_tenant
        .clone()
        .unwrap_or_else(|| platform.tenancy.default.clone());
    // The Grafana plan (a dashboard and data sources per tenant) is about half of the plan at
    // thousands of tenants: it is made beside the rest, which it does not depend on.
    let ((grafana, grafana_artifacts), (collector, delivery, mut artifacts, chart)) =
        crate::parallel::join(
            tenants.len() >= TENANTS_WORTH_A_THREAD,
            || {
                let mut grafana = grafana::grafana(&grafana::Context {
                    platform,
                    platform_tenant: &platform_tenant,
                    tenants: &tenants,
                    mimir: &mimir,
                    loki_url: &loki.url,
                    tempo_url: &tempo.query_url,
                    pyroscope_url: &pyroscope.url,
                    buckets: &storage.buckets,
                });
                let artifacts = grafana_artifacts(env, &mut grafana);
                (grafana, artifacts)
            },
            || {
                let collector = collector::collector(platform, &mimir, &loki, &tempo, &pyroscope);
                let (delivery, mut artifacts) = delivery::delivery(&components, environment);
                artifacts.extend(component_artifacts(env, &components));
                let chart = crate::capacity::chart(&platform.name, &environment.capacity);
                (collector, delivery, artifacts, chart)
            },
        );
    artifacts.extend(grafana_artifacts);
    EnvironmentPlan {
        platform: platform.name.clone(),
        environment: env.clone(),
        sources: environment.sources.clone(),
        tenancy: TenancyPlan {
            label: platform.tenancy.label.clone(),
            default: platform.tenancy.default.clone(),
            platform: platform_tenant,
        },
        tenants,
        storage,
        mimir,
        loki,
        tempo,
        pyroscope,
        sentry,
        k8sgpt,
        delivery,
        grafana: std::sync::Arc::new(grafana),
        capacity: std::sync::Arc::clone(&environment.capacity),
        capacity_chart: std::sync::Arc::new(chart),
        collector,
        sizes: sizes(&environment.compute),
        sentry_sizes: keyed(&environment.compute, crate::compute::SENTRY_WORKLOADS),
        snuba_sizes: keyed(&environment.compute, crate::compute::SNUBA_WORKLOADS),
        compute: environment.compute.clone(),
        artifacts,
    }
}

/// The trace retention of the default tenant, in hours: Tempo's global retention, for tenants
/// without a block of their own. Validation guarantees the default tenant is declared.
fn default_trace_retention(platform: &crate::model::Platform, tenants: &[TenantPlan]) -> String {
    tenants
        .iter()
        .find(|tenant| tenant.id == platform.tenancy.default)
        .map(|tenant| tenant.traces.retention_hours.clone())
        .unwrap_or_default()
}

/// The object store, and a claim for every bucket an enabled component claims, sorted by name,
/// each with its quota from the spec.
fn storage(platform: &crate::model::Platform, components: &[&Component], env: &str) -> StoragePlan {
    let ceph = &platform.storage.ceph;
    let mut buckets: Vec<BucketPlan> = components
        .iter()
        .flat_map(|component| {
            let namespace = (component.namespace)(platform);
            (component.buckets.iter())
                .map(move |bucket| claim(bucket, component.name, namespace, env))
        })
        .collect();
    buckets.sort_by(|a, b| a.name.cmp(&b.name));
    for bucket in &mut buckets {
        if let Some(quota) = platform.storage.quotas.get(&bucket.name) {
            bucket.max_size = quota.max_size.clone();
            bucket.max_objects = quota.max_objects.map(|n| n.to_string());
        }
    }
    StoragePlan {
        ceph_namespace: ceph.namespace.clone(),
        object_store: ceph.object_store.clone(),
        region: ceph.region.clone(),
        replicas: ceph.replicas,
        gateway_port: ceph.gateway_port,
        gateway_instances: ceph.gateway_instances,
        storage_class: format!("{}-bucket", ceph.object_store),
        provisioner: format!("{}.ceph.rook.io/bucket", ceph.namespace),
        buckets,
    }
}

/// The claim of `bucket` by `component` in `namespace`, without a quota. The backends' plans and
/// `storage.buckets` both build their claims here, so they cannot disagree.
pub(crate) fn claim(
    bucket: &catalog::Bucket,
    component: &str,
    namespace: &str,
    env: &str,
) -> BucketPlan {
    BucketPlan {
        name: bucket.name.to_owned(),
        namespace: namespace.to_owned(),
        component: component.to_owned(),
        env_prefix: bucket.env_prefix.to_owned(),
        max_size: None,
        max_objects: None,
        fixed_name: bucket.fixed_name(env),
    }
}

/// The files the enabled components render, each about the whole environment.
fn component_artifacts(env: &str, components: &[&Component]) -> Vec<Artifact> {
    components
        .iter()
        .flat_map(|component| component.files)
        .map(|(file, template)| Artifact {
            path: format!("{env}/{file}"),
            template,
            item: None,
        })
        .collect()
}

/// Requests as the plan sizes them; the memory request is also the limit, and no CPU limit.
fn sized(key: &'static str, size: &crate::compute::ContainerSize) -> SizedPlan {
    let requests = [
        ("cpu".to_owned(), size.cpu.clone()),
        ("memory".to_owned(), size.memory.clone()),
    ];
    SizedPlan {
        key,
        resources: ResourcesPlan {
            requests: requests.into_iter().collect(),
            limits: [("memory".to_owned(), size.memory.clone())]
                .into_iter()
                .collect(),
        },
        memcached_mb: size.request.memory_bytes / MIB * 5 / 6,
    }
}

fn sizes(
    compute: &crate::compute::ComputePlan,
) -> std::collections::BTreeMap<&'static str, SizedPlan> {
    compute
        .sizes
        .iter()
        .map(|(key, size)| (*key, sized(key, size)))
        .collect()
}

fn keyed(
    compute: &crate::compute::ComputePlan,
    workloads: &[(&'static str, &'static str, &'static str)],
) -> Vec<SizedPlan> {
    workloads
        .iter()
        .filter_map(|(values_key, _, size_key)| {
            Some(sized(values_key, compute.sizes.get(size_key)?))
        })
        .collect()
}

/// One file per tenant's data sources and per dashboard, in Grafana's provisioning directory
/// (the catalog lists the provisioning files about the whole environment). A dashboard's JSON
/// moves into its artifact's item: the plan's list keeps what the kustomization needs, so the
/// JSON is not copied into every template's context.
fn grafana_artifacts(env: &str, grafana: &mut GrafanaPlan) -> Vec<Artifact> {
    let dir = format!("{env}/{}", grafana::PROVISIONING_DIR);
    let datasources = grafana.datasources.iter().map(|set| Artifact {
        path: format!("{dir}/datasources/{}.yaml", set.tenant),
        template: "grafana/datasources.yaml.j2",
        item: Some(Item::Datasources(set.clone())),
    });
    let dashboards = grafana.dashboards.iter_mut().map(|dashboard| Artifact {
        path: format!("{dir}/{}", dashboard.path),
        template: "grafana/dashboard.json.j2",
        item: Some(Item::Dashboard(grafana::DashboardPlan {
            json: std::mem::take(&mut dashboard.json),
            ..dashboard.clone()
        })),
    });
    datasources.chain(dashboards).collect()
}

/// Requests from the spec; the memory request is also the limit (an out-of-memory kill is
/// better than a node under memory pressure), and no CPU limit (it only throttles).
fn resources(spec: &crate::model::Resources) -> Option<ResourcesPlan> {
    if spec.cpu.is_none() && spec.memory.is_none() {
        return None;
    }
    let mut requests = std::collections::BTreeMap::new();
    let mut limits = std::collections::BTreeMap::new();
    if let Some(cpu) = &spec.cpu {
        requests.insert("cpu".to_owned(), cpu.clone());
    }
    if let Some(memory) = &spec.memory {
        requests.insert("memory".to_owned(), memory.clone());
        limits.insert("memory".to_owned(), memory.clone());
    }
    Some(ResourcesPlan { requests, limits })
}
