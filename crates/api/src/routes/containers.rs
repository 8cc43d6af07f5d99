//! Docker's container endpoints.

use std::sync::Arc;
use std::time::{Duration, SystemTime};

use axum::body::{Body, Bytes};
use axum::extract::{Path, RawQuery, Request, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use libpod::container::LogOptions;
use libpod::query::{ContainerFilters, ContainerListOptions};
use libpod::{Container, ContainerStatus, Runtime, RuntimeOptions};
use serde_json::{json, Value};
use tokio::sync::mpsc;

use super::{json, no_content, Params};
use crate::body::{read_json, ChannelBody};
use crate::docker_types::{self, CreateRequest};
use crate::error::{Error, Result};
use crate::hijack::{self, Hijack};
use crate::state::AppState;
use crate::stream::{self, FrameWriter};

/// Every status: waiting for any of them just syncs the state.
pub const ALL_STATUSES: [ContainerStatus; 9] = [
    ContainerStatus::Configured,
    ContainerStatus::Created,
    ContainerStatus::Running,
    ContainerStatus::Paused,
    ContainerStatus::Stopping,
    ContainerStatus::Stopped,
    ContainerStatus::Exited,
    ContainerStatus::Removing,
    ContainerStatus::Unknown,
];

/// Brings a container's state up to date (exit files, runtime state).
pub fn sync(c: &mut Container<'_>) -> Result<()> {
    c.wait(&ALL_STATUSES)?;
    Ok(())
}

/// Docker container summaries, newest first.
pub async fn summaries(st: &AppState, all: bool, size: bool) -> Result<Vec<Value>> {
    let opts = ContainerListOptions {
        all,
        ..Default::default()
    };
    list_filtered(st, opts, size).await
}

async fn list_filtered(
    st: &AppState,
    opts: ContainerListOptions,
    size: bool,
) -> Result<Vec<Value>> {
    st.engine(move |rt| {
        rt.list_containers(&opts)?
            .iter()
            .map(|c| docker_types::summary(c, size))
            .collect()
    })
    .await
}

/// `GET /containers/json?all=&limit=&size=&filters=`.
pub async fn list(State(st): State<AppState>, q: RawQuery) -> Result<Response> {
    let p = Params::from_raw(q)?;
    let mut filters = ContainerFilters::from_json(p.get("filters").unwrap_or(""))?;
    // Docker's name for the default network.
    for n in &mut filters.network {
        if n == "bridge" {
            *n = libpod::network::DEFAULT_NETWORK.to_string();
        }
    }
    let opts = ContainerListOptions {
        all: p.bool("all", false)?,
        last: p
            .num::<i64>("limit")?
            .and_then(|l| usize::try_from(l).ok())
            .filter(|l| *l > 0),
        filters,
    };
    let out = list_filtered(&st, opts, p.bool("size", false)?).await?;
    Ok(json(StatusCode::OK, &out))
}

/// `POST /containers/create?name=`.
pub async fn create(State(st): State<AppState>, q: RawQuery, body: Body) -> Result<Response> {
    let p = Params::from_raw(q)?;
    let req: Option<CreateRequest> = read_json(body).await?;
    let req = req.ok_or_else(|| Error::BadRequest("a JSON body is required".into()))?;
    let opts = req.into_options(p.get("name").map(str::to_string))?;
    let id = st
        .engine(move |rt| Ok(rt.create_container(opts)?.id().to_string()))
        .await?;
    Ok(json(
        StatusCode::CREATED,
        &json!({ "Id": id, "Warnings": Vec::<String>::new() }),
    ))
}

/// `GET /containers/{id}/json?size=`.
pub async fn inspect(
    State(st): State<AppState>,
    Path(id): Path<String>,
    q: RawQuery,
) -> Result<Response> {
    let size = Params::from_raw(q)?.bool("size", false)?;
    let doc = st
        .engine(move |rt| docker_types::inspect(&rt.container(&id)?, size))
        .await?;
    Ok(json(StatusCode::OK, &doc))
}

/// `POST /containers/{id}/start`: 304 when already running.
pub async fn start(State(st): State<AppState>, Path(id): Path<String>) -> Result<Response> {
    let started = st
        .engine(move |rt| {
            let mut c = rt.container(&id)?;
            sync(&mut c)?;
            if c.status().is_active() {
                return Ok(false);
            }
            c.start()?;
            Ok(true)
        })
        .await?;
    Ok(if started {
        no_content()
    } else {
        StatusCode::NOT_MODIFIED.into_response()
    })
}

/// `t` (Docker) or `timeout` (libpod), in seconds.
fn timeout(p: &Params) -> Result<Option<u32>> {
    let t = match p.num::<i64>("t")? {
        Some(t) => Some(t),
        None => p.num::<i64>("timeout")?,
    };
    Ok(t.map(|t| u32::try_from(t.max(0)).unwrap_or(u32::MAX)))
}

/// `POST /containers/{id}/stop?t=`: 304 when not running.
pub async fn stop(
    State(st): State<AppState>,
    Path(id): Path<String>,
    q: RawQuery,
) -> Result<Response> {
    let p = Params::from_raw(q)?;
    let t = match timeout(&p)? {
        Some(t) => Some(t),
        None => p
            .num::<i64>("timeout")?
            .map(|t| u32::try_from(t.max(0)).unwrap_or(u32::MAX)),
    };
    let stopped = st
        .engine(move |rt| {
            let mut c = rt.container(&id)?;
            sync(&mut c)?;
            if !c.status().is_active() {
                return Ok(false);
            }
            c.stop(t)?;
            Ok(true)
        })
        .await?;
    Ok(if stopped {
        no_content()
    } else {
        StatusCode::NOT_MODIFIED.into_response()
    })
}

/// `POST /containers/{id}/restart?t=`.
pub async fn restart(
    State(st): State<AppState>,
    Path(id): Path<String>,
    q: RawQuery,
) -> Result<Response> {
    let t = timeout(&Params::from_raw(q)?)?;
    st.engine(move |rt| Ok(rt.container(&id)?.restart(t)?))
        .await?;
    Ok(no_content())
}

/// `POST /containers/{id}/kill?signal=`.
pub async fn kill(
    State(st): State<AppState>,
    Path(id): Path<String>,
    q: RawQuery,
) -> Result<Response> {
    let p = Params::from_raw(q)?;
    let name = p
        .get("signal")
        .filter(|s| !s.is_empty())
        .unwrap_or("SIGKILL");
    let sig = libpod::parse_signal(name).map_err(|e| Error::BadRequest(e.to_string()))?;
    // The engine refuses a container that does not run (409).
    st.engine(move |rt| Ok(rt.container(&id)?.kill(sig)?))
        .await?;
    Ok(no_content())
}

/// `POST /containers/{id}/pause`.
pub async fn pause(State(st): State<AppState>, Path(id): Path<String>) -> Result<Response> {
    st.engine(move |rt| Ok(rt.container(&id)?.pause()?)).await?;
    Ok(no_content())
}

/// `POST /containers/{id}/unpause`.
pub async fn unpause(State(st): State<AppState>, Path(id): Path<String>) -> Result<Response> {
    st.engine(move |rt| Ok(rt.container(&id)?.unpause()?))
        .await?;
    Ok(no_content())
}

/// `POST /containers/{id}/rename?name=`.
pub async fn rename(
    State(st): State<AppState>,
    Path(id): Path<String>,
    q: RawQuery,
) -> Result<Response> {
    let p = Params::from_raw(q)?;
    let name = p
        .get("name")
        .filter(|n| !n.is_empty())
        .ok_or_else(|| Error::BadRequest("the new name (name=) is required".into()))?
        .trim_start_matches('/')
        .to_string();
    st.engine(move |rt| Ok(rt.container(&id)?.rename(&name)?))
        .await?;
    Ok(no_content())
}

/// `DELETE /containers/{id}?force=&v=`.
pub async fn remove(
    State(st): State<AppState>,
    Path(id): Path<String>,
    q: RawQuery,
) -> Result<Response> {
    let p = Params::from_raw(q)?;
    let force = p.bool("force", false)?;
    let volumes = p.bool("v", false)?;
    st.engine(move |rt| {
        let mut c = rt.container(&id)?;
        c.remove_with_volumes(force, force.then_some(0), volumes)?;
        Ok(())
    })
    .await?;
    Ok(no_content())
}

/// `POST /containers/prune?filters=` (`label`, `label!`, `until`).
pub async fn prune(State(st): State<AppState>, q: RawQuery) -> Result<Response> {
    let filters = Params::from_raw(q)?.prune_filters(libpod::query::Resource::Containers)?;
    let ids = st
        .engine(move |rt| Ok(rt.prune_containers(&filters)?))
        .await?;
    Ok(json(
        StatusCode::OK,
        &json!({ "ContainersDeleted": ids, "SpaceReclaimed": 0 }),
    ))
}

/// `GET /containers/{id}/top?ps_args=`.
pub async fn top(
    State(st): State<AppState>,
    Path(id): Path<String>,
    q: RawQuery,
) -> Result<Response> {
    let p = Params::from_raw(q)?;
    let args = ps_args_descriptors(p.get("ps_args").unwrap_or(""));
    let rows = st
        .engine(move |rt| Ok(rt.container(&id)?.top(&args)?))
        .await?;
    let mut it = rows.into_iter();
    let titles = it.next().unwrap_or_default();
    let processes: Vec<Vec<String>> = it.collect();
    Ok(json(
        StatusCode::OK,
        &json!({ "Titles": titles, "Processes": processes }),
    ))
}

/// Docker's `ps_args` (options of `ps`) as top's descriptors: `-o LIST`
/// (also `-eo`, `o LIST`, `-o=LIST`) names the columns; the options that
/// only select every process (`-e`, `-f`, `a`, `u`, `x`, …) select what top
/// shows anyway; anything else is taken as descriptors, which top refuses
/// by name when it knows none.
fn ps_args_descriptors(ps_args: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut words = ps_args.split_whitespace().peekable();
    while let Some(w) = words.next() {
        let list = match w {
            "-o" | "o" | "-eo" | "-Ao" | "--format" => words.next().map(str::to_string),
            _ if w.starts_with("-o=") || w.starts_with("--format=") => {
                w.split_once('=').map(|(_, l)| l.to_string())
            }
            _ if w
                .trim_start_matches('-')
                .chars()
                .all(|c| "efAaux".contains(c)) =>
            {
                continue
            }
            _ => {
                out.push(w.to_string());
                continue;
            }
        };
        for d in list.iter().flat_map(|l| l.split(',')) {
            if !d.is_empty() {
                out.push(d.to_string());
            }
        }
    }
    out
}

/// `POST /containers/{id}/resize?h=&w=`.
pub async fn resize(
    State(st): State<AppState>,
    Path(id): Path<String>,
    q: RawQuery,
) -> Result<Response> {
    let p = Params::from_raw(q)?;
    let h: u16 = p.num("h")?.unwrap_or(0);
    let w: u16 = p.num("w")?.unwrap_or(0);
    st.engine(move |rt| {
        let mut c = rt.container(&id)?;
        sync(&mut c)?;
        if !matches!(
            c.status(),
            ContainerStatus::Running | ContainerStatus::Paused | ContainerStatus::Created
        ) {
            return Err(Error::Conflict(format!(
                "cannot resize container {}: it is not running",
                c.id()
            )));
        }
        let client = libpod::monitor::AttachClient::connect(&c.rundir())
            .map_err(|e| Error::Internal(format!("connecting to the attach socket: {e}")))?;
        client
            .resize(h, w)
            .map_err(|e| Error::Internal(format!("resizing the terminal: {e}")))
    })
    .await?;
    Ok(StatusCode::OK.into_response())
}

/// Wait conditions.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Condition {
    NotRunning,
    NextExit,
    Removed,
}

