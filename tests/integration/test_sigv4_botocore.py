"""Differential test: our SigV4 signer (tests/tools/sigv4-sign) against
botocore.auth.SigV4Auth on randomized requests.

Each request gets a method, a path (unicode, reserved characters, percent
escapes, dot segments, repeated slashes), a query (repeated keys, empty
values, keys without '='), headers (mixed case, inner and outer spaces and
tabs, repeated names), a body, and sometimes a session token or an
x-amz-content-sha256 header. Both signers must produce the same
Authorization header; on a mismatch the canonical requests are shown.
"""

import datetime
import json
import os
import random
import subprocess
import unittest
from unittest import mock
from urllib.parse import quote

from botocore.auth import SigV4Auth
from botocore.awsrequest import AWSRequest
from botocore.credentials import Credentials

from harness import BIN_DIR

SIGNER = os.path.join(BIN_DIR, "sigv4-sign")

COUNT = 1500
SEED = int(os.environ.get("ECSMIG_SIGV4_SEED", "20261122"))

PATH_CHARS = ("abcXYZ019-_.~!$&'()*+,;=:@% /\u00e9\u1234\u6f22\U0001F600")
QUERY_CHARS = "abcXYZ019-_.~!$'()*+,;:@/?%&= \u00e9\u1234"
HEADER_VALUE_CHARS = "abcXYZ019-_.~!$&'()*+,;=:@/?\"  \t"
HEADER_NAMES = ["X-Amz-Meta-Foo", "x-custom", "X-MIXED-case", "Content-Type",
                "X-Amz-Target", "My-Header1", "x-a", "X-B", "accept"]


def random_text(rng, alphabet, low, high):
    return "".join(rng.choice(alphabet) for _ in range(rng.randint(low, high)))


def random_path(rng):
    segments = []
    for _ in range(rng.randint(0, 5)):
        choice = rng.random()
        if choice < 0.1:
            segments.append(".")
        elif choice < 0.2:
            segments.append("..")
        elif choice < 0.3:
            segments.append("")  # makes '//'
        elif choice < 0.4:
            segments.append("%" + "".join(rng.choice("0123456789ABCDEF") for _ in range(2)))
        else:
            segments.append(random_text(rng, PATH_CHARS.replace("/", ""), 1, 8))
    path = "/" + "/".join(segments)
    if rng.random() < 0.3:
        path += "/"
    return path if rng.random() < 0.95 else ""


def encode(text):
    return quote(text, safe="-_.~")


def random_query(rng):
    if rng.random() < 0.3:
        return ""
    pairs = []
    keys = [random_text(rng, QUERY_CHARS, 1, 6) for _ in range(rng.randint(1, 3))]
    for _ in range(rng.randint(1, 6)):
        key = rng.choice(keys)  # repeated keys
        kind = rng.random()
        if kind < 0.15:
            pairs.append(encode(key))  # no '='
        elif kind < 0.3:
            pairs.append(encode(key) + "=")  # empty value
        else:
            pairs.append(encode(key) + "=" + encode(random_text(rng, QUERY_CHARS, 1, 8)))
    return "&".join(pairs)


def random_headers(rng, host):
    headers = []
    for _ in range(rng.randint(0, 6)):
        name = rng.choice(HEADER_NAMES)
        if rng.random() < 0.3:
            name = "".join(c.upper() if rng.random() < 0.5 else c.lower() for c in name)
        value = random_text(rng, HEADER_VALUE_CHARS, 1, 20)
        if not value.strip():
            value = "v" + value
        headers.append([name, value])
    if rng.random() < 0.2:
        headers.append(["Host", host])
    return headers


def make_requests(rng, count):
    requests = []
    for index in range(count):
        host = rng.choice(["example.amazonaws.com", "ecs.eu-west-1.amazonaws.com",
                           "127.0.0.1:4566", "localhost:8080"])
        scheme = "https" if ":" not in host else "http"
        query = random_query(rng)
        url = f"{scheme}://{host}{random_path(rng)}" + ("?" + query if query else "")
        body = random_text(rng, "abc{}\":,= \u00e9\u1234\n", 0, 40) if rng.random() < 0.6 else ""
        headers = random_headers(rng, host)
        if rng.random() < 0.1:
            headers.append(["X-Amz-Content-SHA256", rng.choice(["UNSIGNED-PAYLOAD",
                                                                 "abcdef0123456789"])])
        token = random_text(rng, "ABCabc0123456789+/=", 20, 60) if rng.random() < 0.5 else ""
        requests.append({
            "method": rng.choice(["GET", "POST", "PUT", "DELETE", "HEAD", "PATCH", "post"]),
            "url": url,
            "headers": headers,
            "body": body,
            "access_key": "AKID" + str(index),
            "secret_key": random_text(rng, "ABCabc0123456789+/", 20, 40),
            "token": token,
            "region": rng.choice(["us-east-1", "eu-west-1", "cn-north-1"]),
            "service": rng.choice(["ecs", "logs", "sts", "service"]),
            "time": rng.randint(1_400_000_000, 1_900_000_000),
        })
    return requests


def botocore_sign(spec):
    request = AWSRequest(method=spec["method"], url=spec["url"],
                         data=spec["body"].encode("utf-8"))
    for name, value in spec["headers"]:
        request.headers[name] = value  # HTTPHeaders keeps repeated names
    credentials = Credentials(spec["access_key"], spec["secret_key"],
                              spec["token"] or None)
    auth = SigV4Auth(credentials, spec["service"], spec["region"])
    now = datetime.datetime.fromtimestamp(spec["time"], datetime.timezone.utc).replace(
        tzinfo=None)
    with mock.patch("botocore.auth.get_current_datetime", return_value=now):
        auth.add_auth(request)
    authorization = request.headers["Authorization"]
    del request.headers["Authorization"]  # the canonical request as signed, for messages
    return authorization, auth.canonical_request(request)


class SigV4BotocoreTest(unittest.TestCase):

    def test_random_requests_sign_identically(self):
        self.assertTrue(os.path.exists(SIGNER), f"build {SIGNER} first")
        rng = random.Random(SEED)
        specs = make_requests(rng, COUNT)
        answer = subprocess.run([SIGNER], input="".join(json.dumps(s) + "\n" for s in specs),
                                capture_output=True, text=True, check=True, timeout=120)
        ours = [json.loads(line) for line in answer.stdout.splitlines()]
        self.assertEqual(len(ours), len(specs))
        mismatches = []
        with_token = repeated_keys = unicode_paths = 0
        for spec, mine in zip(specs, ours):
            self.assertNotIn("error", mine, spec)
            theirs, canonical = botocore_sign(spec)
            if mine["authorization"] != theirs:
                mismatches.append((spec, mine["canonical_request"], canonical))
            with_token += bool(spec["token"])
            unicode_paths += any(ord(c) > 127 for c in spec["url"])
            query = spec["url"].partition("?")[2]
            keys = [p.partition("=")[0] for p in query.split("&") if p]
            repeated_keys += len(keys) != len(set(keys))
        if mismatches:
            spec, mine, theirs = mismatches[0]
            self.fail(f"{len(mismatches)} of {COUNT} differ (seed {SEED}); first: "
                      f"{json.dumps(spec)}\n--- ours\n{mine}\n--- botocore\n{theirs}")
        # The generator really covered the interesting cases.
        self.assertGreater(with_token, COUNT // 4)
        self.assertGreater(repeated_keys, COUNT // 10)
        self.assertGreater(unicode_paths, COUNT // 10)


if __name__ == "__main__":
    unittest.main()
