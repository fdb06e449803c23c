//! Applying a render: under the exclusive lock, the journal first, then removals and atomic
//! writes, then the final manifest. Every decision was made by `plan` before the first write.

use std::collections::HashSet;
use std::io::{ErrorKind, Write as _};
use std::path::{Path, PathBuf};
use std::{fs, io};

use super::lock::{self, Mode};
use super::manifest::{MANIFEST_PATH, manifest_text, parse_manifest};
use super::paths::{Dirs, check_tree, existing_file, read_existing, write_err};
use super::plan::{Plan, check_space};
use super::stage::{self, Staged};
use super::{EmitError, Reason, Refusal, RenderedTree, Stamp, TMP_SUFFIX, WriteReport};
use crate::parallel;

/// Test-only failure point (debug builds): abort the process, as `kill -9` would, just before
/// renaming the temporary file of the Nth file written in the process into place (from 0), or,
/// in a directory built aside, before creating that file.
#[cfg(debug_assertions)]
const ABORT_BEFORE_WRITE: &str = "LGTMC_TEST_ABORT_BEFORE_WRITE";

/// Make `out_dir` hold exactly `tree` for the files lgtmc owns.
pub fn write_tree(out_dir: &Path, tree: &RenderedTree) -> Result<WriteReport, EmitError> {
    write_tree_in(out_dir, tree, &|_| true, &|| {})
}

/// Like `write_tree`, but writes and prunes only the paths `in_scope` accepts (`render --env`).
/// `tree` is still the whole platform, so the manifest (always written) stays true. `waiting` is
/// called once if another render holds the out dir; this one then waits for it.
pub fn write_tree_in(
    out_dir: &Path,
    tree: &RenderedTree,
    in_scope: &dyn Fn(&str) -> bool,
    waiting: &dyn Fn(),
) -> Result<WriteReport, EmitError> {
    check_tree(out_dir, tree)?;
    let manifest = manifest_text(tree.keys().map(String::as_str));
    if tree.get(MANIFEST_PATH).map(|text| &**text) != Some(manifest.as_str()) {
        return Err(EmitError::ManifestMismatch);
    }
    // The out dir itself may be a symlink (the user's choice of where it lives); below it, none.
    let created = match fs::metadata(out_dir) {
        Ok(meta) if !meta.is_dir() => {
            let refusals = vec![Refusal {
                path: out_dir.to_path_buf(),
                reason: Reason::NotADirectory,
            }];
            let out_dir = out_dir.to_path_buf();
            return Err(EmitError::Refused { out_dir, refusals });
        }
        Ok(_) => false,
        Err(_) => {
            fs::create_dir_all(out_dir).map_err(write_err(out_dir))?;
            true
        }
    };
    let lock = lock::lock(out_dir, Mode::Exclusive, waiting)?;
    let result = write_locked(out_dir, tree, in_scope);
    drop(lock);
    if created && result.is_err() {
        // Refused before the first write: leave no trace, not even the empty directory.
        let _ = fs::remove_dir(out_dir);
    }
    result
}

