//! What a user asks for when creating a container, and the parsers for the
//! flag values (sizes, ulimits, volumes, tmpfs, env files).

use std::collections::BTreeMap;
use std::path::PathBuf;

use serde::{Deserialize, Serialize};

pub use super::mounts::{MountKind, MountSpec};
use crate::error::{Error, Result};

/// `--image-volume`: how the image's VOLUMEs are given to a container.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum ImageVolumeMode {
    /// Anonymous volumes (Podman's default, `bind`).
    #[default]
    Bind,
    /// A tmpfs on each.
    Tmpfs,
    /// Nothing: the image's directories as they are.
    Ignore,
}

impl std::str::FromStr for ImageVolumeMode {
    type Err = Error;
    fn from_str(s: &str) -> Result<Self> {
        match s {
            "bind" | "anonymous" => Ok(ImageVolumeMode::Bind),
            "tmpfs" => Ok(ImageVolumeMode::Tmpfs),
            "ignore" => Ok(ImageVolumeMode::Ignore),
            other => Err(Error::InvalidArgument(format!(
                "invalid image volume type {other:?}: use bind, tmpfs or ignore"
            ))),
        }
    }
}

/// The user's request for a new container, before it is resolved against
/// the image and the engine's defaults.
#[derive(Debug, Clone, Default)]
pub struct CreateOptions {
    pub name: Option<String>,
    /// Image reference; exclusive with `rootfs`.
    pub image: Option<String>,
    /// `--pull`: when to pull the image before creating the container.
    pub pull: crate::images::PullPolicy,
    /// Registry settings of that pull (`--tls-verify`, `--authfile`, `--creds`).
    pub registry: crate::images::RegistryOptions,
    /// A directory used as the root file system instead of an image.
    pub rootfs: Option<PathBuf>,
    /// Arguments after the image: they replace the image's Cmd.
    pub command: Vec<String>,
    /// `--entrypoint`: `Some(vec![])` clears the image's entrypoint.
    pub entrypoint: Option<Vec<String>>,
    pub env: Vec<String>,
    /// `--unsetenv`: variables left out of the image's and the defaults.
    pub unset_env: Vec<String>,
    /// `--unsetenv-all`: none of the image's or the defaults' variables.
    pub unset_env_all: bool,
    /// `--umask`: the process's umask (Podman's default is 0022).
    pub umask: Option<u32>,
    /// `--replace`: remove a container of the same name first.
    pub replace: bool,
    /// `--sdnotify`: what the container and its monitor do with the
    /// caller's `NOTIFY_SOCKET`.
    pub sdnotify: crate::systemd::SdNotifyMode,
    /// The command line that created the container (inspect's
    /// `CreateCommand`; `generate systemd --new` reruns it).
    pub create_command: Option<crate::systemd::CreateCommand>,
    /// `--pidfile`.
    pub pidfile: Option<PathBuf>,
    /// `--conmon-pidfile`: where the monitor's pid is written at init.
    pub conmon_pidfile: Option<PathBuf>,
    /// `--env-merge KEY=VALUE`: `$VAR` and `${VAR}` expanded from the
    /// image's and the defaults' environment.
    pub env_merge: Vec<String>,
    /// `--no-hosts`.
    pub no_hosts: bool,
    /// `--tz`: `local` or a zone name (`Europe/Berlin`).
    pub timezone: Option<String>,
    /// `--timeout`: seconds before the container is killed (0: none).
    pub timeout: Option<u64>,
    /// `--passwd` (Podman's default: true).
    pub passwd: bool,
    /// `--init-path`.
    pub init_path: Option<PathBuf>,
    /// `--personality`: `LINUX` or `LINUX32`.
    pub personality: Option<String>,
    pub workdir: Option<String>,
    pub user: Option<String>,
    pub hostname: Option<String>,
    pub labels: BTreeMap<String, String>,
    pub annotations: BTreeMap<String, String>,
    pub stop_signal: Option<String>,
    pub stop_timeout: Option<u32>,
    pub read_only: bool,
    pub privileged: bool,
    pub cap_add: Vec<String>,
    pub cap_drop: Vec<String>,
    /// `--security-opt`, parsed.
    pub security_opts: Vec<super::security::SecurityOpt>,
    /// `--seccomp-policy`: `default` or `image`.
    pub seccomp_policy: Option<String>,
    /// Namespaces, devices, sysctls, groups (`--pid`, `--device`, `--sysctl`, …).
    pub isolation: super::isolation::IsolationConfig,
    /// `--ulimit`; `--ulimit host` is [`Ulimit::host`]'s list.
    pub ulimits: Vec<Ulimit>,
    pub resources: Resources,
    pub shm_size: Option<u64>,
    pub init: bool,
    pub mounts: Vec<MountSpec>,
    /// `--image-volume`: what the image's VOLUMEs become.
    pub image_volume: ImageVolumeMode,
    /// `--volumes-from CONTAINER[:ro|rw]`: that container's mounts too.
    pub volumes_from: Vec<String>,
    pub network: network::NetworkMode,
    /// `--network NAME,...`, `-p`, `--ip`, `--dns`...; names here override `network`.
    pub net: network::NetworkRequest,
    pub tty: bool,
    pub interactive: bool,
    /// Docker's StdinOnce (recorded; see `ContainerConfig::stdin_once`).
    pub stdin_once: bool,
    pub log_driver: Option<String>,
    pub log_max_size: Option<u64>,
    /// `--rm`: remove the container when it exits.
    pub auto_remove: bool,
    /// `--restart`.
    pub restart_policy: Option<super::policy::RestartPolicy>,
    /// `--requires`: names or IDs of containers to run first.
    pub requires: Vec<String>,
    pub health: HealthOptions,
    /// `--pod NAME` (or `new:NAME` to create it).
    pub pod: Option<String>,
    /// `--init-ctr always|once` (pods only).
    pub init_container: Option<super::policy::InitContainerType>,
    /// `--secret`: secrets given as files or environment variables.
    pub secrets: Vec<crate::secrets::SecretRequest>,
    /// `--userns`, `--uidmap`, `--gidmap`, `--subuidname`, `--subgidname`.
    pub userns: super::userns::UsernsOptions,
}

