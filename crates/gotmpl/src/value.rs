//! The values templates work on, their conversion from JSON, and their
//! printing as Go's `fmt` prints them with `%v`.

use std::collections::BTreeMap;
use std::fmt::Write as _;

use crate::time::Time;

/// A template value.
///
/// Objects are either a [`Value::Struct`] (a Go struct: its fields keep their
/// order, and asking for a field it lacks is an error) or a [`Value::Map`]
/// (a Go map: printed with sorted keys, a missing key gives `<no value>`).
#[derive(Clone, Debug, PartialEq)]
pub enum Value {
    /// What a missing map key evaluates to; prints `<no value>`.
    NoValue,
    Nil,
    Bool(bool),
    Int(i64),
    Uint(u64),
    Float(f64),
    String(String),
    List(Vec<Value>),
    Map(BTreeMap<String, Value>),
    Struct(Vec<(String, Value)>),
    Time(Time),
}

/// JSON keys whose objects are Go maps in Podman's structures, whatever
/// their keys look like.
const MAP_KEYS: &[&str] = &[
    "Labels",
    "Annotations",
    "Options",
    "Ports",
    "Networks",
    "Volumes",
    "ExposedPorts",
    "Sysctls",
    "StorageOpt",
    "DriverOpts",
    "Tmpfs",
    "Devices",
    "BlkioWeightDevice",
    "labels",
    "annotations",
    "options",
];

/// Whether `key` could be an exported Go struct field name.
fn exported_ident(key: &str) -> bool {
    let mut chars = key.chars();
    chars.next().is_some_and(|c| c.is_ascii_uppercase())
        && chars.all(|c| c.is_ascii_alphanumeric() || c == '_')
}

impl Value {
    /// Converts JSON: integral numbers stay integers, RFC 3339 strings become
    /// [`Value::Time`], objects whose keys all look like exported Go field
    /// names become structs and other objects maps (see [`Value`]).
    pub fn from_json(v: &serde_json::Value) -> Value {
        Self::convert(v, false)
    }

    fn convert(v: &serde_json::Value, map_hint: bool) -> Value {
        match v {
            // A nil Go map prints `map[]`.
            serde_json::Value::Null if map_hint => Value::Map(BTreeMap::new()),
            serde_json::Value::Null => Value::Nil,
            serde_json::Value::Bool(b) => Value::Bool(*b),
            serde_json::Value::Number(n) => {
                if let Some(i) = n.as_i64() {
                    Value::Int(i)
                } else if let Some(u) = n.as_u64() {
                    Value::Uint(u)
                } else {
                    Value::Float(n.as_f64().unwrap_or(0.0))
                }
            }
            serde_json::Value::String(s) => match Time::parse_rfc3339(s) {
                Some(t) => Value::Time(t),
                None => Value::String(s.clone()),
            },
            serde_json::Value::Array(a) => {
                Value::List(a.iter().map(|x| Self::convert(x, false)).collect())
            }
            serde_json::Value::Object(o) => {
                let is_struct = !map_hint && !o.is_empty() && o.keys().all(|k| exported_ident(k));
                if is_struct {
                    Value::Struct(
                        o.iter()
                            .map(|(k, x)| {
                                (k.clone(), Self::convert(x, MAP_KEYS.contains(&k.as_str())))
                            })
                            .collect(),
                    )
                } else {
                    // Go maps in Podman's objects hold strings as strings
                    // (an annotation holding a time stays text).
                    Value::Map(
                        o.iter()
                            .map(|(k, x)| {
                                let v = match x {
                                    serde_json::Value::String(s) => Value::String(s.clone()),
                                    // Sets such as Volumes and ExposedPorts
                                    // are Go maps of empty structs: `{}`.
                                    serde_json::Value::Object(inner) if inner.is_empty() => {
                                        Value::Struct(Default::default())
                                    }
                                    other => Self::convert(other, false),
                                };
                                (k.clone(), v)
                            })
                            .collect(),
                    )
                }
            }
        }
    }

