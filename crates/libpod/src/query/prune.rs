//! The filters of `prune` (`container`, `image`, `volume`, `network` and
//! `system prune`, and the APIs' prune endpoints): `label`, `label!` and
//! `until`, Podman's prune filters (volumes: no `label!`; images also
//! `dangling`). Other keys are refused in the words of the resource's
//! listing.

use std::collections::BTreeMap;

use chrono::{DateTime, Utc};

use super::{check_keys, parse_bool, parse_until, FilterSet, LabelFilters, Resource};
use crate::error::Result;

/// The keys every prune accepts.
pub const KEYS: &[&str] = &["label", "label!", "until"];

/// Parsed prune filters; the default prunes everything unused.
#[derive(Debug, Clone, Default)]
pub struct PruneFilters {
    pub labels: LabelFilters,
    /// Only objects created before this time.
    pub until: Option<DateTime<Utc>>,
    /// Images: `dangling=false` prunes every unused image, as `--all`.
    pub dangling: Option<bool>,
    /// Volumes: only anonymous ones (the Docker API's volume prune from
    /// version 1.42 on, unless its `all` filter is true).
    pub anonymous_only: bool,
}

impl PruneFilters {
    pub fn parse(set: &FilterSet, resource: Resource) -> Result<PruneFilters> {
        let dangling = if resource == Resource::Images {
            check_keys(set, resource, &["label", "label!", "until", "dangling"])?;
            match set.get("dangling") {
                [] => None,
                [v] => Some(parse_bool(v).ok_or_else(|| {
                    crate::Error::InvalidArgument(format!("invalid dangling filter value {v:?}"))
                })?),
                _ => {
                    return Err(crate::Error::InvalidArgument(
                        "specify exactly one value for dangling".into(),
                    ))
                }
            }
        } else {
            // Podman 4.3's volume prune knows no `label!`.
            let keys: &[&str] = if resource == Resource::Volumes {
                &["label", "until"]
            } else {
                KEYS
            };
            check_keys(set, resource, keys)?;
            None
        };
        Ok(PruneFilters {
            labels: LabelFilters::parse(set),
            until: parse_until(set)?,
            dangling,
            anonymous_only: false,
        })
    }

    /// The Docker API's volume prune filters: Podman's, and `all` (API
    /// 1.42 and later prune only anonymous volumes unless it is true).
    pub fn docker_volumes(text: &str, api_minor: u32) -> Result<PruneFilters> {
        let mut set = FilterSet::from_json(text)?;
        let all = match set.remove("all").as_slice() {
            [] => false,
            [v] => parse_bool(v).ok_or_else(|| {
                crate::Error::InvalidArgument(format!("invalid filter 'all={v}'"))
            })?,
            _ => {
                return Err(crate::Error::InvalidArgument(
                    "specify exactly one value for all".into(),
                ))
            }
        };
        let mut f = Self::parse(&set, Resource::Volumes)?;
        f.anonymous_only = api_minor >= 42 && !all;
        Ok(f)
    }

    /// Parses the CLI's `--filter` flags.
    pub fn from_cli<S: AsRef<str>>(resource: Resource, flags: &[S]) -> Result<PruneFilters> {
        Self::parse(&FilterSet::from_cli(resource, flags)?, resource)
    }

    /// Parses an API's `filters` parameter.
    pub fn from_json(resource: Resource, text: &str) -> Result<PruneFilters> {
        Self::parse(&FilterSet::from_json(text)?, resource)
    }

    /// Whether an object with these labels, created then, may be pruned.
    pub fn matches(&self, labels: &BTreeMap<String, String>, created: DateTime<Utc>) -> bool {
        self.labels.matches(labels) && self.until.is_none_or(|t| created < t)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn labels_and_until_select_and_other_keys_are_refused() {
        let f =
            PruneFilters::from_cli(Resource::Containers, &["label=tier=db", "until=1h"]).unwrap();
        let labels: BTreeMap<String, String> = [("tier".to_string(), "db".to_string())].into();
        let old = Utc::now() - chrono::TimeDelta::hours(2);
        assert!(f.matches(&labels, old));
        assert!(!f.matches(&labels, Utc::now()));
        assert!(!f.matches(&BTreeMap::new(), old));
        let f = PruneFilters::from_cli(Resource::Containers, &["label!=tier"]).unwrap();
        assert!(!f.matches(&labels, old));
        assert!(f.matches(&BTreeMap::new(), old));
        for (resource, msg) in [
            (Resource::Containers, "name is an invalid filter"),
            (Resource::Volumes, "\"name\" is an invalid volume filter"),
            (Resource::Networks, "invalid filter \"name\""),
            (Resource::Images, "unsupported image filter \"name\""),
        ] {
            let err = PruneFilters::from_cli(resource, &["name=x"]).unwrap_err();
            assert_eq!(err.to_string(), msg);
        }
    }
}
