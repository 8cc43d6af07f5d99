//! Shared parts of the build tests: rpod and podman side by side on the same
//! busybox base, and comparisons of the images they build (config fields and
//! file trees).

#![allow(dead_code)]

use std::collections::BTreeMap;
use std::path::Path;

use crate::common::*;

/// rpod and podman, each with the busybox root file system imported as `busybox`.
pub struct Pair {
    // Dropped first: podman's storage lives in the engine's directory.
    pub p: Podman,
    pub e: Engine,
}

pub fn pair() -> Pair {
    let e = engine();
    let p = Podman::new(&e);
    p.ok(&["import", "-q", e.busybox_tar().to_str().unwrap(), "busybox"]);
    Pair { p, e }
}

pub fn engine() -> Engine {
    let e = Engine::new();
    let tar = e.busybox_tar();
    e.ok(&["import", tar.to_str().unwrap(), "busybox"]);
    e
}

pub fn write_tree(dir: &Path, files: &[(&str, &str)]) {
    for (name, content) in files {
        let p = dir.join(name);
        std::fs::create_dir_all(p.parent().unwrap()).unwrap();
        std::fs::write(&p, content).unwrap();
    }
}

/// Every path of the root file system with type, mode, owner, size and md5.
pub const TREE_SCRIPT: &str = r#"cd / && find . -xdev \( -path ./proc -o -path ./sys -o -path ./dev -o -path ./etc/hosts -o -path ./etc/resolv.conf -o -path ./etc/hostname -o -path ./etc/mtab -o -path ./run/.containerenv \) -prune -o -print | sort | while read -r f; do t=$(stat -c %F "$f"); if [ -d "$f" ] && [ ! -L "$f" ]; then s=-; else s=$(stat -c %s "$f"); fi; h=-; if [ -f "$f" ] && [ ! -L "$f" ]; then h=$(md5sum < "$f" | cut -c1-32); fi; echo "$f|$t|$(stat -c %a:%u:%g "$f")|$s|$h"; done"#;

pub fn tree_args(image: &str) -> Vec<&str> {
    vec![
        "run",
        "--rm",
        "--network",
        "none",
        "--user",
        "0",
        "--entrypoint",
        "/bin/sh",
        image,
        "-c",
        TREE_SCRIPT,
    ]
}

pub fn inspect_json(text: &str) -> serde_json::Value {
    let v: serde_json::Value = serde_json::from_str(text).expect("inspect JSON");
    v[0].clone()
}

/// The config fields the parity test compares, with absent, null and empty made equal and
/// Buildah's identity label dropped.
pub fn config_of(inspect: &str) -> BTreeMap<String, serde_json::Value> {
    let v = inspect_json(inspect);
    let cfg = &v["Config"];
    let mut out = BTreeMap::new();
    for key in [
        "Env",
        "Cmd",
        "Entrypoint",
        "WorkingDir",
        "User",
        "ExposedPorts",
        "Labels",
        "Volumes",
        "Healthcheck",
        "StopSignal",
    ] {
        // Podman shows Docker's HEALTHCHECK at the top level of an image's inspect.
        let source = if key == "Healthcheck" { &v } else { cfg };
        let mut val = source.get(key).cloned().unwrap_or(serde_json::Value::Null);
        if key == "Labels" {
            if let Some(m) = val.as_object_mut() {
                m.remove("io.buildah.version");
            }
        }
        let empty = match &val {
            serde_json::Value::Array(a) => a.is_empty(),
            serde_json::Value::Object(o) => o.is_empty(),
            serde_json::Value::String(s) => s.is_empty(),
            serde_json::Value::Null => true,
            _ => false,
        };
        out.insert(
            key.to_string(),
            if empty { serde_json::Value::Null } else { val },
        );
    }
    out
}

impl Pair {
    /// Builds `ctx` as `name` with both engines (with `flags`).
    pub fn build_both(&self, ctx: &Path, name: &str, flags: &[&str]) {
        let mut args = vec!["build", "-q", "-t", name];
        args.extend_from_slice(flags);
        args.push(ctx.to_str().unwrap());
        let r = self.e.rpod(&args);
        assert!(r.status.success(), "rpod build: {}", describe(&r));
        let p = self.p.run(&args);
        assert!(p.status.success(), "podman build: {}", describe(&p));
    }

    /// Same config and same file tree.
    pub fn compare(&self, name: &str) {
        self.compare_but(name, &[]);
    }

    /// [`compare`], leaving out the tree lines of the paths `skip`.
    pub fn compare_but(&self, name: &str, skip: &[&str]) {
        let rc = config_of(&self.e.ok(&["image", "inspect", name]));
        let pc = config_of(&self.p.ok(&["image", "inspect", name]));
        assert_eq!(rc, pc, "config of {name}: rpod (left) vs podman (right)");
        let keep = |t: String| -> String {
            t.lines()
                .filter(|l| !skip.iter().any(|s| l.split('|').next() == Some(*s)))
                .collect::<Vec<_>>()
                .join("\n")
        };
        let rt = keep(self.e.ok(&tree_args(name)));
        let pt = keep(self.p.ok(&tree_args(name)));
        if rt != pt {
            let rl: Vec<&str> = rt.lines().collect();
            let pl: Vec<&str> = pt.lines().collect();
            let only_r: Vec<&&str> = rl.iter().filter(|l| !pl.contains(l)).collect();
            let only_p: Vec<&&str> = pl.iter().filter(|l| !rl.contains(l)).collect();
            panic!("file tree of {name}:\nrpod only: {only_r:#?}\npodman only: {only_p:#?}");
        }
    }

    /// The number of layers and of history entries of an image, for both engines.
    pub fn shape(&self, name: &str) -> ((usize, usize), (usize, usize)) {
        let of = |text: String| {
            let v = inspect_json(&text);
            (
                v["RootFS"]["Layers"].as_array().map_or(0, Vec::len),
                v["History"].as_array().map_or(0, Vec::len),
            )
        };
        (
            of(self.e.ok(&["image", "inspect", name])),
            of(self.p.ok(&["image", "inspect", name])),
        )
    }
}
