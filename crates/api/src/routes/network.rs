//! Docker's network endpoints over libpod's bridge networks (netavark).
//! `host` and `none` are listed as Docker lists them; rpod's default
//! network is the one Docker clients call `bridge`.

use std::collections::BTreeMap;

use axum::body::Body;
use axum::extract::{Path, RawQuery, State};
use axum::http::StatusCode;
use axum::response::Response;
use libpod::network::{CreateRequest, Network, PerNetworkOptions, SubnetRequest, DEFAULT_NETWORK};
use libpod::query::NetworkFilters;
use libpod::Runtime;
use serde::Deserialize;
use serde_json::{json, Value};

use super::{json, Params};
use crate::body::read_json;
use crate::docker_types::EndpointConfig;
use crate::error::{Error, Result};
use crate::state::AppState;

fn pseudo(name: &str, driver: &str) -> Value {
    json!({
        "Name": name,
        "Id": name,
        "Created": "0001-01-01T00:00:00Z",
        "Scope": "local",
        "Driver": driver,
        "EnableIPv6": false,
        "IPAM": { "Driver": "default", "Options": null, "Config": [] },
        "Internal": false,
        "Attachable": false,
        "Ingress": false,
        "ConfigFrom": { "Network": "" },
        "ConfigOnly": false,
        "Containers": {},
        "Options": {},
        "Labels": {},
    })
}

/// Docker's name for a libpod network (`rpod` is `bridge`).
fn docker_name(n: &Network) -> String {
    if n.name == DEFAULT_NETWORK {
        "bridge".into()
    } else {
        n.name.clone()
    }
}

/// The engine's name for a Docker network name.
fn engine_name(name: &str) -> &str {
    if name == "bridge" {
        DEFAULT_NETWORK
    } else {
        name
    }
}

/// The Docker document of a network, with its containers.
fn doc(rt: &Runtime, n: &Network) -> Result<Value> {
    let mut containers = serde_json::Map::new();
    for (id, name) in rt.network_users(&n.name)? {
        let Ok(c) = rt.container(&id) else { continue };
        let ep = c
            .network_settings()
            .networks
            .get(&n.name)
            .cloned()
            .unwrap_or_default();
        let with_prefix = |ip: &str, len: u8| {
            if ip.is_empty() {
                String::new()
            } else {
                format!("{ip}/{len}")
            }
        };
        containers.insert(
            id.clone(),
            json!({
                "Name": name,
                "EndpointID": id,
                "MacAddress": ep.mac_address,
                "IPv4Address": with_prefix(&ep.ip_address, ep.ip_prefix_len),
                "IPv6Address": with_prefix(&ep.global_ipv6_address, ep.global_ipv6_prefix_len),
            }),
        );
    }
    let config: Vec<Value> = n
        .subnets
        .iter()
        .map(|s| {
            let mut v = json!({ "Subnet": s.subnet.to_string() });
            if let Some(g) = s.gateway {
                v["Gateway"] = json!(g.to_string());
            }
            if let Some(r) = s.lease_range.as_ref().and_then(|r| r.text()) {
                v["IPRange"] = json!(r);
            }
            if !s.aux_addresses.is_empty() {
                v["AuxiliaryAddresses"] = json!(s
                    .aux_addresses
                    .iter()
                    .map(|(k, ip)| (k.clone(), ip.to_string()))
                    .collect::<BTreeMap<_, _>>());
            }
            v
        })
        .collect();
    Ok(json!({
        "Name": docker_name(n),
        "Id": n.id,
        "Created": n.created,
        "Scope": "local",
        "Driver": n.driver,
        "EnableIPv6": n.ipv6_enabled,
        "IPAM": { "Driver": "default", "Options": n.ipam_options, "Config": config },
        "Internal": n.internal,
        "Attachable": n.attachable,
        "Ingress": false,
        "ConfigFrom": { "Network": "" },
        "ConfigOnly": false,
        "Containers": containers,
        "Options": docker_options(n),
        "Labels": n.labels,
    }))
}

/// Docker's option naming a bridge's interface.
const BRIDGE_NAME: &str = "com.docker.network.bridge.name";

