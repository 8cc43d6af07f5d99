//! Health checks: one run of the container's check (`rpod healthcheck run`,
//! which rpod-monitor starts on the check's interval), its record in the
//! state, events, and the on-failure action.

use std::io::Read;
use std::path::Path;
use std::process::Stdio;
use std::time::{Duration, Instant};

use chrono::Utc;

use super::policy::{HealthLogEntry, HealthOnFailure, HealthState, HealthStatus};
use super::spec::ProcessParams;
use super::{Container, ContainerStatus};
use crate::error::{Error, IoContext, Result};
use crate::fsutil::{write_atomic, PRIVATE_FILE};

/// How much of a check's output is kept (as Docker).
const MAX_OUTPUT: usize = 4096;

impl Container<'_> {
    /// Runs the health check once, records the result and applies the
    /// on-failure action when the container turns unhealthy. Returns the
    /// health status after this run.
    pub fn healthcheck_run(&mut self) -> Result<HealthStatus> {
        let Some(hc) = self.config.health.clone() else {
            return Err(Error::InvalidArgument(format!(
                "container {} has no defined healthcheck",
                self.name()
            )));
        };
        let process_file = self.rundir().join("healthcheck.json");
        {
            let _guard = self.lock()?;
            if self.state.status != ContainerStatus::Running {
                return Err(self.invalid_state("health checks run only in running containers"));
            }
            let rootfs = self.state.mount_point.clone().unwrap_or_default();
            let process = self.process_spec(
                Path::new(&rootfs),
                &ProcessParams {
                    args: hc.command(),
                    env: self.env_with_secrets()?,
                    user: self.config.user.clone(),
                    cwd: self.config.workdir.clone(),
                    tty: false,
                    privileged: self.config.privileged,
                },
            )?;
            let json = serde_json::to_vec(&process).map_err(|source| Error::Json {
                context: "encoding the health check process".into(),
                source,
            })?;
            write_atomic(&process_file, &json, PRIVATE_FILE)?;
        }
        let start = Utc::now();
        let (exit_code, output) = self.run_check(&process_file, hc.timeout)?;
        let entry = HealthLogEntry {
            start,
            end: Utc::now(),
            exit_code,
            output,
        };
        let (status, turned_unhealthy) = {
            let _guard = self.lock()?;
            if self.state.status != ContainerStatus::Running {
                return Err(self.invalid_state("the container stopped during its health check"));
            }
            let in_start_period = self
                .state
                .started_at
                .is_some_and(|s| (Utc::now() - s).to_std().unwrap_or_default() < hc.start_period);
            let health = self.state.health.get_or_insert_with(HealthState::default);
            let changed = health.record(entry, hc.retries, in_start_period);
            let status = health.status;
            self.save()?;
            if changed {
                self.health_event(status);
            }
            (status, changed && status == HealthStatus::Unhealthy)
        };
        if turned_unhealthy {
            match hc.on_failure {
                HealthOnFailure::None => {}
                HealthOnFailure::Kill => self.kill(libc::SIGKILL)?,
                HealthOnFailure::Stop => self.stop(None)?,
                HealthOnFailure::Restart => self.restart(None)?,
            }
        }
        Ok(status)
    }

    fn health_event(&self, status: HealthStatus) {
        let mut attributes = self.config.labels.clone();
        attributes.insert("name".into(), self.config.name.clone());
        attributes.insert("health_status".into(), status.as_str().into());
        self.rt.events.write(&crate::events::Event {
            id: self.config.id.clone(),
            image: self.config.image_name.clone().unwrap_or_default(),
            name: self.config.name.clone(),
            status: "health_status".into(),
            time: Utc::now(),
            kind: "container".into(),
            network: String::new(),
            exit_code: None,
            attributes,
        });
    }

    /// Runs the check process, killing it at `timeout`; returns its exit
    /// code and output.
    fn run_check(&self, process_file: &Path, timeout: Duration) -> Result<(i32, String)> {
        let oci = self.rt.oci()?;
        let pid_file = self.rundir().join("healthcheck.pid");
        let _ = std::fs::remove_file(&pid_file);
        let mut child = oci.exec(ocirt::ExecRequest {
            id: self.id(),
            process: process_file,
            detach: false,
            pid_file: Some(&pid_file),
            log: None,
            preserve_fds: 0,
            stdin: Stdio::null(),
            stdout: Stdio::piped(),
            stderr: Stdio::piped(),
        })?;
        // Read both pipes on threads so a chatty check cannot block.
        let readers: Vec<_> = [child.take_stdout(), child.take_stderr()]
            .into_iter()
            .flatten()
            .map(|mut r| {
                std::thread::spawn(move || {
                    let mut buf = Vec::new();
                    let _ = r.by_ref().take(MAX_OUTPUT as u64 * 4).read_to_end(&mut buf);
                    buf
                })
            })
            .collect();
        let deadline = Instant::now() + timeout;
        let code = loop {
            match child
                .try_wait()
                .ctx(|| "waiting for the health check".to_string())?
            {
                Some(status) => break status.code().unwrap_or(-1),
                None if Instant::now() >= deadline => {
                    // The process in the container is not runc's child once
                    // started: kill it by its pid, then runc.
                    if let Some(pid) = std::fs::read_to_string(&pid_file)
                        .ok()
                        .and_then(|t| t.trim().parse::<i32>().ok())
                    {
                        let _ = nix::sys::signal::kill(
                            nix::unistd::Pid::from_raw(pid),
                            nix::sys::signal::Signal::SIGKILL,
                        );
                    }
                    let _ = child.kill();
                    let _ = child.wait();
                    for r in readers {
                        let _ = r.join();
                    }
                    let _ = std::fs::remove_file(&pid_file);
                    return Ok((
                        -1,
                        format!("Health check exceeded timeout ({}s)", timeout.as_secs_f64()),
                    ));
                }
                None => std::thread::sleep(Duration::from_millis(5)),
            }
        };
        let mut output = Vec::new();
        for r in readers {
            output.extend(r.join().unwrap_or_default());
        }
        output.truncate(MAX_OUTPUT);
        let _ = std::fs::remove_file(&pid_file);
        Ok((code, String::from_utf8_lossy(&output).into_owned()))
    }
}
