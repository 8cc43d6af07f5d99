//! Just enough JSON for the monitor: escaping strings, and reading the
//! string members of a one-line object (runtime log entries, `json-file`
//! log lines). Kept in-house so the monitor binary stays small.

use std::fmt;

/// Nesting depth beyond which a value is rejected rather than skipped.
const MAX_DEPTH: usize = 64;

/// Malformed JSON.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct JsonError {
    what: &'static str,
    at: usize,
}

impl fmt::Display for JsonError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "invalid JSON: {} at byte {}", self.what, self.at)
    }
}

impl std::error::Error for JsonError {}

/// Appends `s` as a quoted JSON string.
pub(crate) fn push_string(out: &mut Vec<u8>, s: &str) {
    out.push(b'"');
    for &b in s.as_bytes() {
        match b {
            b'"' => out.extend_from_slice(b"\\\""),
            b'\\' => out.extend_from_slice(b"\\\\"),
            b'\n' => out.extend_from_slice(b"\\n"),
            b'\r' => out.extend_from_slice(b"\\r"),
            b'\t' => out.extend_from_slice(b"\\t"),
            0..=0x1f | 0x7f => {
                const HEX: &[u8; 16] = b"0123456789abcdef";
                out.extend_from_slice(b"\\u00");
                out.push(HEX[usize::from(b >> 4)]);
                out.push(HEX[usize::from(b & 0xf)]);
            }
            _ => out.push(b),
        }
    }
    out.push(b'"');
}

/// Parses one JSON object and returns its members in order; the value is
/// `Some` for string members and `None` for any other kind of value (which
/// is validated and skipped).
pub(crate) fn parse_object(input: &str) -> Result<Vec<(String, Option<String>)>, JsonError> {
    let mut p = Parser {
        s: input.as_bytes(),
        pos: 0,
    };
    p.ws();
    p.expect(b'{')?;
    let mut members = Vec::new();
    p.ws();
    if p.peek() == Some(b'}') {
        p.pos += 1;
    } else {
        loop {
            p.ws();
            let key = p.string()?;
            p.ws();
            p.expect(b':')?;
            p.ws();
            let value = if p.peek() == Some(b'"') {
                Some(p.string()?)
            } else {
                p.skip_value(0)?;
                None
            };
            members.push((key, value));
            p.ws();
            match p.bump() {
                Some(b',') => continue,
                Some(b'}') => break,
                _ => return Err(p.error("expected ',' or '}'")),
            }
        }
    }
    p.ws();
    if p.pos != p.s.len() {
        return Err(p.error("trailing characters"));
    }
    Ok(members)
}

struct Parser<'a> {
    s: &'a [u8],
    pos: usize,
}