/// The network's options as Docker shows them: a bridge given its own
/// interface name (not one rpod chose, `rpodN`) shows it as Docker's option.
fn docker_options(n: &Network) -> BTreeMap<String, String> {
    let mut o = n.options.clone();
    let chosen = n
        .network_interface
        .strip_prefix("rpod")
        .is_some_and(|d| !d.is_empty() && d.bytes().all(|b| b.is_ascii_digit()));
    if n.driver == "bridge"
        && !chosen
        && !n.network_interface.is_empty()
        && n.name != DEFAULT_NETWORK
    {
        o.insert(BRIDGE_NAME.into(), n.network_interface.clone());
    }
    o
}

/// `host` and `none` as networks, for the filters.
fn pseudo_network(name: &str, driver: &str) -> Network {
    Network {
        name: name.into(),
        id: name.into(),
        driver: driver.into(),
        network_interface: String::new(),
        created: "0001-01-01T00:00:00Z".into(),
        subnets: Vec::new(),
        ipv6_enabled: false,
        internal: false,
        dns_enabled: false,
        labels: BTreeMap::new(),
        options: BTreeMap::new(),
        ipam_options: BTreeMap::new(),
        attachable: false,
    }
}

/// `GET /networks?filters=`: libpod's network filters, on Docker's names
/// (`bridge` for the default network) and with `host` and `none`.
pub async fn list(State(st): State<AppState>, q: RawQuery) -> Result<Response> {
    let p = Params::from_raw(q)?;
    let filters = NetworkFilters::from_json(p.get("filters").unwrap_or(""))?;
    let docs = st
        .engine(move |rt| {
            let used = rt.networks_in_use()?;
            let mut out = Vec::new();
            for n in rt.networks()? {
                let in_use = used.contains(&n.name);
                let seen = Network {
                    name: docker_name(&n),
                    ..n.clone()
                };
                if filters.matches(&seen, in_use) {
                    out.push(doc(rt, &n)?);
                }
            }
            for (name, driver) in [("host", "host"), ("none", "null")] {
                if filters.matches(&pseudo_network(name, driver), true) {
                    out.push(pseudo(name, driver));
                }
            }
            Ok(out)
        })
        .await?;
    Ok(json(StatusCode::OK, &docs))
}

/// `GET /networks/{id}?verbose=&scope=`: every network of a single host is
/// `local` (another scope finds none, as with a Docker engine outside a
/// swarm); `verbose` adds nothing for local networks, as in Docker.
pub async fn inspect(
    State(st): State<AppState>,
    Path(id): Path<String>,
    q: RawQuery,
) -> Result<Response> {
    let p = Params::from_raw(q)?;
    p.bool("verbose", false)?;
    if let Some(scope) = p.get("scope").filter(|s| !s.is_empty() && *s != "local") {
        if !matches!(scope, "swarm" | "global") {
            return Err(Error::BadRequest(format!(
                "invalid scope {scope:?}: use local, swarm or global"
            )));
        }
        return Err(Error::NotFound(format!("network {id} not found")));
    }
    if id == "host" || id == "none" {
        return Ok(json(
            StatusCode::OK,
            &pseudo(&id, if id == "host" { "host" } else { "null" }),
        ));
    }
    let d = st
        .engine(move |rt| {
            let n = rt.network(engine_name(&id))?;
            doc(rt, &n)
        })
        .await?;
    Ok(json(StatusCode::OK, &d))
}

/// `POST /networks/create` body.
#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "PascalCase", default)]
pub struct NetworkCreate {
    pub name: String,
    pub driver: Option<String>,
    pub internal: bool,
    #[serde(rename = "IPAM")]
    pub ipam: Option<NetworkIpam>,
    pub options: Option<BTreeMap<String, String>>,
    pub labels: Option<BTreeMap<String, String>>,
    pub check_duplicate: Option<bool>,
    #[serde(rename = "EnableIPv6")]
    pub enable_ipv6: Option<bool>,
    pub attachable: Option<bool>,
    /// Any other field: refused by name when it holds a value.
    #[serde(flatten)]
    pub other: BTreeMap<String, Value>,
}

/// `IPAM` of a network create request.
#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "PascalCase", default)]
pub struct NetworkIpam {
    pub driver: Option<String>,
    pub config: Option<Vec<IpamPool>>,
    pub options: Option<BTreeMap<String, String>>,
}

/// One `IPAM.Config` entry.
#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "PascalCase", default)]
pub struct IpamPool {
    pub subnet: Option<String>,
    #[serde(rename = "IPRange")]
    pub ip_range: Option<String>,
    pub gateway: Option<String>,
    pub auxiliary_addresses: Option<BTreeMap<String, String>>,
}

