//! Registry and archive transfers of images: `POST /images/create?fromImage`
//! (pull, with Docker's progress JSON), `POST /images/{name}/push`,
//! `GET /images/{name}/get` and `GET /images/get` (save), and
//! `POST /images/load`.

use std::collections::HashMap;
use std::sync::Mutex;

use axum::body::{Body, Bytes};
use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::Response;
use base64::Engine as _;
use libpod::images::{ArchiveFormat, Progress, RegistryOptions, SaveTarget};
use serde_json::{json, Value};
use tokio::sync::mpsc;

use crate::body::{BodyReader, ChannelBody};
use crate::docker_types::image_id;
use crate::error::{Error, Result};
use crate::hijack;
use crate::state::AppState;
use crate::stream::FrameWriter;

/// One line of a JSON progress stream.
pub fn line(v: &Value) -> Bytes {
    let mut b = serde_json::to_vec(v).unwrap_or_default();
    b.push(b'\n');
    Bytes::from(b)
}

/// Docker's error line of a progress stream.
pub fn error_line(message: &str) -> Bytes {
    line(&json!({ "errorDetail": { "message": message }, "error": message }))
}

/// A 200 answer whose stream is only Docker's error record, as a Docker
/// engine refuses a push or load it cannot start.
fn error_record_response(message: &str) -> Response {
    axum::response::IntoResponse::into_response((
        StatusCode::OK,
        [(axum::http::header::CONTENT_TYPE, "application/json")],
        error_line(message),
    ))
}

/// Reports libpod's transfer progress as Docker's JSON lines.
struct JsonProgress {
    /// Unbounded: libpod reports from inside its registry client's own
    /// async runtime, where blocking sends are not allowed.
    tx: mpsc::UnboundedSender<Bytes>,
    /// Per blob: (bytes done, total, bytes done when last reported).
    blobs: Mutex<HashMap<String, (u64, u64, u64)>>,
    /// "Downloading" or "Pushing".
    verb: &'static str,
    /// "Pull complete" or "Pushed".
    done: &'static str,
}

impl JsonProgress {
    fn send(&self, v: Value) {
        let _ = self.tx.send(line(&v));
    }

    /// A progress reporter feeding a response body.
    fn new(verb: &'static str, done: &'static str) -> (Self, Body) {
        let (tx, mut rx) = mpsc::unbounded_channel::<Bytes>();
        let (out, body) = ChannelBody::channel(16);
        tokio::spawn(async move {
            while let Some(b) = rx.recv().await {
                if out.send(b).await.is_err() {
                    break;
                }
            }
        });
        let p = JsonProgress {
            tx,
            blobs: Mutex::new(HashMap::new()),
            verb,
            done,
        };
        (p, body)
    }
}

impl Progress for JsonProgress {
    fn start(&self, id: &str, total: u64) {
        if let Ok(mut b) = self.blobs.lock() {
            b.insert(id.to_string(), (0, total, 0));
        }
        self.send(json!({ "status": "Waiting", "progressDetail": {}, "id": id }));
    }

    fn advance(&self, id: &str, bytes: u64) {
        let report = match self.blobs.lock() {
            Ok(mut b) => {
                let e = b.entry(id.to_string()).or_insert((0, 0, 0));
                e.0 += bytes;
                if e.0 - e.2 >= 512 * 1024 || (e.1 > 0 && e.0 >= e.1) {
                    e.2 = e.0;
                    Some((e.0, e.1))
                } else {
                    None
                }
            }
            Err(_) => None,
        };
        if let Some((current, total)) = report {
            self.send(json!({
                "status": self.verb,
                "progressDetail": { "current": current, "total": total },
                "id": id,
            }));
        }
    }

    fn finish(&self, id: &str, status: &str) {
        let text = match status {
            "already exists" => "Already exists",
            "skipped" => "Layer already exists",
            _ => self.done,
        };
        self.send(json!({ "status": text, "progressDetail": {}, "id": id }));
    }

    fn message(&self, text: &str) {
        self.send(json!({ "status": text }));
    }
}

/// Registry options from the request: `X-Registry-Auth` credentials, and
/// plain HTTP for loopback registries (Docker treats 127.0.0.0/8 as
/// insecure).
fn registry_options(headers: &HeaderMap, reference: &str) -> Result<RegistryOptions> {
    let mut opts = if reference.contains('/') {
        registry_options_for_host(reference)
    } else {
        RegistryOptions::default()
    };
    if let Some(v) = headers.get("X-Registry-Auth") {
        let text = v
            .to_str()
            .map_err(|_| Error::BadRequest("invalid X-Registry-Auth header".into()))?;
        if !text.is_empty() {
            let raw = base64::engine::general_purpose::URL_SAFE
                .decode(text.trim_end_matches('='))
                .or_else(|_| {
                    base64::engine::general_purpose::URL_SAFE_NO_PAD
                        .decode(text.trim_end_matches('='))
                })
                .or_else(|_| base64::engine::general_purpose::STANDARD.decode(text))
                .map_err(|_| {
                    Error::BadRequest("invalid X-Registry-Auth header: not base64".into())
                })?;
            let auth: Value = serde_json::from_slice(&raw)
                .map_err(|e| Error::BadRequest(format!("invalid X-Registry-Auth header: {e}")))?;
            let user = auth["username"].as_str().unwrap_or("");
            let pass = auth["password"].as_str().unwrap_or("");
            if !user.is_empty() {
                opts.creds = Some(format!("{user}:{pass}"));
            }
        }
    }
    Ok(opts)
}

