"""Checks AWS Signature Version 4 on incoming requests by re-signing them.

The request is rebuilt as a botocore AWSRequest holding exactly the headers its
SignedHeaders lists, and signed again with botocore's SigV4Auth using the secret
of the request's access key and the request's own X-Amz-Date. Any difference
between the two signatures is a failure, as it would be on AWS.
"""

import datetime
import hashlib
import hmac
import re
import threading

from botocore.auth import SigV4Auth
from botocore.awsrequest import AWSRequest, HTTPHeaders
from botocore.credentials import Credentials

MAX_SKEW = datetime.timedelta(minutes=5)
AMZ_DATE_FORMAT = "%Y%m%dT%H%M%SZ"
UNSIGNED_PAYLOAD = "UNSIGNED-PAYLOAD"

_AUTH_RE = re.compile(
    r"^AWS4-HMAC-SHA256\s+Credential=(?P<credential>[^,\s]+)\s*,\s*"
    r"SignedHeaders=(?P<signed>[^,\s]+)\s*,\s*"
    r"Signature=(?P<signature>[0-9a-fA-F]+)\s*$")


class SignatureError(Exception):
    """A request AWS would refuse for its authentication.

    kind is one of "missing", "malformed", "unknown_key", "bad_token",
    "expired", "mismatch" (the responder turns it into the service's shape).
    """

    def __init__(self, kind, message):
        super().__init__(message)
        self.kind = kind
        self.message = message


class CredentialStore:
    """Access key -> (secret, session token or None); thread-safe."""

    def __init__(self):
        self._lock = threading.Lock()
        self._keys = {}
        self._temporary = set()  # Issued by STS (learned from its answers).
        self._expired = set()

    def add(self, access_key, secret_key, token=None, temporary=False):
        with self._lock:
            self._keys[access_key] = (secret_key, token)
            if temporary:
                self._temporary.add(access_key)

    def expire(self, access_keys=None):
        """Marks keys expired (default: every temporary key issued so far);
        returns the keys now expired. Requests signed with them are refused
        with ExpiredToken, as AWS does once a session's time is up."""
        with self._lock:
            keys = set(access_keys) if access_keys is not None else set(
                self._temporary)
            self._expired |= keys & set(self._keys)
            return sorted(keys & set(self._keys))

    def is_expired(self, access_key):
        with self._lock:
            return access_key in self._expired

    def get(self, access_key):
        with self._lock:
            return self._keys.get(access_key)

    def __len__(self):
        with self._lock:
            return len(self._keys)


class _ExactHeadersSigV4(SigV4Auth):
    """SigV4Auth over exactly the request's headers (its SignedHeaders).

    botocore's own selection drops a few names (user-agent, expect, ...) that a
    client may legitimately sign; the server must use the client's list.
    """

    def headers_to_sign(self, request):
        header_map = HTTPHeaders()
        for name, value in request.headers.items():
            header_map[name.lower()] = value
        return header_map


class ParsedAuth:
    def __init__(self, access_key, date, region, service, signed_headers,
                 signature):
        self.access_key = access_key
        self.date = date
        self.region = region
        self.service = service
        self.signed_headers = signed_headers
        self.signature = signature


def parse_authorization(value):
    """Parses a SigV4 Authorization header. On error, raises SignatureError."""
    if not value:
        raise SignatureError("missing", "Missing Authentication Token")
    match = _AUTH_RE.match(value.strip())
    if not match:
        raise SignatureError(
            "malformed", "Authorization header requires 'Credential', "
            "'SignedHeaders' and 'Signature' parameters (AWS4-HMAC-SHA256).")
    parts = match.group("credential").split("/")
    if len(parts) != 5 or parts[4] != "aws4_request":
        raise SignatureError(
            "malformed", "Credential should be scoped to a valid region, "
            f"not '{match.group('credential')}'.")
    return ParsedAuth(parts[0], parts[1], parts[2], parts[3],
                      match.group("signed").split(";"),
                      match.group("signature").lower())


