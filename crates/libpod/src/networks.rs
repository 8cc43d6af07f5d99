//! Networks as engine objects: where their files live, and `network
//! create/ls/inspect/rm/prune/connect/disconnect/reload`.
//!
//! Definitions: `<root>/networks/NAME.json` (Podman's format). Address
//! allocations and netavark's own configuration (aardvark-dns) live under
//! `<runroot>/networks/`, namespaces under `<runroot>/netns/`: all of it is
//! run-time state that a reboot wipes together with the bridges.

use std::path::PathBuf;

use network::{CreateRequest, Ipam, Netavark, Network, NetworkStore, PerNetworkOptions};

use crate::error::{Error, Result};
use crate::runtime::Runtime;

impl Runtime {
    /// The network definitions.
    pub fn network_store(&self) -> NetworkStore {
        NetworkStore::new(self.paths.network_configs())
    }

    /// Address allocations.
    pub(crate) fn ipam(&self) -> Ipam {
        Ipam::new(self.paths.run_root.join("networks").join("ipam"))
    }

    /// Where container network namespaces are pinned.
    pub(crate) fn netns_dir(&self) -> PathBuf {
        self.paths.netns_dir()
    }

    /// netavark with rpod's own configuration directory.
    pub(crate) fn netavark(&self) -> Result<Netavark> {
        let mut nv = Netavark::find(
            self.paths.run_root.join("networks").join("netavark"),
            None,
            None,
        )?;
        if crate::rootless::is_rootless() {
            // The user's bridges live in the rootless network namespace,
            // and its calls are serialised by a lock of the user's own.
            nv.lock_path = self.paths.run_root.join("networks").join("netavark.lock");
            nv.netns = Some(self.rootless_netns().ensure()?);
        }
        Ok(nv)
    }

    /// Rootless: the network namespace of the user's bridge networks.
    pub(crate) fn rootless_netns(&self) -> network::rootless_netns::RootlessNetns {
        network::rootless_netns::RootlessNetns::new(&self.netns_dir())
            .with_program(self.options.network_cmd_path.clone())
    }

    /// `network create`.
    pub fn create_network(&self, req: &CreateRequest) -> Result<Network> {
        Ok(self.network_store().create(req)?)
    }

    /// Every network, the default first.
    pub fn networks(&self) -> Result<Vec<Network>> {
        Ok(self.network_store().list()?)
    }

    /// A network by name or ID (prefix).
    pub fn network(&self, name_or_id: &str) -> Result<Network> {
        Ok(self.network_store().get(name_or_id)?)
    }

    /// Names of the containers connected to `network`.
    pub fn network_users(&self, network: &str) -> Result<Vec<(String, String)>> {
        Ok(self
            .db
            .all_containers()?
            .into_iter()
            .filter(|(c, _)| c.network.is_bridge() && c.net.networks.contains_key(network))
            .map(|(c, _)| (c.id, c.name))
            .collect())
    }

    /// `network rm`: refuses a network in use unless `force`, which removes
    /// its containers first. Returns the network's name.
    pub fn remove_network(&self, name_or_id: &str, force: bool) -> Result<String> {
        let net = self.network(name_or_id)?;
        if net.name == network::DEFAULT_NETWORK {
            return Err(Error::InvalidArgument(format!(
                "default network {} cannot be removed",
                net.name
            )));
        }
        let users = self.network_users(&net.name)?;
        if !users.is_empty() {
            if !force {
                return Err(network::Error::NetworkInUse {
                    name: net.name.clone(),
                    containers: users.into_iter().map(|(_, n)| n).collect(),
                }
                .into());
            }
            for (id, _) in users {
                match self.container(&id) {
                    Ok(mut c) => {
                        c.remove(true, Some(0))?;
                    }
                    Err(e) if e.is_not_found() => {}
                    Err(e) => return Err(e),
                }
            }
        }
        self.network_store().remove(&net.name)?;
        self.ipam().forget(&net.name)?;
        Ok(net.name)
    }

    /// `network prune`: removes every network no container uses, of those
    /// `filters` select; returns their names.
    pub fn prune_networks(&self, filters: &crate::query::PruneFilters) -> Result<Vec<String>> {
        let mut removed = Vec::new();
        for net in self.networks()? {
            // A creation time that does not parse is taken as now.
            let created = chrono::DateTime::parse_from_rfc3339(&net.created)
                .map(|t| t.with_timezone(&chrono::Utc))
                .unwrap_or_else(|_| chrono::Utc::now());
            if net.name == network::DEFAULT_NETWORK
                || !filters.matches(&net.labels, created)
                || !self.network_users(&net.name)?.is_empty()
            {
                continue;
            }
            self.network_store().remove(&net.name)?;
            self.ipam().forget(&net.name)?;
            removed.push(net.name);
        }
        Ok(removed)
    }

    /// `network connect`.
    pub fn connect_network(
        &self,
        network: &str,
        container: &str,
        per: PerNetworkOptions,
    ) -> Result<()> {
        let mut c = self.container(container)?;
        c.connect_network(network, per)?;
        self.network_event(&c, network, "connect");
        Ok(())
    }

    /// `network disconnect`.
    pub fn disconnect_network(&self, network: &str, container: &str) -> Result<()> {
        let mut c = self.container(container)?;
        c.disconnect_network(network)?;
        self.network_event(&c, network, "disconnect");
        Ok(())
    }

    /// Records a container's `connect` or `disconnect` on a network, as
    /// Podman records them (the container's ID and name, the network's name).
    fn network_event(&self, c: &crate::Container<'_>, network: &str, status: &str) {
        let name = self
            .network(network)
            .map(|n| n.name)
            .unwrap_or_else(|_| network.to_string());
        self.events.write(&crate::events::Event {
            id: c.id().to_string(),
            image: String::new(),
            name: c.name().to_string(),
            status: status.to_string(),
            time: chrono::Utc::now(),
            kind: "network".into(),
            network: name,
            exit_code: None,
            attributes: Default::default(),
        });
    }

    /// `network reload`: the named containers (or all running ones) get
    /// their networks set up again; returns the IDs reloaded.
    pub fn reload_networks(&self, names: &[String]) -> Result<Vec<String>> {
        let ids: Vec<String> = if names.is_empty() {
            self.containers()?
                .into_iter()
                .filter(|c| c.status().is_active())
                .map(|c| c.id().to_string())
                .collect()
        } else {
            names
                .iter()
                .map(|n| self.container(n).map(|c| c.id().to_string()))
                .collect::<Result<_>>()?
        };
        let mut done = Vec::new();
        for id in ids {
            if self.container(&id)?.reload_network()? {
                done.push(id);
            }
        }
        Ok(done)
    }
}
