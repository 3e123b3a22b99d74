#!/usr/bin/env bash
# The whole pipeline as the seed guides glue it with bash and the aws CLI:
# git diff to decide, describe-services --query for the task definition,
# subnets and security groups (seed 000, 004), then run -> wait -> logs
# (task_pipeline.sh: run-task with the shorthand network configuration,
# `aws ecs wait tasks-stopped`, describe-tasks --query for the exit code, the
# task's log stream page by page).
#   pipeline.sh REPO BASE HEAD CLUSTER SERVICE CONTAINER LOG_GROUP STREAM_PREFIX
set -euo pipefail
repo="$1" base="$2" head="$3" cluster="$4" service="$5" container="$6" group="$7" prefix="$8"
here="$(cd "$(dirname "$0")" && pwd)"
: "${ENDPOINT:?}"
aws_ecs() { "${AWS_CLI:-aws}" --endpoint-url "$ENDPOINT" ecs "$@"; }

if ! git -C "$repo" diff --name-only "$base" "$head" -- \
    ':(glob)**/schema.prisma' ':(glob)**/prisma/schema/**/*.prisma' ':(glob)**/migrations/**' |
    grep -q .; then
  echo "no schema change"; exit 0
fi
task_definition=$(aws_ecs describe-services --cluster "$cluster" --services "$service" \
  --query 'services[0].taskDefinition' --output text)
subnets=$(aws_ecs describe-services --cluster "$cluster" --services "$service" \
  --query 'services[0].networkConfiguration.awsvpcConfiguration.subnets' --output text)
security_groups=$(aws_ecs describe-services --cluster "$cluster" --services "$service" \
  --query 'services[0].networkConfiguration.awsvpcConfiguration.securityGroups' --output text)
"$here/task_pipeline.sh" "$cluster" "$task_definition" "$container" \
  "${subnets//$'\t'/,}" "${security_groups//$'\t'/,}" "$group" "$prefix"
