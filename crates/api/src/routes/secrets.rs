//! Podman's secret endpoints (`/libpod/secrets/…`). Docker's `/secrets`
//! belong to swarm and are not served. No response ever holds a value.

use std::collections::BTreeMap;

use axum::body::Body;
use axum::extract::{Path, RawQuery, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use libpod::secrets::{SecretConfig, MAX_SECRET_SIZE};
use serde_json::json;

use super::{json, no_content, Params};
use crate::body::read_body;
use crate::error::{Error, Result};
use crate::state::AppState;

/// An error in Podman's shape, `{"cause", "message", "response"}`: Podman's
/// clients read the status from `response` (a 404 there is how
/// `podman --remote secret rm` knows a secret is missing).
#[derive(Debug)]
pub struct PodmanError(Error);

impl<E: Into<Error>> From<E> for PodmanError {
    fn from(e: E) -> Self {
        PodmanError(e.into())
    }
}

impl IntoResponse for PodmanError {
    fn into_response(self) -> Response {
        let status = self.0.status();
        let message = self.0.to_string();
        let cause = message.rsplit(": ").next().unwrap_or_default().to_string();
        json(
            status,
            &json!({ "cause": cause, "message": message, "response": status.as_u16() }),
        )
    }
}

type Reply = std::result::Result<Response, PodmanError>;

/// A map parameter (`driveropts`, `labels`): a JSON object of strings.
fn map_param(p: &Params, key: &str) -> Result<BTreeMap<String, String>> {
    match p.get(key).filter(|v| !v.is_empty()) {
        None => Ok(BTreeMap::new()),
        Some(text) => serde_json::from_str(text).map_err(|e| {
            Error::BadRequest(format!(
                "invalid {key} {text:?}: expected a JSON object of strings: {e}"
            ))
        }),
    }
}

/// `POST /libpod/secrets/create?name=&driver=&driveropts=&labels=`; the
/// body is the value.
pub async fn create(State(st): State<AppState>, q: RawQuery, body: Body) -> Reply {
    let p = Params::from_raw(q)?;
    let name = p
        .get("name")
        .filter(|n| !n.is_empty())
        .ok_or_else(|| Error::BadRequest("a secret name is required (name=)".into()))?
        .to_string();
    let driver = p.get("driver").unwrap_or_default().to_string();
    let opts = map_param(&p, "driveropts")?;
    let labels = map_param(&p, "labels")?;
    let value = read_body(body, MAX_SECRET_SIZE).await?;
    let id = st
        .engine(move |rt| {
            if rt.secrets()?.iter().any(|s| s.name == name) {
                return Err(Error::Conflict(format!("{name}: secret name in use")));
            }
            Ok(rt.create_secret(&name, &value, &driver, opts, labels)?.id)
        })
        .await?;
    Ok(json(StatusCode::OK, &json!({ "ID": id })))
}

/// `GET /libpod/secrets/json?filters=` (name, id).
pub async fn list(State(st): State<AppState>, q: RawQuery) -> Reply {
    let filters = Params::from_raw(q)?.filters()?;
    let docs = st
        .engine(move |rt| {
            Ok(rt
                .secrets_matching(&filters)?
                .iter()
                .map(SecretConfig::inspect)
                .collect::<Vec<_>>())
        })
        .await?;
    Ok(json(StatusCode::OK, &docs))
}

/// `GET /libpod/secrets/{name}/json|exists`.
pub async fn sub(
    State(st): State<AppState>,
    Path((name, action)): Path<(String, String)>,
) -> Reply {
    if !matches!(action.as_str(), "json" | "exists") {
        return Err(Error::NotFound("page not found".into()).into());
    }
    let doc = st.engine(move |rt| Ok(rt.secret(&name)?.inspect())).await?;
    match action.as_str() {
        "json" => Ok(json(StatusCode::OK, &doc)),
        _ => Ok(no_content()),
    }
}

/// `DELETE /libpod/secrets/{name}` (`?all=true` removes every secret).
pub async fn remove(State(st): State<AppState>, Path(name): Path<String>, q: RawQuery) -> Reply {
    let all = Params::from_raw(q)?.bool("all", false)?;
    st.engine(move |rt| {
        if all {
            for s in rt.secrets()? {
                rt.remove_secret(&s.id)?;
            }
        } else {
            rt.remove_secret(&name)?;
        }
        Ok(())
    })
    .await?;
    Ok(no_content())
}
