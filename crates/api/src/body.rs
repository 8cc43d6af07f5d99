//! Request and response bodies: size-limited reading, JSON decoding,
//! streaming a request body into blocking code, and response bodies fed
//! from a channel or kept alive by an activity guard.

use std::convert::Infallible;
use std::io::Read;
use std::pin::Pin;
use std::task::{Context, Poll};

use axum::body::{Body, Bytes};
use http_body::Frame;
use serde::de::DeserializeOwned;
use tokio::sync::mpsc;

use crate::activity::ActivityGuard;
use crate::error::{Error, Result};

/// The largest request body read into memory (64 MiB). Image imports
/// stream instead.
pub const MAX_BODY: usize = 64 << 20;

/// Reads the whole body, refusing more than `limit` bytes.
pub async fn read_body(mut body: Body, limit: usize) -> Result<Bytes> {
    let mut out = Vec::new();
    while let Some(frame) = next_frame(&mut body).await {
        let frame =
            frame.map_err(|e| Error::BadRequest(format!("reading the request body: {e}")))?;
        if let Ok(data) = frame.into_data() {
            if out.len() + data.len() > limit {
                return Err(Error::TooLarge(format!(
                    "request body is larger than the limit of {limit} bytes"
                )));
            }
            out.extend_from_slice(&data);
        }
    }
    Ok(Bytes::from(out))
}

async fn next_frame(body: &mut Body) -> Option<std::result::Result<Frame<Bytes>, axum::Error>> {
    std::future::poll_fn(|cx| http_body::Body::poll_frame(Pin::new(&mut *body), cx)).await
}

/// Reads and decodes a JSON body; an empty body decodes as `null` (so
/// optional bodies become `None`/defaults).
pub async fn read_json<T: DeserializeOwned>(body: Body) -> Result<T> {
    let bytes = read_body(body, MAX_BODY).await?;
    let text: &[u8] = if bytes.iter().all(u8::is_ascii_whitespace) {
        b"null"
    } else {
        &bytes
    };
    let mut value: serde_json::Value = serde_json::from_slice(text)
        .map_err(|e| Error::BadRequest(format!("invalid JSON body: {e}")))?;
    drop_nulls(&mut value);
    serde_json::from_value(value).map_err(|e| Error::BadRequest(format!("invalid JSON body: {e}")))
}

/// Removes `null` members of objects (recursively): Go clients send
/// `"Driver": null` for fields they leave unset, which mean the default.
pub fn drop_nulls(v: &mut serde_json::Value) {
    match v {
        serde_json::Value::Object(map) => {
            // Network names map to settings; a null there means defaults.
            if let Some(serde_json::Value::Object(eps)) = map.get_mut("EndpointsConfig") {
                for ep in eps.values_mut().filter(|e| e.is_null()) {
                    *ep = serde_json::Value::Object(Default::default());
                }
            }
            map.retain(|_, m| !m.is_null());
            map.values_mut().for_each(drop_nulls);
        }
        serde_json::Value::Array(items) => items.iter_mut().for_each(drop_nulls),
        _ => {}
    }
}

/// A blocking reader over a request body that arrives asynchronously.
pub struct BodyReader {
    rx: mpsc::Receiver<std::io::Result<Bytes>>,
    current: Bytes,
}

impl BodyReader {
    /// Starts copying `body` (on the current tokio runtime) into a reader
    /// for blocking code.
    pub fn spawn(mut body: Body) -> Self {
        let (tx, rx) = mpsc::channel(16);
        tokio::spawn(async move {
            while let Some(frame) = next_frame(&mut body).await {
                let item = match frame {
                    Ok(f) => match f.into_data() {
                        Ok(d) => Ok(d),
                        Err(_) => continue,
                    },
                    Err(e) => Err(std::io::Error::other(e.to_string())),
                };
                let stop = item.is_err();
                if tx.send(item).await.is_err() || stop {
                    return;
                }
            }
        });
        BodyReader {
            rx,
            current: Bytes::new(),
        }
    }
}

impl Read for BodyReader {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        while self.current.is_empty() {
            match self.rx.blocking_recv() {
                Some(Ok(b)) => self.current = b,
                Some(Err(e)) => return Err(e),
                None => return Ok(0),
            }
        }
        let n = buf.len().min(self.current.len());
        buf[..n].copy_from_slice(&self.current[..n]);
        self.current = self.current.slice(n..);
        Ok(n)
    }
}

/// A response body fed from a channel: it ends when every sender is gone.
pub struct ChannelBody {
    rx: mpsc::Receiver<Bytes>,
}

impl ChannelBody {
    /// A body and the sender that feeds it.
    pub fn channel(capacity: usize) -> (mpsc::Sender<Bytes>, Body) {
        let (tx, rx) = mpsc::channel(capacity);
        (tx, Body::new(ChannelBody { rx }))
    }

    /// A body fed by an existing receiver.
    pub fn from_receiver(rx: mpsc::Receiver<Bytes>) -> Body {
        Body::new(ChannelBody { rx })
    }
}

impl http_body::Body for ChannelBody {
    type Data = Bytes;
    type Error = Infallible;

    fn poll_frame(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<std::result::Result<Frame<Bytes>, Infallible>>> {
        self.rx.poll_recv(cx).map(|b| b.map(|b| Ok(Frame::data(b))))
    }
}

/// A response body that keeps an [`ActivityGuard`] until it ends.
pub struct GuardedBody {
    inner: Body,
    guard: Option<ActivityGuard>,
}

impl GuardedBody {
    /// Wraps `inner`; the guard is released when the body ends or drops.
    pub fn wrap(inner: Body, guard: ActivityGuard) -> Body {
        Body::new(GuardedBody {
            inner,
            guard: Some(guard),
        })
    }
}

impl http_body::Body for GuardedBody {
    type Data = Bytes;
    type Error = axum::Error;

    fn poll_frame(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<std::result::Result<Frame<Bytes>, axum::Error>>> {
        let polled = Pin::new(&mut self.inner).poll_frame(cx);
        if let Poll::Ready(None) = polled {
            self.guard.take();
        }
        polled
    }

    fn is_end_stream(&self) -> bool {
        self.inner.is_end_stream()
    }

    fn size_hint(&self) -> http_body::SizeHint {
        self.inner.size_hint()
    }
}
