//! A container's network: resolving the flags at creation, the namespace
//! rpod makes and netavark sets up at init (torn down at cleanup or when
//! init fails), the hosts and resolv.conf files for every mode, and what
//! `inspect`, `ps` and `port` show.
//!
//! The namespace is pinned at `<runroot>/netns/rpod-<id>`; next to it,
//! `rpod-<id>.json` records the options given to netavark and its result,
//! so teardown uses exactly what setup used and a stale namespace from an
//! interrupted run is torn down before the next setup.

use std::collections::BTreeMap;
use std::net::{IpAddr, Ipv4Addr};
use std::path::PathBuf;

use network::{
    ContainerNetConfig, NetworkMode, NetworkOptions, NetworkRequest, PerNetworkOptions,
    PortMapping, StatusBlock,
};
use serde::{Deserialize, Serialize};

use super::{Container, ContainerStatus};
use crate::error::{Error, Result};
use crate::fsutil::{write_atomic, PRIVATE_FILE, SHARED_FILE};
use crate::runtime::Runtime;

/// What was set up for a running container.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub(crate) struct NetStatus {
    pub options: Option<NetworkOptions>,
    #[serde(default)]
    pub results: BTreeMap<String, StatusBlock>,
    /// Rootless bridge networks: slirp4netns's rules forwarding the
    /// published ports into the rootless network namespace.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub hostfwd: Vec<u64>,
}

/// Docker's `NetworkSettings` (Podman's shape).
#[derive(Debug, Clone, Serialize, Default)]
#[serde(rename_all = "PascalCase")]
pub struct NetworkSettings {
    #[serde(rename = "EndpointID")]
    pub endpoint_id: String,
    pub gateway: String,
    #[serde(rename = "IPAddress")]
    pub ip_address: String,
    #[serde(rename = "IPPrefixLen")]
    pub ip_prefix_len: u8,
    #[serde(rename = "IPv6Gateway")]
    pub ipv6_gateway: String,
    #[serde(rename = "GlobalIPv6Address")]
    pub global_ipv6_address: String,
    #[serde(rename = "GlobalIPv6PrefixLen")]
    pub global_ipv6_prefix_len: u8,
    pub mac_address: String,
    pub bridge: String,
    #[serde(rename = "SandboxID")]
    pub sandbox_id: String,
    pub hairpin_mode: bool,
    #[serde(rename = "LinkLocalIPv6Address")]
    pub link_local_ipv6_address: String,
    #[serde(rename = "LinkLocalIPv6PrefixLen")]
    pub link_local_ipv6_prefix_len: u8,
    pub ports: BTreeMap<String, Vec<PortBinding>>,
    pub sandbox_key: String,
    pub networks: BTreeMap<String, EndpointSettings>,
}

/// One host side of a published port.
#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
#[serde(rename_all = "PascalCase")]
pub struct PortBinding {
    pub host_ip: String,
    pub host_port: String,
}

/// A container's place on one network.
#[derive(Debug, Clone, Serialize, Default)]
#[serde(rename_all = "PascalCase")]
pub struct EndpointSettings {
    #[serde(rename = "EndpointID")]
    pub endpoint_id: String,
    pub gateway: String,
    #[serde(rename = "IPAddress")]
    pub ip_address: String,
    #[serde(rename = "IPPrefixLen")]
    pub ip_prefix_len: u8,
    #[serde(rename = "IPv6Gateway")]
    pub ipv6_gateway: String,
    #[serde(rename = "GlobalIPv6Address")]
    pub global_ipv6_address: String,
    #[serde(rename = "GlobalIPv6PrefixLen")]
    pub global_ipv6_prefix_len: u8,
    pub mac_address: String,
    #[serde(rename = "NetworkID")]
    pub network_id: String,
    pub driver_opts: Option<BTreeMap<String, String>>,
    #[serde(rename = "IPAMConfig")]
    pub ipam_config: Option<BTreeMap<String, String>>,
    pub links: Option<Vec<String>>,
    pub aliases: Vec<String>,
}

/// `/etc/hosts` as Podman writes it for its own network namespaces: the
/// `--add-host` entries, the host's `/etc/hosts` (loopback entries when it
/// has none), `host.containers.internal` on `internal` (the gateway, or the
/// host's address without a network), then the container's own line on each
/// of its addresses (127.0.0.1 without one).
fn podman_hosts(
    extra: &[network::HostEntry],
    internal: Option<IpAddr>,
    own_ips: &[IpAddr],
    names: &str,
) -> String {
    let mut out = String::new();
    for e in extra {
        out.push_str(&format!("{}\t{}\n", e.ip, e.names.join(" ")));
    }
    // The host's entries, one `IP<TAB>names` line each (comments dropped).
    let base = std::fs::read_to_string("/etc/hosts").unwrap_or_default();
    let mut any = false;
    for line in base.lines() {
        let line = line.split('#').next().unwrap_or_default();
        let mut fields = line.split_whitespace();
        if let Some(ip) = fields.next() {
            let names: Vec<&str> = fields.collect();
            if !names.is_empty() {
                out.push_str(&format!("{ip}\t{}\n", names.join(" ")));
                any = true;
            }
        }
    }
    if !any {
        out.push_str("127.0.0.1\tlocalhost\n::1\tlocalhost\n");
    }
    if let Some(ip) = internal {
        out.push_str(&format!("{ip}\thost.containers.internal\n"));
    }
    if !names.is_empty() {
        if own_ips.is_empty() {
            out.push_str(&format!("127.0.0.1\t{names}\n"));
        }
        for ip in own_ips {
            out.push_str(&format!("{ip}\t{names}\n"));
        }
    }
    out
}

