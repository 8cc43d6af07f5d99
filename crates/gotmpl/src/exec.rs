//! Executing parsed trees against a value.

use std::borrow::Cow;

use crate::funcs::{self, FuncError};
use crate::parse::{Arg, ArgKind, Branch, Cmd, Node, Pipe, Span};
use crate::value::Value;
use crate::{Error, Template};

/// How deeply lists, pipelines and template calls may nest while executing.
const MAX_DEPTH: usize = 100;

type V<'a> = Cow<'a, Value>;
type R<T> = Result<T, Error>;

pub(crate) enum Flow {
    Normal,
    Break,
    Continue,
}

pub(crate) struct Exec<'a> {
    pub t: &'a Template,
    pub out: String,
    pub vars: Vec<(&'a str, V<'a>)>,
    pub depth: usize,
    pub current: &'a str,
}

static NO_VALUE: Value = Value::NoValue;

impl<'a> Exec<'a> {
    fn err(&self, span: Span, msg: impl Into<String>) -> Error {
        let src = &self.t.src;
        let start = span.start.min(src.len());
        let end = span.end.clamp(start, src.len());
        let before = &src[..start];
        let line = 1 + before.matches('\n').count();
        let col = start - before.rfind('\n').map_or(0, |i| i + 1);
        let mut context = src.get(start..end).unwrap_or("").trim().to_string();
        if context.len() > 20 {
            let mut cut = 20;
            while !context.is_char_boundary(cut) {
                cut -= 1;
            }
            context.truncate(cut);
            context.push_str("...");
        }
        Error::Exec {
            name: self.t.name.clone(),
            line,
            col,
            template: self.current.to_string(),
            context,
            msg: msg.into(),
        }
    }

    fn enter(&mut self, span: Span) -> R<()> {
        self.depth += 1;
        if self.depth > MAX_DEPTH {
            return Err(self.err(
                span,
                format!("exceeded maximum template depth ({MAX_DEPTH})"),
            ));
        }
        Ok(())
    }

    pub(crate) fn list(&mut self, dot: &V<'a>, list: &'a [Node]) -> R<Flow> {
        self.enter(Span::default())?;
        for n in list {
            match self.node(dot, n)? {
                Flow::Normal => {}
                f => {
                    self.depth -= 1;
                    return Ok(f);
                }
            }
        }
        self.depth -= 1;
        Ok(Flow::Normal)
    }

    fn print(&mut self, v: &Value) {
        match v {
            Value::String(s) => self.out.push_str(s),
            Value::NoValue => self.out.push_str("<no value>"),
            other => other.write_v(&mut self.out, false),
        }
    }

    fn node(&mut self, dot: &V<'a>, node: &'a Node) -> R<Flow> {
        match node {
            Node::Text(s) => self.out.push_str(s),
            Node::Action(p) => {
                let v = self.pipeline(dot, p)?;
                if p.decl.is_empty() {
                    self.print(&v);
                }
            }
            Node::If(b) | Node::With(b) => {
                let with = matches!(node, Node::With(_));
                let mark = self.vars.len();
                let v = self.pipeline(dot, &b.pipe)?;
                let flow = if v.truth() {
                    if with {
                        self.list(&v, &b.list)?
                    } else {
                        self.list(dot, &b.list)?
                    }
                } else if let Some(e) = &b.else_list {
                    self.list(dot, e)?
                } else {
                    Flow::Normal
                };
                self.vars.truncate(mark);
                return Ok(flow);
            }
            Node::Range(b) => return self.range(dot, b),
            Node::Template { name, pipe, span } => {
                let Some(body) = self.t.defines.get(name) else {
                    return Err(self.err(
                        *span,
                        format!(
                            "template: no template {name:?} associated with template {:?}",
                            self.t.name
                        ),
                    ));
                };
                let new_dot = match pipe {
                    Some(p) => self.pipeline(dot, p)?,
                    None => Cow::Borrowed(&NO_VALUE),
                };
                self.enter(*span)?;
                let saved_vars = std::mem::replace(&mut self.vars, vec![("$", new_dot.clone())]);
                let saved_name = std::mem::replace(&mut self.current, name.as_str());
                let r = self.list(&new_dot, body);
                self.vars = saved_vars;
                self.current = saved_name;
                self.depth -= 1;
                r?;
            }
            Node::Break => return Ok(Flow::Break),
            Node::Continue => return Ok(Flow::Continue),
        }
        Ok(Flow::Normal)
    }

