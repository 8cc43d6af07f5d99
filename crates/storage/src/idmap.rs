//! Root file systems for containers in a user namespace: the image's files
//! must appear owned by the IDs the namespace maps them to.
//!
//! Overlay: every lower directory is attached through an idmapped mount
//! (`mount_setattr(MOUNT_ATTR_IDMAP)`), the overlay is mounted over those, and
//! the idmapped mounts are detached again (overlayfs keeps private clones of
//! its layers). Nothing is copied; files the container changes are copied up
//! with their mapped owners. Vfs: the container's private copy is chowned in
//! place once, recorded by a marker file.

use std::ffi::CString;
use std::fs;
use std::io;
use std::os::fd::{AsRawFd, FromRawFd, OwnedFd, RawFd};
use std::os::unix::fs::{lchown, MetadataExt, PermissionsExt};
use std::path::{Path, PathBuf};

use nix::errno::Errno;
use nix::fcntl::OFlag;
use nix::mount::{umount2, MntFlags};
use nix::sys::wait::waitpid;
use nix::unistd::Pid;
use serde::{Deserialize, Serialize};

use crate::error::{IoContext, Result};
use crate::fsutil::path_cstring;

/// One line of a uid or gid map: `size` IDs from `container` map to `host`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct IdMapping {
    /// First ID inside the namespace.
    pub container: u32,
    /// First ID outside.
    pub host: u32,
    /// How many IDs.
    pub size: u32,
}

/// The uid and gid maps of a user namespace.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct IdMaps {
    /// uid map lines.
    pub uid: Vec<IdMapping>,
    /// gid map lines.
    pub gid: Vec<IdMapping>,
}

/// The host ID `id` (inside the namespace) maps to, if any.
pub fn map_to_host(map: &[IdMapping], id: u32) -> Option<u32> {
    map.iter()
        .find(|m| id >= m.container && id - m.container < m.size)
        .map(|m| m.host + (id - m.container))
}

fn map_text(map: &[IdMapping]) -> String {
    map.iter()
        .map(|m| format!("{} {} {}\n", m.container, m.host, m.size))
        .collect()
}

/// A user namespace with `maps`, held by a file descriptor: a child process
/// makes it, the maps are written from here, and the child exits.
fn new_userns(maps: &IdMaps) -> io::Result<OwnedFd> {
    let (ready_r, ready_w) = nix::unistd::pipe2(OFlag::O_CLOEXEC)?;
    let (hold_r, hold_w) = nix::unistd::pipe2(OFlag::O_CLOEXEC)?;
    let (ready_w_raw, hold_r_raw) = (ready_w.as_raw_fd(), hold_r.as_raw_fd());
    let (ready_r_raw, hold_w_raw) = (ready_r.as_raw_fd(), hold_w.as_raw_fd());
    // SAFETY: the child only calls async-signal-safe functions (unshare,
    // write, read, _exit) on memory prepared before the fork.
    let pid = unsafe { libc::fork() };
    if pid < 0 {
        return Err(io::Error::last_os_error());
    }
    if pid == 0 {
        // SAFETY: see above; `_exit` never returns.
        unsafe {
            // Only the parent's copy of the write end may keep the pipe open.
            libc::close(hold_w_raw);
            libc::close(ready_r_raw);
            let ok: u8 = u8::from(libc::unshare(libc::CLONE_NEWUSER) == 0);
            libc::write(ready_w_raw, (&ok as *const u8).cast(), 1);
            let mut byte = 0u8;
            libc::read(hold_r_raw, (&mut byte as *mut u8).cast(), 1);
            libc::_exit(0);
        }
    }
    drop(ready_w);
    drop(hold_r);
    let result = (|| {
        let mut byte = [0u8; 1];
        let n = nix::unistd::read(ready_r.as_raw_fd(), &mut byte)?;
        if n != 1 || byte[0] != 1 {
            return Err(io::Error::other("could not create a user namespace"));
        }
        fs::write(format!("/proc/{pid}/uid_map"), map_text(&maps.uid))?;
        fs::write(format!("/proc/{pid}/gid_map"), map_text(&maps.gid))?;
        let file = fs::File::open(format!("/proc/{pid}/ns/user"))?;
        Ok(OwnedFd::from(file))
    })();
    drop(hold_w);
    while let Err(Errno::EINTR) = waitpid(Pid::from_raw(pid), None) {}
    result
}

