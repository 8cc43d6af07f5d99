//! What a container changed relative to its image (`rpod diff`).
//!
//! Overlay: the upper directory *is* the change set: a `0:0` character device is a deletion,
//! an entry that also exists in the image's layers is a change (an opaque directory also
//! deletes the image's entries below it), anything else was added. Vfs: the container's copy
//! is compared with the image's layers merged in memory (type, mode, owner, size, mtime,
//! device, link target); directories holding a change are changed themselves, as with
//! overlay's copy-up.

use std::collections::BTreeMap;
use std::fmt;
use std::fs::{self, Metadata};
use std::io;
use std::ops::Bound;
use std::os::unix::fs::{FileTypeExt, MetadataExt};
use std::path::{Path, PathBuf};

use serde::Serialize;

use crate::error::{IoContext, Result};
use crate::xattr;

/// How a path changed.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Serialize)]
pub enum ChangeKind {
    /// Changed (`C`).
    Modified,
    /// Added (`A`).
    Added,
    /// Deleted (`D`).
    Deleted,
}

impl ChangeKind {
    /// The letter `diff` prints: `A`, `C` or `D`.
    pub fn letter(self) -> char {
        match self {
            ChangeKind::Modified => 'C',
            ChangeKind::Added => 'A',
            ChangeKind::Deleted => 'D',
        }
    }
}

impl fmt::Display for ChangeKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.letter())
    }
}

/// One changed path of a container (absolute, as seen inside it).
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub struct Change {
    /// `/etc/passwd`.
    pub path: String,
    /// What happened to it.
    pub kind: ChangeKind,
}

/// What is compared of an entry of the image.
#[derive(Clone, Debug, PartialEq, Eq)]
struct Summary {
    kind: u32,
    mode: u32,
    uid: u32,
    gid: u32,
    size: u64,
    mtime: (i64, i64),
    rdev: u64,
    target: Option<PathBuf>,
}

impl Summary {
    fn of(path: &Path, meta: &Metadata) -> Summary {
        let is_dir = meta.is_dir();
        Summary {
            kind: meta.mode() & libc::S_IFMT,
            mode: meta.mode() & 0o7777,
            uid: meta.uid(),
            gid: meta.gid(),
            size: if is_dir { 0 } else { meta.len() },
            mtime: if is_dir || meta.file_type().is_symlink() {
                (0, 0)
            } else {
                (meta.mtime(), meta.mtime_nsec())
            },
            rdev: meta.rdev(),
            target: meta
                .file_type()
                .is_symlink()
                .then(|| fs::read_link(path).ok())
                .flatten(),
        }
    }

    fn is_dir(&self) -> bool {
        self.kind == libc::S_IFDIR
    }
}

/// The image's layers merged: relative path → summary of the topmost entry.
pub(crate) struct LowerView {
    entries: BTreeMap<PathBuf, Summary>,
}

fn is_whiteout(meta: &Metadata) -> bool {
    meta.file_type().is_char_device() && meta.rdev() == 0
}

fn is_opaque(path: &Path) -> Result<bool> {
    Ok(xattr::get(path, xattr::OVERLAY_OPAQUE)
        .at("read xattr of", path)?
        .as_deref()
        == Some(b"y"))
}

/// Sorted children of a directory.
fn children(dir: &Path) -> Result<Vec<std::ffi::OsString>> {
    let mut names = fs::read_dir(dir)
        .at("read directory", dir)?
        .map(|e| e.map(|e| e.file_name()))
        .collect::<io::Result<Vec<_>>>()
        .at("read directory", dir)?;
    names.sort();
    Ok(names)
}

impl LowerView {
    /// Merges layer directories (bottom first) with overlay semantics.
    pub(crate) fn new(layers: &[PathBuf]) -> Result<LowerView> {
        let mut view = LowerView {
            entries: BTreeMap::new(),
        };
        for layer in layers {
            view.apply(layer, Path::new(""))?;
        }
        Ok(view)
    }

