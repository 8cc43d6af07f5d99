//! seccomp profiles: the containers/Docker profile format (`seccomp.json`,
//! with rules conditioned on capabilities, architectures and kernel
//! versions) resolved into the runtime spec's `linux.seccomp` for one
//! container, and rpod's built-in default for hosts without a profile file.

use std::path::Path;

use oci_spec::runtime::LinuxSeccomp;
use serde::Deserialize;
use serde_json::{json, Value};

use crate::error::{Error, Result};

/// A profile in the containers/Docker format.
#[derive(Debug, Clone, Default, Deserialize, PartialEq)]
#[serde(rename_all = "camelCase")]
pub struct Profile {
    pub default_action: String,
    #[serde(default)]
    pub default_errno_ret: Option<u32>,
    /// OCI-style architectures, used when there is no `archMap`.
    #[serde(default)]
    pub architectures: Vec<String>,
    #[serde(default)]
    pub arch_map: Vec<ArchMapEntry>,
    #[serde(default)]
    pub flags: Vec<String>,
    #[serde(default)]
    pub syscalls: Vec<Rule>,
}

/// One `archMap` entry: a native architecture and the ones it also runs.
#[derive(Debug, Clone, Default, Deserialize, PartialEq)]
#[serde(rename_all = "camelCase")]
pub struct ArchMapEntry {
    pub architecture: String,
    #[serde(default)]
    pub sub_architectures: Vec<String>,
}

/// One rule: an action for some syscalls, maybe only for some arguments,
/// capabilities, architectures or kernels.
#[derive(Debug, Clone, Default, Deserialize, PartialEq)]
#[serde(rename_all = "camelCase")]
pub struct Rule {
    #[serde(default)]
    pub names: Vec<String>,
    /// The older single-name form.
    #[serde(default)]
    pub name: Option<String>,
    pub action: String,
    #[serde(default)]
    pub errno_ret: Option<u32>,
    #[serde(default)]
    pub args: Option<Vec<Arg>>,
    #[serde(default)]
    pub includes: Option<Filter>,
    #[serde(default)]
    pub excludes: Option<Filter>,
}

/// An argument comparison of a rule.
#[derive(Debug, Clone, Default, Deserialize, PartialEq)]
#[serde(rename_all = "camelCase")]
pub struct Arg {
    pub index: usize,
    pub value: u64,
    #[serde(default)]
    pub value_two: u64,
    pub op: String,
}

/// The conditions of `includes` (all must hold) or `excludes` (any excludes).
#[derive(Debug, Clone, Default, Deserialize, PartialEq)]
#[serde(rename_all = "camelCase")]
pub struct Filter {
    #[serde(default)]
    pub caps: Vec<String>,
    #[serde(default)]
    pub arches: Vec<String>,
    #[serde(default)]
    pub min_kernel: Option<String>,
}

/// What a profile is resolved against.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Target {
    /// The architecture as profiles name it in `includes.arches` (Go's
    /// names: `amd64`, `arm64`, …).
    pub arch: String,
    /// The kernel's version, (major, minor).
    pub kernel: (u32, u32),
}

impl Target {
    /// This host.
    pub fn host() -> Target {
        let arch = match std::env::consts::ARCH {
            "x86_64" => "amd64",
            "x86" => "386",
            "aarch64" => "arm64",
            "arm" => "arm",
            "powerpc64" => "ppc64le",
            "s390x" => "s390x",
            "riscv64" => "riscv64",
            "mips64" => "mips64le",
            other => other,
        }
        .to_string();
        let release = nix::sys::utsname::uname()
            .map(|u| u.release().to_string_lossy().into_owned())
            .unwrap_or_default();
        Target {
            arch,
            kernel: parse_kernel(&release).unwrap_or((0, 0)),
        }
    }

    /// The seccomp name of this architecture (`SCMP_ARCH_X86_64`).
    fn seccomp_arch(&self) -> Option<&'static str> {
        Some(match self.arch.as_str() {
            "amd64" => "SCMP_ARCH_X86_64",
            "386" => "SCMP_ARCH_X86",
            "arm64" => "SCMP_ARCH_AARCH64",
            "arm" => "SCMP_ARCH_ARM",
            "ppc64le" => "SCMP_ARCH_PPC64LE",
            "s390x" => "SCMP_ARCH_S390X",
            "riscv64" => "SCMP_ARCH_RISCV64",
            "mips64le" => "SCMP_ARCH_MIPSEL64",
            _ => return None,
        })
    }
}

