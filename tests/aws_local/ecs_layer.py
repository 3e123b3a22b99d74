"""The ECS task lifecycle moto lacks, layered over moto's own ECS.

moto stays the source of truth for clusters, services, task definitions and
ListTasks; this layer adds what a migration runner depends on:
  * RunTask clientToken idempotency (moto ignores the token);
  * a scripted lifecycle per task advanced by wall time (PROVISIONING ->
    PENDING -> RUNNING -> STOPPED, exit codes, stop codes, reasons, failures to
    start), instead of moto's describe-call-driven states;
  * StopTask recorded as UserInitiated with its reason;
  * exec mode: the task's command really runs as a local process whose output
    goes to moto's CloudWatch Logs and whose exit status is the container's.
Every request it handles is checked against botocore's ECS input shape and every
response it patches against the output shape; problems go to model_violations.
"""

import copy
import json
import os
import signal
import subprocess
import sys
import threading
import time
import uuid

import model_check

DEFAULT_STATUSES = (("PROVISIONING", 0.2), ("PENDING", 0.3), ("RUNNING", 1.0))
STOPPING_STATUSES = ("DEACTIVATING", "STOPPING", "DEPROVISIONING")
DEFAULT_STOPPED_REASON = "Essential container in task exited"
# RunTask's failure reason when Fargate has no capacity (AWS re:Post,
# "ecs-fargate-runtask-capacity"); EC2 placement reports RESOURCE:CPU,
# RESOURCE:MEMORY, ... with the container instance's ARN.
CAPACITY_REASON = ("Capacity is unavailable at this time. Please try again "
                   "later or in a different availability zone")

# -- ECS timing (wait side of #14) ---------------------------------------------
# How long real ECS takes for what a waiter sees, per task (a Script may set
# each value; None takes the layer's profile):
#   missing_seconds  DescribeTasks answers failures [{arn, reason: MISSING}]
#                    and ListTasks omits the task for this long after RunTask
#                    (RunTask API reference: eventual consistency, back off;
#                    dagster#4448, dask-cloudprovider#483: about a second).
#   stop_sequence    after the essential container exits (or a stop from
#                    outside begins) the task is DEACTIVATING, STOPPING, then
#                    DEPROVISIONING while Fargate releases the network
#                    interface: tens of seconds, sometimes many minutes
#                    (aws/amazon-ecs-agent#2995); STOPPED only after it.
#   sigterm_seconds  how long a running container takes to exit once STOPPING
#                    sends it SIGTERM (a stop from outside).
#   log_delivery_seconds  how long a scripted line takes from the container
#                    printing it to GetLogEvents showing it: the awslogs driver
#                    batches and CloudWatch Logs ingests asynchronously, so the
#                    last lines (often the error) arrive after the container's
#                    exit, when a waiter may already have seen it.
TIMINGS = {
    "fargate": {"missing_seconds": 1.0,
                "stop_sequence": (("DEACTIVATING", 2.0), ("STOPPING", 3.0),
                                  ("DEPROVISIONING", 25.0)),
                "sigterm_seconds": 1.0, "log_delivery_seconds": 2.0},
    # The same timings, scaled down so the suite stays fast.
    "test": {"missing_seconds": 0.4,
             "stop_sequence": (("DEACTIVATING", 0.2), ("STOPPING", 0.2),
                               ("DEPROVISIONING", 0.4)),
             "sigterm_seconds": 0.1, "log_delivery_seconds": 0.3},
    # The orderly ECS of old: visible at once, STOPPED at the container's exit.
    "instant": {"missing_seconds": 0.0, "stop_sequence": (),
                "sigterm_seconds": 0.0, "log_delivery_seconds": 0.0},
}
# stoppedReason as ECS words it for each stop from outside (UserInitiated
# shows StopTask's own reason when one was given).
OUTSIDE_STOP_REASONS = {
    "UserInitiated": "Task stopped by user",
    "ServiceSchedulerInitiated":
        "Scaling activity initiated by (deployment ecs-svc/5169280574093855189)",
    "SpotInterruption": "Your Spot Task was interrupted.",
    "TerminationNotice": "ECS is performing maintenance on the underlying "
                         "infrastructure hosting the task",
}
# What a container that does not handle SIGTERM specially exits with.
SIGTERM_EXIT_CODE = 143


def timing_profile(value):
    """A profile name or a dict of TIMINGS keys -> a complete timing dict."""
    if isinstance(value, str):
        if value not in TIMINGS:
            raise ValueError(f"unknown timing '{value}' ({', '.join(TIMINGS)})")
        return dict(TIMINGS[value])
    merged = dict(TIMINGS["test"])
    for key, item in dict(value).items():
        if key not in merged:
            raise ValueError(f"unknown timing key '{key}'")
        merged[key] = item
    return _checked_timing(merged)


def _checked_timing(timing):
    timing["missing_seconds"] = float(timing["missing_seconds"])
    timing["sigterm_seconds"] = float(timing["sigterm_seconds"])
    timing["log_delivery_seconds"] = float(timing["log_delivery_seconds"])
    sequence = [(str(s), float(d)) for s, d in timing["stop_sequence"]]
    for status, duration in sequence:
        if status not in STOPPING_STATUSES or duration < 0:
            raise ValueError(f"bad stop_sequence step ({status}, {duration})")
    timing["stop_sequence"] = tuple(sequence)
    if min(timing["missing_seconds"], timing["sigterm_seconds"],
           timing["log_delivery_seconds"]) < 0:
        raise ValueError("negative timing")
    return timing


