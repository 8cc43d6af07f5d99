//! `update`: new resource limits or restart policy for an existing
//! container, applied to the runtime at once when it runs.

use oci_spec::runtime::LinuxResourcesBuilder;

use super::isolation::BlkioRate;
use super::options::Resources;
use super::policy::RestartPolicy;
use super::Container;
use crate::error::{Error, Result};
use crate::fsutil::{write_atomic, PRIVATE_FILE};

/// What `update` changes; `None` (or an empty list) leaves a setting as it
/// is.
#[derive(Debug, Clone, Default)]
pub struct UpdateOptions {
    /// Each limit given replaces the container's (`--cpus` and the CFS
    /// quota and period replace each other); `oom_kill_disable` is not
    /// updated.
    pub resources: Resources,
    pub blkio_weight: Option<u16>,
    /// Per-device limits: an entry replaces the container's for the same
    /// device and adds one for a new device.
    pub blkio_weight_device: Vec<BlkioRate>,
    pub device_read_bps: Vec<BlkioRate>,
    pub device_write_bps: Vec<BlkioRate>,
    pub device_read_iops: Vec<BlkioRate>,
    pub device_write_iops: Vec<BlkioRate>,
    pub restart_policy: Option<RestartPolicy>,
}

impl UpdateOptions {
    fn changes_limits(&self) -> bool {
        let r = &self.resources;
        r.has_memory()
            || r.has_cpu()
            || r.pids_limit.is_some()
            || self.blkio_weight.is_some()
            || !self.blkio_weight_device.is_empty()
            || !self.device_read_bps.is_empty()
            || !self.device_write_bps.is_empty()
            || !self.device_read_iops.is_empty()
            || !self.device_write_iops.is_empty()
    }
}

/// Replaces the entries of `list` for the devices in `new`, adds the rest.
fn merge_rates(list: &mut Vec<BlkioRate>, new: &[BlkioRate]) {
    for rate in new {
        match list.iter_mut().find(|r| r.path == rate.path) {
            Some(old) => old.rate = rate.rate,
            None => list.push(rate.clone()),
        }
    }
}

impl Resources {
    /// `self` with every limit `other` gives.
    fn overlay(&mut self, other: &Resources) {
        macro_rules! take {
            ($($field:ident),*) => {
                $(if other.$field.is_some() {
                    self.$field = other.$field.clone();
                })*
            };
        }
        if other.cpus.is_some() {
            self.cpu_quota = None;
            self.cpu_period = None;
        }
        if other.cpu_quota.is_some() || other.cpu_period.is_some() {
            self.cpus = None;
        }
        take!(
            memory,
            cpus,
            pids_limit,
            cpu_shares,
            cpu_period,
            cpu_quota,
            cpu_rt_period,
            cpu_rt_runtime,
            cpuset_cpus,
            cpuset_mems,
            memory_reservation,
            memory_swap,
            memory_swappiness
        );
    }
}

impl Container<'_> {
    /// Changes the container's limits and restart policy: recorded, and
    /// applied to the runtime at once when the container runs.
    pub fn update(&mut self, opts: &UpdateOptions) -> Result<()> {
        let _guard = self.lock()?;
        if let Some(why) = crate::rootless::cgroups_unavailable() {
            return Err(Error::Unsupported(why));
        }
        let mut config = self.config.clone();
        // A new memory limit above the swap limit moves the swap limit with
        // it, to twice the memory (the default).
        if let (Some(m), None) = (opts.resources.memory, opts.resources.memory_swap) {
            if config
                .resources
                .memory_swap
                .is_some_and(|s| s != -1 && (s as u64) < m)
            {
                config.resources.memory_swap = Some(m.saturating_mul(2) as i64);
            }
        }
        config.resources.overlay(&opts.resources);
        config.resources.validate()?;
        // Each device named must be a block device here and now.
        for rate in opts
            .blkio_weight_device
            .iter()
            .chain(&opts.device_read_bps)
            .chain(&opts.device_write_bps)
            .chain(&opts.device_read_iops)
            .chain(&opts.device_write_iops)
        {
            rate.device()?;
        }
        let blkio = &mut config.isolation.blkio;
        if let Some(w) = opts.blkio_weight {
            blkio.weight = Some(w);
        }
        merge_rates(&mut blkio.weight_device, &opts.blkio_weight_device);
        merge_rates(&mut blkio.read_bps, &opts.device_read_bps);
        merge_rates(&mut blkio.write_bps, &opts.device_write_bps);
        merge_rates(&mut blkio.read_iops, &opts.device_read_iops);
        merge_rates(&mut blkio.write_iops, &opts.device_write_iops);
        if opts.blkio_weight.is_some() || !opts.blkio_weight_device.is_empty() {
            blkio.check_weight()?;
        }
        if let Some(r) = opts.restart_policy {
            if config.auto_remove && r != RestartPolicy::default() {
                return Err(Error::InvalidArgument(
                    "a container created with --rm cannot get a restart policy".into(),
                ));
            }
            config.restart_policy = r;
        }
        if self.state.status.is_active() && opts.changes_limits() {
            self.apply_resources(&config)?;
        }
        self.rt.db.save_config(&config)?;
        self.config = config;
        self.event("update");
        Ok(())
    }

    /// Hands the runtime the container's limits as `config` has them.
    fn apply_resources(&self, config: &super::ContainerConfig) -> Result<()> {
        let spec_err = |e: oci_spec::OciSpecError| Error::Runtime(ocirt::Error::Spec(e));
        let mut limits = config.resources.clone();
        // Not something runc updates.
        limits.oom_kill_disable = false;
        let mut r = super::spec::with_limits(LinuxResourcesBuilder::default(), &limits)?;
        if let Some(blkio) = super::isolation::spec_parts::blkio_spec_of(&config.isolation.blkio)? {
            r = r.block_io(blkio);
        }
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
