//! What the charts run for the platform, container by container: every workload each chart
//! renders from lgtmc's values (read off `helm template` of the pinned chart versions), the
//! container key the values size it by, and lgtmc's default size of each key with its source.
//!
//! A test renders the real charts and checks that these workloads, replicas and containers are
//! exactly what they produce (`tests/compute.rs`); a chart upgrade that adds a workload fails it.

use serde::Serialize;

use super::sentry::{SENTRY_WORKLOADS, SNUBA_WORKLOADS};
use super::{Amount, ContainerPlan, ContainerSize, MIB, WorkloadPlan, parse_cpu, parse_memory};
use crate::model::{Platform, Resources, TracesMode};

/// Where a workload's pods may go.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Placement {
    /// Anywhere.
    Any,
    /// A hard topology spread across hosts (`maxSkew: 1`, `DoNotSchedule`): evenly.
    Spread,
    /// Required pod anti-affinity on the host: at most one per node.
    OnePerNode,
    /// A DaemonSet: one on every node.
    EveryNode,
}

/// A container key and lgtmc's default size: millicores, MiB, and why.
pub struct Default {
    pub key: &'static str,
    pub cpu_millis: u64,
    pub memory_mib: u64,
    pub source: &'static str,
}

const fn size(
    key: &'static str,
    cpu_millis: u64,
    memory_mib: u64,
    source: &'static str,
) -> Default {
    Default {
        key,
        cpu_millis,
        memory_mib,
        source,
    }
}

/// The chart's own request, kept.
const CHART: &str = "chart default";
/// Chosen by lgtmc where the chart requests nothing.
const LGTMC: &str = "lgtmc default";

/// The keys a section's `resources` sets: `metrics { resources … }` sizes `mimir-ingester`.
pub const SECTION_CONTAINERS: &[(&str, &str)] = &[
    ("mimir-ingester", "metrics"),
    ("loki", "logs"),
    ("tempo", "traces"),
    ("pyroscope", "profiles"),
    ("alloy", "collector"),
];

/// Every container key, with lgtmc's default. Chart requests are kept where the chart has one;
/// elsewhere lgtmc's: small for a few tenants on small nodes, raise them with the traffic.
pub const CONTAINERS: &[Default] = &[
    size("mimir-ingester", 100, 512, CHART),
    size("mimir-store-gateway", 100, 512, CHART),
    size("mimir-distributor", 100, 512, CHART),
    size("mimir-querier", 100, 128, CHART),
    size("mimir-query-frontend", 100, 128, CHART),
    size("mimir-query-scheduler", 100, 128, CHART),
    size("mimir-compactor", 100, 512, CHART),
    size("mimir-ruler", 100, 128, CHART),
    size("mimir-alertmanager", 10, 32, CHART),
    size("mimir-overrides-exporter", 100, 128, CHART),
    size("mimir-gateway", 50, 64, LGTMC),
    size("loki", 500, 1_024, LGTMC),
    size("loki-rules-sidecar", 10, 64, LGTMC),
    size("loki-gateway", 50, 64, LGTMC),
    size("loki-gateway-exporter", 10, 32, LGTMC),
    size("loki-chunks-cache", 100, 1_024, LGTMC),
    size("loki-results-cache", 100, 256, LGTMC),
    size("loki-memcached-exporter", 10, 32, LGTMC),
    size("tempo", 500, 1_024, LGTMC),
    // Microservices mode (`tempo-distributed`): `tempo` sizes the block-builders and live-stores.
    size("tempo-distributor", 100, 256, LGTMC),
    size("tempo-querier", 100, 256, LGTMC),
    size("tempo-query-frontend", 100, 128, LGTMC),
    size("tempo-backend-scheduler", 50, 128, LGTMC),
    size("tempo-backend-worker", 100, 256, LGTMC),
    // memcached's own default cache is 64 MB.
    size("tempo-memcached", 100, 128, LGTMC),
    size("pyroscope", 250, 512, LGTMC),
    size("grafana", 100, 256, LGTMC),
    size("grafana-sidecar", 10, 96, LGTMC),
    size("alloy", 100, 256, LGTMC),
    size("alloy-config-reloader", 10, 50, CHART),
    // The chart's requests, with its memory limit: the limit is the request here, and lower
    // than the chart's it could kill a container that runs today.
    size("k8sgpt-operator", 10, 128, CHART),
    size("k8sgpt-rbac-proxy", 5, 128, CHART),
    size("sentry-web", 200, 1_024, LGTMC),
    size("sentry-worker", 200, 1_024, LGTMC),
    size("sentry-cron", 50, 256, LGTMC),
    // The daily cleanup CronJob: sized, not counted (it runs and finishes).
    size("sentry-cleanup", 50, 256, LGTMC),
    size("sentry-consumer", 50, 384, LGTMC),
    size("snuba-api", 50, 256, LGTMC),
    size("snuba-consumer", 50, 256, LGTMC),
    size("relay", 100, 256, LGTMC),
    size("relay-init", 50, 64, LGTMC),
];

