#!/usr/bin/env python3
"""A local AWS for ecsmig's tests and demo: moto behind a checking proxy.

  python3 tests/aws_local/localaws.py serve --state-dir DIR [--exec-mode]
      [--no-lifecycle]

starts moto's server (moto_launcher.py: `python3 -m moto.server` with a fix) on
a free loopback port as a child process,
then serves, on other free loopback ports, the proxy the tools talk to and a
small JSON control API for tests, and writes DIR/endpoint.json =
{"endpoint", "moto_endpoint", "control", "pid", ...}. The proxy checks every
request's SigV4 signature (botocore re-signs it), injects faults, and layers
the ECS task lifecycle over moto (see ecs_layer.py). SIGTERM/SIGINT, a control
/shutdown, or the death of --parent-pid stop everything, moto included.
"""

import argparse
import ctypes
import datetime
import email.utils
import http.client
import http.server
import json
import os
import signal
import socket
import struct
import subprocess
import sys
import threading
import time
import urllib.parse
import uuid
import xml.etree.ElementTree as ET

HERE = os.path.dirname(os.path.abspath(__file__))
if HERE not in sys.path:
    sys.path.insert(0, HERE)

import ecs_layer  # noqa: E402
import faults as faults_mod  # noqa: E402
import sigv4check  # noqa: E402

DEFAULT_ACCESS_KEY = "AKIAECSMIGLOCALTEST1"
DEFAULT_SECRET_KEY = "ecsmig+local/test/SecretKey0123456789ABCD"

JSON_TARGETS = {
    "AmazonEC2ContainerServiceV20141113": "ecs",
    "Logs_20140328": "logs",
    "AWSSecurityTokenServiceV20110615": "sts",
}
TARGET_OF = {"ecs": "AmazonEC2ContainerServiceV20141113",
             "logs": "Logs_20140328"}
# Requests that AWS accepts without a signature.
UNSIGNED_ACTIONS = {"AssumeRoleWithWebIdentity", "AssumeRoleWithSAML"}
HOP_BY_HOP = {"connection", "keep-alive", "proxy-connection", "te", "trailer",
              "transfer-encoding", "upgrade", "content-length", "expect"}
NOT_RELAYED = HOP_BY_HOP | {"date", "server"}
STS_NS = "https://sts.amazonaws.com/doc/2011-06-15/"
REQUEST_LOG_LIMIT = 50000


def log(message):
    stamp = datetime.datetime.now(datetime.timezone.utc).strftime(
        "%H:%M:%S.%f")[:-3]
    print(f"localaws {stamp} {message}", file=sys.stderr, flush=True)


class Stats:

    def __init__(self):
        self._lock = threading.Lock()
        self.reset()

    def reset(self):
        with self._lock:
            self.calls = {}
            self.requests = {}
            self.signature_failures = 0
            self.expired_token_refusals = 0
            self.requests_log = []
            self.internal_errors = []

    def received(self, operation):
        with self._lock:
            self.requests[operation] = self.requests.get(operation, 0) + 1

    def reached(self, operation):
        with self._lock:
            self.calls[operation] = self.calls.get(operation, 0) + 1

    def signature_failed(self):
        with self._lock:
            self.signature_failures += 1

    def expired_token_refused(self):
        with self._lock:
            self.expired_token_refusals += 1

    def internal_error(self, text):
        with self._lock:
            self.internal_errors.append(text)

    def record(self, entry):
        with self._lock:
            if len(self.requests_log) < REQUEST_LOG_LIMIT:
                self.requests_log.append(entry)

    def snapshot(self):
        with self._lock:
            return {
                "calls": dict(self.calls),
                "requests": dict(self.requests),
                "signature_failures": self.signature_failures,
                "expired_token_refusals": self.expired_token_refusals,
                "requests_log": list(self.requests_log),
                "internal_errors": list(self.internal_errors),
            }


