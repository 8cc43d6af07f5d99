//! Container layer operations of the [`Store`].

use std::path::PathBuf;

use chrono::Utc;

use super::Store;
use crate::container::{Container, ContainerStore};
use crate::error::{Error, Result};
use crate::fsutil::{self, du, exists_nofollow, StagingDir};

impl Store {
    /// Creates the writable layer for container `id` on `image_id` (any reference
    /// [`Store::lookup_image`] accepts; recorded as the full ID). With `None` the container has
    /// no image: the caller uses its own rootfs path.
    ///
    /// Overlay: a few directories and one JSON file. Vfs: a full copy of the image.
    pub fn create_container(&self, id: &str, image_id: Option<&str>) -> Result<()> {
        let dest = self.containers.container_dir(id)?;
        let _guard = self.lock.lock()?;
        if exists_nofollow(&dest)? {
            return Err(Error::ContainerExists(id.to_string()));
        }
        let image = image_id.map(|r| self.images.lookup(r)).transpose()?;
        let layer_dirs = match &image {
            Some(image) => self.layer_dirs(image)?,
            None => Vec::new(),
        };
        let staging = StagingDir::new(&self.tmp)?;
        self.driver.create(staging.path(), &layer_dirs)?;
        let record = Container {
            id: id.to_string(),
            image: image.map(|image| image.id),
            created: Utc::now(),
        };
        ContainerStore::write_record(staging.path(), &record)?;
        if !staging.commit(&dest)? {
            return Err(Error::ContainerExists(id.to_string()));
        }
        Ok(())
    }

    /// Mounts the container's root filesystem and returns the mount point (overlay: lower
    /// directories are the image layers, top first; vfs: the copy, nothing to mount).
    /// Idempotent: an existing mount is reused.
    pub fn mount_container(&self, id: &str) -> Result<PathBuf> {
        let dir = self.containers.container_dir(id)?;
        let _guard = self.lock.lock()?;
        let container = self.containers.get(id)?;
        let layer_dirs = || match &container.image {
            Some(image_id) => {
                let image = self
                    .images
                    .find(image_id)?
                    .ok_or_else(|| Error::ImageNotFound(image_id.clone()))?;
                self.layer_dirs(&image)
            }
            None => Ok(Vec::new()),
        };
        self.driver.mount(&dir, &layer_dirs)
    }

    /// [`Store::mount_container`] for a container in a user namespace with
    /// `maps`: the image's files appear with their owners shifted (overlay:
    /// idmapped lower layers; vfs: the copy chowned once, recorded).
    pub fn mount_container_mapped(&self, id: &str, maps: &crate::IdMaps) -> Result<PathBuf> {
        let dir = self.containers.container_dir(id)?;
        let _guard = self.lock.lock()?;
        let container = self.containers.get(id)?;
        let layer_dirs = || match &container.image {
            Some(image_id) => {
                let image = self
                    .images
                    .find(image_id)?
                    .ok_or_else(|| Error::ImageNotFound(image_id.clone()))?;
                self.layer_dirs(&image)
            }
            None => Ok(Vec::new()),
        };
        self.driver.mount_mapped(&dir, &layer_dirs, maps)
    }

    /// The highest uid or gid owning a file in the layers of image
    /// `image_ref` (what a user namespace for it must at least map).
    pub fn image_max_id(&self, image_ref: &str) -> Result<u32> {
        let image = self.images.lookup(image_ref)?;
        let mut max = 0;
        for dir in self.layer_dirs(&image)? {
            max = max.max(crate::idmap::max_id_in(&dir)?);
        }
        Ok(max)
    }

    /// Unmounts the container's root filesystem; idempotent (also for unknown containers). A
    /// busy mount is detached lazily.
    pub fn unmount_container(&self, id: &str) -> Result<()> {
        let dir = self.containers.container_dir(id)?;
        let _guard = self.lock.lock()?;
        if !exists_nofollow(&dir)? {
            return Ok(());
        }
        self.driver.unmount(&dir)
    }

    /// Whether the container's root filesystem is mounted (vfs: whether the copy exists).
    /// Unknown containers are not mounted.
    pub fn is_mounted(&self, id: &str) -> Result<bool> {
        let dir = self.containers.container_dir(id)?;
        if !exists_nofollow(&dir)? {
            return Ok(false);
        }
        self.driver.is_mounted(&dir)
    }

    /// Where the container's root filesystem is (or would be) mounted.
    pub fn container_mount_point(&self, id: &str) -> PathBuf {
        self.driver
            .mount_point(&self.containers.container_dir_unchecked(id))
    }

    /// Unmounts if needed and deletes the container's layer; idempotent.
    pub fn remove_container(&self, id: &str) -> Result<()> {
        let dir = self.containers.container_dir(id)?;
        let _guard = self.lock.lock()?;
        if !exists_nofollow(&dir)? {
            return Ok(());
        }
        self.driver.unmount(&dir)?;
        fsutil::remove_via_tmp(&dir, &self.tmp)
    }

    /// IDs of all container layers, sorted.
    pub fn container_ids(&self) -> Result<Vec<String>> {
        self.containers.ids()
    }

    /// The record of one container layer.
    pub fn container(&self, id: &str) -> Result<Container> {
        self.containers.get(id)
    }

    /// The records of all container layers, sorted by ID.
    pub fn containers(&self) -> Result<Vec<Container>> {
        self.containers.list()
    }

    /// Bytes in the container's writable layer (overlay: the upper directory; vfs: the whole
    /// copy), as [`du`] counts them.
    pub fn container_rw_size(&self, id: &str) -> Result<u64> {
        let dir = self.containers.container_dir(id)?;
        if !exists_nofollow(&dir)? {
            return Err(Error::ContainerNotFound(id.to_string()));
        }
        du(&self.driver.writable_dir(&dir))
    }
}
