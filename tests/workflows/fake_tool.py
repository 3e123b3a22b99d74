#!/usr/bin/env python3
"""A stand-in for one ecsmig tool, for testing action/steps.sh and local-run.

Installed under a tool's name (detect-schema-change, wait-task, ...) in a
temporary bin directory. It appends {"tool", "argv", "env"} to
$FAKE_DIR/calls.jsonl, writes the outputs of $FAKE_DIR/<tool>.json
({"outputs": {...}, "exit": N}) where a real tool would (--output FILE, else
$GITHUB_OUTPUT, else standard output; multi-line values in heredoc form) and
exits with its "exit" code.
"""
import json
import os
import sys


def main():
    tool = os.path.basename(sys.argv[0])
    fake_dir = os.environ["FAKE_DIR"]
    argv = sys.argv[1:]
    if argv == ["--version"]:
        print(f"{tool} 0.0.0-fake")
        return 0
    with open(os.path.join(fake_dir, "calls.jsonl"), "a", encoding="utf-8") as calls:
        watched = {k: v for k, v in os.environ.items() if k.startswith(("AWS_", "GITHUB_ACTIONS"))}
        calls.write(json.dumps({"tool": tool, "argv": argv, "env": watched}) + "\n")
    behaviour_file = os.path.join(fake_dir, f"{tool}.json")
    behaviour = {"outputs": {}, "exit": 0}
    if os.path.exists(behaviour_file):
        with open(behaviour_file, encoding="utf-8") as handle:
            behaviour.update(json.load(handle))
    target = None
    if "--output" in argv:
        target = argv[argv.index("--output") + 1]
    elif os.environ.get("GITHUB_OUTPUT"):
        target = os.environ["GITHUB_OUTPUT"]
    lines = []
    for key, value in behaviour["outputs"].items():
        if "\n" in value:
            lines.append(f"{key}<<ghadelimiter_fake\n{value}\nghadelimiter_fake\n")
        else:
            lines.append(f"{key}={value}\n")
    if target:
        with open(target, "a", encoding="utf-8") as out:
            out.write("".join(lines))
    else:
        sys.stdout.write("".join(lines))
    return int(behaviour["exit"])


if __name__ == "__main__":
    sys.exit(main())
