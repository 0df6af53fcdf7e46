"""Starting DynamoDB Local and the gateway on loopback for the Python test suites, without port races.

A port probed free and handed to another process can be taken before that process binds it. The gateway
is therefore started on port 0 and its address read from the line it prints; DynamoDB Local cannot report
its port, so it is started on a probed one and started again on another when Java reports BindException.
"""
import json
import os
import re
import socket
import subprocess
import time
import urllib.request

GATEWAY_PORT_LINE = re.compile(r"alternator-gateway: serving gRPC on port (\d+) ")


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def read(path):
    with open(path, errors="replace") as f:
        return f.read()


def wait_until(predicate, what, process, timeout):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            return False
        try:
            if predicate():
                return True
        except Exception:  # noqa: BLE001 - not ready yet
            pass
        time.sleep(0.1)
    process.kill()
    process.wait()
    raise RuntimeError(f"{what} did not become ready within {timeout} s")


def dynamodb_answers(port):
    """Whether DynamoDB Local answers ListTables on the port: a bare TCP connect would also succeed against
    whoever took the port first."""
    request = urllib.request.Request(
        f"http://127.0.0.1:{port}/", data=b"{}", method="POST",
        headers={"X-Amz-Target": "DynamoDB_20120810.ListTables", "Content-Type": "application/x-amz-json-1.0",
                 # DynamoDB Local only checks that a Credential is present.
                 "Authorization": "AWS4-HMAC-SHA256 Credential=tests/20260101/us-east-1/dynamodb/aws4_request, "
                                  "SignedHeaders=host, Signature=0"})
    with urllib.request.urlopen(request, timeout=5) as answer:
        return answer.status == 200 and "TableNames" in json.load(answer)


def start_dynamodb_local(directory, log_path, timeout=120.0):
    """Starts DynamoDB Local in memory (telemetry off); returns (process, port) once it answers."""
    jar = os.path.join(directory, "DynamoDBLocal.jar")
    for _ in range(3):
        port = free_port()
        with open(log_path, "w") as log:
            process = subprocess.Popen(
                ["java", f"-Djava.library.path={directory}/DynamoDBLocal_lib", "-jar", jar, "-inMemory",
                 "-sharedDb", "-disableTelemetry", "-port", str(port)],
                stdout=log, stderr=subprocess.STDOUT, env={**os.environ, "DDB_LOCAL_TELEMETRY": "0"})
        if wait_until(lambda: dynamodb_answers(port), "DynamoDB Local", process, timeout):
            return process, port
        if "BindException" not in read(log_path):
            raise RuntimeError(f"DynamoDB Local exited with status {process.returncode} while starting; "
                               f"log:\n{read(log_path)}")
    raise RuntimeError(f"DynamoDB Local found its port taken three times; log:\n{read(log_path)}")


def start_gateway(binary, flags, log_path, timeout=60.0):
    """Starts the gateway with `flags` on 127.0.0.1:0; returns (process, "127.0.0.1:<port>") once it printed
    the port it bound."""
    with open(log_path, "w") as log:
        process = subprocess.Popen([binary, "--listen", "127.0.0.1:0"] + flags, stdout=log,
                                   stderr=subprocess.STDOUT)
    found = []

    def port_printed():
        match = GATEWAY_PORT_LINE.search(read(log_path))
        if match:
            found.append(int(match.group(1)))
        return bool(found)
    if not wait_until(port_printed, "the gateway", process, timeout):
        raise RuntimeError(f"the gateway exited with status {process.returncode} while starting; "
                           f"log:\n{read(log_path)}")
    return process, f"127.0.0.1:{found[0]}"
