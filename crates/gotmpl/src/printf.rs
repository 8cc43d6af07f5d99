//! Go's `fmt.Sprintf`, `Sprint` and `Sprintln` over template values.

use std::fmt::Write as _;

use crate::value::{exp_from_digits, fixed_from_digits, format_float_v, Value};

#[derive(Clone, Copy, Default)]
struct Spec {
    minus: bool,
    plus: bool,
    sharp: bool,
    space: bool,
    zero: bool,
    plus_v: bool,
    width: Option<usize>,
    prec: Option<usize>,
}

/// Go's `fmt.Sprint`: spaces between operands when neither is a string.
pub fn sprint(args: &[&Value]) -> String {
    let mut out = String::new();
    let mut prev_string = false;
    for (i, a) in args.iter().enumerate() {
        let is_string = matches!(a, Value::String(_));
        if i > 0 && !is_string && !prev_string {
            out.push(' ');
        }
        write_plain(&mut out, a);
        prev_string = is_string;
    }
    out
}

/// Go's `fmt.Sprintln`: spaces between all operands and a newline.
pub fn sprintln(args: &[&Value]) -> String {
    let mut out = String::new();
    for (i, a) in args.iter().enumerate() {
        if i > 0 {
            out.push(' ');
        }
        write_plain(&mut out, a);
    }
    out.push('\n');
    out
}

fn write_plain(out: &mut String, v: &Value) {
    match v {
        Value::String(s) => out.push_str(s),
        other => other.write_v(out, false),
    }
}

/// Go's `fmt.Sprintf`.
pub fn sprintf(format: &str, args: &[&Value]) -> String {
    let mut out = String::new();
    let mut next = 0usize;
    let mut chars = format.chars().peekable();
    while let Some(c) = chars.next() {
        if c != '%' {
            out.push(c);
            continue;
        }
        let mut spec = Spec::default();
        while let Some(&f) = chars.peek() {
            match f {
                '-' => spec.minus = true,
                '+' => spec.plus = true,
                '#' => spec.sharp = true,
                ' ' => spec.space = true,
                '0' => spec.zero = true,
                _ => break,
            }
            chars.next();
        }
        let read_num =
            |chars: &mut std::iter::Peekable<std::str::Chars>, next: &mut usize| -> Option<usize> {
                if chars.peek() == Some(&'*') {
                    chars.next();
                    let n = match args.get(*next) {
                        Some(Value::Int(i)) => usize::try_from(*i).ok(),
                        Some(Value::Uint(u)) => usize::try_from(*u).ok(),
                        _ => None,
                    };
                    *next += 1;
                    return Some(n.unwrap_or(0).min(10_000));
                }
                let mut n: Option<usize> = None;
                while let Some(d) = chars.peek().and_then(|c| c.to_digit(10)) {
                    n = Some((n.unwrap_or(0) * 10 + d as usize).min(10_000));
                    chars.next();
                }
                n
            };
        spec.width = read_num(&mut chars, &mut next);
        if chars.peek() == Some(&'.') {
            chars.next();
            spec.prec = Some(read_num(&mut chars, &mut next).unwrap_or(0));
        }
        if spec.minus {
            spec.zero = false;
        }
        let Some(verb) = chars.next() else {
            out.push_str("%!(NOVERB)");
            break;
        };
        if verb == '%' {
            out.push('%');
            continue;
        }
        if verb == 'v' && spec.plus {
            spec.plus = false;
            spec.plus_v = true;
        }
        match args.get(next) {
            None => {
                let _ = write!(out, "%!{verb}(MISSING)");
            }
            Some(v) => format_value(&mut out, v, verb, &spec),
        }
        next += 1;
    }
    if next < args.len() {
        out.push_str("%!(EXTRA ");
        for (i, a) in args[next..].iter().enumerate() {
            if i > 0 {
                out.push_str(", ");
            }
            out.push_str(type_of(a));
            out.push('=');
            write_plain(&mut out, a);
        }
        out.push(')');
    }
    out
}

