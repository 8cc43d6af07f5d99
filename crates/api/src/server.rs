//! The listener, the per-connection HTTP/1.1 server (with upgrades for
//! hijacked streams), the API version prefix, the common response headers,
//! the idle timeout, and the service's limits: header read and connection
//! idle timeouts, a cap on open connections, and a caught panic per request.

use std::convert::Infallible;
use std::net::SocketAddr;
use std::os::fd::AsFd;
use std::os::unix::fs::PermissionsExt;
use std::panic::AssertUnwindSafe;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use axum::body::Body;
use axum::http::{HeaderValue, Request, Response, StatusCode, Uri};
use axum::Router;
use futures_util::FutureExt;
use hyper::body::Incoming;
use hyper_util::rt::{TokioIo, TokioTimer};
use libpod::RuntimeOptions;
use tokio::io::{AsyncRead, AsyncWrite};
use tower::ServiceExt;

use crate::activity::{ConnSlot, Connection, Connections, Tracker};
use crate::body::GuardedBody;
use crate::error::{error_body, Error, Result};
use crate::hijack::{SocketKind, Tap};
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
    /// The group owning the unix socket (name or GID); `None` is root's.
    pub group: Option<String>,
    /// `--cors`: the `Access-Control-Allow-Origin` of every response (with
    /// Podman's allowed headers and methods); `None` sends no CORS headers.
    pub cors: Option<String>,
}

/// Podman's CORS headers on a response.
async fn add_cors(
    axum::extract::State(origin): axum::extract::State<Arc<str>>,
    mut res: axum::response::Response,
) -> axum::response::Response {
    use axum::http::HeaderValue;
    let headers = res.headers_mut();
    if let Ok(v) = HeaderValue::from_str(&origin) {
        headers.insert("Access-Control-Allow-Origin", v);
    }
    headers.insert(
        "Access-Control-Allow-Headers",
        HeaderValue::from_static(
            "Origin, X-Requested-With, Content-Type, Accept, X-Registry-Auth, Connection, Upgrade, X-Registry-Config",
        ),
    );
    headers.insert(
        "Access-Control-Allow-Methods",
        HeaderValue::from_static("HEAD, GET, POST, DELETE, PUT, OPTIONS"),
    );
    res
}

/// How long a client may take to send a request's headers (30 s), once it
/// starts one or while a kept-alive connection waits for the next.
pub const HEADER_TIMEOUT: Duration = Duration::from_secs(30);
/// How long a connection may stay open with no request in flight (60 s).
pub const CONNECTION_IDLE_TIMEOUT: Duration = Duration::from_secs(60);
/// The most connections open at once.
pub const MAX_CONNECTIONS: usize = 1024;

/// The limits that keep a hostile or sloppy client from exhausting the
/// service. The defaults can be changed through the environment (meant for
/// tests): `RPOD_API_HEADER_TIMEOUT_MS`, `RPOD_API_IDLE_CONN_TIMEOUT_MS`
/// (`0` turns either timeout off) and `RPOD_API_MAX_CONNECTIONS`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Limits {
    /// See [`HEADER_TIMEOUT`].
    pub header_timeout: Option<Duration>,
    /// See [`CONNECTION_IDLE_TIMEOUT`].
    pub connection_idle_timeout: Option<Duration>,
    /// See [`MAX_CONNECTIONS`].
    pub max_connections: usize,
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            header_timeout: Some(HEADER_TIMEOUT),
            connection_idle_timeout: Some(CONNECTION_IDLE_TIMEOUT),
            max_connections: MAX_CONNECTIONS,
        }
    }
}

impl Limits {
    /// The defaults, changed by the environment variables that are set.
    pub fn from_env() -> Result<Self> {
        Self::from_lookup(|name| std::env::var(name).ok())
    }

