//! Podman's image endpoints where its shapes differ from Docker's: listing, the per-image GETs and pull.

use crate::body::ChannelBody;
use crate::error::{Error, Result};
use crate::hijack;
use crate::routes::transfer::line;
use crate::routes::{json, no_content, Params};
use crate::state::AppState;
use axum::body::Bytes;
use axum::extract::{Path, RawQuery, State};
use axum::http::StatusCode;
use axum::response::Response;
use libpod::images::{Progress, RegistryOptions};
use libpod::query::{ImageFilters, ImageListOptions};
use serde_json::json;
use std::collections::HashMap;
use std::sync::Mutex;
use tokio::sync::mpsc;

/// `GET /libpod/images/json?all=&filters=`: libpod's `images --format
/// json` documents.
pub async fn list(State(st): State<AppState>, q: RawQuery) -> Result<Response> {
    let p = Params::from_raw(q)?;
    let opts = ImageListOptions {
        all: p.bool("all", false)?,
        filters: ImageFilters::from_json(p.get("filters").unwrap_or(""))?,
    };
    let list = st.engine(move |rt| Ok(rt.list_images(&opts)?)).await?;
    Ok(json(StatusCode::OK, &list))
}

/// `GET /libpod/images/{name}/exists|json`.
pub async fn named(State(st): State<AppState>, Path(rest): Path<String>) -> Result<Response> {
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

/// Podman's pull progress: `{"stream": "..."}` lines.
struct StreamProgress {
    tx: mpsc::UnboundedSender<Bytes>,
    seen: Mutex<HashMap<String, ()>>,
}

impl Progress for StreamProgress {
    fn start(&self, id: &str, _total: u64) {
        if let Ok(mut s) = self.seen.lock() {
            if s.insert(id.to_string(), ()).is_none() {
                let _ = self
                    .tx
                    .send(line(&json!({ "stream": format!("Copying blob {id}\n") })));
            }
        }
    }
    fn advance(&self, _id: &str, _bytes: u64) {}
    fn finish(&self, _id: &str, _status: &str) {}
    fn message(&self, text: &str) {
        let _ = self
            .tx
            .send(line(&json!({ "stream": format!("{text}\n") })));
    }
}

/// `POST /libpod/images/pull?reference=&policy=&tlsVerify=&quiet=`.
pub async fn pull(State(st): State<AppState>, q: RawQuery) -> Result<Response> {
    let p = Params::from_raw(q)?;
    let reference = p
        .get("reference")
        .filter(|r| !r.is_empty())
        .ok_or_else(|| Error::BadRequest("reference is required".into()))?
        .to_string();
    let policy: libpod::images::PullPolicy = p.get("policy").unwrap_or("always").parse()?;
    let opts = RegistryOptions {
        tls_verify: match p.get("tlsVerify") {
            Some(_) => Some(p.bool("tlsVerify", true)?),
            None => None,
        },
        ..Default::default()
    };
    let (tx, mut rx) = mpsc::unbounded_channel::<Bytes>();
    let (out, body) = ChannelBody::channel(16);
    tokio::spawn(async move {
        while let Some(b) = rx.recv().await {
            if out.send(b).await.is_err() {
                break;
            }
        }
    });
    let options = st.options().clone();
    tokio::task::spawn_blocking(move || {
        let progress = StreamProgress {
            tx: tx.clone(),
            seen: Mutex::new(HashMap::new()),
        };
        let result = libpod::Runtime::new(options)
            .and_then(|rt| rt.pull_with_policy(&reference, policy, &opts, &progress));
        let last = match result {
            Ok(Some(image)) => json!({ "images": [image.id], "id": image.id }),
            Ok(None) => json!({ "error": format!("{reference}: image not known") }),
            Err(e) => json!({ "error": e.to_string() }),
        };
        let _ = tx.send(line(&last));
    });
    Ok(hijack::stream_response("application/json", body))
}
