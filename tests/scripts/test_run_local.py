"""The README's first command, scripts/run-local.sh, as a newcomer runs it: the first call succeeds, and
nothing is left running afterwards, whether it stops by itself (--once) or by Ctrl-C."""

import os
import re
import signal
import socket
import subprocess
import sys
import time

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
SCRIPT = os.path.join(ROOT, "scripts", "run-local.sh")
FIRST_CALL = ["health: SERVING", "get found=True: visits=1, languages=['en', 'fr']"]


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def listening(port):
    with socket.socket() as s:
        return s.connect_ex(("127.0.0.1", port)) == 0


def script_env(listen_port):
    # setup.sh ran before the tests (scripts/test.sh); the build folder is the one under test.
    return dict(os.environ, ALTGW_SKIP_SETUP="1", ALTGW_BUILD_DIR=os.environ["ALTGW_BUILD_DIR"],
                ALTGW_LISTEN="127.0.0.1:%d" % listen_port, ALTGW_ADMIN_LISTEN="127.0.0.1:0")


def database_port(output):
    match = re.search(r"Starting DynamoDB Local on 127\.0\.0\.1:(\d+)", output)
    assert match, output
    return int(match.group(1))


def test_once_makes_the_first_call_and_stops_everything():
    port = free_port()
    result = subprocess.run(["bash", SCRIPT, "--once"], env=script_env(port), capture_output=True, text=True,
                            timeout=300)
    assert result.returncode == 0, result.stdout + result.stderr
    for line in FIRST_CALL:
        assert line in result.stdout, result.stdout
    assert "created table 'quickstart'" in result.stdout
    assert not listening(port), "the gateway still listens after the script ended"
    assert not listening(database_port(result.stdout)), "DynamoDB Local still listens after the script ended"


def test_serves_until_ctrl_c_then_stops_everything():
    port = free_port()
    # Ctrl-C in a terminal signals the whole foreground process group: the script and what it started.
    process = subprocess.Popen(["bash", SCRIPT], env=script_env(port), stdout=subprocess.PIPE,
                               stderr=subprocess.STDOUT, text=True, start_new_session=True)
    output = ""
    try:
        deadline = time.time() + 300
        while "Press Ctrl-C" not in output:
            line = process.stdout.readline()
            assert line or process.poll() is None, "the script ended before serving:\n" + output
            output += line
            assert time.time() < deadline, "no 'Press Ctrl-C' within 300 s:\n" + output
        for line in FIRST_CALL:
            assert line in output, output
        # Still serving after the first call: a second quickstart finds the table and the item.
        again = subprocess.run(
            [sys.executable, os.path.join(ROOT, "client", "python", "quickstart.py"), "--address",
             "127.0.0.1:%d" % port],
            env=dict(os.environ, ALTGW_PYTHON_STUBS=os.path.join(os.environ["ALTGW_BUILD_DIR"], "python")),
            capture_output=True, text=True, timeout=60)
        assert again.returncode == 0, again.stdout + again.stderr
        assert "table 'quickstart' exists" in again.stdout, again.stdout
        os.killpg(process.pid, signal.SIGINT)
        rest, _ = process.communicate(timeout=60)
        output += rest
        assert process.returncode == 0, output
    finally:
        if process.poll() is None:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait()
    assert not listening(port), "the gateway still listens after Ctrl-C"
    assert not listening(database_port(output)), "DynamoDB Local still listens after Ctrl-C"
    # Nothing of the group is left (the gateway, DynamoDB Local, the script).
    time.sleep(0.5)
    try:
        os.killpg(process.pid, 0)
        leftover = True
    except ProcessLookupError:
        leftover = False
    assert not leftover, "processes of the script's group are still running after Ctrl-C"
