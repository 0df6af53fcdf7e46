"""Fixtures for the client examples test: a real DynamoDB Local and a real gateway process on loopback.

Environment (set by CTest, see tests/clients/CMakeLists.txt):
  ALTGW_GATEWAY_BIN         the alternator-gateway binary
  ALTGW_CLIENT_STUBS        the output of client/generate-stubs.sh (one folder per language)
  ALTGW_DYNAMODB_LOCAL_DIR  the folder holding DynamoDBLocal.jar
"""
import os
import socket
import subprocess
import sys
import time

import pytest

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
STUBS = os.environ.get("ALTGW_CLIENT_STUBS", os.path.join(ROOT, "build", "clients"))
sys.path.insert(0, os.path.join(STUBS, "python"))

import grpc  # noqa: E402
import health_pb2  # noqa: E402
import health_pb2_grpc  # noqa: E402
from alternator.gateway.v1 import data_service_pb2_grpc  # noqa: E402
from alternator.gateway.v1 import table_service_pb2_grpc  # noqa: E402


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_until(predicate, what, process, timeout=60.0):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"{what} exited with status {process.returncode} while starting")
        try:
            if predicate():
                return
        except Exception:  # noqa: BLE001 - not ready yet
            pass
        time.sleep(0.1)
    raise RuntimeError(f"{what} did not become ready within {timeout} s")


def stop(process):
    process.terminate()
    try:
        return process.wait(timeout=10)
    except subprocess.TimeoutExpired:
        process.kill()
        return process.wait()


@pytest.fixture(scope="session")
def dynamodb_local(tmp_path_factory):
    directory = os.environ.get("ALTGW_DYNAMODB_LOCAL_DIR", os.path.join(ROOT, ".tools", "dynamodb-local"))
    jar = os.path.join(directory, "DynamoDBLocal.jar")
    if not os.path.exists(jar):
        pytest.fail(f"DynamoDB Local is not installed at {directory}: run scripts/setup.sh")
    port = free_port()
    log = open(tmp_path_factory.mktemp("ddb") / "dynamodb-local.log", "w")
    process = subprocess.Popen(
        ["java", f"-Djava.library.path={directory}/DynamoDBLocal_lib", "-jar", jar, "-inMemory", "-sharedDb",
         "-disableTelemetry", "-port", str(port)],
        stdout=log, stderr=subprocess.STDOUT, env={**os.environ, "DDB_LOCAL_TELEMETRY": "0"})

    def answers():
        with socket.create_connection(("127.0.0.1", port), timeout=1):
            return True
    try:
        wait_until(answers, "DynamoDB Local", process)
        yield f"http://127.0.0.1:{port}"
    finally:
        stop(process)


@pytest.fixture(scope="session")
def gateway(dynamodb_local, tmp_path_factory):
    """The address (host:port) of a gateway serving in front of DynamoDB Local."""
    binary = os.environ.get("ALTGW_GATEWAY_BIN", os.path.join(ROOT, "build", "server", "alternator-gateway"))
    port = free_port()
    address = f"127.0.0.1:{port}"
    log_path = tmp_path_factory.mktemp("gateway") / "gateway.log"
    flags = ["--listen", address, "--backend-endpoints", dynamodb_local]
    # Gateways with an HTTP admin port (--admin-listen, default 0.0.0.0:9090) get a free loopback one, so that
    # tests running in parallel never compete for a fixed port.
    usage = subprocess.run([binary, "--help"], capture_output=True, text=True, timeout=30).stdout
    if "--admin-listen" in usage:
        flags += ["--admin-listen", f"127.0.0.1:{free_port()}"]
    process = subprocess.Popen([binary] + flags, stdout=open(log_path, "w"), stderr=subprocess.STDOUT)
    channel = grpc.insecure_channel(address)
    health = health_pb2_grpc.HealthStub(channel)
    try:
        wait_until(lambda: health.Check(health_pb2.HealthCheckRequest(), timeout=1).status ==
                   health_pb2.HealthCheckResponse.SERVING, "the gateway", process)
        yield address
    finally:
        channel.close()
        status = stop(process)
        assert status == 0, f"the gateway exited with {status}; log:\n{open(log_path).read()}"


@pytest.fixture(scope="session")
def channel(gateway):
    with grpc.insecure_channel(gateway) as channel:
        yield channel


@pytest.fixture(scope="session")
def data(channel):
    return data_service_pb2_grpc.DataServiceStub(channel)


@pytest.fixture(scope="session")
def tables(channel):
    return table_service_pb2_grpc.TableServiceStub(channel)