/// The size of every key: the section's `resources`, else `compute { container … }`, else the
/// default (a key the spec sets only half of keeps the default's other half).
pub(super) fn sizes(platform: &Platform) -> Vec<ContainerSize> {
    CONTAINERS
        .iter()
        .map(|default| {
            let section = SECTION_CONTAINERS
                .iter()
                .find(|(key, _)| *key == default.key)
                .map(|(_, section)| *section);
            let spec = match section {
                Some(section) => section_resources(platform, section),
                None => platform.compute.containers.get(default.key),
            };
            let cpu = spec.and_then(|r| r.cpu.as_deref()).and_then(parse_cpu);
            let memory = spec
                .and_then(|r| r.memory.as_deref())
                .and_then(parse_memory);
            let request = Amount {
                cpu_millis: cpu.unwrap_or(default.cpu_millis),
                memory_bytes: memory.unwrap_or(default.memory_mib * MIB),
            };
            ContainerSize {
                key: default.key,
                request,
                cpu: super::format_cpu(request.cpu_millis),
                memory: super::format_memory(request.memory_bytes),
                source: if cpu.is_some() || memory.is_some() {
                    "spec"
                } else {
                    default.source
                },
                set_with: match section {
                    Some(section) => format!("{section} {{ resources … }}"),
                    None => format!("compute {{ container \"{}\" … }}", default.key),
                },
            }
        })
        .collect()
}

fn section_resources<'a>(platform: &'a Platform, section: &str) -> Option<&'a Resources> {
    Some(match section {
        "metrics" => &platform.metrics.resources,
        "logs" => &platform.logs.resources,
        "traces" => &platform.traces.resources,
        "profiles" => &platform.profiles.resources,
        "collector" => &platform.collector.resources,
        _ => return None,
    })
}

/// One workload before sizing: component, name, kind, replicas, placement, containers (name,
/// key, init).
type Shape = (
    &'static str,
    &'static str,
    &'static str,
    u64,
    Placement,
    Vec<(&'static str, &'static str, bool)>,
);

/// Every workload the environment's charts render, sized.
pub(super) fn workloads(
    platform: &Platform,
    nodes: u64,
    sizes: &[ContainerSize],
) -> Vec<WorkloadPlan> {
    shapes(platform, nodes)
        .into_iter()
        .map(|(component, name, kind, replicas, placement, containers)| {
            let containers: Vec<ContainerPlan> = containers
                .into_iter()
                .map(|(container, key, init)| ContainerPlan {
                    name: container,
                    key,
                    init,
                    request: sizes
                        .iter()
                        .find(|s| s.key == key)
                        .map_or_else(Amount::default, |s| s.request),
                })
                .collect();
            let sum = containers
                .iter()
                .filter(|c| !c.init)
                .fold(Amount::default(), |sum, c| sum.add(c.request));
            let pod = containers
                .iter()
                .filter(|c| c.init)
                .fold(sum, |pod, c| pod.max(c.request));
            WorkloadPlan {
                component,
                name,
                kind,
                replicas,
                placement,
                containers,
                pod,
                total: pod.times(replicas),
            }
        })
        .collect()
}

const DEPLOYMENT: &str = "Deployment";
const STATEFULSET: &str = "StatefulSet";

