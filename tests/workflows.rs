//! The workflows around lgtmc, run with the real tools: the pre-commit framework on a temporary
//! GitOps repository, with the hooks this repository publishes and the ones its README shows, and
//! actionlint on every GitHub workflow and on the README's caller workflow.
//!
//! Without the tools these tests print `SKIPPED: …` and pass; with `LGTMC_REQUIRE_TOOLS` set
//! (`.ci/run`, `ci.yml`) a missing tool fails them. The hook that pre-commit builds with
//! `cargo install` takes minutes, so that test runs only under `LGTMC_REQUIRE_TOOLS`.

use std::collections::BTreeSet;
use std::ffi::{OsStr, OsString};
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use crate::common::{Repo, assert_exit, git, git_output, read, repo_root, stderr, stdout};

const REQUIRE: &str = "LGTMC_REQUIRE_TOOLS";

fn required() -> bool {
    std::env::var_os(REQUIRE).is_some()
}

/// Whether `tool` runs; if not, says that the test skipped (or fails it, in CI).
fn have(tool: &str, what: &str) -> bool {
    let runs = Command::new(tool)
        .arg("--version")
        .output()
        .is_ok_and(|o| o.status.success());
    if !runs {
        assert!(
            !required(),
            "`{tool}` is not installed, and {REQUIRE} says the workflow tests must run (CI)"
        );
        crate::common::skipped(
            &format!("`{tool}`"),
            &crate::common::install_hint(tool),
            &format!("`{tool}` is not installed; this test ({what}) did not run"),
        );
    }
    runs
}

/// The fenced YAML block of the README that contains `needle`.
fn readme_yaml(needle: &str) -> String {
    let readme = read(&repo_root().join("README.md"));
    let blocks: Vec<&str> = readme
        .split("```yaml\n")
        .skip(1)
        .filter_map(|rest| rest.split("```").next())
        .filter(|block| block.contains(needle))
        .collect();
    assert_eq!(blocks.len(), 1, "one README yaml block with `{needle}`");
    blocks[0].to_owned()
}

/// pre-commit's own state, kept out of the user's cache, and the PATH the hooks see.
struct PreCommit {
    home: tempfile::TempDir,
    path: OsString,
}

impl PreCommit {
    /// With `with_lgtmc`, the lgtmc under test is first on PATH (for the `system` hooks).
    fn new(with_lgtmc: bool) -> PreCommit {
        let mut dirs = Vec::new();
        if with_lgtmc {
            let binary = PathBuf::from(env!("CARGO_BIN_EXE_lgtmc"));
            dirs.push(binary.parent().expect("a directory").to_path_buf());
        }
        dirs.extend(std::env::split_paths(
            &std::env::var_os("PATH").unwrap_or_default(),
        ));
        PreCommit {
            home: tempfile::tempdir().expect("a temporary directory"),
            path: std::env::join_paths(dirs).expect("a PATH"),
        }
    }

    fn envs(&self) -> [(&str, &OsStr); 2] {
        [
            ("PATH", self.path.as_os_str()),
            ("PRE_COMMIT_HOME", self.home.path().as_os_str()),
        ]
    }

    fn run(&self, dir: &Path, args: &[&str], extra: &[(&str, &OsStr)]) -> Output {
        Command::new("pre-commit")
            .current_dir(dir)
            .envs(self.envs())
            .envs(extra.iter().copied())
            .env("GIT_CONFIG_GLOBAL", "/dev/null")
            .env("NO_COLOR", "1")
            .args(args)
            .output()
            .expect("pre-commit runs")
    }

    fn git(&self, dir: &Path, args: &[&str], extra: &[(&str, &OsStr)]) -> Output {
        let mut envs = self.envs().to_vec();
        envs.extend_from_slice(extra);
        git_output(dir, args, &envs)
    }
}

fn both(output: &Output) -> String {
    format!("{}{}", stdout(output), stderr(output))
}

/// The example GitOps repository, rendered and committed with `config` as its pre-commit
/// configuration.
fn gitops_repo(config: &str) -> Repo {
    let repo = Repo::example();
    assert_exit(&repo.run(&["render"]), 0);
    repo.write(".pre-commit-config.yaml", config);
    repo.git_init();
    repo
}

