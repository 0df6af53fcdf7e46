# Shared shell helpers for the scripts in this folder (sourced, not run).

ALTGW_ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
ALTGW_DDB_DIR="$ALTGW_ROOT/.tools/dynamodb-local"
ALTGW_BUILD="${ALTGW_BUILD_DIR:-$ALTGW_ROOT/build}"   # as scripts/setup.sh builds it

# Prints a free TCP port on 127.0.0.1.
free_port() {
  /usr/bin/python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}

# Starts DynamoDB Local in memory on 127.0.0.1:$1 (telemetry off), logging to $2; sets DDB_PID.
start_dynamodb_local() {
  local port="$1" log="$2"
  DDB_LOCAL_TELEMETRY=0 java -Djava.library.path="$ALTGW_DDB_DIR/DynamoDBLocal_lib" \
    -jar "$ALTGW_DDB_DIR/DynamoDBLocal.jar" -inMemory -sharedDb -disableTelemetry -port "$port" \
    >"$log" 2>&1 &
  DDB_PID=$!
  # Ready when ListTables answers (it needs an Authorization header with a Credential, nothing more).
  for _ in $(seq 1 150); do
    if curl -sf -X POST "http://127.0.0.1:$port/" \
         -H 'X-Amz-Target: DynamoDB_20120810.ListTables' -H 'Content-Type: application/x-amz-json-1.0' \
         -H 'Authorization: AWS4-HMAC-SHA256 Credential=alternatorgateway/20260101/us-east-1/dynamodb/aws4_request, SignedHeaders=host, Signature=0' \
         -d '{}' >/dev/null 2>&1; then
      return 0
    fi
    kill -0 "$DDB_PID" 2>/dev/null || { echo "DynamoDB Local exited; see $log" >&2; return 1; }
    sleep 0.1
  done
  echo "DynamoDB Local did not become ready; see $log" >&2
  return 1
}

# Waits until the gateway on $1 (host:port) answers a health check.
wait_for_gateway() {
  local address="$1"
  for _ in $(seq 1 100); do
    if ALTGW_PYTHON_STUBS="$ALTGW_BUILD/python" /usr/bin/python3 - "$address" <<'PY' 2>/dev/null
import os, sys
sys.path.insert(0, os.environ["ALTGW_PYTHON_STUBS"])
import grpc, health_pb2, health_pb2_grpc
stub = health_pb2_grpc.HealthStub(grpc.insecure_channel(sys.argv[1]))
sys.exit(0 if stub.Check(health_pb2.HealthCheckRequest(), timeout=1).status == 1 else 1)
PY
    then return 0; fi
    sleep 0.1
  done
  echo "the gateway did not become healthy on $address" >&2
  return 1
}
