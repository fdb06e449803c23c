//! The compute plan: the CPU and memory every container lgtmc deploys requests, per component and
//! per node, against what the environment's nodes can give.
//!
//! For every environment:
//!
//! ```text
//! pod request       = max(sum of its containers, largest init container)   (as the scheduler counts)
//! workload request  = pod request × replicas            (a DaemonSet: one pod per node)
//! allocatable       = node capacity − reserve            (per node)
//! headroom          = allocatable × nodes − sum of workload requests
//! ```
//!
//! Each container's size is the spec's (`resources` of its section, or `compute { container … }`),
//! else lgtmc's default from `catalogue.rs`. Pods are then placed on the nodes, largest memory
//! first, each on the least loaded node it may use (one per node under required anti-affinity or a
//! hard topology spread, every node for a DaemonSet), which gives the per-node load.
//!
//! Pure functions of the typed spec (memory quantities read and written by `units`): `validate`
//! checks the fit, `plan` hands the sizes to the templates (every `resources:` block) and the plan
//! to `CAPACITY.md`, and `lgtmc plan` prints it (after the capacity plan, `capacity::text`).

mod catalogue;
mod check;
mod report;
mod sentry;

use std::collections::BTreeMap;

use serde::Serialize;

use crate::model::Platform;

pub use catalogue::{CONTAINERS, Placement, SECTION_CONTAINERS};
pub use check::problems;
pub use report::{cpu as cpu_text, text};
pub use sentry::{SENTRY_WORKLOADS, SNUBA_WORKLOADS};

const KIB: u64 = 1 << 10;
const MIB: u64 = 1 << 20;
const GIB: u64 = 1 << 30;

/// A CPU quantity in millicores: `500m`, `2`, `0.5`. `None` when it is not one, is finer than a
/// millicore, or does not fit in 64 bits.
pub fn parse_cpu(text: &str) -> Option<u64> {
    let (number, scale) = match text.strip_suffix('m') {
        Some(millis) => (millis, 1),
        None => (text, 1_000),
    };
    let (whole, fraction) = number.split_once('.').unwrap_or((number, ""));
    let digits = |s: &str| s.chars().all(|c| c.is_ascii_digit());
    if whole.is_empty() || !digits(whole) || !digits(fraction) || number.ends_with('.') {
        return None;
    }
    let whole: u64 = whole.parse().ok()?;
    let mut millis = whole.checked_mul(scale)?;
    if !fraction.is_empty() {
        // A fraction must come to whole millicores: `0.5` is `500m`, `0.0005` is nothing.
        let fraction = fraction.trim_end_matches('0');
        let places = u32::try_from(fraction.len()).ok()?;
        let allowed = if scale == 1 { 0 } else { 3 };
        if places > allowed {
            return None;
        }
        if places > 0 {
            let value: u64 = fraction.parse().ok()?;
            millis = millis.checked_add(value * 10u64.pow(allowed - places))?;
        }
    }
    Some(millis)
}

/// A memory quantity in bytes: `512Mi`, `4Gi`, `1G`. `None` when it is not one or does not fit.
pub fn parse_memory(text: &str) -> Option<u64> {
    crate::units::parse_quantity(text)
}

/// Millicores as Kubernetes writes them: `500m`, `2`.
pub fn format_cpu(millis: u64) -> String {
    if millis.is_multiple_of(1_000) {
        format!("{}", millis / 1_000)
    } else {
        format!("{millis}m")
    }
}

/// Bytes as a Kubernetes quantity in the largest binary unit that divides them: `4Gi`, `853Mi`.
pub fn format_memory(bytes: u64) -> String {
    for (size, unit) in [(GIB, "Gi"), (MIB, "Mi"), (KIB, "Ki")] {
        if bytes >= size && bytes.is_multiple_of(size) {
            return format!("{}{unit}", bytes / size);
        }
    }
    bytes.to_string()
}

/// CPU and memory requests, in millicores and bytes, with their Kubernetes spelling.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize)]
pub struct Amount {
    pub cpu_millis: u64,
    pub memory_bytes: u64,
}