/// The host's address on its default route (no packet is sent).
fn host_primary_ip() -> Option<IpAddr> {
    let socket = std::net::UdpSocket::bind((Ipv4Addr::UNSPECIFIED, 0)).ok()?;
    socket.connect((Ipv4Addr::new(192, 0, 2, 1), 9)).ok()?;
    let ip = socket.local_addr().ok()?.ip();
    (!ip.is_unspecified() && !ip.is_loopback()).then_some(ip)
}

/// `HostConfig.PortBindings` / `NetworkSettings.Ports`: `80/tcp` → bindings.
pub fn port_bindings(ports: &[PortMapping]) -> BTreeMap<String, Vec<PortBinding>> {
    let mut out: BTreeMap<String, Vec<PortBinding>> = BTreeMap::new();
    for m in ports {
        for i in 0..m.range {
            out.entry(format!("{}/{}", m.container_port + i, m.protocol))
                .or_default()
                .push(PortBinding {
                    host_ip: m.host_ip.clone(),
                    host_port: (m.host_port + i).to_string(),
                });
        }
    }
    out
}

impl Runtime {
    /// Resolves the network flags of a new container: the mode, and for
    /// bridge mode the networks (which must exist), addresses, aliases and
    /// ports (`-P` publishes the image's exposed ports on random host ports).
    pub(crate) fn resolve_network(
        &self,
        mode: &NetworkMode,
        req: &NetworkRequest,
        image: Option<&str>,
    ) -> Result<(NetworkMode, ContainerNetConfig)> {
        req.validate_common()?;
        let (mut mode, names) = if req.networks.is_empty() {
            (mode.clone(), Vec::new())
        } else {
            req.mode_and_network_options()?
        };
        let per_net_bridge = names.iter().any(|(_, o)| *o != Default::default());
        if let NetworkMode::Container(other) = &mode {
            mode = NetworkMode::Container(self.db.resolve(other)?);
        }
        if let NetworkMode::Ns(path) = &mode {
            if !path.exists() {
                return Err(Error::InvalidArgument(format!(
                    "network namespace {} does not exist",
                    path.display()
                )));
            }
        }
        let mut ports = Vec::new();
        for p in &req.publish {
            ports.extend(network::parse_publish(p)?);
        }
        for m in &req.ports {
            ports.extend(network::port_mapping(
                &m.host_ip,
                m.host_port,
                m.container_port,
                m.range,
                &m.protocol,
            )?);
        }
        // What the container exposes: `--expose` and the image's ports.
        let mut exposed: Vec<String> = req.expose.clone();
        if let Some(reference) = image {
            exposed.extend(self.image_exposed_ports(reference)?);
        }
        let mut expose = Vec::new();
        for e in &exposed {
            let pp = network::parse_expose(e)?;
            for i in 0..pp.range {
                let port = format!("{}/{}", pp.port.saturating_add(i), pp.protocol);
                if !expose.contains(&port) {
                    expose.push(port);
                }
            }
        }
        if req.publish_all {
            for e in exposed {
                let pp = network::parse_expose(&e)?;
                for i in 0..pp.range {
                    let port = pp.port + i;
                    if !ports.iter().any(|m| {
                        m.container_port <= port
                            && port < m.container_port + m.range
                            && m.protocol == pp.protocol
                    }) {
                        ports.push(PortMapping {
                            host_ip: String::new(),
                            container_port: port,
                            host_port: 0,
                            range: 1,
                            protocol: pp.protocol.clone(),
                        });
                    }
                }
            }
        }
        let mut net = ContainerNetConfig {
            dns: req.dns.clone(),
            dns_search: req.dns_search.clone(),
            dns_options: req.dns_options.clone(),
            add_hosts: req.add_hosts.clone(),
            expose,
            ..Default::default()
        };
        for link in &req.links {
            if !mode.is_bridge() {
                return Err(Error::InvalidArgument(format!(
                    "links need a bridge network, not --network {mode}"
                )));
            }
            net.links.push(network::Link {
                container: self.db.resolve(&link.container)?,
                ..link.clone()
            });
        }
        let wants_bridge = !ports.is_empty()
            || req.ip.is_some()
            || req.ip6.is_some()
            || req.mac.is_some()
            || !req.aliases.is_empty()
            || per_net_bridge;
        if crate::rootless::is_rootless() && mode.is_bridge() && req.networks.is_empty() {
            // pasta is the rootless default, as in Podman 5; bridge
            // networks are there when asked for by name or `bridge`.
            mode = NetworkMode::Pasta(Vec::new());
        }
        match &mode {
            NetworkMode::Bridge => {}
            m if m.is_user_mode() => {
                if req.ip.is_some()
                    || req.ip6.is_some()
                    || req.mac.is_some()
                    || !req.aliases.is_empty()
                {
                    return Err(Error::InvalidArgument(format!(
                        "--ip, --ip6, --mac-address and --network-alias need a bridge network, not --network {m}"
                    )));
                }
                network::assign_host_ports(&mut ports)?;
                net.ports = ports;
                return Ok((mode, net));
            }
            NetworkMode::Host if wants_bridge => {
                return Err(Error::InvalidArgument(
                    "published ports, --ip, --mac-address and --network-alias need a bridge network, not the host network".into(),
                ))
            }
            _ if wants_bridge => {
                return Err(Error::InvalidArgument(format!(
                    "published ports, --ip, --mac-address and --network-alias need a bridge network, not --network {mode}"
                )))
            }
            _ => return Ok((mode, net)),
        }
        network::assign_host_ports(&mut ports)?;
        net.ports = ports;
        let store = self.network_store();
        let names = if names.is_empty() {
            vec![(network::DEFAULT_NETWORK.to_string(), Default::default())]
        } else {
            names
        };
        if names.len() > 1 && (req.ip.is_some() || req.ip6.is_some() || req.mac.is_some()) {
            return Err(Error::InvalidArgument(
                "--ip, --ip6 and --mac-address apply to a single network".into(),
            ));
        }
        // `--ip` and `--ip6` (either family each, as in Podman).
        let mut flag_ips = Vec::new();
        for ip in req.ip.iter().chain(req.ip6.iter()) {
            flag_ips.push(
                ip.parse::<IpAddr>()
                    .map_err(|_| Error::InvalidArgument(format!("{ip:?} is not an ip address")))?,
            );
        }
        for (i, (name, opts)) in names.iter().enumerate() {
            let def = store.get(name)?;
            if let Some(mac) = &opts.mac {
                network::validate_mac(mac)?;
            }
            // The flags for every network (`--ip`, `--network-alias`, …) win
            // over a network's own options, as in Podman.
            let static_ips = if flag_ips.is_empty() {
                opts.ips.clone()
            } else {
                flag_ips.clone()
            };
            for ip in &static_ips {
                if !def.subnets.iter().any(|s| s.subnet.contains(ip)) {
                    return Err(Error::InvalidArgument(format!(
                        "requested static ip {ip} not in any subnet on network {}",
                        def.name
                    )));
                }
            }
            net.networks.insert(
                def.name.clone(),
                PerNetworkOptions {
                    static_ips,
                    aliases: if req.aliases.is_empty() {
                        opts.aliases.clone()
                    } else {
                        req.aliases.clone()
                    },
                    static_mac: req.mac.clone().or_else(|| opts.mac.clone()),
                    interface_name: opts
                        .interface_name
                        .clone()
                        .unwrap_or_else(|| format!("eth{i}")),
                },
            );
        }
        Ok((mode, net))
    }

