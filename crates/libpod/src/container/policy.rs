//! Restart policies and health-check settings: their parsing, and the
//! decisions they make (restart or not, after how long; healthy or not).

use std::fmt;
use std::str::FromStr;
use std::time::Duration;

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use crate::error::{Error, Result};

/// `--init-ctr`: a pod's container that runs to completion when the pod starts, after its
/// infra container and before the others (Podman's init containers).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum InitContainerType {
    /// Runs on every start of the pod.
    Always,
    /// Runs on the pod's first start, then is removed.
    Once,
}

impl FromStr for InitContainerType {
    type Err = Error;
    fn from_str(s: &str) -> Result<Self> {
        match s {
            "always" => Ok(InitContainerType::Always),
            "once" => Ok(InitContainerType::Once),
            // Podman's words.
            _ => Err(Error::InvalidArgument(
                "init-ctr value must be 'always' or 'once'".into(),
            )),
        }
    }
}

impl fmt::Display for InitContainerType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            InitContainerType::Always => "always",
            InitContainerType::Once => "once",
        })
    }
}

/// When a container that exited on its own is started again.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(rename_all = "kebab-case")]
pub enum RestartPolicyName {
    #[default]
    No,
    OnFailure,
    Always,
    UnlessStopped,
}

/// `--restart no|on-failure[:N]|always|unless-stopped`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, Default)]
pub struct RestartPolicy {
    pub name: RestartPolicyName,
    /// For on-failure: the most restarts (0 = no limit).
    pub max_retries: u32,
}

impl FromStr for RestartPolicy {
    type Err = Error;
    fn from_str(s: &str) -> Result<Self> {
        let bad = || {
            Error::InvalidArgument(format!(
                "invalid restart policy {s:?}: use no, on-failure[:N], always or unless-stopped"
            ))
        };
        let (name, count) = match s.split_once(':') {
            Some((n, c)) => (n, Some(c)),
            None => (s, None),
        };
        let name = match name {
            "" | "no" => RestartPolicyName::No,
            "on-failure" => RestartPolicyName::OnFailure,
            "always" => RestartPolicyName::Always,
            "unless-stopped" => RestartPolicyName::UnlessStopped,
            _ => return Err(bad()),
        };
        let max_retries = match count {
            None => 0,
            Some(c) if name == RestartPolicyName::OnFailure => c.parse().map_err(|_| bad())?,
            Some(_) => return Err(bad()),
        };
        Ok(RestartPolicy { name, max_retries })
    }
}

impl fmt::Display for RestartPolicy {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.name {
            RestartPolicyName::No => f.write_str("no"),
            RestartPolicyName::OnFailure if self.max_retries > 0 => {
                write!(f, "on-failure:{}", self.max_retries)
            }
            RestartPolicyName::OnFailure => f.write_str("on-failure"),
            RestartPolicyName::Always => f.write_str("always"),
            RestartPolicyName::UnlessStopped => f.write_str("unless-stopped"),
        }
    }
}

impl RestartPolicy {
    /// Whether a container that exited on its own with `exit_code`, after
    /// `restarts` restarts, is started again.
    pub fn wants_restart(&self, exit_code: i32, restarts: u32, stopped_by_user: bool) -> bool {
        if stopped_by_user {
            return false;
        }
        match self.name {
            RestartPolicyName::No => false,
            RestartPolicyName::Always | RestartPolicyName::UnlessStopped => true,
            RestartPolicyName::OnFailure => {
                exit_code != 0 && (self.max_retries == 0 || restarts < self.max_retries)
            }
        }
    }

    /// Whether the container is started when the host boots.
    pub fn starts_at_boot(&self, stopped_by_user: bool) -> bool {
        match self.name {
            RestartPolicyName::Always => true,
            RestartPolicyName::UnlessStopped => !stopped_by_user,
            _ => false,
        }
    }
}

/// The first restart back-off; it doubles with each quick restart.
pub const BACKOFF_START: Duration = Duration::from_millis(100);
/// The longest back-off.
pub const BACKOFF_MAX: Duration = Duration::from_secs(60);
/// A container that ran at least this long resets the back-off.
pub const BACKOFF_RESET_AFTER: Duration = Duration::from_secs(10);

