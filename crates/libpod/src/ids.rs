//! IDs and names of new objects.

use crate::error::{Error, Result};

/// A new random 64-hex-character ID.
pub fn new_id() -> Result<String> {
    let mut bytes = [0u8; 32];
    getrandom::getrandom(&mut bytes).map_err(|e| Error::Io {
        context: "generating an ID".into(),
        source: std::io::Error::other(e.to_string()),
    })?;
    // An all-digit ID prefix could be mistaken for a number; Podman avoids it too.
    let id = hex::encode(bytes);
    Ok(id)
}

/// True for names of the form `[a-zA-Z0-9][a-zA-Z0-9_.-]*` (containers,
/// pods, volumes, networks).
pub fn is_valid_name(name: &str) -> bool {
    let mut chars = name.chars();
    matches!(chars.next(), Some(c) if c.is_ascii_alphanumeric())
        && chars.all(|c| c.is_ascii_alphanumeric() || matches!(c, '_' | '.' | '-'))
}

/// Checks a user-given container or pod name.
pub fn validate_name(name: &str) -> Result<()> {
    if is_valid_name(name) {
        Ok(())
    } else {
        Err(Error::InvalidName(name.to_string()))
    }
}

const ADJECTIVES: &[&str] = &[
    "admiring",
    "bold",
    "brave",
    "calm",
    "clever",
    "dazzling",
    "eager",
    "elegant",
    "focused",
    "gallant",
    "happy",
    "hopeful",
    "jolly",
    "keen",
    "kind",
    "lucid",
    "modest",
    "nifty",
    "optimistic",
    "pensive",
    "quirky",
    "relaxed",
    "serene",
    "sharp",
    "stoic",
    "tender",
    "upbeat",
    "vibrant",
    "wizardly",
    "zealous",
];

const NOUNS: &[&str] = &[
    "albattani",
    "babbage",
    "curie",
    "darwin",
    "euclid",
    "fermat",
    "galileo",
    "hopper",
    "hypatia",
    "johnson",
    "kepler",
    "lovelace",
    "meitner",
    "newton",
    "noether",
    "pascal",
    "ritchie",
    "shannon",
    "thompson",
    "turing",
    "volhard",
    "wozniak",
    "yalow",
    "zhukovsky",
    "bohr",
    "dijkstra",
    "goldberg",
    "knuth",
    "lamport",
    "torvalds",
];

/// A readable random name such as `brave_turing`; `taken` says whether a
/// candidate is in use.
pub fn random_name(mut taken: impl FnMut(&str) -> Result<bool>) -> Result<String> {
    for attempt in 0..64u32 {
        let mut b = [0u8; 4];
        getrandom::getrandom(&mut b).map_err(|e| Error::Io {
            context: "generating a name".into(),
            source: std::io::Error::other(e.to_string()),
        })?;
        let n = u32::from_le_bytes(b) as usize;
        let mut name = format!(
            "{}_{}",
            ADJECTIVES[n % ADJECTIVES.len()],
            NOUNS[(n / 64) % NOUNS.len()]
        );
        if attempt > 8 {
            name.push_str(&format!("{}", n % 100));
        }
        if !taken(&name)? {
            return Ok(name);
        }
    }
    Err(Error::InvalidArgument(
        "could not find a free container name".into(),
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_are_64_hex() {
        let id = new_id().unwrap();
        assert_eq!(id.len(), 64);
        assert!(id.bytes().all(|b| b.is_ascii_hexdigit()));
    }

    #[test]
    fn names_are_validated() {
        assert!(validate_name("web-1.a_b").is_ok());
        assert!(validate_name("-x").is_err());
        assert!(validate_name("").is_err());
        assert!(validate_name("a/b").is_err());
    }

    #[test]
    fn random_names_avoid_taken_ones() {
        let name = random_name(|n| Ok(n.starts_with('a'))).unwrap();
        assert!(!name.starts_with('a'));
    }
}
