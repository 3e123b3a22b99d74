"""The diagnosis and the migration timing on the real Prisma CLI's output (#17).

The local AWS runs the task's command for real (exec mode): `prisma migrate
deploy` (Prisma 6.19.3, the WebAssembly schema engine through the pg driver
adapter, offline; tests/prisma/, installed by `scripts/install-deps
--prisma`) against a throwaway PostgreSQL, its output shipped to CloudWatch
Logs; wait-task --follow-logs reads it as it streams and fetch-logs reads it
again. One PostgreSQL and one local AWS for the module; the tests run in
order (success, a failing migration, the P3009 that follows, a wrong
password, then a stopped database)."""
import json
import os
import shutil
import sys
import tempfile
import unittest

import harness
import service_task

sys.path.insert(0, os.path.join(harness.SOURCE_DIR, "tests", "aws_local"))
import demo  # noqa: E402

PRISMA_DIR = demo.PRISMA_DIR
PRISMA_CLI = demo.PRISMA_CLI

SCHEMA = demo.SCHEMA_V1 + """
model Flow {
  id   Int    @id @default(autoincrement())
  name String
}
"""

MIGRATIONS = {
    "20240101000000_init": demo.MIGRATION_INIT,
    # A body with `;` inside $$: breaks if the adapter splits the script.
    "20240201000000_add_flow": 'CREATE TABLE "Flow" ("id" SERIAL PRIMARY KEY, "name" TEXT NOT NULL);\n'
    "CREATE FUNCTION flow_count() RETURNS bigint LANGUAGE plpgsql AS $$\n"
    'BEGIN RETURN (SELECT count(*) FROM "Flow"); END;\n$$;\n',
}
BROKEN = ("20240301000000_broken",
          'CREATE TABLE "Half" ("id" INT);\nALTER TABLE "Nope" ADD COLUMN "x" INT;\n')


def write(path, text):
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path, "w") as f:
        f.write(text)