fn write_locked(
    out_dir: &Path,
    tree: &RenderedTree,
    in_scope: &dyn Fn(&str) -> bool,
) -> Result<WriteReport, EmitError> {
    let old_manifest = read_existing(&mut Dirs::default(), out_dir, MANIFEST_PATH)?;
    let owned = parse_manifest(out_dir, old_manifest.as_deref())?;
    let plan = Plan::new(out_dir, tree, &owned, in_scope)?;
    if !plan.refusals.is_empty() {
        let refusals = (plan.refusals.into_iter())
            .map(|(path, reason)| Refusal { path, reason })
            .collect();
        let out_dir = out_dir.to_path_buf();
        return Err(EmitError::Refused { out_dir, refusals });
    }
    let manifest_changes = old_manifest.as_deref() != Some(plan.manifest.as_bytes());
    let busy = !(plan.writes.is_empty() && plan.removals.is_empty() && plan.leftovers.is_empty());
    let manifests = usize::from(busy) + usize::from(manifest_changes);
    check_space(out_dir, &plan, manifests)?;
    let mut on_disk = old_manifest;
    if busy && on_disk.as_deref() != Some(plan.intent.as_bytes()) {
        write_manifest(out_dir, &plan.intent)?;
        sync_dir(out_dir)?;
        on_disk = Some(plan.intent.clone().into_bytes());
    }
    let mut report = WriteReport::default();
    for leftover in &plan.leftovers {
        let path = out_dir.join(leftover);
        // A directory built aside by a killed render, or a file; neither followed if a link.
        let removed = match fs::symlink_metadata(&path) {
            Ok(meta) if meta.is_dir() => fs::remove_dir_all(&path),
            _ => fs::remove_file(&path),
        };
        match removed {
            Err(e) if e.kind() != ErrorKind::NotFound => {
                return Err(EmitError::Remove { path, source: e });
            }
            _ => report.removed.push(leftover.clone()),
        }
    }
    for path in &plan.removals {
        if remove_owned(out_dir, path)? {
            report.removed.push(path.clone());
        }
    }
    let staged = Staged::new(out_dir, &plan)?;
    let written_stamps = write_files(out_dir, &plan.writes, &staged)?;
    staged.publish(out_dir)?;
    (report.written).extend(plan.writes.iter().map(|(path, _)| (*path).to_owned()));
    let stamped = (plan.writes.iter().map(|(path, _)| *path)).zip(written_stamps);
    report.stamps = (stamped.chain(plan.unchanged.iter().copied()))
        .map(|(path, stamp)| (path.to_owned(), stamp))
        .collect();
    if on_disk.as_deref() != Some(plan.manifest.as_bytes()) {
        write_manifest(out_dir, &plan.manifest)?;
    }
    let manifest = MANIFEST_PATH.to_owned();
    match manifest_changes {
        true => report.written.push(manifest),
        false => report.unchanged.push(manifest),
    }
    report
        .unchanged
        .extend(plan.unchanged.iter().map(|(path, _)| (*path).to_owned()));
    report.written.sort();
    report.unchanged.sort();
    report.removed.sort();
    Ok(report)
}

/// Creates the directory of `rel` (and any missing above it) once per directory: the plan
/// checked every existing one, and pruning, which may have removed an emptied one, is over.
/// Writes every planned file, the list shared out between the cores in contiguous runs (most
/// of a fresh render is the filesystem creating files, and runs keep each thread in its own
/// directories). Every thread finishes its run; the first error is returned. A partial write is
/// what the journal, written before, is for. Returns the stamp of each file written, in order.
fn write_files(
    out_dir: &Path,
    writes: &[(&str, &str)],
    staged: &Staged,
) -> Result<Vec<Stamp>, EmitError> {
    // Temporaries are made under an absolute path: given a relative one, tempfile asks the
    // working directory again for every file.
    let absolute = std::path::absolute(out_dir).map_err(write_err(out_dir))?;
    let results = parallel::runs(writes, parallel::FILES_PER_THREAD, &|run| {
        let mut made = HashSet::new();
        run.iter()
            .map(|(path, content)| {
                if let Some(aside) = staged.place(path) {
                    make_parent_of(&aside, &mut made)?;
                    abort_point();
                    return stage::write_new(&aside, &out_dir.join(path), content);
                }
                make_parent(out_dir, path, &mut made)?;
                write_file(out_dir, &absolute, path, content)
            })
            .collect::<Result<Vec<Stamp>, EmitError>>()
    });
    let mut stamps = Vec::with_capacity(writes.len());
    for run in results {
        stamps.extend(run?);
    }
    Ok(stamps)
}

fn make_parent(out_dir: &Path, rel: &str, made: &mut HashSet<PathBuf>) -> Result<(), EmitError> {
    match rel.rsplit_once('/') {
        Some(_) => make_parent_of(&out_dir.join(rel), made),
        None => Ok(()),
    }
}

fn make_parent_of(path: &Path, made: &mut HashSet<PathBuf>) -> Result<(), EmitError> {
    let Some(parent) = path.parent() else {
        return Ok(());
    };
    if !made.contains(parent) {
        fs::create_dir_all(parent).map_err(write_err(parent))?;
        made.insert(parent.to_path_buf());
    }
    Ok(())
}

