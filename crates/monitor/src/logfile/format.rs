//! Encoding a chunk of output into log lines and parsing one log line.

use std::fmt;
use std::io;
use std::time::SystemTime;

use super::timestamp::{format_timestamp, parse_timestamp};
use super::{LogEntry, LogFormat, Stream};
use crate::json;

/// A log line that does not follow its format.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LogParseError(String);

impl fmt::Display for LogParseError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "malformed log line: {}", self.0)
    }
}

impl std::error::Error for LogParseError {}

impl From<LogParseError> for io::Error {
    fn from(e: LogParseError) -> io::Error {
        io::Error::new(io::ErrorKind::InvalidData, e)
    }
}

fn bad(msg: impl Into<String>) -> LogParseError {
    LogParseError(msg.into())
}

/// Appends the log lines for one chunk of output to `out`: one line per
/// newline-terminated piece, plus a partial line for a trailing piece
/// without newline. An empty chunk adds nothing.
pub fn encode_chunk(
    format: LogFormat,
    stream: Stream,
    time: SystemTime,
    chunk: &[u8],
    out: &mut Vec<u8>,
) {
    if chunk.is_empty() {
        return;
    }
    let ts = format_timestamp(time);
    for piece in chunk.split_inclusive(|b| *b == b'\n') {
        let (text, partial) = match piece.strip_suffix(b"\n") {
            Some(text) => (text, false),
            None => (piece, true),
        };
        match format {
            LogFormat::K8sFile => {
                out.extend_from_slice(ts.as_bytes());
                out.push(b' ');
                out.extend_from_slice(stream.as_str().as_bytes());
                out.extend_from_slice(if partial { b" P " } else { b" F " });
                out.extend_from_slice(text);
            }
            LogFormat::JsonFile => {
                out.extend_from_slice(b"{\"log\":");
                let mut log = String::from_utf8_lossy(text).into_owned();
                if !partial {
                    log.push('\n');
                }
                json::push_string(out, &log);
                out.extend_from_slice(b",\"stream\":\"");
                out.extend_from_slice(stream.as_str().as_bytes());
                out.extend_from_slice(b"\",\"time\":\"");
                out.extend_from_slice(ts.as_bytes());
                out.extend_from_slice(b"\"}");
            }
        }
        out.push(b'\n');
    }
}

/// Parses one log line (a trailing `\n` is allowed and ignored).
pub fn parse_line(format: LogFormat, line: &[u8]) -> Result<LogEntry, LogParseError> {
    let line = line.strip_suffix(b"\n").unwrap_or(line);
    match format {
        LogFormat::K8sFile => parse_k8s(line),
        LogFormat::JsonFile => parse_json(line),
    }
}

fn parse_time(field: &[u8]) -> Result<SystemTime, LogParseError> {
    std::str::from_utf8(field)
        .ok()
        .and_then(parse_timestamp)
        .ok_or_else(|| bad(format!("bad time {:?}", String::from_utf8_lossy(field))))
}

/// `<time> <stream> <tags> <text>`; tags are `:`-separated, the first one
/// is `F` or `P`. The space before an empty text may be missing.
fn parse_k8s(line: &[u8]) -> Result<LogEntry, LogParseError> {
    let mut fields = line.splitn(4, |b| *b == b' ');
    let time = parse_time(fields.next().unwrap_or_default())?;
    let stream = fields
        .next()
        .and_then(Stream::from_bytes)
        .ok_or_else(|| bad("bad stream"))?;
    let tags = fields.next().ok_or_else(|| bad("missing tag"))?;
    let partial = match tags.split(|b| *b == b':').next() {
        Some(b"P") => true,
        Some(b"F") => false,
        _ => return Err(bad("bad tag")),
    };
    let text = fields.next().unwrap_or_default().to_vec();
    Ok(LogEntry {
        time,
        stream,
        partial,
        text,
    })
}

