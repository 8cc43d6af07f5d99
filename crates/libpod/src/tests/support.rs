//! A throwaway engine on the fake runtime.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use ocirt::fake::FakeRuntime;

use crate::{Container, CreateOptions, NetworkMode, Runtime, RuntimeOptions};

/// An engine under a temporary directory, with the fake runtime kept to
/// steer and inspect.
pub(super) struct TestEngine {
    pub rt: Runtime,
    pub fake: Arc<FakeRuntime>,
    pub dir: tempfile::TempDir,
}

impl TestEngine {
    pub fn new() -> Self {
        Self::prepared(|_| {})
    }

    /// An engine whose directory `prepare` filled first (the root is
    /// `DIR/root`, the run root `DIR/run`).
    pub fn prepared(prepare: impl FnOnce(&Path)) -> Self {
        let dir = tempfile::tempdir().expect("temporary directory");
        prepare(dir.path());
        // A configuration of its own, so the host's never applies; the
        // infra process only has to be a file (the fake never runs it).
        let init = dir.path().join("catatonit");
        std::fs::write(&init, "").unwrap();
        let config = dir.path().join("rpod.conf");
        std::fs::write(
            &config,
            format!(
                "[containers]\ninit_path = {:?}\n",
                init.display().to_string()
            ),
        )
        .unwrap();
        let options = RuntimeOptions {
            root: Some(dir.path().join("root")),
            run_root: Some(dir.path().join("run")),
            config_path: Some(config),
            storage_driver: Some("vfs".into()),
            events_backend: Some("file".into()),
            ..Default::default()
        };
        let fake = Arc::new(FakeRuntime::new());
        let rt = Runtime::with_oci(options, fake.clone()).expect("opening the engine");
        TestEngine { rt, fake, dir }
    }

    /// A directory with the files a root file system needs here.
    pub fn rootfs(&self, name: &str) -> PathBuf {
        let root = self.dir.path().join("rootfs").join(name);
        std::fs::create_dir_all(root.join("etc")).unwrap();
        std::fs::write(
            root.join("etc/passwd"),
            "root:x:0:0:root:/root:/bin/sh\nnobody:x:65534:65534::/:/bin/false\n",
        )
        .unwrap();
        std::fs::write(root.join("etc/group"), "root:x:0:\n").unwrap();
        root
    }

    /// Create options for a container named `name` on its own root file
    /// system, with no network namespace to connect.
    pub fn options(&self, name: &str) -> CreateOptions {
        CreateOptions {
            name: Some(name.into()),
            rootfs: Some(self.rootfs(name)),
            command: vec!["/bin/app".into(), "--serve".into()],
            network: NetworkMode::None,
            ..Default::default()
        }
    }

    pub fn create(&self, name: &str) -> Container<'_> {
        self.rt
            .create_container(self.options(name))
            .unwrap_or_else(|e| panic!("creating {name}: {e}"))
    }

    /// The container `name` as saved, synced as a command would see it.
    pub fn reload(&self, name: &str) -> Container<'_> {
        let mut c = self.rt.container(name).unwrap();
        c.sync_unlocked_view().unwrap();
        c
    }
}
