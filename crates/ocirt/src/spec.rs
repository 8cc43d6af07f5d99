//! Building blocks of a runtime spec (`config.json`): the parts every
//! container shares, capabilities, rlimits and signals. The container-specific
//! parts are filled in by the engine.

use std::collections::HashSet;
use std::path::PathBuf;
use std::str::FromStr;

pub use oci_spec::runtime::LinuxNamespaceType as NamespaceType;
use oci_spec::runtime::{
    Capabilities, Capability, LinuxCapabilities, LinuxCapabilitiesBuilder,
    LinuxDeviceCgroupBuilder, LinuxNamespaceBuilder, LinuxNamespaceType, Mount, MountBuilder,
    PosixRlimit, PosixRlimitBuilder, PosixRlimitType, Spec,
};

use crate::error::{Error, Result};
use crate::host::{cgroup_mode, CgroupMode};

/// The capabilities a container gets by default (the same set as Podman).
pub const DEFAULT_CAPABILITIES: &[&str] = &[
    "CHOWN",
    "DAC_OVERRIDE",
    "FOWNER",
    "FSETID",
    "KILL",
    "NET_BIND_SERVICE",
    "SETFCAP",
    "SETGID",
    "SETPCAP",
    "SETUID",
    "SYS_CHROOT",
];

/// The capabilities this build knows, for `--privileged` and `--cap-add ALL`.
const ALL_CAPABILITIES: &[&str] = &[
    "AUDIT_CONTROL",
    "AUDIT_READ",
    "AUDIT_WRITE",
    "BLOCK_SUSPEND",
    "BPF",
    "CHECKPOINT_RESTORE",
    "CHOWN",
    "DAC_OVERRIDE",
    "DAC_READ_SEARCH",
    "FOWNER",
    "FSETID",
    "IPC_LOCK",
    "IPC_OWNER",
    "KILL",
    "LEASE",
    "LINUX_IMMUTABLE",
    "MAC_ADMIN",
    "MAC_OVERRIDE",
    "MKNOD",
    "NET_ADMIN",
    "NET_BIND_SERVICE",
    "NET_BROADCAST",
    "NET_RAW",
    "PERFMON",
    "SETFCAP",
    "SETGID",
    "SETPCAP",
    "SETUID",
    "SYS_ADMIN",
    "SYS_BOOT",
    "SYS_CHROOT",
    "SYS_MODULE",
    "SYS_NICE",
    "SYS_PACCT",
    "SYS_PTRACE",
    "SYS_RAWIO",
    "SYS_RESOURCE",
    "SYS_TIME",
    "SYS_TTY_CONFIG",
    "SYSLOG",
    "WAKE_ALARM",
];

/// Normalises a capability name (`net_admin`, `CAP_NET_ADMIN`) to `NET_ADMIN`,
/// or `ALL`.
pub fn normalize_capability(name: &str) -> Result<String> {
    let upper = name.trim().to_ascii_uppercase();
    let bare = upper.strip_prefix("CAP_").unwrap_or(&upper).to_string();
    if bare == "ALL" || ALL_CAPABILITIES.contains(&bare.as_str()) {
        Ok(bare)
    } else {
        Err(Error::Invalid {
            what: "capability",
            value: name.to_string(),
            reason: "unknown capability".into(),
        })
    }
}

/// The effective capability set from the defaults, `--cap-add`, `--cap-drop`
/// and `--privileged`, in the order Podman applies them (drop ALL first, then add).
pub fn capability_set(add: &[String], drop: &[String], privileged: bool) -> Result<Vec<String>> {
    let add: Vec<String> = add
        .iter()
        .map(|c| normalize_capability(c))
        .collect::<Result<_>>()?;
    let drop: Vec<String> = drop
        .iter()
        .map(|c| normalize_capability(c))
        .collect::<Result<_>>()?;
    let mut set: Vec<String> = if privileged || add.iter().any(|c| c == "ALL") {
        ALL_CAPABILITIES.iter().map(|s| s.to_string()).collect()
    } else if drop.iter().any(|c| c == "ALL") {
        Vec::new()
    } else {
        DEFAULT_CAPABILITIES.iter().map(|s| s.to_string()).collect()
    };
    if !privileged {
        set.retain(|c| !drop.contains(c));
    }
    for cap in add.into_iter().filter(|c| c != "ALL") {
        if !set.contains(&cap) {
            set.push(cap);
        }
    }
    set.sort();
    Ok(set)
}