/// `6.18.44-foo` → (6, 18).
fn parse_kernel(text: &str) -> Option<(u32, u32)> {
    let mut parts = text.split(|c: char| !c.is_ascii_digit());
    let major = parts.next()?.parse().ok()?;
    let minor = parts.next().and_then(|m| m.parse().ok()).unwrap_or(0);
    Some((major, minor))
}

/// `CAP_SYS_ADMIN`, `sys_admin` → `SYS_ADMIN`.
fn bare_cap(name: &str) -> String {
    let upper = name.trim().to_ascii_uppercase();
    upper.strip_prefix("CAP_").unwrap_or(&upper).to_string()
}

impl Filter {
    fn kernel_at_least(&self, target: &Target) -> bool {
        match self.min_kernel.as_deref().and_then(parse_kernel) {
            Some(min) => target.kernel >= min,
            None => true,
        }
    }
}

impl Profile {
    /// Parses a profile file's content; `what` names it in errors.
    pub fn parse(data: &[u8], what: &str) -> Result<Profile> {
        serde_json::from_slice(data).map_err(|e| Error::Invalid {
            what: "seccomp profile",
            value: what.to_string(),
            reason: e.to_string(),
        })
    }

    /// Reads and parses a profile file.
    pub fn load(path: &Path) -> Result<Profile> {
        let data = std::fs::read(path).map_err(|e| Error::Invalid {
            what: "seccomp profile",
            value: path.display().to_string(),
            reason: e.to_string(),
        })?;
        Profile::parse(&data, &path.display().to_string())
    }

    /// Does `rule` apply to a container with capabilities `caps` on `target`?
    fn applies(rule: &Rule, caps: &[String], target: &Target) -> bool {
        if let Some(inc) = &rule.includes {
            if !inc.arches.is_empty() && !inc.arches.contains(&target.arch) {
                return false;
            }
            if !inc.caps.iter().all(|c| caps.contains(&bare_cap(c))) {
                return false;
            }
            if !inc.kernel_at_least(target) {
                return false;
            }
        }
        if let Some(exc) = &rule.excludes {
            if exc.arches.contains(&target.arch) {
                return false;
            }
            if exc.caps.iter().any(|c| caps.contains(&bare_cap(c))) {
                return false;
            }
            if exc.min_kernel.is_some() && exc.kernel_at_least(target) {
                return false;
            }
        }
        true
    }

    /// The `linux.seccomp` of a container whose effective capabilities are
    /// `caps` (bare names such as `SYS_ADMIN`), on `target`.
    pub fn resolve(&self, caps: &[String], target: &Target) -> Result<LinuxSeccomp> {
        let caps: Vec<String> = caps.iter().map(|c| bare_cap(c)).collect();
        let architectures: Vec<String> = if self.arch_map.is_empty() {
            self.architectures.clone()
        } else {
            let native = target.seccomp_arch();
            self.arch_map
                .iter()
                .filter(|m| Some(m.architecture.as_str()) == native)
                .flat_map(|m| {
                    std::iter::once(m.architecture.clone()).chain(m.sub_architectures.clone())
                })
                .collect()
        };
        let mut syscalls = Vec::new();
        for rule in self
            .syscalls
            .iter()
            .filter(|r| Self::applies(r, &caps, target))
        {
            let mut names = rule.names.clone();
            names.extend(rule.name.clone());
            if names.is_empty() {
                continue;
            }
            let mut entry = json!({ "names": names, "action": rule.action });
            if let Some(errno) = rule.errno_ret {
                entry["errnoRet"] = json!(errno);
            }
            if let Some(args) = rule.args.as_ref().filter(|a| !a.is_empty()) {
                entry["args"] = Value::Array(
                    args.iter()
                        .map(|a| {
                            json!({ "index": a.index, "value": a.value,
                                    "valueTwo": a.value_two, "op": a.op })
                        })
                        .collect(),
                );
            }
            syscalls.push(entry);
        }
        let mut out = json!({ "defaultAction": self.default_action, "syscalls": syscalls });
        if let Some(errno) = self.default_errno_ret {
            out["defaultErrnoRet"] = json!(errno);
        }
        if !architectures.is_empty() {
            out["architectures"] = json!(architectures);
        }
        if !self.flags.is_empty() {
            out["flags"] = json!(self.flags);
        }
        serde_json::from_value(out).map_err(|e| Error::Invalid {
            what: "seccomp profile",
            value: "(resolved)".into(),
            reason: e.to_string(),
        })
    }

