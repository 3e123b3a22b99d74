"""The AWS core library against the local AWS (moto behind the
signature-checking, fault-injecting proxy), through tests/tools/aws-call:
real SigV4, real libcurl, real retries."""

import json
import os
import shutil
import subprocess
import tempfile
import textwrap
import unittest

import harness
from local_http import LocalHttpServer, QuietHandler

AWS_CALL = os.path.join(harness.BIN_DIR, "aws-call")


def aws_call(env, *args, timeout=120):
    proc = subprocess.run([AWS_CALL] + [str(a) for a in args], env=env,
                          capture_output=True, text=True, timeout=timeout)
    return proc


class AwsCoreTest(harness.LocalAwsTestCase):
    aws_options = {"lifecycle": False}

    def call(self, *args, env=None, expect=0):
        proc = aws_call(env or self.aws.env(), *args)
        self.assertEqual(proc.returncode, expect,
                         f"aws-call {args}: {proc.stderr}\n{self.aws.log()[-3000:]}")
        return proc

    def answer(self, *args, env=None):
        return json.loads(self.call(*args, env=env).stdout)

    def test_create_and_describe_cluster(self):
        created = self.answer("ecs", "CreateCluster", '{"clusterName": "core-a"}')
        self.assertEqual(created["cluster"]["clusterName"], "core-a")
        described = self.answer("ecs", "DescribeClusters", '{"clusters": ["core-a"]}')
        self.assertEqual([c["clusterName"] for c in described["clusters"]], ["core-a"])
        # moto itself has the cluster: the call really reached the service.
        moto = self.aws.client("ecs").describe_clusters(clusters=["core-a"])
        self.assertEqual(moto["clusters"][0]["status"], "ACTIVE")
        stats = self.aws.stats()
        self.assertEqual(stats["signature_failures"], 0)
        self.assertEqual(stats["calls"].get("ecs:DescribeClusters"), 1)

    def test_logs_calls(self):
        self.answer("logs", "CreateLogGroup", '{"logGroupName": "/core/test"}')
        groups = self.answer("logs", "DescribeLogGroups", '{"logGroupNamePrefix": "/core/"}')
        self.assertEqual([g["logGroupName"] for g in groups["logGroups"]], ["/core/test"])

    def test_aws_errors_are_reported_with_code_and_request_id(self):
        proc = self.call("ecs", "DescribeServices",
                         '{"cluster": "does-not-exist", "services": ["x"]}', expect=1)
        self.assertIn('ECS DescribeServices on cluster "does-not-exist", service "x" in '
                      'us-east-1 failed: ClusterNotFoundException', proc.stderr)
        self.assertIn("request id", proc.stderr)
        self.assertEqual(len(proc.stderr.strip().splitlines()), 1, proc.stderr)

    def test_sts_get_caller_identity(self):
        answer = self.answer("sts", "GetCallerIdentity")
        self.assertTrue(answer["Arn"].startswith("arn:aws:"), answer)
        self.assertEqual(self.aws.stats()["signature_failures"], 0)

    def test_sts_assume_role_then_use_the_session(self):
        answer = self.answer("sts", "AssumeRole",
                             json.dumps({"RoleArn": "arn:aws:iam::123456789012:role/deploy",
                                         "RoleSessionName": "core"}))
        self.assertTrue(answer["AccessKeyId"])
        self.assertGreater(answer["Expiration"], 0)

    def test_session_token_is_signed_and_accepted(self):
        self.aws.add_credentials("ASIACORETEST", "core-temporary-secret", "core-session-token")
        env = self.aws.env(AWS_ACCESS_KEY_ID="ASIACORETEST",
                           AWS_SECRET_ACCESS_KEY="core-temporary-secret",
                           AWS_SESSION_TOKEN="core-session-token")
        self.answer("ecs", "ListClusters", env=env)
        bad = self.aws.env(AWS_ACCESS_KEY_ID="ASIACORETEST",
                           AWS_SECRET_ACCESS_KEY="core-temporary-secret",
                           AWS_SESSION_TOKEN="another-token")
        proc = self.call("ecs", "ListClusters", env=bad, expect=1)
        self.assertIn("UnrecognizedClientException", proc.stderr)

    def test_wrong_secret_is_refused_by_the_proxy(self):
        env = self.aws.env(AWS_SECRET_ACCESS_KEY="not-the-secret")
        proc = self.call("ecs", "ListClusters", env=env, expect=1)
        self.assertIn("InvalidSignatureException", proc.stderr)
        self.assertEqual(self.aws.stats()["signature_failures"], 1)  # not retried

    def test_throttling_5xx_and_resets_are_recovered(self):
        self.answer("ecs", "CreateCluster", '{"clusterName": "core-retry"}')
        self.aws.reset_stats()
        self.aws.inject("ecs:DescribeClusters", [
            {"status": 400, "code": "ThrottlingException", "message": "Rate exceeded"},
            {"status": 503},
            {"reset": "before"},
            {"reset": "after"},
            {"malformed": True},
        ])
        proc = self.call("-v", "ecs", "DescribeClusters", '{"clusters": ["core-retry"]}',
                         "--max-attempts", "6")
        self.assertEqual(json.loads(proc.stdout)["clusters"][0]["clusterName"], "core-retry")
        stats = self.aws.stats()
        self.assertEqual(stats["requests"]["ecs:DescribeClusters"], 6)
        self.assertIn("attempt 1: HTTP 400 ThrottlingException", proc.stderr)
        self.assertIn("attempt 2: HTTP 503 ServerException", proc.stderr)
        self.assertIn("malformed body", proc.stderr)
        self.assertIn("Connection reset by peer", proc.stderr)
        # The last attempt succeeded. (libcurl itself re-sends once when a
        # reused keep-alive connection dies before any byte of an answer, so
        # the proxy may see one more request than our attempts.)
        self.assertRegex(proc.stderr.strip().splitlines()[-1], r"attempt [56]: HTTP 200")
        self.assertEqual(stats["signature_failures"], 0)

    def test_retries_give_up_after_max_attempts(self):
        self.aws.inject("ecs:ListClusters", [{"status": 400, "code": "ThrottlingException"}] * 3)
        proc = self.call("ecs", "ListClusters", expect=1)
        self.assertIn("ECS ListClusters in us-east-1 failed: ThrottlingException", proc.stderr)
        self.assertEqual(self.aws.stats()["requests"]["ecs:ListClusters"], 3)

    def test_aws_max_attempts_from_environment(self):
        self.aws.inject("ecs:ListClusters", [{"status": 500}] * 4)
        env = self.aws.env(AWS_MAX_ATTEMPTS="5")
        self.answer("ecs", "ListClusters", env=env)
        self.assertEqual(self.aws.stats()["requests"]["ecs:ListClusters"], 5)

    def test_clock_skew_of_twenty_minutes_is_corrected(self):
        for offset in (1200, -1200):
            with self.subTest(offset=offset):
                self.aws.reset_stats()
                self.aws.set_clock_offset(offset)
                proc = self.call("-v", "ecs", "ListClusters")
                self.assertIn("clock skew", proc.stderr)
                stats = self.aws.stats()
                self.assertEqual(stats["signature_failures"], 1)  # the first attempt only
                self.assertEqual(stats["calls"]["ecs:ListClusters"], 1)

    def test_no_region_is_a_usage_error_before_any_request(self):
        env = self.aws.env(AWS_REGION=None)
        proc = self.call("ecs", "ListClusters", env=env, expect=2)
        self.assertIn("no AWS region: pass --region or set AWS_REGION", proc.stderr)
        self.assertEqual(self.aws.stats()["requests"], {})

    def test_endpoint_precedence(self):
        # A per-service variable beats AWS_ENDPOINT_URL (here a dead port).
        env = self.aws.env(AWS_ENDPOINT_URL="http://127.0.0.1:9",
                           AWS_ENDPOINT_URL_ECS=self.aws.endpoint)
        self.answer("ecs", "ListClusters", env=env)
        # --endpoint-url beats both.
        env = self.aws.env(AWS_ENDPOINT_URL="http://127.0.0.1:9",
                           AWS_ENDPOINT_URL_ECS="http://127.0.0.1:9")
        self.answer("--endpoint-url", self.aws.endpoint, "ecs", "ListClusters", env=env)

    def test_connection_refused_is_a_transport_error(self):
        env = self.aws.env(AWS_ENDPOINT_URL="http://127.0.0.1:9", AWS_MAX_ATTEMPTS="2")
        proc = self.call("ecs", "ListClusters", env=env, expect=1)
        self.assertIn("ECS ListClusters in us-east-1:", proc.stderr)
        self.assertIn("2 attempt(s)", proc.stderr)

    def test_verbose_trace_shows_no_secret(self):
        env = self.aws.env(GITHUB_ACTIONS="true")
        proc = self.call("-v", "ecs", "ListClusters", env=env)
        self.assertIn("ECS ListClusters POST", proc.stderr)
        secret = self.aws.secret_access_key
        lines = [l for l in proc.stderr.splitlines() if not l.startswith("::add-mask::")]
        for line in lines:
            self.assertNotIn(secret, line)
            self.assertNotIn("Signature=", line)
            self.assertNotIn("Authorization", line)
        self.assertIn("::add-mask::" + secret, proc.stderr)


    # -- settings refused before any request, naming their source (#15) ----------

    def config_file(self, text):
        """A temporary AWS_CONFIG_FILE holding `text`; returns its path."""
        folder = tempfile.mkdtemp(prefix="ecsmig-aws-config-")
        self.addCleanup(shutil.rmtree, folder, ignore_errors=True)
        path = os.path.join(folder, "config")
        with open(path, "w") as f:
            f.write(textwrap.dedent(text))
        return path

    def assert_refused(self, expected, *args, env, tool="aws-call"):
        if tool == "aws-call":
            proc = aws_call(env, *(args or ("ecs", "ListClusters")))
            result = (proc.returncode, proc.stderr)
        else:
            run = harness.run_tool(tool, list(args), env, timeout=60)
            result = (run.returncode, run.stderr)
        self.assertEqual(result[0], 2, result[1])
        self.assertIn(expected, result[1])
        self.assertEqual(len(result[1].strip().splitlines()), 1, result[1])
        self.assertEqual(self.aws.stats()["requests"], {})

    def test_region_that_is_not_a_region_from_every_source(self):
        port = self.aws.endpoint.rsplit(":", 1)[1]
        for value in (f"x@127.0.0.1:{port}/", "not a region", "US-EAST-1"):
            self.assert_refused(f"AWS_REGION: '{value}' is not a region name",
                                env=self.aws.env(AWS_REGION=value))
        self.assert_refused("AWS_DEFAULT_REGION: 'not a region'",
                            env=self.aws.env(AWS_REGION=None, AWS_DEFAULT_REGION="not a region"))
        config = self.config_file("[profile dev]\nregion = US-EAST-1\n")
        self.assert_refused(f"region of profile 'dev' in {config}: 'US-EAST-1'",
                            env=self.aws.env(AWS_REGION=None, AWS_CONFIG_FILE=config,
                                             AWS_PROFILE="dev"))
        self.assert_refused("--region: 'eu west 1'", "--region", "eu west 1", "ecs",
                            "ListClusters", env=self.aws.env())
        # A real tool, the same way.
        self.assert_refused(f"AWS_REGION: 'x@127.0.0.1:{port}/'", "--cluster", "c",
                            "--service", "api", tool="resolve-network",
                            env=self.aws.env(AWS_REGION=f"x@127.0.0.1:{port}/"))

    def test_endpoint_that_does_not_parse_from_every_source(self):
        for variable in ("AWS_ENDPOINT_URL", "AWS_ENDPOINT_URL_ECS",
                         "AWS_ENDPOINT_URL_CLOUDWATCH_LOGS", "AWS_ENDPOINT_URL_STS",
                         "AWS_ENDPOINT_URL_SSO"):
            self.assert_refused(f"{variable}: 'garbage' is not an endpoint URL",
                                env=self.aws.env(**{variable: "garbage"}))
        self.assert_refused("--endpoint-url: 'garbage'", "--endpoint-url", "garbage", "ecs",
                            "ListClusters", env=self.aws.env())
        config = self.config_file("""\
            [default]
            endpoint_url = http://[broken
            """)
        self.assert_refused(f"endpoint_url of profile 'default' in {config}",
                            env=self.aws.env(AWS_ENDPOINT_URL=None, AWS_CONFIG_FILE=config))
        config = self.config_file("""\
            [default]
            services = local
            [services local]
            ecs =
              endpoint_url = not a url
            """)
        self.assert_refused(f"ecs endpoint_url of services section 'local' in {config}",
                            env=self.aws.env(AWS_ENDPOINT_URL=None, AWS_CONFIG_FILE=config))
        self.assert_refused("AWS_ENDPOINT_URL: 'garbage'", "--cluster", "c", "--service", "api",
                            tool="resolve-network", env=self.aws.env(AWS_ENDPOINT_URL="garbage"))

    def test_retry_settings_that_do_not_parse(self):
        for variable, value in (("AWS_RETRY_MODE", "bogus"), ("AWS_MAX_ATTEMPTS", "abc"),
                                ("AWS_MAX_ATTEMPTS", "0"), ("AWS_MAX_ATTEMPTS", "-1"),
                                ("ECSMIG_HTTP_TIMEOUT", "soon"),
                                ("ECSMIG_CONNECT_TIMEOUT", "0s")):
            self.assert_refused(f"{variable}: '{value}'", env=self.aws.env(**{variable: value}))
        config = self.config_file("[default]\nretry_mode = fast\nmax_attempts = 3\n")
        self.assert_refused(f"retry_mode of profile 'default' in {config}: 'fast'",
                            env=self.aws.env(AWS_CONFIG_FILE=config))
        config = self.config_file("[default]\nmax_attempts = many\n")
        self.assert_refused(f"max_attempts of profile 'default' in {config}: 'many'",
                            env=self.aws.env(AWS_CONFIG_FILE=config))

    # -- the shared config file's endpoints (#15 item 17) --------------------------

    def test_shared_config_endpoints_in_the_sdks_order(self):
        dead = "http://127.0.0.1:9"
        no_env = {"AWS_ENDPOINT_URL": None}
        # The services section's ecs endpoint beats the profile's global one.
        config = self.config_file(f"""\
            [profile dev]
            endpoint_url = {dead}
            services = local
            [services local]
            ecs =
              endpoint_url = {self.aws.endpoint}
            """)
        env = self.aws.env(AWS_CONFIG_FILE=config, AWS_PROFILE="dev", **no_env)
        self.answer("ecs", "ListClusters", env=env)
        # The profile's global endpoint_url serves every service without a key.
        config = self.config_file(f"[profile dev]\nendpoint_url = {self.aws.endpoint}\n")
        env = self.aws.env(AWS_CONFIG_FILE=config, AWS_PROFILE="dev", **no_env)
        self.answer("logs", "DescribeLogGroups", env=env)
        # AWS_ENDPOINT_URL beats the file; AWS_ENDPOINT_URL_ECS beats both.
        config = self.config_file(f"""\
            [profile dev]
            endpoint_url = {dead}
            services = local
            [services local]
            ecs =
              endpoint_url = {dead}
            """)
        env = self.aws.env(AWS_CONFIG_FILE=config, AWS_PROFILE="dev")
        self.answer("ecs", "ListClusters", env=env)
        env = self.aws.env(AWS_CONFIG_FILE=config, AWS_PROFILE="dev", AWS_ENDPOINT_URL=dead,
                           AWS_ENDPOINT_URL_ECS=self.aws.endpoint)
        self.answer("ecs", "ListClusters", env=env)
        # ignore_configured_endpoint_urls drops the file and the environment,
        # never --endpoint-url.
        config = self.config_file(f"""\
            [profile dev]
            ignore_configured_endpoint_urls = true
            endpoint_url = {dead}
            """)
        env = self.aws.env(AWS_CONFIG_FILE=config, AWS_PROFILE="dev", AWS_ENDPOINT_URL=dead)
        self.answer("--endpoint-url", self.aws.endpoint, "ecs", "ListClusters", env=env)
        self.assertEqual(self.aws.stats()["signature_failures"], 0)

    # -- answers that are not from AWS (#15 item 13) -----------------------------

    def test_an_answer_that_is_not_from_aws_is_described_with_its_status(self):
        class NotAws(QuietHandler):
            def do_POST(self):
                self.rfile.read(int(self.headers.get("Content-Length", 0)))
                body = (b"" if self.server.owner.empty else
                        b"<html><title>502 Bad Gateway</title><p>nginx</p></html>")
                self.send_body(502 if body else 503, body, "text/html")

        server = LocalHttpServer(NotAws).start()
        server.empty = False
        self.addCleanup(server.stop)
        env = self.aws.env(AWS_ENDPOINT_URL=server.url,
                           AWS_MAX_ATTEMPTS="1")
        proc = self.call("ecs", "DescribeClusters", '{"clusters": ["prod"]}', env=env, expect=1)
        self.assertIn('ECS DescribeClusters on cluster "prod" in us-east-1 failed: HTTP502: '
                      "an HTTP 502 answer that is not an AWS answer (text/html, 55 bytes)",
                      proc.stderr)
        self.assertNotIn("nginx", proc.stderr)
        server.empty = True
        proc = self.call("ecs", "ListClusters", env=env, expect=1)
        self.assertIn("HTTP503: an empty HTTP 503 answer", proc.stderr)


if __name__ == "__main__":
    unittest.main()
