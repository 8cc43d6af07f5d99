//! Lexing and parsing of template text into trees.

use std::collections::HashMap;

use crate::value::Value;
use crate::Error;

/// How deeply actions, parentheses and control structures may nest.
const MAX_NESTING: usize = 100;

#[derive(Clone, Debug, PartialEq)]
enum Tok {
    Text(String),
    LeftDelim,
    RightDelim,
    Ident(String),
    Field(String),
    Variable(String),
    Dot,
    Str(String),
    Number(String),
    Char(char),
    Bool(bool),
    Nil,
    LParen,
    RParen,
    Pipe,
    Declare,
    Assign,
    Comma,
    Kw(Kw),
    Eof,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Kw {
    Block,
    Break,
    Continue,
    Define,
    Else,
    End,
    If,
    Range,
    Template,
    With,
}

#[derive(Clone, Debug)]
struct Token {
    tok: Tok,
    pos: usize,
    end: usize,
    space_before: bool,
}

fn is_space(c: u8) -> bool {
    matches!(c, b' ' | b'\t' | b'\r' | b'\n')
}

fn is_alnum(c: char) -> bool {
    c == '_' || c.is_alphanumeric()
}

fn line_of(src: &str, pos: usize) -> usize {
    1 + src.as_bytes()[..pos.min(src.len())]
        .iter()
        .filter(|&&b| b == b'\n')
        .count()
}

struct Lexer<'s> {
    src: &'s str,
    name: &'s str,
    pos: usize,
    toks: Vec<Token>,
}

impl<'s> Lexer<'s> {
    fn err(&self, pos: usize, msg: impl Into<String>) -> Error {
        Error::Parse {
            name: self.name.to_string(),
            line: line_of(self.src, pos),
            msg: msg.into(),
        }
    }

    fn push(&mut self, tok: Tok, pos: usize, end: usize, space_before: bool) {
        self.toks.push(Token {
            tok,
            pos,
            end,
            space_before,
        });
    }

    fn run(mut self) -> Result<Vec<Token>, Error> {
        let b = self.src.as_bytes();
        let mut trim_next = false;
        loop {
            let start = self.pos;
            let found = self.src[start..].find("{{").map(|i| start + i);
            let text_end = found.unwrap_or(b.len());
            let mut text = &self.src[start..text_end];
            if trim_next {
                text = text.trim_start_matches([' ', '\t', '\r', '\n']);
            }
            let Some(open) = found else {
                if !text.is_empty() {
                    self.push(Tok::Text(text.to_string()), start, text_end, false);
                }
                break;
            };
            let mut inner = open + 2;
            if b.len() > inner + 1 && b[inner] == b'-' && is_space(b[inner + 1]) {
                text = text.trim_end_matches([' ', '\t', '\r', '\n']);
                inner += 2;
            }
            if !text.is_empty() {
                self.push(Tok::Text(text.to_string()), start, text_end, false);
            }
            // A comment: `{{/* … */}}`.
            if self.src[inner..].starts_with("/*") {
                let Some(close) = self.src[inner + 2..].find("*/") else {
                    return Err(self.err(open, "unclosed comment"));
                };
                let after = inner + 2 + close + 2;
                let rest = &self.src[after..];
                if rest.starts_with("}}") {
                    self.pos = after + 2;
                    trim_next = false;
                } else if rest.len() >= 4
                    && is_space(rest.as_bytes()[0])
                    && rest[1..].starts_with("-}}")
                {
                    self.pos = after + 4;
                    trim_next = true;
                } else {
                    return Err(self.err(open, "comment ends before closing delimiter"));
                }
                continue;
            }
            self.push(Tok::LeftDelim, open, inner, false);
            self.pos = inner;
            trim_next = self.action()?;
        }
        let end = self.src.len();
        self.push(Tok::Eof, end, end, false);
        Ok(self.toks)
    }

