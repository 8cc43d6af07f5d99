//! Image listings (`images`, `GET /images/json`, `GET /libpod/images/json`):
//! dangling and intermediate images, the reference rule, the image
//! filters.

use std::collections::BTreeSet;

use chrono::{DateTime, Utc};

use super::{check_keys, id_matches, parse_bool, parse_until, FilterSet, LabelFilters, Resource};
use crate::error::{Error, Result};
use crate::images::{split_name, ImageSummary};
use crate::runtime::Runtime;

/// The image filter keys (`after` is `since`).
pub const KEYS: &[&str] = &[
    "reference",
    "label",
    "label!",
    "dangling",
    "intermediate",
    "before",
    "since",
    "after",
    "until",
    "id",
    "readonly",
    "containers",
];

/// Image filters, parsed and checked.
#[derive(Debug, Clone, Default)]
pub struct ImageFilters {
    pub reference: Vec<String>,
    pub labels: LabelFilters,
    pub dangling: Option<bool>,
    pub intermediate: Option<bool>,
    pub before: Vec<String>,
    pub since: Vec<String>,
    pub until: Option<DateTime<Utc>>,
    pub id: Vec<String>,
    pub readonly: Option<bool>,
    pub containers: Option<bool>,
}

/// One boolean filter: every value must be a boolean and agree.
fn one_bool(set: &FilterSet, key: &str) -> Result<Option<bool>> {
    let mut out = None;
    for v in set.get(key) {
        let b = parse_bool(v).ok_or_else(|| {
            Error::InvalidArgument(format!(
                "non-boolean value {key:?} for {v} filter: strconv.ParseBool: parsing {v:?}: invalid syntax"
            ))
        })?;
        if out.is_some_and(|o| o != b) {
            return Err(Error::InvalidArgument(format!(
                "specifying {key:?} filter more than once with different values is not supported"
            )));
        }
        out = Some(b);
    }
    Ok(out)
}

impl ImageFilters {
    pub fn parse(set: &FilterSet) -> Result<ImageFilters> {
        check_keys(set, Resource::Images, KEYS)?;
        let containers = match set.get("containers").last().map(String::as_str) {
            None => None,
            Some("true") => Some(true),
            Some("false") => Some(false),
            Some(other) => {
                return Err(Error::InvalidArgument(format!(
                    "unsupported value {other:?} for containers filter"
                )))
            }
        };
        let mut since = set.get("since").to_vec();
        since.extend(set.get("after").iter().cloned());
        Ok(ImageFilters {
            reference: set.get("reference").to_vec(),
            labels: LabelFilters::parse(set),
            dangling: one_bool(set, "dangling")?,
            intermediate: one_bool(set, "intermediate")?,
            before: set.get("before").to_vec(),
            since,
            until: parse_until(set)?,
            id: set.get("id").to_vec(),
            readonly: one_bool(set, "readonly")?,
            containers,
        })
    }

    pub fn from_cli<S: AsRef<str>>(flags: &[S]) -> Result<ImageFilters> {
        Self::parse(&FilterSet::from_cli(Resource::Images, flags)?)
    }

    pub fn from_json(text: &str) -> Result<ImageFilters> {
        Self::parse(&FilterSet::from_json(text)?)
    }

    fn pivot(rt: &Runtime, names: &[String], key: &str) -> Result<Option<DateTime<Utc>>> {
        let mut out: Option<DateTime<Utc>> = None;
        for n in names {
            let t = match rt.image(n) {
                Ok(i) => i.created,
                Err(e) if e.is_not_found() => {
                    return Err(Error::InvalidArgument(format!(
                        "could not find local image for filter filter {key:?}={n:?}: {n}: image not known"
                    )))
                }
                Err(e) => return Err(e),
            };
            out = Some(out.map_or(t, |o| o.min(t)));
        }
        Ok(out)
    }

    /// Whether `image` passes, given the whole set's intermediate images.
    fn matches(
        &self,
        image: &ImageSummary,
        kinds: &ImageKinds,
        before: Option<DateTime<Utc>>,
        since: Option<DateTime<Utc>>,
    ) -> bool {
        let no_labels = Default::default();
        (self.reference.is_empty()
            || self
                .reference
                .iter()
                .any(|r| image.names.iter().any(|n| reference_matches(n, r))))
            && self
                .labels
                .matches(image.labels.as_ref().unwrap_or(&no_labels))
            && self
                .dangling
                .is_none_or(|d| d == kinds.is_dangling(image))
            && self
                .intermediate
                .is_none_or(|d| d == kinds.is_intermediate(image))
            && before.is_none_or(|t| image.created_at < t)
            && since.is_none_or(|t| image.created_at > t)
            && self.until.is_none_or(|t| image.created_at < t)
            && id_matches(&self.id, &image.id)
            // rpod has no read-only image stores.
            && self.readonly.is_none_or(|r| !r)
            && self.containers.is_none_or(|c| c == (image.containers > 0))
    }
}

