//! `rm`: refuse live containers unless forced; otherwise take the container
//! out of the runtime, storage and database (database last, so an
//! interrupted removal is finished by the next `rm`).

use super::{Container, ContainerStatus};
use crate::error::Result;

impl Container<'_> {
    /// Removes the container. With `force`, a running or paused container is
    /// stopped first (waiting `timeout` seconds before SIGKILL).
    pub fn remove(&mut self, force: bool, timeout: Option<u32>) -> Result<()> {
        {
            let _guard = self.lock()?;
            if !self.state.status.can_remove_unforced() && !force {
                return Err(self.invalid_state(
                    "cannot remove a running or paused container without --force (or stop it first)",
                ));
            }
        }
        if force {
            self.stop(timeout)?;
        }
        let _guard = self.lock()?;
        if self.state.status.is_active() {
            return Err(
                self.invalid_state("it started again while being removed; stop it and retry")
            );
        }
        self.state.status = ContainerStatus::Removing;
        self.save()?;
        self.rt.oci()?.delete(self.id(), true)?;
        if self.config.rootfs.is_none() {
            self.rt.store()?.remove_container(self.id())?;
        }
        self.discard_files();
        self.rt.db.remove_container(self.id())?;
        self.event("remove");
        Ok(())
    }
}
