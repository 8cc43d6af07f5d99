//! Podman's network types, as netavark reads and writes them (and as
//! network definitions are stored on disk, one JSON file per network).

use std::collections::BTreeMap;
use std::net::IpAddr;

use ipnet::IpNet;

use serde::{Deserialize, Serialize};

/// A network definition (Podman's `types.Network`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Network {
    pub name: String,
    pub id: String,
    /// `bridge` or `macvlan`.
    pub driver: String,
    /// The bridge's name, or a macvlan's parent interface.
    #[serde(default)]
    pub network_interface: String,
    /// RFC 3339 creation time.
    #[serde(default)]
    pub created: String,
    #[serde(default)]
    pub subnets: Vec<Subnet>,
    #[serde(default)]
    pub ipv6_enabled: bool,
    #[serde(default)]
    pub internal: bool,
    #[serde(default)]
    pub dns_enabled: bool,
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub labels: BTreeMap<String, String>,
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub options: BTreeMap<String, String>,
    #[serde(default)]
    pub ipam_options: BTreeMap<String, String>,
    /// Docker's `Attachable`, recorded as asked (every local network takes
    /// any container). rpod's own field: not sent to netavark.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub attachable: bool,
}

/// One subnet of a network.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Subnet {
    pub subnet: IpNet,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub gateway: Option<IpAddr>,
    /// `--ip-range`: where allocated addresses come from.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub lease_range: Option<LeaseRange>,
    /// Docker's `AuxiliaryAddresses`: addresses kept from containers
    /// (name → address). rpod's own field: not sent to netavark.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub aux_addresses: BTreeMap<String, IpAddr>,
}

/// The addresses IPAM may hand out in a subnet.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct LeaseRange {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub start_ip: Option<IpAddr>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub end_ip: Option<IpAddr>,
}

impl LeaseRange {
    /// The range as it was given: a CIDR when it is one (from the CIDR's
    /// second address to its last, as `--ip-range` makes them), else
    /// `START-END`.
    pub fn text(&self) -> Option<String> {
        use crate::cidr::{from_number, to_number};
        let (start, end) = (self.start_ip?, self.end_ip?);
        let first = to_number(start).checked_sub(1)?;
        let size = (to_number(end) - first.min(to_number(end))).checked_add(1)?;
        let bits: u32 = if start.is_ipv4() { 32 } else { 128 };
        if size.is_power_of_two() && first % size == 0 {
            let prefix = bits - size.trailing_zeros();
            return Some(format!("{}/{prefix}", from_number(start, first)));
        }
        Some(format!("{start}-{end}"))
    }
}

/// A container's settings on one network.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Default)]
pub struct PerNetworkOptions {
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub static_ips: Vec<IpAddr>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub aliases: Vec<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub static_mac: Option<String>,
    #[serde(default)]
    pub interface_name: String,
}

/// A published port (`-p`): `range` ports from `host_port` go to
/// `range` ports from `container_port`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PortMapping {
    /// Empty for every host address.
    #[serde(default)]
    pub host_ip: String,
    pub container_port: u16,
    pub host_port: u16,
    #[serde(default = "one")]
    pub range: u16,
    pub protocol: String,
}

fn one() -> u16 {
    1
}

/// What netavark's `setup` and `teardown` read on stdin.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct NetworkOptions {
    pub container_id: String,
    pub container_name: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub port_mappings: Option<Vec<PortMapping>>,
    pub networks: BTreeMap<String, PerNetworkOptions>,
    pub network_info: BTreeMap<String, Network>,
}

/// netavark's result for one network.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Default)]
pub struct StatusBlock {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub dns_search_domains: Option<Vec<String>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub dns_server_ips: Option<Vec<IpAddr>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub interfaces: Option<BTreeMap<String, NetInterface>>,
}

/// One interface in the container.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Default)]
pub struct NetInterface {
    #[serde(default)]
    pub mac_address: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub subnets: Option<Vec<NetAddress>>,
}

/// One address of an interface.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct NetAddress {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub gateway: Option<IpAddr>,
    /// `10.90.0.2/16`.
    pub ipnet: String,
}

