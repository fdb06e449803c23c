//! The compute plan against what deploys: every chart release of the rendered Argo CD
//! Applications rendered for real (`common::charts`, Helm v4) from the values `lgtmc render` wrote, every workload's
//! requests summed, and compared exactly with `lgtmc plan --format json`. Then the CLI: the
//! compute section of `lgtmc plan`, warnings, `enforce`, and spanned errors for bad quantities.

use std::collections::BTreeMap;
use std::path::Path;

use serde_json::Value;

use crate::common::charts::{ChartRelease, releases, render_release, tools_available};
use crate::common::{Repo, assert_exit, stderr, stdout};

/// Values added for this test only, per chart, with why.
///
/// Sentry's subcharts (PostgreSQL, ClickHouse, Kafka, …) are not in the reference, and the
/// renderer refuses an enabled subchart it does not have. Disabled here, with the external
/// hosts the chart then insists on, Sentry's own workloads render exactly as they deploy; the
/// plan does not count the subcharts (it says so).
const SENTRY_WITHOUT_SUBCHARTS: &str = "\
postgresql: {enabled: false}
clickhouse: {enabled: false}
kafka: {enabled: false}
zookeeper: {enabled: false}
redis: {enabled: false}
rabbitmq: {enabled: false}
nginx: {enabled: false}
externalPostgresql: {host: postgresql}
externalClickhouse: {host: clickhouse}
externalKafka: {host: kafka, port: 9092}
externalRedis: {host: redis}
";

fn extra_values(chart: &str) -> Option<&'static str> {
    match chart {
        "sentry" => Some(SENTRY_WITHOUT_SUBCHARTS),
        _ => None,
    }
}

/// `base` with `extra` merged in, maps deeply, as Helm merges values files.
fn merge(base: &mut Value, extra: Value) {
    match (base, extra) {
        (Value::Object(base), Value::Object(extra)) => {
            for (key, value) in extra {
                match base.get_mut(&key) {
                    Some(existing) => merge(existing, value),
                    None => {
                        base.insert(key, value);
                    }
                }
            }
        }
        (base, extra) => *base = extra,
    }
}

/// A values file as JSON, read as Helm reads it (`lgtmc::yaml::documents`).
fn values(text: &str) -> Value {
    let mut documents = lgtmc::yaml::documents(text).expect("values are YAML");
    documents.truncate(1);
    documents.pop().unwrap_or(Value::Null)
}

/// Renders a release with its real chart, with this test's extra values for that chart.
fn render(release: &ChartRelease, scratch: &Path) -> Vec<Value> {
    let mut release = release.clone();
    if let Some(extra) = extra_values(&release.chart) {
        let mut json = values(&std::fs::read_to_string(&release.values).expect("values"));
        merge(&mut json, values(extra));
        let file = scratch.join(format!("{}-{}.yaml", release.env, release.component));
        // Written as JSON (which is YAML): a YAML writer would drop the quotes of `"2024-04-01"`
        // and the chart would read a date.
        std::fs::write(&file, serde_json::to_string(&json).expect("JSON")).expect("write");
        release.values = file;
    }
    render_release(&release).unwrap_or_else(|error| panic!("{error}"))
}

/// A quantity as a chart writes it (a string, or a bare number of CPUs or bytes).
fn quantity(value: Option<&Value>, cpu: bool) -> Option<u64> {
    let text = match value? {
        Value::String(text) => text.clone(),
        Value::Number(number) => number.to_string(),
        _ => return None,
    };
    if cpu {
        lgtmc::compute::parse_cpu(&text)
    } else {
        lgtmc::compute::parse_memory(&text)
    }
}

/// One rendered workload: kind, replicas (`None` for a DaemonSet), placement, and what one pod
/// requests (millicores, bytes).
type Rendered = (String, Option<u64>, String, u64, u64);

/// Where the scheduler may put a pod, in the plan's words: required anti-affinity on the host,
/// a hard spread across hosts, a DaemonSet, or anywhere.
fn placement(kind: &str, pod: &Value) -> String {
    let host = |term: &Value| term["topologyKey"] == "kubernetes.io/hostname";
    let required =
        pod["affinity"]["podAntiAffinity"]["requiredDuringSchedulingIgnoredDuringExecution"]
            .as_array()
            .is_some_and(|terms| terms.iter().any(host));
    let spread = pod["topologySpreadConstraints"]
        .as_array()
        .is_some_and(|c| {
            c.iter()
                .any(|c| host(c) && c["whenUnsatisfiable"] == "DoNotSchedule")
        });
    match (kind, required, spread) {
        ("DaemonSet", _, _) => "every-node",
        (_, true, _) => "one-per-node",
        (_, false, true) => "spread",
        _ => "any",
    }
    .to_owned()
}

