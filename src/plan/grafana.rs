//! The Grafana plan: per-tenant data sources and their correlations, a folder of dashboards per
//! tenant, and the platform's alert rules, Slack contact point and notification policy, all
//! delivered as ConfigMaps that the chart's sidecars load.
//!
//! **Invariant:** everything a tenant's folder holds queries only that tenant's data sources,
//! each of which sends only that tenant's `X-Scope-OrgID`. The plan builds it that way, and
//! `isolation` checks the rendered files, so a template override cannot break it unnoticed.
//!
//! Dashboards are built here as JSON values (not templated text): a template only prints them.

use std::collections::BTreeMap;

use serde::Serialize;
use serde_json::{Value, json};

use super::{MimirPlan, TenantPlan};
use crate::model::Platform;

/// Where the provisioning files go, below `out/<env>/`.
pub const PROVISIONING_DIR: &str = "grafana/provisioning";
/// The signals, in the order data sources are listed; a data source's uid is `<signal>-<tenant>`.
pub const SIGNALS: [&str; 4] = ["metrics", "logs", "traces", "profiles"];
/// The folder of the built-in expression data source of alert rules.
pub const EXPRESSION_DATASOURCE: &str = "__expr__";

/// The collector's heartbeat, written to the platform tenant (the collector's contract).
pub const HEARTBEAT_METRIC: &str = "alloy_build_info";
/// The `job` label of the collector's own series.
pub const COLLECTOR_JOB: &str = "lgtmc/collector";
/// How long a node's heartbeat may be missing before the node counts as silent.
const SILENCE_WINDOW: &str = "5m";
/// How far back a node counts as "was reporting": a node gone longer than this is forgotten.
const MEMORY_WINDOW: &str = "1h";
/// The environment variable that carries the Slack webhook URL from its Secret into Grafana.
pub const SLACK_WEBHOOK_ENV: &str = "LGTMC_SLACK_WEBHOOK_URL";
/// The Prometheus-style dashboards' schema version (Grafana 12; later versions migrate it).
const SCHEMA_VERSION: u64 = 41;

#[derive(Debug, Serialize)]
pub struct GrafanaPlan {
    pub release: &'static str,
    pub namespace: String,
    /// The existing Secret with keys `admin-user` and `admin-password`.
    pub admin_secret: String,
    pub sidecar: SidecarPlan,
    /// Every tenant's data sources, by tenant id.
    pub datasources: Vec<TenantDatasources>,
    /// Every dashboard, by folder (tenant id), then file name.
    pub dashboards: Vec<DashboardPlan>,
    pub alerting: AlertingPlan,
    /// The ConfigMaps the provisioning kustomization generates, sorted by name.
    pub config_maps: Vec<ConfigMapPlan>,
}

/// The labels (and the folder annotation) the chart's sidecars watch for.
#[derive(Debug, Serialize)]
pub struct SidecarPlan {
    pub datasources_label: &'static str,
    pub dashboards_label: &'static str,
    pub alerts_label: &'static str,
    /// The value every watched ConfigMap carries in its label.
    pub label_value: &'static str,
    /// The annotation naming a dashboard ConfigMap's folder (the tenant id).
    pub folder_annotation: &'static str,
}

/// One tenant's four data sources; each sends `X-Scope-OrgID: <tenant>` and nothing else.
#[derive(Clone, Debug, Serialize)]
pub struct TenantDatasources {
    pub tenant: String,
    pub metrics: DatasourcePlan,
    pub logs: DatasourcePlan,
    pub traces: DatasourcePlan,
    pub profiles: DatasourcePlan,
}

#[derive(Clone, Debug, Serialize)]
pub struct DatasourcePlan {
    /// `<signal>-<tenant>`, at most 40 characters (tenant ids are at most 30).
    pub uid: String,
    pub name: String,
    /// The Grafana data source type.
    #[serde(rename = "type")]
    pub kind: &'static str,
    pub url: String,
}