    /// Go's truth: false, 0, nil, and empty strings, lists and maps are false.
    pub fn truth(&self) -> bool {
        match self {
            Value::NoValue | Value::Nil => false,
            Value::Bool(b) => *b,
            Value::Int(i) => *i != 0,
            Value::Uint(u) => *u != 0,
            Value::Float(f) => *f != 0.0,
            Value::String(s) => !s.is_empty(),
            Value::List(l) => !l.is_empty(),
            Value::Map(m) => !m.is_empty(),
            Value::Struct(_) | Value::Time(_) => true,
        }
    }

    /// A Go-ish type name for error messages.
    pub fn type_name(&self) -> &'static str {
        match self {
            Value::NoValue | Value::Nil => "<nil>",
            Value::Bool(_) => "bool",
            Value::Int(_) => "int",
            Value::Uint(_) => "uint",
            Value::Float(_) => "float64",
            Value::String(_) => "string",
            Value::List(_) => "[]interface {}",
            Value::Map(_) => "map[string]interface {}",
            Value::Struct(_) => "struct",
            Value::Time(_) => "time.Time",
        }
    }

    /// Looks up a struct field (exactly, then by the JSON spellings Podman's
    /// Go names commonly have: `ID`/`Id`, `camelCase`, `snake_case`).
    pub fn field(&self, name: &str) -> Option<&Value> {
        let find = |n: &str| -> Option<&Value> {
            match self {
                Value::Struct(fields) => fields.iter().find(|(k, _)| k == n).map(|(_, v)| v),
                Value::Map(m) => m.get(n),
                _ => None,
            }
        };
        if let Some(v) = find(name) {
            return Some(v);
        }
        for alt in alternate_names(name) {
            if let Some(v) = find(&alt) {
                return Some(v);
            }
        }
        // A struct's keys made from JSON names differ from Go's only in
        // case at times (`IDMappings`/`IdMappings`, `UIDMap`/`uidmap`).
        // Only for exported names: `{{.id}}` stays an error, as in Go.
        if !name.starts_with(|c: char| c.is_ascii_uppercase()) {
            return None;
        }
        match self {
            Value::Struct(fields) => fields
                .iter()
                .find(|(k, _)| k.eq_ignore_ascii_case(name))
                .map(|(_, v)| v),
            // A map's keys are data, matched exactly as Go does.
            _ => None,
        }
    }

    /// Prints as Go's `fmt.Sprint` does (`%v`); [`Value::NoValue`] prints
    /// `<no value>` as text/template prints it.
    pub fn to_go_string(&self) -> String {
        match self {
            Value::String(s) => s.clone(),
            Value::NoValue => "<no value>".into(),
            other => {
                let mut out = String::new();
                other.write_v(&mut out, false);
                out
            }
        }
    }

    /// Appends `%v` (`%+v` with `plus`).
    pub fn write_v(&self, out: &mut String, plus: bool) {
        match self {
            Value::NoValue | Value::Nil => out.push_str("<nil>"),
            Value::Bool(b) => out.push_str(if *b { "true" } else { "false" }),
            Value::Int(i) => {
                let _ = write!(out, "{i}");
            }
            Value::Uint(u) => {
                let _ = write!(out, "{u}");
            }
            Value::Float(f) => out.push_str(&format_float_v(*f)),
            Value::String(s) => out.push_str(s),
            Value::Time(t) => out.push_str(&t.go_string()),
            Value::List(l) => {
                out.push('[');
                for (i, v) in l.iter().enumerate() {
                    if i > 0 {
                        out.push(' ');
                    }
                    v.write_v(out, plus);
                }
                out.push(']');
            }
            Value::Map(m) => {
                out.push_str("map[");
                for (i, (k, v)) in m.iter().enumerate() {
                    if i > 0 {
                        out.push(' ');
                    }
                    out.push_str(k);
                    out.push(':');
                    v.write_v(out, plus);
                }
                out.push(']');
            }
            Value::Struct(fields) => {
                out.push('{');
                for (i, (k, v)) in fields.iter().enumerate() {
                    if i > 0 {
                        out.push(' ');
                    }
                    if plus {
                        out.push_str(k);
                        out.push(':');
                    }
                    v.write_v(out, plus);
                }
                out.push('}');
            }
        }
    }

    /// Compact JSON as Go's `encoding/json` writes it (HTML not escaped);
    /// `None` for values JSON cannot hold (NaN, infinities).
    pub fn to_json(&self) -> Option<String> {
        let mut out = String::new();
        self.write_json(&mut out).then_some(out)
    }

    fn write_json(&self, out: &mut String) -> bool {
        match self {
            Value::NoValue | Value::Nil => out.push_str("null"),
            Value::Bool(b) => out.push_str(if *b { "true" } else { "false" }),
            Value::Int(i) => {
                let _ = write!(out, "{i}");
            }
            Value::Uint(u) => {
                let _ = write!(out, "{u}");
            }
            Value::Float(f) => {
                if !f.is_finite() {
                    return false;
                }
                out.push_str(&format_float_json(*f));
            }
            Value::String(s) => json_string(out, s),
            Value::Time(t) => json_string(out, &t.rfc3339_nano()),
            Value::List(l) => {
                out.push('[');
                for (i, v) in l.iter().enumerate() {
                    if i > 0 {
                        out.push(',');
                    }
                    if !v.write_json(out) {
                        return false;
                    }
                }
                out.push(']');
            }
            Value::Map(m) => {
                out.push('{');
                for (i, (k, v)) in m.iter().enumerate() {
                    if i > 0 {
                        out.push(',');
                    }
                    json_string(out, k);
                    out.push(':');
                    if !v.write_json(out) {
                        return false;
                    }
                }
                out.push('}');
            }
            Value::Struct(fields) => {
                out.push('{');
                for (i, (k, v)) in fields.iter().enumerate() {
                    if i > 0 {
                        out.push(',');
                    }
                    json_string(out, k);
                    out.push(':');
                    if !v.write_json(out) {
                        return false;
                    }
                }
                out.push('}');
            }
        }
        true
    }
}

