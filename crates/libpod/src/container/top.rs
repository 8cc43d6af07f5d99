//! `top`: the container's processes, ps-style, with Podman's descriptors (psgo's names and
//! AIX format codes). Processes come from the container's cgroup (or the runtime's `ps`), their
//! details from `/proc`.

use std::collections::HashMap;
use std::path::Path;

use super::{Container, ContainerStatus};
use crate::error::{Error, Result};

/// What `top` shows when no descriptor is given.
pub const DEFAULT_DESCRIPTORS: &[&str] = &[
    "user", "pid", "ppid", "pcpu", "etime", "tty", "time", "args",
];

/// A known descriptor: its names and its header.
struct Descriptor {
    names: &'static [&'static str],
    header: &'static str,
}

const DESCRIPTORS: &[Descriptor] = &[
    Descriptor {
        names: &["pcpu", "%cpu", "%C"],
        header: "%CPU",
    },
    Descriptor {
        names: &["group", "%G"],
        header: "GROUP",
    },
    Descriptor {
        names: &["ppid", "%P"],
        header: "PPID",
    },
    Descriptor {
        names: &["user", "uname", "%U"],
        header: "USER",
    },
    Descriptor {
        names: &["args", "command", "cmd", "%a"],
        header: "COMMAND",
    },
    Descriptor {
        names: &["comm", "ucomm", "%c"],
        header: "COMMAND",
    },
    Descriptor {
        names: &["rgroup", "%g"],
        header: "RGROUP",
    },
    Descriptor {
        names: &["nice", "ni", "%n"],
        header: "NI",
    },
    Descriptor {
        names: &["pid", "%p"],
        header: "PID",
    },
    Descriptor {
        names: &["pgid", "pgrp", "%r"],
        header: "PGID",
    },
    Descriptor {
        names: &["etime", "%t"],
        header: "ELAPSED",
    },
    Descriptor {
        names: &["ruser", "%u"],
        header: "RUSER",
    },
    Descriptor {
        names: &["time", "cputime", "%x"],
        header: "TIME",
    },
    Descriptor {
        names: &["tty", "tt", "tname", "%y"],
        header: "TTY",
    },
    Descriptor {
        names: &["vsz", "vsize", "%z"],
        header: "VSZ",
    },
    Descriptor {
        names: &["rss", "rssize", "rsz"],
        header: "RSS",
    },
    Descriptor {
        names: &["state", "stat", "s"],
        header: "STATE",
    },
    Descriptor {
        names: &["hpid"],
        header: "HPID",
    },
    Descriptor {
        names: &["hppid"],
        header: "HPPID",
    },
    Descriptor {
        names: &["huser"],
        header: "HUSER",
    },
    Descriptor {
        names: &["hgroup"],
        header: "HGROUP",
    },
];

fn canonical(name: &str) -> Option<&'static str> {
    DESCRIPTORS
        .iter()
        .find(|d| d.names.contains(&name))
        .map(|d| d.names[0])
}

fn header(canonical: &str) -> &'static str {
    DESCRIPTORS
        .iter()
        .find(|d| d.names[0] == canonical)
        .map(|d| d.header)
        .unwrap_or("?")
}

/// Parses descriptors (separate arguments, or comma-separated) into canonical names.
pub fn parse_descriptors(args: &[String]) -> Result<Vec<&'static str>> {
    if args.is_empty() {
        return Ok(DEFAULT_DESCRIPTORS.to_vec());
    }
    let mut out = Vec::new();
    for word in args.iter().flat_map(|a| a.split(',')).map(str::trim) {
        if word.is_empty() {
            continue;
        }
        out.push(
            canonical(word)
                .ok_or_else(|| Error::InvalidArgument(format!("unknown descriptor: {word}")))?,
        );
    }
    Ok(out)
}

/// One process as read from `/proc`.
struct Process {
    host_pid: i32,
    host_ppid: i32,
    pid: i32,
    pgid: i32,
    state: String,
    comm: String,
    args: String,
    uid: u32,
    ruid: u32,
    gid: u32,
    rgid: u32,
    tty: u64,
    nice: i64,
    cpu_ticks: u64,
    start_ticks: u64,
    vsize: u64,
    rss_pages: u64,
}