/// Every workload the charts render for the platform, with its replicas, placement and
/// containers, in the order the plan lists them.
fn shapes(platform: &Platform, nodes: u64) -> Vec<Shape> {
    use Placement::{Any, EveryNode};
    let mut shapes = mimir_shapes(u64::from(platform.metrics.replicas));
    shapes.extend(loki_shapes(u64::from(platform.logs.replicas)));
    if platform.traces.mode == TracesMode::Monolithic {
        shapes.push(one("tempo", "tempo", STATEFULSET, "tempo", "tempo"));
    } else {
        shapes.extend(tempo_distributed(u64::from(platform.traces.replicas)));
    }
    let profiles = u64::from(platform.profiles.replicas);
    shapes.push((
        "pyroscope",
        "pyroscope",
        STATEFULSET,
        profiles,
        if profiles > 1 { Placement::Spread } else { Any },
        vec![("pyroscope", "pyroscope", false)],
    ));
    shapes.push((
        "grafana",
        "grafana",
        DEPLOYMENT,
        1,
        Any,
        vec![
            ("grafana", "grafana", false),
            ("grafana-sc-alerts", "grafana-sidecar", false),
            ("grafana-sc-dashboard", "grafana-sidecar", false),
            ("grafana-sc-datasources", "grafana-sidecar", false),
        ],
    ));
    shapes.push((
        "alloy",
        "alloy",
        "DaemonSet",
        nodes,
        EveryNode,
        vec![
            ("alloy", "alloy", false),
            ("config-reloader", "alloy-config-reloader", false),
        ],
    ));
    if platform.diagnose.is_some() {
        shapes.push((
            "k8sgpt",
            "k8sgpt-operator-controller-manager",
            DEPLOYMENT,
            1,
            Any,
            vec![
                ("kube-rbac-proxy", "k8sgpt-rbac-proxy", false),
                ("manager", "k8sgpt-operator", false),
            ],
        ));
    }
    if platform.errors.is_some() {
        shapes.extend(sentry_shapes());
    }
    shapes
}

/// Sentry's relay (with its init container), its own workloads and Snuba's.
fn sentry_shapes() -> Vec<Shape> {
    use Placement::Any;
    let mut shapes = Vec::new();
    shapes.push((
        "sentry",
        "sentry-relay",
        DEPLOYMENT,
        1,
        Any,
        vec![
            ("sentry-relay-init", "relay-init", true),
            ("sentry-relay", "relay", false),
        ],
    ));
    for (_, name, key) in SENTRY_WORKLOADS {
        shapes.push(("sentry", name, DEPLOYMENT, 1, Any, vec![(name, key, false)]));
    }
    for (_, name, key) in SNUBA_WORKLOADS {
        shapes.push((
            "sentry",
            name,
            DEPLOYMENT,
            1,
            Any,
            vec![("sentry-snuba", key, false)],
        ));
    }
    shapes
}

/// A workload of one replica and one container, placed anywhere.
fn one(
    component: &'static str,
    name: &'static str,
    kind: &'static str,
    container: &'static str,
    key: &'static str,
) -> Shape {
    (
        component,
        name,
        kind,
        1,
        Placement::Any,
        vec![(container, key, false)],
    )
}

/// Mimir's workloads in distributed mode, with `metrics` ingesters and store-gateways.
fn mimir_shapes(metrics: u64) -> Vec<Shape> {
    use Placement::{Any, Spread};
    // The chart spreads ingesters and store-gateways with `DoNotSchedule`; lgtmc adds the
    // constraint only with more than one replica, and one replica lands anywhere.
    let spread = if metrics > 1 { Spread } else { Any };
    vec![
        one(
            "mimir",
            "mimir-alertmanager",
            STATEFULSET,
            "alertmanager",
            "mimir-alertmanager",
        ),
        one(
            "mimir",
            "mimir-compactor",
            STATEFULSET,
            "compactor",
            "mimir-compactor",
        ),
        one(
            "mimir",
            "mimir-distributor",
            DEPLOYMENT,
            "distributor",
            "mimir-distributor",
        ),
        (
            "mimir",
            "mimir-ingester",
            STATEFULSET,
            metrics,
            spread,
            vec![("ingester", "mimir-ingester", false)],
        ),
        one("mimir", "mimir-nginx", DEPLOYMENT, "nginx", "mimir-gateway"),
        one(
            "mimir",
            "mimir-overrides-exporter",
            DEPLOYMENT,
            "overrides-exporter",
            "mimir-overrides-exporter",
        ),
        // The chart's default of two queriers and two query-schedulers.
        (
            "mimir",
            "mimir-querier",
            DEPLOYMENT,
            2,
            Any,
            vec![("querier", "mimir-querier", false)],
        ),
        one(
            "mimir",
            "mimir-query-frontend",
            DEPLOYMENT,
            "query-frontend",
            "mimir-query-frontend",
        ),
        (
            "mimir",
            "mimir-query-scheduler",
            DEPLOYMENT,
            2,
            Any,
            vec![("query-scheduler", "mimir-query-scheduler", false)],
        ),
        one("mimir", "mimir-ruler", DEPLOYMENT, "ruler", "mimir-ruler"),
        (
            "mimir",
            "mimir-store-gateway",
            STATEFULSET,
            metrics,
            spread,
            vec![("store-gateway", "mimir-store-gateway", false)],
        ),
    ]
}

