//! Container listings (`ps`, `GET /containers/json`, `GET
//! /libpod/containers/json`): which containers a listing without `all`
//! shows, and the container filters.

use std::collections::BTreeMap;

use chrono::{DateTime, Utc};

use super::{check_keys, id_matches, parse_until, FilterSet, LabelFilters, NamePatterns, Resource};
use crate::container::policy::{HealthStatus, RestartPolicyName};
use crate::container::{Container, ContainerStatus, MountSpec};
use crate::error::{Error, Result};
use crate::runtime::Runtime;

/// The container filter keys.
pub const KEYS: &[&str] = &[
    "id",
    "name",
    "label",
    "label!",
    "status",
    "exited",
    "ancestor",
    "before",
    "since",
    "volume",
    "network",
    "pod",
    "health",
    "restart-policy",
    "until",
];

/// The states `status=` accepts: Podman's and Docker's words (a container
/// not yet in the runtime is `created` in both).
const STATUSES: &[&str] = &[
    "created",
    "running",
    "paused",
    "stopping",
    "stopped",
    "exited",
    "removing",
    "unknown",
    "restarting",
    "dead",
];

/// Container filters, parsed and checked; names of other objects
/// (`before`, `ancestor`, `pod`, `network`) are resolved when listing.
#[derive(Debug, Clone, Default)]
pub struct ContainerFilters {
    pub id: Vec<String>,
    pub name: NamePatterns,
    pub labels: LabelFilters,
    /// Status words, `stopped` read as `exited`.
    pub status: Vec<String>,
    pub exited: Vec<i32>,
    pub ancestor: Vec<String>,
    pub before: Vec<String>,
    pub since: Vec<String>,
    pub volume: Vec<String>,
    pub network: Vec<String>,
    pub pod: Vec<String>,
    pub health: Vec<String>,
    pub restart_policy: Vec<RestartPolicyName>,
    pub until: Option<DateTime<Utc>>,
}

impl ContainerFilters {
    pub fn parse(set: &FilterSet) -> Result<ContainerFilters> {
        check_keys(set, Resource::Containers, KEYS)?;
        let mut status = Vec::new();
        for v in set.get("status") {
            if !STATUSES.contains(&v.as_str()) {
                return Err(Error::InvalidArgument(format!(
                    "unknown container state: {v}: invalid argument"
                )));
            }
            status.push(if v == "stopped" {
                "exited".into()
            } else {
                v.clone()
            });
        }
        let mut exited = Vec::new();
        for v in set.get("exited") {
            exited.push(v.parse::<i32>().map_err(|_| {
                Error::InvalidArgument(format!("exited code out of range {v:?}: invalid syntax"))
            })?);
        }
        let mut restart_policy = Vec::new();
        let mut bad_policies = Vec::new();
        for v in set.get("restart-policy") {
            match v.as_str() {
                "" | "no" | "none" => restart_policy.push(RestartPolicyName::No),
                "always" => restart_policy.push(RestartPolicyName::Always),
                "on-failure" => restart_policy.push(RestartPolicyName::OnFailure),
                "unless-stopped" => restart_policy.push(RestartPolicyName::UnlessStopped),
                _ => bad_policies.push(v.clone()),
            }
        }
        if !bad_policies.is_empty() {
            let what = if bad_policies.len() > 1 {
                "invalid restart policies"
            } else {
                "invalid restart policy"
            };
            return Err(Error::InvalidArgument(format!(
                "{} {what}",
                bad_policies.join(", ")
            )));
        }
        Ok(ContainerFilters {
            id: set.get("id").to_vec(),
            name: NamePatterns::parse(
                &set.get("name")
                    .iter()
                    .map(|n| n.replace('/', ""))
                    .collect::<Vec<_>>(),
            )?,
            labels: LabelFilters::parse(set),
            status,
            exited,
            ancestor: set.get("ancestor").to_vec(),
            before: set.get("before").to_vec(),
            since: set.get("since").to_vec(),
            volume: set.get("volume").to_vec(),
            network: set.get("network").to_vec(),
            pod: set.get("pod").to_vec(),
            health: set.get("health").to_vec(),
            restart_policy,
            until: parse_until(set)?,
        })
    }

    /// Parses the CLI's `--filter` flags.
    pub fn from_cli<S: AsRef<str>>(flags: &[S]) -> Result<ContainerFilters> {
        Self::parse(&FilterSet::from_cli(Resource::Containers, flags)?)
    }

