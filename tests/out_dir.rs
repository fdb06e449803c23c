//! Writing `out/` (issue 12): nothing is written unless every write can be made, an interrupted
//! render leaves nothing the manifest does not record, a hand-written file is never overwritten,
//! one render at a time, and one output directory for writing, checking and the Applications.

use std::fs;
use std::io::{BufRead, BufReader};
use std::path::PathBuf;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use crate::common::{Repo, assert_exit, skipped, stderr, stdout};

const DEV_TENANT: &str = "tenant \"dev\" ingestion-rate=20000 retention=\"7d\"";

/// A change that rewrites about 25 files in every environment and adds 9.
fn add_tenant(repo: &Repo, id: &str) {
    let line = format!("{DEV_TENANT}\n    tenant \"{id}\" ingestion-rate=1000 retention=\"3d\"");
    repo.edit("platform.kdl", DEV_TENANT, &line);
}

/// The example rendered into `out/`, then changed so that the next render has work to do.
fn rendered_then_changed() -> Repo {
    let repo = Repo::example();
    assert_exit(&repo.run(&["render"]), 0);
    add_tenant(&repo, "newteam");
    repo
}

fn lgtmc() -> Command {
    let mut command = Command::new(env!("CARGO_BIN_EXE_lgtmc"));
    command.env_remove("LGTMC_SPEC_DIR").env("NO_COLOR", "1");
    command.env("LGTMC_CACHE_DIR", crate::common::cache_dir());
    command
}

/// Every file below `out/` whose name is not an lgtmc temporary.
fn files_on_disk(repo: &Repo) -> Vec<String> {
    let tree = repo.snapshot_tree("out");
    let names = tree.into_keys().filter(|p| !is_temporary(p));
    names.filter(|p| p != ".lgtmc-manifest").collect()
}

/// lgtmc's temporaries below `out/`: files, and the files of directories built aside.
fn temporaries(repo: &Repo) -> Vec<String> {
    let tree = repo.snapshot_tree("out").into_keys();
    tree.filter(|p| is_temporary(p)).collect()
}

fn is_temporary(path: &str) -> bool {
    path.split('/').any(|part| part.ends_with(".lgtmc-tmp"))
}

/// Every lgtmc file on disk is listed in the manifest: nothing an interruption leaves behind is
/// unknown to the next render.
#[track_caller]
fn manifest_records_every_file(repo: &Repo) {
    let manifest = repo.read("out/.lgtmc-manifest");
    for path in files_on_disk(repo) {
        assert!(
            manifest.lines().any(|line| line == path),
            "{path} is on disk but not in the manifest"
        );
    }
}

/// `chattr +i` (root, on a filesystem that has it), undone when dropped so the temporary
/// directory can be removed.
struct Immutable(Vec<PathBuf>);

impl Immutable {
    fn set(paths: &[PathBuf]) -> Option<Immutable> {
        let mut guard = Immutable(Vec::new());
        for path in paths {
            let status = Command::new("chattr")
                .arg("+i")
                .arg(path)
                .stderr(Stdio::null())
                .status();
            if !status.is_ok_and(|s| s.success()) {
                skipped(
                    "`chattr +i` as root",
                    "run the tests as root on a filesystem with the immutable flag (CI does)",
                    "`chattr +i` is not available here (it needs root and a filesystem with the immutable flag); this test makes files immutable for real and did not run",
                );
                return None;
            }
            guard.0.push(path.clone());
        }
        Some(guard)
    }
}

impl Drop for Immutable {
    fn drop(&mut self) {
        for path in &self.0 {
            let _ = Command::new("chattr").arg("-i").arg(path).status();
        }
    }
}

