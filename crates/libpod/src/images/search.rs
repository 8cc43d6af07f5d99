//! `search`: repositories of registries' catalogs (`/v2/_catalog`) whose
//! names contain the term, and the tags of one repository, for the CLI and
//! both REST APIs.

use serde::Serialize;

use super::registry::{parse_reference, RegistryOptions, Session};
use crate::error::{Error, Result};
use crate::Runtime;

/// Results per registry when no limit is given (Podman's default).
pub const DEFAULT_LIMIT: usize = 25;
/// Catalog entries read per registry at most.
const CATALOG_MAX: usize = 10_000;

/// `--filter` of `search`.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct SearchFilters {
    /// `stars=N`: at least N stars.
    pub stars: u64,
    /// `is-official[=bool]`.
    pub official: Option<bool>,
    /// `is-automated[=bool]`.
    pub automated: Option<bool>,
}

impl SearchFilters {
    /// Parses `key=value` filters, with Podman's messages for bad ones.
    pub fn parse(filters: &[String]) -> Result<SearchFilters> {
        let mut out = SearchFilters::default();
        for f in filters {
            let (key, value) = f.split_once('=').unwrap_or((f.as_str(), ""));
            let flag = |v: &str| -> Result<bool> {
                match v {
                    "" | "true" => Ok(true),
                    "false" => Ok(false),
                    _ => Err(Error::InvalidArgument(format!(
                        "invalid filter {f:?}: {key} takes true or false"
                    ))),
                }
            };
            match key {
                "stars" => {
                    out.stars = value.parse().map_err(|_| {
                        Error::InvalidArgument(format!(
                            "incorrect value type for stars filter: {value:?}"
                        ))
                    })?
                }
                "is-official" => out.official = Some(flag(value)?),
                "is-automated" => out.automated = Some(flag(value)?),
                _ => {
                    return Err(Error::InvalidArgument(format!(
                        "invalid filter type {key:?}: the filters are stars, is-official and is-automated"
                    )))
                }
            }
        }
        Ok(out)
    }

    /// Catalog entries have no stars and are neither official nor automated.
    fn admits_catalog_entries(&self) -> bool {
        self.stars == 0 && self.official != Some(true) && self.automated != Some(true)
    }
}

/// What `search` is asked.
#[derive(Debug, Clone, Default)]
pub struct SearchOptions {
    /// Results per registry (`None`: [`DEFAULT_LIMIT`]).
    pub limit: Option<usize>,
    pub filters: SearchFilters,
    pub registry: RegistryOptions,
}

/// One repository found (Podman's fields).
#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
#[serde(rename_all = "PascalCase")]
pub struct SearchResult {
    /// The registry.
    pub index: String,
    /// `registry/repository`.
    pub name: String,
    pub description: String,
    pub stars: u64,
    /// `[OK]` or empty.
    pub official: String,
    /// `[OK]` or empty.
    pub automated: String,
    /// Empty (tags are listed by [`Runtime::search_tags`]).
    pub tag: String,
}

/// A repository's tags (`search --list-tags`).
#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
#[serde(rename_all = "PascalCase")]
pub struct TagList {
    pub name: String,
    pub tags: Vec<String>,
}

/// `HOST/rest` → (host, rest) when the first component names a registry.
fn split_registry(term: &str) -> Option<(&str, &str)> {
    let (first, rest) = term.split_once('/')?;
    (first.contains(['.', ':']) || first == "localhost").then_some((first, rest))
}

impl Runtime {
    /// Repositories whose names contain `term`'s name part, from the
    /// registry `term` names, else from each unqualified-search registry.
    pub fn search(&self, term: &str, opts: &SearchOptions) -> Result<Vec<SearchResult>> {
        let conf = self.registries_conf()?;
        let (registries, query) = match split_registry(term) {
            Some((host, rest)) => (vec![host.to_string()], rest.to_string()),
            None => (conf.unqualified_search.clone(), term.to_string()),
        };
        if registries.is_empty() {
            return Err(Error::InvalidArgument(format!(
                "no registries to search for {term:?}: name one in the term (HOST/NAME) or set unqualified-search-registries in registries.conf"
            )));
        }
        let limit = opts.limit.unwrap_or(DEFAULT_LIMIT);
        let mut out = Vec::new();
        for host in registries {
            if !opts.filters.admits_catalog_entries() {
                continue;
            }
            let session = Session::new(&host, &opts.registry, &conf)?;
            let found = session
                .catalog(&host, CATALOG_MAX)?
                .into_iter()
                .filter(|repo| repo.contains(query.as_str()))
                .take(limit)
                .map(|repo| SearchResult {
                    index: host.clone(),
                    name: format!("{host}/{repo}"),
                    description: String::new(),
                    stars: 0,
                    official: String::new(),
                    automated: String::new(),
                    tag: String::new(),
                });
            out.extend(found);
        }
        Ok(out)
    }

    /// The tags of the repository `term` names (`HOST/NAME`, no tag).
    pub fn search_tags(&self, term: &str, opts: &SearchOptions) -> Result<Vec<TagList>> {
        let Some((host, repo)) = split_registry(term) else {
            return Err(Error::InvalidArgument(format!(
                "listing tags of {term:?}: name the registry and the repository (HOST/NAME)"
            )));
        };
        // A tag or digest in the term is dropped: the repository's tags are listed.
        let repo = repo.split('@').next().unwrap_or(repo);
        let repo = match repo.rsplit_once(':') {
            Some((name, tag)) if !tag.contains('/') => name,
            _ => repo,
        };
        let term = format!("{host}/{repo}");
        let conf = self.registries_conf()?;
        let reference = parse_reference(&term)?;
        let session = Session::new(host, &opts.registry, &conf)?;
        let mut tags = session.tags(&reference)?;
        tags.truncate(opts.limit.unwrap_or(usize::MAX));
        Ok(vec![TagList { name: term, tags }])
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn filters_parse_with_podmans_keys() {
        let f = SearchFilters::parse(&["stars=3".into(), "is-official".into()]).unwrap();
        assert_eq!(f.stars, 3);
        assert_eq!(f.official, Some(true));
        assert!(SearchFilters::parse(&["stars=x".into()]).is_err());
        assert!(SearchFilters::parse(&["colour=red".into()]).is_err());
        assert!(SearchFilters::parse(&["is-automated=maybe".into()]).is_err());
        assert!(!f.admits_catalog_entries());
        assert!(SearchFilters::default().admits_catalog_entries());
    }

    #[test]
    fn a_registry_is_named_by_a_dot_a_port_or_localhost() {
        assert_eq!(
            split_registry("127.0.0.1:5000/a/b"),
            Some(("127.0.0.1:5000", "a/b"))
        );
        assert_eq!(split_registry("localhost/x"), Some(("localhost", "x")));
        assert_eq!(split_registry("library/alpine"), None);
        assert_eq!(split_registry("alpine"), None);
    }
}
