//! rpod's address allocation (Podman's IPAM role): one small JSON file per
//! network (`address → container ID`) under the run root, changed under a
//! lock. Kept in the run root because, like the namespaces it serves, an
//! allocation does not survive a reboot.

use std::collections::BTreeMap;
use std::fs::File;
use std::net::Ipv4Addr;
use std::path::{Path, PathBuf};

use nix::fcntl::{Flock, FlockArg};

use crate::error::{io_err, Error, Result};
use crate::types::Network;

/// Address allocations of every network of one engine.
#[derive(Debug, Clone)]
pub struct Ipam {
    dir: PathBuf,
}

type Allocations = BTreeMap<Ipv4Addr, String>;

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

    /// Gives `ctr_id` an address on `net`: `wanted` (`--ip`) when free,
    /// otherwise a free one from the lease range, searched from a random
    /// start (so separate engines sharing a bridge rarely pick the same
    /// address). Asking again returns the container's existing address.
    pub fn allocate(
        &self,
        net: &Network,
        ctr_id: &str,
        wanted: Option<Ipv4Addr>,
    ) -> Result<Ipv4Addr> {
        let _lock = self.lock()?;
        let path = self.file(&net.name);
        let mut alloc = Self::load(&path)?;
        if let Some((ip, _)) = alloc.iter().find(|(_, id)| id.as_str() == ctr_id) {
            if wanted.is_none() || wanted == Some(*ip) {
                return Ok(*ip);
            }
        }
        let subnet = net.subnets.first().ok_or_else(|| {
            Error::Invalid(format!(
                "network {} has no subnet to allocate from",
                net.name
            ))
        })?;
        let cidr = subnet.subnet;
        let gateway = subnet.gateway;
        let ip = match wanted {
            Some(ip) => {
                if !cidr.contains(ip) || ip == cidr.network() || ip == cidr.broadcast() {
                    return Err(Error::Invalid(format!(
                        "requested IP address {ip} is not in network {}'s subnet {}",
                        net.name,
                        cidr.masked()
                    )));
                }
                if Some(ip) == gateway {
                    return Err(Error::Invalid(format!(
                        "requested IP address {ip} is the gateway of network {}",
                        net.name
                    )));
                }
                match alloc.get(&ip) {
                    Some(other) if other != ctr_id => {
                        return Err(Error::AddressInUse {
                            ip: ip.to_string(),
                            network: net.name.clone(),
                        })
                    }
                    _ => ip,
                }
            }
            None => {
                let range = subnet.lease_range.as_ref();
                let start = u32::from(range.and_then(|r| r.start_ip).unwrap_or(cidr.first_host()));
                let end = u32::from(range.and_then(|r| r.end_ip).unwrap_or(cidr.last_host()));
                if end < start {
                    return Err(Error::NoFreeAddress(net.name.clone()));
                }
                let count = u64::from(end - start) + 1;
                let mut seed = [0u8; 4];
                getrandom::getrandom(&mut seed)
                    .map_err(|e| Error::Invalid(format!("reading random bytes: {e}")))?;
                let offset = u64::from(u32::from_le_bytes(seed)) % count;
                (0..count)
                    .map(|i| Ipv4Addr::from(start + ((offset + i) % count) as u32))
                    .find(|ip| Some(*ip) != gateway && !alloc.contains_key(ip))
                    .ok_or_else(|| Error::NoFreeAddress(net.name.clone()))?
            }
        };
        alloc.retain(|_, id| id != ctr_id);
        alloc.insert(ip, ctr_id.to_string());
        Self::save(&path, &alloc)?;
        Ok(ip)
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
    pub fn allocations(&self, network: &str) -> Result<BTreeMap<Ipv4Addr, String>> {
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
            }],
            ipv6_enabled: false,
            internal: false,
            dns_enabled: false,
            labels: Default::default(),
            options: Default::default(),
            ipam_options: Default::default(),
        }
    }

    #[test]
    fn allocates_distinct_addresses_until_full() {
        let dir = tempfile::tempdir().unwrap();
        let ipam = Ipam::new(dir.path());
        let n = net(None);
        let mut seen = Vec::new();
        for i in 0..5 {
            let ip = ipam.allocate(&n, &format!("c{i}"), None).unwrap();
            assert!(n.subnets[0].subnet.contains(ip));
            assert_ne!(ip.to_string(), "10.99.0.1");
            assert!(!seen.contains(&ip));
            seen.push(ip);
        }
        // Asking again gives the same address.
        assert_eq!(ipam.allocate(&n, "c0", None).unwrap(), seen[0]);
        assert!(matches!(
            ipam.allocate(&n, "c9", None),
            Err(Error::NoFreeAddress(_))
        ));
        ipam.release("n", "c3").unwrap();
        assert_eq!(ipam.allocate(&n, "c9", None).unwrap(), seen[3]);
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
        let want: Ipv4Addr = "10.99.0.5".parse().unwrap();
        assert_eq!(ipam.allocate(&n, "a", Some(want)).unwrap(), want);
        assert!(matches!(
            ipam.allocate(&n, "b", Some(want)),
            Err(Error::AddressInUse { .. })
        ));
        assert!(ipam
            .allocate(&n, "b", Some("10.99.0.1".parse().unwrap()))
            .is_err());
        assert!(ipam
            .allocate(&n, "b", Some("10.98.0.9".parse().unwrap()))
            .is_err());
        assert_eq!(
            ipam.allocate(&n, "b", None).unwrap().to_string(),
            "10.99.0.4"
        );
    }
}