    fn apply(&mut self, layer: &Path, rel: &Path) -> Result<()> {
        let dir = layer.join(rel);
        for name in children(&dir)? {
            let child_rel = rel.join(&name);
            let path = dir.join(&name);
            let meta = fs::symlink_metadata(&path).at("stat", &path)?;
            if is_whiteout(&meta) {
                self.remove_tree(&child_rel);
                continue;
            }
            if !meta.is_dir() || is_opaque(&path)? {
                self.remove_below(&child_rel);
            }
            self.entries
                .insert(child_rel.clone(), Summary::of(&path, &meta));
            if meta.is_dir() {
                self.apply(layer, &child_rel)?;
            }
        }
        Ok(())
    }

    fn below(&self, rel: &Path) -> Vec<PathBuf> {
        self.entries
            .range::<Path, _>((Bound::Excluded(rel), Bound::Unbounded))
            .take_while(|(p, _)| p.starts_with(rel))
            .map(|(p, _)| p.clone())
            .collect()
    }

    fn remove_below(&mut self, rel: &Path) {
        for p in self.below(rel) {
            self.entries.remove(&p);
        }
    }

    fn remove_tree(&mut self, rel: &Path) {
        self.remove_below(rel);
        self.entries.remove(rel);
    }

    fn get(&self, rel: &Path) -> Option<&Summary> {
        self.entries.get(rel)
    }

    /// Direct children of `rel` in the image.
    fn children_of(&self, rel: &Path) -> Vec<PathBuf> {
        let depth = rel.components().count() + 1;
        self.below(rel)
            .into_iter()
            .filter(|p| p.components().count() == depth)
            .collect()
    }
}

fn absolute(rel: &Path) -> String {
    format!("/{}", rel.display())
}

/// Changes recorded in an overlay upper directory over `lower`.
pub(crate) fn overlay_changes(upper: &Path, lower: &LowerView) -> Result<Vec<Change>> {
    let mut out = Vec::new();
    walk_upper(upper, Path::new(""), lower, &mut out)?;
    out.sort();
    Ok(out)
}

fn walk_upper(upper: &Path, rel: &Path, lower: &LowerView, out: &mut Vec<Change>) -> Result<()> {
    let dir = upper.join(rel);
    for name in children(&dir)? {
        let child_rel = rel.join(&name);
        let path = dir.join(&name);
        let meta = match fs::symlink_metadata(&path) {
            Ok(meta) => meta,
            Err(err) if err.kind() == io::ErrorKind::NotFound => continue,
            Err(err) => return Err(err).at("stat", &path),
        };
        if is_whiteout(&meta) {
            out.push(Change {
                path: absolute(&child_rel),
                kind: ChangeKind::Deleted,
            });
            continue;
        }
        let in_lower = lower.get(&child_rel);
        let kind = if in_lower.is_some() {
            ChangeKind::Modified
        } else {
            ChangeKind::Added
        };
        out.push(Change {
            path: absolute(&child_rel),
            kind,
        });
        if meta.is_dir() {
            if in_lower.is_some_and(Summary::is_dir) && is_opaque(&path)? {
                for gone in lower.children_of(&child_rel) {
                    if fs::symlink_metadata(upper.join(&gone)).is_err() {
                        out.push(Change {
                            path: absolute(&gone),
                            kind: ChangeKind::Deleted,
                        });
                    }
                }
            }
            walk_upper(upper, &child_rel, lower, out)?;
        }
    }
    Ok(())
}

