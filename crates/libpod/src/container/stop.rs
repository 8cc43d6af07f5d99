//! `stop`: the stop signal, a grace period, then SIGKILL; the lock is not
//! held while waiting for the process to go.

use std::time::{Duration, Instant};

use super::{Container, ContainerStatus};
use crate::error::Result;

/// How long to wait for the exit file after SIGKILL before recording an
/// unknown exit code.
const KILL_GRACE: Duration = Duration::from_secs(5);

impl Container<'_> {
    /// Stops the container, waiting `timeout` seconds (the container's stop
    /// timeout when `None`) before SIGKILL. Stopping a container that is not
    /// running is not an error.
    pub fn stop(&mut self, timeout: Option<u32>) -> Result<()> {
        let timeout = Duration::from_secs(u64::from(timeout.unwrap_or(self.config.stop_timeout)));
        crate::diagnostics::debug(format_args!(
            "Stopping container {} (timeout {}s)",
            self.id(),
            timeout.as_secs()
        ));
        {
            let _guard = self.lock()?;
            match self.state.status {
                ContainerStatus::Running | ContainerStatus::Paused | ContainerStatus::Stopping => {}
                ContainerStatus::Created => {
                    // Never started: just take it out of the runtime.
                    self.cleanup_locked()?;
                    return Ok(());
                }
                _ => {
                    // Not running, maybe waiting out a restart back-off:
                    // the user's stop wins over the restart policy.
                    if self.state.restarting || !self.state.stopped_by_user {
                        self.state.restarting = false;
                        self.state.stopped_by_user = true;
                        self.save()?;
                    }
                    return Ok(());
                }
            }
            self.state.stopped_by_user = true;
            let signal = if timeout.is_zero() {
                libc::SIGKILL
            } else {
                self.config.stop_signal
            };
            self.send_signal(signal)?;
            crate::fault::point("stop.signalled");
            if self.state.status == ContainerStatus::Paused {
                let _ = self.rt.oci()?.resume(self.id());
            }
            self.state.status = ContainerStatus::Stopping;
            self.save()?;
        }
        if !self.wait_for_exit_file(timeout) && !timeout.is_zero() {
            let _guard = self.lock()?;
            if self.state.status.is_active() {
                self.send_signal(libc::SIGKILL)?;
            }
        }
        let got_exit = self.wait_for_exit_file(KILL_GRACE);
        let _guard = self.lock()?;
        if !got_exit && self.state.status.is_active() {
            // No exit file: the seed records an unknown exit code.
            self.state.status = ContainerStatus::Stopped;
            self.state.exit_code = -1;
            self.state.pid = 0;
            self.state.finished_at = Some(chrono::Utc::now());
            self.save()?;
        }
        self.event("stop");
        crate::fault::point("stop.before_cleanup");
        self.cleanup_locked()
    }

    /// Polls for the monitor's exit file without holding the lock.
    pub(crate) fn wait_for_exit_file(&self, timeout: Duration) -> bool {
        let path = self.exit_file();
        let deadline = Instant::now() + timeout;
        let mut pause = Duration::from_millis(1);
        loop {
            if path.exists() {
                return true;
            }
            if !self.process_may_live() {
                return path.exists();
            }
            if Instant::now() >= deadline {
                return false;
            }
            std::thread::sleep(pause);
            pause = (pause * 2).min(Duration::from_millis(50));
        }
    }

    /// False only when neither the container's process nor its monitor exists.
    fn process_may_live(&self) -> bool {
        super::sync::process_alive(self.state.pid) || self.state.monitor_alive(self.id())
    }
}
