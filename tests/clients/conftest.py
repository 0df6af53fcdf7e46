"""Fixtures for the client examples test: a real DynamoDB Local and a real gateway process on loopback.

Environment (set by CTest, see tests/clients/CMakeLists.txt):
  ALTGW_GATEWAY_BIN         the alternator-gateway binary
  ALTGW_CLIENT_STUBS        the output of client/generate-stubs.sh (one folder per language)
  ALTGW_DYNAMODB_LOCAL_DIR  the folder holding DynamoDBLocal.jar
"""
import os
import subprocess
import sys

import pytest

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
STUBS = os.environ.get("ALTGW_CLIENT_STUBS", os.path.join(ROOT, "build", "clients"))
sys.path.insert(0, os.path.join(STUBS, "python"))
sys.path.insert(0, os.path.join(ROOT, "tests", "support"))

import grpc  # noqa: E402
import health_pb2  # noqa: E402
import health_pb2_grpc  # noqa: E402
from alternator.gateway.v1 import data_service_pb2_grpc  # noqa: E402
from alternator.gateway.v1 import table_service_pb2_grpc  # noqa: E402
import local_processes  # noqa: E402


free_port = local_processes.free_port


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
    if not os.path.exists(os.path.join(directory, "DynamoDBLocal.jar")):
        pytest.fail(f"DynamoDB Local is not installed at {directory}: run scripts/setup.sh")
    process, port = local_processes.start_dynamodb_local(directory,
                                                         tmp_path_factory.mktemp("ddb") / "dynamodb-local.log")
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        stop(process)


@pytest.fixture(scope="session")
def gateway(dynamodb_local, tmp_path_factory):
    """The address (host:port) of a gateway serving in front of DynamoDB Local."""
    binary = os.environ.get("ALTGW_GATEWAY_BIN", os.path.join(ROOT, "build", "server", "alternator-gateway"))
    log_path = tmp_path_factory.mktemp("gateway") / "gateway.log"
    # A free loopback admin port (the default is 0.0.0.0:9090), so that tests running in parallel never
    # compete for a fixed port.
    process, address = local_processes.start_gateway(
        binary, ["--backend-endpoints", dynamodb_local, "--admin-listen", "127.0.0.1:0"], log_path)
    channel = grpc.insecure_channel(address)
    health = health_pb2_grpc.HealthStub(channel)
    try:
        if not local_processes.wait_until(
                lambda: health.Check(health_pb2.HealthCheckRequest(), timeout=1).status ==
                health_pb2.HealthCheckResponse.SERVING, "the gateway", process, timeout=60):
            raise RuntimeError(f"the gateway exited with status {process.returncode}; "
                               f"log:\n{local_processes.read(log_path)}")
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
