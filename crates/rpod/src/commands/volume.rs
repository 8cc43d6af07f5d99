//! `rpod volume …`.

use std::collections::BTreeMap;
use std::io::Read;

use anyhow::{bail, Context, Result};
use libpod::container::options::parse_key_value;
use libpod::Runtime;

use crate::cli::{VolumeGroup, VolumeLsArgs};
use crate::format::{print_table, OutputFormat};

pub fn run(rt: &Runtime, cmd: VolumeGroup) -> Result<u8> {
    match cmd {
        VolumeGroup::Create(a) => {
            if a.driver != "local" {
                bail!(
                    "unknown volume driver {:?}: only \"local\" is available",
                    a.driver
                );
            }
            if a.ignore {
                if let Some(n) = &a.name {
                    if rt.volume_exists(n)? {
                        println!("{n}");
                        return Ok(0);
                    }
                }
            }
            let labels: BTreeMap<_, _> = a.labels.iter().map(|l| parse_key_value(l)).collect();
            let opts: BTreeMap<_, _> = a.opts.iter().map(|l| parse_key_value(l)).collect();
            let v = rt.create_volume(a.name.as_deref(), labels, opts, false)?;
            println!("{}", v.name());
            Ok(0)
        }
        VolumeGroup::Ls(a) => ls(rt, a),
        VolumeGroup::Inspect(a) => {
            let names: Vec<String> = if a.all {
                rt.volumes()?.into_iter().map(|v| v.config.name).collect()
            } else {
                a.names.clone()
            };
            if names.is_empty() {
                bail!("at least one volume name must be given (or --all)");
            }
            let docs = names
                .iter()
                .map(|n| rt.volume(n).map(|v| v.inspect()))
                .collect::<libpod::Result<Vec<_>>>()?;
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
            Ok(0)
        }
        VolumeGroup::Rm(a) => {
            let names: Vec<String> = if a.all {
                rt.volumes()?.into_iter().map(|v| v.config.name).collect()
            } else {
                a.names.clone()
            };
            if names.is_empty() && !a.all {
                bail!("at least one volume name must be given (or --all)");
            }
            for n in names {
                rt.remove_volume_stopping(&n, a.force, a.time)?;
                println!("{n}");
            }
            Ok(0)
        }
        VolumeGroup::Prune(a) => {
            let filters =
                libpod::query::PruneFilters::from_cli(libpod::query::Resource::Volumes, &a.filter)?;
            if !a.force {
                let names = rt.prunable_volumes(&filters)?;
                if names.is_empty() {
                    println!(
                        "WARNING! This will remove all volumes not used by at least one container. The following volumes will be removed:"
                    );
                    println!("No dangling volumes found");
                    return Ok(0);
                }
                let warning = format!(
                    "WARNING! This will remove all volumes not used by at least one container. The following volumes will be removed:\n{}",
                    names.join("\n")
                );
                if !super::confirm(&warning)? {
                    return Ok(0);
                }
            }
            for n in rt.prune_volumes(&filters)? {
                println!("{n}");
            }
            Ok(0)
        }
        VolumeGroup::Exists(a) => Ok(if rt.volume_exists(&a.name)? { 0 } else { 1 }),
        VolumeGroup::Mount(a) => {
            println!("{}", rt.volume_mount(&a.name)?.display());
            Ok(0)
        }
        VolumeGroup::Unmount(a) => {
            println!("{}", rt.volume_unmount(&a.name)?);
            Ok(0)
        }
        // Only plugin volumes are reloaded, and rpod has no volume plugins.
        VolumeGroup::Reload => Ok(0),
        VolumeGroup::Export(a) => {
            match &a.output {
                Some(path) => {
                    let mut f = std::fs::File::create(path)
                        .with_context(|| format!("creating {}", path.display()))?;
                    rt.export_volume(&a.name, &mut f)?;
                }
                None => {
                    if std::io::IsTerminal::is_terminal(&std::io::stdout()) {
                        bail!("refusing to write a tar archive to a terminal: use -o FILE or redirect stdout");
                    }
                    rt.export_volume(&a.name, &mut std::io::stdout().lock())?;
                }
            }
            Ok(0)
        }
        VolumeGroup::Import(a) => {
            let mut input: Box<dyn Read> = if a.source == "-" {
                Box::new(std::io::stdin().lock())
            } else {
                Box::new(
                    std::fs::File::open(&a.source)
                        .with_context(|| format!("opening {}", a.source))?,
                )
            };
            rt.import_volume(&a.name, &mut input)?;
            Ok(0)
        }
    }
}

fn ls(rt: &Runtime, a: VolumeLsArgs) -> Result<u8> {
    if a.noheading {
        crate::format::omit_headings();
    }
    let filters = libpod::query::VolumeFilters::from_cli(&a.filter)?;
    let docs: Vec<_> = rt
        .list_volumes(&filters)?
        .iter()
        .map(|v| v.inspect())
        .collect();
    if a.quiet {
        for d in &docs {
            println!("{}", d.name);
        }
        return Ok(0);
    }
    let format = OutputFormat::parse(a.format.as_deref())?;
    if format.print_items(&docs)? {
        return Ok(0);
    }
    let mut lines = vec!["DRIVER\tVOLUME NAME".to_string()];
    for d in docs {
        lines.push(format!("{}\t{}", d.driver, d.name));
    }
    print_table(&lines);
    Ok(0)
}
