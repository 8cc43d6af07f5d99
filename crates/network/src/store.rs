//! Network definitions, stored like Podman's: one JSON file per network in
//! rpod's own directory (`<root>/networks/NAME.json`). The default network
//! is not stored: it is always there.

use std::collections::BTreeMap;
use std::fs::File;
use std::net::Ipv4Addr;
use std::path::{Path, PathBuf};

use nix::fcntl::{Flock, FlockArg};
use sha2::{Digest, Sha256};

use crate::cidr::Ipv4Net;
use crate::error::{io_err, Error, Result};
use crate::types::{LeaseRange, Network, Subnet};

/// The default network's name (`--network bridge`).
pub const DEFAULT_NETWORK: &str = "rpod";
/// The default network's bridge.
pub const DEFAULT_BRIDGE: &str = "rpod0";
/// The default network's subnet: apart from Podman's 10.88.0.0/16 and
/// 10.89.x.0/24.
pub const DEFAULT_SUBNET: &str = "10.90.0.0/16";

/// What `network create` asks for.
#[derive(Debug, Clone, Default)]
pub struct CreateRequest {
    /// Generated (`rpodN`) when not given.
    pub name: Option<String>,
    /// `bridge` (default) or `macvlan`.
    pub driver: Option<String>,
    pub subnet: Option<String>,
    pub gateway: Option<String>,
    /// `--ip-range`: a CIDR inside the subnet, or `START-END`.
    pub ip_range: Option<String>,
    pub internal: bool,
    pub disable_dns: bool,
    pub labels: BTreeMap<String, String>,
    /// `--opt`: mtu, vlan, isolate (bridge); parent, mode, mtu (macvlan).
    pub options: BTreeMap<String, String>,
    /// `--interface-name`: the bridge's name (generated when not given).
    pub interface_name: Option<String>,
    /// `--ipam-driver`: only `host-local` (rpod assigns the addresses).
    pub ipam_driver: Option<String>,
    /// `--ipv6`: refused (rpod's networks are IPv4).
    pub ipv6: bool,
}

/// The network definitions of one engine.
#[derive(Debug, Clone)]
pub struct NetworkStore {
    dir: PathBuf,
}

fn hex_id(seed: &[u8]) -> String {
    hex::encode(Sha256::digest(seed))
}

/// Checks a network name: `[a-zA-Z0-9][a-zA-Z0-9_.-]*`.
pub fn validate_name(name: &str) -> Result<()> {
    let mut chars = name.chars();
    let ok = matches!(chars.next(), Some(c) if c.is_ascii_alphanumeric())
        && chars.all(|c| c.is_ascii_alphanumeric() || "_.-".contains(c))
        && name.len() <= 200;
    if ok {
        Ok(())
    } else {
        Err(Error::Invalid(format!(
            "invalid network name {name:?}: names must match [a-zA-Z0-9][a-zA-Z0-9_.-]*"
        )))
    }
}

/// Subnets routed on the host (`/proc/net/route`), so new networks avoid them.
fn host_subnets() -> Vec<Ipv4Net> {
    let text = std::fs::read_to_string("/proc/net/route").unwrap_or_default();
    text.lines()
        .skip(1)
        .filter_map(|l| {
            let f: Vec<&str> = l.split_whitespace().collect();
            let dest = u32::from_str_radix(f.get(1)?, 16).ok()?;
            let mask = u32::from_str_radix(f.get(7)?, 16).ok()?;
            if mask == 0 {
                return None; // the default route
            }
            Some(Ipv4Net {
                addr: Ipv4Addr::from(u32::from_be(dest)),
                prefix: u32::from_be(mask).count_ones() as u8,
            })
        })
        .collect()
}

impl NetworkStore {
    /// Definitions live in `dir` (created on first write).
    pub fn new(dir: impl Into<PathBuf>) -> Self {
        NetworkStore { dir: dir.into() }
    }

    /// The directory holding the definitions.
    pub fn dir(&self) -> &Path {
        &self.dir
    }

    /// Takes the store's lock (held while creating or removing).
    pub fn lock(&self) -> Result<Flock<File>> {
        std::fs::create_dir_all(&self.dir).map_err(io_err("creating", &self.dir))?;
        let path = self.dir.join(".lock");
        let file = File::options()
            .create(true)
            .truncate(false)
            .write(true)
            .open(&path)
            .map_err(io_err("opening", &path))?;
        Flock::lock(file, FlockArg::LockExclusive).map_err(|(_, e)| Error::Io {
            context: "locking".into(),
            path,
            source: e.into(),
        })
    }