#[repr(C)]
struct MountAttr {
    attr_set: u64,
    attr_clr: u64,
    propagation: u64,
    userns_fd: u64,
}

const MOUNT_ATTR_IDMAP: u64 = 0x0010_0000;
const OPEN_TREE_CLONE: libc::c_uint = 1;
const MOVE_MOUNT_F_EMPTY_PATH: libc::c_uint = 0x4;

/// Attaches `source` at `target` (an existing directory) through an
/// idmapped mount using the user namespace `userns`.
fn idmapped_bind(source: &Path, target: &Path, userns: RawFd) -> io::Result<()> {
    let src = path_cstring(source)?;
    let dst = path_cstring(target)?;
    let empty = CString::default();
    // SAFETY: plain system calls on valid NUL-terminated strings and a
    // properly sized, initialised attribute struct.
    unsafe {
        let fd = libc::syscall(
            libc::SYS_open_tree,
            libc::AT_FDCWD,
            src.as_ptr(),
            OPEN_TREE_CLONE | libc::O_CLOEXEC as libc::c_uint,
        );
        if fd < 0 {
            return Err(io::Error::last_os_error());
        }
        let tree = OwnedFd::from_raw_fd(fd as RawFd);
        let attr = MountAttr {
            attr_set: MOUNT_ATTR_IDMAP,
            attr_clr: 0,
            propagation: 0,
            userns_fd: userns as u64,
        };
        if libc::syscall(
            libc::SYS_mount_setattr,
            tree.as_raw_fd(),
            empty.as_ptr(),
            libc::AT_EMPTY_PATH,
            &attr as *const MountAttr,
            std::mem::size_of::<MountAttr>(),
        ) != 0
        {
            return Err(io::Error::last_os_error());
        }
        if libc::syscall(
            libc::SYS_move_mount,
            tree.as_raw_fd(),
            empty.as_ptr(),
            libc::AT_FDCWD,
            dst.as_ptr(),
            MOVE_MOUNT_F_EMPTY_PATH,
        ) != 0
        {
            return Err(io::Error::last_os_error());
        }
    }
    Ok(())
}

/// Where the idmapped views of the lower directories are attached while the
/// overlay is mounted.
const IDMAPPED: &str = "idmapped";

/// Detaches and removes whatever idmapped views are left in `container_dir`.
pub(crate) fn detach_idmapped(container_dir: &Path) -> Result<()> {
    let dir = container_dir.join(IDMAPPED);
    let entries = match fs::read_dir(&dir) {
        Ok(e) => e,
        Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(()),
        Err(e) => return Err(e).at("read directory", &dir),
    };
    for entry in entries {
        let path = entry.at("read directory", &dir)?.path();
        // Unmount until nothing is left, never descending into a mount.
        for _ in 0..8 {
            match umount2(&path, MntFlags::MNT_DETACH) {
                Ok(()) => continue,
                Err(Errno::EINVAL) | Err(Errno::ENOENT) => break,
                Err(e) => return Err(e).at("detach", &path),
            }
        }
        fs::remove_dir(&path).at("remove directory", &path)?;
    }
    fs::remove_dir(&dir).at("remove directory", &dir)
}

/// Attaches idmapped views of `lowers` under `container_dir/idmapped/N` and
/// returns their paths, in the same order.
pub(crate) fn attach_idmapped(
    container_dir: &Path,
    lowers: &[PathBuf],
    maps: &IdMaps,
) -> Result<Vec<PathBuf>> {
    detach_idmapped(container_dir)?;
    let dir = container_dir.join(IDMAPPED);
    fs::create_dir(&dir).at("create directory", &dir)?;
    let userns = new_userns(maps).at("create a user namespace for", container_dir)?;
    let mut out = Vec::with_capacity(lowers.len());
    for (index, lower) in lowers.iter().enumerate() {
        let target = dir.join(index.to_string());
        fs::create_dir(&target).at("create directory", &target)?;
        if let Err(e) = idmapped_bind(lower, &target, userns.as_raw_fd()) {
            let _ = detach_idmapped(container_dir);
            return Err(e).at("idmapped mount of", lower);
        }
        out.push(target);
    }
    Ok(out)
}

