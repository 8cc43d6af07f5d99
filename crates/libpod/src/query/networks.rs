//! Network listings (`network ls`, `GET /networks`, `GET
//! /libpod/networks/json`).

use std::collections::BTreeSet;

use chrono::{DateTime, Utc};
use network::{Network, DEFAULT_NETWORK};

use super::{check_keys, id_matches, parse_until, FilterSet, LabelFilters, NamePatterns, Resource};
use crate::error::{Error, Result};
use crate::runtime::Runtime;

/// The network filter keys (`type` is Docker's: `custom` or `builtin`).
pub const KEYS: &[&str] = &[
    "name", "id", "label", "label!", "driver", "until", "dangling", "type",
];

/// Docker's built-in networks: the default network and the `host` and
/// `none` modes, which the Docker API lists as networks.
pub fn is_builtin(name: &str) -> bool {
    [DEFAULT_NETWORK, "bridge", "host", "none"].contains(&name)
}

/// Network filters, parsed and checked.
#[derive(Debug, Clone, Default)]
pub struct NetworkFilters {
    pub name: NamePatterns,
    pub id: Vec<String>,
    pub labels: LabelFilters,
    pub driver: Vec<String>,
    pub until: Option<DateTime<Utc>>,
    pub dangling: Option<bool>,
    /// `Some(true)`: built-in networks only; `Some(false)`: custom ones.
    pub builtin: Option<bool>,
}

impl NetworkFilters {
    pub fn parse(set: &FilterSet) -> Result<NetworkFilters> {
        check_keys(set, Resource::Networks, KEYS)?;
        let mut dangling = None;
        for v in set.get("dangling") {
            dangling = Some(super::parse_bool(v).ok_or_else(|| {
                Error::InvalidArgument(format!("invalid dangling filter value {v:?}"))
            })?);
        }
        let mut builtin = None;
        for v in set.get("type") {
            builtin = Some(match v.as_str() {
                "builtin" => true,
                "custom" => false,
                _ => {
                    return Err(Error::InvalidArgument(format!(
                        "invalid filter: 'type'='{v}'"
                    )))
                }
            });
        }
        Ok(NetworkFilters {
            name: NamePatterns::parse(set.get("name"))?,
            id: set.get("id").to_vec(),
            labels: LabelFilters::parse(set),
            driver: set.get("driver").to_vec(),
            until: parse_until(set)?,
            dangling,
            builtin,
        })
    }

    pub fn from_cli<S: AsRef<str>>(flags: &[S]) -> Result<NetworkFilters> {
        Self::parse(&FilterSet::from_cli(Resource::Networks, flags)?)
    }

    pub fn from_json(text: &str) -> Result<NetworkFilters> {
        Self::parse(&FilterSet::from_json(text)?)
    }

    /// Whether `n` passes; `in_use`: some container is connected to it.
    /// The default network is never dangling, as Podman's.
    pub fn matches(&self, n: &Network, in_use: bool) -> bool {
        let created = DateTime::parse_from_rfc3339(&n.created)
            .ok()
            .map(|d| d.with_timezone(&Utc));
        let builtin = is_builtin(&n.name);
        self.name.matches(&n.name)
            && id_matches(&self.id, &n.id)
            && self.labels.matches(&n.labels)
            && (self.driver.is_empty() || self.driver.contains(&n.driver))
            && self.until.is_none_or(|t| created.is_some_and(|c| c < t))
            && self.dangling.is_none_or(|d| d == (!in_use && !builtin))
            && self.builtin.is_none_or(|b| b == builtin)
    }
}

impl Runtime {
    /// The names of the networks containers are connected to.
    pub fn networks_in_use(&self) -> Result<BTreeSet<String>> {
        Ok(self
            .db
            .all_containers()?
            .into_iter()
            .filter(|(c, _)| c.network.is_bridge())
            .flat_map(|(c, _)| c.net.networks.into_keys())
            .collect())
    }

    /// The networks a listing shows, the default first.
    pub fn list_networks(&self, filters: &NetworkFilters) -> Result<Vec<Network>> {
        let used = if filters.dangling.is_some() {
            self.networks_in_use()?
        } else {
            BTreeSet::new()
        };
        Ok(self
            .networks()?
            .into_iter()
            .filter(|n| filters.matches(n, used.contains(&n.name)))
            .collect())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn net(name: &str, id: &str) -> Network {
        Network {
            name: name.into(),
            id: id.into(),
            driver: "bridge".into(),
            network_interface: String::new(),
            created: "2020-01-01T00:00:00Z".into(),
            subnets: Vec::new(),
            ipv6_enabled: false,
            internal: false,
            dns_enabled: false,
            labels: [("a".to_string(), "1".to_string())].into(),
            options: Default::default(),
            ipam_options: Default::default(),
            attachable: false,
        }
    }

    #[test]
    fn filters() {
        let n = net("front", "abcdef");
        let d = net(DEFAULT_NETWORK, "000000");
        let keep = |flags: &[&str], n: &Network, used: bool| {
            NetworkFilters::from_cli(flags).unwrap().matches(n, used)
        };
        assert!(keep(&["name=ron"], &n, false));
        assert!(!keep(&["name=^ron"], &n, false));
        assert!(keep(&["id=abc"], &n, false));
        assert!(!keep(&["id=bcd"], &n, false));
        assert!(keep(&["label=a=1"], &n, false));
        assert!(!keep(&["label=a=1", "label=b"], &n, false));
        assert!(!keep(&["label!=a"], &n, false));
        assert!(keep(&["driver=bridge"], &n, false));
        assert!(!keep(&["driver=macvlan"], &n, false));
        assert!(keep(&["dangling=true"], &n, false));
        assert!(!keep(&["dangling=true"], &n, true));
        assert!(!keep(&["dangling=true"], &d, false));
        assert!(keep(&["dangling=false"], &d, false));
        assert!(keep(&["until=1h"], &n, false));
        assert!(!keep(&["until=2019-01-01"], &n, false));
        assert!(keep(&["type=custom"], &n, false));
        assert!(keep(&["type=builtin"], &d, false));
    }

    #[test]
    fn errors_are_podmans() {
        let e = NetworkFilters::from_cli(&["foo=bar"]).unwrap_err();
        assert_eq!(e.to_string(), "invalid filter \"foo\"");
        let e = NetworkFilters::from_cli(&["dangling=x"]).unwrap_err();
        assert_eq!(e.to_string(), "invalid dangling filter value \"x\"");
    }
}