    /// rpod's own default profile, used where no profile file exists: every
    /// syscall is refused with ENOSYS except an allow-list, which leaves out
    /// what reaches kernel-wide state (modules, kexec, clocks, swap, quotas,
    /// keyrings), large attack surfaces (io_uring, bpf, perf events,
    /// userfaultfd), NUMA page moves, unimplemented slots, and the netlink
    /// audit socket without CAP_AUDIT_WRITE; `personality` is allowed only
    /// for the Linux personalities.
    pub fn builtin() -> Profile {
        let allow = |names: Vec<String>, args: Option<Vec<Arg>>, includes, excludes| Rule {
            names,
            action: "SCMP_ACT_ALLOW".into(),
            args,
            includes,
            excludes,
            ..Rule::default()
        };
        let eq = |index, value| Arg {
            index,
            value,
            value_two: 0,
            op: "SCMP_CMP_EQ".into(),
        };
        let ne = |index, value| Arg {
            op: "SCMP_CMP_NE".into(),
            ..eq(index, value)
        };
        let audit = Some(Filter {
            caps: vec!["CAP_AUDIT_WRITE".into()],
            ..Filter::default()
        });
        const AF_NETLINK: u64 = 16;
        const NETLINK_AUDIT: u64 = 9;
        let mut syscalls = vec![allow(
            BUILTIN_ALLOWED.iter().map(|s| s.to_string()).collect(),
            None,
            None,
            None,
        )];
        // PER_LINUX, PER_LINUX32, UNAME26, UNAME26|PER_LINUX32, and the query.
        for persona in [0u64, 8, 0x20000, 0x20008, 0xffff_ffff] {
            syscalls.push(allow(
                vec!["personality".into()],
                Some(vec![eq(0, persona)]),
                None,
                None,
            ));
        }
        syscalls.push(allow(vec!["socket".into()], None, audit.clone(), None));
        for arg in [ne(0, AF_NETLINK), ne(2, NETLINK_AUDIT)] {
            syscalls.push(allow(
                vec!["socket".into()],
                Some(vec![arg]),
                None,
                audit.clone(),
            ));
        }
        Profile {
            default_action: "SCMP_ACT_ERRNO".into(),
            default_errno_ret: Some(libc::ENOSYS as u32),
            architectures: Vec::new(),
            arch_map: vec![
                ArchMapEntry {
                    architecture: "SCMP_ARCH_X86_64".into(),
                    sub_architectures: vec!["SCMP_ARCH_X86".into(), "SCMP_ARCH_X32".into()],
                },
                ArchMapEntry {
                    architecture: "SCMP_ARCH_AARCH64".into(),
                    sub_architectures: vec!["SCMP_ARCH_ARM".into()],
                },
            ],
            flags: Vec::new(),
            syscalls,
        }
    }
}

