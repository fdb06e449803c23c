//! `lgtmc check` and `lgtmc diff`: compare in memory, never write, exit codes 0 / 1.

use crate::common::{Repo, assert_exit, repo_root, stderr, stdout};

#[test]
fn check_is_clean_after_render() {
    let repo = Repo::example();
    assert_exit(&repo.run(&["render"]), 0);
    let count = repo.snapshot_tree("out").len();
    let output = repo.run(&["check"]);
    assert_exit(&output, 0);
    assert_eq!(
        stdout(&output),
        format!("out is up to date ({count} files)\n")
    );
}

#[test]
fn check_reports_drift_with_a_diff() {
    let repo = Repo::example();
    assert_exit(&repo.run(&["render"]), 0);
    repo.edit("platform.kdl", "retention=\"14d\"", "retention=\"30d\"");
    let before = repo.snapshot_tree("out");
    let output = repo.run(&["check"]);
    assert_exit(&output, 1);
    let diff = stdout(&output);
    assert!(
        diff.contains("--- a/out/prod/mimir/values.yaml\n+++ b/out/prod/mimir/values.yaml\n"),
        "{diff}"
    );
    assert!(
        diff.contains("-      compactor_blocks_retention_period: \"14d\"\n"),
        "{diff}"
    );
    assert!(
        diff.contains("+      compactor_blocks_retention_period: \"30d\"\n"),
        "{diff}"
    );
    assert!(diff.contains("changed: prod/mimir/values.yaml\n"), "{diff}");
    let changed = diff
        .lines()
        .filter(|line| line.starts_with("changed: "))
        .count();
    assert!(changed >= 3, "{diff}");
    assert!(
        diff.ends_with(&format!("{changed} changed, 0 missing, 0 extra\n")),
        "{diff}"
    );
    assert!(!diff.contains('\x1b'), "no colour when not a terminal");
    assert!(
        stderr(&output).contains("out is stale"),
        "{}",
        stderr(&output)
    );
    assert_eq!(before, repo.snapshot_tree("out"), "check never writes");
}

#[test]
fn check_lists_missing_and_extra_files() {
    let repo = Repo::example();
    assert_exit(&repo.run(&["render"]), 0);
    std::fs::remove_file(repo.path().join("out/dev/mimir/values.yaml")).expect("remove");
    // An owned file the spec no longer produces is extra.
    let manifest = repo.read("out/.lgtmc-manifest");
    repo.write("out/.lgtmc-manifest", &format!("{manifest}old/file.yaml\n"));
    repo.write("out/old/file.yaml", "a: 1\n");
    let output = repo.run(&["check"]);
    assert_exit(&output, 1);
    let diff = stdout(&output);
    assert!(diff.contains("missing: dev/mimir/values.yaml\n"), "{diff}");
    assert!(diff.contains("extra: old/file.yaml\n"), "{diff}");
    assert!(diff.contains("changed: .lgtmc-manifest\n"), "{diff}");
    assert!(
        diff.contains("--- /dev/null\n+++ b/out/dev/mimir/values.yaml\n"),
        "{diff}"
    );
}

#[test]
fn check_ignores_foreign_files() {
    let repo = Repo::example();
    assert_exit(&repo.run(&["render"]), 0);
    repo.write("out/prod/NOTES.md", "hand-written\n");
    assert_exit(&repo.run(&["check"]), 0);
}

#[test]
fn check_without_out_reports_everything_missing() {
    let repo = Repo::example();
    let elsewhere = Repo::empty();
    let copy = elsewhere.path().display().to_string();
    assert_exit(&repo.run(&["render", "--out", &copy]), 0);
    let count = elsewhere.snapshot_tree(".").len();
    let output = repo.run(&["check"]);
    assert_exit(&output, 1);
    assert!(stdout(&output).ends_with(&format!("0 changed, {count} missing, 0 extra\n")));
    assert!(!repo.path().join("out").exists(), "check never writes");
}

#[test]
fn diff_shows_drift_and_exits_zero() {
    let repo = Repo::example();
    assert_exit(&repo.run(&["render"]), 0);
    repo.edit(
        "platform.kdl",
        "ingestion-rate=20000",
        "ingestion-rate=25000",
    );
    let output = repo.run(&["diff"]);
    assert_exit(&output, 0);
    assert!(stdout(&output).contains("+      ingestion_rate: 25000\n"));
}

#[test]
fn colour_is_used_only_when_asked() {
    let repo = Repo::example();
    assert_exit(&repo.run(&["render"]), 0);
    repo.edit(
        "platform.kdl",
        "ingestion-rate=20000",
        "ingestion-rate=25000",
    );
    let output = repo.run(&["diff", "--color", "always"]);
    assert!(stdout(&output).contains("\x1b[32m+"), "{}", stdout(&output));
}

#[test]
fn unknown_environment_is_a_usage_error() {
    let repo = Repo::example();
    let output = repo.run(&["check", "--env", "prdo"]);
    assert_exit(&output, 2);
    assert_eq!(
        stderr(&output),
        "error: unknown environment `prdo`\nhelp: did you mean `prod`?\n"
    );
}

#[test]
fn usage_errors_exit_two() {
    let repo = Repo::example();
    assert_exit(&repo.run(&["frobnicate"]), 2);
    assert_exit(&repo.run(&["render", "--no-such-flag"]), 2);
    assert_exit(&repo.run(&["--help"]), 0);
}

#[test]
fn a_directory_without_a_spec_exits_two() {
    let repo = Repo::empty();
    let output = repo.run(&["check"]);
    assert_exit(&output, 2);
    assert!(
        stderr(&output).contains("no `platform.kdl` in `.`"),
        "{}",
        stderr(&output)
    );
    assert!(stderr(&output).contains("lgtmc init"));
}

#[test]
fn validate_checks_the_spec_only() {
    let repo = Repo::example();
    let output = repo.run(&["validate"]);
    assert_exit(&output, 0);
    assert_eq!(
        stdout(&output),
        "the spec is valid: 3 environments (dev, staging, prod), 3 tenants\n"
    );
    assert!(!repo.path().join("out").exists());
}

/// The repository is its own first user: its committed out/ must be what its spec compiles to.
#[test]
fn the_repository_out_is_current() {
    let output = assert_cmd::Command::cargo_bin("lgtmc")
        .expect("binary")
        .current_dir(repo_root())
        .env("NO_COLOR", "1")
        .args(["check", "--no-cache"])
        .output()
        .expect("runs");
    assert_exit(&output, 0);
}
