"""Replay of a realistic history: every pull request, judged as GitHub does.

A seeded generator writes, through `git fast-import`, a repository where
dozens of feature branches live at once: main gains migrations (hotfixes and
merged pull requests) while they are open, branches merge main into
themselves, are rebased, fix their own migrations, and a few edit a
migration main had already applied. Each push to a branch is a
pull_request event (base = main's tip then, head = the branch's tip).

For every one: `files` must equal `git diff --name-only --no-renames
base...head -- <preset>`, and exit 4 must come exactly where the branch
itself edits an applied migration (git's own three-dot diff modifies a
migration.sql that exists at the merge base), which must be exactly where
the generator did so. Prints the replay's numbers.
"""

import json
import os
import random
import subprocess
import sys
import time
import unittest

from local_git import GIT_ENV
from test_detect_schema_change import ToolTestCase

PRESET = [":(glob)**/schema.prisma", ":(glob)**/prisma/schema/**/*.prisma",
          ":(glob)**/migrations/**"]
MIGRATIONS = "prisma/migrations/"


class History:
    """Commits as full trees (path -> bytes), written with git fast-import."""

    def __init__(self, seed):
        self.rng = random.Random(seed)
        self.commits = [None]  # mark -> {"parents", "tree", "ancestors"}
        self.refs = {}
        self.stream = []
        self.migration_count = 0

    def commit(self, ref, tree, parents):
        mark = len(self.commits)
        ancestors = {mark}
        for p in parents:
            ancestors |= self.commits[p]["ancestors"]
        self.commits.append({"parents": parents, "tree": dict(tree), "ancestors": ancestors})
        out = ["commit refs/heads/%s" % ref, "mark :%d" % mark,
               "committer t <t@example.com> %d +0000" % (1767225600 + mark * 60),
               "data 1", "c"]
        if parents:
            out.append("from :%d" % parents[0])
            out += ["merge :%d" % p for p in parents[1:]]
        out.append("deleteall")
        for path, data in sorted(tree.items()):
            out += ["M 100644 inline %s" % path, "data %d" % len(data)]
            self.stream.append("\n".join(out).encode() + b"\n" + data + b"\n")
            out = []
        if out:
            self.stream.append("\n".join(out).encode() + b"\n")
        self.refs[ref] = mark
        return mark

    def merge_base(self, a, b):
        common = self.commits[a]["ancestors"] & self.commits[b]["ancestors"]
        return max(common)  # marks grow with time: the newest common ancestor

    def merge_trees(self, base, ours, theirs):
        t_base, t_ours = self.commits[base]["tree"], self.commits[ours]["tree"]
        merged = dict(t_ours)
        for path, data in self.commits[theirs]["tree"].items():
            if t_base.get(path) != data:
                merged[path] = data
        for path in t_base:
            if path not in self.commits[theirs]["tree"]:
                merged.pop(path, None)
        return merged

    def new_migration(self, tree, tag):
        self.migration_count += 1
        name = "2026%010d_%s" % (self.migration_count * 100, tag)
        tree[MIGRATIONS + name + "/migration.sql"] = (
            "CREATE TABLE t%d (id int);\n" % self.migration_count).encode()
        return name

    def write(self, path):
        proc = subprocess.run(["git", "-C", path, "fast-import", "--quiet",
                               "--export-marks=" + os.path.join(path, ".git", "marks")],
                              input=b"".join(self.stream), env=dict(os.environ, **GIT_ENV),
                              stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        if proc.returncode != 0:
            raise AssertionError(proc.stderr.decode())
        shas = {}
        with open(os.path.join(path, ".git", "marks")) as f:
            for line in f:
                mark, sha = line.split()
                shas[int(mark[1:])] = sha
        return shas


def generate(seed=13, branches=40, steps=420):
    h = History(seed)
    rng = h.rng
    tree = {"README.md": b"app\n", "src/app.ts": b"1\n",
            "prisma/schema/base.prisma": b"model A {}\n",
            MIGRATIONS + "migration_lock.toml": b'provider = "postgresql"\n'}
    for _ in range(3):
        h.new_migration(tree, "init")
    main = h.commit("main", tree, [])
    open_branches = {}  # name -> {"tip", "own": set of own migration paths, "edits": bool}
    prs = []  # (base mark, head mark, generator edited an applied migration)
    opened = 0

    def record(name):
        b = open_branches[name]
        prs.append((h.refs["main"], b["tip"], b["edits"]))

    for _ in range(steps):
        action = rng.random()
        if (not open_branches or action < 0.12) and opened < branches:
            opened += 1
            name = "feature%02d" % opened
            open_branches[name] = {"tip": h.refs["main"], "own": set(), "edits": False}
            continue
        if action < 0.22:  # main moves on its own: a hotfix migration or docs
            tree = dict(h.commits[h.refs["main"]]["tree"])
            if rng.random() < 0.6:
                h.new_migration(tree, "hotfix")
            else:
                tree["README.md"] += b"more\n"
            h.commit("main", tree, [h.refs["main"]])
            continue
        if not open_branches:
            continue
        name = rng.choice(sorted(open_branches))
        b = open_branches[name]
        main = h.refs["main"]
        tree = dict(h.commits[b["tip"]]["tree"])
        if action < 0.60:  # work on the branch
            kind = rng.random()
            if kind < 0.45:
                b["own"].add(MIGRATIONS + h.new_migration(tree, name) + "/migration.sql")
                tree["prisma/schema/%s.prisma" % name] = (
                    "model %s {}\n" % name.capitalize()).encode() * (len(b["own"]))
            elif kind < 0.65 and b["own"]:
                own = rng.choice(sorted(b["own"]))
                tree[own] = tree[own] + b"-- fixed\n"  # fixing its own, never applied
            elif kind < 0.68:
                base_tree = h.commits[h.merge_base(main, b["tip"])]["tree"]
                applied = sorted(p for p in base_tree
                                 if p.endswith("/migration.sql") and p not in b["own"])
                path = rng.choice(applied)
                tree[path] = tree[path] + b"-- edited after it was applied\n"
                b["edits"] = True
            else:
                tree["src/%s.ts" % name] = tree.get("src/%s.ts" % name, b"") + b"x\n"
            b["tip"] = h.commit(name, tree, [b["tip"]])
            record(name)
        elif action < 0.72:  # merge main into the branch
            mb = h.merge_base(main, b["tip"])
            b["tip"] = h.commit(name, h.merge_trees(mb, b["tip"], main), [b["tip"], main])
            record(name)
        elif action < 0.80:  # rebase onto main (squashed)
            mb = h.merge_base(main, b["tip"])
            b["tip"] = h.commit(name, h.merge_trees(mb, main, b["tip"]), [main])
            record(name)
        elif not b["edits"] and b["tip"] != main:  # the pull request is merged
            mb = h.merge_base(main, b["tip"])
            h.commit("main", h.merge_trees(mb, main, b["tip"]), [main, b["tip"]])
            del open_branches[name]
        if b["edits"] and rng.random() < 0.5:  # a refused pull request is closed
            open_branches.pop(name, None)
    return h, prs


class ReplayTest(ToolTestCase):
    def test_every_pull_request_is_the_branch_own_changes(self):
        started = time.monotonic()
        history, prs = generate()
        repo = self.new_repo()
        shas = history.write(repo.path)
        built = time.monotonic() - started
        stats = {"pull_requests": len(prs), "branches": 0, "commits": len(history.commits) - 1,
                 "merge_commits": sum(1 for c in history.commits[1:] if len(c["parents"]) > 1),
                 "base_moved": 0, "base_gained_migrations": 0, "exit_4": 0, "changed": 0}
        stats["branches"] = len([r for r in history.refs if r != "main"])
        for base_mark, head_mark, edited in prs:
            base, head = shas[base_mark], shas[head_mark]
            mb = repo.git("merge-base", base, head).decode().strip()
            expected = self.three_dot(repo, base, head)
            applied_edit = self.edits_applied(repo, mb, head)
            self.assertEqual(applied_edit, edited, (base, head))
            ev = self.event({"pull_request": {"base": {"sha": base}, "head": {"sha": head}}})
            code, out, err, _ = self.run_tool(
                repo, expect=4 if applied_edit else 0,
                env={"GITHUB_EVENT_NAME": "pull_request", "GITHUB_EVENT_PATH": ev})
            self.assertFiles(out, expected)
            self.assertEqual(out["base"], mb)
            stats["exit_4"] += code == 4
            stats["changed"] += out["changed"] == "true"
            if mb != base:
                stats["base_moved"] += 1
                gained = repo.git("diff", "--name-only", "--diff-filter=A", mb, base, "--",
                                  ":(glob)**/migrations/*/migration.sql").strip()
                # base..head (two dots) would read these as deleted: exit 4.
                stats["base_gained_migrations"] += bool(gained)
        stats["seconds_total"] = round(time.monotonic() - started, 1)
        stats["seconds_building_history"] = round(built, 1)
        sys.stderr.write("\nreplay: " + json.dumps(stats) + "\n")
        self.assertGreaterEqual(stats["branches"], 24)
        self.assertGreater(stats["base_gained_migrations"], 20)
        self.assertGreater(stats["exit_4"], 0)

    def three_dot(self, repo, base, head):
        out = repo.git("diff", "--no-renames", "--name-only", "-z", base + "..." + head,
                       "--", *PRESET)
        return [p.decode() for p in out.split(b"\0") if p]

    def edits_applied(self, repo, mb, head):
        out = repo.git("diff", "--no-renames", "--name-status", mb, head, "--",
                       ":(glob)**/migrations/*/migration.sql").decode()
        return any(line.split("\t")[0] in ("M", "D") for line in out.splitlines())


if __name__ == "__main__":
    unittest.main()
