"""Fault plans for the proxy: random rates (seeded) and scripted injections.

A decision is a dict:
  {"slow": seconds to sleep first (0 for none),
   "action": None | "error" | "reset_before" | "reset_after" | "malformed",
   "status": int, "code": str, "message": str (for "error"),
   "label": short name for the request log}
"""

import collections
import json
import random
import threading

RATE_NAMES = ("throttle", "error_5xx", "reset_before", "reset_after", "slow",
              "malformed")


class Faults:

    def __init__(self):
        self._lock = threading.Lock()
        self._rates = None
        self._slow_seconds = 0.0
        self._operations = None
        self._rng = random.Random(1)
        self._scripted = collections.defaultdict(collections.deque)

    def configure(self, config):
        """Sets random fault rates. On a rate outside [0, 1], raises ValueError."""
        rates = {}
        for name in RATE_NAMES:
            rate = float(config.get(name, 0.0) or 0.0)
            if not 0.0 <= rate <= 1.0:
                raise ValueError(f"fault rate {name}={rate} is not in [0, 1]")
            rates[name] = rate
        operations = config.get("operations")
        with self._lock:
            self._rates = rates
            self._slow_seconds = float(config.get("slow_seconds", 0.0) or 0.0)
            self._operations = set(operations) if operations else None
            self._rng = random.Random(config.get("seed", 1))

    def clear(self):
        with self._lock:
            self._rates = None
            self._operations = None
            self._scripted.clear()

    def inject(self, operation, errors):
        """Queues scripted responses for the next calls of operation."""
        for spec in errors:
            if not isinstance(spec, dict):
                raise ValueError(f"injected error must be an object: {spec!r}")
            _from_spec(spec)  # Refuse a bad spec now, not mid-request.
        with self._lock:
            self._scripted[operation].extend(errors)

    def pending(self):
        with self._lock:
            return {op: list(q) for op, q in self._scripted.items() if q}

    def decide(self, operation):
        """The fault for this request of operation, or None."""
        with self._lock:
            queue = self._scripted.get(operation)
            if queue:
                return _from_spec(queue.popleft())
            if self._rates is None:
                return None
            if self._operations is not None and operation not in self._operations:
                return None
            # Always draw every rate, in a fixed order, so the sequence of
            # decisions depends only on the seed and the request order.
            draws = {name: self._rng.random() for name in RATE_NAMES}
            rates = self._rates
            slow_seconds = self._slow_seconds
        decision = {"slow": 0.0, "action": None, "label": None}
        if draws["slow"] < rates["slow"]:
            decision["slow"] = slow_seconds
            decision["label"] = "slow"
        if draws["throttle"] < rates["throttle"]:
            decision.update(action="error", status=400, code=None,
                            throttle=True, label="throttle")
        elif draws["error_5xx"] < rates["error_5xx"]:
            decision.update(action="error", status=500, code=None,
                            label="error_5xx")
        elif draws["reset_before"] < rates["reset_before"]:
            decision.update(action="reset_before", label="reset_before")
        elif draws["reset_after"] < rates["reset_after"]:
            decision.update(action="reset_after", label="reset_after")
        elif draws["malformed"] < rates["malformed"]:
            decision.update(action="malformed", label="malformed")
        if decision["action"] is None and not decision["slow"]:
            return None
        return decision


def _from_spec(spec):
    """Turns a scripted spec into a decision.

    Specs: {"status": 400, "code": "ThrottlingException", "message": "..."},
    {"reset": "before"|"after"}, {"malformed": true}, {"slow": seconds}
    (then answered normally), {"pass": true} (answered normally),
    {"body": {...} or "text", "status": 200} (answered with this body, not
    forwarded: e.g. a RunTask with "failures"), {"rewrite": {"tasks.0.lastStatus":
    "RUNNING\n::warning::x"}} (answered normally, then each dotted path of the
    JSON answer set to its value: a hostile or malformed field in a real answer).
    """
    slow = float(spec.get("slow", 0.0) or 0.0)
    decision = {"slow": slow, "action": None,
                "label": "scripted slow" if slow else "scripted"}
    if "rewrite" in spec:
        fields = spec["rewrite"]
        if not isinstance(fields, dict) or not fields:
            raise ValueError(f"rewrite must map dotted paths to values: {spec!r}")
        decision.update(action="rewrite", fields=fields, label="scripted rewrite")
    elif "body" in spec:
        decision.update(action="respond", status=int(spec.get("status", 200)),
                        body=spec["body"], label="scripted respond")
    elif "reset" in spec:
        where = spec["reset"]
        if where not in ("before", "after"):
            raise ValueError(f"reset must be 'before' or 'after': {spec!r}")
        decision["action"] = "reset_" + where
        decision["label"] = "scripted reset_" + where
    elif spec.get("malformed"):
        decision["action"] = "malformed"
        decision["label"] = "scripted malformed"
    elif "status" in spec:
        status = int(spec["status"])
        code = spec.get("code")
        decision.update(action="error", status=status, code=code,
                        message=spec.get("message"),
                        throttle=code in ("ThrottlingException", "Throttling"),
                        label=f"scripted {status} {code or ''}".strip())
    return decision


def rewrite_answer(payload, fields):
    """The JSON answer payload (bytes) with each dotted path of fields set.

    A path's parts are object keys or list indexes ("tasks.0.taskArn"). On a
    path the answer does not have, raises KeyError: the test asked for a
    field that is not there.
    """
    answer = json.loads(payload)
    for path, value in fields.items():
        parts = path.split(".")
        node = answer
        for part in parts[:-1]:
            node = node[int(part)] if isinstance(node, list) else node[part]
        last = parts[-1]
        if isinstance(node, list):
            node[int(last)] = value
        elif last in node:
            node[last] = value
        else:
            raise KeyError(f"rewrite: the answer has no {path}")
    return json.dumps(answer).encode()