    /// Parses an API's `filters` parameter.
    pub fn from_json(text: &str) -> Result<ContainerFilters> {
        Self::parse(&FilterSet::from_json(text)?)
    }

    /// Resolves the names the filters refer to.
    fn resolve(&self, rt: &Runtime) -> Result<ContainerMatcher<'_>> {
        // The oldest of the named containers, as Podman.
        let pivot = |names: &[String]| -> Result<Option<DateTime<Utc>>> {
            let mut out: Option<DateTime<Utc>> = None;
            for n in names {
                let t = rt.container(n)?.config().created_at;
                out = Some(out.map_or(t, |o| o.min(t)));
            }
            Ok(out)
        };
        let mut image_ids = Vec::new();
        for a in &self.ancestor {
            match rt.image(a) {
                Ok(img) => image_ids.push(img.id),
                Err(Error::NoSuchImage(_)) => {
                    image_ids.push(a.strip_prefix("sha256:").unwrap_or(a).to_string())
                }
                Err(e) => return Err(e),
            }
        }
        let mut pods = Vec::new();
        for p in &self.pod {
            match rt.pod(p) {
                Ok(pod) => pods.push(pod.id),
                Err(Error::NoSuchPod(_)) => {}
                Err(e) => return Err(e),
            }
        }
        let mut networks = Vec::new();
        for n in &self.network {
            match rt.network(n) {
                Ok(net) => networks.push(net.name),
                Err(e) if e.is_not_found() => {}
                Err(e) => return Err(e),
            }
        }
        Ok(ContainerMatcher {
            filters: self,
            before: pivot(&self.before)?,
            since: pivot(&self.since)?,
            image_ids,
            pods,
            networks,
        })
    }
}

/// What the filters look at in a container.
#[derive(Debug, Clone)]
pub struct ContainerFacts<'a> {
    pub id: &'a str,
    pub name: &'a str,
    pub labels: &'a BTreeMap<String, String>,
    pub status: ContainerStatus,
    pub restarting: bool,
    pub exit_code: i32,
    pub image_id: Option<&'a str>,
    pub created: DateTime<Utc>,
    pub mounts: &'a [MountSpec],
    /// The networks it is connected to (bridge mode only).
    pub networks: Vec<&'a str>,
    pub pod: Option<&'a str>,
    /// `None` without a health check.
    pub health: Option<HealthStatus>,
    pub restart_policy: RestartPolicyName,
}

impl<'a> ContainerFacts<'a> {
    pub fn of(c: &'a Container<'_>) -> ContainerFacts<'a> {
        let cfg = c.config();
        let st = c.state();
        ContainerFacts {
            id: c.id(),
            name: c.name(),
            labels: &cfg.labels,
            status: c.status(),
            restarting: st.restarting,
            exit_code: st.exit_code,
            image_id: cfg.image_id.as_deref(),
            created: cfg.created_at,
            mounts: &cfg.mounts,
            networks: if cfg.network.is_bridge() {
                cfg.net.networks.keys().map(String::as_str).collect()
            } else {
                Vec::new()
            },
            pod: cfg.pod.as_deref(),
            health: cfg
                .health
                .as_ref()
                .map(|_| st.health.as_ref().map(|h| h.status).unwrap_or_default()),
            restart_policy: cfg.restart_policy.name,
        }
    }

    fn exited(&self) -> bool {
        matches!(
            self.status,
            ContainerStatus::Stopped | ContainerStatus::Exited
        )
    }
}

/// Filters with their references resolved.
struct ContainerMatcher<'f> {
    filters: &'f ContainerFilters,
    before: Option<DateTime<Utc>>,
    since: Option<DateTime<Utc>>,
    image_ids: Vec<String>,
    pods: Vec<String>,
    networks: Vec<String>,
}