/// `POST /containers/{id}/wait?condition=`: the headers go out at once,
/// the body (`{"StatusCode": N}`) when the condition is met.
pub async fn wait(
    State(st): State<AppState>,
    Path(id): Path<String>,
    q: RawQuery,
) -> Result<Response> {
    let p = Params::from_raw(q)?;
    let cond = match p.get("condition").unwrap_or("") {
        "" | "not-running" => Condition::NotRunning,
        "next-exit" => Condition::NextExit,
        "removed" => Condition::Removed,
        other => {
            return Err(Error::BadRequest(format!(
                "invalid condition {other:?}: use not-running, next-exit or removed"
            )))
        }
    };
    let (cid, finished) = st
        .engine(move |rt| {
            let mut c = rt.container(&id)?;
            sync(&mut c)?;
            Ok((c.id().to_string(), c.state().finished_at))
        })
        .await?;
    let (tx, body) = ChannelBody::channel(1);
    let options = st.options().clone();
    tokio::task::spawn_blocking(move || {
        let result = wait_blocking(options, &cid, cond, finished, &tx);
        let doc = match result {
            Ok(Some(code)) => json!({ "StatusCode": code, "Error": null }),
            Ok(None) => return,
            Err(e) => json!({ "StatusCode": -1, "Error": { "Message": e.to_string() } }),
        };
        let mut bytes = serde_json::to_vec(&doc).unwrap_or_default();
        bytes.push(b'\n');
        let _ = tx.blocking_send(Bytes::from(bytes));
    });
    Ok(hijack::stream_response("application/json", body))
}

