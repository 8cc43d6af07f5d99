//! Reading log files: incrementally from any reader, or following a file
//! that the monitor is still writing.

use std::fs::File;
use std::io::{self, Read, Seek, SeekFrom};
use std::os::unix::fs::MetadataExt;
use std::path::{Path, PathBuf};
use std::time::Duration;

use super::format::parse_line;
use super::{LogEntry, LogFormat};

const READ_CHUNK: usize = 16 * 1024;

/// Reads log entries one line at a time.
///
/// [`next_entry`](Self::next_entry) returns `Ok(None)` when the reader has no
/// complete line left; bytes of an unfinished last line are kept, so calling
/// it again after more data was appended (e.g. to a growing file) continues
/// where it stopped. A malformed line yields an
/// [`io::ErrorKind::InvalidData`] error and is skipped: the next call goes
/// on with the following line.
#[derive(Debug)]
pub struct LogReader<R> {
    inner: R,
    format: LogFormat,
    buf: Vec<u8>,
    start: usize,
    bytes_read: u64,
}

impl<R: Read> LogReader<R> {
    /// Wraps `inner`, which yields a log file of `format` from its start (or
    /// from any line boundary).
    pub fn new(inner: R, format: LogFormat) -> LogReader<R> {
        LogReader {
            inner,
            format,
            buf: Vec::new(),
            start: 0,
            bytes_read: 0,
        }
    }

    /// The next complete entry, or `Ok(None)` if there is none yet.
    pub fn next_entry(&mut self) -> io::Result<Option<LogEntry>> {
        loop {
            if let Some(line) = self.take_line() {
                return parse_line(self.format, &line).map(Some).map_err(Into::into);
            }
            // Compact, then read more.
            self.buf.drain(..self.start);
            self.start = 0;
            let old = self.buf.len();
            self.buf.resize(old + READ_CHUNK, 0);
            let n = loop {
                match self.inner.read(&mut self.buf[old..]) {
                    Ok(n) => break n,
                    Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
                    Err(e) => {
                        self.buf.truncate(old);
                        return Err(e);
                    }
                }
            };
            self.buf.truncate(old + n);
            self.bytes_read += n as u64;
            if n == 0 {
                return Ok(None);
            }
        }
    }

    fn take_line(&mut self) -> Option<Vec<u8>> {
        let rest = &self.buf[self.start..];
        let nl = rest.iter().position(|b| *b == b'\n')?;
        let line = rest[..nl].to_vec();
        self.start += nl + 1;
        Some(line)
    }

    /// Bytes of an unfinished last line read so far.
    pub fn pending(&self) -> &[u8] {
        &self.buf[self.start..]
    }

    /// Total bytes read from the inner reader.
    pub fn bytes_read(&self) -> u64 {
        self.bytes_read
    }

    /// Forgets buffered bytes (use after repositioning the inner reader).
    pub fn reset(&mut self) {
        self.buf.clear();
        self.start = 0;
        self.bytes_read = 0;
    }

    /// The inner reader.
    pub fn get_mut(&mut self) -> &mut R {
        &mut self.inner
    }

    /// Unwraps the inner reader (buffered bytes are lost).
    pub fn into_inner(self) -> R {
        self.inner
    }
}

/// Follows a log file as `tail -F` does, coping with the monitor truncating
/// it (`--log-max-size`) or the file being replaced.
///
/// ```no_run
/// # use monitor::logfile::{LogFollower, LogFormat};
/// # use std::time::Duration;
/// # fn container_running() -> bool { false }
/// let mut f = LogFollower::open("/path/ctr.log".as_ref(), LogFormat::K8sFile)?;
/// while let Some(entry) = f.wait_next(Duration::from_millis(250), || !container_running())? {
///     print!("{}", String::from_utf8_lossy(&entry.text));
///     if !entry.partial {
///         println!();
///     }
/// }
/// # Ok::<(), std::io::Error>(())
/// ```
#[derive(Debug)]
pub struct LogFollower {
    path: PathBuf,
    reader: LogReader<File>,
    id: (u64, u64),
}

impl LogFollower {
    /// Opens `path` and starts at its beginning.
    pub fn open(path: &Path, format: LogFormat) -> io::Result<LogFollower> {
        let file = File::open(path)?;
        let meta = file.metadata()?;
        Ok(LogFollower {
            path: path.to_path_buf(),
            reader: LogReader::new(file, format),
            id: (meta.dev(), meta.ino()),
        })
    }