/// The syscalls the built-in profile allows without conditions: the kernel's
/// x86-64 syscall table less the ones named in [`Profile::builtin`]'s doc.
/// Names another architecture lacks are skipped by the runtime.
const BUILTIN_ALLOWED: &[&str] = &[
    "read",
    "write",
    "open",
    "close",
    "stat",
    "fstat",
    "lstat",
    "poll",
    "lseek",
    "mmap",
    "mprotect",
    "munmap",
    "brk",
    "rt_sigaction",
    "rt_sigprocmask",
    "rt_sigreturn",
    "ioctl",
    "pread64",
    "pwrite64",
    "readv",
    "writev",
    "access",
    "pipe",
    "select",
    "sched_yield",
    "mremap",
    "msync",
    "mincore",
    "madvise",
    "shmget",
    "shmat",
    "shmctl",
    "dup",
    "dup2",
    "pause",
    "nanosleep",
    "getitimer",
    "alarm",
    "setitimer",
    "getpid",
    "sendfile",
    "connect",
    "accept",
    "sendto",
    "recvfrom",
    "sendmsg",
    "recvmsg",
    "shutdown",
    "bind",
    "listen",
    "getsockname",
    "getpeername",
    "socketpair",
    "setsockopt",
    "getsockopt",
    "clone",
    "fork",
    "vfork",
    "execve",
    "exit",
    "wait4",
    "kill",
    "uname",
    "semget",
    "semop",
    "semctl",
    "shmdt",
    "msgget",
    "msgsnd",
    "msgrcv",
    "msgctl",
    "fcntl",
    "flock",
    "fsync",
    "fdatasync",
    "truncate",
    "ftruncate",
    "getdents",
    "getcwd",
    "chdir",
    "fchdir",
    "rename",
    "mkdir",
    "rmdir",
    "creat",
    "link",
    "unlink",
    "symlink",
    "readlink",
    "chmod",
    "fchmod",
    "chown",
    "fchown",
    "lchown",
    "umask",
    "gettimeofday",
    "getrlimit",
    "getrusage",
    "sysinfo",
    "times",
    "ptrace",
    "getuid",
    "syslog",
    "getgid",
    "setuid",
    "setgid",
    "geteuid",
    "getegid",
    "setpgid",
    "getppid",
    "getpgrp",
    "setsid",
    "setreuid",
    "setregid",
    "getgroups",
    "setgroups",
    "setresuid",
    "getresuid",
    "setresgid",
    "getresgid",
    "getpgid",
    "setfsuid",
    "setfsgid",
    "getsid",
    "capget",
    "capset",
    "rt_sigpending",
    "rt_sigtimedwait",
    "rt_sigqueueinfo",
    "rt_sigsuspend",
    "sigaltstack",
    "utime",
    "mknod",
    "statfs",
    "fstatfs",
    "getpriority",
    "setpriority",
    "sched_setparam",
    "sched_getparam",
    "sched_setscheduler",
    "sched_getscheduler",
    "sched_get_priority_max",
    "sched_get_priority_min",
    "sched_rr_get_interval",
    "mlock",
    "munlock",
    "mlockall",
    "munlockall",
    "modify_ldt",
    "pivot_root",
    "prctl",
    "arch_prctl",
    "adjtimex",
    "setrlimit",
    "chroot",
    "sync",
    "mount",
    "umount2",
    "reboot",
    "gettid",
    "readahead",
    "setxattr",
    "lsetxattr",
    "fsetxattr",
    "getxattr",
    "lgetxattr",
    "fgetxattr",
    "listxattr",
    "llistxattr",
    "flistxattr",
    "removexattr",
    "lremovexattr",
    "fremovexattr",
    "tkill",
    "time",
    "futex",
    "sched_setaffinity",
    "sched_getaffinity",
    "set_thread_area",
    "io_setup",
    "io_destroy",
    "io_getevents",
    "io_submit",
    "io_cancel",
    "get_thread_area",
    "epoll_create",
    "epoll_ctl_old",
    "epoll_wait_old",
    "remap_file_pages",
    "getdents64",
    "set_tid_address",
    "restart_syscall",
    "semtimedop",
    "fadvise64",
    "timer_create",
    "timer_settime",
    "timer_gettime",
    "timer_getoverrun",
    "timer_delete",
    "clock_gettime",
    "clock_getres",
    "clock_nanosleep",
    "exit_group",
    "epoll_wait",
    "epoll_ctl",
    "tgkill",
    "utimes",
    "mbind",
    "set_mempolicy",
    "get_mempolicy",
    "mq_open",
    "mq_unlink",
    "mq_timedsend",
    "mq_timedreceive",
    "mq_notify",
    "mq_getsetattr",
    "waitid",
    "keyctl",
    "ioprio_set",
    "ioprio_get",
    "inotify_init",
    "inotify_add_watch",
    "inotify_rm_watch",
    "openat",
    "mkdirat",
    "mknodat",
    "fchownat",
    "futimesat",
    "newfstatat",
    "unlinkat",
    "renameat",
    "linkat",
    "symlinkat",
    "readlinkat",
    "fchmodat",
    "faccessat",
    "pselect6",
    "ppoll",
    "unshare",
    "set_robust_list",
    "get_robust_list",
    "splice",
    "tee",
    "sync_file_range",
    "utimensat",
    "epoll_pwait",
    "signalfd",
    "timerfd_create",
    "eventfd",
    "fallocate",
    "timerfd_settime",
    "timerfd_gettime",
    "accept4",
    "signalfd4",
    "eventfd2",
    "epoll_create1",
    "dup3",
    "pipe2",
    "inotify_init1",
    "preadv",
    "pwritev",
    "rt_tgsigqueueinfo",
    "recvmmsg",
    "fanotify_mark",
    "prlimit64",
    "name_to_handle_at",
    "clock_adjtime",
    "syncfs",
    "sendmmsg",
    "setns",
    "getcpu",
    "process_vm_readv",
    "process_vm_writev",
    "sched_setattr",
    "sched_getattr",
    "renameat2",
    "seccomp",
    "getrandom",
    "memfd_create",
    "execveat",
    "membarrier",
    "mlock2",
    "copy_file_range",
    "preadv2",
    "pwritev2",
    "pkey_mprotect",
    "pkey_alloc",
    "pkey_free",
    "statx",
    "rseq",
    "pidfd_send_signal",
    "open_tree",
    "move_mount",
    "fsopen",
    "fsconfig",
    "fsmount",
    "fspick",
    "pidfd_open",
    "clone3",
    "close_range",
    "openat2",
    "pidfd_getfd",
    "faccessat2",
    "epoll_pwait2",
    "mount_setattr",
    "landlock_create_ruleset",
    "landlock_add_rule",
    "landlock_restrict_self",
    "memfd_secret",
    "process_mrelease",
];