class LayerError(Exception):
    """An ECS error the layer answers itself (status, code, message)."""

    def __init__(self, status, code, message):
        super().__init__(message)
        self.status = status
        self.code = code
        self.message = message


class Script:
    """How the next task lives; see LocalAws.script_next_task."""

    def __init__(self, statuses=DEFAULT_STATUSES, exit_codes=None,
                 stop_code="EssentialContainerExited",
                 stopped_reason=DEFAULT_STOPPED_REASON, container_reasons=None,
                 missing_exit_code=False, fail_to_start=False, log_lines=None,
                 log_interval=0.0, missing_seconds=None, stop_sequence=None,
                 sigterm_seconds=None, outside_stop=None,
                 log_delivery_seconds=None):
        self.statuses = [(str(s), float(d)) for s, d in statuses]
        for status, duration in self.statuses:
            if duration < 0:
                raise ValueError(f"negative duration for {status}")
        self.exit_codes = dict(exit_codes or {})
        self.stop_code = stop_code
        self.stopped_reason = stopped_reason
        self.container_reasons = dict(container_reasons or {})
        self.missing_exit_code = missing_exit_code
        self.fail_to_start = bool(fail_to_start)
        self.log_lines = {k: list(v) for k, v in (log_lines or {}).items()}
        self.log_interval = float(log_interval or 0.0)
        if self.fail_to_start:
            self.statuses = [(s, d) for s, d in self.statuses
                             if s not in ("RUNNING",) + STOPPING_STATUSES]
            if self.stop_code == "EssentialContainerExited":
                self.stop_code = "TaskFailedToStart"
        self._init_timing(missing_seconds, stop_sequence, sigterm_seconds,
                          outside_stop)
        self.timing["log_delivery_seconds"] = log_delivery_seconds

    # -- timing (wait side of #14) --

    def _init_timing(self, missing_seconds, stop_sequence, sigterm_seconds,
                     outside_stop):
        """outside_stop {"stop_code": one of OUTSIDE_STOP_REASONS, "after":
        seconds from RUNNING, "reason": optional stoppedReason}: the task is
        stopped from outside then, as StopTask would (if it has not exited)."""
        self.timing = {"missing_seconds": missing_seconds,
                       "stop_sequence": stop_sequence,
                       "sigterm_seconds": sigterm_seconds}
        if outside_stop is not None:
            outside_stop = dict(outside_stop)
            if outside_stop.get("stop_code") not in OUTSIDE_STOP_REASONS:
                raise ValueError("outside_stop.stop_code must be one of " +
                                 ", ".join(OUTSIDE_STOP_REASONS))
            outside_stop["after"] = float(outside_stop.get("after", 0.0))
        self.outside_stop = outside_stop

    def with_timing(self, defaults):
        """Fills the timing this script left unset from the layer's profile."""
        timing = {k: (v if v is not None else defaults[k])
                  for k, v in self.timing.items()}
        self.timing = _checked_timing(timing)
        return self

    @classmethod
    def from_json(cls, data):
        data = dict(data)
        if "statuses" in data and data["statuses"] is not None:
            data["statuses"] = [tuple(x) for x in data["statuses"]]
        else:
            data.pop("statuses", None)
        return cls(**data)


def parse_task_arn(arn):
    """(region, account, cluster or None, task id) of a task ARN."""
    parts = arn.split(":", 5)
    resource = parts[5].split("/")
    if len(resource) == 3:
        return parts[3], parts[4], resource[1], resource[2]
    return parts[3], parts[4], None, resource[-1]


