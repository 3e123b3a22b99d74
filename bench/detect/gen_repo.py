#!/usr/bin/env python3
"""Writes a `git fast-import` stream for a large synthetic monorepo.

The first commit holds MODULES x DIRS x FILES source files plus a Prisma
schema and migrations; each later commit edits a few random source files,
and every 50th also changes the schema and adds a migration.
Usage: gen_repo.py MODULES DIRS FILES COMMITS | git fast-import
"""
import random
import sys


def main():
    modules, dirs, files, commits = (int(a) for a in sys.argv[1:5])
    rng = random.Random(42)
    out = sys.stdout.buffer
    when = 1_700_000_000

    def data(text):
        raw = text.encode()
        out.write(b"data %d\n%s\n" % (len(raw), raw))

    def commit(message, changes):
        nonlocal when
        when += 60
        out.write(b"commit refs/heads/main\n")
        out.write(b"committer Bench <bench@example.com> %d +0000\n" % when)
        data(message)
        for path, content in changes:
            out.write(b"M 100644 inline %s\n" % path.encode())
            data(content)

    def source(m, d, f):
        return "services/mod%03d/src/pkg%02d/file%03d.ts" % (m, d, f)

    initial = [(source(m, d, f), "export const v = %d;\n" % (m * 100000 + d * 1000 + f))
               for m in range(modules) for d in range(dirs) for f in range(files)]
    initial.append(("prisma/schema.prisma", "model M0 { id Int @id }\n"))
    initial.append(("prisma/migrations/migration_lock.toml", 'provider = "postgresql"\n'))
    initial.append(("prisma/migrations/20240000000000_init/migration.sql", "CREATE TABLE m0;\n"))
    commit("initial", initial)
    schema = "model M0 { id Int @id }\n"
    for i in range(1, commits):
        changes = []
        for _ in range(5):
            m, d, f = rng.randrange(modules), rng.randrange(dirs), rng.randrange(files)
            changes.append((source(m, d, f), "export const v = %d; // %d\n" % (rng.random() * 1e9, i)))
        if i % 50 == 0:
            schema += "model M%d { id Int @id }\n" % i
            changes.append(("prisma/schema.prisma", schema))
            changes.append(("prisma/migrations/2024%010d_m%d/migration.sql" % (i, i),
                            "CREATE TABLE m%d;\n" % i))
        commit("change %d" % i, changes)


if __name__ == "__main__":
    main()