#[cfg(test)]
mod tests {
    use super::*;

    fn amd64() -> Target {
        Target {
            arch: "amd64".into(),
            kernel: (6, 1),
        }
    }

    fn caps(list: &[&str]) -> Vec<String> {
        list.iter().map(|s| s.to_string()).collect()
    }

    fn names_with(s: &LinuxSeccomp, action: &str) -> Vec<String> {
        let v = serde_json::to_value(s).unwrap();
        v["syscalls"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|r| r["action"] == action)
            .flat_map(|r| r["names"].as_array().unwrap().clone())
            .map(|n| n.as_str().unwrap().to_string())
            .collect()
    }

    const PROFILE: &str = r#"{
        "defaultAction": "SCMP_ACT_ERRNO", "defaultErrnoRet": 38,
        "archMap": [{"architecture": "SCMP_ARCH_X86_64", "subArchitectures": ["SCMP_ARCH_X86"]},
                    {"architecture": "SCMP_ARCH_AARCH64", "subArchitectures": ["SCMP_ARCH_ARM"]}],
        "syscalls": [
            {"names": ["read", "write"], "action": "SCMP_ACT_ALLOW"},
            {"names": ["bpf"], "action": "SCMP_ACT_ALLOW", "includes": {"caps": ["CAP_SYS_ADMIN"]}},
            {"names": ["bpf"], "action": "SCMP_ACT_ERRNO", "errnoRet": 1, "excludes": {"caps": ["CAP_SYS_ADMIN"]}},
            {"names": ["arch_prctl"], "action": "SCMP_ACT_ALLOW", "includes": {"arches": ["amd64"]}},
            {"names": ["breakpoint"], "action": "SCMP_ACT_ALLOW", "includes": {"arches": ["arm64"]}},
            {"names": ["ptrace"], "action": "SCMP_ACT_ALLOW", "includes": {"minKernel": "4.8"}},
            {"names": ["clone"], "action": "SCMP_ACT_ALLOW",
             "args": [{"index": 0, "value": 2114060288, "op": "SCMP_CMP_MASKED_EQ"}],
             "excludes": {"caps": ["CAP_SYS_ADMIN"]}},
            {"name": "old_form", "action": "SCMP_ACT_ALLOW"}
        ]}"#;

    #[test]
    fn rules_follow_caps_arches_and_kernels() {
        let p = Profile::parse(PROFILE.as_bytes(), "test").unwrap();
        let s = p.resolve(&caps(&["CHOWN"]), &amd64()).unwrap();
        let allowed = names_with(&s, "SCMP_ACT_ALLOW");
        assert!(allowed.contains(&"arch_prctl".to_string()));
        assert!(!allowed.contains(&"breakpoint".to_string()));
        assert!(allowed.contains(&"ptrace".to_string()));
        assert!(allowed.contains(&"clone".to_string()));
        assert!(allowed.contains(&"old_form".to_string()));
        assert!(!allowed.contains(&"bpf".to_string()));
        assert_eq!(names_with(&s, "SCMP_ACT_ERRNO"), vec!["bpf"]);
        let v = serde_json::to_value(&s).unwrap();
        assert_eq!(v["defaultErrnoRet"], 38);
        assert_eq!(
            v["architectures"],
            json!(["SCMP_ARCH_X86_64", "SCMP_ARCH_X86"])
        );
        // The clone rule keeps its argument filter.
        let clone = v["syscalls"]
            .as_array()
            .unwrap()
            .iter()
            .find(|r| r["names"][0] == "clone")
            .unwrap();
        assert_eq!(clone["args"][0]["op"], "SCMP_CMP_MASKED_EQ");

        let admin = p.resolve(&caps(&["CAP_SYS_ADMIN"]), &amd64()).unwrap();
        assert!(names_with(&admin, "SCMP_ACT_ALLOW").contains(&"bpf".to_string()));
        assert!(!names_with(&admin, "SCMP_ACT_ALLOW").contains(&"clone".to_string()));

        let old = Target {
            kernel: (4, 4),
            ..amd64()
        };
        let s = p.resolve(&caps(&[]), &old).unwrap();
        assert!(!names_with(&s, "SCMP_ACT_ALLOW").contains(&"ptrace".to_string()));
    }

    #[test]
    fn bad_profiles_are_errors() {
        assert!(Profile::parse(b"{", "x").is_err());
        assert!(Profile::parse(b"{\"syscalls\": []}", "x").is_err());
        let p = Profile::parse(
            br#"{"defaultAction": "SCMP_ACT_BOGUS", "syscalls": []}"#,
            "x",
        )
        .unwrap();
        assert!(p.resolve(&[], &amd64()).is_err());
    }

    #[test]
    fn kernel_versions() {
        assert_eq!(parse_kernel("6.18.44-fc-v1098"), Some((6, 18)));
        assert_eq!(parse_kernel("5"), Some((5, 0)));
        assert_eq!(parse_kernel("x"), None);
    }

    #[test]
    fn builtin_blocks_the_dangerous_ones() {
        let s = Profile::builtin()
            .resolve(&caps(crate::spec::DEFAULT_CAPABILITIES), &amd64())
            .unwrap();
        let allowed = names_with(&s, "SCMP_ACT_ALLOW");
        for name in [
            "io_uring_setup",
            "perf_event_open",
            "add_key",
            "userfaultfd",
            "bpf",
            "kexec_load",
            "init_module",
        ] {
            assert!(!allowed.contains(&name.to_string()), "{name} allowed");
        }
        assert!(allowed.contains(&"read".to_string()));
        // The audit socket rule: without CAP_AUDIT_WRITE, only argument-filtered.
        let v = serde_json::to_value(&s).unwrap();
        assert!(v["syscalls"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|r| r["names"][0] == "socket")
            .all(|r| r["args"].is_array()));
    }

    /// The built-in profile allows nothing that the distribution's default
    /// profile refuses to a default container.
    #[test]
    fn builtin_is_at_least_as_strict_as_the_system_profile() {
        let path = Path::new("/usr/share/containers/seccomp.json");
        if !path.exists() || std::env::consts::ARCH != "x86_64" {
            eprintln!("no system profile on this host; skipping the comparison");
            return;
        }
        let target = Target::host();
        let caps = caps(crate::spec::DEFAULT_CAPABILITIES);
        let system = Profile::load(path)
            .unwrap()
            .resolve(&caps, &target)
            .unwrap();
        let sys_allowed = names_with(&system, "SCMP_ACT_ALLOW");
        let ours = Profile::builtin().resolve(&caps, &target).unwrap();
        let v = serde_json::to_value(&ours).unwrap();
        for rule in v["syscalls"].as_array().unwrap() {
            if rule["action"] != "SCMP_ACT_ALLOW" || rule["args"].is_array() {
                continue;
            }
            for name in rule["names"].as_array().unwrap() {
                let name = name.as_str().unwrap().to_string();
                assert!(
                    sys_allowed.contains(&name),
                    "the built-in profile allows {name}, the system profile does not"
                );
            }
        }
    }
}
