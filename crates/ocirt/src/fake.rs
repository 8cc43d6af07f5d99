//! An in-memory [`ContainerRuntime`] for tests: it stands in for both the
//! supervisor and the runtime, so the engine's state machine runs with no
//! root, no runc and no processes.
//!
//! Containers go `created` → `running` ⇄ `paused` → `stopped` as a runtime's
//! do. Their pids are above any real `pid_max` (2²²), so no check of
//! `/proc` or signal ever reaches a real process. A container's process
//! "exits" when a test says so ([`FakeRuntime::exit`]) or when it gets a
//! signal that is not ignored (exit code 128 + the signal; a paused one
//! dies when it is resumed); the exit is written to the exit file of its
//! [`CreateRequest`], as the supervisor would. Every call is recorded;
//! [`FakeRuntime::fail_next`] makes the next call of an operation fail.

use std::collections::{BTreeMap, HashMap, HashSet, VecDeque};
use std::io::{Cursor, Read, Write};
use std::os::unix::process::ExitStatusExt;
use std::path::{Path, PathBuf};
use std::process::ExitStatus;
use std::sync::{Mutex, MutexGuard};

use crate::error::{Error, Result};
use crate::interface::{
    CheckpointRequest, ContainerRuntime, CreateRequest, Created, ExecProcess, ExecRequest,
    RestoreRequest, Supervisor,
};
use crate::runtime::{RuntimeState, RuntimeStatus};

/// The first pid handed out: above the largest `pid_max` Linux allows.
const FIRST_PID: i32 = 4_200_000;
/// Signals that do not end a process by default.
const HARMLESS_SIGNALS: &[i32] = &[
    0,
    libc::SIGCHLD,
    libc::SIGCONT,
    libc::SIGURG,
    libc::SIGWINCH,
];

/// One call the engine made.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Call {
    /// The operation: `create`, `start`, `state`, `kill`, `signal`,
    /// `delete`, `delete_created`, `pause`, `resume`, `exec`, `update`,
    /// `pids`, `checkpoint`, `restore`, `version`.
    pub op: &'static str,
    pub id: String,
    /// What else it was given: the signal, `force`, the exec's command…
    pub detail: String,
}

/// A container as the fake runtime keeps it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FakeContainer {
    pub status: RuntimeStatus,
    pub pid: i32,
    pub bundle: PathBuf,
    /// The command of the bundle's `config.json` (`process.args`).
    pub args: Vec<String>,
    /// Where its exit is recorded; `None` for a restored container (no
    /// supervisor watches it).
    pub exit_file: Option<PathBuf>,
    pub exit_code: Option<i32>,
    /// The last `update`'s resources.
    pub resources: Option<serde_json::Value>,
    /// A signal delivered while paused, acted on at resume.
    pending_signal: Option<i32>,
}

/// How the next `exec` behaves.
#[derive(Debug, Clone, Default)]
pub struct FakeExec {
    pub exit_code: i32,
    pub stdout: Vec<u8>,
    pub stderr: Vec<u8>,
    /// The runtime itself fails with this message (logged as runc does).
    pub runtime_error: Option<String>,
}

#[derive(Default)]
struct Inner {
    containers: BTreeMap<String, FakeContainer>,
    calls: Vec<Call>,
    failures: HashMap<&'static str, VecDeque<String>>,
    execs: VecDeque<FakeExec>,
    ignored: HashSet<i32>,
    next_pid: i32,
    checkpoint_unavailable: Option<String>,
}

/// The in-memory runtime. Cheap to share: wrap it in an `Arc` and keep a
/// clone to steer and inspect it while the engine uses it.
pub struct FakeRuntime {
    inner: Mutex<Inner>,
    path: PathBuf,
}

impl Default for FakeRuntime {
    fn default() -> Self {
        Self::new()
    }
}