impl ContainerMatcher<'_> {
    fn matches(&self, c: &ContainerFacts<'_>) -> bool {
        let f = self.filters;
        let any = |values: &[String], pred: &dyn Fn(&str) -> bool| {
            values.is_empty() || values.iter().any(|v| pred(v))
        };
        id_matches(&f.id, c.id)
            && f.name.matches(c.name)
            && f.labels.matches(c.labels)
            && any(&f.status, &|s| status_matches(c, s))
            && (f.exited.is_empty() || (c.exited() && f.exited.contains(&c.exit_code)))
            && (f.ancestor.is_empty()
                || c.image_id.is_some_and(|id| {
                    self.image_ids
                        .iter()
                        .any(|want| !want.is_empty() && id.starts_with(want.as_str()))
                }))
            && self.before.is_none_or(|t| c.created < t)
            && self.since.is_none_or(|t| c.created > t)
            && any(&f.volume, &|v| volume_matches(c.mounts, v))
            && (f.network.is_empty()
                || c.networks
                    .iter()
                    .any(|n| self.networks.iter().any(|w| w == n)))
            && (f.pod.is_empty() || c.pod.is_some_and(|p| self.pods.iter().any(|w| w == p)))
            && any(&f.health, &|h| match c.health {
                Some(s) => s.as_str() == h,
                None => h == "none",
            })
            && (f.restart_policy.is_empty() || f.restart_policy.contains(&c.restart_policy))
            && f.until.is_none_or(|t| c.created < t)
    }
}

/// `status=`: Podman's state word (`stopped` reads `exited`) or Docker's.
fn status_matches(c: &ContainerFacts<'_>, want: &str) -> bool {
    let podman = match c.status {
        ContainerStatus::Stopped => "exited",
        s => s.as_str(),
    };
    let docker = if c.restarting {
        "restarting"
    } else {
        c.status.docker_status()
    };
    want == podman || want == docker
}

/// `volume=NAME|DEST|SOURCE:DEST`: a named volume or a mount point.
fn volume_matches(mounts: &[MountSpec], value: &str) -> bool {
    let source_is = |m: &MountSpec, s: &str| {
        m.volume.as_deref() == Some(s) || m.source.as_deref().is_some_and(|p| p.as_os_str() == s)
    };
    match value.split_once(':') {
        Some((src, dest)) => mounts
            .iter()
            .any(|m| m.destination == dest && source_is(m, src)),
        None => mounts
            .iter()
            .any(|m| m.destination == value || m.volume.as_deref() == Some(value)),
    }
}

/// A container listing's request.
#[derive(Debug, Clone, Default)]
pub struct ContainerListOptions {
    /// Every container, not only running ones.
    pub all: bool,
    /// The newest N (all states).
    pub last: Option<usize>,
    pub filters: ContainerFilters,
}

impl ContainerListOptions {
    /// Whether stopped containers are listed: with `all`, `last`, or a
    /// `status` filter (as Podman and Docker); otherwise running ones only
    /// (Podman's rule: paused containers need `all` or `status=paused`).
    pub fn shows_all(&self) -> bool {
        self.all || self.last.is_some() || !self.filters.status.is_empty()
    }
}

impl Runtime {
    /// The containers a listing shows, newest first.
    pub fn list_containers(&self, opts: &ContainerListOptions) -> Result<Vec<Container<'_>>> {
        let matcher = opts.filters.resolve(self)?;
        let all = opts.shows_all();
        let mut out: Vec<Container<'_>> = self
            .containers()?
            .into_iter()
            .rev()
            .filter(|c| all || c.status() == ContainerStatus::Running)
            .filter(|c| matcher.matches(&ContainerFacts::of(c)))
            .collect();
        if let Some(n) = opts.last {
            out.truncate(n);
        }
        Ok(out)
    }
}

impl Runtime {
    /// Containers in storage that no record of the engine owns: the working
    /// containers of builds in progress, or ones a killed build left
    /// (Podman's external containers), as `ps` rows, oldest first.
    pub fn external_containers(&self) -> Result<Vec<crate::container::PsEntry>> {
        let store = self.store()?;
        let known: std::collections::BTreeSet<String> = self
            .db
            .all_containers()?
            .into_iter()
            .map(|(c, _)| c.id)
            .collect();
        let mut out: Vec<crate::container::PsEntry> = store
            .containers()?
            .into_iter()
            .filter(|c| !known.contains(&c.id))
            .map(|c| {
                let image = c
                    .image
                    .as_deref()
                    .and_then(|id| store.lookup_image(id).ok())
                    .and_then(|i| i.names.first().cloned())
                    .unwrap_or_else(|| {
                        if c.image.is_none() {
                            "scratch".into()
                        } else {
                            String::new()
                        }
                    });
                crate::container::PsEntry::external(&c.id, &image, c.image.as_deref(), c.created)
            })
            .collect();
        out.sort_by_key(|e| e.created);
        Ok(out)
    }

