"""wait-task against ECS as it really behaves (#14): the MISSING window after
RunTask, the Fargate stop sequence, stops from outside, answers not to be
trusted, throttling that outlasts the retries (#15). The local AWS runs with
its "test" timing (ecs_layer.TIMINGS); each test scripts what it needs."""

import time
import unittest
from pathlib import Path

import harness
import service_task

CLUSTER = "wait-ecs-cluster"
POLL = 6.25  # wait-task's DescribeTasks interval, jitter included


class WaitTaskEcsTest(service_task.ServiceTaskTestCase):

    cluster = CLUSTER
    containers = [{"name": "app"}, {"name": "sidecar", "essential": False}]
    started_by = "wait-ecs-test"

    def record(self, arn):
        return next(t for t in self.aws.tasks() if t["arn"] == arn)

    def assert_model_ok(self):
        self.assertEqual(self.aws.stats()["model_violations"], [])

    def describe_until_stopped(self, arn, timeout=30):
        """Every distinct DescribeTasks view of the task until STOPPED."""
        views, deadline = [], time.time() + timeout
        while time.time() < deadline:
            task = self.ecs.describe_tasks(cluster=CLUSTER, tasks=[arn])["tasks"][0]
            if not views or views[-1]["lastStatus"] != task["lastStatus"]:
                views.append(task)
            if task["lastStatus"] == "STOPPED":
                return views
            time.sleep(0.05)
        self.fail(f"not STOPPED: {[v['lastStatus'] for v in views]}")

    def test_the_stop_sequence_as_describe_tasks_shows_it(self):
        arn = self.start_task(statuses=(("RUNNING", 0.3),), exit_codes={"app": 5},
                              missing_seconds=0,
                              stop_sequence=[("DEACTIVATING", 0.6), ("STOPPING", 0.6),
                                             ("DEPROVISIONING", 0.6)])
        views = self.describe_until_stopped(arn)
        self.assertEqual([v["lastStatus"] for v in views],
                         ["RUNNING", "DEACTIVATING", "STOPPING", "DEPROVISIONING", "STOPPED"])
        running, ending, stopped = views[0], views[1:4], views[4]
        self.assertNotIn("executionStoppedAt", running)
        self.assertEqual(running["desiredStatus"], "RUNNING")
        for view in ending:
            app = next(c for c in view["containers"] if c["name"] == "app")
            self.assertEqual((app["lastStatus"], app.get("exitCode")), ("STOPPED", 5))
            self.assertEqual(view["desiredStatus"], "STOPPED")
            self.assertEqual(view["stopCode"], "EssentialContainerExited")
            self.assertEqual(view["executionStoppedAt"], view["stoppingAt"])
            self.assertNotIn("stoppedAt", view)
        self.assertGreater(stopped["stoppedAt"], stopped["executionStoppedAt"])
        self.assert_model_ok()

    def test_stop_task_sends_sigterm_as_stopping_begins(self):
        arn = self.start_task(statuses=(("RUNNING", 120),), missing_seconds=0,
                              sigterm_seconds=0.5,
                              stop_sequence=[("DEACTIVATING", 0.5), ("STOPPING", 0.2),
                                             ("DEPROVISIONING", 0.5)])
        self.aws.wait_for_task_status(arn, "RUNNING")
        self.ecs.stop_task(cluster=CLUSTER, task=arn)
        views = self.describe_until_stopped(arn)
        self.assertEqual([v["lastStatus"] for v in views],
                         ["DEACTIVATING", "STOPPING", "DEPROVISIONING", "STOPPED"])
        deactivating = next(c for c in views[0]["containers"] if c["name"] == "app")
        self.assertEqual(deactivating["lastStatus"], "RUNNING", "SIGTERM comes with STOPPING")
        self.assertEqual((views[0]["stopCode"], views[0]["stoppedReason"]),
                         ("UserInitiated", "Task stopped by user"))
        app = next(c for c in views[-1]["containers"] if c["name"] == "app")
        self.assertEqual(app["exitCode"], 143)
        self.assertGreater(views[-1]["executionStoppedAt"], views[-1]["stoppingAt"])
        self.assert_model_ok()

    def test_started_inside_the_missing_window_succeeds(self):
        arn = self.start_task(statuses=(("RUNNING", 1.0),), missing_seconds=2.5)
        r = self.wait(arn)  # at once, as the action does after run-migration-task
        self.assertEqual(r.returncode, 0, r)
        self.assertEqual(r.outputs["result"], "success")
        self.assertIn("not visible yet (MISSING", r.stderr)
        self.assertGreaterEqual(self.aws.stats()["calls"]["ecs:DescribeTasks"], 2)
        self.assert_model_ok()

    def test_the_missing_window_hides_the_task_from_list_tasks_too(self):
        arn = self.start_task(statuses=(("RUNNING", 30.0),), missing_seconds=1.5)
        answer = self.ecs.describe_tasks(cluster=CLUSTER, tasks=[arn])
        self.assertEqual(answer["tasks"], [])
        self.assertEqual(answer["failures"], [{"arn": arn, "reason": "MISSING"}])
        self.assertNotIn(arn, self.ecs.list_tasks(cluster=CLUSTER)["taskArns"])
        time.sleep(1.6)
        self.assertEqual(len(self.ecs.describe_tasks(cluster=CLUSTER, tasks=[arn])["tasks"]), 1)
        self.assertIn(arn, self.ecs.list_tasks(cluster=CLUSTER)["taskArns"])
        self.ecs.stop_task(cluster=CLUSTER, task=arn, reason="test cleanup")
        self.assert_model_ok()

    def test_a_task_that_never_existed_fails_within_the_grace(self):
        started = time.monotonic()
        r = self.wait("0123456789abcdef0123456789abcdef", ["--missing-grace", "3s"], timeout=60)
        elapsed = time.monotonic() - started
        self.assertEqual(r.returncode, 1, r)
        self.assertIn("not known to cluster", r.stderr)
        self.assertIn("MISSING for 3", r.stderr)
        self.assertLess(elapsed, 3 + POLL, "the grace bounds the wait")
        self.assertEqual(r.outputs, {})

    def test_ends_within_one_poll_of_the_exit_while_the_task_deprovisions(self):
        arn = self.start_task(statuses=(("PENDING", 0.5), ("RUNNING", 2.0)),
                              stop_sequence=[("DEACTIVATING", 0.5), ("STOPPING", 0.5),
                                             ("DEPROVISIONING", 60)])
        r = self.wait(arn)
        ended = time.time()
        self.assertEqual(r.returncode, 0, r)
        self.assertIn(r.outputs["last_status"], ("DEACTIVATING", "STOPPING", "DEPROVISIONING"))
        record = self.record(arn)
        self.assertNotEqual(record["lastStatus"], "STOPPED", "it did not wait for STOPPED")
        self.assertIsNotNone(record["execution_stopped_at"])
        self.assertLess(ended - record["execution_stopped_at"], POLL + 2.0)
        self.assert_model_ok()

    def test_until_stopped_waits_for_stopped(self):
        arn = self.start_task(statuses=(("RUNNING", 0.5),), exit_codes={"app": 4},
                              stop_sequence=[("DEACTIVATING", 0.5), ("STOPPING", 0.5),
                                             ("DEPROVISIONING", 7.0)])
        r = self.wait(arn, ["--until-stopped"])
        self.assertEqual(r.returncode, 4, r)
        self.assertEqual(r.outputs["last_status"], "STOPPED")
        self.assertEqual(self.record(arn)["lastStatus"], "STOPPED")
        self.assertIn("DEPROVISIONING → STOPPED (", r.stderr)

    def test_stop_task_with_exit_0_is_stopped_not_success(self):
        arn = self.start_task(statuses=(("RUNNING", 120),), exit_codes={"app": 0})
        proc = self.start_wait(arn)
        self.ecs.stop_task(cluster=CLUSTER, task=arn, reason="rolled back by alice")
        r = proc.wait(timeout=60)
        self.assertEqual(r.returncode, 125, r)
        self.assertEqual(r.outputs["result"], "stopped")
        self.assertEqual(r.outputs["exit_code"], "0")
        self.assertEqual(r.outputs["stop_code"], "UserInitiated")
        self.assertEqual(r.outputs["stopped_reason"], "rolled back by alice")
        self.assertIn("StopTask", r.stderr)
        self.assertIn("rolled back by alice", r.stderr)
        self.assertEqual(self.aws.stats()["calls"].get("ecs:StopTask"), 1, "only alice's")
        self.assert_model_ok()

    def test_every_stop_from_outside_is_125_stopped(self):
        expected = {
            "SpotInterruption": ("Your Spot Task was interrupted.", "Spot interruption"),
            "ServiceSchedulerInitiated": ("Scaling activity initiated by", "service scheduler"),
            "TerminationNotice": ("performing maintenance", "termination notice"),
        }
        running = {}
        for code in expected:  # all at once: one poll's time for the three
            arn = self.start_task(statuses=(("RUNNING", 120),),
                                  outside_stop={"stop_code": code, "after": 1.0})
            running[code] = self.start_wait(arn, until=None)
        for code, proc in running.items():
            r = proc.wait(timeout=60)
            with self.subTest(code=code):
                reason, who = expected[code]
                self.assertEqual(r.returncode, 125, r)
                self.assertEqual(r.outputs["result"], "stopped")
                self.assertEqual(r.outputs["stop_code"], code)
                self.assertIn(reason, r.outputs["stopped_reason"])
                self.assertEqual(r.outputs["exit_code"], "143", "SIGTERM from the agent")
                self.assertIn(who, r.stderr)
        self.assert_model_ok()

    def test_a_stop_wait_task_made_itself_keeps_its_own_code(self):
        arn = self.start_task(statuses=(("RUNNING", 120),), exit_codes={"app": 0})
        r = self.wait(arn, ["--timeout", "2s", "--stop-on-timeout"])
        self.assertEqual(r.returncode, 124, r)
        self.assertEqual(r.outputs["result"], "timeout")
        record = self.aws.wait_for_task_status(arn, "STOPPED")
        self.assertEqual(record["stop_code"], "UserInitiated")

    def test_an_answer_about_another_task_is_asked_again(self):
        arn = self.start_task(statuses=(("RUNNING", 0.5),), missing_seconds=0)
        other = self.ecs.describe_tasks(cluster=CLUSTER, tasks=[arn])["tasks"][0]
        other = dict(other, taskArn=arn.rsplit("/", 1)[0] + "/" + "0" * 32)
        other.pop("createdAt", None)
        other.pop("startedAt", None)
        other.pop("pullStartedAt", None)
        other.pop("pullStoppedAt", None)
        self.aws.reset_stats()
        self.aws.inject("ecs:DescribeTasks", [{"body": {"tasks": [other], "failures": []}}])
        r = self.wait(arn)
        self.assertEqual(r.returncode, 0, r)
        self.assertIn("another task", r.stderr)
        self.aws.inject("ecs:DescribeTasks", [{"body": {"tasks": [other], "failures": []}}] * 2)
        r = self.wait(arn)
        self.assertEqual(r.returncode, 1, r)
        self.assertIn("twice in a row", r.stderr)
        self.assertEqual(r.outputs, {})

    def test_an_answer_without_the_essential_container_is_not_trusted(self):
        arn = self.start_task(statuses=(("RUNNING", 0.3),), missing_seconds=0,
                              stop_sequence=[("DEPROVISIONING", 60)])
        self.aws.wait_for_task_status(arn, "DEPROVISIONING")
        task = self.ecs.describe_tasks(cluster=CLUSTER, tasks=[arn])["tasks"][0]
        task = dict(task, containers=[c for c in task["containers"] if c["name"] != "app"])
        for key in ("createdAt", "startedAt", "stoppingAt", "executionStoppedAt",
                    "pullStartedAt", "pullStoppedAt"):
            task.pop(key, None)
        self.aws.inject("ecs:DescribeTasks", [{"body": {"tasks": [task], "failures": []}}] * 2)
        r = self.wait(arn)
        self.assertEqual(r.returncode, 1, r)
        self.assertIn("no essential container app", r.stderr)
        self.assertEqual(r.outputs, {})

    def start_failing_prisma_task(self):
        """A task whose container prints Prisma's P3018 and exits 1, each line
        readable in CloudWatch Logs only 8 s after it was printed."""
        lines = (Path(harness.SOURCE_DIR) / "tests" / "data" / "prisma" /
                 "native-P3018.txt").read_text().splitlines()
        return self.start_task(statuses=(("RUNNING", 0.5),), exit_codes={"app": 1},
                               log_lines={"app": lines}, log_delivery_seconds=8.0,
                               stop_sequence=[("DEACTIVATING", 0.2), ("DEPROVISIONING", 12.0)])

    def test_the_last_lines_delivered_after_the_exit_are_still_read_and_diagnosed(self):
        """CloudWatch Logs shows a line seconds after the container printed it:
        wait-task ends at the container's exit, before Prisma's error is
        readable, and must still drain it (and diagnose from it)."""
        r = self.wait(self.start_failing_prisma_task(), ["--follow-logs"])
        self.assertEqual(r.returncode, 1, r)
        self.assertEqual(r.outputs["diagnosis"], "prisma:P3018", r)
        self.assertIn("20220825080309_add_new_place", r.outputs["diagnosis_message"])
        self.assertIn('unsafe use of new value "OUTDOOR"', r.stdout)

    def test_fetch_logs_right_after_wait_task_reads_the_late_lines(self):
        """The pipeline without --follow-logs: wait-task ends at the exit (the
        task still DEPROVISIONING), fetch-logs starts at once and must wait for
        the lines still on their way."""
        arn = self.start_failing_prisma_task()
        waited = self.wait(arn)
        self.assertEqual(waited.returncode, 1, waited)
        self.assertNotEqual(waited.outputs["last_status"], "STOPPED")
        fetched = harness.run_tool("fetch-logs", ["--cluster", CLUSTER, "--task", arn],
                                   self.aws.env())
        self.assertEqual(fetched.returncode, 0, fetched)
        self.assertIn("check_safe_enum_use", fetched.stdout)
        self.assertEqual(fetched.outputs["diagnosis"], "prisma:P3018")

    def test_throttling_that_outlasts_the_retries_writes_what_is_known(self):
        arn = self.start_task(statuses=(("RUNNING", 120),))
        env = self.aws.env(AWS_MAX_ATTEMPTS="2")
        proc = self.start_wait(arn, ["--stop-on-cancel"], env)
        self.aws.set_faults(throttle=1.0, operations=["ecs:DescribeTasks"], seed=3)
        # Ten attempts backing off on the SDKs' 1 s throttling scale (capped at
        # 20 s): about a minute on average, two at the most.
        r = proc.wait(timeout=240)
        self.aws.clear_faults()
        self.assertEqual(r.returncode, 1, r)
        self.assertEqual(r.outputs["result"], "unknown")
        self.assertEqual(r.outputs["task_arn"], arn)
        self.assertEqual(r.outputs["last_status"], "RUNNING")
        self.assertIn("may still be running", r.stderr)
        self.assertIn("Throttling", r.stderr)
        self.ecs.stop_task(cluster=CLUSTER, task=arn, reason="test cleanup")


if __name__ == "__main__":
    unittest.main()
