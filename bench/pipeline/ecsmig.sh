#!/usr/bin/env bash
# The whole pipeline with ecsmig, one tool per step as a workflow runs them,
# each step's facts read from the GITHUB_OUTPUT file the previous one wrote:
# detect-schema-change, resolve-network, then run -> wait -> logs
# (ecsmig_task.sh).
#   ecsmig.sh BIN_DIR REPO BASE HEAD CLUSTER SERVICE
set -euo pipefail
bin="$1" repo="$2" base="$3" head="$4" cluster="$5" service="$6"
here="$(cd "$(dirname "$0")" && pwd)"
# shellcheck source=bench/pipeline/outputs.sh
source "$here/outputs.sh"

"$bin/detect-schema-change" --repo "$repo" --base "$base" --head "$head" -q
[ "$(fact changed)" = "true" ] || { echo "no schema change"; exit 0; }
"$bin/resolve-network" --cluster "$cluster" --service "$service" -q
"$here/ecsmig_task.sh" "$bin" "$cluster" "$(fact task_definition)" \
  "$(fact network_configuration)"
