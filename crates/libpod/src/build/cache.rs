//! The step cache: `build-cache/<key>` under the storage root holds the ID of the image a
//! step made. The key is a hash of the parent image ID, the instruction, the build args the
//! step sees, the content of its sources and the options that change its result. An entry
//! whose image is gone is a miss.

use std::path::PathBuf;

use serde_json::Value;
use sha2::{Digest, Sha256};

use crate::runtime::Runtime;

pub(crate) fn key(parts: &[&str]) -> String {
    let mut h = Sha256::new();
    for p in parts {
        h.update((p.len() as u64).to_le_bytes());
        h.update(p.as_bytes());
    }
    hex::encode(h.finalize())
}

fn dir(rt: &Runtime) -> PathBuf {
    rt.paths().storage_root().join("build-cache")
}

/// The cached image for `key`, if it still exists.
pub(crate) fn lookup(rt: &Runtime, key: &str) -> Option<storage::Image> {
    let id = std::fs::read_to_string(dir(rt).join(key)).ok()?;
    rt.store().ok()?.lookup_image(id.trim()).ok()
}

/// Records `image` as the result for `key` (best effort).
pub(crate) fn record(rt: &Runtime, key: &str, image: &str) {
    let d = dir(rt);
    if std::fs::create_dir_all(&d).is_err() {
        return;
    }
    let tmp = d.join(format!(".{key}.tmp"));
    if std::fs::write(&tmp, image).is_ok() {
        let _ = std::fs::rename(&tmp, d.join(key));
    }
}

/// An image named as a cache source (Docker's `cachefrom`): a step of this build may be one of
/// its steps. Matched as Docker's classic builder matches them: the stage built so far must be
/// where the image started (the same history entries and layers), and the image's next
/// history entry must have been made by the same instruction (its `created_by`, which for
/// COPY and ADD carries the hash of the sources).
#[derive(Debug, Clone)]
pub(crate) struct Source {
    pub(crate) id: String,
    history: Vec<Value>,
    diff_ids: Vec<String>,
}

/// What a step takes from a [`Source`]: the image's first `layers` layers and its history up
/// to and with the step's entry.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Reuse {
    pub(crate) image: String,
    pub(crate) layers: usize,
    pub(crate) history: Vec<Value>,
}

fn history_and_layers(blob: &Value) -> (Vec<Value>, Vec<String>) {
    let history = blob["history"].as_array().cloned().unwrap_or_default();
    let diff_ids = blob["rootfs"]["diff_ids"]
        .as_array()
        .map(|a| {
            a.iter()
                .filter_map(|d| d.as_str().map(str::to_string))
                .collect()
        })
        .unwrap_or_default();
    (history, diff_ids)
}

impl Source {
    /// The source image `id` with config `blob`.
    pub(crate) fn new(id: &str, blob: &Value) -> Source {
        let (history, diff_ids) = history_and_layers(blob);
        Source {
            id: id.to_string(),
            history,
            diff_ids,
        }
    }

    /// Whether the image with config `blob` is this one or a step on the way to it.
    pub(crate) fn contains(&self, blob: &Value) -> bool {
        let (history, diff_ids) = history_and_layers(blob);
        !history.is_empty() && self.starts_with(&history, &diff_ids)
    }

    fn starts_with(&self, history: &[Value], diff_ids: &[String]) -> bool {
        history.len() <= self.history.len()
            && diff_ids.len() <= self.diff_ids.len()
            && self.history[..history.len()] == *history
            && self.diff_ids[..diff_ids.len()] == *diff_ids
    }

