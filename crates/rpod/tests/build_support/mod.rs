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

/// A static aarch64 Linux program that writes `msg` to stdout and exits 0: an ELF header,
/// one loadable segment, eight instructions and the text (no toolchain needed).
pub fn aarch64_program(msg: &str) -> Vec<u8> {
    const BASE: u64 = 0x40_0000;
    const CODE: u64 = 64 + 56;
    let len = msg.len() as u32;
    assert!(len < 1 << 16, "message too long");
    let text_off = 8 * 4u32; // adr x1 is the second instruction: the text is 7 words on
    let adr = |rd: u32, off: u32| 0x1000_0000 | ((off & 3) << 29) | ((off >> 2) << 5) | rd;
    let movz = |rd: u32, imm: u32| 0xD280_0000 | (imm << 5) | rd;
    let code: [u32; 8] = [
        movz(0, 1),           // x0 = stdout
        adr(1, text_off - 4), // x1 = the text
        movz(2, len),         // x2 = its length
        movz(8, 64),          // write
        0xD400_0001,          // svc #0
        movz(0, 0),           // status 0
        movz(8, 93),          // exit
        0xD400_0001,          // svc #0
    ];
    let total = CODE + 32 + u64::from(len);
    let mut f: Vec<u8> = Vec::new();
    f.extend_from_slice(&[0x7f, b'E', b'L', b'F', 2, 1, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0]);
    f.extend_from_slice(&2u16.to_le_bytes()); // ET_EXEC
    f.extend_from_slice(&183u16.to_le_bytes()); // EM_AARCH64
    f.extend_from_slice(&1u32.to_le_bytes());
    f.extend_from_slice(&(BASE + CODE).to_le_bytes()); // entry
    f.extend_from_slice(&64u64.to_le_bytes()); // phoff
    f.extend_from_slice(&0u64.to_le_bytes()); // shoff
    f.extend_from_slice(&0u32.to_le_bytes()); // flags
    for v in [64u16, 56, 1, 64, 0, 0] {
        f.extend_from_slice(&v.to_le_bytes());
    }
    f.extend_from_slice(&1u32.to_le_bytes()); // PT_LOAD
    f.extend_from_slice(&5u32.to_le_bytes()); // R+X
    for v in [0, BASE, BASE, total, total, 0x1000u64] {
        f.extend_from_slice(&v.to_le_bytes());
    }
    for w in code {
        f.extend_from_slice(&w.to_le_bytes());
    }
    f.extend_from_slice(msg.as_bytes());
    assert_eq!(f.len() as u64, total);
    f
}

/// qemu's aarch64 emulator registered with binfmt_misc for the life of the value, as
/// Debian's `qemu-user-static` describes it (`/usr/lib/binfmt.d`, with the F flag, so the
/// kernel opens the emulator once and containers need no copy of it). What this made
/// (the registration, the binfmt_misc mount) is undone on drop; what was there is kept.
pub struct Emulator {
    registered: bool,
    mounted: bool,
}

const BINFMT: &str = "/proc/sys/fs/binfmt_misc";

impl Emulator {
    pub fn aarch64() -> Emulator {
        assert_eq!(
            std::env::consts::ARCH,
            "x86_64",
            "the emulated-build test runs an aarch64 program on an x86_64 host"
        );
        let mut me = Emulator {
            registered: false,
            mounted: false,
        };
        if !Path::new(BINFMT).join("register").exists() {
            let st = std::process::Command::new("mount")
                .args(["-t", "binfmt_misc", "binfmt_misc", BINFMT])
                .status()
                .unwrap();
            assert!(st.success(), "mounting binfmt_misc");
            me.mounted = true;
        }
        if !Path::new(BINFMT).join("qemu-aarch64").exists() {
            let conf = std::fs::read_to_string("/usr/lib/binfmt.d/qemu-aarch64.conf")
                .expect("qemu-user-static's /usr/lib/binfmt.d/qemu-aarch64.conf");
            let line = conf
                .lines()
                .find(|l| l.starts_with(':'))
                .expect("a registration line");
            std::fs::write(Path::new(BINFMT).join("register"), line).unwrap();
            me.registered = true;
        }
        me
    }
}

impl Drop for Emulator {
    fn drop(&mut self) {
        if self.registered {
            let _ = std::fs::write(Path::new(BINFMT).join("qemu-aarch64"), "-1");
        }
        if self.mounted {
            let _ = std::process::Command::new("umount").arg(BINFMT).status();
        }
    }
}

/// An architecture (GOARCH name) this host cannot run: not its own, no emulator registered.
pub fn unrunnable_arch() -> &'static str {
    let host = if std::env::consts::ARCH == "aarch64" {
        "arm64"
    } else {
        "amd64"
    };
    ["s390x", "ppc64le", "riscv64", "mips64le", "arm64", "amd64"]
        .into_iter()
        .find(|a| {
            let qemu = match *a {
                "arm64" => "aarch64",
                "amd64" => "x86_64",
                "mips64le" => "mips64el",
                other => other,
            };
            *a != host && !Path::new(BINFMT).join(format!("qemu-{qemu}")).exists()
        })
        // All of those emulated (qemu-user-static registers every one it has): an
        // architecture qemu has no emulator for.
        .unwrap_or("wasm")
}
