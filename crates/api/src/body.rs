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

/// The most values (objects, arrays, strings, numbers, `true`, `false`,
/// `null`) a JSON body may hold. Each costs tens of bytes once decoded,
/// however few bytes it takes in the body (`[{},{},…]`), so this bounds the
/// memory of a decoded request; no real request comes near it.
pub const MAX_JSON_VALUES: usize = 1 << 18;

/// The deepest nesting of a JSON body (as serde_json's own limit).
pub const MAX_JSON_DEPTH: usize = 128;

/// JSON bodies larger than this are decoded on a blocking thread.
const BLOCKING_JSON: usize = 256 << 10;

/// Reads the whole body, refusing more than `limit` bytes.
pub async fn read_body(body: Body, limit: usize) -> Result<Bytes> {
    read_body_vec(body, limit).await.map(Bytes::from)
}

/// Reads the whole body into one buffer, sized up front when the length is
/// known, refusing more than `limit` bytes.
async fn read_body_vec(mut body: Body, limit: usize) -> Result<Vec<u8>> {
    let too_large = || {
        Error::TooLarge(format!(
            "request body is larger than the limit of {limit} bytes"
        ))
    };
    let hint = http_body::Body::size_hint(&body);
    let expected = usize::try_from(hint.lower()).unwrap_or(usize::MAX);
    if expected > limit {
        return Err(too_large());
    }
    let mut out = Vec::with_capacity(expected);
    while let Some(frame) = next_frame(&mut body).await {
        let frame =
            frame.map_err(|e| Error::BadRequest(format!("reading the request body: {e}")))?;
        if let Ok(data) = frame.into_data() {
            if out.len() + data.len() > limit {
                return Err(too_large());
            }
            out.extend_from_slice(&data);
        }
    }
    Ok(out)
}

async fn next_frame(body: &mut Body) -> Option<std::result::Result<Frame<Bytes>, axum::Error>> {
    std::future::poll_fn(|cx| http_body::Body::poll_frame(Pin::new(&mut *body), cx)).await
}

/// Reads and decodes a JSON body; an empty body decodes as `null` (so
/// optional bodies become `None`/defaults). `null` members of objects mean
/// the member is absent: Go clients send `"Driver": null` for fields they
/// leave unset, which mean the default.
///
/// The body is decoded straight into `T` from the one buffer it was read
/// into (nulls are dropped in place first), so decoding needs the body's
/// size plus what `T` itself holds, and members `T` does not know cost
/// nothing; [`MAX_JSON_VALUES`] bounds what `T` can hold.
pub async fn read_json<T: DeserializeOwned + Send + 'static>(body: Body) -> Result<T> {
    let bytes = read_body_vec(body, MAX_BODY).await?;
    if bytes.len() > BLOCKING_JSON {
        crate::state::blocking(move || decode_json(bytes)).await
    } else {
        decode_json(bytes)
    }
}

/// Decodes a JSON request body (see [`read_json`]).
pub fn decode_json<T: DeserializeOwned>(mut bytes: Vec<u8>) -> Result<T> {
    if bytes.iter().all(u8::is_ascii_whitespace) {
        return serde_json::from_slice(b"null")
            .map_err(|e| Error::BadRequest(format!("invalid JSON body: {e}")));
    }
    drop_null_members(&mut bytes)?;
    serde_json::from_slice(&bytes).map_err(|e| Error::BadRequest(format!("invalid JSON body: {e}")))
}

/// What [`drop_null_members`] expects next.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Want {
    Value,
    ValueOrClose,
    Key,
    KeyOrClose,
    Colon,
    CommaOrClose,
    End,
}

/// An object or array being scanned.
#[derive(Debug)]
struct Container {
    object: bool,
    /// The members of `EndpointsConfig` keep their nulls: a network named
    /// with `null` settings is still joined.
    keep_nulls: bool,
    /// Where the current member starts in the output.
    member_start: usize,
    /// Members written so far.
    members: usize,
    /// A `,` was read and not yet written.
    comma: bool,
}

