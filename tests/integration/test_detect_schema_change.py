"""detect-schema-change against real git repositories.

Every file list the tool reports is compared with what `git diff --no-renames
--name-only -z` lists for the same range and `:(glob)` pathspecs.
"""

import json
import os
import random
import shutil
import subprocess
import tempfile
import unittest

from harness import BIN_DIR
from local_git import GIT_ENV, git
from runner_output import parse as parse_github_output  # the runner's own rules

BIN = os.path.join(BIN_DIR, "detect-schema-change")
ZERO = "0" * 40


class Repo:
    def __init__(self, path, bare=False):
        self.path = path
        os.makedirs(path, exist_ok=True)
        self.git("init", "-q", "-b", "main", *(["--bare"] if bare else []))

    def git(self, *args, input=None, check=True):
        return git(self.path, *args, input=input, check=check)

    def write(self, rel, data):
        full = os.path.join(self.path, rel)
        if os.path.isdir(full) and not os.path.islink(full):
            shutil.rmtree(full)
        os.makedirs(os.path.dirname(full) or self.path, exist_ok=True)
        with open(full, "wb") as f:
            f.write(data if isinstance(data, bytes) else data.encode())

    def remove(self, rel):
        full = os.path.join(self.path, rel)
        if os.path.isdir(full):
            shutil.rmtree(full)
        else:
            os.remove(full)

    def commit(self, message="c"):
        self.git("add", "-A")
        self.git("commit", "-q", "--allow-empty", "--no-verify", "-m", message)
        return self.head()

    def head(self):
        return self.git("rev-parse", "HEAD").decode().strip()

    def diff_names(self, base, head, pathspecs=()):
        args = ["diff", "--no-renames", "--name-only", "-z", base, head]
        if pathspecs:
            args += ["--"] + list(pathspecs)
        out = self.git(*args)
        return [p.decode("utf-8", "surrogateescape") for p in out.split(b"\0") if p]


class ToolTestCase(unittest.TestCase):
    def setUp(self):
        self.tmp = tempfile.mkdtemp(prefix="detect-test-")
        self.addCleanup(shutil.rmtree, self.tmp, ignore_errors=True)
        self.counter = 0

    def new_repo(self, name="repo", bare=False):
        return Repo(os.path.join(self.tmp, name), bare=bare)

    def event(self, payload):
        self.counter += 1
        path = os.path.join(self.tmp, "event%d.json" % self.counter)
        with open(path, "w") as f:
            f.write(payload if isinstance(payload, str) else json.dumps(payload))
        return path

    def run_tool(self, repo, *args, env=None, expect=0):
        self.counter += 1
        output = os.path.join(self.tmp, "out%d" % self.counter)
        summary = os.path.join(self.tmp, "summary%d" % self.counter)
        full_env = {"PATH": os.environ.get("PATH", ""), "GITHUB_STEP_SUMMARY": summary}
        full_env.update(env or {})
        argv = [BIN, "--repo", repo.path if isinstance(repo, Repo) else repo, "--output", output]
        proc = subprocess.run(argv + list(args), env=full_env, stdout=subprocess.PIPE,
                              stderr=subprocess.PIPE)
        stderr = proc.stderr.decode(errors="replace")
        if expect is not None:
            self.assertEqual(proc.returncode, expect, "stderr:\n" + stderr)
        outputs = {}
        if os.path.exists(output):
            with open(output, "rb") as f:
                records = parse_github_output(f.read().decode("utf-8"))
            keys = [k for k, _ in records]
            self.assertEqual(len(keys), len(set(keys)), "a key was written twice")
            outputs = dict(records)
        summary_text = ""
        if os.path.exists(summary):
            with open(summary) as f:
                summary_text = f.read()
        return proc.returncode, outputs, stderr, summary_text

    def assertFiles(self, outputs, expected):
        expected = sorted(expected, key=lambda s: s.encode("utf-8", "surrogateescape"))
        self.assertEqual(json.loads(outputs["files_json"]), expected)
        self.assertEqual(outputs["files"], "\n".join(expected))
        self.assertEqual(outputs["count"], str(len(expected)))
        self.assertEqual(outputs["changed"], "true" if expected else "false")


