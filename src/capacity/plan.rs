//! Computing the capacity plan: each signal's limit per tenant (as `limits` resolves it for the
//! backends), times the assumptions, times the retention, times the Ceph replicas.

use super::{
    Assumptions, BackendCapacity, Budget, BudgetStatus, CapacityPlan, DEFAULT_BYTES_PER_SAMPLE,
    DEFAULT_LOGS_STORED_RATIO, DEFAULT_PROFILES_STORED_RATIO, DEFAULT_TRACES_STORED_RATIO, Size,
    TenantTotal, Usage,
};
use crate::model::{CapacityTenant, Platform, SignalLimits, Tenant};
use crate::units::{
    MILLION, clamp, format_bytes, format_hundredths, format_micros, format_seconds, from_micros,
    micros, parse_quantity, percent, round_div, scale,
};

/// One signal: its backend and bucket, how its limit counts, and where its assumptions are.
struct Signal {
    name: &'static str,
    backend: &'static str,
    bucket: &'static str,
    limit_unit: &'static str,
    /// A tenant's limit in this signal, resolved as the backends' values resolve it.
    limit: fn(&Platform, &Tenant) -> Limit,
    /// Bytes stored per unit, and the signal's utilisation.
    assumed: fn(&Assumptions) -> (f64, f64),
    /// A tenant's own utilisation of this signal.
    own: fn(&CapacityTenant) -> Option<f64>,
}

const SIGNALS: [Signal; 4] = [
    Signal {
        name: "metrics",
        backend: "Mimir",
        bucket: "mimir-blocks",
        limit_unit: "samples/s",
        limit: |_, tenant| Limit {
            per_second: tenant.ingestion_rate,
            retention_seconds: tenant.retention.seconds(),
        },
        assumed: |a| (a.bytes_per_sample, a.metrics_utilisation),
        own: |t| t.metrics.utilisation,
    },
    Signal {
        name: "logs",
        backend: "Loki",
        bucket: "loki-chunks",
        limit_unit: "bytes/s",
        limit: |platform, tenant| byte_limit(&tenant.logs, tenant, platform.logs.ingestion_rate_mb),
        assumed: |a| (a.logs_stored_ratio, a.logs_utilisation),
        own: |t| t.logs.utilisation,
    },
    Signal {
        name: "traces",
        backend: "Tempo",
        bucket: "tempo-traces",
        limit_unit: "bytes/s",
        limit: |platform, tenant| {
            byte_limit(&tenant.traces, tenant, platform.traces.ingestion_rate_mb)
        },
        assumed: |a| (a.traces_stored_ratio, a.traces_utilisation),
        own: |t| t.traces.utilisation,
    },
    Signal {
        name: "profiles",
        backend: "Pyroscope",
        bucket: "pyroscope-profiles",
        limit_unit: "bytes/s",
        limit: |platform, tenant| {
            byte_limit(
                &tenant.profiles,
                tenant,
                platform.profiles.ingestion_rate_mb,
            )
        },
        assumed: |a| (a.profiles_stored_ratio, a.profiles_utilisation),
        own: |t| t.profiles.utilisation,
    },
];

/// The capacity plan of one environment's platform.
pub fn plan(environment: &str, platform: &Platform) -> CapacityPlan {
    let capacity = &platform.capacity;
    let replicas = platform.storage.ceph.replicas;
    let assumptions = assumptions(platform);
    let raw_capacity = capacity
        .raw
        .as_ref()
        .and_then(|text| parse_quantity(text).map(|bytes| (text, bytes)));
    let budget_bytes = raw_capacity.map(|(_, bytes)| scale(bytes, micros(capacity.max_fill)));
    let backends: Vec<BackendCapacity> = SIGNALS
        .iter()
        .map(|signal| backend(signal, platform, &assumptions, budget_bytes))
        .collect();
    let tenants = tenant_totals(platform, &backends, budget_bytes);
    let size = Size::total(backends.iter().map(|backend| &backend.size), budget_bytes);
    let budget = raw_capacity
        .zip(budget_bytes)
        .map(|((text, capacity_bytes), budget_bytes)| {
            budget(
                text,
                capacity_bytes,
                budget_bytes,
                capacity.max_fill,
                size.raw_bytes,
            )
        });
    let status = match &budget {
        None => BudgetStatus::Undeclared,
        Some(budget) if budget.over_bytes > 0 => BudgetStatus::Over,
        Some(_) => BudgetStatus::Within,
    };
    CapacityPlan {
        environment: environment.to_owned(),
        replicas,
        backends,
        tenants,
        size,
        budget,
        status,
        enforce: capacity.enforce,
        assumptions,
    }
}

