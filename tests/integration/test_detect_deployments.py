"""detect-schema-change --base-from deployment against a local fake GitHub API.

The fake (tests/github_local/fake_github.py) answers in GitHub's documented
shapes; every failure to learn the base must fail safe (changed=true,
reason=missing-base, a warning naming the cause) and the token must never be
printed.
"""

import os
import sys
import time
import unittest

_HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(_HERE, "..", "github_local"))

from fake_github import FakeGitHub  # noqa: E402
from test_detect_schema_change import ToolTestCase  # noqa: E402

ENV = "production"


class DeploymentTest(ToolTestCase):
    def setUp(self):
        super().setUp()
        self.gh = FakeGitHub().start()
        self.addCleanup(self.gh.stop)
        # c1: the first migration; c2: a second one; c3: an unrelated change.
        self.repo = self.new_repo()
        self.repo.write("prisma/schema.prisma", "model A {}\n")
        self.repo.write("prisma/migrations/001_a/migration.sql", "CREATE TABLE a;\n")
        self.c1 = self.repo.commit("one")
        self.repo.write("prisma/schema.prisma", "model A {}\nmodel B {}\n")
        self.repo.write("prisma/migrations/002_b/migration.sql", "CREATE TABLE b;\n")
        self.c2 = self.repo.commit("two")
        self.repo.write("README.md", "docs\n")
        self.c3 = self.repo.commit("three")

    def detect(self, *args, env=None, expect=0):
        full = {"GITHUB_ACTIONS": "true"}
        full.update(self.gh.env())
        full.update(env or {})
        code, out, err, summary = self.run_tool(
            self.repo, "--base-from", "deployment", "--environment", ENV, *args,
            env=full, expect=expect)
        # The runner learns the secret from ::add-mask::, and only from there.
        mask = "::add-mask::" + self.gh.token + "\n"
        self.assertLessEqual(err.count(mask), 1)
        for text in [err.replace(mask, ""), summary] + list(out.values()):
            self.assertNotIn(self.gh.token, text)
        return out, err, summary

    def assertMissingBase(self, out, err, cause):
        self.assertEqual((out["changed"], out["reason"], out["base_source"], out["schema_changed"]),
                         ("true", "missing-base", "deployment", "true"))
        self.assertIn("::warning", err)
        self.assertIn(cause, err)

    def test_newest_success_is_the_base_and_the_token_is_sent_masked(self):
        self.gh.deploy(ENV, self.c1, ["in_progress", "success"])
        dep = self.gh.deploy(ENV, self.c2, ["in_progress", "success"])
        self.gh.deploy("staging", self.c3, ["success"])
        out, err, summary = self.detect("-v")
        self.assertEqual((out["reason"], out["base_source"], out["deployment_id"], out["base"],
                          out["head"]), ("deployment", "deployment", str(dep), self.c2, self.c3))
        self.assertFiles(out, [])
        self.assertTrue(err.startswith("::add-mask::" + self.gh.token + "\n"), err)
        for r in self.gh.requests:
            self.assertEqual(r["headers"]["Authorization"], "Bearer " + self.gh.token)
        self.assertIn("environment=production", self.gh.requests[0]["path"])
        self.assertIn("GET http://127.0.0.1", err)  # the -v trace, without the token

    def test_pagination_reaches_an_older_success(self):
        self.gh.deploy(ENV, self.c1, ["success"])
        for _ in range(130):
            self.gh.deploy(ENV, self.c2, ["in_progress", "failure"])
        out, _, _ = self.detect()
        self.assertEqual((out["reason"], out["base"]), ("deployment", self.c1))
        self.assertEqual(out["new_migrations"], "002_b")
        pages = [r for r in self.gh.requests if "/statuses" not in r["path"]]
        self.assertEqual(len(pages), 2)
        self.assertTrue(pages[1]["path"].startswith("/repositories/"))

    def test_in_progress_deployment_of_the_current_run_is_not_taken(self):
        self.gh.deploy(ENV, self.c1, ["success"])
        self.gh.deploy(ENV, self.c3, ["queued", "in_progress"])  # this run's own job
        out, _, _ = self.detect()
        self.assertEqual(out["base"], self.c1)
        self.assertEqual(out["new_migrations"], "002_b")

    def test_a_run_whose_build_job_succeeded_and_migration_failed(self):
        # Every job naming the environment makes a deployment.
        self.gh.deploy(ENV, self.c1, ["success"])
        self.gh.deploy(ENV, self.c2, ["in_progress", "success"])  # build job
        self.gh.deploy(ENV, self.c2, ["in_progress", "failure"])  # migrate job
        self.gh.deploy(ENV, self.c3, ["in_progress", "success"])  # this run's build job
        out, _, _ = self.detect()
        self.assertEqual((out["base"], out["new_migrations"]), (self.c1, "002_b"))

    def test_failed_last_deployment_keeps_the_migration_pending(self):
        self.gh.deploy(ENV, self.c1, ["success"])
        self.gh.deploy(ENV, self.c2, ["in_progress", "failure"])
        # c3 changed nothing the preset watches: the pending migration still counts.
        out, _, summary = self.detect()
        self.assertEqual((out["changed"], out["base"], out["new_migrations"]),
                         ("true", self.c1, "002_b"))
        self.assertIn("002\\_b", summary)  # Markdown-escaped

    def test_fixing_a_migration_that_never_applied_is_not_an_edit(self):
        self.gh.deploy(ENV, self.c1, ["success"])
        self.gh.deploy(ENV, self.c2, ["in_progress", "failure"])
        self.repo.write("prisma/migrations/002_b/migration.sql", "CREATE TABLE b (id int);\n")
        self.repo.commit("fix")
        out, _, _ = self.detect()
        self.assertEqual((out["new_migrations"], out["modified_migrations"]), ("002_b", ""))
        # Judged from the failed deployment's commit instead, it would be an edit.
        self.run_tool(self.repo, "--base", self.c2, expect=4)

    def test_no_successful_deployment_is_the_empty_tree(self):
        self.gh.deploy(ENV, self.c2, ["failure"])
        out, _, _ = self.detect()
        self.assertEqual((out["reason"], out["base"], out["base_source"]),
                         ("first-deployment", "", "deployment"))
        self.assertEqual(out["new_migrations"], "001_a\n002_b")
        self.assertNotIn("deployment_id", out)

    def test_refusals_fail_safe(self):
        self.gh.deploy(ENV, self.c1, ["success"])
        for status, cause in ((401, "401"), (403, "deployments: read"), (404, "404")):
            self.gh.fail_next(status)
            out, err, _ = self.detect()
            self.assertMissingBase(out, err, cause)
            self.assertEqual(out["deployment_id"] if "deployment_id" in out else "", "")
        out, err, _ = self.detect(env={"GITHUB_TOKEN": "ghs_wrongTokenValue"})
        self.assertMissingBase(out, err, "Bad credentials")
        self.assertNotIn("ghs_wrongTokenValue", err.replace("::add-mask::ghs_wrongTokenValue\n", ""))
        out, err, _ = self.detect(env={"GITHUB_REPOSITORY": "octo/other"})
        self.assertMissingBase(out, err, "404")
        out, err, _ = self.detect(env={"GITHUB_TOKEN": ""})
        self.assertMissingBase(out, err, "GITHUB_TOKEN")
        self.detect("--on-missing-base", "fail", env={"GITHUB_TOKEN": ""}, expect=3)

    def test_rate_limit_then_success(self):
        dep = self.gh.deploy(ENV, self.c1, ["success"])
        self.gh.fail_next(403, self.gh.rate_limit_headers(remaining=0, reset_in=0))
        self.gh.fail_next(429, {"retry-after": "1"})
        self.gh.fail_next(502)
        started = time.monotonic()
        out, err, _ = self.detect()
        self.assertEqual(out["deployment_id"], str(dep))
        self.assertGreaterEqual(time.monotonic() - started, 1.5)  # waited what GitHub asked
        self.assertIn("rate limit", err)

    def test_rate_limit_exhausted_fails_safe_at_once(self):
        self.gh.deploy(ENV, self.c1, ["success"])
        self.gh.fail_next(403, self.gh.rate_limit_headers(remaining=0, reset_in=3600))
        started = time.monotonic()
        out, err, _ = self.detect()
        self.assertLess(time.monotonic() - started, 10)
        self.assertMissingBase(out, err, "rate limit exhausted")

    def test_server_errors_are_retried_then_fail_safe(self):
        self.gh.deploy(ENV, self.c1, ["success"])
        self.gh.fail_next(503, times=10)
        out, err, _ = self.detect()
        self.assertMissingBase(out, err, "503")
        self.assertEqual(len(self.gh.requests), 4)

    def test_deployment_commit_missing_from_the_clone(self):
        gone = "feedface" * 5
        dep = self.gh.deploy(ENV, gone, ["success"])
        out, err, _ = self.detect()
        self.assertMissingBase(out, err, gone)
        self.assertEqual((out["base"], out["deployment_id"]), (gone, str(dep)))

    def test_enterprise_server_api_prefix(self):
        gh = FakeGitHub(prefix="/api/v3").start()
        self.addCleanup(gh.stop)
        dep = gh.deploy(ENV, self.c2, ["success"])
        self.gh = gh
        out, _, _ = self.detect()
        self.assertEqual(out["deployment_id"], str(dep))
        self.assertTrue(all(r["path"].startswith("/api/v3/") for r in gh.requests))

    def test_contradictory_flags_are_refused_before_any_request(self):
        full = dict(self.gh.env())
        _, _, err, _ = self.run_tool(self.repo, "--base-from", "deployment", env=full, expect=2)
        self.assertIn("--environment", err)
        _, _, err, _ = self.run_tool(self.repo, "--base", self.c1, "--base-from", "deployment",
                                     "--environment", ENV, env=full, expect=2)
        self.assertIn("--base-from", err)
        self.run_tool(self.repo, "--base-from", "tags", "--environment", ENV, env=full, expect=2)
        self.assertEqual(self.gh.requests, [])


if __name__ == "__main__":
    unittest.main()
