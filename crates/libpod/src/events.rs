//! Events: one JSON object a line, appended to a file with a single write so
//! concurrent writers never interleave; read back with filters.

use std::collections::BTreeMap;
use std::fs::OpenOptions;
use std::io::{BufRead, BufReader, Seek, SeekFrom, Write};
use std::path::{Path, PathBuf};
use std::time::Duration;

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use crate::error::{Error, IoContext, Result};

/// One event, in the shape of Podman's events file.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct Event {
    #[serde(rename = "ID", default)]
    pub id: String,
    #[serde(rename = "Image", default)]
    pub image: String,
    #[serde(rename = "Name", default)]
    pub name: String,
    #[serde(rename = "Status")]
    pub status: String,
    #[serde(rename = "Time")]
    pub time: DateTime<Utc>,
    #[serde(rename = "Type")]
    pub kind: String,
    /// The network of a `network` event (connect, disconnect); its ID and
    /// name are the container's, as in Podman's events.
    #[serde(rename = "network", default, skip_serializing_if = "String::is_empty")]
    pub network: String,
    #[serde(
        rename = "ContainerExitCode",
        default,
        skip_serializing_if = "Option::is_none"
    )]
    pub exit_code: Option<i32>,
    #[serde(
        rename = "Attributes",
        default,
        skip_serializing_if = "BTreeMap::is_empty"
    )]
    pub attributes: BTreeMap<String, String>,
}

/// Where events go.
#[derive(Debug, Clone)]
pub struct EventLog {
    path: Option<PathBuf>,
}

/// Which events to read.
#[derive(Debug, Clone, Default)]
pub struct EventFilter {
    pub since: Option<DateTime<Utc>>,
    pub until: Option<DateTime<Utc>>,
    /// `key=value` filters; the same key given twice matches either value.
    pub filters: Vec<(String, String)>,
}

impl EventFilter {
    pub fn matches(&self, e: &Event) -> bool {
        if self.since.is_some_and(|s| e.time < s) || self.until.is_some_and(|u| e.time > u) {
            return false;
        }
        let mut keys: BTreeMap<&str, bool> = BTreeMap::new();
        for (k, v) in &self.filters {
            let hit = match k.as_str() {
                "container" => {
                    e.kind == "container"
                        && (e.name == *v || (!v.is_empty() && e.id.starts_with(v.as_str())))
                }
                "image" => e.image == *v || e.attributes.get("image").is_some_and(|i| i == v),
                "event" | "status" => e.status == *v,
                "type" => e.kind == *v,
                "label" => {
                    let (lk, lv) = v.split_once('=').unwrap_or((v, ""));
                    e.attributes
                        .get(lk)
                        .is_some_and(|val| lv.is_empty() || val == lv)
                }
                "network" => e.kind == "network" && e.network == *v,
                // Objects of one type, by name or ID (prefix).
                kind @ ("volume" | "pod" | "secret" | "daemon" | "plugin" | "node" | "service"
                | "config") => {
                    e.kind == kind
                        && (e.name == *v || (!v.is_empty() && e.id.starts_with(v.as_str())))
                }
                // Every event of a single host is local.
                "scope" => v == "local",
                _ => false,
            };
            let entry = keys.entry(k.as_str()).or_insert(false);
            *entry |= hit;
        }
        keys.values().all(|v| *v)
    }
}

impl EventLog {
    /// Events written to `path`, or nowhere (`events_logger = "none"`).
    pub fn new(path: Option<PathBuf>) -> Self {
        EventLog { path }
    }

    pub fn path(&self) -> Option<&Path> {
        self.path.as_deref()
    }

    /// Appends one event. Failing to record an event never fails the
    /// operation that caused it; it is reported on stderr instead.
    pub fn write(&self, event: &Event) {
        if let Err(e) = self.try_write(event) {
            crate::diagnostics::warn(format!(
                "rpod: warning: recording event {}: {e}",
                event.status
            ));
        }
    }

