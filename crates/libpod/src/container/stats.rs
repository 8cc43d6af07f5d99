//! `stats`: resource usage of running containers, read from their cgroup (v1 or v2, found
//! through `/proc/<pid>/cgroup`) and from `/proc/<pid>/net/dev` of their network namespace.

use std::path::{Path, PathBuf};
use std::time::Instant;

use serde::Serialize;

use super::{Container, ContainerStatus};
use crate::error::{Error, Result};
use crate::humanize::human_size_compact;

const CGROUP_ROOT: &str = "/sys/fs/cgroup";

/// Where a process's cgroup is, per hierarchy.
#[derive(Debug, Clone)]
pub(crate) struct Cgroup {
    /// v1: controller list (e.g. `memory`, `cpu,cpuacct`) → path inside that hierarchy.
    v1: Vec<(String, String)>,
    /// The v2 directory (unified mode, or the `unified` mount of hybrid mode).
    v2: Option<PathBuf>,
}

impl Cgroup {
    /// Reads `/proc/<pid>/cgroup`; `None` if the process is gone.
    pub(crate) fn of_pid(pid: i32) -> Option<Cgroup> {
        if pid <= 0 {
            return None;
        }
        let text = std::fs::read_to_string(format!("/proc/{pid}/cgroup")).ok()?;
        let unified_mode = Path::new(CGROUP_ROOT).join("cgroup.controllers").exists();
        let mut cg = Cgroup {
            v1: Vec::new(),
            v2: None,
        };
        for line in text.lines() {
            let mut parts = line.splitn(3, ':');
            let (Some(_), Some(controllers), Some(path)) =
                (parts.next(), parts.next(), parts.next())
            else {
                continue;
            };
            let rel = path.trim_start_matches('/');
            if controllers.is_empty() {
                let base = if unified_mode {
                    PathBuf::from(CGROUP_ROOT)
                } else {
                    Path::new(CGROUP_ROOT).join("unified")
                };
                cg.v2 = Some(base.join(rel));
            } else {
                cg.v1.push((controllers.to_string(), rel.to_string()));
            }
        }
        Some(cg)
    }

    /// The v1 directory of `controller`, if that controller is mounted on v1.
    fn v1_dir(&self, controller: &str) -> Option<PathBuf> {
        self.v1
            .iter()
            .find(|(list, _)| list.split(',').any(|c| c == controller))
            .map(|(list, rel)| Path::new(CGROUP_ROOT).join(list).join(rel))
            .filter(|p| p.is_dir())
    }

    /// Reads `file` from the controller's v1 directory, else from the v2 directory.
    fn read(&self, controller: &str, v1_file: &str, v2_file: &str) -> Option<String> {
        if let Some(dir) = self.v1_dir(controller) {
            if let Ok(text) = std::fs::read_to_string(dir.join(v1_file)) {
                return Some(text);
            }
        }
        let dir = self.v2.as_ref()?;
        std::fs::read_to_string(dir.join(v2_file)).ok()
    }

    /// Pids in the cgroup (`cgroup.procs` of the pids, memory or v2 hierarchy).
    pub(crate) fn procs(&self) -> Option<Vec<i32>> {
        let text = ["pids", "memory", "cpuacct", "freezer"]
            .iter()
            .find_map(|c| {
                self.v1_dir(c)
                    .and_then(|d| std::fs::read_to_string(d.join("cgroup.procs")).ok())
            })
            .or_else(|| {
                self.v2
                    .as_ref()
                    .and_then(|d| std::fs::read_to_string(d.join("cgroup.procs")).ok())
            })?;
        Some(text.lines().filter_map(|l| l.trim().parse().ok()).collect())
    }
}

/// One raw reading of a container's counters.
#[derive(Debug, Clone)]
pub struct StatsSample {
    pub id: String,
    pub name: String,
    /// When it was taken.
    pub at: Instant,
    /// CPU time used so far, nanoseconds.
    pub cpu_nanos: u64,
    pub mem_usage: u64,
    pub mem_limit: u64,
    pub net_rx: u64,
    pub net_tx: u64,
    pub block_read: u64,
    pub block_write: u64,
    pub pids: u64,
    /// Nanoseconds since the container started.
    pub up_nanos: u64,
}

