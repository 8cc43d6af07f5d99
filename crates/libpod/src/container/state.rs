//! The container state machine: statuses, the mutable state record, and the
//! guards that say which operations each status allows.

use std::fmt;

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use super::policy::HealthState;

/// Where a container is in its life.
///
/// `configured` (only in the database) → `created` (exists in the OCI
/// runtime) → `running` ⇄ `paused`; `running` → `stopped` (process gone, still
/// known to the runtime) → `exited` (removed from the runtime, can be
/// initialised again). `stopping` and `removing` are held while an operation
/// waits without the lock; `unknown` is an error state.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(rename_all = "lowercase")]
pub enum ContainerStatus {
    #[default]
    Configured,
    Created,
    Running,
    Paused,
    Stopping,
    Stopped,
    Exited,
    Removing,
    Unknown,
}

impl ContainerStatus {
    /// The word users see (inspect's `State.Status`, messages): Podman
    /// shows a configured container as `created` too.
    pub fn as_str(self) -> &'static str {
        match self {
            ContainerStatus::Configured => "created",
            ContainerStatus::Created => "created",
            ContainerStatus::Running => "running",
            ContainerStatus::Paused => "paused",
            ContainerStatus::Stopping => "stopping",
            ContainerStatus::Stopped => "stopped",
            ContainerStatus::Exited => "exited",
            ContainerStatus::Removing => "removing",
            ContainerStatus::Unknown => "unknown",
        }
    }

    /// The Docker-compatible status word (`created`, `running`, `paused`,
    /// `exited`, `removing`, `dead`).
    pub fn docker_status(self) -> &'static str {
        match self {
            ContainerStatus::Configured | ContainerStatus::Created => "created",
            ContainerStatus::Running | ContainerStatus::Stopping => "running",
            ContainerStatus::Paused => "paused",
            ContainerStatus::Stopped | ContainerStatus::Exited => "exited",
            ContainerStatus::Removing => "removing",
            ContainerStatus::Unknown => "dead",
        }
    }

    /// A process exists (or may exist) in the runtime.
    pub fn is_active(self) -> bool {
        matches!(
            self,
            ContainerStatus::Running | ContainerStatus::Paused | ContainerStatus::Stopping
        )
    }

    /// `start` is allowed (the seed: configured, created, stopped, exited).
    pub fn can_start(self) -> bool {
        matches!(
            self,
            ContainerStatus::Configured
                | ContainerStatus::Created
                | ContainerStatus::Stopped
                | ContainerStatus::Exited
        )
    }

    /// `init` is allowed: the container is not in the runtime yet, or no longer.
    pub fn can_init(self) -> bool {
        matches!(
            self,
            ContainerStatus::Configured | ContainerStatus::Stopped | ContainerStatus::Exited
        )
    }

    /// Removal without force is allowed.
    pub fn can_remove_unforced(self) -> bool {
        !matches!(
            self,
            ContainerStatus::Running | ContainerStatus::Paused | ContainerStatus::Stopping
        )
    }
}

impl fmt::Display for ContainerStatus {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// The part of a container that changes; saved in the database after every
/// transition (the configuration is written once).
#[derive(Debug, Clone, Default, Serialize, Deserialize, PartialEq)]
pub struct ContainerState {
    pub status: ContainerStatus,
    /// The container's init process on the host, 0 when none.
    pub pid: i32,
    /// The rpod-monitor supervising it, 0 when none.
    pub monitor_pid: i32,
    /// The monitor's start time (field 22 of `/proc/PID/stat`, in clock
    /// ticks since boot), read when it reported; with the pid it names one
    /// process, so a reused pid is not taken for the monitor. 0 when unknown
    /// (states saved before it was recorded).
    #[serde(default)]
    pub monitor_start_time: u64,
    pub exit_code: i32,
    pub oom_killed: bool,
    pub started_at: Option<DateTime<Utc>>,
    pub finished_at: Option<DateTime<Utc>>,
    pub restart_count: u32,
    /// Set by `stop`/`kill` so restart policies leave the container alone.
    pub stopped_by_user: bool,
    /// Where the root file system is mounted, when it is.
    pub mount_point: Option<String>,
    /// Last error from the runtime, for `inspect`.
    pub error: String,
    /// A restart is pending (the monitor's exit command waits out the back-off).
    #[serde(default)]
    pub restarting: bool,
    /// Quick restarts in a row, for the back-off.
    #[serde(default)]
    pub backoff_level: u32,
    #[serde(default)]
    pub health: Option<HealthState>,
    /// Exec sessions: ID → session.
    #[serde(default)]
    pub exec_sessions: std::collections::BTreeMap<String, ExecSession>,
}

/// A process started in the container by `exec`.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct ExecSession {
    /// The runtime's `exec` process (foreground) or the process itself (detached).
    pub pid: i32,
    pub command: Vec<String>,
    pub started_at: DateTime<Utc>,
}