impl DatasourcePlan {
    /// The `{type, uid}` reference a dashboard panel or target uses.
    fn reference(&self) -> Value {
        json!({ "type": self.kind, "uid": self.uid })
    }
}

/// One dashboard file in one tenant's folder.
#[derive(Clone, Debug, Serialize)]
pub struct DashboardPlan {
    pub uid: String,
    pub title: String,
    /// The tenant whose folder holds it.
    pub tenant: String,
    /// The file name, also the ConfigMap key: `overview.json`.
    pub file: String,
    /// The file's path below the provisioning directory: `dashboards/<tenant>/<file>`.
    pub path: String,
    /// The dashboard, as pretty-printed JSON with a final newline.
    pub json: String,
}

#[derive(Debug, Serialize)]
pub struct AlertingPlan {
    /// The folder of the rules: the platform tenant's.
    pub folder: String,
    /// The data source the rules query: the platform tenant's metrics.
    pub datasource_uid: String,
    pub groups: Vec<RuleGroupPlan>,
    pub contact_point: &'static str,
    pub receiver_uid: &'static str,
    /// The Secret and key holding the Slack webhook URL.
    pub slack_secret: String,
    pub slack_key: String,
    /// The environment variable Grafana reads the URL from.
    pub webhook_env: &'static str,
    /// The channel, as written in a provisioning file (`$` doubled, so Grafana does not expand it).
    pub channel: Option<String>,
}

#[derive(Debug, Serialize)]
pub struct RuleGroupPlan {
    pub name: &'static str,
    pub interval: &'static str,
    pub rules: Vec<RulePlan>,
}

/// A Grafana-managed alert rule: a PromQL query (`A`), reduced to its last value (`B`), firing
/// when that is above zero (`C`).
#[derive(Debug, Serialize)]
pub struct RulePlan {
    pub uid: &'static str,
    pub title: &'static str,
    pub expr: String,
    /// How long the condition must hold before the alert fires.
    #[serde(rename = "for")]
    pub pending: &'static str,
    /// Every rule's query returns nothing while all is well, so no data is `OK`.
    pub no_data_state: &'static str,
    pub exec_err_state: &'static str,
    pub labels: BTreeMap<&'static str, String>,
    pub annotations: BTreeMap<&'static str, String>,
}

/// One generated ConfigMap: its name, the sidecar label it carries and its files.
#[derive(Debug, Serialize)]
pub struct ConfigMapPlan {
    pub name: String,
    pub label: &'static str,
    /// The dashboard folder (tenant id), for dashboard ConfigMaps.
    pub folder: Option<String>,
    /// Paths below the provisioning directory.
    pub files: Vec<String>,
}

/// Where the platform's own signals go and how each backend is reached.
pub(super) struct Context<'a> {
    pub platform: &'a Platform,
    pub platform_tenant: &'a str,
    pub tenants: &'a [TenantPlan],
    pub mimir: &'a MimirPlan,
    pub loki_url: &'a str,
    pub tempo_url: &'a str,
    pub pyroscope_url: &'a str,
    pub buckets: &'a [super::BucketPlan],
}