/// The hook passes on a current out/; a commit with a stale one is refused with the diff; after
/// `lgtmc render` the commit goes through.
fn hook_guards_commits(repo: &Repo, pre_commit: &PreCommit, extra: &[(&str, &OsStr)]) {
    let output = pre_commit.run(repo.path(), &["run", "--all-files"], extra);
    assert!(output.status.success(), "current out/:\n{}", both(&output));
    assert!(stdout(&output).contains("lgtmc check"), "{}", both(&output));
    assert!(stdout(&output).contains("Passed"), "{}", both(&output));

    let install = pre_commit.run(repo.path(), &["install"], extra);
    assert!(install.status.success(), "{}", both(&install));
    repo.edit("platform.kdl", "retention=\"14d\"", "retention=\"30d\"");
    let head = git(repo.path(), &["rev-parse", "HEAD"]);
    git(repo.path(), &["add", "--all"]);
    let output = pre_commit.git(repo.path(), &["commit", "-m", "stale"], extra);
    let text = both(&output);
    assert!(
        !output.status.success(),
        "a stale out/ must not commit:\n{text}"
    );
    assert!(text.contains("Failed"), "{text}");
    assert!(
        text.contains("-      compactor_blocks_retention_period: \"14d\"\n+      compactor_blocks_retention_period: \"30d\"\n"),
        "the diff is printed:\n{text}"
    );
    assert!(text.contains("out is stale"), "{text}");
    assert_eq!(
        git(repo.path(), &["rev-parse", "HEAD"]),
        head,
        "nothing committed"
    );

    assert_exit(&repo.run(&["render"]), 0);
    git(repo.path(), &["add", "--all"]);
    let output = pre_commit.git(repo.path(), &["commit", "-m", "rendered"], extra);
    assert!(output.status.success(), "{}", both(&output));
    assert!(both(&output).contains("Passed"), "{}", both(&output));
}

#[test]
fn the_readme_local_hook_guards_commits() {
    if !have("pre-commit", "the README's local hook") {
        return;
    }
    let repo = gitops_repo(&readme_yaml("repo: local"));
    hook_guards_commits(&repo, &PreCommit::new(true), &[]);
}

/// A git repository holding this checkout's files as they are now (committed or not), as
/// pre-commit would clone lgtmc at a pinned `rev`. Returns it and its commit.
fn hook_repository() -> (tempfile::TempDir, String) {
    let dir = tempfile::tempdir().expect("a temporary directory");
    let root = repo_root();
    let entries = walkdir::WalkDir::new(&root)
        .sort_by_file_name()
        .into_iter()
        .filter_entry(|e| !matches!(e.file_name().to_str(), Some("target" | ".git")));
    for entry in entries {
        let entry = entry.expect("walk");
        let relative = entry.path().strip_prefix(&root).expect("inside");
        if entry.file_type().is_dir() {
            std::fs::create_dir_all(dir.path().join(relative)).expect("mkdir");
        } else if entry.file_type().is_file() {
            std::fs::copy(entry.path(), dir.path().join(relative)).expect("copy");
        }
    }
    git(dir.path(), &["init", "--quiet", "--initial-branch=main"]);
    git(dir.path(), &["add", "--all"]);
    git(dir.path(), &["commit", "--quiet", "-m", "lgtmc"]);
    let commit = git(dir.path(), &["rev-parse", "HEAD"]).trim().to_owned();
    (dir, commit)
}

/// The README's remote-hook snippet, pointed at `hooks` and `commit`, using hook `id`.
fn remote_config(hooks: &Path, commit: &str, id: &str) -> String {
    let snippet = readme_yaml("repo: https://github.com/OWNER/lgtmc");
    assert!(snippet.contains("repo: https://github.com/OWNER/lgtmc\n    rev: main"));
    snippet
        .replace(
            "https://github.com/OWNER/lgtmc",
            &hooks.display().to_string(),
        )
        .replace("rev: main", &format!("rev: {commit}"))
        .replace("id: lgtmc-check\n", &format!("id: {id}\n"))
}

#[test]
fn the_published_system_hook_guards_commits() {
    if !have("pre-commit", "the published lgtmc-check-system hook") {
        return;
    }
    let (hooks, commit) = hook_repository();
    let repo = gitops_repo(&remote_config(hooks.path(), &commit, "lgtmc-check-system"));
    hook_guards_commits(&repo, &PreCommit::new(true), &[]);
}

#[test]
fn the_published_rust_hook_builds_lgtmc_and_guards_commits() {
    if !have("pre-commit", "the published lgtmc-check hook") {
        return;
    }
    if !required() {
        crate::common::skipped(
            &format!("{REQUIRE}=1"),
            "it makes pre-commit build lgtmc with `cargo install` (minutes, network for the crates)",
            &format!(
                "the lgtmc-check hook makes pre-commit build lgtmc with `cargo install` (minutes); set {REQUIRE}=1 to run it"
            ),
        );
        return;
    }
    let (hooks, commit) = hook_repository();
    let repo = gitops_repo(&remote_config(hooks.path(), &commit, "lgtmc-check"));
    // Not the lgtmc under test on PATH: the hook must use the one pre-commit builds. Keep that
    // build between runs.
    let target = repo_root().join("target/pre-commit-hook");
    hook_guards_commits(
        &repo,
        &PreCommit::new(false),
        &[("CARGO_TARGET_DIR", target.as_os_str())],
    );
}

