//! `GET /events`: libpod's events translated to Docker's shape, streamed
//! as JSON lines.

use axum::body::Bytes;
use axum::extract::{RawQuery, State};
use axum::response::Response;
use chrono::{DateTime, Utc};
use libpod::events::{Event, EventFilter};
use libpod::Runtime;
use serde_json::json;

use super::Params;
use crate::body::ChannelBody;
use crate::error::{Error, Result};
use crate::hijack;
use crate::state::AppState;

/// Docker's action name for a libpod event.
fn docker_action(kind: &str, status: &str) -> String {
    match (kind, status) {
        ("container", "died") => "die".into(),
        ("container", "remove") => "destroy".into(),
        ("image", "remove") => "delete".into(),
        ("volume" | "network", "remove") => "destroy".into(),
        (_, s) => s.to_string(),
    }
}

/// libpod's status for a Docker action name (in filters).
fn libpod_status(action: &str) -> Vec<String> {
    match action {
        "die" => vec!["died".into()],
        "destroy" => vec!["remove".into()],
        "delete" => vec!["remove".into()],
        other => vec![other.to_string()],
    }
}

/// One event in Docker's shape.
pub fn translate(e: &Event) -> serde_json::Value {
    let action = docker_action(&e.kind, &e.status);
    let mut attributes = e.attributes.clone();
    if !e.name.is_empty() {
        attributes.insert("name".into(), e.name.clone());
    }
    if let Some(code) = e.exit_code {
        attributes.insert("exitCode".into(), code.to_string());
    }
    let nanos = e.time.timestamp_nanos_opt().unwrap_or(0);
    if e.kind == "network" {
        // Docker's actor of a network event is the network.
        return json!({
            "Type": "network",
            "Action": action,
            "Actor": { "ID": e.network, "Attributes": {
                "container": e.id, "name": e.network, "type": "bridge" } },
            "scope": "local",
            "time": e.time.timestamp(),
            "timeNano": nanos,
        });
    }
    json!({
        "status": action,
        "id": e.id,
        "from": e.image,
        "Type": e.kind,
        "Action": action,
        "Actor": { "ID": e.id, "Attributes": attributes },
        "scope": "local",
        "time": e.time.timestamp(),
        "timeNano": nanos,
    })
}

/// Docker's and Podman's `since`/`until` (Unix seconds, RFC 3339, a duration before now).
fn parse_time(text: &str) -> Result<Option<DateTime<Utc>>> {
    libpod::query::parse_optional_timestamp(text).map_err(|e| Error::BadRequest(e.to_string()))
}

/// `GET /events?since=&until=&filters=`.
pub async fn events(State(st): State<AppState>, q: RawQuery) -> Result<Response> {
    let p = Params::from_raw(q)?;
    let since = parse_time(p.get("since").unwrap_or(""))?;
    let until = parse_time(p.get("until").unwrap_or(""))?;
    let mut filters = Vec::new();
    for (k, v) in p.filters()? {
        match k.as_str() {
            "event" | "status" => {
                for s in libpod_status(&v) {
                    filters.push(("event".to_string(), s));
                }
            }
            "container" | "image" | "type" | "label" | "volume" | "network" | "pod" | "daemon"
            | "scope" | "plugin" | "node" | "service" | "secret" | "config" => filters.push((k, v)),
            other => return Err(Error::BadRequest(format!("invalid filter '{other}'"))),
        }
    }
    let follow = until.is_none_or(|u| u > Utc::now());
    let filter = EventFilter {
        since: since.or_else(|| follow.then(Utc::now)),
        until,
        filters,
    };
    let (tx, body) = ChannelBody::channel(64);
    let options = st.options().clone();
    tokio::task::spawn_blocking(move || {
        let Ok(rt) = Runtime::new(options) else {
            return;
        };
        let _ = rt.events().read(&filter, follow, |e| {
            let mut line = serde_json::to_vec(&translate(e)).unwrap_or_default();
            line.push(b'\n');
            tx.blocking_send(Bytes::from(line)).is_ok()
        });
    });
    Ok(hijack::stream_response("application/json", body))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn docker_names() {
        assert_eq!(docker_action("container", "died"), "die");
        assert_eq!(docker_action("container", "start"), "start");
        assert_eq!(libpod_status("destroy"), vec!["remove"]);
        assert!(parse_time("1700000000.5").unwrap().is_some());
        assert!(parse_time("yesterday").is_err());
    }
}