/// Changes of a full copy (`rootfs`) relative to `lower`.
pub(crate) fn copy_changes(rootfs: &Path, lower: &LowerView) -> Result<Vec<Change>> {
    let mut found: BTreeMap<PathBuf, ChangeKind> = BTreeMap::new();
    let mut seen: Vec<PathBuf> = Vec::new();
    walk_copy(rootfs, Path::new(""), lower, &mut found, &mut seen)?;
    let seen: std::collections::HashSet<PathBuf> = seen.into_iter().collect();
    // Deleted: in the image but not in the copy (only the topmost of a deleted tree).
    for path in lower.entries.keys() {
        if seen.contains(path) {
            continue;
        }
        let parent_gone = path
            .parent()
            .is_some_and(|p| !p.as_os_str().is_empty() && !seen.contains(p));
        if !parent_gone {
            found.insert(path.clone(), ChangeKind::Deleted);
        }
    }
    // Directories holding a change changed too (overlay copies them up).
    let changed: Vec<PathBuf> = found.keys().cloned().collect();
    for path in changed {
        for ancestor in path.ancestors().skip(1) {
            if ancestor.as_os_str().is_empty() {
                break;
            }
            found
                .entry(ancestor.to_path_buf())
                .or_insert(ChangeKind::Modified);
        }
    }
    let mut out: Vec<Change> = found
        .into_iter()
        .map(|(p, kind)| Change {
            path: absolute(&p),
            kind,
        })
        .collect();
    out.sort();
    Ok(out)
}

fn walk_copy(
    rootfs: &Path,
    rel: &Path,
    lower: &LowerView,
    found: &mut BTreeMap<PathBuf, ChangeKind>,
    seen: &mut Vec<PathBuf>,
) -> Result<()> {
    let dir = rootfs.join(rel);
    for name in children(&dir)? {
        let child_rel = rel.join(&name);
        let path = dir.join(&name);
        let meta = match fs::symlink_metadata(&path) {
            Ok(meta) => meta,
            Err(err) if err.kind() == io::ErrorKind::NotFound => continue,
            Err(err) => return Err(err).at("stat", &path),
        };
        let now = Summary::of(&path, &meta);
        match lower.get(&child_rel) {
            None => {
                found.insert(child_rel.clone(), ChangeKind::Added);
            }
            Some(before) => {
                seen.push(child_rel.clone());
                if *before != now {
                    found.insert(child_rel.clone(), ChangeKind::Modified);
                }
            }
        }
        if meta.is_dir() {
            walk_copy(rootfs, &child_rel, lower, found, seen)?;
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::os::unix::fs::symlink;

    #[test]
    fn copies_are_compared_with_the_image() {
        let tmp = tempfile::tempdir().unwrap();
        let layer = tmp.path().join("layer");
        fs::create_dir_all(layer.join("etc")).unwrap();
        fs::create_dir_all(layer.join("gone/sub")).unwrap();
        fs::write(layer.join("etc/a"), b"1").unwrap();
        fs::write(layer.join("etc/b"), b"1").unwrap();
        symlink("x", layer.join("l")).unwrap();
        let copy = tmp.path().join("copy");
        fs::create_dir_all(copy.join("etc")).unwrap();
        fs::write(copy.join("etc/a"), b"22").unwrap();
        fs::write(copy.join("new"), b"1").unwrap();
        symlink("x", copy.join("l")).unwrap();
        // etc/b keeps its size and mtime
        fs::copy(layer.join("etc/b"), copy.join("etc/b")).unwrap();
        let m = fs::metadata(layer.join("etc/b")).unwrap();
        let t = nix::sys::time::TimeSpec::new(m.mtime(), m.mtime_nsec());
        nix::sys::stat::utimensat(
            None,
            &copy.join("etc/b"),
            &t,
            &t,
            nix::sys::stat::UtimensatFlags::NoFollowSymlink,
        )
        .unwrap();
        let view = LowerView::new(&[layer]).unwrap();
        let changes = copy_changes(&copy, &view).unwrap();
        let text: Vec<String> = changes
            .iter()
            .map(|c| format!("{} {}", c.kind, c.path))
            .collect();
        assert_eq!(text, vec!["C /etc", "C /etc/a", "D /gone", "A /new"]);
    }
}
