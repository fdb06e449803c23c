//! Stage 4, plan: derive, per environment, everything the templates need from the typed spec:
//! the buckets, the per-tenant limits in each backend's terms, the sizes, the endpoints. Templates
//! see this plan, never the spec itself, so a template cannot depend on how the spec is written.
//!
//! **Invariant:** the plan is a pure function of one `EnvironmentSpec`; every collection in it is
//! ordered (tenants by id, buckets by name), so rendering it is deterministic.

mod backends;
mod collector;

use serde::Serialize;

use crate::validate::EnvironmentSpec;

pub use backends::{LokiPlan, MimirPlan, PyroscopePlan, TempoPlan};
pub use collector::{CollectorPlan, HEARTBEAT, Heartbeat, sanitize_label_name};

/// One file to render: where it goes under `out/` and which template renders it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Artifact {
    pub path: String,
    pub template: &'static str,
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
    pub collector: CollectorPlan,
    #[serde(skip)]
    pub artifacts: Vec<Artifact>,
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

/// One tenant, with its limits in every backend's own units.
#[derive(Debug, Serialize)]
pub struct TenantPlan {
    pub id: String,
    pub metrics: MetricsLimits,
    pub logs: ByteLimits,
    pub traces: ByteLimits,
    pub profiles: ByteLimits,
}

#[derive(Debug, Serialize)]
pub struct MetricsLimits {
    /// Samples per second.
    pub ingestion_rate: u64,
    pub ingestion_burst: u64,
    pub max_series: Option<u64>,
    /// As written in the spec (`90d`): Mimir reads Prometheus-style durations.
    pub retention: String,
}

/// Limits of a byte-counted signal (logs, traces, profiles).
#[derive(Debug, Serialize)]
pub struct ByteLimits {
    pub ingestion_rate_mb: u32,
    pub ingestion_burst_mb: u32,
    pub ingestion_rate_bytes: u64,
    pub ingestion_burst_bytes: u64,
    /// In whole hours (`2160h`): every backend's duration parser reads hours.
    pub retention_hours: String,
    pub retention_seconds: u64,
}

#[derive(Debug, Serialize)]
pub struct StoragePlan {
    pub ceph_namespace: String,
    pub object_store: String,
    pub region: String,
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
}

/// A pod's CPU and memory, as the charts take them (`resources:`), or nothing to keep the
/// chart's own defaults.
#[derive(Debug, Serialize)]
pub struct ResourcesPlan {
    pub requests: std::collections::BTreeMap<String, String>,
    pub limits: std::collections::BTreeMap<String, String>,
}

/// Bytes in one MiB: the `-mb` limits of the spec are MiB, as Loki and Pyroscope count them.
const MIB: u64 = 1_048_576;

/// The plan of one environment.
pub fn plan(environment: &EnvironmentSpec) -> EnvironmentPlan {
    let platform = &environment.platform;
    let tenants: Vec<TenantPlan> = platform
        .tenants
        .iter()
        .map(|(id, tenant)| TenantPlan {
            id: id.clone(),
            metrics: MetricsLimits {
                ingestion_rate: tenant.ingestion_rate,
                ingestion_burst: tenant.ingestion_burst.unwrap_or(
                    tenant
                        .ingestion_rate
                        .saturating_mul(backends::MIMIR_BURST_SECONDS),
                ),
                max_series: tenant.max_series,
                retention: tenant.retention.0.clone(),
            },
            logs: byte_limits(
                &tenant.logs,
                &tenant.retention,
                platform.logs.ingestion_rate_mb,
                platform.logs.ingestion_burst_mb,
            ),
            traces: byte_limits(
                &tenant.traces,
                &tenant.retention,
                platform.traces.ingestion_rate_mb,
                platform.traces.ingestion_burst_mb,
            ),
            profiles: byte_limits(
                &tenant.profiles,
                &tenant.retention,
                platform.profiles.ingestion_rate_mb,
                platform.profiles.ingestion_burst_mb,
            ),
        })
        .collect();

    let mimir = backends::mimir(platform);
    let loki = backends::loki(platform);
    let tempo = backends::tempo(platform);
    let pyroscope = backends::pyroscope(platform);
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
    .cloned()
    .collect();
    buckets.sort_by(|a, b| a.name.cmp(&b.name));

    let env = &environment.name;
    let artifacts = vec![
        Artifact {
            path: format!("{env}/mimir/values.yaml"),
            template: "mimir/values.yaml.j2",
        },
        Artifact {
            path: format!("{env}/loki/values.yaml"),
            template: "loki/values.yaml.j2",
        },
        Artifact {
            path: format!("{env}/tempo/values.yaml"),
            template: tempo.template,
        },
        Artifact {
            path: format!("{env}/pyroscope/values.yaml"),
            template: "pyroscope/values.yaml.j2",
        },
        Artifact {
            path: format!("{env}/alloy/values.yaml"),
            template: "alloy/values.yaml.j2",
        },
        Artifact {
            path: format!("{env}/alloy/config.alloy"),
            template: "alloy/config.alloy.j2",
        },
        Artifact {
            path: format!("{env}/alloy/kustomization.yaml"),
            template: "alloy/kustomization.yaml.j2",
        },
    ];
    EnvironmentPlan {
        platform: platform.name.clone(),
        environment: env.clone(),
        sources: environment.sources.clone(),
        tenancy: TenancyPlan {
            label: platform.tenancy.label.clone(),
            default: platform.tenancy.default.clone(),
            platform: platform
                .tenancy
                .platform_tenant
                .clone()
                .unwrap_or_else(|| platform.tenancy.default.clone()),
        },
        tenants,
        storage: StoragePlan {
            ceph_namespace: platform.storage.ceph.namespace.clone(),
            object_store: platform.storage.ceph.object_store.clone(),
            region: platform.storage.ceph.region.clone(),
            buckets,
        },
        mimir,
        loki,
        tempo,
        pyroscope,
        collector,
        artifacts,
    }
}

fn byte_limits(
    limits: &crate::model::SignalLimits,
    tenant_retention: &crate::model::Duration,
    default_rate_mb: u32,
    default_burst_mb: u32,
) -> ByteLimits {
    let rate = limits.ingestion_rate_mb.unwrap_or(default_rate_mb);
    let burst = limits.ingestion_burst_mb.unwrap_or(default_burst_mb);
    let retention = limits.retention.as_ref().unwrap_or(tenant_retention);
    let seconds = retention.seconds().unwrap_or(0);
    ByteLimits {
        ingestion_rate_mb: rate,
        ingestion_burst_mb: burst,
        ingestion_rate_bytes: u64::from(rate) * MIB,
        ingestion_burst_bytes: u64::from(burst) * MIB,
        retention_hours: format!("{}h", seconds.div_ceil(3_600)),
        retention_seconds: seconds,
    }
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
