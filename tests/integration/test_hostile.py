"""Hostile names and answers, and a step summary that cannot be written (#15
items 1 and 6; CONTRACT.md, Conventions: "Outputs", "Logs").

Every tool runs with GITHUB_ACTIONS=true and its standard error is read with
the runner's own rules (runner_output.workflow_commands): text from outside
the tool (a committed file's name, a field of an AWS answer, a task's log
line) must never be executed as a workflow command. The AWS answers are made
hostile by the proxy's "rewrite" fault (tests/aws_local/faults.py), which
changes one field of a real answer.
"""

import json
import os
import shutil
import subprocess
import tempfile
import unittest

import harness
from local_git import git
import runner_output
import service_task

CLUSTER = "hostile-cluster"
INJECTED = "INJECTED"


def run_plain(tool, args, env):
    """Runs the tool as is (harness.run_tool would read the summary, here a
    directory); returns (returncode, stderr text, outputs dict)."""
    proc = subprocess.run([harness.tool_path(tool)] + list(args), env=env, capture_output=True,
                          timeout=120)
    with open(env["GITHUB_OUTPUT"]) as f:
        outputs = runner_output.parse_dict(f.read())
    return proc.returncode, proc.stderr.decode("utf-8", "replace"), outputs


def injected_commands(text):
    """The commands a hostile value would have run: any whose data is ours."""
    return [c for c in runner_output.workflow_commands(text) if c[1].startswith(INJECTED)]


class DetectSchemaChangeHostileTest(unittest.TestCase):

    @classmethod
    def setUpClass(cls):
        cls.tmp = tempfile.TemporaryDirectory()
        repo = os.path.join(cls.tmp.name, "repo")
        os.mkdir(repo)
        git(repo, "init", "-q")
        git(repo, "commit", "-q", "--allow-empty", "-m", "root")
        cls.names = ["prisma/migrations/x\n::warning::" + INJECTED + "\ny/migration.sql",
                     "prisma/migrations/z\r::error::" + INJECTED + "/migration.sql",
                     "prisma/migrations/w##[warning]" + INJECTED + "/migration.sql"]
        for name in cls.names:
            path = os.path.join(repo, name)
            os.makedirs(os.path.dirname(path), exist_ok=True)
            with open(path, "w") as f:
                f.write("SELECT 1;\n")
        git(repo, "add", "-A")
        git(repo, "commit", "-q", "-m", "hostile names")
        cls.repo = repo

    @classmethod
    def tearDownClass(cls):
        cls.tmp.cleanup()

    def detect(self, env=None, extra=()):
        env = dict(env or {"PATH": os.environ.get("PATH", "/usr/bin:/bin")})
        return harness.run_tool("detect-schema-change",
                                ["--repo", self.repo, "--base", "HEAD^", "--head", "HEAD",
                                 "-v", *extra], env, github_actions=True)

    def test_file_names_are_never_workflow_commands(self):
        r = self.detect()
        self.assertEqual(r.returncode, 0, r)
        self.assertEqual(injected_commands(r.stderr), [], r.stderr)
        self.assertIn("x\\n::warning::" + INJECTED, r.stderr)  # logged, escaped
        # The names are still reported exactly, in the outputs.
        self.assertEqual(sorted(json.loads(r.outputs["files_json"])), sorted(self.names))

    def test_an_unwritable_summary_keeps_exit_0_and_the_outputs(self):
        with tempfile.TemporaryDirectory() as scratch:
            env = {"PATH": os.environ.get("PATH", "/usr/bin:/bin"),
                   "GITHUB_STEP_SUMMARY": scratch,
                   "GITHUB_OUTPUT": os.path.join(scratch, "output")}
            code, stderr, outputs = run_plain(
                "detect-schema-change", ["--repo", self.repo, "--base", "HEAD^", "--head", "HEAD"],
                env)
        self.assertEqual(code, 0, stderr)
        self.assertEqual(outputs["changed"], "true")
        self.assertIn("could not write the step summary", stderr)


