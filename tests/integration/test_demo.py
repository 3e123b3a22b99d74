"""The README demo, end to end, both ways: the action's own steps
(scripts/local-run, what the demo runs) and each tool as its own step must
start one task, apply the migration to a real PostgreSQL, and agree on every
output they share."""
import os
import re
import sys
import unittest

import harness

sys.path.insert(0, os.path.join(harness.SOURCE_DIR, "tests", "aws_local"))
import demo  # noqa: E402

SHARED_KEYS = ["changed", "task_arn", "exit_code", "result", "log_group", "log_stream", "console_url"]


def normalise(outputs):
    """Task ids differ between runs; everything else must not."""
    return {k: re.sub(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}|[0-9a-f]{32}",
                      "TASK", outputs.get(k, "<missing>")) for k in SHARED_KEYS}


class DemoTest(unittest.TestCase):
    def test_demo_and_step_by_step_agree(self):
        code_action, pairs_action, table_action = demo.run_demo(harness.BIN_DIR, "action")
        code_steps, pairs_steps, table_steps = demo.run_demo(harness.BIN_DIR, "steps")
        self.assertEqual(code_action, 0)
        self.assertEqual(code_steps, 0)
        self.assertTrue(table_action, "the action path created the table")
        self.assertTrue(table_steps, "the step-by-step path created the table")
        action, steps = dict(pairs_action), dict(pairs_steps)
        self.assertEqual(action["changed"], "true")
        self.assertEqual(action["result"], "success")
        self.assertEqual(normalise(action), normalise(steps))


if __name__ == "__main__":
    unittest.main()
