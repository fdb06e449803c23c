//! `lgtmc init`: a starter repository that renders and checks clean, with git, a .gitignore, a
//! pre-commit hook and a CI workflow, warnings at the placeholders to replace, and that never
//! overwrites. The hook and the workflow run for real in `workflows.rs`.

use crate::common::{Repo, assert_exit, git, read, repo_root, stderr, stdout};

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
        "versions/dev.yaml",
    ] {
        assert_eq!(
            read(&created.join(name)),
            read(&repo_root().join(name)),
            "{name} is the example spec"
        );
    }
    assert_exit(&repo.run(&["-C", "gitops", "check"]), 0);
}

#[test]
fn init_makes_a_git_repository_with_hook_workflow_and_next_steps() {
    let repo = Repo::empty();
    let output = repo.run(&["init", "gitops"]);
    assert_exit(&output, 0);
    let dir = repo.path().join("gitops");
    for name in [
        ".gitignore",
        ".pre-commit-config.yaml",
        ".github/workflows/lgtmc.yml",
    ] {
        assert!(dir.join(name).is_file(), "{name}");
    }
    assert_eq!(git(&dir, &["symbolic-ref", "--short", "HEAD"]), "main\n");
    // Nothing lgtmc wrote is ignored: out/ must be committed.
    let untracked = git(&dir, &["ls-files", "--others", "--exclude-standard"]);
    let on_disk = walkdir::WalkDir::new(&dir)
        .into_iter()
        .filter_entry(|e| e.file_name() != ".git")
        .filter(|e| e.as_ref().is_ok_and(|e| e.file_type().is_file()))
        .count();
    assert_eq!(untracked.lines().count(), on_disk, "{untracked}");

    let text = stdout(&output);
    assert!(
        text.contains("initialised a git repository (branch main)"),
        "{text}"
    );
    let next = text.split("next:\n").nth(1).expect("next steps");
    let steps: Vec<&str> = next
        .lines()
        .filter(|line| !line.trim_start().starts_with('#'))
        .map(|line| line.split('#').next().unwrap_or_default().trim())
        .collect();
    assert_eq!(
        steps,
        [
            "cd gitops",
            "lgtmc render",
            "pre-commit install",
            "git add --all && git commit -m \"platform: first render\""
        ],
        "{text}"
    );

    // The warnings point at the lines to edit, the GitOps repository first.
    let warnings = stderr(&output);
    let first = warnings.find("⚠").expect("a warning");
    assert!(
        warnings[first..]
            .starts_with("⚠ `https://git.example.com/platform/gitops.git` is a placeholder"),
        "{warnings}"
    );
    let line = read(&repo_root().join("platform.kdl"))
        .lines()
        .position(|l| l.contains("gitops repo="))
        .expect("a gitops line")
        + 1;
    assert!(
        warnings.contains(&format!("[platform.kdl:{line}:18]")),
        "{warnings}"
    );
    assert!(warnings.contains("help: edit this first"), "{warnings}");
    assert!(
        warnings.contains("[environments/dev.kdl:3:14]"),
        "the cluster placeholders too:\n{warnings}"
    );
    assert!(
        warnings.contains("⚠ the CI workflow calls lgtmc at a placeholder, `OWNER/lgtmc`"),
        "{warnings}"
    );
}

#[test]
fn init_with_lgtmc_git_fills_in_the_workflow() {
    let repo = Repo::empty();
    let output = repo.run(&[
        "init",
        "gitops",
        "--lgtmc-git",
        "https://github.com/acme/lgtmc.git",
    ]);
    assert_exit(&output, 0);
    let workflow = repo.read("gitops/.github/workflows/lgtmc.yml");
    assert!(
        workflow.contains("    uses: acme/lgtmc/.github/workflows/lgtmc-render-diff.yml@main\n"),
        "{workflow}"
    );
    assert!(
        workflow.contains("      lgtmc-git: https://github.com/acme/lgtmc\n"),
        "{workflow}"
    );
    assert!(!workflow.contains("OWNER"), "{workflow}");
    assert!(!stderr(&output).contains("OWNER"), "{}", stderr(&output));

    let output = repo.run(&[
        "init",
        "other",
        "--lgtmc-git",
        "https://gitlab.example.com/acme/lgtmc",
    ]);
    assert_exit(&output, 2);
    assert!(
        stderr(&output).starts_with("error: --lgtmc-git `https://gitlab.example.com/acme/lgtmc` is not a GitHub repository URL\nhelp: "),
        "{}",
        stderr(&output)
    );
    assert!(!repo.path().join("other").exists(), "nothing written");
}

#[test]
fn init_inside_a_repository_keeps_its_git_and_its_files() {
    let repo = Repo::empty();
    git(repo.path(), &["init", "--quiet"]);
    repo.write(".gitignore", "mine\n");
    let output = repo.run(&["init"]);
    assert_exit(&output, 0);
    assert!(
        stdout(&output).contains("inside a git repository already"),
        "{}",
        stdout(&output)
    );
    assert!(stdout(&output).contains("kept the existing .gitignore"));
    assert_eq!(repo.read(".gitignore"), "mine\n");
    assert!(!stdout(&output).contains("  cd "), "{}", stdout(&output));
}

