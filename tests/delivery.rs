//! Storage and delivery: bucket claims, Argo CD Applications, the Kargo promotion that keeps
//! `lgtmc check` clean, and kustomizations that the real `kubectl kustomize` builds.

use std::process::Command;

use crate::common::{Repo, assert_exit, stderr};

fn yaml_documents(text: &str) -> Vec<serde_norway::Value> {
    use serde::Deserialize;
    serde_norway::Deserializer::from_str(text)
        .map(|document| serde_norway::Value::deserialize(document).expect("YAML"))
        .collect()
}

/// The line and 0-based column of the scalar at a dotted key path (`spec.sources.0.targetRevision`)
/// in block-style YAML as lgtmc writes it: what Kargo's `yaml-update` finds with its YAML parser.
fn scalar_position(text: &str, key: &str) -> Option<(usize, usize)> {
    let lines: Vec<&str> = text.lines().collect();
    let (mut from, mut to) = (0, lines.len());
    let mut min_indent = 0;
    let parts: Vec<&str> = key.split('.').collect();
    for (index, part) in parts.iter().enumerate() {
        let last = index + 1 == parts.len();
        let mut found = None;
        if let Ok(item) = part.parse::<usize>() {
            // The item-th `- ` entry at the shallowest indent of this block.
            let mut seen = 0;
            for (number, line) in lines.iter().enumerate().take(to).skip(from) {
                let indent = line.len() - line.trim_start().len();
                if indent >= min_indent && line.trim_start().starts_with("- ") {
                    if seen == item {
                        found = Some((number, indent + 2));
                        break;
                    }
                    seen += 1;
                }
            }
            let (number, indent) = found?;
            // The item's mapping: its first key is on the dash line.
            from = number;
            to = (number + 1..to)
                .find(|&n| {
                    let line = lines[n];
                    !line.trim().is_empty() && line.len() - line.trim_start().len() < indent
                })
                .unwrap_or(to);
            min_indent = indent;
            continue;
        }
        for (number, line) in lines.iter().enumerate().take(to).skip(from) {
            let content = line.trim_start_matches([' ', '-']);
            let indent = line.len() - content.len();
            if indent >= min_indent && content.starts_with(&format!("{part}:")) {
                found = Some((number, indent));
                break;
            }
        }
        let (number, indent) = found?;
        if last {
            let after_key = indent + part.len() + 1;
            let value_start =
                lines[number][after_key..].len() - lines[number][after_key..].trim_start().len();
            return Some((number, after_key + value_start));
        }
        from = number + 1;
        to = (from..to)
            .find(|&n| {
                let line = lines[n];
                !line.trim().is_empty()
                    && line.len() - line.trim_start().len() <= indent
                    && !line.trim_start().starts_with("- ")
            })
            .unwrap_or(to);
        min_indent = indent + 1;
    }
    None
}

/// Kargo's `QuoteIfNecessary` for a string value.
fn kargo_quote(value: &str) -> String {
    let typed = value.parse::<f64>().is_ok()
        || matches!(
            value,
            "1" | "t"
                | "T"
                | "TRUE"
                | "true"
                | "True"
                | "0"
                | "f"
                | "F"
                | "FALSE"
                | "false"
                | "False"
        )
        || serde_json::from_str::<serde_json::Value>(value).is_ok();
    if typed {
        format!("{value:?}")
    } else {
        value.to_owned()
    }
}

/// Kargo's `yaml-update` (`SetValuesInBytes`): from the scalar's column to the end of its line,
/// the new value.
fn yaml_update(text: &str, key: &str, value: &str) -> String {
    let (line, column) = scalar_position(text, key).unwrap_or_else(|| panic!("`{key}` not found"));
    let mut out = String::new();
    for (number, content) in text.lines().enumerate() {
        if number == line {
            let unchanged = &content[..column];
            out.push_str(unchanged);
            if !unchanged.ends_with(' ') {
                out.push(' ');
            }
            out.push_str(&kargo_quote(value));
        } else {
            out.push_str(content);
        }
        out.push('\n');
    }
    out
}

/// The chart a `chartFrom('<repo>', '<chart>', …)` expression asks for.
fn chart_of(expression: &str) -> String {
    let after = expression
        .split("chartFrom('")
        .nth(1)
        .expect("a chartFrom expression");
    after
        .split("', '")
        .nth(1)
        .and_then(|rest| rest.split('\'').next())
        .expect("a chart name")
        .to_owned()
}