impl FakeRuntime {
    pub fn new() -> Self {
        FakeRuntime {
            inner: Mutex::new(Inner {
                next_pid: FIRST_PID,
                ..Inner::default()
            }),
            path: PathBuf::from("/fake/bin/fake-runtime"),
        }
    }

    fn lock(&self) -> MutexGuard<'_, Inner> {
        // A test that panicked while holding it leaves usable data.
        self.inner.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Every call so far, in order.
    pub fn calls(&self) -> Vec<Call> {
        self.lock().calls.clone()
    }

    /// The operations called for container `id`, in order.
    pub fn ops_for(&self, id: &str) -> Vec<&'static str> {
        self.lock()
            .calls
            .iter()
            .filter(|c| c.id == id)
            .map(|c| c.op)
            .collect()
    }

    /// The operations that changed container `id`, in order: its calls
    /// without the queries (`state`, `pids`, `version`).
    pub fn actions_for(&self, id: &str) -> Vec<&'static str> {
        self.ops_for(id)
            .into_iter()
            .filter(|op| !matches!(*op, "state" | "pids" | "version"))
            .collect()
    }

    /// Forgets the calls recorded so far.
    pub fn clear_calls(&self) {
        self.lock().calls.clear();
    }

    /// Makes the next call of `op` fail with `message` (queued: one failure
    /// per call to this).
    pub fn fail_next(&self, op: &'static str, message: &str) {
        self.lock()
            .failures
            .entry(op)
            .or_default()
            .push_back(message.to_string());
    }

    /// The container as the runtime knows it.
    pub fn container(&self, id: &str) -> Option<FakeContainer> {
        self.lock().containers.get(id).cloned()
    }

    pub fn status(&self, id: &str) -> Option<RuntimeStatus> {
        self.lock().containers.get(id).map(|c| c.status)
    }

    /// The container's process exits with `code` (as if on its own).
    pub fn exit(&self, id: &str, code: i32) -> Result<()> {
        let mut inner = self.lock();
        let c = inner
            .containers
            .get_mut(id)
            .ok_or_else(|| not_found("exit", id))?;
        finish(c, code)
    }

    /// Signal `signal` no longer ends a process (a program that handles it).
    pub fn ignore_signal(&self, signal: i32) {
        self.lock().ignored.insert(signal);
    }

    /// How the next `exec` ends (queued); by default it exits 0 silently.
    pub fn push_exec(&self, exec: FakeExec) {
        self.lock().execs.push_back(exec);
    }

    /// Makes checkpoint/restore unavailable with `reason` (or available).
    pub fn set_checkpoint_unavailable(&self, reason: Option<&str>) {
        self.lock().checkpoint_unavailable = reason.map(str::to_string);
    }

    /// Records a call and returns the failure queued for it, if any.
    fn enter(&self, op: &'static str, id: &str, detail: String) -> Result<MutexGuard<'_, Inner>> {
        let mut inner = self.lock();
        inner.calls.push(Call {
            op,
            id: id.to_string(),
            detail,
        });
        if let Some(message) = inner.failures.get_mut(op).and_then(VecDeque::pop_front) {
            return Err(command_error(op, id, message));
        }
        Ok(inner)
    }
}

fn command_error(op: &str, id: &str, message: String) -> Error {
    Error::Command {
        runtime: "fake".into(),
        action: op.into(),
        id: id.into(),
        message,
    }
}

fn not_found(op: &str, id: &str) -> Error {
    command_error(op, id, format!("container {id:?} does not exist"))
}

fn wrong_state(op: &str, id: &str, c: &FakeContainer) -> Error {
    command_error(
        op,
        id,
        format!("container {id:?} is {}", status_name(c.status)),
    )
}

fn status_name(s: RuntimeStatus) -> &'static str {
    match s {
        RuntimeStatus::Creating => "creating",
        RuntimeStatus::Created => "created",
        RuntimeStatus::Running => "running",
        RuntimeStatus::Paused => "paused",
        RuntimeStatus::Stopped => "stopped",
    }
}