#[test]
fn the_init_workflow_is_the_readme_caller_workflow() {
    let repo = Repo::empty();
    assert_exit(&repo.run(&["init"]), 0);
    let readme = read(&repo_root().join("README.md"));
    let snippet = readme
        .split("```yaml\n")
        .filter_map(|rest| rest.split("```").next())
        .find(|block| block.contains("lgtmc-render-diff.yml@"))
        .expect("the README's caller workflow");
    assert_eq!(
        yaml(&repo.read(".github/workflows/lgtmc.yml")),
        yaml(snippet)
    );
}

#[test]
fn the_init_hook_is_the_published_system_hook() {
    let repo = Repo::empty();
    assert_exit(&repo.run(&["init"]), 0);
    let config = yaml(&repo.read(".pre-commit-config.yaml"));
    let hooks = config["repos"][0]["hooks"].as_array().expect("hooks");
    assert_eq!(config["repos"][0]["repo"], "local");
    assert_eq!(hooks.len(), 1);
    let published = yaml(&read(&repo_root().join(".pre-commit-hooks.yaml")));
    let system = published
        .as_array()
        .expect("a list of hooks")
        .iter()
        .find(|hook| hook["id"] == "lgtmc-check-system")
        .expect("the published system hook");
    for key in ["id", "name", "entry", "language", "files", "pass_filenames"] {
        assert_eq!(hooks[0][key], system[key], "{key}");
    }
}

/// Every input of the compile (each source a generated file's header names) and every file under
/// out/ matches the `files` pattern of every hook configuration lgtmc publishes or writes, so an
/// edit to any of them runs `lgtmc check`.
#[test]
fn every_hook_runs_on_every_input_of_the_compile() {
    let repo = Repo::empty();
    assert_exit(&repo.run(&["init"]), 0);
    let mut paths = std::collections::BTreeSet::new();
    for (path, bytes) in repo.snapshot_tree("out") {
        paths.insert(format!("out/{path}"));
        let text = String::from_utf8_lossy(&bytes);
        let header = text.lines().next().unwrap_or_default();
        if let Some(sources) = header
            .split("generated by lgtmc from ")
            .nth(1)
            .and_then(|rest| rest.split(';').next())
        {
            paths.extend(sources.split(", ").map(str::to_owned));
        }
    }
    paths.insert("templates/mimir/values.yaml.j2".to_owned());
    for input in [
        "platform.kdl",
        "environments/prod.kdl",
        "versions/prod.yaml",
    ] {
        assert!(paths.contains(input), "{input} is named as a source");
    }
    let readme = read(&repo_root().join("README.md"));
    let mut configs = vec![
        (
            ".pre-commit-hooks.yaml",
            yaml(&read(&repo_root().join(".pre-commit-hooks.yaml"))),
        ),
        (
            "init's .pre-commit-config.yaml",
            yaml(&repo.read(".pre-commit-config.yaml"))["repos"][0]["hooks"].clone(),
        ),
    ];
    for block in readme.split("```yaml\n").skip(1) {
        let block = block.split("```").next().unwrap_or_default();
        if block.contains("files:") {
            configs.push(("README.md", yaml(block)["repos"][0]["hooks"].clone()));
        }
    }
    assert_eq!(configs.len(), 3, "the README's local hook has a `files`");
    for (name, hooks) in configs {
        for hook in hooks.as_array().expect("hooks") {
            let pattern = hook["files"].as_str().expect("a files pattern");
            let files = regex::Regex::new(pattern).expect("a regex");
            for path in &paths {
                assert!(
                    files.is_match(path),
                    "{name}: hook `{}` does not run on `{path}` ({pattern})",
                    hook["id"]
                );
            }
        }
    }
}

fn yaml(text: &str) -> serde_json::Value {
    let value: serde_norway::Value = serde_norway::from_str(text).expect("YAML");
    serde_json::to_value(value).expect("JSON-compatible")
}

#[test]
fn init_without_git_says_so() {
    let repo = Repo::empty();
    let empty = tempfile::tempdir().expect("a temporary directory");
    let output = assert_cmd::Command::cargo_bin("lgtmc")
        .expect("the lgtmc binary")
        .current_dir(repo.path())
        .env("PATH", empty.path())
        .env("NO_COLOR", "1")
        .env("LGTMC_CACHE_DIR", crate::common::cache_dir())
        .args(["init", "gitops"])
        .output()
        .expect("lgtmc runs");
    assert_exit(&output, 0);
    assert!(
        stdout(&output).contains("git is not installed: install it, then run `git init -b main`"),
        "{}",
        stdout(&output)
    );
    assert!(!repo.path().join("gitops/.git").exists());
    assert!(repo.path().join("gitops/.pre-commit-config.yaml").is_file());
}

#[test]
fn init_into_a_file_is_a_usage_error() {
    let repo = Repo::empty();
    repo.write("gitops", "a file\n");
    let output = repo.run(&["init", "gitops"]);
    assert_exit(&output, 2);
    assert!(
        stderr(&output).starts_with("error: `gitops` is not a directory\nhelp: "),
        "{}",
        stderr(&output)
    );
    assert_eq!(repo.read("gitops"), "a file\n");
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
