//! Listings and their filters, defined once for every front end.
//!
//! The CLI's `--filter key=value` flags and the APIs' `filters` JSON
//! (`{"key": ["v1", "v2"]}`) both become a [`FilterSet`]; each resource
//! parses that into its typed filters ([`ContainerFilters`],
//! [`ImageFilters`], [`VolumeFilters`], [`NetworkFilters`], [`PodFilters`])
//! and the runtime's `list_*` methods apply them. Podman's semantics: the
//! values of one key are OR'ed, except `label` (every one must match) and
//! `label!` (none may match); different keys are AND'ed. Bad filters are
//! [`Error::InvalidArgument`] in Podman's words.

pub mod containers;
pub mod images;
pub mod networks;
pub mod pods;
pub mod prune;
pub mod volumes;

use std::collections::BTreeMap;

use chrono::{DateTime, Local, NaiveDate, NaiveDateTime, TimeZone, Utc};

use crate::error::{Error, Result};

pub use containers::{ContainerFacts, ContainerFilters, ContainerListOptions, ContainerSelection};
pub use images::{ImageFilters, ImageListOptions};
pub use networks::NetworkFilters;
pub use pods::PodFilters;
pub use prune::PruneFilters;
pub use volumes::VolumeFilters;

/// Which listing a filter set is for: it picks Podman's error messages.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Resource {
    Containers,
    Images,
    Volumes,
    Networks,
    Pods,
}

impl Resource {
    /// Podman's message for a `--filter` without `=`.
    fn missing_value(self, text: &str) -> Error {
        Error::InvalidArgument(match self {
            Resource::Containers => format!("invalid filter {text:?}"),
            Resource::Images => format!(
                "invalid image filter {text:?}: must be in the format \"filter=value or filter!=value\""
            ),
            Resource::Volumes | Resource::Networks | Resource::Pods => {
                format!("filter input must be in the form of filter=value: {text} is invalid")
            }
        })
    }

    /// Podman's message for a filter key the listing does not know.
    pub(crate) fn unknown_key(self, key: &str) -> Error {
        Error::InvalidArgument(match self {
            Resource::Containers | Resource::Pods => format!("{key} is an invalid filter"),
            Resource::Images => format!("unsupported image filter {key:?}"),
            Resource::Volumes => format!("{key:?} is an invalid volume filter"),
            Resource::Networks => format!("invalid filter {key:?}"),
        })
    }
}

/// Filters as given: key → values, in the order given. `label!=x` is the
/// key `label!` with the value `x`.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct FilterSet {
    entries: BTreeMap<String, Vec<String>>,
}

impl FilterSet {
    /// An empty set (no filtering).
    pub fn new() -> FilterSet {
        FilterSet::default()
    }

    /// Parses the CLI's `--filter key=value` flags.
    pub fn from_cli<S: AsRef<str>>(resource: Resource, flags: &[S]) -> Result<FilterSet> {
        let mut set = FilterSet::new();
        for flag in flags {
            let flag = flag.as_ref();
            let (key, value) = flag
                .split_once('=')
                .ok_or_else(|| resource.missing_value(flag))?;
            set.add(key, value);
        }
        Ok(set)
    }

    /// Parses an API's `filters` parameter: `{"key": ["v1", "v2"]}`, or
    /// Docker's older `{"key": {"v1": true}}`. An empty text is no filter.
    pub fn from_json(text: &str) -> Result<FilterSet> {
        let mut set = FilterSet::new();
        if text.trim().is_empty() {
            return Ok(set);
        }
        let bad = |why: String| {
            Error::InvalidArgument(format!(
                "failed to decode filter parameters {text:?}: {why}"
            ))
        };
        let value: serde_json::Value =
            serde_json::from_str(text).map_err(|e| bad(e.to_string()))?;
        let obj = value
            .as_object()
            .ok_or_else(|| bad("expected an object".into()))?;
        for (key, values) in obj {
            match values {
                serde_json::Value::Array(items) => {
                    for item in items {
                        let v = item
                            .as_str()
                            .ok_or_else(|| bad(format!("the values of {key:?} must be strings")))?;
                        set.add(key, v);
                    }
                }
                serde_json::Value::Object(map) => {
                    for (v, on) in map {
                        if on.as_bool().unwrap_or(false) {
                            set.add(key, v);
                        }
                    }
                }
                serde_json::Value::String(v) => set.add(key, v),
                _ => return Err(bad(format!("the values of {key:?} must be strings"))),
            }
        }
        Ok(set)
    }