/// Why a body is not acceptable JSON.
#[derive(Debug, PartialEq, Eq)]
enum ScanError {
    Syntax(&'static str, usize),
    TooManyValues,
    TooDeep,
}

fn is_ws(c: u8) -> bool {
    matches!(c, b' ' | b'\t' | b'\n' | b'\r')
}

fn ends_token(c: u8) -> bool {
    is_ws(c) || matches!(c, b',' | b':' | b'[' | b']' | b'{' | b'}' | b'"')
}

/// Moves `buf[from..to]` to `w` (`w <= from`); returns the new end.
fn shift(buf: &mut [u8], from: usize, to: usize, w: usize) -> usize {
    if from != w {
        buf.copy_within(from..to, w);
    }
    w + (to - from)
}

/// The index after the string starting with the quote at `start`.
fn string_end(buf: &[u8], start: usize) -> std::result::Result<usize, ScanError> {
    let mut i = start + 1;
    while i < buf.len() {
        match buf[i] {
            b'"' => return Ok(i + 1),
            b'\\' => i += 2,
            _ => i += 1,
        }
    }
    Err(ScanError::Syntax("EOF while parsing a string", buf.len()))
}

/// Whether the key (with its quotes) is `EndpointsConfig`.
fn is_endpoints_key(raw: &[u8]) -> bool {
    const KEY: &[u8] = b"\"EndpointsConfig\"";
    raw == KEY
        || (raw.contains(&b'\\')
            && serde_json::from_slice::<String>(raw).is_ok_and(|k| k == "EndpointsConfig"))
}

/// Drops every `"key": null` member of the objects of the JSON text in
/// `buf`, in place and in one pass, checking the text's structure, its
/// depth and its number of values on the way; scalars are copied as they
/// are and checked by the decoder afterwards.
fn drop_null_members(buf: &mut Vec<u8>) -> Result<()> {
    match scan(buf) {
        Ok(end) => {
            buf.truncate(end);
            Ok(())
        }
        Err(ScanError::TooManyValues) => Err(Error::TooLarge(format!(
            "the JSON body holds more than {MAX_JSON_VALUES} values"
        ))),
        Err(ScanError::TooDeep) => Err(Error::BadRequest(format!(
            "invalid JSON body: nested more than {MAX_JSON_DEPTH} levels deep"
        ))),
        Err(ScanError::Syntax(what, at)) => {
            // The decoder's own message says more (line and column), and
            // the text before `at` is only missing some null members.
            let msg = serde_json::from_slice::<serde::de::IgnoredAny>(buf)
                .err()
                .map(|e| e.to_string())
                .unwrap_or_else(|| format!("{what} at byte {at}"));
            Err(Error::BadRequest(format!("invalid JSON body: {msg}")))
        }
    }
}

/// [`drop_null_members`]'s pass: returns the length of the output, which
/// starts the buffer (on errors the buffer is left partly rewritten).
fn scan(buf: &mut [u8]) -> std::result::Result<usize, ScanError> {
    let n = buf.len();
    let (mut r, mut w) = (0, 0);
    let mut stack: Vec<Container> = Vec::new();
    let mut want = Want::Value;
    let mut values = 0usize;
    let mut endpoints_key = false;
    // After a value: the next member or element, or the end.
    let after_value = |stack: &mut Vec<Container>, dropped: bool| match stack.last_mut() {
        None => Want::End,
        Some(f) => {
            if f.object && !dropped {
                f.members += 1;
            }
            Want::CommaOrClose
        }
    };
    while r < n {
        let c = buf[r];
        if is_ws(c) {
            let start = r;
            while r < n && is_ws(buf[r]) {
                r += 1;
            }
            w = shift(buf, start, r, w);
            continue;
        }
        let closes = match stack.last() {
            Some(f) if f.object => c == b'}',
            Some(_) => c == b']',
            None => false,
        };
        match want {
            Want::End => return Err(ScanError::Syntax("trailing characters", r)),
            Want::Colon => {
                if c != b':' {
                    return Err(ScanError::Syntax("expected `:`", r));
                }
                w = shift(buf, r, r + 1, w);
                r += 1;
                want = Want::Value;
            }
            Want::KeyOrClose | Want::CommaOrClose | Want::ValueOrClose if closes => {
                stack.pop();
                w = shift(buf, r, r + 1, w);
                r += 1;
                want = after_value(&mut stack, false);
            }
            Want::Key | Want::KeyOrClose => {
                if c != b'"' {
                    return Err(ScanError::Syntax("expected a key", r));
                }
                let end = string_end(buf, r)?;
                let Some(f) = stack.last_mut() else {
                    return Err(ScanError::Syntax("expected a value", r));
                };
                f.member_start = w;
                if f.comma && f.members > 0 {
                    // The comma was read (and not written) before `r`.
                    buf[w] = b',';
                    w += 1;
                }
                f.comma = false;
                endpoints_key = is_endpoints_key(&buf[r..end]);
                w = shift(buf, r, end, w);
                r = end;
                want = Want::Colon;
            }
            Want::CommaOrClose => {
                let Some(f) = stack.last_mut() else {
                    return Err(ScanError::Syntax("trailing characters", r));
                };
                if c != b',' {
                    return Err(ScanError::Syntax(
                        if f.object {
                            "expected `,` or `}`"
                        } else {
                            "expected `,` or `]`"
                        },
                        r,
                    ));
                }
                if f.object {
                    f.comma = true;
                    want = Want::Key;
                } else {
                    w = shift(buf, r, r + 1, w);
                    want = Want::Value;
                }
                r += 1;
            }
            Want::Value | Want::ValueOrClose => {
                values += 1;
                if values > MAX_JSON_VALUES {
                    return Err(ScanError::TooManyValues);
                }
                let keep_nulls = std::mem::take(&mut endpoints_key);
                match c {
                    b'{' | b'[' => {
                        if stack.len() >= MAX_JSON_DEPTH {
                            return Err(ScanError::TooDeep);
                        }
                        let object = c == b'{';
                        stack.push(Container {
                            object,
                            keep_nulls: keep_nulls && object,
                            member_start: w,
                            members: 0,
                            comma: false,
                        });
                        w = shift(buf, r, r + 1, w);
                        r += 1;
                        want = if object {
                            Want::KeyOrClose
                        } else {
                            Want::ValueOrClose
                        };
                    }
                    b'"' => {
                        let end = string_end(buf, r)?;
                        w = shift(buf, r, end, w);
                        r = end;
                        want = after_value(&mut stack, false);
                    }
                    _ => {
                        let start = r;
                        while r < n && !ends_token(buf[r]) {
                            r += 1;
                        }
                        if start == r {
                            return Err(ScanError::Syntax("expected a value", r));
                        }
                        let member = stack.last().filter(|f| f.object && !f.keep_nulls);
                        let dropped = match member {
                            Some(f) if &buf[start..r] == b"null" => {
                                w = f.member_start;
                                true
                            }
                            _ => {
                                w = shift(buf, start, r, w);
                                false
                            }
                        };
                        want = after_value(&mut stack, dropped);
                    }
                }
            }
        }
    }
    if want != Want::End {
        return Err(ScanError::Syntax("EOF while parsing", n));
    }
    Ok(w)
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

/// A response body that keeps a guard (an [`ActivityGuard`], a
/// [`crate::activity::RequestGuard`], ...) until it ends.
pub struct GuardedBody<G = ActivityGuard> {
    inner: Body,
    guard: Option<G>,
}

impl<G: Send + Unpin + 'static> GuardedBody<G> {
    /// Wraps `inner`; the guard is released when the body ends or drops.
    pub fn wrap(inner: Body, guard: G) -> Body {
        Body::new(GuardedBody {
            inner,
            guard: Some(guard),
        })
    }
}

impl<G: Unpin> http_body::Body for GuardedBody<G> {
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

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::{json, Value};