/// Loki's single binary with `replicas` replicas, its gateway and its two caches.
fn loki_shapes(replicas: u64) -> Vec<Shape> {
    use Placement::{Any, OnePerNode};
    vec![
        // Loki's chart requires anti-affinity on the host for the single binary and the gateway.
        (
            "loki",
            "loki",
            STATEFULSET,
            replicas,
            OnePerNode,
            vec![
                ("loki", "loki", false),
                ("loki-sc-rules", "loki-rules-sidecar", false),
            ],
        ),
        (
            "loki",
            "loki-gateway",
            DEPLOYMENT,
            1,
            OnePerNode,
            vec![
                ("nginx", "loki-gateway", false),
                ("exporter", "loki-gateway-exporter", false),
            ],
        ),
        (
            "loki",
            "loki-chunks-cache",
            STATEFULSET,
            1,
            Any,
            vec![
                ("memcached", "loki-chunks-cache", false),
                ("exporter", "loki-memcached-exporter", false),
            ],
        ),
        (
            "loki",
            "loki-results-cache",
            STATEFULSET,
            1,
            Any,
            vec![
                ("memcached", "loki-results-cache", false),
                ("exporter", "loki-memcached-exporter", false),
            ],
        ),
    ]
}

/// Tempo 3 in microservices mode: one block-builder and one live-store per Kafka partition
/// (`traces replicas`), one of everything else; the chart requires anti-affinity on the host for
/// the distributor, the query path and memcached.
fn tempo_distributed(partitions: u64) -> Vec<Shape> {
    use Placement::{Any, OnePerNode};
    let shape = |name, kind, replicas, placement, container, key| {
        (
            "tempo",
            name,
            kind,
            replicas,
            placement,
            vec![(container, key, false)],
        )
    };
    vec![
        shape(
            "tempo-backend-scheduler",
            STATEFULSET,
            1,
            Any,
            "backend-scheduler",
            "tempo-backend-scheduler",
        ),
        shape(
            "tempo-backend-worker",
            STATEFULSET,
            1,
            Any,
            "backend-worker",
            "tempo-backend-worker",
        ),
        shape(
            "tempo-block-builder",
            STATEFULSET,
            partitions,
            Any,
            "block-builder",
            "tempo",
        ),
        shape(
            "tempo-distributor",
            DEPLOYMENT,
            1,
            OnePerNode,
            "distributor",
            "tempo-distributor",
        ),
        shape(
            "tempo-live-store",
            STATEFULSET,
            partitions,
            Any,
            "live-store",
            "tempo",
        ),
        shape(
            "tempo-memcached",
            STATEFULSET,
            1,
            OnePerNode,
            "memcached",
            "tempo-memcached",
        ),
        shape(
            "tempo-querier",
            DEPLOYMENT,
            1,
            OnePerNode,
            "querier",
            "tempo-querier",
        ),
        shape(
            "tempo-query-frontend",
            DEPLOYMENT,
            1,
            OnePerNode,
            "query-frontend",
            "tempo-query-frontend",
        ),
    ]
}

/// What the environment's charts run that the plan does not count.
pub(super) fn not_counted(platform: &Platform) -> Vec<&'static str> {
    let mut out = vec![
        "Mimir's smoke-test Job: a Helm test hook, which only `helm test` runs (the chart has no key to size it)",
    ];
    if platform.errors.is_some() {
        out.push("Sentry's subcharts (PostgreSQL, ClickHouse, Kafka, ZooKeeper, Redis, RabbitMQ, nginx): their charts are not in lgtmc's reference, so lgtmc neither sizes nor counts them");
        out.push("Sentry's Jobs and CronJob (database set-up, cleanup): they run and finish (the Jobs keep the chart's requests; the cleanup is sized by `sentry-cleanup`)");
    }
    if platform.diagnose.is_some() {
        out.push("the k8sgpt Deployment the operator creates from the K8sGPT resource: the operator sizes it");
    }
    out
}
