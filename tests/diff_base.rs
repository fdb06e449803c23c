//! `lgtmc diff --base REV`: the platform rendered from the spec at a git revision against the one
//! rendered from the working tree, in text, Markdown and JSON.

use serde_json::Value;

use crate::common::{Repo, assert_exit, git, stderr, stdout};

/// The example, committed, then a second commit in which prod overrides one tenant's retention.
fn two_commits() -> Repo {
    let repo = Repo::example();
    assert_exit(&repo.run(&["render"]), 0);
    repo.git_init();
    repo.edit(
        "environments/prod.kdl",
        "    cluster \"https://kubernetes.default.svc\"\n",
        "    cluster \"https://kubernetes.default.svc\"\n    tenant \"agents\" retention=\"30d\"\n",
    );
    assert_exit(&repo.run(&["render"]), 0);
    repo.commit("prod keeps agents for 30 days");
    repo
}

/// Commit ids change with nothing but git's own hashing, yet keep them out of the snapshots.
macro_rules! assert_snapshot_without_commits {
    ($value:expr) => {
        insta::with_settings!({ filters => vec![
            (r"\b[0-9a-f]{40}\b", "[commit]"),
            (r"\b[0-9a-f]{12}\b", "[short commit]"),
        ] }, {
            insta::assert_snapshot!($value);
        });
    };
}

#[test]
fn text_names_the_change_before_the_diff() {
    let repo = two_commits();
    let output = repo.run(&["diff", "--base", "HEAD~1"]);
    assert_exit(&output, 0);
    assert_snapshot_without_commits!(stdout(&output));
}

#[test]
fn markdown_has_a_heading_per_environment_and_a_collapsible_diff() {
    let repo = two_commits();
    let output = repo.run(&["diff", "--base", "HEAD~1", "--format", "markdown"]);
    assert_exit(&output, 0);
    assert_snapshot_without_commits!(stdout(&output));
}

#[test]
fn json_parses_and_is_stable() {
    let repo = two_commits();
    let first = repo.run(&["diff", "--base", "HEAD~1", "--format", "json"]);
    assert_exit(&first, 0);
    let second = repo.run(&["diff", "--base", "HEAD~1", "--format", "json"]);
    assert_eq!(stdout(&first), stdout(&second), "same input, same bytes");
    let json: Value = serde_json::from_str(&stdout(&first)).expect("valid JSON");
    let commit = git(repo.path(), &["rev-parse", "HEAD~1"]);
    assert_eq!(json["base_commit"], commit.trim());
    assert_snapshot_without_commits!(stdout(&first));
}

/// Every (file, key, old, new) the JSON names.
fn changed_keys(json: &Value) -> Vec<(String, String, Value, Value)> {
    let mut keys = Vec::new();
    for environment in json["environments"].as_array().expect("environments") {
        for component in environment["components"].as_array().expect("components") {
            for file in component["files"].as_array().expect("files") {
                // Files that are not YAML (dashboards) have a text diff and no changes.
                for change in file["changes"].as_array().into_iter().flatten() {
                    keys.push((
                        file["path"].as_str().expect("path").to_owned(),
                        change["key"].as_str().expect("key").to_owned(),
                        change["old"].clone(),
                        change["new"].clone(),
                    ));
                }
            }
        }
    }
    keys
}