/// Every Deployment, StatefulSet and DaemonSet of the documents, by name; a container without
/// explicit requests (CPU and memory) and a memory limit is added to `unsized`.
fn workloads(documents: &[Value], unsized_: &mut Vec<String>) -> BTreeMap<String, Rendered> {
    let mut found = BTreeMap::new();
    for document in documents {
        let kind = document["kind"].as_str().unwrap_or_default();
        if matches!(kind, "Job" | "CronJob") {
            job_containers_sized(document, unsized_);
            continue;
        }
        if !matches!(kind, "Deployment" | "StatefulSet" | "DaemonSet") {
            continue;
        }
        let name = document["metadata"]["name"]
            .as_str()
            .unwrap_or_default()
            .to_owned();
        let pod = &document["spec"]["template"]["spec"];
        let mut sum = (0u64, 0u64);
        let mut init = (0u64, 0u64);
        for (list, is_init) in [("containers", false), ("initContainers", true)] {
            for container in pod[list].as_array().into_iter().flatten() {
                let resources = &container["resources"];
                let cpu = quantity(resources["requests"].get("cpu"), true);
                let memory = quantity(resources["requests"].get("memory"), false);
                let limit = quantity(resources["limits"].get("memory"), false);
                let (Some(cpu), Some(memory), Some(_)) = (cpu, memory, limit) else {
                    unsized_.push(format!("{name}/{}: {resources}", container["name"]));
                    continue;
                };
                if is_init {
                    init = (init.0.max(cpu), init.1.max(memory));
                } else {
                    sum = (sum.0 + cpu, sum.1 + memory);
                }
            }
        }
        let replicas = if kind == "DaemonSet" {
            None
        } else {
            Some(document["spec"]["replicas"].as_u64().unwrap_or(1))
        };
        found.insert(
            name,
            (
                kind.to_owned(),
                replicas,
                placement(kind, pod),
                sum.0.max(init.0),
                sum.1.max(init.1),
            ),
        );
    }
    found
}

/// A Job or CronJob runs and finishes, so the plan does not count it; its containers must still
/// be sized. A Helm test hook (Mimir's smoke test, whose chart has no key to size it) is not
/// part of the release.
fn job_containers_sized(document: &Value, unsized_: &mut Vec<String>) {
    let hook = document["metadata"]["annotations"]["helm.sh/hook"]
        .as_str()
        .unwrap_or_default();
    if hook.split(',').any(|h| h.starts_with("test")) {
        return;
    }
    let name = document["metadata"]["name"].as_str().unwrap_or_default();
    let spec = &document["spec"];
    let pod = match document["kind"].as_str() {
        Some("CronJob") => &spec["jobTemplate"]["spec"]["template"]["spec"],
        _ => &spec["template"]["spec"],
    };
    for list in ["containers", "initContainers"] {
        for container in pod[list].as_array().into_iter().flatten() {
            let resources = &container["resources"];
            let sized = quantity(resources["requests"].get("cpu"), true).is_some()
                && quantity(resources["requests"].get("memory"), false).is_some()
                && quantity(resources["limits"].get("memory"), false).is_some();
            if !sized {
                unsized_.push(format!("{name}/{}: {resources}", container["name"]));
            }
        }
    }
}

/// A diagnostic as one line: miette wraps long messages and marks continued lines with `│`.
fn flat(text: &str) -> String {
    text.split_whitespace()
        .filter(|word| *word != "│")
        .collect::<Vec<_>>()
        .join(" ")
}

#[test]
fn the_plan_equals_the_requests_of_the_rendered_charts() {
    if !tools_available() {
        return;
    }
    assert_plan_matches_the_charts(&Repo::example());
}

