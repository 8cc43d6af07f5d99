//! Docker's JSON shapes: the container-create request (mapped onto
//! libpod's [`CreateOptions`]), and the inspect and list documents
//! (translated from libpod's).

use std::collections::BTreeMap;

use libpod::container::isolation::{
    BlkioLimits, BlkioRate, CgroupRule, DeviceSpec, IsolationConfig, NamespaceMode,
};
use libpod::container::options::{HealthOptions, MountKind, MountSpec, Ulimit};
use libpod::container::Resources;
use libpod::container::SecurityOpt;
use libpod::{Container, CreateOptions, NetworkMode, NetworkRequest};
use serde::Deserialize;
use serde_json::{json, Value};

use crate::error::{Error, Result};

/// A string or a list of strings (Docker accepts both for Cmd/Entrypoint).
#[derive(Debug, Clone, Deserialize)]
#[serde(untagged)]
pub enum StrOrList {
    /// `"sh -c x"`: one word per whitespace-separated field.
    Str(String),
    /// `["sh", "-c", "x"]`.
    List(Vec<String>),
}

impl StrOrList {
    fn into_vec(self) -> Vec<String> {
        match self {
            StrOrList::Str(s) => s.split_whitespace().map(str::to_string).collect(),
            StrOrList::List(v) => v,
        }
    }
}

/// `POST /containers/create` body.
#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "PascalCase", default)]
pub struct CreateRequest {
    pub image: String,
    pub cmd: Option<StrOrList>,
    pub entrypoint: Option<StrOrList>,
    pub env: Option<Vec<String>>,
    pub working_dir: Option<String>,
    pub user: Option<String>,
    pub hostname: Option<String>,
    pub domainname: Option<String>,
    /// Deprecated in API 1.44 for the endpoint's; the one network's MAC.
    pub mac_address: Option<String>,
    /// True: no network (`NetworkMode` none).
    pub network_disabled: bool,
    pub labels: Option<BTreeMap<String, String>>,
    pub tty: bool,
    pub open_stdin: bool,
    /// Recorded and shown back; closing stdin at the client's end of input
    /// is what rpod does either way.
    pub stdin_once: bool,
    pub stop_signal: Option<String>,
    pub stop_timeout: Option<i64>,
    pub healthcheck: Option<Healthcheck>,
    /// `{"80/tcp": {}}`: ports published by `PublishAllPorts`.
    pub exposed_ports: Option<BTreeMap<String, Value>>,
    /// `{"/data": {}}`: anonymous volumes.
    pub volumes: Option<BTreeMap<String, Value>>,
    pub host_config: Option<HostConfig>,
    pub networking_config: Option<NetworkingConfig>,
    /// Fields rpod does not map: a request setting one is refused by name.
    #[serde(flatten)]
    pub other: BTreeMap<String, Value>,
}

/// Fields that carry no meaning for a container rpod creates: attaching is
/// chosen at attach time, ArgsEscaped is for Windows, the console size is
/// set when a terminal attaches.
const WITHOUT_EFFECT: &[&str] = &[
    "AttachStdin",
    "AttachStdout",
    "AttachStderr",
    "ArgsEscaped",
    "ConsoleSize",
];

/// Why rpod refuses some of Docker's create fields when they hold a value.
fn refusal(field: &str) -> Option<&'static str> {
    Some(match field {
        "HostConfig.DeviceRequests" => "rpod has no GPU or other device-request drivers",
        "HostConfig.StorageOpt" => "rpod's overlay storage takes no per-container size options",
        "HostConfig.ContainerIDFile" => "the client writes the ID file",
        "HostConfig.MaskedPaths" | "HostConfig.ReadonlyPaths" => {
            "rpod's defaults apply; unmask paths with SecurityOpt unmask="
        }
        "HostConfig.CpuCount"
        | "HostConfig.CpuPercent"
        | "HostConfig.IOMaximumIOps"
        | "HostConfig.IOMaximumBandwidth" => "the field is for Windows containers",
        "Shell" | "OnBuild" => "the field is for image builds, not containers",
        _ => return None,
    })
}

/// True for a value a client sends when it does not use the field (the rule the libpod
/// API's create request uses too).
fn unset(v: &Value) -> bool {
    !libpod::specgen::has_value(v)
}

/// The first set field of `other` whose effect rpod does not give, named
/// with `prefix`.
fn unapplied(prefix: &str, other: &BTreeMap<String, Value>) -> Option<String> {
    other
        .iter()
        .filter(|(k, v)| !WITHOUT_EFFECT.contains(&k.as_str()) && !unset(v))
        .map(|(k, _)| format!("{prefix}{k}"))
        .next()
}

impl CreateRequest {
    /// Refuses a request that sets a field rpod would otherwise drop,
    /// naming the field (and why, where there is a reason beyond "not yet").
    pub fn refuse_unapplied(&self) -> Result<()> {
        let field = unapplied("", &self.other).or_else(|| {
            self.host_config
                .as_ref()
                .and_then(|hc| unapplied("HostConfig.", &hc.other))
        });
        match field {
            None => Ok(()),
            Some(f) => Err(bad(match refusal(&f) {
                Some(why) => format!("{f} is not supported by rpod: {why}"),
                None => format!("{f} is not supported by rpod yet"),
            })),
        }
    }
}

/// `NetworkingConfig`: the networks to join at creation.
#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "PascalCase", default)]
pub struct NetworkingConfig {
    pub endpoints_config: Option<BTreeMap<String, Option<EndpointConfig>>>,
}

/// One network's settings at creation or `connect`.
#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "PascalCase", default)]
pub struct EndpointConfig {
    pub aliases: Option<Vec<String>>,
    #[serde(rename = "IPAMConfig")]
    pub ipam_config: Option<IpamConfig>,
    pub mac_address: Option<String>,
    /// `NAME[:ALIAS]`: other containers reached under an alias.
    pub links: Option<Vec<String>>,
    /// Refused when given (see [`EndpointConfig::refuse_unapplied`]).
    pub driver_opts: Option<BTreeMap<String, String>>,
}

impl EndpointConfig {
    /// Refuses the endpoint settings rpod would otherwise drop.
    pub fn refuse_unapplied(&self, network: &str) -> Result<()> {
        if self.driver_opts.as_ref().is_some_and(|d| !d.is_empty()) {
            return Err(bad(format!(
                "EndpointsConfig.{network}.DriverOpts is not supported: netavark takes no per-endpoint driver options"
            )));
        }
        Ok(())
    }
}

/// `IPAMConfig` of an endpoint.
#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct IpamConfig {
    #[serde(rename = "IPv4Address")]
    pub ipv4_address: Option<String>,
    #[serde(rename = "IPv6Address")]
    pub ipv6_address: Option<String>,
    /// Link-local addresses (refused when given: netavark sets none).
    #[serde(rename = "LinkLocalIPs")]
    pub link_local_ips: Option<Vec<String>>,
}