/// `POST /networks/create`.
pub async fn create(State(st): State<AppState>, body: Body) -> Result<Response> {
    let req: Option<NetworkCreate> = read_json(body).await?;
    let req = req.ok_or_else(|| Error::BadRequest("a JSON body is required".into()))?;
    if req.name.is_empty() {
        return Err(Error::BadRequest("network name is required".into()));
    }
    if ["bridge", "host", "none", "default"].contains(&req.name.as_str()) {
        return Err(Error::Conflict(format!(
            "{} is a pre-defined network and cannot be created",
            req.name
        )));
    }
    // `Scope: local` is what every rpod network is.
    let unapplied: Vec<&String> = req
        .other
        .iter()
        .filter(|(k, v)| {
            libpod::specgen::has_value(v) && !(k.as_str() == "Scope" && v.as_str() == Some("local"))
        })
        .map(|(k, _)| k)
        .collect();
    if let Some(k) = unapplied.first() {
        return Err(Error::BadRequest(format!(
            "{k} is not supported by rpod yet (network create)"
        )));
    }
    let ipam_driver = req.ipam.as_ref().and_then(|i| i.driver.clone());
    if req
        .ipam
        .as_ref()
        .and_then(|i| i.options.as_ref())
        .is_some_and(|o| !o.is_empty())
    {
        return Err(Error::BadRequest(
            "IPAM.Options are not supported: rpod's address allocation takes none".into(),
        ));
    }
    let nonempty = |v: Option<String>| v.filter(|x| !x.is_empty());
    let subnets = req
        .ipam
        .and_then(|i| i.config)
        .unwrap_or_default()
        .into_iter()
        .map(|p| SubnetRequest {
            subnet: nonempty(p.subnet),
            gateway: nonempty(p.gateway),
            ip_range: nonempty(p.ip_range),
            aux_addresses: p.auxiliary_addresses.unwrap_or_default(),
        })
        .collect();
    let mut options = req.options.unwrap_or_default();
    // Docker's name of the bridge interface is rpod's interface name.
    let interface_name = options.remove(BRIDGE_NAME);
    let create = CreateRequest {
        name: Some(req.name.clone()),
        driver: req.driver.filter(|d| !d.is_empty()),
        subnets,
        internal: req.internal,
        labels: req.labels.unwrap_or_default(),
        options,
        interface_name,
        // Docker's "default" IPAM driver is rpod's host-local.
        ipam_driver: ipam_driver.filter(|d| d != "default"),
        ipv6: req.enable_ipv6 == Some(true),
        attachable: req.attachable == Some(true),
        ..Default::default()
    };
    let name = req.name.clone();
    let id = st
        .engine(move |rt| {
            if rt.network(&name).is_ok() {
                return Err(Error::Conflict(format!(
                    "network with name {name} already exists"
                )));
            }
            rt.create_network(&create)
                .map(|n| n.id)
                .map_err(|e| match e {
                    libpod::Error::Network(n) => Error::BadRequest(n.to_string()),
                    other => other.into(),
                })
        })
        .await?;
    Ok(json(
        StatusCode::CREATED,
        &json!({ "Id": id, "Warning": "" }),
    ))
}

/// `POST /libpod/networks/create` body: Podman's network type.
#[derive(Debug, Default, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct LibpodNetworkCreate {
    pub name: String,
    pub driver: String,
    pub network_interface: String,
    pub subnets: Option<Vec<LibpodSubnet>>,
    pub ipv6_enabled: bool,
    pub internal: bool,
    pub dns_enabled: Option<bool>,
    pub labels: Option<BTreeMap<String, String>>,
    pub options: Option<BTreeMap<String, String>>,
    pub ipam_options: Option<BTreeMap<String, String>>,
    // Set by the engine; accepted when a client echoes them back empty.
    pub id: String,
    pub created: Option<String>,
}

/// One subnet of [`LibpodNetworkCreate`].
#[derive(Debug, Default, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct LibpodSubnet {
    pub subnet: String,
    pub gateway: Option<String>,
    pub lease_range: Option<LibpodLeaseRange>,
}

/// `lease_range` of a [`LibpodSubnet`].
#[derive(Debug, Default, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct LibpodLeaseRange {
    pub start_ip: Option<String>,
    pub end_ip: Option<String>,
}

