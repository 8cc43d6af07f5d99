//! Options for opening a store and importing images.

use std::path::PathBuf;

use crate::driver::DriverKind;

/// Where a store lives and which driver it uses.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct StoreOptions {
    /// Persistent data, e.g. `/var/lib/rpod/storage`.
    pub root: PathBuf,
    /// Volatile state, e.g. `/run/rpod/storage`.
    pub run_root: PathBuf,
    /// `None`: the driver the store was initialised with, or for a new store overlay if the
    /// kernel supports it on the root's filesystem, else vfs.
    pub driver: Option<DriverKind>,
    /// Overlay: a FUSE program that mounts the overlay instead of the
    /// kernel (`fuse-overlayfs`, containers-storage's `mount_program`).
    /// Without one, the kernel mounts it, and fuse-overlayfs is used only
    /// when the kernel refuses inside a user namespace.
    pub mount_program: Option<PathBuf>,
}

/// How to describe an image created by [`crate::Store::import`].
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct ImportOptions {
    /// Names to give the image (normalised; moved away from images that had them).
    pub names: Vec<String>,
    /// Execution defaults (entrypoint, cmd, env, working dir, …).
    pub config: oci_spec::image::Config,
    /// Comment recorded in the image history.
    pub comment: Option<String>,
    /// "Created by" recorded in the image history.
    pub created_by: Option<String>,
    /// When the image was created (now when `None`).
    pub created: Option<chrono::DateTime<chrono::Utc>>,
    /// The platform recorded in the config (GOARCH and GOOS names; this
    /// host's when `None`), and the CPU variant.
    pub architecture: Option<String>,
    pub os: Option<String>,
    pub variant: Option<String>,
}

/// How to describe an image made by [`crate::Store::commit_container`]: the base image's
/// layers plus one layer of the container's changes.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct CommitOptions {
    /// Names to give the image (normalised; moved away from images that had them).
    pub names: Vec<String>,
    /// The new image's execution config (the caller merges the base image's, the
    /// container's and any changes).
    pub config: oci_spec::image::Config,
    /// Comment (commit message) recorded in the new history entry.
    pub comment: Option<String>,
    /// "Created by" recorded in the new history entry.
    pub created_by: Option<String>,
    /// Author of the image and of the new history entry.
    pub author: Option<String>,
    /// Docker's manifest and config media types instead of OCI's.
    pub docker: bool,
    /// `commit --squash`: the image is one layer holding this whole tree (the container's
    /// mounted root file system) instead of the base's layers plus the changes.
    pub squash_root: Option<std::path::PathBuf>,
}