/// The `--health-*` flags; unset ones come from the image's HEALTHCHECK or
/// Docker's defaults.
#[derive(Debug, Clone, Default)]
pub struct HealthOptions {
    /// `--health-cmd` (a JSON array is the exec form).
    pub cmd: Option<String>,
    /// `--health-interval`; `disable` turns checks off.
    pub interval: Option<String>,
    pub timeout: Option<String>,
    pub retries: Option<u32>,
    pub start_period: Option<String>,
    pub on_failure: Option<String>,
    /// `--no-healthcheck`.
    pub disabled: bool,
}

/// Resource limits (the cgroup controllers' settings).
#[derive(Debug, Clone, Default, Serialize, Deserialize, PartialEq)]
#[serde(default)]
pub struct Resources {
    /// Memory limit in bytes.
    pub memory: Option<u64>,
    /// CPUs as a fraction (`--cpus 1.5`).
    pub cpus: Option<f64>,
    /// Maximum number of processes; -1 for unlimited.
    pub pids_limit: Option<i64>,
    /// `--cpu-shares`: the relative CPU weight.
    pub cpu_shares: Option<u64>,
    /// `--cpu-period` (microseconds).
    pub cpu_period: Option<u64>,
    /// `--cpu-quota` (microseconds per period).
    pub cpu_quota: Option<i64>,
    /// `--cpu-rt-period` (microseconds).
    pub cpu_rt_period: Option<u64>,
    /// `--cpu-rt-runtime` (microseconds).
    pub cpu_rt_runtime: Option<i64>,
    /// `--cpuset-cpus`: the CPUs allowed (`0-3,5`).
    pub cpuset_cpus: Option<String>,
    /// `--cpuset-mems`: the memory nodes allowed.
    pub cpuset_mems: Option<String>,
    /// `--memory-reservation` (bytes): the soft limit.
    pub memory_reservation: Option<u64>,
    /// `--memory-swap` (bytes of memory plus swap; -1 for unlimited).
    pub memory_swap: Option<i64>,
    /// `--memory-swappiness` (0 to 100).
    pub memory_swappiness: Option<u64>,
    /// `--oom-kill-disable`.
    pub oom_kill_disable: bool,
}