    /// Adds one value.
    pub fn add(&mut self, key: &str, value: &str) {
        self.entries
            .entry(key.to_string())
            .or_default()
            .push(value.to_string());
    }

    /// Takes `key` out of the set; returns its values.
    pub fn remove(&mut self, key: &str) -> Vec<String> {
        self.entries.remove(key).unwrap_or_default()
    }

    /// The values of `key` (empty when absent).
    pub fn get(&self, key: &str) -> &[String] {
        self.entries.get(key).map(Vec::as_slice).unwrap_or(&[])
    }

    pub fn contains(&self, key: &str) -> bool {
        self.entries.contains_key(key)
    }

    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }

    /// Every key with its values.
    pub fn iter(&self) -> impl Iterator<Item = (&str, &[String])> {
        self.entries.iter().map(|(k, v)| (k.as_str(), v.as_slice()))
    }
}

/// One `label` filter value: `key` (present with any value) or
/// `key=value`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LabelMatch {
    pub key: String,
    pub value: Option<String>,
}

impl LabelMatch {
    pub fn parse(text: &str) -> LabelMatch {
        match text.split_once('=') {
            Some((k, v)) => LabelMatch {
                key: k.to_string(),
                // `label=k=` matches any value, as Podman's does.
                value: Some(v.to_string()).filter(|v| !v.is_empty()),
            },
            None => LabelMatch {
                key: text.to_string(),
                value: None,
            },
        }
    }

    pub fn matches(&self, labels: &BTreeMap<String, String>) -> bool {
        labels
            .get(&self.key)
            .is_some_and(|v| self.value.as_ref().is_none_or(|want| want == v))
    }
}

/// `label` (every one must match) and `label!` (none may match).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct LabelFilters {
    pub all_of: Vec<LabelMatch>,
    pub none_of: Vec<LabelMatch>,
}

impl LabelFilters {
    pub(crate) fn parse(set: &FilterSet) -> LabelFilters {
        LabelFilters {
            all_of: set
                .get("label")
                .iter()
                .map(|v| LabelMatch::parse(v))
                .collect(),
            none_of: set
                .get("label!")
                .iter()
                .map(|v| LabelMatch::parse(v))
                .collect(),
        }
    }

    pub fn matches(&self, labels: &BTreeMap<String, String>) -> bool {
        self.all_of.iter().all(|m| m.matches(labels))
            && !self.none_of.iter().any(|m| m.matches(labels))
    }
}

/// Name patterns: Go regular expressions searched in the name (`name=web`
/// matches `myweb1`; `^web$` only `web`), any one matching.
#[derive(Debug, Clone, Default)]
pub struct NamePatterns(Vec<regex::Regex>);

impl NamePatterns {
    fn parse(values: &[String]) -> Result<NamePatterns> {
        values
            .iter()
            .map(|v| {
                regex::Regex::new(v)
                    .map_err(|e| Error::InvalidArgument(format!("invalid name filter {v:?}: {e}")))
            })
            .collect::<Result<Vec<_>>>()
            .map(NamePatterns)
    }

