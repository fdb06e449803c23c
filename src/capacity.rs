//! The capacity plan: how many bytes each tenant keeps in each backend's bucket at steady state,
//! how much raw Ceph capacity that takes, and how it compares with the budget the spec declares.
//!
//! For every environment, tenant and backend:
//!
//! ```text
//! stored bytes per second = ingestion limit × utilisation × bytes stored per unit ingested
//! stored bytes            = stored bytes per second × retention in seconds
//! raw bytes               = stored bytes × Ceph replicas
//! budget                  = raw capacity × max fill
//! ```
//!
//! The arithmetic is integer: the assumptions (fractions in the spec) are read to millionths, the
//! stored rate is rounded half up to whole bytes per second, and everything after that is exact
//! (saturating at `u64::MAX`). So every number is the same on every machine, a hand computation
//! can check it, and doubling a retention doubles exactly that tenant's bytes. Sizes are shown
//! in binary units (1 GiB = 2^30 bytes) with two decimals.
//!
//! Everything here is a pure function of the typed spec; `validate` checks the budget with it,
//! `plan` hands it to the templates (`CAPACITY.md`, `capacity.svg`), and `lgtmc plan` prints it.

use std::fmt::Write as _;

use serde::Serialize;

use crate::compute::ComputePlan;
use crate::model::{CapacityTenant, Platform, SignalLimits, Tenant};

/// Bytes stored per metric sample, index included, when the spec does not say. The Prometheus
/// documentation puts a TSDB sample at 1–2 bytes on average; a budget takes the upper end.
pub const DEFAULT_BYTES_PER_SAMPLE: f64 = 2.0;
/// Bytes stored per byte of logs ingested: Loki's chunks compress 5–10% (gzip, its default, to
/// snappy), plus room for the index and logs that compress worse.
pub const DEFAULT_LOGS_STORED_RATIO: f64 = 0.15;
/// Bytes stored per byte of traces ingested: about 15% after compression (Tempo's docs), plus
/// room for bloom filters and the index.
pub const DEFAULT_TRACES_STORED_RATIO: f64 = 0.2;
/// Bytes stored per byte of profiles ingested: profiles repeat the same stacks, which Pyroscope
/// stores once. No published figure; measure yours and set it.
pub const DEFAULT_PROFILES_STORED_RATIO: f64 = 0.1;

const MILLION: u128 = 1_000_000;

/// The capacity plan of one environment.
#[derive(Clone, Debug, Serialize)]
pub struct CapacityPlan {
    pub environment: String,
    /// Ceph replicas of the object store's pools: every stored byte takes this many raw bytes.
    pub replicas: u32,
    /// One entry per backend (metrics, logs, traces, profiles), each with one row per tenant.
    pub backends: Vec<BackendCapacity>,
    /// Each tenant's total over all backends, by tenant id.
    pub tenants: Vec<TenantTotal>,
    /// Everything, over all tenants and backends.
    #[serde(flatten)]
    pub size: Size,
    /// The budget, when the spec declares a raw capacity.
    pub budget: Option<Budget>,
    /// `within`, `over`, or `undeclared` (no raw capacity in the spec).
    pub status: &'static str,
    /// Whether over budget is an error.
    pub enforce: bool,
    pub assumptions: Assumptions,
}

/// One backend's bucket: every tenant's bytes in it.
#[derive(Clone, Debug, Serialize)]
pub struct BackendCapacity {
    /// `metrics`, `logs`, `traces` or `profiles`.
    pub signal: &'static str,
    /// `Mimir`, `Loki`, `Tempo` or `Pyroscope`.
    pub backend: &'static str,
    pub bucket: &'static str,
    /// What the ingestion limit counts: `samples/s` or `bytes/s`.
    pub limit_unit: &'static str,
    /// Bytes stored per sample (metrics) or per byte ingested (the others).
    pub stored_per_unit: f64,
    pub rows: Vec<Usage>,
    /// The bucket, over all tenants.
    #[serde(flatten)]
    pub size: Size,
}

