"""What the run-migration-task test modules share: the service "api" seeded
in the class's cluster, each test's tasks in a fresh --started-by group, and
what a test left running stopped (and waited out) after it."""

import time

import harness

MIGRATE = '["npx","prisma","migrate","deploy"]'


class TaskGroupTestCase(harness.LocalAwsTestCase):
    """cluster: the default --cluster, where setUpClass seeds the service
    "api" (cls.seeded); group_prefix: the group's first letter."""

    cluster = None
    group_prefix = "t"

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.seeded = cls.aws.seed_service(cluster=cls.cluster, service="api")

    def setUp(self):
        super().setUp()
        self.started_by = f"{self.group_prefix}{int(time.time() * 1000) % 10**9}"

    def tearDown(self):
        # Every task this test started has stopped (or is stopped) before the next one.
        ecs = self.aws.proxy_client("ecs")
        for task in self.group_tasks():
            if task["desiredStatus"] != "STOPPED":
                ecs.stop_task(cluster=task["cluster"], task=task["arn"], reason="test cleanup")
        for task in self.group_tasks():
            self.aws.wait_for_task_status(task["arn"], "STOPPED", timeout=30)
        super().tearDown()

    def group_args(self, args, cluster=None):
        """run-migration-task's argv: args in the test's group and cluster."""
        return ["--cluster", cluster or self.cluster, "--started-by", self.started_by] + args

    def run_migration(self, args, env=None, cluster=None, **kwargs):
        return harness.run_tool("run-migration-task", self.group_args(args, cluster),
                                env or self.aws.env(), **kwargs)

    def start_migration(self, args):
        """Starts run-migration-task in the background; returns it once its
        RunTask has reached the local AWS."""
        tool = harness.start_tool("run-migration-task", self.group_args(args), self.aws.env())
        deadline = time.time() + 30
        while self.aws.stats()["requests"].get("ecs:RunTask", 0) == 0:
            if time.time() > deadline:
                tool.proc.kill()
                raise AssertionError("RunTask never came: " + tool.stderr_so_far())
            time.sleep(0.02)
        return tool

    def group_tasks(self):
        return [t for t in self.aws.tasks() if t["started_by"] == self.started_by]

    def the_one_task(self, result):
        """The group's only task, which the tool's task_arn output names."""
        tasks = self.group_tasks()
        self.assertEqual(len(tasks), 1, tasks)
        self.assertEqual(result.outputs["task_arn"], tasks[0]["arn"])
        return tasks[0]
