//! Emit: writing the rendered tree to `out/` and comparing `out/` against it. Filesystem work
//! only: how a difference is shown to people (the unified diff, colour) is `report::udiff`'s.
//!
//! Invariants:
//! - This stage and the loader are the only ones that touch the filesystem; every earlier stage
//!   works on an in-memory [`RenderedTree`].
//! - Nothing is written unless the tree is complete: every path is validated and the tree's own
//!   manifest entry must list exactly the tree's files before the first byte hits the disk.
//! - Nothing is written unless every write can be made: before the first write every target is
//!   checked (real directories on the way, a regular file lgtmc owns or holding the same bytes,
//!   writable, and free space for every byte), and every refusal is reported at once.
//! - The manifest is the journal. Before any other file is touched it is rewritten, durably, to
//!   list every file the render may leave behind (the old manifest's files and the tree's), so an
//!   interrupted render leaves no file the manifest does not record; the next render finishes the
//!   job and removes leftover temporaries, and `compare_tree` reports both as drift meanwhile.
//! - Writes are atomic per file: a temporary sibling created exclusively under a random name
//!   (never through a link), then renamed over the target. A top-level directory that does not
//!   exist yet is atomic as a whole: built under a temporary name in the out dir, its files
//!   created exclusively at their names inside it, then renamed into place, never over anything.
//! - One render at a time per out dir: an exclusive `flock` on the directory for the whole render;
//!   a comparison takes a shared one.
//! - lgtmc never touches a file it did not generate: only paths in the tree or in the previous
//!   manifest are written or removed (plus its own `.*.lgtmc-tmp` temporaries: files, and
//!   directories in the out dir itself), never through a symlink, and never outside `out_dir`. A
//!   file it does not own is replaced only by identical bytes, which adopts it.
//!
//! The parts: `plan` decides every write, removal and refusal before the first write; `apply`
//! makes them under the lock; `stage` builds new top-level directories aside; `compare` reads
//! `out/` back and compares bytes; `manifest` is the journal's format; `paths` the checked ways
//! of reaching a path below the out dir; `lock` the `flock`; `stamp` a file's state without its
//! bytes.

mod apply;
mod compare;
mod lock;
mod manifest;
mod paths;
mod plan;
mod stage;
mod stamp;

use std::collections::BTreeMap;
use std::io;
use std::path::{Path, PathBuf};

pub use apply::{write_tree, write_tree_in};
pub use compare::{Expected, compare_tree, compare_tree_in, read_rendered};
pub use manifest::{MANIFEST_PATH, manifest_text};
pub use stamp::Stamp;

/// The rendered platform: relative path (forward slashes, e.g. "prod/mimir/values.yaml") -> file bytes.
/// Produced in memory, complete and verified, before emit is called.
pub type RenderedTree = BTreeMap<String, Text>;

pub use crate::format::Text;

/// lgtmc's temporary files are `.<name>.<random>.lgtmc-tmp`, beside the file `<name>` they replace.
pub const TMP_SUFFIX: &str = ".lgtmc-tmp";

#[derive(Debug, thiserror::Error)]
pub enum EmitError {
    #[error("cannot read `{path}`: {source}")]
    Read {
        path: PathBuf,
        #[source]
        source: io::Error,
    },
    #[error("cannot write `{path}`: {source}")]
    Write {
        path: PathBuf,
        #[source]
        source: io::Error,
    },
    #[error("cannot remove `{path}`: {source}")]
    Remove {
        path: PathBuf,
        #[source]
        source: io::Error,
    },
    #[error("refusing to write `{path}`: a directory or non-file is in the way")]
    NotAFile { path: PathBuf },
    #[error("refusing `{path:?}`: not a plain relative path inside the out dir")]
    UnsafePath { path: String },
    #[error("the tree's `{MANIFEST_PATH}` entry does not list exactly the tree's files")]
    ManifestMismatch,
    /// Paths in the out dir that stop the render; found before anything was written. All of them.
    #[error("{} path{} in `{}` stop{} the render; nothing was written", .refusals.len(), if .refusals.len() == 1 { "" } else { "s" }, .out_dir.display(), if .refusals.len() == 1 { "s" } else { "" })]
    Refused {
        out_dir: PathBuf,
        refusals: Vec<Refusal>,
    },
    #[error("not enough free space for the render in `{}`: it needs {needed} {unit}, {available} are free; nothing was written", .path.display())]
    NoSpace {
        path: PathBuf,
        unit: &'static str,
        needed: u64,
        available: u64,
    },
    #[error("cannot lock `{}` for the render: {source}", .path.display())]
    Lock {
        path: PathBuf,
        #[source]
        source: io::Error,
    },
}