/// Applies exactly the `yaml-update` edits of one Stage's promotion, with `version_of` as the
/// versions Kargo found, and returns how many files it edited.
fn promote(
    repo: &Repo,
    stage: &str,
    version_of: &dyn Fn(&str) -> String,
    skip_file: Option<&str>,
) -> usize {
    let stages = yaml_documents(&repo.read("out/kargo/stages.yaml"));
    let stage = stages
        .iter()
        .find(|document| document["metadata"]["name"].as_str() == Some(stage))
        .expect("the stage");
    let mut edited = 0;
    for step in stage["spec"]["promotionTemplate"]["spec"]["steps"]
        .as_sequence()
        .expect("steps")
    {
        if step["uses"].as_str() != Some("yaml-update") {
            continue;
        }
        let path = step["config"]["path"]
            .as_str()
            .expect("a path")
            .trim_start_matches("./repo/");
        if skip_file == Some(path) {
            continue;
        }
        let mut text = repo.read(path);
        for update in step["config"]["updates"].as_sequence().expect("updates") {
            let key = update["key"].as_str().expect("a key");
            let expression = update["value"].as_str().expect("a value");
            assert!(
                expression.starts_with("${{ quote("),
                "the value is a string: {expression}"
            );
            text = yaml_update(&text, key, &version_of(&chart_of(expression)));
        }
        repo.write(path, &text);
        edited += 1;
    }
    edited
}

fn bumped(chart: &str) -> String {
    match chart {
        "mimir-distributed" => "5.7.1".to_owned(),
        "loki" => "18.12.0".to_owned(),
        "tempo" => "2.3.0".to_owned(),
        "pyroscope" => "2.2.2".to_owned(),
        "grafana" => "12.12.0".to_owned(),
        "alloy" => "1.12.0".to_owned(),
        "sentry" => "25.21.0".to_owned(),
        "k8sgpt-operator" => "0.2.28".to_owned(),
        other => panic!("unexpected chart {other}"),
    }
}

#[test]
fn a_promotion_leaves_check_clean() {
    let repo = Repo::example();
    assert_exit(&repo.run(&["render"]), 0);
    assert_exit(&repo.run(&["check"]), 0);
    let edited = promote(&repo, "staging", &bumped, None);
    assert_eq!(
        edited, 9,
        "the versions file, seven Applications and the collector's ApplicationSet"
    );
    assert!(
        repo.read("versions/staging.yaml")
            .contains("\nmimir-distributed: 5.7.1\n")
    );
    assert!(
        repo.read("out/staging/argocd/mimir.yaml")
            .contains("\n      targetRevision: 5.7.1\n")
    );
    let output = repo.run(&["check"]);
    assert_exit(&output, 0);
    // The other environments are untouched.
    assert!(
        repo.read("out/prod/argocd/mimir.yaml")
            .contains("targetRevision: 5.6.0\n")
    );
}

#[test]
fn half_a_promotion_is_drift() {
    let repo = Repo::example();
    assert_exit(&repo.run(&["render"]), 0);
    promote(&repo, "dev", &bumped, Some("out/dev/argocd/loki.yaml"));
    let output = repo.run(&["check"]);
    assert_exit(&output, 1);
    assert!(crate::common::stdout(&output).contains("changed: dev/argocd/loki.yaml"));
}

#[test]
fn a_promoted_version_that_looks_like_a_number_is_quoted_alike() {
    let repo = Repo::example();
    assert_exit(&repo.run(&["render"]), 0);
    // Kargo quotes a string that YAML would read as a number; lgtmc renders it the same way.
    promote(
        &repo,
        "dev",
        &|chart| {
            if chart == "loki" {
                "18.12".to_owned()
            } else {
                bumped(chart)
            }
        },
        None,
    );
    // `18.12` is not a chart version, so the spec rejects it; the file edit itself matched.
    assert!(
        repo.read("out/dev/argocd/loki.yaml")
            .contains("targetRevision: \"18.12\"\n")
    );
    let output = repo.run(&["check"]);
    assert_exit(&output, 2);
    assert!(stderr(&output).contains("the version of `loki` must be a chart version like `1.2.3`"));
}

