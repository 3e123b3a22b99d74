"""detect-schema-change's ranges on the repositories users really have: pull
requests whose base moved, merges both ways, rebases, merge-commit checkouts,
shallow clones of every event kind, corrupt objects, unmatchable patterns and
first pushes. Every file list is checked against `git diff base...head`.
"""

import os
import subprocess
import unittest

from local_git import GIT_ENV
from test_detect_schema_change import ZERO, Repo, ToolTestCase

PRESET = [":(glob)**/schema.prisma", ":(glob)**/prisma/schema/**/*.prisma",
          ":(glob)**/migrations/**"]


def git_env():
    return dict(os.environ, **GIT_ENV)


class PullRequestTest(ToolTestCase):
    """main gains a migration, a schema edit and an edit of an applied
    migration after `feature` was cut; feature adds its own migration."""

    def setUp(self):
        super().setUp()
        r = self.repo = self.new_repo()
        r.write("prisma/schema.prisma", "model A {}\n")
        r.write("prisma/migrations/001_a/migration.sql", "CREATE TABLE a;\n")
        self.cut = r.commit("base")
        r.git("checkout", "-q", "-b", "feature")
        r.write("prisma/migrations/002_feature/migration.sql", "CREATE TABLE f;\n")
        r.write("src/f.ts", "f\n")
        self.feature = r.commit("feature")
        r.git("checkout", "-q", "main")
        r.write("prisma/migrations/003_main/migration.sql", "CREATE TABLE m;\n")
        r.write("prisma/schema.prisma", "model A {}\nmodel M {}\n")
        r.write("prisma/migrations/001_a/migration.sql", "CREATE TABLE a (edited);\n")
        self.main = r.commit("main moves")

    def pr(self, base, head, event="pull_request", repo=None, expect=0, args=()):
        ev = self.event({"pull_request": {"base": {"sha": base}, "head": {"sha": head}}})
        return self.run_tool(repo or self.repo, *args, expect=expect,
                             env={"GITHUB_EVENT_NAME": event, "GITHUB_EVENT_PATH": ev})

    def assertOwnChanges(self, out, base, head, repo=None):
        self.assertFiles(out, self.three_dot(base, head, repo))

    def three_dot(self, base, head, repo=None):
        out = (repo or self.repo).git("diff", "--no-renames", "--name-only", "-z",
                                      base + "..." + head, "--", *PRESET)
        return [p.decode() for p in out.split(b"\0") if p]

    def test_base_moved_after_the_branch_was_cut(self):
        for event in ("pull_request", "pull_request_target"):
            _, out, err, _ = self.pr(self.main, self.feature, event)
            self.assertOwnChanges(out, self.main, self.feature)
            self.assertEqual(out["new_migrations"], "002_feature", event)
            self.assertEqual((out["deleted_migrations"], out["modified_migrations"]), ("", ""))
            self.assertEqual((out["base"], out["reason"]), (self.cut, "diff"))
            self.assertIn("merge base", err)

    def test_branch_that_merged_the_base_into_itself(self):
        r = self.repo
        r.git("checkout", "-q", "feature")
        r.git("merge", "-q", "--no-edit", "main")
        r.write("prisma/migrations/004_feature/migration.sql", "CREATE TABLE g;\n")
        head = r.commit("after merge")
        _, out, _, _ = self.pr(self.main, head)
        self.assertOwnChanges(out, self.main, head)
        self.assertEqual(out["new_migrations"], "002_feature\n004_feature")
        self.assertEqual(out["base"], self.main)

    def test_rebased_branch(self):
        r = self.repo
        r.git("checkout", "-q", "feature")
        r.git("rebase", "-q", "main")
        head = r.head()
        _, out, _, _ = self.pr(self.main, head)
        self.assertOwnChanges(out, self.main, head)
        self.assertEqual(out["new_migrations"], "002_feature")

    def test_branch_that_edits_an_applied_migration_is_refused(self):
        r = self.repo
        r.git("checkout", "-q", "feature")
        r.write("prisma/migrations/001_a/migration.sql", "CREATE TABLE a (mine);\n")
        head = r.commit("edit")
        _, out, _, _ = self.pr(self.main, head, expect=4)
        self.assertEqual(out["modified_migrations"], "001_a")

    def test_checkout_of_the_merge_commit_and_of_the_head(self):
        # actions/checkout's default for pull_request: refs/pull/N/merge.
        clone = Repo.__new__(Repo)
        clone.path = os.path.join(self.tmp, "checkout")
        subprocess.run(["git", "clone", "-q", "file://" + self.repo.path, clone.path],
                       check=True, env=git_env())
        clone.git("checkout", "-q", "--detach", self.main)
        clone.git("merge", "-q", "--no-ff", "--no-edit", self.feature)
        clone.git("update-ref", "refs/pull/7/merge", "HEAD")
        _, out, _, _ = self.pr(self.main, self.feature, repo=clone)
        self.assertOwnChanges(out, self.main, self.feature)
        self.assertEqual(out["head"], self.feature)
        clone.git("checkout", "-q", self.feature)
        _, out2, _, _ = self.pr(self.main, self.feature, repo=clone)
        self.assertEqual(out2["files"], out["files"])
        # The default depth of 1 holds only the merge commit: a missing base.
        shallow = os.path.join(self.tmp, "depth1")
        subprocess.run(["git", "init", "-q", shallow], check=True, env=git_env())
        subprocess.run(["git", "-C", shallow, "fetch", "-q", "--depth", "1",
                        "file://" + clone.path, "refs/pull/7/merge"], check=True, env=git_env())
        subprocess.run(["git", "-C", shallow, "checkout", "-q", "FETCH_HEAD"], check=True,
                       env=git_env())
        _, out, _, _ = self.pr(self.main, self.feature, repo=shallow)
        self.assertEqual((out["reason"], out["changed"]), ("missing-base", "true"))


