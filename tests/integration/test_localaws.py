"""Self-tests of the local AWS (tests/aws_local) and of the harness.

They need no C++ tool: they drive the proxy with boto3 and hand-signed
requests, the way the tools will.
"""

import datetime
import http.client
import json
import os
import shutil
import signal
import socket
import stat
import tempfile
import time
import unittest
import urllib.parse

import harness
import runner_output

from botocore.auth import SigV4Auth
from botocore.awsrequest import AWSRequest
from botocore.credentials import Credentials
from botocore.exceptions import ClientError

ECS_TARGET = "AmazonEC2ContainerServiceV20141113"


def signed(aws, service, target_or_action, params, secret=None, key=None,
           when=None, token=None, tamper=None):
    """(headers, body) of a SigV4-signed request as a tool would send it.

    when: the signing time (UTC datetime); tamper(body) -> body changes the
    body after signing.
    """
    host = urllib.parse.urlsplit(aws.endpoint).netloc
    if service == "sts":
        body = urllib.parse.urlencode(dict(params, Action=target_or_action,
                                           Version="2011-06-15")).encode()
        headers = {"Content-Type":
                   "application/x-www-form-urlencoded; charset=utf-8"}
    else:
        body = json.dumps(params).encode()
        headers = {"Content-Type": "application/x-amz-json-1.1",
                   "X-Amz-Target": target_or_action}
    headers["Host"] = host
    request = AWSRequest(method="POST", url=f"http://{host}/", data=body,
                         headers=headers)
    credentials = Credentials(key or aws.access_key_id,
                              secret or aws.secret_access_key, token)
    auth = SigV4Auth(credentials, service, aws.region)
    when = when or datetime.datetime.now(datetime.timezone.utc).replace(tzinfo=None)
    request.context["timestamp"] = when.strftime("%Y%m%dT%H%M%SZ")
    request.headers["X-Amz-Date"] = request.context["timestamp"]
    if token:
        request.headers["X-Amz-Security-Token"] = token
    canonical = auth.canonical_request(request)
    string_to_sign = auth.string_to_sign(request, canonical)
    signature = auth.signature(string_to_sign, request)
    request.headers["Authorization"] = (
        f"AWS4-HMAC-SHA256 Credential={auth.scope(request)}, "
        f"SignedHeaders={auth.signed_headers(auth.headers_to_sign(request))}, "
        f"Signature={signature}")
    if tamper:
        body = tamper(body)
    return dict(request.headers.items()), body


def post(aws, headers, body, conn=None):
    """(status, headers dict, body bytes) of a POST to the proxy."""
    own = conn is None
    if own:
        url = urllib.parse.urlsplit(aws.endpoint)
        conn = http.client.HTTPConnection(url.hostname, url.port, timeout=30)
    try:
        conn.request("POST", "/", body=body, headers=headers)
        response = conn.getresponse()
        return (response.status, {k.lower(): v for k, v in
                                  response.getheaders()}, response.read())
    finally:
        if own:
            conn.close()


def ecs_call(aws, operation, params, **kwargs):
    headers, body = signed(aws, "ecs", f"{ECS_TARGET}.{operation}", params,
                           **kwargs)
    return post(aws, headers, body)


class RunnerOutputTest(unittest.TestCase):

    def test_key_value_splits_on_first_equals(self):
        self.assertEqual(runner_output.parse("a=1\nb=x=y\nc=\n"),
                         [("a", "1"), ("b", "x=y"), ("c", "")])

    def test_heredoc(self):
        text = "files<<ghadelimiter_1\nx.sql\ny=z\n\nEOF\nghadelimiter_1\n"
        self.assertEqual(runner_output.parse(text),
                         [("files", "x.sql\ny=z\n\nEOF")])

    def test_value_equal_to_eof_under_another_delimiter(self):
        self.assertEqual(runner_output.parse("v<<D1\nEOF\nD1\n"), [("v", "EOF")])

    def test_empty_heredoc(self):
        self.assertEqual(runner_output.parse("v<<D\nD\nw=1\n"),
                         [("v", ""), ("w", "1")])

    def test_empty_lines_skipped(self):
        self.assertEqual(runner_output.parse("\n\na=1\n\n"), [("a", "1")])

    def test_cr_is_kept(self):
        # On Linux the runner splits on LF only.
        self.assertEqual(runner_output.parse("a=1\r\nb<<D\nx\r\nD\n"),
                         [("a", "1\r"), ("b", "x\r")])
        # A delimiter line ending in CR is not the delimiter.
        with self.assertRaises(ValueError):
            runner_output.parse("b<<D\nx\nD\r\n")

    def test_first_of_equals_or_heredoc_decides(self):
        self.assertEqual(runner_output.parse("a=b<<c\n"), [("a", "b<<c")])
        self.assertEqual(runner_output.parse("a<<b=c\nline\nb=c\n"),
                         [("a", "line")])

    def test_unicode(self):
        self.assertEqual(runner_output.parse("ключ=значение ✓\nf<<Δ\n日本\nΔ\n"),
                         [("ключ", "значение ✓"), ("f", "日本")])
        self.assertEqual(runner_output.parse("a=é\n".encode()), [("a", "é")])

    def test_last_value_wins_in_dict(self):
        self.assertEqual(runner_output.parse_dict("a=1\na=2\n"), {"a": "2"})

    def test_errors(self):
        for text in ("v<<EOF\nno end\n",  # missing delimiter
                     "=value\n",  # empty key
                     "<<EOF\nx\nEOF\n",  # empty key
                     "v<<\nx\n",  # empty delimiter
                     "just a line\n",  # neither form
                     "v<<EOF\nlast line without newline"):
            with self.subTest(text=text), self.assertRaises(ValueError):
                runner_output.parse(text)

    def test_delimiter_may_end_the_file_without_newline(self):
        self.assertEqual(runner_output.parse("v<<EOF\nx\nEOF"), [("v", "x")])


