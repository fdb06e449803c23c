//! The backends' values: per-tenant retention reaches exactly the right lines, the Tempo layouts,
//! and the spec rules that keep each backend's values acceptable to it.

use std::collections::BTreeMap;

use crate::common::{Repo, assert_exit, stderr};

/// Changed lines per file: path → (removed lines, added lines).
fn changed_lines(
    before: &BTreeMap<String, Vec<u8>>,
    after: &BTreeMap<String, Vec<u8>>,
) -> BTreeMap<String, (Vec<String>, Vec<String>)> {
    let mut changes = BTreeMap::new();
    for (path, old) in before {
        let new = after.get(path).cloned().unwrap_or_default();
        if *old == new {
            continue;
        }
        let (old, new) = (String::from_utf8_lossy(old), String::from_utf8_lossy(&new));
        let diff = similar::TextDiff::from_lines(old.as_ref(), new.as_ref());
        let mut removed = Vec::new();
        let mut added = Vec::new();
        for change in diff.iter_all_changes() {
            let line = change.value().trim_end().to_owned();
            match change.tag() {
                similar::ChangeTag::Delete => removed.push(line),
                similar::ChangeTag::Insert => added.push(line),
                similar::ChangeTag::Equal => {}
            }
        }
        changes.insert(path.clone(), (removed, added));
    }
    changes
}

#[test]
fn one_tenants_retention_changes_exactly_its_lines_in_every_backend() {
    let repo = Repo::example();
    assert_exit(&repo.run(&["render"]), 0);
    let before = repo.snapshot_tree("out");
    repo.edit("platform.kdl", "retention=\"14d\"", "retention=\"30d\"");
    assert_exit(&repo.run(&["render"]), 0);
    let after = repo.snapshot_tree("out");
    assert_eq!(
        before.keys().collect::<Vec<_>>(),
        after.keys().collect::<Vec<_>>()
    );

    let lines = |old: &str, new: &str| (vec![old.to_owned()], vec![new.to_owned()]);
    let mut expected = BTreeMap::new();
    for env in ["dev", "staging", "prod"] {
        expected.insert(
            format!("{env}/mimir/values.yaml"),
            lines(
                "      compactor_blocks_retention_period: \"14d\"",
                "      compactor_blocks_retention_period: \"30d\"",
            ),
        );
        expected.insert(
            format!("{env}/loki/values.yaml"),
            lines(
                "        retention_period: \"336h\"",
                "        retention_period: \"720h\"",
            ),
        );
        expected.insert(
            format!("{env}/tempo/values.yaml"),
            lines(
                "        block_retention: \"336h\"",
                "        block_retention: \"720h\"",
            ),
        );
        expected.insert(
            format!("{env}/pyroscope/values.yaml"),
            lines(
                "      retention_period: \"336h\"",
                "      retention_period: \"720h\"",
            ),
        );
    }
    let actual = changed_lines(&before, &after);
    // Only the agents tenant's retention changes, once per backend and environment; the
    // collector and dashboards (if any) are untouched.
    let backends: BTreeMap<String, (Vec<String>, Vec<String>)> = actual
        .iter()
        .filter(|(path, _)| expected.contains_key(*path))
        .map(|(path, change)| (path.clone(), change.clone()))
        .collect();
    assert_eq!(backends, expected);
    let others: Vec<&String> = actual
        .keys()
        .filter(|path| !expected.contains_key(*path))
        .collect();
    assert!(
        others
            .iter()
            .all(|path| !path.ends_with("values.yaml") || path.contains("/grafana/")),
        "unexpected changes in {others:?}"
    );
}

/// The example with Tempo in microservices mode (the tempo-distributed chart), rendered.
pub(crate) fn microservices_example() -> Repo {
    let repo = Repo::example();
    repo.edit(
        "platform.kdl",
        "mode=\"monolithic\"",
        "mode=\"microservices\" kafka=\"kafka.kafka.svc:9092\" replicas=3",
    );
    use_distributed_tempo_chart(&repo);
    assert_exit(&repo.run(&["render"]), 0);
    repo
}