class MotoClient:
    """HTTP to moto: per-thread keep-alive connections."""

    def __init__(self, host, port):
        self.host = host
        self.port = port
        self._local = threading.local()

    def request(self, method, path, headers, body):
        """Returns (status, [(name, value)], body bytes)."""
        for attempt in (0, 1):
            conn = getattr(self._local, "conn", None)
            fresh = conn is None
            if fresh:
                conn = http.client.HTTPConnection(self.host, self.port,
                                                  timeout=120)
                self._local.conn = conn
            try:
                conn.request(method, path, body=body, headers=headers)
                response = conn.getresponse()
                data = response.read()
                return response.status, response.getheaders(), data
            except (OSError, http.client.HTTPException):
                conn.close()
                self._local.conn = None
                # A kept-alive connection moto closed: retry once on a new one.
                if fresh or attempt == 1:
                    raise
        raise AssertionError("unreachable")

    def call(self, service, operation, params, region, access_key):
        """Calls a JSON operation on moto directly (not counted, not faulted).

        On an error response, raises RuntimeError naming moto's error type.
        """
        body = json.dumps(params).encode()
        headers = {
            "Content-Type": "application/x-amz-json-1.1",
            "X-Amz-Target": f"{TARGET_OF[service]}.{operation}",
            "Authorization": (
                f"AWS4-HMAC-SHA256 Credential={access_key}/20200101/{region}/"
                f"{service}/aws4_request, SignedHeaders=host, Signature=00"),
            "Host": f"{self.host}:{self.port}",
        }
        status, _, data = self.request("POST", "/", headers, body)
        if status != 200:
            raise RuntimeError(f"moto {service}:{operation} {status}: "
                               f"{data[:300].decode('utf-8', 'replace')}")
        return json.loads(data) if data else {}


class Proxy:
    """What every request of the tools goes through."""

    def __init__(self, moto, credentials, lifecycle, exec_mode, exec_cwd,
                 verbose):
        self.moto = moto
        self.credentials = credentials
        self.stats = Stats()
        self.faults = faults_mod.Faults()
        self.clock_offset = 0.0
        self.verbose = verbose
        self.layer = (ecs_layer.EcsLayer(moto.call, exec_mode=exec_mode,
                                         exec_cwd=exec_cwd, log=log)
                      if lifecycle else None)

    def now(self):
        return time.time() + self.clock_offset

    def stats_snapshot(self):
        snapshot = self.stats.snapshot()
        snapshot["model_violations"] = (list(self.layer.model_violations)
                                        if self.layer else [])
        snapshot["faults_pending"] = self.faults.pending()
        snapshot["known_access_keys"] = len(self.credentials)
        return snapshot


def identify(headers, path, body):
    """(service, operation, protocol, params) of a request.

    protocol is "json" (X-Amz-Target) or "query" (form Action=); params the
    decoded JSON object or form fields.
    """
    target = headers.get("x-amz-target")
    region, scope_service = sigv4check.credential_scope_of(
        headers.get("authorization", ""))
    if target:
        prefix, _, operation = target.partition(".")
        service = JSON_TARGETS.get(prefix) or scope_service or prefix
        try:
            params = json.loads(body) if body else {}
        except ValueError:
            params = None
        return service, operation, "json", params
    query = urllib.parse.urlsplit(path).query
    form = dict(urllib.parse.parse_qsl(query, keep_blank_values=True))
    content_type = headers.get("content-type", "")
    if body and "x-www-form-urlencoded" in content_type:
        form.update(urllib.parse.parse_qsl(body.decode("utf-8", "replace"),
                                           keep_blank_values=True))
    operation = form.get("Action", "Unknown")
    service = scope_service or ("sts" if operation in UNSIGNED_ACTIONS else
                                "unknown")
    return service, operation, "query", form


def error_body(protocol, service, status, code, message):
    """(headers, body) of an AWS error in the service's wire shape."""
    request_id = str(uuid.uuid4())
    if protocol == "json":
        body = json.dumps({"__type": code, "message": message}).encode()
        return [("Content-Type", "application/x-amz-json-1.1"),
                ("x-amzn-RequestId", request_id),
                ("x-amzn-ErrorType", code)], body
    kind = "Sender" if status < 500 else "Receiver"
    namespace = f' xmlns="{STS_NS}"' if service == "sts" else ""
    message = (message.replace("&", "&amp;").replace("<", "&lt;")
               .replace(">", "&gt;"))
    body = (f"<ErrorResponse{namespace}><Error><Type>{kind}</Type>"
            f"<Code>{code}</Code><Message>{message}</Message></Error>"
            f"<RequestId>{request_id}</RequestId></ErrorResponse>\n").encode()
    return [("Content-Type", "text/xml"), ("x-amzn-RequestId", request_id)], body


