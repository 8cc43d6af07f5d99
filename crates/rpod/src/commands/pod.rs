//! `rpod pod …`.

use anyhow::{bail, Result};
use libpod::container::options::parse_key_value;
use libpod::pods::{PodConfig, PodCreateOptions};
use libpod::Runtime;
use serde::Serialize;

use crate::cli::{PodCreateArgs, PodGroup, PodPsArgs};
use crate::format::{print_table, OutputFormat};

pub fn run(rt: &Runtime, cmd: PodGroup) -> Result<u8> {
    match cmd {
        PodGroup::Create(a) => create(rt, *a),
        PodGroup::Start(a) => {
            let sel = PodSelection::new(&a.names, &a.pod_id_file, a.all, a.latest, false)?;
            each(rt, &sel, |pod| Ok(rt.pod_start(pod)?))
        }
        PodGroup::Stop(a) => {
            let sel = PodSelection::new(&a.names, &a.pod_id_file, a.all, a.latest, a.ignore)?;
            each(rt, &sel, |pod| Ok(rt.pod_stop(pod, a.time)?))
        }
        PodGroup::Restart(a) => {
            let sel = PodSelection::new(&a.names, &a.pod_id_file, a.all, a.latest, a.ignore)?;
            each(rt, &sel, |pod| Ok(rt.pod_restart(pod, a.time)?))
        }
        PodGroup::Kill(a) => {
            let sig = libpod::parse_signal(&a.signal).map_err(|e| anyhow::anyhow!("{e}"))?;
            let sel = PodSelection::new(&a.names, &[], a.all, a.latest, false)?;
            each(rt, &sel, |pod| Ok(rt.pod_kill(pod, sig)?))
        }
        PodGroup::Pause(a) => {
            let sel = PodSelection::new(&a.names, &a.pod_id_file, a.all, a.latest, false)?;
            each(rt, &sel, |pod| Ok(rt.pod_pause(pod, true)?))
        }
        PodGroup::Unpause(a) => {
            let sel = PodSelection::new(&a.names, &a.pod_id_file, a.all, a.latest, false)?;
            each(rt, &sel, |pod| Ok(rt.pod_pause(pod, false)?))
        }
        PodGroup::Rm(a) => {
            let sel = PodSelection::new(&a.names, &a.pod_id_file, a.all, a.latest, a.ignore)?;
            each(rt, &sel, |pod| {
                rt.pod_remove(pod, a.force, a.time)?;
                Ok(())
            })
        }
        PodGroup::Ps(a) => ps(rt, a),
        PodGroup::Inspect(a) => {
            let doc = rt.pod_inspect(&named_or_latest(
                rt,
                "pod inspect",
                a.name.as_deref(),
                a.latest,
            )?)?;
            match OutputFormat::parse(a.format.as_deref())? {
                OutputFormat::Default | OutputFormat::Json => {
                    println!("{}", serde_json::to_string_pretty(&doc)?)
                }
                f => println!("{}", f.render(&serde_json::to_value(&doc)?)?),
            }
            Ok(0)
        }
        PodGroup::Exists(a) => match rt.pod(&a.name) {
            Ok(_) => Ok(0),
            Err(_) => Ok(1),
        },
        PodGroup::Prune(a) => {
            if !a.force && !super::confirm("WARNING! This will remove all stopped/exited pods..")? {
                return Ok(0);
            }
            for id in rt.prune_pods()? {
                println!("{id}");
            }
            Ok(0)
        }
        PodGroup::Top(a) => {
            // With --latest every argument is a descriptor.
            let (name, descriptors) = if a.latest {
                let all: Vec<String> = a.name.into_iter().chain(a.descriptors).collect();
                (None, all)
            } else {
                (a.name, a.descriptors)
            };
            let pod = named_or_latest(rt, "pod top", name.as_deref(), a.latest)?;
            let mut lines: Vec<String> = Vec::new();
            for mut c in rt.pod_containers(&pod)? {
                if !c.status().is_active() {
                    continue;
                }
                let rows = c.top(&descriptors)?;
                let skip = usize::from(!lines.is_empty());
                lines.extend(rows.iter().skip(skip).map(|r| r.join("\t")));
            }
            print_table(&lines);
            Ok(0)
        }
        PodGroup::Stats(a) => pod_stats(rt, a),
        PodGroup::Logs(a) => {
            let pod = named_or_latest(rt, "pod logs", a.name.as_deref(), a.latest)?;
            let members: Vec<String> = rt
                .pod_containers(&pod)?
                .iter()
                .filter(|c| !c.config().is_infra)
                .map(|c| c.id().to_string())
                .collect();
            let names = match &a.container {
                Some(want) => {
                    let c = rt.container(want)?;
                    if !members.iter().any(|id| id == c.id()) {
                        bail!(
                            "container {want} is not in pod {}: no such container",
                            pod.name
                        );
                    }
                    vec![c.id().to_string()]
                }
                None => members,
            };
            let opts = super::containers::log_options(
                a.follow,
                a.timestamps,
                a.since.as_deref(),
                a.until.as_deref(),
                a.tail,
            )?;
            // As podman: one container's lines bare, several's after the
            // container's short ID (or name, with --names).
            let several = names.len() > 1;
            let prefix = |c: &libpod::Container<'_>| {
                if a.names {
                    Some(c.name().to_string())
                } else {
                    several.then(|| c.id()[..12].to_string())
                }
            };
            super::containers::show_logs(rt, &names, &opts, &prefix, a.color)
        }
    }
}

