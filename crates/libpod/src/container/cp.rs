//! `cp`: copying files between a container's root file system and the host (or a tar
//! stream), with Docker's rules for trailing `/` and `/.`, directories and existing
//! destinations. Container paths are resolved inside the root file system (see
//! [`storage::archive`]), so symlinks in the container never lead out of it.

use std::io::{Read, Write};
use std::path::Path;

use storage::archive::{pack, unpack, DirHandle, Located, UnpackOptions};

use super::{Container, ContainerStatus};
use crate::error::{Error, IoContext, Result};

/// The host side of a copy out of a container.
pub enum CopyTarget<'a> {
    /// A host path (file or directory, existing or not).
    Path(&'a Path),
    /// A tar stream (`-`).
    Tar(&'a mut dyn Write),
}

/// The host side of a copy into a container.
pub enum CopySource<'a> {
    /// A host path.
    Path(&'a Path),
    /// A tar stream (`-`), unpacked into the destination directory.
    Tar(&'a mut dyn Read),
}

impl Container<'_> {
    /// Copies `src` (a path in the container) to the host or into a tar stream.
    pub fn copy_out(&mut self, src: &str, target: CopyTarget<'_>) -> Result<()> {
        let name = self.name().to_string();
        let mapped = self.mount_for(src)?;
        self.with_rootfs(|root| {
            let (root, src_in_root) = match &mapped {
                Some((host, rel)) => (host.as_path(), rel.as_str()),
                None => (root, src),
            };
            // A symlink named as the source is resolved inside the container, as
            // Podman does: the copy is of its target, under the target's name.
            let from = locate(Located::in_root_following(root, src_in_root), src, || {
                format!("{src:?} could not be found on container {name}")
            })?;
            if !from.exists() {
                return Err(Error::InvalidArgument(format!(
                    "{src:?} could not be found on container {name}: no such file or directory"
                )));
            }
            let followed = from.path().to_string_lossy().into_owned();
            let src = if followed != src_in_root {
                followed.as_str()
            } else {
                src
            };
            match target {
                CopyTarget::Tar(out) => {
                    pack(&from, Some(&base_name(src, "rootfs")), out).map_err(Error::from)
                }
                CopyTarget::Path(dest) => {
                    let to = locate(Located::on_host(dest), &dest.display().to_string(), || {
                        format!(
                            "{:?} could not be found on the host",
                            dest.display().to_string()
                        )
                    })?;
                    let owner = (
                        nix::unistd::geteuid().as_raw(),
                        nix::unistd::getegid().as_raw(),
                    );
                    transfer(&from, src, &to, &dest.to_string_lossy(), Some(owner), false)
                }
            }
        })
    }

    /// Copies a host path or a tar stream to `dest` (a path in the container). With
    /// `chown` (`cp --archive`, the default) the files are owned by the container's
    /// user, else they keep the owners they have. With `overwrite` (`cp --overwrite`) a
    /// directory in the way of a file is replaced instead of being an error.
    pub fn copy_in(
        &mut self,
        source: CopySource<'_>,
        dest: &str,
        chown: bool,
        overwrite: bool,
    ) -> Result<()> {
        let name = self.name().to_string();
        self.copy_in_inner(source, dest, chown, overwrite)
            .map_err(|e| e.naming_no_space(&format!("copy into container {name}")))
    }

    fn copy_in_inner(
        &mut self,
        source: CopySource<'_>,
        dest: &str,
        chown: bool,
        overwrite: bool,
    ) -> Result<()> {
        let name = self.name().to_string();
        let user = self.config.user.clone();
        let mapped = self.mount_for(dest)?;
        self.with_rootfs(|root| {
            let owner = chown.then(|| super::spec::resolve_user(root, &user).unwrap_or((0, 0)));
            let (root, dest_in_root) = match &mapped {
                Some((host, rel)) => (host.as_path(), rel.as_str()),
                None => (root, dest),
            };
            let to = locate(Located::in_root(root, dest_in_root), dest, || {
                format!("{dest:?} could not be found on container {name}")
            })?;
            match source {
                CopySource::Tar(input) => {
                    if !to.exists() {
                        return Err(Error::NoSuchPath {
                            path: dest.to_string(),
                            container: name.clone(),
                        });
                    }
                    let dir = to.as_dir()?.ok_or_else(|| {
                        Error::InvalidArgument(format!(
                            "destination {dest:?} must be a directory when copying from stdin"
                        ))
                    })?;
                    unpack(input, &dir, UnpackOptions { owner, overwrite }).map_err(Error::from)
                }
                CopySource::Path(src) => {
                    let text = src.to_string_lossy().into_owned();
                    let from = locate(Located::on_host(src), &text, || {
                        format!("{text:?} could not be found on the host")
                    })?;
                    if !from.exists() {
                        return Err(Error::InvalidArgument(format!(
                            "{text:?} could not be found on the host: no such file or directory"
                        )));
                    }
                    transfer(&from, &text, &to, dest, owner, overwrite)
                }
            }
        })
    }

    /// When `path` lies in a bind mount or volume of the container, the host
    /// directory behind it and the path relative to that directory: copies
    /// go there, as they would inside the container.
    fn mount_for(&self, path: &str) -> Result<Option<(std::path::PathBuf, String)>> {
        let path = format!("/{}", path.trim_matches('/'));
        let mut best: Option<(&super::MountSpec, usize)> = None;
        for m in &self.config.mounts {
            if !matches!(m.kind, super::MountKind::Bind | super::MountKind::Volume) {
                continue;
            }
            let dest = format!("/{}", m.destination.trim_matches('/'));
            let inside = path == dest || dest == "/" || path.starts_with(&format!("{dest}/"));
            if inside && best.is_none_or(|(_, len)| dest.len() > len) {
                best = Some((m, dest.len()));
            }
        }
        let Some((m, len)) = best else {
            return Ok(None);
        };
        let host = match (&m.kind, &m.source, &m.volume) {
            (super::MountKind::Bind, Some(src), _) => src.clone(),
            (super::MountKind::Volume, _, Some(name)) => self.rt.volume(name)?.mountpoint,
            _ => return Ok(None),
        };
        let rel = format!("/{}", path[len.min(path.len())..].trim_start_matches('/'));
        Ok(Some((host, rel)))
    }

    /// Runs `f` with the root file system mounted; unmounts it afterwards if it was not
    /// mounted before and the container is not running.
    pub(crate) fn with_rootfs<T>(&mut self, f: impl FnOnce(&Path) -> Result<T>) -> Result<T> {
        let (root, was_mounted) = {
            let _guard = self.lock()?;
            let was_mounted = self.state.mount_point.is_some();
            (self.mount_rootfs()?, was_mounted)
        };
        let result = f(&root);
        if !was_mounted {
            let _guard = self.lock()?;
            if !self.state.status.is_active() && self.state.status != ContainerStatus::Created {
                self.unmount_rootfs();
                self.save()?;
            }
        }
        result
    }
}

/// Turns a lookup failure whose parent directory is missing into a clear "not found".
fn locate(
    found: storage::Result<Located>,
    _path: &str,
    what: impl FnOnce() -> String,
) -> Result<Located> {
    match found {
        Ok(l) => Ok(l),
        Err(e) if e.is_not_found() => Err(Error::InvalidArgument(format!(
            "{}: no such file or directory",
            what()
        ))),
        Err(e) => Err(e.into()),
    }
}

/// The name a copied object gets: the last component of its path (`default` for `/`).
impl crate::Runtime {
    /// `cp FROM:SRC TO:DEST`: the copy out of one container lands in a private host
    /// directory and is copied into the other from there, so the naming rules of both
    /// copies hold (a missing DEST is the new name; `SRC/.` copies the contents). The
    /// files get TO's user as owner with `chown`, else the owner rpod runs as.
    pub fn copy_between(
        &self,
        (from, src): (&str, &str),
        (to, dest): (&str, &str),
        chown: bool,
        overwrite: bool,
    ) -> Result<()> {
        let stage = tempfile::Builder::new()
            .prefix("rpod-cp-")
            .tempdir()
            .ctx(|| "creating a directory for the copy".to_string())?;
        let staged = stage.path().join(base_name(src, "rootfs"));
        self.container(from)?
            .copy_out(src, CopyTarget::Path(&staged))?;
        let contents_only = src.ends_with("/.") || src == ".";
        let source = if contents_only {
            staged.join(".")
        } else {
            staged
        };
        self.container(to)?
            .copy_in(CopySource::Path(&source), dest, chown, overwrite)
    }
}

fn base_name(path: &str, default: &str) -> String {
    let trimmed = path.trim_end_matches("/.").trim_end_matches('/');
    match trimmed.rsplit('/').next() {
        Some("") | Some(".") | Some("..") | None => default.to_string(),
        Some(name) => name.to_string(),
    }
}

/// Where the copy of `from` goes below `to`: the directory to unpack in and the top-level
/// name (`None`: the source directory's contents).
fn plan(
    from: &Located,
    src: &str,
    to: &Located,
    dest: &str,
) -> Result<(DirHandle, Option<String>)> {
    let meta = from
        .metadata()
        .ok_or_else(|| Error::InvalidArgument(format!("{src:?}: no such file or directory")))?;
    let src_is_dir = from.name().is_none() || meta.is_dir();
    let contents_only = src.ends_with("/.") || src == "." || base_name(src, "").is_empty();
    let dest_dir = to.as_dir()?;
    if src_is_dir {
        if let Some(dir) = dest_dir {
            let top = (!contents_only).then(|| base_name(src, "rootfs"));
            return Ok((dir, top));
        }
        if to.exists() {
            return Err(Error::InvalidArgument(format!(
                "cannot copy directory {src:?} to non-directory {dest:?}"
            )));
        }
    } else if let Some(dir) = dest_dir {
        return Ok((dir, Some(base_name(src, "rootfs"))));
    } else if dest.ends_with('/') {
        return Err(Error::InvalidArgument(format!(
            "destination directory {dest:?} does not exist"
        )));
    }
    let name = to
        .name()
        .map(|n| n.to_string_lossy().into_owned())
        .ok_or_else(|| Error::InvalidArgument(format!("invalid destination {dest:?}")))?;
    let parent = to.parent().try_clone()?;
    Ok((parent, Some(name)))
}

/// Packs `from` in one thread and unpacks it below `to` in this one, through a pipe.
fn transfer(
    from: &Located,
    src: &str,
    to: &Located,
    dest: &str,
    owner: Option<(u32, u32)>,
    overwrite: bool,
) -> Result<()> {
    let (dir, top) = plan(from, src, to, dest)?;
    let (reader, writer) = nix::unistd::pipe()
        .map_err(std::io::Error::from)
        .ctx(|| "creating a pipe".to_string())?;
    let mut reader = std::fs::File::from(reader);
    let mut writer = std::fs::File::from(writer);
    std::thread::scope(|scope| {
        let packer = scope.spawn(move || pack(from, top.as_deref(), &mut writer));
        let unpacked = unpack(&mut reader, &dir, UnpackOptions { owner, overwrite });
        drop(reader);
        let packed = packer.join().unwrap_or_else(|_| {
            Err(storage::Error::Archive(std::io::Error::other(
                "copy thread panicked",
            )))
        });
        // The unpacker's error first: when it stops (a full disk), the
        // packer only sees the pipe close.
        unpacked?;
        packed?;
        Ok(())
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn base_names() {
        assert_eq!(base_name("/a/b", "x"), "b");
        assert_eq!(base_name("/a/b/", "x"), "b");
        assert_eq!(base_name("/a/b/.", "x"), "b");
        assert_eq!(base_name("/", "x"), "x");
    }
}
