"""The whole run -> wait -> logs pipeline on the Fargate timeline (#14):

  ecsmig     bench/pipeline/ecsmig_task.sh: run-migration-task, wait-task,
             fetch-logs --task
  aws-cli    bench/peers/task_pipeline.sh: run-task, aws ecs wait
             tasks-stopped, describe-tasks for the exit code, get-log-events
  node-sdk   bench/node/step.mjs pipeline (one process): RunTask,
             waitUntilTasksStopped, DescribeTasks, GetLogEvents

For each lifetime, one pipeline per tool is started at once (a group every
--pipeline-stagger seconds); the group's RunTasks get the same scripted lifecycle (the layer hands scripts out in
RunTask order, so the next group's are queued only once all three tasks of
this one exist). Each pipeline's task is found by its startedBy. Measured:
wall time of the pipeline (process start to exit), its exit after the
container's exit (executionStoppedAt), DescribeTasks calls for its task, and
that it printed the task's whole log.
"""

import json
import os
import time

import wait_bench

PIPELINES = ("ecsmig", "aws-cli", "node-sdk")
CONTAINER = "app"
STREAM_PREFIX = "ecs"  # harness.seed_service's awslogs-stream-prefix


def _argv(variant, bin_dir, node_dir, seeded, started_by):
    subnets, groups = seeded["subnets"], seeded["security_groups"]
    cluster, definition = seeded["cluster"], seeded["task_definition_arn"]
    if variant == "ecsmig":
        network = {"awsvpcConfiguration": {"subnets": subnets, "securityGroups": groups,
                                           "assignPublicIp": "DISABLED"}}
        return [os.path.join(wait_bench.BENCH, "pipeline", "ecsmig_task.sh"), bin_dir,
                cluster, definition, json.dumps(network), started_by]
    tail = [cluster, definition, CONTAINER, ",".join(subnets), ",".join(groups),
            seeded["log_group"], STREAM_PREFIX, started_by]
    if variant == "aws-cli":
        return [os.path.join(wait_bench.BENCH, "peers", "task_pipeline.sh"), *tail]
    return ["node", os.path.join(node_dir, "step.mjs"), "pipeline", *tail]


def _wait_for_tasks(aws, started_by, timeout=180):
    """{startedBy: task ARN} once the layer has a task for each name."""
    deadline = time.time() + timeout
    while True:
        found = {t["started_by"]: t["arn"] for t in aws.tasks() if t["started_by"] in started_by}
        if len(found) == len(started_by):
            return found
        if time.time() > deadline:
            raise SystemExit(f"pipelines did not start their tasks in {timeout}s: "
                             f"{sorted(set(started_by) - set(found))}")
        time.sleep(0.1)


def run(aws, seeded, bin_dir, node_dir, env, lifetimes, rng, scale=1.0, log_lines=200,
        variants=PIPELINES, stagger=wait_bench.GROUP_STAGGER_S):
    """One pipeline per tool (variants: a subset of PIPELINES) for each
    lifetime, a group every stagger seconds; returns per-tool figures."""
    lines = [f"prisma:info migration line {i:04d}" for i in range(log_lines)]
    runs = []
    for index, lifetime in enumerate(lifetimes):
        script = wait_bench.task_script("fargate", lifetime, rng, scale)
        for _ in variants:
            aws.script_next_task(**script, log_lines={CONTAINER: lines})
        group_started = time.time()
        group = {}
        for variant in variants:
            started_by = f"bench-{index}-{variant}"
            group[started_by] = wait_bench.spawn(
                _argv(variant, bin_dir, node_dir, seeded, started_by), env,
                {"name": variant, "lifetime": lifetime})
        for started_by, arn in _wait_for_tasks(aws, set(group)).items():
            group[started_by]["arn"] = arn
        runs.extend(group.values())
        # Unlike a waiter, a pipeline needs the CPU again at its end (the aws
        # CLI starts Python three more times): groups started close together
        # end together and queue for the two CPUs, which a workflow on its
        # own runner never does. The stagger spreads those ends out.
        if index + 1 < len(lifetimes):
            time.sleep(max(0.0, stagger - (time.time() - group_started)))
    wait_bench.join_all(runs)

    log = aws.stats()["requests_log"]
    known = wait_bench.result_known_at(aws, "fargate")
    for entry in runs:
        if lines[-1].encode() not in entry["stdout"]:
            raise SystemExit(f"pipeline {entry['name']} did not print the task's last log line")
        entry["wall"] = entry["exited"] - entry["started"]
        entry["after_exit"] = entry["exited"] - known[entry["arn"]]
        entry["calls"] = wait_bench.describe_calls(log, entry["arn"])

    result = {"tasks": len(lifetimes), "log_lines": log_lines, "stagger": stagger,
              "pipelines": {}}
    for variant in variants:
        mine = [e for e in runs if e["name"] == variant]
        wall = wait_bench.spread(e["wall"] for e in mine)
        after = wait_bench.spread(e["after_exit"] for e in mine)
        calls = [e["calls"] for e in mine]
        result["pipelines"][variant] = {
            "wall_median": wall["p50"], "wall_min": wall["min"], "wall_max": wall["max"],
            "after_exit_median": after["p50"], "after_exit_max": after["max"],
            "calls_median": wait_bench.spread(calls)["p50"], "calls_total": sum(calls),
            "per_task": [{"lifetime": round(e["lifetime"], 2), "wall": round(e["wall"], 3),
                          "after_exit": round(e["after_exit"], 3), "calls": e["calls"]}
                         for e in mine],
        }
    return result
