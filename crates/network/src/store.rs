//! Network definitions, stored like Podman's: one JSON file per network in
//! rpod's own directory (`<root>/networks/NAME.json`). The default network
//! is not stored: it is always there.

use std::collections::BTreeMap;
use std::fs::File;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};
use std::path::{Path, PathBuf};

use nix::fcntl::{Flock, FlockArg};
use sha2::{Digest, Sha256};

use ipnet::{IpNet, Ipv4Net, Ipv6Net};

use crate::cidr::{first_host, from_number, is_host_address, overlaps, parse_subnet, to_number};
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
    /// The subnets, IPv4 or IPv6, in order (`--subnet`, `--gateway` and
    /// `--ip-range` by position; Docker's `IPAM.Config`). None: one free
    /// IPv4 subnet (and a random IPv6 one with `ipv6`).
    pub subnets: Vec<SubnetRequest>,
    pub internal: bool,
    pub disable_dns: bool,
    pub labels: BTreeMap<String, String>,
    /// `--opt`: mtu, vlan, isolate (bridge); parent, mode, mtu (macvlan).
    pub options: BTreeMap<String, String>,
    /// `--interface-name`: the bridge's name (generated when not given).
    pub interface_name: Option<String>,
    /// `--ipam-driver`: only `host-local` (rpod assigns the addresses).
    pub ipam_driver: Option<String>,
    /// Docker's `Attachable`: recorded and shown (no effect on a local network).
    pub attachable: bool,
    /// `--ipv6`: a dual-stack network (a free IPv4 subnet and a random
    /// unique-local IPv6 /64 are added when not given).
    pub ipv6: bool,
}

/// One subnet asked for.
#[derive(Debug, Clone, Default)]
pub struct SubnetRequest {
    /// CIDR; None only for a gateway or range given without a subnet (refused).
    pub subnet: Option<String>,
    pub gateway: Option<String>,
    /// `--ip-range`: a CIDR inside the subnet, or `START-END`.
    pub ip_range: Option<String>,
    /// Docker's `AuxiliaryAddresses` (name → address in the subnet).
    pub aux_addresses: BTreeMap<String, String>,
}

