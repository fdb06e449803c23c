//! The rendered values through the real upstream charts (`../shared/reference/helm-charts`,
//! rendered by real Helm v4): every chart accepts the values of every environment, every object
//! it renders validates, and the objects do what the spec says. See docs/charts.md.
//!
//! The spec facts asserted here are the example's (`platform.kdl`, `environments/*.kdl`), written
//! out here (`TENANTS`, `expected_replicas`, the values in `product_config_holds_the_spec`) rather
//! than read from lgtmc's plan, so that a chart, or lgtmc, that drops or rewrites a value fails.
//! Sentry's chart cannot render here (its subcharts are absent), which the tests say per
//! environment.

use std::collections::{BTreeMap, BTreeSet};

use serde_json::Value;

use crate::backends::microservices_example;
use crate::collector::{metrics_scrapes, pod_targets};
use crate::common::charts::{
    ChartRelease, chart_dir, releases, render_release, tools_available, validate_builtin,
};
use crate::common::{Repo, read, repo_root, shared_reference, skipped};

/// The charts whose subcharts the reference lacks; the test says so for each environment.
const UNRENDERABLE: &[(&str, &str)] = &[(
    "sentry",
    "its bundled subcharts (postgresql, redis, kafka, zookeeper, rabbitmq, nginx, clickhouse) are not in the reference (helm-charts/SOURCES.md)",
)];

/// Every release of the example, then the Tempo release of the microservices variant.
fn all_releases(microservices: &Repo) -> Vec<ChartRelease> {
    let mut all = releases(&repo_root());
    all.extend(
        releases(microservices.path())
            .into_iter()
            .filter(|release| release.chart == "tempo-distributed"),
    );
    all
}

/// Renders every release; the renderable ones with their objects, and every failure.
/// `explain` prints why a release is not rendered (in one test, not in all of them).
fn render_all(
    all: &[ChartRelease],
    explain: bool,
) -> (Vec<(ChartRelease, Vec<Value>)>, Vec<String>) {
    let mut rendered = Vec::new();
    let mut problems = Vec::new();
    for release in all {
        if let Some((_, why)) = UNRENDERABLE
            .iter()
            .find(|(chart, _)| *chart == release.chart)
        {
            match render_release(release) {
                Err(message) if message.contains("subcharts that are not present") => {
                    if explain {
                        skipped(
                            "Sentry's bundled subcharts (not in the shared reference)",
                            "none offline: the reference holds Sentry's chart without its subcharts",
                            &format!("{} is not rendered: {why}", release.label()),
                        );
                    }
                }
                Err(message) => problems.push(message),
                Ok(objects) => rendered.push((release.clone(), objects)),
            }
            continue;
        }
        match render_release(release) {
            Ok(objects) => rendered.push((release.clone(), objects)),
            Err(message) => problems.push(message),
        }
    }
    (rendered, problems)
}

#[test]
fn every_application_names_a_chart_of_the_reference() {
    if !tools_available() {
        return;
    }
    let found = releases(&repo_root());
    let envs: BTreeSet<&str> = found.iter().map(|release| release.env.as_str()).collect();
    assert_eq!(envs, BTreeSet::from(["dev", "prod", "staging"]));
    let mut problems = Vec::new();
    for release in &found {
        let versions = read(&repo_root().join(format!("versions/{}.yaml", release.env)));
        let pinned = format!("{}: {}", release.chart, release.version);
        if !versions.lines().any(|line| line == pinned) {
            problems.push(format!(
                "{}: Application {} installs {pinned}, which versions/{}.yaml does not pin",
                release.env, release.component, release.env
            ));
        }
        if let Err(missing) = chart_dir(release) {
            problems.push(missing);
        }
    }
    assert!(problems.is_empty(), "{}", problems.join("\n"));
    let components: BTreeSet<&str> = found
        .iter()
        .map(|release| release.component.as_str())
        .collect();
    for expected in [
        "alloy",
        "grafana",
        "k8sgpt",
        "loki",
        "mimir",
        "pyroscope",
        "sentry",
        "tempo",
    ] {
        assert!(
            components.contains(expected),
            "no {expected} Application in {components:?}"
        );
    }
}

/// A version pinned without its chart in the reference is an error naming the chart, not a skip.
#[test]
fn a_version_without_its_chart_is_reported() {
    if !tools_available() {
        return;
    }
    let mut release = releases(&repo_root())
        .into_iter()
        .find(|release| release.chart == "loki")
        .expect("a Loki release");
    release.version = "0.0.1".to_owned();
    let message = render_release(&release).expect_err("no chart at 0.0.1");
    assert!(
        message.contains("chart loki version 0.0.1 is not under"),
        "{message}"
    );
}

/// A chart error (here, the Loki chart's own `fail`) comes back with the chart's message.
#[test]
fn a_chart_error_carries_the_charts_message() {
    if !tools_available() {
        return;
    }
    let repo = Repo::example();
    let dev = releases(&repo_root())
        .into_iter()
        .find(|release| release.chart == "loki" && release.env == "dev")
        .expect("a Loki release");
    let values = read(&dev.values).replace("\"read\":\n  replicas: 0", "\"read\":\n  replicas: 1");
    repo.write("loki-values.yaml", &values);
    let release = ChartRelease {
        values: repo.path().join("loki-values.yaml"),
        ..dev
    };
    let message = render_release(&release).expect_err("the chart refuses two modes at once");
    assert!(
        message.contains("monolithic and simple scalable targets"),
        "{message}"
    );
}

