//! Bad input: every case exits 2, names file:line:col, reports every problem at once, and leaves
//! out/ byte for byte as it was. The full message of each case is a reviewed snapshot.

use crate::common::{Repo, assert_exit, stderr};

/// Renders the example, breaks the spec with `edit`, renders again, and returns stderr after
/// checking the exit code, the location and that out/ did not change.
#[track_caller]
fn broken(edit: impl FnOnce(&Repo)) -> String {
    let repo = Repo::example();
    assert_exit(&repo.run(&["render"]), 0);
    let before = repo.snapshot_tree("out");
    edit(&repo);
    let output = repo.run(&["render"]);
    assert_exit(&output, 2);
    assert_eq!(before, repo.snapshot_tree("out"), "out/ changed");
    let message = stderr(&output);
    let location = regex_lite_location(&message);
    assert!(location, "no file:line:col in\n{message}");
    // `validate` and `check` report the same problems.
    assert_eq!(stderr(&repo.run(&["validate"])), message);
    message
}

/// `[platform.kdl:12:5]`-style locations, as miette prints them.
fn regex_lite_location(message: &str) -> bool {
    message.split('[').skip(1).any(|rest| {
        let inside = rest.split(']').next().unwrap_or_default();
        let mut parts = inside.rsplitn(3, ':');
        let column = parts.next().unwrap_or_default();
        let line = parts.next().unwrap_or_default();
        let file = parts.next().unwrap_or_default();
        file.ends_with(".kdl") && line.parse::<usize>().is_ok() && column.parse::<usize>().is_ok()
    })
}

fn replace_in_platform(from: &'static str, to: &'static str) -> impl FnOnce(&Repo) {
    move |repo: &Repo| repo.edit("platform.kdl", from, to)
}

const DEV_TENANT: &str = "tenant \"dev\" ingestion-rate=20000 retention=\"7d\"";

fn with_tenant_id(id: &str) -> impl FnOnce(&Repo) + '_ {
    move |repo: &Repo| {
        let line = format!(
            "{DEV_TENANT}\n    tenant \"{}\" ingestion-rate=1 retention=\"1d\"",
            id.replace('\\', "\\\\").replace('"', "\\\"")
        );
        repo.edit("platform.kdl", DEV_TENANT, &line);
    }
}

#[test]
fn kdl_syntax_error() {
    insta::assert_snapshot!(broken(replace_in_platform(
        "retention=\"7d\"",
        "retention=\"7d"
    )));
}

#[test]
fn unknown_key_suggests_the_right_one() {
    insta::assert_snapshot!(broken(replace_in_platform(
        "retention=\"7d\"",
        "retnetion=\"7d\""
    )));
}

#[test]
fn unknown_node() {
    insta::assert_snapshot!(broken(replace_in_platform(
        "    metrics namespace",
        "    metrix namespace"
    )));
}

#[test]
fn wrong_type() {
    insta::assert_snapshot!(broken(replace_in_platform(
        "ingestion-rate=20000",
        "ingestion-rate=\"lots\""
    )));
}

#[test]
fn limits_must_be_positive() {
    insta::assert_snapshot!(broken(replace_in_platform(
        "ingestion-rate=20000",
        "ingestion-rate=0"
    )));
}

#[test]
fn bad_duration() {
    insta::assert_snapshot!(broken(replace_in_platform(
        "retention=\"7d\"",
        "retention=\"a week\""
    )));
}

#[test]
fn duplicate_tenant() {
    insta::assert_snapshot!(broken(replace_in_platform(
        DEV_TENANT,
        "tenant \"dev\" ingestion-rate=20000 retention=\"7d\"\n    tenant \"dev\" ingestion-rate=1 retention=\"1d\""
    )));
}

#[test]
fn tenant_id_with_a_slash() {
    insta::assert_snapshot!(broken(with_tenant_id("team/a")));
}

#[test]
fn tenant_id_dot_dot() {
    insta::assert_snapshot!(broken(with_tenant_id("..")));
}

#[test]
fn tenant_id_with_a_space() {
    insta::assert_snapshot!(broken(with_tenant_id("team a")));
}

#[test]
fn tenant_id_with_a_quote() {
    insta::assert_snapshot!(broken(with_tenant_id("team\"a")));
}

#[test]
fn tenant_id_upper_case() {
    insta::assert_snapshot!(broken(with_tenant_id("TeamA")));
}

#[test]
fn tenant_id_too_long() {
    let id = "a".repeat(200);
    insta::assert_snapshot!(broken(with_tenant_id(&id)));
}

#[test]
fn default_tenant_must_exist() {
    insta::assert_snapshot!(broken(replace_in_platform(
        "default=\"platform\"",
        "default=\"platfrom\""
    )));
}

#[test]
fn missing_environment_file() {
    insta::assert_snapshot!(broken(|repo| {
        std::fs::remove_file(repo.path().join("environments/staging.kdl")).expect("remove");
    }));
}

#[test]
fn undeclared_environment_file() {
    insta::assert_snapshot!(broken(|repo| {
        repo.write("environments/qa.kdl", "environment \"qa\" {\n}\n");
    }));
}

#[test]
fn overlay_names_the_wrong_environment() {
    insta::assert_snapshot!(broken(|repo| {
        repo.edit(
            "environments/prod.kdl",
            "environment \"prod\"",
            "environment \"production\"",
        );
    }));
}

#[test]
fn empty_spec() {
    insta::assert_snapshot!(broken(|repo| repo.write("platform.kdl", "")));
}

/// Problems in several files and of several kinds come out together, in file order.
#[test]
fn every_problem_at_once() {
    let message = broken(|repo| {
        repo.edit("platform.kdl", "ingestion-rate=20000", "ingestion-rate=-5");
        repo.edit(
            "platform.kdl",
            "retention=\"14d\"",
            "retention=\"fortnight\"",
        );
        repo.edit(
            "environments/prod.kdl",
            "replicas=3",
            "replicas=\"three\" colour=1",
        );
    });
    assert!(
        message.ends_with("error: the spec has 4 problems; nothing was written\n"),
        "{message}"
    );
    insta::assert_snapshot!(message);
}
