//! rpod's address allocation (Podman's IPAM role): one small JSON file per
//! network (`address → container ID`) under the run root, changed under a
//! lock. Kept in the run root because, like the namespaces it serves, an
//! allocation does not survive a reboot.

use std::collections::BTreeMap;
use std::fs::File;
use std::net::IpAddr;
use std::path::{Path, PathBuf};

use nix::fcntl::{Flock, FlockArg};

use crate::cidr::{first_host, from_number, is_host_address, last_host, to_number};
use crate::error::{io_err, Error, Result};
use crate::types::{Network, Subnet};

/// Address allocations of every network of one engine.
#[derive(Debug, Clone)]
pub struct Ipam {
    dir: PathBuf,
}

type Allocations = BTreeMap<IpAddr, String>;

impl Ipam {
    /// Allocations live in `dir` (created on first use).
    pub fn new(dir: impl Into<PathBuf>) -> Self {
        Ipam { dir: dir.into() }
    }

    fn lock(&self) -> Result<Flock<File>> {
        std::fs::create_dir_all(&self.dir).map_err(io_err("creating", &self.dir))?;
        let path = self.dir.join("ipam.lock");
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

    fn file(&self, network: &str) -> PathBuf {
        self.dir.join(format!("{network}.json"))
    }

    fn load(path: &Path) -> Result<Allocations> {
        match std::fs::read(path) {
            Ok(bytes) => serde_json::from_slice(&bytes).map_err(|source| Error::Json {
                context: format!("reading {}", path.display()),
                source,
            }),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(Allocations::new()),
            Err(e) => Err(io_err("reading", path)(e)),
        }
    }

    fn save(path: &Path, a: &Allocations) -> Result<()> {
        if a.is_empty() {
            return match std::fs::remove_file(path) {
                Err(e) if e.kind() != std::io::ErrorKind::NotFound => {
                    Err(io_err("removing", path)(e))
                }
                _ => Ok(()),
            };
        }
        let json = serde_json::to_vec(a).map_err(|source| Error::Json {
            context: "encoding allocations".into(),
            source,
        })?;
        let tmp = path.with_extension("tmp");
        std::fs::write(&tmp, json).map_err(io_err("writing", &tmp))?;
        std::fs::rename(&tmp, path).map_err(io_err("renaming", &tmp))
    }

    /// Gives `ctr_id` one address in each subnet of `net`: the one of
    /// `wanted` (`--ip`, `--ip6`) in that subnet when free, otherwise a free
    /// one from the subnet's lease range, searched from a random start (so
    /// separate engines sharing a bridge rarely pick the same address).
    /// Asking again returns the container's existing addresses.
    pub fn allocate(&self, net: &Network, ctr_id: &str, wanted: &[IpAddr]) -> Result<Vec<IpAddr>> {
        if net.subnets.is_empty() {
            return Err(Error::Invalid(format!(
                "network {} has no subnet to allocate from",
                net.name
            )));
        }
        for ip in wanted {
            if !net.subnets.iter().any(|s| s.subnet.contains(ip)) {
                return Err(Error::Invalid(format!(
                    "requested static ip {ip} not in any subnet on network {}",
                    net.name
                )));
            }
        }
        let _lock = self.lock()?;
        let path = self.file(&net.name);
        let mut alloc = Self::load(&path)?;
        let mut mine: Vec<IpAddr> = alloc
            .iter()
            .filter(|(_, id)| id.as_str() == ctr_id)
            .map(|(ip, _)| *ip)
            .collect();
        let mut out = Vec::new();
        for subnet in &net.subnets {
            let want = wanted
                .iter()
                .find(|ip| subnet.subnet.contains(*ip))
                .copied();
            let held = mine.iter().find(|ip| subnet.subnet.contains(*ip)).copied();
            let ip = match (want, held) {
                (None, Some(held)) => held,
                (Some(w), Some(held)) if w == held => held,
                (Some(w), _) => Self::check_wanted(net, subnet, &alloc, ctr_id, w)?,
                (None, None) => Self::free_address(net, subnet, &alloc)?,
            };
            if let Some(held) = held.filter(|h| *h != ip) {
                alloc.remove(&held);
                mine.retain(|m| *m != held);
            }
            alloc.insert(ip, ctr_id.to_string());
            out.push(ip);
        }
        Self::save(&path, &alloc)?;
        Ok(out)
    }

    fn check_wanted(
        net: &Network,
        subnet: &Subnet,
        alloc: &Allocations,
        ctr_id: &str,
        ip: IpAddr,
    ) -> Result<IpAddr> {
        if !is_host_address(&subnet.subnet, ip) {
            return Err(Error::Invalid(format!(
                "requested static ip {ip} is not a host address of subnet {} on network {}",
                subnet.subnet, net.name
            )));
        }
        if Some(ip) == subnet.gateway {
            return Err(Error::Invalid(format!(
                "requested static ip {ip} is the gateway of network {}",
                net.name
            )));
        }
        let taken_by_aux = subnet.aux_addresses.values().any(|a| *a == ip);
        match alloc.get(&ip) {
            Some(other) if other != ctr_id => Err(Error::AddressInUse {
                ip: ip.to_string(),
                network: net.name.clone(),
            }),
            _ if taken_by_aux => Err(Error::AddressInUse {
                ip: ip.to_string(),
                network: net.name.clone(),
            }),
            _ => Ok(ip),
        }
    }

    fn free_address(net: &Network, subnet: &Subnet, alloc: &Allocations) -> Result<IpAddr> {
        let cidr = &subnet.subnet;
        let range = subnet.lease_range.as_ref();
        let start = to_number(range.and_then(|r| r.start_ip).unwrap_or(first_host(cidr)));
        let end = to_number(range.and_then(|r| r.end_ip).unwrap_or(last_host(cidr)));
        if end < start {
            return Err(Error::NoFreeAddress(net.name.clone()));
        }
        let count = (end - start).saturating_add(1);
        let mut seed = [0u8; 16];
        getrandom::getrandom(&mut seed)
            .map_err(|e| Error::Invalid(format!("reading random bytes: {e}")))?;
        let offset = u128::from_le_bytes(seed) % count;
        let like = cidr.network();
        // Every address is looked at once; an IPv6 subnet is nearly empty,
        // so the search ends at once there.
        let mut i: u128 = 0;
        while i < count {
            let ip = from_number(like, start + (offset + i) % count);
            let reserved = Some(ip) == subnet.gateway
                || subnet.aux_addresses.values().any(|a| *a == ip)
                || alloc.contains_key(&ip);
            if !reserved {
                return Ok(ip);
            }
            i += 1;
        }
        Err(Error::NoFreeAddress(net.name.clone()))
    }

    /// Frees `ctr_id`'s address on `network`.
    pub fn release(&self, network: &str, ctr_id: &str) -> Result<()> {
        let _lock = self.lock()?;
        let path = self.file(network);
        let mut alloc = Self::load(&path)?;
        let before = alloc.len();
        alloc.retain(|_, id| id != ctr_id);
        if alloc.len() != before {
            Self::save(&path, &alloc)?;
        }
        Ok(())
    }

    /// The current allocations of `network`.
    pub fn allocations(&self, network: &str) -> Result<BTreeMap<IpAddr, String>> {
        let _lock = self.lock()?;
        Self::load(&self.file(network))
    }

    /// Forgets a removed network's allocations.
    pub fn forget(&self, network: &str) -> Result<()> {
        let _lock = self.lock()?;
        Self::save(&self.file(network), &Allocations::new())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::types::{LeaseRange, Subnet};

    fn net(range: Option<LeaseRange>) -> Network {
        Network {
            name: "n".into(),
            id: "x".into(),
            driver: "bridge".into(),
            network_interface: "b".into(),
            created: String::new(),
            subnets: vec![Subnet {
                subnet: "10.99.0.0/29".parse().unwrap(),
                gateway: Some("10.99.0.1".parse().unwrap()),
                lease_range: range,
                aux_addresses: Default::default(),
            }],
            ipv6_enabled: false,
            internal: false,
            dns_enabled: false,
            labels: Default::default(),
            options: Default::default(),
            ipam_options: Default::default(),
            attachable: false,
        }
    }

    #[test]
    fn allocates_distinct_addresses_until_full() {
        let dir = tempfile::tempdir().unwrap();
        let ipam = Ipam::new(dir.path());
        let n = net(None);
        let mut seen = Vec::new();
        for i in 0..5 {
            let ip = ipam.allocate(&n, &format!("c{i}"), &[]).unwrap()[0];
            assert!(n.subnets[0].subnet.contains(&ip));
            assert_ne!(ip.to_string(), "10.99.0.1");
            assert!(!seen.contains(&ip));
            seen.push(ip);
        }
        // Asking again gives the same address.
        assert_eq!(ipam.allocate(&n, "c0", &[]).unwrap(), vec![seen[0]]);
        assert!(matches!(
            ipam.allocate(&n, "c9", &[]),
            Err(Error::NoFreeAddress(_))
        ));
        ipam.release("n", "c3").unwrap();
        assert_eq!(ipam.allocate(&n, "c9", &[]).unwrap(), vec![seen[3]]);
        ipam.forget("n").unwrap();
        assert!(ipam.allocations("n").unwrap().is_empty());
    }

    #[test]
    fn static_addresses_and_ranges() {
        let dir = tempfile::tempdir().unwrap();
        let ipam = Ipam::new(dir.path());
        let n = net(Some(LeaseRange {
            start_ip: Some("10.99.0.4".parse().unwrap()),
            end_ip: Some("10.99.0.4".parse().unwrap()),
        }));
        let want: IpAddr = "10.99.0.5".parse().unwrap();
        assert_eq!(ipam.allocate(&n, "a", &[want]).unwrap(), vec![want]);
        assert!(matches!(
            ipam.allocate(&n, "b", &[want]),
            Err(Error::AddressInUse { .. })
        ));
        assert!(ipam
            .allocate(&n, "b", &["10.99.0.1".parse().unwrap()])
            .is_err());
        assert!(ipam
            .allocate(&n, "b", &["10.98.0.9".parse().unwrap()])
            .is_err());
        assert_eq!(
            ipam.allocate(&n, "b", &[]).unwrap()[0].to_string(),
            "10.99.0.4"
        );
    }

    #[test]
    fn one_address_per_subnet_of_a_dual_stack_network() {
        let dir = tempfile::tempdir().unwrap();
        let ipam = Ipam::new(dir.path());
        let mut n = net(None);
        n.subnets.insert(
            0,
            Subnet {
                subnet: "fd5a:7::/64".parse().unwrap(),
                gateway: Some("fd5a:7::1".parse().unwrap()),
                lease_range: None,
                aux_addresses: Default::default(),
            },
        );
        n.subnets[1].aux_addresses = [("r".to_string(), "10.99.0.2".parse().unwrap())].into();
        let six: IpAddr = "fd5a:7::99".parse().unwrap();
        let got = ipam.allocate(&n, "a", &[six]).unwrap();
        assert_eq!(got[0], six);
        assert!(got[1].is_ipv4() && got[1].to_string() != "10.99.0.2");
        // The same again, then a new IPv4 address keeps the IPv6 one.
        assert_eq!(ipam.allocate(&n, "a", &[]).unwrap(), got);
        let four: IpAddr = "10.99.0.6".parse().unwrap();
        let again = ipam.allocate(&n, "a", &[four]).unwrap();
        assert_eq!(again, vec![six, four]);
        assert_eq!(ipam.allocations("n").unwrap().len(), 2);
        // Auxiliary addresses are kept from containers.
        assert!(ipam
            .allocate(&n, "b", &["10.99.0.2".parse().unwrap()])
            .is_err());
        let err = ipam
            .allocate(&n, "b", &["fd5b::1".parse().unwrap()])
            .unwrap_err();
        assert_eq!(
            err.to_string(),
            "requested static ip fd5b::1 not in any subnet on network n"
        );
        let other = ipam.allocate(&n, "b", &[]).unwrap();
        assert!(other[0].is_ipv6() && other[0] != six);
    }
}
