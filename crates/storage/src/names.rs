//! Image references (`[domain/]path[:tag][@digest]`): parsing, validation and normalisation.
//!
//! The grammar is Docker's (`distribution/reference`): lower-case path components separated by
//! `.`, `_`, `__` or dashes; a domain is recognised in the first component when it contains
//! `.` or `:`, is `localhost`, or has upper-case letters. Normalisation adds `localhost/` when
//! there is no domain and `:latest` when there is neither tag nor digest.

use std::fmt;
use std::str::FromStr;

use crate::error::{Error, Result};

/// Domain added to names that have none.
pub const DEFAULT_DOMAIN: &str = "localhost";
/// Tag added to names that have neither tag nor digest.
pub const DEFAULT_TAG: &str = "latest";

const MAX_NAME_LEN: usize = 255;
const MAX_TAG_LEN: usize = 128;

/// A parsed image reference, e.g. `quay.io/foo/bar:1.0` or `busybox@sha256:…`.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct Reference {
    domain: Option<String>,
    path: String,
    tag: Option<String>,
    digest: Option<String>,
}

impl Reference {
    /// Parses and validates `reference` without adding defaults.
    pub fn parse(reference: &str) -> Result<Reference> {
        let invalid = |reason: &str| Error::InvalidReference {
            reference: reference.to_string(),
            reason: reason.to_string(),
        };
        if reference.is_empty() {
            return Err(invalid("empty reference"));
        }
        let (rest, digest) = match reference.split_once('@') {
            Some((rest, digest)) => {
                if !is_valid_digest(digest) {
                    return Err(invalid("invalid digest"));
                }
                (rest, Some(digest.to_string()))
            }
            None => (reference, None),
        };
        let (name, tag) = match rest.rsplit_once(':') {
            Some((name, tag)) if !tag.contains('/') => {
                if !is_valid_tag(tag) {
                    return Err(invalid("invalid tag"));
                }
                (name, Some(tag.to_string()))
            }
            _ => (rest, None),
        };
        if name.is_empty() {
            return Err(invalid("empty repository name"));
        }
        if name.len() > MAX_NAME_LEN {
            return Err(invalid(
                "repository name must not be more than 255 characters",
            ));
        }
        let (domain, path) = match name.split_once('/') {
            Some((first, remainder)) if looks_like_domain(first) => (Some(first), remainder),
            _ => (None, name),
        };
        if let Some(domain) = domain {
            if !is_valid_domain(domain) {
                return Err(invalid("invalid domain"));
            }
        }
        if path.bytes().any(|b| b.is_ascii_uppercase()) {
            return Err(invalid("repository name must be lowercase"));
        }
        if !path.split('/').all(is_valid_path_component) {
            return Err(invalid("invalid repository name"));
        }
        if domain.is_none() && path.len() == 64 && path.bytes().all(|b| b.is_ascii_hexdigit()) {
            return Err(invalid(
                "cannot specify 64-byte hexadecimal strings as a repository name",
            ));
        }
        Ok(Reference {
            domain: domain.map(str::to_string),
            path: path.to_string(),
            tag,
            digest,
        })
    }

    /// Adds the default domain and, when there is no digest either, the default tag.
    pub fn normalized(mut self) -> Reference {
        if self.domain.is_none() {
            self.domain = Some(DEFAULT_DOMAIN.to_string());
        }
        if self.tag.is_none() && self.digest.is_none() {
            self.tag = Some(DEFAULT_TAG.to_string());
        }
        self
    }

    /// The registry domain (with port), if the reference names one.
    pub fn domain(&self) -> Option<&str> {
        self.domain.as_deref()
    }

    /// The repository path below the domain, e.g. `library/busybox`.
    pub fn path(&self) -> &str {
        &self.path
    }

    /// The tag, if any.
    pub fn tag(&self) -> Option<&str> {
        self.tag.as_deref()
    }

    /// The digest (`algorithm:hex`), if any.
    pub fn digest(&self) -> Option<&str> {
        self.digest.as_deref()
    }

    /// `domain/path`, or just the path when there is no domain.
    pub fn repository(&self) -> String {
        match &self.domain {
            Some(domain) => format!("{domain}/{}", self.path),
            None => self.path.clone(),
        }
    }

