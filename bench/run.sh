#!/usr/bin/env bash
# Side-by-side benchmarks of rpod and Podman (Debian's podman 4.3, configured
# as the environment notes say) on the same busybox image, in one run.
#
#   bench/run.sh            # needs root, hyperfine, podman, runc, busybox-static
#
# Prints a table of means and the rpod/Podman ratio for each case:
#   run --rm IMG true, a bare `runc run` of the same bundle, create x200,
#   ps -a with 200 containers, and the RSS of rpod-monitor vs conmon.
set -euo pipefail
cd "$(dirname "$0")/.."
[ "$(id -u)" = 0 ] || { echo "run as root" >&2; exit 1; }
for tool in hyperfine podman runc; do
    command -v "$tool" >/dev/null || { echo "missing $tool (apt-get install $tool)" >&2; exit 1; }
done

cargo build --release --locked --bins >/dev/null
RPOD="$PWD/target/release/rpod"
work=$(mktemp -d /tmp/rpod-bench.XXXXXX)
cleanup() {
    "$RPOD" --root "$work/r" --runroot "$work/rr" rm -af -t 0 >/dev/null 2>&1 || true
    podman --root "$work/p" --runroot "$work/pr" rm -af -t 0 >/dev/null 2>&1 || true
    grep -o "$work[^ ]*" /proc/self/mounts | sort -r | xargs -r -n1 umount -l 2>/dev/null || true
    rm -rf "$work"
}
trap cleanup EXIT

R=("$RPOD" --root "$work/r" --runroot "$work/rr" --events-backend file)
P=(podman --root "$work/p" --runroot "$work/pr" --events-backend file)
scripts/busybox-rootfs.sh "$work/busybox.tar"
"${R[@]}" import "$work/busybox.tar" busybox >/dev/null
"${P[@]}" import "$work/busybox.tar" busybox >/dev/null 2>&1

# A bare runc bundle of the same rootfs, for the floor.
mkdir -p "$work/bundle/rootfs"
tar -C "$work/bundle/rootfs" -xf "$work/busybox.tar"
(cd "$work/bundle" && runc spec && sed -i 's/"terminal": true/"terminal": false/; s/"sh"/"true"/' config.json)

results="$work/results.md"
hf() { hyperfine --style none --export-markdown "$work/$1.md" --warmup 3 --runs "${RUNS:-30}" -N "${@:2}" >/dev/null; tail -n +3 "$work/$1.md" >> "$results"; }
echo "| Command | Mean [ms] | Min [ms] | Max [ms] | Relative |" > "$results"
echo "|:---|---:|---:|---:|---:|" >> "$results"

hf run \
    -n "rpod run --rm --network none true" "${R[*]} run --rm --network none busybox true" \
    -n "podman run --rm --network none true" "${P[*]} run --rm --network none busybox true" \
    -n "runc run (bare bundle)" "runc --root $work/runc run -b $work/bundle bench-bare"

# create x200 and ps -a over 200 containers.
t0=$(date +%s%N); for i in $(seq 200); do "${R[@]}" create --network none busybox true >/dev/null; done; t1=$(date +%s%N)
for i in $(seq 200); do "${P[@]}" create --network none busybox true >/dev/null; done; t2=$(date +%s%N)
echo "| create x200 (mean per create) | rpod $(awk "BEGIN{printf \"%.1f\", ($t1-$t0)/200/1e6}") ms | podman $(awk "BEGIN{printf \"%.1f\", ($t2-$t1)/200/1e6}") ms | ratio $(awk "BEGIN{printf \"%.2f\", ($t1-$t0)/($t2-$t1)}") | |" >> "$results"
hf ps \
    -n "rpod ps -a (200)" "${R[*]} ps -a" \
    -n "podman ps -a (200)" "${P[*]} ps -a"
"${R[@]}" rm -af -t 0 >/dev/null; "${P[@]}" rm -af -t 0 >/dev/null 2>&1

# Monitor RSS: one sleeping container each.
"${R[@]}" run -d --network none --name rss busybox sleep 300 >/dev/null
"${P[@]}" run -d --network none --name rss busybox sleep 300 >/dev/null
mon=$("${R[@]}" inspect rss --format '{{.State.ConmonPid}}')
con=$("${P[@]}" inspect rss --format '{{.State.ConmonPid}}')
mrss=$(awk '/VmRSS/{print $2}' "/proc/$mon/status"); crss=$(awk '/VmRSS/{print $2}' "/proc/$con/status")
echo "| monitor RSS | rpod-monitor ${mrss} KiB | conmon ${crss} KiB | ratio $(awk "BEGIN{printf \"%.2f\", $mrss/$crss}") | |" >> "$results"

cat "$results"