#[test]
fn actionlint_accepts_every_workflow() {
    if !have("actionlint", "actionlint on .github/workflows") {
        return;
    }
    let output = Command::new("actionlint")
        .current_dir(repo_root())
        .output()
        .expect("actionlint runs");
    assert!(output.status.success(), "{}", both(&output));
}

fn yaml(text: &str) -> serde_json::Value {
    let value: serde_norway::Value = serde_norway::from_str(text).expect("YAML");
    serde_json::to_value(value).expect("JSON-compatible")
}

#[test]
fn the_readme_caller_workflow_matches_the_reusable_one() {
    let caller_text = readme_yaml("lgtmc-render-diff.yml@");
    let reusable_text = read(&repo_root().join(".github/workflows/lgtmc-render-diff.yml"));
    let (caller, reusable) = (yaml(&caller_text), yaml(&reusable_text));
    let inputs = reusable["on"]["workflow_call"]["inputs"]
        .as_object()
        .expect("inputs");
    let given: BTreeSet<&String> = caller["jobs"]["lgtmc"]["with"]
        .as_object()
        .expect("with")
        .keys()
        .collect();
    for name in &given {
        assert!(inputs.contains_key(*name), "no input `{name}`");
    }
    for (name, input) in inputs {
        if input["required"] == true {
            assert!(
                given.contains(name),
                "the README omits required input `{name}`"
            );
        }
    }
    let permissions = &caller["permissions"];
    assert_eq!(
        permissions["pull-requests"], "write",
        "the comment needs it"
    );

    // actionlint checks a local call against the called workflow's inputs.
    if !have("actionlint", "actionlint on the README's caller workflow") {
        return;
    }
    let dir = tempfile::tempdir().expect("a temporary directory");
    let workflows = dir.path().join(".github/workflows");
    std::fs::create_dir_all(&workflows).expect("mkdir");
    std::fs::write(workflows.join("lgtmc-render-diff.yml"), &reusable_text).expect("write");
    let local = caller_text.replace(
        "OWNER/lgtmc/.github/workflows/lgtmc-render-diff.yml@main",
        "./.github/workflows/lgtmc-render-diff.yml",
    );
    std::fs::write(workflows.join("lgtmc.yml"), local).expect("write");
    git(dir.path(), &["init", "--quiet"]);
    let output = Command::new("actionlint")
        .current_dir(dir.path())
        .args([
            ".github/workflows/lgtmc.yml",
            ".github/workflows/lgtmc-render-diff.yml",
        ])
        .output()
        .expect("actionlint runs");
    assert!(output.status.success(), "{}", both(&output));
}

/// The repository `lgtmc init` makes: its first commit passes its own pre-commit hook (the lgtmc
/// under test on PATH, as after `cargo install --path .`), a hand edit of a chart version in
/// `versions/` with a stale out/ is refused, and the commands of the CI job succeed on it.
#[test]
fn an_init_repository_passes_its_own_hook_and_ci() {
    if !have("pre-commit", "the hook of an init'd repository") {
        return;
    }
    let repo = Repo::empty();
    assert_exit(&repo.run(&["init", "gitops"]), 0);
    let dir = repo.path().join("gitops");
    let pre_commit = PreCommit::new(true);
    let install = pre_commit.run(&dir, &["install"], &[]);
    assert!(install.status.success(), "{}", both(&install));
    git(&dir, &["add", "--all"]);
    let output = pre_commit.git(&dir, &["commit", "-m", "platform: first render"], &[]);
    assert!(output.status.success(), "{}", both(&output));
    assert!(both(&output).contains("Passed"), "{}", both(&output));

    // The CI job's commands (lgtmc-render-diff.yml), on the committed repository.
    let check = repo.run(&["-C", "gitops", "check", "--format", "github"]);
    assert_exit(&check, 0);
    let diff = repo.run(&[
        "-C", "gitops", "diff", "--base", "HEAD", "--format", "markdown",
    ]);
    assert_exit(&diff, 0);

    // A chart version edited by hand, out/ not re-rendered: the hook runs and refuses it.
    let versions = dir.join("versions/dev.yaml");
    let text = read(&versions);
    assert!(text.contains("loki: 18.11.0\n"));
    std::fs::write(
        &versions,
        text.replace("loki: 18.11.0\n", "loki: 18.12.0\n"),
    )
    .expect("write");
    git(&dir, &["add", "versions/dev.yaml"]);
    let output = pre_commit.git(&dir, &["commit", "-m", "loki 18.12.0"], &[]);
    assert!(!output.status.success(), "{}", both(&output));
    assert!(both(&output).contains("out is stale"), "{}", both(&output));
    assert!(
        both(&output).contains("+      targetRevision: 18.12.0"),
        "{}",
        both(&output)
    );
}