impl IpamConfig {
    /// The static addresses asked for (`IPv4Address`, `IPv6Address`).
    pub fn addresses(&self) -> Result<Vec<std::net::IpAddr>> {
        if self.link_local_ips.as_ref().is_some_and(|l| !l.is_empty()) {
            return Err(bad("IPAMConfig.LinkLocalIPs is not supported: rpod's networks set no link-local addresses".into()));
        }
        let mut out = Vec::new();
        for (field, ip) in [
            ("IPv4Address", &self.ipv4_address),
            ("IPv6Address", &self.ipv6_address),
        ] {
            if let Some(ip) = ip.as_deref().filter(|i| !i.is_empty()) {
                out.push(
                    ip.parse()
                        .map_err(|_| bad(format!("invalid {field} {ip:?}: not an IP address")))?,
                );
            }
        }
        Ok(out)
    }
}

/// `HostConfig.PortBindings` entry.
#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "PascalCase", default)]
pub struct DockerPortBinding {
    pub host_ip: Option<String>,
    pub host_port: Option<String>,
}

/// Docker's `Healthcheck` (durations in nanoseconds).
#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "PascalCase", default)]
pub struct Healthcheck {
    pub test: Option<Vec<String>>,
    pub interval: i64,
    pub timeout: i64,
    pub start_period: i64,
    pub retries: i64,
}

/// The parts of Docker's `HostConfig` rpod maps.
#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "PascalCase", default)]
pub struct HostConfig {
    pub binds: Option<Vec<String>>,
    /// `NAME[:ALIAS]`: other containers reached under an alias (legacy links).
    pub links: Option<Vec<String>>,
    /// Containers whose volumes this one mounts too (`NAME[:ro|rw]`).
    pub volumes_from: Option<Vec<String>>,
    pub mounts: Option<Vec<DockerMount>>,
    pub auto_remove: bool,
    pub privileged: bool,
    pub readonly_rootfs: bool,
    pub cap_add: Option<Vec<String>>,
    pub cap_drop: Option<Vec<String>>,
    pub security_opt: Option<Vec<String>>,
    pub pid_mode: Option<String>,
    pub ipc_mode: Option<String>,
    /// `host` or empty: Docker has no other user namespace mode per container.
    pub userns_mode: Option<String>,
    #[serde(rename = "UTSMode")]
    pub uts_mode: Option<String>,
    pub cgroupns_mode: Option<String>,
    pub cgroup_parent: Option<String>,
    pub devices: Option<Vec<DockerDevice>>,
    pub device_cgroup_rules: Option<Vec<String>>,
    pub sysctls: Option<BTreeMap<String, String>>,
    pub group_add: Option<Vec<String>>,
    pub oom_score_adj: Option<i32>,
    pub blkio_device_read_bps: Option<Vec<DockerThrottle>>,
    pub blkio_device_write_bps: Option<Vec<DockerThrottle>>,
    #[serde(rename = "BlkioDeviceReadIOps")]
    pub blkio_device_read_iops: Option<Vec<DockerThrottle>>,
    #[serde(rename = "BlkioDeviceWriteIOps")]
    pub blkio_device_write_iops: Option<Vec<DockerThrottle>>,
    pub blkio_weight: u16,
    pub blkio_weight_device: Option<Vec<DockerWeightDevice>>,
    pub cpu_shares: i64,
    pub cpu_period: i64,
    pub cpu_quota: i64,
    pub cpu_realtime_period: i64,
    pub cpu_realtime_runtime: i64,
    pub cpuset_cpus: String,
    pub cpuset_mems: String,
    pub memory_reservation: i64,
    pub memory_swap: i64,
    /// -1 (or absent) leaves the kernel's default.
    pub memory_swappiness: Option<i64>,
    pub oom_kill_disable: Option<bool>,
    /// `runc` (rpod's runtime) or empty; another is refused.
    pub runtime: Option<String>,
    /// `default` or empty (Windows isolation is refused).
    #[serde(rename = "Isolation")]
    pub windows_isolation: Option<String>,
    /// `local` or empty (rpod's only volume driver).
    pub volume_driver: Option<String>,
    pub annotations: Option<BTreeMap<String, String>>,
    /// Fields rpod does not map: reported in the response's `Warnings`.
    #[serde(flatten)]
    pub other: BTreeMap<String, Value>,
    pub memory: i64,
    pub nano_cpus: i64,
    pub pids_limit: Option<i64>,
    pub shm_size: i64,
    pub ulimits: Option<Vec<DockerUlimit>>,
    pub tmpfs: Option<BTreeMap<String, String>>,
    pub init: Option<bool>,
    pub network_mode: Option<String>,
    pub restart_policy: Option<DockerRestartPolicy>,
    pub log_config: Option<DockerLogConfig>,
    pub port_bindings: Option<BTreeMap<String, Option<Vec<DockerPortBinding>>>>,
    pub publish_all_ports: bool,
    pub dns: Option<Vec<String>>,
    pub dns_search: Option<Vec<String>>,
    pub dns_options: Option<Vec<String>>,
    pub extra_hosts: Option<Vec<String>>,
}

/// `HostConfig.Devices[]`.
#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "PascalCase", default)]
pub struct DockerDevice {
    pub path_on_host: String,
    pub path_in_container: String,
    pub cgroup_permissions: String,
}

/// `HostConfig.BlkioDevice*[]`.
#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "PascalCase", default)]
pub struct DockerThrottle {
    pub path: String,
    pub rate: u64,
}

/// `HostConfig.BlkioWeightDevice[]`.
#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "PascalCase", default)]
pub struct DockerWeightDevice {
    pub path: String,
    pub weight: u16,
}