#[test]
fn microservices_tempo_uses_the_distributed_chart_and_kafka() {
    let repo = microservices_example();
    let values: serde_norway::Value =
        serde_norway::from_str(&repo.read("out/prod/tempo/values.yaml")).expect("YAML");
    assert_eq!(
        values["ingest"]["kafka"]["address"].as_str(),
        Some("kafka.kafka.svc:9092")
    );
    assert_eq!(
        values["ingest"]["kafka"]["auto_create_topic_default_partitions"].as_u64(),
        Some(3)
    );
    assert_eq!(values["blockBuilder"]["replicas"].as_u64(), Some(3));
    assert_eq!(values["liveStore"]["replicas"].as_u64(), Some(3));
    assert_eq!(values["multitenancyEnabled"].as_bool(), Some(true));
    let agents = &values["per_tenant_overrides"]["agents"];
    assert_eq!(
        agents["compaction"]["block_retention"].as_str(),
        Some("336h")
    );
    assert!(agents["ingestion"]["rate_limit_bytes"].as_u64().is_some());
    assert!(agents["global"]["max_bytes_per_trace"].as_u64().is_some());
}

#[test]
fn tempo_overrides_write_every_field_for_every_tenant() {
    let repo = Repo::example();
    assert_exit(&repo.run(&["render"]), 0);
    let values: serde_norway::Value =
        serde_norway::from_str(&repo.read("out/dev/tempo/values.yaml")).expect("YAML");
    let overrides = values["tempo"]["per_tenant_overrides"]
        .as_mapping()
        .expect("a map");
    assert_eq!(overrides.len(), 3);
    for (tenant, block) in overrides {
        for path in [
            ["ingestion", "rate_limit_bytes"],
            ["ingestion", "burst_size_bytes"],
            ["ingestion", "max_traces_per_user"],
            ["global", "max_bytes_per_trace"],
            ["compaction", "block_retention"],
        ] {
            assert!(
                !block[path[0]][path[1]].is_null(),
                "{tenant:?} lacks {path:?}"
            );
        }
    }
}

#[track_caller]
fn rejected(file: &str, from: &str, to: &str) -> String {
    let repo = Repo::example();
    repo.edit(file, from, to);
    let output = repo.run(&["validate"]);
    assert_exit(&output, 2);
    stderr(&output)
}

#[test]
fn microservices_tempo_needs_kafka() {
    let repo = Repo::example();
    repo.edit(
        "platform.kdl",
        "mode=\"monolithic\"",
        "mode=\"microservices\"",
    );
    use_distributed_tempo_chart(&repo);
    let output = repo.run(&["validate"]);
    assert_exit(&output, 2);
    insta::assert_snapshot!(stderr(&output));
}

/// Microservices mode deploys the tempo-distributed chart, so each environment pins its version.
pub(crate) fn use_distributed_tempo_chart(repo: &Repo) {
    for env in ["dev", "staging", "prod"] {
        repo.edit(
            &format!("versions/{env}.yaml"),
            "tempo: 2.2.4",
            "tempo-distributed: 3.3.0",
        );
    }
}

#[test]
fn monolithic_tempo_runs_one_replica() {
    insta::assert_snapshot!(rejected(
        "environments/prod.kdl",
        "    logs replicas=3",
        "    traces replicas=3\n    logs replicas=3"
    ));
}

#[test]
fn the_block_range_must_divide_twelve_hours() {
    insta::assert_snapshot!(rejected(
        "platform.kdl",
        "block-range=\"2h\"",
        "block-range=\"5h\""
    ));
}

#[test]
fn logs_are_kept_at_least_a_day() {
    insta::assert_snapshot!(rejected(
        "platform.kdl",
        "retention=\"7d\"",
        "retention=\"12h\""
    ));
}

/// Loki chart rule (its `templates/validate.yaml`): replicas in both the single binary and the
/// simple-scalable targets (3 each by default) are refused, so monolithic mode sets each of
/// those targets to 0 replicas, in every environment and whatever the single binary runs.
#[test]
fn loki_monolithic_mode_switches_the_scalable_targets_off() {
    let repo = Repo::example();
    repo.edit(
        "environments/prod.kdl",
        "logs replicas=3",
        "logs replicas=5",
    );
    assert_exit(&repo.run(&["render"]), 0);
    for env in ["dev", "staging", "prod"] {
        let values: serde_norway::Value =
            serde_norway::from_str(&repo.read(&format!("out/{env}/loki/values.yaml")))
                .expect("YAML");
        assert_eq!(
            values["deploymentMode"].as_str(),
            Some("Monolithic"),
            "{env}"
        );
        for target in ["backend", "read", "write"] {
            assert_eq!(
                values[target]["replicas"].as_u64(),
                Some(0),
                "{env}: {target}"
            );
        }
    }
    let prod: serde_norway::Value =
        serde_norway::from_str(&repo.read("out/prod/loki/values.yaml")).expect("YAML");
    assert_eq!(prod["singleBinary"]["replicas"].as_u64(), Some(5));
}
