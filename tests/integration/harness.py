"""Test harness for ecsmig's integration tests: a local AWS and a tool runner.

LocalAws starts tests/aws_local/localaws.py (moto behind a signature-checking,
fault-injecting proxy with an ECS task lifecycle layer) as a subprocess and
drives it through its control API. run_tool/start_tool run a built tool with a
fresh GITHUB_OUTPUT and GITHUB_STEP_SUMMARY and read the outputs back exactly
as the GitHub runner would (runner_output.parse).

Typical use, one local AWS per test class (moto startup is the slow part):

    class RunTaskTest(harness.LocalAwsTestCase):
        def test_runs(self):
            seeded = self.aws.seed_service()
            result = harness.run_tool("run-migration-task", [...],
                                      self.aws.env())
"""

import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import unittest
import urllib.error
import urllib.parse
import urllib.request
import uuid
from xml.etree import ElementTree

_HERE = os.path.dirname(os.path.abspath(__file__))
if _HERE not in sys.path:
    sys.path.insert(0, _HERE)

import runner_output  # noqa: E402

SOURCE_DIR = os.environ.get("ECSMIG_SOURCE_DIR") or os.path.abspath(
    os.path.join(_HERE, "..", ".."))
BIN_DIR = os.environ.get("ECSMIG_BIN_DIR") or os.path.join(SOURCE_DIR, "build")
LOCALAWS = os.path.join(SOURCE_DIR, "tests", "aws_local", "localaws.py")

TOOLS = ("detect-schema-change", "lint-migrations", "resolve-network", "run-migration-task",
         "wait-task", "fetch-logs")
DEFAULT_IMAGE = "123456789012.dkr.ecr.us-east-1.amazonaws.com/api:latest"


class LocalAwsError(RuntimeError):
    """The local AWS failed to start or refused a control request."""


