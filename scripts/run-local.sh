#!/usr/bin/env bash
# Sets up and builds everything, starts DynamoDB Local (the embedded default backend) and the gateway on
# loopback, makes a first call, then serves until Ctrl-C.
#   scripts/run-local.sh          serve on 127.0.0.1:50051 (ALTGW_LISTEN overrides; port 0 takes a free one)
#   scripts/run-local.sh --once   stop after the first call
# ALTGW_SKIP_SETUP=1 skips scripts/setup.sh when it has just run (the CTest test of this script uses it,
# so that no build starts in the build folder while other tests run from it).
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

if [ "${ALTGW_SKIP_SETUP:-0}" != 1 ]; then "$ALTGW_ROOT/scripts/setup.sh"; fi

LISTEN="${ALTGW_LISTEN:-127.0.0.1:50051}"
RUN_DIR="$ALTGW_BUILD/run"
mkdir -p "$RUN_DIR"

# Stops what was started. Under `set -e` a failing command ends the handler: `kill` of a process that
# already exited (a gateway that could not listen) would leave DynamoDB Local running, and a `wait`
# reporting the child's SIGTERM status (143) would become the script's exit status.
cleanup() {
  if [ -n "${GW_PID:-}" ]; then kill "$GW_PID" 2>/dev/null || true; wait "$GW_PID" 2>/dev/null || true; fi
  if [ -n "${DDB_PID:-}" ]; then kill "$DDB_PID" 2>/dev/null || true; wait "$DDB_PID" 2>/dev/null || true; fi
  return 0
}
trap cleanup EXIT
trap 'exit 0' INT TERM

echo "Starting DynamoDB Local (log: $RUN_DIR/dynamodb-local.log)"
start_dynamodb_local "$RUN_DIR/dynamodb-local.log"
echo "DynamoDB Local serves on 127.0.0.1:$DDB_PORT"

echo "Starting the gateway on $LISTEN (log: $RUN_DIR/gateway.log)"
: >"$RUN_DIR/gateway.log"  # no earlier run's port line
"$ALTGW_BUILD/server/alternator-gateway" --listen "$LISTEN" \
  --backend-endpoints "http://127.0.0.1:$DDB_PORT" --admin-listen "${ALTGW_ADMIN_LISTEN:-127.0.0.1:9090}" \
  >"$RUN_DIR/gateway.log" 2>&1 &
GW_PID=$!
wait_for_gateway "${LISTEN%:*}" "$RUN_DIR/gateway.log"
echo "The gateway is healthy on $GW_ADDRESS"

echo "First call (client/python/quickstart.py):"
ALTGW_PYTHON_STUBS="$ALTGW_BUILD/python" /usr/bin/python3 "$ALTGW_ROOT/client/python/quickstart.py" --address "$GW_ADDRESS"

if [ "${1:-}" = "--once" ]; then exit 0; fi
echo "The gateway is serving on $GW_ADDRESS. Press Ctrl-C to stop."
wait "$GW_PID"
