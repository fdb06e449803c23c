//! The Grafana plan's unit tests.

use super::alerting::rule_groups;
use super::dashboards::{Overviews, overview};
use super::panels::ref_id;
use super::*;

#[test]
fn provisioning_literals_double_dollars() {
    assert_eq!(provisioning_literal("#a$b$$c"), "#a$$b$$$$c");
    assert_eq!(provisioning_literal("#alerts"), "#alerts");
}

#[test]
fn a_dashboards_tenant_is_read_back_from_its_path() {
    for (tenant, file) in [
        ("dev", "overview.json"),
        ("platform", "collector-health.json"),
    ] {
        assert_eq!(
            dashboard_tenant(&dashboard_path(tenant, file)),
            Some(tenant)
        );
    }
    for other in [
        "datasources/dev.yaml",
        "dashboards/dev",
        "dashboards/dev/overview.json",
    ] {
        assert_eq!(dashboard_tenant(other), None, "{other}");
    }
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

fn tenant_set(tenant: &str) -> TenantDatasources {
    let source = |signal: &str, kind: &'static str| DatasourcePlan {
        uid: format!("{signal}-{tenant}"),
        name: format!("{signal} ({tenant})"),
        kind,
        url: format!("http://{signal}"),
    };
    TenantDatasources {
        tenant: tenant.to_owned(),
        metrics: source("metrics", "prometheus"),
        logs: source("logs", "loki"),
        traces: source("traces", "tempo"),
        profiles: source("profiles", "grafana-pyroscope-datasource"),
    }
}

#[track_caller]
fn assert_same(cached: &DashboardPlan, built: &DashboardPlan) {
    assert_eq!(cached.json, built.json);
    assert_eq!(
        (
            &cached.uid,
            &cached.title,
            &cached.tenant,
            &cached.file,
            &cached.path
        ),
        (
            &built.uid,
            &built.title,
            &built.tenant,
            &built.file,
            &built.path
        )
    );
}

/// The overview built once per id length and given the tenant's id is the one built for the
/// tenant, for every id length a tenant may have (and the first tenant of a length, which
/// builds it, as well as a later one, which reuses it).
#[test]
fn cached_overviews_equal_built_ones() {
    let mut overviews = Overviews::default();
    for length in 1..=40 {
        let ids = [
            "a".repeat(length),
            "metrics-logs-overview-0123456789-"
                .chars()
                .cycle()
                .skip(length)
                .take(length)
                .collect(),
            format!("{}9", "x-".repeat(length)).split_off(length + 1),
        ];
        for id in ids {
            let set = tenant_set(&id);
            assert_same(&overviews.overview(&set), &overview(&set));
        }
    }
    // An id the cache cannot stand in for is built on its own.
    for set in [tenant_set("Ünïcode\"q"), {
        let mut set = tenant_set("odd");
        set.logs.uid = "logs-elsewhere".to_owned();
        set
    }] {
        assert_same(&overviews.overview(&set), &overview(&set));
    }
}
