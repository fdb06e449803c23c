//! Rendered Helm values against the upstream charts in ../shared/reference: every value path we
//! set must exist in the chart's values.yaml, or sit below a key whose contents the chart passes
//! on to the product or to Kubernetes unchanged. Below such keys, the product's own config keys
//! must be ones its configuration reference documents (listed here, with where they come from).

use serde_norway::Value;

use crate::common::{Repo, assert_exit, read, shared_reference};

/// One chart: where its values.yaml is, which of our files it reads, where the chart passes
/// values through unchanged, and which product keys may appear there.
struct Chart {
    values: &'static str,
    rendered: &'static str,
    /// Chart keys that take any content (the product config, runtime overrides, Kubernetes
    /// objects such as EnvFromSource lists, resources and topology spread constraints).
    free_form: &'static [&'static str],
    /// Chart keys documented in the chart's values.yaml comments rather than as values.
    documented: &'static [&'static str],
    /// Product config keys (dotted leaf paths below a free-form key, tenant ids replaced by `*`)
    /// that the product's configuration reference documents.
    product_keys: &'static [&'static str],
}

/// grafana-stack.md §1.2, §2.2-2.5; Mimir configuration reference (blocks_storage.tsdb.
/// block_ranges_period, compactor.block_ranges, *_storage.s3.*, limits in runtime overrides).
const MIMIR: Chart = Chart {
    values: "charts/mimir-distributed/values.yaml",
    rendered: "mimir/values.yaml",
    free_form: &[
        "global.extraEnvFrom",
        "mimir.structuredConfig",
        "runtimeConfig",
        "ingester.resources",
        "ingester.topologySpreadConstraints",
        "store_gateway.topologySpreadConstraints",
    ],
    documented: &[],
    product_keys: &[
        "mimir.structuredConfig.multitenancy_enabled",
        "mimir.structuredConfig.ingester.ring.replication_factor",
        "mimir.structuredConfig.store_gateway.sharding_ring.replication_factor",
        "mimir.structuredConfig.common.storage.backend",
        "mimir.structuredConfig.common.storage.s3.endpoint",
        "mimir.structuredConfig.common.storage.s3.region",
        "mimir.structuredConfig.common.storage.s3.insecure",
        "mimir.structuredConfig.common.storage.s3.bucket_lookup_type",
        "mimir.structuredConfig.blocks_storage.tsdb.block_ranges_period",
        "mimir.structuredConfig.blocks_storage.s3.bucket_name",
        "mimir.structuredConfig.blocks_storage.s3.access_key_id",
        "mimir.structuredConfig.blocks_storage.s3.secret_access_key",
        "mimir.structuredConfig.compactor.block_ranges",
        "mimir.structuredConfig.ruler_storage.s3.bucket_name",
        "mimir.structuredConfig.ruler_storage.s3.access_key_id",
        "mimir.structuredConfig.ruler_storage.s3.secret_access_key",
        "mimir.structuredConfig.alertmanager_storage.s3.bucket_name",
        "mimir.structuredConfig.alertmanager_storage.s3.access_key_id",
        "mimir.structuredConfig.alertmanager_storage.s3.secret_access_key",
        "runtimeConfig.overrides.*.ingestion_rate",
        "runtimeConfig.overrides.*.ingestion_burst_size",
        "runtimeConfig.overrides.*.max_global_series_per_user",
        "runtimeConfig.overrides.*.compactor_blocks_retention_period",
    ],
};

