//! Stage 4, plan: derive, per environment, everything the templates need from the typed spec:
//! the buckets, the per-tenant limits in each backend's terms, the sizes, the endpoints. Templates
//! see this plan, never the spec itself, so a template cannot depend on how the spec is written.
//!
//! **Invariant:** the plan is a pure function of one `EnvironmentSpec`; every collection in it is
//! ordered (tenants by id, buckets by name), so rendering it is deterministic.

mod apps;
pub(crate) mod backends;
mod collector;
mod delivery;
pub mod grafana;

use serde::Serialize;

use crate::limits::{self, MIB};
use crate::validate::EnvironmentSpec;

pub use crate::limits::{ByteLimits, MetricsLimits, TenantPlan};

pub use apps::{K8sgptPlan, SentryPlan};
pub use backends::{BUCKET_NAMES, LokiPlan, MimirPlan, PyroscopePlan, TempoPlan};
pub use collector::{CollectorPlan, HEARTBEAT, Heartbeat, sanitize_label_name};
pub use delivery::{DeliveryPlan, KargoPlan, kargo};
pub use grafana::GrafanaPlan;

/// One file to render: where it goes under `out/` and which template renders it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Artifact {
    pub path: String,
    pub template: &'static str,
    /// What this one file is about (one tenant's data sources, one dashboard), which the template
    /// sees as `item` beside the whole plan; `None` for a file about the whole environment.
    pub item: Option<serde_json::Value>,
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
    pub grafana: GrafanaPlan,
    /// The storage this environment needs, against its budget (`CAPACITY.md`).
    pub capacity: crate::capacity::CapacityPlan,
    /// The bar chart of the capacity plan (`capacity.svg`).
    pub capacity_chart: crate::capacity::Chart,
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

