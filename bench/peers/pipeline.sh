#!/usr/bin/env bash
# The whole pipeline as the seed guides glue it with bash and the aws CLI:
# git diff to decide, describe-services --query for the task definition,
# subnets and security groups (seed 000, 004), run-task with the shorthand
# network configuration, `aws ecs wait tasks-stopped`, describe-tasks --query
# for the exit code, then the task's log stream page by page.
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
task_arn=$(aws_ecs run-task --cluster "$cluster" --launch-type FARGATE \
  --task-definition "$task_definition" \
  --network-configuration "awsvpcConfiguration={subnets=[${subnets//$'\t'/,}],securityGroups=[${security_groups//$'\t'/,}],assignPublicIp=DISABLED}" \
  --overrides "{\"containerOverrides\":[{\"name\":\"$container\",\"command\":[\"npx\",\"prisma\",\"migrate\",\"deploy\"]}]}" \
  --query 'tasks[0].taskArn' --output text)
aws_ecs wait tasks-stopped --cluster "$cluster" --tasks "$task_arn"
exit_code=$(aws_ecs describe-tasks --cluster "$cluster" --tasks "$task_arn" \
  --query 'tasks[0].containers[0].exitCode' --output text)
"$here/steps.sh" logs "$group" "$prefix/$container/${task_arn##*/}"
echo "exit code $exit_code"
[ "$exit_code" = "0" ]
