//! Per-object lock files (flock) under the run root.
//!
//! A lock is held for the duration of one state transition, never while
//! waiting on a container process.

use std::fs::{File, OpenOptions};
use std::path::Path;

use nix::errno::Errno;
use nix::fcntl::{Flock, FlockArg};

use crate::error::{Error, IoContext, Result};

/// An exclusive lock, released when dropped.
pub struct LockGuard {
    _lock: Flock<File>,
}

fn open_lock_file(path: &Path) -> Result<File> {
    OpenOptions::new()
        .create(true)
        .truncate(false)
        .write(true)
        .open(path)
        .ctx(|| format!("opening lock file {}", path.display()))
}

fn lock_error(path: &Path, errno: Errno) -> Error {
    Error::Io {
        context: format!("locking {}", path.display()),
        source: std::io::Error::from(errno),
    }
}

/// Takes the exclusive lock on `path`, creating the file if needed.
pub fn lock_exclusive(path: &Path) -> Result<LockGuard> {
    Flock::lock(open_lock_file(path)?, FlockArg::LockExclusive)
        .map(|lock| LockGuard { _lock: lock })
        .map_err(|(_, errno)| lock_error(path, errno))
}

/// Takes the lock on `path` if nobody holds it; `None` when it is busy.
pub fn try_lock_exclusive(path: &Path) -> Result<Option<LockGuard>> {
    match Flock::lock(open_lock_file(path)?, FlockArg::LockExclusiveNonblock) {
        Ok(lock) => Ok(Some(LockGuard { _lock: lock })),
        Err((_, Errno::EWOULDBLOCK)) => Ok(None),
        Err((_, errno)) => Err(lock_error(path, errno)),
    }
}
