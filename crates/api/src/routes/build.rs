//! `POST /build` (Docker) and `POST /libpod/build` (Podman): the request body is the
//! context as a tar (plain or compressed), the query holds the options, and the response
//! streams the build's output as Docker's JSON progress lines: `{"stream": …}` for output,
//! `{"aux": {"ID": "sha256:…"}}` for the result, `{"errorDetail": …, "error": …}` on failure.
//! The build itself is libpod's, the same as `rpod build`'s.

use std::collections::BTreeMap;
use std::io::Write;

use axum::body::{Body, Bytes};
use axum::extract::{RawQuery, State};
use axum::response::Response;
use libpod::build::{BuildOptions, ContainerfileSource, ContextSource};
use libpod::images::PullPolicy;
use serde_json::json;
use tokio::sync::mpsc;

use super::transfer::{error_line, line};
use super::Params;
use crate::body::{BodyReader, ChannelBody};
use crate::error::{Error, Result};
use crate::hijack;
use crate::state::AppState;

/// Build output as `{"stream": …}` lines, one per line of text.
struct StreamWriter {
    tx: mpsc::Sender<Bytes>,
    pending: Vec<u8>,
}

impl Write for StreamWriter {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.pending.extend_from_slice(buf);
        while let Some(pos) = self.pending.iter().position(|b| *b == b'\n') {
            let chunk: Vec<u8> = self.pending.drain(..=pos).collect();
            self.send(&chunk);
        }
        Ok(buf.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        if !self.pending.is_empty() {
            let chunk = std::mem::take(&mut self.pending);
            self.send(&chunk);
        }
        Ok(())
    }
}

impl StreamWriter {
    fn send(&self, chunk: &[u8]) {
        let text = String::from_utf8_lossy(chunk).into_owned();
        let _ = self.tx.blocking_send(line(&json!({ "stream": text })));
    }
}

/// A JSON object parameter (`buildargs`, `labels`) as `KEY=VALUE` strings.
fn json_map(p: &Params, key: &str) -> Result<Vec<String>> {
    let Some(text) = p.get(key).filter(|t| !t.is_empty()) else {
        return Ok(Vec::new());
    };
    let map: BTreeMap<String, Option<String>> = serde_json::from_str(text)
        .map_err(|e| Error::BadRequest(format!("invalid {key} parameter: {e}")))?;
    Ok(map
        .into_iter()
        .map(|(k, v)| match v {
            Some(v) => format!("{k}={v}"),
            None => k,
        })
        .collect())
}

/// The options both endpoints share.
fn options(p: &Params, libpod_api: bool) -> Result<BuildOptions> {
    let mut o = BuildOptions::default();
    if let Some(f) = p.get("dockerfile").filter(|f| !f.is_empty()) {
        o.containerfile = Some(ContainerfileSource::InContext(f.to_string()));
    }
    o.tags = p.all("t");
    o.build_args = json_map(p, "buildargs")?;
    o.labels = json_map(p, "labels")?;
    o.target = p
        .get("target")
        .filter(|t| !t.is_empty())
        .map(str::to_string);
    o.no_cache = p.bool("nocache", false)?;
    o.quiet = p.bool("q", false)?;
    o.rm = p.bool("rm", true)?;
    o.force_rm = p.bool("forcerm", libpod_api)?;
    if libpod_api {
        o.layers = p.bool("layers", true)?;
        o.squash = p.bool("squash", false)?;
        o.docker_format = p.get("outputformat").is_some_and(|f| f.contains("docker"));
    } else {
        // Docker's images keep HEALTHCHECK, ONBUILD and SHELL.
        o.docker_format = true;
        o.squash = p.bool("squash", false)?;
    }
    o.pull = match p.get("pull") {
        None | Some("") | Some("0") | Some("false") => PullPolicy::Missing,
        Some("1") | Some("true") | Some("always") => PullPolicy::Always,
        Some(v) => v
            .parse()
            .map_err(|e: libpod::Error| Error::BadRequest(e.to_string()))?,
    };
    if let Some(n) = p
        .get("networkmode")
        .filter(|n| !n.is_empty() && *n != "default")
    {
        o.network = Some(n.to_string());
    }
    if let Some(pl) = p.get("platform").filter(|p| !p.is_empty()) {
        o.platform = Some(pl.to_string());
    }
    if let Some(h) = p.get("extrahosts").filter(|h| !h.is_empty()) {
        o.add_hosts = h.split(',').map(|s| s.trim().to_string()).collect();
    }
    if let Some(c) = p
        .get("cachefrom")
        .filter(|c| !c.is_empty() && *c != "[]" && *c != "null")
    {
        if libpod_api {
            // Podman's cachefrom names registry repositories of a remote cache.
            return Err(Error::BadRequest(format!(
                "cachefrom {c}: remote cache repositories are not supported (rpod's step cache is local)"
            )));
        }
        // Docker's: a JSON list of local images to take steps from.
        o.cache_from = serde_json::from_str::<Vec<String>>(c).map_err(|e| {
            Error::BadRequest(format!(
                "cachefrom {c}: not a JSON list of image names: {e}"
            ))
        })?;
    }
    if let Some(ts) = p.num::<i64>("timestamp")? {
        o.timestamp = Some(ts);
    }
    Ok(o)
}

async fn build(st: AppState, q: RawQuery, body: Body, libpod_api: bool) -> Result<Response> {
    let p = Params::from_raw(q)?;
    let mut opts = options(&p, libpod_api)?;
    let reader = BodyReader::spawn(body);
    opts.context = ContextSource::tar(reader);
    let (tx, body) = ChannelBody::channel(64);
    let options = st.options().clone();
    tokio::task::spawn_blocking(move || {
        let mut out = StreamWriter {
            tx: tx.clone(),
            pending: Vec::new(),
        };
        let result = libpod::Runtime::new(options).and_then(|rt| rt.build(opts, &mut out));
        let _ = out.flush();
        match result {
            Ok(image) => {
                let _ = tx.blocking_send(line(
                    &json!({ "aux": { "ID": format!("sha256:{}", image.id) } }),
                ));
                if !libpod_api {
                    let _ = tx.blocking_send(line(&json!({
                        "stream": format!("Successfully built {}\n", &image.id[..12.min(image.id.len())])
                    })));
                }
            }
            // A failing RUN in Docker's words, with its exit code.
            Err(libpod::Error::BuildStepFailed { code, command, .. }) if !libpod_api => {
                let m = format!(
                    "The command '{}' returned a non-zero code: {code}",
                    command.join(" ")
                );
                let _ = tx.blocking_send(line(
                    &json!({ "errorDetail": { "code": code, "message": m }, "error": m }),
                ));
            }
            Err(e) => {
                let _ = tx.blocking_send(error_line(&e.to_string()));
            }
        }
    });
    Ok(hijack::stream_response("application/json", body))
}

/// `POST /build`.
pub async fn docker(State(st): State<AppState>, q: RawQuery, body: Body) -> Result<Response> {
    build(st, q, body, false).await
}

/// `POST /libpod/build`.
pub async fn libpod(State(st): State<AppState>, q: RawQuery, body: Body) -> Result<Response> {
    build(st, q, body, true).await
}
