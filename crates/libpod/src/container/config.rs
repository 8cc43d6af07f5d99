//! A container's configuration: written once at creation, never changed
//! afterwards (except its name by `rename`).

use std::collections::BTreeMap;
use std::path::PathBuf;

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use super::options::{MountSpec, Resources, Ulimit};
use super::policy::{HealthConfig, RestartPolicy};

/// Everything needed to (re)create the container in the runtime, resolved
/// against its image and the engine defaults at creation time.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct ContainerConfig {
    pub id: String,
    pub name: String,
    pub created_at: DateTime<Utc>,
    /// Image ID, when made from an image.
    pub image_id: Option<String>,
    /// The image reference as the user gave it.
    pub image_name: Option<String>,
    /// A host directory used as the root file system (`--rootfs`).
    pub rootfs: Option<PathBuf>,
    pub entrypoint: Vec<String>,
    pub cmd: Vec<String>,
    pub env: Vec<String>,
    pub workdir: String,
    pub user: String,
    /// The process's umask (`--umask`); none recorded means Podman's 0022.
    #[serde(default)]
    pub umask: Option<u32>,
    /// `--pidfile`: where the container's pid is written at init.
    #[serde(default)]
    pub pidfile: Option<PathBuf>,
    /// `--conmon-pidfile`: where the monitor's pid is written at init.
    #[serde(default)]
    pub conmon_pidfile: Option<PathBuf>,
    /// `--passwd`: a numeric `--user` missing from the image's passwd (and
    /// its group from group) gets an entry, as Podman adds one.
    #[serde(default)]
    pub passwd: bool,
    /// `--no-hosts`: the image's `/etc/hosts` is kept, none is made.
    #[serde(default)]
    pub no_hosts: bool,
    /// `--tz`: a zone of the host's `/usr/share/zoneinfo`, or `local` (the
    /// host's `/etc/localtime`), given to the container as `/etc/localtime`.
    #[serde(default)]
    pub timezone: Option<String>,
    /// `--timeout`: seconds the container may run before its monitor kills
    /// it with SIGKILL; `None` (or 0) means no limit.
    #[serde(default)]
    pub timeout: Option<u64>,
    /// `--init-path`: the init binary for `--init` (else the configured one).
    #[serde(default)]
    pub init_path: Option<PathBuf>,
    /// `--personality`: the execution domain (`LINUX`, `LINUX32`).
    #[serde(default)]
    pub personality: Option<String>,
    pub hostname: String,
    pub labels: BTreeMap<String, String>,
    pub annotations: BTreeMap<String, String>,
    pub stop_signal: i32,
    pub stop_timeout: u32,
    pub read_only: bool,
    pub privileged: bool,
    pub cap_add: Vec<String>,
    pub cap_drop: Vec<String>,
    /// seccomp, no-new-privileges, labels, masks (`--security-opt`).
    #[serde(default)]
    pub security: super::security::SecurityConfig,
    /// Namespaces, devices, sysctls, groups, OOM score (`--pid`, `--device`, …).
    #[serde(default)]
    pub isolation: super::isolation::IsolationConfig,
    pub ulimits: Vec<Ulimit>,
    pub resources: Resources,
    pub shm_size: u64,
    pub init: bool,
    pub mounts: Vec<MountSpec>,
    pub network: network::NetworkMode,
    /// Networks, published ports, DNS and extra hosts (bridge networking).
    #[serde(default)]
    pub net: network::ContainerNetConfig,
    pub tty: bool,
    pub interactive: bool,
    /// Docker's StdinOnce: recorded as asked (the container's stdin closes
    /// when the attached client's input ends either way).
    #[serde(default)]
    pub stdin_once: bool,
    pub log_driver: String,
    pub log_path: Option<PathBuf>,
    pub log_max_size: Option<u64>,
    pub auto_remove: bool,
    #[serde(default)]
    pub restart_policy: RestartPolicy,
    /// IDs of containers that must run before this one (`--requires`).
    #[serde(default)]
    pub dependencies: Vec<String>,
    #[serde(default)]
    pub health: Option<HealthConfig>,
    /// The pod this container belongs to (its ID).
    #[serde(default)]
    pub pod: Option<String>,
    /// This container is its pod's infra container.
    #[serde(default)]
    pub is_infra: bool,
    /// `--init-ctr`: one of its pod's init containers.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub init_container: Option<super::policy::InitContainerType>,
    /// `--secret`: which secrets and how (IDs and options, never values).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub secrets: Vec<crate::secrets::ContainerSecret>,
    /// Its user namespace and ID maps (`--userns`, `--uidmap`, …).
    #[serde(default)]
    pub userns: super::userns::UsernsConfig,
    /// `--sdnotify`.
    #[serde(default)]
    pub sdnotify: crate::systemd::SdNotifyMode,
    /// The command line that created it, when it was the rpod CLI.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub create_command: Option<crate::systemd::CreateCommand>,
}

impl ContainerConfig {
    /// The process the container runs: entrypoint followed by cmd.
    pub fn command(&self) -> Vec<String> {
        self.entrypoint
            .iter()
            .chain(self.cmd.iter())
            .cloned()
            .collect()
    }

    /// The first 12 characters of the ID.
    pub fn short_id(&self) -> &str {
        &self.id[..self.id.len().min(12)]
    }
}
