"""The one local HTTP server the tests' stand-ins are built on (the SSO portal,
the container credentials and instance metadata endpoints, GitHub's API, an
OIDC token endpoint, a proxy that is not AWS).

    with LocalHttpServer(Handler) as server:    # or server.start() ... server.stop()
        env["SOME_ENDPOINT"] = server.url

It serves on 127.0.0.1 and a free port, in a thread of the test process.
The handler reaches the LocalHttpServer (or the subclass that owns it) as
`self.server.owner`, e.g. to record a request in `owner.seen`.
"""

import http.server
import threading


class LocalHttpServer:
    """handler_class: a BaseHTTPRequestHandler subclass. seen: requests as
    the handler recorded them, in order."""

    def __init__(self, handler_class):
        self.server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler_class)
        self.server.owner = self
        self.seen = []
        self._thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    @property
    def url(self):
        return f"http://127.0.0.1:{self.server.server_address[1]}"

    def start(self):
        self._thread.start()
        return self

    def stop(self):
        # shutdown() waits for serve_forever: never ask it of a server not started.
        if self._thread.is_alive():
            self.server.shutdown()
            self._thread.join(timeout=5)
        self.server.server_close()

    def __enter__(self):
        return self.start()

    def __exit__(self, *exc):
        self.stop()
        return False


class QuietHandler(http.server.BaseHTTPRequestHandler):
    """A handler that keeps the test's output clean (no access log), with a
    helper to answer a body of bytes."""

    def log_message(self, *args):
        pass

    def send_body(self, status, data, content_type="application/json", headers=()):
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(data)))
        for name, value in headers:
            self.send_header(name, value)
        self.end_headers()
        self.wfile.write(data)
