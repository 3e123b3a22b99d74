"""The credential provider chain end to end: the real library (aws-call) against
the local AWS (moto STS behind the SigV4-checking proxy), with shared config
files, credential_process scripts and loopback stand-ins for the ECS container
credentials endpoint and EC2 instance metadata.

Every successful case makes one signed ECS call; the proxy refuses a bad
signature, so "it worked" means the credentials the chain produced were the
right ones.
"""

import hashlib
import json
import os
import shutil
import socket
import tempfile
import textwrap
import time
import unittest

import harness
from fake_sso import FakeSsoPortal
from local_http import LocalHttpServer, QuietHandler

ROLE_ARN = "arn:aws:iam::123456789012:role/ci-deploy"


class _Recorder(QuietHandler):
    """Answers from owner.routes {(method, path): (status, body)} and records
    (method, path, headers) in owner.seen."""

    def _answer(self):
        loopback = self.server.owner
        loopback.seen.append((self.command, self.path, dict(self.headers)))
        status, body = loopback.routes.get((self.command, self.path), (404, "not found"))
        if callable(body):
            status, body = body(self)
        self.send_body(status, body.encode())

    do_GET = _answer
    do_PUT = _answer


class LoopbackServer(LocalHttpServer):
    """A tiny HTTP server on 127.0.0.1 answering fixed routes (a context manager)."""

    def __init__(self, routes):
        super().__init__(_Recorder)
        self.routes = routes


def _expiration(seconds_from_now=3600):
    return time.strftime("%Y-%m-%dT%H:%M:%SZ",
                         time.gmtime(time.time() + seconds_from_now))


class _ChainHelpers:
    """A temporary HOME and the helpers every credentials test uses (a mixin
    with no tests of its own)."""

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



class CredentialChainTest(_ChainHelpers, harness.LocalAwsTestCase):
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


    # -- web identity token masked by the tool itself ----------------------------

    def test_web_identity_token_is_masked_by_the_tool(self):
        value = "eyJhbGciOiJSUzI1NiJ9.masked-by-the-tool.c2ln"
        token = self.write("oidc-token", value + "\n")
        result = harness.run_tool(
            "aws-call", ["ecs", "ListClusters"],
            self.env(AWS_WEB_IDENTITY_TOKEN_FILE=token, AWS_ROLE_ARN=ROLE_ARN),
            timeout=60, github_actions=True)
        self.assert_signed_call_succeeded(result)
        self.assertIn("::add-mask::" + value, result.stderr)
        others = [line for line in result.stderr.splitlines()
                  if not line.startswith("::add-mask::")]
        self.assertNotIn(value, "\n".join(others) + result.stdout)


SSO_ACCOUNT = "111122223333"
SSO_CONFIG = """\
    [profile dev]
    sso_session = corp
    sso_account_id = 111122223333
    sso_role_name = Deployer
    [sso-session corp]
    sso_start_url = https://corp.awsapps.com/start
    sso_region = eu-central-1
    sso_registration_scopes = sso:account:access
    [profile legacy]
    sso_start_url = https://old.awsapps.com/start
    sso_region = us-east-2
    sso_account_id = 111122223333
    sso_role_name = ReadOnly
    """


