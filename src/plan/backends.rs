//! The plan of each backend: Mimir, Loki, Tempo and Pyroscope. Chart-specific decisions live
//! here (endpoints, replication, the rules a chart imposes), so that the templates only lay
//! values out; release names and buckets come from the catalog.

use std::collections::BTreeMap;

use serde::Serialize;

use super::collector::scrape_annotations;
use super::{BucketPlan, ResourcesPlan, claim, resources};
use crate::catalog;
use crate::model::{Platform, TracesMode};

/// Tempo's default `max_bytes_per_trace`.
const TEMPO_MAX_BYTES_PER_TRACE: u64 = 5_000_000;
/// The Loki chart's simple-scalable targets, which the monolithic mode must switch off.
const LOKI_SCALABLE_TARGETS: &[&str] = &["backend", "read", "write"];
/// Replication factor when there are enough replicas.
const REPLICATION_FACTOR: u32 = 3;

/// The container ports the charts serve metrics on, at `/metrics` (each chart's templates name
/// them): Mimir's and Loki's `http-metrics`, Tempo's `prom-metrics` (monolithic) or
/// `http-metrics` (tempo-distributed), Pyroscope's `http2`, the exporter beside each of the Loki
/// chart's memcached caches (`http-metrics`), and the access-log exporter in the Loki gateway's
/// pod (`http-metrics`; the gateway's nginx itself serves none).
const MIMIR_METRICS_PORT: u16 = 8080;
const LOKI_METRICS_PORT: u16 = 3100;
const LOKI_GATEWAY_EXPORTER_PORT: u16 = 4040;
const MEMCACHED_EXPORTER_PORT: u16 = 9150;
const TEMPO_METRICS_PORT: u16 = 3200;
const PYROSCOPE_METRICS_PORT: u16 = 4040;

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
    /// The collector's scrape annotations of every Mimir component's pods (`podAnnotations` of
    /// each component), so Mimir's own metrics reach the platform tenant. Not the nginx
    /// gateway's: it serves no metrics (its port `http-metric` is the proxy).
    pub pod_annotations: BTreeMap<String, String>,
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
    /// The collector's scrape annotations of the single binary's pods, of the gateway's (its
    /// access-log exporter) and of the memcached caches' (their exporter).
    pub pod_annotations: BTreeMap<String, String>,
    pub gateway_pod_annotations: BTreeMap<String, String>,
    pub cache_pod_annotations: BTreeMap<String, String>,
}

#[derive(Debug, Serialize)]
pub struct TempoPlan {
    pub release: &'static str,
    pub namespace: String,
    pub mode: TracesMode,
    pub kafka: Option<String>,
    pub replicas: u32,
    pub block_duration: String,
    pub compaction_window: String,
    pub ingestion_rate_bytes: u64,
    pub ingestion_burst_bytes: u64,
    pub max_traces_per_tenant: u64,
    /// The default tenant's trace retention (`2160h`): Tempo's global retention, which a tenant
    /// without its own override block keeps.
    pub default_retention_hours: String,
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
    /// The collector's scrape annotations of every Tempo pod (in microservices mode, every
    /// Tempo component's; the chart's memcached has no exporter).
    pub pod_annotations: BTreeMap<String, String>,
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
    /// The collector's scrape annotations of Pyroscope's pods (beside the chart's own profile
    /// annotations, by which the collector already profiles Pyroscope).
    pub pod_annotations: BTreeMap<String, String>,
}

pub(super) fn mimir(platform: &Platform) -> MimirPlan {
    let spec = &platform.metrics;
    let ns = spec.namespace.as_str();
    MimirPlan {
        release: catalog::MIMIR.release(),
        namespace: ns.to_owned(),
        replicas: spec.replicas,
        replication_factor: spec.replicas.min(REPLICATION_FACTOR),
        spread: spec.replicas > 1,
        block_range: spec.block_range.go(),
        compactor_block_ranges: vec![spec.block_range.go(), "12h".to_owned(), "24h".to_owned()],
        resources: resources(&spec.resources),
        blocks_bucket: backend_claim(&catalog::MIMIR_BLOCKS, &catalog::MIMIR, ns),
        ruler_bucket: backend_claim(&catalog::MIMIR_RULER, &catalog::MIMIR, ns),
        alertmanager_bucket: backend_claim(&catalog::MIMIR_ALERTMANAGER, &catalog::MIMIR, ns),
        url: format!("http://mimir-nginx.{ns}.svc:80"),
        pod_annotations: scrape_annotations(MIMIR_METRICS_PORT),
    }
}

