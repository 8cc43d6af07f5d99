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
                    "GitCommit": "",
                    "GoVersion": "",
                    "BuildTime": "",
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
            "DriverStatus": [["Backing Filesystem", backing_filesystem(std::path::Path::new(&s.graph_root))]],
            "Plugins": { "Volume": ["local"], "Network": ["host", "null"], "Authorization": null, "Log": ["k8s-file", "json-file", "none"] },
            "MemoryLimit": true,
            "SwapLimit": false,
            "CpuCfsPeriod": true,
            "CpuCfsQuota": true,
            "PidsLimit": true,
            "IPv4Forwarding": false,
            "BridgeNfIptables": false,
            "BridgeNfIp6tables": false,
            "CPUShares": true,
            "CPUSet": true,
            "KernelMemory": false,
            "KernelMemoryTCP": false,
            "OomKillDisable": true,
            "NEventsListener": 0,
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
            "OSVersion": h.distribution.version,
            "Architecture": std::env::consts::ARCH,
            "NCPU": h.cpus,
            "MemTotal": h.mem_total,
            "IndexServerAddress": "",
            "RegistryConfig": {
                "AllowNondistributableArtifactsCIDRs": [],
                "AllowNondistributableArtifactsHostnames": [],
                "IndexConfigs": {},
                "InsecureRegistryCIDRs": [],
                "Mirrors": [],
            },
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
            "SecurityOptions": security_options(&h.security),
            "ContainerdCommit": { "ID": "", "Expected": "" },
            "RuncCommit": { "ID": "", "Expected": "" },
            "InitCommit": { "ID": "", "Expected": "" },
            "Warnings": [],
        }),
    ))
}

/// The name Docker gives the file system under `path` (`extfs`, `xfs`, …).
fn backing_filesystem(path: &std::path::Path) -> String {
    let Ok(st) = nix::sys::statfs::statfs(path) else {
        return "unknown".into();
    };
    match st.filesystem_type().0 as u64 {
        0xEF53 => "extfs".into(),
        0x5846_5342 => "xfs".into(),
        0x0102_1994 => "tmpfs".into(),
        0x9123_683E => "btrfs".into(),
        0x794C_7630 => "overlayfs".into(),
        0x2FC1_2FC1 => "zfs".into(),
        other => format!("{other:#x}"),
    }
}

/// Docker's `SecurityOptions`: `name=seccomp,profile=…`, `name=rootless`.
fn security_options(sec: &libpod::system::SecurityInfo) -> Vec<String> {
    let mut out = Vec::new();
    if sec.apparmor_enabled {
        out.push("name=apparmor".to_string());
    }
    if sec.seccomp_enabled {
        let profile = if sec.seccomp_profile_path.is_empty() {
            "builtin"
        } else {
            "default"
        };
        out.push(format!("name=seccomp,profile={profile}"));
    }
    if sec.selinux_enabled {
        out.push("name=selinux".to_string());
    }
    if sec.rootless {
        out.push("name=rootless".to_string());
    }
    out
}

/// `GET /system/df`.
pub async fn df(State(st): State<AppState>) -> Result<Response> {
    let images = images::summaries(&st).await?;
    let containers = containers::summaries(&st, true, true).await?;
    let volumes = st.engine(super::volumes::df_volumes).await?;
    let cache = st.engine(|rt| Ok(rt.build_cache()?)).await?;
    let cache: Vec<serde_json::Value> = cache.iter().map(build_cache_record).collect();
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
            "BuildCache": cache,
        }),
    ))
}

/// A step of the build cache as Docker's `BuildCache` records it.
fn build_cache_record(r: &libpod::build::CacheRecord) -> serde_json::Value {
    let time =
        |t: &chrono::DateTime<chrono::Utc>| t.to_rfc3339_opts(chrono::SecondsFormat::Nanos, true);
    json!({
        "ID": r.id,
        "Parent": "",
        "Parents": null,
        "Type": "regular",
        "Description": r.description,
        "InUse": r.in_use,
        "Shared": r.shared,
        "Size": r.size,
        "CreatedAt": time(&r.created),
        "LastUsedAt": r.last_used.as_ref().map(time),
        "UsageCount": 1,
    })
}

/// `POST /build/prune`: empties the build cache (the images only it kept
/// are removed).
pub async fn build_prune(
    State(st): State<AppState>,
    q: axum::extract::RawQuery,
) -> Result<Response> {
    let p = super::Params::from_raw(q)?;
    if let Some(f) = p.get("filters").filter(|f| !f.is_empty() && *f != "{}") {
        return Err(crate::error::Error::BadRequest(format!(
            "build cache prune filters are not supported by rpod yet: {f}"
        )));
    }
    if p.get("keep-storage").is_some_and(|k| k != "0") {
        return Err(crate::error::Error::BadRequest(
            "keep-storage is not supported by rpod yet: the whole cache is pruned".into(),
        ));
    }
    let (removed, freed) = st.engine(|rt| Ok(rt.prune_build_cache()?)).await?;
    Ok(json(
        StatusCode::OK,
        &json!({ "CachesDeleted": removed, "SpaceReclaimed": freed }),
    ))
}

/// The body of `POST /auth` (Docker's `AuthConfig`).
#[derive(Debug, Default, serde::Deserialize)]
#[serde(default)]
pub struct AuthConfig {
    pub username: String,
    pub password: String,
    pub serveraddress: String,
    pub email: String,
    pub identitytoken: String,
    pub registrytoken: String,
    pub auth: String,
}

/// `POST /auth`: checks the credentials against the registry, as a Docker
/// engine does, without storing them (the client keeps them); 401 when
/// the registry refuses them.
pub async fn auth(State(st): State<AppState>, body: axum::body::Body) -> Result<Response> {
    let a: Option<AuthConfig> = crate::body::read_json(body).await?;
    let a = a.unwrap_or_default();
    if !a.identitytoken.is_empty() || !a.registrytoken.is_empty() {
        return Err(crate::error::Error::BadRequest(
            "identity and registry tokens are not supported by rpod: log in with a user name and password".into(),
        ));
    }
    let (user, password) = if a.username.is_empty() && !a.auth.is_empty() {
        use base64::Engine as _;
        let raw = base64::engine::general_purpose::STANDARD
            .decode(a.auth.trim())
            .map_err(|_| crate::error::Error::BadRequest("auth is not base64".into()))?;
        let text = String::from_utf8_lossy(&raw).into_owned();
        let (u, p) = text.split_once(':').unwrap_or((text.as_str(), ""));
        (u.to_string(), p.to_string())
    } else {
        (a.username, a.password)
    };
    if a.serveraddress.is_empty() {
        return Err(crate::error::Error::BadRequest(
            "serveraddress is required: rpod has no default registry to log in to".into(),
        ));
    }
    let opts = super::transfer::registry_options_for_host(&a.serveraddress);
    st.engine(move |rt| Ok(rt.check_login(&a.serveraddress, &user, &password, &opts)?))
        .await?;
    Ok(json(
        StatusCode::OK,
        &json!({ "Status": "Login Succeeded", "IdentityToken": "" }),
    ))
}
