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
    pub fn as_str(self) -> &'static str {
        match self {
            ContainerStatus::Configured => "configured",
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
    /// Resets what only means something while the runtime knows the
    /// container (the seed's resetState on refresh after a reboot).
    pub fn reset_runtime_fields(&mut self) {
        self.pid = 0;
        self.monitor_pid = 0;
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

#[cfg(test)]
mod tests {
    use super::*;

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