/// `POST /libpod/networks/create`: Podman's network JSON in, the created
/// network out.
pub async fn libpod_create(State(st): State<AppState>, body: Body) -> Result<Response> {
    let req: Option<LibpodNetworkCreate> = read_json(body).await?;
    let req = req.ok_or_else(|| Error::BadRequest("a JSON body is required".into()))?;
    if !req.id.is_empty() {
        return Err(Error::BadRequest(
            "id is set by the engine: leave it out of a new network".into(),
        ));
    }
    let mut subnets = Vec::new();
    for s in req.subnets.unwrap_or_default() {
        let ip_range = match s.lease_range {
            Some(LibpodLeaseRange {
                start_ip: Some(a),
                end_ip: Some(b),
            }) => Some(format!("{a}-{b}")),
            Some(LibpodLeaseRange {
                start_ip: None,
                end_ip: None,
            })
            | None => None,
            Some(_) => {
                return Err(Error::BadRequest(
                    "lease_range needs both start_ip and end_ip".into(),
                ))
            }
        };
        subnets.push(SubnetRequest {
            subnet: Some(s.subnet),
            gateway: s.gateway.filter(|g| !g.is_empty()),
            ip_range,
            aux_addresses: BTreeMap::new(),
        });
    }
    let mut ipam = req.ipam_options.unwrap_or_default();
    let ipam_driver = ipam.remove("driver");
    if let Some(k) = ipam.keys().next() {
        return Err(Error::BadRequest(format!(
            "ipam_options.{k} is not supported (only driver)"
        )));
    }
    let create = CreateRequest {
        name: (!req.name.is_empty()).then_some(req.name),
        driver: (!req.driver.is_empty()).then_some(req.driver),
        subnets,
        internal: req.internal,
        disable_dns: req.dns_enabled == Some(false),
        labels: req.labels.unwrap_or_default(),
        options: req.options.unwrap_or_default(),
        interface_name: (!req.network_interface.is_empty()).then_some(req.network_interface),
        ipam_driver,
        ipv6: req.ipv6_enabled,
        attachable: false,
    };
    let n = st.engine(move |rt| Ok(rt.create_network(&create)?)).await?;
    Ok(json(StatusCode::OK, &n))
}

/// `DELETE /libpod/networks/{name}?force=`: Podman's removal report.
pub async fn libpod_remove(
    State(st): State<AppState>,
    Path(name): Path<String>,
    q: RawQuery,
) -> Result<Response> {
    let force = Params::from_raw(q)?.bool("force", false)?;
    let removed = st
        .engine(move |rt| Ok(rt.remove_network(&name, force)?))
        .await?;
    Ok(json(
        StatusCode::OK,
        &json!([{ "Name": removed, "Err": Value::Null }]),
    ))
}

/// `POST /libpod/networks/{name}/connect` body: the container and its
/// settings on the network (Podman's per-network options, inline).
#[derive(Debug, Default, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct LibpodConnect {
    pub container: String,
    pub static_ips: Vec<std::net::IpAddr>,
    pub aliases: Vec<String>,
    pub static_mac: String,
    pub interface_name: String,
}

/// `POST /libpod/networks/{name}/connect|disconnect`.
pub async fn libpod_action(
    State(st): State<AppState>,
    Path((name, action)): Path<(String, String)>,
    body: Body,
) -> Result<Response> {
    match action.as_str() {
        "connect" => {
            let req: Option<LibpodConnect> = read_json(body).await?;
            let req = req.ok_or_else(|| Error::BadRequest("a JSON body is required".into()))?;
            if !req.interface_name.is_empty() {
                return Err(Error::BadRequest(
                    "interface_name on connect is not supported: rpod names interfaces ethN".into(),
                ));
            }
            let per = PerNetworkOptions {
                static_ips: req.static_ips,
                aliases: req.aliases,
                static_mac: (!req.static_mac.is_empty()).then_some(req.static_mac),
                interface_name: String::new(),
            };
            st.engine(move |rt| Ok(rt.connect_network(&name, &req.container, per)?))
                .await?;
            Ok(json(StatusCode::OK, &Value::Null))
        }
        "disconnect" => disconnect(State(st), Path(name), body).await,
        other => Err(Error::NotFound(format!("no such network action {other:?}"))),
    }
}

