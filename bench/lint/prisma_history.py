"""A generated history of Prisma-style PostgreSQL migrations, with what a
linter should say about each statement.

Each migration is what `prisma migrate dev` writes (`-- CreateTable`,
`-- AlterTable`, ... comments, quoted identifiers, one ALTER TABLE per table
with its clauses on separate lines), plus the hand edits teams make (renames,
NOT VALID constraints, DO blocks). The generator keeps a model of the schema
so every statement is valid against the migrations before it, and records for
each statement its lines, its table, whether that table was created earlier in
the same migration, and the lint-migrations findings it must produce
(rule, line). Used by tests/integration/test_lint_migrations.py and
bench/lint/run.sh.
"""

import os
import random

TYPES = ["TEXT", "INTEGER", "BOOLEAN", "TIMESTAMP(3)", "DOUBLE PRECISION", "JSONB", "BIGINT"]


class Statement:
    def __init__(self, text, table, created_here, findings):
        self.text = text
        self.table = table
        self.created_here = created_here
        self.findings = findings  # [(rule, line offset within the statement)]
        self.first_line = 0       # set when the migration is assembled


class Migration:
    def __init__(self, name):
        self.name = name
        self.statements = []
        self.sql = ""

    def expected(self):
        """[(rule, line, table)] in statement order."""
        out = []
        for s in self.statements:
            for rule, offset in s.findings:
                out.append((rule, s.first_line + offset, s.table))
        return out

    def statement_at(self, line):
        for s in self.statements:
            if s.first_line <= line < s.first_line + s.text.count("\n") + 1:
                return s
        return None