/// The process ends with `code`: the supervisor's exit file is written.
fn finish(c: &mut FakeContainer, code: i32) -> Result<()> {
    c.status = RuntimeStatus::Stopped;
    c.exit_code = Some(code);
    c.pending_signal = None;
    if let Some(path) = &c.exit_file {
        write_exit_file(path, code).map_err(|source| Error::Spawn {
            path: path.clone(),
            source,
        })?;
    }
    Ok(())
}

fn write_exit_file(path: &Path, code: i32) -> std::io::Result<()> {
    let tmp = path.with_extension("fake-tmp");
    std::fs::write(&tmp, code.to_string())?;
    std::fs::rename(&tmp, path)
}

fn process_args(file: &Path) -> Vec<String> {
    let Ok(data) = std::fs::read(file) else {
        return Vec::new();
    };
    let Ok(v) = serde_json::from_slice::<serde_json::Value>(&data) else {
        return Vec::new();
    };
    let process = v.get("process").unwrap_or(&v);
    process
        .get("args")
        .and_then(|a| a.as_array())
        .map(|a| {
            a.iter()
                .filter_map(|s| s.as_str().map(str::to_string))
                .collect()
        })
        .unwrap_or_default()
}

impl ContainerRuntime for FakeRuntime {
    fn name(&self) -> &str {
        "fake"
    }

    fn path(&self) -> &Path {
        &self.path
    }

    fn version(&self) -> Result<String> {
        drop(self.enter("version", "", String::new())?);
        Ok("fake-runtime version 1.0.0".into())
    }

    /// Stands in for the supervisor too: `supervisor` is never called.
    fn create(&self, req: &CreateRequest, _supervisor: &dyn Supervisor) -> Result<Created> {
        let mut inner = self.enter("create", &req.id, req.bundle.display().to_string())?;
        if inner.containers.contains_key(&req.id) {
            return Err(command_error(
                "create",
                &req.id,
                format!("container with id exists: {}", req.id),
            ));
        }
        let config = req.bundle.join("config.json");
        if !config.is_file() {
            return Err(command_error(
                "create",
                &req.id,
                format!("open {}: no such file or directory", config.display()),
            ));
        }
        let pid = inner.next_pid;
        inner.next_pid += 1;
        inner.containers.insert(
            req.id.clone(),
            FakeContainer {
                status: RuntimeStatus::Created,
                pid,
                bundle: req.bundle.clone(),
                args: process_args(&config),
                exit_file: Some(req.exit_file.clone()),
                exit_code: None,
                resources: None,
                pending_signal: None,
            },
        );
        Ok(Created { pid })
    }

    fn start(&self, id: &str) -> Result<()> {
        let mut inner = self.enter("start", id, String::new())?;
        let c = inner
            .containers
            .get_mut(id)
            .ok_or_else(|| not_found("start", id))?;
        if c.status != RuntimeStatus::Created {
            return Err(wrong_state("start", id, c));
        }
        c.status = RuntimeStatus::Running;
        Ok(())
    }

    fn state(&self, id: &str) -> Result<Option<RuntimeState>> {
        let inner = self.enter("state", id, String::new())?;
        Ok(inner.containers.get(id).map(|c| RuntimeState {
            id: id.to_string(),
            pid: if c.status == RuntimeStatus::Stopped {
                0
            } else {
                c.pid
            },
            status: c.status,
        }))
    }

    fn knows(&self, id: &str) -> bool {
        self.lock().containers.contains_key(id)
    }

    fn kill(&self, id: &str, signal: i32, all: bool) -> Result<()> {
        let mut inner = self.enter("kill", id, format!("{signal} all={all}"))?;
        deliver(&mut inner, "kill", id, signal, true)
    }

    fn signal(&self, id: &str, signal: i32) -> Result<()> {
        let mut inner = self.enter("signal", id, signal.to_string())?;
        deliver(&mut inner, "signal", id, signal, false)
    }

