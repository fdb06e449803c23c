//! The typed platform spec: what `platform.kdl`, merged with one environment overlay, means.
//!
//! These types are the single source of truth for the spec language. `schema/platform.schema.json`
//! is generated from them (`lgtmc schema`), and a test keeps the committed file equal to the
//! generated one. Field names are kebab-case because that is how they are written in KDL.
//!
//! **Invariant:** nothing here knows about KDL, files or spans. Spans live in `document::Origins`,
//! keyed by the JSON pointer of each value, so a problem found in the model can still be reported
//! at the line that caused it.

use std::collections::BTreeMap;

use std::borrow::Cow;

use schemars::{JsonSchema, Schema, SchemaGenerator, json_schema};
use serde::Deserialize;

/// Tenant ids become file names, Kubernetes names, `X-Scope-OrgID` header values and part of
/// Grafana uids, so the accepted alphabet is the intersection of all four (see `validate`).
pub type TenantId = String;

/// One platform, as seen by one environment.
#[derive(Clone, Debug, Deserialize, JsonSchema)]
#[serde(rename_all = "kebab-case", deny_unknown_fields)]
pub struct Platform {
    /// The platform's name, the argument of the root `platform` node.
    pub name: String,
    /// The environments, in promotion order: `environments "dev" "staging" "prod"`. Each needs an
    /// overlay file `environments/<name>.kdl`.
    #[schemars(
        length(min = 1),
        inner(regex(pattern = r"^[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?$"))
    )]
    pub environments: Vec<String>,
    /// The Kubernetes API server that Argo CD deploys this environment to.
    #[serde(default = "default_cluster")]
    pub cluster: String,
    /// The GitOps repository that holds this spec and its rendered `out/` tree.
    pub gitops: Gitops,
    /// Where the backends keep their data.
    pub storage: Storage,
    /// How the collector chooses a tenant for each signal.
    pub tenancy: Tenancy,
    /// The tenants: `tenant "<id>" ingestion-rate=… retention="…"`.
    #[serde(rename = "tenant")]
    #[schemars(length(min = 1))]
    pub tenants: BTreeMap<TenantId, Tenant>,
    /// Metrics (Mimir). Present with its defaults when the node is absent.
    #[serde(default)]
    pub metrics: Metrics,
}

#[derive(Clone, Debug, Deserialize, JsonSchema)]
#[serde(rename_all = "kebab-case", deny_unknown_fields)]
pub struct Gitops {
    /// Clone URL of the GitOps repository.
    #[schemars(length(min = 1))]
    pub repo: String,
    /// The branch Argo CD follows.
    #[serde(default = "default_branch")]
    pub branch: String,
}

#[derive(Clone, Debug, Deserialize, JsonSchema)]
#[serde(rename_all = "kebab-case", deny_unknown_fields)]
pub struct Storage {
    /// The Rook-Ceph object store that serves S3 to every backend.
    pub ceph: Ceph,
}

#[derive(Clone, Debug, Deserialize, JsonSchema)]
#[serde(rename_all = "kebab-case", deny_unknown_fields)]
pub struct Ceph {
    /// Namespace of the Rook-Ceph operator and cluster.
    #[serde(default = "default_ceph_namespace")]
    #[schemars(regex(pattern = r"^[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?$"))]
    pub namespace: String,
    /// Name of the CephObjectStore (its S3 gateway serves the buckets).
    #[schemars(regex(pattern = r"^[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?$"))]
    pub object_store: String,
    /// Ceph replication factor of the object store's pools.
    #[serde(default = "default_ceph_replicas")]
    #[schemars(range(min = 1, max = 7))]
    pub replicas: u32,
    /// S3 region the clients send. Ceph RGW accepts any value, the S3 clients insist on one.
    #[serde(default = "default_region")]
    #[schemars(length(min = 1))]
    pub region: String,
}

#[derive(Clone, Debug, Deserialize, JsonSchema)]
#[serde(rename_all = "kebab-case", deny_unknown_fields)]
pub struct Tenancy {
    /// The pod label whose value names a workload's tenant.
    #[schemars(length(min = 1))]
    pub label: String,
    /// The tenant of pods without the label. Must be a declared tenant.
    pub default: TenantId,
}