class TaskRecord:

    def __init__(self, arn, cluster_arn, task_definition, overrides, started_by,
                 client_token, script, access_key, exec_mode):
        self.arn = arn
        self.region, self.account, _, self.id = parse_task_arn(arn)
        self.cluster_arn = cluster_arn
        self.cluster = cluster_arn.rsplit("/", 1)[-1]
        self.task_definition = task_definition
        self.containers = task_definition.get("containerDefinitions", [])
        self.container_arns = {
            c["name"]: f"arn:aws:ecs:{self.region}:{self.account}:container/"
                       f"{self.cluster}/{self.id}/{uuid.uuid4()}"
            for c in self.containers
        }
        self.overrides = overrides
        self.started_by = started_by
        self.client_token = client_token
        self.script = script
        self.access_key = access_key
        self.exec_mode = exec_mode
        self.created = time.time()
        self.last_status = "PROVISIONING"
        self.desired_status = "RUNNING"
        self.started_at = None
        self.stopping_at = None
        self.stopped_at = None
        self.stop_code = None
        self.stopped_reason = None
        self.exit_codes = {}
        self.container_reasons = {}
        self.stopped_by_user = False
        self.stop_reason = None
        # Timing (wait side of #14): see TIMINGS.
        self.timing = script.timing
        self.visible_at = self.created + (script.timing["missing_seconds"] or 0)
        self.stopped_outside = False  # a stop from outside, any stopCode
        self.stop_phases = None  # [(status, start, end)] once stopping
        self.containers_exit_at = None
        self.execution_stopped_at = None
        self.sigterm_exit_pending = False
        self.log_sent = {}  # container -> scripted lines written
        self.log_lock = threading.Lock()
        self.streams_created = False
        self.moto_stopped = False
        # Exec mode.
        self.processes = {}
        self.exec_done = threading.Event()
        self.exec_error = None

    # -- scripted lifecycle ------------------------------------------------

    def advance(self, now):
        """Moves a task to its state at wall time now."""
        if self.last_status == "STOPPED":
            return
        if self.stop_phases is None and not self.exec_mode:
            self._advance_script(now)
        if self.stop_phases is not None:
            self._advance_stop(now)

    def _advance_script(self, now):
        """The scripted statuses, until the container's exit or a scripted
        stop from outside, whichever comes first."""
        stop_at = self.created + sum(d for _, d in self.script.statuses)
        outside = self.script.outside_stop
        running_at = self._scripted_start("RUNNING")
        if outside is not None and running_at is not None and (
                running_at + outside["after"] < stop_at):
            stop_at = running_at + outside["after"]
        else:
            outside = None
        offset = 0.0
        for status, duration in self.script.statuses:
            start = self.created + offset
            if start > min(now, stop_at):
                break
            self._enter(status, start)
            offset += duration
        if now < stop_at:
            return
        if outside is not None:
            self.outside_stop(stop_at, outside["stop_code"],
                              outside.get("reason"))
        else:
            self._natural_stop(stop_at)

    def _scripted_start(self, wanted):
        offset = 0.0
        for status, duration in self.script.statuses:
            if status == wanted:
                return self.created + offset
            offset += duration
        return None

    def visible(self, now):
        """False inside the MISSING window right after RunTask."""
        return now >= self.visible_at

    def _begin_stop(self, at, exit_delay=None):
        """The stop sequence from `at`. exit_delay None: the containers have
        exited at `at`; else they get SIGTERM as STOPPING begins and exit
        exit_delay later (STOPPING lasts at least that long)."""
        self.desired_status = "STOPPED"
        if self.stopping_at is None:
            self.stopping_at = at
        phases, t = [], at
        self.containers_exit_at = at if exit_delay is None else None
        for status, duration in self.timing["stop_sequence"]:
            if status == "STOPPING" and exit_delay is not None:
                self.containers_exit_at = t + exit_delay
                duration = max(duration, exit_delay)
            phases.append((status, t, t + duration))
            t += duration
        if self.containers_exit_at is None:
            self.containers_exit_at = t + (exit_delay or 0.0)
            t = self.containers_exit_at
        self.stop_phases = phases
        self.stop_ends_at = t

    def _advance_stop(self, now):
        if (self.execution_stopped_at is None and
                self.containers_exit_at is not None and
                now >= self.containers_exit_at):
            self.execution_stopped_at = self.containers_exit_at
            if self.sigterm_exit_pending:
                for name in self.container_arns:
                    self.exit_codes[name] = int(self.script.exit_codes.get(
                        name, SIGTERM_EXIT_CODE))
        for status, start, end in self.stop_phases:
            if now < end:
                self.last_status = status
                return
        self._mark_stopped(self.stop_ends_at)

    def outside_stop(self, at, stop_code, reason=None):
        """A stop from outside (StopTask, the service scheduler, a Spot
        interruption, a termination notice): stopCode and stoppedReason at
        once, SIGTERM to running containers, then the stop sequence. False
        when the task is already stopping."""
        if self.last_status == "STOPPED" or self.desired_status == "STOPPED":
            return False
        self.stopped_outside = True
        self.stop_code = stop_code
        self.stopped_reason = reason or OUTSIDE_STOP_REASONS[stop_code]
        if stop_code == "UserInitiated":
            self.stopped_by_user = True
            self.stop_reason = reason
        if self.exec_mode:
            # The layer signals the processes; their exit begins the sequence.
            self.desired_status = "STOPPED"
            self.stopping_at = at
            if self.last_status == "RUNNING":
                self.last_status = "DEACTIVATING"
            return True
        running = self.started_at is not None
        self.sigterm_exit_pending = running
        self._begin_stop(at, self.timing["sigterm_seconds"] if running else 0.0)
        return True

    def containers_exited(self, at):
        """Exec mode: every process has exited (exit codes are set)."""
        self._begin_stop(at)
        self.advance(at)

    def _enter(self, status, at):
        self.last_status = status
        if status == "RUNNING" and self.started_at is None:
            self.started_at = at
        if status in STOPPING_STATUSES:
            self.desired_status = "STOPPED"
            if self.stopping_at is None:
                self.stopping_at = at

    def _natural_stop(self, at):
        script = self.script
        self.stop_code = script.stop_code
        if script.fail_to_start:
            image = self.containers[0].get("image", "") if self.containers else ""
            pull_error = ("CannotPullContainerError: pull image manifest has "
                          "been retried 5 time(s): failed to resolve ref "
                          f"{image}: not found")
            self.stopped_reason = (pull_error if script.stopped_reason
                                   == DEFAULT_STOPPED_REASON else
                                   script.stopped_reason)
            for name in self.container_arns:
                self.container_reasons[name] = script.container_reasons.get(
                    name, pull_error)
        else:
            self.stopped_reason = script.stopped_reason
            missing = script.missing_exit_code
            for name in self.container_arns:
                if missing is True or (isinstance(missing, (list, tuple)) and
                                       name in missing):
                    continue
                self.exit_codes[name] = int(script.exit_codes.get(name, 0))
            self.container_reasons.update(script.container_reasons)
        self._begin_stop(at)

    def _mark_stopped(self, at):
        self.last_status = "STOPPED"
        self.desired_status = "STOPPED"
        if self.stopping_at is None:
            self.stopping_at = at
        self.stopped_at = at

    def user_stop(self, reason, now):
        """StopTask: UserInitiated with the given reason."""
        stopping = self.outside_stop(now, "UserInitiated", reason)
        self.advance(now)
        return stopping

    def essential_names(self):
        return [c["name"] for c in self.containers if c.get("essential", True)]

    # -- rendering -----------------------------------------------------------

    def container_status(self):
        if self.last_status == "STOPPED" or self.execution_stopped_at:
            return "STOPPED"
        if self.started_at is not None:
            return "RUNNING"
        return "PENDING"

    def render(self, moto_task):
        """The DescribeTasks task object: moto's, with the lifecycle patched."""
        task = copy.deepcopy(moto_task) if moto_task else {}
        task["taskArn"] = self.arn
        task["clusterArn"] = self.cluster_arn
        task["taskDefinitionArn"] = self.task_definition.get(
            "taskDefinitionArn", task.get("taskDefinitionArn", ""))
        task["lastStatus"] = self.last_status
        task["desiredStatus"] = self.desired_status
        task["createdAt"] = self.created
        task["overrides"] = self.overrides if self.overrides else {
            "containerOverrides": [], "inferenceAcceleratorOverrides": []}
        if self.started_by:
            task["startedBy"] = self.started_by
        for key in ("startedAt", "stoppingAt", "stoppedAt",
                    "executionStoppedAt", "stopCode", "stoppedReason",
                    "pullStartedAt", "pullStoppedAt"):
            task.pop(key, None)
        if self.started_at is not None:
            task["pullStartedAt"] = self.created
            task["pullStoppedAt"] = self.started_at
            task["startedAt"] = self.started_at
        if self.stopping_at is not None:
            task["stoppingAt"] = self.stopping_at
        if self.execution_stopped_at is not None:
            task["executionStoppedAt"] = self.execution_stopped_at
        if self.last_status == "STOPPED":
            task["stoppedAt"] = self.stopped_at
        if self.stop_code is not None and (self.last_status == "STOPPED" or
                                           self.desired_status == "STOPPED"):
            task["stopCode"] = self.stop_code
            task["stoppedReason"] = self.stopped_reason
        containers = []
        status = self.container_status()
        for definition in self.containers:
            name = definition["name"]
            container = {
                "containerArn": self.container_arns[name],
                "taskArn": self.arn,
                "name": name,
                "image": definition.get("image", ""),
                "lastStatus": status,
                "networkInterfaces": [],
                "healthStatus": "UNKNOWN",
            }
            if status == "STOPPED" and name in self.exit_codes:
                container["exitCode"] = self.exit_codes[name]
            if status == "STOPPED" and name in self.container_reasons:
                container["reason"] = self.container_reasons[name]
            if "cpu" in definition:
                container["cpu"] = str(definition["cpu"])
            if "memory" in definition:
                container["memory"] = str(definition["memory"])
            containers.append(container)
        task["containers"] = containers
        return task

    def summary(self):
        return {
            "arn": self.arn,
            "id": self.id,
            "cluster": self.cluster,
            "lastStatus": self.last_status,
            "desiredStatus": self.desired_status,
            "started_by": self.started_by,
            "client_token": self.client_token,
            "stopped_by_user": self.stopped_by_user,
            "stopped_outside": self.stopped_outside,
            "stop_reason": self.stop_reason,
            "stopping_at": self.stopping_at,
            "execution_stopped_at": self.execution_stopped_at,
            "stopped_at": self.stopped_at,
            "visible": self.visible(time.time()),
            "stop_code": self.stop_code,
            "stopped_reason": self.stopped_reason,
            "exit_codes": dict(self.exit_codes),
            "overrides": self.overrides,
            "exec": self.exec_mode,
            "created": self.created,
        }

    # -- awslogs -------------------------------------------------------------

    def log_target(self, container_name):
        """(group, stream, region) of a container's awslogs, or None."""
        for definition in self.containers:
            if definition["name"] != container_name:
                continue
            config = definition.get("logConfiguration") or {}
            if config.get("logDriver") != "awslogs":
                return None
            options = config.get("options") or {}
            group = options.get("awslogs-group")
            if not group:
                return None
            prefix = options.get("awslogs-stream-prefix")
            stream = (f"{prefix}/{container_name}/{self.id}" if prefix else
                      self.id)
            return group, stream, options.get("awslogs-region", self.region)
        return None