SIGNATURE_CODES = {
    # kind: (json code, query code)
    "missing": ("MissingAuthenticationTokenException", "MissingAuthenticationToken"),
    "malformed": ("IncompleteSignatureException", "IncompleteSignature"),
    "unknown_key": ("UnrecognizedClientException", "InvalidClientTokenId"),
    "bad_token": ("UnrecognizedClientException", "InvalidClientTokenId"),
    "expired": ("InvalidSignatureException", "SignatureDoesNotMatch"),
    "mismatch": ("InvalidSignatureException", "SignatureDoesNotMatch"),
}


def throttle_code(service, protocol):
    if protocol == "query":
        return "Throttling"
    return "ThrottlingException"


def server_error_code(service, protocol):
    if service == "ecs":
        return "ServerException"
    if service == "logs":
        return "ServiceUnavailableException"
    return "InternalFailure"


def malformed_body(protocol, service, operation):
    if protocol == "json":
        return (b'{"tasks": [{"taskArn": "arn:aws:ecs:us-east-1:1234567890'
                b'12:task/migrate-cluster/0f1e', "application/x-amz-json-1.1")
    return (f'<{operation}Response xmlns="{STS_NS}"><{operation}Result>'
            f'<Credentials><AccessKeyId>ASIA'.encode(), "text/xml")