    /// Lexes inside an action up to its closing delimiter; returns whether
    /// the delimiter trims the following text.
    fn action(&mut self) -> Result<bool, Error> {
        let src = self.src;
        let b = src.as_bytes();
        let mut space = false;
        let mut parens = 0usize;
        loop {
            let p = self.pos;
            if p >= b.len() {
                return Err(self.err(p, "unclosed action"));
            }
            let c = b[p];
            if is_space(c) {
                if src[p + 1..].starts_with("-}}") {
                    if parens > 0 {
                        return Err(self.err(p, "unclosed left paren"));
                    }
                    self.push(Tok::RightDelim, p, p + 4, true);
                    self.pos = p + 4;
                    return Ok(true);
                }
                self.pos += 1;
                space = true;
                continue;
            }
            if src[p..].starts_with("}}") {
                if parens > 0 {
                    return Err(self.err(p, "unclosed left paren"));
                }
                self.push(Tok::RightDelim, p, p + 2, space);
                self.pos = p + 2;
                return Ok(false);
            }
            let ch = src[p..].chars().next().unwrap_or('\0');
            match ch {
                '"' => {
                    let mut i = p + 1;
                    loop {
                        match b.get(i) {
                            None | Some(b'\n') => {
                                return Err(self.err(p, "unterminated quoted string"))
                            }
                            Some(b'\\') => i += 2,
                            Some(b'"') => break,
                            Some(_) => i += 1,
                        }
                    }
                    let raw = &src[p + 1..i];
                    let s = unquote(raw)
                        .ok_or_else(|| self.err(p, format!("invalid syntax: {:?}", &src[p..=i])))?;
                    self.push(Tok::Str(s), p, i + 1, space);
                    self.pos = i + 1;
                }
                '`' => {
                    let Some(close) = src[p + 1..].find('`') else {
                        return Err(self.err(p, "unterminated raw quoted string"));
                    };
                    let s = src[p + 1..p + 1 + close].replace('\r', "");
                    self.push(Tok::Str(s), p, p + close + 2, space);
                    self.pos = p + close + 2;
                }
                '\'' => {
                    let mut i = p + 1;
                    loop {
                        match b.get(i) {
                            None | Some(b'\n') => {
                                return Err(self.err(p, "unterminated character constant"))
                            }
                            Some(b'\\') => i += 2,
                            Some(b'\'') => break,
                            Some(_) => i += 1,
                        }
                    }
                    let raw = &src[p + 1..i.min(b.len())];
                    let s = unquote(raw);
                    let c = match s.as_deref().map(|s| {
                        let mut cs = s.chars();
                        (cs.next(), cs.next())
                    }) {
                        Some((Some(c), None)) => c,
                        _ => {
                            return Err(self
                                .err(p, format!("malformed character constant: {}", &src[p..=i])))
                        }
                    };
                    self.push(Tok::Char(c), p, i + 1, space);
                    self.pos = i + 1;
                }
                '.' if b.get(p + 1).is_some_and(|d| d.is_ascii_digit()) => self.number(space)?,
                '.' => {
                    let mut i = p + 1;
                    while let Some(c) = src[i..].chars().next().filter(|&c| is_alnum(c)) {
                        i += c.len_utf8();
                    }
                    self.check_terminator(i)?;
                    if i == p + 1 {
                        self.push(Tok::Dot, p, i, space);
                    } else {
                        self.push(Tok::Field(src[p + 1..i].to_string()), p, i, space);
                    }
                    self.pos = i;
                }
                '$' => {
                    let mut i = p + 1;
                    while let Some(c) = src[i..].chars().next().filter(|&c| is_alnum(c)) {
                        i += c.len_utf8();
                    }
                    self.check_terminator(i)?;
                    self.push(Tok::Variable(src[p..i].to_string()), p, i, space);
                    self.pos = i;
                }
                '+' | '-' | '0'..='9' => self.number(space)?,
                c if c == '_' || c.is_alphabetic() => {
                    let mut i = p;
                    while let Some(c) = src[i..].chars().next().filter(|&c| is_alnum(c)) {
                        i += c.len_utf8();
                    }
                    self.check_terminator(i)?;
                    let word = &src[p..i];
                    let tok = match word {
                        "block" => Tok::Kw(Kw::Block),
                        "break" => Tok::Kw(Kw::Break),
                        "continue" => Tok::Kw(Kw::Continue),
                        "define" => Tok::Kw(Kw::Define),
                        "else" => Tok::Kw(Kw::Else),
                        "end" => Tok::Kw(Kw::End),
                        "if" => Tok::Kw(Kw::If),
                        "range" => Tok::Kw(Kw::Range),
                        "template" => Tok::Kw(Kw::Template),
                        "with" => Tok::Kw(Kw::With),
                        "nil" => Tok::Nil,
                        "true" => Tok::Bool(true),
                        "false" => Tok::Bool(false),
                        _ => Tok::Ident(word.to_string()),
                    };
                    self.push(tok, p, i, space);
                    self.pos = i;
                }
                '(' => {
                    parens += 1;
                    self.push(Tok::LParen, p, p + 1, space);
                    self.pos += 1;
                }
                ')' => {
                    if parens == 0 {
                        return Err(self.err(p, "unexpected right paren"));
                    }
                    parens -= 1;
                    self.push(Tok::RParen, p, p + 1, space);
                    self.pos += 1;
                }
                '|' => {
                    self.push(Tok::Pipe, p, p + 1, space);
                    self.pos += 1;
                }
                ',' => {
                    self.push(Tok::Comma, p, p + 1, space);
                    self.pos += 1;
                }
                ':' => {
                    if b.get(p + 1) != Some(&b'=') {
                        return Err(self.err(p, "expected :="));
                    }
                    self.push(Tok::Declare, p, p + 2, space);
                    self.pos += 2;
                }
                '=' => {
                    self.push(Tok::Assign, p, p + 1, space);
                    self.pos += 1;
                }
                other => {
                    return Err(self.err(
                        p,
                        format!("unrecognized character in action: {}", go_rune(other)),
                    ))
                }
            }
            space = false;
        }
    }

