//! The component catalog as data: adding a component is one catalog entry plus its templates.
//! A made-up backend with one bucket and one values template gets everything the real
//! components get: its values file, its Application at its wave, its bucket claim, its place in
//! the kustomization and the AppProject, and its chart in Kargo's Warehouses and Stages.

use lgtmc::catalog::{self, Bucket, Chart, Component, Delivery};
use lgtmc::plan::{self, EnvironmentPlan};
use lgtmc::render;
use lgtmc::validate::ValidSpec;

use crate::common::repo_root;

const DEMO_CHART: Chart = Chart {
    name: "demo-backend",
    repo: "https://charts.example.com/demo",
};

const DEMO: Component = Component {
    name: "demo",
    delivery: Delivery::Chart {
        chart: DEMO_CHART,
        release: "demo",
    },
    wave: 5,
    enabled: |_| true,
    namespace: |_| "demo-system",
    buckets: &[Bucket {
        name: "demo-data",
        env_prefix: "DATA_",
        fixed_per_environment: false,
    }],
    files: &[("demo/values.yaml", "demo/values.yaml.j2")],
};

/// The made-up chart's values: its bucket claim, read the way every backend reads its own.
const DEMO_VALUES: &str = r#"{% import "_macros.yaml.j2" as m %}
storage:
  bucket: {{ (storage.buckets | selectattr("component", "equalto", "demo") | first).name }}
extraEnvFrom:
  {{ m.env_from(storage.buckets | selectattr("component", "equalto", "demo")) | indent(2) }}
"#;

fn example() -> ValidSpec {
    lgtmc::compiler::validate_spec(&repo_root()).expect("the example spec is valid")
}

/// The example rendered with `catalog` and the demo's template, verified as `render` verifies.
fn render_with(catalog: &[Component], mut spec: ValidSpec) -> lgtmc::emit::RenderedTree {
    // The versions file pins the demo's chart as it pins every chart the environment deploys.
    for environment in &mut spec.environments {
        (environment.versions).insert(DEMO_CHART.name.to_owned(), "1.4.0".to_owned());
    }
    let plans: Vec<EnvironmentPlan> = (spec.environments.iter())
        .map(|environment| plan::plan_with(catalog, environment))
        .collect();
    let stages = plans.iter().map(plan::StageSource::of).collect();
    let (kargo, kargo_artifacts) = plan::kargo(stages, &spec.environments);
    let mut env = render::environment(None).expect("the embedded templates");
    env.add_template("demo/values.yaml.j2", DEMO_VALUES)
        .expect("the demo's template parses");
    let sources: Vec<String> = spec.files.iter().map(|file| file.name.clone()).collect();
    let rendered = render::render(&env, &plans, &kargo, &kargo_artifacts, &sources)
        .expect("the platform renders");
    let directories: Vec<lgtmc::verify::EnvironmentDir> = (plans.iter())
        .map(|plan| lgtmc::verify::EnvironmentDir {
            environment: plan.environment.clone(),
            repo_dir: plan.delivery.env_dir.clone(),
        })
        .collect();
    let tree = match lgtmc::verify::verify(&rendered) {
        Ok(tree) => tree,
        Err(errors) => panic!("the rendered files do not parse: {errors:?}"),
    };
    if let Err(errors) = lgtmc::verify::cross_check(&rendered, &tree, &directories) {
        panic!("the rendered files disagree: {errors:?}");
    }
    rendered.files
}

fn with_demo() -> Vec<Component> {
    catalog::CATALOG.iter().copied().chain([DEMO]).collect()
}

#[track_caller]
fn assert_has(files: &lgtmc::emit::RenderedTree, path: &str, expected: &[&str]) {
    let text = files
        .get(path)
        .unwrap_or_else(|| panic!("{path} is not rendered"));
    for line in expected {
        assert!(
            text.lines().any(|l| l.trim_end() == *line),
            "{path} has no line `{line}`:\n{text}"
        );
    }
}

