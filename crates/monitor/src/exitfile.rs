//! The exit file: `<exit-dir>/<cid>`, holding the container's exit code in
//! decimal (128 + signal number when a signal killed it). Its mtime is the
//! time the container finished. It is written atomically (temporary file in
//! the same directory, then rename), so a reader never sees a partial file.

use std::fs;
use std::io::{self, Write};
use std::os::unix::fs::OpenOptionsExt;
use std::path::{Path, PathBuf};
use std::time::SystemTime;

/// Exit code written when the monitor could not learn the real one (the
/// container process was not its child). Should never happen with a
/// conforming runtime.
pub const EXIT_CODE_UNKNOWN: i32 = -1;

/// The exit file of container `cid`.
pub fn exit_file_path(exit_dir: &Path, cid: &str) -> PathBuf {
    exit_dir.join(cid)
}

/// Writes the exit file of `cid` with `code`, atomically.
pub fn write_exit_file(exit_dir: &Path, cid: &str, code: i32) -> io::Result<()> {
    let tmp = exit_dir.join(format!(".{cid}.tmp-{}", std::process::id()));
    let result = (|| {
        let mut file = fs::OpenOptions::new()
            .write(true)
            .create(true)
            .truncate(true)
            .mode(0o600)
            .open(&tmp)?;
        file.write_all(code.to_string().as_bytes())?;
        drop(file);
        fs::rename(&tmp, exit_file_path(exit_dir, cid))
    })();
    if result.is_err() {
        // Best effort: do not leave the temporary file behind.
        let _ = fs::remove_file(&tmp);
    }
    result
}

/// Reads an exit file: `Ok(None)` if it does not exist (yet), else the exit
/// code and the time the container finished.
pub fn read_exit_file(path: &Path) -> io::Result<Option<(i32, SystemTime)>> {
    let content = match fs::read_to_string(path) {
        Ok(c) => c,
        Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(None),
        Err(e) => return Err(e),
    };
    let code = content.trim().parse::<i32>().map_err(|_| {
        io::Error::new(
            io::ErrorKind::InvalidData,
            format!("exit file {} holds {:?}", path.display(), content),
        )
    })?;
    let finished = fs::metadata(path)?.modified()?;
    Ok(Some((code, finished)))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn write_then_read() {
        let dir = tempfile::tempdir().unwrap();
        let path = exit_file_path(dir.path(), "c1");
        assert_eq!(read_exit_file(&path).unwrap(), None);
        let before = SystemTime::now() - std::time::Duration::from_secs(2);
        write_exit_file(dir.path(), "c1", 137).unwrap();
        let (code, when) = read_exit_file(&path).unwrap().unwrap();
        assert_eq!(code, 137);
        assert!(when >= before);
        // Only the exit file is left: no temporary.
        assert_eq!(fs::read_dir(dir.path()).unwrap().count(), 1);
    }

    #[test]
    fn garbage_is_invalid_data() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("c");
        fs::write(&path, "nope").unwrap();
        let e = read_exit_file(&path).unwrap_err();
        assert_eq!(e.kind(), io::ErrorKind::InvalidData);
    }
}