pub(super) fn loki(platform: &Platform) -> LokiPlan {
    let spec = &platform.logs;
    let ns = spec.namespace.as_str();
    LokiPlan {
        release: catalog::LOKI.release(),
        namespace: ns.to_owned(),
        replicas: spec.replicas,
        unused_targets: LOKI_SCALABLE_TARGETS,
        replication_factor: spec.replicas.min(REPLICATION_FACTOR),
        flush: spec.flush.go(),
        ingestion_rate_mb: spec.ingestion_rate_mb,
        ingestion_burst_mb: spec.ingestion_burst_mb,
        resources: resources(&spec.resources),
        chunks_bucket: backend_claim(&catalog::LOKI_CHUNKS, &catalog::LOKI, ns),
        ruler_bucket: backend_claim(&catalog::LOKI_RULER, &catalog::LOKI, ns),
        url: format!("http://loki-gateway.{ns}.svc:80"),
        pod_annotations: scrape_annotations(LOKI_METRICS_PORT),
        gateway_pod_annotations: scrape_annotations(LOKI_GATEWAY_EXPORTER_PORT),
        cache_pod_annotations: scrape_annotations(MEMCACHED_EXPORTER_PORT),
    }
}

pub(super) fn tempo(platform: &Platform, default_retention_hours: String) -> TempoPlan {
    let spec = &platform.traces;
    let ns = spec.namespace.as_str();
    let (otlp_grpc, query_url) = match spec.mode {
        TracesMode::Monolithic => (
            format!("tempo.{ns}.svc:4317"),
            format!("http://tempo.{ns}.svc:3200"),
        ),
        TracesMode::Microservices => (
            format!("tempo-distributor.{ns}.svc:4317"),
            format!("http://tempo-query-frontend.{ns}.svc:3200"),
        ),
    };
    TempoPlan {
        release: catalog::TEMPO.release(),
        namespace: ns.to_owned(),
        mode: spec.mode,
        kafka: spec.kafka.clone(),
        replicas: spec.replicas,
        block_duration: spec.block_duration.go(),
        compaction_window: spec.compaction_window.go(),
        ingestion_rate_bytes: u64::from(spec.ingestion_rate_mb) * super::MIB,
        ingestion_burst_bytes: u64::from(spec.ingestion_burst_mb) * super::MIB,
        max_traces_per_tenant: spec.max_traces_per_tenant,
        default_retention_hours,
        max_bytes_per_trace: TEMPO_MAX_BYTES_PER_TRACE,
        jaeger: spec.jaeger,
        zipkin: spec.zipkin,
        resources: resources(&spec.resources),
        traces_bucket: backend_claim(&catalog::TEMPO_TRACES, &catalog::TEMPO, ns),
        otlp_grpc,
        query_url,
        pod_annotations: scrape_annotations(TEMPO_METRICS_PORT),
    }
}

pub(super) fn pyroscope(platform: &Platform) -> PyroscopePlan {
    let spec = &platform.profiles;
    let ns = spec.namespace.as_str();
    PyroscopePlan {
        release: catalog::PYROSCOPE.release(),
        namespace: ns.to_owned(),
        replicas: spec.replicas,
        ingestion_rate_mb: spec.ingestion_rate_mb,
        ingestion_burst_mb: spec.ingestion_burst_mb,
        resources: resources(&spec.resources),
        profiles_bucket: backend_claim(&catalog::PYROSCOPE_PROFILES, &catalog::PYROSCOPE, ns),
        url: format!("http://pyroscope.{ns}.svc:4040"),
        pod_annotations: scrape_annotations(PYROSCOPE_METRICS_PORT),
    }
}

/// A backend's claim of one of its buckets. The backends' buckets have generated names, so the
/// environment plays no part.
fn backend_claim(bucket: &catalog::Bucket, component: &catalog::Component, ns: &str) -> BucketPlan {
    claim(bucket, component.name, ns, "")
}
