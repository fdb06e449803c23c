//! The plan of a render: every write, removal and refusal, decided before the first write
//! (ownership, files and symlinks in the way, permissions with `access(2)`, free space with
//! `statvfs`).

use std::collections::{BTreeMap, BTreeSet, HashMap, HashSet};
use std::ffi::OsString;
use std::path::{Path, PathBuf};

use rustix::fs::Access;

use super::manifest::{MANIFEST_PATH, manifest_text};
use super::paths::{Dirs, existing_file, leftovers, read_err, read_file, stat};
use super::{EmitError, Reason, RenderedTree, Stamp};

/// Everything a render will do, decided before its first write.
pub(super) struct Plan<'t> {
    /// In-scope files whose bytes change (the manifest aside), in path order.
    pub(super) writes: Vec<(&'t str, &'t str)>,
    /// In-scope files that already hold their bytes, each with its stamp, taken before its bytes
    /// were read and found the tree's (a write after that changes the stamp).
    pub(super) unchanged: Vec<(&'t str, Stamp)>,
    /// Owned files the tree no longer has, in scope, still regular files on disk.
    pub(super) removals: Vec<String>,
    /// Temporaries an interrupted render left, relative to the out dir.
    pub(super) leftovers: Vec<String>,
    /// The manifest to end with: the tree's files, and owned files out of scope not pruned yet.
    pub(super) manifest: String,
    /// The manifest while writing: every file the render may leave behind.
    pub(super) intent: String,
    /// Directories the writes create (hashed by their bytes: `Path`'s order and hash parse
    /// components, and a fresh render creates thousands).
    pub(super) new_dirs: HashSet<OsString, foldhash::fast::FixedState>,
    pub(super) refusals: BTreeMap<PathBuf, Reason>,
    /// Whether each directory checked so far may be written in.
    pub(super) writable_dirs: HashMap<OsString, bool, foldhash::fast::FixedState>,
    /// The directories looked at so far (nothing is written while planning).
    dirs: Dirs,
    /// What was decided for the directory of each written file (the files in it share it).
    parents: HashMap<&'t str, Parent, foldhash::fast::FixedState>,
}

/// The way to a file's directory: refused (something not a directory is in it), or reached,
/// with whether the render creates the directory.
#[derive(Clone, Copy)]
enum Parent {
    Refused,
    Reached { creating: bool },
}