class Handler(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    # Headers and body go out in two writes: with Nagle on, the second waits
    # for the client's delayed ACK (~40 ms) on every reused connection, a
    # cost real AWS does not have and that would skew every multi-call bench.
    disable_nagle_algorithm = True
    server_version = "localaws"
    sys_version = ""

    @property
    def proxy(self):
        return self.server.proxy

    def log_message(self, fmt, *args):  # The proxy logs its own way.
        if self.proxy.verbose:
            log("http " + (fmt % args))

    def date_time_string(self, timestamp=None):
        # The proxy's clock (with its test offset) dates every answer, which
        # is what clients use to correct their own skew.
        return email.utils.formatdate(self.proxy.now(), usegmt=True)

    def do_GET(self):
        self._handle()

    def do_POST(self):
        self._handle()

    def do_PUT(self):
        self._handle()

    def do_DELETE(self):
        self._handle()

    def _read_body(self):
        if "chunked" in self.headers.get("Transfer-Encoding", "").lower():
            chunks = []
            while True:
                size = int(self.rfile.readline().split(b";")[0].strip(), 16)
                if size == 0:
                    while self.rfile.readline() not in (b"\r\n", b"\n", b""):
                        pass
                    return b"".join(chunks)
                chunks.append(self.rfile.read(size))
                self.rfile.readline()
        length = int(self.headers.get("Content-Length") or 0)
        return self.rfile.read(length) if length else b""

    def _send(self, status, headers, body):
        self.send_response(status)
        for name, value in headers:
            if name.lower() not in NOT_RELAYED:
                self.send_header(name, value)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(body)
        self.wfile.flush()

    def _reset(self):
        """Drops the connection with an RST, answering nothing."""
        self.close_connection = True
        try:
            self.wfile.flush()
        except OSError:
            pass
        try:
            self.connection.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER,
                                       struct.pack("ii", 1, 0))
        except OSError:
            pass
        self.connection.close()

    def _handle(self):
        proxy = self.proxy
        started = time.time()
        body = self._read_body()
        header_list = list(self.headers.items())
        lower = {k.lower(): v for k, v in header_list}
        service, operation, protocol, params = identify(lower, self.path, body)
        op_name = f"{service}:{operation}"
        proxy.stats.received(op_name)
        entry = {"t": started, "op": op_name, "status": None, "fault": None,
                 "signature": "ok", "access_key": None,
                 "user_agent": lower.get("user-agent")}
        if isinstance(params, dict) and len(body) <= 65536:
            entry["params"] = params  # What the tool sent, for assertions.

        # Recorded before the answer is sent: a test that reads the log as
        # soon as its call returns must find the call there.
        def finish(status, fault=None):
            entry["status"] = status
            entry["fault"] = fault
            entry["ms"] = round((time.time() - started) * 1000, 1)
            proxy.stats.record(entry)
            if proxy.verbose or fault or (status or 0) >= 400:
                log(f"{op_name} -> {status if status else 'no answer'}"
                    f"{' [' + fault + ']' if fault else ''}")

        # 1. Authentication, as AWS does before anything else.
        access_key = None
        region = None
        unsigned_ok = (protocol == "query" and operation in UNSIGNED_ACTIONS
                       and "authorization" not in lower)
        if not unsigned_ok:
            try:
                now = datetime.datetime.fromtimestamp(
                    proxy.now(), datetime.timezone.utc).replace(tzinfo=None)
                parsed = sigv4check.verify(self.command, self.path, header_list,
                                           body, proxy.credentials, now)
                access_key, region = parsed.access_key, parsed.region
                entry["access_key"] = access_key
            except sigv4check.SignatureError as e:
                proxy.stats.signature_failed()
                entry["signature"] = f"{e.kind}: {e.message}"
                codes = SIGNATURE_CODES[e.kind]
                code = codes[0] if protocol == "json" else codes[1]
                headers, payload = error_body(protocol, service, 403, code,
                                              e.message)
                log(f"{op_name}: signature refused ({e.kind}): {e.message}")
                finish(403, "signature")
                self._send(403, headers, payload)
                return
            if proxy.credentials.is_expired(access_key):
                proxy.stats.expired_token_refused()
                code = "ExpiredTokenException" if protocol == "json" else "ExpiredToken"
                headers, payload = error_body(
                    protocol, service, 400, code,
                    "The security token included in the request is expired")
                log(f"{op_name}: refused, credentials {access_key} expired")
                finish(400, "expired_token")
                self._send(400, headers, payload)
                return

        # 2. Faults.
        decision = proxy.faults.decide(op_name)
        action = None
        if decision:
            if decision["slow"]:
                time.sleep(decision["slow"])
            action = decision["action"]
            label = decision["label"]
            if action == "reset_before":
                self._reset()
                finish(None, label)
                return
            if action == "error":
                status = decision["status"]
                code = decision.get("code") or (
                    throttle_code(service, protocol) if status < 500 and
                    decision.get("throttle") else
                    server_error_code(service, protocol) if status >= 500 else
                    "ThrottlingException")
                message = decision.get("message") or (
                    "Rate exceeded" if "hrottl" in code else
                    "Service unavailable, please retry" if status >= 500 else
                    code)
                headers, payload = error_body(protocol, service, status, code,
                                              message)
                finish(status, label)
                self._send(status, headers, payload)
                return
            if action == "respond":
                answer = decision["body"]
                if not isinstance(answer, str):
                    answer = json.dumps(answer)
                content_type = ("application/x-amz-json-1.1"
                                if protocol == "json" else "text/xml")
                finish(decision["status"], label)
                self._send(decision["status"], [
                    ("Content-Type", content_type),
                    ("x-amzn-RequestId", str(uuid.uuid4()))
                ], answer.encode())
                return
            if action == "malformed":
                payload, content_type = malformed_body(protocol, service,
                                                       operation)
                finish(200, label)
                self._send(200, [("Content-Type", content_type)], payload)
                return

        # 3. The service: moto, with the ECS lifecycle layered over it.
        forward_headers = [(k, v) for k, v in header_list
                           if k.lower() not in HOP_BY_HOP]

        def forward(new_params=None):
            payload = body if new_params is None else json.dumps(
                new_params).encode()
            return proxy.moto.request(self.command, self.path,
                                      dict(forward_headers), payload)

        # "Reached the service": moto, or the layer answering for it (an
        # idempotent RunTask replay, a refused client token).
        proxy.stats.reached(op_name)
        try:
            if (proxy.layer is not None and service == "ecs" and
                    operation in ecs_layer.EcsLayer.HANDLED and
                    isinstance(params, dict)):
                try:
                    status, headers, payload = proxy.layer.handle(
                        operation, params, access_key or DEFAULT_ACCESS_KEY,
                        region, forward)
                except ecs_layer.LayerError as e:
                    headers, payload = error_body(protocol, service, e.status,
                                                  e.code, e.message)
                    status = e.status
            else:
                status, headers, payload = forward()
        except Exception as e:  # The layer or moto broke: say so loudly.
            log(f"{op_name}: internal error: {e!r}")
            proxy.stats.internal_error(f"{op_name}: localaws: {e!r}")
            headers, payload = error_body(protocol, service, 500,
                                          "InternalFailure",
                                          f"localaws internal error: {e!r}")
            status = 500
        else:
            if status >= 500:
                # Never a fault we injected: moto itself failed (moto.log).
                log(f"{op_name}: moto answered {status}: "
                    f"{payload[:200].decode('utf-8', 'replace')}")
                proxy.stats.internal_error(f"{op_name}: moto answered {status}")

        if service == "sts" and status == 200:
            self._learn_credentials(payload)

        if action == "rewrite" and status == 200:
            payload = faults_mod.rewrite_answer(payload, decision["fields"])
            headers = [(k, v) for k, v in headers
                       if k.lower() not in ("content-length", "x-amz-crc32")]
        if action == "reset_after":
            self._reset()
            finish(None, decision["label"])
            return
        label = decision["label"] if decision else None
        finish(status, label)
        try:
            self._send(status, headers, payload)
        except OSError:  # The client gave up (its timeout) and hung up.
            self.close_connection = True
            entry["status"] = None  # the recorded entry, corrected
            entry["fault"] = (label + ", " if label else "") + "client gone"

    def _learn_credentials(self, payload):
        """Remembers temporary credentials moto's STS issued."""
        try:
            root = ET.fromstring(payload)
        except ET.ParseError:
            return
        for creds in root.iter():
            if not creds.tag.endswith("Credentials"):
                continue
            fields = {child.tag.split("}")[-1]: (child.text or "")
                      for child in creds}
            if "AccessKeyId" in fields and "SecretAccessKey" in fields:
                self.proxy.credentials.add(fields["AccessKeyId"],
                                           fields["SecretAccessKey"],
                                           fields.get("SessionToken") or None,
                                           temporary=True)
                log(f"learned temporary credentials {fields['AccessKeyId']}")


