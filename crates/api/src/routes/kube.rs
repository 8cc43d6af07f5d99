//! Podman's Kubernetes YAML endpoints: `POST /libpod/play/kube`,
//! `DELETE /libpod/play/kube` and `GET /libpod/generate/kube`, in Podman's
//! parameters and response shapes. The rules are libpod's (`libpod::kube`).

use axum::body::Body;
use axum::extract::{RawQuery, State};
use axum::http::{header, StatusCode};
use axum::response::{IntoResponse, Response};
use libpod::kube::{KubeGenerateOptions, KubePlayOptions};
use serde_json::json;

use super::secrets::PodmanError;
use super::{json, Params};
use crate::body::{read_body, MAX_BODY};
use crate::error::Error;
use crate::state::AppState;

type Reply = std::result::Result<Response, PodmanError>;

async fn yaml_body(body: Body) -> std::result::Result<String, PodmanError> {
    let bytes = read_body(body, MAX_BODY).await?;
    Ok(String::from_utf8(bytes.to_vec())
        .map_err(|_| Error::BadRequest("the Kubernetes YAML is not UTF-8".into()))?)
}

/// `POST /libpod/play/kube?network=&logDriver=&start=&replace=&userns=&annotations=&publishPorts=`;
/// the body is the YAML.
pub async fn play(State(st): State<AppState>, q: RawQuery, body: Body) -> Reply {
    let p = Params::from_raw(q)?;
    for key in ["serviceContainer"] {
        if p.get(key).is_some_and(|v| !v.is_empty() && v != "false") {
            return Err(
                Error::BadRequest(format!("{key} is not supported by rpod's kube play")).into(),
            );
        }
    }
    let annotations = match p.get("annotations").filter(|a| !a.is_empty()) {
        None => Default::default(),
        Some(text) => serde_json::from_str(text)
            .map_err(|e| Error::BadRequest(format!("invalid annotations {text:?}: {e}")))?,
    };
    let opts = KubePlayOptions {
        replace: p.bool("replace", false)?,
        start: p.bool("start", true)?,
        networks: p
            .all("network")
            .into_iter()
            .flat_map(|n| n.split(',').map(str::to_string).collect::<Vec<_>>())
            .filter(|n| !n.is_empty())
            .collect(),
        publish: p.all("publishPorts"),
        log_driver: p
            .get("logDriver")
            .filter(|d| !d.is_empty())
            .map(str::to_string),
        userns: p
            .get("userns")
            .filter(|d| !d.is_empty())
            .map(str::to_string),
        log_options: p.all("logOptions"),
        static_ips: p.all("staticIPs"),
        static_macs: p.all("staticMACs"),
        no_hosts: p.bool("noHosts", false)?,
        annotations,
        ..Default::default()
    };
    let yaml = yaml_body(body).await?;
    let report = st
        .engine(move |rt| Ok(rt.kube_play(&yaml, None, &opts, &mut std::io::sink())?))
        .await?;
    let pods: Vec<_> = report
        .pods
        .iter()
        .map(|p| {
            json!({
                "ID": p.id,
                "Containers": p.containers,
                "InitContainers": p.init_containers,
                "Logs": report.warnings,
                "ContainerErrors": null,
            })
        })
        .collect();
    let volumes: Vec<_> = report
        .volumes
        .iter()
        .map(|v| json!({ "Name": v }))
        .collect();
    let secrets: Vec<_> = report
        .secrets
        .iter()
        .map(|s| json!({ "CreateReport": { "ID": s } }))
        .collect();
    Ok(json(
        StatusCode::OK,
        &json!({
            "Pods": pods,
            "Volumes": volumes,
            "Secrets": secrets,
            "StopReport": null,
            "RmReport": null,
            "SecretRmReport": null,
            "ServiceContainerID": "",
        }),
    ))
}

/// `DELETE /libpod/play/kube?force=`: removes what the YAML made.
pub async fn down(State(st): State<AppState>, q: RawQuery, body: Body) -> Reply {
    let p = Params::from_raw(q)?;
    let force = p.bool("force", false)?;
    let yaml = yaml_body(body).await?;
    let report = st.engine(move |rt| Ok(rt.kube_down(&yaml, force)?)).await?;
    let stop: Vec<_> = report
        .stopped
        .iter()
        .map(|id| json!({ "Errs": [], "Id": id, "RawInput": "" }))
        .collect();
    let rm: Vec<_> = report
        .removed
        .iter()
        .map(|id| json!({ "Err": null, "Id": id, "RemovedCtrs": {} }))
        .collect();
    let secrets: Vec<_> = report
        .secrets
        .iter()
        .map(|id| json!({ "Err": null, "Id": id }))
        .collect();
    Ok(json(
        StatusCode::OK,
        &json!({
            "Pods": [],
            "Volumes": [],
            "StopReport": stop,
            "RmReport": rm,
            "SecretRmReport": secrets,
            "ServiceContainerID": "",
        }),
    ))
}

/// `GET /libpod/generate/kube?names=&service=&type=&replicas=`: the YAML.
pub async fn generate(State(st): State<AppState>, q: RawQuery) -> Reply {
    let p = Params::from_raw(q)?;
    let names = p.all("names");
    let opts = KubeGenerateOptions {
        service: p.bool("service", false)?,
        kind: p
            .get("type")
            .filter(|t| !t.is_empty())
            .unwrap_or("pod")
            .parse()
            .map_err(Error::from)?,
        replicas: p.num("replicas")?,
    };
    let yaml = st
        .engine(move |rt| Ok(rt.kube_generate(&names, &opts)?))
        .await?;
    Ok((
        StatusCode::OK,
        [(header::CONTENT_TYPE, "text/vnd.yaml")],
        yaml,
    )
        .into_response())
}