impl Parser<'_> {
    fn error(&self, what: &'static str) -> JsonError {
        JsonError { what, at: self.pos }
    }

    fn peek(&self) -> Option<u8> {
        self.s.get(self.pos).copied()
    }

    fn bump(&mut self) -> Option<u8> {
        let b = self.peek()?;
        self.pos += 1;
        Some(b)
    }

    fn ws(&mut self) {
        while matches!(self.peek(), Some(b' ' | b'\t' | b'\n' | b'\r')) {
            self.pos += 1;
        }
    }

    fn expect(&mut self, want: u8) -> Result<(), JsonError> {
        match self.bump() {
            Some(b) if b == want => Ok(()),
            _ => Err(self.error("unexpected character")),
        }
    }

    fn hex4(&mut self) -> Result<u32, JsonError> {
        let mut v = 0u32;
        for _ in 0..4 {
            let d = self
                .bump()
                .and_then(|b| char::from(b).to_digit(16))
                .ok_or_else(|| self.error("bad \\u escape"))?;
            v = v * 16 + d;
        }
        Ok(v)
    }

    fn string(&mut self) -> Result<String, JsonError> {
        self.expect(b'"')?;
        let mut out = String::new();
        loop {
            // Copy the run of plain characters at once. The input is a
            // `str`, and the run stops at ASCII bytes only, so it is valid
            // UTF-8 on its own.
            let start = self.pos;
            while matches!(self.peek(), Some(b) if b != b'"' && b != b'\\' && b >= 0x20) {
                self.pos += 1;
            }
            out.push_str(&String::from_utf8_lossy(&self.s[start..self.pos]));
            match self.bump() {
                Some(b'"') => return Ok(out),
                Some(b'\\') => {}
                Some(_) => return Err(self.error("control character in string")),
                None => return Err(self.error("unterminated string")),
            }
            let c = match self.bump() {
                Some(b'"') => '"',
                Some(b'\\') => '\\',
                Some(b'/') => '/',
                Some(b'b') => '\u{8}',
                Some(b'f') => '\u{c}',
                Some(b'n') => '\n',
                Some(b'r') => '\r',
                Some(b't') => '\t',
                Some(b'u') => self.unicode_escape()?,
                _ => return Err(self.error("bad escape")),
            };
            out.push(c);
        }
    }

    /// The character of a `\uXXXX` escape (the `\u` already consumed),
    /// joining surrogate pairs; a lone surrogate becomes U+FFFD.
    fn unicode_escape(&mut self) -> Result<char, JsonError> {
        let first = self.hex4()?;
        if (0xD800..0xDC00).contains(&first) && self.s[self.pos..].starts_with(b"\\u") {
            let save = self.pos;
            self.pos += 2;
            let second = self.hex4()?;
            if (0xDC00..0xE000).contains(&second) {
                let c = 0x10000 + ((first - 0xD800) << 10) + (second - 0xDC00);
                return Ok(char::from_u32(c).unwrap_or(char::REPLACEMENT_CHARACTER));
            }
            self.pos = save;
        }
        Ok(char::from_u32(first).unwrap_or(char::REPLACEMENT_CHARACTER))
    }

    fn skip_value(&mut self, depth: usize) -> Result<(), JsonError> {
        if depth > MAX_DEPTH {
            return Err(self.error("nesting too deep"));
        }
        match self.peek() {
            Some(b'"') => self.string().map(drop),
            Some(b'{') => self.skip_container(b'}', depth, true),
            Some(b'[') => self.skip_container(b']', depth, false),
            Some(b't') => self.literal(b"true"),
            Some(b'f') => self.literal(b"false"),
            Some(b'n') => self.literal(b"null"),
            Some(b'-' | b'0'..=b'9') => self.number(),
            _ => Err(self.error("expected a value")),
        }
    }

    fn skip_container(&mut self, close: u8, depth: usize, keyed: bool) -> Result<(), JsonError> {
        self.pos += 1;
        self.ws();
        if self.peek() == Some(close) {
            self.pos += 1;
            return Ok(());
        }
        loop {
            self.ws();
            if keyed {
                self.string()?;
                self.ws();
                self.expect(b':')?;
                self.ws();
            }
            self.skip_value(depth + 1)?;
            self.ws();
            match self.bump() {
                Some(b',') => continue,
                Some(b) if b == close => return Ok(()),
                _ => return Err(self.error("expected ',' or end of container")),
            }
        }
    }

    fn literal(&mut self, lit: &[u8]) -> Result<(), JsonError> {
        if self.s[self.pos..].starts_with(lit) {
            self.pos += lit.len();
            Ok(())
        } else {
            Err(self.error("bad literal"))
        }
    }

    fn digits(&mut self) -> usize {
        let start = self.pos;
        while matches!(self.peek(), Some(b'0'..=b'9')) {
            self.pos += 1;
        }
        self.pos - start
    }

    fn number(&mut self) -> Result<(), JsonError> {
        if self.peek() == Some(b'-') {
            self.pos += 1;
        }
        if self.digits() == 0 {
            return Err(self.error("bad number"));
        }
        if self.peek() == Some(b'.') {
            self.pos += 1;
            if self.digits() == 0 {
                return Err(self.error("bad number"));
            }
        }
        if matches!(self.peek(), Some(b'e' | b'E')) {
            self.pos += 1;
            if matches!(self.peek(), Some(b'+' | b'-')) {
                self.pos += 1;
            }
            if self.digits() == 0 {
                return Err(self.error("bad number"));
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn get<'a>(m: &'a [(String, Option<String>)], k: &str) -> Option<&'a str> {
        m.iter()
            .find(|(key, _)| key == k)
            .and_then(|(_, v)| v.as_deref())
    }

    #[test]
    fn escape_round_trip() {
        let text = "quote\" back\\ nl\n tab\t ctl\u{1} del\u{7f} ünïcødé 😀";
        let mut out = b"{\"k\":".to_vec();
        push_string(&mut out, text);
        out.push(b'}');
        let s = String::from_utf8(out).unwrap();
        assert!(!s.contains('\n'));
        let m = parse_object(&s).unwrap();
        assert_eq!(get(&m, "k"), Some(text));
    }

    #[test]
    fn runtime_log_line() {
        let line = r#"{"level":"error","msg":"exec: \"nope\": not found \u00e9 \ud83d\ude00","time":"2024-01-01T00:00:00Z","n":-1.5e3,"o":{"a":[1,true,null,"x"]}}"#;
        let m = parse_object(line).unwrap();
        assert_eq!(get(&m, "level"), Some("error"));
        assert_eq!(get(&m, "msg"), Some("exec: \"nope\": not found é 😀"));
        assert_eq!(m.len(), 5);
        assert_eq!(m[3], ("n".to_string(), None));
    }

    #[test]
    fn lone_surrogate_is_replaced() {
        let m = parse_object(r#"{"a":"x\ud800y"}"#).unwrap();
        assert_eq!(get(&m, "a"), Some("x\u{fffd}y"));
    }

    #[test]
    fn rejects_malformed() {
        for bad in [
            "",
            "[]",
            "{",
            r#"{"a"}"#,
            r#"{"a":}"#,
            r#"{"a":"b",}"#,
            r#"{"a":"b"} x"#,
            r#"{"a":"\q"}"#,
            r#"{"a":01x}"#,
            r#"{"a":tru}"#,
            "{\"a\":\"\u{1}\"}",
            r#"{"a":-}"#,
        ] {
            assert!(parse_object(bad).is_err(), "{bad}");
        }
        let deep = format!("{{\"a\":{}{}}}", "[".repeat(100), "]".repeat(100));
        assert!(parse_object(&deep).is_err());
        assert!(parse_object("{}").unwrap().is_empty());
    }
}