/// Usage of one container between two samples, formatted as Podman prints it.
#[derive(Debug, Clone, Serialize)]
pub struct ContainerStats {
    #[serde(rename = "id")]
    pub id: String,
    #[serde(rename = "name")]
    pub name: String,
    #[serde(rename = "cpu_time")]
    pub cpu_time: String,
    #[serde(rename = "cpu_percent")]
    pub cpu_percent: String,
    #[serde(rename = "avg_cpu")]
    pub avg_cpu: String,
    #[serde(rename = "mem_usage")]
    pub mem_usage: String,
    #[serde(rename = "mem")]
    pub mem_percent: String,
    #[serde(rename = "net_io")]
    pub net_io: String,
    #[serde(rename = "block_io")]
    pub block_io: String,
    #[serde(rename = "pids")]
    pub pids: String,
    /// Raw numbers, for templates.
    #[serde(skip)]
    pub raw: StatsSample,
    /// CPU use over the interval, percent of one CPU.
    #[serde(skip)]
    pub cpu: f64,
}

fn percent(part: f64, whole: f64) -> f64 {
    if whole > 0.0 {
        part / whole * 100.0
    } else {
        0.0
    }
}

impl ContainerStats {
    /// Usage between `prev` (if any: else since the container started) and `cur`.
    pub fn between(prev: Option<&StatsSample>, cur: &StatsSample) -> ContainerStats {
        let (cpu_delta, wall) = match prev {
            Some(p) => (
                cur.cpu_nanos.saturating_sub(p.cpu_nanos) as f64,
                cur.at.duration_since(p.at).as_nanos() as f64,
            ),
            None => (cur.cpu_nanos as f64, cur.up_nanos as f64),
        };
        let cpu = percent(cpu_delta, wall);
        let avg = percent(cur.cpu_nanos as f64, cur.up_nanos as f64);
        ContainerStats {
            id: cur.id.chars().take(12).collect(),
            name: cur.name.clone(),
            cpu_time: super::top::go_duration(u128::from(cur.cpu_nanos / 1000 * 1000)),
            cpu_percent: format!("{cpu:.2}%"),
            avg_cpu: format!("{avg:.2}%"),
            mem_usage: format!(
                "{} / {}",
                human_size_compact(cur.mem_usage),
                human_size_compact(cur.mem_limit)
            ),
            mem_percent: format!(
                "{:.2}%",
                percent(cur.mem_usage as f64, cur.mem_limit as f64)
            ),
            net_io: format!(
                "{} / {}",
                human_size_compact(cur.net_rx),
                human_size_compact(cur.net_tx)
            ),
            block_io: format!(
                "{} / {}",
                human_size_compact(cur.block_read),
                human_size_compact(cur.block_write)
            ),
            pids: cur.pids.to_string(),
            raw: cur.clone(),
            cpu,
        }
    }
}

fn first_number(text: Option<String>) -> Option<u64> {
    text?.split_whitespace().next()?.parse().ok()
}

/// `key value` lines (memory.stat, cpu.stat).
fn keyed(text: &str, key: &str) -> Option<u64> {
    text.lines().find_map(|l| {
        let (k, v) = l.split_once(' ')?;
        (k == key).then(|| v.trim().parse().ok()).flatten()
    })
}

fn host_memory() -> u64 {
    std::fs::read_to_string("/proc/meminfo")
        .ok()
        .and_then(|t| {
            t.lines()
                .find_map(|l| l.strip_prefix("MemTotal:"))
                .and_then(|v| v.split_whitespace().next()?.parse::<u64>().ok())
        })
        .map(|kb| kb * 1024)
        .unwrap_or(0)
}

/// Bytes received and sent on every interface but `lo` in the process's network namespace.
fn net_io(pid: i32) -> (u64, u64) {
    let text = std::fs::read_to_string(format!("/proc/{pid}/net/dev")).unwrap_or_default();
    let mut rx = 0u64;
    let mut tx = 0u64;
    for line in text.lines().skip(2) {
        let Some((iface, rest)) = line.split_once(':') else {
            continue;
        };
        if iface.trim() == "lo" {
            continue;
        }
        let f: Vec<u64> = rest
            .split_whitespace()
            .filter_map(|v| v.parse().ok())
            .collect();
        rx += f.first().copied().unwrap_or(0);
        tx += f.get(8).copied().unwrap_or(0);
    }
    (rx, tx)
}