/// Whether the host's cgroups limit swap (v1's memsw files, or v2).
fn swap_limits_supported() -> bool {
    std::path::Path::new("/sys/fs/cgroup/memory/memory.memsw.limit_in_bytes").exists()
        || std::path::Path::new("/sys/fs/cgroup/cgroup.controllers").exists()
}

impl Resources {
    /// Podman's and Docker's default: with a memory limit and no swap
    /// limit, as much swap as memory (memory plus swap twice the limit),
    /// where the host limits swap at all.
    pub(crate) fn default_swap(&mut self) {
        if let (Some(m), None) = (self.memory, self.memory_swap) {
            if swap_limits_supported() {
                self.memory_swap = Some(m.saturating_mul(2) as i64);
            }
        }
    }

    /// Refuses combinations the kernel would refuse, in Podman's words.
    pub fn validate(&self) -> Result<()> {
        let bad = |m: &str| Err(Error::InvalidArgument(m.to_string()));
        if let Some(cpus) = self.cpus {
            if !(cpus > 0.0 && cpus.is_finite()) {
                return Err(Error::InvalidArgument(format!(
                    "invalid --cpus {cpus}: must be above 0"
                )));
            }
            if self.cpu_quota.is_some() {
                return bad("--cpu-quota and --cpus cannot be set together");
            }
            if self.cpu_period.is_some() {
                return bad("--cpu-period and --cpus cannot be set together");
            }
        }
        if let Some(swap) = self.memory_swap.filter(|s| *s != -1) {
            match self.memory {
                None => return bad(
                    "you should always set a memory limit when using a memoryswap limit, see usage",
                ),
                Some(m) if (swap as u64) < m => {
                    return bad(
                        "minimum memoryswap limit should be larger than memory limit, see usage",
                    )
                }
                _ => {}
            }
        }
        if let Some(s) = self.memory_swappiness.filter(|s| *s > 100) {
            return Err(Error::InvalidArgument(format!(
                "invalid value: {s}, valid memory swappiness range is 0-100"
            )));
        }
        if let (Some(m), Some(r)) = (self.memory, self.memory_reservation) {
            if r > m {
                return bad(
                    "minimum memory limit cannot be less than memory reservation limit, see usage",
                );
            }
        }
        Ok(())
    }

    /// Whether any memory setting is given.
    pub(crate) fn has_memory(&self) -> bool {
        self.memory.is_some()
            || self.memory_reservation.is_some()
            || self.memory_swap.is_some()
            || self.memory_swappiness.is_some()
            || self.oom_kill_disable
    }

    /// Whether any CPU setting is given.
    pub(crate) fn has_cpu(&self) -> bool {
        self.cpus.is_some()
            || self.cpu_shares.is_some()
            || self.cpu_period.is_some()
            || self.cpu_quota.is_some()
            || self.cpu_rt_period.is_some()
            || self.cpu_rt_runtime.is_some()
            || self.cpuset_cpus.is_some()
            || self.cpuset_mems.is_some()
    }
}

/// One `--ulimit name=soft[:hard]`.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
pub struct Ulimit {
    pub name: String,
    pub soft: u64,
    pub hard: u64,
}

impl Ulimit {
    /// `--ulimit host`: every limit of this process, as it is.
    pub fn host() -> Vec<Ulimit> {
        ocirt::spec::ALL_RLIMITS
            .iter()
            .filter_map(|typ| {
                let (soft, hard) = ocirt::spec::own_limit(*typ)?;
                Some(Ulimit {
                    name: typ
                        .to_string()
                        .to_ascii_lowercase()
                        .trim_start_matches("rlimit_")
                        .to_string(),
                    soft,
                    hard,
                })
            })
            .collect()
    }

