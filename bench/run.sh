#!/usr/bin/env bash
# Entry point of the benchmark: bench/run.sh [--events N] (default 10 million).
set -euo pipefail
cd "$(dirname "$0")/.."
bash deploy/install-deps.sh >/dev/null
[ -x build/kamatama ] && [ -x build/bench/kmt_replay ] || cmake --build build -j "$(nproc)" --target kamatama kmt_replay
exec python3 bench/run.py "$@"