#[test]
fn every_values_file_renders_through_its_chart() {
    if !tools_available() {
        return;
    }
    let microservices = microservices_example();
    let all = all_releases(&microservices);
    let (rendered, problems) = render_all(&all, true);
    assert!(problems.is_empty(), "{}", problems.join("\n\n"));
    let charts: BTreeSet<&str> = rendered
        .iter()
        .map(|(release, _)| release.chart.as_str())
        .collect();
    let expected = BTreeSet::from([
        "alloy",
        "grafana",
        "k8sgpt-operator",
        "loki",
        "mimir-distributed",
        "pyroscope",
        "tempo",
        "tempo-distributed",
    ]);
    assert_eq!(charts, expected);
    for (release, objects) in &rendered {
        assert!(!objects.is_empty(), "{} renders nothing", release.label());
    }
}

/// Built-in kinds against the Kubernetes 1.37 schemas, strictly; custom resources against
/// their CRDs with lgtmc's `--crds` checker.
#[test]
fn every_rendered_object_validates() {
    if !tools_available() {
        return;
    }
    let Some(reference) = shared_reference() else {
        return;
    };
    let crds = lgtmc::crds::load(&reference.join("crds")).expect("the reference CRDs");
    let microservices = microservices_example();
    let (rendered, problems) = render_all(&all_releases(&microservices), false);
    assert!(problems.is_empty(), "{}", problems.join("\n\n"));
    let mut invalid = Vec::new();
    for (release, objects) in &rendered {
        if let Err(message) = validate_builtin(&release.label(), objects, |api_version, kind| {
            crds.has_kind(api_version, kind)
        }) {
            invalid.push(message);
        }
        let stream: String = objects
            .iter()
            .map(|object| format!("---\n{}", serde_norway::to_string(object).expect("YAML")))
            .collect();
        let check = lgtmc::crds::check_file(&crds, &release.label(), &stream);
        invalid.extend(check.problems.iter().map(ToString::to_string));
    }
    assert!(invalid.is_empty(), "{}", invalid.join("\n"));
}

// ---------------------------------------------------------------------------------------------
// What the values are for, on the rendered objects.

/// The example's tenants: name, retention as Mimir writes it, and in hours.
const TENANTS: &[(&str, &str, &str)] = &[
    ("platform", "90d", "2160h"),
    ("agents", "14d", "336h"),
    ("dev", "7d", "168h"),
];

/// Replicas of the stateful backends per environment (`metrics`/`logs replicas` in
/// environments/*.kdl; Tempo and Pyroscope keep the platform's 1).
fn expected_replicas(env: &str, component: &str) -> u64 {
    match (env, component) {
        ("staging", "mimir" | "loki") => 2,
        ("prod", "mimir" | "loki") => 3,
        _ => 1,
    }
}

/// The workloads (StatefulSets, Deployments, DaemonSets) of a release.
fn workloads(objects: &[Value]) -> impl Iterator<Item = &Value> {
    objects.iter().filter(|object| {
        matches!(
            object["kind"].as_str(),
            Some("StatefulSet" | "Deployment" | "DaemonSet")
        )
    })
}

fn name(object: &Value) -> &str {
    object["metadata"]["name"].as_str().unwrap_or_default()
}

/// A ConfigMap's file, parsed as YAML.
fn config_file(objects: &[Value], config_map: &str, key: &str) -> Value {
    let text = objects
        .iter()
        .find(|object| object["kind"] == "ConfigMap" && name(object) == config_map)
        .and_then(|object| object["data"][key].as_str())
        .unwrap_or_else(|| panic!("no ConfigMap {config_map} with {key}"));
    serde_norway::from_str(text).unwrap_or_else(|e| panic!("{config_map}/{key}: {e}"))
}

/// The ConfigMaps a pod mounts, directly or in a projected volume.
fn mounted_config_maps(pod: &Value) -> BTreeSet<String> {
    let mut names = BTreeSet::new();
    for volume in pod["volumes"].as_array().into_iter().flatten() {
        names.extend(volume["configMap"]["name"].as_str().map(str::to_owned));
        for source in volume["projected"]["sources"]
            .as_array()
            .into_iter()
            .flatten()
        {
            names.extend(source["configMap"]["name"].as_str().map(str::to_owned));
        }
    }
    names
}

/// Every `${VAR}` in the text.
fn variables(text: &str) -> BTreeSet<String> {
    text.split("${")
        .skip(1)
        .filter_map(|rest| rest.split_once('}'))
        .map(|(variable, _)| variable.to_owned())
        .collect()
}

/// The ObjectBucketClaims of a namespace in an environment's rendered tree.
fn bucket_claims(root: &std::path::Path, env: &str, namespace: &str) -> BTreeSet<String> {
    let text = read(&root.join(format!("out/{env}/buckets/claims.yaml")));
    serde_norway::Deserializer::from_str(&text)
        .filter_map(|document| {
            let claim: Value = serde::Deserialize::deserialize(document).ok()?;
            (claim["kind"] == "ObjectBucketClaim" && claim["metadata"]["namespace"] == namespace)
                .then(|| name(&claim).to_owned())
        })
        .collect()
}

