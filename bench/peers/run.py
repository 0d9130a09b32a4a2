"""bench/peers/run PEER PHASE: one timed deploy of a benchmark app by a peer deployer.

PEER names the app directory under apps/: chalice, serverless or sam (the small app), or
serverless-data or sam-data (the data app).

Run through bench/peers/run (the peers venv's Python). See bench/peers/README.md.
"""
import json
import os
import re
import shutil
import subprocess
import sys
import time
from urllib.parse import urlparse

HERE = os.path.dirname(os.path.abspath(__file__))
VENV_BIN = os.path.join(HERE, ".venv", "bin")
NODE_BIN = os.path.join(HERE, "node_modules", ".bin")
PHASES = ("first", "noop", "change")
REGION = "us-east-1"

# Each peer app (bench/peers/apps/PEER): the tool that deploys it and the handler file that a
# `change` edits. The names below are fixed by the apps.
PEERS = {
    "chalice": ("chalice", "chalicelib/app.py"),
    "serverless": ("serverless", "app.py"),
    "sam": ("sam", "src/app.py"),
    "serverless-data": ("serverless", "app.py"),
    "sam-data": ("sam", "src/app.py"),
}
CHALICE_QUEUE = "peerbench-chalice-queue"
# SAM: the stack, and the artifact bucket that `run` makes and `sam package` uploads to.
SAM_STACKS = {"sam": "peerbench-sam", "sam-data": "peerbench-sam-data"}
MARKER = ".bench-peers-work"  # marks a work dir that `first` may remove and copy anew

# Polling, the same for every phase: Serverless polls its stack every 5 s by default and the
# SAM CLI every 5 s; against a local emulator that wait is most of their time, so both poll
# every 0.5 s. Chalice makes direct API calls and has no such setting.
POLLING = {"SLS_AWS_MONITORING_FREQUENCY": "500", "SAM_CLI_POLL_DELAY": "0.5"}


def log(*args):
    print(*args, file=sys.stderr, flush=True)


def endpoint():
    """AWS_ENDPOINT_URL, refused unless it is on loopback; `localhost` is what Serverless and SAM
    need (moto resolves CloudFormation's TemplateURL path-style only then)."""
    url = os.environ.get("AWS_ENDPOINT_URL", "")
    parsed = urlparse(url)
    if parsed.scheme != "http" or not parsed.port:
        sys.exit(f"run: AWS_ENDPOINT_URL must be http://localhost:PORT, not {url!r}")
    if parsed.hostname != "localhost" and not parsed.hostname.startswith("127."):
        sys.exit(f"run: AWS_ENDPOINT_URL {url!r} is not on loopback; refusing")
    return f"http://localhost:{parsed.port}", parsed.port


def loopback_only():
    """Refuse to run when this network namespace has any interface but loopback: the peers must
    never reach a real AWS address (run inside `unshare --net`)."""
    with open("/proc/net/dev") as f:
        names = [line.split(":")[0].strip() for line in f.readlines()[2:]]
    others = [n for n in names if n != "lo"]
    if others:
        sys.exit(f"run: this network namespace has {others}; run inside `unshare --net` "
                 "with only loopback up")


def environment(url, port):
    env = {k: v for k, v in os.environ.items()
           if not k.startswith("AWS_") and k not in ("HTTP_PROXY", "HTTPS_PROXY", "http_proxy", "https_proxy")}
    env.update({
        "AWS_ENDPOINT_URL": url,
        "AWS_ACCESS_KEY_ID": "test",
        "AWS_SECRET_ACCESS_KEY": "test",
        "AWS_DEFAULT_REGION": REGION,
        "AWS_REGION": REGION,
        "AWS_EC2_METADATA_DISABLED": "true",
        "AWS_CONFIG_FILE": "/dev/null",
        "AWS_SHARED_CREDENTIALS_FILE": "/dev/null",
        "NO_PROXY": "localhost,127.0.0.1",
        "no_proxy": "localhost,127.0.0.1",
        "MOTO_PORT": str(port),  # serverless.yml's custom.localstack.edgePort
        # No telemetry, update checks or prompts (nothing outside would answer anyway).
        "SLS_TELEMETRY_DISABLED": "1",
        "SLS_NOTIFICATIONS_MODE": "off",
        "SLS_INTERACTIVE_SETUP_DISABLE": "1",
        "SAM_CLI_TELEMETRY": "0",
        "SAM_CLI_DISABLE_VERSION_CHECK": "1",
        "PATH": os.pathsep.join([VENV_BIN, NODE_BIN, os.environ.get("PATH", "")]),
        "VIRTUAL_ENV": os.path.join(HERE, ".venv"),
    })
    env.update(POLLING)
    return env


def client(service, url):
    import boto3

    return boto3.client(service, endpoint_url=url, region_name=REGION,
                        aws_access_key_id="test", aws_secret_access_key="test")