    fn range(&mut self, dot: &V<'a>, b: &'a Branch) -> R<Flow> {
        let mark = self.vars.len();
        let v = self.pipeline(dot, &b.pipe)?;
        let items: Vec<(Value, V<'a>)> = match v {
            Cow::Borrowed(Value::List(l)) => l
                .iter()
                .enumerate()
                .map(|(i, x)| (Value::Int(i as i64), Cow::Borrowed(x)))
                .collect(),
            Cow::Borrowed(Value::Map(m)) => m
                .iter()
                .map(|(k, x)| (Value::String(k.clone()), Cow::Borrowed(x)))
                .collect(),
            Cow::Owned(Value::List(l)) => l
                .into_iter()
                .enumerate()
                .map(|(i, x)| (Value::Int(i as i64), Cow::Owned(x)))
                .collect(),
            Cow::Owned(Value::Map(m)) => m
                .into_iter()
                .map(|(k, x)| (Value::String(k), Cow::Owned(x)))
                .collect(),
            Cow::Borrowed(Value::Nil | Value::NoValue)
            | Cow::Owned(Value::Nil | Value::NoValue) => Vec::new(),
            other => {
                return Err(self.err(
                    b.pipe.span,
                    format!("range can't iterate over {}", other.to_go_string()),
                ));
            }
        };
        let decl = &b.pipe.decl;
        let mut flow = Flow::Normal;
        if items.is_empty() {
            if let Some(e) = &b.else_list {
                flow = self.list(dot, e)?;
            }
        }
        for (key, elem) in items {
            match decl.len() {
                1 => self.set_var(&decl[0], elem.clone(), b.pipe.span)?,
                2 => {
                    self.set_var(&decl[0], Cow::Owned(key), b.pipe.span)?;
                    self.set_var(&decl[1], elem.clone(), b.pipe.span)?;
                }
                _ => {}
            }
            let inner_mark = self.vars.len();
            let f = self.list(&elem, &b.list)?;
            self.vars.truncate(inner_mark);
            if matches!(f, Flow::Break) {
                break;
            }
        }
        if !matches!(flow, Flow::Normal) {
            // break/continue only exist inside a range's own body.
            flow = Flow::Normal;
        }
        self.vars.truncate(mark);
        Ok(flow)
    }

    fn set_var(&mut self, name: &str, v: V<'a>, span: Span) -> R<()> {
        match self.vars.iter_mut().rev().find(|(n, _)| *n == name) {
            Some(slot) => {
                slot.1 = v;
                Ok(())
            }
            None => Err(self.err(span, format!("undefined variable: {name}"))),
        }
    }

