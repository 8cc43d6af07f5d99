//! What a container shares with the host or with other containers, and what
//! it may reach: its pid, ipc, uts and cgroup namespaces (`--pid`, `--ipc`,
//! `--uts`, `--cgroupns`), devices (`--device`, `--device-cgroup-rule`, the
//! block I/O limits), kernel settings (`--sysctl`), extra groups
//! (`--group-add`), `--oom-score-adj` and the cgroup parent.

use std::collections::BTreeMap;
use std::os::unix::fs::{FileTypeExt, MetadataExt};
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use crate::error::{Error, Result};

/// How one namespace is set up.
#[derive(Debug, Clone, Default, Serialize, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "snake_case")]
pub enum NamespaceMode {
    /// A namespace of its own (Podman's `private`; `shareable` for ipc).
    #[default]
    Private,
    /// The host's.
    Host,
    /// Another container's (its ID once created).
    Container(String),
    /// The namespace at this path (`ns:PATH`).
    Path(PathBuf),
    /// ipc only: a namespace of its own and no /dev/shm.
    None,
}

impl NamespaceMode {
    /// Parses `--pid`, `--ipc`, `--uts` or `--cgroupns` (`flag` names it).
    pub fn parse(flag: &str, text: &str) -> Result<NamespaceMode> {
        let bad = || {
            let allowed = match flag {
                "ipc" => "container:ID, host, none, ns:PATH, private or shareable",
                _ => "container:ID, host, ns:PATH or private",
            };
            Error::InvalidArgument(format!("invalid --{flag} {text:?}: use {allowed}"))
        };
        Ok(match text {
            "" | "private" => NamespaceMode::Private,
            "shareable" if flag == "ipc" => NamespaceMode::Private,
            "none" if flag == "ipc" => NamespaceMode::None,
            "host" => NamespaceMode::Host,
            _ => match text.split_once(':') {
                Some(("container", id)) if !id.is_empty() => NamespaceMode::Container(id.into()),
                Some(("ns", path)) if path.starts_with('/') => {
                    NamespaceMode::Path(PathBuf::from(path))
                }
                _ => return Err(bad()),
            },
        })
    }

    /// Podman's inspect spelling (`private`, `host`, `container:ID`, `ns:PATH`).
    pub fn display(&self, default: &str) -> String {
        match self {
            NamespaceMode::Private => default.to_string(),
            NamespaceMode::Host => "host".into(),
            NamespaceMode::Container(id) => format!("container:{id}"),
            NamespaceMode::Path(p) => format!("ns:{}", p.display()),
            NamespaceMode::None => "none".into(),
        }
    }
}

/// A host device given to the container (`--device HOST[:CTR[:PERMS]]`).
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
pub struct DeviceSpec {
    pub host_path: PathBuf,
    pub container_path: String,
    /// Some of `r`, `w`, `m`.
    pub permissions: String,
}

impl DeviceSpec {
    pub fn parse(text: &str) -> Result<DeviceSpec> {
        let bad = |why: &str| Error::InvalidArgument(format!("invalid --device {text:?}: {why}"));
        let parts: Vec<&str> = text.split(':').collect();
        let perms_ok = |p: &str| !p.is_empty() && p.chars().all(|c| "rwm".contains(c));
        let (host, ctr, perms) = match parts.as_slice() {
            [h] => (*h, *h, "rwm"),
            [h, p] if perms_ok(p) => (*h, *h, *p),
            [h, c] => (*h, *c, "rwm"),
            [h, c, p] => (*h, *c, *p),
            _ => return Err(bad("expected HOST[:CONTAINER[:PERMISSIONS]]")),
        };
        if !host.starts_with('/') || !ctr.starts_with('/') {
            return Err(bad("device paths must be absolute"));
        }
        if !perms_ok(perms) {
            return Err(bad("permissions are some of r, w and m"));
        }
        Ok(DeviceSpec {
            host_path: PathBuf::from(host),
            container_path: ctr.to_string(),
            permissions: perms.to_string(),
        })
    }
}

/// A device node as the runtime spec describes it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DeviceNode {
    pub path: String,
    /// `c` or `b`.
    pub kind: char,
    pub major: i64,
    pub minor: i64,
    pub mode: u32,
    pub uid: u32,
    pub gid: u32,
}

