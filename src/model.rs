//! The typed platform spec: what `platform.kdl`, merged with one environment overlay, means.
//!
//! These types are the single source of truth for the spec language. `schema/platform.schema.json`
//! is generated from them (`lgtmc schema`), and a test keeps the committed file equal to the
//! generated one. Field names are kebab-case because that is how they are written in KDL.
//!
//! **Invariant:** nothing here knows about KDL, files or spans. Spans live in `document::Origins`,
//! keyed by the JSON pointer of each value, so a problem found in the model can still be reported
//! at the line that caused it.

use std::collections::BTreeMap;

use std::borrow::Cow;

use schemars::{JsonSchema, Schema, SchemaGenerator, json_schema};
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
    /// Where the rendered tree sits in the repository (Argo CD reads it from there).
    #[serde(default = "default_out")]
    #[schemars(regex(pattern = r"^[A-Za-z0-9._-]+(/[A-Za-z0-9._-]+)*$"))]
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
            soak: Duration("1h".to_owned()),
            interval: Duration("10m".to_owned()),
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
    #[schemars(range(min = 1))]
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
    /// Samples (metrics) per second this tenant may ingest.
    #[schemars(range(min = 1))]
    pub ingestion_rate: u64,
    /// Burst above the ingestion rate. Default: ten times the rate.
    #[schemars(range(min = 1))]
    pub ingestion_burst: Option<u64>,
    /// Most active series the tenant may hold across the cluster. Default: the backend's.
    #[schemars(range(min = 1))]
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

/// A duration such as `90d`, `2h`, `30s` or `1h30m` (units `y w d h m s ms`).
#[derive(Clone, Debug, Deserialize, PartialEq, Eq)]
#[serde(transparent)]
pub struct Duration(pub String);

impl JsonSchema for Duration {
    fn schema_name() -> Cow<'static, str> {
        "Duration".into()
    }

    fn json_schema(_: &mut SchemaGenerator) -> Schema {
        json_schema!({
            "description": "A duration: a number and a unit, repeated, for example `90d`, `12h` or `1h30m` (units `y w d h m s ms`).",
            "type": "string",
            "pattern": DURATION_PATTERN,
        })
    }
}

/// The pattern of `Duration` in the schema.
pub const DURATION_PATTERN: &str = "^([0-9]+(ms|s|m|h|d|w|y))+$";

/// A Kubernetes CPU quantity: `2`, `1.5`, `500m` (`compute` reads it to whole millicores).
pub const CPU_PATTERN: &str = r"^[0-9]+(\.[0-9]+)?m?$";

/// A Kubernetes memory quantity: `512Mi`, `4Gi`, `1G` (`compute` reads it to bytes).
pub const MEMORY_PATTERN: &str = r"^[0-9]+(\.[0-9]+)?(Ki|Mi|Gi|Ti|k|M|G|T)?$";

impl Duration {
    /// Whole seconds, or `None` when the text is not a duration (or overflows).
    pub fn seconds(&self) -> Option<u64> {
        let text = self.0.as_str();
        if text.is_empty() {
            return None;
        }
        let mut total: u64 = 0;
        let mut rest = text;
        while !rest.is_empty() {
            let digits = rest.find(|c: char| !c.is_ascii_digit())?;
            if digits == 0 {
                return None;
            }
            let number: u64 = rest[..digits].parse().ok()?;
            rest = &rest[digits..];
            let unit_len = rest
                .find(|c: char| c.is_ascii_digit())
                .unwrap_or(rest.len());
            let millis_per_unit: u64 = match &rest[..unit_len] {
                "ms" => 1,
                "s" => 1_000,
                "m" => 60_000,
                "h" => 3_600_000,
                "d" => 86_400_000,
                "w" => 604_800_000,
                "y" => 31_536_000_000,
                _ => return None,
            };
            rest = &rest[unit_len..];
            total = total.checked_add(number.checked_mul(millis_per_unit)?)?;
        }
        Some(total / 1_000)
    }
}