#[derive(Clone, Debug, Deserialize, JsonSchema)]
#[serde(rename_all = "kebab-case", deny_unknown_fields)]
pub struct Tenant {
    /// Samples (metrics) per second this tenant may ingest.
    #[schemars(range(min = 1))]
    pub ingestion_rate: u64,
    /// Burst above the ingestion rate. Default: ten times the rate.
    #[schemars(range(min = 1))]
    pub ingestion_burst: Option<u64>,
    /// Most active series the tenant may hold across the cluster. Default: the backend's.
    #[schemars(range(min = 1))]
    pub max_series: Option<u64>,
    /// How long the tenant's data is kept, for example `90d`, `14d`, `36h`.
    pub retention: Duration,
}

/// A duration such as `90d`, `2h`, `30s` or `1h30m` (units `y w d h m s ms`).
#[derive(Clone, Debug, Deserialize, PartialEq, Eq)]
#[serde(transparent)]
pub struct Duration(pub String);

impl JsonSchema for Duration {
    fn schema_name() -> Cow<'static, str> {
        "Duration".into()
    }

    fn json_schema(_: &mut SchemaGenerator) -> Schema {
        json_schema!({
            "description": "A duration: a number and a unit, repeated, for example `90d`, `12h` or `1h30m` (units `y w d h m s ms`).",
            "type": "string",
            "pattern": DURATION_PATTERN,
        })
    }
}

/// The pattern of `Duration` in the schema.
pub const DURATION_PATTERN: &str = "^([0-9]+(ms|s|m|h|d|w|y))+$";

impl Duration {
    /// Whole seconds, or `None` when the text is not a duration (or overflows).
    pub fn seconds(&self) -> Option<u64> {
        let text = self.0.as_str();
        if text.is_empty() {
            return None;
        }
        let mut total: u64 = 0;
        let mut rest = text;
        while !rest.is_empty() {
            let digits = rest.find(|c: char| !c.is_ascii_digit())?;
            if digits == 0 {
                return None;
            }
            let number: u64 = rest[..digits].parse().ok()?;
            rest = &rest[digits..];
            let unit_len = rest
                .find(|c: char| c.is_ascii_digit())
                .unwrap_or(rest.len());
            let millis_per_unit: u64 = match &rest[..unit_len] {
                "ms" => 1,
                "s" => 1_000,
                "m" => 60_000,
                "h" => 3_600_000,
                "d" => 86_400_000,
                "w" => 604_800_000,
                "y" => 31_536_000_000,
                _ => return None,
            };
            rest = &rest[unit_len..];
            total = total.checked_add(number.checked_mul(millis_per_unit)?)?;
        }
        Some(total / 1_000)
    }
}

/// Metrics: Mimir.
#[derive(Clone, Debug, Deserialize, JsonSchema)]
#[serde(rename_all = "kebab-case", deny_unknown_fields)]
pub struct Metrics {
    /// Namespace Mimir runs in; its bucket claims live there too.
    #[serde(default = "default_mimir_namespace")]
    #[schemars(regex(pattern = r"^[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?$"))]
    pub namespace: String,
    /// Ingester replicas. The replication factor is three, or fewer when there are fewer ingesters.
    #[serde(default = "default_one")]
    #[schemars(range(min = 1, max = 100))]
    pub replicas: u32,
}

impl Default for Metrics {
    fn default() -> Self {
        Metrics {
            namespace: default_mimir_namespace(),
            replicas: default_one(),
        }
    }
}

fn default_cluster() -> String {
    "https://kubernetes.default.svc".to_owned()
}
fn default_branch() -> String {
    "main".to_owned()
}
fn default_ceph_namespace() -> String {
    "rook-ceph".to_owned()
}
fn default_ceph_replicas() -> u32 {
    3
}
fn default_region() -> String {
    "us-east-1".to_owned()
}
fn default_mimir_namespace() -> String {
    "mimir".to_owned()
}
fn default_one() -> u32 {
    1
}

#[cfg(test)]
mod tests {
    use super::Duration;

    #[track_caller]
    fn check(text: &str, expected: Option<u64>) {
        assert_eq!(Duration(text.to_owned()).seconds(), expected, "{text}");
    }

    #[test]
    fn durations() {
        check("90d", Some(90 * 86_400));
        check("2h", Some(7_200));
        check("1h30m", Some(5_400));
        check("1500ms", Some(1));
        check("1y", Some(365 * 86_400));
        check("0s", Some(0));
        check("", None);
        check("d", None);
        check("10", None);
        check("10x", None);
        check("99999999999999999999d", None);
    }
}
