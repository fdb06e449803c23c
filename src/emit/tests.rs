//! Tests of writing, pruning and comparing `out/`.

use super::compare::file_drift;
use super::manifest::MANIFEST_HEADER;
use super::*;
use std::fs;
use std::time::{Duration, SystemTime};

fn tree(files: &[(&str, &str)]) -> RenderedTree {
    let mut t: RenderedTree = files
        .iter()
        .map(|(p, c)| (p.to_string(), Text::from(*c)))
        .collect();
    let manifest = manifest_text(files.iter().map(|(p, _)| *p));
    t.insert(MANIFEST_PATH.into(), manifest.into());
    t
}

fn strs(v: &[&str]) -> Vec<String> {
    v.iter().map(|s| s.to_string()).collect()
}

fn paths(files: &[FileDrift]) -> Vec<&str> {
    files.iter().map(|f| f.path.as_str()).collect()
}

fn read(path: PathBuf) -> String {
    fs::read_to_string(path).unwrap()
}

fn fd(path: &str, on_disk: &str, rendered: &str) -> FileDrift {
    file_drift(path, on_disk.into(), rendered)
}

fn no_tmp_files(dir: &Path) -> bool {
    let names = walkdir::WalkDir::new(dir)
        .into_iter()
        .map(|e| e.unwrap().into_path());
    names
        .map(|p| p.display().to_string())
        .all(|p| !p.contains(".lgtmc-tmp"))
}

/// Takes the report's stamps out, after checking that they are the stamps of exactly `paths` as
/// they are on disk now.
fn assert_stamped(out: &Path, report: &mut WriteReport, paths: &[&str]) {
    let stamps = std::mem::take(&mut report.stamps);
    assert_eq!(stamps.keys().collect::<Vec<_>>(), paths);
    for (path, stamp) in stamps {
        let meta = fs::symlink_metadata(out.join(&path)).unwrap();
        assert_eq!(stamp, Stamp::of(&meta), "{path}");
    }
}

#[test]
fn first_write_writes_all_and_manifest() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("out");
    let t = tree(&[("prod/mimir/values.yaml", "a: 1\n"), ("README.md", "hi\n")]);
    let mut report = write_tree(&out, &t).unwrap();
    assert_stamped(&out, &mut report, &["README.md", "prod/mimir/values.yaml"]);
    let all = strs(&[MANIFEST_PATH, "README.md", "prod/mimir/values.yaml"]);
    assert_eq!(
        report,
        WriteReport {
            written: all,
            ..Default::default()
        }
    );
    assert_eq!(read(out.join("prod/mimir/values.yaml")), "a: 1\n");
    let manifest = format!("{MANIFEST_HEADER}\nREADME.md\nprod/mimir/values.yaml\n");
    assert_eq!(read(out.join(MANIFEST_PATH)), manifest);
    assert!(no_tmp_files(&out));
}

#[test]
fn same_tree_twice_writes_nothing_and_keeps_mtimes() {
    let dir = tempfile::tempdir().unwrap();
    let t = tree(&[("a/b.yaml", "x\n"), ("c.yaml", "y\n")]);
    write_tree(dir.path(), &t).unwrap();
    let old = SystemTime::UNIX_EPOCH + Duration::from_secs(1_000_000);
    let open = |p: &str| {
        fs::File::options()
            .write(true)
            .open(dir.path().join(p))
            .unwrap()
    };
    t.keys().for_each(|p| open(p).set_modified(old).unwrap());
    let mut report = write_tree(dir.path(), &t).unwrap();
    assert_stamped(dir.path(), &mut report, &["a/b.yaml", "c.yaml"]);
    let unchanged = t.keys().cloned().collect();
    assert_eq!(
        report,
        WriteReport {
            unchanged,
            ..Default::default()
        }
    );
    for path in t.keys() {
        assert_eq!(open(path).metadata().unwrap().modified().unwrap(), old);
    }
}

