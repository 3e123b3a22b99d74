#!/usr/bin/env python3
"""The README demo: the whole migration job on the embedded local AWS.

1. A sample Prisma-style repository whose last commit adds a migration.
2. A throwaway PostgreSQL on a loopback port (initdb/pg_ctl).
3. The local AWS in exec mode: moto behind the signature-checking proxy, with
   the ECS lifecycle layer really running the task's command as a process and
   shipping its output to CloudWatch Logs (tests/aws_local/README.md).
4. The action's own steps via scripts/local-run: detect → resolve → run →
   wait (+ logs), the task applying the migrations with the real Prisma CLI
   (tests/prisma/, `scripts/install-deps --prisma`: Prisma 6 offline through
   its WebAssembly engine), or with psql where Node or Prisma is missing.
5. A check that the migration's table exists in the database, and the
   migrations wait-task timed from the task's log.

Usage: demo.py --bin-dir BUILD [--keep] [--step-by-step]
Importable: run_demo(bin_dir, mode) returns the outputs, for the test that
compares the action path with a tool-by-tool run.
"""
import argparse
import contextlib
import glob
import json
import os
import pwd
import shutil
import socket
import subprocess
import sys
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))
sys.path.insert(0, os.path.join(ROOT, "tests", "integration"))

import harness  # noqa: E402
import runner_output  # noqa: E402

DB_PASSWORD = "demo-password-not-secret-7d1f"
PRISMA_DIR = os.path.join(ROOT, "tests", "prisma")
PRISMA_CLI = os.path.join(PRISMA_DIR, "node_modules", "prisma", "build", "index.js")
PSQL_COMMAND = "sh scripts/migrate.sh"


def use_prisma():
    """The real Prisma CLI when scripts/install-deps --prisma installed it."""
    return os.path.exists(PRISMA_CLI) and shutil.which("node") is not None


def migrate_command():
    if use_prisma():
        return json.dumps(["node", PRISMA_CLI, "migrate", "deploy"])
    return PSQL_COMMAND


def task_environment(database_url):
    env = {"DATABASE_URL": database_url}
    if use_prisma():
        # No telemetry call; the WebAssembly engine names each migration it
        # applies only in its debug log (what the per-migration times read).
        env.update({"CHECKPOINT_DISABLE": "1", "NO_COLOR": "1",
                    "DEBUG": "prisma:schemaEngine:wasm:stderr"})
    return env

SCHEMA_V1 = """generator client {
  provider   = "prisma-client-js"
  engineType = "client"
}

datasource db {
  provider = "postgresql"
  url      = env("DATABASE_URL")
}

model User {
  id    Int    @id @default(autoincrement())
  email String @unique
}
"""

SCHEMA_V2 = SCHEMA_V1 + """
model DecisionFlow {
  id        Int      @id @default(autoincrement())
  name      String
  createdAt DateTime @default(now())
}
"""

MIGRATION_INIT = """-- CreateTable
CREATE TABLE "User" (
    "id" SERIAL NOT NULL,
    "email" TEXT NOT NULL,
    CONSTRAINT "User_pkey" PRIMARY KEY ("id")
);
CREATE UNIQUE INDEX "User_email_key" ON "User"("email");
"""

MIGRATION_FLOW = """-- CreateTable
CREATE TABLE "DecisionFlow" (
    "id" SERIAL NOT NULL,
    "name" TEXT NOT NULL,
    "createdAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    CONSTRAINT "DecisionFlow_pkey" PRIMARY KEY ("id")
);
"""

# What `prisma migrate deploy` does, in 20 lines of sh + psql: apply every
# migration folder not yet recorded, in order, each in a transaction.
MIGRATE_SH = r"""#!/bin/sh
# Stand-in for `npx prisma migrate deploy` (no Node in the demo task).
set -eu
psql "$DATABASE_URL" -q -v ON_ERROR_STOP=1 -c 'CREATE TABLE IF NOT EXISTS "_prisma_migrations" (migration_name TEXT PRIMARY KEY, finished_at TIMESTAMPTZ NOT NULL DEFAULT now())'
count=0
for dir in prisma/migrations/*/; do
  name=$(basename "$dir")
  applied=$(psql "$DATABASE_URL" -tA -c "SELECT 1 FROM \"_prisma_migrations\" WHERE migration_name = '$name'")
  if [ "$applied" = "1" ]; then continue; fi
  echo "Applying migration \`$name\`"
  psql "$DATABASE_URL" -q -v ON_ERROR_STOP=1 --single-transaction \
    -f "$dir/migration.sql" \
    -c "INSERT INTO \"_prisma_migrations\" (migration_name) VALUES ('$name')"
  count=$((count + 1))
done
echo "All migrations have been successfully applied ($count new) to $DATABASE_URL"
"""