impl From<&serde_json::Value> for Value {
    fn from(v: &serde_json::Value) -> Value {
        Value::from_json(v)
    }
}

impl From<&str> for Value {
    fn from(s: &str) -> Value {
        Value::String(s.to_string())
    }
}

impl From<String> for Value {
    fn from(s: String) -> Value {
        Value::String(s)
    }
}

impl From<i64> for Value {
    fn from(i: i64) -> Value {
        Value::Int(i)
    }
}

impl From<bool> for Value {
    fn from(b: bool) -> Value {
        Value::Bool(b)
    }
}

/// Other spellings a Go field name may have in JSON.
fn alternate_names(name: &str) -> Vec<String> {
    let mut out = Vec::new();
    match name {
        "ID" => out.push("Id".to_string()),
        "Id" => out.push("ID".to_string()),
        _ => {}
    }
    let mut chars = name.chars();
    if let Some(first) = chars.next() {
        if first.is_ascii_uppercase() {
            // `ID` → `id`, `IPAddress` → `ipAddress`, `Name` → `name`.
            let upper_run = name.chars().take_while(|c| c.is_ascii_uppercase()).count();
            let camel: String = if upper_run > 1 && upper_run < name.len() {
                name.chars()
                    .enumerate()
                    .map(|(i, c)| {
                        if i + 1 < upper_run {
                            c.to_ascii_lowercase()
                        } else {
                            c
                        }
                    })
                    .collect()
            } else if upper_run == name.len() {
                name.to_ascii_lowercase()
            } else {
                first.to_ascii_lowercase().to_string() + chars.as_str()
            };
            out.push(camel);
            let mut snake = String::new();
            let cs: Vec<char> = name.chars().collect();
            for (i, c) in cs.iter().enumerate() {
                if c.is_ascii_uppercase() {
                    let prev_lower = i > 0 && !cs[i - 1].is_ascii_uppercase();
                    let next_lower = cs.get(i + 1).is_some_and(|n| n.is_ascii_lowercase());
                    if i > 0 && (prev_lower || (next_lower && cs[i - 1].is_ascii_uppercase())) {
                        snake.push('_');
                    }
                    snake.push(c.to_ascii_lowercase());
                } else {
                    snake.push(*c);
                }
            }
            out.push(snake);
        }
    }
    out
}