#[test]
fn the_summary_names_exactly_the_changed_keys() {
    let repo = Repo::example();
    repo.git_init();
    repo.edit(
        "platform.kdl",
        "tenant \"dev\" ingestion-rate=20000",
        "tenant \"dev\" ingestion-rate=25000",
    );
    repo.edit("environments/prod.kdl", "replicas=3", "replicas=5");
    // Neither the committed nor the working tree's out/ matters: both sides are rendered.
    let output = repo.run(&[
        "diff",
        "--base",
        "main",
        "--format",
        "json",
        "--summary-only",
    ]);
    assert_exit(&output, 0);
    let json: Value = serde_json::from_str(&stdout(&output)).expect("valid JSON");
    assert!(
        json["environments"][0]["components"][0]["files"][0]
            .get("diff")
            .is_none()
    );
    let overrides = "runtimeConfig.overrides.dev";
    let mut expected = Vec::new();
    for env in ["dev", "staging", "prod"] {
        let path = format!("{env}/mimir/values.yaml");
        if env == "prod" {
            // The replication factor stays 3 (it is capped at 3), so it is not named.
            expected.push((path.clone(), "ingester.replicas".into(), 3.into(), 5.into()));
        }
        let burst = format!("{overrides}.ingestion_burst_size");
        expected.push((path.clone(), burst, 200000.into(), 250000.into()));
        let rate = format!("{overrides}.ingestion_rate");
        expected.push((path.clone(), rate, 20000.into(), 25000.into()));
        if env == "prod" {
            expected.push((path, "store_gateway.replicas".into(), 3.into(), 5.into()));
        }
    }
    assert_eq!(changed_keys(&json), expected);
    let text = stdout(&repo.run(&["diff", "--base", "main", "--summary-only"]));
    assert!(
        text.contains("prod/mimir: tenant dev ingestion_rate 20000 → 25000\n"),
        "{text}"
    );
    assert!(
        text.contains("prod/mimir: ingester.replicas 3 → 5\n"),
        "{text}"
    );
}

#[test]
fn no_change_says_so() {
    let repo = Repo::example();
    repo.git_init();
    let output = repo.run(&["diff", "--base", "HEAD"]);
    assert_exit(&output, 0);
    assert!(
        stdout(&output).starts_with("no change in the rendered platform: HEAD ("),
        "{}",
        stdout(&output)
    );
}

#[test]
fn env_selects_environments() {
    let repo = Repo::example();
    repo.git_init();
    repo.edit("platform.kdl", "retention=\"14d\"", "retention=\"15d\"");
    let output = repo.run(&[
        "diff",
        "--base",
        "HEAD",
        "--env",
        "staging",
        "--summary-only",
    ]);
    assert_exit(&output, 0);
    let text = stdout(&output);
    assert!(text.contains("=== staging\n"), "{text}");
    assert!(
        !text.contains("prod") && !text.contains("=== dev"),
        "{text}"
    );
}

#[test]
fn a_revision_without_a_spec_renders_nothing_so_everything_is_added() {
    let repo = Repo::empty();
    repo.write("README.md", "gitops\n");
    repo.git_init();
    let example = Repo::example();
    for name in [
        "platform.kdl",
        "environments/dev.kdl",
        "environments/staging.kdl",
        "environments/prod.kdl",
        "versions/dev.yaml",
        "versions/staging.yaml",
        "versions/prod.yaml",
    ] {
        repo.write(name, &example.read(name));
    }
    let output = repo.run(&["diff", "--base", "HEAD", "--summary-only"]);
    assert_exit(&output, 0);
    assert!(
        stdout(&output).contains("prod/mimir: added\n"),
        "{}",
        stdout(&output)
    );
}

#[test]
fn the_spec_may_live_in_a_subdirectory() {
    let repo = Repo::empty();
    let example = Repo::example();
    for name in [
        "platform.kdl",
        "environments/dev.kdl",
        "environments/staging.kdl",
        "environments/prod.kdl",
        "versions/dev.yaml",
        "versions/staging.yaml",
        "versions/prod.yaml",
    ] {
        repo.write(&format!("platform/{name}"), &example.read(name));
    }
    repo.git_init();
    repo.edit(
        "platform/platform.kdl",
        "retention=\"7d\"",
        "retention=\"8d\"",
    );
    let output = repo.run(&[
        "-C", "platform", "diff", "--base", "HEAD", "--format", "markdown",
    ]);
    assert_exit(&output, 0);
    let text = stdout(&output);
    assert!(
        text.contains(
            "- `dev/mimir`: tenant `dev` `compactor_blocks_retention_period` `7d` → `8d`\n"
        ),
        "{text}"
    );
    assert!(
        text.contains("<code>platform/out/dev/mimir/values.yaml</code>"),
        "{text}"
    );
}

