//! Pods: groups of containers sharing namespaces through an infra
//! container that holds them (catatonit `-P`, a tiny static pause process
//! bind-mounted into an empty root, never a pulled image). Containers of a
//! pod depend on the infra container, so starting one starts it first (the
//! seed's dependency start); ports and networks are set on the pod.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use crate::container::policy::InitContainerType;
use crate::container::{Container, ContainerStatus, CreateOptions, MountSpec};
use crate::error::{Error, IoContext, Result};
use crate::ids::{new_id, random_name, validate_name};
use crate::runtime::Runtime;

/// The namespaces a pod shares by default (Podman's).
pub const DEFAULT_SHARE: &[&str] = &["net", "ipc", "uts"];
/// The namespaces a pod can share.
const SHAREABLE: &[&str] = &["net", "ipc", "uts", "pid", "cgroup"];
/// Where the infra command is bind-mounted in the infra container.
const INFRA_BINARY: &str = "/catatonit";

/// A pod's configuration.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct PodConfig {
    pub id: String,
    pub name: String,
    pub created_at: DateTime<Utc>,
    pub labels: BTreeMap<String, String>,
    pub hostname: String,
    pub share: Vec<String>,
    pub infra_id: Option<String>,
    /// Host devices every container of the pod gets (`pod create --device`).
    #[serde(default)]
    pub devices: Vec<crate::container::isolation::DeviceSpec>,
    /// The pod's cgroup, the parent of its containers' cgroups
    /// (`--share-parent`, the default); `None` for pods without one.
    #[serde(default)]
    pub cgroup_path: Option<String>,
    /// The infra container has a user namespace of its own, which the
    /// pod's containers join (`pod create --userns`, `--uidmap`).
    #[serde(default)]
    pub userns: bool,
    /// Limits of the pod's cgroup, shared by all its containers
    /// (`pod create --cpus`, `--memory`, …).
    #[serde(default)]
    pub resources: crate::container::Resources,
    /// `pod create --no-hosts`: no container of the pod gets an `/etc/hosts` made.
    #[serde(default)]
    pub no_hosts: bool,
    /// `pod create --shm-size`: the size of `/dev/shm` in the pod's containers (bytes).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub shm_size: Option<u64>,
    /// `pod create -v`/`--volumes-from`: the mounts every container of the pod gets
    /// (resolved by the infra container's creation).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub mounts: Vec<MountSpec>,
    /// `pod create --exit-policy`.
    #[serde(default)]
    pub exit_policy: PodExitPolicy,
    /// The command line that created the pod (`CreateCommand` of `pod inspect`).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub create_command: Vec<String>,
}

/// `pod create --exit-policy`: what happens when the pod's last container exits.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum PodExitPolicy {
    /// The infra container keeps running (Podman's default).
    #[default]
    Continue,
    /// The pod is stopped: its infra container too.
    Stop,
}

impl std::str::FromStr for PodExitPolicy {
    type Err = Error;
    fn from_str(s: &str) -> Result<Self> {
        match s {
            "continue" => Ok(PodExitPolicy::Continue),
            "stop" => Ok(PodExitPolicy::Stop),
            // Podman's words.
            other => Err(Error::InvalidArgument(format!(
                "invalid pod exit policy: {other:?}"
            ))),
        }
    }
}

impl std::fmt::Display for PodExitPolicy {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            PodExitPolicy::Continue => "continue",
            PodExitPolicy::Stop => "stop",
        })
    }
}

impl PodConfig {
    pub fn shares(&self, ns: &str) -> bool {
        self.share.iter().any(|s| s == ns)
    }
}

