//! A first part of Podman's libpod API (`/vX.Y.Z/libpod/...`): enough for
//! listing and inspecting containers and images, and basic lifecycle.

use axum::extract::{Path, RawQuery, State};
use axum::http::StatusCode;
use axum::response::Response;

use libpod::query::{ContainerFilters, ContainerListOptions, ImageFilters, ImageListOptions};

use super::containers::{sync, ALL_STATUSES};
use super::{json, no_content, Params};
use crate::error::{Error, Result};
use crate::state::AppState;

/// `GET /libpod/info`: libpod's own info document.
pub async fn info(State(st): State<AppState>) -> Result<Response> {
    let info = st.engine(|rt| Ok(rt.info()?)).await?;
    Ok(json(StatusCode::OK, &info))
}

/// `GET /libpod/containers/json?all=`: Podman's `ps --format json` rows.
pub async fn containers(State(st): State<AppState>, q: RawQuery) -> Result<Response> {
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

/// `GET /libpod/images/json?all=&filters=`: libpod's `images --format
/// json` documents.
pub async fn images(State(st): State<AppState>, q: RawQuery) -> Result<Response> {
    let p = Params::from_raw(q)?;
    let opts = ImageListOptions {
        all: p.bool("all", false)?,
        filters: ImageFilters::from_json(p.get("filters").unwrap_or(""))?,
    };
    let list = st.engine(move |rt| Ok(rt.list_images(&opts)?)).await?;
    Ok(json(StatusCode::OK, &list))
}

/// `GET /libpod/images/{name}/exists|json`.
pub async fn image_sub(State(st): State<AppState>, Path(rest): Path<String>) -> Result<Response> {
    let (name, action) = rest.rsplit_once('/').unwrap_or((&rest, ""));
    let name = name.to_string();
    match action {
        "exists" => {
            let found = st.engine(move |rt| Ok(rt.image_exists(&name)?)).await?;
            if found {
                Ok(no_content())
            } else {
                Err(Error::NotFound(format!("no such image: {rest}")))
            }
        }
        "json" => {
            let doc = st.engine(move |rt| Ok(rt.inspect_image(&name)?)).await?;
            Ok(json(StatusCode::OK, &doc))
        }
        _ => Err(Error::NotFound("page not found".into())),
    }
}