/// Kernel numbers of the capabilities, in order (`capability.h`).
const CAPABILITY_NUMBERS: &[&str] = &[
    "CHOWN",
    "DAC_OVERRIDE",
    "DAC_READ_SEARCH",
    "FOWNER",
    "FSETID",
    "KILL",
    "SETGID",
    "SETUID",
    "SETPCAP",
    "LINUX_IMMUTABLE",
    "NET_BIND_SERVICE",
    "NET_BROADCAST",
    "NET_ADMIN",
    "NET_RAW",
    "IPC_LOCK",
    "IPC_OWNER",
    "SYS_MODULE",
    "SYS_RAWIO",
    "SYS_CHROOT",
    "SYS_PTRACE",
    "SYS_PACCT",
    "SYS_ADMIN",
    "SYS_BOOT",
    "SYS_NICE",
    "SYS_RESOURCE",
    "SYS_TIME",
    "SYS_TTY_CONFIG",
    "MKNOD",
    "LEASE",
    "AUDIT_WRITE",
    "AUDIT_CONTROL",
    "SETFCAP",
    "MAC_OVERRIDE",
    "MAC_ADMIN",
    "SYSLOG",
    "WAKE_ALARM",
    "BLOCK_SUSPEND",
    "AUDIT_READ",
    "PERFMON",
    "BPF",
    "CHECKPOINT_RESTORE",
];

/// The engine's own capability bounding set (`CapBnd` of /proc/self/status):
/// a container can never get a capability outside it, so asking the runtime
/// for one only makes `runc create` fail.
fn own_bounding_set() -> Option<u64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let hex = status
        .lines()
        .find_map(|l| l.strip_prefix("CapBnd:"))?
        .trim();
    u64::from_str_radix(hex, 16).ok()
}

fn in_bounding_set(name: &str, bounding: Option<u64>) -> bool {
    match (bounding, CAPABILITY_NUMBERS.iter().position(|c| *c == name)) {
        (Some(set), Some(bit)) => set & (1u64 << bit) != 0,
        _ => true,
    }
}

/// Turns capability names into the spec's capability sets (ambient stays empty
/// for root, as runc expects), leaving out those the engine itself lacks.
pub fn linux_capabilities(names: &[String]) -> Result<LinuxCapabilities> {
    let bounding = own_bounding_set();
    let caps: Capabilities = names
        .iter()
        .filter(|n| in_bounding_set(n, bounding))
        .filter_map(|n| Capability::from_str(n).ok())
        .collect::<HashSet<_>>();
    Ok(LinuxCapabilitiesBuilder::default()
        .bounding(caps.clone())
        .effective(caps.clone())
        .permitted(caps)
        .inheritable(Capabilities::new())
        .ambient(Capabilities::new())
        .build()?)
}

/// Parses a signal given as a name (`TERM`, `SIGTERM`, `sigterm`) or a number.
pub fn parse_signal(text: &str) -> Result<i32> {
    let t = text.trim();
    let invalid = || Error::Invalid {
        what: "signal",
        value: text.to_string(),
        reason: "not a signal name or number".into(),
    };
    if let Ok(n) = t.parse::<i32>() {
        return if (1..=64).contains(&n) {
            Ok(n)
        } else {
            Err(invalid())
        };
    }
    let upper = t.to_ascii_uppercase();
    let name = if upper.starts_with("SIG") {
        upper
    } else {
        format!("SIG{upper}")
    };
    if let Some(rest) = name.strip_prefix("SIGRTMIN+") {
        let n: i32 = rest.parse().map_err(|_| invalid())?;
        return Ok(libc::SIGRTMIN() + n);
    }
    nix::sys::signal::Signal::from_str(&name)
        .map(|s| s as i32)
        .map_err(|_| invalid())
}

