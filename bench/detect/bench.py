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


def timed(argv, **kw):
    start = time.perf_counter()
    proc = subprocess.run(argv, stdout=subprocess.PIPE, stderr=subprocess.PIPE, **kw)
    elapsed = time.perf_counter() - start
    if proc.returncode not in (0, 4):
        sys.exit("command failed (%d): %s\n%s" % (proc.returncode, argv, proc.stderr.decode()))
    return elapsed, proc.stdout


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
    print("%-44s %10s %10s %7s %6s" % ("case", "tool (ms)", "git (ms)", "ratio", "files"))
    worst = 0.0
    for name, base, tip, patterns in cases:
        tool_argv = [tool, "--repo", repo, "--base", base, "--head", tip, "--preset", "none",
                     "--output", out_path, "-q", "--allow-migration-edits"]
        for p in patterns:
            tool_argv += ["--paths", p]
        git_argv = git + ["diff", "--no-renames", "--name-only", "-z", base, tip, "--"] + \
            [":(glob)" + p for p in patterns]
        tool_times, git_times = [], []
        for _ in range(runs):
            open(out_path, "w").close()
            t, _ = timed(tool_argv)
            tool_times.append(t)
            t, git_out = timed(git_argv)
            git_times.append(t)
        with open(out_path) as f:
            text = f.read()
        # files_json is a single line (JSON escapes newlines).
        tool_files = json.loads(text.split("files_json=", 1)[1].split("\n", 1)[0])
        git_files = sorted(p.decode() for p in git_out.split(b"\0") if p)
        if tool_files != git_files:
            sys.exit("MISMATCH in %s: tool %d files, git %d files" % (name, len(tool_files),
                                                                     len(git_files)))
        tm, gm = statistics.median(tool_times), statistics.median(git_times)
        worst = max(worst, tm / gm)
        print("%-44s %10.1f %10.1f %6.2fx %6d" % (name, tm * 1000, gm * 1000, tm / gm,
                                                   len(tool_files)))
    os.remove(out_path)
    print("worst ratio: %.2fx (target <= 1.00x)" % worst)


if __name__ == "__main__":
    main()
