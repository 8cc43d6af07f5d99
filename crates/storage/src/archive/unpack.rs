//! Unpacking a tar stream below a directory handle, never following a symlink.

use std::ffi::{OsStr, OsString};
use std::fs::{self, OpenOptions};
use std::io::{self, Read};
use std::os::fd::AsRawFd;
use std::os::unix::ffi::OsStrExt;
use std::os::unix::fs::{lchown, symlink, OpenOptionsExt};
use std::path::{Component, Path};

use nix::sys::stat::{fchmod, futimens, makedev, mknod, utimensat, Mode, SFlag, UtimensatFlags};
use nix::sys::time::TimeSpec;
use tar::EntryType;

use super::handle::DirHandle;
use crate::error::{Error, IoContext, Result};
use crate::extract::sanitize_path;

/// How [`unpack`] treats owners.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct UnpackOptions {
    /// Give every entry this owner (uid, gid) instead of the archive's.
    pub owner: Option<(u32, u32)>,
    /// Replace an existing directory by a non-directory entry of the same path (its tree
    /// is removed) instead of refusing the entry (`cp --overwrite`).
    pub overwrite: bool,
}

/// Unpacks a (plain) tar stream into `dest`. Entries are created in their parent directory
/// (opened component by component without following symlinks; missing parents are created);
/// an existing non-directory at an entry's path is replaced, an existing directory is kept
/// for a directory entry and refused for anything else.
pub fn unpack(input: &mut dyn Read, dest: &DirHandle, opts: UnpackOptions) -> Result<()> {
    let mut archive = tar::Archive::new(input);
    for entry in archive.entries().map_err(Error::Archive)? {
        let mut entry = entry.map_err(Error::Archive)?;
        let kind = entry.header().entry_type();
        if kind.is_pax_global_extensions() || kind.is_pax_local_extensions() {
            continue;
        }
        let raw = entry.path_bytes().into_owned();
        let display = String::from_utf8_lossy(&raw).into_owned();
        let rel = sanitize_path(&raw).map_err(|reason| Error::UnsafeArchive {
            path: display.clone(),
            reason: reason.to_string(),
        })?;
        let Some(name) = rel.file_name().map(OsStr::to_os_string) else {
            continue; // the top directory itself (`.`)
        };
        let parent = open_parents(dest, rel.parent().unwrap_or(Path::new("")), &display)?;
        let header = entry.header();
        let (uid, gid) = match opts.owner {
            Some(owner) => owner,
            None => (
                header.uid().map_err(Error::Archive)? as u32,
                header.gid().map_err(Error::Archive)? as u32,
            ),
        };
        let mode = header.mode().map_err(Error::Archive)? & 0o7777;
        let mtime = TimeSpec::new(header.mtime().map_err(Error::Archive)? as i64, 0);
        let meta = EntryMeta {
            uid,
            gid,
            mode,
            mtime,
        };
        match kind {
            EntryType::Directory => directory(&parent, &name, &meta)?,
            EntryType::Regular | EntryType::Continuous | EntryType::GNUSparse => {
                make_room(&parent, &name, opts.overwrite)?;
                regular(&parent, &name, &mut entry, &meta)?;
            }
            EntryType::Symlink => {
                let target = entry
                    .link_name_bytes()
                    .map(|t| OsString::from(OsStr::from_bytes(&t)))
                    .ok_or_else(|| invalid(&display, "symlink without a target"))?;
                make_room(&parent, &name, opts.overwrite)?;
                let path = parent.child(&name);
                symlink(&target, &path).at("create symlink", &parent.display_child(&name))?;
                lchown(&path, Some(uid), Some(gid)).at("chown", &parent.display_child(&name))?;
                set_times(&parent, &name, mtime)?;
            }
            EntryType::Link => {
                let target = entry
                    .link_name_bytes()
                    .ok_or_else(|| invalid(&display, "hardlink without a target"))?;
                let target = sanitize_path(&target).map_err(|reason| Error::UnsafeArchive {
                    path: display.clone(),
                    reason: reason.to_string(),
                })?;
                let target_name = target
                    .file_name()
                    .ok_or_else(|| invalid(&display, "hardlink to the top directory"))?;
                let target_dir =
                    open_parents(dest, target.parent().unwrap_or(Path::new("")), &display)?;
                match target_dir.lstat(target_name)? {
                    Some(m) if !m.is_dir() => {}
                    _ => {
                        return Err(invalid(
                            &display,
                            "hardlink target is not an extracted file",
                        ))
                    }
                }
                make_room(&parent, &name, opts.overwrite)?;
                fs::hard_link(target_dir.child(target_name), parent.child(&name))
                    .at("create hardlink", &parent.display_child(&name))?;
            }
            EntryType::Char | EntryType::Block | EntryType::Fifo => {
                let sflag = match kind {
                    EntryType::Char => SFlag::S_IFCHR,
                    EntryType::Block => SFlag::S_IFBLK,
                    _ => SFlag::S_IFIFO,
                };
                let major = header.device_major().ok().flatten().unwrap_or(0);
                let minor = header.device_minor().ok().flatten().unwrap_or(0);
                make_room(&parent, &name, opts.overwrite)?;
                let path = parent.child(&name);
                mknod(
                    &path,
                    sflag,
                    Mode::from_bits_truncate(mode),
                    makedev(major.into(), minor.into()),
                )
                .at("create node", &parent.display_child(&name))?;
                lchown(&path, Some(uid), Some(gid)).at("chown", &parent.display_child(&name))?;
                set_times(&parent, &name, mtime)?;
            }
            other => {
                return Err(invalid(
                    &display,
                    &format!("unsupported entry type {other:?}"),
                ))
            }
        }
    }
    Ok(())
}