    /// Parses `--ulimit` values: `host` or `name=soft[:hard]`.
    pub fn parse_flag(text: &str) -> Result<Vec<Self>> {
        if text == "host" {
            Ok(Self::host())
        } else {
            Ok(vec![Self::parse(text)?])
        }
    }

    /// Parses `nofile=1024:2048`, `nproc=100`, `core=-1` (unlimited).
    pub fn parse(text: &str) -> Result<Self> {
        let bad = |why: &str| Error::InvalidArgument(format!("invalid ulimit {text:?}: {why}"));
        let (name, values) = text
            .split_once('=')
            .ok_or_else(|| bad("expected name=soft[:hard]"))?;
        let num = |v: &str| -> Result<i64> {
            if v == "unlimited" {
                Ok(-1)
            } else {
                v.parse().map_err(|_| bad("limits must be numbers"))
            }
        };
        let (soft, hard) = match values.split_once(':') {
            Some((s, h)) => (num(s)?, num(h)?),
            None => (num(values)?, num(values)?),
        };
        Self::from_signed(name, soft, hard).map_err(|e| match e {
            Error::InvalidArgument(why) => bad(&why),
            other => other,
        })
    }

    /// A limit from Docker's numbers: `-1` is unlimited.
    pub fn from_signed(name: &str, soft: i64, hard: i64) -> Result<Self> {
        let value = |v: i64| -> Result<u64> {
            match v {
                -1 => Ok(u64::MAX),
                v => u64::try_from(v).map_err(|_| {
                    Error::InvalidArgument(format!(
                        "limit {v} of {name} is not a number of at least -1"
                    ))
                }),
            }
        };
        Self::new(name, value(soft)?, value(hard)?)
    }

    /// A limit from its parts (`u64::MAX` is unlimited).
    pub fn new(name: &str, soft: u64, hard: u64) -> Result<Self> {
        ocirt::spec::parse_rlimit_type(name)
            .map_err(|_| Error::InvalidArgument(format!("unknown resource {name:?}")))?;
        if soft > hard {
            return Err(Error::InvalidArgument(
                "soft limit is above the hard limit".into(),
            ));
        }
        Ok(Ulimit {
            name: name
                .to_ascii_lowercase()
                .trim_start_matches("rlimit_")
                .to_string(),
            soft,
            hard,
        })
    }
}

/// `--memory-swap`: a size, or `-1` for unlimited swap.
pub fn parse_memory_swap(text: &str) -> Result<i64> {
    if text.trim() == "-1" {
        return Ok(-1);
    }
    let n = parse_size(text)?;
    i64::try_from(n).map_err(|_| Error::InvalidArgument(format!("invalid --memory-swap {text:?}")))
}

/// `--memory-swappiness`: 0 to 100, or -1 for the system's default (none).
pub fn parse_swappiness(value: i64) -> Result<Option<u64>> {
    match value {
        -1 => Ok(None),
        0..=100 => Ok(Some(value as u64)),
        _ => Err(Error::InvalidArgument(format!(
            "invalid value: {value}, valid memory swappiness range is 0-100"
        ))),
    }
}

/// `--http-proxy` (the default): the proxy variables of this process's environment, which a
/// new container gets (lower- and upper-case forms, as Podman passes them).
pub fn proxy_env() -> Vec<String> {
    [
        "http_proxy",
        "HTTP_PROXY",
        "https_proxy",
        "HTTPS_PROXY",
        "ftp_proxy",
        "FTP_PROXY",
        "no_proxy",
        "NO_PROXY",
    ]
    .iter()
    .filter_map(|k| std::env::var(k).ok().map(|v| format!("{k}={v}")))
    .collect()
}

