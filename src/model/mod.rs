//! The typed platform spec: what `platform.kdl`, merged with one environment overlay, means.
//!
//! These types are the single source of truth for the spec language. `schema/platform.schema.json`
//! is generated from them (`lgtmc schema`), and a test keeps the committed file equal to the
//! generated one. Field names are kebab-case because that is how they are written in KDL.
//!
//! **Invariant:** nothing here knows about KDL, files or spans. Spans live in `document::Origins`,
//! keyed by the JSON pointer of each value, so a problem found in the model can still be reported
//! at the line that caused it.

mod apps;
mod capacity;
mod compute;
mod duration;
mod signals;

pub use apps::{AiBackend, Alerts, Collector, Diagnose, Errors, Grafana};
pub use capacity::{ByteAssumptions, Capacity, CapacityTenant, MetricsAssumptions, Utilisation};
pub use compute::{CPU_PATTERN, Compute, MEMORY_PATTERN, Nodes, Reserve, Resources};
pub use duration::{DURATION_PATTERN, Duration};
pub use signals::{Logs, Metrics, Profiles, SignalLimits, Traces, TracesMode};

use std::collections::BTreeMap;

use schemars::JsonSchema;
use serde::Deserialize;

/// Tenant ids become file names, Kubernetes names, `X-Scope-OrgID` header values and part of
/// Grafana uids, so the accepted alphabet is the intersection of all four (see `validate`).
pub type TenantId = String;

/// One platform, as seen by one environment.
#[derive(Clone, Debug, Deserialize, JsonSchema)]
#[serde(rename_all = "kebab-case", deny_unknown_fields)]
pub struct Platform {
    /// The platform's name, the argument of the root `platform` node.
    pub name: String,
    /// The environments, in promotion order: `environments "dev" "staging" "prod"`. Each needs an
    /// overlay file `environments/<name>.kdl`.
    #[schemars(
        length(min = 1),
        inner(regex(pattern = r"^[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?$"))
    )]
    pub environments: Vec<String>,
    /// The Kubernetes API server that Argo CD deploys this environment to.
    #[serde(default = "default_cluster")]
    pub cluster: String,
    /// The GitOps repository that holds this spec and its rendered `out/` tree.
    pub gitops: Gitops,
    /// Where the backends keep their data.
    pub storage: Storage,
    /// How the collector chooses a tenant for each signal.
    pub tenancy: Tenancy,
    /// The tenants: `tenant "<id>" ingestion-rate=… retention="…"`.
    #[serde(rename = "tenant")]
    #[schemars(length(min = 1))]
    pub tenants: BTreeMap<TenantId, Tenant>,
    /// Metrics (Mimir). Present with its defaults when the node is absent.
    #[serde(default)]
    pub metrics: Metrics,
    /// Logs (Loki).
    #[serde(default)]
    pub logs: Logs,
    /// Traces (Tempo).
    #[serde(default)]
    pub traces: Traces,
    /// Profiles (Pyroscope).
    #[serde(default)]
    pub profiles: Profiles,
    /// Error tracking (Sentry with ClickHouse). Absent: no Sentry.
    pub errors: Option<Errors>,
    /// Cluster diagnostics (k8sgpt). Absent: no k8sgpt.
    pub diagnose: Option<Diagnose>,
    /// Grafana: where it runs and the Secret holding its admin login.
    #[serde(default)]
    pub grafana: Grafana,
    /// Alerting: the Slack channel and the Secret holding its webhook URL.
    #[serde(default)]
    pub alerts: Alerts,
    /// The storage budget and the assumptions of the capacity plan (`lgtmc plan`, `CAPACITY.md`).
    #[serde(default)]
    pub capacity: Capacity,
    /// The collector (Grafana Alloy, one pod per node).
    #[serde(default)]
    pub collector: Collector,
    /// The nodes and the sizing of every container (the compute plan: `lgtmc plan`,
    /// `CAPACITY.md`).
    #[serde(default)]
    pub compute: Compute,
}

#[derive(Clone, Debug, Deserialize, JsonSchema)]
#[serde(rename_all = "kebab-case", deny_unknown_fields)]
pub struct Gitops {
    /// Clone URL of the GitOps repository.
    #[schemars(length(min = 1))]
    pub repo: String,
    /// The branch Argo CD follows.
    #[serde(default = "default_branch")]
    pub branch: String,
    /// Where the rendered tree sits in the repository (Argo CD reads it from there, lgtmc writes it there).
    #[serde(default = "default_out")]
    #[schemars(regex(
        pattern = r"^\.*[A-Za-z0-9_-][A-Za-z0-9._-]*(/\.*[A-Za-z0-9_-][A-Za-z0-9._-]*)*$"
    ))]
    pub out: String,
    /// Argo CD: where its Applications live and the AppProject they belong to.
    #[serde(default)]
    pub argocd: ArgoCd,
    /// Kargo: the project that promotes chart versions through the environments.
    #[serde(default)]
    pub kargo: Kargo,
}

#[derive(Clone, Debug, Deserialize, JsonSchema)]
#[serde(rename_all = "kebab-case", deny_unknown_fields, default)]
pub struct ArgoCd {
    /// The namespace of Argo CD (its Applications and AppProjects live there).
    #[schemars(regex(pattern = r"^[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?$"))]
    pub namespace: String,
    /// The AppProject of the platform's Applications.
    #[schemars(regex(pattern = r"^[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?$"))]
    pub project: String,
}

impl Default for ArgoCd {
    fn default() -> Self {
        ArgoCd {
            namespace: "argocd".to_owned(),
            project: "observability".to_owned(),
        }
    }
}

