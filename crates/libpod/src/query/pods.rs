//! Pod listings (`pod ps`, `GET /libpod/pods/json`).

use chrono::{DateTime, Utc};

use super::{check_keys, id_matches, parse_until, FilterSet, LabelFilters, NamePatterns, Resource};
use crate::container::ContainerStatus;
use crate::error::{Error, Result};
use crate::pods::PodConfig;
use crate::runtime::Runtime;

/// The pod filter keys.
pub const KEYS: &[&str] = &[
    "id",
    "name",
    "label",
    "label!",
    "status",
    "ctr-names",
    "ctr-ids",
    "ctr-number",
    "ctr-status",
    "network",
    "until",
];

const POD_STATUSES: &[&str] = &[
    "stopped", "running", "paused", "exited", "dead", "created", "degraded",
];

const CTR_STATUSES: &[&str] = &[
    "created", "running", "paused", "stopped", "exited", "unknown",
];

/// Pod filters, parsed and checked.
#[derive(Debug, Clone, Default)]
pub struct PodFilters {
    pub id: Vec<String>,
    pub name: NamePatterns,
    pub labels: LabelFilters,
    /// Lower-case pod states.
    pub status: Vec<String>,
    pub ctr_names: NamePatterns,
    pub ctr_ids: Vec<String>,
    pub ctr_number: Vec<usize>,
    pub ctr_status: Vec<String>,
    pub network: Vec<String>,
    pub until: Option<DateTime<Utc>>,
}

impl PodFilters {
    pub fn parse(set: &FilterSet) -> Result<PodFilters> {
        check_keys(set, Resource::Pods, KEYS)?;
        let mut status = Vec::new();
        for v in set.get("status") {
            let v = v.to_ascii_lowercase();
            if !POD_STATUSES.contains(&v.as_str()) {
                return Err(Error::InvalidArgument(format!(
                    "{v} is not a valid pod status"
                )));
            }
            status.push(if v == "stopped" { "exited".into() } else { v });
        }
        let mut ctr_status = Vec::new();
        for v in set.get("ctr-status") {
            if !CTR_STATUSES.contains(&v.as_str()) {
                return Err(Error::InvalidArgument(format!("{v} is not a valid status")));
            }
            ctr_status.push(if v == "stopped" {
                "exited".into()
            } else {
                v.clone()
            });
        }
        let mut ctr_number = Vec::new();
        for v in set.get("ctr-number") {
            ctr_number.push(v.parse::<usize>().map_err(|_| {
                Error::InvalidArgument(format!("invalid ctr-number filter {v:?}: not a number"))
            })?);
        }
        Ok(PodFilters {
            id: set.get("id").to_vec(),
            name: NamePatterns::parse(set.get("name"))?,
            labels: LabelFilters::parse(set),
            status,
            ctr_names: NamePatterns::parse(set.get("ctr-names"))?,
            ctr_ids: set.get("ctr-ids").to_vec(),
            ctr_number,
            ctr_status,
            network: set.get("network").to_vec(),
            until: parse_until(set)?,
        })
    }

    pub fn from_cli<S: AsRef<str>>(flags: &[S]) -> Result<PodFilters> {
        Self::parse(&FilterSet::from_cli(Resource::Pods, flags)?)
    }

    pub fn from_json(text: &str) -> Result<PodFilters> {
        Self::parse(&FilterSet::from_json(text)?)
    }

    /// Whether a pod passes. `networks` are the resolved names of the
    /// `network` filter's values.
    fn matches(&self, p: &PodFacts<'_>, networks: &[String]) -> bool {
        let ctr_word = |s: ContainerStatus| match s {
            ContainerStatus::Configured => "created",
            ContainerStatus::Stopped => "exited",
            ContainerStatus::Stopping => "running",
            other => other.as_str(),
        };
        id_matches(&self.id, &p.config.id)
            && self.name.matches(&p.config.name)
            && self.labels.matches(&p.config.labels)
            && (self.status.is_empty() || self.status.contains(&p.status.to_ascii_lowercase()))
            && (self.ctr_names.is_empty()
                || p.members.iter().any(|m| self.ctr_names.matches(&m.name)))
            && (self.ctr_ids.is_empty()
                || p.members.iter().any(|m| id_matches(&self.ctr_ids, &m.id)))
            && (self.ctr_number.is_empty() || self.ctr_number.contains(&p.members.len()))
            && (self.ctr_status.is_empty()
                || p.members
                    .iter()
                    .any(|m| self.ctr_status.iter().any(|s| s == ctr_word(m.status))))
            && (self.network.is_empty() || p.networks.iter().any(|n| networks.contains(n)))
            && self.until.is_none_or(|t| p.config.created_at < t)
    }
}