impl HostConfig {
    /// Namespaces, devices, sysctls and groups as the engine takes them.
    fn isolation(&mut self) -> Result<IsolationConfig> {
        let ns = |flag: &str, v: &Option<String>| -> libpod::Result<NamespaceMode> {
            match v.as_deref() {
                None | Some("") => Ok(NamespaceMode::Private),
                Some(t) => NamespaceMode::parse(flag, t),
            }
        };
        let rates = |list: &Option<Vec<DockerThrottle>>| -> Vec<BlkioRate> {
            list.iter()
                .flatten()
                .map(|t| BlkioRate {
                    path: t.path.clone().into(),
                    rate: t.rate,
                })
                .collect()
        };
        let mut devices = Vec::new();
        for d in self.devices.take().unwrap_or_default() {
            let ctr = if d.path_in_container.is_empty() {
                d.path_on_host.clone()
            } else {
                d.path_in_container
            };
            let perms = if d.cgroup_permissions.is_empty() {
                "rwm".to_string()
            } else {
                d.cgroup_permissions
            };
            devices.push(DeviceSpec::parse(&format!(
                "{}:{ctr}:{perms}",
                d.path_on_host
            ))?);
        }
        Ok(IsolationConfig {
            pid: ns("pid", &self.pid_mode)?,
            ipc: ns("ipc", &self.ipc_mode)?,
            uts: ns("uts", &self.uts_mode)?,
            cgroupns: ns("cgroupns", &self.cgroupns_mode)?,
            cgroupns_explicit: self.cgroupns_mode.as_deref() == Some("private"),
            devices,
            device_cgroup_rules: self
                .device_cgroup_rules
                .take()
                .unwrap_or_default()
                .iter()
                .map(|r| CgroupRule::parse(r))
                .collect::<libpod::Result<_>>()?,
            blkio: BlkioLimits {
                read_bps: rates(&self.blkio_device_read_bps),
                write_bps: rates(&self.blkio_device_write_bps),
                read_iops: rates(&self.blkio_device_read_iops),
                write_iops: rates(&self.blkio_device_write_iops),
                weight: (self.blkio_weight > 0).then_some(self.blkio_weight),
                weight_device: self
                    .blkio_weight_device
                    .iter()
                    .flatten()
                    .map(|w| BlkioRate {
                        path: w.path.clone().into(),
                        rate: u64::from(w.weight),
                    })
                    .collect(),
            },
            sysctls: self.sysctls.take().unwrap_or_default(),
            group_add: self.group_add.take().unwrap_or_default(),
            oom_score_adj: self.oom_score_adj.filter(|a| *a != 0),
            cgroup_parent: self.cgroup_parent.take().filter(|p| !p.is_empty()),
            ..IsolationConfig::default()
        })
    }
}

/// `HostConfig.Mounts[]`: bind, volume and tmpfs mounts with their options.
#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "PascalCase", default)]
pub struct DockerMount {
    #[serde(rename = "Type")]
    pub kind: String,
    pub source: String,
    pub target: String,
    pub read_only: bool,
    /// macOS file sharing only; no effect on Linux (as with a Docker engine).
    pub consistency: String,
    pub bind_options: Option<DockerBindOptions>,
    pub volume_options: Option<DockerVolumeOptions>,
    pub tmpfs_options: Option<DockerTmpfsOptions>,
}

/// `Mounts[].BindOptions`.
#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "PascalCase", default)]
pub struct DockerBindOptions {
    pub propagation: String,
    pub non_recursive: bool,
    pub create_mountpoint: bool,
}

/// `Mounts[].VolumeOptions`.
#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "PascalCase", default)]
pub struct DockerVolumeOptions {
    pub no_copy: bool,
    pub labels: Option<BTreeMap<String, String>>,
    pub driver_config: Option<DockerDriverConfig>,
}

/// `VolumeOptions.DriverConfig`.
#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "PascalCase", default)]
pub struct DockerDriverConfig {
    pub name: String,
    pub options: Option<BTreeMap<String, String>>,
}

/// `Mounts[].TmpfsOptions`.
#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "PascalCase", default)]
pub struct DockerTmpfsOptions {
    pub size_bytes: i64,
    /// The file mode, as a number (`1023` is `01777`).
    pub mode: u32,
}

impl DockerMount {
    /// The typed mount, its options applied or refused by name.
    fn into_spec(self) -> Result<MountSpec> {
        let at = |what: &str| format!("Mounts[{}].{what}", self.target);
        let mut options = Vec::new();
        if self.read_only {
            options.push("ro".to_string());
        }
        let kind = match self.kind.as_str() {
            "bind" => MountKind::Bind,
            "volume" => MountKind::Volume,
            "tmpfs" => MountKind::Tmpfs,
            other => {
                return Err(bad(format!(
                    "mount type {other:?} is not supported (supported: bind, volume, tmpfs)"
                )))
            }
        };
        if let Some(b) = &self.bind_options {
            if kind != MountKind::Bind {
                return Err(bad(format!("{} is for bind mounts", at("BindOptions"))));
            }
            match b.propagation.as_str() {
                "" => {}
                p @ ("private" | "rprivate" | "shared" | "rshared" | "slave" | "rslave") => {
                    options.push(p.to_string())
                }
                other => {
                    return Err(bad(format!(
                        "invalid {} {other:?}",
                        at("BindOptions.Propagation")
                    )))
                }
            }
            if b.non_recursive {
                options.push("bind".to_string());
            }
            if b.create_mountpoint {
                return Err(bad(format!(
                    "{} is not supported by rpod yet: create the host path first",
                    at("BindOptions.CreateMountpoint")
                )));
            }
        }
        if let Some(v) = &self.volume_options {
            if kind != MountKind::Volume {
                return Err(bad(format!("{} is for volume mounts", at("VolumeOptions"))));
            }
            if v.no_copy {
                options.push("nocopy".to_string());
            }
            if v.labels.as_ref().is_some_and(|l| !l.is_empty()) {
                return Err(bad(format!(
                    "{} is not supported by rpod yet: create the volume with its labels first",
                    at("VolumeOptions.Labels")
                )));
            }
            if let Some(d) = &v.driver_config {
                if !(d.name.is_empty() || d.name == "local")
                    || d.options.as_ref().is_some_and(|o| !o.is_empty())
                {
                    return Err(bad(format!(
                        "{} is not supported: rpod's volumes are local, made by volume create",
                        at("VolumeOptions.DriverConfig")
                    )));
                }
            }
        }
        if let Some(t) = &self.tmpfs_options {
            if kind != MountKind::Tmpfs {
                return Err(bad(format!("{} is for tmpfs mounts", at("TmpfsOptions"))));
            }
            if t.size_bytes > 0 {
                options.push(format!("size={}", t.size_bytes));
            }
            if t.mode != 0 {
                options.push(format!("mode={:o}", t.mode));
            }
        }
        let source = (!self.source.is_empty()).then_some(self.source);
        Ok(MountSpec::from_parts(kind, source, &self.target, options)?)
    }
}

/// `HostConfig.Ulimits[]`.
#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "PascalCase", default)]
pub struct DockerUlimit {
    pub name: String,
    pub soft: i64,
    pub hard: i64,
}

/// `HostConfig.RestartPolicy`.
#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "PascalCase", default)]
pub struct DockerRestartPolicy {
    pub name: String,
    pub maximum_retry_count: i64,
}

/// `HostConfig.LogConfig`.
#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "PascalCase", default)]
pub struct DockerLogConfig {
    #[serde(rename = "Type")]
    pub kind: String,
    pub config: Option<BTreeMap<String, String>>,
}

