"""lint-migrations vs squawk on the same generated Prisma history, in one run.

Generates `count` migrations (prisma_history.py), then runs, interleaved run
by run, `lint-migrations --dir` and squawk's native binary (the npm package's
platform build, so no Node start-up is counted against it) on the same files.
Prints a Markdown report: wall and CPU time (median and min-max) with their
ratio, and the findings per rule for both, squawk's split by whether the
table was created by the same migration (what lint-migrations never reports).

    python3 bench/lint/bench.py LINT_MIGRATIONS SQUAWK [--count N] [--runs R]
"""

import argparse
import collections
import glob
import json
import os
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import prisma_history  # noqa: E402

# squawk's rule → ours (the rules both linters have).
SQUAWK_RULES = {
    "ban-drop-table": "drop-table",
    "ban-drop-column": "drop-column",
    "changing-column-type": "changing-column-type",
    "renaming-column": "rename-column",
    "renaming-table": "rename-table",
    "adding-required-field": "adding-not-nullable-field",
    "adding-not-nullable-field": "setting-not-null",
    "require-concurrent-index-creation": "create-index-non-concurrently",
    "adding-foreign-key-constraint": "adding-foreign-key",
    "disallowed-unique-constraint": "adding-unique-constraint",
    "constraint-missing-not-valid": "(constraint-missing-not-valid)",
}


def timed(argv):
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    start = time.perf_counter()
    proc = subprocess.run(argv, capture_output=True, check=False)
    wall = time.perf_counter() - start
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    return proc, wall, cpu


def spread(values):
    return f"{statistics.median(values) * 1000:.0f} ms ({min(values) * 1000:.0f}–{max(values) * 1000:.0f})"


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("lint")
    parser.add_argument("squawk")
    parser.add_argument("--count", type=int, default=300)
    parser.add_argument("--runs", type=int, default=7)
    parser.add_argument("--seed", type=int, default=7)
    args = parser.parse_args()

    work = tempfile.mkdtemp(prefix="ecsmig-lint-bench-")
    try:
        migrations = prisma_history.generate(args.count, seed=args.seed)
        base = prisma_history.write(work, migrations)
        files = sorted(glob.glob(os.path.join(base, "*", "migration.sql")))
        size = sum(os.path.getsize(f) for f in files)
        statements = sum(len(m.statements) for m in migrations)
        out_file = os.path.join(work, "out.txt")
        ours_argv = [args.lint, "--dir", base, "--output", out_file, "-q"]
        theirs_argv = [args.squawk, "--reporter", "json", *files]
        times = {"ours": ([], []), "squawk": ([], [])}
        ours_out = theirs_out = None
        for run in range(args.runs + 1):  # the first of each is a warm-up
            for name, argv in (("ours", ours_argv), ("squawk", theirs_argv)):
                if name == "ours" and os.path.exists(out_file):
                    os.remove(out_file)
                proc, wall, cpu = timed(argv)
                if name == "ours" and proc.returncode != 0:
                    raise SystemExit(f"lint-migrations exited {proc.returncode}: {proc.stderr[-2000:]}")
                if name == "squawk" and proc.returncode not in (0, 1):
                    raise SystemExit(f"squawk exited {proc.returncode}: {proc.stderr[-2000:]}")
                if run > 0:
                    times[name][0].append(wall)
                    times[name][1].append(cpu)
                if name == "squawk":
                    theirs_out = proc.stdout
            with open(out_file) as f:
                ours_out = f.read()
        ours = json.loads(next(line[len("findings_json="):] for line in ours_out.splitlines()
                               if line.startswith("findings_json=")))
        theirs = json.loads(theirs_out)
        report(args, migrations, statements, size, times, ours, theirs)
    finally:
        shutil.rmtree(work, ignore_errors=True)


def report(args, migrations, statements, size, times, ours, theirs):
    named = {m.name: m for m in migrations}
    ours_count = collections.Counter(f["rule"] for f in ours)
    squawk_count = collections.Counter()
    squawk_new = collections.Counter()
    other = collections.Counter()
    for f in theirs:
        rule = SQUAWK_RULES.get(f["rule_name"])
        if rule is None:
            other[f["rule_name"]] += 1
            continue
        squawk_count[rule] += 1
        statement = named[os.path.basename(os.path.dirname(f["file"]))].statement_at(f["line"] + 1)
        if statement is not None and statement.created_here:
            squawk_new[rule] += 1
    ratio_wall = statistics.median(times["squawk"][0]) / statistics.median(times["ours"][0])
    ratio_cpu = statistics.median(times["squawk"][1]) / max(statistics.median(times["ours"][1]), 1e-9)
    print(f"{len(migrations)} migrations, {statements} statements, {size / 1024:.0f} KiB of SQL; "
          f"{args.runs} runs each, interleaved, after one warm-up. squawk "
          f"{squawk_version(args.squawk)} (native binary).")
    print()
    print("| | lint-migrations | squawk | squawk ÷ lint-migrations |")
    print("| --- | --- | --- | --- |")
    print(f"| wall, median (min–max) | {spread(times['ours'][0])} | {spread(times['squawk'][0])} "
          f"| {ratio_wall:.2f}× |")
    print(f"| CPU, median (min–max) | {spread(times['ours'][1])} | {spread(times['squawk'][1])} "
          f"| {ratio_cpu:.2f}× |")
    print()
    print("| rule (ours; squawk's name in parentheses) | lint-migrations | squawk | "
          "squawk's on tables the migration created |")
    print("| --- | --- | --- | --- |")
    names = {v: k for k, v in SQUAWK_RULES.items()}
    rules = sorted(set(ours_count) | set(squawk_count), key=lambda r: (-ours_count[r], r))
    for rule in rules:
        label = rule if rule not in names or rule.startswith("(") else f"{rule} ({names[rule]})"
        print(f"| {label} | {ours_count[rule]} | {squawk_count[rule] or '—'} | "
              f"{squawk_new[rule] or '—'} |")
    print(f"| **total** | **{sum(ours_count.values())}** | **{sum(squawk_count.values())}** | "
          f"**{sum(squawk_new.values())}** |")
    print()
    print("squawk's other findings (style and robustness rules lint-migrations does not have): " +
          ", ".join(f"{rule} {count}" for rule, count in other.most_common()) + ".")
    print()
    print(f"ratio: wall {ratio_wall:.2f}x, cpu {ratio_cpu:.2f}x")


def squawk_version(binary):
    proc = subprocess.run([binary, "--version"], capture_output=True, text=True, check=False)
    return proc.stdout.strip().split()[-1] if proc.stdout.strip() else "?"


if __name__ == "__main__":
    main()
