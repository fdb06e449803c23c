//! One render at a time in an out dir: an advisory `flock` on the directory itself, held until
//! the returned guard is dropped. Locking the directory, not a file in it, leaves nothing in
//! `out/` to commit or to ignore.

use std::fs;
use std::path::Path;

use rustix::fs::{FlockOperation, flock};

use super::EmitError;

/// Holds the lock; the kernel releases it when the directory handle closes (or the process dies).
#[derive(Debug)]
pub(super) struct DirLock {
    _dir: fs::File,
}

#[derive(Clone, Copy, Debug)]
pub(super) enum Mode {
    /// `render`: no other render or check at the same time.
    Exclusive,
    /// `check`: reads never see a render half done.
    Shared,
}

/// Waits for the lock on `out_dir`, calling `waiting` once if another process holds it.
pub(super) fn lock(out_dir: &Path, mode: Mode, waiting: &dyn Fn()) -> Result<DirLock, EmitError> {
    let error = |source: std::io::Error| EmitError::Lock {
        path: out_dir.to_path_buf(),
        source,
    };
    let dir = fs::File::open(out_dir).map_err(error)?;
    let (try_now, wait) = match mode {
        Mode::Exclusive => (
            FlockOperation::NonBlockingLockExclusive,
            FlockOperation::LockExclusive,
        ),
        Mode::Shared => (
            FlockOperation::NonBlockingLockShared,
            FlockOperation::LockShared,
        ),
    };
    match flock(&dir, try_now) {
        Ok(()) => {}
        Err(errno) if errno == rustix::io::Errno::WOULDBLOCK => {
            waiting();
            flock(&dir, wait).map_err(|errno| error(errno.into()))?;
        }
        Err(errno) => return Err(error(errno.into())),
    }
    Ok(DirLock { _dir: dir })
}
