//! Safe extraction of a layer tarball into a directory, in overlay format.
//!
//! The `tar` crate only parses entries; every filesystem operation is done here, so that no
//! entry can escape the layer directory:
//!
//! * paths are normalised (leading `./` and `.` components dropped) and refused when absolute,
//!   when they contain `..` or when a component is longer than `NAME_MAX`;
//! * every parent of an entry must be a real directory inside the layer (checked with
//!   `lstat`, so a symlink planted by an earlier entry is never written through); missing
//!   parents are created;
//! * an entry replacing an existing non-directory removes it first, and files are created
//!   with `O_CREAT | O_EXCL | O_NOFOLLOW`;
//! * hardlink targets must be already extracted, non-directory entries of the same layer.
//!
//! Whiteouts are converted to the overlay format: `.wh.<name>` becomes a `0:0` character
//! device `<name>`, `.wh..wh..opq` sets `trusted.overlay.opaque=y` on its directory.
//! Directory modes and times are applied at the end, children first.

use std::collections::BTreeMap;
use std::ffi::OsStr;
use std::fs::{self, OpenOptions, Permissions};
use std::io::{self, BufReader, Read, Write};
use std::os::unix::ffi::OsStrExt;
use std::os::unix::fs::{lchown, symlink, OpenOptionsExt, PermissionsExt};
use std::path::{Component, Path, PathBuf};

use flate2::read::MultiGzDecoder;
use nix::sys::stat::{makedev, mknod, Mode, SFlag};
use nix::sys::time::TimeSpec;
use tar::EntryType;

use crate::error::{Error, IoContext, Result};
use crate::fsutil::{remove_any, set_mtime_nofollow};
use crate::xattr;
use hasher::ThreadedHasher;

/// Longest path component Linux accepts.
const NAME_MAX: usize = 255;
/// Longest relative path we accept (leaves room for the layer directory's own path).
const MAX_RELATIVE_PATH: usize = 3072;
const WHITEOUT_PREFIX: &[u8] = b".wh.";
const OPAQUE_MARKER: &[u8] = b".wh..wh..opq";
const PAX_XATTR_PREFIX: &[u8] = b"SCHILY.xattr.";
const GZIP_MAGIC: [u8; 2] = [0x1f, 0x8b];
const ZSTD_MAGIC: [u8; 4] = [0x28, 0xb5, 0x2f, 0xfd];

/// What extraction learned about the layer stream.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct ExtractedLayer {
    /// `sha256:<hex>` of the uncompressed tar stream.
    pub diff_id: String,
    /// Length of the uncompressed tar stream.
    pub tar_size: u64,
}

/// Extracts a plain, gzip- or zstd-compressed (sniffed by magic bytes) layer tarball into
/// `dest`, an existing empty directory, hashing the uncompressed stream on the way.
///
/// On error `dest` is left in an undefined state; the caller discards it.
#[cfg(test)]
pub(crate) fn extract_layer(input: &mut dyn Read, dest: &Path) -> Result<ExtractedLayer> {
    extract_layer_tee(input, dest, None)
}

/// [`extract_layer`], also copying the uncompressed tar stream to `tee` when given.
pub(crate) fn extract_layer_tee(
    input: &mut dyn Read,
    dest: &Path,
    tee: Option<&mut dyn Write>,
) -> Result<ExtractedLayer> {
    let uncompressed = decompressed(input).map_err(Error::Archive)?;
    let mut hashing = ThreadedHasher::new(TeeReader {
        inner: uncompressed,
        tee,
    })
    .map_err(Error::Archive)?;
    {
        let mut archive = tar::Archive::new(&mut hashing);
        let mut extractor = Extractor::new(dest);
        for entry in archive.entries().map_err(Error::Archive)? {
            let mut entry = entry.map_err(Error::Archive)?;
            extractor.unpack(&mut entry)?;
        }
        extractor.finish()?;
    }
    // The diff ID covers the whole stream, including the end-of-archive blocks and padding.
    // Draining also makes the gzip decoder verify its trailer.
    io::copy(&mut hashing, &mut io::sink()).map_err(Error::Archive)?;
    let (diff_id, tar_size) = hashing.finish().map_err(Error::Archive)?;
    Ok(ExtractedLayer { diff_id, tar_size })
}