class ControlHandler(http.server.BaseHTTPRequestHandler):
    """JSON control API used by the test harness."""
    protocol_version = "HTTP/1.1"

    def log_message(self, fmt, *args):
        pass

    def _reply(self, status, value):
        body = json.dumps(value).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def do_GET(self):
        self.do_POST()

    def do_POST(self):
        length = int(self.headers.get("Content-Length") or 0)
        raw = self.rfile.read(length) if length else b""
        try:
            args = json.loads(raw) if raw else {}
            result = self._dispatch(self.path.strip("/"), args)
            self._reply(200, result)
        except (ValueError, TypeError, KeyError) as e:
            self._reply(400, {"error": f"{type(e).__name__}: {e}"})
        except Exception as e:
            log(f"control {self.path} failed: {e!r}")
            self._reply(500, {"error": repr(e)})

    def _dispatch(self, command, args):
        server = self.server
        proxy = server.proxy
        layer = proxy.layer
        if command == "health":
            return {"ok": True}
        if command == "stats":
            return proxy.stats_snapshot()
        if command == "reset_stats":
            proxy.stats.reset()
            if layer:
                with layer._lock:
                    layer.model_violations.clear()
            return {}
        if command == "faults":
            proxy.faults.configure(args)
            return {}
        if command == "clear_faults":
            proxy.faults.clear()
            if layer:
                layer.fail_next_run_tasks(0, clear=True)
            return {}
        if command == "inject":
            proxy.faults.inject(args["operation"], args["errors"])
            return {}
        if command == "clock_offset":
            proxy.clock_offset = float(args["seconds"])
            return {}
        if command == "credentials":
            proxy.credentials.add(args["access_key"], args["secret_key"],
                                  args.get("token"))
            return {}
        if command == "expire_credentials":
            return {"expired": proxy.credentials.expire(args.get("access_keys"))}
        if command == "script_next_task":
            if layer is None:
                raise ValueError("the lifecycle layer is off (--no-lifecycle)")
            layer.script_next_task(ecs_layer.Script.from_json(args))
            return {}
        if command == "patch_service":
            if layer is None:
                raise ValueError("the lifecycle layer is off (--no-lifecycle)")
            layer.patch_service(args["service_arn"], args.get("set"),
                                args.get("unset"))
            return {}
        if command == "fail_next_run_tasks":
            if layer is None:
                raise ValueError("the lifecycle layer is off (--no-lifecycle)")
            layer.fail_next_run_tasks(args.get("count", 1), args.get(
                "reason", ecs_layer.CAPACITY_REASON))
            return {}
        if command == "timing":
            if layer is None:
                raise ValueError("the lifecycle layer is off (--no-lifecycle)")
            layer.set_timing(args["timing"])
            return {}
        if command == "stop_from_outside":
            if layer is None:
                raise ValueError("the lifecycle layer is off (--no-lifecycle)")
            return {"stopping": layer.stop_from_outside(
                args["task_arn"], args["stop_code"], args.get("reason"))}
        if command == "tasks":
            return layer.tasks() if layer else []
        if command == "leftover_tasks":
            return layer.leftover_tasks() if layer else []
        if command == "put_log_events":
            if layer is None:
                raise ValueError("the lifecycle layer is off (--no-lifecycle)")
            layer.put_events((args["group"], args["stream"], args["region"]),
                             args["events"], DEFAULT_ACCESS_KEY)
            return {}
        if command == "shutdown":
            server.stop_event.set()
            return {}
        raise ValueError(f"unknown control command '{command}'")


