#!/usr/bin/env bash
# Prints a table of what a process sees inside default, --privileged and
# --security-opt containers, rpod side by side with the installed podman.
# Run as root from the repository, after `cargo build` (or with RPOD=path).
set -euo pipefail
cd "$(dirname "$0")/.."
RPOD=${RPOD:-target/debug/rpod}
work=$(mktemp -d /tmp/rpod-probes.XXXXXX)
trap 'podman_cmd rm -af -t 0 >/dev/null 2>&1 || true; "$RPOD" --root "$work/r" --runroot "$work/rr" --config "$work/rpod.conf" rm -af -t 0 >/dev/null 2>&1 || true; rm -rf "$work"' EXIT

cat >"$work/containers.conf" <<'EOF'
[containers]
default_ulimits=["nofile=1024:1024","nproc=5000:5000"]
[network]
network_backend="netavark"
[engine]
runtime="runc"
cgroup_manager="cgroupfs"
events_logger="file"
helper_binaries_dir=["/usr/lib/podman","/usr/libexec/podman"]
EOF
: >"$work/rpod.conf"
podman_cmd() { CONTAINERS_CONF="$work/containers.conf" podman --root "$work/p" --runroot "$work/pr" --storage-driver vfs "$@"; }
rpod_cmd() { "$RPOD" --root "$work/r" --runroot "$work/rr" --config "$work/rpod.conf" "$@"; }

mkdir -p "$work/bin"
cc -static -O2 -o "$work/bin/probe" crates/rpod/tests/probe/syscalls.c
sh scripts/busybox-rootfs.sh "$work/img.tar" >/dev/null
tar -rf "$work/img.tar" -C "$work/bin" probe
podman_cmd import -q "$work/img.tar" probe >/dev/null
rpod_cmd import -q "$work/img.tar" probe >/dev/null

probe_script='
s() { grep "^$1:" /proc/self/status | cut -f2; }
echo "Seccomp|$(s Seccomp)"
echo "NoNewPrivs|$(s NoNewPrivs)"
echo "CapEff|$(s CapEff)"
/probe | sed "s/=/|/"
echo "pids.max|$(cat /sys/fs/cgroup/pids/pids.max)"
echo "ulimit -n|$(ulimit -n)"
echo "/dev noexec|$(grep -c " /dev tmpfs .*noexec" /proc/self/mounts)"
echo "/sys|$(grep " /sys sysfs" /proc/self/mounts | cut -d" " -f4 | cut -d, -f1)"
echo "/proc/sys read-only|$(grep -c " /proc/sys proc ro" /proc/self/mounts)"
echo "/proc/keys masked|$(grep -c " /proc/keys " /proc/self/mounts)"
echo "devices in /dev|$(find /dev -maxdepth 1 \( -type c -o -type b \) | wc -l)"
'
row_set() { # engine, flags...
    local engine=$1; shift
    if [ "$engine" = podman ]; then podman_cmd run --rm --network none "$@" probe sh -c "$probe_script"
    else rpod_cmd run --rm --network none "$@" probe sh -c "$probe_script"; fi
}
table() { # title, flags...
    local title=$1; shift
    echo
    echo "### $title"
    echo
    echo "| probe | podman | rpod |"
    echo "|---|---|---|"
    join -t'|' <(row_set podman "$@" | sort -t'|' -k1,1) <(row_set rpod "$@" | sort -t'|' -k1,1) |
        awk -F'|' '{ printf "| %s | %s | %s |\n", $1, $2, $3 }'
}
table "default" 
table "--privileged" --privileged
table "--security-opt no-new-privileges --security-opt seccomp=unconfined" --security-opt no-new-privileges --security-opt seccomp=unconfined
table "--security-opt unmask=ALL --cap-drop ALL" --security-opt unmask=ALL --cap-drop ALL
