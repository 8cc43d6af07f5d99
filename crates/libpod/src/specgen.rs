//! Podman's `SpecGenerator`: the typed container-creation request in its JSON form (the
//! body of the libpod API's `POST /libpod/containers/create`, with Podman's field names, as
//! `podman --remote` and podman-py send it), mapped onto the engine's [`CreateOptions`].
//! A field rpod does not apply is refused by name when it carries a value, never dropped.

use std::collections::BTreeMap;

use crate::container::options::{MountSpec, Ulimit};
use crate::container::Resources;
use crate::container::SecurityOpt;
use crate::error::{Error, Result};
use crate::{CreateOptions, NetworkMode, NetworkRequest};
use serde::Deserialize;
use serde_json::Value;

/// The parts of a `SpecGenerator` rpod maps (snake_case, as Podman sends).
#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct SpecGenerator {
    pub name: String,
    pub image: String,
    pub command: Vec<String>,
    pub entrypoint: Option<Vec<String>>,
    pub env: BTreeMap<String, String>,
    pub work_dir: String,
    pub user: String,
    pub hostname: String,
    pub labels: BTreeMap<String, String>,
    pub annotations: BTreeMap<String, String>,
    pub terminal: bool,
    pub stdin: bool,
    pub remove: bool,
    pub privileged: bool,
    pub read_only_filesystem: bool,
    pub cap_add: Vec<String>,
    pub cap_drop: Vec<String>,
    pub seccomp_policy: String,
    pub seccomp_profile_path: String,
    pub no_new_privileges: bool,
    pub selinux_opts: Vec<String>,
    pub apparmor_profile: String,
    pub mask: Vec<String>,
    pub unmask: Vec<String>,
    pub procfs_opts: Vec<String>,
    pub pod: String,
    /// `--init-ctr`: `always` or `once`.
    pub init_container_type: String,
    pub restart_policy: String,
    pub restart_tries: Option<u32>,
    pub init: bool,
    pub stop_signal: Option<i64>,
    pub stop_timeout: Option<u32>,
    pub netns: Option<Namespace>,
    /// Podman 4's Go tag for this field is `Networks`; later ones `networks`.
    #[serde(alias = "Networks")]
    pub networks: BTreeMap<String, PerNetwork>,
    pub portmappings: Vec<PortMapping>,
    pub expose: BTreeMap<String, String>,
    pub publish_image_ports: bool,
    pub mounts: Vec<SpecMount>,
    pub volumes: Vec<NamedVolume>,
    pub resource_limits: Option<Value>,
    /// `--umask`, octal text.
    pub umask: String,
    /// `--tz`.
    pub timezone: String,
    /// `--timeout`, seconds.
    pub timeout: u64,
    /// `--volumes-from`.
    pub volumes_from: Vec<String>,
    /// `--image-volume`: `bind` (also `anonymous`), `tmpfs` or `ignore`.
    pub image_volume_mode: String,
    pub unsetenv: Vec<String>,
    pub unsetenvall: bool,
    pub r_limits: Vec<RLimit>,
    pub log_configuration: Option<LogConfiguration>,
    pub dns_server: Vec<String>,
    pub dns_search: Vec<String>,
    pub dns_option: Vec<String>,
    pub hostadd: Vec<String>,
    /// Secrets given as files (`--secret NAME,type=mount`).
    pub secrets: Vec<SpecSecret>,
    /// Secrets given as environment variables: variable → secret name.
    pub secret_env: BTreeMap<String, String>,
    /// `Config.CreateCommand`: the client's command line.
    #[serde(rename = "containerCreateCommand")]
    pub container_create_command: Vec<String>,
    /// The image reference as the user typed it (the same image as `image`).
    pub raw_image_name: String,
    /// `--systemd`: `true` (the default), `false` or `always`.
    pub systemd: String,
    /// `--sdnotify`.
    #[serde(rename = "sdnotifyMode")]
    pub sdnotify_mode: String,
    /// `--http-proxy`: the service's proxy variables go into the container.
    pub httpproxy: bool,
    /// `--passwd`: an entry for a `--user` missing from the image's passwd.
    pub manage_password: Option<bool>,
    /// `--cgroups`: only `enabled` (the default).
    pub cgroups_mode: String,
    /// Volatile storage (`--rm` containers): rpod never syncs a container's layer to
    /// disk anyway, so every container's storage is volatile.
    pub volatile: bool,
    /// Every other field of the request: refused by name when it holds a value
    /// ([`SpecGenerator::unapplied`]).
    #[serde(flatten)]
    pub other: BTreeMap<String, Value>,
}

