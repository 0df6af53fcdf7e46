"""Fixtures for the Python tests: a real DynamoDB Local and a real gateway process on loopback.

Environment (set by CTest, see tests/python/CMakeLists.txt):
  ALTGW_GATEWAY_BIN         the alternator-gateway binary
  ALTGW_PYTHON_STUBS        the generated Python stubs (build/python)
  ALTGW_DYNAMODB_LOCAL_DIR  the folder holding DynamoDBLocal.jar
"""
import os
import sys

import pytest

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
STUBS = os.environ.get("ALTGW_PYTHON_STUBS", os.path.join(ROOT, "build", "python"))
sys.path.insert(0, STUBS)
sys.path.insert(0, os.path.join(ROOT, "tests", "support"))

import boto3  # noqa: E402
import grpc  # noqa: E402
import health_pb2  # noqa: E402
import health_pb2_grpc  # noqa: E402
from alternator.gateway.v1 import data_service_pb2_grpc  # noqa: E402
from alternator.gateway.v1 import table_service_pb2_grpc  # noqa: E402
import local_processes  # noqa: E402


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
        process.terminate()
        process.wait(timeout=10)


def boto3_client(endpoint):
    os.environ["AWS_EC2_METADATA_DISABLED"] = "true"  # never probe instance metadata addresses
    return boto3.client("dynamodb", endpoint_url=endpoint, region_name="us-east-1",
                        aws_access_key_id="pythontests", aws_secret_access_key="unused")


@pytest.fixture(scope="session")
def boto(dynamodb_local):
    return boto3_client(dynamodb_local)


@pytest.fixture(scope="session")
def gateway(dynamodb_local, tmp_path_factory):
    binary = os.environ.get("ALTGW_GATEWAY_BIN", os.path.join(ROOT, "build", "server", "alternator-gateway"))
    # A free admin port (the default 0.0.0.0:9090 may be taken by another run) and a short drain.
    process, address = local_processes.start_gateway(
        binary, ["--backend-endpoints", dynamodb_local, "--admin-listen", "127.0.0.1:0", "--drain-delay", "200ms"],
        tmp_path_factory.mktemp("gateway") / "gateway.log")
    channel = grpc.insecure_channel(address)
    health = health_pb2_grpc.HealthStub(channel)
    try:
        if not local_processes.wait_until(
                lambda: health.Check(health_pb2.HealthCheckRequest(), timeout=1).status ==
                health_pb2.HealthCheckResponse.SERVING, "the gateway", process, timeout=30):
            raise RuntimeError(f"the gateway exited with status {process.returncode}")
        yield channel
    finally:
        process.terminate()
        assert process.wait(timeout=10) == 0, "the gateway did not exit cleanly on SIGTERM"


@pytest.fixture(scope="session")
def data(gateway):
    return data_service_pb2_grpc.DataServiceStub(gateway)


@pytest.fixture(scope="session")
def tables(gateway):
    return table_service_pb2_grpc.TableServiceStub(gateway)
