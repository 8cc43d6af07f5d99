//! What `inspect` and `ps` show of a container, in the shapes Podman and
//! Docker clients expect.

use std::collections::BTreeMap;

use chrono::{DateTime, Utc};
use serde::Serialize;

use super::{Container, ContainerStatus, MountKind};
use crate::error::Result;
use crate::humanize::human_duration;

/// `inspect` output (Podman's field names).
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct ContainerInspect {
    pub id: String,
    pub created: DateTime<Utc>,
    pub path: String,
    pub args: Vec<String>,
    pub state: InspectState,
    pub image: String,
    pub image_digest: String,
    pub image_name: String,
    pub rootfs: String,
    /// The pod's ID, empty outside a pod.
    pub pod: String,
    pub resolv_conf_path: String,
    pub hostname_path: String,
    pub hosts_path: String,
    pub static_dir: String,
    #[serde(rename = "OCIConfigPath")]
    pub oci_config_path: String,
    #[serde(rename = "OCIRuntime")]
    pub oci_runtime: String,
    pub conmon_pid_file: String,
    pub pid_file: String,
    /// Docker's `LogPath` (Podman has it as `HostConfig.LogConfig.Path`).
    #[serde(skip)]
    pub log_path: String,
    pub name: String,
    pub restart_count: u32,
    pub driver: String,
    pub mount_label: String,
    pub process_label: String,
    pub app_armor_profile: String,
    pub effective_caps: Vec<String>,
    pub bounding_caps: Vec<String>,
    #[serde(rename = "ExecIDs")]
    pub exec_ids: Vec<String>,
    pub graph_driver: GraphDriver,
    pub mounts: Vec<InspectMount>,
    /// Containers this one requires (`--requires`), by ID.
    pub dependencies: Vec<String>,
    pub network_settings: super::NetworkSettings,
    pub namespace: String,
    pub is_infra: bool,
    pub is_service: bool,
    pub config: InspectConfig,
    pub host_config: InspectHostConfig,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub size_rw: Option<u64>,
    #[serde(skip_serializing_if = "Option::is_none", rename = "SizeRootFs")]
    pub size_root_fs: Option<u64>,
}

#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct InspectState {
    pub oci_version: String,
    pub status: String,
    pub running: bool,
    pub paused: bool,
    pub restarting: bool,
    #[serde(rename = "OOMKilled")]
    pub oom_killed: bool,
    pub dead: bool,
    pub pid: i32,
    pub conmon_pid: i32,
    pub exit_code: i32,
    pub error: String,
    pub started_at: String,
    pub finished_at: String,
    /// Docker's `State.RestartCount` (Podman has only the top-level one).
    #[serde(skip)]
    pub restart_count: u32,
    /// Podman always shows it; empty without a health check.
    pub health: InspectHealth,
    pub cgroup_path: String,
    pub checkpointed_at: String,
    pub restored_at: String,
}

/// Docker's `State.Health`.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct InspectHealth {
    pub status: String,
    pub failing_streak: u32,
    /// `null` without a health check.
    pub log: Option<Vec<super::policy::HealthLogEntry>>,
}

/// Docker's `Config.Healthcheck` (durations in nanoseconds).
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct InspectHealthcheck {
    pub test: Vec<String>,
    pub interval: u128,
    pub timeout: u128,
    pub start_period: u128,
    pub retries: u32,
    pub on_failure: super::policy::HealthOnFailure,
}

/// Docker's `HostConfig.RestartPolicy`.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct InspectRestartPolicy {
    pub name: String,
    pub maximum_retry_count: u32,
}

#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct InspectMount {
    #[serde(rename = "Type")]
    pub kind: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    pub source: String,
    pub destination: String,
    pub driver: String,
    pub mode: String,
    pub options: Vec<String>,
    #[serde(rename = "RW")]
    pub rw: bool,
    pub propagation: String,
}