/// Values of fields rpod does not read that ask for what it does anyway.
fn means_the_default(key: &str, v: &Value) -> bool {
    let mode = v["nsmode"].as_str().unwrap_or("");
    match key {
        "cgroupns" | "ipcns" | "pidns" | "utsns" => matches!(mode, "" | "private" | "default"),
        "userns" => matches!(mode, "" | "host" | "default"),
        // The host's IDs: no maps, no automatic user namespace.
        "idmappings" => {
            !["UIDMap", "GIDMap"].iter().any(|k| has_value(&v[*k]))
                && v["AutoUserNs"].as_bool() != Some(true)
        }
        _ => false,
    }
}

/// The names of the fields of a request (`other`: the ones its type does not read) that
/// hold a value asking for something rpod would not do, sorted.
pub fn unapplied_fields(other: &BTreeMap<String, Value>) -> Vec<String> {
    other
        .iter()
        .filter(|(k, v)| has_value(v) && !means_the_default(k, v))
        .map(|(k, _)| k.clone())
        .collect()
}

/// Whether a JSON value says something: not null, false, 0, "" or empty (recursively), as
/// clients send fields they do not use.
pub fn has_value(v: &Value) -> bool {
    match v {
        Value::Null => false,
        Value::Bool(b) => *b,
        Value::Number(n) => n.as_f64() != Some(0.0),
        Value::String(s) => !s.is_empty(),
        Value::Array(a) => a.iter().any(has_value),
        Value::Object(o) => o.values().any(has_value),
    }
}

/// `secrets[]` (Podman's `specgen.Secret`; a `Mode` of 0 means the default).
#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct SpecSecret {
    #[serde(rename = "Source")]
    pub source: String,
    #[serde(rename = "Target")]
    pub target: String,
    #[serde(rename = "UID")]
    pub uid: u32,
    #[serde(rename = "GID")]
    pub gid: u32,
    #[serde(rename = "Mode")]
    pub mode: u32,
}

/// `netns`.
#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct Namespace {
    pub nsmode: String,
    pub value: String,
}

/// A network's options.
#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct PerNetwork {
    pub aliases: Vec<String>,
    pub static_ips: Vec<std::net::IpAddr>,
    /// `aa:bb:cc:dd:ee:ff` (Podman writes its MAC type as text).
    pub static_mac: String,
    pub interface_name: String,
}

/// `portmappings[]`.
#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct PortMapping {
    pub host_ip: String,
    pub container_port: u16,
    pub host_port: u16,
    pub range: u16,
    pub protocol: String,
}

/// `mounts[]` (OCI mounts).
#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct SpecMount {
    pub destination: String,
    #[serde(rename = "type")]
    pub kind: String,
    pub source: String,
    pub options: Vec<String>,
}

/// `volumes[]` (named volumes).
#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "PascalCase", default)]
pub struct NamedVolume {
    pub name: String,
    pub dest: String,
    pub options: Vec<String>,
}

/// `r_limits[]`.
#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct RLimit {
    #[serde(rename = "type")]
    pub kind: String,
    pub hard: u64,
    pub soft: u64,
}

/// `log_configuration`.
#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct LogConfiguration {
    pub driver: String,
}

fn bad(m: String) -> Error {
    Error::InvalidArgument(m)
}

impl SpecGenerator {
    /// The fields of the request that rpod would not apply although they hold a value
    /// (values that mean the default are fine: `"private"` namespaces, the host's user
    /// namespace, …).
    pub fn unapplied(&self) -> Vec<String> {
        let mut out = unapplied_fields(&self.other);
        if !matches!(self.cgroups_mode.as_str(), "" | "enabled") {
            out.push("cgroups_mode".into());
        }
        out.sort();
        out
    }

