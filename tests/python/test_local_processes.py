"""The fixtures' process starters (tests/support/local_processes.py) under the races they exist for."""
import os
import socket

import pytest

from conftest import ROOT
import local_processes

DDB_DIR = os.environ.get("ALTGW_DYNAMODB_LOCAL_DIR", os.path.join(ROOT, ".tools", "dynamodb-local"))
GATEWAY = os.environ.get("ALTGW_GATEWAY_BIN", os.path.join(ROOT, "build", "server", "alternator-gateway"))


def test_a_database_port_taken_before_java_binds_it_is_replaced(tmp_path, monkeypatch):
    with socket.socket() as blocker:
        blocker.bind(("127.0.0.1", 0))
        blocker.listen()
        taken = blocker.getsockname()[1]
        handed_out = []
        real_free_port = local_processes.free_port

        def first_one_taken():
            handed_out.append(taken if not handed_out else real_free_port())
            return handed_out[-1]
        monkeypatch.setattr(local_processes, "free_port", first_one_taken)
        # The taken port accepts connections: only an answer from DynamoDB itself may count as ready.
        process, port = local_processes.start_dynamodb_local(DDB_DIR, tmp_path / "ddb.log")
    try:
        assert handed_out[0] == taken and len(handed_out) == 2
        assert port == handed_out[1] != taken
    finally:
        process.terminate()
        process.wait(timeout=10)


def test_the_gateway_reports_the_port_it_bound(tmp_path):
    process, address = local_processes.start_gateway(
        GATEWAY, ["--backend-endpoints", "http://127.0.0.1:1", "--discovery", "off", "--transactions", "native",
                  "--admin-listen", "127.0.0.1:0"], tmp_path / "gateway.log")
    try:
        host, port = address.rsplit(":", 1)
        assert host == "127.0.0.1" and int(port) > 0
        with socket.create_connection((host, int(port)), timeout=5):
            pass
    finally:
        process.terminate()
        process.wait(timeout=10)


def test_a_gateway_that_cannot_start_fails_with_its_log(tmp_path):
    with pytest.raises(RuntimeError, match=r"(?s)exited with status [1-9][0-9]*.*--no-such-flag"):
        local_processes.start_gateway(GATEWAY, ["--no-such-flag"], tmp_path / "gateway.log")
