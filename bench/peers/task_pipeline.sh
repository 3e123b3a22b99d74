#!/usr/bin/env bash
# run -> wait -> logs as the seed guides glue it with bash and the aws CLI
# (bench/peers/steps.sh): run-task with the shorthand network configuration,
# `aws ecs wait tasks-stopped`, describe-tasks --query for the exit code, then
# the task's log stream page by page. The tail of pipeline.sh, and on its own
# the pipeline of bench/wait/pipeline_bench.py (Fargate timeline, #14).
#   task_pipeline.sh CLUSTER TASK_DEFINITION CONTAINER SUBNETS SGS LOG_GROUP STREAM_PREFIX [STARTED_BY]
# (SUBNETS and SGS: comma-separated.)
set -euo pipefail
cluster="$1" task_definition="$2" container="$3" subnets="$4" security_groups="$5"
group="$6" prefix="$7" started_by="${8:-}"
steps="$(cd "$(dirname "$0")" && pwd)/steps.sh"

task_arn=$("$steps" start "$cluster" "$task_definition" "$container" "$subnets" \
  "$security_groups" "$started_by")
"$steps" wait "$cluster" "$task_arn"
exit_code=$("$steps" exit-code "$cluster" "$task_arn")
"$steps" logs "$group" "$prefix/$container/${task_arn##*/}"
echo "exit code $exit_code"
[ "$exit_code" = "0" ]
