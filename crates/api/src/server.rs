//! The listener, the per-connection HTTP/1.1 server (with upgrades for
//! hijacked streams), the API version prefix, the common response headers
//! and the idle timeout.

use std::convert::Infallible;
use std::net::SocketAddr;
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use axum::body::Body;
use axum::http::{HeaderValue, Request, Response, StatusCode, Uri};
use axum::Router;
use hyper::body::Incoming;
use hyper_util::rt::TokioIo;
use libpod::RuntimeOptions;
use tokio::io::{AsyncRead, AsyncWrite};
use tower::ServiceExt;

use crate::activity::Tracker;
use crate::body::GuardedBody;
use crate::error::{error_body, Error, Result};
use crate::state::AppState;

/// The newest Docker API version served.
pub const DOCKER_API_VERSION: &str = "1.44";
/// The oldest Docker API version accepted.
pub const DOCKER_MIN_API_VERSION: &str = "1.24";
/// The libpod API version announced.
pub const LIBPOD_API_VERSION: &str = "4.0.0";
const MAX_MINOR: u32 = 44;
const MIN_MINOR: u32 = 24;

/// Where the service listens.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Listen {
    /// A unix socket path.
    Unix(PathBuf),
    /// A TCP address.
    Tcp(SocketAddr),
}

impl Listen {
    /// Parses `unix:///path`, `unix:/path`, `tcp://host:port` or a bare
    /// absolute path.
    pub fn parse(uri: &str) -> Result<Self> {
        if let Some(rest) = uri.strip_prefix("unix://") {
            return Self::unix(rest, uri);
        }
        if let Some(rest) = uri.strip_prefix("unix:") {
            return Self::unix(rest, uri);
        }
        if let Some(rest) = uri.strip_prefix("tcp://") {
            let rest = rest.trim_end_matches('/');
            let rest = match rest.strip_prefix("localhost:") {
                Some(port) => format!("127.0.0.1:{port}"),
                None => rest.to_string(),
            };
            return rest.parse().map(Listen::Tcp).map_err(|_| {
                Error::BadRequest(format!(
                    "invalid tcp address in {uri:?}: expected tcp://IP:PORT"
                ))
            });
        }
        if uri.starts_with('/') {
            return Ok(Listen::Unix(PathBuf::from(uri)));
        }
        Err(Error::BadRequest(format!(
            "invalid service URI {uri:?}: use unix:///path/to/socket or tcp://127.0.0.1:PORT"
        )))
    }

    fn unix(path: &str, uri: &str) -> Result<Self> {
        if !path.starts_with('/') {
            return Err(Error::BadRequest(format!(
                "invalid service URI {uri:?}: the socket path must be absolute"
            )));
        }
        Ok(Listen::Unix(PathBuf::from(path)))
    }
}

/// How to run the service.
#[derive(Debug, Clone)]
pub struct ServiceOptions {
    /// The engine's global options (`--root`, `--runroot`, ...).
    pub runtime: RuntimeOptions,
    /// Where to listen.
    pub listen: Listen,
    /// Stop after this long without activity; `None` runs forever.
    pub idle_timeout: Option<Duration>,
    /// The rpod binary, run for `exec` sessions.
    pub rpod_exe: PathBuf,
    /// The group owning the unix socket (name or GID); `None` is root's.
    pub group: Option<String>,
}

/// Resolves `--group` (a name or a numeric GID).
pub fn resolve_group(group: &str) -> Result<nix::unistd::Gid> {
    if let Ok(gid) = group.parse::<u32>() {
        return Ok(nix::unistd::Gid::from_raw(gid));
    }
    match nix::unistd::Group::from_name(group) {
        Ok(Some(g)) => Ok(g.gid),
        Ok(None) => Err(Error::BadRequest(format!("group {group:?} does not exist"))),
        Err(e) => Err(Error::Io {
            context: format!("looking up group {group:?}"),
            source: e.into(),
        }),
    }
}

/// Runs the service on a new multi-threaded tokio runtime until it is idle
/// for the timeout or gets SIGINT/SIGTERM.
pub fn run(opts: ServiceOptions) -> Result<()> {
    let rt = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .thread_name("rpod-api")
        .build()
        .map_err(|source| Error::Io {
            context: "starting the async runtime".into(),
            source,
        })?;
    rt.block_on(serve(opts))
}

enum Listener {
    Unix(tokio::net::UnixListener, PathBuf),
    Tcp(tokio::net::TcpListener),
}

fn io_err(context: String) -> impl FnOnce(std::io::Error) -> Error {
    move |source| Error::Io { context, source }
}

