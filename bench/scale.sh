#!/usr/bin/env bash
# How rpod and Podman scale with the number of containers, in one run:
# with 10, 100 and 1,000 created containers, the time of `ps -a`,
# `inspect` of one, one more `create` and one `rm` (each the median of
# several runs), side by side with Podman, and the ratio.
#
#   bench/scale.sh          # needs root, hyperfine, podman; SIZES="10 100 1000"
#   RPOD=path/to/rpod bench/scale.sh   # measure that binary instead of building
set -euo pipefail
cd "$(dirname "$0")/.."
[ "$(id -u)" = 0 ] || { echo "run as root" >&2; exit 1; }
for tool in hyperfine podman; do
    command -v "$tool" >/dev/null || { echo "missing $tool (apt-get install $tool)" >&2; exit 1; }
done
if [ -z "${RPOD:-}" ]; then
    cargo build --release --locked --bins >/dev/null
    RPOD="$PWD/target/release/rpod"
fi
work=$(mktemp -d /tmp/rpod-scale.XXXXXX)
cleanup() {
    "$RPOD" --root "$work/r" --runroot "$work/rr" --config "$work/rpod.conf" rm -af -t 0 >/dev/null 2>&1 || true
    podman --root "$work/p" --runroot "$work/pr" rm -af -t 0 >/dev/null 2>&1 || true
    rm -rf "$work"
}
trap cleanup EXIT
printf '%s\n' '[containers]' 'default_ulimits=["nofile=1024:1024","nproc=5000:5000"]' \
    '[network]' 'network_backend="netavark"' '[engine]' 'runtime="runc"' \
    'cgroup_manager="cgroupfs"' 'events_logger="file"' \
    'helper_binaries_dir=["/usr/lib/podman","/usr/libexec/podman"]' >"$work/containers.conf"
export CONTAINERS_CONF="$work/containers.conf"
: >"$work/rpod.conf"
R="$RPOD --root $work/r --runroot $work/rr --config $work/rpod.conf"
P="podman --root $work/p --runroot $work/pr"
scripts/busybox-rootfs.sh "$work/busybox.tar" >/dev/null
$R import "$work/busybox.tar" busybox >/dev/null
$P import "$work/busybox.tar" busybox >/dev/null 2>&1
$R create --name probe --network none busybox true >/dev/null
$P create --name probe --network none busybox true >/dev/null

median() { # command... -> median in ms
    hyperfine -N --style none --runs "${RUNS:-10}" --warmup 1 --export-json "$work/h.json" "$*" >/dev/null 2>&1
    python3 -c "import json,sys; print('%.1f' % (json.load(open('$work/h.json'))['results'][0]['median']*1000))"
}
one_shot() { # command... -> ms of one run
    local s t; s=$(date +%s%N); "$@" >/dev/null 2>&1; t=$(date +%s%N)
    awk "BEGIN{printf \"%.1f\", ($t-$s)/1e6}"
}
echo "| containers | operation | rpod [ms] | podman [ms] | rpod/podman |"
echo "|---:|:---|---:|---:|---:|"
have=1
for n in ${SIZES:-10 100 1000}; do
    while [ "$have" -lt "$n" ]; do
        $R create --network none busybox true >/dev/null
        $P create --network none busybox true >/dev/null
        have=$((have + 1))
    done
    for op in "ps -a" "inspect probe"; do
        r=$(median $R $op); p=$(median $P $op)
        echo "| $n | $op | $r | $p | $(awk "BEGIN{printf \"%.2f\", $r/$p}") |"
    done
    r=$(one_shot $R create --name extra --network none busybox true); p=$(one_shot $P create --name extra --network none busybox true)
    echo "| $n | create | $r | $p | $(awk "BEGIN{printf \"%.2f\", $r/$p}") |"
    r=$(one_shot $R rm extra); p=$(one_shot $P rm extra)
    echo "| $n | rm | $r | $p | $(awk "BEGIN{printf \"%.2f\", $r/$p}") |"
done
