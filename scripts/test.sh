#!/usr/bin/env bash
# Runs the whole test suite: unit tests of every crate and the integration
# tests, which start real containers through runc (run as root).
set -euo pipefail
cd "$(dirname "$0")/.."
if [ "$(id -u)" != 0 ]; then
    echo "the tests start real containers: run them as root (sudo $0)" >&2
    exit 1
fi
cargo build --workspace --locked --bins
if cargo nextest --version >/dev/null 2>&1; then
    cargo nextest run --workspace --locked --no-fail-fast "$@"
else
    cargo test --workspace --locked --no-fail-fast "$@"
fi
