//! Engine-wide operations: info, disk usage, prune and reset.

use serde::Serialize;

use crate::container::ContainerStatus;
use crate::error::{Error, IoContext, Result};
use crate::query::PruneFilters;
use crate::runtime::Runtime;

/// The engine's version.
pub const VERSION: &str = env!("CARGO_PKG_VERSION");

/// `info` output.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Info {
    pub host: HostInfo,
    pub store: StoreInfo,
    /// Registries from `registries.conf` (rpod reads none).
    pub registries: std::collections::BTreeMap<String, serde_json::Value>,
    pub plugins: PluginsInfo,
    pub version: VersionInfo,
}

/// `plugins`: the drivers available.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct PluginsInfo {
    pub volume: Vec<String>,
    pub network: Vec<String>,
    pub log: Vec<String>,
    pub authorization: Option<Vec<String>>,
}

/// A helper program (`conmon`, `slirp4netns`) as Podman reports it.
#[derive(Debug, Clone, Serialize, Default)]
#[serde(rename_all = "camelCase")]
pub struct HelperInfo {
    pub package: String,
    pub path: String,
    pub version: String,
}

/// `host.slirp4netns`.
#[derive(Debug, Clone, Serialize, Default)]
#[serde(rename_all = "camelCase")]
pub struct SlirpInfo {
    pub executable: String,
    pub package: String,
    pub version: String,
}

/// `host.cpuUtilization`: since boot, in percent.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct CpuUsage {
    pub user_percent: f64,
    pub system_percent: f64,
    pub idle_percent: f64,
}

/// `host.distribution`, from `/etc/os-release`.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct DistributionInfo {
    pub distribution: String,
    pub version: String,
    pub codename: String,
}

impl SlirpInfo {
    /// The installed slirp4netns and its version (empty when missing).
    fn installed() -> SlirpInfo {
        let Some(path) = ["/usr/bin/slirp4netns", "/usr/local/bin/slirp4netns"]
            .into_iter()
            .find(|p| std::path::Path::new(p).is_file())
        else {
            return SlirpInfo::default();
        };
        let version = std::process::Command::new(path)
            .arg("--version")
            .output()
            .map(|o| String::from_utf8_lossy(&o.stdout).trim_end().to_string())
            .unwrap_or_default();
        SlirpInfo {
            executable: path.into(),
            package: String::new(),
            version,
        }
    }
}

impl IdMappingsInfo {
    /// Rootless: the user namespace's maps, in Podman's shape; root: `null`.
    fn current() -> IdMappingsInfo {
        if !crate::rootless::is_rootless() {
            return IdMappingsInfo {
                gidmap: None,
                uidmap: None,
            };
        }
        let (uid, gid) = crate::rootless::id_maps();
        let parse = |text: &str| -> Vec<serde_json::Value> {
            text.lines()
                .filter_map(|l| {
                    let f: Vec<u64> = l
                        .split_whitespace()
                        .filter_map(|x| x.parse().ok())
                        .collect();
                    (f.len() == 3).then(
                        || serde_json::json!({"container_id": f[0], "host_id": f[1], "size": f[2]}),
                    )
                })
                .collect()
        };
        IdMappingsInfo {
            gidmap: Some(parse(&gid)),
            uidmap: Some(parse(&uid)),
        }
    }
}

/// `host.idMappings` (`null` lists when rpod runs as root).
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct IdMappingsInfo {
    pub gidmap: Option<Vec<serde_json::Value>>,
    pub uidmap: Option<Vec<serde_json::Value>>,
}

/// `host.remoteSocket`.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct RemoteSocketInfo {
    pub path: String,
}

#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct HostInfo {
    pub arch: String,
    /// rpod builds images without buildah: empty.
    pub buildah_version: String,
    pub cgroup_manager: String,
    pub cgroup_version: String,
    pub cgroup_controllers: Vec<String>,
    /// The container monitor (rpod-monitor, in conmon's place).
    pub conmon: HelperInfo,
    pub cpus: usize,
    pub cpu_utilization: CpuUsage,
    pub distribution: DistributionInfo,
    pub event_logger: String,
    pub hostname: String,
    pub id_mappings: IdMappingsInfo,
    pub kernel: String,
    pub log_driver: String,
    pub mem_free: u64,
    pub mem_total: u64,
    pub network_backend: String,
    pub oci_runtime: RuntimeInfo,
    pub os: String,
    pub remote_socket: RemoteSocketInfo,
    pub service_is_remote: bool,
    pub security: SecurityInfo,
    pub slirp4netns: SlirpInfo,
    /// Rootless only: the default user-mode network (Podman 5's key).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub rootless_network_cmd: Option<String>,
    pub swap_free: u64,
    pub swap_total: u64,
    pub linkmode: String,
    pub uptime: String,
}