class LocalAws:
    """A running local AWS; a context manager (or close() it yourself).

    Attributes: endpoint (the proxy: tools talk only to it), moto_endpoint,
    control, region, access_key_id, secret_access_key, home (a HOME with no
    AWS configuration), log_path (the proxy's and layer's log), startup
    (seconds: {"moto", "total"} inside localaws, "wall" as seen here).
    """

    def __init__(self, lifecycle=True, exec_mode=False, region="us-east-1",
                 exec_cwd=None, verbose=False, start_timeout=60, timing="test"):
        self.region = region
        self.lifecycle = lifecycle
        self.timing = timing
        self.exec_mode = exec_mode
        self._allow_leftovers = False
        self._clients = {}
        self._closed = False
        self._dir = tempfile.mkdtemp(prefix="localaws-")
        self.home = os.path.join(self._dir, "home")
        os.mkdir(self.home)
        state_dir = os.path.join(self._dir, "state")
        self.log_path = os.path.join(self._dir, "localaws.log")
        command = [
            sys.executable, LOCALAWS, "serve", "--state-dir", state_dir,
            "--region", region, "--parent-pid", str(os.getpid())
        ]
        if not lifecycle:
            command.append("--no-lifecycle")
        if exec_mode:
            command.append("--exec-mode")
        if exec_cwd:
            command += ["--exec-cwd", exec_cwd]
        if lifecycle:  # a dict of ecs_layer.TIMINGS keys is set once started
            command += ["--timing", timing if isinstance(timing, str) else "test"]
        if verbose:
            command.append("--verbose")
        started = time.time()
        with open(self.log_path, "wb") as log_file:
            self._proc = subprocess.Popen(command, stdin=subprocess.DEVNULL,
                                          stdout=log_file,
                                          stderr=subprocess.STDOUT)
        # Meanwhile, what setup needs here (moto's import is the slow part).
        import boto3  # noqa: F401
        endpoint_file = os.path.join(state_dir, "endpoint.json")
        deadline = started + start_timeout
        while not os.path.exists(endpoint_file):
            if self._proc.poll() is not None or time.time() > deadline:
                self._kill()
                raise LocalAwsError("localaws did not start:\n" + self.log())
            time.sleep(0.02)
        with open(endpoint_file) as f:
            info = json.load(f)
        self.endpoint = info["endpoint"]
        self.moto_endpoint = info["moto_endpoint"]
        self.control = info["control"]
        self.access_key_id = info["access_key_id"]
        self.secret_access_key = info["secret_access_key"]
        self.startup = dict(info["startup_seconds"],
                            wall=round(time.time() - started, 3))
        if lifecycle and not isinstance(timing, str):
            self.set_timing(timing)

    # -- lifetime ------------------------------------------------------------

    def __enter__(self):
        return self

    def __exit__(self, exc_type, exc, tb):
        leftovers = []
        if exc_type is None and not self._allow_leftovers:
            leftovers = self.leftover_tasks()
        self.close()
        if leftovers:
            raise AssertionError(
                "tasks left running at teardown: " +
                ", ".join(f"{t['arn']} ({t['lastStatus']})" for t in leftovers))
        return False

    def allow_leftovers(self):
        self._allow_leftovers = True

    def assert_no_leftovers(self):
        """Raises AssertionError if a task is not STOPPED (unless allowed)."""
        if self._allow_leftovers:
            return
        leftovers = self.leftover_tasks()
        if leftovers:
            raise AssertionError("tasks left running: " + ", ".join(
                f"{t['arn']} ({t['lastStatus']})" for t in leftovers))

    def close(self):
        """Stops localaws (and with it moto and exec tasks) by PID."""
        if self._closed:
            return
        self._closed = True
        try:
            self._control("shutdown", timeout=5)
        except (LocalAwsError, OSError):
            pass
        try:
            self._proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self._kill()
        if os.environ.get("ECSMIG_KEEP_LOCALAWS"):
            sys.stderr.write(f"localaws state kept in {self._dir}\n")
        else:
            shutil.rmtree(self._dir, ignore_errors=True)

    def _kill(self):
        if self._proc.poll() is None:
            self._proc.terminate()
            try:
                self._proc.wait(timeout=5)
            except subprocess.TimeoutExpired:
                self._proc.kill()
                self._proc.wait()

    def log(self):
        """The local AWS's log so far (for assertion messages)."""
        try:
            with open(self.log_path, "rb") as f:
                return f.read().decode("utf-8", "replace")
        except OSError:
            return ""

    # -- control API -----------------------------------------------------------

    def _control(self, command, args=None, timeout=30):
        data = json.dumps(args or {}).encode()
        request = urllib.request.Request(f"{self.control}/{command}", data=data,
                                         method="POST")
        request.add_header("Content-Type", "application/json")
        try:
            with urllib.request.urlopen(request, timeout=timeout) as response:
                return json.loads(response.read() or b"null")
        except urllib.error.HTTPError as e:
            detail = e.read().decode("utf-8", "replace")
            raise LocalAwsError(f"control {command}: {e.code} {detail}") from None

    def set_faults(self, throttle=0.0, error_5xx=0.0, reset_before=0.0,
                   reset_after=0.0, slow=0.0, slow_seconds=0.0, malformed=0.0,
                   seed=1, operations=None):
        """Random faults at these rates (deterministic given seed) for every
        request, or only for operations like ["ecs:RunTask"]."""
        self._control("faults", {
            "throttle": throttle, "error_5xx": error_5xx,
            "reset_before": reset_before, "reset_after": reset_after,
            "slow": slow, "slow_seconds": slow_seconds, "malformed": malformed,
            "seed": seed, "operations": list(operations) if operations else None
        })

    def clear_faults(self):
        """Removes random faults and any scripted injections not yet used."""
        self._control("clear_faults")

    def inject(self, operation, errors):
        """The next len(errors) requests of operation ("ecs:RunTask") get
        these answers in order: {"status": 400, "code": "ThrottlingException",
        "message": ...}, {"reset": "before"|"after"}, {"malformed": True},
        {"slow": seconds}, {"pass": True}, {"body": {...}, "status": 200}
        (that answer, not forwarded, e.g. RunTask "failures")."""
        self._control("inject", {"operation": operation, "errors": list(errors)})

    def stats(self):
        """{"calls": {op: reached the service}, "requests": {op: received,
        faulted included}, "signature_failures", "requests_log" (per request:
        op, status, fault, signature, access_key, user_agent, params = the
        decoded request), "model_violations", "internal_errors" (moto 5xx or
        layer bugs)}."""
        return self._control("stats")

    def reset_stats(self):
        self._control("reset_stats")

    def requests(self, operation):
        """The decoded requests of operation ("ecs:RunTask") received so far,
        in order (faulted ones included)."""
        return [e.get("params") for e in self.stats()["requests_log"]
                if e["op"] == operation]

    def set_clock_offset(self, seconds):
        """Shifts the proxy's clock (signature expiry checks, Date header)."""
        self._control("clock_offset", {"seconds": seconds})

    def add_credentials(self, access_key_id, secret_access_key, token=None):
        """Makes the proxy accept another key pair (or session)."""
        self._control("credentials", {"access_key": access_key_id,
                                      "secret_key": secret_access_key,
                                      "token": token})

    def expire_credentials(self, access_keys=None):
        """From now on the proxy refuses requests signed with these keys
        (default: every temporary key STS issued so far) with ExpiredToken.
        Returns the keys expired."""
        return self._control("expire_credentials",
                             {"access_keys": access_keys} if access_keys else {})["expired"]

    def script_next_task(self, statuses=(("PROVISIONING", 0.2),
                                         ("PENDING", 0.3), ("RUNNING", 1.0)),
                         exit_codes=None, stop_code="EssentialContainerExited",
                         stopped_reason="Essential container in task exited",
                         container_reasons=None, missing_exit_code=False,
                         fail_to_start=False, log_lines=None,
                         log_interval=0.0, missing_seconds=None,
                         stop_sequence=None, sigterm_seconds=None,
                         outside_stop=None, log_delivery_seconds=None):
        """Queues the lifecycle of the task(s) of the next RunTask: each
        (status, seconds) in turn, then STOPPED. exit_codes {"container":
        code} (others exit 0); missing_exit_code True (or a list of container
        names) leaves exitCode out; fail_to_start stops with TaskFailedToStart
        and a CannotPullContainerError; log_lines {"container": [lines]} are
        written to its awslogs stream when it reaches RUNNING, or one every
        log_interval seconds from then (all before STOPPED is visible, unless
        the task is stopped by StopTask first).

        Timing (None: the instance's profile, see ecs_layer.TIMINGS):
        missing_seconds of MISSING after RunTask; stop_sequence
        [(DEACTIVATING|STOPPING|DEPROVISIONING, seconds)] after the
        container's exit; sigterm_seconds for a running container to exit
        when stopped; outside_stop {"stop_code", "after" (seconds from
        RUNNING), "reason"?} stops it from outside then;
        log_delivery_seconds from a line's printing to GetLogEvents showing it."""
        self._control("script_next_task", {
            "statuses": [list(s) for s in statuses],
            "exit_codes": exit_codes, "stop_code": stop_code,
            "stopped_reason": stopped_reason,
            "container_reasons": container_reasons,
            "missing_exit_code": missing_exit_code,
            "fail_to_start": fail_to_start, "log_lines": log_lines,
            "log_interval": log_interval,
            "missing_seconds": missing_seconds, "stop_sequence": stop_sequence,
            "sigterm_seconds": sigterm_seconds, "outside_stop": outside_stop,
            "log_delivery_seconds": log_delivery_seconds
        })

    def fail_next_run_tasks(self, count, reason=None):
        """The next count RunTasks start nothing and answer failures with
        reason (default: Fargate's "Capacity is unavailable at this time...")."""
        args = {"count": count}
        if reason is not None:
            args["reason"] = reason
        self._control("fail_next_run_tasks", args)

    def set_default_capacity_provider_strategy(self, cluster, strategy):
        """Gives the cluster a default capacity provider strategy (in moto,
        which keeps it and answers it in DescribeClusters)."""
        providers = sorted({item["capacityProvider"] for item in strategy})
        self.client("ecs").put_cluster_capacity_providers(
            cluster=cluster, capacityProviders=providers,
            defaultCapacityProviderStrategy=strategy)

    def set_timing(self, timing):
        """The default timing of tasks started from now on: "fargate",
        "test", "instant" or a dict of ecs_layer.TIMINGS keys."""
        self._control("timing", {"timing": timing})

    def stop_from_outside(self, arn, stop_code, reason=None):
        """Stops a task now as ECS would for stop_code (UserInitiated,
        ServiceSchedulerInitiated, SpotInterruption, TerminationNotice)."""
        return self._control("stop_from_outside", {
            "task_arn": arn, "stop_code": stop_code, "reason": reason})["stopping"]

    def tasks(self):
        """Every task the layer started: arn, id, cluster, lastStatus,
        desiredStatus, started_by, client_token, stopped_by_user, stop_reason,
        stop_code, stopped_reason, exit_codes, overrides."""
        return self._control("tasks")

    def leftover_tasks(self):
        return self._control("leftover_tasks")

    def wait_for_task_status(self, arn, status, timeout=30):
        """Waits until the layer has task arn in status; returns its record."""
        deadline = time.time() + timeout
        while True:
            for task in self.tasks():
                if task["arn"] == arn and task["lastStatus"] == status:
                    return task
            if time.time() > deadline:
                raise AssertionError(f"task {arn} not {status} in {timeout}s")
            time.sleep(0.05)

    # -- AWS-side setup --------------------------------------------------------

    def client(self, service):
        """A boto3 client aimed at moto itself (setup and assertions; not
        counted, not faulted, not signature-checked)."""
        return self._client(service, self.moto_endpoint)

    def proxy_client(self, service):
        """A boto3 client aimed at the proxy, as the tools are."""
        return self._client(service, self.endpoint, proxy=True)

    def _client(self, service, endpoint, proxy=False):
        key = (service, proxy)
        if key not in self._clients:
            import boto3
            from botocore.config import Config
            self._clients[key] = boto3.client(
                service, endpoint_url=endpoint, region_name=self.region,
                aws_access_key_id=self.access_key_id,
                aws_secret_access_key=self.secret_access_key,
                config=Config(retries={"total_max_attempts": 1} if proxy else
                              {"max_attempts": 3}))
        return self._clients[key]

    def env(self, **extra):
        """A clean environment for a tool: PATH, HOME (no AWS config), the
        test credentials, AWS_REGION, AWS_ENDPOINT_URL=the proxy and
        AWS_EC2_METADATA_DISABLED=true (no IMDS probe); no GITHUB_*. extra
        adds variables; a value of None removes one."""
        env = {
            "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
            "HOME": self.home,
            "LANG": "C.UTF-8",
            "AWS_ACCESS_KEY_ID": self.access_key_id,
            "AWS_SECRET_ACCESS_KEY": self.secret_access_key,
            "AWS_REGION": self.region,
            "AWS_ENDPOINT_URL": self.endpoint,
            "AWS_EC2_METADATA_DISABLED": "true",
        }
        for name in ("ASAN_OPTIONS", "UBSAN_OPTIONS", "LSAN_OPTIONS"):
            if name in os.environ:
                env[name] = os.environ[name]
        for name, value in extra.items():
            if value is None:
                env.pop(name, None)
            else:
                env[name] = str(value)
        return env

    def seed_service(self, cluster="migrate-cluster", service="api",
                     family="api", containers=None, network_mode="awsvpc",
                     log_group="/ecs/api", stream_prefix="ecs",
                     launch_type="FARGATE", capacity_provider_strategy=None,
                     environment=None):
        """Creates a VPC with two subnets and a security group, the cluster,
        a task definition (awslogs on every container unless it has its own
        "logConfiguration"; None there means no logging), the log group, and
        a service launched as given. Returns {"cluster", "cluster_arn",
        "service", "service_arn", "task_definition_arn", "subnets",
        "security_groups", "log_group", "containers", "vpc"}."""
        ecs = self.client("ecs")
        logs = self.client("logs")
        vpc = self._ec2("CreateVpc", CidrBlock="10.0.0.0/16")["vpcId"]
        subnets = []
        for index, zone in ((1, "a"), (2, "b")):
            subnets.append(self._ec2(
                "CreateSubnet", VpcId=vpc, CidrBlock=f"10.0.{index}.0/24",
                AvailabilityZone=f"{self.region}{zone}")["subnetId"])
        group = self._ec2("CreateSecurityGroup",
                          GroupName=f"{service}-{uuid.uuid4().hex[:8]}",
                          GroupDescription=f"{service} tasks",
                          VpcId=vpc)["groupId"]
        cluster_arn = ecs.create_cluster(clusterName=cluster)["cluster"][
            "clusterArn"]

        if containers is None:
            containers = [{"name": "app", "image": DEFAULT_IMAGE,
                           "essential": True,
                           "command": ["node", "dist/server.js"]}]
        definitions = []
        for container in containers:
            definition = dict(container)
            definition.setdefault("image", DEFAULT_IMAGE)
            definition.setdefault("essential", True)
            if not any(k in definition for k in ("memory", "memoryReservation")):
                definition["memoryReservation"] = 256
            if "logConfiguration" not in definition and log_group:
                definition["logConfiguration"] = {
                    "logDriver": "awslogs",
                    "options": {"awslogs-group": log_group,
                                "awslogs-region": self.region,
                                "awslogs-stream-prefix": stream_prefix}}
            elif definition.get("logConfiguration") is None:
                definition.pop("logConfiguration", None)
            if environment is not None and "environment" not in definition:
                definition["environment"] = _name_values(environment)
            definitions.append(definition)
        fargate = launch_type == "FARGATE" or capacity_provider_strategy
        register = dict(family=family, networkMode=network_mode,
                        containerDefinitions=definitions, cpu="256",
                        memory="512",
                        executionRoleArn=(f"arn:aws:iam::123456789012:role/"
                                          f"{family}-execution"))
        if fargate:
            register["requiresCompatibilities"] = ["FARGATE"]
        task_definition_arn = ecs.register_task_definition(**register)[
            "taskDefinition"]["taskDefinitionArn"]
        if log_group:
            try:
                logs.create_log_group(logGroupName=log_group)
            except logs.exceptions.ResourceAlreadyExistsException:
                pass

        create = dict(cluster=cluster, serviceName=service,
                      taskDefinition=task_definition_arn, desiredCount=1)
        if network_mode == "awsvpc":
            create["networkConfiguration"] = {"awsvpcConfiguration": {
                "subnets": subnets, "securityGroups": [group],
                "assignPublicIp": "DISABLED"}}
        if capacity_provider_strategy:
            create["capacityProviderStrategy"] = capacity_provider_strategy
        elif launch_type:
            create["launchType"] = launch_type
        service_arn = ecs.create_service(**create)["service"]["serviceArn"]
        # moto keeps neither a service's capacity provider strategy nor its
        # platform version; the layer shows them as ECS would.
        patch = {"set": {}, "unset": []}
        if capacity_provider_strategy:
            patch["set"]["capacityProviderStrategy"] = [
                dict({"weight": 0, "base": 0}, **item)
                for item in capacity_provider_strategy]
            patch["unset"].append("launchType")
        if fargate:
            patch["set"]["platformVersion"] = "LATEST"
            patch["set"]["platformFamily"] = "Linux"
        if self.lifecycle:
            self._control("patch_service", dict(patch, service_arn=service_arn))
        return {
            "cluster": cluster, "cluster_arn": cluster_arn,
            "service": service, "service_arn": service_arn,
            "task_definition_arn": task_definition_arn, "subnets": subnets,
            "security_groups": [group], "log_group": log_group,
            "containers": definitions, "vpc": vpc,
        }

    def run_service_task(self, seeded, **params):
        """RunTask (through the proxy) of a seed_service answer's task
        definition as its service would run it: Fargate, in its subnets and
        security group; params add to or replace those. Returns the task."""
        run = dict(cluster=seeded["cluster"], taskDefinition=seeded["task_definition_arn"],
                   launchType="FARGATE", networkConfiguration={"awsvpcConfiguration": {
                       "subnets": seeded["subnets"],
                       "securityGroups": seeded["security_groups"]}})
        run.update(params)
        return self.proxy_client("ecs").run_task(**run)["tasks"][0]

    def _ec2(self, action, **params):
        """Calls EC2 on moto with a plain query request; returns the first
        element of each name in the answer as {name: text}. (A boto3 EC2
        client takes a second to build; seeding needs three calls.)"""
        body = urllib.parse.urlencode(dict(params, Action=action,
                                           Version="2016-11-15")).encode()
        request = urllib.request.Request(self.moto_endpoint + "/", data=body,
                                         method="POST")
        request.add_header("Content-Type", "application/x-www-form-urlencoded")
        request.add_header(
            "Authorization",
            f"AWS4-HMAC-SHA256 Credential={self.access_key_id}/20200101/"
            f"{self.region}/ec2/aws4_request, SignedHeaders=host, Signature=0")
        with urllib.request.urlopen(request, timeout=60) as response:
            root = ElementTree.fromstring(response.read())
        found = {}
        for element in root.iter():
            found.setdefault(element.tag.split("}")[-1], element.text)
        return found

    def put_log_events(self, group, stream, messages, start_ms=None,
                       batch=10000):
        """Writes messages (one event each, 1 ms apart from start_ms, default
        so that the last is now) to group/stream in moto, creating them if
        needed. Returns the events' timestamps."""
        logs = self.client("logs")
        for create in (lambda: logs.create_log_group(logGroupName=group),
                       lambda: logs.create_log_stream(logGroupName=group,
                                                      logStreamName=stream)):
            try:
                create()
            except logs.exceptions.ResourceAlreadyExistsException:
                pass
        if start_ms is None:
            start_ms = int(time.time() * 1000) - len(messages)
        timestamps = [start_ms + i for i in range(len(messages))]
        chunk, size = [], 0
        for timestamp, message in zip(timestamps, messages):
            event_size = len(message.encode()) + 26
            if chunk and (len(chunk) >= batch or size + event_size > 1000000):
                logs.put_log_events(logGroupName=group, logStreamName=stream,
                                    logEvents=chunk)
                chunk, size = [], 0
            chunk.append({"timestamp": timestamp, "message": message})
            size += event_size
        if chunk:
            logs.put_log_events(logGroupName=group, logStreamName=stream,
                                logEvents=chunk)
        return timestamps


