//! Podman's volume listing, inspect and create, in its own JSON shapes.

use crate::body::read_json;
use crate::error::{Error, Result};
use crate::routes::{json, no_content, Params};
use crate::state::AppState;
use axum::body::Body;
use axum::extract::{Path, RawQuery, State};
use axum::http::StatusCode;
use axum::response::Response;
use libpod::query::VolumeFilters;
use serde::Deserialize;

/// `GET /libpod/volumes/json?filters=`.
pub async fn list(State(st): State<AppState>, q: RawQuery) -> Result<Response> {
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
pub async fn named(
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
pub async fn create(State(st): State<AppState>, body: Body) -> Result<Response> {
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
