//! The plan of each backend: Mimir, Loki, Tempo and Pyroscope. Chart-specific decisions live
//! here (release names, endpoints, replication), so that the templates only lay values out.

use serde::Serialize;

use super::{BucketPlan, ResourcesPlan, resources};
use crate::model::{Platform, TracesMode};

/// Tempo's default `max_bytes_per_trace`.
const TEMPO_MAX_BYTES_PER_TRACE: u64 = 5_000_000;
/// The Loki chart's simple-scalable targets, which the monolithic mode must switch off.
const LOKI_SCALABLE_TARGETS: &[&str] = &["backend", "read", "write"];
/// Replication factor when there are enough replicas.
const REPLICATION_FACTOR: u32 = 3;

#[derive(Debug, Serialize)]
pub struct MimirPlan {
    pub release: &'static str,
    pub namespace: String,
    pub replicas: u32,
    pub replication_factor: u32,
    /// Spread replicas across hosts (more than one replica).
    pub spread: bool,
    pub block_range: String,
    /// The compactor's ranges: the block range, then 12h and 24h.
    pub compactor_block_ranges: Vec<String>,
    pub resources: Option<ResourcesPlan>,
    pub blocks_bucket: BucketPlan,
    pub ruler_bucket: BucketPlan,
    pub alertmanager_bucket: BucketPlan,
    /// `http://mimir-nginx.<ns>.svc:80`: remote write at `/api/v1/push`, queries at `/prometheus`.
    pub url: String,
}

#[derive(Debug, Serialize)]
pub struct LokiPlan {
    pub release: &'static str,
    pub namespace: String,
    pub replicas: u32,
    /// Loki chart rule (`templates/validate.yaml`): the chart fails when the single binary and
    /// any simple-scalable target both have replicas, and those targets default to 3 each; in
    /// monolithic mode each of them is set to 0 replicas.
    pub unused_targets: &'static [&'static str],
    pub replication_factor: u32,
    pub flush: String,
    pub ingestion_rate_mb: u32,
    pub ingestion_burst_mb: u32,
    pub resources: Option<ResourcesPlan>,
    pub chunks_bucket: BucketPlan,
    pub ruler_bucket: BucketPlan,
    /// `http://loki-gateway.<ns>.svc:80`: push at `/loki/api/v1/push`, queries at the root.
    pub url: String,
}

#[derive(Debug, Serialize)]
pub struct TempoPlan {
    pub release: &'static str,
    pub namespace: String,
    pub mode: TracesMode,
    #[serde(skip)]
    pub template: &'static str,
    pub kafka: Option<String>,
    pub replicas: u32,
    pub block_duration: String,
    pub compaction_window: String,
    pub ingestion_rate_bytes: u64,
    pub ingestion_burst_bytes: u64,
    pub max_traces_per_tenant: u64,
    /// Tempo's own default (5 MB), written out because a tenant's block replaces the defaults.
    pub max_bytes_per_trace: u64,
    pub jaeger: bool,
    pub zipkin: bool,
    pub resources: Option<ResourcesPlan>,
    pub traces_bucket: BucketPlan,
    /// Where the collector sends OTLP over gRPC (`host:4317`).
    pub otlp_grpc: String,
    /// Where Grafana queries (`http://…:3200`).
    pub query_url: String,
}

#[derive(Debug, Serialize)]
pub struct PyroscopePlan {
    pub release: &'static str,
    pub namespace: String,
    pub replicas: u32,
    pub ingestion_rate_mb: u32,
    pub ingestion_burst_mb: u32,
    pub resources: Option<ResourcesPlan>,
    pub profiles_bucket: BucketPlan,
    /// `http://pyroscope.<ns>.svc:4040`, for both writes and queries.
    pub url: String,
}

/// Every bucket a backend can use; `storage { quota "<name>" … }` must name one of them.
pub const BUCKET_NAMES: &[&str] = &[
    "mimir-blocks",
    "mimir-ruler",
    "mimir-alertmanager",
    "loki-chunks",
    "loki-ruler",
    "tempo-traces",
    "pyroscope-profiles",
    "sentry-files",
];

fn bucket(name: &str, namespace: &str, component: &str, env_prefix: &str) -> BucketPlan {
    BucketPlan {
        name: name.to_owned(),
        namespace: namespace.to_owned(),
        component: component.to_owned(),
        env_prefix: env_prefix.to_owned(),
        max_size: None,
        max_objects: None,
        fixed_name: None,
    }
}