/// One address of a container on a network, as netavark set it up.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Address {
    pub ip: IpAddr,
    pub prefix_len: u8,
    pub gateway: Option<IpAddr>,
}

impl StatusBlock {
    /// Every address of every interface, in netavark's order (the
    /// network's subnet order).
    pub fn addresses(&self) -> Vec<Address> {
        self.interfaces
            .iter()
            .flat_map(|m| m.values())
            .flat_map(|i| i.subnets.iter().flatten())
            .filter_map(|a| {
                let net: IpNet = a.ipnet.parse().ok()?;
                Some(Address {
                    ip: net.addr(),
                    prefix_len: net.prefix_len(),
                    gateway: a.gateway,
                })
            })
            .collect()
    }

    /// The first address of one family (`v6` false: IPv4).
    pub fn address(&self, v6: bool) -> Option<Address> {
        self.addresses().into_iter().find(|a| a.ip.is_ipv6() == v6)
    }

    /// The first interface's MAC address.
    pub fn mac(&self) -> Option<String> {
        let (_, iface) = self.interfaces.as_ref()?.iter().next()?;
        Some(iface.mac_address.clone())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn netavark_result_parses() {
        let text = r#"{"n":{"dns_search_domains":["dns.podman"],"dns_server_ips":["10.93.7.1"],"interfaces":{"eth0":{"mac_address":"d2:64:56:10:ba:42","subnets":[{"gateway":"10.93.7.1","ipnet":"10.93.7.2/24"}]}}}}"#;
        let r: BTreeMap<String, StatusBlock> = serde_json::from_str(text).unwrap();
        let a = r["n"].address(false).unwrap();
        assert_eq!(a.ip.to_string(), "10.93.7.2");
        assert_eq!(a.prefix_len, 24);
        assert_eq!(a.gateway.unwrap().to_string(), "10.93.7.1");
        assert_eq!(r["n"].mac().unwrap(), "d2:64:56:10:ba:42");
        assert!(r["n"].address(true).is_none());
        let dual = r#"{"interfaces":{"eth0":{"mac_address":"m","subnets":[{"gateway":"fd5a:2::1","ipnet":"fd5a:2::2/64"},{"gateway":"10.89.1.1","ipnet":"10.89.1.2/24"}]}}}"#;
        let b: StatusBlock = serde_json::from_str(dual).unwrap();
        assert_eq!(b.addresses().len(), 2);
        assert_eq!(b.address(true).unwrap().ip.to_string(), "fd5a:2::2");
        assert_eq!(b.address(false).unwrap().prefix_len, 24);
    }

    #[test]
    fn podman_network_files_parse() {
        let text = r#"{"name":"podman","id":"2f259bab93aaaaa2542ba43ef33eb990d0999ee1b9924b557b7be53c0b7a1bb9","driver":"bridge","network_interface":"podman0","created":"2021-11-18T01:58:22.148419519Z","subnets":[{"subnet":"10.88.0.0/16","gateway":"10.88.0.1"}],"ipv6_enabled":false,"internal":false,"dns_enabled":false,"ipam_options":{"driver":"host-local"}}"#;
        let n: Network = serde_json::from_str(text).unwrap();
        assert_eq!(n.subnets[0].subnet.to_string(), "10.88.0.0/16");
        let back = serde_json::to_string(&n).unwrap();
        assert_eq!(serde_json::from_str::<Network>(&back).unwrap(), n);
        assert_eq!(back, text);
        let r = LeaseRange {
            start_ip: Some("10.9.0.129".parse().unwrap()),
            end_ip: Some("10.9.0.255".parse().unwrap()),
        };
        assert_eq!(r.text().unwrap(), "10.9.0.128/25");
        let r = LeaseRange {
            start_ip: Some("fd5a::101".parse().unwrap()),
            end_ip: Some("fd5a::1ff".parse().unwrap()),
        };
        assert_eq!(r.text().unwrap(), "fd5a::100/120");
        let r = LeaseRange {
            start_ip: Some("10.9.0.5".parse().unwrap()),
            end_ip: Some("10.9.0.9".parse().unwrap()),
        };
        assert_eq!(r.text().unwrap(), "10.9.0.5-10.9.0.9");
    }
}
