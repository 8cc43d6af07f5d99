//! `rpod network ...`.

use std::collections::BTreeMap;

use anyhow::{bail, Result};
use libpod::container::options::parse_key_value;
use libpod::network::{CreateRequest, Network, PerNetworkOptions, SubnetRequest};
use libpod::Runtime;
use serde_json::{json, Value};

use crate::cli::network::{NetworkCreateArgs, NetworkGroup, NetworkLsArgs};
use crate::format::{print_table, OutputFormat};

/// Runs a `network` subcommand.
pub fn run(rt: &Runtime, g: NetworkGroup) -> Result<u8> {
    match g {
        NetworkGroup::Create(a) => create(rt, a),
        NetworkGroup::Ls(a) => ls(rt, &a),
        NetworkGroup::Inspect(a) => {
            let nets = a
                .names
                .iter()
                .map(|n| rt.network(n))
                .collect::<libpod::Result<Vec<_>>>()?;
            let format = OutputFormat::parse(a.format.as_deref())?;
            match format {
                OutputFormat::Template { .. } => {
                    let rows: Vec<Value> = nets.iter().map(go_fields).collect();
                    format.print_items(&rows)?;
                }
                _ => println!("{}", serde_json::to_string_pretty(&nets)?),
            }
            Ok(0)
        }
        NetworkGroup::Rm(a) => {
            let _ = a.time;
            let mut code = 0;
            for n in &a.names {
                match rt.remove_network(n, a.force) {
                    Ok(name) => println!("{name}"),
                    Err(e) => {
                        eprintln!("Error: {e}");
                        let this = e.exit_code_for(libpod::Operation::Remove) as u8;
                        code = if code == 0 || this > code { this } else { code };
                    }
                }
            }
            Ok(code)
        }
        NetworkGroup::Prune(a) => {
            let filters = libpod::query::PruneFilters::from_cli(
                libpod::query::Resource::Networks,
                &a.filter,
            )?;
            if !a.force
                && !super::confirm(
                    "WARNING! This will remove all networks not used by at least one container.",
                )?
            {
                return Ok(0);
            }
            for name in rt.prune_networks(&filters)? {
                println!("{name}");
            }
            Ok(0)
        }
        NetworkGroup::Exists(a) => match rt.network(&a.name) {
            Ok(_) => Ok(0),
            Err(e) if e.is_not_found() => Ok(1),
            Err(e) => Err(e.into()),
        },
        NetworkGroup::Connect(a) => {
            let per = PerNetworkOptions {
                static_ips: a
                    .ip
                    .iter()
                    .chain(a.ip6.iter())
                    .map(|ip| {
                        ip.parse()
                            .map_err(|_| anyhow::anyhow!("{ip:?} is not an ip address"))
                    })
                    .collect::<Result<_>>()?,
                aliases: a.aliases.clone(),
                static_mac: a.mac_address.clone(),
                interface_name: String::new(),
            };
            rt.connect_network(&a.network, &a.container, per)?;
            Ok(0)
        }
        NetworkGroup::Disconnect(a) => {
            rt.disconnect_network(&a.network, &a.container)?;
            Ok(0)
        }
        NetworkGroup::Reload(a) => {
            if !a.all && !a.latest && a.names.is_empty() {
                bail!("give container names, --all or --latest");
            }
            let names = if a.all {
                Vec::new()
            } else if a.latest {
                vec![rt.latest_container()?.id().to_string()]
            } else {
                a.names.clone()
            };
            for id in rt.reload_networks(&names)? {
                println!("{id}");
            }
            Ok(0)
        }
    }
}

fn create(rt: &Runtime, a: NetworkCreateArgs) -> Result<u8> {
    if let (true, Some(name)) = (a.ignore, a.name.as_deref()) {
        if let Ok(existing) = rt.network(name) {
            println!("{}", existing.name);
            return Ok(0);
        }
    }
    let mut options = BTreeMap::new();
    for o in &a.opts {
        let (k, v) = parse_key_value(o);
        options.insert(k, v);
    }
    let req = CreateRequest {
        name: a.name.clone(),
        driver: a.driver.clone(),
        subnets: SubnetRequest::from_flags(&a.subnet, &a.gateway, &a.ip_range)
            .map_err(libpod::Error::from)?,
        internal: a.internal,
        disable_dns: a.disable_dns,
        labels: a.labels.iter().map(|l| parse_key_value(l)).collect(),
        options,
        interface_name: a.interface_name.clone(),
        ipam_driver: a.ipam_driver.clone(),
        ipv6: a.ipv6,
        attachable: false,
    };
    let net = rt.create_network(&req)?;
    println!("{}", net.name);
    Ok(0)
}

/// A network with Go's field names, for templates.
fn go_fields(n: &Network) -> Value {
    json!({
        "Name": n.name,
        "ID": n.id,
        "Id": n.id,
        "Driver": n.driver,
        "NetworkInterface": n.network_interface,
        "Created": n.created,
        "Subnets": n.subnets.iter().map(|s| json!({
            "Subnet": s.subnet.to_string(),
            "Gateway": s.gateway.map(|g| g.to_string()).unwrap_or_default(),
            "LeaseRange": s.lease_range.as_ref().map(|r| json!({
                "StartIP": r.start_ip.map(|i| i.to_string()).unwrap_or_default(),
                "EndIP": r.end_ip.map(|i| i.to_string()).unwrap_or_default(),
            })),
        })).collect::<Vec<_>>(),
        "IPv6Enabled": n.ipv6_enabled,
        "Internal": n.internal,
        "DNSEnabled": n.dns_enabled,
        "Labels": n.labels,
        "Options": n.options,
        "IPAMOptions": n.ipam_options,
    })
}

fn ls(rt: &Runtime, a: &NetworkLsArgs) -> Result<u8> {
    if a.noheading {
        crate::format::omit_headings();
    }
    let nets = rt.list_networks(&libpod::query::NetworkFilters::from_cli(&a.filter)?)?;
    if a.quiet {
        for n in &nets {
            println!("{}", n.name);
        }
        return Ok(0);
    }
    let format = OutputFormat::parse(a.format.as_deref())?;
    match format {
        OutputFormat::Json => {
            println!("{}", serde_json::to_string_pretty(&nets)?);
            return Ok(0);
        }
        OutputFormat::Template { .. } => {
            let rows: Vec<Value> = nets.iter().map(go_fields).collect();
            format.print_items(&rows)?;
            return Ok(0);
        }
        OutputFormat::Default => {}
    }
    let mut rows = vec!["NETWORK ID\tNAME\tDRIVER".to_string()];
    for n in &nets {
        let id = if a.no_trunc {
            &n.id[..]
        } else {
            &n.id[..n.id.len().min(12)]
        };
        rows.push(format!("{id}\t{}\t{}", n.name, n.driver));
    }
    print_table(&rows);
    Ok(0)
}