#[test]
fn changed_file_is_rewritten() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path();
    write_tree(out, &tree(&[("a.yaml", "v: 1\n"), ("b.yaml", "b\n")])).unwrap();
    fs::write(out.join("b.yaml"), "hand edit\n").unwrap();
    let mut report = write_tree(out, &tree(&[("a.yaml", "v: 22\n"), ("b.yaml", "b\n")])).unwrap();
    // Replaced through a temporary and a rename: stamped after the rename.
    assert_stamped(out, &mut report, &["a.yaml", "b.yaml"]);
    assert_eq!(report.written, strs(&["a.yaml", "b.yaml"]));
    assert_eq!(
        (read(out.join("a.yaml")), read(out.join("b.yaml"))),
        ("v: 22\n".into(), "b\n".into())
    );
    assert!(no_tmp_files(out));
}

#[test]
fn stale_owned_file_is_pruned_with_its_emptied_dirs() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path();
    let files = [
        ("a", "1"),
        ("old/deep/x.yaml", "x"),
        ("keep/y", "y"),
        ("keep/z", "z"),
    ];
    write_tree(out, &tree(&files)).unwrap();
    let report = write_tree(out, &tree(&[("a", "1"), ("keep/y", "y")])).unwrap();
    assert_eq!(report.removed, strs(&["keep/z", "old/deep/x.yaml"]));
    assert_eq!(report.written, strs(&[MANIFEST_PATH]));
    assert!(!out.join("old").exists() && !out.join("keep/z").exists());
    assert!(out.join("keep/y").exists() && out.exists());
    // A stale file where a directory is now needed is pruned before the write.
    write_tree(out, &tree(&[("a/b", "nested")])).unwrap();
    assert_eq!(read(out.join("a/b")), "nested");
}

/// Owned files below `a/` the spec no longer produces, and now a file `a`: the directory is
/// pruned first. An empty directory of someone else's under `a/` keeps it in the way.
#[test]
fn a_directory_of_stale_owned_files_makes_way_for_a_file_but_not_a_foreign_one() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path();
    write_tree(out, &tree(&[("a/b/c", "c"), ("a/d", "d")])).unwrap();
    fs::create_dir(out.join("a/mine")).unwrap();
    let err = write_tree(out, &tree(&[("a", "file")]));
    let Err(EmitError::Refused { refusals, .. }) = err else {
        panic!("{err:?}");
    };
    let reason = Reason::NotAFile;
    assert_eq!(
        refusals,
        [Refusal {
            path: out.join("a"),
            reason
        }]
    );
    assert_eq!(read(out.join("a/d")), "d");
    fs::remove_dir(out.join("a/mine")).unwrap();
    let report = write_tree(out, &tree(&[("a", "file")])).unwrap();
    assert_eq!(report.removed, strs(&["a/b/c", "a/d"]));
    assert_eq!(read(out.join("a")), "file");
}

#[test]
fn foreign_files_are_left_alone() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path();
    write_tree(out, &tree(&[("prod/v.yaml", "v"), ("prod/w.yaml", "w")])).unwrap();
    fs::write(out.join("README.md"), "mine").unwrap();
    fs::write(out.join("prod/notes.txt"), "mine too").unwrap();
    let report = write_tree(out, &tree(&[("other/v.yaml", "v")])).unwrap();
    assert_eq!(report.removed, strs(&["prod/v.yaml", "prod/w.yaml"]));
    assert_eq!(read(out.join("README.md")), "mine");
    assert_eq!(read(out.join("prod/notes.txt")), "mine too");
}

