# Shared shell helpers for the scripts in this folder (sourced, not run).

ALTGW_ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
ALTGW_DDB_DIR="$ALTGW_ROOT/.tools/dynamodb-local"
ALTGW_BUILD="${ALTGW_BUILD_DIR:-$ALTGW_ROOT/build}"   # as scripts/setup.sh builds it

# Prints a free TCP port on 127.0.0.1.
free_port() {
  /usr/bin/python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}

# Starts DynamoDB Local in memory on a free 127.0.0.1 port (telemetry off), logging to $1; sets DDB_PID and
# DDB_PORT. A port found free may be taken by someone else before Java binds it: then another is tried.
# Startup is waited for by the clock, not by a count of tries: Java starts slowly on a loaded machine.
start_dynamodb_local() {
  local log="$1" attempt deadline
  for attempt in 1 2 3; do
    DDB_PORT="$(free_port)"
    DDB_LOCAL_TELEMETRY=0 java -Djava.library.path="$ALTGW_DDB_DIR/DynamoDBLocal_lib" \
      -jar "$ALTGW_DDB_DIR/DynamoDBLocal.jar" -inMemory -sharedDb -disableTelemetry -port "$DDB_PORT" \
      >"$log" 2>&1 &
    DDB_PID=$!
    deadline=$((SECONDS + 120))
    # Ready when ListTables answers (it needs an Authorization header with a Credential, nothing more).
    while [ "$SECONDS" -lt "$deadline" ]; do
      if curl -sf -m 5 -X POST "http://127.0.0.1:$DDB_PORT/" \
           -H 'X-Amz-Target: DynamoDB_20120810.ListTables' -H 'Content-Type: application/x-amz-json-1.0' \
           -H 'Authorization: AWS4-HMAC-SHA256 Credential=alternatorgateway/20260101/us-east-1/dynamodb/aws4_request, SignedHeaders=host, Signature=0' \
           -d '{}' >/dev/null 2>&1; then
        return 0
      fi
      if ! kill -0 "$DDB_PID" 2>/dev/null; then
        wait "$DDB_PID" 2>/dev/null || true
        DDB_PID=""
        if grep -q "BindException" "$log"; then continue 2; fi
        echo "DynamoDB Local exited; see $log" >&2
        return 1
      fi
      sleep 0.1
    done
    echo "DynamoDB Local did not become ready within 120 s; see $log" >&2
    return 1
  done
  echo "DynamoDB Local found its port taken three times; see $log" >&2
  return 1
}

# Waits until the gateway started as $GW_PID, logging to $2, serves on host $1: sets GW_ADDRESS to host:port,
# the port it bound (so a listen port of 0 works), once a health check answers SERVING. Fails at once, with
# the end of its log, if the gateway exits. The caller empties the log before starting the gateway, so
# that no earlier run's port is read.
wait_for_gateway() {
  local host="$1" log="$2" port deadline=$((SECONDS + 120))
  GW_ADDRESS=""
  while [ "$SECONDS" -lt "$deadline" ]; do
    if ! kill -0 "$GW_PID" 2>/dev/null; then
      echo "the gateway exited; the end of $log:" >&2
      tail -n 5 "$log" >&2 || true
      return 1
    fi
    # Read again each time: the log appears only once the started process opened it.
    port=""
    if [ -f "$log" ]; then
      port="$(sed -n 's/^alternator-gateway: serving gRPC on port \([0-9]*\) .*/\1/p' "$log" | head -n 1)"
    fi
    if [ -n "$port" ] && ALTGW_PYTHON_STUBS="$ALTGW_BUILD/python" /usr/bin/python3 - "$host:$port" <<'PY' 2>/dev/null
import os, sys
sys.path.insert(0, os.environ["ALTGW_PYTHON_STUBS"])
import grpc, health_pb2, health_pb2_grpc
stub = health_pb2_grpc.HealthStub(grpc.insecure_channel(sys.argv[1]))
sys.exit(0 if stub.Check(health_pb2.HealthCheckRequest(), timeout=1).status == 1 else 1)
PY
    then
      GW_ADDRESS="$host:$port"
      return 0
    fi
    sleep 0.1
  done
  echo "the gateway did not become healthy within 120 s; see $log" >&2
  return 1
}
