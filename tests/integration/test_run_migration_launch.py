"""run-migration-task where ECS is less orderly (#14): capacity failures, the
launch ECS would choose made explicit, client tokens of matrix legs, a cancel
while RunTask is in flight, answers that are not of their documented shape."""

import signal
import unittest

import migration_group
from migration_group import MIGRATE

CLUSTER = "launch-cluster"
SPOT_CLUSTER = "spot-cluster"
CAPACITY = "Capacity is unavailable at this time"


class RunMigrationLaunchTest(migration_group.TaskGroupTestCase):

    cluster = CLUSTER
    group_prefix = "l"

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.spot = cls.aws.seed_service(cluster=SPOT_CLUSTER, service="api")
        cls.strategy = [{"capacityProvider": "FARGATE_SPOT", "weight": 1, "base": 0}]
        cls.aws.set_default_capacity_provider_strategy(SPOT_CLUSTER, cls.strategy)

    def task_definition_alone(self, seeded):
        """No --service, no --launch-type, no --capacity-provider-strategy."""
        return ["--task-definition", seeded["task_definition_arn"], "--command", MIGRATE,
                "--subnets", seeded["subnets"][0]]

    # -- capacity ----------------------------------------------------------------

    def test_two_capacity_failures_then_success_start_exactly_one_task(self):
        self.aws.fail_next_run_tasks(2)
        r = self.run_migration(["--service", "api", "--command", MIGRATE])
        self.assertEqual(r.returncode, 0, r)
        self.the_one_task(r)
        runs = self.aws.requests("ecs:RunTask")
        self.assertEqual(len(runs), 3)
        self.assertEqual(len({run["clientToken"] for run in runs}), 1)
        self.assertEqual(r.stderr.count(CAPACITY), 2, r.stderr)
        self.assertEqual(self.aws.stats()["model_violations"], [])

    def test_capacity_failures_outlasting_start_retry_for_fail_with_the_reason(self):
        self.aws.fail_next_run_tasks(100)
        r = self.run_migration(["--service", "api", "--command", MIGRATE,
                                "--start-retry-for", "2s"])
        self.assertEqual(r.returncode, 1, r)
        self.assertIn(CAPACITY, r.stderr.splitlines()[-1])
        self.assertIn("nothing was started", r.stderr)
        self.assertNotIn("task_arn", r.outputs)
        self.assertEqual(self.group_tasks(), [])
        self.assertGreaterEqual(r.duration, 2)
        self.assertLessEqual(len(self.aws.requests("ecs:RunTask")), 6)

    def test_resource_failures_are_retried_too(self):
        self.aws.fail_next_run_tasks(1, reason="RESOURCE:MEMORY")
        r = self.run_migration(["--service", "api", "--command", MIGRATE])
        self.assertEqual(r.returncode, 0, r)
        self.assertIn("RESOURCE:MEMORY", r.stderr)
        self.assertEqual(len(self.group_tasks()), 1)

    # -- the launch made explicit ------------------------------------------------

    def test_fargate_only_task_definition_without_launch_settings_starts_as_fargate(self):
        r = self.run_migration(self.task_definition_alone(self.seeded))
        self.assertEqual(r.returncode, 0, r)
        request = self.aws.requests("ecs:RunTask")[0]
        self.assertEqual(request["launchType"], "FARGATE")
        self.assertNotIn("capacityProviderStrategy", request)
        self.assertIn("launch type FARGATE", r.stderr)
        self.assertEqual(len(self.group_tasks()), 1)

    def test_cluster_default_strategy_is_used(self):
        r = self.run_migration(self.task_definition_alone(self.spot), cluster=SPOT_CLUSTER)
        self.assertEqual(r.returncode, 0, r)
        request = self.aws.requests("ecs:RunTask")[0]
        self.assertEqual(request["capacityProviderStrategy"], self.strategy)
        self.assertNotIn("launchType", request)
        self.assertIn("default capacity provider strategy", r.stderr)
        self.assertEqual(self.aws.stats()["model_violations"], [])

    def test_local_aws_refuses_a_fargate_only_task_definition_on_ec2(self):
        # What the tool no longer sends, as ECS answers it: no launch settings
        # on a cluster without a default strategy means EC2.
        from botocore.exceptions import ClientError
        ecs = self.aws.proxy_client("ecs")
        with self.assertRaises(ClientError) as caught:
            ecs.run_task(cluster=CLUSTER, taskDefinition=self.seeded["task_definition_arn"],
                         startedBy=self.started_by,
                         networkConfiguration={"awsvpcConfiguration": {
                             "subnets": self.seeded["subnets"]}})
        error = caught.exception.response["Error"]
        self.assertEqual(error["Code"], "InvalidParameterException")
        self.assertIn("does not support launch_type EC2", error["Message"])
        self.assertEqual(self.group_tasks(), [])

    def test_ec2_task_definition_on_a_cluster_without_instances_fails_as_in_ecs(self):
        self.aws.client("ecs").register_task_definition(
            family="ec2only", networkMode="bridge",
            containerDefinitions=[{"name": "app", "image": "app:1", "memory": 128}])
        r = self.run_migration(["--task-definition", "ec2only", "--command", MIGRATE])
        self.assertEqual(r.returncode, 1, r)
        self.assertIn("launching with launch type EC2", r.stderr)
        self.assertIn("No Container Instances were found in your cluster", r.stderr)
        self.assertEqual(self.aws.requests("ecs:RunTask")[0]["launchType"], "EC2")
        self.assertEqual(self.group_tasks(), [])

    # -- client tokens -----------------------------------------------------------

    def test_matrix_legs_get_different_tokens_and_a_retried_step_the_same(self):
        actions = dict(GITHUB_RUN_ID="777", GITHUB_RUN_ATTEMPT="1", GITHUB_JOB="migrate")
        legs = [
            self.run_migration(["--service", "api", "--command", MIGRATE, "--env", f"DB=db{i}",
                                "--if-running", "ignore"], env=self.aws.env(**actions))
            for i in (1, 2)
        ]
        other_cluster = self.run_migration(["--service", "api", "--command", MIGRATE,
                                            "--env", "DB=db1", "--if-running", "ignore"],
                                           cluster=SPOT_CLUSTER, env=self.aws.env(**actions))
        for r in legs + [other_cluster]:
            self.assertEqual(r.returncode, 0, r)
        arns = {r.outputs["task_arn"] for r in legs + [other_cluster]}
        self.assertEqual(len(arns), 3, "each leg started its own task")
        tokens = {t["client_token"] for t in self.group_tasks()}
        self.assertEqual(len(tokens), 3)
        retried = self.run_migration(["--service", "api", "--command", MIGRATE, "--env", "DB=db1",
                                      "--if-running", "ignore"], env=self.aws.env(**actions))
        self.assertEqual(retried.returncode, 0, retried)
        self.assertEqual(retried.outputs["task_arn"], legs[0].outputs["task_arn"])
        self.assertEqual(len(self.group_tasks()), 3)

    # -- cancel during RunTask -----------------------------------------------------

    def test_sigterm_during_run_task_writes_the_outputs_then_exits_143(self):
        self.aws.inject("ecs:RunTask", [{"slow": 1.5}])  # the signal comes while it works
        tool = self.start_migration(["--service", "api", "--command", MIGRATE])
        tool.send_signal(signal.SIGTERM)
        r = tool.wait(timeout=60)
        self.assertEqual(r.returncode, 143, r)
        task = self.the_one_task(r)
        self.assertEqual(r.outputs["log_stream"], f"ecs/app/{task['id']}")
        self.assertFalse(task["stopped_by_user"], "no --stop-on-cancel: left running")

    def test_sigint_during_run_task_with_stop_on_cancel_stops_the_task(self):
        self.aws.inject("ecs:RunTask", [{"slow": 1.5}])
        tool = self.start_migration(["--service", "api", "--command", MIGRATE,
                                     "--stop-on-cancel"])
        tool.send_signal(signal.SIGINT)
        r = tool.wait(timeout=60)
        self.assertEqual(r.returncode, 130, r)
        self.assertTrue(self.the_one_task(r)["stopped_by_user"])

    # -- answers of the wrong shape ------------------------------------------------

    def test_a_task_arn_that_is_not_an_arn_is_exit_1_and_no_output(self):
        self.aws.inject("ecs:RunTask", [{"status": 200, "body": {
            "tasks": [{"taskArn": "x\n::warning::INJECTED", "lastStatus": "PROVISIONING",
                       "desiredStatus": "RUNNING"}], "failures": []}}])
        r = self.run_migration(["--service", "api", "--command", MIGRATE], github_actions=True)
        self.assertEqual(r.returncode, 1, r)
        self.assertNotIn("task_arn", r.outputs)
        self.assertIn("is not a task ARN", r.stderr)
        self.assertNotIn("\n::warning::INJECTED", r.stderr)

    def test_dry_run_writes_the_cluster_arn(self):
        r = self.run_migration(["--service", "api", "--command", MIGRATE, "--dry-run"])
        self.assertEqual(r.returncode, 0, r)
        self.assertEqual(r.outputs["cluster"], self.seeded["cluster_arn"])
        self.assertNotIn("ecs:RunTask", self.aws.stats()["requests"])


if __name__ == "__main__":
    unittest.main()
