//! Podman's own system documents.

use crate::error::Result;
use crate::routes::json;
use crate::state::AppState;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::Response;

/// `GET /libpod/info`: libpod's own info document.
pub async fn info(State(st): State<AppState>) -> Result<Response> {
    let info = st.engine(|rt| Ok(rt.info()?)).await?;
    Ok(json(StatusCode::OK, &info))
}