fn create(rt: &Runtime, a: PodCreateArgs) -> Result<u8> {
    if let Some(f) = &a.pod_id_file {
        if f.exists() {
            bail!(
                "pod id file exists. Ensure another pod is not using it or delete {}",
                f.display()
            );
        }
    }
    let infra_command = a.infra_command.as_ref().map(|c| {
        if c.starts_with('[') {
            serde_json::from_str::<Vec<String>>(c).unwrap_or_else(|_| vec![c.clone()])
        } else {
            c.split_whitespace().map(str::to_string).collect()
        }
    });
    if let (true, Some(name)) = (a.replace, a.name.as_deref()) {
        match rt.pod(name) {
            Ok(old) => {
                rt.pod_remove(&old, true, None)?;
            }
            Err(e) if e.is_not_found() => {}
            Err(e) => return Err(e.into()),
        }
    }
    let mut labels = std::collections::BTreeMap::new();
    for file in &a.label_file {
        for line in libpod::container::options::parse_env_file(file)? {
            let (k, v) = parse_key_value(&line);
            labels.insert(k, v);
        }
    }
    labels.extend(a.labels.iter().map(|l| parse_key_value(l)));
    let resources = libpod::container::Resources {
        memory: a
            .memory
            .as_deref()
            .map(libpod::container::options::parse_size)
            .transpose()?,
        memory_swap: a
            .memory_swap
            .as_deref()
            .map(libpod::container::options::parse_memory_swap)
            .transpose()?,
        cpus: a.cpus,
        cpu_shares: a.cpu_shares,
        cpuset_cpus: a.cpuset_cpus.clone(),
        cpuset_mems: a.cpuset_mems.clone(),
        ..Default::default()
    };
    let pod = rt.create_pod(PodCreateOptions {
        name: a.name.clone(),
        labels,
        resources,
        infra_name: a.infra_name.clone(),
        infra_conmon_pidfile: a.infra_conmon_pidfile.clone(),
        shm_size: a
            .shm_size
            .as_deref()
            .map(libpod::container::options::parse_size)
            .transpose()?,
        no_hosts: a.no_hosts,
        mounts: a
            .volume
            .iter()
            .map(|v| libpod::container::options::MountSpec::parse_volume(v))
            .collect::<libpod::Result<_>>()?,
        volumes_from: a.volumes_from.clone(),
        exit_policy: a.exit_policy.parse()?,
        create_command: std::env::args().collect(),
        hostname: a.hostname.clone(),
        // `--share ""` shares nothing.
        share: a
            .share
            .clone()
            .map(|v| v.into_iter().filter(|s| !s.is_empty()).collect()),
        infra: a.infra && !a.no_infra,
        infra_command,
        infra_image: a.infra_image.clone(),
        network: libpod::NetworkMode::Bridge,
        net: super::create::net_request(&a.net),
        security_opts: a
            .security_opt
            .iter()
            .map(|o| libpod::container::SecurityOpt::parse(o))
            .collect::<libpod::Result<_>>()?,
        isolation: pod_isolation(&a)?,
        share_parent: a.share_parent,
        userns: libpod::container::userns::UsernsOptions::parse(
            a.userns.as_deref(),
            &a.uidmap,
            &a.gidmap,
            a.subuidname.as_deref(),
            a.subgidname.as_deref(),
        )?,
    })?;
    if let Some(f) = &a.pod_id_file {
        if let Err(e) = std::fs::write(f, &pod.id) {
            let _ = rt.pod_remove(&pod, true, Some(0));
            bail!("writing pod id file {}: {e}", f.display());
        }
    }
    println!("{}", pod.id);
    Ok(0)
}

