#!/usr/bin/env python3
"""The comparison benchmark (see BENCHMARKS.md); run through bench/compare, which builds
slsr, installs the peers and enters a loopback-only network namespace first. Parts
(SLSR_BENCH_PARTS): offline, live and small (the default), and data (bench/apps/data).

Every tool talks to a fresh moto through the test proxy (bench/proxy.rs), which adds the
same latency to every call and logs each one with its arrival, so calls, and the waves they
come in (a call arriving more than the latency after the one before starts a wave), are
counted alike for all tools.
Prints Markdown tables and writes target/bench/compare.json.
"""
import json
import os
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
WORK = ROOT / "target" / "bench"
SLSR = ROOT / "target" / "release" / "slsr"
PROXY = ROOT / "target" / "release" / "examples" / "proxy"
PEERS = ["chalice", "serverless", "sam"]
# The data app's peers (bench/peers/apps/*-data); Chalice makes neither tables nor buckets.
DATA_PEERS = ["serverless-data", "sam-data"]
# moto with scripts/moto_server.py's patches, and bench/peers/emulator.py's for the data app's
# CloudFormation resources (bucket notifications, versioning, public access block; a table's
# point-in-time recovery; a role's managed policies), which moto would drop.
TEST_EMULATOR = ROOT / "scripts/moto_server.py"
DATA_EMULATOR = ROOT / "bench/peers/emulator.py"


def free_port():
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return port


class Emulator:
    """A fresh moto behind the proxy; `calls()` reads the proxy's log so far."""

    def __init__(self, latency_ms, server=TEST_EMULATOR):
        self.latency_ms = latency_ms
        self.port = free_port()
        self.log = WORK / f"calls-{self.port}.tsv"
        self.log.unlink(missing_ok=True)
        env = dict(os.environ, MOTO_IAM_LOAD_MANAGED_POLICIES="true")
        env.pop("MOTO_ACCOUNT_ID", None)
        self.moto = subprocess.Popen(
            [str(ROOT / ".venv/bin/python"), str(server),
             "-H", "127.0.0.1", "-p", str(self.port)],
            stdout=subprocess.DEVNULL, stderr=open(WORK / "moto.log", "a"), env=env)
        for _ in range(300):
            try:
                socket.create_connection(("127.0.0.1", self.port), timeout=1).close()
                break
            except OSError:
                time.sleep(0.1)
        else:
            raise SystemExit("moto did not start; see target/bench/moto.log")
        self.warm_up()
        self.proxy = subprocess.Popen(
            [str(PROXY), f"http://127.0.0.1:{self.port}", "--latency-ms", str(latency_ms),
             "--log", str(self.log)],
            stdout=subprocess.PIPE, text=True)
        endpoint = self.proxy.stdout.readline().strip()
        # Serverless and SAM need `localhost` (moto resolves S3 template URLs path-style then).
        self.endpoint = endpoint.replace("127.0.0.1", "localhost")

    def warm_up(self):
        """moto loads a service's code (and IAM's managed policies) on its first call: one
        call to every service any tool uses, straight to moto, so no tool pays for that."""
        script = """
import sys, boto3
kw = dict(endpoint_url=sys.argv[1], region_name="us-east-1",
          aws_access_key_id="test", aws_secret_access_key="test")
boto3.client("sts", **kw).get_caller_identity()
boto3.client("lambda", **kw).list_functions()
boto3.client("iam", **kw).list_roles()
boto3.client("sqs", **kw).list_queues()
boto3.client("events", **kw).list_rules()
boto3.client("apigatewayv2", **kw).get_apis()
boto3.client("apigateway", **kw).get_rest_apis()
boto3.client("logs", **kw).describe_log_groups()
boto3.client("cloudformation", **kw).list_stacks()
boto3.client("s3", **kw).list_buckets()
boto3.client("dynamodb", **kw).list_tables()
boto3.client("dynamodbstreams", **kw).list_streams()
boto3.client("sns", **kw).list_topics()
boto3.client("kinesis", **kw).list_streams()
boto3.client("stepfunctions", **kw).list_state_machines()
boto3.client("scheduler", **kw).list_schedule_groups()
boto3.client("secretsmanager", **kw).list_secrets()
boto3.client("resourcegroupstaggingapi", **kw).get_resources()
"""
        subprocess.run([str(ROOT / ".venv/bin/python"), "-c", script,
                        f"http://127.0.0.1:{self.port}"], check=True)

    def calls(self):
        if not self.log.exists():
            return []
        return [line.rstrip("\n").split("\t") for line in open(self.log)]

    def stop(self):
        for p in (self.proxy, self.moto):
            p.send_signal(signal.SIGTERM)
            p.wait()


