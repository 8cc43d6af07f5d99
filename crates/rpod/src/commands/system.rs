//! Engine-wide commands: version, info, df, prune, reset, inspect, events,
//! completion.

use anyhow::{bail, Result};
use clap::CommandFactory;
use libpod::events::EventFilter;
use libpod::humanize::human_size_compact;
use libpod::Runtime;
use serde::Serialize;

use crate::cli::{Cli, DfArgs, EventsArgs, FormatOnly, InspectArgs, SystemPruneArgs};
use crate::format::{print_table, OutputFormat};
use libpod::query::parse_timestamp;

#[derive(Serialize)]
#[serde(rename_all = "PascalCase")]
struct Version {
    client: libpod::system::VersionInfo,
}

pub fn version(a: &FormatOnly) -> Result<u8> {
    let v = Version {
        client: libpod::system::VersionInfo::current(),
    };
    match OutputFormat::parse(a.format.as_deref())? {
        OutputFormat::Default => {
            println!("Version:      {}", v.client.version);
            println!("API Version:  {}", v.client.api_version);
            println!("OS/Arch:      {}", v.client.os_arch);
        }
        OutputFormat::Json => println!("{}", serde_json::to_string_pretty(&v)?),
        f => println!("{}", f.render(&serde_json::to_value(&v)?)?),
    }
    Ok(0)
}

pub fn info(rt: &Runtime, a: &FormatOnly) -> Result<u8> {
    let info = rt.info()?;
    match OutputFormat::parse(a.format.as_deref())? {
        OutputFormat::Default | OutputFormat::Json => {
            println!("{}", serde_json::to_string_pretty(&info)?)
        }
        f => println!(
            "{}",
            f.render(&crate::format::go_field_names(&serde_json::to_value(
                &info
            )?))?
        ),
    }
    Ok(0)
}

/// `system df -v`: podman's three tables (`--format` does not apply, as
/// in podman).
fn df_verbose(rt: &Runtime) -> Result<u8> {
    let d = rt.disk_usage_details()?;
    let since =
        |t: chrono::DateTime<chrono::Utc>| libpod::humanize::human_duration(chrono::Utc::now() - t);
    println!("Images space usage:\n");
    let mut lines = vec![
        "REPOSITORY\tTAG\tIMAGE ID\tCREATED\tSIZE\tSHARED SIZE\tUNIQUE SIZE\tCONTAINERS"
            .to_string(),
    ];
    for i in &d.images {
        lines.push(format!(
            "{}\t{}\t{}\t{}\t{}\t{}\t{}\t{}",
            i.repository,
            i.tag,
            &i.id[..i.id.len().min(12)],
            since(i.created),
            human_size_compact(i.size),
            human_size_compact(i.shared),
            human_size_compact(i.unique),
            i.containers
        ));
    }
    print_table(&lines);
    println!("\nContainers space usage:\n");
    let mut lines = vec![
        "CONTAINER ID\tIMAGE\tCOMMAND\tLOCAL VOLUMES\tSIZE\tCREATED\tSTATUS\tNAMES".to_string(),
    ];
    for c in &d.containers {
        lines.push(format!(
            "{}\t{}\t{}\t{}\t{}\t{}\t{}\t{}",
            &c.id[..12],
            &c.image_id[..c.image_id.len().min(12)],
            c.command,
            c.local_volumes,
            human_size_compact(c.size),
            since(c.created),
            c.status,
            c.name
        ));
    }
    print_table(&lines);
    println!("\nLocal Volumes space usage:\n");
    let mut lines = vec!["VOLUME NAME\tLINKS\tSIZE".to_string()];
    for v in &d.volumes {
        lines.push(format!(
            "{}\t{}\t{}",
            v.name,
            v.links,
            human_size_compact(v.size)
        ));
    }
    print_table(&lines);
    Ok(0)
}