    /// Whether this reference (as a user wrote it) designates the stored, normalised name
    /// `stored` of an image whose manifest digest is `image_digest`.
    ///
    /// Without a domain, the path only has to match the trailing path components of the stored
    /// repository (`busybox` matches `docker.io/library/busybox`). Without tag and digest the
    /// tag must be `latest`; with a digest the image's digest must be that digest.
    pub(crate) fn designates(&self, stored: &Reference, image_digest: &str) -> bool {
        let repository_matches = match &self.domain {
            Some(domain) => stored.domain.as_deref() == Some(domain) && stored.path == self.path,
            None => {
                stored.path == self.path
                    || stored
                        .path
                        .strip_suffix(self.path.as_str())
                        .is_some_and(|prefix| prefix.ends_with('/'))
            }
        };
        let tag_matches = match (&self.tag, &self.digest) {
            (Some(tag), _) => stored.tag.as_ref() == Some(tag),
            (None, Some(_)) => true,
            (None, None) => stored.tag.as_deref() == Some(DEFAULT_TAG),
        };
        let digest_matches = self
            .digest
            .as_ref()
            .is_none_or(|digest| digest == image_digest);
        repository_matches && tag_matches && digest_matches
    }
}

impl fmt::Display for Reference {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.repository())?;
        if let Some(tag) = &self.tag {
            write!(f, ":{tag}")?;
        }
        if let Some(digest) = &self.digest {
            write!(f, "@{digest}")?;
        }
        Ok(())
    }
}

impl FromStr for Reference {
    type Err = Error;

    fn from_str(s: &str) -> Result<Reference> {
        Reference::parse(s)
    }
}

/// Normalises a user image name: adds `:latest` when there is no tag or digest, and
/// `localhost/` when there is no registry domain. Invalid names give
/// [`Error::InvalidReference`].
pub fn normalize_name(name: &str) -> Result<String> {
    Ok(Reference::parse(name)?.normalized().to_string())
}

fn looks_like_domain(component: &str) -> bool {
    component.contains(['.', ':'])
        || component == DEFAULT_DOMAIN
        || component.bytes().any(|b| b.is_ascii_uppercase())
}

/// `host[:port]` where host is a DNS name, an IPv4 address or a bracketed IPv6 address.
fn is_valid_domain(domain: &str) -> bool {
    let (host, port) = if let Some(bracketed) = domain.strip_prefix('[') {
        let Some((inner, after)) = bracketed.split_once(']') else {
            return false;
        };
        let port = match after.strip_prefix(':') {
            Some(port) => Some(port),
            None if after.is_empty() => None,
            None => return false,
        };
        let is_ipv6 = !inner.is_empty()
            && inner
                .bytes()
                .all(|b| b.is_ascii_hexdigit() || b == b':' || b == b'.');
        if !is_ipv6 {
            return false;
        }
        (None, port)
    } else {
        match domain.rsplit_once(':') {
            Some((host, port)) => (Some(host), Some(port)),
            None => (Some(domain), None),
        }
    };
    let port_ok = port.is_none_or(|p| !p.is_empty() && p.bytes().all(|b| b.is_ascii_digit()));
    let host_ok = host.is_none_or(|h| h.split('.').all(is_valid_domain_component));
    port_ok && host_ok
}

fn is_valid_domain_component(component: &str) -> bool {
    let bytes = component.as_bytes();
    match (bytes.first(), bytes.last()) {
        (Some(first), Some(last)) => {
            first.is_ascii_alphanumeric()
                && last.is_ascii_alphanumeric()
                && bytes
                    .iter()
                    .all(|b| b.is_ascii_alphanumeric() || *b == b'-')
        }
        _ => false,
    }
}

/// `[a-z0-9]+` runs separated by `.`, `_`, `__` or one or more `-`.
fn is_valid_path_component(component: &str) -> bool {
    let is_alnum = |b: u8| b.is_ascii_lowercase() || b.is_ascii_digit();
    let bytes = component.as_bytes();
    match (bytes.first(), bytes.last()) {
        (Some(&first), Some(&last)) if is_alnum(first) && is_alnum(last) => {}
        _ => return false,
    }
    let mut i = 0;
    while i < bytes.len() {
        if is_alnum(bytes[i]) {
            i += 1;
            continue;
        }
        let start = i;
        while i < bytes.len() && !is_alnum(bytes[i]) {
            i += 1;
        }
        let separator = &component[start..i];
        let valid = matches!(separator, "." | "_" | "__") || separator.bytes().all(|b| b == b'-');
        if !valid {
            return false;
        }
    }
    true
}

/// `[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}`
fn is_valid_tag(tag: &str) -> bool {
    let word = |b: u8| b.is_ascii_alphanumeric() || b == b'_';
    let bytes = tag.as_bytes();
    !bytes.is_empty()
        && bytes.len() <= MAX_TAG_LEN
        && word(bytes[0])
        && bytes.iter().all(|&b| word(b) || b == b'.' || b == b'-')
}