/// Extracts a plain, gzip- or zstd-compressed layer tarball into `dest` (an existing empty
/// directory) with the same checks as image layers, and returns its diff ID
/// (`sha256:<hex>` of the uncompressed stream). For tools and benchmarks: the store itself
/// extracts through [`Store::put_image`](crate::Store::put_image) and friends.
pub fn extract_layer_to(input: &mut dyn Read, dest: &Path) -> Result<String> {
    Ok(extract_layer_tee(input, dest, None)?.diff_id)
}

/// The compression of a layer stream, recognised by its first bytes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Compression {
    /// A plain tar stream.
    None,
    /// gzip (`1f 8b`).
    Gzip,
    /// zstd (`28 b5 2f fd`).
    Zstd,
}

/// A reader yielding the uncompressed content of `input` (plain, gzip or zstd, sniffed).
pub fn decompressed<'a>(input: &'a mut dyn Read) -> io::Result<Box<dyn Read + 'a>> {
    let (compression, input) = sniff_compression(input)?;
    let buffered = BufReader::with_capacity(128 * 1024, input);
    Ok(match compression {
        Compression::None => Box::new(buffered),
        Compression::Gzip => Box::new(MultiGzDecoder::new(buffered)),
        Compression::Zstd => Box::new(
            ruzstd::decoding::StreamingDecoder::new(buffered)
                .map_err(|err| io::Error::new(io::ErrorKind::InvalidData, err.to_string()))?,
        ),
    })
}

/// Reads the first four bytes to recognise the compression, and returns a reader that yields
/// the whole input again (those bytes included).
pub(crate) fn sniff_compression(input: &mut dyn Read) -> io::Result<(Compression, impl Read + '_)> {
    let mut magic = [0u8; 4];
    let mut filled = 0;
    while filled < magic.len() {
        match input.read(&mut magic[filled..]) {
            Ok(0) => break,
            Ok(n) => filled += n,
            Err(err) if err.kind() == io::ErrorKind::Interrupted => {}
            Err(err) => return Err(err),
        }
    }
    let compression = if filled >= 2 && magic[..2] == GZIP_MAGIC {
        Compression::Gzip
    } else if filled == 4 && magic == ZSTD_MAGIC {
        Compression::Zstd
    } else {
        Compression::None
    };
    let head = io::Cursor::new(magic).take(filled as u64);
    Ok((compression, head.chain(input)))
}

/// Copies everything read through it to an optional writer.
struct TeeReader<'a, R> {
    inner: R,
    tee: Option<&'a mut dyn Write>,
}

impl<R: Read> Read for TeeReader<'_, R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let n = self.inner.read(buf)?;
        if let Some(tee) = self.tee.as_mut() {
            tee.write_all(&buf[..n])?;
        }
        Ok(n)
    }
}

/// Turns a raw archive path into a relative path of normal components (empty for the root).
pub(crate) fn sanitize_path(raw: &[u8]) -> std::result::Result<PathBuf, &'static str> {
    if raw.first() == Some(&b'/') {
        return Err("absolute path");
    }
    if raw.len() > MAX_RELATIVE_PATH {
        return Err("path too long");
    }
    let mut path = PathBuf::new();
    for component in raw.split(|b| *b == b'/') {
        match component {
            b"" | b"." => {}
            b".." => return Err("path contains a '..' component"),
            name if name.len() > NAME_MAX => return Err("path component too long"),
            name => path.push(OsStr::from_bytes(name)),
        }
    }
    Ok(path)
}

/// Metadata of an archive entry, with PAX overrides applied.
struct EntryMeta {
    mode: u32,
    uid: u32,
    gid: u32,
    mtime: TimeSpec,
    xattrs: Vec<(Vec<u8>, Vec<u8>)>,
}

