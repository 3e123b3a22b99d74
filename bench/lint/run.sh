#!/usr/bin/env bash
# Benchmarks lint-migrations against squawk on a generated Prisma history of
# a few hundred migrations (--quick: 100). Prints a Markdown report.
#   bench/lint/run.sh [--quick] [--bin DIR] [--count N] [--runs R]
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
root="$(cd "$here/../.." && pwd)"
bin_dir="${ECSMIG_BIN_DIR:-$root/build}"
count=300 runs=7
while [[ $# -gt 0 ]]; do
  case "$1" in
    --quick) count=100 runs=3; shift ;;
    --bin) bin_dir="$2"; shift 2 ;;
    --count) count="$2"; shift 2 ;;
    --runs) runs="$2"; shift 2 ;;
    *) echo "usage: $0 [--quick] [--bin DIR] [--count N] [--runs R]" >&2; exit 2 ;;
  esac
done
tool="$bin_dir/lint-migrations"
[[ -x "$tool" ]] || { echo "no $tool: build first (cmake --build build --target lint-migrations)" >&2; exit 2; }
case "$(uname -m)" in
  x86_64) arch=x64 ;;
  aarch64) arch=arm64 ;;
  *) arch=$(uname -m) ;;
esac
# squawk-cli's platform package (scripts/install-deps installs it).
squawk="$root/.deps/npm/node_modules/@squawk-cli/linux-$arch/bin/squawk"
[[ -x "$squawk" ]] || { echo "no $squawk: run scripts/install-deps" >&2; exit 2; }
python3 "$here/bench.py" "$tool" "$squawk" --count "$count" --runs "$runs"
