//! The dashboards: the platform's (collector health, object storage, ingestion against limits)
//! in the platform tenant's folder, and one overview per tenant in its own folder.

use std::collections::BTreeMap;

use serde_json::{Value, json};

use super::alerting::silent_nodes_expr;
use super::panels::{
    Grid, dashboard, dashboard_plan, grid, position, prometheus_panel, query, text_panel,
};
use super::{
    COLLECTOR_JOB, DashboardPlan, DatasourcePlan, HEARTBEAT_METRIC, SIGNALS, TenantDatasources,
};
use crate::plan::{BucketPlan, MimirPlan};

/// Collector health per node, from the heartbeat and the collector's own metrics.
pub(super) fn collector_health(platform: &TenantDatasources) -> DashboardPlan {
    let ds = &platform.metrics;
    let selector = format!("{{job=\"{COLLECTOR_JOB}\"}}");
    let mut panels = heartbeat_panels(ds, &selector);
    panels.extend(resource_panels(ds, &selector));
    let uid = "collector-health".to_owned();
    let title = "Collector health".to_owned();
    let body = dashboard(&uid, &title, &["lgtmc", "collector"], panels);
    dashboard_plan(&platform.tenant, "collector-health.json", uid, title, &body)
}

/// Which nodes report, which are silent, and each one's version and heartbeat.
fn heartbeat_panels(ds: &DatasourcePlan, selector: &str) -> Vec<Value> {
    vec![
        prometheus_panel(
            "stat",
            "Nodes reporting",
            ds,
            &[query(
                format!("count(max by (node) ({HEARTBEAT_METRIC}{selector}))"),
                "nodes",
            )],
            "none",
            grid(0, 0, 6, 5),
        ),
        prometheus_panel(
            "stat",
            "Nodes silent (alert CollectorStoppedReporting)",
            ds,
            &[query(
                format!("count({}) or vector(0)", silent_nodes_expr()),
                "silent",
            )],
            "none",
            grid(6, 0, 6, 5),
        ),
        prometheus_panel(
            "table",
            "Collector version per node",
            ds,
            &[query(
                format!("max by (node, version) ({HEARTBEAT_METRIC}{selector})"),
                "{{node}}",
            )],
            "none",
            grid(12, 0, 12, 5),
        ),
        prometheus_panel(
            "timeseries",
            "Heartbeat per node (a gap is a node whose collector stopped reporting)",
            ds,
            &[query(
                format!("max by (node) ({HEARTBEAT_METRIC}{selector})"),
                "{{node}}",
            )],
            "none",
            grid(0, 5, 24, 7),
        ),
    ]
}

/// Each node's collector: CPU, memory, samples sent and failed.
fn resource_panels(ds: &DatasourcePlan, selector: &str) -> Vec<Value> {
    vec![
        prometheus_panel(
            "timeseries",
            "CPU per node",
            ds,
            &[query(
                format!(
                    "sum by (node) (rate(alloy_resources_process_cpu_seconds_total{selector}[$__rate_interval]))"
                ),
                "{{node}}",
            )],
            "percentunit",
            grid(0, 12, 12, 7),
        ),
        prometheus_panel(
            "timeseries",
            "Memory per node",
            ds,
            &[query(
                format!("sum by (node) (alloy_resources_process_resident_memory_bytes{selector})"),
                "{{node}}",
            )],
            "bytes",
            grid(12, 12, 12, 7),
        ),
        prometheus_panel(
            "timeseries",
            "Samples sent and failed per node",
            ds,
            &[
                query(
                    format!(
                        "sum by (node) (rate(prometheus_remote_storage_samples_total{selector}[$__rate_interval]))"
                    ),
                    "{{node}} sent",
                ),
                query(
                    format!(
                        "sum by (node) (rate(prometheus_remote_storage_samples_failed_total{selector}[$__rate_interval]))"
                    ),
                    "{{node}} failed",
                ),
            ],
            "short",
            grid(0, 19, 24, 7),
        ),
    ]
}

