//! One OCI runtime binary and the commands rpod runs with it.

use std::ffi::{OsStr, OsString};
use std::io::Read;
use std::path::{Path, PathBuf};
use std::process::{Command, ExitStatus, Stdio};

use serde::Deserialize;

use crate::error::{Error, Result};
use crate::host::{cgroup_mode, CgroupMode};
use crate::interface::{
    CheckpointRequest, ContainerRuntime, CreateRequest, Created, ExecProcess, ExecRequest,
    RestoreRequest, Supervisor,
};

/// Where runtimes are looked for when the configuration names no path.
const SEARCH_DIRS: &[&str] = &[
    "/usr/local/sbin",
    "/usr/local/bin",
    "/usr/sbin",
    "/usr/bin",
    "/sbin",
    "/bin",
];

/// An OCI runtime binary with rpod's own state root.
#[derive(Debug, Clone)]
pub struct OciRuntime {
    name: String,
    path: PathBuf,
    state_root: PathBuf,
    /// Global flags given by the user (`--runtime-flag debug` → `--debug`).
    flags: Vec<String>,
}

/// The status an OCI runtime reports for a container.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum RuntimeStatus {
    Creating,
    Created,
    Running,
    Paused,
    Stopped,
}

/// The output of `runtime state`.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct RuntimeState {
    pub id: String,
    #[serde(default)]
    pub pid: i32,
    pub status: RuntimeStatus,
}

/// Finds an executable called `name` in the usual system directories.
pub fn find_binary(name: &str) -> Option<PathBuf> {
    SEARCH_DIRS
        .iter()
        .map(|d| Path::new(d).join(name))
        .find(|p| p.is_file())
}

impl OciRuntime {
    /// Finds the runtime `name` (or uses `path` when given), checks that it can
    /// work on this host, and keeps its state under `state_root`.
    pub fn find(name: &str, path: Option<&Path>, state_root: &Path) -> Result<Self> {
        let path = match path {
            Some(p) if p.is_file() => p.to_path_buf(),
            Some(p) => {
                return Err(Error::RuntimeNotFound {
                    name: name.to_string(),
                    searched: p.display().to_string(),
                })
            }
            None => find_binary(name).ok_or_else(|| Error::RuntimeNotFound {
                name: name.to_string(),
                searched: SEARCH_DIRS.join(":"),
            })?,
        };
        check_host_support(name)?;
        Ok(OciRuntime {
            name: name.to_string(),
            path,
            state_root: state_root.to_path_buf(),
            flags: Vec::new(),
        })
    }

    /// The directory the runtime keeps its container state in (`--root`).
    pub fn state_root(&self) -> &Path {
        &self.state_root
    }

    /// Global arguments put before every subcommand.
    pub fn global_args(&self) -> Vec<String> {
        let mut args = vec!["--root".to_string(), self.state_root.display().to_string()];
        args.extend(self.flags.iter().cloned());
        args
    }

    /// Adds global flags for every runtime call, as Podman's
    /// `--runtime-flag`: `debug` is `--debug`, `log-format=json` is
    /// `--log-format=json` (a flag given with its dashes is kept).
    pub fn with_flags(mut self, flags: &[String]) -> Self {
        self.flags = flags
            .iter()
            .map(|f| {
                if f.starts_with('-') {
                    f.clone()
                } else {
                    format!("--{f}")
                }
            })
            .collect();
        self
    }

    /// The container's init process as the runtime recorded it (runc's
    /// `state.json`: pid and start time), if it can be read.
    pub fn init_process(&self, id: &str) -> Option<(i32, u64)> {
        #[derive(Deserialize)]
        struct InitState {
            init_process_pid: i32,
            init_process_start: u64,
        }
        let data = std::fs::read(self.state_root.join(id).join("state.json")).ok()?;
        let s: InitState = serde_json::from_slice(&data).ok()?;
        (s.init_process_pid > 0).then_some((s.init_process_pid, s.init_process_start))
    }