/// The wait before restart number `level` (0-based) of quick restarts.
pub fn backoff(level: u32) -> Duration {
    BACKOFF_START
        .checked_mul(1u32.checked_shl(level.min(16)).unwrap_or(u32::MAX))
        .unwrap_or(BACKOFF_MAX)
        .min(BACKOFF_MAX)
}

/// What to do when a container becomes unhealthy.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(rename_all = "lowercase")]
pub enum HealthOnFailure {
    #[default]
    None,
    Kill,
    Restart,
    Stop,
}

impl FromStr for HealthOnFailure {
    type Err = Error;
    fn from_str(s: &str) -> Result<Self> {
        Ok(match s {
            "none" => HealthOnFailure::None,
            "kill" => HealthOnFailure::Kill,
            "restart" => HealthOnFailure::Restart,
            "stop" => HealthOnFailure::Stop,
            _ => {
                return Err(Error::InvalidArgument(format!(
                    "invalid --health-on-failure {s:?}: use none, kill, restart or stop"
                )))
            }
        })
    }
}

/// A container's health check (Docker's `Healthcheck` with Podman's on-failure).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct HealthConfig {
    /// `["CMD", arg...]` or `["CMD-SHELL", "command line"]`.
    pub test: Vec<String>,
    pub interval: Duration,
    pub timeout: Duration,
    pub retries: u32,
    pub start_period: Duration,
    #[serde(default)]
    pub on_failure: HealthOnFailure,
}

impl HealthConfig {
    pub const DEFAULT_INTERVAL: Duration = Duration::from_secs(30);
    pub const DEFAULT_TIMEOUT: Duration = Duration::from_secs(30);
    pub const DEFAULT_RETRIES: u32 = 3;

    /// The command to run in the container.
    pub fn command(&self) -> Vec<String> {
        match self.test.first().map(String::as_str) {
            Some("CMD") => self.test[1..].to_vec(),
            Some("CMD-SHELL") => vec!["/bin/sh".into(), "-c".into(), self.test[1..].join(" ")],
            _ => self.test.clone(),
        }
    }

    /// `--health-cmd` text: a JSON array is the exec form, anything else runs in a shell.
    pub fn test_from_flag(cmd: &str) -> Vec<String> {
        if cmd.trim_start().starts_with('[') {
            if let Ok(list) = serde_json::from_str::<Vec<String>>(cmd) {
                let mut test = vec!["CMD".to_string()];
                test.extend(list);
                return test;
            }
        }
        vec!["CMD-SHELL".into(), cmd.to_string()]
    }
}

/// `starting`, `healthy` or `unhealthy`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(rename_all = "lowercase")]
pub enum HealthStatus {
    #[default]
    Starting,
    Healthy,
    Unhealthy,
}

impl HealthStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            HealthStatus::Starting => "starting",
            HealthStatus::Healthy => "healthy",
            HealthStatus::Unhealthy => "unhealthy",
        }
    }
}

/// One health check run.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct HealthLogEntry {
    pub start: DateTime<Utc>,
    pub end: DateTime<Utc>,
    pub exit_code: i32,
    pub output: String,
}

/// The health record kept in the container's state.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Default)]
pub struct HealthState {
    pub status: HealthStatus,
    pub failing_streak: u32,
    pub log: Vec<HealthLogEntry>,
}

/// How many results are kept.
pub const HEALTH_LOG_LEN: usize = 5;

impl HealthState {
    /// Records one result; `in_start_period` failures do not count.
    /// Returns true when the status changed.
    pub fn record(&mut self, entry: HealthLogEntry, retries: u32, in_start_period: bool) -> bool {
        let before = self.status;
        if entry.exit_code == 0 {
            self.failing_streak = 0;
            self.status = HealthStatus::Healthy;
        } else if !in_start_period {
            self.failing_streak += 1;
            if self.failing_streak >= retries.max(1) {
                self.status = HealthStatus::Unhealthy;
            }
        }
        self.log.push(entry);
        if self.log.len() > HEALTH_LOG_LEN {
            let extra = self.log.len() - HEALTH_LOG_LEN;
            self.log.drain(..extra);
        }
        before != self.status
    }
}

