//! Go's builtin template functions and the ones Podman adds.

use std::cmp::Ordering;
use std::fmt::Write as _;

use crate::printf::{sprint, sprintf, sprintln};
use crate::value::Value;

/// Every function a template may call.
pub const FUNCTIONS: &[&str] = &[
    // text/template
    "and", "call", "eq", "ge", "gt", "html", "index", "js", "le", "len", "lt", "ne", "not", "or",
    "print", "printf", "println", "slice", "urlquery",
    // Podman (containers/common report)
    "join", "json", "lower", "pad", "split", "title", "truncate", "upper",
];

/// Whether `name` is a function templates may call.
pub fn is_function(name: &str) -> bool {
    FUNCTIONS.contains(&name)
}

/// How a function call failed.
#[derive(Debug)]
pub enum FuncError {
    /// Bad arguments, reported as is (`wrong number of args for …`).
    Args(String),
    /// The function itself failed: reported as `error calling NAME: …`.
    Call(String),
}

type R = Result<Value, FuncError>;

fn want(name: &str, args: &[&Value], n: usize) -> Result<(), FuncError> {
    if args.len() != n {
        return Err(FuncError::Args(format!(
            "wrong number of args for {name}: want {n} got {}",
            args.len()
        )));
    }
    Ok(())
}

fn want_at_least(name: &str, args: &[&Value], n: usize) -> Result<(), FuncError> {
    if args.len() < n {
        return Err(FuncError::Args(format!(
            "wrong number of args for {name}: want at least {n} got {}",
            args.len()
        )));
    }
    Ok(())
}

fn string_arg(v: &Value) -> Result<&str, FuncError> {
    match v {
        Value::String(s) => Ok(s),
        Value::NoValue => Err(FuncError::Args("invalid value; expected string".into())),
        other => Err(FuncError::Args(format!(
            "wrong type for value; expected string; got {}",
            other.type_name()
        ))),
    }
}

fn int_arg(v: &Value) -> Result<i64, FuncError> {
    match v {
        Value::Int(i) => Ok(*i),
        Value::Uint(u) => {
            i64::try_from(*u).map_err(|_| FuncError::Args(format!("{u} overflows int")))
        }
        Value::NoValue => Err(FuncError::Args("invalid value; expected int".into())),
        other => Err(FuncError::Args(format!(
            "wrong type for value; expected int; got {}",
            other.type_name()
        ))),
    }
}