/// grafana-stack.md §3.1-3.5; Loki configuration reference (ingester, compactor, limits_config,
/// ruler.storage.s3 = s3_storage_config).
const LOKI: Chart = Chart {
    values: "charts/loki/values.yaml",
    rendered: "loki/values.yaml",
    free_form: &[
        "defaults.extraEnvFrom",
        "singleBinary.resources",
        "loki.schemaConfig",
        "loki.rulerConfig",
        "loki.ingester",
        "loki.compactor",
        "loki.limits_config",
        "loki.runtimeConfig",
    ],
    documented: &["loki.storage.bucketNames"],
    product_keys: &[
        "loki.rulerConfig.storage.type",
        "loki.rulerConfig.storage.s3.bucketnames",
        "loki.rulerConfig.storage.s3.endpoint",
        "loki.rulerConfig.storage.s3.region",
        "loki.rulerConfig.storage.s3.access_key_id",
        "loki.rulerConfig.storage.s3.secret_access_key",
        "loki.rulerConfig.storage.s3.s3forcepathstyle",
        "loki.rulerConfig.storage.s3.insecure",
        "loki.ingester.chunk_idle_period",
        "loki.ingester.max_chunk_age",
        "loki.compactor.retention_enabled",
        "loki.compactor.delete_request_store",
        "loki.limits_config.ingestion_rate_mb",
        "loki.limits_config.ingestion_burst_size_mb",
        "loki.runtimeConfig.overrides.*.ingestion_rate_mb",
        "loki.runtimeConfig.overrides.*.ingestion_burst_size_mb",
        "loki.runtimeConfig.overrides.*.retention_period",
        "loki.schemaConfig.configs",
    ],
};

/// grafana-stack.md §4.3-4.4 (Tempo 2.x monolithic chart; scoped overrides).
const TEMPO: Chart = Chart {
    values: "charts/tempo/values.yaml",
    rendered: "tempo/values.yaml",
    free_form: &[
        "tempo.extraArgs",
        "tempo.extraEnvFrom",
        "tempo.resources",
        "tempo.ingester",
        "tempo.storage.trace.s3",
        "tempo.overrides.defaults",
        "tempo.per_tenant_overrides",
    ],
    documented: &[],
    product_keys: &[
        "tempo.extraArgs.config.expand-env",
        "tempo.ingester.max_block_duration",
        "tempo.storage.trace.s3.bucket",
        "tempo.storage.trace.s3.endpoint",
        "tempo.storage.trace.s3.region",
        "tempo.storage.trace.s3.insecure",
        "tempo.storage.trace.s3.forcepathstyle",
        "tempo.overrides.defaults.ingestion.rate_limit_bytes",
        "tempo.overrides.defaults.ingestion.burst_size_bytes",
        "tempo.overrides.defaults.ingestion.max_traces_per_user",
        "tempo.per_tenant_overrides.*.ingestion.rate_limit_bytes",
        "tempo.per_tenant_overrides.*.ingestion.burst_size_bytes",
        "tempo.per_tenant_overrides.*.ingestion.max_traces_per_user",
        "tempo.per_tenant_overrides.*.global.max_bytes_per_trace",
        "tempo.per_tenant_overrides.*.compaction.block_retention",
    ],
};

/// grafana-stack.md §4.2-4.4 (tempo-distributed 3.x; Tempo 3 block_builder).
const TEMPO_DISTRIBUTED: Chart = Chart {
    values: "charts/tempo-distributed/values.yaml",
    rendered: "tempo/values.yaml",
    free_form: &[
        "global.extraArgs",
        "global.extraEnvFrom",
        "blockBuilder.resources",
        "liveStore.resources",
        "storage.trace.s3",
        "tempo.structuredConfig",
        "overrides.defaults",
        "per_tenant_overrides",
    ],
    documented: &[],
    product_keys: &[
        "global.extraArgs",
        "storage.trace.s3.bucket",
        "storage.trace.s3.endpoint",
        "storage.trace.s3.region",
        "storage.trace.s3.insecure",
        "storage.trace.s3.forcepathstyle",
        "tempo.structuredConfig.block_builder.consume_cycle_duration",
        "overrides.defaults.ingestion.rate_limit_bytes",
        "overrides.defaults.ingestion.burst_size_bytes",
        "overrides.defaults.ingestion.max_traces_per_user",
        "per_tenant_overrides.*.ingestion.rate_limit_bytes",
        "per_tenant_overrides.*.ingestion.burst_size_bytes",
        "per_tenant_overrides.*.ingestion.max_traces_per_user",
        "per_tenant_overrides.*.global.max_bytes_per_trace",
        "per_tenant_overrides.*.compaction.block_retention",
    ],
};