/// `host.security`, as Podman reports it.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct SecurityInfo {
    pub apparmor_enabled: bool,
    /// The default capabilities, comma-separated `CAP_*` names.
    pub capabilities: String,
    pub rootless: bool,
    pub seccomp_enabled: bool,
    /// The default profile's file; empty when the built-in profile applies.
    pub seccomp_profile_path: String,
    pub selinux_enabled: bool,
}

#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct RuntimeInfo {
    pub name: String,
    /// The distribution package (not looked up: empty).
    pub package: String,
    pub path: String,
    pub version: String,
}

#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct StoreInfo {
    pub config_file: String,
    pub container_store: ContainerCounts,
    pub graph_driver_name: String,
    pub graph_options: std::collections::BTreeMap<String, String>,
    pub graph_root: String,
    pub graph_root_allocated: u64,
    pub graph_root_used: u64,
    pub graph_status: std::collections::BTreeMap<String, String>,
    pub image_copy_tmp_dir: String,
    pub image_store: ImageCounts,
    pub run_root: String,
    pub volume_path: String,
}

#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ContainerCounts {
    pub number: usize,
    pub running: usize,
    pub paused: usize,
    pub stopped: usize,
}

#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ImageCounts {
    pub number: usize,
}

/// The engine's version, in the shape of Podman's (`version`'s `Client`
/// and `info`'s `version`). rpod is not built with Go: `GoVersion` is
/// empty, and `RustVersion` names the toolchain's minimum version.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct VersionInfo {
    #[serde(rename = "APIVersion")]
    pub api_version: String,
    pub version: String,
    pub go_version: String,
    pub rust_version: String,
    pub git_commit: String,
    /// Go's `time.ANSIC` form of `built`.
    pub built_time: String,
    /// Build time in seconds since the epoch (0: not recorded).
    pub built: i64,
    pub os_arch: String,
    pub os: String,
}

impl VersionInfo {
    /// This build's version.
    pub fn current() -> VersionInfo {
        VersionInfo {
            api_version: VERSION.into(),
            version: VERSION.into(),
            go_version: String::new(),
            rust_version: option_env!("CARGO_PKG_RUST_VERSION").unwrap_or("").into(),
            git_commit: String::new(),
            built_time: "Thu Jan  1 00:00:00 1970".into(),
            built: 0,
            os_arch: format!(
                "linux/{}",
                std::env::consts::ARCH
                    .replace("x86_64", "amd64")
                    .replace("aarch64", "arm64")
            ),
            os: std::env::consts::OS.into(),
        }
    }
}

/// One row of `system df`.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct DiskUsage {
    #[serde(rename = "Type")]
    pub kind: String,
    pub total: usize,
    pub active: usize,
    pub size: u64,
    pub reclaimable: u64,
}

/// One image of `system df -v`.
#[derive(Debug, Clone)]
pub struct ImageUsage {
    pub repository: String,
    pub tag: String,
    pub id: String,
    pub created: chrono::DateTime<chrono::Utc>,
    pub size: u64,
    /// Bytes of layers other images have too, and the rest.
    pub shared: u64,
    pub unique: u64,
    pub containers: usize,
}

/// One container of `system df -v`.
#[derive(Debug, Clone)]
pub struct ContainerUsage {
    pub id: String,
    pub image_id: String,
    pub command: String,
    pub local_volumes: usize,
    pub size: u64,
    pub created: chrono::DateTime<chrono::Utc>,
    pub status: String,
    pub name: String,
}

/// One volume of `system df -v`.
#[derive(Debug, Clone)]
pub struct VolumeUsage {
    pub name: String,
    /// Containers using it.
    pub links: usize,
    pub size: u64,
}

