//! More of Podman's libpod API: container create (from a `SpecGenerator`)
//! and remove, image pull, and pods, networks and volumes in Podman's
//! own JSON shapes.

use std::collections::HashMap;
use std::sync::Mutex;

use axum::body::{Body, Bytes};
use axum::extract::{Path, RawQuery, State};
use axum::http::StatusCode;
use axum::response::Response;
use libpod::images::{Progress, RegistryOptions};
use libpod::pods::PodCreateOptions;
use libpod::query::{NetworkFilters, PodFilters, VolumeFilters};
use libpod::NetworkMode;
use serde::Deserialize;
use serde_json::{json, Value};
use tokio::sync::mpsc;

use super::transfer::line;
use super::{json, no_content, Params};
use crate::body::{read_json, ChannelBody};
use crate::error::{Error, Result};
use crate::hijack;
use crate::state::AppState;
use libpod::specgen::SpecGenerator;

/// `POST /libpod/containers/create`.
pub async fn create(State(st): State<AppState>, body: Body) -> Result<Response> {
    let spec: Option<SpecGenerator> = read_json(body).await?;
    let spec = spec.ok_or_else(|| Error::BadRequest("a JSON body is required".into()))?;
    let opts = spec.into_options()?;
    let id = st
        .engine(move |rt| Ok(rt.create_container(opts)?.id().to_string()))
        .await?;
    Ok(json(
        StatusCode::CREATED,
        &json!({ "Id": id, "Warnings": [] }),
    ))
}

/// `DELETE /libpod/containers/{id}?force=&v=&timeout=`: `[{Id, Err}]`.
pub async fn remove(
    State(st): State<AppState>,
    Path(id): Path<String>,
    q: RawQuery,
) -> Result<Response> {
    let p = Params::from_raw(q)?;
    let force = p.bool("force", false)?;
    let volumes = p.bool("v", false)?;
    let timeout = p.num::<u32>("timeout")?;
    let full = st
        .engine(move |rt| {
            let mut c = rt.container(&id)?;
            let full = c.id().to_string();
            c.remove_with_volumes(force, timeout.or(force.then_some(0)), volumes)?;
            Ok(full)
        })
        .await?;
    Ok(json(StatusCode::OK, &json!([{ "Id": full, "Err": null }])))
}

/// Podman's pull progress: `{"stream": "..."}` lines.
struct StreamProgress {
    tx: mpsc::UnboundedSender<Bytes>,
    seen: Mutex<HashMap<String, ()>>,
}

impl Progress for StreamProgress {
    fn start(&self, id: &str, _total: u64) {
        if let Ok(mut s) = self.seen.lock() {
            if s.insert(id.to_string(), ()).is_none() {
                let _ = self
                    .tx
                    .send(line(&json!({ "stream": format!("Copying blob {id}\n") })));
            }
        }
    }
    fn advance(&self, _id: &str, _bytes: u64) {}
    fn finish(&self, _id: &str, _status: &str) {}
    fn message(&self, text: &str) {
        let _ = self
            .tx
            .send(line(&json!({ "stream": format!("{text}\n") })));
    }
}

/// `POST /libpod/images/pull?reference=&policy=&tlsVerify=&quiet=`.
pub async fn pull(State(st): State<AppState>, q: RawQuery) -> Result<Response> {
    let p = Params::from_raw(q)?;
    let reference = p
        .get("reference")
        .filter(|r| !r.is_empty())
        .ok_or_else(|| Error::BadRequest("reference is required".into()))?
        .to_string();
    let policy: libpod::images::PullPolicy = p.get("policy").unwrap_or("always").parse()?;
    let opts = RegistryOptions {
        tls_verify: match p.get("tlsVerify") {
            Some(_) => Some(p.bool("tlsVerify", true)?),
            None => None,
        },
        ..Default::default()
    };
    let (tx, mut rx) = mpsc::unbounded_channel::<Bytes>();
    let (out, body) = ChannelBody::channel(16);
    tokio::spawn(async move {
        while let Some(b) = rx.recv().await {
            if out.send(b).await.is_err() {
                break;
            }
        }
    });
    let options = st.options().clone();
    tokio::task::spawn_blocking(move || {
        let progress = StreamProgress {
            tx: tx.clone(),
            seen: Mutex::new(HashMap::new()),
        };
        let result = libpod::Runtime::new(options)
            .and_then(|rt| rt.pull_with_policy(&reference, policy, &opts, &progress));
        let last = match result {
            Ok(Some(image)) => json!({ "images": [image.id], "id": image.id }),
            Ok(None) => json!({ "error": format!("{reference}: image not known") }),
            Err(e) => json!({ "error": e.to_string() }),
        };
        let _ = tx.send(line(&last));
    });
    Ok(hijack::stream_response("application/json", body))
}

