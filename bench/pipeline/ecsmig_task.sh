#!/usr/bin/env bash
# run -> wait -> logs with ecsmig, one tool per step as a workflow runs them:
# run-migration-task, wait-task (ends at the container's exit), fetch-logs of
# the task. The tail of ecsmig.sh, and on its own the pipeline of
# bench/wait/pipeline_bench.py (Fargate timeline, #14).
#   ecsmig_task.sh BIN_DIR CLUSTER TASK_DEFINITION NETWORK_JSON [STARTED_BY]
set -euo pipefail
bin="$1" cluster="$2" task_definition="$3" network="$4" started_by="${5:-ecsmig}"
# shellcheck source=bench/pipeline/outputs.sh
source "$(dirname "$0")/outputs.sh"

"$bin/run-migration-task" --cluster "$cluster" --task-definition "$task_definition" \
  --network-configuration "$network" --launch-type FARGATE \
  --command '["npx","prisma","migrate","deploy"]' --if-running ignore \
  --started-by "$started_by" -q
task="$(fact task_arn)"
"$bin/wait-task" --cluster "$cluster" --task "$task" -q
"$bin/fetch-logs" --cluster "$cluster" --task "$task" -q