/// Polls until the condition holds; `None` when the client went away.
fn wait_blocking(
    options: RuntimeOptions,
    id: &str,
    cond: Condition,
    initial_finish: Option<chrono::DateTime<chrono::Utc>>,
    tx: &mpsc::Sender<Bytes>,
) -> Result<Option<i32>> {
    let rt = Runtime::new(options)?;
    let mut pause = Duration::from_millis(5);
    loop {
        if tx.is_closed() {
            return Ok(None);
        }
        match rt.container(id) {
            Err(libpod::Error::NoSuchContainer(_)) => {
                let exit = rt.paths().exit_file(id);
                let code = libpod::monitor::read_exit_file(&exit)
                    .ok()
                    .flatten()
                    .map(|(code, _)| code)
                    .unwrap_or(0);
                if cond == Condition::Removed {
                    let _ = std::fs::remove_file(&exit);
                }
                return Ok(Some(code));
            }
            Err(e) => return Err(e.into()),
            Ok(mut c) => {
                match c.wait(&ALL_STATUSES) {
                    Ok(_) => {}
                    Err(libpod::Error::NoSuchContainer(_)) => continue,
                    Err(e) => return Err(e.into()),
                }
                let s = c.status();
                let exited = matches!(s, ContainerStatus::Stopped | ContainerStatus::Exited);
                let done = match cond {
                    Condition::NotRunning => {
                        !s.is_active() && s != ContainerStatus::Removing && !c.state().restarting
                    }
                    Condition::NextExit => exited && c.state().finished_at != initial_finish,
                    Condition::Removed => false,
                };
                if done {
                    return Ok(Some(c.state().exit_code));
                }
            }
        }
        std::thread::sleep(pause);
        pause = (pause * 2).min(Duration::from_millis(100));
    }
}