/// The device nodes behind a host path: the device itself, or every device
/// below a directory (as `--device /dev/snd` gives).
pub fn device_nodes(host: &Path, container: &str) -> Result<Vec<DeviceNode>> {
    let meta = std::fs::metadata(host).map_err(|e| {
        Error::InvalidArgument(format!("stat {}: {}", host.display(), io_reason(&e)))
    })?;
    let ft = meta.file_type();
    if ft.is_dir() {
        let mut out = Vec::new();
        let mut entries: Vec<_> = std::fs::read_dir(host)
            .map_err(|e| Error::InvalidArgument(format!("reading {}: {e}", host.display())))?
            .flatten()
            .collect();
        entries.sort_by_key(|e| e.file_name());
        for entry in entries {
            let name = entry.file_name().to_string_lossy().into_owned();
            let sub = format!("{}/{name}", container.trim_end_matches('/'));
            let Ok(ft) = entry.file_type() else { continue };
            if ft.is_symlink() {
                continue;
            }
            if ft.is_dir() || ft.is_char_device() || ft.is_block_device() {
                out.extend(device_nodes(&entry.path(), &sub)?);
            }
        }
        return Ok(out);
    }
    let kind = if ft.is_char_device() {
        'c'
    } else if ft.is_block_device() {
        'b'
    } else {
        return Err(Error::InvalidArgument(format!(
            "{} is not a device",
            host.display()
        )));
    };
    let rdev = meta.rdev();
    Ok(vec![DeviceNode {
        path: container.to_string(),
        kind,
        major: nix::sys::stat::major(rdev) as i64,
        minor: nix::sys::stat::minor(rdev) as i64,
        mode: meta.mode() & 0o7777,
        uid: meta.uid(),
        gid: meta.gid(),
    }])
}

/// An I/O error as Go prints it (`no such file or directory`).
fn io_reason(e: &std::io::Error) -> String {
    match e.kind() {
        std::io::ErrorKind::NotFound => "no such file or directory".into(),
        std::io::ErrorKind::PermissionDenied => "permission denied".into(),
        _ => e.to_string(),
    }
}

/// One `--device-cgroup-rule 'TYPE MAJOR:MINOR PERMS'`.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
pub struct CgroupRule {
    /// `a`, `c` or `b`.
    pub kind: String,
    /// `None` is `*`.
    pub major: Option<i64>,
    pub minor: Option<i64>,
    pub access: String,
}

impl CgroupRule {
    pub fn parse(text: &str) -> Result<CgroupRule> {
        let bad = || {
            Error::InvalidArgument(format!(
                "invalid device cgroup rule {text:?}: expected 'TYPE MAJOR:MINOR PERMISSIONS' such as 'c 1:3 rwm'"
            ))
        };
        let parts: Vec<&str> = text.split_whitespace().collect();
        let [kind, numbers, access] = parts.as_slice() else {
            return Err(bad());
        };
        if !matches!(*kind, "a" | "b" | "c") || !access.chars().all(|c| "rwm".contains(c)) {
            return Err(bad());
        }
        let (major, minor) = numbers.split_once(':').ok_or_else(bad)?;
        let num = |n: &str| -> Result<Option<i64>> {
            if n == "*" {
                Ok(None)
            } else {
                n.parse().map(Some).map_err(|_| bad())
            }
        };
        Ok(CgroupRule {
            kind: kind.to_string(),
            major: num(major)?,
            minor: num(minor)?,
            access: access.to_string(),
        })
    }
}

/// A block I/O throttle (`--device-read-bps /dev/sda:1mb`, `…-iops /dev/sda:100`).
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
pub struct BlkioRate {
    pub path: PathBuf,
    pub rate: u64,
}

impl BlkioRate {
    /// `bytes`: the rate is a size (bps) rather than a count (iops).
    pub fn parse(flag: &str, text: &str, bytes: bool) -> Result<BlkioRate> {
        let bad = |why: &str| Error::InvalidArgument(format!("invalid --{flag} {text:?}: {why}"));
        let (path, rate) = text
            .rsplit_once(':')
            .ok_or_else(|| bad("expected DEVICE:RATE"))?;
        if !path.starts_with('/') {
            return Err(bad("the device path must be absolute"));
        }
        let rate = if bytes {
            super::options::parse_size(rate).map_err(|_| bad("the rate is a size such as 1mb"))?
        } else {
            rate.parse().map_err(|_| bad("the rate is a number"))?
        };
        Ok(BlkioRate {
            path: PathBuf::from(path),
            rate,
        })
    }

