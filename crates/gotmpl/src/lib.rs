//! Go's `text/template` for rpod's `--format` options.
//!
//! Templates are parsed once ([`Template::parse`]) and executed per object
//! ([`Template::execute`]) against a [`Value`], usually converted from the
//! object's JSON ([`Value::from_json`]). Besides Go's builtin functions
//! (`and`, `or`, `not`, `len`, `index`, `slice`, `print`, `printf`,
//! `println`, `html`, `js`, `urlquery`, `eq`, `ne`, `lt`, `le`, `gt`, `ge`,
//! `call`), the functions Podman adds are available: `join`, `json`,
//! `lower`, `pad`, `split`, `title`, `truncate` and `upper`.

mod exec;
mod funcs;
mod parse;
mod printf;
mod time;
mod value;

use std::borrow::Cow;
use std::collections::HashMap;

pub use funcs::{is_function, FUNCTIONS};
pub use printf::{sprint, sprintf};
pub use time::Time;
pub use value::{format_float_v, Value};

/// A template failed to parse or to execute. Messages are one line, in the
/// form Go's `text/template` uses.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum Error {
    #[error("template: {name}:{line}: {msg}")]
    Parse {
        name: String,
        line: usize,
        msg: String,
    },
    #[error("template: {name}:{line}:{col}: executing {template:?} at <{context}>: {msg}")]
    Exec {
        name: String,
        line: usize,
        col: usize,
        template: String,
        context: String,
        msg: String,
    },
}

/// A parsed template with the templates it defines.
#[derive(Debug)]
pub struct Template {
    name: String,
    src: String,
    root: Vec<parse::Node>,
    defines: HashMap<String, Vec<parse::Node>>,
}

impl Template {
    /// Parses `text` as an unnamed template.
    pub fn parse(text: &str) -> Result<Template, Error> {
        Self::parse_named("", text)
    }

    /// Parses `text` as template `name` (the name appears in errors).
    pub fn parse_named(name: &str, text: &str) -> Result<Template, Error> {
        let parsed = parse::parse(name, text, &is_function)?;
        Ok(Template {
            name: name.to_string(),
            src: text.to_string(),
            root: parsed.root,
            defines: parsed.defines,
        })
    }

    /// The template's name.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// Executes the template with `data` as dot (and `$`).
    pub fn execute(&self, data: &Value) -> Result<String, Error> {
        let dot = Cow::Borrowed(data);
        let mut ex = exec::Exec {
            t: self,
            out: String::new(),
            vars: vec![("$", dot.clone())],
            depth: 0,
            current: &self.name,
        };
        ex.list(&dot, &self.root)?;
        Ok(ex.out)
    }

    /// Executes the template over a JSON document.
    pub fn execute_json(&self, data: &serde_json::Value) -> Result<String, Error> {
        self.execute(&Value::from_json(data))
    }
}