    fn delete(&self, id: &str, force: bool) -> Result<()> {
        let mut inner = self.enter("delete", id, format!("force={force}"))?;
        let Some(c) = inner.containers.get(id) else {
            return Ok(());
        };
        if !force && !matches!(c.status, RuntimeStatus::Stopped | RuntimeStatus::Created) {
            return Err(command_error(
                "delete",
                id,
                "cannot delete container that is not stopped".into(),
            ));
        }
        inner.containers.remove(id);
        Ok(())
    }

    fn delete_created(&self, id: &str) -> Result<()> {
        let mut inner = self.enter("delete_created", id, String::new())?;
        inner.containers.remove(id);
        Ok(())
    }

    fn pause(&self, id: &str) -> Result<()> {
        let mut inner = self.enter("pause", id, String::new())?;
        let c = inner
            .containers
            .get_mut(id)
            .ok_or_else(|| not_found("pause", id))?;
        if c.status != RuntimeStatus::Running {
            return Err(command_error("pause", id, "container not running".into()));
        }
        c.status = RuntimeStatus::Paused;
        Ok(())
    }

    fn resume(&self, id: &str) -> Result<()> {
        let mut inner = self.enter("resume", id, String::new())?;
        let c = inner
            .containers
            .get_mut(id)
            .ok_or_else(|| not_found("resume", id))?;
        if c.status != RuntimeStatus::Paused {
            return Err(command_error("resume", id, "container not paused".into()));
        }
        c.status = RuntimeStatus::Running;
        if let Some(signal) = c.pending_signal.take() {
            finish(c, 128 + signal)?;
        }
        Ok(())
    }

    fn exec(&self, req: ExecRequest<'_>) -> Result<Box<dyn ExecProcess>> {
        let args = process_args(req.process);
        let mut inner = self.enter("exec", req.id, args.join(" "))?;
        match inner.containers.get(req.id) {
            None => return Err(not_found("exec", req.id)),
            Some(c) if c.status != RuntimeStatus::Running => {
                return Err(wrong_state("exec", req.id, c))
            }
            Some(_) => {}
        }
        let exec = inner.execs.pop_front().unwrap_or_default();
        let pid = inner.next_pid;
        inner.next_pid += 1;
        drop(inner);
        let code = match &exec.runtime_error {
            Some(message) => {
                if let Some(log) = req.log {
                    let line = serde_json::json!({ "level": "error", "msg": message });
                    let mut f = std::fs::OpenOptions::new()
                        .create(true)
                        .append(true)
                        .open(log)
                        .map_err(|source| Error::Spawn {
                            path: log.to_path_buf(),
                            source,
                        })?;
                    let _ = writeln!(f, "{line}");
                }
                255
            }
            None => exec.exit_code,
        };
        if req.detach && exec.runtime_error.is_none() {
            if let Some(p) = req.pid_file {
                std::fs::write(p, pid.to_string()).map_err(|source| Error::Spawn {
                    path: p.to_path_buf(),
                    source,
                })?;
            }
        }
        Ok(Box::new(FakeExecProcess {
            pid: pid as u32,
            code: if req.detach && exec.runtime_error.is_none() {
                0
            } else {
                code
            },
            stdout: Some(exec.stdout),
            stderr: Some(exec.stderr),
        }))
    }

    fn update(&self, id: &str, resources: &Path) -> Result<()> {
        let data = std::fs::read(resources).map_err(|source| Error::Spawn {
            path: resources.to_path_buf(),
            source,
        })?;
        let value: serde_json::Value =
            serde_json::from_slice(&data).map_err(|source| Error::Parse {
                runtime: "fake".into(),
                action: "update".into(),
                source,
            })?;
        let mut inner = self.enter("update", id, value.to_string())?;
        let c = inner
            .containers
            .get_mut(id)
            .ok_or_else(|| not_found("update", id))?;
        c.resources = Some(value);
        Ok(())
    }

