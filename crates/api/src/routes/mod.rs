//! The routes: Docker's endpoints at the top level, Podman's under
//! `/libpod`. Version prefixes are removed before routing (see
//! [`crate::server`]).

pub mod archive;
pub mod build;
pub mod containers;
pub mod events;
pub mod exec;
pub mod images;
pub mod kube;
pub mod network;
pub mod plugins;
pub mod podman;
pub mod secrets;
pub mod stats;
pub mod swarm;
pub mod system;
pub mod systemd;
pub mod transfer;
pub mod volumes;

use axum::extract::RawQuery;
use axum::http::{header, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{any, delete, get, post};
use axum::Router;
use serde::Serialize;

use crate::error::{Error, Result};
use crate::state::AppState;

/// Every route of the service.
pub fn router(state: AppState) -> Router {
    Router::new()
        .route("/_ping", get(system::ping).head(system::ping))
        .route("/version", get(system::version))
        .route("/info", get(system::info))
        .route("/system/df", get(system::df))
        .route("/events", get(events::events))
        .route("/containers/json", get(containers::list))
        .route("/containers/create", post(containers::create))
        .route("/containers/prune", post(containers::prune))
        .route("/containers/{id}", delete(containers::remove))
        .route("/containers/{id}/json", get(containers::inspect))
        .route("/containers/{id}/top", get(containers::top))
        .route("/containers/{id}/logs", get(containers::logs))
        .route("/containers/{id}/export", get(containers::export))
        .route("/containers/{id}/start", post(containers::start))
        .route("/containers/{id}/stop", post(containers::stop))
        .route("/containers/{id}/restart", post(containers::restart))
        .route("/containers/{id}/kill", post(containers::kill))
        .route("/containers/{id}/pause", post(containers::pause))
        .route("/containers/{id}/unpause", post(containers::unpause))
        .route("/containers/{id}/wait", post(containers::wait))
        .route("/containers/{id}/rename", post(containers::rename))
        .route("/containers/{id}/resize", post(containers::resize))
        .route("/containers/{id}/attach", post(containers::attach))
        .route("/containers/{id}/exec", post(exec::create))
        .route("/containers/{id}/changes", get(stats::changes))
        .route("/containers/{id}/stats", get(stats::stats))
        .route("/containers/{id}/update", post(stats::update))
        .route(
            "/containers/{id}/archive",
            get(archive::get).put(archive::put).head(archive::head),
        )
        .route("/containers/{id}/attach/ws", get(containers::attach_ws))
        .route("/exec/{id}/start", post(exec::start))
        .route("/exec/{id}/resize", post(exec::resize))
        .route("/exec/{id}/json", get(exec::inspect))
        .route("/images/json", get(images::list))
        .route("/images/create", post(images::create))
        .route("/images/load", post(images::load))
        .route("/images/prune", post(images::prune))
        .route("/images/get", get(images::save_many))
        .route("/images/search", get(images::search))
        .route("/build", post(build::docker))
        .route("/build/prune", post(system::build_prune))
        .route("/commit", post(images::commit))
        .route(
            "/images/{*rest}",
            get(images::get_sub)
                .post(images::post_sub)
                .delete(images::remove),
        )
        .route("/networks", get(network::list))
        .route("/networks/create", post(network::create))
        .route("/networks/prune", post(network::prune))
        .route(
            "/networks/{id}",
            get(network::inspect).delete(network::remove),
        )
        .route("/networks/{id}/connect", post(network::connect))
        .route("/networks/{id}/disconnect", post(network::disconnect))
        .route("/volumes", get(volumes::list))
        .route("/volumes/create", post(volumes::create))
        .route("/volumes/prune", post(volumes::prune))
        .route(
            "/volumes/{name}",
            get(volumes::inspect).delete(volumes::remove),
        )
        .route("/swarm", any(swarm::not_in_a_swarm))
        .route("/swarm/{*rest}", any(swarm::not_in_a_swarm))
        .route("/services", any(swarm::not_in_a_swarm))
        .route("/services/{*rest}", any(swarm::not_in_a_swarm))
        .route("/nodes", any(swarm::not_in_a_swarm))
        .route("/nodes/{*rest}", any(swarm::not_in_a_swarm))
        .route("/tasks", any(swarm::not_in_a_swarm))
        .route("/tasks/{*rest}", any(swarm::not_in_a_swarm))
        .route("/secrets", any(swarm::not_in_a_swarm))
        .route("/secrets/{*rest}", any(swarm::not_in_a_swarm))
        .route("/configs", any(swarm::not_in_a_swarm))
        .route("/configs/{*rest}", any(swarm::not_in_a_swarm))
        .route("/plugins", get(plugins::list))
        .route("/plugins/privileges", get(plugins::privileges))
        .route("/plugins/{*rest}", any(plugins::named))
        .route("/session", any(build_session))
        .route("/distribution/{*rest}", get(transfer::distribution))
        .route("/auth", post(system::auth))
        .route("/libpod/_ping", get(system::ping).head(system::ping))
        .route("/libpod/info", get(podman::system::info))
        .route("/libpod/version", get(system::version))
        .route("/libpod/containers/json", get(podman::containers::list))
        .route(
            "/libpod/containers/create",
            post(podman::containers::create),
        )
        .route("/libpod/containers/prune", post(containers::prune))
        .route(
            "/libpod/containers/{id}",
            delete(podman::containers::remove),
        )
        .route(
            "/libpod/containers/{id}/json",
            get(podman::containers::inspect),
        )
        .route(
            "/libpod/containers/{id}/exists",
            get(podman::containers::exists),
        )
        .route("/libpod/containers/{id}/start", post(containers::start))
        .route("/libpod/containers/{id}/stop", post(containers::stop))
        .route("/libpod/containers/{id}/restart", post(containers::restart))
        .route("/libpod/containers/{id}/kill", post(containers::kill))
        .route("/libpod/containers/{id}/pause", post(containers::pause))
        .route("/libpod/containers/{id}/unpause", post(containers::unpause))
        .route("/libpod/containers/{id}/rename", post(containers::rename))
        .route(
            "/libpod/containers/{id}/wait",
            post(podman::containers::wait),
        )
        .route("/libpod/containers/{id}/logs", get(containers::logs))
        .route("/libpod/containers/{id}/attach", post(containers::attach))
        .route("/libpod/containers/{id}/resize", post(containers::resize))
        .route("/libpod/containers/{id}/top", get(containers::top))
        .route("/libpod/containers/{id}/exec", post(exec::create))
        .route("/libpod/exec/{id}/start", post(exec::start))
        .route("/libpod/exec/{id}/resize", post(exec::resize))
        .route("/libpod/exec/{id}/json", get(exec::inspect))
        .route("/libpod/images/json", get(podman::images::list))
        .route("/libpod/images/pull", post(podman::images::pull))
        .route("/libpod/images/search", get(images::libpod_search))
        .route("/libpod/build", post(build::libpod))
        .route(
            "/libpod/images/{*rest}",
            get(podman::images::named).delete(images::remove),
        )
        .route("/libpod/networks/json", get(podman::networks::list))
        .route("/libpod/networks/create", post(network::libpod_create))
        .route("/libpod/networks/prune", post(network::libpod_prune))
        .route("/libpod/networks/{name}", delete(network::libpod_remove))
        .route(
            "/libpod/networks/{name}/{action}",
            get(podman::networks::named).post(network::libpod_action),
        )
        .route("/libpod/volumes/json", get(podman::volumes::list))
        .route("/libpod/volumes/create", post(podman::volumes::create))
        .route("/libpod/volumes/prune", post(volumes::libpod_prune))
        .route("/libpod/volumes/{name}", delete(volumes::remove))
        .route(
            "/libpod/volumes/{name}/{action}",
            get(podman::volumes::named),
        )
        .route("/libpod/pods/json", get(podman::pods::list))
        .route("/libpod/pods/create", post(podman::pods::create))
        .route("/libpod/pods/{name}", delete(podman::pods::remove))
        .route(
            "/libpod/pods/{name}/{action}",
            get(podman::pods::action).post(podman::pods::action),
        )
        .route("/libpod/secrets/json", get(secrets::list))
        .route("/libpod/secrets/create", post(secrets::create))
        .route("/libpod/secrets/{name}", delete(secrets::remove))
        .route("/libpod/secrets/{name}/{action}", get(secrets::sub))
        .route("/libpod/play/kube", post(kube::play).delete(kube::down))
        .route("/libpod/generate/kube", get(kube::generate))
        .route("/libpod/generate/{name}/systemd", get(systemd::generate))
        .route("/libpod/play/{*rest}", any(not_served_kube))
        .route("/libpod/{*rest}", any(not_yet))
        .fallback(page_not_found)
        .with_state(state)
}

/// 404 for paths that are not routes.
async fn page_not_found() -> Error {
    Error::NotFound("page not found".into())
}

/// 501 for Docker endpoints rpod does not serve yet.
async fn not_yet(uri: axum::http::Uri) -> Error {
    Error::not_yet(uri.path())
}

/// 501 for BuildKit's session endpoint: rpod's builder is the classic one.
async fn build_session() -> Error {
    Error::NotImplemented(
        "BuildKit sessions are not supported by rpod: build with DOCKER_BUILDKIT=0 (the classic builder)".into(),
    )
}

/// 501 for the generate and play endpoints rpod does not serve.
async fn not_served_kube(uri: axum::http::Uri) -> Error {
    Error::NotImplemented(format!("{}: not part of rpod", uri.path()))
}

/// A JSON response with a status.
pub fn json<T: Serialize>(status: StatusCode, value: &T) -> Response {
    match serde_json::to_vec(value) {
        Ok(body) => (status, [(header::CONTENT_TYPE, "application/json")], body).into_response(),
        Err(e) => Error::Internal(format!("encoding the response: {e}")).into_response(),
    }
}

/// 204 No Content.
pub fn no_content() -> Response {
    StatusCode::NO_CONTENT.into_response()
}

/// Query parameters, decoded, in order (keys may repeat).
#[derive(Debug, Default, Clone)]
pub struct Params(Vec<(String, String)>);

impl Params {
    /// Parses the raw query string.
    pub fn from_raw(raw: RawQuery) -> Result<Self> {
        let Some(q) = raw.0 else {
            return Ok(Params::default());
        };
        let mut out = Vec::new();
        for pair in q.split('&').filter(|p| !p.is_empty()) {
            let (k, v) = pair.split_once('=').unwrap_or((pair, ""));
            out.push((percent_decode(k)?, percent_decode(v)?));
        }
        Ok(Params(out))
    }

    /// The last value of `key`.
    pub fn get(&self, key: &str) -> Option<&str> {
        self.0
            .iter()
            .rev()
            .find(|(k, _)| k == key)
            .map(|(_, v)| v.as_str())
    }

    /// Every value of `key`.
    pub fn all(&self, key: &str) -> Vec<String> {
        self.0
            .iter()
            .filter(|(k, _)| k == key)
            .map(|(_, v)| v.clone())
            .collect()
    }

    /// A boolean (`1`, `true`, `True`; absent is `default`).
    pub fn bool(&self, key: &str, default: bool) -> Result<bool> {
        match self.get(key) {
            None => Ok(default),
            Some("") => Ok(true),
            Some(v) => match v.to_ascii_lowercase().as_str() {
                "1" | "true" | "yes" => Ok(true),
                "0" | "false" | "no" => Ok(false),
                _ => Err(Error::BadRequest(format!(
                    "invalid value {v:?} for {key}: expected a boolean"
                ))),
            },
        }
    }

    /// A number, if given.
    pub fn num<T: std::str::FromStr>(&self, key: &str) -> Result<Option<T>> {
        match self.get(key) {
            None | Some("") => Ok(None),
            Some(v) => v.parse().map(Some).map_err(|_| {
                Error::BadRequest(format!("invalid value {v:?} for {key}: expected a number"))
            }),
        }
    }

    /// A prune endpoint's `filters`, as libpod's prune filters.
    pub fn prune_filters(
        &self,
        resource: libpod::query::Resource,
    ) -> Result<libpod::query::PruneFilters> {
        Ok(libpod::query::PruneFilters::from_json(
            resource,
            self.get("filters").unwrap_or(""),
        )?)
    }

    /// Docker's `filters` parameter (`{"key": ["v1", "v2"]}`, or the old
    /// `{"key": {"v1": true}}`) as (key, value) pairs, parsed by libpod's
    /// query module as every listing's filters are.
    pub fn filters(&self) -> Result<Vec<(String, String)>> {
        let set = libpod::query::FilterSet::from_json(self.get("filters").unwrap_or(""))?;
        Ok(set
            .iter()
            .flat_map(|(k, vs)| vs.iter().map(move |v| (k.to_string(), v.clone())))
            .collect())
    }
}

fn percent_decode(s: &str) -> Result<String> {
    let b = s.as_bytes();
    let mut out = Vec::with_capacity(b.len());
    let mut i = 0;
    while i < b.len() {
        match b[i] {
            b'+' => {
                out.push(b' ');
                i += 1;
            }
            b'%' if i + 2 < b.len() => {
                let hex = std::str::from_utf8(&b[i + 1..i + 3]).ok();
                match hex.and_then(|h| u8::from_str_radix(h, 16).ok()) {
                    Some(v) => out.push(v),
                    None => {
                        return Err(Error::BadRequest(format!(
                            "invalid percent-encoding in query {s:?}"
                        )))
                    }
                }
                i += 3;
            }
            b'%' => {
                return Err(Error::BadRequest(format!(
                    "invalid percent-encoding in query {s:?}"
                )))
            }
            c => {
                out.push(c);
                i += 1;
            }
        }
    }
    String::from_utf8(out).map_err(|_| Error::BadRequest(format!("query {s:?} is not UTF-8")))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn query_decoding() {
        let p = Params::from_raw(RawQuery(Some(
            "all=1&filters=%7B%22status%22%3A%5B%22exited%22%5D%7D&a=x+y&c=1&c=2".into(),
        )))
        .unwrap();
        assert!(p.bool("all", false).unwrap());
        assert_eq!(p.get("a"), Some("x y"));
        assert_eq!(p.all("c"), vec!["1", "2"]);
        assert_eq!(
            p.filters().unwrap(),
            vec![("status".to_string(), "exited".to_string())]
        );
        assert!(Params::from_raw(RawQuery(Some("x=%zz".into()))).is_err());
        assert!(Params::from_raw(RawQuery(Some("x=%4".into()))).is_err());
        assert!(p.num::<u32>("a").is_err());
    }
}