impl EntryMeta {
    fn read<R: Read>(entry: &mut tar::Entry<'_, R>, display: &str) -> Result<EntryMeta> {
        let invalid = |what: &str, err: io::Error| Error::InvalidArchive {
            path: display.to_string(),
            reason: format!("{what}: {err}"),
        };
        let header = entry.header();
        let mode = header.mode().map_err(|e| invalid("mode", e))? & 0o7777;
        let uid = header.uid().map_err(|e| invalid("uid", e))?;
        let gid = header.gid().map_err(|e| invalid("gid", e))?;
        let header_mtime = header.mtime().map_err(|e| invalid("mtime", e))?;
        let (uid, gid) = match (u32::try_from(uid), u32::try_from(gid)) {
            (Ok(uid), Ok(gid)) => (uid, gid),
            _ => {
                return Err(Error::InvalidArchive {
                    path: display.to_string(),
                    reason: "uid or gid out of range".to_string(),
                })
            }
        };
        let mut mtime = TimeSpec::new(i64::try_from(header_mtime).unwrap_or(i64::MAX), 0);
        let mut xattrs = Vec::new();
        if let Some(extensions) = entry.pax_extensions().map_err(Error::Archive)? {
            for extension in extensions {
                let extension = extension.map_err(Error::Archive)?;
                let key = extension.key_bytes();
                if key == b"mtime" {
                    if let Some(pax_mtime) = parse_pax_time(extension.value_bytes()) {
                        mtime = pax_mtime;
                    }
                } else if let Some(name) = key.strip_prefix(PAX_XATTR_PREFIX) {
                    // overlayfs control attributes could redirect lookups; never take them
                    // from an archive.
                    if !name.starts_with(xattr::OVERLAY_PREFIX) {
                        xattrs.push((name.to_vec(), extension.value_bytes().to_vec()));
                    }
                }
            }
        }
        Ok(EntryMeta {
            mode,
            uid,
            gid,
            mtime,
            xattrs,
        })
    }
}

/// Parses a PAX time (`[-]seconds[.fraction]`).
fn parse_pax_time(value: &[u8]) -> Option<TimeSpec> {
    let text = std::str::from_utf8(value).ok()?;
    let (seconds, fraction) = text.split_once('.').unwrap_or((text, ""));
    let seconds: i64 = seconds.parse().ok()?;
    if !fraction.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let digits: String = fraction
        .chars()
        .chain(std::iter::repeat('0'))
        .take(9)
        .collect();
    let nanos: i64 = digits.parse().ok()?;
    if text.starts_with('-') && nanos > 0 {
        // -1.5 is 2 seconds before the epoch plus half a second.
        return Some(TimeSpec::new(
            seconds.checked_sub(1)?,
            1_000_000_000 - nanos,
        ));
    }
    Some(TimeSpec::new(seconds, nanos))
}

/// Mode and time of a directory, applied after all its children exist.
struct DirMeta {
    mode: u32,
    mtime: TimeSpec,
}

/// Size of the buffer regular files are copied with: large writes, few syscalls.
const COPY_BUFFER: usize = 256 * 1024;

/// Applies archive entries to a layer directory.
struct Extractor<'a> {
    root: &'a Path,
    /// Reused for every regular file.
    buf: Vec<u8>,
    /// Directories whose mode/mtime are set at the end; keyed by relative path, so reverse
    /// order visits children before parents.
    dirs: BTreeMap<PathBuf, DirMeta>,
}

impl<'a> Extractor<'a> {
    fn new(root: &'a Path) -> Self {
        Extractor {
            root,
            buf: vec![0; COPY_BUFFER],
            dirs: BTreeMap::new(),
        }
    }

