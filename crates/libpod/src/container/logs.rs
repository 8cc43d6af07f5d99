//! `logs`: reading a container's log file back, with time and tail filters,
//! optionally following it while the container runs.

use std::io::Write;
use std::time::{Duration, SystemTime};

use monitor::logfile::{LogFollower, LogFormat, LogReader};
use monitor::{LogEntry, Stream};

use super::Container;
use crate::error::{Error, IoContext, Result};

/// What to show.
#[derive(Debug, Clone, Default)]
pub struct LogOptions {
    pub follow: bool,
    pub timestamps: bool,
    pub since: Option<SystemTime>,
    pub until: Option<SystemTime>,
    /// Only the last N lines.
    pub tail: Option<usize>,
}

impl Container<'_> {
    fn log_format(&self) -> Result<(std::path::PathBuf, LogFormat)> {
        let path = self.log_path().ok_or_else(|| {
            Error::InvalidArgument(format!(
                "container {} uses the \"none\" log driver: there are no logs to read",
                self.name()
            ))
        })?;
        let format = if self.config.log_driver == "json-file" {
            LogFormat::JsonFile
        } else {
            LogFormat::K8sFile
        };
        Ok((path, format))
    }

    /// Writes the container's logs to `stdout`/`stderr` as the streams were.
    pub fn logs(
        &mut self,
        opts: &LogOptions,
        stdout: &mut dyn Write,
        stderr: &mut dyn Write,
    ) -> Result<()> {
        let (path, format) = self.log_format()?;
        if !path.exists() {
            if !opts.follow {
                return Ok(());
            }
            // Not started yet: wait for the monitor to create it.
            while !path.exists() {
                self.sync_unlocked_view()?;
                if !self.state.status.is_active()
                    && self.state.status != super::ContainerStatus::Created
                {
                    return Ok(());
                }
                std::thread::sleep(Duration::from_millis(100));
            }
        }
        let mut follower =
            LogFollower::open(&path, format).ctx(|| format!("opening {}", path.display()))?;
        let mut shown = Vec::new();
        if let Some(n) = opts.tail {
            // Collect what exists now, then print the last N lines.
            let file = std::fs::File::open(&path).ctx(|| format!("opening {}", path.display()))?;
            let mut reader = LogReader::new(std::io::BufReader::new(file), format);
            let mut all: Vec<LogEntry> = Vec::new();
            while let Some(e) = reader
                .next_entry()
                .ctx(|| format!("reading {}", path.display()))?
            {
                all.push(e);
            }
            let mut lines = 0usize;
            let mut start = all.len();
            while start > 0 {
                let e = &all[start - 1];
                if !e.partial {
                    if lines == n {
                        break;
                    }
                    lines += 1;
                }
                start -= 1;
            }
            shown.extend(all.drain(start..));
            // Skip what was already read in the follower.
            while follower
                .try_next()
                .ctx(|| format!("reading {}", path.display()))?
                .is_some()
            {}
        }
        let mut at_line_start = [true, true];
        for e in shown {
            emit(&e, opts, stdout, stderr, &mut at_line_start)?;
        }
        loop {
            let next = if opts.follow {
                let mut ctr_done = false;
                // Each poll syncs the state, so a dead monitor (which will
                // never write more) is noticed and ends the loop too.
                let entry = follower
                    .wait_next(Duration::from_millis(100), || {
                        ctr_done = self.sync_unlocked_view().is_err()
                            || !(self.state.status.is_active()
                                || self.state.status == super::ContainerStatus::Created);
                        ctr_done
                    })
                    .ctx(|| format!("reading {}", path.display()))?;
                entry
            } else {
                follower
                    .try_next()
                    .ctx(|| format!("reading {}", path.display()))?
            };
            match next {
                Some(e) => emit(&e, opts, stdout, stderr, &mut at_line_start)?,
                None => return Ok(()),
            }
        }
    }
}

fn emit(
    e: &LogEntry,
    opts: &LogOptions,
    stdout: &mut dyn Write,
    stderr: &mut dyn Write,
    at_line_start: &mut [bool; 2],
) -> Result<()> {
    if opts.since.is_some_and(|s| e.time < s) || opts.until.is_some_and(|u| e.time > u) {
        return Ok(());
    }
    let (out, idx): (&mut dyn Write, usize) = match e.stream {
        Stream::Stdout => (stdout, 0),
        Stream::Stderr => (stderr, 1),
    };
    let mut line = Vec::with_capacity(e.text.len() + 40);
    if opts.timestamps && at_line_start[idx] {
        line.extend_from_slice(monitor::logfile::format_timestamp(e.time).as_bytes());
        line.push(b' ');
    }
    line.extend_from_slice(&e.text);
    if !e.partial {
        line.push(b'\n');
    }
    at_line_start[idx] = !e.partial;
    match out.write_all(&line) {
        Err(err) if err.kind() == std::io::ErrorKind::BrokenPipe => Ok(()),
        other => other.ctx(|| "writing logs".to_string()),
    }
}
