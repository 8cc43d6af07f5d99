//! top, stats, checkpoint and restore: a container's processes.

use std::io::{IsTerminal, Write};
use std::time::Duration;

use anyhow::{bail, Result};
use libpod::container::{CheckpointOptions, ContainerStats, RestoreOptions, StatsSample};
use libpod::Runtime;
use serde::Serialize;

use crate::cli::{CheckpointArgs, RestoreArgs, StatsArgs, TopArgs};
use crate::format::{print_table, OutputFormat};

pub(super) fn top(rt: &Runtime, a: TopArgs) -> Result<u8> {
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