    fn unpack<R: Read>(&mut self, entry: &mut tar::Entry<'_, R>) -> Result<()> {
        let raw_path = entry.path_bytes().into_owned();
        let display = String::from_utf8_lossy(&raw_path).into_owned();
        let kind = entry.header().entry_type();
        if kind.is_pax_global_extensions() {
            return Ok(());
        }
        let rel = sanitize_path(&raw_path).map_err(|reason| unsafe_entry(&display, reason))?;
        let meta = EntryMeta::read(entry, &display)?;

        if let Some(name) = rel.file_name().map(OsStr::as_bytes) {
            if name == OPAQUE_MARKER {
                return self.mark_opaque(&rel, &display);
            }
            if name.starts_with(b".wh..wh.") {
                return Ok(()); // other aufs metadata has no overlay meaning
            }
            if let Some(hidden) = name.strip_prefix(WHITEOUT_PREFIX) {
                return self.whiteout(&rel, hidden, &meta, &display);
            }
        }

        match kind {
            EntryType::Regular | EntryType::Continuous | EntryType::GNUSparse => {
                self.regular_file(entry, &rel, &meta, &display)
            }
            EntryType::Directory => self.directory(&rel, meta, &display),
            EntryType::Symlink => {
                let target = link_target(entry, &display)?;
                self.symlink(&rel, &target, &meta, &display)
            }
            EntryType::Link => {
                let target = link_target(entry, &display)?;
                self.hardlink(&rel, &target, &display)
            }
            EntryType::Char | EntryType::Block | EntryType::Fifo => {
                self.special_file(entry.header(), kind, &rel, &meta, &display)
            }
            other => Err(Error::InvalidArchive {
                path: display,
                reason: format!("unsupported entry type {other:?}"),
            }),
        }
    }

    /// Verifies that every ancestor of `rel` is a real directory inside the layer, creating
    /// missing ones, and returns the absolute path of `rel`.
    fn prepare_parents(&self, rel: &Path, display: &str) -> Result<PathBuf> {
        let mut current = self.root.to_path_buf();
        let mut components = rel.components().peekable();
        while let Some(component) = components.next() {
            let Component::Normal(name) = component else {
                return Err(unsafe_entry(display, "unexpected path component"));
            };
            current.push(name);
            if components.peek().is_none() {
                break; // the entry itself
            }
            match fs::symlink_metadata(&current) {
                Ok(meta) if meta.is_dir() => {}
                Ok(meta) if meta.file_type().is_symlink() => {
                    return Err(unsafe_entry(display, "a parent component is a symlink"))
                }
                Ok(_) => {
                    return Err(unsafe_entry(
                        display,
                        "a parent component is not a directory",
                    ))
                }
                Err(err) if err.kind() == io::ErrorKind::NotFound => {
                    fs::create_dir(&current).at("create directory", &current)?;
                }
                Err(err) => return Err(err).at("stat", &current),
            }
        }
        Ok(current)
    }

    /// Prepares the parents of `rel` and removes whatever non-directory (or, unless
    /// `keep_dir`, directory) is at `rel`. Returns the absolute path and whether a directory
    /// was kept.
    fn prepare_target(
        &mut self,
        rel: &Path,
        keep_dir: bool,
        display: &str,
    ) -> Result<(PathBuf, bool)> {
        let path = self.prepare_parents(rel, display)?;
        match fs::symlink_metadata(&path) {
            Ok(meta) if meta.is_dir() && keep_dir => return Ok((path, true)),
            Ok(meta) => {
                if meta.is_dir() {
                    self.dirs.retain(|dir, _| !dir.starts_with(rel));
                }
                remove_any(&path)?;
            }
            Err(err) if err.kind() == io::ErrorKind::NotFound => {}
            Err(err) => return Err(err).at("stat", &path),
        }
        Ok((path, false))
    }

    fn regular_file<R: Read>(
        &mut self,
        entry: &mut tar::Entry<'_, R>,
        rel: &Path,
        meta: &EntryMeta,
        display: &str,
    ) -> Result<()> {
        if rel.as_os_str().is_empty() {
            return Err(unsafe_entry(display, "file entry for the layer root"));
        }
        let (path, _) = self.prepare_target(rel, false, display)?;
        let mut file = OpenOptions::new()
            .write(true)
            .create_new(true)
            .mode(0o600)
            .custom_flags(libc::O_NOFOLLOW | libc::O_CLOEXEC)
            .open(&path)
            .at("create", &path)?;
        let expected = entry.size();
        let sparse = entry.header().entry_type() == EntryType::GNUSparse;
        let mut copied = 0u64;
        loop {
            let n = match entry.read(&mut self.buf) {
                Ok(0) => break,
                Ok(n) => n,
                Err(err) if err.kind() == io::ErrorKind::Interrupted => continue,
                Err(err) => return Err(Error::Archive(err)),
            };
            file.write_all(&self.buf[..n]).at("write", &path)?;
            copied += n as u64;
        }
        if !sparse && copied != expected {
            return Err(Error::Archive(io::Error::new(
                io::ErrorKind::UnexpectedEof,
                format!("{display}: archive ended inside the file"),
            )));
        }
        std::os::unix::fs::fchown(&file, Some(meta.uid), Some(meta.gid)).at("chown", &path)?;
        // After chown, which clears set-id bits.
        file.set_permissions(Permissions::from_mode(meta.mode))
            .at("chmod", &path)?;
        drop(file);
        apply_xattrs(&path, &meta.xattrs, false)?;
        set_mtime_nofollow(&path, meta.mtime)
    }

