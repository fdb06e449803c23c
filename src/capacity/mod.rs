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
//! Everything here is a pure function of the typed spec and the resolved limits (`limits`);
//! `validate` checks the budget with it, `plan` hands it to the templates (`CAPACITY.md`,
//! `capacity.svg`), and `lgtmc plan` prints it.
//!
//! `plan.rs` computes the plan, `chart.rs` lays out `capacity.svg`, `report.rs` writes the text
//! and JSON of `lgtmc plan` (with each environment's compute plan).

mod chart;
mod plan;
mod report;

use serde::Serialize;

use crate::units::{percent, sum};

// `render`'s `bytes` filter and the budget check read these here, where the plan's sizes come from.
use crate::units::format_bytes;
pub use chart::{BudgetLine, Chart, ChartRow, ChartSegment, LegendItem, chart};
pub use plan::{plan, stored_per_second};
pub use report::{json, text};

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
    pub status: BudgetStatus,
    /// Whether over budget is an error.
    pub enforce: bool,
    pub assumptions: Assumptions,
}

/// Where an environment stands against its budget; serialised as `within`, `over` or
/// `undeclared`, the words `CAPACITY.md.j2` and `lgtmc plan --format json` show.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum BudgetStatus {
    Within,
    Over,
    /// No raw capacity in the spec, so no budget.
    Undeclared,
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
    pub(crate) fn new(stored_bytes: u64, raw_bytes: u64, budget_bytes: Option<u64>) -> Size {
        Size {
            stored_bytes,
            raw_bytes,
            stored: format_bytes(stored_bytes),
            raw: format_bytes(raw_bytes),
            share: budget_bytes.map(|budget| percent(raw_bytes, budget)),
        }
    }

    /// The sum of several sizes.
    pub(crate) fn total<'a>(
        sizes: impl Iterator<Item = &'a Size> + Clone,
        budget_bytes: Option<u64>,
    ) -> Size {
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

impl CapacityPlan {
    pub fn is_over_budget(&self) -> bool {
        self.status == BudgetStatus::Over
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

#[cfg(test)]
mod tests;
