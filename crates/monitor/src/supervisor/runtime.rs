//! Running `RUNTIME [runtime-args] create ...` and turning its failure into
//! an error message.

use std::ffi::OsString;
use std::fs::File;
use std::io::{self, Read, Seek, SeekFrom};
use std::os::fd::{AsFd, AsRawFd, BorrowedFd};
use std::os::unix::ffi::OsStrExt;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use nix::errno::Errno;
use nix::poll::{poll, PollFd, PollFlags, PollTimeout};
use nix::unistd::Pid;

use super::reaper::Reaper;
use super::stdio::RuntimeStdio;
use crate::json;
use crate::MonitorArgs;

/// At most this much of the runtime's stderr is kept.
const CAPTURE_LIMIT: usize = 64 * 1024;
/// At most this much of the end of the runtime log is searched for errors.
const RUNTIME_LOG_TAIL: u64 = 1024 * 1024;

/// How `runtime create` went.
#[derive(Debug)]
pub(crate) struct CreateOutcome {
    /// Exit code of the runtime process (0: the container was created).
    pub(crate) code: i32,
    /// What the runtime wrote to its stderr (up to [`CAPTURE_LIMIT`]).
    pub(crate) stderr: Vec<u8>,
}

/// Runs `create` with the given stdio and waits for it, reading its stderr
/// from `capture` (the read end of its stderr pipe) meanwhile so it can
/// never block on a full pipe.
pub(crate) fn create(
    args: &MonitorArgs,
    stdio: RuntimeStdio,
    console_socket: Option<&Path>,
    capture: BorrowedFd<'_>,
    reaper: &Reaper,
) -> io::Result<CreateOutcome> {
    let mut cmd = Command::new(&args.runtime);
    cmd.args(&args.runtime_args)
        .arg("create")
        .arg("--bundle")
        .arg(&args.bundle)
        .arg("--pid-file")
        .arg(&args.pidfile);
    if let Some(socket) = console_socket {
        cmd.arg("--console-socket").arg(socket);
    }
    // The runtime would answer a NOTIFY_SOCKET itself (and make `start`
    // wait for the container's READY): notifying is the monitor's job.
    cmd.arg(&args.cid)
        .env_remove("NOTIFY_SOCKET")
        .stdin(Stdio::from(stdio.stdin))
        .stdout(Stdio::from(stdio.stdout))
        .stderr(Stdio::from(stdio.stderr));
    let child = cmd.spawn().map_err(|e| {
        io::Error::new(
            e.kind(),
            format!("cannot run the runtime {}: {e}", args.runtime.display()),
        )
    })?;
    // Close our copies of the runtime's stdio now.
    drop(cmd);
    let pid = i32::try_from(child.id())
        .map(Pid::from_raw)
        .map_err(|_| io::Error::other("runtime pid out of range"))?;

    let mut stderr = Vec::new();
    let mut capture_open = true;
    let code = loop {
        if let Some(code) = reaper.try_wait(pid)? {
            break code;
        }
        let mut fds = vec![PollFd::new(reaper.as_fd(), PollFlags::POLLIN)];
        if capture_open {
            fds.push(PollFd::new(capture, PollFlags::POLLIN));
        }
        match poll(&mut fds, PollTimeout::NONE) {
            Ok(_) | Err(Errno::EINTR) => {}
            Err(e) => return Err(e.into()),
        }
        reaper.clear();
        if capture_open {
            capture_open = read_available(capture, &mut stderr)?;
        }
    };
    read_available(capture, &mut stderr)?;
    Ok(CreateOutcome { code, stderr })
}

/// Appends what can be read from the non-blocking `fd` now (keeping at most
/// [`CAPTURE_LIMIT`] bytes); returns `false` at EOF.
fn read_available(fd: BorrowedFd<'_>, out: &mut Vec<u8>) -> io::Result<bool> {
    let mut buf = [0u8; 4096];
    loop {
        match nix::unistd::read(fd.as_raw_fd(), &mut buf) {
            Ok(0) => return Ok(false),
            Ok(n) => {
                let room = CAPTURE_LIMIT.saturating_sub(out.len());
                out.extend_from_slice(&buf[..n.min(room)]);
            }
            Err(Errno::EINTR) => continue,
            Err(Errno::EAGAIN) => return Ok(true),
            Err(e) => return Err(e.into()),
        }
    }
}

/// The runtime's `--log` file (from the runtime args) and its size before
/// `create`, so only entries written by this `create` are considered.
#[derive(Debug)]
pub(crate) struct RuntimeLog {
    path: PathBuf,
    start: u64,
}