def _sigv4_vectors():
    """(name, method, target, headers, body) of AWS's SigV4 test suite, with
    each request's Authorization from its .authz (one .sreq is stale)."""
    root = os.environ.get("ECSMIG_SIGV4_VECTORS") or os.path.join(
        harness.SOURCE_DIR, "tests", "data", "sigv4")
    vectors = []
    for dirpath, _, files in sorted(os.walk(root)):
        for name in sorted(f for f in files if f.endswith(".sreq")):
            with open(os.path.join(dirpath, name), "rb") as f:
                raw = f.read().decode("utf-8")
            head, _, body = raw.partition("\n\n")
            lines = head.split("\n")
            method, rest = lines[0].split(" ", 1)
            target = rest.rsplit(" ", 1)[0]
            headers = []
            for line in lines[1:]:
                if line[:1] in (" ", "\t") and headers:  # A folded value.
                    headers[-1] = (headers[-1][0], headers[-1][1] + "\n" + line)
                else:
                    key, _, value = line.partition(":")
                    headers.append((key, value))
            authz = os.path.join(dirpath, name[:-5] + ".authz")
            if os.path.exists(authz):
                with open(authz) as f:
                    headers = [(k, v) for k, v in headers
                               if k.lower() != "authorization"]
                    headers.append(("Authorization", f.read().strip()))
            # On the wire a query is percent-encoded; the suite shows it raw.
            path, mark, query = target.partition("?")
            if mark:
                target = path + "?" + urllib.parse.quote(query, safe="=&%-_.~")
            vectors.append((name[:-5], method, target, headers, body.encode()))
    return vectors


class SigV4SuiteTest(unittest.TestCase):
    """The proxy's checker against AWS's own SigV4 test vectors."""

    def setUp(self):
        import sys
        sys.path.insert(0, os.path.join(harness.SOURCE_DIR, "tests",
                                        "aws_local"))
        import sigv4check
        self.sigv4check = sigv4check
        self.vectors = _sigv4_vectors()
        if not self.vectors:
            self.skipTest("no SigV4 test vectors in tests/data/sigv4")

    def verify(self, method, target, headers, body):
        store = self.sigv4check.CredentialStore()
        token = [v for k, v in headers if k.lower() == "x-amz-security-token"]
        store.add("AKIDEXAMPLE", "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY",
                  token[0] if token else None)
        return self.sigv4check.verify(method, target, headers, body, store,
                                      datetime.datetime(2015, 8, 30, 12, 36))

    def test_every_vector_verifies(self):
        self.assertGreaterEqual(len(self.vectors), 30)
        for name, method, target, headers, body in self.vectors:
            with self.subTest(vector=name):
                self.verify(method, target, headers, body)

    def test_a_changed_signature_or_request_fails(self):
        for name, method, target, headers, body in self.vectors:
            changed = [(k, v[:-1] + ("0" if v[-1] != "0" else "1"))
                       if k.lower() == "authorization" else (k, v)
                       for k, v in headers]
            with self.subTest(vector=name, change="signature"):
                with self.assertRaises(self.sigv4check.SignatureError):
                    self.verify(method, target, changed, body)
            with self.subTest(vector=name, change="method"):
                with self.assertRaises(self.sigv4check.SignatureError):
                    self.verify("PUT", target, headers, body)


