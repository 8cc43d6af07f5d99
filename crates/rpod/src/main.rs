//! `rpod`: the command line. Parsing, output and exit codes only; every
//! operation is a call into libpod.

mod cli;
mod commands;
mod format;
mod signals;
mod terminal;

use std::process::ExitCode;

use clap::Parser;

use cli::Cli;

/// Podman's exit code for errors of the engine itself.
pub const ENGINE_ERROR: u8 = 125;

fn main() -> ExitCode {
    let cli = match Cli::try_parse() {
        Ok(c) => c,
        Err(e) => {
            use clap::error::ErrorKind;
            if matches!(
                e.kind(),
                ErrorKind::DisplayHelp
                    | ErrorKind::DisplayVersion
                    | ErrorKind::DisplayHelpOnMissingArgumentOrSubcommand
            ) {
                let _ = e.print();
                return ExitCode::SUCCESS;
            }
            eprintln!("Error: {}", one_line_usage_error(&e));
            return ExitCode::from(ENGINE_ERROR);
        }
    };
    // Podman's words and exit code for a bad level.
    match cli.global.log_level.parse() {
        Ok(level) => libpod::diagnostics::configure(level, cli.global.syslog),
        Err(e) => {
            eprintln!("{e}");
            return ExitCode::from(1);
        }
    }
    if let Err(e) = apply_global_output(&cli.global) {
        eprintln!("Error: {e}");
        return ExitCode::from(ENGINE_ERROR);
    }
    let op = cli.command.operation();
    match commands::dispatch(cli) {
        Ok(code) => ExitCode::from(code),
        Err(err) => {
            eprintln!("Error: {}", error_chain(&err));
            ExitCode::from(exit_code_of(&err, op))
        }
    }
}

/// A clap error as one line: its message and where to find help.
fn one_line_usage_error(e: &clap::Error) -> String {
    let text = e.render().to_string();
    let first = text.lines().next().unwrap_or("invalid command line");
    let message = first.strip_prefix("error: ").unwrap_or(first).trim();
    format!("{message} (see 'rpod --help' or the command's --help)")
}

/// The error and its causes on one line, without repeating a cause that
/// the message already contains.
fn error_chain(err: &anyhow::Error) -> String {
    let mut text = err.to_string();
    for cause in err.chain().skip(1) {
        let c = cause.to_string();
        if !text.contains(&c) {
            text.push_str(": ");
            text.push_str(&c);
        }
    }
    text
}

/// The exit code for an error of a command doing `op` (see
/// [`libpod::Error::exit_code_for`]).
pub fn exit_code_of(err: &anyhow::Error, op: libpod::Operation) -> u8 {
    err.chain()
        .find_map(|c| c.downcast_ref::<libpod::Error>())
        .map(|e| e.exit_code_for(op) as u8)
        .unwrap_or(ENGINE_ERROR)
}

/// `--noout` and `--cgroup-manager`, before any command runs.
fn apply_global_output(g: &cli::GlobalArgs) -> anyhow::Result<()> {
    match g.cgroup_manager.as_deref() {
        None | Some("cgroupfs") => {}
        Some("systemd") if !std::path::Path::new("/run/systemd/system").exists() => {
            anyhow::bail!(
                "the systemd cgroup manager needs systemd, which does not run on this host"
            )
        }
        Some("systemd") => {
            return Err(libpod::Error::Unsupported(
                "--cgroup-manager systemd is not supported yet".into(),
            )
            .into())
        }
        Some(other) => anyhow::bail!("invalid cgroup manager {other:?}: use cgroupfs or systemd"),
    }
    if g.noout {
        let null = std::fs::OpenOptions::new().write(true).open("/dev/null")?;
        // SAFETY: dup2 onto fd 1 replaces stdout with /dev/null; both fds are valid.
        if unsafe { libc::dup2(std::os::fd::AsRawFd::as_raw_fd(&null), 1) } < 0 {
            return Err(std::io::Error::last_os_error().into());
        }
    }
    Ok(())
}
