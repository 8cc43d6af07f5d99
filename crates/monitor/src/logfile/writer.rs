//! Writing a container log file.

use std::fs::{File, OpenOptions};
use std::io::{self, Write};
use std::os::unix::fs::OpenOptionsExt;
use std::path::Path;
use std::time::SystemTime;

use super::format::encode_chunk;
use super::{LogFormat, Stream};

/// Capacity of the encoding buffer kept between writes.
const KEEP_BUFFER: usize = 64 * 1024;

/// Appends container output to a log file.
///
/// The file is opened in append mode (created with mode 0600 if missing;
/// existing content, e.g. from an earlier run of the container, is kept).
/// Each chunk is written with a single `write`, so a concurrent reader sees
/// whole lines except possibly the last, which [`super::LogReader`] leaves
/// pending until its newline arrives.
///
/// With a maximum size, output that would take the file past it first
/// truncates the file to zero length, as conmon does: the older output is
/// dropped and logging goes on from an empty file. Of a chunk that does not
/// fit even in an empty file, only the last lines that fit are kept; a
/// single line longer than the maximum is still written whole (the next
/// write truncates it away).
#[derive(Debug)]
pub struct LogWriter {
    file: File,
    format: LogFormat,
    max_size: u64,
    size: u64,
    buf: Vec<u8>,
    /// The encoded entries of the line now being written in pieces (output
    /// that has not reached its newline yet), and its stream: written again
    /// after a truncation, so the newest line survives whole.
    open_line: Vec<u8>,
    open_stream: Option<Stream>,
}

impl LogWriter {
    /// Opens (or creates) `path` for appending; `max_size` 0 means unlimited.
    pub fn open(path: &Path, format: LogFormat, max_size: u64) -> io::Result<LogWriter> {
        let file = OpenOptions::new()
            .append(true)
            .create(true)
            .mode(0o600)
            .open(path)?;
        let size = file.metadata()?.len();
        Ok(LogWriter {
            file,
            format,
            max_size,
            size,
            buf: Vec::new(),
            open_line: Vec::new(),
            open_stream: None,
        })
    }

    /// Logs a chunk of output read now.
    pub fn write(&mut self, stream: Stream, chunk: &[u8]) -> io::Result<()> {
        self.write_at(stream, SystemTime::now(), chunk)
    }

    /// Logs a chunk of output read at `time`.
    pub fn write_at(&mut self, stream: Stream, time: SystemTime, chunk: &[u8]) -> io::Result<()> {
        self.buf.clear();
        encode_chunk(self.format, stream, time, chunk, &mut self.buf);
        if self.buf.is_empty() {
            return Ok(());
        }
        let ends_line = chunk.last() == Some(&b'\n');
        if self.open_stream != Some(stream) {
            self.open_line.clear();
        }
        let encoded_len = self.buf.len();
        let prefix = self.open_line.len();
        if self.truncation_point().is_some() && prefix > 0 {
            // The file is about to be emptied: keep the start of the line.
            self.buf.splice(0..0, self.open_line.iter().copied());
        }
        let result = self.write_buf();
        if ends_line || self.max_size == 0 {
            self.open_line.clear();
            self.open_stream = None;
        } else {
            // Only the entry of the unfinished line is kept: the last one
            // of this chunk, after what an earlier piece of it left.
            if chunk.contains(&b'\n') {
                self.open_line.clear();
            }
            let body = &self.buf[..self.buf.len().saturating_sub(1)];
            let last_entry = body.iter().rposition(|b| *b == b'\n').map_or(0, |i| i + 1);
            let last_entry = last_entry.max(self.buf.len().saturating_sub(encoded_len));
            self.open_line.extend_from_slice(&self.buf[last_entry..]);
            self.open_stream = Some(stream);
            if self.open_line.len() as u64 > self.max_size {
                // Longer than the whole file may be: it cannot be kept anyway.
                self.open_line.clear();
            }
        }
        if self.buf.capacity() > KEEP_BUFFER {
            // A burst of tiny lines inflated the buffer: give the memory back.
            self.buf = Vec::new();
        }
        result
    }

    fn write_buf(&mut self) -> io::Result<()> {
        let start = self.truncation_point();
        if let Some(start) = start {
            self.file.set_len(0)?;
            self.size = 0;
            self.buf.drain(..start);
        }
        let len = self.buf.len() as u64;
        match self.file.write_all(&self.buf) {
            Ok(()) => {
                self.size += len;
                Ok(())
            }
            Err(e) => {
                // Part of the buffer may have been written (the disk filled
                // up): cut it off, so the file holds whole entries only and
                // later lines follow a complete one. The lines are dropped.
                if self.file.set_len(self.size).is_err() {
                    if let Ok(meta) = self.file.metadata() {
                        self.size = meta.len();
                    }
                }
                Err(e)
            }
        }
    }

    /// With a maximum size, whether the file must be truncated before
    /// writing the encoded buffer, and from where in the buffer to write
    /// then: the longest tail of whole lines that fits in the maximum (at
    /// least the last line). `None` when everything fits.
    fn truncation_point(&self) -> Option<usize> {
        let total = self.buf.len() as u64;
        if self.max_size == 0 || self.size.saturating_add(total) <= self.max_size {
            return None;
        }
        // Line starts, last line first.
        let starts = std::iter::once(0).chain(
            self.buf
                .iter()
                .enumerate()
                .filter(|(i, b)| **b == b'\n' && i + 1 < self.buf.len())
                .map(|(i, _)| i + 1),
        );
        let mut point = None;
        for start in starts.collect::<Vec<_>>().into_iter().rev() {
            if point.is_some() && total - start as u64 > self.max_size {
                break;
            }
            point = Some(start);
        }
        point
    }