class SignatureTest(harness.LocalAwsTestCase):

    def test_accepts_boto3_through_the_proxy(self):
        ecs = self.aws.proxy_client("ecs")
        self.assertEqual(ecs.list_clusters()["clusterArns"], [])
        stats = self.aws.stats()
        self.assertEqual(stats["calls"], {"ecs:ListClusters": 1})
        self.assertEqual(stats["signature_failures"], 0)

    def test_rejects_wrong_secret(self):
        status, headers, body = ecs_call(self.aws, "ListClusters", {},
                                         secret="not-the-secret")
        self.assertEqual(status, 403)
        self.assertEqual(json.loads(body)["__type"], "InvalidSignatureException")
        stats = self.aws.stats()
        self.assertEqual(stats["signature_failures"], 1)
        self.assertEqual(stats["calls"], {})
        self.assertEqual(stats["requests"], {"ecs:ListClusters": 1})

    def test_rejects_wrong_secret_through_boto3(self):
        import boto3
        from botocore.config import Config
        ecs = boto3.client("ecs", endpoint_url=self.aws.endpoint,
                           region_name=self.aws.region,
                           aws_access_key_id=self.aws.access_key_id,
                           aws_secret_access_key="wrong",
                           config=Config(retries={"max_attempts": 1}))
        with self.assertRaises(ClientError) as caught:
            ecs.list_clusters()
        self.assertEqual(caught.exception.response["Error"]["Code"],
                         "InvalidSignatureException")

    def test_hand_signed_request_is_accepted(self):
        status, _, body = ecs_call(self.aws, "ListClusters", {})
        self.assertEqual(status, 200, body)

    def test_rejects_tampered_body_unknown_key_and_missing_signature(self):
        status, _, body = ecs_call(self.aws, "ListClusters", {"maxResults": 1},
                                   tamper=lambda b: b.replace(b"1", b"2"))
        self.assertEqual((status, json.loads(body)["__type"]),
                         (403, "InvalidSignatureException"))
        status, _, body = ecs_call(self.aws, "ListClusters", {},
                                   key="AKIAUNKNOWN000000000")
        self.assertEqual((status, json.loads(body)["__type"]),
                         (403, "UnrecognizedClientException"))
        status, _, body = post(self.aws, {
            "Content-Type": "application/x-amz-json-1.1",
            "X-Amz-Target": f"{ECS_TARGET}.ListClusters"}, b"{}")
        self.assertEqual((status, json.loads(body)["__type"]),
                         (403, "MissingAuthenticationTokenException"))
        self.assertEqual(self.aws.stats()["signature_failures"], 3)

    def test_sts_signature_error_is_query_shaped(self):
        headers, body = signed(self.aws, "sts", "GetCallerIdentity", {},
                               secret="wrong")
        status, _, payload = post(self.aws, headers, body)
        self.assertEqual(status, 403)
        self.assertIn(b"<Code>SignatureDoesNotMatch</Code>", payload)
        self.assertIn(b"<Type>Sender</Type>", payload)

    def test_clock_skew(self):
        now = datetime.datetime.now(datetime.timezone.utc).replace(tzinfo=None)
        status, _, _ = ecs_call(self.aws, "ListClusters", {},
                                when=now - datetime.timedelta(minutes=4))
        self.assertEqual(status, 200)
        status, headers, body = ecs_call(
            self.aws, "ListClusters", {}, when=now - datetime.timedelta(minutes=6))
        self.assertEqual(status, 403)
        error = json.loads(body)
        self.assertEqual(error["__type"], "InvalidSignatureException")
        self.assertTrue(error["message"].startswith("Signature expired: "),
                        error["message"])
        # The proxy's clock moves; its Date header says so.
        self.aws.set_clock_offset(3600)
        status, headers, body = ecs_call(self.aws, "ListClusters", {})
        self.assertEqual(status, 403)
        server_date = datetime.datetime.strptime(headers["date"],
                                                 "%a, %d %b %Y %H:%M:%S GMT")
        self.assertAlmostEqual(
            (server_date - datetime.datetime.now(datetime.timezone.utc).replace(tzinfo=None)).total_seconds(), 3600,
            delta=5)
        # Signing with the server's time (what a skew-correcting client does)
        # is accepted.
        status, _, body = ecs_call(self.aws, "ListClusters", {},
                                   when=server_date)
        self.assertEqual(status, 200, body)

    def test_learns_sts_temporary_credentials(self):
        sts = self.aws.proxy_client("sts")
        creds = sts.assume_role(
            RoleArn="arn:aws:iam::123456789012:role/migrator",
            RoleSessionName="ecsmig")["Credentials"]
        status, _, body = ecs_call(self.aws, "ListClusters", {},
                                   key=creds["AccessKeyId"],
                                   secret=creds["SecretAccessKey"],
                                   token=creds["SessionToken"])
        self.assertEqual(status, 200, body)
        status, _, body = ecs_call(self.aws, "ListClusters", {},
                                   key=creds["AccessKeyId"],
                                   secret=creds["SecretAccessKey"])
        self.assertEqual(status, 403, body)
        status, _, body = ecs_call(self.aws, "ListClusters", {},
                                   key=creds["AccessKeyId"], secret="wrong",
                                   token=creds["SessionToken"])
        self.assertEqual(status, 403, body)

    def test_web_identity_is_unsigned(self):
        body = urllib.parse.urlencode({
            "Action": "AssumeRoleWithWebIdentity", "Version": "2011-06-15",
            "RoleArn": "arn:aws:iam::123456789012:role/gha",
            "RoleSessionName": "gha", "WebIdentityToken": "eyJ.token.sig"
        }).encode()
        status, _, payload = post(self.aws, {
            "Content-Type": "application/x-www-form-urlencoded"}, body)
        self.assertEqual(status, 200, payload)
        self.assertIn(b"<SessionToken>", payload)
        self.assertEqual(self.aws.stats()["calls"],
                         {"sts:AssumeRoleWithWebIdentity": 1})

    def test_keep_alive_connection_is_reused(self):
        url = urllib.parse.urlsplit(self.aws.endpoint)
        conn = http.client.HTTPConnection(url.hostname, url.port, timeout=30)
        try:
            first_socket = None
            for _ in range(3):
                headers, body = signed(self.aws, "ecs",
                                       f"{ECS_TARGET}.ListClusters", {})
                status, response_headers, _ = post(self.aws, headers, body, conn)
                self.assertEqual(status, 200)
                self.assertNotEqual(response_headers.get("connection"), "close")
                first_socket = first_socket or conn.sock
            self.assertIs(conn.sock, first_socket)
        finally:
            conn.close()