impl Amount {
    fn add(self, other: Amount) -> Amount {
        Amount {
            cpu_millis: self.cpu_millis.saturating_add(other.cpu_millis),
            memory_bytes: self.memory_bytes.saturating_add(other.memory_bytes),
        }
    }
    fn max(self, other: Amount) -> Amount {
        Amount {
            cpu_millis: self.cpu_millis.max(other.cpu_millis),
            memory_bytes: self.memory_bytes.max(other.memory_bytes),
        }
    }
    fn times(self, n: u64) -> Amount {
        Amount {
            cpu_millis: self.cpu_millis.saturating_mul(n),
            memory_bytes: self.memory_bytes.saturating_mul(n),
        }
    }
    fn fits(self, within: Amount) -> bool {
        self.cpu_millis <= within.cpu_millis && self.memory_bytes <= within.memory_bytes
    }
    /// `1.25 CPU, 3.50 GiB`.
    pub fn text(self) -> String {
        format!(
            "{} CPU, {}",
            report::cpu(self.cpu_millis),
            crate::units::format_bytes(self.memory_bytes)
        )
    }
}

/// One container's size and where it comes from.
#[derive(Clone, Debug, Serialize)]
pub struct ContainerSize {
    /// The key the spec names it by (`compute { container "<key>" … }`).
    pub key: &'static str,
    #[serde(flatten)]
    pub request: Amount,
    pub cpu: String,
    pub memory: String,
    /// `spec` or `default`.
    pub source: &'static str,
    /// The spec key that changes it.
    pub set_with: String,
}

/// One container of a pod.
#[derive(Clone, Debug, Serialize)]
pub struct ContainerPlan {
    /// The container's name in the rendered pod.
    pub name: &'static str,
    pub key: &'static str,
    pub init: bool,
    #[serde(flatten)]
    pub request: Amount,
}

/// One workload (Deployment, StatefulSet or DaemonSet) as the chart renders it.
#[derive(Clone, Debug, Serialize)]
pub struct WorkloadPlan {
    /// `mimir`, `loki`, … (the directory under `out/<env>/`).
    pub component: &'static str,
    /// The rendered object's name.
    pub name: &'static str,
    pub kind: &'static str,
    pub replicas: u64,
    pub placement: Placement,
    pub containers: Vec<ContainerPlan>,
    /// What one pod requests.
    pub pod: Amount,
    /// What all its pods request.
    pub total: Amount,
}

/// One component's total.
#[derive(Clone, Debug, Serialize)]
pub struct ComponentTotal {
    pub component: &'static str,
    pub pods: u64,
    #[serde(flatten)]
    pub total: Amount,
    pub text: String,
}

/// The nodes, and what each can give the platform.
#[derive(Clone, Debug, Serialize)]
pub struct NodesPlan {
    pub count: u64,
    pub capacity: Amount,
    pub reserve: Amount,
    /// Capacity minus reserve, per node.
    pub allocatable: Amount,
    /// Allocatable over all nodes.
    pub total_allocatable: Amount,
}

/// One node's estimated load.
#[derive(Clone, Debug, Serialize)]
pub struct NodeLoad {
    pub node: u64,
    pub pods: u64,
    pub requests: Amount,
    pub cpu_share: String,
    pub memory_share: String,
    pub fits: bool,
}

/// Whether an environment's requests fit its nodes; serialised as `fits`, `over` or
/// `undeclared`, the words `CAPACITY.md.j2` and `lgtmc plan --format json` show.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum FitStatus {
    Fits,
    Over,
    /// No nodes in the spec, so nothing to fit.
    Undeclared,
}

/// The compute plan of one environment.
#[derive(Clone, Debug, Serialize)]
pub struct ComputePlan {
    pub environment: String,
    pub nodes: Option<NodesPlan>,
    /// Every container key the environment uses, by key.
    pub sizes: BTreeMap<&'static str, ContainerSize>,
    pub workloads: Vec<WorkloadPlan>,
    pub components: Vec<ComponentTotal>,
    /// Everything the platform requests.
    pub requests: Amount,
    pub requests_text: String,
    /// Total allocatable minus requests, negative when over (`None` without nodes).
    pub headroom_cpu_millis: Option<i128>,
    pub headroom_memory_bytes: Option<i128>,
    pub headroom_text: Option<String>,
    pub per_node: Vec<NodeLoad>,
    /// Replicas that cannot be placed: required anti-affinity with more replicas than nodes, or
    /// a pod larger than a node's allocatable.
    pub unplaceable: Vec<String>,
    /// `fits`, `over`, or `undeclared` (no nodes in the spec).
    pub status: FitStatus,
    pub enforce: bool,
    /// What the charts run that the plan does not count, and why.
    pub not_counted: Vec<&'static str>,
}