/// grafana-stack.md §5 (Pyroscope 2.2; v2 storage; limits and tenant overrides).
const PYROSCOPE: Chart = Chart {
    values: "charts/pyroscope/values.yaml",
    rendered: "pyroscope/values.yaml",
    free_form: &[
        "pyroscope.extraArgs",
        "pyroscope.extraEnvFrom",
        "pyroscope.resources",
        "pyroscope.topologySpreadConstraints",
        "pyroscope.structuredConfig",
        "pyroscope.tenantOverrides",
    ],
    documented: &[],
    product_keys: &[
        "pyroscope.extraArgs.config.expand-env",
        "pyroscope.structuredConfig.multitenancy_enabled",
        "pyroscope.structuredConfig.storage.backend",
        "pyroscope.structuredConfig.storage.s3.bucket_name",
        "pyroscope.structuredConfig.storage.s3.endpoint",
        "pyroscope.structuredConfig.storage.s3.access_key_id",
        "pyroscope.structuredConfig.storage.s3.secret_access_key",
        "pyroscope.structuredConfig.storage.s3.insecure",
        "pyroscope.structuredConfig.storage.s3.bucket_lookup_type",
        "pyroscope.structuredConfig.storage.s3.region",
        "pyroscope.structuredConfig.limits.ingestion_rate_mb",
        "pyroscope.structuredConfig.limits.ingestion_burst_size_mb",
        "pyroscope.tenantOverrides.*.ingestion_rate_mb",
        "pyroscope.tenantOverrides.*.ingestion_burst_size_mb",
        "pyroscope.tenantOverrides.*.retention_period",
    ],
};

/// k8s-manifests.md §5 (sentry chart 25.20.0). `user.existingSecret*`, `sentry.existingSecret*`
/// and the `filestore.s3` keys appear only in comments of values.yaml (the reference confirms them
/// from the templates); `postgresql.auth.existingSecret` belongs to the Bitnami subchart.
const SENTRY: Chart = Chart {
    values: "charts/sentry/values.yaml",
    rendered: "sentry/values.yaml",
    free_form: &["filestore.s3"],
    documented: &[
        "user.existingSecret",
        "user.existingSecretKey",
        "sentry.existingSecret",
        "sentry.existingSecretKey",
        "postgresql.auth.existingSecret",
        // Read by templates/sentry/cleanup/cronjob-sentry-cleanup.yaml, absent from values.yaml.
        "sentry.cleanup.resources",
    ],
    product_keys: &[
        "filestore.s3.existingSecret",
        "filestore.s3.accessKeyIdRef",
        "filestore.s3.secretAccessKeyRef",
        "filestore.s3.bucketName",
        "filestore.s3.endpointUrl",
        "filestore.s3.region_name",
        "filestore.s3.signature_version",
        "filestore.s3.addressing_style",
    ],
};

/// k8s-manifests.md §4 (k8sgpt-operator chart 0.2.27).
const K8SGPT: Chart = Chart {
    values: "charts/k8sgpt-operator/values.yaml",
    rendered: "k8sgpt/values.yaml",
    free_form: &[],
    documented: &[],
    product_keys: &[],
};

/// The keys below which Kubernetes objects (not product config) sit: their contents are not
/// product keys.
const KUBERNETES_OBJECTS: &[&str] = &[
    "podLabels",
    "envValueFrom",
    "extraEnvFrom",
    "resources",
    "topologySpreadConstraints",
    "schemaConfig",
];