    fn check_terminator(&self, i: usize) -> Result<(), Error> {
        let rest = &self.src[i..];
        let Some(c) = rest.chars().next() else {
            return Ok(());
        };
        if is_space(c as u8) && c.is_ascii()
            || matches!(c, '.' | ',' | '|' | ':' | ')' | '(' | '=')
            || rest.starts_with("}}")
        {
            return Ok(());
        }
        Err(self.err(i, format!("bad character {}", go_rune(c))))
    }

    fn number(&mut self, space: bool) -> Result<(), Error> {
        let src = self.src;
        let b = src.as_bytes();
        let p = self.pos;
        let mut i = p;
        if matches!(b.get(i), Some(b'+' | b'-')) {
            i += 1;
        }
        let mut digits: &[u8] = b"0123456789_";
        if b.get(i) == Some(&b'0') && matches!(b.get(i + 1), Some(b'x' | b'X')) {
            i += 2;
            digits = b"0123456789abcdefABCDEF_";
        } else if b.get(i) == Some(&b'0') && matches!(b.get(i + 1), Some(b'o' | b'O')) {
            i += 2;
            digits = b"01234567_";
        } else if b.get(i) == Some(&b'0') && matches!(b.get(i + 1), Some(b'b' | b'B')) {
            i += 2;
            digits = b"01_";
        }
        let hex = digits.len() > 12;
        let run = |i: &mut usize| {
            while b.get(*i).is_some_and(|c| digits.contains(c)) {
                *i += 1;
            }
        };
        run(&mut i);
        if b.get(i) == Some(&b'.') {
            i += 1;
            run(&mut i);
        }
        let exp: &[u8] = if hex { b"pP" } else { b"eE" };
        if b.get(i).is_some_and(|c| exp.contains(c)) {
            i += 1;
            if matches!(b.get(i), Some(b'+' | b'-')) {
                i += 1;
            }
            while b.get(i).is_some_and(u8::is_ascii_digit) {
                i += 1;
            }
        }
        let next = src[i..].chars().next();
        if next.is_some_and(is_alnum) || i == p || (i == p + 1 && !b[p].is_ascii_digit()) {
            let mut j = i;
            while let Some(c) = src[j..].chars().next().filter(|&c| is_alnum(c) || c == '.') {
                j += c.len_utf8();
            }
            return Err(self.err(
                p,
                format!(
                    "bad number syntax: {:?}",
                    &src[p..j.max(p + 1).min(src.len())]
                ),
            ));
        }
        self.push(Tok::Number(src[p..i].to_string()), p, i, space);
        self.pos = i;
        Ok(())
    }
}

fn go_rune(c: char) -> String {
    format!("U+{:04X} '{}'", c as u32, c)
}

/// Interprets Go escapes in a quoted string's body.
fn unquote(s: &str) -> Option<String> {
    let mut out = String::new();
    let mut chars = s.chars();
    while let Some(c) = chars.next() {
        if c != '\\' {
            out.push(c);
            continue;
        }
        let e = chars.next()?;
        match e {
            'a' => out.push('\u{7}'),
            'b' => out.push('\u{8}'),
            'f' => out.push('\u{c}'),
            'n' => out.push('\n'),
            'r' => out.push('\r'),
            't' => out.push('\t'),
            'v' => out.push('\u{b}'),
            '\\' => out.push('\\'),
            '\'' => out.push('\''),
            '"' => out.push('"'),
            'x' | 'u' | 'U' => {
                let n = match e {
                    'x' => 2,
                    'u' => 4,
                    _ => 8,
                };
                let hex: String = (0..n).filter_map(|_| chars.next()).collect();
                if hex.len() != n {
                    return None;
                }
                let v = u32::from_str_radix(&hex, 16).ok()?;
                if e == 'x' {
                    // A byte; only ASCII keeps the string valid UTF-8.
                    out.push(if v < 0x80 {
                        char::from(v as u8)
                    } else {
                        '\u{fffd}'
                    });
                } else {
                    out.push(char::from_u32(v)?);
                }
            }
            '0'..='7' => {
                let rest: String = (0..2).filter_map(|_| chars.next()).collect();
                if rest.len() != 2 {
                    return None;
                }
                let v = u32::from_str_radix(&format!("{e}{rest}"), 8).ok()?;
                if v > 255 {
                    return None;
                }
                out.push(if v < 0x80 {
                    char::from(v as u8)
                } else {
                    '\u{fffd}'
                });
            }
            _ => return None,
        }
    }
    Some(out)
}

