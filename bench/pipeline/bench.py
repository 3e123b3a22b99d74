#!/usr/bin/env python3
"""Per-step and whole-pipeline benchmark: ecsmig vs the aws CLI vs a Node
script on the AWS SDK v3 vs bare curl, against one local AWS (moto behind the
suite's SigV4-checking proxy, tests/aws_local) on loopback.

Every variant of a step does the same work against the same endpoint and is
timed as a whole process, start to exit (what a workflow step costs).
Variants are interleaved run by run so that load drift hits all alike, and
the calls each variant made are counted at the proxy.

Steps:
  resolve  DescribeServices of the service (network configuration)
  start    RunTask of the service's task definition with the command overridden
  wait     DescribeTasks until STOPPED, on a task that has already stopped
           (the per-call cost; the stop-detection delay is bench/wait)
  logs     every event of one stream of --events events, in order

Pipeline: detect -> resolve -> run -> wait -> logs, bench/pipeline/ecsmig.sh
vs bench/peers/pipeline.sh (the seed guides' bash + aws CLI), wall and CPU
time (user+sys of the whole process tree).

  bench.py --bin-dir build --node-dir build/bench-node --json out.json
           [--runs 5] [--events 100000] [--pipeline-runs 3] [--wait-tasks 10]
"""

import argparse
import json
import os
import random
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
BENCH = os.path.dirname(HERE)
SOURCE_DIR = os.path.dirname(BENCH)
sys.path.insert(0, os.path.join(SOURCE_DIR, "tests", "integration"))
sys.path.insert(0, os.path.join(BENCH, "wait"))

import harness  # noqa: E402
import wait_bench  # noqa: E402  (bench/wait/wait_bench.py)

ECS_TARGET = "AmazonEC2ContainerServiceV20141113."
COMMAND = '["npx","prisma","migrate","deploy"]'
# A task that stops on its own soon after starting (the layer's timing is
# wall-clock: PROVISIONING -> PENDING -> RUNNING -> STOPPED).
SHORT_TASK = (("PROVISIONING", 0.1), ("PENDING", 0.1), ("RUNNING", 0.3))


def summarize(values):
    values = sorted(values)
    quartiles = statistics.quantiles(values, n=4, method="inclusive") if len(values) >= 2 else [values[0]] * 3
    return {"median": statistics.median(values), "min": values[0], "max": values[-1],
            "q1": quartiles[0], "q3": quartiles[2], "n": len(values)}


def total_calls(aws):
    return sum(aws.stats()["calls"].values())


def timed(argv, env, stdout=subprocess.DEVNULL, check=True):
    """Runs argv; returns (wall seconds, cpu seconds of it and its children)."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    started = time.perf_counter()
    proc = subprocess.run(argv, env=env, stdout=stdout, stderr=subprocess.PIPE)
    wall = time.perf_counter() - started
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    if check and proc.returncode != 0:
        raise SystemExit(f"{' '.join(argv[:3])} ... exited {proc.returncode}: "
                         f"{proc.stderr.decode(errors='replace')[-2000:]}")
    return wall, cpu


def curl_json(env, service, target, body):
    """A bare curl of one JSON-protocol call, signed by curl's --aws-sigv4."""
    return ["curl", "-sS", "--fail-with-body", "--aws-sigv4",
            f"aws:amz:{env['AWS_REGION']}:{service}",
            "--user", f"{env['AWS_ACCESS_KEY_ID']}:{env['AWS_SECRET_ACCESS_KEY']}",
            "-H", "Content-Type: application/x-amz-json-1.1",
            "-H", f"X-Amz-Target: {target}", "--data-binary", json.dumps(body),
            env["ENDPOINT"] + "/"]


