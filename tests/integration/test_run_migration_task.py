"""run-migration-task against the local AWS (moto behind the signature-checking
proxy, with the ECS lifecycle layer: clientToken idempotency, task lifecycles)."""

import json
import threading
import time
import unittest

import harness
import migration_group
from migration_group import MIGRATE

CLUSTER = "mig-cluster"
RACE_REASON = "ecsmig: stopped before running"


class RunMigrationTaskTest(migration_group.TaskGroupTestCase):

    cluster = CLUSTER

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.multi = cls.aws.seed_service(
            cluster=CLUSTER, service="multi", family="multi",
            containers=[{"name": "web"}, {"name": "worker"},
                        {"name": "xray", "essential": False}])

    def test_starts_from_the_service(self):
        r = self.run_migration(["--service", "api", "--command", MIGRATE,
                                "--env", "DATABASE_URL=postgres://u:s3cretpass@db/app",
                                "--tag", "team=db"], github_actions=True)
        self.assertEqual(r.returncode, 0, r)
        task = self.the_one_task(r)
        self.assertEqual(r.outputs["task_id"], task["id"])
        self.assertEqual(r.outputs["container"], "app")
        self.assertEqual(r.outputs["task_definition"], self.seeded["task_definition_arn"])
        self.assertEqual(r.outputs["log_group"], "/ecs/api")
        self.assertEqual(r.outputs["log_stream"], f"ecs/app/{task['id']}")
        self.assertIn(task["id"], r.outputs["console_url"])
        override = task["overrides"]["containerOverrides"][0]
        self.assertEqual(override["command"], ["npx", "prisma", "migrate", "deploy"])
        self.assertIn({"name": "DATABASE_URL", "value": "postgres://u:s3cretpass@db/app"},
                      override["environment"])
        self.assertEqual(len(task["client_token"]), 64)
        request = self.aws.requests("ecs:RunTask")[0]
        self.assertEqual(request["launchType"], "FARGATE")
        self.assertEqual(request["platformVersion"], "LATEST")
        self.assertEqual(request["networkConfiguration"]["awsvpcConfiguration"]["subnets"],
                         self.seeded["subnets"])
        self.assertEqual(request["tags"], [{"key": "team", "value": "db"}])
        self.assertIn("::add-mask::postgres://u:s3cretpass@db/app", r.stderr)
        after_mask = r.stderr.split("::add-mask::postgres://u:s3cretpass@db/app", 1)[1]
        self.assertNotIn("s3cretpass", after_mask + r.stdout + r.summary + r.output_raw)
        self.assertIn(task["arn"], r.stderr)
        self.assertIn(task["id"], r.summary)
        stats = self.aws.stats()
        self.assertEqual(stats["signature_failures"], 0)
        self.assertEqual(stats["model_violations"], [])

    def test_task_definition_alone_with_network_flags(self):
        r = self.run_migration(["--task-definition", "api", "--subnets", self.seeded["subnets"][0],
                                "--security-groups", self.seeded["security_groups"][0],
                                "--launch-type", "FARGATE", "--command", "echo migrate"])
        self.assertEqual(r.returncode, 0, r)
        task = self.group_tasks()[0]
        self.assertEqual(task["overrides"]["containerOverrides"][0]["command"],
                         ["sh", "-c", "echo migrate"])
        self.assertEqual(self.aws.stats()["requests"].get("ecs:DescribeServices", 0), 0)

    def test_multiple_essential_containers_need_container(self):
        r = self.run_migration(["--service", "multi", "--command", "x"])
        self.assertEqual(r.returncode, 1, r)
        self.assertIn("web, worker", r.stderr)
        self.assertEqual(self.aws.stats()["requests"].get("ecs:RunTask", 0), 0)
        r = self.run_migration(["--service", "multi", "--command", "x", "--container", "db"])
        self.assertEqual(r.returncode, 1, r)
        self.assertIn("web, worker, xray", r.stderr)
        r = self.run_migration(["--service", "multi", "--command", "x", "--container", "worker"])
        self.assertEqual(r.returncode, 0, r)
        self.assertEqual(r.outputs["container"], "worker")

    def test_run_task_failures_are_reported(self):
        failure_arn = "arn:aws:ecs:us-east-1:123456789012:container-instance/mig-cluster/abc"
        self.aws.inject("ecs:RunTask", [{"status": 200, "body": {
            "tasks": [], "failures": [{"arn": failure_arn, "reason": "RESOURCE:MEMORY"}]}}])
        # RESOURCE:* is a capacity failure, retried for --start-retry-for.
        r = self.run_migration(["--service", "api", "--command", MIGRATE,
                                "--start-retry-for", "0s"])
        self.assertEqual(r.returncode, 1, r)
        self.assertIn("RESOURCE:MEMORY", r.stderr)
        self.assertIn(failure_arn, r.stderr)
        self.assertNotIn("task_arn", r.outputs)

    def test_dropped_run_task_response_starts_exactly_one_task(self):
        self.aws.inject("ecs:RunTask", [{"reset": "after"}])
        r = self.run_migration(["--service", "api", "--command", MIGRATE])
        self.assertEqual(r.returncode, 0, r)
        self.the_one_task(r)
        runs = self.aws.requests("ecs:RunTask")
        self.assertGreaterEqual(len(runs), 2)
        self.assertEqual(len({run["clientToken"] for run in runs}), 1)

    def test_retried_step_reuses_its_task_and_does_not_wait_for_itself(self):
        env = self.aws.env(GITHUB_RUN_ID="4242", GITHUB_RUN_ATTEMPT="1", GITHUB_JOB="migrate")
        self.aws.script_next_task(statuses=(("PROVISIONING", 0.2), ("RUNNING", 30)))
        first = self.run_migration(["--service", "api", "--command", MIGRATE], env=env)
        self.assertEqual(first.returncode, 0, first)
        started = time.time()
        again = self.run_migration(["--service", "api", "--command", MIGRATE], env=env)
        self.assertEqual(again.returncode, 0, again)
        self.assertLess(time.time() - started, 10, "waited for its own task")
        self.assertEqual(again.outputs["task_arn"], first.outputs["task_arn"])
        self.assertEqual(len(self.group_tasks()), 1)
        # A re-run of the job (next attempt) is a new request: a new task, after the first.
        rerun_env = dict(env, GITHUB_RUN_ATTEMPT="2")
        self.aws.proxy_client("ecs").stop_task(cluster=CLUSTER, task=first.outputs["task_arn"])
        rerun = self.run_migration(["--service", "api", "--command", MIGRATE], env=rerun_env)
        self.assertEqual(rerun.returncode, 0, rerun)
        self.assertNotEqual(rerun.outputs["task_arn"], first.outputs["task_arn"])

    def test_if_running_fail_and_wait(self):
        self.aws.script_next_task(statuses=(("PROVISIONING", 0.2), ("RUNNING", 4)))
        first = self.run_migration(["--service", "api", "--command", MIGRATE])
        self.assertEqual(first.returncode, 0, first)
        refused = self.run_migration(["--service", "api", "--command", MIGRATE,
                                      "--if-running", "fail"])
        self.assertEqual(refused.returncode, 1, refused)
        self.assertIn(first.outputs["task_arn"], refused.stderr)
        started = time.time()
        waited = self.run_migration(["--service", "api", "--command", MIGRATE])
        self.assertEqual(waited.returncode, 0, waited)
        self.assertIn("waiting for 1 running task", waited.stderr)
        self.assertIn(first.outputs["task_arn"], waited.stderr)
        self.assertGreater(time.time() - started, 2)
        firsts = [t for t in self.aws.tasks() if t["arn"] == first.outputs["task_arn"]]
        self.assertEqual(firsts[0]["lastStatus"], "STOPPED")

    def test_wait_timeout_bounds_the_wait(self):
        self.aws.script_next_task(statuses=(("PROVISIONING", 0.2), ("RUNNING", 60)))
        first = self.run_migration(["--service", "api", "--command", MIGRATE])
        self.assertEqual(first.returncode, 0, first)
        r = self.run_migration(["--service", "api", "--command", MIGRATE, "--wait-timeout", "2s"])
        self.assertEqual(r.returncode, 1, r)
        self.assertIn("still running after", r.stderr)

    def test_concurrent_calls_run_one_migration_at_a_time(self):
        for _ in range(6):
            self.aws.script_next_task(statuses=(("PROVISIONING", 1.0), ("PENDING", 0.5),
                                                ("RUNNING", 2.0)))
        overlap = {"max": 0}
        stop = threading.Event()

        def watch():
            while not stop.is_set():
                running = [t for t in self.group_tasks() if t["lastStatus"] == "RUNNING"]
                overlap["max"] = max(overlap["max"], len(running))
                time.sleep(0.05)

        watcher = threading.Thread(target=watch)
        watcher.start()
        try:
            procs = [harness.start_tool(
                "run-migration-task", self.group_args(["--service", "api", "--command", MIGRATE]),
                self.aws.env(GITHUB_RUN_ID=str(1000 + i), GITHUB_RUN_ATTEMPT="1",
                             GITHUB_JOB="migrate")) for i in range(2)]
            results = [p.wait(timeout=120) for p in procs]
            for r in results:
                self.assertEqual(r.returncode, 0, r)
            arns = {r.outputs["task_arn"] for r in results}
            self.assertEqual(len(arns), 2)
            for arn in arns:
                self.aws.wait_for_task_status(arn, "STOPPED", timeout=30)
        finally:
            stop.set()
            watcher.join()
        self.assertLessEqual(overlap["max"], 1, self.group_tasks())
        for task in self.group_tasks():
            if task["stop_reason"] and task["stop_reason"].startswith(RACE_REASON):
                self.assertNotIn(task["arn"], arns)

    def test_dry_run_prints_the_masked_request_and_starts_nothing(self):
        r = self.run_migration(["--service", "api", "--command", MIGRATE,
                                "--env", "PASSWORD=hunter2hunter2", "--dry-run"])
        self.assertEqual(r.returncode, 0, r)
        request = json.loads(r.stdout)
        self.assertEqual(request["taskDefinition"], self.seeded["task_definition_arn"])
        env = request["overrides"]["containerOverrides"][0]["environment"]
        self.assertIn({"name": "PASSWORD", "value": "***"}, env)
        self.assertNotIn("hunter2hunter2", r.stdout + r.stderr)
        calls = self.aws.stats()["requests"]
        self.assertNotIn("ecs:RunTask", calls)
        self.assertNotIn("ecs:ListTasks", calls)

    def test_bad_inputs_exit_2_with_no_request(self):
        cases = [
            ["--service", "api", "--command", '["npx", "prisma"'],
            ["--service", "api", "--command", '["npx", 1]'],
            ["--service", "api"],
            ["--command", MIGRATE],
            ["--service", "api", "--command", MIGRATE, "--env", "NO_EQUALS"],
            ["--service", "api", "--command", MIGRATE, "--tag", "=v"],
            ["--service", "api", "--command", MIGRATE, "--if-running", "sometimes"],
            ["--service", "api", "--command", MIGRATE, "--wait-timeout", "5 minutes"],
            ["--service", "api", "--command", MIGRATE, "--client-token", "x" * 65],
            ["--service", "api", "--command", MIGRATE, "--network-configuration", "{nope"],
            ["--service", "api", "--command", MIGRATE, "--subnets", "subnet-zz"],
            ["--service", "api", "--command", MIGRATE, "--launch-type", "FARGATE",
             "--capacity-provider-strategy", '[{"capacityProvider":"FARGATE"}]'],
            ["--task-definition", "api:one", "--command", MIGRATE],
        ]
        for args in cases:
            with self.subTest(args=args):
                r = self.run_migration(args)
                self.assertEqual(r.returncode, 2, r)
                self.assertEqual(len(r.stderr.strip().splitlines()), 1, r.stderr)
        r = harness.run_tool("run-migration-task", ["--service", "api", "--command", MIGRATE],
                             self.aws.env())
        self.assertEqual(r.returncode, 2, r)
        self.assertEqual(self.aws.stats()["requests"], {})


if __name__ == "__main__":
    unittest.main()
