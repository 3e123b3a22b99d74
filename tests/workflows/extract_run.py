#!/usr/bin/env python3
"""Writes every bash `run:` block of the given workflow/action files to OUT_DIR.

Each block becomes OUT_DIR/<file>.<job>.<step>.sh with a bash shebang, its
`${{ ... }}` expressions replaced by a plain placeholder word, ready for
shellcheck. Blocks of other shells (pwsh, python, ...) are skipped. Prints one
line per block written: `<script path>\t<origin>`.
"""
import os
import re
import sys

import yaml

EXPRESSION = re.compile(r"\$\{\{.*?\}\}", re.S)
BASH_SHELLS = {None, "bash", "sh", "bash -e {0}", "bash --noprofile --norc -eo pipefail {0}"}


def steps_of(document):
    """Yields (job, index, step, default shell) for a workflow or an action."""
    if not isinstance(document, dict):
        return
    runs = document.get("runs")
    if isinstance(runs, dict):
        for index, step in enumerate(runs.get("steps") or []):
            yield "action", index, step, None
    workflow_shell = ((document.get("defaults") or {}).get("run") or {}).get("shell")
    for job_name, job in (document.get("jobs") or {}).items():
        if not isinstance(job, dict):
            continue
        job_shell = ((job.get("defaults") or {}).get("run") or {}).get("shell", workflow_shell)
        for index, step in enumerate(job.get("steps") or []):
            yield job_name, index, step, job_shell


def main(argv):
    out_dir, files = argv[1], argv[2:]
    os.makedirs(out_dir, exist_ok=True)
    for path in files:
        with open(path, encoding="utf-8") as handle:
            document = yaml.safe_load(handle)
        for job, index, step, default_shell in steps_of(document):
            if not isinstance(step, dict) or "run" not in step:
                continue
            shell = step.get("shell", default_shell)
            if shell not in BASH_SHELLS:
                continue
            text = EXPRESSION.sub("GITHUB_EXPRESSION_PLACEHOLDER", str(step["run"]))
            flat = re.sub(r"[^A-Za-z0-9_.-]+", "_", f"{path}.{job}.{index}")
            script = os.path.join(out_dir, flat + ".sh")
            interpreter = "sh" if shell == "sh" else "bash"
            # What the runner runs it with: `shell: bash` is
            # `bash --noprofile --norc -eo pipefail {0}`, no shell `bash -e {0}`.
            options = "set -eo pipefail" if shell == "bash" else "set -e"
            with open(script, "w", encoding="utf-8") as handle:
                handle.write(f"#!/usr/bin/env {interpreter}\n{options}\n{text}\n")
            name = step.get("name") or step.get("id") or f"step {index}"
            print(f"{script}\t{path}: {job}: {name}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
