//! Writing a tree as a tar stream, walking it through directory descriptors without
//! following symlinks.

use std::collections::HashMap;
use std::ffi::OsStr;
use std::fs::{Metadata, OpenOptions};
use std::io::{self, Read, Write};
use std::os::unix::fs::{FileTypeExt, MetadataExt, OpenOptionsExt};
use std::path::{Path, PathBuf};

use tar::{EntryType, Header, HeaderMode};

use super::handle::{DirHandle, Located};
use crate::error::{Error, IoContext, Result};

/// Writes the tree at `src` as a tar stream to `out`. With `top = Some(name)` the archive
/// holds one top-level entry `name` (the file, symlink or directory at `src`, not following
/// a final symlink); with `None` it holds the directory's contents (`src` must be a
/// directory; a final symlink is followed).
pub fn pack(src: &Located, top: Option<&str>, out: &mut dyn Write) -> Result<()> {
    let mut packer = Packer::new(out, false);
    match (top, src.name()) {
        (Some(top), Some(name)) => {
            let meta = src.metadata().ok_or_else(|| not_found(src.path()))?.clone();
            packer.entry(src.parent(), name, Path::new(top), &meta, true)?;
        }
        (Some(top), None) => {
            let meta = src
                .parent()
                .file()
                .metadata()
                .at("stat", src.parent().display())?;
            packer.header_only(Path::new(top), &meta)?;
            packer.dir_contents(src.parent(), Path::new(top))?;
        }
        (None, _) => {
            let dir = src.as_dir()?.ok_or_else(|| Error::Io {
                op: "open directory",
                path: src.path().to_path_buf(),
                source: io::Error::from_raw_os_error(libc::ENOTDIR),
            })?;
            packer.dir_contents(&dir, Path::new(""))?;
        }
    }
    packer.finish()
}

fn not_found(path: &Path) -> Error {
    Error::Io {
        op: "stat",
        path: path.to_path_buf(),
        source: io::Error::from(io::ErrorKind::NotFound),
    }
}

/// Writes tar entries read through directory handles.
pub(crate) struct Packer<W: Write> {
    builder: tar::Builder<W>,
    /// Multiply-linked inodes already written: (dev, ino) → archive path.
    links: HashMap<(u64, u64), PathBuf>,
    /// Convert overlay whiteouts (0:0 character devices) and opaque directories to their
    /// OCI layer form (`.wh.<name>`, `.wh..wh..opq`).
    whiteouts: bool,
}

impl<W: Write> Packer<W> {
    pub(crate) fn new(out: W, whiteouts: bool) -> Packer<W> {
        Packer {
            builder: tar::Builder::new(out),
            links: HashMap::new(),
            whiteouts,
        }
    }

    /// Writes the end-of-archive marker.
    pub(crate) fn finish(self) -> Result<()> {
        self.builder
            .into_inner()
            .and_then(|mut out| out.flush())
            .map_err(Error::Archive)
    }

    /// Writes a whiteout for `path` (an empty `.wh.<name>` file next to it).
    pub(crate) fn whiteout(&mut self, path: &Path) -> Result<()> {
        let name = path.file_name().unwrap_or_default().to_string_lossy();
        let marker = path.with_file_name(format!(".wh.{name}"));
        self.empty_file(&marker)
    }

    fn empty_file(&mut self, path: &Path) -> Result<()> {
        let mut header = Header::new_gnu();
        header.set_entry_type(EntryType::Regular);
        header.set_mode(0o644);
        header.set_uid(0);
        header.set_gid(0);
        header.set_size(0);
        header.set_mtime(0);
        self.builder
            .append_data(&mut header, path, io::empty())
            .map_err(Error::Archive)
    }

