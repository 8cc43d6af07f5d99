//! Networks and volumes: the built-in networks are listed as Docker lists
//! them; creating networks and volumes is not there yet (501).

use axum::extract::Path;
use axum::http::StatusCode;
use axum::response::Response;
use serde_json::{json, Value};

use super::json;
use crate::error::{Error, Result};

fn builtin(name: &str, driver: &str) -> Value {
    json!({
        "Name": name,
        "Id": name,
        "Created": "0001-01-01T00:00:00Z",
        "Scope": "local",
        "Driver": driver,
        "EnableIPv6": false,
        "IPAM": { "Driver": "default", "Options": null, "Config": [] },
        "Internal": false,
        "Attachable": false,
        "Ingress": false,
        "ConfigFrom": { "Network": "" },
        "ConfigOnly": false,
        "Containers": {},
        "Options": {},
        "Labels": {},
    })
}

fn builtins() -> Vec<Value> {
    vec![
        builtin("bridge", "bridge"),
        builtin("host", "host"),
        builtin("none", "null"),
    ]
}

/// `GET /networks`.
pub async fn list() -> Response {
    json(StatusCode::OK, &builtins())
}

/// `GET /networks/{id}`.
pub async fn inspect(Path(id): Path<String>) -> Result<Response> {
    builtins()
        .into_iter()
        .find(|n| n["Name"] == id.as_str())
        .map(|n| json(StatusCode::OK, &n))
        .ok_or_else(|| Error::NotFound(format!("network {id} not found")))
}

/// 501 for network management.
pub async fn not_yet_networks() -> Error {
    Error::not_yet("network management through the API")
}

/// `GET /volumes`: none yet.
pub async fn volumes() -> Response {
    json(StatusCode::OK, &json!({ "Volumes": [], "Warnings": [] }))
}

/// 501 for volume management.
pub async fn not_yet_volumes() -> Error {
    Error::not_yet("volume management through the API")
}

/// `GET /volumes/{name}`: there are no volumes yet.
pub async fn volume_inspect(Path(name): Path<String>) -> Error {
    Error::NotFound(format!("get {name}: no such volume"))
}

/// `DELETE /volumes/{name}`: there are no volumes yet.
pub async fn volume_remove(Path(name): Path<String>) -> Error {
    Error::NotFound(format!("get {name}: no such volume"))
}
