//! Docker's managed plugins (`/plugins`): rpod has none and installs none,
//! so listings are empty and a named plugin is not found, as on a Docker
//! engine without plugins.

use axum::extract::Path;
use axum::http::{Method, StatusCode};
use axum::response::Response;
use serde_json::{json, Value};

use super::json;
use crate::error::{Error, Result};

/// `GET /plugins`: no plugins.
pub async fn list() -> Response {
    json(StatusCode::OK, &Value::Array(Vec::new()))
}

/// `GET /plugins/privileges?remote=`: nothing to grant.
pub async fn privileges() -> Response {
    json(StatusCode::OK, &Value::Array(Vec::new()))
}

/// `/plugins/{name}/...` and `DELETE /plugins/{name}`: not found; pulling,
/// creating or upgrading one is refused.
pub async fn named(method: Method, Path(rest): Path<String>) -> Result<Response> {
    let action = rest.rsplit_once('/').map(|(_, a)| a);
    match (&method, rest.as_str(), action) {
        (&Method::POST, "pull" | "create", _) | (&Method::POST, _, Some("upgrade")) => Err(
            Error::NotImplemented("rpod does not install Docker engine plugins".into()),
        ),
        _ => {
            let name = rest.split_once('/').map_or(rest.as_str(), |(n, _)| n);
            Ok(json(
                StatusCode::NOT_FOUND,
                &json!({ "message": format!("plugin {name:?} not found") }),
            ))
        }
    }
}