#[test]
fn every_bucket_has_a_claim_in_its_backends_namespace() {
    let repo = Repo::example();
    repo.edit(
        "platform.kdl",
        "ceph namespace=\"rook-ceph\" object-store=\"observability\" replicas=3\n",
        "ceph namespace=\"rook-ceph\" object-store=\"observability\" replicas=3\n        quota \"loki-chunks\" max-size=\"500Gi\" max-objects=5000000\n",
    );
    assert_exit(&repo.run(&["render"]), 0);
    let claims = yaml_documents(&repo.read("out/prod/buckets/claims.yaml"));
    let names: Vec<(&str, &str)> = claims
        .iter()
        .map(|c| {
            (
                c["metadata"]["namespace"].as_str().unwrap_or(""),
                c["metadata"]["name"].as_str().unwrap_or(""),
            )
        })
        .collect();
    assert_eq!(
        names,
        [
            ("loki", "loki-chunks"),
            ("loki", "loki-ruler"),
            ("mimir", "mimir-alertmanager"),
            ("mimir", "mimir-blocks"),
            ("mimir", "mimir-ruler"),
            ("pyroscope", "pyroscope-profiles"),
            ("sentry", "sentry-files"),
            ("tempo", "tempo-traces"),
        ]
    );
    let chunks = &claims[0]["spec"];
    assert_eq!(
        chunks["storageClassName"].as_str(),
        Some("observability-bucket")
    );
    assert_eq!(
        chunks["additionalConfig"]["maxSize"].as_str(),
        Some("500Gi")
    );
    assert_eq!(
        chunks["additionalConfig"]["maxObjects"].as_str(),
        Some("5000000")
    );
    assert!(
        claims[1]["spec"]["additionalConfig"].is_null(),
        "no quota, no additionalConfig"
    );
}

#[test]
fn an_unknown_bucket_quota_is_rejected() {
    let repo = Repo::example();
    repo.edit(
        "platform.kdl",
        "replicas=3\n    }",
        "replicas=3\n        quota \"loki-chunk\" max-size=\"1Gi\"\n    }",
    );
    let output = repo.run(&["validate"]);
    assert_exit(&output, 2);
    insta::assert_snapshot!(stderr(&output));
}

#[test]
fn an_application_pointing_at_a_missing_file_fails_the_render() {
    let repo = Repo::example();
    let template = lgtmc::render::embedded_templates()
        .iter()
        .find(|(name, _)| *name == "argocd/chart.yaml.j2")
        .map(|(_, source)| source.replace("app.values", "app.values ~ \".missing\""))
        .expect("the chart template");
    repo.write("my-templates/argocd/chart.yaml.j2", &template);
    let output = repo.run(&["render", "--templates", "my-templates"]);
    assert_exit(&output, 3);
    let message = stderr(&output).replace("\n  │ ", " ");
    assert!(
        message.contains(
            "reads values `out/dev/mimir/values.yaml.missing`, which lgtmc does not render"
        ),
        "{message}"
    );
    assert!(!repo.path().join("out").exists(), "nothing was written");
}

#[test]
fn a_backend_reading_a_secret_no_claim_creates_fails_the_render() {
    let repo = Repo::example();
    let template = lgtmc::render::embedded_templates()
        .iter()
        .find(|(name, _)| *name == "buckets/claims.yaml.j2")
        .map(|(_, source)| {
            source.replace(
                "name: {{ bucket.name }}\n  namespace",
                "name: {{ bucket.name ~ \"-x\" }}\n  namespace",
            )
        })
        .expect("the claims template");
    repo.write("my-templates/buckets/claims.yaml.j2", &template);
    let output = repo.run(&["render", "--templates", "my-templates"]);
    assert_exit(&output, 3);
    let message = stderr(&output).replace("\n  │ ", " ");
    assert!(
        message.contains("reads Secret or ConfigMap `mimir-blocks` in namespace `mimir`, which no bucket claim creates"),
        "{message}"
    );
}

/// The real `kubectl kustomize` builds every kustomization lgtmc renders.
#[test]
fn every_kustomization_builds_with_kubectl() {
    let Some(kubectl) = crate::common::tool("kubectl") else {
        return;
    };
    let repo = Repo::example();
    assert_exit(&repo.run(&["render"]), 0);
    let tree = repo.snapshot_tree("out");
    let dirs: Vec<&str> = tree
        .keys()
        .filter_map(|path| path.strip_suffix("kustomization.yaml"))
        .collect();
    assert!(dirs.len() >= 10, "{dirs:?}");
    for dir in dirs {
        let path = repo.path().join("out").join(dir);
        let output = Command::new(&kubectl)
            .arg("kustomize")
            .arg(&path)
            .output()
            .expect("kubectl runs");
        assert!(
            output.status.success(),
            "kubectl kustomize out/{dir} failed:\n{}",
            String::from_utf8_lossy(&output.stderr)
        );
        assert!(!output.stdout.is_empty(), "out/{dir} builds to nothing");
    }
}

#[test]
fn two_environments_on_one_cluster_are_rejected() {
    let repo = Repo::example();
    repo.edit(
        "environments/dev.kdl",
        "https://dev.k8s.example.com",
        "https://kubernetes.default.svc",
    );
    let output = repo.run(&["validate"]);
    assert_exit(&output, 2);
    insta::assert_snapshot!(stderr(&output));
}
