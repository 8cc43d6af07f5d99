//! Bringing a container's saved state in line with reality: the exit file
//! the monitor writes, and, when the monitor is gone, the runtime's word.

use chrono::{DateTime, Utc};

use super::{Container, ContainerStatus};
use crate::error::{IoContext, Result};
use crate::lock::try_lock_exclusive;

/// True if a process with this pid exists and is not a zombie (an exited
/// monitor stays a zombie where pid 1 does not reap orphans).
pub(crate) fn process_alive(pid: i32) -> bool {
    if pid <= 0 {
        return false;
    }
    match nix::sys::signal::kill(nix::unistd::Pid::from_raw(pid), None) {
        Ok(()) | Err(nix::errno::Errno::EPERM) => {}
        Err(_) => return false,
    }
    // The state follows the command name, which is in parentheses.
    match std::fs::read_to_string(format!("/proc/{pid}/stat")) {
        Ok(stat) => !matches!(
            stat.rsplit_once(')')
                .and_then(|(_, rest)| rest.split_whitespace().next()),
            Some("Z") | Some("X")
        ),
        Err(_) => false,
    }
}

impl Container<'_> {
    /// Syncs the state; the caller holds the lock. Saves when it changed.
    pub(crate) fn sync_locked(&mut self) -> Result<()> {
        let status = self.state.status;
        if !(status.is_active() || status == ContainerStatus::Created) {
            return Ok(());
        }
        if self.read_exit_file()? {
            self.save()?;
            self.event_with("died", Some(self.state.exit_code));
            return Ok(());
        }
        if !process_alive(self.state.monitor_pid) {
            self.sync_without_monitor()?;
        }
        Ok(())
    }

    /// For listings: syncs under the lock if it is free, else leaves the
    /// last saved state (someone is mid-transition and will save soon).
    pub(crate) fn sync_unlocked_view(&mut self) -> Result<()> {
        let lock_path = self.rt.paths.container_lock(self.id());
        if let Some(_guard) = try_lock_exclusive(&lock_path)? {
            self.reload()?;
            self.sync_locked()?;
        }
        Ok(())
    }

    /// Reads the monitor's exit file into the state; false when there is none yet.
    pub(crate) fn read_exit_file(&mut self) -> Result<bool> {
        let path = self.exit_file();
        let Some((code, finished)) = monitor::read_exit_file(&path)
            .ctx(|| format!("reading exit file {}", path.display()))?
        else {
            return Ok(false);
        };
        self.state.status = ContainerStatus::Stopped;
        self.state.exit_code = code;
        self.state.finished_at = Some(DateTime::<Utc>::from(finished));
        self.state.oom_killed = self.rundir().join(monitor::OOM_FILE).exists();
        self.state.pid = 0;
        Ok(true)
    }

    /// The monitor died without writing an exit file (it was killed): ask the
    /// runtime whether the container still runs; if not, it stopped with an
    /// unknown exit code (-1), as the seed records when no exit file appears.
    fn sync_without_monitor(&mut self) -> Result<()> {
        let runtime_state = self.rt.oci()?.state(self.id())?;
        use ocirt::RuntimeStatus as R;
        let new_status = match runtime_state.map(|s| s.status) {
            Some(R::Running) => ContainerStatus::Running,
            Some(R::Paused) => ContainerStatus::Paused,
            Some(R::Created) | Some(R::Creating) => ContainerStatus::Created,
            Some(R::Stopped) | None => ContainerStatus::Stopped,
        };
        self.state.monitor_pid = 0;
        if new_status == ContainerStatus::Stopped {
            self.state.status = ContainerStatus::Stopped;
            self.state.exit_code = -1;
            self.state.pid = 0;
            self.state.finished_at = Some(Utc::now());
            self.save()?;
            self.event_with("died", Some(-1));
        } else {
            self.state.status = new_status;
            self.save()?;
        }
        Ok(())
    }
}