class FaultTest(harness.LocalAwsTestCase):

    def _statuses(self, n, operation="ListClusters"):
        statuses = []
        for _ in range(n):
            try:
                status, _, body = ecs_call(self.aws, operation, {})
            except (ConnectionError, http.client.HTTPException):
                status, body = "reset", b""
            statuses.append((status, body))
        return statuses

    def test_throttle_rate_is_roughly_as_configured_and_seeded(self):
        self.aws.set_faults(throttle=0.3, seed=7,
                            operations=["ecs:ListClusters"])
        first = [s for s, _ in self._statuses(300)]
        rate = first.count(400) / len(first)
        self.assertGreater(rate, 0.22)
        self.assertLess(rate, 0.38)
        self.aws.set_faults(throttle=0.3, seed=7,
                            operations=["ecs:ListClusters"])
        again = [s for s, _ in self._statuses(300)]
        self.assertEqual(first, again)
        stats = self.aws.stats()
        self.assertEqual(stats["requests"]["ecs:ListClusters"], 600)
        self.assertEqual(stats["calls"]["ecs:ListClusters"],
                         first.count(200) * 2)

    def test_mixed_rates(self):
        self.aws.set_faults(error_5xx=0.2, reset_before=0.2, malformed=0.2,
                            seed=3)
        results = self._statuses(250)
        counts = {}
        for status, body in results:
            if status == 200:
                try:
                    json.loads(body)
                    kind = "ok"
                except ValueError:
                    kind = "malformed"
            else:
                kind = status
            counts[kind] = counts.get(kind, 0) + 1
        # Faults are tried in a fixed order: 5xx, reset, malformed.
        self.assertAlmostEqual(counts.get(500, 0) / 250, 0.2, delta=0.07)
        self.assertAlmostEqual(counts.get("reset", 0) / 250, 0.8 * 0.2,
                               delta=0.07)
        self.assertAlmostEqual(counts.get("malformed", 0) / 250,
                               0.8 * 0.8 * 0.2, delta=0.07)

    def test_error_shapes(self):
        self.aws.inject("ecs:ListClusters", [
            {"status": 400, "code": "ThrottlingException"}, {"status": 500}])
        status, _, body = ecs_call(self.aws, "ListClusters", {})
        self.assertEqual((status, json.loads(body)),
                         (400, {"__type": "ThrottlingException",
                                "message": "Rate exceeded"}))
        status, _, body = ecs_call(self.aws, "ListClusters", {})
        self.assertEqual((status, json.loads(body)["__type"]),
                         (500, "ServerException"))
        self.aws.set_faults(throttle=1.0, operations=["sts:GetCallerIdentity"])
        headers, body = signed(self.aws, "sts", "GetCallerIdentity", {})
        status, _, payload = post(self.aws, headers, body)
        self.assertEqual(status, 400)
        self.assertIn(b"<Type>Sender</Type><Code>Throttling</Code>", payload)
        status, _, _ = ecs_call(self.aws, "ListClusters", {})
        self.assertEqual(status, 200)  # Not in operations.

    def test_scripted_resets_and_malformed(self):
        self.aws.inject("ecs:CreateCluster", [
            {"reset": "before"}, {"reset": "after"}, {"malformed": True}])
        for _ in range(2):
            with self.assertRaises((ConnectionError, http.client.HTTPException)):
                ecs_call(self.aws, "CreateCluster", {"clusterName": "faulted"})
        status, _, body = ecs_call(self.aws, "CreateCluster",
                                   {"clusterName": "faulted"})
        self.assertEqual(status, 200)
        with self.assertRaises(ValueError):
            json.loads(body)
        status, _, body = ecs_call(self.aws, "CreateCluster",
                                   {"clusterName": "faulted"})
        self.assertEqual(status, 200)
        self.assertEqual(json.loads(body)["cluster"]["clusterName"], "faulted")
        stats = self.aws.stats()
        # reset_before never reached moto; reset_after did (the server acted).
        self.assertEqual(stats["requests"]["ecs:CreateCluster"], 4)
        self.assertEqual(stats["calls"]["ecs:CreateCluster"], 2)
        self.assertEqual([e["fault"] for e in stats["requests_log"]],
                         ["scripted reset_before", "scripted reset_after",
                          "scripted malformed", None])

    def test_scripted_answer_and_request_log(self):
        answer = {"tasks": [], "failures": [
            {"arn": "arn:aws:ecs:us-east-1:123456789012:container-instance/x",
             "reason": "RESOURCE:MEMORY"}]}
        self.aws.inject("ecs:RunTask", [{"body": answer}])
        status, _, body = ecs_call(self.aws, "RunTask", {
            "cluster": "c", "taskDefinition": "td", "clientToken": "t-1"})
        self.assertEqual((status, json.loads(body)), (200, answer))
        self.assertEqual(self.aws.requests("ecs:RunTask"), [
            {"cluster": "c", "taskDefinition": "td", "clientToken": "t-1"}])
        entry = self.aws.stats()["requests_log"][0]
        self.assertEqual(entry["access_key"], self.aws.access_key_id)
        self.assertEqual(self.aws.stats()["calls"], {})

    def test_slow(self):
        self.aws.set_faults(slow=1.0, slow_seconds=0.4,
                            operations=["ecs:ListClusters"])
        started = time.time()
        status, _, _ = ecs_call(self.aws, "ListClusters", {})
        self.assertEqual(status, 200)
        self.assertGreaterEqual(time.time() - started, 0.4)

    def test_bad_fault_config_is_refused(self):
        with self.assertRaises(harness.LocalAwsError):
            self.aws.set_faults(throttle=1.5)
        with self.assertRaises(harness.LocalAwsError):
            self.aws.inject("ecs:RunTask", [{"reset": "sideways"}])