/// Options for talking to the registry `host` (or `host/path`, or a URL):
/// plain HTTP for loopback registries, as Docker treats 127.0.0.0/8 as
/// insecure.
pub fn registry_options_for_host(address: &str) -> RegistryOptions {
    let mut opts = RegistryOptions::default();
    let address = address
        .trim_start_matches("https://")
        .trim_start_matches("http://");
    let host = address.split('/').next().unwrap_or("");
    let host_only = host.rsplit_once(':').map_or(host, |(h, _)| h);
    if host_only == "localhost" || host_only.starts_with("127.") || host_only == "[::1]" {
        opts.tls_verify = Some(false);
    }
    opts
}

/// `GET /distribution/{name}/json`: the manifest descriptor and the
/// platforms the registry serves under `name`, without pulling it.
pub async fn distribution(
    State(st): State<AppState>,
    headers: HeaderMap,
    Path(rest): Path<String>,
) -> Result<Response> {
    let Some(name) = rest.strip_suffix("/json").filter(|n| !n.is_empty()) else {
        return Err(Error::NotFound(format!(
            "page not found: /distribution/{rest}"
        )));
    };
    let name = name.to_string();
    let opts = registry_options(&headers, &name)?;
    let d = st
        .engine(move |rt| Ok(rt.inspect_distribution(&name, &opts)?))
        .await?;
    Ok(super::json(
        StatusCode::OK,
        &json!({
            "Descriptor": { "mediaType": d.media_type, "digest": d.digest, "size": d.size },
            "Platforms": d.platforms,
        }),
    ))
}

/// `POST /images/create?fromImage=&tag=`: pulls, streaming progress.
pub async fn pull(
    st: AppState,
    headers: HeaderMap,
    reference: String,
    all_tags: bool,
) -> Result<Response> {
    let opts = registry_options(&headers, &reference)?;
    // What the registry does not have is a 404 before any progress, as a
    // Docker engine answers it (clients raise NotFound on it).
    let (wanted, o) = (reference.clone(), opts.clone());
    let missing = st
        .engine(move |rt| {
            if all_tags {
                return Ok(None);
            }
            Ok(match rt.inspect_distribution(&wanted, &o) {
                Err(e) if e.is_unknown_in_registry() => Some(e.to_string()),
                _ => None,
            })
        })
        .await?;
    if let Some(why) = missing {
        return Err(Error::NotFound(format!(
            "manifest for {reference} not found: {why}"
        )));
    }
    let (progress, body) = JsonProgress::new("Downloading", "Pull complete");
    let options = st.options().clone();
    tokio::task::spawn_blocking(move || {
        let name = reference
            .rsplit_once(':')
            .map_or(reference.as_str(), |(n, t)| {
                if t.contains('/') {
                    reference.as_str()
                } else {
                    n
                }
            });
        let tag = reference
            .strip_prefix(name)
            .unwrap_or("")
            .trim_start_matches(':');
        progress.send(json!({
            "status": format!("Pulling from {}", name),
            "id": if tag.is_empty() { "latest" } else { tag },
        }));
        if all_tags {
            let result = libpod::Runtime::new(options)
                .and_then(|rt| rt.pull_all_tags(&reference, &opts, &progress));
            let last = match result {
                Ok(images) => {
                    for image in images {
                        progress.send(json!({ "status": format!("Digest: {}", image.digest) }));
                    }
                    line(&json!({
                        "status": format!("Status: Downloaded newer image for {reference}")
                    }))
                }
                Err(e) => error_line(&e.to_string()),
            };
            let _ = progress.tx.send(last);
            return;
        }
        let result = libpod::Runtime::new(options).and_then(|rt| {
            let before = rt.image(&reference).ok().map(|i| (i.id, i.digest));
            let image = rt.pull_image(&reference, &opts, &progress)?;
            let same = before.is_some_and(|(id, digest)| id == image.id && digest == image.digest);
            Ok((image, same))
        });
        let last = match result {
            Ok((image, up_to_date)) => {
                progress.send(json!({ "status": format!("Digest: {}", image.digest) }));
                let status = if up_to_date {
                    format!("Status: Image is up to date for {reference}")
                } else {
                    format!("Status: Downloaded newer image for {reference}")
                };
                line(&json!({ "status": status }))
            }
            Err(e) => error_line(&e.to_string()),
        };
        let _ = progress.tx.send(last);
    });
    Ok(hijack::stream_response("application/json", body))
}

