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


def listening(port):
    with socket.socket() as s:
        return s.connect_ex(("127.0.0.1", port)) == 0


def script_env():
    # setup.sh ran before the tests (scripts/test.sh); the build folder is the one under test. Port 0: the
    # gateway takes a free port itself (a port probed free here could be taken before it binds).
    return dict(os.environ, ALTGW_SKIP_SETUP="1", ALTGW_BUILD_DIR=os.environ["ALTGW_BUILD_DIR"],
                ALTGW_LISTEN="127.0.0.1:0", ALTGW_ADMIN_LISTEN="127.0.0.1:0")


def printed_port(pattern, output):
    match = re.search(pattern + r" 127\.0\.0\.1:(\d+)", output)
    assert match, output
    return int(match.group(1))


def gateway_port(output):
    return printed_port("The gateway is healthy on", output)


def database_port(output):
    return printed_port("DynamoDB Local serves on", output)


def test_once_makes_the_first_call_and_stops_everything():
    result = subprocess.run(["bash", SCRIPT, "--once"], env=script_env(), capture_output=True, text=True,
                            timeout=300)
    assert result.returncode == 0, result.stdout + result.stderr
    port = gateway_port(result.stdout)
    for line in FIRST_CALL:
        assert line in result.stdout, result.stdout
    assert "created table 'quickstart'" in result.stdout
    assert not listening(port), "the gateway still listens after the script ended"
    assert not listening(database_port(result.stdout)), "DynamoDB Local still listens after the script ended"


def test_serves_until_ctrl_c_then_stops_everything():
    # Ctrl-C in a terminal signals the whole foreground process group: the script and what it started.
    process = subprocess.Popen(["bash", SCRIPT], env=script_env(), stdout=subprocess.PIPE,
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
        port = gateway_port(output)
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


def listening_socket():
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    s.listen()
    return s


def test_a_database_port_taken_before_java_binds_it_is_replaced(tmp_path):
    # free_port's answer can be taken by anyone before DynamoDB Local binds it; here the first one is.
    with listening_socket() as blocker:
        taken = blocker.getsockname()[1]
        script = """
source "$ALTGW_ROOT_UNDER_TEST/scripts/lib.sh"
eval "$(declare -f free_port | sed '1s/free_port/any_free_port/')"
free_port() { if [ -e "$MARK" ]; then any_free_port; else touch "$MARK"; echo "$TAKEN"; fi; }
start_dynamodb_local "$LOG"
echo "port=$DDB_PORT"
kill "$DDB_PID"; wait "$DDB_PID" || true
"""
        result = subprocess.run(
            ["bash", "-c", script],
            env=dict(os.environ, ALTGW_ROOT_UNDER_TEST=ROOT, MARK=str(tmp_path / "handed-out"), TAKEN=str(taken),
                     LOG=str(tmp_path / "dynamodb-local.log")),
            capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stdout + result.stderr
    assert (tmp_path / "handed-out").exists(), "the taken port was never tried"
    port = int(re.search(r"port=(\d+)", result.stdout).group(1))
    assert port != taken
    assert not listening(port), "DynamoDB Local still listens after it was stopped"


def test_a_gateway_that_cannot_listen_fails_at_once_and_stops_the_database():
    with listening_socket() as blocker:
        taken = blocker.getsockname()[1]
        env = dict(script_env(), ALTGW_LISTEN="127.0.0.1:%d" % taken)
        result = subprocess.run(["bash", SCRIPT, "--once"], env=env, capture_output=True, text=True, timeout=300)
    assert result.returncode != 0, result.stdout
    assert "the gateway exited" in result.stderr, result.stderr
    assert "cannot listen on 127.0.0.1:%d" % taken in result.stderr, result.stderr
    assert "First call" not in result.stdout, result.stdout
    assert not listening(database_port(result.stdout)), "DynamoDB Local still listens after the script failed"


def test_wait_for_gateway_reads_the_port_from_a_log_that_appears_or_changes_later(tmp_path):
    # The started process opens its log a moment after the script goes on, and a log of an earlier run
    # may still be there: neither a missing log nor an old port line may end the wait.
    log = tmp_path / "gateway.log"
    log.write_text("alternator-gateway: serving gRPC on port 1 (plaintext h2c, no authentication)\n")
    script = """
set -euo pipefail
source "$ALTGW_ROOT_UNDER_TEST/scripts/lib.sh"
(sleep 1; rm -f "$LOG"; sleep 1
 exec "$ALTGW_BUILD_DIR/server/alternator-gateway" --listen 127.0.0.1:0 --backend-endpoints http://127.0.0.1:1 \
   --discovery off --transactions native --admin-listen 127.0.0.1:0 >"$LOG" 2>&1) &
GW_PID=$!
wait_for_gateway 127.0.0.1 "$LOG"
echo "address=$GW_ADDRESS"
kill "$GW_PID"; wait "$GW_PID" || true
"""
    result = subprocess.run(["bash", "-c", script],
                            env=dict(os.environ, ALTGW_ROOT_UNDER_TEST=ROOT, LOG=str(log)),
                            capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stdout + result.stderr
    port = int(re.search(r"address=127\.0\.0\.1:(\d+)", result.stdout).group(1))
    assert port != 1
    assert "serving gRPC on port %d " % port in log.read_text()