/// Object storage: the Ceph cluster and pools, the gateway's traffic, the backends' operations.
pub(super) fn object_storage(
    platform: &TenantDatasources,
    buckets: &[BucketPlan],
) -> DashboardPlan {
    let ds = &platform.metrics;
    let pools = "on (pool_id) group_left (name) ceph_pool_metadata";
    let mut bucket_list = String::from("The buckets lgtmc claims, one ObjectBucketClaim each:\n\n");
    for bucket in buckets {
        bucket_list.push_str(&format!(
            "- `{}` in namespace `{}` ({})\n",
            bucket.name, bucket.namespace, bucket.component
        ));
    }
    let panels = vec![
        prometheus_panel(
            "stat",
            "Ceph capacity used",
            ds,
            &[query(
                "sum(ceph_cluster_total_used_bytes) / sum(ceph_cluster_total_bytes)",
                "used",
            )],
            "percentunit",
            grid(0, 0, 6, 6),
        ),
        text_panel("Buckets", bucket_list, grid(6, 0, 18, 6)),
        prometheus_panel(
            "timeseries",
            "Stored per pool",
            ds,
            &[query(format!("ceph_pool_stored * {pools}"), "{{name}}")],
            "bytes",
            grid(0, 6, 12, 8),
        ),
        prometheus_panel(
            "timeseries",
            "Free per pool",
            ds,
            &[query(format!("ceph_pool_max_avail * {pools}"), "{{name}}")],
            "bytes",
            grid(12, 6, 12, 8),
        ),
        prometheus_panel(
            "timeseries",
            "Object gateway traffic",
            ds,
            &[
                query("sum(rate(ceph_rgw_put_b[$__rate_interval]))", "written"),
                query("sum(rate(ceph_rgw_get_b[$__rate_interval]))", "read"),
            ],
            "Bps",
            grid(0, 14, 12, 8),
        ),
        prometheus_panel(
            "timeseries",
            "Bucket operations and failures per namespace",
            ds,
            &[
                query(
                    "sum by (namespace) (rate(thanos_objstore_bucket_operations_total[$__rate_interval]))",
                    "{{namespace}}",
                ),
                query(
                    "sum by (namespace) (rate(thanos_objstore_bucket_operation_failures_total[$__rate_interval]))",
                    "{{namespace}} failed",
                ),
            ],
            "ops",
            grid(12, 14, 12, 8),
        ),
    ];
    let uid = "object-storage".to_owned();
    let title = "Object storage".to_owned();
    let body = dashboard(&uid, &title, &["lgtmc", "storage"], panels);
    dashboard_plan(&platform.tenant, "object-storage.json", uid, title, &body)
}

/// The query that lists the tenants of the ingestion dashboard's `tenant` variable: every tenant
/// Mimir's overrides exporter reports a limit of, which is every tenant, because lgtmc writes
/// each tenant's limits into Mimir's runtime configuration.
pub const TENANT_VARIABLE_QUERY: &str =
    "label_values(cortex_limits_overrides{limit_name=\"ingestion_rate\"}, user)";