    fn pids(&self, id: &str) -> Result<Vec<i32>> {
        let inner = self.enter("pids", id, String::new())?;
        let c = inner
            .containers
            .get(id)
            .ok_or_else(|| not_found("ps", id))?;
        Ok(match c.status {
            RuntimeStatus::Stopped => Vec::new(),
            _ => vec![c.pid],
        })
    }

    fn checkpoint_unavailable(&self) -> Option<String> {
        self.lock().checkpoint_unavailable.clone()
    }

    /// Writes an `inventory.img` (what CRIU's images start with); the
    /// process is gone afterwards unless `leave_running` (CRIU kills the
    /// dumped tree: 137).
    fn checkpoint(&self, req: &CheckpointRequest<'_>) -> Result<()> {
        let mut inner = self.enter(
            "checkpoint",
            req.id,
            format!("leave_running={}", req.leave_running),
        )?;
        let c = inner
            .containers
            .get_mut(req.id)
            .ok_or_else(|| not_found("checkpoint", req.id))?;
        if c.status != RuntimeStatus::Running {
            return Err(wrong_state("checkpoint", req.id, c));
        }
        let inventory = req.image_path.join("inventory.img");
        std::fs::write(&inventory, format!("fake checkpoint of {}\n", req.id)).map_err(
            |source| Error::Spawn {
                path: inventory.clone(),
                source,
            },
        )?;
        if !req.leave_running {
            finish(c, 137)?;
        }
        Ok(())
    }

    /// Runs the container again from its images, with no supervisor.
    fn restore(&self, req: &RestoreRequest<'_>) -> Result<i32> {
        let mut inner = self.enter("restore", req.id, req.image_path.display().to_string())?;
        if let Some(c) = inner.containers.get(req.id) {
            return Err(wrong_state("restore", req.id, c));
        }
        if !req.image_path.join("inventory.img").is_file() {
            return Err(command_error(
                "restore",
                req.id,
                format!("no checkpoint images in {}", req.image_path.display()),
            ));
        }
        let pid = inner.next_pid;
        inner.next_pid += 1;
        std::fs::write(req.pid_file, pid.to_string()).map_err(|source| Error::Spawn {
            path: req.pid_file.to_path_buf(),
            source,
        })?;
        inner.containers.insert(
            req.id.to_string(),
            FakeContainer {
                status: RuntimeStatus::Running,
                pid,
                bundle: req.bundle.to_path_buf(),
                args: process_args(&req.bundle.join("config.json")),
                exit_file: None,
                exit_code: None,
                resources: None,
                pending_signal: None,
            },
        );
        Ok(pid)
    }
}

/// A signal reaches the container's process: a harmless or ignored one
/// changes nothing, a paused process dies when resumed, others end it.
/// `strict` is `runtime kill`, which refuses a container that is not running.
fn deliver(inner: &mut Inner, op: &str, id: &str, signal: i32, strict: bool) -> Result<()> {
    let ignored = HARMLESS_SIGNALS.contains(&signal) || inner.ignored.contains(&signal);
    let Some(c) = inner.containers.get_mut(id) else {
        return if strict {
            Err(not_found(op, id))
        } else {
            Ok(())
        };
    };
    match c.status {
        RuntimeStatus::Stopped if strict => {
            Err(command_error(op, id, "container not running".into()))
        }
        RuntimeStatus::Stopped => Ok(()),
        _ if ignored && signal != libc::SIGKILL => Ok(()),
        RuntimeStatus::Paused if signal != libc::SIGKILL => {
            c.pending_signal = Some(signal);
            Ok(())
        }
        _ => finish(c, 128 + signal),
    }
}

/// An exec that already ended.
struct FakeExecProcess {
    pid: u32,
    code: i32,
    stdout: Option<Vec<u8>>,
    stderr: Option<Vec<u8>>,
}

