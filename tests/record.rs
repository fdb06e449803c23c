//! The check record (`src/cache.rs`): `render` records what it wrote; `check` trusts the record
//! only for the same inputs and an `out/` that holds exactly the recorded files, and answers
//! exactly as a full check would.

use std::fs;
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::process::Output;

use assert_cmd::Command;

use crate::common::{Repo, assert_exit, stdout};

/// lgtmc in `repo` with its own cache directory, so the test can find (and tamper with) the record.
fn run(repo: &Repo, cache: &Path, args: &[&str]) -> Output {
    Command::cargo_bin("lgtmc")
        .expect("the lgtmc binary")
        .current_dir(repo.path())
        .env_remove("LGTMC_SPEC_DIR")
        .env("NO_COLOR", "1")
        .env("LGTMC_CACHE_DIR", cache)
        .args(args)
        .output()
        .expect("lgtmc runs")
}

fn the_record(cache: &Path) -> PathBuf {
    let records: Vec<PathBuf> = fs::read_dir(cache)
        .expect("the cache directory")
        .map(|entry| entry.expect("an entry").path())
        .collect();
    assert_eq!(
        records.len(),
        1,
        "one record per spec directory: {records:?}"
    );
    records.into_iter().next().expect("one record")
}

fn read_record(record: &Path) -> serde_json::Value {
    serde_json::from_slice(&fs::read(record).expect("the record")).expect("JSON")
}

/// Changes the out/ file `path` to `text` and the record to say that is what was rendered (its
/// digest, and no stamp): only a check that believes the record can call that up to date.
fn forge(repo: &Repo, record: &Path, path: &str, text: &str) {
    let mut json = read_record(record);
    let digest = blake3::hash(text.as_bytes()).to_hex().to_string();
    json["files"][path] = serde_json::json!({ "digest": digest });
    fs::write(record, serde_json::to_vec(&json).expect("JSON")).expect("write the record");
    repo.write(&format!("out/{path}"), text);
}

#[test]
fn check_answers_from_the_record_of_the_last_render_of_the_same_inputs() {
    let repo = Repo::example();
    let cache = tempfile::tempdir().expect("a directory");
    assert_exit(&run(&repo, cache.path(), &["render"]), 0);
    let record = the_record(cache.path());
    let mode = fs::metadata(&record)
        .expect("the record")
        .permissions()
        .mode();
    assert_eq!(
        mode & 0o077,
        0,
        "only its owner may read or write the record"
    );

    forge(&repo, &record, "dev/alloy/config.alloy", "// forged\n");
    let trusted = run(&repo, cache.path(), &["check"]);
    assert_exit(&trusted, 0);
    let full = run(&repo, cache.path(), &["check", "--no-cache"]);
    assert_exit(&full, 1);
    assert!(stdout(&full).contains("// forged"), "{}", stdout(&full));

    // A record anyone else may write is not trusted.
    fs::set_permissions(&record, fs::Permissions::from_mode(0o666)).expect("chmod");
    assert_exit(&run(&repo, cache.path(), &["check"]), 1);
}

#[test]
fn the_answer_from_the_record_is_the_full_checks_answer() {
    let repo = Repo::example();
    let cache = tempfile::tempdir().expect("a directory");
    assert_exit(&run(&repo, cache.path(), &["render"]), 0);
    for args in [
        &["check"][..],
        &["check", "--env", "dev"],
        &["check", "--format", "github"],
        &["check", "--env", "staging", "--env", "prod"],
    ] {
        let recorded = run(&repo, cache.path(), args);
        let full = run(&repo, cache.path(), &[args, &["--no-cache"]].concat());
        assert_exit(&recorded, 0);
        assert_eq!(recorded.stdout, full.stdout, "{args:?}");
        assert_eq!(recorded.stderr, full.stderr, "{args:?}");
    }
    // An unknown environment is the full check's usage error, record or not.
    let unknown = run(&repo, cache.path(), &["check", "--env", "qa"]);
    assert_exit(&unknown, 2);
}