#[test]
fn a_catalog_entry_and_its_template_deploy_a_component() {
    let files = render_with(&with_demo(), example());
    assert_has(
        &files,
        "dev/demo/values.yaml",
        &[
            "  bucket: \"demo-data\"",
            "  - prefix: \"DATA_\"",
            "      name: \"demo-data\"",
        ],
    );
    assert_has(
        &files,
        "dev/argocd/demo.yaml",
        &[
            "  name: \"demo-dev\"",
            "    argocd.argoproj.io/sync-wave: \"5\"",
            "    namespace: \"demo-system\"",
            "    - repoURL: \"https://charts.example.com/demo\"",
            "      chart: \"demo-backend\"",
            "      targetRevision: 1.4.0",
            "        releaseName: \"demo\"",
            "          - \"$values/out/dev/demo/values.yaml\"",
        ],
    );
    assert_has(
        &files,
        "dev/buckets/claims.yaml",
        &[
            "  name: \"demo-data\"",
            "  namespace: \"demo-system\"",
            "  generateBucketName: \"demo-data\"",
        ],
    );
    assert_has(
        &files,
        "dev/buckets/namespaces.yaml",
        &["  name: \"demo-system\""],
    );
    assert_has(
        &files,
        "dev/kustomization.yaml",
        &["  - \"argocd/demo.yaml\""],
    );
    assert_has(
        &files,
        "dev/argocd/project.yaml",
        &[
            "    - \"https://charts.example.com/demo\"",
            "      namespace: \"demo-system\"",
        ],
    );
    assert_has(
        &files,
        "kargo/warehouses.yaml",
        &["  name: \"demo-backend\""],
    );
    assert_has(
        &files,
        "kargo/stages.yaml",
        &[
            "        name: \"demo-backend\"",
            "              - key: \"demo-backend\"",
            "            path: \"./repo/out/dev/argocd/demo.yaml\"",
            "              - name: \"demo-dev\"",
        ],
    );
}

#[test]
fn the_new_component_adds_only_its_own_files() {
    let plain = render_with(catalog::CATALOG, example());
    let demo = render_with(&with_demo(), example());
    let added: Vec<&String> = demo.keys().filter(|p| !plain.contains_key(*p)).collect();
    let mut expected = Vec::new();
    for env in ["dev", "staging", "prod"] {
        expected.push(format!("{env}/argocd/demo.yaml"));
        expected.push(format!("{env}/demo/values.yaml"));
    }
    expected.sort();
    assert_eq!(added, expected.iter().collect::<Vec<_>>());
    assert!(plain.keys().all(|path| demo.contains_key(path)));
}

#[test]
fn the_built_in_catalog_is_the_plain_plan() {
    let spec = example();
    for environment in &spec.environments {
        let plain = plan::plan(environment);
        let explicit = plan::plan_with(catalog::CATALOG, environment);
        let paths = |plan: &EnvironmentPlan| -> Vec<(String, &'static str)> {
            (plan.artifacts.iter())
                .map(|artifact| (artifact.path.clone(), artifact.template))
                .collect()
        };
        assert_eq!(paths(&plain), paths(&explicit));
    }
}

/// The backends' plans name their releases for their own templates; the Applications take them
/// from the catalog. Both must agree.
#[test]
fn every_release_is_the_catalogs() {
    let spec = example();
    for environment in &spec.environments {
        let plan = plan::plan(environment);
        for app in &plan.delivery.charts {
            let release = match app.component.as_str() {
                "mimir" => plan.mimir.release,
                "loki" => plan.loki.release,
                "tempo" => plan.tempo.release,
                "pyroscope" => plan.pyroscope.release,
                "alloy" => plan.collector.release,
                "grafana" => plan.grafana.release,
                "sentry" => plan.sentry.as_ref().expect("sentry's plan").release,
                "k8sgpt" => plan.k8sgpt.as_ref().expect("k8sgpt's plan").release,
                other => panic!("no plan for the component `{other}`"),
            };
            assert_eq!(app.release, release, "{}", app.component);
        }
    }
}

/// Every bucket a backend's plan claims (and its values read) is a claim of `storage.buckets`.
#[test]
fn every_backend_bucket_is_claimed() {
    let spec = example();
    for environment in &spec.environments {
        let plan = plan::plan(environment);
        let mut backend = vec![
            &plan.mimir.blocks_bucket,
            &plan.mimir.ruler_bucket,
            &plan.mimir.alertmanager_bucket,
            &plan.loki.chunks_bucket,
            &plan.loki.ruler_bucket,
            &plan.tempo.traces_bucket,
            &plan.pyroscope.profiles_bucket,
        ];
        backend.extend(plan.sentry.as_ref().map(|sentry| &sentry.files_bucket));
        for bucket in backend {
            let claim = (plan.storage.buckets.iter())
                .find(|claim| claim.name == bucket.name)
                .unwrap_or_else(|| panic!("no claim of {}", bucket.name));
            assert_eq!(
                (&claim.namespace, &claim.env_prefix, &claim.fixed_name),
                (&bucket.namespace, &bucket.env_prefix, &bucket.fixed_name)
            );
        }
    }
}

/// Grafana's plan names its alerting files in its ConfigMap; the catalog renders them.
#[test]
fn grafana_provisioning_renders_every_alerting_file() {
    for file in lgtmc::plan::grafana::ALERTING_FILES {
        let path = format!("grafana/provisioning/alerting/{file}");
        assert!(
            (catalog::GRAFANA_PROVISIONING.files.iter()).any(|(f, _)| *f == path),
            "{path}"
        );
    }
}
