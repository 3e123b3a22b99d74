"""fetch-logs against the local AWS (moto behind the checking proxy).

Every test goes through the proxy, so signatures are checked and GetLogEvents
calls are counted where they reach moto. Note on sizes: real CloudWatch Logs
caps an event at 256 KB (262,144 bytes including 26 bytes of overhead) and a
GetLogEvents answer at 1 MB; moto 5.2.1 caps neither, so the long-message
test uses a message just under the real limit.
"""

import os
import shutil
import signal
import subprocess
import tempfile
import time
import unittest

import harness

GROUP = "/ecs/api"


def lines_of(text):
    """Lines as the tool wrote them: split on LF only (CR stays inside)."""
    if not text:
        return []
    assert text.endswith("\n"), repr(text[-200:])
    return text[:-1].split("\n")


class FetchLogsTest(harness.LocalAwsTestCase):

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.seeded = cls.aws.seed_service(
            containers=[{"name": "app", "command": ["npx", "prisma", "migrate", "deploy"]}])

    def fetch(self, args, **kwargs):
        return harness.run_tool("fetch-logs", args, self.aws.env(), **kwargs)

    def get_calls(self):
        return self.aws.stats()["calls"].get("logs:GetLogEvents", 0)

    def run_task(self):
        arn = self.aws.run_service_task(self.seeded)["taskArn"]
        return arn, arn.rsplit("/", 1)[1]

    # -- pagination --------------------------------------------------------------

    def test_many_pages_printed_exactly_once_in_order(self):
        messages = [f"event {i:06d} " + "x" * (i % 50) for i in range(25500)]
        self.aws.put_log_events("/ecs/bulk", "many-pages", messages)
        self.aws.reset_stats()
        result = self.fetch(["--log-group", "/ecs/bulk", "--log-stream", "many-pages"])
        self.assertEqual(result.returncode, 0, result)
        self.assertEqual(lines_of(result.stdout), messages)
        self.assertEqual(result.outputs["events"], "25500")
        self.assertEqual(result.outputs["log_group"], "/ecs/bulk")
        self.assertEqual(result.outputs["log_stream"], "many-pages")
        self.assertIn("#logsV2:log-groups/log-group/", result.outputs["console_url"])
        # ceil(25500 / 10000) + 1: the last call proves the token is stable.
        self.assertEqual(self.get_calls(), 4)

    def test_throttling_on_a_third_of_calls_loses_and_repeats_nothing(self):
        messages = [f"throttled {i}" for i in range(25000)]
        self.aws.put_log_events("/ecs/bulk", "throttled", messages)
        self.aws.reset_stats()
        self.aws.set_faults(throttle=0.33, operations=["logs:GetLogEvents"], seed=3)
        result = self.fetch(["--log-group", "/ecs/bulk", "--log-stream", "throttled"],
                            timeout=300)
        self.assertEqual(result.returncode, 0, result)
        self.assertEqual(lines_of(result.stdout), messages)
        stats = self.aws.stats()
        self.assertGreater(stats["requests"]["logs:GetLogEvents"],
                           stats["calls"]["logs:GetLogEvents"])

    # -- streams that are late or never come ------------------------------------------

    def create_group(self, group):
        logs = self.aws.client("logs")
        try:
            logs.create_log_group(logGroupName=group)
        except logs.exceptions.ResourceAlreadyExistsException:
            pass

    def test_stream_created_late_is_waited_for(self):
        self.create_group("/ecs/late")
        proc = harness.start_tool("fetch-logs", ["--log-group", "/ecs/late", "--log-stream",
                                                 "late-stream", "--stream-timeout", "60s"],
                                  self.aws.env())
        time.sleep(2.5)
        self.assertIsNone(proc.proc.poll(), "fetch-logs did not wait for the stream")
        self.aws.put_log_events("/ecs/late", "late-stream", ["finally", "here"])
        result = proc.wait(timeout=60)
        self.assertEqual(result.returncode, 0, result)
        self.assertEqual(lines_of(result.stdout), ["finally", "here"])
        self.assertIn("waiting for log stream late-stream", result.stderr)

    def test_stream_that_never_appears_fails_after_the_timeout(self):
        self.create_group("/ecs/none")
        started = time.time()
        result = self.fetch(["--log-group", "/ecs/none", "--log-stream", "nope",
                             "--stream-timeout", "3s"])
        self.assertEqual(result.returncode, 1, result)
        self.assertIn("did not appear", result.stderr)
        self.assertGreaterEqual(time.time() - started, 3)

    def test_group_that_does_not_exist_fails_at_once(self):
        # #15 item 14: no task will create it, so no stream timeout to wait.
        result = self.fetch(["--log-group", "/ecs/no-such-group", "--log-stream", "s",
                             "--stream-timeout", "60s"])
        self.assertEqual(result.returncode, 1, result)
        self.assertIn("log group /ecs/no-such-group does not exist in region us-east-1",
                      result.stderr)
        self.assertLess(result.duration, 30)
        self.assertEqual(self.get_calls(), 0)

    # -- #15 item 4: the outputs file is not a log file -------------------------------

    def test_output_file_naming_the_outputs_file_is_refused_by_any_name(self):
        self.aws.put_log_events("/ecs/attack", "s", ["task_arn=attacker"])
        scratch = tempfile.mkdtemp(prefix="ecsmig-outputs-")
        self.addCleanup(shutil.rmtree, scratch, True)
        outputs = os.path.join(scratch, "github_output")
        open(outputs, "w").close()
        os.symlink(outputs, os.path.join(scratch, "symlink"))
        os.link(outputs, os.path.join(scratch, "hardlink"))
        names = [outputs, os.path.join(scratch, "symlink"), os.path.join(scratch, "hardlink"),
                 os.path.join(scratch, ".", "sub", "..", "github_output")]
        os.mkdir(os.path.join(scratch, "sub"))
        self.aws.reset_stats()
        for name in names + ["github_output"]:
            with self.subTest(name=name):
                argv = [harness.tool_path("fetch-logs"), "--log-group", "/ecs/attack",
                        "--log-stream", "s", "--output-file", name]
                proc = subprocess.run(argv, env=self.aws.env(GITHUB_OUTPUT=outputs),
                                      cwd=scratch, capture_output=True, timeout=60)
                stderr = proc.stderr.decode()
                self.assertEqual(proc.returncode, 2, stderr)
                self.assertIn("is the outputs file", stderr)
        with open(outputs) as f:
            self.assertEqual(f.read(), "")
        self.assertEqual(self.aws.stats()["calls"], {})

    # -- following ----------------------------------------------------------------

    def test_events_appended_while_following(self):
        self.aws.put_log_events("/ecs/follow", "live", ["start"])
        proc = harness.start_tool("fetch-logs", ["--log-group", "/ecs/follow", "--log-stream",
                                                 "live", "--follow", "--poll-interval", "200ms"],
                                  self.aws.env())
        expected = ["start"]
        for batch in range(6):
            new = [f"batch {batch} line {i}" for i in range(150)]
            self.aws.put_log_events("/ecs/follow", "live", new,
                                    start_ms=int(time.time() * 1000))
            expected += new
            time.sleep(0.4)
        deadline = time.time() + 20
        stdout_path = proc._stdout.name
        while time.time() < deadline:
            with open(stdout_path, "rb") as f:
                if f.read().decode().endswith("batch 5 line 149\n"):
                    break
            time.sleep(0.1)
        proc.send_signal(signal.SIGTERM)
        result = proc.wait(timeout=30)
        self.assertEqual(result.returncode, 143, result)
        self.assertEqual(lines_of(result.stdout), expected)
        self.assertEqual(result.outputs["events"], str(len(expected)))

    def test_task_that_stops_while_events_are_still_arriving(self):
        self.aws.script_next_task(statuses=[("PENDING", 0.3), ("RUNNING", 2.5)],
                                  log_lines={"app": ["Prisma schema loaded",
                                                     "1 migration found"]})
        arn, task_id = self.run_task()
        stream = f"ecs/app/{task_id}"
        proc = harness.start_tool(
            "fetch-logs", ["--cluster", self.seeded["cluster"], "--task", arn, "--follow",
                           "--poll-interval", "500ms", "--drain-grace", "3s"],
            self.aws.env())
        self.aws.wait_for_task_status(arn, "RUNNING", timeout=20)
        time.sleep(0.3)  # the scripted lines land first
        late = []
        stopped_at = None
        last_ms = int(time.time() * 1000)
        # Lines keep coming while it runs and for 1.5 s after STOPPED
        # (CloudWatch ingestion lag): the known way to lose the last lines.
        while stopped_at is None or time.time() - stopped_at < 1.5:
            last_ms = max(last_ms + 1, int(time.time() * 1000))
            line = f"applying step {len(late)}"
            self.aws.put_log_events(GROUP, stream, [line], start_ms=last_ms)
            late.append(line)
            if stopped_at is None and any(t["arn"] == arn and t["lastStatus"] == "STOPPED"
                                          for t in self.aws.tasks()):
                stopped_at = time.time()
            time.sleep(0.1)
        late_final = "All migrations have been successfully applied."
        self.aws.put_log_events(GROUP, stream, [late_final], start_ms=last_ms + 1)
        result = proc.wait(timeout=120)
        self.assertEqual(result.returncode, 0, result)
        expected = ["Prisma schema loaded", "1 migration found"] + late + [late_final]
        self.assertEqual(lines_of(result.stdout), expected)
        self.assertEqual(result.outputs["events"], str(len(expected)))
        self.assertEqual(result.outputs["log_group"], GROUP)
        self.assertEqual(result.outputs["log_stream"], stream)
        self.assertIn("is RUNNING", result.stderr)
        self.assertIn("is STOPPED", result.stderr)

    def test_task_logs_without_follow_and_by_container(self):
        self.aws.script_next_task(statuses=[("RUNNING", 0.2)],
                                  log_lines={"app": ["one", "two"]})
        arn, task_id = self.run_task()
        self.aws.wait_for_task_status(arn, "STOPPED", timeout=20)
        result = self.fetch(["--cluster", self.seeded["cluster"], "--task", task_id,
                             "--container", "app", "--drain-grace", "1s"])
        self.assertEqual(result.returncode, 0, result)
        self.assertEqual(lines_of(result.stdout), ["one", "two"])
        self.assertEqual(result.outputs["log_stream"], f"ecs/app/{task_id}")
        result = self.fetch(["--cluster", self.seeded["cluster"], "--task", task_id,
                             "--container", "nope"])
        self.assertEqual(result.returncode, 1, result)
        self.assertIn("no container 'nope'", result.stderr)

    # -- what the lines look like -------------------------------------------------------

    def test_redaction_of_masked_values_url_credentials_and_patterns(self):
        secret = self.aws.secret_access_key
        self.aws.put_log_events("/ecs/redact", "s", [
            "DATABASE_URL=postgresql://migrator:pa55w0rd-XYZ@db.internal:5432/app",
            f"leaked key {secret} here",
            "api token tok_abc123def ok",
        ])
        result = self.fetch(["--log-group", "/ecs/redact", "--log-stream", "s",
                             "--redact", "tok_[a-z0-9]+", "--summary"])
        self.assertEqual(result.returncode, 0, result)
        self.assertEqual(lines_of(result.stdout), [
            "DATABASE_URL=postgresql://migrator:***@db.internal:5432/app",
            "leaked key *** here",
            "api token *** ok",
        ])
        for text in (result.stdout, result.stderr, result.summary):
            self.assertNotIn("pa55w0rd-XYZ", text)
            self.assertNotIn(secret, text)
            self.assertNotIn("tok_abc123def", text)
        self.assertIn("postgresql://migrator:***@db.internal", result.summary)

    def test_unicode_tabs_cr_and_very_long_messages(self):
        long_message = "L" * 100 + "\t" + "é" * 1000 + "z" * (262118 - 2101) + "END"
        messages = ["tab\tseparated\tvalues", "ünïcødé ✓ 日本語 🚀", "carriage\rreturn inside",
                    long_message, "after the long one"]
        self.aws.put_log_events("/ecs/shapes", "s", messages)
        result = self.fetch(["--log-group", "/ecs/shapes", "--log-stream", "s"])
        self.assertEqual(result.returncode, 0, result)
        self.assertEqual(lines_of(result.stdout), messages)
        self.assertEqual(len(lines_of(result.stdout)[3].encode()), len(long_message.encode()))

    def test_log_lines_cannot_run_workflow_commands_in_actions(self):
        messages = ["::add-mask::innocent", "ok\r::set-output name=hacked::yes",
                    "::warning::not from the tool", "plain"]
        self.aws.put_log_events("/ecs/commands", "s", messages)
        result = self.fetch(["--log-group", "/ecs/commands", "--log-stream", "s"],
                            github_actions=True)
        self.assertEqual(result.returncode, 0, result)
        lines = lines_of(result.stdout)
        group_start = [i for i, l in enumerate(lines) if l.startswith("::group::")]
        self.assertEqual(len(group_start), 1, lines)
        stop = lines[group_start[0] + 1]
        self.assertTrue(stop.startswith("::stop-commands::"), lines)
        token = stop[len("::stop-commands::"):]
        self.assertGreaterEqual(len(token), 32)
        body = lines[group_start[0] + 2:group_start[0] + 2 + len(messages)]
        self.assertEqual(body, messages)
        self.assertEqual(lines[group_start[0] + 2 + len(messages)], f"::{token}::")
        self.assertEqual(lines[-1], "::endgroup::")
        self.assertNotIn("hacked", result.outputs)

    def test_timestamps_max_events_and_output_file(self):
        # moto refuses events older than 14 days, so: a minute ago, at .123 s.
        start_ms = (int(time.time()) - 60) * 1000 + 123
        self.aws.put_log_events("/ecs/format", "s", ["a", "b", "c"], start_ms=start_ms)
        iso = time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(start_ms // 1000))
        scratch = self.aws.home
        path = os.path.join(scratch, "lines.log")
        result = self.fetch(["--log-group", "/ecs/format", "--log-stream", "s",
                             "--timestamps", "--max-events", "2", "--output-file", path])
        self.assertEqual(result.returncode, 0, result)
        self.assertEqual(result.stdout, "")
        with open(path, encoding="utf-8") as f:
            self.assertEqual(f.read(), f"{iso}.123Z a\n{iso}.124Z b\n")
        self.assertEqual(result.outputs["events"], "2")

    # -- bad input --------------------------------------------------------------------

    def test_bad_inputs_exit_2_before_any_request(self):
        task_id = "0123456789abcdef0123456789abcdef"
        cases = [
            [],
            ["--cluster", "migrate-cluster"],
            ["--task", task_id],
            ["--cluster", "migrate-cluster", "--task", "nope"],
            ["--cluster", "migrate-cluster", "--task", task_id, "--log-group", "g",
             "--log-stream", "s"],
            ["--log-group", "bad group", "--log-stream", "s"],
            ["--log-group", "g", "--log-stream", "s", "--since", "5 minutes"],
            ["--log-group", "g", "--log-stream", "s", "--max-events", "-1"],
            ["--log-group", "g", "--log-stream", "s", "--redact", "(["],
            ["--log-group", "g", "--log-stream", "s", "--stream-timeout", "forever"],
            ["--log-group", "g", "--log-stream", "s", "--endpoint-url", "ftp://x"],
            ["--log-group", "g", "--log-stream", "s", "--bogus"],
        ]
        self.aws.reset_stats()
        for args in cases:
            with self.subTest(args=args):
                result = self.fetch(args)
                self.assertEqual(result.returncode, 2, result)
                self.assertEqual(len(result.stderr.strip().splitlines()), 1, result.stderr)
                self.assertEqual(result.outputs, {})
        stats = self.aws.stats()
        self.assertEqual(stats["requests"], {})
        self.assertEqual(stats["calls"], {})


if __name__ == "__main__":
    unittest.main()
