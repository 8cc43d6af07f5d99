//! `auto-update` without systemd: running containers labelled
//! `io.containers.autoupdate` are recreated from a newer image under their
//! own name, from the command line that created them, and started again.
//!
//! Policies: `registry` (the image name's digest on its registry differs
//! from the local image's: pull it), `local` (the image name now designates
//! another local image than the container's). `disabled` and no label are
//! skipped. With rollback, a new container that is not running shortly after
//! its start, or whose health check reports unhealthy, is recreated from the
//! old image, which gets its name back.

use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use crate::container::ContainerStatus;
use crate::error::{Error, Result};
use crate::images::registries::has_registry;
use crate::images::{NoProgress, RegistryOptions};
use crate::runtime::Runtime;
use crate::systemd::CreateCommand;

/// The label naming a container's auto-update policy.
pub const AUTO_UPDATE_LABEL: &str = "io.containers.autoupdate";
/// The label naming the systemd unit a container runs in.
pub const SYSTEMD_UNIT_LABEL: &str = "PODMAN_SYSTEMD_UNIT";
/// How long a new container must keep running to count as started.
const START_WINDOW: Duration = Duration::from_millis(1500);

/// A container's auto-update policy.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AutoUpdatePolicy {
    Registry,
    Local,
}

impl AutoUpdatePolicy {
    pub fn as_str(self) -> &'static str {
        match self {
            AutoUpdatePolicy::Registry => "registry",
            AutoUpdatePolicy::Local => "local",
        }
    }

    /// The policy of a label value; `None` for `disabled`.
    pub fn parse(value: &str) -> Result<Option<AutoUpdatePolicy>> {
        match value {
            "registry" | "image" => Ok(Some(AutoUpdatePolicy::Registry)),
            "local" => Ok(Some(AutoUpdatePolicy::Local)),
            "disabled" | "" => Ok(None),
            other => Err(Error::InvalidArgument(format!(
                "invalid auto-update policy {other:?}: must be registry, local or disabled"
            ))),
        }
    }
}

/// What `auto-update` is to do.
#[derive(Debug, Clone, Default)]
pub struct AutoUpdateOptions {
    /// Report `pending` updates and change nothing.
    pub dry_run: bool,
    /// Go back to the old image when the new container fails.
    pub rollback: bool,
    /// How to reach registries (`--authfile`, `--tls-verify`).
    pub registry: RegistryOptions,
}

/// The outcome for one container.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum UpdateOutcome {
    /// Already up to date.
    Unchanged,
    /// Recreated from the newer image.
    Updated,
    /// `--dry-run`: an update is available.
    Pending,
    /// The update failed (the error is in the failures).
    Failed,
    /// The new container failed and the old image runs again.
    RolledBack,
}

impl UpdateOutcome {
    /// Podman's words for the UPDATED column.
    pub fn as_str(self) -> &'static str {
        match self {
            UpdateOutcome::Unchanged => "false",
            UpdateOutcome::Updated => "true",
            UpdateOutcome::Pending => "pending",
            UpdateOutcome::Failed => "failed",
            UpdateOutcome::RolledBack => "rolled back",
        }
    }
}

/// One line of the report.
#[derive(Debug, Clone)]
pub struct AutoUpdateReport {
    /// The `PODMAN_SYSTEMD_UNIT` label, when the container has one.
    pub unit: Option<String>,
    /// The full ID of the container before the update.
    pub container_id: String,
    pub container_name: String,
    pub image: String,
    pub policy: AutoUpdatePolicy,
    pub outcome: UpdateOutcome,
}

/// The reports, and the errors of the containers that failed.
pub type AutoUpdateResult = (Vec<AutoUpdateReport>, Vec<Error>);

/// One container to look at.
struct Task {
    id: String,
    name: String,
    image_name: String,
    image_id: String,
    policy: AutoUpdatePolicy,
    unit: Option<String>,
    command: Option<CreateCommand>,
    health: bool,
}

impl Runtime {
    /// Checks every running container with an auto-update policy and
    /// updates those whose image has a newer version.
    pub fn auto_update(&self, opts: &AutoUpdateOptions) -> Result<AutoUpdateResult> {
        let mut reports = Vec::new();
        let mut failures = Vec::new();
        for task in self.auto_update_tasks(&mut failures)? {
            let mut report = AutoUpdateReport {
                unit: task.unit.clone(),
                container_id: task.id.clone(),
                container_name: task.name.clone(),
                image: task.image_name.clone(),
                policy: task.policy,
                outcome: UpdateOutcome::Failed,
            };
            match self.update_one(&task, opts) {
                Ok(outcome) => report.outcome = outcome,
                Err(e) => failures.push(e),
            }
            reports.push(report);
        }
        Ok((reports, failures))
    }

    fn auto_update_tasks(&self, failures: &mut Vec<Error>) -> Result<Vec<Task>> {
        let mut tasks = Vec::new();
        for c in self.containers()? {
            let Some(label) = c.config().labels.get(AUTO_UPDATE_LABEL) else {
                continue;
            };
            if c.status() != ContainerStatus::Running {
                continue;
            }
            let policy = match AutoUpdatePolicy::parse(label) {
                Ok(Some(p)) => p,
                Ok(None) => continue,
                Err(e) => {
                    failures.push(Error::InvalidArgument(format!(
                        "container {}: {e}",
                        c.name()
                    )));
                    continue;
                }
            };
            let (Some(image_name), Some(image_id)) =
                (c.config().image_name.clone(), c.config().image_id.clone())
            else {
                failures.push(Error::InvalidArgument(format!(
                    "container {}: auto-update needs a container made from an image",
                    c.name()
                )));
                continue;
            };
            tasks.push(Task {
                id: c.id().to_string(),
                name: c.name().to_string(),
                image_name,
                image_id,
                policy,
                unit: c.config().labels.get(SYSTEMD_UNIT_LABEL).cloned(),
                command: c.config().create_command.clone(),
                health: c.config().health.is_some(),
            });
        }
        Ok(tasks)
    }