/// Parses an rlimit name as `--ulimit` takes it (`nofile`, `RLIMIT_NOFILE`).
pub fn parse_rlimit_type(name: &str) -> Result<PosixRlimitType> {
    let upper = name.trim().to_ascii_uppercase();
    let full = if upper.starts_with("RLIMIT_") {
        upper
    } else {
        format!("RLIMIT_{upper}")
    };
    PosixRlimitType::from_str(&full).map_err(|_| Error::Invalid {
        what: "ulimit",
        value: name.to_string(),
        reason: "unknown resource".into(),
    })
}

/// Every resource limit a runtime spec can set.
pub const ALL_RLIMITS: &[PosixRlimitType] = &[
    PosixRlimitType::RlimitCpu,
    PosixRlimitType::RlimitFsize,
    PosixRlimitType::RlimitData,
    PosixRlimitType::RlimitStack,
    PosixRlimitType::RlimitCore,
    PosixRlimitType::RlimitRss,
    PosixRlimitType::RlimitNproc,
    PosixRlimitType::RlimitNofile,
    PosixRlimitType::RlimitMemlock,
    PosixRlimitType::RlimitAs,
    PosixRlimitType::RlimitLocks,
    PosixRlimitType::RlimitSigpending,
    PosixRlimitType::RlimitMsgqueue,
    PosixRlimitType::RlimitNice,
    PosixRlimitType::RlimitRtprio,
    PosixRlimitType::RlimitRttime,
];

/// The current process's (soft, hard) limits for `typ`, if they can be read
/// (`u64::MAX` is unlimited).
pub fn own_limit(typ: PosixRlimitType) -> Option<(u64, u64)> {
    use nix::sys::resource::Resource as R;
    let resource = match typ {
        PosixRlimitType::RlimitCpu => R::RLIMIT_CPU,
        PosixRlimitType::RlimitFsize => R::RLIMIT_FSIZE,
        PosixRlimitType::RlimitData => R::RLIMIT_DATA,
        PosixRlimitType::RlimitStack => R::RLIMIT_STACK,
        PosixRlimitType::RlimitCore => R::RLIMIT_CORE,
        PosixRlimitType::RlimitRss => R::RLIMIT_RSS,
        PosixRlimitType::RlimitNproc => R::RLIMIT_NPROC,
        PosixRlimitType::RlimitNofile => R::RLIMIT_NOFILE,
        PosixRlimitType::RlimitMemlock => R::RLIMIT_MEMLOCK,
        PosixRlimitType::RlimitAs => R::RLIMIT_AS,
        PosixRlimitType::RlimitLocks => R::RLIMIT_LOCKS,
        PosixRlimitType::RlimitSigpending => R::RLIMIT_SIGPENDING,
        PosixRlimitType::RlimitMsgqueue => R::RLIMIT_MSGQUEUE,
        PosixRlimitType::RlimitNice => R::RLIMIT_NICE,
        PosixRlimitType::RlimitRtprio => R::RLIMIT_RTPRIO,
        PosixRlimitType::RlimitRttime => R::RLIMIT_RTTIME,
    };
    nix::sys::resource::getrlimit(resource).ok()
}

fn own_hard_limit(typ: PosixRlimitType) -> Option<u64> {
    own_limit(typ).map(|(_, hard)| hard)
}

/// Builds an rlimit, lowering both values to the engine's own hard limit so
/// the runtime's `setrlimit` can never fail for want of privilege.
pub fn rlimit(typ: PosixRlimitType, soft: u64, hard: u64) -> Result<PosixRlimit> {
    let cap = own_hard_limit(typ).unwrap_or(u64::MAX);
    let hard = hard.min(cap);
    let soft = soft.min(hard);
    Ok(PosixRlimitBuilder::default()
        .typ(typ)
        .soft(soft)
        .hard(hard)
        .build()?)
}

