//! Per-object lock files (flock) under the run root.
//!
//! A lock is held for the duration of one state transition, never while
//! waiting on a container process.

use std::fs::{File, OpenOptions};
use std::path::Path;

use nix::fcntl::{Flock, FlockArg};

use crate::error::{Error, IoContext, Result};

/// An exclusive lock, released when dropped.
pub struct LockGuard {
    _lock: Flock<File>,
}

/// Takes the exclusive lock on `path`, creating the file if needed.
pub fn lock_exclusive(path: &Path) -> Result<LockGuard> {
    let file = OpenOptions::new()
        .create(true)
        .truncate(false)
        .write(true)
        .open(path)
        .ctx(|| format!("opening lock file {}", path.display()))?;
    let lock = Flock::lock(file, FlockArg::LockExclusive).map_err(|(_, errno)| Error::Io {
        context: format!("locking {}", path.display()),
        source: std::io::Error::from(errno),
    })?;
    Ok(LockGuard { _lock: lock })
}

/// Takes the lock on `path` if nobody holds it; `None` when it is busy.
pub fn try_lock_exclusive(path: &Path) -> Result<Option<LockGuard>> {
    let file = OpenOptions::new()
        .create(true)
        .truncate(false)
        .write(true)
        .open(path)
        .ctx(|| format!("opening lock file {}", path.display()))?;
    match Flock::lock(file, FlockArg::LockExclusiveNonblock) {
        Ok(lock) => Ok(Some(LockGuard { _lock: lock })),
        Err((_, nix::errno::Errno::EWOULDBLOCK)) => Ok(None),
        Err((_, errno)) => Err(Error::Io {
            context: format!("locking {}", path.display()),
            source: std::io::Error::from(errno),
        }),
    }
}