def _name_values(environment):
    if isinstance(environment, dict):
        return [{"name": k, "value": str(v)} for k, v in environment.items()]
    return list(environment)


class LocalAwsTestCase(unittest.TestCase):
    """One LocalAws per test class (aws); faults and stats are reset before
    each test, and tasks left running fail the class at teardown."""

    aws_options = {}

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.aws = LocalAws(**cls.aws_options)

    @classmethod
    def tearDownClass(cls):
        try:
            cls.aws.assert_no_leftovers()
        finally:
            cls.aws.close()
            super().tearDownClass()

    def setUp(self):
        super().setUp()
        self.aws.clear_faults()
        if self.aws.lifecycle:
            self.aws.set_timing(self.aws.timing)
        self.aws.reset_stats()
        self.aws.set_clock_offset(0)


# -- running the tools ---------------------------------------------------------


class OutputFormatError(AssertionError):
    """A tool wrote a GITHUB_OUTPUT the runner would refuse."""


class ToolResult:
    """returncode, stdout, stderr (str), outputs (dict, last value wins),
    output_pairs [(key, value)] in order, output_raw (str), summary (str),
    duration (seconds)."""

    def __init__(self, args, returncode, stdout, stderr, output_path,
                 summary_path, duration):
        self.args = args
        self.returncode = returncode
        self.stdout = stdout
        self.stderr = stderr
        self.duration = duration
        self.output_raw = _read_text(output_path)
        self.summary = _read_text(summary_path)
        try:
            self.output_pairs = runner_output.parse(self.output_raw)
        except ValueError as e:
            raise OutputFormatError(
                f"{args[0]} wrote a GITHUB_OUTPUT the runner refuses ({e}):\n"
                f"{self.output_raw!r}\nstderr:\n{stderr}") from None
        self.outputs = dict(self.output_pairs)

    def __repr__(self):
        return (f"ToolResult({os.path.basename(self.args[0])} -> "
                f"{self.returncode}, outputs={self.outputs}, "
                f"stderr={self.stderr[-2000:]!r})")