/// Which images are intermediate: no name and a child image, Podman's rule: a child's
/// history has the parent's entries as a strict prefix and its layers start with the
/// parent's (the same layers too: a step that only changed the config, such as ENV or
/// LABEL in a build, makes a child with the parent's layers). An image with no name and no
/// child is dangling.
#[derive(Debug, Default)]
pub struct ImageKinds {
    intermediate: BTreeSet<String>,
}

/// The `history` entries of an image's config, compared whole.
pub type History = Vec<serde_json::Value>;

impl ImageKinds {
    /// `history` gives an image's history (`None`: unreadable, never a parent or child).
    pub fn of(
        images: &[ImageSummary],
        history: impl Fn(&ImageSummary) -> Option<History>,
    ) -> ImageKinds {
        let mut cache: std::collections::HashMap<String, Option<History>> =
            std::collections::HashMap::new();
        let mut get = |i: &ImageSummary| -> Option<History> {
            cache
                .entry(i.id.clone())
                .or_insert_with(|| history(i))
                .clone()
        };
        let mut intermediate = BTreeSet::new();
        for parent in images.iter().filter(|i| i.names.is_empty()) {
            let candidates: Vec<&ImageSummary> = images
                .iter()
                .filter(|c| c.id != parent.id && c.layers.starts_with(&parent.layers))
                .collect();
            if candidates.is_empty() {
                continue;
            }
            let Some(ph) = get(parent) else { continue };
            let has_child = candidates
                .iter()
                .any(|c| get(c).is_some_and(|ch| ch.len() > ph.len() && ch.starts_with(&ph)));
            if has_child {
                intermediate.insert(parent.id.clone());
            }
        }
        ImageKinds { intermediate }
    }

    pub fn is_intermediate(&self, i: &ImageSummary) -> bool {
        self.intermediate.contains(&i.id)
    }

    /// Podman's dangling: no name and no child image.
    pub fn is_dangling(&self, i: &ImageSummary) -> bool {
        i.names.is_empty() && !self.is_intermediate(i)
    }
}

/// The reference rule: a glob (`*` and `?` within one path component,
/// `[...]` classes, as Go's `path.Match`) on the full name
/// (`localhost/busybox:latest`), the name without its registry
/// (`busybox:latest`), the repository (`localhost/busybox`) or the
/// repository without its registry (`busybox`).
pub fn reference_matches(name: &str, pattern: &str) -> bool {
    let Ok(glob) = glob::Pattern::new(pattern) else {
        return name == pattern;
    };
    let opts = glob::MatchOptions {
        case_sensitive: true,
        require_literal_separator: true,
        require_literal_leading_dot: false,
    };
    let (repo, _) = split_name(name);
    let short = name.split_once('/').map_or(name, |(_, rest)| rest);
    let short_repo = repo.split_once('/').map_or(repo.as_str(), |(_, rest)| rest);
    [name, short, repo.as_str(), short_repo]
        .iter()
        .any(|candidate| glob.matches_with(candidate, opts))
}

/// An image listing's request.
#[derive(Debug, Clone, Default)]
pub struct ImageListOptions {
    /// Intermediate images too.
    pub all: bool,
    pub filters: ImageFilters,
}