/// A byte range of the template source, for error messages.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub(crate) struct Span {
    pub start: usize,
    pub end: usize,
}

#[derive(Debug)]
pub(crate) enum Node {
    Text(String),
    Action(Pipe),
    If(Branch),
    Range(Branch),
    With(Branch),
    Template {
        name: String,
        pipe: Option<Pipe>,
        span: Span,
    },
    Break,
    Continue,
}

#[derive(Debug)]
pub(crate) struct Branch {
    pub pipe: Pipe,
    pub list: Vec<Node>,
    pub else_list: Option<Vec<Node>>,
}

#[derive(Debug)]
pub(crate) struct Pipe {
    pub decl: Vec<String>,
    pub is_assign: bool,
    pub cmds: Vec<Cmd>,
    pub span: Span,
}

#[derive(Debug)]
pub(crate) struct Cmd {
    pub args: Vec<Arg>,
    pub span: Span,
}

#[derive(Debug)]
pub(crate) enum ArgKind {
    Dot,
    Nil,
    /// `.A.B`
    Field(Vec<String>),
    /// `$x.A.B`
    Variable(String, Vec<String>),
    /// `(…).A.B`, `"x".A` is refused at parse time
    Chain(Box<Arg>, Vec<String>),
    Pipe(Pipe),
    Ident(String),
    Const(Value),
}

#[derive(Debug)]
pub(crate) struct Arg {
    pub kind: ArgKind,
    pub span: Span,
}

pub(crate) struct Parsed {
    pub root: Vec<Node>,
    pub defines: HashMap<String, Vec<Node>>,
}

struct Parser<'s> {
    src: &'s str,
    name: &'s str,
    toks: Vec<Token>,
    i: usize,
    vars: Vec<String>,
    range_depth: usize,
    depth: usize,
    defines: HashMap<String, Vec<Node>>,
    is_func: &'s dyn Fn(&str) -> bool,
}

enum End {
    Keyword,
    Else(usize),
    Eof,
}

pub(crate) fn parse(
    name: &str,
    src: &str,
    is_func: &dyn Fn(&str) -> bool,
) -> Result<Parsed, Error> {
    let toks = Lexer {
        src,
        name,
        pos: 0,
        toks: Vec::new(),
    }
    .run()?;
    let mut p = Parser {
        src,
        name,
        toks,
        i: 0,
        vars: vec!["$".into()],
        range_depth: 0,
        depth: 0,
        defines: HashMap::new(),
        is_func,
    };
    let (root, end) = p.list(true)?;
    match end {
        End::Eof => {}
        End::Keyword => return Err(p.err_at(p.i, "unexpected {{end}}")),
        End::Else(pos) => return Err(p.err_pos(pos, "unexpected {{else}}")),
    }
    Ok(Parsed {
        root,
        defines: p.defines,
    })
}

fn describe(t: &Tok) -> String {
    match t {
        Tok::Text(_) => "text".into(),
        Tok::LeftDelim => "<left delim>".into(),
        Tok::RightDelim => "<right delim>".into(),
        Tok::Ident(s) => format!("<{s}>"),
        Tok::Field(s) => format!("<.{s}>"),
        Tok::Variable(s) => format!("<{s}>"),
        Tok::Dot => "<.>".into(),
        Tok::Str(s) => format!("{s:?}"),
        Tok::Number(s) => format!("{s:?}"),
        Tok::Char(c) => format!("{c:?}"),
        Tok::Bool(b) => format!("<{b}>"),
        Tok::Nil => "<nil>".into(),
        Tok::LParen => "\"(\"".into(),
        Tok::RParen => "\")\"".into(),
        Tok::Pipe => "\"|\"".into(),
        Tok::Declare => "\":=\"".into(),
        Tok::Assign => "\"=\"".into(),
        Tok::Comma => "\",\"".into(),
        Tok::Kw(k) => format!("<{}>", format!("{k:?}").to_lowercase()),
        Tok::Eof => "EOF".into(),
    }
}

