//! Reading `out/` back: comparing its bytes with the tree (`check`, `diff`) and reading one
//! rendered file (`explain`). Never writes.

use std::collections::BTreeMap;
use std::fs;
use std::path::Path;

use super::lock::{self, Mode};
use super::manifest::{MANIFEST_PATH, parse_manifest};
use super::paths::{
    Dirs, check_rel, existing_file_meta, leftovers, read_existing, read_file, stat,
};
use super::{Drift, EmitError, FileDrift, RenderedTree};
use crate::parallel;

/// The text of one rendered file on disk (`path` under `out_dir`), or `None` when it is missing
/// or unreadable: `explain` answers only about a file that is what the spec renders.
pub fn read_rendered(out_dir: &Path, path: &str) -> Option<String> {
    fs::read_to_string(out_dir.join(path)).ok()
}

/// How `out_dir` differs from `tree`; a missing `out_dir` means everything is missing. Never writes.
pub fn compare_tree(out_dir: &Path, tree: &RenderedTree) -> Result<Drift, EmitError> {
    compare_tree_in(out_dir, tree, &|_| true, &|| {})
}

/// What a file of the tree is expected to hold: its rendered text, or only a digest of it (the
/// check record of `cache`, which answers whether `out/` is clean without rendering).
pub trait Expected: Sync {
    /// Whether `on_disk` is exactly the expected file.
    fn matches(&self, on_disk: &[u8]) -> bool;
    /// Whether the file whose `lstat` is `meta` is known to hold the expected bytes without
    /// reading them (a stamp of the check record); `false` reads and compares them.
    fn known_from(&self, meta: &fs::Metadata) -> bool {
        let _ = meta;
        false
    }
    /// The expected text, for the diff; a digest has none, and its caller only asks whether the
    /// tree is clean (a drift is shown by comparing with the rendered tree).
    fn text(&self) -> &str;
}

impl Expected for super::Text {
    fn matches(&self, on_disk: &[u8]) -> bool {
        on_disk == self.as_bytes()
    }

    fn text(&self) -> &str {
        self
    }
}

/// Like `compare_tree`, for the paths `in_scope` accepts only (`check --env`). Waits for a render
/// into the same out dir to finish (calling `waiting` first), so it never compares a half-written
/// tree. Leftover temporaries of an interrupted render are extra files.
pub fn compare_tree_in<E: Expected>(
    out_dir: &Path,
    tree: &BTreeMap<String, E>,
    in_scope: &dyn Fn(&str) -> bool,
    waiting: &dyn Fn(),
) -> Result<Drift, EmitError> {
    tree.keys().try_for_each(|p| check_rel(p))?;
    let _lock = match fs::metadata(out_dir) {
        Ok(meta) if meta.is_dir() => Some(lock::lock(out_dir, Mode::Shared, waiting)?),
        _ => None,
    };
    let files: Vec<(&String, &E)> = tree.iter().filter(|(p, _)| in_scope(p)).collect();
    let mut drift = compare_files(out_dir, &files)?;
    let dirs = &mut Dirs::default();
    let manifest = read_existing(dirs, out_dir, MANIFEST_PATH)?;
    let owned = parse_manifest(out_dir, manifest.as_deref())?;
    // Only the owned files the tree no longer has: the tree's own were read above.
    for path in owned
        .iter()
        .filter(|p| in_scope(p) && !tree.contains_key(*p))
    {
        if let Some(bytes) = read_existing(dirs, out_dir, path)? {
            drift.extra.push(file_drift(path, bytes, ""));
        }
    }
    let scoped = (tree.keys().chain(&owned)).filter(|p| in_scope(p));
    for leftover in leftovers(dirs, out_dir, scoped.map(String::as_str))? {
        let path = out_dir.join(&leftover);
        let bytes = match stat(&path)? {
            Some(meta) if meta.is_file() => read_file(&path, meta.len())?,
            _ => Vec::new(),
        };
        drift.extra.push(file_drift(&leftover, bytes, ""));
    }
    drift.extra.sort_by(|a, b| a.path.cmp(&b.path));
    Ok(drift)
}

/// Compares rendered files with `out/`, in path order, on as many threads as there are cores
/// (reading thousands of small files is mostly system calls, each thread with its own lookups).
fn compare_files<E: Expected>(out_dir: &Path, files: &[(&String, &E)]) -> Result<Drift, EmitError> {
    let parts = parallel::runs(files, parallel::FILES_PER_THREAD, &|run| {
        compare_chunk(out_dir, run)
    });
    let mut drift = Drift::default();
    for part in parts {
        let part = part?;
        drift.changed.extend(part.changed);
        drift.missing.extend(part.missing);
    }
    Ok(drift)
}

fn compare_chunk<E: Expected>(out_dir: &Path, files: &[(&String, &E)]) -> Result<Drift, EmitError> {
    let mut drift = Drift::default();
    let dirs = &mut Dirs::default();
    for (path, expected) in files {
        let Some((absolute, meta)) = existing_file_meta(dirs, out_dir, path)? else {
            let missing = file_drift(path, vec![], expected.text());
            drift.missing.push(missing);
            continue;
        };
        if expected.known_from(&meta) {
            continue;
        }
        let bytes = read_file(&absolute, meta.len())?;
        if !expected.matches(&bytes) {
            drift.changed.push(file_drift(path, bytes, expected.text()));
        }
    }
    Ok(drift)
}

/// Non-UTF-8 bytes on disk are shown lossily; they still count as changed, since the bytes differ.
pub(super) fn file_drift(path: &str, on_disk: Vec<u8>, rendered: &str) -> FileDrift {
    let on_disk = String::from_utf8(on_disk)
        .unwrap_or_else(|e| String::from_utf8_lossy(e.as_bytes()).into_owned());
    let (path, rendered) = (path.to_owned(), rendered.to_owned());
    FileDrift {
        path,
        on_disk,
        rendered,
    }
}
