//! How a container is connected ([`NetworkMode`]), what the user asked for
//! ([`NetworkRequest`]) and what is kept with the container
//! ([`ContainerNetConfig`]).

use std::collections::BTreeMap;
use std::fmt;
use std::net::IpAddr;
use std::path::PathBuf;

use serde::{Deserialize, Serialize};

use crate::error::{Error, Result};
use crate::types::{PerNetworkOptions, PortMapping};

/// How a container is connected. Stored as Podman's text form (`none`,
/// `host`, `bridge`, `container:ID`, `ns:PATH`), so configurations written
/// before bridge networks existed still load.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub enum NetworkMode {
    /// Its own network namespace with only a loopback interface.
    None,
    /// The host's network namespace.
    Host,
    /// A namespace made by rpod, connected to one or more networks through
    /// netavark (Podman's default).
    #[default]
    Bridge,
    /// Another container's namespace (its full ID).
    Container(String),
    /// An existing namespace file.
    Ns(PathBuf),
    /// A namespace made by rpod and connected by pasta (rootless), with the
    /// user's pasta options.
    Pasta(Vec<String>),
    /// A namespace made by rpod and connected by slirp4netns (rootless),
    /// with Podman's slirp4netns options.
    Slirp4netns(Vec<String>),
}

impl NetworkMode {
    /// The kind of mode (`none`, `host`, `bridge`, `container`, `ns`);
    /// [`std::fmt::Display`] gives the full text form.
    pub fn as_str(&self) -> &'static str {
        match self {
            NetworkMode::None => "none",
            NetworkMode::Host => "host",
            NetworkMode::Bridge => "bridge",
            NetworkMode::Container(_) => "container",
            NetworkMode::Ns(_) => "ns",
            NetworkMode::Pasta(_) => "pasta",
            NetworkMode::Slirp4netns(_) => "slirp4netns",
        }
    }

    /// True for the user-mode modes (pasta, slirp4netns): rpod makes the
    /// namespace and a helper process of the user's connects it.
    pub fn is_user_mode(&self) -> bool {
        matches!(self, NetworkMode::Pasta(_) | NetworkMode::Slirp4netns(_))
    }

    /// True when rpod makes the namespace and connects it (bridge, pasta,
    /// slirp4netns), so that it can publish ports.
    pub fn is_managed(&self) -> bool {
        self.is_bridge() || self.is_user_mode()
    }

    /// True when rpod makes and sets up the namespace itself.
    pub fn is_bridge(&self) -> bool {
        matches!(self, NetworkMode::Bridge)
    }
}

impl fmt::Display for NetworkMode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            NetworkMode::None => f.write_str("none"),
            NetworkMode::Host => f.write_str("host"),
            NetworkMode::Bridge => f.write_str("bridge"),
            NetworkMode::Container(id) => write!(f, "container:{id}"),
            NetworkMode::Ns(p) => write!(f, "ns:{}", p.display()),
            NetworkMode::Pasta(o) | NetworkMode::Slirp4netns(o) if o.is_empty() => {
                f.write_str(self.as_str())
            }
            NetworkMode::Pasta(o) | NetworkMode::Slirp4netns(o) => {
                write!(f, "{}:{}", self.as_str(), o.join(","))
            }
        }
    }
}

impl From<NetworkMode> for String {
    fn from(m: NetworkMode) -> String {
        m.to_string()
    }
}

impl TryFrom<String> for NetworkMode {
    type Error = Error;
    fn try_from(s: String) -> Result<Self> {
        s.parse()
    }
}