fn type_of(v: &Value) -> &'static str {
    v.type_name()
}

fn bad_verb(out: &mut String, v: &Value, verb: char) {
    let _ = write!(out, "%!{verb}(");
    match v {
        Value::Nil | Value::NoValue => out.push_str("<nil>"),
        other => {
            out.push_str(type_of(other));
            out.push('=');
            write_plain(out, other);
        }
    }
    out.push(')');
}

fn pad(out: &mut String, s: &str, spec: &Spec) {
    let len = s.chars().count();
    let width = spec.width.unwrap_or(0);
    if len >= width {
        out.push_str(s);
        return;
    }
    let fill = width - len;
    if spec.minus {
        out.push_str(s);
        out.extend(std::iter::repeat_n(' ', fill));
    } else if spec.zero {
        out.extend(std::iter::repeat_n('0', fill));
        out.push_str(s);
    } else {
        out.extend(std::iter::repeat_n(' ', fill));
        out.push_str(s);
    }
}

/// Pads a number: zeros go after the sign.
fn pad_number(out: &mut String, s: &str, spec: &Spec) {
    if spec.zero && !spec.minus {
        if let Some(w) = spec.width {
            let len = s.chars().count();
            if len < w {
                let (sign, digits) = match s.as_bytes().first() {
                    Some(b'+' | b'-' | b' ') => s.split_at(1),
                    _ => ("", s),
                };
                out.push_str(sign);
                out.extend(std::iter::repeat_n('0', w - len));
                out.push_str(digits);
                return;
            }
        }
    }
    let spec = Spec {
        zero: false,
        ..*spec
    };
    pad(out, s, &spec);
}

fn format_value(out: &mut String, v: &Value, verb: char, spec: &Spec) {
    match v {
        Value::Nil | Value::NoValue => {
            if verb == 'v' {
                pad(out, "<nil>", spec);
            } else {
                bad_verb(out, v, verb);
            }
        }
        Value::Bool(b) => match verb {
            't' | 'v' => pad(out, if *b { "true" } else { "false" }, spec),
            _ => bad_verb(out, v, verb),
        },
        Value::Int(i) => format_int(out, i128::from(*i), v, verb, spec),
        Value::Uint(u) => format_int(out, i128::from(*u), v, verb, spec),
        Value::Float(f) => format_float(out, *f, v, verb, spec),
        Value::String(s) => format_str(out, s, v, verb, spec),
        Value::Time(t) => match verb {
            'v' | 's' | 'q' | 'x' | 'X' => format_str(out, &t.go_string(), v, verb, spec),
            _ => bad_verb(out, v, verb),
        },
        Value::List(l) => {
            out.push('[');
            for (i, x) in l.iter().enumerate() {
                if i > 0 {
                    out.push(' ');
                }
                format_value(out, x, verb, spec);
            }
            out.push(']');
        }
        Value::Map(m) => {
            out.push_str("map[");
            for (i, (k, x)) in m.iter().enumerate() {
                if i > 0 {
                    out.push(' ');
                }
                format_str(out, k, &Value::String(k.clone()), verb, spec);
                out.push(':');
                format_value(out, x, verb, spec);
            }
            out.push(']');
        }
        Value::Struct(fields) => {
            out.push('{');
            for (i, (k, x)) in fields.iter().enumerate() {
                if i > 0 {
                    out.push(' ');
                }
                if spec.plus_v {
                    out.push_str(k);
                    out.push(':');
                }
                format_value(out, x, verb, spec);
            }
            out.push('}');
        }
    }
}

