"""The credential provider chain end to end: the real library (aws-call) against
the local AWS (moto STS behind the SigV4-checking proxy), with shared config
files, credential_process scripts and loopback stand-ins for the ECS container
credentials endpoint and EC2 instance metadata.

Every successful case makes one signed ECS call; the proxy refuses a bad
signature, so "it worked" means the credentials the chain produced were the
right ones.
"""

import http.server
import json
import os
import shutil
import socket
import tempfile
import textwrap
import threading
import time
import unittest

import harness

ROLE_ARN = "arn:aws:iam::123456789012:role/ci-deploy"


class _Recorder(http.server.BaseHTTPRequestHandler):
    """Answers from server.routes {(method, path): (status, body)} and records
    (method, path, headers) in server.seen."""

    def log_message(self, fmt, *args):
        pass

    def _answer(self):
        self.server.seen.append((self.command, self.path, dict(self.headers)))
        status, body = self.server.routes.get((self.command, self.path),
                                              (404, "not found"))
        if callable(body):
            status, body = body(self)
        data = body.encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    do_GET = _answer
    do_PUT = _answer


class LoopbackServer:
    """A tiny HTTP server on 127.0.0.1 in a thread (a context manager)."""

    def __init__(self, routes):
        self.server = http.server.ThreadingHTTPServer(("127.0.0.1", 0),
                                                      _Recorder)
        self.server.routes = routes
        self.server.seen = []
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        self._thread = threading.Thread(target=self.server.serve_forever,
                                        daemon=True)

    @property
    def seen(self):
        return self.server.seen

    def __enter__(self):
        self._thread.start()
        return self

    def __exit__(self, *exc):
        self.server.shutdown()
        self.server.server_close()
        self._thread.join(timeout=5)
        return False


def _expiration(seconds_from_now=3600):
    return time.strftime("%Y-%m-%dT%H:%M:%SZ",
                         time.gmtime(time.time() + seconds_from_now))