def random_name(rng):
    pool = ["a", "b", "ab", "x.sql", "y.prisma", "schema.prisma", "migrations", "prisma", "db",
            "m1", "m2", "[ab]", "c d", "e=f", "ü", "-", "a.b"]
    return rng.choice(pool)


def random_path(rng):
    return "/".join(random_name(rng) for _ in range(rng.randint(1, 4)))


PATTERN_ATOMS = ["a", "b", "*", "?", "**", "[ab]", "[!a]", "[a-c]", "[[:alpha:]]", "x.sql",
                 "*.sql", "*.prisma", "migrations", "prisma", "db", "m?", "\\[ab]", "schema.prisma"]


def random_pattern(rng):
    parts = []
    for _ in range(rng.randint(1, 4)):
        atom = rng.choice(PATTERN_ATOMS)
        if rng.random() < 0.3 and parts:
            parts[-1] += atom
        else:
            parts.append(atom)
    return "/".join(parts)


class DifferentialTest(ToolTestCase):
    def build_random_repo(self, rng, name):
        repo = self.new_repo(name)
        files = set()

        def add(path):
            # Keep the tree consistent: no file where a directory is and vice versa.
            comps = path.split("/")
            for i in range(1, len(comps)):
                if "/".join(comps[:i]) in files:
                    return
            if any(f.startswith(path + "/") for f in files):
                return
            files.add(path)
            repo.write(path, "%s %d\n" % (path, rng.random()))

        for _ in range(rng.randint(5, 40)):
            add(random_path(rng))
        base = repo.commit("base")
        for _ in range(rng.randint(1, 15)):
            op = rng.random()
            if op < 0.35 or not files:
                add(random_path(rng))
            elif op < 0.6:
                victim = rng.choice(sorted(files))
                repo.remove(victim)
                files.discard(victim)
            elif op < 0.85:
                victim = rng.choice(sorted(files))
                repo.write(victim, "changed %f\n" % rng.random())
            else:
                # File becomes a directory (a type change git lists as both sides).
                victim = rng.choice(sorted(files))
                repo.remove(victim)
                files.discard(victim)
                add(victim + "/" + random_name(rng))
        head = repo.commit("head")
        return repo, base, head

    def test_random_trees_and_patterns_match_git_diff(self):
        seed = int(os.environ.get("DETECT_TEST_SEED", "20261122"))
        rng = random.Random(seed)
        compared = 0
        for round_ in range(12):
            repo, base, head = self.build_random_repo(rng, "rand%d" % round_)
            all_changed = repo.diff_names(base, head)
            for _ in range(6):
                patterns = []
                for _ in range(rng.randint(1, 4)):
                    p = random_pattern(rng)
                    patterns.append(("!" + p) if patterns and rng.random() < 0.3 else p)
                # Later patterns win, each one's matches as git's :(glob) sees them.
                decided = {}
                for p in patterns:
                    negated = p.startswith("!")
                    for path in repo.diff_names(base, head, [":(glob)" + p.lstrip("!")]):
                        decided[path] = not negated
                expected = [p for p in all_changed if decided.get(p)]
                args = ["--base", base, "--head", head, "--preset", "none"]
                for p in patterns:
                    args += ["--paths", p]
                _, out, _, _ = self.run_tool(repo, *args)
                with self.subTest(seed=seed, round=round_, patterns=patterns):
                    self.assertFiles(out, expected)
                compared += 1
            # The prisma preset too.
            preset = ["**/schema.prisma", "**/prisma/schema/**/*.prisma", "**/migrations/**"]
            expected = repo.diff_names(base, head, [":(glob)" + p for p in preset])
            _, out, _, _ = self.run_tool(repo, "--base", base, "--head", head,
                                         "--allow-migration-edits")
            self.assertFiles(out, expected)
        self.assertGreater(compared, 50)

    def test_everything_pattern_matches_plain_git_diff(self):
        rng = random.Random(7)
        repo, base, head = self.build_random_repo(rng, "all")
        _, out, _, _ = self.run_tool(repo, "--base", base, "--head", head, "--preset", "none",
                                     "--paths", "**")
        self.assertFiles(out, repo.diff_names(base, head))

    def test_newline_separated_paths_value(self):
        repo = self.new_repo()
        repo.write("keep/a.sql", "1")
        repo.write("skip/b.sql", "1")
        base = repo.commit()
        repo.write("keep/a.sql", "2")
        repo.write("skip/b.sql", "2")
        repo.write("keep/c.txt", "2")
        head = repo.commit()
        _, out, _, _ = self.run_tool(repo, "--base", base, "--head", head,
                                     "--paths", "  **/*.sql\n!skip/**\n\n")
        self.assertFiles(out, ["keep/a.sql"])