    /// True when `name_or_id` is an external container (by ID or ID prefix).
    pub fn external_container_exists(&self, name_or_id: &str) -> Result<bool> {
        Ok(!name_or_id.is_empty()
            && self
                .external_containers()?
                .iter()
                .any(|e| e.id.starts_with(name_or_id)))
    }
}

/// What a batch command (`stop`, `start`, `rm`, `pause`, …) acts on:
/// containers named, `--all`, `--latest` or those `--filter` selects.
#[derive(Debug, Clone, Default)]
pub struct ContainerSelection {
    pub names: Vec<String>,
    pub all: bool,
    pub latest: bool,
    /// With filters, the containers that match them (narrowed to `names`
    /// when names are given too); `all` and `latest` are then moot.
    pub filters: Option<ContainerFilters>,
    /// When not empty, only containers in one of these states (`kill -a`:
    /// running ones); a named container in another state is left out.
    pub states: Vec<ContainerStatus>,
}

impl ContainerSelection {
    /// The named containers.
    pub fn named(names: &[String]) -> ContainerSelection {
        ContainerSelection {
            names: names.to_vec(),
            ..ContainerSelection::default()
        }
    }
}

impl Runtime {
    /// The containers `sel` selects, each as the command reports it: a name
    /// as given, or the full ID of one that `--all`, `--latest` or a filter
    /// chose (Podman's rules). Oldest first. Named containers are not
    /// looked up here, so each command decides what a missing one means.
    pub fn select_containers(&self, sel: &ContainerSelection) -> Result<Vec<String>> {
        let mut chosen = self.select_unfiltered(sel)?;
        if !sel.states.is_empty() {
            chosen.retain(|n| match self.container(n) {
                Ok(c) => sel.states.contains(&c.status()),
                // Reported by the command's own lookup.
                Err(_) => true,
            });
        }
        Ok(chosen)
    }

    fn select_unfiltered(&self, sel: &ContainerSelection) -> Result<Vec<String>> {
        if let Some(filters) = &sel.filters {
            let matcher = filters.resolve(self)?;
            return Ok(self
                .containers()?
                .into_iter()
                .filter(|c| matcher.matches(&ContainerFacts::of(c)))
                .filter(|c| {
                    sel.names.is_empty() || sel.names.iter().any(|n| n == c.id() || n == c.name())
                })
                .map(|c| c.id().to_string())
                .collect());
        }
        if sel.all && sel.latest {
            return Err(Error::InvalidArgument(
                "--all and --latest cannot be used together".into(),
            ));
        }
        if (sel.all || sel.latest) && !sel.names.is_empty() {
            return Err(Error::InvalidArgument(
                "no arguments are needed with --all or --latest".into(),
            ));
        }
        if sel.all {
            return Ok(self
                .containers()?
                .iter()
                .map(|c| c.id().to_string())
                .collect());
        }
        if sel.latest {
            return Ok(vec![self.latest_container()?.id().to_string()]);
        }
        if sel.names.is_empty() {
            return Err(Error::InvalidArgument(
                "at least one container name or ID must be given".into(),
            ));
        }
        Ok(sel.names.clone())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::container::MountKind;

    struct Owned {
        id: String,
        name: String,
        labels: BTreeMap<String, String>,
        mounts: Vec<MountSpec>,
    }

    fn owned(id: &str, name: &str, labels: &[(&str, &str)]) -> Owned {
        Owned {
            id: id.into(),
            name: name.into(),
            labels: labels
                .iter()
                .map(|(k, v)| (k.to_string(), v.to_string()))
                .collect(),
            mounts: vec![MountSpec {
                kind: MountKind::Volume,
                source: None,
                destination: "/data".into(),
                options: Vec::new(),
                volume: Some("vol1".into()),
                anonymous: false,
            }],
        }
    }

    fn facts(o: &Owned, status: ContainerStatus, code: i32) -> ContainerFacts<'_> {
        ContainerFacts {
            id: &o.id,
            name: &o.name,
            labels: &o.labels,
            status,
            restarting: false,
            exit_code: code,
            image_id: Some("feedbeef"),
            created: DateTime::from_timestamp(1_000, 0).unwrap(),
            mounts: &o.mounts,
            networks: vec!["net1"],
            pod: Some("pod1"),
            health: None,
            restart_policy: RestartPolicyName::No,
        }
    }