    /// Sends `signal` straight to the container's init through a pidfd, once
    /// the pid is known to still be that process (same start time), so a
    /// recycled pid is never signalled and no runtime process is spawned.
    /// `Ok(Some(pidfd))` when sent, `Ok(None)` when the process is gone,
    /// `Err` when the runtime's state can't say (use `runtime kill`).
    pub fn signal_init(&self, id: &str, signal: i32) -> Result<Option<crate::pidfd::PidFd>> {
        let (pid, start) = self.init_process(id).ok_or_else(|| Error::Invalid {
            what: "container state",
            value: id.to_string(),
            reason: "the runtime's state has no init process".into(),
        })?;
        let Some(fd) = crate::pidfd::PidFd::open(pid) else {
            return Ok(None);
        };
        // Checked after opening: the descriptor pins this very process.
        if crate::pidfd::start_time(pid) != Some(start) {
            return Ok(None);
        }
        match fd.send_signal(signal) {
            Ok(()) => Ok(Some(fd)),
            Err(e) if e.raw_os_error() == Some(libc::ESRCH) => Ok(None),
            Err(e) => Err(Error::Spawn {
                path: PathBuf::from(format!("/proc/{pid}")),
                source: e,
            }),
        }
    }

    /// The command line of `runtime exec` for a process described by the
    /// JSON file `process` (an OCI `process` object). The caller sets up
    /// stdio and runs it: in the foreground it is the process's parent and
    /// exits with its code; `detach` returns once the process runs, after
    /// writing its pid to `pid_file`.
    /// The runtime's own errors go to `log` (JSON lines) when given.
    pub fn exec_command(
        &self,
        id: &str,
        process: &Path,
        detach: bool,
        pid_file: Option<&Path>,
        log: Option<&Path>,
        preserve_fds: u32,
    ) -> Command {
        let mut cmd = Command::new(&self.path);
        cmd.args(self.global_args());
        if let Some(log) = log {
            cmd.arg("--log").arg(log).arg("--log-format").arg("json");
        }
        cmd.arg("exec").arg("--process").arg(process);
        if detach {
            cmd.arg("--detach");
        }
        if let Some(p) = pid_file {
            cmd.arg("--pid-file").arg(p);
        }
        if preserve_fds > 0 {
            cmd.arg("--preserve-fds").arg(preserve_fds.to_string());
        }
        cmd.arg(id);
        cmd
    }

    /// Runs CRIU's subcommands (`checkpoint`, `restore`), whose errors
    /// span lines: the whole of stderr is the message.
    fn run_criu(&self, id: &str, args: &[String]) -> Result<()> {
        let out = Command::new(&self.path)
            .args(self.global_args())
            .args(args)
            .stdin(Stdio::null())
            .output()
            .map_err(|source| Error::Spawn {
                path: self.path.clone(),
                source,
            })?;
        if out.status.success() {
            return Ok(());
        }
        Err(Error::Command {
            runtime: self.name.clone(),
            action: args.first().cloned().unwrap_or_default(),
            id: id.to_string(),
            message: String::from_utf8_lossy(&out.stderr).trim().to_string(),
        })
    }

    fn run<S: AsRef<OsStr>>(&self, action: &str, id: &str, args: &[S]) -> Result<String> {
        let mut cmd = Command::new(&self.path);
        cmd.args(self.global_args()).args(args);
        self.output(cmd, action, id)
    }

    fn run_raw(&self, action: &str, id: &str, args: &[&str]) -> Result<String> {
        let mut cmd = Command::new(&self.path);
        cmd.args(args);
        self.output(cmd, action, id)
    }

    fn output(&self, mut cmd: Command, action: &str, id: &str) -> Result<String> {
        // runc answers a NOTIFY_SOCKET itself (`start` would wait for the
        // container's READY); rpod-monitor does the notifying.
        let out = cmd
            .env_remove("NOTIFY_SOCKET")
            .stdin(Stdio::null())
            .output()
            .map_err(|source| Error::Spawn {
                path: self.path.clone(),
                source,
            })?;
        if out.status.success() {
            return Ok(String::from_utf8_lossy(&out.stdout).into_owned());
        }
        Err(Error::Command {
            runtime: self.name.clone(),
            action: action.to_string(),
            id: id.to_string(),
            message: error_message(&out.stderr),
        })
    }
}

impl ContainerRuntime for OciRuntime {
    fn name(&self) -> &str {
        &self.name
    }

    fn path(&self) -> &Path {
        &self.path
    }

    fn version(&self) -> Result<String> {
        let out = self.run_raw("version", "", &["--version"])?;
        Ok(out.lines().next().unwrap_or_default().trim().to_string())
    }

    /// Hands the supervisor `runtime --root R --log L --log-format json`;
    /// it runs `create --bundle B --pid-file P ID` itself.
    fn create(&self, req: &CreateRequest, supervisor: &dyn Supervisor) -> Result<Created> {
        let mut args: Vec<OsString> = self.global_args().into_iter().map(Into::into).collect();
        if let Some(log) = &req.log {
            args.extend([
                "--log".into(),
                log.clone().into_os_string(),
                "--log-format".into(),
                "json".into(),
            ]);
        }
        let pid = supervisor
            .launch(&self.path, args)
            .map_err(Error::Supervisor)?;
        Ok(Created { pid })
    }