/// Bytes read and written: v1 `blkio.throttle.io_service_bytes` or v2 `io.stat`.
fn block_io(cg: &Cgroup) -> (u64, u64) {
    let mut read = 0u64;
    let mut write = 0u64;
    if let Some(text) = cg
        .v1_dir("blkio")
        .and_then(|d| std::fs::read_to_string(d.join("blkio.throttle.io_service_bytes")).ok())
    {
        for line in text.lines() {
            let f: Vec<&str> = line.split_whitespace().collect();
            if let [_, op, value] = f.as_slice() {
                let value: u64 = value.parse().unwrap_or(0);
                match *op {
                    "Read" => read += value,
                    "Write" => write += value,
                    _ => {}
                }
            }
        }
        return (read, write);
    }
    let text = cg
        .v2
        .as_ref()
        .and_then(|d| std::fs::read_to_string(d.join("io.stat")).ok())
        .unwrap_or_default();
    for line in text.lines() {
        for field in line.split_whitespace().skip(1) {
            if let Some(v) = field.strip_prefix("rbytes=") {
                read += v.parse().unwrap_or(0);
            } else if let Some(v) = field.strip_prefix("wbytes=") {
                write += v.parse().unwrap_or(0);
            }
        }
    }
    (read, write)
}

impl Cgroup {
    fn cpu_nanos(&self) -> u64 {
        if let Some(n) = self
            .v1_dir("cpuacct")
            .and_then(|d| first_number(std::fs::read_to_string(d.join("cpuacct.usage")).ok()))
        {
            return n;
        }
        self.v2
            .as_ref()
            .and_then(|d| std::fs::read_to_string(d.join("cpu.stat")).ok())
            .and_then(|t| keyed(&t, "usage_usec"))
            .map(|us| us * 1000)
            .unwrap_or(0)
    }

    /// Usage without the inactive page cache, as Docker and Podman count it.
    fn memory(&self) -> (u64, u64) {
        let host = host_memory();
        if let Some(dir) = self.v1_dir("memory") {
            let usage =
                first_number(std::fs::read_to_string(dir.join("memory.usage_in_bytes")).ok())
                    .unwrap_or(0);
            let inactive = std::fs::read_to_string(dir.join("memory.stat"))
                .ok()
                .and_then(|t| keyed(&t, "total_inactive_file"))
                .unwrap_or(0);
            let limit =
                first_number(std::fs::read_to_string(dir.join("memory.limit_in_bytes")).ok())
                    .unwrap_or(u64::MAX);
            return (usage.saturating_sub(inactive), limit.min(host));
        }
        let Some(dir) = &self.v2 else {
            return (0, host);
        };
        let usage =
            first_number(std::fs::read_to_string(dir.join("memory.current")).ok()).unwrap_or(0);
        let inactive = std::fs::read_to_string(dir.join("memory.stat"))
            .ok()
            .and_then(|t| keyed(&t, "inactive_file"))
            .unwrap_or(0);
        let limit =
            first_number(std::fs::read_to_string(dir.join("memory.max")).ok()).unwrap_or(u64::MAX);
        (usage.saturating_sub(inactive), limit.min(host))
    }
}

impl Container<'_> {
    /// Reads the container's counters; `None` when it is not running.
    pub fn stats_sample(&mut self) -> Result<Option<StatsSample>> {
        if crate::rootless::cgroups_unavailable().is_some() {
            return Err(Error::Unsupported(
                "stats is not supported in rootless mode without cgroups v2".into(),
            ));
        }
        let pid = {
            let _guard = self.lock()?;
            if !matches!(
                self.state.status,
                ContainerStatus::Running | ContainerStatus::Paused
            ) {
                return Ok(None);
            }
            self.state.pid
        };
        let Some(cg) = Cgroup::of_pid(pid) else {
            return Ok(None);
        };
        let at = Instant::now();
        let (mem_usage, mem_limit) = cg.memory();
        let (net_rx, net_tx) = net_io(pid);
        let (block_read, block_write) = block_io(&cg);
        let pids = first_number(cg.read("pids", "pids.current", "pids.current"))
            .unwrap_or_else(|| cg.procs().map(|p| p.len() as u64).unwrap_or(0));
        let up_nanos = self
            .state
            .started_at
            .map(|s| {
                (chrono::Utc::now() - s)
                    .num_nanoseconds()
                    .unwrap_or(0)
                    .max(0) as u64
            })
            .unwrap_or(0);
        Ok(Some(StatsSample {
            id: self.id().to_string(),
            name: self.name().to_string(),
            at,
            cpu_nanos: cg.cpu_nanos(),
            mem_usage,
            mem_limit,
            net_rx,
            net_tx,
            block_read,
            block_write,
            pids,
            up_nanos,
        }))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sizes_print_like_podman_stats() {
        assert_eq!(human_size_compact(512), "512B");
    }
}
