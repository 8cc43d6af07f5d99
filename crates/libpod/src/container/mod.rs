//! Containers: one type, [`Container`], with one file per operation.
//!
//! Public operations take the container's lock, reload and sync its state,
//! act, and save. The `*_locked` helpers assume the caller holds the lock.

mod checkpoint;
mod cleanup;
mod commit;
mod config;
mod cp;
mod create;
mod deps;
mod diff;
mod exec;
mod filesystem;
mod health;
mod init;
mod inspect;
mod io;
pub mod isolation;
mod kill;
mod logs;
mod mounts;
mod network;
pub mod options;
pub mod policy;
mod remove;
mod rename;
pub mod security;
mod spec;
mod start;
pub(crate) mod state;
mod stats;
mod stop;
mod sync;
mod top;
mod update;
pub mod userns;
mod volumes;
mod wait;

use std::path::PathBuf;

use chrono::Utc;

pub use checkpoint::{criu_unavailable, CheckpointOptions, RestoreOptions};
pub use cleanup::CleanupClaim;
pub use commit::CommitOptions;
pub use config::ContainerConfig;
pub use cp::{CopySource, CopyTarget};
pub use exec::{ExecOptions, ExecStdio};
pub use inspect::{signal_name, ContainerInspect, InspectMount, PsEntry};
pub use io::{parse_detach_keys, pump, AttachOutcome, AttachStreams};
pub use logs::LogOptions;
pub use network::{port_bindings, EndpointSettings, NetworkSettings, PortBinding};
pub use options::{CreateOptions, ImageVolumeMode, MountKind, MountSpec, Resources, Ulimit};
pub use remove::RemoveOptions;
pub use security::{SecurityConfig, SecurityOpt};
pub use spec::masked_and_readonly_paths;
pub use state::{process_start_time, same_process_alive, ContainerState, ContainerStatus};
pub use stats::{ContainerStats, StatsSample};
pub use storage::{Change, ChangeKind};
pub use top::{parse_descriptors, DEFAULT_DESCRIPTORS};
pub use update::UpdateOptions;

use crate::error::{Error, Result};
use crate::events::Event;
use crate::lock::{lock_exclusive, LockGuard};
use crate::runtime::Runtime;

/// A container of an open [`Runtime`].
pub struct Container<'r> {
    pub(crate) rt: &'r Runtime,
    pub(crate) config: ContainerConfig,
    pub(crate) state: ContainerState,
}

impl<'r> Container<'r> {
    pub fn id(&self) -> &str {
        &self.config.id
    }

    pub fn name(&self) -> &str {
        &self.config.name
    }

    pub fn config(&self) -> &ContainerConfig {
        &self.config
    }

    pub fn state(&self) -> &ContainerState {
        &self.state
    }

    pub fn status(&self) -> ContainerStatus {
        self.state.status
    }

    /// The OCI bundle and persistent per-container directory.
    pub fn bundle(&self) -> PathBuf {
        self.rt.paths.userdata(self.id())
    }

    /// The run-time directory (hosts, resolv.conf, monitor files, sockets).
    pub fn rundir(&self) -> PathBuf {
        self.rt.paths.rundir(self.id())
    }

    /// The directory for files attached to the container (`artifacts`).
    pub fn artifacts_dir(&self) -> PathBuf {
        self.bundle().join("artifacts")
    }

    pub fn exit_file(&self) -> PathBuf {
        self.rt.paths.exit_file(self.id())
    }

    /// The container's log file, unless logging is off.
    pub fn log_path(&self) -> Option<PathBuf> {
        if self.config.log_driver == "none" {
            return None;
        }
        Some(
            self.config
                .log_path
                .clone()
                .unwrap_or_else(|| self.bundle().join("ctr.log")),
        )
    }

    /// Takes the lock and brings the state up to date with the database and
    /// with what the monitor and the runtime say.
    pub(crate) fn lock(&mut self) -> Result<LockGuard> {
        let guard = lock_exclusive(&self.rt.paths.container_lock(self.id()))?;
        self.reload()?;
        self.sync_locked()?;
        Ok(guard)
    }

    /// Re-reads the state (and name) from the database.
    pub(crate) fn reload(&mut self) -> Result<()> {
        match self.rt.db.container(self.id())? {
            Some((config, state)) => {
                self.config = config;
                self.state = state;
                Ok(())
            }
            None => Err(Error::NoSuchContainer(self.config.id.clone())),
        }
    }

    pub(crate) fn save(&self) -> Result<()> {
        self.rt.db.save_state(self.id(), &self.state)
    }

    /// Records an event about this container.
    pub(crate) fn event(&self, status: &str) {
        self.event_with(status, None);
    }

    pub(crate) fn event_with(&self, status: &str, exit_code: Option<i32>) {
        let mut attributes = self.config.labels.clone();
        if let Some(image) = &self.config.image_name {
            attributes.insert("image".into(), image.clone());
        }
        attributes.insert("name".into(), self.config.name.clone());
        self.rt.events.write(&Event {
            id: self.config.id.clone(),
            image: self.config.image_name.clone().unwrap_or_default(),
            name: self.config.name.clone(),
            status: status.to_string(),
            time: Utc::now(),
            kind: "container".into(),
            network: String::new(),
            exit_code,
            attributes,
        });
    }

    pub(crate) fn invalid_state(&self, action: &str) -> Error {
        Error::InvalidState {
            id: self.config.id.clone(),
            state: self.state.status,
            action: action.to_string(),
        }
    }
}

impl Runtime {
    /// Finds a container by name, full ID or unique ID prefix.
    pub fn container(&self, name_or_id: &str) -> Result<Container<'_>> {
        let id = self.db.resolve(name_or_id)?;
        let (config, state) = self
            .db
            .container(&id)?
            .ok_or_else(|| Error::NoSuchContainer(name_or_id.to_string()))?;
        let mut c = Container {
            rt: self,
            config,
            state,
        };
        // What it shows is true: an exit or a dead monitor is noticed here
        // (unless the container is busy: its lock holder syncs it).
        if c.state.status.is_active() || c.state.status == ContainerStatus::Created {
            c.sync_unlocked_view()?;
        }
        Ok(c)
    }

    /// Every container, oldest first, with states synced (without waiting
    /// for locks held by others: a busy container is shown as last saved).
    pub fn containers(&self) -> Result<Vec<Container<'_>>> {
        let mut out = Vec::new();
        for (config, state) in self.db.all_containers()? {
            let mut c = Container {
                rt: self,
                config,
                state,
            };
            if c.state.status.is_active() || c.state.status == ContainerStatus::Created {
                c.sync_unlocked_view()?;
            }
            out.push(c);
        }
        Ok(out)
    }

    /// The most recently created container (`-l`).
    pub fn latest_container(&self) -> Result<Container<'_>> {
        self.containers()?
            .pop()
            .ok_or_else(|| Error::NoSuchContainer("latest".into()))
    }
}
