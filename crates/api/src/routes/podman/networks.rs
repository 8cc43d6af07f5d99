//! Podman's network listing and inspect, in its own JSON shapes.

use crate::error::{Error, Result};
use crate::routes::{json, no_content, Params};
use crate::state::AppState;
use axum::extract::{Path, RawQuery, State};
use axum::http::StatusCode;
use axum::response::Response;
use libpod::query::NetworkFilters;

/// `GET /libpod/networks/json?filters=`: Podman's network documents.
pub async fn list(State(st): State<AppState>, q: RawQuery) -> Result<Response> {
    let p = Params::from_raw(q)?;
    let filters = NetworkFilters::from_json(p.get("filters").unwrap_or(""))?;
    let list = st.engine(move |rt| Ok(rt.list_networks(&filters)?)).await?;
    Ok(json(StatusCode::OK, &list))
}

/// `GET /libpod/networks/{name}/json|exists`.
pub async fn named(
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
