//! Exec sessions: `POST /containers/{id}/exec`, `POST /exec/{id}/start`,
//! `POST /exec/{id}/resize`, `GET /exec/{id}/json`.
//!
//! Sessions are kept in the service's memory between create and start (and
//! for inspect afterwards). Starting one runs `rpod exec` with the engine's
//! global flags, so the process goes through libpod exactly as the CLI's
//! does and is recorded in the container's state while it runs; its stdio
//! are pipes, or a pty the service allocates for `Tty`.

use std::io::{Read, Write};
use std::os::fd::{AsRawFd, OwnedFd};
use std::process::{Command, Stdio};
use std::sync::Arc;

use axum::body::{Body, Bytes};
use axum::extract::{Path, RawQuery, Request, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use libpod::ContainerStatus;
use serde::Deserialize;
use serde_json::json;
use tokio::sync::mpsc;

use super::containers::sync;
use super::{json, Params};
use crate::body::{read_json, ChannelBody};
use crate::docker_types::StrOrList;
use crate::error::{Error, Result};
use crate::hijack;
use crate::state::{blocking, AppState};
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

/// `POST /exec/{id}/start`: runs the session, hijacking the connection for
/// its stdio unless `Detach`.
pub async fn start(
    State(st): State<AppState>,
    Path(id): Path<String>,
    mut req: Request,
) -> Result<Response> {
    let upgrade = hijack::wants_upgrade(req.headers());
    let on_upgrade = upgrade.then(|| hyper::upgrade::on(&mut req));
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
    let options = st.options().clone();
    let global = st
        .engine(move |rt| Ok(options.to_cli_args(rt.paths())))
        .await?;
    let cfg = &entry.config;
    let mut args = global;
    args.push("exec".into());
    if cfg.attach_stdin && !detach {
        args.push("-i".into());
    }
    if cfg.tty {
        args.push("-t".into());
    }
    if detach {
        args.push("-d".into());
    }
    if cfg.privileged {
        args.push("--privileged".into());
    }
    for e in cfg.env.clone().unwrap_or_default() {
        args.push(format!("--env={e}"));
    }
    if let Some(u) = cfg.user.as_ref().filter(|u| !u.is_empty()) {
        args.push(format!("--user={u}"));
    }
    if let Some(w) = cfg.working_dir.as_ref().filter(|w| !w.is_empty()) {
        args.push(format!("--workdir={w}"));
    }
    args.push(entry.container_id.clone());
    args.extend(entry.command.iter().cloned());
    let mut cmd = Command::new(st.rpod_exe());
    cmd.args(&args).env_remove("RPOD_CONFIG");

    if detach {
        cmd.stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::piped());
        let out = blocking(move || {
            cmd.output()
                .map_err(|e| Error::Internal(format!("running rpod exec: {e}")))
        })
        .await?;
        update(&st, &id, |e| e.running = false);
        if !out.status.success() {
            let msg = String::from_utf8_lossy(&out.stderr)
                .trim()
                .trim_start_matches("Error: ")
                .to_string();
            return Err(Error::Internal(msg));
        }
        return Ok(StatusCode::OK.into_response());
    }

    let tty = cfg.tty;
    let content_type = stream::content_type(tty);
    let (tx, rx) = mpsc::channel::<Bytes>(64);
    let (in_tx, in_rx) = mpsc::channel::<Option<Bytes>>(16);
    let want_stdin = cfg.attach_stdin && upgrade;
    let (stdout_on, stderr_on) = (cfg.attach_stdout, cfg.attach_stderr);
    let st2 = st.clone();
    let id2 = id.clone();
    if tty {
        let pty = nix::pty::openpty(None, None)
            .map_err(|e| Error::Internal(format!("allocating a pty: {e}")))?;
        let master = Arc::new(pty.master);
        let slave = pty.slave;
        let dup = |fd: &OwnedFd| {
            fd.try_clone()
                .map_err(|e| Error::Internal(format!("duplicating the pty: {e}")))
        };
        cmd.stdin(Stdio::from(dup(&slave)?))
            .stdout(Stdio::from(dup(&slave)?))
            .stderr(Stdio::from(slave));
        update(&st, &id, |e| e.pty = Some(Arc::clone(&master)));
        let child = cmd.spawn();
        // The parent's copies of the slave are gone now (moved into cmd,
        // which drops them here), so reading the master ends with the session.
        drop(cmd);
        let mut child = match child {
            Ok(c) => c,
            Err(e) => {
                update(&st, &id, |x| x.running = false);
                return Err(Error::Internal(format!("running rpod exec: {e}")));
            }
        };
        let reader_master = Arc::clone(&master);
        std::thread::spawn(move || {
            let mut buf = vec![0u8; 16 * 1024];
            let fd = reader_master.as_raw_fd();
            loop {
                match nix::unistd::read(fd, &mut buf) {
                    Ok(0) => break,
                    Ok(n) => {
                        if stdout_on
                            && tx
                                .blocking_send(encode(stream::STDOUT, &buf[..n], true))
                                .is_err()
                        {
                            break;
                        }
                    }
                    Err(nix::errno::Errno::EINTR) => continue,
                    Err(_) => break,
                }
            }
            let code = child.wait().ok().and_then(|s| s.code()).unwrap_or(-1);
            update(&st2, &id2, |e| {
                e.running = false;
                e.exit_code = Some(code);
            });
            drop(tx);
        });
        let writer_master = Arc::clone(&master);
        std::thread::spawn(move || {
            let mut in_rx = in_rx;
            while let Some(Some(b)) = in_rx.blocking_recv() {
                let mut file = std::fs::File::from(match writer_master.try_clone() {
                    Ok(fd) => fd,
                    Err(_) => return,
                });
                if file.write_all(&b).is_err() {
                    return;
                }
            }
        });
    } else {
        cmd.stdin(if want_stdin {
            Stdio::piped()
        } else {
            Stdio::null()
        })
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
        let mut child = match cmd.spawn() {
            Ok(c) => c,
            Err(e) => {
                update(&st, &id, |x| x.running = false);
                return Err(Error::Internal(format!("running rpod exec: {e}")));
            }
        };
        let stdin = child.stdin.take();
        let readers: Vec<_> = [
            child.stdout.take().map(|s| {
                (
                    Box::new(s) as Box<dyn Read + Send>,
                    stream::STDOUT,
                    stdout_on,
                )
            }),
            child.stderr.take().map(|s| {
                (
                    Box::new(s) as Box<dyn Read + Send>,
                    stream::STDERR,
                    stderr_on,
                )
            }),
        ]
        .into_iter()
        .flatten()
        .map(|(mut r, kind, on)| {
            let tx = tx.clone();
            std::thread::spawn(move || {
                let mut buf = vec![0u8; 16 * 1024];
                let mut client_gone = false;
                loop {
                    match r.read(&mut buf) {
                        Ok(0) | Err(_) => break,
                        Ok(n) => {
                            if on
                                && !client_gone
                                && tx.blocking_send(encode(kind, &buf[..n], false)).is_err()
                            {
                                // Keep draining so the process never blocks.
                                client_gone = true;
                            }
                        }
                    }
                }
            })
        })
        .collect();
        std::thread::spawn(move || {
            for r in readers {
                let _ = r.join();
            }
            let code = child.wait().ok().and_then(|s| s.code()).unwrap_or(-1);
            update(&st2, &id2, |e| {
                e.running = false;
                e.exit_code = Some(code);
            });
            drop(tx);
        });
        if let Some(mut stdin) = stdin {
            std::thread::spawn(move || {
                let mut in_rx = in_rx;
                while let Some(Some(b)) = in_rx.blocking_recv() {
                    if stdin.write_all(&b).is_err() {
                        return;
                    }
                }
                // `None` or a closed channel: the client's input ended.
            });
        }
    }
    match on_upgrade {
        None => Ok(hijack::stream_response(
            content_type,
            ChannelBody::from_receiver(rx),
        )),
        Some(on_upgrade) => {
            let detach_keys = match &entry.config.detach_keys {
                Some(k) => libpod::container::parse_detach_keys(k)?,
                None if tty && want_stdin => vec![16, 17],
                None => Vec::new(),
            };
            hijack::spawn(
                on_upgrade,
                hijack::Bridge {
                    output: rx,
                    input: want_stdin.then_some(in_tx),
                    on_close: Box::new(|| {}),
                    detach_keys,
                },
                st.tracker().begin(),
            );
            Ok(hijack::upgrade_response(content_type))
        }
    }
}
