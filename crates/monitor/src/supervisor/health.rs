//! The health-check schedule: the monitor runs the health command every
//! interval while the container runs. The command (`rpod healthcheck run`)
//! does the check and records the result; the monitor only keeps time, so
//! health checks need no systemd timer and no daemon.

use std::ffi::OsString;
use std::path::PathBuf;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use nix::unistd::Pid;

use super::diag::Diag;

/// When the next check is due, and the one running now.
#[derive(Debug)]
pub(crate) struct HealthSchedule {
    interval: Duration,
    command: PathBuf,
    args: Vec<OsString>,
    next: Instant,
    running: Option<Pid>,
}

impl HealthSchedule {
    /// A schedule whose first check is one interval from now (as Docker's).
    pub(crate) fn new(interval: Duration, command: PathBuf, args: Vec<OsString>) -> Self {
        HealthSchedule {
            interval,
            command,
            args,
            next: Instant::now() + interval,
            running: None,
        }
    }

    /// How long until the next check is due.
    pub(crate) fn until_due(&self) -> Duration {
        self.next.saturating_duration_since(Instant::now())
    }

    /// Starts the command if a check is due and the previous one finished
    /// (a hanging check is killed by the command's own timeout).
    pub(crate) fn tick(&mut self, diag: &Diag) {
        let now = Instant::now();
        if now < self.next {
            return;
        }
        self.next = now + self.interval;
        if self.running.is_some() {
            return;
        }
        match Command::new(&self.command)
            .args(&self.args)
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
        {
            // The reaper collects it; the handle is not waited on.
            Ok(child) => self.running = i32::try_from(child.id()).ok().map(Pid::from_raw),
            Err(e) => diag.log(format_args!(
                "cannot run health command {}: {e}",
                self.command.display()
            )),
        }
    }

    /// The reaper collected `pid`.
    pub(crate) fn reaped(&mut self, pid: Pid) {
        if self.running == Some(pid) {
            self.running = None;
        }
    }
}