/// What `pod create` asks for.
#[derive(Debug, Clone, Default)]
pub struct PodCreateOptions {
    pub name: Option<String>,
    pub labels: BTreeMap<String, String>,
    pub hostname: Option<String>,
    /// Namespaces to share; `None` for the default (net, ipc, uts).
    pub share: Option<Vec<String>>,
    pub infra: bool,
    /// The infra container's command (default `/catatonit -P`; with an
    /// infra image, the image's).
    pub infra_command: Option<Vec<String>>,
    /// `--infra-image`: the infra container runs this image instead of
    /// rpod's built-in catatonit.
    pub infra_image: Option<String>,
    pub network: network::NetworkMode,
    pub net: network::NetworkRequest,
    /// The infra container's `--security-opt`.
    pub security_opts: Vec<crate::container::SecurityOpt>,
    /// The infra container's namespaces (`--pid`, `--uts`), sysctls, devices
    /// (which members get too), block I/O limits and cgroup parent.
    pub isolation: crate::container::isolation::IsolationConfig,
    /// `--share-parent`: the pod's cgroup is the parent of its containers'.
    pub share_parent: bool,
    /// The infra container's user namespace, joined by the pod's containers.
    pub userns: crate::container::userns::UsernsOptions,
    /// Limits of the pod's cgroup (memory, memory plus swap, CPUs, shares,
    /// cpusets); they need the pod's own cgroup (`share_parent`).
    pub resources: crate::container::Resources,
    /// The infra container's name (default: the pod ID's first 12
    /// characters and `-infra`).
    pub infra_name: Option<String>,
    /// A file the infra container's monitor writes its pid to.
    pub infra_conmon_pidfile: Option<PathBuf>,
    /// `--shm-size`: the size of `/dev/shm` in the pod's containers (each container's
    /// own unless it sets one).
    pub shm_size: Option<u64>,
    /// `--no-hosts`.
    pub no_hosts: bool,
    /// `-v`/`--mount`-style mounts every container of the pod gets.
    pub mounts: Vec<MountSpec>,
    /// `--volumes-from`: the mounts of these containers too.
    pub volumes_from: Vec<String>,
    /// `--exit-policy`.
    pub exit_policy: PodExitPolicy,
    /// The command line that creates the pod.
    pub create_command: Vec<String>,
}

/// `pod inspect` output (Podman's field names).
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct PodInspect {
    pub id: String,
    pub name: String,
    pub created: DateTime<Utc>,
    /// The command line that created the pod.
    pub create_command: Vec<String>,
    pub exit_policy: String,
    pub state: String,
    pub hostname: String,
    pub labels: BTreeMap<String, String>,
    pub create_cgroup: bool,
    pub cgroup_parent: String,
    pub cgroup_path: String,
    pub create_infra: bool,
    #[serde(rename = "InfraContainerID")]
    pub infra_container_id: String,
    /// The infra container's settings; left out without one, as Podman does.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub infra_config: Option<PodInfraConfig>,
    pub shared_namespaces: Vec<String>,
    pub num_containers: usize,
    /// The mounts every container of the pod gets (`pod create -v`), Podman's key.
    #[serde(rename = "mounts", skip_serializing_if = "Vec::is_empty")]
    pub mounts: Vec<crate::container::InspectMount>,
    pub containers: Vec<PodInspectContainer>,
    /// The pod cgroup's limits, under Podman's keys, each only when set.
    #[serde(rename = "cpu_period", skip_serializing_if = "Option::is_none")]
    pub cpu_period: Option<u64>,
    #[serde(rename = "cpu_quota", skip_serializing_if = "Option::is_none")]
    pub cpu_quota: Option<i64>,
    #[serde(rename = "cpu_shares", skip_serializing_if = "Option::is_none")]
    pub cpu_shares: Option<u64>,
    #[serde(rename = "cpuset_cpus", skip_serializing_if = "Option::is_none")]
    pub cpuset_cpus: Option<String>,
    #[serde(rename = "cpuset_mems", skip_serializing_if = "Option::is_none")]
    pub cpuset_mems: Option<String>,
    #[serde(rename = "memory_limit", skip_serializing_if = "Option::is_none")]
    pub memory_limit: Option<u64>,
    #[serde(rename = "memory_swap", skip_serializing_if = "Option::is_none")]
    pub memory_swap: Option<i64>,
}

/// A pod of `pod ps --format json` and the libpod API's pod list.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct PodListEntry {
    pub cgroup: String,
    pub containers: Vec<PodListContainer>,
    pub created: DateTime<Utc>,
    pub id: String,
    pub infra_id: String,
    pub name: String,
    pub namespace: String,
    pub networks: Vec<String>,
    pub status: String,
    pub labels: BTreeMap<String, String>,
}

/// A container of [`PodListEntry`].
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct PodListContainer {
    pub id: String,
    pub names: String,
    pub status: String,
}

/// `InfraConfig` of [`PodInspect`] (Podman's names, some in snake case).
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct PodInfraConfig {
    pub port_bindings: BTreeMap<String, Vec<crate::container::PortBinding>>,
    pub host_network: bool,
    #[serde(rename = "StaticIP")]
    pub static_ip: String,
    #[serde(rename = "StaticMAC")]
    pub static_mac: String,
    pub no_manage_resolv_conf: bool,
    #[serde(rename = "DNSServer")]
    pub dns_server: Option<Vec<String>>,
    #[serde(rename = "DNSSearch")]
    pub dns_search: Option<Vec<String>>,
    #[serde(rename = "DNSOption")]
    pub dns_option: Option<Vec<String>>,
    pub no_manage_hosts: bool,
    pub host_add: Option<Vec<String>>,
    pub networks: Vec<String>,
    pub network_options: Option<BTreeMap<String, Vec<String>>>,
    #[serde(rename = "pid_ns")]
    pub pid_ns: String,
    #[serde(rename = "userns")]
    pub userns: String,
    #[serde(rename = "uts_ns")]
    pub uts_ns: String,
}

