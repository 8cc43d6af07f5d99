//! Network namespaces made by rpod: a file bind-mounted from a thread that
//! unshared its network namespace (as Podman's netns package does), so the
//! namespace outlives every process in it until [`remove`] unmounts it.

use std::path::Path;

use nix::mount::{mount, umount2, MntFlags, MsFlags};
use nix::sched::{unshare, CloneFlags};

use crate::error::{io_err, Error, Result};

/// Creates a new network namespace pinned at `path`.
pub fn create(path: &Path) -> Result<()> {
    if let Some(dir) = path.parent() {
        std::fs::create_dir_all(dir).map_err(io_err("creating", dir))?;
    }
    std::fs::File::create(path).map_err(io_err("creating", path))?;
    let target = path.to_path_buf();
    // Namespaces belong to threads: this one unshares, pins its new
    // namespace with a bind mount, and ends; the engine's threads are untouched.
    let joined = std::thread::spawn(move || -> nix::Result<()> {
        unshare(CloneFlags::CLONE_NEWNET)?;
        mount(
            Some("/proc/thread-self/ns/net"),
            &target,
            None::<&str>,
            MsFlags::MS_BIND,
            None::<&str>,
        )
    })
    .join();
    let result = match joined {
        Ok(Ok(())) => return Ok(()),
        Ok(Err(e)) => Error::Io {
            context: "making a network namespace at".into(),
            path: path.to_path_buf(),
            source: e.into(),
        },
        Err(_) => Error::Invalid("the network namespace thread panicked".into()),
    };
    let _ = std::fs::remove_file(path);
    Err(result)
}

/// True when `path` is a pinned namespace (an nsfs mount).
pub fn is_namespace(path: &Path) -> bool {
    nix::sys::statfs::statfs(path)
        .map(|s| s.filesystem_type() == nix::sys::statfs::NSFS_MAGIC)
        .unwrap_or(false)
}

/// Unmounts and removes a namespace file; a missing one is not an error.
pub fn remove(path: &Path) -> Result<()> {
    match umount2(path, MntFlags::MNT_DETACH) {
        Ok(()) | Err(nix::errno::Errno::EINVAL) | Err(nix::errno::Errno::ENOENT) => {}
        Err(e) => {
            return Err(Error::Io {
                context: "unmounting the network namespace".into(),
                path: path.to_path_buf(),
                source: e.into(),
            })
        }
    }
    match std::fs::remove_file(path) {
        Err(e) if e.kind() != std::io::ErrorKind::NotFound => Err(io_err("removing", path)(e)),
        _ => Ok(()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn namespaces_are_pinned_and_removed() {
        if !nix::unistd::geteuid().is_root() {
            return;
        }
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("netns/n1");
        create(&p).unwrap();
        assert!(is_namespace(&p));
        let mine = std::fs::read_link("/proc/self/ns/net").unwrap();
        assert_ne!(std::fs::metadata(&p).map(|_| ()).ok(), None);
        assert_ne!(mine, std::path::PathBuf::from(""));
        remove(&p).unwrap();
        assert!(!p.exists());
        remove(&p).unwrap();
    }
}