/// Metrics: Mimir.
#[derive(Clone, Debug, Deserialize, JsonSchema)]
#[serde(rename_all = "kebab-case", deny_unknown_fields, default)]
pub struct Metrics {
    /// Namespace Mimir runs in; its bucket claims live there too.
    #[schemars(regex(pattern = r"^[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?$"))]
    pub namespace: String,
    /// Ingester and store-gateway replicas. The replication factor is three, or the replica
    /// count when lower; with more than one, replicas are spread across hosts.
    #[schemars(range(min = 1, max = 100))]
    pub replicas: u32,
    /// How often the ingesters cut a TSDB block and upload it. Must divide 12h.
    pub block_range: Duration,
    /// CPU and memory of each ingester.
    pub resources: Resources,
}

impl Default for Metrics {
    fn default() -> Self {
        Metrics {
            namespace: "mimir".to_owned(),
            replicas: 1,
            block_range: Duration("2h".to_owned()),
            resources: Resources::default(),
        }
    }
}

/// Logs: Loki, in monolithic mode.
#[derive(Clone, Debug, Deserialize, JsonSchema)]
#[serde(rename_all = "kebab-case", deny_unknown_fields, default)]
pub struct Logs {
    /// Namespace Loki runs in; its bucket claims live there too.
    #[schemars(regex(pattern = r"^[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?$"))]
    pub namespace: String,
    /// Loki replicas. The replication factor is three, or the replica count when lower.
    #[schemars(range(min = 1, max = 100))]
    pub replicas: u32,
    /// The longest a chunk stays in memory before it is flushed to the bucket.
    pub flush: Duration,
    /// Default log ingestion rate of a tenant, in MiB per second.
    #[schemars(range(min = 1))]
    pub ingestion_rate_mb: u32,
    /// Default log ingestion burst of a tenant, in MiB.
    #[schemars(range(min = 1))]
    pub ingestion_burst_mb: u32,
    /// CPU and memory of each Loki pod.
    pub resources: Resources,
}

impl Default for Logs {
    fn default() -> Self {
        Logs {
            namespace: "loki".to_owned(),
            replicas: 1,
            flush: Duration("5m".to_owned()),
            ingestion_rate_mb: 4,
            ingestion_burst_mb: 6,
            resources: Resources::default(),
        }
    }
}

/// Traces: Tempo.
#[derive(Clone, Debug, Deserialize, JsonSchema)]
#[serde(rename_all = "kebab-case", deny_unknown_fields, default)]
pub struct Traces {
    /// Namespace Tempo runs in; its bucket claim lives there too.
    #[schemars(regex(pattern = r"^[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?$"))]
    pub namespace: String,
    /// `monolithic`: one Tempo 2 process (chart `tempo`), no Kafka, fits three small nodes.
    /// `microservices`: Tempo 3 (chart `tempo-distributed`), which needs the Kafka in `kafka`.
    pub mode: TracesMode,
    /// Kafka bootstrap address (`host:port`), required by `mode="microservices"`.
    pub kafka: Option<String>,
    /// Block-builder and live-store replicas in microservices mode (and the Kafka partition
    /// count). Monolithic Tempo runs one replica.
    #[schemars(range(min = 1, max = 100))]
    pub replicas: u32,
    /// How often recent traces are cut into a block and uploaded.
    pub block_duration: Duration,
    /// The compaction window (microservices mode; monolithic Tempo compacts hourly, its default).
    pub compaction_window: Duration,
    /// Default trace ingestion rate of a tenant, in MiB per second.
    #[schemars(range(min = 1))]
    pub ingestion_rate_mb: u32,
    /// Default trace ingestion burst of a tenant, in MiB.
    #[schemars(range(min = 1))]
    pub ingestion_burst_mb: u32,
    /// Most live traces a tenant may hold at once.
    #[schemars(range(min = 1))]
    pub max_traces_per_tenant: u64,
    /// Receive Jaeger traces too (the collector's Jaeger receiver).
    pub jaeger: bool,
    /// Receive Zipkin traces too (the collector's Zipkin receiver).
    pub zipkin: bool,
    /// CPU and memory of each Tempo pod.
    pub resources: Resources,
}

impl Default for Traces {
    fn default() -> Self {
        Traces {
            namespace: "tempo".to_owned(),
            mode: TracesMode::Monolithic,
            kafka: None,
            replicas: 1,
            block_duration: Duration("30s".to_owned()),
            compaction_window: Duration("1h".to_owned()),
            ingestion_rate_mb: 15,
            ingestion_burst_mb: 20,
            max_traces_per_tenant: 10_000,
            jaeger: false,
            zipkin: false,
            resources: Resources::default(),
        }
    }
}

