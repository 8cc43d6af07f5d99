//! Test helpers: building (possibly hostile) layer tarballs in memory.

use std::io::Write;

use flate2::write::GzEncoder;
use flate2::Compression;
use tar::{EntryType, Header};

/// Default mtime of generated entries.
pub(crate) const MTIME: u64 = 1_600_000_000;

/// Builds a tar stream entry by entry.
pub(crate) struct TarBuilder {
    builder: tar::Builder<Vec<u8>>,
}

fn header(kind: EntryType, mode: u32, size: u64) -> Header {
    let mut header = Header::new_gnu();
    header.set_entry_type(kind);
    header.set_mode(mode);
    header.set_size(size);
    header.set_uid(0);
    header.set_gid(0);
    header.set_mtime(MTIME);
    header
}

impl TarBuilder {
    pub(crate) fn new() -> Self {
        TarBuilder {
            builder: tar::Builder::new(Vec::new()),
        }
    }

    pub(crate) fn dir(&mut self, path: &str) -> &mut Self {
        self.dir_with(path, 0o755, MTIME)
    }

    pub(crate) fn dir_with(&mut self, path: &str, mode: u32, mtime: u64) -> &mut Self {
        let mut h = header(EntryType::Directory, mode, 0);
        h.set_mtime(mtime);
        self.builder.append_data(&mut h, path, &[][..]).unwrap();
        self
    }

    pub(crate) fn file(&mut self, path: &str, data: &[u8]) -> &mut Self {
        self.file_with(path, data, 0o644, 0, 0)
    }

    pub(crate) fn file_with(
        &mut self,
        path: &str,
        data: &[u8],
        mode: u32,
        uid: u64,
        gid: u64,
    ) -> &mut Self {
        let mut h = header(EntryType::Regular, mode, data.len() as u64);
        h.set_uid(uid);
        h.set_gid(gid);
        self.builder.append_data(&mut h, path, data).unwrap();
        self
    }

    pub(crate) fn symlink(&mut self, path: &str, target: &str) -> &mut Self {
        let mut h = header(EntryType::Symlink, 0o777, 0);
        self.builder.append_link(&mut h, path, target).unwrap();
        self
    }

    pub(crate) fn hardlink(&mut self, path: &str, target: &str) -> &mut Self {
        let mut h = header(EntryType::Link, 0o644, 0);
        self.builder.append_link(&mut h, path, target).unwrap();
        self
    }

    pub(crate) fn node(
        &mut self,
        path: &str,
        kind: EntryType,
        major: u32,
        minor: u32,
    ) -> &mut Self {
        let mut h = header(kind, 0o640, 0);
        h.set_device_major(major).unwrap();
        h.set_device_minor(minor).unwrap();
        self.builder.append_data(&mut h, path, &[][..]).unwrap();
        self
    }

    /// PAX extensions applying to the next entry.
    pub(crate) fn pax(&mut self, extensions: &[(&str, &[u8])]) -> &mut Self {
        self.builder
            .append_pax_extensions(extensions.iter().copied())
            .unwrap();
        self
    }

    /// An entry whose name and link name are written verbatim (no validation), for hostile
    /// archives. Both must fit in 100 bytes.
    pub(crate) fn raw(
        &mut self,
        path: &[u8],
        kind: EntryType,
        link: &[u8],
        data: &[u8],
    ) -> &mut Self {
        let mut h = header(kind, 0o644, data.len() as u64);
        let old = h.as_old_mut();
        old.name[..path.len()].copy_from_slice(path);
        old.linkname[..link.len()].copy_from_slice(link);
        h.set_cksum();
        self.builder.append(&h, data).unwrap();
        self
    }

    pub(crate) fn into_bytes(self) -> Vec<u8> {
        self.builder.into_inner().unwrap()
    }

    pub(crate) fn into_gzip(self) -> Vec<u8> {
        gzip(&self.into_bytes())
    }
}

pub(crate) fn gzip(data: &[u8]) -> Vec<u8> {
    let mut encoder = GzEncoder::new(Vec::new(), Compression::fast());
    encoder.write_all(data).unwrap();
    encoder.finish().unwrap()
}

/// A one-file layer whose content makes it unique.
pub(crate) fn single_file_layer(name: &str, content: &[u8]) -> Vec<u8> {
    let mut tar = TarBuilder::new();
    tar.file(name, content);
    tar.into_bytes()
}
