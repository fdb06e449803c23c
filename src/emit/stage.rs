//! New top-level directories of the out dir (an environment rendered for the first time, every
//! directory of a fresh render) are built aside and renamed into place whole: each is made under a
//! temporary name in the out dir (`.<name>.<random>.lgtmc-tmp/`), its files are written straight
//! to their names inside it, and once every file of the render is written it is renamed to
//! `<name>`, never over anything. A reader never sees a part of the directory, and thousands of
//! files are written without a temporary and a rename each (a fifth of a fresh render's system
//! time on ext4). A render that fails removes them; one that is killed leaves them, and they are
//! temporaries like the others: `check` reports them, the next render removes them.

use std::io::Write as _;
use std::os::unix::fs::{OpenOptionsExt as _, PermissionsExt as _};
use std::path::{Path, PathBuf};
use std::{fs, io};

use super::paths::write_err;
use super::plan::Plan;
use super::{EmitError, Stamp, TMP_SUFFIX};

/// The top-level directories this render builds aside, with where each is being built.
#[derive(Debug, Default)]
pub(super) struct Staged {
    dirs: Vec<(String, tempfile::TempDir)>,
}

impl Staged {
    /// Makes a temporary directory for every top-level directory the plan creates (all of its
    /// files are new), before the first file is written.
    pub(super) fn new(out_dir: &Path, plan: &Plan<'_>) -> Result<Self, EmitError> {
        let mut tops: Vec<&str> = (plan.writes.iter())
            .filter_map(|(path, _)| path.split_once('/').map(|(top, _)| top))
            .filter(|top| plan.creates_dir(&out_dir.join(top)))
            .collect();
        tops.dedup();
        let mut staged = Staged::default();
        for top in tops {
            // The umask applies, as to any directory the user creates; tempfile's own default
            // is owner-only.
            let dir = tempfile::Builder::new()
                .prefix(&format!(".{top}."))
                .suffix(TMP_SUFFIX)
                .permissions(fs::Permissions::from_mode(0o777))
                .tempdir_in(out_dir)
                .map_err(write_err(out_dir))?;
            staged.dirs.push((top.to_owned(), dir));
        }
        Ok(staged)
    }

    /// Where the file `rel` is written when its top-level directory is built aside.
    pub(super) fn place(&self, rel: &str) -> Option<PathBuf> {
        let (top, inside) = rel.split_once('/')?;
        let (_, dir) = self.dirs.iter().find(|(staged, _)| staged == top)?;
        Some(dir.path().join(inside))
    }

    /// Renames every directory built aside to its name in `out_dir`, which must not exist. On a
    /// failure the directories not yet renamed are removed.
    pub(super) fn publish(self, out_dir: &Path) -> Result<(), EmitError> {
        for (top, dir) in self.dirs {
            let target = out_dir.join(&top);
            // Kept from here: once renamed, the temporary name is gone.
            let built = dir.keep();
            if let Err(error) = rename_new(&built, &target) {
                let _ = fs::remove_dir_all(&built);
                return Err(write_err(&target)(error));
            }
        }
        Ok(())
    }
}

/// Renames `from` to `to` when nothing is at `to` (the render checked; another program may have
/// made it since, and an empty directory there would be replaced by a plain `rename`).
pub(super) fn rename_new(from: &Path, to: &Path) -> io::Result<()> {
    use rustix::fs::{CWD, RenameFlags, renameat_with};
    match renameat_with(CWD, from, CWD, to, RenameFlags::NOREPLACE) {
        Ok(()) => Ok(()),
        // A filesystem without `RENAME_NOREPLACE`: the check and the rename are two steps.
        Err(rustix::io::Errno::INVAL) if fs::symlink_metadata(to).is_err() => fs::rename(from, to),
        Err(errno) => Err(errno.into()),
    }
}

/// Writes a new file of a directory built aside: created exclusively (nothing planted there is
/// opened), at its own name; returns its stamp (renaming the directory keeps it). `target` is
/// where it will be, for the error.
pub(super) fn write_new(path: &Path, target: &Path, content: &str) -> Result<Stamp, EmitError> {
    fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .mode(0o666)
        .open(path)
        .and_then(|mut file| {
            file.write_all(content.as_bytes())?;
            file.metadata()
        })
        .map(|meta| Stamp::of(&meta))
        .map_err(write_err(target))
}