    /// The engine request.
    pub fn into_options(self) -> Result<CreateOptions> {
        if self.image.is_empty() {
            return Err(bad("image is required".into()));
        }
        let unapplied = self.unapplied();
        if !unapplied.is_empty() {
            return Err(Error::Unsupported(format!(
                "container create: {} not supported by rpod yet",
                match unapplied.as_slice() {
                    [one] => format!("the field {one} is"),
                    many => format!("the fields {} are", many.join(", ")),
                }
            )));
        }
        let command_is_init = self
            .command
            .first()
            .or(self.entrypoint.as_ref().and_then(|e| e.first()))
            .map(|c| c.rsplit('/').next().unwrap_or(c))
            .is_some_and(|c| c == "systemd" || c == "init");
        match (self.systemd.as_str(), command_is_init) {
            ("" | "false", _) | ("true", false) => {}
            ("true" | "always", _) => {
                return Err(Error::Unsupported(format!(
                    "systemd {:?} (systemd mode) is not supported yet",
                    self.systemd
                )))
            }
            (other, _) => {
                return Err(bad(format!(
                    "invalid systemd {other:?}: use true, false or always"
                )))
            }
        }
        let sdnotify = match self.sdnotify_mode.as_str() {
            "" => Default::default(),
            m => m.parse()?,
        };
        let create_command = {
            let args = self.container_create_command.clone();
            args.iter()
                .rposition(|a| *a == self.raw_image_name || *a == self.image)
                .map(|image_index| crate::systemd::CreateCommand { args, image_index })
        };
        let proxy_env = if self.httpproxy {
            crate::container::options::proxy_env()
        } else {
            Vec::new()
        };
        let passwd = self.manage_password.unwrap_or(true);
        let secrets = self.secret_requests();
        let mut net = NetworkRequest::default();
        let network = match self.netns.as_ref().map(|n| n.nsmode.as_str()).unwrap_or("") {
            "" | "bridge" | "default" => NetworkMode::Bridge,
            "host" => NetworkMode::Host,
            "none" | "private" => NetworkMode::None,
            other => {
                let text = match self.netns.as_ref().map(|n| n.value.as_str()) {
                    Some(v) if !v.is_empty() => format!("{other}:{v}"),
                    _ => other.to_string(),
                };
                text.parse::<NetworkMode>()
                    .map_err(|e| bad(format!("netns {text:?}: {e}")))?
            }
        };
        for (name, per) in &self.networks {
            net.networks.push(name.clone());
            net.network_options.insert(
                name.clone(),
                network::NetworkFlagOptions {
                    aliases: per.aliases.clone(),
                    ips: per.static_ips.clone(),
                    mac: (!per.static_mac.is_empty()).then(|| per.static_mac.clone()),
                    interface_name: (!per.interface_name.is_empty())
                        .then(|| per.interface_name.clone()),
                },
            );
        }
        for p in &self.portmappings {
            let proto = if p.protocol.is_empty() {
                "tcp"
            } else {
                &p.protocol
            };
            // Podman sends `tcp,udp` for both protocols.
            for proto in proto.split(',') {
                net.ports.extend(network::port_mapping(
                    &p.host_ip,
                    p.host_port,
                    p.container_port,
                    p.range,
                    proto,
                )?);
            }
        }
        net.publish_all = self.publish_image_ports;
        net.expose = self
            .expose
            .iter()
            .map(|(port, proto)| format!("{port}/{}", if proto.is_empty() { "tcp" } else { proto }))
            .collect();
        net.dns = self.dns_server;
        net.dns_search = self.dns_search;
        net.dns_options = self.dns_option;
        net.add_hosts = self.hostadd;
        let mut mounts = Vec::new();
        for m in &self.mounts {
            mounts.push(spec_mount(m)?);
        }
        for v in &self.volumes {
            let opts = v.options.join(",");
            let text = if opts.is_empty() {
                format!("{}:{}", v.name, v.dest)
            } else {
                format!("{}:{}:{opts}", v.name, v.dest)
            };
            mounts.push(MountSpec::parse_volume(&text)?);
        }
        let limits = self.resource_limits.unwrap_or(Value::Null);
        let memory = limits["memory"]["limit"].as_i64().filter(|m| *m > 0);
        let quota = limits["cpu"]["quota"].as_i64().filter(|q| *q > 0);
        let period = limits["cpu"]["period"]
            .as_u64()
            .filter(|p| *p > 0)
            .unwrap_or(100_000);
        let pids = limits["pids"]["limit"].as_i64().filter(|p| *p != 0);
        let ulimits = self
            .r_limits
            .iter()
            .map(|r| {
                let name = r.kind.to_ascii_lowercase();
                Ulimit::new(name.trim_start_matches("rlimit_"), r.soft, r.hard)
            })
            .collect::<crate::Result<Vec<_>>>()?;
        let restart_policy = {
            use crate::container::policy::{RestartPolicy, RestartPolicyName as N};
            let name = match self.restart_policy.as_str() {
                "" | "no" => None,
                "on-failure" => Some(N::OnFailure),
                "always" => Some(N::Always),
                "unless-stopped" => Some(N::UnlessStopped),
                other => {
                    return Err(bad(format!(
                        "invalid restart_policy {other:?}: use no, on-failure, always or unless-stopped"
                    )))
                }
            };
            name.map(|name| RestartPolicy {
                name,
                max_retries: match name {
                    N::OnFailure => self.restart_tries.unwrap_or(0),
                    _ => 0,
                },
            })
        };
        let log_driver = self
            .log_configuration
            .map(|l| l.driver)
            .filter(|d| !d.is_empty());
        let mut security_opts = Vec::new();
        if !self.seccomp_profile_path.is_empty() {
            security_opts.push(SecurityOpt::Seccomp(self.seccomp_profile_path.clone()));
        }
        if self.no_new_privileges {
            security_opts.push(SecurityOpt::NoNewPrivileges(true));
        }
        if !self.apparmor_profile.is_empty() {
            security_opts.push(SecurityOpt::AppArmor(self.apparmor_profile.clone()));
        }
        for label in &self.selinux_opts {
            security_opts.push(SecurityOpt::parse(&format!("label={label}"))?);
        }
        if !self.mask.is_empty() {
            security_opts.push(SecurityOpt::parse(&format!(
                "mask={}",
                self.mask.join(":")
            ))?);
        }
        if !self.unmask.is_empty() {
            security_opts.push(SecurityOpt::parse(&format!(
                "unmask={}",
                self.unmask.join(":")
            ))?);
        }
        if !self.procfs_opts.is_empty() {
            security_opts.push(SecurityOpt::ProcOpts(self.procfs_opts.clone()));
        }
        Ok(CreateOptions {
            secrets,
            name: Some(self.name).filter(|n| !n.is_empty()),
            image: Some(self.image),
            command: self.command,
            entrypoint: self.entrypoint,
            env: proxy_env
                .into_iter()
                .chain(self.env.into_iter().map(|(k, v)| format!("{k}={v}")))
                .collect(),
            sdnotify,
            create_command,
            passwd,
            workdir: Some(self.work_dir).filter(|w| !w.is_empty()),
            user: Some(self.user).filter(|u| !u.is_empty()),
            hostname: Some(self.hostname).filter(|h| !h.is_empty()),
            labels: self.labels,
            annotations: self.annotations,
            stop_signal: self.stop_signal.filter(|s| *s > 0).map(|s| s.to_string()),
            stop_timeout: self.stop_timeout,
            read_only: self.read_only_filesystem,
            privileged: self.privileged,
            cap_add: self.cap_add,
            cap_drop: self.cap_drop,
            security_opts,
            seccomp_policy: Some(self.seccomp_policy).filter(|p| !p.is_empty()),
            ulimits,
            resources: Resources {
                memory: memory.map(|m| m as u64),
                cpus: quota.map(|q| q as f64 / period as f64),
                pids_limit: pids,
                cpu_shares: limits["cpu"]["shares"].as_u64().filter(|v| *v > 0),
                cpu_rt_period: limits["cpu"]["realtimePeriod"].as_u64().filter(|v| *v > 0),
                cpu_rt_runtime: limits["cpu"]["realtimeRuntime"]
                    .as_i64()
                    .filter(|v| *v != 0),
                cpuset_cpus: limits["cpu"]["cpus"]
                    .as_str()
                    .filter(|s| !s.is_empty())
                    .map(str::to_string),
                cpuset_mems: limits["cpu"]["mems"]
                    .as_str()
                    .filter(|s| !s.is_empty())
                    .map(str::to_string),
                memory_reservation: limits["memory"]["reservation"].as_u64().filter(|v| *v > 0),
                memory_swap: limits["memory"]["swap"].as_i64().filter(|v| *v != 0),
                memory_swappiness: limits["memory"]["swappiness"]
                    .as_u64()
                    .filter(|v| *v <= 100),
                oom_kill_disable: limits["memory"]["disableOOMKiller"]
                    .as_bool()
                    .unwrap_or(false),
                ..Resources::default()
            },
            unset_env: self.unsetenv,
            unset_env_all: self.unsetenvall,
            umask: match self.umask.as_str() {
                "" => None,
                text => {
                    Some(u32::from_str_radix(text, 8).map_err(|_| {
                        bad(format!("invalid umask string {text}: invalid argument"))
                    })?)
                }
            },
            init: self.init,
            mounts,
            timezone: Some(self.timezone).filter(|t| !t.is_empty()),
            timeout: Some(self.timeout).filter(|t| *t > 0),
            volumes_from: self.volumes_from,
            image_volume: match self.image_volume_mode.as_str() {
                "" => Default::default(),
                mode => mode.parse().map_err(|e: crate::Error| bad(e.to_string()))?,
            },
            network,
            net,
            tty: self.terminal,
            interactive: self.stdin,
            log_driver,
            auto_remove: self.remove,
            restart_policy,
            pod: Some(self.pod).filter(|p| !p.is_empty()),
            init_container: match self.init_container_type.as_str() {
                "" => None,
                t => Some(t.parse().map_err(|e: crate::Error| bad(e.to_string()))?),
            },
            ..Default::default()
        })
    }
}

