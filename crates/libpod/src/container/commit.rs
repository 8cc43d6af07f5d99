//! `commit`: a new image from the container's image plus its changes.

use std::collections::HashMap;

use oci_spec::image::Config;

use super::create::merge_env;
use super::{Container, ContainerStatus};
use crate::error::{Error, Result};
use crate::images::apply_changes;

/// What `commit` is asked to do.
#[derive(Debug, Clone, Default)]
pub struct CommitOptions {
    /// Name of the new image.
    pub name: Option<String>,
    /// Dockerfile instructions applied on top (`--change`).
    pub changes: Vec<String>,
    /// Commit message, recorded in the history.
    pub message: Option<String>,
    /// Author of the image.
    pub author: Option<String>,
    /// Freeze a running container while its changes are read.
    pub pause: bool,
    /// Configuration set on top of the changes (the Docker API's body):
    /// the fields it has replace or extend the container's, as `changes`
    /// do.
    pub config: Option<Config>,
    /// Named volumes' mount points become image volumes too
    /// (`--include-volumes`); anonymous ones always do, as in Podman.
    pub include_volumes: bool,
    /// Docker's manifest and config media types (`--format docker`).
    pub docker_format: bool,
    /// The new image is one layer of the whole file system (`--squash`).
    pub squash: bool,
}

impl Container<'_> {
    /// Commits the container's changes as a new image and returns it.
    pub fn commit(&mut self, opts: &CommitOptions) -> Result<storage::Image> {
        let name = self.name().to_string();
        self.commit_inner(opts)
            .map_err(|e| e.naming_no_space(&format!("commit of container {name}")))
    }

    fn commit_inner(&mut self, opts: &CommitOptions) -> Result<storage::Image> {
        // Validate the instructions before doing any work.
        let overrides = apply_changes(&opts.changes)?;
        let _guard = self.lock()?;
        if self.config.rootfs.is_some() {
            return Err(Error::InvalidArgument(format!(
                "cannot commit container {}: it uses a root file system of its own (--rootfs), not an image",
                self.name()
            )));
        }
        let image_id = self.config.image_id.clone().ok_or_else(|| {
            Error::InvalidArgument(format!(
                "cannot commit container {}: it has no image",
                self.name()
            ))
        })?;
        let store = self.rt.store()?;
        let base = store.lookup_image(&image_id)?;
        let base_config = store
            .image_config(&base)?
            .config()
            .clone()
            .unwrap_or_default();
        let mut config = merge_config(
            self.container_config(base_config, opts.include_volumes),
            &overrides,
        );
        if let Some(over) = &opts.config {
            config = merge_config(config, over);
        }
        let names = match &opts.name {
            Some(n) => vec![storage::normalize_name(n)?],
            None => Vec::new(),
        };
        // Squashed: the whole merged root, mounted for the commit if it
        // was not.
        let was_mounted = self.state.mount_point.is_some();
        let squash_root = if opts.squash {
            Some(self.mount_rootfs()?)
        } else {
            None
        };
        let commit = storage::CommitOptions {
            names,
            config,
            comment: opts.message.clone(),
            created_by: Some(self.config.command().join(" ")),
            author: opts.author.clone(),
            docker: opts.docker_format,
            squash_root,
        };
        let pause = opts.pause && self.state.status == ContainerStatus::Running;
        if pause && crate::rootless::cgroups_unavailable().is_some() {
            return Err(Error::Unsupported(
                crate::rootless::PAUSE_UNSUPPORTED.into(),
            ));
        }
        if pause {
            // A commit killed while the container was paused for it left
            // it paused: this one takes it over and resumes it.
            let left_paused = matches!(
                self.rt.oci()?.state(self.id()),
                Ok(Some(s)) if s.status == ocirt::RuntimeStatus::Paused
            );
            if !left_paused {
                self.rt.oci()?.pause(self.id())?;
            }
        }
        crate::fault::point("commit.before_store");
        let result = store.commit_container(self.id(), commit);
        if pause {
            self.rt.oci()?.resume(self.id())?;
        }
        if opts.squash && !was_mounted {
            self.unmount_rootfs();
            self.save()?;
        }
        let image = result?;
        self.event("commit");
        self.rt.image_event(
            &image.id,
            image.names.first().map(String::as_str).unwrap_or(""),
            "commit",
        );
        Ok(image)
    }

    /// The image's config with what the container was created with.
    fn container_config(&self, mut config: Config, include_volumes: bool) -> Config {
        let c = &self.config;
        let volumes: Vec<String> = c
            .mounts
            .iter()
            .filter(|m| m.kind == super::MountKind::Volume && (m.anonymous || include_volumes))
            .map(|m| m.destination.clone())
            .collect();
        if !volumes.is_empty() {
            let mut all = config.volumes().clone().unwrap_or_default();
            for v in volumes {
                if !all.contains(&v) {
                    all.push(v);
                }
            }
            config.set_volumes(Some(all));
        }
        config.set_entrypoint((!c.entrypoint.is_empty()).then(|| c.entrypoint.clone()));
        config.set_cmd((!c.cmd.is_empty()).then(|| c.cmd.clone()));
        let env: Vec<String> = c
            .env
            .iter()
            .filter(|e| e.as_str() != "container=rpod")
            .cloned()
            .collect();
        config.set_env((!env.is_empty()).then_some(env));
        if !c.workdir.is_empty() {
            config.set_working_dir(Some(c.workdir.clone()));
        }
        if !c.user.is_empty() {
            config.set_user(Some(c.user.clone()));
        }
        if !c.labels.is_empty() {
            let mut labels = config.labels().clone().unwrap_or_default();
            labels.extend(c.labels.iter().map(|(k, v)| (k.clone(), v.clone())));
            config.set_labels(Some(labels));
        }
        config
    }
}