/// Tempo 3 (`tempo-distributed`, microservices mode) instead of monolithic Tempo, with two Kafka
/// partitions in prod.
#[test]
fn the_plan_equals_the_rendered_charts_in_microservices_mode() {
    if !tools_available() {
        return;
    }
    let repo = Repo::example();
    repo.edit(
        "platform.kdl",
        "mode=\"monolithic\"",
        "mode=\"microservices\" kafka=\"kafka.kafka.svc:9092\"",
    );
    repo.edit(
        "environments/prod.kdl",
        "logs replicas=3",
        "logs replicas=3\n    traces replicas=2",
    );
    for env in ["dev", "staging", "prod"] {
        let file = format!("versions/{env}.yaml");
        let text = repo.read(&file);
        let tempo = text
            .lines()
            .find(|l| l.starts_with("tempo:"))
            .expect("a tempo line");
        repo.edit(&file, tempo, "tempo-distributed: 3.3.0");
    }
    assert_plan_matches_the_charts(&repo);
}

fn assert_plan_matches_the_charts(repo: &Repo) {
    assert_exit(&repo.run(&["render"]), 0);
    let plan = repo.run(&["plan", "--format", "json"]);
    assert_exit(&plan, 0);
    let plan: Value = serde_json::from_str(&stdout(&plan)).expect("JSON");
    let scratch = tempfile::tempdir().expect("a temporary directory");
    let releases = releases(repo.path());
    let mut unsized_ = Vec::new();
    let environments = plan["environments"].as_array().expect("environments");
    assert_eq!(environments.len(), 3);
    for environment in environments {
        let env = environment["environment"].as_str().expect("a name");
        let compute = &environment["compute"];
        let mut rendered = BTreeMap::new();
        for release in releases.iter().filter(|r| r.env == env) {
            rendered.extend(workloads(&render(release, scratch.path()), &mut unsized_));
        }
        let nodes = compute["nodes"]["count"]
            .as_u64()
            .expect("the example declares nodes");
        let planned: BTreeMap<String, Rendered> = compute["workloads"]
            .as_array()
            .expect("workloads")
            .iter()
            .map(|w| {
                let kind = w["kind"].as_str().unwrap_or_default().to_owned();
                let replicas = (kind != "DaemonSet").then(|| w["replicas"].as_u64().unwrap_or(0));
                let pod = &w["pod"];
                (
                    w["name"].as_str().unwrap_or_default().to_owned(),
                    (
                        kind,
                        replicas,
                        w["placement"].as_str().unwrap_or_default().to_owned(),
                        pod["cpu_millis"].as_u64().unwrap_or(0),
                        pod["memory_bytes"].as_u64().unwrap_or(0),
                    ),
                )
            })
            .collect();
        assert_eq!(
            planned, rendered,
            "{env}: the plan's workloads differ from the charts'"
        );
        let (cpu, memory) =
            rendered
                .values()
                .fold((0, 0), |(cpu, memory), (_, replicas, _, c, m)| {
                    let pods = replicas.unwrap_or(nodes);
                    (cpu + c * pods, memory + m * pods)
                });
        assert_eq!(
            (cpu, memory),
            (
                compute["requests"]["cpu_millis"].as_u64().unwrap_or(0),
                compute["requests"]["memory_bytes"].as_u64().unwrap_or(0)
            ),
            "{env}: the plan's total differs from the sum over the rendered objects"
        );
        assert_eq!(
            compute["status"], "fits",
            "{env}: the example fits its nodes"
        );
    }
    assert!(
        unsized_.is_empty(),
        "containers without explicit requests and a memory limit:\n{}",
        unsized_.join("\n")
    );
}

#[test]
fn plan_prints_the_compute_section_of_every_environment() {
    let repo = Repo::example();
    let output = repo.run(&["plan"]);
    assert_exit(&output, 0);
    let text = stdout(&output);
    assert_eq!(text.matches("  compute: ").count(), 3, "{text}");
    assert!(text.contains("— fits,"), "{text}");
    assert!(
        text.contains(
            "nodes: 3 × (8 CPU, 32.00 GiB − reserve 2 CPU, 8.00 GiB = allocatable 6 CPU, 24.00 GiB)"
        ),
        "{text}"
    );
    assert!(text.contains("  node 3 "), "{text}");
}

