//! Shared helpers of the service unit tests: reading unit files, running
//! their `Exec*=` lines by hand, and `systemd-analyze verify` without a
//! running systemd.
#![allow(dead_code)]

use std::path::Path;
use std::process::Command;

use crate::common::*;

/// A unit file's `(section, key, value)` entries in order, continuation
/// lines joined.
pub fn entries(text: &str) -> Vec<(String, String, String)> {
    let mut out = Vec::new();
    let mut section = String::new();
    let mut pending: Option<String> = None;
    for line in text.lines() {
        if let Some(p) = pending.as_mut() {
            let l = line.trim_start();
            if let Some(more) = l.strip_suffix('\\') {
                p.push(' ');
                p.push_str(more.trim_end());
                continue;
            }
            p.push(' ');
            p.push_str(l);
            let full = pending.take().unwrap();
            push_entry(&mut out, &section, &full);
            continue;
        }
        let t = line.trim();
        if t.is_empty() || t.starts_with('#') || t.starts_with(';') {
            continue;
        }
        if t.starts_with('[') && t.ends_with(']') {
            section = t[1..t.len() - 1].to_string();
            continue;
        }
        if let Some(more) = t.strip_suffix('\\') {
            pending = Some(more.trim_end().to_string());
            continue;
        }
        push_entry(&mut out, &section, t);
    }
    out
}

fn push_entry(out: &mut Vec<(String, String, String)>, section: &str, line: &str) {
    if let Some((k, v)) = line.split_once('=') {
        out.push((
            section.to_string(),
            k.trim().to_string(),
            v.trim().to_string(),
        ));
    }
}

/// The values of `key` in `section`.
pub fn values(text: &str, section: &str, key: &str) -> Vec<String> {
    entries(text)
        .into_iter()
        .filter(|(s, k, _)| s == section && k == key)
        .map(|(_, _, v)| v)
        .collect()
}

/// Splits an `Exec*=` value into words as systemd does (double and single
/// quotes, backslash escapes), expanding `%t`, `%n`, `%N`, `%%` and `$$`.
pub fn exec_words(value: &str, runtime_dir: &Path, unit: &str) -> Vec<String> {
    let value = value.trim_start_matches(['-', '@', ':', '+', '!']);
    let mut words = Vec::new();
    let mut cur = String::new();
    let mut in_word = false;
    let mut quote: Option<char> = None;
    let mut chars = value.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            '\\' => {
                in_word = true;
                match chars.next() {
                    Some('n') => cur.push('\n'),
                    Some('t') => cur.push('\t'),
                    Some(o) => cur.push(o),
                    None => {}
                }
            }
            '"' | '\'' if quote == Some(c) => quote = None,
            '"' | '\'' if quote.is_none() => {
                quote = Some(c);
                in_word = true;
            }
            c if c.is_whitespace() && quote.is_none() => {
                if in_word {
                    words.push(std::mem::take(&mut cur));
                    in_word = false;
                }
            }
            '%' => {
                in_word = true;
                match chars.next() {
                    Some('t') => cur.push_str(&runtime_dir.display().to_string()),
                    Some('n') => cur.push_str(unit),
                    Some('N') => cur.push_str(unit.trim_end_matches(".service")),
                    Some('%') => cur.push('%'),
                    Some(o) => panic!("specifier %{o} not expanded by the test"),
                    None => cur.push('%'),
                }
            }
            '$' if chars.peek() == Some(&'$') => {
                chars.next();
                in_word = true;
                cur.push('$');
            }
            c => {
                in_word = true;
                cur.push(c);
            }
        }
    }
    if in_word {
        words.push(cur);
    }
    words
}

/// Runs an `Exec*=` line of a unit; returns its output.
pub fn run_exec(value: &str, runtime_dir: &Path, unit: &str) -> std::process::Output {
    let words = exec_words(value, runtime_dir, unit);
    let mut c = Command::new(&words[0]);
    c.args(&words[1..]).env_remove("NOTIFY_SOCKET");
    run_with_timeout(c, None, COMMAND_TIMEOUT)
}

/// Like [`run_exec`], asserting success and unless `value` starts with `-`.
pub fn run_exec_ok(value: &str, runtime_dir: &Path, unit: &str) -> String {
    let out = run_exec(value, runtime_dir, unit);
    assert!(
        value.starts_with('-') || out.status.success(),
        "{value}\n{}",
        describe(&out)
    );
    String::from_utf8_lossy(&out.stdout).trim().to_string()
}

/// `systemd-analyze verify` of every unit in `dir` (PID 1 need not be
/// systemd: `--man=no`, and the directory as the only unit path). Panics
/// with its output unless it succeeds and prints nothing.
pub fn verify_units(dir: &Path) {
    let mut files: Vec<String> = std::fs::read_dir(dir)
        .unwrap()
        .flatten()
        .map(|e| e.path())
        .filter(|p| {
            p.extension()
                .is_some_and(|x| matches!(x.to_str(), Some("service" | "target" | "socket")))
        })
        .map(|p| p.display().to_string())
        .collect();
    files.sort();
    assert!(!files.is_empty(), "no units in {}", dir.display());
    let mut c = Command::new("systemd-analyze");
    c.arg("verify")
        .arg("--man=no")
        .args(&files)
        .env("SYSTEMD_UNIT_PATH", format!("{}:", dir.display()))
        .env("SYSTEMD_LOG_COLOR", "0");
    let out = run_with_timeout(c, None, COMMAND_TIMEOUT);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        out.status.success() && stderr.trim().is_empty(),
        "systemd-analyze verify {files:?}\n{}",
        describe(&out)
    );
}