#[test]
fn unsafe_paths_are_refused_and_nothing_outside_is_deleted() {
    let dir = tempfile::tempdir().unwrap();
    let (out, victim) = (dir.path().join("out"), dir.path().join("victim"));
    fs::create_dir(&out).unwrap();
    fs::write(&victim, "keep").unwrap();
    fn unsafe_err<T>(r: Result<T, EmitError>) -> bool {
        matches!(r, Err(EmitError::UnsafePath { .. }))
    }
    for bad in ["../victim", &victim.display().to_string(), "a/../../victim"] {
        fs::write(
            out.join(MANIFEST_PATH),
            format!("{MANIFEST_HEADER}\n{bad}\n"),
        )
        .unwrap();
        assert!(unsafe_err(write_tree(&out, &tree(&[("a.yaml", "a")]))));
        assert!(unsafe_err(compare_tree(&out, &tree(&[]))));
        assert!(victim.exists() && !out.join("a.yaml").exists());
    }
    for bad in [
        "../x",
        "/etc/x",
        "a\\b",
        "",
        "a//b",
        "./a",
        "a/",
        "a\nREADME",
        "#a",
    ] {
        assert!(
            unsafe_err(write_tree(&out, &tree(&[(bad, "x")]))),
            "{bad:?}"
        );
    }
    let mut no_manifest = tree(&[("a.yaml", "a")]);
    no_manifest.remove(MANIFEST_PATH);
    let err = write_tree(&out, &no_manifest);
    assert!(matches!(err, Err(EmitError::ManifestMismatch)));
    let err = write_tree(&out, &tree(&[("a", "1"), ("a/b", "2")]));
    assert!(matches!(err, Err(EmitError::NotAFile { .. })));
    assert!(!out.join("a.yaml").exists() && !out.join("a").exists());
}

#[cfg(unix)]
#[test]
fn symlinked_directories_are_never_followed() {
    let dir = tempfile::tempdir().unwrap();
    let (out, outside) = (dir.path().join("out"), dir.path().join("outside"));
    fs::create_dir_all(&outside).unwrap();
    fs::create_dir_all(&out).unwrap();
    fs::write(outside.join("f"), "keep").unwrap();
    std::os::unix::fs::symlink(&outside, out.join("link")).unwrap();
    fs::write(out.join(MANIFEST_PATH), manifest_text(["link/f"])).unwrap();
    assert!(compare_tree(&out, &tree(&[])).unwrap().extra.is_empty());
    write_tree(&out, &tree(&[])).unwrap();
    assert!(outside.join("f").exists());
    let err = write_tree(&out, &tree(&[("link/g", "g")]));
    let Err(EmitError::Refused { refusals, .. }) = err else {
        panic!("{err:?}");
    };
    let reason = Reason::NotADirectory;
    assert_eq!(
        refusals,
        [Refusal {
            path: out.join("link"),
            reason
        }]
    );
    assert!(!outside.join("g").exists());
}

/// A directory of someone else's or a symlink where the tree has a file: refused, all at once,
/// before anything is written.
#[cfg(unix)]
#[test]
fn a_directory_or_symlink_at_a_file_path_is_refused_before_any_write() {
    let dir = tempfile::tempdir().unwrap();
    let (out, victim) = (dir.path().join("out"), dir.path().join("victim"));
    fs::create_dir_all(out.join("a.yaml")).unwrap();
    fs::write(out.join("a.yaml/mine"), "mine").unwrap();
    fs::write(&victim, "outside").unwrap();
    std::os::unix::fs::symlink(&victim, out.join("b.yaml")).unwrap();
    let t = tree(&[("0.yaml", "first"), ("a.yaml", "a"), ("b.yaml", "b")]);
    let Err(EmitError::Refused { refusals, .. }) = write_tree(&out, &t) else {
        panic!("not refused");
    };
    let refused = |name: &str| Refusal {
        path: out.join(name),
        reason: Reason::NotAFile,
    };
    assert_eq!(refusals, [refused("a.yaml"), refused("b.yaml")]);
    assert!(!out.join("0.yaml").exists() && !out.join(MANIFEST_PATH).exists());
    assert_eq!(read(victim), "outside");
}

/// A manifest that is a symlink is not read (it could name any file as lgtmc's) and not
/// replaced through.
#[cfg(unix)]
#[test]
fn a_symlinked_manifest_owns_nothing_and_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let (out, elsewhere) = (dir.path().join("out"), dir.path().join("elsewhere"));
    fs::create_dir_all(&out).unwrap();
    fs::write(out.join("mine.yaml"), "mine").unwrap();
    fs::write(&elsewhere, manifest_text(["mine.yaml"])).unwrap();
    std::os::unix::fs::symlink(&elsewhere, out.join(MANIFEST_PATH)).unwrap();
    let drift = compare_tree(&out, &tree(&[])).unwrap();
    assert!(drift.extra.is_empty() && paths(&drift.missing) == [MANIFEST_PATH]);
    let Err(EmitError::Refused { refusals, .. }) = write_tree(&out, &tree(&[])) else {
        panic!("not refused");
    };
    let path = out.join(MANIFEST_PATH);
    assert_eq!(
        refusals,
        [Refusal {
            path,
            reason: Reason::NotAFile
        }]
    );
    assert_eq!(read(out.join("mine.yaml")), "mine");
    assert_eq!(read(elsewhere), manifest_text(["mine.yaml"]));
}

