//! Docker's stream framing. Without a tty, output is *multiplexed*: each
//! chunk is preceded by an 8-byte header (stream type: 0 stdin, 1 stdout,
//! 2 stderr; three zero bytes; the chunk length as a big-endian u32). With
//! a tty the bytes are sent raw.

use std::io::Write;

use axum::body::Bytes;
use tokio::sync::mpsc;

/// Stream type of stdout in the multiplexed framing.
pub const STDOUT: u8 = 1;
/// Stream type of stderr in the multiplexed framing.
pub const STDERR: u8 = 2;

/// Content type of a raw (tty) stream.
pub const RAW_STREAM: &str = "application/vnd.docker.raw-stream";
/// Content type of a multiplexed stream.
pub const MULTIPLEXED_STREAM: &str = "application/vnd.docker.multiplexed-stream";

/// The content type for a container with or without a tty.
pub fn content_type(tty: bool) -> &'static str {
    if tty {
        RAW_STREAM
    } else {
        MULTIPLEXED_STREAM
    }
}

/// Encodes one chunk: with its header unless `raw`.
pub fn encode(stream: u8, data: &[u8], raw: bool) -> Bytes {
    if raw {
        return Bytes::copy_from_slice(data);
    }
    let mut out = Vec::with_capacity(data.len() + 8);
    for chunk in data.chunks(u32::MAX as usize) {
        out.push(stream);
        out.extend_from_slice(&[0, 0, 0]);
        out.extend_from_slice(&(chunk.len() as u32).to_be_bytes());
        out.extend_from_slice(chunk);
    }
    Bytes::from(out)
}

/// Splits a multiplexed stream back into `(stream, payload)` pairs; returns
/// what was decoded and the unconsumed rest.
pub fn decode(mut data: &[u8]) -> (Vec<(u8, Vec<u8>)>, &[u8]) {
    let mut out = Vec::new();
    while data.len() >= 8 {
        let len = u32::from_be_bytes([data[4], data[5], data[6], data[7]]) as usize;
        if data.len() < 8 + len {
            break;
        }
        out.push((data[0], data[8..8 + len].to_vec()));
        data = &data[8 + len..];
    }
    (out, data)
}

/// A blocking writer that frames what it gets and sends it to a response
/// body. Writing fails with `ConnectionAborted` once the client is gone.
pub struct FrameWriter {
    tx: mpsc::Sender<Bytes>,
    stream: u8,
    raw: bool,
    enabled: bool,
}

impl FrameWriter {
    /// A writer for `stream`; `raw` sends bytes without headers; a writer
    /// that is not `enabled` discards everything.
    pub fn new(tx: mpsc::Sender<Bytes>, stream: u8, raw: bool, enabled: bool) -> Self {
        FrameWriter {
            tx,
            stream,
            raw,
            enabled,
        }
    }
}

impl Write for FrameWriter {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        if !self.enabled || buf.is_empty() {
            return Ok(buf.len());
        }
        self.tx
            .blocking_send(encode(self.stream, buf, self.raw))
            .map_err(|_| std::io::Error::from(std::io::ErrorKind::ConnectionAborted))?;
        Ok(buf.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn header_layout() {
        let b = encode(STDERR, b"hello", false);
        assert_eq!(&b[..8], &[2, 0, 0, 0, 0, 0, 0, 5]);
        assert_eq!(&b[8..], b"hello");
        assert_eq!(&encode(STDOUT, b"x", true)[..], b"x");
    }

    #[test]
    fn round_trip_and_partial() {
        let mut all = encode(STDOUT, b"out\n", false).to_vec();
        all.extend_from_slice(&encode(STDERR, b"err\n", false));
        all.extend_from_slice(&[1, 0, 0, 0, 0, 0]);
        let (frames, rest) = decode(&all);
        assert_eq!(frames, vec![(1, b"out\n".to_vec()), (2, b"err\n".to_vec())]);
        assert_eq!(rest.len(), 6);
    }
}