class LifecycleTest(harness.LocalAwsTestCase):
    # The orderly ECS these tests were written for; the MISSING window, the
    # stop sequence and stops from outside are tested in test_wait_task_ecs.
    aws_options = {"timing": "instant"}

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.seeded = cls.aws.seed_service(containers=[
            {"name": "app", "command": ["node", "server.js"]},
            {"name": "sidecar", "essential": False}])
        cls.ecs = cls.aws.proxy_client("ecs")

    def run_task(self, **kwargs):
        return self.aws.run_service_task(self.seeded, **kwargs)

    def test_security_groups_may_be_omitted(self):
        task = self.run_task(networkConfiguration={"awsvpcConfiguration": {
            "subnets": self.seeded["subnets"]}})
        self.wait_stopped(task["taskArn"])

    def describe(self, arn):
        return self.ecs.describe_tasks(cluster=self.seeded["cluster"],
                                       tasks=[arn])["tasks"][0]

    def wait_stopped(self, arn, timeout=20):
        seen = []
        deadline = time.time() + timeout
        while time.time() < deadline:
            task = self.describe(arn)
            if not seen or seen[-1] != task["lastStatus"]:
                seen.append(task["lastStatus"])
            if task["lastStatus"] == "STOPPED":
                return task, seen
            time.sleep(0.05)
        self.fail(f"{arn} did not stop; saw {seen}")

    def tearDown(self):
        stats = self.aws.stats()
        self.assertEqual(stats["model_violations"], [])
        self.assertEqual(stats["internal_errors"], [])
        super().tearDown()

    def test_default_lifecycle(self):
        task = self.run_task(startedBy="ecsmig")
        self.assertEqual(task["lastStatus"], "PROVISIONING")
        task, seen = self.wait_stopped(task["taskArn"])
        self.assertEqual(seen, ["PROVISIONING", "PENDING", "RUNNING", "STOPPED"])
        self.assertEqual(task["stopCode"], "EssentialContainerExited")
        self.assertEqual(task["desiredStatus"], "STOPPED")
        self.assertEqual({c["name"]: c["exitCode"] for c in task["containers"]},
                         {"app": 0, "sidecar": 0})
        self.assertLessEqual(task["startedAt"], task["stoppedAt"])
        # The awslogs driver made each container's stream, without output.
        task_id = task["taskArn"].rsplit("/", 1)[1]
        streams = self.aws.client("logs").describe_log_streams(
            logGroupName="/ecs/api", logStreamNamePrefix="ecs/")["logStreams"]
        names = {s["logStreamName"] for s in streams}
        self.assertLessEqual({f"ecs/app/{task_id}", f"ecs/sidecar/{task_id}"},
                             names)
        self.assertGreater((task["stoppedAt"] - task["startedAt"]).total_seconds(),
                           0.9)

    def test_scripted_exit_codes_reasons_and_logs(self):
        self.aws.script_next_task(
            statuses=[("PENDING", 0.1), ("RUNNING", 0.3)],
            exit_codes={"app": 3}, container_reasons={"app": "boom"},
            stopped_reason="Essential container in task exited",
            log_lines={"app": ["Applying migration 001_init", "Error: P3009"]})
        task = self.run_task(overrides={"containerOverrides": [
            {"name": "app", "command": ["npx", "prisma", "migrate", "deploy"]}]})
        task, _ = self.wait_stopped(task["taskArn"])
        app = [c for c in task["containers"] if c["name"] == "app"][0]
        self.assertEqual((app["exitCode"], app["reason"]), (3, "boom"))
        self.assertEqual(task["overrides"]["containerOverrides"][0]["command"],
                         ["npx", "prisma", "migrate", "deploy"])
        task_id = task["taskArn"].rsplit("/", 1)[1]
        events = self.aws.client("logs").get_log_events(
            logGroupName="/ecs/api", logStreamName=f"ecs/app/{task_id}",
            startFromHead=True)["events"]
        self.assertEqual([e["message"] for e in events],
                         ["Applying migration 001_init", "Error: P3009"])

    def test_log_lines_arrive_over_time(self):
        self.aws.script_next_task(statuses=[("RUNNING", 1.0)],
                                  log_lines={"app": ["one", "two", "three"]},
                                  log_interval=0.4)
        task = self.run_task()
        arn = task["taskArn"]
        task_id = arn.rsplit("/", 1)[1]
        logs = self.aws.client("logs")

        def messages():
            try:
                return [e["message"] for e in logs.get_log_events(
                    logGroupName="/ecs/api", logStreamName=f"ecs/app/{task_id}",
                    startFromHead=True)["events"]]
            except logs.exceptions.ResourceNotFoundException:
                return []

        self.aws.wait_for_task_status(arn, "RUNNING")
        time.sleep(0.1)
        early = messages()
        self.assertIn(early, (["one"], ["one", "two"]))
        task, _ = self.wait_stopped(arn)
        self.assertEqual(messages(), ["one", "two", "three"])

    def test_missing_exit_code_and_failure_to_start(self):
        self.aws.script_next_task(statuses=[("RUNNING", 0.1)],
                                  missing_exit_code=True)
        task, _ = self.wait_stopped(self.run_task()["taskArn"])
        self.assertTrue(all("exitCode" not in c for c in task["containers"]))
        self.aws.script_next_task(fail_to_start=True)
        task, seen = self.wait_stopped(self.run_task()["taskArn"])
        self.assertNotIn("RUNNING", seen)
        self.assertEqual(task["stopCode"], "TaskFailedToStart")
        self.assertTrue(task["stoppedReason"].startswith(
            "CannotPullContainerError"))
        self.assertNotIn("startedAt", task)
        for container in task["containers"]:
            self.assertNotIn("exitCode", container)
            self.assertTrue(container["reason"].startswith(
                "CannotPullContainerError"))

    def test_client_token_idempotency(self):
        first = self.run_task(clientToken="run-1-attempt-1", startedBy="ecsmig")
        again = self.run_task(clientToken="run-1-attempt-1", startedBy="ecsmig")
        self.assertEqual(first["taskArn"], again["taskArn"])
        status, headers, body = ecs_call(self.aws, "RunTask", dict(
            cluster=self.seeded["cluster"],
            taskDefinition=self.seeded["task_definition_arn"],
            launchType="FARGATE", clientToken="run-1-attempt-1",
            startedBy="ecsmig", networkConfiguration={"awsvpcConfiguration": {
                "subnets": self.seeded["subnets"],
                "securityGroups": self.seeded["security_groups"]}}))
        self.assertEqual(status, 200)
        self.assertEqual(headers["content-type"], "application/x-amz-json-1.1")
        self.assertEqual(json.loads(body)["tasks"][0]["taskArn"],
                         first["taskArn"])
        with self.assertRaises(ClientError) as caught:
            self.run_task(clientToken="run-1-attempt-1", startedBy="other")
        self.assertEqual(caught.exception.response["Error"]["Code"],
                         "InvalidParameterException")
        mine = [t for t in self.aws.tasks()
                if t["client_token"] == "run-1-attempt-1"]
        self.assertEqual(len(mine), 1)
        self.wait_stopped(first["taskArn"])

    def test_retry_after_lost_answer_starts_one_task(self):
        self.aws.inject("ecs:RunTask", [{"reset": "after"}])
        before = len(self.aws.tasks())
        from botocore.exceptions import ConnectionClosedError
        with self.assertRaises((ConnectionClosedError, ConnectionError)):
            self.run_task(clientToken="lost-answer")
        task = self.run_task(clientToken="lost-answer")
        self.assertEqual(len(self.aws.tasks()), before + 1)
        self.wait_stopped(task["taskArn"])

    def test_stop_task_and_list_tasks(self):
        self.aws.script_next_task(statuses=[("RUNNING", 600)])
        task = self.run_task(startedBy="migrations")
        arn = task["taskArn"]
        running = self.ecs.list_tasks(cluster=self.seeded["cluster"],
                                      startedBy="migrations")["taskArns"]
        self.assertEqual(running, [arn])
        stopped = self.ecs.stop_task(cluster=self.seeded["cluster"], task=arn,
                                     reason="cancelled by ecsmig")["task"]
        self.assertEqual(stopped["desiredStatus"], "STOPPED")
        task = self.describe(arn)
        self.assertEqual((task["lastStatus"], task["stopCode"],
                          task["stoppedReason"]),
                         ("STOPPED", "UserInitiated", "cancelled by ecsmig"))
        record = [t for t in self.aws.tasks() if t["arn"] == arn][0]
        self.assertTrue(record["stopped_by_user"])
        self.assertEqual(record["stop_reason"], "cancelled by ecsmig")
        self.assertEqual(self.ecs.list_tasks(cluster=self.seeded["cluster"],
                                             startedBy="migrations",
                                             desiredStatus="RUNNING")["taskArns"],
                         [])
        self.assertIn(arn, self.ecs.list_tasks(
            cluster=self.seeded["cluster"], desiredStatus="STOPPED")["taskArns"])

    def test_capacity_provider_strategy_run_task(self):
        task = self.ecs.run_task(
            cluster=self.seeded["cluster"],
            taskDefinition=self.seeded["task_definition_arn"],
            capacityProviderStrategy=[{"capacityProvider": "FARGATE_SPOT",
                                       "weight": 1}],
            networkConfiguration={"awsvpcConfiguration": {
                "subnets": self.seeded["subnets"]}})["tasks"][0]
        self.assertEqual(task["capacityProviderName"], "FARGATE_SPOT")
        self.wait_stopped(task["taskArn"])

    def test_invalid_request_is_a_model_violation(self):
        status, _, _ = ecs_call(self.aws, "DescribeTasks", {
            "cluster": self.seeded["cluster"], "tasks": "not-a-list"})
        violations = self.aws.stats()["model_violations"]
        self.assertTrue(any("DescribeTasks" in v and "tasks" in v
                            for v in violations), violations)
        self.aws.reset_stats()  # tearDown checks there are no others.


