#!/usr/bin/env bash
# Benchmarks detect-schema-change against `git diff --no-renames --name-only`
# on a generated repository (>= 200 000 files, >= 2 000 commits; --quick: a
# small one, under a minute). Not part of the test suite.
#   bench/detect/run.sh [--quick] [--bin DIR] [--keep DIR]
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
root="$(cd "$here/../.." && pwd)"
bin_dir="${ECSMIG_BIN_DIR:-$root/build}"
modules=200 dirs=10 files=100 commits=2001 runs=5 keep=""
while [[ $# -gt 0 ]]; do
  case "$1" in
    --quick) modules=20 dirs=10 files=50 commits=400; shift ;;
    --bin) bin_dir="$2"; shift 2 ;;
    --keep) keep="$2"; shift 2 ;;
    *) echo "usage: $0 [--quick] [--bin DIR] [--keep DIR]" >&2; exit 2 ;;
  esac
done
tool="$bin_dir/detect-schema-change"
[[ -x "$tool" ]] || { echo "no $tool: build first (cmake --build build)" >&2; exit 2; }

repo="${keep:-$(mktemp -d /tmp/detect-bench.XXXXXX)}"
if [[ -z "$keep" ]]; then trap 'rm -rf "$repo"' EXIT; fi
if [[ ! -d "$repo/objects" ]]; then
  mkdir -p "$repo"
  git init -q --bare -b main "$repo"
  start=$(date +%s)
  # fast-import grows its heap in small steps; glibc's default padding turns
  # that into ~100k brk calls (tens of seconds). A larger pad avoids it.
  python3 "$here/gen_repo.py" "$modules" "$dirs" "$files" "$commits" |
    MALLOC_TOP_PAD_=268435456 git -C "$repo" fast-import --quiet
  git -C "$repo" repack -adq
  echo "generated in $(( $(date +%s) - start ))s: $repo"
fi
python3 "$here/bench.py" "$repo" "$tool" "$runs"