def log(message):
    print("demo: " + message, file=sys.stderr, flush=True)


def git(repo, *args):
    subprocess.run(["git", "-C", repo, "-c", "user.name=Demo", "-c", "user.email=demo@example.com",
                    "-c", "commit.gpgsign=false", "-c", "init.defaultBranch=main"] + list(args),
                   check=True, stdout=subprocess.DEVNULL)


def write(path, text, mode=0o644):
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path, "w") as f:
        f.write(text)
    os.chmod(path, mode)


def make_sample_repo(root):
    """A repository whose HEAD adds the DecisionFlow migration."""
    repo = os.path.join(root, "app")
    os.makedirs(repo)
    subprocess.run(["git", "init", "-q", "-b", "main", repo], check=True)
    write(os.path.join(repo, "prisma/schema.prisma"), SCHEMA_V1)
    write(os.path.join(repo, "prisma/migrations/migration_lock.toml"),
          'provider = "postgresql"\n')
    write(os.path.join(repo, "prisma/migrations/20240101000000_init/migration.sql"), MIGRATION_INIT)
    write(os.path.join(repo, "scripts/migrate.sh"), MIGRATE_SH, 0o755)
    write(os.path.join(repo, "src/server.js"), "console.log('api')\n")
    if use_prisma():
        shutil.copy(os.path.join(PRISMA_DIR, "prisma.config.ts"), repo)
        os.symlink(os.path.join(PRISMA_DIR, "node_modules"), os.path.join(repo, "node_modules"))
        write(os.path.join(repo, ".gitignore"), "node_modules\n")
    git(repo, "add", "-A")
    git(repo, "commit", "-q", "-m", "init")
    write(os.path.join(repo, "prisma/schema.prisma"), SCHEMA_V2)
    write(os.path.join(repo, "prisma/migrations/20240201000000_add_decision_flow/migration.sql"),
          MIGRATION_FLOW)
    git(repo, "add", "-A")
    git(repo, "commit", "-q", "-m", "Add DecisionFlow")
    return repo


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def pg_bin(name):
    found = shutil.which(name)
    if found:
        return found
    candidates = sorted(glob.glob("/usr/lib/postgresql/*/bin/" + name))
    if not candidates:
        raise SystemExit("demo: %s not found: install postgresql (scripts/install-deps --demo)" % name)
    return candidates[-1]


class Postgres:
    """A throwaway cluster on 127.0.0.1. PostgreSQL refuses to run as root,
    so as root the server runs as the 'postgres' system user."""

    def __init__(self, root):
        self.dir = os.path.join(root, "pg")
        os.makedirs(self.dir)
        self.port = free_port()
        self.as_user = []
        if os.geteuid() == 0:
            user = "postgres"
            try:
                entry = pwd.getpwnam(user)
            except KeyError:
                raise SystemExit("demo: running as root needs a 'postgres' user (apt-get install postgresql)")
            os.chown(self.dir, entry.pw_uid, entry.pw_gid)
            os.chmod(root, 0o755)
            self.as_user = ["runuser", "-u", user, "--"]
        pwfile = os.path.join(self.dir, "pw")
        self._run(["sh", "-c", "echo %s > %s" % (DB_PASSWORD, pwfile)])
        self._run([pg_bin("initdb"), "-D", os.path.join(self.dir, "data"), "-U", "demo",
                   "--pwfile", pwfile, "--auth=scram-sha-256", "-E", "UTF8", "--no-instructions"])
        self._run([pg_bin("pg_ctl"), "-D", os.path.join(self.dir, "data"), "-w", "-l",
                   os.path.join(self.dir, "server.log"), "-o",
                   "-p %d -c listen_addresses=127.0.0.1 -k %s" % (self.port, self.dir), "start"])
        self.url = "postgresql://demo:%s@127.0.0.1:%d/postgres" % (DB_PASSWORD, self.port)

    def _run(self, argv):
        subprocess.run(self.as_user + argv, check=True, stdout=subprocess.DEVNULL)

    def query(self, sql):
        out = subprocess.run(["psql", self.url, "-tA", "-c", sql], check=True,
                             capture_output=True, text=True)
        return out.stdout.strip()

    def stop(self):
        subprocess.run(self.as_user + [pg_bin("pg_ctl"), "-D", os.path.join(self.dir, "data"),
                                       "-m", "fast", "stop"], stdout=subprocess.DEVNULL,
                       stderr=subprocess.DEVNULL)


