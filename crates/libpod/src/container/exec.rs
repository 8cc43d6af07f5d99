//! `exec`: a new process in a running container, run through the runtime's
//! `exec`. Sessions are recorded in the state while they run, so `rm`
//! refuses a container that has one.

use std::os::fd::OwnedFd;
use std::path::Path;
use std::process::Stdio;

use chrono::Utc;

use super::create::merge_env;
use super::spec::ProcessParams;
use super::state::ExecSession;
use super::sync::process_alive;
use super::{Container, ContainerStatus};
use crate::error::{Error, IoContext, Result};
use crate::fsutil::{write_atomic, PRIVATE_FILE};
use crate::ids::new_id;

/// What `exec` runs and how.
#[derive(Debug, Clone, Default)]
pub struct ExecOptions {
    pub command: Vec<String>,
    pub env: Vec<String>,
    pub user: Option<String>,
    pub workdir: Option<String>,
    /// Give the process a terminal (the runtime proxies it to our stdio).
    pub tty: bool,
    /// Pass our stdin on.
    pub interactive: bool,
    /// Start it and return at once.
    pub detach: bool,
    pub privileged: bool,
    /// Pass the caller's descriptors 3 to 3+N-1 on (`--preserve-fds`).
    pub preserve_fds: u32,
}

/// The standard streams of an exec process given by the caller (the API
/// service hands in pipes or a pty); a stream left `None` is the caller's
/// own (or `/dev/null` where [`ExecOptions`] says it is not wanted).
#[derive(Debug, Default)]
pub struct ExecStdio {
    pub stdin: Option<OwnedFd>,
    pub stdout: Option<OwnedFd>,
    pub stderr: Option<OwnedFd>,
}

