//! What the engine says on stderr besides errors: warnings (shown by
//! default), and with `--log-level info|debug|trace` what it is doing, in
//! Podman's `time=… level=… msg=…` form; `--syslog` sends each to syslog
//! too. One level for the process, set once by the front end.

use std::fmt::Display;
use std::str::FromStr;
use std::sync::atomic::{AtomicBool, AtomicU8, Ordering};

use crate::error::{Error, Result};

/// Podman's levels, most severe first.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
#[repr(u8)]
pub enum LogLevel {
    Panic = 0,
    Fatal,
    Error,
    Warn,
    Info,
    Debug,
    Trace,
}

impl FromStr for LogLevel {
    type Err = Error;

    fn from_str(s: &str) -> Result<LogLevel> {
        Ok(match s {
            "panic" => LogLevel::Panic,
            "fatal" => LogLevel::Fatal,
            "error" => LogLevel::Error,
            "warn" | "warning" => LogLevel::Warn,
            "info" => LogLevel::Info,
            "debug" => LogLevel::Debug,
            "trace" => LogLevel::Trace,
            _ => {
                return Err(Error::InvalidArgument(format!(
                    "Log Level {s:?} is not supported, choose from: trace, debug, info, warn, warning, error, fatal, panic"
                )))
            }
        })
    }
}

impl LogLevel {
    fn word(self) -> &'static str {
        match self {
            LogLevel::Panic => "panic",
            LogLevel::Fatal => "fatal",
            LogLevel::Error => "error",
            LogLevel::Warn => "warning",
            LogLevel::Info => "info",
            LogLevel::Debug => "debug",
            LogLevel::Trace => "trace",
        }
    }
}

static LEVEL: AtomicU8 = AtomicU8::new(LogLevel::Warn as u8);
static SYSLOG: AtomicBool = AtomicBool::new(false);

/// Sets the process's level and whether messages also go to syslog.
pub fn configure(level: LogLevel, syslog: bool) {
    LEVEL.store(level as u8, Ordering::Relaxed);
    SYSLOG.store(syslog, Ordering::Relaxed);
}

/// Whether messages of `level` are shown.
pub fn enabled(level: LogLevel) -> bool {
    level as u8 <= LEVEL.load(Ordering::Relaxed)
}

/// A warning, printed as given (`rpod: warning: …`) unless the level is
/// above warnings.
pub fn warn(message: impl Display) {
    if enabled(LogLevel::Warn) {
        let text = message.to_string();
        eprintln!("{text}");
        to_syslog(libc::LOG_WARNING, &text);
    }
}

/// What the engine is doing, at `--log-level info` and below.
pub fn info(message: impl Display) {
    emit(LogLevel::Info, libc::LOG_INFO, &message.to_string());
}

/// Details, at `--log-level debug` and below.
pub fn debug(message: impl Display) {
    emit(LogLevel::Debug, libc::LOG_DEBUG, &message.to_string());
}

fn emit(level: LogLevel, priority: libc::c_int, text: &str) {
    if !enabled(level) {
        return;
    }
    let time = chrono::Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Secs, true);
    eprintln!(
        "time=\"{time}\" level={} msg={}",
        level.word(),
        serde_json::Value::String(text.to_string())
    );
    to_syslog(priority, text);
}

fn to_syslog(priority: libc::c_int, text: &str) {
    if !SYSLOG.load(Ordering::Relaxed) {
        return;
    }
    let Ok(message) = std::ffi::CString::new(text.replace('\0', " ")) else {
        return;
    };
    // SAFETY: the format is a constant "%s" and `message` a valid C string;
    // openlog is not called, so syslog(3) uses the program name.
    unsafe {
        libc::syslog(priority, c"%s".as_ptr(), message.as_ptr());
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn levels_parse_as_podmans_and_order_by_severity() {
        assert_eq!("warning".parse::<LogLevel>().unwrap(), LogLevel::Warn);
        assert!(LogLevel::Debug > LogLevel::Info && LogLevel::Error < LogLevel::Warn);
        let err = "bogus".parse::<LogLevel>().unwrap_err().to_string();
        assert!(
            err.starts_with("Log Level \"bogus\" is not supported"),
            "{err}"
        );
    }
}
