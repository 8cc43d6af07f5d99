//! A reader that hashes what passes through it on a helper thread, so that hashing the
//! uncompressed layer stream (its diff ID) overlaps with writing the files out.

use std::io::{self, Read};
use std::sync::mpsc::{self, Receiver, SyncSender};
use std::thread::JoinHandle;

use sha2::{Digest as _, Sha256};

use crate::digest::SHA256_PREFIX;

/// Bytes collected before a chunk goes to the hashing thread.
const CHUNK: usize = 512 * 1024;
/// Chunks in flight (also the number of recycled buffers).
const IN_FLIGHT: usize = 4;

/// Passes data through while a helper thread hashes it; [`ThreadedHasher::finish`] gives
/// the digest and length of everything read.
pub(crate) struct ThreadedHasher<R> {
    inner: R,
    pending: Vec<u8>,
    bytes: u64,
    to_hasher: Option<SyncSender<Vec<u8>>>,
    recycled: Receiver<Vec<u8>>,
    worker: Option<JoinHandle<Sha256>>,
}

impl<R: Read> ThreadedHasher<R> {
    /// Wraps `inner`, starting the hashing thread.
    pub(crate) fn new(inner: R) -> io::Result<Self> {
        let (to_hasher, chunks) = mpsc::sync_channel::<Vec<u8>>(IN_FLIGHT);
        let (give_back, recycled) = mpsc::sync_channel::<Vec<u8>>(IN_FLIGHT + 1);
        let worker = std::thread::Builder::new()
            .name("layer-hash".into())
            .spawn(move || {
                let mut hasher = Sha256::new();
                for mut chunk in chunks {
                    hasher.update(&chunk);
                    chunk.clear();
                    // The reader may be gone or have enough buffers: dropping is fine.
                    let _ = give_back.try_send(chunk);
                }
                hasher
            })?;
        Ok(ThreadedHasher {
            inner,
            pending: Vec::with_capacity(CHUNK),
            bytes: 0,
            to_hasher: Some(to_hasher),
            recycled,
            worker: Some(worker),
        })
    }

    /// Hands the pending bytes to the hashing thread.
    fn flush_pending(&mut self) -> io::Result<()> {
        if self.pending.is_empty() {
            return Ok(());
        }
        let next = self
            .recycled
            .try_recv()
            .unwrap_or_else(|_| Vec::with_capacity(CHUNK));
        let chunk = std::mem::replace(&mut self.pending, next);
        match &self.to_hasher {
            Some(tx) => tx.send(chunk).map_err(|_| hasher_gone()),
            None => Err(hasher_gone()),
        }
    }

    /// The digest (`sha256:<hex>`) and length of everything read.
    pub(crate) fn finish(mut self) -> io::Result<(String, u64)> {
        self.flush_pending()?;
        self.to_hasher = None;
        let hasher = self
            .worker
            .take()
            .ok_or_else(hasher_gone)?
            .join()
            .map_err(|_| hasher_gone())?;
        let digest = format!("{SHA256_PREFIX}{}", hex::encode(hasher.finalize()));
        Ok((digest, self.bytes))
    }
}

impl<R: Read> Read for ThreadedHasher<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let n = self.inner.read(buf)?;
        self.pending.extend_from_slice(&buf[..n]);
        self.bytes += n as u64;
        if self.pending.len() >= CHUNK {
            self.flush_pending()?;
        }
        Ok(n)
    }
}

impl<R> Drop for ThreadedHasher<R> {
    fn drop(&mut self) {
        // Closing the channel ends the thread; wait so that no thread outlives the reader.
        self.to_hasher = None;
        if let Some(worker) = self.worker.take() {
            let _ = worker.join();
        }
    }
}

fn hasher_gone() -> io::Error {
    io::Error::other("the layer hashing thread stopped")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn matches_a_direct_digest_for_any_size() {
        for len in [0usize, 1, CHUNK - 1, CHUNK, 3 * CHUNK + 17] {
            let data: Vec<u8> = (0..len).map(|i| (i * 7 % 251) as u8).collect();
            let mut reader = ThreadedHasher::new(&data[..]).unwrap();
            io::copy(&mut reader, &mut io::sink()).unwrap();
            let (digest, size) = reader.finish().unwrap();
            assert_eq!(
                digest,
                format!("sha256:{}", crate::digest::sha256_hex(&data))
            );
            assert_eq!(size, len as u64);
        }
    }

    #[test]
    fn dropping_early_stops_the_thread() {
        let data = vec![1u8; 5 * CHUNK];
        let mut reader = ThreadedHasher::new(&data[..]).unwrap();
        let mut buf = vec![0u8; 2 * CHUNK];
        reader.read_exact(&mut buf).unwrap();
        drop(reader);
    }
}