#[test]
fn immutable_manifest_file_and_directory_stop_the_render_before_any_write() {
    let repo = rendered_then_changed();
    let before = repo.snapshot_tree("out");
    let (manifest, values, dashboards) = (
        "out/.lgtmc-manifest",
        "out/prod/mimir/values.yaml",
        "out/staging/grafana/provisioning/dashboards",
    );
    let paths = [manifest, values, dashboards].map(|p| repo.path().join(p));
    let Some(_guard) = Immutable::set(&paths) else {
        return;
    };
    let output = repo.run(&["render"]);
    assert_exit(&output, 3);
    assert_eq!(before, repo.snapshot_tree("out"), "out/ changed");
    let message = stderr(&output);
    // Every problem at once, each named with a hint.
    for (path, what) in [
        (manifest, "cannot be written"),
        (values, "cannot be written"),
        (dashboards, "is a directory lgtmc cannot write in"),
    ] {
        let line = format!("error: `{path}` {what}");
        assert!(message.contains(&line), "{line:?} not in\n{message}");
    }
    assert!(message.contains("help: make it writable"), "{message}");
    assert!(
        message.contains("3 paths in `out` stop the render; nothing was written"),
        "{message}"
    );
    drop(_guard);
    assert_exit(&repo.run(&["render"]), 0);
    assert_exit(&repo.run(&["check"]), 0);
}

/// The same with plain permissions, for a user who is not root (root writes read-only files).
#[test]
fn read_only_file_and_directory_stop_the_render_before_any_write() {
    use std::os::unix::fs::PermissionsExt;
    let uid = Command::new("id").arg("-u").output().map(|o| stdout(&o));
    if uid.map_or(true, |uid| uid.trim() == "0") {
        skipped(
            "a user other than root",
            "run the tests as a user other than root (root writes read-only files)",
            "root may write read-only files; this test runs as another user and did not run (the immutable-file test covers root)",
        );
        return;
    }
    let repo = rendered_then_changed();
    let before = repo.snapshot_tree("out");
    let (values, dashboards) = (
        "out/prod/mimir/values.yaml",
        "out/staging/grafana/provisioning/dashboards",
    );
    let mode = |path: &str, mode: u32| {
        let permissions = fs::Permissions::from_mode(mode);
        fs::set_permissions(repo.path().join(path), permissions).expect("chmod");
    };
    mode(values, 0o444);
    mode(dashboards, 0o555);
    let output = repo.run(&["render"]);
    mode(dashboards, 0o755);
    assert_exit(&output, 3);
    assert_eq!(before, repo.snapshot_tree("out"), "out/ changed");
    let message = stderr(&output);
    for line in [
        format!("error: `{values}` cannot be written"),
        format!("error: `{dashboards}` is a directory lgtmc cannot write in"),
    ] {
        assert!(message.contains(&line), "{line:?} not in\n{message}");
    }
}

#[test]
fn a_file_or_symlink_in_the_way_of_a_directory_stops_the_render_before_any_write() {
    let repo = rendered_then_changed();
    let out = repo.path().join("out");
    fs::remove_dir_all(out.join("prod/loki")).expect("remove");
    repo.write("out/prod/loki", "a file where a directory should be\n");
    let outside = Repo::empty();
    fs::remove_dir_all(out.join("staging/mimir")).expect("remove");
    std::os::unix::fs::symlink(outside.path(), out.join("staging/mimir")).expect("symlink");
    let before = repo.snapshot_tree("out");
    let output = repo.run(&["render"]);
    assert_exit(&output, 3);
    assert_eq!(before, repo.snapshot_tree("out"), "out/ changed");
    assert!(
        outside.snapshot_tree(".").is_empty(),
        "wrote through the symlink"
    );
    let message = stderr(&output);
    for dir in ["prod/loki", "staging/mimir"] {
        let line = format!("error: `out/{dir}` is not a directory");
        assert!(message.contains(&line), "{line:?} not in\n{message}");
    }
}

#[test]
fn a_hand_written_file_at_a_path_the_spec_starts_to_generate_is_refused() {
    let repo = rendered_then_changed();
    let mine = "out/prod/grafana/provisioning/datasources/newteam.yaml";
    repo.write(mine, "# hand-written, not lgtmc's\n");
    let before = repo.snapshot_tree("out");
    let output = repo.run(&["render"]);
    assert_exit(&output, 3);
    assert_eq!(before, repo.snapshot_tree("out"), "out/ changed");
    let message = stderr(&output);
    let line = format!("error: `{mine}` was not generated by lgtmc");
    assert!(message.contains(&line), "{line:?} not in\n{message}");
    assert!(
        message.contains("help: move or delete it, then render again"),
        "{message}"
    );
    fs::remove_file(repo.path().join(mine)).expect("remove");
    assert_exit(&repo.run(&["render"]), 0);
    assert_exit(&repo.run(&["check"]), 0);
}

