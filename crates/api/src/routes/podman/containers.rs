//! Podman's container endpoints where its shapes differ from Docker's: listing, inspect, exists, wait, create (from a `SpecGenerator`) and remove.

use crate::body::read_json;
use crate::error::{Error, Result};
use crate::routes::containers::{sync, ALL_STATUSES};
use crate::routes::{json, no_content, Params};
use crate::state::AppState;
use axum::body::Body;
use axum::extract::{Path, RawQuery, State};
use axum::http::StatusCode;
use axum::response::Response;
use libpod::query::{ContainerFilters, ContainerListOptions};
use libpod::specgen::SpecGenerator;
use serde_json::json;

/// `GET /libpod/containers/json?all=`: Podman's `ps --format json` rows.
pub async fn list(State(st): State<AppState>, q: RawQuery) -> Result<Response> {
    let p = Params::from_raw(q)?;
    let size = p.bool("size", false)?;
    let opts = ContainerListOptions {
        all: p.bool("all", false)?,
        last: p
            .num::<i64>("limit")?
            .and_then(|l| usize::try_from(l).ok())
            .filter(|l| *l > 0),
        filters: ContainerFilters::from_json(p.get("filters").unwrap_or(""))?,
    };
    let rows = st
        .engine(move |rt| {
            let mut out = Vec::new();
            for c in rt.list_containers(&opts)?.iter() {
                let mut row = serde_json::to_value(c.ps_entry(size)?)
                    .map_err(|e| Error::Internal(format!("encoding a row: {e}")))?;
                // Podman's bindings read Created as a time.
                if let Some(secs) = row.get("Created").and_then(serde_json::Value::as_i64) {
                    if let Some(t) = chrono::DateTime::from_timestamp(secs, 0) {
                        row["Created"] = serde_json::json!(t.to_rfc3339());
                    }
                }
                // Podman's Status column is the health status only.
                let health = match (&c.config().health, &c.state().health) {
                    (Some(_), Some(h)) => serde_json::to_value(h.status)
                        .ok()
                        .and_then(|v| v.as_str().map(str::to_string))
                        .unwrap_or_default(),
                    _ => String::new(),
                };
                row["Status"] = serde_json::json!(health);
                out.push(row);
            }
            Ok(out)
        })
        .await?;
    Ok(json(StatusCode::OK, &rows))
}

/// `GET /libpod/containers/{id}/json`: libpod's inspect document.
pub async fn inspect(
    State(st): State<AppState>,
    Path(id): Path<String>,
    q: RawQuery,
) -> Result<Response> {
    let size = Params::from_raw(q)?.bool("size", false)?;
    let doc = st
        .engine(move |rt| {
            serde_json::to_value(rt.container(&id)?.inspect(size)?)
                .map_err(|e| Error::Internal(format!("encoding the inspect document: {e}")))
        })
        .await?;
    Ok(json(StatusCode::OK, &doc))
}

/// `GET /libpod/containers/{id}/exists`: 204 or 404.
pub async fn exists(State(st): State<AppState>, Path(id): Path<String>) -> Result<Response> {
    st.engine(move |rt| Ok(rt.container(&id).map(drop)?))
        .await?;
    Ok(no_content())
}

/// `POST /libpod/containers/{id}/wait?condition=`: the exit code as a
/// plain JSON number.
pub async fn wait(
    State(st): State<AppState>,
    Path(id): Path<String>,
    q: RawQuery,
) -> Result<Response> {
    let p = Params::from_raw(q)?;
    let mut conditions = Vec::new();
    for c in p.all("condition") {
        let s = ALL_STATUSES
            .iter()
            .find(|s| s.as_str() == c)
            .copied()
            .ok_or_else(|| Error::BadRequest(format!("invalid condition {c:?}")))?;
        conditions.push(s);
    }
    let code = st
        .engine(move |rt| {
            let mut c = rt.container(&id)?;
            sync(&mut c)?;
            Ok(c.wait(&conditions)?)
        })
        .await?;
    Ok(json(StatusCode::OK, &code))
}

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