/// `GET /libpod/networks/json?filters=`: Podman's network documents.
pub async fn networks(State(st): State<AppState>, q: RawQuery) -> Result<Response> {
    let p = Params::from_raw(q)?;
    let filters = NetworkFilters::from_json(p.get("filters").unwrap_or(""))?;
    let list = st.engine(move |rt| Ok(rt.list_networks(&filters)?)).await?;
    Ok(json(StatusCode::OK, &list))
}

/// `GET /libpod/networks/{name}/json|exists`.
pub async fn network_sub(
    State(st): State<AppState>,
    Path((name, action)): Path<(String, String)>,
) -> Result<Response> {
    let n = st.engine(move |rt| Ok(rt.network(&name)?)).await?;
    match action.as_str() {
        "json" => Ok(json(StatusCode::OK, &n)),
        "exists" => Ok(no_content()),
        _ => Err(Error::NotFound("page not found".into())),
    }
}

/// `GET /libpod/volumes/json?filters=`.
pub async fn volumes(State(st): State<AppState>, q: RawQuery) -> Result<Response> {
    let p = Params::from_raw(q)?;
    let filters = VolumeFilters::from_json(p.get("filters").unwrap_or(""))?;
    let list = st
        .engine(move |rt| {
            Ok(rt
                .list_volumes(&filters)?
                .iter()
                .map(|v| v.inspect())
                .collect::<Vec<_>>())
        })
        .await?;
    Ok(json(StatusCode::OK, &list))
}

/// `GET /libpod/volumes/{name}/json|exists`.
pub async fn volume_sub(
    State(st): State<AppState>,
    Path((name, action)): Path<(String, String)>,
) -> Result<Response> {
    let v = st
        .engine(move |rt| {
            if !rt.volume_exists(&name)? {
                return Err(Error::NotFound(format!("no such volume {name}")));
            }
            Ok(rt.volume(&name)?.inspect())
        })
        .await?;
    match action.as_str() {
        "json" => Ok(json(StatusCode::OK, &v)),
        "exists" => Ok(no_content()),
        _ => Err(Error::NotFound("page not found".into())),
    }
}

/// `POST /libpod/volumes/create` body.
#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "PascalCase", default)]
pub struct VolumeCreate {
    pub name: String,
    pub labels: std::collections::BTreeMap<String, String>,
    pub options: std::collections::BTreeMap<String, String>,
}

/// `POST /libpod/volumes/create`.
pub async fn volume_create(State(st): State<AppState>, body: Body) -> Result<Response> {
    let req: Option<VolumeCreate> = read_json(body).await?;
    let req = req.unwrap_or_default();
    let v = st
        .engine(move |rt| {
            let name = Some(req.name.as_str()).filter(|n| !n.is_empty());
            if let Some(n) = name {
                if rt.volume_exists(n)? {
                    return Err(Error::Conflict(format!(
                        "volume with name {n} already exists"
                    )));
                }
            }
            Ok(rt
                .create_volume(name, req.labels, req.options, false)?
                .inspect())
        })
        .await?;
    Ok(json(StatusCode::CREATED, &v))
}

/// One row of `GET /libpod/pods/json`: libpod's `pod ps` document.
fn pod_row(rt: &libpod::Runtime, pod: &libpod::pods::PodConfig) -> Result<Value> {
    serde_json::to_value(rt.pod_list_entry(pod)?)
        .map_err(|e| Error::Internal(format!("encoding a pod: {e}")))
}

/// `GET /libpod/pods/json?filters=`, newest first.
pub async fn pods(State(st): State<AppState>, q: RawQuery) -> Result<Response> {
    let p = Params::from_raw(q)?;
    let filters = PodFilters::from_json(p.get("filters").unwrap_or(""))?;
    let rows = st
        .engine(move |rt| {
            let mut out = Vec::new();
            for p in rt.list_pods(&filters)? {
                out.push(pod_row(rt, &p)?);
            }
            Ok(out)
        })
        .await?;
    Ok(json(StatusCode::OK, &rows))
}

/// `POST /libpod/pods/create` body (a `PodSpecGenerator`'s common parts).
#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct PodSpec {
    pub name: String,
    pub labels: std::collections::BTreeMap<String, String>,
    pub hostname: String,
    pub no_infra: bool,
    pub shared_namespaces: Option<Vec<String>>,
    pub netns: Option<libpod::specgen::Namespace>,
    pub share_parent: Option<bool>,
    pub cgroup_parent: String,
    /// `--shm-size`, bytes.
    pub shm_size: Option<u64>,
    /// `--no-hosts`.
    pub no_manage_hosts: bool,
    /// `--exit-policy`.
    pub exit_policy: String,
    /// `--volumes-from`.
    pub volumes_from: Vec<String>,
    /// The client's command line (`CreateCommand` of `pod inspect`).
    pub pod_create_command: Vec<String>,
    /// `--infra-image`.
    pub infra_image: String,
    /// `--infra-command`.
    pub infra_command: Vec<String>,
    /// Every other field: refused by name when it holds a value.
    #[serde(flatten)]
    pub other: std::collections::BTreeMap<String, Value>,
}

