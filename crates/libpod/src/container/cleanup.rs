//! `cleanup`: after the process is gone, take the container out of the
//! runtime and unmount its storage (stopped → exited, created → configured).

use super::{Container, ContainerStatus};
use crate::error::Result;

impl Container<'_> {
    /// Cleans up a container whose process has exited; a running container is
    /// left alone. Returns true when the container was removed (`remove`).
    pub fn cleanup(&mut self, remove: bool) -> Result<bool> {
        {
            let _guard = self.lock()?;
            if self.state.status.is_active() {
                return Ok(false);
            }
            self.cleanup_locked()?;
        }
        if remove {
            self.remove(false, None)?;
            return Ok(true);
        }
        Ok(false)
    }

    /// The lock is held and the process is not running.
    pub(crate) fn cleanup_locked(&mut self) -> Result<()> {
        let was_mounted = self.state.mount_point.is_some();
        let in_runtime = matches!(
            self.state.status,
            ContainerStatus::Stopped | ContainerStatus::Created
        ) || self.state.monitor_pid != 0;
        if in_runtime {
            self.rt.oci()?.delete(self.id(), true)?;
        }
        if was_mounted {
            self.unmount_rootfs();
        }
        self.state.status = match self.state.status {
            ContainerStatus::Stopped => ContainerStatus::Exited,
            ContainerStatus::Created => ContainerStatus::Configured,
            other => other,
        };
        self.state.pid = 0;
        self.state.monitor_pid = 0;
        self.save()?;
        if in_runtime || was_mounted {
            self.event("cleanup");
        }
        Ok(())
    }
}