#[test]
fn files_with_the_bytes_lgtmc_would_write_are_adopted_without_a_manifest() {
    // A clone whose manifest was lost: identical files are taken over, a changed one is refused.
    let repo = Repo::example();
    assert_exit(&repo.run(&["render"]), 0);
    fs::remove_file(repo.path().join("out/.lgtmc-manifest")).expect("remove");
    assert_exit(&repo.run(&["render"]), 0);
    assert_exit(&repo.run(&["check"]), 0);
    fs::remove_file(repo.path().join("out/.lgtmc-manifest")).expect("remove");
    repo.edit("platform.kdl", "retention=\"7d\"", "retention=\"3d\"");
    let output = repo.run(&["render"]);
    assert_exit(&output, 3);
    assert!(stderr(&output).contains("dev/mimir/values.yaml` was not generated by lgtmc"));
}

#[test]
fn init_never_overwrites_a_hand_written_file_in_out() {
    let dir = Repo::empty();
    dir.write("out/prod/mimir/values.yaml", "mine\n");
    let output = lgtmc()
        .current_dir(dir.path())
        .args(["init", "."])
        .output()
        .expect("lgtmc runs");
    assert_exit(&output, 3);
    assert_eq!(dir.read("out/prod/mimir/values.yaml"), "mine\n");
    // The spec is written; `lgtmc render` finishes once the file is moved away.
    assert!(dir.path().join("platform.kdl").is_file());
    assert!(
        stderr(&output).contains("was not generated by lgtmc"),
        "{}",
        stderr(&output)
    );
}

/// Whether this build has the failure point `LGTMC_TEST_ABORT_BEFORE_WRITE` (debug builds); says
/// the test is skipped when it has not.
fn has_abort_point() -> bool {
    if !cfg!(debug_assertions) {
        skipped(
            "a debug build",
            "run `cargo test` without --release",
            "the abort point exists in debug builds only; this test did not run",
        );
    }
    cfg!(debug_assertions)
}

/// `lgtmc render` in `repo`, aborted by the failure point before its `n`th file (from 0).
fn render_aborted_before_file(repo: &Repo, n: usize) {
    let output = lgtmc()
        .current_dir(repo.path())
        .env("LGTMC_TEST_ABORT_BEFORE_WRITE", n.to_string())
        .arg("render")
        .output()
        .expect("lgtmc runs");
    assert_eq!(output.status.code(), None, "killed by a signal: {output:?}");
}

