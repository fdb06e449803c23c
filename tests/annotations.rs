//! `lgtmc check --format github`: GitHub Actions annotations on the drifted files, on the spec
//! line of each drifted tenant, and on every spec problem.

use crate::common::{Repo, assert_exit, stderr, stdout};

#[test]
fn drift_is_annotated_at_the_file_and_the_tenant_line() {
    let repo = Repo::example();
    assert_exit(&repo.run(&["render"]), 0);
    repo.edit(
        "environments/prod.kdl",
        "    cluster \"https://kubernetes.default.svc\"\n",
        "    cluster \"https://kubernetes.default.svc\"\n    tenant \"agents\" retention=\"30d\"\n",
    );
    let output = repo.run(&["check", "--format", "github"]);
    assert_exit(&output, 1);
    assert!(
        stderr(&output).contains("out is stale"),
        "{}",
        stderr(&output)
    );
    insta::assert_snapshot!(stdout(&output));
}

#[test]
fn a_tenant_declared_in_platform_kdl_is_annotated_there() {
    let repo = Repo::example();
    assert_exit(&repo.run(&["render"]), 0);
    repo.edit("platform.kdl", "retention=\"7d\"", "retention=\"8d\"");
    let text = stdout(&repo.run(&["check", "--format", "github"]));
    let notices: Vec<&str> = text.lines().filter(|l| l.starts_with("::notice")).collect();
    assert_eq!(
        notices,
        [
            "::notice file=platform.kdl,line=26,title=lgtmc%3A tenant dev (dev%2C prod%2C staging)::tenant dev is declared here, and its rendered settings are stale: out/dev/loki/values.yaml: tenant dev retention_period 168h → 192h; out/dev/mimir/values.yaml: tenant dev compactor_blocks_retention_period 7d → 8d; out/dev/pyroscope/values.yaml: tenant dev retention_period 168h → 192h; out/dev/tempo/values.yaml: tenant dev compaction.block_retention 168h → 192h; out/prod/loki/values.yaml: tenant dev retention_period 168h → 192h; out/prod/mimir/values.yaml: tenant dev compactor_blocks_retention_period 7d → 8d; out/prod/pyroscope/values.yaml: tenant dev retention_period 168h → 192h; out/prod/tempo/values.yaml: tenant dev compaction.block_retention 168h → 192h; out/staging/loki/values.yaml: tenant dev retention_period 168h → 192h; out/staging/mimir/values.yaml: tenant dev compactor_blocks_retention_period 7d → 8d; and 2 more"
        ]
    );
}

#[test]
fn missing_and_extra_files_are_annotated() {
    let repo = Repo::example();
    assert_exit(&repo.run(&["render"]), 0);
    std::fs::remove_file(repo.path().join("out/dev/mimir/values.yaml")).expect("remove");
    let output = repo.run(&["-C", ".", "check", "--format", "github", "--out", "out"]);
    assert_exit(&output, 1);
    assert!(
        stdout(&output).starts_with("::error file=out/dev/mimir/values.yaml,title=lgtmc%3A file missing::the spec renders out/dev/mimir/values.yaml, which is not committed."),
        "{}",
        stdout(&output)
    );
}

#[test]
fn spec_problems_are_annotated_at_their_line_and_column() {
    let repo = Repo::example();
    repo.edit("platform.kdl", "ingestion-rate=20000", "ingestion-rate=0");
    let output = repo.run(&["check", "--format", "github"]);
    assert_exit(&output, 2);
    assert_eq!(
        stdout(&output),
        "::error file=platform.kdl,line=26,col=18,title=lgtmc%3A invalid spec::`ingestion-rate` of tenant `dev` must be at least 1, found 0\n"
    );
    assert!(
        stderr(&output).contains("╭─[platform.kdl:26:18]"),
        "{}",
        stderr(&output)
    );
}

#[test]
fn a_current_out_prints_no_annotation() {
    let repo = Repo::example();
    assert_exit(&repo.run(&["render"]), 0);
    let count = repo.snapshot_tree("out").len();
    let output = repo.run(&["check", "--format", "github"]);
    assert_exit(&output, 0);
    assert_eq!(
        stdout(&output),
        format!("out is up to date ({count} files)\n")
    );
}
