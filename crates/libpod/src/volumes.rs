//! Named volumes (the `local` driver): directories under
//! `<root>/volumes/<name>/_data`, or a file system mounted there
//! (`--opt type=tmpfs|…,device=…,o=…`), recorded in the state database.

use std::collections::BTreeMap;
use std::io::{Read, Write};
use std::path::{Path, PathBuf};

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use crate::error::{Error, IoContext, Result};
use crate::ids::new_id;
use crate::runtime::Runtime;

/// A volume's settings, written at creation.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct VolumeConfig {
    pub name: String,
    pub driver: String,
    pub labels: BTreeMap<String, String>,
    /// `type`, `device`, `o` (mount options), as `--opt` gave them.
    pub options: BTreeMap<String, String>,
    pub created_at: DateTime<Utc>,
    /// Made for one container (`-v /path`, an image VOLUME).
    pub anonymous: bool,
}

/// What changes about a volume.
#[derive(Debug, Clone, Default, Serialize, Deserialize, PartialEq)]
pub struct VolumeState {
    /// Image content still to be copied in at its first use.
    pub needs_copy_up: bool,
}

/// A volume of an open [`Runtime`].
#[derive(Debug, Clone)]
pub struct Volume {
    pub config: VolumeConfig,
    pub state: VolumeState,
    /// The directory containers see.
    pub mountpoint: PathBuf,
}

/// `volume inspect` output (Podman's field names).
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct VolumeInspect {
    pub name: String,
    pub driver: String,
    pub mountpoint: String,
    pub created_at: DateTime<Utc>,
    pub labels: BTreeMap<String, String>,
    pub scope: String,
    pub options: BTreeMap<String, String>,
    /// Left out when false, as Podman does.
    #[serde(skip_serializing_if = "is_false")]
    pub anonymous: bool,
    /// Containers using the volume's own mount (rpod counts none).
    pub mount_count: u32,
    pub needs_copy_up: bool,
    /// Ownership still to be set from the first container's mount point
    /// (with the copy-up); left out when false, as Podman does.
    #[serde(skip_serializing_if = "is_false")]
    pub needs_chown: bool,
}

fn is_false(b: &bool) -> bool {
    !*b
}

/// Checks a volume name: `[a-zA-Z0-9][a-zA-Z0-9_.-]*`.
pub fn validate_volume_name(name: &str) -> Result<()> {
    if crate::ids::is_valid_name(name) {
        Ok(())
    } else {
        Err(Error::InvalidArgument(format!(
            "invalid volume name {name:?}: names must match [a-zA-Z0-9][a-zA-Z0-9_.-]*"
        )))
    }
}

impl Volume {
    pub fn name(&self) -> &str {
        &self.config.name
    }

    pub fn inspect(&self) -> VolumeInspect {
        VolumeInspect {
            name: self.config.name.clone(),
            driver: self.config.driver.clone(),
            mountpoint: self.mountpoint.display().to_string(),
            created_at: self.config.created_at,
            labels: self.config.labels.clone(),
            scope: "local".into(),
            options: self.config.options.clone(),
            anonymous: self.config.anonymous,
            mount_count: 0,
            needs_copy_up: self.state.needs_copy_up,
            needs_chown: self.state.needs_copy_up,
        }
    }

    /// Whether the volume is backed by a mount of its own (`--opt type=…`).
    fn has_mount(&self) -> bool {
        self.config.options.contains_key("type") || self.config.options.contains_key("device")
    }
}

impl Runtime {
    fn volume_dir(&self, name: &str) -> PathBuf {
        self.paths.volumes().join(name)
    }

    fn volume_from(&self, config: VolumeConfig, state: VolumeState) -> Volume {
        let mountpoint = self.volume_dir(&config.name).join("_data");
        Volume {
            config,
            state,
            mountpoint,
        }
    }