class SsoProfileTest(_ChainHelpers, harness.LocalAwsTestCase):
    """IAM Identity Center profiles: the token `aws sso login` cached under
    ~/.aws/sso/cache/, traded at a local fake of the portal for role
    credentials that the signature-checking proxy accepts."""

    def setUp(self):
        super().setUp()
        self.portal = FakeSsoPortal().start()
        self.addCleanup(self.portal.stop)
        self.role_key = "ASIASSOROLE0001"
        self.aws.add_credentials(self.role_key, "sso-role-secret-value",
                                 "sso-role-session-token")
        self.portal.grant("sso-access-token-value", SSO_ACCOUNT, "Deployer",
                          (self.role_key, "sso-role-secret-value",
                           "sso-role-session-token"))
        self.portal.grant("sso-access-token-value", SSO_ACCOUNT, "ReadOnly",
                          (self.role_key, "sso-role-secret-value",
                           "sso-role-session-token"))
        self.write(".aws/config", SSO_CONFIG)
        os.makedirs(os.path.join(self.home, ".aws", "sso", "cache"))

    def cache(self, key, seconds_from_now=3600, token="sso-access-token-value"):
        """Writes the file `aws sso login` leaves for `key` (the session name,
        or the legacy profile's start URL)."""
        name = hashlib.sha1(key.encode()).hexdigest() + ".json"
        body = {"startUrl": "https://corp.awsapps.com/start", "region": "eu-central-1",
                "accessToken": token, "expiresAt": _expiration(seconds_from_now)}
        if key == "corp":
            body.update(refreshToken="refresh-value", clientId="client-id",
                        clientSecret="client-secret-value",
                        registrationExpiresAt=_expiration(86400))
        self.write(os.path.join(".aws", "sso", "cache", name), json.dumps(body))

    def sso_env(self, profile, **extra):
        return self.env(AWS_PROFILE=profile, AWS_ENDPOINT_URL_SSO=self.portal.url,
                        **extra)

    def test_sso_session_profile(self):
        self.cache("corp")
        result = harness.run_tool("aws-call", ["ecs", "ListClusters"],
                                  self.sso_env("dev"), timeout=60, github_actions=True)
        stats = self.assert_signed_call_succeeded(result)
        self.assertEqual({r["access_key"] for r in stats["requests_log"]}, {self.role_key})
        self.assertEqual(self.portal.seen, [{
            "path": "/federation/credentials",
            "query": {"account_id": SSO_ACCOUNT, "role_name": "Deployer"},
            "token": "sso-access-token-value", "authorization": None}])
        for secret in ("sso-access-token-value", "sso-role-secret-value",
                       "sso-role-session-token"):
            self.assertIn("::add-mask::" + secret, result.stderr)
        self.assertNotIn("refresh-value", result.stderr)

    def test_legacy_profile_through_resolve_network(self):
        self.cache("https://old.awsapps.com/start")
        cluster = "sso-cluster"
        self.aws.client("ecs").create_cluster(clusterName=cluster)
        result = harness.run_tool(
            "resolve-network", ["--cluster", cluster, "--service", "missing",
                                "--subnets", "subnet-1", "--security-groups", "sg-1"],
            self.sso_env("legacy"), timeout=60)
        self.assertEqual(result.returncode, 0, result)
        self.assertEqual(self.portal.seen[0]["query"]["role_name"], "ReadOnly")
        log = self.aws.stats()["requests_log"]
        self.assertTrue(log and {r["access_key"] for r in log} == {self.role_key}, log)

    def test_expired_token_says_to_log_in(self):
        self.cache("corp", seconds_from_now=-60)
        result = harness.run_tool(
            "resolve-network", ["--cluster", "c", "--service", "api"],
            self.sso_env("dev"), timeout=60)
        self.assertEqual(result.returncode, 1, result)
        lines = result.stderr.strip().splitlines()
        self.assertEqual(len(lines), 1, result.stderr)
        self.assertIn("the SSO session has expired; run 'aws sso login --sso-session corp'",
                      lines[0])
        self.assertEqual(self.portal.seen, [])
        self.assertEqual(self.aws.stats()["requests"], {})

    def test_missing_token_names_the_legacy_login(self):
        result = self.call(self.sso_env("legacy"))
        self.assertEqual(result.returncode, 1, result)
        self.assertIn("no cached SSO token", result.stderr)
        self.assertIn("run 'aws sso login --profile legacy'", result.stderr)
        self.assertEqual(self.portal.seen, [])

    def test_token_the_portal_refuses(self):
        self.cache("corp", token="revoked-access-token")
        result = self.call(self.sso_env("dev"))
        self.assertEqual(result.returncode, 1, result)
        self.assertIn("UnauthorizedException", result.stderr)
        self.assertIn("run 'aws sso login --sso-session corp'", result.stderr)
        self.assertNotIn("revoked-access-token", result.stderr)
        self.assertEqual(len(self.portal.seen), 1)
        self.assertEqual(self.aws.stats()["requests"], {})

    def test_role_the_token_may_not_use(self):
        self.write(".aws/config", SSO_CONFIG.replace("Deployer", "Admin"))
        self.cache("corp")
        result = self.call(self.sso_env("dev"))
        self.assertEqual(result.returncode, 1, result)
        self.assertIn("ForbiddenException: No access", result.stderr)
        self.assertIn("role Admin in account 111122223333", result.stderr)

    def test_incomplete_sso_profile_is_a_usage_error(self):
        self.write(".aws/config", "[profile half]\nsso_account_id = 111122223333\n"
                                  "sso_role_name = R\n")
        result = self.call(self.sso_env("half"))
        self.assertEqual(result.returncode, 2, result)
        self.assertIn("is configured for SSO but misses sso_start_url, sso_region",
                      result.stderr)
        self.assertEqual(self.portal.seen, [])


if __name__ == "__main__":
    unittest.main()
