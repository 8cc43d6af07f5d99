//! Container log files: the formats the monitor writes and `rpod logs`
//! reads.
//!
//! Every chunk of output the container writes becomes one or more log lines,
//! all stamped with the time the monitor read the chunk:
//!
//! * `k8s-file` (the CRI format, rpod's default):
//!   `<RFC3339Nano UTC time> <stdout|stderr> <F|P> <text>\n`;
//! * `json-file` (Docker's format):
//!   `{"log":"<text>\n","stream":"stdout","time":"<RFC3339Nano UTC time>"}\n`.
//!
//! A chunk holding several lines gives several log lines. When a chunk does
//! not end with a newline its last piece is *partial*: tag `P` in
//! `k8s-file`, a `log` value without the trailing `\n` in `json-file`; the
//! next entries of the same stream continue the line. With a terminal
//! everything is logged as `stdout`. [`LogEntry::text`] never includes the
//! newline: print it followed by `\n` unless the entry is partial.
//!
//! [`LogWriter`] writes a file, [`parse_line`] parses one line, [`LogReader`]
//! reads entries incrementally from any reader and [`LogFollower`] follows a
//! growing (and possibly truncated) file.

mod format;
mod reader;
mod timestamp;
mod writer;

use std::fmt;
use std::str::FromStr;
use std::time::SystemTime;

pub use format::{encode_chunk, parse_line, LogParseError};
pub use reader::{LogFollower, LogReader};
pub use timestamp::{format_timestamp, parse_timestamp};
pub use writer::LogWriter;

/// The `--log-driver` of a container.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum LogDriver {
    /// `k8s-file`: CRI log lines (the default).
    #[default]
    K8sFile,
    /// `json-file`: Docker JSON lines.
    JsonFile,
    /// `none`: output is not logged (attach clients still get it).
    None,
}

impl LogDriver {
    /// The driver's name on the command line.
    pub fn as_str(self) -> &'static str {
        match self {
            LogDriver::K8sFile => "k8s-file",
            LogDriver::JsonFile => "json-file",
            LogDriver::None => "none",
        }
    }

    /// The file format this driver writes, `None` for [`LogDriver::None`].
    pub fn format(self) -> Option<LogFormat> {
        match self {
            LogDriver::K8sFile => Some(LogFormat::K8sFile),
            LogDriver::JsonFile => Some(LogFormat::JsonFile),
            LogDriver::None => None,
        }
    }
}

/// A log driver name the monitor does not know.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UnknownLogDriver(pub String);

impl fmt::Display for UnknownLogDriver {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "unknown log driver {:?} (expected k8s-file, json-file or none)",
            self.0
        )
    }
}

impl std::error::Error for UnknownLogDriver {}

impl FromStr for LogDriver {
    type Err = UnknownLogDriver;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s {
            "k8s-file" => Ok(LogDriver::K8sFile),
            "json-file" => Ok(LogDriver::JsonFile),
            "none" => Ok(LogDriver::None),
            other => Err(UnknownLogDriver(other.to_string())),
        }
    }
}

/// The format of a log file.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LogFormat {
    /// CRI log lines: `<time> <stream> <F|P> <text>`.
    K8sFile,
    /// Docker JSON lines: `{"log":..,"stream":..,"time":..}`.
    JsonFile,
}

/// Which of the container's output streams a chunk came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Stream {
    /// Standard output (and all output of a terminal).
    Stdout,
    /// Standard error.
    Stderr,
}

impl Stream {
    /// `"stdout"` or `"stderr"`, as written in log files.
    pub fn as_str(self) -> &'static str {
        match self {
            Stream::Stdout => "stdout",
            Stream::Stderr => "stderr",
        }
    }

    fn from_bytes(b: &[u8]) -> Option<Stream> {
        match b {
            b"stdout" => Some(Stream::Stdout),
            b"stderr" => Some(Stream::Stderr),
            _ => None,
        }
    }
}

/// One log line.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LogEntry {
    /// When the monitor read the output.
    pub time: SystemTime,
    /// The stream the output came from.
    pub stream: Stream,
    /// `true` when the line goes on in the next entry of the same stream
    /// (the output had no newline here).
    pub partial: bool,
    /// The output, without the newline. Raw bytes for `k8s-file`; for
    /// `json-file` the UTF-8 of the JSON text (invalid UTF-8 in the output
    /// was replaced by U+FFFD when written).
    pub text: Vec<u8>,
}