    fn directory(&mut self, rel: &Path, meta: EntryMeta, display: &str) -> Result<()> {
        let path = if rel.as_os_str().is_empty() {
            self.root.to_path_buf()
        } else {
            let (path, kept) = self.prepare_target(rel, true, display)?;
            if !kept {
                fs::create_dir(&path).at("create directory", &path)?;
            }
            path
        };
        lchown(&path, Some(meta.uid), Some(meta.gid)).at("chown", &path)?;
        apply_xattrs(&path, &meta.xattrs, false)?;
        self.dirs.insert(
            rel.to_path_buf(),
            DirMeta {
                mode: meta.mode,
                mtime: meta.mtime,
            },
        );
        Ok(())
    }

    fn symlink(
        &mut self,
        rel: &Path,
        target: &[u8],
        meta: &EntryMeta,
        display: &str,
    ) -> Result<()> {
        if rel.as_os_str().is_empty() {
            return Err(unsafe_entry(display, "symlink entry for the layer root"));
        }
        let (path, _) = self.prepare_target(rel, false, display)?;
        symlink(OsStr::from_bytes(target), &path).at("create symlink", &path)?;
        lchown(&path, Some(meta.uid), Some(meta.gid)).at("chown", &path)?;
        apply_xattrs(&path, &meta.xattrs, true)?;
        set_mtime_nofollow(&path, meta.mtime)
    }

    fn hardlink(&mut self, rel: &Path, raw_target: &[u8], display: &str) -> Result<()> {
        let target_rel = sanitize_path(raw_target)
            .map_err(|reason| unsafe_entry(display, &format!("hardlink target: {reason}")))?;
        if rel.as_os_str().is_empty() || target_rel.as_os_str().is_empty() {
            return Err(unsafe_entry(display, "hardlink involving the layer root"));
        }
        let target = self.existing_entry(&target_rel, display)?;
        if target_rel == rel {
            return Ok(());
        }
        let (path, _) = self.prepare_target(rel, false, display)?;
        fs::hard_link(&target, &path).at("create hardlink", &path)
    }

    /// The absolute path of an already extracted non-directory entry, reached through real
    /// directories only.
    fn existing_entry(&self, rel: &Path, display: &str) -> Result<PathBuf> {
        let mut current = self.root.to_path_buf();
        let components: Vec<_> = rel.components().collect();
        for (index, component) in components.iter().enumerate() {
            current.push(component);
            let is_last = index + 1 == components.len();
            match fs::symlink_metadata(&current) {
                Ok(meta) if meta.is_dir() != is_last => {}
                Ok(_) if is_last => return Err(unsafe_entry(display, "hardlink to a directory")),
                Ok(_) => {
                    return Err(unsafe_entry(
                        display,
                        "hardlink target is reached through a non-directory",
                    ))
                }
                Err(err) if err.kind() == io::ErrorKind::NotFound => {
                    return Err(unsafe_entry(display, "hardlink target not yet extracted"))
                }
                Err(err) => return Err(err).at("stat", &current),
            }
        }
        Ok(current)
    }