/// Docker's `since`/`until`: Unix seconds (with a fraction), RFC 3339 or a duration before
/// now; none for `0` and Go's zero time (a log filter from or to the epoch).
fn parse_time(text: &str) -> Result<Option<SystemTime>> {
    if text.trim() == "0" {
        return Ok(None);
    }
    Ok(libpod::query::parse_optional_timestamp(text)
        .map_err(|e| Error::BadRequest(e.to_string()))?
        .map(SystemTime::from))
}

/// `GET /containers/{id}/logs`.
pub async fn logs(
    State(st): State<AppState>,
    Path(id): Path<String>,
    q: RawQuery,
) -> Result<Response> {
    let p = Params::from_raw(q)?;
    let stdout = p.bool("stdout", false)?;
    let stderr = p.bool("stderr", false)?;
    if !stdout && !stderr {
        return Err(Error::BadRequest(
            "Bad parameters: you must choose at least one stream".into(),
        ));
    }
    let tail = match p.get("tail").unwrap_or("all") {
        "all" | "" => None,
        n => Some(
            n.parse::<i64>()
                .map_err(|_| Error::BadRequest(format!("invalid tail {n:?}")))?,
        )
        .and_then(|n| usize::try_from(n).ok()),
    };
    let opts = LogOptions {
        follow: p.bool("follow", false)?,
        timestamps: p.bool("timestamps", false)?,
        since: parse_time(p.get("since").unwrap_or(""))?,
        until: parse_time(p.get("until").unwrap_or(""))?,
        tail,
    };
    let (cid, tty) = st
        .engine(move |rt| {
            let c = rt.container(&id)?;
            if c.log_path().is_none() {
                return Err(Error::BadRequest(format!(
                    "configured logging driver does not support reading: container {} logs to \"none\"",
                    c.name()
                )));
            }
            Ok((c.id().to_string(), c.config().tty))
        })
        .await?;
    let (tx, body) = ChannelBody::channel(64);
    let options = st.options().clone();
    tokio::task::spawn_blocking(move || {
        let Ok(rt) = Runtime::new(options) else {
            return;
        };
        let Ok(mut c) = rt.container(&cid) else {
            return;
        };
        let mut out = FrameWriter::new(tx.clone(), stream::STDOUT, tty, stdout);
        let mut err = FrameWriter::new(tx, stream::STDERR, tty, stderr);
        let _ = c.logs(&opts, &mut out, &mut err);
    });
    Ok(hijack::stream_response(stream::content_type(tty), body))
}

