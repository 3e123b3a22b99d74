"""The whole pipeline (detect → resolve → run → wait → logs) under faults, with
secrets, wrong clocks and AWS errors (issue "Reliability and security").

Every request goes through the local AWS's signature-checking proxy; the ECS
lifecycle layer counts tasks, so "exactly one task" is checked on the server
side, not trusted from our own logs.
"""
import os
import signal
import subprocess
import sys
import tempfile
import time
import unittest

import harness
import runner_output

sys.path.insert(0, os.path.join(harness.SOURCE_DIR, "tests", "aws_local"))
import demo  # noqa: E402  (the sample Prisma repository)

SECRET_ENV_VALUE = "env-override-secret-5b9e2c71"
DB_PASSWORD = "db-password-secret-a41f09"
DB_URL = "postgresql://migrator:%s@db.internal:5432/app" % DB_PASSWORD
SESSION_TOKEN = "session-token-secret-FQoGZXIvYXdzE-0c4d"


def log_lines(n, prefix="line"):
    return ["%s %05d \u00e9\t\u2713" % (prefix, i) for i in range(n)]


class PipelineTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.tmp = tempfile.TemporaryDirectory()
        cls.repo = demo.make_sample_repo(cls.tmp.name)

    @classmethod
    def tearDownClass(cls):
        cls.tmp.cleanup()

    def pipeline(self, aws, seeded, env, github_actions=False, extra_run=(), lines=None, verbose=False,
                 run_tool=harness.run_tool):
        """Runs the five tools like a workflow does, each through run_tool
        (test_valgrind's runs them under memcheck); returns their results."""
        v = ["-v"] if verbose else []
        results = {}
        results["detect"] = run_tool(
            "detect-schema-change", v + ["--repo", self.repo, "--base", "HEAD^", "--head", "HEAD"],
            env, github_actions=github_actions)
        self.assertEqual(results["detect"].returncode, 0, results["detect"].stderr)
        self.assertEqual(results["detect"].outputs["changed"], "true")
        results["resolve"] = run_tool(
            "resolve-network", v + ["--cluster", seeded["cluster"], "--service", seeded["service"]],
            env, github_actions=github_actions)
        self.assertEqual(results["resolve"].returncode, 0, results["resolve"].stderr)
        results["run"] = run_tool(
            "run-migration-task",
            v + ["--cluster", seeded["cluster"], "--service", seeded["service"],
                 "--command", "npx prisma migrate deploy"] + list(extra_run),
            env, github_actions=github_actions, timeout=300)
        self.assertEqual(results["run"].returncode, 0, results["run"].stderr)
        task = results["run"].outputs["task_arn"]
        results["wait"] = run_tool(
            "wait-task", v + ["--cluster", seeded["cluster"], "--task", task, "--timeout", "5m",
                              "--follow-logs"],
            env, github_actions=github_actions, timeout=400)
        results["logs"] = run_tool(
            "fetch-logs", v + ["--cluster", seeded["cluster"], "--task", task],
            env, github_actions=github_actions, timeout=300)
        return results

    def test_pipeline_succeeds_under_faults_with_exactly_one_task(self):
        with harness.LocalAws() as aws:
            seeded = aws.seed_service()
            lines = log_lines(300)
            aws.script_next_task(statuses=(("PROVISIONING", 0.5), ("PENDING", 0.5), ("RUNNING", 3.0)),
                                 log_lines={"app": lines})
            # Slow answers: the proxy holds the request for slow_seconds and
            # then lets the server act, long after the tool's attempt timed
            # out (ECSMIG_HTTP_TIMEOUT) and was retried.
            aws.set_faults(throttle=0.30, error_5xx=0.05, reset_before=0.01, reset_after=0.01,
                           malformed=0.01, slow=0.03, slow_seconds=4.0, seed=20261122)
            aws.inject("ecs:RunTask", [{"reset": "after"}])  # the server acts, the answer is lost
            # At least one slow answer per service, whatever the random draws.
            aws.inject("ecs:DescribeServices", [{"slow": 4.0}])
            aws.inject("logs:GetLogEvents", [{"slow": 4.0}])
            env = aws.env(ECSMIG_HTTP_TIMEOUT="2s")
            results = self.pipeline(aws, seeded, env)
            aws.clear_faults()
            self.assertEqual(results["wait"].returncode, 0, results["wait"].stderr[-3000:])
            self.assertEqual(results["wait"].outputs["result"], "success")
            self.assertEqual(results["logs"].returncode, 0, results["logs"].stderr[-3000:])
            printed = [l for l in results["logs"].stdout.split("\n") if l.startswith("line ")]
            self.assertEqual(printed, lines, "every log line once, in order")
            stats = aws.stats()
            self.assertGreaterEqual(stats["calls"].get("ecs:RunTask", 0), 2, "the lost answer was retried")
            self.assertEqual(len(aws.tasks()), 1, "exactly one task exists")
            self.assertEqual(stats["signature_failures"], 0)
            self.assertFalse(stats.get("model_violations"), stats.get("model_violations"))
            slow = [e for e in stats["requests_log"]
                    if (e.get("fault") or "").startswith(("slow", "scripted slow"))]
            self.assertGreaterEqual(len(slow), 2, "some answers were slower than the timeout")
            print("\nfaults: throttle 30%%, 5xx 5%%, resets 1%%+1%%, malformed 1%%, slow (4 s > 2 s "
                  "timeout) 3%%; requests %d (slow %d), reached server %d, tasks started %d" % (
                      sum(stats["requests"].values()), len(slow), sum(stats["calls"].values()),
                      len(aws.tasks())),
                  file=sys.stderr)

    def test_slow_run_task_answer_beyond_the_timeout_starts_one_task(self):
        with harness.LocalAws() as aws:
            seeded = aws.seed_service()
            aws.script_next_task(statuses=(("PENDING", 0.2), ("RUNNING", 0.5)))
            # The first RunTask is held 3 s, then reaches the server: by then
            # the tool gave up on it (1 s) and retried with the same token.
            aws.inject("ecs:RunTask", [{"slow": 3.0}])
            env = aws.env(ECSMIG_HTTP_TIMEOUT="1s")
            run = harness.run_tool("run-migration-task",
                                   ["--cluster", seeded["cluster"], "--service", seeded["service"],
                                    "--command", "npx prisma migrate deploy"], env)
            self.assertEqual(run.returncode, 0, run.stderr)
            time.sleep(3.0)  # Let the held request reach the server too.
            stats = aws.stats()
            self.assertEqual(stats["calls"].get("ecs:RunTask"), 2, stats["calls"])
            self.assertEqual(len(aws.tasks()), 1, "the late first attempt replayed the same task")
            self.assertEqual(aws.tasks()[0]["arn"], run.outputs["task_arn"])
            wait = harness.run_tool("wait-task", ["--cluster", seeded["cluster"],
                                                  "--task", run.outputs["task_arn"]], env)
            self.assertEqual(wait.returncode, 0, wait.stderr)

    def test_expired_temporary_credentials_mid_run_are_refreshed(self):
        with harness.LocalAws() as aws:
            seeded = aws.seed_service()
            token = os.path.join(self.tmp.name, "oidc-token")
            with open(token, "w") as f:
                f.write("eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiJyZXBvIn0.c2ln\n")
            env = aws.env(AWS_ACCESS_KEY_ID=None, AWS_SECRET_ACCESS_KEY=None,
                          AWS_WEB_IDENTITY_TOKEN_FILE=token,
                          AWS_ROLE_ARN="arn:aws:iam::123456789012:role/ci-deploy",
                          AWS_ROLE_SESSION_NAME="gha-run-1")
            lines = log_lines(200)
            aws.script_next_task(statuses=(("PENDING", 0.3), ("RUNNING", 5.0)),
                                 log_lines={"app": lines}, log_interval=0.02)
            run = harness.run_tool("run-migration-task",
                                   ["--cluster", seeded["cluster"], "--service", seeded["service"],
                                    "--command", "npx prisma migrate deploy"], env)
            self.assertEqual(run.returncode, 0, run.stderr)
            task = run.outputs["task_arn"]
            before = aws.stats()["calls"].get("sts:AssumeRoleWithWebIdentity", 0)
            wait = harness.start_tool("wait-task", ["--cluster", seeded["cluster"], "--task", task,
                                                    "--follow-logs"], env)
            aws.wait_for_task_status(task, "RUNNING", timeout=30)
            time.sleep(1.5)  # wait-task is polling ECS and Logs with its session.
            expired = aws.expire_credentials()
            self.assertTrue(expired)
            result = wait.wait(timeout=120)
            self.assertEqual(result.returncode, 0, result.stderr[-3000:])
            self.assertEqual(result.outputs["result"], "success")
            printed = [l for l in result.stdout.split("\n") if l.startswith("line ")]
            self.assertEqual(printed, lines, "every log line once, in order, across the refresh")
            stats = aws.stats()
            self.assertGreaterEqual(stats["expired_token_refusals"], 1, "the expiry was really seen")
            self.assertGreaterEqual(
                stats["calls"].get("sts:AssumeRoleWithWebIdentity", 0) - before, 2,
                "wait-task assumed the role again after the session expired")
            self.assertEqual(stats["signature_failures"], 0)

    def test_clock_twenty_minutes_off_is_corrected(self):
        with harness.LocalAws() as aws:
            seeded = aws.seed_service()
            aws.set_clock_offset(20 * 60)
            result = harness.run_tool("resolve-network", ["--cluster", seeded["cluster"],
                                                          "--service", seeded["service"]], aws.env())
            self.assertEqual(result.returncode, 0, result.stderr)
            self.assertEqual(result.outputs["subnets"], ",".join(seeded["subnets"]))
            self.assertGreaterEqual(aws.stats()["signature_failures"], 1, "the skew was really seen")

    def test_no_secret_reaches_any_output(self):
        with harness.LocalAws() as aws:
            seeded = aws.seed_service(environment={"DATABASE_URL": DB_URL})
            aws.add_credentials("ASIASECRETTEST", "secret-key-value-9f3b1c", SESSION_TOKEN)
            aws.script_next_task(log_lines={"app": [
                "connecting to " + DB_URL,
                "override is " + SECRET_ENV_VALUE,
                "done"]})
            env = aws.env(AWS_ACCESS_KEY_ID="ASIASECRETTEST", AWS_SECRET_ACCESS_KEY="secret-key-value-9f3b1c",
                          AWS_SESSION_TOKEN=SESSION_TOKEN)
            results = self.pipeline(aws, seeded, env, github_actions=True, verbose=True,
                                    extra_run=["--env", "MIGRATION_SECRET=" + SECRET_ENV_VALUE,
                                               "--env", "DATABASE_URL=" + DB_URL])
            self.assertEqual(results["wait"].returncode, 0, results["wait"].stderr[-2000:])
            secrets = ["secret-key-value-9f3b1c", SESSION_TOKEN, SECRET_ENV_VALUE, DB_PASSWORD]
            found = 0
            for step, result in results.items():
                streams = {"stdout": result.stdout, "GITHUB_OUTPUT": result.output_raw,
                           "GITHUB_STEP_SUMMARY": result.summary,
                           # ::add-mask:: lines are how a secret is announced to the runner.
                           "stderr": "\n".join(l for l in result.stderr.split("\n")
                                               if not l.startswith("::add-mask::"))}
                for name, text in streams.items():
                    for secret in secrets:
                        if secret in text:
                            found += 1
                            print("secret %r... in %s of %s" % (secret[:6], name, step), file=sys.stderr)
            self.assertEqual(found, 0)
            self.assertIn("connecting to postgresql://migrator:***@db.internal:5432/app", results["logs"].stdout)
            self.assertIn("::add-mask::" + SECRET_ENV_VALUE, results["run"].stderr)

    def test_aws_errors_are_one_line_exit_1_and_no_outputs(self):
        cases = [
            ("ecs:DescribeServices", 400, "AccessDeniedException",
             "User: arn:aws:sts::123456789012:assumed-role/ci is not authorized to perform: ecs:DescribeServices"),
            ("ecs:DescribeServices", 400, "ClusterNotFoundException", "Cluster not found."),
            ("ecs:DescribeServices", 400, "InvalidParameterException", "Invalid identifier"),
        ]
        with harness.LocalAws() as aws:
            seeded = aws.seed_service()
            for operation, status, code, message in cases:
                with self.subTest(code=code):
                    aws.inject(operation, [{"status": status, "code": code, "message": message}])
                    result = harness.run_tool("resolve-network", ["--cluster", seeded["cluster"],
                                                                  "--service", seeded["service"]], aws.env())
                    self.assertEqual(result.returncode, 1, result.stderr)
                    lines = [l for l in result.stderr.split("\n") if l]
                    self.assertEqual(len(lines), 1, result.stderr)
                    self.assertIn("DescribeServices", lines[0])
                    self.assertIn(code, lines[0])
                    self.assertIn(message, lines[0])
                    self.assertRegex(lines[0], r"request id [0-9A-Za-z-]+")
                    self.assertEqual(result.output_raw, "")
            with self.subTest(code="ServerException past the retry budget"):
                aws.inject("ecs:DescribeServices", [{"status": 500, "code": "ServerException",
                                                     "message": "internal"}] * 3)
                result = harness.run_tool("resolve-network", ["--cluster", seeded["cluster"],
                                                              "--service", seeded["service"]],
                                          aws.env(AWS_MAX_ATTEMPTS="3"))
                self.assertEqual(result.returncode, 1, result.stderr)
                self.assertIn("ServerException", result.stderr)
                self.assertEqual(result.output_raw, "")

    def test_sigint_during_wait_stops_the_task(self):
        self.check_signal_during_wait_stops_the_task(signal.SIGINT, 130)

    def test_sigterm_during_wait_stops_the_task(self):
        self.check_signal_during_wait_stops_the_task(signal.SIGTERM, 143)

    def test_sigterm_while_run_waits_for_another_migration_starts_nothing(self):
        with harness.LocalAws() as aws:
            seeded = aws.seed_service()
            aws.script_next_task(statuses=(("PENDING", 0.2), ("RUNNING", 600.0)))
            env = aws.env(GITHUB_RUN_ID="4243", GITHUB_REPOSITORY="acme/api")
            args = ["--cluster", seeded["cluster"], "--service", seeded["service"],
                    "--command", "sleep 600"]
            first = harness.run_tool("run-migration-task", args, env)
            self.assertEqual(first.returncode, 0, first.stderr)
            aws.reset_stats()
            second = harness.start_tool("run-migration-task",
                                        args + ["--client-token", "second-deploy"], env)
            deadline = time.time() + 30
            while not aws.stats()["calls"].get("ecs:ListTasks") and time.time() < deadline:
                time.sleep(0.1)
            time.sleep(1.0)  # Now in its wait for the first task to stop.
            second.send_signal(signal.SIGTERM)
            result = second.wait(timeout=60)
            self.assertEqual(result.returncode, 143, result.stderr)
            self.assertIn("nothing was started", result.stderr)
            self.assertEqual(result.output_raw, "")
            self.assertEqual(len(aws.tasks()), 1, "the cancelled run started no task")
            stop = harness.run_tool("wait-task", ["--cluster", seeded["cluster"], "--task",
                                                  first.outputs["task_arn"], "--timeout", "1s",
                                                  "--stop-on-timeout"], env)
            self.assertEqual(stop.returncode, 124, stop.stderr)

    def check_signal_during_wait_stops_the_task(self, sig, code):
        with harness.LocalAws() as aws:
            seeded = aws.seed_service()
            aws.script_next_task(statuses=(("PENDING", 0.2), ("RUNNING", 600.0)))
            env = aws.env(GITHUB_RUN_ID="4242", GITHUB_REPOSITORY="acme/api")
            run = harness.run_tool("run-migration-task", ["--cluster", seeded["cluster"],
                                                          "--service", seeded["service"],
                                                          "--command", "sleep 600"], env)
            self.assertEqual(run.returncode, 0, run.stderr)
            task = run.outputs["task_arn"]
            handle = harness.start_tool("wait-task", ["--cluster", seeded["cluster"], "--task", task,
                                                      "--stop-on-cancel"], env)
            aws.wait_for_task_status(task, "RUNNING", timeout=30)
            time.sleep(1.0)
            handle.send_signal(sig)
            result = handle.wait(timeout=60)
            self.assertEqual(result.returncode, code, result.stderr)
            self.assertEqual(result.outputs.get("result"), "cancelled")
            record = [t for t in aws.tasks() if t["arn"] == task][0]
            self.assertTrue(record["stopped_by_user"])
            self.assertIn("4242", record["stop_reason"])

    def test_concurrent_tools_never_interleave_records_in_one_output_file(self):
        output = os.path.join(self.tmp.name, "shared-output")
        open(output, "w").close()
        env = {"PATH": os.environ["PATH"], "HOME": self.tmp.name, "GITHUB_OUTPUT": output}
        for name in ("ASAN_OPTIONS", "UBSAN_OPTIONS"):
            if name in os.environ:
                env[name] = os.environ[name]
        procs = [subprocess.Popen([harness.tool_path("detect-schema-change"), "--repo", self.repo,
                                   "--base", "HEAD~1", "--head", "HEAD", "--preset", "none",
                                   "--paths", "**"], env=env, stdout=subprocess.DEVNULL,
                                  stderr=subprocess.DEVNULL) for _ in range(16)]
        for p in procs:
            self.assertEqual(p.wait(timeout=120), 0)
        pairs = runner_output.parse(open(output, encoding="utf-8").read())
        self.assertEqual(len(pairs) % 16, 0)
        per_run = len(pairs) // 16
        first = pairs[:per_run]
        for i in range(16):
            self.assertEqual(pairs[i * per_run:(i + 1) * per_run], first)


if __name__ == "__main__":
    unittest.main()