/// Gives `path` the owner `(uid, gid)` shifted through `maps` (IDs outside
/// the maps are left alone), keeping set-id bits that chown clears.
fn shift_one(path: &Path, meta: &fs::Metadata, maps: &IdMaps) -> Result<()> {
    let uid = map_to_host(&maps.uid, meta.uid()).unwrap_or(meta.uid());
    let gid = map_to_host(&maps.gid, meta.gid()).unwrap_or(meta.gid());
    if (uid, gid) == (meta.uid(), meta.gid()) {
        return Ok(());
    }
    lchown(path, Some(uid), Some(gid)).at("chown", path)?;
    let mode = meta.mode() & 0o7777;
    if !meta.file_type().is_symlink() && mode & 0o6000 != 0 {
        fs::set_permissions(path, fs::Permissions::from_mode(mode)).at("chmod", path)?;
    }
    Ok(())
}

/// The owner of the merged root follows the top layer's, shifted.
pub(crate) fn shift_root_owner(dir: &Path, reference: &Path, maps: &IdMaps) -> Result<()> {
    let meta = fs::symlink_metadata(reference).at("stat", reference)?;
    let uid = map_to_host(&maps.uid, meta.uid()).unwrap_or(meta.uid());
    let gid = map_to_host(&maps.gid, meta.gid()).unwrap_or(meta.gid());
    lchown(dir, Some(uid), Some(gid)).at("chown", dir)
}

/// Shifts the owner of everything below and at `root`, not following
/// symlinks and not crossing into other file systems.
pub(crate) fn shift_tree(root: &Path, maps: &IdMaps) -> Result<()> {
    let top = fs::symlink_metadata(root).at("stat", root)?;
    let mut stack = vec![root.to_path_buf()];
    while let Some(dir) = stack.pop() {
        for entry in fs::read_dir(&dir).at("read directory", &dir)? {
            let path = entry.at("read directory", &dir)?.path();
            let meta = fs::symlink_metadata(&path).at("stat", &path)?;
            if meta.is_dir() && meta.dev() == top.dev() {
                stack.push(path.clone());
            }
            shift_one(&path, &meta, maps)?;
        }
    }
    shift_one(root, &top, maps)
}

/// The highest uid or gid owning anything in `root` (not following
/// symlinks).
pub(crate) fn max_id_in(root: &Path) -> Result<u32> {
    let top = fs::symlink_metadata(root).at("stat", root)?;
    let mut max = top.uid().max(top.gid());
    let mut stack = vec![root.to_path_buf()];
    while let Some(dir) = stack.pop() {
        for entry in fs::read_dir(&dir).at("read directory", &dir)? {
            let path = entry.at("read directory", &dir)?.path();
            let meta = fs::symlink_metadata(&path).at("stat", &path)?;
            max = max.max(meta.uid()).max(meta.gid());
            if meta.is_dir() && meta.dev() == top.dev() {
                stack.push(path);
            }
        }
    }
    Ok(max)
}

const MARKER: &str = "idmap.json";

/// Whether the container's files were already shifted for `maps`.
pub(crate) fn already_shifted(container_dir: &Path, maps: &IdMaps) -> bool {
    fs::read(container_dir.join(MARKER))
        .ok()
        .and_then(|b| serde_json::from_slice::<IdMaps>(&b).ok())
        .is_some_and(|m| &m == maps)
}

/// Records that the container's files are shifted for `maps`.
pub(crate) fn mark_shifted(container_dir: &Path, maps: &IdMaps) -> Result<()> {
    let path = container_dir.join(MARKER);
    let data = crate::fsutil::to_json(&path, maps)?;
    crate::fsutil::atomic_write(&path, &data)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_map_through_every_line() {
        let map = [
            IdMapping {
                container: 0,
                host: 100000,
                size: 10,
            },
            IdMapping {
                container: 10,
                host: 200000,
                size: 5,
            },
        ];
        assert_eq!(map_to_host(&map, 0), Some(100000));
        assert_eq!(map_to_host(&map, 9), Some(100009));
        assert_eq!(map_to_host(&map, 12), Some(200002));
        assert_eq!(map_to_host(&map, 15), None);
    }
}