fn parse_json(line: &[u8]) -> Result<LogEntry, LogParseError> {
    let line = std::str::from_utf8(line).map_err(|_| bad("not UTF-8"))?;
    let members = json::parse_object(line).map_err(|e| bad(e.to_string()))?;
    let (mut log, mut stream, mut time) = (None, None, None);
    for (key, value) in members {
        match (key.as_str(), value) {
            ("log", Some(v)) => log = Some(v),
            ("stream", Some(v)) => stream = Some(v),
            ("time", Some(v)) => time = Some(v),
            _ => {}
        }
    }
    let log = log.ok_or_else(|| bad("missing \"log\""))?;
    let stream = stream
        .as_deref()
        .map(str::as_bytes)
        .and_then(Stream::from_bytes)
        .ok_or_else(|| bad("bad \"stream\""))?;
    let time = parse_time(time.as_deref().unwrap_or_default().as_bytes())?;
    let mut text = log.into_bytes();
    let partial = text.last() != Some(&b'\n');
    if !partial {
        text.pop();
    }
    Ok(LogEntry {
        time,
        stream,
        partial,
        text,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::{Duration, UNIX_EPOCH};

    fn t() -> SystemTime {
        UNIX_EPOCH + Duration::new(1_795_935_662, 123_456_789)
    }

    fn encode(format: LogFormat, stream: Stream, chunk: &[u8]) -> Vec<u8> {
        let mut out = Vec::new();
        encode_chunk(format, stream, t(), chunk, &mut out);
        out
    }

    fn parse_all(format: LogFormat, data: &[u8]) -> Vec<LogEntry> {
        data.split_inclusive(|b| *b == b'\n')
            .map(|l| parse_line(format, l).unwrap())
            .collect()
    }

    #[test]
    fn k8s_exact_bytes() {
        let out = encode(LogFormat::K8sFile, Stream::Stdout, b"one\ntwo\nthr");
        assert_eq!(
            String::from_utf8(out).unwrap(),
            "2026-11-29T07:01:02.123456789Z stdout F one\n\
             2026-11-29T07:01:02.123456789Z stdout F two\n\
             2026-11-29T07:01:02.123456789Z stdout P thr\n"
        );
        let empty_line = encode(LogFormat::K8sFile, Stream::Stderr, b"\n");
        assert_eq!(empty_line, b"2026-11-29T07:01:02.123456789Z stderr F \n");
        assert!(encode(LogFormat::K8sFile, Stream::Stderr, b"").is_empty());
    }

    #[test]
    fn json_exact_bytes() {
        let out = encode(LogFormat::JsonFile, Stream::Stderr, b"a \"q\"\nb");
        assert_eq!(
            String::from_utf8(out).unwrap(),
            "{\"log\":\"a \\\"q\\\"\\n\",\"stream\":\"stderr\",\"time\":\"2026-11-29T07:01:02.123456789Z\"}\n\
             {\"log\":\"b\",\"stream\":\"stderr\",\"time\":\"2026-11-29T07:01:02.123456789Z\"}\n"
        );
    }

    #[test]
    fn round_trip_both_formats() {
        for format in [LogFormat::K8sFile, LogFormat::JsonFile] {
            let chunk = b"hello world\n\ttabbed \\ \"x\"\n\npartial";
            let entries = parse_all(format, &encode(format, Stream::Stderr, chunk));
            let texts: Vec<&[u8]> = entries.iter().map(|e| e.text.as_slice()).collect();
            assert_eq!(
                texts,
                vec![&b"hello world"[..], b"\ttabbed \\ \"x\"", b"", b"partial"]
            );
            let partial: Vec<bool> = entries.iter().map(|e| e.partial).collect();
            assert_eq!(partial, vec![false, false, false, true]);
            assert!(entries
                .iter()
                .all(|e| e.time == t() && e.stream == Stream::Stderr));
        }
    }

    #[test]
    fn k8s_keeps_raw_bytes() {
        let chunk = b"\xff\xfe bin \r\n";
        let e = parse_all(
            LogFormat::K8sFile,
            &encode(LogFormat::K8sFile, Stream::Stdout, chunk),
        );
        assert_eq!(e[0].text, b"\xff\xfe bin \r");
    }

    #[test]
    fn json_replaces_invalid_utf8() {
        let out = encode(LogFormat::JsonFile, Stream::Stdout, b"x\xffy\n");
        let e = parse_line(LogFormat::JsonFile, &out).unwrap();
        assert_eq!(String::from_utf8(e.text).unwrap(), "x\u{fffd}y");
    }

    #[test]
    fn parses_foreign_lines() {
        // conmon writes a numeric offset; CRI allows extra tags; a missing
        // space before an empty text is tolerated.
        let e = parse_line(
            LogFormat::K8sFile,
            b"2026-11-29T08:01:02.1+01:00 stdout F:x hi there",
        )
        .unwrap();
        assert_eq!(e.text, b"hi there");
        assert_eq!(
            e.time,
            UNIX_EPOCH + Duration::new(1_795_935_662, 100_000_000)
        );
        assert!(
            parse_line(LogFormat::K8sFile, b"2026-11-29T07:01:02Z stdout F")
                .unwrap()
                .text
                .is_empty()
        );
        // Docker adds attrs and trims trailing zeros.
        let e = parse_line(
            LogFormat::JsonFile,
            br#"{"log":"hi\n","stream":"stdout","attrs":{"a":"b"},"time":"2026-11-29T07:01:02.1234Z"}"#,
        )
        .unwrap();
        assert_eq!((e.text.as_slice(), e.partial), (&b"hi"[..], false));
    }

    #[test]
    fn rejects_malformed() {
        for bad in [
            &b""[..],
            b"garbage",
            b"2026-11-29T07:01:02Z stdin F x",
            b"2026-11-29T07:01:02Z stdout X x",
            b"2026-11-29T07:01:02Z stdout",
            b"yesterday stdout F x",
        ] {
            assert!(parse_line(LogFormat::K8sFile, bad).is_err(), "{bad:?}");
        }
        for bad in [
            &br#"{"stream":"stdout","time":"2026-11-29T07:01:02Z"}"#[..],
            br#"{"log":"x","stream":"out","time":"2026-11-29T07:01:02Z"}"#,
            br#"{"log":"x","stream":"stdout"}"#,
            b"{\"log\":\"\xff\"}",
            b"not json",
        ] {
            assert!(parse_line(LogFormat::JsonFile, bad).is_err(), "{bad:?}");
        }
    }
}