#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct PodInspectContainer {
    pub id: String,
    pub name: String,
    pub state: String,
}

/// The parent of pods' cgroups, beside containers' `/rpod/rpod-ID`.
const POD_CGROUP_PARENT: &str = "/rpod";

/// The cgroup hierarchies mounted here: (mount point, controllers; empty
/// for the unified v2 hierarchy).
fn cgroup_mounts() -> Vec<(PathBuf, Vec<String>)> {
    let Ok(mounts) = std::fs::read_to_string("/proc/self/mountinfo") else {
        return Vec::new();
    };
    let mut out = Vec::new();
    for line in mounts.lines() {
        let Some((left, right)) = line.split_once(" - ") else {
            continue;
        };
        let mut fields = right.split_whitespace();
        let (Some(fstype), Some(_), Some(options)) = (fields.next(), fields.next(), fields.next())
        else {
            continue;
        };
        let Some(mount_point) = left.split_whitespace().nth(4) else {
            continue;
        };
        match fstype {
            "cgroup" => out.push((
                PathBuf::from(mount_point),
                options.split(',').map(str::to_string).collect(),
            )),
            "cgroup2" => out.push((PathBuf::from(mount_point), Vec::new())),
            _ => {}
        }
    }
    out
}

/// Creates the pod's cgroup `path` with `limits` (v1 controllers where
/// mounted, else the unified hierarchy), so that every container below
/// shares them.
fn apply_pod_limits(path: &str, limits: &crate::container::Resources) -> Result<()> {
    let mounts = cgroup_mounts();
    let rel = path.trim_start_matches('/');
    let v1 = |controller: &str| {
        mounts
            .iter()
            .find(|(_, c)| c.iter().any(|x| x == controller))
            .map(|(m, _)| m.join(rel))
    };
    let unified = mounts
        .iter()
        .find(|(_, c)| c.is_empty())
        .map(|(m, _)| m.join(rel));
    let write = |dir: &Path, file: &str, value: String| -> Result<()> {
        std::fs::create_dir_all(dir).ctx(|| format!("creating {}", dir.display()))?;
        let target = dir.join(file);
        std::fs::write(&target, &value).ctx(|| format!("setting {} to {value}", target.display()))
    };
    let parent_value = |dir: &Path, file: &str| -> String {
        dir.parent()
            .and_then(|p| std::fs::read_to_string(p.join(file)).ok())
            .map(|v| v.trim().to_string())
            .unwrap_or_default()
    };
    let quota = limits.cpus.map(|c| ((c * 100_000.0) as i64, 100_000u64));
    if let Some(dir) = v1("cpu") {
        if let Some((q, period)) = quota {
            write(&dir, "cpu.cfs_period_us", period.to_string())?;
            write(&dir, "cpu.cfs_quota_us", q.to_string())?;
        }
        if let Some(shares) = limits.cpu_shares {
            write(&dir, "cpu.shares", shares.to_string())?;
        }
    } else if let Some(dir) = &unified {
        if let Some((q, period)) = quota {
            write(dir, "cpu.max", format!("{q} {period}"))?;
        }
        if let Some(shares) = limits.cpu_shares {
            let weight = 1 + (shares.clamp(2, 262_144) - 2) * 9999 / 262_142;
            write(dir, "cpu.weight", weight.to_string())?;
        }
    }
    if limits.cpuset_cpus.is_some() || limits.cpuset_mems.is_some() {
        let dir = v1("cpuset").or_else(|| unified.clone());
        if let Some(dir) = dir {
            std::fs::create_dir_all(&dir).ctx(|| format!("creating {}", dir.display()))?;
            // A v1 cpuset takes tasks only with both set: the parent's
            // where one is not given.
            let cpus = limits
                .cpuset_cpus
                .clone()
                .unwrap_or_else(|| parent_value(&dir, "cpuset.cpus"));
            let mems = limits
                .cpuset_mems
                .clone()
                .unwrap_or_else(|| parent_value(&dir, "cpuset.mems"));
            write(&dir, "cpuset.cpus", cpus)?;
            write(&dir, "cpuset.mems", mems)?;
        }
    }
    if let Some(dir) = v1("memory") {
        if let Some(m) = limits.memory {
            write(&dir, "memory.limit_in_bytes", m.to_string())?;
        }
        if let Some(s) = limits.memory_swap {
            write(&dir, "memory.memsw.limit_in_bytes", s.to_string())?;
        }
    } else if let Some(dir) = &unified {
        if let Some(m) = limits.memory {
            write(dir, "memory.max", m.to_string())?;
        }
        if let (Some(s), Some(m)) = (limits.memory_swap, limits.memory) {
            let swap = if s < 0 {
                "max".to_string()
            } else {
                (s as u64).saturating_sub(m).to_string()
            };
            write(dir, "memory.swap.max", swap)?;
        }
    }
    Ok(())
}

