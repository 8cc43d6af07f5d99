//! Volume listings (`volume ls`, `GET /volumes`, `GET /libpod/volumes/json`).

use std::collections::BTreeSet;

use chrono::{DateTime, Utc};

use super::{check_keys, parse_until, FilterSet, LabelFilters, LabelMatch, NamePatterns, Resource};
use crate::error::{Error, Result};
use crate::runtime::Runtime;
use crate::volumes::Volume;

/// The volume filter keys.
pub const KEYS: &[&str] = &[
    "name", "label", "label!", "driver", "dangling", "until", "opt",
];

/// Volume filters, parsed and checked.
#[derive(Debug, Clone, Default)]
pub struct VolumeFilters {
    pub name: NamePatterns,
    pub labels: LabelFilters,
    pub driver: Vec<String>,
    pub dangling: Option<bool>,
    pub until: Option<DateTime<Utc>>,
    /// `opt=KEY` or `opt=KEY=VALUE` against the volume's `--opt`s.
    pub opt: Vec<LabelMatch>,
}

impl VolumeFilters {
    pub fn parse(set: &FilterSet) -> Result<VolumeFilters> {
        check_keys(set, Resource::Volumes, KEYS)?;
        let mut dangling = None;
        for v in set.get("dangling") {
            dangling = Some(match v.as_str() {
                "true" | "1" => true,
                "false" | "0" => false,
                _ => {
                    return Err(Error::InvalidArgument(format!(
                        "{v:?} is not a valid value for the \"dangling\" filter - must be true or false"
                    )))
                }
            });
        }
        Ok(VolumeFilters {
            name: NamePatterns::parse(set.get("name"))?,
            labels: LabelFilters::parse(set),
            driver: set.get("driver").to_vec(),
            dangling,
            until: parse_until(set)?,
            opt: set
                .get("opt")
                .iter()
                .map(|o| LabelMatch::parse(o))
                .collect(),
        })
    }

    pub fn from_cli<S: AsRef<str>>(flags: &[S]) -> Result<VolumeFilters> {
        Self::parse(&FilterSet::from_cli(Resource::Volumes, flags)?)
    }

    pub fn from_json(text: &str) -> Result<VolumeFilters> {
        Self::parse(&FilterSet::from_json(text)?)
    }

    /// Whether `v` passes; `in_use`: some container mounts it.
    pub fn matches(&self, v: &Volume, in_use: bool) -> bool {
        let c = &v.config;
        self.name.matches(&c.name)
            && self.labels.matches(&c.labels)
            && (self.driver.is_empty() || self.driver.contains(&c.driver))
            && self.dangling.is_none_or(|d| d != in_use)
            && self.until.is_none_or(|t| c.created_at < t)
            && (self.opt.is_empty() || self.opt.iter().any(|o| o.matches(&c.options)))
    }
}

impl Runtime {
    /// The volumes a listing shows, oldest first.
    pub fn list_volumes(&self, filters: &VolumeFilters) -> Result<Vec<Volume>> {
        let used: BTreeSet<String> = if filters.dangling.is_some() {
            self.db
                .all_containers()?
                .into_iter()
                .flat_map(|(c, _)| c.mounts.into_iter().filter_map(|m| m.volume))
                .collect()
        } else {
            BTreeSet::new()
        };
        Ok(self
            .volumes()?
            .into_iter()
            .filter(|v| filters.matches(v, used.contains(v.name())))
            .collect())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::volumes::{VolumeConfig, VolumeState};

    fn volume(name: &str, labels: &[(&str, &str)]) -> Volume {
        Volume {
            config: VolumeConfig {
                name: name.into(),
                driver: "local".into(),
                labels: labels
                    .iter()
                    .map(|(k, v)| (k.to_string(), v.to_string()))
                    .collect(),
                options: [("type".to_string(), "tmpfs".to_string())].into(),
                created_at: DateTime::from_timestamp(100, 0).unwrap(),
                anonymous: false,
            },
            state: VolumeState::default(),
            mountpoint: "/x".into(),
        }
    }

    #[test]
    fn filters() {
        let v = volume("data1", &[("a", "1"), ("b", "2")]);
        let keep =
            |flags: &[&str], used: bool| VolumeFilters::from_cli(flags).unwrap().matches(&v, used);
        assert!(keep(&[], true));
        assert!(keep(&["name=data"], true));
        assert!(keep(&["name=^data1$"], true));
        assert!(!keep(&["name=^ata"], true));
        assert!(keep(&["name=zz", "name=ata"], true));
        assert!(keep(&["label=a=1", "label=b"], true));
        assert!(!keep(&["label=a=1", "label=c"], true));
        assert!(!keep(&["label!=b=2"], true));
        assert!(keep(&["driver=local"], true));
        assert!(!keep(&["driver=other"], true));
        assert!(keep(&["dangling=true"], false));
        assert!(!keep(&["dangling=true"], true));
        assert!(keep(&["dangling=false"], true));
        assert!(keep(&["until=1h"], true));
        assert!(!keep(&["until=50"], true));
        assert!(keep(&["opt=type=tmpfs"], true));
        assert!(!keep(&["opt=o"], true));
    }

    #[test]
    fn errors_are_podmans() {
        let e = VolumeFilters::from_cli(&["foo=bar"]).unwrap_err();
        assert_eq!(e.to_string(), "\"foo\" is an invalid volume filter");
        let e = VolumeFilters::from_cli(&["dangling=x"]).unwrap_err();
        assert_eq!(
            e.to_string(),
            "\"x\" is not a valid value for the \"dangling\" filter - must be true or false"
        );
    }
}
