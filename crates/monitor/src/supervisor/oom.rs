//! Telling whether the kernel OOM killer struck the container.
//!
//! Right after `create` the monitor finds the container's memory cgroup
//! from `/proc/<pid>/cgroup` and `/proc/self/mountinfo` and opens its
//! counter file: `memory.events` (cgroup v2) or `memory.oom_control`
//! (cgroup v1), both holding an `oom_kill <n>` line. The count at start is
//! the baseline; the container was OOM-killed if the count grew.
//!
//! The cgroup may be removed as soon as the container's last process exits
//! (e.g. with the systemd cgroup driver), after which the file cannot be
//! read any more. On v2 the file is therefore polled for `POLLPRI` (the
//! kernel's "file modified" notification) and re-read on every change, so
//! the last count seen is known even then. v1 is read when the container
//! exits.

use std::fs::File;
use std::io;
use std::os::fd::{AsFd, BorrowedFd};
use std::os::unix::fs::FileExt;
use std::path::PathBuf;

/// The container's OOM-kill counter, if it has a memory cgroup.
#[derive(Debug)]
pub(crate) struct OomWatch {
    counter: Option<Counter>,
}

#[derive(Debug)]
struct Counter {
    file: File,
    pollable: bool,
    baseline: u64,
    last: u64,
}

impl OomWatch {
    /// A watch that never reports an OOM kill.
    pub(crate) fn none() -> OomWatch {
        OomWatch { counter: None }
    }

    /// Finds and opens the memory cgroup counter of process `pid`.
    /// `Ok(none())` when the process has no memory controller.
    pub(crate) fn for_pid(pid: i32) -> io::Result<OomWatch> {
        let cgroups = std::fs::read_to_string(format!("/proc/{pid}/cgroup"))?;
        let mountinfo = std::fs::read_to_string("/proc/self/mountinfo")?;
        let Some((path, pollable)) = counter_path(&cgroups, &mountinfo) else {
            return Ok(OomWatch::none());
        };
        let file = match File::open(&path) {
            Ok(f) => f,
            // The controller is not enabled for this cgroup.
            Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(OomWatch::none()),
            Err(e) => return Err(e),
        };
        let baseline = read_oom_kill(&file)?;
        Ok(OomWatch {
            counter: Some(Counter {
                file,
                pollable,
                baseline,
                last: baseline,
            }),
        })
    }

    /// The fd to poll for `POLLPRI`, if the counter notifies changes.
    pub(crate) fn poll_fd(&self) -> Option<BorrowedFd<'_>> {
        self.counter
            .as_ref()
            .filter(|c| c.pollable)
            .map(|c| c.file.as_fd())
    }

    /// Re-reads the counter (after a notification, and at exit). A cgroup
    /// that is gone keeps the last value read.
    pub(crate) fn refresh(&mut self) {
        if let Some(c) = &mut self.counter {
            if let Ok(n) = read_oom_kill(&c.file) {
                c.last = c.last.max(n);
            }
        }
    }

    /// Whether an OOM kill happened in the container's cgroup since start.
    pub(crate) fn killed(&mut self) -> bool {
        self.refresh();
        self.counter.as_ref().is_some_and(|c| c.last > c.baseline)
    }
}

/// Reads the `oom_kill` count from the start of `file`.
fn read_oom_kill(file: &File) -> io::Result<u64> {
    let mut buf = [0u8; 1024];
    let n = file.read_at(&mut buf, 0)?;
    Ok(parse_oom_kill(&String::from_utf8_lossy(&buf[..n])))
}

/// The `oom_kill <n>` value of a `memory.events` / `memory.oom_control`
/// text (0 when absent, as on old kernels).
fn parse_oom_kill(text: &str) -> u64 {
    text.lines()
        .find_map(|l| l.strip_prefix("oom_kill "))
        .and_then(|v| v.trim().parse().ok())
        .unwrap_or(0)
}

