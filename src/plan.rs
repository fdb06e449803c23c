//! Stage 4, plan: derive, per environment, everything the templates need from the typed spec:
//! the buckets, the per-tenant limits in each backend's terms, the sizes. Templates see this plan,
//! never the spec itself, so a template cannot depend on how the spec happens to be written.
//!
//! **Invariant:** the plan is a pure function of one `EnvironmentSpec`; every collection in it is
//! ordered (tenants by id, buckets by name), so rendering it is deterministic.

use serde::Serialize;

use crate::model::Platform;
use crate::validate::EnvironmentSpec;

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
    #[serde(skip)]
    pub artifacts: Vec<Artifact>,
}

#[derive(Debug, Serialize)]
pub struct TenancyPlan {
    pub label: String,
    pub default: String,
}

#[derive(Debug, Serialize)]
pub struct TenantPlan {
    pub id: String,
    pub ingestion_rate: u64,
    pub ingestion_burst: u64,
    pub max_series: Option<u64>,
    /// As written in the spec (`90d`): Mimir and Loki read Prometheus-style durations.
    pub retention: String,
    pub retention_seconds: u64,
}

#[derive(Debug, Serialize)]
pub struct StoragePlan {
    pub ceph_namespace: String,
    pub object_store: String,
    pub region: String,
    /// Every bucket any backend uses. Later outputs (the Ceph claims) read this same list.
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

#[derive(Debug, Serialize)]
pub struct MimirPlan {
    pub namespace: String,
    pub ingester_replicas: u32,
    pub replication_factor: u32,
    pub blocks_bucket: BucketPlan,
    pub ruler_bucket: BucketPlan,
    pub alertmanager_bucket: BucketPlan,
}

/// Default burst: ten seconds' worth of the rate, Mimir's own ratio for its defaults.
const BURST_SECONDS: u64 = 10;
/// Replication factor of the ingesters when there are enough of them.
const REPLICATION_FACTOR: u32 = 3;

/// The plan of one environment.
pub fn plan(environment: &EnvironmentSpec) -> EnvironmentPlan {
    let platform: &Platform = &environment.platform;
    let tenants = platform
        .tenants
        .iter()
        .map(|(id, tenant)| TenantPlan {
            id: id.clone(),
            ingestion_rate: tenant.ingestion_rate,
            ingestion_burst: tenant
                .ingestion_burst
                .unwrap_or(tenant.ingestion_rate.saturating_mul(BURST_SECONDS)),
            max_series: tenant.max_series,
            retention: tenant.retention.0.clone(),
            retention_seconds: tenant.retention.seconds().unwrap_or(0),
        })
        .collect();

    let mimir_namespace = platform.metrics.namespace.clone();
    let bucket = |name: &str, prefix: &str| BucketPlan {
        name: name.to_owned(),
        namespace: mimir_namespace.clone(),
        component: "mimir".to_owned(),
        env_prefix: prefix.to_owned(),
    };
    let mimir = MimirPlan {
        namespace: mimir_namespace.clone(),
        ingester_replicas: platform.metrics.replicas,
        replication_factor: platform.metrics.replicas.min(REPLICATION_FACTOR),
        blocks_bucket: bucket("mimir-blocks", "BLOCKS_"),
        ruler_bucket: bucket("mimir-ruler", "RULER_"),
        alertmanager_bucket: bucket("mimir-alertmanager", "ALERTMANAGER_"),
    };
    let mut buckets = vec![
        mimir.blocks_bucket.clone(),
        mimir.ruler_bucket.clone(),
        mimir.alertmanager_bucket.clone(),
    ];
    buckets.sort_by(|a, b| a.name.cmp(&b.name));

    let env = &environment.name;
    EnvironmentPlan {
        platform: platform.name.clone(),
        environment: env.clone(),
        sources: environment.sources.clone(),
        tenancy: TenancyPlan {
            label: platform.tenancy.label.clone(),
            default: platform.tenancy.default.clone(),
        },
        tenants,
        storage: StoragePlan {
            ceph_namespace: platform.storage.ceph.namespace.clone(),
            object_store: platform.storage.ceph.object_store.clone(),
            region: platform.storage.ceph.region.clone(),
            buckets,
        },
        mimir,
        artifacts: vec![Artifact {
            path: format!("{env}/mimir/values.yaml"),
            template: "mimir/values.yaml.j2",
        }],
    }
}