fn bind_unix(path: &Path, group: Option<&str>) -> Result<tokio::net::UnixListener> {
    let gid = group.map(resolve_group).transpose()?;
    if let Some(dir) = path.parent() {
        std::fs::create_dir_all(dir).map_err(io_err(format!("creating {}", dir.display())))?;
    }
    if path.exists() {
        if std::os::unix::net::UnixStream::connect(path).is_ok() {
            return Err(Error::Conflict(format!(
                "{} is in use by another service",
                path.display()
            )));
        }
        std::fs::remove_file(path).map_err(io_err(format!(
            "removing the stale socket {}",
            path.display()
        )))?;
    }
    let listener = tokio::net::UnixListener::bind(path)
        .map_err(io_err(format!("binding {}", path.display())))?;
    std::fs::set_permissions(path, std::fs::Permissions::from_mode(0o660))
        .map_err(io_err(format!("setting the mode of {}", path.display())))?;
    if nix::unistd::geteuid().is_root() {
        let root = Some(nix::unistd::Uid::from_raw(0));
        let group = Some(gid.unwrap_or(nix::unistd::Gid::from_raw(0)));
        nix::unistd::chown(path, root, group).map_err(|e| Error::Io {
            context: format!("changing the owner of {}", path.display()),
            source: e.into(),
        })?;
    }
    Ok(listener)
}

/// The warning printed for a TCP address that is not loopback.
pub fn tcp_warning(addr: &SocketAddr) -> Option<String> {
    (!addr.ip().is_loopback()).then(|| {
        format!(
            "rpod: warning: serving the API on {addr}, which is not a loopback address: \
             anyone who can reach it controls rpod as root, without authentication"
        )
    })
}

/// Serves until idle or signalled; removes the socket file afterwards.
pub async fn serve(opts: ServiceOptions) -> Result<()> {
    let listener = match &opts.listen {
        Listen::Unix(path) => Listener::Unix(bind_unix(path, opts.group.as_deref())?, path.clone()),
        Listen::Tcp(addr) => {
            if let Some(w) = tcp_warning(addr) {
                eprintln!("{w}");
            }
            Listener::Tcp(
                tokio::net::TcpListener::bind(addr)
                    .await
                    .map_err(io_err(format!("binding {addr}")))?,
            )
        }
    };
    let tracker = Arc::new(Tracker::default());
    let state = AppState::new(opts.runtime.clone(), opts.rpod_exe.clone(), tracker.clone());
    let app = crate::routes::router(state.clone());
    let mut term = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate())
        .map_err(io_err("installing the SIGTERM handler".into()))?;
    let idle = {
        let tracker = tracker.clone();
        let timeout = opts.idle_timeout;
        async move {
            match timeout {
                Some(t) => tracker.idle_for(t).await,
                None => std::future::pending().await,
            }
        }
    };
    tokio::pin!(idle);
    loop {
        tokio::select! {
            _ = &mut idle => break,
            _ = term.recv() => break,
            _ = tokio::signal::ctrl_c() => break,
            conn = accept(&listener) => match conn {
                Ok(Conn::Unix(s)) => spawn_connection(s, app.clone(), state.clone()),
                Ok(Conn::Tcp(s)) => spawn_connection(s, app.clone(), state.clone()),
                Err(e) => {
                    eprintln!("rpod: warning: accepting a connection: {e}");
                    tokio::time::sleep(Duration::from_millis(50)).await;
                }
            },
        }
    }
    if let Listener::Unix(_, path) = &listener {
        let _ = std::fs::remove_file(path);
    }
    Ok(())
}

enum Conn {
    Unix(tokio::net::UnixStream),
    Tcp(tokio::net::TcpStream),
}

async fn accept(listener: &Listener) -> std::io::Result<Conn> {
    match listener {
        Listener::Unix(l, _) => l.accept().await.map(|(s, _)| Conn::Unix(s)),
        Listener::Tcp(l) => l.accept().await.map(|(s, _)| Conn::Tcp(s)),
    }
}

fn spawn_connection<S>(stream: S, app: Router, state: AppState)
where
    S: AsyncRead + AsyncWrite + Unpin + Send + 'static,
{
    tokio::spawn(async move {
        let service = hyper::service::service_fn(move |req: Request<Incoming>| {
            let app = app.clone();
            let state = state.clone();
            async move { Ok::<_, Infallible>(handle(app, state, req).await) }
        });
        let _ = hyper::server::conn::http1::Builder::new()
            .serve_connection(TokioIo::new(stream), service)
            .with_upgrades()
            .await;
    });
}

async fn handle(app: Router, state: AppState, req: Request<Incoming>) -> Response<Body> {
    let guard = state.tracker().begin();
    let mut req = req.map(Body::new);
    let logged = log_requests().then(|| format!("{} {}", req.method(), req.uri()));
    let mut resp = match strip_version(req.uri()) {
        Ok(Some(uri)) => {
            *req.uri_mut() = uri;
            route(app, req).await
        }
        Ok(None) => route(app, req).await,
        Err(e) => {
            let mut r = Response::new(Body::from(error_body(&e.to_string())));
            *r.status_mut() = e.status();
            r.headers_mut().insert(
                axum::http::header::CONTENT_TYPE,
                HeaderValue::from_static("application/json"),
            );
            r
        }
    };
    let h = resp.headers_mut();
    h.insert("Api-Version", HeaderValue::from_static(DOCKER_API_VERSION));
    h.insert("Docker-Experimental", HeaderValue::from_static("false"));
    h.insert("Ostype", HeaderValue::from_static("linux"));
    h.insert(
        "Libpod-Api-Version",
        HeaderValue::from_static(LIBPOD_API_VERSION),
    );
    if let Ok(v) = HeaderValue::from_str(&format!("rpod/{} (linux)", libpod::system::VERSION)) {
        h.insert(axum::http::header::SERVER, v);
    }
    if let Some(line) = logged {
        eprintln!("rpod-api: {line} -> {}", resp.status().as_u16());
    }
    if resp.status() == StatusCode::SWITCHING_PROTOCOLS {
        return resp;
    }
    resp.map(|b| GuardedBody::wrap(b, guard))
}