    fn start(&self, id: &str) -> Result<()> {
        self.run("start", id, &["start", id]).map(drop)
    }

    fn state(&self, id: &str) -> Result<Option<RuntimeState>> {
        match self.run("state", id, &["state", id]) {
            Ok(out) => serde_json::from_str(&out)
                .map(Some)
                .map_err(|source| Error::Parse {
                    runtime: self.name.clone(),
                    action: "state".into(),
                    source,
                }),
            Err(e) if e.is_not_found() => Ok(None),
            Err(e) => Err(e),
        }
    }

    /// runc, crun and youki keep a directory per container under their
    /// root: a stat instead of a runtime process for containers it never saw.
    fn knows(&self, id: &str) -> bool {
        !id.is_empty() && !id.contains('/') && self.state_root.join(id).exists()
    }

    fn kill(&self, id: &str, signal: i32, all: bool) -> Result<()> {
        let sig = signal.to_string();
        let mut args = vec!["kill"];
        if all {
            args.push("--all");
        }
        args.push(id);
        args.push(&sig);
        self.run("kill", id, &args).map(drop)
    }

    /// Through a pidfd when the runtime's state names the init (no runtime
    /// process, never a recycled pid), else with `runtime kill`.
    fn signal(&self, id: &str, signal: i32) -> Result<()> {
        if let Ok(_sent_or_gone) = self.signal_init(id, signal) {
            return Ok(());
        }
        match self.kill(id, signal, false) {
            Ok(()) => Ok(()),
            // Gone in the meantime: the exit file will tell.
            Err(e) if e.to_string().contains("not running") || e.is_not_found() => Ok(()),
            Err(e) => Err(e),
        }
    }

    fn delete(&self, id: &str, force: bool) -> Result<()> {
        let mut args = vec!["delete"];
        if force {
            args.push("--force");
        }
        args.push(id);
        match self.run("delete", id, &args) {
            Err(e) if e.is_not_found() => Ok(()),
            other => other.map(drop),
        }
    }

    /// Its init is killed directly and waited for, so the runtime's forced
    /// delete (which sleeps 100 ms after its own kill) is not needed; falls
    /// back to it when the state can't be read.
    fn delete_created(&self, id: &str) -> Result<()> {
        match self.signal_init(id, libc::SIGKILL) {
            Ok(Some(fd)) => {
                fd.wait_exit(std::time::Duration::from_secs(5));
                self.delete(id, false).or_else(|_| self.delete(id, true))
            }
            Ok(None) => self.delete(id, false).or_else(|_| self.delete(id, true)),
            Err(_) => self.delete(id, true),
        }
    }

    fn pause(&self, id: &str) -> Result<()> {
        self.run("pause", id, &["pause", id]).map(drop)
    }

    fn resume(&self, id: &str) -> Result<()> {
        self.run("resume", id, &["resume", id]).map(drop)
    }

    fn exec(&self, req: ExecRequest<'_>) -> Result<Box<dyn ExecProcess>> {
        let mut cmd = self.exec_command(
            req.id,
            req.process,
            req.detach,
            req.pid_file,
            req.log,
            req.preserve_fds,
        );
        cmd.stdin(req.stdin).stdout(req.stdout).stderr(req.stderr);
        let child = cmd.spawn().map_err(|source| Error::Spawn {
            path: self.path.clone(),
            source,
        })?;
        Ok(Box::new(ChildProcess(child)))
    }

    /// `runtime update --resources FILE ID`.
    fn update(&self, id: &str, resources: &Path) -> Result<()> {
        let path = resources.display().to_string();
        self.run("update", id, &["update", "--resources", &path, id])
            .map(drop)
    }

    /// `runtime ps --format json ID` (`null` when there are none).
    fn pids(&self, id: &str) -> Result<Vec<i32>> {
        let out = self.run("ps", id, &["ps", "--format", "json", id])?;
        serde_json::from_str::<Option<Vec<i32>>>(&out)
            .map(Option::unwrap_or_default)
            .map_err(|source| Error::Parse {
                runtime: self.name.clone(),
                action: "ps".into(),
                source,
            })
    }

