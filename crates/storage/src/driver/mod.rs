//! Storage drivers: how a container's root filesystem is built from image layers.

mod detect;
mod overlay;
mod vfs;

use std::fmt;
use std::path::{Path, PathBuf};
use std::str::FromStr;

use serde::{Deserialize, Serialize};

use crate::error::{Error, Result};

pub(crate) use detect::detect;

/// The storage driver of a store.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum DriverKind {
    /// overlayfs: image layers are shared read-only lower directories, each container gets an
    /// upper and a work directory.
    Overlay,
    /// Plain directories: each container gets a full copy of its image.
    Vfs,
}

impl DriverKind {
    /// The driver's name as used in configuration files and on the command line.
    pub fn as_str(self) -> &'static str {
        match self {
            DriverKind::Overlay => "overlay",
            DriverKind::Vfs => "vfs",
        }
    }
}

impl fmt::Display for DriverKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for DriverKind {
    type Err = Error;

    fn from_str(s: &str) -> Result<DriverKind> {
        match s {
            "overlay" | "overlay2" => Ok(DriverKind::Overlay),
            "vfs" => Ok(DriverKind::Vfs),
            other => Err(Error::UnknownDriver(other.to_string())),
        }
    }
}

/// Provides the diff directories of a container's image layers, bottom first. Only called
/// when a driver actually needs them.
pub(crate) type LayerDirs<'a> = &'a dyn Fn() -> Result<Vec<PathBuf>>;

/// Operations a driver performs inside a container directory (`containers/<id>/`).
pub(crate) trait Driver: fmt::Debug + Send + Sync {
    /// Which driver this is.
    fn kind(&self) -> DriverKind;

    /// Populates a fresh (staging) container directory for an image with `layers` (diff
    /// directories, bottom first; empty for containers without an image).
    fn create(&self, container_dir: &Path, layers: &[PathBuf]) -> Result<()>;

    /// Where the root filesystem appears once mounted.
    fn mount_point(&self, container_dir: &Path) -> PathBuf;

    /// Makes the root filesystem available at [`Driver::mount_point`]; idempotent.
    fn mount(&self, container_dir: &Path, layers: LayerDirs<'_>) -> Result<PathBuf>;

    /// Like [`Driver::mount`], with the image's files owned as the user
    /// namespace `maps` describes them (see `idmap.rs`); idempotent.
    fn mount_mapped(
        &self,
        container_dir: &Path,
        layers: LayerDirs<'_>,
        maps: &crate::idmap::IdMaps,
    ) -> Result<PathBuf>;

    /// Undoes [`Driver::mount`]; idempotent.
    fn unmount(&self, container_dir: &Path) -> Result<()>;

    /// Whether the root filesystem is currently available at the mount point.
    fn is_mounted(&self, container_dir: &Path) -> Result<bool>;

    /// The directory holding the container's own changes.
    fn writable_dir(&self, container_dir: &Path) -> PathBuf;
}

/// The driver implementation for `kind`.
pub(crate) fn new_driver(kind: DriverKind, mount_program: Option<PathBuf>) -> Box<dyn Driver> {
    match kind {
        DriverKind::Overlay => Box::new(overlay::Overlay { mount_program }),
        DriverKind::Vfs => Box::new(vfs::Vfs),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn driver_kind_round_trips_through_strings() {
        for kind in [DriverKind::Overlay, DriverKind::Vfs] {
            assert_eq!(kind.to_string().parse::<DriverKind>().unwrap(), kind);
        }
        assert!(matches!(
            "btrfs".parse::<DriverKind>(),
            Err(Error::UnknownDriver(_))
        ));
    }
}