    fn from_lookup(get: impl Fn(&str) -> Option<String>) -> Result<Self> {
        let number = |name: &str| -> Result<Option<u64>> {
            get(name)
                .map(|v| {
                    v.trim().parse::<u64>().map_err(|_| {
                        Error::BadRequest(format!("{name}={v:?}: expected a whole number"))
                    })
                })
                .transpose()
        };
        let timeout = |name: &str, default: Duration| -> Result<Option<Duration>> {
            Ok(match number(name)? {
                None => Some(default),
                Some(0) => None,
                Some(ms) => Some(Duration::from_millis(ms)),
            })
        };
        let max_connections = match number("RPOD_API_MAX_CONNECTIONS")? {
            None => MAX_CONNECTIONS,
            Some(0) => {
                return Err(Error::BadRequest(
                    "RPOD_API_MAX_CONNECTIONS=0: at least one connection is needed".into(),
                ))
            }
            Some(n) => usize::try_from(n).unwrap_or(usize::MAX),
        };
        Ok(Limits {
            header_timeout: timeout("RPOD_API_HEADER_TIMEOUT_MS", HEADER_TIMEOUT)?,
            connection_idle_timeout: timeout(
                "RPOD_API_IDLE_CONN_TIMEOUT_MS",
                CONNECTION_IDLE_TIMEOUT,
            )?,
            max_connections,
        })
    }
}

/// File descriptors kept for other uses than connections (the engine's
/// database, logs, exec sessions, ...).
const RESERVED_FDS: u64 = 256;

/// Raises the soft limit on open files as far as `connections` need (up to
/// the hard limit) and returns how many connections fit under it.
fn fit_connections(connections: usize) -> usize {
    use nix::sys::resource::{getrlimit, setrlimit, Resource};
    let Ok((soft, hard)) = getrlimit(Resource::RLIMIT_NOFILE) else {
        return connections;
    };
    let wanted = (connections as u64).saturating_add(RESERVED_FDS);
    let mut soft_now = soft;
    if soft < wanted {
        let raised = wanted.min(hard);
        if setrlimit(Resource::RLIMIT_NOFILE, raised, hard).is_ok() {
            soft_now = raised;
        }
    }
    let fit = usize::try_from(soft_now.saturating_sub(RESERVED_FDS).max(1)).unwrap_or(usize::MAX);
    if fit < connections {
        eprintln!(
            "rpod: warning: the limit on open files ({soft_now}) allows only {fit} API connections at once"
        );
    }
    connections.min(fit)
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
    let result = rt.block_on(serve(opts));
    // Streams still open (an events or logs follow on a blocking thread)
    // get a moment to end; the service does not wait on them for ever.
    rt.shutdown_timeout(SHUTDOWN_GRACE);
    result
}

/// How long a stopping service waits for the work still running.
const SHUTDOWN_GRACE: Duration = Duration::from_secs(2);

enum Listener {
    Unix(tokio::net::UnixListener, PathBuf),
    Tcp(tokio::net::TcpListener),
}

fn io_err(context: String) -> impl FnOnce(std::io::Error) -> Error {
    move |source| Error::Io { context, source }
}

/// The longest unix socket path (`sun_path` less its NUL).
const MAX_SOCKET_PATH: usize = 107;

