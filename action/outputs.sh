#!/usr/bin/env bash
# Reads GitHub step-output files (the `key=value` / `key<<DELIM ... DELIM`
# format every ecsmig tool writes). Sourced by action/steps.sh and
# scripts/local-run; defines functions only.

# Prints the value of KEY in output FILE (the last one when it repeats, as the
# runner keeps it); fails when KEY is absent. Heredoc bodies are skipped as a
# whole, so a body line that looks like `KEY=...` is never mistaken for it.
output_value() {
  local file=$1 key=$2 line name delim body value="" found=1
  while IFS= read -r line || [[ -n "$line" ]]; do
    line=${line%$'\r'}
    if [[ "$line" =~ ^([^=]+)\<\<(.+)$ && "${line%%=*}" == "$line" ]]; then
      name=${BASH_REMATCH[1]}
      delim=${BASH_REMATCH[2]}
      body=""
      local first=1
      while IFS= read -r line || [[ -n "$line" ]]; do
        line=${line%$'\r'}
        [[ "$line" == "$delim" ]] && break
        if ((first)); then body=$line; first=0; else body+=$'\n'$line; fi
      done
      if [[ "$name" == "$key" ]]; then value=$body; found=0; fi
    elif [[ "$line" == *=* ]]; then
      name=${line%%=*}
      if [[ "$name" == "$key" ]]; then value=${line#*=}; found=0; fi
    fi
  done <"$file"
  ((found == 0)) || return 1
  printf '%s\n' "$value"
}
