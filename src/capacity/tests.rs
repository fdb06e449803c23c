//! The capacity plan against numbers computed by hand.

use super::chart::{BAR_LEFT, BAR_WIDTH};
use super::*;
use crate::model::Platform;

/// Two tenants, two Ceph replicas, every kind of assumption set; the numbers are computed by
/// hand in the comments.
fn platform(agents_retention: &str) -> Platform {
    let spec = serde_json::json!({
        "name": "p",
        "environments": ["dev"],
        "gitops": { "repo": "r" },
        "storage": { "ceph": { "object-store": "s", "replicas": 2 } },
        "tenancy": { "label": "l", "default": "a" },
        "tenant": {
            "a": {
                "ingestion-rate": 1000,
                "retention": "10d",
                "logs": { "ingestion-rate-mb": 2, "retention": "1d" }
            },
            "b": { "ingestion-rate": 10, "retention": agents_retention }
        },
        "capacity": {
            "raw": "100Gi",
            "max-fill": 0.5,
            "utilisation": 0.5,
            "metrics": { "bytes-per-sample": 1.5 },
            "logs": { "stored-ratio": 0.1 },
            "traces": { "utilisation": 0.01 },
            "profiles": { "utilisation": 0 },
            "tenant": { "a": { "metrics": { "utilisation": 0.2 } } }
        }
    });
    match serde_json::from_value(spec) {
        Ok(platform) => platform,
        Err(error) => panic!("the test platform does not fit the model: {error}"),
    }
}

fn stored(plan: &CapacityPlan, signal: &str, tenant: &str) -> (u64, u64, u64) {
    let row = plan
        .backends
        .iter()
        .filter(|b| b.signal == signal)
        .flat_map(|b| &b.rows)
        .find(|r| r.tenant == tenant)
        .expect("a row");
    (
        row.stored_bytes_per_second,
        row.size.stored_bytes,
        row.size.raw_bytes,
    )
}

#[test]
fn hand_computed_plan() {
    let plan = plan("dev", &platform("1h"));
    // a, metrics: 1000 samples/s × 0.2 (its own) × 1.5 B = 300 B/s; × 10d (864000 s).
    assert_eq!(
        stored(&plan, "metrics", "a"),
        (300, 259_200_000, 518_400_000)
    );
    // a, logs: 2 MiB/s × 0.5 × 0.1 = 104857.6 → 104858 B/s; × 1d (its logs retention).
    assert_eq!(
        stored(&plan, "logs", "a"),
        (104_858, 9_059_731_200, 18_119_462_400)
    );
    // a, traces: 15 MiB/s (the default) × 0.01 × 0.2 (default) = 31457.28 → 31457; × 10d.
    assert_eq!(
        stored(&plan, "traces", "a"),
        (31_457, 27_178_848_000, 54_357_696_000)
    );
    // a, profiles: utilisation 0.
    assert_eq!(stored(&plan, "profiles", "a"), (0, 0, 0));
    // b, metrics: 10 × 0.5 × 1.5 = 7.5 → 8 B/s (half up); × 1h.
    assert_eq!(stored(&plan, "metrics", "b"), (8, 28_800, 57_600));
    // b, logs: 4 MiB/s (the default) × 0.5 × 0.1 = 209715.2 → 209715; × 1h.
    assert_eq!(
        stored(&plan, "logs", "b"),
        (209_715, 754_974_000, 1_509_948_000)
    );
    assert_eq!(
        stored(&plan, "traces", "b"),
        (31_457, 113_245_200, 226_490_400)
    );
    assert_eq!(plan.size.stored_bytes, 37_366_027_200);
    assert_eq!(plan.size.raw_bytes, 74_732_054_400);
    let tenant = |id: &str| plan.tenants.iter().find(|t| t.tenant == id).expect("a");
    assert_eq!(
        tenant("a").size.raw_bytes,
        518_400_000 + 18_119_462_400 + 54_357_696_000
    );
    assert_eq!(
        tenant("b").size.raw_bytes,
        57_600 + 1_509_948_000 + 226_490_400
    );
    // Budget: 100 GiB × 0.5 = 53687091200; 74732054400 is 139.2% of it, 21044963200 over.
    let budget = plan.budget.as_ref().expect("a budget");
    assert_eq!(budget.budget_bytes, 53_687_091_200);
    assert_eq!(budget.over_bytes, 21_044_963_200);
    assert_eq!(budget.spare_bytes, 0);
    assert_eq!(budget.used, "139.2%");
    assert!(plan.is_over_budget());
    assert_eq!(plan.assumptions.tenant_overrides, vec!["a (metrics 0.2)"]);
}

#[test]
fn doubling_a_retention_doubles_exactly_that_tenants_bytes() {
    let before = plan("dev", &platform("1h"));
    let after = plan("dev", &platform("2h"));
    for (old, new) in before.backends.iter().zip(&after.backends) {
        for (old, new) in old.rows.iter().zip(&new.rows) {
            let factor = if old.tenant == "b" { 2 } else { 1 };
            assert_eq!(new.size.stored_bytes, old.size.stored_bytes * factor);
            assert_eq!(new.size.raw_bytes, old.size.raw_bytes * factor);
            assert_eq!(new.stored_bytes_per_second, old.stored_bytes_per_second);
        }
    }
    let b = |plan: &CapacityPlan| plan.tenants[1].size.raw_bytes;
    assert_eq!(after.size.raw_bytes, before.size.raw_bytes + b(&before));
}

