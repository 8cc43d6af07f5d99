//! Filesystem helpers: atomic metadata writes, staging directories, safe removal and `du`.

use std::collections::HashSet;
use std::fs::{self, File, OpenOptions};
use std::io::{self, Write};
use std::os::unix::fs::{MetadataExt, OpenOptionsExt};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{SystemTime, UNIX_EPOCH};

use nix::sys::stat::{utimensat, UtimensatFlags};
use nix::sys::time::TimeSpec;
use serde::de::DeserializeOwned;
use serde::Serialize;

use crate::error::{Error, IoContext, Result};
use crate::mountinfo;

/// Returns a name that is unique among the names this and any other live process generate.
pub(crate) fn unique_name(prefix: &str) -> String {
    static COUNTER: AtomicU64 = AtomicU64::new(0);
    let n = COUNTER.fetch_add(1, Ordering::Relaxed);
    let nanos = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.subsec_nanos())
        .unwrap_or_default();
    format!("{prefix}{}-{n}-{nanos:08x}", std::process::id())
}

/// Creates `path` (which must not exist) with `data`, and fsyncs it.
pub(crate) fn write_new_synced(path: &Path, data: &[u8]) -> Result<()> {
    write_new(path, data)?.sync_all().at("fsync", path)
}

/// Creates `path` (which must not exist) with `data`, without waiting for the disk.
pub(crate) fn write_new(path: &Path, data: &[u8]) -> Result<File> {
    let mut file = OpenOptions::new()
        .write(true)
        .create_new(true)
        .mode(0o644)
        .custom_flags(libc::O_NOFOLLOW | libc::O_CLOEXEC)
        .open(path)
        .at("create", path)?;
    file.write_all(data).at("write", path)?;
    Ok(file)
}

/// Replaces `path` atomically: writes a temporary file in the same directory, fsyncs it and
/// renames it over `path`. Readers see either the old or the new content, never a mix.
pub(crate) fn atomic_write(path: &Path, data: &[u8]) -> Result<()> {
    let dir = parent_of(path)?;
    let file_name = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    let tmp = dir.join(unique_name(&format!(".{file_name}.tmp-")));
    let written =
        write_new_synced(&tmp, data).and_then(|()| fs::rename(&tmp, path).at("rename", path));
    if written.is_err() {
        let _ = fs::remove_file(&tmp);
    }
    written
}

/// Serialises `value` as JSON and writes it with [`atomic_write`].
pub(crate) fn write_json<T: Serialize>(path: &Path, value: &T) -> Result<()> {
    atomic_write(path, &to_json(path, value)?)
}

/// Serialises `value` as pretty JSON; `path` is only used for the error message.
pub(crate) fn to_json<T: Serialize>(path: &Path, value: &T) -> Result<Vec<u8>> {
    serde_json::to_vec_pretty(value).map_err(|source| Error::Metadata {
        path: path.to_path_buf(),
        source,
    })
}

/// Reads and parses a JSON metadata file.
pub(crate) fn read_json<T: DeserializeOwned>(path: &Path) -> Result<T> {
    let data = fs::read(path).at("read", path)?;
    serde_json::from_slice(&data).map_err(|source| Error::Metadata {
        path: path.to_path_buf(),
        source,
    })
}

/// Reads a JSON metadata file, returning `None` if it does not exist.
pub(crate) fn read_json_if_exists<T: DeserializeOwned>(path: &Path) -> Result<Option<T>> {
    match read_json(path) {
        Ok(value) => Ok(Some(value)),
        Err(err) if err.is_not_found() => Ok(None),
        Err(err) => Err(err),
    }
}

/// Flushes a directory so that renames into it survive a crash.
pub(crate) fn sync_dir(path: &Path) -> Result<()> {
    File::open(path)
        .and_then(|dir| dir.sync_all())
        .at("fsync directory", path)
}

fn parent_of(path: &Path) -> Result<&Path> {
    path.parent().ok_or_else(|| Error::Io {
        op: "find parent of",
        path: path.to_path_buf(),
        source: io::Error::from(io::ErrorKind::InvalidInput),
    })
}

/// True if something (of any type, including a dangling symlink) exists at `path`.
pub(crate) fn exists_nofollow(path: &Path) -> Result<bool> {
    match fs::symlink_metadata(path) {
        Ok(_) => Ok(true),
        Err(err) if err.kind() == io::ErrorKind::NotFound => Ok(false),
        Err(err) => Err(err).at("stat", path),
    }
}

