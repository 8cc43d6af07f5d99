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

/// `/plugins/{name}/...` and `DELETE /plugins/{name}`: not found (an
/// upgrade looks up the installed plugin by its tagged name first, as
/// Docker does); pulling or creating one is refused.
pub async fn named(method: Method, Path(rest): Path<String>) -> Result<Response> {
    let action = rest.rsplit_once('/').map(|(_, a)| a);
    match (&method, rest.as_str(), action) {
        (&Method::POST, "pull" | "create", _) => Err(Error::NotImplemented(
            "rpod does not install Docker engine plugins".into(),
        )),
        (&Method::POST, _, Some("upgrade")) => {
            let name = rest.split_once('/').map_or(rest.as_str(), |(n, _)| n);
            let tagged = if name
                .rsplit('/')
                .next()
                .is_some_and(|last| last.contains(':'))
            {
                name.to_string()
            } else {
                format!("{name}:latest")
            };
            Ok(json(
                StatusCode::NOT_FOUND,
                &json!({ "message": format!("plugin {tagged:?} not found") }),
            ))
        }
        _ => {
            let name = rest.split_once('/').map_or(rest.as_str(), |(n, _)| n);
            Ok(json(
                StatusCode::NOT_FOUND,
                &json!({ "message": format!("plugin {name:?} not found") }),
            ))
        }
    }
}
