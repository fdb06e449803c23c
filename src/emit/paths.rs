//! Reaching a path below the out dir safely: relative paths checked to stay inside it, every
//! existing parent a real directory (never a symlink), metadata without following links, and the
//! temporaries an interrupted render left. The kinds of the directories on the way are looked up
//! once per directory ([`Dirs`]), not once per file: the caller holds the out dir's lock.

use std::collections::{BTreeSet, HashMap, HashSet};
use std::ffi::OsString;
use std::io::Read as _;
use std::os::unix::fs::OpenOptionsExt as _;
use std::path::{Path, PathBuf};
use std::{fs, io};

use io::ErrorKind;

use super::{EmitError, RenderedTree, TMP_SUFFIX};

/// Whether `path`, from the tree or the manifest, names a file inside the out dir: relative, with
/// no empty, `.` or `..` part. Backslashes (a separator elsewhere), control characters and a
/// leading `#` are refused too: a path with a newline could smuggle a foreign file into the
/// manifest, and one read back as a comment would silently lose ownership.
///
/// Splitting on `/` decides it: a path whose parts are all non-empty and neither `.` nor `..`
/// has only normal components (no root, no current or parent directory), which
/// `a_relative_path_is_safe_exactly_when_its_components_are_normal` checks against `Path`.
pub(super) fn check_rel(path: &str) -> Result<(), EmitError> {
    if !path.contains(|c: char| c == '\\' || c.is_control())
        && !path.starts_with('#')
        && path.split('/').all(|c| !matches!(c, "" | "." | ".."))
    {
        return Ok(());
    }
    Err(EmitError::UnsafePath { path: path.into() })
}

pub(super) fn check_tree(out_dir: &Path, tree: &RenderedTree) -> Result<(), EmitError> {
    // Every directory the tree's paths go through, each found once (a directory's own
    // directories were added with it).
    let mut dirs: HashSet<&str, foldhash::fast::FixedState> = HashSet::default();
    for path in tree.keys() {
        check_rel(path)?;
        let mut rest = path.as_str();
        while let Some((dir, _)) = rest.rsplit_once('/') {
            if !dirs.insert(dir) {
                break;
            }
            rest = dir;
        }
    }
    // "a" and "a/b" cannot both be files; catch it before writing anything (the first such
    // file in path order is reported).
    let file_in_the_way = tree.keys().find(|path| dirs.contains(path.as_str()));
    match file_in_the_way {
        Some(path) => Err(EmitError::NotAFile {
            path: out_dir.join(path),
        }),
        None => Ok(()),
    }
}