/// The engine's network mode and request from Docker's `NetworkMode`,
/// `NetworkingConfig`, `PortBindings`, `PublishAllPorts`, DNS fields and
/// `ExposedPorts`.
fn network_request(
    mode: &str,
    nc: NetworkingConfig,
    hc: &HostConfig,
    exposed: Option<&BTreeMap<String, Value>>,
) -> Result<(NetworkMode, NetworkRequest)> {
    let mut req = NetworkRequest::default();
    let network = match mode {
        "" | "default" | "bridge" => NetworkMode::Bridge,
        "none" => NetworkMode::None,
        "host" => NetworkMode::Host,
        other if other.contains(':') => other
            .parse::<NetworkMode>()
            .map_err(|e| bad(format!("network mode {other:?}: {e}")))?,
        other => {
            req.networks.push(other.to_string());
            NetworkMode::Bridge
        }
    };
    for (name, ep) in nc.endpoints_config.unwrap_or_default() {
        if matches!(name.as_str(), "bridge" | "default" | "host" | "none") {
            continue;
        }
        if network != NetworkMode::Bridge {
            continue;
        }
        if !req.networks.contains(&name) {
            req.networks.push(name.clone());
        }
        if let Some(ep) = ep {
            ep.refuse_unapplied(&name)?;
            for l in ep.links.iter().flatten() {
                req.links.push(
                    libpod::network::Link::parse(l, Some(&name)).map_err(libpod::Error::from)?,
                );
            }
            let ips = match &ep.ipam_config {
                Some(c) => c.addresses()?,
                None => Vec::new(),
            };
            req.network_options.insert(
                name.clone(),
                libpod::network::NetworkFlagOptions {
                    aliases: ep.aliases.unwrap_or_default(),
                    ips,
                    mac: ep.mac_address.filter(|m| !m.is_empty()),
                    interface_name: None,
                },
            );
        }
    }
    for (port, bindings) in hc.port_bindings.iter().flatten() {
        // The key is Docker's own `PORT[-END]/PROTO` text.
        let pp = libpod::network::parse_expose(port).map_err(libpod::Error::from)?;
        let mut add = |ip: &str, host_port: u16| -> Result<()> {
            let m = libpod::network::port_mapping(ip, host_port, pp.port, pp.range, &pp.protocol)
                .map_err(libpod::Error::from)?;
            req.ports.extend(m);
            Ok(())
        };
        let bindings = bindings.as_deref().unwrap_or_default();
        if bindings.is_empty() {
            add("", 0)?;
        }
        for b in bindings {
            let host = b.host_port.as_deref().unwrap_or("");
            let host_port = if host.is_empty() {
                0
            } else {
                host.parse::<u16>().map_err(|_| {
                    bad(format!(
                        "invalid HostPort {host:?} for {port}: a port number (ranges are not supported yet)"
                    ))
                })?
            };
            add(b.host_ip.as_deref().unwrap_or(""), host_port)?;
        }
    }
    for l in hc.links.iter().flatten() {
        req.links
            .push(libpod::network::Link::parse(l, None).map_err(libpod::Error::from)?);
    }
    req.publish_all = hc.publish_all_ports;
    req.expose = exposed
        .map(|m| m.keys().cloned().collect())
        .unwrap_or_default();
    req.dns = hc.dns.clone().unwrap_or_default();
    req.dns_search = hc.dns_search.clone().unwrap_or_default();
    req.dns_options = hc.dns_options.clone().unwrap_or_default();
    req.add_hosts = hc.extra_hosts.clone().unwrap_or_default();
    Ok((network, req))
}

fn bad(msg: String) -> Error {
    Error::BadRequest(msg)
}

fn duration_ms(ns: i64) -> Option<String> {
    (ns > 0).then(|| format!("{}ms", (ns / 1_000_000).max(1)))
}