pub(super) fn mimir(platform: &Platform) -> MimirPlan {
    let spec = &platform.metrics;
    let ns = spec.namespace.as_str();
    MimirPlan {
        release: "mimir",
        namespace: ns.to_owned(),
        replicas: spec.replicas,
        replication_factor: spec.replicas.min(REPLICATION_FACTOR),
        spread: spec.replicas > 1,
        block_range: spec.block_range.go(),
        compactor_block_ranges: vec![spec.block_range.go(), "12h".to_owned(), "24h".to_owned()],
        resources: resources(&spec.resources),
        blocks_bucket: bucket("mimir-blocks", ns, "mimir", "BLOCKS_"),
        ruler_bucket: bucket("mimir-ruler", ns, "mimir", "RULER_"),
        alertmanager_bucket: bucket("mimir-alertmanager", ns, "mimir", "ALERTMANAGER_"),
        url: format!("http://mimir-nginx.{ns}.svc:80"),
    }
}

pub(super) fn loki(platform: &Platform) -> LokiPlan {
    let spec = &platform.logs;
    let ns = spec.namespace.as_str();
    LokiPlan {
        release: "loki",
        namespace: ns.to_owned(),
        replicas: spec.replicas,
        unused_targets: LOKI_SCALABLE_TARGETS,
        replication_factor: spec.replicas.min(REPLICATION_FACTOR),
        flush: spec.flush.go(),
        ingestion_rate_mb: spec.ingestion_rate_mb,
        ingestion_burst_mb: spec.ingestion_burst_mb,
        resources: resources(&spec.resources),
        chunks_bucket: bucket("loki-chunks", ns, "loki", "CHUNKS_"),
        ruler_bucket: bucket("loki-ruler", ns, "loki", "RULER_"),
        url: format!("http://loki-gateway.{ns}.svc:80"),
    }
}

pub(super) fn tempo(platform: &Platform) -> TempoPlan {
    let spec = &platform.traces;
    let ns = spec.namespace.as_str();
    let (template, otlp_grpc, query_url) = match spec.mode {
        TracesMode::Monolithic => (
            "tempo/values.yaml.j2",
            format!("tempo.{ns}.svc:4317"),
            format!("http://tempo.{ns}.svc:3200"),
        ),
        TracesMode::Microservices => (
            "tempo-distributed/values.yaml.j2",
            format!("tempo-distributor.{ns}.svc:4317"),
            format!("http://tempo-query-frontend.{ns}.svc:3200"),
        ),
    };
    TempoPlan {
        release: "tempo",
        namespace: ns.to_owned(),
        mode: spec.mode,
        template,
        kafka: spec.kafka.clone(),
        replicas: spec.replicas,
        block_duration: spec.block_duration.go(),
        compaction_window: spec.compaction_window.go(),
        ingestion_rate_bytes: u64::from(spec.ingestion_rate_mb) * super::MIB,
        ingestion_burst_bytes: u64::from(spec.ingestion_burst_mb) * super::MIB,
        max_traces_per_tenant: spec.max_traces_per_tenant,
        max_bytes_per_trace: TEMPO_MAX_BYTES_PER_TRACE,
        jaeger: spec.jaeger,
        zipkin: spec.zipkin,
        resources: resources(&spec.resources),
        // Tempo reads AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY itself, and it needs only one
        // claim, so its variables carry no prefix.
        traces_bucket: bucket("tempo-traces", ns, "tempo", ""),
        otlp_grpc,
        query_url,
    }
}

pub(super) fn pyroscope(platform: &Platform) -> PyroscopePlan {
    let spec = &platform.profiles;
    let ns = spec.namespace.as_str();
    PyroscopePlan {
        release: "pyroscope",
        namespace: ns.to_owned(),
        replicas: spec.replicas,
        ingestion_rate_mb: spec.ingestion_rate_mb,
        ingestion_burst_mb: spec.ingestion_burst_mb,
        resources: resources(&spec.resources),
        profiles_bucket: bucket("pyroscope-profiles", ns, "pyroscope", ""),
        url: format!("http://pyroscope.{ns}.svc:4040"),
    }
}