impl Process {
    fn read(pid: i32) -> Option<Process> {
        let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
        let open = stat.find('(')?;
        let close = stat.rfind(')')?;
        let comm = stat.get(open + 1..close)?.to_string();
        let f: Vec<&str> = stat.get(close + 2..)?.split_whitespace().collect();
        let num = |i: usize| f.get(i).and_then(|v| v.parse::<i64>().ok()).unwrap_or(0);
        let status = std::fs::read_to_string(format!("/proc/{pid}/status")).unwrap_or_default();
        let ids = |key: &str| -> (u32, u32) {
            let v: Vec<u32> = status
                .lines()
                .find_map(|l| l.strip_prefix(key))
                .map(|rest| {
                    rest.split_whitespace()
                        .filter_map(|x| x.parse().ok())
                        .collect()
                })
                .unwrap_or_default();
            (
                v.first().copied().unwrap_or(0),
                v.get(1).copied().unwrap_or(0),
            )
        };
        let ns_pid = |key: &str| -> Option<i32> {
            status
                .lines()
                .find_map(|l| l.strip_prefix(key))
                .and_then(|rest| rest.split_whitespace().last())
                .and_then(|x| x.parse().ok())
        };
        let (ruid, uid) = ids("Uid:");
        let (rgid, gid) = ids("Gid:");
        let cmdline = std::fs::read(format!("/proc/{pid}/cmdline")).unwrap_or_default();
        let args: Vec<String> = cmdline
            .split(|b| *b == 0)
            .filter(|a| !a.is_empty())
            .map(|a| String::from_utf8_lossy(a).into_owned())
            .collect();
        Some(Process {
            host_pid: pid,
            host_ppid: num(1) as i32,
            pid: ns_pid("NSpid:").unwrap_or(pid),
            pgid: num(2) as i32,
            state: f.first().unwrap_or(&"?").to_string(),
            args: if args.is_empty() {
                format!("[{comm}]")
            } else {
                args.join(" ")
            },
            comm,
            uid,
            ruid,
            gid,
            rgid,
            tty: num(4) as u64,
            nice: num(16),
            cpu_ticks: (num(11) + num(12)) as u64,
            start_ticks: num(19) as u64,
            vsize: num(20) as u64,
            rss_pages: num(21) as u64,
        })
    }
}

/// Go's `time.Duration.String()` for a number of nanoseconds.
pub(crate) fn go_duration(nanos: u128) -> String {
    if nanos == 0 {
        return "0s".into();
    }
    let trim = |whole: u128, frac: u128, digits: usize| -> String {
        let frac = format!("{frac:0digits$}");
        let frac = frac.trim_end_matches('0');
        if frac.is_empty() {
            whole.to_string()
        } else {
            format!("{whole}.{frac}")
        }
    };
    if nanos < 1_000 {
        return format!("{nanos}ns");
    }
    if nanos < 1_000_000 {
        return format!("{}µs", trim(nanos / 1_000, nanos % 1_000, 3));
    }
    if nanos < 1_000_000_000 {
        return format!("{}ms", trim(nanos / 1_000_000, nanos % 1_000_000, 6));
    }
    let secs = nanos / 1_000_000_000;
    let (h, m, s) = (secs / 3600, secs / 60 % 60, secs % 60);
    let seconds = format!("{}s", trim(s, nanos % 1_000_000_000, 9));
    if h > 0 {
        format!("{h}h{m}m{seconds}")
    } else if m > 0 {
        format!("{m}m{seconds}")
    } else {
        seconds
    }
}

fn tty_name(nr: u64) -> String {
    let major = (nr >> 8) & 0xfff;
    let minor = (nr & 0xff) | ((nr >> 12) & 0xfff00);
    match major {
        0 => "?".into(),
        136..=143 => format!("pts/{}", minor + (major - 136) * 256),
        4 if minor < 64 => format!("tty{minor}"),
        4 => format!("ttyS{}", minor - 64),
        _ => "?".into(),
    }
}

/// `id → name` from a passwd- or group-style file inside the container.
fn names_in_rootfs(rootfs: Option<&Path>, file: &str) -> HashMap<u32, String> {
    let Some(root) = rootfs else {
        return HashMap::new();
    };
    let Ok(loc) = storage::archive::Located::in_root(root, file) else {
        return HashMap::new();
    };
    let (Some(name), Some(meta)) = (loc.name(), loc.metadata()) else {
        return HashMap::new();
    };
    if !meta.is_file() {
        return HashMap::new();
    }
    let data = loc.parent().read_file(name).unwrap_or_default();
    let text = String::from_utf8_lossy(&data);
    text.lines()
        .filter_map(|l| {
            let f: Vec<&str> = l.split(':').collect();
            Some((f.get(2)?.parse().ok()?, f.first()?.to_string()))
        })
        .collect()
}

fn clock_ticks() -> u64 {
    nix::unistd::sysconf(nix::unistd::SysconfVar::CLK_TCK)
        .ok()
        .flatten()
        .filter(|t| *t > 0)
        .unwrap_or(100) as u64
}

fn uptime_secs() -> f64 {
    std::fs::read_to_string("/proc/uptime")
        .ok()
        .and_then(|t| t.split_whitespace().next().and_then(|v| v.parse().ok()))
        .unwrap_or(0.0)
}