/// One tenant in one backend.
#[derive(Clone, Debug, Serialize)]
pub struct Usage {
    pub tenant: String,
    /// The ingestion limit, in `limit_unit` per second.
    pub limit: u64,
    /// `100000 samples/s`, `10 MiB/s`.
    pub limit_text: String,
    /// The assumed average share of the limit in use.
    pub utilisation: f64,
    pub utilisation_text: String,
    /// What the tenant is assumed to send: `10000 samples/s`, `51.20 KiB/s`.
    pub ingest_text: String,
    pub retention_seconds: u64,
    /// `90d`, `1d12h`.
    pub retention: String,
    /// Bytes written to the bucket per second, rounded to whole bytes.
    pub stored_bytes_per_second: u64,
    /// The tenant's bytes in this backend: the stored rate × the retention.
    #[serde(flatten)]
    pub size: Size,
}

/// One tenant over all backends.
#[derive(Clone, Debug, Serialize)]
pub struct TenantTotal {
    pub tenant: String,
    #[serde(flatten)]
    pub size: Size,
}

/// Bytes in the buckets and on Ceph's disks, as numbers and as the Markdown shows them.
#[derive(Clone, Debug, Serialize)]
pub struct Size {
    pub stored_bytes: u64,
    /// Stored bytes × Ceph replicas.
    pub raw_bytes: u64,
    /// `144.84 GiB`.
    pub stored: String,
    pub raw: String,
    /// The raw bytes' share of the budget, as `12.3%`, when there is a budget.
    pub share: Option<String>,
}

impl Size {
    fn new(stored_bytes: u64, raw_bytes: u64, budget_bytes: Option<u64>) -> Size {
        Size {
            stored_bytes,
            raw_bytes,
            stored: format_bytes(stored_bytes),
            raw: format_bytes(raw_bytes),
            share: budget_bytes.map(|budget| percent(raw_bytes, budget)),
        }
    }

    /// The sum of several sizes.
    fn total<'a>(sizes: impl Iterator<Item = &'a Size> + Clone, budget_bytes: Option<u64>) -> Size {
        Size::new(
            sum(sizes.clone().map(|size| size.stored_bytes)),
            sum(sizes.map(|size| size.raw_bytes)),
            budget_bytes,
        )
    }
}

/// The declared raw capacity and what the plan uses of it.
#[derive(Clone, Debug, Serialize)]
pub struct Budget {
    /// The raw capacity as written in the spec (`1536Gi`) and in bytes.
    pub raw_capacity_text: String,
    pub raw_capacity_bytes: u64,
    pub raw_capacity: String,
    pub max_fill: f64,
    pub max_fill_text: String,
    /// Raw capacity × max fill: the most the plan may use.
    pub budget_bytes: u64,
    pub budget: String,
    /// The plan's raw bytes as a share of the budget: `59.0%`.
    pub used: String,
    /// What is left (zero when over budget), and by how much the plan is over (zero when within).
    pub spare_bytes: u64,
    pub spare: String,
    pub over_bytes: u64,
    pub over: String,
}