/// How Tempo runs; see `Traces::mode`.
#[derive(Clone, Copy, Debug, Deserialize, JsonSchema, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum TracesMode {
    Monolithic,
    Microservices,
}

/// Profiles: Pyroscope, single binary.
#[derive(Clone, Debug, Deserialize, JsonSchema)]
#[serde(rename_all = "kebab-case", deny_unknown_fields, default)]
pub struct Profiles {
    /// Namespace Pyroscope runs in; its bucket claim lives there too.
    #[schemars(regex(pattern = r"^[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?$"))]
    pub namespace: String,
    /// Pyroscope replicas, spread across hosts when more than one.
    #[schemars(range(min = 1, max = 100))]
    pub replicas: u32,
    /// Default profile ingestion rate of a tenant, in MiB per second.
    #[schemars(range(min = 1))]
    pub ingestion_rate_mb: u32,
    /// Default profile ingestion burst of a tenant, in MiB.
    #[schemars(range(min = 1))]
    pub ingestion_burst_mb: u32,
    /// CPU and memory of each Pyroscope pod.
    pub resources: Resources,
}

impl Default for Profiles {
    fn default() -> Self {
        Profiles {
            namespace: "pyroscope".to_owned(),
            replicas: 1,
            ingestion_rate_mb: 4,
            ingestion_burst_mb: 2,
            resources: Resources::default(),
        }
    }
}

/// CPU and memory of a container: requested, and memory also as the limit (a CPU limit only
/// throttles). Either may be left out: it keeps lgtmc's default (`compute`).
#[derive(Clone, Debug, Default, Deserialize, JsonSchema, PartialEq, Eq)]
#[serde(rename_all = "kebab-case", deny_unknown_fields, default)]
pub struct Resources {
    /// A Kubernetes CPU quantity: `500m`, `2`.
    #[schemars(regex(pattern = CPU_PATTERN))]
    pub cpu: Option<String>,
    /// A Kubernetes memory quantity: `512Mi`, `4Gi`.
    #[schemars(regex(pattern = MEMORY_PATTERN))]
    pub memory: Option<String>,
}

/// One tenant's limits for one signal, replacing the signal's defaults.
#[derive(Clone, Debug, Default, Deserialize, JsonSchema)]
#[serde(rename_all = "kebab-case", deny_unknown_fields, default)]
pub struct SignalLimits {
    /// Ingestion rate in MiB per second.
    #[schemars(range(min = 1))]
    pub ingestion_rate_mb: Option<u32>,
    /// Ingestion burst in MiB.
    #[schemars(range(min = 1))]
    pub ingestion_burst_mb: Option<u32>,
    /// Retention of this signal, in place of the tenant's.
    pub retention: Option<Duration>,
}

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

/// Grafana. The spec never holds a secret: it names existing Secrets in Grafana's namespace.
#[derive(Clone, Debug, Deserialize, JsonSchema)]
#[serde(rename_all = "kebab-case", deny_unknown_fields, default)]
pub struct Grafana {
    /// Namespace Grafana runs in; its Secrets and provisioning ConfigMaps live there too.
    #[schemars(regex(pattern = r"^[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?$"))]
    pub namespace: String,
    /// An existing Secret with the admin login, keys `admin-user` and `admin-password`.
    #[schemars(regex(pattern = r"^[a-z0-9]([a-z0-9.-]{0,251}[a-z0-9])?$"))]
    pub admin_secret: String,
}

impl Default for Grafana {
    fn default() -> Self {
        Grafana {
            namespace: "grafana".to_owned(),
            admin_secret: "grafana-admin".to_owned(),
        }
    }
}

/// The collector: Grafana Alloy as a DaemonSet, one pod per node, sending every signal of the
/// pods on its node to their tenant.
#[derive(Clone, Debug, Deserialize, JsonSchema)]
#[serde(rename_all = "kebab-case", deny_unknown_fields, default)]
pub struct Collector {
    /// Namespace the collector runs in.
    #[schemars(regex(pattern = r"^[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?$"))]
    pub namespace: String,
    /// How often metrics are scraped: pods that opt in, the kubelet, cAdvisor and the collector's
    /// own heartbeat. At least one second.
    pub scrape_interval: Duration,
    /// CPU and memory of each collector pod.
    pub resources: Resources,
}