impl Container<'_> {
    /// The container's processes: a header row, then one row per process, one cell per
    /// descriptor.
    pub fn top(&mut self, descriptors: &[String]) -> Result<Vec<Vec<String>>> {
        let wanted = parse_descriptors(descriptors)?;
        let _guard = self.lock()?;
        if !matches!(
            self.state.status,
            ContainerStatus::Running | ContainerStatus::Paused
        ) {
            return Err(self.invalid_state("top can only be used on running containers"));
        }
        let pids = self.process_ids()?;
        let rootfs = self.state.mount_point.clone().map(std::path::PathBuf::from);
        let users = names_in_rootfs(rootfs.as_deref(), "/etc/passwd");
        let groups = names_in_rootfs(rootfs.as_deref(), "/etc/group");
        let name_of = |map: &HashMap<u32, String>, id: u32| {
            map.get(&id).cloned().unwrap_or_else(|| id.to_string())
        };
        let host_user = |uid: u32| {
            nix::unistd::User::from_uid(uid.into())
                .ok()
                .flatten()
                .map(|u| u.name)
                .unwrap_or_else(|| uid.to_string())
        };
        let host_group = |gid: u32| {
            nix::unistd::Group::from_gid(gid.into())
                .ok()
                .flatten()
                .map(|g| g.name)
                .unwrap_or_else(|| gid.to_string())
        };
        let procs: Vec<Process> = pids.into_iter().filter_map(Process::read).collect();
        let ns_pid_of: HashMap<i32, i32> = procs.iter().map(|p| (p.host_pid, p.pid)).collect();
        let hz = clock_ticks();
        let uptime = uptime_secs();
        let page_kb = nix::unistd::sysconf(nix::unistd::SysconfVar::PAGE_SIZE)
            .ok()
            .flatten()
            .unwrap_or(4096) as u64
            / 1024;
        let mut rows = vec![wanted.iter().map(|d| header(d).to_string()).collect()];
        for p in &procs {
            let elapsed = (uptime - p.start_ticks as f64 / hz as f64).max(0.0);
            let cpu_secs = p.cpu_ticks as f64 / hz as f64;
            let row = wanted
                .iter()
                .map(|d| match *d {
                    "pcpu" => format!(
                        "{:.3}",
                        if elapsed > 0.0 {
                            cpu_secs / elapsed * 100.0
                        } else {
                            0.0
                        }
                    ),
                    "group" => name_of(&groups, p.gid),
                    "rgroup" => name_of(&groups, p.rgid),
                    "user" => name_of(&users, p.uid),
                    "ruser" => name_of(&users, p.ruid),
                    "ppid" => ns_pid_of
                        .get(&p.host_ppid)
                        .copied()
                        .unwrap_or(0)
                        .to_string(),
                    "args" => p.args.clone(),
                    "comm" => p.comm.clone(),
                    "nice" => p.nice.to_string(),
                    "pid" => p.pid.to_string(),
                    "pgid" => ns_pid_of
                        .get(&p.pgid)
                        .copied()
                        .unwrap_or(p.pgid)
                        .to_string(),
                    // Jiffies give 10ms at best: no float noise below that.
                    "etime" => go_duration((elapsed * 100.0).round() as u128 * 10_000_000),
                    "time" => go_duration(p.cpu_ticks as u128 * 1_000_000_000 / hz as u128),
                    "tty" => tty_name(p.tty),
                    "vsz" => (p.vsize / 1024).to_string(),
                    "rss" => (p.rss_pages * page_kb).to_string(),
                    "state" => p.state.clone(),
                    "hpid" => p.host_pid.to_string(),
                    "hppid" => p.host_ppid.to_string(),
                    "huser" => host_user(p.uid),
                    "hgroup" => host_group(p.gid),
                    _ => "?".into(),
                })
                .collect();
            rows.push(row);
        }
        Ok(rows)
    }

    /// Host pids of the container's processes: its cgroup's `cgroup.procs`, else `runc ps`.
    pub(crate) fn process_ids(&self) -> Result<Vec<i32>> {
        if let Some(cg) = super::stats::Cgroup::of_pid(self.state.pid) {
            if let Some(pids) = cg.procs() {
                if !pids.is_empty() {
                    return Ok(pids);
                }
            }
        }
        Ok(self.rt.oci()?.pids(self.id())?)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn durations_print_like_go() {
        assert_eq!(go_duration(0), "0s");
        assert_eq!(go_duration(1_500_000), "1.5ms");
        assert_eq!(go_duration(2_693_963_434), "2.693963434s");
        assert_eq!(go_duration(65_000_000_000), "1m5s");
        assert_eq!(go_duration(3_600_000_000_000), "1h0m0s");
    }

    #[test]
    fn descriptors_accept_aliases_and_aix_codes() {
        let d = parse_descriptors(&["pid,%C".into(), "args".into(), "etime".into()]).unwrap();
        assert_eq!(d, vec!["pid", "pcpu", "args", "etime"]);
        assert!(parse_descriptors(&["bogus".into()]).is_err());
        assert_eq!(tty_name(0), "?");
        assert_eq!(tty_name((136 << 8) | 3), "pts/3");
    }
}
