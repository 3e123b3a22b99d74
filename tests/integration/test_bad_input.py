"""Bad input, table-driven, for every flag of every tool (CONTRACT.md: "Bad input
... is refused before any AWS call, with one clear line saying what was wrong and
exit code 2").

Every case runs the real binary with AWS_ENDPOINT_URL pointing at a listener
that counts connections: a refused input must produce exit 2, exactly one line
on stderr, nothing on stdout, nothing in GITHUB_OUTPUT, and zero connections.
"""
import os
import shutil
import socket
import subprocess
import tempfile
import threading
import unittest

from harness import BIN_DIR
from local_git import git

TASK_ARN = "arn:aws:ecs:us-east-1:123456789012:task/prod/0123456789abcdef0123456789abcdef"
HUGE = "x" * 100_000
UNICODE = "\u00e9\u2713\U0001F680"
SHELL = "$(touch /tmp/ecsmig-pwned);`id`|&;<>"

# (tool, args) → must be refused with exit 2.
CASES = [
    # Every tool: unknown flag, stray argument, missing value.
    *[(tool, ["--no-such-flag"]) for tool in
      ["detect-schema-change", "resolve-network", "run-migration-task", "wait-task", "fetch-logs"]],
    *[(tool, ["stray-positional"]) for tool in
      ["detect-schema-change", "resolve-network", "run-migration-task", "wait-task", "fetch-logs"]],
    *[(tool, ["--output"]) for tool in
      ["detect-schema-change", "resolve-network", "run-migration-task", "wait-task", "fetch-logs"]],
    *[(tool, ["--region", "Not A Region", "--cluster", "c"]) for tool in
      ["resolve-network", "wait-task", "fetch-logs"]],
    *[(tool, ["--endpoint-url", "ftp://x", "--cluster", "c"]) for tool in
      ["resolve-network", "wait-task", "fetch-logs"]],

    # detect-schema-change
    ("detect-schema-change", ["--on-missing-base", "maybe"]),
    ("detect-schema-change", ["--preset", "rails"]),
    ("detect-schema-change", ["--base", "no-such-rev-" + UNICODE]),
    ("detect-schema-change", ["--paths", ""]),

    # resolve-network
    ("resolve-network", []),
    ("resolve-network", ["--cluster", "c"]),
    ("resolve-network", ["--cluster", "", "--service", "api"]),
    ("resolve-network", ["--cluster", SHELL, "--service", "api"]),
    ("resolve-network", ["--cluster", "c", "--service", HUGE]),
    ("resolve-network", ["--cluster", "c", "--subnets", "subnet-zz"]),
    ("resolve-network", ["--cluster", "c", "--subnets", "subnet-0abc", "--security-groups", "sg-" + UNICODE]),
    ("resolve-network", ["--cluster", "c", "--subnets", "subnet-0abc", "--assign-public-ip", "YES"]),
    ("resolve-network", ["--cluster", "arn:aws:ecs:us-east-1:12:cluster/x", "--service", "api"]),

    # run-migration-task
    ("run-migration-task", ["--task-definition", "api"]),
    ("run-migration-task", ["--cluster", "c"]),
    ("run-migration-task", ["--cluster", "c", "--task-definition", "api:0"]),
    ("run-migration-task", ["--cluster", "c", "--task-definition", "api:x"]),
    ("run-migration-task", ["--cluster", "c", "--task-definition", "api", "--command", "[\"npx\", "]),
    ("run-migration-task", ["--cluster", "c", "--task-definition", "api", "--command", "[1, 2]"]),
    ("run-migration-task", ["--cluster", "c", "--task-definition", "api", "--command", ""]),
    ("run-migration-task", ["--cluster", "c", "--task-definition", "api", "--env", "NOEQUALS"]),
    ("run-migration-task", ["--cluster", "c", "--task-definition", "api", "--env", "=value"]),
    ("run-migration-task", ["--cluster", "c", "--task-definition", "api", "--tag", "novalue"]),
    ("run-migration-task", ["--cluster", "c", "--task-definition", "api", "--network-configuration", "{bad json"]),
    ("run-migration-task", ["--cluster", "c", "--task-definition", "api", "--capacity-provider-strategy", "{\"x\":"]),
    ("run-migration-task", ["--cluster", "c", "--task-definition", "api", "--if-running", "sometimes"]),
    ("run-migration-task", ["--cluster", "c", "--task-definition", "api", "--client-token", "t" * 65]),
    ("run-migration-task", ["--cluster", "c", "--task-definition", "api", "--client-token", UNICODE]),
    ("run-migration-task", ["--cluster", "c", "--task-definition", "api", "--launch-type", "MOON"]),
    ("run-migration-task", ["--cluster", "c", "--task-definition", "api", "--container", SHELL]),
    ("run-migration-task", ["--cluster", "c", "--task-definition", "api", "--subnets", "subnet-0abc", "--assign-public-ip", "maybe"]),

    # wait-task
    ("wait-task", ["--cluster", "c"]),
    ("wait-task", ["--task", TASK_ARN]),
    ("wait-task", ["--cluster", "c", "--task", "not-a-task"]),
    ("wait-task", ["--cluster", "c", "--task", "arn:aws:ecs:us-east-1:123456789012:cluster/prod"]),
    ("wait-task", ["--cluster", "c", "--task", TASK_ARN, "--timeout", "soon"]),
    ("wait-task", ["--cluster", "c", "--task", TASK_ARN, "--timeout", "-5m"]),
    ("wait-task", ["--cluster", "c", "--task", TASK_ARN, "--start-timeout", "10"]),
    ("wait-task", ["--cluster", "c", "--task", TASK_ARN, "--timeout", HUGE]),
    ("wait-task", ["--cluster", "c", "--task", TASK_ARN, "--container", "a b"]),

    # fetch-logs
    ("fetch-logs", []),
    ("fetch-logs", ["--cluster", "c"]),
    ("fetch-logs", ["--log-group", "/ecs/api"]),
    ("fetch-logs", ["--cluster", "c", "--task", "xyz"]),
    ("fetch-logs", ["--cluster", "c", "--task", TASK_ARN, "--since", "yesterday"]),
    ("fetch-logs", ["--cluster", "c", "--task", TASK_ARN, "--max-events", "many"]),
    ("fetch-logs", ["--cluster", "c", "--task", TASK_ARN, "--max-events", "-3"]),
    ("fetch-logs", ["--cluster", "c", "--task", TASK_ARN, "--redact", "(unclosed"]),
    ("fetch-logs", ["--cluster", "c", "--task", TASK_ARN, "--stream-timeout", "2 minutes"]),

    # #15 item 11: a single-valued flag given twice, for every tool.
    ("detect-schema-change", ["--base", "HEAD", "--base", "HEAD"]),
    ("detect-schema-change", ["--on-missing-base", "fail", "--on-missing-base", "changed"]),
    ("resolve-network", ["--cluster", "a", "--cluster", "b", "--service", "api"]),
    ("run-migration-task", ["--cluster", "a", "--cluster", "b", "--task-definition", "api"]),
    ("run-migration-task", ["--cluster", "c", "--task-definition", "a", "--task-definition", "b"]),
    ("wait-task", ["--cluster", "a", "--cluster", "b", "--task", TASK_ARN]),
    ("wait-task", ["--cluster", "c", "--task", TASK_ARN, "--timeout", "1m", "--timeout", "2m"]),
    ("fetch-logs", ["--log-group", "a", "--log-group", "b", "--log-stream", "s"]),
    *[(tool, ["--output", "/tmp/a", "--output", "/tmp/b"]) for tool in
      ["detect-schema-change", "resolve-network", "run-migration-task", "wait-task", "fetch-logs"]],
    # ... and unknown keys in --network-configuration.
    ("run-migration-task", ["--cluster", "c", "--task-definition", "api", "--network-configuration",
                            '{"awsvpcConfiguration": {"subnets": ["subnet-0abc"], "securityGroup": ["sg-1"]}}']),
    ("run-migration-task", ["--cluster", "c", "--task-definition", "api", "--network-configuration",
                            '{"awsvpcConfiguration": {"subnets": ["subnet-0abc"]}, "extra": 1}']),

    # #15 item 12: durations, each refusal precise (messages: duration_test.cc).
    ("wait-task", ["--cluster", "prod", "--task", TASK_ARN, "--timeout", "0.5s"]),
    ("wait-task", ["--cluster", "prod", "--task", TASK_ARN, "--timeout", "90S"]),
    ("wait-task", ["--cluster", "prod", "--task", TASK_ARN, "--timeout", "1h1h"]),
    ("fetch-logs", ["--log-group", "g", "--log-stream", "s", "--since", "30s1m"]),
    ("run-migration-task", ["--cluster", "c", "--task-definition", "api", "--wait-timeout", "1.5m"]),
]