class LeftoverTest(unittest.TestCase):

    def test_running_task_at_exit_fails_unless_allowed(self):
        aws = harness.LocalAws()
        try:
            seeded = aws.seed_service()
            aws.script_next_task(statuses=[("RUNNING", 600)])
            aws.proxy_client("ecs").run_task(
                cluster=seeded["cluster"], launchType="FARGATE",
                taskDefinition=seeded["task_definition_arn"],
                networkConfiguration={"awsvpcConfiguration": {
                    "subnets": seeded["subnets"]}})
            self.assertEqual(len(aws.leftover_tasks()), 1)
            with self.assertRaises(AssertionError):
                aws.assert_no_leftovers()
            aws.allow_leftovers()
            aws.assert_no_leftovers()
            aws._allow_leftovers = False
        except BaseException:
            aws.close()
            raise
        with self.assertRaises(AssertionError) as caught:
            aws.__exit__(None, None, None)
        self.assertIn("tasks left running", str(caught.exception))
        self.assertIsNotNone(aws._proc.poll())  # Closed all the same.


class ExecModeTest(harness.LocalAwsTestCase):
    aws_options = {"exec_mode": True, "timing": "instant"}

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.seeded = cls.aws.seed_service(
            containers=[{"name": "app", "command": ["true"],
                         "environment": [{"name": "FROM_DEF", "value": "d"}]}])
        cls.ecs = cls.aws.proxy_client("ecs")

    def run_command(self, command, environment=()):
        return self.ecs.run_task(
            cluster=self.seeded["cluster"], launchType="FARGATE",
            taskDefinition=self.seeded["task_definition_arn"],
            networkConfiguration={"awsvpcConfiguration": {
                "subnets": self.seeded["subnets"]}},
            overrides={"containerOverrides": [{
                "name": "app", "command": command,
                "environment": list(environment)}]})["tasks"][0]["taskArn"]

    def wait_stopped(self, arn, timeout=20):
        deadline = time.time() + timeout
        seen = set()
        while time.time() < deadline:
            task = self.ecs.describe_tasks(cluster=self.seeded["cluster"],
                                           tasks=[arn])["tasks"][0]
            seen.add(task["lastStatus"])
            if task["lastStatus"] == "STOPPED":
                return task, seen
            time.sleep(0.05)
        self.fail(f"{arn} did not stop")

    def messages(self, arn):
        task_id = arn.rsplit("/", 1)[1]
        events = self.aws.client("logs").get_log_events(
            logGroupName="/ecs/api", logStreamName=f"ecs/app/{task_id}",
            startFromHead=True)["events"]
        return [e["message"] for e in events]

    def test_runs_command_logs_and_exit_code(self):
        arn = self.run_command(["sh", "-c", "echo hi; exit 3"])
        task, _ = self.wait_stopped(arn)
        self.assertEqual(task["containers"][0]["exitCode"], 3)
        self.assertEqual(task["stopCode"], "EssentialContainerExited")
        self.assertEqual(self.messages(arn), ["hi"])

    def test_environment_and_no_shell(self):
        arn = self.run_command(
            ["sh", "-c", 'echo "$FROM_DEF $FROM_OVERRIDE"; sleep 0.3'],
            [{"name": "FROM_OVERRIDE", "value": "o"}])
        task, seen = self.wait_stopped(arn)
        self.assertIn("RUNNING", seen)
        self.assertEqual(task["containers"][0]["exitCode"], 0)
        self.assertEqual(self.messages(arn), ["d o"])
        # A command that is not "sh -c" runs without a shell.
        arn = self.run_command(["echo", "$HOME", ";", "false"])
        task, _ = self.wait_stopped(arn)
        self.assertEqual(task["containers"][0]["exitCode"], 0)
        self.assertEqual(self.messages(arn), ["$HOME ; false"])

    def test_stop_task_terminates_the_process(self):
        arn = self.run_command(["sh", "-c", "echo started; exec sleep 30"])
        self.aws.wait_for_task_status(arn, "RUNNING")
        started = time.time()
        self.ecs.stop_task(cluster=self.seeded["cluster"], task=arn,
                           reason="cancel")
        task, _ = self.wait_stopped(arn)
        self.assertLess(time.time() - started, 5)
        self.assertEqual(task["stopCode"], "UserInitiated")
        self.assertEqual(task["containers"][0]["exitCode"], 143)

    def test_entry_point_is_honoured(self):
        ecs = self.aws.client("ecs")
        definition = ecs.register_task_definition(
            family="entry", networkMode="awsvpc", cpu="256", memory="512",
            requiresCompatibilities=["FARGATE"], containerDefinitions=[{
                "name": "app", "image": "x", "essential": True,
                "entryPoint": ["sh", "-c"], "command": ["echo from-definition"],
                "logConfiguration": {"logDriver": "awslogs", "options": {
                    "awslogs-group": "/ecs/api", "awslogs-region": "us-east-1",
                    "awslogs-stream-prefix": "ecs"}}}])["taskDefinition"]
        arn = self.ecs.run_task(
            cluster=self.seeded["cluster"], launchType="FARGATE",
            taskDefinition=definition["taskDefinitionArn"],
            networkConfiguration={"awsvpcConfiguration": {
                "subnets": self.seeded["subnets"]}})["tasks"][0]["taskArn"]
        task, _ = self.wait_stopped(arn)
        self.assertEqual(task["containers"][0]["exitCode"], 0)
        self.assertEqual(self.messages(arn), ["from-definition"])

    def test_missing_executable_fails_to_start(self):
        arn = self.run_command(["/nonexistent/migrate"])
        task, _ = self.wait_stopped(arn)
        self.assertEqual(task["stopCode"], "TaskFailedToStart")
        self.assertNotIn("exitCode", task["containers"][0])
        self.assertIn("CannotStartContainerError",
                      task["containers"][0]["reason"])


