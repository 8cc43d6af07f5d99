#!/bin/sh
# Kubernetes YAML benchmark: `kube play` and `kube down` of a 4-container pod,
# rpod vs Podman, in one run.
#
#   bench/kube.sh            (root; needs podman, bc; RUNS=N repeats each case, default 5)
#
# The YAML is one Pod of 4 busybox containers (env, a memory limit, an
# emptyDir shared by all of them, one liveness probe), played with
# `--network none` so that the figures are the engines' own and not netavark's.
# Each run plays the YAML (the pod and its containers are created and
# started) and then downs it (stopped and removed); both are timed. Prints
# the mean seconds of each case for both engines and the ratio rpod/podman.
# Leaves nothing behind.
set -eu
cd "$(dirname "$0")/.."
cargo build --release --bins -q
RPOD="$PWD/target/release/rpod"
RUNS=${RUNS:-5}
W=$(mktemp -d /tmp/rpod-bench-kube.XXXXXX)
cleanup() {
    podman_cmd pod rm -af >/dev/null 2>&1 || true
    podman_cmd rmi -af >/dev/null 2>&1 || true
    rpod_cmd pod rm -af >/dev/null 2>&1 || true
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

{
    printf 'apiVersion: v1\nkind: Pod\nmetadata:\n  name: bench\nspec:\n  containers:\n'
    for i in 1 2 3 4; do
        printf '  - name: c%s\n    image: localhost/busybox:latest\n' "$i"
        printf '    command: ["/bin/sleep", "1000"]\n'
        printf '    env:\n    - name: N\n      value: "%s"\n' "$i"
        printf '    resources:\n      limits:\n        memory: 64Mi\n'
        printf '    volumeMounts:\n    - name: shared\n      mountPath: /shared\n'
        if [ "$i" = 1 ]; then
            printf '    livenessProbe:\n      exec:\n        command: ["/bin/true"]\n      periodSeconds: 60\n'
        fi
    done
    printf '  volumes:\n  - name: shared\n    emptyDir:\n      medium: Memory\n'
} > "$W/pod.yaml"

# one timed run of "$@", in seconds
once() {
    t0=$(date +%s.%N)
    "$@" >/dev/null 2>&1 || { echo "failed: $*" >&2; exit 1; }
    t1=$(date +%s.%N)
    echo "$t1 - $t0" | bc -l
}

for e in podman rpod; do
    # one untimed round first (caches, the pause image of podman)
    "${e}_cmd" kube play --network none "$W/pod.yaml" >/dev/null 2>&1
    "${e}_cmd" kube down "$W/pod.yaml" >/dev/null 2>&1
done
P_PLAY=0 P_DOWN=0 R_PLAY=0 R_DOWN=0
i=0
while [ "$i" -lt "$RUNS" ]; do
    P_PLAY=$(echo "$P_PLAY + $(once podman_cmd kube play --network none "$W/pod.yaml")" | bc -l)
    P_DOWN=$(echo "$P_DOWN + $(once podman_cmd kube down "$W/pod.yaml")" | bc -l)
    R_PLAY=$(echo "$R_PLAY + $(once rpod_cmd kube play --network none "$W/pod.yaml")" | bc -l)
    R_DOWN=$(echo "$R_DOWN + $(once rpod_cmd kube down "$W/pod.yaml")" | bc -l)
    i=$((i + 1))
done

printf '%-6s %10s %10s %8s\n' case podman rpod ratio
for c in PLAY DOWN; do
    eval "p=\$P_$c; r=\$R_$c"
    p=$(echo "scale=3; $p / $RUNS" | bc -l)
    r=$(echo "scale=3; $r / $RUNS" | bc -l)
    printf '%-6s %9ss %9ss %7sx\n' "$(echo $c | tr A-Z a-z)" "$p" "$r" "$(echo "scale=2; $r / $p" | bc -l)"
done