impl std::str::FromStr for NetworkMode {
    type Err = Error;
    /// Parses a single mode word; network names are handled by
    /// [`NetworkRequest::mode_and_networks`].
    fn from_str(s: &str) -> Result<Self> {
        match s {
            "none" => Ok(NetworkMode::None),
            "host" => Ok(NetworkMode::Host),
            "bridge" | "private" | "default" => Ok(NetworkMode::Bridge),
            "pasta" => Ok(NetworkMode::Pasta(Vec::new())),
            "slirp4netns" => Ok(NetworkMode::Slirp4netns(Vec::new())),
            _ => {
                let options = |o: &str| -> Vec<String> {
                    o.split(',')
                        .filter(|x| !x.is_empty())
                        .map(str::to_string)
                        .collect()
                };
                if let Some(o) = s.strip_prefix("pasta:") {
                    return Ok(NetworkMode::Pasta(options(o)));
                }
                if let Some(o) = s.strip_prefix("slirp4netns:") {
                    crate::usermode::SlirpOptions::parse(&options(o))?;
                    return Ok(NetworkMode::Slirp4netns(options(o)));
                }
                if let Some(id) = s.strip_prefix("container:").filter(|x| !x.is_empty()) {
                    Ok(NetworkMode::Container(id.to_string()))
                } else if let Some(p) = s.strip_prefix("ns:").filter(|x| x.starts_with('/')) {
                    Ok(NetworkMode::Ns(PathBuf::from(p)))
                } else {
                    Err(Error::UnsupportedMode(s.to_string()))
                }
            }
        }
    }
}

/// The user's network flags for a new container (`--network`, `--ip`,
/// `--mac-address`, `--network-alias`, `-p`, `-P`, `--dns*`, `--add-host`).
#[derive(Debug, Clone, Default)]
pub struct NetworkRequest {
    /// `--network` values (each may be comma-separated); empty: the default.
    pub networks: Vec<String>,
    /// Settings of a network named in `networks`, typed (the APIs' form of
    /// `NAME:alias=a,ip=…`; they win over options given in the text).
    pub network_options: BTreeMap<String, NetworkFlagOptions>,
    /// `--ip`: the IPv4 address on the one network.
    pub ip: Option<String>,
    /// `--ip6`: the IPv6 address on the one network.
    pub ip6: Option<String>,
    pub mac: Option<String>,
    pub aliases: Vec<String>,
    /// `-p` values.
    pub publish: Vec<String>,
    /// Published ports already typed (the APIs' form), checked with
    /// [`crate::port_mapping`].
    pub ports: Vec<PortMapping>,
    /// `-P`: publish the image's exposed ports on random host ports.
    pub publish_all: bool,
    /// `--expose` values, published by `-P` too.
    pub expose: Vec<String>,
    pub dns: Vec<String>,
    pub dns_search: Vec<String>,
    pub dns_options: Vec<String>,
    /// `--add-host host:ip` values.
    pub add_hosts: Vec<String>,
    /// Docker's links: names of other containers this one reaches under an
    /// alias (container names or IDs, resolved at creation).
    pub links: Vec<Link>,
}

/// A link to another container (Docker's `Links`): `alias` resolves to its
/// address in this container's `/etc/hosts`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Link {
    /// The other container (its ID once created).
    pub container: String,
    pub alias: String,
    /// The network whose address is used (an endpoint's links); `None`:
    /// the first network both containers are on.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub network: Option<String>,
}

impl Link {
    /// Docker's `NAME[:ALIAS]` (a leading `/` allowed, as Docker writes names).
    pub fn parse(text: &str, network: Option<&str>) -> Result<Link> {
        let (name, alias) = text.split_once(':').unwrap_or((text, text));
        let name = name.trim_start_matches('/');
        let alias = alias.rsplit('/').next().unwrap_or(alias);
        if name.is_empty() || alias.is_empty() {
            return Err(Error::Invalid(format!(
                "invalid link {text:?}: expected NAME[:ALIAS]"
            )));
        }
        Ok(Link {
            container: name.to_string(),
            alias: alias.to_string(),
            network: network.map(str::to_string),
        })
    }
}

/// Options given after a network's name: `--network NAME:alias=a,ip=…`.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct NetworkFlagOptions {
    pub aliases: Vec<String>,
    /// `ip=` (IPv4) and `ip6=` (IPv6) addresses.
    pub ips: Vec<IpAddr>,
    pub mac: Option<String>,
    pub interface_name: Option<String>,
}