impl SubnetRequest {
    /// Pairs `--subnet`, `--gateway` and `--ip-range` values by position,
    /// refusing gateways or ranges beyond the subnets as Podman does.
    pub fn from_flags(
        subnets: &[String],
        gateways: &[String],
        ranges: &[String],
    ) -> Result<Vec<SubnetRequest>> {
        if subnets.is_empty() && (!gateways.is_empty() || !ranges.is_empty()) {
            return Err(Error::Invalid(
                "cannot set gateway or range without subnet".into(),
            ));
        }
        if gateways.len() > subnets.len() {
            return Err(Error::Invalid(
                "cannot set more gateways than subnets".into(),
            ));
        }
        if ranges.len() > subnets.len() {
            return Err(Error::Invalid("cannot set more ranges than subnets".into()));
        }
        Ok(subnets
            .iter()
            .enumerate()
            .map(|(i, s)| SubnetRequest {
                subnet: Some(s.clone()),
                gateway: gateways.get(i).cloned(),
                ip_range: ranges.get(i).cloned(),
                aux_addresses: BTreeMap::new(),
            })
            .collect())
    }
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

/// Subnets routed on the host (`/proc/net/route`, `/proc/net/ipv6_route`),
/// so new networks avoid them.
fn host_subnets() -> Vec<IpNet> {
    let v4 = std::fs::read_to_string("/proc/net/route").unwrap_or_default();
    let mut out: Vec<IpNet> = v4
        .lines()
        .skip(1)
        .filter_map(|l| {
            let f: Vec<&str> = l.split_whitespace().collect();
            let dest = u32::from_str_radix(f.get(1)?, 16).ok()?;
            let mask = u32::from_str_radix(f.get(7)?, 16).ok()?;
            if mask == 0 {
                return None; // the default route
            }
            let addr = Ipv4Addr::from(u32::from_be(dest));
            let prefix = u32::from_be(mask).count_ones() as u8;
            Ipv4Net::new(addr, prefix).ok().map(IpNet::V4)
        })
        .collect();
    let v6 = std::fs::read_to_string("/proc/net/ipv6_route").unwrap_or_default();
    out.extend(v6.lines().filter_map(|l| {
        let f: Vec<&str> = l.split_whitespace().collect();
        let dest = u128::from_str_radix(f.first()?, 16).ok()?;
        let prefix = u8::from_str_radix(f.get(1)?, 16).ok()?;
        let addr = Ipv6Addr::from(dest);
        // The default route, and link-local and multicast ones.
        let skip = prefix == 0
            || (addr.segments()[0] & 0xffc0) == 0xfe80
            || addr.segments()[0] >> 8 == 0xff
            || prefix == 128;
        (!skip)
            .then(|| Ipv6Net::new(addr, prefix).ok().map(IpNet::V6))
            .flatten()
    }));
    out
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
        let subnet: IpNet = DEFAULT_SUBNET.parse().unwrap_or(IpNet::V4(
            Ipv4Net::new(Ipv4Addr::new(10, 90, 0, 0), 16).unwrap_or_default(),
        ));
        Network {
            attachable: false,
            name: DEFAULT_NETWORK.into(),
            id: hex_id(b"rpod default network"),
            driver: "bridge".into(),
            network_interface: DEFAULT_BRIDGE.into(),
            created: "2024-01-01T00:00:00Z".into(),
            subnets: vec![Subnet {
                subnet,
                gateway: Some(first_host(&subnet)),
                lease_range: None,
                aux_addresses: BTreeMap::new(),
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
        if driver == "macvlan" && req.subnets.is_empty() {
            return Err(Error::Invalid(
                "a macvlan network needs --subnet (rpod allocates its addresses)".into(),
            ));
        }
        let subnets = self.subnets(req, &existing)?;
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
            ipv6_enabled: subnets.iter().any(|s| s.subnet.addr().is_ipv6()),
            subnets,
            internal: req.internal,
            labels: req.labels.clone(),
            options: req.options.clone(),
            ipam_options: [("driver".to_string(), "host-local".to_string())].into(),
            attachable: req.attachable,
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

    /// The subnets of a new network: those asked for, checked, with their
    /// gateways, ranges and auxiliary addresses; with `ipv6`, a free IPv4
    /// subnet and a random IPv6 one added when not given (Podman's rules).
    fn subnets(&self, req: &CreateRequest, existing: &[Network]) -> Result<Vec<Subnet>> {
        let host = host_subnets();
        let mut out: Vec<Subnet> = Vec::new();
        for r in &req.subnets {
            let Some(text) = r.subnet.as_deref() else {
                return Err(Error::Invalid(
                    "cannot set gateway or range without subnet".into(),
                ));
            };
            let net = text
                .parse::<IpNet>()
                .map_err(|_| Error::Invalid(format!("invalid CIDR address: {text}")))?
                .trunc();
            let max = if net.addr().is_ipv4() { 30 } else { 127 };
            if net.prefix_len() > max {
                return Err(Error::Invalid(format!("subnet {net} is too small")));
            }
            let used = existing
                .iter()
                .flat_map(|x| x.subnets.iter())
                .chain(out.iter())
                .any(|y| overlaps(&y.subnet, &net))
                || host.iter().any(|h| overlaps(h, &net));
            if used {
                return Err(Error::Invalid(format!(
                    "subnet {net} is already used on the host or by another config"
                )));
            }
            let gateway = match &r.gateway {
                Some(g) => {
                    let ip: IpAddr = g
                        .parse()
                        .map_err(|_| Error::Invalid(format!("invalid gateway {g:?}")))?;
                    if !is_host_address(&net, ip) {
                        return Err(Error::Invalid(format!("gateway {ip} not in subnet {net}")));
                    }
                    ip
                }
                None => first_host(&net),
            };
            let lease_range = r
                .ip_range
                .as_deref()
                .map(|range| lease_range(range, &net))
                .transpose()?;
            let mut aux_addresses = BTreeMap::new();
            for (name, a) in &r.aux_addresses {
                let ip: IpAddr = a.parse().map_err(|_| {
                    Error::Invalid(format!("invalid auxiliary address {name}={a:?}"))
                })?;
                if !is_host_address(&net, ip) {
                    return Err(Error::Invalid(format!(
                        "auxiliary address {name}={ip} is not in subnet {net}"
                    )));
                }
                aux_addresses.insert(name.clone(), ip);
            }
            out.push(Subnet {
                subnet: net,
                gateway: Some(gateway),
                lease_range,
                aux_addresses,
            });
        }
        let has = |out: &[Subnet], v6: bool| out.iter().any(|s| s.subnet.addr().is_ipv6() == v6);
        if out.is_empty() || (req.ipv6 && !has(&out, false)) {
            let net = self.free_subnet(existing, &host)?;
            out.push(Subnet {
                subnet: net,
                gateway: Some(first_host(&net)),
                lease_range: None,
                aux_addresses: BTreeMap::new(),
            });
        }
        if req.ipv6 && !has(&out, true) {
            let net = random_ula(existing, &host)?;
            out.push(Subnet {
                subnet: net,
                gateway: Some(first_host(&net)),
                lease_range: None,
                aux_addresses: BTreeMap::new(),
            });
        }
        Ok(out)
    }

    /// The first /24 from 10.91.0.0 up to 10.99.255.0 that no network of
    /// this engine and no host route uses.
    fn free_subnet(&self, existing: &[Network], host: &[IpNet]) -> Result<IpNet> {
        for second in 91u8..=99 {
            for third in 0u8..=255 {
                let Ok(cand) = Ipv4Net::new(Ipv4Addr::new(10, second, third, 0), 24) else {
                    continue;
                };
                let cand = IpNet::V4(cand);
                let used = existing
                    .iter()
                    .flat_map(|n| n.subnets.iter())
                    .any(|s| overlaps(&s.subnet, &cand))
                    || host.iter().any(|h| overlaps(h, &cand));
                if !used {
                    return Ok(cand);
                }
            }
        }
        Err(Error::NoFreeSubnet)
    }
}

/// A random unique-local IPv6 /64 (`fdXX:XXXX:XXXX:XXXX::/64`, RFC 4193)
/// that no network and no host route uses.
fn random_ula(existing: &[Network], host: &[IpNet]) -> Result<IpNet> {
    for _ in 0..32 {
        let mut seed = [0u8; 8];
        getrandom::getrandom(&mut seed)
            .map_err(|e| Error::Invalid(format!("reading random bytes: {e}")))?;
        seed[0] = 0xfd;
        let high = u128::from(u64::from_be_bytes(seed)) << 64;
        let Ok(net) = Ipv6Net::new(Ipv6Addr::from(high), 64) else {
            continue;
        };
        let cand = IpNet::V6(net);
        let used = existing
            .iter()
            .flat_map(|n| n.subnets.iter())
            .any(|s| overlaps(&s.subnet, &cand))
            || host.iter().any(|h| overlaps(h, &cand));
        if !used {
            return Ok(cand);
        }
    }
    Err(Error::NoFreeSubnet)
}

/// `--ip-range` as a lease range: a CIDR inside the subnet (from its
/// second address to its last, as Podman writes it), or `START-END`.
fn lease_range(text: &str, subnet: &IpNet) -> Result<LeaseRange> {
    let bad = |why: &str| Error::Invalid(format!("invalid --ip-range {text:?}: {why}"));
    let (start, end) = if let Some((a, b)) = text.split_once('-') {
        let a: IpAddr = a.trim().parse().map_err(|_| bad("bad start address"))?;
        let b: IpAddr = b.trim().parse().map_err(|_| bad("bad end address"))?;
        (a, b)
    } else {
        let r = parse_subnet(text)?;
        let first = to_number(r.network()).saturating_add(1);
        (from_number(r.network(), first), r.broadcast())
    };
    if !subnet.contains(&start) || !subnet.contains(&end) || to_number(end) < to_number(start) {
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
            subnets: vec![SubnetRequest {
                subnet: Some("10.97.3.0/24".into()),
                ip_range: Some("10.97.3.128/25".into()),
                ..Default::default()
            }],
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
            "10.97.3.129"
        );
        assert!(matches!(store.create(&req), Err(Error::NetworkExists(_))));
        let mut overlap = req.clone();
        overlap.name = Some("n2".into());
        assert!(store.create(&overlap).is_err());
        assert_eq!(store.get("n1").unwrap(), n);
        assert_eq!(store.get(&n.id[..10]).unwrap().name, "n1");
        let auto = store.create(&CreateRequest::default()).unwrap();
        assert_eq!(auto.subnets[0].subnet.prefix_len(), 24);
        assert!(!overlaps(&auto.subnets[0].subnet, &n.subnets[0].subnet));
        assert!(!auto.ipv6_enabled);
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
                subnets: vec![SubnetRequest {
                    subnet: Some("10.97.0.0/24".into()),
                    gateway: Some("10.98.0.1".into()),
                    ..Default::default()
                }],
                ..Default::default()
            },
            CreateRequest {
                subnets: vec![SubnetRequest {
                    subnet: Some("10.97.0.0/24".into()),
                    ip_range: Some("10.96.0.0/25".into()),
                    ..Default::default()
                }],
                ..Default::default()
            },
            CreateRequest {
                subnets: vec![SubnetRequest {
                    subnet: Some("fd5a:9::/64".into()),
                    aux_addresses: [("x".to_string(), "fd5a:8::1".to_string())].into(),
                    ..Default::default()
                }],
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
        assert_eq!(
            SubnetRequest::from_flags(&[], &["10.1.1.1".into()], &[])
                .unwrap_err()
                .to_string(),
            "cannot set gateway or range without subnet"
        );
    }

    #[test]
    fn ipv6_networks_as_podman_makes_them() {
        let dir = tempfile::tempdir().unwrap();
        let store = NetworkStore::new(dir.path());
        let both = store
            .create(&CreateRequest {
                ipv6: true,
                ..Default::default()
            })
            .unwrap();
        assert!(both.ipv6_enabled);
        assert_eq!(both.subnets.len(), 2);
        assert!(both.subnets[0].subnet.addr().is_ipv4());
        let six = &both.subnets[1];
        assert_eq!(six.subnet.prefix_len(), 64);
        assert!(six.subnet.to_string().starts_with("fd"));
        assert_eq!(six.gateway, Some(first_host(&six.subnet)));
        let only = store
            .create(&CreateRequest {
                subnets: SubnetRequest::from_flags(&["fd5a:1::/64".into()], &[], &[]).unwrap(),
                ..Default::default()
            })
            .unwrap();
        assert!(only.ipv6_enabled);
        assert_eq!(only.subnets.len(), 1);
        assert_eq!(only.subnets[0].gateway.unwrap().to_string(), "fd5a:1::1");
        let v6_first = store
            .create(&CreateRequest {
                ipv6: true,
                subnets: SubnetRequest::from_flags(
                    &["fd5a:2::/64".into()],
                    &[],
                    &["fd5a:2::100/120".into()],
                )
                .unwrap(),
                ..Default::default()
            })
            .unwrap();
        assert_eq!(v6_first.subnets[0].subnet.to_string(), "fd5a:2::/64");
        let r = v6_first.subnets[0].lease_range.as_ref().unwrap();
        assert_eq!(r.start_ip.unwrap().to_string(), "fd5a:2::101");
        assert_eq!(r.end_ip.unwrap().to_string(), "fd5a:2::1ff");
        assert!(v6_first.subnets[1].subnet.addr().is_ipv4());
        let err = store
            .create(&CreateRequest {
                subnets: SubnetRequest::from_flags(&["fd5a:1::/80".into()], &[], &[]).unwrap(),
                ..Default::default()
            })
            .unwrap_err();
        assert_eq!(
            err.to_string(),
            "subnet fd5a:1::/80 is already used on the host or by another config"
        );
    }
}