class FileNameTest(ToolTestCase):
    def test_hostile_file_names_round_trip_exactly(self):
        repo = self.new_repo()
        repo.write("README", "x")
        base = repo.commit()
        names = ["db/with space.sql", "db/ünïcödé.sql", "db/a=b.sql", "db/x<<EOF.sql",
                 "db/line\nbreak.sql", "db/100%.sql", "db/ghadelimiter_x.sql", "db/quote\".sql",
                 "db/tab\t.sql", "db/back\\slash.sql"]
        for n in names:
            repo.write(n, "1")
        head = repo.commit()
        git_names = repo.diff_names(base, head, [":(glob)db/**"])
        self.assertEqual(sorted(git_names), sorted(names))
        _, out, _, _ = self.run_tool(repo, "--base", base, "--head", head, "--paths", "db/**")
        self.assertFiles(out, names)
        self.assertEqual(set(out), {"changed", "files", "files_json", "count", "base", "head",
                                    "reason", "base_source", "new_migrations", "modified_migrations",
                                    "deleted_migrations", "schema_changed"})

    def test_output_file_is_appended_not_truncated(self):
        repo = self.new_repo()
        repo.write("prisma/schema.prisma", "a")
        repo.commit()
        output = os.path.join(self.tmp, "gh_output")
        with open(output, "w") as f:
            f.write("earlier=value\n")
        subprocess.run([BIN, "--repo", repo.path], env={"GITHUB_OUTPUT": output},
                       check=True, stderr=subprocess.PIPE)
        with open(output) as f:
            records = parse_github_output(f.read())
        self.assertEqual(records[0], ("earlier", "value"))
        self.assertIn(("reason", "root-commit"), records)


