//! `start` and `restart`: run the container's process (initialising it
//! first if needed), after its dependencies.

use chrono::Utc;

use super::{Container, ContainerStatus};
use crate::error::Result;

impl Container<'_> {
    /// Starts the container and, first, every dependency that is not
    /// running, in dependency order. From configured/stopped/exited it is
    /// initialised first; from created it is started directly.
    pub fn start(&mut self) -> Result<()> {
        self.start_dependencies()?;
        self.start_one()
    }

    /// Starts this container only; its dependencies must already run.
    pub(crate) fn start_one(&mut self) -> Result<()> {
        let _guard = self.lock()?;
        self.start_locked()
    }

    /// [`Self::start_one`], doing nothing if the container runs by the time
    /// its lock is held.
    pub(crate) fn start_one_unless_running(&mut self) -> Result<()> {
        let _guard = self.lock()?;
        if self.state.status == ContainerStatus::Running {
            return Ok(());
        }
        self.start_locked()
    }

    pub(crate) fn start_locked(&mut self) -> Result<()> {
        if !self.state.status.can_start() {
            return Err(self.invalid_state(
                "only configured, created, stopped or exited containers can be started",
            ));
        }
        self.check_dependencies()?;
        if self.state.status != ContainerStatus::Created {
            self.init_locked()?;
        }
        // Taken before the process runs, so a quick exit never finishes
        // before it started.
        let started = Utc::now();
        crate::diagnostics::debug(format_args!("Starting container {}", self.id()));
        crate::fault::point("start.before_runtime");
        if let Err(e) = self.rt.oci()?.start(self.id()) {
            // The process may already have exited (it failed at once).
            self.sync_locked()?;
            return Err(e.into());
        }
        crate::fault::point("start.before_save");
        self.state.status = ContainerStatus::Running;
        self.state.started_at = Some(started);
        self.state.finished_at = None;
        self.state.restarting = false;
        self.save()?;
        self.notify_started();
        self.event("start");
        Ok(())
    }

    /// Stops the container if it runs (waiting `timeout` seconds before
    /// SIGKILL) and starts it again.
    pub fn restart(&mut self, timeout: Option<u32>) -> Result<()> {
        if self.state.status.is_active() {
            self.stop(timeout)?;
        }
        self.start()?;
        self.event("restart");
        Ok(())
    }
}