/// A path in the out dir that lgtmc will not write through, replace or remove.
#[derive(Debug, PartialEq, Eq)]
pub struct Refusal {
    pub path: PathBuf,
    pub reason: Reason,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Reason {
    /// A file, a symlink or something else where lgtmc needs a directory.
    NotADirectory,
    /// A directory, a symlink or something else where lgtmc writes a file.
    NotAFile,
    /// A file lgtmc did not generate, with other bytes than the ones it would write there.
    NotOwned,
    /// A file lgtmc would replace or remove that may not be written (read-only, immutable).
    ReadOnly,
    /// A directory lgtmc would create, replace or remove files in that may not be written.
    DirectoryReadOnly,
}

impl Reason {
    pub fn message(self) -> &'static str {
        match self {
            Reason::NotADirectory => "is not a directory, and lgtmc writes files below it",
            Reason::NotAFile => {
                "is not a regular file (a directory or a symlink), and lgtmc writes a file there"
            }
            Reason::NotOwned => {
                "was not generated by lgtmc (it is not in `.lgtmc-manifest`), and the spec now generates this path"
            }
            Reason::ReadOnly => {
                "cannot be written (read-only or immutable), and lgtmc would replace or remove it"
            }
            Reason::DirectoryReadOnly => {
                "is a directory lgtmc cannot write in, and it would create, replace or remove files there"
            }
        }
    }

    pub fn hint(self) -> &'static str {
        match self {
            Reason::NotADirectory | Reason::NotAFile => {
                "move it out of the way; lgtmc never writes through a symlink"
            }
            Reason::NotOwned => {
                "move or delete it, then render again (if an earlier lgtmc wrote it and the manifest was lost, deleting it is safe)"
            }
            Reason::ReadOnly => "make it writable (`chmod u+w`, `chattr -i`) or move it away",
            Reason::DirectoryReadOnly => "make the directory writable (`chmod u+w`, `chattr -i`)",
        }
    }
}

/// What one render changed on disk. Paths relative to the out dir, sorted.
#[derive(Debug, Default, PartialEq, Eq)]
pub struct WriteReport {
    pub written: Vec<String>,
    pub unchanged: Vec<String>,
    /// Owned files the spec no longer produces, and temporaries an interrupted render left.
    pub removed: Vec<String>,
    /// The stamp of every file written or found unchanged, the manifest aside: each taken while
    /// the file held the tree's bytes (for the check record).
    pub stamps: BTreeMap<String, Stamp>,
}

/// How the committed out dir differs from the tree. Never writes.
/// For `missing` entries `on_disk` is empty; for `extra` entries `rendered` is empty.
#[derive(Debug, Default, PartialEq, Eq)]
pub struct Drift {
    pub changed: Vec<FileDrift>,
    pub missing: Vec<FileDrift>,
    pub extra: Vec<FileDrift>,
}

#[derive(Debug, PartialEq, Eq)]
pub struct FileDrift {
    pub path: String,
    pub on_disk: String,
    pub rendered: String,
}

impl Drift {
    pub fn is_clean(&self) -> bool {
        self.changed.is_empty() && self.missing.is_empty() && self.extra.is_empty()
    }
}

/// `path` made absolute with symlinks resolved as far as it exists, and `.`/`..` removed from
/// the rest, so that two spellings of one directory compare equal.
pub fn resolved(path: &Path) -> PathBuf {
    let absolute = std::path::absolute(path).unwrap_or_else(|_| path.to_path_buf());
    let mut existing = absolute.as_path();
    let mut rest = Vec::new();
    let mut base = loop {
        if let Ok(real) = existing.canonicalize() {
            break real;
        }
        match (existing.parent(), existing.file_name()) {
            (Some(parent), Some(name)) => {
                rest.push(name.to_owned());
                existing = parent;
            }
            _ => break existing.to_path_buf(),
        }
    };
    for name in rest.iter().rev() {
        match name.to_str() {
            Some("..") => {
                base.pop();
            }
            Some(".") => {}
            _ => base.push(name),
        }
    }
    base
}

#[cfg(test)]
mod tests;