/// An injected failure point (debug builds only: `LGTMC_TEST_ABORT_BEFORE_WRITE=N` aborts the
/// process, as `kill -9` would, with no cleanup, right before the Nth file's temporary is renamed
/// into place). A real kill cannot be placed this exactly; `killed_renders_...` below does it at
/// random points.
#[test]
fn an_interrupted_render_is_recorded_reported_by_check_and_finished_by_the_next_render() {
    if !has_abort_point() {
        return;
    }
    let repo = Repo::example();
    assert_exit(&repo.run(&["render"]), 0);
    // Dropping `agents` and adding `newteam`: files to prune, to change and to create.
    repo.edit(
        "platform.kdl",
        "tenant \"agents\" ingestion-rate=50000 retention=\"14d\"\n",
        "",
    );
    add_tenant(&repo, "newteam");
    let old = repo.snapshot_tree("out");
    let copy = Repo::empty();
    let dir = copy.path().join("new").display().to_string();
    assert_exit(&repo.run(&["render", "--out", &dir]), 0);
    let new = copy.snapshot_tree("new");
    render_aborted_before_file(&repo, 12);
    manifest_records_every_file(&repo);
    // Every file holds its old bytes or its new bytes, never a part of them (the manifest holds
    // the journal, checked below).
    for (path, bytes) in repo.snapshot_tree("out") {
        let whole = [old.get(&path), new.get(&path)].contains(&Some(&bytes));
        assert!(
            whole || is_temporary(&path) || path == ".lgtmc-manifest",
            "{path} holds neither its old nor its new bytes"
        );
    }
    // Some files are new already, some still old: the abort came part way.
    let on_disk = repo.snapshot_tree("out");
    let is = |tree: &std::collections::BTreeMap<String, Vec<u8>>, path: &String| {
        tree.get(path) == on_disk.get(path) && old.get(path) != new.get(path)
    };
    assert!(new.keys().any(|p| is(&new, p)) && old.keys().any(|p| is(&old, p)));
    // Files are written on all cores: each writing thread may have had one temporary open.
    let leftovers = temporaries(&repo);
    let writers = std::thread::available_parallelism().map_or(1, std::num::NonZero::get);
    assert!(
        !leftovers.is_empty() && leftovers.len() <= writers,
        "{leftovers:?}"
    );
    let manifest = repo.read("out/.lgtmc-manifest");
    assert!(manifest.contains("\nprod/grafana/provisioning/datasources/newteam.yaml\n"));
    assert!(manifest.contains("\nprod/grafana/provisioning/datasources/agents.yaml\n"));
    let check = repo.run(&["check"]);
    assert_exit(&check, 1);
    let diff = stdout(&check);
    for leftover in &leftovers {
        assert!(diff.contains(&format!("extra: {leftover}\n")), "{diff}");
    }
    assert!(diff.contains("changed: .lgtmc-manifest\n"), "{diff}");
    let output = repo.run(&["render"]);
    assert_exit(&output, 0);
    assert!(temporaries(&repo).is_empty());
    assert!(
        !repo
            .path()
            .join("out/prod/grafana/provisioning/datasources/agents.yaml")
            .exists()
    );
    assert_exit(&repo.run(&["check"]), 0);
}

/// A first render builds each environment's directory aside and renames it into place once
/// every file is written: aborted part way (the debug failure point, before the Nth file is
/// created), it leaves no environment directory at all, only the journal and the directories
/// being built, which `check` reports and the next render removes.
#[test]
fn an_interrupted_first_render_leaves_no_environment_half_written() {
    if !has_abort_point() {
        return;
    }
    let repo = Repo::example();
    render_aborted_before_file(&repo, 40);
    let mut top: Vec<String> = fs::read_dir(repo.path().join("out"))
        .expect("out exists")
        .map(|entry| {
            entry
                .expect("entry")
                .file_name()
                .to_string_lossy()
                .into_owned()
        })
        .collect();
    top.sort();
    let (aside, rest): (Vec<String>, Vec<String>) = top
        .into_iter()
        .partition(|name| name.ends_with(".lgtmc-tmp"));
    // Only the journal: no environment's directory, whole or in part.
    assert_eq!(rest, [".lgtmc-manifest"], "{aside:?}");
    assert!(!aside.is_empty() && aside.iter().all(|name| name.starts_with('.')));
    let manifest = repo.read("out/.lgtmc-manifest");
    assert!(
        manifest.contains("\nprod/mimir/values.yaml\n"),
        "{manifest}"
    );
    let check = repo.run(&["check"]);
    assert_exit(&check, 1);
    for name in &aside {
        assert!(
            stdout(&check).contains(&format!("extra: {name}\n")),
            "{}",
            stdout(&check)
        );
    }
    assert_exit(&repo.run(&["render"]), 0);
    assert!(temporaries(&repo).is_empty());
    for name in &aside {
        assert!(!repo.path().join("out").join(name).exists(), "{name}");
    }
    assert_exit(&repo.run(&["check"]), 0);
    assert_exit(&repo.run(&["check", "--no-cache"]), 0);
}

/// The example with 40 more tenants in `dev` (`<prefix>team0` …): about 700 files in all.
fn with_40_more_tenants(prefix: &str) -> Repo {
    let repo = Repo::example();
    let tenants: String = (0..40)
        .map(|i| {
            format!(
                "\n    tenant \"{prefix}team{i}\" ingestion-rate={} retention=\"3d\"",
                1000 + i
            )
        })
        .collect();
    repo.edit(
        "platform.kdl",
        DEV_TENANT,
        &format!("{DEV_TENANT}{tenants}"),
    );
    repo
}

