//! `quadlet`: translates quadlet files to service units, as a systemd
//! generator (`rpod quadlet NORMAL_DIR [EARLY_DIR LATE_DIR]`) or to stdout
//! (`--dryrun`).

use std::path::PathBuf;

use anyhow::{bail, Context, Result};
use libpod::systemd::quadlet::DEFAULT_UNIT_DIRS;
use libpod::Runtime;

use crate::cli::QuadletArgs;

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
