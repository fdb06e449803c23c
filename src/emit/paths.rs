//! Reaching a path below the out dir safely: relative paths checked to stay inside it, every
//! existing parent a real directory (never a symlink), metadata without following links, and the
//! temporaries an interrupted render left.

use std::collections::BTreeSet;
use std::path::{Component, Path, PathBuf};
use std::{fs, io};

use io::ErrorKind;

use super::{EmitError, RenderedTree, TMP_SUFFIX};

/// characters and a leading `#` are refused too: a path with a newline could smuggle a foreign
/// file into the manifest, and one read back as a comment would silently lose ownership.
pub(super) fn check_rel(path: &str) -> Result<(), EmitError> {
    let normal = |c| matches!(c, Component::Normal(_));
    if !path.contains(|c: char| c == '\\' || c.is_control())
        && !path.starts_with('#')
        && path.split('/').all(|c| !matches!(c, "" | "." | ".."))
        && Path::new(path).components().all(normal)
    {
        return Ok(());
    }
    Err(EmitError::UnsafePath { path: path.into() })
}

pub(super) fn check_tree(out_dir: &Path, tree: &RenderedTree) -> Result<(), EmitError> {
    for path in tree.keys() {
        check_rel(path)?;
        // "a" and "a/b" cannot both be files; catch it before writing anything.
        for (i, _) in path.match_indices('/') {
            if tree.contains_key(&path[..i]) {
                let path = out_dir.join(&path[..i]);
                return Err(EmitError::NotAFile { path });
            }
        }
    }
    Ok(())
}

/// lgtmc's temporaries (`.*.lgtmc-tmp`) in the out dir and in the existing, real directories of
/// `paths`: an interrupted render leaves them there, and nowhere else.
pub(super) fn leftovers<'a>(
    out_dir: &Path,
    paths: impl Iterator<Item = &'a str>,
) -> Result<Vec<String>, EmitError> {
    let mut dirs = BTreeSet::from([String::new()]);
    dirs.extend(paths.filter_map(|p| p.rsplit_once('/').map(|(dir, _)| dir.to_owned())));
    let mut found = Vec::new();
    for dir in dirs {
        let path = out_dir.join(&dir);
        // A file or symlink on the way: no temporary of lgtmc's can be below it.
        match existing_dir(out_dir, &dir) {
            Ok(Some(_)) => {}
            Ok(None) | Err(EmitError::NotAFile { .. }) => continue,
            Err(e) => return Err(e),
        }
        let entries = match fs::read_dir(&path) {
            Ok(entries) => entries,
            Err(e) if is_absent(&e) => continue,
            Err(e) => return Err(read_err(&path)(e)),
        };
        for entry in entries {
            let entry = entry.map_err(read_err(&path))?;
            let name = entry.file_name().to_string_lossy().into_owned();
            let kind = entry.file_type().map_err(read_err(&path))?;
            if name.starts_with('.') && name.ends_with(TMP_SUFFIX) && !kind.is_dir() {
                found.push(if dir.is_empty() {
                    name
                } else {
                    format!("{dir}/{name}")
                });
            }
        }
    }
    found.sort();
    Ok(found)
}

pub(super) fn is_absent(e: &io::Error) -> bool {
    matches!(e.kind(), ErrorKind::NotFound | ErrorKind::NotADirectory)
}

pub(super) fn read_err(path: &Path) -> impl FnOnce(io::Error) -> EmitError + '_ {
    move |source| EmitError::Read {
        path: path.into(),
        source,
    }
}

pub(super) fn write_err(path: &Path) -> impl FnOnce(io::Error) -> EmitError + '_ {
    move |source| EmitError::Write {
        path: path.into(),
        source,
    }
}

/// Metadata without following symlinks; `None` if nothing is there.
pub(super) fn stat(path: &Path) -> Result<Option<fs::Metadata>, EmitError> {
    match fs::symlink_metadata(path) {
        Ok(meta) => Ok(Some(meta)),
        Err(e) if is_absent(&e) => Ok(None),
        Err(e) => Err(read_err(path)(e)),
    }
}

/// Every existing ancestor of `rel` inside `out_dir` must be a real directory: following a
/// symlinked directory could write or delete outside `out_dir`.
fn check_parents(out_dir: &Path, rel: &str) -> Result<(), EmitError> {
    let parents = rel.rsplit_once('/').map_or("", |(parents, _)| parents);
    existing_dir(out_dir, parents).map(|_| ())
}

/// `rel` as a directory reached without symlinks: `Some` if it exists, `None` if some part of it
/// does not; an error if a part is not a real directory.
pub(super) fn existing_dir(out_dir: &Path, rel: &str) -> Result<Option<PathBuf>, EmitError> {
    let mut dir = out_dir.to_path_buf();
    for component in rel.split('/').filter(|c| !c.is_empty()) {
        dir.push(component);
        match stat(&dir)? {
            Some(meta) if meta.is_dir() => {}
            Some(_) => return Err(EmitError::NotAFile { path: dir }),
            None => return Ok(None),
        }
    }
    Ok(Some(dir))
}

/// The path of `rel` if it is a regular file reachable without symlinks, else `None`.
pub(super) fn existing_file(out_dir: &Path, rel: &str) -> Result<Option<PathBuf>, EmitError> {
    match check_parents(out_dir, rel) {
        Err(EmitError::NotAFile { .. }) => return Ok(None),
        other => other?,
    }
    let path = out_dir.join(rel);
    Ok(stat(&path)?.is_some_and(|m| m.is_file()).then_some(path))
}

pub(super) fn read_existing(out_dir: &Path, rel: &str) -> Result<Option<Vec<u8>>, EmitError> {
    let Some(path) = existing_file(out_dir, rel)? else {
        return Ok(None);
    };
    fs::read(&path).map(Some).map_err(read_err(&path))
}