impl RuntimeLog {
    /// Finds `--log FILE` / `--log=FILE` among the runtime args.
    pub(crate) fn locate(runtime_args: &[OsString]) -> Option<RuntimeLog> {
        let mut it = runtime_args.iter();
        let mut path = None;
        while let Some(arg) = it.next() {
            let bytes = arg.as_bytes();
            if bytes == b"--log" {
                path = it.next().map(PathBuf::from);
            } else if let Some(p) = bytes.strip_prefix(b"--log=") {
                path = Some(PathBuf::from(std::ffi::OsStr::from_bytes(p)));
            }
        }
        let path = path?;
        let start = std::fs::metadata(&path).map(|m| m.len()).unwrap_or(0);
        Some(RuntimeLog { path, start })
    }

    /// The `msg` of the last `"level":"error"` JSON entry written since
    /// [`locate`](Self::locate).
    pub(crate) fn last_error(&self) -> Option<String> {
        let mut file = File::open(&self.path).ok()?;
        let len = file.metadata().ok()?.len();
        // A log truncated meanwhile is read from its start.
        let start = if len < self.start { 0 } else { self.start };
        let start = start.max(len.saturating_sub(RUNTIME_LOG_TAIL));
        file.seek(SeekFrom::Start(start)).ok()?;
        let mut data = Vec::new();
        file.read_to_end(&mut data).ok()?;
        last_error_in(&String::from_utf8_lossy(&data))
    }
}

/// The `msg` of the last JSON line with `"level":"error"` in `text`.
fn last_error_in(text: &str) -> Option<String> {
    text.lines().rev().find_map(|line| {
        let members = json::parse_object(line).ok()?;
        let get = |key: &str| {
            members
                .iter()
                .find(|(k, _)| k == key)
                .and_then(|(_, v)| v.clone())
        };
        (get("level").as_deref() == Some("error"))
            .then(|| get("msg"))
            .flatten()
    })
}

/// The error message for a failed `create`: the runtime log's last error,
/// else the runtime's stderr, else its exit code.
pub(crate) fn failure_message(
    runtime: &Path,
    log: Option<&RuntimeLog>,
    outcome: &CreateOutcome,
) -> String {
    if let Some(msg) = log.and_then(RuntimeLog::last_error) {
        return msg;
    }
    let stderr = String::from_utf8_lossy(&outcome.stderr);
    let stderr = stderr.trim();
    if !stderr.is_empty() {
        return stderr.to_string();
    }
    format!(
        "{} create failed with exit code {}",
        runtime.display(),
        outcome.code
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn finds_log_arg() {
        let args: Vec<OsString> = [
            "--root",
            "/r",
            "--log",
            "/x/log.json",
            "--log-format",
            "json",
        ]
        .iter()
        .map(OsString::from)
        .collect();
        assert_eq!(
            RuntimeLog::locate(&args).unwrap().path,
            PathBuf::from("/x/log.json")
        );
        let args = vec![OsString::from("--log=/y")];
        assert_eq!(RuntimeLog::locate(&args).unwrap().path, PathBuf::from("/y"));
        assert!(RuntimeLog::locate(&[OsString::from("--log-format")]).is_none());
    }

    #[test]
    fn picks_last_error_entry() {
        let text = r#"{"level":"error","msg":"old","time":"t"}
{"level":"warning","msg":"warn","time":"t"}
not json
{"level":"error","msg":"runc create failed: \"x\"","time":"t"}
{"level":"info","msg":"later","time":"t"}
"#;
        assert_eq!(
            last_error_in(text).as_deref(),
            Some("runc create failed: \"x\"")
        );
        assert_eq!(last_error_in("{\"level\":\"info\",\"msg\":\"m\"}\n"), None);
    }

    #[test]
    fn reads_only_new_entries() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("runtime.log");
        std::fs::write(&path, "{\"level\":\"error\",\"msg\":\"before\"}\n").unwrap();
        let log = RuntimeLog::locate(&[OsString::from("--log"), path.clone().into()]).unwrap();
        assert_eq!(log.last_error(), None);
        let mut f = std::fs::OpenOptions::new()
            .append(true)
            .open(&path)
            .unwrap();
        std::io::Write::write_all(&mut f, b"{\"level\":\"error\",\"msg\":\"now\"}\n").unwrap();
        assert_eq!(log.last_error().as_deref(), Some("now"));

        let outcome = CreateOutcome {
            code: 1,
            stderr: b"  from stderr\n".to_vec(),
        };
        let rt = Path::new("/bin/rt");
        assert_eq!(failure_message(rt, Some(&log), &outcome), "now");
        assert_eq!(failure_message(rt, None, &outcome), "from stderr");
        let silent = CreateOutcome {
            code: 2,
            stderr: Vec::new(),
        };
        assert_eq!(
            failure_message(rt, None, &silent),
            "/bin/rt create failed with exit code 2"
        );
    }
}