    /// The step that follows the stage so far (config `blob`) in this image, when
    /// `created_by` made it.
    pub(crate) fn next_step(&self, blob: &Value, created_by: &str) -> Option<Reuse> {
        let (history, diff_ids) = history_and_layers(blob);
        if !self.starts_with(&history, &diff_ids) {
            return None;
        }
        let entry = self.history.get(history.len())?;
        if entry["created_by"].as_str() != Some(created_by) {
            return None;
        }
        let adds_layer = !entry["empty_layer"].as_bool().unwrap_or(false);
        let layers = diff_ids.len() + usize::from(adds_layer);
        if layers > self.diff_ids.len() {
            return None;
        }
        Some(Reuse {
            image: self.id.clone(),
            layers,
            history: self.history[..=history.len()].to_vec(),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn image(entries: &[(&str, bool)]) -> Value {
        let history: Vec<Value> = entries
            .iter()
            .map(|(by, empty)| json!({"created_by": by, "empty_layer": empty}))
            .collect();
        let diff_ids: Vec<String> = entries
            .iter()
            .enumerate()
            .filter(|(_, (_, empty))| !empty)
            .map(|(i, _)| format!("sha256:{i}"))
            .collect();
        json!({"history": history, "rootfs": {"diff_ids": diff_ids}})
    }

    #[test]
    fn a_source_gives_the_next_step_only_when_the_stage_is_its_start() {
        let full = [
            ("FROM", false),
            ("ENV a=1", true),
            ("RUN x", false),
            ("CMD y", true),
        ];
        let src = Source::new("img", &image(&full));
        // From the base: ENV is next, no layer added.
        let r = src.next_step(&image(&full[..1]), "ENV a=1").unwrap();
        assert_eq!((r.layers, r.history.len()), (1, 2));
        // Then RUN, which adds the second layer.
        let r = src.next_step(&image(&full[..2]), "RUN x").unwrap();
        assert_eq!((r.layers, r.history.len()), (2, 3));
        // Another instruction, or another start, is no match; nor is the end of the image.
        assert!(src.next_step(&image(&full[..2]), "RUN z").is_none());
        assert!(src
            .next_step(&image(&[("FROM", false), ("ENV a=2", true)]), "RUN x")
            .is_none());
        assert!(src.next_step(&image(&full), "CMD y").is_none());
        // A local result counts when it is on the way to the source.
        assert!(src.contains(&image(&full[..3])));
        assert!(!src.contains(&image(&[("FROM", false), ("RUN q", false)])));
    }
}

/// One step of the build cache, as Docker's `system df` and `build/prune` show it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CacheRecord {
    /// The ID of the image the step made.
    pub id: String,
    /// The instruction (the image's newest history entry).
    pub description: String,
    /// The bytes of the step's own layer (0 for a step without one).
    pub size: u64,
    pub created: chrono::DateTime<chrono::Utc>,
    /// When the step was last recorded (a cache hit records it again).
    pub last_used: Option<chrono::DateTime<chrono::Utc>>,
    /// A container uses the image.
    pub in_use: bool,
    /// The image is named, or another image builds on it.
    pub shared: bool,
}

impl Runtime {
    /// The build cache: every recorded step whose image still exists.
    pub fn build_cache(&self) -> crate::error::Result<Vec<CacheRecord>> {
        let images = self.images()?;
        let mut out: Vec<CacheRecord> = Vec::new();
        let Ok(entries) = std::fs::read_dir(dir(self)) else {
            return Ok(out);
        };
        for entry in entries.flatten() {
            let name = entry.file_name().to_string_lossy().into_owned();
            if name.starts_with('.') {
                continue;
            }
            let Ok(id) = std::fs::read_to_string(entry.path()) else {
                continue;
            };
            let Some(image) = images.iter().find(|i| i.id == id.trim()) else {
                continue;
            };
            if out.iter().any(|r| r.id == image.id) {
                continue;
            }
            let (description, size) = self
                .image_history(&image.id)
                .ok()
                .and_then(|h| h.first().map(|e| (e.created_by.clone(), e.size)))
                .unwrap_or_default();
            let builds_on = images.iter().any(|other| {
                other.id != image.id
                    && other.layers.len() > image.layers.len()
                    && other.layers.starts_with(&image.layers)
            });
            let last_used = entry
                .metadata()
                .and_then(|m| m.modified())
                .ok()
                .map(chrono::DateTime::<chrono::Utc>::from);
            out.push(CacheRecord {
                id: image.id.clone(),
                description,
                size,
                created: image.created_at,
                last_used,
                in_use: image.containers > 0,
                shared: !image.repo_tags.is_empty() || builds_on,
            });
        }
        out.sort_by(|a, b| b.created.cmp(&a.created).then(a.id.cmp(&b.id)));
        Ok(out)
    }

    /// Empties the build cache: forgets every step and removes the images
    /// only the cache kept (unnamed, unused, with no image built on them).
    /// Returns the removed images' IDs and the bytes freed.
    pub fn prune_build_cache(&self) -> crate::error::Result<(Vec<String>, u64)> {
        let records = self.build_cache()?;
        if let Ok(entries) = std::fs::read_dir(dir(self)) {
            for entry in entries.flatten() {
                let _ = std::fs::remove_file(entry.path());
            }
        }
        let mut removed = Vec::new();
        let mut freed = 0;
        // Newest first: a step's image is removable once the steps built on
        // it are gone.
        for r in records.iter().filter(|r| !r.in_use) {
            let named = self
                .store()?
                .lookup_image(&r.id)
                .map(|i| !i.names.is_empty())
                .unwrap_or(true);
            if named {
                continue;
            }
            if self.remove_image(&r.id, false).is_ok() {
                removed.push(r.id.clone());
                // A step another image builds on frees nothing: its layer stays.
                if !r.shared {
                    freed += r.size;
                }
            }
        }
        Ok((removed, freed))
    }
}