/// Every tenant's ingestion against its limits, one tenant at a time (the `tenant` variable):
/// one dashboard however many tenants there are. The backends' own metrics are in the platform
/// tenant, so the dashboard lives in the platform tenant's folder, and the variable is a query
/// of that same data source (a data source variable would let a viewer leave it). Mimir's limits
/// come from its overrides exporter; Loki, Tempo and Pyroscope publish no per-tenant limit, so
/// their byte limits are in `lgtmc plan`, not drawn here.
pub(super) fn ingestion(platform: &TenantDatasources, mimir: &MimirPlan) -> DashboardPlan {
    let ds = &platform.metrics;
    let rate = |metric: &str, label: &str| {
        format!("sum(rate({metric}{{{label}=\"$tenant\"}}[$__rate_interval]))")
    };
    let limit = |name: &str| {
        format!("max(cortex_limits_overrides{{limit_name=\"{name}\", user=\"$tenant\"}})")
    };
    // Each series is held by replication-factor ingesters.
    let mut active = "sum(cortex_ingester_active_series{user=\"$tenant\"})".to_owned();
    if mimir.replication_factor > 1 {
        active.push_str(&format!(" / {}", mimir.replication_factor));
    }
    // The byte-counted signals, side by side: title and the distributor's received-bytes counter.
    let byte_signals = [
        ("Logs", "loki_distributor_bytes_received_total"),
        ("Traces", "tempo_distributor_bytes_received_total"),
        (
            "Profiles",
            "pyroscope_distributor_received_decompressed_bytes_sum",
        ),
    ];
    let mut panels = vec![
        prometheus_panel(
            "timeseries",
            "Metrics: samples per second",
            ds,
            &[
                query(
                    rate("cortex_distributor_received_samples_total", "user"),
                    "received",
                ),
                query(limit("ingestion_rate"), "limit (ingestion-rate)"),
            ],
            "short",
            grid(0, 0, 12, 8),
        ),
        prometheus_panel(
            "timeseries",
            "Metrics: active series",
            ds,
            &[
                query(active, "active series"),
                query(limit("max_global_series_per_user"), "limit (max-series)"),
            ],
            "short",
            grid(12, 0, 12, 8),
        ),
    ];
    panels.extend(
        byte_signals
            .iter()
            .zip([0, 8, 16])
            .map(|(&(signal, metric), x)| {
                prometheus_panel(
                    "timeseries",
                    &format!("{signal}: bytes per second"),
                    ds,
                    &[query(rate(metric, "tenant"), "received")],
                    "Bps",
                    grid(x, 8, 8, 8),
                )
            }),
    );
    panels.push(rejected_panel(ds));
    let uid = "ingestion".to_owned();
    let title = "Ingestion against limits".to_owned();
    let mut body = dashboard(&uid, &title, &["lgtmc", "limits"], panels);
    body["templating"] = json!({ "list": [tenant_variable(ds)] });
    dashboard_plan(&platform.tenant, "ingestion.json", uid, title, &body)
}

/// The writes each backend rejected for the chosen tenant, by reason.
fn rejected_panel(ds: &DatasourcePlan) -> Value {
    let discarded = |metric: &str, label: &str| {
        format!("sum by (reason) (rate({metric}{{{label}=\"$tenant\"}}[$__rate_interval]))")
    };
    prometheus_panel(
        "timeseries",
        "Rejected writes by reason (alerts *WritesRejected)",
        ds,
        &[
            query(
                discarded("cortex_discarded_samples_total", "user"),
                "metrics: {{reason}}",
            ),
            query(
                discarded("loki_discarded_samples_total", "tenant"),
                "logs: {{reason}}",
            ),
            query(
                discarded("tempo_discarded_spans_total", "tenant"),
                "traces: {{reason}}",
            ),
            query(
                discarded("pyroscope_discarded_samples_total", "tenant"),
                "profiles: {{reason}}",
            ),
        ],
        "short",
        grid(0, 16, 24, 8),
    )
}

/// The `tenant` variable: a query of the platform tenant's own metrics.
fn tenant_variable(ds: &DatasourcePlan) -> Value {
    json!({
        "type": "query",
        "name": "tenant",
        "label": "Tenant",
        "datasource": ds.reference(),
        "definition": TENANT_VARIABLE_QUERY,
        "query": { "query": TENANT_VARIABLE_QUERY, "refId": "tenant" },
        "refresh": 2,
        "sort": 1,
        "includeAll": false,
        "multi": false,
        "current": {},
        "options": [],
        "hide": 0,
    })
}

/// Every tenant's overview, built once per length of tenant id (issue 14: building and laying
/// out 6,000 of them was a tenth of `check` at 2,000 tenants).
///
/// An overview depends on its tenant only through the id, which it holds in its uid, title, tags
/// and data source uids (`<signal>-<tenant>`). An id that is a DNS label needs no escaping and is
/// one column per character, so replacing it with a placeholder of the same length changes no
/// line's width and so not the layout: the overview of a tenant is the placeholder's with the
/// placeholder replaced. Anything else (an id with other characters, a uid of another shape) is
/// built on its own. `tests::cached_overviews_equal_built_ones` checks every id length.
#[derive(Default)]
pub(super) struct Overviews {
    /// The overview of an id of each length, split where the id goes.
    by_length: BTreeMap<usize, Vec<String>>,
}

/// The placeholder's character: not in a DNS label, and nowhere in an overview's fixed text.
const PLACEHOLDER: char = '\u{a4}';

