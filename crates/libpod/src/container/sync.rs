//! Bringing a container's saved state in line with reality: the exit file
//! the monitor writes, and, when the monitor died without one, stopping
//! the container it no longer supervises.

use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use chrono::{DateTime, Utc};

use super::{Container, ContainerStatus};
use crate::error::{IoContext, Result};
use crate::lock::try_lock_exclusive;

pub(crate) use super::state::process_alive;

/// How long a container killed after its monitor died is given to go.
const ORPHAN_KILL_GRACE: Duration = Duration::from_secs(5);

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
        if self.state.monitor_pid == 0 {
            // No monitor supervises it (restored from a checkpoint).
            return self.sync_from_runtime();
        }
        if !self.state.monitor_alive(self.id()) {
            self.monitor_died()?;
        }
        Ok(())
    }

    /// For listings: syncs under the lock if it is free, else reloads the
    /// last saved state (someone is mid-transition and syncs it).
    pub(crate) fn sync_unlocked_view(&mut self) -> Result<()> {
        let lock_path = self.rt.paths.container_lock(self.id());
        match try_lock_exclusive(&lock_path)? {
            Some(_guard) => {
                self.reload()?;
                self.sync_locked()
            }
            None => self.reload(),
        }
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

    /// A container with no monitor: the runtime says whether it still runs;
    /// if not, it stopped with an unknown exit code (-1).
    fn sync_from_runtime(&mut self) -> Result<()> {
        let runtime_state = self.rt.oci()?.state(self.id())?;
        use ocirt::RuntimeStatus as R;
        let new_status = match runtime_state.map(|s| s.status) {
            Some(R::Running) => ContainerStatus::Running,
            Some(R::Paused) => ContainerStatus::Paused,
            Some(R::Created) | Some(R::Creating) => ContainerStatus::Created,
            Some(R::Stopped) | None => ContainerStatus::Stopped,
        };
        if new_status == ContainerStatus::Stopped {
            self.state.status = ContainerStatus::Stopped;
            self.state.exit_code = -1;
            self.state.pid = 0;
            self.state.finished_at = Some(Utc::now());
            self.save()?;
            self.event_with("died", Some(-1));
        } else if new_status != self.state.status {
            self.state.status = new_status;
            self.save()?;
        }
        Ok(())
    }

    /// The monitor died without writing an exit file (it was killed): nobody
    /// would record the container's exit, forward its output or apply its
    /// restart policy. The container is stopped (SIGKILL, exit code 137; -1
    /// when it had already exited) with the reason in `State.Error`, then
    /// cleaned up and handled by its restart policy as if it had exited on
    /// its own. The lock is held, so whoever notices first does this once.
    fn monitor_died(&mut self) -> Result<()> {
        let monitor = self.state.monitor_pid;
        // The monitor writes the exit file before it exits: it may have
        // done both since the first look.
        if self.read_exit_file()? {
            self.save()?;
            self.event_with("died", Some(self.state.exit_code));
            return Ok(());
        }
        let oci = self.rt.oci()?;
        use ocirt::RuntimeStatus as R;
        let runtime_status = oci.state(self.id())?.map(|s| s.status);
        let was_alive = matches!(
            runtime_status,
            Some(R::Running) | Some(R::Paused) | Some(R::Created) | Some(R::Creating)
        );
        if self.state.status == ContainerStatus::Created {
            // Never started: take it out of the runtime (which kills its
            // waiting init); it can be started again with a new monitor.
            self.state.error = format!(
                "the container's monitor (pid {monitor}) died before the container started; \
                 it was removed from the runtime"
            );
            return self.cleanup_locked();
        }
        if was_alive {
            self.send_signal(libc::SIGKILL)?;
            if runtime_status == Some(R::Paused) {
                // A frozen process dies only once thawed (cgroup v1).
                let _ = oci.resume(self.id());
            }
            self.wait_for_runtime_stop(ORPHAN_KILL_GRACE)?;
        }
        let code = if was_alive { 137 } else { -1 };
        self.state.status = ContainerStatus::Stopped;
        self.state.exit_code = code;
        self.state.pid = 0;
        self.state.oom_killed = false;
        self.state.finished_at = Some(Utc::now());
        self.state.error = if was_alive {
            format!("the container's monitor (pid {monitor}) died; the container was stopped")
        } else {
            format!(
                "the container's monitor (pid {monitor}) died; the container had exited, \
                 its exit code is unknown"
            )
        };
        self.save()?;
        self.event_with("died", Some(code));
        self.after_orphan_exit()
    }

    /// Polls the runtime until the container's process is gone.
    fn wait_for_runtime_stop(&self, timeout: Duration) -> Result<()> {
        let oci = self.rt.oci()?;
        let deadline = Instant::now() + timeout;
        let mut pause = Duration::from_millis(5);
        loop {
            match oci.state(self.id())?.map(|s| s.status) {
                None | Some(ocirt::RuntimeStatus::Stopped) => return Ok(()),
                Some(_) if Instant::now() >= deadline => return Ok(()),
                Some(_) => {}
            }
            std::thread::sleep(pause);
            pause = (pause * 2).min(Duration::from_millis(50));
        }
    }

    /// What the monitor's exit command would have done after the exit:
    /// cleanup and the restart policy. An immediate restart happens here,
    /// under the lock already held; a restart after a back-off, or the
    /// removal of a `--rm` container, is left to the exit command itself,
    /// started in the background, so no command waits behind it.
    fn after_orphan_exit(&mut self) -> Result<()> {
        match self.restart_plan() {
            Some((level, delay)) if delay.is_zero() => {
                self.cleanup_locked()?;
                self.mark_restarting(level)?;
                if let Err(e) = self.restart_pending_locked() {
                    crate::diagnostics::warn(format!(
                        "rpod: warning: restarting container {} after its monitor died: {e}",
                        self.id()
                    ));
                }
                Ok(())
            }
            None if !self.config.auto_remove => self.cleanup_locked(),
            _ => {
                if let Err(e) = self.spawn_exit_command() {
                    crate::diagnostics::warn(format!(
                        "rpod: warning: container {}: {e}; cleaning up without its restart policy",
                        self.id()
                    ));
                    self.cleanup_locked()?;
                }
                Ok(())
            }
        }
    }

    /// Starts `rpod container cleanup --from-monitor ID` detached, as the
    /// monitor would have after the exit. It waits for the lock.
    fn spawn_exit_command(&self) -> Result<()> {
        let (exe, mut args) = self.rt.exit_command()?;
        args.extend([
            "container".into(),
            "cleanup".into(),
            "--from-monitor".into(),
            self.id().to_string(),
        ]);
        let mut cmd = Command::new(&exe);
        cmd.args(&args)
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null());
        std::os::unix::process::CommandExt::process_group(&mut cmd, 0);
        let mut child = cmd
            .spawn()
            .ctx(|| format!("starting the exit command {}", exe.display()))?;
        // Reaped in the background where this process lives on (the API).
        std::thread::spawn(move || {
            let _ = child.wait();
        });
        Ok(())
    }
}