impl Parser<'_> {
    fn err_pos(&self, pos: usize, msg: impl Into<String>) -> Error {
        Error::Parse {
            name: self.name.to_string(),
            line: line_of(self.src, pos),
            msg: msg.into(),
        }
    }

    fn err_at(&self, i: usize, msg: impl Into<String>) -> Error {
        let pos = self.toks.get(i).map_or(self.src.len(), |t| t.pos);
        self.err_pos(pos, msg)
    }

    fn peek(&self) -> &Token {
        &self.toks[self.i.min(self.toks.len() - 1)]
    }

    fn peek_at(&self, k: usize) -> &Token {
        &self.toks[(self.i + k).min(self.toks.len() - 1)]
    }

    fn next(&mut self) -> Token {
        let t = self.peek().clone();
        if self.i < self.toks.len() - 1 {
            self.i += 1;
        }
        t
    }

    fn enter(&mut self) -> Result<(), Error> {
        self.depth += 1;
        if self.depth > MAX_NESTING {
            return Err(self.err_at(self.i, "max nesting depth exceeded"));
        }
        Ok(())
    }

    fn expect_right(&mut self, context: &str) -> Result<(), Error> {
        let t = self.next();
        if t.tok != Tok::RightDelim {
            return Err(self.err_pos(
                t.pos,
                format!("unexpected {} in {context}", describe(&t.tok)),
            ));
        }
        Ok(())
    }

    /// Parses nodes up to `{{end}}`, `{{else}}` or the end of input (which
    /// only `top` accepts). The `{{else` has been consumed for Else, with
    /// the parser after the keyword.
    fn list(&mut self, top: bool) -> Result<(Vec<Node>, End), Error> {
        self.enter()?;
        let mut nodes = Vec::new();
        loop {
            let t = self.next();
            match t.tok {
                Tok::Eof => {
                    if !top {
                        return Err(self.err_pos(t.pos, "unexpected EOF"));
                    }
                    self.depth -= 1;
                    return Ok((nodes, End::Eof));
                }
                Tok::Text(s) => nodes.push(Node::Text(s)),
                Tok::LeftDelim => {
                    let k = self.peek().clone();
                    match k.tok {
                        Tok::Kw(Kw::End) => {
                            self.next();
                            self.expect_right("end")?;
                            self.depth -= 1;
                            return Ok((nodes, End::Keyword));
                        }
                        Tok::Kw(Kw::Else) => {
                            self.next();
                            self.depth -= 1;
                            return Ok((nodes, End::Else(k.pos)));
                        }
                        Tok::Kw(Kw::Define) if top && self.depth == 1 => {
                            self.next();
                            self.define()?;
                        }
                        _ => {
                            if let Some(n) = self.action()? {
                                nodes.push(n);
                            }
                        }
                    }
                }
                other => {
                    return Err(self.err_pos(t.pos, format!("unexpected {}", describe(&other))))
                }
            }
        }
    }

    fn template_name(&mut self, context: &str) -> Result<String, Error> {
        let t = self.next();
        match t.tok {
            Tok::Str(s) => Ok(s),
            other => Err(self.err_pos(
                t.pos,
                format!("unexpected {} in {context} clause", describe(&other)),
            )),
        }
    }

    fn define(&mut self) -> Result<(), Error> {
        let name = self.template_name("define")?;
        self.expect_right("define clause")?;
        let saved = std::mem::replace(&mut self.vars, vec!["$".into()]);
        let (body, end) = self.list(false)?;
        self.vars = saved;
        match end {
            End::Keyword => {}
            End::Else(pos) => return Err(self.err_pos(pos, "unexpected {{else}}")),
            End::Eof => return Err(self.err_at(self.i, "unexpected EOF")),
        }
        self.defines.insert(name, body);
        Ok(())
    }

    /// An action after `{{`; `None` for actions that produce no node.
    fn action(&mut self) -> Result<Option<Node>, Error> {
        let t = self.peek().clone();
        match t.tok {
            Tok::Kw(Kw::If) => {
                self.next();
                Ok(Some(Node::If(self.branch("if")?)))
            }
            Tok::Kw(Kw::With) => {
                self.next();
                Ok(Some(Node::With(self.branch("with")?)))
            }
            Tok::Kw(Kw::Range) => {
                self.next();
                Ok(Some(Node::Range(self.branch("range")?)))
            }
            Tok::Kw(Kw::Break) | Tok::Kw(Kw::Continue) => {
                self.next();
                let brk = t.tok == Tok::Kw(Kw::Break);
                let word = if brk { "break" } else { "continue" };
                if self.range_depth == 0 {
                    return Err(
                        self.err_pos(t.pos, format!("{{{{{word}}}}} outside {{{{range}}}}"))
                    );
                }
                let n = self.next();
                if n.tok != Tok::RightDelim {
                    return Err(self.err_pos(
                        n.pos,
                        format!("unexpected {} in {{{{{word}}}}}", describe(&n.tok)),
                    ));
                }
                Ok(Some(if brk { Node::Break } else { Node::Continue }))
            }
            Tok::Kw(Kw::Template) => {
                self.next();
                let name = self.template_name("template")?;
                let pipe = if self.peek().tok == Tok::RightDelim {
                    self.next();
                    None
                } else {
                    Some(self.pipeline("template", Tok::RightDelim)?)
                };
                Ok(Some(Node::Template {
                    name,
                    pipe,
                    span: Span {
                        start: t.pos,
                        end: t.end,
                    },
                }))
            }
            Tok::Kw(Kw::Block) => {
                self.next();
                let name = self.template_name("block")?;
                let pipe = self.pipeline("block clause", Tok::RightDelim)?;
                let saved = std::mem::replace(&mut self.vars, vec!["$".into()]);
                let saved_range = std::mem::replace(&mut self.range_depth, 0);
                let (body, end) = self.list(false)?;
                self.vars = saved;
                self.range_depth = saved_range;
                match end {
                    End::Keyword => {}
                    End::Else(pos) => return Err(self.err_pos(pos, "unexpected {{else}}")),
                    End::Eof => return Err(self.err_at(self.i, "unexpected EOF")),
                }
                self.defines.insert(name.clone(), body);
                Ok(Some(Node::Template {
                    name,
                    pipe: Some(pipe),
                    span: Span {
                        start: t.pos,
                        end: t.end,
                    },
                }))
            }
            Tok::Kw(k) => Err(self.err_pos(
                t.pos,
                format!("unexpected {} in command", describe(&Tok::Kw(k))),
            )),
            _ => {
                let pipe = self.pipeline("command", Tok::RightDelim)?;
                Ok(Some(Node::Action(pipe)))
            }
        }
    }

    /// `if`/`with`/`range` after the keyword, through the matching `{{end}}`.
    fn branch(&mut self, context: &str) -> Result<Branch, Error> {
        self.enter()?;
        let mark = self.vars.len();
        let pipe = self.pipeline(context, Tok::RightDelim)?;
        if context == "range" {
            self.range_depth += 1;
        }
        let (list, end) = self.list(false)?;
        if context == "range" {
            self.range_depth -= 1;
        }
        let else_list = match end {
            End::Keyword => None,
            End::Eof => return Err(self.err_at(self.i, "unexpected EOF")),
            End::Else(_) => {
                let k = self.peek().clone();
                if (context == "if" && k.tok == Tok::Kw(Kw::If))
                    || (context == "with" && k.tok == Tok::Kw(Kw::With))
                {
                    // `{{else if …}}`: a nested branch sharing this `{{end}}`.
                    self.next();
                    let inner = self.branch(context)?;
                    Some(vec![if context == "if" {
                        Node::If(inner)
                    } else {
                        Node::With(inner)
                    }])
                } else {
                    self.expect_right("else")?;
                    let (l, end) = self.list(false)?;
                    match end {
                        End::Keyword => {}
                        End::Else(pos) => {
                            return Err(self.err_pos(
                                pos,
                                format!("expected end; found {{{{else}}}} in {context}"),
                            ))
                        }
                        End::Eof => return Err(self.err_at(self.i, "unexpected EOF")),
                    }
                    Some(l)
                }
            }
        };
        self.vars.truncate(mark);
        self.depth -= 1;
        Ok(Branch {
            pipe,
            list,
            else_list,
        })
    }

    fn pipeline(&mut self, context: &str, end: Tok) -> Result<Pipe, Error> {
        self.enter()?;
        let start = self.peek().pos;
        let mut decl = Vec::new();
        let mut is_assign = false;
        if let Tok::Variable(v) = &self.peek().tok {
            let v = v.clone();
            match self.peek_at(1).tok {
                Tok::Declare | Tok::Assign => {
                    is_assign = self.peek_at(1).tok == Tok::Assign;
                    self.i += 2;
                    decl.push(v);
                }
                Tok::Comma => {
                    let at = self.peek_at(1).pos;
                    if context != "range" {
                        return Err(self.err_pos(at, format!("too many declarations in {context}")));
                    }
                    match (&self.peek_at(2).tok, &self.peek_at(3).tok) {
                        (Tok::Variable(v2), Tok::Declare | Tok::Assign) => {
                            is_assign = self.peek_at(3).tok == Tok::Assign;
                            decl.push(v);
                            decl.push(v2.clone());
                            self.i += 4;
                        }
                        _ => return Err(self.err_pos(at, "range can only initialize variables")),
                    }
                }
                _ => {}
            }
        }
        if is_assign {
            if let Some(v) = decl.iter().find(|v| !self.vars.contains(v)) {
                return Err(self.err_pos(start, format!("undefined variable {v:?}")));
            }
        } else {
            self.vars.extend(decl.iter().cloned());
        }
        let mut cmds = Vec::new();
        let end_pos;
        loop {
            let t = self.peek().clone();
            if t.tok == end {
                self.next();
                end_pos = t.pos;
                break;
            }
            match t.tok {
                Tok::RightDelim | Tok::RParen | Tok::Eof => {
                    return Err(self.err_pos(
                        t.pos,
                        format!("unexpected {} in {context}", describe(&t.tok)),
                    ));
                }
                _ => {}
            }
            cmds.push(self.command(&end)?);
            if self.peek().tok == Tok::Pipe {
                let p = self.next();
                if matches!(self.peek().tok, Tok::RightDelim | Tok::RParen) {
                    return Err(self.err_pos(p.pos, "missing command"));
                }
            }
        }
        if cmds.is_empty() {
            return Err(self.err_pos(end_pos, format!("missing value for {context}")));
        }
        for (i, c) in cmds.iter().enumerate().skip(1) {
            if let Some(first) = c.args.first() {
                if matches!(first.kind, ArgKind::Const(_) | ArgKind::Dot | ArgKind::Nil) {
                    return Err(self.err_pos(
                        first.span.start,
                        format!("non executable command in pipeline stage {}", i + 1),
                    ));
                }
            }
        }
        self.depth -= 1;
        Ok(Pipe {
            decl,
            is_assign,
            cmds,
            span: Span {
                start,
                end: end_pos,
            },
        })
    }

    fn command(&mut self, end: &Tok) -> Result<Cmd, Error> {
        let start = self.peek().pos;
        let mut args = Vec::new();
        loop {
            let a = self.operand()?;
            args.push(a);
            let t = self.peek().clone();
            match t.tok {
                Tok::Pipe => break,
                ref x if x == end => break,
                Tok::RightDelim | Tok::RParen => break,
                _ if t.space_before => continue,
                other => {
                    return Err(
                        self.err_pos(t.pos, format!("unexpected {} in operand", describe(&other)))
                    )
                }
            }
        }
        let end_pos = args.last().map_or(start, |a| a.span.end);
        if let Some(Arg {
            kind: ArgKind::Nil,
            span,
        }) = args.first()
        {
            return Err(self.err_pos(span.start, "nil is not a command"));
        }
        Ok(Cmd {
            args,
            span: Span {
                start,
                end: end_pos,
            },
        })
    }

    fn operand(&mut self) -> Result<Arg, Error> {
        let term = self.term()?;
        let mut fields = Vec::new();
        let mut end = term.span.end;
        while let Tok::Field(f) = &self.peek().tok {
            if self.peek().space_before {
                break;
            }
            fields.push(f.clone());
            end = self.peek().end;
            self.next();
        }
        if fields.is_empty() {
            return Ok(term);
        }
        let span = Span {
            start: term.span.start,
            end,
        };
        let kind = match term.kind {
            ArgKind::Field(mut f) => {
                f.extend(fields);
                ArgKind::Field(f)
            }
            ArgKind::Variable(v, mut f) => {
                f.extend(fields);
                ArgKind::Variable(v, f)
            }
            ArgKind::Pipe(_) | ArgKind::Ident(_) | ArgKind::Chain(..) => {
                ArgKind::Chain(Box::new(term), fields)
            }
            ArgKind::Dot | ArgKind::Nil | ArgKind::Const(_) => {
                return Err(self.err_pos(
                    term.span.start,
                    format!(
                        "unexpected . after term {:?}",
                        &self.src[term.span.start..term.span.end]
                    ),
                ))
            }
        };
        Ok(Arg { kind, span })
    }

    fn term(&mut self) -> Result<Arg, Error> {
        let t = self.next();
        let span = Span {
            start: t.pos,
            end: t.end,
        };
        let kind = match t.tok {
            Tok::Ident(name) => {
                if !(self.is_func)(&name) {
                    return Err(self.err_pos(t.pos, format!("function {name:?} not defined")));
                }
                ArgKind::Ident(name)
            }
            Tok::Dot => ArgKind::Dot,
            Tok::Nil => ArgKind::Nil,
            Tok::Variable(v) => {
                if !self.vars.contains(&v) {
                    return Err(self.err_pos(t.pos, format!("undefined variable {v:?}")));
                }
                ArgKind::Variable(v, Vec::new())
            }
            Tok::Field(f) => ArgKind::Field(vec![f]),
            Tok::Bool(b) => ArgKind::Const(Value::Bool(b)),
            Tok::Str(s) => ArgKind::Const(Value::String(s)),
            Tok::Char(c) => ArgKind::Const(Value::Int(i64::from(u32::from(c)))),
            Tok::Number(n) => ArgKind::Const(number_value(&n).map_err(|m| self.err_pos(t.pos, m))?),
            Tok::LParen => {
                let p = self.pipeline("parenthesized pipeline", Tok::RParen)?;
                let end = p.span.end + 1;
                return Ok(Arg {
                    kind: ArgKind::Pipe(p),
                    span: Span { start: t.pos, end },
                });
            }
            other => {
                return Err(
                    self.err_pos(t.pos, format!("unexpected {} in operand", describe(&other)))
                )
            }
        };
        Ok(Arg { kind, span })
    }
}