/// Removes whatever is at `path` without following symlinks; a missing path is not an error.
pub(crate) fn remove_any(path: &Path) -> Result<()> {
    let removed = match fs::symlink_metadata(path) {
        Ok(meta) if meta.is_dir() => fs::remove_dir_all(path),
        Ok(_) => fs::remove_file(path),
        Err(err) => Err(err),
    };
    match removed {
        Err(err) if err.kind() != io::ErrorKind::NotFound => Err(err).at("remove", path),
        _ => Ok(()),
    }
}

/// Removes a directory tree created by the store. Anything still mounted below it is detached
/// first, so the removal can never descend into another filesystem. Missing paths are fine.
pub(crate) fn remove_tree(path: &Path) -> Result<()> {
    mountinfo::detach_mounts_under(path)?;
    remove_any(path)
}

/// Sets the access and modification time of `path` (not following a final symlink).
pub(crate) fn set_mtime_nofollow(path: &Path, mtime: TimeSpec) -> Result<()> {
    utimensat(None, path, &mtime, &mtime, UtimensatFlags::NoFollowSymlink).at("set times of", path)
}

/// A directory under the store's `tmp/` where an object (layer, container) is assembled before
/// it is renamed into place. Dropping it without [`StagingDir::commit`] removes it.
#[derive(Debug)]
pub(crate) struct StagingDir {
    path: PathBuf,
    committed: bool,
}

impl StagingDir {
    /// Creates a fresh, empty staging directory below `tmp_root`.
    pub(crate) fn new(tmp_root: &Path) -> Result<StagingDir> {
        loop {
            let path = tmp_root.join(unique_name("stage-"));
            match fs::create_dir(&path) {
                Ok(()) => {
                    return Ok(StagingDir {
                        path,
                        committed: false,
                    })
                }
                Err(err) if err.kind() == io::ErrorKind::AlreadyExists => continue,
                Err(err) => return Err(err).at("create directory", &path),
            }
        }
    }

    /// Takes charge of an existing directory below `tmp/` (removed on drop unless committed).
    pub(crate) fn adopt(path: PathBuf) -> StagingDir {
        StagingDir {
            path,
            committed: false,
        }
    }

    /// The staging directory.
    pub(crate) fn path(&self) -> &Path {
        &self.path
    }

    /// Renames the staging directory to `dest`. Returns `Ok(false)` (and discards the staged
    /// content) if `dest` already exists.
    pub(crate) fn commit(mut self, dest: &Path) -> Result<bool> {
        match rename_noreplace(&self.path, dest) {
            Ok(()) => {
                self.committed = true;
                Ok(true)
            }
            Err(err) if is_already_exists(&err) => Ok(false),
            Err(err) => Err(err).at("rename staging directory to", dest),
        }
    }
}

impl Drop for StagingDir {
    fn drop(&mut self) {
        if !self.committed {
            // Best effort: `Store::open` removes whatever is left over.
            let _ = remove_tree(&self.path);
        }
    }
}

/// `rename(2)` that fails with `EEXIST` instead of replacing an existing (empty) directory.
fn rename_noreplace(from: &Path, to: &Path) -> io::Result<()> {
    let c_from = path_cstring(from)?;
    let c_to = path_cstring(to)?;
    // SAFETY: both pointers are valid NUL-terminated strings for the duration of the call.
    let rc = unsafe {
        libc::syscall(
            libc::SYS_renameat2,
            libc::AT_FDCWD,
            c_from.as_ptr(),
            libc::AT_FDCWD,
            c_to.as_ptr(),
            libc::RENAME_NOREPLACE,
        )
    };
    if rc == 0 {
        return Ok(());
    }
    let err = io::Error::last_os_error();
    match err.raw_os_error() {
        // Filesystems without RENAME_NOREPLACE: callers hold the store lock, so check-then-rename
        // cannot race with another writer.
        Some(libc::EINVAL) | Some(libc::ENOSYS) => {
            if fs::symlink_metadata(to).is_ok() {
                return Err(io::Error::from(io::ErrorKind::AlreadyExists));
            }
            fs::rename(from, to)
        }
        _ => Err(err),
    }
}

/// Converts a path to a C string for raw system calls.
pub(crate) fn path_cstring(path: &Path) -> io::Result<std::ffi::CString> {
    use std::os::unix::ffi::OsStrExt;
    std::ffi::CString::new(path.as_os_str().as_bytes())
        .map_err(|_| io::Error::new(io::ErrorKind::InvalidInput, "path contains a NUL byte"))
}