impl ContainerState {
    /// Whether the monitor recorded here still runs: a live process with
    /// the recorded pid and start time. A state saved before start times
    /// were recorded falls back to the process's command line, which must
    /// be an rpod-monitor for container `id`. Never true for pid 0.
    pub fn monitor_alive(&self, id: &str) -> bool {
        if self.monitor_pid <= 0 {
            return false;
        }
        if self.monitor_start_time != 0 {
            return same_process_alive(self.monitor_pid, self.monitor_start_time);
        }
        process_alive(self.monitor_pid) && is_monitor_of(self.monitor_pid, id)
    }

    /// Resets what only means something while the runtime knows the
    /// container (the seed's resetState on refresh after a reboot).
    pub fn reset_runtime_fields(&mut self) {
        self.pid = 0;
        self.monitor_pid = 0;
        self.monitor_start_time = 0;
        self.mount_point = None;
        self.restart_count = 0;
        self.restarting = false;
        self.backoff_level = 0;
        self.exec_sessions.clear();
        if self.status != ContainerStatus::Exited {
            self.status = ContainerStatus::Configured;
        }
    }
}

/// The state letter and the start time of process `pid`, from
/// `/proc/PID/stat`; `None` when there is no such process.
fn proc_stat(pid: i32) -> Option<(char, u64)> {
    if pid <= 0 {
        return None;
    }
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
    // The command name is in parentheses and may hold anything, even ")":
    // the fields that follow start after the last one.
    let (_, rest) = stat.rsplit_once(')')?;
    let mut fields = rest.split_whitespace();
    // Field 3 (the state) comes first, field 22 (the start time) 19 later.
    let state = fields.next()?.chars().next()?;
    let start_time = fields.nth(18)?.parse().ok()?;
    Some((state, start_time))
}

/// The start time of process `pid` (field 22 of `/proc/PID/stat`, clock
/// ticks since boot); `None` when there is no such process.
pub fn process_start_time(pid: i32) -> Option<u64> {
    proc_stat(pid).map(|(_, start)| start)
}

/// True if a process with this pid exists and is not a zombie (an exited
/// process stays a zombie where pid 1 does not reap orphans).
pub fn process_alive(pid: i32) -> bool {
    matches!(proc_stat(pid), Some((state, _)) if state != 'Z' && state != 'X')
}

/// True if `pid` is still the process that started at `start_time` and has
/// not exited: a process that took over a reused pid started later.
pub fn same_process_alive(pid: i32, start_time: u64) -> bool {
    matches!(proc_stat(pid), Some((state, start)) if start == start_time && state != 'Z' && state != 'X')
}

