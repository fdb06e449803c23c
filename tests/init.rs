//! `lgtmc init`: a starter repository that renders and checks clean, and never overwrites.

use crate::common::{Repo, assert_exit, repo_root, stderr};

#[test]
fn init_creates_a_platform_that_checks_clean() {
    let repo = Repo::empty();
    let output = repo.run(&["init", "gitops"]);
    assert_exit(&output, 0);
    let created = repo.path().join("gitops");
    for name in [
        "platform.kdl",
        "environments/dev.kdl",
        "environments/staging.kdl",
        "environments/prod.kdl",
    ] {
        assert_eq!(
            crate::common::read(&created.join(name)),
            crate::common::read(&repo_root().join(name)),
            "{name} is the example spec"
        );
    }
    assert_exit(&repo.run(&["-C", "gitops", "check"]), 0);
}

#[test]
fn init_never_overwrites() {
    let repo = Repo::example();
    let before = repo.read("platform.kdl");
    let output = repo.run(&["init"]);
    assert_exit(&output, 2);
    assert!(
        stderr(&output).contains("already has a spec"),
        "{}",
        stderr(&output)
    );
    assert_eq!(repo.read("platform.kdl"), before);
}
