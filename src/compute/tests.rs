//! Unit tests of the compute plan: quantities, sums, placement and fit.

use super::*;

#[test]
fn cpu_quantities_are_whole_millicores() {
    assert_eq!(parse_cpu("500m"), Some(500));
    assert_eq!(parse_cpu("2"), Some(2_000));
    assert_eq!(parse_cpu("0.5"), Some(500));
    assert_eq!(parse_cpu("1.25"), Some(1_250));
    assert_eq!(parse_cpu("1.500"), Some(1_500));
    assert_eq!(parse_cpu("0.0005"), None);
    assert_eq!(parse_cpu("1.5m"), None);
    assert_eq!(parse_cpu("m"), None);
    assert_eq!(parse_cpu("1."), None);
    assert_eq!(parse_cpu(".5"), None);
    assert_eq!(parse_cpu("1Gi"), None);
    assert_eq!(parse_cpu("99999999999999999999"), None);
    assert_eq!(
        parse_cpu("18446744073709551"),
        Some(18_446_744_073_709_551_000)
    );
    assert_eq!(parse_cpu("18446744073709552"), None);
}

#[test]
fn memory_quantities_are_bytes() {
    assert_eq!(parse_memory("512Mi"), Some(512 * MIB));
    assert_eq!(parse_memory("4Gi"), Some(4 * GIB));
    assert_eq!(parse_memory("1G"), Some(1_000_000_000));
    assert_eq!(parse_memory("1.5Gi"), Some(1_536 * MIB));
    assert_eq!(parse_memory("4GB"), None);
    assert_eq!(parse_memory("100Ei"), None);
}

fn platform(compute: &serde_json::Value) -> Platform {
    let spec = serde_json::json!({
        "name": "p",
        "environments": ["dev"],
        "gitops": { "repo": "r" },
        "storage": { "ceph": { "object-store": "s" } },
        "tenancy": { "label": "l", "default": "a" },
        "tenant": { "a": { "ingestion-rate": 1000, "retention": "10d" } },
        "metrics": { "replicas": 3, "resources": { "cpu": "1", "memory": "4Gi" } },
        "logs": { "replicas": 2 },
        "compute": compute,
    });
    match serde_json::from_value(spec) {
        Ok(platform) => platform,
        Err(error) => panic!("the test platform does not fit the model: {error}"),
    }
}

fn workload<'a>(plan: &'a ComputePlan, name: &str) -> &'a WorkloadPlan {
    match plan.workloads.iter().find(|w| w.name == name) {
        Some(workload) => workload,
        None => panic!("no workload {name}"),
    }
}

#[test]
fn requests_add_up_per_pod_workload_and_environment() {
    let plan = plan(
        "dev",
        &platform(&serde_json::json!({
            "nodes": { "count": 3, "cpu": "8", "memory": "32Gi" },
            "reserve": { "cpu": "2", "memory": "8Gi" },
            "container": { "relay-init": { "cpu": "2", "memory": "16Mi" } }
        })),
    );
    let ingester = workload(&plan, "mimir-ingester");
    assert_eq!(
        (ingester.replicas, ingester.placement),
        (3, Placement::Spread)
    );
    assert_eq!(
        ingester.total,
        Amount {
            cpu_millis: 3_000,
            memory_bytes: 12 * GIB
        }
    );
    // Loki: the single binary (500m, 1Gi) and its rules sidecar (10m, 64Mi), two replicas.
    let loki = workload(&plan, "loki");
    assert_eq!(
        loki.pod,
        Amount {
            cpu_millis: 510,
            memory_bytes: 1_088 * MIB
        }
    );
    assert_eq!(loki.total, loki.pod.times(2));
    // A DaemonSet runs one pod per node.
    assert_eq!(workload(&plan, "alloy").replicas, 3);
    let total = plan
        .workloads
        .iter()
        .fold(Amount::default(), |sum, w| sum.add(w.total));
    assert_eq!(plan.requests, total);
    let by_component = plan
        .components
        .iter()
        .fold(Amount::default(), |sum, c| sum.add(c.total));
    assert_eq!(plan.requests, by_component);
    let nodes = plan.nodes.as_ref().map(|n| n.allocatable);
    assert_eq!(
        nodes,
        Some(Amount {
            cpu_millis: 6_000,
            memory_bytes: 24 * GIB
        })
    );
    assert_eq!(
        plan.headroom_cpu_millis,
        Some(18_000 - i128::from(plan.requests.cpu_millis))
    );
    assert_eq!(plan.status, FitStatus::Fits);
    let placed: u64 = plan.per_node.iter().map(|n| n.pods).sum();
    assert_eq!(
        placed,
        plan.workloads.iter().map(|w| w.replicas).sum::<u64>()
    );
}

