#!/usr/bin/env python3
"""Writes bench/RESULTS.md (and the per-step plot) from one bench/run's
results directory: machine.txt, steps.json, micro.json, fargate.json, lint.md,
and when the full run made them detect.txt, logs.json, aws_call.txt.

  report.py RESULTS_DIR RESULTS_MD PLOT_PNG
"""

import json
import math
import os
import re
import subprocess
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
BENCH = os.path.dirname(HERE)
sys.path.insert(0, os.path.join(BENCH, "wait"))

import fargate  # noqa: E402  (bench/wait/fargate.py: its table)
VARIANTS = ("ecsmig", "curl", "node-sdk", "aws-cli")
STEP_WORK = {
    "resolve": "DescribeServices of the service (network configuration)",
    "start": "RunTask, task definition + network configuration + command override",
    "wait": "DescribeTasks until STOPPED, on a task that has already stopped",
    "logs": "every event of one log stream, in order",
}


def load(path, default=None):
    if not os.path.exists(path):
        return default
    with open(path) as f:
        return json.load(f) if path.endswith(".json") else f.read()


def ms(seconds):
    return f"{seconds * 1000:.0f}" if seconds >= 0.1 else f"{seconds * 1000:.1f}"


def spread(summary):
    return f"{ms(summary['q1'])}–{ms(summary['q3'])} (min {ms(summary['min'])}, max {ms(summary['max'])})"


def verdict(ok):
    return "**met**" if ok else "**missed**"


def fargate_section(add, result):
    """The Fargate-timeline section (bench/wait/fargate.py); returns its targets."""
    wait, pipes = result["wait"], result["pipeline"]
    scale = result.get("scale", 1.0)
    scaled = "" if scale == 1.0 else f" (every duration but MISSING and RUNNING × {scale:g})"
    add("## On a Fargate-like timeline: the wait step and the whole pipeline (#14)")
    add("")
    add("`bench/wait/fargate.py`, against the local AWS with its `fargate` timing. Every task: "
        "`MISSING` for 1 s after RunTask, PROVISIONING 2–4 s, PENDING 3–6 s, RUNNING for a "
        f"random {wait['lifetime_min']:g}–{wait['lifetime_max']:g} s (seeded: the same "
        "lifetimes for every tool and both parts), then DEACTIVATING 2 s, STOPPING 3 s, "
        f"DEPROVISIONING 22–28 s before STOPPED{scaled}. The migration's result is known at "
        "the container's exit (`executionStoppedAt`); every figure below counts from there.")
    add("")
    add(f"- **Wait step** ({wait['tasks']} tasks per tool; each lifetime's tasks, one per "
        "tool, started together, 2 s after the previous lifetime's, and waited on "
        "concurrently): `wait-task` vs `aws ecs wait tasks-stopped` (`bench/peers/steps.sh "
        "wait`) vs the SDK's `waitUntilTasksStopped` (`bench/node/step.mjs wait`). "
        "Exit = the waiter process's exit; calls = DescribeTasks requests for that task at "
        "the proxy.")
    add(f"- **Pipeline** run → wait → logs ({pipes['tasks']} per tool; each lifetime's "
        f"pipelines, one per tool, started together, {pipes.get('stagger', 2):g} s after the "
        "previous lifetime's, each starting its own task; the task logs "
        f"{pipes['log_lines']} lines, checked in each pipeline's output): "
        "`bench/pipeline/ecsmig_task.sh` (`run-migration-task`, `wait-task`, `fetch-logs "
        "--task`) vs `bench/peers/task_pipeline.sh` (`run-task`, `aws ecs wait "
        "tasks-stopped`, `describe-tasks --query` for the exit code, a `get-log-events` loop) "
        "vs `bench/node/step.mjs pipeline` (one process: RunTask, waitUntilTasksStopped, "
        "DescribeTasks, GetLogEvents). Wall = process start to exit, RunTask included.")
    add("")
    add(fargate.table(result))
    add("")
    add("<details><summary>Per task</summary>")
    add("")
    add("| tool | RUNNING s | wait: exit after the container's exit s | calls | "
        "pipeline wall s | pipeline exit after the container's exit s | calls |")
    add("|---|---:|---:|---:|---:|---:|---:|")
    for name, w in wait["waiters"].items():
        for t, p in zip(w["per_task"], pipes["pipelines"][name]["per_task"]):
            add(f"| {name} | {t['lifetime']} | {t['delay']} | {t['calls']} | {p['wall']} | "
                f"{p['after_exit']} | {p['calls']} |")
    add("")
    add("</details>")
    add("")
    if scale != 1.0:
        add("The timeline is scaled down, so the issue's targets (on the full timeline) are "
            "not judged here; the waiters that wait for STOPPED gain the most from it.")
        add("")
        return []
    ours, cli = wait["waiters"]["ecsmig"], wait["waiters"].get("aws-cli")
    targets = [
        ("Fargate timeline: wait-task exits p50 ≤ 3.5 s after the container's exit",
         f"{ours['delay_p50']:.2f} s", ours["delay_p50"] <= 3.5),
        ("Fargate timeline: wait-task exits at most 7 s after the container's exit",
         f"{ours['delay_max']:.2f} s", ours["delay_max"] <= 7.0)]
    if cli:
        targets.append((
            "Fargate timeline: no more DescribeTasks than `aws ecs wait tasks-stopped`",
            f"{ours['calls_total']} vs {cli['calls_total']} in total",
            ours["calls_total"] <= cli["calls_total"]))
    return targets