class EcsLayer:

    def __init__(self, moto_call, exec_mode=False, exec_cwd=None, log=None):
        self._moto_call = moto_call  # (service, op, params, region, key) -> dict
        self._exec_mode = exec_mode
        self._exec_cwd = exec_cwd or os.getcwd()
        self._log = log or (lambda msg: print(msg, file=sys.stderr, flush=True))
        self._lock = threading.RLock()
        self._run_lock = threading.Lock()
        self._tasks = {}
        self._order = []
        self._tokens = {}  # clientToken -> (fingerprint, response body dict)
        self._scripts = []
        self._task_definitions = {}
        self._service_patches = {}
        self._capacity_failures = []  # reasons for the next RunTasks
        self._log_groups_made = set()
        self._streams_made = set()
        self.model_violations = []
        self.timing = timing_profile("test")
        self._stop = threading.Event()
        self._ticker = threading.Thread(target=self._tick_loop, daemon=True,
                                        name="ecs-lifecycle")
        self._ticker.start()

    # -- control -------------------------------------------------------------

    def script_next_task(self, script):
        with self._lock:
            self._scripts.append(script)

    def tasks(self):
        now = time.time()
        with self._lock:
            for record in self._tasks.values():
                record.advance(now)
            return [self._tasks[arn].summary() for arn in self._order]

    def leftover_tasks(self):
        """Tasks still meant to run: one that is stopping (DEACTIVATING ...
        DEPROVISIONING) reaches STOPPED on its own."""
        return [t for t in self.tasks() if t["lastStatus"] != "STOPPED" and
                t["desiredStatus"] != "STOPPED"]

    # -- timing and stops from outside (wait side of #14) --------------------

    def set_timing(self, timing):
        """The default timing of the tasks started from now on: a TIMINGS
        name or a dict of its keys."""
        profile = timing_profile(timing)
        with self._lock:
            self.timing = profile

    def stop_from_outside(self, task_arn, stop_code, reason=None):
        """Stops a task now as the service scheduler, a Spot interruption or
        a termination notice would (stop_code names which)."""
        now = time.time()
        with self._lock:
            record = self._tasks.get(task_arn)
            if record is None:
                raise ValueError(f"unknown task {task_arn}")
            record.advance(now)
            stopping = record.outside_stop(now, stop_code, reason)
            record.advance(now)
        if stopping and record.exec_mode:
            self._signal_exec(record)
        return stopping

    def _signal_exec(self, record):
        for proc in record.processes.values():
            _kill_group(proc, signal.SIGTERM)
        threading.Timer(10.0, self._force_kill, (record,)).start()

    def _hide_missing(self, response, now):
        """DescribeTasks inside a task's MISSING window: in failures, as ECS
        answers right after RunTask."""
        tasks, failures = [], response.get("failures", [])
        for task in response.get("tasks", []):
            record = self._tasks.get(task.get("taskArn"))
            if record is not None and not record.visible(now):
                failures.append({"arn": record.arn, "reason": "MISSING"})
            else:
                tasks.append(task)
        response["tasks"] = tasks
        response["failures"] = failures

    def violation(self, text):
        with self._lock:
            self.model_violations.append(text)
        self._log(f"MODEL VIOLATION: {text}")

    def shutdown(self):
        self._stop.set()
        with self._lock:
            records = list(self._tasks.values())
        for record in records:
            for proc in record.processes.values():
                _kill_group(proc, signal.SIGKILL)

    # -- request handling ----------------------------------------------------

    HANDLED = ("RunTask", "DescribeTasks", "StopTask", "ListTasks",
               "DescribeServices")

    def patch_service(self, service_arn, set_fields, unset_fields):
        """Fields DescribeServices shows for a service that moto does not
        keep (capacityProviderStrategy, platformVersion)."""
        with self._lock:
            self._service_patches[service_arn] = (dict(set_fields or {}),
                                                  list(unset_fields or []))

    def handle(self, operation, params, access_key, region, forward):
        """Answers an ECS request; forward(params) -> (status, headers, body).

        Returns (status, headers, body bytes). On an error the layer answers
        itself, raises LayerError.
        """
        for problem in model_check.check_input("ecs", operation, params):
            self.violation(f"request ecs:{operation}: {problem}")
        if operation == "RunTask":
            return self._run_task(params, access_key, region, forward)
        if operation == "DescribeTasks":
            return self._describe_tasks(params, forward)
        if operation == "StopTask":
            return self._stop_task(params, forward)
        if operation == "ListTasks":
            return self._list_tasks(params, access_key, region, forward)
        if operation == "DescribeServices":
            return self._describe_services(params, forward)
        return forward(params)

    def _checked(self, operation, status, headers, body):
        problems = model_check.check_output("ecs", operation, body)
        for problem in problems:
            self.violation(f"response ecs:{operation}: {problem}")
        if not any(name.lower() == "content-type" for name, _ in headers):
            headers = list(headers) + [
                ("Content-Type", "application/x-amz-json-1.1"),
                ("x-amzn-RequestId", str(uuid.uuid4()))]
        return status, headers, json.dumps(body).encode()

    def _run_task(self, params, access_key, region, forward):
        token = params.get("clientToken")
        fingerprint = json.dumps(
            {k: v for k, v in params.items() if k != "clientToken"},
            sort_keys=True)
        with self._run_lock:
            if token is not None:
                with self._lock:
                    known = self._tokens.get(token)
                if known is not None:
                    if known[0] != fingerprint:
                        raise LayerError(
                            400, "InvalidParameterException",
                            "The specified client token has already been used "
                            "in a request with different parameters.")
                    return self._checked("RunTask", 200, [],
                                         self._replay(known[1]))
            failure = self._capacity_failure(params, access_key, region)
            if failure is not None:
                return self._checked("RunTask", 200, [], failure)
            # moto validates clientToken's length but otherwise ignores it,
            # and places tasks without container instances only when asked
            # for FARGATE explicitly; a capacity provider strategy (given,
            # or the cluster's default) is run as FARGATE there.
            forwarded = dict(params)
            strategy = params.get("capacityProviderStrategy")
            if not params.get("launchType") and not strategy:
                strategy = self._default_strategy(params, access_key, region)
                if not strategy:
                    forwarded["launchType"] = "EC2"
            if forwarded.get("launchType") == "EC2":
                self._check_ec2_launch(params, access_key, region)
            if not forwarded.get("launchType"):
                forwarded.pop("capacityProviderStrategy", None)
                forwarded["launchType"] = "FARGATE"
            # ECS uses the VPC's default group when none is given; moto fails
            # with a KeyError.
            vpc_config = (params.get("networkConfiguration") or {}).get(
                "awsvpcConfiguration")
            if vpc_config is not None and "securityGroups" not in vpc_config:
                forwarded["networkConfiguration"] = {"awsvpcConfiguration": dict(
                    vpc_config, securityGroups=[])}
            status, headers, body = forward(forwarded)
            if status != 200:
                return status, headers, body
            response = json.loads(body)
            with self._lock:
                script = self._scripts.pop(0) if self._scripts else Script()
                script.with_timing(self.timing)
            records = []
            for moto_task in response.get("tasks", []):
                if strategy and not params.get("launchType"):
                    moto_task["capacityProviderName"] = strategy[0].get(
                        "capacityProvider", "FARGATE")
                definition = self._task_definition(
                    moto_task["taskDefinitionArn"], access_key,
                    parse_task_arn(moto_task["taskArn"])[0])
                record = TaskRecord(moto_task["taskArn"],
                                    moto_task["clusterArn"], definition,
                                    params.get("overrides"),
                                    params.get("startedBy"), token, script,
                                    access_key, self._exec_mode)
                records.append(record)
            with self._lock:
                for record in records:
                    self._tasks[record.arn] = record
                    self._order.append(record.arn)
                response["tasks"] = [
                    r.render(t) for r, t in zip(records, response["tasks"])
                ]
                if token is not None:
                    self._tokens[token] = (fingerprint, response)
            for record in records:
                self._log(f"task {record.id} started "
                          f"({'exec' if record.exec_mode else 'scripted'}, "
                          f"client token {token})")
                if record.exec_mode:
                    self._start_exec(record)
            return self._checked("RunTask", status, headers, response)

    def _replay(self, original):
        response = copy.deepcopy(original)
        now = time.time()
        with self._lock:
            tasks = []
            for task in response.get("tasks", []):
                record = self._tasks.get(task["taskArn"])
                if record is not None:
                    record.advance(now)
                    task = record.render(task)
                tasks.append(task)
        response["tasks"] = tasks
        return response

    def _describe_tasks(self, params, forward):
        status, headers, body = forward(params)
        if status != 200:
            return status, headers, body
        response = json.loads(body)
        now = time.time()
        pending_logs = []
        with self._lock:
            for record in self._tasks.values():
                record.advance(now)
            for task in response.get("tasks", []):
                record = self._tasks.get(task.get("taskArn"))
                if record is not None and self._needs_logs(record):
                    pending_logs.append(record)
        # Lines scripted for RUNNING exist before anyone can see RUNNING.
        for record in pending_logs:
            self._write_scripted_logs(record)
        with self._lock:
            response["tasks"] = [
                self._tasks[t["taskArn"]].render(t)
                if t.get("taskArn") in self._tasks else t
                for t in response.get("tasks", [])
            ]
            self._hide_missing(response, now)
        return self._checked("DescribeTasks", status, headers, response)

    def _stop_task(self, params, forward):
        status, headers, body = forward(params)
        if status != 200:
            return status, headers, body
        response = json.loads(body)
        task = response.get("task") or {}
        now = time.time()
        with self._lock:
            record = self._tasks.get(task.get("taskArn"))
            if record is None:
                return status, headers, body
            record.advance(now)
            record.moto_stopped = True
            if record.user_stop(params.get("reason"), now):
                self._log(f"task {record.id} stopped by user: "
                          f"{params.get('reason')!r}")
                if record.exec_mode:
                    self._signal_exec(record)
            response["task"] = record.render(task)
        return self._checked("StopTask", status, headers, response)

    def _describe_services(self, params, forward):
        status, headers, body = forward(params)
        if status != 200:
            return status, headers, body
        response = json.loads(body)
        with self._lock:
            if not self._service_patches:
                return status, headers, body
            for service in response.get("services", []):
                patch = self._service_patches.get(service.get("serviceArn"))
                if patch is None:
                    continue
                service.update(copy.deepcopy(patch[0]))
                for name in patch[1]:
                    service.pop(name, None)
        return self._checked("DescribeServices", status, headers, response)

    def _force_kill(self, record):
        for proc in record.processes.values():
            if proc.poll() is None:
                _kill_group(proc, signal.SIGKILL)

    def _list_tasks(self, params, access_key, region, forward):
        self._sync_moto()
        effective = params.get("desiredStatus") or "RUNNING"
        forwarded = dict(params)
        forwarded["desiredStatus"] = effective  # ECS's default; moto has none.
        status, headers, body = forward(forwarded)
        if status != 200:
            return status, headers, body
        response = json.loads(body)
        now = time.time()
        with self._lock:
            arns = []
            for arn in response.get("taskArns", []):
                record = self._tasks.get(arn)
                if record is not None and (record.desired_status != effective
                                           or not record.visible(now)):
                    continue
                arns.append(arn)
            response["taskArns"] = arns
        return self._checked("ListTasks", status, headers, response)

    # -- RunTask placement: capacity and the cluster's default launch -------

    def fail_next_run_tasks(self, count, reason=CAPACITY_REASON, clear=False):
        """The next count RunTasks start nothing and answer failures with
        reason, as ECS does when Fargate (or the cluster's instances) has no
        capacity. An idempotent replay of a started task is not counted.
        clear drops the failures still queued first."""
        if int(count) < 0:
            raise ValueError("count must not be negative")
        with self._lock:
            if clear:
                self._capacity_failures.clear()
            self._capacity_failures.extend([str(reason)] * int(count))

    def _capacity_failure(self, params, access_key, region):
        """RunTask's answer for a scripted capacity failure, or None. The
        token is not recorded: nothing started, so a retry may start one."""
        with self._lock:
            if not self._capacity_failures:
                return None
            reason = self._capacity_failures.pop(0)
        cluster = self._describe_cluster(params, access_key, region)
        failure = {"reason": reason}
        if cluster is not None:
            failure["arn"] = cluster["clusterArn"]
        self._log(f"RunTask: capacity failure ({reason})")
        return {"tasks": [], "failures": [failure]}

    def _describe_cluster(self, params, access_key, region):
        answer = self._moto_call("ecs", "DescribeClusters", {
            "clusters": [params.get("cluster") or "default"]
        }, region, access_key)
        clusters = answer.get("clusters") or []
        return clusters[0] if clusters else None

    def _default_strategy(self, params, access_key, region):
        """RunTask with neither launchType nor capacityProviderStrategy: the
        cluster's default capacity provider strategy ([] when none: then ECS
        uses the EC2 launch type)."""
        cluster = self._describe_cluster(params, access_key, region) or {}
        return cluster.get("defaultCapacityProviderStrategy") or []

    def _check_ec2_launch(self, params, access_key, region):
        """The EC2 launch type refuses a task definition that requires other
        compatibilities, and a cluster without container instances, with
        InvalidParameterException, as ECS does (moto answers a 500)."""
        definition = self._moto_call("ecs", "DescribeTaskDefinition", {
            "taskDefinition": params.get("taskDefinition")
        }, region, access_key)["taskDefinition"]
        required = definition.get("requiresCompatibilities") or ["EC2"]
        if "EC2" not in required:
            raise LayerError(400, "InvalidParameterException",
                             "Task definition does not support launch_type "
                             "EC2.")
        instances = self._moto_call("ecs", "ListContainerInstances", {
            "cluster": params.get("cluster") or "default"
        }, region, access_key).get("containerInstanceArns") or []
        if not instances:
            raise LayerError(400, "InvalidParameterException",
                             "No Container Instances were found in your "
                             "cluster.")

    # -- background ------------------------------------------------------------

    def _tick_loop(self):
        while not self._stop.wait(0.05):
            try:
                now = time.time()
                pending_logs = []
                with self._lock:
                    for record in self._tasks.values():
                        record.advance(now)
                        if self._needs_logs(record):
                            pending_logs.append(record)
                for record in pending_logs:
                    self._write_scripted_logs(record)
                self._sync_moto()
            except Exception as e:  # Keep ticking; say what broke.
                self._log(f"lifecycle tick failed: {e!r}")

    def _sync_moto(self):
        """Stops in moto the tasks this layer considers STOPPED."""
        with self._lock:
            todo = [r for r in self._tasks.values()
                    if r.last_status == "STOPPED" and not r.moto_stopped]
            for record in todo:
                record.moto_stopped = True
        for record in todo:
            try:
                self._moto_call("ecs", "StopTask", {
                    "cluster": record.cluster_arn, "task": record.arn,
                    "reason": record.stopped_reason or "stopped"
                }, record.region, record.access_key)
            except Exception as e:
                self._log(f"moto StopTask for {record.id} failed: {e!r}")

    def _needs_logs(self, record):
        if record.exec_mode or record.started_at is None:
            return False
        if not record.streams_created:
            return True
        return any(record.log_sent.get(name, 0) < len(lines)
                   for name, lines in record.script.log_lines.items())

    def _create_streams(self, record):
        """The awslogs driver creates each container's stream as it starts,
        output or not."""
        with record.log_lock:
            if record.streams_created:
                return
            record.streams_created = True
            for definition in record.containers:
                target = record.log_target(definition["name"])
                if target is not None:
                    self._ensure_stream(*target, record.access_key)

    def _write_scripted_logs(self, record):
        """Writes the scripted lines that are due: all at RUNNING, or one per
        log_interval seconds from RUNNING; the rest when the task stops on its
        own (a task stopped by the user logs nothing more)."""
        self._create_streams(record)
        with record.log_lock:
            # What was printed log_delivery_seconds ago is what can be read now.
            delivery = record.script.timing["log_delivery_seconds"] or 0.0
            now = time.time() - delivery
            interval = record.script.log_interval
            exited = (record.execution_stopped_at is not None and
                      record.execution_stopped_at <= now)
            base_ms = int(record.started_at * 1000)
            for name, lines in record.script.log_lines.items():
                sent = record.log_sent.get(name, 0)
                if now < record.started_at:
                    due = 0
                elif interval <= 0 or (exited and not record.stopped_outside):
                    due = len(lines)
                elif exited:
                    due = min(len(lines), int(
                        (record.execution_stopped_at - record.started_at) /
                        interval) + 1)
                else:
                    due = min(len(lines),
                              int((now - record.started_at) / interval) + 1)
                if due <= sent:
                    continue
                record.log_sent[name] = due
                target = record.log_target(name)
                if target is None:
                    self._log(f"task {record.id}: container {name} has no "
                              "awslogs configuration; scripted lines dropped")
                    continue
                events = [{
                    "timestamp": base_ms + max(i, int(i * interval * 1000)),
                    "message": lines[i]
                } for i in range(sent, due)]
                self.put_events(target, events, record.access_key)
            if record.stopped_outside and exited:
                for name, lines in record.script.log_lines.items():
                    record.log_sent[name] = len(lines)

    def put_events(self, target, events, access_key):
        group, stream, region = target
        self._ensure_stream(group, stream, region, access_key)
        for start in range(0, len(events), 10000):
            self._moto_call("logs", "PutLogEvents", {
                "logGroupName": group, "logStreamName": stream,
                "logEvents": events[start:start + 10000]
            }, region, access_key)

    def _ensure_stream(self, group, stream, region, access_key):
        key = (region, group)
        if key not in self._log_groups_made:
            try:
                self._moto_call("logs", "CreateLogGroup",
                                {"logGroupName": group}, region, access_key)
            except Exception as e:
                if "ResourceAlreadyExists" not in str(e):
                    raise
            self._log_groups_made.add(key)
        key = (region, group, stream)
        if key not in self._streams_made:
            try:
                self._moto_call("logs", "CreateLogStream", {
                    "logGroupName": group, "logStreamName": stream
                }, region, access_key)
            except Exception as e:
                if "ResourceAlreadyExists" not in str(e):
                    raise
            self._streams_made.add(key)

    def _task_definition(self, arn, access_key, region):
        with self._lock:
            cached = self._task_definitions.get(arn)
        if cached is None:
            result = self._moto_call("ecs", "DescribeTaskDefinition",
                                     {"taskDefinition": arn}, region, access_key)
            cached = result["taskDefinition"]
            with self._lock:
                self._task_definitions[arn] = cached
        return cached

    # -- exec mode -------------------------------------------------------------

    def _start_exec(self, record):
        threading.Thread(target=self._run_exec, args=(record,), daemon=True,
                         name=f"exec-{record.id}").start()

    def _exec_plan(self, record):
        """[(container name, argv or None, env)] from definition + overrides."""
        overrides = {
            o.get("name"): o
            for o in (record.overrides or {}).get("containerOverrides", [])
        }
        plan = []
        for definition in record.containers:
            name = definition["name"]
            override = overrides.get(name, {})
            command = override.get("command", definition.get("command")) or []
            argv = list(definition.get("entryPoint") or []) + list(command)
            env = {"PATH": os.environ.get("PATH", "/usr/bin:/bin"),
                   "HOME": os.environ.get("HOME", "/tmp")}
            for item in definition.get("environment") or []:
                env[item["name"]] = item.get("value", "")
            for item in override.get("environment") or []:
                env[item["name"]] = item.get("value", "")
            plan.append((name, argv or None, env))
        return plan

    def _run_exec(self, record):
        readers = []
        essential = set(record.essential_names())
        try:
            plan = self._exec_plan(record)
            self._create_streams(record)
            for name, argv, env in plan:
                if argv is None:
                    continue
                try:
                    proc = subprocess.Popen(
                        argv, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                        stderr=subprocess.PIPE, env=env, cwd=self._exec_cwd,
                        start_new_session=True)
                except OSError as e:
                    with self._lock:
                        record.container_reasons[name] = (
                            f"CannotStartContainerError: {argv[0]}: "
                            f"{e.strerror}")
                        record.stop_code = "TaskFailedToStart"
                        record.stopped_reason = (
                            f"CannotStartContainerError: {argv[0]}: "
                            f"{e.strerror}")
                    raise _StartFailed() from e
                record.processes[name] = proc
                target = record.log_target(name)
                for stream in (proc.stdout, proc.stderr):
                    reader = threading.Thread(
                        target=self._pump, args=(record, stream, target),
                        daemon=True)
                    reader.start()
                    readers.append(reader)
            with self._lock:
                if not record.stopped_outside:
                    record.last_status = "RUNNING"
                    record.started_at = time.time()
            self._log(f"task {record.id} running: "
                      f"{[argv for _, argv, _ in plan if argv]}")
            self._wait_exec(record, essential)
        except _StartFailed:
            for proc in record.processes.values():
                _kill_group(proc, signal.SIGKILL)
        except Exception as e:
            self._log(f"exec of task {record.id} failed: {e!r}")
            with self._lock:
                record.stop_code = record.stop_code or "TaskFailedToStart"
                record.stopped_reason = f"localaws exec failed: {e!r}"
            for proc in record.processes.values():
                _kill_group(proc, signal.SIGKILL)
        for reader in readers:
            reader.join(timeout=30)
        with self._lock:
            for name, proc in record.processes.items():
                code = proc.poll()
                if code is not None:
                    record.exit_codes[name] = code if code >= 0 else 128 - code
            for name, _, _ in self._exec_plan(record):
                if name not in record.processes and record.stop_code != (
                        "TaskFailedToStart"):
                    record.exit_codes.setdefault(name, 0)
            if record.stop_code is None:
                record.stop_code = "EssentialContainerExited"
                record.stopped_reason = DEFAULT_STOPPED_REASON
            record.containers_exited(time.time())
        record.exec_done.set()
        self._log(f"task {record.id} stopped: {record.stop_code} "
                  f"exit codes {record.exit_codes}")

    def _wait_exec(self, record, essential):
        """Returns when an essential container's process exits (others are
        then terminated, as the ECS agent does)."""
        procs = record.processes
        watched = [p for n, p in procs.items() if n in essential] or list(
            procs.values())
        while watched and all(p.poll() is None for p in watched):
            time.sleep(0.02)
        for proc in procs.values():
            if proc.poll() is None:
                _kill_group(proc, signal.SIGTERM)
        deadline = time.time() + 10
        for proc in procs.values():
            try:
                proc.wait(timeout=max(0.1, deadline - time.time()))
            except subprocess.TimeoutExpired:
                _kill_group(proc, signal.SIGKILL)
                proc.wait()

    def _pump(self, record, stream, target):
        """Copies a process's output, line by line as produced, to awslogs."""
        for raw in iter(stream.readline, b""):
            line = raw.decode("utf-8", "replace").rstrip("\n")
            if target is None:
                continue
            try:
                self.put_events(target, [{
                    "timestamp": int(time.time() * 1000), "message": line
                }], record.access_key)
            except Exception as e:
                self._log(f"task {record.id}: log write failed: {e!r}")
        stream.close()


class _StartFailed(Exception):
    pass


def _kill_group(proc, sig):
    if proc.poll() is not None:
        return
    try:
        os.killpg(proc.pid, sig)
    except (ProcessLookupError, PermissionError):
        pass