impl Runtime {
    /// The images a listing shows, newest first, each with `dangling` set.
    pub fn list_images(&self, opts: &ImageListOptions) -> Result<Vec<ImageSummary>> {
        let images = self.images()?;
        let store = self.store()?;
        let kinds = ImageKinds::of(&images, |i| {
            let image = store.lookup_image(&i.id).ok()?;
            let blob = store.image_config_blob(&image).ok()?;
            let v: serde_json::Value = serde_json::from_slice(&blob).ok()?;
            Some(v["history"].as_array().cloned().unwrap_or_default())
        });
        let f = &opts.filters;
        let before = ImageFilters::pivot(self, &f.before, "before")?;
        let since = ImageFilters::pivot(self, &f.since, "since")?;
        Ok(images
            .iter()
            .filter(|i| opts.all || f.intermediate.is_some() || !kinds.is_intermediate(i))
            .filter(|i| f.matches(i, &kinds, before, since))
            .map(|i| ImageSummary {
                dangling: kinds.is_dangling(i),
                ..i.clone()
            })
            .collect())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn image(id: &str, names: &[&str], layers: &[&str]) -> ImageSummary {
        ImageSummary {
            id: id.into(),
            parent_id: String::new(),
            repo_tags: names.iter().map(|n| n.to_string()).collect(),
            repo_digests: Vec::new(),
            shared_size: 0,
            virtual_size: 0,
            labels: Some([("a".to_string(), "1".to_string())].into()),
            history: Vec::new(),
            names: names.iter().map(|n| n.to_string()).collect(),
            digest: String::new(),
            created: 100,
            created_at: DateTime::from_timestamp(100, 0).unwrap(),
            size: 0,
            containers: 0,
            layers: layers.iter().map(|l| l.to_string()).collect(),
            dangling: false,
        }
    }

    #[test]
    fn references() {
        let n = "localhost/busybox:latest";
        for yes in [
            "busybox",
            "busybox:latest",
            "localhost/busybox",
            n,
            "busy*",
            "*",
            "*/busybox",
            "localhost/busy*",
            "busybox:*",
            "b?sybox",
            "[ab]usybox",
        ] {
            assert!(reference_matches(n, yes), "{yes}");
        }
        for no in ["alpine", "box", "local*", "busybox:v2", "localhost*"] {
            assert!(!reference_matches(n, no), "{no}");
        }
        assert!(reference_matches("quay.io/org/app:1", "org/app"));
        assert!(reference_matches("quay.io/org/app:1", "org/*:1"));
        assert!(!reference_matches("quay.io/org/app:1", "app"));
    }

    #[test]
    fn dangling_and_intermediate() {
        let base = image("aa", &[], &["l1"]);
        let child = image("bb", &["localhost/child:latest"], &["l1", "l2"]);
        let lone = image("cc", &[], &["l9"]);
        // A config-only step: the same layers, one more history entry.
        let meta_parent = image("dd", &[], &["l1", "l2"]);
        let all = vec![
            base.clone(),
            child.clone(),
            lone.clone(),
            meta_parent.clone(),
        ];
        let hist = |i: &ImageSummary| -> Option<History> {
            let n = match i.id.as_str() {
                "aa" => 1,
                "dd" => 2,
                "bb" => 3,
                _ => 1,
            };
            Some((0..n).map(|k| serde_json::json!(k)).collect())
        };
        let k = ImageKinds::of(&all, hist);
        assert!(
            k.is_intermediate(&meta_parent),
            "same layers, shorter history"
        );
        // Without a longer history an image with the same layers is no child.
        let same = ImageKinds::of(&all, |_| Some(Vec::new()));
        assert!(!same.is_intermediate(&meta_parent) && !same.is_intermediate(&base));
        assert!(k.is_intermediate(&base) && !k.is_dangling(&base));
        assert!(!k.is_intermediate(&lone) && k.is_dangling(&lone));
        assert!(!k.is_dangling(&child) && !k.is_intermediate(&child));
        let keep = |flags: &[&str], i: &ImageSummary| {
            ImageFilters::from_cli(flags)
                .unwrap()
                .matches(i, &k, None, None)
        };
        assert!(keep(&["dangling=true"], &lone));
        assert!(!keep(&["dangling=true"], &child));
        assert!(keep(&["dangling=false"], &child));
        assert!(keep(&["intermediate=true"], &base));
        assert!(keep(&["reference=child"], &child));
        assert!(keep(&["reference=nope", "reference=child"], &child));
        assert!(!keep(&["reference=child", "dangling=true"], &child));
        assert!(keep(&["label=a=1"], &child));
        assert!(!keep(&["label!=a"], &child));
        assert!(keep(&["id=bb"], &child));
        assert!(keep(&["readonly=false"], &child));
        assert!(!keep(&["readonly=true"], &child));
        assert!(keep(&["containers=false"], &child));
        assert!(keep(&["until=1h"], &child));
    }

    #[test]
    fn errors_are_podmans() {
        let e = ImageFilters::from_cli(&["foo=bar"]).unwrap_err();
        assert_eq!(e.to_string(), "unsupported image filter \"foo\"");
        let e = ImageFilters::from_cli(&["foo"]).unwrap_err();
        assert!(e.to_string().starts_with("invalid image filter \"foo\""));
        assert!(ImageFilters::from_cli(&["dangling=x"]).is_err());
        assert!(ImageFilters::from_cli(&["dangling=true", "dangling=false"]).is_err());
        assert!(ImageFilters::from_cli(&["containers=x"]).is_err());
    }
}
