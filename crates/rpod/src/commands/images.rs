//! Image commands.

use std::fs::File;
use std::io::Read;

use anyhow::{bail, Context, Result};
use libpod::humanize::{human_duration, human_size};
use libpod::Runtime;
use serde::Serialize;

use crate::cli::{ImageCommand, ImageGroup, ImagePruneArgs, ImagesArgs, ImportArgs, RmiArgs};
use crate::format::{print_table, OutputFormat};

mod progress;
mod transfer;

pub use progress::CliProgress;
pub use transfer::{platform_of, registry_options};

/// The top-level image commands.
pub fn run(rt: &Runtime, cmd: ImageCommand) -> Result<u8> {
    match cmd {
        ImageCommand::Import(a) => import(rt, a),
        ImageCommand::Images(a) => list(rt, a),
        ImageCommand::Rmi(a) => remove(rt, a),
        ImageCommand::Pull(a) => transfer::pull(rt, a),
        ImageCommand::Push(a) => transfer::push(rt, a),
        ImageCommand::Save(a) => transfer::save(rt, a),
        ImageCommand::Load(a) => transfer::load(rt, a),
        ImageCommand::Tag(a) => transfer::tag(rt, a),
        ImageCommand::Untag(a) => transfer::untag(rt, a),
        ImageCommand::History(a) => transfer::history(rt, a),
        ImageCommand::Login(a) => transfer::login(rt, a),
        ImageCommand::Search(a) => transfer::search(rt, a),
        ImageCommand::Logout(a) => transfer::logout(rt, a),
    }
}

/// `rpod image ...` (`inspect` is shared with containers and handled by the caller).
pub fn run_group(rt: &Runtime, cmd: ImageGroup) -> Result<u8> {
    match cmd {
        ImageGroup::Images(a) => list(rt, a),
        ImageGroup::Rmi(a) => remove(rt, a),
        ImageGroup::Inspect(_) => bail!("image inspect is handled by the inspect command"),
        ImageGroup::Exists(a) => exists(rt, &a.name),
        ImageGroup::Import(a) => import(rt, a),
        ImageGroup::Prune(a) => prune(rt, &a),
        ImageGroup::Pull(a) => transfer::pull(rt, a),
        ImageGroup::Push(a) => transfer::push(rt, a),
        ImageGroup::Save(a) => transfer::save(rt, a),
        ImageGroup::Load(a) => transfer::load(rt, a),
        ImageGroup::Tag(a) => transfer::tag(rt, a),
        ImageGroup::Untag(a) => transfer::untag(rt, a),
        ImageGroup::History(a) => transfer::history(rt, a),
        ImageGroup::Tree(a) => transfer::tree(rt, a),
        ImageGroup::Diff(a) => {
            if a.images.len() > 1 {
                return Err(libpod::Error::Unsupported(
                    "image diff of two images is not supported yet: give one image (its changes to its parent)".into(),
                )
                .into());
            }
            super::container_files::print_changes(
                &rt.image_changes(&a.images[0])?,
                a.format.as_deref(),
            )
        }
        ImageGroup::Build(a) => super::build::run(rt, *a),
        ImageGroup::Search(a) => transfer::search(rt, a),
    }
}

fn import(rt: &Runtime, a: ImportArgs) -> Result<u8> {
    let platform = libpod::images::ImportPlatform {
        architecture: a.arch.clone(),
        os: a.os.clone(),
        variant: a.variant.clone(),
    };
    if a.source.starts_with("http://") || a.source.starts_with("https://") {
        let image = rt.import_image_url(
            &a.source,
            a.reference.as_deref(),
            &a.change,
            a.message.clone(),
            &platform,
        )?;
        println!("{}{}", if a.quiet { "" } else { "sha256:" }, image.id);
        return Ok(0);
    }
    // As in Podman, a file's modification time is the image's creation time.
    let (mut reader, created): (Box<dyn Read>, _) = if a.source == "-" {
        (Box::new(std::io::stdin().lock()), None)
    } else {
        let file = File::open(&a.source).with_context(|| format!("opening {}", a.source))?;
        let mtime = file
            .metadata()
            .and_then(|m| m.modified())
            .ok()
            .map(chrono::DateTime::<chrono::Utc>::from);
        (Box::new(file), mtime)
    };
    let image = rt.import_image_for(
        &mut reader,
        a.reference.as_deref(),
        &a.change,
        a.message.clone(),
        created,
        &platform,
    )?;
    if a.quiet {
        println!("{}", image.id);
    } else {
        println!("sha256:{}", image.id);
    }
    Ok(0)
}

/// The fields `images --format` templates see (Podman's names).
#[derive(Serialize)]
#[allow(non_snake_case)]
struct ImageRow {
    ID: String,
    Id: String,
    Repository: String,
    Tag: String,
    Digest: String,
    Names: Vec<String>,
    Created: i64,
    CreatedAt: String,
    CreatedSince: String,
    Size: String,
    VirtualSize: u64,
    Containers: usize,
    /// The names the image has had, newest first, comma-separated.
    History: String,
}

