//! The vfs driver: `containers/<id>/rootfs`, a full copy of the image made at create time.
//!
//! Layers are applied bottom-up with overlay semantics: a `0:0` character device deletes the
//! lower path, an opaque directory (`trusted.overlay.opaque=y`) is emptied before its own
//! content is copied. Owners, modes, times, xattrs (except `trusted.overlay.*`), symlinks,
//! device nodes and hardlinks within a layer are preserved.

use std::collections::HashMap;
use std::fs::{self, File, OpenOptions};
use std::io;
use std::os::unix::fs::{
    lchown, symlink, FileTypeExt, MetadataExt, OpenOptionsExt, PermissionsExt,
};
use std::path::{Path, PathBuf};

use nix::sys::stat::{mknod, Mode, SFlag};
use nix::sys::time::TimeSpec;

use super::{Driver, DriverKind, LayerDirs};
use crate::error::{IoContext, Result};
use crate::fsutil::{exists_nofollow, remove_any, set_mtime_nofollow};
use crate::xattr;

const ROOTFS: &str = "rootfs";

/// The vfs driver.
#[derive(Debug)]
pub(crate) struct Vfs;

impl Driver for Vfs {
    fn kind(&self) -> DriverKind {
        DriverKind::Vfs
    }

    fn create(&self, container_dir: &Path, layers: &[PathBuf]) -> Result<()> {
        let rootfs = container_dir.join(ROOTFS);
        fs::create_dir(&rootfs).at("create directory", &rootfs)?;
        for layer in layers {
            LayerCopier::default().apply(layer, &rootfs)?;
        }
        Ok(())
    }

    fn mount_point(&self, container_dir: &Path) -> PathBuf {
        container_dir.join(ROOTFS)
    }

    fn mount(&self, container_dir: &Path, _layers: LayerDirs<'_>) -> Result<PathBuf> {
        Ok(self.mount_point(container_dir))
    }

    fn mount_mapped(
        &self,
        container_dir: &Path,
        _layers: LayerDirs<'_>,
        maps: &crate::idmap::IdMaps,
    ) -> Result<PathBuf> {
        let rootfs = self.mount_point(container_dir);
        if !crate::idmap::already_shifted(container_dir, maps) {
            crate::idmap::shift_tree(&rootfs, maps)?;
            crate::idmap::mark_shifted(container_dir, maps)?;
        }
        Ok(rootfs)
    }

    fn unmount(&self, _container_dir: &Path) -> Result<()> {
        Ok(())
    }

    fn is_mounted(&self, container_dir: &Path) -> Result<bool> {
        exists_nofollow(&self.mount_point(container_dir))
    }

    fn writable_dir(&self, container_dir: &Path) -> PathBuf {
        container_dir.join(ROOTFS)
    }
}

/// Applies one layer directory onto a root filesystem copy.
#[derive(Default)]
pub(crate) struct LayerCopier {
    /// Copies of multiply-linked inodes of this layer: (dev, ino) → path in the copy.
    links: HashMap<(u64, u64), PathBuf>,
}

impl LayerCopier {
    /// Copies `layers` (bottom first) into the new directory `dest`, as one
    /// flattened tree.
    pub(crate) fn flatten(layers: &[PathBuf], dest: &Path) -> Result<()> {
        fs::create_dir(dest).at("create directory", dest)?;
        for layer in layers {
            LayerCopier::default().apply(layer, dest)?;
        }
        Ok(())
    }

    fn apply(&mut self, layer: &Path, rootfs: &Path) -> Result<()> {
        self.copy_dir_contents(layer, rootfs)?;
        let meta = fs::symlink_metadata(layer).at("stat", layer)?;
        copy_metadata(layer, rootfs, &meta)
    }