    fn var(&self, name: &str, span: Span) -> R<V<'a>> {
        match self.vars.iter().rev().find(|(n, _)| *n == name) {
            Some((_, v)) => Ok(v.clone()),
            None => Err(self.err(span, format!("undefined variable: {name}"))),
        }
    }

    fn pipeline(&mut self, dot: &V<'a>, p: &'a Pipe) -> R<V<'a>> {
        self.enter(p.span)?;
        let mut val: Option<V<'a>> = None;
        for c in &p.cmds {
            val = Some(self.command(dot, c, val)?);
        }
        let val = val.unwrap_or(Cow::Borrowed(&NO_VALUE));
        for d in &p.decl {
            if p.is_assign {
                self.set_var(d, val.clone(), p.span)?;
            } else {
                self.vars.push((d.as_str(), val.clone()));
            }
        }
        self.depth -= 1;
        Ok(val)
    }

    fn not_a_function(&self, cmd: &Cmd, final_: &Option<V<'a>>) -> R<()> {
        if cmd.args.len() > 1 || final_.is_some() {
            let a = &cmd.args[0];
            let text = self.t.src.get(a.span.start..a.span.end).unwrap_or("");
            return Err(self.err(
                a.span,
                format!("can't give argument to non-function {text}"),
            ));
        }
        Ok(())
    }

    fn command(&mut self, dot: &V<'a>, cmd: &'a Cmd, final_: Option<V<'a>>) -> R<V<'a>> {
        let first = &cmd.args[0];
        let rest = &cmd.args[1..];
        match &first.kind {
            ArgKind::Field(names) => self.chain(dot, dot.clone(), names, first.span, rest, final_),
            ArgKind::Chain(base, names) => {
                let b = self.arg(dot, base)?;
                self.chain(dot, b, names, first.span, rest, final_)
            }
            ArgKind::Variable(v, names) => {
                let b = self.var(v, first.span)?;
                if names.is_empty() {
                    self.not_a_function(cmd, &final_)?;
                    Ok(b)
                } else {
                    self.chain(dot, b, names, first.span, rest, final_)
                }
            }
            ArgKind::Ident(name) => self.function(dot, name, rest, final_, first.span, cmd.span),
            ArgKind::Pipe(p) => {
                self.not_a_function(cmd, &final_)?;
                self.pipeline(dot, p)
            }
            ArgKind::Dot => {
                self.not_a_function(cmd, &final_)?;
                Ok(dot.clone())
            }
            ArgKind::Nil => Err(self.err(first.span, "nil is not a command")),
            ArgKind::Const(v) => {
                self.not_a_function(cmd, &final_)?;
                Ok(Cow::Borrowed(v))
            }
        }
    }

    fn arg(&mut self, dot: &V<'a>, a: &'a Arg) -> R<V<'a>> {
        match &a.kind {
            ArgKind::Dot => Ok(dot.clone()),
            ArgKind::Nil => Ok(Cow::Owned(Value::Nil)),
            ArgKind::Field(names) => self.chain(dot, dot.clone(), names, a.span, &[], None),
            ArgKind::Variable(v, names) => {
                let b = self.var(v, a.span)?;
                if names.is_empty() {
                    Ok(b)
                } else {
                    self.chain(dot, b, names, a.span, &[], None)
                }
            }
            ArgKind::Chain(base, names) => {
                let b = self.arg(dot, base)?;
                self.chain(dot, b, names, a.span, &[], None)
            }
            ArgKind::Pipe(p) => self.pipeline(dot, p),
            ArgKind::Ident(name) => self.function(dot, name, &[], None, a.span, a.span),
            ArgKind::Const(v) => Ok(Cow::Borrowed(v)),
        }
    }

    fn chain(
        &mut self,
        dot: &V<'a>,
        mut recv: V<'a>,
        names: &'a [String],
        span: Span,
        args: &'a [Arg],
        final_: Option<V<'a>>,
    ) -> R<V<'a>> {
        let n = names.len();
        let mut final_ = final_;
        for (i, name) in names.iter().enumerate() {
            let last = i + 1 == n;
            let (a, f) = if last {
                (args, final_.take())
            } else {
                (&[][..], None)
            };
            recv = self.field(dot, recv, name, span, a, f)?;
        }
        Ok(recv)
    }

    fn field(
        &mut self,
        dot: &V<'a>,
        recv: V<'a>,
        name: &'a str,
        span: Span,
        args: &'a [Arg],
        final_: Option<V<'a>>,
    ) -> R<V<'a>> {
        let has_args = !args.is_empty() || final_.is_some();
        match recv.as_ref() {
            Value::Time(t) => {
                let mut vals = Vec::new();
                for a in args {
                    vals.push(self.arg(dot, a)?);
                }
                vals.extend(final_);
                let t = t.clone();
                return self.time_method(&t, name, &vals, span).map(Cow::Owned);
            }
            Value::NoValue => return Ok(Cow::Borrowed(&NO_VALUE)),
            Value::Nil => {
                return Err(self.err(
                    span,
                    format!("nil pointer evaluating interface {{}}.{name}"),
                ))
            }
            Value::Struct(_) if has_args => {
                return Err(self.err(
                    span,
                    format!("{name} has arguments but cannot be invoked as function"),
                ))
            }
            Value::Map(_) if has_args => {
                return Err(self.err(span, format!("{name} is not a method but has arguments")))
            }
            Value::Struct(_) | Value::Map(_) => {}
            other => {
                return Err(self.err(
                    span,
                    format!("can't evaluate field {name} in type {}", other.type_name()),
                ))
            }
        }
        let is_struct = matches!(recv.as_ref(), Value::Struct(_));
        let found = match recv {
            Cow::Borrowed(v) => v.field(name).map(Cow::Borrowed),
            Cow::Owned(v) => v.field(name).cloned().map(Cow::Owned),
        };
        match found {
            Some(v) => Ok(v),
            None if is_struct => {
                Err(self.err(span, format!("can't evaluate field {name} in type struct")))
            }
            None => Ok(Cow::Borrowed(&NO_VALUE)),
        }
    }

    fn time_method(&self, t: &crate::Time, name: &str, args: &[V<'a>], span: Span) -> R<Value> {
        let want = |n: usize| -> R<()> {
            if args.len() != n {
                return Err(self.err(
                    span,
                    format!(
                        "wrong number of args for {name}: want {n} got {}",
                        args.len()
                    ),
                ));
            }
            Ok(())
        };
        let v = match name {
            "Format" => {
                want(1)?;
                match args[0].as_ref() {
                    Value::String(layout) => Value::String(t.format(layout)),
                    other => {
                        return Err(self.err(
                            span,
                            format!(
                                "wrong type for value; expected string; got {}",
                                other.type_name()
                            ),
                        ))
                    }
                }
            }
            "String" => {
                want(0)?;
                Value::String(t.go_string())
            }
            "Unix" => {
                want(0)?;
                Value::Int(t.unix)
            }
            "UnixNano" => {
                want(0)?;
                Value::Int(t.unix_nano())
            }
            "UnixMilli" => {
                want(0)?;
                Value::Int(
                    t.unix
                        .saturating_mul(1000)
                        .saturating_add(i64::from(t.nanos / 1_000_000)),
                )
            }
            "Year" => {
                want(0)?;
                Value::Int(t.year())
            }
            "Month" => {
                want(0)?;
                Value::String(t.month_name().to_string())
            }
            "Day" => {
                want(0)?;
                Value::Int(i64::from(t.day()))
            }
            "Hour" => {
                want(0)?;
                Value::Int(i64::from(t.hour()))
            }
            "Minute" => {
                want(0)?;
                Value::Int(i64::from(t.minute()))
            }
            "Second" => {
                want(0)?;
                Value::Int(i64::from(t.second()))
            }
            "Nanosecond" => {
                want(0)?;
                Value::Int(i64::from(t.nanos))
            }
            "YearDay" => {
                want(0)?;
                Value::Int(i64::from(t.year_day()))
            }
            "Weekday" => {
                want(0)?;
                Value::String(t.weekday_name().to_string())
            }
            "IsZero" => {
                want(0)?;
                Value::Bool(t.is_zero())
            }
            "UTC" | "Local" => {
                want(0)?;
                Value::Time(t.utc())
            }
            _ => {
                return Err(self.err(
                    span,
                    format!("can't evaluate field {name} in type time.Time"),
                ))
            }
        };
        Ok(v)
    }

    fn function(
        &mut self,
        dot: &V<'a>,
        name: &str,
        args: &'a [Arg],
        final_: Option<V<'a>>,
        ident: Span,
        cmd: Span,
    ) -> R<V<'a>> {
        if name == "and" || name == "or" {
            if args.is_empty() && final_.is_none() {
                return Err(self.err(
                    ident,
                    format!("wrong number of args for {name}: want at least 1 got 0"),
                ));
            }
            let and = name == "and";
            let mut last = None;
            for a in args {
                let v = self.arg(dot, a)?;
                if v.truth() != and {
                    return Ok(v);
                }
                last = Some(v);
            }
            return Ok(final_.or(last).unwrap_or(Cow::Borrowed(&NO_VALUE)));
        }
        let mut vals: Vec<V<'a>> = Vec::with_capacity(args.len() + 1);
        for a in args {
            vals.push(self.arg(dot, a)?);
        }
        vals.extend(final_);
        // Go hands functions a nil interface for a missing value.
        let refs: Vec<&Value> = vals
            .iter()
            .map(|v| match v.as_ref() {
                Value::NoValue => &Value::Nil,
                other => other,
            })
            .collect();
        match funcs::call(name, &refs) {
            Ok(v) => Ok(Cow::Owned(v)),
            Err(FuncError::Args(m)) => Err(self.err(ident, m)),
            Err(FuncError::Call(m)) => Err(self.err(cmd, format!("error calling {name}: {m}"))),
        }
    }
}