impl Container<'_> {
    /// Runs a process in the container with this process's standard
    /// streams. Returns its exit code, or 0 once a detached process has
    /// started.
    pub fn exec(&mut self, opts: &ExecOptions) -> Result<i32> {
        self.exec_with(opts, ExecStdio::default())
    }

    /// [`Container::exec`] with the process's streams given by the caller.
    pub fn exec_with(&mut self, opts: &ExecOptions, stdio: ExecStdio) -> Result<i32> {
        if opts.command.is_empty() {
            return Err(Error::InvalidArgument("exec needs a command to run".into()));
        }
        let session = new_id()?;
        let process_file = self.rundir().join(format!("exec-{}.json", &session[..12]));
        let pid_file = self.rundir().join(format!("exec-{}.pid", &session[..12]));
        {
            let _guard = self.lock()?;
            if self.state.status != ContainerStatus::Running {
                return Err(self.invalid_state("can only exec into running containers"));
            }
            let rootfs = self.state.mount_point.clone().unwrap_or_default();
            let process = self.process_spec(
                Path::new(&rootfs),
                &ProcessParams {
                    args: opts.command.clone(),
                    env: merge_env(&self.env_with_secrets()?, &opts.env),
                    user: opts
                        .user
                        .clone()
                        .unwrap_or_else(|| self.config.user.clone()),
                    cwd: opts
                        .workdir
                        .clone()
                        .unwrap_or_else(|| self.config.workdir.clone()),
                    tty: opts.tty,
                    privileged: opts.privileged || self.config.privileged,
                },
            )?;
            let json = serde_json::to_vec(&process).map_err(|source| Error::Json {
                context: "encoding the exec process".into(),
                source,
            })?;
            write_atomic(&process_file, &json, PRIVATE_FILE)?;
        }
        crate::fault::point("exec.prepared");
        let result = self.run_exec(&session, opts, stdio, &process_file, &pid_file);
        let _ = std::fs::remove_file(&process_file);
        let _ = std::fs::remove_file(&pid_file);
        result
    }

    fn run_exec(
        &mut self,
        session: &str,
        opts: &ExecOptions,
        stdio: ExecStdio,
        process_file: &Path,
        pid_file: &Path,
    ) -> Result<i32> {
        let oci = self.rt.oci()?;
        let log = self.rundir().join(format!("exec-{}.log", &session[..12]));
        // Errors of the runtime itself go to this log; the process's own
        // stderr stays the user's.
        let quiet = || {
            if opts.detach {
                Stdio::null()
            } else {
                Stdio::inherit()
            }
        };
        let given = |fd: Option<OwnedFd>, otherwise: Stdio| fd.map_or(otherwise, Stdio::from);
        // The caller's streams (if any) move into the request: the runtime's
        // process holds them, and our copies go with the request.
        let mut child = oci.exec(ocirt::ExecRequest {
            id: self.id(),
            process: process_file,
            detach: opts.detach,
            pid_file: Some(pid_file),
            log: Some(&log),
            preserve_fds: opts.preserve_fds,
            stdin: given(
                stdio.stdin,
                if !(opts.interactive || opts.tty) || opts.detach {
                    Stdio::null()
                } else {
                    Stdio::inherit()
                },
            ),
            stdout: given(stdio.stdout, quiet()),
            stderr: given(stdio.stderr, quiet()),
        })?;
        let runner_pid = i32::try_from(child.pid()).unwrap_or(0);
        self.record_session(session, runner_pid, &opts.command)?;
        self.event("exec");
        let status = child
            .wait()
            .ctx(|| "waiting for the exec process".to_string());
        let code = match status {
            Ok(s) => s.code().unwrap_or_else(|| {
                128 + std::os::unix::process::ExitStatusExt::signal(&s).unwrap_or(0)
            }),
            Err(e) => {
                self.end_session(session)?;
                return Err(e);
            }
        };
        if opts.detach {
            let pid = std::fs::read_to_string(pid_file)
                .ok()
                .and_then(|t| t.trim().parse().ok())
                .unwrap_or(0);
            if code != 0 || pid == 0 {
                self.end_session(session)?;
                return Err(self.exec_error(&log, code));
            }
            self.record_session(session, pid, &opts.command)?;
            let _ = std::fs::remove_file(&log);
            return Ok(0);
        }
        self.end_session(session)?;
        let failure = runtime_failure(&log);
        let _ = std::fs::remove_file(&log);
        match failure {
            Some(message) => Err(classify(message)),
            None => Ok(code),
        }
    }

    fn exec_error(&self, log: &Path, code: i32) -> Error {
        match runtime_failure(log) {
            Some(message) => classify(message),
            None => Error::InvalidArgument(format!(
                "exec in container {} failed with code {code}",
                self.name()
            )),
        }
    }

    fn record_session(&mut self, session: &str, pid: i32, command: &[String]) -> Result<()> {
        let _guard = self.lock()?;
        self.state.exec_sessions.insert(
            session.to_string(),
            ExecSession {
                pid,
                command: command.to_vec(),
                started_at: Utc::now(),
            },
        );
        self.save()
    }

    fn end_session(&mut self, session: &str) -> Result<()> {
        let _guard = self.lock()?;
        self.state.exec_sessions.remove(session);
        self.save()
    }

    /// `container cleanup --exec SESSION`: forgets the exec session, which
    /// must have ended.
    pub fn cleanup_exec_session(&mut self, session: &str) -> Result<()> {
        let _guard = self.lock()?;
        let Some(s) = self.state.exec_sessions.get(session) else {
            return Err(Error::InvalidArgument(format!(
                "container {} has no exec session with ID {session}: no such exec session",
                self.id()
            )));
        };
        if process_alive(s.pid) {
            return Err(Error::InvalidArgument(format!(
                "exec session {session} of container {} is still running: cannot clean it up",
                self.id()
            )));
        }
        self.state.exec_sessions.remove(session);
        self.save()
    }

    /// Exec sessions whose process still runs (others are forgotten).
    pub(crate) fn live_exec_sessions(&mut self) -> Vec<String> {
        self.state.exec_sessions.retain(|_, s| process_alive(s.pid));
        self.state.exec_sessions.keys().cloned().collect()
    }
}

/// The runtime's own error from its JSON log, if it failed.
fn runtime_failure(log: &Path) -> Option<String> {
    let text = std::fs::read_to_string(log).ok()?;
    text.lines().rev().find_map(|line| {
        let v: serde_json::Value = serde_json::from_str(line).ok()?;
        (v.get("level")?.as_str()? == "error")
            .then(|| v.get("msg")?.as_str().map(str::to_string))?
    })
}

/// Podman's exit codes for a process that could not be started.
fn classify(message: String) -> Error {
    let lower = message.to_ascii_lowercase();
    if lower.contains("executable file not found") || lower.contains("no such file or directory") {
        Error::CommandNotFound(message)
    } else if lower.contains("permission denied") {
        Error::CommandNotExecutable(message)
    } else {
        Error::InvalidArgument(message)
    }
}