impl Default for Collector {
    fn default() -> Self {
        Collector {
            namespace: "alloy".to_owned(),
            scrape_interval: Duration("30s".to_owned()),
            resources: Resources::default(),
        }
    }
}

/// The capacity plan: the raw Ceph capacity the platform may use, and the assumptions that turn
/// ingestion limits and retention into stored bytes (see `capacity`). Every assumption has a
/// documented default; environment overlays can change any of them.
#[derive(Clone, Debug, Deserialize, JsonSchema)]
#[serde(rename_all = "kebab-case", deny_unknown_fields, default)]
pub struct Capacity {
    /// Raw capacity of the Ceph cluster set aside for the platform, before replication, as a
    /// quantity: `1536Gi`, `3Ti`, `2T`. Unset: the plan is computed but compared with nothing.
    #[schemars(regex(pattern = r"^[0-9]+(\.[0-9]+)?(Ki|Mi|Gi|Ti|Pi|k|M|G|T|P)?$"))]
    pub raw: Option<String>,
    /// Over budget is an error (exit 2) instead of a warning.
    pub enforce: bool,
    /// The share of `raw` the plan may fill. Ceph warns at 85% full (`nearfull`) and stops
    /// writes at 95% (`full`).
    #[schemars(range(min = 0.0, max = 1.0))]
    pub max_fill: f64,
    /// The share of its ingestion limits a tenant is assumed to use on average, for every signal
    /// that does not set its own: limits are ceilings, not traffic.
    #[schemars(range(min = 0.0, max = 1.0))]
    pub utilisation: f64,
    /// Metrics assumptions.
    pub metrics: MetricsAssumptions,
    /// Logs assumptions.
    pub logs: ByteAssumptions,
    /// Traces assumptions.
    pub traces: ByteAssumptions,
    /// Profiles assumptions.
    pub profiles: ByteAssumptions,
    /// Per-tenant utilisation, in place of the signal's: `tenant "dev" { logs utilisation=0.5 }`.
    #[serde(rename = "tenant")]
    pub tenants: BTreeMap<TenantId, CapacityTenant>,
}

impl Default for Capacity {
    fn default() -> Self {
        Capacity {
            raw: None,
            enforce: false,
            max_fill: 0.85,
            utilisation: 0.25,
            metrics: MetricsAssumptions::default(),
            logs: ByteAssumptions::default(),
            traces: ByteAssumptions::default(),
            profiles: ByteAssumptions::default(),
            tenants: BTreeMap::new(),
        }
    }
}

/// Where Grafana sends alert notifications: Slack, through an incoming webhook whose URL is read
/// from an existing Secret in Grafana's namespace, never written in the spec.
#[derive(Clone, Debug, Deserialize, JsonSchema)]
#[serde(rename_all = "kebab-case", deny_unknown_fields, default)]
pub struct Alerts {
    /// The Secret holding the Slack webhook URL.
    #[schemars(regex(pattern = r"^[a-z0-9]([a-z0-9.-]{0,251}[a-z0-9])?$"))]
    pub slack_secret: String,
    /// The key of the webhook URL in that Secret.
    #[schemars(regex(pattern = r"^[-._a-zA-Z0-9]+$"))]
    pub slack_key: String,
    /// The channel to post to, in place of the webhook's own. Default: the webhook's.
    #[schemars(length(min = 1))]
    pub channel: Option<String>,
}

impl Default for Alerts {
    fn default() -> Self {
        Alerts {
            slack_secret: "alerts-slack".to_owned(),
            slack_key: "url".to_owned(),
            channel: None,
        }
    }
}

/// What one metric sample costs in the bucket.
#[derive(Clone, Debug, Default, Deserialize, JsonSchema)]
#[serde(rename_all = "kebab-case", deny_unknown_fields, default)]
pub struct MetricsAssumptions {
    /// Bytes stored per sample after TSDB compression, index included. Default: 2.
    #[schemars(range(min = 0.0, max = 100.0))]
    pub bytes_per_sample: Option<f64>,
    /// Share of the ingestion limit used on average. Default: `capacity utilisation`.
    #[schemars(range(min = 0.0, max = 1.0))]
    pub utilisation: Option<f64>,
}