#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct InspectConfig {
    pub hostname: String,
    pub domainname: String,
    pub user: String,
    pub attach_stdin: bool,
    pub attach_stdout: bool,
    pub attach_stderr: bool,
    pub tty: bool,
    pub open_stdin: bool,
    pub stdin_once: bool,
    pub env: Vec<String>,
    pub cmd: Vec<String>,
    pub image: String,
    pub volumes: Option<BTreeMap<String, serde_json::Value>>,
    pub working_dir: String,
    /// Podman 4's one string: the words joined by spaces.
    pub entrypoint: String,
    pub on_build: Option<String>,
    pub labels: BTreeMap<String, String>,
    pub annotations: BTreeMap<String, String>,
    /// The signal number.
    pub stop_signal: i32,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub healthcheck: Option<InspectHealthcheck>,
    /// The `mount` secrets (never their values).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub secrets: Vec<crate::secrets::InspectSecret>,
    pub healthcheck_on_failure_action: String,
    pub create_command: Vec<String>,
    /// `--tz` (Podman omits it when unset).
    #[serde(skip_serializing_if = "String::is_empty")]
    pub timezone: String,
    pub umask: String,
    pub timeout: u64,
    pub stop_timeout: u32,
    pub passwd: bool,
}

#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct InspectHostConfig {
    pub binds: Vec<String>,
    pub cgroup_manager: String,
    pub cgroup_mode: String,
    #[serde(rename = "ContainerIDFile")]
    pub container_id_file: String,
    pub log_config: LogConfig,
    pub network_mode: String,
    pub port_bindings: BTreeMap<String, Vec<super::PortBinding>>,
    pub restart_policy: InspectRestartPolicy,
    pub auto_remove: bool,
    pub volume_driver: String,
    pub volumes_from: Option<Vec<String>>,
    pub cap_add: Vec<String>,
    pub cap_drop: Vec<String>,
    pub dns: Vec<String>,
    pub dns_options: Vec<String>,
    pub dns_search: Vec<String>,
    pub extra_hosts: Vec<String>,
    pub group_add: Vec<String>,
    pub ipc_mode: String,
    pub cgroup: String,
    pub cgroups: String,
    pub links: Option<Vec<String>>,
    pub oom_score_adj: i32,
    pub pid_mode: String,
    pub privileged: bool,
    pub publish_all_ports: bool,
    pub readonly_rootfs: bool,
    /// `--security-opt` as Podman lists it (seccomp, no-new-privileges, labels).
    pub security_opt: Vec<String>,
    pub tmpfs: BTreeMap<String, String>,
    #[serde(rename = "UTSMode")]
    pub uts_mode: String,
    pub userns_mode: String,
    pub shm_size: u64,
    pub runtime: String,
    pub console_size: [u32; 2],
    pub isolation: String,
    pub cpu_shares: u64,
    pub memory: u64,
    pub nano_cpus: u64,
    pub cgroup_parent: String,
    pub blkio_weight: u16,
    pub blkio_weight_device: Option<Vec<serde_json::Value>>,
    pub blkio_device_read_bps: Option<Vec<serde_json::Value>>,
    pub blkio_device_write_bps: Option<Vec<serde_json::Value>>,
    #[serde(rename = "BlkioDeviceReadIOps")]
    pub blkio_device_read_iops: Option<Vec<serde_json::Value>>,
    #[serde(rename = "BlkioDeviceWriteIOps")]
    pub blkio_device_write_iops: Option<Vec<serde_json::Value>>,
    pub cpu_period: u64,
    pub cpu_quota: i64,
    pub cpu_realtime_period: u64,
    pub cpu_realtime_runtime: i64,
    pub cpuset_cpus: String,
    pub cpuset_mems: String,
    pub devices: Vec<InspectDevice>,
    pub disk_quota: u64,
    pub kernel_memory: i64,
    pub memory_reservation: i64,
    pub memory_swap: i64,
    pub memory_swappiness: i64,
    pub oom_kill_disable: bool,
    /// Podman's Go struct has it (omitted from its JSON when false);
    /// templates read it either way.
    pub init: bool,
    pub pids_limit: i64,
    pub ulimits: Vec<InspectUlimit>,
    pub cpu_count: u64,
    pub cpu_percent: u64,
    #[serde(rename = "IOMaximumIOps")]
    pub io_maximum_iops: u64,
    #[serde(rename = "IOMaximumBandwidth")]
    pub io_maximum_bandwidth: u64,
    pub cgroup_conf: Option<BTreeMap<String, String>>,
    /// Docker's `DeviceCgroupRules` (not in Podman's document).
    #[serde(skip)]
    pub device_cgroup_rules: Vec<String>,
    /// Docker's `Sysctls` (not in Podman's document).
    #[serde(skip)]
    pub sysctls: BTreeMap<String, String>,
    /// The uid and gid maps, when the container has a user namespace (null
    /// otherwise: Podman leaves the key out of its JSON, but its templates
    /// print `null` for it, which rpod's templates need the key for).
    #[serde(rename = "IDMappings")]
    pub id_mappings: Option<InspectIdMappings>,
}