#[test]
fn a_section_resources_reaches_the_plan_and_the_values() {
    let repo = Repo::example();
    repo.edit("environments/dev.kdl", "cluster \"https://dev.k8s.example.com\"", "cluster \"https://dev.k8s.example.com\"\n    traces { resources cpu=\"1.5\" memory=\"3Gi\" }\n    compute { container \"loki-chunks-cache\" memory=\"2Gi\" }");
    assert_exit(&repo.run(&["render"]), 0);
    let values = repo.read("out/dev/tempo/values.yaml");
    assert!(
        values.contains("cpu: 1500m\n      memory: 3Gi\n    limits:\n      memory: 3Gi"),
        "{values}"
    );
    let loki = repo.read("out/dev/loki/values.yaml");
    assert!(
        loki.contains(
            "allocatedMemory: 1706\n  resources:\n    requests:\n      cpu: 100m\n      memory: 2Gi"
        ),
        "{loki}"
    );
    let plan: Value = serde_json::from_str(&stdout(
        &repo.run(&["plan", "--format", "json", "--env", "dev"]),
    ))
    .expect("JSON");
    let sizes = &plan["environments"][0]["compute"]["sizes"];
    assert_eq!(sizes["tempo"]["cpu_millis"], 1500);
    assert_eq!(sizes["tempo"]["source"], "spec");
    assert_eq!(sizes["loki-chunks-cache"]["memory_bytes"], 2u64 << 30);
    assert_eq!(
        sizes["loki-chunks-cache"]["cpu_millis"], 100,
        "the unset half keeps its default"
    );
}

#[test]
fn requests_over_the_nodes_warn_and_enforce_fails_writing_nothing() {
    let repo = Repo::example();
    repo.edit(
        "platform.kdl",
        "nodes count=3 cpu=\"8\" memory=\"32Gi\"",
        "nodes count=3 cpu=\"4\" memory=\"16Gi\"",
    );
    let output = repo.run(&["render"]);
    assert_exit(&output, 0);
    let warning = flat(&stderr(&output));
    assert!(
        warning.contains(
            "environment `prod` requests 9.495 CPU, 38.99 GiB, which does not fit 3 nodes"
        ),
        "{warning}"
    );
    assert!(warning.contains("platform.kdl:"), "{warning}");
    assert!(
        warning.contains("`compute enforce=#true` makes this an error"),
        "{warning}"
    );
    let before = repo.snapshot_tree("out");
    repo.edit("platform.kdl", "compute {", "compute enforce=#true {");
    let output = repo.run(&["render"]);
    assert_exit(&output, 2);
    assert!(
        stderr(&output).contains("does not fit 3 nodes"),
        "{}",
        stderr(&output)
    );
    assert_eq!(before, repo.snapshot_tree("out"), "nothing written");
    let output = repo.run(&["plan", "--env", "prod"]);
    assert_exit(&output, 2);
    assert!(
        stdout(&output).contains("DOES NOT FIT"),
        "{}",
        stdout(&output)
    );
}

#[test]
fn more_replicas_than_nodes_under_anti_affinity_cannot_be_placed() {
    let repo = Repo::example();
    repo.edit(
        "environments/prod.kdl",
        "logs replicas=3",
        "logs replicas=4",
    );
    let output = repo.run(&["plan", "--env", "prod"]);
    assert_exit(&output, 0);
    let text = stdout(&output);
    assert!(
        text.contains(
            "cannot place: `loki` has 4 replicas and required anti-affinity, but there are 3 nodes"
        ),
        "{text}"
    );
    assert!(
        flat(&stderr(&output)).contains("`loki` has 4 replicas and required anti-affinity"),
        "{}",
        stderr(&output)
    );
}

#[test]
fn bad_quantities_and_keys_are_all_reported_at_their_lines() {
    let repo = Repo::example();
    repo.edit("platform.kdl", "nodes count=3 cpu=\"8\" memory=\"32Gi\"\n        reserve cpu=\"2\" memory=\"8Gi\"", "nodes count=3 cpu=\"0.0001\" memory=\"32Gi\"\n        reserve cpu=\"2\" memory=\"64Gi\"\n        container \"loki-chunk-cache\" memory=\"0\"\n        container \"tempo\" cpu=\"1\"");
    let output = repo.run(&["check"]);
    assert_exit(&output, 2);
    let text = flat(&stderr(&output));
    for expected in [
        "the CPU quantity `0.0001` is finer than a millicore, or too large",
        "the reserve takes all of a node's memory",
        "`loki-chunk-cache` is not a container the plan knows",
        "did you mean `loki-chunks-cache`?",
        "`0` is zero",
        "container `tempo` is sized by its section's `resources`",
        "platform.kdl:",
    ] {
        assert!(text.contains(expected), "missing {expected:?} in:\n{text}");
    }
    assert!(!text.contains("panicked"), "{text}");
}

