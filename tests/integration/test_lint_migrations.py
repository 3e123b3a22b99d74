"""lint-migrations on generated Prisma repositories, and against squawk.

The histories come from bench/lint/prisma_history.py, which writes
Prisma-style migrations and knows, statement by statement, which findings
lint-migrations must report (rule, line, table) and which table each
statement changes and whether the same migration created it. Every run here
compares the tool's findings with that list exactly.

The squawk comparison runs squawk (squawk-cli from npm, installed by
scripts/install-deps under .deps/npm) on the same files: for the rules both
linters have, every squawk finding on a table that existed before the
migration must be one of ours, on the same line; on tables the migration
created itself, ours must be silent (squawk is not).
"""

import collections
import glob
import json
import os
import platform
import shutil
import subprocess
import sys
import tempfile
import unittest

import harness
from local_git import git

sys.path.insert(0, os.path.join(harness.SOURCE_DIR, "bench", "lint"))
import prisma_history  # noqa: E402

# squawk's rule → the lint-migrations rules that cover it.
SQUAWK_RULES = {
    "ban-drop-table": {"drop-table"},
    "ban-drop-column": {"drop-column"},
    "changing-column-type": {"changing-column-type"},
    "renaming-column": {"rename-column"},
    "renaming-table": {"rename-table"},
    "adding-required-field": {"adding-not-nullable-field"},
    "adding-not-nullable-field": {"setting-not-null"},  # squawk's name for SET NOT NULL
    "require-concurrent-index-creation": {"create-index-non-concurrently"},
    "adding-foreign-key-constraint": {"adding-foreign-key"},
    "constraint-missing-not-valid": {"adding-foreign-key", "adding-check",
                                     "adding-unique-constraint"},
    "disallowed-unique-constraint": {"adding-unique-constraint"},
}


def squawk_binary():
    """squawk's native binary from the npm package's platform package."""
    arch = {"x86_64": "x64", "aarch64": "arm64"}.get(platform.machine(), platform.machine())
    path = os.path.join(harness.SOURCE_DIR, ".deps", "npm", "node_modules", "@squawk-cli",
                        f"linux-{arch}", "bin", "squawk")
    if not os.path.exists(path):
        raise AssertionError(f"squawk is not installed ({path}): run scripts/install-deps")
    return path


def commit(repo):
    git(repo, "add", "-A")
    git(repo, "commit", "-q", "--allow-empty", "-m", "c")
    return git(repo, "rev-parse", "HEAD").decode().strip()


def findings(result):
    return json.loads(result.outputs["findings_json"])


def by_migration(found):
    out = collections.defaultdict(list)
    for f in found:
        out[f["migration"]].append((f["rule"], f["line"], f["table"]))
    return {k: sorted(v) for k, v in out.items()}


def expected(migrations):
    return {m.name: sorted(m.expected()) for m in migrations if m.expected()}


class LintMigrationsTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.tmp = tempfile.mkdtemp(prefix="ecsmig-lint-")
        cls.migrations = prisma_history.generate(40, seed=11)
        cls.repo = os.path.join(cls.tmp, "repo")
        os.makedirs(cls.repo)
        git(cls.repo, "init", "-q", "-b", "main")
        prisma_history.write(cls.repo, cls.migrations[:30])
        cls.base = commit(cls.repo)
        prisma_history.write(cls.repo, cls.migrations[30:35])
        commit(cls.repo)
        prisma_history.write(cls.repo, cls.migrations[35:])
        cls.head = commit(cls.repo)

    @classmethod
    def tearDownClass(cls):
        shutil.rmtree(cls.tmp, ignore_errors=True)

    def lint(self, args, code=0, env=None, github_actions=True):
        result = harness.run_tool("lint-migrations", args,
                                  {"PATH": os.environ.get("PATH", "/usr/bin:/bin"), **(env or {})},
                                  github_actions=github_actions)
        self.assertEqual(result.returncode, code, result)
        return result

    def test_range_lints_the_added_migrations_against_the_history(self):
        result = self.lint(["--repo", self.repo, "--base", self.base, "--head", self.head])
        added = self.migrations[30:]
        self.assertEqual(result.outputs["linted"].split("\n"), [m.name for m in added])
        found = findings(result)
        self.assertEqual(by_migration(found), expected(added))
        self.assertEqual(result.outputs["findings"], str(len(found)))
        self.assertEqual(result.outputs["data_loss"],
                         "true" if any(f["rule"] in ("drop-column", "drop-table",
                                                     "drop-then-add-column", "changing-column-type",
                                                     "rename-column", "rename-table")
                                       for f in found) else "false")
        self.assertGreater(len(found), 3, "the generated range should hold findings")
        for f in found:
            annotation = (f"::warning file={f['file']},line={f['line']},col={f['column']},"
                          f"title={f['rule']}::")
            self.assertIn(annotation, result.stderr)
            self.assertTrue(os.path.exists(os.path.join(self.repo, f["file"])), f["file"])
        self.assertIn("| Rule | Migration | Line | Table |", result.summary)

    def test_dir_lints_every_migration(self):
        base = os.path.join(self.repo, "prisma", "migrations")
        result = self.lint(["--dir", base], github_actions=False)
        self.assertEqual(len(result.outputs["linted"].split("\n")), 40)
        self.assertEqual(by_migration(findings(result)), expected(self.migrations))

    def test_pull_request_event_lints_the_branch_only(self):
        env = {"GITHUB_EVENT_NAME": "pull_request"}
        event = os.path.join(self.tmp, "pr.json")
        with open(event, "w") as f:
            json.dump({"pull_request": {"base": {"sha": self.base, "ref": "main"},
                                        "head": {"sha": self.head, "ref": "feature"}}}, f)
        env["GITHUB_EVENT_PATH"] = event
        result = self.lint(["--repo", self.repo], env=env)
        self.assertEqual(len(result.outputs["linted"].split("\n")), 10)

    def test_fail_on_classes(self):
        args = ["--repo", self.repo, "--base", self.base, "--head", self.head]
        found = findings(self.lint(args))
        classes = {"locking" if f["rule"] in ("adding-not-nullable-field", "setting-not-null",
                                              "create-index-non-concurrently", "adding-foreign-key",
                                              "adding-check", "adding-unique-constraint")
                   else "data-loss" for f in found}
        for fail_on in ("data-loss", "locking"):
            code = 5 if fail_on in classes else 0
            result = self.lint(args + ["--fail-on", fail_on], code=code)
            if code:
                self.assertIn("::error file=", result.stderr)
        result = self.lint(args + ["--fail-on", "any", "--rules", "adding-check"],
                           code=5 if any(f["rule"] == "adding-check" for f in found) else 0)

    def test_syntax_error_is_exit_one_at_its_line(self):
        repo = os.path.join(self.tmp, "broken")
        os.makedirs(repo)
        git(repo, "init", "-q", "-b", "main")
        prisma_history.write(repo, self.migrations[:3])
        base = commit(repo)
        path = os.path.join(repo, "prisma", "migrations", "20990101000000_typo", "migration.sql")
        os.makedirs(os.path.dirname(path))
        with open(path, "w") as f:
            f.write("-- AlterTable\nALTER TABLE \"Table1\"\n  ADD COLUMN \"x\" TEXT,\n"
                    "  ALTR COLUMN \"x\" SET NOT NULL;\n")
        commit(repo)
        result = self.lint(["--repo", repo, "--base", base], code=1)
        found = findings(result)
        self.assertEqual([(f["rule"], f["line"]) for f in found], [("syntax-error", 4)])
        self.assertIn("::error file=prisma/migrations/20990101000000_typo/migration.sql,line=4,",
                      result.stderr)

    def test_other_provider_is_a_notice(self):
        tmp = os.path.join(self.tmp, "mysql")
        prisma_history.write(tmp, self.migrations[:2], provider="mysql")
        result = self.lint(["--dir", tmp])
        self.assertEqual(result.outputs["findings"], "0")
        self.assertEqual(result.outputs["linted"], "")
        self.assertIn("::notice", result.stderr)

    def test_bad_input(self):
        for args in (["--no-such-flag"], ["--rules", "drop-everything"], ["--fail-on", "all"],
                     ["--dir", os.path.join(self.tmp, "missing")], ["--repo", self.tmp],
                     ["--repo", self.repo, "--base", "no-such-rev"]):
            with self.subTest(args=args):
                result = self.lint(args, code=2, github_actions=False)
                self.assertEqual(len(result.stderr.strip().splitlines()), 1, result.stderr)
        self.assertIn("--fail-on", self.lint(["--help"], github_actions=False).stdout)
        self.assertRegex(self.lint(["--version"], github_actions=False).stdout, r"\d+\.\d+\.\d+")


class SquawkComparisonTest(unittest.TestCase):
    def test_every_squawk_finding_on_an_existing_table_is_ours_none_on_new_tables(self):
        squawk = squawk_binary()
        migrations = prisma_history.generate(60, seed=23)
        tmp = tempfile.mkdtemp(prefix="ecsmig-squawk-")
        self.addCleanup(shutil.rmtree, tmp, ignore_errors=True)
        base = prisma_history.write(tmp, migrations)
        files = sorted(glob.glob(os.path.join(base, "*", "migration.sql")))
        proc = subprocess.run([squawk, "--reporter", "json", *files], capture_output=True,
                              check=False)
        self.assertIn(proc.returncode, (0, 1), proc.stderr)
        theirs = json.loads(proc.stdout)
        ours = harness.run_tool("lint-migrations", ["--dir", base],
                                {"PATH": os.environ.get("PATH", "/usr/bin:/bin")})
        self.assertEqual(ours.returncode, 0, ours)
        ours_at = collections.defaultdict(set)
        for f in findings(ours):
            ours_at[(f["migration"], f["line"])].add(f["rule"])
        named = {m.name: m for m in migrations}
        compared = on_new_tables = 0
        for finding in theirs:
            if finding["rule_name"] not in SQUAWK_RULES:
                continue
            migration = named[os.path.basename(os.path.dirname(finding["file"]))]
            line = finding["line"] + 1  # squawk's JSON lines count from 0
            statement = migration.statement_at(line)
            self.assertIsNotNone(statement, finding)
            if statement.created_here:
                on_new_tables += 1
                self.assertFalse(
                    any(ours_at[(migration.name, l)] for l in
                        range(statement.first_line, line + 1 + statement.text.count("\n"))),
                    f"{migration.name}:{line}: a finding on a table created by the migration")
                continue
            compared += 1
            self.assertTrue(ours_at[(migration.name, line)] & SQUAWK_RULES[finding["rule_name"]],
                            f"squawk's {finding['rule_name']} at {migration.name}:{line} "
                            f"is not ours ({ours_at[(migration.name, line)]}):\n{statement.text}")
        # Both sides of the comparison were exercised.
        self.assertGreater(compared, 20)
        self.assertGreater(on_new_tables, 10)


if __name__ == "__main__":
    unittest.main()
