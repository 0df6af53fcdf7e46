"""Runs the example of every language (client/<language>/) against a real gateway on DynamoDB Local.

Each example checks its own results and exits non-zero on anything unexpected; this test also checks its
output line by line, reads back what it wrote with independent calls, and runs the cross-language check:
the shared item written by each language is read back, equal, by every other language. C++ takes part twice:
the C++ example (client/cpp/example.cc: `share`, `verify`) and the `altgw` CLI, which writes the payload from
its typed JSON form (shared_item.json) and reads every language's item back as typed JSON.
(The C++ walkthrough itself runs as the CTest test altgw_cpp_example.)
"""
import base64
import importlib.util
import json
import os
import re
import subprocess

import pytest

from alternator.gateway.v1 import data_service_pb2 as data_pb
from alternator.gateway.v1 import value_pb2 as v
from conftest import ROOT, STUBS, free_port

LANGUAGES = ["python", "go", "java", "node", "ruby"]
# Who reads the shared items back with a `verify` command: every walkthrough language and the C++ example.
READERS = LANGUAGES + ["cpp"]
# Whose shared item exists once the writers ran: the walkthroughs, the C++ example and the CLI.
WRITERS = LANGUAGES + ["cpp", "cli"]
TABLE = "altgw_examples_test"
CPP_EXAMPLE = os.environ.get("ALTGW_CPP_EXAMPLE", os.path.join(ROOT, "build", "client", "cpp", "altgw_cpp_example"))
CLI = os.environ.get("ALTGW_CLI", os.path.join(ROOT, "build", "client", "cpp", "altgw"))
SHARED_ITEM_JSON = os.path.join(os.path.dirname(os.path.abspath(__file__)), "shared_item.json")
# A generous bound per run: a cold JVM on a busy 2-core machine takes a few seconds.
RUN_TIMEOUT = 120


def command(language):
    if language == "python":
        return ["/usr/bin/python3", os.path.join(ROOT, "client", "python", "example.py")]
    if language == "go":
        return [os.path.join(STUBS, "go", "bin", "altgw-example-go")]
    if language == "java":
        return [os.path.join(STUBS, "java", "example")]
    if language == "node":
        return ["node", os.path.join(ROOT, "client", "node", "example.js")]
    if language == "ruby":
        return ["ruby", os.path.join(ROOT, "client", "ruby", "example.rb")]
    if language == "cpp":
        return [CPP_EXAMPLE]
    if language == "cli":
        return [CLI]
    raise ValueError(language)


def run_example(language, address, *args, env=None):
    """Runs one example; `env` adds settings (TLS, token) to a clean environment."""
    extra = env or {}
    env = {
        **os.environ,
        "ALTGW_ADDRESS": address,
        "ALTGW_TABLE": TABLE,
        "ALTGW_PYTHON_STUBS": os.path.join(STUBS, "python"),
        "ALTGW_RUBY_STUBS": os.path.join(STUBS, "ruby"),
        "NODE_PATH": os.path.join(STUBS, "node", "node_modules"),
    }
    for name in ("ALTGW_CA_FILE", "ALTGW_TOKEN", "ALTGW_CLIENT_CERT", "ALTGW_CLIENT_KEY"):
        env.pop(name, None)
    env.update(extra)
    return subprocess.run(command(language) + list(args), env=env, capture_output=True, text=True,
                          timeout=RUN_TIMEOUT)


def load_python_example():
    """The Python example as a module, for its typed payload (the harness writes variants of it)."""
    spec = importlib.util.spec_from_file_location("altgw_example", os.path.join(ROOT, "client", "python",
                                                                                   "example.py"))
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.fixture(scope="module")
def walkthroughs(gateway):
    """Runs every language's walkthrough once, in order, against the same table."""
    return {language: run_example(language, gateway) for language in LANGUAGES}


