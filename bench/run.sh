#!/usr/bin/env bash
# Side-by-side benchmarks of rpod and Podman (Debian's podman 4.3, configured
# as the environment notes say) on the same busybox image, in one run.
#
#   bench/run.sh            # needs root, hyperfine, podman, runc, busybox-static
#
# Prints a table of means and the rpod/Podman ratio for each case:
#   run --rm IMG true, run -d, a bare `runc run` of the same bundle,
#   create x200, ps -a with 200 containers, rm -a of 100 created containers,
#   stop -a -t 0 of 10 running ones, and the RSS of rpod-monitor vs conmon.
#   RPOD=path/to/rpod measures that binary instead of building one (for
#   before/after figures); RUNS=N sets hyperfine's run count.
set -euo pipefail
cd "$(dirname "$0")/.."
[ "$(id -u)" = 0 ] || { echo "run as root" >&2; exit 1; }
for tool in hyperfine podman runc; do
    command -v "$tool" >/dev/null || { echo "missing $tool (apt-get install $tool)" >&2; exit 1; }
done

if [ -z "${RPOD:-}" ]; then
    cargo build --release --locked --bins >/dev/null
    RPOD="$PWD/target/release/rpod"
fi
work=$(mktemp -d /tmp/rpod-bench.XXXXXX)
cleanup() {
    "$RPOD" --root "$work/r" --runroot "$work/rr" rm -af -t 0 >/dev/null 2>&1 || true
    podman --root "$work/p" --runroot "$work/pr" rm -af -t 0 >/dev/null 2>&1 || true
    # Twice: mounts stacked on podman's overlay directory can survive one pass.
    for _ in 1 2; do
        grep -o "$work[^ ]*" /proc/self/mounts | sort -r | xargs -r -n1 umount -l 2>/dev/null || true
    done
    rm -rf "$work"
}
trap cleanup EXIT

# Podman with the settings this host needs (runc, netavark, rlimits it can set).
printf '%s\n' '[containers]' 'default_ulimits=["nofile=1024:1024","nproc=5000:5000"]' \
    '[network]' 'network_backend="netavark"' '[engine]' 'runtime="runc"' \
    'cgroup_manager="cgroupfs"' 'events_logger="file"' \
    'helper_binaries_dir=["/usr/lib/podman","/usr/libexec/podman"]' >"$work/containers.conf"
export CONTAINERS_CONF="$work/containers.conf"
: >"$work/rpod.conf"
R=("$RPOD" --root "$work/r" --runroot "$work/rr" --config "$work/rpod.conf" --events-backend file)
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

hf rund \
    -n "rpod run -d --network none sleep" "${R[*]} run -d --network none busybox sleep 1000" \
    -n "podman run -d --network none sleep" "${P[*]} run -d --network none busybox sleep 1000"
"${R[@]}" rm -af -t 0 >/dev/null; "${P[@]}" rm -af -t 0 >/dev/null 2>&1

# rm -a of 100 created containers and stop -a -t 0 of 10 running ones, each
# prepared untimed, mean of 3 rounds in nanoseconds.
batch() { # engine-array-name count prepare-args... -- command...
    local -n eng=$1; local n=$2; shift 2
    local prep=(); while [ "$1" != -- ]; do prep+=("$1"); shift; done; shift
    local total=0 s t
    for round in 1 2 3; do
        for i in $(seq "$n"); do "${eng[@]}" "${prep[@]}" >/dev/null 2>&1; done
        s=$(date +%s%N); "${eng[@]}" "$@" >/dev/null 2>&1; t=$(date +%s%N)
        total=$((total + t - s))
        "${eng[@]}" rm -af -t 0 >/dev/null 2>&1
    done
    echo $((total / 3))
}
row() { # label rpod-ns podman-ns
    echo "| $1 | rpod $(awk "BEGIN{printf \"%.1f\", $2/1e6}") ms | podman $(awk "BEGIN{printf \"%.1f\", $3/1e6}") ms | ratio $(awk "BEGIN{printf \"%.2f\", $2/$3}") | |" >> "$results"
}
row "rm -a of 100 created" "$(batch R 100 create --network none busybox true -- rm -a)" \
    "$(batch P 100 create --network none busybox true -- rm -a)"
row "stop -a -t 0 of 10 running" "$(batch R 10 run -d --network none busybox sleep 1000 -- stop -a -t 0)" \
    "$(batch P 10 run -d --network none busybox sleep 1000 -- stop -a -t 0)"

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
