//! Writing COPY/ADD sources into a mounted root file system. Sources are packed as a tar
//! stream with the owners and modes the instruction asks for, and unpacked below the
//! destination directory through storage's archive handles, which resolve every path inside
//! the root and never follow a symlink out of it.

use std::io::{Read, Write};
use std::os::unix::fs::MetadataExt;
use std::path::{Path, PathBuf};

use storage::archive::{unpack, DirHandle, Located, UnpackOptions};

use crate::error::{Error, IoContext, Result};

/// What is copied, and under which name below the destination directory.
#[allow(clippy::large_enum_variant)] // short-lived, one per source
pub(crate) enum Item {
    /// A host file, symlink or directory, copied as `name` (a directory with its contents).
    Path { path: PathBuf, name: String },
    /// The contents of a host directory, copied into the destination directory itself.
    Contents { path: PathBuf },
    /// Bytes (a heredoc or a downloaded file) as the regular file `name`.
    Data {
        data: Vec<u8>,
        name: String,
        mode: u32,
    },
    /// A tar archive (maybe compressed) unpacked into the destination (ADD).
    Archive { path: PathBuf },
    /// A path inside another root file system (`--from`): as `top`, or a directory's
    /// contents when `top` is `None`. Owners are kept.
    Located {
        loc: Box<Located>,
        top: Option<String>,
    },
}

/// Owners and modes of what is copied.
#[derive(Debug, Clone, Copy, Default)]
pub(crate) struct Attrs {
    /// `--chown`: every entry gets this owner.
    pub owner: Option<(u32, u32)>,
    /// Keep the sources' owners (copies from an image or a stage) instead of root.
    pub keep_owner: bool,
    /// `--chmod`.
    pub mode: Option<u32>,
}

/// Makes sure the directory `path` exists inside `root` (missing components are created
/// 0755 and owned by `owner`), and opens it.
pub(crate) fn ensure_dir(root: &Path, path: &str, owner: (u32, u32)) -> Result<DirHandle> {
    let comps: Vec<&str> = path
        .split('/')
        .filter(|c| !c.is_empty() && *c != ".")
        .collect();
    let mut prefix = String::new();
    for c in comps.iter() {
        prefix.push('/');
        prefix.push_str(c);
        let loc = Located::in_root(root, &prefix)?;
        if loc.exists() {
            if loc.as_dir()?.is_none() {
                return Err(Error::InvalidArgument(format!(
                    "{prefix} exists in the image and is not a directory"
                )));
            }
            continue;
        }
        let own = owner;
        let mut tar = tar::Builder::new(Vec::new());
        let mut h = tar::Header::new_gnu();
        h.set_entry_type(tar::EntryType::Directory);
        h.set_mode(0o755);
        h.set_uid(own.0 as u64);
        h.set_gid(own.1 as u64);
        h.set_size(0);
        h.set_mtime(now_secs());
        tar.append_data(&mut h, format!("{c}/"), std::io::empty())
            .ctx(|| "packing a directory".into())?;
        let data = tar.into_inner().ctx(|| "packing a directory".into())?;
        unpack(&mut data.as_slice(), loc.parent(), UnpackOptions::default())?;
    }
    let loc = Located::in_root(root, if path.is_empty() { "/" } else { path })?;
    loc.as_dir()?
        .ok_or_else(|| Error::InvalidArgument(format!("{path} is not a directory")))
}

fn now_secs() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_secs())
        .unwrap_or(0)
}

/// Copies `items` into `dir` (a directory handle inside the root).
pub(crate) fn copy_items(
    dir: &DirHandle,
    items: &[Item],
    attrs: Attrs,
    skip: &(dyn Fn(&Path) -> bool + Sync),
) -> Result<()> {
    for item in items {
        if let Item::Archive { path } = item {
            let mut f = std::fs::File::open(path).ctx(|| format!("opening {}", path.display()))?;
            let mut plain =
                storage::decompress(&mut f).ctx(|| format!("reading {}", path.display()))?;
            unpack(
                &mut plain,
                dir,
                UnpackOptions {
                    owner: attrs.owner,
                    ..Default::default()
                },
            )?;
        }
    }
    for item in items {
        if let Item::Located { loc, top } = item {
            transfer(dir, attrs.owner, |out| {
                storage::archive::pack(loc, top.as_deref(), out).map_err(Error::from)
            })?;
        }
    }
    let packed: Vec<&Item> = items
        .iter()
        .filter(|i| !matches!(i, Item::Archive { .. } | Item::Located { .. }))
        .collect();
    if packed.is_empty() {
        return Ok(());
    }
    let (reader, writer) = nix::unistd::pipe()
        .map_err(std::io::Error::from)
        .ctx(|| "creating a pipe".to_string())?;
    let mut reader = std::fs::File::from(reader);
    let writer = std::fs::File::from(writer);
    std::thread::scope(|scope| {
        let packer = scope.spawn(move || -> Result<()> {
            let mut tar = tar::Builder::new(std::io::BufWriter::with_capacity(256 * 1024, writer));
            tar.follow_symlinks(false);
            for item in packed {
                match item {
                    Item::Path { path, name } => pack_tree(&mut tar, path, name, attrs, skip)?,
                    Item::Contents { path } => {
                        for (child, name) in sorted_children(path)? {
                            if skip(&child) {
                                continue;
                            }
                            pack_tree(&mut tar, &child, &name, attrs, skip)?;
                        }
                    }
                    Item::Data { data, name, mode } => {
                        let mut h = tar::Header::new_gnu();
                        h.set_entry_type(tar::EntryType::Regular);
                        h.set_mode(attrs.mode.unwrap_or(*mode));
                        let (u, g) = attrs.owner.unwrap_or((0, 0));
                        h.set_uid(u as u64);
                        h.set_gid(g as u64);
                        h.set_size(data.len() as u64);
                        h.set_mtime(now_secs());
                        tar.append_data(&mut h, name, data.as_slice())
                            .ctx(|| format!("packing {name}"))?;
                    }
                    Item::Located { .. } | Item::Archive { .. } => {}
                }
            }
            tar.into_inner()
                .and_then(|mut w| w.flush())
                .ctx(|| "packing the COPY sources".into())
        });
        let unpacked = unpack(
            &mut reader,
            dir,
            UnpackOptions {
                owner: attrs.owner,
                ..Default::default()
            },
        );
        drop(reader);
        let packed = packer.join().unwrap_or_else(|_| {
            Err(Error::Io {
                context: "copying".into(),
                source: std::io::Error::other("copy thread panicked"),
            })
        });
        packed?;
        unpacked?;
        Ok(())
    })
}

