//! The platform's alert rules: the collectors' heartbeat and every backend's rejected writes,
//! Grafana-managed rules on the platform tenant's metrics.

use std::collections::BTreeMap;

use super::{
    COLLECTOR_JOB, HEARTBEAT_METRIC, MEMORY_WINDOW, RuleGroupPlan, RulePlan, SILENCE_WINDOW,
};

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

pub(super) fn rule_groups() -> Vec<RuleGroupPlan> {
    vec![
        RuleGroupPlan {
            name: "collector",
            interval: "1m",
            rules: collector_rules(),
        },
        RuleGroupPlan {
            name: "tenant-limits",
            interval: "1m",
            rules: limit_rules(),
        },
    ]
}

fn labels(severity: &str, signal: &str) -> BTreeMap<&'static str, String> {
    BTreeMap::from([
        ("severity", severity.to_owned()),
        ("signal", signal.to_owned()),
    ])
}

fn text(summary: &str, description: &str) -> BTreeMap<&'static str, String> {
    BTreeMap::from([
        ("summary", summary.to_owned()),
        ("description", description.to_owned()),
    ])
}

/// The collectors' heartbeat: one node silent, or all of them.
fn collector_rules() -> Vec<RulePlan> {
    vec![
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
            expr: format!("absent_over_time({HEARTBEAT_METRIC}{{job=\"{COLLECTOR_JOB}\"}}[10m])"),
            pending: "5m",
            no_data_state: "OK",
            exec_err_state: "Error",
            labels: labels("critical", "collector"),
            annotations: text(
                "No collector has reported for ten minutes",
                "Not one collector heartbeat reached the platform tenant: the collector DaemonSet is gone, or it cannot write to Mimir.",
            ),
        },
    ]
}

/// One rule per backend: a tenant's writes rejected (by a limit, most likely).
fn limit_rules() -> Vec<RulePlan> {
    [
        ("metrics-writes-rejected", "MetricsWritesRejected", "metrics", "Mimir", "sum by (user, reason) (rate(cortex_discarded_samples_total[5m]))", "user"),
        ("logs-writes-rejected", "LogsWritesRejected", "logs", "Loki", "sum by (tenant, reason) (rate(loki_discarded_samples_total[5m]))", "tenant"),
        ("traces-writes-rejected", "TracesWritesRejected", "traces", "Tempo", "sum by (tenant, reason) (rate(tempo_discarded_spans_total[5m]))", "tenant"),
        ("profiles-writes-rejected", "ProfilesWritesRejected", "profiles", "Pyroscope", "sum by (tenant, reason) (rate(pyroscope_discarded_samples_total[5m]))", "tenant"),
    ]
    .into_iter()
    .map(|(uid, title, signal, backend, expr, tenant_label)| RulePlan {
        uid,
        title,
        expr: expr.to_owned(),
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
    })
    .collect()
}