/// The infra container's namespaces, sysctls, devices and limits.
fn pod_isolation(a: &PodCreateArgs) -> Result<libpod::container::isolation::IsolationConfig> {
    use libpod::container::isolation::{
        parse_sysctl, BlkioLimits, BlkioRate, DeviceSpec, IsolationConfig, NamespaceMode,
    };
    let ns = |flag: &str, v: &Option<String>| -> libpod::Result<NamespaceMode> {
        v.as_deref()
            .map(|t| NamespaceMode::parse(flag, t))
            .unwrap_or(Ok(NamespaceMode::Private))
    };
    let rates = |flag: &str, list: &[String]| -> libpod::Result<Vec<BlkioRate>> {
        list.iter()
            .map(|t| BlkioRate::parse(flag, t, true))
            .collect()
    };
    Ok(IsolationConfig {
        pid: ns("pid", &a.pid)?,
        uts: ns("uts", &a.uts)?,
        devices: a
            .device
            .iter()
            .map(|d| DeviceSpec::parse(d))
            .collect::<libpod::Result<_>>()?,
        blkio: BlkioLimits {
            read_bps: rates("device-read-bps", &a.device_read_bps)?,
            write_bps: rates("device-write-bps", &a.device_write_bps)?,
            weight: a
                .blkio_weight
                .as_deref()
                .map(BlkioLimits::parse_weight)
                .transpose()?,
            weight_device: a
                .blkio_weight_device
                .iter()
                .map(|t| BlkioLimits::parse_weight_device(t))
                .collect::<libpod::Result<_>>()?,
            ..BlkioLimits::default()
        },
        sysctls: a
            .sysctl
            .iter()
            .map(|s| parse_sysctl(s))
            .collect::<libpod::Result<_>>()?,
        cgroup_parent: a.cgroup_parent.clone(),
        ..IsolationConfig::default()
    })
}

/// The pods a batch command acts on: named, read from `--pod-id-file`
/// files, `--all` or `--latest`; with `ignore`, missing pods are left out.
struct PodSelection {
    names: Vec<String>,
    all: bool,
    latest: bool,
    ignore: bool,
}

impl PodSelection {
    fn new(
        names: &[String],
        id_files: &[std::path::PathBuf],
        all: bool,
        latest: bool,
        ignore: bool,
    ) -> Result<PodSelection> {
        let mut names = names.to_vec();
        for f in id_files {
            match std::fs::read_to_string(f) {
                Ok(id) if !id.trim().is_empty() => names.push(id.trim().to_string()),
                Ok(_) => bail!("pod id file {} is empty", f.display()),
                // Even with --ignore, as in Podman.
                Err(e) => bail!("reading pod ID file {}: {e}", f.display()),
            }
        }
        if all && latest {
            bail!("--all and --latest cannot be used together");
        }
        if (all || latest) && !names.is_empty() {
            bail!("no arguments are needed with --all or --latest");
        }
        if !all && !latest && names.is_empty() {
            bail!("at least one pod name or ID must be given (or --all)");
        }
        Ok(PodSelection {
            names,
            all,
            latest,
            ignore,
        })
    }
}

/// The one pod a command acts on: the one named, or with `--latest` the
/// newest.
fn named_or_latest(
    rt: &Runtime,
    command: &str,
    name: Option<&str>,
    latest: bool,
) -> Result<PodConfig> {
    match (name, latest) {
        (Some(_), true) => bail!("--latest and pods cannot be used together"),
        (Some(n), false) => Ok(rt.pod(n)?),
        (None, true) => rt
            .pods()?
            .pop()
            .ok_or_else(|| anyhow::anyhow!("no pods to act on with --latest")),
        (None, false) => {
            bail!("\"rpod {command}\" requires a name, id, or the \"--latest\" flag")
        }
    }
}

fn each(
    rt: &Runtime,
    sel: &PodSelection,
    mut f: impl FnMut(&PodConfig) -> Result<()>,
) -> Result<u8> {
    let pods: Vec<PodConfig> = if sel.all {
        rt.pods()?
    } else if sel.latest {
        rt.pods()?.pop().into_iter().collect()
    } else {
        let mut pods = Vec::new();
        for n in &sel.names {
            match rt.pod(n) {
                Ok(p) => pods.push(p),
                Err(e) if sel.ignore && e.is_not_found() => {}
                Err(e) => return Err(e.into()),
            }
        }
        pods
    };
    for pod in &pods {
        f(pod)?;
        println!("{}", pod.id);
    }
    Ok(0)
}