    /// Creates a volume (a generated name when `name` is `None`).
    pub fn create_volume(
        &self,
        name: Option<&str>,
        labels: BTreeMap<String, String>,
        options: BTreeMap<String, String>,
        anonymous: bool,
    ) -> Result<Volume> {
        let name = match name {
            Some(n) => {
                validate_volume_name(n)?;
                n.to_string()
            }
            None => new_id()?,
        };
        for key in options.keys() {
            if !matches!(key.as_str(), "type" | "device" | "o") {
                return Err(Error::InvalidArgument(format!(
                    "invalid volume option {key:?} for the local driver (supported: type, device, o)"
                )));
            }
        }
        let config = VolumeConfig {
            name: name.clone(),
            driver: "local".into(),
            labels,
            options,
            created_at: Utc::now(),
            anonymous,
        };
        let state = VolumeState {
            needs_copy_up: true,
        };
        let data = self.volume_dir(&name).join("_data");
        std::fs::create_dir_all(&data).ctx(|| format!("creating {}", data.display()))?;
        if !self.db.add_volume(
            &name,
            &config,
            &state,
            config.created_at.timestamp_nanos_opt().unwrap_or_default(),
        )? {
            return Err(Error::InvalidArgument(format!(
                "volume with name {name} already exists"
            )));
        }
        let volume = self.volume_from(config, state);
        self.volume_event(&name, "create");
        Ok(volume)
    }

    /// A volume by name.
    pub fn volume(&self, name: &str) -> Result<Volume> {
        let (config, state) = self
            .db
            .volume::<VolumeConfig, VolumeState>(name)?
            .ok_or_else(|| Error::NoSuchVolume(name.to_string()))?;
        Ok(self.volume_from(config, state))
    }

    pub fn volume_exists(&self, name: &str) -> Result<bool> {
        Ok(self.db.volume::<VolumeConfig, VolumeState>(name)?.is_some())
    }

    /// Every volume, oldest first.
    pub fn volumes(&self) -> Result<Vec<Volume>> {
        Ok(self
            .db
            .all_volumes::<VolumeConfig, VolumeState>()?
            .into_iter()
            .map(|(c, s)| self.volume_from(c, s))
            .collect())
    }

    /// Names of the containers that mount volume `name`.
    pub fn volume_users(&self, name: &str) -> Result<Vec<(String, String)>> {
        Ok(self
            .db
            .all_containers()?
            .into_iter()
            .filter(|(c, _)| c.mounts.iter().any(|m| m.volume.as_deref() == Some(name)))
            .map(|(c, _)| (c.id, c.name))
            .collect())
    }

    /// Removes a volume; one in use is refused unless `force`, which removes
    /// the containers using it first (killing running ones at once).
    /// Returns the IDs of those containers.
    pub fn remove_volume(&self, name: &str, force: bool) -> Result<Vec<String>> {
        self.remove_volume_stopping(name, force, Some(0))
    }

    /// [`Self::remove_volume`], stopping running users within `timeout`
    /// seconds before SIGKILL (`volume rm -f -t`; `None`: their stop timeout).
    pub fn remove_volume_stopping(
        &self,
        name: &str,
        force: bool,
        timeout: Option<u32>,
    ) -> Result<Vec<String>> {
        let volume = self.volume(name)?;
        let users = self.volume_users(name)?;
        if !users.is_empty() && !force {
            return Err(Error::VolumeInUse {
                volume: name.to_string(),
                containers: users.iter().map(|(_, n)| n.clone()).collect(),
            });
        }
        let mut removed = Vec::new();
        for (id, _) in &users {
            if let Ok(mut c) = self.container(id) {
                removed.extend(c.remove(true, timeout)?);
            }
        }
        if volume.has_mount() {
            unmount_if_mounted(&volume.mountpoint)?;
        }
        let dir = self.volume_dir(name);
        if dir.exists() {
            std::fs::remove_dir_all(&dir).ctx(|| format!("removing {}", dir.display()))?;
        }
        self.db.remove_volume(name)?;
        self.volume_event(name, "remove");
        Ok(removed)
    }

    /// The volumes `volume prune` would remove: unused, and selected by
    /// `filters`.
    pub fn prunable_volumes(&self, filters: &crate::query::PruneFilters) -> Result<Vec<String>> {
        let mut names = Vec::new();
        for v in self.volumes()? {
            if filters.matches(&v.config.labels, v.config.created_at)
                && (!filters.anonymous_only || v.config.anonymous)
                && self.volume_users(v.name())?.is_empty()
            {
                names.push(v.config.name);
            }
        }
        Ok(names)
    }