    /// Current size of the file as far as this writer knows.
    pub fn size(&self) -> u64 {
        self.size
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::logfile::LogReader;

    #[test]
    fn truncates_at_max_size() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("ctr.log");
        let mut w = LogWriter::open(&path, LogFormat::K8sFile, 200).unwrap();
        for i in 0..10 {
            w.write(Stream::Stdout, format!("line {i}\n").as_bytes())
                .unwrap();
            assert!(std::fs::metadata(&path).unwrap().len() <= 200);
        }
        let data = std::fs::read(&path).unwrap();
        let mut r = LogReader::new(&data[..], LogFormat::K8sFile);
        let mut last = None;
        while let Some(e) = r.next_entry().unwrap() {
            last = Some(e.text);
        }
        assert_eq!(last.unwrap(), b"line 9");
    }

    #[test]
    fn one_big_chunk_keeps_its_tail() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("ctr.log");
        let mut w = LogWriter::open(&path, LogFormat::K8sFile, 300).unwrap();
        let chunk: String = (0..50).map(|i| format!("l{i}\n")).collect();
        w.write(Stream::Stdout, chunk.as_bytes()).unwrap();
        let len = std::fs::metadata(&path).unwrap().len();
        assert!(len <= 300 && len == w.size(), "{len}");
        let data = std::fs::read(&path).unwrap();
        let mut r = LogReader::new(&data[..], LogFormat::K8sFile);
        let mut texts = Vec::new();
        while let Some(e) = r.next_entry().unwrap() {
            texts.push(String::from_utf8(e.text).unwrap());
        }
        assert_eq!(texts.last().map(String::as_str), Some("l49"));
        assert!(
            texts.len() > 3 && !texts.contains(&"l0".to_string()),
            "{texts:?}"
        );

        // A line longer than the maximum is still written.
        let long = "x".repeat(400);
        w.write(Stream::Stdout, long.as_bytes()).unwrap();
        assert!(w.size() > 400);
    }

    #[test]
    fn a_line_split_across_a_truncation_survives_whole() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("ctr.log");
        let mut w = LogWriter::open(&path, LogFormat::K8sFile, 300).unwrap();
        for i in 0..3 {
            w.write(
                Stream::Stdout,
                format!("filler line {i} with some text\n").as_bytes(),
            )
            .unwrap();
        }
        w.write(Stream::Stdout, b"the newest line starts here and")
            .unwrap();
        w.write(Stream::Stdout, b" ends here\n").unwrap();
        let file = std::fs::File::open(&path).unwrap();
        let mut r = LogReader::new(std::io::BufReader::new(file), LogFormat::K8sFile);
        let mut text = Vec::new();
        while let Some(e) = r.next_entry().unwrap() {
            text.extend_from_slice(&e.text);
            if !e.partial {
                text.push(b'\n');
            }
        }
        let text = String::from_utf8(text).unwrap();
        assert!(
            text.ends_with("the newest line starts here and ends here\n"),
            "{text:?}"
        );
        assert!(std::fs::metadata(&path).unwrap().len() <= 300);
    }

    /// A chunk of many whole lines that ends inside one, then the rest of
    /// that line: the line survives the truncation whole, however much the
    /// first chunk held.
    #[test]
    fn a_line_split_after_a_big_chunk_survives_whole() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("ctr.log");
        let mut w = LogWriter::open(&path, LogFormat::K8sFile, 1024).unwrap();
        let mut big = String::new();
        for i in 0..60 {
            big.push_str(&format!("line-{i}-padding-padding-padding\n"));
        }
        big.push_str("line-499-padding-padding-pa");
        w.write(Stream::Stdout, big.as_bytes()).unwrap();
        w.write(Stream::Stdout, b"dding\n").unwrap();
        let file = std::fs::File::open(&path).unwrap();
        let mut r = LogReader::new(std::io::BufReader::new(file), LogFormat::K8sFile);
        let mut text = Vec::new();
        while let Some(e) = r.next_entry().unwrap() {
            text.extend_from_slice(&e.text);
            if !e.partial {
                text.push(b'\n');
            }
        }
        let text = String::from_utf8(text).unwrap();
        assert!(
            text.ends_with("line-499-padding-padding-padding\n"),
            "{text:?}"
        );
        assert!(std::fs::metadata(&path).unwrap().len() <= 1024);
    }

    #[test]
    fn appends_to_existing_file() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("ctr.log");
        LogWriter::open(&path, LogFormat::JsonFile, 0)
            .unwrap()
            .write(Stream::Stdout, b"a\n")
            .unwrap();
        let mut w = LogWriter::open(&path, LogFormat::JsonFile, 0).unwrap();
        let before = w.size();
        assert!(before > 0);
        w.write(Stream::Stderr, b"b\n").unwrap();
        assert_eq!(std::fs::metadata(&path).unwrap().len(), w.size());
        assert!(w.size() > before);
    }
}