fn mount(dest: &str, typ: &str, source: &str, options: &[&str]) -> Result<Mount> {
    Ok(MountBuilder::default()
        .destination(PathBuf::from(dest))
        .typ(typ)
        .source(PathBuf::from(source))
        .options(options.iter().map(|s| s.to_string()).collect::<Vec<_>>())
        .build()?)
}

/// The kernel file systems every container gets; `/dev/shm` has `shm_size` bytes.
pub fn default_mounts(shm_size: u64, read_only_sysfs: bool) -> Result<Vec<Mount>> {
    let shm = format!("size={}k", shm_size.div_ceil(1024));
    let sys_mode = if read_only_sysfs { "ro" } else { "rw" };
    Ok(vec![
        mount("/proc", "proc", "proc", &["nosuid", "noexec", "nodev"])?,
        mount(
            "/dev",
            "tmpfs",
            "tmpfs",
            &["nosuid", "noexec", "strictatime", "mode=755", "size=65536k"],
        )?,
        mount(
            "/dev/pts",
            "devpts",
            "devpts",
            &[
                "nosuid",
                "noexec",
                "newinstance",
                "ptmxmode=0666",
                "mode=0620",
                "gid=5",
            ],
        )?,
        mount(
            "/dev/shm",
            "tmpfs",
            "shm",
            &["nosuid", "noexec", "nodev", "mode=1777", &shm],
        )?,
        mount(
            "/dev/mqueue",
            "mqueue",
            "mqueue",
            &["nosuid", "noexec", "nodev"],
        )?,
        mount(
            "/sys",
            "sysfs",
            "sysfs",
            &["nosuid", "noexec", "nodev", sys_mode],
        )?,
        mount(
            "/sys/fs/cgroup",
            "cgroup",
            "cgroup",
            &["nosuid", "noexec", "nodev", "relatime", sys_mode],
        )?,
    ])
}

/// Which namespaces a container gets, and where an existing one is joined.
#[derive(Debug, Clone, Default)]
pub struct NamespacePlan {
    /// Share the host's network namespace (`--network host`).
    pub host_network: bool,
    /// Join this network namespace path instead of creating one.
    pub network_path: Option<PathBuf>,
    /// Other namespaces to join instead of creating them (a pod's ipc, uts, pid).
    pub joined: Vec<(LinuxNamespaceType, PathBuf)>,
    /// Namespaces shared with the host: none is created (`--pid host`, …).
    pub host: Vec<LinuxNamespaceType>,
    /// A cgroup namespace of its own; `None` is the default (one on cgroup v2 only).
    pub private_cgroup: Option<bool>,
    /// A user namespace of its own (its maps are in `linux.uidMappings`);
    /// one in `joined` is joined instead.
    pub private_user: bool,
}

/// The spec's namespace list for `plan`.
pub fn namespaces(plan: &NamespacePlan) -> Result<Vec<oci_spec::runtime::LinuxNamespace>> {
    let mut list = Vec::new();
    let cgroup = plan
        .private_cgroup
        .unwrap_or(cgroup_mode() == CgroupMode::Unified)
        || plan
            .joined
            .iter()
            .any(|(t, _)| *t == LinuxNamespaceType::Cgroup);
    for typ in [
        LinuxNamespaceType::Pid,
        LinuxNamespaceType::Ipc,
        LinuxNamespaceType::Uts,
        LinuxNamespaceType::Mount,
        LinuxNamespaceType::Cgroup,
    ] {
        if plan.host.contains(&typ) || (typ == LinuxNamespaceType::Cgroup && !cgroup) {
            continue;
        }
        let mut ns = LinuxNamespaceBuilder::default().typ(typ);
        if let Some((_, path)) = plan.joined.iter().find(|(t, _)| *t == typ) {
            ns = ns.path(path.clone());
        }
        list.push(ns.build()?);
    }
    if let Some((_, path)) = plan
        .joined
        .iter()
        .find(|(t, _)| *t == LinuxNamespaceType::User)
    {
        list.push(
            LinuxNamespaceBuilder::default()
                .typ(LinuxNamespaceType::User)
                .path(path.clone())
                .build()?,
        );
    } else if plan.private_user {
        list.push(
            LinuxNamespaceBuilder::default()
                .typ(LinuxNamespaceType::User)
                .build()?,
        );
    }
    if !plan.host_network {
        let mut ns = LinuxNamespaceBuilder::default().typ(LinuxNamespaceType::Network);
        if let Some(path) = &plan.network_path {
            ns = ns.path(path.clone());
        }
        list.push(ns.build()?);
    }
    Ok(list)
}