/// Shortest decimal digits and exponent of a finite non-zero `f`
/// (`1234.5` → ("12345", 3)).
pub(crate) fn shortest_digits(f: f64) -> (String, i32) {
    let s = format!("{:e}", f.abs());
    let (mant, exp) = s.split_once('e').unwrap_or((&s, "0"));
    (mant.replace('.', ""), exp.parse().unwrap_or(0))
}

/// Digits in fixed notation from digits `d` with decimal exponent `exp`.
pub(crate) fn fixed_from_digits(d: &str, exp: i32) -> String {
    if exp >= 0 {
        let int_len = exp as usize + 1;
        if d.len() <= int_len {
            format!("{d}{}", "0".repeat(int_len - d.len()))
        } else {
            format!("{}.{}", &d[..int_len], &d[int_len..])
        }
    } else {
        format!("0.{}{d}", "0".repeat((-exp - 1) as usize))
    }
}

/// `d.ddde±XX` from digits and exponent.
pub(crate) fn exp_from_digits(d: &str, exp: i32) -> String {
    let mut s = d[..1].to_string();
    if d.len() > 1 {
        s.push('.');
        s.push_str(&d[1..]);
    }
    let sign = if exp < 0 { '-' } else { '+' };
    format!("{s}e{sign}{:02}", exp.abs())
}

/// Go's `%v` of a float64 (`strconv.FormatFloat(f, 'g', -1, 64)`).
pub fn format_float_v(f: f64) -> String {
    if f.is_nan() {
        return "NaN".into();
    }
    if f.is_infinite() {
        return if f > 0.0 { "+Inf" } else { "-Inf" }.into();
    }
    if f == 0.0 {
        return if f.is_sign_negative() { "-0" } else { "0" }.into();
    }
    let (d, exp) = shortest_digits(f);
    let body = if !(-4..6).contains(&exp) {
        exp_from_digits(&d, exp)
    } else {
        fixed_from_digits(&d, exp)
    };
    if f < 0.0 {
        format!("-{body}")
    } else {
        body
    }
}

/// A float as Go's `encoding/json` writes it.
fn format_float_json(f: f64) -> String {
    if f == 0.0 {
        return if f.is_sign_negative() { "-0" } else { "0" }.into();
    }
    let (d, exp) = shortest_digits(f);
    let abs = f.abs();
    let body = if !(1e-6..1e21).contains(&abs) {
        let mut s = exp_from_digits(&d, exp);
        // Go trims `e-07` to `e-7`.
        if let Some(i) = s.find("e-0") {
            s.remove(i + 2);
        } else if let Some(i) = s.find("e+0") {
            s.remove(i + 2);
        }
        s
    } else {
        fixed_from_digits(&d, exp)
    };
    if f < 0.0 {
        format!("-{body}")
    } else {
        body
    }
}