/// `lgtmc render` in `repo`, started and left running.
fn render_in_background(repo: &Repo) -> std::process::Child {
    lgtmc()
        .current_dir(repo.path())
        .arg("render")
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("lgtmc starts")
}

/// Real `kill -9`s of a render of a large platform at spread-out moments: whatever the moment,
/// the manifest records every file, `check` (from the check record or compiling) calls the tree
/// current exactly when it is complete, and the next render finishes the job.
#[test]
fn killed_renders_leave_nothing_unrecorded_and_the_next_render_finishes() {
    const STEPS: u32 = 6;
    let repo = with_40_more_tenants("s0-");
    assert_exit(&repo.run(&["render"]), 0);
    // Renaming every tenant removes and creates about 700 files: a long write phase.
    let rename = |step: u32| {
        let text = repo.read("platform.kdl");
        let (from, to) = (format!("\"s{step}-team"), format!("\"s{}-team", step + 1));
        repo.write("platform.kdl", &text.replace(&from, &to));
    };
    rename(0);
    let started = Instant::now();
    assert_exit(&repo.run(&["render"]), 0);
    let duration = started.elapsed();
    let mut interrupted = 0;
    for step in 1..=STEPS {
        rename(step);
        let manifest = repo.read("out/.lgtmc-manifest");
        let mut child = render_in_background(&repo);
        std::thread::sleep(duration.mul_f64(0.3 + 0.12 * f64::from(step)));
        let _ = child.kill();
        let status = child.wait().expect("wait");
        manifest_records_every_file(&repo);
        // What the render would have left had it not been killed, rendered outside the
        // repository: a render killed after its last write (and its check record) is complete.
        let complete = tempfile::tempdir().expect("a directory");
        let out = complete.path().join("out");
        let render_copy = repo.run(&["render", "--out", out.to_str().expect("UTF-8")]);
        assert_exit(&render_copy, 0);
        let finished =
            repo.snapshot_tree("out") == repo.snapshot_tree(out.to_str().expect("UTF-8"));
        assert!(
            finished || !status.success(),
            "a render that exited 0 finished"
        );
        // The journal (the manifest) changes before the first file does.
        interrupted += usize::from(!finished && repo.read("out/.lgtmc-manifest") != manifest);
        check_then_finish(&repo, finished);
    }
    report_kills(interrupted, STEPS, "renders");
}

/// Real `kill -9`s of first renders (no `out/` yet) at spread-out moments: whatever the moment,
/// every environment directory in `out/` is whole (it holds exactly the files of a complete
/// render), the rest is lgtmc's temporaries and the journal, `check` calls the tree current
/// exactly when it is complete, and the next render finishes the job.
#[test]
fn killed_first_renders_leave_whole_environments_or_none() {
    const STEPS: u32 = 5;
    let repo = with_40_more_tenants("");
    let started = Instant::now();
    assert_exit(&repo.run(&["render"]), 0);
    let duration = started.elapsed();
    let complete = repo.snapshot_tree("out");
    let mut interrupted = 0;
    for step in 1..=STEPS {
        fs::remove_dir_all(repo.path().join("out")).expect("remove out");
        let mut child = render_in_background(&repo);
        std::thread::sleep(duration.mul_f64(0.2 + 0.15 * f64::from(step)));
        let _ = child.kill();
        let status = child.wait().expect("wait");
        let on_disk = repo.snapshot_tree("out");
        let finished = on_disk == complete;
        assert!(
            finished || !status.success(),
            "a render that exited 0 finished"
        );
        interrupted += usize::from(!finished && on_disk.contains_key(".lgtmc-manifest"));
        for (path, bytes) in &on_disk {
            let whole = complete.get(path) == Some(bytes);
            assert!(
                whole || is_temporary(path) || path == ".lgtmc-manifest",
                "{path} is neither whole nor a temporary"
            );
        }
        // An environment's directory is there with all its files, or not at all.
        for environment in ["dev", "staging", "prod"] {
            let prefix = format!("{environment}/");
            let files = |tree: &std::collections::BTreeMap<String, Vec<u8>>| {
                tree.keys().filter(|p| p.starts_with(&prefix)).count()
            };
            let there = files(&on_disk);
            assert!(
                there == 0 || there == files(&complete),
                "{environment}: {there} files"
            );
        }
        check_then_finish(&repo, finished);
    }
    report_kills(interrupted, STEPS, "first renders");
}