def expected_lines(language):
    """The walkthrough's output, line by line, as regular expressions."""
    return [
        r"connect: 127\.0\.0\.1:\d+ \(plaintext, no token\)",
        r'health "": SERVING',
        # This gateway registers every service's health: the examples' NOT_FOUND note must not appear here.
        r'health "alternator\.gateway\.v1\.DataService": SERVING',
        rf"create table: {TABLE} (created|exists already \(ALREADY_EXISTS / TABLE_ALREADY_EXISTS\))",
        rf"put: 5 items in partition (?P<partition>{language}-\d+-[0-9a-f]{{8}})",
        r"get: sk=3 found, qty=3, price=3\.25, tags=.*example.*odd.*",
        r"query: 5 items in (?P<pages>\d+) pages \(page sizes (?P<sizes>[\d,]+)\)",
        re.escape("transaction: committed 3 operations (update sk=1 qty=2 status=shipped, put sk=100, check sk=2)"),
        re.escape("condition failure: FAILED_PRECONDITION reason=CONDITION_FAILED current qty=2"),
        re.escape("transaction failure: FAILED_PRECONDITION reason=CONDITION_FAILED operations[1]=CONDITION_FAILED"),
        re.escape(f"shared item xlang:{language}: equal (17 attributes)"),
        "OK",
    ]


@pytest.mark.parametrize("language", LANGUAGES)
def test_walkthrough(walkthroughs, data, language):
    result = walkthroughs[language]
    assert result.returncode == 0, f"{language} example failed:\n{result.stdout}\n{result.stderr}"
    lines = result.stdout.splitlines()
    patterns = expected_lines(language)
    assert len(lines) == len(patterns), f"{language} printed:\n{result.stdout}"
    captured = {}
    for line, pattern in zip(lines, patterns):
        match = re.fullmatch(pattern, line)
        assert match, f"{language}: {line!r} does not match {pattern!r}"
        captured.update({k: val for k, val in match.groupdict().items() if val is not None})
    sizes = [int(size) for size in captured["sizes"].split(",")]
    assert sum(sizes) == 5 and len(sizes) == int(captured["pages"]) and max(sizes) <= 2, captured

    # What the example says it wrote is really there: 5 orders and the transaction's audit item.
    reply = data.Query(data_pb.QueryRequest(table=TABLE, partition_key=v.Value(string_value=captured["partition"]),
                                            consistent_read=True), timeout=10)
    by_key = {item.attributes["sk"].number_value.integer: item.attributes for item in reply.items}
    assert sorted(by_key) == [1, 2, 3, 4, 5, 100]
    assert by_key[1]["qty"].number_value.integer == 2 and by_key[1]["status"].string_value == "shipped"
    assert by_key[3]["price"].number_value.decimal == "3.25"
    assert by_key[100]["kind"].string_value == "audit" and by_key[100]["note"].string_value == "order 1 shipped"


def test_only_the_first_example_created_the_table(walkthroughs):
    created = [language for language, result in walkthroughs.items()
               if f"create table: {TABLE} created" in result.stdout]
    assert created == [LANGUAGES[0]]


def cli_shared_item(owner):
    """The shared payload in the CLI's typed JSON form, keyed for `owner`."""
    with open(SHARED_ITEM_JSON, encoding="utf-8") as f:
        item = json.load(f)
    return {"pk": {"s": f"xlang:{owner}"}, "sk": {"n": "0"}, **item}


def sorted_sets(typed):
    """Typed JSON with the members of sets sorted (a set's order is not part of its value)."""
    if isinstance(typed, dict):
        return {k: sorted(v) if k in ("ss", "ns", "bs") else sorted_sets(v) for k, v in typed.items()}
    if isinstance(typed, list):
        return [sorted_sets(x) for x in typed]
    return typed


@pytest.fixture(scope="module")
def shared_by_cpp(walkthroughs, gateway):
    """The C++ example and the CLI write their shared items, after the walkthroughs created the table."""
    assert all(result.returncode == 0 for result in walkthroughs.values())
    example = run_example("cpp", gateway, "share")
    assert example.returncode == 0, f"C++ share failed:\n{example.stdout}\n{example.stderr}"
    assert example.stdout.splitlines()[1:] == ["shared item xlang:cpp: equal (17 attributes)", "OK"], example.stdout
    cli = run_example("cli", gateway, "put", TABLE, "--item", json.dumps(cli_shared_item("cli")))
    assert cli.returncode == 0, f"altgw put failed:\n{cli.stdout}\n{cli.stderr}"