    fn matcher(f: &ContainerFilters) -> ContainerMatcher<'_> {
        ContainerMatcher {
            filters: f,
            before: None,
            since: None,
            image_ids: vec!["feed".into()],
            pods: vec!["pod1".into()],
            networks: vec!["net1".into()],
        }
    }

    fn keep(flags: &[&str], c: &ContainerFacts<'_>) -> bool {
        let f = ContainerFilters::from_cli(flags).unwrap();
        matcher(&f).matches(c)
    }

    #[test]
    fn keys_values_and_combinations() {
        let o = owned("abc123", "web1", &[("a", "1"), ("b", "2")]);
        let c = facts(&o, ContainerStatus::Exited, 3);
        assert!(keep(&[], &c));
        assert!(keep(&["id=abc"], &c));
        assert!(!keep(&["id=bc"], &c));
        assert!(keep(&["name=^web"], &c));
        assert!(keep(&["name=/web1"], &c));
        assert!(!keep(&["name=^eb"], &c));
        // Values of one key: any; label: all.
        assert!(keep(&["name=zzz", "name=web"], &c));
        assert!(keep(&["label=a=1", "label=b"], &c));
        assert!(!keep(&["label=a=1", "label=c"], &c));
        assert!(!keep(&["label!=a"], &c));
        // Different keys: all.
        assert!(!keep(&["name=web", "id=zz"], &c));
        assert!(keep(&["status=exited"], &c));
        assert!(keep(&["status=stopped"], &c));
        assert!(!keep(&["status=running"], &c));
        assert!(keep(&["exited=3"], &c));
        assert!(keep(&["exited=0", "exited=3"], &c));
        assert!(!keep(&["exited=0"], &c));
        assert!(keep(&["ancestor=x"], &c));
        assert!(keep(&["volume=vol1"], &c));
        assert!(keep(&["volume=/data"], &c));
        assert!(keep(&["volume=vol1:/data"], &c));
        assert!(!keep(&["volume=vol1:/other"], &c));
        assert!(keep(&["network=x"], &c));
        assert!(keep(&["pod=x"], &c));
        assert!(keep(&["health=none"], &c));
        assert!(!keep(&["health=healthy"], &c));
        assert!(keep(&["restart-policy=no"], &c));
        assert!(keep(&["restart-policy=none"], &c));
        assert!(!keep(&["restart-policy=always"], &c));
        assert!(keep(&["until=1h"], &c));
        assert!(!keep(&["until=100"], &c));
    }

    #[test]
    fn running_containers_do_not_match_exit_codes() {
        let o = owned("abc", "r", &[]);
        let c = facts(&o, ContainerStatus::Running, 0);
        assert!(!keep(&["exited=0"], &c));
        assert!(keep(&["status=running"], &c));
        let p = facts(&o, ContainerStatus::Configured, 0);
        assert!(keep(&["status=created"], &p));
    }

    #[test]
    fn errors_are_podmans() {
        let e = ContainerFilters::from_cli(&["foo=bar"]).unwrap_err();
        assert_eq!(e.to_string(), "foo is an invalid filter");
        assert!(matches!(e, Error::InvalidArgument(_)));
        let e = ContainerFilters::from_cli(&["status=bogus"]).unwrap_err();
        assert_eq!(
            e.to_string(),
            "unknown container state: bogus: invalid argument"
        );
        let e = ContainerFilters::from_cli(&["restart-policy=bogus"]).unwrap_err();
        assert_eq!(e.to_string(), "bogus invalid restart policy");
        assert!(ContainerFilters::from_cli(&["exited=x"]).is_err());
        assert!(ContainerFilters::from_cli(&["until=bad"]).is_err());
        assert!(ContainerFilters::from_json(r#"{"nope":["1"]}"#).is_err());
    }

    #[test]
    fn what_a_listing_without_all_shows() {
        let mut o = ContainerListOptions::default();
        assert!(!o.shows_all());
        o.filters = ContainerFilters::from_cli(&["exited=0"]).unwrap();
        assert!(!o.shows_all());
        o.filters = ContainerFilters::from_cli(&["status=paused"]).unwrap();
        assert!(o.shows_all());
        let o = ContainerListOptions {
            last: Some(2),
            ..Default::default()
        };
        assert!(o.shows_all());
    }
}