impl NetworkFlagOptions {
    fn parse(name: &str, text: &str) -> Result<NetworkFlagOptions> {
        let mut o = NetworkFlagOptions::default();
        for opt in text.split(',').filter(|o| !o.is_empty()) {
            match opt.split_once('=') {
                Some(("alias", v)) => o.aliases.push(v.to_string()),
                Some((key @ ("ip" | "ip6"), v)) => {
                    let ip: IpAddr = v.parse().map_err(|_| {
                        Error::Invalid(format!(
                            "invalid option for network {name}: {key}: {v:?} is not an ip address"
                        ))
                    })?;
                    o.ips.push(ip);
                }
                Some(("mac", v)) => o.mac = Some(v.to_string()),
                Some(("interface_name", v)) => o.interface_name = Some(v.to_string()),
                _ => {
                    let key = opt.split('=').next().unwrap_or(opt);
                    return Err(Error::Invalid(format!(
                        "invalid option for network {name}: unknown bridge network option: {key}"
                    )));
                }
            }
        }
        Ok(o)
    }
}

/// The prefixes of `--network` values that are modes, not network names.
const MODE_PREFIXES: &[&str] = &[
    "container",
    "ns",
    "slirp4netns",
    "pasta",
    "host",
    "none",
    "bridge",
    "private",
];

impl NetworkRequest {
    /// The mode and, for bridge mode, the network names asked for (empty
    /// for the default network).
    pub fn mode_and_networks(&self) -> Result<(NetworkMode, Vec<String>)> {
        self.mode_and_network_options()
            .map(|(m, nets)| (m, nets.into_iter().map(|(n, _)| n).collect()))
    }

    /// [`NetworkRequest::mode_and_networks`] with the options given after
    /// each name (`NAME:alias=a,ip=…`).
    pub fn mode_and_network_options(
        &self,
    ) -> Result<(NetworkMode, Vec<(String, NetworkFlagOptions)>)> {
        let mut words: Vec<&str> = Vec::new();
        let mut options: Vec<(String, NetworkFlagOptions)> = Vec::new();
        for value in &self.networks {
            match value.split_once(':') {
                // A user-mode network's options are comma-separated too.
                Some(("pasta" | "slirp4netns", _)) => words.push(value),
                Some((name, opts)) if !name.is_empty() && !MODE_PREFIXES.contains(&name) => {
                    options.push((name.to_string(), NetworkFlagOptions::parse(name, opts)?));
                    words.push(name);
                }
                _ => words.extend(value.split(',').map(str::trim).filter(|w| !w.is_empty())),
            }
        }
        let mut names = Vec::new();
        let mut special = None;
        for w in &words {
            match w.parse::<NetworkMode>() {
                Ok(NetworkMode::Bridge) => {}
                Ok(m) => special = Some(m),
                Err(_) if w.contains(':') => return Err(Error::UnsupportedMode(w.to_string())),
                Err(_) => {
                    if !names.iter().any(|n: &String| n == w) {
                        names.push(w.to_string());
                    }
                }
            }
        }
        match special {
            Some(m) if words.len() > 1 => Err(Error::Invalid(format!(
                "--network {m} cannot be combined with other networks"
            ))),
            Some(m) => Ok((m, Vec::new())),
            None => Ok((
                NetworkMode::Bridge,
                names
                    .into_iter()
                    .map(|n| {
                        let o = self
                            .network_options
                            .get(&n)
                            .or_else(|| options.iter().find(|(name, _)| *name == n).map(|(_, o)| o))
                            .cloned()
                            .unwrap_or_default();
                        (n, o)
                    })
                    .collect(),
            )),
        }
    }

    /// Validates the flags that do not depend on networks: addresses, MAC,
    /// DNS servers, extra hosts.
    pub fn validate_common(&self) -> Result<()> {
        // Either flag takes an address of either family, as in Podman.
        for ip in self.ip.iter().chain(self.ip6.iter()) {
            ip.parse::<IpAddr>()
                .map_err(|_| Error::Invalid(format!("{ip:?} is not an ip address")))?;
        }
        if let Some(mac) = &self.mac {
            validate_mac(mac)?;
        }
        for d in &self.dns {
            d.parse::<IpAddr>()
                .map_err(|_| Error::Invalid(format!("invalid --dns {d:?}: not an IP address")))?;
        }
        for h in &self.add_hosts {
            parse_add_host(h)?;
        }
        Ok(())
    }
}

