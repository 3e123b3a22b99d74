# shellcheck shell=bash
# Sourced by the ecsmig pipeline scripts: a GITHUB_OUTPUT file of their own
# unless the caller exported one (then the steps share it), and `fact NAME`,
# the first value NAME was given in it.
if [[ -z "${GITHUB_OUTPUT:-}" ]]; then
  GITHUB_OUTPUT="$(mktemp)"
  export GITHUB_OUTPUT
  trap 'rm -f "$GITHUB_OUTPUT"' EXIT
fi
fact() { grep -m1 "^$1=" "$GITHUB_OUTPUT" | cut -d= -f2-; }