/// After a killed render: `check`, from the check record and compiling, calls the tree current
/// exactly when the render `finished`; the next render finishes the job, leaving no temporary.
#[track_caller]
fn check_then_finish(repo: &Repo, finished: bool) {
    let expected = if finished { 0 } else { 1 };
    assert_exit(&repo.run(&["check"]), expected);
    assert_exit(&repo.run(&["check", "--no-cache"]), expected);
    assert_exit(&repo.run(&["render"]), 0);
    assert!(temporaries(repo).is_empty());
    assert_exit(&repo.run(&["check"]), 0);
}

/// How many of the kills landed while the render wrote `out/` (on stderr: a kill test whose
/// kills all land before or after the writes proves less).
fn report_kills(interrupted: usize, steps: u32, what: &str) {
    let _ = std::io::Write::write_all(
        &mut std::io::stderr(),
        format!("killed {interrupted} of {steps} {what} while they wrote out/\n").as_bytes(),
    );
}

/// Holds the lock lgtmc takes on `out/` (this test process stands for another render), starts
/// `lgtmc COMMAND` and returns once it says it waits. Dropping the returned file releases the lock.
fn start_while_out_is_locked(
    repo: &Repo,
    command: &str,
) -> (
    fs::File,
    std::process::Child,
    BufReader<std::process::ChildStderr>,
) {
    let held = fs::File::open(repo.path().join("out")).expect("open out");
    rustix::fs::flock(&held, rustix::fs::FlockOperation::LockExclusive).expect("lock");
    let mut child = lgtmc()
        .current_dir(repo.path())
        .arg(command)
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .expect("lgtmc starts");
    // lgtmc says it waits once it has compiled the spec and found the lock taken.
    let mut messages = BufReader::new(child.stderr.take().expect("stderr"));
    let mut line = String::new();
    messages.read_line(&mut line).expect("read stderr");
    assert_eq!(
        line,
        "waiting for another lgtmc render into `out` to finish\n"
    );
    (held, child, messages)
}

#[test]
fn a_render_waits_for_another_to_release_out() {
    let repo = rendered_then_changed();
    let before = repo.snapshot_tree("out");
    let (held, mut child, mut messages) = start_while_out_is_locked(&repo, "render");
    std::thread::sleep(Duration::from_millis(500));
    assert!(
        child.try_wait().expect("poll").is_none(),
        "render did not wait"
    );
    assert_eq!(
        before,
        repo.snapshot_tree("out"),
        "wrote while another render held out/"
    );
    drop(held);
    let status = child.wait().expect("wait");
    assert!(status.success());
    let mut rest = String::new();
    messages.read_line(&mut rest).expect("read stderr");
    assert_eq!(rest, "", "the render said it waited once");
    assert_exit(&repo.run(&["check"]), 0);
}

#[test]
fn check_waits_for_a_render_to_release_out() {
    let repo = Repo::example();
    assert_exit(&repo.run(&["render"]), 0);
    let (held, mut child, _messages) = start_while_out_is_locked(&repo, "check");
    std::thread::sleep(Duration::from_millis(300));
    assert!(
        child.try_wait().expect("poll").is_none(),
        "check did not wait"
    );
    drop(held);
    assert!(child.wait().expect("wait").success());
}

#[test]
fn two_renders_at_once_end_in_the_tree_of_one_of_them() {
    let (first, second) = (Repo::example(), Repo::example());
    add_tenant(&first, "first");
    add_tenant(&second, "second");
    second.edit("platform.kdl", "retention=\"90d\"", "retention=\"30d\"");
    let shared = Repo::empty();
    let out = shared.path().join("out").display().to_string();
    for _ in 0..4 {
        let spawn = |repo: &Repo| {
            lgtmc()
                .current_dir(repo.path())
                .args(["render", "--out", &out])
                .stdout(Stdio::null())
                .stderr(Stdio::null())
                .spawn()
                .expect("lgtmc starts")
        };
        let (a, b) = (spawn(&first), spawn(&second));
        for mut child in [a, b] {
            assert!(child.wait().expect("wait").success());
        }
        let checks = [&first, &second].map(|repo| repo.run(&["check", "--out", &out]));
        let current: Vec<_> = checks.iter().map(|c| c.status.code()).collect();
        assert!(
            current == [Some(0), Some(1)] || current == [Some(1), Some(0)],
            "{current:?}"
        );
    }
}

