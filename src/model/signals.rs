//! The four signal backends (Mimir, Loki, Tempo, Pyroscope) and a tenant's limits for one
//! signal.

use schemars::JsonSchema;
use serde::Deserialize;

use super::{Duration, MAX_EXACT, Resources};

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