struct EntryMeta {
    uid: u32,
    gid: u32,
    mode: u32,
    mtime: TimeSpec,
}

fn invalid(path: &str, reason: &str) -> Error {
    Error::InvalidArchive {
        path: path.to_string(),
        reason: reason.to_string(),
    }
}

/// Opens (creating missing ones) the directories of `rel` below `dest`, refusing symlinks
/// and non-directories.
fn open_parents(dest: &DirHandle, rel: &Path, display: &str) -> Result<DirHandle> {
    let mut dir = dest.try_clone()?;
    for component in rel.components() {
        let Component::Normal(name) = component else {
            return Err(invalid(display, "unexpected path component"));
        };
        match dir.lstat(name)? {
            Some(m) if m.is_dir() => {}
            Some(_) => {
                return Err(Error::UnsafeArchive {
                    path: display.to_string(),
                    reason: format!("{} is not a directory", dir.display_child(name).display()),
                })
            }
            None => {
                fs::create_dir(dir.child(name)).at("create directory", &dir.display_child(name))?
            }
        }
        dir = dir
            .open_child_dir(name)
            .at("open directory", &dir.display_child(name))?;
    }
    Ok(dir)
}

/// Removes a non-directory at `name`; an existing directory is an error unless
/// `overwrite`, which removes it with everything below it.
fn make_room(parent: &DirHandle, name: &OsStr, overwrite: bool) -> Result<()> {
    match parent.lstat(name)? {
        None => Ok(()),
        Some(m) if m.is_dir() && overwrite => {
            fs::remove_dir_all(parent.child(name)).at("remove", &parent.display_child(name))
        }
        Some(m) if m.is_dir() => Err(Error::Io {
            op: "cannot overwrite directory with non-directory",
            path: parent.display_child(name),
            source: io::Error::from_raw_os_error(libc::EISDIR),
        }),
        Some(_) => fs::remove_file(parent.child(name)).at("remove", &parent.display_child(name)),
    }
}

fn directory(parent: &DirHandle, name: &OsStr, meta: &EntryMeta) -> Result<()> {
    match parent.lstat(name)? {
        Some(m) if m.is_dir() => {}
        Some(_) => {
            fs::remove_file(parent.child(name)).at("remove", &parent.display_child(name))?;
            fs::create_dir(parent.child(name))
                .at("create directory", &parent.display_child(name))?;
        }
        None => fs::create_dir(parent.child(name))
            .at("create directory", &parent.display_child(name))?,
    }
    let dir = parent
        .open_child_dir(name)
        .at("open directory", &parent.display_child(name))?;
    let display = parent.display_child(name);
    nix::unistd::fchown(
        dir.file().as_raw_fd(),
        Some(meta.uid.into()),
        Some(meta.gid.into()),
    )
    .at("chown", &display)?;
    fchmod(dir.file().as_raw_fd(), Mode::from_bits_truncate(meta.mode)).at("chmod", &display)?;
    futimens(dir.file().as_raw_fd(), &meta.mtime, &meta.mtime).at("set times of", &display)
}

fn regular(parent: &DirHandle, name: &OsStr, data: &mut dyn Read, meta: &EntryMeta) -> Result<()> {
    let display = parent.display_child(name);
    let mut file = OpenOptions::new()
        .write(true)
        .create_new(true)
        .mode(0o600)
        .custom_flags(libc::O_NOFOLLOW | libc::O_CLOEXEC)
        .open(parent.child(name))
        .at("create", &display)?;
    io::copy(data, &mut file).map_err(Error::Archive)?;
    nix::unistd::fchown(
        file.as_raw_fd(),
        Some(meta.uid.into()),
        Some(meta.gid.into()),
    )
    .at("chown", &display)?;
    fchmod(file.as_raw_fd(), Mode::from_bits_truncate(meta.mode)).at("chmod", &display)?;
    futimens(file.as_raw_fd(), &meta.mtime, &meta.mtime).at("set times of", &display)
}

fn set_times(parent: &DirHandle, name: &OsStr, mtime: TimeSpec) -> Result<()> {
    utimensat(
        None,
        &parent.child(name),
        &mtime,
        &mtime,
        UtimensatFlags::NoFollowSymlink,
    )
    .at("set times of", &parent.display_child(name))
}