/// The fields `pod ps --format` templates see (Podman's names).
#[derive(Serialize)]
#[allow(non_snake_case)]
struct PodRow {
    Id: String,
    Name: String,
    Status: String,
    Created: String,
    InfraId: String,
    NumberOfContainers: usize,
    Labels: std::collections::BTreeMap<String, String>,
    /// The members' IDs, names and states, comma-separated, by ID.
    ContainerIds: String,
    ContainerNames: String,
    ContainerStatuses: String,
    Cgroup: String,
    /// Podman's libpod namespace (rpod has none).
    Namespace: String,
}

fn ps(rt: &Runtime, a: PodPsArgs) -> Result<u8> {
    if a.noheading {
        crate::format::omit_headings();
    }
    // Newest first from the engine, podman's default order.
    let mut pods = rt.list_pods(&libpod::query::PodFilters::from_cli(&a.filter)?)?;
    if a.latest {
        pods.truncate(1);
    }
    match a.sort.as_str() {
        "id" => pods.sort_by(|x, y| x.id.cmp(&y.id)),
        "name" | "names" => pods.sort_by(|x, y| x.name.cmp(&y.name)),
        "number" => {
            let mut counted = Vec::with_capacity(pods.len());
            for p in pods {
                counted.push((rt.pod_containers(&p)?.len(), p));
            }
            counted.sort_by_key(|(n, _)| *n);
            pods = counted.into_iter().map(|(_, p)| p).collect();
        }
        _ => {}
    }
    let json = OutputFormat::parse(a.format.as_deref())?;
    if !a.quiet && matches!(json, OutputFormat::Json) {
        let docs = pods
            .iter()
            .map(|p| rt.pod_list_entry(p))
            .collect::<libpod::Result<Vec<_>>>()?;
        json.print_items(&docs)?;
        return Ok(0);
    }
    let mut rows = Vec::new();
    for pod in pods {
        let short = |id: &str| {
            if a.no_trunc {
                id.to_string()
            } else {
                id[..id.len().min(12)].to_string()
            }
        };
        let entry = rt.pod_list_entry(&pod)?;
        let mut members = entry.containers.clone();
        members.sort_by(|x, y| x.id.cmp(&y.id));
        let joined = |f: &dyn Fn(&libpod::pods::PodListContainer) -> String| {
            members.iter().map(f).collect::<Vec<_>>().join(",")
        };
        rows.push(PodRow {
            ContainerIds: joined(&|c| short(&c.id)),
            ContainerNames: joined(&|c| c.names.clone()),
            ContainerStatuses: joined(&|c| c.status.clone()),
            Cgroup: entry.cgroup.clone(),
            Namespace: String::new(),
            Id: short(&pod.id),
            Name: pod.name.clone(),
            Status: rt.pod_status(&pod)?,
            Created: format!(
                "{} ago",
                libpod::humanize::human_duration(chrono::Utc::now() - pod.created_at)
            ),
            InfraId: pod.infra_id.as_deref().map(short).unwrap_or_default(),
            NumberOfContainers: rt.pod_containers(&pod)?.len(),
            Labels: pod.labels.clone(),
        });
    }
    if a.quiet {
        for r in &rows {
            println!("{}", r.Id);
        }
        return Ok(0);
    }
    let format = OutputFormat::parse(a.format.as_deref())?;
    if format.print_items(&rows)? {
        return Ok(0);
    }
    // Podman's columns: the member columns asked for replace the count.
    let members = a.ctr_ids || a.ctr_names || a.ctr_status;
    let mut heading = "POD ID\tNAME\tSTATUS\tCREATED\tINFRA ID".to_string();
    for (on, title) in [
        (a.ctr_ids, "\tIDS"),
        (a.ctr_names, "\tNAMES"),
        (a.ctr_status, "\tSTATUS"),
        (a.ns, "\tCGROUP\tNAMESPACES"),
        (!members, "\t# OF CONTAINERS"),
    ] {
        if on {
            heading.push_str(title);
        }
    }
    let mut lines = vec![heading];
    for r in rows {
        let mut line = format!(
            "{}\t{}\t{}\t{}\t{}",
            r.Id, r.Name, r.Status, r.Created, r.InfraId
        );
        let count = r.NumberOfContainers.to_string();
        for (on, value) in [
            (a.ctr_ids, &r.ContainerIds),
            (a.ctr_names, &r.ContainerNames),
            (a.ctr_status, &r.ContainerStatuses),
            (a.ns, &r.Cgroup),
            (a.ns, &r.Namespace),
            (!members, &count),
        ] {
            if on {
                line.push('\t');
                line.push_str(value);
            }
        }
        lines.push(line);
    }
    print_table(&lines);
    Ok(0)
}