/// `POST /images/{name}/push?tag=`.
pub async fn push(
    st: AppState,
    headers: HeaderMap,
    name: String,
    tag: Option<String>,
) -> Result<Response> {
    let reference = match tag {
        Some(t) if !t.is_empty() => format!("{name}:{t}"),
        _ => name,
    };
    let opts = registry_options(&headers, &reference)?;
    let wanted = reference.clone();
    let known = st
        .engine(move |rt| match rt.image(&wanted) {
            Ok(_) => Ok(true),
            Err(e) if e.is_not_found() => Ok(false),
            Err(e) => Err(e.into()),
        })
        .await?;
    if !known {
        // Docker answers 200 with the error as the stream's record.
        let repo = libpod::images::split_name(&reference).0;
        return Ok(error_record_response(&format!(
            "An image does not exist locally with the tag: {repo}"
        )));
    }
    let (progress, body) = JsonProgress::new("Pushing", "Pushed");
    let options = st.options().clone();
    tokio::task::spawn_blocking(move || {
        let repo = libpod::images::split_name(&reference).0;
        progress.send(json!({ "status": format!("The push refers to repository [{repo}]") }));
        let result = libpod::Runtime::new(options).and_then(|rt| {
            let digest = rt.push_image(&reference, Some(&reference), None, &opts, &progress)?;
            // Docker reports the size of the manifest it pushed.
            let size = rt
                .inspect_distribution(
                    &format!("{}@{digest}", libpod::images::split_name(&reference).0),
                    &opts,
                )
                .map(|d| d.size)
                .unwrap_or_default();
            Ok((digest, size))
        });
        let last = match result {
            Ok((digest, size)) => {
                let tag = libpod::images::split_name(&reference).1;
                progress.send(json!({
                    "status": format!("{tag}: digest: {digest} size: {size}"),
                }));
                line(&json!({
                    "progressDetail": {},
                    "aux": { "Tag": tag, "Digest": digest, "Size": size },
                }))
            }
            Err(e) => error_line(&e.to_string()),
        };
        let _ = progress.tx.send(last);
    });
    Ok(hijack::stream_response("application/json", body))
}

/// `GET /images/{name}/get` and `GET /images/get?names=`: a docker-archive
/// tar of the images.
pub async fn save(st: AppState, names: Vec<String>) -> Result<Response> {
    if names.is_empty() {
        return Err(Error::BadRequest("no image names given".into()));
    }
    let check = names.clone();
    st.engine(move |rt| {
        for n in &check {
            rt.image(n)?;
        }
        Ok(())
    })
    .await?;
    let (tx, body) = ChannelBody::channel(16);
    let options = st.options().clone();
    tokio::task::spawn_blocking(move || {
        let mut out = FrameWriter::new(tx, 1, true, true);
        let result = libpod::Runtime::new(options).and_then(|rt| {
            rt.save_images(
                &names,
                ArchiveFormat::DockerArchive,
                SaveTarget::Stream(&mut out),
            )
        });
        if let Err(e) = result {
            libpod::diagnostics::warn(format_args!("rpod: warning: saving images: {e}"));
        }
    });
    Ok(hijack::stream_response("application/x-tar", body))
}

/// `POST /images/load?quiet=`: loads a docker-archive or oci-archive tar.
/// A malformed or hostile archive is answered as a Docker engine answers
/// it: 200 with an error record in the stream (docker-py raises
/// `ImageLoadError`), and nothing is stored.
pub async fn load(st: AppState, body: Body) -> Result<Response> {
    let reader = BodyReader::spawn(body);
    let loaded = st
        .engine(move |rt| {
            let mut file = super::archive::spool_in(reader)?;
            rt.load_images(&mut file, &libpod::images::NoProgress)
                .map_err(|e| match e {
                    libpod::Error::InvalidArgument(m) => Error::BadRequest(m),
                    libpod::Error::Io { context, source } => {
                        Error::BadRequest(format!("{context}: {source}"))
                    }
                    other => {
                        let err: Error = other.into();
                        if err.status() == StatusCode::INTERNAL_SERVER_ERROR {
                            Error::BadRequest(format!("invalid image archive: {err}"))
                        } else {
                            err
                        }
                    }
                })
        })
        .await;
    let loaded = match loaded {
        Ok(l) => l,
        Err(e) if e.status() == StatusCode::BAD_REQUEST => {
            return Ok(error_record_response(&e.to_string()))
        }
        Err(e) => return Err(e),
    };
    let lines: Vec<String> = loaded
        .iter()
        .map(|n| {
            if n.contains(':') && !n.starts_with("sha256:") {
                format!("Loaded image: {n}\n")
            } else {
                format!("Loaded image ID: {}\n", image_id(n))
            }
        })
        .collect();
    let text: String = lines
        .iter()
        .map(|l| json!({ "stream": l }).to_string() + "\n")
        .collect();
    Ok(axum::response::IntoResponse::into_response((
        StatusCode::OK,
        [(axum::http::header::CONTENT_TYPE, "application/json")],
        text,
    )))
}
