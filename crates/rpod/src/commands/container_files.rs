//! cp, diff and commit: a container's files.

use std::collections::BTreeMap;
use std::io::{IsTerminal, Write};
use std::path::Path;

use anyhow::{bail, Context, Result};
use libpod::container::{CommitOptions, CopySource, CopyTarget};
use libpod::Runtime;
use serde::Serialize;

use crate::cli::{CommitArgs, CpArgs, DiffArgs};
use crate::format::OutputFormat;

/// `CONTAINER:PATH` → (container, path); host paths (absolute, relative with `/` or `.`
/// before any `:`) → `None`.
fn split_container_path(arg: &str) -> Option<(&str, &str)> {
    let (name, path) = arg.split_once(':')?;
    if name.is_empty() || name.contains('/') || name.starts_with('.') {
        return None;
    }
    Some((name, path))
}

pub(super) fn cp(rt: &Runtime, a: CpArgs) -> Result<u8> {
    match (
        split_container_path(&a.source),
        split_container_path(&a.destination),
    ) {
        (Some(from), Some(to)) => {
            rt.copy_between(from, to, a.archive, a.overwrite)?;
        }
        (None, None) => {
            bail!("one of the source or the destination must be a container (CONTAINER:PATH)")
        }
        (Some((name, path)), None) => {
            let mut c = rt.container(name)?;
            if a.destination == "-" {
                let stdout = std::io::stdout();
                if stdout.is_terminal() {
                    bail!("refusing to write a tar archive to a terminal: redirect stdout");
                }
                let mut lock = stdout.lock();
                c.copy_out(path, CopyTarget::Tar(&mut lock))?;
                lock.flush()?;
            } else {
                c.copy_out(path, CopyTarget::Path(Path::new(&a.destination)))?;
            }
        }
        (None, Some((name, path))) => {
            let mut c = rt.container(name)?;
            if a.source == "-" {
                let stdin = std::io::stdin();
                let mut lock = stdin.lock();
                c.copy_in(CopySource::Tar(&mut lock), path, a.archive, a.overwrite)?;
            } else {
                c.copy_in(
                    CopySource::Path(Path::new(&a.source)),
                    path,
                    a.archive,
                    a.overwrite,
                )?;
            }
        }
    }
    Ok(0)
}

#[derive(Serialize)]
#[allow(non_snake_case)]
struct ChangeRow {
    Path: String,
    Kind: String,
}

pub(super) fn diff(rt: &Runtime, a: DiffArgs) -> Result<u8> {
    let changes =
        super::containers::named_or_latest(rt, "diff", a.name.as_deref(), a.latest)?.changes()?;
    print_changes(&changes, a.format.as_deref())
}

/// `diff`'s and `image diff`'s output: `KIND PATH` lines, `--format json` Podman's groups,
/// or a template over Path and Kind.
pub(crate) fn print_changes(
    changes: &[libpod::container::Change],
    format: Option<&str>,
) -> Result<u8> {
    let format = OutputFormat::parse(format)?;
    if let OutputFormat::Json = format {
        let mut groups: BTreeMap<&str, Vec<&str>> = BTreeMap::new();
        for c in changes {
            let key = match c.kind {
                storage_kind::Added => "added",
                storage_kind::Modified => "changed",
                storage_kind::Deleted => "deleted",
            };
            groups.entry(key).or_default().push(&c.path);
        }
        println!("{}", serde_json::to_string_pretty(&groups)?);
        return Ok(0);
    }
    let rows: Vec<ChangeRow> = changes
        .iter()
        .map(|c| ChangeRow {
            Path: c.path.clone(),
            Kind: c.kind.to_string(),
        })
        .collect();
    if !format.print_items(&rows)? {
        let mut out = std::io::stdout().lock();
        for c in changes {
            writeln!(out, "{} {}", c.kind, c.path)?;
        }
    }
    Ok(0)
}

use libpod::container::ChangeKind as storage_kind;

pub(super) fn commit(rt: &Runtime, a: CommitArgs) -> Result<u8> {
    let mut c = rt.container(&a.container)?;
    let opts = CommitOptions {
        name: a.image.clone(),
        changes: a.change.clone(),
        message: a.message.clone(),
        author: a.author.clone(),
        pause: a.pause,
        config: None,
        include_volumes: a.include_volumes,
        squash: a.squash,
        docker_format: match a.format.as_str() {
            "oci" => false,
            "docker" => true,
            other => bail!("unrecognized image format {other:?}"),
        },
    };
    let image = c.commit(&opts)?;
    if !a.quiet {
        eprintln!("Getting image source signatures");
        eprintln!("Writing manifest to image destination");
    }
    if let Some(f) = &a.iidfile {
        std::fs::write(f, &image.id).with_context(|| format!("writing {}", f.display()))?;
    }
    println!("{}", image.id);
    Ok(0)
}
