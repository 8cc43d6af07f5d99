//! cp, diff, commit, top, stats, checkpoint and restore.

use std::collections::BTreeMap;
use std::io::{IsTerminal, Write};
use std::path::Path;
use std::time::Duration;

use anyhow::{bail, Context, Result};
use libpod::container::{
    CheckpointOptions, CommitOptions, ContainerStats, CopySource, CopyTarget, RestoreOptions,
    StatsSample,
};
use libpod::Runtime;
use serde::Serialize;

use crate::cli::{
    CheckpointArgs, CommitArgs, CpArgs, DiffArgs, RestoreArgs, StatsArgs, ToolsCommand, TopArgs,
};
use crate::format::{print_table, OutputFormat};

pub fn run(rt: &Runtime, cmd: ToolsCommand) -> Result<u8> {
    match cmd {
        ToolsCommand::Cp(a) => cp(rt, a),
        ToolsCommand::Diff(a) => diff(rt, a),
        ToolsCommand::Commit(a) => commit(rt, a),
        ToolsCommand::Top(a) => top(rt, a),
        ToolsCommand::Stats(a) => stats(rt, a),
    }
}

/// `CONTAINER:PATH` → (container, path); host paths (absolute, relative with `/` or `.`
/// before any `:`) → `None`.
fn split_container_path(arg: &str) -> Option<(&str, &str)> {
    let (name, path) = arg.split_once(':')?;
    if name.is_empty() || name.contains('/') || name.starts_with('.') {
        return None;
    }
    Some((name, path))
}

