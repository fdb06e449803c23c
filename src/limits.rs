//! The resolved per-tenant limits, in each backend's own units: Mimir's samples per second and
//! Prometheus-style retention, and the bytes, MiB and whole hours Loki, Tempo and Pyroscope read.
//!
//! One resolution, two readers: `plan` hands these limits to the templates (the backends'
//! `overrides`), and `capacity` multiplies the same numbers out into stored bytes, so a budget is
//! always computed from exactly the limits that are deployed.
//!
//! Pure functions of `model`; nothing here knows of plans, templates or validation.

use serde::Serialize;

use crate::model::{Duration, Platform, SignalLimits};

/// Bytes in one MiB: the `-mb` limits of the spec are MiB, as Loki and Pyroscope count them.
pub const MIB: u64 = 1_048_576;

/// Default Mimir burst: ten seconds' worth of the rate, Mimir's own ratio for its defaults.
pub const MIMIR_BURST_SECONDS: u64 = 10;

/// One tenant, with its limits in every backend's own units.
#[derive(Debug, Serialize)]
pub struct TenantPlan {
    pub id: String,
    pub metrics: MetricsLimits,
    pub logs: ByteLimits,
    pub traces: ByteLimits,
    pub profiles: ByteLimits,
}

#[derive(Debug, Serialize)]
pub struct MetricsLimits {
    /// Samples per second.
    pub ingestion_rate: u64,
    pub ingestion_burst: u64,
    pub max_series: Option<u64>,
    /// Prometheus-style (`90d`), as Mimir reads it: `Duration::prometheus`.
    pub retention: String,
}

/// Limits of a byte-counted signal (logs, traces, profiles).
#[derive(Debug, Serialize)]
pub struct ByteLimits {
    pub ingestion_rate_mb: u32,
    pub ingestion_burst_mb: u32,
    pub ingestion_rate_bytes: u64,
    pub ingestion_burst_bytes: u64,
    /// In whole hours (`2160h`): every backend's duration parser reads hours.
    pub retention_hours: String,
    pub retention_seconds: u64,
}

/// Every tenant of the platform with its resolved limits, in tenant id order.
pub fn tenants(platform: &Platform) -> Vec<TenantPlan> {
    platform
        .tenants
        .iter()
        .map(|(id, tenant)| TenantPlan {
            id: id.clone(),
            metrics: MetricsLimits {
                ingestion_rate: tenant.ingestion_rate,
                ingestion_burst: tenant
                    .ingestion_burst
                    .unwrap_or(tenant.ingestion_rate.saturating_mul(MIMIR_BURST_SECONDS)),
                max_series: tenant.max_series,
                retention: tenant.retention.prometheus(),
            },
            logs: byte_limits(
                &tenant.logs,
                &tenant.retention,
                platform.logs.ingestion_rate_mb,
                platform.logs.ingestion_burst_mb,
            ),
            traces: byte_limits(
                &tenant.traces,
                &tenant.retention,
                platform.traces.ingestion_rate_mb,
                platform.traces.ingestion_burst_mb,
            ),
            profiles: byte_limits(
                &tenant.profiles,
                &tenant.retention,
                platform.profiles.ingestion_rate_mb,
                platform.profiles.ingestion_burst_mb,
            ),
        })
        .collect()
}

/// A byte-counted signal's limits: the tenant's own, else the signal's defaults; the retention
/// the tenant's for this signal, else its overall retention.
pub fn byte_limits(
    limits: &SignalLimits,
    tenant_retention: &Duration,
    default_rate_mb: u32,
    default_burst_mb: u32,
) -> ByteLimits {
    let rate = limits.ingestion_rate_mb.unwrap_or(default_rate_mb);
    let burst = limits.ingestion_burst_mb.unwrap_or(default_burst_mb);
    let retention = limits.retention.as_ref().unwrap_or(tenant_retention);
    ByteLimits {
        ingestion_rate_mb: rate,
        ingestion_burst_mb: burst,
        ingestion_rate_bytes: u64::from(rate) * MIB,
        ingestion_burst_bytes: u64::from(burst) * MIB,
        retention_hours: retention.hours(),
        retention_seconds: retention.seconds(),
    }
}
