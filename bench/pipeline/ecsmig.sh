#!/usr/bin/env bash
# The whole pipeline with ecsmig, one tool per step as a workflow runs them,
# each step's facts read from the GITHUB_OUTPUT file the previous one wrote.
#   ecsmig.sh BIN_DIR REPO BASE HEAD CLUSTER SERVICE
set -euo pipefail
bin="$1" repo="$2" base="$3" head="$4" cluster="$5" service="$6"
out="$(mktemp)"; trap 'rm -f "$out"' EXIT
export GITHUB_OUTPUT="$out"
fact() { grep -m1 "^$1=" "$out" | cut -d= -f2-; }

"$bin/detect-schema-change" --repo "$repo" --base "$base" --head "$head" -q
[ "$(fact changed)" = "true" ] || { echo "no schema change"; exit 0; }
"$bin/resolve-network" --cluster "$cluster" --service "$service" -q
"$bin/run-migration-task" --cluster "$cluster" --task-definition "$(fact task_definition)" \
  --network-configuration "$(fact network_configuration)" --launch-type FARGATE \
  --command '["npx","prisma","migrate","deploy"]' --if-running ignore -q
task="$(fact task_arn)"
"$bin/wait-task" --cluster "$cluster" --task "$task" -q
"$bin/fetch-logs" --cluster "$cluster" --task "$task" -q
