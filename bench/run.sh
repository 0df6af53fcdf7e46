#!/usr/bin/env bash
# The gateway's benchmark in one command: installs the load tools (Debian: nginx, h2load, wrk), builds the
# gateway and the benchmark tools, then runs bench/run.py, which starts nginx, a stand-in gRPC server,
# DynamoDB Local and gateways on loopback addresses, prints a table and writes bench/results/<time>.json.
#
#   bench/run.sh                 full run (about 15 minutes on 2 cores)
#   bench/run.sh --smoke         a few seconds per scenario; fails if any check fails (CTest: bench_smoke)
#   bench/run.sh --no-setup ...  skip the install and build steps (CTest uses this after scripts/setup.sh)
#   other options go to run.py (bench/run.py --help), e.g. --sections overhead --ops Get --concurrency 64
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
BUILD_DIR="$ROOT/build"
SETUP=1
ARGS=()
while [ $# -gt 0 ]; do
  case "$1" in
    --no-setup) SETUP=0 ;;
    --build-dir) BUILD_DIR="$2"; ARGS+=(--build-dir "$2"); shift ;;
    *) ARGS+=("$1") ;;
  esac
  shift
done

log() { printf '[bench] %s\n' "$*" >&2; }

if [ "$SETUP" = 1 ]; then
  # The project's own dependencies (and DynamoDB Local); scripts/setup.sh lists the load tools too.
  ALTGW_BUILD_DIR="$BUILD_DIR" "$ROOT/scripts/setup.sh" --no-build
  if [ ! -f "$BUILD_DIR/CMakeCache.txt" ]; then
    cmake -S "$ROOT" -B "$BUILD_DIR" -DCMAKE_BUILD_TYPE="${ALTGW_BUILD_TYPE:-RelWithDebInfo}" >/dev/null
  fi
  log "building the gateway and the benchmark tools"
  cmake --build "$BUILD_DIR" -j "$(nproc)" --target alternator-gateway altgw_bench_tool altgw_bench_standin \
    altgw_model_bench altgw_routing_bench
fi

for tool in nginx h2load wrk; do
  command -v "$tool" >/dev/null 2>&1 || [ -x "/usr/sbin/$tool" ] ||
    { log "$tool is missing: run bench/run.sh without --no-setup, or scripts/setup.sh"; exit 1; }
done
exec /usr/bin/python3 "$ROOT/bench/run.py" "${ARGS[@]}"