class RangeTest(ToolTestCase):
    def history(self):
        repo = self.new_repo()
        repo.write("prisma/schema.prisma", "model A {}\n")
        c1 = repo.commit("one")
        repo.write("prisma/schema.prisma", "model A {}\nmodel B {}\n")
        repo.write("prisma/migrations/001_b/migration.sql", "CREATE TABLE b;\n")
        c2 = repo.commit("two")
        repo.write("src/app.ts", "x")
        c3 = repo.commit("three")
        return repo, c1, c2, c3

    def test_root_commit_diffs_against_empty_tree(self):
        repo = self.new_repo()
        repo.write("prisma/schema.prisma", "model A {}\n")
        repo.write("other.txt", "x")
        c1 = repo.commit()
        _, out, _, _ = self.run_tool(repo)
        self.assertEqual(out["reason"], "root-commit")
        self.assertEqual(out["base"], "")
        self.assertEqual(out["head"], c1)
        self.assertFiles(out, ["prisma/schema.prisma"])
        self.assertEqual(out["schema_changed"], "true")

    def test_no_event_diffs_head_parent(self):
        repo, c1, c2, c3 = self.history()
        _, out, _, _ = self.run_tool(repo)
        self.assertEqual((out["reason"], out["base"], out["head"]), ("no-event", c2, c3))
        self.assertFiles(out, [])
        # An event without a range (workflow_dispatch) is the same.
        _, out, _, _ = self.run_tool(repo, env={"GITHUB_EVENT_NAME": "workflow_dispatch"})
        self.assertEqual(out["reason"], "no-event")

    def test_explicit_range(self):
        repo, c1, c2, c3 = self.history()
        _, out, _, _ = self.run_tool(repo, "--base", c1, "--head", "HEAD")
        self.assertEqual((out["reason"], out["base"], out["head"]), ("diff", c1, c3))
        self.assertFiles(out, ["prisma/migrations/001_b/migration.sql", "prisma/schema.prisma"])
        self.assertEqual(out["new_migrations"], "001_b")
        self.assertEqual(out["schema_changed"], "true")

    def test_push_event(self):
        repo, c1, c2, c3 = self.history()
        ev = self.event({"before": c1, "after": c2, "repository": {"default_branch": "main"}})
        _, out, _, _ = self.run_tool(repo, env={"GITHUB_EVENT_NAME": "push",
                                                "GITHUB_EVENT_PATH": ev})
        self.assertEqual((out["reason"], out["base"], out["head"]), ("diff", c1, c2))
        self.assertEqual(out["changed"], "true")

    def test_first_push_without_default_branch_uses_empty_tree(self):
        repo, c1, c2, c3 = self.history()
        ev = self.event({"before": ZERO, "after": c3, "repository": {"default_branch": "trunk"}})
        _, out, _, _ = self.run_tool(repo, env={"GITHUB_EVENT_NAME": "push",
                                                "GITHUB_EVENT_PATH": ev})
        self.assertEqual((out["reason"], out["base"]), ("first-push", ""))
        self.assertFiles(out, ["prisma/migrations/001_b/migration.sql", "prisma/schema.prisma"])

    def test_first_push_of_a_branch_uses_merge_base_with_default_branch(self):
        repo, c1, c2, c3 = self.history()
        repo.git("checkout", "-q", "-b", "feature", c2)
        repo.git("branch", "-f", "main", c2)
        repo.git("update-ref", "refs/remotes/origin/main", c2)
        repo.write("prisma/migrations/002_c/migration.sql", "CREATE TABLE c;\n")
        c4 = repo.commit("feature")
        ev = self.event({"before": ZERO, "after": c4, "repository": {"default_branch": "main"}})
        _, out, _, _ = self.run_tool(repo, env={"GITHUB_EVENT_NAME": "push",
                                                "GITHUB_EVENT_PATH": ev})
        self.assertEqual((out["reason"], out["base"], out["head"]), ("first-push", c2, c4))
        self.assertFiles(out, ["prisma/migrations/002_c/migration.sql"])
        self.assertEqual(out["new_migrations"], "002_c")

    def test_first_push_of_the_default_branch_itself_uses_empty_tree(self):
        repo, c1, c2, c3 = self.history()
        ev = self.event({"before": ZERO, "after": c3, "repository": {"default_branch": "main"}})
        _, out, _, _ = self.run_tool(repo, env={"GITHUB_EVENT_NAME": "push",
                                                "GITHUB_EVENT_PATH": ev})
        self.assertEqual((out["reason"], out["base"]), ("first-push", ""))
        self.assertEqual(out["count"], "2")

    def test_force_push_with_missing_base(self):
        repo, c1, c2, c3 = self.history()
        gone = "1234567890abcdef1234567890abcdef12345678"
        ev = self.event({"before": gone, "after": c3, "forced": True})
        env = {"GITHUB_EVENT_NAME": "push", "GITHUB_EVENT_PATH": ev, "GITHUB_ACTIONS": "true"}
        _, out, err, summary = self.run_tool(repo, env=env)
        self.assertEqual((out["changed"], out["reason"], out["base"], out["head"]),
                         ("true", "missing-base", gone, c3))
        self.assertEqual(out["schema_changed"], "true")
        self.assertIn("::warning", err)
        self.assertIn("force push", err)
        self.assertIn("missing", summary)
        code, out, err, _ = self.run_tool(repo, "--on-missing-base", "fail", env=env, expect=3)
        self.assertEqual(out, {})
        self.assertIn(gone, err)

    def test_pull_request_events(self):
        repo, c1, c2, c3 = self.history()
        for name in ("pull_request", "pull_request_target"):
            ev = self.event({"pull_request": {"base": {"sha": c1}, "head": {"sha": c3}}})
            _, out, _, _ = self.run_tool(repo, env={"GITHUB_EVENT_NAME": name,
                                                    "GITHUB_EVENT_PATH": ev})
            self.assertEqual((out["reason"], out["base"], out["head"]), ("diff", c1, c3), name)
            self.assertEqual(out["count"], "2")

    def test_merge_group_event(self):
        repo, c1, c2, c3 = self.history()
        ev = self.event({"merge_group": {"base_sha": c2, "head_sha": c3}})
        _, out, _, _ = self.run_tool(repo, env={"GITHUB_EVENT_NAME": "merge_group",
                                                "GITHUB_EVENT_PATH": ev})
        self.assertEqual((out["reason"], out["base"], out["head"]), ("diff", c2, c3))
        self.assertFiles(out, [])

    def test_head_flag_overrides_event_head(self):
        repo, c1, c2, c3 = self.history()
        ev = self.event({"pull_request": {"base": {"sha": c1}, "head": {"sha": c3}}})
        _, out, _, _ = self.run_tool(repo, "--head", c2, env={
            "GITHUB_EVENT_NAME": "pull_request", "GITHUB_EVENT_PATH": ev})
        self.assertEqual((out["base"], out["head"]), (c1, c2))

    def test_shallow_clone_is_missing_base(self):
        origin, c1, c2, c3 = self.history()
        clone = os.path.join(self.tmp, "shallow")
        subprocess.run(["git", "clone", "-q", "--depth", "1", "file://" + origin.path, clone],
                       check=True, env=dict(os.environ, **GIT_ENV))
        _, out, _, _ = self.run_tool(clone)
        self.assertEqual((out["reason"], out["changed"], out["head"]), ("missing-base", "true", c3))
        ev = self.event({"pull_request": {"base": {"sha": c1}, "head": {"sha": c3}}})
        _, out, _, _ = self.run_tool(clone, env={"GITHUB_EVENT_NAME": "pull_request",
                                                 "GITHUB_EVENT_PATH": ev})
        self.assertEqual((out["reason"], out["base"]), ("missing-base", c1))
        self.run_tool(clone, "--on-missing-base", "fail", expect=3)

    def test_bare_repository(self):
        origin, c1, c2, c3 = self.history()
        bare = os.path.join(self.tmp, "bare.git")
        subprocess.run(["git", "clone", "-q", "--bare", origin.path, bare], check=True,
                       env=dict(os.environ, **GIT_ENV))
        _, out, _, _ = self.run_tool(bare, "--base", c1, "--head", c3)
        self.assertFiles(out, ["prisma/migrations/001_b/migration.sql", "prisma/schema.prisma"])
        _, out, _, _ = self.run_tool(bare)
        self.assertEqual((out["reason"], out["base"], out["head"]), ("no-event", c2, c3))