    /// The device's (major, minor).
    pub fn device(&self) -> Result<(i64, i64)> {
        let node = device_nodes(&self.path, &self.path.to_string_lossy())?;
        match node.as_slice() {
            [n] if n.kind == 'b' => Ok((n.major, n.minor)),
            _ => Err(Error::InvalidArgument(format!(
                "{} is not a block device",
                self.path.display()
            ))),
        }
    }
}

/// Block I/O limits.
#[derive(Debug, Clone, Default, Serialize, Deserialize, PartialEq, Eq)]
#[serde(default)]
pub struct BlkioLimits {
    pub read_bps: Vec<BlkioRate>,
    pub write_bps: Vec<BlkioRate>,
    pub read_iops: Vec<BlkioRate>,
    pub write_iops: Vec<BlkioRate>,
    /// `--blkio-weight` (10 to 1000).
    pub weight: Option<u16>,
    /// `--blkio-weight-device DEVICE:WEIGHT` (the rate is the weight).
    pub weight_device: Vec<BlkioRate>,
}

/// Whether the host's cgroups take a block I/O weight (the weight file of
/// the blkio controller, or of the unified hierarchy's io controller).
pub fn blkio_weight_supported() -> bool {
    [
        "/sys/fs/cgroup/blkio/blkio.weight",
        "/sys/fs/cgroup/blkio/blkio.bfq.weight",
        "/sys/fs/cgroup/io.weight",
        "/sys/fs/cgroup/io.bfq.weight",
    ]
    .iter()
    .any(|p| Path::new(p).exists())
}

impl BlkioLimits {
    /// Parses `--blkio-weight` (its range is checked where the host's
    /// cgroups take a weight at all: see [`BlkioLimits::check_weight`]).
    pub fn parse_weight(text: &str) -> Result<u16> {
        text.parse::<u16>().map_err(|_| {
            Error::InvalidArgument(format!(
                "invalid --blkio-weight {text:?}: the weight is a number from 10 to 1000"
            ))
        })
    }

    /// Drops a weight the host can't apply, with Podman's warning, and
    /// refuses one out of the kernel's range.
    pub(crate) fn check_weight(&mut self) -> Result<()> {
        let Some(w) = self.weight else {
            return Ok(());
        };
        if !blkio_weight_supported() {
            crate::diagnostics::warn(
                "Your kernel does not support Block I/O weight or the cgroup is not mounted. Weight discarded.",
            );
            self.weight = None;
        } else if !(10..=1000).contains(&w) {
            return Err(Error::InvalidArgument(format!(
                "invalid --blkio-weight {w}: the weight is a number from 10 to 1000"
            )));
        }
        Ok(())
    }

    /// Parses `--blkio-weight-device DEVICE:WEIGHT`.
    pub fn parse_weight_device(text: &str) -> Result<BlkioRate> {
        let r = BlkioRate::parse("blkio-weight-device", text, false)?;
        if !(10..=1000).contains(&r.rate) {
            return Err(Error::InvalidArgument(format!(
                "invalid --blkio-weight-device {text:?}: the weight is a number from 10 to 1000"
            )));
        }
        Ok(r)
    }

    pub fn is_empty(&self) -> bool {
        self.weight.is_none()
            && self.weight_device.is_empty()
            && self.read_bps.is_empty()
            && self.write_bps.is_empty()
            && self.read_iops.is_empty()
            && self.write_iops.is_empty()
    }
}

/// Everything above, as requested and as recorded in the configuration.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
#[serde(default)]
pub struct IsolationConfig {
    pub pid: NamespaceMode,
    pub ipc: NamespaceMode,
    pub uts: NamespaceMode,
    pub cgroupns: NamespaceMode,
    pub devices: Vec<DeviceSpec>,
    pub device_cgroup_rules: Vec<CgroupRule>,
    pub blkio: BlkioLimits,
    pub sysctls: BTreeMap<String, String>,
    /// `--group-add`: group names or IDs.
    pub group_add: Vec<String>,
    pub oom_score_adj: Option<i32>,
    /// With `--read-only`: tmpfs on /run, /tmp and /var/tmp (`--read-only-tmpfs`).
    pub read_only_tmpfs: bool,
    /// `--cgroup-parent`.
    pub cgroup_parent: Option<String>,
    /// `--cgroupns private` was asked for (on cgroup v1 the default is the host's).
    pub cgroupns_explicit: bool,
    /// `--cgroups`: `enabled` or `no-conmon` (rpod-monitor never joins the
    /// container's cgroup, so both mean the same here).
    pub cgroups: String,
}