/// `--log-opt NAME=VALUE` values: the most bytes of the log file (`max-size`), the one
/// option rpod's log drivers take; `path=` and others are refused with the reason.
pub fn parse_log_opts(opts: &[String]) -> Result<Option<u64>> {
    let mut max_size = None;
    for opt in opts {
        match opt.split_once('=') {
            Some(("max-size", v)) => max_size = Some(parse_decimal_size(v)?),
            Some(("path", _)) => {
                return Err(Error::Unsupported(
                    "--log-opt path= is not supported yet; logs live in the container's directory"
                        .into(),
                ))
            }
            _ => {
                return Err(Error::InvalidArgument(format!(
                    "invalid --log-opt {opt:?}: supported are max-size=SIZE and path=FILE"
                )))
            }
        }
    }
    Ok(max_size)
}

/// Parses a size such as `64m`, `1g`, `512k`, `1024`, `2GB` into bytes (units of 1024, as
/// Podman's memory and shm sizes).
pub fn parse_size(text: &str) -> Result<u64> {
    parse_size_in(text, 1024)
}

/// Parses a size with units of 1000 (`1mb` is 1,000,000 bytes; an `i` is ignored), as
/// Podman reads a log file's `max-size`.
pub fn parse_decimal_size(text: &str) -> Result<u64> {
    parse_size_in(text, 1000)
}

fn parse_size_in(text: &str, base: u64) -> Result<u64> {
    let t = text.trim().to_ascii_lowercase();
    let bad = || {
        Error::InvalidArgument(format!(
            "invalid size {text:?}: expected a number with an optional unit b, k, m or g"
        ))
    };
    let t = t
        .strip_suffix("ib")
        .or_else(|| t.strip_suffix('b'))
        .unwrap_or(&t);
    let (num, power) = match t.chars().last() {
        Some('k') => (&t[..t.len() - 1], 1),
        Some('m') => (&t[..t.len() - 1], 2),
        Some('g') => (&t[..t.len() - 1], 3),
        Some('t') => (&t[..t.len() - 1], 4),
        Some(_) => (t, 0),
        None => return Err(bad()),
    };
    let value: f64 = num.trim().parse().map_err(|_| bad())?;
    if !value.is_finite() || value < 0.0 {
        return Err(bad());
    }
    Ok((value * base.pow(power) as f64) as u64)
}

/// Reads an env file: `KEY=VALUE` lines, `#` comments, and bare `KEY` taken
/// from the caller's environment (as Docker does).
pub fn parse_env_file(path: &std::path::Path) -> Result<Vec<String>> {
    let text = std::fs::read_to_string(path).map_err(|source| Error::Io {
        context: format!("reading env file {}", path.display()),
        source,
    })?;
    Ok(text
        .lines()
        .map(str::trim)
        .filter(|l| !l.is_empty() && !l.starts_with('#'))
        .filter_map(|l| {
            if l.contains('=') {
                Some(l.to_string())
            } else {
                std::env::var(l).ok().map(|v| format!("{l}={v}"))
            }
        })
        .collect())
}

/// Splits `KEY=VALUE` (labels, annotations); a bare key gets an empty value.
pub fn parse_key_value(text: &str) -> (String, String) {
    match text.split_once('=') {
        Some((k, v)) => (k.to_string(), v.to_string()),
        None => (text.to_string(), String::new()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sizes() {
        assert_eq!(parse_size("64m").unwrap(), 64 << 20);
        assert_eq!(parse_size("1g").unwrap(), 1 << 30);
        assert_eq!(parse_size("512k").unwrap(), 512 << 10);
        assert_eq!(parse_size("100").unwrap(), 100);
        assert_eq!(parse_size("2GB").unwrap(), 2 << 30);
        assert!(parse_size("lots").is_err());
        assert!(parse_size("").is_err());
        assert!(parse_size("-1m").is_err());
    }

    #[test]
    fn ulimits() {
        let u = Ulimit::parse("nofile=1024:2048").unwrap();
        assert_eq!((u.name.as_str(), u.soft, u.hard), ("nofile", 1024, 2048));
        assert_eq!(Ulimit::parse("core=-1").unwrap().hard, u64::MAX);
        assert!(Ulimit::parse("nofile=10:5").is_err());
        assert!(Ulimit::parse("bogus=1").is_err());
        assert!(Ulimit::parse("nofile").is_err());
    }
}