    /// The default network, always present.
    pub fn default_network() -> Network {
        let subnet: Ipv4Net = DEFAULT_SUBNET.parse().unwrap_or(Ipv4Net {
            addr: Ipv4Addr::new(10, 90, 0, 0),
            prefix: 16,
        });
        Network {
            name: DEFAULT_NETWORK.into(),
            id: hex_id(b"rpod default network"),
            driver: "bridge".into(),
            network_interface: DEFAULT_BRIDGE.into(),
            created: "2024-01-01T00:00:00Z".into(),
            subnets: vec![Subnet {
                subnet,
                gateway: Some(subnet.first_host()),
                lease_range: None,
            }],
            ipv6_enabled: false,
            internal: false,
            dns_enabled: false,
            labels: BTreeMap::new(),
            options: BTreeMap::new(),
            ipam_options: [("driver".to_string(), "host-local".to_string())].into(),
        }
    }

    fn path(&self, name: &str) -> PathBuf {
        self.dir.join(format!("{name}.json"))
    }

    fn read(&self, path: &Path) -> Result<Network> {
        let bytes = std::fs::read(path).map_err(io_err("reading", path))?;
        serde_json::from_slice(&bytes).map_err(|source| Error::Json {
            context: format!("network file {}", path.display()),
            source,
        })
    }

    /// Every network, the default first, then by name.
    pub fn list(&self) -> Result<Vec<Network>> {
        let mut out = Vec::new();
        match std::fs::read_dir(&self.dir) {
            Ok(entries) => {
                for entry in entries.flatten() {
                    let p = entry.path();
                    if p.extension().is_some_and(|e| e == "json") {
                        out.push(self.read(&p)?);
                    }
                }
            }
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
            Err(e) => return Err(io_err("listing", &self.dir)(e)),
        }
        out.retain(|n| n.name != DEFAULT_NETWORK);
        out.sort_by(|a, b| a.name.cmp(&b.name));
        out.insert(0, Self::default_network());
        Ok(out)
    }

    /// A network by name, full ID or unique ID prefix.
    pub fn get(&self, name_or_id: &str) -> Result<Network> {
        if name_or_id == DEFAULT_NETWORK {
            return Ok(Self::default_network());
        }
        if validate_name(name_or_id).is_ok() {
            let p = self.path(name_or_id);
            if p.exists() {
                return self.read(&p);
            }
        }
        let all = self.list()?;
        let matches: Vec<&Network> = all
            .iter()
            .filter(|n| !name_or_id.is_empty() && n.id.starts_with(name_or_id))
            .collect();
        match matches.as_slice() {
            [one] => Ok((*one).clone()),
            _ => Err(Error::NoSuchNetwork(name_or_id.to_string())),
        }
    }

