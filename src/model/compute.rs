//! The compute spec: the nodes, what each keeps outside the platform, and the CPU and memory
//! of a container, as Kubernetes quantities (`compute` reads them).

use std::collections::BTreeMap;

use schemars::JsonSchema;
use serde::Deserialize;

/// A Kubernetes CPU quantity: `2`, `1.5`, `500m` (`compute` reads it to whole millicores).
pub const CPU_PATTERN: &str = r"^[0-9]+(\.[0-9]+)?m?$";

/// A Kubernetes memory quantity: `512Mi`, `4Gi`, `1G` (`compute` reads it to bytes).
pub const MEMORY_PATTERN: &str = r"^[0-9]+(\.[0-9]+)?(Ki|Mi|Gi|Ti|k|M|G|T)?$";

/// CPU and memory of a container: requested, and memory also as the limit (a CPU limit only
/// throttles). Either may be left out: it keeps lgtmc's default (`compute`).
#[derive(Clone, Debug, Default, Deserialize, JsonSchema, PartialEq, Eq)]
#[serde(rename_all = "kebab-case", deny_unknown_fields, default)]
pub struct Resources {
    /// A Kubernetes CPU quantity: `500m`, `2`.
    #[schemars(regex(pattern = CPU_PATTERN))]
    pub cpu: Option<String>,
    /// A Kubernetes memory quantity: `512Mi`, `4Gi`.
    #[schemars(regex(pattern = MEMORY_PATTERN))]
    pub memory: Option<String>,
}

/// The compute plan: the nodes the platform runs on, what each node keeps for everything that is
/// not the platform, and the size of every container lgtmc deploys (see `compute`).
#[derive(Clone, Debug, Default, Deserialize, JsonSchema)]
#[serde(rename_all = "kebab-case", deny_unknown_fields, default)]
pub struct Compute {
    /// Requests that do not fit the nodes are an error (exit 2) instead of a warning. Needs
    /// `nodes`.
    pub enforce: bool,
    /// The environment's nodes: `nodes count=3 cpu="8" memory="32Gi"`. Unset: the requests are
    /// summed but compared with nothing.
    pub nodes: Option<Nodes>,
    /// What each node keeps for the kubelet, the system and everything that is not the platform.
    pub reserve: Reserve,
    /// The size of one container, in place of lgtmc's default: `container "loki-chunks-cache"
    /// cpu="100m" memory="1Gi"`. The name is one of the plan's container keys.
    #[serde(rename = "container")]
    pub containers: BTreeMap<String, Resources>,
}

/// Identical nodes: how many, and the CPU and memory of each.
#[derive(Clone, Debug, Deserialize, JsonSchema)]
#[serde(rename_all = "kebab-case", deny_unknown_fields)]
pub struct Nodes {
    /// How many nodes.
    #[schemars(range(min = 1, max = 1000))]
    pub count: u32,
    /// The CPU of one node, a Kubernetes CPU quantity: `8`, `7500m`.
    #[schemars(regex(pattern = CPU_PATTERN))]
    pub cpu: String,
    /// The memory of one node, a Kubernetes memory quantity: `32Gi`.
    #[schemars(regex(pattern = MEMORY_PATTERN))]
    pub memory: String,
}

/// CPU and memory kept on each node, outside the platform's requests.
#[derive(Clone, Debug, Deserialize, JsonSchema)]
#[serde(rename_all = "kebab-case", deny_unknown_fields, default)]
pub struct Reserve {
    /// CPU kept on each node: `500m`.
    #[schemars(regex(pattern = CPU_PATTERN))]
    pub cpu: String,
    /// Memory kept on each node: `1Gi`.
    #[schemars(regex(pattern = MEMORY_PATTERN))]
    pub memory: String,
}

impl Default for Reserve {
    fn default() -> Self {
        Reserve {
            cpu: "500m".to_owned(),
            memory: "1Gi".to_owned(),
        }
    }
}