fn list(rt: &Runtime, a: ImagesArgs) -> Result<u8> {
    if a.noheading {
        crate::format::omit_headings();
    }
    let mut filter_texts = a.filter.clone();
    if let Some(reference) = &a.reference {
        filter_texts.push(format!("reference={reference}"));
    }
    let images = rt.list_images(&libpod::query::ImageListOptions {
        all: a.all,
        filters: libpod::query::ImageFilters::from_cli(&filter_texts)?,
    })?;
    if a.quiet {
        let mut seen = std::collections::BTreeSet::new();
        for i in &images {
            let id = if a.no_trunc {
                format!("sha256:{}", i.id)
            } else {
                i.id[..12].to_string()
            };
            if seen.insert(id.clone()) {
                println!("{id}");
            }
        }
        return Ok(0);
    }
    let format = OutputFormat::parse(a.format.as_deref())?;
    if matches!(format, OutputFormat::Json) {
        format.print_items(&images)?;
        return Ok(0);
    }
    let mut rows = Vec::new();
    for i in &images {
        for (repo, tag) in i.repo_tags() {
            rows.push(ImageRow {
                ID: if a.no_trunc {
                    format!("sha256:{}", i.id)
                } else {
                    i.id[..12].to_string()
                },
                Id: i.id.clone(),
                Repository: repo,
                Tag: tag,
                Digest: i.digest.clone(),
                Names: i.names.clone(),
                Created: i.created,
                CreatedAt: i.created_at.format("%Y-%m-%d %H:%M:%S %z UTC").to_string(),
                CreatedSince: format!("{} ago", human_duration(chrono::Utc::now() - i.created_at)),
                Size: human_size(i.size),
                VirtualSize: i.size,
                Containers: i.containers,
                History: i.history.join(", "),
            });
        }
    }
    // Stable: equal keys keep the engine's order (newest first).
    match a.sort.as_str() {
        "id" => rows.sort_by(|x, y| x.Id.cmp(&y.Id)),
        "repository" => rows.sort_by(|x, y| x.Repository.cmp(&y.Repository)),
        "tag" => rows.sort_by(|x, y| x.Tag.cmp(&y.Tag)),
        "size" => rows.sort_by_key(|r| r.VirtualSize),
        _ => {}
    }
    if format.print_items(&rows)? {
        return Ok(0);
    }
    let mut heading = if a.digests {
        "REPOSITORY\tTAG\tDIGEST\tIMAGE ID\tCREATED\tSIZE".to_string()
    } else {
        "REPOSITORY\tTAG\tIMAGE ID\tCREATED\tSIZE".to_string()
    };
    if a.history {
        heading.push_str("\tHISTORY");
    }
    let mut lines = vec![heading];
    for r in rows {
        let mut line = if a.digests {
            format!(
                "{}\t{}\t{}\t{}\t{}\t{}",
                r.Repository, r.Tag, r.Digest, r.ID, r.CreatedSince, r.Size
            )
        } else {
            format!(
                "{}\t{}\t{}\t{}\t{}",
                r.Repository, r.Tag, r.ID, r.CreatedSince, r.Size
            )
        };
        if a.history {
            line.push('\t');
            line.push_str(&r.History);
        }
        lines.push(line);
    }
    print_table(&lines);
    Ok(0)
}

fn remove(rt: &Runtime, a: RmiArgs) -> Result<u8> {
    if a.all {
        if !a.names.is_empty() {
            bail!("when using the --all switch, you may not pass any images names or IDs");
        }
        for l in rt.remove_all_images(a.force)? {
            println!("{l}");
        }
        return Ok(0);
    }
    if a.names.is_empty() {
        bail!("at least one image name or ID must be given");
    }
    let mut last_err = None;
    for n in &a.names {
        match rt.remove_image(n, a.force) {
            Ok(lines) => {
                for l in lines {
                    println!("{l}");
                }
            }
            Err(e) if a.ignore && e.is_not_found() => {}
            Err(e) => {
                if let Some(prev) = last_err.replace(anyhow::Error::from(e)) {
                    eprintln!("Error: {}", crate::error_chain(&prev));
                }
            }
        }
    }
    match last_err {
        Some(e) => Err(e),
        None => Ok(0),
    }
}

fn exists(rt: &Runtime, name: &str) -> Result<u8> {
    Ok(if rt.image_exists(name)? { 0 } else { 1 })
}

fn prune(rt: &Runtime, a: &ImagePruneArgs) -> Result<u8> {
    let filters =
        libpod::query::PruneFilters::from_cli(libpod::query::Resource::Images, &a.filter)?;
    let warning = if a.all {
        "WARNING! This command removes all images without at least one container associated with them."
    } else {
        "WARNING! This command removes all dangling images."
    };
    if !a.force && !super::confirm(warning)? {
        return Ok(0);
    }
    for (id, _) in rt.prune_images_external(a.all, &filters, a.external)? {
        println!("{id}");
    }
    Ok(0)
}