/// Calls function `name` with evaluated arguments (`and` and `or`, which
/// evaluate lazily, are handled by the executor).
pub fn call(name: &str, args: &[&Value]) -> R {
    match name {
        "not" => {
            want(name, args, 1)?;
            Ok(Value::Bool(!args[0].truth()))
        }
        "and" | "or" => {
            want_at_least(name, args, 1)?;
            let and = name == "and";
            for a in args {
                if a.truth() != and {
                    return Ok((*a).clone());
                }
            }
            Ok(args[args.len() - 1].clone())
        }
        "len" => {
            want(name, args, 1)?;
            match args[0] {
                Value::String(s) => Ok(Value::Int(s.len() as i64)),
                Value::List(l) => Ok(Value::Int(l.len() as i64)),
                Value::Map(m) => Ok(Value::Int(m.len() as i64)),
                Value::Nil | Value::NoValue => Err(FuncError::Call("len of nil pointer".into())),
                other => Err(FuncError::Call(format!(
                    "len of type {}",
                    other.type_name()
                ))),
            }
        }
        "index" => {
            want_at_least(name, args, 1)?;
            index(args[0], &args[1..])
        }
        "slice" => {
            want_at_least(name, args, 1)?;
            slice(args[0], &args[1..])
        }
        "print" => Ok(Value::String(sprint(args))),
        "println" => Ok(Value::String(sprintln(args))),
        "printf" => {
            want_at_least(name, args, 1)?;
            let f = string_arg(args[0])?;
            Ok(Value::String(sprintf(f, &args[1..])))
        }
        "html" => Ok(Value::String(html_escape(&eval_args(args)))),
        "js" => Ok(Value::String(js_escape(&eval_args(args)))),
        "urlquery" => Ok(Value::String(query_escape(&eval_args(args)))),
        "eq" => {
            want_at_least(name, args, 1)?;
            if args.len() < 2 {
                return Err(FuncError::Call("missing argument for comparison".into()));
            }
            for b in &args[1..] {
                if equal(args[0], b)? {
                    return Ok(Value::Bool(true));
                }
            }
            Ok(Value::Bool(false))
        }
        "ne" => {
            want(name, args, 2)?;
            Ok(Value::Bool(!equal(args[0], args[1])?))
        }
        "lt" | "le" | "gt" | "ge" => {
            want(name, args, 2)?;
            let ord = order(args[0], args[1])?;
            Ok(Value::Bool(match name {
                "lt" => ord == Ordering::Less,
                "le" => ord != Ordering::Greater,
                "gt" => ord == Ordering::Greater,
                _ => ord != Ordering::Less,
            }))
        }
        "call" => {
            want_at_least(name, args, 1)?;
            Err(FuncError::Call(format!(
                "non-function of type {}",
                args[0].type_name()
            )))
        }
        "json" => {
            want(name, args, 1)?;
            Ok(Value::String(args[0].to_json().unwrap_or_default()))
        }
        "lower" => {
            want(name, args, 1)?;
            Ok(Value::String(string_arg(args[0])?.to_lowercase()))
        }
        "upper" => {
            want(name, args, 1)?;
            Ok(Value::String(string_arg(args[0])?.to_uppercase()))
        }
        "title" => {
            want(name, args, 1)?;
            Ok(Value::String(title(string_arg(args[0])?)))
        }
        "truncate" => {
            want(name, args, 2)?;
            let s = string_arg(args[0])?;
            let n = int_arg(args[1])?;
            if n < 0 {
                return Err(FuncError::Call(format!(
                    "runtime error: slice bounds out of range [:{n}]"
                )));
            }
            let n = n as usize;
            if s.len() < n {
                return Ok(Value::String(s.to_string()));
            }
            let mut end = n;
            while !s.is_char_boundary(end) {
                end -= 1;
            }
            Ok(Value::String(s[..end].to_string()))
        }
        "split" => {
            want(name, args, 2)?;
            let s = string_arg(args[0])?;
            let sep = string_arg(args[1])?;
            let parts: Vec<Value> = if sep.is_empty() {
                s.chars().map(|c| Value::String(c.to_string())).collect()
            } else {
                s.split(sep).map(|p| Value::String(p.to_string())).collect()
            };
            Ok(Value::List(parts))
        }
        "join" => {
            want(name, args, 2)?;
            let sep = string_arg(args[1])?;
            match args[0] {
                Value::List(l) => Ok(Value::String(
                    l.iter()
                        .map(Value::to_go_string)
                        .collect::<Vec<_>>()
                        .join(sep),
                )),
                Value::Nil => Ok(Value::String(String::new())),
                other => Err(FuncError::Args(format!(
                    "wrong type for value; expected []string; got {}",
                    other.type_name()
                ))),
            }
        }
        "pad" => {
            want(name, args, 3)?;
            let s = string_arg(args[0])?;
            let pre = int_arg(args[1])?;
            let post = int_arg(args[2])?;
            if pre < 0 || post < 0 {
                return Err(FuncError::Call("strings: negative Repeat count".into()));
            }
            if s.is_empty() {
                return Ok(Value::String(String::new()));
            }
            let (pre, post) = (pre.min(1 << 20) as usize, post.min(1 << 20) as usize);
            Ok(Value::String(format!(
                "{}{s}{}",
                " ".repeat(pre),
                " ".repeat(post)
            )))
        }
        other => Err(FuncError::Args(format!("function {other:?} not defined"))),
    }
}

/// html/js/urlquery's argument: a lone string as is, else `fmt.Sprint`.
fn eval_args(args: &[&Value]) -> String {
    if let [Value::String(s)] = args {
        return s.clone();
    }
    sprint(args)
}

fn index(item: &Value, indices: &[&Value]) -> R {
    let mut cur = item.clone();
    for ix in indices {
        cur = match &cur {
            Value::List(l) => {
                let i = index_arg(ix, "slice/array")?;
                if i < 0 || i as usize >= l.len() {
                    return Err(FuncError::Call(format!("index out of range: {i}")));
                }
                l[i as usize].clone()
            }
            Value::String(s) => {
                let i = index_arg(ix, "string")?;
                if i < 0 || i as usize >= s.len() {
                    return Err(FuncError::Call(format!("index out of range: {i}")));
                }
                Value::Int(i64::from(s.as_bytes()[i as usize]))
            }
            Value::Map(m) => {
                let key = match ix {
                    Value::String(k) => k,
                    other => {
                        return Err(FuncError::Call(format!(
                            "value has type {}; should be string",
                            other.type_name()
                        )))
                    }
                };
                match m.get(key.as_str()) {
                    Some(v) => v.clone(),
                    None => map_zero(m),
                }
            }
            Value::Nil | Value::NoValue => {
                return Err(FuncError::Call("index of untyped nil".into()))
            }
            other => {
                return Err(FuncError::Call(format!(
                    "can't index item of type {}",
                    other.type_name()
                )))
            }
        };
    }
    Ok(cur)
}