pub(super) fn grafana(context: &Context<'_>) -> GrafanaPlan {
    let spec = &context.platform.grafana;
    let alerts = &context.platform.alerts;
    let sidecar = SidecarPlan {
        datasources_label: "grafana_datasource",
        dashboards_label: "grafana_dashboard",
        alerts_label: "grafana_alert",
        label_value: "1",
        folder_annotation: "grafana_folder",
    };
    let datasources: Vec<TenantDatasources> = context
        .tenants
        .iter()
        .map(|tenant| tenant_datasources(&tenant.id, context))
        .collect();
    let platform = datasources
        .iter()
        .find(|set| set.tenant == context.platform_tenant)
        .cloned()
        .unwrap_or_else(|| tenant_datasources(context.platform_tenant, context));

    let mut dashboards = vec![
        collector_health(&platform),
        object_storage(&platform, context.buckets),
    ];
    for tenant in context.tenants {
        dashboards.push(ingestion(&platform, tenant, context.mimir));
    }
    for set in &datasources {
        dashboards.push(overview(set));
    }
    dashboards.sort_by(|a, b| a.path.cmp(&b.path));

    let mut config_maps: Vec<ConfigMapPlan> = datasources
        .iter()
        .map(|set| ConfigMapPlan {
            name: format!("grafana-datasources-{}", set.tenant),
            label: sidecar.datasources_label,
            folder: None,
            files: vec![format!("datasources/{}.yaml", set.tenant)],
        })
        .collect();
    config_maps.extend(dashboards.iter().map(|dashboard| ConfigMapPlan {
        name: format!("grafana-dashboard-{}", dashboard.uid),
        label: sidecar.dashboards_label,
        folder: Some(dashboard.tenant.clone()),
        files: vec![dashboard.path.clone()],
    }));
    config_maps.push(ConfigMapPlan {
        name: "grafana-alerting".to_owned(),
        label: sidecar.alerts_label,
        folder: None,
        files: ALERTING_FILES
            .iter()
            .map(|file| format!("alerting/{file}"))
            .collect(),
    });
    config_maps.sort_by(|a, b| a.name.cmp(&b.name));

    GrafanaPlan {
        release: "grafana",
        namespace: spec.namespace.clone(),
        admin_secret: spec.admin_secret.clone(),
        sidecar,
        datasources,
        dashboards,
        alerting: AlertingPlan {
            folder: context.platform_tenant.to_owned(),
            datasource_uid: platform.metrics.uid.clone(),
            groups: rule_groups(),
            contact_point: "slack",
            receiver_uid: "lgtmc-slack",
            slack_secret: alerts.slack_secret.clone(),
            slack_key: alerts.slack_key.clone(),
            webhook_env: SLACK_WEBHOOK_ENV,
            channel: alerts.channel.as_deref().map(provisioning_literal),
        },
        config_maps,
    }
}

/// The alerting provisioning files, each rendered by `grafana/alerting/<file>.j2`.
pub const ALERTING_FILES: [&str; 3] = ["contact-points.yaml", "policies.yaml", "rules.yaml"];

/// A string as a literal value of a provisioning file: Grafana expands `$NAME` there, and reads
/// `$$` as one `$`.
pub fn provisioning_literal(text: &str) -> String {
    text.replace('$', "$$")
}

fn tenant_datasources(tenant: &str, context: &Context<'_>) -> TenantDatasources {
    let source = |signal: &str, title: &str, kind: &'static str, url: String| DatasourcePlan {
        uid: format!("{signal}-{tenant}"),
        name: format!("{title} ({tenant})"),
        kind,
        url,
    };
    TenantDatasources {
        tenant: tenant.to_owned(),
        metrics: source(
            "metrics",
            "Metrics",
            "prometheus",
            format!("{}/prometheus", context.mimir.url),
        ),
        logs: source("logs", "Logs", "loki", context.loki_url.to_owned()),
        traces: source("traces", "Traces", "tempo", context.tempo_url.to_owned()),
        profiles: source(
            "profiles",
            "Profiles",
            "grafana-pyroscope-datasource",
            context.pyroscope_url.to_owned(),
        ),
    }
}

// ---------------------------------------------------------------------------------------------
// Alert rules

/// The heartbeat of every collector, by node.
fn heartbeat(window: &str) -> String {
    format!(
        "max by (node) (max_over_time({HEARTBEAT_METRIC}{{job=\"{COLLECTOR_JOB}\"}}[{window}]))"
    )
}

/// The nodes whose collector reported within the last hour but not within the last five
/// minutes: one series per silent node, nothing while every collector reports.
pub fn silent_nodes_expr() -> String {
    format!(
        "{} unless {}",
        heartbeat(MEMORY_WINDOW),
        heartbeat(SILENCE_WINDOW)
    )
}

