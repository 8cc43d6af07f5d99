//! `rpod-monitor`: the per-container supervisor process of rpod. See the
//! `monitor` library and `docs/monitor.md` for the interface.

use std::ffi::OsString;
use std::process::ExitCode;

use monitor::{MonitorArgs, PROTOCOL_VERSION};

fn main() -> ExitCode {
    let args: Vec<OsString> = std::env::args_os().skip(1).collect();
    if args.len() == 1 && args[0] == "--version" {
        println!("{PROTOCOL_VERSION}");
        return ExitCode::SUCCESS;
    }
    let args = match MonitorArgs::parse(args) {
        Ok(a) => a,
        Err(e) => {
            eprintln!("rpod-monitor: {e}");
            return ExitCode::from(2);
        }
    };
    let status = monitor::supervisor::run(&args);
    ExitCode::from(u8::try_from(status).unwrap_or(1))
}