def sh(cmd, cwd, env):
    """Runs one tool command, its output to stderr; True when it exits 0."""
    log("+", " ".join(cmd))
    start = time.monotonic()
    code = subprocess.run(cmd, cwd=cwd, env=env, stdout=sys.stderr, stderr=sys.stderr).returncode
    log(f"run: {cmd[0]} {cmd[1]}: exit {code} after {time.monotonic() - start:.2f} s")
    return code == 0


def prepare(peer, work, url):
    """Before `first` (untimed): a fresh copy of the app, and what the peer needs to exist."""
    tool = PEERS[peer][0]
    if os.path.exists(work):
        if os.listdir(work) and not os.path.exists(os.path.join(work, MARKER)):
            sys.exit(f"run: {work} exists and is not a work dir of bench/peers/run; not removing it")
        shutil.rmtree(work)
    shutil.copytree(os.path.join(HERE, "apps", peer), work)
    open(os.path.join(work, MARKER), "w").close()
    if tool == "chalice":
        # Chalice subscribes a function to a queue that must exist already.
        client("sqs", url).create_queue(QueueName=CHALICE_QUEUE)
    elif tool == "serverless":
        # The plugin is resolved from the service's node_modules (not packaged: see patterns).
        os.symlink(os.path.join(HERE, "node_modules"), os.path.join(work, "node_modules"))
    elif tool == "sam":
        # `sam package` uploads the code here.
        client("s3", url).create_bucket(Bucket=sam_bucket(peer))


def change(peer, work):
    """Before `change` (untimed): the handlers' code changes (GREETING gets a stamp)."""
    path = os.path.join(work, PEERS[peer][1])
    with open(path) as f:
        text = f.read()
    new, n = re.subn(r'^GREETING = .*$', f'GREETING = "hello {time.time_ns()}"', text, count=1, flags=re.M)
    assert n == 1, path
    with open(path, "w") as f:
        f.write(new)


def sam_bucket(peer):
    return SAM_STACKS[peer] + "-artifacts"


def sam_translate(work, url):
    """moto has no AWS::Serverless transform: translate the packaged template the way
    CloudFormation would, with the aws-sam-translator that the SAM CLI bundles."""
    start = time.monotonic()
    from samtranslator.translator.managed_policy_translator import ManagedPolicyLoader
    from samtranslator.translator.transform import transform

    from samcli.yamlhelper import yaml_parse

    with open(os.path.join(work, "packaged.yaml")) as f:
        template = yaml_parse(f.read())
    params = {"AWS::Region": REGION, "AWS::Partition": "aws", "AWS::AccountId": "123456789012"}
    out = transform(template, params, ManagedPolicyLoader(client("iam", url)))
    with open(os.path.join(work, "translated.json"), "w") as f:
        json.dump(out, f, indent=1)
    log(f"run: local SAM translation done after {time.monotonic() - start:.2f} s")
    return True


def deploy(peer, work, url, env):
    """The timed part: what a user runs to deploy."""
    tool = PEERS[peer][0]
    if tool == "chalice":
        return sh(["chalice", "deploy", "--stage", "dev"], work, env)
    if tool == "serverless":
        return sh(["sls", "deploy", "--stage", "dev", "--region", REGION], work, env)
    # SAM: build, package, translate locally, deploy the translated template.
    return (sh(["sam", "build"], work, env)
            and sh(["sam", "package", "--s3-bucket", sam_bucket(peer), "--region", REGION,
                    "--output-template-file", "packaged.yaml"], work, env)
            and sam_translate(work, url)
            and sh(["sam", "deploy", "--template-file", "translated.json", "--stack-name", SAM_STACKS[peer],
                    "--capabilities", "CAPABILITY_IAM", "--region", REGION,
                    "--no-fail-on-empty-changeset", "--no-confirm-changeset"], work, env))


def main():
    if len(sys.argv) != 3 or sys.argv[1] not in PEERS or sys.argv[2] not in PHASES:
        sys.exit(f"usage: bench/peers/run {'|'.join(PEERS)} {'|'.join(PHASES)}")
    peer, phase = sys.argv[1:]
    loopback_only()
    url, port = endpoint()
    env = environment(url, port)
    os.environ.clear()  # the same for this process (SAM's local translation uses boto3)
    os.environ.update(env)
    # The work dir: made fresh on `first`, reused by the later phases.
    work = os.environ.get("PEER_WORK") or os.path.join("/tmp/slsr-bench-peers", peer)
    if phase != "first" and not os.path.isdir(work):
        sys.exit(f"run: {work} does not exist: run the `first` phase before `{phase}`")
    start = None
    try:
        if phase == "first":
            prepare(peer, work, url)
        elif phase == "change":
            change(peer, work)
        # Timed: the deploy command(s) only.
        start = time.monotonic()
        ok = deploy(peer, work, url, env)
    except Exception as e:  # e.g. a failed local SAM translation: a failed deploy
        log(f"run: {peer} {phase}: {e!r}")
        ok = False
    seconds = round(time.monotonic() - start, 3) if start is not None else None
    print(json.dumps({"peer": peer, "phase": phase, "seconds": seconds, "ok": ok}), flush=True)
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