/// A number constant as Go's text/template types it for an `any` argument.
fn number_value(text: &str) -> Result<Value, String> {
    let bad = || format!("bad number syntax: {text:?}");
    let (neg, body) = match text.as_bytes().first() {
        Some(b'-') => (true, &text[1..]),
        Some(b'+') => (false, &text[1..]),
        _ => (false, text),
    };
    let lower = body.to_ascii_lowercase();
    let (radix, digits) = if let Some(d) = lower.strip_prefix("0x") {
        (16, d.to_string())
    } else if let Some(d) = lower.strip_prefix("0o") {
        (8, d.to_string())
    } else if let Some(d) = lower.strip_prefix("0b") {
        (2, d.to_string())
    } else {
        (10, lower.clone())
    };
    let is_float = radix == 10 && digits.contains(['.', 'e']);
    if radix == 16 && digits.contains(['.', 'p']) {
        return Err(bad());
    }
    if digits.contains('_') {
        // Underscores only between digits, and only with a base prefix.
        if digits.starts_with('_') && radix == 10 || digits.ends_with('_') || digits.contains("__")
        {
            return Err(bad());
        }
    }
    let clean = digits.replace('_', "");
    if is_float {
        let f: f64 = clean.parse().map_err(|_| bad())?;
        return Ok(Value::Float(if neg { -f } else { f }));
    }
    let (radix, clean) = if radix == 10 && clean.len() > 1 && clean.starts_with('0') {
        (8, clean[1..].to_string())
    } else {
        (radix, clean)
    };
    if clean.is_empty() {
        return Err(bad());
    }
    match u64::from_str_radix(&clean, radix) {
        Ok(u) => {
            if neg {
                if u <= i64::MAX as u64 + 1 {
                    Ok(Value::Int((u as i64).wrapping_neg()))
                } else {
                    Err(bad())
                }
            } else if u <= i64::MAX as u64 {
                Ok(Value::Int(u as i64))
            } else {
                Err(format!("{text} overflows int"))
            }
        }
        Err(_) => {
            if radix == 10 && clean.bytes().all(|b| b.is_ascii_digit()) {
                // Too big for 64 bits: Go keeps it as a float constant.
                let f: f64 = clean.parse().map_err(|_| bad())?;
                Err(if neg {
                    bad()
                } else {
                    format!("{f} overflows int")
                })
            } else {
                Err(bad())
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numbers() {
        assert_eq!(number_value("5"), Ok(Value::Int(5)));
        assert_eq!(number_value("-5"), Ok(Value::Int(-5)));
        assert_eq!(number_value("0x1F"), Ok(Value::Int(31)));
        assert_eq!(number_value("0o17"), Ok(Value::Int(15)));
        assert_eq!(number_value("017"), Ok(Value::Int(15)));
        assert_eq!(number_value("0b101"), Ok(Value::Int(5)));
        assert_eq!(number_value("0x_1F"), Ok(Value::Int(31)));
        assert_eq!(number_value("1.5"), Ok(Value::Float(1.5)));
        assert_eq!(number_value("1e3"), Ok(Value::Float(1000.0)));
        assert_eq!(number_value(".5"), Ok(Value::Float(0.5)));
        assert_eq!(number_value("1_000"), Ok(Value::Int(1000)));
        assert!(number_value("1__0").is_err());
        assert!(number_value("99999999999999999999").is_err());
    }

    #[test]
    fn unquoting() {
        assert_eq!(
            unquote(r"a\tb\n\x41\u00e9\101").as_deref(),
            Some("a\tb\nAéA")
        );
        assert_eq!(unquote(r"\q"), None);
    }
}
