//! Rendered Helm values against the upstream charts in ../shared/reference: every value path we
//! set must exist in the chart's values.yaml, or sit below a key whose contents the chart passes
//! on without a schema (the product's own config, env lists, free-form maps).

use serde_norway::Value;

use crate::common::{Repo, assert_exit, shared_reference};

/// Keys below which the chart takes whatever it is given.
const MIMIR_FREE_FORM: &[&str] = &[
    "mimir.structuredConfig",
    "runtimeConfig",
    "global.extraEnvFrom",
];

#[test]
fn mimir_values_paths_exist_in_the_chart() {
    let Some(reference) = shared_reference() else {
        return;
    };
    let chart: Value = serde_norway::from_str(&crate::common::read(
        &reference.join("charts/mimir-distributed/values.yaml"),
    ))
    .expect("chart values parse");
    let repo = Repo::example();
    assert_exit(&repo.run(&["render"]), 0);
    for env in ["dev", "staging", "prod"] {
        let rendered: Value =
            serde_norway::from_str(&repo.read(&format!("out/{env}/mimir/values.yaml")))
                .expect("parse");
        let mut unknown = Vec::new();
        unknown_paths(&rendered, &chart, "", MIMIR_FREE_FORM, &mut unknown);
        assert!(
            unknown.is_empty(),
            "{env}: value paths not in mimir-distributed values.yaml: {unknown:?}"
        );
    }
}

/// Collects the paths of `rendered` that `chart` does not have.
pub(crate) fn unknown_paths(
    rendered: &Value,
    chart: &Value,
    path: &str,
    free_form: &[&str],
    unknown: &mut Vec<String>,
) {
    if free_form.contains(&path) {
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
        match chart.get(key) {
            None => unknown.push(child),
            Some(chart_value) => unknown_paths(value, chart_value, &child, free_form, unknown),
        }
    }
}

/// Keys of the grafana chart below which it takes whatever it is given: `envValueFrom` maps
/// variable names of our choosing to EnvVarSources.
const GRAFANA_FREE_FORM: &[&str] = &["envValueFrom"];

#[test]
fn grafana_values_paths_exist_in_the_chart() {
    let Some(reference) = shared_reference() else {
        return;
    };
    let chart: Value = serde_norway::from_str(&crate::common::read(
        &reference.join("charts/grafana/values.yaml"),
    ))
    .expect("chart values parse");
    let repo = Repo::example();
    assert_exit(&repo.run(&["render"]), 0);
    for env in ["dev", "staging", "prod"] {
        let rendered: Value =
            serde_norway::from_str(&repo.read(&format!("out/{env}/grafana/values.yaml")))
                .expect("parse");
        let mut unknown = Vec::new();
        unknown_paths(&rendered, &chart, "", GRAFANA_FREE_FORM, &mut unknown);
        assert!(
            unknown.is_empty(),
            "{env}: value paths not in grafana values.yaml: {unknown:?}"
        );
    }
}