/// What one ingested byte of a byte-counted signal (logs, traces, profiles) costs in the bucket.
#[derive(Clone, Debug, Default, Deserialize, JsonSchema)]
#[serde(rename_all = "kebab-case", deny_unknown_fields, default)]
pub struct ByteAssumptions {
    /// Bytes stored per byte ingested, after compression, index included. Default: logs 0.15,
    /// traces 0.2, profiles 0.1.
    #[schemars(range(min = 0.0, max = 10.0))]
    pub stored_ratio: Option<f64>,
    /// Share of the ingestion limit used on average. Default: `capacity utilisation`.
    #[schemars(range(min = 0.0, max = 1.0))]
    pub utilisation: Option<f64>,
}

/// One tenant's utilisation of its limits, per signal, in place of the signal's.
#[derive(Clone, Debug, Default, Deserialize, JsonSchema)]
#[serde(rename_all = "kebab-case", deny_unknown_fields, default)]
pub struct CapacityTenant {
    /// This tenant's metrics utilisation.
    pub metrics: Utilisation,
    /// This tenant's logs utilisation.
    pub logs: Utilisation,
    /// This tenant's traces utilisation.
    pub traces: Utilisation,
    /// This tenant's profiles utilisation.
    pub profiles: Utilisation,
}

/// A share of an ingestion limit used on average.
#[derive(Clone, Debug, Default, Deserialize, JsonSchema)]
#[serde(rename_all = "kebab-case", deny_unknown_fields, default)]
pub struct Utilisation {
    /// Between 0 and 1.
    #[schemars(range(min = 0.0, max = 1.0))]
    pub utilisation: Option<f64>,
}

#[cfg(test)]
mod tests {
    use super::Duration;

    #[track_caller]
    fn check(text: &str, expected: Option<u64>) {
        assert_eq!(Duration(text.to_owned()).seconds(), expected, "{text}");
    }

    #[test]
    fn durations() {
        check("90d", Some(90 * 86_400));
        check("2h", Some(7_200));
        check("1h30m", Some(5_400));
        check("1500ms", Some(1));
        check("1y", Some(365 * 86_400));
        check("0s", Some(0));
        check("", None);
        check("d", None);
        check("10", None);
        check("10x", None);
        check("99999999999999999999d", None);
    }
}

/// Sentry, from the `sentry` chart, with its bundled ClickHouse. Every secret comes from an
/// existing Secret, so Argo CD never regenerates one on a sync.
#[derive(Clone, Debug, Deserialize, JsonSchema)]
#[serde(rename_all = "kebab-case", deny_unknown_fields)]
pub struct Errors {
    /// Namespace Sentry runs in.
    #[serde(default = "default_sentry_namespace")]
    #[schemars(regex(pattern = r"^[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?$"))]
    pub namespace: String,
    /// Sentry's external URL, with the scheme.
    #[schemars(regex(pattern = r"^https?://[^\s]+$"))]
    pub url: String,
    /// The admin user's e-mail address.
    #[schemars(length(min = 3))]
    pub admin_email: String,
    /// Secret with the admin password (key `admin-password`).
    #[schemars(length(min = 1))]
    pub admin_secret: String,
    /// Secret with Sentry's stable `SECRET_KEY` (key `key`).
    #[schemars(length(min = 1))]
    pub secret_key_secret: String,
    /// Secret with the PostgreSQL passwords (keys `postgres-password` and `password`).
    #[schemars(length(min = 1))]
    pub postgres_secret: String,
    /// The Sentry organization (slug) that promotions register releases in.
    #[schemars(length(min = 1))]
    pub org: String,
    /// The Sentry project (slug) the platform's releases belong to.
    #[schemars(length(min = 1))]
    pub project: String,
    /// Secret in the Kargo project namespace with a Sentry API token (key `token`), used to
    /// register each promotion as a release and a deploy.
    #[schemars(length(min = 1))]
    pub token_secret: String,
}