    fn special_file(
        &mut self,
        header: &tar::Header,
        kind: EntryType,
        rel: &Path,
        meta: &EntryMeta,
        display: &str,
    ) -> Result<()> {
        if rel.as_os_str().is_empty() {
            return Err(unsafe_entry(display, "device entry for the layer root"));
        }
        let device_number = |field: io::Result<Option<u32>>| {
            field
                .map(Option::unwrap_or_default)
                .map_err(|err| Error::InvalidArchive {
                    path: display.to_string(),
                    reason: format!("device number: {err}"),
                })
        };
        let major = device_number(header.device_major())?;
        let minor = device_number(header.device_minor())?;
        let file_type = match kind {
            EntryType::Char => SFlag::S_IFCHR,
            EntryType::Block => SFlag::S_IFBLK,
            _ => SFlag::S_IFIFO,
        };
        let (path, _) = self.prepare_target(rel, false, display)?;
        mknod(
            &path,
            file_type,
            Mode::from_bits_truncate(0o600),
            makedev(u64::from(major), u64::from(minor)),
        )
        .at("create device node", &path)?;
        lchown(&path, Some(meta.uid), Some(meta.gid)).at("chown", &path)?;
        fs::set_permissions(&path, Permissions::from_mode(meta.mode)).at("chmod", &path)?;
        apply_xattrs(&path, &meta.xattrs, false)?;
        set_mtime_nofollow(&path, meta.mtime)
    }

    /// `.wh.<name>`: a `0:0` character device hides `<name>` of lower layers.
    fn whiteout(
        &mut self,
        rel: &Path,
        hidden: &[u8],
        meta: &EntryMeta,
        display: &str,
    ) -> Result<()> {
        if hidden.is_empty() || hidden == b"." || hidden == b".." {
            return Err(unsafe_entry(display, "invalid whiteout name"));
        }
        let hidden_rel = rel.with_file_name(OsStr::from_bytes(hidden));
        let (path, _) = self.prepare_target(&hidden_rel, false, display)?;
        mknod(&path, SFlag::S_IFCHR, Mode::empty(), makedev(0, 0)).at("create whiteout", &path)?;
        lchown(&path, Some(meta.uid), Some(meta.gid)).at("chown", &path)
    }

    /// `.wh..wh..opq`: the directory hides everything lower layers have in it.
    fn mark_opaque(&mut self, rel: &Path, display: &str) -> Result<()> {
        let dir = self.prepare_parents(rel, display)?;
        let dir = dir.parent().unwrap_or(self.root);
        xattr::set(dir, xattr::OVERLAY_OPAQUE, b"y").at("set opaque xattr on", dir)
    }

    /// Applies directory modes and times, children before parents.
    fn finish(self) -> Result<()> {
        for (rel, meta) in self.dirs.iter().rev() {
            let path = self.root.join(rel);
            // Replaced directories were dropped from `dirs`; never chmod through a symlink.
            if !fs::symlink_metadata(&path).at("stat", &path)?.is_dir() {
                continue;
            }
            fs::set_permissions(&path, Permissions::from_mode(meta.mode)).at("chmod", &path)?;
            set_mtime_nofollow(&path, meta.mtime)?;
        }
        Ok(())
    }
}

fn unsafe_entry(display: &str, reason: &str) -> Error {
    Error::UnsafeArchive {
        path: display.to_string(),
        reason: reason.to_string(),
    }
}

fn link_target<R: Read>(entry: &tar::Entry<'_, R>, display: &str) -> Result<Vec<u8>> {
    match entry.link_name_bytes() {
        Some(target) if !target.is_empty() => Ok(target.into_owned()),
        _ => Err(Error::InvalidArchive {
            path: display.to_string(),
            reason: "link without a target".to_string(),
        }),
    }
}

/// Sets archive xattrs; on symlinks, attributes the kernel refuses (`user.*`) are skipped.
fn apply_xattrs(path: &Path, xattrs: &[(Vec<u8>, Vec<u8>)], is_symlink: bool) -> Result<()> {
    for (name, value) in xattrs {
        match xattr::set(path, name, value) {
            Ok(()) => {}
            Err(err) if is_symlink && err.raw_os_error() == Some(libc::EPERM) => {}
            Err(err) if err.raw_os_error() == Some(libc::ENOTSUP) => {}
            Err(err) => return Err(err).at("set xattr on", path),
        }
    }
    Ok(())
}

mod hasher;
#[cfg(test)]
mod tests;