class EcsHostileTest(service_task.ServiceTaskTestCase):

    cluster = CLUSTER
    started_by = "hostile"

    def tearDown(self):
        for task in self.aws.tasks():
            if task["desiredStatus"] != "STOPPED":
                self.ecs.stop_task(cluster=CLUSTER, task=task["arn"], reason="test cleanup")
        super().tearDown()

    def run_migration(self, extra=(), env=None):
        return harness.run_tool(
            "run-migration-task",
            ["--cluster", CLUSTER, "--service", "api", "--command", "echo migrate",
             "--started-by", "hostile-run", "--if-running", "ignore", *extra],
            env or self.aws.env(), github_actions=True)

    # -- #15 item 6: hostile answers -------------------------------------------------

    def test_run_migration_task_with_a_hostile_task_arn_and_status(self):
        for field, value in (("tasks.0.taskArn", "\n::warning::" + INJECTED),
                             ("tasks.0.lastStatus", "PROVISIONING\r::error::" + INJECTED)):
            with self.subTest(field=field):
                self.aws.inject("ecs:RunTask", [{"rewrite": {field: value}}])
                if field.endswith("taskArn"):
                    # The real ARN, then the hostile tail: as a shape check
                    # would see it, and as a log line would print it.
                    arn = ("arn:aws:ecs:us-east-1:123456789012:task/" + CLUSTER +
                           "/0123456789abcdef0123456789abcdef")
                    self.aws.clear_faults()
                    self.aws.inject("ecs:RunTask", [{"rewrite": {field: arn + value}}])
                r = self.run_migration()
                self.assertIn(r.returncode, (0, 1), r)
                self.assertEqual(injected_commands(r.stderr), [], r.stderr)
                if field.endswith("taskArn"):  # logged (escaped or refused by its shape)
                    self.assertIn(INJECTED, r.stderr)

    def test_wait_task_with_a_hostile_status(self):
        arn = self.start_task(statuses=(("RUNNING", 0.5),))
        self.aws.inject("ecs:DescribeTasks",
                        [{"rewrite": {"tasks.0.lastStatus": "RUNNING\n::warning::" + INJECTED}}])
        r = self.wait(arn, github_actions=True)
        self.assertEqual(injected_commands(r.stderr), [], r.stderr)
        # (wait-task refuses a status ECS does not document, without echoing it.)
        self.assertIn(r.returncode, (0, 1), r)

    def test_wait_task_with_a_hostile_task_arn(self):
        arn = self.start_task(statuses=(("RUNNING", 0.5),))
        hostile = arn + "\n::warning::" + INJECTED
        self.aws.inject("ecs:DescribeTasks",
                        [{"rewrite": {"tasks.0.taskArn": hostile}}] * 3)
        r = self.wait(arn, github_actions=True)
        self.assertEqual(injected_commands(r.stderr), [], r.stderr)

    # -- #15 item 1: a step summary that cannot be written ------------------------------

    def summary_is_a_directory(self):
        scratch = tempfile.mkdtemp(prefix="ecsmig-hostile-")
        self.addCleanup(shutil.rmtree, scratch, True)
        output = os.path.join(scratch, "output")
        open(output, "w").close()
        return self.aws.env(GITHUB_STEP_SUMMARY=scratch, GITHUB_OUTPUT=output)

    def test_run_migration_task_keeps_task_arn_when_the_summary_fails_even_quiet(self):
        code, stderr, outputs = run_plain(
            "run-migration-task",
            ["--cluster", CLUSTER, "--service", "api", "--command", "echo migrate",
             "--started-by", "hostile-quiet", "-q"], self.summary_is_a_directory())
        self.assertEqual(code, 0, stderr)
        self.assertIn(":task/" + CLUSTER + "/", outputs.get("task_arn", ""), outputs)
        started = [t["arn"] for t in self.aws.tasks() if t["started_by"] == "hostile-quiet"]
        self.assertEqual(started, [outputs["task_arn"]])

    def test_wait_task_keeps_success_and_125_when_the_summary_fails(self):
        for script, code, result in (
                ({"statuses": (("RUNNING", 0.3),)}, 0, "success"),
                ({"statuses": (("PROVISIONING", 0.3), ("PENDING", 0.3)),
                  "fail_to_start": True}, 125, "infra-failure")):
            with self.subTest(result=result):
                arn = self.start_task(**script)
                returncode, stderr, outputs = run_plain(
                    "wait-task", self.wait_args(arn), self.summary_is_a_directory())
                self.assertEqual(returncode, code, stderr)
                self.assertEqual(outputs.get("result"), result, outputs)
                self.assertIn("could not write the step summary", stderr)


class FetchLogsHostileTest(harness.LocalAwsTestCase):

    def test_log_lines_starting_with_commands_are_never_executed(self):
        lines = ["::warning::" + INJECTED, "##[error]" + INJECTED, "  ::add-mask::" + INJECTED,
                 "ok\r::error::" + INJECTED, "::stop-commands::" + INJECTED,
                 "::warning::" + INJECTED + " after a stop of our own"]
        self.aws.put_log_events("/ecs/hostile", "s", lines)
        r = harness.run_tool("fetch-logs", ["--log-group", "/ecs/hostile", "--log-stream", "s"],
                             self.aws.env(), github_actions=True)
        self.assertEqual(r.returncode, 0, r)
        self.assertEqual(injected_commands(r.stdout + r.stderr), [], r.stdout)
        self.assertEqual(injected_commands(r.stdout), [], r.stdout)
        self.assertIn("::warning::" + INJECTED, r.stdout)  # printed, as it was logged


if __name__ == "__main__":
    unittest.main()