class Server(http.server.ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True
    request_queue_size = 128


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _die_with_parent():
    """In the moto child: get SIGTERM if localaws dies, even by SIGKILL."""
    try:
        libc = ctypes.CDLL("libc.so.6", use_errno=True)
        libc.prctl(1, signal.SIGTERM)  # PR_SET_PDEATHSIG
    except OSError:
        pass


def start_moto(state_dir, deadline_seconds=30.0):
    """Starts moto.server; returns (Popen, port) once it answers HTTP.

    On failure, raises RuntimeError with the tail of moto's log.
    """
    log_path = os.path.join(state_dir, "moto.log")
    last_error = None
    for _ in range(3):
        port = free_port()
        with open(log_path, "ab") as log_file:
            proc = subprocess.Popen(
                [sys.executable, os.path.join(HERE, "moto_launcher.py"), "-H",
                 "127.0.0.1", "-p", str(port)], stdin=subprocess.DEVNULL, stdout=log_file,
                stderr=subprocess.STDOUT, preexec_fn=_die_with_parent)
        deadline = time.time() + deadline_seconds
        while time.time() < deadline:
            if proc.poll() is not None:
                last_error = f"moto exited with {proc.returncode}"
                break
            try:
                conn = http.client.HTTPConnection("127.0.0.1", port, timeout=2)
                conn.request("GET", "/moto-api/data.json")
                conn.getresponse().read()
                conn.close()
                return proc, port
            except OSError:
                time.sleep(0.02)
        else:
            last_error = "moto did not answer in time"
            stop_process(proc)
    with open(log_path, "rb") as f:
        tail = f.read()[-2000:].decode("utf-8", "replace")
    raise RuntimeError(f"{last_error}; moto.log ends with:\n{tail}")


def stop_process(proc, grace=3.0):
    if proc.poll() is not None:
        return
    proc.terminate()
    try:
        proc.wait(timeout=grace)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait()


def serve(args):
    t0 = time.time()
    os.makedirs(args.state_dir, exist_ok=True)
    stop_event = threading.Event()
    for sig in (signal.SIGTERM, signal.SIGINT):
        signal.signal(sig, lambda *_: stop_event.set())

    moto_proc, moto_port = start_moto(args.state_dir)
    moto_ready = time.time()
    try:
        credentials = sigv4check.CredentialStore()
        credentials.add(args.access_key, args.secret_key)
        moto = MotoClient("127.0.0.1", moto_port)
        proxy = Proxy(moto, credentials, lifecycle=not args.no_lifecycle,
                      exec_mode=args.exec_mode, exec_cwd=args.exec_cwd,
                      verbose=args.verbose)
        if proxy.layer is not None:
            ecs_layer.model_check.service_model("ecs")  # Load before serving.
            proxy.layer.set_timing(args.timing)
        proxy_server = Server(("127.0.0.1", args.port), Handler)
        proxy_server.proxy = proxy
        control_server = Server(("127.0.0.1", 0), ControlHandler)
        control_server.proxy = proxy
        control_server.stop_event = stop_event
        threads = [
            threading.Thread(target=s.serve_forever, kwargs={"poll_interval": 0.1},
                             daemon=True)
            for s in (proxy_server, control_server)
        ]
        for thread in threads:
            thread.start()
        info = {
            "endpoint": f"http://127.0.0.1:{proxy_server.server_address[1]}",
            "moto_endpoint": f"http://127.0.0.1:{moto_port}",
            "control": f"http://127.0.0.1:{control_server.server_address[1]}",
            "pid": os.getpid(),
            "moto_pid": moto_proc.pid,
            "region": args.region,
            "access_key_id": args.access_key,
            "secret_access_key": args.secret_key,
            "lifecycle": not args.no_lifecycle,
            "exec_mode": args.exec_mode,
            "startup_seconds": {"moto": round(moto_ready - t0, 3),
                                "total": round(time.time() - t0, 3)},
        }
        path = os.path.join(args.state_dir, "endpoint.json")
        with open(path + ".tmp", "w") as f:
            json.dump(info, f, indent=2)
        os.replace(path + ".tmp", path)
        log(f"serving {info['endpoint']} (moto {info['moto_endpoint']}, "
            f"control {info['control']}) in {info['startup_seconds']['total']}s")
        while not stop_event.wait(0.2):
            if args.parent_pid and not _alive(args.parent_pid):
                log(f"parent {args.parent_pid} is gone; shutting down")
                break
            if moto_proc.poll() is not None:
                log(f"moto exited unexpectedly ({moto_proc.returncode})")
                break
        if proxy.layer is not None:
            proxy.layer.shutdown()
        proxy_server.shutdown()
        control_server.shutdown()
    finally:
        stop_process(moto_proc)
    log("stopped")
    return 0


def _alive(pid):
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def main(argv=None):
    parser = argparse.ArgumentParser(prog="localaws", description=__doc__,
                                     formatter_class=argparse.RawTextHelpFormatter)
    sub = parser.add_subparsers(dest="command", required=True)
    s = sub.add_parser("serve", help="run moto behind the checking proxy")
    s.add_argument("--state-dir", required=True)
    s.add_argument("--exec-mode", action="store_true",
                   help="RunTask really runs the command as a local process")
    s.add_argument("--no-lifecycle", action="store_true",
                   help="no ECS lifecycle layer: moto's own task behaviour")
    s.add_argument("--timing", default="fargate",
                   choices=sorted(ecs_layer.TIMINGS),
                   help="ECS timing of new tasks: MISSING window after RunTask, "
                        "stop sequence (ecs_layer.TIMINGS)")
    s.add_argument("--exec-cwd", default=None,
                   help="working directory of exec-mode tasks (default: cwd)")
    s.add_argument("--region", default="us-east-1")
    s.add_argument("--access-key", default=DEFAULT_ACCESS_KEY)
    s.add_argument("--secret-key", default=DEFAULT_SECRET_KEY)
    s.add_argument("--port", type=int, default=0,
                   help="proxy port (default: a free one)")
    s.add_argument("--parent-pid", type=int, default=0,
                   help="shut down when this process is gone")
    s.add_argument("-v", "--verbose", action="store_true")
    args = parser.parse_args(argv)
    if args.command == "serve":
        return serve(args)
    return 2


if __name__ == "__main__":
    sys.exit(main())
