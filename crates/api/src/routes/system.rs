//! `/_ping`, `/version`, `/info`, `/system/df`, `/auth`.

use axum::extract::State;
use axum::http::{header, Method, StatusCode};
use axum::response::{IntoResponse, Response};
use serde_json::json;

use super::{containers, images, json};
use crate::error::Result;
use crate::server::{DOCKER_API_VERSION, DOCKER_MIN_API_VERSION};
use crate::state::AppState;

/// `GET|HEAD /_ping`: `OK` (the version headers are added to every response).
pub async fn ping(method: Method) -> Response {
    let body = if method == Method::HEAD { "" } else { "OK" };
    (
        StatusCode::OK,
        [
            (header::CONTENT_TYPE, "text/plain; charset=utf-8"),
            (header::CACHE_CONTROL, "no-cache, no-store, must-revalidate"),
        ],
        body,
    )
        .into_response()
}

fn arch() -> &'static str {
    match std::env::consts::ARCH {
        "x86_64" => "amd64",
        "aarch64" => "arm64",
        other => other,
    }
}

fn kernel() -> String {
    nix::sys::utsname::uname()
        .map(|u| u.release().to_string_lossy().into_owned())
        .unwrap_or_default()
}

/// `GET /version`.
pub async fn version() -> Response {
    let v = libpod::system::VERSION;
    let kernel = kernel();
    json(
        StatusCode::OK,
        &json!({
            "Platform": { "Name": "rpod" },
            "Components": [{
                "Name": "Engine",
                "Version": v,
                "Details": {
                    "ApiVersion": DOCKER_API_VERSION,
                    "MinAPIVersion": DOCKER_MIN_API_VERSION,
                    "Arch": arch(),
                    "Os": "linux",
                    "KernelVersion": kernel,
                    "Experimental": "false",
                }
            }],
            "Version": v,
            "ApiVersion": DOCKER_API_VERSION,
            "MinAPIVersion": DOCKER_MIN_API_VERSION,
            "GitCommit": "",
            "GoVersion": "",
            "Os": "linux",
            "Arch": arch(),
            "KernelVersion": kernel,
            "Experimental": false,
            "BuildTime": "",
        }),
    )
}

/// `GET /info`: Docker's shape, filled from libpod's `info`.
pub async fn info(State(st): State<AppState>) -> Result<Response> {
    let info = st.engine(|rt| Ok(rt.info()?)).await?;
    let h = &info.host;
    let s = &info.store;
    let c = &s.container_store;
    Ok(json(
        StatusCode::OK,
        &json!({
            "ID": "",
            "Containers": c.number,
            "ContainersRunning": c.running,
            "ContainersPaused": c.paused,
            "ContainersStopped": c.number.saturating_sub(c.running + c.paused),
            "Images": s.image_store.number,
            "Driver": s.graph_driver_name,
            "DriverStatus": [],
            "Plugins": { "Volume": [], "Network": ["host", "null"], "Authorization": null, "Log": ["k8s-file", "json-file", "none"] },
            "MemoryLimit": true,
            "SwapLimit": false,
            "CpuCfsPeriod": true,
            "CpuCfsQuota": true,
            "PidsLimit": true,
            "IPv4Forwarding": false,
            "Debug": false,
            "NFd": 0,
            "NGoroutines": 0,
            "SystemTime": chrono::Utc::now().to_rfc3339(),
            "LoggingDriver": "k8s-file",
            "CgroupDriver": "cgroupfs",
            "CgroupVersion": h.cgroup_version.trim_start_matches('v'),
            "KernelVersion": h.kernel,
            "OperatingSystem": "linux",
            "OSType": "linux",
            "Architecture": std::env::consts::ARCH,
            "NCPU": h.cpus,
            "MemTotal": h.mem_total,
            "IndexServerAddress": "",
            "RegistryConfig": { "IndexConfigs": {}, "InsecureRegistryCIDRs": [], "Mirrors": [] },
            "GenericResources": null,
            "DockerRootDir": s.graph_root,
            "HttpProxy": "",
            "HttpsProxy": "",
            "NoProxy": "",
            "Name": h.hostname,
            "Labels": [],
            "ExperimentalBuild": false,
            "ServerVersion": info.version.version,
            "Runtimes": { h.oci_runtime.name.clone(): { "path": h.oci_runtime.path } },
            "DefaultRuntime": h.oci_runtime.name,
            "Swarm": { "LocalNodeState": "inactive", "NodeID": "", "NodeAddr": "", "ControlAvailable": false, "Error": "", "RemoteManagers": null },
            "LiveRestoreEnabled": true,
            "Isolation": "",
            "InitBinary": "catatonit",
            "SecurityOptions": [],
            "Warnings": [],
        }),
    ))
}

/// `GET /system/df`.
pub async fn df(State(st): State<AppState>) -> Result<Response> {
    let images = images::summaries(&st).await?;
    let containers = containers::summaries(&st, true, true).await?;
    let volumes = st.engine(super::volumes::df_volumes).await?;
    let layers: u64 = images
        .iter()
        .filter_map(|i| i.get("Size").and_then(|s| s.as_u64()))
        .sum();
    Ok(json(
        StatusCode::OK,
        &json!({
            "LayersSize": layers,
            "Images": images,
            "Containers": containers,
            "Volumes": volumes,
            "BuildCache": [],
        }),
    ))
}

/// `POST /auth`: there are no registries to log in to yet.
pub async fn auth() -> crate::error::Error {
    crate::error::Error::not_yet("registry login (/auth)")
}