FAKE_TOOL = r"""#!/bin/sh
# A stand-in for an ecsmig tool: outputs, a summary, and signal handling.
printf 'plain=%s\n' "$1" >> "$GITHUB_OUTPUT"
printf 'multi<<ghadelimiter_x\nline 1\nEOF\nghadelimiter_x\n' >> "$GITHUB_OUTPUT"
printf 'endpoint=%s\n' "$AWS_ENDPOINT_URL" >> "$GITHUB_OUTPUT"
printf 'actions=%s\n' "${GITHUB_ACTIONS:-unset}" >> "$GITHUB_OUTPUT"
printf '### summary\n' >> "$GITHUB_STEP_SUMMARY"
echo "fake-tool: to stderr" >&2
if [ "$1" = "wait" ]; then
  trap 'echo cancelled >&2; echo "result=cancelled" >> "$GITHUB_OUTPUT"; exit 143' TERM
  while :; do sleep 0.05; done
fi
if [ "$1" = "bad" ]; then printf 'broken<<X\nno end\n' >> "$GITHUB_OUTPUT"; fi
cat >/dev/null
exit 7
"""


class HarnessTest(unittest.TestCase):

    @classmethod
    def setUpClass(cls):
        cls.aws = harness.LocalAws(lifecycle=False)
        cls.bin_dir = tempfile.mkdtemp(prefix="fake-bin-")
        path = os.path.join(cls.bin_dir, "fake-tool")
        with open(path, "w") as f:
            f.write(FAKE_TOOL)
        os.chmod(path, os.stat(path).st_mode | stat.S_IXUSR)
        cls.saved_bin_dir = harness.BIN_DIR
        harness.BIN_DIR = cls.bin_dir

    @classmethod
    def tearDownClass(cls):
        harness.BIN_DIR = cls.saved_bin_dir
        cls.aws.close()

    def test_env_is_clean(self):
        os.environ["GITHUB_OUTPUT_LEAK_CHECK"] = "x"
        try:
            env = self.aws.env(EXTRA="1", AWS_REGION=None)
        finally:
            del os.environ["GITHUB_OUTPUT_LEAK_CHECK"]
        self.assertFalse([k for k in env if k.startswith("GITHUB_")])
        self.assertEqual(env["AWS_ENDPOINT_URL"], self.aws.endpoint)
        self.assertEqual(env["EXTRA"], "1")
        self.assertNotIn("AWS_REGION", env)
        self.assertEqual(os.listdir(env["HOME"]), [])

    def test_run_tool_reads_outputs_like_the_runner(self):
        result = harness.run_tool("fake-tool", ["a=b<<c"], self.aws.env(),
                                  github_actions=True, input="ignored")
        self.assertEqual(result.returncode, 7)
        self.assertEqual(result.output_pairs, [
            ("plain", "a=b<<c"), ("multi", "line 1\nEOF"),
            ("endpoint", self.aws.endpoint), ("actions", "true")])
        self.assertEqual(result.summary, "### summary\n")
        self.assertIn("fake-tool: to stderr", result.stderr)

    def test_unparseable_output_fails(self):
        with self.assertRaises(harness.OutputFormatError):
            harness.run_tool("fake-tool", ["bad"], self.aws.env())

    def test_given_output_file_is_appended(self):
        with tempfile.NamedTemporaryFile("w", delete=False) as f:
            f.write("earlier=1\n")
        try:
            result = harness.run_tool("fake-tool", ["x"],
                                      self.aws.env(GITHUB_OUTPUT=f.name))
            self.assertEqual(result.output_pairs[0], ("earlier", "1"))
        finally:
            os.unlink(f.name)

    def test_start_tool_and_signal(self):
        running = harness.start_tool("fake-tool", ["wait"], self.aws.env())
        deadline = time.time() + 10
        while "to stderr" not in running.stderr_so_far():
            self.assertLess(time.time(), deadline)
            time.sleep(0.02)
        running.send_signal(signal.SIGTERM)
        result = running.wait(timeout=10)
        self.assertEqual(result.returncode, 143)
        self.assertEqual(result.outputs["result"], "cancelled")

    def test_missing_tool_source_skips(self):
        with self.assertRaises(unittest.SkipTest):
            harness.run_tool("no-such-tool", [], self.aws.env())

    def test_no_lifecycle_mode_is_plain_moto(self):
        task = self.aws.run_service_task(self.aws.seed_service(cluster="plain"))
        self.assertEqual(task["lastStatus"], "RUNNING")  # moto's own.
        self.assertEqual(self.aws.tasks(), [])


