"""wait-task against the local AWS (moto behind the signature-checking proxy,
with scripted task lifecycles)."""

import signal
import unittest

import harness
import service_task

CLUSTER = "wait-cluster"


class WaitTaskTest(service_task.ServiceTaskTestCase):

    cluster = CLUSTER
    containers = [{"name": "app"}, {"name": "sidecar", "essential": False}]
    started_by = "wait-test"

    def start_task(self, **script):
        arn = super().start_task(**script)
        self.aws.reset_stats()
        return arn

    def test_success_prints_transitions(self):
        # Polls come every 6 s (the aws waiter's grid): a status must last
        # that long to be seen, and RUNNING longer, as the grid may start
        # late in PENDING. No MISSING window here: the call count below is
        # the 6 s grid's, compared with the aws waiter's (which polls an empty
        # MISSING answer again 6 s later, where wait-task asks after 1 s: one
        # call more with the window; that backoff is test_wait_task_ecs's).
        arn = self.start_task(statuses=(("PROVISIONING", 0.5), ("PENDING", 6.0), ("RUNNING", 9.0)),
                              missing_seconds=0)
        r = self.wait(arn)
        self.assertEqual(r.returncode, 0, r)
        self.assertEqual(r.outputs["result"], "success")
        self.assertEqual(r.outputs["exit_code"], "0")
        # Ends at the container's exit: STOPPED or still in the stop sequence.
        self.assertIn(r.outputs["last_status"],
                      ("DEACTIVATING", "STOPPING", "DEPROVISIONING", "STOPPED"))
        self.assertEqual(r.outputs["stop_code"], "EssentialContainerExited")
        self.assertIn("→ RUNNING (", r.stderr)
        self.assertRegex(r.stderr, r"RUNNING → (DEACTIVATING|STOPPING|DEPROVISIONING|STOPPED) \(")
        self.assertIn("| success | 0 |", r.summary)
        stats = self.aws.stats()
        self.assertEqual(stats["signature_failures"], 0)
        self.assertEqual(stats["model_violations"], [])
        # Never more calls than `aws ecs wait tasks-stopped` would make: it
        # calls at 0, 6, 12, 18 s and sees STOPPED (at 15.5 s + the 0.8 s stop
        # sequence) on its 4th call; wait-task ends at the exit, seen then too.
        self.assertLessEqual(stats["calls"].get("ecs:DescribeTasks", 0), 4, stats["calls"])

    def test_exit_codes_pass_through(self):
        for code in (1, 137):
            with self.subTest(code=code):
                arn = self.start_task(statuses=(("RUNNING", 0.5),), exit_codes={"app": code})
                r = self.wait(arn.rsplit("/", 1)[1])  # by id (a flag twice is exit 2)
                self.assertEqual(r.returncode, code, r)
                self.assertEqual(r.outputs["result"], "failed")
                self.assertEqual(r.outputs["exit_code"], str(code))

    def test_chosen_container_decides(self):
        arn = self.start_task(statuses=(("RUNNING", 0.5),), exit_codes={"sidecar": 3})
        r = self.wait(arn)
        self.assertEqual(r.returncode, 0, r)
        r = self.wait(arn, ["--container", "sidecar"])
        self.assertEqual(r.returncode, 3, r)

    def test_missing_exit_code_is_failure(self):
        arn = self.start_task(statuses=(("RUNNING", 0.5),), missing_exit_code=True)
        r = self.wait(arn)
        self.assertEqual(r.returncode, 1, r)
        self.assertEqual(r.outputs["result"], "failed")
        self.assertEqual(r.outputs["exit_code"], "")

    def test_task_failed_to_start_is_infra_failure(self):
        arn = self.start_task(statuses=(("PROVISIONING", 0.3), ("PENDING", 0.3)),
                              fail_to_start=True)
        r = self.wait(arn, github_actions=True)
        self.assertEqual(r.returncode, 125, r)
        self.assertEqual(r.outputs["result"], "infra-failure")
        self.assertEqual(r.outputs["stop_code"], "TaskFailedToStart")
        self.assertIn("::error", r.stderr)
        self.assertIn("TaskFailedToStart", r.stderr)
        self.assertIn("CannotPullContainerError", r.stderr)
        self.assertIn("infra-failure", r.summary)

    def test_start_timeout_stops_the_task_when_asked(self):
        arn = self.start_task(statuses=(("PROVISIONING", 60),))
        r = self.wait(arn, ["--start-timeout", "2s", "--stop-on-timeout"])
        self.assertEqual(r.returncode, 124, r)
        self.assertEqual(r.outputs["result"], "timeout")
        self.assertIn("did not reach RUNNING", r.stderr)
        self.assertEqual(self.aws.stats()["calls"].get("ecs:StopTask"), 1)
        self.aws.wait_for_task_status(arn, "STOPPED")

    def test_sigterm_stops_the_task_and_exits_143(self):
        arn = self.start_task(statuses=(("PROVISIONING", 0.2), ("RUNNING", 120)))
        env = self.aws.env(GITHUB_REPOSITORY="acme/api", GITHUB_RUN_ID="99",
                           GITHUB_RUN_ATTEMPT="3")
        proc = self.start_wait(arn, ["--stop-on-cancel"], env, until="RUNNING")
        proc.send_signal(signal.SIGTERM)
        r = proc.wait(timeout=30)
        self.assertEqual(r.returncode, 143, r)
        self.assertEqual(r.outputs["result"], "cancelled")
        self.assertEqual(self.aws.stats()["calls"].get("ecs:StopTask"), 1)
        record = self.aws.wait_for_task_status(arn, "STOPPED")
        self.assertTrue(record["stopped_by_user"])
        self.assertIn("acme/api 99 attempt 3", record["stop_reason"])

    def test_unknown_task_is_an_error(self):
        r = self.wait("0123456789abcdef0123456789abcdef", ["--missing-grace", "2s"], timeout=30)
        self.assertEqual(r.returncode, 1, r)
        self.assertIn("MISSING", r.stderr)

    def test_throttling_never_fails_a_wait(self):
        arn = self.start_task(statuses=(("RUNNING", 2.0),))
        self.aws.set_faults(throttle=0.4, operations=["ecs:DescribeTasks"], seed=7)
        r = self.wait(arn)
        self.assertEqual(r.returncode, 0, r)

    def test_follow_logs_streams_the_output(self):
        arn = self.start_task(statuses=(("RUNNING", 1.5),), exit_codes={"app": 2},
                              log_lines={"app": ["Applying migration 001_init",
                                                 "Error: P3018 migration failed"]})
        r = self.wait(arn, ["--follow-logs"])
        self.assertEqual(r.returncode, 2, r)
        self.assertIn("P3018 migration failed", r.stdout + r.stderr)
        self.assertIn("P3018", r.summary)

    def test_bad_inputs_exit_2_with_no_request(self):
        cases = [
            ["--cluster", CLUSTER],
            ["--task", "0123456789abcdef0123456789abcdef"],
            ["--cluster", CLUSTER, "--task", "nope"],
            ["--cluster", CLUSTER, "--task", "0123456789abcdef0123456789abcdef",
             "--timeout", "ten minutes"],
            ["--cluster", CLUSTER, "--task", "0123456789abcdef0123456789abcdef",
             "--start-timeout", "-1s"],
            ["--cluster", CLUSTER, "--task",
             "arn:aws:ecs:us-east-1:123456789012:task/other/0123456789abcdef0123456789abcdef"],
        ]
        for args in cases:
            with self.subTest(args=args):
                r = harness.run_tool("wait-task", args, self.aws.env())
                self.assertEqual(r.returncode, 2, r)
                self.assertEqual(len(r.stderr.strip().splitlines()), 1, r.stderr)
        self.assertEqual(self.aws.stats()["requests"], {})


if __name__ == "__main__":
    unittest.main()