# What the one line says for some of them (#15 items 11, 12).
MESSAGES = {
    ("wait-task", "0.5s"): "fractional values are not supported",
    ("wait-task", "90S"): "unknown unit 'S'",
    ("wait-task", "1h1h"): "unit 'h' repeated",
    ("fetch-logs", "30s1m"): "unit 'm' after 's'",
    ("resolve-network", "b"): "--cluster given more than once",
}


class ConnectionCounter:
    """A TCP listener that accepts and counts connections, answering nothing."""

    def __init__(self):
        self.sock = socket.socket()
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen(16)
        self.sock.settimeout(0.2)
        self.count = 0
        self._stop = False
        self.thread = threading.Thread(target=self._run, daemon=True)
        self.thread.start()

    @property
    def url(self):
        return "http://127.0.0.1:%d" % self.sock.getsockname()[1]

    def _run(self):
        while not self._stop:
            try:
                conn, _ = self.sock.accept()
            except OSError:
                continue
            self.count += 1
            conn.close()

    def close(self):
        self._stop = True
        self.thread.join()
        self.sock.close()


class BadInputTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.listener = ConnectionCounter()
        cls.tmp = tempfile.TemporaryDirectory()
        # A repository for detect-schema-change, so its refusals are about flags.
        repo = os.path.join(cls.tmp.name, "repo")
        os.mkdir(repo)
        git(repo, "init", "-q")
        git(repo, "commit", "-q", "--allow-empty", "-m", "root")
        cls.repo = repo

    @classmethod
    def tearDownClass(cls):
        cls.listener.close()
        cls.tmp.cleanup()

    def env(self, output):
        return {
            "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
            "HOME": self.tmp.name,
            "AWS_ACCESS_KEY_ID": "AKIDBADINPUT",
            "AWS_SECRET_ACCESS_KEY": "secret-bad-input-test",
            "AWS_REGION": "us-east-1",
            "AWS_ENDPOINT_URL": self.listener.url,
            "AWS_EC2_METADATA_DISABLED": "true",
            "GITHUB_OUTPUT": output,
        }

    def test_every_malformed_flag_exits_2_with_one_line_and_no_request(self):
        self.assertGreater(len(CASES), 50)
        for tool, args in CASES:
            with self.subTest(tool=tool, args=[a[:40] for a in args]):
                output = os.path.join(self.tmp.name, "out-%s" % tool)
                open(output, "w").close()
                if tool == "detect-schema-change":
                    args = ["--repo", self.repo] + args
                before = self.listener.count
                proc = subprocess.run([os.path.join(BIN_DIR, tool)] + args, env=self.env(output),
                                      capture_output=True, timeout=60)
                stderr = proc.stderr.decode("utf-8", "replace")
                self.assertEqual(proc.returncode, 2, stderr)
                lines = [l for l in stderr.split("\n") if l]
                self.assertEqual(len(lines), 1, "expected one line, got: %r" % stderr[:2000])
                self.assertTrue(lines[0].startswith(tool + ": "), lines[0][:200])
                self.assertLess(len(lines[0]), 600, "the one line should be short")
                self.assertEqual(proc.stdout, b"")
                self.assertEqual(open(output).read(), "", "nothing written to GITHUB_OUTPUT")
                self.assertEqual(self.listener.count, before, "no connection before refusing")
                self.assertFalse(os.path.exists("/tmp/ecsmig-pwned"))
                for (message_tool, word), message in MESSAGES.items():
                    if tool == message_tool and word in args:
                        self.assertIn(message, lines[0])

    def refused_before_any_request(self, tool, args, env, expect_in_line, argv_prefix=()):
        """Exit 2, one line on stderr that holds expect_in_line, no connection."""
        before = self.listener.count
        proc = subprocess.run(list(argv_prefix) + [os.path.join(BIN_DIR, tool)] + args, env=env,
                              capture_output=True, timeout=60)
        stderr = proc.stderr.decode("utf-8", "replace")
        self.assertEqual(proc.returncode, 2, stderr)
        lines = [l for l in stderr.split("\n") if l]
        self.assertEqual(len(lines), 1, stderr[:2000])
        self.assertIn(expect_in_line, lines[0])
        self.assertEqual(self.listener.count, before, "no connection before refusing")

    # #15 item 2: an outputs file that cannot be appended to is exit 2 at start.
    def test_an_outputs_file_that_cannot_be_appended_to_exits_2_before_any_request(self):
        valid = {
            "detect-schema-change": ["--repo", self.repo],
            "resolve-network": ["--cluster", "c", "--service", "api"],
            "run-migration-task": ["--cluster", "c", "--task-definition", "api",
                                   "--command", "true"],
            "wait-task": ["--cluster", "c", "--task", "0123456789abcdef0123456789abcdef"],
            "fetch-logs": ["--log-group", "/ecs/api", "--log-stream", "ecs/app/1"],
        }
        missing_dir = os.path.join(self.tmp.name, "no-such-dir", "output")
        a_directory = self.tmp.name
        for tool, args in valid.items():
            for bad in (missing_dir, a_directory):
                with self.subTest(tool=tool, outputs=bad, via="GITHUB_OUTPUT"):
                    self.refused_before_any_request(tool, args, self.env(bad), "GITHUB_OUTPUT")
                with self.subTest(tool=tool, outputs=bad, via="--output"):
                    output = os.path.join(self.tmp.name, "out-ok")
                    self.refused_before_any_request(tool, args + ["--output", bad],
                                                    self.env(output), "--output")
            read_only = os.path.join(self.tmp.name, "read-only-output")
            open(read_only, "w").close()
            os.chmod(read_only, 0o444)
            argv_prefix = []
            if os.geteuid() == 0:
                # root writes anything: run the tool as nobody instead.
                if not shutil.which("setpriv"):
                    continue
                argv_prefix = ["setpriv", "--reuid=65534", "--regid=65534", "--clear-groups"]
            with self.subTest(tool=tool, outputs="read-only"):
                env = self.env(read_only)
                env["HOME"] = "/nonexistent"
                self.refused_before_any_request(tool, args, env, "Permission denied",
                                                argv_prefix)

    # #15 item 3: an outputs file whose last line has no newline.
    def test_outputs_start_on_a_new_line(self):
        output = os.path.join(self.tmp.name, "out-no-newline")
        with open(output, "w") as f:
            f.write("x=1")
        proc = subprocess.run([os.path.join(BIN_DIR, "detect-schema-change"), "--repo", self.repo,
                               "--base", "HEAD", "--head", "HEAD"],
                              env=self.env(output), capture_output=True, timeout=60)
        self.assertEqual(proc.returncode, 0, proc.stderr)
        with open(output) as f:
            text = f.read()
        self.assertTrue(text.startswith("x=1\nchanged=false\n"), text)

    def test_malformed_aws_settings_in_the_environment_exit_2_with_no_request(self):
        valid = {
            "resolve-network": ["--cluster", "c", "--service", "api"],
            "run-migration-task": ["--cluster", "c", "--task-definition", "api",
                                   "--command", "true"],
            "wait-task": ["--cluster", "c", "--task", "0123456789abcdef0123456789abcdef"],
            "fetch-logs": ["--log-group", "/ecs/api", "--log-stream", "ecs/app/1"],
        }
        bad = [("ECSMIG_HTTP_TIMEOUT", v) for v in ("0", "10", "soon", "-5s", "1s;id")] + \
              [("ECSMIG_CONNECT_TIMEOUT", v) for v in ("", "0ms", "\u221e")] + \
              [("AWS_MAX_ATTEMPTS", v) for v in ("0", "three")]
        for tool, args in valid.items():
            for name, value in bad:
                if value == "":
                    continue  # Empty means "not set": the default applies.
                with self.subTest(tool=tool, name=name, value=value):
                    output = os.path.join(self.tmp.name, "out-env-%s" % tool)
                    open(output, "w").close()
                    env = self.env(output)
                    env[name] = value
                    self.refused_before_any_request(tool, args, env, name)
                    self.assertEqual(open(output).read(), "")

    def test_help_and_version_for_every_tool(self):
        for tool in ["detect-schema-change", "resolve-network", "run-migration-task", "wait-task", "fetch-logs"]:
            with self.subTest(tool=tool):
                proc = subprocess.run([os.path.join(BIN_DIR, tool), "--help"], capture_output=True, timeout=30)
                self.assertEqual(proc.returncode, 0)
                self.assertIn(b"--output", proc.stdout)
                self.assertIn(b"\nOutputs: ", proc.stdout)  # #15 item 16: what it does
                self.assertIn(b"\nExit codes: ", proc.stdout)
                proc = subprocess.run([os.path.join(BIN_DIR, tool), "--version"], capture_output=True, timeout=30)
                self.assertEqual(proc.returncode, 0)
                self.assertRegex(proc.stdout.decode(), r"^%s \(ecsmig\) \d+\.\d+\.\d+\n$" % tool)


if __name__ == "__main__":
    unittest.main()
