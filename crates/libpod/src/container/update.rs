//! `update`: new resource limits or restart policy for an existing
//! container, applied to the runtime at once when it runs.

use oci_spec::runtime::LinuxResourcesBuilder;

use super::policy::RestartPolicy;
use super::Container;
use crate::error::{Error, Result};
use crate::fsutil::{write_atomic, PRIVATE_FILE};

/// What `update` changes; `None` leaves a setting as it is.
#[derive(Debug, Clone, Default)]
pub struct UpdateOptions {
    pub memory: Option<u64>,
    pub cpus: Option<f64>,
    pub pids_limit: Option<i64>,
    pub restart_policy: Option<RestartPolicy>,
}

impl Container<'_> {
    /// Changes the container's limits and restart policy.
    pub fn update(&mut self, opts: &UpdateOptions) -> Result<()> {
        if let Some(cpus) = opts.cpus {
            if !(cpus > 0.0 && cpus.is_finite()) {
                return Err(Error::InvalidArgument(format!(
                    "invalid --cpus {cpus}: must be above 0"
                )));
            }
        }
        let _guard = self.lock()?;
        let mut config = self.config.clone();
        if let Some(m) = opts.memory {
            config.resources.memory = Some(m);
        }
        if let Some(c) = opts.cpus {
            config.resources.cpus = Some(c);
        }
        if let Some(p) = opts.pids_limit {
            config.resources.pids_limit = Some(p);
        }
        if let Some(r) = opts.restart_policy {
            if config.auto_remove && r != RestartPolicy::default() {
                return Err(Error::InvalidArgument(
                    "a container created with --rm cannot get a restart policy".into(),
                ));
            }
            config.restart_policy = r;
        }
        if self.state.status.is_active()
            && (opts.memory.is_some() || opts.cpus.is_some() || opts.pids_limit.is_some())
        {
            self.apply_resources(opts)?;
        }
        self.rt.db.save_config(&config)?;
        self.config = config;
        self.event("update");
        Ok(())
    }

    fn apply_resources(&self, opts: &UpdateOptions) -> Result<()> {
        let spec_err = |e: oci_spec::OciSpecError| Error::Runtime(ocirt::Error::Spec(e));
        let changed = super::options::Resources {
            memory: opts.memory,
            cpus: opts.cpus,
            pids_limit: opts.pids_limit,
            ..Default::default()
        };
        let r = super::spec::with_limits(LinuxResourcesBuilder::default(), &changed)?;
        let json =
            serde_json::to_vec(&r.build().map_err(spec_err)?).map_err(|source| Error::Json {
                context: "encoding resources".into(),
                source,
            })?;
        let file = self.rundir().join("update.json");
        write_atomic(&file, &json, PRIVATE_FILE)?;
        let result = self.rt.oci()?.update(self.id(), &file);
        let _ = std::fs::remove_file(&file);
        Ok(result?)
    }
}
