#!/bin/sh
# Build benchmark: `podman build` vs `rpod build`, the same multi-stage Containerfile, in one run.
#
#   bench/build.sh            (root; needs podman, python3; RUNS=N repeats each case, default 3;
#                              RPOD=PATH skips the cargo build and uses that binary)
#
# The Containerfile has 2 stages and 9 steps: a builder stage that copies ~50 MB of context
# (5 files of random data, incompressible) and runs a few commands, and a final stage that
# copies its result with COPY --from, sets ENV/WORKDIR/USER/CMD. Three cases, each on the
# same private storage per engine:
#   cold     --no-cache build (the base image is already imported);
#   cached   a rebuild with nothing changed (every step from the cache);
#   changed  a rebuild after one copied file changed (the steps from that COPY on run again).
# Prints the mean seconds of each case for both engines and the ratio rpod/podman.
# Leaves nothing behind.
set -eu
cd "$(dirname "$0")/.."
# RPOD=PATH uses an rpod binary built beforehand (with rpod-monitor next to it).
if [ -z "${RPOD:-}" ]; then
    cargo build --release --bins -q
    RPOD="$PWD/target/release/rpod"
fi
RUNS=${RUNS:-3}
W=$(mktemp -d /tmp/rpod-bench-build.XXXXXX)
cleanup() {
    podman_cmd rmi -af >/dev/null 2>&1 || true
    rm -rf "$W"
}
trap cleanup EXIT INT TERM

cat > "$W/containers.conf" <<'CONF'
[containers]
default_ulimits=["nofile=1024:1024","nproc=5000:5000"]
[network]
network_backend="netavark"
[engine]
runtime="runc"
cgroup_manager="cgroupfs"
events_logger="file"
helper_binaries_dir=["/usr/lib/podman","/usr/libexec/podman"]
CONF
podman_cmd() {
    CONTAINERS_CONF="$W/containers.conf" podman --root "$W/p/root" --runroot "$W/p/run" "$@"
}
touch "$W/rpod.conf"
rpod_cmd() {
    "$RPOD" --root "$W/r/root" --runroot "$W/r/run" --config "$W/rpod.conf" "$@"
}

sh scripts/busybox-rootfs.sh "$W/busybox.tar" >/dev/null
rpod_cmd import -q "$W/busybox.tar" busybox >/dev/null
podman_cmd import -q "$W/busybox.tar" busybox >/dev/null

CTX="$W/ctx"
mkdir -p "$CTX/data" "$CTX/src"
for i in 1 2 3 4 5; do
    head -c 10485760 /dev/urandom > "$CTX/data/blob$i"
done
printf 'echo built\n' > "$CTX/src/build.sh"
cat > "$CTX/Containerfile" <<'EOF'
FROM busybox AS builder
WORKDIR /work
COPY data/ ./data/
COPY src/build.sh ./
RUN sh build.sh > built.txt && cat data/blob1 data/blob2 | md5sum > sums
FROM busybox
ENV APP=/app
COPY --from=builder /work /app
RUN ls -l /app > /app/listing
CMD ["sh"]
EOF

# mean seconds of running "$@" $RUNS times, with `prepare` run (untimed) before each
mean() {
    prepare=$1
    shift
    total=0
    i=0
    while [ "$i" -lt "$RUNS" ]; do
        eval "$prepare"
        t0=$(date +%s.%N)
        "$@" >/dev/null 2>&1
        t1=$(date +%s.%N)
        total=$(echo "$total + $t1 - $t0" | bc -l)
        i=$((i + 1))
    done
    echo "scale=3; $total / $RUNS" | bc -l
}

# seconds of running "$@" once
once() {
    t0=$(date +%s.%N)
    "$@" >/dev/null 2>&1
    t1=$(date +%s.%N)
    echo "$t1 - $t0" | bc -l
}

touch_blob='head -c 1 /dev/urandom >> "$CTX/data/blob3"'
P_COLD=$(mean : podman_cmd build --no-cache -t bench "$CTX")
R_COLD=$(mean : rpod_cmd build --no-cache -t bench "$CTX")
P_CACHED=$(mean : podman_cmd build -t bench "$CTX")
R_CACHED=$(mean : rpod_cmd build -t bench "$CTX")
# Both engines see each changed file once: change it, build with both.
P_CHANGED=0
R_CHANGED=0
i=0
while [ "$i" -lt "$RUNS" ]; do
    eval "$touch_blob"
    P_CHANGED=$(echo "$P_CHANGED + $(once podman_cmd build -t bench "$CTX")" | bc -l)
    R_CHANGED=$(echo "$R_CHANGED + $(once rpod_cmd build -t bench "$CTX")" | bc -l)
    i=$((i + 1))
done
P_CHANGED=$(echo "scale=3; $P_CHANGED / $RUNS" | bc -l)
R_CHANGED=$(echo "scale=3; $R_CHANGED / $RUNS" | bc -l)

printf '%-10s %10s %10s %8s\n' case podman rpod ratio
for c in COLD CACHED CHANGED; do
    eval "p=\$P_$c; r=\$R_$c"
    printf '%-10s %9ss %9ss %7sx\n' "$(echo $c | tr A-Z a-z)" "$p" "$r" "$(echo "scale=2; $r / $p" | bc -l)"
done
