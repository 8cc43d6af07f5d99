//! Hijacked connections (attach, exec start). When the client asks for an
//! upgrade (`Connection: Upgrade`, `Upgrade: tcp`, as the docker CLI and
//! docker-py do) the answer is `101 UPGRADED` and the socket carries the
//! output one way and stdin the other. Without it, the output is streamed as
//! a `200` body of the same content type (no stdin).

use std::os::fd::AsRawFd;
use std::sync::Arc;

use axum::body::{Body, Bytes};
use axum::http::{header, HeaderMap, HeaderValue, Response, StatusCode};
use hyper::upgrade::OnUpgrade;
use hyper_util::rt::TokioIo;
use libpod::monitor::{AttachClient, Frame};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::sync::mpsc;

use crate::activity::ActivityGuard;
use crate::stream::{encode, STDERR, STDOUT};

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

/// Waits for the upgrade and copies between the socket and the bridge.
pub fn spawn(on_upgrade: OnUpgrade, bridge: Bridge, guard: ActivityGuard) {
    tokio::spawn(async move {
        let _guard = guard;
        let Bridge {
            mut output,
            input,
            on_close,
            detach_keys,
        } = bridge;
        let Ok(upgraded) = on_upgrade.await else {
            on_close();
            return;
        };
        let (mut rd, mut wr) = tokio::io::split(TokioIo::new(upgraded));
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
    });
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