fn check_chart(reference: &std::path::Path, chart: &Chart, repo: &Repo, environments: &[&str]) {
    let chart_values: Value =
        serde_norway::from_str(&read(&reference.join(chart.values))).expect("chart values parse");
    for env in environments {
        let path = format!("out/{env}/{}", chart.rendered);
        let rendered: Value =
            serde_norway::from_str(&repo.read(&path)).expect("rendered values parse");
        let mut unknown = Vec::new();
        unknown_paths(&rendered, &chart_values, "", chart, &mut unknown);
        assert!(
            unknown.is_empty(),
            "{path}: value paths not in {}: {unknown:?}",
            chart.values
        );
    }
}

/// Collects the paths of `rendered` that `chart` does not have and that no rule above allows.
fn unknown_paths(
    rendered: &Value,
    chart_values: &Value,
    path: &str,
    chart: &Chart,
    unknown: &mut Vec<String>,
) {
    if chart.free_form.contains(&path) {
        product_paths(rendered, path, chart, unknown);
        return;
    }
    if chart.documented.contains(&path) {
        return;
    }
    let Value::Mapping(rendered) = rendered else {
        return;
    };
    for (key, value) in rendered {
        let key = key.as_str().unwrap_or_default();
        let child = if path.is_empty() {
            key.to_owned()
        } else {
            format!("{path}.{key}")
        };
        match chart_values.get(key) {
            None if chart.free_form.contains(&child.as_str())
                || chart.documented.contains(&child.as_str()) =>
            {
                unknown_paths(value, &Value::Null, &child, chart, unknown);
            }
            None => unknown.push(child),
            // A container's `resources` the chart has (often as `{}`): its contents are a
            // Kubernetes ResourceRequirements, which no values file spells out. Likewise a
            // pod's `podAnnotations`: its keys are annotation names (the collector's
            // `prometheus.io/*`), not value paths.
            Some(_) if key == "resources" || key == "podAnnotations" => {}
            Some(chart_value) => unknown_paths(value, chart_value, &child, chart, unknown),
        }
    }
}

/// Below a free-form key: every leaf must be a documented product key (tenant ids as `*`).
fn product_paths(value: &Value, path: &str, chart: &Chart, unknown: &mut Vec<String>) {
    if KUBERNETES_OBJECTS.iter().any(|key| path.ends_with(key)) {
        return;
    }
    match value {
        Value::Mapping(map) => {
            for (key, child) in map {
                let key = key.as_str().unwrap_or_default();
                let tenant_level = path.ends_with("overrides")
                    || path.ends_with("per_tenant_overrides")
                    || path.ends_with("tenantOverrides");
                let segment = if tenant_level { "*" } else { key };
                product_paths(child, &format!("{path}.{segment}"), chart, unknown);
            }
        }
        _ if chart.product_keys.contains(&path) => {}
        _ => unknown.push(format!(
            "{path} (product config key not in the list of documented keys)"
        )),
    }
}

fn rendered_example() -> Repo {
    let repo = Repo::example();
    assert_exit(&repo.run(&["render"]), 0);
    repo
}

const ENVIRONMENTS: &[&str] = &["dev", "staging", "prod"];

#[test]
fn mimir_values_paths_exist_in_the_chart() {
    let Some(reference) = shared_reference() else {
        return;
    };
    check_chart(&reference, &MIMIR, &rendered_example(), ENVIRONMENTS);
}

#[test]
fn loki_values_paths_exist_in_the_chart() {
    let Some(reference) = shared_reference() else {
        return;
    };
    check_chart(&reference, &LOKI, &rendered_example(), ENVIRONMENTS);
}

#[test]
fn loki_values_validate_against_the_chart_schema() {
    let Some(reference) = shared_reference() else {
        return;
    };
    let schema: serde_json::Value =
        serde_json::from_str(&read(&reference.join("charts/loki/values.schema.json")))
            .expect("schema parses");
    let validator = jsonschema::validator_for(&schema).expect("schema compiles");
    let repo = rendered_example();
    for env in ENVIRONMENTS {
        let values: serde_json::Value =
            serde_norway::from_str(&repo.read(&format!("out/{env}/loki/values.yaml")))
                .expect("parse");
        let errors: Vec<String> = validator
            .iter_errors(&values)
            .map(|e| format!("{}: {e}", e.instance_path().as_str()))
            .collect();
        assert!(errors.is_empty(), "{env}/loki/values.yaml: {errors:#?}");
    }
}