#[test]
fn without_raw_there_is_no_budget() {
    let mut platform = platform("1h");
    platform.capacity.raw = None;
    let plan = plan("dev", &platform);
    assert!(plan.budget.is_none());
    assert_eq!(plan.status, BudgetStatus::Undeclared);
    assert!(plan.backends.iter().all(|b| b.size.share.is_none()));
}

#[test]
fn the_chart_scales_to_the_budget_or_the_total() {
    let over = plan("dev", &platform("1h"));
    let chart = chart("p", &over);
    // Over budget: the total fills the bar, the budget line sits at 53687091200/74732054400
    // of 520 px = 373.5 → 373 px from the bar's left (130).
    let total = &chart.rows[0];
    let end = total.segments.last().map(|s| s.x + s.width);
    assert_eq!(end, Some(BAR_LEFT + BAR_WIDTH));
    assert_eq!(chart.budget.as_ref().map(|b| b.x), Some(BAR_LEFT + 373));
    assert_eq!(chart.rows.len(), 3, "all tenants, a, b");
    // Stacked segments touch: each starts where the previous one ends.
    for row in &chart.rows {
        for pair in row.segments.windows(2) {
            assert_eq!(pair[0].x + pair[0].width, pair[1].x);
        }
    }
}

#[test]
fn stored_rate_is_limit_times_utilisation_times_bytes_per_unit() {
    // 100000 samples/s × 0.1 × 2 B = 20000 B/s.
    assert_eq!(stored_per_second(100_000, 100_000, 2_000_000), 20_000);
    // 10 MiB/s × 0.005 × 0.15 = 7864.32 B/s → 7864.
    assert_eq!(stored_per_second(10 * 1_048_576, 5_000, 150_000), 7_864);
    // 4 MiB/s × 0.005 × 0.15 = 3145.728 B/s → 3146 (half up).
    assert_eq!(stored_per_second(4 * 1_048_576, 5_000, 150_000), 3_146);
    // 1 sample/s × 0.25 × 2 B = 0.5 B/s → 1; × 0.2 → 0.4 → 0.
    assert_eq!(stored_per_second(1, 250_000, 2_000_000), 1);
    assert_eq!(stored_per_second(1, 200_000, 2_000_000), 0);
    assert_eq!(
        stored_per_second(u64::MAX, 1_000_000, 100_000_000),
        u64::MAX
    );
}

/// Each tenant's total and chart bar are found by position (linear in tenants): they must equal
/// the sums found by tenant id, for many tenants.
#[test]
fn tenant_totals_are_the_sums_of_their_rows() {
    let mut tenants = serde_json::Map::new();
    for index in 0..50 {
        tenants.insert(
            format!("t{index:02}"),
            serde_json::json!({ "ingestion-rate": 1000 + index, "retention": format!("{}d", 1 + index % 7) }),
        );
    }
    let spec = serde_json::json!({
        "name": "p",
        "environments": ["dev"],
        "gitops": { "repo": "r" },
        "storage": { "ceph": { "object-store": "s" } },
        "tenancy": { "label": "l", "default": "t00" },
        "tenant": tenants,
        "capacity": { "raw": "1Ti" }
    });
    let platform: Platform = match serde_json::from_value(spec) {
        Ok(platform) => platform,
        Err(error) => panic!("the test platform does not fit the model: {error}"),
    };
    let plan = plan("dev", &platform);
    let chart = chart("p", &plan);
    assert_eq!(plan.tenants.len(), 50);
    for (index, total) in plan.tenants.iter().enumerate() {
        let rows: Vec<&Usage> = plan
            .backends
            .iter()
            .flat_map(|b| &b.rows)
            .filter(|row| row.tenant == total.tenant)
            .collect();
        assert_eq!(rows.len(), plan.backends.len());
        let raw: u64 = rows.iter().map(|row| row.size.raw_bytes).sum();
        let stored: u64 = rows.iter().map(|row| row.size.stored_bytes).sum();
        assert_eq!(
            (total.size.raw_bytes, total.size.stored_bytes),
            (raw, stored)
        );
        let bar = &chart.rows[index + 1];
        assert_eq!(bar.label, total.tenant);
        for segment in &bar.segments {
            let backend = segment
                .title
                .rsplit_once(", ")
                .map(|(_, b)| b)
                .unwrap_or_default();
            let bytes = rows
                .iter()
                .zip(&plan.backends)
                .find(|(_, b)| backend.starts_with(b.backend))
                .map(|(row, _)| format_bytes(row.size.raw_bytes));
            assert_eq!(
                Some(
                    backend
                        .split_once(": ")
                        .map(|(_, v)| v.to_owned())
                        .unwrap_or_default()
                ),
                bytes
            );
        }
    }
}
