//! Directory handles and path location inside a root (container) or on the host.

use std::ffi::{OsStr, OsString};
use std::fs::{self, File, Metadata, OpenOptions};
use std::io;
use std::os::fd::{AsRawFd, FromRawFd, OwnedFd};
use std::os::unix::ffi::OsStrExt;
use std::os::unix::fs::OpenOptionsExt;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use nix::fcntl::{openat2, OFlag, OpenHow, ResolveFlag};
use nix::sys::stat::Mode;

use crate::error::{IoContext, Result};

/// An open directory. Its children are reached through `/proc/self/fd/<fd>/<name>`, one
/// component at a time, so no path resolution ever happens above it.
#[derive(Debug)]
pub struct DirHandle {
    file: File,
    /// What the directory is called, for error messages.
    display: PathBuf,
}

impl DirHandle {
    /// Opens a host directory (following symlinks, as the user named it).
    pub fn open(path: &Path) -> Result<DirHandle> {
        let file = OpenOptions::new()
            .read(true)
            .custom_flags(libc::O_DIRECTORY | libc::O_CLOEXEC)
            .open(path)
            .at("open directory", path)?;
        Ok(DirHandle {
            file,
            display: path.to_path_buf(),
        })
    }

    /// The path the kernel resolves to this directory.
    pub(crate) fn proc_path(&self) -> PathBuf {
        PathBuf::from(format!("/proc/self/fd/{}", self.file.as_raw_fd()))
    }

    /// The path of the child `name` (one component).
    pub(crate) fn child(&self, name: &OsStr) -> PathBuf {
        self.proc_path().join(name)
    }

    /// A path naming `name` in messages.
    pub(crate) fn display_child(&self, name: &OsStr) -> PathBuf {
        self.display.join(name)
    }

    /// The directory's path, for messages.
    pub fn display(&self) -> &Path {
        &self.display
    }

    /// `lstat` of the child `name`; `None` when it does not exist.
    pub(crate) fn lstat(&self, name: &OsStr) -> Result<Option<Metadata>> {
        match fs::symlink_metadata(self.child(name)) {
            Ok(meta) => Ok(Some(meta)),
            Err(err) if err.kind() == io::ErrorKind::NotFound => Ok(None),
            Err(err) => Err(err).at("stat", &self.display_child(name)),
        }
    }

    /// Opens the child directory `name` without following a symlink.
    pub(crate) fn open_child_dir(&self, name: &OsStr) -> io::Result<DirHandle> {
        let file = OpenOptions::new()
            .read(true)
            .custom_flags(libc::O_DIRECTORY | libc::O_NOFOLLOW | libc::O_CLOEXEC)
            .open(self.child(name))?;
        Ok(DirHandle {
            file,
            display: self.display_child(name),
        })
    }

    /// Reads the regular file `name` in this directory, refusing a symlink.
    pub fn read_file(&self, name: &OsStr) -> Result<Vec<u8>> {
        use std::io::Read;
        let mut file = OpenOptions::new()
            .read(true)
            .custom_flags(libc::O_NOFOLLOW | libc::O_CLOEXEC)
            .open(self.child(name))
            .at("open", &self.display_child(name))?;
        let mut data = Vec::new();
        file.read_to_end(&mut data)
            .at("read", &self.display_child(name))?;
        Ok(data)
    }

    /// A second handle on the same directory.
    pub fn try_clone(&self) -> Result<DirHandle> {
        Ok(DirHandle {
            file: self.file.try_clone().at("duplicate", &self.display)?,
            display: self.display.clone(),
        })
    }

    /// The open directory.
    pub(crate) fn file(&self) -> &File {
        &self.file
    }
}

/// A path that was looked up, inside a root or on the host: its parent directory (held open)
/// and its last component, which is not followed if it is a symlink.
#[derive(Debug)]
pub struct Located {
    /// The root the path was resolved in; `None` for host paths.
    root: Option<Arc<DirHandle>>,
    /// The path as resolved (relative to the root, or a host path).
    full: PathBuf,
    /// The parent directory.
    parent: DirHandle,
    /// The last component; `None` when the path designates a directory by itself (`/`,
    /// `..`, a trailing `/` or `/.`): then `parent` is that directory.
    name: Option<OsString>,
    /// `lstat` of the last component, `None` if absent.
    meta: Option<Metadata>,
}

/// Splits a path into its parent and its last normal component. Returns `None` for the last
/// part when the path ends in `/`, `.`, `..` or is the root.
fn split_last(path: &str) -> (String, Option<OsString>) {
    if path.ends_with('/') || path.ends_with("/.") || path == "." || path.is_empty() {
        return (path.to_string(), None);
    }
    let trimmed = path.trim_end_matches('/');
    match trimmed.rsplit_once('/') {
        Some((_, "..")) => (path.to_string(), None),
        Some((parent, name)) => (
            if parent.is_empty() {
                "/".to_string()
            } else {
                parent.to_string()
            },
            Some(OsString::from(name)),
        ),
        None if trimmed == ".." => (path.to_string(), None),
        None => (".".to_string(), Some(OsString::from(trimmed))),
    }
}

impl Located {
    /// Looks `path` up inside the root file system at `root` (a host directory): every
    /// symlink and `..` is resolved as if `root` were `/`.
    pub fn in_root(root: &Path, path: &str) -> Result<Located> {
        let root = Arc::new(DirHandle::open(root)?);
        let (parent_path, name) = split_last(path);
        let parent = resolve_in_root(&root, &parent_path)?;
        let meta = match &name {
            Some(n) => parent.lstat(n)?,
            None => Some(parent.file.metadata().at("stat", &parent.display)?),
        };
        Ok(Located {
            root: Some(root),
            full: PathBuf::from(path),
            parent,
            name,
            meta,
        })
    }