/// actionlint on the workflow `lgtmc init` writes, calling the reusable workflow of this
/// repository (as a local workflow, so that actionlint checks the inputs).
#[test]
fn actionlint_accepts_the_init_workflow() {
    if !have("actionlint", "actionlint on the init workflow") {
        return;
    }
    let repo = Repo::empty();
    assert_exit(&repo.run(&["init"]), 0);
    let workflows = repo.path().join(".github/workflows");
    let reusable = read(&repo_root().join(".github/workflows/lgtmc-render-diff.yml"));
    std::fs::write(workflows.join("lgtmc-render-diff.yml"), reusable).expect("write");
    let written = repo.read(".github/workflows/lgtmc.yml");
    let local = written.replace(
        "OWNER/lgtmc/.github/workflows/lgtmc-render-diff.yml@main",
        "./.github/workflows/lgtmc-render-diff.yml",
    );
    assert_ne!(local, written, "the workflow calls the reusable one");
    std::fs::write(workflows.join("lgtmc.yml"), local).expect("write");
    let output = Command::new("actionlint")
        .current_dir(repo.path())
        .output()
        .expect("actionlint runs");
    assert!(output.status.success(), "{}", both(&output));
}

/// The README's "Your own GitOps repository" commands, run as written by `sh` in an empty
/// directory (with the lgtmc under test on PATH in place of `cargo install --path .`), end in a
/// committed repository that passed its hook and whose out/ is current.
#[test]
fn the_readme_newcomer_commands_make_a_committed_repository() {
    if !have("pre-commit", "the README's newcomer commands") {
        return;
    }
    let readme = read(&repo_root().join("README.md"));
    let block = readme
        .split("```sh\n")
        .filter_map(|rest| rest.split("```").next())
        .find(|block| block.contains("lgtmc init"))
        .expect("the README's sh block with `lgtmc init`");
    let mut script = String::from("set -e\n");
    let mut installs = 0;
    for line in block.lines() {
        let command = line.split("  #").next().unwrap_or_default().trim();
        if command.is_empty() || command.starts_with('#') {
            continue;
        }
        if command == "cargo install --path ." {
            installs += 1;
            continue;
        }
        script += command;
        script += "\n";
    }
    assert_eq!(
        installs, 1,
        "the block starts by installing lgtmc:\n{block}"
    );
    let dir = tempfile::tempdir().expect("a temporary directory");
    let pre_commit = PreCommit::new(true);
    let output = Command::new("sh")
        .current_dir(dir.path())
        .envs(pre_commit.envs())
        .env("GIT_CONFIG_GLOBAL", "/dev/null")
        .env("GIT_CONFIG_NOSYSTEM", "1")
        .env("GIT_AUTHOR_NAME", "newcomer")
        .env("GIT_AUTHOR_EMAIL", "newcomer@lgtmc.invalid")
        .env("GIT_COMMITTER_NAME", "newcomer")
        .env("GIT_COMMITTER_EMAIL", "newcomer@lgtmc.invalid")
        .env("NO_COLOR", "1")
        .env_remove("LGTMC_SPEC_DIR")
        .args(["-c", &script])
        .output()
        .expect("sh runs");
    assert!(output.status.success(), "{script}\n{}", both(&output));
    assert!(
        both(&output).contains("Passed"),
        "the hook ran:\n{}",
        both(&output)
    );
    let repo = dir.path().join("gitops");
    assert_eq!(git(&repo, &["rev-list", "--count", "HEAD"]), "1\n");
    assert_eq!(
        git(&repo, &["status", "--porcelain"]),
        "",
        "everything is committed"
    );
    let tracked = git(&repo, &["ls-files"]);
    for name in [
        "platform.kdl",
        "out/.lgtmc-manifest",
        ".pre-commit-config.yaml",
        ".github/workflows/lgtmc.yml",
    ] {
        assert!(tracked.lines().any(|l| l == name), "{name} is committed");
    }
}