    /// The image's `ExposedPorts` keys (`80/tcp`).
    fn image_exposed_ports(&self, reference: &str) -> Result<Vec<String>> {
        let store = self.store()?;
        let image = match store.lookup_image(reference) {
            Ok(i) => i,
            Err(_) => return Ok(Vec::new()),
        };
        let cfg = store.image_config(&image)?;
        Ok(cfg
            .config()
            .as_ref()
            .and_then(|c| c.exposed_ports().clone())
            .unwrap_or_default())
    }
}

impl Container<'_> {
    /// True while the container's namespace is set up.
    fn netns_live(&self) -> bool {
        self.state.status.is_active() || self.state.status == ContainerStatus::Created
    }

    fn netns_path(&self) -> PathBuf {
        self.rt.netns_dir().join(format!("rpod-{}", self.id()))
    }

    /// The PID file of the user-mode helper (pasta, slirp4netns).
    fn helper_pid_path(&self) -> PathBuf {
        self.rt
            .netns_dir()
            .join(format!("rpod-{}.helper.pid", self.id()))
    }

    fn net_status_path(&self) -> PathBuf {
        self.rt.netns_dir().join(format!("rpod-{}.json", self.id()))
    }

    pub(crate) fn net_status(&self) -> Option<NetStatus> {
        let bytes = std::fs::read(self.net_status_path()).ok()?;
        serde_json::from_slice(&bytes).ok()
    }

    fn save_net_status(&self, status: &NetStatus) -> Result<()> {
        let json = serde_json::to_vec(status).map_err(|source| Error::Json {
            context: "encoding the network status".into(),
            source,
        })?;
        std::fs::create_dir_all(self.rt.netns_dir()).map_err(|source| Error::Io {
            context: "creating the netns directory".into(),
            source,
        })?;
        write_atomic(&self.net_status_path(), &json, PRIVATE_FILE)
    }

    /// The namespace the runtime joins (`None`: a new one, or the host's).
    pub(crate) fn netns_for_spec(&self) -> Result<Option<PathBuf>> {
        match &self.config.network {
            NetworkMode::None | NetworkMode::Host => Ok(None),
            // In a user namespace the runtime makes it, owned by that namespace.
            NetworkMode::Bridge | NetworkMode::Pasta(_) | NetworkMode::Slirp4netns(_)
                if self.has_userns() =>
            {
                Ok(None)
            }
            NetworkMode::Bridge | NetworkMode::Pasta(_) | NetworkMode::Slirp4netns(_) => {
                Ok(Some(self.netns_path()))
            }
            NetworkMode::Ns(p) => Ok(Some(p.clone())),
            NetworkMode::Container(id) => {
                let other = self.rt.container(id)?;
                if !matches!(
                    other.status(),
                    ContainerStatus::Running | ContainerStatus::Paused | ContainerStatus::Created
                ) {
                    return Err(Error::InvalidArgument(format!(
                        "--network container:{}: that container is not running",
                        other.name()
                    )));
                }
                match other.netns_for_spec()? {
                    Some(p) => Ok(Some(p)),
                    None if other.config.network == NetworkMode::Host => Ok(None),
                    None => Ok(Some(PathBuf::from(format!(
                        "/proc/{}/ns/net",
                        other.state.pid
                    )))),
                }
            }
        }
    }

    /// True when the container runs in the host's network namespace
    /// (itself, or through `container:` a container that does).
    pub(crate) fn uses_host_network(&self) -> bool {
        match &self.config.network {
            NetworkMode::Host => true,
            NetworkMode::Container(id) => self
                .rt
                .container(id)
                .map(|o| o.config.network == NetworkMode::Host)
                .unwrap_or(false),
            _ => false,
        }
    }

    /// Makes the namespace and connects it to the container's networks
    /// (bridge mode), after checking its host ports are free. Undone here
    /// when it fails.
    pub(crate) fn setup_network(&mut self) -> Result<()> {
        if !self.config.network.is_managed() {
            return Ok(());
        }
        // A namespace left by an interrupted run goes first.
        self.teardown_network();
        self.check_ports()?;
        if self.has_userns() {
            // Connected once the runtime made it: see `setup_userns_network`.
            return Ok(());
        }
        let netns = self.netns_path();
        network::netns::create(&netns)?;
        match self.connect_all(&netns) {
            Ok(()) => Ok(()),
            Err(e) => {
                self.teardown_network();
                let _ = network::netns::remove(&netns);
                Err(e)
            }
        }
    }

    /// Bridge mode in a user namespace: the runtime made the network
    /// namespace (so the container's user namespace owns it); it is pinned
    /// where rpod keeps it and connected like one rpod made.
    pub(crate) fn setup_userns_network(&mut self, pid: i32) -> Result<()> {
        if !self.config.network.is_managed() || !self.has_userns() {
            return Ok(());
        }
        let netns = self.netns_path();
        let io = |source: std::io::Error| Error::Io {
            context: format!("pinning the network namespace at {}", netns.display()),
            source,
        };
        std::fs::create_dir_all(self.rt.netns_dir()).map_err(io)?;
        std::fs::File::create(&netns).map_err(io)?;
        nix::mount::mount(
            Some(format!("/proc/{pid}/ns/net").as_str()),
            &netns,
            None::<&str>,
            nix::mount::MsFlags::MS_BIND,
            None::<&str>,
        )
        .map_err(|e| io(e.into()))?;
        self.connect_all(&netns)
    }

    fn connect_all(&mut self, netns: &std::path::Path) -> Result<()> {
        let helper_pid = self.helper_pid_path();
        match &self.config.network {
            NetworkMode::Pasta(options) => {
                self.save_net_status(&NetStatus::default())?;
                return network::usermode::start_pasta(
                    netns,
                    &self.config.net.ports,
                    options,
                    &helper_pid,
                )
                .map_err(port_error);
            }
            NetworkMode::Slirp4netns(options) => {
                self.save_net_status(&NetStatus::default())?;
                let options = network::usermode::SlirpOptions {
                    program: self.rt.options.network_cmd_path.clone(),
                    ..network::usermode::SlirpOptions::parse(options)?
                };
                let base = self.rt.netns_dir().join(format!("rpod-{}", self.id()));
                return network::usermode::start_slirp4netns(
                    netns,
                    &self.config.net.ports,
                    &options,
                    &helper_pid,
                    &base.with_extension("slirp.log"),
                )
                .map_err(port_error);
            }
            _ => {}
        }
        let mut opts = self.network_options(&self.config.net.networks.clone())?;
        let rootless = crate::rootless::is_rootless();
        if rootless {
            if let Some(ports) = &opts.port_mappings {
                opts.port_mappings = Some(network::rootless_netns::inner_ports(ports));
            }
        }
        let mut status = NetStatus {
            options: Some(opts.clone()),
            results: BTreeMap::new(),
            hostfwd: Vec::new(),
        };
        self.save_net_status(&status)?;
        status.results = self
            .rt
            .netavark()?
            .setup(netns, &opts)
            .map_err(port_error)?;
        self.save_net_status(&status)?;
        if rootless && !self.config.net.ports.is_empty() {
            status.hostfwd = self
                .rt
                .rootless_netns()
                .publish(&self.config.net.ports)
                .map_err(port_error)?;
            self.save_net_status(&status)?;
        }
        Ok(())
    }

    /// netavark's options for `networks`, allocating addresses.
    fn network_options(
        &self,
        networks: &BTreeMap<String, PerNetworkOptions>,
    ) -> Result<NetworkOptions> {
        let store = self.rt.network_store();
        let ipam = self.rt.ipam();
        let mut opts = NetworkOptions {
            container_id: self.id().to_string(),
            container_name: self.name().to_string(),
            port_mappings: (!self.config.net.ports.is_empty())
                .then(|| self.config.net.ports.clone()),
            networks: BTreeMap::new(),
            network_info: BTreeMap::new(),
        };
        for (name, per) in networks {
            let mut def = store.get(name)?;
            let mut per = per.clone();
            per.static_ips = ipam.allocate(&def, self.id(), &per.static_ips)?;
            // Auxiliary addresses and Attachable are rpod's own; netavark
            // is not told.
            for s in &mut def.subnets {
                s.aux_addresses.clear();
            }
            def.attachable = false;
            opts.networks.insert(name.clone(), per);
            opts.network_info.insert(name.clone(), def);
        }
        Ok(opts)
    }

    /// Refuses host ports that another container of this engine publishes
    /// or that something on the host listens on.
    fn check_ports(&self) -> Result<()> {
        let ports = &self.config.net.ports;
        if ports.is_empty() {
            return Ok(());
        }
        for (config, state) in self.rt.db.all_containers()? {
            if config.id == self.id()
                || !(state.status.is_active() || state.status == ContainerStatus::Created)
            {
                continue;
            }
            for m in ports {
                if let Some(theirs) = config.net.ports.iter().find(|t| network::conflicts(m, t)) {
                    return Err(Error::InvalidArgument(format!(
                        "host port {}/{} is already published by container {} ({})",
                        theirs.host_port,
                        theirs.protocol,
                        config.name,
                        network::format_port(std::slice::from_ref(theirs))
                    )));
                }
            }
        }
        drop(network::reserve_ports(ports)?);
        Ok(())
    }

    /// Disconnects and removes the namespace, frees the addresses. Best
    /// effort: problems are reported as warnings.
    pub(crate) fn teardown_network(&mut self) {
        let netns = self.netns_path();
        let status_path = self.net_status_path();
        if let Some(status) = self.net_status() {
            self.rt.rootless_netns().unpublish(&status.hostfwd);
            if let Some(opts) = &status.options {
                if network::netns::is_namespace(&netns) {
                    match self.rt.netavark() {
                        Ok(nv) => {
                            if let Err(e) = nv.teardown(&netns, opts) {
                                crate::diagnostics::warn(format!(
                                    "rpod: warning: network teardown of container {}: {e}",
                                    self.name()
                                ));
                            }
                        }
                        Err(e) => crate::diagnostics::warn(format!("rpod: warning: {e}")),
                    }
                }
                for name in opts.networks.keys() {
                    let _ = self.rt.ipam().release(name, self.id());
                }
            }
        }
        network::usermode::stop(&self.helper_pid_path());
        let base = self.rt.netns_dir().join(format!("rpod-{}", self.id()));
        let _ = std::fs::remove_file(base.with_extension("slirp.log"));
        if netns.exists() {
            if let Err(e) = network::netns::remove(&netns) {
                crate::diagnostics::warn(format!("rpod: warning: container {}: {e}", self.name()));
            }
        }
        let _ = std::fs::remove_file(status_path);
    }

    /// Writes `hosts` and `resolv.conf` into the rundir for the mode.
    pub(crate) fn write_network_files(&self) -> Result<()> {
        let rundir = self.rundir();
        let host_resolv = std::fs::read_to_string("/etc/resolv.conf").unwrap_or_default();
        let net = &self.config.net;
        let extra = net.host_entries();
        // resolv.conf with the user's --dns* settings over `dns` servers.
        let resolv_with = |dns: &[String], host_network: bool| {
            network::resolv_conf(
                &host_resolv,
                dns,
                &net.dns_search,
                &net.dns_options,
                host_network,
            )
        };
        let (hosts, resolv) = match &self.config.network {
            NetworkMode::Container(id) => {
                let other = self.rt.container(id)?;
                let dir = other.rundir();
                let mut hosts = std::fs::read_to_string(dir.join("hosts")).unwrap_or_default();
                for e in &extra {
                    hosts.push_str(&format!("{}\t{}\n", e.ip, e.names.join(" ")));
                }
                let resolv = if net.dns.is_empty()
                    && net.dns_search.is_empty()
                    && net.dns_options.is_empty()
                {
                    std::fs::read_to_string(dir.join("resolv.conf")).unwrap_or_default()
                } else {
                    network::resolv_conf(
                        &host_resolv,
                        &net.dns,
                        &net.dns_search,
                        &net.dns_options,
                        other.uses_host_network(),
                    )
                };
                (hosts, resolv)
            }
            NetworkMode::Host => {
                let host_hosts = std::fs::read_to_string("/etc/hosts").unwrap_or_default();
                (
                    network::hosts_file(
                        network::HostsBase::Host(&host_hosts),
                        &self.config.hostname,
                        None,
                        &extra,
                    ),
                    network::resolv_conf(
                        &host_resolv,
                        &net.dns,
                        &net.dns_search,
                        &net.dns_options,
                        true,
                    ),
                )
            }
            NetworkMode::None => (
                podman_hosts(&extra, host_primary_ip(), &[], &self.hosts_names()),
                resolv_with(&net.dns, false),
            ),
            NetworkMode::Ns(_) => (
                network::hosts_file(
                    network::HostsBase::Loopback,
                    &self.config.hostname,
                    None,
                    &extra,
                ),
                network::resolv_conf(
                    &host_resolv,
                    &net.dns,
                    &net.dns_search,
                    &net.dns_options,
                    false,
                ),
            ),
            NetworkMode::Bridge => {
                let mut extra = extra;
                extra.extend(self.link_entries()?);
                self.bridge_files(&host_resolv, extra)
            }
            NetworkMode::Pasta(_) => (
                // pasta gives the container a copy of the host's address;
                // the host is not reachable under a name of its own.
                podman_hosts(&extra, None, &[], &self.hosts_names()),
                resolv_with(&net.dns, false),
            ),
            NetworkMode::Slirp4netns(options) => {
                let loopback = network::usermode::SlirpOptions::parse(options)
                    .map(|o| o.allow_host_loopback)
                    .unwrap_or(false);
                let own: IpAddr = network::usermode::SLIRP_GUEST_ADDR
                    .parse()
                    .expect("a constant address");
                let gateway: IpAddr = [10, 0, 2, 2].into();
                // slirp4netns answers DNS itself at 10.0.2.3.
                let dns = if net.dns.is_empty() {
                    vec!["10.0.2.3".to_string()]
                } else {
                    net.dns.clone()
                };
                (
                    podman_hosts(
                        &extra,
                        loopback.then_some(gateway),
                        &[own],
                        &self.hosts_names(),
                    ),
                    resolv_with(&dns, false),
                )
            }
        };
        write_atomic(&rundir.join("hosts"), hosts.as_bytes(), SHARED_FILE)?;
        write_atomic(&rundir.join("resolv.conf"), resolv.as_bytes(), SHARED_FILE)
    }

    /// The names of the container's own line of `/etc/hosts`: the host
    /// name, then the container name when it differs.
    fn hosts_names(&self) -> String {
        let hostname = &self.config.hostname;
        if self.name() != hostname {
            format!("{hostname} {}", self.name())
        } else {
            hostname.clone()
        }
    }

    /// The hosts-file lines of the container's links: each linked
    /// container's address on the network they share, under the alias and
    /// its name. The linked container must be running, as with Docker.
    fn link_entries(&self) -> Result<Vec<network::HostEntry>> {
        let mut out = Vec::new();
        for link in &self.config.net.links {
            let other = self.rt.container(&link.container).map_err(|e| match e {
                Error::NoSuchContainer(_) => Error::InvalidArgument(format!(
                    "cannot link to container {}: it no longer exists",
                    link.container
                )),
                other => other,
            })?;
            if !other.state.status.is_active() {
                return Err(Error::InvalidArgument(format!(
                    "cannot link to a non running container: {} AS {}",
                    other.name(),
                    link.alias
                )));
            }
            let status = other.net_status().unwrap_or_default();
            let shared = status.results.iter().find(|(name, _)| match &link.network {
                Some(n) => *name == n,
                None => self.config.net.networks.contains_key(*name),
            });
            let Some(address) =
                shared.and_then(|(_, b)| b.address(false).or_else(|| b.address(true)))
            else {
                return Err(Error::InvalidArgument(format!(
                    "cannot link to container {}: it has no address on a network {} is on",
                    other.name(),
                    self.name()
                )));
            };
            out.push(network::HostEntry {
                ip: address.ip,
                names: vec![link.alias.clone(), other.name().to_string()],
            });
        }
        Ok(out)
    }

    fn bridge_files(&self, host_resolv: &str, extra: Vec<network::HostEntry>) -> (String, String) {
        let net = &self.config.net;
        let status = self.net_status().unwrap_or_default();
        // The first network's addresses, in its subnets' order; the host is
        // its IPv4 gateway (else the IPv6 one), as Podman writes them.
        let addresses = status
            .results
            .values()
            .map(|b| b.addresses())
            .find(|a| !a.is_empty())
            .unwrap_or_default();
        let own_ips: Vec<IpAddr> = addresses.iter().map(|a| a.ip).collect();
        let gateway = addresses
            .iter()
            .filter(|a| a.ip.is_ipv4())
            .chain(addresses.iter())
            .find_map(|a| a.gateway);
        let hosts = podman_hosts(&extra, gateway, &own_ips, &self.hosts_names());
        let dns_servers: Vec<String> = status
            .results
            .values()
            .flat_map(|b| b.dns_server_ips.clone().unwrap_or_default())
            .map(|ip| ip.to_string())
            .collect();
        let mut search: Vec<String> = status
            .results
            .values()
            .flat_map(|b| b.dns_search_domains.clone().unwrap_or_default())
            .collect();
        search.dedup();
        // The network's DNS servers (aardvark-dns), then the host's, as
        // Podman writes them.
        let dns = if net.dns.is_empty() {
            let mut all = dns_servers;
            for ip in network::host_nameservers(host_resolv) {
                if !all.contains(&ip) {
                    all.push(ip);
                }
            }
            all
        } else {
            net.dns.clone()
        };
        let search = if !net.dns_search.is_empty() {
            net.dns_search.clone()
        } else if search.is_empty() {
            Vec::new()
        } else {
            search.extend(network::host_search_domains(host_resolv));
            search
        };
        let resolv = network::resolv_conf(host_resolv, &dns, &search, &net.dns_options, false);
        (hosts, resolv)
    }

    /// `NetworkSettings` for inspect: the addresses while set up, the
    /// published ports always. A container in another one's network namespace (a pod's
    /// member, `--network container:X`) shows that one's, as Podman does.
    pub fn network_settings(&self) -> NetworkSettings {
        if let NetworkMode::Container(other) = &self.config.network {
            if let Ok(c) = self.rt.container(other) {
                if c.id() != self.id() {
                    return c.network_settings();
                }
            }
        }
        let mut s = NetworkSettings {
            ports: port_bindings(&self.config.net.ports),
            ..Default::default()
        };
        let active = self.state.status.is_active() || self.state.status == ContainerStatus::Created;
        let status = if active { self.net_status() } else { None };
        if let Some(st) = &status {
            s.sandbox_key = self.netns_path().display().to_string();
            if let Some(block) = st.results.values().find(|b| !b.addresses().is_empty()) {
                let ep = endpoint_addresses(block);
                s.ip_address = ep.ip_address;
                s.ip_prefix_len = ep.ip_prefix_len;
                s.gateway = ep.gateway;
                s.ipv6_gateway = ep.ipv6_gateway;
                s.global_ipv6_address = ep.global_ipv6_address;
                s.global_ipv6_prefix_len = ep.global_ipv6_prefix_len;
                s.mac_address = ep.mac_address;
            }
        }
        for (name, per) in &self.config.net.networks {
            let block = status.as_ref().and_then(|st| st.results.get(name));
            let mut ep = block.map(endpoint_addresses).unwrap_or_default();
            ep.aliases = per.aliases.clone();
            if let Ok(def) = self.rt.network_store().get(name) {
                ep.network_id = def.id;
            }
            s.networks.insert(name.clone(), ep);
        }
        s
    }

    /// `ps`'s PORTS entries (`0.0.0.0:8080->80/tcp`).
    pub fn ports_display(&self) -> Vec<String> {
        self.config
            .net
            .ports
            .iter()
            .map(|m| network::format_port(std::slice::from_ref(m)))
            .collect()
    }

    /// `rpod port` lines, optionally for one container port (`80/tcp`).
    pub fn port_lines(&self, filter: Option<&str>) -> Result<Vec<String>> {
        Ok(network::port_lines(&self.config.net.ports, filter)?)
    }

    /// Connects a container to another network (`network connect`); a
    /// running one is connected at once.
    pub fn connect_network(&mut self, name: &str, per: PerNetworkOptions) -> Result<()> {
        let _guard = self.lock()?;
        if !self.config.network.is_bridge() {
            return Err(Error::InvalidArgument(format!(
                "container {} uses --network {}: only bridge-mode containers can be connected",
                self.name(),
                self.config.network
            )));
        }
        let def = self.rt.network_store().get(name)?;
        if self.config.net.networks.contains_key(&def.name) {
            return Err(Error::InvalidArgument(format!(
                "container {} is already connected to network {}",
                self.name(),
                def.name
            )));
        }
        let mut per = per;
        per.interface_name = (0..)
            .map(|i| format!("eth{i}"))
            .find(|n| {
                !self
                    .config
                    .net
                    .networks
                    .values()
                    .any(|p| &p.interface_name == n)
            })
            .unwrap_or_else(|| "eth9".into());
        if self.netns_live() {
            let one: BTreeMap<String, PerNetworkOptions> = [(def.name.clone(), per.clone())].into();
            let mut opts = self.network_options(&one)?;
            opts.port_mappings = None;
            let netns = self.netns_path();
            let result = match self.rt.netavark()?.setup(&netns, &opts) {
                Ok(r) => r,
                Err(e) => {
                    let _ = self.rt.ipam().release(&def.name, self.id());
                    return Err(e.into());
                }
            };
            let mut status = self.net_status().unwrap_or_default();
            if let Some(all) = status.options.as_mut() {
                all.networks.extend(opts.networks);
                all.network_info.extend(opts.network_info);
            }
            status.results.extend(result);
            self.save_net_status(&status)?;
        }
        self.config.net.networks.insert(def.name.clone(), per);
        self.rt.db.save_config(&self.config)?;
        Ok(())
    }

    /// Adds links to other containers (Docker's `Links` of a `connect`),
    /// in effect from the next start: a running container's hosts file is
    /// not rewritten under it.
    pub fn add_links(&mut self, links: &[network::Link]) -> Result<()> {
        if links.is_empty() {
            return Ok(());
        }
        let _guard = self.lock()?;
        if self.state.status.is_active() {
            return Err(Error::InvalidArgument(format!(
                "container {} is running: links are added to a container before it starts",
                self.name()
            )));
        }
        for link in links {
            let id = self.rt.db.resolve(&link.container)?;
            self.config.net.links.push(network::Link {
                container: id,
                ..link.clone()
            });
        }
        self.rt.db.save_config(&self.config)?;
        Ok(())
    }

    /// Disconnects a container from a network (`network disconnect`).
    pub fn disconnect_network(&mut self, name: &str) -> Result<()> {
        let _guard = self.lock()?;
        let def = self.rt.network_store().get(name)?;
        let Some(per) = self.config.net.networks.get(&def.name).cloned() else {
            return Err(Error::InvalidArgument(format!(
                "container {} is not connected to network {}",
                self.name(),
                def.name
            )));
        };
        if self.netns_live() {
            let mut status = self.net_status().unwrap_or_default();
            if let Some(all) = status.options.as_mut() {
                let mut one = all.clone();
                one.port_mappings = None;
                one.networks.retain(|n, _| n == &def.name);
                one.network_info.retain(|n, _| n == &def.name);
                if one.networks.is_empty() {
                    one.networks.insert(def.name.clone(), per);
                    one.network_info.insert(def.name.clone(), def.clone());
                }
                self.rt.netavark()?.teardown(&self.netns_path(), &one)?;
                all.networks.remove(&def.name);
                all.network_info.remove(&def.name);
            }
            status.results.remove(&def.name);
            self.save_net_status(&status)?;
        }
        self.rt.ipam().release(&def.name, self.id())?;
        self.config.net.networks.remove(&def.name);
        self.rt.db.save_config(&self.config)?;
        Ok(())
    }

    /// `network reload`: tears the running container's networks down and
    /// sets them up again with the same addresses, restoring firewall rules
    /// (as Podman's reload does).
    pub fn reload_network(&mut self) -> Result<bool> {
        let _guard = self.lock()?;
        if !self.config.network.is_bridge() || !self.state.status.is_active() {
            return Ok(false);
        }
        let Some(mut status) = self.net_status() else {
            return Ok(false);
        };
        let Some(opts) = status.options.clone() else {
            return Ok(false);
        };
        let nv = self.rt.netavark()?;
        let netns = self.netns_path();
        let _ = nv.teardown(&netns, &opts);
        status.results = nv.setup(&netns, &opts)?;
        self.save_net_status(&status)?;
        Ok(true)
    }
}

/// The addresses of one network's result as inspect shows them: the first
/// IPv4 and the first IPv6 address, with their gateways.
fn endpoint_addresses(block: &StatusBlock) -> EndpointSettings {
    let mut ep = EndpointSettings {
        mac_address: block.mac().unwrap_or_default(),
        ..Default::default()
    };
    if let Some(a) = block.address(false) {
        ep.ip_address = a.ip.to_string();
        ep.ip_prefix_len = a.prefix_len;
        ep.gateway = a.gateway.map(|g| g.to_string()).unwrap_or_default();
    }
    if let Some(a) = block.address(true) {
        ep.global_ipv6_address = a.ip.to_string();
        ep.global_ipv6_prefix_len = a.prefix_len;
        ep.ipv6_gateway = a.gateway.map(|g| g.to_string()).unwrap_or_default();
    }
    ep
}

/// A netavark failure about a busy port, said plainly.
fn port_error(e: network::Error) -> Error {
    match &e {
        network::Error::Netavark { message, .. } if message.contains("in use") => {
            Error::InvalidArgument(format!(
                "a published host port is already in use: {message}"
            ))
        }
        _ => e.into(),
    }
}