pub fn df(rt: &Runtime, a: &DfArgs) -> Result<u8> {
    if a.verbose {
        return df_verbose(rt);
    }
    let usage = rt.disk_usage()?;
    let format = OutputFormat::parse(a.format.as_deref())?;
    #[derive(Serialize)]
    #[allow(non_snake_case)]
    struct Row {
        Type: String,
        Total: usize,
        Active: usize,
        Size: String,
        Reclaimable: String,
    }
    if matches!(format, OutputFormat::Json) {
        format.print_items(&usage)?;
        return Ok(0);
    }
    let rows: Vec<Row> = usage
        .iter()
        .map(|u| Row {
            Type: u.kind.clone(),
            Total: u.total,
            Active: u.active,
            // Podman's `system df` prints four digits and no space (`2.131MB`).
            Size: human_size_compact(u.size),
            Reclaimable: format!(
                "{} ({}%)",
                human_size_compact(u.reclaimable),
                (u.reclaimable * 100).checked_div(u.size).unwrap_or(0)
            ),
        })
        .collect();
    if format.print_items(&rows)? {
        return Ok(0);
    }
    let mut lines = vec!["TYPE\tTOTAL\tACTIVE\tSIZE\tRECLAIMABLE".to_string()];
    for r in rows {
        lines.push(format!(
            "{}\t{}\t{}\t{}\t{}",
            r.Type, r.Total, r.Active, r.Size, r.Reclaimable
        ));
    }
    print_table(&lines);
    Ok(0)
}

pub fn prune(rt: &Runtime, a: &SystemPruneArgs) -> Result<u8> {
    let filters =
        libpod::query::PruneFilters::from_cli(libpod::query::Resource::Containers, &a.filter)?;
    if !a.force {
        let mut warning = String::from(
            "WARNING! This command removes:\n\t- all stopped containers\n\t- all networks not used by at least one container\n",
        );
        if a.volumes {
            warning.push_str("\t- all volumes not used by at least one container\n");
        }
        warning.push_str(if a.all {
            "\t- all images without at least one container associated with them\n\t- all build cache\n"
        } else {
            "\t- all dangling images\n\t- all dangling build cache\n"
        });
        if !super::confirm(&warning)? {
            return Ok(0);
        }
    }
    let report = rt.system_prune(a.all, a.volumes, &filters)?;
    // Podman's sections, each only when something went.
    for (title, items) in [
        ("Deleted Containers", &report.containers),
        ("Deleted Pods", &report.pods),
        ("Deleted Volumes", &report.volumes),
        ("Deleted Networks", &report.networks),
        ("Deleted Images", &report.images),
    ] {
        if !items.is_empty() {
            println!("{title}");
            for item in items {
                println!("{item}");
            }
        }
    }
    println!(
        "Total reclaimed space: {}",
        libpod::humanize::human_size_compact(report.reclaimed)
    );
    Ok(0)
}

pub fn boot(rt: &Runtime) -> Result<u8> {
    let (started, failed) = rt.boot()?;
    for id in started {
        println!("{id}");
    }
    let status = if failed.is_empty() { 0 } else { 125 };
    for (name, e) in failed {
        eprintln!("Error: starting container {name}: {e}");
    }
    Ok(status)
}

pub fn migrate(rt: &Runtime, args: crate::cli::MigrateArgs) -> Result<u8> {
    rt.migrate(args.new_runtime.as_deref())?;
    Ok(0)
}

/// `unshare [CMD]`: the command (default `$SHELL`) inside the rootless
/// user's namespace, with `CONTAINERS_GRAPHROOT` and `CONTAINERS_RUNROOT`
/// naming rpod's storage; its exit code is unshare's.
pub fn unshare(global: &crate::cli::GlobalArgs, args: &crate::cli::UnshareArgs) -> Result<u8> {
    use std::os::unix::process::CommandExt;
    if !libpod::rootless::is_rootless() {
        bail!("please use unshare with rootless");
    }
    libpod::rootless::enter()?;
    let paths = libpod::paths::Paths::or_defaults(global.root.clone(), global.runroot.clone());
    if args.rootless_netns {
        libpod::rootless::join_rootless_netns(&paths)?;
    }
    let (program, rest) = match args.command.split_first() {
        Some((p, rest)) => (p.clone(), rest.to_vec()),
        None => (
            std::env::var("SHELL").unwrap_or_else(|_| "/bin/sh".into()),
            Vec::new(),
        ),
    };
    let err = std::process::Command::new(&program)
        .args(rest)
        .env("CONTAINERS_GRAPHROOT", paths.storage_root())
        .env("CONTAINERS_RUNROOT", paths.storage_run_root())
        .exec();
    let code = if err.kind() == std::io::ErrorKind::NotFound {
        127
    } else {
        126
    };
    eprintln!("Error: {program}: {err}");
    Ok(code)
}

pub fn reset(rt: Runtime) -> Result<u8> {
    rt.reset()?;
    Ok(0)
}

/// `system reset` of an engine whose state database cannot be opened.
pub fn reset_unopened(options: &libpod::RuntimeOptions) -> Result<u8> {
    Runtime::reset_unopened(options)?;
    Ok(0)
}

