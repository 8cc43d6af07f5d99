//! Exec sessions: `POST /containers/{id}/exec`, `POST /exec/{id}/start`,
//! `POST /exec/{id}/resize`, `GET /exec/{id}/json`.
//!
//! Sessions are kept in the service's memory between create and start (and
//! for inspect afterwards). Starting one runs libpod's exec in the service
//! itself, as the CLI's `exec` does, so the process is recorded in the
//! container's state while it runs; its stdio are pipes, or a pty the
//! service allocates for `Tty`.

use std::io::{Read, Write};
use std::os::fd::{AsRawFd, OwnedFd};
use std::sync::Arc;

use axum::body::{Body, Bytes};
use axum::extract::{Path, RawQuery, Request, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use libpod::container::{ExecOptions, ExecStdio};
use libpod::ContainerStatus;
use serde::Deserialize;
use serde_json::json;
use tokio::sync::mpsc;

use super::containers::sync;
use super::{json, Params};
use crate::body::read_json;
use crate::docker_types::StrOrList;
use crate::error::{Error, Result};
use crate::hijack::{self, Hijack};
use crate::state::AppState;
use crate::stream::{self, encode};

/// `POST /containers/{id}/exec` body.
#[derive(Debug, Default, Clone, Deserialize)]
#[serde(rename_all = "PascalCase", default)]
pub struct ExecConfig {
    pub attach_stdin: bool,
    pub attach_stdout: bool,
    pub attach_stderr: bool,
    pub tty: bool,
    pub cmd: Option<StrOrList>,
    pub env: Option<Vec<String>>,
    pub user: Option<String>,
    pub working_dir: Option<String>,
    pub privileged: bool,
    pub detach_keys: Option<String>,
}

/// An exec session known to the service.
#[derive(Debug, Clone)]
pub struct ExecEntry {
    id: String,
    container_id: String,
    command: Vec<String>,
    config: ExecConfig,
    started: bool,
    running: bool,
    exit_code: Option<i32>,
    pty: Option<Arc<OwnedFd>>,
}

fn new_exec_id() -> Result<String> {
    let mut bytes = [0u8; 32];
    std::fs::File::open("/dev/urandom")
        .and_then(|mut f| f.read_exact(&mut bytes))
        .map_err(|e| Error::Internal(format!("reading /dev/urandom: {e}")))?;
    Ok(bytes.iter().map(|b| format!("{b:02x}")).collect())
}

/// `POST /containers/{id}/exec`.
pub async fn create(
    State(st): State<AppState>,
    Path(id): Path<String>,
    body: Body,
) -> Result<Response> {
    let cfg: Option<ExecConfig> = read_json(body).await?;
    let cfg = cfg.ok_or_else(|| Error::BadRequest("a JSON body is required".into()))?;
    let command = match cfg.cmd.clone() {
        Some(StrOrList::List(v)) => v,
        Some(StrOrList::Str(s)) => s.split_whitespace().map(str::to_string).collect(),
        None => Vec::new(),
    };
    if command.is_empty() {
        return Err(Error::BadRequest("no exec command specified".into()));
    }
    let container_id = st
        .engine(move |rt| {
            let mut c = rt.container(&id)?;
            sync(&mut c)?;
            if c.status() != ContainerStatus::Running {
                return Err(Error::Conflict(format!(
                    "container {} is not running",
                    c.id()
                )));
            }
            Ok(c.id().to_string())
        })
        .await?;
    let exec_id = new_exec_id()?;
    let entry = ExecEntry {
        id: exec_id.clone(),
        container_id,
        command,
        config: cfg,
        started: false,
        running: false,
        exit_code: None,
        pty: None,
    };
    st.with_execs(|m| m.insert(exec_id.clone(), entry));
    Ok(json(StatusCode::CREATED, &json!({ "Id": exec_id })))
}

fn lookup(st: &AppState, id: &str) -> Result<ExecEntry> {
    st.with_execs(|m| m.get(id).cloned())
        .ok_or_else(|| Error::NotFound(format!("No such exec instance: {id}")))
}

/// `GET /exec/{id}/json`.
pub async fn inspect(State(st): State<AppState>, Path(id): Path<String>) -> Result<Response> {
    let e = lookup(&st, &id)?;
    let (entrypoint, args) = e
        .command
        .split_first()
        .map(|(a, b)| (a.clone(), b.to_vec()))
        .unwrap_or_default();
    Ok(json(
        StatusCode::OK,
        &json!({
            "ID": e.id,
            "Running": e.running,
            "ExitCode": e.exit_code,
            "ProcessConfig": {
                "tty": e.config.tty,
                "entrypoint": entrypoint,
                "arguments": args,
                "privileged": e.config.privileged,
                "user": e.config.user.clone().unwrap_or_default(),
            },
            "OpenStdin": e.config.attach_stdin,
            "OpenStderr": e.config.attach_stderr,
            "OpenStdout": e.config.attach_stdout,
            "CanRemove": false,
            "ContainerID": e.container_id,
            "DetachKeys": e.config.detach_keys.clone().unwrap_or_default(),
            "Pid": 0,
        }),
    ))
}

/// `POST /exec/{id}/resize?h=&w=`.
pub async fn resize(
    State(st): State<AppState>,
    Path(id): Path<String>,
    q: RawQuery,
) -> Result<Response> {
    let p = Params::from_raw(q)?;
    let h: u16 = p.num("h")?.unwrap_or(0);
    let w: u16 = p.num("w")?.unwrap_or(0);
    let e = lookup(&st, &id)?;
    if let Some(master) = &e.pty {
        set_winsize(master, h, w);
    }
    Ok(StatusCode::OK.into_response())
}

fn set_winsize(fd: &OwnedFd, rows: u16, cols: u16) {
    let ws = libc::winsize {
        ws_row: rows,
        ws_col: cols,
        ws_xpixel: 0,
        ws_ypixel: 0,
    };
    // SAFETY: TIOCSWINSZ reads a winsize from a valid pointer; the fd is
    // owned and open.
    unsafe {
        libc::ioctl(fd.as_raw_fd(), libc::TIOCSWINSZ, &ws);
    }
}

/// `POST /exec/{id}/start` body.
#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "PascalCase", default)]
struct StartRequest {
    detach: bool,
}

fn update(st: &AppState, id: &str, f: impl FnOnce(&mut ExecEntry)) {
    st.with_execs(|m| {
        if let Some(e) = m.get_mut(id) {
            f(e);
        }
    });
}

/// `POST /exec/{id}/start`: runs the session in this process through
/// libpod, hijacking the connection for its stdio unless `Detach`.
pub async fn start(
    State(st): State<AppState>,
    Path(id): Path<String>,
    mut req: Request,
) -> Result<Response> {
    let hijack = Hijack::of(&mut req);
    let body: Option<StartRequest> = read_json(req.into_body()).await?;
    let detach = body.unwrap_or_default().detach;
    let entry = lookup(&st, &id)?;
    let claimed = st.with_execs(|m| match m.get_mut(&id) {
        Some(e) if !e.started => {
            e.started = true;
            e.running = true;
            true
        }
        _ => false,
    });
    if !claimed {
        return Err(Error::Conflict(format!(
            "exec session {id} has already been started"
        )));
    }
    let cfg = entry.config.clone();
    let opts = ExecOptions {
        command: entry.command.clone(),
        env: cfg.env.clone().unwrap_or_default(),
        user: cfg.user.clone().filter(|u| !u.is_empty()),
        workdir: cfg.working_dir.clone().filter(|w| !w.is_empty()),
        tty: cfg.tty,
        interactive: cfg.attach_stdin && !detach,
        // A detached session runs to its end on a thread of the service,
        // which records its exit code as for an attached one.
        detach: false,
        privileged: cfg.privileged,
        // The service's own descriptors are not the client's.
        preserve_fds: 0,
    };

    if detach {
        let (container, o) = (entry.container_id.clone(), opts);
        let (st2, id2, options) = (st.clone(), id.clone(), st.options().clone());
        std::thread::spawn(move || {
            let null = || std::fs::File::open("/dev/null").map(OwnedFd::from).ok();
            let stdio = ExecStdio {
                stdin: null(),
                stdout: null(),
                stderr: null(),
            };
            let code = libpod::Runtime::new(options)
                .and_then(|rt| rt.container(&container)?.exec_with(&o, stdio))
                .unwrap_or_else(|e| e.exit_code_for(libpod::Operation::Exec));
            update(&st2, &id2, |e| {
                e.running = false;
                e.exit_code = Some(code);
            });
        });
        return Ok(StatusCode::OK.into_response());
    }
    let Some(hijack) = hijack else {
        update(&st, &id, |e| e.running = false);
        return Err(Error::Internal("the connection cannot be hijacked".into()));
    };

    let tty = cfg.tty;
    let content_type = stream::content_type(tty);
    let (tx, rx) = mpsc::channel::<Bytes>(64);
    let (in_tx, in_rx) = mpsc::channel::<Option<Bytes>>(16);
    let want_stdin = cfg.attach_stdin;
    let (stdout_on, stderr_on) = (cfg.attach_stdout, cfg.attach_stderr);
    let io_err = |what: &str, e: nix::errno::Errno| Error::Internal(format!("{what}: {e}"));
    let (stdio, outputs, input): (ExecStdio, Vec<(OwnedFd, u8, bool)>, Option<OwnedFd>) = if tty {
        let pty = nix::pty::openpty(None, None).map_err(|e| io_err("allocating a pty", e))?;
        let dup = |fd: &OwnedFd| {
            fd.try_clone()
                .map_err(|e| Error::Internal(format!("duplicating the pty: {e}")))
        };
        let master = Arc::new(dup(&pty.master)?);
        update(&st, &id, |e| e.pty = Some(Arc::clone(&master)));
        let stdio = ExecStdio {
            stdin: Some(dup(&pty.slave)?),
            stdout: Some(dup(&pty.slave)?),
            stderr: Some(pty.slave),
        };
        let input = want_stdin.then(|| dup(&pty.master)).transpose()?;
        (stdio, vec![(pty.master, stream::STDOUT, stdout_on)], input)
    } else {
        let pipe = || {
            nix::unistd::pipe2(nix::fcntl::OFlag::O_CLOEXEC)
                .map_err(|e| io_err("creating a pipe", e))
        };
        let (out_r, out_w) = pipe()?;
        let (err_r, err_w) = pipe()?;
        let (stdin, input) = if want_stdin {
            let (in_r, in_w) = pipe()?;
            (Some(in_r), Some(in_w))
        } else {
            (
                std::fs::File::open("/dev/null").map(OwnedFd::from).ok(),
                None,
            )
        };
        let stdio = ExecStdio {
            stdin,
            stdout: Some(out_w),
            stderr: Some(err_w),
        };
        (
            stdio,
            vec![
                (out_r, stream::STDOUT, stdout_on),
                (err_r, stream::STDERR, stderr_on),
            ],
            input,
        )
    };
    let readers: Vec<_> = outputs
        .into_iter()
        .map(|(fd, kind, on)| {
            let tx = tx.clone();
            std::thread::spawn(move || copy_output(std::fs::File::from(fd), kind, on, tty, &tx))
        })
        .collect();
    if let Some(fd) = input {
        std::thread::spawn(move || copy_input(std::fs::File::from(fd), in_rx));
    }
    let (st2, id2, container, options) = (
        st.clone(),
        id.clone(),
        entry.container_id.clone(),
        st.options().clone(),
    );
    std::thread::spawn(move || {
        let result = libpod::Runtime::new(options)
            .and_then(|rt| rt.container(&container)?.exec_with(&opts, stdio));
        let code = match result {
            Ok(code) => code,
            Err(e) => {
                if stderr_on {
                    let msg = format!("Error: {e}\n");
                    let _ = tx.blocking_send(encode(stream::STDERR, msg.as_bytes(), tty));
                }
                e.exit_code_for(libpod::Operation::Exec)
            }
        };
        if !tty {
            for r in readers {
                let _ = r.join();
            }
        }
        update(&st2, &id2, |e| {
            e.running = false;
            e.exit_code = Some(code);
            e.pty = None;
        });
        // The client's stream ends only now, with the exit code recorded.
        drop(tx);
    });
    let detach_keys = match &entry.config.detach_keys {
        Some(k) => libpod::container::parse_detach_keys(k)?,
        None if tty && want_stdin => vec![16, 17],
        None => Vec::new(),
    };
    hijack::respond(
        hijack,
        content_type,
        hijack::Bridge {
            output: rx,
            input: want_stdin.then_some(in_tx),
            on_close: Box::new(|| {}),
            detach_keys,
        },
        st.tracker().begin(),
    )
}

/// Copies one output of the process to the client, framed; keeps draining
/// when the client is gone so the process never blocks.
fn copy_output(mut r: std::fs::File, kind: u8, on: bool, tty: bool, tx: &mpsc::Sender<Bytes>) {
    let mut buf = vec![0u8; 16 * 1024];
    let mut client_gone = false;
    loop {
        match r.read(&mut buf) {
            Ok(0) => break,
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => continue,
            // EIO: the pty's last slave closed.
            Err(_) => break,
            Ok(n) => {
                if on && !client_gone && tx.blocking_send(encode(kind, &buf[..n], tty)).is_err() {
                    client_gone = true;
                }
            }
        }
    }
}

/// Copies the client's input to the process until it ends (`None` or a
/// closed channel), then closes the process's stdin (for a pipe).
fn copy_input(mut w: std::fs::File, mut rx: mpsc::Receiver<Option<Bytes>>) {
    while let Some(Some(b)) = rx.blocking_recv() {
        if w.write_all(&b).is_err() {
            return;
        }
    }
}
