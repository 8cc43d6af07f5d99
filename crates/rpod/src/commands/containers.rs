//! Container commands other than create/run.

use std::collections::BTreeMap;
use std::io::Write;

use anyhow::{bail, Context, Result};
use libpod::container::RemoveOptions;
use libpod::container::{parse_detach_keys, pump, AttachOutcome, AttachStreams, LogOptions};
use libpod::query::{ContainerFilters, ContainerSelection};
use libpod::{Container, ContainerStatus, DependencyOrder, Runtime};
use serde::Serialize;

use super::create::{self, exit_code_byte, start_attached};
use crate::cli::*;
use crate::format::{print_table, OutputFormat};
use crate::terminal::{stdin_is_tty, window_size, RawMode};
use libpod::query::parse_timestamp;

/// The names given plus the IDs read from `--cidfile` files; `None` when
/// only cidfiles were given and all are missing under `--ignore` (nothing
/// to do, as in Podman).
fn with_cidfiles(
    names: &[String],
    cidfiles: &[std::path::PathBuf],
    ignore: bool,
) -> Result<Option<Vec<String>>> {
    let mut out = names.to_vec();
    for f in cidfiles {
        match std::fs::read_to_string(f) {
            Ok(id) if !id.trim().is_empty() => out.push(id.trim().to_string()),
            Ok(_) => bail!("container id file {} is empty", f.display()),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound && ignore => {}
            Err(e) => return Err(e).with_context(|| format!("reading CIDFile {}", f.display())),
        }
    }
    Ok((cidfiles.is_empty() || !out.is_empty()).then_some(out))
}

pub fn run_common(rt: &Runtime, cmd: ContainerCommand) -> Result<u8> {
    match cmd {
        ContainerCommand::Create(a) => create::create(rt, a),
        ContainerCommand::Run(a) => create::run(rt, a),
        ContainerCommand::Init(a) => {
            let sel = selection(&a.names, a.all, a.latest, &[])?;
            each(rt, &sel, |c| {
                c.init()?;
                println!("{}", c.id());
                Ok(())
            })
        }
        ContainerCommand::Start(a) => start(rt, a),
        ContainerCommand::Stop(a) => {
            let Some(names) = with_cidfiles(&a.names, &a.cidfile, a.ignore)? else {
                return Ok(0);
            };
            let sel = selection(&names, a.all, a.latest, &a.filter)?;
            each_parallel(rt, &sel, a.ignore, DependencyOrder::Independent, |c| {
                c.stop(a.time).map(|()| true)
            })
        }
        ContainerCommand::Restart(a) => {
            let Some(names) = with_cidfiles(&a.names, &a.cidfile, false)? else {
                return Ok(0);
            };
            let mut sel = selection(&names, a.all, a.latest, &a.filter)?;
            if a.running {
                // Podman 4.3: every running container, whatever was named
                // (a name, --all or --latest must still be given).
                rt.select_containers(&sel)?;
                sel = ContainerSelection {
                    all: true,
                    states: vec![ContainerStatus::Running],
                    ..ContainerSelection::default()
                };
            }
            each_parallel(rt, &sel, false, DependencyOrder::Independent, |c| {
                c.restart(a.time).map(|()| true)
            })
        }
        ContainerCommand::Kill(a) => {
            let sig = libpod::parse_signal(&a.signal).map_err(|e| anyhow::anyhow!("{e}"))?;
            let Some(names) = with_cidfiles(&a.names, &a.cidfile, false)? else {
                return Ok(0);
            };
            let mut sel = selection(&names, a.all, a.latest, &[])?;
            if a.all {
                sel.states = vec![ContainerStatus::Running];
            }
            each_parallel(rt, &sel, false, DependencyOrder::Independent, |c| {
                c.kill(sig).map(|()| true)
            })
        }
        ContainerCommand::Rm(a) => rm(rt, a),
        ContainerCommand::Exec(a) => exec(rt, a),
        ContainerCommand::Update(a) => update(rt, a),
        ContainerCommand::Ps(a) => ps(rt, a),
        ContainerCommand::Logs(a) => logs(rt, a),
        ContainerCommand::Wait(a) => wait(rt, a),
        ContainerCommand::Attach(a) => attach(rt, a),
        ContainerCommand::Pause(a) => pause(rt, a, true),
        ContainerCommand::Unpause(a) => pause(rt, a, false),
        ContainerCommand::Rename(a) => {
            rt.container(&a.container)?.rename(&a.new_name)?;
            Ok(0)
        }
        ContainerCommand::Mount(a) => mount(rt, a),
        ContainerCommand::Umount(a) => each(rt, &selection(&a.names, a.all, a.latest, &[])?, |c| {
            if c.state().mount_point.is_some() || !a.all {
                c.unmount()?;
                println!("{}", c.id());
            }
            Ok(())
        }),
        ContainerCommand::Export(a) => export(rt, a),
        ContainerCommand::Cp(a) => super::container_files::cp(rt, a),
        ContainerCommand::Diff(a) => super::container_files::diff(rt, a),
        ContainerCommand::Commit(a) => super::container_files::commit(rt, a),
        ContainerCommand::Top(a) => super::container_processes::top(rt, a),
        ContainerCommand::Stats(a) => super::container_processes::stats(rt, a),
        ContainerCommand::Port(a) => {
            let list = match &a.name {
                _ if a.latest => vec![rt.latest_container()?],
                Some(n) if !a.all => vec![rt.container(n)?],
                _ if a.all => rt.containers()?,
                _ => bail!("a container name or --all is required"),
            };
            // With --all or --latest the one argument is the port.
            let filter = if a.all || a.latest {
                a.name.as_deref()
            } else {
                a.port.as_deref()
            };
            for c in &list {
                for line in c.port_lines(filter)? {
                    if a.all {
                        println!("{}\t{line}", c.config().short_id());
                    } else {
                        println!("{line}");
                    }
                }
            }
            Ok(0)
        }
    }
}