    /// Creates and stores a network.
    pub fn create(&self, req: &CreateRequest) -> Result<Network> {
        if req.ipv6 {
            return Err(Error::Invalid(
                "IPv6 networks are not supported by rpod: its networks are IPv4".into(),
            ));
        }
        match req.ipam_driver.as_deref() {
            None | Some("") | Some("host-local") => {}
            Some(other) => {
                return Err(Error::Invalid(format!(
                    "unsupported ipam driver {other:?}: rpod assigns addresses itself (host-local)"
                )))
            }
        }
        let _lock = self.lock()?;
        let existing = self.list()?;
        let name = match &req.name {
            Some(n) => {
                validate_name(n)?;
                if existing.iter().any(|x| &x.name == n) {
                    return Err(Error::NetworkExists(n.clone()));
                }
                n.clone()
            }
            None => (1..)
                .map(|i| format!("rpod{i}"))
                .find(|n| !existing.iter().any(|x| &x.name == n))
                .unwrap_or_else(|| "rpod-net".into()),
        };
        let driver = req.driver.clone().unwrap_or_else(|| "bridge".into());
        let allowed: &[&str] = match driver.as_str() {
            "bridge" => &["mtu", "vlan", "isolate"],
            "macvlan" => &["parent", "mode", "mtu"],
            other => {
                return Err(Error::Invalid(format!(
                    "unsupported network driver {other:?} (supported: bridge, macvlan)"
                )))
            }
        };
        for (k, v) in &req.options {
            if !allowed.contains(&k.as_str()) {
                return Err(Error::Invalid(format!(
                    "unsupported {driver} network option {k:?} (supported: {})",
                    allowed.join(", ")
                )));
            }
            if k == "mtu" || k == "vlan" {
                v.parse::<u32>().map_err(|_| {
                    Error::Invalid(format!("invalid network option {k}={v:?}: not a number"))
                })?;
            }
        }
        let subnet = match &req.subnet {
            Some(s) => {
                let net: Ipv4Net = s.parse()?;
                if net.prefix > 30 {
                    return Err(Error::Invalid(format!("subnet {s} is too small")));
                }
                let net = net.masked();
                if let Some(other) = existing
                    .iter()
                    .find(|x| x.subnets.iter().any(|y| y.subnet.overlaps(&net)))
                {
                    return Err(Error::Invalid(format!(
                        "subnet {net} is already used by network {}",
                        other.name
                    )));
                }
                net
            }
            None if driver == "macvlan" => {
                return Err(Error::Invalid(
                    "a macvlan network needs --subnet (rpod allocates its addresses)".into(),
                ))
            }
            None => self.free_subnet(&existing)?,
        };
        let gateway = match &req.gateway {
            Some(g) => {
                let ip: Ipv4Addr = g
                    .parse()
                    .map_err(|_| Error::Invalid(format!("invalid gateway {g:?}")))?;
                if !subnet.contains(ip) || ip == subnet.network() || ip == subnet.broadcast() {
                    return Err(Error::Invalid(format!(
                        "gateway {ip} is not a host address of subnet {subnet}"
                    )));
                }
                ip
            }
            None => subnet.first_host(),
        };
        let lease_range = req
            .ip_range
            .as_deref()
            .map(|r| lease_range(r, &subnet))
            .transpose()?;
        let network_interface = match driver.as_str() {
            "macvlan" => req.options.get("parent").cloned().unwrap_or_default(),
            _ => match &req.interface_name {
                Some(i) => {
                    if i.is_empty() || i.len() > 15 || i.contains('/') || i.contains(' ') {
                        return Err(Error::Invalid(format!("invalid interface name {i:?}")));
                    }
                    if existing.iter().any(|x| &x.network_interface == i) {
                        return Err(Error::Invalid(format!(
                            "bridge name {i} is already used by another network"
                        )));
                    }
                    i.clone()
                }
                None => (1..)
                    .map(|i| format!("rpod{i}"))
                    .find(|b| {
                        !existing.iter().any(|x| &x.network_interface == b)
                            && !Path::new("/sys/class/net").join(b).exists()
                    })
                    .unwrap_or_else(|| "rpod-br".into()),
            },
        };
        let mut seed = [0u8; 32];
        getrandom::getrandom(&mut seed)
            .map_err(|e| Error::Invalid(format!("reading random bytes: {e}")))?;
        let net = Network {
            id: hex_id(&seed),
            name: name.clone(),
            dns_enabled: driver == "bridge" && !req.disable_dns,
            driver,
            network_interface,
            created: chrono::Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Nanos, true),
            subnets: vec![Subnet {
                subnet,
                gateway: Some(gateway),
                lease_range,
            }],
            ipv6_enabled: false,
            internal: req.internal,
            labels: req.labels.clone(),
            options: req.options.clone(),
            ipam_options: [("driver".to_string(), "host-local".to_string())].into(),
        };
        let path = self.path(&name);
        let json = serde_json::to_vec_pretty(&net).map_err(|source| Error::Json {
            context: "encoding the network".into(),
            source,
        })?;
        let tmp = path.with_extension("json.tmp");
        std::fs::write(&tmp, json).map_err(io_err("writing", &tmp))?;
        std::fs::rename(&tmp, &path).map_err(io_err("renaming", &tmp))?;
        Ok(net)
    }

    /// Deletes a network's definition (the caller checks it is unused).
    pub fn remove(&self, name: &str) -> Result<()> {
        if name == DEFAULT_NETWORK {
            return Err(Error::Invalid(format!(
                "default network {DEFAULT_NETWORK} cannot be removed"
            )));
        }
        let _lock = self.lock()?;
        let p = self.path(name);
        std::fs::remove_file(&p).map_err(|e| {
            if e.kind() == std::io::ErrorKind::NotFound {
                Error::NoSuchNetwork(name.to_string())
            } else {
                io_err("removing", &p)(e)
            }
        })
    }

    /// The first /24 from 10.91.0.0 up to 10.99.255.0 that no network of
    /// this engine and no host route uses.
    fn free_subnet(&self, existing: &[Network]) -> Result<Ipv4Net> {
        let host = host_subnets();
        for second in 91u8..=99 {
            for third in 0u8..=255 {
                let cand = Ipv4Net {
                    addr: Ipv4Addr::new(10, second, third, 0),
                    prefix: 24,
                };
                let used = existing
                    .iter()
                    .flat_map(|n| n.subnets.iter())
                    .any(|s| s.subnet.overlaps(&cand))
                    || host.iter().any(|h| h.overlaps(&cand));
                if !used {
                    return Ok(cand);
                }
            }
        }
        Err(Error::NoFreeSubnet)
    }
}