impl CreateRequest {
    /// The engine request for this body and `?name=`.
    pub fn into_options(self, name: Option<String>) -> Result<CreateOptions> {
        if self.image.is_empty() {
            return Err(bad("config.Image is required".into()));
        }
        self.refuse_unapplied()?;
        let mut hc = self.host_config.unwrap_or_default();
        // The domain name through its sysctl: runc 1.1 has no spec field for it.
        if let Some(d) = self.domainname.as_deref().filter(|d| !d.is_empty()) {
            hc.sysctls
                .get_or_insert_with(BTreeMap::new)
                .insert("kernel.domainname".into(), d.to_string());
        }
        match hc.runtime.as_deref() {
            None | Some("") | Some("runc") => {}
            Some(r) => {
                return Err(bad(format!(
                    "HostConfig.Runtime {r:?} is not supported: rpod's API service runs containers with runc"
                )))
            }
        }
        match hc.windows_isolation.as_deref() {
            None | Some("") | Some("default") => {}
            Some(i) => {
                return Err(bad(format!(
                    "HostConfig.Isolation {i:?} is not supported: Linux containers have the default isolation only"
                )))
            }
        }
        match hc.volume_driver.as_deref() {
            None | Some("") | Some("local") => {}
            Some(d) => {
                return Err(bad(format!(
                    "HostConfig.VolumeDriver {d:?} is not supported: rpod's volumes are local"
                )))
            }
        }
        let isolation = hc.isolation()?;
        let userns = match hc.userns_mode.as_deref() {
            None | Some("") | Some("host") => Default::default(),
            Some(other) => {
                return Err(bad(format!(
                    "invalid UsernsMode {other:?}: only \"host\" is supported"
                )))
            }
        };
        let (mut network, mut net) = network_request(
            hc.network_mode.as_deref().unwrap_or(""),
            self.networking_config.unwrap_or_default(),
            &hc,
            self.exposed_ports.as_ref(),
        )?;
        if self.network_disabled {
            network = NetworkMode::None;
            net = NetworkRequest::default();
        }
        if let Some(mac) = self.mac_address.filter(|m| !m.is_empty()) {
            if net.mac.is_none() {
                net.mac = Some(mac);
            }
        }
        let mut mounts = Vec::new();
        for b in hc.binds.unwrap_or_default() {
            mounts.push(MountSpec::parse_volume(&b)?);
        }
        for m in hc.mounts.take().unwrap_or_default() {
            mounts.push(m.into_spec()?);
        }
        for (path, opts) in hc.tmpfs.unwrap_or_default() {
            let text = if opts.is_empty() {
                path
            } else {
                format!("{path}:{opts}")
            };
            mounts.push(MountSpec::parse_tmpfs(&text)?);
        }
        let ulimits = hc
            .ulimits
            .as_deref()
            .unwrap_or_default()
            .iter()
            .map(|u| Ulimit::from_signed(&u.name, u.soft, u.hard))
            .collect::<libpod::Result<Vec<_>>>()?;
        for path in self
            .volumes
            .as_ref()
            .map(|v| v.keys())
            .into_iter()
            .flatten()
        {
            if !mounts.iter().any(|m| m.destination == *path) {
                mounts.push(MountSpec::parse_volume(path)?);
            }
        }
        let restart_policy = match hc.restart_policy {
            Some(p) => {
                use libpod::container::policy::{RestartPolicy, RestartPolicyName as N};
                let name = match p.name.as_str() {
                    "" | "no" => None,
                    "always" => Some(N::Always),
                    "unless-stopped" => Some(N::UnlessStopped),
                    "on-failure" => Some(N::OnFailure),
                    other => {
                        return Err(bad(format!(
                            "invalid RestartPolicy.Name {other:?}: use no, always, unless-stopped or on-failure"
                        )))
                    }
                };
                let max_retries = u32::try_from(p.maximum_retry_count).map_err(|_| {
                    bad(format!(
                        "invalid RestartPolicy.MaximumRetryCount {}",
                        p.maximum_retry_count
                    ))
                })?;
                if max_retries > 0 && name != Some(N::OnFailure) {
                    return Err(bad(
                        "RestartPolicy.MaximumRetryCount applies to on-failure only".into(),
                    ));
                }
                name.map(|name| RestartPolicy { name, max_retries })
            }
            None => None,
        };
        if hc.auto_remove && restart_policy.is_some() {
            return Err(Error::Conflict(
                "conflicting options: AutoRemove and RestartPolicy".into(),
            ));
        }
        let (log_driver, log_max_size) = match hc.log_config {
            Some(l) => {
                let driver = match l.kind.as_str() {
                    "" => None,
                    "json-file" | "k8s-file" | "none" => Some(l.kind.clone()),
                    other => {
                        return Err(bad(format!(
                            "log driver {other:?} is not supported (supported: json-file, k8s-file, none)"
                        )))
                    }
                };
                let size = match l.config.as_ref().and_then(|c| c.get("max-size")) {
                    Some(s) => Some(libpod::container::options::parse_decimal_size(s)?),
                    None => None,
                };
                (driver, size)
            }
            None => (None, None),
        };
        let health = match self.healthcheck {
            None => HealthOptions::default(),
            Some(h) => {
                let test = h.test.unwrap_or_default();
                let mut opts = HealthOptions {
                    interval: duration_ms(h.interval),
                    timeout: duration_ms(h.timeout),
                    start_period: duration_ms(h.start_period),
                    retries: u32::try_from(h.retries).ok().filter(|r| *r > 0),
                    ..Default::default()
                };
                match test.split_first() {
                    None => {}
                    Some((kind, _)) if kind == "NONE" => opts.disabled = true,
                    Some((kind, args)) if kind == "CMD" => {
                        opts.cmd = Some(serde_json::to_string(args).map_err(|e| {
                            Error::Internal(format!("encoding the health check: {e}"))
                        })?);
                    }
                    Some((kind, args)) if kind == "CMD-SHELL" => opts.cmd = Some(args.join(" ")),
                    Some((kind, _)) => {
                        return Err(bad(format!(
                            "invalid Healthcheck.Test {kind:?}: use NONE, CMD or CMD-SHELL"
                        )))
                    }
                }
                opts
            }
        };
        let stop_timeout = match self.stop_timeout {
            None => None,
            Some(t) => Some(u32::try_from(t).map_err(|_| bad(format!("invalid StopTimeout {t}")))?),
        };
        Ok(CreateOptions {
            name: name.filter(|n| !n.is_empty()),
            image: Some(self.image),
            command: self.cmd.map(StrOrList::into_vec).unwrap_or_default(),
            entrypoint: self.entrypoint.map(StrOrList::into_vec),
            env: self.env.unwrap_or_default(),
            workdir: self.working_dir.filter(|w| !w.is_empty()),
            user: self.user.filter(|u| !u.is_empty()),
            hostname: self.hostname.filter(|h| !h.is_empty()),
            labels: self.labels.unwrap_or_default(),
            annotations: hc.annotations.clone().unwrap_or_default(),
            stop_signal: self.stop_signal.filter(|s| !s.is_empty()),
            stop_timeout,
            read_only: hc.readonly_rootfs,
            privileged: hc.privileged,
            cap_add: hc.cap_add.unwrap_or_default(),
            cap_drop: hc.cap_drop.unwrap_or_default(),
            security_opts: hc
                .security_opt
                .unwrap_or_default()
                .iter()
                .map(|o| SecurityOpt::parse(o))
                .collect::<libpod::Result<_>>()?,
            isolation,
            ulimits,
            resources: Resources {
                memory: u64::try_from(hc.memory).ok().filter(|m| *m > 0),
                cpus: (hc.nano_cpus > 0).then(|| hc.nano_cpus as f64 / 1e9),
                pids_limit: hc.pids_limit.filter(|p| *p != 0),
                cpu_shares: u64::try_from(hc.cpu_shares).ok().filter(|v| *v > 0),
                cpu_period: u64::try_from(hc.cpu_period).ok().filter(|v| *v > 0),
                cpu_quota: (hc.cpu_quota != 0).then_some(hc.cpu_quota),
                cpu_rt_period: u64::try_from(hc.cpu_realtime_period)
                    .ok()
                    .filter(|v| *v > 0),
                cpu_rt_runtime: (hc.cpu_realtime_runtime != 0).then_some(hc.cpu_realtime_runtime),
                cpuset_cpus: Some(hc.cpuset_cpus.clone()).filter(|s| !s.is_empty()),
                cpuset_mems: Some(hc.cpuset_mems.clone()).filter(|s| !s.is_empty()),
                memory_reservation: u64::try_from(hc.memory_reservation).ok().filter(|v| *v > 0),
                memory_swap: (hc.memory_swap != 0).then_some(hc.memory_swap),
                memory_swappiness: hc.memory_swappiness.and_then(|v| u64::try_from(v).ok()),
                oom_kill_disable: hc.oom_kill_disable.unwrap_or(false),
            },
            shm_size: u64::try_from(hc.shm_size).ok().filter(|s| *s > 0),
            init: hc.init.unwrap_or(false),
            mounts,
            network,
            net,
            tty: self.tty,
            interactive: self.open_stdin,
            stdin_once: self.stdin_once,
            // A Docker engine creates only from a local image (404 "No
            // such image" otherwise; clients pull and try again).
            pull: libpod::images::PullPolicy::Never,
            log_driver,
            log_max_size,
            auto_remove: hc.auto_remove,
            volumes_from: hc.volumes_from.clone().unwrap_or_default(),
            restart_policy,
            health,
            userns,
            ..Default::default()
        })
    }
}

/// `sha256:<id>` as Docker writes image IDs.
pub fn image_id(id: &str) -> String {
    if id.is_empty() || id.starts_with("sha256:") {
        id.to_string()
    } else {
        format!("sha256:{id}")
    }
}

/// The log driver as Docker clients know it: rpod's k8s-file logs are read
/// through `/logs` just like json-file ones.
fn docker_log_driver(driver: &str) -> &str {
    match driver {
        "k8s-file" => "json-file",
        other => other,
    }
}

/// Docker's status text: `Up 3 seconds`, `Exited (0) 2 minutes ago`.
pub fn status_text(c: &Container<'_>) -> String {
    let text = c.status_text();
    match text.strip_prefix("Up ") {
        Some(rest) => format!("Up {}", rest.replacen(" ago", "", 1)),
        None => text,
    }
}

