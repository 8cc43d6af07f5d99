#!/usr/bin/env bash
# The cost of a container's network, rpod and Podman side by side in one run:
# `run --rm busybox true` on the default bridge network (a namespace, a veth
# on the bridge, firewall rules, all through netavark) and with --network
# none, for both engines; the extra cost of the network is the difference.
#
#   bench/network.sh        # root; needs hyperfine, podman, netavark, runc, busybox-static
#
# RUNS=N sets hyperfine's run count (default 30).
set -euo pipefail
cd "$(dirname "$0")/.."
[ "$(id -u)" = 0 ] || { echo "run as root" >&2; exit 1; }
for tool in hyperfine podman runc; do
    command -v "$tool" >/dev/null || { echo "missing $tool (apt-get install $tool)" >&2; exit 1; }
done

cargo build --release --locked --bins >/dev/null
RPOD="$PWD/target/release/rpod"
work=$(mktemp -d /tmp/rpod-bench-net.XXXXXX)
R=("$RPOD" --root "$work/r" --runroot "$work/rr" --events-backend file)
P=(podman --root "$work/p" --runroot "$work/pr" --events-backend file)
cleanup() {
    "${R[@]}" rm -af -t 0 >/dev/null 2>&1 || true
    "${P[@]}" rm -af -t 0 >/dev/null 2>&1 || true
    # Twice: mounts stacked on podman's overlay directory can survive one pass.
    for _ in 1 2; do
        grep -o "$work[^ ]*" /proc/self/mounts | sort -r | xargs -r -n1 umount -l 2>/dev/null || true
    done
    rm -rf "$work"
}
trap cleanup EXIT
scripts/busybox-rootfs.sh "$work/busybox.tar"
"${R[@]}" import "$work/busybox.tar" busybox >/dev/null
"${P[@]}" import "$work/busybox.tar" busybox >/dev/null 2>&1

results="$work/results.md"
hyperfine --style none --export-markdown "$results" --warmup 3 --runs "${RUNS:-30}" -N \
    -n "rpod run --rm (bridge)" "${R[*]} run --rm busybox true" \
    -n "rpod run --rm --network none" "${R[*]} run --rm --network none busybox true" \
    -n "podman run --rm (bridge)" "${P[*]} run --rm busybox true" \
    -n "podman run --rm --network none" "${P[*]} run --rm --network none busybox true" \
    --export-json "$work/results.json" >/dev/null
cat "$results"
# The network's extra cost per engine: bridge mean minus none mean.
python3 - "$work/results.json" <<'PY' 2>/dev/null || true
import json, sys
r = {x["command"]: x["mean"] * 1000 for x in json.load(open(sys.argv[1]))["results"]}
rp = r["rpod run --rm (bridge)"] - r["rpod run --rm --network none"]
pp = r["podman run --rm (bridge)"] - r["podman run --rm --network none"]
print(f"\nextra cost of the bridge network: rpod {rp:.1f} ms, podman {pp:.1f} ms")
PY