#[test]
fn a_bad_revision_exits_two() {
    let repo = Repo::example();
    repo.git_init();
    for rev in ["no-such-branch", "--all", ""] {
        let output = repo.run(&["diff", &format!("--base={rev}")]);
        assert_exit(&output, 2);
        assert_eq!(
            stderr(&output).lines().next(),
            Some(format!("error: unknown git revision `{rev}`").as_str())
        );
    }
}

#[test]
fn outside_a_git_repository_exits_two() {
    let repo = Repo::example();
    let output = repo.run(&["diff", "--base", "HEAD"]);
    assert_exit(&output, 2);
    assert!(
        stderr(&output).contains("is not inside a git work tree"),
        "{}",
        stderr(&output)
    );
}

#[test]
fn a_broken_spec_at_the_base_is_reported_as_the_base() {
    let repo = Repo::example();
    repo.edit("platform.kdl", "ingestion-rate=20000", "ingestion-rate=0");
    repo.git_init();
    repo.edit("platform.kdl", "ingestion-rate=0", "ingestion-rate=20000");
    let output = repo.run(&["diff", "--base", "HEAD"]);
    assert_exit(&output, 2);
    let message = stderr(&output);
    assert!(
        message.starts_with(
            "error: the spec at `HEAD` does not compile; the problems below are in that revision"
        ),
        "{message}"
    );
    assert!(message.contains("[platform.kdl:26:18]"), "{message}");
}

#[test]
fn base_and_out_conflict() {
    let repo = Repo::example();
    assert_exit(&repo.run(&["diff", "--base", "HEAD", "--out", "x"]), 2);
}

#[test]
fn markdown_and_json_without_base_compare_with_out() {
    let repo = Repo::example();
    assert_exit(&repo.run(&["render"]), 0);
    repo.edit("environments/staging.kdl", "replicas=2", "replicas=1");
    let output = repo.run(&["diff", "--format", "json", "--summary-only"]);
    assert_exit(&output, 0);
    let json: Value = serde_json::from_str(&stdout(&output)).expect("valid JSON");
    assert_eq!(json["base"], "out");
    assert_eq!(json["base_commit"], Value::Null);
    let keys: Vec<String> = changed_keys(&json).into_iter().map(|k| k.1).collect();
    assert_eq!(
        keys,
        [
            "ingester.replicas",
            "ingester.topologySpreadConstraints",
            "mimir.structuredConfig.ingester.ring.replication_factor",
            "mimir.structuredConfig.store_gateway.sharding_ring.replication_factor",
            "store_gateway.replicas",
            "store_gateway.topologySpreadConstraints"
        ]
    );
}

/// `--summary-only` without `--format` prints the changed keys per environment, not the diff.
#[test]
fn summary_only_in_text_leaves_out_the_diff() {
    let repo = Repo::example();
    assert_exit(&repo.run(&["render"]), 0);
    repo.edit("platform.kdl", "retention=\"14d\"", "retention=\"30d\"");
    let output = repo.run(&["diff", "--summary-only"]);
    assert_exit(&output, 0);
    let text = stdout(&output);
    assert!(
        text.contains("prod/mimir: tenant agents compactor_blocks_retention_period 14d → 30d\n"),
        "{text}"
    );
    assert!(!text.contains("@@"), "no diff:\n{text}");
    assert!(!text.contains("+++"), "no diff:\n{text}");
    assert!(
        text.ends_with("out → working tree: 18 files changed, 0 added, 0 removed in 3 environments (dev, staging, prod)\n"),
        "{text}"
    );
    let full = stdout(&repo.run(&["diff"]));
    assert!(full.contains("@@"), "{full}");
}
