#!/usr/bin/env bash
# REST API benchmark: rpod system service vs podman system service (Debian's
# podman 4.3, /etc/containers/containers.conf), side by side in one run.
#
#   bench/api.sh            # needs root, podman, python3
#
# Measures, on each engine's own socket and its own storage:
#   - requests per second of GET /v1.41/containers/json?all=1 with 100
#     containers (one keep-alive connection, and 4 concurrent connections);
#   - create+start+wait+remove round trips of `true` (--network none) over
#     the Docker API, per second.
# Prints both figures and the rpod/Podman ratios. REQS=N and TRIPS=N set
# the counts.
set -euo pipefail
cd "$(dirname "$0")/.."
[ "$(id -u)" = 0 ] || { echo "run as root" >&2; exit 1; }
for tool in podman python3; do
    command -v "$tool" >/dev/null || { echo "missing $tool" >&2; exit 1; }
done

cargo build --release --locked --bins >/dev/null
RPOD="$PWD/target/release/rpod"
work=$(mktemp -d /tmp/rpod-api-bench.XXXXXX)
R=("$RPOD" --root "$work/r" --runroot "$work/rr" --events-backend file)
P=(podman --root "$work/p" --runroot "$work/pr" --events-backend file)
rpid="" ppid_=""
cleanup() {
    [ -n "$rpid" ] && kill "$rpid" 2>/dev/null && wait "$rpid" 2>/dev/null || true
    [ -n "$ppid_" ] && kill "$ppid_" 2>/dev/null && wait "$ppid_" 2>/dev/null || true
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
for i in $(seq 100); do
    "${R[@]}" create --network none --name "c$i" busybox true >/dev/null
    "${P[@]}" create --network none --name "c$i" busybox true >/dev/null
done

"${R[@]}" system service --time 0 "unix://$work/rpod.sock" 2>"$work/rpod.log" &
rpid=$!
"${P[@]}" system service --time 0 "unix://$work/podman.sock" 2>"$work/podman.log" &
ppid_=$!
for s in rpod podman; do
    for _ in $(seq 100); do [ -S "$work/$s.sock" ] && break; sleep 0.1; done
done

python3 - "$work/rpod.sock" "$work/podman.sock" "${REQS:-500}" "${TRIPS:-20}" <<'PY'
import http.client, json, socket, sys, threading, time

class UnixConn(http.client.HTTPConnection):
    def __init__(self, path):
        super().__init__("localhost", timeout=120)
        self.path = path
    def connect(self):
        self.sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        self.sock.connect(self.path)

def call(conn, method, url, body=None):
    headers = {"Content-Type": "application/json"} if body is not None else {}
    conn.request(method, url, body=json.dumps(body) if body is not None else None, headers=headers)
    r = conn.getresponse()
    data = r.read()
    if r.status >= 300 and r.status != 304:
        raise SystemExit(f"{method} {url}: {r.status} {data[:200]!r}")
    return data

def list_rps(sock, n, clients):
    per = n // clients
    def worker():
        c = UnixConn(sock)
        for _ in range(per):
            rows = json.loads(call(c, "GET", "/v1.41/containers/json?all=1"))
            assert len(rows) == 100, len(rows)
    threads = [threading.Thread(target=worker) for _ in range(clients)]
    t0 = time.perf_counter()
    for t in threads: t.start()
    for t in threads: t.join()
    return per * clients / (time.perf_counter() - t0)

def round_trips(sock, n):
    c = UnixConn(sock)
    body = {"Image": "busybox", "Cmd": ["true"], "HostConfig": {"NetworkMode": "none"}}
    t0 = time.perf_counter()
    for _ in range(n):
        cid = json.loads(call(c, "POST", "/v1.41/containers/create", body))["Id"]
        call(c, "POST", f"/v1.41/containers/{cid}/start")
        code = json.loads(call(c, "POST", f"/v1.41/containers/{cid}/wait"))["StatusCode"]
        assert code == 0, code
        call(c, "DELETE", f"/v1.41/containers/{cid}")
    return n / (time.perf_counter() - t0)

rsock, psock, reqs, trips = sys.argv[1], sys.argv[2], int(sys.argv[3]), int(sys.argv[4])
for s in (rsock, psock):  # warm-up
    list_rps(s, 10, 1)
rows = [
    ("GET /containers/json, 100 containers, 1 connection (req/s)", list_rps(rsock, reqs, 1), list_rps(psock, reqs, 1)),
    ("GET /containers/json, 100 containers, 4 connections (req/s)", list_rps(rsock, reqs, 4), list_rps(psock, reqs, 4)),
    ("create+start+wait+remove of `true` (round trips/s)", round_trips(rsock, trips), round_trips(psock, trips)),
]
print(f"| benchmark | rpod | podman | rpod/podman |")
print(f"|:---|---:|---:|---:|")
for name, r, p in rows:
    print(f"| {name} | {r:.1f} | {p:.1f} | {r / p:.2f}x |")
PY
