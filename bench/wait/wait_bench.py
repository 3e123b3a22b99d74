"""wait-task stop detection: how long after a task stops does the waiter
exit, and how many DescribeTasks calls did it make for that task?

For each of N lifetimes drawn uniformly from [min, max] seconds (time spent
RUNNING; the lifecycle layer's `script_next_task`), one task per waiter is
started with that lifecycle (a group of three, one per waiter, every 2 s),
and the waiters poll concurrently:

  ecsmig        wait-task --cluster C --task ARN
  aws-cli       aws ecs wait tasks-stopped (DescribeTasks every 6 s)
  node-sdk      waitUntilTasksStopped of @aws-sdk/client-ecs (minDelay 6 s,
                exponential backoff with jitter)

delay = the waiter process's exit (wall clock) - the moment the result was
known: the task's stoppedAt on the orderly timeline (STOPPED at the
container's exit), its executionStoppedAt (the essential container's exit) on
the Fargate one. Calls = DescribeTasks requests for that task counted at the
proxy. Used by bench/pipeline/bench.py (orderly timeline); standalone, on the
Fargate timeline (#14):

  python3 bench/wait/wait_bench.py --bin-dir BUILD --node-dir BUILD/bench-node [--tasks 6]

Fargate timeline (tests/aws_local ecs_layer TIMINGS "fargate", per task
drawn from the seeded rng): MISSING for 1 s after RunTask, PROVISIONING
2-4 s, PENDING 3-6 s, RUNNING for the lifetime, then DEACTIVATING 2 s,
STOPPING 3 s, DEPROVISIONING 22-28 s before STOPPED.
"""

import argparse
import json
import os
import random
import statistics
import subprocess
import sys
import threading
import time

WAITERS = ("ecsmig", "aws-cli", "node-sdk")
GROUP_STAGGER_S = 2.0


def _argv(waiter, bin_dir, node_dir, cluster, arn, output):
    bench = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    if waiter == "ecsmig":
        return [os.path.join(bin_dir, "wait-task"), "--cluster", cluster, "--task", arn,
                "--output", output, "-q"]
    if waiter == "aws-cli":
        return [os.path.join(bench, "peers", "steps.sh"), "wait", cluster, arn]
    return ["node", os.path.join(node_dir, "step.mjs"), "wait", cluster, arn]


def _script(timeline, lifetime, rng):
    if timeline == "orderly":
        return {"statuses": (("PROVISIONING", 0.2), ("PENDING", 0.3), ("RUNNING", lifetime)),
                "missing_seconds": 0, "stop_sequence": []}
    return {"statuses": (("PROVISIONING", rng.uniform(2, 4)), ("PENDING", rng.uniform(3, 6)),
                         ("RUNNING", lifetime)),
            "missing_seconds": 1.0,
            "stop_sequence": [("DEACTIVATING", 2.0), ("STOPPING", 3.0),
                              ("DEPROVISIONING", rng.uniform(22, 28))]}