/// Podman's `HostConfig.IDMappings`: `CONTAINER:HOST:SIZE` lines.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct InspectIdMappings {
    pub uid_map: Vec<String>,
    pub gid_map: Vec<String>,
}

#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct InspectDevice {
    pub path_on_host: String,
    pub path_in_container: String,
    pub cgroup_permissions: String,
}

#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct InspectUlimit {
    pub name: String,
    pub soft: u64,
    pub hard: u64,
}

#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct LogConfig {
    #[serde(rename = "Type")]
    pub kind: String,
    pub config: Option<BTreeMap<String, String>>,
    pub path: String,
    pub tag: String,
    pub size: String,
}

#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct GraphDriver {
    pub name: String,
    /// `null` when the driver has nothing to report, as Podman's vfs.
    pub data: Option<BTreeMap<String, String>>,
}

/// One `ps` row (Podman's `ps --format json` field names).
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct PsEntry {
    pub auto_remove: bool,
    pub command: Vec<String>,
    pub created: i64,
    pub created_at: String,
    pub exited: bool,
    pub exited_at: i64,
    pub exit_code: i32,
    pub id: String,
    pub image: String,
    #[serde(rename = "ImageID")]
    pub image_id: String,
    pub is_infra: bool,
    pub labels: BTreeMap<String, String>,
    pub mounts: Vec<String>,
    pub names: Vec<String>,
    /// Namespace IDs (Podman fills them with `--ns` only).
    pub namespaces: BTreeMap<String, String>,
    pub networks: Vec<String>,
    pub pid: i32,
    pub pod: String,
    pub pod_name: String,
    pub ports: Vec<String>,
    /// Not in Podman's `ps` document; kept for the Docker API.
    #[serde(skip)]
    pub restarts: u32,
    /// `null` without `--size`.
    pub size: Option<PsSize>,
    pub started_at: i64,
    pub state: String,
    pub status: String,
}

impl PsEntry {
    /// The row of a container only storage knows (Podman's `storage` state).
    pub fn external(
        id: &str,
        image: &str,
        image_id: Option<&str>,
        created: chrono::DateTime<chrono::Utc>,
    ) -> PsEntry {
        PsEntry {
            auto_remove: false,
            command: vec!["storage".into()],
            created: created.timestamp(),
            created_at: created.format("%Y-%m-%d %H:%M:%S%.f %z UTC").to_string(),
            exited: false,
            exited_at: -62135596800,
            exit_code: 0,
            id: id.to_string(),
            image: image.to_string(),
            image_id: image_id.unwrap_or_default().to_string(),
            is_infra: false,
            labels: BTreeMap::new(),
            mounts: Vec::new(),
            names: Vec::new(),
            namespaces: BTreeMap::new(),
            networks: Vec::new(),
            pid: 0,
            pod: String::new(),
            pod_name: String::new(),
            ports: Vec::new(),
            restarts: 0,
            size: None,
            started_at: 0,
            state: "storage".into(),
            status: "Storage".into(),
        }
    }
}

#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct PsSize {
    pub rw_size: u64,
    pub root_fs_size: u64,
}

fn go_time(t: Option<DateTime<Utc>>) -> String {
    t.map(storage::oci::go_rfc3339)
        .unwrap_or_else(|| "0001-01-01T00:00:00Z".into())
}