class StartupTest(unittest.TestCase):

    def test_startup_and_teardown_leave_nothing(self):
        aws = harness.LocalAws()
        pids = [aws._proc.pid]
        with open(os.path.join(aws._dir, "state", "endpoint.json")) as f:
            info = json.load(f)
        pids.append(info["moto_pid"])
        sys_err = (f"localaws startup: moto {aws.startup['moto']}s, "
                   f"ready {aws.startup['total']}s, seen by harness "
                   f"{aws.startup['wall']}s")
        print(sys_err)
        started = time.time()
        aws.close()
        print(f"localaws teardown: {time.time() - started:.2f}s")
        for pid in pids:
            deadline = time.time() + 5
            while _alive(pid) and time.time() < deadline:
                time.sleep(0.05)
            self.assertFalse(_alive(pid), f"process {pid} left behind")
        for endpoint in (info["endpoint"], info["moto_endpoint"]):
            url = urllib.parse.urlsplit(endpoint)
            with self.assertRaises(OSError):
                socket.create_connection((url.hostname, url.port), timeout=1)


class OrphanTest(unittest.TestCase):

    def test_killed_test_process_leaves_nothing_behind(self):
        script = (
            "import json, sys, time\n"
            f"sys.path.insert(0, {harness._HERE!r})\n"
            "import harness\n"
            "aws = harness.LocalAws()\n"
            "info = json.load(open(aws._dir + '/state/endpoint.json'))\n"
            "print(info['pid'], info['moto_pid'], aws._dir, flush=True)\n"
            "time.sleep(600)\n")
        import subprocess
        import sys
        child = subprocess.Popen([sys.executable, "-c", script],
                                 stdout=subprocess.PIPE)
        try:
            line = child.stdout.readline().decode().split()
            pids = [int(p) for p in line[:2]]
            self.addCleanup(shutil.rmtree, line[2], True)
        finally:
            child.kill()  # No close(), no atexit: as if the test crashed.
            child.wait()
        for pid in pids:
            deadline = time.time() + 15
            while _alive(pid) and time.time() < deadline:
                time.sleep(0.1)
            self.assertFalse(_alive(pid), f"process {pid} left behind")


def _alive(pid):
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    # A zombie (exited, not yet reaped by its parent) counts as gone.
    try:
        with open(f"/proc/{pid}/stat") as f:
            return f.read().split(")")[-1].split()[0] != "Z"
    except OSError:
        return False


if __name__ == "__main__":
    unittest.main()