/// Runs `pack` (writing a tar stream) in a thread and unpacks its output into `dir`.
fn transfer(
    dir: &DirHandle,
    owner: Option<(u32, u32)>,
    pack: impl FnOnce(&mut std::fs::File) -> Result<()> + Send,
) -> Result<()> {
    let (reader, writer) = nix::unistd::pipe()
        .map_err(std::io::Error::from)
        .ctx(|| "creating a pipe".to_string())?;
    let mut reader = std::fs::File::from(reader);
    let mut writer = std::fs::File::from(writer);
    std::thread::scope(|scope| {
        let packer = scope.spawn(move || {
            let r = pack(&mut writer);
            drop(writer);
            r
        });
        let unpacked = unpack(
            &mut reader,
            dir,
            UnpackOptions {
                owner,
                ..Default::default()
            },
        );
        drop(reader);
        let packed = packer.join().unwrap_or_else(|_| {
            Err(Error::Io {
                context: "copying".into(),
                source: std::io::Error::other("copy thread panicked"),
            })
        });
        packed?;
        unpacked?;
        Ok(())
    })
}

fn sorted_children(dir: &Path) -> Result<Vec<(PathBuf, String)>> {
    let mut out: Vec<(PathBuf, String)> = std::fs::read_dir(dir)
        .ctx(|| format!("reading {}", dir.display()))?
        .filter_map(|e| e.ok())
        .map(|e| (e.path(), e.file_name().to_string_lossy().into_owned()))
        .collect();
    out.sort_by(|a, b| a.1.cmp(&b.1));
    Ok(out)
}

fn pack_tree<W: Write>(
    tar: &mut tar::Builder<W>,
    path: &Path,
    name: &str,
    attrs: Attrs,
    skip: &(dyn Fn(&Path) -> bool + Sync),
) -> Result<()> {
    let meta = std::fs::symlink_metadata(path).ctx(|| format!("reading {}", path.display()))?;
    let ft = meta.file_type();
    let mut h = tar::Header::new_gnu();
    let perm = meta.mode() & 0o7777;
    h.set_mode(attrs.mode.unwrap_or(perm));
    let (u, g) = if attrs.keep_owner {
        (meta.uid(), meta.gid())
    } else {
        (0, 0)
    };
    h.set_uid(u as u64);
    h.set_gid(g as u64);
    h.set_mtime(meta.mtime().max(0) as u64);
    if ft.is_symlink() {
        let target = std::fs::read_link(path).ctx(|| format!("reading {}", path.display()))?;
        h.set_entry_type(tar::EntryType::Symlink);
        h.set_mode(perm);
        h.set_size(0);
        tar.append_link(&mut h, name, &target)
            .ctx(|| format!("packing {}", path.display()))?;
    } else if ft.is_dir() {
        h.set_entry_type(tar::EntryType::Directory);
        h.set_size(0);
        tar.append_data(&mut h, format!("{name}/"), std::io::empty())
            .ctx(|| format!("packing {}", path.display()))?;
        for (child, cname) in sorted_children(path)? {
            if skip(&child) {
                continue;
            }
            pack_tree(tar, &child, &format!("{name}/{cname}"), attrs, skip)?;
        }
    } else if ft.is_file() {
        h.set_entry_type(tar::EntryType::Regular);
        h.set_size(meta.len());
        let f = std::fs::File::open(path).ctx(|| format!("opening {}", path.display()))?;
        tar.append_data(&mut h, name, f.take(meta.len()))
            .ctx(|| format!("packing {}", path.display()))?;
    }
    // Sockets, devices and fifos are not copied.
    Ok(())
}

/// Whether the file at `path` is a tar archive, plain or compressed (ADD extracts those).
pub(crate) fn is_archive(path: &Path) -> bool {
    let Ok(mut f) = std::fs::File::open(path) else {
        return false;
    };
    let Ok(mut plain) = storage::decompress(&mut f) else {
        return false;
    };
    let mut block = vec![0u8; 512];
    let mut got = 0;
    while got < 512 {
        match plain.read(&mut block[got..]) {
            Ok(0) => break,
            Ok(n) => got += n,
            Err(_) => return false,
        }
    }
    got == 512 && &block[257..262] == b"ustar" && {
        let h = tar::Header::from_byte_slice(&block);
        h.cksum().ok() == Some(checksum(&block))
    }
}

fn checksum(block: &[u8]) -> u32 {
    block
        .iter()
        .enumerate()
        .map(|(i, b)| {
            if (148..156).contains(&i) {
                32
            } else {
                u32::from(*b)
            }
        })
        .sum()
}