/// `system df -v`: each image, container and volume.
#[derive(Debug, Clone, Default)]
pub struct DiskUsageDetails {
    pub images: Vec<ImageUsage>,
    pub containers: Vec<ContainerUsage>,
    pub volumes: Vec<VolumeUsage>,
}

/// What `system prune` removed, each kind as IDs (names for volumes and
/// networks), and the bytes the removed images took.
#[derive(Debug, Clone, Default)]
pub struct SystemPruneReport {
    pub containers: Vec<String>,
    pub pods: Vec<String>,
    pub volumes: Vec<String>,
    pub networks: Vec<String>,
    pub images: Vec<String>,
    pub reclaimed: u64,
}

impl Runtime {
    /// Facts about the host and the engine.
    pub fn info(&self) -> Result<Info> {
        let uts = nix::sys::utsname::uname().map_err(|e| crate::error::Error::Io {
            context: "reading the kernel version".into(),
            source: e.into(),
        })?;
        let oci = self.oci()?;
        let containers = self.containers()?;
        let count = |f: &dyn Fn(ContainerStatus) -> bool| {
            containers.iter().filter(|c| f(c.status())).count()
        };
        let store = self.store()?;
        let (allocated, used) = match nix::sys::statvfs::statvfs(&self.paths.root) {
            Ok(st) => {
                let frag = st.fragment_size();
                let total = st.blocks() * frag;
                (total, total.saturating_sub(st.blocks_free() * frag))
            }
            Err(_) => (0, 0),
        };
        Ok(Info {
            host: HostInfo {
                arch: std::env::consts::ARCH
                    .replace("x86_64", "amd64")
                    .replace("aarch64", "arm64"),
                os: std::env::consts::OS.into(),
                hostname: uts.nodename().to_string_lossy().into_owned(),
                kernel: uts.release().to_string_lossy().into_owned(),
                cgroup_version: ocirt::cgroup_mode().as_str().into(),
                cpus: std::thread::available_parallelism()
                    .map(|n| n.get())
                    .unwrap_or(1),
                mem_total: mem_total(),
                oci_runtime: RuntimeInfo {
                    name: oci.name().into(),
                    package: String::new(),
                    path: oci.path().display().to_string(),
                    version: oci.version().unwrap_or_default(),
                },
                event_logger: if self.events.path().is_some() {
                    "file".into()
                } else {
                    "none".into()
                },
                buildah_version: String::new(),
                cgroup_manager: "cgroupfs".into(),
                cgroup_controllers: cgroup_controllers(),
                conmon: HelperInfo {
                    package: String::new(),
                    path: self
                        .monitor_path()
                        .map(|p| p.display().to_string())
                        .unwrap_or_default(),
                    version: format!("rpod-monitor version {VERSION}"),
                },
                cpu_utilization: cpu_usage(),
                distribution: distribution(),
                id_mappings: IdMappingsInfo::current(),
                log_driver: self.config.containers.log_driver.clone(),
                mem_free: meminfo("MemAvailable:"),
                network_backend: "netavark".into(),
                remote_socket: RemoteSocketInfo {
                    path: self.paths.run_root.join("rpod.sock").display().to_string(),
                },
                service_is_remote: false,
                slirp4netns: SlirpInfo::installed(),
                rootless_network_cmd: crate::rootless::is_rootless().then(|| "pasta".to_string()),
                swap_free: meminfo("SwapFree:"),
                swap_total: meminfo("SwapTotal:"),
                linkmode: "dynamic".into(),
                uptime: uptime(),
                security: SecurityInfo {
                    apparmor_enabled: crate::container::security::apparmor_enabled(),
                    capabilities: ocirt::spec::DEFAULT_CAPABILITIES
                        .iter()
                        .map(|c| format!("CAP_{c}"))
                        .collect::<Vec<_>>()
                        .join(","),
                    rootless: crate::rootless::is_rootless(),
                    seccomp_enabled: true,
                    seccomp_profile_path: crate::container::security::default_profile_path(
                        self.config.containers.seccomp_profile.as_deref(),
                    )
                    .map(|p| p.display().to_string())
                    .unwrap_or_default(),
                    selinux_enabled: std::path::Path::new("/sys/fs/selinux/enforce").exists(),
                },
            },
            store: StoreInfo {
                graph_root: self.paths.root.display().to_string(),
                run_root: self.paths.run_root.display().to_string(),
                graph_driver_name: store.driver().to_string(),
                graph_options: Default::default(),
                graph_root_allocated: allocated,
                graph_root_used: used,
                graph_status: Default::default(),
                image_copy_tmp_dir: self.paths.storage_root().join("tmp").display().to_string(),
                volume_path: self.paths.volumes().display().to_string(),
                config_file: self
                    .options
                    .config_path
                    .clone()
                    .unwrap_or_else(crate::config::default_config_path)
                    .display()
                    .to_string(),
                container_store: ContainerCounts {
                    number: containers.len(),
                    running: count(&|s| s == ContainerStatus::Running),
                    paused: count(&|s| s == ContainerStatus::Paused),
                    stopped: count(&|s| !s.is_active()),
                },
                image_store: ImageCounts {
                    number: store.images()?.len(),
                },
            },
            registries: Default::default(),
            plugins: PluginsInfo {
                volume: vec!["local".into()],
                network: vec!["bridge".into()],
                log: vec!["k8s-file".into(), "json-file".into(), "none".into()],
                authorization: None,
            },
            version: VersionInfo::current(),
        })
    }

