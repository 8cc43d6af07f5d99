//! Podman's pods: listing, create (its `PodSpecGenerator`), the per-pod actions and remove.

use crate::body::read_json;
use crate::error::{Error, Result};
use crate::routes::{json, no_content, Params};
use crate::state::AppState;
use axum::body::Body;
use axum::extract::{Path, RawQuery, State};
use axum::http::StatusCode;
use axum::response::Response;
use libpod::pods::PodCreateOptions;
use libpod::query::PodFilters;
use libpod::NetworkMode;
use serde::Deserialize;
use serde_json::{json, Value};

/// One row of `GET /libpod/pods/json`: libpod's `pod ps` document.
fn pod_row(rt: &libpod::Runtime, pod: &libpod::pods::PodConfig) -> Result<Value> {
    serde_json::to_value(rt.pod_list_entry(pod)?)
        .map_err(|e| Error::Internal(format!("encoding a pod: {e}")))
}

/// `GET /libpod/pods/json?filters=`, newest first.
pub async fn list(State(st): State<AppState>, q: RawQuery) -> Result<Response> {
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
pub async fn create(State(st): State<AppState>, body: Body) -> Result<Response> {
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
pub async fn action(
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
pub async fn remove(
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
