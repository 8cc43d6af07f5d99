//! One module per group of commands; each turns parsed flags into libpod
//! calls and prints the result.

mod build;
mod container_files;
mod container_processes;
mod containers;
mod create;
mod generate;
mod images;
mod kube;
mod network;
mod pod;
mod secret;
mod service;
mod system;
mod systemd;
mod volume;

use anyhow::Result;
use libpod::{Runtime, RuntimeOptions};

use crate::cli::{
    Cli, Command, ContainerGroup, GlobalArgs, HealthcheckGroup, ImageGroup, SystemGroup,
};

/// Opens the engine with the global flags.
pub fn open_runtime(g: &GlobalArgs) -> Result<Runtime> {
    Ok(Runtime::new(runtime_options(g))?)
}

fn runtime_options(g: &GlobalArgs) -> RuntimeOptions {
    RuntimeOptions {
        root: g.root.clone(),
        run_root: g.runroot.clone(),
        config_path: g.config.clone(),
        storage_driver: g.storage_driver.clone(),
        runtime: g.runtime.clone(),
        events_backend: g.events_backend.clone(),
        hooks_dirs: g.hooks_dirs.clone(),
        runtime_flags: g.runtime_flag.clone(),
        volume_path: g.volumepath.clone(),
        storage_opts: g.storage_opt.clone(),
        network_cmd_path: g.network_cmd_path.clone(),
        network_config_dir: g.network_config_dir.clone(),
    }
}

/// Refuses the global flags whose effect rpod cannot give, each with why.
fn refuse_globals(g: &GlobalArgs) -> Result<()> {
    let unsupported =
        |why: &str| -> Result<()> { Err(libpod::Error::Unsupported(why.to_string()).into()) };
    if g.conmon.is_some() {
        return unsupported(
            "--conmon is not supported: rpod runs its own monitor (rpod-monitor), never conmon",
        );
    }
    if g.namespace.as_deref().is_some_and(|n| !n.is_empty()) {
        return unsupported("--namespace is not supported: rpod has no libpod namespaces; give each group of containers its own --root and --runroot");
    }
    if g.tmpdir.is_some() {
        return unsupported("--tmpdir is not supported: rpod keeps its run-time files under --runroot; give that instead");
    }
    Ok(())
}

/// Runs the command; returns the process exit code.
pub fn dispatch(cli: Cli) -> Result<u8> {
    refuse_globals(&cli.global)?;
    if let Command::Completion(args) = &cli.command {
        return system::completion(args.shell);
    }
    if let Command::Version(args) = &cli.command {
        return system::version(args);
    }
    if let Command::Unshare(args) = &cli.command {
        return system::unshare(&cli.global, args);
    }
    // Rootless: into the user's namespace before anything opens the engine
    // (and while this process has one thread).
    libpod::rootless::enter()?;
    if let Command::System(SystemGroup::Reset(_)) = &cli.command {
        // A state database that cannot be opened (corrupt, or of a newer
        // schema) is what `system reset` is the way out of.
        match open_runtime(&cli.global) {
            Ok(rt) => return system::reset(rt),
            Err(e) => match e.downcast_ref::<libpod::Error>() {
                Some(libpod::Error::StateDatabase { .. }) => {
                    return system::reset_unopened(&runtime_options(&cli.global))
                }
                _ => return Err(e),
            },
        }
    }
    let rt = open_runtime(&cli.global)?;
    match cli.command {
        Command::Container(c) => containers::run_common(&rt, *c),
        Command::ContainerGroup(g) => match g {
            ContainerGroup::Common(c) => containers::run_common(&rt, *c),
            ContainerGroup::Inspect(a) => system::inspect(&rt, a, Some("container")),
            ContainerGroup::Exists(a) => containers::exists(&rt, &a.name, a.external),
            ContainerGroup::Runlabel(a) => containers::runlabel(&rt, a),
            ContainerGroup::Prune(a) => containers::prune(&rt, &a),
            ContainerGroup::Cleanup(a) => containers::cleanup(&rt, a),
            ContainerGroup::Checkpoint(a) => container_processes::checkpoint(&rt, a),
            ContainerGroup::Restore(a) => container_processes::restore(&rt, a),
        },
        Command::Images(c) => images::run(&rt, c),
        Command::Build(a) => build::run(&rt, *a),
        Command::Buildx(crate::cli::BuildxGroup::Build(a)) => build::run(&rt, *a),
        Command::Image(ImageGroup::Inspect(a)) => system::inspect(&rt, a, Some("image")),
        Command::Image(g) => images::run_group(&rt, g),
        Command::Inspect(a) => {
            let kind = match a.kind.as_str() {
                "all" => None,
                "container" => Some("container"),
                "image" => Some("image"),
                other => anyhow::bail!("invalid --type {other:?}: use container, image or all"),
            };
            system::inspect(&rt, a, kind)
        }
        Command::Info(a) => system::info(&rt, &a),
        Command::System(g) => match g {
            SystemGroup::Df(a) => system::df(&rt, &a),
            SystemGroup::Prune(a) => system::prune(&rt, &a),
            SystemGroup::Reset(_) => system::reset(rt),
            SystemGroup::Info(a) => system::info(&rt, &a),
            SystemGroup::Boot => system::boot(&rt),
            SystemGroup::Service(a) => service::run(&cli.global, &rt, a),
            SystemGroup::Migrate(a) => system::migrate(&rt, a),
            // Locks are files named after each container and pod: nothing is numbered.
            SystemGroup::Renumber => Ok(0),
        },
        Command::Events(a) => system::events(&rt, a),
        Command::Volume(g) => volume::run(&rt, g),
        Command::Pod(g) => pod::run(&rt, g),
        Command::Secret(g) => secret::run(&rt, g),
        Command::Kube(g) => kube::run(&rt, g),
        Command::Play(crate::cli::PlayGroup::Kube(a)) => kube::play(&rt, a),
        Command::Healthcheck(HealthcheckGroup::Run(a)) => containers::healthcheck(&rt, &a.name),
        Command::Network(g) => network::run(&rt, g),
        Command::Generate(g) => generate::run(&rt, g),
        Command::Quadlet(a) => systemd::quadlet(&rt, a),
        Command::AutoUpdate(a) => systemd::auto_update(&rt, a),
        Command::Version(_) | Command::Completion(_) | Command::Unshare(_) => Ok(0),
    }
}

/// Podman's prune prompt: prints `warning` and asks; true for an answer
/// that starts with `y` (no answer is no).
pub(crate) fn confirm(warning: &str) -> Result<bool> {
    use std::io::Write;
    print!("{warning}\nAre you sure you want to continue? [y/N] ");
    std::io::stdout().flush()?;
    let mut answer = String::new();
    std::io::stdin().read_line(&mut answer)?;
    Ok(answer.trim_start().to_lowercase().starts_with('y'))
}
