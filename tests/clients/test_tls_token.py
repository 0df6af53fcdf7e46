"""The examples' TLS, mutual-TLS and bearer-token code, in every language.

The gateway in main serves plaintext without authentication, so the TLS hop here is a small front end in this
test: it terminates mutual TLS with certificates made for the test, requires `authorization: Bearer <token>`
on every call (UNAUTHENTICATED otherwise, like the gateway's own check), records what it saw, and forwards
each call byte for byte, trailers included, to the real gateway. (When the gateway serves TLS and checks tokens
itself, --tls-cert/--tls-key/--tls-client-ca and --config principals, point the examples at it directly.)
"""
import subprocess
import threading
from concurrent import futures

import grpc
import pytest

from test_examples import READERS, run_example

TOKEN = "example-token-0123456789"


def openssl(directory, *args):
    subprocess.run(["openssl", *args], cwd=directory, check=True, capture_output=True)


@pytest.fixture(scope="module")
def pki(tmp_path_factory):
    """A CA, a server certificate for 127.0.0.1 and a client certificate (PKCS#8 keys, which Java needs)."""
    d = tmp_path_factory.mktemp("pki")
    openssl(d, "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", "ca.key", "-out", "ca.pem",
            "-days", "2", "-subj", "/CN=altgw test CA")
    for name, extension in (("server", "subjectAltName=IP:127.0.0.1,DNS:localhost\nextendedKeyUsage=serverAuth"),
                            ("client", "extendedKeyUsage=clientAuth")):
        openssl(d, "req", "-newkey", "rsa:2048", "-nodes", "-keyout", f"{name}.key", "-out", f"{name}.csr",
                "-subj", f"/CN=altgw test {name}")
        (d / f"{name}.ext").write_text(extension + "\n")
        openssl(d, "x509", "-req", "-in", f"{name}.csr", "-CA", "ca.pem", "-CAkey", "ca.key", "-CAcreateserial",
                "-out", f"{name}.pem", "-days", "2", "-extfile", f"{name}.ext")
    return d


class TlsFrontEnd(grpc.GenericRpcHandler):
    """Terminates mutual TLS, checks the bearer token, forwards unary calls as raw bytes to the gateway."""

    def __init__(self, gateway_address):
        self._upstream = grpc.insecure_channel(gateway_address)
        self._lock = threading.Lock()
        self.calls = []  # (method, authorization header or None, client certificate common name or None)

    def service(self, handler_call_details):
        method = handler_call_details.method
        return grpc.unary_unary_rpc_method_handler(lambda request, context: self._forward(method, request, context))

    def _forward(self, method, request, context):
        metadata = [(k, v) for k, v in context.invocation_metadata()]
        authorization = next((v for k, v in metadata if k == "authorization"), None)
        client = context.auth_context().get("x509_common_name", [b""])[0].decode() or None
        with self._lock:
            self.calls.append((method, authorization, client))
        if authorization != f"Bearer {TOKEN}":
            context.abort(grpc.StatusCode.UNAUTHENTICATED, "missing or wrong bearer token")
        call = self._upstream.unary_unary(method)  # no serializers: bytes in, bytes out
        try:
            response, upstream = call.with_call(request, metadata=[m for m in metadata if m[0] != "authorization"],
                                                timeout=context.time_remaining())
            context.set_trailing_metadata(upstream.trailing_metadata())
            return response
        except grpc.RpcError as error:
            context.set_trailing_metadata(error.trailing_metadata())  # grpc-status-details-bin included
            context.abort(error.code(), error.details())

    def close(self):
        self._upstream.close()


@pytest.fixture(scope="module")
def front_end(gateway, pki):
    handler = TlsFrontEnd(gateway)
    server = grpc.server(futures.ThreadPoolExecutor(max_workers=8), handlers=[handler])
    credentials = grpc.ssl_server_credentials(
        [((pki / "server.key").read_bytes(), (pki / "server.pem").read_bytes())],
        root_certificates=(pki / "ca.pem").read_bytes(), require_client_auth=True)
    address = f"127.0.0.1:{server.add_secure_port('127.0.0.1:0', credentials)}"
    server.start()
    yield address, handler
    server.stop(grace=None)
    handler.close()


def tls_env(pki, **overrides):
    env = {"ALTGW_CA_FILE": str(pki / "ca.pem"), "ALTGW_CLIENT_CERT": str(pki / "client.pem"),
           "ALTGW_CLIENT_KEY": str(pki / "client.key"), "ALTGW_TOKEN": TOKEN}
    env.update(overrides)
    return {k: v for k, v in env.items() if v is not None}


@pytest.mark.parametrize("language", READERS)
def test_walkthrough_over_mutual_tls_with_token(front_end, pki, language):
    address, handler = front_end
    before = len(handler.calls)
    result = run_example(language, address, env=tls_env(pki))
    assert result.returncode == 0, f"{language} over TLS failed:\n{result.stdout}\n{result.stderr}"
    lines = result.stdout.splitlines()
    assert lines[0] == f"connect: {address} (TLS, bearer token)"
    # The C++ walkthrough (client/cpp/example.cc) uses a table of its own and ends by deleting it.
    assert lines[-1] == ("example passed" if language == "cpp" else "OK")
    calls = handler.calls[before:]
    # Health x2, CreateTable, 5 Puts, Get, >= 3 Query pages, Transaction, 2 Gets, Put, then Transaction and the
    # shared item's Put + Get (Python, Go, Java, Node, Ruby) or DeleteTable (C++).
    assert len(calls) >= (17 if language == "cpp" else 18), calls
    assert all(auth == f"Bearer {TOKEN}" for _, auth, _ in calls), calls
    assert all(client == "altgw test client" for _, _, client in calls), calls
    methods = {method for method, _, _ in calls}
    assert {"/grpc.health.v1.Health/Check", "/alternator.gateway.v1.DataService/Transaction",
            "/alternator.gateway.v1.DataService/Query"} <= methods


@pytest.mark.parametrize("language", READERS)
def test_wrong_token_is_rejected(front_end, pki, language):
    address, handler = front_end
    result = run_example(language, address, env=tls_env(pki, ALTGW_TOKEN="not-the-token"))
    assert result.returncode != 0
    assert "UNAUTHENTICATED" in result.stderr or "Unauthenticated" in result.stderr, result.stderr
    assert handler.calls[-1][1] == "Bearer not-the-token"


@pytest.mark.parametrize("language", READERS)
def test_untrusted_server_certificate_is_refused(front_end, pki, language):
    """The server's certificate is checked: with the client's own certificate as the "CA", no call gets through."""
    address, handler = front_end
    before = len(handler.calls)
    result = run_example(language, address, env=tls_env(pki, ALTGW_CA_FILE=str(pki / "client.pem")))
    assert result.returncode != 0
    assert "UNAVAILABLE" in result.stderr or "Unavailable" in result.stderr, result.stderr
    assert len(handler.calls) == before