/// The zero value a Go map of this shape holds for missing keys: `""` for
/// the string maps (labels, annotations, options) Podman's objects have.
fn map_zero(m: &std::collections::BTreeMap<String, Value>) -> Value {
    let mut kinds = m.values().map(|v| match v {
        Value::Int(_) => 1,
        Value::Bool(_) => 2,
        Value::String(_) => 0,
        _ => 3,
    });
    match kinds.next() {
        None | Some(0) if m.values().all(|v| matches!(v, Value::String(_))) => {
            Value::String(String::new())
        }
        Some(1) if m.values().all(|v| matches!(v, Value::Int(_))) => Value::Int(0),
        Some(2) if m.values().all(|v| matches!(v, Value::Bool(_))) => Value::Bool(false),
        _ => Value::Nil,
    }
}

fn index_arg(ix: &Value, what: &str) -> Result<i64, FuncError> {
    match ix {
        Value::Int(i) => Ok(*i),
        Value::Uint(u) => Ok(i64::try_from(*u).unwrap_or(i64::MAX)),
        Value::Nil | Value::NoValue => {
            Err(FuncError::Call(format!("cannot index {what} with nil")))
        }
        other => Err(FuncError::Call(format!(
            "cannot index {what} with type {}",
            other.type_name()
        ))),
    }
}

fn slice(item: &Value, indices: &[&Value]) -> R {
    if indices.len() > 3 {
        return Err(FuncError::Call(format!(
            "too many slice indexes: {}",
            indices.len()
        )));
    }
    let len = match item {
        Value::String(s) => {
            if indices.len() == 3 {
                return Err(FuncError::Call("cannot 3-index slice a string".into()));
            }
            s.len()
        }
        Value::List(l) => l.len(),
        Value::Nil | Value::NoValue => return Err(FuncError::Call("slice of untyped nil".into())),
        other => {
            return Err(FuncError::Call(format!(
                "can't slice item of type {}",
                other.type_name()
            )))
        }
    };
    let mut idx = [0usize, len, len];
    for (i, ix) in indices.iter().enumerate() {
        let x = index_arg(ix, "slice")?;
        if x < 0 || x as usize > len {
            return Err(FuncError::Call(format!("index out of range: {x}")));
        }
        idx[i] = x as usize;
    }
    if idx[0] > idx[1] {
        return Err(FuncError::Call(format!(
            "invalid slice index: {} > {}",
            idx[0], idx[1]
        )));
    }
    if indices.len() == 3 && idx[1] > idx[2] {
        return Err(FuncError::Call(format!(
            "invalid slice index: {} > {}",
            idx[1], idx[2]
        )));
    }
    Ok(match item {
        Value::String(s) => {
            Value::String(String::from_utf8_lossy(&s.as_bytes()[idx[0]..idx[1]]).into_owned())
        }
        Value::List(l) => Value::List(l[idx[0]..idx[1]].to_vec()),
        _ => Value::Nil,
    })
}

#[derive(PartialEq)]
enum Kind {
    Bool,
    Int,
    Uint,
    Float,
    String,
    Nil,
    Other,
}

fn kind(v: &Value) -> Kind {
    match v {
        Value::Bool(_) => Kind::Bool,
        Value::Int(_) => Kind::Int,
        Value::Uint(_) => Kind::Uint,
        Value::Float(_) => Kind::Float,
        Value::String(_) => Kind::String,
        Value::Nil | Value::NoValue => Kind::Nil,
        _ => Kind::Other,
    }
}