def _read_text(path):
    if not path or not os.path.exists(path):
        return ""
    with open(path, "rb") as f:
        return f.read().decode("utf-8", "replace")


def tool_path(name, bin_dir=None):
    """The built tool (in bin_dir, default BIN_DIR). Skips the test if the
    tool has no source yet."""
    bin_dir = bin_dir or BIN_DIR
    path = os.path.join(bin_dir, name)
    if not os.path.exists(path):
        if not os.path.exists(os.path.join(SOURCE_DIR, "tools", name,
                                           "main.cpp")):
            raise unittest.SkipTest(f"{name} does not exist yet")
        raise AssertionError(f"{name} is not built in {bin_dir}")
    return path


def _prepare(name, args, env, github_actions, wrapper=None, bin_dir=None):
    env = dict(env if env is not None else {
        "PATH": os.environ.get("PATH", "/usr/bin:/bin")})
    scratch = tempfile.mkdtemp(prefix=f"ecsmig-{name}-")
    for variable, file_name in (("GITHUB_OUTPUT", "github_output"),
                                ("GITHUB_STEP_SUMMARY", "step_summary")):
        if variable not in env:
            env[variable] = os.path.join(scratch, file_name)
            open(env[variable], "wb").close()
    if github_actions:
        env["GITHUB_ACTIONS"] = "true"
    # A wrapper (e.g. valgrind and its flags) goes before the tool's path.
    argv = [str(w) for w in wrapper or ()] + [tool_path(name, bin_dir)] + [
        str(a) for a in args]
    return argv, env, scratch


