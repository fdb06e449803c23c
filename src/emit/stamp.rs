//! Stamps: a file's state on disk, known without reading it. A render stamps every file it writes
//! or finds already holding its bytes; the check record (`cache`) keeps the stamps beside the
//! digests, and a `check` that finds a file with the same stamp knows its bytes without reading
//! and hashing them, as git's index does.
//!
//! A stamp is the device, inode, size and the modification and change times. Any write to a file,
//! and any change of its modification time, sets its change time to the clock's time, which no
//! program can set back; replacing the file gives another inode. What a stamp cannot see is a
//! write within the same tick of the filesystem's clock as the stamp was taken (git's "racily
//! clean" files): `Stamp::settled_before` lets the record trust only stamps whose change time is
//! before the record was written, so a write after the record always shows.

use std::fs::Metadata;
use std::os::unix::fs::MetadataExt as _;

use serde::{Deserialize, Serialize};

/// A file's device, inode, size, modification time (s, ns) and change time (s, ns).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Deserialize, Serialize)]
#[serde(transparent)]
pub struct Stamp([u64; 7]);

impl Stamp {
    /// The stamp of a file's metadata (from `lstat` or `fstat`).
    pub fn of(meta: &Metadata) -> Stamp {
        Stamp([
            meta.dev(),
            meta.ino(),
            meta.size(),
            meta.mtime().cast_unsigned(),
            meta.mtime_nsec().cast_unsigned(),
            meta.ctime().cast_unsigned(),
            meta.ctime_nsec().cast_unsigned(),
        ])
    }

    /// The numbers, in order: device, inode, size, modification time (s, ns), change time (s, ns).
    pub fn numbers(&self) -> [u64; 7] {
        self.0
    }

    /// Whether the file's change time is strictly before `modified` (the record's own
    /// modification time, from the same clock): a write after the record then changes the stamp.
    pub fn settled_before(&self, modified: &Metadata) -> bool {
        let [.., seconds, nanos] = self.0;
        let (seconds, nanos) = (seconds.cast_signed(), nanos.cast_signed());
        (seconds, nanos) < (modified.mtime(), modified.mtime_nsec())
    }
}
