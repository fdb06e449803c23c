//! The rendered values through the real upstream charts (`../shared/reference/helm-charts`,
//! rendered by real Helm v4): every chart accepts the values of every environment, every object
//! it renders validates, and the objects do what the spec says. See docs/charts.md.

use std::collections::BTreeSet;

use crate::common::charts::{ChartRelease, chart_dir, releases, tools_available};
use crate::common::{read, repo_root};

/// Every Helm-chart Application of the example, with its chart at the version its environment's
/// versions file pins; a pinned version whose chart is not in the reference is reported.
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
        .map(|release: &ChartRelease| release.component.as_str())
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
