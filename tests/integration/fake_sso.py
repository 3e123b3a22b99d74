"""A local stand-in for the IAM Identity Center portal's GetRoleCredentials
(GET /federation/credentials?account_id=&role_name=, bearer token in the
x-amz-sso_bearer_token header, unsigned), answering as the real portal does:

- 200 {"roleCredentials": {accessKeyId, secretAccessKey, sessionToken,
  expiration (epoch milliseconds)}};
- a missing parameter: 400 InvalidRequestException;
- an unknown, revoked or expired token (or none): 401 UnauthorizedException,
  "Session token not found or invalid";
- a token that may not use that role in that account: 403 ForbiddenException,
  "No access".
Errors carry the type in x-amzn-ErrorType (with the service's ":http://..."
suffix, as the real one does) and {"message": ...} as the body.

Usage (a context manager; tests point AWS_ENDPOINT_URL_SSO at .url):

    with FakeSsoPortal() as portal:
        portal.grant("token", "111122223333", "Deployer", ("ASIA...", "secret", "session"))
"""

import json
import time
import urllib.parse

from local_http import LocalHttpServer, QuietHandler

_ERROR_SUFFIX = ":http://internal.amazon.com/coral/com.amazonaws.switchboard.portal/"


class _Handler(QuietHandler):
    def _send(self, status, body, error_type=None):
        headers = [("x-amzn-RequestId", f"sso-{len(self.server.owner.seen)}")]
        if error_type:
            headers.append(("x-amzn-ErrorType", error_type + _ERROR_SUFFIX))
        self.send_body(status, json.dumps(body).encode(), headers=headers)

    def do_GET(self):
        url = urllib.parse.urlsplit(self.path)
        query = dict(urllib.parse.parse_qsl(url.query))
        token = self.headers.get("x-amz-sso_bearer_token")
        portal = self.server.owner
        portal.seen.append({"path": url.path, "query": query, "token": token,
                            "authorization": self.headers.get("Authorization")})
        if url.path != "/federation/credentials":
            return self._send(404, {"message": "Not Found"}, "NotFoundException")
        if not query.get("account_id") or not query.get("role_name"):
            return self._send(400, {"message": "Invalid request"},
                              "InvalidRequestException")
        grants = portal.grants.get(token)
        if grants is None:
            return self._send(401, {"message": "Session token not found or invalid"},
                              "UnauthorizedException")
        credentials = grants.get((query["account_id"], query["role_name"]))
        if credentials is None:
            return self._send(403, {"message": "No access"}, "ForbiddenException")
        key, secret, session = credentials
        expiration_ms = int((time.time() + 3600) * 1000)
        return self._send(200, {"roleCredentials": {
            "accessKeyId": key, "secretAccessKey": secret, "sessionToken": session,
            "expiration": expiration_ms}})


class FakeSsoPortal(LocalHttpServer):
    """seen: the requests received, {path, query, token, authorization}."""

    def __init__(self):
        super().__init__(_Handler)
        self.grants = {}

    def grant(self, token, account_id, role_name, credentials):
        """Lets `token` get `credentials` (key, secret, session token) for the role."""
        self.grants.setdefault(token, {})[(account_id, role_name)] = credentials