#[test]
fn enforce_without_nodes_is_an_error() {
    let repo = Repo::example();
    repo.edit(
        "platform.kdl",
        "nodes count=3 cpu=\"8\" memory=\"32Gi\"\n",
        "",
    );
    repo.edit("platform.kdl", "compute {", "compute enforce=#true {");
    let output = repo.run(&["check"]);
    assert_exit(&output, 2);
    assert!(
        stderr(&output).contains("`enforce` needs nodes"),
        "{}",
        stderr(&output)
    );
}

#[test]
fn an_overlay_declares_its_own_nodes() {
    let repo = Repo::example();
    repo.edit(
        "environments/dev.kdl",
        "cluster \"https://dev.k8s.example.com\"",
        "cluster \"https://dev.k8s.example.com\"\n    compute {\n        nodes count=1 cpu=\"16\" memory=\"64Gi\"\n    }",
    );
    let output = repo.run(&["plan", "--format", "json"]);
    assert_exit(&output, 0);
    let plan: Value = serde_json::from_str(&stdout(&output)).expect("JSON");
    let nodes = |env: usize| plan["environments"][env]["compute"]["nodes"].clone();
    assert_eq!(nodes(0)["count"], 1);
    assert_eq!(nodes(0)["capacity"]["cpu_millis"], 16_000);
    // The reserve is the platform's, untouched by the overlay.
    assert_eq!(nodes(0)["allocatable"]["memory_bytes"], 56u64 << 30);
    assert_eq!(nodes(1)["count"], 3, "staging keeps the platform's nodes");
    let alloy = plan["environments"][0]["compute"]["workloads"]
        .as_array()
        .expect("workloads")
        .iter()
        .find(|w| w["name"] == "alloy")
        .cloned()
        .expect("the collector");
    assert_eq!(alloy["replicas"], 1, "one collector per node");
}

/// docs/compute.md lists every container key with the size, source and spec key the plan uses
/// when the spec sets none (the example's dev sets none).
#[test]
fn the_documented_defaults_are_the_plans() {
    let docs = crate::common::read(&crate::common::repo_root().join("docs/compute.md"));
    let output = Repo::example().run(&["plan", "--format", "json", "--env", "dev"]);
    let plan: Value = serde_json::from_str(&stdout(&output)).expect("JSON");
    let sizes = plan["environments"][0]["compute"]["sizes"]
        .as_object()
        .expect("sizes");
    assert!(sizes.len() > 30);
    for (key, size) in sizes {
        let row = format!(
            "| `{key}` | {} | {} | {} | `{}` |",
            size["cpu"].as_str().unwrap_or_default(),
            size["memory"].as_str().unwrap_or_default(),
            size["source"].as_str().unwrap_or_default(),
            size["set_with"].as_str().unwrap_or_default()
        );
        assert!(docs.contains(&row), "docs/compute.md lacks the row {row}");
    }
}

/// An optional section is `anyOf: [section, null]` in the schema: the problem named is the
/// section's own (a missing key, a bad quantity), not "valid under none of the schemas".
#[test]
fn a_bad_optional_section_names_its_own_problem() {
    let repo = Repo::example();
    repo.edit(
        "platform.kdl",
        "nodes count=3 cpu=\"8\" memory=\"32Gi\"",
        "nodes count=3 cpu=\"8\"\n        container \"mimir-querier\" cpu=\"1e3\" memory=\"1GB\"",
    );
    repo.edit("platform.kdl", " url=\"https://sentry.example.com\"", "");
    let output = repo.run(&["check"]);
    assert_exit(&output, 2);
    let text = flat(&stderr(&output));
    for expected in [
        "`compute.nodes` is missing `memory`",
        "`errors` is missing `url`",
        "must be a CPU quantity, found the string \"1e3\"",
        "write CPUs (`2`, `1.5`) or millicores (`500m`)",
        "must be a memory quantity, found the string \"1GB\"",
        "platform.kdl:77:9",
    ] {
        assert!(text.contains(expected), "missing {expected:?} in:\n{text}");
    }
    assert!(!text.contains("not valid under any"), "{text}");
}
