//! Output: `--format` Go templates (with Podman's `table` prefix and `json`
//! function), JSON, and aligned tables.

use std::collections::HashMap;

use anyhow::{anyhow, Result};
use gtmpl::{Context, FuncError, Template, Value};
use serde::Serialize;

/// Converts a JSON value into a template value.
pub fn to_gtmpl(v: &serde_json::Value) -> Value {
    match v {
        serde_json::Value::Null => Value::Nil,
        serde_json::Value::Bool(b) => Value::Bool(*b),
        serde_json::Value::Number(n) => {
            if let Some(i) = n.as_i64() {
                Value::from(i)
            } else if let Some(u) = n.as_u64() {
                Value::from(u)
            } else {
                Value::from(n.as_f64().unwrap_or(0.0))
            }
        }
        serde_json::Value::String(s) => Value::String(s.clone()),
        serde_json::Value::Array(a) => Value::Array(a.iter().map(to_gtmpl).collect()),
        serde_json::Value::Object(o) => Value::Object(
            o.iter()
                .map(|(k, v)| (k.clone(), to_gtmpl(v)))
                .collect::<HashMap<_, _>>(),
        ),
    }
}

/// Renames a camelCase document's keys (`info`'s JSON) to the Go field names
/// Podman's templates use: `{{.Host.OciRuntime.Name}}`.
pub fn go_field_names(v: &serde_json::Value) -> serde_json::Value {
    match v {
        serde_json::Value::Object(o) => serde_json::Value::Object(
            o.iter()
                .map(|(k, v)| (pascal_case(k), go_field_names(v)))
                .collect(),
        ),
        serde_json::Value::Array(a) => {
            serde_json::Value::Array(a.iter().map(go_field_names).collect())
        }
        other => other.clone(),
    }
}

fn pascal_case(key: &str) -> String {
    let mut chars = key.chars();
    match chars.next() {
        Some(first) => first.to_uppercase().chain(chars).collect(),
        None => String::new(),
    }
}

fn to_json(v: &Value) -> serde_json::Value {
    match v {
        Value::NoValue | Value::Nil | Value::Function(_) => serde_json::Value::Null,
        Value::Bool(b) => serde_json::Value::Bool(*b),
        Value::String(s) => serde_json::Value::String(s.clone()),
        Value::Number(n) => n
            .as_i64()
            .map(serde_json::Value::from)
            .or_else(|| n.as_u64().map(serde_json::Value::from))
            .or_else(|| n.as_f64().map(serde_json::Value::from))
            .unwrap_or(serde_json::Value::Null),
        Value::Array(a) => serde_json::Value::Array(a.iter().map(to_json).collect()),
        Value::Object(o) | Value::Map(o) => {
            let mut keys: Vec<_> = o.keys().collect();
            keys.sort();
            serde_json::Value::Object(
                keys.into_iter()
                    .map(|k| (k.clone(), to_json(&o[k])))
                    .collect(),
            )
        }
    }
}

fn json_func(args: &[Value]) -> Result<Value, FuncError> {
    let v = args
        .first()
        .ok_or(FuncError::AtLeastXArgs("json".into(), 1))?;
    Ok(Value::String(
        serde_json::to_string(&to_json(v)).unwrap_or_default(),
    ))
}

fn upper_func(args: &[Value]) -> Result<Value, FuncError> {
    Ok(Value::String(
        args.first()
            .map(|v| v.to_string().to_uppercase())
            .unwrap_or_default(),
    ))
}

fn lower_func(args: &[Value]) -> Result<Value, FuncError> {
    Ok(Value::String(
        args.first()
            .map(|v| v.to_string().to_lowercase())
            .unwrap_or_default(),
    ))
}

fn join_func(args: &[Value]) -> Result<Value, FuncError> {
    let sep = args.get(1).map(|v| v.to_string()).unwrap_or_default();
    match args.first() {
        Some(Value::Array(a)) => Ok(Value::String(
            a.iter()
                .map(|v| v.to_string())
                .collect::<Vec<_>>()
                .join(&sep),
        )),
        Some(v) => Ok(Value::String(v.to_string())),
        None => Err(FuncError::AtLeastXArgs("join".into(), 2)),
    }
}

/// A parsed `--format` value.
pub enum OutputFormat {
    /// The default table (or list) of the command.
    Default,
    /// `json`: the objects as a JSON array (or object).
    Json,
    /// A Go template; `table` adds a header row and aligns columns.
    Template {
        template: Template,
        table: bool,
        header: String,
    },
}

impl OutputFormat {
    pub fn parse(format: Option<&str>) -> Result<Self> {
        let Some(text) = format else {
            return Ok(OutputFormat::Default);
        };
        if text == "json" || text == "{{json .}}" {
            return Ok(OutputFormat::Json);
        }
        let (table, body) = match text.strip_prefix("table") {
            Some(rest) => (true, rest.trim_start().to_string()),
            None => (false, text.to_string()),
        };
        if table && body.is_empty() {
            return Ok(OutputFormat::Default);
        }
        let body = unescape(&body);
        let mut t = Template::default();
        t.add_func("json", json_func);
        t.add_func("upper", upper_func);
        t.add_func("lower", lower_func);
        t.add_func("join", join_func);
        t.parse(body.clone())
            .map_err(|e| anyhow!("invalid --format template {text:?}: {e}"))?;
        Ok(OutputFormat::Template {
            template: t,
            table,
            header: header_from_template(&body),
        })
    }

