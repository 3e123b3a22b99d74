"""Every tool under valgrind's memcheck (issue #8): the happy pipeline against
the local AWS, a bad flag for each tool, an AWS error and a failed migration.

The sanitizer build (ECSMIG_BIN_DIR) cannot run under valgrind, so the tools
come from a build of their own, ECSMIG_VALGRIND_BIN_DIR (scripts/test builds
it: -O0, DWARF 4, no sanitizers); without it the module is skipped. Each run
must end with the tool's own exit code, and memcheck must report no error:
no invalid access, no uninitialised value used, nothing definitely or
indirectly lost (still reachable blocks, e.g. libstdc++'s emergency pool, are
not leaks). No suppressions: none was needed.
"""
import os
import re
import shutil
import sys
import tempfile
import unittest

import harness
import test_pipeline

sys.path.insert(0, os.path.join(harness.SOURCE_DIR, "tests", "aws_local"))
import demo  # noqa: E402  (the sample Prisma repository, made with git)

VALGRIND_BIN_DIR = os.environ.get("ECSMIG_VALGRIND_BIN_DIR")
# 99 is no exit code of any tool: it means memcheck found errors.
MEMCHECK_EXIT = 99
MEMCHECK = ["valgrind", "--tool=memcheck", "--leak-check=full",
            "--errors-for-leak-kinds=definite,indirect",
            f"--error-exitcode={MEMCHECK_EXIT}", "--track-origins=yes",
            "--num-callers=40"]
# Memcheck runs a tool 20-50 times slower, and ctest runs other tests beside
# this one on the same two cores.
TOOL_TIMEOUT = 600

LEAK_LINE = re.compile(r"==\d+==\s+(definitely lost|indirectly lost|possibly lost|still reachable): "
                       r"([\d,]+) bytes in ([\d,]+) blocks")
ERROR_SUMMARY = re.compile(r"==\d+== ERROR SUMMARY: (\d+) errors from (\d+) contexts")


def memcheck_report(stderr):
    """Memcheck's own lines (==pid== ...) of a run's stderr."""
    return "\n".join(line for line in stderr.split("\n") if re.match(r"==\d+==", line))