class PolicyTest(ToolTestCase):
    def base_repo(self):
        repo = self.new_repo()
        repo.write("prisma/schema.prisma", "model A {}\n")
        repo.write("prisma/migrations/migration_lock.toml", 'provider = "postgresql"\n')
        repo.write("prisma/migrations/20240101000000_init/migration.sql", "CREATE TABLE a;\n")
        repo.write("prisma/migrations/20240201000000_two/migration.sql", "CREATE TABLE b;\n")
        base = repo.commit("base")
        return repo, base

    def run_range(self, repo, base, *args, expect=0):
        return self.run_tool(repo, "--base", base, *args, expect=expect,
                             env={"GITHUB_ACTIONS": "true"})

    def test_new_migration_with_schema_change_is_fine(self):
        repo, base = self.base_repo()
        repo.write("prisma/schema.prisma", "model A {}\nmodel C {}\n")
        repo.write("prisma/migrations/20240301000000_c/migration.sql", "CREATE TABLE c;\n")
        repo.commit()
        _, out, err, summary = self.run_range(repo, base)
        self.assertEqual(out["new_migrations"], "20240301000000_c")
        self.assertEqual(out["schema_changed"], "true")
        self.assertNotIn("::error", err)
        self.assertNotIn("::warning", err)
        self.assertIn("20240301000000\\_c", summary)  # Markdown-escaped

    def test_editing_an_applied_migration_fails(self):
        repo, base = self.base_repo()
        repo.write("prisma/migrations/20240101000000_init/migration.sql", "CREATE TABLE z;\n")
        repo.commit()
        _, out, err, summary = self.run_range(repo, base, expect=4)
        self.assertEqual(out["modified_migrations"], "20240101000000_init")
        self.assertIn("::error file=prisma/migrations/20240101000000_init/migration.sql", err)
        self.assertIn("violation", summary.lower())
        _, out, err, _ = self.run_range(repo, base, "--allow-migration-edits")
        self.assertEqual(out["modified_migrations"], "20240101000000_init")
        self.assertIn("::warning file=prisma/migrations/20240101000000_init/migration.sql", err)

    def test_line_ending_only_edit_is_not_reported(self):
        repo, base = self.base_repo()
        repo.write("prisma/migrations/20240101000000_init/migration.sql", "CREATE TABLE a;\r\n")
        repo.commit()
        _, out, err, _ = self.run_range(repo, base)
        self.assertEqual(out["modified_migrations"], "")
        self.assertEqual(out["count"], "1")  # still a changed file, as git lists it
        self.assertNotIn("::error", err)

    def test_deleting_an_applied_migration_fails(self):
        repo, base = self.base_repo()
        repo.remove("prisma/migrations/20240201000000_two")
        repo.commit()
        _, out, err, _ = self.run_range(repo, base, expect=4)
        self.assertEqual(out["deleted_migrations"], "20240201000000_two")

    def test_renaming_an_applied_migration_fails(self):
        repo, base = self.base_repo()
        repo.git("mv", "prisma/migrations/20240201000000_two",
                 "prisma/migrations/20240202000000_two")
        repo.commit()
        _, out, err, _ = self.run_range(repo, base, expect=4)
        self.assertEqual(out["deleted_migrations"], "20240201000000_two")
        self.assertEqual(out["new_migrations"], "20240202000000_two")
        self.assertFiles(out, ["prisma/migrations/20240201000000_two/migration.sql",
                               "prisma/migrations/20240202000000_two/migration.sql"])

    def test_lock_file_changes_fail(self):
        repo, base = self.base_repo()
        repo.write("prisma/migrations/migration_lock.toml", 'provider = "mysql"\n')
        repo.commit()
        _, _, err, _ = self.run_range(repo, base, expect=4)
        self.assertIn("file=prisma/migrations/migration_lock.toml", err)
        repo.remove("prisma/migrations/migration_lock.toml")
        repo.commit()
        self.run_range(repo, base, expect=4)

    def test_new_migration_sorting_before_newest_is_a_warning(self):
        repo, base = self.base_repo()
        repo.write("prisma/migrations/20240115000000_late/migration.sql", "CREATE TABLE l;\n")
        repo.commit()
        _, out, err, _ = self.run_range(repo, base)
        self.assertEqual(out["new_migrations"], "20240115000000_late")
        self.assertIn("::warning file=prisma/migrations/20240115000000_late/migration.sql", err)
        self.assertIn("20240201000000_two", err)

    def test_schema_change_without_migration_is_a_warning(self):
        repo, base = self.base_repo()
        repo.write("prisma/schema.prisma", "model A {}\nmodel D {}\n")
        repo.commit()
        _, out, err, _ = self.run_range(repo, base)
        self.assertEqual((out["schema_changed"], out["new_migrations"]), ("true", ""))
        self.assertIn("::warning file=prisma/schema.prisma", err)

    def test_migrations_anywhere_and_multi_file_schema(self):
        repo = self.new_repo()
        repo.write("services/billing/prisma/schema/models/invoice.prisma", "model I {}\n")
        repo.write("services/billing/prisma/migrations/1_a/migration.sql", "A;\n")
        base = repo.commit()
        repo.write("services/billing/prisma/schema/models/invoice.prisma", "model I { x Int }\n")
        repo.write("services/billing/prisma/migrations/2_b/migration.sql", "B;\n")
        repo.write("services/billing/src/index.ts", "x")
        repo.commit()
        _, out, err, _ = self.run_range(repo, base)
        self.assertEqual((out["schema_changed"], out["new_migrations"]), ("true", "2_b"))
        self.assertEqual(out["count"], "2")