/// Removes the (empty) cgroup `path` from every mounted hierarchy; the
/// runtime removes its containers' cgroups but not the parents it made.
fn remove_cgroup(path: &str) {
    let Ok(mounts) = std::fs::read_to_string("/proc/self/mountinfo") else {
        return;
    };
    for line in mounts.lines() {
        let Some((left, right)) = line.split_once(" - ") else {
            continue;
        };
        if !right.starts_with("cgroup") {
            continue;
        }
        let Some(mount_point) = left.split_whitespace().nth(4) else {
            continue;
        };
        let dir = PathBuf::from(mount_point).join(path.trim_start_matches('/'));
        if dir.is_dir() {
            let _ = std::fs::remove_dir(&dir);
        }
    }
}

impl Runtime {
    /// Creates a pod and, unless `infra` is off, its infra container.
    pub fn create_pod(&self, opts: PodCreateOptions) -> Result<PodConfig> {
        let name = match &opts.name {
            Some(n) => {
                validate_name(n)?;
                n.clone()
            }
            None => random_name(|n| Ok(self.db.pod::<PodConfig>(n)?.is_some()))?,
        };
        let share = opts
            .share
            .clone()
            .unwrap_or_else(|| DEFAULT_SHARE.iter().map(|s| s.to_string()).collect());
        for s in &share {
            if !SHAREABLE.contains(&s.as_str()) {
                return Err(Error::InvalidArgument(format!(
                    "invalid --share {s:?}: choose from {}",
                    SHAREABLE.join(", ")
                )));
            }
        }
        if !opts.infra && !share.is_empty() && opts.share.is_some() {
            return Err(Error::InvalidArgument(
                "a pod without infra container cannot share namespaces".into(),
            ));
        }
        let id = new_id()?;
        let mut config = PodConfig {
            hostname: opts.hostname.clone().unwrap_or_else(|| name.clone()),
            id: id.clone(),
            name: name.clone(),
            created_at: Utc::now(),
            labels: opts.labels.clone(),
            share: if opts.infra { share } else { Vec::new() },
            infra_id: None,
            devices: opts.isolation.devices.clone(),
            cgroup_path: (opts.share_parent && crate::rootless::cgroups_unavailable().is_none())
                .then(|| {
                    let parent = opts
                        .isolation
                        .cgroup_parent
                        .as_deref()
                        .unwrap_or(POD_CGROUP_PARENT);
                    format!("{}/rpod-pod-{id}", parent.trim_end_matches('/'))
                }),
            userns: false,
            resources: opts.resources.clone(),
            no_hosts: opts.no_hosts,
            shm_size: opts.shm_size,
            mounts: Vec::new(),
            exit_policy: opts.exit_policy,
            create_command: opts.create_command.clone(),
        };
        if !opts.infra && (!opts.mounts.is_empty() || !opts.volumes_from.is_empty()) {
            return Err(Error::InvalidArgument(
                "a pod without infra container cannot have volumes: they live in its infra container".into(),
            ));
        }
        opts.resources.validate()?;
        let limited = opts.resources.has_memory()
            || opts.resources.has_cpu()
            || opts.resources.pids_limit.is_some();
        if let (true, Some(why)) = (limited, crate::rootless::cgroups_unavailable()) {
            return Err(Error::Unsupported(why));
        }
        if limited && config.cgroup_path.is_none() {
            return Err(Error::InvalidArgument(
                "resource limits of a pod need its own cgroup: drop --share-parent=false".into(),
            ));
        }
        if !self.db.add_pod(
            &id,
            &name,
            &config,
            config.created_at.timestamp_nanos_opt().unwrap_or_default(),
        )? {
            return Err(Error::InvalidArgument(format!(
                "the pod name {name:?} is already in use"
            )));
        }
        if let (true, Some(path)) = (limited, &config.cgroup_path) {
            if let Err(e) = apply_pod_limits(path, &opts.resources) {
                remove_cgroup(path);
                let _ = self.db.remove_pod(&id);
                return Err(e);
            }
        }
        if opts.infra {
            match self.create_infra(&config, &opts) {
                Ok(infra_id) => {
                    let infra = self.container(&infra_id)?;
                    config.userns = infra.has_userns();
                    config.mounts = infra
                        .config()
                        .mounts
                        .iter()
                        .filter(|m| m.destination != INFRA_BINARY)
                        .cloned()
                        .collect();
                    config.infra_id = Some(infra_id);
                    self.db.save_pod(&id, &config)?;
                }
                Err(e) => {
                    let _ = self.db.remove_pod(&id);
                    let _ = std::fs::remove_dir_all(self.pod_dir(&id));
                    if let Some(path) = &config.cgroup_path {
                        remove_cgroup(path);
                    }
                    return Err(e);
                }
            }
        }
        self.pod_event(&config, "create");
        Ok(config)
    }