/// A real full disk: a 12 MiB tmpfs in a private mount namespace (`unshare -m`, root), filled
/// until about 40 KiB are left, less than the render needs and more than several of its files;
/// then filled completely, where a render with nothing to write still succeeds.
#[test]
fn a_full_disk_stops_the_render_before_any_write() {
    let (first, second) = (Repo::example(), Repo::example());
    add_tenant(&second, "newteam");
    let mount = Repo::empty();
    let script = r#"
        set -e
        mount -t tmpfs -o size=12m tmpfs "$MNT"
        "$LGTMC" -C "$FIRST" render --out "$MNT/out" >/dev/null
        dd if=/dev/zero of="$MNT/filler" bs=64k 2>/dev/null || true
        truncate -s -40k "$MNT/filler"
        set +e
        "$LGTMC" -C "$SECOND" render --out "$MNT/out"
        echo "second render: $?"
        "$LGTMC" -C "$FIRST" check --out "$MNT/out" >/dev/null
        echo "first check: $?"
        cat /dev/zero >>"$MNT/filler" 2>/dev/null
        "$LGTMC" -C "$FIRST" render --out "$MNT/out" >/dev/null
        echo "render with nothing to write on a full disk: $?"
        "$LGTMC" -C "$FIRST" render --out "$MNT/fresh" 2>/dev/null
        echo "render into a new directory on a full disk: $?"
        test -e "$MNT/fresh" && echo "the new directory is left behind"
    "#;
    let output = Command::new("unshare")
        .args(["-m", "sh", "-c", script])
        .env("MNT", mount.path())
        .env("LGTMC", env!("CARGO_BIN_EXE_lgtmc"))
        .env("LGTMC_CACHE_DIR", crate::common::cache_dir())
        .env("FIRST", first.path())
        .env("SECOND", second.path())
        .env("NO_COLOR", "1")
        .output();
    let output = match output {
        Ok(output) if stdout(&output).contains("second render:") => output,
        _ => {
            skipped(
                "root (`unshare -m`, `mount -t tmpfs`)",
                "run the tests as root (CI does)",
                "`unshare -m` and `mount -t tmpfs` need root; this test fills a real filesystem and did not run",
            );
            return;
        }
    };
    let text = stdout(&output);
    assert!(
        text.contains("second render: 3\n"),
        "{text}\n{}",
        stderr(&output)
    );
    assert!(
        text.contains("first check: 0\n"),
        "out/ changed:\n{text}\n{}",
        stderr(&output)
    );
    assert!(
        text.contains("render with nothing to write on a full disk: 0\n"),
        "{text}"
    );
    assert!(
        text.contains("render into a new directory on a full disk: 3\n"),
        "{text}"
    );
    assert!(!text.contains("left behind"), "{text}");
    assert!(
        stderr(&output).contains("not enough free space for the render"),
        "{}",
        stderr(&output)
    );
}

#[test]
fn gitops_out_is_where_render_writes_check_reads_and_applications_point() {
    let repo = Repo::example();
    repo.edit(
        "platform.kdl",
        "branch=\"main\"",
        "branch=\"main\" out=\"deploy\"",
    );
    let output = repo.run(&["render"]);
    assert_exit(&output, 0);
    assert!(
        stdout(&output).contains("into deploy:"),
        "{}",
        stdout(&output)
    );
    assert!(!repo.path().join("out").exists());
    let app = repo.read("deploy/prod/argocd/mimir.yaml");
    assert!(app.contains("deploy/prod/mimir/values.yaml"), "{app}");
    assert_exit(&repo.run(&["check"]), 0);
    assert_exit(&repo.run(&["check", "--out", "deploy"]), 0);
    assert_exit(&repo.run(&["check", "--out", "./deploy/"]), 0);
    // From elsewhere, with -C: the same directory.
    let output = lgtmc()
        .current_dir(repo.path().parent().expect("a parent"))
        .arg("-C")
        .arg(repo.path())
        .arg("check")
        .output()
        .expect("lgtmc runs");
    assert_exit(&output, 0);
}

