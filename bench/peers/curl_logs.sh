#!/usr/bin/env bash
# The floor for the logs step: GetLogEvents pages with bare curl (signed by
# curl's own --aws-sigv4), following nextForwardToken; jq only extracts the
# messages and the token.
#   curl_logs.sh GROUP STREAM   (ENDPOINT, AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY, AWS_REGION)
set -euo pipefail
group="$1" stream="$2" token=""
page_file="$(mktemp)"; trap 'rm -f "$page_file"' EXIT
while :; do
  body=$(jq -cn --arg g "$group" --arg s "$stream" --arg t "$token" \
    '{logGroupName: $g, logStreamName: $s, startFromHead: true} + (if $t == "" then {} else {nextToken: $t} end)')
  curl -sS --fail-with-body --aws-sigv4 "aws:amz:${AWS_REGION}:logs" \
    --user "$AWS_ACCESS_KEY_ID:$AWS_SECRET_ACCESS_KEY" \
    -H 'Content-Type: application/x-amz-json-1.1' -H 'X-Amz-Target: Logs_20140328.GetLogEvents' \
    --data-binary "$body" -o "$page_file" "$ENDPOINT/"
  jq -r '.events[].message' "$page_file"
  next=$(jq -r '.nextForwardToken' "$page_file")
  [ "$next" = "$token" ] && break
  token=$next
done