/// What a batch command's names, `--all`, `--latest` and `--filter` select.
fn selection(
    names: &[String],
    all: bool,
    latest: bool,
    filters: &[String],
) -> Result<ContainerSelection> {
    Ok(ContainerSelection {
        names: names.to_vec(),
        all,
        latest,
        filters: if filters.is_empty() {
            None
        } else {
            Some(ContainerFilters::from_cli(filters)?)
        },
        states: Vec::new(),
    })
}

/// Runs `f` on each selected container, one after another, going on after
/// an error and reporting the last one, as Podman does.
fn each(
    rt: &Runtime,
    sel: &ContainerSelection,
    mut f: impl FnMut(&mut Container<'_>) -> Result<()>,
) -> Result<u8> {
    each_named(rt, sel, false, |c, _| f(c))
}

fn each_named(
    rt: &Runtime,
    sel: &ContainerSelection,
    ignore_missing: bool,
    mut f: impl FnMut(&mut Container<'_>, &str) -> Result<()>,
) -> Result<u8> {
    let targets = rt.select_containers(sel)?;
    let mut errors = Errors::default();
    for name in &targets {
        let result = match rt.container(name) {
            Ok(mut c) => f(&mut c, name),
            Err(e) => Err(e.into()),
        };
        // Missing, or gone meanwhile (removed by another party, such as the
        // clean-up of a `--rm` container that `rm -f` just stopped).
        let result = result.or_else(|e| match e.downcast_ref::<libpod::Error>() {
            Some(libpod::Error::NoSuchContainer(_)) if ignore_missing => Ok(()),
            _ => Err(e),
        });
        if let Err(e) = result {
            errors.push(e);
        }
    }
    errors.finish()
}

/// A batch command's errors as Podman reports them: every one but the last
/// printed as it comes, the last returned (and so its exit code).
#[derive(Default)]
struct Errors(Option<anyhow::Error>);

impl Errors {
    fn push(&mut self, e: anyhow::Error) {
        if let Some(prev) = self.0.replace(e) {
            eprintln!("Error: {}", crate::error_chain(&prev));
        }
    }

    fn finish(self) -> Result<u8> {
        match self.0 {
            Some(e) => Err(e),
            None => Ok(0),
        }
    }
}

/// [`each_named`] for operations that may run side by side (`stop`,
/// `kill`, `restart`, `start`, `rm`): every name is resolved first (unless
/// missing ones are ignored), as Podman does; the engine runs them in
/// parallel, in waves when `order` says, then each container's name as given is printed, in
/// the order given (unless `op` says there was nothing to report).
fn each_parallel(
    rt: &Runtime,
    sel: &ContainerSelection,
    ignore_missing: bool,
    order: DependencyOrder,
    op: impl Fn(&mut Container<'_>) -> libpod::Result<bool> + Sync,
) -> Result<u8> {
    let targets = rt.select_containers(sel)?;
    if !ignore_missing {
        for name in &targets {
            rt.container(name)?;
        }
    }
    let mut errors = Errors::default();
    for (given, result) in targets
        .iter()
        .zip(rt.on_each_container_ordered(&targets, order, op))
    {
        match result {
            Ok(true) => println!("{given}"),
            Ok(false) => {}
            Err(libpod::Error::NoSuchContainer(_)) if ignore_missing => {}
            Err(e) => errors.push(e.into()),
        }
    }
    errors.finish()
}

/// `rm`: dependents before what they depend on, side by side otherwise;
/// prints each container as given (with `--depend`, the IDs of all removed).
fn rm(rt: &Runtime, a: RmArgs) -> Result<u8> {
    // As in Podman, --force also ignores containers that do not exist.
    let ignore = a.ignore || a.force || a.all;
    let Some(names) = with_cidfiles(&a.names, &a.cidfile, a.ignore)? else {
        return Ok(0);
    };
    let sel = selection(&names, a.all, a.latest, &a.filter)?;
    let targets = rt.select_containers(&sel)?;
    if !ignore {
        for name in &targets {
            rt.container(name)?;
        }
    }
    let opts = RemoveOptions {
        force: a.force,
        timeout: a.time,
        volumes: a.volumes,
        depend: a.depend,
    };
    let results = rt.on_each_container_ordered(&targets, DependencyOrder::DependentsFirst, |c| {
        c.remove_with(opts)
    });
    let mut errors = Errors::default();
    let mut printed = std::collections::BTreeSet::new();
    for (given, result) in targets.iter().zip(results) {
        match result {
            // With --depend, the IDs of all removed; otherwise the name as
            // given, as Podman prints them.
            Ok(ids) if a.depend => {
                for id in ids {
                    if printed.insert(id.clone()) {
                        println!("{id}");
                    }
                }
            }
            Ok(_) => println!("{given}"),
            // Gone meanwhile: taken with a container it depends on (--depend).
            Err(libpod::Error::NoSuchContainer(_)) if ignore || a.depend => {}
            Err(e) => errors.push(e.into()),
        }
    }
    errors.finish()
}

/// `pause` and `unpause`: with `--all`, the running (or paused) ones.
fn pause(rt: &Runtime, a: PauseArgs, pause: bool) -> Result<u8> {
    let Some(names) = with_cidfiles(&a.names, &a.cidfile, false)? else {
        return Ok(0);
    };
    let mut sel = selection(&names, a.all, a.latest, &a.filter)?;
    if a.all {
        sel.states = vec![if pause {
            ContainerStatus::Running
        } else {
            ContainerStatus::Paused
        }];
    }
    each_parallel(rt, &sel, false, DependencyOrder::Independent, |c| {
        if pause {
            c.pause()?;
        } else {
            c.unpause()?;
        }
        Ok(true)
    })
}

fn start(rt: &Runtime, a: StartArgs) -> Result<u8> {
    if a.all && !a.names.is_empty() {
        bail!("either start all containers or the container(s) provided in the arguments");
    }
    if a.sig_proxy == Some(true) && !a.attach {
        bail!("you cannot use sig-proxy without --attach: invalid argument");
    }
    let mut sel = selection(&a.names, a.all, a.latest, &a.filter)?;
    if a.all {
        sel.states = vec![
            ContainerStatus::Configured,
            ContainerStatus::Created,
            ContainerStatus::Stopped,
            ContainerStatus::Exited,
        ];
    }
    if a.attach || a.interactive {
        let targets = rt.select_containers(&sel)?;
        if targets.len() > 1 {
            bail!("you cannot start and attach multiple containers at once");
        }
        let Some(name) = targets.first() else {
            return Ok(0);
        };
        let mut c = rt.container(name)?;
        // A running container is attached to, as Podman does.
        if c.status() == ContainerStatus::Running {
            let stdin = a.interactive && c.config().interactive;
            return attach_running(&mut c, stdin, &a.detach_keys, a.sig_proxy.unwrap_or(true));
        }
        if !c.status().can_start() {
            return Err(libpod::Error::InvalidState {
                id: c.id().to_string(),
                state: c.status(),
                action: "only configured, created, stopped or exited containers can be started"
                    .into(),
            }
            .into());
        }
        return start_attached(
            &mut c,
            a.interactive,
            parse_detach_keys(&a.detach_keys)?,
            a.sig_proxy.unwrap_or(true),
        );
    }
    // A container that runs already is left alone and not reported, as in
    // Podman; dependencies start before their dependents.
    each_parallel(rt, &sel, false, DependencyOrder::DependenciesFirst, |c| {
        if c.status() == ContainerStatus::Running {
            return Ok(false);
        }
        c.start().map(|()| true)
    })
}

fn attach(rt: &Runtime, a: AttachArgs) -> Result<u8> {
    let mut c = named_or_latest(rt, "attach", a.name.as_deref(), a.latest)?;
    if !matches!(
        c.status(),
        ContainerStatus::Running | ContainerStatus::Paused
    ) {
        return Err(libpod::Error::InvalidState {
            id: c.id().to_string(),
            state: c.status(),
            action: "you can only attach to running containers".into(),
        }
        .into());
    }
    let stdin = !a.no_stdin && c.config().interactive;
    attach_running(&mut c, stdin, &a.detach_keys, a.sig_proxy)
}

/// Attaches to a running container until it exits (its exit code) or the
/// detach keys are typed; with `sig_proxy`, the signals this process gets
/// go to the container's process.
fn attach_running(
    c: &mut Container<'_>,
    stdin: bool,
    detach_keys: &str,
    sig_proxy: bool,
) -> Result<u8> {
    let client = c.attach_client()?;
    if sig_proxy {
        crate::signals::proxy_to(c.state().pid)?;
    }
    let raw = if c.config().tty && stdin && stdin_is_tty() {
        RawMode::enable()
    } else {
        None
    };
    let streams = AttachStreams {
        stdin,
        tty: raw.is_some(),
        detach_keys: parse_detach_keys(detach_keys)?,
    };
    let outcome = pump(&client, &streams, window_size);
    drop(raw);
    match outcome? {
        AttachOutcome::Detached => Ok(0),
        AttachOutcome::Exited => Ok(exit_code_byte(c.wait(&[])?)),
    }
}

/// The fields `ps --format` templates see (Podman's names).
#[derive(Serialize)]
#[allow(non_snake_case)]
struct PsTemplateRow {
    ID: String,
    Image: String,
    ImageID: String,
    Command: String,
    CreatedAt: String,
    CreatedHuman: String,
    Created: i64,
    Status: String,
    State: String,
    Names: String,
    Ports: String,
    Size: String,
    Labels: BTreeMap<String, String>,
    Mounts: String,
    Pid: i32,
    ExitCode: i32,
    Exited: bool,
    AutoRemove: bool,
    Restarts: u32,
    /// The pod's ID (12 characters unless --no-trunc), as Podman's `.Pod`.
    Pod: String,
    PodName: String,
    /// The networks, comma-separated.
    Networks: String,
    IsInfra: bool,
    Namespaces: PsNamespaces,
}

/// `ps`'s namespace columns (`--ns`), under Podman's template names.
#[derive(Serialize, Default)]
#[allow(non_snake_case)]
struct PsNamespaces {
    MNT: String,
    Cgroup: String,
    IPC: String,
    NET: String,
    PIDNS: String,
    UTS: String,
    User: String,
}

impl PsNamespaces {
    fn of(ids: &BTreeMap<String, String>) -> PsNamespaces {
        let get = |k: &str| ids.get(k).cloned().unwrap_or_default();
        PsNamespaces {
            MNT: get("Mnt"),
            Cgroup: get("Cgroup"),
            IPC: get("Ipc"),
            NET: get("Net"),
            PIDNS: get("Pidns"),
            UTS: get("Uts"),
            User: get("User"),
        }
    }
}

fn ps(rt: &Runtime, a: PsArgs) -> Result<u8> {
    if a.noheading {
        crate::format::omit_headings();
    }
    if a.watch == 0 {
        return ps_once(rt, &a);
    }
    loop {
        // Clear the screen and home the cursor, as podman does.
        print!("\x1b[2J\x1b[H");
        ps_once(rt, &a)?;
        std::io::stdout().flush()?;
        std::thread::sleep(std::time::Duration::from_secs(a.watch));
    }
}

fn ps_once(rt: &Runtime, a: &PsArgs) -> Result<u8> {
    let opts = libpod::query::ContainerListOptions {
        all: a.all || a.latest,
        last: if a.latest { Some(1) } else { a.last },
        filters: libpod::query::ContainerFilters::from_cli(&a.filter)?,
    };
    // Newest first from the engine; podman's default is oldest first.
    let mut list = rt.list_containers(&opts)?;
    list.reverse();
    let externals = if a.external {
        rt.external_containers()?
    } else {
        Vec::new()
    };
    if a.quiet && a.sort == "created" {
        let ids = list
            .iter()
            .map(|c| c.id().to_string())
            .chain(externals.iter().map(|e| e.id.clone()));
        for id in ids {
            println!("{}", if a.no_trunc { &id[..] } else { &id[..12] });
        }
        return Ok(0);
    }
    // Each row with the human state and the creation time it shows.
    let mut entries = Vec::with_capacity(list.len() + externals.len());
    for c in list {
        let mut e = c.ps_entry(a.size || a.sort == "size")?;
        if a.ns {
            e.namespaces = c.namespace_ids();
        }
        entries.push((c.state_text(), c.config().created_at, e));
    }
    for e in externals {
        let created = chrono::DateTime::from_timestamp(e.created, 0).unwrap_or_default();
        entries.push(("storage".to_string(), created, e));
    }
    sort_ps(&mut entries, &a.sort);
    if a.quiet {
        for (_, _, e) in &entries {
            println!("{}", if a.no_trunc { &e.id[..] } else { &e.id[..12] });
        }
        return Ok(0);
    }
    let format = OutputFormat::parse(a.format.as_deref())?;
    if matches!(format, OutputFormat::Json) {
        let items: Vec<_> = entries.iter().map(|(_, _, e)| e).collect();
        format.print_items(&items)?;
        return Ok(0);
    }
    let mut rows = Vec::new();
    for (state, created_at, e) in &entries {
        let mut command = e.command.join(" ");
        if !a.no_trunc && command.chars().count() > 20 {
            command = command.chars().take(17).collect::<String>() + "...";
        }
        rows.push(PsTemplateRow {
            ID: if a.no_trunc {
                e.id.clone()
            } else {
                e.id[..12].to_string()
            },
            Image: e.image.clone(),
            ImageID: e.image_id.clone(),
            Command: command,
            CreatedAt: e.created_at.clone(),
            CreatedHuman: format!(
                "{} ago",
                libpod::humanize::human_duration(chrono::Utc::now() - *created_at)
            ),
            Created: e.created,
            Status: e.status.clone(),
            // Podman 4.3's `{{.State}}` is the human status.
            State: state.clone(),
            Names: e.names.join(","),
            Ports: e.ports.join(", "),
            Size: e
                .size
                .as_ref()
                .map(|s| {
                    format!(
                        "{} (virtual {})",
                        libpod::humanize::human_size(s.rw_size),
                        libpod::humanize::human_size(s.root_fs_size)
                    )
                })
                .unwrap_or_default(),
            Labels: e.labels.clone(),
            Mounts: e.mounts.join(","),
            Pid: e.pid,
            ExitCode: e.exit_code,
            Exited: e.exited,
            AutoRemove: e.auto_remove,
            Restarts: e.restarts,
            Pod: if a.no_trunc {
                e.pod.clone()
            } else {
                e.pod.chars().take(12).collect()
            },
            PodName: e.pod_name.clone(),
            Networks: e.networks.join(","),
            IsInfra: e.is_infra,
            Namespaces: PsNamespaces::of(&e.namespaces),
        });
    }
    if format.print_items(&rows)? {
        return Ok(0);
    }
    let mut lines = Vec::new();
    if a.ns {
        lines.push(
            "CONTAINER ID\tNAMES\tPID\tCGROUPNS\tIPC\tMNT\tNET\tPIDNS\tUSERNS\tUTS".to_string(),
        );
        for r in rows {
            let n = &r.Namespaces;
            lines.push(format!(
                "{}\t{}\t{}\t{}\t{}\t{}\t{}\t{}\t{}\t{}",
                r.ID, r.Names, r.Pid, n.Cgroup, n.IPC, n.MNT, n.NET, n.PIDNS, n.User, n.UTS
            ));
        }
        print_table(&lines);
        return Ok(0);
    }
    let mut heading = "CONTAINER ID\tIMAGE\tCOMMAND\tCREATED\tSTATUS\tPORTS\tNAMES".to_string();
    if a.pod {
        heading.push_str("\tPOD ID\tPODNAME");
    }
    if a.size {
        heading.push_str("\tSIZE");
    }
    lines.push(heading);
    for r in rows {
        let mut line = format!(
            "{}\t{}\t{}\t{}\t{}\t{}\t{}",
            r.ID, r.Image, r.Command, r.CreatedHuman, r.Status, r.Ports, r.Names
        );
        if a.pod {
            line.push('\t');
            line.push_str(&r.Pod);
            line.push('\t');
            line.push_str(&r.PodName);
        }
        if a.size {
            line.push('\t');
            line.push_str(&r.Size);
        }
        lines.push(line);
    }
    print_table(&lines);
    Ok(0)
}

/// Podman's `ps --sort` keys; stable, so equal keys keep the creation order.
type PsRow = (
    String,
    chrono::DateTime<chrono::Utc>,
    libpod::container::PsEntry,
);

fn sort_ps(entries: &mut [PsRow], key: &str) {
    match key {
        "command" => entries.sort_by_key(|e| e.2.command.join(" ")),
        "id" => entries.sort_by(|a, b| a.2.id.cmp(&b.2.id)),
        "image" => entries.sort_by(|a, b| a.2.image.cmp(&b.2.image)),
        "names" => entries.sort_by(|a, b| a.2.names.cmp(&b.2.names)),
        "runningfor" => entries.sort_by_key(|e| e.2.started_at),
        "size" => entries.sort_by_key(|e| e.2.size.as_ref().map(|s| s.root_fs_size)),
        "status" => entries.sort_by(|a, b| a.2.status.cmp(&b.2.status)),
        // "created": the engine's order, oldest first.
        _ => {}
    }
}

fn logs(rt: &Runtime, a: LogsArgs) -> Result<u8> {
    let names = if a.latest {
        vec![rt.latest_container()?.id().to_string()]
    } else {
        a.containers.clone()
    };
    if names.is_empty() {
        bail!("at least one container name or ID must be given");
    }
    let opts = log_options(
        a.follow,
        a.timestamps,
        a.since.as_deref(),
        a.until.as_deref(),
        a.tail,
    )?;
    let prefix = |c: &Container<'_>| a.names.then(|| c.name().to_string());
    show_logs(rt, &names, &opts, &prefix, a.color)
}

/// The engine's log request from `logs`' and `pod logs`' flags.
pub(crate) fn log_options(
    follow: bool,
    timestamps: bool,
    since: Option<&str>,
    until: Option<&str>,
    tail: Option<i64>,
) -> Result<LogOptions> {
    Ok(LogOptions {
        follow,
        timestamps,
        since: since.map(parse_timestamp).transpose()?.map(Into::into),
        until: until.map(parse_timestamp).transpose()?.map(Into::into),
        tail: tail.and_then(|n| usize::try_from(n).ok()),
    })
}

/// Prints the logs of each container, one after another, each line after
/// `prefix(container)` and a space, in a color of the container's own with
/// `color`.
pub(crate) fn show_logs(
    rt: &Runtime,
    names: &[String],
    opts: &LogOptions,
    prefix: &dyn Fn(&Container<'_>) -> Option<String>,
    color: bool,
) -> Result<u8> {
    for (i, name) in names.iter().enumerate() {
        let mut c = rt.container(name)?;
        let stdout = std::io::stdout();
        let stderr = std::io::stderr();
        let prefix = prefix(&c).map(|p| format!("{p} "));
        if prefix.is_some() || color {
            let prefix = prefix.unwrap_or_default();
            let color = color.then(|| LOG_COLORS[i % LOG_COLORS.len()]);
            let mut out = Prefixed::new(stdout.lock(), prefix.clone(), color);
            let mut err = Prefixed::new(stderr.lock(), prefix, color);
            c.logs(opts, &mut out, &mut err)?;
        } else {
            c.logs(opts, &mut stdout.lock(), &mut stderr.lock())?;
        }
    }
    Ok(0)
}

/// The colors of `logs --color`, one per container in turn, as Podman's.
const LOG_COLORS: &[&str] = &["37", "31", "32", "33", "34", "35", "36"];

/// Prefixes every line with a container name (`logs --names`) and wraps
/// it in a color (`--color`).
struct Prefixed<W: Write> {
    inner: W,
    prefix: String,
    color: Option<&'static str>,
    at_start: bool,
}

impl<W: Write> Prefixed<W> {
    fn new(inner: W, prefix: String, color: Option<&'static str>) -> Self {
        Prefixed {
            inner,
            prefix,
            color,
            at_start: true,
        }
    }
}

impl<W: Write> Write for Prefixed<W> {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        for line in buf.split_inclusive(|b| *b == b'\n') {
            if self.at_start {
                if let Some(c) = self.color {
                    write!(self.inner, "\x1b[{c}m")?;
                }
                self.inner.write_all(self.prefix.as_bytes())?;
            }
            match (line.strip_suffix(b"\n"), self.color) {
                (Some(text), Some(_)) => {
                    self.inner.write_all(text)?;
                    self.inner.write_all(b"\x1b[0m\n")?;
                }
                _ => self.inner.write_all(line)?,
            }
            self.at_start = line.ends_with(b"\n");
        }
        Ok(buf.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        self.inner.flush()
    }
}

fn parse_condition(text: &str) -> Result<ContainerStatus> {
    Ok(match text {
        "configured" => ContainerStatus::Configured,
        "created" => ContainerStatus::Created,
        "running" => ContainerStatus::Running,
        "paused" => ContainerStatus::Paused,
        "stopped" => ContainerStatus::Stopped,
        "exited" => ContainerStatus::Exited,
        "removing" => ContainerStatus::Removing,
        other => bail!("invalid condition {other:?}: use configured, created, running, paused, stopped or exited"),
    })
}

/// `wait --interval`: a Go duration, or a bare number of milliseconds.
fn parse_interval(text: &str) -> Result<std::time::Duration> {
    if let Ok(ms) = text.parse::<u64>() {
        return Ok(std::time::Duration::from_millis(ms));
    }
    libpod::container::policy::parse_duration(text)
        .map_err(|_| anyhow::anyhow!("time: invalid duration {text:?}"))
}

fn wait(rt: &Runtime, a: WaitArgs) -> Result<u8> {
    let conditions: Vec<ContainerStatus> = a
        .condition
        .iter()
        .map(|c| parse_condition(c))
        .collect::<Result<_>>()?;
    let interval = a.interval.as_deref().map(parse_interval).transpose()?;
    let names = if a.latest {
        vec![rt.latest_container()?.id().to_string()]
    } else {
        a.names.clone()
    };
    if names.is_empty() {
        bail!("at least one container name or ID must be given");
    }
    let mut status = 0;
    for name in &names {
        let waited = rt.container(name).and_then(|mut c| match interval {
            Some(every) => c.wait_polling(&conditions, every),
            None => c.wait(&conditions),
        });
        match waited {
            Ok(code) => println!("{code}"),
            Err(e) => {
                eprintln!("Error: {e}");
                status = 125;
            }
        }
    }
    Ok(status)
}

fn mount(rt: &Runtime, a: MountArgs) -> Result<u8> {
    if a.names.is_empty() && !a.all && !a.latest {
        let rows: Vec<(String, String)> = rt
            .containers()?
            .into_iter()
            .filter_map(|c| {
                c.state().mount_point.clone().map(|m| {
                    (
                        if a.no_trunc {
                            c.id().to_string()
                        } else {
                            c.id()[..12].to_string()
                        },
                        m,
                    )
                })
            })
            .collect();
        for (id, m) in rows {
            println!("{id} {m}");
        }
        return Ok(0);
    }
    each(rt, &selection(&a.names, a.all, a.latest, &[])?, |c| {
        println!("{}", c.mount()?.display());
        Ok(())
    })
}

/// The one container a command acts on: the one named, or with `--latest`
/// the newest (Podman's messages when both or neither are given).
pub(crate) fn named_or_latest<'r>(
    rt: &'r Runtime,
    command: &str,
    name: Option<&str>,
    latest: bool,
) -> Result<Container<'r>> {
    match (name, latest) {
        (Some(_), true) => bail!("--latest and containers cannot be used together"),
        (Some(n), false) => Ok(rt.container(n)?),
        (None, true) => Ok(rt.latest_container()?),
        (None, false) => {
            bail!("\"rpod {command}\" requires a name, id, or the \"--latest\" flag")
        }
    }
}

fn export(rt: &Runtime, a: ExportArgs) -> Result<u8> {
    let mut c = rt.container(&a.name)?;
    match &a.output {
        Some(path) => {
            let tmp = path.with_extension("rpod-partial");
            let mut file = std::fs::File::create(&tmp)
                .with_context(|| format!("creating {}", tmp.display()))?;
            if let Err(e) = c.export(&mut file) {
                let _ = std::fs::remove_file(&tmp);
                return Err(e.into());
            }
            std::fs::rename(&tmp, path).with_context(|| format!("writing {}", path.display()))?;
        }
        None => {
            if std::io::IsTerminal::is_terminal(&std::io::stdout()) {
                bail!(
                    "refusing to write a tar archive to a terminal: use -o FILE or redirect stdout"
                );
            }
            let stdout = std::io::stdout();
            let mut lock = stdout.lock();
            c.export(&mut lock)?;
        }
    }
    Ok(0)
}

pub fn exists(rt: &Runtime, name: &str, external: bool) -> Result<u8> {
    match rt.container(name) {
        Ok(_) => Ok(0),
        Err(libpod::Error::NoSuchContainer(_))
            if external && rt.external_container_exists(name)? =>
        {
            Ok(0)
        }
        Err(libpod::Error::NoSuchContainer(_)) => Ok(1),
        Err(e) => Err(e.into()),
    }
}

pub fn prune(rt: &Runtime, a: &PruneArgs) -> Result<u8> {
    let filters =
        libpod::query::PruneFilters::from_cli(libpod::query::Resource::Containers, &a.filter)?;
    if !a.force && !super::confirm("WARNING! This will remove all non running containers.")? {
        return Ok(0);
    }
    for id in rt.prune_containers(&filters)? {
        println!("{id}");
    }
    Ok(0)
}

pub fn cleanup(rt: &Runtime, a: CleanupArgs) -> Result<u8> {
    if let Some(session) = &a.exec {
        let [name] = a.names.as_slice() else {
            bail!("--exec needs exactly one container");
        };
        rt.container(name)?.cleanup_exec_session(session)?;
        return Ok(0);
    }
    let sel = selection(&a.names, a.all, a.latest, &[])?;
    each_named(rt, &sel, a.from_monitor, |c, given| {
        if a.from_monitor {
            return match c.handle_exit() {
                Ok(()) | Err(libpod::Error::NoSuchContainer(_)) => Ok(()),
                Err(e) => Err(e.into()),
            };
        }
        // By the name it was made from (another name of the image stays).
        let image = c
            .config()
            .image_name
            .clone()
            .or(c.config().image_id.clone());
        c.cleanup_requested(a.rm)?;
        if let (true, Some(image)) = (a.rmi, image) {
            // An image another container or name keeps stays, as in Podman.
            let _ = rt.remove_image(&image, false);
        }
        println!("{given}");
        Ok(())
    })
}

pub fn healthcheck(rt: &Runtime, name: &str) -> Result<u8> {
    let mut c = rt.container(name)?;
    match c.healthcheck_run()? {
        libpod::container::policy::HealthStatus::Unhealthy => {
            println!("unhealthy");
            Ok(1)
        }
        _ => Ok(0),
    }
}

fn exec(rt: &Runtime, a: ExecArgs) -> Result<u8> {
    let (name, command) = if a.latest {
        (rt.latest_container()?.id().to_string(), a.args.clone())
    } else {
        match a.args.split_first() {
            Some((n, rest)) => (n.clone(), rest.to_vec()),
            None => bail!("exec needs a container and a command"),
        }
    };
    let mut env = Vec::new();
    for file in &a.env_file {
        env.extend(libpod::container::options::parse_env_file(file)?);
    }
    for e in &a.env {
        if e.contains('=') {
            env.push(e.clone());
        } else if let Ok(v) = std::env::var(e) {
            env.push(format!("{e}={v}"));
        }
    }
    let mut c = rt.container(&name)?;
    let code = c.exec(&libpod::container::ExecOptions {
        command,
        env,
        user: a.user.clone(),
        workdir: a.workdir.clone(),
        tty: a.tty,
        interactive: a.interactive,
        detach: a.detach,
        privileged: a.privileged,
        preserve_fds: a.preserve_fds,
    })?;
    Ok(exit_code_byte(code))
}

fn update(rt: &Runtime, a: UpdateArgs) -> Result<u8> {
    let blkio = create::blkio_limits(&a.limits)?;
    let opts = libpod::container::UpdateOptions {
        resources: libpod::container::Resources {
            pids_limit: a.pids_limit,
            ..create::resource_limits(&a.limits)?
        },
        blkio_weight: blkio.weight,
        blkio_weight_device: blkio.weight_device,
        device_read_bps: blkio.read_bps,
        device_write_bps: blkio.write_bps,
        device_read_iops: blkio.read_iops,
        device_write_iops: blkio.write_iops,
        restart_policy: a.restart.as_deref().map(str::parse).transpose()?,
    };
    let mut c = rt.container(&a.name)?;
    c.update(&opts)?;
    println!("{}", c.id());
    Ok(0)
}

/// `container runlabel`: pulls the image when missing, then runs (or with `--display`
/// prints) the command its label describes; the command's exit code is rpod's.
pub fn runlabel(rt: &Runtime, a: crate::cli::RunlabelArgs) -> Result<u8> {
    let mut registry = crate::commands::images::registry_options(&a.registry);
    registry.cert_dir = a.cert_dir.clone();
    let progress = crate::commands::images::CliProgress::new(a.quiet);
    rt.pull_with_policy(
        &a.image,
        libpod::images::PullPolicy::Missing,
        &registry,
        &progress,
    )?;
    let cmd = rt.runlabel_command(
        &a.image,
        &a.label,
        &libpod::images::RunlabelOptions {
            name: a.name.clone(),
            replace: a.replace,
            // This rpod, on the same storage.
            engine: vec![
                std::env::args().next().unwrap_or_else(|| "rpod".into()),
                "--root".into(),
                rt.paths().root.display().to_string(),
                "--runroot".into(),
                rt.paths().run_root.display().to_string(),
            ],
            args: a.args.clone(),
            pwd: std::env::current_dir()
                .map(|d| d.display().to_string())
                .unwrap_or_default(),
        },
    )?;
    if a.display {
        println!("command: {}", cmd.join(" "));
        return Ok(0);
    }
    let status = std::process::Command::new(&cmd[0])
        .args(&cmd[1..])
        .status()
        .with_context(|| format!("running {}", cmd[0]))?;
    Ok(status.code().map_or(125, |c| c.clamp(0, 255) as u8))
}
