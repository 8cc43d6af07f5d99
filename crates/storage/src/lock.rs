//! The store-wide mutation lock (`storage.lock`, an exclusive `flock`).

use std::fs::{File, OpenOptions};
use std::os::unix::fs::OpenOptionsExt;
use std::path::{Path, PathBuf};

use nix::errno::Errno;
use nix::fcntl::{Flock, FlockArg};

use crate::error::{IoContext, Result};

/// Names the lock file; every mutation of the store holds the lock for its whole duration.
///
/// `flock` locks belong to open file descriptions, so two guards taken in the same process
/// (e.g. from two threads) exclude each other just like guards in different processes.
#[derive(Debug)]
pub(crate) struct StoreLock {
    path: PathBuf,
}

/// Holds the lock until dropped.
#[derive(Debug)]
pub(crate) struct LockGuard {
    _lock: Flock<File>,
}

impl StoreLock {
    /// A lock on the file at `path` (created on first use).
    pub(crate) fn new(path: &Path) -> StoreLock {
        StoreLock {
            path: path.to_path_buf(),
        }
    }

    /// Blocks until the lock is held.
    pub(crate) fn lock(&self) -> Result<LockGuard> {
        loop {
            match self.acquire(FlockArg::LockExclusive)? {
                Some(guard) => return Ok(guard),
                None => continue, // interrupted by a signal
            }
        }
    }

    /// Takes the lock only if nobody else holds it.
    pub(crate) fn try_lock(&self) -> Result<Option<LockGuard>> {
        self.acquire(FlockArg::LockExclusiveNonblock)
    }

    fn acquire(&self, arg: FlockArg) -> Result<Option<LockGuard>> {
        let file = OpenOptions::new()
            .read(true)
            .write(true)
            .create(true)
            .truncate(false)
            .mode(0o600)
            .custom_flags(libc::O_CLOEXEC)
            .open(&self.path)
            .at("open lock file", &self.path)?;
        match Flock::lock(file, arg) {
            Ok(lock) => Ok(Some(LockGuard { _lock: lock })),
            Err((_, Errno::EWOULDBLOCK)) | Err((_, Errno::EINTR)) => Ok(None),
            Err((_, errno)) => Err(errno).at("lock", &self.path),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lock_excludes_other_holders_in_the_same_process() {
        let tmp = tempfile::tempdir().unwrap();
        let lock = StoreLock::new(&tmp.path().join("storage.lock"));
        let guard = lock.lock().unwrap();
        assert!(lock.try_lock().unwrap().is_none());
        drop(guard);
        assert!(lock.try_lock().unwrap().is_some());
    }
}
