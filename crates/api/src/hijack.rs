//! Hijacked connections (attach, exec start). When the client asks for an
//! upgrade (`Connection: Upgrade`, `Upgrade: tcp`, as the docker CLI and
//! docker-py do) the answer is `101 UPGRADED` and the socket carries the
//! output one way and stdin the other. Without it (as `podman --remote`
//! asks) the connection is taken over all the same, as Podman and Docker
//! do: a bare `200 OK` head, then the stream until the connection closes,
//! with stdin read from the same socket.

use std::os::fd::{AsFd, AsRawFd, BorrowedFd, OwnedFd, RawFd};
use std::pin::Pin;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::task::{Context, Poll};

use axum::body::{Body, Bytes};
use axum::http::{header, HeaderMap, HeaderValue, Response, StatusCode};
use hyper::upgrade::OnUpgrade;
use hyper_util::rt::TokioIo;
use libpod::monitor::{AttachClient, Frame};
use tokio::io::{AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt, ReadBuf};
use tokio::sync::mpsc;

use crate::activity::ActivityGuard;
use crate::stream::{encode, STDERR, STDOUT};

/// Which kind of socket a connection is.
#[derive(Debug, Clone, Copy)]
pub enum SocketKind {
    Unix,
    Tcp,
}

/// A connection's socket, which a handler may take over from the HTTP
/// server (see [`Tap`]). Every request carries its connection's.
#[derive(Debug, Clone)]
pub struct RawConn {
    inner: Arc<RawInner>,
}

#[derive(Debug)]
struct RawInner {
    fd: RawFd,
    kind: SocketKind,
    taken: AtomicBool,
}

/// A taken-over connection, read and written by the handler.
pub trait RawStream: AsyncRead + AsyncWrite + Unpin + Send {}
impl<T: AsyncRead + AsyncWrite + Unpin + Send> RawStream for T {}

impl RawConn {
    fn taken(&self) -> bool {
        self.inner.taken.load(Ordering::Acquire)
    }

    /// Takes the connection over: from now on the HTTP server sees it
    /// closed and whatever it writes is dropped, while the returned stream
    /// (a duplicate of the socket) is the handler's.
    fn take(&self) -> std::io::Result<Box<dyn RawStream>> {
        // SAFETY: the fd belongs to the connection's stream, which is open
        // while a request of it is being handled.
        let fd = unsafe { BorrowedFd::borrow_raw(self.inner.fd) };
        let dup: OwnedFd = fd.try_clone_to_owned()?;
        self.inner.taken.store(true, Ordering::Release);
        Ok(match self.inner.kind {
            SocketKind::Unix => Box::new(tokio::net::UnixStream::from_std(
                std::os::unix::net::UnixStream::from(dup),
            )?),
            SocketKind::Tcp => Box::new(tokio::net::TcpStream::from_std(
                std::net::TcpStream::from(dup),
            )?),
        })
    }
}

/// A connection's stream as the HTTP server sees it: the socket itself
/// until a handler takes it over, then a closed one.
pub struct Tap<S> {
    inner: S,
    raw: RawConn,
}

impl<S: AsFd> Tap<S> {
    pub fn new(inner: S, kind: SocketKind) -> Self {
        let raw = RawConn {
            inner: Arc::new(RawInner {
                fd: inner.as_fd().as_raw_fd(),
                kind,
                taken: AtomicBool::new(false),
            }),
        };
        Tap { inner, raw }
    }

    pub fn raw(&self) -> RawConn {
        self.raw.clone()
    }
}

