#!/usr/bin/env bash
# One pipeline step done with the aws CLI, as the seed guides do it by hand
# (the seed documents: describe-services with --query, run-task with the
# shorthand network configuration, `aws ecs wait tasks-stopped`, and a
# get-log-events loop over nextForwardToken). Endpoint, credentials and region
# come from the environment (AWS_ENDPOINT_URL is not read by CLI v1, so the
# caller passes ENDPOINT).
#   steps.sh resolve CLUSTER SERVICE
#   steps.sh start   CLUSTER TASK_DEFINITION CONTAINER SUBNETS SGS [STARTED_BY]
#   steps.sh wait    CLUSTER TASK_ARN
#   steps.sh exit-code CLUSTER TASK_ARN
#   steps.sh logs    GROUP STREAM
# (SUBNETS and SGS: comma-separated.)
set -euo pipefail
: "${ENDPOINT:?set ENDPOINT to the AWS endpoint URL}"
# The CLI to run: AWS_CLI (bench/run passes Debian's v2 by path), else `aws`.
aws_cli() { "${AWS_CLI:-aws}" --endpoint-url "$ENDPOINT" "$@"; }
step="$1"; shift
case "$step" in
  resolve)
    aws_cli ecs describe-services --cluster "$1" --services "$2" \
      --query 'services[0].networkConfiguration.awsvpcConfiguration' --output json ;;
  start)
    started_by=()
    [ -n "${6:-}" ] && started_by=(--started-by "$6")
    aws_cli ecs run-task --cluster "$1" --launch-type FARGATE \
      --task-definition "$2" "${started_by[@]}" \
      --network-configuration "awsvpcConfiguration={subnets=[$4],securityGroups=[$5],assignPublicIp=DISABLED}" \
      --overrides "{\"containerOverrides\":[{\"name\":\"$3\",\"command\":[\"npx\",\"prisma\",\"migrate\",\"deploy\"]}]}" \
      --query 'tasks[0].taskArn' --output text ;;
  wait)
    # The CLI's waiter: DescribeTasks every 6 s, up to 100 times.
    # (The exit code then takes one more describe-tasks: exit-code.)
    aws_cli ecs wait tasks-stopped --cluster "$1" --tasks "$2" ;;
  exit-code)
    aws_cli ecs describe-tasks --cluster "$1" --tasks "$2" \
      --query 'tasks[0].containers[0].exitCode' --output text ;;
  logs)
    token=""
    while :; do
      if [ -z "$token" ]; then
        page=$(aws_cli logs get-log-events --log-group-name "$1" \
          --log-stream-name "$2" --start-from-head --output json)
      else
        page=$(aws_cli logs get-log-events --log-group-name "$1" \
          --log-stream-name "$2" --start-from-head --next-token "$token" --output json)
      fi
      printf '%s\n' "$page" | jq -r '.events[].message'
      next=$(printf '%s\n' "$page" | jq -r '.nextForwardToken')
      [ "$next" = "$token" ] && break
      token=$next
    done ;;
  *) echo "usage: $0 resolve|start|wait|exit-code|logs ARGS..." >&2; exit 2 ;;
esac