    /// Renders one object with the template.
    pub fn render(&self, value: &serde_json::Value) -> Result<String> {
        match self {
            OutputFormat::Template { template, .. } => template
                .render(&Context::from(to_gtmpl(value)))
                .map_err(|e| anyhow!("rendering --format template: {e}")),
            _ => Ok(String::new()),
        }
    }

    /// Prints `items` through the template (one line each) or as JSON.
    /// Returns false for [`OutputFormat::Default`] so the caller prints its table.
    pub fn print_items<T: Serialize>(&self, items: &[T]) -> Result<bool> {
        match self {
            OutputFormat::Default => Ok(false),
            OutputFormat::Json => {
                println!("{}", serde_json::to_string_pretty(items)?);
                Ok(true)
            }
            OutputFormat::Template { table, header, .. } => {
                let mut rows = Vec::new();
                if *table {
                    rows.push(header.clone());
                }
                for item in items {
                    rows.push(self.render(&serde_json::to_value(item)?)?);
                }
                if *table {
                    print_table(&rows);
                } else {
                    for r in rows {
                        println!("{r}");
                    }
                }
                Ok(true)
            }
        }
    }
}

/// Turns `\t` and `\n` typed on a command line into the characters.
fn unescape(s: &str) -> String {
    s.replace("\\t", "\t").replace("\\n", "\n")
}

/// A table header from a template: `{{.ID}}\t{{.Names}}` → `ID\tNAMES`.
fn header_from_template(body: &str) -> String {
    body.split('\t')
        .map(|cell| {
            let names: Vec<String> = cell
                .split("{{")
                .skip(1)
                .filter_map(|part| part.split("}}").next())
                .filter_map(|expr| expr.trim().rsplit('.').next().map(|f| f.trim().to_string()))
                .filter(|f| !f.is_empty())
                .collect();
            header_word(&names.join(" "))
        })
        .collect::<Vec<_>>()
        .join("\t")
}

fn header_word(field: &str) -> String {
    match field {
        "ID" => "CONTAINER ID".into(),
        "Names" => "NAMES".into(),
        "CreatedHuman" | "CreatedAt" | "CreatedSince" => "CREATED".into(),
        other => {
            let mut out = String::new();
            let mut prev_upper = true;
            for c in other.chars() {
                if c.is_uppercase() && !prev_upper {
                    out.push(' ');
                }
                prev_upper = c.is_uppercase();
                out.extend(c.to_uppercase());
            }
            out
        }
    }
}

/// Prints tab-separated rows as aligned columns (two spaces between).
pub fn print_table(rows: &[String]) {
    let cells: Vec<Vec<&str>> = rows.iter().map(|r| r.split('\t').collect()).collect();
    let cols = cells.iter().map(Vec::len).max().unwrap_or(0);
    let mut widths = vec![0usize; cols];
    for row in &cells {
        for (i, c) in row.iter().enumerate() {
            widths[i] = widths[i].max(c.chars().count());
        }
    }
    let mut out = String::new();
    for row in &cells {
        let mut line = String::new();
        for (i, c) in row.iter().enumerate() {
            line.push_str(c);
            if i + 1 < row.len() {
                let pad = widths[i] - c.chars().count() + 2;
                line.extend(std::iter::repeat_n(' ', pad));
            }
        }
        out.push_str(line.trim_end());
        out.push('\n');
    }
    print!("{out}");
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn templates_render_fields_and_json() {
        let f = OutputFormat::parse(Some("{{.ID}} {{json .Labels}}")).unwrap();
        let v = serde_json::json!({"ID": "abc", "Labels": {"a": "b"}});
        assert_eq!(f.render(&v).unwrap(), "abc {\"a\":\"b\"}");
    }

    #[test]
    fn camel_case_documents_answer_to_go_field_names() {
        let f = OutputFormat::parse(Some("{{.Host.OciRuntime.Name}}")).unwrap();
        let v = serde_json::json!({"host": {"ociRuntime": {"name": "runc"}}});
        assert_eq!(f.render(&go_field_names(&v)).unwrap(), "runc");
    }

    #[test]
    fn table_headers_come_from_fields() {
        assert_eq!(
            header_from_template("{{.ID}}\t{{.Names}}\t{{.Image}}"),
            "CONTAINER ID\tNAMES\tIMAGE"
        );
        assert_eq!(header_word("RestartCount"), "RESTART COUNT");
    }

    #[test]
    fn bad_templates_are_errors() {
        assert!(OutputFormat::parse(Some("{{.ID")).is_err());
    }
}
