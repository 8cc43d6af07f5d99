#!/bin/sh
# Image transfer benchmark: rpod vs Podman vs skopeo against one local registry, in one run.
#
#   bench/images.sh            (root; needs podman, skopeo, docker-registry, python3, GNU tar)
#
# Builds a 5-layer image of ~200 MB of random data, pushes it to a docker-registry on
# 127.0.0.1, then measures: pull (rpod, podman, skopeo copy to an oci dir), load of its
# docker-archive (rpod, podman), and extraction of one 40 MB layer vs GNU tar -x: the
# store's extractor alone (the storage crate's `extract` example; it also computes the diff
# ID) and the whole `rpod load` of a one-layer OCI directory. Prints seconds (hyperfine means of RUNS
# runs, default 3, each on fresh private storage) and ratios. Leaves nothing behind.
set -eu
cd "$(dirname "$0")/.."
cargo build --release --bins -q
cargo build --release -q -p rpod-storage --example extract
EXTRACT="$PWD/target/release/examples/extract"
RPOD="$PWD/target/release/rpod"
RUNS=${RUNS:-3}
W=$(mktemp -d /tmp/rpod-bench-images.XXXXXX)
REG_PID=""
IMG=""
cleanup() {
    if [ -n "$REG_PID" ]; then kill "$REG_PID" 2>/dev/null || true; fi
    rm -rf "$W"
}
trap cleanup EXIT INT TERM
PORT=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
cat > "$W/reg.yml" <<CONF
version: 0.1
log: {level: error, accesslog: {disabled: true}}
storage: {filesystem: {rootdirectory: $W/regdata}}
http: {addr: 127.0.0.1:$PORT, secret: bench}
CONF
docker-registry serve "$W/reg.yml" 2>"$W/reg.log" &
REG_PID=$!
while ! python3 -c "import socket; socket.create_connection(('127.0.0.1',$PORT))" 2>/dev/null; do sleep 0.1; done
IMG="127.0.0.1:$PORT/bench/big:latest"

# rpod and Podman each get private storage under $W (Podman with its configured driver).
touch "$W/rpod.conf"
R="$RPOD --root $W/r/root --runroot $W/r/run --config $W/rpod.conf"
P="podman --root $W/p/root --runroot $W/p/run"
WIPE_R="rm -rf $W/r"
WIPE_P="$P rmi -af >/dev/null 2>&1; rm -rf $W/p"

# 5 layers × 40 MB of random data (incompressible), built as a docker-archive with python.
python3 - "$W" <<'PY'
import hashlib, io, json, os, sys, tarfile
w = sys.argv[1]
layers, diff_ids = [], []
os.makedirs(f"{w}/img", exist_ok=True)
for i in range(5):
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w", format=tarfile.PAX_FORMAT) as t:
        for j in range(4):
            data = os.urandom(10 << 20)
            info = tarfile.TarInfo(f"layer{i}/blob{j}"); info.size = len(data); info.mtime = 0
            t.addfile(info, io.BytesIO(data))
    raw = buf.getvalue()
    h = hashlib.sha256(raw).hexdigest()
    open(f"{w}/img/{h}.tar", "wb").write(raw)
    layers.append(f"{h}.tar"); diff_ids.append(f"sha256:{h}")
cfg = json.dumps({"architecture": "amd64", "os": "linux", "config": {"Cmd": ["sh"]},
                  "rootfs": {"type": "layers", "diff_ids": diff_ids},
                  "history": [{"created_by": "bench"}] * 5}).encode()
ch = hashlib.sha256(cfg).hexdigest()
open(f"{w}/img/{ch}.json", "wb").write(cfg)
json.dump([{"Config": f"{ch}.json", "RepoTags": ["localhost/bench:latest"], "Layers": layers}],
          open(f"{w}/img/manifest.json", "w"))
PY
tar -C "$W/img" -cf "$W/big.tar" .
$RPOD --root "$W/seed/root" --runroot "$W/seed/run" --config "$W/rpod.conf" load -q -i "$W/big.tar" >/dev/null
$RPOD --root "$W/seed/root" --runroot "$W/seed/run" --config "$W/rpod.conf" push -q --tls-verify=false localhost/bench:latest "$IMG"