/// The assumptions the plan was computed with, after defaults.
#[derive(Clone, Debug, Serialize)]
pub struct Assumptions {
    pub bytes_per_sample: f64,
    pub logs_stored_ratio: f64,
    pub traces_stored_ratio: f64,
    pub profiles_stored_ratio: f64,
    /// The utilisation of each signal, before per-tenant overrides.
    pub metrics_utilisation: f64,
    pub logs_utilisation: f64,
    pub traces_utilisation: f64,
    pub profiles_utilisation: f64,
    /// Tenants with their own utilisation of some signal: `dev` (logs 0.5).
    pub tenant_overrides: Vec<String>,
    pub max_fill: f64,
    pub replicas: u32,
}

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
    let signal_utilisation = |own: Option<f64>| own.unwrap_or(capacity.utilisation);
    let assumptions = Assumptions {
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
        replicas,
    };

    let raw_capacity = capacity
        .raw
        .as_ref()
        .and_then(|text| parse_quantity(text).map(|bytes| (text, bytes)));
    let budget_bytes = raw_capacity.map(|(_, bytes)| scale(bytes, micros(capacity.max_fill)));

    let mut backends = Vec::new();
    for signal in &SIGNALS {
        let (stored_per_unit, signal_utilisation) = (signal.assumed)(&assumptions);
        let mut rows = Vec::new();
        for (id, tenant) in &platform.tenants {
            let utilisation = capacity
                .tenants
                .get(id)
                .and_then(signal.own)
                .unwrap_or(signal_utilisation);
            rows.push(usage(
                signal,
                id,
                (signal.limit)(platform, tenant),
                micros(utilisation),
                micros(stored_per_unit),
                replicas,
                budget_bytes,
            ));
        }
        let size = Size::total(rows.iter().map(|row| &row.size), budget_bytes);
        backends.push(BackendCapacity {
            signal: signal.name,
            backend: signal.backend,
            bucket: signal.bucket,
            limit_unit: signal.limit_unit,
            stored_per_unit: from_micros(micros(stored_per_unit)),
            rows,
            size,
        });
    }

    let tenants: Vec<TenantTotal> = platform
        .tenants
        .keys()
        .map(|id| {
            let rows = backends
                .iter()
                .flat_map(|backend| &backend.rows)
                .filter(|row| row.tenant == *id);
            TenantTotal {
                tenant: id.clone(),
                size: Size::total(rows.map(|row| &row.size), budget_bytes),
            }
        })
        .collect();
    let size = Size::total(backends.iter().map(|backend| &backend.size), budget_bytes);
    let raw_bytes = size.raw_bytes;

    let budget = raw_capacity
        .zip(budget_bytes)
        .map(|((text, capacity_bytes), budget_bytes)| {
            let spare_bytes = budget_bytes.saturating_sub(raw_bytes);
            let over_bytes = raw_bytes.saturating_sub(budget_bytes);
            Budget {
                raw_capacity_text: text.clone(),
                raw_capacity_bytes: capacity_bytes,
                raw_capacity: format_bytes(capacity_bytes),
                max_fill: from_micros(micros(capacity.max_fill)),
                max_fill_text: format_micros(micros(capacity.max_fill)),
                budget_bytes,
                budget: format_bytes(budget_bytes),
                used: percent(raw_bytes, budget_bytes),
                spare_bytes,
                spare: format_bytes(spare_bytes),
                over_bytes,
                over: format_bytes(over_bytes),
            }
        });
    let status = match &budget {
        None => "undeclared",
        Some(budget) if budget.over_bytes > 0 => "over",
        Some(_) => "within",
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

impl CapacityPlan {
    pub fn is_over_budget(&self) -> bool {
        self.status == "over"
    }

    /// One line: `768.59 GiB raw of a 1.28 TiB budget (59.0%)`.
    pub fn summary(&self) -> String {
        match &self.budget {
            Some(budget) => format!(
                "{} raw of a {} budget ({})",
                self.size.raw, budget.budget, budget.used
            ),
            None => format!("{} raw, no budget declared", self.size.raw),
        }
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
    let resolved = crate::plan::byte_limits(limits, &tenant.retention, default_rate_mb, 0);
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

/// A fraction from the spec in millionths (0.15 → 150000). Negative or not finite: zero.
pub fn micros(value: f64) -> u64 {
    if value.is_finite() && value > 0.0 {
        // `as` saturates; the schema keeps values far below u64::MAX millionths.
        (value * 1e6).round() as u64
    } else {
        0
    }
}

fn from_micros(micros: u64) -> f64 {
    micros as f64 / 1e6
}

/// `bytes × fraction`, the fraction in millionths, rounded down.
fn scale(bytes: u64, micros: u64) -> u64 {
    clamp(u128::from(bytes) * u128::from(micros) / MILLION)
}

fn round_div(numerator: u128, denominator: u128) -> u128 {
    numerator.saturating_add(denominator / 2) / denominator
}

fn clamp(value: u128) -> u64 {
    u64::try_from(value).unwrap_or(u64::MAX)
}

fn sum(values: impl Iterator<Item = u64>) -> u64 {
    values.fold(0, u64::saturating_add)
}

/// `part` as a percentage of `whole`, to one decimal: `59.0%`.
pub fn percent(part: u64, whole: u64) -> String {
    if whole == 0 {
        return if part == 0 { "0.0%" } else { "∞%" }.to_owned();
    }
    let tenths = round_div(u128::from(part) * 1_000, u128::from(whole));
    format!("{}.{}%", tenths / 10, tenths % 10)
}

/// A Kubernetes-style quantity in bytes: `1536Gi`, `1.5Ti`, `2T`, `500`. `None` when it is not
/// one or does not fit in 64 bits. A fraction is rounded down to whole bytes.
pub fn parse_quantity(text: &str) -> Option<u64> {
    let split = text
        .find(|c: char| !(c.is_ascii_digit() || c == '.'))
        .unwrap_or(text.len());
    let (number, suffix) = text.split_at(split);
    let multiplier: u128 = match suffix {
        "" => 1,
        "k" => 1_000,
        "M" => 1_000_000,
        "G" => 1_000_000_000,
        "T" => 1_000_000_000_000,
        "P" => 1_000_000_000_000_000,
        "Ki" => 1 << 10,
        "Mi" => 1 << 20,
        "Gi" => 1 << 30,
        "Ti" => 1 << 40,
        "Pi" => 1 << 50,
        _ => return None,
    };
    let (whole, fraction) = number.split_once('.').unwrap_or((number, ""));
    if whole.is_empty()
        || !whole.chars().all(|c| c.is_ascii_digit())
        || !fraction.chars().all(|c| c.is_ascii_digit())
        || (number.contains('.') && fraction.is_empty())
        || fraction.len() > 18
    {
        return None;
    }
    let whole: u128 = whole.parse().ok()?;
    let fraction_value: u128 = if fraction.is_empty() {
        0
    } else {
        fraction.parse().ok()?
    };
    let fraction_scale = 10u128.checked_pow(u32::try_from(fraction.len()).ok()?)?;
    let bytes = whole
        .checked_mul(multiplier)?
        .checked_add(fraction_value.checked_mul(multiplier)? / fraction_scale)?;
    u64::try_from(bytes).ok()
}

/// Bytes in binary units with two decimals: `512 B`, `1.50 KiB`, `144.84 GiB`.
pub fn format_bytes(bytes: u64) -> String {
    const UNITS: [&str; 6] = ["KiB", "MiB", "GiB", "TiB", "PiB", "EiB"];
    if bytes < 1024 {
        return format!("{bytes} B");
    }
    let mut unit = 0;
    let mut size: u128 = 1024;
    while unit + 1 < UNITS.len() && u128::from(bytes) >= size * 1024 {
        unit += 1;
        size *= 1024;
    }
    let mut hundredths = round_div(u128::from(bytes) * 100, size);
    // 1023.999 KiB rounds to 1024.00 KiB: say 1.00 MiB instead.
    if hundredths >= 102_400 && unit + 1 < UNITS.len() {
        unit += 1;
        hundredths = round_div(u128::from(bytes) * 100, size * 1024);
    }
    format!(
        "{}.{:02} {}",
        hundredths / 100,
        hundredths % 100,
        UNITS[unit]
    )
}

/// A number in hundredths, without trailing zeros: 1000050 → `10000.5`.
fn format_hundredths(hundredths: u128) -> String {
    format_fixed(hundredths, 2)
}

/// A number in millionths, without trailing zeros: 150000 → `0.15`, 2000000 → `2`.
pub fn format_micros(micros: u64) -> String {
    format_fixed(u128::from(micros), 6)
}

/// A fixed-point number with `decimals` decimal places, without trailing zeros.
fn format_fixed(value: u128, decimals: u32) -> String {
    let scale = 10u128.pow(decimals);
    let (whole, fraction) = (value / scale, value % scale);
    if fraction == 0 {
        whole.to_string()
    } else {
        let width = decimals as usize;
        format!("{whole}.{fraction:0width$}")
            .trim_end_matches('0')
            .to_owned()
    }
}

/// Seconds as a duration in days, hours, minutes and seconds: `90d`, `1d12h`, `0s`.
pub fn format_seconds(seconds: u64) -> String {
    if seconds == 0 {
        return "0s".to_owned();
    }
    let mut text = String::new();
    let mut rest = seconds;
    for (unit, size) in [("d", 86_400), ("h", 3_600), ("m", 60), ("s", 1)] {
        if rest >= size {
            let _ = write!(text, "{}{unit}", rest / size);
            rest %= size;
        }
    }
    text
}

/// The plain-text report of `lgtmc plan`: a summary line and an aligned table per environment.
pub fn text(plans: &[CapacityPlan], compute: &[ComputePlan]) -> String {
    let mut out = String::new();
    for (index, plan) in plans.iter().enumerate() {
        if index > 0 {
            out.push('\n');
        }
        let verdict = match plan.status {
            "over" => "OVER BUDGET",
            "within" => "within budget",
            _ => "no budget declared (`capacity raw=…`)",
        };
        let _ = writeln!(
            out,
            "{}: {} stored, {} — {verdict}",
            plan.environment,
            plan.size.stored,
            plan.summary()
        );
        let mut rows: Vec<[String; 8]> = vec![[
            "backend".into(),
            "tenant".into(),
            "limit".into(),
            "utilisation".into(),
            "retention".into(),
            "stored".into(),
            format!("raw (×{})", plan.replicas),
            "of budget".into(),
        ]];
        for backend in &plan.backends {
            for row in &backend.rows {
                rows.push([
                    backend.backend.to_owned(),
                    row.tenant.clone(),
                    row.limit_text.clone(),
                    row.utilisation_text.clone(),
                    row.retention.clone(),
                    row.size.stored.clone(),
                    row.size.raw.clone(),
                    row.size.share.clone().unwrap_or_else(|| "-".to_owned()),
                ]);
            }
        }
        for backend in &plan.backends {
            rows.push([
                backend.backend.to_owned(),
                "(all)".into(),
                String::new(),
                String::new(),
                String::new(),
                backend.size.stored.clone(),
                backend.size.raw.clone(),
                backend.size.share.clone().unwrap_or_else(|| "-".to_owned()),
            ]);
        }
        for tenant in &plan.tenants {
            rows.push([
                "(all)".into(),
                tenant.tenant.clone(),
                String::new(),
                String::new(),
                String::new(),
                tenant.size.stored.clone(),
                tenant.size.raw.clone(),
                tenant.size.share.clone().unwrap_or_else(|| "-".to_owned()),
            ]);
        }
        rows.push([
            "total".into(),
            String::new(),
            String::new(),
            String::new(),
            String::new(),
            plan.size.stored.clone(),
            plan.size.raw.clone(),
            plan.budget
                .as_ref()
                .map_or_else(|| "-".to_owned(), |b| b.used.clone()),
        ]);
        let mut widths = [0usize; 8];
        for row in &rows {
            for (width, cell) in widths.iter_mut().zip(row) {
                *width = (*width).max(cell.chars().count());
            }
        }
        for row in &rows {
            let mut line = String::from(" ");
            for (column, (cell, width)) in row.iter().zip(widths).enumerate() {
                let pad = " ".repeat(width - cell.chars().count());
                // Text columns to the left, numbers to the right.
                if column < 2 {
                    let _ = write!(line, " {cell}{pad} ");
                } else {
                    let _ = write!(line, " {pad}{cell} ");
                }
            }
            let _ = writeln!(out, "{}", line.trim_end());
        }
        if let Some(budget) = &plan.budget {
            let _ = writeln!(
                out,
                "  budget: raw capacity {} × max fill {} = {}; {}",
                budget.raw_capacity,
                budget.max_fill_text,
                budget.budget,
                if budget.over_bytes > 0 {
                    format!("over by {}", budget.over)
                } else {
                    format!("{} to spare", budget.spare)
                }
            );
        }
        if let Some(compute) = compute.get(index) {
            out.push_str(&crate::compute::text(compute));
        }
    }
    out
}

/// The JSON report of `lgtmc plan --format json`: the platform and one plan per environment, with
/// every number in bytes (and, beside it, as the Markdown shows it).
pub fn json(platform: &str, plans: &[CapacityPlan], compute: &[ComputePlan]) -> String {
    #[derive(Serialize)]
    struct Environment<'a> {
        #[serde(flatten)]
        storage: &'a CapacityPlan,
        compute: Option<&'a ComputePlan>,
    }
    #[derive(Serialize)]
    struct Report<'a> {
        platform: &'a str,
        environments: Vec<Environment<'a>>,
    }
    let report = Report {
        platform,
        environments: plans
            .iter()
            .enumerate()
            .map(|(index, storage)| Environment {
                storage,
                compute: compute.get(index),
            })
            .collect(),
    };
    // Serialising these types cannot fail: every map key is a string and every number finite.
    let mut text = serde_json::to_string_pretty(&report)
        .unwrap_or_else(|error| format!("{{\"error\": \"{error}\"}}"));
    text.push('\n');
    text
}

/// The bar chart of `capacity.svg`: raw bytes per tenant and backend against the budget, laid
/// out here (integer coordinates) so that the template only writes elements.
#[derive(Clone, Debug, Serialize)]
pub struct Chart {
    pub width: u64,
    pub height: u64,
    pub title: String,
    /// Where the row labels end (they are right-aligned to it).
    pub label_x: u64,
    pub bar_height: u64,
    pub legend: Vec<LegendItem>,
    pub rows: Vec<ChartRow>,
    pub budget: Option<BudgetLine>,
}

#[derive(Clone, Debug, Serialize)]
pub struct LegendItem {
    pub x: u64,
    pub text_x: u64,
    pub colour: &'static str,
    pub label: String,
}

#[derive(Clone, Debug, Serialize)]
pub struct ChartRow {
    pub label: String,
    /// Top of the bar, and the baseline of its texts.
    pub y: u64,
    pub text_y: u64,
    pub segments: Vec<ChartSegment>,
    pub value: String,
    pub value_x: u64,
}

#[derive(Clone, Debug, Serialize)]
pub struct ChartSegment {
    pub x: u64,
    pub width: u64,
    pub colour: &'static str,
    /// The tooltip: `platform, Mimir: 434.53 GiB`.
    pub title: String,
}

#[derive(Clone, Debug, Serialize)]
pub struct BudgetLine {
    pub x: u64,
    pub y1: u64,
    pub y2: u64,
    pub label: String,
    pub label_y: u64,
    /// `end` when the line is in the right half, so that the label stays in the picture.
    pub anchor: &'static str,
    pub colour: &'static str,
}

const CHART_WIDTH: u64 = 800;
const LABEL_RIGHT: u64 = 120;
const BAR_LEFT: u64 = 130;
const BAR_WIDTH: u64 = 520;
const ROWS_TOP: u64 = 64;
const ROW_PITCH: u64 = 26;
const BAR_HEIGHT: u64 = 16;
/// Okabe–Ito colours, told apart with any colour vision: Mimir, Loki, Tempo, Pyroscope.
const COLOURS: [&str; 4] = ["#E69F00", "#56B4E9", "#009E73", "#CC79A7"];

/// One bar of the chart: raw bytes per backend, stacked.
struct Bar {
    label: String,
    parts: Vec<(&'static str, u64)>,
    total: u64,
    value: String,
}

/// Lays out the chart of one plan: a row for all tenants, then one per tenant, each a bar stacked
/// by backend; the scale fits the budget or the total, whichever is larger.
pub fn chart(platform: &str, plan: &CapacityPlan) -> Chart {
    let budget_bytes = plan.budget.as_ref().map(|b| b.budget_bytes);
    let scale = budget_bytes.unwrap_or(0).max(plan.size.raw_bytes).max(1);
    let x_of = |bytes: u64| {
        BAR_LEFT + clamp(u128::from(bytes) * u128::from(BAR_WIDTH) / u128::from(scale))
    };
    let legend = plan
        .backends
        .iter()
        .zip(COLOURS)
        .enumerate()
        .map(|(index, (backend, colour))| {
            let x = BAR_LEFT + 130 * index as u64;
            LegendItem {
                x,
                text_x: x + 14,
                colour,
                label: format!("{} ({})", backend.backend, backend.signal),
            }
        })
        .collect();
    let all = Bar {
        label: "all tenants".to_owned(),
        parts: plan
            .backends
            .iter()
            .map(|b| (b.backend, b.size.raw_bytes))
            .collect(),
        total: plan.size.raw_bytes,
        value: plan.size.raw.clone(),
    };
    let bars = std::iter::once(all).chain(plan.tenants.iter().map(|tenant| {
        Bar {
            label: tenant.tenant.clone(),
            parts: plan
                .backends
                .iter()
                .map(|backend| {
                    let bytes = backend
                        .rows
                        .iter()
                        .find(|row| row.tenant == tenant.tenant)
                        .map_or(0, |row| row.size.raw_bytes);
                    (backend.backend, bytes)
                })
                .collect(),
            total: tenant.size.raw_bytes,
            value: tenant.size.raw.clone(),
        }
    }));
    let rows: Vec<ChartRow> = bars
        .enumerate()
        .map(
            |(
                index,
                Bar {
                    label,
                    parts,
                    total,
                    value,
                },
            )| {
                let y = ROWS_TOP + ROW_PITCH * index as u64;
                let mut cumulative = 0u64;
                let mut segments = Vec::new();
                for ((backend, bytes), colour) in parts.into_iter().zip(COLOURS) {
                    let x = x_of(cumulative);
                    cumulative = cumulative.saturating_add(bytes);
                    let width = x_of(cumulative) - x;
                    if width > 0 {
                        segments.push(ChartSegment {
                            x,
                            width,
                            colour,
                            title: format!("{label}, {backend}: {}", format_bytes(bytes)),
                        });
                    }
                }
                ChartRow {
                    label,
                    y,
                    text_y: y + 12,
                    segments,
                    value,
                    value_x: x_of(total) + 6,
                }
            },
        )
        .collect();
    let bottom = ROWS_TOP + ROW_PITCH * rows.len() as u64;
    let budget = plan.budget.as_ref().map(|budget| BudgetLine {
        x: x_of(budget.budget_bytes),
        anchor: if x_of(budget.budget_bytes) > CHART_WIDTH / 2 {
            "end"
        } else {
            "start"
        },
        y1: ROWS_TOP - 6,
        y2: bottom,
        label: format!(
            "budget {} ({} × {})",
            budget.budget, budget.raw_capacity, budget.max_fill_text
        ),
        label_y: bottom + 14,
        colour: if plan.is_over_budget() {
            "#D55E00"
        } else {
            "#333333"
        },
    });
    Chart {
        width: CHART_WIDTH,
        height: bottom + 28,
        label_x: LABEL_RIGHT,
        bar_height: BAR_HEIGHT,
        title: format!(
            "Raw Ceph storage of {platform} ({}): {}",
            plan.environment,
            plan.summary()
        ),
        legend,
        rows,
        budget,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

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
        assert_eq!(plan.status, "undeclared");
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

    #[test]
    fn fractions_are_read_to_millionths() {
        assert_eq!(micros(0.15), 150_000);
        assert_eq!(micros(0.1), 100_000);
        assert_eq!(micros(2.0), 2_000_000);
        assert_eq!(micros(0.0000004), 0);
        assert_eq!(micros(-1.0), 0);
        assert_eq!(micros(f64::NAN), 0);
        assert_eq!(format_micros(150_000), "0.15");
        assert_eq!(format_micros(2_000_000), "2");
        assert_eq!(format_micros(1_000_001), "1.000001");
    }

    #[test]
    fn quantities() {
        assert_eq!(parse_quantity("1536Gi"), Some(1536 << 30));
        assert_eq!(parse_quantity("1.5Ti"), Some(3 << 39));
        assert_eq!(parse_quantity("2T"), Some(2_000_000_000_000));
        assert_eq!(parse_quantity("500"), Some(500));
        assert_eq!(parse_quantity("0.5Ki"), Some(512));
        assert_eq!(parse_quantity("1.0001"), Some(1));
        assert_eq!(parse_quantity("16Pi"), Some(16 << 50));
        assert_eq!(parse_quantity("99999999Pi"), None);
        for bad in ["", "Gi", "1.Gi", ".5Gi", "1GB", "1 Gi", "-1", "1.2.3"] {
            assert_eq!(parse_quantity(bad), None, "{bad}");
        }
    }

    #[test]
    fn binary_units_with_two_decimals() {
        assert_eq!(format_bytes(0), "0 B");
        assert_eq!(format_bytes(1023), "1023 B");
        assert_eq!(format_bytes(1024), "1.00 KiB");
        assert_eq!(format_bytes(1536), "1.50 KiB");
        assert_eq!(format_bytes(155_520_000_000), "144.84 GiB");
        assert_eq!(format_bytes(1_048_575), "1.00 MiB");
        assert_eq!(format_bytes(3 << 39), "1.50 TiB");
        assert_eq!(format_bytes(u64::MAX), "16.00 EiB");
    }

    #[test]
    fn percentages_and_durations() {
        assert_eq!(percent(1, 3), "33.3%");
        assert_eq!(percent(2, 3), "66.7%");
        assert_eq!(percent(3, 2), "150.0%");
        assert_eq!(percent(0, 0), "0.0%");
        assert_eq!(percent(1, 0), "∞%");
        assert_eq!(format_seconds(90 * 86_400), "90d");
        assert_eq!(format_seconds(36 * 3_600), "1d12h");
        assert_eq!(format_seconds(5_400), "1h30m");
        assert_eq!(format_seconds(0), "0s");
    }
}