#[test]
fn a_record_never_hides_a_drift() {
    let repo = Repo::example();
    let cache = tempfile::tempdir().expect("a directory");
    let render = || assert_exit(&run(&repo, cache.path(), &["render"]), 0);
    let drifted = |what: &str| {
        let output = run(&repo, cache.path(), &["check"]);
        assert_eq!(output.status.code(), Some(1), "{what}: {}", stdout(&output));
    };
    render();
    let values = "out/prod/loki/values.yaml";
    repo.edit(values, "retention", "rétention");
    drifted("an edited file");
    render();
    fs::remove_file(repo.path().join(values)).expect("remove");
    drifted("a missing file");
    render();
    repo.write("out/prod/loki/.values.yaml.lgtmc-tmp", "half");
    drifted("a leftover temporary");
    fs::remove_file(repo.path().join("out/prod/loki/.values.yaml.lgtmc-tmp")).expect("remove");
    // Other inputs that render the same tree: the full check answers, and agrees.
    repo.write(
        "platform.kdl",
        &(repo.read("platform.kdl") + "// a comment\n"),
    );
    assert_exit(&run(&repo, cache.path(), &["check"]), 0);
    repo.edit("platform.kdl", r#"retention="7d""#, r#"retention="8d""#);
    drifted("an edited spec");
    render();
    repo.edit("environments/dev.kdl", "one replica", "one replica.");
    assert_exit(&run(&repo, cache.path(), &["check"]), 0);
    repo.edit("environments/dev.kdl", "dev.k8s", "dev2.k8s");
    drifted("an edited overlay");
}

/// The record keeps the stamp (device, inode, size, modification and change times) of every file
/// the render wrote or found holding its bytes, and `check` does not read a file whose stamp is
/// the recorded one: a drifted file given its own stamp in a forged record goes unseen. Any write
/// to a file changes its change time, whatever it does to the size and the modification time,
/// so with the true record the check reads the file and the drift shows.
#[test]
fn a_file_with_its_recorded_stamp_is_not_read_and_any_write_changes_the_stamp() {
    let repo = Repo::example();
    let cache = tempfile::tempdir().expect("a directory");
    assert_exit(&run(&repo, cache.path(), &["render"]), 0);
    let record = the_record(cache.path());
    let json = read_record(&record);
    let files = json["files"].as_object().expect("files");
    let stamped = files
        .values()
        .filter(|file| file["stamp"].is_array())
        .count();
    // Every file but the manifest, which the record hashes.
    assert_eq!(stamped, files.len() - 1, "{json}");

    // The same size and the same modification time, other bytes.
    let values = "prod/loki/values.yaml";
    let path = repo.path().join("out").join(values);
    let modified = fs::metadata(&path)
        .expect("stat")
        .modified()
        .expect("mtime");
    repo.edit(&format!("out/{values}"), "retention", "retentioN");
    let file = fs::File::options().write(true).open(&path).expect("open");
    file.set_modified(modified)
        .expect("set the modification time back");
    drop(file);

    // The record forged to hold the edited file's stamp beside the rendered bytes' digest. Written
    // once the clock has moved past the edit's tick, so that the stamp is trusted.
    let meta = fs::symlink_metadata(&path).expect("stat");
    let stamp = lgtmc::emit::Stamp::of(&meta).numbers();
    std::thread::sleep(std::time::Duration::from_millis(50));
    let mut forged = json.clone();
    forged["files"][values]["stamp"] = serde_json::json!(stamp);
    fs::write(&record, serde_json::to_vec(&forged).expect("JSON")).expect("write the record");
    assert_exit(&run(&repo, cache.path(), &["check"]), 0);
    assert_exit(&run(&repo, cache.path(), &["check", "--no-cache"]), 1);

    // The true record: the file's stamp changed, so it is read, and the drift shows.
    fs::write(&record, serde_json::to_vec(&json).expect("JSON")).expect("write the record");
    let output = run(&repo, cache.path(), &["check"]);
    assert_exit(&output, 1);
    assert!(stdout(&output).contains("retentioN"), "{}", stdout(&output));
}

#[test]
fn an_empty_cache_directory_setting_records_nothing() {
    let repo = Repo::example();
    let home = tempfile::tempdir().expect("a directory");
    let output = Command::cargo_bin("lgtmc")
        .expect("the lgtmc binary")
        .current_dir(repo.path())
        .env("HOME", home.path())
        .env("XDG_CACHE_HOME", home.path().join("xdg"))
        .env("LGTMC_CACHE_DIR", "")
        .arg("render")
        .output()
        .expect("lgtmc runs");
    assert_exit(&output, 0);
    let written: Vec<_> = fs::read_dir(home.path()).expect("home").collect();
    assert!(written.is_empty(), "{written:?}");
}