/// `algorithm:hex` with `algorithm` = `[a-z0-9]+([+._-][a-z0-9]+)*`; sha256 needs 64 hex digits.
fn is_valid_digest(digest: &str) -> bool {
    let Some((algorithm, encoded)) = digest.split_once(':') else {
        return false;
    };
    let algorithm_ok = algorithm.split(['+', '.', '_', '-']).all(|part| {
        !part.is_empty()
            && part
                .bytes()
                .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit())
    });
    let encoded_ok = if algorithm == "sha256" {
        crate::digest::is_sha256_hex(encoded)
    } else {
        encoded.len() >= 32 && encoded.bytes().all(|b| b.is_ascii_hexdigit())
    };
    algorithm_ok && encoded_ok
}

#[cfg(test)]
mod tests {
    use super::*;

    fn digest() -> String {
        format!("sha256:{}", "ab".repeat(32))
    }

    #[test]
    fn normalises_short_names() {
        assert_eq!(
            normalize_name("busybox").unwrap(),
            "localhost/busybox:latest"
        );
        assert_eq!(
            normalize_name("busybox:1.36").unwrap(),
            "localhost/busybox:1.36"
        );
        assert_eq!(
            normalize_name("foo/bar").unwrap(),
            "localhost/foo/bar:latest"
        );
        assert_eq!(normalize_name("localhost/x").unwrap(), "localhost/x:latest");
    }

    #[test]
    fn keeps_qualified_names() {
        assert_eq!(
            normalize_name("docker.io/library/busybox").unwrap(),
            "docker.io/library/busybox:latest"
        );
        assert_eq!(
            normalize_name("registry:5000/a/b:v1").unwrap(),
            "registry:5000/a/b:v1"
        );
        assert_eq!(
            normalize_name("[::1]:5000/img:tag").unwrap(),
            "[::1]:5000/img:tag"
        );
        assert_eq!(
            normalize_name("quay.io/a__b/c-d.e---f:1").unwrap(),
            "quay.io/a__b/c-d.e---f:1"
        );
    }

    #[test]
    fn digests_do_not_get_a_default_tag() {
        let d = digest();
        assert_eq!(
            normalize_name(&format!("busybox@{d}")).unwrap(),
            format!("localhost/busybox@{d}")
        );
        assert_eq!(
            normalize_name(&format!("busybox:1@{d}")).unwrap(),
            format!("localhost/busybox:1@{d}")
        );
    }

    #[test]
    fn rejects_invalid_names() {
        for bad in [
            "",
            "Busybox",
            "foo/Bar",
            "a//b",
            "-a",
            "a-",
            "a..b",
            "a___b",
            "busybox:",
            "busybox:-x",
            "busybox@sha256:abc",
            "busybox@",
            ":tag",
            "a b",
            "quay.io/",
            &"ab".repeat(32),
            &format!("x:{}", "t".repeat(129)),
            &"a".repeat(256),
        ] {
            let err = normalize_name(bad).unwrap_err();
            assert!(
                matches!(err, Error::InvalidReference { .. }),
                "{bad:?} gave {err:?}"
            );
        }
    }

    #[test]
    fn exposes_components() {
        let r = Reference::parse("quay.io/foo/bar:1").unwrap();
        assert_eq!(r.domain(), Some("quay.io"));
        assert_eq!(r.path(), "foo/bar");
        assert_eq!(r.tag(), Some("1"));
        assert_eq!(r.digest(), None);
        assert_eq!(r.repository(), "quay.io/foo/bar");
        let r: Reference = "busybox".parse().unwrap();
        assert_eq!(r.domain(), None);
        assert_eq!(r.to_string(), "busybox");
    }

    #[test]
    fn short_names_designate_by_trailing_components_and_tag() {
        let stored = Reference::parse("docker.io/library/busybox:latest").unwrap();
        let d = digest();
        let designates = |user: &str| Reference::parse(user).unwrap().designates(&stored, &d);
        assert!(designates("busybox"));
        assert!(designates("busybox:latest"));
        assert!(designates("library/busybox"));
        assert!(designates("docker.io/library/busybox"));
        assert!(designates(&format!("busybox@{d}")));
        assert!(!designates("busybox:1"));
        assert!(!designates("box"));
        assert!(!designates("quay.io/library/busybox"));
        assert!(!designates(&format!("busybox@sha256:{}", "cd".repeat(32))));
    }
}