/// Docker's `NetworkSettings` from libpod's (same field names); the
/// special modes get one pseudo-network entry as Docker shows them.
fn network_settings(c: &Container<'_>) -> Value {
    let ns = c.network_settings();
    let mut doc = serde_json::to_value(&ns).unwrap_or_else(|_| json!({}));
    doc["HairpinMode"] = json!(false);
    doc["SecondaryIPAddresses"] = Value::Null;
    doc["SecondaryIPv6Addresses"] = Value::Null;
    let mode = c.config().network.as_str();
    if ns.networks.is_empty() {
        let mut ep = serde_json::to_value(libpod::container::EndpointSettings {
            network_id: mode.to_string(),
            ..Default::default()
        })
        .unwrap_or_else(|_| json!({}));
        ep["Aliases"] = Value::Null;
        doc["Networks"] = json!({ mode: ep });
    } else if let Some(nets) = doc["Networks"].as_object_mut() {
        for (name, ep) in nets.iter_mut() {
            ep["EndpointID"] = ep["NetworkID"].clone();
            // The addresses asked for, as Docker shows them.
            let asked = c
                .config()
                .net
                .networks
                .get(name)
                .map(|p| p.static_ips.clone())
                .unwrap_or_default();
            if !asked.is_empty() {
                let mut ipam = serde_json::Map::new();
                if let Some(v4) = asked.iter().find(|ip| ip.is_ipv4()) {
                    ipam.insert("IPv4Address".into(), json!(v4.to_string()));
                }
                if let Some(v6) = asked.iter().find(|ip| ip.is_ipv6()) {
                    ipam.insert("IPv6Address".into(), json!(v6.to_string()));
                }
                ep["IPAMConfig"] = Value::Object(ipam);
            }
        }
    }
    doc
}

/// `Ports` of a list row: `[{IP, PrivatePort, PublicPort, Type}]`.
fn ports_list(c: &Container<'_>) -> Value {
    let mut out = Vec::new();
    for (key, bindings) in c.network_settings().ports {
        let (port, proto) = key.split_once('/').unwrap_or((key.as_str(), "tcp"));
        let private: u16 = port.parse().unwrap_or(0);
        for b in bindings {
            let ip = if b.host_ip.is_empty() {
                "0.0.0.0".to_string()
            } else {
                b.host_ip
            };
            out.push(json!({
                "IP": ip,
                "PrivatePort": private,
                "PublicPort": b.host_port.parse::<u16>().unwrap_or(0),
                "Type": proto,
            }));
        }
    }
    json!(out)
}

/// Docker's set form, `{"KEY": {}}`, or `null` when empty.
fn set_of(keys: impl IntoIterator<Item = String>) -> Value {
    let v: serde_json::Map<String, Value> = keys.into_iter().map(|k| (k, json!({}))).collect();
    if v.is_empty() {
        Value::Null
    } else {
        Value::Object(v)
    }
}

/// `Config.ExposedPorts`: `{"80/tcp": {}}` of what the container exposes
/// and publishes.
fn exposed_ports(cfg: &libpod::container::ContainerConfig) -> Value {
    let published = cfg.net.ports.iter().flat_map(|m| {
        (0..m.range.max(1))
            .map(move |i| format!("{}/{}", m.container_port.saturating_add(i), m.protocol))
    });
    set_of(cfg.net.expose.iter().cloned().chain(published))
}

/// `Config.Volumes`: `{"/data": {}}` of the container's anonymous volumes.
fn anonymous_volumes(cfg: &libpod::container::ContainerConfig) -> Value {
    set_of(
        cfg.mounts
            .iter()
            .filter(|m| m.kind == libpod::container::MountKind::Volume && m.anonymous)
            .map(|m| m.destination.clone()),
    )
}