impl ComputePlan {
    pub fn is_over(&self) -> bool {
        self.status == FitStatus::Over
    }

    /// One line: `9.71 CPU, 38.52 GiB requested; fits 3 nodes, 8.29 CPU, 33.48 GiB to spare`.
    pub fn summary(&self) -> String {
        let verdict = match (self.status, &self.headroom_text) {
            (FitStatus::Fits, Some(headroom)) => format!("fits, {headroom} to spare"),
            (FitStatus::Over, _) => "DOES NOT FIT".to_owned(),
            _ => "no nodes declared (`compute { nodes … }`)".to_owned(),
        };
        format!("{} requested — {verdict}", self.requests_text)
    }
}

/// The compute plan of one environment (quantities the spec failed to give count as zero: the
/// spec is only planned after it validated).
pub fn plan(environment: &str, platform: &Platform) -> ComputePlan {
    let spec = &platform.compute;
    let nodes = spec.nodes.as_ref().map(|n| nodes_plan(n, &spec.reserve));
    let node_count = nodes.as_ref().map_or(1, |n| n.count);
    let sizes = catalogue::sizes(platform);
    let workloads = catalogue::workloads(platform, node_count, &sizes);
    let requests = workloads
        .iter()
        .fold(Amount::default(), |sum, w| sum.add(w.total));
    let (per_node, unplaceable) = match &nodes {
        Some(nodes) => place(&workloads, nodes),
        None => (Vec::new(), Vec::new()),
    };
    let headroom = nodes.as_ref().map(|n| {
        (
            i128::from(n.total_allocatable.cpu_millis) - i128::from(requests.cpu_millis),
            i128::from(n.total_allocatable.memory_bytes) - i128::from(requests.memory_bytes),
        )
    });
    let fits = headroom.is_some_and(|(cpu, memory)| cpu >= 0 && memory >= 0)
        && unplaceable.is_empty()
        && per_node.iter().all(|n| n.fits);
    ComputePlan {
        environment: environment.to_owned(),
        sizes: sizes.into_iter().map(|s| (s.key, s)).collect(),
        components: components(&workloads),
        workloads,
        requests,
        requests_text: requests.text(),
        headroom_cpu_millis: headroom.map(|h| h.0),
        headroom_memory_bytes: headroom.map(|h| h.1),
        headroom_text: headroom.map(signed_text),
        per_node,
        unplaceable,
        status: match (&nodes, fits) {
            (None, _) => FitStatus::Undeclared,
            (Some(_), true) => FitStatus::Fits,
            (Some(_), false) => FitStatus::Over,
        },
        enforce: spec.enforce,
        not_counted: catalogue::not_counted(platform),
        nodes,
    }
}

/// The nodes and their allocatable share (quantities that failed validation count as zero: a
/// spec is only planned after it validated).
fn nodes_plan(nodes: &crate::model::Nodes, reserve: &crate::model::Reserve) -> NodesPlan {
    let capacity = Amount {
        cpu_millis: parse_cpu(&nodes.cpu).unwrap_or(0),
        memory_bytes: parse_memory(&nodes.memory).unwrap_or(0),
    };
    let reserve = Amount {
        cpu_millis: parse_cpu(&reserve.cpu).unwrap_or(0),
        memory_bytes: parse_memory(&reserve.memory).unwrap_or(0),
    };
    let allocatable = Amount {
        cpu_millis: capacity.cpu_millis.saturating_sub(reserve.cpu_millis),
        memory_bytes: capacity.memory_bytes.saturating_sub(reserve.memory_bytes),
    };
    NodesPlan {
        count: u64::from(nodes.count),
        capacity,
        reserve,
        allocatable,
        total_allocatable: allocatable.times(u64::from(nodes.count)),
    }
}