    /// What decoding meant before: parse, then drop null members
    /// recursively, keeping (as `{}`) those of `EndpointsConfig`.
    fn reference(text: &[u8]) -> Option<Value> {
        fn drop_nulls(v: &mut Value) {
            match v {
                Value::Object(map) => {
                    if let Some(Value::Object(eps)) = map.get_mut("EndpointsConfig") {
                        for ep in eps.values_mut().filter(|e| e.is_null()) {
                            *ep = Value::Object(Default::default());
                        }
                    }
                    map.retain(|_, m| !m.is_null());
                    map.values_mut().for_each(drop_nulls);
                }
                Value::Array(items) => items.iter_mut().for_each(drop_nulls),
                _ => {}
            }
        }
        let mut v: Value = serde_json::from_slice(text).ok()?;
        drop_nulls(&mut v);
        Some(v)
    }

    /// Nulls of `EndpointsConfig` stay null now (decoded as `None`); the
    /// reference made them `{}`.
    fn endpoints_as_reference(v: &mut Value) {
        match v {
            Value::Object(map) => {
                if let Some(Value::Object(eps)) = map.get_mut("EndpointsConfig") {
                    for ep in eps.values_mut().filter(|e| e.is_null()) {
                        *ep = Value::Object(Default::default());
                    }
                }
                map.values_mut().for_each(endpoints_as_reference);
            }
            Value::Array(items) => items.iter_mut().for_each(endpoints_as_reference),
            _ => {}
        }
    }