def main():
    results_dir, out_md, out_png = sys.argv[1:4]
    machine = dict(line.split("=", 1) for line in load(
        os.path.join(results_dir, "machine.txt"), "").splitlines() if "=" in line)
    steps = load(os.path.join(results_dir, "steps.json"), {})
    micro = load(os.path.join(results_dir, "micro.json"))
    detect = load(os.path.join(results_dir, "detect.txt"))
    logs = load(os.path.join(results_dir, "logs.json"))
    aws_call = load(os.path.join(results_dir, "aws_call.txt"))
    lint = load(os.path.join(results_dir, "lint.md"))
    on_fargate = load(os.path.join(results_dir, "fargate.json"))
    quick = machine.get("quick") == "1"
    events = steps.get("events", 0)

    md = []
    add = md.append
    add("# ecsmig benchmarks" + (" (quick run)" if quick else ""))
    add("")
    add("Generated by `bench/run" + (" --quick" if quick else "") + "` (see `bench/README.md`); "
        "do not edit by hand. Every figure is measured on this machine in this one run, against "
        "the local AWS of `tests/aws_local` (moto 5.2.1 behind the suite's SigV4-checking, "
        "call-counting proxy) on loopback. Ratios compare tools measured side by side in the "
        "same run, interleaved run by run; absolute times on a loopback moto say nothing about "
        "AWS itself.")
    add("")
    add("## Machine")
    add("")
    for key, label in (("date", "Date"), ("commit", "Commit"), ("nproc", "CPUs (nproc)"),
                       ("cpu", "CPU model"), ("memory", "Memory"), ("kernel", "Kernel"),
                       ("load_start", "Load average at start (1, 5, 15 min)"),
                       ("load_end", "Load average at end"), ("aws", "`aws` on PATH"),
                       ("node", "Node"), ("curl", "curl"), ("git", "git"),
                       ("bin_dir", "Tools measured"), ("elapsed_seconds", "Run took (s)")):
        if key in machine:
            value = str(machine[key])
            if key in ("aws", "bin_dir"):
                # Only names, never this machine's directories, in a committed file.
                value = " ".join(os.path.basename(w) if w.startswith("/") else w for w in value.split(" "))
            add(f"- {label}: {value}")
    add("")
    load1 = float(machine.get("load_start", "0").split()[0] or 0)
    if load1 > float(machine.get("nproc", "1")):
        add(f"**The machine was shared and overloaded during this run** (load {load1:.1f} on "
            f"{machine.get('nproc')} CPUs: other engineers' compilers). Every process waits "
            "for a CPU, so the absolute times are inflated and noisy, most for the tools that "
            "need the most CPU per step (the aws CLI and Node start a Python or JavaScript "
            "runtime: hundreds of ms of CPU, against a few ms for ecsmig and curl). Ratios "
            "are more stable than absolute figures, but still noisier than on an idle machine.")
        add("")

    targets = []
    if steps.get("steps"):
        add("## Per step: the same work, four ways")
        add("")
        add("Each cell: median wall time in ms, process start to exit; spread is the "
            f"interquartile range and min–max over {steps['runs']} runs "
            f"(logs: {max(1, steps['runs'] // 2)} runs of {events:,} events). "
            "Calls: AWS requests that reached the proxy per run (median).")
        add("")
        add("- **ecsmig**: `resolve-network`, `run-migration-task --task-definition ... "
            "--if-running ignore`, `wait-task`, `fetch-logs --log-group --log-stream`.")
        add(f"- **aws CLI**: `bench/peers/steps.sh`, the seed guides' commands: "
            "`describe-services --query 'services[0].networkConfiguration.awsvpcConfiguration'`, "
            "`run-task ... --query 'tasks[0].taskArn' --output text`, "
            "`aws ecs wait tasks-stopped`, a `get-log-events` loop over `nextForwardToken` "
            "with jq.")
        add("- **Node + AWS SDK v3**: `bench/node/step.mjs` (`@aws-sdk/client-ecs`, "
            "`@aws-sdk/client-cloudwatch-logs`, one process per step as a Node action runs).")
        add("- **curl**: the same request with bare `curl --aws-sigv4` (logs: a bash loop of "
            "curl + jq over the pages, `bench/peers/curl_logs.sh`): the floor of a process "
            "that signs and sends one request.")
        add("")
        add("| step | work | tool | wall ms (median) | IQR (min, max) | calls | × curl | aws CLI ÷ tool |")
        add("|---|---|---|---:|---|---:|---:|---:|")
        plot_rows = []
        for step, variants in steps["steps"].items():
            curl = variants["curl"]["wall"]["median"]
            cli = variants["aws-cli"]["wall"]["median"]
            for name in VARIANTS:
                v = variants[name]
                wall = v["wall"]["median"]
                add(f"| {step} | {STEP_WORK[step] if name == 'ecsmig' else ''} | {name} | "
                    f"{ms(wall)} | {spread(v['wall'])} | {v['calls']:g} | "
                    f"{wall / curl:.2f}× | {cli / wall:.1f}× |")
            plot_rows.append((step, *(variants[n]["wall"]["median"] * 1000 for n in VARIANTS)))
            ours = variants["ecsmig"]["wall"]["median"]
            calls_note = ""
            if variants["ecsmig"]["calls"] != variants["curl"]["calls"]:
                calls_note = (f" ({variants['ecsmig']['calls']:g} calls vs curl's "
                              f"{variants['curl']['calls']:g})")
            targets.append((f"{step}: ecsmig ≤ 1.5× curl", f"{ours / curl:.2f}×{calls_note}",
                            ours / curl <= 1.5))
            targets.append((f"{step}: ecsmig ≥ 30× faster than the aws CLI", f"{cli / ours:.1f}×",
                            cli / ours >= 30))
        add("")
        add("![Per-step wall time, ecsmig vs peers](per_step.png)")
        add("")
        data = os.path.join(results_dir, "per_step.dat")
        with open(data, "w") as f:
            for row in plot_rows:
                f.write(" ".join([row[0]] + [f"{x:.2f}" for x in row[1:]]) + "\n")
        subtitle = (f"{machine.get('nproc')} CPUs, load {machine.get('load_start', '?')} at start; "
                    f"local moto on loopback")
        subprocess.run(["gnuplot", "-e", f"datafile='{data}'; outfile='{out_png}'; "
                        f"subtitle='{subtitle}'", os.path.join(BENCH, "plot.gnuplot")],
                       check=True)

    if steps.get("pipeline"):
        p = steps["pipeline"]
        add("## Whole pipeline: detect → resolve → run → wait → logs")
        add("")
        add("`bench/pipeline/ecsmig.sh` (one tool per step, facts passed through "
            "`GITHUB_OUTPUT`) vs `bench/peers/pipeline.sh` (the seed guides' bash: `git diff "
            "--name-only -- ':(glob)...'`, three `describe-services --query`, `run-task`, "
            "`aws ecs wait tasks-stopped`, `describe-tasks --query` for the exit code, a "
            "`get-log-events` loop). The migration task is scripted identically for both: "
            "PROVISIONING 0.2 s, PENDING 0.3 s, RUNNING 2 s, then STOPPED with exit code 0, "
            f"{steps.get('pipeline_log_lines', 1000)} log lines. CPU = user + sys of the whole "
            f"process tree. {steps['pipeline_runs']} runs.")
        add("")
        add("| pipeline | wall s (median) | wall min–max | CPU s (median) | CPU min–max | AWS calls |")
        add("|---|---:|---|---:|---|---:|")
        for name, v in p.items():
            add(f"| {name} | {v['wall']['median']:.2f} | {v['wall']['min']:.2f}–{v['wall']['max']:.2f} | "
                f"{v['cpu']['median']:.2f} | {v['cpu']['min']:.2f}–{v['cpu']['max']:.2f} | {v['calls']:g} |")
        ours, theirs = p["ecsmig"], p["bash+aws-cli"]
        add("")
        add(f"bash + aws CLI ÷ ecsmig: wall **{theirs['wall']['median'] / ours['wall']['median']:.1f}×**, "
            f"CPU **{theirs['cpu']['median'] / max(ours['cpu']['median'], 1e-6):.1f}×**. "
            "Most of either pipeline's wall time is the task's own 2.5 s and how soon the "
            "waiter notices it stopped (see below); the CLI waiter polls every 6 s.")
        add("")

    if steps.get("wait"):
        w = steps["wait"]
        add("## wait-task: how soon a stop is noticed, and at what cost")
        add("")
        add(f"{w['tasks']} tasks per waiter, RUNNING for a random "
            f"{w['lifetime_min']:g}–{w['lifetime_max']:g} s (same lifetimes for every waiter, "
            "seeded), waited on concurrently; each lifetime's three tasks start together, 2 s "
            "after the previous three, so the waiters' start-ups do not queue for the CPUs. "
            "Delay = the waiter's exit minus the task's "
            "`stoppedAt`; calls = DescribeTasks requests for that task at the proxy.")
        add("")
        add("| waiter | delay p50 s | p90 s | min–max s | DescribeTasks per task (median) | max | total |")
        add("|---|---:|---:|---|---:|---:|---:|")
        for name, v in w["waiters"].items():
            add(f"| {name} | {v['delay_p50']:.2f} | {v['delay_p90']:.2f} | "
                f"{v['delay_min']:.2f}–{v['delay_max']:.2f} | {v['calls_median']:g} | "
                f"{v['calls_max']} | {v['calls_total']} |")
        ours, cli = w["waiters"]["ecsmig"], w["waiters"]["aws-cli"]
        targets.append(("wait: stop detected with p50 ≤ 1.5 s", f"{ours['delay_p50']:.2f} s",
                        ours["delay_p50"] <= 1.5))
        targets.append(("wait: no more DescribeTasks than the aws waiter",
                        f"{ours['calls_total']} vs {cli['calls_total']} in total",
                        ours["calls_total"] <= cli["calls_total"]))
        add("")
        add("<details><summary>Per task</summary>")
        add("")
        add("| waiter | RUNNING s | delay s | calls |")
        add("|---|---:|---:|---:|")
        for name, v in w["waiters"].items():
            for t in v["per_task"]:
                add(f"| {name} | {t['lifetime']} | {t['delay']} | {t['calls']} |")
        add("")
        add("</details>")
        add("")

    if on_fargate:
        targets.extend(fargate_section(add, on_fargate))

    if logs:
        add(f"## Logs: {logs['events']:,} events (`bench/logs/run.sh`)")
        add("")
        add("| reader | wall s (median) | peak RSS MB | calls | every event once, in order |")
        add("|---|---:|---:|---|---|")
        for r in logs["results"]:
            add(f"| {r['tool']} | {r['wall_median_s']:.2f} | {r['peak_rss_mb']:.1f} | "
                f"{json.dumps(r['calls'])} | {r['exactly_once_in_order']} |")
        ours = logs["results"][0]
        calls = sum(ours["calls"].values())
        minimal = math.ceil(logs["events"] / 10000) + 1
        targets.append(("logs: minimal call count ⌈N/10 000⌉ + 1", f"{calls} (minimal {minimal})",
                        calls <= minimal))
        for peer in logs["results"][1:]:
            ratio = peer["wall_median_s"] / ours["wall_median_s"]
            targets.append((f"logs: ≥ 10× faster than the aws CLI ({peer['tool']})",
                            f"{ratio:.1f}×", ratio >= 10))
        add("")
    elif steps.get("steps", {}).get("logs"):
        v = steps["steps"]["logs"]
        ratio = v["aws-cli"]["wall"]["median"] / v["ecsmig"]["wall"]["median"]
        minimal = math.ceil(events / 10000) + 1
        targets.append((f"logs: minimal call count ⌈N/10 000⌉ + 1 ({events:,} events)",
                        f"{v['ecsmig']['calls']:g} (minimal {minimal})",
                        v["ecsmig"]["calls"] <= minimal))
        targets.append(("logs: ≥ 10× faster than the aws CLI", f"{ratio:.1f}×", ratio >= 10))

    if detect:
        add("## detect-schema-change vs `git diff --name-only` (`bench/detect/run.sh`)")
        add("")
        add("```")
        add(detect.strip())
        add("```")
        add("")
        match = re.search(r"worst ratio: wall ([\d.]+)x, cpu ([\d.]+)x", detect)
        row = re.compile(r"^(.+?)\s{2,}([\d.]+)\s+([\d.]+)\s+([\d.]+)x\s+([\d.]+)\s+"
                         r"([\d.]+)\s+([\d.]+)x\s+(\d+)$")
        for line in detect.splitlines():
            m = row.match(line.strip())
            if m:
                targets.append((f"detect ≤ 1.0× git: {m.group(1)}",
                                f"wall {m.group(4)}×, cpu {m.group(7)}×", float(m.group(4)) <= 1.0))
        if not match:
            add("(no worst-ratio line found in bench/detect's output)")

    if lint:
        add("## lint-migrations vs squawk (`bench/lint/run.sh`)")
        add("")
        add(lint.strip())
        add("")
        match = re.search(r"ratio: wall ([\d.]+)x", lint)
        if match:
            targets.append(("lint: faster than squawk", f"{match.group(1)}×",
                            float(match.group(1)) > 1.0))

    if aws_call:
        add("## One signed DescribeServices: library vs curl vs aws CLI (`bench/aws_call/run.sh`)")
        add("")
        add("```")
        add(aws_call.strip())
        add("```")
        add("")

    if micro:
        add("## Micro benchmarks (Google Benchmark, `bench/micro/`)")
        add("")
        add("| benchmark | time per op | throughput |")
        add("|---|---:|---:|")
        for b in micro["benchmarks"]:
            if b.get("aggregate_name") != "median":
                continue
            rate = []
            if "items_per_second" in b:
                rate.append(f"{b['items_per_second']:,.0f} ops/s")
            if "bytes_per_second" in b:
                rate.append(f"{b['bytes_per_second'] / 2**20:,.0f} MiB/s")
            add(f"| {b['run_name']} | {b['real_time']:,.0f} {b['time_unit']} | {', '.join(rate)} |")
        add("")
        add(f"Median of {micro['benchmarks'][0].get('repetitions', 3)} repetitions on "
            f"{micro['context'].get('num_cpus', '?')} CPUs, single-threaded, ecsmig's code as "
            "built for the tools measured above. A multi-line record pays a fixed few µs for "
            "its random heredoc delimiter (getrandom(2)) and the collision check; a "
            "simple record does not need one.")
        add("")

    if targets:
        add("## Targets")
        add("")
        add("| target | measured | |")
        add("|---|---|---|")
        for name, measured, ok in targets:
            add(f"| {name} | {measured} | {verdict(ok)} |")
        add("")
    notes = os.path.join(BENCH, "pipeline", "NOTES.md")
    if os.path.exists(notes):
        with open(notes) as f:
            md.append(f.read().rstrip())
        add("")
    with open(out_md, "w") as f:
        f.write("\n".join(md) + "\n")


if __name__ == "__main__":
    main()
