#!/usr/bin/env python3
"""fetch-logs vs the aws CLI on one stream of N events (default 100 000).

All three readers talk to the same local AWS endpoint, through its proxy
(SigV4 checked, every call counted, no faults):

  fetch-logs          fetch-logs --log-group G --log-stream S
  cli-get-log-events  a bash loop: aws logs get-log-events --start-from-head,
                      following nextForwardToken until it comes back unchanged
                      (jq prints the messages), as the seed guides do by hand
  cli-tail            `aws logs tail G --log-stream-names S` when the CLI is v2;
                      the installed CLI v1 has no `logs tail`, so this falls
                      back to what tail does underneath: the CLI's paginated
                      `aws logs filter-log-events --log-stream-names S`

For each: wall time (median of --runs), peak RSS (/usr/bin/time -v, largest
process), GetLogEvents/FilterLogEvents calls that reached moto (proxy stats),
and whether the output had every event exactly once, in order.
"""

import argparse
import json
import os
import re
import statistics
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
SOURCE_DIR = os.path.abspath(os.path.join(HERE, "..", ".."))
sys.path.insert(0, os.path.join(SOURCE_DIR, "tests", "integration"))

import harness  # noqa: E402

# The aws CLI to measure: bench/run sets AWS_CLI (Debian's v2); `aws` on PATH
# otherwise. (Python run by pyenv sees pyenv's own `aws` first on PATH.)
AWS_CLI = os.environ.get("AWS_CLI", "aws")

GROUP = "/ecs/bench"
STREAM = "ecs/app/0123456789abcdef0123456789abcdef"

CLI_LOOP = r'''
token=""
while :; do
  if [ -z "$token" ]; then
    page=$("$AWS_CLI" --endpoint-url "$ENDPOINT" logs get-log-events --log-group-name "$G" --log-stream-name "$S" --start-from-head --output json)
  else
    page=$("$AWS_CLI" --endpoint-url "$ENDPOINT" logs get-log-events --log-group-name "$G" --log-stream-name "$S" --start-from-head --next-token "$token" --output json)
  fi
  printf '%s\n' "$page" | jq -r '.events[].message'
  next=$(printf '%s\n' "$page" | jq -r '.nextForwardToken')
  [ "$next" = "$token" ] && break
  token=$next
done
'''


def cli_major():
    out = subprocess.run([AWS_CLI, "--version"], capture_output=True, text=True)
    match = re.search(r"aws-cli/(\d+)", out.stdout + out.stderr)
    return int(match.group(1)) if match else 0


def measure(aws, name, argv, env, expected, runs, message_of=None):
    """message_of: turns an output line into the event's message (for
    readers that print more than the message)."""
    walls, rss, calls, correct = [], [], None, True
    for _ in range(runs):
        aws.reset_stats()
        with tempfile.TemporaryFile() as out, tempfile.NamedTemporaryFile() as timing:
            started = time.monotonic()
            proc = subprocess.run(["/usr/bin/time", "-v", "-o", timing.name] + argv, env=env,
                                  stdout=out, stderr=subprocess.PIPE, stdin=subprocess.DEVNULL)
            walls.append(time.monotonic() - started)
            if proc.returncode != 0:
                sys.exit(f"{name} failed ({proc.returncode}): {proc.stderr.decode()[-2000:]}")
            out.seek(0)
            lines = out.read().decode("utf-8", "replace").split("\n")
            if lines and lines[-1] == "":
                lines.pop()
            if message_of:
                lines = [message_of(line) for line in lines]
            correct = correct and lines == expected
            text = open(timing.name).read()
            rss.append(int(re.search(r"Maximum resident set size \(kbytes\): (\d+)", text)[1]))
        stats = aws.stats()["calls"]
        calls = {k: v for k, v in stats.items() if k.startswith("logs:")}
    return {"tool": name, "wall_median_s": round(statistics.median(walls), 3),
            "wall_all_s": [round(w, 3) for w in walls], "peak_rss_mb": round(max(rss) / 1024, 1),
            "calls": calls, "exactly_once_in_order": correct}


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--events", type=int, default=100000)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--bin-dir", default=os.environ.get("ECSMIG_BIN_DIR",
                                                            os.path.join(SOURCE_DIR, "build")))
    parser.add_argument("--json", help="also write the results to this file")
    args = parser.parse_args()
    fetch_logs = os.path.join(args.bin_dir, "fetch-logs")
    if not os.path.exists(fetch_logs):
        sys.exit(f"{fetch_logs} not built")

    with harness.LocalAws(lifecycle=False) as aws:
        messages = [f"{i:06d} prisma:migrate applying step {i} of {args.events} "
                    f"(checksum {i * 2654435761 % 2**32:08x})" for i in range(args.events)]
        started = time.monotonic()
        aws.put_log_events(GROUP, STREAM, messages)
        print(f"# {args.events} events written to moto in {time.monotonic() - started:.1f}s; "
              f"endpoint: the localaws proxy {aws.endpoint} (SigV4-checked, counted)",
              file=sys.stderr)
        env = aws.env()
        env.update({"G": GROUP, "S": STREAM, "AWS_DEFAULT_REGION": aws.region, "AWS_CLI": AWS_CLI,
                    # CLI v2 before 2.13 ignores AWS_ENDPOINT_URL: pass it as a flag.
                    "ENDPOINT": aws.endpoint})

        results = [measure(aws, "fetch-logs",
                           [fetch_logs, "--log-group", GROUP, "--log-stream", STREAM,
                            "--output", os.devnull], env, messages, args.runs)]
        results.append(measure(aws, "cli-get-log-events", ["bash", "-c", CLI_LOOP], env,
                               messages, args.runs))
        if cli_major() >= 2:
            tail = [AWS_CLI, "--endpoint-url", aws.endpoint, "logs", "tail", GROUP, "--log-stream-names", STREAM, "--since", "1d",
                    "--format", "short"]
            name = "cli-logs-tail"
        else:
            tail = [AWS_CLI, "--endpoint-url", aws.endpoint, "logs", "filter-log-events", "--log-group-name", GROUP,
                    "--log-stream-names", STREAM, "--output", "text", "--query",
                    "events[].[message]"]
            name = "cli-filter-log-events (v1: no `logs tail`)"
        # `logs tail --format short` prints "TIMESTAMP MESSAGE".
        strip = (lambda line: line.split(" ", 1)[-1]) if name == "cli-logs-tail" else None
        results.append(measure(aws, name, tail, env, messages, args.runs, message_of=strip))

    base = results[0]["wall_median_s"]
    print(f"{'reader':44} {'wall(med)':>10} {'x slower':>9} {'RSS MB':>7}  calls  exact")
    for r in results:
        print(f"{r['tool']:44} {r['wall_median_s']:>9.3f}s {r['wall_median_s'] / base:>9.1f} "
              f"{r['peak_rss_mb']:>7.1f}  {json.dumps(r['calls'])}  {r['exactly_once_in_order']}")
    if args.json:
        with open(args.json, "w") as f:
            json.dump({"events": args.events, "runs": args.runs, "results": results}, f, indent=2)


if __name__ == "__main__":
    main()