    fn pod_dir(&self, id: &str) -> PathBuf {
        self.paths.root.join("pods").join(id)
    }

    fn create_infra(&self, pod: &PodConfig, opts: &PodCreateOptions) -> Result<String> {
        // The built-in infra: an empty root with catatonit bound in; or the
        // image asked for, with its own command unless one is given.
        let (image, rootfs, entrypoint, mut mounts) = match &opts.infra_image {
            Some(image) => (
                Some(image.clone()),
                None,
                opts.infra_command.clone(),
                Vec::new(),
            ),
            None => {
                let init = PathBuf::from(&self.config.containers.init_path);
                if !init.is_file() {
                    return Err(Error::InvalidArgument(format!(
                        "the pod's infra process {} is missing (install catatonit or set containers.init_path)",
                        init.display()
                    )));
                }
                let rootfs = self.pod_dir(&pod.id).join("infra-rootfs");
                std::fs::create_dir_all(&rootfs)
                    .ctx(|| format!("creating {}", rootfs.display()))?;
                let mut mount =
                    MountSpec::parse_volume(&format!("{}:{INFRA_BINARY}:ro", init.display()))?;
                mount.options.push("nosuid".into());
                let entrypoint = opts
                    .infra_command
                    .clone()
                    .unwrap_or_else(|| vec![INFRA_BINARY.to_string(), "-P".to_string()]);
                (None, Some(rootfs), Some(entrypoint), vec![mount])
            }
        };
        mounts.extend(opts.mounts.iter().cloned());
        let infra = self.create_container(CreateOptions {
            name: Some(
                opts.infra_name
                    .clone()
                    .unwrap_or_else(|| format!("{}-infra", &pod.id[..12])),
            ),
            conmon_pidfile: opts.infra_conmon_pidfile.clone(),
            image,
            rootfs: rootfs.clone(),
            entrypoint,
            hostname: pod.shares("uts").then(|| pod.hostname.clone()),
            mounts,
            volumes_from: opts.volumes_from.clone(),
            shm_size: opts.shm_size,
            no_hosts: opts.no_hosts,
            network: opts.network.clone(),
            net: opts.net.clone(),
            labels: pod.labels.clone(),
            security_opts: opts.security_opts.clone(),
            isolation: crate::container::isolation::IsolationConfig {
                cgroup_parent: pod
                    .cgroup_path
                    .clone()
                    .or(opts.isolation.cgroup_parent.clone()),
                ..opts.isolation.clone()
            },
            userns: opts.userns.clone(),
            ..Default::default()
        })?;
        if let (true, Some(rootfs)) = (infra.has_userns(), &rootfs) {
            // The empty root belongs to the namespace's root, so the runtime
            // can make its mount points there.
            let (uid, gid) = infra.mapped_root();
            std::os::unix::fs::chown(rootfs, Some(uid), Some(gid))
                .ctx(|| format!("changing the owner of {}", rootfs.display()))?;
        }
        let mut config = infra.config().clone();
        config.pod = Some(pod.id.clone());
        config.is_infra = true;
        self.db.save_config(&config)?;
        Ok(config.id)
    }

    /// The pod a new container joins: an existing one, or `new:NAME`.
    pub(crate) fn pod_for_new_container(&self, reference: &str) -> Result<PodConfig> {
        match reference.strip_prefix("new:") {
            Some(name) => self.create_pod(PodCreateOptions {
                name: Some(name.to_string()),
                infra: true,
                share_parent: true,
                ..Default::default()
            }),
            None => self.pod(reference),
        }
    }

    /// A pod by name, ID or unique ID prefix.
    pub fn pod(&self, name_or_id: &str) -> Result<PodConfig> {
        self.db
            .pod(name_or_id)?
            .ok_or_else(|| Error::NoSuchPod(name_or_id.to_string()))
    }

    pub fn pods(&self) -> Result<Vec<PodConfig>> {
        self.db.all_pods()
    }

