#!/usr/bin/env bash
# One signed ECS DescribeServices against the same local moto endpoint, three
# ways, each a whole process from start to exit:
#   ecsmig  build/aws-call (our library: config, credentials, SigV4, libcurl)
#   curl    a bare curl POST of the same request, headers pre-signed once by botocore
#   awscli  aws ecs describe-services --endpoint-url ...
# Prints the median of N runs (default 25) of each and the ratios.
#
#   bench/aws_call/run.sh [BUILD_DIR] [RUNS]
set -euo pipefail

here="$(cd "$(dirname "$0")" && pwd)"
root="$(cd "$here/../.." && pwd)"
build="${1:-$root/build}"
runs="${2:-25}"
aws_call="$build/aws-call"
[[ -x "$aws_call" ]] || { echo "build $aws_call first" >&2; exit 2; }

port="$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')"
workdir="$(mktemp -d)"
python3 -m moto.server -H 127.0.0.1 -p "$port" >"$workdir/moto.log" 2>&1 &
moto_pid=$!
cleanup() { kill "$moto_pid" 2>/dev/null || true; wait "$moto_pid" 2>/dev/null || true; rm -rf "$workdir"; }
trap cleanup EXIT

endpoint="http://127.0.0.1:$port"
for _ in $(seq 100); do
  curl -s -o /dev/null "$endpoint/moto-api/" && break
  sleep 0.1
done

export AWS_ACCESS_KEY_ID=AKIDBENCH AWS_SECRET_ACCESS_KEY=bench-secret AWS_REGION=us-east-1
export AWS_DEFAULT_REGION=us-east-1 AWS_EC2_METADATA_DISABLED=true HOME="$workdir"
unset AWS_PROFILE AWS_SESSION_TOKEN AWS_ENDPOINT_URL AWS_ENDPOINT_URL_ECS || true

ENDPOINT="$endpoint" RUNS="$runs" AWS_CALL="$aws_call" python3 - <<'PY'
import json, os, statistics, subprocess, time
import boto3
from botocore.auth import SigV4Auth
from botocore.awsrequest import AWSRequest
from botocore.credentials import Credentials

endpoint, runs, aws_call = os.environ["ENDPOINT"], int(os.environ["RUNS"]), os.environ["AWS_CALL"]
ecs = boto3.client("ecs", endpoint_url=endpoint)
ecs.create_cluster(clusterName="bench")
ecs.register_task_definition(family="api", containerDefinitions=[
    {"name": "app", "image": "nginx", "memory": 128, "essential": True}])
ecs.create_service(cluster="bench", serviceName="api", taskDefinition="api", desiredCount=0)

body = json.dumps({"cluster": "bench", "services": ["api"]})
request = AWSRequest(method="POST", url=endpoint + "/", data=body.encode(), headers={
    "Content-Type": "application/x-amz-json-1.1",
    "X-Amz-Target": "AmazonEC2ContainerServiceV20141113.DescribeServices"})
SigV4Auth(Credentials(os.environ["AWS_ACCESS_KEY_ID"], os.environ["AWS_SECRET_ACCESS_KEY"]),
          "ecs", "us-east-1").add_auth(request)
curl = ["curl", "-sS", "--fail-with-body", "-X", "POST", endpoint + "/", "--data-binary", body]
for name, value in request.headers.items():
    curl += ["-H", f"{name}: {value}"]

commands = {
    "ecsmig": [aws_call, "--endpoint-url", endpoint, "ecs", "DescribeServices", body],
    "curl": curl,
    "awscli": [os.environ.get("AWS_CLI", "aws"), "ecs", "describe-services", "--endpoint-url", endpoint,
               "--cluster", "bench", "--services", "api", "--output", "json"],
}

def run_once(argv):
    started = time.perf_counter()
    proc = subprocess.run(argv, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    elapsed = time.perf_counter() - started
    if proc.returncode != 0:
        raise SystemExit(f"{argv[0]} failed: {proc.stderr.decode()}")
    answer = json.loads(proc.stdout)
    assert answer["services"][0]["serviceName"] == "api", answer
    return elapsed

samples = {name: [] for name in commands}
for name, argv in commands.items():
    run_once(argv)  # warm-up: page cache, moto's first-request setup
for _ in range(runs):  # interleaved, so drift hits all three alike
    for name, argv in commands.items():
        samples[name].append(run_once(argv))

median = {name: statistics.median(values) for name, values in samples.items()}
print(f"DescribeServices against moto at {endpoint}, median of {runs} runs (process start to exit)")
for name in commands:
    values = sorted(samples[name])
    print(f"  {name:7s} median {median[name]*1000:8.1f} ms   min {values[0]*1000:8.1f} ms   "
          f"max {values[-1]*1000:8.1f} ms")
print(f"  ecsmig / curl   = {median['ecsmig'] / median['curl']:.2f}x  (target <= 1.5x)")
print(f"  awscli / ecsmig = {median['awscli'] / median['ecsmig']:.1f}x")
PY