fn equal(a: &Value, b: &Value) -> Result<bool, FuncError> {
    let (ka, kb) = (kind(a), kind(b));
    match (a, b) {
        (Value::Int(x), Value::Uint(y)) | (Value::Uint(y), Value::Int(x)) => {
            return Ok(*x >= 0 && *x as u64 == *y)
        }
        _ => {}
    }
    if ka == Kind::Nil || kb == Kind::Nil {
        return Ok(ka == kb);
    }
    if ka != kb {
        return Err(FuncError::Call("incompatible types for comparison".into()));
    }
    match (a, b) {
        (Value::List(_), _) | (Value::Map(_), _) => Err(FuncError::Call(format!(
            "non-comparable type {}: {}",
            a.to_go_string(),
            a.type_name()
        ))),
        (Value::Struct(_), Value::Time(_)) | (Value::Time(_), Value::Struct(_)) => {
            Err(FuncError::Call("incompatible types for comparison".into()))
        }
        _ => Ok(a == b),
    }
}

fn order(a: &Value, b: &Value) -> Result<Ordering, FuncError> {
    let bad_type = || FuncError::Call("invalid type for comparison".into());
    match (a, b) {
        (Value::Int(x), Value::Int(y)) => Ok(x.cmp(y)),
        (Value::Uint(x), Value::Uint(y)) => Ok(x.cmp(y)),
        (Value::Int(x), Value::Uint(y)) => Ok(i128::from(*x).cmp(&i128::from(*y))),
        (Value::Uint(x), Value::Int(y)) => Ok(i128::from(*x).cmp(&i128::from(*y))),
        (Value::Float(x), Value::Float(y)) => Ok(x.partial_cmp(y).unwrap_or(Ordering::Greater)),
        (Value::String(x), Value::String(y)) => Ok(x.as_bytes().cmp(y.as_bytes())),
        _ => {
            let (ka, kb) = (kind(a), kind(b));
            if matches!(ka, Kind::Bool | Kind::Other | Kind::Nil)
                || matches!(kb, Kind::Bool | Kind::Other | Kind::Nil)
            {
                Err(bad_type())
            } else {
                Err(FuncError::Call("incompatible types for comparison".into()))
            }
        }
    }
}

/// Go's `strings.Title`: upper-cases letters that begin words.
fn title(s: &str) -> String {
    let is_sep = |c: char| {
        if c.is_ascii() {
            !(c.is_ascii_alphanumeric() || c == '_')
        } else if c.is_alphanumeric() {
            false
        } else {
            c.is_whitespace()
        }
    };
    let mut out = String::with_capacity(s.len());
    let mut prev = ' ';
    for c in s.chars() {
        if is_sep(prev) {
            let mut up = c.to_uppercase();
            match (up.next(), up.next()) {
                (Some(u), None) => out.push(u),
                _ => out.push(c),
            }
        } else {
            out.push(c);
        }
        prev = c;
    }
    out
}

/// Go's `template.HTMLEscapeString`.
pub fn html_escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '"' => out.push_str("&#34;"),
            '\'' => out.push_str("&#39;"),
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '\0' => out.push('\u{fffd}'),
            c => out.push(c),
        }
    }
    out
}

/// Go's `template.JSEscapeString`.
pub fn js_escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '\\' => out.push_str("\\\\"),
            '\'' => out.push_str("\\'"),
            '"' => out.push_str("\\\""),
            '<' => out.push_str("\\u003C"),
            '>' => out.push_str("\\u003E"),
            '&' => out.push_str("\\u0026"),
            '=' => out.push_str("\\u003D"),
            c if (c as u32) < 0x20 => {
                let _ = write!(out, "\\u{:04X}", c as u32);
            }
            c if !c.is_ascii() && c.is_control() => {
                let _ = write!(out, "\\u{:04X}", c as u32);
            }
            c => out.push(c),
        }
    }
    out
}

/// Go's `url.QueryEscape`.
pub fn query_escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for b in s.bytes() {
        match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => {
                out.push(b as char)
            }
            b' ' => out.push('+'),
            b => {
                let _ = write!(out, "%{b:02X}");
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escapes() {
        assert_eq!(
            html_escape("<a href=\"x\">'&'</a>"),
            "&lt;a href=&#34;x&#34;&gt;&#39;&amp;&#39;&lt;/a&gt;"
        );
        assert_eq!(
            js_escape("a'b\"c<d>&=\\\n"),
            "a\\'b\\\"c\\u003Cd\\u003E\\u0026\\u003D\\\\\\u000A"
        );
        assert_eq!(query_escape("a b&c=d/é"), "a+b%26c%3Dd%2F%C3%A9");
    }

    #[test]
    fn titles() {
        assert_eq!(title("hello world-wide web_x"), "Hello World-Wide Web_x");
    }
}
