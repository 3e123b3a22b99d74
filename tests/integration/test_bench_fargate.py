"""bench/wait/fargate.py and its RESULTS.md section, as bench/run drives them
(#14): the wait step and the run -> wait -> logs pipeline on a scaled-down
Fargate timeline, ecsmig alone (the peers, the aws CLI and the Node SDK, are
not on a CI machine; bench/run measures them). Checks that the benchmark
runs the built tools end to end, that report.py writes its section with a
table whose figures parse and are consistent with each other, and that a
failing tool fails the benchmark. No figure is compared with a time.
"""

import json
import os
import re
import shutil
import stat
import subprocess
import sys
import tempfile
import unittest

import harness

FARGATE = os.path.join(harness.SOURCE_DIR, "bench", "wait", "fargate.py")
REPORT = os.path.join(harness.SOURCE_DIR, "bench", "pipeline", "report.py")
SECTION = "## On a Fargate-like timeline: the wait step and the whole pipeline (#14)"
# One lifetime, the stop sequence at a tenth: seconds, not minutes.
SMALL = ["--tasks", "1", "--lifetime-min", "0.5", "--lifetime-max", "1", "--scale", "0.1",
         "--log-lines", "20", "--tools", "ecsmig"]


def run_fargate(bin_dir, scratch, *extra):
    return subprocess.run(
        [sys.executable, FARGATE, "--bin-dir", bin_dir, "--node-dir", scratch,
         "--json", os.path.join(scratch, "fargate.json"), *extra],
        capture_output=True, text=True, timeout=300)


class BenchFargateTest(unittest.TestCase):
    def setUp(self):
        for tool in ("run-migration-task", "wait-task", "fetch-logs"):
            harness.tool_path(tool)
        self.scratch = tempfile.mkdtemp(prefix="bench-fargate-")
        self.addCleanup(shutil.rmtree, self.scratch, ignore_errors=True)

    def test_section_written_with_consistent_figures(self):
        proc = run_fargate(harness.BIN_DIR, self.scratch, *SMALL)
        self.assertEqual(proc.returncode, 0, proc.stderr[-3000:])
        with open(os.path.join(self.scratch, "fargate.json")) as f:
            result = json.load(f)
        self.assertEqual(list(result["wait"]["waiters"]), ["ecsmig"])
        self.assertEqual(list(result["pipeline"]["pipelines"]), ["ecsmig"])
        self.assertEqual(result["signature_failures"], 0)
        self.assertEqual(result["model_violations"], 0)

        with open(os.path.join(self.scratch, "machine.txt"), "w") as f:
            f.write("quick=1\nnproc=2\n")
        results_md = os.path.join(self.scratch, "RESULTS.md")
        report = subprocess.run(
            [sys.executable, REPORT, self.scratch, results_md,
             os.path.join(self.scratch, "plot.png")], capture_output=True, text=True,
            timeout=60)
        self.assertEqual(report.returncode, 0, report.stderr)
        with open(results_md) as f:
            text = f.read()
        self.assertIn(SECTION, text)
        section = text.split(SECTION, 1)[1].split("\n## ", 1)[0]
        header = next(line for line in section.splitlines() if line.startswith("| tool |"))
        row = next(line for line in section.splitlines() if line.startswith("| ecsmig |"))
        names = [c.strip() for c in header.strip("|").split("|")]
        cells = [c.strip() for c in row.strip("|").split("|")][1:]
        self.assertEqual(len(cells), len(names) - 1, row)
        figures = dict(zip(names[1:], (float(c.rstrip("×")) for c in cells)))

        p50 = figures["wait: exit after the container's exit, p50 s"]
        self.assertGreater(p50, 0)  # no waiter knows the result before the exit
        self.assertLessEqual(p50, figures["max s"])
        self.assertGreaterEqual(figures["DescribeTasks per task (median)"], 1)
        after_exit = figures["pipeline exit after the container's exit s (median)"]
        self.assertGreater(after_exit, 0)
        self.assertGreater(figures["pipeline wall s (median)"], after_exit)
        self.assertEqual(figures["pipeline wall ÷ ecsmig's"], 1.0)
        self.assertGreaterEqual(figures["DescribeTasks per pipeline (median)"], 1)
        # Scaled down: the targets are not judged on it.
        self.assertNotIn("Fargate timeline: wait-task exits", text)

    def test_a_failing_tool_fails_the_benchmark(self):
        bin_dir = os.path.join(self.scratch, "bin")
        os.mkdir(bin_dir)
        for tool in ("run-migration-task", "fetch-logs"):
            os.symlink(harness.tool_path(tool), os.path.join(bin_dir, tool))
        stub = os.path.join(bin_dir, "wait-task")
        with open(stub, "w") as f:
            f.write("#!/bin/sh\necho 'wait-task: broken on purpose' >&2\nexit 3\n")
        os.chmod(stub, os.stat(stub).st_mode | stat.S_IXUSR)
        proc = run_fargate(bin_dir, self.scratch, *SMALL)
        self.assertNotEqual(proc.returncode, 0)
        self.assertRegex(proc.stderr, re.compile(r"ecsmig exited 3:.*broken on purpose", re.S))
        self.assertFalse(os.path.exists(os.path.join(self.scratch, "fargate.json")))

    def test_tools_without_ecsmig_is_a_usage_error(self):
        proc = run_fargate(harness.BIN_DIR, self.scratch, "--tools", "aws-cli")
        self.assertEqual(proc.returncode, 2)
        self.assertIn("--tools", proc.stderr)


if __name__ == "__main__":
    unittest.main()