fn rule_groups() -> Vec<RuleGroupPlan> {
    let labels = |severity: &str, signal: &str| {
        BTreeMap::from([
            ("severity", severity.to_owned()),
            ("signal", signal.to_owned()),
        ])
    };
    let text = |summary: &str, description: &str| {
        BTreeMap::from([
            ("summary", summary.to_owned()),
            ("description", description.to_owned()),
        ])
    };
    let rejected = |uid: &'static str,
                    title: &'static str,
                    signal: &str,
                    backend: &str,
                    expr: String,
                    tenant_label: &str| RulePlan {
        uid,
        title,
        expr,
        pending: "5m",
        no_data_state: "OK",
        exec_err_state: "Error",
        labels: labels("warning", signal),
        annotations: text(
            &format!(
                "{backend} is rejecting {signal} of tenant {{{{ index .Labels \"{tenant_label}\" }}}} ({{{{ index .Labels \"reason\" }}}})"
            ),
            &format!(
                "{backend} discarded {signal} of the tenant for the last five minutes, most likely because the tenant hit one of its limits (the reason says which). Raise the tenant's limit in platform.kdl, or find the workload that sends too much."
            ),
        ),
    };
    vec![
        RuleGroupPlan {
            name: "collector",
            interval: "1m",
            rules: vec![
                RulePlan {
                    uid: "collector-stopped-reporting",
                    title: "CollectorStoppedReporting",
                    expr: silent_nodes_expr(),
                    pending: "2m",
                    no_data_state: "OK",
                    exec_err_state: "Error",
                    labels: labels("critical", "collector"),
                    annotations: text(
                        "The collector on node {{ index .Labels \"node\" }} stopped reporting",
                        "No heartbeat from the collector on this node for five minutes, after it reported within the last hour. Every signal of the node's pods is being lost: check the collector pod on that node before its dashboards go dark.",
                    ),
                },
                RulePlan {
                    uid: "collectors-silent",
                    title: "CollectorsSilent",
                    expr: format!(
                        "absent_over_time({HEARTBEAT_METRIC}{{job=\"{COLLECTOR_JOB}\"}}[10m])"
                    ),
                    pending: "5m",
                    no_data_state: "OK",
                    exec_err_state: "Error",
                    labels: labels("critical", "collector"),
                    annotations: text(
                        "No collector has reported for ten minutes",
                        "Not one collector heartbeat reached the platform tenant: the collector DaemonSet is gone, or it cannot write to Mimir.",
                    ),
                },
            ],
        },
        RuleGroupPlan {
            name: "tenant-limits",
            interval: "1m",
            rules: vec![
                rejected(
                    "metrics-writes-rejected",
                    "MetricsWritesRejected",
                    "metrics",
                    "Mimir",
                    "sum by (user, reason) (rate(cortex_discarded_samples_total[5m]))".to_owned(),
                    "user",
                ),
                rejected(
                    "logs-writes-rejected",
                    "LogsWritesRejected",
                    "logs",
                    "Loki",
                    "sum by (tenant, reason) (rate(loki_discarded_samples_total[5m]))".to_owned(),
                    "tenant",
                ),
                rejected(
                    "traces-writes-rejected",
                    "TracesWritesRejected",
                    "traces",
                    "Tempo",
                    "sum by (tenant, reason) (rate(tempo_discarded_spans_total[5m]))".to_owned(),
                    "tenant",
                ),
                rejected(
                    "profiles-writes-rejected",
                    "ProfilesWritesRejected",
                    "profiles",
                    "Pyroscope",
                    "sum by (tenant, reason) (rate(pyroscope_discarded_samples_total[5m]))"
                        .to_owned(),
                    "tenant",
                ),
            ],
        },
    ]
}

// ---------------------------------------------------------------------------------------------
// Dashboards

/// A query of one panel: the expression and its legend.
struct Query<'a> {
    expr: String,
    legend: &'a str,
}

fn query(expr: impl Into<String>, legend: &str) -> Query<'_> {
    Query {
        expr: expr.into(),
        legend,
    }
}

/// A panel's position on the 24-column grid.
#[derive(Clone, Copy)]
struct Grid {
    x: u32,
    y: u32,
    w: u32,
    h: u32,
}