/// The plan of one environment.
pub fn plan(environment: &EnvironmentSpec) -> EnvironmentPlan {
    let platform = &environment.platform;
    let tenants = limits::tenants(platform);

    let mimir = backends::mimir(platform);
    let loki = backends::loki(platform);
    let tempo = backends::tempo(platform);
    let pyroscope = backends::pyroscope(platform);
    let sentry = platform
        .errors
        .as_ref()
        .map(|errors| apps::sentry(platform, errors, &environment.name));
    let k8sgpt = apps::k8sgpt(platform);
    let collector = collector::collector(platform, &mimir, &loki, &tempo, &pyroscope);
    let mut buckets: Vec<BucketPlan> = [
        &mimir.blocks_bucket,
        &mimir.ruler_bucket,
        &mimir.alertmanager_bucket,
        &loki.chunks_bucket,
        &loki.ruler_bucket,
        &tempo.traces_bucket,
        &pyroscope.profiles_bucket,
    ]
    .into_iter()
    .chain(sentry.as_ref().map(|sentry| &sentry.files_bucket))
    .cloned()
    .collect();
    buckets.sort_by(|a, b| a.name.cmp(&b.name));
    for bucket in &mut buckets {
        if let Some(quota) = platform.storage.quotas.get(&bucket.name) {
            bucket.max_size = quota.max_size.clone();
            bucket.max_objects = quota.max_objects.map(|n| n.to_string());
        }
    }

    let platform_tenant = platform
        .tenancy
        .platform_tenant
        .clone()
        .unwrap_or_else(|| platform.tenancy.default.clone());
    let grafana = grafana::grafana(&grafana::Context {
        platform,
        platform_tenant: &platform_tenant,
        tenants: &tenants,
        mimir: &mimir,
        loki_url: &loki.url,
        tempo_url: &tempo.query_url,
        pyroscope_url: &pyroscope.url,
        buckets: &buckets,
    });

    let env = &environment.name;
    let values = |component: &str, template: &'static str| Artifact {
        path: format!("{env}/{component}/values.yaml"),
        template,
        item: None,
    };
    let mut artifacts = vec![
        values("mimir", "mimir/values.yaml.j2"),
        values("loki", "loki/values.yaml.j2"),
        values("tempo", tempo.template),
        values("pyroscope", "pyroscope/values.yaml.j2"),
    ];
    let tempo_chart = crate::charts::tempo(tempo.mode);
    let deployed = vec![
        delivery::Deployed {
            component: "mimir",
            chart: crate::charts::MIMIR,
            release: mimir.release.to_owned(),
            namespace: mimir.namespace.clone(),
        },
        delivery::Deployed {
            component: "loki",
            chart: crate::charts::LOKI,
            release: loki.release.to_owned(),
            namespace: loki.namespace.clone(),
        },
        delivery::Deployed {
            component: "tempo",
            chart: tempo_chart,
            release: tempo.release.to_owned(),
            namespace: tempo.namespace.clone(),
        },
        delivery::Deployed {
            component: "pyroscope",
            chart: crate::charts::PYROSCOPE,
            release: pyroscope.release.to_owned(),
            namespace: pyroscope.namespace.clone(),
        },
    ];
    for (file, template) in [
        ("alloy/values.yaml", "alloy/values.yaml.j2"),
        ("alloy/config.alloy", "alloy/config.alloy.j2"),
        ("alloy/kustomization.yaml", "alloy/kustomization.yaml.j2"),
    ] {
        artifacts.push(Artifact {
            path: format!("{env}/{file}"),
            template,
            item: None,
        });
    }
    let mut deployed = deployed;
    deployed.push(delivery::Deployed {
        component: "alloy",
        chart: crate::charts::ALLOY,
        release: collector.release.to_owned(),
        namespace: collector.namespace.clone(),
    });
    deployed.push(delivery::Deployed {
        component: "grafana",
        chart: crate::charts::GRAFANA,
        release: grafana.release.to_owned(),
        namespace: grafana.namespace.clone(),
    });
    if let Some(sentry) = &sentry {
        artifacts.push(values("sentry", "sentry/values.yaml.j2"));
        deployed.push(delivery::Deployed {
            component: "sentry",
            chart: crate::charts::SENTRY,
            release: sentry.release.to_owned(),
            namespace: sentry.namespace.clone(),
        });
    }
    if let Some(k8sgpt) = &k8sgpt {
        artifacts.push(values("k8sgpt", "k8sgpt/values.yaml.j2"));
        for (file, template) in [
            ("k8sgpt/k8sgpt.yaml", "k8sgpt/k8sgpt.yaml.j2"),
            ("k8sgpt/kustomization.yaml", "k8sgpt/kustomization.yaml.j2"),
        ] {
            artifacts.push(Artifact {
                path: format!("{env}/{file}"),
                template,
                item: None,
            });
        }
        deployed.push(delivery::Deployed {
            component: "k8sgpt",
            chart: crate::charts::K8SGPT,
            release: k8sgpt.release.to_owned(),
            namespace: k8sgpt.namespace.clone(),
        });
    }
    let (delivery, delivery_artifacts) = delivery::delivery(env, deployed, environment);
    artifacts.extend(delivery_artifacts);
    artifacts.extend(grafana_artifacts(env, &grafana));
    let capacity_chart = crate::capacity::chart(&platform.name, &environment.capacity);
    for (file, template) in [
        ("CAPACITY.md", "capacity/CAPACITY.md.j2"),
        ("capacity.svg", "capacity/capacity.svg.j2"),
    ] {
        artifacts.push(Artifact {
            path: format!("{env}/{file}"),
            template,
            item: None,
        });
    }
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
        storage: StoragePlan {
            ceph_namespace: platform.storage.ceph.namespace.clone(),
            object_store: platform.storage.ceph.object_store.clone(),
            region: platform.storage.ceph.region.clone(),
            replicas: platform.storage.ceph.replicas,
            gateway_port: platform.storage.ceph.gateway_port,
            gateway_instances: platform.storage.ceph.gateway_instances,
            storage_class: format!("{}-bucket", platform.storage.ceph.object_store),
            provisioner: format!("{}.ceph.rook.io/bucket", platform.storage.ceph.namespace),
            buckets,
        },
        mimir,
        loki,
        tempo,
        pyroscope,
        sentry,
        k8sgpt,
        delivery,
        grafana,
        capacity: environment.capacity.clone(),
        capacity_chart,
        collector,
        sizes: sizes(&environment.compute),
        sentry_sizes: keyed(&environment.compute, crate::compute::SENTRY_WORKLOADS),
        snuba_sizes: keyed(&environment.compute, crate::compute::SNUBA_WORKLOADS),
        compute: environment.compute.clone(),
        artifacts,
    }
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

/// Grafana's chart values, its provisioning kustomization, and one file per tenant's data
/// sources, per dashboard and per alerting resource.
fn grafana_artifacts(env: &str, grafana: &GrafanaPlan) -> Vec<Artifact> {
    let dir = format!("{env}/{}", grafana::PROVISIONING_DIR);
    let mut artifacts = vec![
        Artifact {
            path: format!("{env}/grafana/values.yaml"),
            template: "grafana/values.yaml.j2",
            item: None,
        },
        Artifact {
            path: format!("{dir}/kustomization.yaml"),
            template: "grafana/kustomization.yaml.j2",
            item: None,
        },
    ];
    for set in &grafana.datasources {
        artifacts.push(Artifact {
            path: format!("{dir}/datasources/{}.yaml", set.tenant),
            template: "grafana/datasources.yaml.j2",
            item: serde_json::to_value(set).ok(),
        });
    }
    for dashboard in &grafana.dashboards {
        artifacts.push(Artifact {
            path: format!("{dir}/{}", dashboard.path),
            template: "grafana/dashboard.json.j2",
            item: serde_json::to_value(dashboard).ok(),
        });
    }
    for (file, template) in grafana::ALERTING_FILES.iter().zip([
        "grafana/alerting/contact-points.yaml.j2",
        "grafana/alerting/policies.yaml.j2",
        "grafana/alerting/rules.yaml.j2",
    ]) {
        artifacts.push(Artifact {
            path: format!("{dir}/alerting/{file}"),
            template,
            item: None,
        });
    }
    artifacts
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