    /// The pod's containers, the infra container first.
    pub fn pod_containers(&self, pod: &PodConfig) -> Result<Vec<Container<'_>>> {
        let mut list: Vec<Container<'_>> = self
            .containers()?
            .into_iter()
            .filter(|c| c.config().pod.as_deref() == Some(pod.id.as_str()))
            .collect();
        list.sort_by_key(|c| !c.config().is_infra);
        Ok(list)
    }

    /// Podman's pod status: Created, Running, Paused, Exited, Degraded (init containers
    /// left out, as Podman leaves them out).
    pub fn pod_status(&self, pod: &PodConfig) -> Result<String> {
        let mut members = self.pod_containers(pod)?;
        members.retain(|c| c.config().init_container.is_none());
        let running = members
            .iter()
            .filter(|c| c.status() == ContainerStatus::Running)
            .count();
        let paused = members
            .iter()
            .filter(|c| c.status() == ContainerStatus::Paused)
            .count();
        let created = members
            .iter()
            .filter(|c| {
                matches!(
                    c.status(),
                    ContainerStatus::Created | ContainerStatus::Configured
                )
            })
            .count();
        Ok(if members.is_empty() || created == members.len() {
            "Created".into()
        } else if running == members.len() {
            "Running".into()
        } else if paused == members.len() {
            "Paused".into()
        } else if running == 0 && paused == 0 {
            "Exited".into()
        } else {
            "Degraded".into()
        })
    }

    /// Starts every container of the pod: the infra container first, then its init
    /// containers one after the other, each run to completion (an exit code other than 0
    /// stops the start there; `once` ones are removed after their run), then the others.
    pub fn pod_start(&self, pod: &PodConfig) -> Result<()> {
        self.pod_start_with(pod, true)
    }

    /// `--exit-policy stop`: once none of the pod's containers (init containers aside)
    /// runs any more, its infra container is stopped too.
    pub(crate) fn apply_pod_exit_policy(&self, pod_id: &str) -> Result<()> {
        let pod = match self.pod(pod_id) {
            Ok(p) => p,
            Err(Error::NoSuchPod(_)) => return Ok(()),
            Err(e) => return Err(e),
        };
        if pod.exit_policy != PodExitPolicy::Stop {
            return Ok(());
        }
        let members = self.pod_containers(&pod)?;
        if members.iter().any(|c| {
            !c.config().is_infra && c.config().init_container.is_none() && c.status().is_active()
        }) {
            return Ok(());
        }
        if let Some(infra) = &pod.infra_id {
            let mut c = self.container(infra)?;
            if c.status().is_active() {
                c.stop(None)?;
                self.pod_event(&pod, "stop");
            }
        }
        Ok(())
    }

    /// Stops the pod and starts it again; init containers do not run again, as in Podman.
    pub fn pod_restart(&self, pod: &PodConfig, timeout: Option<u32>) -> Result<()> {
        self.pod_stop(pod, timeout)?;
        self.pod_start_with(pod, false)
    }

    fn pod_start_with(&self, pod: &PodConfig, run_init: bool) -> Result<()> {
        let containers = self.pod_containers(pod)?;
        let (mut inits, others): (Vec<_>, Vec<_>) = containers
            .into_iter()
            .partition(|c| c.config().init_container.is_some());
        inits.sort_by_key(|c| c.config().created_at);
        let (infra, members): (Vec<_>, Vec<_>) =
            others.into_iter().partition(|c| c.config().is_infra);
        for mut c in infra {
            if !c.status().is_active() {
                c.start()?;
            }
        }
        if run_init {
            for mut c in inits {
                if c.status().is_active() {
                    continue;
                }
                c.start()?;
                let code = c.wait(&[ContainerStatus::Stopped, ContainerStatus::Exited])?;
                if code != 0 {
                    // Podman's words.
                    return Err(Error::InvalidArgument(format!(
                        "init container {} exited with code {code}",
                        c.id()
                    )));
                }
                if c.config().init_container == Some(InitContainerType::Once) {
                    c.remove(true, None)?;
                }
            }
        }
        for mut c in members {
            if !c.status().is_active() {
                c.start()?;
            }
        }
        self.pod_event(pod, "start");
        Ok(())
    }

    /// Stops the pod's containers, the members concurrently, then the infra container.
    pub fn pod_stop(&self, pod: &PodConfig, timeout: Option<u32>) -> Result<()> {
        let members = self.pod_members(pod)?;
        self.on_each_concurrently(&members, |c| c.stop(timeout).map(|()| Vec::<()>::new()))?;
        if let Some(infra) = &pod.infra_id {
            self.container(infra)?.stop(timeout)?;
        }
        self.pod_event(pod, "stop");
        Ok(())
    }

    /// IDs of the pod's containers other than the infra container.
    fn pod_members(&self, pod: &PodConfig) -> Result<Vec<String>> {
        Ok(self
            .pod_containers(pod)?
            .iter()
            .filter(|c| !c.config().is_infra)
            .map(|c| c.id().to_string())
            .collect())
    }

    /// Runs `op` on each container through [`Runtime::on_each_container`];
    /// a container gone meanwhile is skipped. The outputs are concatenated;
    /// the first error is returned after all finished.
    fn on_each_concurrently<T: Send>(
        &self,
        ids: &[String],
        op: impl Fn(&mut Container<'_>) -> Result<Vec<T>> + Sync,
    ) -> Result<Vec<T>> {
        let mut out = Vec::new();
        for r in self.on_each_container(ids, op) {
            match r {
                Ok(v) => out.extend(v),
                Err(Error::NoSuchContainer(_)) => {}
                Err(e) => return Err(e),
            }
        }
        Ok(out)
    }

    /// Sends `signal` to every running container of the pod.
    pub fn pod_kill(&self, pod: &PodConfig, signal: i32) -> Result<()> {
        for mut c in self.pod_containers(pod)? {
            if c.status().is_active() {
                c.kill(signal)?;
            }
        }
        self.pod_event(pod, "kill");
        Ok(())
    }

    pub fn pod_pause(&self, pod: &PodConfig, pause: bool) -> Result<()> {
        for mut c in self.pod_containers(pod)? {
            match (pause, c.status()) {
                (true, ContainerStatus::Running) => c.pause()?,
                (false, ContainerStatus::Paused) => c.unpause()?,
                _ => {}
            }
        }
        self.pod_event(pod, if pause { "pause" } else { "unpause" });
        Ok(())
    }

    /// `pod prune`: removes every pod that is exited or only created;
    /// returns their IDs.
    pub fn prune_pods(&self) -> Result<Vec<String>> {
        let mut removed = Vec::new();
        for pod in self.pods()? {
            if matches!(self.pod_status(&pod)?.as_str(), "Exited" | "Created") {
                self.pod_remove(&pod, false, None)?;
                removed.push(pod.id);
            }
        }
        Ok(removed)
    }

    /// Removes the pod: refused while containers run unless `force`, which
    /// stops them. Members go first, the infra container last. Returns the
    /// removed container IDs.
    pub fn pod_remove(
        &self,
        pod: &PodConfig,
        force: bool,
        timeout: Option<u32>,
    ) -> Result<Vec<String>> {
        let members = self.pod_containers(pod)?;
        if !force {
            if let Some(c) = members.iter().find(|c| c.status().is_active()) {
                return Err(Error::InvalidArgument(format!(
                    "pod {} has running containers ({}): stop them or use --force",
                    pod.name,
                    c.name()
                )));
            }
        }
        drop(members);
        // The members first (independent of each other, so concurrently),
        // the infra container they depend on last.
        let mut removed =
            self.on_each_concurrently(&self.pod_members(pod)?, |c| c.remove(true, timeout))?;
        if let Some(infra) = &pod.infra_id {
            match self.container(infra) {
                Ok(mut c) => removed.extend(c.remove(true, timeout)?),
                Err(Error::NoSuchContainer(_)) => {}
                Err(e) => return Err(e),
            }
        }
        self.db.remove_pod(&pod.id)?;
        if let Some(path) = &pod.cgroup_path {
            remove_cgroup(path);
        }
        let dir = self.pod_dir(&pod.id);
        if dir.exists() {
            std::fs::remove_dir_all(&dir).ctx(|| format!("removing {}", dir.display()))?;
        }
        self.pod_event(pod, "remove");
        Ok(removed)
    }

    pub fn pod_inspect(&self, pod: &PodConfig) -> Result<PodInspect> {
        let members = self.pod_containers(pod)?;
        let non_empty = |v: &Vec<String>| (!v.is_empty()).then(|| v.clone());
        let infra_config = members.iter().find(|c| c.config().is_infra).map(|c| {
            let cfg = c.config();
            PodInfraConfig {
                port_bindings: crate::container::port_bindings(&cfg.net.ports),
                host_network: cfg.network == network::NetworkMode::Host,
                static_ip: cfg
                    .net
                    .networks
                    .values()
                    .flat_map(|n| n.static_ips.iter())
                    .next()
                    .map(|ip| ip.to_string())
                    .unwrap_or_default(),
                static_mac: cfg
                    .net
                    .networks
                    .values()
                    .find_map(|n| n.static_mac.clone())
                    .unwrap_or_default(),
                no_manage_resolv_conf: false,
                dns_server: non_empty(&cfg.net.dns),
                dns_search: non_empty(&cfg.net.dns_search),
                dns_option: non_empty(&cfg.net.dns_options),
                no_manage_hosts: pod.no_hosts,
                host_add: non_empty(&cfg.net.add_hosts),
                networks: cfg.net.networks.keys().cloned().collect(),
                network_options: None,
                pid_ns: cfg.isolation.pid.display("private"),
                userns: "host".into(),
                uts_ns: cfg.isolation.uts.display("private"),
            }
        });
        Ok(PodInspect {
            id: pod.id.clone(),
            name: pod.name.clone(),
            created: pod.created_at,
            create_command: pod.create_command.clone(),
            exit_policy: pod.exit_policy.to_string(),
            mounts: members
                .iter()
                .find(|c| c.config().is_infra)
                .map(|c| {
                    c.inspect_mounts()
                        .into_iter()
                        .filter(|m| m.destination != INFRA_BINARY)
                        .collect()
                })
                .unwrap_or_default(),
            create_cgroup: pod.cgroup_path.is_some(),
            create_infra: pod.infra_id.is_some(),
            infra_config,
            state: self.pod_status(pod)?,
            hostname: pod.hostname.clone(),
            labels: pod.labels.clone(),
            shared_namespaces: pod.share.clone(),
            infra_container_id: pod.infra_id.clone().unwrap_or_default(),
            num_containers: members.len(),
            cgroup_parent: pod
                .cgroup_path
                .as_deref()
                .and_then(|p| p.rsplit_once('/'))
                .map(|(parent, _)| parent.to_string())
                .unwrap_or_default(),
            cgroup_path: pod.cgroup_path.clone().unwrap_or_default(),
            containers: members
                .iter()
                .map(|c| PodInspectContainer {
                    id: c.id().to_string(),
                    name: c.name().to_string(),
                    state: c.status().as_str().to_string(),
                })
                .collect(),
            cpu_period: pod.resources.cpus.map(|_| 100_000),
            cpu_quota: pod.resources.cpus.map(|c| (c * 100_000.0) as i64),
            cpu_shares: pod.resources.cpu_shares,
            cpuset_cpus: pod.resources.cpuset_cpus.clone(),
            cpuset_mems: pod.resources.cpuset_mems.clone(),
            memory_limit: pod.resources.memory,
            memory_swap: pod.resources.memory_swap,
        })
    }

    /// The pod's entry in `pod ps --format json` (and the API's list).
    pub fn pod_list_entry(&self, pod: &PodConfig) -> Result<PodListEntry> {
        let doc = self.pod_inspect(pod)?;
        Ok(PodListEntry {
            cgroup: doc.cgroup_parent,
            containers: doc
                .containers
                .into_iter()
                .map(|c| PodListContainer {
                    id: c.id,
                    names: c.name,
                    status: c.state,
                })
                .collect(),
            created: doc.created,
            id: doc.id,
            infra_id: doc.infra_container_id,
            name: doc.name,
            namespace: String::new(),
            networks: doc.infra_config.map(|i| i.networks).unwrap_or_default(),
            status: doc.state,
            labels: doc.labels,
        })
    }

    fn pod_event(&self, pod: &PodConfig, status: &str) {
        self.events.write(&crate::events::Event {
            id: pod.id.clone(),
            image: String::new(),
            name: pod.name.clone(),
            status: status.to_string(),
            time: Utc::now(),
            kind: "pod".into(),
            network: String::new(),
            exit_code: None,
            attributes: pod.labels.clone(),
        });
    }
}