#[test]
fn out_inside_the_repository_must_be_gitops_out_and_a_copy_goes_outside() {
    let repo = Repo::example();
    let output = repo.run(&["render", "--out", "deploy"]);
    assert_exit(&output, 2);
    assert!(!repo.path().join("deploy").exists());
    let message = stderr(&output);
    assert!(
        message.contains("error: `--out deploy` is inside the repository, but the spec's Argo CD Applications point at `out` (`gitops out`)"),
        "{message}"
    );
    assert!(
        message.contains("set `gitops out=\"deploy\"` in platform.kdl"),
        "{message}"
    );
    assert_exit(&repo.run(&["check", "--out", "sub/../deploy"]), 2);
    // A copy outside the repository still points at `out/`, where the repository keeps it.
    let copy = Repo::empty();
    let dir = copy.path().join("preview").display().to_string();
    assert_exit(&repo.run(&["render", "--out", &dir]), 0);
    assert!(
        copy.read("preview/prod/argocd/mimir.yaml")
            .contains("out/prod/mimir/values.yaml")
    );
    assert_exit(&repo.run(&["check", "--out", &dir]), 0);
}

#[test]
fn gitops_out_is_one_relative_directory() {
    for (from, to) in [
        ("branch=\"main\"", "branch=\"main\" out=\"../elsewhere\""),
        ("branch=\"main\"", "branch=\"main\" out=\"a/./b\""),
    ] {
        let repo = Repo::example();
        repo.edit("platform.kdl", from, to);
        let output = repo.run(&["render"]);
        assert_exit(&output, 2);
        assert!(
            stderr(&output).contains("platform.kdl:9:"),
            "{}",
            stderr(&output)
        );
        assert!(
            repo.snapshot_tree(".")
                .keys()
                .all(|p| !p.contains(".lgtmc-manifest"))
        );
        assert!(!repo.path().join("../elsewhere").exists());
    }
    let repo = Repo::example();
    repo.edit(
        "environments/prod.kdl",
        "environment \"prod\" {",
        "environment \"prod\" {\n    gitops out=\"deploy\"",
    );
    let output = repo.run(&["render"]);
    assert_exit(&output, 2);
    let message = stderr(&output);
    assert!(
        message.contains(
            "environment `prod` puts the rendered tree in `deploy`, environment `dev` in `out`"
        ),
        "{message}"
    );
    assert!(message.contains("prod.kdl:"), "{message}");
    assert!(!repo.path().join("out").exists() && !repo.path().join("deploy").exists());
}

/// `render --env dev` after a tenant is dropped prunes only dev's files of it; the other
/// environments' files stay recorded in the manifest, so the next full render prunes them too.
#[test]
fn render_of_one_environment_keeps_owning_the_others_stale_files() {
    let repo = Repo::example();
    assert_exit(&repo.run(&["render"]), 0);
    let agents = "grafana/provisioning/datasources/agents.yaml";
    repo.edit(
        "platform.kdl",
        "tenant \"agents\" ingestion-rate=50000 retention=\"14d\"\n",
        "",
    );
    assert_exit(&repo.run(&["render", "--env", "dev"]), 0);
    assert!(!repo.path().join(format!("out/dev/{agents}")).exists());
    assert!(repo.path().join(format!("out/prod/{agents}")).exists());
    assert!(
        repo.read("out/.lgtmc-manifest")
            .contains(&format!("\nprod/{agents}\n"))
    );
    let check = repo.run(&["check"]);
    assert_exit(&check, 1);
    assert!(stdout(&check).contains(&format!("extra: prod/{agents}\n")));
    assert_exit(&repo.run(&["render"]), 0);
    assert!(!repo.path().join(format!("out/prod/{agents}")).exists());
    assert!(!repo.read("out/.lgtmc-manifest").contains("agents.yaml"));
    assert_exit(&repo.run(&["check"]), 0);
}
