//! A container's changes: listing them (`diff`) and committing them as a new image.

use std::ffi::OsStr;
use std::fs::File;
use std::io::{BufWriter, Write};
use std::path::{Component, Path};

use chrono::Utc;

use super::Store;
use crate::archive::pack::Packer;
use crate::archive::DirHandle;
use crate::changes::{copy_changes, overlay_changes, Change, ChangeKind, LowerView};
use crate::driver::DriverKind;
use crate::error::{Error, IoContext, Result};
use crate::image::Image;
use crate::oci;
use crate::options::CommitOptions;

impl Store {
    /// The paths the container added, changed or deleted relative to its image, sorted.
    /// Containers without an image report everything as added.
    pub fn container_changes(&self, id: &str) -> Result<Vec<Change>> {
        let dir = self.containers.container_dir(id)?;
        let container = self.containers.get(id)?;
        let lower = LowerView::new(&self.base_layer_dirs(container.image.as_deref())?)?;
        let writable = self.driver.writable_dir(&dir);
        match self.driver.kind() {
            DriverKind::Overlay => overlay_changes(&writable, &lower),
            DriverKind::Vfs => copy_changes(&writable, &lower),
        }
    }

    /// The paths the image's top layer added, changed or deleted relative to the layers
    /// below it (its parent), sorted; a one-layer image adds everything.
    pub fn image_changes(&self, image_ref: &str) -> Result<Vec<Change>> {
        let image = self.images.lookup(image_ref)?;
        let mut dirs = self.layer_dirs(&image)?;
        let Some(top) = dirs.pop() else {
            return Ok(Vec::new());
        };
        overlay_changes(&top, &LowerView::new(&dirs)?)
    }

    /// Makes a new image from the container's image plus one layer holding the container's
    /// changes (an OCI layer: whiteouts as `.wh.<name>`, opaque directories marked with
    /// `.wh..wh..opq`), through the one commit path builds use ([`Store::commit_build`]).
    pub fn commit_container(&self, id: &str, opts: CommitOptions) -> Result<Image> {
        let container = self.containers.get(id)?;
        let image_id = container
            .image
            .clone()
            .ok_or_else(|| Error::ContainerNotFound(format!("{id} (it has no image)")))?;
        let base = self
            .images
            .find(&image_id)?
            .ok_or_else(|| Error::ImageNotFound(image_id.clone()))?;
        let base_config = self.image_config(&base)?;
        let created = Utc::now();
        let build = match &opts.squash_root {
            Some(root) => crate::BuildCommit {
                squash_tree: Some(root.clone()),
                names: opts.names.clone(),
                created: Some(created),
                docker: opts.docker,
                ..Default::default()
            },
            None => crate::BuildCommit {
                base: Some(image_id),
                container: Some(id.to_string()),
                names: opts.names.clone(),
                created: Some(created),
                docker: opts.docker,
                ..Default::default()
            },
        };
        self.commit_build(build, |layers| {
            oci::commit_config(&base_config, &opts, layers.new_diff_id.as_deref(), created)
                .map_err(|e| e.to_string())
        })
    }

    /// The diff directories of the image `image_id` (none without an image).
    fn base_layer_dirs(&self, image_id: Option<&str>) -> Result<Vec<std::path::PathBuf>> {
        match image_id {
            Some(image_id) => {
                let image = self
                    .images
                    .find(image_id)?
                    .ok_or_else(|| Error::ImageNotFound(image_id.to_string()))?;
                self.layer_dirs(&image)
            }
            None => Ok(Vec::new()),
        }
    }

    /// Writes the container's changes as an OCI layer tarball.
    pub(super) fn write_layer_tar(
        &self,
        container_dir: &Path,
        base: Image,
        out: &mut File,
    ) -> Result<()> {
        let writable = self.driver.writable_dir(container_dir);
        let root = DirHandle::open(&writable)?;
        let mut packer = Packer::new(BufWriter::new(&mut *out), true);
        match self.driver.kind() {
            DriverKind::Overlay => packer.dir_contents(&root, Path::new(""))?,
            DriverKind::Vfs => {
                let lower = LowerView::new(&self.layer_dirs(&base)?)?;
                for change in copy_changes(&writable, &lower)? {
                    let rel = Path::new(change.path.trim_start_matches('/'));
                    if change.kind == ChangeKind::Deleted {
                        packer.whiteout(rel)?;
                        continue;
                    }
                    let Some(name) = rel.file_name() else {
                        continue;
                    };
                    let parent = open_below(&root, rel.parent().unwrap_or(Path::new("")))?;
                    if let Some(meta) = parent.lstat(name)? {
                        packer.entry(&parent, name, rel, &meta, false)?;
                    }
                }
            }
        }
        packer.finish()?;
        out.flush().at("write", container_dir)
    }
}

/// Opens the directory `rel` below `root`, component by component, never following a
/// symlink.
fn open_below(root: &DirHandle, rel: &Path) -> Result<DirHandle> {
    let mut dir = root.try_clone()?;
    for component in rel.components() {
        if let Component::Normal(name) = component {
            dir = dir
                .open_child_dir(OsStr::new(name))
                .at("open directory", &dir.display_child(name))?;
        }
    }
    Ok(dir)
}