/// Issue 12: a symlink planted at the temporary file's name once made render write through
/// it (outside `out/`) and left the target a symlink.
#[cfg(unix)]
#[test]
fn a_symlink_at_the_temporary_name_is_never_followed() {
    let dir = tempfile::tempdir().unwrap();
    let (out, victim) = (dir.path().join("out"), dir.path().join("victim"));
    fs::create_dir_all(out.join("prod")).unwrap();
    fs::write(&victim, "outside\n").unwrap();
    let planted = format!(".values.yaml.{}.lgtmc-tmp", std::process::id());
    std::os::unix::fs::symlink(&victim, out.join("prod").join(planted)).unwrap();
    write_tree(&out, &tree(&[("prod/values.yaml", "new\n")])).unwrap();
    assert_eq!(read(victim), "outside\n");
    let target = out.join("prod/values.yaml");
    assert!(fs::symlink_metadata(&target).unwrap().is_file());
    assert_eq!(read(target), "new\n");
}

#[test]
fn compare_reports_changed_missing_extra_and_ignores_foreign() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("out");
    let all_missing = compare_tree(&out, &tree(&[("a", "1")])).unwrap();
    assert_eq!(paths(&all_missing.missing), [MANIFEST_PATH, "a"]);
    let t = tree(&[("a", "1\n"), ("d/b", "2\n"), ("d/c", "3\n")]);
    write_tree(&out, &t).unwrap();
    fs::write(out.join("foreign"), "x").unwrap();
    fs::write(out.join("d/foreign"), "x").unwrap();
    assert_eq!(compare_tree(&out, &t).unwrap(), Drift::default());
    fs::write(out.join("a"), [0xff, b'\n']).unwrap();
    fs::remove_file(out.join("d/b")).unwrap();
    let drift = compare_tree(&out, &tree(&[("a", "1\n"), ("d/b", "2\n")])).unwrap();
    assert!(!drift.is_clean());
    assert_eq!(paths(&drift.changed), [MANIFEST_PATH, "a"]);
    assert_eq!(drift.changed[1], fd("a", "\u{fffd}\n", "1\n"));
    assert_eq!(drift.missing, [fd("d/b", "", "2\n")]);
    assert_eq!(drift.extra, [fd("d/c", "3\n", "")]);
}

#[test]
fn manifest_text_is_sorted_and_excludes_itself() {
    let text = manifest_text(["z", MANIFEST_PATH, "a/b", "z"]);
    assert_eq!(text, format!("{MANIFEST_HEADER}\na/b\nz\n"));
}

/// `check_rel` decides by splitting on `/`; `Path::components` is the reference it replaced. Over
/// every path of up to four parts drawn from awkward pieces, the two agree: a path passes exactly
/// when `Path` sees only normal components in it (and nothing else it refuses is present).
#[test]
fn a_relative_path_is_safe_exactly_when_its_components_are_normal() {
    use std::path::{Component, Path};
    let pieces = ["a", "", ".", "..", "...", ".a", "a.", " ", "é"];
    let mut paths = vec![String::new()];
    for _ in 0..4 {
        let longer: Vec<String> = (paths.iter())
            .flat_map(|p| pieces.iter().map(move |c| format!("{p}/{c}")))
            .collect();
        paths.extend(longer);
    }
    // Each path with and without the leading separator the loop above put there.
    let paths = paths
        .iter()
        .flat_map(|p| [p.clone(), p.replacen('/', "", 1)]);
    for path in paths {
        let normal = |c| matches!(c, Component::Normal(_));
        // `Path` reads "a/" and "a/." as "a": the split refuses their empty or `.` part too.
        let by_path = !path.is_empty()
            && !path.ends_with('/')
            && !path.ends_with("/.")
            && !path.contains("//")
            && !path.contains("/./")
            && !path.starts_with("./")
            && Path::new(&path).components().all(normal);
        assert_eq!(paths::check_rel(&path).is_ok(), by_path, "{path:?}");
    }
}