    /// Merges the directory `src` into the existing directory `dst`.
    fn copy_dir_contents(&mut self, src: &Path, dst: &Path) -> Result<()> {
        if xattr::get(src, xattr::OVERLAY_OPAQUE)
            .at("read xattr of", src)?
            .as_deref()
            == Some(b"y")
        {
            for entry in fs::read_dir(dst).at("read directory", dst)? {
                remove_any(&entry.at("read directory", dst)?.path())?;
            }
        }
        for entry in fs::read_dir(src).at("read directory", src)? {
            let entry = entry.at("read directory", src)?;
            let from = entry.path();
            let to = dst.join(entry.file_name());
            let meta = fs::symlink_metadata(&from).at("stat", &from)?;
            let file_type = meta.file_type();
            if file_type.is_char_device() && meta.rdev() == 0 {
                remove_any(&to)?; // whiteout
            } else if file_type.is_dir() {
                match fs::symlink_metadata(&to) {
                    Ok(existing) if existing.is_dir() => {}
                    _ => {
                        remove_any(&to)?;
                        fs::create_dir(&to).at("create directory", &to)?;
                    }
                }
                self.copy_dir_contents(&from, &to)?;
                copy_metadata(&from, &to, &meta)?;
            } else {
                remove_any(&to)?;
                self.copy_non_dir(&from, &to, &meta)?;
            }
        }
        Ok(())
    }

    fn copy_non_dir(&mut self, from: &Path, to: &Path, meta: &fs::Metadata) -> Result<()> {
        let inode = (meta.dev(), meta.ino());
        if meta.nlink() > 1 {
            if let Some(first_copy) = self.links.get(&inode) {
                return fs::hard_link(first_copy, to).at("create hardlink", to);
            }
        }
        let file_type = meta.file_type();
        if file_type.is_file() {
            copy_file_content(from, to)?;
        } else if file_type.is_symlink() {
            let target = fs::read_link(from).at("read symlink", from)?;
            symlink(&target, to).at("create symlink", to)?;
        } else if let Some(kind) = node_kind(&file_type) {
            mknod(to, kind, Mode::from_bits_truncate(0o600), meta.rdev())
                .at("create device node", to)?;
        } else {
            return Ok(()); // sockets are not copied
        }
        copy_metadata(from, to, meta)?;
        if meta.nlink() > 1 {
            self.links.insert(inode, to.to_path_buf());
        }
        Ok(())
    }
}

fn node_kind(file_type: &fs::FileType) -> Option<SFlag> {
    if file_type.is_char_device() {
        Some(SFlag::S_IFCHR)
    } else if file_type.is_block_device() {
        Some(SFlag::S_IFBLK)
    } else if file_type.is_fifo() {
        Some(SFlag::S_IFIFO)
    } else {
        None
    }
}

fn copy_file_content(from: &Path, to: &Path) -> Result<()> {
    let mut source = OpenOptions::new()
        .read(true)
        .custom_flags(libc::O_NOFOLLOW | libc::O_CLOEXEC)
        .open(from)
        .at("open", from)?;
    let mut dest: File = OpenOptions::new()
        .write(true)
        .create_new(true)
        .mode(0o600)
        .custom_flags(libc::O_NOFOLLOW | libc::O_CLOEXEC)
        .open(to)
        .at("create", to)?;
    io::copy(&mut source, &mut dest).at("copy to", to)?;
    Ok(())
}

/// Owner, then mode (chown clears set-id bits), then xattrs, then times.
fn copy_metadata(from: &Path, to: &Path, meta: &fs::Metadata) -> Result<()> {
    lchown(to, Some(meta.uid()), Some(meta.gid())).at("chown", to)?;
    let is_symlink = meta.file_type().is_symlink();
    if !is_symlink {
        fs::set_permissions(to, fs::Permissions::from_mode(meta.mode() & 0o7777))
            .at("chmod", to)?;
    }
    for name in xattr::list(from).at("list xattrs of", from)? {
        if name.starts_with(xattr::OVERLAY_PREFIX) {
            continue;
        }
        if let Some(value) = xattr::get(from, &name).at("read xattr of", from)? {
            xattr::set(to, &name, &value).at("set xattr on", to)?;
        }
    }
    set_mtime_nofollow(to, TimeSpec::new(meta.mtime(), meta.mtime_nsec()))
}
