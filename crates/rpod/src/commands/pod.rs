//! `rpod pod …`.

use anyhow::{bail, Result};
use libpod::container::options::parse_key_value;
use libpod::container::LogOptions;
use libpod::pods::{PodConfig, PodCreateOptions};
use libpod::Runtime;
use serde::Serialize;

use crate::cli::{PodCreateArgs, PodGroup, PodPsArgs};
use crate::format::{print_table, OutputFormat};

pub fn run(rt: &Runtime, cmd: PodGroup) -> Result<u8> {
    match cmd {
        PodGroup::Create(a) => create(rt, *a),
        PodGroup::Start(a) => each(rt, &a.names, a.all, |pod| Ok(rt.pod_start(pod)?)),
        PodGroup::Stop(a) => each(rt, &a.names, a.all, |pod| Ok(rt.pod_stop(pod, a.time)?)),
        PodGroup::Restart(a) => each(rt, &a.names, a.all, |pod| {
            rt.pod_stop(pod, a.time)?;
            Ok(rt.pod_start(pod)?)
        }),
        PodGroup::Kill(a) => {
            let sig = libpod::parse_signal(&a.signal).map_err(|e| anyhow::anyhow!("{e}"))?;
            each(rt, &a.names, a.all, |pod| Ok(rt.pod_kill(pod, sig)?))
        }
        PodGroup::Pause(a) => each(rt, &a.names, a.all, |pod| Ok(rt.pod_pause(pod, true)?)),
        PodGroup::Unpause(a) => each(rt, &a.names, a.all, |pod| Ok(rt.pod_pause(pod, false)?)),
        PodGroup::Rm(a) => {
            let names: Vec<String> = if a.ignore {
                let mut known = Vec::new();
                for n in &a.names {
                    match rt.pod(n) {
                        Ok(_) => known.push(n.clone()),
                        Err(e) if e.is_not_found() => {}
                        Err(e) => return Err(e.into()),
                    }
                }
                if known.is_empty() && !a.names.is_empty() {
                    return Ok(0);
                }
                known
            } else {
                a.names.clone()
            };
            each(rt, &names, a.all, |pod| {
                rt.pod_remove(pod, a.force, a.time)?;
                Ok(())
            })
        }
        PodGroup::Ps(a) => ps(rt, a),
        PodGroup::Inspect(a) => {
            let doc = rt.pod_inspect(&rt.pod(&a.name)?)?;
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
        PodGroup::Prune(_) => {
            for pod in rt.pods()? {
                if matches!(rt.pod_status(&pod)?.as_str(), "Exited" | "Created") {
                    rt.pod_remove(&pod, false, None)?;
                    println!("{}", pod.id);
                }
            }
            Ok(0)
        }
        PodGroup::Top(a) => {
            let pod = rt.pod(&a.name)?;
            let mut lines: Vec<String> = Vec::new();
            for mut c in rt.pod_containers(&pod)? {
                if !c.status().is_active() {
                    continue;
                }
                let rows = c.top(&[])?;
                let skip = usize::from(!lines.is_empty());
                lines.extend(rows.iter().skip(skip).map(|r| r.join("\t")));
            }
            print_table(&lines);
            Ok(0)
        }
        PodGroup::Stats(a) => {
            let pod = rt.pod(&a.name)?;
            let names: Vec<String> = rt
                .pod_containers(&pod)?
                .iter()
                .filter(|c| c.status().is_active())
                .map(|c| c.id().to_string())
                .collect();
            if names.is_empty() {
                bail!("pod {} has no running containers", pod.name);
            }
            super::tools::stats(
                rt,
                crate::cli::StatsArgs {
                    all: false,
                    no_stream: a.no_stream,
                    format: a.format,
                    names,
                },
            )
        }
        PodGroup::Logs(a) => {
            let pod = rt.pod(&a.name)?;
            let opts = LogOptions {
                follow: a.follow,
                timestamps: a.timestamps,
                ..Default::default()
            };
            for mut c in rt.pod_containers(&pod)? {
                if c.config().is_infra {
                    continue;
                }
                c.logs(
                    &opts,
                    &mut std::io::stdout().lock(),
                    &mut std::io::stderr().lock(),
                )?;
            }
            Ok(0)
        }
    }
}

fn create(rt: &Runtime, a: PodCreateArgs) -> Result<u8> {
    let infra_command = a.infra_command.as_ref().map(|c| {
        if c.starts_with('[') {
            serde_json::from_str::<Vec<String>>(c).unwrap_or_else(|_| vec![c.clone()])
        } else {
            c.split_whitespace().map(str::to_string).collect()
        }
    });
    let pod = rt.create_pod(PodCreateOptions {
        name: a.name.clone(),
        labels: a.labels.iter().map(|l| parse_key_value(l)).collect(),
        hostname: a.hostname.clone(),
        // `--share ""` shares nothing.
        share: a
            .share
            .clone()
            .map(|v| v.into_iter().filter(|s| !s.is_empty()).collect()),
        infra: a.infra && !a.no_infra,
        infra_command,
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
            None,
            None,
        )?,
    })?;
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

fn each(
    rt: &Runtime,
    names: &[String],
    all: bool,
    mut f: impl FnMut(&PodConfig) -> Result<()>,
) -> Result<u8> {
    let pods: Vec<PodConfig> = if all {
        rt.pods()?
    } else {
        if names.is_empty() {
            bail!("at least one pod name or ID must be given (or --all)");
        }
        names
            .iter()
            .map(|n| rt.pod(n))
            .collect::<libpod::Result<_>>()?
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
}

fn ps(rt: &Runtime, a: PodPsArgs) -> Result<u8> {
    if a.noheading {
        crate::format::omit_headings();
    }
    let pods = rt.list_pods(&libpod::query::PodFilters::from_cli(&a.filter)?)?;
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
        rows.push(PodRow {
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
    let mut lines = vec!["POD ID\tNAME\tSTATUS\tCREATED\tINFRA ID\t# OF CONTAINERS".to_string()];
    for r in rows {
        lines.push(format!(
            "{}\t{}\t{}\t{}\t{}\t{}",
            r.Id, r.Name, r.Status, r.Created, r.InfraId, r.NumberOfContainers
        ));
    }
    print_table(&lines);
    Ok(0)
}