fn grid(x: u32, y: u32, w: u32, h: u32) -> Grid {
    Grid { x, y, w, h }
}

fn position(at: Grid) -> Value {
    json!({ "x": at.x, "y": at.y, "w": at.w, "h": at.h })
}

fn ref_id(index: usize) -> String {
    char::from_u32(u32::from(b'A') + u32::try_from(index).unwrap_or(25).min(25))
        .unwrap_or('Z')
        .to_string()
}

/// A time series (or stat, or table) panel of PromQL queries.
fn prometheus_panel(
    kind: &str,
    title: &str,
    source: &DatasourcePlan,
    queries: &[Query<'_>],
    unit: &str,
    at: Grid,
) -> Value {
    let targets: Vec<Value> = queries
        .iter()
        .enumerate()
        .map(|(index, q)| {
            json!({
                "refId": ref_id(index),
                "datasource": source.reference(),
                "expr": q.expr,
                "legendFormat": q.legend,
                "range": kind != "table",
                "instant": kind == "table",
            })
        })
        .collect();
    json!({
        "type": kind,
        "title": title,
        "datasource": source.reference(),
        "gridPos": position(at),
        "fieldConfig": { "defaults": { "unit": unit }, "overrides": [] },
        "options": {},
        "targets": targets,
    })
}

fn text_panel(title: &str, content: String, at: Grid) -> Value {
    json!({
        "type": "text",
        "title": title,
        "gridPos": position(at),
        "options": { "mode": "markdown", "content": content },
    })
}

fn dashboard(uid: &str, title: &str, tags: &[&str], panels: Vec<Value>) -> Value {
    let panels: Vec<Value> = panels
        .into_iter()
        .enumerate()
        .map(|(index, mut panel)| {
            if let Some(object) = panel.as_object_mut() {
                object.insert("id".to_owned(), json!(index + 1));
            }
            panel
        })
        .collect();
    json!({
        "uid": uid,
        "title": title,
        "tags": tags,
        "schemaVersion": SCHEMA_VERSION,
        "editable": false,
        "graphTooltip": 1,
        "refresh": "1m",
        "time": { "from": "now-6h", "to": "now" },
        "timezone": "browser",
        "annotations": { "list": [] },
        "templating": { "list": [] },
        "links": [],
        "panels": panels,
    })
}

fn dashboard_plan(
    tenant: &str,
    file: &str,
    uid: String,
    title: String,
    body: &Value,
) -> DashboardPlan {
    let mut json = serde_json::to_string_pretty(body).unwrap_or_default();
    json.push('\n');
    DashboardPlan {
        uid,
        title,
        tenant: tenant.to_owned(),
        file: file.to_owned(),
        path: format!("dashboards/{tenant}/{file}"),
        json,
    }
}

/// Collector health per node, from the heartbeat and the collector's own metrics.
fn collector_health(platform: &TenantDatasources) -> DashboardPlan {
    let ds = &platform.metrics;
    let selector = format!("{{job=\"{COLLECTOR_JOB}\"}}");
    let panels = vec![
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
    ];
    let uid = "collector-health".to_owned();
    let title = "Collector health".to_owned();
    let body = dashboard(&uid, &title, &["lgtmc", "collector"], panels);
    dashboard_plan(&platform.tenant, "collector-health.json", uid, title, &body)
}

/// Object storage: the Ceph cluster and pools, the gateway's traffic, the backends' operations.
fn object_storage(platform: &TenantDatasources, buckets: &[super::BucketPlan]) -> DashboardPlan {
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

/// One tenant's ingestion against its limits, from the backends' own metrics (which are in the
/// platform tenant, so the dashboard lives in the platform tenant's folder). The limits are the
/// spec's, drawn as constant lines.
fn ingestion(
    platform: &TenantDatasources,
    tenant: &TenantPlan,
    mimir: &MimirPlan,
) -> DashboardPlan {
    let ds = &platform.metrics;
    let id = &tenant.id;
    let rate = |metric: &str, label: &str| {
        format!("sum(rate({metric}{{{label}=\"{id}\"}}[$__rate_interval]))")
    };
    let limit = |value: u64| format!("vector({value})");
    // Each series is held by replication-factor ingesters.
    let mut active = format!("sum(cortex_ingester_active_series{{user=\"{id}\"}})");
    if mimir.replication_factor > 1 {
        active.push_str(&format!(" / {}", mimir.replication_factor));
    }
    let mut series = vec![query(active, "active series")];
    if let Some(max_series) = tenant.metrics.max_series {
        series.push(query(limit(max_series), "limit (max-series)"));
    }
    let discarded = |metric: &str, label: &str| {
        format!("sum by (reason) (rate({metric}{{{label}=\"{id}\"}}[$__rate_interval]))")
    };
    // The byte-counted signals, side by side: title, the distributor's received-bytes counter,
    // the tenant's limit.
    let byte_signals = [
        (
            "Logs",
            "loki_distributor_bytes_received_total",
            tenant.logs.ingestion_rate_bytes,
        ),
        (
            "Traces",
            "tempo_distributor_bytes_received_total",
            tenant.traces.ingestion_rate_bytes,
        ),
        (
            "Profiles",
            "pyroscope_distributor_received_decompressed_bytes_sum",
            tenant.profiles.ingestion_rate_bytes,
        ),
    ];
    let byte_panels =
        byte_signals
            .iter()
            .zip([0, 8, 16])
            .map(|(&(signal, metric, limit_bytes), x)| {
                prometheus_panel(
                    "timeseries",
                    &format!("{signal}: bytes per second"),
                    ds,
                    &[
                        query(rate(metric, "tenant"), "received"),
                        query(limit(limit_bytes), "limit"),
                    ],
                    "Bps",
                    grid(x, 8, 8, 8),
                )
            });
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
                query(
                    limit(tenant.metrics.ingestion_rate),
                    "limit (ingestion-rate)",
                ),
            ],
            "short",
            grid(0, 0, 12, 8),
        ),
        prometheus_panel(
            "timeseries",
            "Metrics: active series",
            ds,
            &series,
            "short",
            grid(12, 0, 12, 8),
        ),
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
        ),
    ];
    // After the two metrics panels, in reading order.
    panels.splice(2..2, byte_panels);
    let uid = format!("ingestion-{id}");
    let title = format!("Ingestion against limits: {id}");
    let body = dashboard(&uid, &title, &["lgtmc", "limits", id], panels);
    dashboard_plan(
        &platform.tenant,
        &format!("ingestion-{id}.json"),
        uid,
        title,
        &body,
    )
}

