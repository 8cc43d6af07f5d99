//! Output: `--format` Go templates (Go's text/template semantics through the
//! `gotmpl` crate, with Podman's `table` prefix and functions), JSON, and
//! aligned tables.

use anyhow::Result;
use gotmpl::{Template, Value};
use serde::Serialize;

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
        let template = Template::parse(&body)?;
        Ok(OutputFormat::Template {
            template,
            table,
            header: header_from_template(&body),
        })
    }

    /// Renders one object with the template.
    pub fn render(&self, value: &serde_json::Value) -> Result<String> {
        match self {
            OutputFormat::Template { template, .. } => {
                Ok(template.execute(&Value::from_json(value))?)
            }
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

/// JSON indented by four spaces, as the Podman commands that use Go's
/// `json.MarshalIndent(v, "", "    ")` print it (`search`, …).
pub fn json_indent4<T: Serialize>(value: &T) -> Result<String> {
    let mut out = Vec::new();
    let mut ser = serde_json::Serializer::with_formatter(
        &mut out,
        serde_json::ser::PrettyFormatter::with_indent(b"    "),
    );
    value.serialize(&mut ser)?;
    Ok(String::from_utf8_lossy(&out).into_owned())
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

/// `--noheading` of the listing commands: tables are printed without their
/// first (header) row for the rest of this process.
static NO_HEADING: std::sync::atomic::AtomicBool = std::sync::atomic::AtomicBool::new(false);

/// Leaves the header row out of every table this process prints.
pub fn omit_headings() {
    NO_HEADING.store(true, std::sync::atomic::Ordering::Relaxed);
}

/// Prints tab-separated rows as aligned columns the way Podman's Go
/// tabwriter does (minimum width 12, padding 2): each column is as wide as
/// its widest cell plus two spaces, and at least 12.
pub fn print_table(rows: &[String]) {
    if NO_HEADING.load(std::sync::atomic::Ordering::Relaxed) {
        let text = table_text(rows);
        print!("{}", text.split_once('\n').map_or("", |(_, rest)| rest));
        return;
    }
    print!("{}", table_text(rows));
}

/// The text [`print_table`] prints.
pub fn table_text(rows: &[String]) -> String {
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
                let pad = (widths[i] + 2).max(12) - c.chars().count();
                line.extend(std::iter::repeat_n(' ', pad));
            }
        }
        out.push_str(&line);
        out.push('\n');
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tables_pad_like_gos_tabwriter() {
        let rows = vec!["DRIVER\tVOLUME NAME".to_string(), "local\tv1".to_string()];
        assert_eq!(
            table_text(&rows),
            "DRIVER      VOLUME NAME\nlocal       v1\n"
        );
        let rows = vec!["A-LONG-HEADER-CELL\tB".to_string()];
        assert_eq!(table_text(&rows), "A-LONG-HEADER-CELL  B\n");
    }

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
        let f = OutputFormat::parse(Some("{{.Foo}}")).unwrap();
        let big =
            serde_json::json!({"ID": "abc", "Config": {"Cmd": vec!["some-long-argument"; 100]}});
        let e = f.render(&big).unwrap_err().to_string();
        assert!(!e.contains("some-long-argument"));
        assert_eq!(
            e,
            "template: :1:2: executing \"\" at <.Foo>: can't evaluate field Foo in type struct"
        );
    }

    #[test]
    fn values_print_as_go_prints_them() {
        let v = serde_json::json!({
            "Id": "abc",
            "Config": {"Labels": {"x": "y", "a": "b"}, "Cmd": ["sleep", "1000"]},
            "State": {"StartedAt": "2026-12-02T02:44:20.958806119Z"},
        });
        let r = |t: &str| OutputFormat::parse(Some(t)).unwrap().render(&v).unwrap();
        assert_eq!(r("{{.Config.Labels}}"), "map[a:b x:y]");
        assert_eq!(r("{{.Config.Cmd}}"), "[sleep 1000]");
        assert_eq!(r("{{.ID}}"), "abc");
        assert_eq!(
            r("{{.State.StartedAt}}"),
            "2026-12-02 02:44:20.958806119 +0000 UTC"
        );
        assert_eq!(r("{{.State.StartedAt.Format \"2006\"}}"), "2026");
    }

    #[test]
    fn table_rows_render_per_item() {
        let f = OutputFormat::parse(Some("table {{.ID}}\t{{.Names}}")).unwrap();
        match &f {
            OutputFormat::Template { table, header, .. } => {
                assert!(*table);
                assert_eq!(header, "CONTAINER ID\tNAMES");
            }
            _ => panic!("expected a template"),
        }
        let row = serde_json::json!({"ID": "abc", "Names": "n"});
        assert_eq!(f.render(&row).unwrap(), "abc\tn");
    }
}
