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

/// A duration such as `90d`, `2h`, `30s` or `1h30m` (units `y w d h m s ms`), parsed once when
/// the spec is read. The text is kept for messages; every consumer gets a form computed from the
/// parsed length, so no backend re-parses what the user wrote.
///
/// A text that matches the schema's pattern always parses: a length past `u128` milliseconds
/// saturates, and `validate` rejects anything longer than `Duration::MAX_MILLIS`, so after
/// validation every form below is exact.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Duration {
    text: String,
    millis: u128,
}

impl<'de> Deserialize<'de> for Duration {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let text = String::deserialize(deserializer)?;
        Duration::parse(&text)
            .ok_or_else(|| serde::de::Error::custom(format_args!("`{text}` is not a duration")))
    }
}

impl JsonSchema for Duration {
    fn schema_name() -> Cow<'static, str> {
        "Duration".into()
    }

    fn json_schema(_: &mut SchemaGenerator) -> Schema {
        json_schema!({
            "description": "A duration: a number and a unit, repeated, for example `90d`, `12h` or `1h30m` (units `y w d h m s ms`), at most 2562047h (about 292 years).",
            "type": "string",
            "pattern": DURATION_PATTERN,
        })
    }
}

/// The pattern of `Duration` in the schema.
pub const DURATION_PATTERN: &str = "^([0-9]+(ms|s|m|h|d|w|y))+$";

const MILLIS_PER_HOUR: u128 = 3_600_000;
/// A Kubernetes CPU quantity: `2`, `1.5`, `500m` (`compute` reads it to whole millicores).
pub const CPU_PATTERN: &str = r"^[0-9]+(\.[0-9]+)?m?$";

/// A Kubernetes memory quantity: `512Mi`, `4Gi`, `1G` (`compute` reads it to bytes).
pub const MEMORY_PATTERN: &str = r"^[0-9]+(\.[0-9]+)?(Ki|Mi|Gi|Ti|k|M|G|T)?$";

impl Duration {
    /// The longest duration every consumer reads: Go's `time.Duration` (Loki, Tempo, Pyroscope,
    /// Alloy, Kargo) and Prometheus' `model.Duration` (Mimir) hold at most 2^63-1 nanoseconds,
    /// about 292 years; retention reaches three backends in whole hours, so the bound is the
    /// largest whole number of hours below that: 2562047h.
    pub const MAX_MILLIS: u128 = 2_562_047 * MILLIS_PER_HOUR;

    /// Parses `text` (one or more number-unit pairs); `None` when it is not a duration.
    pub fn parse(text: &str) -> Option<Duration> {
        if text.is_empty() {
            return None;
        }
        let mut millis: u128 = 0;
        let mut rest = text;
        while !rest.is_empty() {
            let digits = rest.find(|c: char| !c.is_ascii_digit())?;
            if digits == 0 {
                return None;
            }
            // Saturating: any text that long is past `MAX_MILLIS` and rejected by `validate`.
            let number = rest[..digits].bytes().fold(0u128, |n, d| {
                n.saturating_mul(10).saturating_add(u128::from(d - b'0'))
            });
            rest = &rest[digits..];
            let unit_len = rest
                .find(|c: char| c.is_ascii_digit())
                .unwrap_or(rest.len());
            let per_unit: u128 = match &rest[..unit_len] {
                "ms" => 1,
                "s" => 1_000,
                "m" => 60_000,
                "h" => MILLIS_PER_HOUR,
                "d" => 24 * MILLIS_PER_HOUR,
                "w" => 7 * 24 * MILLIS_PER_HOUR,
                "y" => 365 * 24 * MILLIS_PER_HOUR,
                _ => return None,
            };
            rest = &rest[unit_len..];
            millis = millis.saturating_add(number.saturating_mul(per_unit));
        }
        Some(Duration {
            text: text.to_owned(),
            millis,
        })
    }

    /// A default written in this file; a typo would be a zero length, which `validate` rejects.
    fn default_of(text: &str) -> Duration {
        Duration::parse(text).unwrap_or(Duration {
            text: text.to_owned(),
            millis: 0,
        })
    }

