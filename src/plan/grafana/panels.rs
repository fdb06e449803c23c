//! The pieces dashboards are built from, as JSON values: panels of PromQL queries, text panels,
//! the dashboard around them, and the plan of its file.

use serde_json::{Value, json};

use super::{DashboardPlan, DatasourcePlan, SCHEMA_VERSION, layout};

/// A query of one panel: the expression and its legend.
pub(super) struct Query<'a> {
    pub(super) expr: String,
    pub(super) legend: &'a str,
}

pub(super) fn query(expr: impl Into<String>, legend: &str) -> Query<'_> {
    Query {
        expr: expr.into(),
        legend,
    }
}

/// A panel's position on the 24-column grid.
#[derive(Clone, Copy)]
pub(super) struct Grid {
    x: u32,
    y: u32,
    w: u32,
    h: u32,
}

pub(super) fn grid(x: u32, y: u32, w: u32, h: u32) -> Grid {
    Grid { x, y, w, h }
}

pub(super) fn position(at: Grid) -> Value {
    json!({ "x": at.x, "y": at.y, "w": at.w, "h": at.h })
}

pub(super) fn ref_id(index: usize) -> String {
    char::from_u32(u32::from(b'A') + u32::try_from(index).unwrap_or(25).min(25))
        .unwrap_or('Z')
        .to_string()
}

/// A time series (or stat, or table) panel of PromQL queries.
///
/// Panels name their data source once, on the panel: a target without one runs on the panel's
/// (`DataSourceWithBackend.query` in @grafana/runtime uses its own reference for a target that
/// names none), and `isolation` checks the panel's. Empty `options` and `fieldConfig.overrides`
/// are left out: they are PanelModel's defaults.
pub(super) fn prometheus_panel(
    kind: &str,
    title: &str,
    source: &DatasourcePlan,
    queries: &[Query<'_>],
    unit: &str,
    at: Grid,
) -> Value {
    // A table shows each series' latest value (an instant query), anything else a range. The
    // other flag is left out: Grafana's Prometheus backend reads an absent one as false
    // (`models.Parse` in pkg/promlib).
    let mode = if kind == "table" { "instant" } else { "range" };
    let targets: Vec<Value> = queries
        .iter()
        .enumerate()
        .map(|(index, q)| {
            json!({
                "refId": ref_id(index),
                "expr": q.expr,
                "legendFormat": q.legend,
                mode: true,
            })
        })
        .collect();
    json!({
        "type": kind,
        "title": title,
        "datasource": source.reference(),
        "gridPos": position(at),
        "fieldConfig": { "defaults": { "unit": unit } },
        "targets": targets,
    })
}

pub(super) fn text_panel(title: &str, content: String, at: Grid) -> Value {
    json!({
        "type": "text",
        "title": title,
        "gridPos": position(at),
        "options": { "mode": "markdown", "content": content },
    })
}

pub(super) fn dashboard(uid: &str, title: &str, tags: &[&str], panels: Vec<Value>) -> Value {
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
    // Left out because they are Grafana's defaults (DashboardModel's constructor in
    // public/app/features/dashboard/state): `time` (the last six hours), empty `annotations`,
    // `templating` and `links`.
    json!({
        "uid": uid,
        "title": title,
        "tags": tags,
        "schemaVersion": SCHEMA_VERSION,
        "editable": false,
        "graphTooltip": 1,
        "refresh": "1m",
        "timezone": "browser",
        "panels": panels,
    })
}

pub(super) fn dashboard_plan(
    tenant: &str,
    file: &str,
    uid: String,
    title: String,
    body: &Value,
) -> DashboardPlan {
    let json = layout::to_string(body);
    DashboardPlan {
        uid,
        title,
        tenant: tenant.to_owned(),
        file: file.to_owned(),
        path: super::dashboard_path(tenant, file),
        json,
    }
}
