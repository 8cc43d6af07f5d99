//! A container's volumes: naming anonymous ones at create time, creating
//! the records, copying image content into fresh volumes, and removing
//! anonymous ones with the container.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use super::mounts::{MountKind, MountSpec};
use super::Container;
use crate::error::{Error, Result};
use crate::ids::new_id;
use crate::runtime::Runtime;
use crate::volumes::{copy_tree, Volume};

impl Runtime {
    /// Completes the mounts of a new container: anonymous volumes get a
    /// name, the image's VOLUMEs not covered by a user mount become
    /// anonymous volumes, and bind sources must exist.
    pub(crate) fn resolve_mounts(
        &self,
        mut mounts: Vec<MountSpec>,
        image_volumes: &[String],
        image_volume: super::options::ImageVolumeMode,
        volumes_from: &[String],
    ) -> Result<Vec<MountSpec>> {
        // `--volumes-from`: the other containers' mounts where this one has
        // none at the same place, read-only or read-write as asked (else as
        // they are there).
        for spec in volumes_from {
            let (name, mode) = match spec.rsplit_once(':') {
                Some((n, m @ ("ro" | "rw" | "z" | "Z"))) => (n, Some(m)),
                _ => (spec.as_str(), None),
            };
            let other = self
                .container(name)
                .map_err(|e| Error::InvalidArgument(format!("--volumes-from {spec}: {e}")))?;
            for m in &other.config().mounts {
                // Volumes and bind mounts are shared; a tmpfs is the other's alone.
                if !matches!(m.kind, MountKind::Volume | MountKind::Bind) {
                    continue;
                }
                let dest = m.destination.trim_end_matches('/');
                if mounts
                    .iter()
                    .any(|x| x.destination.trim_end_matches('/') == dest)
                {
                    continue;
                }
                let mut m = m.clone();
                if let Some(mode @ ("ro" | "rw")) = mode {
                    m.options.retain(|o| o != "ro" && o != "rw");
                    m.options.push(mode.to_string());
                }
                // The volume is shared, not this container's own.
                m.anonymous = false;
                mounts.push(m);
            }
        }
        for m in &mut mounts {
            if m.kind == MountKind::Volume && m.volume.is_none() {
                m.volume = Some(new_id()?);
                m.anonymous = true;
            }
            if m.kind == MountKind::Bind {
                if let Some(src) = &m.source {
                    if !src.exists() {
                        return Err(Error::InvalidArgument(format!(
                            "bind mount source {} does not exist: no such file or directory",
                            src.display()
                        )));
                    }
                }
            }
        }
        let mut seen: Vec<String> = Vec::new();
        for m in &mounts {
            let dest = m.destination.trim_end_matches('/').to_string();
            if seen.contains(&dest) {
                return Err(Error::InvalidArgument(format!(
                    "duplicate mount destination {dest}"
                )));
            }
            seen.push(dest);
        }
        for path in image_volumes {
            let dest = path.trim_end_matches('/');
            if dest.is_empty() || seen.iter().any(|d| d == dest) {
                continue;
            }
            match image_volume {
                super::options::ImageVolumeMode::Ignore => {}
                super::options::ImageVolumeMode::Tmpfs => {
                    mounts.push(MountSpec::parse_tmpfs(dest)?);
                }
                super::options::ImageVolumeMode::Bind => {
                    let mut m = MountSpec::parse_volume(dest)?;
                    m.volume = Some(new_id()?);
                    mounts.push(m);
                }
            }
        }
        Ok(mounts)
    }
}

impl Container<'_> {
    /// Creates the records of the container's volumes that do not exist yet
    /// (named volumes are created on first use, as Podman does).
    pub(crate) fn create_volumes(&self) -> Result<()> {
        for m in self
            .config
            .mounts
            .iter()
            .filter(|m| m.kind == MountKind::Volume)
        {
            let Some(name) = &m.volume else { continue };
            if !self.rt.volume_exists(name)? {
                self.rt
                    .create_volume(Some(name), BTreeMap::new(), BTreeMap::new(), m.anonymous)?;
            }
        }
        Ok(())
    }

    /// The host directory for each volume mount, after mounting its file
    /// system and copying image content into a fresh volume.
    pub(crate) fn prepare_volume(&self, m: &MountSpec, rootfs: &Path) -> Result<PathBuf> {
        let name = m.volume.as_deref().ok_or_else(|| {
            Error::InvalidArgument(format!("volume mount at {} has no volume", m.destination))
        })?;
        let volume = match self.rt.volume(name) {
            Ok(v) => v,
            // Removed behind our back (or never made): make it again.
            Err(_) => {
                self.rt
                    .create_volume(Some(name), BTreeMap::new(), BTreeMap::new(), m.anonymous)?
            }
        };
        self.rt.mount_volume(&volume)?;
        if volume.state.needs_copy_up && self.has_userns() {
            // A fresh volume belongs to the container's root.
            let (uid, gid) = self.mapped_root();
            std::os::unix::fs::lchown(&volume.mountpoint, Some(uid), Some(gid)).map_err(
                |source| Error::Io {
                    context: format!("changing the owner of {}", volume.mountpoint.display()),
                    source,
                },
            )?;
        }
        if self.has_userns() {
            super::userns::ensure_traversable(&volume.mountpoint)?;
        }
        if volume.state.needs_copy_up {
            if m.copy_up() {
                copy_up(&volume, rootfs, &m.destination)?;
            }
            self.rt.mark_copied_up(&volume)?;
        }
        Ok(volume.mountpoint)
    }

    /// Names of the container's anonymous volumes.
    pub(crate) fn anonymous_volumes(&self) -> Vec<String> {
        self.config
            .mounts
            .iter()
            .filter(|m| m.kind == MountKind::Volume && m.anonymous)
            .filter_map(|m| m.volume.clone())
            .collect()
    }
}

/// Copies what the image has at `dest` into an empty volume. A path that
/// goes through a symlink is not copied (it could point out of the root).
fn copy_up(volume: &Volume, rootfs: &Path, dest: &str) -> Result<()> {
    let mut src = rootfs.to_path_buf();
    for part in dest.split('/').filter(|p| !p.is_empty()) {
        src.push(part);
        match std::fs::symlink_metadata(&src) {
            Ok(m) if m.file_type().is_dir() => {}
            _ => return Ok(()),
        }
    }
    let empty = std::fs::read_dir(&volume.mountpoint)
        .map(|mut d| d.next().is_none())
        .unwrap_or(false);
    if empty {
        copy_tree(&src, &volume.mountpoint)?;
    }
    Ok(())
}