    /// True with no pattern, or when one matches.
    pub fn matches(&self, name: &str) -> bool {
        self.0.is_empty() || self.0.iter().any(|r| r.is_match(name))
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
}

/// ID prefixes (`sha256:` allowed), any one matching; true with none.
pub(crate) fn id_matches(prefixes: &[String], id: &str) -> bool {
    prefixes.is_empty()
        || prefixes.iter().any(|p| {
            let p = p.strip_prefix("sha256:").unwrap_or(p);
            !p.is_empty() && id.starts_with(p)
        })
}

/// Checks that only `allowed` keys are present.
pub(crate) fn check_keys(set: &FilterSet, resource: Resource, allowed: &[&str]) -> Result<()> {
    match set.iter().find(|(k, _)| !allowed.contains(k)) {
        Some((k, _)) => Err(resource.unknown_key(k)),
        None => Ok(()),
    }
}

/// `until`: exactly one time, as Podman's `ComputeUntilTimestamp`.
pub(crate) fn parse_until(set: &FilterSet) -> Result<Option<DateTime<Utc>>> {
    match set.get("until") {
        [] => Ok(None),
        [one] => parse_timestamp(one).map(Some),
        _ => Err(Error::InvalidArgument(
            "specify exactly one timestamp for until".into(),
        )),
    }
}

/// Podman's time values (`timetype.GetTimestamp`): RFC 3339 (with or
/// without a zone; local time without), `YYYY-MM-DD`, Unix seconds with
/// an optional fraction, or a Go duration before now (`10m`, `1h30m`).
pub fn parse_timestamp(text: &str) -> Result<DateTime<Utc>> {
    let t = text.trim();
    let bad = || {
        Error::InvalidArgument(format!(
            "failed to parse value as time or duration: {text:?}"
        ))
    };
    if let Ok(d) = DateTime::parse_from_rfc3339(t) {
        return Ok(d.with_timezone(&Utc));
    }
    for fmt in [
        "%Y-%m-%dT%H:%M:%S%.f",
        "%Y-%m-%dT%H:%M:%S",
        "%Y-%m-%dT%H:%M",
        "%Y-%m-%dT%H",
    ] {
        if let Ok(naive) = NaiveDateTime::parse_from_str(t, fmt) {
            return Local
                .from_local_datetime(&naive)
                .earliest()
                .map(|d| d.with_timezone(&Utc))
                .ok_or_else(bad);
        }
    }
    if let Ok(d) = NaiveDate::parse_from_str(t, "%Y-%m-%d") {
        let naive = d.and_hms_opt(0, 0, 0).ok_or_else(bad)?;
        return Local
            .from_local_datetime(&naive)
            .earliest()
            .map(|d| d.with_timezone(&Utc))
            .ok_or_else(bad);
    }
    if !t.is_empty() && t.chars().all(|c| c.is_ascii_digit() || c == '.') {
        let (secs, frac) = t.split_once('.').unwrap_or((t, ""));
        let secs: i64 = secs.parse().map_err(|_| bad())?;
        let nanos: u32 = if frac.is_empty() {
            0
        } else {
            let digits: String = frac.chars().chain("000000000".chars()).take(9).collect();
            digits.parse().map_err(|_| bad())?
        };
        return Utc.timestamp_opt(secs, nanos).single().ok_or_else(bad);
    }
    let d = crate::container::policy::parse_duration(t).map_err(|_| bad())?;
    let d = chrono::TimeDelta::from_std(d).map_err(|_| bad())?;
    Utc::now().checked_sub_signed(d).ok_or_else(bad)
}

/// A time given to an API (`since`, `until`): as [`parse_timestamp`], where the empty
/// text and Go's zero time (`0001-01-01…`) mean none.
pub fn parse_optional_timestamp(text: &str) -> Result<Option<DateTime<Utc>>> {
    let t = text.trim();
    if t.is_empty() || t.starts_with("0001-01-01") {
        return Ok(None);
    }
    parse_timestamp(t).map(Some)
}

/// A boolean filter value (`true`/`false`, `1`/`0`, as Go's ParseBool).
pub(crate) fn parse_bool(value: &str) -> Option<bool> {
    match value {
        "1" | "t" | "T" | "true" | "TRUE" | "True" => Some(true),
        "0" | "f" | "F" | "false" | "FALSE" | "False" => Some(false),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn labels(pairs: &[(&str, &str)]) -> BTreeMap<String, String> {
        pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect()
    }

    #[test]
    fn cli_flags_and_json_give_the_same_set() {
        let cli = FilterSet::from_cli(
            Resource::Containers,
            &["label=a=1", "label=b", "name=x", "label!=c=3"],
        )
        .unwrap();
        let json =
            FilterSet::from_json(r#"{"label":["a=1","b"],"name":["x"],"label!":["c=3"]}"#).unwrap();
        assert_eq!(cli, json);
        assert_eq!(cli.get("label"), ["a=1", "b"]);
        assert_eq!(cli.get("label!"), ["c=3"]);
        let old = FilterSet::from_json(r#"{"name":{"x":true,"y":false}}"#).unwrap();
        assert_eq!(old.get("name"), ["x"]);
        assert!(FilterSet::from_json("").unwrap().is_empty());
    }

    #[test]
    fn malformed_filters_are_invalid_arguments() {
        for bad in ["notjson", "[1]", r#"{"a":[1]}"#, r#"{"a":3}"#] {
            assert!(
                matches!(FilterSet::from_json(bad), Err(Error::InvalidArgument(_))),
                "{bad}"
            );
        }
        let e = FilterSet::from_cli(Resource::Containers, &["foo"]).unwrap_err();
        assert_eq!(e.to_string(), "invalid filter \"foo\"");
        let e = FilterSet::from_cli(Resource::Volumes, &["foo"]).unwrap_err();
        assert_eq!(
            e.to_string(),
            "filter input must be in the form of filter=value: foo is invalid"
        );
    }

    #[test]
    fn labels_all_must_match_and_negations_none() {
        let l = labels(&[("a", "1"), ("b", "2")]);
        let set = FilterSet::from_cli(Resource::Containers, &["label=a=1", "label=b"]).unwrap();
        assert!(LabelFilters::parse(&set).matches(&l));
        let set = FilterSet::from_cli(Resource::Containers, &["label=a=1", "label=c"]).unwrap();
        assert!(!LabelFilters::parse(&set).matches(&l));
        let set = FilterSet::from_cli(Resource::Containers, &["label!=b=2"]).unwrap();
        assert!(!LabelFilters::parse(&set).matches(&l));
        let set = FilterSet::from_cli(Resource::Containers, &["label!=b=3"]).unwrap();
        assert!(LabelFilters::parse(&set).matches(&l));
        assert!(LabelMatch::parse("a=").matches(&l));
        assert!(!LabelMatch::parse("a=2").matches(&l));
    }

    #[test]
    fn names_are_regular_expressions() {
        let p = NamePatterns::parse(&["^we".into(), "b$".into()]).unwrap();
        assert!(p.matches("web"));
        assert!(p.matches("dub"));
        assert!(!p.matches("awex"));
        assert!(NamePatterns::parse(&["(".into()]).is_err());
        assert!(NamePatterns::default().matches("anything"));
    }

    #[test]
    fn ids_are_prefixes() {
        assert!(id_matches(&[], "abc"));
        assert!(id_matches(&["ab".into()], "abc"));
        assert!(id_matches(&["sha256:ab".into()], "abc"));
        assert!(!id_matches(&["bc".into()], "abc"));
        assert!(!id_matches(&["".into()], "abc"));
    }

    #[test]
    fn timestamps() {
        assert_eq!(
            parse_timestamp("1700000000").unwrap().timestamp(),
            1_700_000_000
        );
        assert_eq!(
            parse_timestamp("1700000000.5")
                .unwrap()
                .timestamp_subsec_millis(),
            500
        );
        assert_eq!(
            parse_timestamp("2026-01-02T03:04:05Z").unwrap().timestamp(),
            1_767_323_045
        );
        assert!(parse_timestamp("2026-01-02").is_ok());
        assert!(parse_timestamp("2026-01-02T03:04").is_ok());
        let ago = parse_timestamp("10m").unwrap();
        assert!(ago < Utc::now() - chrono::TimeDelta::minutes(9));
        let e = parse_timestamp("bad").unwrap_err();
        assert_eq!(
            e.to_string(),
            "failed to parse value as time or duration: \"bad\""
        );
        let mut two = FilterSet::new();
        two.add("until", "1h");
        two.add("until", "2h");
        assert!(parse_until(&two).is_err());
    }
}