    fn checkpoint_unavailable(&self) -> Option<String> {
        crate::criu::criu_unavailable()
    }

    /// `runtime checkpoint --image-path D --work-path D [--leave-running]
    /// [--tcp-established] ID`.
    fn checkpoint(&self, req: &CheckpointRequest<'_>) -> Result<()> {
        let dir = req.image_path.display().to_string();
        let mut args = vec![
            "checkpoint".to_string(),
            "--image-path".into(),
            dir.clone(),
            "--work-path".into(),
            dir,
        ];
        if req.leave_running {
            args.push("--leave-running".into());
        }
        if req.tcp_established {
            args.push("--tcp-established".into());
        }
        args.push(req.id.to_string());
        self.run_criu(req.id, &args)
    }

    /// `runtime restore --detach --image-path D --work-path D --bundle B
    /// --pid-file P [--tcp-established] ID`.
    fn restore(&self, req: &RestoreRequest<'_>) -> Result<i32> {
        let dir = req.image_path.display().to_string();
        let mut args = vec![
            "restore".to_string(),
            "--detach".into(),
            "--image-path".into(),
            dir.clone(),
            "--work-path".into(),
            dir,
            "--bundle".into(),
            req.bundle.display().to_string(),
            "--pid-file".into(),
            req.pid_file.display().to_string(),
        ];
        if req.tcp_established {
            args.push("--tcp-established".into());
        }
        args.push(req.id.to_string());
        self.run_criu(req.id, &args)?;
        Ok(std::fs::read_to_string(req.pid_file)
            .ok()
            .and_then(|p| p.trim().parse().ok())
            .unwrap_or(0))
    }
}

/// A runtime's `exec` process.
struct ChildProcess(std::process::Child);

impl ExecProcess for ChildProcess {
    fn pid(&self) -> u32 {
        self.0.id()
    }

    fn take_stdout(&mut self) -> Option<Box<dyn Read + Send>> {
        self.0
            .stdout
            .take()
            .map(|o| Box::new(o) as Box<dyn Read + Send>)
    }

    fn take_stderr(&mut self) -> Option<Box<dyn Read + Send>> {
        self.0
            .stderr
            .take()
            .map(|e| Box::new(e) as Box<dyn Read + Send>)
    }

    fn try_wait(&mut self) -> std::io::Result<Option<ExitStatus>> {
        self.0.try_wait()
    }

    fn wait(&mut self) -> std::io::Result<ExitStatus> {
        self.0.wait()
    }

    fn kill(&mut self) -> std::io::Result<()> {
        self.0.kill()
    }
}

/// Extracts the human part of a runtime's error output: runc prints
/// `time="…" level=error msg="…"` lines; crun and youki print plain text.
pub(crate) fn error_message(stderr: &[u8]) -> String {
    let text = String::from_utf8_lossy(stderr);
    let line = text
        .lines()
        .rev()
        .find(|l| !l.trim().is_empty())
        .unwrap_or("exited with an error")
        .trim();
    match line.find("msg=\"") {
        Some(start) => {
            let rest = &line[start + 5..];
            let end = rest.rfind('"').unwrap_or(rest.len());
            rest[..end].replace("\\\"", "\"")
        }
        None => line.to_string(),
    }
}

fn check_host_support(name: &str) -> Result<()> {
    if name == "crun" && cgroup_mode() == CgroupMode::Hybrid {
        let controllers = std::fs::read_to_string("/sys/fs/cgroup/unified/cgroup.controllers")
            .unwrap_or_default();
        if !controllers.trim().is_empty() {
            return Err(Error::RuntimeUnsupported {
                name: name.to_string(),
                reason: format!(
                    "cgroups are in hybrid mode with controllers ({}) on the v2 hierarchy, which crun refuses; use runc",
                    controllers.trim()
                ),
            });
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn runc_error_lines_are_reduced_to_their_message() {
        let stderr = b"time=\"2026-11-29T07:00:00Z\" level=error msg=\"container \\\"x\\\" does not exist\"\n";
        assert_eq!(error_message(stderr), "container \"x\" does not exist");
    }

    #[test]
    fn plain_errors_are_kept() {
        assert_eq!(error_message(b"boom\n\n"), "boom");
        assert_eq!(error_message(b""), "exited with an error");
    }

    #[test]
    fn missing_runtime_is_a_clear_error() {
        let err = OciRuntime::find("no-such-runtime-x", None, Path::new("/tmp")).unwrap_err();
        assert!(err.to_string().contains("no-such-runtime-x"));
    }
}