    /// Writes the entries below `dir`, their paths prefixed with `prefix`.
    pub(crate) fn dir_contents(&mut self, dir: &DirHandle, prefix: &Path) -> Result<()> {
        let mut names: Vec<_> = std::fs::read_dir(dir.proc_path())
            .at("read directory", dir.display())?
            .map(|e| e.map(|e| e.file_name()))
            .collect::<io::Result<_>>()
            .at("read directory", dir.display())?;
        names.sort();
        for name in names {
            // Entries may vanish while a container runs.
            let Some(meta) = dir.lstat(&name)? else {
                continue;
            };
            self.entry(dir, &name, &prefix.join(&name), &meta, true)?;
        }
        Ok(())
    }

    /// Writes one entry (recursing into directories when `recurse`).
    pub(crate) fn entry(
        &mut self,
        parent: &DirHandle,
        name: &OsStr,
        path: &Path,
        meta: &Metadata,
        recurse: bool,
    ) -> Result<()> {
        let kind = meta.file_type();
        if kind.is_socket() {
            return Ok(()); // tar has no sockets
        }
        if self.whiteouts && kind.is_char_device() && meta.rdev() == 0 {
            return self.whiteout(path);
        }
        if !kind.is_dir() && meta.nlink() > 1 {
            let key = (meta.dev(), meta.ino());
            if let Some(first) = self.links.get(&key) {
                let mut header = header_for(meta);
                header.set_entry_type(EntryType::Link);
                header.set_size(0);
                let first = first.clone();
                return self
                    .builder
                    .append_link(&mut header, path, &first)
                    .map_err(Error::Archive);
            }
            self.links.insert(key, path.to_path_buf());
        }
        if kind.is_dir() {
            self.header_only(path, meta)?;
            if self.whiteouts
                && crate::xattr::get(&parent.child(name), crate::xattr::OVERLAY_OPAQUE)
                    .at("read xattr of", &parent.display_child(name))?
                    .as_deref()
                    == Some(b"y")
            {
                self.empty_file(&path.join(".wh..wh..opq"))?;
            }
            if !recurse {
                return Ok(());
            }
            let dir = match parent.open_child_dir(name) {
                Ok(dir) => dir,
                Err(err) if err.kind() == io::ErrorKind::NotFound => return Ok(()),
                Err(err) => return Err(err).at("open directory", &parent.display_child(name)),
            };
            return self.dir_contents(&dir, path);
        }
        if kind.is_symlink() {
            let target = std::fs::read_link(parent.child(name))
                .at("read link", &parent.display_child(name))?;
            let mut header = header_for(meta);
            header.set_size(0);
            return self
                .builder
                .append_link(&mut header, path, &target)
                .map_err(Error::Archive);
        }
        if kind.is_file() {
            let file = OpenOptions::new()
                .read(true)
                .custom_flags(libc::O_NOFOLLOW | libc::O_CLOEXEC)
                .open(parent.child(name))
                .at("open", &parent.display_child(name))?;
            let mut header = header_for(meta);
            let size = meta.len();
            header.set_size(size);
            // A file shrinking while it is read is padded, so the archive stays well-formed.
            let data = file.take(size).chain(io::repeat(0)).take(size);
            return self
                .builder
                .append_data(&mut header, path, data)
                .map_err(Error::Archive);
        }
        self.header_only(path, meta)
    }

    /// Writes an entry without data: directories, devices and fifos.
    fn header_only(&mut self, path: &Path, meta: &Metadata) -> Result<()> {
        let mut header = header_for(meta);
        header.set_size(0);
        if meta.file_type().is_char_device() || meta.file_type().is_block_device() {
            let rdev = meta.rdev();
            header
                .set_device_major(nix::sys::stat::major(rdev) as u32)
                .map_err(Error::Archive)?;
            header
                .set_device_minor(nix::sys::stat::minor(rdev) as u32)
                .map_err(Error::Archive)?;
        }
        self.builder
            .append_data(&mut header, path, io::empty())
            .map_err(Error::Archive)
    }
}

/// A GNU header with the entry's type, owner, permission bits and mtime.
pub(crate) fn header_for(meta: &Metadata) -> Header {
    let mut header = Header::new_gnu();
    header.set_metadata_in_mode(meta, HeaderMode::Complete);
    header.set_mode(meta.mode() & 0o7777);
    header
}