/// `POST /libpod/networks/prune?filters=`: Podman's prune report.
pub async fn libpod_prune(State(st): State<AppState>, q: RawQuery) -> Result<Response> {
    let filters = Params::from_raw(q)?.prune_filters(libpod::query::Resource::Networks)?;
    let removed = st
        .engine(move |rt| Ok(rt.prune_networks(&filters)?))
        .await?;
    let report: Vec<Value> = removed
        .into_iter()
        .map(|n| json!({ "Name": n, "Error": Value::Null }))
        .collect();
    Ok(json(StatusCode::OK, &report))
}

/// `DELETE /networks/{id}`.
pub async fn remove(State(st): State<AppState>, Path(id): Path<String>) -> Result<Response> {
    if ["bridge", "host", "none"].contains(&id.as_str()) {
        return Err(Error::Conflict(format!(
            "{id} is a pre-defined network and cannot be removed"
        )));
    }
    st.engine(move |rt| {
        let n = rt.network(&id)?;
        let users = rt.network_users(&n.name)?;
        if !users.is_empty() {
            return Err(Error::Conflict(format!(
                "error while removing network: network {} id {} has active endpoints",
                n.name, n.id
            )));
        }
        rt.remove_network(&n.name, false)?;
        Ok(())
    })
    .await?;
    Ok(super::no_content())
}

/// `POST /networks/prune?filters=` (`label`, `label!`, `until`).
pub async fn prune(State(st): State<AppState>, q: RawQuery) -> Result<Response> {
    let filters = Params::from_raw(q)?.prune_filters(libpod::query::Resource::Networks)?;
    let removed = st
        .engine(move |rt| Ok(rt.prune_networks(&filters)?))
        .await?;
    Ok(json(StatusCode::OK, &json!({ "NetworksDeleted": removed })))
}

/// `POST /networks/{id}/connect|disconnect` body.
#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "PascalCase", default)]
pub struct ConnectRequest {
    pub container: String,
    pub endpoint_config: Option<EndpointConfig>,
    pub force: bool,
}

/// `POST /networks/{id}/connect`.
pub async fn connect(
    State(st): State<AppState>,
    Path(id): Path<String>,
    body: Body,
) -> Result<Response> {
    let req: Option<ConnectRequest> = read_json(body).await?;
    let req = req.ok_or_else(|| Error::BadRequest("a JSON body is required".into()))?;
    let mut per = PerNetworkOptions::default();
    let mut links = Vec::new();
    if let Some(ep) = req.endpoint_config {
        ep.refuse_unapplied(&id)?;
        for l in ep.links.iter().flatten() {
            links.push(
                libpod::network::Link::parse(l, Some(engine_name(&id)))
                    .map_err(libpod::Error::from)?,
            );
        }
        if let Some(c) = &ep.ipam_config {
            per.static_ips = c.addresses()?;
        }
        per.aliases = ep.aliases.unwrap_or_default();
        per.static_mac = ep.mac_address.filter(|m| !m.is_empty());
    }
    st.engine(move |rt| {
        let n = rt.network(engine_name(&id))?;
        let mut c = rt.container(&req.container)?;
        if !links.is_empty() && c.status().is_active() {
            return Err(Error::BadRequest(format!(
                "container {} is running: links are given to a container before it starts",
                c.name()
            )));
        }
        rt.connect_network(&n.name, &req.container, per)?;
        for l in &mut links {
            l.network = Some(n.name.clone());
        }
        c = rt.container(&req.container)?;
        Ok(c.add_links(&links)?)
    })
    .await?;
    Ok(json(StatusCode::OK, &Value::Null))
}

/// `POST /networks/{id}/disconnect`.
pub async fn disconnect(
    State(st): State<AppState>,
    Path(id): Path<String>,
    body: Body,
) -> Result<Response> {
    let req: Option<ConnectRequest> = read_json(body).await?;
    let req = req.ok_or_else(|| Error::BadRequest("a JSON body is required".into()))?;
    st.engine(move |rt| {
        let n = rt.network(engine_name(&id))?;
        // Force: a container that is not (or no longer) on the network is
        // taken as disconnected.
        if req.force {
            match rt.container(&req.container) {
                Err(e) if e.is_not_found() => return Ok(()),
                Ok(c) if !c.config().net.networks.contains_key(&n.name) => return Ok(()),
                _ => {}
            }
        }
        Ok(rt.disconnect_network(&n.name, &req.container)?)
    })
    .await?;
    Ok(json(StatusCode::OK, &Value::Null))
}