class CredentialChainTest(harness.LocalAwsTestCase):
    aws_options = {"lifecycle": False}

    def setUp(self):
        super().setUp()
        self.home = tempfile.mkdtemp(prefix="ecsmig-creds-home-")
        self.addCleanup(shutil.rmtree, self.home, ignore_errors=True)
        os.mkdir(os.path.join(self.home, ".aws"))

    # -- helpers ---------------------------------------------------------------

    def env(self, **extra):
        """The local AWS's environment without its exported keys, with our HOME."""
        values = {"AWS_ACCESS_KEY_ID": None, "AWS_SECRET_ACCESS_KEY": None,
                  "HOME": self.home}
        values.update(extra)
        return self.aws.env(**values)

    def write(self, relative, text, mode=0o600):
        path = os.path.join(self.home, relative)
        with open(path, "w") as f:
            f.write(textwrap.dedent(text))
        os.chmod(path, mode)
        return path

    def call(self, env, *flags, operation="ListClusters"):
        return harness.run_tool("aws-call", list(flags) + ["ecs", operation],
                                env, timeout=60)

    def assert_signed_call_succeeded(self, result):
        self.assertEqual(result.returncode, 0, result)
        self.assertIn("clusterArns", json.loads(result.stdout))
        stats = self.aws.stats()
        self.assertEqual(stats["signature_failures"], 0, stats)
        self.assertGreaterEqual(stats["calls"].get("ecs:ListClusters", 0), 1,
                                stats)
        return stats

    def static_profile(self, name="base"):
        return (f"[{name}]\naws_access_key_id = {self.aws.access_key_id}\n"
                f"aws_secret_access_key = {self.aws.secret_access_key}\n")

    # -- sources -----------------------------------------------------------------

    def test_environment_keys(self):
        env = self.env(AWS_ACCESS_KEY_ID=self.aws.access_key_id,
                       AWS_SECRET_ACCESS_KEY=self.aws.secret_access_key)
        stats = self.assert_signed_call_succeeded(self.call(env))
        self.assertNotIn("sts:AssumeRole", stats["requests"])

    def test_web_identity_through_sts(self):
        token = self.write("oidc-token", "eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiJyZXBvIn0.c2ln\n")
        env = self.env(AWS_WEB_IDENTITY_TOKEN_FILE=token, AWS_ROLE_ARN=ROLE_ARN,
                       AWS_ROLE_SESSION_NAME="gha-run-1")
        stats = self.assert_signed_call_succeeded(self.call(env))
        self.assertEqual(stats["calls"].get("sts:AssumeRoleWithWebIdentity"), 1,
                         stats)

    def test_web_identity_denied_names_the_source_and_hides_the_token(self):
        token = self.write("oidc-token", "secret-oidc-token-value\n")
        self.aws.inject("sts:AssumeRoleWithWebIdentity",
                        [{"status": 403, "code": "AccessDenied",
                          "message": "Not authorized to perform "
                                     "sts:AssumeRoleWithWebIdentity"}])
        result = self.call(self.env(AWS_WEB_IDENTITY_TOKEN_FILE=token,
                                    AWS_ROLE_ARN=ROLE_ARN))
        self.assertEqual(result.returncode, 1, result)
        self.assertIn("web identity", result.stderr)
        self.assertIn("AccessDenied", result.stderr)
        self.assertIn(ROLE_ARN, result.stderr)
        self.assertNotIn("secret-oidc-token-value", result.stderr)
        self.assertNotIn("ecs:ListClusters", self.aws.stats()["requests"])

    def test_role_arn_with_source_profile(self):
        self.write(".aws/credentials", self.static_profile("base"))
        self.write(".aws/config", f"""\
            [profile deploy]
            role_arn = {ROLE_ARN}
            source_profile = base
            external_id = ext-123
            role_session_name = ecsmig-it
            duration_seconds = 900
            """)
        stats = self.assert_signed_call_succeeded(
            self.call(self.env(), "--profile", "deploy"))
        self.assertEqual(stats["calls"].get("sts:AssumeRole"), 1, stats)

    def test_chained_roles_through_aws_profile(self):
        self.write(".aws/credentials", self.static_profile("base"))
        self.write(".aws/config", f"""\
            [profile first]
            role_arn = arn:aws:iam::123456789012:role/first
            source_profile = base
            [profile second]
            role_arn = arn:aws:iam::123456789012:role/second
            source_profile = first
            """)
        stats = self.assert_signed_call_succeeded(
            self.call(self.env(AWS_PROFILE="second")))
        self.assertEqual(stats["calls"].get("sts:AssumeRole"), 2, stats)

    def test_source_profile_loop_is_a_usage_error_before_any_call(self):
        self.write(".aws/config", """\
            [profile a]
            role_arn = arn:aws:iam::123456789012:role/a
            source_profile = b
            [profile b]
            role_arn = arn:aws:iam::123456789012:role/b
            source_profile = a
            """)
        result = self.call(self.env(), "--profile", "a")
        self.assertEqual(result.returncode, 2, result)
        self.assertIn("a -> b -> a", result.stderr)
        self.assertEqual(self.aws.stats()["requests"], {})

    def test_credential_process(self):
        answer = json.dumps({"Version": 1,
                             "AccessKeyId": self.aws.access_key_id,
                             "SecretAccessKey": self.aws.secret_access_key,
                             "Expiration": _expiration()})
        script = self.write("get-creds.sh", f"#!/bin/sh\ncat <<'EOF'\n{answer}\nEOF\n",
                            mode=0o700)
        self.write(".aws/config", f"""\
            [default]
            credential_process = {script} --unused-argument
            """)
        result = self.call(self.env(), "-v")
        self.assert_signed_call_succeeded(result)
        self.assertNotIn(self.aws.secret_access_key, result.stderr)

    def test_failing_credential_process_never_echoes_its_output(self):
        script = self.write(
            "get-creds.sh",
            f"#!/bin/sh\necho '{{\"SecretAccessKey\": \"{self.aws.secret_access_key}\"'\nexit 3\n",
            mode=0o700)
        self.write(".aws/config", f"[profile ci]\ncredential_process = {script}\n")
        result = self.call(self.env(AWS_PROFILE="ci"))
        self.assertEqual(result.returncode, 1, result)
        self.assertIn("credential_process of profile 'ci'", result.stderr)
        self.assertIn("status 3", result.stderr)
        self.assertNotIn(self.aws.secret_access_key, result.stderr)
        self.assertEqual(self.aws.stats()["requests"], {})

    def test_container_credentials_full_uri_with_token_file(self):
        body = json.dumps({"AccessKeyId": self.aws.access_key_id,
                           "SecretAccessKey": self.aws.secret_access_key,
                           "Expiration": _expiration()})

        def answer(request):
            if request.headers.get("Authorization") != "container-auth-token":
                return 401, "{}"
            return 200, body

        token_file = self.write("container-token", "container-auth-token\n")
        with LoopbackServer({("GET", "/v2/credentials/abc"): (200, answer)}) as server:
            env = self.env(AWS_CONTAINER_CREDENTIALS_FULL_URI=server.url + "/v2/credentials/abc",
                           AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE=token_file)
            self.assert_signed_call_succeeded(self.call(env))
            self.assertEqual(len(server.seen), 1, server.seen)

    def test_container_full_uri_to_a_remote_http_host_is_refused(self):
        result = self.call(self.env(
            AWS_CONTAINER_CREDENTIALS_FULL_URI="http://198.51.100.7/creds"))
        self.assertEqual(result.returncode, 2, result)
        self.assertIn("AWS_CONTAINER_CREDENTIALS_FULL_URI", result.stderr)

    def test_instance_metadata_v2(self):
        creds = json.dumps({"Code": "Success", "Type": "AWS-HMAC",
                            "AccessKeyId": self.aws.access_key_id,
                            "SecretAccessKey": self.aws.secret_access_key,
                            "Token": "", "Expiration": _expiration()})
        routes = {
            ("PUT", "/latest/api/token"): (200, "imds-token"),
            ("GET", "/latest/meta-data/iam/security-credentials/"): (200, "node-role"),
            ("GET", "/latest/meta-data/iam/security-credentials/node-role"): (200, creds),
        }
        with LoopbackServer(routes) as imds:
            env = self.env(AWS_EC2_METADATA_DISABLED=None,
                           AWS_EC2_METADATA_SERVICE_ENDPOINT=imds.url)
            self.assert_signed_call_succeeded(self.call(env))
            methods = [(method, path) for method, path, _ in imds.seen]
            self.assertEqual(methods, list(routes), imds.seen)
            self.assertEqual(imds.seen[0][2].get("X-aws-ec2-metadata-token-ttl-seconds"),
                             "21600")
            for _, _, headers in imds.seen[1:]:
                self.assertEqual(headers.get("X-aws-ec2-metadata-token"), "imds-token")

    # -- nothing found, misconfiguration ------------------------------------------

    def test_no_credentials_lists_what_was_tried(self):
        result = self.call(self.env())
        self.assertEqual(result.returncode, 1, result)
        self.assertIn("no AWS credentials", result.stderr)
        self.assertIn("tried: environment, web identity, profile 'default', container, "
                      "instance metadata (disabled by AWS_EC2_METADATA_DISABLED)",
                      result.stderr)
        self.assertEqual(self.aws.stats()["requests"], {})

    def test_silent_instance_metadata_fails_fast(self):
        # Accepts connections and never answers: a black hole the 1 s timeouts cut.
        silent = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self.addCleanup(silent.close)
        silent.bind(("127.0.0.1", 0))
        silent.listen(8)
        port = silent.getsockname()[1]
        started = time.time()
        result = self.call(self.env(AWS_EC2_METADATA_DISABLED=None,
                                    AWS_EC2_METADATA_SERVICE_ENDPOINT=f"http://127.0.0.1:{port}"))
        elapsed = time.time() - started
        self.assertEqual(result.returncode, 1, result)
        self.assertIn("no AWS credentials", result.stderr)
        self.assertIn("unreachable", result.stderr)
        self.assertLess(elapsed, 8, result)

    def test_named_profile_that_does_not_exist(self):
        self.write(".aws/credentials", self.static_profile("default"))
        result = self.call(self.env(), "--profile", "nope")
        self.assertEqual(result.returncode, 2, result)
        self.assertIn("profile 'nope' not found", result.stderr)
        self.assertEqual(self.aws.stats()["requests"], {})

    def test_half_set_environment_keys(self):
        result = self.call(self.env(AWS_ACCESS_KEY_ID=self.aws.access_key_id))
        self.assertEqual(result.returncode, 2, result)
        self.assertIn("AWS_SECRET_ACCESS_KEY", result.stderr)
        self.assertEqual(self.aws.stats()["requests"], {})


if __name__ == "__main__":
    unittest.main()