def credential_scope_of(authorization):
    """(region, service) named by an Authorization header, or (None, None)."""
    try:
        parsed = parse_authorization(authorization)
    except SignatureError:
        return None, None
    return parsed.region, parsed.service


def verify(method, path_and_query, headers, body, store, now):
    """Verifies a request's SigV4 signature.

    headers: list of (name, value) as received; body: bytes; now: the server's
    UTC datetime (naive). Returns the ParsedAuth on success. On failure, raises
    SignatureError.
    """
    lower = {}
    for name, value in headers:
        lower.setdefault(name.lower(), []).append(value)
    parsed = parse_authorization((lower.get("authorization") or [""])[0])

    amz_date = (lower.get("x-amz-date") or [None])[0]
    if amz_date is None:
        raise SignatureError(
            "malformed", "Authorization header requires existence of either a "
            "'X-Amz-Date' or a 'Date' header.")
    try:
        signed_at = datetime.datetime.strptime(amz_date, AMZ_DATE_FORMAT)
    except ValueError:
        raise SignatureError("malformed",
                             f"Invalid X-Amz-Date '{amz_date}'") from None
    now_text = now.strftime(AMZ_DATE_FORMAT)
    if signed_at < now - MAX_SKEW:
        raise SignatureError(
            "expired", f"Signature expired: {amz_date} is now earlier than "
            f"{(now - MAX_SKEW).strftime(AMZ_DATE_FORMAT)} "
            f"({now_text} - 5 min.)")
    if signed_at > now + MAX_SKEW:
        raise SignatureError(
            "expired", f"Signature not yet current: {amz_date} is still later "
            f"than {(now + MAX_SKEW).strftime(AMZ_DATE_FORMAT)} "
            f"({now_text} + 5 min.)")
    if parsed.date != amz_date[:8]:
        raise SignatureError(
            "mismatch", f"Credential should be scoped to a valid date: "
            f"'{parsed.date}' does not match X-Amz-Date '{amz_date}'.")

    known = store.get(parsed.access_key)
    if known is None:
        raise SignatureError(
            "unknown_key",
            "The security token included in the request is invalid.")
    secret, token = known
    if token is not None:
        sent = (lower.get("x-amz-security-token") or [None])[0]
        if sent != token:
            raise SignatureError(
                "bad_token",
                "The security token included in the request is invalid.")

    if "host" not in parsed.signed_headers:
        raise SignatureError(
            "mismatch", "'Host' must be a 'SignedHeader' in the AWS "
            "Authorization.")
    signed_map = {}
    for name in parsed.signed_headers:
        if name not in lower:
            raise SignatureError(
                "mismatch", f"The request signature we calculated does not "
                f"match the signature you provided: signed header '{name}' "
                "is missing from the request.")
        signed_map[name] = ",".join(" ".join(v.split()) for v in lower[name])

    content_sha = signed_map.get("x-amz-content-sha256") or (
        lower.get("x-amz-content-sha256") or [None])[0]
    if content_sha is not None and content_sha != UNSIGNED_PAYLOAD:
        if content_sha != hashlib.sha256(body).hexdigest():
            raise SignatureError(
                "mismatch", "The provided 'x-amz-content-sha256' header does "
                "not match what was computed.")

    request = AWSRequest(method=method.upper(),
                         url="http://" + signed_map["host"] + path_and_query,
                         data=body, headers=signed_map)
    request.context["timestamp"] = amz_date
    auth = _ExactHeadersSigV4(
        Credentials(parsed.access_key, secret, token), parsed.service,
        parsed.region)
    canonical = auth.canonical_request(request)
    string_to_sign = auth.string_to_sign(request, canonical)
    expected = auth.signature(string_to_sign, request)
    if not hmac.compare_digest(expected, parsed.signature):
        raise SignatureError(
            "mismatch", "The request signature we calculated does not match "
            "the signature you provided. Check your AWS Secret Access Key and "
            "signing method. Consult the service documentation for details.")
    return parsed