/// The keys a Rook-Ceph bucket claim provides: its ConfigMap's and its Secret's.
const CLAIM_CONFIG_MAP_KEYS: &[&str] = &["BUCKET_HOST", "BUCKET_NAME", "BUCKET_PORT"];
const CLAIM_SECRET_KEYS: &[&str] = &["AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY"];

/// The text of the ConfigMaps a workload's pod mounts: the product config, not a gateway's
/// nginx.conf in another pod.
fn mounted_config_text(workload: &Value, objects: &[Value]) -> String {
    let pod = &workload["spec"]["template"]["spec"];
    mounted_config_maps(pod)
        .iter()
        .filter_map(|mounted| {
            objects
                .iter()
                .find(|object| object["kind"] == "ConfigMap" && name(object) == mounted.as_str())
        })
        .filter_map(|object| object["data"].as_object())
        .flat_map(|data| data.values().filter_map(Value::as_str))
        .collect()
}

/// One container's `envFrom`: it reads exactly the namespace's bucket claims (`claims`, the
/// namespace), and provides every variable its config uses (`wanted`).
fn check_claim_env(
    at: &str,
    container: &Value,
    (claims, namespace): (&BTreeSet<String>, &str),
    wanted: &BTreeSet<String>,
    failures: &mut Vec<String>,
) {
    // (prefix, key, "secretRef" | "configMapRef") for every variable provided.
    let mut provided = BTreeSet::new();
    let mut referenced = BTreeSet::new();
    for source in container["envFrom"].as_array().into_iter().flatten() {
        let prefix = source["prefix"].as_str().unwrap_or_default();
        for (reference, keys) in [
            ("secretRef", CLAIM_SECRET_KEYS),
            ("configMapRef", CLAIM_CONFIG_MAP_KEYS),
        ] {
            let Some(claim) = source[reference]["name"].as_str() else {
                continue;
            };
            if !claims.contains(claim) {
                failures.push(format!(
                    "{at}: envFrom {reference} {claim} is not a bucket claim of {namespace}"
                ));
            }
            referenced.insert(claim.to_owned());
            provided.extend(keys.iter().map(|key| format!("{prefix}{key}")));
        }
    }
    if &referenced != claims {
        failures.push(format!(
            "{at}: envFrom reads claims {referenced:?}, the namespace has {claims:?}"
        ));
    }
    for variable in wanted.difference(&provided) {
        failures.push(format!(
            "{at}: the config uses ${{{variable}}}, which no envFrom provides"
        ));
    }
}