    /// Whether the task's image has a newer version, pulled unless `dry_run`.
    fn newer_image(&self, task: &Task, opts: &AutoUpdateOptions) -> Result<bool> {
        match task.policy {
            AutoUpdatePolicy::Local => {
                let now = self.image(&task.image_name)?;
                Ok(now.id != task.image_id)
            }
            AutoUpdatePolicy::Registry => {
                if !has_registry(&task.image_name) {
                    return Err(Error::InvalidArgument(format!(
                        "container {}: the registry policy needs a fully qualified image name, not {:?}",
                        task.name, task.image_name
                    )));
                }
                let local = self.image(&task.image_id)?;
                let remote = self.remote_digest(&task.image_name, &opts.registry)?;
                if remote == local.digest {
                    return Ok(false);
                }
                if !opts.dry_run {
                    self.pull_image(&task.image_name, &opts.registry, &NoProgress)?;
                }
                Ok(true)
            }
        }
    }

    fn update_one(&self, task: &Task, opts: &AutoUpdateOptions) -> Result<UpdateOutcome> {
        if !self.newer_image(task, opts)? {
            return Ok(UpdateOutcome::Unchanged);
        }
        if opts.dry_run {
            return Ok(UpdateOutcome::Pending);
        }
        let Some(command) = &task.command else {
            return Err(Error::InvalidArgument(format!(
                "container {}: no recorded create command to recreate it from",
                task.name
            )));
        };
        let started = self
            .recreate(task, command)
            .and_then(|()| self.check_started(task));
        let err = match started {
            Ok(()) => return Ok(UpdateOutcome::Updated),
            Err(e) => e,
        };
        if !opts.rollback {
            return Err(err);
        }
        // The old image gets its name back and runs again.
        self.tag_image(&task.image_id, std::slice::from_ref(&task.image_name))?;
        self.recreate(task, command)?;
        self.check_started(task).map_err(|e| {
            Error::InvalidArgument(format!(
                "container {}: rolling back to image {} failed too: {e}",
                task.name, task.image_id
            ))
        })?;
        Ok(UpdateOutcome::RolledBack)
    }

    /// Replaces the container with a new one from its create command, under
    /// the same name, and starts it.
    fn recreate(&self, task: &Task, command: &CreateCommand) -> Result<()> {
        let args = &command.args;
        let at = command.image_index.min(args.len());
        let flags = args.get(1..at).unwrap_or_default();
        let is_run = flags.iter().any(|a| a == "run");
        let detached = flags.iter().any(|a| {
            a == "--detach"
                || a == "--detach=true"
                || (a.starts_with('-')
                    && !a.starts_with("--")
                    && a[1..].chars().all(|c| c.is_ascii_alphabetic())
                    && a.contains('d'))
        });
        if is_run && !detached {
            return Err(Error::InvalidArgument(format!(
                "container {}: it was not run detached (-d), so it cannot be recreated in the background",
                task.name
            )));
        }
        let exe = std::env::current_exe().map_err(|source| Error::Io {
            context: "finding the rpod executable".into(),
            source,
        })?;
        let mut cmd = Command::new(exe);
        cmd.args(flags);
        if !flags
            .iter()
            .any(|a| a == "--replace" || a.starts_with("--replace="))
        {
            cmd.arg("--replace");
        }
        let out = cmd
            .args(&args[at..])
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .output()
            .map_err(|source| Error::Io {
                context: format!("recreating container {}", task.name),
                source,
            })?;
        if !out.status.success() {
            let stderr = String::from_utf8_lossy(&out.stderr);
            let msg = stderr.trim().trim_start_matches("Error: ");
            return Err(Error::InvalidArgument(format!(
                "recreating container {}: {msg}",
                task.name
            )));
        }
        let mut c = self.container(&task.name)?;
        if !c.status().is_active() {
            c.start()?;
        }
        Ok(())
    }

    /// The new container keeps running for a moment, and its health check
    /// (when it has one) does not report unhealthy.
    fn check_started(&self, task: &Task) -> Result<()> {
        let deadline = Instant::now() + START_WINDOW;
        loop {
            let c = self.container(&task.name)?;
            if c.status() != ContainerStatus::Running {
                return Err(Error::InvalidArgument(format!(
                    "container {}: the updated container is {} right after its start",
                    task.name,
                    c.status().as_str()
                )));
            }
            if Instant::now() >= deadline {
                break;
            }
            std::thread::sleep(Duration::from_millis(100));
        }
        if task.health {
            // One run of the check decides: a failing one is a failed update, without
            // waiting for the retries that would make the container unhealthy.
            let mut c = self.container(&task.name)?;
            let status = c.healthcheck_run()?;
            let failed = c
                .state()
                .health
                .as_ref()
                .and_then(|h| h.log.last())
                .is_some_and(|e| e.exit_code != 0);
            if failed || status == crate::container::policy::HealthStatus::Unhealthy {
                return Err(Error::InvalidArgument(format!(
                    "container {}: the updated container's health check failed",
                    task.name
                )));
            }
        }
        Ok(())
    }
}