/// A top-level directory that does not exist yet is built under a temporary name and renamed
/// into place whole; its files are the tree's, and no temporary is left. A directory that exists
/// is written file by file, as before.
#[test]
fn a_new_top_level_directory_is_built_aside_and_appears_whole() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("out");
    let first = [
        ("dev/a/x.yaml", "x\n"),
        ("dev/b.yaml", "b\n"),
        ("top.yaml", "t\n"),
    ];
    write_tree(&out, &tree(&first)).unwrap();
    let dev = fs::symlink_metadata(out.join("dev")).unwrap();
    assert!(dev.is_dir());
    let second = [
        ("dev/a/x.yaml", "x2\n"),
        ("dev/b.yaml", "b\n"),
        ("prod/a/x.yaml", "px\n"),
        ("prod/c.yaml", "pc\n"),
        ("top.yaml", "t\n"),
    ];
    let report = write_tree(&out, &tree(&second)).unwrap();
    assert_eq!(
        report.written,
        strs(&[
            MANIFEST_PATH,
            "dev/a/x.yaml",
            "prod/a/x.yaml",
            "prod/c.yaml"
        ])
    );
    for (path, text) in second {
        assert_eq!(read(out.join(path)), text, "{path}");
    }
    assert!(no_tmp_files(&out));
    assert_eq!(
        compare_tree(&out, &tree(&second)).unwrap(),
        Drift::default()
    );
    // `dev` was there: it is the same directory, written into.
    use std::os::unix::fs::MetadataExt;
    assert_eq!(
        fs::symlink_metadata(out.join("dev")).unwrap().ino(),
        dev.ino()
    );
}

/// What a render killed while building a directory aside leaves is a temporary: `check` reports
/// it as extra, and the next render removes it, whatever is inside, and finishes the job.
#[test]
fn a_directory_left_aside_by_a_killed_render_is_extra_and_the_next_render_removes_it() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("out");
    let t = tree(&[("dev/a.yaml", "a\n"), ("prod/mimir/values.yaml", "m\n")]);
    write_tree(&out, &tree(&[("dev/a.yaml", "a\n")])).unwrap();
    let aside = ".prod.k3Xf9a.lgtmc-tmp";
    fs::create_dir_all(out.join(aside).join("mimir")).unwrap();
    fs::write(out.join(aside).join("mimir/values.yaml"), "ha").unwrap();
    // A directory of that name below the out dir is not one `stage` builds: never lgtmc's.
    let foreign = out.join("dev/.notes.keep.lgtmc-tmp");
    fs::create_dir_all(&foreign).unwrap();
    fs::write(foreign.join("mine.txt"), "mine").unwrap();
    let drift = compare_tree(&out, &t).unwrap();
    assert_eq!(paths(&drift.extra), [aside]);
    let report = write_tree(&out, &t).unwrap();
    assert!(report.removed.contains(&aside.to_owned()), "{report:?}");
    assert!(!out.join(aside).exists());
    assert_eq!(read(foreign.join("mine.txt")), "mine");
    assert_eq!(compare_tree(&out, &t).unwrap(), Drift::default());
}

/// A directory built aside is renamed only where nothing is: something another program put at
/// the name meanwhile is never replaced, not even an empty directory.
#[test]
fn a_directory_built_aside_never_replaces_what_appeared_at_its_name() {
    let dir = tempfile::tempdir().unwrap();
    let (aside, target) = (dir.path().join("aside"), dir.path().join("target"));
    fs::create_dir_all(aside.join("a")).unwrap();
    fs::create_dir(&target).unwrap();
    assert!(stage::rename_new(&aside, &target).is_err());
    assert!(aside.join("a").is_dir() && target.is_dir() && !target.join("a").exists());
    fs::remove_dir(&target).unwrap();
    stage::rename_new(&aside, &target).unwrap();
    assert!(target.join("a").is_dir() && !aside.exists());
}
