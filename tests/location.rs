//! Where lgtmc finds the spec and reads relative paths: `-C DIR` (or `LGTMC_SPEC_DIR`) acts as if
//! lgtmc were started in DIR, for every command and path option; without it lgtmc searches
//! upward from the working directory for `platform.kdl`, stopping at a git root.

use crate::common::{Repo, assert_exit, git, stderr, stdout};

#[test]
fn check_from_a_subdirectory_finds_the_spec_above() {
    let repo = Repo::example();
    assert_exit(&repo.run(&["render"]), 0);
    let output = repo.run_in("out/dev", None, &["check"]);
    assert_exit(&output, 0);
    assert_eq!(stdout(&output), "../../out is up to date (149 files)\n");
    // Path options found by the search stay relative to the working directory.
    assert_exit(
        &repo.run_in("out/dev", None, &["check", "--out", "../../out"]),
        0,
    );
    // `rendered` is read from out/dev: inside the repository, so it must be `gitops out`.
    let output = repo.run_in("out/dev", None, &["render", "--out", "rendered"]);
    assert_exit(&output, 2);
    assert!(
        stderr(&output).contains("set `gitops out=\"out/dev/rendered\"`"),
        "{}",
        stderr(&output)
    );
    // Problems name files relative to the spec directory, as with -C.
    repo.edit("platform.kdl", "ingestion-rate=20000", "ingestion-rate=0");
    let output = repo.run_in("out/dev", None, &["validate"]);
    assert_exit(&output, 2);
    assert_eq!(stderr(&output), stderr(&repo.run(&["validate"])));
}

#[test]
fn the_upward_search_stops_at_a_git_root() {
    let repo = Repo::example();
    repo.write("nested/README.md", "another repository\n");
    git(&repo.path().join("nested"), &["init", "--quiet"]);
    let output = repo.run_in("nested", None, &["check"]);
    assert_exit(&output, 2);
    assert!(
        stderr(&output).starts_with("error: no `platform.kdl` in `.`"),
        "{}",
        stderr(&output)
    );
    // Below a git root that holds the spec, it is found.
    git(repo.path(), &["init", "--quiet"]);
    repo.write("a/b/c/.keep", "");
    assert_exit(&repo.run_in("a/b/c", None, &["validate"]), 0);
}

#[test]
fn dash_c_applies_to_init_and_to_every_relative_path() {
    let repo = Repo::empty();
    repo.write("work/.keep", "");
    let output = repo.run_in("work", None, &["-C", "../specs", "init", "gitops"]);
    assert_exit(&output, 0);
    assert!(repo.path().join("specs/gitops/platform.kdl").is_file());
    assert!(
        repo.path()
            .join("specs/gitops/out/.lgtmc-manifest")
            .is_file()
    );
    assert!(!repo.path().join("work/gitops").exists());

    // A copy outside the repository (specs/gitops): `../rendered` is read from -C.
    let output = repo.run(&["-C", "specs/gitops", "render", "--out", "../rendered"]);
    assert_exit(&output, 0);
    assert!(repo.path().join("specs/rendered/.lgtmc-manifest").is_file());
    assert!(
        !repo.path().join("rendered").exists(),
        "--out is read from -C"
    );
    assert_exit(
        &repo.run(&["-C", "specs/gitops", "check", "--out", "../rendered"]),
        0,
    );

    repo.write("specs/gitops/my-templates/mimir/values.yaml.j2", "a: 1\n");
    let output = repo.run(&["-C", "specs/gitops", "check", "--templates", "my-templates"]);
    assert_exit(&output, 1);
    assert!(stdout(&output).contains("+a: 1"), "{}", stdout(&output));

    let output = repo.run(&["-C", "other", "init"]);
    assert_exit(&output, 0);
    assert!(
        stdout(&output).starts_with("created a GitOps repository in other: "),
        "{}",
        stdout(&output)
    );
    assert!(
        stdout(&output).contains("\n  cd other\n"),
        "{}",
        stdout(&output)
    );

    let output = repo.run(&["-C", "specs", "man", "--dir", "man"]);
    assert_exit(&output, 0);
    assert!(repo.path().join("specs/man/lgtmc.1").is_file());
}

#[test]
fn lgtmc_spec_dir_is_dash_c_and_empty_means_unset() {
    let repo = Repo::example();
    assert_exit(&repo.run(&["render"]), 0);
    let output = repo.run_in(".", Some(""), &["check"]);
    assert_exit(&output, 0);
    assert_eq!(stdout(&output), "out is up to date (149 files)\n");

    let other = Repo::empty();
    let spec = repo.path().to_str().expect("a UTF-8 path");
    other.write("elsewhere/.keep", "");
    let output = other.run_in("elsewhere", Some(spec), &["check"]);
    assert_exit(&output, 0);
    // -C wins over the variable.
    let output = other.run_in("elsewhere", Some("/nonexistent"), &["-C", spec, "check"]);
    assert_exit(&output, 0);
    let output = other.run_in("elsewhere", Some("/nonexistent"), &["check"]);
    assert_exit(&output, 2);
    assert!(
        stderr(&output).starts_with("error: no `platform.kdl` in `/nonexistent`"),
        "{}",
        stderr(&output)
    );
}
