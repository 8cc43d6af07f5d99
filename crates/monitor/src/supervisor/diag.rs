//! The monitor's own diagnostics: `<persist-dir>/monitor.log`.
//!
//! After detaching, the monitor has no stderr; whatever goes wrong that it
//! cannot report on the sync fd is appended here, one timestamped line per
//! message. Failing to write it is ignored: there is nowhere else to report.

use std::fmt::Display;
use std::fs::OpenOptions;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::time::SystemTime;

use crate::logfile::format_timestamp;
use crate::MONITOR_LOG_FILE;

/// Appends diagnostics to `monitor.log`.
#[derive(Debug)]
pub(crate) struct Diag {
    path: PathBuf,
}

impl Diag {
    /// Diagnostics for the monitor whose persist dir is `persist_dir`.
    pub(crate) fn new(persist_dir: &Path) -> Diag {
        Diag {
            path: persist_dir.join(MONITOR_LOG_FILE),
        }
    }

    /// Appends one message (newlines in it are kept on one line).
    pub(crate) fn log(&self, msg: impl Display) {
        let text = msg.to_string().replace('\n', "\\n");
        let line = format!("{} {text}\n", format_timestamp(SystemTime::now()));
        let written = OpenOptions::new()
            .append(true)
            .create(true)
            .open(&self.path)
            .and_then(|mut f| f.write_all(line.as_bytes()));
        // Nowhere left to report a failure to write the diagnostics.
        drop(written);
    }
}