    /// Removes every volume no container uses, of those `filters` select;
    /// returns their names.
    pub fn prune_volumes(&self, filters: &crate::query::PruneFilters) -> Result<Vec<String>> {
        let mut pruned = Vec::new();
        for name in self.prunable_volumes(filters)? {
            match self.remove_volume(&name, false) {
                Ok(_) => pruned.push(name),
                // Taken into use or removed meanwhile.
                Err(Error::NoSuchVolume(_) | Error::VolumeInUse { .. }) => {}
                Err(e) => return Err(e),
            }
        }
        Ok(pruned)
    }

    /// Writes the volume's content as a tar stream.
    pub fn export_volume(&self, name: &str, out: &mut dyn Write) -> Result<()> {
        let volume = self.volume(name)?;
        self.mount_volume(&volume)?;
        let mut builder = tar::Builder::new(out);
        builder.follow_symlinks(false);
        builder
            .append_dir_all(".", &volume.mountpoint)
            .and_then(|_| builder.finish())
            .ctx(|| format!("exporting volume {name}"))
    }

    /// Unpacks a tar stream into the volume (safely: nothing outside it is
    /// written, whatever the archive holds).
    pub fn import_volume(&self, name: &str, input: &mut dyn Read) -> Result<()> {
        let volume = self.volume(name)?;
        self.mount_volume(&volume)?;
        let mut archive = tar::Archive::new(input);
        archive.set_preserve_permissions(true);
        archive.set_overwrite(true);
        for entry in archive
            .entries()
            .ctx(|| format!("reading the archive for volume {name}"))?
        {
            let mut entry = entry.ctx(|| format!("reading the archive for volume {name}"))?;
            // `unpack_in` refuses entries that would land outside the directory.
            entry
                .unpack_in(&volume.mountpoint)
                .ctx(|| format!("importing into volume {name}"))?;
        }
        self.mark_copied_up(&volume)
    }

    /// `volume mount`: mounts the volume's own file system when it has one (as a
    /// container's start does) and returns where its data is.
    pub fn volume_mount(&self, name: &str) -> Result<PathBuf> {
        let volume = self.volume(name)?;
        self.mount_volume(&volume)?;
        Ok(volume.mountpoint.clone())
    }

    /// `volume unmount`: unmounts the volume's own file system, refused while a running
    /// container uses it; returns the volume's name.
    pub fn volume_unmount(&self, name: &str) -> Result<String> {
        let volume = self.volume(name)?;
        for (id, ctr) in self.volume_users(volume.name())? {
            if self.container(&id).is_ok_and(|c| c.status().is_active()) {
                return Err(Error::InvalidArgument(format!(
                    "volume {} is being used by the running container {ctr}",
                    volume.name()
                )));
            }
        }
        if volume.has_mount() {
            unmount_if_mounted(&volume.mountpoint)?;
        }
        Ok(volume.name().to_string())
    }

    /// Mounts the volume's own file system (`--opt type=…`) if it has one and
    /// it is not mounted yet.
    pub(crate) fn mount_volume(&self, volume: &Volume) -> Result<()> {
        if !volume.has_mount() || crate::fsutil::is_mount_point(&volume.mountpoint) {
            return Ok(());
        }
        let opts = &volume.config.options;
        let fstype = opts.get("type").map(String::as_str).unwrap_or("none");
        let device = opts.get("device").map(String::as_str).unwrap_or(fstype);
        let (mut flags, mut data) = (nix::mount::MsFlags::empty(), Vec::new());
        for o in opts
            .get("o")
            .map(String::as_str)
            .unwrap_or("")
            .split(',')
            .filter(|o| !o.is_empty())
        {
            match o {
                "bind" | "rbind" => {
                    flags |= nix::mount::MsFlags::MS_BIND | nix::mount::MsFlags::MS_REC
                }
                "ro" => flags |= nix::mount::MsFlags::MS_RDONLY,
                "nodev" => flags |= nix::mount::MsFlags::MS_NODEV,
                "noexec" => flags |= nix::mount::MsFlags::MS_NOEXEC,
                "nosuid" => flags |= nix::mount::MsFlags::MS_NOSUID,
                other => data.push(other),
            }
        }
        let data = data.join(",");
        nix::mount::mount(
            Some(device),
            &volume.mountpoint,
            Some(fstype),
            flags,
            (!data.is_empty()).then_some(data.as_str()),
        )
        .map_err(|e| Error::Io {
            context: format!("mounting volume {} ({fstype} {device})", volume.name()),
            source: e.into(),
        })
    }

