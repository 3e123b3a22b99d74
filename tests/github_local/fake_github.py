"""A local fake of GitHub's REST deployments API, for integration tests.

Serves, on 127.0.0.1 and a random port, in a thread of the test process:

    GET /repos/{owner}/{repo}/deployments?environment=&per_page=&page=
    GET /repos/{owner}/{repo}/deployments/{id}/statuses?per_page=&page=
    GET /repositories/{repo_id}/...   (the form GitHub's Link headers use)

answering in GitHub's documented shapes (docs.github.com, "REST API endpoints
for deployments" and "... deployment statuses"): deployments newest first,
each deployment's statuses newest first, `per_page` (default 30, at most
100) and `page`, RFC 8288 `Link` headers with next/last/first/prev, the
x-ratelimit-* headers on every answer, and GitHub's error bodies
({"message", "documentation_url", "status"}). A path prefix such as
/api/v3 (GitHub Enterprise Server) is accepted.

Authentication: a request whose Authorization is not `Bearer TOKEN` (or
`token TOKEN`) gets 401 "Bad credentials". Faults are scripted with
`fail_next(status, headers, body, times)` (403/404/5xx/rate limits) and
recorded requests (method, path, headers) are in `requests`.

    server = FakeGitHub(token="ghs_x", repository="o/r").start()
    server.deploy("production", sha, ["in_progress", "success"])
    env = server.env()   # GITHUB_API_URL, GITHUB_REPOSITORY, GITHUB_TOKEN
    ...
    server.stop()
"""

import json
import os
import sys
import threading
import time
import urllib.parse

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(os.path.dirname(HERE), "integration"))

from local_http import LocalHttpServer, QuietHandler  # noqa: E402

DOCS = "https://docs.github.com/rest"


class _Handler(QuietHandler):
    protocol_version = "HTTP/1.1"

    def do_GET(self):  # noqa: N802 (http.server's naming)
        self.server.owner._handle(self)