impl Container<'_> {
    /// The inode numbers of the namespaces the container's process is in
    /// (`ps --ns`), under Podman's JSON keys; empty when it does not run.
    pub fn namespace_ids(&self) -> BTreeMap<String, String> {
        const KINDS: [(&str, &str); 7] = [
            ("Mnt", "mnt"),
            ("Cgroup", "cgroup"),
            ("Ipc", "ipc"),
            ("Net", "net"),
            ("Pidns", "pid"),
            ("Uts", "uts"),
            ("User", "user"),
        ];
        let pid = self.state.pid;
        if pid <= 0 || !self.status().is_active() {
            return BTreeMap::new();
        }
        KINDS
            .iter()
            .filter_map(|(key, ns)| {
                let link = std::fs::read_link(format!("/proc/{pid}/ns/{ns}")).ok()?;
                // `net:[4026532174]`
                let text = link.to_string_lossy();
                let inode = text.split_once('[')?.1.strip_suffix(']')?.to_string();
                Some((key.to_string(), inode))
            })
            .collect()
    }

    /// `ps`'s `{{.State}}`: [`Self::status_text`] without the health.
    pub fn state_text(&self) -> String {
        let text = self.status_text();
        match &self.state.health {
            Some(h) if self.status() == ContainerStatus::Running => text
                .strip_suffix(&format!(" ({})", h.status.as_str()))
                .map(str::to_string)
                .unwrap_or(text),
            _ => text,
        }
    }

    /// The human status column of `ps`: `Up 3 seconds`, `Exited (0) 2 minutes ago`, `Created`.
    pub fn status_text(&self) -> String {
        let now = Utc::now();
        match self.state.status {
            ContainerStatus::Running | ContainerStatus::Stopping => {
                let since = self.state.started_at.unwrap_or(now);
                match &self.state.health {
                    Some(h) => format!(
                        "Up {} ago ({})",
                        human_duration(now - since),
                        h.status.as_str()
                    ),
                    None => format!("Up {} ago", human_duration(now - since)),
                }
            }
            ContainerStatus::Stopped | ContainerStatus::Exited if self.state.restarting => {
                let since = self.state.finished_at.unwrap_or(now);
                format!(
                    "Restarting ({}) {} ago",
                    self.state.exit_code,
                    human_duration(now - since)
                )
            }
            ContainerStatus::Paused => "Paused".into(),
            ContainerStatus::Stopped | ContainerStatus::Exited => {
                let since = self.state.finished_at.unwrap_or(now);
                format!(
                    "Exited ({}) {} ago",
                    self.state.exit_code,
                    human_duration(now - since)
                )
            }
            ContainerStatus::Configured | ContainerStatus::Created => "Created".into(),
            ContainerStatus::Removing => "Removing".into(),
            ContainerStatus::Unknown => "Unknown".into(),
        }
    }

    pub(crate) fn inspect_mounts(&self) -> Vec<InspectMount> {
        self.config
            .mounts
            .iter()
            .filter(|m| matches!(m.kind, MountKind::Bind | MountKind::Volume))
            .map(|m| InspectMount {
                kind: if m.kind == MountKind::Volume {
                    "volume"
                } else {
                    "bind"
                }
                .into(),
                name: m.volume.clone(),
                source: match (&m.source, &m.volume) {
                    (Some(s), _) => s.display().to_string(),
                    (None, Some(v)) => self
                        .rt
                        .volume(v)
                        .map(|v| v.mountpoint.display().to_string())
                        .unwrap_or_default(),
                    (None, None) => String::new(),
                },
                destination: m.destination.clone(),
                driver: if m.kind == MountKind::Volume {
                    "local"
                } else {
                    ""
                }
                .into(),
                mode: String::new(),
                options: m
                    .options
                    .iter()
                    .filter(|o| *o != "ro" && *o != "rw")
                    .cloned()
                    .collect(),
                rw: !m.read_only(),
                propagation: m
                    .options
                    .iter()
                    .find(|o| o.contains("private") || o.contains("shared") || o.contains("slave"))
                    .cloned()
                    .unwrap_or_else(|| "rprivate".into()),
            })
            .collect()
    }

    /// The `inspect` document; `size` adds SizeRw and SizeRootFs.
    pub fn inspect(&self, size: bool) -> Result<ContainerInspect> {
        let c = &self.config;
        let s = &self.state;
        let cmd = c.command();
        let rundir = self.rundir();
        let driver = match &c.rootfs {
            Some(_) => String::new(),
            None => self
                .rt
                .store()
                .map(|st| st.driver().to_string())
                .unwrap_or_default(),
        };
        let mut graph = BTreeMap::new();
        if c.rootfs.is_none() {
            if let Ok(store) = self.rt.store() {
                graph.insert(
                    "MergedDir".into(),
                    store.container_mount_point(self.id()).display().to_string(),
                );
            }
        }
        let (size_rw, size_root_fs) = if size {
            (Some(self.rw_size()?), Some(self.rootfs_size()?))
        } else {
            (None, None)
        };
        let mut caps: Vec<String> =
            ocirt::spec::capability_set(&c.cap_add, &c.cap_drop, c.privileged)
                .unwrap_or_default()
                .into_iter()
                .map(|n| format!("CAP_{n}"))
                .collect();
        caps.sort();
        let image_digest = c
            .image_id
            .as_deref()
            .and_then(|id| self.rt.image(id).ok())
            .map(|i| i.digest)
            .unwrap_or_default();
        let cgroup_path = if s.status.is_active() {
            format!(
                "{}/rpod-{}",
                c.isolation
                    .cgroup_parent
                    .as_deref()
                    .unwrap_or("/rpod")
                    .trim_end_matches('/'),
                c.id
            )
        } else {
            String::new()
        };
        let bundle = self.bundle();
        let log_path = self
            .log_path()
            .map(|p| p.display().to_string())
            .unwrap_or_default();
        Ok(ContainerInspect {
            id: c.id.clone(),
            created: c.created_at,
            path: cmd.first().cloned().unwrap_or_default(),
            args: cmd.iter().skip(1).cloned().collect(),
            state: InspectState {
                oci_version: "1.0.2".into(),
                status: s.status.as_str().into(),
                running: s.status == ContainerStatus::Running,
                paused: s.status == ContainerStatus::Paused,
                restarting: s.restarting,
                oom_killed: s.oom_killed,
                dead: s.status == ContainerStatus::Unknown,
                pid: s.pid,
                conmon_pid: s.monitor_pid,
                exit_code: s.exit_code,
                error: s.error.clone(),
                started_at: go_time(s.started_at),
                finished_at: go_time(s.finished_at),
                restart_count: s.restart_count,
                health: match &s.health {
                    Some(h) => InspectHealth {
                        status: h.status.as_str().into(),
                        failing_streak: h.failing_streak,
                        log: Some(h.log.clone()),
                    },
                    None => InspectHealth {
                        status: String::new(),
                        failing_streak: 0,
                        log: None,
                    },
                },
                cgroup_path,
                checkpointed_at: go_time(None),
                restored_at: go_time(None),
            },
            image: c.image_id.clone().unwrap_or_default(),
            image_digest,
            image_name: c.image_name.clone().unwrap_or_default(),
            rootfs: c
                .rootfs
                .as_ref()
                .map(|p| p.display().to_string())
                .unwrap_or_default(),
            pod: c.pod.clone().unwrap_or_default(),
            resolv_conf_path: rundir.join("resolv.conf").display().to_string(),
            hostname_path: rundir.join("hostname").display().to_string(),
            hosts_path: rundir.join("hosts").display().to_string(),
            static_dir: bundle.display().to_string(),
            oci_config_path: bundle.join("config.json").display().to_string(),
            oci_runtime: self
                .rt
                .oci()
                .map(|o| o.name().to_string())
                .unwrap_or_default(),
            conmon_pid_file: c
                .conmon_pidfile
                .clone()
                .unwrap_or_else(|| rundir.join("monitor.pid"))
                .display()
                .to_string(),
            pid_file: c
                .pidfile
                .clone()
                .unwrap_or_else(|| rundir.join("pidfile"))
                .display()
                .to_string(),
            log_path: log_path.clone(),
            name: c.name.clone(),
            restart_count: s.restart_count,
            driver: driver.clone(),
            mount_label: String::new(),
            process_label: String::new(),
            app_armor_profile: String::new(),
            effective_caps: caps.clone(),
            bounding_caps: caps,
            exec_ids: s.exec_sessions.keys().cloned().collect(),
            mounts: self.inspect_mounts(),
            dependencies: c.dependencies.clone(),
            namespace: String::new(),
            is_infra: c.is_infra,
            is_service: false,
            config: InspectConfig {
                hostname: c.hostname.clone(),
                domainname: String::new(),
                user: c.user.clone(),
                attach_stdin: c.interactive,
                attach_stdout: true,
                attach_stderr: true,
                tty: c.tty,
                open_stdin: c.interactive,
                stdin_once: c.stdin_once,
                env: c.env.clone(),
                cmd: c.cmd.clone(),
                image: c.image_name.clone().unwrap_or_default(),
                volumes: None,
                working_dir: c.workdir.clone(),
                entrypoint: c.entrypoint.join(" "),
                on_build: None,
                labels: c.labels.clone(),
                annotations: c.annotations.clone(),
                stop_signal: c.stop_signal,
                healthcheck_on_failure_action: c
                    .health
                    .as_ref()
                    .and_then(|h| serde_json::to_value(h.on_failure).ok())
                    .and_then(|v| v.as_str().map(str::to_string))
                    .unwrap_or_else(|| "none".into()),
                create_command: c
                    .create_command
                    .as_ref()
                    .map(|cc| cc.args.clone())
                    .unwrap_or_default(),
                timezone: c.timezone.clone().unwrap_or_default(),
                umask: format!("{:04o}", c.umask.unwrap_or(0o022)),
                timeout: c.timeout.unwrap_or(0),
                stop_timeout: c.stop_timeout,
                // rpod adds no passwd entries for the user.
                passwd: false,
                healthcheck: c.health.as_ref().map(|h| InspectHealthcheck {
                    test: h.test.clone(),
                    interval: h.interval.as_nanos(),
                    timeout: h.timeout.as_nanos(),
                    start_period: h.start_period.as_nanos(),
                    retries: h.retries,
                    on_failure: h.on_failure,
                }),
                secrets: self.inspect_secrets(),
            },
            host_config: InspectHostConfig {
                binds: c
                    .mounts
                    .iter()
                    .filter(|m| m.kind == MountKind::Bind)
                    .map(|m| {
                        let src = m
                            .source
                            .as_ref()
                            .map(|s| s.display().to_string())
                            .unwrap_or_default();
                        if m.options.is_empty() {
                            format!("{src}:{}", m.destination)
                        } else {
                            format!("{src}:{}:{}", m.destination, m.options.join(","))
                        }
                    })
                    .collect(),
                cgroup_manager: "cgroupfs".into(),
                container_id_file: String::new(),
                network_mode: c.network.to_string(),
                port_bindings: super::network::port_bindings(&c.net.ports),
                auto_remove: c.auto_remove,
                volume_driver: String::new(),
                volumes_from: None,
                privileged: c.privileged,
                publish_all_ports: false,
                readonly_rootfs: c.read_only,
                cap_add: c.cap_add.clone(),
                cap_drop: c.cap_drop.clone(),
                dns: c.net.dns.clone(),
                dns_options: c.net.dns_options.clone(),
                dns_search: c.net.dns_search.clone(),
                extra_hosts: c.net.add_hosts.clone(),
                cgroup: String::new(),
                cgroups: "default".into(),
                // Docker's form: `/OTHER:/THIS/ALIAS`.
                links: (!c.net.links.is_empty()).then(|| {
                    c.net
                        .links
                        .iter()
                        .map(|l| {
                            let other = self
                                .rt
                                .container(&l.container)
                                .map(|o| o.name().to_string())
                                .unwrap_or_else(|_| l.container.clone());
                            format!("/{other}:/{}/{}", self.name(), l.alias)
                        })
                        .collect()
                }),
                security_opt: c.security.security_opt.clone(),
                pid_mode: c.isolation.pid.display("private"),
                ipc_mode: c.isolation.ipc.display("shareable"),
                uts_mode: c.isolation.uts.display("private"),
                userns_mode: c.userns.mode.display(),
                runtime: "oci".into(),
                console_size: [0, 0],
                isolation: String::new(),
                cpu_shares: c.resources.cpu_shares.unwrap_or(0),
                blkio_weight: c.isolation.blkio.weight.unwrap_or(0),
                blkio_weight_device: blkio_list(&c.isolation.blkio, |b| &b.weight_device, "Weight"),
                blkio_device_read_bps: blkio_list(&c.isolation.blkio, |b| &b.read_bps, "Rate"),
                blkio_device_write_bps: blkio_list(&c.isolation.blkio, |b| &b.write_bps, "Rate"),
                blkio_device_read_iops: blkio_list(&c.isolation.blkio, |b| &b.read_iops, "Rate"),
                blkio_device_write_iops: blkio_list(&c.isolation.blkio, |b| &b.write_iops, "Rate"),
                cpu_period: c.resources.cpu_period.unwrap_or(0),
                cpu_quota: c.resources.cpu_quota.unwrap_or(0),
                cpu_realtime_period: c.resources.cpu_rt_period.unwrap_or(0),
                cpu_realtime_runtime: c.resources.cpu_rt_runtime.unwrap_or(0),
                cpuset_cpus: c.resources.cpuset_cpus.clone().unwrap_or_default(),
                cpuset_mems: c.resources.cpuset_mems.clone().unwrap_or_default(),
                disk_quota: 0,
                kernel_memory: 0,
                memory_reservation: c.resources.memory_reservation.map_or(0, |v| v as i64),
                memory_swap: c.resources.memory_swap.unwrap_or(0),
                memory_swappiness: c.resources.memory_swappiness.map_or(0, |v| v as i64),
                oom_kill_disable: c.resources.oom_kill_disable,
                cpu_count: 0,
                cpu_percent: 0,
                io_maximum_iops: 0,
                io_maximum_bandwidth: 0,
                cgroup_conf: None,
                cgroup_mode: match (&c.isolation.cgroupns, c.isolation.cgroupns_explicit) {
                    (super::isolation::NamespaceMode::Private, false) => {
                        if ocirt::cgroup_mode() == ocirt::CgroupMode::Unified {
                            "private".into()
                        } else {
                            "host".into()
                        }
                    }
                    (mode, _) => mode.display("private"),
                },
                cgroup_parent: c.isolation.cgroup_parent.clone().unwrap_or_default(),
                devices: c
                    .isolation
                    .devices
                    .iter()
                    .map(|d| InspectDevice {
                        path_on_host: d.host_path.display().to_string(),
                        path_in_container: d.container_path.clone(),
                        cgroup_permissions: d.permissions.clone(),
                    })
                    .collect(),
                device_cgroup_rules: c
                    .isolation
                    .device_cgroup_rules
                    .iter()
                    .map(|r| {
                        let n = |v: Option<i64>| v.map_or("*".to_string(), |v| v.to_string());
                        format!("{} {}:{} {}", r.kind, n(r.major), n(r.minor), r.access)
                    })
                    .collect(),
                sysctls: c.isolation.sysctls.clone(),
                group_add: c.isolation.group_add.clone(),
                oom_score_adj: c.isolation.oom_score_adj.unwrap_or(0),
                memory: c.resources.memory.unwrap_or(0),
                nano_cpus: c.resources.cpus.map(|x| (x * 1e9) as u64).unwrap_or(0),
                pids_limit: c.resources.pids_limit.unwrap_or(0),
                shm_size: c.shm_size,
                ulimits: c
                    .ulimits
                    .iter()
                    .map(|u| InspectUlimit {
                        name: format!("RLIMIT_{}", u.name.to_ascii_uppercase()),
                        soft: u.soft,
                        hard: u.hard,
                    })
                    .collect(),
                tmpfs: c
                    .mounts
                    .iter()
                    .filter(|m| m.kind == MountKind::Tmpfs)
                    .map(|m| (m.destination.clone(), m.options.join(",")))
                    .collect(),
                init: c.init,
                log_config: LogConfig {
                    kind: c.log_driver.clone(),
                    config: None,
                    path: log_path,
                    tag: String::new(),
                    // Podman's way: decimal units, four significant digits (`1.5MB`).
                    size: crate::humanize::human_size_compact(c.log_max_size.unwrap_or(0)),
                },
                restart_policy: InspectRestartPolicy {
                    name: match c.restart_policy.name {
                        super::policy::RestartPolicyName::No => String::new(),
                        _ => c
                            .restart_policy
                            .to_string()
                            .split(':')
                            .next()
                            .unwrap_or_default()
                            .to_string(),
                    },
                    maximum_retry_count: c.restart_policy.max_retries,
                },
                id_mappings: (!c.userns.maps.uid.is_empty()).then(|| {
                    let show = |m: &[super::userns::IdMapping]| {
                        m.iter()
                            .map(|l| format!("{}:{}:{}", l.container, l.host, l.size))
                            .collect()
                    };
                    InspectIdMappings {
                        uid_map: show(&c.userns.maps.uid),
                        gid_map: show(&c.userns.maps.gid),
                    }
                }),
            },
            network_settings: self.network_settings(),
            graph_driver: GraphDriver {
                name: driver,
                data: (!graph.is_empty()).then_some(graph),
            },
            size_rw,
            size_root_fs,
        })
    }

    /// The `ps` row; `size` adds the sizes.
    pub fn ps_entry(&self, size: bool) -> Result<PsEntry> {
        let c = &self.config;
        let s = &self.state;
        let exited = matches!(s.status, ContainerStatus::Stopped | ContainerStatus::Exited);
        Ok(PsEntry {
            auto_remove: c.auto_remove,
            command: c.command(),
            created: c.created_at.timestamp(),
            created_at: c
                .created_at
                .format("%Y-%m-%d %H:%M:%S%.f %z UTC")
                .to_string(),
            exited,
            exited_at: s.finished_at.map(|t| t.timestamp()).unwrap_or(-62135596800),
            exit_code: s.exit_code,
            id: c.id.clone(),
            image: c.image_name.clone().unwrap_or_else(|| {
                c.rootfs
                    .as_ref()
                    .map(|p| p.display().to_string())
                    .unwrap_or_default()
            }),
            image_id: c.image_id.clone().unwrap_or_default(),
            is_infra: c.is_infra,
            labels: c.labels.clone(),
            mounts: c.mounts.iter().map(|m| m.destination.clone()).collect(),
            names: vec![c.name.clone()],
            namespaces: BTreeMap::new(),
            networks: c.net.networks.keys().cloned().collect(),
            pid: s.pid,
            pod: c.pod.clone().unwrap_or_default(),
            pod_name: c
                .pod
                .as_deref()
                .and_then(|p| self.rt.pod(p).ok())
                .map(|p| p.name)
                .unwrap_or_default(),
            ports: self.ports_display(),
            restarts: s.restart_count,
            size: if size {
                Some(PsSize {
                    rw_size: self.rw_size()?,
                    root_fs_size: self.rootfs_size()?,
                })
            } else {
                None
            },
            started_at: s.started_at.map(|t| t.timestamp()).unwrap_or(-62135596800),
            state: s.status.docker_status().into(),
            status: self.status_text(),
        })
    }
}

/// `SIGTERM` for 15 and so on; the number when it has no name.
pub fn signal_name(sig: i32) -> String {
    nix::sys::signal::Signal::try_from(sig)
        .map(|s| s.as_str().to_string())
        .unwrap_or_else(|_| sig.to_string())
}

/// One of Podman's `HostConfig.Blkio*` lists: null when no block I/O
/// setting is given, else `[{"Path": …, key: …}]`.
fn blkio_list(
    b: &super::isolation::BlkioLimits,
    pick: impl Fn(&super::isolation::BlkioLimits) -> &Vec<super::isolation::BlkioRate>,
    key: &str,
) -> Option<Vec<serde_json::Value>> {
    if b.is_empty() {
        return None;
    }
    Some(
        pick(b)
            .iter()
            .map(|r| serde_json::json!({"Path": r.path.display().to_string(), key: r.rate}))
            .collect(),
    )
}
