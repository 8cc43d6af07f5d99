//! `rpod system service`: serves the Docker and libpod REST APIs (crate
//! `rpod-api`) until idle for `--time` seconds or signalled.

use std::time::Duration;

use anyhow::Result;
use libpod::{Runtime, RuntimeOptions};

use crate::cli::{GlobalArgs, ServiceArgs};

/// Runs the service in the foreground.
pub fn run(g: &GlobalArgs, rt: &Runtime, a: ServiceArgs) -> Result<u8> {
    let uri = match &a.uri {
        Some(u) => u.clone(),
        None => format!("unix://{}", rt.paths().run_root.join("rpod.sock").display()),
    };
    let listen = api::Listen::parse(&uri)?;
    let options = RuntimeOptions {
        root: Some(rt.paths().root.clone()),
        run_root: Some(rt.paths().run_root.clone()),
        config_path: g.config.clone(),
        storage_driver: g.storage_driver.clone(),
        runtime: g.runtime.clone(),
        events_backend: g.events_backend.clone(),
        hooks_dirs: g.hooks_dirs.clone(),
        runtime_flags: g.runtime_flag.clone(),
        volume_path: rt.paths().volume_path.clone(),
        storage_opts: g.storage_opt.clone(),
        network_cmd_path: g.network_cmd_path.clone(),
        network_config_dir: rt.paths().network_config_dir.clone(),
    };
    api::run(api::ServiceOptions {
        runtime: options,
        listen,
        idle_timeout: (a.time > 0).then(|| Duration::from_secs(a.time)),
        group: a.group.clone(),
        cors: a.cors.clone(),
    })?;
    Ok(0)
}
