"""wait-task stop detection: how long after a task's result is known does the
waiter exit, and how many DescribeTasks calls did it make for that task?

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
proxy. Used by bench/pipeline/bench.py (orderly timeline) and by
bench/wait/fargate.py (Fargate timeline, with the whole pipeline, #14).

The helpers here (task_script, spawn, describe_calls, ...) are shared with
bench/wait/pipeline_bench.py.
"""

import os
import statistics
import subprocess
import threading
import time

WAITERS = ("ecsmig", "aws-cli", "node-sdk")
GROUP_STAGGER_S = 2.0
BENCH = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def _argv(waiter, bin_dir, node_dir, cluster, arn, output):
    if waiter == "ecsmig":
        return [os.path.join(bin_dir, "wait-task"), "--cluster", cluster, "--task", arn,
                "--output", output, "-q"]
    if waiter == "aws-cli":
        return [os.path.join(BENCH, "peers", "steps.sh"), "wait", cluster, arn]
    return ["node", os.path.join(node_dir, "step.mjs"), "wait", cluster, arn]


def task_script(timeline, lifetime, rng, scale=1.0):
    """script_next_task arguments of one task. Fargate (tests/aws_local
    ecs_layer TIMINGS "fargate", drawn from rng): MISSING for 1 s after
    RunTask, PROVISIONING 2-4 s, PENDING 3-6 s, RUNNING for the lifetime,
    then DEACTIVATING 2 s, STOPPING 3 s, DEPROVISIONING 22-28 s before
    STOPPED. scale shrinks every phase but the MISSING window and RUNNING
    (bench/run --quick)."""
    if timeline == "orderly":
        return {"statuses": (("PROVISIONING", 0.2), ("PENDING", 0.3), ("RUNNING", lifetime)),
                "missing_seconds": 0, "stop_sequence": []}
    return {"statuses": (("PROVISIONING", scale * rng.uniform(2, 4)),
                         ("PENDING", scale * rng.uniform(3, 6)), ("RUNNING", lifetime)),
            "missing_seconds": 1.0,
            "stop_sequence": [("DEACTIVATING", scale * 2.0), ("STOPPING", scale * 3.0),
                              ("DEPROVISIONING", scale * rng.uniform(22, 28))]}


def spawn(argv, env, entry):
    """Starts argv and a thread that reaps it: entry gets "proc", "started",
    and once it exits "stdout" (bytes), "stderr" and "exited" (wall clock)."""
    entry["started"] = time.time()
    entry["proc"] = subprocess.Popen(argv, env=env, stdout=subprocess.PIPE,
                                     stderr=subprocess.PIPE)

    def reap():
        entry["stdout"], entry["stderr"] = entry["proc"].communicate()
        entry["exited"] = time.time()
    entry["thread"] = threading.Thread(target=reap)
    entry["thread"].start()
    return entry


def join_all(entries):
    """Waits for every spawned process; a failed one ends the benchmark."""
    for entry in entries:
        entry["thread"].join()
    for entry in entries:
        if entry["proc"].returncode != 0:
            raise SystemExit(f"{entry['name']} exited {entry['proc'].returncode}: "
                             f"{entry['stderr'].decode(errors='replace')[-1000:]}")


def describe_calls(log, arn):
    """DescribeTasks requests (in the proxy's log) that asked about arn."""
    task_id = arn.rsplit("/", 1)[-1]
    return sum(1 for e in log if e["op"] == "ecs:DescribeTasks" and any(
        str(t).endswith(task_id) for t in (e.get("params") or {}).get("tasks", [])))


def result_known_at(aws, timeline):
    """{task ARN: when its result was known (epoch s)}, from the layer's own
    records (no DescribeTasks, so nothing added to the counts)."""
    key = "stopped_at" if timeline == "orderly" else "execution_stopped_at"
    return {t["arn"]: t[key] for t in aws.tasks()}


def spread(values):
    """p50, p90 (nearest rank), min and max of values."""
    values = sorted(values)
    return {"p50": statistics.median(values),
            "p90": values[min(len(values) - 1, int(round(0.9 * (len(values) - 1))))],
            "min": values[0], "max": values[-1]}


def run(aws, seeded, bin_dir, env, tasks, lifetime_min, lifetime_max, rng, node_dir=None,
        timeline="orderly", scale=1.0, lifetimes=None, waiters=WAITERS):
    """lifetimes: the RUNNING seconds of each group (default: tasks drawn
    from [lifetime_min, lifetime_max]); waiters: a subset of WAITERS."""
    node_dir = node_dir or os.path.join(os.path.dirname(env.get("NODE_PATH", "")))
    ecs = aws.proxy_client("ecs")
    cluster = seeded["cluster"]
    runs = []  # dicts: name (the waiter), arn, lifetime, proc, started, exited
    scratch = os.path.join(os.environ.get("TMPDIR", "/tmp"), f"wait-bench-{os.getpid()}")
    os.makedirs(scratch, exist_ok=True)
    if lifetimes is None:
        lifetimes = [rng.uniform(lifetime_min, lifetime_max) for _ in range(tasks)]

    for index, lifetime in enumerate(lifetimes):
        script = task_script(timeline, lifetime, rng, scale)  # the same for the whole group
        for waiter in waiters:
            aws.script_next_task(**script)
            answer = ecs.run_task(
                cluster=cluster, taskDefinition=seeded["task_definition_arn"],
                launchType="FARGATE", networkConfiguration={"awsvpcConfiguration": {
                    "subnets": seeded["subnets"],
                    "securityGroups": seeded["security_groups"]}})
            arn = answer["tasks"][0]["taskArn"]
            output = os.path.join(scratch, f"{index}-{waiter}.out")
            runs.append(spawn(_argv(waiter, bin_dir, node_dir, cluster, arn, output), env,
                              {"name": waiter, "arn": arn, "lifetime": lifetime}))
        # Let this group's waiters start before the next group's: started all
        # at once, 24 aws CLIs queue for two CPUs, and a CLI that needs 10 s
        # to make its first call looks as if it polled less.
        time.sleep(GROUP_STAGGER_S)
    join_all(runs)

    log = aws.stats()["requests_log"]
    known = result_known_at(aws, timeline)
    for entry in runs:
        entry["calls"] = describe_calls(log, entry["arn"])
        entry["delay"] = entry["exited"] - known[entry["arn"]]

    result = {"tasks": len(lifetimes), "lifetime_min": lifetime_min,
              "lifetime_max": lifetime_max, "timeline": timeline, "scale": scale,
              "waiters": {}}
    for waiter in waiters:
        mine = [e for e in runs if e["name"] == waiter]
        delays = spread(e["delay"] for e in mine)
        calls = [e["calls"] for e in mine]
        result["waiters"][waiter] = {
            "delay_p50": delays["p50"], "delay_p90": delays["p90"],
            "delay_min": delays["min"], "delay_max": delays["max"],
            "calls_median": statistics.median(calls), "calls_total": sum(calls),
            "calls_max": max(calls),
            "per_task": [{"lifetime": round(e["lifetime"], 2), "delay": round(e["delay"], 3),
                          "calls": e["calls"]} for e in mine],
        }
    return result