# Extraction of one 40 MB layer: rpod (load of a one-layer OCI layout) vs GNU tar.
LAYER=$(ls "$W/img"/*.tar | head -1)
mkdir -p "$W/one/blobs/sha256"
python3 - "$W" "$LAYER" <<'PY'
import hashlib, json, shutil, sys
w, layer = sys.argv[1], sys.argv[2]
raw = open(layer, "rb").read(); h = hashlib.sha256(raw).hexdigest()
shutil.copy(layer, f"{w}/one/blobs/sha256/{h}")
cfg = json.dumps({"architecture": "amd64", "os": "linux", "rootfs": {"type": "layers", "diff_ids": [f"sha256:{h}"]}, "history": []}).encode()
ch = hashlib.sha256(cfg).hexdigest(); open(f"{w}/one/blobs/sha256/{ch}", "wb").write(cfg)
m = json.dumps({"schemaVersion": 2, "mediaType": "application/vnd.oci.image.manifest.v1+json",
    "config": {"mediaType": "application/vnd.oci.image.config.v1+json", "digest": f"sha256:{ch}", "size": len(cfg)},
    "layers": [{"mediaType": "application/vnd.oci.image.layer.v1.tar", "digest": f"sha256:{h}", "size": len(raw)}]}).encode()
mh = hashlib.sha256(m).hexdigest(); open(f"{w}/one/blobs/sha256/{mh}", "wb").write(m)
json.dump({"schemaVersion": 2, "manifests": [{"mediaType": "application/vnd.oci.image.manifest.v1+json", "digest": f"sha256:{mh}", "size": len(m)}]}, open(f"{w}/one/index.json", "w"))
open(f"{w}/one/oci-layout", "w").write('{"imageLayoutVersion":"1.0.0"}')
PY

echo "image: 5 layers, $(du -m "$W/big.tar" | cut -f1) MB; registry 127.0.0.1:$PORT; $RUNS runs each (hyperfine, mean)"
# hyperfine: fresh storage before every run (--prepare), mean seconds exported as JSON.
hf() { # name prepare command
    hyperfine -N --runs "$RUNS" --style none --prepare "sh -c '$2'" --export-json "$W/$1.json" "$3" >/dev/null 2>&1 \
        || { echo "benchmark $1 failed: $3" >&2; exit 1; }
    python3 -c "import json,sys; print('%.3f' % json.load(open(sys.argv[1]))['results'][0]['mean'])" "$W/$1.json"
}
P_RPOD=$(hf pull-rpod "$WIPE_R" "$R pull -q --tls-verify=false $IMG")
P_PODMAN=$(hf pull-podman "$WIPE_P" "$P pull -q --tls-verify=false $IMG")
P_SKOPEO=$(hf pull-skopeo "rm -rf $W/skopeo-oci" "skopeo copy -q --src-tls-verify=false docker://$IMG oci:$W/skopeo-oci:big")
L_RPOD=$(hf load-rpod "$WIPE_R" "$R load -q -i $W/big.tar")
L_PODMAN=$(hf load-podman "$WIPE_P" "$P load -q -i $W/big.tar")
X_RPOD=$(hf extract-rpod "$WIPE_R" "$R load -q -i $W/one")
X_ONLY=$(hf extract-only "rm -rf $W/rx" "$EXTRACT $LAYER $W/rx")
X_TAR=$(hf extract-tar "rm -rf $W/tarx; mkdir -p $W/tarx" "tar -C $W/tarx -xf $LAYER")
sh -c "$WIPE_R; $WIPE_P"

ratio() { echo "scale=2; $1 / $2" | bc; }
printf '%-34s %8s %8s %8s\n' "" rpod podman skopeo
printf '%-34s %8.2f %8.2f %8.2f   rpod/podman %s  rpod/skopeo %s\n' "pull 5 layers (s)" "$P_RPOD" "$P_PODMAN" "$P_SKOPEO" "$(ratio "$P_RPOD" "$P_PODMAN")" "$(ratio "$P_RPOD" "$P_SKOPEO")"
printf '%-34s %8.2f %8.2f %8s   rpod/podman %s\n' "load docker-archive (s)" "$L_RPOD" "$L_PODMAN" "-" "$(ratio "$L_RPOD" "$L_PODMAN")"
printf '%-34s %8.2f %8s %8s   rpod/tar %s (GNU tar -x: %.3f s)\n' "extract one 40 MB layer (s)" "$X_ONLY" "-" "-" "$(ratio "$X_ONLY" "$X_TAR")" "$X_TAR"
printf '%-34s %8.2f %8s %8s   rpod/tar %s (whole load: digest checks, blob copy, fsyncs)\n' "load of that one-layer OCI dir (s)" "$X_RPOD" "-" "-" "$(ratio "$X_RPOD" "$X_TAR")"