/// The fields `pod stats --format` templates see (Podman's names).
#[derive(Serialize)]
#[allow(non_snake_case)]
struct PodStatsRow {
    Pod: String,
    CID: String,
    Name: String,
    CPU: String,
    MemUsage: String,
    Mem: String,
    NetIO: String,
    BlockIO: String,
    PIDS: String,
}

/// `pod stats`: every container of the pods (all pods unless some are
/// named), infra included; one that does not run shows `--`.
fn pod_stats(rt: &Runtime, a: crate::cli::PodStatsArgs) -> Result<u8> {
    use std::io::{IsTerminal, Write};
    if a.latest && (a.all || !a.names.is_empty()) {
        bail!("--all, --latest and arguments cannot be used together");
    }
    if a.all && !a.names.is_empty() {
        bail!("--all, --latest and arguments cannot be used together");
    }
    // Podman prints a template's headings too, as if it began with `table`.
    let template = a.format.as_deref().map(|f| {
        let t = f.trim();
        if t == "json" || t.starts_with("table") {
            f.to_string()
        } else {
            format!("table {f}")
        }
    });
    let format = OutputFormat::parse(template.as_deref())?;
    let clear = std::io::stdout().is_terminal() && !a.no_stream && !a.no_reset;
    let mut previous: Vec<libpod::container::StatsSample> = Vec::new();
    loop {
        let pods: Vec<PodConfig> = if a.latest {
            rt.pods()?.pop().into_iter().collect()
        } else if a.names.is_empty() {
            rt.pods()?
        } else {
            a.names
                .iter()
                .map(|n| rt.pod(n))
                .collect::<libpod::Result<_>>()?
        };
        let mut rows = Vec::new();
        let mut current = Vec::new();
        let mut pods = pods;
        pods.sort_by(|x, y| x.id.cmp(&y.id));
        for pod in &pods {
            let mut members = rt.pod_containers(pod)?;
            members.sort_by(|x, y| x.id().cmp(y.id()));
            for mut c in members {
                let none = || "--".to_string();
                let row = match c.stats_sample()? {
                    Some(sample) => {
                        let prev = previous.iter().find(|p| p.id == sample.id);
                        let s = libpod::container::ContainerStats::between(prev, &sample);
                        current.push(sample);
                        PodStatsRow {
                            Pod: pod.id[..12].to_string(),
                            CID: s.id.clone(),
                            Name: s.name.clone(),
                            CPU: s.cpu_percent.clone(),
                            MemUsage: s.mem_usage.clone(),
                            Mem: s.mem_percent.clone(),
                            NetIO: s.net_io.clone(),
                            BlockIO: s.block_io.clone(),
                            PIDS: s.pids.clone(),
                        }
                    }
                    None => PodStatsRow {
                        Pod: pod.id[..12].to_string(),
                        CID: c.id()[..12].to_string(),
                        Name: c.name().to_string(),
                        CPU: none(),
                        MemUsage: "-- / --".into(),
                        Mem: none(),
                        NetIO: "-- / --".into(),
                        BlockIO: "-- / --".into(),
                        PIDS: none(),
                    },
                };
                rows.push(row);
            }
        }
        if clear {
            print!("\x1b[2J\x1b[H");
        }
        if !format.print_items(&rows)? {
            let mut lines = vec![
                "POD\tCID\tNAME\tCPU %\tMEM USAGE/ LIMIT\tMEM %\tNET IO\tBLOCK IO\tPIDS"
                    .to_string(),
            ];
            for r in &rows {
                lines.push(format!(
                    "{}\t{}\t{}\t{}\t{}\t{}\t{}\t{}\t{}",
                    r.Pod, r.CID, r.Name, r.CPU, r.MemUsage, r.Mem, r.NetIO, r.BlockIO, r.PIDS
                ));
            }
            print_table(&lines);
        }
        std::io::stdout().flush()?;
        if a.no_stream {
            return Ok(0);
        }
        previous = current;
        std::thread::sleep(std::time::Duration::from_secs(1));
    }
}