pub fn inspect(rt: &Runtime, a: InspectArgs, kind: Option<&str>) -> Result<u8> {
    let names = if a.latest {
        vec![rt.latest_container()?.id().to_string()]
    } else {
        a.names.clone()
    };
    if names.is_empty() {
        bail!("at least one name or ID must be given");
    }
    let mut docs = Vec::new();
    let mut last_err = None;
    for name in &names {
        let doc = match kind {
            Some("container") => rt
                .container(name)
                .and_then(|c| c.inspect(a.size))
                .map(serde_json::to_value),
            Some("image") => rt.inspect_image(name).map(serde_json::to_value),
            _ => match rt.container(name) {
                Ok(c) => c.inspect(a.size).map(serde_json::to_value),
                Err(libpod::Error::NoSuchContainer(_)) => rt
                    .inspect_image(name)
                    .map(serde_json::to_value)
                    .map_err(|_| {
                        libpod::Error::InvalidArgument(format!("no such object: {name:?}"))
                    }),
                Err(e) => Err(e),
            },
        };
        match doc {
            Ok(v) => docs.push(v?),
            Err(e) => {
                if let Some(prev) = last_err.replace(anyhow::Error::from(e)) {
                    eprintln!("Error: {}", crate::error_chain(&prev));
                }
            }
        }
    }
    match OutputFormat::parse(a.format.as_deref())? {
        OutputFormat::Default | OutputFormat::Json => {
            println!("{}", serde_json::to_string_pretty(&docs)?)
        }
        f => {
            for d in &docs {
                println!("{}", f.render(d)?);
            }
        }
    }
    match last_err {
        Some(e) => Err(e),
        None => Ok(0),
    }
}

pub fn events(rt: &Runtime, a: EventsArgs) -> Result<u8> {
    let mut filter = EventFilter {
        since: a.since.as_deref().map(parse_timestamp).transpose()?,
        until: a.until.as_deref().map(parse_timestamp).transpose()?,
        filters: Vec::new(),
    };
    for f in &a.filter {
        // A key Podman does not know, or one without a value, matches no
        // event, as in Podman.
        let (k, v) = f.split_once('=').unwrap_or((f.as_str(), ""));
        filter.filters.push((k.to_string(), v.to_string()));
    }
    let format = OutputFormat::parse(a.format.as_deref())?;
    let follow = a.stream && filter.until.is_none();
    let mut failure = None;
    rt.events().read(&filter, follow, |e| {
        let line = match &format {
            OutputFormat::Json => serde_json::to_string(e).map_err(anyhow::Error::from),
            // Podman's line for a network event: the container's full ID.
            OutputFormat::Default if e.kind == "network" => Ok(format!(
                "{} network {} {} (container={}, name={})",
                e.time.format("%Y-%m-%d %H:%M:%S%.9f %z UTC"),
                e.status,
                e.id,
                e.id,
                e.network
            )),
            OutputFormat::Default => {
                let mut attrs: Vec<String> = Vec::new();
                if !e.image.is_empty() {
                    attrs.push(format!("image={}", e.image));
                }
                attrs.push(format!("name={}", e.name));
                if let Some(code) = e.exit_code {
                    attrs.push(format!("containerExitCode={code}"));
                }
                for (k, v) in &e.attributes {
                    if k != "image" && k != "name" {
                        attrs.push(format!("{k}={v}"));
                    }
                }
                Ok(format!(
                    "{} {} {} {} ({})",
                    e.time.format("%Y-%m-%d %H:%M:%S%.9f %z UTC"),
                    e.kind,
                    e.status,
                    if a.no_trunc {
                        e.id.as_str()
                    } else {
                        &e.id[..e.id.len().min(12)]
                    },
                    attrs.join(", ")
                ))
            }
            f => serde_json::to_value(e)
                .map_err(anyhow::Error::from)
                .and_then(|v| f.render(&v)),
        };
        match line {
            Ok(l) => {
                use std::io::Write;
                let mut out = std::io::stdout().lock();
                writeln!(out, "{l}").is_ok() && out.flush().is_ok()
            }
            Err(err) => {
                failure = Some(err);
                false
            }
        }
    })?;
    if let Some(e) = failure {
        return Err(e);
    }
    Ok(0)
}

pub fn completion(shell: clap_complete::Shell) -> Result<u8> {
    let mut cmd = Cli::command();
    clap_complete::generate(shell, &mut cmd, "rpod", &mut std::io::stdout());
    Ok(0)
}
