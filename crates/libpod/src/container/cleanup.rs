//! `cleanup`: after the process is gone, take the container out of the
//! runtime and unmount its storage (stopped → exited, created → configured).

use std::time::Duration;

use super::policy::{backoff, BACKOFF_RESET_AFTER};
use super::{Container, ContainerStatus};
use crate::error::Result;

impl Container<'_> {
    /// Cleans up a container whose process has exited; a running container is
    /// left alone. Returns true when the container was removed (`remove`).
    pub fn cleanup(&mut self, remove: bool) -> Result<bool> {
        self.cleanup_checked(remove, false)
    }

    /// `container cleanup`: [`Self::cleanup`], refusing (as Podman does) a
    /// container that runs or is paused instead of leaving it alone.
    pub fn cleanup_requested(&mut self, remove: bool) -> Result<bool> {
        self.cleanup_checked(remove, true)
    }

    fn cleanup_checked(&mut self, remove: bool, refuse_active: bool) -> Result<bool> {
        {
            let _guard = self.lock()?;
            if self.state.status.is_active() {
                if refuse_active {
                    return Err(
                        self.invalid_state("refusing to clean up a running or paused container")
                    );
                }
                return Ok(false);
            }
            self.cleanup_locked()?;
        }
        if remove {
            self.remove_with_volumes(false, None, true)?;
            return Ok(true);
        }
        Ok(false)
    }

    /// What rpod-monitor's exit command does when the container's process
    /// has exited: clean up, then apply the restart policy (the seed's
    /// handleRestartPolicy): a container that exited on its own is started
    /// again when its policy says so, after a back-off that doubles with each
    /// quick restart; a `stop` meanwhile wins. Otherwise `--rm` removes it.
    pub fn handle_exit(&mut self) -> Result<()> {
        let delay = {
            let _guard = self.lock()?;
            if self.state.status.is_active() {
                return Ok(());
            }
            self.cleanup_locked()?;
            match self.restart_plan() {
                None => None,
                Some((level, delay)) => {
                    self.mark_restarting(level)?;
                    Some(delay)
                }
            }
        };
        let Some(delay) = delay else {
            let pod = self.config.pod.clone();
            if self.config.auto_remove {
                self.remove_with_volumes(false, None, true)?;
            }
            if let (Some(pod), false) = (pod, self.config.is_infra) {
                self.rt.apply_pod_exit_policy(&pod)?;
            }
            return Ok(());
        };
        std::thread::sleep(delay);
        let _guard = self.lock()?;
        self.restart_pending_locked()
    }

    /// What the restart policy says of a container that has just exited:
    /// `None` when it stays down, else the back-off level of this restart
    /// and how long to wait before it.
    pub(crate) fn restart_plan(&self) -> Option<(u32, Duration)> {
        let s = &self.state;
        if !self.config.restart_policy.wants_restart(
            s.exit_code,
            s.restart_count,
            s.stopped_by_user,
        ) {
            return None;
        }
        let ran = match (s.started_at, s.finished_at) {
            (Some(a), Some(b)) => (b - a).to_std().unwrap_or_default(),
            _ => Duration::ZERO,
        };
        let level = if ran >= BACKOFF_RESET_AFTER {
            0
        } else {
            s.backoff_level
        };
        let delay = if level == 0 {
            Duration::ZERO
        } else {
            backoff(level - 1)
        };
        Some((level, delay))
    }

    /// Marks a restart at back-off `level` as pending; the lock is held.
    pub(crate) fn mark_restarting(&mut self, level: u32) -> Result<()> {
        self.state.backoff_level = level + 1;
        self.state.restarting = true;
        self.save()
    }

    /// Starts a container whose restart is pending, unless a `stop` or a
    /// start came first; the lock is held.
    pub(crate) fn restart_pending_locked(&mut self) -> Result<()> {
        if !self.state.restarting || self.state.stopped_by_user || self.state.status.is_active() {
            return Ok(());
        }
        self.state.restart_count += 1;
        self.save()?;
        self.event("restart");
        if let Err(e) = self.start_locked() {
            self.state.restarting = false;
            self.state.error = e.to_string();
            self.save()?;
            return Err(e);
        }
        Ok(())
    }

    /// The lock is held and the process is not running.
    pub(crate) fn cleanup_locked(&mut self) -> Result<()> {
        let was_mounted = self.state.mount_point.is_some();
        let in_runtime = matches!(
            self.state.status,
            ContainerStatus::Stopped | ContainerStatus::Created
        ) || self.state.monitor_pid != 0;
        let oci = self.rt.oci()?;
        if in_runtime && oci.knows(self.id()) {
            if self.state.status == ContainerStatus::Created {
                oci.delete_created(self.id())?;
            } else {
                oci.delete(self.id(), true)?;
            }
        }
        if in_runtime {
            self.run_poststop_hooks();
        }
        crate::fault::point("cleanup.runtime_deleted");
        if was_mounted {
            self.unmount_rootfs();
        }
        self.unmount_host_shm();
        crate::fault::point("cleanup.unmounted");
        self.teardown_network();
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

/// An attached caller's claim on a container's clean-up: while it is held,
/// rpod-monitor waits before its exit command, and runs none once the
/// claim is [finished](CleanupClaim::finished), so exactly one party cleans
/// and no second rpod process races the caller for the lock. Dropped
/// without `finished` (a detach, an error), the monitor's exit command
/// cleans as usual.
#[derive(Debug)]
pub struct CleanupClaim {
    _lock: std::fs::File,
    marker: std::path::PathBuf,
}

impl CleanupClaim {
    /// The caller cleaned up (and maybe removed the container).
    pub fn finished(self) {
        if self.marker.parent().is_some_and(|d| d.is_dir()) {
            let _ = std::fs::File::create(&self.marker);
        }
    }
}

impl Container<'_> {
    /// Claims the clean-up after the container's next exit for the caller,
    /// when the caller alone can do all of it: with a restart policy the
    /// monitor's exit command must apply it, so `None`. Taken after init
    /// (the run directory exists) and before start.
    pub fn claim_cleanup(&self) -> Result<Option<CleanupClaim>> {
        use std::os::fd::AsRawFd;
        if self.config.restart_policy.name != super::policy::RestartPolicyName::No {
            return Ok(None);
        }
        let dir = self.rundir();
        let path = dir.join(monitor::CLEANER_LOCK);
        let file = match std::fs::OpenOptions::new()
            .create(true)
            .truncate(false)
            .write(true)
            .open(&path)
        {
            Ok(f) => f,
            Err(_) => return Ok(None),
        };
        // SAFETY: flock on a descriptor we own; non-blocking, nobody else
        // takes this lock before the container exits.
        if unsafe { libc::flock(file.as_raw_fd(), libc::LOCK_EX | libc::LOCK_NB) } != 0 {
            return Ok(None);
        }
        Ok(Some(CleanupClaim {
            _lock: file,
            marker: dir.join(monitor::CLEANED_MARKER),
        }))
    }
}