@unittest.skipUnless(demo.use_prisma(), "Prisma is not installed: scripts/install-deps --prisma")
class PrismaDiagnosisTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.root = tempfile.mkdtemp(prefix="ecsmig-prisma-")
        cls.pg = None
        cls.aws = None
        try:
            cls.repo = os.path.join(cls.root, "app")
            write(os.path.join(cls.repo, "prisma", "schema.prisma"), SCHEMA)
            write(os.path.join(cls.repo, "prisma", "migrations", "migration_lock.toml"),
                  'provider = "postgresql"\n')
            for name, sql in MIGRATIONS.items():
                write(os.path.join(cls.repo, "prisma", "migrations", name, "migration.sql"), sql)
            shutil.copy(os.path.join(PRISMA_DIR, "prisma.config.ts"), cls.repo)
            os.symlink(os.path.join(PRISMA_DIR, "node_modules"),
                       os.path.join(cls.repo, "node_modules"))
            cls.pg = demo.Postgres(cls.root)
            cls.aws = harness.LocalAws(exec_mode=True, exec_cwd=cls.repo)
            cls.aws.__enter__()
            cls.seeded = cls.aws.seed_service(
                cluster="prisma", service="api", family="api",
                containers=[{"name": "app", "essential": True,
                             "command": ["node", "dist/server.js"]}],
                environment={"DATABASE_URL": cls.pg.url, "CHECKPOINT_DISABLE": "1",
                             # The WebAssembly engine says which migration it
                             # applies only in its debug log.
                             "DEBUG": "prisma:schemaEngine:wasm:stderr", "NO_COLOR": "1"})
        except BaseException:
            cls.tearDownClass()
            raise

    @classmethod
    def tearDownClass(cls):
        if cls.aws:
            cls.aws.__exit__(None, None, None)
        if cls.pg:
            cls.pg.stop()
        shutil.rmtree(cls.root, ignore_errors=True)

    def migrate(self, *env_overrides):
        """run-migration-task, then wait-task --follow-logs; wait-task's result."""
        env = self.aws.env()
        args = ["--cluster", "prisma", "--service", "api",
                "--command", json.dumps(["node", PRISMA_CLI, "migrate", "deploy"])]
        for override in env_overrides:
            args += ["--env", override]
        started = harness.run_tool("run-migration-task", args, env)
        self.assertEqual(started.returncode, 0, started)
        self.task_arn = started.outputs["task_arn"]
        waited = harness.run_tool(
            "wait-task", ["--cluster", "prisma", "--task", self.task_arn, "--timeout", "3m",
                          "--follow-logs"], env, timeout=240)
        return waited

    def fetch_logs(self):
        fetched = harness.run_tool("fetch-logs", ["--cluster", "prisma", "--task", self.task_arn,
                                                  "--summary", "--drain-grace", "500ms"],
                                   self.aws.env())
        self.assertEqual(fetched.returncode, 0, fetched)
        return fetched

    def test_1_success_times_each_migration(self):
        result = self.migrate()
        self.assertEqual(result.returncode, 0, result)
        self.assertEqual(result.outputs["result"], "success")
        self.assertEqual(result.outputs["diagnosis"], "")
        self.assertEqual(result.outputs["diagnosis_message"], "")
        self.assertEqual(result.outputs["applied_migrations"],
                         "20240101000000_init\n20240201000000_add_flow")
        applied = json.loads(result.outputs["applied_migrations_json"])
        self.assertEqual([m["name"] for m in applied], list(MIGRATIONS))
        for m in applied:
            self.assertIsInstance(m["seconds"], (int, float))
            self.assertGreaterEqual(m["seconds"], 0)
        self.assertTrue(result.summary.startswith("### Migrations applied"), result.summary)
        self.assertIn("Slowest: ", result.summary)
        # The $$ body went through whole.
        self.assertEqual(self.pg.query("SELECT flow_count()"), "0")
        # fetch-logs reads the same log to the same migrations.
        fetched = self.fetch_logs()
        self.assertEqual(fetched.outputs["applied_migrations"], result.outputs["applied_migrations"])
        self.assertIn("### Migrations applied", fetched.summary)

    def test_2_failing_migration_is_p3018(self):
        name, sql = BROKEN
        write(os.path.join(self.repo, "prisma", "migrations", name, "migration.sql"), sql)
        result = self.migrate()
        self.assertEqual(result.returncode, 1, result)
        self.assertEqual(result.outputs["diagnosis"], "prisma:P3018")
        self.assertIn(name, result.outputs["diagnosis_message"])
        self.assertIn("prisma migrate resolve --rolled-back", result.outputs["diagnosis_message"])
        self.assertEqual(result.outputs["applied_migrations"], "")
        self.assertEqual(result.outputs["applied_migrations_json"], "[]")
        self.assertTrue(result.summary.startswith("### Diagnosis: prisma:P3018"), result.summary)
        self.assertLess(result.summary.index("What to do"), result.summary.index("log lines"))
        # The script ran as one transaction: nothing half-applied.
        self.assertEqual(self.pg.query("SELECT to_regclass('public.\"Half\"') IS NULL"), "t")
        fetched = self.fetch_logs()
        self.assertEqual(fetched.outputs["diagnosis"], "prisma:P3018")

    def test_3_next_deploy_is_p3009_naming_the_failed_migration(self):
        result = self.migrate()
        self.assertEqual(result.returncode, 1, result)
        self.assertEqual(result.outputs["diagnosis"], "prisma:P3009")
        message = result.outputs["diagnosis_message"]
        self.assertIn('--rolled-back "%s"' % BROKEN[0], message)
        self.assertIn('--applied "%s"' % BROKEN[0], message)
        self.assertIn("https://pris.ly/d/migrate-resolve", message)

    def test_4_wrong_password_is_p1000(self):
        wrong = self.pg.url.replace(demo.DB_PASSWORD, "not-the-password")
        result = self.migrate("DATABASE_URL=" + wrong)
        self.assertEqual(result.returncode, 1, result)
        self.assertEqual(result.outputs["diagnosis"], "prisma:P1000")
        self.assertNotIn("not-the-password", result.output_raw)

    def test_5_stopped_database_is_p1001(self):
        self.pg.stop()
        result = self.migrate()
        self.assertEqual(result.returncode, 1, result)
        self.assertEqual(result.outputs["diagnosis"], "prisma:P1001")
        self.assertIn("security group", result.outputs["diagnosis_message"])


