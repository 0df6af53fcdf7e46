#!/usr/bin/python3
"""The gateway's benchmark: sets up every process, measures, prints a table and writes it as JSON.

Started by bench/run.sh (which installs the tools and builds first). Sections:
  overhead  nginx as a stand-in backend with canned DynamoDB answers; per operation and concurrency:
            E = the stand-in gRPC server (the gRPC hop alone) under h2load,
            D = nginx directly under wrk (the HTTP hop alone),
            G = the gateway in front of nginx under h2load (the same frames as E),
            L = 1 / (1/E + 1/D), the ideal gateway that adds nothing to the two hops it cannot avoid.
  dynamodb  the gateway in front of DynamoDB Local vs DynamoDB Local directly (wrk), same concurrency,
            with E and L as above (L/D is the best G/D any gateway could reach here) and the CPU per
            request of DynamoDB Local and of the load generators.
  memory    the gateway's RSS at idle and after 500k and 1M Get calls against nginx.
  micro     Google Benchmark binaries (translation layer, routing).
Every h2load run is checked for success beyond HTTP 200: a real gRPC client checks grpc-status and the
answers' content first, and h2load's received DATA bytes must equal (OK responses x OK frame size), which
an error answer (trailers only, no DATA) cannot fake. A failed check fails the run (exit status 1).
"""

import argparse
import datetime
import json
import os
import re
import resource
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request

BENCH_DIR = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(BENCH_DIR)
DATA_DIR = os.path.join(BENCH_DIR, "data")
SERVICE_PATH = "/alternator.gateway.v1.DataService/"
OPERATIONS = {"Get": "GetItem", "Put": "PutItem", "Query": "Query"}
CLOCK_TICKS = os.sysconf("SC_CLK_TCK")
# The direct path sends the headers the gateway sends, signed once (DynamoDB Local checks that a SigV4
# Credential is present, not the signature). The date is the run's own: DynamoDB Local answered requests
# dated months back at half the rate of current ones, which would have slowed the direct path down.
FIXED_AMZ_DATE = datetime.datetime.now(datetime.timezone.utc).strftime("%Y%m%dT%H%M%SZ")
FIXED_AUTHORIZATION = ("AWS4-HMAC-SHA256 Credential=alternatorgateway/%s/us-east-1/dynamodb/aws4_request, "
                       "SignedHeaders=host;x-amz-date, Signature=%s" % (FIXED_AMZ_DATE[:8], os.urandom(32).hex()))


def log(message):
    print("[bench] " + message, file=sys.stderr, flush=True)


class BenchFailure(Exception):
    pass


class Processes:
    """The processes this run started; each is stopped by its own pid, nothing else is touched."""

    def __init__(self):
        self.running = []

    def start(self, name, argv, log_path, env=None):
        out = open(log_path, "wb")
        process = subprocess.Popen(argv, stdout=out, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL, env=env)
        process.bench_name = name
        process.bench_log = log_path
        self.running.append(process)
        return process

    def stop(self, process, grace=5.0):
        if process.poll() is None:
            process.send_signal(signal.SIGTERM)
            try:
                process.wait(grace)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()
        if process in self.running:
            self.running.remove(process)

    def stop_all(self):
        for process in list(reversed(self.running)):
            self.stop(process)


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_for_port(port, process, timeout=30.0, host="127.0.0.1"):
    deadline = time.time() + timeout
    while time.time() < deadline:
        if process.poll() is not None:
            raise BenchFailure("%s exited (status %s); see %s" % (process.bench_name, process.returncode,
                                                                 process.bench_log))
        try:
            with socket.create_connection((host, port), timeout=0.5):
                return
        except OSError:
            time.sleep(0.1)
    raise BenchFailure("%s did not listen on %s:%d within %.0fs" % (process.bench_name, host, port, timeout))


GATEWAY_PORT_LINE = re.compile(r"alternator-gateway: serving gRPC on port (\d+) ")


def wait_for_gateway_port(process, timeout=30.0):
    """The port a gateway started on port 0 bound, from the line it prints once serving. (A port probed free
    and passed on could be taken by another process first; a connect to it would then also succeed.)"""
    deadline = time.time() + timeout
    while time.time() < deadline:
        with open(process.bench_log, errors="replace") as f:
            match = GATEWAY_PORT_LINE.search(f.read())
        if match:
            return int(match.group(1))
        if process.poll() is not None:
            raise BenchFailure("%s exited (status %s); see %s" % (process.bench_name, process.returncode,
                                                                 process.bench_log))
        time.sleep(0.05)
    raise BenchFailure("%s printed no port within %.0fs; see %s" % (process.bench_name, timeout, process.bench_log))


def dynamodb_answers(port):
    """Whether DynamoDB Local answers ListTables on the port (not merely whoever holds the port)."""
    request = urllib.request.Request(
        "http://127.0.0.1:%d/" % port, data=b"{}", method="POST",
        headers={"X-Amz-Target": "DynamoDB_20120810.ListTables", "Content-Type": "application/x-amz-json-1.0",
                 "Authorization": "AWS4-HMAC-SHA256 Credential=bench/20260101/us-east-1/dynamodb/aws4_request, "
                                  "SignedHeaders=host, Signature=0"})
    try:
        with urllib.request.urlopen(request, timeout=5) as answer:
            return answer.status == 200 and "TableNames" in json.load(answer)
    except (OSError, ValueError):
        return False


def cpu_seconds(pid):
    """utime + stime of a process, from /proc/<pid>/stat (fields 14 and 15, after the command name)."""
    with open("/proc/%d/stat" % pid) as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / CLOCK_TICKS