/// `GET /containers/{id}/export`: the root file system as a tar stream.
pub async fn export(State(st): State<AppState>, Path(id): Path<String>) -> Result<Response> {
    let cid = st
        .engine(move |rt| Ok(rt.container(&id)?.id().to_string()))
        .await?;
    let (tx, body) = ChannelBody::channel(16);
    let options = st.options().clone();
    tokio::task::spawn_blocking(move || {
        let Ok(rt) = Runtime::new(options) else {
            return;
        };
        let Ok(mut c) = rt.container(&cid) else {
            return;
        };
        let mut w = std::io::BufWriter::with_capacity(
            64 * 1024,
            FrameWriter::new(tx, stream::STDOUT, true, true),
        );
        if c.export(&mut w).is_ok() {
            let _ = std::io::Write::flush(&mut w);
        }
    });
    Ok(hijack::stream_response("application/x-tar", body))
}

/// `GET /containers/{id}/attach/ws`: attach over a websocket. Each
/// message carries the streams' bytes as they come (no multiplexing
/// header, as Docker sends them); messages from the client go to stdin.
pub async fn attach_ws(
    State(st): State<AppState>,
    Path(id): Path<String>,
    q: RawQuery,
    ws: axum::extract::ws::WebSocketUpgrade,
) -> Result<Response> {
    use axum::extract::ws::Message;
    use futures_util::{SinkExt, StreamExt};
    let p = Params::from_raw(q)?;
    let want_stdin = p.bool("stdin", false)?;
    let want_stdout = p.bool("stdout", false)?;
    let want_stderr = p.bool("stderr", false)?;
    let with_logs = p.bool("logs", false)?;
    let (client, interactive, past) = st
        .engine(move |rt| {
            let mut c = rt.container(&id)?;
            sync(&mut c)?;
            if c.status().can_init() {
                c.init()?;
            }
            let client = c.attach_client()?;
            let mut past = Vec::new();
            if with_logs {
                // Raw bytes: the websocket carries no stream header.
                let (tx, mut rx) = mpsc::channel(1024);
                let mut out = FrameWriter::new(tx.clone(), stream::STDOUT, true, want_stdout);
                let mut err = FrameWriter::new(tx, stream::STDERR, true, want_stderr);
                let _ = c.logs(&LogOptions::default(), &mut out, &mut err);
                drop((out, err));
                while let Ok(b) = rx.try_recv() {
                    past.push(b);
                }
            }
            Ok((Arc::new(client), c.config().interactive, past))
        })
        .await?;
    let guard = st.tracker().begin();
    Ok(ws.on_upgrade(move |socket| async move {
        let _guard = guard;
        let (mut sink, mut source) = socket.split();
        let (tx, mut rx) = mpsc::channel::<Bytes>(64);
        for b in past {
            let _ = tx.send(b).await;
        }
        let out_client = Arc::clone(&client);
        tokio::task::spawn_blocking(move || {
            hijack::pump_attach_output(&out_client, &tx, true, want_stdout, want_stderr);
        });
        let input = (want_stdin && interactive).then(|| {
            let (in_tx, in_rx) = mpsc::channel::<Option<Bytes>>(16);
            let in_client = Arc::clone(&client);
            tokio::task::spawn_blocking(move || hijack::pump_attach_input(&in_client, in_rx));
            in_tx
        });
        loop {
            tokio::select! {
                out = rx.recv() => match out {
                    Some(b) => {
                        if sink.send(Message::Binary(b)).await.is_err() {
                            break;
                        }
                    }
                    // The container's streams ended.
                    None => {
                        let _ = sink.send(Message::Close(None)).await;
                        break;
                    }
                },
                msg = source.next() => match msg {
                    Some(Ok(Message::Binary(b))) => {
                        if let Some(i) = &input {
                            let _ = i.send(Some(b)).await;
                        }
                    }
                    Some(Ok(Message::Text(t))) => {
                        if let Some(i) = &input {
                            let _ = i.send(Some(Bytes::copy_from_slice(t.as_bytes()))).await;
                        }
                    }
                    Some(Ok(_)) => {}
                    // The client went away: stop reading the container.
                    Some(Err(_)) | None => break,
                },
            }
        }
        hijack::shutdown_attach(&client);
    }))
}