    pub(crate) fn mark_copied_up(&self, volume: &Volume) -> Result<()> {
        if volume.state.needs_copy_up {
            self.db.save_volume_state(
                volume.name(),
                &VolumeState {
                    needs_copy_up: false,
                },
            )?;
        }
        Ok(())
    }

    fn volume_event(&self, name: &str, status: &str) {
        self.events.write(&crate::events::Event {
            id: name.to_string(),
            image: String::new(),
            name: name.to_string(),
            status: status.to_string(),
            time: Utc::now(),
            kind: "volume".into(),
            network: String::new(),
            exit_code: None,
            attributes: Default::default(),
        });
    }
}

fn unmount_if_mounted(path: &Path) -> Result<()> {
    if crate::fsutil::is_mount_point(path) {
        nix::mount::umount2(path, nix::mount::MntFlags::MNT_DETACH).map_err(|e| Error::Io {
            context: format!("unmounting {}", path.display()),
            source: e.into(),
        })?;
    }
    Ok(())
}

/// Copies `src` (a directory inside a container's root file system) into
/// `dst`, preserving owners, modes and symlinks, never following a symlink.
pub(crate) fn copy_tree(src: &Path, dst: &Path) -> Result<()> {
    use std::os::unix::fs::{MetadataExt, PermissionsExt};
    for entry in std::fs::read_dir(src).ctx(|| format!("reading {}", src.display()))? {
        let entry = entry.ctx(|| format!("reading {}", src.display()))?;
        let from = entry.path();
        let to = dst.join(entry.file_name());
        let meta =
            std::fs::symlink_metadata(&from).ctx(|| format!("reading {}", from.display()))?;
        let ft = meta.file_type();
        if ft.is_symlink() {
            let target = std::fs::read_link(&from).ctx(|| format!("reading {}", from.display()))?;
            std::os::unix::fs::symlink(&target, &to)
                .ctx(|| format!("creating {}", to.display()))?;
        } else if ft.is_dir() {
            std::fs::create_dir_all(&to).ctx(|| format!("creating {}", to.display()))?;
            copy_tree(&from, &to)?;
        } else if ft.is_file() {
            std::fs::copy(&from, &to).ctx(|| format!("copying {}", from.display()))?;
        } else {
            continue;
        }
        let _ = std::os::unix::fs::lchown(&to, Some(meta.uid()), Some(meta.gid()));
        if !ft.is_symlink() {
            let _ = std::fs::set_permissions(
                &to,
                std::fs::Permissions::from_mode(meta.mode() & 0o7777),
            );
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names() {
        assert!(validate_volume_name("data-1.x_y").is_ok());
        assert!(validate_volume_name("").is_err());
        assert!(validate_volume_name("a/b").is_err());
        assert!(validate_volume_name("-a").is_err());
    }

    #[test]
    fn copy_tree_keeps_links_and_modes() {
        use std::os::unix::fs::PermissionsExt;
        let src = tempfile::tempdir().unwrap();
        let dst = tempfile::tempdir().unwrap();
        std::fs::create_dir(src.path().join("d")).unwrap();
        std::fs::write(src.path().join("d/f"), "x").unwrap();
        std::fs::set_permissions(
            src.path().join("d/f"),
            std::fs::Permissions::from_mode(0o751),
        )
        .unwrap();
        std::os::unix::fs::symlink("/etc/passwd", src.path().join("l")).unwrap();
        copy_tree(src.path(), dst.path()).unwrap();
        assert_eq!(
            std::fs::read_to_string(dst.path().join("d/f")).unwrap(),
            "x"
        );
        let mode = std::fs::metadata(dst.path().join("d/f"))
            .unwrap()
            .permissions()
            .mode()
            & 0o777;
        assert_eq!(mode, 0o751);
        assert_eq!(
            std::fs::read_link(dst.path().join("l")).unwrap(),
            Path::new("/etc/passwd")
        );
    }
}