/// Each component's pods and requests, in the order the workloads first name it.
fn components(workloads: &[WorkloadPlan]) -> Vec<ComponentTotal> {
    let mut components: Vec<ComponentTotal> = Vec::new();
    for workload in workloads {
        match components
            .iter_mut()
            .find(|c| c.component == workload.component)
        {
            Some(total) => {
                total.pods += workload.replicas;
                total.total = total.total.add(workload.total);
            }
            None => components.push(ComponentTotal {
                component: workload.component,
                pods: workload.replicas,
                total: workload.total,
                text: String::new(),
            }),
        }
    }
    for component in &mut components {
        component.text = component.total.text();
    }
    components
}

fn signed_text((cpu, memory): (i128, i128)) -> String {
    let magnitude = Amount {
        cpu_millis: u64::try_from(cpu.unsigned_abs()).unwrap_or(u64::MAX),
        memory_bytes: u64::try_from(memory.unsigned_abs()).unwrap_or(u64::MAX),
    };
    let sign = |v: i128| if v < 0 { "-" } else { "" };
    let text = magnitude.text();
    let (cpu_text, memory_text) = text.split_once(", ").unwrap_or((&text, ""));
    format!("{}{cpu_text}, {}{memory_text}", sign(cpu), sign(memory))
}

/// Places every pod on a node, largest memory request first: DaemonSets on every node, replicas
/// under required anti-affinity or a hard spread on distinct (or least-crowded) nodes, the rest on
/// the least loaded node. An estimate of what the scheduler does, not a promise.
fn place(workloads: &[WorkloadPlan], nodes: &NodesPlan) -> (Vec<NodeLoad>, Vec<String>) {
    let count = usize::try_from(nodes.count).unwrap_or(usize::MAX).max(1);
    let mut load = vec![Amount::default(); count];
    let mut pods = vec![0u64; count];
    let mut unplaceable = Vec::new();
    let mut order: Vec<&WorkloadPlan> = workloads.iter().collect();
    // DaemonSets first (they land everywhere regardless), then by pod memory, then by name.
    order.sort_by_key(|w| {
        (
            w.placement != Placement::EveryNode,
            std::cmp::Reverse(w.pod.memory_bytes),
            w.name,
        )
    });
    for workload in order {
        if workload.pod.fits(nodes.allocatable) {
            // Checked below per node.
        } else {
            unplaceable.push(format!(
                "one `{}` pod requests {}, more than a node's allocatable {}",
                workload.name,
                workload.pod.text(),
                nodes.allocatable.text()
            ));
        }
        if workload.placement == Placement::OnePerNode && workload.replicas > nodes.count {
            unplaceable.push(format!(
                "`{}` has {} replicas and required anti-affinity, but there are {} nodes",
                workload.name, workload.replicas, nodes.count
            ));
        }
        let mut here = vec![0u64; count];
        for _ in 0..workload
            .replicas
            .min(if workload.placement == Placement::EveryNode {
                nodes.count
            } else {
                u64::MAX
            })
        {
            let candidates = (0..count).filter(|&n| match workload.placement {
                Placement::EveryNode | Placement::OnePerNode | Placement::Spread => {
                    here[n] == *here.iter().min().unwrap_or(&0)
                }
                Placement::Any => true,
            });
            let share = |n: usize| {
                (
                    u128::from(load[n].memory_bytes) * 1_000_000
                        / u128::from(nodes.allocatable.memory_bytes.max(1)),
                    n,
                )
            };
            if let Some(node) = candidates.min_by_key(|&n| share(n)) {
                here[node] += 1;
                pods[node] += 1;
                load[node] = load[node].add(workload.pod);
            }
        }
    }
    let per_node = load
        .iter()
        .zip(&pods)
        .zip(1u64..)
        .map(|((requests, pods), node)| NodeLoad {
            node,
            pods: *pods,
            requests: *requests,
            cpu_share: crate::units::percent(requests.cpu_millis, nodes.allocatable.cpu_millis),
            memory_share: crate::units::percent(
                requests.memory_bytes,
                nodes.allocatable.memory_bytes,
            ),
            fits: requests.fits(nodes.allocatable),
        })
        .collect();
    (per_node, unplaceable)
}

#[cfg(test)]
mod tests;