#[test]
fn tempo_values_paths_exist_in_the_chart() {
    let Some(reference) = shared_reference() else {
        return;
    };
    check_chart(&reference, &TEMPO, &rendered_example(), ENVIRONMENTS);
}

#[test]
fn tempo_distributed_values_paths_exist_in_the_chart() {
    let Some(reference) = shared_reference() else {
        return;
    };
    let repo = crate::backends::microservices_example();
    check_chart(&reference, &TEMPO_DISTRIBUTED, &repo, ENVIRONMENTS);
}

#[test]
fn pyroscope_values_paths_exist_in_the_chart() {
    let Some(reference) = shared_reference() else {
        return;
    };
    let repo = Repo::example();
    repo.edit(
        "environments/prod.kdl",
        "logs replicas=3",
        "profiles replicas=3 {\n        resources memory=\"1Gi\"\n    }\n    logs replicas=3",
    );
    assert_exit(&repo.run(&["render"]), 0);
    check_chart(&reference, &PYROSCOPE, &repo, ENVIRONMENTS);
}

#[test]
fn sentry_values_paths_exist_in_the_chart() {
    let Some(reference) = shared_reference() else {
        return;
    };
    check_chart(&reference, &SENTRY, &rendered_example(), ENVIRONMENTS);
}

#[test]
fn k8sgpt_values_paths_exist_in_the_chart() {
    let Some(reference) = shared_reference() else {
        return;
    };
    check_chart(&reference, &K8SGPT, &rendered_example(), ENVIRONMENTS);
}

/// The checker itself: a misspelt chart key and a misspelt product key are both caught.
#[test]
fn the_path_check_catches_typos() {
    let Some(reference) = shared_reference() else {
        return;
    };
    let chart_values: Value =
        serde_norway::from_str(&read(&reference.join(MIMIR.values))).expect("parse");
    let rendered: Value = serde_norway::from_str(
        "minio:\n  enabeld: false\nmimir:\n  structuredConfig:\n    multitenancy_enable: true\n",
    )
    .expect("parse");
    let mut unknown = Vec::new();
    unknown_paths(&rendered, &chart_values, "", &MIMIR, &mut unknown);
    assert_eq!(
        unknown,
        [
            "minio.enabeld",
            "mimir.structuredConfig.multitenancy_enable (product config key not in the list of documented keys)"
        ]
    );
}

/// grafana-stack.md §6.4 (alloy chart 1.11.1). `controller.podLabels` and `alloy.resources` take
/// Kubernetes objects.
const ALLOY: Chart = Chart {
    values: "charts/alloy/values.yaml",
    rendered: "alloy/values.yaml",
    free_form: &["controller.podLabels", "alloy.resources"],
    documented: &[],
    product_keys: &[],
};

#[test]
fn alloy_values_paths_exist_in_the_chart() {
    let Some(reference) = shared_reference() else {
        return;
    };
    check_chart(&reference, &ALLOY, &rendered_example(), ENVIRONMENTS);
}

/// grafana-stack.md §7 (grafana chart 12.11.1). `envValueFrom` maps variable names of our choosing
/// to EnvVarSources.
const GRAFANA: Chart = Chart {
    values: "charts/grafana/values.yaml",
    rendered: "grafana/values.yaml",
    free_form: &["envValueFrom"],
    documented: &[],
    product_keys: &[],
};

#[test]
fn grafana_values_paths_exist_in_the_chart() {
    let Some(reference) = shared_reference() else {
        return;
    };
    check_chart(&reference, &GRAFANA, &rendered_example(), ENVIRONMENTS);
}