#[test]
fn an_init_container_counts_when_it_is_larger_than_the_pod() {
    let mut spec = platform(&serde_json::json!({
        "container": { "relay-init": { "cpu": "2", "memory": "16Mi" } }
    }));
    spec.errors = serde_json::from_value(serde_json::json!({
        "url": "https://s", "admin-email": "a@b", "admin-secret": "x", "secret-key-secret": "x",
        "postgres-secret": "x", "org": "o", "project": "p", "token-secret": "t"
    }))
    .ok();
    let plan = plan("dev", &spec);
    // relay: 100m and 256Mi; its init container: 2 CPUs and 16Mi.
    let relay = workload(&plan, "sentry-relay");
    assert_eq!(
        relay.pod,
        Amount {
            cpu_millis: 2_000,
            memory_bytes: 256 * MIB
        }
    );
    assert_eq!(plan.status, FitStatus::Undeclared);
    assert!(plan.per_node.is_empty());
}

#[test]
fn anti_affinity_needs_a_node_per_replica_and_every_node_must_fit() {
    let plan = plan(
        "dev",
        &platform(&serde_json::json!({
            "nodes": { "count": 1, "cpu": "64", "memory": "256Gi" }
        })),
    );
    assert_eq!(plan.status, FitStatus::Over);
    assert_eq!(
        plan.unplaceable,
        ["`loki` has 2 replicas and required anti-affinity, but there are 1 nodes"]
    );
    // Enough in total, but one ingester (4Gi) is larger than a node's allocatable.
    let plan = plan_of(&serde_json::json!({
        "nodes": { "count": 30, "cpu": "4", "memory": "4Gi" }
    }));
    assert_eq!(plan.status, FitStatus::Over);
    assert!(plan.unplaceable[0].starts_with("one `mimir-ingester` pod requests 1 CPU, 4.00 GiB"));
    assert!(plan.headroom_memory_bytes.is_some_and(|h| h > 0));
}

fn plan_of(compute: &serde_json::Value) -> ComputePlan {
    plan("dev", &platform(compute))
}

#[test]
fn pods_spread_evenly_and_the_default_reserve_applies() {
    let plan = plan_of(&serde_json::json!({
        "nodes": { "count": 3, "cpu": "8", "memory": "32Gi" }
    }));
    let nodes = plan.nodes.as_ref().map(|n| n.reserve);
    assert_eq!(
        nodes,
        Some(Amount {
            cpu_millis: 500,
            memory_bytes: GIB
        })
    );
    // Three 4Gi ingesters, one per node: every node carries at least one.
    let least = plan.per_node.iter().map(|n| n.requests.memory_bytes).min();
    assert!(least.is_some_and(|m| m >= 4 * GIB), "{:?}", plan.per_node);
    // A tight memory budget: over, and the headroom says by how much.
    let one_node = serde_json::json!({ "nodes": { "count": 1, "cpu": "64", "memory": "1Ti" } });
    let total = plan_of(&one_node).requests.memory_bytes;
    let tight = plan_of(&serde_json::json!({
        "nodes": { "count": 1, "cpu": "64", "memory": format_memory(total) },
        "reserve": { "cpu": "1", "memory": "1Gi" }
    }));
    assert_eq!(tight.headroom_memory_bytes, Some(-i128::from(GIB)));
    assert!(
        tight
            .headroom_text
            .as_deref()
            .is_some_and(|t| t.ends_with(", -1.00 GiB"))
    );
}

#[test]
fn formatting_round_trips() {
    for millis in [1, 10, 500, 1_000, 1_250, 8_000] {
        assert_eq!(parse_cpu(&format_cpu(millis)), Some(millis));
    }
    assert_eq!(format_cpu(2_000), "2");
    assert_eq!(format_cpu(250), "250m");
    for bytes in [1, 1_023, KIB, 853 * MIB, 4 * GIB, 1_536 * MIB] {
        assert_eq!(parse_memory(&format_memory(bytes)), Some(bytes));
    }
    assert_eq!(format_memory(1_536 * MIB), "1536Mi");
    assert_eq!(format_memory(4 * GIB), "4Gi");
}