fn format_int(out: &mut String, i: i128, v: &Value, verb: char, spec: &Spec) {
    let neg = i < 0;
    let abs = i.unsigned_abs();
    let (mut digits, prefix) = match verb {
        'd' | 'v' => (abs.to_string(), ""),
        'b' => (format!("{abs:b}"), if spec.sharp { "0b" } else { "" }),
        'o' => (format!("{abs:o}"), if spec.sharp { "0" } else { "" }),
        'O' => (format!("{abs:o}"), "0o"),
        'x' => (format!("{abs:x}"), if spec.sharp { "0x" } else { "" }),
        'X' => (format!("{abs:X}"), if spec.sharp { "0X" } else { "" }),
        'c' => {
            let c = u32::try_from(i)
                .ok()
                .and_then(char::from_u32)
                .unwrap_or('\u{fffd}');
            pad(out, &c.to_string(), spec);
            return;
        }
        'q' => {
            let c = u32::try_from(i)
                .ok()
                .and_then(char::from_u32)
                .unwrap_or('\u{fffd}');
            pad(out, &quote_char(c), spec);
            return;
        }
        'U' => {
            let s = format!("U+{abs:04X}");
            pad(out, &s, spec);
            return;
        }
        _ => {
            bad_verb(out, v, verb);
            return;
        }
    };
    if let Some(p) = spec.prec {
        if p == 0 && abs == 0 {
            digits.clear();
        }
        while digits.len() < p {
            digits.insert(0, '0');
        }
    }
    let sign = if neg {
        "-"
    } else if spec.plus {
        "+"
    } else if spec.space {
        " "
    } else {
        ""
    };
    let s = format!("{sign}{prefix}{digits}");
    if spec.prec.is_some() {
        pad(
            out,
            &s,
            &Spec {
                zero: false,
                ..*spec
            },
        );
    } else {
        pad_number(out, &s, spec);
    }
}

fn format_float(out: &mut String, f: f64, v: &Value, verb: char, spec: &Spec) {
    let sign = if f.is_sign_negative() && !f.is_nan() {
        "-"
    } else if spec.plus {
        "+"
    } else if spec.space {
        " "
    } else {
        ""
    };
    if f.is_infinite() || f.is_nan() {
        if !matches!(verb, 'v' | 'e' | 'E' | 'f' | 'F' | 'g' | 'G') {
            bad_verb(out, v, verb);
            return;
        }
        let body = if f.is_nan() { "NaN" } else { "Inf" };
        let sign = if f.is_infinite() && sign.is_empty() {
            "+"
        } else {
            sign
        };
        let s = format!("{}{body}", if f.is_nan() && !spec.plus { "" } else { sign });
        pad(
            out,
            &s,
            &Spec {
                zero: false,
                ..*spec
            },
        );
        return;
    }
    let a = f.abs();
    let body = match verb {
        'v' | 'g' | 'G' => {
            let s = match spec.prec {
                None => format_float_v(a),
                Some(p) => format_g(a, p.max(1)),
            };
            if verb == 'G' {
                s.to_uppercase()
            } else {
                s
            }
        }
        'e' | 'E' => {
            let p = spec.prec.unwrap_or(6);
            let s = format!("{a:.p$e}");
            let (m, e) = s.split_once('e').unwrap_or((&s, "0"));
            let e: i32 = e.parse().unwrap_or(0);
            let s = format!("{m}e{}{:02}", if e < 0 { '-' } else { '+' }, e.abs());
            if verb == 'E' {
                s.to_uppercase()
            } else {
                s
            }
        }
        'f' | 'F' => {
            let p = spec.prec.unwrap_or(6);
            format!("{a:.p$}")
        }
        _ => {
            bad_verb(out, v, verb);
            return;
        }
    };
    pad_number(out, &format!("{sign}{body}"), spec);
}