/// Checks a MAC address such as `92:d0:c6:0a:29:33`.
pub fn validate_mac(mac: &str) -> Result<()> {
    let parts: Vec<&str> = mac.split(':').collect();
    if parts.len() == 6
        && parts
            .iter()
            .all(|p| p.len() == 2 && p.chars().all(|c| c.is_ascii_hexdigit()))
    {
        Ok(())
    } else {
        Err(Error::Invalid(format!(
            "invalid MAC address {mac:?}: expected six hex pairs such as 92:d0:c6:0a:29:33"
        )))
    }
}

/// Parses `--add-host name:ip` (or `name=ip`); the IP may be IPv6.
pub fn parse_add_host(text: &str) -> Result<(String, IpAddr)> {
    let bad = || Error::Invalid(format!("invalid --add-host {text:?}: expected HOST:IP"));
    let (name, ip) = text
        .split_once('=')
        .or_else(|| text.split_once(':'))
        .ok_or_else(bad)?;
    let ip = ip.trim_start_matches('[').trim_end_matches(']');
    if name.is_empty() {
        return Err(bad());
    }
    Ok((name.to_string(), ip.parse().map_err(|_| bad())?))
}

/// What a container keeps of its network settings (with its configuration).
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct ContainerNetConfig {
    /// Bridge mode: network name → this container's options on it.
    #[serde(default)]
    pub networks: BTreeMap<String, PerNetworkOptions>,
    #[serde(default)]
    pub ports: Vec<PortMapping>,
    #[serde(default)]
    pub dns: Vec<String>,
    #[serde(default)]
    pub dns_search: Vec<String>,
    #[serde(default)]
    pub dns_options: Vec<String>,
    /// `--add-host` entries, validated (`name:ip`).
    #[serde(default)]
    pub add_hosts: Vec<String>,
    /// Links to other containers (Docker's `Links`).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub links: Vec<Link>,
    /// The ports the container exposes (`--expose` and the image's), as
    /// `PORT/PROTO`.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub expose: Vec<String>,
}

impl ContainerNetConfig {
    /// The `--add-host` entries as hosts-file lines.
    pub fn host_entries(&self) -> Vec<crate::HostEntry> {
        self.add_hosts
            .iter()
            .filter_map(|h| parse_add_host(h).ok())
            .map(|(name, ip)| crate::HostEntry {
                ip,
                names: vec![name],
            })
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn req(nets: &[&str]) -> NetworkRequest {
        NetworkRequest {
            networks: nets.iter().map(|s| s.to_string()).collect(),
            ..Default::default()
        }
    }

    #[test]
    fn modes_parse_and_round_trip() {
        for text in ["none", "host", "bridge", "container:abc", "ns:/run/netns/x"] {
            let m: NetworkMode = text.parse().unwrap();
            assert_eq!(m.to_string(), text);
            let json = serde_json::to_string(&m).unwrap();
            assert_eq!(serde_json::from_str::<NetworkMode>(&json).unwrap(), m);
        }
        assert!("ns:relative".parse::<NetworkMode>().is_err());
        assert!(serde_json::from_str::<NetworkMode>("\"warp\"").is_err());
        // Rows written before bridge networks existed.
        assert_eq!(
            serde_json::from_str::<NetworkMode>("\"none\"").unwrap(),
            NetworkMode::None
        );
    }

    #[test]
    fn network_flags() {
        assert_eq!(
            req(&[]).mode_and_networks().unwrap(),
            (NetworkMode::Bridge, vec![])
        );
        assert_eq!(
            req(&["a,b", "a"]).mode_and_networks().unwrap(),
            (NetworkMode::Bridge, vec!["a".to_string(), "b".to_string()])
        );
        assert_eq!(
            req(&["host"]).mode_and_networks().unwrap().0,
            NetworkMode::Host
        );
        assert!(req(&["host,a"]).mode_and_networks().is_err());
        assert!(req(&["slirp4netns:x"]).mode_and_networks().is_err());
    }

    #[test]
    fn add_host_and_mac() {
        assert_eq!(
            parse_add_host("db:10.1.2.3").unwrap(),
            ("db".to_string(), "10.1.2.3".parse().unwrap())
        );
        assert!(parse_add_host("db").is_err());
        assert!(parse_add_host("db:nope").is_err());
        assert!(validate_mac("92:d0:c6:0a:29:33").is_ok());
        assert!(validate_mac("92:d0:c6").is_err());
    }
}