def children_cpu_seconds():
    """CPU of the finished child processes this script waited for (the load generators)."""
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def cpu_snapshot(watch):
    return {name: cpu_seconds(pid) for name, pid in watch.items()}


def pin_tree(pid, cpus):
    """Restricts every thread of a process and of its children (nginx's worker) to `cpus`."""
    for tid in os.listdir("/proc/%d/task" % pid):
        os.sched_setaffinity(int(tid), cpus)
        try:
            with open("/proc/%d/task/%s/children" % (pid, tid)) as f:
                children = [int(c) for c in f.read().split()]
        except OSError:
            children = []
        for child in children:
            pin_tree(child, cpus)


def rss_kib(pid):
    with open("/proc/%d/status" % pid) as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    raise BenchFailure("no VmRSS for pid %d" % pid)


def percentile(sorted_values, fraction):
    if not sorted_values:
        return None
    index = min(len(sorted_values) - 1, max(0, int(round(fraction * len(sorted_values) + 0.5)) - 1))
    return sorted_values[index]


class Bench:
    def __init__(self, args):
        self.args = args
        self.build = os.path.abspath(args.build_dir)
        self.tool = os.path.join(self.build, "bench", "altgw_bench_tool")
        self.standin = os.path.join(self.build, "bench", "altgw_bench_standin")
        self.gateway_bin = args.gateway_bin or os.path.join(self.build, "server", "alternator-gateway")
        self.work = tempfile.mkdtemp(prefix="altgw-bench-")
        # --pin-backend: the backend (nginx, DynamoDB Local) on the last CPU, everything else on the others.
        self.backend_cpus = self.front_cpus = None
        if args.pin_backend:
            cpus = sorted(os.sched_getaffinity(0))
            if len(cpus) < 2:
                raise SystemExit("--pin-backend needs at least 2 CPUs")
            self.backend_cpus, self.front_cpus = {cpus[-1]}, set(cpus[:-1])
        self.processes = Processes()
        self.failures = []
        self.keep_work = False
        self.results = {"sections": {}}

    # ---------------------------------------------------------------- helpers

    def place(self, process, backend):
        """Under --pin-backend, keeps a started process on its side of the machine."""
        if self.backend_cpus:
            pin_tree(process.pid, self.backend_cpus if backend else self.front_cpus)

    def run_load(self, argv, timeout, watch):
        """Runs a load generator (on the front CPUs under --pin-backend). Returns its result, the wall time,
        the CPU seconds each watched process ({name: pid}) used meanwhile, and the generator's own."""
        cpus = self.front_cpus
        before, client_before = cpu_snapshot(watch), children_cpu_seconds()
        started = time.time()
        result = subprocess.run(argv, capture_output=True, text=True, timeout=timeout,
                                preexec_fn=(lambda: os.sched_setaffinity(0, cpus)) if cpus else None)
        elapsed = time.time() - started
        after, client_after = cpu_snapshot(watch), children_cpu_seconds()
        used = {name: after[name] - before[name] for name in watch}
        return result, elapsed, used, client_after - client_before

    def run_tool(self, *argv, check=True):
        result = subprocess.run([self.tool] + [str(a) for a in argv], capture_output=True, text=True, timeout=300)
        if check and result.returncode != 0:
            raise BenchFailure("altgw_bench_tool %s failed: %s %s" % (" ".join(map(str, argv)), result.stdout.strip(),
                                                                      result.stderr.strip()))
        return result

    def grpc_check(self, target, op, calls, expect="canned"):
        """A real gRPC client: every call must be grpc-status OK with the expected content."""
        result = self.run_tool("check", target, op, calls, DATA_DIR, expect, check=False)
        try:
            report = json.loads(result.stdout.strip().splitlines()[-1])
        except (IndexError, ValueError):
            raise BenchFailure("grpc check of %s %s printed no report: %s" % (target, op, result.stderr.strip()))
        if result.returncode != 0 or report["ok"] != calls:
            raise BenchFailure("grpc check of %s %s: %d of %d calls OK; problems: %s" % (
                target, op, report["ok"], calls, json.dumps(report["problems"])))
        return report

    def start_gateway(self, name, backend, discovery):
        process = self.processes.start(name, [
            self.gateway_bin, "--listen", "127.0.0.1:0", "--backend-endpoints", backend,
            "--discovery", discovery, "--transactions", "native", "--no-reflection",
            # Loopback only, any free port: the default 0.0.0.0:9090 would clash with another gateway.
            "--admin-listen", "127.0.0.1:0"],
            os.path.join(self.work, name + ".log"), env=self.gateway_env())
        port = wait_for_gateway_port(process)
        self.place(process, backend=False)
        return process, "127.0.0.1:%d" % port

    def gateway_env(self):
        """--gateway-preload: try an allocator (or any library) under the gateway without rebuilding."""
        if not self.args.gateway_preload:
            return None
        return dict(os.environ, LD_PRELOAD=self.args.gateway_preload)

    # ---------------------------------------------------------------- load generators

    def h2load(self, target, op, streams, duration=None, requests=None, label="", pid=None, frame_bytes=None,
               watch=None):
        """Drives `op` on a gRPC server with h2load; returns throughput, latency and the checks.

        pid: the server whose CPU per request is reported; watch: {name: pid} of further processes."""
        connections = min(streams, self.args.connections)
        per_connection = max(1, streams // connections)
        log_path = os.path.join(self.work, "h2load-%s-%s-%d.log" % (label, op, streams))
        argv = ["h2load", "-t1", "-c%d" % connections, "-m%d" % per_connection,
                "-d", os.path.join(self.work, op + ".frame"),
                "-H", "content-type: application/grpc", "-H", "te: trailers"]
        if requests is not None:
            argv += ["-n%d" % requests]
        else:
            argv += ["-D%d" % duration, "--log-file=" + log_path]
        argv.append("http://%s%s%s" % (target, SERVICE_PATH, op))
        watched = dict(watch or {})
        if pid:
            watched[None] = pid  # the server under test
        result, elapsed, used, client_used = self.run_load(argv, (duration or 600) + 120, watched)
        server_used = used.pop(None, None)
        out = result.stdout
        if result.returncode != 0:
            raise BenchFailure("h2load failed (%d): %s %s" % (result.returncode, out[-2000:], result.stderr[-2000:]))
        m = re.search(r"finished in ([\d.]+)(m?s), ([\d.]+) req/s", out)
        counts = re.search(r"requests: (\d+) total, (\d+) started, (\d+) done, (\d+) succeeded, (\d+) failed, "
                           r"(\d+) errored, (\d+) timeout", out)
        traffic = re.search(r"traffic: .*?\((\d+)\) total, .*?\((\d+)\) headers .*?, .*?\((\d+)\) data", out)
        if not (m and counts and traffic):
            raise BenchFailure("cannot read h2load's output:\n" + out[-3000:])
        succeeded, failed, errored, timeouts = (int(counts.group(i)) for i in (4, 5, 6, 7))
        data_bytes = int(traffic.group(3))
        run = {"streams": streams, "connections": connections, "streams_per_connection": per_connection,
               "rps": float(m.group(3)), "requests": succeeded, "failed": failed + errored + timeouts,
               "data_bytes": data_bytes}
        if server_used is not None:
            run["cpu_us_per_request"] = server_used * 1e6 / max(1, succeeded)
            run["cpu_cores"] = server_used / elapsed
        run["cpu_us_per_request_of"] = {name: cpu * 1e6 / max(1, succeeded) for name, cpu in used.items()}
        run["client_cpu_us_per_request"] = client_used * 1e6 / max(1, succeeded)
        if requests is None:
            latencies = []
            with open(log_path) as f:
                for line in f:
                    parts = line.split()
                    if len(parts) == 3 and parts[1] == "200":
                        latencies.append(int(parts[2]))
            os.remove(log_path)
            latencies.sort()
            run["p50_us"] = percentile(latencies, 0.50)
            run["p99_us"] = percentile(latencies, 0.99)
        # Success beyond HTTP 200: every OK answer carries one DATA frame of a known size; an error answer
        # (trailers only) carries none. Requests cut by the end of the run may leave partial frames.
        problems = []
        if succeeded == 0:
            problems.append("no request succeeded")
        if run["failed"]:
            problems.append("%d requests failed" % run["failed"])
        if frame_bytes:
            expected = succeeded * frame_bytes
            if abs(data_bytes - expected) > max(frame_bytes * streams, 0.002 * expected):
                problems.append("received %d DATA bytes for %d answers of %d bytes: not every answer was OK" % (
                    data_bytes, succeeded, frame_bytes))
        if problems:
            raise BenchFailure("h2load %s %s at %d streams: %s" % (label, op, streams, "; ".join(problems)))
        return run

    def wrk_script(self, op, host_header):
        path = os.path.join(self.work, "%s.lua" % op)
        with open(os.path.join(self.work, op + ".http")) as f:
            body = f.read()
        with open(path, "w") as f:
            f.write('wrk.method = "POST"\n')
            f.write("wrk.body = [==[%s]==]\n" % body)
            f.write('wrk.headers["Host"] = "%s"\n' % host_header)
            f.write('wrk.headers["Content-Type"] = "application/x-amz-json-1.0"\n')
            f.write('wrk.headers["X-Amz-Target"] = "DynamoDB_20120810.%s"\n' % OPERATIONS[op])
            f.write('wrk.headers["X-Amz-Date"] = "%s"\n' % FIXED_AMZ_DATE)
            f.write('wrk.headers["Authorization"] = "%s"\n' % FIXED_AUTHORIZATION)
        return path

    def wrk(self, url, op, connections, duration, script, watch=None):
        argv = ["wrk", "-t1", "-c%d" % connections, "-d%ds" % duration, "--timeout", "10s", "--latency", "-s", script, url]
        result, _, used, client_used = self.run_load(argv, duration + 120, watch or {})
        out = result.stdout
        if result.returncode != 0:
            raise BenchFailure("wrk failed (%d): %s %s" % (result.returncode, out[-2000:], result.stderr[-2000:]))
        rps = re.search(r"Requests/sec:\s+([\d.]+)", out)
        total = re.search(r"(\d+) requests in", out)
        if not (rps and total):
            raise BenchFailure("cannot read wrk's output:\n" + out[-3000:])

        def latency(label):
            m = re.search(r"^\s+%s\s+([\d.]+)(us|ms|s)\s*$" % re.escape(label), out, re.M)
            if not m:
                return None
            return float(m.group(1)) * {"us": 1, "ms": 1e3, "s": 1e6}[m.group(2)]

        run = {"streams": connections, "connections": connections, "rps": float(rps.group(1)),
               "requests": int(total.group(1)), "p50_us": latency("50%"), "p99_us": latency("99%")}
        run["cpu_us_per_request_of"] = {name: cpu * 1e6 / max(1, run["requests"]) for name, cpu in used.items()}
        run["client_cpu_us_per_request"] = client_used * 1e6 / max(1, run["requests"])
        problems = []
        non2xx = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
        if non2xx:
            problems.append("%s answers were not 2xx" % non2xx.group(1))
        errors = re.search(r"Socket errors: (.*)", out)
        if errors:
            problems.append("socket errors: " + errors.group(1))
        if run["requests"] == 0:
            problems.append("no request completed")
        if problems:
            raise BenchFailure("wrk %s at %d connections: %s" % (op, connections, "; ".join(problems)))
        return run

    def check_http(self, url, op, host_header, must_contain):
        """One request as wrk sends it, with curl, to check the backend answers what the benchmark assumes."""
        with open(os.path.join(self.work, op + ".http")) as f:
            body = f.read()
        result = subprocess.run(
            ["curl", "-sS", "-w", "\n%{http_code}", "-X", "POST", url, "-H", "Host: " + host_header,
             "-H", "Content-Type: application/x-amz-json-1.0", "-H", "X-Amz-Target: DynamoDB_20120810." + OPERATIONS[op],
             "-H", "X-Amz-Date: " + FIXED_AMZ_DATE, "-H", "Authorization: " + FIXED_AUTHORIZATION,
             "--data-binary", body], capture_output=True, text=True, timeout=30)
        answer, _, status = result.stdout.rpartition("\n")
        if status != "200" or must_contain not in answer:
            raise BenchFailure("direct %s to %s answered %s: %s" % (op, url, status, answer[:300]))

    # ---------------------------------------------------------------- sections

    def prepare(self):
        for binary in (self.tool, self.standin, self.gateway_bin):
            if not os.path.exists(binary):
                raise BenchFailure("%s is missing: build first (bench/run.sh builds)" % binary)
        for program in ("nginx", "h2load", "wrk", "curl"):
            if shutil.which(program) is None and not os.path.exists("/usr/sbin/" + program):
                raise BenchFailure("%s is not installed (bench/run.sh installs it)" % program)
        self.run_tool("frames", DATA_DIR, self.work)

    def start_nginx(self):
        port = free_port()
        prefix = os.path.join(self.work, "nginx")
        os.makedirs(prefix, exist_ok=True)
        answers = []
        for operation in ("GetItem", "PutItem", "Query", "DescribeTable"):
            with open(os.path.join(DATA_DIR, operation + ".json")) as f:
                text = f.read().strip()
            if "'" in text or "$" in text:
                raise BenchFailure("bench/data/%s.json must not hold ' or $ (nginx strings)" % operation)
            answers.append("    DynamoDB_20120810.%s '%s';" % (operation, text))
        nodes = ["127.0.0.1", "127.0.0.2", "127.0.0.3"]
        listens = "\n".join("    listen %s:%d;" % (node, port) for node in nodes)
        conf = """worker_processes 1;
daemon off;
pid {prefix}/nginx.pid;
error_log {prefix}/error.log warn;
events {{ worker_connections 4096; }}
http {{
  access_log off;
  client_body_temp_path {prefix}/body;
  proxy_temp_path {prefix}/proxy;
  fastcgi_temp_path {prefix}/fastcgi;
  uwsgi_temp_path {prefix}/uwsgi;
  scgi_temp_path {prefix}/scgi;
  keepalive_requests 100000000;
  keepalive_timeout 300s;
  default_type application/x-amz-json-1.0;
  # The canned answer of each DynamoDB operation, chosen by X-Amz-Target.
  map $http_x_amz_target $dynamodb_answer {{
    default "";
{answers}
  }}
  server {{
{listens}
    location = /localnodes {{ return 200 '{nodes}'; }}
    location = / {{
      if ($request_method = GET) {{ return 200 'healthy'; }}
      if ($dynamodb_answer = "") {{
        return 400 '{{"__type":"com.amazon.coral.service#UnknownOperationException","message":"not canned"}}';
      }}
      return 200 $dynamodb_answer;
    }}
  }}
}}
""".format(prefix=prefix, answers="\n".join(answers), listens=listens, nodes=json.dumps(nodes))
        conf_path = os.path.join(prefix, "nginx.conf")
        with open(conf_path, "w") as f:
            f.write(conf)
        nginx = shutil.which("nginx") or "/usr/sbin/nginx"
        process = self.processes.start("nginx", [nginx, "-p", prefix, "-c", conf_path],
                                       os.path.join(self.work, "nginx.log"))
        for node in nodes:
            wait_for_port(port, process, host=node)
        self.place(process, backend=True)
        return process, port

    def start_standin(self):
        """The trivial gRPC server (E): fixed answers, no backend; the cost of the gRPC hop alone."""
        port = free_port()
        standin = self.processes.start("standin", [self.standin, DATA_DIR, "127.0.0.1:%d" % port],
                                       os.path.join(self.work, "standin.log"))
        wait_for_port(port, standin)
        self.place(standin, backend=False)
        return standin, "127.0.0.1:%d" % port

    def overhead(self, nginx_port):
        args = self.args
        backend = "http://127.0.0.1:%d" % nginx_port
        standin, e_target = self.start_standin()
        gateway, g_target = self.start_gateway("gateway-nginx", backend, "on")
        host = "127.0.0.1:%d" % nginx_port
        frame_bytes = {}
        for op in args.ops:
            e_check = self.grpc_check(e_target, op, 20)
            g_check = self.grpc_check(g_target, op, 20)
            if e_check["response_frame_bytes"] != g_check["response_frame_bytes"]:
                raise BenchFailure("%s: the gateway answers %d bytes, the stand-in %d: not the same answer" % (
                    op, g_check["response_frame_bytes"], e_check["response_frame_bytes"]))
            frame_bytes[op] = g_check["response_frame_bytes"]
            self.check_http(backend + "/", op, host, "{")
        rows = []
        for op in args.ops:
            script = self.wrk_script(op, host)
            for streams in args.concurrency:
                log("overhead %s at %d streams: E, D, G" % (op, streams))
                # Short unmeasured runs first, so that every measured run starts warm (connections open,
                # schema cached, caches and allocator pools filled).
                warm = max(1, args.warmup)
                self.h2load(e_target, op, streams, warm, label="warmE", frame_bytes=frame_bytes[op])
                self.wrk(backend + "/", op, streams, warm, script)
                self.h2load(g_target, op, streams, warm, label="warmG", frame_bytes=frame_bytes[op])
                e = self.h2load(e_target, op, streams, args.duration, label="E", frame_bytes=frame_bytes[op])
                d = self.wrk(backend + "/", op, streams, args.duration, script)
                g = self.h2load(g_target, op, streams, args.duration, label="G", pid=gateway.pid,
                                frame_bytes=frame_bytes[op])
                limit = 1.0 / (1.0 / e["rps"] + 1.0 / d["rps"])
                rows.append({"op": op, "streams": streams, "E": e, "D": d, "G": g, "L_rps": limit,
                             "G_over_L": g["rps"] / limit,
                             "added_p50_us": g["p50_us"] - d["p50_us"],
                             # What the gateway adds beyond both hops it cannot avoid (the gRPC hop alone,
                             # E, already costs ~100 us at one stream on the reference machine).
                             "own_p50_us": g["p50_us"] - d["p50_us"] - e["p50_us"],
                             "added_p99_us": g["p99_us"] - d["p99_us"]})
        # The answers stayed OK to the end (not only at the start).
        for op in args.ops:
            self.grpc_check(g_target, op, 20)
        self.processes.stop(gateway)
        self.processes.stop(standin)
        self.results["sections"]["overhead"] = {"rows": rows, "response_frame_bytes": frame_bytes}

    def memory(self, nginx_port):
        args = self.args
        backend = "http://127.0.0.1:%d" % nginx_port
        gateway, target = self.start_gateway("gateway-memory", backend, "on")
        time.sleep(1.0)
        idle_start = rss_kib(gateway.pid)
        check = self.grpc_check(target, "Get", 20)
        time.sleep(0.5)
        idle = rss_kib(gateway.pid)
        # Ten runs with a sample after each: a leak grows in every step, while warm-up (allocator caches,
        # connection buffers, interned labels) levels off, and one sample per half could not tell them apart.
        steps = int(os.environ.get("ALTGW_BENCH_MEMORY_STEPS", "10"))
        step = args.memory_requests // steps
        log("memory: %d x %d Get calls" % (steps, step))
        runs = []
        samples = [{"requests": 0, "rss_kib": idle}]
        for i in range(1, steps + 1):
            run = self.h2load(target, "Get", 64, requests=step, label="mem%d" % i,
                              pid=gateway.pid, frame_bytes=check["response_frame_bytes"])
            runs.append(run)
            samples.append({"requests": i * step, "rss_kib": rss_kib(gateway.pid)})
        self.grpc_check(target, "Get", 20)
        self.processes.stop(gateway)
        second_half = [s["rss_kib"] for s in samples[steps // 2:]]
        self.results["sections"]["memory"] = {
            "rss_kib_at_start": idle_start, "rss_kib_idle": idle, "samples": samples,
            "growth_kib_second_half": samples[-1]["rss_kib"] - samples[steps // 2]["rss_kib"],
            "range_kib_second_half": max(second_half) - min(second_half),
            "rps": [r["rps"] for r in runs], "cpu_us_per_request": [r["cpu_us_per_request"] for r in runs]}

    def start_dynamodb_local(self, jar, ddb_dir):
        """DynamoDB Local on a free port, once it answers; on another port when Java finds its port taken."""
        env = dict(os.environ, DDB_LOCAL_TELEMETRY="0")
        for _ in range(3):
            port = free_port()
            ddb = self.processes.start("dynamodb-local", [
                "java", "-Djava.library.path=" + os.path.join(ddb_dir, "DynamoDBLocal_lib"), "-jar", jar,
                "-inMemory", "-sharedDb", "-disableTelemetry", "-port", str(port)],
                os.path.join(self.work, "dynamodb-local.log"), env=env)
            deadline = time.time() + 120
            while ddb.poll() is None and time.time() < deadline and not dynamodb_answers(port):
                time.sleep(0.1)
            if ddb.poll() is None and dynamodb_answers(port):
                return ddb, port
            self.processes.stop(ddb)
            with open(ddb.bench_log, errors="replace") as f:
                if "BindException" not in f.read():
                    raise BenchFailure("DynamoDB Local did not start; see %s" % ddb.bench_log)
        raise BenchFailure("DynamoDB Local found its port taken three times; see %s" % ddb.bench_log)

    def dynamodb(self):
        args = self.args
        ddb_dir = args.dynamodb_local_dir
        jar = os.path.join(ddb_dir, "DynamoDBLocal.jar")
        if not os.path.exists(jar):
            raise BenchFailure("DynamoDB Local is not at %s (scripts/setup.sh fetches it)" % jar)
        ddb, port = self.start_dynamodb_local(jar, ddb_dir)
        self.place(ddb, backend=True)
        backend = "http://127.0.0.1:%d" % port
        gateway, target = self.start_gateway("gateway-ddb", backend, "off")
        deadline = time.time() + 60
        while self.run_tool("create-table", target, check=False).returncode != 0:
            if time.time() > deadline:
                raise BenchFailure("cannot create the bench table on DynamoDB Local")
            time.sleep(0.5)
        self.grpc_check(target, "Put", 1)
        frame_bytes = {op: self.grpc_check(target, op, 10)["response_frame_bytes"] for op in args.dynamodb_ops}
        host = "127.0.0.1:%d" % port
        for op in args.dynamodb_ops:
            self.check_http(backend + "/", op, host, '"Item"' if op == "Get" else "{")
        # E here too, measured in this section's run: the composed limit L = 1/(1/E + 1/D) bounds what any
        # gateway can reach. At one stream the hops' latencies add up; at 16-64 streams the processes share
        # the machine's cores, and the per-request CPU of the gRPC hop and of DynamoDB Local add up the same
        # way. So when L/D < 0.9, the 0.9 x D target is out of reach for any gateway on this machine.
        standin, e_target = self.start_standin()
        e_frame_bytes = {op: self.grpc_check(e_target, op, 10)["response_frame_bytes"] for op in args.dynamodb_ops}
        watch = {"dynamodb_local": ddb.pid}
        rows = []
        for op in args.dynamodb_ops:
            script = self.wrk_script(op, host)
            log("dynamodb %s: warming DynamoDB Local up" % op)
            self.wrk(backend + "/", op, 16, max(1, args.ddb_warmup), script)
            self.h2load(target, op, 16, max(1, args.ddb_warmup), label="warmDG", frame_bytes=frame_bytes[op])
            for streams in args.concurrency:
                log("dynamodb %s at %d streams: E, D, G" % (op, streams))
                self.h2load(e_target, op, streams, max(1, args.warmup), label="warmDE", frame_bytes=e_frame_bytes[op])
                e = self.h2load(e_target, op, streams, args.duration, label="DE", pid=standin.pid,
                                frame_bytes=e_frame_bytes[op])
                d = self.wrk(backend + "/", op, streams, args.duration, script, watch=watch)
                g = self.h2load(target, op, streams, args.duration, label="DG", pid=gateway.pid,
                                frame_bytes=frame_bytes[op], watch=watch)
                limit = 1.0 / (1.0 / e["rps"] + 1.0 / d["rps"])
                rows.append({"op": op, "streams": streams, "E": e, "D": d, "G": g, "L_rps": limit,
                             "G_over_D": g["rps"] / d["rps"], "L_over_D": limit / d["rps"],
                             "G_over_L": g["rps"] / limit, "added_p50_us": g["p50_us"] - d["p50_us"]})
        for op in args.dynamodb_ops:
            self.grpc_check(target, op, 10)
        self.processes.stop(gateway)
        self.processes.stop(standin)
        self.processes.stop(ddb)
        self.results["sections"]["dynamodb"] = {"rows": rows}

    def profile(self, nginx_port):
        """Instructions per call of the gateway (callgrind): repeatable on a noisy machine, unlike time."""
        args = self.args
        if shutil.which("valgrind") is None:
            raise BenchFailure("valgrind is not installed")
        backend = "http://127.0.0.1:%d" % nginx_port
        rows = []
        for op in args.ops:
            out = os.path.join(self.work, "callgrind-%s.out" % op)
            gateway = self.processes.start("gateway-callgrind", [
                "valgrind", "--tool=callgrind", "--callgrind-out-file=" + out,
                self.gateway_bin, "--listen", "127.0.0.1:0", "--backend-endpoints", backend,
                "--discovery", "on", "--transactions", "native", "--no-reflection"],
                os.path.join(self.work, "gateway-callgrind-%s.log" % op), env=self.gateway_env())
            target = "127.0.0.1:%d" % wait_for_gateway_port(gateway, timeout=120)
            check = self.grpc_check(target, op, 50)
            # Counting starts warm (connections open, schema cached): the counters are zeroed here and dumped
            # right after the load, and only that dump is read (not the one at exit, which holds the shutdown).
            subprocess.run(["callgrind_control", "-z", str(gateway.pid)], check=True, capture_output=True)
            run = self.h2load(target, op, args.profile_streams, requests=args.profile_requests, label="callgrind",
                              frame_bytes=check["response_frame_bytes"])
            subprocess.run(["callgrind_control", "-d", str(gateway.pid)], check=True, capture_output=True)
            self.processes.stop(gateway, grace=30)
            dumps = []
            total = 0
            for name in os.listdir(self.work):
                if not name.startswith("callgrind-%s.out" % op):
                    continue
                with open(os.path.join(self.work, name)) as f:
                    header = f.read(4096)
                if "Trigger: dump" not in header:
                    continue
                dumps.append(os.path.join(self.work, name))
                total += int(re.search(r"^summary: (\d+)", header, re.M).group(1))
            if not dumps:
                raise BenchFailure("callgrind wrote no dump")
            annotate = subprocess.run(["callgrind_annotate", "--inclusive=no", "--threshold=90"] + sorted(dumps),
                                      capture_output=True, text=True).stdout
            rows.append({"op": op, "requests": run["requests"], "instructions_per_request": total / run["requests"],
                         "dumps": sorted(dumps)})
            with open(os.path.join(self.work, "callgrind-%s.txt" % op), "w") as f:
                f.write(annotate)
            log("callgrind %s: %.0f instructions per call (%s)" % (op, total / run["requests"], dumps[0]))
        self.results["sections"]["profile"] = {"rows": rows}
        self.keep_work = True

    def micro(self):
        rows = []
        for name in ("altgw_model_bench", "altgw_routing_bench"):
            binary = os.path.join(self.build, "bench", name)
            if not os.path.exists(binary):
                raise BenchFailure("%s is missing" % binary)
            out = os.path.join(self.work, name + ".json")
            log("micro-benchmarks: " + name)
            result = subprocess.run([binary, "--benchmark_format=console", "--benchmark_out_format=json",
                                     "--benchmark_out=" + out, "--benchmark_min_time=%s" % self.args.micro_min_time],
                                    capture_output=True, text=True, timeout=900,
                                    env=dict(os.environ, ALTGW_BENCH_DATA=DATA_DIR))
            if result.returncode != 0:
                raise BenchFailure("%s failed: %s" % (name, result.stderr[-2000:]))
            with open(out) as f:
                report = json.load(f)
            for b in report["benchmarks"]:
                if b.get("error_occurred"):
                    raise BenchFailure("%s %s: %s" % (name, b["name"], b.get("error_message")))
                scale = {"ns": 1, "us": 1e3, "ms": 1e6, "s": 1e9}[b.get("time_unit", "ns")]
                rows.append({"binary": name, "name": b["name"], "ns": b["real_time"] * scale,
                             "cpu_ns": b["cpu_time"] * scale, "iterations": b["iterations"]})
        self.results["sections"]["micro"] = {"rows": rows}

    # ---------------------------------------------------------------- report

    def table(self):
        lines = []
        sections = self.results["sections"]
        pinned = self.results.get("settings", {}).get("pin_backend")
        lines.append("Run %s (%s%s), git %s; load average at start %s, at end %s (2 cores shared: see README)" % (
            self.results.get("started"), self.results.get("mode"),
            ", backend pinned to CPU %s" % pinned if pinned else "", self.results.get("git"),
            "/".join("%.1f" % x for x in self.results.get("load_average_at_start", [])),
            "/".join("%.1f" % x for x in self.results.get("load_average_at_end", []))))
        lines.append("")

        def fmt(value, spec="%.0f"):
            return "-" if value is None else spec % value

        if "overhead" in sections:
            lines.append("Overhead against nginx (canned answers): req/s; latency in us (p50/p99); "
                         "G cpu = gateway CPU per request")
            lines.append("(+p50 = G p50 - D p50; own p50 = G p50 - D p50 - E p50)")
            lines.append("%-6s %4s %9s %9s %9s %9s %6s %13s %13s %13s %9s %9s %7s" % (
                "op", "conc", "E req/s", "D req/s", "L req/s", "G req/s", "G/L", "E p50/p99", "D p50/p99",
                "G p50/p99", "+p50 us", "own p50", "G cpu"))
            for r in sections["overhead"]["rows"]:
                lines.append("%-6s %4d %9.0f %9.0f %9.0f %9.0f %6.2f %13s %13s %13s %9.0f %9s %6.1fus" % (
                    r["op"], r["streams"], r["E"]["rps"], r["D"]["rps"], r["L_rps"], r["G"]["rps"], r["G_over_L"],
                    "%s/%s" % (fmt(r["E"]["p50_us"]), fmt(r["E"]["p99_us"])),
                    "%s/%s" % (fmt(r["D"]["p50_us"]), fmt(r["D"]["p99_us"])),
                    "%s/%s" % (fmt(r["G"]["p50_us"]), fmt(r["G"]["p99_us"])),
                    r["added_p50_us"], fmt(r.get("own_p50_us")), r["G"]["cpu_us_per_request"]))
            lines.append("")
        if "dynamodb" in sections:
            lines.append("DynamoDB Local: gateway path (G, h2load) vs direct HTTP (D, wrk); E = the stand-in gRPC "
                         "server, L = 1/(1/E + 1/D)")
            lines.append("(CPU per request in us: G cpu = gateway; DB cpu = DynamoDB Local during D / during G; "
                         "load = wrk during D / h2load during G)")
            lines.append("%-6s %4s %9s %9s %9s %9s %6s %6s %6s %13s %13s %9s %7s %11s %9s" % (
                "op", "conc", "E req/s", "D req/s", "L req/s", "G req/s", "G/D", "L/D", "G/L", "D p50/p99",
                "G p50/p99", "+p50 us", "G cpu", "DB cpu D/G", "load D/G"))
            for r in sections["dynamodb"]["rows"]:
                db = [x.get("cpu_us_per_request_of", {}).get("dynamodb_local") for x in (r["D"], r["G"])]
                load = [x.get("client_cpu_us_per_request") for x in (r["D"], r["G"])]
                lines.append("%-6s %4d %9s %9.0f %9s %9.0f %6.2f %6s %6s %13s %13s %9.0f %6.1fus %11s %9s" % (
                    r["op"], r["streams"], fmt(r.get("E", {}).get("rps")), r["D"]["rps"], fmt(r.get("L_rps")),
                    r["G"]["rps"], r["G_over_D"], fmt(r.get("L_over_D"), "%.2f"), fmt(r.get("G_over_L"), "%.2f"),
                    "%s/%s" % (fmt(r["D"]["p50_us"]), fmt(r["D"]["p99_us"])),
                    "%s/%s" % (fmt(r["G"]["p50_us"]), fmt(r["G"]["p99_us"])),
                    r["added_p50_us"], r["G"]["cpu_us_per_request"], "%s/%s" % (fmt(db[0]), fmt(db[1])),
                    "%s/%s" % (fmt(load[0]), fmt(load[1]))))
            lines.append("")
        if "memory" in sections:
            m = sections["memory"]
            half = m["samples"][len(m["samples"]) // 2]
            lines.append("Gateway RSS (Get against nginx): at start %d KiB, idle after first calls %d KiB, "
                         "after %d calls %d KiB, after %d calls %d KiB; growth over the second half %+d KiB "
                         "(samples in it span %d KiB)" % (
                             m["rss_kib_at_start"], m["rss_kib_idle"], half["requests"], half["rss_kib"],
                             m["samples"][-1]["requests"], m["samples"][-1]["rss_kib"],
                             m["growth_kib_second_half"], m.get("range_kib_second_half", 0)))
            lines.append("RSS samples (calls: KiB): " + ", ".join(
                "%dk: %d" % (x["requests"] // 1000, x["rss_kib"]) for x in m["samples"]))
            lines.append("")
        if "profile" in sections:
            for r in sections["profile"]["rows"]:
                lines.append("callgrind: %-6s %10.0f instructions per call (gateway, all threads)" % (
                    r["op"], r["instructions_per_request"]))
            lines.append("")
        if "micro" in sections:
            lines.append("Micro-benchmarks (ns per operation, wall / cpu)")
            for r in sections["micro"]["rows"]:
                lines.append("  %-40s %10.0f %10.0f" % (r["name"], r["ns"], r["cpu_ns"]))
            lines.append("")
        return "\n".join(lines)

    def run(self):
        args = self.args
        self.prepare()
        self.results.update({
            "started": datetime.datetime.now(datetime.timezone.utc).isoformat(timespec="seconds"),
            "mode": "smoke" if args.smoke else "full", "load_average_at_start": os.getloadavg(),
            "settings": {"pin_backend": sorted(self.backend_cpus) if self.backend_cpus else None,
                         "duration_s": args.duration, "concurrency": args.concurrency, "ops": args.ops,
                         "h2load_connections_max": args.connections, "nginx_workers": 1,
                         "memory_requests": args.memory_requests},
            "git": subprocess.run(["git", "-C", ROOT, "rev-parse", "--short", "HEAD"], capture_output=True,
                                  text=True).stdout.strip()})
        sections = args.sections
        try:
            nginx = None
            if {"overhead", "memory", "profile"} & set(sections):
                nginx, nginx_port = self.start_nginx()
            for section in sections:
                try:
                    if section == "overhead":
                        self.overhead(nginx_port)
                    elif section == "dynamodb":
                        self.dynamodb()
                    elif section == "memory":
                        self.memory(nginx_port)
                    elif section == "profile":
                        self.profile(nginx_port)
                    elif section == "micro":
                        self.micro()
                except BenchFailure as failure:
                    log("FAILED (%s): %s" % (section, failure))
                    self.failures.append("%s: %s" % (section, failure))
                    for process in list(self.processes.running):
                        if process is not nginx:
                            self.processes.stop(process)
        finally:
            self.processes.stop_all()
        self.results["load_average_at_end"] = os.getloadavg()
        self.results["failures"] = self.failures
        text = self.table()
        print(text)
        os.makedirs(args.results_dir, exist_ok=True)
        stamp = datetime.datetime.now(datetime.timezone.utc).strftime("%Y%m%dT%H%M%SZ")
        path = os.path.join(args.results_dir, "%s%s.json" % (stamp, "-smoke" if args.smoke else ""))
        with open(path, "w") as f:
            json.dump(self.results, f, indent=1)
        log("results: " + path)
        if self.failures:
            log("%d section(s) failed; logs kept in %s" % (len(self.failures), self.work))
            for failure in self.failures:
                print("FAILED " + failure)
            return 1
        if self.keep_work:
            log("profiles kept in " + self.work)
        else:
            shutil.rmtree(self.work, ignore_errors=True)
        return 0


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--smoke", action="store_true", help="a few seconds per scenario, every check kept")
    parser.add_argument("--build-dir", default=os.path.join(ROOT, "build"))
    parser.add_argument("--results-dir", default=os.path.join(BENCH_DIR, "results"))
    parser.add_argument("--sections", default="overhead,dynamodb,memory,micro")
    parser.add_argument("--ops", default=None, help="overhead operations (default Get,Put,Query)")
    parser.add_argument("--concurrency", default=None, help="streams/connections (default 1,16,64)")
    parser.add_argument("--duration", type=int, default=None, help="seconds per measured run (default 10)")
    parser.add_argument("--warmup", type=int, default=None, help="seconds of unmeasured warm-up before each run")
    parser.add_argument("--connections", type=int, default=4, help="h2load connections at most (streams split)")
    parser.add_argument("--memory-requests", type=int, default=None, help="default 1000000")
    parser.add_argument("--gateway-bin", help="the gateway binary to measure (default: the build's); for A/B "
                        "runs of two builds")
    parser.add_argument("--profile-requests", type=int, default=5000, help="calls counted by callgrind")
    parser.add_argument("--profile-streams", type=int, default=16)
    parser.add_argument("--gateway-preload", default="", help="LD_PRELOAD for the gateway (comparisons)")
    parser.add_argument("--pin-backend", action="store_true", help="run nginx / DynamoDB Local on the last CPU "
                        "and everything else on the others, as a database with its own cores would be")
    parser.add_argument("--dynamodb-local-dir", default=os.path.join(ROOT, ".tools", "dynamodb-local"))
    args = parser.parse_args()
    smoke = args.smoke
    args.sections = args.sections.split(",")
    args.ops = (args.ops or "Get,Put,Query").split(",")
    args.concurrency = [int(c) for c in (args.concurrency or ("1,16" if smoke else "1,16,64")).split(",")]
    args.duration = args.duration or (1 if smoke else 10)
    args.warmup = args.warmup if args.warmup is not None else (1 if smoke else 2)
    args.ddb_warmup = 1 if smoke else 8
    args.dynamodb_ops = ["Get", "Put"]
    args.memory_requests = args.memory_requests or (20000 if smoke else 1000000)
    args.micro_min_time = "0.01" if smoke else "0.5"
    return Bench(args).run()


if __name__ == "__main__":
    sys.exit(main())