/// Applies the fields set in `over` (from `--change`) to `base`: scalars and commands
/// replace, ENV and LABEL merge by key, EXPOSE and VOLUME add.
fn merge_config(mut base: Config, over: &Config) -> Config {
    if over.cmd().is_some() {
        base.set_cmd(over.cmd().clone());
    }
    if over.entrypoint().is_some() {
        base.set_entrypoint(over.entrypoint().clone());
    }
    if over.working_dir().is_some() {
        base.set_working_dir(over.working_dir().clone());
    }
    if over.user().is_some() {
        base.set_user(over.user().clone());
    }
    if over.stop_signal().is_some() {
        base.set_stop_signal(over.stop_signal().clone());
    }
    if let Some(env) = over.env() {
        let merged = merge_env(&base.env().clone().unwrap_or_default(), env);
        base.set_env(Some(merged));
    }
    if let Some(labels) = over.labels() {
        let mut merged: HashMap<String, String> = base.labels().clone().unwrap_or_default();
        merged.extend(labels.clone());
        base.set_labels(Some(merged));
    }
    if let Some(ports) = over.exposed_ports() {
        let mut merged = base.exposed_ports().clone().unwrap_or_default();
        merged.extend(
            ports
                .iter()
                .filter(|p| !merged.contains(p))
                .cloned()
                .collect::<Vec<_>>(),
        );
        base.set_exposed_ports(Some(merged));
    }
    if let Some(volumes) = over.volumes() {
        let mut merged = base.volumes().clone().unwrap_or_default();
        merged.extend(
            volumes
                .iter()
                .filter(|v| !merged.contains(v))
                .cloned()
                .collect::<Vec<_>>(),
        );
        base.set_volumes(Some(merged));
    }
    base
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn changes_override_and_merge() {
        let base =
            apply_changes(&["ENV=A=1".into(), "CMD=[\"sh\"]".into(), "LABEL=x=1".into()]).unwrap();
        let over =
            apply_changes(&["ENV=B=2".into(), "CMD=[\"top\"]".into(), "LABEL=y=2".into()]).unwrap();
        let merged = merge_config(base, &over);
        assert_eq!(merged.cmd().clone().unwrap(), vec!["top"]);
        assert_eq!(merged.env().clone().unwrap(), vec!["A=1", "B=2"]);
        assert_eq!(merged.labels().clone().unwrap().len(), 2);
    }
}
