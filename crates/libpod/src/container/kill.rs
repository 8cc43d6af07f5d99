//! `kill`, `pause`, `unpause`.

use super::{Container, ContainerStatus};
use crate::error::{Error, Result};

impl Container<'_> {
    /// Sends `signal` to the container's process.
    pub fn kill(&mut self, signal: i32) -> Result<()> {
        let _guard = self.lock()?;
        if !matches!(
            self.state.status,
            ContainerStatus::Running | ContainerStatus::Paused | ContainerStatus::Stopping
        ) {
            return Err(self.invalid_state("can only kill running containers"));
        }
        self.state.stopped_by_user = true;
        self.save()?;
        self.send_signal(signal)?;
        self.event_with("kill", None);
        Ok(())
    }

    /// Signals the container's init: through a pidfd when the runtime's
    /// state names it (no runtime process, never a recycled pid), else with
    /// `runtime kill`.
    pub(crate) fn send_signal(&self, signal: i32) -> Result<()> {
        Ok(self.rt.oci()?.signal(self.id(), signal)?)
    }

    /// Freezes every process of the container.
    pub fn pause(&mut self) -> Result<()> {
        let _guard = self.lock()?;
        if self.state.status != ContainerStatus::Running {
            return Err(self.invalid_state("can only pause running containers"));
        }
        if crate::rootless::cgroups_unavailable().is_some() {
            // The freezer is a cgroup controller: without a cgroup of its
            // own a rootless container cannot be frozen.
            return Err(Error::Unsupported(
                crate::rootless::PAUSE_UNSUPPORTED.into(),
            ));
        }
        self.rt.oci()?.pause(self.id())?;
        self.state.status = ContainerStatus::Paused;
        self.save()?;
        self.event("pause");
        Ok(())
    }

    /// Thaws a paused container.
    pub fn unpause(&mut self) -> Result<()> {
        let _guard = self.lock()?;
        if self.state.status != ContainerStatus::Paused {
            return Err(self.invalid_state("can only unpause paused containers"));
        }
        self.rt.oci()?.resume(self.id())?;
        self.state.status = ContainerStatus::Running;
        self.save()?;
        self.event("unpause");
        Ok(())
    }
}