    /// Disk usage of images and containers.
    pub fn disk_usage(&self) -> Result<Vec<DiskUsage>> {
        let images = self.images()?;
        let containers = self.containers()?;
        let image_size: u64 = images.iter().map(|i| i.size).sum();
        let active_images = images.iter().filter(|i| i.containers > 0).count();
        let unused_image_size: u64 = images
            .iter()
            .filter(|i| i.containers == 0)
            .map(|i| i.size)
            .sum();
        let mut ctr_size = 0;
        let mut reclaim = 0;
        let mut active = 0;
        for c in &containers {
            let size = c.rw_size().unwrap_or(0);
            ctr_size += size;
            if c.status().is_active() {
                active += 1;
            } else {
                reclaim += size;
            }
        }
        Ok(vec![
            DiskUsage {
                kind: "Images".into(),
                total: images.len(),
                active: active_images,
                size: image_size,
                reclaimable: unused_image_size,
            },
            DiskUsage {
                kind: "Containers".into(),
                total: containers.len(),
                active,
                size: ctr_size,
                reclaimable: reclaim,
            },
            {
                let volumes = self.volume_usage()?;
                DiskUsage {
                    kind: "Local Volumes".into(),
                    total: volumes.len(),
                    active: volumes.iter().filter(|v| v.links > 0).count(),
                    size: volumes.iter().map(|v| v.size).sum(),
                    reclaimable: volumes
                        .iter()
                        .filter(|v| v.links == 0)
                        .map(|v| v.size)
                        .sum(),
                }
            },
        ])
    }

    /// Each volume with the containers using it and its size.
    fn volume_usage(&self) -> Result<Vec<VolumeUsage>> {
        let mut out = Vec::new();
        for v in self.volumes()? {
            out.push(VolumeUsage {
                name: v.config.name.clone(),
                links: self.volume_users(v.name())?.len(),
                size: storage::du(&v.mountpoint).unwrap_or(0),
            });
        }
        Ok(out)
    }

    /// `system df -v`: every image (its first name, the bytes it shares
    /// with other images), container and volume.
    pub fn disk_usage_details(&self) -> Result<DiskUsageDetails> {
        let images = self.images()?;
        let store = self.store()?;
        let mut users: std::collections::HashMap<&str, usize> = std::collections::HashMap::new();
        for i in &images {
            for l in &i.layers {
                *users.entry(l.as_str()).or_default() += 1;
            }
        }
        let mut image_rows = Vec::new();
        for i in &images {
            let shared: u64 = i
                .layers
                .iter()
                .filter(|l| users.get(l.as_str()).copied().unwrap_or(0) > 1)
                .filter_map(|l| store.layer(l).ok())
                .map(|l| l.size)
                .sum();
            let (repository, tag) = i
                .repo_tags()
                .into_iter()
                .next()
                .unwrap_or_else(|| ("<none>".into(), "<none>".into()));
            image_rows.push(ImageUsage {
                repository,
                tag,
                id: i.id.clone(),
                created: i.created_at,
                size: i.size,
                shared,
                unique: i.size.saturating_sub(shared),
                containers: i.containers,
            });
        }
        let mut containers = Vec::new();
        for c in self.containers()? {
            let cfg = c.config();
            containers.push(ContainerUsage {
                id: c.id().to_string(),
                image_id: cfg.image_id.clone().unwrap_or_default(),
                command: cfg.command().join(" "),
                local_volumes: cfg
                    .mounts
                    .iter()
                    .filter(|m| m.kind == crate::container::MountKind::Volume)
                    .count(),
                size: c.rw_size().unwrap_or(0),
                created: cfg.created_at,
                status: c.status().as_str().to_string(),
                name: c.name().to_string(),
            });
        }
        Ok(DiskUsageDetails {
            images: image_rows,
            containers,
            volumes: self.volume_usage()?,
        })
    }