/// Whether `RPOD_API_LOG` asks for one line per request on stderr.
fn log_requests() -> bool {
    static ON: std::sync::OnceLock<bool> = std::sync::OnceLock::new();
    *ON.get_or_init(|| std::env::var_os("RPOD_API_LOG").is_some_and(|v| !v.is_empty() && v != "0"))
}

async fn route(app: Router, req: Request<Body>) -> Response<Body> {
    match app.oneshot(req).await {
        Ok(r) => r,
        Err(never) => match never {},
    }
}

/// Removes a `/v1.44` or `/v4.0.0` prefix; refuses Docker versions outside
/// the supported range.
fn strip_version(uri: &Uri) -> Result<Option<Uri>> {
    let path = uri.path();
    let Some(rest) = path.strip_prefix("/v") else {
        return Ok(None);
    };
    let (version, tail) = match rest.find('/') {
        Some(i) => (&rest[..i], &rest[i..]),
        None => (rest, "/"),
    };
    if version.is_empty() || !version.chars().all(|c| c.is_ascii_digit() || c == '.') {
        return Ok(None);
    }
    let mut parts = version.split('.');
    let major: u32 = parts.next().and_then(|p| p.parse().ok()).unwrap_or(0);
    let minor: u32 = parts.next().and_then(|p| p.parse().ok()).unwrap_or(0);
    if major == 1 && !tail.starts_with("/libpod/") {
        if minor > MAX_MINOR {
            return Err(Error::BadRequest(format!(
                "client version {version} is too new. Maximum supported API version is {DOCKER_API_VERSION}"
            )));
        }
        if minor < MIN_MINOR {
            return Err(Error::BadRequest(format!(
                "client version {version} is too old. Minimum supported API version is {DOCKER_MIN_API_VERSION}, please upgrade your client to a newer version"
            )));
        }
    }
    let new = match uri.query() {
        Some(q) => format!("{tail}?{q}"),
        None => tail.to_string(),
    };
    new.parse::<Uri>()
        .map(Some)
        .map_err(|e| Error::BadRequest(format!("invalid request path: {e}")))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn version_prefixes() {
        let u: Uri = "/v1.44/containers/json?all=1".parse().unwrap();
        assert_eq!(
            strip_version(&u).unwrap().unwrap().to_string(),
            "/containers/json?all=1"
        );
        let u: Uri = "/v4.0.0/libpod/_ping".parse().unwrap();
        assert_eq!(strip_version(&u).unwrap().unwrap().path(), "/libpod/_ping");
        let u: Uri = "/volumes".parse().unwrap();
        assert!(strip_version(&u).unwrap().is_none());
        let u: Uri = "/v1.99/info".parse().unwrap();
        assert!(strip_version(&u).is_err());
        let u: Uri = "/v1.12/info".parse().unwrap();
        assert!(strip_version(&u).is_err());
    }

    #[test]
    fn tcp_warnings() {
        assert!(tcp_warning(&"127.0.0.1:1".parse().unwrap()).is_none());
        assert!(tcp_warning(&"[::1]:1".parse().unwrap()).is_none());
        let w = tcp_warning(&"0.0.0.0:2375".parse().unwrap()).unwrap();
        assert!(w.contains("warning") && w.contains("0.0.0.0:2375"));
        assert!(tcp_warning(&"192.0.2.1:2375".parse().unwrap()).is_some());
    }

    #[test]
    fn groups() {
        assert_eq!(resolve_group("4321").unwrap().as_raw(), 4321);
        assert_eq!(resolve_group("root").unwrap().as_raw(), 0);
        assert!(resolve_group("no-such-group-rpod").is_err());
    }

    #[test]
    fn listen_uris() {
        assert_eq!(
            Listen::parse("unix:///run/rpod/rpod.sock").unwrap(),
            Listen::Unix("/run/rpod/rpod.sock".into())
        );
        assert_eq!(
            Listen::parse("tcp://127.0.0.1:8080").unwrap(),
            Listen::Tcp("127.0.0.1:8080".parse().unwrap())
        );
        assert!(Listen::parse("unix://relative").is_err());
        assert!(Listen::parse("http://x").is_err());
        assert!(Listen::parse("tcp://nonsense").is_err());
    }
}
