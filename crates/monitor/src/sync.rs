//! The start-up message the monitor writes on `--sync-fd`.
//!
//! Exactly one message is written, then the monitor closes the fd. It is a
//! single line:
//!
//! * `pid <decimal pid>\n`: `runtime create` succeeded; the container's pid;
//! * `error <text>\n`: start-up failed; `<text>` is the runtime's (or the
//!   monitor's) error message with `\` written as `\\`, newline as `\n` and
//!   carriage return as `\r`.
//!
//! EOF without a message means the monitor died before it could report
//! (see `monitor.log` in the persist dir).

use std::fmt;
use std::io::{self, Read};

/// The message on the sync fd.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SyncMessage {
    /// The container was created; this is its pid (in the caller's pid
    /// namespace).
    Pid(i32),
    /// Start-up failed with this error text.
    Error(String),
}

/// A sync message that does not follow the format.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SyncDecodeError(String);

impl fmt::Display for SyncDecodeError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "invalid monitor sync message: {}", self.0)
    }
}

impl std::error::Error for SyncDecodeError {}

impl SyncMessage {
    /// Encodes the message as one line, newline included.
    pub fn encode(&self) -> Vec<u8> {
        match self {
            SyncMessage::Pid(pid) => format!("pid {pid}\n").into_bytes(),
            SyncMessage::Error(text) => {
                let mut out = Vec::with_capacity(text.len() + 8);
                out.extend_from_slice(b"error ");
                for b in text.bytes() {
                    match b {
                        b'\\' => out.extend_from_slice(b"\\\\"),
                        b'\n' => out.extend_from_slice(b"\\n"),
                        b'\r' => out.extend_from_slice(b"\\r"),
                        _ => out.push(b),
                    }
                }
                out.push(b'\n');
                out
            }
        }
    }

    /// Decodes one message; the trailing newline is optional.
    pub fn decode(data: &[u8]) -> Result<SyncMessage, SyncDecodeError> {
        let line = data.strip_suffix(b"\n").unwrap_or(data);
        if line.contains(&b'\n') {
            return Err(SyncDecodeError("more than one line".into()));
        }
        if let Some(pid) = line.strip_prefix(b"pid ") {
            let pid = std::str::from_utf8(pid)
                .ok()
                .and_then(|s| s.parse::<i32>().ok())
                .filter(|pid| *pid > 0)
                .ok_or_else(|| SyncDecodeError("bad pid".into()))?;
            return Ok(SyncMessage::Pid(pid));
        }
        if let Some(text) = line.strip_prefix(b"error ") {
            return Ok(SyncMessage::Error(unescape(text)?));
        }
        Err(SyncDecodeError(format!(
            "unknown message {:?}",
            String::from_utf8_lossy(line)
        )))
    }
}

fn unescape(text: &[u8]) -> Result<String, SyncDecodeError> {
    let mut out = Vec::with_capacity(text.len());
    let mut it = text.iter();
    while let Some(&b) = it.next() {
        if b != b'\\' {
            out.push(b);
            continue;
        }
        match it.next() {
            Some(b'\\') => out.push(b'\\'),
            Some(b'n') => out.push(b'\n'),
            Some(b'r') => out.push(b'\r'),
            _ => return Err(SyncDecodeError("bad escape in error text".into())),
        }
    }
    Ok(String::from_utf8_lossy(&out).into_owned())
}

/// Reads the sync fd to EOF and decodes the message: the caller's side.
///
/// Fails with [`io::ErrorKind::UnexpectedEof`] when the monitor closed the
/// fd without writing anything, and [`io::ErrorKind::InvalidData`] when the
/// message is malformed. The caller must have closed its own copy of the
/// pipe's write end, or this never sees EOF.
pub fn read_sync_message(mut reader: impl Read) -> io::Result<SyncMessage> {
    let mut data = Vec::new();
    reader.read_to_end(&mut data)?;
    if data.is_empty() {
        return Err(io::Error::new(
            io::ErrorKind::UnexpectedEof,
            "the monitor exited without reporting the container's start-up",
        ));
    }
    SyncMessage::decode(&data).map_err(|e| io::Error::new(io::ErrorKind::InvalidData, e))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pid_round_trip() {
        let m = SyncMessage::Pid(1234);
        assert_eq!(m.encode(), b"pid 1234\n");
        assert_eq!(SyncMessage::decode(&m.encode()).unwrap(), m);
        assert_eq!(SyncMessage::decode(b"pid 7").unwrap(), SyncMessage::Pid(7));
    }

    #[test]
    fn error_round_trip() {
        let m = SyncMessage::Error("line one\nback\\slash\r\nünï".into());
        let enc = m.encode();
        assert_eq!(enc.iter().filter(|b| **b == b'\n').count(), 1);
        assert_eq!(SyncMessage::decode(&enc).unwrap(), m);
    }

    #[test]
    fn rejects_garbage() {
        for bad in [
            &b""[..],
            b"pid",
            b"pid -3",
            b"pid x",
            b"hello",
            b"error a\\q",
            b"pid 1\npid 2\n",
        ] {
            assert!(SyncMessage::decode(bad).is_err(), "{bad:?}");
        }
    }

    #[test]
    fn read_from_reader() {
        let msg = read_sync_message(&b"pid 42\n"[..]).unwrap();
        assert_eq!(msg, SyncMessage::Pid(42));
        let eof = read_sync_message(&b""[..]).unwrap_err();
        assert_eq!(eof.kind(), io::ErrorKind::UnexpectedEof);
    }
}