/// The Docker inspect document of a container.
pub fn inspect(c: &Container<'_>, size: bool) -> Result<Value> {
    let i = c.inspect(size)?;
    let cfg = c.config();
    let hc = &i.host_config;
    // Docker names a container's user network as its mode (Podman says
    // `bridge` for every bridge network).
    let mode = match cfg.net.networks.keys().next() {
        Some(first)
            if hc.network_mode == "bridge"
                && !cfg
                    .net
                    .networks
                    .contains_key(libpod::network::DEFAULT_NETWORK) =>
        {
            first.clone()
        }
        _ => hc.network_mode.clone(),
    };
    let (masked, readonly) = libpod::container::masked_and_readonly_paths(cfg);
    let mut doc = json!({
        "Id": i.id,
        "Created": storage::oci::go_rfc3339(i.created),
        "Path": i.path,
        "Args": i.args,
        "State": {
            "Status": c.status().docker_status(),
            "Running": matches!(c.status(), libpod::ContainerStatus::Running | libpod::ContainerStatus::Paused | libpod::ContainerStatus::Stopping),
            "Paused": i.state.paused,
            "Restarting": i.state.restarting,
            "OOMKilled": i.state.oom_killed,
            "Dead": i.state.dead,
            "Pid": i.state.pid,
            "ExitCode": i.state.exit_code,
            "Error": i.state.error,
            "StartedAt": i.state.started_at,
            "FinishedAt": i.state.finished_at,
        },
        "Image": image_id(&i.image),
        "ResolvConfPath": i.resolv_conf_path,
        "HostnamePath": i.hostname_path,
        "HostsPath": i.hosts_path,
        "LogPath": i.log_path,
        "Name": format!("/{}", i.name),
        "RestartCount": i.restart_count,
        "Driver": i.driver,
        "Platform": "linux",
        "MountLabel": "",
        "ProcessLabel": "",
        "AppArmorProfile": "",
        "ExecIDs": if c.state().exec_sessions.is_empty() { Value::Null } else { json!(c.state().exec_sessions.keys().collect::<Vec<_>>()) },
        "HostConfig": {
            "Binds": hc.binds,
            "ContainerIDFile": "",
            "LogConfig": { "Type": docker_log_driver(&hc.log_config.kind), "Config": {} },
            "NetworkMode": mode,
            "PortBindings": hc.port_bindings,
            "RestartPolicy": {
                "Name": if hc.restart_policy.name.is_empty() { "no".to_string() } else { hc.restart_policy.name.clone() },
                "MaximumRetryCount": hc.restart_policy.maximum_retry_count,
            },
            "AutoRemove": hc.auto_remove,
            "VolumeDriver": "",
            "VolumesFrom": null,
            "CapAdd": hc.cap_add,
            "CapDrop": hc.cap_drop,
            "Dns": hc.dns,
            "DnsOptions": hc.dns_options,
            "DnsSearch": hc.dns_search,
            "ExtraHosts": if hc.extra_hosts.is_empty() { Value::Null } else { json!(hc.extra_hosts) },
            "IpcMode": hc.ipc_mode,
            "PidMode": if hc.pid_mode == "private" { String::new() } else { hc.pid_mode.clone() },
            "CgroupnsMode": hc.cgroup_mode,
            "CgroupParent": hc.cgroup_parent,
            "Devices": hc.devices.iter().map(|d| json!({
                "PathOnHost": d.path_on_host,
                "PathInContainer": d.path_in_container,
                "CgroupPermissions": d.cgroup_permissions,
            })).collect::<Vec<_>>(),
            "DeviceCgroupRules": hc.device_cgroup_rules,
            "Sysctls": hc.sysctls,
            "GroupAdd": hc.group_add,
            "OomScoreAdj": hc.oom_score_adj,
            "Privileged": hc.privileged,
            "PublishAllPorts": false,
            "ReadonlyRootfs": hc.readonly_rootfs,
            "SecurityOpt": if hc.security_opt.is_empty() { Value::Null } else { json!(hc.security_opt) },
            "Tmpfs": hc.tmpfs,
            "UTSMode": if hc.uts_mode == "private" { String::new() } else { hc.uts_mode.clone() },
            "UsernsMode": hc.userns_mode,
            "ShmSize": hc.shm_size,
            "Runtime": i.oci_runtime,
            "Memory": hc.memory,
            "NanoCpus": hc.nano_cpus,
            "PidsLimit": if hc.pids_limit == 0 { Value::Null } else { json!(hc.pids_limit) },
            "Ulimits": hc.ulimits.iter().map(|u| json!({
                "Name": u.name.trim_start_matches("RLIMIT_").to_ascii_lowercase(),
                "Soft": u.soft,
                "Hard": u.hard,
            })).collect::<Vec<_>>(),
            "Init": hc.init,
        },
        "GraphDriver": { "Name": i.graph_driver.name, "Data": i.graph_driver.data },
        "Mounts": i.mounts.iter().map(|m| json!({
            "Type": m.kind,
            "Source": m.source,
            "Destination": m.destination,
            "Mode": m.mode,
            "RW": m.rw,
            "Propagation": m.propagation,
        })).collect::<Vec<_>>(),
        "Config": {
            "Hostname": i.config.hostname,
            "Domainname": hc.sysctls.get("kernel.domainname").cloned().unwrap_or_default(),
            "User": i.config.user,
            "AttachStdin": i.config.attach_stdin,
            "AttachStdout": true,
            "AttachStderr": true,
            "Tty": i.config.tty,
            "OpenStdin": i.config.open_stdin,
            "StdinOnce": i.config.stdin_once,
            "Env": i.config.env,
            "Cmd": cfg.cmd,
            "Image": i.config.image,
            "Volumes": anonymous_volumes(cfg),
            "ExposedPorts": exposed_ports(cfg),
            "WorkingDir": i.config.working_dir,
            "Entrypoint": if cfg.entrypoint.is_empty() { Value::Null } else { json!(cfg.entrypoint) },
            "OnBuild": null,
            "Labels": i.config.labels,
            "StopSignal": libpod::container::signal_name(i.config.stop_signal),
            "StopTimeout": i.config.stop_timeout,
            "Healthcheck": i.config.healthcheck.as_ref().map(|h| json!({
                "Test": h.test,
                "Interval": h.interval as u64,
                "Timeout": h.timeout as u64,
                "StartPeriod": h.start_period as u64,
                "Retries": h.retries,
            })),
        },
        "NetworkSettings": network_settings(c),
    });
    // A container with a health check has `State.Health` from its creation
    // on ("starting" until a check ran); others have none, as from Docker.
    if cfg.health.is_some() {
        doc["State"]["Health"] = json!({
            "Status": if i.state.health.status.is_empty() { "starting".to_string() } else { i.state.health.status.clone() },
            "FailingStreak": i.state.health.failing_streak,
            "Log": i.state.health.log,
        });
    }
    // Resource and path settings, in a second document (one `json!` of
    // the whole would exceed the macro's recursion limit).
    let resources = json!({
            "Cgroup": hc.cgroup,
            "Links": hc.links,
            "ConsoleSize": hc.console_size,
            "Isolation": hc.isolation,
            "CpuShares": hc.cpu_shares,
            "CpuPeriod": hc.cpu_period,
            "CpuQuota": hc.cpu_quota,
            "CpuRealtimePeriod": hc.cpu_realtime_period,
            "CpuRealtimeRuntime": hc.cpu_realtime_runtime,
            "CpusetCpus": hc.cpuset_cpus,
            "CpusetMems": hc.cpuset_mems,
            "CpuCount": hc.cpu_count,
            "CpuPercent": hc.cpu_percent,
            "BlkioWeight": hc.blkio_weight,
            "BlkioWeightDevice": hc.blkio_weight_device,
            "BlkioDeviceReadBps": hc.blkio_device_read_bps,
            "BlkioDeviceWriteBps": hc.blkio_device_write_bps,
            "BlkioDeviceReadIOps": hc.blkio_device_read_iops,
            "BlkioDeviceWriteIOps": hc.blkio_device_write_iops,
            "IOMaximumIOps": hc.io_maximum_iops,
            "IOMaximumBandwidth": hc.io_maximum_bandwidth,
            "KernelMemory": hc.kernel_memory,
            "KernelMemoryTCP": 0,
            "MemoryReservation": hc.memory_reservation,
            "MemorySwap": hc.memory_swap,
            "MemorySwappiness": if hc.memory_swappiness < 0 { Value::Null } else { json!(hc.memory_swappiness) },
            "OomKillDisable": hc.oom_kill_disable,
            "DeviceRequests": null,
            "MaskedPaths": masked,
            "ReadonlyPaths": readonly,
    });
    if let (Some(out), Value::Object(more)) = (doc["HostConfig"].as_object_mut(), resources) {
        out.extend(more);
    }
    if let (Some(rw), Some(rootfs)) = (i.size_rw, i.size_root_fs) {
        doc["SizeRw"] = json!(rw);
        doc["SizeRootFs"] = json!(rootfs);
    }
    Ok(doc)
}