fn is_already_exists(err: &io::Error) -> bool {
    err.kind() == io::ErrorKind::AlreadyExists || err.raw_os_error() == Some(libc::ENOTEMPTY)
}

/// Moves `path` into `tmp_root` (an atomic rename that makes it invisible at once) and deletes
/// it there. A crash in between leaves garbage in `tmp/` only, which `Store::open` removes.
pub(crate) fn remove_via_tmp(path: &Path, tmp_root: &Path) -> Result<()> {
    let doomed = tmp_root.join(unique_name("rm-"));
    match fs::rename(path, &doomed) {
        Ok(()) => remove_tree(&doomed),
        Err(err) if err.kind() == io::ErrorKind::NotFound => Ok(()),
        Err(err) => Err(err).at("rename for removal", path),
    }
}

/// Walks a directory tree and sums the sizes of everything that is not a directory, without
/// following symlinks and counting hardlinked inodes once.
pub fn du(path: &Path) -> Result<u64> {
    let mut total = 0u64;
    let mut seen_links: HashSet<(u64, u64)> = HashSet::new();
    let mut pending = vec![path.to_path_buf()];
    let mut is_top = true;
    while let Some(current) = pending.pop() {
        let meta = match fs::symlink_metadata(&current) {
            Ok(meta) => meta,
            // Entries may vanish while a container runs; only the top path must exist.
            Err(err) if !is_top && err.kind() == io::ErrorKind::NotFound => continue,
            Err(err) => return Err(err).at("stat", &current),
        };
        is_top = false;
        if meta.is_dir() {
            match fs::read_dir(&current) {
                Ok(entries) => {
                    for entry in entries {
                        pending.push(entry.at("read directory", &current)?.path());
                    }
                }
                Err(err) if err.kind() == io::ErrorKind::NotFound => {}
                Err(err) => return Err(err).at("read directory", &current),
            }
        } else if meta.nlink() <= 1 || seen_links.insert((meta.dev(), meta.ino())) {
            total = total.saturating_add(meta.len());
        }
    }
    Ok(total)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::os::unix::fs::symlink;

    #[test]
    fn du_counts_files_once_and_ignores_dirs() {
        let tmp = tempfile::tempdir().unwrap();
        let root = tmp.path();
        fs::write(root.join("a"), vec![0u8; 100]).unwrap();
        fs::create_dir(root.join("d")).unwrap();
        fs::write(root.join("d/b"), vec![0u8; 50]).unwrap();
        fs::hard_link(root.join("a"), root.join("d/a-link")).unwrap();
        symlink("0123456789", root.join("sym")).unwrap();
        assert_eq!(du(root).unwrap(), 100 + 50 + 10);
    }

    #[test]
    fn du_of_missing_path_fails() {
        let tmp = tempfile::tempdir().unwrap();
        assert!(du(&tmp.path().join("missing")).unwrap_err().is_not_found());
    }

    #[test]
    fn atomic_write_replaces_and_leaves_no_temp_files() {
        let tmp = tempfile::tempdir().unwrap();
        let path = tmp.path().join("x.json");
        atomic_write(&path, b"one").unwrap();
        atomic_write(&path, b"two").unwrap();
        assert_eq!(fs::read(&path).unwrap(), b"two");
        assert_eq!(fs::read_dir(tmp.path()).unwrap().count(), 1);
    }

    #[test]
    fn staging_dir_is_removed_unless_committed() {
        let tmp = tempfile::tempdir().unwrap();
        let staged = StagingDir::new(tmp.path()).unwrap();
        fs::write(staged.path().join("f"), b"x").unwrap();
        let staged_path = staged.path().to_path_buf();
        drop(staged);
        assert!(!staged_path.exists());

        let staged = StagingDir::new(tmp.path()).unwrap();
        let dest = tmp.path().join("dest");
        assert!(staged.commit(&dest).unwrap());
        assert!(dest.is_dir());

        let staged = StagingDir::new(tmp.path()).unwrap();
        fs::write(staged.path().join("f"), b"x").unwrap();
        fs::write(dest.join("existing"), b"x").unwrap();
        assert!(!staged.commit(&dest).unwrap());
        assert_eq!(fs::read_dir(tmp.path()).unwrap().count(), 1);
    }
}