class StopReasonAndScriptedLogTest(service_task.ServiceTaskTestCase):
    """No Prisma needed: ECS's stop reasons, and Prisma's native texts written
    to the task's stream by the local AWS's scripted lifecycle."""

    cluster = "diag"

    def run_and_wait(self, extra=(), **script):
        arn = self.start_task(**script)
        return arn, self.wait(arn, extra)

    def test_each_ecs_stop_reason(self):
        cases = [
            ("ecs:CannotPullContainerError", "VPC endpoints", dict(
                statuses=(("PROVISIONING", 0.2), ("PENDING", 0.2)), stop_code="TaskFailedToStart",
                stopped_reason="CannotPullContainerError: ref pull has been retried 5 time(s): "
                "failed to copy: httpReadSeeker: failed open: failed to do request: Get "
                "\"https://prod-us-east-1-starport-layer-bucket.s3.us-east-1.amazonaws.com/x\": "
                "dial tcp 52.216.1.1:443: i/o timeout")),
            ("ecs:ResourceInitializationError", "NAT", dict(
                statuses=(("PROVISIONING", 0.2), ("PENDING", 0.2)), stop_code="TaskFailedToStart",
                stopped_reason="ResourceInitializationError: unable to pull secrets or registry "
                "auth: execution resource retrieval failed: unable to retrieve secret from asm: "
                "service call has been retried 5 time(s): RequestCanceled: request context "
                "canceled caused by: context deadline exceeded")),
            ("ecs:OutOfMemoryError", "memory", dict(
                statuses=(("RUNNING", 0.3),), exit_codes={"app": 137},
                container_reasons={"app": "OutOfMemoryError: Container killed due to memory usage"})),
        ]
        for expected, advice, script in cases:
            with self.subTest(expected=expected):
                # The stop reasons need no log: --follow-logs only where the task ran
                # (a task that never started has no stream to wait for).
                follow = "exit_codes" in script
                _, r = self.run_and_wait(["--follow-logs"] if follow else [], **script)
                self.assertNotEqual(r.returncode, 0, r)
                self.assertEqual(r.outputs["diagnosis"], expected, r)
                self.assertIn(advice, r.outputs["diagnosis_message"])
                self.assertTrue(r.summary.startswith("### Diagnosis: " + expected), r.summary)
                if follow:
                    self.assertEqual(r.outputs["applied_migrations_json"], "[]")
                else:  # the log keys belong to runs that read the log
                    self.assertNotIn("applied_migrations", r.outputs)

    def test_native_prisma_text_through_cloudwatch(self):
        with open(os.path.join(harness.SOURCE_DIR, "tests", "data", "prisma",
                               "native-P3009.txt")) as f:
            lines = f.read().splitlines()
        arn, r = self.run_and_wait(["--follow-logs"], statuses=(("RUNNING", 1.0),),
                                   exit_codes={"app": 1}, log_lines={"app": lines})
        self.assertEqual(r.returncode, 1, r)
        self.assertEqual(r.outputs["diagnosis"], "prisma:P3009")
        self.assertIn('--rolled-back "20240528214728_add_cursor_index_03"',
                      r.outputs["diagnosis_message"])
        fetched = harness.run_tool("fetch-logs", ["--cluster", "diag", "--task", arn,
                                                  "--drain-grace", "500ms"], self.aws.env())
        self.assertEqual(fetched.outputs["diagnosis"], "prisma:P3009", fetched)

    def test_success_without_prisma_lines_says_nothing(self):
        _, r = self.run_and_wait(["--follow-logs"], statuses=(("RUNNING", 0.5),),
                                 log_lines={"app": ["hello", "Error: P3009 (quoted in a runbook)"]})
        self.assertEqual(r.returncode, 0, r)
        self.assertEqual(r.outputs["diagnosis"], "")
        self.assertEqual(r.outputs["applied_migrations"], "")
        self.assertEqual(r.outputs["applied_migrations_json"], "[]")
        self.assertNotIn("Diagnosis", r.summary)


if __name__ == "__main__":
    unittest.main()