/// The device cgroup rule list: deny everything; the runtime adds its
/// standard allowed devices (null, zero, full, random, urandom, tty, pts).
pub fn deny_all_devices() -> Result<Vec<oci_spec::runtime::LinuxDeviceCgroup>> {
    Ok(vec![LinuxDeviceCgroupBuilder::default()
        .allow(false)
        .access("rwm")
        .build()?])
}

/// Paths hidden from unprivileged containers.
pub const MASKED_PATHS: &[&str] = &[
    "/proc/acpi",
    "/proc/kcore",
    "/proc/keys",
    "/proc/latency_stats",
    "/proc/timer_list",
    "/proc/timer_stats",
    "/proc/sched_debug",
    "/proc/scsi",
    "/sys/firmware",
    "/sys/fs/selinux",
    "/sys/dev/block",
];

/// Paths made read-only in unprivileged containers.
pub const READONLY_PATHS: &[&str] = &[
    "/proc/asound",
    "/proc/bus",
    "/proc/fs",
    "/proc/irq",
    "/proc/sys",
    "/proc/sysrq-trigger",
];

/// An empty spec to fill in: version set, everything else to be decided by the caller.
pub fn empty_spec() -> Spec {
    let mut spec = Spec::default();
    spec.set_version("1.0.2".to_string());
    spec.set_hooks(None);
    // The crate's defaults carry a host name and a Linux section of their own.
    spec.set_hostname(None);
    spec
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn signals_parse_by_name_and_number() {
        assert_eq!(parse_signal("TERM").unwrap(), libc::SIGTERM);
        assert_eq!(parse_signal("sigkill").unwrap(), libc::SIGKILL);
        assert_eq!(parse_signal("SIGHUP").unwrap(), libc::SIGHUP);
        assert_eq!(parse_signal("9").unwrap(), 9);
        assert!(parse_signal("NOPE").is_err());
        assert!(parse_signal("0").is_err());
    }

    #[test]
    fn capabilities_follow_podman_rules() {
        let set = capability_set(&["net_admin".into()], &["CAP_CHOWN".into()], false).unwrap();
        assert!(set.contains(&"NET_ADMIN".to_string()));
        assert!(!set.contains(&"CHOWN".to_string()));
        let none = capability_set(&[], &["all".into()], false).unwrap();
        assert!(none.is_empty());
        let all = capability_set(&[], &[], true).unwrap();
        assert!(all.contains(&"SYS_ADMIN".to_string()));
        assert!(capability_set(&["bogus".into()], &[], false).is_err());
    }

    #[test]
    fn capabilities_outside_the_bounding_set_are_left_out() {
        let without_sys_resource = !(1u64 << 24);
        assert!(!in_bounding_set("SYS_RESOURCE", Some(without_sys_resource)));
        assert!(in_bounding_set("CHOWN", Some(without_sys_resource)));
        assert!(in_bounding_set("CHOWN", None));
        assert_eq!(CAPABILITY_NUMBERS.len(), ALL_CAPABILITIES.len());
    }

    #[test]
    fn rlimits_never_exceed_own_hard_limit() {
        let lim = rlimit(PosixRlimitType::RlimitNofile, u64::MAX, u64::MAX).unwrap();
        let own = own_hard_limit(PosixRlimitType::RlimitNofile).unwrap();
        assert_eq!(lim.hard(), own);
        assert!(lim.soft() <= lim.hard());
    }

    #[test]
    fn rlimit_names_parse() {
        assert_eq!(
            parse_rlimit_type("nofile").unwrap(),
            PosixRlimitType::RlimitNofile
        );
        assert!(parse_rlimit_type("bogus").is_err());
    }
}