impl Default for IsolationConfig {
    fn default() -> Self {
        IsolationConfig {
            pid: NamespaceMode::Private,
            ipc: NamespaceMode::Private,
            uts: NamespaceMode::Private,
            cgroupns: NamespaceMode::Private,
            devices: Vec::new(),
            device_cgroup_rules: Vec::new(),
            blkio: BlkioLimits::default(),
            sysctls: BTreeMap::new(),
            group_add: Vec::new(),
            oom_score_adj: None,
            read_only_tmpfs: true,
            cgroup_parent: None,
            cgroupns_explicit: false,
            cgroups: "enabled".into(),
        }
    }
}

/// sysctls that belong to the ipc namespace.
const IPC_SYSCTLS: &[&str] = &[
    "kernel.msgmax",
    "kernel.msgmnb",
    "kernel.msgmni",
    "kernel.sem",
    "kernel.shmall",
    "kernel.shmmax",
    "kernel.shmmni",
    "kernel.shm_rmid_forced",
];

/// Parses one `--sysctl KEY=VALUE`.
pub fn parse_sysctl(text: &str) -> Result<(String, String)> {
    match text.split_once('=') {
        Some((k, v)) if !k.is_empty() => Ok((k.trim().to_string(), v.to_string())),
        _ => Err(Error::InvalidArgument(format!(
            "{text} is invalid, sysctl values must be in the form of KEY=VALUE"
        ))),
    }
}

impl IsolationConfig {
    /// Checks the settings against each other and the network mode, as
    /// Podman does.
    pub fn validate(&self, host_network: bool) -> Result<()> {
        for (key, value) in &self.sysctls {
            let ipc = IPC_SYSCTLS.contains(&key.as_str()) || key.starts_with("fs.mqueue.");
            let uts = matches!(key.as_str(), "kernel.domainname" | "kernel.hostname");
            let net = key.starts_with("net.");
            if !(ipc || uts || net) {
                return Err(Error::InvalidArgument(format!(
                    "sysctl '{key}' is not allowed"
                )));
            }
            let shared = |ns: &str| {
                Error::InvalidArgument(format!(
                    "sysctl {key}={value} can't be set since {ns} Namespace set to host: invalid argument"
                ))
            };
            if net && host_network {
                return Err(shared("Network"));
            }
            if ipc && self.ipc == NamespaceMode::Host {
                return Err(shared("IPC"));
            }
            if uts && self.uts == NamespaceMode::Host {
                return Err(shared("UTS"));
            }
        }
        if self.group_add.iter().any(|g| g == "keep-groups") {
            if self.group_add.len() > 1 {
                return Err(Error::InvalidArgument(
                    "the '--group-add keep-groups' option is not allowed with any other --group-add options".into(),
                ));
            }
            return Err(Error::Unsupported(
                "--group-add keep-groups needs a rootless container run by crun, which this host cannot run".into(),
            ));
        }
        if let Some(adj) = self.oom_score_adj {
            if !(-1000..=1000).contains(&adj) {
                return Err(Error::InvalidArgument(format!(
                    "invalid --oom-score-adj {adj}: it must be between -1000 and 1000"
                )));
            }
        }
        for d in &self.devices {
            device_nodes(&d.host_path, &d.container_path)?;
        }
        for b in self
            .blkio
            .read_bps
            .iter()
            .chain(&self.blkio.write_bps)
            .chain(&self.blkio.read_iops)
            .chain(&self.blkio.write_iops)
        {
            b.device()?;
        }
        match self.cgroups.as_str() {
            "enabled" | "no-conmon" => {}
            "disabled" => {
                return Err(Error::Unsupported(
                    "--cgroups=disabled needs an OCI runtime that can run without cgroups (crun), which this host cannot run".into(),
                ))
            }
            "split" => {
                return Err(Error::Unsupported(
                    "--cgroups=split needs the systemd cgroup manager, and systemd is not running on this host".into(),
                ))
            }
            other => {
                return Err(Error::InvalidArgument(format!(
                    "invalid --cgroups {other:?}: use enabled, disabled, no-conmon or split"
                )))
            }
        }
        if let Some(parent) = &self.cgroup_parent {
            if parent.contains("..") || parent.ends_with(".slice") {
                return Err(Error::InvalidArgument(format!(
                    "invalid --cgroup-parent {parent:?}: a cgroupfs path is needed (systemd slices need the systemd cgroup manager, which this host does not run)"
                )));
            }
        }
        Ok(())
    }