/// One member of a pod, as the filters see it.
#[derive(Debug, Clone)]
pub struct MemberFacts {
    pub id: String,
    pub name: String,
    pub status: ContainerStatus,
}

/// What the pod filters look at.
#[derive(Debug, Clone)]
pub struct PodFacts<'a> {
    pub config: &'a PodConfig,
    /// `Created`, `Running`, `Paused`, `Exited` or `Degraded`.
    pub status: String,
    /// Every container, the infra container included.
    pub members: Vec<MemberFacts>,
    /// The infra container's networks.
    pub networks: Vec<String>,
}

impl Runtime {
    /// The pods a listing shows, newest first.
    pub fn list_pods(&self, filters: &PodFilters) -> Result<Vec<PodConfig>> {
        let mut networks = Vec::new();
        for n in &filters.network {
            match self.network(n) {
                Ok(net) => networks.push(net.name),
                Err(e) if e.is_not_found() => {}
                Err(e) => return Err(e),
            }
        }
        let mut out = Vec::new();
        for pod in self.pods()?.into_iter().rev() {
            let members = self.pod_containers(&pod)?;
            let facts = PodFacts {
                config: &pod,
                status: self.pod_status(&pod)?,
                networks: members
                    .iter()
                    .filter(|c| c.config().is_infra && c.config().network.is_bridge())
                    .flat_map(|c| c.config().net.networks.keys().cloned())
                    .collect(),
                members: members
                    .iter()
                    .map(|c| MemberFacts {
                        id: c.id().to_string(),
                        name: c.name().to_string(),
                        status: c.status(),
                    })
                    .collect(),
            };
            if filters.matches(&facts, &networks) {
                out.push(pod);
            }
        }
        Ok(out)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pod() -> PodConfig {
        PodConfig {
            id: "abc123".into(),
            name: "web".into(),
            created_at: DateTime::from_timestamp(100, 0).unwrap(),
            labels: [("a".to_string(), "1".to_string())].into(),
            hostname: String::new(),
            share: Vec::new(),
            infra_id: None,
            devices: Vec::new(),
            cgroup_path: None,
            userns: false,
            resources: Default::default(),
            no_hosts: false,
            shm_size: None,
            mounts: Vec::new(),
            exit_policy: Default::default(),
            create_command: Vec::new(),
        }
    }

    #[test]
    fn filters() {
        let cfg = pod();
        let facts = PodFacts {
            config: &cfg,
            status: "Degraded".into(),
            members: vec![
                MemberFacts {
                    id: "111aaa".into(),
                    name: "web-infra".into(),
                    status: ContainerStatus::Running,
                },
                MemberFacts {
                    id: "222bbb".into(),
                    name: "app".into(),
                    status: ContainerStatus::Configured,
                },
            ],
            networks: vec!["net1".into()],
        };
        let keep = |flags: &[&str]| {
            PodFilters::from_cli(flags)
                .unwrap()
                .matches(&facts, &["net1".to_string()])
        };
        assert!(keep(&[]));
        assert!(keep(&["id=abc"]));
        assert!(!keep(&["id=bc"]));
        assert!(keep(&["name=^we"]));
        assert!(!keep(&["name=^eb"]));
        assert!(keep(&["label=a"]));
        assert!(!keep(&["label=a", "label=b"]));
        assert!(!keep(&["label!=a=1"]));
        assert!(keep(&["status=degraded"]));
        assert!(keep(&["status=running", "status=degraded"]));
        assert!(!keep(&["status=running"]));
        assert!(keep(&["ctr-names=^app$"]));
        assert!(!keep(&["ctr-names=^nope$"]));
        assert!(keep(&["ctr-ids=222"]));
        assert!(!keep(&["ctr-ids=22b"]));
        assert!(keep(&["ctr-number=2"]));
        assert!(!keep(&["ctr-number=1"]));
        assert!(keep(&["ctr-status=created"]));
        assert!(!keep(&["ctr-status=exited"]));
        assert!(keep(&["network=x"]));
        assert!(keep(&["until=1h"]));
    }

    #[test]
    fn errors_are_podmans() {
        let e = PodFilters::from_cli(&["foo=bar"]).unwrap_err();
        assert_eq!(e.to_string(), "foo is an invalid filter");
        let e = PodFilters::from_cli(&["status=bogus"]).unwrap_err();
        assert_eq!(e.to_string(), "bogus is not a valid pod status");
        let e = PodFilters::from_cli(&["ctr-status=bogus"]).unwrap_err();
        assert_eq!(e.to_string(), "bogus is not a valid status");
        assert!(PodFilters::from_cli(&["ctr-number=x"]).is_err());
    }
}