/// `--ip-range` as a lease range: a CIDR inside the subnet, or `START-END`.
fn lease_range(text: &str, subnet: &Ipv4Net) -> Result<LeaseRange> {
    let bad = |why: &str| Error::Invalid(format!("invalid --ip-range {text:?}: {why}"));
    let (start, end) = if let Some((a, b)) = text.split_once('-') {
        let a: Ipv4Addr = a.parse().map_err(|_| bad("bad start address"))?;
        let b: Ipv4Addr = b.parse().map_err(|_| bad("bad end address"))?;
        (a, b)
    } else {
        let r: Ipv4Net = text.parse()?;
        let first = u32::from(r.network()).max(u32::from(subnet.first_host()));
        let last = u32::from(r.broadcast()).min(u32::from(subnet.last_host()));
        (Ipv4Addr::from(first), Ipv4Addr::from(last))
    };
    if !subnet.contains(start) || !subnet.contains(end) || u32::from(end) < u32::from(start) {
        return Err(bad(&format!("not a range inside subnet {subnet}")));
    }
    Ok(LeaseRange {
        start_ip: Some(start),
        end_ip: Some(end),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn create_list_get_remove() {
        let dir = tempfile::tempdir().unwrap();
        let store = NetworkStore::new(dir.path().join("networks"));
        assert_eq!(store.list().unwrap()[0].name, DEFAULT_NETWORK);
        let req = CreateRequest {
            name: Some("n1".into()),
            subnet: Some("10.97.3.0/24".into()),
            ip_range: Some("10.97.3.128/25".into()),
            interface_name: Some("rpodtest9".into()),
            labels: [("a".to_string(), "b".to_string())].into(),
            ..Default::default()
        };
        let n = store.create(&req).unwrap();
        assert_eq!(n.subnets[0].gateway.unwrap().to_string(), "10.97.3.1");
        assert!(n.dns_enabled);
        assert_eq!(
            n.subnets[0]
                .lease_range
                .as_ref()
                .unwrap()
                .start_ip
                .unwrap()
                .to_string(),
            "10.97.3.128"
        );
        assert!(matches!(store.create(&req), Err(Error::NetworkExists(_))));
        let mut overlap = req.clone();
        overlap.name = Some("n2".into());
        assert!(store.create(&overlap).is_err());
        assert_eq!(store.get("n1").unwrap(), n);
        assert_eq!(store.get(&n.id[..10]).unwrap().name, "n1");
        let auto = store.create(&CreateRequest::default()).unwrap();
        assert_eq!(auto.subnets[0].subnet.prefix, 24);
        assert!(!auto.subnets[0].subnet.overlaps(&n.subnets[0].subnet));
        assert_eq!(store.list().unwrap().len(), 3);
        store.remove("n1").unwrap();
        assert!(matches!(store.get("n1"), Err(Error::NoSuchNetwork(_))));
        assert!(store.remove(DEFAULT_NETWORK).is_err());
    }

    #[test]
    fn bad_requests_are_refused() {
        let dir = tempfile::tempdir().unwrap();
        let store = NetworkStore::new(dir.path());
        for req in [
            CreateRequest {
                name: Some("-x".into()),
                ..Default::default()
            },
            CreateRequest {
                driver: Some("ipvlan".into()),
                ..Default::default()
            },
            CreateRequest {
                subnet: Some("10.97.0.0/24".into()),
                gateway: Some("10.98.0.1".into()),
                ..Default::default()
            },
            CreateRequest {
                subnet: Some("10.97.0.0/24".into()),
                ip_range: Some("10.96.0.0/25".into()),
                ..Default::default()
            },
            CreateRequest {
                options: [("bogus".to_string(), "1".to_string())].into(),
                ..Default::default()
            },
            CreateRequest {
                driver: Some("macvlan".into()),
                ..Default::default()
            },
        ] {
            assert!(store.create(&req).is_err(), "{req:?}");
        }
    }
}