def run_local_run(bin_dir, aws, seeded, repo, output, env):
    """The action's steps, exactly as action.yml runs them."""
    argv = [os.path.join(ROOT, "scripts", "local-run"),
            "--bin-dir", bin_dir, "--repo", repo, "--output", output,
            "--endpoint-url", aws.endpoint, "--region", aws.region,
            "--cluster", seeded["cluster"], "--service", seeded["service"],
            "--command", migrate_command(),
            "--base", "HEAD^", "--head", "HEAD",
            "--timeout", "5m", "--start-timeout", "2m"]
    return subprocess.run(argv, env=env).returncode


def run_step_by_step(bin_dir, aws, seeded, repo, output, env):
    """The same job, one tool per step, as examples/step-by-step.yml does."""
    def tool(name, *args):
        proc = subprocess.run([os.path.join(bin_dir, name), "--output", output] + list(args), env=env)
        return proc.returncode

    def last(key):
        pairs = runner_output.parse(open(output, encoding="utf-8").read())
        return [v for k, v in pairs if k == key][-1]

    code = tool("detect-schema-change", "--repo", repo, "--base", "HEAD^", "--head", "HEAD")
    if code != 0 or last("changed") != "true":
        return code
    code = tool("resolve-network", "--cluster", seeded["cluster"], "--service", seeded["service"])
    if code != 0:
        return code
    code = tool("run-migration-task", "--cluster", seeded["cluster"], "--service", seeded["service"],
                "--command", migrate_command())
    if code != 0:
        return code
    return tool("wait-task", "--cluster", seeded["cluster"], "--task", last("task_arn"),
                "--timeout", "5m", "--start-timeout", "2m", "--follow-logs", "--stop-on-cancel")


def run_demo(bin_dir, mode="action", keep=False):
    """Runs the demo; returns (exit_code, outputs as list of pairs, table_exists)."""
    root = tempfile.mkdtemp(prefix="ecsmig-demo-")
    pg = None
    try:
        repo = make_sample_repo(root)
        log("sample repository at %s (HEAD adds migration 20240201000000_add_decision_flow)" % repo)
        pg = Postgres(root)
        log("PostgreSQL on 127.0.0.1:%d" % pg.port)
        with harness.LocalAws(exec_mode=True, exec_cwd=repo, timing="fargate") as aws:
            log("local AWS at %s (moto behind the signature-checking proxy)" % aws.endpoint)
            seeded = aws.seed_service(cluster="demo-cluster", service="api", family="api",
                                      environment=task_environment(pg.url))
            output = os.path.join(root, "outputs.txt")
            env = aws.env(GITHUB_OUTPUT=None)
            env.pop("GITHUB_OUTPUT", None)
            if mode == "action":
                code = run_local_run(bin_dir, aws, seeded, repo, output, env)
            else:
                code = run_step_by_step(bin_dir, aws, seeded, repo, output, env)
            pairs = runner_output.parse(open(output, encoding="utf-8").read()) if os.path.exists(output) else []
            exists = pg.query("SELECT to_regclass('public.\"DecisionFlow\"') IS NOT NULL") == "t"
            if aws.leftover_tasks():
                log("tasks left running: %s" % aws.leftover_tasks())
                code = code or 1
            return code, pairs, exists
    finally:
        if pg:
            pg.stop()
        if keep:
            log("kept %s" % root)
        else:
            shutil.rmtree(root, ignore_errors=True)


def print_migrations(pairs):
    """The migrations wait-task timed from the task's log (step by step: its
    outputs; the action's path shows them in the step summary above)."""
    applied = [v for k, v in pairs if k == "applied_migrations_json"]
    if not applied:
        return
    migrations = json.loads(applied[-1])
    print("\nMigrations applied (%s):" % ("prisma migrate deploy" if use_prisma() else "psql"))
    for m in migrations:
        seconds = "-" if m["seconds"] is None else "%.3f s" % m["seconds"]
        print("  %-45s %s" % (m["name"], seconds))


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--bin-dir", required=True)
    parser.add_argument("--step-by-step", action="store_true",
                        help="run each tool as its own step instead of the action's steps")
    parser.add_argument("--keep", action="store_true", help="keep the temporary directory")
    args = parser.parse_args()
    code, pairs, exists = run_demo(os.path.abspath(args.bin_dir),
                                   "steps" if args.step_by_step else "action", args.keep)
    print("\nOutputs:")
    for key, value in pairs:
        print("  %s=%s" % (key, value.replace("\n", "\\n")))
    print_migrations(pairs)
    print("\nTable public.\"DecisionFlow\" %s." % ("exists" if exists else "DOES NOT exist"))
    if code == 0 and exists:
        print("Demo passed: the migration ran as a one-off task and the table is there.")
        return 0
    print("Demo FAILED (exit %d)." % code)
    return code or 1


if __name__ == "__main__":
    sys.exit(main())
