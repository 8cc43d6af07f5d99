//! `rpod secret …`.

use std::collections::BTreeMap;
use std::io::Read;

use anyhow::{bail, Context, Result};
use libpod::container::options::parse_key_value;
use libpod::humanize::human_duration;
use libpod::secrets::{SecretConfig, MAX_SECRET_SIZE};
use libpod::Runtime;
use serde::Serialize;

use crate::cli::{SecretCreateArgs, SecretGroup, SecretInspectArgs, SecretLsArgs, SecretRmArgs};
use crate::format::OutputFormat;

pub fn run(rt: &Runtime, cmd: SecretGroup) -> Result<u8> {
    match cmd {
        SecretGroup::Create(a) => create(rt, a),
        SecretGroup::Ls(a) => ls(rt, a),
        SecretGroup::Inspect(a) => inspect(rt, a),
        SecretGroup::Rm(a) => rm(rt, a),
        SecretGroup::Exists(a) => Ok(if rt.secret_exists(&a.name)? { 0 } else { 1 }),
    }
}

fn create(rt: &Runtime, a: SecretCreateArgs) -> Result<u8> {
    let value = if a.env {
        match std::env::var_os(&a.source) {
            Some(v) => std::os::unix::ffi::OsStrExt::as_bytes(v.as_os_str()).to_vec(),
            None => bail!(
                "cannot create store secret data: environment variable {} is not set",
                a.source
            ),
        }
    } else {
        let mut input: Box<dyn Read> = if a.source == "-" {
            Box::new(std::io::stdin().lock())
        } else {
            Box::new(std::fs::File::open(&a.source).with_context(|| format!("open {}", a.source))?)
        };
        let mut buf = Vec::new();
        // One byte over the limit is enough to refuse it.
        input
            .by_ref()
            .take(MAX_SECRET_SIZE as u64 + 1)
            .read_to_end(&mut buf)
            .with_context(|| format!("reading {}", a.source))?;
        buf
    };
    let labels: BTreeMap<_, _> = a.labels.iter().map(|l| parse_key_value(l)).collect();
    let opts: BTreeMap<_, _> = a.driver_opts.iter().map(|l| parse_key_value(l)).collect();
    let s = rt.create_secret(&a.name, &value, &a.driver, opts, labels)?;
    println!("{}", s.id);
    Ok(0)
}

/// One `secret ls` row (Podman's template fields).
#[derive(Serialize)]
#[serde(rename_all = "PascalCase")]
struct LsRow {
    #[serde(rename = "ID")]
    id: String,
    name: String,
    driver: String,
    created_at: String,
    updated_at: String,
}

fn ago(t: chrono::DateTime<chrono::Utc>) -> String {
    format!("{} ago", human_duration(chrono::Utc::now() - t))
}

fn ls(rt: &Runtime, a: SecretLsArgs) -> Result<u8> {
    let mut filters: Vec<(String, String)> = Vec::new();
    for f in &a.filter {
        let (k, v) = f
            .split_once('=')
            .with_context(|| format!("invalid filter {f:?}: expected KEY=VALUE"))?;
        filters.push((k.to_string(), v.to_string()));
    }
    let rows: Vec<LsRow> = rt
        .secrets_matching(&filters)?
        .into_iter()
        .map(|s| LsRow {
            created_at: ago(s.created_at),
            updated_at: ago(s.updated_at),
            id: s.id,
            name: s.name,
            driver: s.driver,
        })
        .collect();
    if a.quiet {
        for r in &rows {
            println!("{}", r.id);
        }
        return Ok(0);
    }
    let format = OutputFormat::parse(a.format.as_deref())?;
    if format.print_items(&rows)? {
        return Ok(0);
    }
    let mut lines: Vec<[String; 5]> = Vec::new();
    if !a.noheading {
        lines.push(["ID", "NAME", "DRIVER", "CREATED", "UPDATED"].map(String::from));
    }
    for r in rows {
        lines.push([r.id, r.name, r.driver, r.created_at, r.updated_at]);
    }
    print_columns(&lines);
    Ok(0)
}

/// Prints rows in columns as Podman's tables do: each column at least 12
/// characters wide, two spaces between columns.
fn print_columns(rows: &[[String; 5]]) {
    let mut widths = [12usize; 5];
    for row in rows {
        for (i, c) in row.iter().enumerate() {
            widths[i] = widths[i].max(c.chars().count() + 2);
        }
    }
    for row in rows {
        let mut line = String::new();
        for (i, c) in row.iter().enumerate() {
            line.push_str(c);
            if i + 1 < row.len() {
                line.extend(std::iter::repeat_n(' ', widths[i] - c.chars().count()));
            }
        }
        println!("{}", line.trim_end());
    }
}

fn inspect(rt: &Runtime, a: SecretInspectArgs) -> Result<u8> {
    let mut docs = Vec::new();
    let mut errors = Vec::new();
    for n in &a.names {
        match rt.secret(n) {
            Ok(s) => docs.push(s),
            Err(e) => errors.push(e),
        }
    }
    if a.pretty {
        for s in &docs {
            println!("ID:              {}", s.id);
            println!("Name:              {}", s.name);
            println!("Driver:            {}", s.driver);
            println!("Created at:        {}", go_time_string(s.created_at));
            println!("Updated at:        {}", go_time_string(s.updated_at));
        }
    } else {
        let docs: Vec<_> = docs.iter().map(SecretConfig::inspect).collect();
        match OutputFormat::parse(a.format.as_deref())? {
            OutputFormat::Default | OutputFormat::Json => {
                println!("{}", serde_json::to_string_pretty(&docs)?)
            }
            f => {
                for d in &docs {
                    println!("{}", f.render(&serde_json::to_value(d)?)?);
                }
            }
        }
    }
    finish(errors, "inspecting secret")
}

/// Go's `time.Time.String()` form: `2006-01-02 15:04:05.999999999 +0000 UTC`.
fn go_time_string(t: chrono::DateTime<chrono::Utc>) -> String {
    let frac = format!("{:09}", t.timestamp_subsec_nanos());
    let frac = frac.trim_end_matches('0');
    let base = t.format("%Y-%m-%d %H:%M:%S");
    if frac.is_empty() {
        format!("{base} +0000 UTC")
    } else {
        format!("{base}.{frac} +0000 UTC")
    }
}

fn rm(rt: &Runtime, a: SecretRmArgs) -> Result<u8> {
    // Either --all or names: not both, not neither.
    if a.all != a.names.is_empty() {
        bail!("`rpod secret rm` requires one argument, or the --all flag");
    }
    let names: Vec<String> = if a.all {
        rt.secrets()?.into_iter().map(|s| s.id).collect()
    } else {
        a.names
    };
    let mut errors = Vec::new();
    for n in &names {
        match rt.remove_secret(n) {
            Ok(id) => println!("{id}"),
            Err(e) => errors.push(e),
        }
    }
    finish(errors, "")
}

/// Reports every error but the last on stderr and returns the last, so
/// the command's exit code comes from it (125, as Podman's).
fn finish(mut errors: Vec<libpod::Error>, context: &str) -> Result<u8> {
    let Some(last) = errors.pop() else {
        return Ok(0);
    };
    for e in errors {
        if context.is_empty() {
            eprintln!("Error: {e}");
        } else {
            eprintln!("Error: {context}: {e}");
        }
    }
    if context.is_empty() {
        Err(last.into())
    } else {
        Err(anyhow::Error::from(last).context(context.to_string()))
    }
}
