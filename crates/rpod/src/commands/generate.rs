//! `generate systemd`.

use std::collections::BTreeMap;

use anyhow::{bail, Context, Result};
use libpod::systemd::units::SystemdOptions;
use libpod::Runtime;

use crate::cli::{GenerateGroup, GenerateSystemdArgs};

pub fn run(rt: &Runtime, g: GenerateGroup) -> Result<u8> {
    match g {
        GenerateGroup::Systemd(a) => systemd(rt, a),
        GenerateGroup::Kube(a) => super::kube::generate(rt, a),
    }
}

/// The engine's options from the flags; a bare `--env NAME` takes the
/// value from this process's environment.
pub fn systemd_options(a: &GenerateSystemdArgs) -> Result<SystemdOptions> {
    if a.template {
        return Err(libpod::Error::Unsupported(
            "--template is not supported yet: generate a unit per container".into(),
        )
        .into());
    }
    let mut env = Vec::new();
    for e in &a.env {
        if e.contains('=') {
            env.push(e.clone());
        } else {
            match std::env::var(e) {
                Ok(v) => env.push(format!("{e}={v}")),
                Err(_) => bail!("invalid --env {e:?}: no such variable in the environment"),
            }
        }
    }
    Ok(SystemdOptions {
        new: a.new,
        use_name: a.name,
        no_header: a.no_header,
        restart_policy: a.restart_policy.clone(),
        restart_sec: a.restart_sec.filter(|s| *s > 0),
        start_timeout: a.start_timeout.filter(|s| *s > 0),
        stop_timeout: a.stop_timeout,
        container_prefix: a.container_prefix.clone(),
        pod_prefix: a.pod_prefix.clone(),
        separator: a.separator.clone(),
        wants: a.wants.clone(),
        after: a.after.clone(),
        requires: a.requires.clone(),
        env,
        ..SystemdOptions::default()
    })
}

fn systemd(rt: &Runtime, a: GenerateSystemdArgs) -> Result<u8> {
    let json = match a.format.as_deref() {
        None | Some("") => false,
        Some("json") => true,
        Some(other) => bail!("unsupported format {other:?}: only json is supported"),
    };
    let opts = systemd_options(&a)?;
    let units = rt.generate_systemd(&a.target, &opts)?;
    if a.files {
        let dir = std::env::current_dir().context("the current directory")?;
        let mut paths = Vec::new();
        for u in &units {
            let path = dir.join(u.file_name());
            std::fs::write(&path, &u.text)
                .with_context(|| format!("writing {}", path.display()))?;
            paths.push(path.display().to_string());
        }
        if json {
            let map: BTreeMap<String, String> = units
                .iter()
                .zip(&paths)
                .map(|(u, p)| (u.name.clone(), p.clone()))
                .collect();
            println!("{}", serde_json::to_string_pretty(&map)?);
        } else {
            for p in paths {
                println!("{p}");
            }
        }
        return Ok(0);
    }
    if json {
        let map: BTreeMap<String, String> = units.into_iter().map(|u| (u.name, u.text)).collect();
        println!("{}", serde_json::to_string_pretty(&map)?);
    } else {
        for u in units {
            print!("{}", u.text);
        }
    }
    Ok(0)
}