    /// The next entry available now, without waiting. After reaching the end
    /// it checks whether the file was truncated (then restarts at its
    /// beginning) or replaced (then opens the new file).
    pub fn try_next(&mut self) -> io::Result<Option<LogEntry>> {
        if let Some(e) = self.reader.next_entry()? {
            return Ok(Some(e));
        }
        if self.reposition()? {
            return self.reader.next_entry();
        }
        Ok(None)
    }

    /// Waits for the next entry, checking every `interval`. `stop` is called
    /// whenever no entry is available; once it returns `true` the follower
    /// makes one last attempt and returns `Ok(None)` if nothing came.
    pub fn wait_next(
        &mut self,
        interval: Duration,
        mut stop: impl FnMut() -> bool,
    ) -> io::Result<Option<LogEntry>> {
        loop {
            if let Some(e) = self.try_next()? {
                return Ok(Some(e));
            }
            if stop() {
                return self.try_next();
            }
            std::thread::sleep(interval);
        }
    }

    /// Detects truncation or replacement; returns whether the reader was
    /// repositioned.
    fn reposition(&mut self) -> io::Result<bool> {
        let meta = match std::fs::metadata(&self.path) {
            Ok(m) => m,
            // Removed (maybe about to be recreated): keep the old file.
            Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(false),
            Err(e) => return Err(e),
        };
        if (meta.dev(), meta.ino()) != self.id {
            let file = File::open(&self.path)?;
            let meta = file.metadata()?;
            self.id = (meta.dev(), meta.ino());
            *self.reader.get_mut() = file;
            self.reader.reset();
            return Ok(true);
        }
        if meta.len() < self.reader.bytes_read() {
            self.reader.get_mut().seek(SeekFrom::Start(0))?;
            self.reader.reset();
            return Ok(true);
        }
        Ok(false)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::logfile::{LogWriter, Stream};
    use std::io::Write;

    #[test]
    fn incremental_across_partial_writes() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("ctr.log");
        let mut w = LogWriter::open(&path, LogFormat::K8sFile, 0).unwrap();
        w.write(Stream::Stdout, b"first\n").unwrap();
        let mut f = LogFollower::open(&path, LogFormat::K8sFile).unwrap();
        assert_eq!(f.try_next().unwrap().unwrap().text, b"first");
        assert_eq!(f.try_next().unwrap(), None);

        // Half a line: not returned until the newline arrives.
        let mut raw = std::fs::OpenOptions::new()
            .append(true)
            .open(&path)
            .unwrap();
        raw.write_all(b"2026-11-29T07:01:02Z stderr F sec").unwrap();
        assert_eq!(f.try_next().unwrap(), None);
        raw.write_all(b"ond\n").unwrap();
        let e = f.try_next().unwrap().unwrap();
        assert_eq!(
            (e.stream, e.text.as_slice()),
            (Stream::Stderr, &b"second"[..])
        );
    }

    #[test]
    fn follows_truncation_and_replacement() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("ctr.log");
        let mut w = LogWriter::open(&path, LogFormat::JsonFile, 0).unwrap();
        w.write(
            Stream::Stdout,
            b"aaaaaaaaaaaaaaaaaaaa\nbbbbbbbbbbbbbbbbbbbb\n",
        )
        .unwrap();
        let mut f = LogFollower::open(&path, LogFormat::JsonFile).unwrap();
        assert!(f.try_next().unwrap().is_some());
        assert!(f.try_next().unwrap().is_some());

        std::fs::OpenOptions::new()
            .write(true)
            .open(&path)
            .unwrap()
            .set_len(0)
            .unwrap();
        w.write(Stream::Stdout, b"c\n").unwrap();
        assert_eq!(f.try_next().unwrap().unwrap().text, b"c");

        let other = dir.path().join("new.log");
        LogWriter::open(&other, LogFormat::JsonFile, 0)
            .unwrap()
            .write(Stream::Stderr, b"d\n")
            .unwrap();
        std::fs::rename(&other, &path).unwrap();
        assert_eq!(f.try_next().unwrap().unwrap().text, b"d");

        let mut polls = 0;
        let end = f
            .wait_next(Duration::from_millis(1), || {
                polls += 1;
                polls > 2
            })
            .unwrap();
        assert_eq!(end, None);
        assert_eq!(polls, 3);
    }

    #[test]
    fn malformed_line_is_skipped() {
        let data = b"junk\n2026-11-29T07:01:02Z stdout F ok\n";
        let mut r = LogReader::new(&data[..], LogFormat::K8sFile);
        let e = r.next_entry().unwrap_err();
        assert_eq!(e.kind(), io::ErrorKind::InvalidData);
        assert_eq!(r.next_entry().unwrap().unwrap().text, b"ok");
        assert_eq!(r.next_entry().unwrap(), None);
        assert!(r.pending().is_empty());
    }
}