/// The counter file of the memory cgroup described by `cgroups` (a
/// `/proc/<pid>/cgroup` text) and whether it can be polled; v1's memory
/// controller wins over v2 on hybrid hosts.
fn counter_path(cgroups: &str, mountinfo: &str) -> Option<(PathBuf, bool)> {
    let mut v2 = None;
    for line in cgroups.lines() {
        let mut parts = line.splitn(3, ':');
        let (Some(id), Some(controllers), Some(path)) = (parts.next(), parts.next(), parts.next())
        else {
            continue;
        };
        if controllers.split(',').any(|c| c == "memory") {
            let dir = resolve(mountinfo, path, |fstype, opts| {
                fstype == "cgroup" && opts.split(',').any(|o| o == "memory")
            })?;
            return Some((dir.join("memory.oom_control"), false));
        }
        if id == "0" && controllers.is_empty() {
            v2 = Some(path);
        }
    }
    let dir = resolve(mountinfo, v2?, |fstype, _| fstype == "cgroup2")?;
    Some((dir.join("memory.events"), true))
}

/// Directory of cgroup `path` in the first mount accepted by `matches`
/// (which gets the fs type and super options).
fn resolve(mountinfo: &str, path: &str, matches: impl Fn(&str, &str) -> bool) -> Option<PathBuf> {
    for line in mountinfo.lines() {
        let Some((left, right)) = line.split_once(" - ") else {
            continue;
        };
        let mut l = left.split(' ');
        let (Some(root), Some(mount_point)) = (l.nth(3), l.next()) else {
            continue;
        };
        let mut r = right.split(' ');
        let (Some(fstype), Some(_source), Some(opts)) = (r.next(), r.next(), r.next()) else {
            continue;
        };
        if !matches(fstype, opts) {
            continue;
        }
        let rel = if root == "/" {
            path
        } else {
            match path.strip_prefix(root) {
                Some(rest) if rest.is_empty() || rest.starts_with('/') => rest,
                _ => continue,
            }
        };
        return Some(PathBuf::from(format!(
            "{mount_point}/{}",
            rel.trim_start_matches('/')
        )));
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    const MOUNTINFO: &str = "\
31 23 0:28 / /sys/fs/cgroup rw,relatime - tmpfs tmpfs rw,mode=755
32 31 0:29 / /sys/fs/cgroup/cpu rw,relatime - cgroup cgroup rw,cpu
35 31 0:32 / /sys/fs/cgroup/memory rw,relatime - cgroup cgroup rw,memory
41 31 0:38 / /sys/fs/cgroup/unified rw,relatime - cgroup2 cgroup2 rw
";

    #[test]
    fn v1_memory_controller() {
        let cg = "4:memory:/a/b\n1:cpu:/x\n0::/\n";
        assert_eq!(
            counter_path(cg, MOUNTINFO),
            Some((
                PathBuf::from("/sys/fs/cgroup/memory/a/b/memory.oom_control"),
                false
            ))
        );
    }

    #[test]
    fn v2_unified() {
        let mi = "25 1 0:22 / /sys/fs/cgroup rw - cgroup2 cgroup2 rw,nsdelegate\n";
        assert_eq!(
            counter_path("0::/user.slice/ctr\n", mi),
            Some((
                PathBuf::from("/sys/fs/cgroup/user.slice/ctr/memory.events"),
                true
            ))
        );
        // A namespaced mount root is stripped from the path.
        let mi = "25 1 0:22 /user.slice /sys/fs/cgroup rw - cgroup2 cgroup2 rw\n";
        assert_eq!(
            counter_path("0::/user.slice/ctr\n", mi).unwrap().0,
            PathBuf::from("/sys/fs/cgroup/ctr/memory.events")
        );
        assert_eq!(counter_path("0::/ctr\n", "junk\n"), None);
        assert_eq!(counter_path("1:cpu:/x\n", MOUNTINFO), None);
    }

    #[test]
    fn parses_counts() {
        assert_eq!(
            parse_oom_kill("low 0\nhigh 0\nmax 3\noom 2\noom_kill 2\n"),
            2
        );
        assert_eq!(
            parse_oom_kill("oom_kill_disable 0\nunder_oom 0\noom_kill 5\n"),
            5
        );
        assert_eq!(parse_oom_kill("oom_kill_disable 0\n"), 0);
    }
}