    /// The text as written in the spec, for messages.
    pub fn text(&self) -> &str {
        &self.text
    }

    /// Whether `validate` accepts the length: more than zero and at most `MAX_MILLIS`.
    pub fn in_range(&self) -> bool {
        self.millis > 0 && self.millis <= Self::MAX_MILLIS
    }

    pub fn millis(&self) -> u128 {
        self.millis
    }

    /// Whole seconds, rounded down (saturating, for a length `validate` would reject).
    pub fn seconds(&self) -> u64 {
        u64::try_from(self.millis / 1_000).unwrap_or(u64::MAX)
    }

    /// Whole hours, rounded up: `2160h`, how Loki, Tempo and Pyroscope get a retention.
    pub fn hours(&self) -> String {
        format!("{}h", self.millis.div_ceil(MILLIS_PER_HOUR))
    }

    /// The length in Go's `time.ParseDuration` units (`h m s ms`, no days): `36h`, `1h30m`.
    pub fn go(&self) -> String {
        units(
            self.millis,
            &[
                ("h", MILLIS_PER_HOUR),
                ("m", 60_000),
                ("s", 1_000),
                ("ms", 1),
            ],
        )
    }

    /// The length as Prometheus' `model.ParseDuration` (Mimir) reads it: units in descending
    /// order, each at most once, days the largest (`90d`, `1d12h`).
    pub fn prometheus(&self) -> String {
        units(
            self.millis,
            &[
                ("d", 24 * MILLIS_PER_HOUR),
                ("h", MILLIS_PER_HOUR),
                ("m", 60_000),
                ("s", 1_000),
                ("ms", 1),
            ],
        )
    }
}

/// `millis` written in `units` (largest first), each unit once: `1d12h`; `0s` for zero.
fn units(millis: u128, units: &[(&str, u128)]) -> String {
    if millis == 0 {
        return "0s".to_owned();
    }
    let mut text = String::new();
    let mut rest = millis;
    for (unit, size) in units {
        if rest >= *size {
            text.push_str(&format!("{}{unit}", rest / size));
            rest %= size;
        }
    }
    text
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
            block_range: Duration::default_of("2h"),
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
            flush: Duration::default_of("5m"),
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
    #[schemars(range(min = 1, max = MAX_EXACT))]
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
            block_duration: Duration::default_of("30s"),
            compaction_window: Duration::default_of("1h"),
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
            scrape_interval: Duration::default_of("30s"),
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

#[cfg(test)]
mod tests {
    use super::Duration;

    #[track_caller]
    fn check(text: &str, expected: Option<u64>) {
        assert_eq!(
            Duration::parse(text).map(|d| d.seconds()),
            expected,
            "{text}"
        );
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
    }

    #[test]
    fn lengths_past_what_the_backends_hold_are_out_of_range_not_wrapped() {
        for text in ["99999999999999999999d", "584942418y", "1000y", "2562048h"] {
            let duration = Duration::parse(text).unwrap();
            assert!(!duration.in_range(), "{text}");
            assert!(duration.millis() > Duration::MAX_MILLIS, "{text}");
        }
        let longest = Duration::parse("2562047h").unwrap();
        assert!(longest.in_range());
        assert_eq!(longest.hours(), "2562047h");
        assert!(!Duration::parse("0d").unwrap().in_range());
    }

    #[test]
    fn each_consumer_gets_its_own_form() {
        let d = Duration::parse("1d12h30m1500ms").unwrap();
        assert_eq!(d.hours(), "37h");
        assert_eq!(d.go(), "36h30m1s500ms");
        assert_eq!(d.prometheus(), "1d12h30m1s500ms");
        // Prometheus wants each unit once and in order; the spec may repeat or reorder them.
        assert_eq!(Duration::parse("30m1h").unwrap().prometheus(), "1h30m");
        assert_eq!(Duration::parse("90d").unwrap().prometheus(), "90d");
        assert_eq!(Duration::parse("1y").unwrap().prometheus(), "365d");
    }
}