    /// Like [`Located::in_root`], but a final symlink is followed inside the root as
    /// well (up to 40 links), as the source of a copy out of a container is: the
    /// result names the link's target, so no link pointing at a host path reaches the
    /// host.
    pub fn in_root_following(root: &Path, path: &str) -> Result<Located> {
        let mut current = path.to_string();
        for _ in 0..40 {
            let found = Located::in_root(root, &current)?;
            let is_link = found
                .meta
                .as_ref()
                .is_some_and(|m| m.file_type().is_symlink());
            let Some(name) = found.name.clone().filter(|_| is_link) else {
                return Ok(found);
            };
            let target = fs::read_link(found.parent.child(&name))
                .at("readlink", &found.parent.display_child(&name))?;
            let target = target.to_string_lossy().into_owned();
            current = if target.starts_with('/') {
                target
            } else {
                let (parent, _) = split_last(current.trim_end_matches('/'));
                format!("{}/{target}", parent.trim_end_matches('/'))
            };
        }
        Err(io::Error::from_raw_os_error(libc::ELOOP)).at("resolve", Path::new(path))
    }

    /// Looks a host path up (its parent is resolved normally).
    pub fn on_host(path: &Path) -> Result<Located> {
        let text = path.to_string_lossy().into_owned();
        let (parent_path, name) = split_last(&text);
        let parent = DirHandle::open(Path::new(&parent_path))?;
        let meta = match &name {
            Some(n) => parent.lstat(n)?,
            None => Some(parent.file.metadata().at("stat", &parent.display)?),
        };
        Ok(Located {
            root: None,
            full: path.to_path_buf(),
            parent,
            name,
            meta,
        })
    }

    /// Whether something exists at the path (a dangling symlink counts).
    pub fn exists(&self) -> bool {
        self.meta.is_some()
    }

    /// Metadata of the last component, not following a symlink.
    pub fn metadata(&self) -> Option<&Metadata> {
        self.meta.as_ref()
    }

    /// The path as given.
    pub fn path(&self) -> &Path {
        &self.full
    }

    /// The last component, if the path has one.
    pub fn name(&self) -> Option<&OsStr> {
        self.name.as_deref()
    }

    /// The parent directory (or the directory itself when the path has no last component).
    pub fn parent(&self) -> &DirHandle {
        &self.parent
    }

    /// The directory the path designates, following a final symlink (inside the root for
    /// container paths); `None` when it is not a directory or does not exist.
    pub fn as_dir(&self) -> Result<Option<DirHandle>> {
        let Some(name) = &self.name else {
            return self.parent.try_clone().map(Some);
        };
        match &self.meta {
            None => Ok(None),
            Some(meta) if meta.is_dir() => match self.parent.open_child_dir(name) {
                Ok(dir) => Ok(Some(dir)),
                Err(err) => Err(err).at("open directory", &self.full),
            },
            Some(meta) if meta.file_type().is_symlink() => {
                let opened = match &self.root {
                    Some(root) => resolve_in_root(root, &self.full.to_string_lossy()),
                    None => DirHandle::open(&self.full),
                };
                match opened {
                    Ok(dir) => Ok(Some(dir)),
                    Err(crate::Error::Io { source, .. })
                        if matches!(
                            source.raw_os_error(),
                            Some(libc::ENOTDIR) | Some(libc::ENOENT) | Some(libc::ELOOP)
                        ) =>
                    {
                        Ok(None)
                    }
                    Err(err) => Err(err),
                }
            }
            Some(_) => Ok(None),
        }
    }
}

/// Opens the directory `path` with `root` as `/`.
fn resolve_in_root(root: &DirHandle, path: &str) -> Result<DirHandle> {
    let relative = path.trim_start_matches('/');
    let relative = if relative.is_empty() { "." } else { relative };
    let how = OpenHow::new()
        .flags(OFlag::O_RDONLY | OFlag::O_DIRECTORY | OFlag::O_CLOEXEC)
        .mode(Mode::empty())
        .resolve(ResolveFlag::RESOLVE_IN_ROOT | ResolveFlag::RESOLVE_NO_MAGICLINKS);
    let display = Path::new("/").join(relative);
    let fd = openat2(
        root.file.as_raw_fd(),
        Path::new(OsStr::from_bytes(relative.as_bytes())),
        how,
    )
    .at("open directory", &display)?;
    // SAFETY: openat2 returned a new descriptor that nothing else owns.
    let owned = unsafe { OwnedFd::from_raw_fd(fd) };
    Ok(DirHandle {
        file: File::from(owned),
        display,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn splits_last_components() {
        let s = |p: &str| split_last(p);
        assert_eq!(s("/a/b"), ("/a".into(), Some("b".into())));
        assert_eq!(s("/a"), ("/".into(), Some("a".into())));
        assert_eq!(s("a"), (".".into(), Some("a".into())));
        assert_eq!(s("/a/b/"), ("/a/b/".into(), None));
        assert_eq!(s("/a/b/."), ("/a/b/.".into(), None));
        assert_eq!(s("/a/.."), ("/a/..".into(), None));
        assert_eq!(s("/"), ("/".into(), None));
    }
}