    fn decoded(text: &[u8]) -> Result<Value> {
        decode_json::<Value>(text.to_vec()).map(|mut v| {
            endpoints_as_reference(&mut v);
            v
        })
    }

    #[test]
    fn null_members_are_dropped() {
        let cases: &[(&str, Value)] = &[
            (r#"{"a":null}"#, json!({})),
            (r#"{"a":null,"b":1}"#, json!({"b": 1})),
            (r#"{"a":1,"b":null}"#, json!({"a": 1})),
            (r#"{"a":1,"b":null,"c":2}"#, json!({"a": 1, "c": 2})),
            (
                r#" { "a" : null , "b" : [ null , { "c" : null } ] , "d" : null } "#,
                json!({"b": [null, {}]}),
            ),
            (
                r#"{"s":"null","t":"a\"b\\","u":null}"#,
                json!({"s": "null", "t": "a\"b\\"}),
            ),
            (r#"[null,{"x":null},null]"#, json!([null, {}, null])),
            ("null", Value::Null),
            ("  \n", Value::Null),
            (r#""text""#, json!("text")),
            (
                r#"{"n":-1.5e3,"t":true,"f":false}"#,
                json!({"n": -1.5e3, "t": true, "f": false}),
            ),
            (
                r#"{"NetworkingConfig":{"EndpointsConfig":{"net":null,"b":{"Aliases":null}}}}"#,
                json!({"NetworkingConfig":{"EndpointsConfig":{"net":{},"b":{}}}}),
            ),
            (
                r#"{"EndpointsConfig":{"net":null},"Other":{"net":null}}"#,
                json!({"EndpointsConfig":{"net":{}},"Other":{}}),
            ),
            (
                r#"{"Endpoints\u0043onfig":{"net":null}}"#,
                json!({"EndpointsConfig":{"net":{}}}),
            ),
        ];
        for (text, want) in cases {
            assert_eq!(&decoded(text.as_bytes()).unwrap(), want, "{text}");
            if !text.trim().is_empty() {
                assert_eq!(reference(text.as_bytes()).as_ref(), Some(want), "{text}");
            }
        }
    }

    #[test]
    fn invalid_json_stays_invalid() {
        for text in [
            r#"{"a":null"#,
            r#"{"a":null "b":1}"#,
            r#"{"a":null,}"#,
            r#"{"a":1,,"b":2}"#,
            r#"{,"a":1}"#,
            r#"{"a" null}"#,
            r#"{"a":nul}"#,
            r#"{"a":nullx}"#,
            r#"{"a":null"x"}"#,
            r#"[1,]"#,
            r#"[,1]"#,
            r#"[1 2]"#,
            r#"{"a":tr ue}"#,
            r#"{"a":1}}"#,
            r#"{"a":1} x"#,
            r#"{"a":"unterminated"#,
            r#"{"Image": "#,
            r#"{1:2}"#,
            r#"]"#,
            r#"{"a":[}"#,
            r#"{"a":null]"#,
        ] {
            let err = decoded(text.as_bytes()).unwrap_err();
            assert!(matches!(err, Error::BadRequest(_)), "{text}: {err:?}");
            assert!(err.to_string().contains("invalid JSON body"), "{err}");
            assert!(reference(text.as_bytes()).is_none(), "{text} parses");
        }
    }

    /// A tiny deterministic generator of JSON texts with nulls, odd
    /// whitespace and escapes, compared with the reference.
    #[test]
    fn generated_documents_match_the_reference() {
        struct Rng(u64);
        impl Rng {
            fn next(&mut self, n: u64) -> u64 {
                self.0 ^= self.0 << 13;
                self.0 ^= self.0 >> 7;
                self.0 ^= self.0 << 17;
                self.0 % n
            }
        }
        fn ws(r: &mut Rng, out: &mut String) {
            for _ in 0..r.next(3) {
                out.push([' ', '\n', '\t', '\r'][r.next(4) as usize]);
            }
        }
        fn value(r: &mut Rng, depth: u32, out: &mut String) {
            ws(r, out);
            let pick = if depth > 4 { r.next(5) } else { r.next(8) };
            match pick {
                0 | 1 => out.push_str("null"),
                2 => out.push_str(["true", "false", "0", "-12.5e2"][r.next(4) as usize]),
                3 => out
                    .push_str(["\"s\"", "\"a\\\"b\"", "\"\\\\\"", "\"null\""][r.next(4) as usize]),
                4 => out.push_str("\"EndpointsConfig\""),
                5 | 6 => {
                    out.push('{');
                    // Distinct keys: with duplicates, which one counts
                    // is the decoder's business.
                    let keys = ["\"a\"", "\"b\"", "\"EndpointsConfig\"", "\"c\\u0041\""];
                    let (n, first) = (r.next(5), r.next(4));
                    for i in 0..n {
                        if i > 0 {
                            out.push(',');
                        }
                        ws(r, out);
                        let key = keys[((first + i) % 4) as usize];
                        out.push_str(key);
                        ws(r, out);
                        out.push(':');
                        value(r, depth + 1, out);
                    }
                    ws(r, out);
                    out.push('}');
                }
                _ => {
                    out.push('[');
                    let n = r.next(4);
                    for i in 0..n {
                        if i > 0 {
                            out.push(',');
                        }
                        value(r, depth + 1, out);
                    }
                    ws(r, out);
                    out.push(']');
                }
            }
            ws(r, out);
        }
        let mut rng = Rng(0x9e37_79b9_7f4a_7c15);
        for _ in 0..5000 {
            let mut text = String::new();
            value(&mut rng, 0, &mut text);
            let got = decoded(text.as_bytes()).unwrap_or_else(|e| panic!("{text}: {e}"));
            assert_eq!(Some(got), reference(text.as_bytes()), "{text}");
        }
    }

    #[test]
    fn typed_decoding_treats_null_as_absent() {
        #[derive(Debug, Default, serde::Deserialize, PartialEq)]
        #[serde(default, rename_all = "PascalCase")]
        struct Req {
            image: String,
            tty: bool,
            env: Vec<String>,
            memory: i64,
        }
        let r: Option<Req> = decode_json(
            br#"{"Image":"busybox","Tty":null,"Env":null,"Memory":null,"Unknown":[null,1]}"#
                .to_vec(),
        )
        .unwrap();
        assert_eq!(
            r,
            Some(Req {
                image: "busybox".into(),
                ..Default::default()
            })
        );
        let none: Option<Req> = decode_json(b" ".to_vec()).unwrap();
        assert!(none.is_none());
        let err = decode_json::<Req>(br#"{"Image": 5}"#.to_vec()).unwrap_err();
        assert!(err.to_string().contains("invalid type"), "{err}");
    }

    #[test]
    fn values_and_depth_are_bounded() {
        let mut many = String::from("{\"Env\":[");
        for i in 0..MAX_JSON_VALUES {
            if i > 0 {
                many.push(',');
            }
            many.push_str("{}");
        }
        many.push_str("]}");
        let err = decode_json::<Value>(many.into_bytes()).unwrap_err();
        assert!(matches!(err, Error::TooLarge(_)), "{err:?}");

        let ok = format!(
            "{}{}",
            "[".repeat(MAX_JSON_DEPTH - 1),
            "]".repeat(MAX_JSON_DEPTH - 1)
        );
        assert!(decode_json::<Value>(ok.into_bytes()).is_ok());
        let deep = format!(
            "{}{}",
            "[".repeat(MAX_JSON_DEPTH + 1),
            "]".repeat(MAX_JSON_DEPTH + 1)
        );
        let err = decode_json::<Value>(deep.into_bytes()).unwrap_err();
        assert!(err.to_string().contains("deep"), "{err}");
        // A deep prefix alone (never closed) fails the same way, at once.
        let err = decode_json::<Value>("[".repeat(10_000_000).into_bytes()).unwrap_err();
        assert!(err.to_string().contains("deep"), "{err}");
    }

    #[tokio::test]
    async fn bodies_over_the_limit_are_refused() {
        let err = read_body(Body::from(vec![b'x'; 100]), 99)
            .await
            .unwrap_err();
        assert!(matches!(err, Error::TooLarge(_)));
        let ok = read_body(Body::from(vec![b'x'; 99]), 99).await.unwrap();
        assert_eq!(ok.len(), 99);
    }
}