/// k8sgpt, from the `k8sgpt-operator` chart, and its `K8sGPT` resource.
#[derive(Clone, Debug, Deserialize, JsonSchema)]
#[serde(rename_all = "kebab-case", deny_unknown_fields)]
pub struct Diagnose {
    /// Namespace of the operator and the K8sGPT resource (its Secrets are read there).
    #[serde(default = "default_k8sgpt_namespace")]
    #[schemars(regex(pattern = r"^[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?$"))]
    pub namespace: String,
    /// How often the cluster is scanned: a number and one unit, `s`, `m` or `h`.
    #[serde(default = "default_diagnose_every")]
    #[schemars(regex(pattern = r"^[0-9]+[smh]$"))]
    pub every: String,
    /// The AI backend (`openai`, `localai`, `azureopenai`, `amazonbedrock`, …).
    #[serde(default = "default_ai_backend")]
    pub backend: AiBackend,
    /// The model the backend runs.
    #[serde(default = "default_ai_model")]
    #[schemars(length(min = 1))]
    pub model: String,
    /// The backend's base URL, for self-hosted backends.
    pub base_url: Option<String>,
    /// Secret with the backend's API key (key `api-key`). Optional for `localai`.
    pub ai_secret: Option<String>,
    /// Secret with the Slack webhook URL the findings are posted to (key `webhook-url`).
    #[schemars(length(min = 1))]
    pub slack_secret: String,
    /// The k8sgpt image tag the operator runs.
    #[serde(default = "default_k8sgpt_version")]
    #[schemars(regex(pattern = r"^v[0-9]+\.[0-9]+\.[0-9]+$"))]
    pub version: String,
}

/// The AI backends of k8sgpt.
#[derive(Clone, Copy, Debug, Deserialize, JsonSchema, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum AiBackend {
    Openai,
    Localai,
    Azureopenai,
    Amazonbedrock,
    Amazonsagemaker,
    Cohere,
    Google,
    Googlevertexai,
    Ibmwatsonxai,
    Customrest,
}

fn default_sentry_namespace() -> String {
    "sentry".to_owned()
}
fn default_k8sgpt_namespace() -> String {
    "k8sgpt".to_owned()
}
fn default_diagnose_every() -> String {
    "10m".to_owned()
}
fn default_ai_backend() -> AiBackend {
    AiBackend::Openai
}
fn default_ai_model() -> String {
    "gpt-4o-mini".to_owned()
}
fn default_k8sgpt_version() -> String {
    "v0.4.32".to_owned()
}

/// The compute plan: the nodes the platform runs on, what each node keeps for everything that is
/// not the platform, and the size of every container lgtmc deploys (see `compute`).
#[derive(Clone, Debug, Default, Deserialize, JsonSchema)]
#[serde(rename_all = "kebab-case", deny_unknown_fields, default)]
pub struct Compute {
    /// Requests that do not fit the nodes are an error (exit 2) instead of a warning. Needs
    /// `nodes`.
    pub enforce: bool,
    /// The environment's nodes: `nodes count=3 cpu="8" memory="32Gi"`. Unset: the requests are
    /// summed but compared with nothing.
    pub nodes: Option<Nodes>,
    /// What each node keeps for the kubelet, the system and everything that is not the platform.
    pub reserve: Reserve,
    /// The size of one container, in place of lgtmc's default: `container "loki-chunks-cache"
    /// cpu="100m" memory="1Gi"`. The name is one of the plan's container keys.
    #[serde(rename = "container")]
    pub containers: BTreeMap<String, Resources>,
}

/// Identical nodes: how many, and the CPU and memory of each.
#[derive(Clone, Debug, Deserialize, JsonSchema)]
#[serde(rename_all = "kebab-case", deny_unknown_fields)]
pub struct Nodes {
    /// How many nodes.
    #[schemars(range(min = 1, max = 1000))]
    pub count: u32,
    /// The CPU of one node, a Kubernetes CPU quantity: `8`, `7500m`.
    #[schemars(regex(pattern = CPU_PATTERN))]
    pub cpu: String,
    /// The memory of one node, a Kubernetes memory quantity: `32Gi`.
    #[schemars(regex(pattern = MEMORY_PATTERN))]
    pub memory: String,
}

/// CPU and memory kept on each node, outside the platform's requests.
#[derive(Clone, Debug, Deserialize, JsonSchema)]
#[serde(rename_all = "kebab-case", deny_unknown_fields, default)]
pub struct Reserve {
    /// CPU kept on each node: `500m`.
    #[schemars(regex(pattern = CPU_PATTERN))]
    pub cpu: String,
    /// Memory kept on each node: `1Gi`.
    #[schemars(regex(pattern = MEMORY_PATTERN))]
    pub memory: String,
}

impl Default for Reserve {
    fn default() -> Self {
        Reserve {
            cpu: "500m".to_owned(),
            memory: "1Gi".to_owned(),
        }
    }
}