class History:
    def __init__(self, seed=1):
        self.rng = random.Random(seed)
        self.tables = {}  # name -> {column: {"type":…, "not_null": bool}}
        self.counter = 0
        self.migrations = []

    def fresh(self, prefix):
        self.counter += 1
        return f"{prefix}{self.counter}"

    # ---- statement builders -------------------------------------------------

    def create_table(self, m, created):
        name = self.fresh("Table")
        cols = {"id": {"type": "SERIAL", "not_null": True}}
        lines = ['    "id" SERIAL NOT NULL,']
        for _ in range(self.rng.randint(1, 4)):
            col = self.fresh("col")
            not_null = self.rng.random() < 0.5
            kind = self.rng.choice(TYPES)
            cols[col] = {"type": kind, "not_null": not_null}
            lines.append(f'    "{col}" {kind}{" NOT NULL" if not_null else ""},')
        text = (f'-- CreateTable\nCREATE TABLE "{name}" (\n' + "\n".join(lines) +
                f'\n\n    CONSTRAINT "{name}_pkey" PRIMARY KEY ("id")\n);')
        self.tables[name] = cols
        created.add(name)
        m.statements.append(Statement(text, name, False, []))
        return name

    def index(self, m, created, table, unique=False):
        col = self.rng.choice(list(self.tables[table]))
        index = self.fresh(f"{table}_{col}_")
        text = (f'-- CreateIndex\nCREATE {"UNIQUE " if unique else ""}INDEX "{index}" '
                f'ON "{table}"("{col}");')
        here = table in created
        m.statements.append(Statement(
            text, table, here, [] if here else [("create-index-non-concurrently", 1)]))

    def foreign_key(self, m, created, table, not_valid=False):
        target = self.rng.choice(list(self.tables))
        col = self.fresh("ref")
        self.tables[table][col] = {"type": "INTEGER", "not_null": False}
        add = f'-- AlterTable\nALTER TABLE "{table}" ADD COLUMN "{col}" INTEGER;'
        m.statements.append(Statement(add, table, table in created, []))
        text = (f'-- AddForeignKey\nALTER TABLE "{table}" ADD CONSTRAINT "{table}_{col}_fkey" '
                f'FOREIGN KEY ("{col}") REFERENCES "{target}"("id") ON DELETE SET NULL '
                f'ON UPDATE CASCADE{" NOT VALID" if not_valid else ""};')
        here = table in created
        findings = [] if here or not_valid else [("adding-foreign-key", 1)]
        m.statements.append(Statement(text, table, here, findings))

    def alter_columns(self, m, created, table):
        """Prisma's one ALTER TABLE per table: drops, then adds, then alters."""
        cols = self.tables[table]
        here = table in created
        clauses, findings = [], []
        droppable = [c for c in cols if c != "id" and not c.startswith("ref")]
        dropped = None
        if droppable and self.rng.random() < 0.4:
            dropped = self.rng.choice(droppable)
            clauses.append(f'DROP COLUMN "{dropped}"')
            findings.append(("drop-column", len(clauses)))
            del cols[dropped]
        for _ in range(self.rng.randint(1, 2)):
            col = self.fresh("col")
            kind = self.rng.choice(TYPES)
            roll = self.rng.random()
            if roll < 0.3:
                spec, not_null = f"{kind} NOT NULL", True
            elif roll < 0.5:
                spec, not_null = f"{kind} NOT NULL DEFAULT {default_for(kind)}", True
            else:
                spec, not_null = kind, False
            clauses.append(f'ADD COLUMN     "{col}" {spec}')
            if dropped:
                findings.append(("drop-then-add-column", len(clauses)))
            if not_null and "DEFAULT" not in spec:
                findings.append(("adding-not-nullable-field", len(clauses)))
            cols[col] = {"type": kind, "not_null": not_null}
        alterable = [c for c in cols if c != "id" and not c.startswith("ref")]
        if alterable and self.rng.random() < 0.4:
            col = self.rng.choice(alterable)
            if not cols[col]["not_null"] and self.rng.random() < 0.5:
                clauses.append(f'ALTER COLUMN "{col}" SET NOT NULL')
                findings.append(("setting-not-null", len(clauses)))
                cols[col]["not_null"] = True
            else:
                clauses.append(f'ALTER COLUMN "{col}" SET DATA TYPE TEXT')
                findings.append(("changing-column-type", len(clauses)))
                cols[col]["type"] = "TEXT"
        text = f'-- AlterTable\nALTER TABLE "{table}" ' + ",\n".join(clauses) + ";"
        # Clause i (1-based) is on line i of the statement after the comment.
        m.statements.append(Statement(text, table, here, [] if here else findings))

    def hand_written(self, m, created, table):
        here = table in created
        kind = self.rng.choice(["check", "unique", "rename-column", "rename-table", "do",
                                "check-not-valid", "drop-table"])
        cols = self.tables[table]
        col = self.rng.choice([c for c in cols])
        if kind == "check":
            text = f'ALTER TABLE "{table}" ADD CONSTRAINT "{self.fresh("chk")}" CHECK ("id" > 0);'
            findings = [("adding-check", 0)]
        elif kind == "check-not-valid":
            name = self.fresh("chk")
            text = (f'ALTER TABLE "{table}" ADD CONSTRAINT "{name}" CHECK ("id" > 0) NOT VALID;\n'
                    f'ALTER TABLE "{table}" VALIDATE CONSTRAINT "{name}";')
            findings = []
        elif kind == "unique":
            text = (f'ALTER TABLE "{table}" ADD CONSTRAINT "{self.fresh("uq")}" '
                    f'UNIQUE ("{col}");')
            findings = [("adding-unique-constraint", 0)]
        elif kind == "rename-column" and col != "id" and not col.startswith("ref"):
            new = self.fresh("col")
            text = f'ALTER TABLE "{table}" RENAME COLUMN "{col}" TO "{new}";'
            cols[new] = cols.pop(col)
            findings = [("rename-column", 0)]
        elif kind == "rename-table" and len(self.tables) > 3:
            new = self.fresh("Renamed")
            text = f'ALTER TABLE "{table}" RENAME TO "{new}";'
            self.tables[new] = self.tables.pop(table)
            if here:
                created.discard(table)
                created.add(new)
            m.statements.append(Statement(text, table, here, [] if here else [("rename-table", 0)]))
            return
        elif kind == "drop-table" and len(self.tables) > 4 and not here:
            text = f'-- DropTable\nDROP TABLE "{table}";'
            del self.tables[table]
            m.statements.append(Statement(text, table, False, [("drop-table", 1)]))
            return
        else:
            text = (f'-- a data fix; semicolons inside do not split it\nDO $$\nBEGIN\n'
                    f'  UPDATE "{table}" SET "id" = "id" WHERE false; -- no-op\nEND $$;')
            findings = []
        m.statements.append(Statement(text, table, here, [] if here else findings))

    # ---- migrations ---------------------------------------------------------

    def migration(self):
        index = len(self.migrations)
        m = Migration(f"2024{index // 250 + 1:02d}{index % 250 + 1:04d}000000_m{index}")
        created = set()
        if index == 0:
            for _ in range(4):
                self.create_table(m, created)
        else:
            for _ in range(self.rng.randint(1, 3)):
                roll = self.rng.random()
                if roll < 0.25:
                    table = self.create_table(m, created)
                    self.index(m, created, table, unique=self.rng.random() < 0.5)
                    self.foreign_key(m, created, table)
                    if self.rng.random() < 0.3:  # Prisma edits what it just created
                        self.alter_columns(m, created, table)
                elif roll < 0.55:
                    self.alter_columns(m, created, self.pick(created))
                elif roll < 0.7:
                    self.index(m, created, self.pick(created), unique=self.rng.random() < 0.3)
                elif roll < 0.8:
                    self.foreign_key(m, created, self.pick(created),
                                     not_valid=self.rng.random() < 0.3)
                else:
                    self.hand_written(m, created, self.pick(created))
        line = 1
        parts = []
        for s in m.statements:
            s.first_line = line
            parts.append(s.text)
            line += s.text.count("\n") + 2  # the statement, then a blank line
        m.sql = "\n\n".join(parts) + "\n"
        self.migrations.append(m)
        return m

    def pick(self, created):
        existing = sorted(t for t in self.tables if t not in created)
        return self.rng.choice(existing or sorted(self.tables))


def default_for(kind):
    return {"TEXT": "''", "BOOLEAN": "false", "TIMESTAMP(3)": "CURRENT_TIMESTAMP",
            "JSONB": "'{}'"}.get(kind, "0")


def generate(count, seed=1):
    history = History(seed)
    for _ in range(count):
        history.migration()
    return history.migrations


def write(root, migrations, provider="postgresql"):
    """Writes prisma/migrations/<name>/migration.sql under root."""
    base = os.path.join(root, "prisma", "migrations")
    os.makedirs(base, exist_ok=True)
    with open(os.path.join(base, "migration_lock.toml"), "w") as f:
        f.write("# Please do not edit this file manually\n"
                f'# It should be added in your version-control system (i.e. Git)\nprovider = "{provider}"\n')
    for m in migrations:
        os.makedirs(os.path.join(base, m.name), exist_ok=True)
        with open(os.path.join(base, m.name, "migration.sql"), "w") as f:
            f.write(m.sql)
    return base