/// The assumptions of the spec, each defaulted.
fn assumptions(platform: &Platform) -> Assumptions {
    let capacity = &platform.capacity;
    let signal_utilisation = |own: Option<f64>| own.unwrap_or(capacity.utilisation);
    Assumptions {
        bytes_per_sample: capacity
            .metrics
            .bytes_per_sample
            .unwrap_or(DEFAULT_BYTES_PER_SAMPLE),
        logs_stored_ratio: capacity
            .logs
            .stored_ratio
            .unwrap_or(DEFAULT_LOGS_STORED_RATIO),
        traces_stored_ratio: capacity
            .traces
            .stored_ratio
            .unwrap_or(DEFAULT_TRACES_STORED_RATIO),
        profiles_stored_ratio: capacity
            .profiles
            .stored_ratio
            .unwrap_or(DEFAULT_PROFILES_STORED_RATIO),
        metrics_utilisation: signal_utilisation(capacity.metrics.utilisation),
        logs_utilisation: signal_utilisation(capacity.logs.utilisation),
        traces_utilisation: signal_utilisation(capacity.traces.utilisation),
        profiles_utilisation: signal_utilisation(capacity.profiles.utilisation),
        tenant_overrides: tenant_overrides(platform),
        max_fill: capacity.max_fill,
        replicas: platform.storage.ceph.replicas,
    }
}

/// One signal's bucket: a row per tenant, in tenant id order.
fn backend(
    signal: &Signal,
    platform: &Platform,
    assumptions: &Assumptions,
    budget_bytes: Option<u64>,
) -> BackendCapacity {
    let (stored_per_unit, signal_utilisation) = (signal.assumed)(assumptions);
    let rows: Vec<Usage> = platform
        .tenants
        .iter()
        .map(|(id, tenant)| {
            let utilisation = platform
                .capacity
                .tenants
                .get(id)
                .and_then(signal.own)
                .unwrap_or(signal_utilisation);
            usage(
                signal,
                id,
                (signal.limit)(platform, tenant),
                micros(utilisation),
                micros(stored_per_unit),
                assumptions.replicas,
                budget_bytes,
            )
        })
        .collect();
    let size = Size::total(rows.iter().map(|row| &row.size), budget_bytes);
    BackendCapacity {
        signal: signal.name,
        backend: signal.backend,
        bucket: signal.bucket,
        limit_unit: signal.limit_unit,
        stored_per_unit: from_micros(micros(stored_per_unit)),
        rows,
        size,
    }
}

/// Each tenant's total over the backends. Every backend has one row per tenant, in the order of
/// `platform.tenants`, so a tenant's rows are found by position: one pass over the rows, not one
/// per tenant (the plan stays linear in the number of tenants).
fn tenant_totals(
    platform: &Platform,
    backends: &[BackendCapacity],
    budget_bytes: Option<u64>,
) -> Vec<TenantTotal> {
    platform
        .tenants
        .keys()
        .enumerate()
        .map(|(index, id)| {
            let rows = backends
                .iter()
                .filter_map(|backend| backend.rows.get(index));
            debug_assert!(rows.clone().all(|row| row.tenant == *id));
            TenantTotal {
                tenant: id.clone(),
                size: Size::total(rows.map(|row| &row.size), budget_bytes),
            }
        })
        .collect()
}

