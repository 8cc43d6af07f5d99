//! Engine-wide operations: info, disk usage, prune and reset.

use serde::Serialize;

use crate::container::ContainerStatus;
use crate::error::{IoContext, Result};
use crate::runtime::Runtime;

/// The engine's version.
pub const VERSION: &str = env!("CARGO_PKG_VERSION");

/// `info` output.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Info {
    pub host: HostInfo,
    pub store: StoreInfo,
    pub version: VersionInfo,
}

#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct HostInfo {
    pub arch: String,
    pub os: String,
    pub hostname: String,
    pub kernel: String,
    pub cgroup_version: String,
    pub cpus: usize,
    pub mem_total: u64,
    pub oci_runtime: RuntimeInfo,
    pub events_logger: String,
    pub security: SecurityInfo,
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
    pub path: String,
    pub version: String,
}

#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct StoreInfo {
    pub graph_root: String,
    pub run_root: String,
    pub graph_driver_name: String,
    pub config_file: String,
    pub container_store: ContainerCounts,
    pub image_store: ImageCounts,
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

#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct VersionInfo {
    pub version: String,
    #[serde(rename = "APIVersion")]
    pub api_version: String,
    pub os_arch: String,
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
                    path: oci.path().display().to_string(),
                    version: oci.version().unwrap_or_default(),
                },
                events_logger: if self.events.path().is_some() {
                    "file".into()
                } else {
                    "none".into()
                },
                security: SecurityInfo {
                    apparmor_enabled: crate::container::security::apparmor_enabled(),
                    capabilities: ocirt::spec::DEFAULT_CAPABILITIES
                        .iter()
                        .map(|c| format!("CAP_{c}"))
                        .collect::<Vec<_>>()
                        .join(","),
                    rootless: !nix::unistd::geteuid().is_root(),
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
                config_file: self
                    .options
                    .config_path
                    .clone()
                    .unwrap_or_else(|| crate::config::DEFAULT_CONFIG_PATH.into())
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
            version: VersionInfo {
                version: VERSION.into(),
                api_version: VERSION.into(),
                os_arch: format!(
                    "linux/{}",
                    std::env::consts::ARCH.replace("x86_64", "amd64")
                ),
            },
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
            DiskUsage {
                kind: "Local Volumes".into(),
                total: 0,
                active: 0,
                size: 0,
                reclaimable: 0,
            },
        ])
    }

    /// Removes every container that is not running; returns their IDs.
    pub fn prune_containers(&self) -> Result<Vec<String>> {
        let mut removed = Vec::new();
        for mut c in self.containers()? {
            if c.status().is_active() || c.status() == ContainerStatus::Created {
                continue;
            }
            c.remove(false, None)?;
            removed.push(c.id().to_string());
        }
        Ok(removed)
    }

    /// Removes unused images without names (dangling), or all unused with `all`.
    pub fn prune_images(&self, all: bool) -> Result<Vec<String>> {
        let mut removed = Vec::new();
        for image in self.images()? {
            if image.containers == 0 && (all || image.names.is_empty()) {
                self.store()?.remove_image(&image.id)?;
                removed.push(image.id);
            }
        }
        Ok(removed)
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
        let root = self.paths.root.clone();
        let run_root = self.paths.run_root.clone();
        drop(self);
        for dir in [root, run_root] {
            if dir.exists() {
                for entry in std::fs::read_dir(&dir).ctx(|| format!("reading {}", dir.display()))? {
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
        }
        Ok(())
    }
}

fn mem_total() -> u64 {
    std::fs::read_to_string("/proc/meminfo")
        .ok()
        .and_then(|t| {
            t.lines()
                .find(|l| l.starts_with("MemTotal:"))
                .and_then(|l| l.split_whitespace().nth(1))
                .and_then(|kb| kb.parse::<u64>().ok())
        })
        .map(|kb| kb * 1024)
        .unwrap_or(0)
}
