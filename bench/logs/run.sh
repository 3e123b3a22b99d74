#!/usr/bin/env bash
# fetch-logs vs `aws logs get-log-events` (a bash loop over nextForwardToken)
# vs `aws logs tail` (or, with CLI v1, the filter-log-events it wraps) on one
# stream of 100 000 events in the local AWS. Usage:
#   bench/logs/run.sh [--events N] [--runs R] [--bin-dir build] [--json out.json]
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
exec python3 "$here/bench.py" "$@"