/// A row of `GET /containers/json`.
pub fn summary(c: &Container<'_>, size: bool) -> Result<Value> {
    let e = c.ps_entry(size)?;
    let cfg = c.config();
    let mut doc = json!({
        "Id": e.id,
        "Names": e.names.iter().map(|n| format!("/{n}")).collect::<Vec<_>>(),
        "Image": e.image,
        "ImageID": image_id(&e.image_id),
        "Command": e.command.join(" "),
        "Created": e.created,
        "Ports": ports_list(c),
        "Labels": e.labels,
        "State": e.state,
        "Status": status_text(c),
        "HostConfig": { "NetworkMode": cfg.network.as_str() },
        "NetworkSettings": { "Networks": network_settings(c)["Networks"].clone() },
        "Mounts": cfg.mounts.iter().map(|m| json!({
            "Type": match m.kind { libpod::container::MountKind::Bind => "bind", libpod::container::MountKind::Tmpfs => "tmpfs", libpod::container::MountKind::Volume => "volume", libpod::container::MountKind::Devpts => "devpts" },
            "Source": m.source.as_ref().map(|s| s.display().to_string()).unwrap_or_default(),
            "Destination": m.destination,
            "Mode": "",
            "RW": !m.read_only(),
            "Propagation": "",
        })).collect::<Vec<_>>(),
    });
    if let Some(s) = e.size {
        doc["SizeRw"] = json!(s.rw_size);
        doc["SizeRootFs"] = json!(s.root_fs_size);
    }
    Ok(doc)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn create_request_maps() {
        let body = r#"{"Image":"busybox","Cmd":["echo","hi"],"Env":["A=1"],"Tty":true,
            "HostConfig":{"AutoRemove":true,"Memory":1048576,"NanoCpus":1500000000,
            "NetworkMode":"default","Binds":["/tmp:/data:ro"],"Tmpfs":{"/run":"size=1m"},
            "Ulimits":[{"Name":"nofile","Soft":10,"Hard":20}],
            "RestartPolicy":{"Name":"","MaximumRetryCount":0}},
            "Healthcheck":{"Test":["CMD-SHELL","true"],"Interval":2000000000}}"#;
        let req: CreateRequest = serde_json::from_str(body).unwrap();
        let o = req.into_options(Some("x".into())).unwrap();
        assert_eq!(o.command, vec!["echo", "hi"]);
        assert!(o.tty && o.auto_remove);
        assert_eq!(o.resources.memory, Some(1 << 20));
        assert_eq!(o.resources.cpus, Some(1.5));
        assert_eq!(o.network.as_str(), "bridge");
        assert_eq!(o.mounts.len(), 2);
        assert_eq!(o.ulimits[0].soft, 10);
        assert_eq!(o.health.cmd.as_deref(), Some("true"));
        assert_eq!(o.health.interval.as_deref(), Some("2000ms"));
        assert_eq!(o.name.as_deref(), Some("x"));
    }

    #[test]
    fn create_request_refuses() {
        let r: CreateRequest = serde_json::from_str(r#"{"Cmd":"sh"}"#).unwrap();
        assert!(r.into_options(None).is_err());
        let r: CreateRequest =
            serde_json::from_str(r#"{"Image":"b","HostConfig":{"NetworkMode":"no:such"}}"#)
                .unwrap();
        assert!(matches!(r.into_options(None), Err(Error::BadRequest(_))));
        let r: CreateRequest =
            serde_json::from_str(r#"{"Image":"b","HostConfig":{"Binds":["/a:rel"]}}"#).unwrap();
        assert!(r.into_options(None).is_err());
    }

    #[test]
    fn create_request_networks_and_ports() {
        let body = r#"{"Image":"b","ExposedPorts":{"80/tcp":{}},"Volumes":{"/data":{}},
            "HostConfig":{"NetworkMode":"proj_default",
              "PortBindings":{"80/tcp":[{"HostIp":"127.0.0.1","HostPort":"8080"}],"53/udp":[{"HostIp":"","HostPort":""}]}},
            "NetworkingConfig":{"EndpointsConfig":{"proj_default":{"Aliases":["web"]},"other":null}}}"#;
        let req: CreateRequest = serde_json::from_str(body).unwrap();
        let o = req.into_options(None).unwrap();
        assert_eq!(o.net.networks, vec!["proj_default", "other"]);
        // Aliases belong to their network.
        assert!(o.net.aliases.is_empty());
        assert_eq!(o.net.network_options["proj_default"].aliases, vec!["web"]);
        assert!(!o.net.network_options.contains_key("other"));
        let ports: Vec<String> = o
            .net
            .ports
            .iter()
            .map(|m| {
                format!(
                    "{}:{}:{}/{}",
                    m.host_ip, m.host_port, m.container_port, m.protocol
                )
            })
            .collect();
        assert!(
            ports.contains(&"127.0.0.1:8080:80/tcp".to_string()),
            "{ports:?}"
        );
        assert!(ports.contains(&":0:53/udp".to_string()), "{ports:?}");
        assert_eq!(o.net.expose, vec!["80/tcp"]);
        assert_eq!(o.mounts.len(), 1);
    }

    #[test]
    fn ids() {
        assert_eq!(image_id("abc"), "sha256:abc");
        assert_eq!(image_id("sha256:abc"), "sha256:abc");
        assert_eq!(image_id(""), "");
    }
}

/// The body of `POST /commit`: the configuration the new image gets on
/// top of the container's (Docker's `ContainerConfig`).
#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "PascalCase", default)]
pub struct CommitConfig {
    pub cmd: Option<StringOrList>,
    pub entrypoint: Option<StringOrList>,
    pub env: Option<Vec<String>>,
    pub labels: Option<BTreeMap<String, String>>,
    pub working_dir: Option<String>,
    pub user: Option<String>,
    pub exposed_ports: Option<BTreeMap<String, Value>>,
    pub volumes: Option<BTreeMap<String, Value>>,
    pub stop_signal: Option<String>,
    #[serde(flatten)]
    pub other: BTreeMap<String, Value>,
}

/// A command given as a list or as one string (run by `/bin/sh -c`).
#[derive(Debug, Deserialize)]
#[serde(untagged)]
pub enum StringOrList {
    One(String),
    List(Vec<String>),
}

impl StringOrList {
    fn into_list(self) -> Vec<String> {
        match self {
            StringOrList::One(s) if s.is_empty() => Vec::new(),
            StringOrList::One(s) => vec!["/bin/sh".into(), "-c".into(), s],
            StringOrList::List(l) => l,
        }
    }
}

impl CommitConfig {
    /// The image configuration to set, or the first field rpod cannot set
    /// on an image (`Hostname`, `Tty`, …: those belong to containers).
    pub fn into_image_config(self) -> std::result::Result<oci_spec::image::Config, String> {
        if let Some((k, _)) = self.other.iter().find(|(k, v)| {
            !unset(v) && !WITHOUT_EFFECT.contains(&k.as_str()) && k.as_str() != "Image"
        }) {
            return Err(format!(
                "{k} cannot be committed into an image: rpod commits Cmd, Entrypoint, Env, Labels, WorkingDir, User, ExposedPorts, Volumes and StopSignal"
            ));
        }
        let mut c = oci_spec::image::Config::default();
        c.set_cmd(self.cmd.map(StringOrList::into_list));
        c.set_entrypoint(self.entrypoint.map(StringOrList::into_list));
        c.set_env(self.env);
        c.set_labels(self.labels.map(|l| l.into_iter().collect()));
        c.set_working_dir(self.working_dir.filter(|w| !w.is_empty()));
        c.set_user(self.user.filter(|u| !u.is_empty()));
        c.set_exposed_ports(self.exposed_ports.map(|p| p.into_keys().collect()));
        c.set_volumes(self.volumes.map(|v| v.into_keys().collect()));
        c.set_stop_signal(self.stop_signal.filter(|s| !s.is_empty()));
        Ok(c)
    }
}