class BadInputTest(ToolTestCase):
    def setUp(self):
        super().setUp()
        self.repo = self.new_repo()
        self.repo.write("a", "1")
        self.repo.commit()

    def assertUsage(self, *args, env=None):
        code, out, err, _ = self.run_tool(self.repo, *args, env=env, expect=2)
        self.assertEqual(out, {})
        lines = [l for l in err.splitlines() if l.strip()]
        self.assertEqual(len(lines), 1, err)
        return err

    def test_bad_flags(self):
        self.assertUsage("--no-such-flag")
        self.assertIn("preset", self.assertUsage("--preset", "rails"))
        self.assertIn("on-missing-base", self.assertUsage("--on-missing-base", "maybe"))
        self.assertUsage("--paths", "!")
        self.assertUsage("--paths", "\n \n")
        self.assertUsage("--preset", "none")

    def test_unresolvable_revisions(self):
        self.assertIn("--base", self.assertUsage("--base", "no-such-branch"))
        self.assertIn("--head", self.assertUsage("--head", "deadbeef" * 5))

    def test_not_a_repository(self):
        code, out, err, _ = self.run_tool(os.path.join(self.tmp, "nowhere"), expect=2)
        self.assertIn("not a git repository", err)

    def test_malformed_event_payloads(self):
        for name, payload in [
            ("push", "{not json"),
            ("push", "[]"),
            ("push", json.dumps({"after": "a" * 40})),
            ("push", json.dumps({"before": "xyz", "after": "a" * 40})),
            ("pull_request", json.dumps({"pull_request": {"base": {}}})),
            ("merge_group", json.dumps({"merge_group": {"base_sha": 1, "head_sha": "a" * 40}})),
        ]:
            with self.subTest(name=name, payload=payload):
                self.assertUsage(env={"GITHUB_EVENT_NAME": name,
                                      "GITHUB_EVENT_PATH": self.event(payload)})
        self.assertUsage(env={"GITHUB_EVENT_NAME": "push"})
        self.assertUsage(env={"GITHUB_EVENT_NAME": "push",
                              "GITHUB_EVENT_PATH": os.path.join(self.tmp, "missing.json")})

    def test_help_and_version(self):
        out = subprocess.run([BIN, "--help"], stdout=subprocess.PIPE, check=True).stdout.decode()
        for flag in ("--repo", "--base", "--head", "--paths", "--preset", "--on-missing-base",
                     "--allow-migration-edits"):
            self.assertIn(flag, out)
        subprocess.run([BIN, "--version"], stdout=subprocess.PIPE, check=True)


if __name__ == "__main__":
    unittest.main()
