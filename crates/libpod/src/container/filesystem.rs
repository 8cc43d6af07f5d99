//! The container's file system as users reach it: `mount`/`umount`,
//! `export`, and its sizes.

use std::io::Write;
use std::path::PathBuf;

use super::{Container, ContainerStatus};
use crate::error::{IoContext, Result};

impl Container<'_> {
    /// Mounts the root file system for the user (`rpod mount`) and returns where.
    pub fn mount(&mut self) -> Result<PathBuf> {
        let _guard = self.lock()?;
        let path = self.mount_rootfs()?;
        self.event("mount");
        Ok(path)
    }

    /// Unmounts the root file system (`rpod umount`); refused while the
    /// container is created or running, since its processes use it.
    pub fn unmount(&mut self) -> Result<()> {
        let _guard = self.lock()?;
        if self.state.status.is_active() || self.state.status == ContainerStatus::Created {
            return Err(self.invalid_state(
                "cannot unmount the storage of a created or running container; stop it first",
            ));
        }
        self.unmount_rootfs();
        self.save()?;
        self.event("unmount");
        Ok(())
    }

    /// Writes the container's file system as a tar stream.
    pub fn export(&mut self, out: &mut dyn Write) -> Result<()> {
        // Under the container's lock throughout, as Podman exports: the
        // clean-up of a container that just exited must not unmount the
        // tree while it is read.
        let _guard = self.lock()?;
        let was_mounted = self.state.mount_point.is_some();
        let root = self.mount_rootfs()?;
        let mut builder = tar::Builder::new(out);
        builder.follow_symlinks(false);
        let result = builder
            .append_dir_all(".", &root)
            .and_then(|_| builder.finish())
            .ctx(|| format!("exporting container {}", self.name()));
        if !was_mounted
            && !self.state.status.is_active()
            && self.state.status != ContainerStatus::Created
        {
            self.unmount_rootfs();
            self.save()?;
        }
        result
    }

    /// Bytes in the container's writable layer (the whole tree for `--rootfs`).
    pub fn rw_size(&self) -> Result<u64> {
        match &self.config.rootfs {
            Some(p) => Ok(storage::du(p)?),
            None => Ok(self.rt.store()?.container_rw_size(self.id())?),
        }
    }

    /// Bytes of the whole root file system: image plus writable layer.
    pub fn rootfs_size(&self) -> Result<u64> {
        match &self.config.rootfs {
            Some(p) => Ok(storage::du(p)?),
            None => {
                let store = self.rt.store()?;
                let image = match &self.config.image_id {
                    Some(id) => store.lookup_image(id).map(|i| i.size).unwrap_or(0),
                    None => 0,
                };
                Ok(image + self.rw_size()?)
            }
        }
    }
}