    /// Removes every container that does not run (created ones too) and is
    /// in no pod, of those `filters` select; returns their IDs.
    /// Side by side, dependents first.
    pub fn prune_containers(&self, filters: &PruneFilters) -> Result<Vec<String>> {
        let candidates: Vec<String> = self
            .containers()?
            .into_iter()
            .filter(|c| {
                !c.status().is_active()
                    && c.config().pod.is_none()
                    && filters.matches(&c.config().labels, c.config().created_at)
            })
            .map(|c| c.id().to_string())
            .collect();
        let results = self.on_each_container_ordered(
            &candidates,
            crate::runtime::DependencyOrder::DependentsFirst,
            |c| c.remove(false, None),
        );
        let mut removed = Vec::new();
        for (id, result) in candidates.into_iter().zip(results) {
            match result {
                Ok(_) => removed.push(id),
                // Removed meanwhile, or started again: not prunable now.
                Err(Error::NoSuchContainer(_) | Error::InvalidState { .. }) => {}
                Err(e) => return Err(e),
            }
        }
        Ok(removed)
    }

    /// Removes unused images without names (dangling), or all unused with
    /// `all`, of those `filters` select; returns their IDs and sizes.
    pub fn prune_images(&self, all: bool, filters: &PruneFilters) -> Result<Vec<(String, u64)>> {
        self.prune_images_external(all, filters, false)
    }

    /// [`Self::prune_images`]; an image that only external containers
    /// (builds' working containers) use is kept, or with `external` removed
    /// together with them (`image prune --external`).
    pub fn prune_images_external(
        &self,
        all: bool,
        filters: &PruneFilters,
        external: bool,
    ) -> Result<Vec<(String, u64)>> {
        let all = all || filters.dangling == Some(false);
        let externals = self.external_containers()?;
        let mut removed = Vec::new();
        for image in self.images()? {
            let labels = image.labels.clone().unwrap_or_default();
            if image.containers == 0
                && (all || image.names.is_empty())
                && filters.matches(&labels, image.created_at)
            {
                let users: Vec<&str> = externals
                    .iter()
                    .filter(|x| x.image_id == image.id)
                    .map(|x| x.id.as_str())
                    .collect();
                if !users.is_empty() && !external {
                    continue;
                }
                for id in users {
                    self.store()?.remove_container(id)?;
                }
                self.store()?.remove_image(&image.id)?;
                removed.push((image.id, image.size));
            }
        }
        Ok(removed)
    }

    /// `system prune`: stopped containers, exited pods, unused networks,
    /// dangling (or, with `all`, unused) images and, with `volumes`, unused
    /// volumes; `filters` select among containers, networks, volumes and
    /// images, as in Podman.
    pub fn system_prune(
        &self,
        all: bool,
        volumes: bool,
        filters: &PruneFilters,
    ) -> Result<SystemPruneReport> {
        let containers = self.prune_containers(filters)?;
        let pods = self.prune_pods()?;
        let volumes = if volumes {
            self.prune_volumes(filters)?
        } else {
            Vec::new()
        };
        let networks = self.prune_networks(filters)?;
        let images = self.prune_images(all, filters)?;
        Ok(SystemPruneReport {
            reclaimed: images.iter().map(|(_, size)| size).sum(),
            containers,
            pods,
            volumes,
            networks,
            images: images.into_iter().map(|(id, _)| id).collect(),
        })
    }

