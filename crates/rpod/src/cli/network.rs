//! `rpod network ...` and the network flags of `create`/`run`.

use clap::{Args, Subcommand};

/// Network flags shared by `create` and `run`.
#[derive(Debug, Args, Clone, Default)]
pub struct NetFlags {
    /// Network: bridge (default), none, host, container:ID, ns:PATH, or network names (comma-separated)
    #[arg(long = "network", alias = "net", value_name = "MODE")]
    pub network: Vec<String>,
    /// Static IPv4 address on the network
    #[arg(long, value_name = "IP")]
    pub ip: Option<String>,
    /// Static IPv6 address on the network
    #[arg(long, value_name = "IPV6")]
    pub ip6: Option<String>,
    /// Static MAC address on the network
    #[arg(long, value_name = "MAC")]
    pub mac_address: Option<String>,
    /// Extra name other containers on the network resolve to this one
    #[arg(long = "network-alias", value_name = "NAME")]
    pub network_alias: Vec<String>,
    /// Publish a port: [[IP:][HOST_PORT]:]CONTAINER_PORT[/PROTO] (ranges allowed)
    #[arg(short = 'p', long = "publish", value_name = "PORTS")]
    pub publish: Vec<String>,
    /// Publish every exposed port on a random host port
    #[arg(short = 'P', long = "publish-all")]
    pub publish_all: bool,
    /// Expose a port (published by -P): PORT[-END][/PROTO]
    #[arg(long, value_name = "PORT")]
    pub expose: Vec<String>,
    /// DNS server for the container's resolv.conf
    #[arg(long, value_name = "IP")]
    pub dns: Vec<String>,
    /// DNS search domain ('.' for none)
    #[arg(long = "dns-search", value_name = "DOMAIN")]
    pub dns_search: Vec<String>,
    /// resolv.conf option
    #[arg(long = "dns-option", alias = "dns-opt", value_name = "OPT")]
    pub dns_option: Vec<String>,
    /// Add a line to /etc/hosts: HOST:IP
    #[arg(long = "add-host", value_name = "HOST:IP")]
    pub add_host: Vec<String>,
}

#[derive(Debug, Subcommand)]
pub enum NetworkGroup {
    /// Create a network
    Create(NetworkCreateArgs),
    /// List networks
    #[command(visible_alias = "list")]
    Ls(NetworkLsArgs),
    /// Show network details
    Inspect(NetworkInspectArgs),
    /// Remove networks
    #[command(visible_alias = "remove")]
    Rm(NetworkRmArgs),
    /// Remove networks no container uses
    Prune(NetworkPruneArgs),
    /// Exit 0 if the network exists, 1 if not
    Exists(NetworkNameArg),
    /// Connect a container to a network
    Connect(NetworkConnectArgs),
    /// Disconnect a container from a network
    Disconnect(NetworkDisconnectArgs),
    /// Set up the networks of running containers again (firewall rules)
    Reload(NetworkReloadArgs),
}

#[derive(Debug, Args)]
pub struct NetworkCreateArgs {
    /// Driver: bridge or macvlan
    #[arg(short = 'd', long, value_name = "DRIVER")]
    pub driver: Option<String>,
    /// Subnet in CIDR form, IPv4 or IPv6 (e.g. 10.91.5.0/24, fd5a:1::/64); repeat for several
    #[arg(long, value_name = "CIDR")]
    pub subnet: Vec<String>,
    /// Gateway of the subnet at the same position (default: its first address)
    #[arg(long, value_name = "IP")]
    pub gateway: Vec<String>,
    /// Allocate addresses of the subnet at the same position from this range (CIDR or START-END)
    #[arg(long, value_name = "RANGE")]
    pub ip_range: Vec<String>,
    /// No route out of the network
    #[arg(long)]
    pub internal: bool,
    /// No DNS server (aardvark-dns) for container names
    #[arg(long)]
    pub disable_dns: bool,
    /// Set a label (KEY=VALUE)
    #[arg(long = "label", value_name = "KEY=VALUE")]
    pub labels: Vec<String>,
    /// Driver option: mtu, vlan, isolate (bridge); parent, mode, mtu (macvlan)
    #[arg(short = 'o', long = "opt", value_name = "KEY=VALUE")]
    pub opts: Vec<String>,
    /// The bridge's name (default rpodN)
    #[arg(long, value_name = "NAME")]
    pub interface_name: Option<String>,
    /// IP address management driver (host-local: rpod assigns the addresses)
    #[arg(long, value_name = "DRIVER")]
    pub ipam_driver: Option<String>,
    /// Dual stack: add a free IPv4 subnet and a random IPv6 /64 when not given
    #[arg(long)]
    pub ipv6: bool,
    /// Do nothing if a network of that name exists (as later Podman versions)
    #[arg(long)]
    pub ignore: bool,
    /// Name of the network (default rpodN)
    pub name: Option<String>,
}