impl<S: AsyncRead + Unpin> AsyncRead for Tap<S> {
    fn poll_read(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<std::io::Result<()>> {
        if self.raw.taken() {
            return Poll::Ready(Ok(()));
        }
        Pin::new(&mut self.inner).poll_read(cx, buf)
    }
}

impl<S: AsyncWrite + Unpin> AsyncWrite for Tap<S> {
    fn poll_write(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<std::io::Result<usize>> {
        if self.raw.taken() {
            return Poll::Ready(Ok(buf.len()));
        }
        Pin::new(&mut self.inner).poll_write(cx, buf)
    }

    fn poll_flush(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<std::io::Result<()>> {
        if self.raw.taken() {
            return Poll::Ready(Ok(()));
        }
        Pin::new(&mut self.inner).poll_flush(cx)
    }

    fn poll_shutdown(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<std::io::Result<()>> {
        if self.raw.taken() {
            // The socket is the handler's now: shutting it down here would
            // cut its stream.
            return Poll::Ready(Ok(()));
        }
        Pin::new(&mut self.inner).poll_shutdown(cx)
    }
}

/// How a hijacked stream reaches its client.
pub enum Hijack {
    /// The client asked for an upgrade: `101`, then the upgraded socket.
    Upgrade(OnUpgrade),
    /// No upgrade asked: a bare `200` head on the taken-over socket.
    Raw(RawConn),
}

impl Hijack {
    /// The way to answer this request: an upgrade when the client asked
    /// for one, else the connection's socket taken over.
    pub fn of(req: &mut axum::extract::Request) -> Option<Hijack> {
        if wants_upgrade(req.headers()) {
            Some(Hijack::Upgrade(hyper::upgrade::on(req)))
        } else {
            req.extensions().get::<RawConn>().cloned().map(Hijack::Raw)
        }
    }
}

/// True when the client asked to upgrade the connection.
pub fn wants_upgrade(headers: &HeaderMap) -> bool {
    headers.contains_key(header::UPGRADE)
        && headers
            .get(header::CONNECTION)
            .and_then(|v| v.to_str().ok())
            .is_some_and(|v| v.to_ascii_lowercase().contains("upgrade"))
}

/// The `101 UPGRADED` answer.
pub fn upgrade_response(content_type: &'static str) -> Response<Body> {
    let mut r = Response::new(Body::empty());
    *r.status_mut() = StatusCode::SWITCHING_PROTOCOLS;
    let h = r.headers_mut();
    h.insert(header::CONNECTION, HeaderValue::from_static("Upgrade"));
    h.insert(header::UPGRADE, HeaderValue::from_static("tcp"));
    h.insert(header::CONTENT_TYPE, HeaderValue::from_static(content_type));
    r
}

/// A streamed `200` answer.
pub fn stream_response(content_type: &'static str, body: Body) -> Response<Body> {
    let mut r = Response::new(body);
    r.headers_mut()
        .insert(header::CONTENT_TYPE, HeaderValue::from_static(content_type));
    r
}

/// What a hijacked connection is bridged to.
pub struct Bridge {
    /// Encoded output for the client; the connection is closed when it ends.
    pub output: mpsc::Receiver<Bytes>,
    /// Where the client's input goes (`None` marks its end), if stdin is
    /// attached.
    pub input: Option<mpsc::Sender<Option<Bytes>>>,
    /// Called when the client went away or detached, to unblock producers.
    pub on_close: Box<dyn FnOnce() + Send>,
    /// Detach sequence recognised in the input (tty sessions).
    pub detach_keys: Vec<u8>,
}

/// Answers with the hijacked stream: starts copying between the client's
/// socket and the bridge, and returns the response the HTTP server sends
/// (the `101`, or nothing that reaches the client once the socket is taken).
pub fn respond(
    how: Hijack,
    content_type: &'static str,
    bridge: Bridge,
    guard: ActivityGuard,
) -> crate::error::Result<Response<Body>> {
    match how {
        Hijack::Upgrade(on_upgrade) => {
            tokio::spawn(async move {
                let _guard = guard;
                match on_upgrade.await {
                    Ok(upgraded) => {
                        // Output that is there at once (the logs of an attach)
                        // waits a moment: a client reading the 101 response
                        // through a buffered reader (docker-py) would lose
                        // bytes that arrive with it.
                        if !bridge.output.is_empty() {
                            tokio::time::sleep(std::time::Duration::from_millis(20)).await;
                        }
                        pump(TokioIo::new(upgraded), bridge).await
                    }
                    Err(_) => (bridge.on_close)(),
                }
            });
            Ok(upgrade_response(content_type))
        }
        Hijack::Raw(raw) => {
            let mut io = raw.take().map_err(|e| {
                crate::error::Error::Internal(format!("taking over the connection: {e}"))
            })?;
            tokio::spawn(async move {
                let _guard = guard;
                let head = format!("HTTP/1.1 200 OK\r\nContent-Type: {content_type}\r\n\r\n");
                if io.write_all(head.as_bytes()).await.is_err() {
                    (bridge.on_close)();
                    return;
                }
                pump(io, bridge).await;
            });
            Ok(Response::new(Body::empty()))
        }
    }
}

/// Copies between the client's socket and the bridge until the output ends,
/// the client goes away or it detaches.
async fn pump<IO: AsyncRead + AsyncWrite + Unpin + Send + 'static>(io: IO, bridge: Bridge) {
    {
        let Bridge {
            mut output,
            input,
            on_close,
            detach_keys,
        } = bridge;
        let (mut rd, mut wr) = tokio::io::split(io);
        let (detach_tx, mut detach_rx) = mpsc::channel::<()>(1);
        let reader = input.map(|tx| {
            tokio::spawn(async move {
                let mut buf = vec![0u8; 32 * 1024];
                let mut matched = 0usize;
                loop {
                    match rd.read(&mut buf).await {
                        Ok(0) => {
                            let _ = tx.send(None).await;
                            return;
                        }
                        Ok(n) => {
                            let (data, detached) =
                                scan_detach(&buf[..n], &detach_keys, &mut matched);
                            if !data.is_empty() && tx.send(Some(Bytes::from(data))).await.is_err() {
                                return;
                            }
                            if detached {
                                let _ = detach_tx.send(()).await;
                                return;
                            }
                        }
                        Err(_) => {
                            let _ = detach_tx.send(()).await;
                            return;
                        }
                    }
                }
            })
        });
        let mut closed_early = false;
        loop {
            tokio::select! {
                chunk = output.recv() => match chunk {
                    Some(b) => {
                        if wr.write_all(&b).await.is_err() || wr.flush().await.is_err() {
                            closed_early = true;
                            break;
                        }
                    }
                    None => break,
                },
                Some(()) = detach_rx.recv() => {
                    closed_early = true;
                    break;
                }
            }
        }
        if closed_early {
            on_close();
        }
        let _ = wr.shutdown().await;
        if let Some(r) = reader {
            r.abort();
        }
    }
}

/// Passes input through, stopping at the detach sequence. Returns the bytes
/// to forward and whether the sequence completed.
fn scan_detach(data: &[u8], keys: &[u8], matched: &mut usize) -> (Vec<u8>, bool) {
    if keys.is_empty() {
        return (data.to_vec(), false);
    }
    let mut out = Vec::with_capacity(data.len());
    for &b in data {
        if b == keys[*matched] {
            *matched += 1;
            if *matched == keys.len() {
                return (out, true);
            }
        } else {
            out.extend_from_slice(&keys[..*matched]);
            *matched = 0;
            if b == keys[0] {
                *matched = 1;
            } else {
                out.push(b);
            }
        }
    }
    (out, false)
}

/// Copies a container's output from its attach socket to `tx`, framed,
/// until the container's output ends or the receiver is gone.
pub fn pump_attach_output(
    client: &AttachClient,
    tx: &mpsc::Sender<Bytes>,
    tty: bool,
    stdout: bool,
    stderr: bool,
) {
    let mut buf = vec![0u8; libpod::monitor::attach::MAX_PAYLOAD];
    loop {
        let (stream, n) = match client.recv(&mut buf) {
            Ok(Frame::Stdout(n)) => (STDOUT, n),
            Ok(Frame::Stderr(n)) => (STDERR, n),
            Ok(Frame::Eof) | Err(_) => return,
        };
        let wanted = if stream == STDOUT { stdout } else { stderr };
        if !wanted || n == 0 {
            continue;
        }
        if tx.blocking_send(encode(stream, &buf[..n], tty)).is_err() {
            return;
        }
    }
}

/// Forwards stdin chunks to the attach socket; `None` closes the
/// container's stdin.
pub fn pump_attach_input(client: &AttachClient, mut rx: mpsc::Receiver<Option<Bytes>>) {
    while let Some(item) = rx.blocking_recv() {
        match item {
            Some(b) => {
                if client.send_stdin(&b).is_err() {
                    return;
                }
            }
            None => {
                let _ = client.close_stdin();
                return;
            }
        }
    }
}

/// Unblocks a thread waiting in `recv` on the attach socket.
pub fn shutdown_attach(client: &Arc<AttachClient>) {
    let _ = nix::sys::socket::shutdown(client.as_raw_fd(), nix::sys::socket::Shutdown::Both);
}

#[cfg(test)]
mod tests {
    use super::scan_detach;

    #[test]
    fn detach_sequence() {
        let keys = [16u8, 17];
        let mut m = 0;
        assert_eq!(scan_detach(b"ab", &keys, &mut m), (b"ab".to_vec(), false));
        assert_eq!(
            scan_detach(&[b'x', 16], &keys, &mut m),
            (b"x".to_vec(), false)
        );
        assert_eq!(scan_detach(&[17, b'y'], &keys, &mut m), (vec![], true));
        let mut m = 0;
        assert_eq!(
            scan_detach(&[16, b'z'], &keys, &mut m),
            (vec![16, b'z'], false)
        );
        assert_eq!(scan_detach(b"q", &[], &mut m), (b"q".to_vec(), false));
    }
}
