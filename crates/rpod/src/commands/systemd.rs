//! `quadlet`: translates quadlet files to service units, as a systemd
//! generator (`rpod quadlet NORMAL_DIR [EARLY_DIR LATE_DIR]`) or to stdout
//! (`--dryrun`).

use std::path::PathBuf;

use anyhow::{bail, Context, Result};
use libpod::autoupdate::AutoUpdateOptions;
use libpod::images::RegistryOptions;
use libpod::systemd::quadlet::DEFAULT_UNIT_DIRS;
use libpod::Runtime;
use serde::Serialize;

use crate::cli::{AutoUpdateArgs, QuadletArgs};
use crate::format::{print_table, OutputFormat};

/// The directories quadlet files are read from: `QUADLET_UNIT_DIRS`
/// (colon-separated) or Podman's system unit directories.
fn unit_dirs() -> Vec<PathBuf> {
    match std::env::var("QUADLET_UNIT_DIRS") {
        Ok(v) if !v.is_empty() => v
            .split(':')
            .filter(|d| !d.is_empty())
            .map(PathBuf::from)
            .collect(),
        _ => DEFAULT_UNIT_DIRS.iter().map(PathBuf::from).collect(),
    }
}

pub fn quadlet(rt: &Runtime, a: QuadletArgs) -> Result<u8> {
    if a.dirs.len() > 3 {
        bail!("quadlet takes at most three output directories (normal, early, late)");
    }
    let out = match (a.dryrun, a.dirs.first()) {
        (true, _) => None,
        (false, Some(d)) => Some(d.clone()),
        (false, None) => bail!(
            "missing output directory: rpod quadlet [--dryrun] NORMAL_DIR [EARLY_DIR LATE_DIR]"
        ),
    };
    let units = rt.quadlet_units(&unit_dirs())?;
    let Some(out) = out else {
        for u in &units {
            println!("---{}---", u.service);
            print!("{}", u.text);
            println!();
        }
        return Ok(0);
    };
    std::fs::create_dir_all(&out).with_context(|| format!("creating {}", out.display()))?;
    for u in &units {
        let path = out.join(&u.service);
        std::fs::write(&path, &u.text).with_context(|| format!("writing {}", path.display()))?;
        for (targets, kind) in [(&u.wanted_by, "wants"), (&u.required_by, "requires")] {
            for t in targets {
                if t.contains('/') {
                    bail!("{}: invalid [Install] target {t:?}", u.source.display());
                }
                let dir = out.join(format!("{t}.{kind}"));
                std::fs::create_dir_all(&dir)
                    .with_context(|| format!("creating {}", dir.display()))?;
                let link = dir.join(&u.service);
                let _ = std::fs::remove_file(&link);
                std::os::unix::fs::symlink(format!("../{}", u.service), &link)
                    .with_context(|| format!("linking {}", link.display()))?;
            }
        }
    }
    Ok(0)
}

/// One line of `auto-update`'s report, with Podman's field names.
#[derive(Serialize)]
struct AutoUpdateRow {
    #[serde(rename = "Unit")]
    unit: String,
    #[serde(rename = "Container")]
    container: String,
    #[serde(rename = "ContainerName")]
    container_name: String,
    #[serde(rename = "ContainerID")]
    container_id: String,
    #[serde(rename = "Image")]
    image: String,
    #[serde(rename = "Policy")]
    policy: String,
    #[serde(rename = "Updated")]
    updated: String,
}

/// `auto-update`: the UNIT column shows the `PODMAN_SYSTEMD_UNIT` label
/// when the container has one, and is empty otherwise (rpod restarts no
/// systemd unit: it recreates the container itself).
pub fn auto_update(rt: &Runtime, a: AutoUpdateArgs) -> Result<u8> {
    let format = OutputFormat::parse(a.format.as_deref())?;
    let authfile = a
        .authfile
        .or_else(|| std::env::var_os("REGISTRY_AUTH_FILE").map(PathBuf::from));
    let opts = AutoUpdateOptions {
        dry_run: a.dry_run,
        rollback: a.rollback,
        registry: RegistryOptions {
            tls_verify: a.tls_verify,
            authfile,
            ..Default::default()
        },
    };
    let (reports, failures) = rt.auto_update(&opts)?;
    let rows: Vec<AutoUpdateRow> = reports
        .into_iter()
        .map(|r| {
            let short: String = r.container_id.chars().take(12).collect();
            AutoUpdateRow {
                unit: r.unit.unwrap_or_default(),
                container: format!("{short} ({})", r.container_name),
                container_name: r.container_name,
                container_id: short,
                image: r.image,
                policy: r.policy.as_str().to_string(),
                updated: r.outcome.as_str().to_string(),
            }
        })
        .collect();
    if !format.print_items(&rows)? {
        let mut lines = vec!["UNIT\tCONTAINER\tIMAGE\tPOLICY\tUPDATED".to_string()];
        for r in &rows {
            lines.push(format!(
                "{}\t{}\t{}\t{}\t{}",
                r.unit, r.container, r.image, r.policy, r.updated
            ));
        }
        print_table(&lines);
    }
    if failures.is_empty() {
        return Ok(0);
    }
    let text: Vec<String> = failures.iter().map(|e| e.to_string()).collect();
    bail!("{}", text.join("\n"));
}
