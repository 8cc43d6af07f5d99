//! Docker's volume endpoints over libpod's named volumes.

use std::collections::BTreeMap;

use axum::body::Body;
use axum::extract::{Path, RawQuery, State};
use axum::http::StatusCode;
use axum::response::Response;
use libpod::query::VolumeFilters;
use libpod::Runtime;
use serde::Deserialize;
use serde_json::{json, Value};

use super::{json, no_content, Params};
use crate::body::read_json;
use crate::error::{Error, Result};
use crate::state::AppState;

fn doc(v: &libpod::volumes::Volume) -> Value {
    let i = v.inspect();
    json!({
        "Name": i.name,
        "Driver": i.driver,
        "Mountpoint": i.mountpoint,
        "CreatedAt": i.created_at.to_rfc3339_opts(chrono::SecondsFormat::Secs, true),
        "Labels": i.labels,
        "Scope": i.scope,
        "Options": i.options,
    })
}

fn find(rt: &Runtime, name: &str) -> Result<libpod::volumes::Volume> {
    if !rt.volume_exists(name)? {
        return Err(Error::NotFound(format!("get {name}: no such volume")));
    }
    Ok(rt.volume(name)?)
}

/// `GET /volumes?filters=`.
pub async fn list(State(st): State<AppState>, q: RawQuery) -> Result<Response> {
    let p = Params::from_raw(q)?;
    let filters = VolumeFilters::from_json(p.get("filters").unwrap_or(""))?;
    let vols: Vec<Value> = st
        .engine(move |rt| Ok(rt.list_volumes(&filters)?.iter().map(doc).collect()))
        .await?;
    Ok(json(
        StatusCode::OK,
        &json!({ "Volumes": vols, "Warnings": [] }),
    ))
}

/// `POST /volumes/create` body.
#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "PascalCase", default)]
pub struct VolumeCreate {
    pub name: String,
    pub driver: String,
    pub driver_opts: Option<BTreeMap<String, String>>,
    pub labels: Option<BTreeMap<String, String>>,
}

/// `POST /volumes/create`: an existing name returns that volume, as Docker
/// does.
pub async fn create(State(st): State<AppState>, body: Body) -> Result<Response> {
    let req: Option<VolumeCreate> = read_json(body).await?;
    let req = req.unwrap_or_default();
    if !req.driver.is_empty() && req.driver != "local" {
        return Err(Error::BadRequest(format!(
            "volume driver {:?} is not supported (only local)",
            req.driver
        )));
    }
    let d = st
        .engine(move |rt| {
            let name = Some(req.name.as_str()).filter(|n| !n.is_empty());
            if let Some(n) = name {
                if rt.volume_exists(n)? {
                    return Ok(doc(&rt.volume(n)?));
                }
            }
            let v = rt.create_volume(
                name,
                req.labels.unwrap_or_default(),
                req.driver_opts.unwrap_or_default(),
                false,
            )?;
            Ok(doc(&v))
        })
        .await?;
    Ok(json(StatusCode::CREATED, &d))
}

/// `GET /volumes/{name}`.
pub async fn inspect(State(st): State<AppState>, Path(name): Path<String>) -> Result<Response> {
    let d = st.engine(move |rt| Ok(doc(&find(rt, &name)?))).await?;
    Ok(json(StatusCode::OK, &d))
}

/// `DELETE /volumes/{name}?force=`: 409 when a container uses it.
pub async fn remove(
    State(st): State<AppState>,
    Path(name): Path<String>,
    q: RawQuery,
) -> Result<Response> {
    let force = Params::from_raw(q)?.bool("force", false)?;
    st.engine(move |rt| {
        find(rt, &name)?;
        let users = rt.volume_users(&name)?;
        if !force && !users.is_empty() {
            let ids: Vec<String> = users.into_iter().map(|(id, _)| id).collect();
            return Err(Error::Conflict(format!(
                "remove {name}: volume is in use - [{}]",
                ids.join(", ")
            )));
        }
        rt.remove_volume(&name, force)?;
        Ok(())
    })
    .await?;
    Ok(no_content())
}

/// `POST /volumes/prune?filters=` (`label`, `label!`, `until`).
pub async fn prune(
    State(st): State<AppState>,
    version: Option<axum::Extension<crate::server::DockerMinor>>,
    q: RawQuery,
) -> Result<Response> {
    let params = Params::from_raw(q)?;
    let filters = libpod::query::PruneFilters::docker_volumes(
        params.get("filters").unwrap_or(""),
        crate::server::DockerMinor::of(version),
    )?;
    prune_selected(st, filters).await
}

/// `POST /libpod/volumes/prune?filters=`: Podman's filters, every unused
/// volume.
pub async fn libpod_prune(State(st): State<AppState>, q: RawQuery) -> Result<Response> {
    let filters = Params::from_raw(q)?.prune_filters(libpod::query::Resource::Volumes)?;
    prune_selected(st, filters).await
}

async fn prune_selected(st: AppState, filters: libpod::query::PruneFilters) -> Result<Response> {
    let (removed, reclaimed) = st
        .engine(move |rt| {
            // What the volumes held, measured before they go.
            let sizes: std::collections::BTreeMap<String, u64> = rt
                .prunable_volumes(&filters)?
                .into_iter()
                .filter_map(|n| {
                    let v = rt.volume(&n).ok()?;
                    Some((n, dir_size(&v.mountpoint)))
                })
                .collect();
            let removed = rt.prune_volumes(&filters)?;
            let reclaimed: u64 = removed.iter().filter_map(|n| sizes.get(n)).sum();
            Ok((removed, reclaimed))
        })
        .await?;
    Ok(json(
        StatusCode::OK,
        &json!({ "VolumesDeleted": removed, "SpaceReclaimed": reclaimed }),
    ))
}

/// Bytes used below `dir` (not following symlinks).
fn dir_size(dir: &std::path::Path) -> u64 {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return 0;
    };
    let mut total = 0;
    for e in entries.flatten() {
        let Ok(m) = e.path().symlink_metadata() else {
            continue;
        };
        total += if m.is_dir() {
            dir_size(&e.path())
        } else {
            m.len()
        };
    }
    total
}

/// The volumes of `GET /system/df`, with `UsageData`.
pub fn df_volumes(rt: &Runtime) -> Result<Vec<Value>> {
    let mut out = Vec::new();
    for v in rt.volumes()? {
        let mut d = doc(&v);
        let refs = rt.volume_users(v.name())?.len();
        let size = dir_size(std::path::Path::new(d["Mountpoint"].as_str().unwrap_or("")));
        d["UsageData"] = json!({ "Size": size, "RefCount": refs });
        out.push(d);
    }
    Ok(out)
}