impl Container<'_> {
    /// The infra container's namespaces this container joins (ipc, uts,
    /// pid, cgroup — the network is joined through `container:` mode).
    pub(crate) fn pod_namespaces(&self) -> Result<Vec<(ocirt::spec::NamespaceType, PathBuf)>> {
        let Some(pod_id) = &self.config.pod else {
            return Ok(Vec::new());
        };
        if self.config.is_infra {
            return Ok(Vec::new());
        }
        let pod = self.rt.pod(pod_id)?;
        let Some(infra_id) = &pod.infra_id else {
            return Ok(Vec::new());
        };
        let infra = self.rt.container(infra_id)?;
        if infra.state().pid <= 0 {
            return Err(Error::InvalidArgument(format!(
                "the infra container of pod {} is not running",
                pod.name
            )));
        }
        use ocirt::spec::NamespaceType as T;
        let pid = infra.state().pid;
        Ok([
            ("ipc", T::Ipc),
            ("uts", T::Uts),
            ("pid", T::Pid),
            ("cgroup", T::Cgroup),
        ]
        .into_iter()
        .filter(|(name, _)| pod.shares(name))
        .map(|(name, typ)| (typ, PathBuf::from(format!("/proc/{pid}/ns/{name}"))))
        .collect())
    }
}