fn bind_unix(path: &Path, group: Option<&str>) -> Result<tokio::net::UnixListener> {
    let gid = group.map(resolve_group).transpose()?;
    if path.as_os_str().len() > MAX_SOCKET_PATH {
        return Err(Error::BadRequest(format!(
            "the socket path {} is longer than {MAX_SOCKET_PATH} bytes",
            path.display()
        )));
    }
    let dir = match path.parent() {
        Some(d) if !d.as_os_str().is_empty() => d,
        _ => Path::new("/"),
    };
    std::fs::create_dir_all(dir).map_err(io_err(format!("creating {}", dir.display())))?;
    if path.exists() && std::os::unix::net::UnixStream::connect(path).is_ok() {
        return Err(Error::Conflict(format!(
            "{} is in use by another service",
            path.display()
        )));
    }
    // The socket is made in a private (0700) directory next to its place,
    // given its mode and owner there, and renamed into place, so it never
    // appears with any other mode or owner; the rename also replaces a
    // stale socket atomically.
    let staging = tempfile::Builder::new()
        .prefix(".rpod-api-")
        .tempdir_in(dir)
        .map_err(io_err(format!(
            "creating a staging directory in {}",
            dir.display()
        )))?;
    let staged = staging.path().join("s");
    let staging_fd = std::fs::File::open(staging.path())
        .map_err(io_err(format!("opening {}", staging.path().display())))?;
    // The staging path is a little longer than the final one: bind through
    // the directory's fd when it does not fit.
    let bind_path = if staged.as_os_str().len() <= MAX_SOCKET_PATH {
        staged.clone()
    } else {
        use std::os::fd::AsRawFd;
        PathBuf::from(format!("/proc/self/fd/{}/s", staging_fd.as_raw_fd()))
    };
    let listener = tokio::net::UnixListener::bind(&bind_path)
        .map_err(io_err(format!("binding {}", path.display())))?;
    std::fs::set_permissions(&bind_path, std::fs::Permissions::from_mode(0o660))
        .map_err(io_err(format!("setting the mode of {}", path.display())))?;
    if nix::unistd::geteuid().is_root() {
        let root = Some(nix::unistd::Uid::from_raw(0));
        let group = Some(gid.unwrap_or(nix::unistd::Gid::from_raw(0)));
        nix::unistd::chown(&bind_path, root, group).map_err(|e| Error::Io {
            context: format!("changing the owner of {}", path.display()),
            source: e.into(),
        })?;
    }
    std::fs::rename(&bind_path, path).map_err(io_err(format!(
        "moving the socket into place at {}",
        path.display()
    )))?;
    drop(staging_fd);
    // Empty now; a failure to remove it leaves only an empty directory.
    let _ = staging.close();
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
    let limits = Limits::from_env()?;
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
    let conns = Connections::new(fit_connections(limits.max_connections));
    let tracker = Arc::new(Tracker::default());
    let state = AppState::new(opts.runtime.clone(), tracker.clone());
    let mut app = with_test_routes(crate::routes::router(state.clone()));
    if let Some(origin) = &opts.cors {
        axum::http::HeaderValue::from_str(origin).map_err(|_| {
            Error::BadRequest(format!("--cors {origin:?} is not a valid header value"))
        })?;
        app = app.layer(axum::middleware::map_response_with_state(
            Arc::<str>::from(origin.as_str()),
            add_cors,
        ));
    }
    let http = {
        let mut b = hyper::server::conn::http1::Builder::new();
        b.timer(TokioTimer::new())
            .header_read_timeout(limits.header_timeout);
        Arc::new(b)
    };
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
            conn = accept_admitted(&listener, &conns) => match conn {
                Ok((stream, slot)) => {
                    let conn = Served {
                        app: app.clone(),
                        state: state.clone(),
                        http: http.clone(),
                        slot,
                        idle_timeout: limits.connection_idle_timeout,
                    };
                    match stream {
                        Conn::Unix(s) => spawn_connection(Tap::new(s, SocketKind::Unix), conn),
                        Conn::Tcp(s) => spawn_connection(Tap::new(s, SocketKind::Tcp), conn),
                    }
                }
                Err(e) => {
                    libpod::diagnostics::warn(format_args!("rpod: warning: accepting a connection: {e}"));
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

/// Accepts a connection, then waits for a slot for it (see
/// [`Connections`]); while it waits, later connections wait in the listen
/// backlog.
async fn accept_admitted(
    listener: &Listener,
    conns: &Arc<Connections>,
) -> std::io::Result<(Conn, ConnSlot)> {
    let stream = accept(listener).await?;
    let slot = conns.admit().await;
    Ok((stream, slot))
}

/// What a connection is served with.
struct Served {
    app: Router,
    state: AppState,
    http: Arc<hyper::server::conn::http1::Builder>,
    slot: ConnSlot,
    idle_timeout: Option<Duration>,
}

/// A connection asked to close that has served a request is closed at
/// once only after this long without one (so a response just produced has
/// been written out); otherwise it is shut down gracefully.
const EVICTION_GRACE: Duration = Duration::from_secs(1);

fn spawn_connection<S>(stream: Tap<S>, served: Served)
where
    S: AsyncRead + AsyncWrite + AsFd + Unpin + Send + 'static,
{
    let raw = stream.raw();
    tokio::spawn(async move {
        let Served {
            app,
            state,
            http,
            slot,
            idle_timeout,
        } = served;
        let conn_state = slot.connection().clone();
        let service = {
            let conn_state = conn_state.clone();
            hyper::service::service_fn(move |mut req: Request<Incoming>| {
                let app = app.clone();
                let state = state.clone();
                let conn_state = conn_state.clone();
                req.extensions_mut().insert(raw.clone());
                async move { Ok::<_, Infallible>(handle(app, state, &conn_state, req).await) }
            })
        };
        let conn = http
            .serve_connection(TokioIo::new(stream), service)
            .with_upgrades();
        tokio::pin!(conn);
        let idle = async {
            match idle_timeout {
                Some(t) => conn_state.idle_for(t).await,
                None => std::future::pending().await,
            }
        };
        tokio::pin!(idle);
        let mut closing = false;
        loop {
            tokio::select! {
                // An upgraded (hijacked) connection finishes here too and
                // lives on in its own task.
                _ = conn.as_mut() => break,
                // No request in flight: nothing is lost by closing.
                _ = &mut idle => break,
                _ = conn_state.close_requested(), if !closing => {
                    if closable_now(&conn_state) {
                        break;
                    }
                    conn.as_mut().graceful_shutdown();
                    closing = true;
                }
            }
        }
        drop(slot);
    });
}

/// Whether closing the connection now loses nothing.
fn closable_now(conn: &Connection) -> bool {
    conn.in_flight() == 0 && (!conn.has_served() || conn.quiet_for() >= EVICTION_GRACE)
}

async fn handle(
    app: Router,
    state: AppState,
    conn: &Arc<Connection>,
    req: Request<Incoming>,
) -> Response<Body> {
    let guard = (state.tracker().begin(), conn.begin_request());
    let mut req = req.map(Body::new);
    let logged = log_requests().then(|| format!("{} {}", req.method(), req.uri()));
    let mut resp = match strip_version(req.uri()) {
        Ok(Some((uri, minor))) => {
            *req.uri_mut() = uri;
            if let Some(minor) = minor {
                req.extensions_mut().insert(DockerMinor(minor));
            }
            let docker = !req.uri().path().starts_with("/libpod/");
            docker_wording(route(app, req).await, docker)
        }
        Ok(None) => {
            let docker = !req.uri().path().starts_with("/libpod/");
            docker_wording(route(app, req).await, docker)
        }
        Err(e) => error_response(&e),
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

/// A Docker endpoint's error answer in Docker's words (see
/// [`crate::error::DockerMessage`]); the libpod API keeps Podman's.
fn docker_wording(mut resp: Response<Body>, docker: bool) -> Response<Body> {
    if let Some(crate::error::DockerMessage(m)) = resp
        .extensions_mut()
        .remove::<crate::error::DockerMessage>()
    {
        if docker {
            *resp.body_mut() = Body::from(error_body(&m));
            resp.headers_mut()
                .remove(axum::http::header::CONTENT_LENGTH);
        }
    }
    resp
}

fn error_response(e: &Error) -> Response<Body> {
    let mut r = Response::new(Body::from(error_body(&e.to_string())));
    *r.status_mut() = e.status();
    r.headers_mut().insert(
        axum::http::header::CONTENT_TYPE,
        HeaderValue::from_static("application/json"),
    );
    r
}

/// Routes the request; a panic in its handler becomes a 500 for this
/// request alone.
async fn route(app: Router, req: Request<Body>) -> Response<Body> {
    match AssertUnwindSafe(app.oneshot(req)).catch_unwind().await {
        Ok(Ok(r)) => r,
        Ok(Err(never)) => match never {},
        Err(panic) => error_response(&Error::Internal(format!(
            "internal error: {}",
            panic_message(panic.as_ref())
        ))),
    }
}

/// The message a panic was raised with.
fn panic_message(payload: &(dyn std::any::Any + Send)) -> &str {
    if let Some(s) = payload.downcast_ref::<&'static str>() {
        s
    } else if let Some(s) = payload.downcast_ref::<String>() {
        s
    } else {
        "a request handler panicked"
    }
}

/// With `RPOD_TEST_PANIC_ROUTE=1` in the environment of a debug build,
/// `GET /_rpod_test/panic` panics in its handler (and `?blocking=1` on a
/// blocking thread), to test that the service survives it. Release builds
/// have no such route.
#[cfg(debug_assertions)]
fn with_test_routes(app: Router) -> Router {
    #[derive(serde::Deserialize)]
    struct PanicQuery {
        blocking: Option<String>,
    }
    async fn panic_handler(
        axum::extract::Query(q): axum::extract::Query<PanicQuery>,
    ) -> Result<&'static str> {
        if q.blocking.as_deref() == Some("1") {
            return crate::state::blocking(|| -> Result<&'static str> {
                panic!("deliberate panic on a blocking thread")
            })
            .await;
        }
        panic!("deliberate panic in a request handler")
    }
    if std::env::var_os("RPOD_TEST_PANIC_ROUTE").is_some_and(|v| v == "1") {
        app.route("/_rpod_test/panic", axum::routing::get(panic_handler))
    } else {
        app
    }
}

#[cfg(not(debug_assertions))]
fn with_test_routes(app: Router) -> Router {
    app
}

/// The minor number of the Docker API version a request named (`/v1.41/…`);
/// a request without one gets the newest behaviour, as from Docker.
#[derive(Debug, Clone, Copy)]
pub struct DockerMinor(pub u32);

impl DockerMinor {
    /// The version of a request (the newest when it named none).
    pub fn of(ext: Option<axum::Extension<DockerMinor>>) -> u32 {
        ext.map(|e| e.0 .0).unwrap_or(MAX_MINOR)
    }
}

/// Removes a `/v1.44` or `/v4.0.0` prefix (with the Docker minor version it
/// named); refuses Docker versions outside the supported range.
fn strip_version(uri: &Uri) -> Result<Option<(Uri, Option<u32>)>> {
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
    let docker_minor = (major == 1 && !tail.starts_with("/libpod/")).then_some(minor);
    new.parse::<Uri>()
        .map(|u| Some((u, docker_minor)))
        .map_err(|e| Error::BadRequest(format!("invalid request path: {e}")))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn version_prefixes() {
        let u: Uri = "/v1.44/containers/json?all=1".parse().unwrap();
        assert_eq!(
            strip_version(&u).unwrap().unwrap().0.to_string(),
            "/containers/json?all=1"
        );
        let u: Uri = "/v4.0.0/libpod/_ping".parse().unwrap();
        assert_eq!(
            strip_version(&u).unwrap().unwrap().0.path(),
            "/libpod/_ping"
        );
        let u: Uri = "/volumes".parse().unwrap();
        assert!(strip_version(&u).unwrap().is_none());
        let u: Uri = "/v1.99/info".parse().unwrap();
        assert!(strip_version(&u).is_err());
        let u: Uri = "/v1.12/info".parse().unwrap();
        assert!(strip_version(&u).is_err());
    }

    #[test]
    fn limits_from_the_environment() {
        let none = Limits::from_lookup(|_| None).unwrap();
        assert_eq!(none, Limits::default());
        let set = Limits::from_lookup(|name| match name {
            "RPOD_API_HEADER_TIMEOUT_MS" => Some("1500".into()),
            "RPOD_API_IDLE_CONN_TIMEOUT_MS" => Some("0".into()),
            "RPOD_API_MAX_CONNECTIONS" => Some("16".into()),
            _ => None,
        })
        .unwrap();
        assert_eq!(set.header_timeout, Some(Duration::from_millis(1500)));
        assert_eq!(set.connection_idle_timeout, None);
        assert_eq!(set.max_connections, 16);
        for (name, value) in [
            ("RPOD_API_MAX_CONNECTIONS", "0"),
            ("RPOD_API_MAX_CONNECTIONS", "many"),
            ("RPOD_API_HEADER_TIMEOUT_MS", "-1"),
        ] {
            let err = Limits::from_lookup(|n| (n == name).then(|| value.to_string()))
                .unwrap_err()
                .to_string();
            assert!(err.contains(name), "{err}");
        }
    }

    #[test]
    fn panic_messages() {
        let p = std::panic::catch_unwind(|| panic!("boom {}", 1)).unwrap_err();
        assert_eq!(panic_message(p.as_ref()), "boom 1");
        let p = std::panic::catch_unwind(|| panic!("static")).unwrap_err();
        assert_eq!(panic_message(p.as_ref()), "static");
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