/// `POST /containers/{id}/attach`: a hijacked connection to the
/// container's stdio (created containers are initialised first, so
/// nothing is lost when the client starts them afterwards).
pub async fn attach(
    State(st): State<AppState>,
    Path(id): Path<String>,
    q: RawQuery,
    mut req: Request,
) -> Result<Response> {
    let p = Params::from_raw(q)?;
    let want_stdin = p.bool("stdin", false)?;
    let want_stdout = p.bool("stdout", false)?;
    let want_stderr = p.bool("stderr", false)?;
    let with_logs = p.bool("logs", false)?;
    // Without `stream` only the logs asked for are sent, then the end
    // (Docker's default; the libpod API's is to stream).
    let live = p.bool("stream", req.uri().path().starts_with("/libpod/"))?;
    let detach_keys = match p.get("detachKeys") {
        Some(k) => libpod::container::parse_detach_keys(k)?,
        None => vec![16, 17],
    };
    let (client, tty, interactive, past) = st
        .engine(move |rt| {
            let mut c = rt.container(&id)?;
            sync(&mut c)?;
            if live && c.status().can_init() {
                c.init()?;
            }
            let client = if live { Some(c.attach_client()?) } else { None };
            let tty = c.config().tty;
            let mut past = Vec::new();
            if with_logs {
                let (tx, mut rx) = mpsc::channel(1024);
                let mut out = FrameWriter::new(tx.clone(), stream::STDOUT, tty, want_stdout);
                let mut err = FrameWriter::new(tx, stream::STDERR, tty, want_stderr);
                let _ = c.logs(&LogOptions::default(), &mut out, &mut err);
                drop((out, err));
                while let Ok(b) = rx.try_recv() {
                    past.push(b);
                }
            }
            Ok((client.map(Arc::new), tty, c.config().interactive, past))
        })
        .await?;
    let content_type = stream::content_type(tty);
    let (tx, rx) = mpsc::channel::<Bytes>(past.len().max(64));
    for b in past {
        let _ = tx.send(b).await;
    }
    let Some(client) = client else {
        drop(tx);
        let Some(how) = Hijack::of(&mut req) else {
            let body = ChannelBody::from_receiver(rx);
            return Ok(hijack::stream_response(content_type, body));
        };
        return hijack::respond(
            how,
            content_type,
            hijack::Bridge {
                output: rx,
                input: None,
                on_close: Box::new(|| {}),
                detach_keys: Vec::new(),
            },
            st.tracker().begin(),
        );
    };
    let out_client = Arc::clone(&client);
    tokio::task::spawn_blocking(move || {
        hijack::pump_attach_output(&out_client, &tx, tty, want_stdout, want_stderr);
    });
    let Some(how) = Hijack::of(&mut req) else {
        let body = ChannelBody::from_receiver(rx);
        return Ok(hijack::stream_response(content_type, body));
    };
    let input = if want_stdin && interactive {
        let (in_tx, in_rx) = mpsc::channel::<Option<Bytes>>(16);
        let in_client = Arc::clone(&client);
        tokio::task::spawn_blocking(move || hijack::pump_attach_input(&in_client, in_rx));
        Some(in_tx)
    } else {
        None
    };
    let close_client = Arc::clone(&client);
    hijack::respond(
        how,
        content_type,
        hijack::Bridge {
            output: rx,
            input,
            on_close: Box::new(move || hijack::shutdown_attach(&close_client)),
            detach_keys: if tty && want_stdin {
                detach_keys
            } else {
                Vec::new()
            },
        },
        st.tracker().begin(),
    )
}
