#!/usr/bin/env bash
# Rootless, side by side: rpod and rootless Podman run by the same
# unprivileged user (made here with useradd and removed at the end) on the
# same busybox image, in one run.
#
#   bench/rootless.sh       # as root; needs hyperfine, podman, uidmap, passt,
#                           # slirp4netns, curl, busybox-static
#
# Cases: run --rm IMG true (--network none, and each engine's default
# network: pasta for rpod, slirp4netns for Podman 4.3), run -d, and a
# published-port round trip (curl of a 64 KiB file from a container's
# httpd). RPOD=path/to/rpod measures that binary; RUNS=N sets the count.
set -euo pipefail
cd "$(dirname "$0")/.."
[ "$(id -u)" = 0 ] || { echo "run as root" >&2; exit 1; }
for tool in hyperfine podman newuidmap pasta slirp4netns curl; do
    command -v "$tool" >/dev/null || { echo "missing $tool" >&2; exit 1; }
done
if [ -z "${RPOD:-}" ]; then
    cargo build --release --locked --bins >/dev/null
    RPOD="$PWD/target/release/rpod"
fi
[ -c /dev/net/tun ] && chmod 0666 /dev/net/tun

user="rpodbench$$"
useradd -m -s /bin/sh "$user"
uid=$(id -u "$user")
work=$(mktemp -d /tmp/rpod-bench-rootless.XXXXXX)
chmod 755 "$work"
install -d -o "$user" -m 700 "$work/run"
install -d -o "$user" -m 755 "$work/out"
as_user() { runuser -u "$user" -- env -i HOME="$(getent passwd "$user" | cut -d: -f6)" USER="$user" \
    PATH=/usr/local/bin:/usr/bin:/bin:/usr/sbin:/sbin XDG_RUNTIME_DIR="$work/run" \
    CONTAINERS_CONF="$work/containers.conf" "$@"; }
cleanup() {
    as_user "$RPOD" rm -af -t 0 >/dev/null 2>&1 || true
    as_user podman --storage-driver vfs rm -af -t 0 >/dev/null 2>&1 || true
    as_user "$RPOD" system migrate >/dev/null 2>&1 || true
    as_user podman --storage-driver vfs system migrate >/dev/null 2>&1 || true
    for pid in $(ps -o pid= -u "$user"); do kill -9 "$pid" 2>/dev/null || true; done
    userdel -f -r "$user" >/dev/null 2>&1 || true
    rm -rf "$work"
}
trap cleanup EXIT

printf '%s\n' '[containers]' 'default_ulimits=["nofile=1024:1024","nproc=5000:5000"]' \
    '[network]' 'network_backend="netavark"' '[engine]' 'runtime="runc"' \
    'cgroup_manager="cgroupfs"' 'events_logger="file"' \
    'helper_binaries_dir=["/usr/lib/podman","/usr/libexec/podman"]' >"$work/containers.conf"
chmod 644 "$work/containers.conf"
scripts/busybox-rootfs.sh "$work/busybox.tar"
chmod 644 "$work/busybox.tar"
mkdir -p "$work/www" && head -c 65536 /dev/urandom >"$work/www/file" && chmod -R a+rX "$work/www"

R="$RPOD"
P="podman --storage-driver vfs"
as_user $R import "$work/busybox.tar" localhost/busybox >/dev/null
as_user $P import "$work/busybox.tar" localhost/busybox >/dev/null 2>&1

results="$work/results.md"
echo "| Command | Mean [ms] | Min [ms] | Max [ms] | Relative |" >"$results"
echo "|:---|---:|---:|---:|---:|" >>"$results"
hf() {
    as_user hyperfine --style none --export-markdown "$work/out/$1.md" --warmup 3 --runs "${RUNS:-20}" -N "${@:2}" >/dev/null
    tail -n +3 "$work/out/$1.md" >>"$results"
}
hf none \
    -n "rpod run --rm --network none true" "$R run --rm --network none localhost/busybox true" \
    -n "podman run --rm --network none true" "$P run --rm --network none localhost/busybox true"
hf default \
    -n "rpod run --rm true (pasta)" "$R run --rm localhost/busybox true" \
    -n "podman run --rm true (slirp4netns)" "$P run --rm localhost/busybox true"
hf rund \
    -n "rpod run -d --network none sleep" "$R run -d --network none localhost/busybox sleep 1000" \
    -n "podman run -d --network none sleep" "$P run -d --network none localhost/busybox sleep 1000"
as_user $R rm -af -t 0 >/dev/null; as_user $P rm -af -t 0 >/dev/null 2>&1

rport=$(python3 -c 'import socket;s=socket.socket();s.bind(("127.0.0.1",0));print(s.getsockname()[1])')
pport=$(python3 -c 'import socket;s=socket.socket();s.bind(("127.0.0.1",0));print(s.getsockname()[1])')
as_user $R run -d -p "$rport:80" -v "$work/www:/www:ro" localhost/busybox httpd -f -p 80 -h /www >/dev/null
as_user $P run -d -p "$pport:80" -v "$work/www:/www:ro" localhost/busybox httpd -f -p 80 -h /www >/dev/null 2>&1
for port in "$rport" "$pport"; do
    for _ in $(seq 50); do curl -sf -o /dev/null "http://127.0.0.1:$port/file" && break; sleep 0.1; done
done
hf port \
    -n "rpod published port: curl 64 KiB (pasta)" "curl -sf -o /dev/null http://127.0.0.1:$rport/file" \
    -n "podman published port: curl 64 KiB (slirp4netns + rootlessport)" "curl -sf -o /dev/null http://127.0.0.1:$pport/file"

cat "$results"
# Ratios rpod/podman of consecutive pairs of rows.
awk -F'|' 'NR > 2 { gsub(/ /, "", $3); split($3, m, "±"); v[NR] = m[1]; n[NR] = $2 }
    END { for (i = 3; i <= NR; i += 2) printf "ratio %s: %.2f\n", n[i], v[i] / v[i+1] }' "$results"