impl<'t> Plan<'t> {
    pub(super) fn new(
        out_dir: &Path,
        tree: &'t RenderedTree,
        owned: &BTreeSet<String>,
        in_scope: &dyn Fn(&str) -> bool,
    ) -> Result<Plan<'t>, EmitError> {
        let mut plan = Plan {
            writes: Vec::new(),
            unchanged: Vec::new(),
            removals: Vec::new(),
            leftovers: Vec::new(),
            manifest: String::new(),
            intent: manifest_text(tree.keys().chain(owned).map(String::as_str)),
            new_dirs: HashSet::default(),
            refusals: BTreeMap::new(),
            writable_dirs: HashMap::default(),
            dirs: Dirs::default(),
            parents: HashMap::default(),
        };
        let stale = owned.iter().filter(|p| !tree.contains_key(*p));
        let mut kept = Vec::new();
        for path in stale {
            let Some(target) = existing_file(&mut plan.dirs, out_dir, path)? else {
                continue;
            };
            if !in_scope(path) {
                // `render --env` leaves other environments alone, and keeps owning their files.
                kept.push(path.as_str());
            } else if !writable(&target) {
                plan.refuse(target, Reason::ReadOnly);
            } else {
                plan.require_writable_dir(parent(&target));
                plan.removals.push(path.clone());
            }
        }
        plan.manifest = manifest_text(tree.keys().map(String::as_str).chain(kept));
        let removals = plan.removals.clone();
        let removed: BTreeSet<&str> = removals.iter().map(String::as_str).collect();
        for (path, content) in tree
            .iter()
            .filter(|(p, _)| *p != MANIFEST_PATH && in_scope(p))
        {
            plan.check_write(out_dir, path, content, owned, &removed)?;
        }
        let target = out_dir.join(MANIFEST_PATH);
        match stat(&target)? {
            Some(meta) if !meta.is_file() => plan.refuse(target, Reason::NotAFile),
            Some(_) if !writable(&target) => plan.refuse(target, Reason::ReadOnly),
            _ => plan.require_writable_dir(out_dir),
        }
        let scoped = (tree.keys().chain(owned)).filter(|p| in_scope(p));
        plan.leftovers = leftovers(&mut plan.dirs, out_dir, scoped.map(String::as_str))?;
        for leftover in plan.leftovers.clone() {
            plan.require_writable_dir(parent(&out_dir.join(leftover)));
        }
        Ok(plan)
    }

    /// Decides whether `path` is written, unchanged or refused.
    fn check_write(
        &mut self,
        out_dir: &Path,
        path: &'t str,
        content: &'t str,
        owned: &BTreeSet<String>,
        removed: &BTreeSet<&str>,
    ) -> Result<(), EmitError> {
        let (parents, _) = path.rsplit_once('/').unwrap_or(("", path));
        let creating = match self.parents.get(parents) {
            Some(Parent::Refused) => return Ok(()),
            Some(Parent::Reached { creating }) => *creating,
            None => {
                let parent = self.check_parents(out_dir, parents, removed)?;
                self.parents.insert(parents, parent);
                match parent {
                    Parent::Refused => return Ok(()),
                    Parent::Reached { creating } => creating,
                }
            }
        };
        let target = out_dir.join(path);
        if !creating {
            match stat(&target)? {
                None => {}
                Some(meta) if meta.is_file() => {
                    if meta.len() == content.len() as u64
                        && read_file(&target, meta.len())? == content.as_bytes()
                    {
                        self.unchanged.push((path, Stamp::of(&meta)));
                        return Ok(());
                    }
                    if !owned.contains(path) {
                        self.refuse(target, Reason::NotOwned);
                        return Ok(());
                    }
                    if !writable(&target) {
                        self.refuse(target, Reason::ReadOnly);
                        return Ok(());
                    }
                }
                // The directory of owned files the spec no longer produces: it is emptied first.
                Some(meta) if meta.is_dir() && emptied_by(&target, path, removed) => {}
                Some(_) => {
                    self.refuse(target, Reason::NotAFile);
                    return Ok(());
                }
            }
            self.require_writable_dir(parent(&target));
        }
        self.writes.push((path, content));
        Ok(())
    }

    /// The way to the directory `parents` (relative to the out dir), decided once for all the
    /// files in it: each directory on it must be a real directory or be created, in a
    /// directory the render may write.
    fn check_parents(
        &mut self,
        out_dir: &Path,
        parents: &str,
        removed: &BTreeSet<&str>,
    ) -> Result<Parent, EmitError> {
        let mut dir = out_dir.to_path_buf();
        let mut rel = String::new();
        let mut creating = false;
        for component in parents.split('/').filter(|c| !c.is_empty()) {
            let parent_dir = dir.clone();
            dir.push(component);
            rel = if rel.is_empty() {
                component.to_owned()
            } else {
                format!("{rel}/{component}")
            };
            if creating {
                self.new_dirs.insert(dir.as_os_str().to_owned());
                continue;
            }
            match self.dirs.kind(&dir)? {
                Some(kind) if kind.is_dir() => {}
                // A stale owned file where a directory is now needed: it is removed first.
                Some(kind) if kind.is_file() && removed.contains(rel.as_str()) => {
                    creating = true;
                    self.new_dirs.insert(dir.as_os_str().to_owned());
                }
                Some(_) => {
                    self.refuse(dir, Reason::NotADirectory);
                    return Ok(Parent::Refused);
                }
                None => {
                    self.require_writable_dir(&parent_dir);
                    creating = true;
                    self.new_dirs.insert(dir.as_os_str().to_owned());
                }
            }
        }
        Ok(Parent::Reached { creating })
    }

    /// Whether the render creates the directory `dir` (no part of it exists yet).
    pub(super) fn creates_dir(&self, dir: &Path) -> bool {
        self.new_dirs.contains(dir.as_os_str())
    }

    fn refuse(&mut self, path: PathBuf, reason: Reason) {
        self.refusals.entry(path).or_insert(reason);
    }

    fn require_writable_dir(&mut self, dir: &Path) {
        let writable = *(self.writable_dirs.entry(dir.as_os_str().to_owned()))
            .or_insert_with(|| rustix::fs::access(dir, Access::WRITE_OK | Access::EXEC_OK).is_ok());
        if !writable {
            self.refuse(dir.to_path_buf(), Reason::DirectoryReadOnly);
        }
    }
}