    /// `system reset` when the engine cannot be opened because its state
    /// database is unusable ([`crate::Error::StateDatabase`]): without the
    /// records, the containers are found from the run root (their monitors
    /// and processes are killed), everything mounted below the roots is
    /// unmounted, and both roots are emptied.
    pub fn reset_unopened(options: &crate::RuntimeOptions) -> Result<()> {
        let paths = crate::paths::Paths::of(options);
        let containers = paths.run_root.join("containers");
        for entry in std::fs::read_dir(&containers)
            .into_iter()
            .flatten()
            .flatten()
        {
            let id = entry.file_name().to_string_lossy().into_owned();
            let read = |name: &str| -> Option<i32> {
                std::fs::read_to_string(entry.path().join(name))
                    .ok()?
                    .trim()
                    .parse()
                    .ok()
                    .filter(|p: &i32| *p > 0)
            };
            let kill = |pid: i32| {
                let _ = nix::sys::signal::kill(
                    nix::unistd::Pid::from_raw(pid),
                    nix::sys::signal::Signal::SIGKILL,
                );
            };
            // The container's process is the monitor's child: it goes
            // first, then the monitor (checked by its command line, so a
            // reused pid is never hit).
            let Some(monitor_pid) = read(monitor::MONITOR_PID_FILE)
                .filter(|pid| crate::container::state::is_monitor_of(*pid, &id))
            else {
                continue;
            };
            if let Some(pid) = read("pidfile") {
                let status =
                    std::fs::read_to_string(format!("/proc/{pid}/status")).unwrap_or_default();
                let ppid = status
                    .lines()
                    .find_map(|l| l.strip_prefix("PPid:"))
                    .and_then(|v| v.trim().parse::<i32>().ok());
                if ppid == Some(monitor_pid) {
                    kill(pid);
                }
            }
            kill(monitor_pid);
        }
        let mountinfo = std::fs::read_to_string("/proc/self/mountinfo").unwrap_or_default();
        let mut mounts: Vec<std::path::PathBuf> = mountinfo
            .lines()
            .filter_map(|l| l.split(' ').nth(4))
            .map(|p| std::path::PathBuf::from(p.replace("\\040", " ")))
            .filter(|p| p.starts_with(&paths.root) || p.starts_with(&paths.run_root))
            .filter(|p| *p != paths.root && *p != paths.run_root)
            .collect();
        mounts.sort_by_key(|p| std::cmp::Reverse(p.components().count()));
        for m in mounts {
            let _ = nix::mount::umount2(&m, nix::mount::MntFlags::MNT_DETACH);
        }
        for dir in [&paths.root, &paths.run_root] {
            empty_dir(dir)?;
        }
        Ok(())
    }

    /// `system migrate`: stops every running container and, rootless, ends
    /// the user's pause process, so that the next command builds the user
    /// namespace from the current `/etc/subuid` and `/etc/subgid`. rpod
    /// keeps the OCI runtime per engine, not per container, so a new runtime
    /// is chosen with `--runtime` or the configuration, not here.
    pub fn migrate(&self, new_runtime: Option<&str>) -> Result<()> {
        if let Some(r) = new_runtime {
            return Err(Error::Unsupported(format!(
                "--new-runtime {r}: rpod records no OCI runtime per container; every container uses the engine's (--runtime, or engine.runtime in the configuration)"
            )));
        }
        let running: Vec<String> = self
            .db
            .all_containers()?
            .into_iter()
            .filter(|(_, state)| state.status.is_active())
            .map(|(config, _)| config.id)
            .collect();
        for result in self.on_each_container(&running, |c| c.stop(None)) {
            match result {
                Ok(()) | Err(Error::NoSuchContainer(_)) => {}
                Err(e) => return Err(e),
            }
        }
        if crate::rootless::is_rootless() {
            // Its slirp4netns would keep the old namespaces alive.
            self.rootless_netns().remove();
        }
        crate::rootless::end_pause_process()?;
        Ok(())
    }

    /// Stops and removes every container, removes every image, and deletes
    /// the contents of the root and run root.
    pub fn reset(self) -> Result<()> {
        for mut c in self.containers()? {
            c.remove(true, Some(0))?;
        }
        if let Ok(store) = self.store() {
            for image in store.images()? {
                store.remove_image(&image.id)?;
            }
        }
        // Volumes and networks one by one: `--volumepath` and
        // `--network-config-dir` may be outside the root.
        for v in self.volumes()? {
            self.remove_volume(v.name(), true)?;
        }
        for n in self.networks()? {
            if n.name != network::DEFAULT_NETWORK {
                self.remove_network(&n.name, true)?;
            }
        }
        let root = self.paths.root.clone();
        let run_root = self.paths.run_root.clone();
        drop(self);
        for dir in [root, run_root] {
            empty_dir(&dir)?;
        }
        Ok(())
    }
}