class Bench:
    def __init__(self, args, aws):
        self.args = args
        self.aws = aws
        self.bin = os.path.abspath(args.bin_dir)
        self.node_dir = os.path.abspath(args.node_dir)
        self.scratch = tempfile.mkdtemp(prefix="ecsmig-bench-")
        self.env = aws.env(ENDPOINT=aws.endpoint, AWS_DEFAULT_REGION=aws.region,
                           NODE_PATH=os.path.join(self.node_dir, "node_modules"),
                           AWS_CLI=os.environ.get("AWS_CLI", "aws"))
        self.seeded = aws.seed_service(cluster="bench", service="api")
        self.output = os.path.join(self.scratch, "github_output")

    def tool(self, name, *args):
        return [os.path.join(self.bin, name), *args, "--output", self.output, "-q"]

    def peer(self, *args):
        return [os.path.join(BENCH, "peers", "steps.sh"), *args]

    def node(self, *args):
        return ["node", os.path.join(self.node_dir, "step.mjs"), *args]

    def run_task_quietly(self):
        """Starts one short task through moto's proxy; returns its ARN."""
        self.aws.script_next_task(statuses=SHORT_TASK)
        ecs = self.aws.proxy_client("ecs")
        seeded = self.seeded
        answer = ecs.run_task(
            cluster=seeded["cluster"], taskDefinition=seeded["task_definition_arn"],
            launchType="FARGATE", networkConfiguration={"awsvpcConfiguration": {
                "subnets": seeded["subnets"], "securityGroups": seeded["security_groups"]}})
        return answer["tasks"][0]["taskArn"]

    def measure(self, step, variants, runs, setup=None, stdout_check=None):
        """variants: {name: argv or callable(context) -> argv}. Returns
        {name: {"wall": summary, "cpu": summary, "calls": calls per run}}."""
        samples = {name: {"wall": [], "cpu": [], "calls": []} for name in variants}
        warmup = self.args.warmup
        for run in range(runs + warmup):  # warm-up runs: page cache, moto's first calls
            for name, argv in variants.items():
                context = setup() if setup else None
                argv = argv(context) if callable(argv) else argv
                out_path = os.path.join(self.scratch, f"{step}-{name}.out")
                calls_before = total_calls(self.aws)
                with open(out_path, "wb") as out:
                    wall, cpu = timed(argv, self.env, stdout=out)
                calls = total_calls(self.aws) - calls_before
                if stdout_check:
                    stdout_check(name, out_path)
                if run >= warmup:
                    samples[name]["wall"].append(wall)
                    samples[name]["cpu"].append(cpu)
                    samples[name]["calls"].append(calls)
            print(f"  {step} run {run + 1 - warmup}/{runs} done", file=sys.stderr, flush=True)
        return {name: {"wall": summarize(s["wall"]), "cpu": summarize(s["cpu"]),
                       "calls": statistics.median(s["calls"])}
                for name, s in samples.items()}

    def step_resolve(self, runs):
        s, env = self.seeded, self.env
        return self.measure("resolve", {
            "ecsmig": self.tool("resolve-network", "--cluster", s["cluster"],
                                "--service", s["service"]),
            "aws-cli": self.peer("resolve", s["cluster"], s["service"]),
            "node-sdk": self.node("resolve", s["cluster"], s["service"]),
            "curl": curl_json(env, "ecs", ECS_TARGET + "DescribeServices",
                              {"cluster": s["cluster"], "services": [s["service"]]}),
        }, runs)

    def step_start(self, runs):
        s, env = self.seeded, self.env
        subnet, group = s["subnets"][0], s["security_groups"][0]
        network = {"awsvpcConfiguration": {"subnets": [subnet], "securityGroups": [group],
                                           "assignPublicIp": "DISABLED"}}
        return self.measure("start", {
            "ecsmig": self.tool("run-migration-task", "--cluster", s["cluster"],
                                "--task-definition", s["task_definition_arn"],
                                "--container", "app", "--command", COMMAND,
                                "--network-configuration", json.dumps(network),
                                "--launch-type", "FARGATE", "--if-running", "ignore"),
            "aws-cli": self.peer("start", s["cluster"], s["task_definition_arn"], "app",
                                 subnet, group),
            "node-sdk": self.node("start", s["cluster"], s["task_definition_arn"], "app",
                                  subnet, group),
            "curl": curl_json(env, "ecs", ECS_TARGET + "RunTask", {
                "cluster": s["cluster"], "taskDefinition": s["task_definition_arn"],
                "launchType": "FARGATE", "networkConfiguration": network,
                "overrides": {"containerOverrides": [
                    {"name": "app", "command": json.loads(COMMAND)}]}}),
        }, runs, setup=lambda: self.aws.script_next_task(statuses=SHORT_TASK))

    def step_wait(self, runs):
        s, env = self.seeded, self.env
        cluster = s["cluster"]
        # Each run waits on its own task, already STOPPED: one poll each.
        stopped = []

        def setup():
            arn = self.run_task_quietly()
            self.aws.wait_for_task_status(arn, "STOPPED")
            stopped.append(arn)
            return arn
        return self.measure("wait", {
            "ecsmig": lambda arn: self.tool("wait-task", "--cluster", cluster, "--task", arn),
            "aws-cli": lambda arn: self.peer("wait", cluster, arn),
            "node-sdk": lambda arn: self.node("wait", cluster, arn),
            "curl": lambda arn: curl_json(env, "ecs", ECS_TARGET + "DescribeTasks",
                                          {"cluster": cluster, "tasks": [arn]}),
        }, runs, setup=setup)

    def step_logs(self, runs, events):
        group, stream = "/ecs/bench-logs", "ecs/app/" + "0" * 32
        started = time.time()
        self.aws.put_log_events(group, stream,
                                [f"line {i:06d} prisma:info applying" for i in range(events)])
        print(f"  wrote {events} events in {time.time() - started:.1f}s", file=sys.stderr)

        def check(name, path):
            with open(path, "rb") as f:
                lines = [line for line in f.read().split(b"\n") if line.startswith(b"line ")]
            if len(lines) != events or lines[0] != b"line 000000 prisma:info applying":
                raise SystemExit(f"logs/{name}: {len(lines)} events, expected {events}")
        return self.measure("logs", {
            "ecsmig": self.tool("fetch-logs", "--log-group", group, "--log-stream", stream),
            "aws-cli": self.peer("logs", group, stream),
            "node-sdk": self.node("logs", group, stream),
            "curl": [os.path.join(BENCH, "peers", "curl_logs.sh"), group, stream],
        }, runs, stdout_check=check)

    def make_repo(self):
        """A small application repository whose last commit adds a migration."""
        repo = os.path.join(self.scratch, "repo")
        git = ["git", "-C", repo, "-c", "user.name=bench", "-c", "user.email=bench@example.com"]
        os.makedirs(os.path.join(repo, "prisma", "migrations", "20261101_init"))
        os.makedirs(os.path.join(repo, "src"))
        subprocess.run(["git", "init", "-q", "-b", "main", repo], check=True)
        for i in range(200):
            with open(os.path.join(repo, "src", f"m{i}.ts"), "w") as f:
                f.write(f"export const v{i} = {i};\n")
        with open(os.path.join(repo, "prisma", "schema.prisma"), "w") as f:
            f.write("model User { id Int @id }\n")
        with open(os.path.join(repo, "prisma", "migrations", "20261101_init",
                               "migration.sql"), "w") as f:
            f.write("CREATE TABLE \"User\" (id integer primary key);\n")
        subprocess.run(git + ["add", "-A"], check=True)
        subprocess.run(git + ["commit", "-qm", "init"], check=True)
        os.makedirs(os.path.join(repo, "prisma", "migrations", "20261122_email"))
        with open(os.path.join(repo, "prisma", "migrations", "20261122_email",
                               "migration.sql"), "w") as f:
            f.write("ALTER TABLE \"User\" ADD COLUMN email text;\n")
        with open(os.path.join(repo, "prisma", "schema.prisma"), "a") as f:
            f.write("// email\n")
        subprocess.run(git + ["add", "-A"], check=True)
        subprocess.run(git + ["commit", "-qm", "add email"], check=True)
        return repo

    def pipeline(self, runs, log_lines):
        s = self.seeded
        repo = self.make_repo()
        lines = {"app": [f"prisma:info migration line {i}" for i in range(log_lines)]}
        variants = {
            "ecsmig": [os.path.join(HERE, "ecsmig.sh"), self.bin, repo, "HEAD^", "HEAD",
                       s["cluster"], s["service"]],
            "bash+aws-cli": [os.path.join(BENCH, "peers", "pipeline.sh"), repo, "HEAD^", "HEAD",
                             s["cluster"], s["service"], "app", s["log_group"], "ecs"],
        }
        # The migration task runs 2 s once RUNNING, as a short prisma migrate
        # deploy would; both pipelines wait for the same lifecycle.
        statuses = (("PROVISIONING", 0.2), ("PENDING", 0.3), ("RUNNING", 2.0))
        return self.measure("pipeline", variants, runs, setup=lambda: self.aws.script_next_task(
            statuses=statuses, log_lines=lines))


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--bin-dir", required=True)
    parser.add_argument("--node-dir", required=True)
    parser.add_argument("--json", required=True)
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--warmup", type=int, default=1)
    parser.add_argument("--events", type=int, default=100000)
    parser.add_argument("--pipeline-runs", type=int, default=3)
    parser.add_argument("--pipeline-log-lines", type=int, default=1000)
    parser.add_argument("--wait-tasks", type=int, default=10)
    parser.add_argument("--wait-min", type=float, default=5.0)
    parser.add_argument("--wait-max", type=float, default=180.0)
    parser.add_argument("--seed", type=int, default=20261122)
    args = parser.parse_args()

    results = {"runs": args.runs, "events": args.events, "pipeline_runs": args.pipeline_runs,
               "pipeline_log_lines": args.pipeline_log_lines}
    aws = harness.LocalAws()
    aws.allow_leftovers()
    try:
        results["localaws_startup"] = aws.startup
        bench = Bench(args, aws)
        steps = {}
        for name, run in (("resolve", lambda: bench.step_resolve(args.runs)),
                          ("start", lambda: bench.step_start(args.runs)),
                          ("wait", lambda: bench.step_wait(args.runs)),
                          ("logs", lambda: bench.step_logs(max(1, args.runs // 2), args.events))):
            print(f"step {name}", file=sys.stderr, flush=True)
            steps[name] = run()
        results["steps"] = steps
        print("pipeline", file=sys.stderr, flush=True)
        results["pipeline"] = bench.pipeline(args.pipeline_runs, args.pipeline_log_lines)
        print("wait-task stop detection", file=sys.stderr, flush=True)
        results["wait"] = wait_bench.run(aws, bench.seeded, bench.bin, bench.env,
                                         args.wait_tasks, args.wait_min, args.wait_max,
                                         random.Random(args.seed), node_dir=bench.node_dir)
        stats = aws.stats()
        results["model_violations"] = len(stats.get("model_violations", []))
        results["signature_failures"] = stats.get("signature_failures")
        shutil.rmtree(bench.scratch, ignore_errors=True)
    finally:
        aws.close()
    with open(args.json, "w") as f:
        json.dump(results, f, indent=2)


if __name__ == "__main__":
    main()