fn parent(path: &Path) -> &Path {
    path.parent().unwrap_or(path)
}

/// Whether the current user may write `path` (mode bits; the immutable flag and a read-only mount
/// deny even root).
fn writable(path: &Path) -> bool {
    rustix::fs::access(path, Access::WRITE_OK).is_ok()
}

/// Whether removing `removed` empties the directory `dir` (`rel` in the out dir) completely.
/// Pruning removes a directory only when it empties on the way up from a removed file, so every
/// directory below must lead to one.
fn emptied_by(dir: &Path, rel: &str, removed: &BTreeSet<&str>) -> bool {
    walkdir::WalkDir::new(dir)
        .min_depth(1)
        .into_iter()
        .all(|entry| {
            entry.is_ok_and(|entry| {
                let below = entry.path().strip_prefix(dir).unwrap_or(entry.path());
                let below = format!("{rel}/{}", below.to_string_lossy());
                let kind = entry.file_type();
                let leads_to_removed = || {
                    let prefix = format!("{below}/");
                    removed.iter().any(|r| r.starts_with(&prefix))
                };
                (kind.is_file() && removed.contains(below.as_str()))
                    || (kind.is_dir() && leads_to_removed())
            })
        })
}

/// Refuses a render whose bytes (in whole blocks, a block per new directory, and each of the
/// `manifests` writes of the manifest) or files do not fit the free space of the out dir's
/// filesystem. A render that writes nothing needs nothing.
pub(super) fn check_space(
    out_dir: &Path,
    plan: &Plan<'_>,
    manifests: usize,
) -> Result<(), EmitError> {
    if plan.writes.is_empty() && manifests == 0 {
        return Ok(());
    }
    let stat = rustix::fs::statvfs(out_dir).map_err(|e| read_err(out_dir)(e.into()))?;
    let block = match stat.f_frsize {
        0 => stat.f_bsize.max(1),
        size => size,
    };
    let blocks = |len: usize| (len as u64).div_ceil(block);
    let file_blocks: u64 = plan.writes.iter().map(|(_, c)| blocks(c.len())).sum();
    let manifest_blocks = manifests as u64 * blocks(plan.intent.len());
    let needed = file_blocks + plan.new_dirs.len() as u64 + manifest_blocks;
    let too_little = |unit, needed: u64, available: u64| EmitError::NoSpace {
        path: out_dir.to_path_buf(),
        unit,
        needed,
        available,
    };
    if needed > stat.f_bavail {
        let (needed, available) = (needed * block, stat.f_bavail * block);
        return Err(too_little("bytes", needed, available));
    }
    // Some filesystems (btrfs) report no inode count at all: nothing to check there.
    let files = (plan.writes.len() + plan.new_dirs.len() + manifests.min(1)) as u64;
    if stat.f_files > 0 && files > stat.f_favail {
        return Err(too_little("files", files, stat.f_favail));
    }
    Ok(())
}