/// `POST /libpod/pods/create`.
pub async fn pod_create(State(st): State<AppState>, body: Body) -> Result<Response> {
    let spec: Option<PodSpec> = read_json(body).await?;
    let spec = spec.unwrap_or_default();
    let unapplied = libpod::specgen::unapplied_fields(&spec.other);
    if !unapplied.is_empty() {
        return Err(Error::BadRequest(format!(
            "pod create: {} not supported by rpod yet",
            unapplied.join(", ")
        )));
    }
    let network = match spec.netns.as_ref().map(|n| n.nsmode.as_str()).unwrap_or("") {
        "" | "bridge" | "default" => NetworkMode::Bridge,
        "host" => NetworkMode::Host,
        "none" | "private" => NetworkMode::None,
        other => {
            return Err(Error::BadRequest(format!(
                "netns {other:?} is not supported for pods"
            )))
        }
    };
    let opts = PodCreateOptions {
        name: Some(spec.name).filter(|n| !n.is_empty()),
        labels: spec.labels,
        hostname: Some(spec.hostname).filter(|h| !h.is_empty()),
        share: spec.shared_namespaces.filter(|s| !s.is_empty()),
        infra: !spec.no_infra,
        infra_image: Some(spec.infra_image.clone()).filter(|i| !i.is_empty()),
        infra_command: Some(spec.infra_command.clone()).filter(|c| !c.is_empty()),
        network,
        share_parent: spec.share_parent.unwrap_or(true),
        isolation: libpod::container::isolation::IsolationConfig {
            cgroup_parent: Some(spec.cgroup_parent.clone()).filter(|p| !p.is_empty()),
            ..Default::default()
        },
        shm_size: spec.shm_size.filter(|s| *s > 0),
        no_hosts: spec.no_manage_hosts,
        volumes_from: spec.volumes_from,
        create_command: spec.pod_create_command,
        exit_policy: match spec.exit_policy.as_str() {
            "" => Default::default(),
            p => p
                .parse()
                .map_err(|e: libpod::Error| Error::BadRequest(e.to_string()))?,
        },
        ..Default::default()
    };
    let id = st.engine(move |rt| Ok(rt.create_pod(opts)?.id)).await?;
    Ok(json(StatusCode::CREATED, &json!({ "Id": id })))
}

/// `GET /libpod/pods/{name}/json|exists`, `POST .../start|stop|kill|pause|unpause`.
pub async fn pod_action(
    State(st): State<AppState>,
    Path((name, action)): Path<(String, String)>,
    q: RawQuery,
) -> Result<Response> {
    let p = Params::from_raw(q)?;
    let timeout = p.num::<u32>("t")?;
    let signal = p.get("signal").unwrap_or("SIGKILL").to_string();
    let doc = st
        .engine(move |rt| {
            let pod = rt.pod(&name)?;
            let report = json!({ "Id": pod.id, "Errs": [] });
            match action.as_str() {
                "json" => {
                    return Ok(serde_json::to_value(rt.pod_inspect(&pod)?).unwrap_or_default())
                }
                "exists" => return Ok(Value::Null),
                "start" => rt.pod_start(&pod)?,
                "stop" => rt.pod_stop(&pod, timeout)?,
                "restart" => rt.pod_restart(&pod, timeout)?,
                "kill" => rt.pod_kill(
                    &pod,
                    libpod::parse_signal(&signal).map_err(|e| Error::BadRequest(e.to_string()))?,
                )?,
                "pause" => rt.pod_pause(&pod, true)?,
                "unpause" => rt.pod_pause(&pod, false)?,
                _ => return Err(Error::NotFound("page not found".into())),
            }
            Ok(report)
        })
        .await?;
    if doc.is_null() {
        return Ok(no_content());
    }
    Ok(json(StatusCode::OK, &doc))
}

/// `DELETE /libpod/pods/{name}?force=`.
pub async fn pod_remove(
    State(st): State<AppState>,
    Path(name): Path<String>,
    q: RawQuery,
) -> Result<Response> {
    let force = Params::from_raw(q)?.bool("force", false)?;
    let doc = st
        .engine(move |rt| {
            let pod = rt.pod(&name)?;
            let removed = rt.pod_remove(&pod, force, force.then_some(0))?;
            let ctrs: serde_json::Map<String, Value> =
                removed.into_iter().map(|c| (c, Value::Null)).collect();
            Ok(json!({ "Id": pod.id, "Err": null, "RemovedCtrs": ctrs }))
        })
        .await?;
    Ok(json(StatusCode::OK, &doc))
}