@unittest.skipUnless(VALGRIND_BIN_DIR, "ECSMIG_VALGRIND_BIN_DIR is not set (scripts/test sets it)")
class ValgrindTest(harness.LocalAwsTestCase):
    # The happy path, as test_pipeline runs it, but through self.memcheck.
    pipeline = test_pipeline.PipelineTest.pipeline

    runs = []  # every run's figures, for the summary

    @classmethod
    def setUpClass(cls):
        if not shutil.which("valgrind"):
            raise AssertionError("valgrind is not installed (scripts/install-deps --valgrind)")
        super().setUpClass()
        cls.tmp = tempfile.TemporaryDirectory()
        cls.repo = demo.make_sample_repo(cls.tmp.name)
        cls.seeded = cls.aws.seed_service()

    @classmethod
    def tearDownClass(cls):
        cls.tmp.cleanup()
        super().tearDownClass()
        if cls.runs:
            print(f"\nmemcheck: {len(cls.runs)} tool processes", file=sys.stderr)
            for run in cls.runs:
                print("  {tool:22} {case:18} exit {code:3} {seconds:6.1f} s  errors {errors}  "
                      "lost {lost} B  possibly {possibly} B  reachable {reachable} B".format(**run),
                      file=sys.stderr)

    def memcheck(self, name, args, env, timeout=None, **options):
        """harness.run_tool under memcheck (timeout is ours, not the
        caller's); fails unless memcheck ran the tool and found nothing."""
        del timeout
        result = harness.run_tool(name, args, env, timeout=TOOL_TIMEOUT, wrapper=MEMCHECK,
                                  bin_dir=VALGRIND_BIN_DIR, **options)
        report = memcheck_report(result.stderr)
        message = f"{name} {' '.join(map(str, args))} under memcheck:\n{report[-8000:]}"
        summaries = ERROR_SUMMARY.findall(result.stderr)
        self.assertEqual(len(summaries), 1, "memcheck ran the tool once\n" + message)
        self.assertNotEqual(result.returncode, MEMCHECK_EXIT, message)
        self.assertIn("ERROR SUMMARY: 0 errors from 0 contexts", result.stderr, message)
        leaks = {kind: int(size.replace(",", "")) for kind, size, _ in LEAK_LINE.findall(result.stderr)}
        if not leaks:
            # Nothing in use at exit: memcheck prints no leak summary at all.
            self.assertIn("All heap blocks were freed -- no leaks are possible", result.stderr, message)
        self.assertEqual(leaks.get("definitely lost", 0), 0, message)
        self.assertEqual(leaks.get("indirectly lost", 0), 0, message)
        self.runs.append({"tool": name, "case": self._testMethodName.removeprefix("test_"),
                          "code": result.returncode, "seconds": result.duration,
                          "errors": int(summaries[0][0]),
                          "lost": leaks.get("definitely lost", 0) + leaks.get("indirectly lost", 0),
                          "possibly": leaks.get("possibly lost", 0),
                          "reachable": leaks.get("still reachable", 0)})
        return result

    def expect(self, code, name, args, env):
        """A memcheck run that must end with exit code code."""
        result = self.memcheck(name, args, env)
        self.assertEqual(result.returncode, code, f"{name}: {result.stderr[-4000:]}")
        return result

    def test_pipeline(self):
        lines = test_pipeline.log_lines(50)
        # Stopped before wait-task's first poll: the layer's statuses pass in
        # well under the time one tool takes to start under memcheck.
        self.aws.script_next_task(statuses=(("PENDING", 0.2), ("RUNNING", 0.5)),
                                  log_lines={"app": lines})
        env = self.aws.env(GITHUB_RUN_ID="8001", GITHUB_REPOSITORY="acme/api")
        results = self.pipeline(self.aws, self.seeded, env, github_actions=True, verbose=True,
                                run_tool=self.memcheck)
        self.assertEqual(results["wait"].returncode, 0, results["wait"].stderr[-4000:])
        self.assertEqual(results["wait"].outputs["result"], "success")
        self.assertEqual(results["logs"].returncode, 0, results["logs"].stderr[-4000:])
        for step in ("wait", "logs"):
            printed = [l for l in results[step].stdout.split("\n") if l.startswith("line ")]
            self.assertEqual(printed, lines, f"{step}: every log line once, in order")

    def test_bad_flag(self):
        for tool in harness.TOOLS:
            with self.subTest(tool=tool):
                self.expect(2, tool, ["--no-such-flag"], self.aws.env())

    def test_access_denied(self):
        self.aws.inject("ecs:DescribeServices", [{
            "status": 400, "code": "AccessDeniedException",
            "message": "User: arn:aws:sts::123456789012:assumed-role/ci is not authorized "
                       "to perform: ecs:DescribeServices"}])
        result = self.expect(1, "resolve-network", ["--cluster", self.seeded["cluster"],
                                                    "--service", self.seeded["service"]],
                             self.aws.env())
        self.assertIn("AccessDeniedException", result.stderr)

    def test_failed_migration(self):
        self.aws.script_next_task(statuses=(("RUNNING", 0.5),), exit_codes={"app": 3})
        env = self.aws.env(GITHUB_RUN_ID="8002", GITHUB_REPOSITORY="acme/api")
        run = self.expect(0, "run-migration-task", ["--cluster", self.seeded["cluster"],
                                                    "--service", self.seeded["service"],
                                                    "--command", "npx prisma migrate deploy"], env)
        wait = self.expect(3, "wait-task", ["--cluster", self.seeded["cluster"],
                                            "--task", run.outputs["task_arn"], "--follow-logs"], env)
        self.assertEqual(wait.outputs["result"], "failed")
        self.assertEqual(wait.outputs["exit_code"], "3")


if __name__ == "__main__":
    unittest.main()