class FakeGitHub(LocalHttpServer):
    def __init__(self, token="ghs_fakeTokenForTests0123456789", repository="octo/app",
                 repo_id=4242, prefix=""):
        super().__init__(_Handler)
        self.token = token
        self.repository = repository
        self.repo_id = repo_id
        self.prefix = prefix
        self.deployments = []  # oldest first; each {"id", "sha", "environment", ..., "statuses"}
        self.faults = []  # [status, headers, body, times]
        self.rate_remaining = 5000
        self._next_id = 1000
        self._lock = threading.Lock()

    # ---- scripting -------------------------------------------------------

    def deploy(self, environment, sha, states=("success",), ref="main"):
        """Adds a deployment of `sha` with statuses in the order they happened."""
        with self._lock:
            self._next_id += 1
            dep_id = self._next_id
            created = "2026-01-01T00:%02d:%02dZ" % (dep_id // 60 % 60, dep_id % 60)
            dep = {
                "url": self._api("/repos/%s/deployments/%d" % (self.repository, dep_id)),
                "id": dep_id,
                "node_id": "DE_kwDO%d" % dep_id,
                "task": "deploy",
                "original_environment": environment,
                "environment": environment,
                "description": None,
                "created_at": created,
                "updated_at": created,
                "statuses_url": self._api("/repos/%s/deployments/%d/statuses"
                                          % (self.repository, dep_id)),
                "repository_url": self._api("/repos/%s" % self.repository),
                "creator": {"login": "github-actions[bot]", "id": 41898282, "type": "Bot"},
                "sha": sha,
                "ref": ref,
                "payload": {},
                "transient_environment": False,
                "production_environment": environment == "production",
                "performed_via_github_app": None,
                "statuses": [],
            }
            self.deployments.append(dep)
        for state in states:
            self.add_status(dep_id, state)
        return dep_id

    def add_status(self, dep_id, state):
        with self._lock:
            dep = next(d for d in self.deployments if d["id"] == dep_id)
            self._next_id += 1
            dep["statuses"].append({
                "url": dep["url"] + "/statuses/%d" % self._next_id,
                "id": self._next_id,
                "node_id": "DES_kwDO%d" % self._next_id,
                "state": state,
                "creator": {"login": "github-actions[bot]", "id": 41898282, "type": "Bot"},
                "description": "",
                "environment": dep["environment"],
                "target_url": "",
                "log_url": "",
                "environment_url": "",
                "created_at": dep["created_at"],
                "updated_at": dep["created_at"],
                "deployment_url": dep["url"],
                "repository_url": dep["repository_url"],
                "performed_via_github_app": None,
            })

    def fail_next(self, status, headers=None, body=None, times=1):
        """The next `times` requests get `status` (body: GitHub's error shape)."""
        if body is None:
            message = {401: "Bad credentials", 403: "Resource not accessible by integration",
                       404: "Not Found", 429: "API rate limit exceeded"}.get(
                           status, "Server Error")
            body = {"message": message, "documentation_url": DOCS, "status": str(status)}
        with self._lock:
            self.faults.append([status, dict(headers or {}), body, times])

    def rate_limit_headers(self, remaining=0, reset_in=1):
        """Primary rate limit headers: none left, reset `reset_in` seconds from now."""
        return {"x-ratelimit-limit": "1000", "x-ratelimit-remaining": str(remaining),
                "x-ratelimit-used": "1000", "x-ratelimit-resource": "core",
                "x-ratelimit-reset": str(int(time.time()) + reset_in)}

    # ---- lifecycle -------------------------------------------------------

    @property
    def url(self):
        return super().url + self.prefix

    @property
    def requests(self):
        """The requests received, in order: {method, path, headers}."""
        return self.seen

    def env(self):
        return {"GITHUB_API_URL": self.url, "GITHUB_REPOSITORY": self.repository,
                "GITHUB_TOKEN": self.token}

    # ---- serving ---------------------------------------------------------

    def _api(self, path):
        return self.url + path

    def _handle(self, handler):
        parsed = urllib.parse.urlsplit(handler.path)
        query = urllib.parse.parse_qs(parsed.query)
        with self._lock:
            self.seen.append({"method": "GET", "path": handler.path,
                              "headers": dict(handler.headers.items())})
            fault = self.faults[0] if self.faults else None
            if fault:
                fault[3] -= 1
                if fault[3] <= 0:
                    self.faults.pop(0)
        if fault:
            return self._send(handler, fault[0], fault[2], fault[1])
        auth = handler.headers.get("Authorization", "")
        if auth not in ("Bearer " + self.token, "token " + self.token):
            return self._error(handler, 401, "Bad credentials")
        path = parsed.path
        if self.prefix and path.startswith(self.prefix + "/"):
            path = path[len(self.prefix):]
        parts = [urllib.parse.unquote(p) for p in path.strip("/").split("/")]
        if parts[:1] == ["repositories"] and len(parts) >= 2 and parts[1] == str(self.repo_id):
            rest = parts[2:]
        elif parts[:1] == ["repos"] and "/".join(parts[1:3]).lower() == self.repository.lower():
            rest = parts[3:]
        else:
            return self._error(handler, 404, "Not Found")
        if rest == ["deployments"]:
            env = query.get("environment", [None])[0]
            items = [d for d in reversed(self.deployments)
                     if env is None or d["environment"] == env]
            items = [{k: v for k, v in d.items() if k != "statuses"} for d in items]
        elif len(rest) == 3 and rest[0] == "deployments" and rest[2] == "statuses":
            dep = next((d for d in self.deployments if str(d["id"]) == rest[1]), None)
            if dep is None:
                return self._error(handler, 404, "Not Found")
            items = list(reversed(dep["statuses"]))
        else:
            return self._error(handler, 404, "Not Found")
        self._page(handler, "/repositories/%d/%s" % (self.repo_id, "/".join(rest)), query, items)

    def _page(self, handler, link_path, query, items):
        try:
            per_page = max(1, min(100, int(query.get("per_page", ["30"])[0])))
            page = max(1, int(query.get("page", ["1"])[0]))
        except ValueError:
            return self._error(handler, 422, "Validation Failed")
        last = max(1, (len(items) + per_page - 1) // per_page)
        chunk = items[(page - 1) * per_page: page * per_page]

        def link(p):
            q = {k: v[0] for k, v in query.items()}
            q["page"] = str(p)
            return "<%s%s?%s>" % (self.url, link_path, urllib.parse.urlencode(q))
        rels = []
        if page > 1:
            rels += ['%s; rel="prev"' % link(page - 1)]
        if page < last:
            rels += ['%s; rel="next"' % link(page + 1), '%s; rel="last"' % link(last)]
        if page > 1:
            rels += ['%s; rel="first"' % link(1)]
        headers = {"Link": ", ".join(rels)} if rels else {}
        self._send(handler, 200, chunk, headers)

    def _error(self, handler, status, message):
        self._send(handler, status, {"message": message, "documentation_url": DOCS,
                                     "status": str(status)})

    def _send(self, handler, status, body, headers=None):
        data = body if isinstance(body, bytes) else json.dumps(body).encode()
        sent = [("X-GitHub-Api-Version-Selected", "2022-11-28")]
        if "x-ratelimit-remaining" not in {k.lower() for k in (headers or {})}:
            sent += [("x-ratelimit-limit", "5000"),
                     ("x-ratelimit-remaining", str(self.rate_remaining)),
                     ("x-ratelimit-reset", str(int(time.time()) + 3600)),
                     ("x-ratelimit-resource", "core")]
        handler.send_body(status, data, "application/json; charset=utf-8",
                          sent + list((headers or {}).items()))