fn cp(rt: &Runtime, a: CpArgs) -> Result<u8> {
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

fn diff(rt: &Runtime, a: DiffArgs) -> Result<u8> {
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

fn commit(rt: &Runtime, a: CommitArgs) -> Result<u8> {
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

fn top(rt: &Runtime, a: TopArgs) -> Result<u8> {
    // With --latest every argument is a descriptor.
    let (name, descriptors) = if a.latest {
        let all: Vec<String> = a.container.into_iter().chain(a.descriptors).collect();
        (None, all)
    } else {
        (a.container, a.descriptors)
    };
    let rows = super::containers::named_or_latest(rt, "top", name.as_deref(), a.latest)?
        .top(&descriptors)?;
    let lines: Vec<String> = rows.iter().map(|r| r.join("\t")).collect();
    print_table(&lines);
    Ok(0)
}

/// The fields `stats --format` templates see (Podman's names).
#[derive(Serialize)]
#[allow(non_snake_case)]
struct StatsRow {
    ID: String,
    ContainerID: String,
    Name: String,
    CPUPerc: String,
    AVGCPU: String,
    CPU: f64,
    CPUNano: u64,
    CPUTime: String,
    MemUsage: String,
    MemUsageBytes: String,
    MemPerc: String,
    MemLimit: u64,
    NetIO: String,
    BlockIO: String,
    PIDs: String,
}

impl StatsRow {
    fn new(s: &ContainerStats) -> StatsRow {
        StatsRow {
            ID: s.id.clone(),
            ContainerID: s.raw.id.clone(),
            Name: s.name.clone(),
            CPUPerc: s.cpu_percent.clone(),
            AVGCPU: s.avg_cpu.clone(),
            CPU: s.cpu,
            CPUNano: s.raw.cpu_nanos,
            CPUTime: s.cpu_time.clone(),
            MemUsage: s.mem_usage.clone(),
            MemUsageBytes: format!(
                "{} / {}",
                libpod::humanize::human_size(s.raw.mem_usage),
                libpod::humanize::human_size(s.raw.mem_limit)
            ),
            MemPerc: s.mem_percent.clone(),
            MemLimit: s.raw.mem_limit,
            NetIO: s.net_io.clone(),
            BlockIO: s.block_io.clone(),
            PIDs: s.pids.clone(),
        }
    }
}

/// Samples every selected container; named containers must be running.
fn sample_all(rt: &Runtime, a: &StatsArgs) -> Result<Vec<StatsSample>> {
    let mut out = Vec::new();
    if a.names.is_empty() {
        for mut c in rt.containers()? {
            if let Some(s) = c.stats_sample()? {
                out.push(s);
            }
        }
    } else {
        for name in &a.names {
            let mut c = rt.container(name)?;
            match c.stats_sample()? {
                Some(s) => out.push(s),
                None if a.all => {}
                None => bail!("container {name} is not running"),
            }
        }
    }
    Ok(out)
}

fn print_stats(format: &OutputFormat, stats: &[ContainerStats], no_trunc: bool) -> Result<()> {
    if let OutputFormat::Json = format {
        println!("{}", serde_json::to_string_pretty(stats)?);
        return Ok(());
    }
    let rows: Vec<StatsRow> = stats.iter().map(StatsRow::new).collect();
    if format.print_items(&rows)? {
        return Ok(());
    }
    let mut lines = vec![
        "ID\tNAME\tCPU %\tMEM USAGE / LIMIT\tMEM %\tNET IO\tBLOCK IO\tPIDS\tCPU TIME\tAVG CPU %"
            .to_string(),
    ];
    for s in stats {
        let id = if no_trunc { &s.raw.id } else { &s.id };
        lines.push(format!(
            "{}\t{}\t{}\t{}\t{}\t{}\t{}\t{}\t{}\t{}",
            id,
            s.name,
            s.cpu_percent,
            s.mem_usage,
            s.mem_percent,
            s.net_io,
            s.block_io,
            s.pids,
            s.cpu_time,
            s.avg_cpu
        ));
    }
    print_table(&lines);
    Ok(())
}

pub(super) fn stats(rt: &Runtime, mut a: StatsArgs) -> Result<u8> {
    if a.interval == 0 {
        bail!("invalid interval, must be a positive number greater zero");
    }
    if a.latest {
        if !a.names.is_empty() {
            bail!("--latest and containers cannot be used together");
        }
        a.names = vec![rt.latest_container()?.id().to_string()];
    }
    let format = OutputFormat::parse(a.format.as_deref())?;
    let clear = std::io::stdout().is_terminal() && !a.no_stream && !a.no_reset;
    // The first sample shows the averages since each container started, as
    // podman's does; each later one the time since the previous.
    let mut previous: Vec<StatsSample> = Vec::new();
    loop {
        let current = sample_all(rt, &a)?;
        let stats: Vec<ContainerStats> = current
            .iter()
            .map(|cur| {
                let prev = previous.iter().find(|p| p.id == cur.id);
                ContainerStats::between(prev, cur)
            })
            .collect();
        if clear {
            print!("\x1b[2J\x1b[H");
        }
        print_stats(&format, &stats, a.no_trunc)?;
        std::io::stdout().flush()?;
        if a.no_stream {
            return Ok(0);
        }
        previous = current;
        std::thread::sleep(Duration::from_secs(a.interval));
    }
}

pub fn checkpoint(rt: &Runtime, a: CheckpointArgs) -> Result<u8> {
    if a.names.is_empty() {
        bail!("checkpoint needs at least one container");
    }
    if a.export.is_some() && a.names.len() > 1 {
        bail!("--export can only be used with a single container");
    }
    let opts = CheckpointOptions {
        export: a.export.clone(),
        leave_running: a.leave_running,
        tcp_established: a.tcp_established,
    };
    for name in &a.names {
        rt.container(name)?.checkpoint(&opts)?;
        println!("{name}");
    }
    Ok(0)
}

pub fn restore(rt: &Runtime, a: RestoreArgs) -> Result<u8> {
    if a.names.is_empty() {
        bail!("restore needs at least one container");
    }
    let opts = RestoreOptions {
        import: a.import.clone(),
        tcp_established: a.tcp_established,
    };
    for name in &a.names {
        rt.container(name)?.restore(&opts)?;
        println!("{name}");
    }
    Ok(0)
}