    /// The container IDs this configuration joins namespaces of.
    pub fn joined_containers(&self) -> Vec<&str> {
        [&self.pid, &self.ipc, &self.uts, &self.cgroupns]
            .into_iter()
            .filter_map(|m| match m {
                NamespaceMode::Container(id) => Some(id.as_str()),
                _ => None,
            })
            .collect()
    }
}

/// Group IDs for `--group-add`: numbers as they are, names from the
/// container's group file (`groups`, the text of `/etc/group`).
pub fn resolve_groups(names: &[String], groups: &str) -> Result<Vec<u32>> {
    names
        .iter()
        .map(|g| {
            if let Ok(n) = g.parse::<u32>() {
                return Ok(n);
            }
            crate::parse::passwd::parse_group(groups)
                .into_iter()
                .find(|e| e.name == *g)
                .map(|e| e.gid)
                .ok_or_else(|| {
                    Error::InvalidArgument(format!(
                        "unable to find group {g}: no matching entries in group file"
                    ))
                })
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn namespace_modes() {
        assert_eq!(
            NamespaceMode::parse("pid", "host").unwrap(),
            NamespaceMode::Host
        );
        assert_eq!(
            NamespaceMode::parse("ipc", "shareable").unwrap(),
            NamespaceMode::Private
        );
        assert_eq!(
            NamespaceMode::parse("ipc", "none").unwrap(),
            NamespaceMode::None
        );
        assert!(NamespaceMode::parse("pid", "none").is_err());
        assert_eq!(
            NamespaceMode::parse("uts", "container:abc").unwrap(),
            NamespaceMode::Container("abc".into())
        );
        assert_eq!(
            NamespaceMode::parse("cgroupns", "ns:/proc/1/ns/cgroup").unwrap(),
            NamespaceMode::Path("/proc/1/ns/cgroup".into())
        );
        assert!(NamespaceMode::parse("pid", "ns:relative").is_err());
        assert!(NamespaceMode::parse("pid", "bogus").is_err());
    }

    #[test]
    fn devices_and_rules() {
        let d = DeviceSpec::parse("/dev/null:/dev/mynull:r").unwrap();
        assert_eq!(d.container_path, "/dev/mynull");
        assert_eq!(d.permissions, "r");
        let d = DeviceSpec::parse("/dev/fuse:rw").unwrap();
        assert_eq!(
            (d.container_path.as_str(), d.permissions.as_str()),
            ("/dev/fuse", "rw")
        );
        assert!(DeviceSpec::parse("dev/null").is_err());
        assert!(DeviceSpec::parse("/dev/null:/x:rwx").is_err());
        let nodes = device_nodes(Path::new("/dev/null"), "/dev/n").unwrap();
        assert_eq!((nodes[0].kind, nodes[0].major, nodes[0].minor), ('c', 1, 3));
        assert!(device_nodes(Path::new("/nonexistent"), "/x").is_err());
        assert!(device_nodes(Path::new("/etc/hostname"), "/x").is_err());
        let r = CgroupRule::parse("c 1:* rwm").unwrap();
        assert_eq!((r.major, r.minor), (Some(1), None));
        assert!(CgroupRule::parse("x 1:3 r").is_err());
        assert!(CgroupRule::parse("c 1:3").is_err());
        let b = BlkioRate::parse("device-read-bps", "/dev/sda:1mb", true).unwrap();
        assert_eq!(b.rate, 1 << 20);
        assert!(BlkioRate::parse("device-read-iops", "/dev/sda:x", false).is_err());
    }

    #[test]
    fn sysctls_as_podman_allows_them() {
        let mut c = IsolationConfig::default();
        c.sysctls.insert("kernel.msgmax".into(), "4096".into());
        c.sysctls.insert("net.ipv4.ip_forward".into(), "1".into());
        assert!(c.validate(false).is_ok());
        let e = c.validate(true).unwrap_err().to_string();
        assert!(e.contains("Network Namespace set to host"), "{e}");
        c.sysctls.insert("vm.swappiness".into(), "1".into());
        assert_eq!(
            c.validate(false).unwrap_err().to_string(),
            "sysctl 'vm.swappiness' is not allowed"
        );
        assert!(parse_sysctl("bogus").is_err());
        assert_eq!(
            parse_sysctl("net.ipv4.ping_group_range=0 0").unwrap().1,
            "0 0"
        );
    }

    #[test]
    fn groups() {
        let groups = "root:x:0:\nvideo:x:44:\nshort:x\n";
        assert_eq!(
            resolve_groups(&["video".into(), "27".into()], groups).unwrap(),
            vec![44, 27]
        );
        assert!(resolve_groups(&["short".into()], groups).is_err());
        let mut c = IsolationConfig {
            group_add: vec!["keep-groups".into(), "1".into()],
            ..IsolationConfig::default()
        };
        assert!(c
            .validate(false)
            .unwrap_err()
            .to_string()
            .contains("not allowed with any other"));
        c.group_add = vec!["keep-groups".into()];
        assert!(c.validate(false).is_err());
        c.group_add.clear();
        c.oom_score_adj = Some(2000);
        assert!(c.validate(false).is_err());
    }
}

/// The runtime-spec parts of [`IsolationConfig`].
pub(crate) mod spec_parts {
    use super::*;
    use crate::container::{Container, ContainerStatus};
    use oci_spec::runtime::{
        LinuxBlockIo, LinuxBlockIoBuilder, LinuxDevice, LinuxDeviceBuilder, LinuxDeviceCgroup,
        LinuxDeviceCgroupBuilder, LinuxDeviceType, LinuxThrottleDevice, LinuxThrottleDeviceBuilder,
        LinuxWeightDeviceBuilder,
    };
    use ocirt::spec::NamespaceType as T;

    fn spec_err(e: oci_spec::OciSpecError) -> Error {
        Error::Runtime(ocirt::Error::Spec(e))
    }

    fn kind(c: char) -> LinuxDeviceType {
        match c {
            'b' => LinuxDeviceType::B,
            'c' => LinuxDeviceType::C,
            _ => LinuxDeviceType::A,
        }
    }

    /// Directories of /dev that hold no devices a privileged container gets.
    const SKIPPED_DEV_DIRS: &[&str] =
        &["pts", "shm", "mqueue", "fd", ".lxc", ".lxd-mounts", ".udev"];

    /// Every device node of the host, for `--privileged`.
    pub fn host_devices() -> Vec<DeviceNode> {
        let Ok(rd) = std::fs::read_dir("/dev") else {
            return Vec::new();
        };
        let mut out = Vec::new();
        let mut entries: Vec<_> = rd.flatten().collect();
        entries.sort_by_key(|e| e.file_name());
        for entry in entries {
            let name = entry.file_name().to_string_lossy().into_owned();
            if SKIPPED_DEV_DIRS.contains(&name.as_str()) || name == "console" {
                continue;
            }
            let Ok(ft) = entry.file_type() else { continue };
            if ft.is_symlink() {
                continue;
            }
            if let Ok(nodes) = device_nodes(&entry.path(), &format!("/dev/{name}")) {
                out.extend(nodes);
            }
        }
        out
    }

    impl Container<'_> {
        /// The device nodes to create and the cgroup rules that allow them,
        /// after the deny-all (or, privileged, allow-all) rule.
        pub(crate) fn device_spec(&self) -> Result<(Vec<LinuxDevice>, Vec<LinuxDeviceCgroup>)> {
            let iso = &self.config.isolation;
            let mut nodes = Vec::new();
            let mut rules = Vec::new();
            if self.config.privileged {
                nodes.extend(host_devices().into_iter().map(|n| (n, "rwm".to_string())));
            }
            for d in &iso.devices {
                for n in device_nodes(&d.host_path, &d.container_path)? {
                    nodes.retain(|(m, _): &(DeviceNode, String)| m.path != n.path);
                    nodes.push((n, d.permissions.clone()));
                }
            }
            let mut devices = Vec::new();
            for (n, perms) in &nodes {
                devices.push(
                    LinuxDeviceBuilder::default()
                        .path(PathBuf::from(&n.path))
                        .typ(kind(n.kind))
                        .major(n.major)
                        .minor(n.minor)
                        .file_mode(n.mode)
                        .uid(n.uid)
                        .gid(n.gid)
                        .build()
                        .map_err(spec_err)?,
                );
                if !self.config.privileged {
                    rules.push(
                        LinuxDeviceCgroupBuilder::default()
                            .allow(true)
                            .typ(kind(n.kind))
                            .major(n.major)
                            .minor(n.minor)
                            .access(perms.clone())
                            .build()
                            .map_err(spec_err)?,
                    );
                }
            }
            for r in &iso.device_cgroup_rules {
                let mut b = LinuxDeviceCgroupBuilder::default()
                    .allow(true)
                    .typ(kind(r.kind.chars().next().unwrap_or('a')))
                    .access(r.access.clone());
                if let Some(m) = r.major {
                    b = b.major(m);
                }
                if let Some(m) = r.minor {
                    b = b.minor(m);
                }
                rules.push(b.build().map_err(spec_err)?);
            }
            Ok((devices, rules))
        }

        /// The block I/O throttles, if any.
        pub(crate) fn blkio_spec(&self) -> Result<Option<LinuxBlockIo>> {
            blkio_spec_of(&self.config.isolation.blkio)
        }
    }

    /// `b` as the OCI spec's block I/O section, if it limits anything.
    pub(crate) fn blkio_spec_of(b: &BlkioLimits) -> Result<Option<LinuxBlockIo>> {
        {
            if b.is_empty() {
                return Ok(None);
            }
            let list = |rates: &[BlkioRate]| -> Result<Vec<LinuxThrottleDevice>> {
                rates
                    .iter()
                    .map(|r| {
                        let (major, minor) = r.device()?;
                        LinuxThrottleDeviceBuilder::default()
                            .major(major)
                            .minor(minor)
                            .rate(r.rate)
                            .build()
                            .map_err(spec_err)
                    })
                    .collect()
            };
            let weights = b
                .weight_device
                .iter()
                .map(|r| {
                    let (major, minor) = r.device()?;
                    LinuxWeightDeviceBuilder::default()
                        .major(major)
                        .minor(minor)
                        .weight(r.rate as u16)
                        .build()
                        .map_err(spec_err)
                })
                .collect::<Result<Vec<_>>>()?;
            let mut builder = LinuxBlockIoBuilder::default().weight_device(weights);
            if let Some(w) = b.weight {
                builder = builder.weight(w);
            }
            builder
                .throttle_read_bps_device(list(&b.read_bps)?)
                .throttle_write_bps_device(list(&b.write_bps)?)
                .throttle_read_iops_device(list(&b.read_iops)?)
                .throttle_write_iops_device(list(&b.write_iops)?)
                .build()
                .map(Some)
                .map_err(spec_err)
        }
    }

    impl Container<'_> {
        /// The pid of a running container whose namespace is joined.
        fn joined_pid(&self, id: &str, flag: &str) -> Result<i32> {
            let other = self.rt.container(id)?;
            if !matches!(
                other.status(),
                ContainerStatus::Running | ContainerStatus::Paused | ContainerStatus::Created
            ) || other.state().pid <= 0
            {
                return Err(Error::InvalidArgument(format!(
                    "--{flag} container:{}: that container is not running",
                    other.name()
                )));
            }
            Ok(other.state().pid)
        }

        /// Namespaces joined by path, the ones shared with the host, and
        /// whether the container gets a cgroup namespace of its own.
        #[allow(clippy::type_complexity)]
        pub(crate) fn isolation_namespaces(
            &self,
        ) -> Result<(Vec<(T, PathBuf)>, Vec<T>, Option<bool>)> {
            let iso = &self.config.isolation;
            let mut joined = Vec::new();
            let mut host = Vec::new();
            for (mode, typ, flag, ns) in [
                (&iso.pid, T::Pid, "pid", "pid"),
                (&iso.ipc, T::Ipc, "ipc", "ipc"),
                (&iso.uts, T::Uts, "uts", "uts"),
                (&iso.cgroupns, T::Cgroup, "cgroupns", "cgroup"),
            ] {
                match mode {
                    NamespaceMode::Private | NamespaceMode::None => {}
                    NamespaceMode::Host => host.push(typ),
                    NamespaceMode::Path(p) => joined.push((typ, p.clone())),
                    NamespaceMode::Container(id) => {
                        let pid = self.joined_pid(id, flag)?;
                        joined.push((typ, PathBuf::from(format!("/proc/{pid}/ns/{ns}"))));
                    }
                }
            }
            let private_cgroup = match iso.cgroupns {
                NamespaceMode::Private if self.config.isolation.cgroupns_explicit => Some(true),
                NamespaceMode::Host => Some(false),
                _ => None,
            };
            Ok((joined, host, private_cgroup))
        }

        /// The source of /dev/shm: `None` keeps a tmpfs of the container's own made by the
        /// runtime, `Some(None)` mounts nothing (`--ipc none`), `Some(Some(path))` binds a
        /// shared one: the host's, or the host-side shm of the container whose IPC namespace
        /// this one has (its own, another's with `--ipc container:X`, or its pod's infra
        /// container's), as Podman shares it.
        pub(crate) fn shm_source(&self) -> Result<Option<Option<PathBuf>>> {
            Ok(match &self.config.isolation.ipc {
                NamespaceMode::None => Some(None),
                NamespaceMode::Host => Some(Some(PathBuf::from("/dev/shm"))),
                NamespaceMode::Container(id) => {
                    self.joined_pid(id, "ipc")?;
                    let other = self.rt.container(id)?;
                    match (&other.config.isolation.ipc, other.host_shm()) {
                        (NamespaceMode::Host, _) => Some(Some(PathBuf::from("/dev/shm"))),
                        (_, Some(shm)) => Some(Some(shm)),
                        // One with no shm of its own (`--ipc none`): this one's own tmpfs.
                        (_, None) => None,
                    }
                }
                NamespaceMode::Path(_) => None,
                _ => match self.pod_ipc_owner()? {
                    Some(infra) => infra.host_shm().map(Some),
                    None => self.host_shm().map(Some),
                },
            })
        }

        /// The infra container whose IPC namespace this pod container joins.
        fn pod_ipc_owner(&self) -> Result<Option<Container<'_>>> {
            let Some(pod_id) = &self.config.pod else {
                return Ok(None);
            };
            if self.config.is_infra {
                return Ok(None);
            }
            let pod = self.rt.pod(pod_id)?;
            match (&pod.infra_id, pod.shares("ipc")) {
                (Some(infra), true) => Ok(Some(self.rt.container(infra)?)),
                _ => Ok(None),
            }
        }

        /// Where the container's `/dev/shm` tmpfs is mounted on the host, when it is.
        pub(crate) fn host_shm(&self) -> Option<PathBuf> {
            let dir = self.rundir().join("shm");
            crate::fsutil::is_mount_point(&dir).then_some(dir)
        }

        /// Mounts the host-side `/dev/shm` of a container with an IPC namespace of its own
        /// (`--shm-size`, mode 1777, no devices, setuid or exec), unless it is mounted.
        pub(crate) fn mount_host_shm(&self) -> Result<()> {
            let own = matches!(self.config.isolation.ipc, NamespaceMode::Private)
                && (self.config.is_infra || self.pod_ipc_owner()?.is_none());
            if !own || self.host_shm().is_some() {
                return Ok(());
            }
            let dir = self.rundir().join("shm");
            crate::error::IoContext::ctx(std::fs::create_dir_all(&dir), || {
                format!("creating {}", dir.display())
            })?;
            let data = format!("mode=1777,size={}", self.config.shm_size.max(4096));
            nix::mount::mount(
                Some("shm"),
                &dir,
                Some("tmpfs"),
                nix::mount::MsFlags::MS_NOSUID
                    | nix::mount::MsFlags::MS_NODEV
                    | nix::mount::MsFlags::MS_NOEXEC,
                Some(data.as_str()),
            )
            .map_err(|e| Error::Io {
                context: format!("mounting the shm of container {}", self.name()),
                source: e.into(),
            })
        }

        /// Unmounts the host-side `/dev/shm` (nothing when it is not mounted).
        pub(crate) fn unmount_host_shm(&self) {
            if let Some(dir) = self.host_shm() {
                let _ = nix::mount::umount2(&dir, nix::mount::MntFlags::MNT_DETACH);
            }
        }
    }
}