impl ExecProcess for FakeExecProcess {
    fn pid(&self) -> u32 {
        self.pid
    }

    fn take_stdout(&mut self) -> Option<Box<dyn Read + Send>> {
        self.stdout
            .take()
            .map(|b| Box::new(Cursor::new(b)) as Box<dyn Read + Send>)
    }

    fn take_stderr(&mut self) -> Option<Box<dyn Read + Send>> {
        self.stderr
            .take()
            .map(|b| Box::new(Cursor::new(b)) as Box<dyn Read + Send>)
    }

    fn try_wait(&mut self) -> std::io::Result<Option<ExitStatus>> {
        Ok(Some(self.status()))
    }

    fn wait(&mut self) -> std::io::Result<ExitStatus> {
        Ok(self.status())
    }

    fn kill(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

impl FakeExecProcess {
    fn status(&self) -> ExitStatus {
        ExitStatus::from_raw((self.code & 0xff) << 8)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    struct NoSupervisor;
    impl Supervisor for NoSupervisor {
        fn launch(
            &self,
            _: &Path,
            _: Vec<std::ffi::OsString>,
        ) -> std::result::Result<i32, Box<dyn std::error::Error + Send + Sync>> {
            Err("the fake never launches a supervisor".into())
        }
    }

    fn created(dir: &Path, rt: &FakeRuntime, id: &str) -> PathBuf {
        let bundle = dir.join(id);
        std::fs::create_dir_all(&bundle).unwrap();
        std::fs::write(
            bundle.join("config.json"),
            r#"{"process":{"args":["sleep","9"]}}"#,
        )
        .unwrap();
        let exit_file = dir.join(format!("{id}.exit"));
        rt.create(
            &CreateRequest {
                id: id.into(),
                bundle,
                log: None,
                exit_file: exit_file.clone(),
            },
            &NoSupervisor,
        )
        .unwrap();
        exit_file
    }

    #[test]
    fn lifecycle_and_exit_file() {
        let dir = tempfile::tempdir().unwrap();
        let rt = FakeRuntime::new();
        let exit = created(dir.path(), &rt, "c1");
        let c = rt.container("c1").unwrap();
        assert_eq!(c.args, ["sleep", "9"]);
        assert!(c.pid > 4_194_304);
        rt.start("c1").unwrap();
        assert!(rt.start("c1").is_err());
        rt.pause("c1").unwrap();
        rt.signal("c1", libc::SIGTERM).unwrap();
        assert_eq!(rt.status("c1"), Some(RuntimeStatus::Paused));
        rt.resume("c1").unwrap();
        assert_eq!(rt.status("c1"), Some(RuntimeStatus::Stopped));
        assert_eq!(std::fs::read_to_string(&exit).unwrap(), "143");
        assert!(rt.kill("c1", 9, false).is_err());
        rt.delete("c1", false).unwrap();
        assert!(!rt.knows("c1"));
        assert!(rt.state("c1").unwrap().is_none());
        assert_eq!(
            rt.ops_for("c1"),
            ["create", "start", "start", "pause", "signal", "resume", "kill", "delete", "state"]
        );
    }

    #[test]
    fn failures_are_queued_per_operation() {
        let dir = tempfile::tempdir().unwrap();
        let rt = FakeRuntime::new();
        created(dir.path(), &rt, "c1");
        rt.fail_next("start", "boom");
        let err = rt.start("c1").unwrap_err();
        assert!(err.to_string().contains("boom"), "{err}");
        rt.start("c1").unwrap();
        rt.ignore_signal(libc::SIGTERM);
        rt.signal("c1", libc::SIGTERM).unwrap();
        assert_eq!(rt.status("c1"), Some(RuntimeStatus::Running));
        rt.exit("c1", 3).unwrap();
        assert_eq!(rt.container("c1").unwrap().exit_code, Some(3));
    }
}