def run_tool(name, args, env, timeout=120, github_actions=False, input=None,
             wrapper=None, bin_dir=None):
    """Runs BIN_DIR/name (or bin_dir/name) with args and env, under wrapper
    (argv words put before it) if given; returns its ToolResult."""
    argv, env, scratch = _prepare(name, args, env, github_actions, wrapper,
                                  bin_dir)
    if isinstance(input, str):
        input = input.encode()
    started = time.time()
    try:
        stdin = {"input": input} if input is not None else {
            "stdin": subprocess.DEVNULL}
        proc = subprocess.run(argv, env=env, capture_output=True,
                              timeout=timeout, **stdin)
        return ToolResult(argv, proc.returncode,
                          proc.stdout.decode("utf-8", "replace"),
                          proc.stderr.decode("utf-8", "replace"),
                          env["GITHUB_OUTPUT"], env["GITHUB_STEP_SUMMARY"],
                          time.time() - started)
    finally:
        shutil.rmtree(scratch, ignore_errors=True)


class RunningTool:
    """A tool started in the background: proc (Popen), send_signal(sig),
    wait(timeout) -> ToolResult."""

    def __init__(self, argv, env, scratch):
        self.argv = argv
        self.env = env
        self._scratch = scratch
        self._stdout = open(os.path.join(scratch, "stdout"), "w+b")
        self._stderr = open(os.path.join(scratch, "stderr"), "w+b")
        self.started = time.time()
        self.proc = subprocess.Popen(argv, env=env, stdin=subprocess.DEVNULL,
                                     stdout=self._stdout, stderr=self._stderr)

    def stderr_so_far(self):
        with open(self._stderr.name, "rb") as f:
            return f.read().decode("utf-8", "replace")

    def send_signal(self, sig=signal.SIGTERM):
        self.proc.send_signal(sig)

    def wait(self, timeout=120):
        try:
            self.proc.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()
            raise
        try:
            self._stdout.seek(0)
            self._stderr.seek(0)
            return ToolResult(self.argv, self.proc.returncode,
                              self._stdout.read().decode("utf-8", "replace"),
                              self._stderr.read().decode("utf-8", "replace"),
                              self.env["GITHUB_OUTPUT"],
                              self.env["GITHUB_STEP_SUMMARY"],
                              time.time() - self.started)
        finally:
            self._stdout.close()
            self._stderr.close()
            shutil.rmtree(self._scratch, ignore_errors=True)


def start_tool(name, args, env, github_actions=False):
    """Starts BIN_DIR/name in the background (e.g. to signal it)."""
    argv, env, scratch = _prepare(name, args, env, github_actions)
    return RunningTool(argv, env, scratch)
