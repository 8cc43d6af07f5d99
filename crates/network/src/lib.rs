//! Network configuration for rpod containers.
//!
//! - what containers see: `/etc/hosts` ([`hosts_file`]) and `/etc/resolv.conf`
//!   ([`resolv_conf`]);
//! - how they are connected: [`NetworkMode`] and the per-container settings
//!   ([`ContainerNetConfig`]: networks, published ports, DNS, extra hosts);
//! - network definitions stored like Podman's, one JSON file per network
//!   ([`NetworkStore`]), with rpod's own address allocation ([`Ipam`]);
//! - network namespaces made by rpod ([`netns`]) and set up by netavark
//!   ([`Netavark`]), with aardvark-dns answering container names.

mod cidr;
mod error;
mod hosts;
mod ipam;
mod mode;
pub mod netavark;
pub mod netns;
mod ports;
mod resolv;
pub mod rootless_netns;
mod store;
mod types;
pub mod usermode;

pub use cidr::{first_host, is_host_address, overlaps};
pub use error::{Error, Result};
pub use hosts::{hosts_file, HostEntry, HostsBase};
pub use ipam::Ipam;
pub use ipnet::IpNet;
pub use mode::{
    parse_add_host, validate_mac, ContainerNetConfig, Link, NetworkFlagOptions, NetworkMode,
    NetworkRequest,
};
pub use netavark::Netavark;
pub use ports::{
    assign_host_ports, conflicts, format_port, parse_expose, parse_publish, port_lines,
    port_mapping, reserve_ports, PortProto,
};
pub use resolv::{host_nameservers, host_search_domains, resolv_conf};
pub use store::{
    validate_name, CreateRequest, NetworkStore, SubnetRequest, DEFAULT_BRIDGE, DEFAULT_NETWORK,
    DEFAULT_SUBNET,
};
pub use types::{
    Address, LeaseRange, NetAddress, NetInterface, Network, NetworkOptions, PerNetworkOptions,
    PortMapping, StatusBlock, Subnet,
};
