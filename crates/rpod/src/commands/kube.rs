//! `rpod kube generate|play|down`, `rpod play kube`, `rpod generate kube`.

use std::io::Read;
use std::path::Path;

use anyhow::{Context, Result};
use libpod::container::options::parse_key_value;
use libpod::kube::{KubeGenerateOptions, KubePlayOptions};
use libpod::Runtime;

use crate::cli::{KubeDownArgs, KubeGenerateArgs, KubeGroup, KubePlayArgs};

pub fn run(rt: &Runtime, cmd: KubeGroup) -> Result<u8> {
    match cmd {
        KubeGroup::Generate(a) => generate(rt, a),
        KubeGroup::Play(a) => play(rt, *a),
        KubeGroup::Down(a) => down(rt, a),
    }
}

pub fn generate(rt: &Runtime, a: KubeGenerateArgs) -> Result<u8> {
    let opts = KubeGenerateOptions {
        service: a.service,
        kind: a.kind.parse()?,
        replicas: a.replicas,
    };
    let yaml = rt.kube_generate(&a.names, &opts)?;
    match &a.filename {
        Some(path) => {
            std::fs::write(path, &yaml).with_context(|| format!("writing {}", path.display()))?
        }
        None => print!("{yaml}"),
    }
    Ok(0)
}

/// The YAML of FILE or `-`, and the file's directory.
fn read_yaml(file: &str) -> Result<(String, Option<std::path::PathBuf>)> {
    if file == "-" {
        let mut text = String::new();
        std::io::stdin()
            .lock()
            .read_to_string(&mut text)
            .context("reading the Kubernetes YAML from stdin")?;
        return Ok((text, None));
    }
    let text = std::fs::read_to_string(file).with_context(|| format!("reading {file}"))?;
    let dir = Path::new(file)
        .parent()
        .map(|p| {
            if p.as_os_str().is_empty() {
                Path::new(".")
            } else {
                p
            }
        })
        .map(Path::to_path_buf);
    Ok((text, dir))
}

pub fn play(rt: &Runtime, a: KubePlayArgs) -> Result<u8> {
    if a.down {
        return down(
            rt,
            KubeDownArgs {
                force: false,
                file: a.file,
            },
        );
    }
    let (yaml, dir) = read_yaml(&a.file)?;
    let mut configmaps = Vec::new();
    for path in &a.configmap {
        configmaps.push(
            std::fs::read_to_string(path)
                .with_context(|| format!("reading --configmap {}", path.display()))?,
        );
    }
    let opts = KubePlayOptions {
        configmaps,
        replace: a.replace,
        start: a.start,
        networks: a.network,
        publish: a.publish,
        log_driver: a.log_driver,
        log_options: a.log_opt,
        static_ips: a.ip.iter().map(|ip| ip.to_string()).collect(),
        static_macs: a.mac_address,
        userns: a.userns,
        build: a.build,
        context_dir: a.context_dir,
        annotations: a.annotation.iter().map(|t| parse_key_value(t)).collect(),
        seccomp_profile_root: a.seccomp_profile_root,
        registry: libpod::images::RegistryOptions {
            tls_verify: a.tls_verify,
            authfile: a.authfile,
            creds: a.creds,
            cert_dir: a.cert_dir,
            ..Default::default()
        },
        no_hosts: a.no_hosts,
    };
    // The progress of pulls and builds (none with --quiet).
    let mut build_out: Box<dyn std::io::Write> = if a.quiet {
        Box::new(std::io::sink())
    } else {
        Box::new(std::io::stderr())
    };
    let report = rt.kube_play(&yaml, dir.as_deref(), &opts, &mut build_out)?;
    for w in &report.warnings {
        libpod::diagnostics::warn(format_args!("Warning: {w}"));
    }
    let mut out = String::new();
    if !report.secrets.is_empty() {
        out.push_str("Secrets:\n");
        for s in &report.secrets {
            out.push_str(&format!("{s}\n"));
        }
    }
    if !report.volumes.is_empty() {
        out.push_str("Volumes:\n");
        for v in &report.volumes {
            out.push_str(&format!("{v}\n"));
        }
    }
    for p in &report.pods {
        out.push_str(&format!("Pod:\n{}\n", p.id));
        if !p.containers.is_empty() {
            out.push_str("Container:\n");
            for c in &p.containers {
                out.push_str(&format!("{c}\n"));
            }
        }
        out.push('\n');
    }
    print!("{out}");
    Ok(0)
}

pub fn down(rt: &Runtime, a: KubeDownArgs) -> Result<u8> {
    let (yaml, _) = read_yaml(&a.file)?;
    let report = rt.kube_down(&yaml, a.force)?;
    let mut out = String::new();
    for (title, list) in [
        ("Pods stopped:", &report.stopped),
        ("Pods removed:", &report.removed),
        ("Secrets removed:", &report.secrets),
        ("Volumes removed:", &report.volumes),
    ] {
        if !list.is_empty() {
            out.push_str(title);
            out.push('\n');
            for id in list {
                out.push_str(id);
                out.push('\n');
            }
        }
    }
    print!("{out}");
    Ok(0)
}