class ShallowCloneTest(ToolTestCase):
    """`git clone --depth` (file:// so that depth applies) for every event kind."""

    def setUp(self):
        super().setUp()
        r = self.origin = self.new_repo("origin")
        r.write("prisma/migrations/001_a/migration.sql", "A;\n")
        self.c = [r.commit("c0")]
        for i in range(1, 6):
            r.write("prisma/migrations/00%d_x/migration.sql" % (i + 1), "X;\n")
            self.c.append(r.commit("c%d" % i))
        r.git("checkout", "-q", "-b", "feature", self.c[1])
        r.write("prisma/migrations/009_f/migration.sql", "F;\n")
        self.feature = r.commit("f")
        r.git("checkout", "-q", "main")

    def clone(self, depth, branch="main"):
        path = os.path.join(self.tmp, "shallow%d-%s" % (depth, branch))
        subprocess.run(["git", "clone", "-q", "--no-single-branch", "--depth", str(depth),
                        "-b", branch, "file://" + self.origin.path, path],
                       check=True, env=git_env())
        self.assertTrue(os.path.exists(os.path.join(path, ".git", "shallow")))
        return path

    def run_event(self, repo, name, payload, *args, expect=0):
        ev = self.event(payload)
        return self.run_tool(repo, *args, expect=expect,
                             env={"GITHUB_EVENT_NAME": name, "GITHUB_EVENT_PATH": ev})[1]

    def assertMissing(self, out):
        self.assertEqual((out["reason"], out["changed"], out["schema_changed"]),
                         ("missing-base", "true", "true"))

    def test_every_event_kind(self):
        shallow = self.clone(2)
        c = self.c
        # push: before inside the clone diffs, before outside is missing.
        out = self.run_event(shallow, "push", {"before": c[4], "after": c[5]})
        self.assertEqual((out["reason"], out["count"]), ("diff", "1"))
        self.assertMissing(self.run_event(shallow, "push", {"before": c[2], "after": c[5]}))
        # pull_request(_target): the merge base (c1) is beyond the depth.
        for name in ("pull_request", "pull_request_target"):
            out = self.run_event(shallow, name, {"pull_request": {
                "base": {"sha": c[5]}, "head": {"sha": self.feature}}})
            self.assertMissing(out)
        # merge_group: base_sha..head_sha, both inside.
        out = self.run_event(shallow, "merge_group", {"merge_group": {
            "base_sha": c[4], "head_sha": c[5]}})
        self.assertEqual(out["reason"], "diff")
        # No event: HEAD^ is inside at depth 2, outside at depth 1.
        self.assertEqual(self.run_tool(shallow)[1]["reason"], "no-event")
        self.assertMissing(self.run_tool(self.clone(1))[1])
        # --base absent from the clone: a missing base, not bad input.
        self.assertMissing(self.run_tool(shallow, "--base", c[0])[1])
        self.assertMissing(self.run_tool(shallow, "--base", "HEAD~4")[1])
        self.run_tool(shallow, "--base", c[0], "--on-missing-base", "fail", expect=3)
        # First push: the merge base with origin/main is beyond the depth.
        out = self.run_event(shallow, "push", {
            "before": ZERO, "after": c[5], "ref": "refs/heads/x",
            "repository": {"default_branch": "main"}})
        self.assertEqual(out["reason"], "first-push")

    def test_deep_enough_clone_finds_the_merge_base(self):
        r = self.origin
        r.git("checkout", "-q", "-b", "late", self.c[3])
        r.write("prisma/migrations/010_late/migration.sql", "L;\n")
        late = r.commit("late")
        r.git("checkout", "-q", "main")
        deep = self.clone(3)  # main: c3..c5, the merge base c3 included
        out = self.run_event(deep, "pull_request", {"pull_request": {
            "base": {"sha": self.c[5]}, "head": {"sha": late}}})
        self.assertEqual((out["reason"], out["files"], out["base"]),
                         ("diff", "prisma/migrations/010_late/migration.sql", self.c[3]))


