//! Podman's network types, as netavark reads and writes them (and as
//! network definitions are stored on disk, one JSON file per network).

use std::collections::BTreeMap;
use std::net::{IpAddr, Ipv4Addr};

use serde::{Deserialize, Serialize};

use crate::cidr::Ipv4Net;

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
}

/// One subnet of a network.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Subnet {
    pub subnet: Ipv4Net,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub gateway: Option<Ipv4Addr>,
    /// `--ip-range`: where allocated addresses come from.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub lease_range: Option<LeaseRange>,
}

/// The addresses IPAM may hand out in a subnet.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct LeaseRange {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub start_ip: Option<Ipv4Addr>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub end_ip: Option<Ipv4Addr>,
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

impl StatusBlock {
    /// The first interface's first address, prefix length, gateway and MAC.
    pub fn primary(&self) -> Option<(IpAddr, u8, Option<IpAddr>, String)> {
        let (_, iface) = self.interfaces.as_ref()?.iter().next()?;
        let addr = iface.subnets.as_ref()?.first()?;
        let (ip, prefix) = addr.ipnet.split_once('/')?;
        Some((
            ip.parse().ok()?,
            prefix.parse().ok()?,
            addr.gateway,
            iface.mac_address.clone(),
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn netavark_result_parses() {
        let text = r#"{"n":{"dns_search_domains":["dns.podman"],"dns_server_ips":["10.93.7.1"],"interfaces":{"eth0":{"mac_address":"d2:64:56:10:ba:42","subnets":[{"gateway":"10.93.7.1","ipnet":"10.93.7.2/24"}]}}}}"#;
        let r: BTreeMap<String, StatusBlock> = serde_json::from_str(text).unwrap();
        let (ip, prefix, gw, mac) = r["n"].primary().unwrap();
        assert_eq!(ip.to_string(), "10.93.7.2");
        assert_eq!(prefix, 24);
        assert_eq!(gw.unwrap().to_string(), "10.93.7.1");
        assert_eq!(mac, "d2:64:56:10:ba:42");
    }

    #[test]
    fn podman_network_files_parse() {
        let text = r#"{"name":"podman","id":"2f259bab93aaaaa2542ba43ef33eb990d0999ee1b9924b557b7be53c0b7a1bb9","driver":"bridge","network_interface":"podman0","created":"2021-11-18T01:58:22.148419519Z","subnets":[{"subnet":"10.88.0.0/16","gateway":"10.88.0.1"}],"ipv6_enabled":false,"internal":false,"dns_enabled":false,"ipam_options":{"driver":"host-local"}}"#;
        let n: Network = serde_json::from_str(text).unwrap();
        assert_eq!(n.subnets[0].subnet.to_string(), "10.88.0.0/16");
        let back = serde_json::to_string(&n).unwrap();
        assert_eq!(serde_json::from_str::<Network>(&back).unwrap(), n);
    }
}