    fn try_write(&self, event: &Event) -> Result<()> {
        let Some(path) = &self.path else {
            return Ok(());
        };
        let mut line = serde_json::to_vec(event).map_err(|source| Error::Json {
            context: "encoding an event".into(),
            source,
        })?;
        line.push(b'\n');
        let open = || OpenOptions::new().create(true).append(true).open(path);
        let mut file = match open() {
            Ok(f) => f,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                if let Some(dir) = path.parent() {
                    std::fs::create_dir_all(dir).ctx(|| format!("creating {}", dir.display()))?;
                }
                open().ctx(|| format!("opening {}", path.display()))?
            }
            Err(e) => return Err(e).ctx(|| format!("opening {}", path.display())),
        };
        file.write_all(&line)
            .ctx(|| format!("writing {}", path.display()))
    }

    /// Reads the events matching `filter`, handing each to `emit`. With
    /// `follow`, keeps reading new events until `emit` returns false or the
    /// `until` time passes.
    pub fn read(
        &self,
        filter: &EventFilter,
        follow: bool,
        mut emit: impl FnMut(&Event) -> bool,
    ) -> Result<()> {
        let Some(path) = &self.path else {
            return Ok(());
        };
        let mut pos = 0u64;
        let mut partial = String::new();
        loop {
            if let Ok(mut file) = std::fs::File::open(path) {
                let len = file.metadata().map(|m| m.len()).unwrap_or(0);
                if len < pos {
                    pos = 0;
                }
                file.seek(SeekFrom::Start(pos))
                    .ctx(|| format!("reading {}", path.display()))?;
                let mut reader = BufReader::new(file);
                loop {
                    let mut line = String::new();
                    let n = reader
                        .read_line(&mut line)
                        .ctx(|| format!("reading {}", path.display()))?;
                    if n == 0 {
                        break;
                    }
                    pos += n as u64;
                    if !line.ends_with('\n') {
                        partial.push_str(&line);
                        continue;
                    }
                    let full = std::mem::take(&mut partial) + &line;
                    if let Ok(event) = serde_json::from_str::<Event>(full.trim_end()) {
                        if filter.matches(&event) && !emit(&event) {
                            return Ok(());
                        }
                    }
                }
            }
            if !follow || filter.until.is_some_and(|u| Utc::now() > u) {
                return Ok(());
            }
            std::thread::sleep(Duration::from_millis(100));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ev(status: &str, name: &str) -> Event {
        Event {
            id: "abc123".into(),
            image: "img".into(),
            name: name.into(),
            status: status.into(),
            time: Utc::now(),
            kind: "container".into(),
            network: String::new(),
            exit_code: None,
            attributes: [("app".to_string(), "web".to_string())].into(),
        }
    }

    #[test]
    fn events_round_trip_through_the_file() {
        let dir = tempfile::tempdir().unwrap();
        let log = EventLog::new(Some(dir.path().join("sub/events.log")));
        log.write(&ev("start", "a"));
        log.write(&ev("die", "b"));
        let mut seen = Vec::new();
        log.read(&EventFilter::default(), false, |e| {
            seen.push(e.status.clone());
            true
        })
        .unwrap();
        assert_eq!(seen, vec!["start", "die"]);
    }

    #[test]
    fn filters_combine_as_podman_does() {
        let f = EventFilter {
            filters: vec![
                ("event".into(), "start".into()),
                ("event".into(), "die".into()),
                ("container".into(), "web".into()),
            ],
            ..Default::default()
        };
        assert!(f.matches(&ev("start", "web")));
        assert!(f.matches(&ev("die", "web")));
        assert!(!f.matches(&ev("die", "db")));
        let label = EventFilter {
            filters: vec![("label".into(), "app=web".into())],
            ..Default::default()
        };
        assert!(label.matches(&ev("x", "y")));
        let by_id = EventFilter {
            filters: vec![("container".into(), "abc".into())],
            ..Default::default()
        };
        assert!(by_id.matches(&ev("x", "y")));
    }
}