/// Parses a Go-style duration flag (`30s`, `1m30s`, `500ms`, `0`).
pub fn parse_duration(text: &str) -> Result<Duration> {
    let bad = || {
        Error::InvalidArgument(format!(
            "invalid duration {text:?}: use e.g. 30s, 1m30s or 500ms"
        ))
    };
    if text == "0" {
        return Ok(Duration::ZERO);
    }
    let mut total = 0f64;
    let mut num = String::new();
    let mut chars = text.chars().peekable();
    let mut any = false;
    while let Some(c) = chars.next() {
        if c.is_ascii_digit() || c == '.' {
            num.push(c);
            continue;
        }
        let unit = match c {
            'm' if chars.peek() == Some(&'s') => {
                chars.next();
                0.001
            }
            'h' => 3600.0,
            'm' => 60.0,
            's' => 1.0,
            'u' | 'µ' if chars.peek() == Some(&'s') => {
                chars.next();
                0.000_001
            }
            _ => return Err(bad()),
        };
        let value: f64 = num.parse().map_err(|_| bad())?;
        num.clear();
        total += value * unit;
        any = true;
    }
    if !num.is_empty() || !any || !total.is_finite() {
        return Err(bad());
    }
    Ok(Duration::from_secs_f64(total))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn restart_policies_parse_and_decide() {
        let p: RestartPolicy = "on-failure:2".parse().unwrap();
        assert!(p.wants_restart(1, 0, false));
        assert!(p.wants_restart(1, 1, false));
        assert!(!p.wants_restart(1, 2, false));
        assert!(!p.wants_restart(0, 0, false));
        assert!(!p.wants_restart(1, 0, true));
        let always: RestartPolicy = "always".parse().unwrap();
        assert!(always.wants_restart(0, 100, false));
        assert!(always.starts_at_boot(true));
        let us: RestartPolicy = "unless-stopped".parse().unwrap();
        assert!(!us.starts_at_boot(true));
        assert!(us.starts_at_boot(false));
        assert!("sometimes".parse::<RestartPolicy>().is_err());
        assert!("always:3".parse::<RestartPolicy>().is_err());
        assert_eq!(p.to_string(), "on-failure:2");
    }

    #[test]
    fn backoff_doubles_and_caps() {
        assert_eq!(backoff(0), Duration::from_millis(100));
        assert_eq!(backoff(1), Duration::from_millis(200));
        assert_eq!(backoff(3), Duration::from_millis(800));
        assert_eq!(backoff(30), BACKOFF_MAX);
    }

    #[test]
    fn health_goes_unhealthy_after_retries_and_back() {
        let mut h = HealthState::default();
        let entry = |code| HealthLogEntry {
            start: Utc::now(),
            end: Utc::now(),
            exit_code: code,
            output: String::new(),
        };
        assert!(!h.record(entry(1), 2, true));
        assert_eq!((h.status, h.failing_streak), (HealthStatus::Starting, 0));
        assert!(!h.record(entry(1), 2, false));
        assert!(h.record(entry(1), 2, false));
        assert_eq!(h.status, HealthStatus::Unhealthy);
        assert!(h.record(entry(0), 2, false));
        assert_eq!((h.status, h.failing_streak), (HealthStatus::Healthy, 0));
        for _ in 0..10 {
            h.record(entry(0), 2, false);
        }
        assert_eq!(h.log.len(), HEALTH_LOG_LEN);
    }

    #[test]
    fn health_commands() {
        assert_eq!(
            HealthConfig::test_from_flag("[\"cat\",\"/x\"]"),
            vec!["CMD", "cat", "/x"]
        );
        let hc = HealthConfig {
            test: HealthConfig::test_from_flag("test -f /x"),
            interval: Duration::from_secs(1),
            timeout: Duration::from_secs(1),
            retries: 1,
            start_period: Duration::ZERO,
            on_failure: HealthOnFailure::None,
        };
        assert_eq!(hc.command(), vec!["/bin/sh", "-c", "test -f /x"]);
    }

    #[test]
    fn durations() {
        assert_eq!(parse_duration("1m30s").unwrap(), Duration::from_secs(90));
        assert_eq!(parse_duration("500ms").unwrap(), Duration::from_millis(500));
        assert_eq!(parse_duration("0").unwrap(), Duration::ZERO);
        assert!(parse_duration("5").is_err());
        assert!(parse_duration("x").is_err());
    }
}
