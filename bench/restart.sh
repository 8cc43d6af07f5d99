#!/usr/bin/env bash
# Issue figures for restart policies and health checks, rpod and Podman side
# by side in one run:
#   - time from a container's exit to its next start under --restart always
#     (the container prints a line at each start and exits 1 after SLEEP
#     seconds; the gap between the log timestamps of the first two starts,
#     minus SLEEP, is the restart latency, measured before any back-off grows);
#   - rpod-monitor's RSS while a health check runs every second, next to
#     conmon's for the same container under Podman (which needs systemd timers
#     for health checks; without systemd Podman's checks do not run at all).
#
#   bench/restart.sh        # root; needs podman, runc, busybox-static
set -euo pipefail
cd "$(dirname "$0")/.."
[ "$(id -u)" = 0 ] || { echo "run as root" >&2; exit 1; }
cargo build --release --locked --bins >/dev/null
RPOD="$PWD/target/release/rpod"
work=$(mktemp -d /tmp/rpod-bench-restart.XXXXXX)
R=("$RPOD" --root "$work/r" --runroot "$work/rr")
P=(podman --root "$work/p" --runroot "$work/pr")
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

SLEEP=1
cmd=(sh -c "echo started; sleep $SLEEP; exit 1")
"${R[@]}" run -d --network none --name r --restart always busybox "${cmd[@]}" >/dev/null
"${P[@]}" run -d --network none --name r --restart always busybox "${cmd[@]}" >/dev/null
sleep $((SLEEP * 2 + 2))
# Milliseconds between the first two log timestamps, minus SLEEP.
gap() {
    python3 -c '
import sys, datetime
def t(s):
    s = s.split()[0].replace("Z", "+00:00")
    head, _, frac = s.partition(".")
    digits = "".join(c for c in frac if c.isdigit())
    tz = frac[len(digits):]
    return datetime.datetime.fromisoformat(head + "." + digits[:6].ljust(6, "0") + tz).timestamp()
lines = [l for l in sys.stdin if l.strip()]
print(round((t(lines[1]) - t(lines[0]) - float(sys.argv[1])) * 1000))
' "$SLEEP"
}
rg=$("${R[@]}" logs -t r | gap); pg=$("${P[@]}" logs -t r | gap)
"${R[@]}" stop -t 0 r >/dev/null; "${P[@]}" stop -t 0 r >/dev/null

"${R[@]}" run -d --network none --name h --health-cmd true --health-interval 1s busybox sleep 300 >/dev/null
"${P[@]}" run -d --network none --name h --health-cmd true --health-interval 1s busybox sleep 300 >/dev/null
sleep 5
mon=$("${R[@]}" inspect h --format '{{.State.ConmonPid}}')
con=$("${P[@]}" inspect h --format '{{.State.ConmonPid}}')
mrss=$(awk '/VmRSS/{print $2}' "/proc/$mon/status"); crss=$(awk '/VmRSS/{print $2}' "/proc/$con/status")
checks=$("${R[@]}" inspect h --format '{{len .State.Health.Log}} {{.State.Health.Status}}')

echo "| figure | rpod | podman | ratio |"
echo "|:---|---:|---:|---:|"
echo "| exit → restart latency (--restart always, ms) | $rg | $pg | $(awk "BEGIN{if ($pg>0) printf \"%.2f\", $rg/$pg; else print \"n/a\"}") |"
echo "| monitor RSS with a 1 s health check (KiB) | $mrss | $crss | $(awk "BEGIN{printf \"%.2f\", $mrss/$crss}") |"
echo "| health results recorded after 5 s (rpod) | $checks | | |"
