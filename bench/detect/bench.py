#!/usr/bin/env python3
"""Times detect-schema-change against `git diff --no-renames --name-only` on
the same ranges and `:(glob)` patterns, and checks that both list the same
files. Usage: bench.py REPO TOOL [RUNS]"""
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time


def timed(argv):
    """Runs argv; returns (wall seconds, CPU seconds (user+sys), stdout)."""
    with tempfile.TemporaryFile() as out, tempfile.TemporaryFile() as err:
        start = time.perf_counter()
        proc = subprocess.Popen(argv, stdout=out, stderr=err)
        _, status, usage = os.wait4(proc.pid, 0)
        elapsed = time.perf_counter() - start
        proc.returncode = os.waitstatus_to_exitcode(status)
        out.seek(0)
        err.seek(0)
        if proc.returncode not in (0, 4):
            sys.exit("command failed (%d): %s\n%s" % (proc.returncode, argv, err.read().decode()))
        return elapsed, usage.ru_utime + usage.ru_stime, out.read()


def main():
    repo, tool = sys.argv[1], sys.argv[2]
    runs = int(sys.argv[3]) if len(sys.argv) > 3 else 5
    git = ["git", "-C", repo]
    head = subprocess.check_output(git + ["rev-parse", "HEAD"]).decode().strip()
    root = subprocess.check_output(git + ["rev-list", "--max-parents=0", "HEAD"]).decode().split()[0]
    count = int(subprocess.check_output(git + ["rev-list", "--count", "HEAD"]).decode())
    files = int(subprocess.check_output(
        "git -C %s ls-tree -r HEAD | wc -l" % repo, shell=True).decode())
    # The long range starts at the second commit: `count - 1` commits later.
    second = subprocess.check_output(git + ["rev-list", "--reverse", "HEAD"]).decode().split()[1]
    print("repository: %d files, %d commits; median of %d runs" % (files, count, runs))
    prisma = ["**/schema.prisma", "**/prisma/schema/**/*.prisma", "**/migrations/**"]
    no_match = ["docs/**/*.md", "nowhere/*.sql"]
    everything_ts = ["services/**/*.ts"]
    cases = [
        ("short range (1 commit), prisma preset", head + "~1", head, prisma),
        ("long range (%d commits), prisma preset" % (count - 2), second, head, prisma),
        ("long range, no-match patterns", second, head, no_match),
        ("long range, services/**/*.ts", second, head, everything_ts),
        ("short range, no-match patterns", head + "~1", head, no_match),
    ]
    out_fd, out_path = tempfile.mkstemp()
    os.close(out_fd)
    print("wall = elapsed time, cpu = user+sys (steadier on a busy machine)")
    print("%-44s %9s %9s %6s %9s %9s %6s %6s" % ("case", "tool wall", "git wall", "ratio",
                                                 "tool cpu", "git cpu", "ratio", "files"))
    worst = worst_cpu = 0.0
    for name, base, tip, patterns in cases:
        tool_argv = [tool, "--repo", repo, "--base", base, "--head", tip, "--preset", "none",
                     "--output", out_path, "-q", "--allow-migration-edits"]
        for p in patterns:
            tool_argv += ["--paths", p]
        git_argv = git + ["diff", "--no-renames", "--name-only", "-z", base, tip, "--"] + \
            [":(glob)" + p for p in patterns]
        tool_times, git_times, tool_cpu, git_cpu = [], [], [], []
        for _ in range(runs):
            open(out_path, "w").close()
            t, c, _ = timed(tool_argv)
            tool_times.append(t)
            tool_cpu.append(c)
            t, c, git_out = timed(git_argv)
            git_times.append(t)
            git_cpu.append(c)
        with open(out_path) as f:
            text = f.read()
        # files_json is a single line (JSON escapes newlines).
        tool_files = json.loads(text.split("files_json=", 1)[1].split("\n", 1)[0])
        git_files = sorted(p.decode() for p in git_out.split(b"\0") if p)
        if tool_files != git_files:
            sys.exit("MISMATCH in %s: tool %d files, git %d files" % (name, len(tool_files),
                                                                     len(git_files)))
        tm, gm = statistics.median(tool_times), statistics.median(git_times)
        tc, gc = statistics.median(tool_cpu), statistics.median(git_cpu)
        worst = max(worst, tm / gm)
        worst_cpu = max(worst_cpu, tc / max(gc, 1e-6))
        print("%-44s %9.1f %9.1f %5.2fx %9.1f %9.1f %5.2fx %6d" % (
            name, tm * 1000, gm * 1000, tm / gm, tc * 1000, gc * 1000, tc / max(gc, 1e-6),
            len(tool_files)))
    os.remove(out_path)
    print("worst ratio: wall %.2fx, cpu %.2fx (target <= 1.00x)" % (worst, worst_cpu))


if __name__ == "__main__":
    main()