/// `%.Pg` of a non-negative finite float.
fn format_g(a: f64, p: usize) -> String {
    if a == 0.0 {
        return "0".into();
    }
    let s = format!("{:.*e}", p - 1, a);
    let (m, e) = s.split_once('e').unwrap_or((&s, "0"));
    let exp: i32 = e.parse().unwrap_or(0);
    let mut digits: String = m.chars().filter(char::is_ascii_digit).collect();
    while digits.len() > 1 && digits.ends_with('0') {
        digits.pop();
    }
    let mut eprec = p as i32;
    if eprec > digits.len() as i32 && digits.len() as i32 > exp {
        eprec = digits.len() as i32;
    }
    if exp < -4 || exp >= eprec {
        exp_from_digits(&digits, exp)
    } else {
        fixed_from_digits(&digits, exp)
    }
}

fn format_str(out: &mut String, s: &str, v: &Value, verb: char, spec: &Spec) {
    match verb {
        's' | 'v' => match spec.prec {
            Some(p) => {
                let t: String = s.chars().take(p).collect();
                pad(out, &t, spec);
            }
            None => pad(out, s, spec),
        },
        'q' => {
            let q = if spec.sharp
                && !s.contains('`')
                && !s.chars().any(|c| c.is_control() && c != '\t')
            {
                format!("`{s}`")
            } else {
                quote(s, spec.plus)
            };
            pad(out, &q, spec);
        }
        'x' | 'X' => {
            let mut h = String::new();
            for (i, b) in s.bytes().enumerate() {
                if spec.space && i > 0 {
                    h.push(' ');
                }
                if spec.sharp && (spec.space || i == 0) {
                    h.push_str(if verb == 'x' { "0x" } else { "0X" });
                }
                if verb == 'x' {
                    let _ = write!(h, "{b:02x}");
                } else {
                    let _ = write!(h, "{b:02X}");
                }
            }
            pad(out, &h, spec);
        }
        _ => bad_verb(out, v, verb),
    }
}

fn escape_char(out: &mut String, c: char, quote: char, ascii: bool) {
    match c {
        '\u{7}' => out.push_str("\\a"),
        '\u{8}' => out.push_str("\\b"),
        '\u{c}' => out.push_str("\\f"),
        '\n' => out.push_str("\\n"),
        '\r' => out.push_str("\\r"),
        '\t' => out.push_str("\\t"),
        '\u{b}' => out.push_str("\\v"),
        '\\' => out.push_str("\\\\"),
        c if c == quote => {
            out.push('\\');
            out.push(c);
        }
        c if (c as u32) < 0x20 || c as u32 == 0x7f => {
            let _ = write!(out, "\\x{:02x}", c as u32);
        }
        c if c.is_control() || (ascii && !c.is_ascii()) => {
            if (c as u32) < 0x10000 {
                let _ = write!(out, "\\u{:04x}", c as u32);
            } else {
                let _ = write!(out, "\\U{:08x}", c as u32);
            }
        }
        c => out.push(c),
    }
}

/// Go's `strconv.Quote` (`QuoteToASCII` with `ascii`).
pub fn quote(s: &str, ascii: bool) -> String {
    let mut out = String::from("\"");
    for c in s.chars() {
        escape_char(&mut out, c, '"', ascii);
    }
    out.push('"');
    out
}

