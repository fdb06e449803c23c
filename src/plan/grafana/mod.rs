//! The Grafana plan: per-tenant data sources and their correlations, a folder of dashboards per
//! tenant, and the platform's alert rules, Slack contact point and notification policy, all
//! delivered as ConfigMaps that the chart's sidecars load.
//!
//! **Invariant:** everything a tenant's folder holds queries only that tenant's data sources,
//! each of which sends only that tenant's `X-Scope-OrgID`. The plan builds it that way, and
//! `isolation` checks the rendered files, so a template override cannot break it unnoticed.
//!
//! Dashboards are built here as JSON values (not templated text): a template only prints them.

mod alerting;
mod dashboards;
mod layout;
mod panels;
#[cfg(test)]
mod tests;

use std::collections::BTreeMap;

use serde::Serialize;
use serde_json::{Value, json};

use alerting::rule_groups;
pub use alerting::silent_nodes_expr;
pub use dashboards::TENANT_VARIABLE_QUERY;
use dashboards::{Overviews, collector_health, ingestion, object_storage};

use super::{BucketPlan, MimirPlan, TenantPlan};
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

/// The Grafana plan. Its three lists grow with the tenants and at most one template reads each,
/// so serialising the plan leaves them out: `render` makes each into template values only when
/// a template reads it (`render/context.rs`).
#[derive(Debug, Serialize)]
pub struct GrafanaPlan {
    pub release: &'static str,
    pub namespace: String,
    /// The existing Secret with keys `admin-user` and `admin-password`.
    pub admin_secret: String,
    pub sidecar: SidecarPlan,
    /// Every tenant's data sources, by tenant id.
    #[serde(skip)]
    pub datasources: Vec<TenantDatasources>,
    /// Every dashboard, by folder (tenant id), then file name.
    #[serde(skip)]
    pub dashboards: Vec<DashboardPlan>,
    pub alerting: AlertingPlan,
    /// The ConfigMaps the provisioning kustomization generates, sorted by name.
    #[serde(skip)]
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

/// Where a tenant's dashboard `file` is below the provisioning directory: beside the others, named
/// by its tenant and its file (`dashboards/dev.overview.json`). Not a directory per tenant: at
/// 2,000 tenants that was 6,000 directories of one file each, 15% of a fresh render's time on ext4
/// (issue 14). The ConfigMap key stays `file` (`config_maps`).
pub fn dashboard_path(tenant: &str, file: &str) -> String {
    format!("dashboards/{tenant}.{file}")
}

/// The tenant whose folder holds the dashboard at `path` below the provisioning directory, as
/// `dashboard_path` named it (tenant ids have no dot, so the first one ends the tenant); `None`
/// for any other path.
pub fn dashboard_tenant(path: &str) -> Option<&str> {
    let name = path.strip_prefix("dashboards/")?;
    let (tenant, _) = name.split_once('.')?;
    (!name.contains('/')).then_some(tenant)
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
    /// The file's path below the provisioning directory: `dashboards/<tenant>.<file>`
    /// (`dashboard_path`).
    pub path: String,
    /// The dashboard as JSON laid out by `layout` (small containers on one line), with a final
    /// newline.
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
    pub buckets: &'a [BucketPlan],
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
    dashboards.push(ingestion(&platform, context.mimir));
    let mut overviews = Overviews::default();
    for set in &datasources {
        dashboards.push(overviews.overview(set));
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
        // `key=path`: the sidecar writes the dashboard as `<folder>/<file>`, as it always did.
        files: vec![format!("{}={}", dashboard.file, dashboard.path)],
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