def tool_env(emulator):
    env = dict(os.environ)
    for var in ("AWS_PROFILE", "AWS_DEFAULT_PROFILE", "AWS_SESSION_TOKEN"):
        env.pop(var, None)
    env.update(
        AWS_ACCESS_KEY_ID="test", AWS_SECRET_ACCESS_KEY="test", AWS_REGION="us-east-1",
        AWS_DEFAULT_REGION="us-east-1", AWS_ENDPOINT_URL=emulator.endpoint,
        AWS_EC2_METADATA_DISABLED="true", NO_COLOR="1",
        NO_PROXY="127.0.0.1,localhost", no_proxy="127.0.0.1,localhost")
    return env


def waves(calls, gap_s):
    """How many waves of requests the calls came in: a call that arrives more than `gap_s`
    after the call before it starts a new one (the proxy's `waves`, tests/integration/proxy),
    so each wave is a round trip the tool could not overlap with another."""
    arrivals = sorted(float(c[5]) for c in calls if len(c) > 5)
    if not arrivals:
        return 0
    return 1 + sum(1 for a, b in zip(arrivals, arrivals[1:]) if b - a > gap_s)


def measure(emulator, argv, cwd=ROOT, env=None, keep_stdout=False):
    """Runs argv; returns wall seconds, peak RSS in MB, calls by operation, reads, writes,
    and the waves its calls came in."""
    before = len(emulator.calls()) if emulator else 0
    stats = WORK / "time.txt"
    started = time.monotonic()
    proc = subprocess.run(
        ["/usr/bin/time", "-f", "%M", "-o", str(stats)] + [str(a) for a in argv],
        cwd=cwd, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    wall = time.monotonic() - started
    peak_mb = int(stats.read_text().split()[-1]) / 1024
    calls = emulator.calls()[before:] if emulator else []
    by_op = {}
    for c in calls:
        by_op[c[1]] = by_op.get(c[1], 0) + 1
    result = {
        "ok": proc.returncode == 0, "seconds": round(wall, 3), "peak_mb": round(peak_mb, 1),
        "reads": sum(1 for c in calls if c[4] == "read"),
        "writes": sum(1 for c in calls if c[4] == "write"),
        "waves": waves(calls, emulator.latency_ms / 1000) if emulator else 0,
        "calls": by_op,
    }
    if proc.returncode != 0:
        result["error"] = (proc.stdout + proc.stderr)[-2000:]
    if keep_stdout:
        result["stdout"] = proc.stdout
    return result


def generate(n, directory):
    """A spec of n functions, each with its own code directory and one trigger in turn:
    an HTTP route, a schedule, an SQS queue of its own."""
    if directory.exists():
        shutil.rmtree(directory)
    lines = ["service: scale", "stage: bench", "region: us-east-1", "queues:"]
    lines += [f"  q{i:04}: {{}}" for i in range(n) if i % 3 == 2]
    lines.append("functions:")
    for i in range(n):
        code = directory / "src" / f"f{i:04}"
        code.mkdir(parents=True)
        (code / "app.py").write_text(f"def handler(event, context):\n    return {{'n': {i}}}\n")
        event = [f"http: GET /f{i:04}", "schedule: rate(5 minutes)", f"sqs: {{queue: q{i:04}}}"][i % 3]
        lines += [f"  f{i:04}:", "    handler: app.handler", "    runtime: python3.12",
                  f"    code: ./src/f{i:04}", "    events:", f"      - {event}"]
    (directory / "slsr.yaml").write_text("\n".join(lines) + "\n")
    return directory / "slsr.yaml"


def median(results, key):
    values = [r[key] for r in results if r["ok"]]
    return statistics.median(values) if values else None


def summary(results):
    ok = [r for r in results if r["ok"]]
    if not ok:
        return {"ok": False, "runs": len(results), "error": results[-1].get("error", "")}
    out = {
        "ok": len(ok) == len(results), "runs": len(results),
        "seconds": median(ok, "seconds"), "peak_mb": median(ok, "peak_mb"),
        "reads": median(ok, "reads"), "writes": median(ok, "writes"),
        "waves": median(ok, "waves"), "calls": ok[len(ok) // 2]["calls"],
    }
    failed = [r for r in results if not r["ok"]]
    if failed:
        out["failed"], out["error"] = len(failed), failed[-1].get("error", "")
    return out


def offline(runs):
    out = {}
    for n in (10, 100, 1000):
        spec = generate(n, WORK / f"offline-{n}")
        validate = [measure(None, [SLSR, "validate", "-f", spec]) for _ in range(runs)]
        cold = measure(None, [SLSR, "plan", "--offline", "-f", spec])
        warm = [measure(None, [SLSR, "plan", "--offline", "-f", spec]) for _ in range(runs)]
        out[n] = {"validate": summary(validate), "plan_cold": cold, "plan": summary(warm)}
        print(f"offline {n}: validate {out[n]['validate']['seconds']} s, "
              f"plan {out[n]['plan']['seconds']} s (cold {cold['seconds']} s), "
              f"{out[n]['plan']['peak_mb']} MB", file=sys.stderr)
    return out


def live(runs, latency_ms):
    out = {}
    for n in (10, 100):
        spec = generate(n, WORK / f"live-{n}")
        phases = {"apply_first": [], "plan": [], "apply_noop": [], "apply_change": []}
        for r in range(runs):
            emulator = Emulator(latency_ms)
            try:
                env = tool_env(emulator)
                stage = ["--stage", f"r{r}"]
                apply = [SLSR, "apply", "--auto-approve", "-f", spec] + stage
                phases["apply_first"].append(measure(emulator, apply, env=env))
                phases["plan"].append(measure(emulator, [SLSR, "plan", "-f", spec] + stage, env=env))
                phases["apply_noop"].append(measure(emulator, apply, env=env))
                with open(spec.parent / "src/f0000/app.py", "a") as f:
                    f.write(f"# change {r}\n")
                phases["apply_change"].append(measure(emulator, apply, env=env))
            finally:
                emulator.stop()
        out[n] = {k: summary(v) for k, v in phases.items()}
        print(f"live {n}: " + ", ".join(f"{k} {v.get('seconds')} s" for k, v in out[n].items()),
              file=sys.stderr)
    return out


PHASES = ("first", "noop", "change")


def slsr_deploy(emulator, env, app, name, phase, r, first_failed):
    """One slsr deploy of the app copied to `app`; the copy is made fresh on `first`."""
    if phase == "first":
        if app.exists():
            shutil.rmtree(app)
        shutil.copytree(ROOT / "bench/apps" / name, app)
    if phase == "change":
        with open(app / "src/app.py", "a") as f:
            f.write(f"# change {r}\n")
    if first_failed:
        # Nothing to compare a no-op or a change with: record the phase as failed, not run.
        return {"ok": False, "seconds": None, "reads": None, "writes": None, "waves": None,
                "calls": {},
                "error": "not run: this round's first deploy failed"}
    argv = [SLSR, "apply", "--auto-approve", "-f", app / "slsr.yaml", "--stage", f"r{r}"]
    return measure(emulator, argv, env=env)


def peer_deploy(emulator, env, tool, phase, r):
    """One deploy by bench/peers/run; the peer's own timing covers its deploy commands only,
    not the script's setup (a queue for Chalice, a bucket for SAM)."""
    peer_env = dict(env, PEER_WORK=str(WORK / f"peer-{tool}-{r}"))
    res = measure(emulator, [ROOT / "bench/peers/run", tool, phase], env=peer_env, keep_stdout=True)
    lines = res.pop("stdout").strip().splitlines()
    try:
        reported = json.loads(lines[-1])
    except (IndexError, ValueError):
        reported = {"ok": False, "seconds": None}
        res.setdefault("error", "bench/peers/run printed no result")
    res["seconds"] = round(reported["seconds"], 3) if reported.get("seconds") is not None else None
    res["ok"] = res["ok"] and reported.get("ok", False)
    return res


def error_line(result):
    """The first line of a failed run's output that says what went wrong."""
    lines = [line.strip() for line in result.get("error", "").splitlines() if line.strip()]
    for line in lines:
        if line.startswith(("error", "Error")) or "error[" in line:
            return line
    return lines[0] if lines else "failed"


def compare_app(name, runs, latency_ms, peers, server=TEST_EMULATOR, check=None):
    """First, no-op and code-change deploys of bench/apps/NAME by slsr and each peer, the
    tools taking turns within each round, in a different order each round. `check(emulator,
    round, tools)`, when given, runs after each round: its answers are returned by round."""
    tools = ["slsr"] + peers
    results = {t: {p: [] for p in PHASES} for t in tools}
    checks = []
    app = WORK / name
    for r in range(runs):
        emulator = Emulator(latency_ms, server)
        try:
            env = tool_env(emulator)
            for tool in tools[r % len(tools):] + tools[:r % len(tools)]:
                first_failed = False
                for phase in PHASES:
                    if tool == "slsr":
                        res = slsr_deploy(emulator, env, app, name, phase, r, first_failed)
                        first_failed = first_failed or (phase == "first" and not res["ok"])
                    else:
                        res = peer_deploy(emulator, env, tool, phase, r)
                    results[tool][phase].append(res)
                    print(f"round {r} {tool} {phase}: {res['seconds']} s, "
                          f"{res['reads']} reads, {res['writes']} writes in {res.get('waves')} waves"
                          + ("" if res["ok"] else f" FAILED: {error_line(res)}"), file=sys.stderr)
            if check:
                checks.append(check(emulator, r, tools))
        finally:
            emulator.stop()
    return {t: {p: summary(v) for p, v in phases.items()} for t, phases in results.items()}, checks


def small_app(runs, latency_ms, peers):
    return compare_app("small", runs, latency_ms, peers)[0]


# The prefix of every name each tool gives the data app's resources.
DATA_PREFIXES = {"slsr": "data-r{r}-", "serverless-data": "peerbench-sls-data-dev-",
                 "sam-data": "peerbench-sam-data-"}


def data_check(emulator, r, tools):
    """What each tool's deploy made, read from moto directly (bench/data_check.py), so that a
    deploy that reports success and makes less is seen: {tool: [problem, ...]}."""
    args = [f"{t}={DATA_PREFIXES[t].format(r=r)}" for t in tools]
    proc = subprocess.run([str(ROOT / ".venv/bin/python"), str(ROOT / "bench/data_check.py"),
                           f"http://127.0.0.1:{emulator.port}"] + args,
                          stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    if proc.returncode != 0:
        found = {t: [f"data_check failed: {proc.stderr.strip().splitlines()[-1:]}"] for t in tools}
    else:
        found = json.loads(proc.stdout)
    for tool, problems in found.items():
        print(f"round {r} {tool} check: " + ("complete" if not problems else "; ".join(problems)),
              file=sys.stderr)
    return found


def data_app(runs, latency_ms, peers):
    """The data app (a table with a stream consumer, a bucket with an upload trigger, a route
    that reads the table) by slsr, Serverless and SAM. slsr's spec is validated first, so a
    spec slsr cannot read yet is reported as that rather than as a failed deploy."""
    spec = ROOT / "bench/apps/data/slsr.yaml"
    proc = subprocess.run([SLSR, "validate", "-f", spec], stdout=subprocess.PIPE,
                          stderr=subprocess.STDOUT, text=True)
    check = {"ok": proc.returncode == 0, "output": proc.stdout}
    if not check["ok"]:
        # The last line counts the problems (`...: 8 errors, 0 warnings`); the first error
        # line names the first of them.
        lines = proc.stdout.strip().splitlines()
        check["error"] = f"{lines[-1] if lines else 'failed'}; the first: {error_line({'error': proc.stdout})}"
        print(f"data: slsr validate fails, so every slsr deploy will: {check['error']}",
              file=sys.stderr)
    results, checks = compare_app("data", runs, latency_ms, peers, DATA_EMULATOR, data_check)
    return results, check, checks


def table(rows, header):
    out = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    out += ["| " + " | ".join(str(c) for c in row) + " |" for row in rows]
    return "\n".join(out)


def seconds(v):
    """The median of the runs that succeeded, marked when some failed."""
    if v.get("seconds") is None:
        return "FAILED"
    return f"{v['seconds']:.3f} s" + ("" if v.get("ok") else " (some runs FAILED)")


def calls(v):
    """Reads+writes, and the waves they came in."""
    if v.get("reads") is None:
        return "-"
    return f"{v['reads']:g}+{v['writes']:g} in {v['waves']:g}"


def ratio_of(results, tool, phase):
    mine, theirs = results["slsr"][phase], results[tool][phase]
    if mine.get("seconds") is None or theirs.get("seconds") is None:
        return "-"
    return f"{mine['seconds'] / theirs['seconds']:.3f}"


def app_report(results):
    """One row per tool (median seconds per phase; reads+writes per phase), then slsr's time
    over each peer's and over the fastest peer's, phase by phase."""
    rows = [[tool] + [seconds(phases[p]) for p in PHASES]
            + [" / ".join(calls(phases[p]) for p in PHASES)]
            for tool, phases in results.items()]
    peers = [t for t in results if t != "slsr"]
    for peer in peers:
        rows.append([f"slsr / {peer}"] + [ratio_of(results, peer, p) for p in PHASES] + [""])
    best = []
    for phase in PHASES:
        timed = [t for t in peers if results[t][phase].get("seconds") is not None]
        fastest = min(timed, key=lambda t: results[t][phase]["seconds"]) if timed else None
        best.append(f"{ratio_of(results, fastest, phase)} ({fastest})"
                    if fastest and results["slsr"][phase].get("seconds") is not None else "-")
    if peers:
        rows.append(["slsr / fastest peer"] + best + [""])
    print(table(rows, ["tool", "first deploy", "no-op deploy", "code change",
                       "calls first / no-op / change (reads+writes in waves)"]))
    for tool, phases in results.items():
        for phase in PHASES:
            v = phases[phase]
            if not v.get("ok"):
                runs = f" in {v.get('failed', v.get('runs'))} of {v.get('runs')} runs" if v.get("runs") else ""
                print(f"- {tool} {phase} FAILED{runs}: {error_line(v)}")


def report(data):
    print(f"## Measured {data['date']}, {data['runs']} runs each, {data['latency_ms']} ms per call\n")
    if data["offline"]:
        print(table([[n, v["validate"]["seconds"], v["plan"]["seconds"], v["plan_cold"]["seconds"],
                      v["plan"]["peak_mb"]] for n, v in data["offline"].items()],
                    ["functions", "validate (s)", "offline plan (s)",
                     "first offline plan, packaging all (s)", "peak memory (MB)"]))
        print()
    if data["live"]:
        rows = []
        for n, phases in data["live"].items():
            for phase, v in phases.items():
                rows.append([n, phase, v.get("seconds"), v.get("reads"), v.get("writes"),
                             v.get("waves"), v.get("peak_mb")])
        print(table(rows, ["functions", "phase", "wall (s)", "reads", "writes", "waves",
                           "peak memory (MB)"]))
        print()
    small = data["small_app"]
    if small:
        rows = []
        for tool, phases in small.items():
            for phase, v in phases.items():
                rows.append([tool, phase, v.get("seconds"), v.get("reads"), v.get("writes"),
                             v.get("waves"), "yes" if v.get("ok") else "FAILED"])
        print(table(rows, ["tool", "deploy", "wall (s)", "reads", "writes", "waves",
                           "all runs ok"]))
        print()
        peers = [t for t in small if t != "slsr" and all(p.get("ok") for p in small[t].values())]
        for phase in PHASES if peers else ():
            if not small["slsr"][phase].get("ok"):
                print(f"- {phase}: slsr FAILED: {error_line(small['slsr'][phase])}")
                continue
            best = min(peers, key=lambda t: small[t][phase]["seconds"])
            ratio = small["slsr"][phase]["seconds"] / small[best][phase]["seconds"]
            print(f"- {phase}: slsr / fastest peer ({best}) = {ratio:.3f}")
    if data["data_app"]:
        print("\n### The data app: slsr, Serverless Framework v3, AWS SAM CLI\n")
        if not data["data_app_validate"]["ok"]:
            print(f"slsr validate fails: {data['data_app_validate']['error']}\n")
        app_report(data["data_app"])
        for tool in data["data_app"]:
            incomplete = [i for i, c in enumerate(data["data_app_check"]) if c.get(tool)]
            if incomplete:
                first = data["data_app_check"][incomplete[0]][tool]
                print(f"- {tool}: the app was incomplete after rounds {incomplete}: "
                      f"{'; '.join(first[:3])}" + (" ..." if len(first) > 3 else ""))


def main():
    runs = int(sys.argv[1]) if len(sys.argv) > 1 else 3
    latency_ms = int(os.environ.get("SLSR_BENCH_LATENCY_MS", "30"))
    peers = [] if os.environ.get("SLSR_BENCH_PEERS") == "0" else PEERS
    parts = os.environ.get("SLSR_BENCH_PARTS", "offline,live,small").split(",")
    WORK.mkdir(parents=True, exist_ok=True)
    data = {"date": time.strftime("%Y-%m-%d"), "runs": runs, "latency_ms": latency_ms,
            "offline": {}, "live": {}, "small_app": {}, "data_app": {}, "data_app_validate": {},
            "data_app_check": []}
    if "offline" in parts:
        data["offline"] = offline(runs)
    if "live" in parts:
        data["live"] = live(runs, latency_ms)
    if "small" in parts:
        data["small_app"] = small_app(runs, latency_ms, peers)
    if "data" in parts:
        data_peers = [] if os.environ.get("SLSR_BENCH_PEERS") == "0" else DATA_PEERS
        data["data_app"], data["data_app_validate"], data["data_app_check"] = \
            data_app(runs, latency_ms, data_peers)
    (WORK / "compare.json").write_text(json.dumps(data, indent=2))
    report(data)


if __name__ == "__main__":
    main()