fn quote_char(c: char) -> String {
    let mut out = String::from("'");
    escape_char(&mut out, c, '\'', false);
    out.push('\'');
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn f(format: &str, args: &[Value]) -> String {
        let refs: Vec<&Value> = args.iter().collect();
        sprintf(format, &refs)
    }

    #[test]
    fn verbs() {
        let s = Value::from("hi");
        assert_eq!(f("%s-%d", &[s.clone(), Value::Int(5)]), "hi-5");
        assert_eq!(
            f("%v|%q|%x|%X", &[s.clone(), s.clone(), s.clone(), s.clone()]),
            "hi|\"hi\"|6869|6869"
        );
        assert_eq!(
            f(
                "%5.2f|%f|%.0f",
                &[Value::Float(3.14259), Value::Float(1.5), Value::Float(2.5)]
            ),
            " 3.14|1.500000|2"
        );
        assert_eq!(
            f("%-10s|%10s|", &[s.clone(), s.clone()]),
            "hi        |        hi|"
        );
        assert_eq!(
            f("%t %v", &[Value::Bool(true), Value::Bool(false)]),
            "true false"
        );
        assert_eq!(
            f(
                "%05d|%+d|%x|%X|%o|%b|%#x",
                &[
                    Value::Int(42),
                    Value::Int(42),
                    Value::Int(255),
                    Value::Int(255),
                    Value::Int(8),
                    Value::Int(5),
                    Value::Int(255)
                ]
            ),
            "00042|+42|ff|FF|10|101|0xff"
        );
        assert_eq!(f("%x", &[Value::Int(-255)]), "-ff");
        assert_eq!(
            f(
                "%c|%q|%U",
                &[Value::Int(65), Value::Int(65), Value::Int(65)]
            ),
            "A|'A'|U+0041"
        );
        assert_eq!(
            f(
                "%e|%E|%g|%.3g",
                &[
                    Value::Float(1234.5678),
                    Value::Float(1234.5678),
                    Value::Float(1e6),
                    Value::Float(1234.5678)
                ]
            ),
            "1.234568e+03|1.234568E+03|1e+06|1.23e+03"
        );
        assert_eq!(
            f("%v %v", &[Value::Float(1.5), Value::Float(1e21)]),
            "1.5 1e+21"
        );
        assert_eq!(f("%%|%d", &[Value::Int(1)]), "%|1");
        assert_eq!(f("%.2s", &[Value::from("héllo")]), "hé");
        assert_eq!(
            f(
                "%6.2f|%-8.3f|%08.3f",
                &[
                    Value::Float(-1.5),
                    Value::Float(2.0),
                    Value::Float(-3.14259)
                ]
            ),
            " -1.50|2.000   |-003.143"
        );
    }

    #[test]
    fn composite_values() {
        let l = Value::List(vec![Value::from("a"), Value::from("b")]);
        assert_eq!(
            f("%v|%s|%q", &[l.clone(), l.clone(), l.clone()]),
            "[a b]|[a b]|[\"a\" \"b\"]"
        );
        let st = Value::Struct(vec![
            ("A".into(), Value::Int(1)),
            ("B".into(), Value::from("x")),
        ]);
        assert_eq!(f("%v|%+v", &[st.clone(), st]), "{1 x}|{A:1 B:x}");
        let m = Value::from_json(&serde_json::json!({"b": 2, "a": 1}));
        assert_eq!(
            f("%v|%d", &[m.clone(), m]),
            "map[a:1 b:2]|map[%!d(string=a):1 %!d(string=b):2]"
        );
    }

    #[test]
    fn mistakes() {
        assert_eq!(f("%d", &[Value::from("x")]), "%!d(string=x)");
        assert_eq!(f("%s", &[Value::Int(5)]), "%!s(int=5)");
        assert_eq!(f("%d %d", &[Value::Int(5)]), "5 %!d(MISSING)");
        assert_eq!(
            f("%d", &[Value::Int(5), Value::from("x")]),
            "5%!(EXTRA string=x)"
        );
        assert_eq!(f("%", &[]), "%!(NOVERB)");
        assert_eq!(f("%s", &[Value::Nil]), "%!s(<nil>)");
        assert_eq!(f("%v", &[Value::Nil]), "<nil>");
        assert_eq!(f("%z", &[Value::Int(1)]), "%!z(int=1)");
    }

    #[test]
    fn print_spacing() {
        let a = Value::from("a");
        let one = Value::Int(1);
        let two = Value::Int(2);
        assert_eq!(sprint(&[&a, &one, &two, &a]), "a1 2a");
        assert_eq!(sprintln(&[&a, &one]), "a 1\n");
    }

    #[test]
    fn quoting() {
        assert_eq!(quote("a\"b\\\n\u{1}é", false), "\"a\\\"b\\\\\\n\\x01é\"");
        assert_eq!(quote("é", true), "\"\\u00e9\"");
    }
}
