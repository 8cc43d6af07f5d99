//! SHA-256 digests: hashing readers, ID validation and OCI chain IDs.

use std::io::{self, Read};

use sha2::{Digest as _, Sha256};

/// Prefix of every digest string this crate produces.
pub(crate) const SHA256_PREFIX: &str = "sha256:";

/// Lower-case hex SHA-256 of `data`.
pub(crate) fn sha256_hex(data: &[u8]) -> String {
    hex::encode(Sha256::digest(data))
}

/// True for a 64 character lower-case hex string (an image, layer or blob ID).
pub(crate) fn is_sha256_hex(s: &str) -> bool {
    s.len() == 64 && is_lower_hex(s)
}

/// True for a non-empty string of lower-case hex digits.
pub(crate) fn is_lower_hex(s: &str) -> bool {
    !s.is_empty()
        && s.bytes()
            .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b))
}

/// The OCI chain ID (hex) of a layer with `diff_id` (`sha256:…`) on top of the layer whose
/// chain ID is `parent` (hex): `chain(L0) = diff_id(L0)`,
/// `chain(Ln) = sha256(chain(Ln-1) + " " + diff_id(Ln))`.
pub(crate) fn chain_id(parent: Option<&str>, diff_id: &str) -> String {
    match parent {
        None => diff_id
            .strip_prefix(SHA256_PREFIX)
            .unwrap_or(diff_id)
            .to_string(),
        Some(parent) => sha256_hex(format!("{SHA256_PREFIX}{parent} {diff_id}").as_bytes()),
    }
}

/// Passes data through while hashing it and counting bytes.
pub(crate) struct HashingReader<R> {
    inner: R,
    hasher: Sha256,
    bytes: u64,
}

impl<R: Read> HashingReader<R> {
    /// Wraps `inner`.
    pub(crate) fn new(inner: R) -> Self {
        HashingReader {
            inner,
            hasher: Sha256::new(),
            bytes: 0,
        }
    }

    /// The digest (`sha256:<hex>`) and length of everything read so far, without consuming.
    pub(crate) fn current(&self) -> (String, u64) {
        let digest = format!(
            "{SHA256_PREFIX}{}",
            hex::encode(self.hasher.clone().finalize())
        );
        (digest, self.bytes)
    }

    /// The digest (`sha256:<hex>`) and length of everything read so far.
    pub(crate) fn finish(self) -> (String, u64) {
        let digest = format!("{SHA256_PREFIX}{}", hex::encode(self.hasher.finalize()));
        (digest, self.bytes)
    }
}

impl<R: Read> Read for HashingReader<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let n = self.inner.read(buf)?;
        self.hasher.update(&buf[..n]);
        self.bytes += n as u64;
        Ok(n)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hashing_reader_matches_direct_digest() {
        let data = b"hello world".repeat(1000);
        let mut reader = HashingReader::new(&data[..]);
        io::copy(&mut reader, &mut io::sink()).unwrap();
        let (digest, len) = reader.finish();
        assert_eq!(digest, format!("sha256:{}", sha256_hex(&data)));
        assert_eq!(len, data.len() as u64);
    }

    #[test]
    fn chain_id_follows_the_oci_definition() {
        let d0 = format!("sha256:{}", "a".repeat(64));
        let d1 = format!("sha256:{}", "b".repeat(64));
        let c0 = chain_id(None, &d0);
        assert_eq!(c0, "a".repeat(64));
        let c1 = chain_id(Some(&c0), &d1);
        assert_eq!(c1, sha256_hex(format!("sha256:{c0} {d1}").as_bytes()));
    }

    #[test]
    fn id_validation() {
        assert!(is_sha256_hex(&"0f".repeat(32)));
        assert!(!is_sha256_hex(&"0F".repeat(32)));
        assert!(!is_sha256_hex("abc"));
        assert!(is_lower_hex("abc"));
        assert!(!is_lower_hex("../x"));
        assert!(!is_lower_hex(""));
    }
}