/// Replaces `rel` with `content` atomically: a temporary sibling created exclusively under a
/// random name (`O_EXCL`: a planted file or symlink is never opened), then renamed. The caller
/// has checked the parents and the target, and made the directory.
/// `absolute` is `out_dir` made absolute, where the temporary is created. Returns the file's
/// stamp.
fn write_file(
    out_dir: &Path,
    absolute: &Path,
    rel: &str,
    content: &str,
) -> Result<Stamp, EmitError> {
    let file = replace(out_dir, absolute, rel, content, false, abort_point)?;
    // After the rename, which sets the change time.
    let meta = file.metadata().map_err(write_err(&out_dir.join(rel)))?;
    Ok(Stamp::of(&meta))
}

/// Like `write_file`, with the bytes flushed to disk before the rename: the manifest is the
/// journal, and a rename that outlives a crash must not point at bytes never written. (Flushing
/// every file would cost about a second per full render; a lost one is drift the journal lists.)
fn write_manifest(out_dir: &Path, content: &str) -> Result<(), EmitError> {
    replace(out_dir, out_dir, MANIFEST_PATH, content, true, || {}).map(drop)
}

fn replace(
    out_dir: &Path,
    temporaries_in: &Path,
    rel: &str,
    content: &str,
    flush: bool,
    before_rename: fn(),
) -> Result<fs::File, EmitError> {
    let target = out_dir.join(rel);
    let (Some(parent), Some(name)) = (target.parent(), target.file_name()) else {
        return Err(EmitError::UnsafePath { path: rel.into() });
    };
    let temporary_dir = temporaries_in.join(rel);
    let temporary_dir = temporary_dir.parent().unwrap_or(temporaries_in);
    let mut tmp = temporary(temporary_dir, &name.to_string_lossy()).map_err(write_err(parent))?;
    (tmp.write_all(content.as_bytes()))
        .and_then(|()| match flush {
            true => tmp.as_file().sync_all(),
            false => Ok(()),
        })
        .map_err(write_err(tmp.path()))?;
    before_rename();
    // On failure the temporary is dropped, which removes it.
    tmp.persist(&target)
        .map_err(|e| write_err(&target)(e.error))
}

/// Group and world may read generated files, as with any file the user creates (the umask
/// applies); tempfile's own default is owner-only.
fn temporary(dir: &Path, name: &str) -> io::Result<tempfile::NamedTempFile> {
    let prefix = format!(".{name}.");
    let mut builder = tempfile::Builder::new();
    builder.prefix(&prefix).suffix(TMP_SUFFIX);
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        builder.permissions(fs::Permissions::from_mode(0o666));
    }
    builder.tempfile_in(dir)
}

/// Makes the renames in `dir` durable (the manifest's, before any other file changes).
fn sync_dir(dir: &Path) -> Result<(), EmitError> {
    (fs::File::open(dir))
        .and_then(|d| d.sync_all())
        .map_err(write_err(dir))
}

/// The test-only failure point: counts the files written in this process (the manifest aside).
#[cfg(debug_assertions)]
fn abort_point() {
    use std::sync::atomic::{AtomicUsize, Ordering};
    static WRITTEN: AtomicUsize = AtomicUsize::new(0);
    let index = WRITTEN.fetch_add(1, Ordering::Relaxed);
    let at = std::env::var(ABORT_BEFORE_WRITE).ok();
    if at.and_then(|n| n.parse::<usize>().ok()) == Some(index) {
        std::process::abort();
    }
}

#[cfg(not(debug_assertions))]
fn abort_point() {}

/// Removes a stale owned file; returns false if it was already gone or is no longer a plain file
/// (someone replaced it, so it is no longer ours to delete).
fn remove_owned(out_dir: &Path, rel: &str) -> Result<bool, EmitError> {
    // Pruning removes directories, so nothing looked up for an earlier removal is reused.
    let Some(target) = existing_file(&mut Dirs::default(), out_dir, rel)? else {
        return Ok(false);
    };
    let remove_err = |source| EmitError::Remove {
        path: target.clone(),
        source,
    };
    fs::remove_file(&target).map_err(remove_err)?;
    // Walk up `rel` (not `target`) so we can never reach `out_dir` or above. `remove_dir` only
    // removes empty directories; any failure just leaves a harmless empty dir git won't track.
    let parents = Path::new(rel).ancestors().skip(1);
    for dir in parents.filter(|d| !d.as_os_str().is_empty()) {
        if fs::remove_dir(out_dir.join(dir)).is_err() {
            break;
        }
    }
    Ok(true)
}
