//! The capacity spec: the raw Ceph capacity the platform may use and the assumptions that turn
//! limits and retention into stored bytes (`capacity` computes the plan).

use std::collections::BTreeMap;

use schemars::JsonSchema;
use serde::Deserialize;

use super::TenantId;

/// The capacity plan: the raw Ceph capacity the platform may use, and the assumptions that turn
/// ingestion limits and retention into stored bytes (see `capacity`). Every assumption has a
/// documented default; environment overlays can change any of them.
#[derive(Clone, Debug, Deserialize, JsonSchema)]
#[serde(rename_all = "kebab-case", deny_unknown_fields, default)]
pub struct Capacity {
    /// Raw capacity of the Ceph cluster set aside for the platform, before replication, as a
    /// quantity: `1536Gi`, `3Ti`, `2T`. Unset: the plan is computed but compared with nothing.
    #[schemars(regex(pattern = r"^[0-9]+(\.[0-9]+)?(Ki|Mi|Gi|Ti|Pi|k|M|G|T|P)?$"))]
    pub raw: Option<String>,
    /// Over budget is an error (exit 2) instead of a warning.
    pub enforce: bool,
    /// The share of `raw` the plan may fill. Ceph warns at 85% full (`nearfull`) and stops
    /// writes at 95% (`full`).
    #[schemars(range(min = 0.0, max = 1.0))]
    pub max_fill: f64,
    /// The share of its ingestion limits a tenant is assumed to use on average, for every signal
    /// that does not set its own: limits are ceilings, not traffic.
    #[schemars(range(min = 0.0, max = 1.0))]
    pub utilisation: f64,
    /// Metrics assumptions.
    pub metrics: MetricsAssumptions,
    /// Logs assumptions.
    pub logs: ByteAssumptions,
    /// Traces assumptions.
    pub traces: ByteAssumptions,
    /// Profiles assumptions.
    pub profiles: ByteAssumptions,
    /// Per-tenant utilisation, in place of the signal's: `tenant "dev" { logs utilisation=0.5 }`.
    #[serde(rename = "tenant")]
    pub tenants: BTreeMap<TenantId, CapacityTenant>,
}

impl Default for Capacity {
    fn default() -> Self {
        Capacity {
            raw: None,
            enforce: false,
            max_fill: 0.85,
            utilisation: 0.25,
            metrics: MetricsAssumptions::default(),
            logs: ByteAssumptions::default(),
            traces: ByteAssumptions::default(),
            profiles: ByteAssumptions::default(),
            tenants: BTreeMap::new(),
        }
    }
}

/// What one metric sample costs in the bucket.
#[derive(Clone, Debug, Default, Deserialize, JsonSchema)]
#[serde(rename_all = "kebab-case", deny_unknown_fields, default)]
pub struct MetricsAssumptions {
    /// Bytes stored per sample after TSDB compression, index included. Default: 2.
    #[schemars(range(min = 0.0, max = 100.0))]
    pub bytes_per_sample: Option<f64>,
    /// Share of the ingestion limit used on average. Default: `capacity utilisation`.
    #[schemars(range(min = 0.0, max = 1.0))]
    pub utilisation: Option<f64>,
}

/// What one ingested byte of a byte-counted signal (logs, traces, profiles) costs in the bucket.
#[derive(Clone, Debug, Default, Deserialize, JsonSchema)]
#[serde(rename_all = "kebab-case", deny_unknown_fields, default)]
pub struct ByteAssumptions {
    /// Bytes stored per byte ingested, after compression, index included. Default: logs 0.15,
    /// traces 0.2, profiles 0.1.
    #[schemars(range(min = 0.0, max = 10.0))]
    pub stored_ratio: Option<f64>,
    /// Share of the ingestion limit used on average. Default: `capacity utilisation`.
    #[schemars(range(min = 0.0, max = 1.0))]
    pub utilisation: Option<f64>,
}

/// One tenant's utilisation of its limits, per signal, in place of the signal's.
#[derive(Clone, Debug, Default, Deserialize, JsonSchema)]
#[serde(rename_all = "kebab-case", deny_unknown_fields, default)]
pub struct CapacityTenant {
    /// This tenant's metrics utilisation.
    pub metrics: Utilisation,
    /// This tenant's logs utilisation.
    pub logs: Utilisation,
    /// This tenant's traces utilisation.
    pub traces: Utilisation,
    /// This tenant's profiles utilisation.
    pub profiles: Utilisation,
}

/// A share of an ingestion limit used on average.
#[derive(Clone, Debug, Default, Deserialize, JsonSchema)]
#[serde(rename_all = "kebab-case", deny_unknown_fields, default)]
pub struct Utilisation {
    /// Between 0 and 1.
    #[schemars(range(min = 0.0, max = 1.0))]
    pub utilisation: Option<f64>,
}