/// True if the command line of `pid` is rpod-monitor's for container `id`.
pub(crate) fn is_monitor_of(pid: i32, id: &str) -> bool {
    let Ok(cmdline) = std::fs::read(format!("/proc/{pid}/cmdline")) else {
        return false;
    };
    let mut args = cmdline.split(|b| *b == 0);
    let is_monitor = args
        .next()
        .and_then(|arg0| arg0.rsplit(|b| *b == b'/').next())
        .is_some_and(|name| name == b"rpod-monitor");
    is_monitor && args.any(|a| a == id.as_bytes())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn own_pid() -> i32 {
        i32::try_from(std::process::id()).expect("pid fits in i32")
    }

    #[test]
    fn a_live_process_with_another_start_time_is_not_the_monitor() {
        let pid = own_pid();
        let start = process_start_time(pid).expect("our own start time");
        assert!(same_process_alive(pid, start));
        // The pid exists, but the process recorded started at another time:
        // the recorded one is gone and the pid was reused.
        assert!(!same_process_alive(pid, start + 1));
        if start > 1 {
            assert!(!same_process_alive(pid, start - 1));
        }
        let st = ContainerState {
            monitor_pid: pid,
            monitor_start_time: start + 1,
            ..Default::default()
        };
        assert!(!st.monitor_alive("abc"));
        let st = ContainerState {
            monitor_start_time: start,
            ..st
        };
        assert!(st.monitor_alive("abc"));
    }

    #[test]
    fn no_monitor_without_a_pid_or_a_process() {
        let st = ContainerState::default();
        assert!(!st.monitor_alive("abc"));
        assert!(!same_process_alive(0, 1));
        assert!(!same_process_alive(-1, 1));
        // Beyond pid_max (at most 2^22): no such process.
        assert!(!same_process_alive(i32::MAX, 1));
        assert!(!process_alive(i32::MAX));
        assert_eq!(process_start_time(i32::MAX), None);
    }

    #[test]
    fn a_state_without_a_start_time_checks_the_command_line() {
        // This test binary is no rpod-monitor: an old state whose monitor
        // pid was reused by it is not fooled.
        let st = ContainerState {
            monitor_pid: own_pid(),
            ..Default::default()
        };
        assert!(!st.monitor_alive("abc"));
    }

    #[test]
    fn old_states_without_a_start_time_still_load() {
        let mut v = serde_json::to_value(ContainerState {
            status: ContainerStatus::Running,
            monitor_pid: 7,
            monitor_start_time: 99,
            ..Default::default()
        })
        .expect("encode");
        v.as_object_mut()
            .expect("object")
            .remove("monitor_start_time");
        let st: ContainerState = serde_json::from_value(v).expect("decode");
        assert_eq!((st.monitor_pid, st.monitor_start_time), (7, 0));
    }

    #[test]
    fn start_is_allowed_only_from_the_seed_states() {
        use ContainerStatus::*;
        for s in [Configured, Created, Stopped, Exited] {
            assert!(s.can_start(), "{s}");
        }
        for s in [Running, Paused, Stopping, Removing, Unknown] {
            assert!(!s.can_start(), "{s}");
        }
    }

    #[test]
    fn removal_guard_refuses_live_containers() {
        use ContainerStatus::*;
        assert!(!Running.can_remove_unforced());
        assert!(!Paused.can_remove_unforced());
        assert!(Exited.can_remove_unforced());
        assert!(Created.can_remove_unforced());
    }

    #[test]
    fn refresh_resets_everything_but_exited() {
        let mut st = ContainerState {
            status: ContainerStatus::Running,
            pid: 5,
            monitor_pid: 4,
            restart_count: 3,
            mount_point: Some("/x".into()),
            ..Default::default()
        };
        st.reset_runtime_fields();
        assert_eq!(st.status, ContainerStatus::Configured);
        assert_eq!((st.pid, st.monitor_pid, st.restart_count), (0, 0, 0));
        let mut exited = ContainerState {
            status: ContainerStatus::Exited,
            ..Default::default()
        };
        exited.reset_runtime_fields();
        assert_eq!(exited.status, ContainerStatus::Exited);
    }

    #[test]
    fn docker_words() {
        assert_eq!(ContainerStatus::Configured.docker_status(), "created");
        assert_eq!(ContainerStatus::Stopped.docker_status(), "exited");
    }
}
