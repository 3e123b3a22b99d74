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

delay = the waiter process's exit (wall clock) - the task's stoppedAt (as
DescribeTasks reports it afterwards). Calls = DescribeTasks requests for that
task counted at the proxy. Used by bench/pipeline/bench.py; standalone:
bench/wait/run.sh.
"""

import os
import statistics
import subprocess
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


def run(aws, seeded, bin_dir, env, tasks, lifetime_min, lifetime_max, rng, node_dir=None):
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
            aws.script_next_task(statuses=(("PROVISIONING", 0.2), ("PENDING", 0.3),
                                           ("RUNNING", lifetime)))
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
    for entry in runs:  # after counting: these describes are ours, not the waiters'
        task = ecs.describe_tasks(cluster=cluster, tasks=[entry["arn"]])["tasks"][0]
        entry["delay"] = entry["exited"] - task["stoppedAt"].timestamp()

    result = {"tasks": tasks, "lifetime_min": lifetime_min, "lifetime_max": lifetime_max,
              "waiters": {}}
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