/// Removes everything inside `dir` (which stays).
fn empty_dir(dir: &std::path::Path) -> Result<()> {
    if dir.exists() {
        for entry in std::fs::read_dir(dir).ctx(|| format!("reading {}", dir.display()))? {
            let entry = entry.ctx(|| format!("reading {}", dir.display()))?;
            let path = entry.path();
            let res = if entry.file_type().map(|t| t.is_dir()).unwrap_or(false) {
                std::fs::remove_dir_all(&path)
            } else {
                std::fs::remove_file(&path)
            };
            res.ctx(|| format!("removing {}", path.display()))?;
        }
    }
    Ok(())
}

fn mem_total() -> u64 {
    meminfo("MemTotal:")
}

/// A `/proc/meminfo` field in bytes (0 when missing).
fn meminfo(field: &str) -> u64 {
    std::fs::read_to_string("/proc/meminfo")
        .ok()
        .and_then(|t| {
            t.lines()
                .find(|l| l.starts_with(field))
                .and_then(|l| l.split_whitespace().nth(1))
                .and_then(|kb| kb.parse::<u64>().ok())
        })
        .map(|kb| kb * 1024)
        .unwrap_or(0)
}

/// The cgroup controllers available: v2's `cgroup.controllers`, else the
/// enabled ones of `/proc/cgroups`.
fn cgroup_controllers() -> Vec<String> {
    if let Ok(text) = std::fs::read_to_string("/sys/fs/cgroup/cgroup.controllers") {
        return text.split_whitespace().map(str::to_string).collect();
    }
    std::fs::read_to_string("/proc/cgroups")
        .unwrap_or_default()
        .lines()
        .filter(|l| !l.starts_with('#'))
        .filter_map(|l| {
            let f: Vec<&str> = l.split_whitespace().collect();
            (f.len() >= 4 && f[3] == "1").then(|| f[0].to_string())
        })
        .collect()
}

/// CPU time since boot by kind, from the `cpu` line of `/proc/stat`.
fn cpu_usage() -> CpuUsage {
    let text = std::fs::read_to_string("/proc/stat").unwrap_or_default();
    let v: Vec<f64> = text
        .lines()
        .find(|l| l.starts_with("cpu "))
        .map(|l| {
            l.split_whitespace()
                .skip(1)
                .filter_map(|x| x.parse().ok())
                .collect()
        })
        .unwrap_or_default();
    let at = |i: usize| v.get(i).copied().unwrap_or(0.0);
    let total: f64 = v.iter().sum();
    let pct = |x: f64| {
        if total > 0.0 {
            (x / total * 10000.0).round() / 100.0
        } else {
            0.0
        }
    };
    CpuUsage {
        user_percent: pct(at(0) + at(1)),
        system_percent: pct(at(2)),
        idle_percent: pct(at(3)),
    }
}

/// `ID`, `VERSION_ID` and `VERSION_CODENAME` of `/etc/os-release`.
fn distribution() -> DistributionInfo {
    let text = std::fs::read_to_string("/etc/os-release")
        .or_else(|_| std::fs::read_to_string("/usr/lib/os-release"))
        .unwrap_or_default();
    let get = |key: &str| {
        text.lines()
            .find_map(|l| l.strip_prefix(key).and_then(|r| r.strip_prefix('=')))
            .map(|v| v.trim_matches('"').to_string())
            .unwrap_or_default()
    };
    DistributionInfo {
        distribution: get("ID"),
        version: get("VERSION_ID"),
        codename: get("VERSION_CODENAME"),
    }
}

/// Podman's uptime text: `1h 39m 22.00s (Approximately 0.04 days)`.
fn uptime() -> String {
    let secs: f64 = std::fs::read_to_string("/proc/uptime")
        .ok()
        .and_then(|t| t.split_whitespace().next().and_then(|s| s.parse().ok()))
        .unwrap_or(0.0);
    let whole = secs as u64;
    format!(
        "{}h {}m {:.2}s (Approximately {:.2} days)",
        whole / 3600,
        whole % 3600 / 60,
        secs % 60.0,
        secs / 86400.0
    )
}
