#!/usr/bin/env python3
"""The wait step and the whole run -> wait -> logs pipeline on a Fargate-like
timeline (#14), ecsmig vs `aws ecs wait tasks-stopped` (bash + aws CLI) vs
the Node SDK v3's waitUntilTasksStopped, side by side in one run against one
local AWS (tests/aws_local, `fargate` timing).

Every task: MISSING for 1 s after RunTask, PROVISIONING 2-4 s, PENDING 3-6 s,
RUNNING for a lifetime drawn from [--lifetime-min, --lifetime-max], then
DEACTIVATING 2 s, STOPPING 3 s, DEPROVISIONING 22-28 s before STOPPED
(--scale shrinks all but MISSING and RUNNING: bench/run --quick). The same
lifetimes serve both phases: first the waiters alone (bench/wait/wait_bench.py,
tasks started by the bench), then the pipelines (pipeline_bench.py, each
starting its own task).

  fargate.py --bin-dir BUILD --node-dir BUILD/bench-node [--tasks 6] [--json OUT]

Prints the table that bench/pipeline/report.py puts into RESULTS.md.
"""

import argparse
import json
import os
import random
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)

import pipeline_bench  # noqa: E402
import wait_bench  # noqa: E402

LABELS = {"ecsmig": "ecsmig", "aws-cli": "aws CLI", "node-sdk": "Node SDK v3"}


def table(result):
    """The Markdown table of one run: the wait step's figures and the
    pipeline's, one row per tool (RESULTS.md and the standalone output)."""
    wait, pipes = result["wait"]["waiters"], result["pipeline"]["pipelines"]
    ours = pipes["ecsmig"]["wall_median"]  # ecsmig is always measured
    lines = [
        "| tool | wait: exit after the container's exit, p50 s | p90 s | max s | "
        "DescribeTasks per task (median) | max | total | pipeline wall s (median) | max | "
        "pipeline wall ÷ ecsmig's | pipeline exit after the container's exit s (median) | "
        "DescribeTasks per pipeline (median) |",
        "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|"]
    for name in wait:
        w, p = wait[name], pipes[name]
        lines.append(
            f"| {name} | {w['delay_p50']:.2f} | {w['delay_p90']:.2f} | {w['delay_max']:.2f} | "
            f"{w['calls_median']:g} | {w['calls_max']} | {w['calls_total']} | "
            f"{p['wall_median']:.2f} | {p['wall_max']:.2f} | {p['wall_median'] / ours:.2f}× | "
            f"{p['after_exit_median']:.2f} | {p['calls_median']:g} |")
    return "\n".join(lines)


def main():
    root = os.path.dirname(os.path.dirname(HERE))
    sys.path.insert(0, os.path.join(root, "tests", "integration"))
    import harness  # noqa: E402

    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--bin-dir", required=True)
    parser.add_argument("--node-dir", required=True)
    parser.add_argument("--tasks", type=int, default=6, help="lifetimes (tasks per tool)")
    parser.add_argument("--lifetime-min", type=float, default=3.0)
    parser.add_argument("--lifetime-max", type=float, default=30.0)
    parser.add_argument("--scale", type=float, default=1.0,
                        help="shrinks PROVISIONING, PENDING and the stop sequence")
    parser.add_argument("--log-lines", type=int, default=200)
    parser.add_argument("--pipeline-stagger", type=float, default=10.0,
                        help="seconds between two lifetimes' pipelines")
    parser.add_argument("--seed", type=int, default=14)
    parser.add_argument("--json", help="also write the raw result here")
    parser.add_argument("--tools", default=",".join(wait_bench.WAITERS),
                        help="comma-separated subset of ecsmig,aws-cli,node-sdk "
                             "(ecsmig always; the suite's test measures it alone)")
    args = parser.parse_args()
    tools = tuple(t for t in wait_bench.WAITERS if t in args.tools.split(","))
    if "ecsmig" not in tools or len(tools) != len(set(args.tools.split(","))):
        parser.error(f"--tools: a subset of {','.join(wait_bench.WAITERS)} with ecsmig")
    bin_dir, node_dir = os.path.abspath(args.bin_dir), os.path.abspath(args.node_dir)
    rng = random.Random(args.seed)
    lifetimes = [rng.uniform(args.lifetime_min, args.lifetime_max) for _ in range(args.tasks)]
    started = time.time()
    with harness.LocalAws(timing="fargate") as aws:
        aws.allow_leftovers()
        seeded = aws.seed_service(cluster="bench-fargate", service="api")
        env = aws.env(NODE_PATH=os.path.join(node_dir, "node_modules"),
                      ENDPOINT=aws.endpoint, AWS_DEFAULT_REGION=aws.region,
                      AWS_CLI=os.environ.get("AWS_CLI", "aws"))
        print(f"fargate timeline: wait step, {args.tasks} tasks per waiter",
              file=sys.stderr, flush=True)
        result = {"wait": wait_bench.run(
            aws, seeded, bin_dir, env, args.tasks, args.lifetime_min, args.lifetime_max,
            random.Random(args.seed + 1), node_dir=node_dir, timeline="fargate",
            scale=args.scale, lifetimes=lifetimes, waiters=tools)}
        print(f"fargate timeline: run -> wait -> logs, {args.tasks} pipelines per tool",
              file=sys.stderr, flush=True)
        result["pipeline"] = pipeline_bench.run(
            aws, seeded, bin_dir, node_dir, env, lifetimes, random.Random(args.seed + 2),
            scale=args.scale, log_lines=args.log_lines, variants=tools,
            stagger=args.pipeline_stagger)
        stats = aws.stats()
        result["model_violations"] = len(stats.get("model_violations", []))
        result["signature_failures"] = stats.get("signature_failures")
    result["wall_seconds"] = round(time.time() - started, 1)
    result["scale"] = args.scale
    if args.json:
        with open(args.json, "w") as f:
            json.dump(result, f, indent=1)
    print(table(result))
    print(f"\n{args.tasks} tasks per tool, RUNNING {args.lifetime_min:g}-"
          f"{args.lifetime_max:g} s, scale {args.scale:g}, {result['wall_seconds']} s wall")


if __name__ == "__main__":
    main()