impl Overviews {
    pub(super) fn overview(&mut self, set: &TenantDatasources) -> DashboardPlan {
        let id = &set.tenant;
        let plain = !id.is_empty()
            && id
                .bytes()
                .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
            && sources(set)
                .iter()
                .zip(SIGNALS)
                .all(|(source, signal)| source.uid == format!("{signal}-{id}"));
        if !plain {
            return overview(set);
        }
        let placeholder: String = std::iter::repeat_n(PLACEHOLDER, id.len()).collect();
        let pieces = self.by_length.entry(id.len()).or_insert_with(|| {
            let mut stand_in = set.clone();
            stand_in.tenant.clone_from(&placeholder);
            for (source, signal) in sources_mut(&mut stand_in).into_iter().zip(SIGNALS) {
                source.uid = format!("{signal}-{placeholder}");
            }
            let json = overview(&stand_in).json;
            json.split(placeholder.as_str())
                .map(str::to_owned)
                .collect()
        });
        // `join` makes one allocation of the final length; `str::replace` searched the text
        // again and grew its result, for each of thousands of tenants.
        overview_plan(id, pieces.join(id.as_str()))
    }
}

fn sources(set: &TenantDatasources) -> [&DatasourcePlan; 4] {
    [&set.metrics, &set.logs, &set.traces, &set.profiles]
}

fn sources_mut(set: &mut TenantDatasources) -> [&mut DatasourcePlan; 4] {
    [
        &mut set.metrics,
        &mut set.logs,
        &mut set.traces,
        &mut set.profiles,
    ]
}

fn overview_plan(id: &str, json: String) -> DashboardPlan {
    DashboardPlan {
        uid: format!("overview-{id}"),
        title: format!("Tenant overview: {id}"),
        tenant: id.to_owned(),
        file: "overview.json".to_owned(),
        path: super::dashboard_path(id, "overview.json"),
        json,
    }
}

/// A tenant's own signals, from its own four data sources only (each panel names its data
/// source; its targets run on it, as `prometheus_panel` explains).
pub(super) fn overview(set: &TenantDatasources) -> DashboardPlan {
    let id = &set.tenant;
    let loki = |title: &str, kind: &str, expr: &str, query_type: &str, at: Grid| {
        json!({
            "type": kind,
            "title": title,
            "datasource": set.logs.reference(),
            "gridPos": position(at),
            "targets": [{
                "refId": "A",
                "expr": expr,
                "queryType": query_type,
                "legendFormat": "{{namespace}}",
            }],
        })
    };
    let panels = vec![
        prometheus_panel(
            "timeseries",
            "Scrape targets up, by job",
            &set.metrics,
            &[query("sum by (job) (up)", "{{job}}")],
            "short",
            grid(0, 0, 12, 8),
        ),
        loki(
            "Log lines per namespace",
            "timeseries",
            "sum by (namespace) (count_over_time({namespace=~\".+\"}[$__auto]))",
            "range",
            grid(12, 0, 12, 8),
        ),
        loki(
            "Recent errors",
            "logs",
            "{namespace=~\".+\"} |~ \"(?i)error\"",
            "range",
            grid(0, 8, 24, 10),
        ),
        json!({
            "type": "table",
            "title": "Recent traces",
            "datasource": set.traces.reference(),
            "gridPos": position(grid(0, 18, 12, 10)),
            "targets": [{
                "refId": "A",
                "queryType": "traceql",
                "query": "{}",
                "limit": 20,
            }],
        }),
        json!({
            "type": "flamegraph",
            "title": "CPU profile",
            "datasource": set.profiles.reference(),
            "gridPos": position(grid(12, 18, 12, 10)),
            "targets": [{
                "refId": "A",
                "queryType": "profile",
                "profileTypeId": "process_cpu:cpu:nanoseconds:cpu:nanoseconds",
                "labelSelector": "{}",
                "groupBy": [],
            }],
        }),
    ];
    let uid = format!("overview-{id}");
    let title = format!("Tenant overview: {id}");
    let body = dashboard(&uid, &title, &["lgtmc", "overview", id], panels);
    dashboard_plan(id, "overview.json", uid, title, &body)
}