/// lgtmc's temporaries (`.*.lgtmc-tmp`: files, and in the out dir itself the directories `stage`
/// builds aside) in the out dir and in the existing, real directories of `paths`: an interrupted
/// render leaves them there, and nowhere else.
pub(super) fn leftovers<'a>(
    dirs_seen: &mut Dirs,
    out_dir: &Path,
    paths: impl Iterator<Item = &'a str>,
) -> Result<Vec<String>, EmitError> {
    let mut dirs = BTreeSet::from([String::new()]);
    dirs.extend(paths.filter_map(|p| p.rsplit_once('/').map(|(dir, _)| dir.to_owned())));
    let mut found = Vec::new();
    for dir in dirs {
        let path = out_dir.join(&dir);
        // A file or symlink on the way: no temporary of lgtmc's can be below it.
        match existing_dir(dirs_seen, out_dir, &dir) {
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
            let file_name = entry.file_name();
            let name = file_name.to_string_lossy();
            if !(name.starts_with('.') && name.ends_with(TMP_SUFFIX)) {
                continue;
            }
            // `stage` builds directories aside in the out dir only: a directory of that name
            // deeper down is not lgtmc's, and is never reported or removed.
            if !dir.is_empty() && entry.file_type().map_err(read_err(&path))?.is_dir() {
                continue;
            }
            found.push(if dir.is_empty() {
                name.into_owned()
            } else {
                format!("{dir}/{name}")
            });
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

/// The kind of each directory on the way to a path below the out dir (`None`: nothing there),
/// looked up without following links, once per directory while the lock is held. Only for
/// directories that do not change meanwhile: a plan or a comparison, which write nothing.
///
/// Keyed by the path's bytes: `Path`'s own hash parses it into components, which cost more than
/// the lookup saves (every directory is reached once per file below it).
#[derive(Debug, Default)]
pub(super) struct Dirs {
    kinds: HashMap<OsString, Option<fs::FileType>, foldhash::fast::FixedState>,
}

impl Dirs {
    /// The kind of `path`, without following a symlink; `None` if nothing is there.
    pub(super) fn kind(&mut self, path: &Path) -> Result<Option<fs::FileType>, EmitError> {
        if let Some(kind) = self.kinds.get(path.as_os_str()) {
            return Ok(*kind);
        }
        let kind = stat(path)?.map(|meta| meta.file_type());
        self.kinds.insert(path.as_os_str().to_owned(), kind);
        Ok(kind)
    }
}

/// Every existing ancestor of `rel` inside `out_dir` must be a real directory: following a
/// symlinked directory could write or delete outside `out_dir`.
fn check_parents(dirs: &mut Dirs, out_dir: &Path, rel: &str) -> Result<(), EmitError> {
    let parents = rel.rsplit_once('/').map_or("", |(parents, _)| parents);
    existing_dir(dirs, out_dir, parents).map(|_| ())
}

/// `rel` as a directory reached without symlinks: `Some` if it exists, `None` if some part of it
/// does not; an error if a part is not a real directory.
pub(super) fn existing_dir(
    dirs: &mut Dirs,
    out_dir: &Path,
    rel: &str,
) -> Result<Option<PathBuf>, EmitError> {
    let mut dir = PathBuf::with_capacity(out_dir.as_os_str().len() + rel.len() + 1);
    dir.push(out_dir);
    for component in rel.split('/').filter(|c| !c.is_empty()) {
        dir.push(component);
        match dirs.kind(&dir)? {
            Some(kind) if kind.is_dir() => {}
            Some(_) => return Err(EmitError::NotAFile { path: dir }),
            None => return Ok(None),
        }
    }
    Ok(Some(dir))
}

/// The path and `lstat` of `rel` if it is a regular file reachable without symlinks, else `None`.
pub(super) fn existing_file_meta(
    dirs: &mut Dirs,
    out_dir: &Path,
    rel: &str,
) -> Result<Option<(PathBuf, fs::Metadata)>, EmitError> {
    match check_parents(dirs, out_dir, rel) {
        Err(EmitError::NotAFile { .. }) => return Ok(None),
        other => other?,
    }
    let path = out_dir.join(rel);
    Ok(match stat(&path)? {
        Some(meta) if meta.is_file() => Some((path, meta)),
        _ => None,
    })
}

/// The path of `rel` if it is a regular file reachable without symlinks, else `None`.
pub(super) fn existing_file(
    dirs: &mut Dirs,
    out_dir: &Path,
    rel: &str,
) -> Result<Option<PathBuf>, EmitError> {
    Ok(existing_file_meta(dirs, out_dir, rel)?.map(|(path, _)| path))
}

pub(super) fn read_existing(
    dirs: &mut Dirs,
    out_dir: &Path,
    rel: &str,
) -> Result<Option<Vec<u8>>, EmitError> {
    let Some((path, meta)) = existing_file_meta(dirs, out_dir, rel)? else {
        return Ok(None);
    };
    read_file(&path, meta.len()).map(Some)
}

/// The bytes of the regular file `path`, found to be `len` bytes long: opened without following
/// a symlink (one planted since it was looked at is an error, not followed), read to its end.
pub(super) fn read_file(path: &Path, len: u64) -> Result<Vec<u8>, EmitError> {
    let nofollow = rustix::fs::OFlags::NOFOLLOW.bits() as i32;
    let mut file = (fs::OpenOptions::new().read(true))
        .custom_flags(nofollow)
        .open(path)
        .map_err(read_err(path))?;
    let mut bytes = Vec::with_capacity(usize::try_from(len).unwrap_or(0).saturating_add(1));
    // Through `Take`: `File::read_to_end` would ask the size again (`statx` and `lseek`).
    (file.by_ref().take(u64::MAX))
        .read_to_end(&mut bytes)
        .map_err(read_err(path))?;
    Ok(bytes)
}