def run(aws, seeded, bin_dir, env, tasks, lifetime_min, lifetime_max, rng, node_dir=None,
        timeline="orderly"):
    node_dir = node_dir or os.path.join(os.path.dirname(env.get("NODE_PATH", "")))
    ecs = aws.proxy_client("ecs")
    cluster = seeded["cluster"]
    runs = []  # dicts: waiter, arn, lifetime, proc, exited
    scratch = os.path.join(os.environ.get("TMPDIR", "/tmp"), f"wait-bench-{os.getpid()}")
    os.makedirs(scratch, exist_ok=True)
    lifetimes = [rng.uniform(lifetime_min, lifetime_max) for _ in range(tasks)]
    threads = []

    def reap(entry):
        entry["stderr"] = entry["proc"].stderr.read()
        entry["proc"].wait()
        entry["exited"] = time.time()
    for index, lifetime in enumerate(lifetimes):
        for waiter in WAITERS:
            aws.script_next_task(**_script(timeline, lifetime, rng))
            answer = ecs.run_task(
                cluster=cluster, taskDefinition=seeded["task_definition_arn"],
                launchType="FARGATE", networkConfiguration={"awsvpcConfiguration": {
                    "subnets": seeded["subnets"],
                    "securityGroups": seeded["security_groups"]}})
            arn = answer["tasks"][0]["taskArn"]
            output = os.path.join(scratch, f"{index}-{waiter}.out")
            proc = subprocess.Popen(_argv(waiter, bin_dir, node_dir, cluster, arn, output),
                                    env=env, stdout=subprocess.DEVNULL,
                                    stderr=subprocess.PIPE)
            entry = {"waiter": waiter, "arn": arn, "lifetime": lifetime, "proc": proc}
            runs.append(entry)
            threads.append(threading.Thread(target=reap, args=(entry,)))
            threads[-1].start()
        # Let this group's waiters start before the next group's: started all
        # at once, 24 aws CLIs queue for two CPUs, and a CLI that needs 10 s
        # to make its first call looks as if it polled less.
        time.sleep(GROUP_STAGGER_S)

    for thread in threads:
        thread.join()

    log = aws.stats()["requests_log"]
    for entry in runs:
        if entry["proc"].returncode != 0:
            raise SystemExit(f"{entry['waiter']} exited {entry['proc'].returncode}: "
                             f"{entry['stderr'].decode(errors='replace')[-1000:]}")
        task_id = entry["arn"].rsplit("/", 1)[-1]
        entry["calls"] = sum(
            1 for e in log if e["op"] == "ecs:DescribeTasks" and any(
                str(t).endswith(task_id) for t in (e.get("params") or {}).get("tasks", [])))
    known = "stoppedAt" if timeline == "orderly" else "executionStoppedAt"
    for entry in runs:  # after counting: these describes are ours, not the waiters'
        task = ecs.describe_tasks(cluster=cluster, tasks=[entry["arn"]])["tasks"][0]
        entry["delay"] = entry["exited"] - task[known].timestamp()

    result = {"tasks": tasks, "lifetime_min": lifetime_min, "lifetime_max": lifetime_max,
              "timeline": timeline, "waiters": {}}
    for waiter in WAITERS:
        mine = [e for e in runs if e["waiter"] == waiter]
        delays = sorted(e["delay"] for e in mine)
        calls = [e["calls"] for e in mine]
        result["waiters"][waiter] = {
            "delay_p50": statistics.median(delays),
            "delay_p90": delays[min(len(delays) - 1, int(round(0.9 * (len(delays) - 1))))],
            "delay_min": delays[0], "delay_max": delays[-1],
            "calls_median": statistics.median(calls), "calls_total": sum(calls),
            "calls_max": max(calls),
            "per_task": [{"lifetime": round(e["lifetime"], 2), "delay": round(e["delay"], 3),
                          "calls": e["calls"]} for e in mine],
        }
    return result


def table(result):
    """The Markdown table of one run."""
    lines = ["| waiter | exit after the container's exit: p50 s | p90 s | max s | "
             "DescribeTasks per task (median) | max |",
             "| --- | --- | --- | --- | --- | --- |"]
    for name, v in result["waiters"].items():
        lines.append(f"| {name} | {v['delay_p50']:.2f} | {v['delay_p90']:.2f} | "
                     f"{v['delay_max']:.2f} | {v['calls_median']:g} | {v['calls_max']} |")
    return "\n".join(lines)


def main():
    here = os.path.dirname(os.path.abspath(__file__))
    root = os.path.dirname(os.path.dirname(here))
    sys.path.insert(0, os.path.join(root, "tests", "integration"))
    import harness  # noqa: E402

    parser = argparse.ArgumentParser(description="wait-task on the Fargate timeline (#14)")
    parser.add_argument("--bin-dir", required=True)
    parser.add_argument("--node-dir", required=True)
    parser.add_argument("--tasks", type=int, default=6)
    parser.add_argument("--lifetime-min", type=float, default=3.0)
    parser.add_argument("--lifetime-max", type=float, default=20.0)
    parser.add_argument("--seed", type=int, default=14)
    parser.add_argument("--json", help="also write the raw result here")
    args = parser.parse_args()
    node_dir = os.path.abspath(args.node_dir)
    with harness.LocalAws(timing="fargate") as aws:
        aws.allow_leftovers()
        seeded = aws.seed_service(cluster="bench-wait", service="api")
        env = aws.env(NODE_PATH=os.path.join(node_dir, "node_modules"),
                      ENDPOINT=aws.endpoint, AWS_DEFAULT_REGION=aws.region,
                      AWS_CLI=os.environ.get("AWS_CLI", "aws"))
        env.pop("GITHUB_OUTPUT", None)
        started = time.time()
        result = run(aws, seeded, os.path.abspath(args.bin_dir), env, args.tasks,
                     args.lifetime_min, args.lifetime_max, random.Random(args.seed),
                     node_dir=node_dir, timeline="fargate")
        result["wall_seconds"] = round(time.time() - started, 1)
    if args.json:
        with open(args.json, "w") as f:
            json.dump(result, f, indent=1)
    print(table(result))
    print(f"\n{args.tasks} tasks per waiter, lifetimes {args.lifetime_min:g}-"
          f"{args.lifetime_max:g} s, {result['wall_seconds']} s wall; aws: "
          + subprocess.run(["aws", "--version"], capture_output=True, text=True).stdout.strip()
          + "; node " + subprocess.run(["node", "--version"], capture_output=True,
                                       text=True).stdout.strip())


if __name__ == "__main__":
    main()