/// The budget from the declared raw capacity, and what the plan's raw bytes use of it.
fn budget(
    text: &str,
    capacity_bytes: u64,
    budget_bytes: u64,
    max_fill: f64,
    raw_bytes: u64,
) -> Budget {
    let spare_bytes = budget_bytes.saturating_sub(raw_bytes);
    let over_bytes = raw_bytes.saturating_sub(budget_bytes);
    Budget {
        raw_capacity_text: text.to_owned(),
        raw_capacity_bytes: capacity_bytes,
        raw_capacity: format_bytes(capacity_bytes),
        max_fill: from_micros(micros(max_fill)),
        max_fill_text: format_micros(micros(max_fill)),
        budget_bytes,
        budget: format_bytes(budget_bytes),
        used: percent(raw_bytes, budget_bytes),
        spare_bytes,
        spare: format_bytes(spare_bytes),
        over_bytes,
        over: format_bytes(over_bytes),
    }
}

/// A tenant's ingestion limit in one signal, per second, and how long the signal is kept.
struct Limit {
    per_second: u64,
    retention_seconds: u64,
}

/// The limit of a byte-counted signal, resolved exactly as the backends' values are (the burst
/// plays no part in the plan).
fn byte_limit(limits: &SignalLimits, tenant: &Tenant, default_rate_mb: u32) -> Limit {
    let resolved = crate::limits::byte_limits(limits, &tenant.retention, default_rate_mb, 0);
    Limit {
        per_second: resolved.ingestion_rate_bytes,
        retention_seconds: resolved.retention_seconds,
    }
}

/// One tenant in one backend, from its limit and the assumptions in millionths.
fn usage(
    signal: &Signal,
    tenant: &str,
    limit: Limit,
    utilisation_micros: u64,
    stored_per_unit_micros: u64,
    replicas: u32,
    budget_bytes: Option<u64>,
) -> Usage {
    let stored_bytes_per_second =
        stored_per_second(limit.per_second, utilisation_micros, stored_per_unit_micros);
    let stored_bytes = stored_bytes_per_second.saturating_mul(limit.retention_seconds);
    let raw_bytes = stored_bytes.saturating_mul(u64::from(replicas));
    let (limit_text, ingest_text) = if signal.limit_unit == "samples/s" {
        let hundredths = round_div(
            u128::from(limit.per_second) * u128::from(utilisation_micros),
            10_000,
        );
        (
            format!("{} samples/s", limit.per_second),
            format!("{} samples/s", format_hundredths(hundredths)),
        )
    } else {
        let ingest = round_div(
            u128::from(limit.per_second) * u128::from(utilisation_micros),
            MILLION,
        );
        (
            format!("{}/s", format_bytes(limit.per_second)),
            format!("{}/s", format_bytes(clamp(ingest))),
        )
    };
    Usage {
        tenant: tenant.to_owned(),
        limit: limit.per_second,
        limit_text,
        utilisation: from_micros(utilisation_micros),
        utilisation_text: format_micros(utilisation_micros),
        ingest_text,
        retention_seconds: limit.retention_seconds,
        retention: format_seconds(limit.retention_seconds),
        stored_bytes_per_second,
        size: Size::new(stored_bytes, raw_bytes, budget_bytes),
    }
}

/// Bytes written per second: limit × utilisation × stored per unit, the two assumptions in
/// millionths, rounded half up to whole bytes.
pub fn stored_per_second(limit: u64, utilisation_micros: u64, per_unit_micros: u64) -> u64 {
    let product = u128::from(limit)
        .saturating_mul(u128::from(utilisation_micros))
        .saturating_mul(u128::from(per_unit_micros));
    clamp(round_div(product, MILLION * MILLION))
}

/// "`dev` (logs 0.5)" for every tenant that sets its own utilisation of some signal.
fn tenant_overrides(platform: &Platform) -> Vec<String> {
    platform
        .capacity
        .tenants
        .iter()
        .filter_map(|(id, own)| {
            let set: Vec<String> = [
                ("metrics", own.metrics.utilisation),
                ("logs", own.logs.utilisation),
                ("traces", own.traces.utilisation),
                ("profiles", own.profiles.utilisation),
            ]
            .into_iter()
            .filter_map(|(signal, value)| {
                value.map(|v| format!("{signal} {}", format_micros(micros(v))))
            })
            .collect();
            (!set.is_empty()).then(|| format!("{id} ({})", set.join(", ")))
        })
        .collect()
}