/// Each backend container that loads the product config expands variables, and gets every
/// variable of the config from its namespace's bucket claims, with the prefixes the config uses.
#[test]
fn backends_read_their_bucket_claims() {
    if !tools_available() {
        return;
    }
    let microservices = microservices_example();
    let (rendered, problems) = render_all(&all_releases(&microservices), false);
    assert!(problems.is_empty(), "{}", problems.join("\n\n"));
    let mut failures = Vec::new();
    let mut containers_checked = 0;
    for (release, objects) in &rendered {
        if !["mimir", "loki", "tempo", "pyroscope"].contains(&release.component.as_str()) {
            continue;
        }
        let root = if release.chart == "tempo-distributed" {
            microservices.path().to_path_buf()
        } else {
            repo_root()
        };
        let claims = bucket_claims(&root, &release.env, &release.namespace);
        assert!(!claims.is_empty(), "{}: no bucket claims", release.label());
        for workload in workloads(objects) {
            // The variables of the ConfigMaps the pod mounts (the product config, not a
            // gateway's nginx.conf in another pod).
            let wanted = variables(&mounted_config_text(workload, objects));
            let containers = workload["spec"]["template"]["spec"]["containers"]
                .as_array()
                .cloned()
                .unwrap_or_default();
            for container in containers {
                let args: Vec<&str> = container["args"]
                    .as_array()
                    .map(|args| args.iter().filter_map(Value::as_str).collect())
                    .unwrap_or_default();
                if !args.iter().any(|arg| arg.starts_with("-config.file=")) {
                    continue;
                }
                containers_checked += 1;
                if wanted.is_empty() {
                    failures.push(format!(
                        "{}: {} mounts no config that reads bucket variables",
                        release.label(),
                        name(workload)
                    ));
                }
                let at = format!(
                    "{}: {} {} container {}",
                    release.label(),
                    workload["kind"].as_str().unwrap_or_default(),
                    name(workload),
                    container["name"].as_str().unwrap_or_default()
                );
                if !args.contains(&"-config.expand-env=true") {
                    failures.push(format!("{at}: no -config.expand-env=true in {args:?}"));
                }
                check_claim_env(
                    &at,
                    &container,
                    (&claims, &release.namespace),
                    &wanted,
                    &mut failures,
                );
            }
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
    assert!(
        containers_checked > 20,
        "only {containers_checked} containers"
    );
}

/// The product config the charts render holds the spec's replication, cadence, limits and
/// retention, per tenant.
#[test]
fn product_config_holds_the_spec() {
    if !tools_available() {
        return;
    }
    let microservices = microservices_example();
    let (rendered, problems) = render_all(&all_releases(&microservices), false);
    assert!(problems.is_empty(), "{}", problems.join("\n\n"));
    let mut seen = BTreeSet::new();
    for (release, objects) in &rendered {
        let env = release.env.as_str();
        let replication = expected_replicas(env, &release.component).min(3);
        let at = release.label();
        match release.chart.as_str() {
            "mimir-distributed" => mimir_config_holds_the_spec(objects, &at, replication),
            "loki" => loki_config_holds_the_spec(objects, &at, replication),
            "tempo" => tempo_config_holds_the_spec(objects, &at),
            "tempo-distributed" => tempo_distributed_config_holds_the_spec(objects, &at),
            "pyroscope" => pyroscope_config_holds_the_spec(objects, &at),
            _ => continue,
        }
        seen.insert((release.chart.clone(), release.env.clone()));
    }
    assert_eq!(seen.len(), 15, "{seen:?}");
}

/// Mimir's config and runtime overrides: multi-tenancy, replication, the block range, and each
/// tenant's retention and limits.
fn mimir_config_holds_the_spec(objects: &[Value], at: &str, replication: u64) {
    let config = config_file(objects, "mimir-config", "mimir.yaml");
    assert_eq!(config["multitenancy_enabled"], true, "{at}");
    assert_eq!(
        config["ingester"]["ring"]["replication_factor"], replication,
        "{at}"
    );
    assert_eq!(
        config["store_gateway"]["sharding_ring"]["replication_factor"], replication,
        "{at}"
    );
    assert_eq!(
        config["blocks_storage"]["tsdb"]["block_ranges_period"],
        serde_json::json!(["2h"]),
        "{at}"
    );
    let runtime = config_file(objects, "mimir-runtime", "runtime.yaml");
    for (tenant, retention, _) in TENANTS {
        assert_eq!(
            runtime["overrides"][tenant]["compactor_blocks_retention_period"], *retention,
            "{at}: {tenant}"
        );
    }
    assert_eq!(
        runtime["overrides"]["platform"]["ingestion_rate"], 100_000,
        "{at}"
    );
    assert_eq!(
        runtime["overrides"]["agents"]["ingestion_rate"], 50_000,
        "{at}"
    );
    assert_eq!(
        runtime["overrides"]["platform"]["max_global_series_per_user"], 5_000_000,
        "{at}"
    );
}

/// Loki's config and runtime overrides: multi-tenancy, replication, the flush cadence, retention
/// and the platform tenant's log limits.
fn loki_config_holds_the_spec(objects: &[Value], at: &str, replication: u64) {
    let config = config_file(objects, "loki", "config.yaml");
    assert_eq!(config["auth_enabled"], true, "{at}");
    assert_eq!(config["common"]["replication_factor"], replication, "{at}");
    assert_eq!(config["ingester"]["chunk_idle_period"], "5m", "{at}");
    assert_eq!(config["ingester"]["max_chunk_age"], "5m", "{at}");
    assert_eq!(config["compactor"]["retention_enabled"], true, "{at}");
    let runtime = config_file(objects, "loki-runtime", "runtime-config.yaml");
    for (tenant, _, hours) in TENANTS {
        assert_eq!(
            runtime["overrides"][tenant]["retention_period"], *hours,
            "{at}: {tenant}"
        );
    }
    assert_eq!(
        runtime["overrides"]["platform"]["ingestion_rate_mb"], 10,
        "{at}"
    );
    assert_eq!(
        runtime["overrides"]["platform"]["ingestion_burst_size_mb"], 20,
        "{at}"
    );
}

/// Tempo's (monolithic) config and overrides: multi-tenancy, the block duration, retention.
fn tempo_config_holds_the_spec(objects: &[Value], at: &str) {
    let config = config_file(objects, "tempo", "tempo.yaml");
    assert_eq!(config["multitenancy_enabled"], true, "{at}");
    assert_eq!(config["ingester"]["max_block_duration"], "30s", "{at}");
    let overrides = config_file(objects, "tempo", "overrides.yaml");
    for (tenant, _, hours) in TENANTS {
        assert_eq!(
            overrides["overrides"][tenant]["compaction"]["block_retention"], *hours,
            "{at}: {tenant}"
        );
    }
}

/// Tempo's microservices config and overrides: Kafka, the block builder's cycle, the compaction
/// window, the partitions, retention.
fn tempo_distributed_config_holds_the_spec(objects: &[Value], at: &str) {
    let config = config_file(objects, "tempo-config", "tempo.yaml");
    assert_eq!(config["multitenancy_enabled"], true, "{at}");
    assert_eq!(
        config["ingest"]["kafka"]["address"], "kafka.kafka.svc:9092",
        "{at}"
    );
    // A block every block-duration, compacted within the compaction window.
    assert_eq!(
        config["block_builder"]["consume_cycle_duration"], "30s",
        "{at}"
    );
    assert_eq!(
        config["backend_worker"]["compaction"]["compaction_window"], "1h",
        "{at}"
    );
    assert_eq!(
        config["ingest"]["kafka"]["auto_create_topic_default_partitions"], 3,
        "{at}: one partition per block-builder"
    );
    let overrides = config_file(objects, "tempo-runtime", "overrides.yaml");
    for (tenant, _, hours) in TENANTS {
        assert_eq!(
            overrides["overrides"][tenant]["compaction"]["block_retention"], *hours,
            "{at}: {tenant}"
        );
    }
}

/// Pyroscope's config and overrides: multi-tenancy and retention.
fn pyroscope_config_holds_the_spec(objects: &[Value], at: &str) {
    let config = config_file(objects, "pyroscope-config", "config.yaml");
    assert_eq!(config["multitenancy_enabled"], true, "{at}");
    let overrides = config_file(objects, "pyroscope-overrides-config", "overrides.yaml");
    for (tenant, _, hours) in TENANTS {
        assert_eq!(
            overrides["overrides"][tenant]["retention_period"], *hours,
            "{at}: {tenant}"
        );
    }
}

/// The stateful backend workloads run the spec's replicas, and more than one replica is spread
/// across nodes (anti-affinity or a topology spread on the hostname).
#[test]
fn replicas_and_spread_follow_each_environment() {
    if !tools_available() {
        return;
    }
    let microservices = microservices_example();
    let (rendered, problems) = render_all(&all_releases(&microservices), false);
    assert!(problems.is_empty(), "{}", problems.join("\n\n"));
    // The workloads whose replicas the spec sets, by chart, and whether more than one must be
    // on different nodes (SPEC.md: metrics replicas "are spread across hosts"; the Loki chart
    // requires it of the single binary) or only prefer to (the tempo-distributed chart's
    // default, which the spec does not tighten).
    let sized: BTreeMap<&str, (&[&str], bool)> = BTreeMap::from([
        (
            "mimir-distributed",
            (&["mimir-ingester", "mimir-store-gateway"][..], true),
        ),
        ("loki", (&["loki"][..], true)),
        ("tempo", (&["tempo"][..], true)),
        ("pyroscope", (&["pyroscope"][..], true)),
        (
            "tempo-distributed",
            (&["tempo-live-store", "tempo-block-builder"][..], false),
        ),
    ]);
    let mut failures = Vec::new();
    for (release, objects) in &rendered {
        let Some((names, hard)) = sized.get(release.chart.as_str()) else {
            continue;
        };
        let want = if release.chart == "tempo-distributed" {
            3
        } else {
            expected_replicas(&release.env, &release.component)
        };
        for wanted in *names {
            let Some(workload) = workloads(objects).find(|workload| name(workload) == *wanted)
            else {
                failures.push(format!("{}: no workload {wanted}", release.label()));
                continue;
            };
            let at = format!("{}: {wanted}", release.label());
            let replicas = workload["spec"]["replicas"].as_u64().unwrap_or(1);
            if replicas != want {
                failures.push(format!("{at}: {replicas} replicas, the spec says {want}"));
            }
            if want > 1 && !spread_by_host(&workload["spec"]["template"]["spec"], *hard) {
                failures.push(format!(
                    "{at}: {want} replicas not spread over nodes (hard: {hard})"
                ));
            }
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

/// Whether a pod spec spreads its replicas over nodes. `hard`: a required anti-affinity or a
/// `DoNotSchedule` spread on the hostname (a preference lets two replicas share a node);
/// otherwise a preferred anti-affinity is enough.
fn spread_by_host(pod: &Value, hard: bool) -> bool {
    const HOST: &str = "kubernetes.io/hostname";
    let anti = &pod["affinity"]["podAntiAffinity"];
    let required = anti["requiredDuringSchedulingIgnoredDuringExecution"]
        .as_array()
        .into_iter()
        .flatten()
        .any(|term| term["topologyKey"] == HOST);
    let spread = pod["topologySpreadConstraints"]
        .as_array()
        .into_iter()
        .flatten()
        .any(|constraint| {
            constraint["topologyKey"] == HOST && constraint["whenUnsatisfiable"] == "DoNotSchedule"
        });
    let preferred = anti["preferredDuringSchedulingIgnoredDuringExecution"]
        .as_array()
        .into_iter()
        .flatten()
        .any(|term| term["podAffinityTerm"]["topologyKey"] == HOST);
    required || spread || (!hard && preferred)
}

/// Grafana takes its admin login from the spec's existing Secret and renders no Secret of its
/// own, and its sidecars load every provisioning ConfigMap; the collector's DaemonSet mounts the
/// ConfigMap the environment's kustomization generates.
#[test]
fn grafana_and_the_collector_use_what_lgtmc_provides() {
    if !tools_available() {
        return;
    }
    let mut checked = BTreeSet::new();
    for release in releases(&repo_root()) {
        let at = release.label();
        match release.chart.as_str() {
            "grafana" => {
                let objects = render_release(&release).unwrap_or_else(|e| panic!("{e}"));
                assert!(
                    !objects.iter().any(|object| object["kind"] == "Secret"),
                    "{at}: the chart renders a Secret"
                );
                let grafana = workloads(&objects)
                    .find(|workload| name(workload) == "grafana")
                    .unwrap_or_else(|| panic!("{at}: no grafana Deployment"));
                let password = grafana["spec"]["template"]["spec"]["containers"]
                    .as_array()
                    .into_iter()
                    .flatten()
                    .flat_map(|container| container["env"].as_array().into_iter().flatten())
                    .find(|env| env["name"] == "GF_SECURITY_ADMIN_PASSWORD")
                    .unwrap_or_else(|| panic!("{at}: no admin password variable"));
                assert_eq!(
                    password["valueFrom"]["secretKeyRef"]["name"], "grafana-admin",
                    "{at}"
                );
                sidecars_load_the_provisioning(&release, grafana);
            }
            "alloy" => {
                let objects = render_release(&release).unwrap_or_else(|e| panic!("{e}"));
                let kustomization: Value = serde_norway::from_str(&read(
                    &repo_root().join(format!("out/{}/alloy/kustomization.yaml", release.env)),
                ))
                .expect("YAML");
                let generated = kustomization["configMapGenerator"][0]["name"]
                    .as_str()
                    .expect("a generated ConfigMap");
                let daemon_set = workloads(&objects)
                    .find(|workload| workload["kind"] == "DaemonSet")
                    .unwrap_or_else(|| panic!("{at}: no DaemonSet"));
                assert!(
                    mounted_config_maps(&daemon_set["spec"]["template"]["spec"])
                        .contains(generated),
                    "{at}: the DaemonSet does not mount {generated}"
                );
            }
            _ => continue,
        }
        checked.insert(release.chart.clone());
    }
    assert_eq!(
        checked,
        BTreeSet::from(["alloy".to_owned(), "grafana".to_owned()])
    );
}

/// Every ConfigMap of the environment's Grafana provisioning carries the label (and value) one
/// of the chart's sidecars watches, in the namespace Grafana runs in (the sidecars watch their
/// own namespace: no `NAMESPACE` variable), and every dashboard's folder annotation is the one
/// the dashboard sidecar reads.
fn sidecars_load_the_provisioning(release: &ChartRelease, grafana: &Value) {
    let at = release.label();
    let env_of = |container: &Value, variable: &str| {
        container["env"]
            .as_array()
            .into_iter()
            .flatten()
            .find(|env| env["name"] == variable)
            .and_then(|env| env["value"].as_str())
            .map(str::to_owned)
    };
    let mut watched = BTreeMap::new();
    for container in grafana["spec"]["template"]["spec"]["containers"]
        .as_array()
        .into_iter()
        .flatten()
    {
        let Some(label) = env_of(container, "LABEL") else {
            continue;
        };
        assert_eq!(env_of(container, "NAMESPACE"), None, "{at}: {container}");
        let value = env_of(container, "LABEL_VALUE").unwrap_or_default();
        watched.insert((label, value), env_of(container, "FOLDER_ANNOTATION"));
    }
    assert_eq!(watched.len(), 3, "{at}: sidecars {watched:?}");
    let kustomization: Value = serde_norway::from_str(&read(&repo_root().join(format!(
        "out/{}/grafana/provisioning/kustomization.yaml",
        release.env
    ))))
    .expect("YAML");
    assert_eq!(
        kustomization["namespace"],
        release.namespace.as_str(),
        "{at}"
    );
    let generators = kustomization["configMapGenerator"]
        .as_array()
        .expect("generators");
    assert!(!generators.is_empty(), "{at}");
    for generator in generators {
        let config_map = generator["name"].as_str().unwrap_or_default();
        let labels = generator["options"]["labels"]
            .as_object()
            .cloned()
            .unwrap_or_default();
        let folder = labels
            .iter()
            .find_map(|(label, value)| {
                watched.get(&(label.clone(), value.as_str().unwrap_or_default().to_owned()))
            })
            .unwrap_or_else(|| {
                panic!("{at}: no sidecar loads ConfigMap {config_map} ({labels:?})")
            });
        if let Some(annotation) = folder {
            assert!(
                generator["options"]["annotations"][annotation].is_string(),
                "{at}: dashboard {config_map} has no {annotation} annotation"
            );
        }
    }
}

/// The K8sGPT resource lgtmc renders is accepted by the CRD the pinned operator chart installs
/// (its `crds/`), not only by the reference CRD: an operator promotion that changes the schema
/// fails here.
#[test]
fn the_k8sgpt_resource_fits_the_operator_charts_crd() {
    if !tools_available() {
        return;
    }
    let mut checked = 0;
    for release in releases(&repo_root()) {
        if release.chart != "k8sgpt-operator" {
            continue;
        }
        let crds_dir = chart_dir(&release)
            .unwrap_or_else(|e| panic!("{e}"))
            .join("crds");
        let crds = lgtmc::crds::load(&crds_dir).unwrap_or_else(|e| panic!("{e}"));
        let path = format!("out/{}/k8sgpt/k8sgpt.yaml", release.env);
        let check = lgtmc::crds::check_file(&crds, &path, &read(&repo_root().join(&path)));
        assert!(
            check
                .resources
                .iter()
                .any(|resource| resource.kind == "K8sGPT"),
            "{path}: no K8sGPT resource checked"
        );
        assert!(
            check.problems.is_empty(),
            "{}",
            check
                .problems
                .iter()
                .map(ToString::to_string)
                .collect::<Vec<_>>()
                .join("\n")
        );
        checked += 1;
    }
    assert_eq!(checked, 3);
}

// ---------------------------------------------------------------------------------------------
// The backends' own metrics: every backend pod that serves metrics is scraped, once, into the
// platform tenant (docs/grafana.md: the ingestion dashboard and the WritesRejected rules read
// them there).

/// The container port each workload of a backend chart serves `/metrics` on, as the charts'
/// templates declare it, or `None` for a workload that serves no metrics. Written out from the
/// charts, not read from lgtmc's plan; a workload missing here (a chart version that adds one)
/// fails the tests until it is classified.
const METRICS_PORTS: &[(&str, &str, Option<u16>)] = &[
    ("mimir-distributed", "mimir-alertmanager", Some(8080)),
    ("mimir-distributed", "mimir-compactor", Some(8080)),
    ("mimir-distributed", "mimir-distributor", Some(8080)),
    ("mimir-distributed", "mimir-ingester", Some(8080)),
    // The gateway: its port `http-metric` 8080 is nginx proxying; nginx serves no metrics.
    ("mimir-distributed", "mimir-nginx", None),
    ("mimir-distributed", "mimir-overrides-exporter", Some(8080)),
    ("mimir-distributed", "mimir-querier", Some(8080)),
    ("mimir-distributed", "mimir-query-frontend", Some(8080)),
    ("mimir-distributed", "mimir-query-scheduler", Some(8080)),
    ("mimir-distributed", "mimir-ruler", Some(8080)),
    ("mimir-distributed", "mimir-store-gateway", Some(8080)),
    ("loki", "loki", Some(3100)),
    // The caches: memcached's exporter container (`http-metrics` 9150).
    ("loki", "loki-chunks-cache", Some(9150)),
    ("loki", "loki-results-cache", Some(9150)),
    // The gateway: the access-log exporter beside nginx (`http-metrics` 4040).
    ("loki", "loki-gateway", Some(4040)),
    ("tempo", "tempo", Some(3200)),
    ("tempo-distributed", "tempo-backend-scheduler", Some(3200)),
    ("tempo-distributed", "tempo-backend-worker", Some(3200)),
    ("tempo-distributed", "tempo-block-builder", Some(3200)),
    ("tempo-distributed", "tempo-distributor", Some(3200)),
    ("tempo-distributed", "tempo-live-store", Some(3200)),
    // The chart's memcached runs without its exporter (the chart's default): no metrics port.
    ("tempo-distributed", "tempo-memcached", None),
    ("tempo-distributed", "tempo-querier", Some(3200)),
    ("tempo-distributed", "tempo-query-frontend", Some(3200)),
    // Pyroscope's one HTTP port, `http2`, serves its API and /metrics.
    ("pyroscope", "pyroscope", Some(4040)),
];

/// The backends' releases (the example's, then the microservices Tempo), rendered.
fn backend_releases(microservices: &Repo) -> Vec<(ChartRelease, Vec<Value>)> {
    let (rendered, problems) = render_all(&all_releases(microservices), false);
    assert!(problems.is_empty(), "{}", problems.join("\n\n"));
    rendered
        .into_iter()
        .filter(|(release, _)| {
            METRICS_PORTS
                .iter()
                .any(|(chart, _, _)| *chart == release.chart)
        })
        .collect()
}

/// The metrics port `METRICS_PORTS` gives a workload; a failure for a workload it lacks.
fn metrics_port(release: &ChartRelease, workload: &str) -> Result<Option<u16>, String> {
    METRICS_PORTS
        .iter()
        .find(|(chart, name, _)| *chart == release.chart && *name == workload)
        .map(|(_, _, port)| *port)
        .ok_or_else(|| {
            format!(
                "{}: workload {workload} is not in METRICS_PORTS: does it serve metrics?",
                release.label()
            )
        })
}

/// Every container port of a pod: (name, number).
fn container_ports(pod: &Value) -> Vec<(String, u64)> {
    pod["containers"]
        .as_array()
        .into_iter()
        .flatten()
        .flat_map(|container| container["ports"].as_array().into_iter().flatten())
        .map(|port| {
            (
                port["name"].as_str().unwrap_or_default().to_owned(),
                port["containerPort"].as_u64().unwrap_or_default(),
            )
        })
        .collect()
}

/// Each backend workload that serves metrics has the collector's annotations on its pods,
/// `prometheus.io/scrape: "true"` and `prometheus.io/port` naming the port it serves them on (a
/// declared container port; every port named `*metrics` is that one), and no path (`/metrics`
/// is the default); one that serves none has no scrape annotation.
#[test]
fn backend_pods_that_serve_metrics_carry_the_scrape_annotations() {
    if !tools_available() {
        return;
    }
    let microservices = microservices_example();
    let mut failures = Vec::new();
    let mut annotated = 0;
    for (release, objects) in backend_releases(&microservices) {
        for workload in workloads(&objects) {
            let at = format!("{}: {}", release.label(), name(workload));
            let port = match metrics_port(&release, name(workload)) {
                Ok(port) => port,
                Err(missing) => {
                    failures.push(missing);
                    continue;
                }
            };
            let template = &workload["spec"]["template"];
            let annotations = &template["metadata"]["annotations"];
            let ports = container_ports(&template["spec"]);
            let Some(port) = port else {
                if !annotations["prometheus.io/scrape"].is_null() {
                    failures.push(format!("{at}: serves no metrics, yet is annotated"));
                }
                continue;
            };
            annotated += 1;
            if annotations["prometheus.io/scrape"] != "true" {
                failures.push(format!(
                    "{at}: no prometheus.io/scrape \"true\": {annotations}"
                ));
            }
            if annotations["prometheus.io/port"] != port.to_string().as_str() {
                failures.push(format!(
                    "{at}: prometheus.io/port is not \"{port}\": {annotations}"
                ));
            }
            if !annotations["prometheus.io/path"].is_null() {
                failures.push(format!("{at}: a path other than /metrics: {annotations}"));
            }
            if !ports.iter().any(|(_, number)| *number == u64::from(port)) {
                failures.push(format!("{at}: {port} is no container port of {ports:?}"));
            }
            for (port_name, number) in &ports {
                if port_name.ends_with("metrics") && *number != u64::from(port) {
                    failures.push(format!("{at}: port {port_name} is {number}, not {port}"));
                }
            }
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
    // Ten Mimir components, four Loki workloads, Tempo, Pyroscope in each environment, and
    // seven microservices Tempo components in each.
    assert_eq!(annotated, 3 * (10 + 4 + 1 + 1) + 3 * 7);
}

/// The example's collector configurations: each environment's `config.alloy` from the rendered
/// tree at `root`, and the same with a platform tenant (`agents`) other than the default
/// (`platform`), so that routing by namespace shows.
fn collector_configs(
    root: &std::path::Path,
    env: &str,
    variant: &Repo,
) -> Vec<(lgtmc::alloy::File, &'static str)> {
    [(root, "platform"), (variant.path(), "agents")]
        .into_iter()
        .map(|(dir, platform_tenant)| {
            let text = read(&dir.join(format!("out/{env}/alloy/config.alloy")));
            let file = lgtmc::alloy::validate(&text).unwrap_or_else(|e| panic!("{e:?}"));
            (file, platform_tenant)
        })
        .collect()
}

/// The collector's rules, evaluated on the targets Kubernetes discovery makes of each rendered
/// backend pod (one per container port): each pod that serves metrics is scraped exactly once
/// (one target, one tenant pipeline), on its metrics port, into the platform tenant; the others
/// not at all.
#[test]
fn the_collector_scrapes_each_backend_pod_once_into_the_platform_tenant() {
    if !tools_available() {
        return;
    }
    let microservices = microservices_example();
    let variant = Repo::example();
    variant.edit(
        "platform.kdl",
        "default=\"platform\"",
        "default=\"platform\" platform-tenant=\"agents\"",
    );
    crate::common::assert_exit(&variant.run(&["render"]), 0);
    let mut failures = Vec::new();
    let mut scraped = 0;
    for (release, objects) in backend_releases(&microservices) {
        let root = if release.chart == "tempo-distributed" {
            microservices.path().to_path_buf()
        } else {
            repo_root()
        };
        for (config, platform_tenant) in collector_configs(&root, &release.env, &variant) {
            for workload in workloads(&objects) {
                let at = format!(
                    "{} ({platform_tenant}): {}",
                    release.label(),
                    name(workload)
                );
                let Ok(port) = metrics_port(&release, name(workload)) else {
                    continue; // the annotation test names it
                };
                let targets = pod_targets(
                    &release.namespace,
                    &format!("{}-0", name(workload)),
                    &workload["spec"]["template"],
                );
                let scrapes: Vec<(String, String)> = metrics_scrapes(&config, targets)
                    .into_iter()
                    .map(|(tenant, target)| {
                        let number = target["__meta_kubernetes_pod_container_port_number"].clone();
                        (tenant, number)
                    })
                    .collect();
                let expected: Vec<(String, String)> = port
                    .map(|port| (platform_tenant.to_owned(), port.to_string()))
                    .into_iter()
                    .collect();
                if scrapes != expected {
                    failures.push(format!(
                        "{at}: scraped as {scrapes:?}, expected {expected:?}"
                    ));
                }
                scraped += scrapes.len();
            }
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
    assert_eq!(scraped, 2 * (3 * (10 + 4 + 1 + 1) + 3 * 7));
}

/// The collector's own metrics come from `prometheus.exporter.self` (the heartbeat), so its pods
/// must not also be scraped as annotated pods: the rules select none of its targets.
#[test]
fn the_collector_pods_are_not_scraped_a_second_time() {
    if !tools_available() {
        return;
    }
    let mut checked = 0;
    for release in releases(&repo_root()) {
        if release.chart != "alloy" {
            continue;
        }
        let objects = render_release(&release).unwrap_or_else(|e| panic!("{e}"));
        let text = read(&repo_root().join(format!("out/{}/alloy/config.alloy", release.env)));
        let config = lgtmc::alloy::validate(&text).unwrap_or_else(|e| panic!("{e:?}"));
        for workload in workloads(&objects) {
            let targets = pod_targets(
                &release.namespace,
                name(workload),
                &workload["spec"]["template"],
            );
            assert!(!targets.is_empty(), "{}: no targets", release.label());
            let scrapes = metrics_scrapes(&config, targets);
            assert!(
                scrapes.is_empty(),
                "{}: {} scraped as a pod: {scrapes:?}",
                release.label(),
                name(workload)
            );
            checked += 1;
        }
    }
    assert_eq!(checked, 3);
}