@pytest.mark.parametrize("reader", READERS)
def test_cross_language(shared_by_cpp, gateway, reader):
    """Every reader reads the shared item written by every writer and finds it equal to its own payload."""
    result = run_example(reader, gateway, "verify", *WRITERS)
    assert result.returncode == 0, f"{reader} verify failed:\n{result.stdout}\n{result.stderr}"
    lines = result.stdout.splitlines()
    assert lines[1:] == [f"shared item xlang:{writer}: equal (17 attributes)" for writer in WRITERS] + ["OK"]


@pytest.mark.parametrize("writer", WRITERS)
def test_cli_reads_every_language(shared_by_cpp, gateway, writer):
    """`altgw get` prints each writer's item exactly as the typed JSON payload (the CLI's documented form)."""
    key = json.dumps({"pk": {"s": f"xlang:{writer}"}, "sk": {"n": "0"}})
    result = run_example("cli", gateway, "get", TABLE, "--key", key, "--consistent")
    assert result.returncode == 0, f"altgw get failed:\n{result.stdout}\n{result.stderr}"
    (line,) = result.stdout.splitlines()
    got = json.loads(line)
    assert got["found"] is True
    assert sorted_sets(got["item"]) == sorted_sets(cli_shared_item(writer))
    # The bytes really are the payload's bytes (base64 is only their spelling).
    assert base64.b64decode(got["item"]["blob"]["b"]) == bytes([0x00, 0xFF, 0x10, 0x80, 0x61])


@pytest.fixture(scope="module")
def tampered(walkthroughs, data):
    """Shared items that differ from the payload in one deeply nested byte, and in one number's last digit."""
    example = load_python_example()
    nested = example.shared_item("tampered-bytes")
    nested["nested"].map_value.fields["list"].list_value.values[3].map_value.fields["deep"].bytes_value = b"\xca\xff"
    data.Put(data_pb.PutRequest(table=TABLE, item=nested), timeout=10)
    number = example.shared_item("tampered-number")
    number["price"] = example.decimal("-12345.678901234567890124")
    data.Put(data_pb.PutRequest(table=TABLE, item=number), timeout=10)


@pytest.mark.parametrize("reader", READERS)
def test_cross_language_check_detects_differences(tampered, gateway, reader):
    for owner, attribute in (("tampered-bytes", "nested"), ("tampered-number", "price")):
        result = run_example(reader, gateway, "verify", owner)
        assert result.returncode != 0, f"{reader} accepted a different item:\n{result.stdout}"
        assert re.search(rf"FAILED: shared item of {owner} differs.*\b{attribute}\b", result.stderr), result.stderr
        assert "OK" not in result.stdout.splitlines()
    result = run_example(reader, gateway, "verify", "nobody")
    assert result.returncode != 0 and "FAILED: shared item of nobody: not found" in result.stderr, result.stderr


@pytest.mark.parametrize("language", READERS)
def test_unreachable_gateway_exits_non_zero(language):
    result = run_example(language, f"127.0.0.1:{free_port()}")
    assert result.returncode != 0
    assert re.search(r"FAILED: .*UNAVAILABLE|FAILED: .*Unavailable", result.stderr), result.stderr
    assert "OK" not in result.stdout.splitlines()


def test_cpp_stubs_from_the_script_build_and_call_the_gateway(gateway):
    """generate-stubs.sh cpp: the generated C++ code compiles into a library a program links and calls with."""
    check = os.path.join(STUBS, "cpp", "bin", "altgw-stubs-check")
    result = subprocess.run([check, gateway], capture_output=True, text=True, timeout=RUN_TIMEOUT)
    assert result.returncode == 0, f"{result.stdout}\n{result.stderr}"
    assert result.stdout.splitlines() == ["health: SERVING", "get from a missing table: NOT_FOUND TABLE_NOT_FOUND",
                                          "OK"]
    unreachable = subprocess.run([check, f"127.0.0.1:{free_port()}"], capture_output=True, text=True,
                                 timeout=RUN_TIMEOUT)
    assert unreachable.returncode == 1 and "FAILED: health check" in unreachable.stderr, unreachable.stderr
