//! The command line against Podman's, mechanically: walks the installed
//! podman's help tree (`podman --help`, `podman GROUP --help`, …) and checks
//! that rpod has each command path and each flag the help lists.
//!
//! What rpod still lacks is listed in `conformance_pending.txt` ("PATH" for
//! a command, "PATH --flag" for a flag), and the test holds the two equal:
//! a regression fails it, and so does an entry that is no longer missing.
//! `RPOD_CONFORMANCE_WRITE=1` rewrites the list from what the test found.
//! Paths that other parts of the work own, or that need a remote or a VM,
//! are left out (`OUT_OF_SCOPE`).

mod common;

use std::collections::BTreeSet;
use std::process::Command;

use common::*;

/// Command paths this test does not walk, with why.
const OUT_OF_SCOPE: &[(&str, &str)] = &[
    ("build", "image builds, a capability of its own"),
    ("image build", "image builds"),
    ("buildx", "image builds"),
    ("generate systemd", "service units"),
    ("secret", "secrets, tested on their own"),
    ("machine", "virtual machines: containers run natively here"),
    ("system connection", "remote connections"),
    ("image sign", "image signing"),
    ("image trust", "image signing"),
    ("image scp", "remote hosts"),
    ("help", "help text"),
    ("completion", "shell completion"),
];

/// Global flags for remote use, not walked.
const REMOTE_FLAGS: &[&str] = &[
    "--remote",
    "-r",
    "--url",
    "--connection",
    "-c",
    "--identity",
    "--ssh",
];

fn help(bin: &str, path: &str) -> Option<String> {
    let mut c = Command::new(bin);
    c.args(path.split_whitespace()).arg("--help");
    let out = run_with_timeout(c, None, COMMAND_TIMEOUT);
    out.status
        .success()
        .then(|| String::from_utf8_lossy(&out.stdout).into_owned())
}

/// The subcommands a help text lists (Podman's "Available Commands:",
/// clap's "Commands:"), with clap's aliases.
fn subcommands(text: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut inside = false;
    for line in text.lines() {
        let t = line.trim_end();
        if t == "Available Commands:" || t == "Commands:" {
            inside = true;
            continue;
        }
        if inside {
            if t.is_empty() || !line.starts_with(' ') {
                if !out.is_empty() {
                    break;
                }
                continue;
            }
            let name = t.split_whitespace().next().unwrap_or_default().to_string();
            if let Some(aliases) = t.split("[alias").nth(1) {
                let list = aliases
                    .split_once(':')
                    .map_or("", |(_, a)| a)
                    .trim_end_matches(']');
                out.extend(list.split(',').map(|a| a.trim().to_string()));
            }
            out.push(name);
        }
    }
    out
}

/// The long flags a help text lists (`--name`), and `-x` short ones.
fn flags(text: &str) -> BTreeSet<String> {
    let mut out = BTreeSet::new();
    for line in text.lines() {
        let t = line.trim_start();
        if !t.starts_with('-') {
            continue;
        }
        for word in t.split_whitespace().take(2) {
            let word = word.trim_end_matches(',');
            let name: String = word
                .chars()
                .take_while(|c| c.is_ascii_alphanumeric() || *c == '-')
                .collect();
            if name.starts_with("--") && name.len() > 2 || name.len() == 2 && name.starts_with('-')
            {
                out.insert(name);
            }
        }
    }
    out
}

/// Every command path of podman's tree with its flags.
fn walk(path: &str, tree: &mut Vec<(String, BTreeSet<String>)>) {
    if OUT_OF_SCOPE.iter().any(|(p, _)| *p == path) {
        return;
    }
    let Some(text) = help("podman", path) else {
        return;
    };
    tree.push((path.to_string(), flags(&text)));
    for sub in subcommands(&text) {
        let child = format!("{path} {sub}").trim().to_string();
        walk(&child, tree);
    }
}

#[test]
fn podman_help_tree_is_rpods() {
    let mut tree = Vec::new();
    walk("", &mut tree);
    assert!(
        tree.len() > 100,
        "podman's help tree looks wrong: {} paths",
        tree.len()
    );
    let mut missing = BTreeSet::new();
    let (mut flag_count, mut flag_ok, mut path_ok) = (0, 0, 0);
    for (path, podman_flags) in &tree {
        let ours = help(RPOD, path);
        match &ours {
            Some(_) => path_ok += 1,
            None => {
                missing.insert(path.clone());
            }
        }
        let our_flags = ours.as_deref().map(flags).unwrap_or_default();
        for f in podman_flags {
            if f == "--help" || f == "-h" || path.is_empty() && REMOTE_FLAGS.contains(&f.as_str()) {
                continue;
            }
            flag_count += 1;
            if our_flags.contains(f) {
                flag_ok += 1;
            } else if ours.is_some() {
                missing.insert(format!("{path} {f}").trim().to_string());
            }
        }
    }
    eprintln!(
        "command paths: {path_ok} of {}; flags on rpod's paths and others: {flag_ok} of {flag_count}",
        tree.len()
    );
    let list =
        std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/conformance_pending.txt");
    if std::env::var_os("RPOD_CONFORMANCE_WRITE").is_some() {
        let text: String = missing.iter().map(|m| format!("{m}\n")).collect();
        std::fs::write(&list, text).unwrap();
        return;
    }
    let pending: BTreeSet<String> = std::fs::read_to_string(&list)
        .unwrap_or_default()
        .lines()
        .map(str::trim)
        .filter(|l| !l.is_empty() && !l.starts_with('#'))
        .map(str::to_string)
        .collect();
    let regressed: Vec<_> = missing.difference(&pending).collect();
    let done: Vec<_> = pending.difference(&missing).collect();
    assert!(
        regressed.is_empty() && done.is_empty(),
        "missing but not pending (regressions): {regressed:?}\n\
         pending but present now (remove them from conformance_pending.txt): {done:?}"
    );
}