/// A tenant's own signals, from its own four data sources only.
fn overview(set: &TenantDatasources) -> DashboardPlan {
    let id = &set.tenant;
    let loki = |title: &str, kind: &str, expr: &str, query_type: &str, at: Grid| {
        json!({
            "type": kind,
            "title": title,
            "datasource": set.logs.reference(),
            "gridPos": position(at),
            "options": {},
            "targets": [{
                "refId": "A",
                "datasource": set.logs.reference(),
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
            "options": {},
            "targets": [{
                "refId": "A",
                "datasource": set.traces.reference(),
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
            "options": {},
            "targets": [{
                "refId": "A",
                "datasource": set.profiles.reference(),
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn provisioning_literals_double_dollars() {
        assert_eq!(provisioning_literal("#a$b$$c"), "#a$$b$$$$c");
        assert_eq!(provisioning_literal("#alerts"), "#alerts");
    }

    #[test]
    fn ref_ids_are_letters() {
        assert_eq!(ref_id(0), "A");
        assert_eq!(ref_id(3), "D");
        assert_eq!(ref_id(99), "Z");
    }

    #[test]
    fn rule_uids_fit_grafana() {
        for group in rule_groups() {
            for rule in group.rules {
                assert!(rule.uid.len() <= 40, "{}", rule.uid);
            }
        }
    }
}
