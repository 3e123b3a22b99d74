"""What the wait-task test modules share: one service seeded per class, its
tasks started as the service would start them, and wait-task run on them."""

import time

import harness


class ServiceTaskTestCase(harness.LocalAwsTestCase):
    """cluster: where the service "api" is seeded; containers: its task
    definition's (None: seed_service's one "app"); started_by: RunTask's
    startedBy (None: not sent)."""

    cluster = None
    containers = None
    started_by = None

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.seeded = cls.aws.seed_service(cluster=cls.cluster, service="api",
                                          containers=cls.containers)
        cls.ecs = cls.aws.proxy_client("ecs")

    def start_task(self, **script):
        """Scripts the task's lifecycle (aws.script_next_task), if given, and
        starts it; returns its ARN."""
        if script:
            self.aws.script_next_task(**script)
        params = {"startedBy": self.started_by} if self.started_by else {}
        return self.aws.run_service_task(self.seeded, **params)["taskArn"]

    def wait_args(self, arn, extra=()):
        return ["--cluster", self.cluster, "--task", arn, *extra]

    def wait(self, arn, extra=(), env=None, **kwargs):
        """Runs wait-task on the task (env: default aws.env())."""
        return harness.run_tool("wait-task", self.wait_args(arn, extra),
                                env or self.aws.env(), **kwargs)

    def start_wait(self, arn, extra=(), env=None, until="is RUNNING"):
        """Starts wait-task on the task in the background; returns it once
        its log says `until` (None: at once), or after 30 s."""
        tool = harness.start_tool("wait-task", self.wait_args(arn, extra), env or self.aws.env())
        deadline = time.time() + 30
        while until is not None and until not in tool.stderr_so_far() and time.time() < deadline:
            time.sleep(0.1)
        return tool