#[derive(Clone, Debug, Deserialize, JsonSchema)]
#[serde(rename_all = "kebab-case", deny_unknown_fields, default)]
pub struct Kargo {
    /// The Kargo project (and namespace) of the promotion pipeline.
    #[schemars(regex(pattern = r"^[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?$"))]
    pub project: String,
    /// How long new chart versions must run in the environment before the last one before
    /// they may reach the last environment.
    pub soak: Duration,
    /// How often Kargo looks for new chart versions.
    pub interval: Duration,
}

impl Default for Kargo {
    fn default() -> Self {
        Kargo {
            project: "observability".to_owned(),
            soak: Duration::default_of("1h"),
            interval: Duration::default_of("10m"),
        }
    }
}

#[derive(Clone, Debug, Deserialize, JsonSchema)]
#[serde(rename_all = "kebab-case", deny_unknown_fields)]
pub struct Storage {
    /// The Rook-Ceph object store that serves S3 to every backend.
    pub ceph: Ceph,
    /// Quotas of buckets, by bucket name: `quota "loki-chunks" max-size="500Gi"`.
    #[serde(default, rename = "quota")]
    pub quotas: BTreeMap<String, Quota>,
}

/// The quota of one bucket (the claim's `additionalConfig`).
#[derive(Clone, Debug, Deserialize, JsonSchema)]
#[serde(rename_all = "kebab-case", deny_unknown_fields)]
pub struct Quota {
    /// Most bytes, as a Kubernetes quantity: `500Gi`, `2T`.
    #[schemars(regex(pattern = r"^[0-9]+(\.[0-9]+)?(Ki|Mi|Gi|Ti|Pi|k|M|G|T|P)?$"))]
    pub max_size: Option<String>,
    /// Most objects.
    #[schemars(range(min = 1, max = MAX_EXACT))]
    pub max_objects: Option<u64>,
}

#[derive(Clone, Debug, Deserialize, JsonSchema)]
#[serde(rename_all = "kebab-case", deny_unknown_fields)]
pub struct Ceph {
    /// Namespace of the Rook-Ceph operator and cluster.
    #[serde(default = "default_ceph_namespace")]
    #[schemars(regex(pattern = r"^[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?$"))]
    pub namespace: String,
    /// Name of the CephObjectStore (its S3 gateway serves the buckets).
    #[schemars(regex(pattern = r"^[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?$"))]
    pub object_store: String,
    /// Ceph replication factor of the object store's pools.
    #[serde(default = "default_ceph_replicas")]
    #[schemars(range(min = 1, max = 7))]
    pub replicas: u32,
    /// S3 region the clients send. Ceph RGW accepts any value, the S3 clients insist on one.
    #[serde(default = "default_region")]
    #[schemars(length(min = 1))]
    pub region: String,
    /// Port of the S3 gateway's Service (plain HTTP inside the cluster).
    #[serde(default = "default_gateway_port")]
    #[schemars(range(min = 1, max = 65535))]
    pub gateway_port: u16,
    /// S3 gateway (RGW) pods.
    #[serde(default = "default_gateway_instances")]
    #[schemars(range(min = 1, max = 10))]
    pub gateway_instances: u32,
}

#[derive(Clone, Debug, Deserialize, JsonSchema)]
#[serde(rename_all = "kebab-case", deny_unknown_fields)]
pub struct Tenancy {
    /// The pod label whose value names a workload's tenant.
    #[schemars(length(min = 1))]
    pub label: String,
    /// The tenant of pods without the label. Must be a declared tenant.
    pub default: TenantId,
    /// The tenant that receives the platform's own telemetry (the collector's heartbeat) and
    /// its alerts. Default: the default tenant.
    pub platform_tenant: Option<TenantId>,
}

#[derive(Clone, Debug, Deserialize, JsonSchema)]
#[serde(rename_all = "kebab-case", deny_unknown_fields)]
pub struct Tenant {
    /// Samples (metrics) per second this tenant may ingest. At most 2^53: Mimir reads it as a
    /// float64.
    #[schemars(range(min = 1, max = MAX_EXACT))]
    pub ingestion_rate: u64,
    /// Burst above the ingestion rate. Default: ten times the rate. At most 2^53.
    #[schemars(range(min = 1, max = MAX_EXACT))]
    pub ingestion_burst: Option<u64>,
    /// Most active series the tenant may hold across the cluster. Default: the backend's.
    #[schemars(range(min = 1, max = MAX_EXACT))]
    pub max_series: Option<u64>,
    /// How long the tenant's data is kept, for example `90d`, `14d`, `36h`.
    pub retention: Duration,
    /// This tenant's log limits: `logs ingestion-rate-mb=… retention="…"`.
    #[serde(default)]
    pub logs: SignalLimits,
    /// This tenant's trace limits.
    #[serde(default)]
    pub traces: SignalLimits,
    /// This tenant's profile limits.
    #[serde(default)]
    pub profiles: SignalLimits,
}

/// The largest count the spec accepts, 2^53: the backends are Go programs reading numbers as
/// `int` or `float64`, and a float64 holds every integer exactly only up to 2^53. Derived values
/// (the default Mimir burst, ten times the rate) are held to it too, in `validate`.
pub const MAX_EXACT: u64 = 1 << 53;

fn default_cluster() -> String {
    "https://kubernetes.default.svc".to_owned()
}
fn default_out() -> String {
    "out".to_owned()
}
fn default_branch() -> String {
    "main".to_owned()
}
fn default_ceph_namespace() -> String {
    "rook-ceph".to_owned()
}
fn default_ceph_replicas() -> u32 {
    3
}
fn default_gateway_port() -> u16 {
    80
}
fn default_gateway_instances() -> u32 {
    2
}
fn default_region() -> String {
    "us-east-1".to_owned()
}