/// A JSON string as Go writes it without HTML escaping.
pub(crate) fn json_string(out: &mut String, s: &str) {
    out.push('"');
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            '\u{2028}' => out.push_str("\\u2028"),
            '\u{2029}' => out.push_str("\\u2029"),
            c if (c as u32) < 0x20 => {
                let _ = write!(out, "\\u{:04x}", c as u32);
            }
            c => out.push(c),
        }
    }
    out.push('"');
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn prints_like_go() {
        let v = Value::from_json(
            &json!({"Labels": {"x": "y", "a": "b"}, "Cmd": ["sleep", "1000"], "N": null, "F": 1.5, "I": 5, "B": true, "E": ""}),
        );
        let f = |k: &str| v.field(k).unwrap().to_go_string();
        assert_eq!(f("Labels"), "map[a:b x:y]");
        let sets = Value::from_json(&json!({"Volumes": {"/data": {}}}));
        assert_eq!(
            sets.field("Volumes").unwrap().to_go_string(),
            "map[/data:{}]"
        );
        assert_eq!(f("Cmd"), "[sleep 1000]");
        assert_eq!(f("N"), "<nil>");
        assert_eq!(f("F"), "1.5");
        assert_eq!(f("I"), "5");
        assert_eq!(f("B"), "true");
        assert_eq!(f("E"), "");
        assert_eq!(
            Value::from_json(&json!({"a": [1, 2]})).to_go_string(),
            "map[a:[1 2]]"
        );
        assert_eq!(
            Value::from_json(&json!({"A": 1, "B": "x"})).to_go_string(),
            "{1 x}"
        );
        let mut plus = String::new();
        Value::from_json(&json!({"A": 1, "B": "x"})).write_v(&mut plus, true);
        assert_eq!(plus, "{A:1 B:x}");
    }

    #[test]
    fn floats() {
        for (f, want) in [
            (1.5, "1.5"),
            (1e6, "1e+06"),
            (123456.0, "123456"),
            (123456789.0, "1.23456789e+08"),
            (0.0001, "0.0001"),
            (0.00001, "1e-05"),
            (-2.25, "-2.25"),
            (0.0, "0"),
            (f64::INFINITY, "+Inf"),
            (f64::NAN, "NaN"),
        ] {
            assert_eq!(format_float_v(f), want, "{f}");
        }
        for (f, want) in [
            (1.5, "1.5"),
            (1e6, "1000000"),
            (1e21, "1e+21"),
            (1e-7, "1e-7"),
            (0.000001, "0.000001"),
        ] {
            assert_eq!(format_float_json(f), want, "{f}");
        }
    }

    #[test]
    fn json_like_go() {
        let v = Value::from_json(
            &json!({"b": "<&>", "a": [1, 2.5, null, true], "t": "2026-12-02T02:44:20.958806119Z"}),
        );
        assert_eq!(
            v.to_json().unwrap(),
            r#"{"a":[1,2.5,null,true],"b":"<&>","t":"2026-12-02T02:44:20.958806119Z"}"#
        );
        assert_eq!(
            Value::from("a\u{1}\n\"").to_json().unwrap(),
            r#""a\u0001\n\"""#
        );
        assert_eq!(Value::Float(f64::NAN).to_json(), None);
    }

    #[test]
    fn structs_and_maps() {
        let v = Value::from_json(&json!({"Config": {"Labels": {"Foo": "1"}}, "Id": "abc"}));
        assert!(matches!(v, Value::Struct(_)));
        assert_eq!(v.field("ID"), Some(&Value::from("abc")));
        let cfg = v.field("Config").unwrap();
        assert!(matches!(cfg, Value::Struct(_)));
        assert!(matches!(cfg.field("Labels").unwrap(), Value::Map(_)));
        assert!(matches!(Value::from_json(&json!({"a": 1})), Value::Map(_)));
        let net =
            Value::from_json(&json!({"network_interface": "x", "ipv6_enabled": true, "name": "n"}));
        assert_eq!(net.field("NetworkInterface"), Some(&Value::from("x")));
        assert_eq!(net.field("Ipv6Enabled"), Some(&Value::Bool(true)));
        assert_eq!(net.field("Name"), Some(&Value::from("n")));
        assert!(matches!(
            Value::from_json(&json!("2026-12-02T02:44:20Z")),
            Value::Time(_)
        ));
        assert!(matches!(
            Value::from_json(&json!("2026-12-02")),
            Value::String(_)
        ));
    }
}

#[cfg(test)]
mod case_tests {
    use super::*;

    #[test]
    fn exported_names_match_struct_keys_in_any_case() {
        let v = Value::from_json(&serde_json::json!({"IdMappings": {"Uidmap": [1]}}));
        let m = v.field("IDMappings").expect("IDMappings");
        assert!(m.field("UIDMap").is_some());
        assert!(
            v.field("idmappings").is_none(),
            "unexported names stay errors"
        );
    }
}