class BrokenRepositoryTest(ToolTestCase):
    """A corrupt or truncated object is exit 1, never a missing base."""

    def setUp(self):
        super().setUp()
        r = self.repo = self.new_repo()
        r.write("prisma/migrations/001_a/migration.sql", "A;\n")
        self.base = r.commit("one")
        r.write("prisma/migrations/001_a/migration.sql", "A2;\n")
        self.head = r.commit("two")

    def object_path(self, rev):
        sha = self.repo.git("rev-parse", rev).decode().strip()
        return os.path.join(self.repo.path, ".git", "objects", sha[:2], sha[2:])

    def damage(self, rev, how):
        path = self.object_path(rev)
        os.chmod(path, 0o644)
        with open(path, "rb") as f:
            data = f.read()
        with open(path, "wb") as f:
            f.write(data[: len(data) // 2] if how == "truncate" else
                    data[:2] + bytes(b ^ 0x5A for b in data[2:]))

    def check(self, rev, how):
        self.damage(rev, how)
        for args in (["--base", self.base, "--head", self.head], ["--base", self.base], []):
            code, out, err, _ = self.run_tool(self.repo, *args, expect=1)
            self.assertEqual(out, {}, (rev, how, args))
            self.assertIn("error", err)

    def test_truncated_head_commit(self):
        self.check(self.head, "truncate")

    def test_corrupt_base_commit(self):
        self.check(self.base, "corrupt")

    def test_truncated_tree(self):
        self.check(self.head + "^{tree}", "truncate")

    def test_corrupt_migration_blob(self):
        self.check(self.base + ":prisma/migrations/001_a/migration.sql", "corrupt")


class BadInputTest(ToolTestCase):
    def test_patterns_that_cannot_match(self):
        repo = self.new_repo()
        repo.write("a", "1")
        repo.commit()
        for pattern in ("", "/prisma/**", "./prisma/**", "../x/**", "db/[ab", "!/x"):
            _, out, err, _ = self.run_tool(repo, "--paths", pattern, expect=2)
            self.assertEqual(out, {})
            self.assertEqual(len(err.strip().splitlines()), 1, err)

    def test_empty_repository_says_so(self):
        repo = self.new_repo()
        _, _, err, _ = self.run_tool(repo, expect=2)
        self.assertIn("no commits yet", err)


class FirstPushTest(ToolTestCase):
    def test_new_branch_whose_tip_is_on_the_default_branch(self):
        repo = self.new_repo()
        repo.write("prisma/migrations/001_a/migration.sql", "A;\n")
        tip = repo.commit()
        repo.git("update-ref", "refs/remotes/origin/main", tip)
        repo.git("checkout", "-q", "-b", "release")
        ev = self.event({"before": ZERO, "after": tip, "ref": "refs/heads/release",
                         "repository": {"default_branch": "main"}})
        _, out, _, _ = self.run_tool(repo, env={"GITHUB_EVENT_NAME": "push",
                                                "GITHUB_EVENT_PATH": ev})
        self.assertEqual((out["changed"], out["reason"], out["base"], out["head"]),
                         ("false", "first-push", tip, tip))
        # The default branch's own first push is still everything.
        ev = self.event({"before": ZERO, "after": tip, "ref": "refs/heads/main",
                         "repository": {"default_branch": "main"}})
        _, out, _, _ = self.run_tool(repo, env={"GITHUB_EVENT_NAME": "push",
                                                "GITHUB_EVENT_PATH": ev})
        self.assertEqual((out["changed"], out["base"]), ("true", ""))


if __name__ == "__main__":
    unittest.main()