#[derive(Debug, Args)]
pub struct NetworkLsArgs {
    /// Print no header line
    #[arg(long = "noheading")]
    pub noheading: bool,
    /// Go template or json
    #[arg(long)]
    pub format: Option<String>,
    /// Only print names
    #[arg(short = 'q', long)]
    pub quiet: bool,
    /// Do not truncate IDs
    #[arg(long)]
    pub no_trunc: bool,
    /// Filter: name=, driver=, label=
    #[arg(short = 'f', long, value_name = "KEY=VALUE")]
    pub filter: Vec<String>,
}

#[derive(Debug, Args)]
pub struct NetworkInspectArgs {
    /// Go template or json
    #[arg(short = 'f', long)]
    pub format: Option<String>,
    /// Networks (names or IDs)
    #[arg(required = true)]
    pub names: Vec<String>,
}

#[derive(Debug, Args)]
pub struct NetworkRmArgs {
    /// Remove the containers using the network too
    #[arg(short = 'f', long)]
    pub force: bool,
    /// Seconds to wait before killing containers (with --force)
    #[arg(short = 't', long = "time", value_name = "SECONDS")]
    pub time: Option<u32>,
    /// Networks (names or IDs)
    #[arg(required = true)]
    pub names: Vec<String>,
}

#[derive(Debug, Args)]
pub struct NetworkPruneArgs {
    /// Do not ask for confirmation
    #[arg(short = 'f', long)]
    pub force: bool,
    /// Prune only what matches these conditions: label=KEY[=VALUE], label!=KEY[=VALUE], until=TIME (repeatable)
    #[arg(long = "filter", value_name = "FILTER")]
    pub filter: Vec<String>,
}

#[derive(Debug, Args)]
pub struct NetworkNameArg {
    /// Network (name or ID)
    pub name: String,
}

#[derive(Debug, Args)]
pub struct NetworkConnectArgs {
    /// Extra name for the container on this network
    #[arg(long = "alias", value_name = "NAME")]
    pub aliases: Vec<String>,
    /// Static IPv4 address
    #[arg(long, value_name = "IP")]
    pub ip: Option<String>,
    /// Static IPv6 address
    #[arg(long, value_name = "IPV6")]
    pub ip6: Option<String>,
    /// Static MAC address
    #[arg(long, value_name = "MAC")]
    pub mac_address: Option<String>,
    /// Network (name or ID)
    pub network: String,
    /// Container (name or ID)
    pub container: String,
}

#[derive(Debug, Args)]
pub struct NetworkDisconnectArgs {
    /// Accepted for compatibility
    #[arg(short = 'f', long)]
    pub force: bool,
    /// Network (name or ID)
    pub network: String,
    /// Container (name or ID)
    pub container: String,
}

#[derive(Debug, Args)]
pub struct NetworkReloadArgs {
    /// Every running container
    #[arg(short = 'a', long)]
    pub all: bool,
    /// The latest container
    #[arg(short = 'l', long)]
    pub latest: bool,
    /// Containers (names or IDs)
    pub names: Vec<String>,
}