impl SpecGenerator {
    /// `secrets` and `secret_env` as the engine's requests.
    fn secret_requests(&self) -> Vec<crate::secrets::SecretRequest> {
        use crate::secrets::{SecretKind, SecretRequest};
        let mounts = self.secrets.iter().map(|s| SecretRequest {
            source: s.source.clone(),
            kind: SecretKind::Mount,
            target: Some(s.target.clone()).filter(|t| !t.is_empty()),
            uid: Some(s.uid),
            gid: Some(s.gid),
            mode: Some(s.mode).filter(|m| *m != 0),
        });
        let envs = self.secret_env.iter().map(|(var, name)| SecretRequest {
            source: name.clone(),
            kind: SecretKind::Env,
            target: Some(var.clone()),
            ..Default::default()
        });
        mounts.chain(envs).collect()
    }
}

/// Option words of a bind mount Podman sends (`-v` and `--mount` words;
/// relabelling is dropped: rpod has no SELinux labels).
const BIND_WORDS: &[&str] = &[
    "ro", "rw", "rbind", "bind", "nosuid", "suid", "nodev", "dev", "noexec", "exec", "private",
    "rprivate", "shared", "rshared", "slave", "rslave", "U",
];

/// `mounts[]` as a typed mount; an option rpod does not apply is refused.
fn spec_mount(m: &SpecMount) -> Result<MountSpec> {
    use crate::container::MountKind;
    let kind = match m.kind.as_str() {
        "bind" => MountKind::Bind,
        "tmpfs" => MountKind::Tmpfs,
        "devpts" => MountKind::Devpts,
        "volume" => MountKind::Volume,
        other => return Err(bad(format!("mount type {other:?} is not supported"))),
    };
    let mut options = Vec::new();
    for o in &m.options {
        let keep = match kind {
            _ if o == "z" || o == "Z" => false,
            MountKind::Bind | MountKind::Volume => {
                if BIND_WORDS.contains(&o.as_str()) || (kind == MountKind::Volume && o == "nocopy")
                {
                    true
                } else {
                    return Err(bad(format!(
                        "mount at {}: option {o:?} is not supported",
                        m.destination
                    )));
                }
            }
            // tmpfs and devpts options go to the kernel as given.
            MountKind::Tmpfs | MountKind::Devpts => true,
        };
        if keep {
            options.push(o.clone());
        }
    }
    // Podman names a tmpfs's source `tmpfs` (and a devpts's `devpts`).
    let source = match kind {
        MountKind::Bind | MountKind::Volume => Some(m.source.clone()),
        MountKind::Tmpfs | MountKind::Devpts => None,
    };
    MountSpec::from_parts(kind, source, &m.destination, options)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn podman_run_spec() {
        let body = r#"{"name":"x","image":"busybox","command":["echo","hi"],"remove":true,
            "env":{"A":"1"},"netns":{"nsmode":"bridge"},"networks":{"n1":{"aliases":["a"],"static_ips":["fd5a:1::9"],"static_mac":"92:d0:c6:0a:29:33"}},
            "portmappings":[{"host_ip":"127.0.0.1","container_port":80,"host_port":8080,"protocol":"tcp"}],
            "resource_limits":{"memory":{"limit":1048576}},"stop_signal":15}"#;
        let s: SpecGenerator = serde_json::from_str(body).unwrap();
        let o = s.into_options().unwrap();
        assert_eq!(o.command, vec!["echo", "hi"]);
        assert!(o.auto_remove);
        assert_eq!(o.env, vec!["A=1"]);
        assert_eq!(o.net.networks, vec!["n1"]);
        let n1 = &o.net.network_options["n1"];
        assert_eq!(n1.aliases, vec!["a"]);
        assert_eq!(n1.ips[0].to_string(), "fd5a:1::9");
        assert_eq!(n1.mac.as_deref(), Some("92:d0:c6:0a:29:33"));
        let m = &o.net.ports[0];
        assert_eq!(
            (
                m.host_ip.as_str(),
                m.host_port,
                m.container_port,
                m.protocol.as_str()
            ),
            ("127.0.0.1", 8080, 80, "tcp")
        );
        assert_eq!(o.resources.memory, Some(1 << 20));
        assert_eq!(o.stop_signal.as_deref(), Some("15"));
        let s: SpecGenerator = serde_json::from_str(r#"{"command":["x"]}"#).unwrap();
        assert!(s.into_options().is_err());
    }

    #[test]
    fn tz_timeout_volumes_from_and_image_volume_are_applied_or_refused() {
        let body = r#"{"image":"busybox","timezone":"Europe/Berlin","timeout":5,
            "volumes_from":["src:ro"],"image_volume_mode":"tmpfs"}"#;
        let o = serde_json::from_str::<SpecGenerator>(body)
            .unwrap()
            .into_options()
            .unwrap();
        assert_eq!(o.timezone.as_deref(), Some("Europe/Berlin"));
        assert_eq!(o.timeout, Some(5));
        assert_eq!(o.volumes_from, vec!["src:ro"]);
        assert_eq!(o.image_volume, crate::container::ImageVolumeMode::Tmpfs);
        let bad = r#"{"image":"busybox","image_volume_mode":"nope"}"#;
        assert!(serde_json::from_str::<SpecGenerator>(bad)
            .unwrap()
            .into_options()
            .is_err());
    }

    #[test]
    fn fields_with_values_rpod_does_not_apply_are_refused_by_name() {
        // What podman --remote sends for a plain run is all applied or the default.
        let body = r#"{"image":"busybox","raw_image_name":"busybox","systemd":"true",
            "sdnotifyMode":"container","httpproxy":true,"manage_password":true,
            "cgroups_mode":"enabled","volatile":true,
            "idmappings":{"HostUIDMapping":true,"HostGIDMapping":true,"UIDMap":null,"GIDMap":null,"AutoUserNs":false},
            "containerCreateCommand":["podman","--remote","run","busybox","true"],
            "ipcns":{"nsmode":"private"},"userns":{"nsmode":"host"},"oci_runtime":""}"#;
        let s: SpecGenerator = serde_json::from_str(body).unwrap();
        assert!(s.unapplied().is_empty(), "{:?}", s.unapplied());
        let o = s.into_options().unwrap();
        assert_eq!(o.create_command.unwrap().image_index, 3);
        assert!(o.passwd);
        // A field with a value rpod would drop is named.
        let body =
            r#"{"image":"busybox","hostusers":["u"],"cgroups_mode":"split","unknown_zero":0}"#;
        let s: SpecGenerator = serde_json::from_str(body).unwrap();
        assert_eq!(s.unapplied(), vec!["cgroups_mode", "hostusers"]);
        let e = s.into_options().unwrap_err().to_string();
        assert!(e.contains("cgroups_mode, hostusers"), "{e}");
    }
}
