#!/usr/bin/env bash
# The ecsmig composite action's steps, one subcommand per step.
#
# action/action.yml and scripts/local-run both call this script, so a laptop
# run executes exactly the command lines a workflow run does.
#
#   steps.sh setup|install|oidc            (action only: binaries, credentials)
#   steps.sh detect|lint|resolve|run|wait|seed|seed-wait|summary|stop
#
# Inputs arrive as INPUT_<NAME> environment variables (the action input name in
# upper case, '-' as '_'); what an earlier step learned arrives as ECSMIG_*
# variables (action.yml maps step outputs to them, local-run reads them back
# from the output files). Facts are written to $GITHUB_OUTPUT by the tools
# themselves; this script only adds a few single-word decisions of its own.
# Nothing here echoes a secret: environment overrides are masked before use.
set -euo pipefail

# Defaults, one place for both callers; they equal action.yml's defaults.
: "${INPUT_COMMAND:=npx prisma migrate deploy}"
: "${INPUT_ASSIGN_PUBLIC_IP:=}"
: "${INPUT_PRESET:=}"
: "${INPUT_ENVIRONMENT:=}"
: "${INPUT_ONLY_IF_CHANGED:=true}"
: "${INPUT_LINT:=true}"
: "${INPUT_RUN_SEEDERS:=false}"
: "${INPUT_SEED_COMMAND:=npm run seed}"
: "${INPUT_TIMEOUT:=30m}"
: "${INPUT_START_TIMEOUT:=10m}"
: "${INPUT_FOLLOW_LOGS:=true}"
: "${INPUT_STOP_ON_CANCEL:=true}"
: "${INPUT_VERSION:=}"

readonly SELF="ecsmig-action"
# shellcheck source-path=SCRIPTDIR source=outputs.sh
source "$(dirname "${BASH_SOURCE[0]}")/outputs.sh"

log() { printf '%s: %s\n' "$SELF" "$*" >&2; }

# One clear line and exit 2, as the tools do for bad input.
usage_error() {
  # stderr: also seen by the runner, and never swallowed by a $(...) capture.
  if [[ "${GITHUB_ACTIONS:-}" == "true" ]]; then
    printf '::error title=ecsmig::%s\n' "$*" >&2
  fi
  log "error: $*"
  exit 2
}

notice() {
  if [[ "${GITHUB_ACTIONS:-}" == "true" ]]; then
    printf '::notice title=ecsmig::%s\n' "$*"
  fi
  log "$*"
}

# Prints true or false for an action boolean input; exit 2 on anything else.
bool() {
  local name=$1 value=$2
  case "${value,,}" in
    true | yes | on | 1) echo true ;;
    false | no | off | 0 | "") echo false ;;
    *) usage_error "input '$name' must be true or false, got '$value'" ;;
  esac
}

# Appends KEY=VALUE to $GITHUB_OUTPUT (standard output when unset). Values are
# this script's own one-word decisions; anything else is refused.
emit() {
  local key=$1 value=$2
  if [[ "$value" == *$'\n'* || "$value" == *$'\r'* ]]; then
    log "internal error: multi-line value for $key"
    exit 1
  fi
  if [[ -n "${GITHUB_OUTPUT:-}" ]]; then
    printf '%s=%s\n' "$key" "$value" >>"$GITHUB_OUTPUT"
  else
    printf '%s=%s\n' "$key" "$value"
  fi
}

# Prints the path of one of the suite's tools: $ECSMIG_BIN_DIR first, then PATH.
tool() {
  local name=$1
  if [[ -n "${ECSMIG_BIN_DIR:-}" && -x "$ECSMIG_BIN_DIR/$name" ]]; then
    printf '%s\n' "$ECSMIG_BIN_DIR/$name"
  elif command -v "$name" >/dev/null 2>&1; then
    command -v "$name"
  else
    log "error: '$name' not found in \$ECSMIG_BIN_DIR (${ECSMIG_BIN_DIR:-unset}) or PATH"
    exit 2
  fi
}

# Common AWS flags every AWS-calling tool takes.
aws_flags=()
if [[ -n "${INPUT_REGION:-}" ]]; then
  aws_flags+=(--region "$INPUT_REGION")
fi

# Renews the web identity token file written by `oidc` before a step that calls
# AWS. GitHub's OIDC tokens are short-lived, and a seed task may start long after
# the migration's first call; outside Actions there is nothing to renew.
refresh_web_identity_token() {
  if [[ -z "${ECSMIG_WEB_IDENTITY_TOKEN_FILE:-}" || -z "${ACTIONS_ID_TOKEN_REQUEST_URL:-}" ]]; then
    return 0
  fi
  fetch_oidc_token "$ECSMIG_WEB_IDENTITY_TOKEN_FILE"
}

# Requests a GitHub OIDC token for STS and writes it to FILE (mode 600).
fetch_oidc_token() {
  local file=$1 response token
  if [[ -z "${ACTIONS_ID_TOKEN_REQUEST_URL:-}" || -z "${ACTIONS_ID_TOKEN_REQUEST_TOKEN:-}" ]]; then
    usage_error "role-to-assume needs an OIDC token: give the job 'permissions: id-token: write'"
  fi
  response=$(curl --silent --show-error --fail --retry 3 --max-time 30 \
    -H "Authorization: bearer ${ACTIONS_ID_TOKEN_REQUEST_TOKEN}" \
    -H "Accept: application/json" \
    "${ACTIONS_ID_TOKEN_REQUEST_URL}&audience=sts.amazonaws.com") || {
    log "error: the GitHub OIDC token request failed"
    exit 1
  }
  token=$(printf '%s' "$response" | python3 -c 'import json,sys; print(json.load(sys.stdin)["value"])') || {
    log "error: the GitHub OIDC token response had no token"
    exit 1
  }
  # Masked before it could be printed anywhere.
  printf '::add-mask::%s\n' "$token"
  (
    umask 077
    printf '%s' "$token" >"$file.tmp"
  )
  mv -f "$file.tmp" "$file"
}

# Shared by `run` and `seed`: the flags that say which task and where.
task_flags() {
  task_args=(--cluster "$INPUT_CLUSTER")
  local task_definition="${INPUT_TASK_DEFINITION:-${ECSMIG_RESOLVED_TASK_DEFINITION:-}}"
  if [[ -n "$task_definition" ]]; then
    task_args+=(--task-definition "$task_definition")
  elif [[ -n "${INPUT_SERVICE:-}" ]]; then
    task_args+=(--service "$INPUT_SERVICE")
  else
    usage_error "give 'task-definition' or a 'service' whose task definition to use"
  fi
  if [[ -n "${INPUT_CONTAINER:-}" ]]; then
    task_args+=(--container "$INPUT_CONTAINER")
  fi
  if [[ -n "${ECSMIG_NETWORK_CONFIGURATION:-}" ]]; then
    task_args+=(--network-configuration "$ECSMIG_NETWORK_CONFIGURATION")
  fi
  launch_flags
  group_flags
  # One --env per non-empty line of the multiline `env` input. Values are
  # masked here too, before the tool could print them (it masks them as well).
  local line
  while IFS= read -r line || [[ -n "$line" ]]; do
    line=${line%$'\r'}
    [[ -z "${line//[[:space:]]/}" || "$line" == \#* ]] && continue
    if [[ "$line" != *=* || "$line" == =* ]]; then
      usage_error "input 'env': '${line%%=*}' is not K=V (one variable per line)"
    fi
    if [[ "${GITHUB_ACTIONS:-}" == "true" && -n "${line#*=}" ]]; then
      printf '::add-mask::%s\n' "${line#*=}"
    fi
    task_args+=(--env "$line")
  done <<<"${INPUT_ENV:-}"
}

# The launch: the inputs, else what resolve-network read (the service's), else
# run-migration-task's own explicit choice. Said in the log either way.
launch_flags() {
  local strategy=${INPUT_CAPACITY_PROVIDER_STRATEGY:-} launch_type=${INPUT_LAUNCH_TYPE:-}
  local from="inputs"
  if [[ -n "$strategy" && -n "$launch_type" ]]; then
    usage_error "give 'launch-type' or 'capacity-provider-strategy', not both"
  fi
  if [[ -z "$strategy$launch_type" ]]; then
    strategy=${ECSMIG_CAPACITY_PROVIDER_STRATEGY:-}
    launch_type=${ECSMIG_LAUNCH_TYPE:-}
    from="the service, read by resolve-network"
  fi
  if [[ -n "$strategy" ]]; then
    task_args+=(--capacity-provider-strategy "$strategy")
    log "launch: capacity provider strategy $strategy (from $from)"
  elif [[ -n "$launch_type" ]]; then
    task_args+=(--launch-type "$launch_type")
    log "launch: launch type $launch_type (from $from)"
  else
    log "launch: no launch-type, capacity-provider-strategy or service: run-migration-task" \
      "uses the cluster's default capacity provider strategy, else FARGATE for a" \
      "Fargate-only task definition, else EC2, and says which"
  fi
  local platform=${INPUT_PLATFORM_VERSION:-${ECSMIG_PLATFORM_VERSION:-}}
  if [[ -n "$platform" ]]; then
    task_args+=(--platform-version "$platform")
  fi
}

# started-by, if-running, stop-on-cancel, and one --tag per non-empty line of `tags`.
group_flags() {
  if [[ -n "${INPUT_STARTED_BY:-}" ]]; then
    task_args+=(--started-by "$INPUT_STARTED_BY")
  fi
  if [[ -n "${INPUT_IF_RUNNING:-}" ]]; then
    task_args+=(--if-running "$INPUT_IF_RUNNING")
  fi
  # A cancel while RunTask is starting the task: it is stopped there and then.
  if [[ "$(bool stop-on-cancel "$INPUT_STOP_ON_CANCEL")" == true ]]; then
    task_args+=(--stop-on-cancel)
  fi
  local line
  while IFS= read -r line || [[ -n "$line" ]]; do
    line=${line%$'\r'}
    [[ -z "${line//[[:space:]]/}" ]] && continue
    task_args+=(--tag "$line")
  done <<<"${INPUT_TAGS:-}"
}

# Flags shared by `wait` and `seed-wait`. A task still running at `timeout`
# is stopped (--stop-on-timeout): the action's timeout never leaves one behind.
wait_flags() {
  local task=$1 container=$2
  wait_args=(--cluster "$INPUT_CLUSTER" --task "$task"
    --timeout "$INPUT_TIMEOUT" --start-timeout "$INPUT_START_TIMEOUT" --stop-on-timeout)
  if [[ -n "$container" ]]; then
    wait_args+=(--container "$container")
  fi
  local follow stop
  follow=$(bool follow-logs "$INPUT_FOLLOW_LOGS")
  stop=$(bool stop-on-cancel "$INPUT_STOP_ON_CANCEL")
  if [[ "$follow" == true ]]; then
    wait_args+=(--follow-logs)
  fi
  if [[ "$stop" == true ]]; then
    wait_args+=(--stop-on-cancel)
  fi
}

require_cluster() {
  [[ -n "${INPUT_CLUSTER:-}" ]] || usage_error "input 'cluster' is required"
}

# Whether the seed task runs: asked for, and the migration succeeded or was
# skipped because nothing changed.
seeders_wanted() {
  [[ "$(bool run-seeders "$INPUT_RUN_SEEDERS")" == true ]] || return 1
  [[ "${ECSMIG_RESULT:-}" == success || "${ECSMIG_RESULT:-}" == skipped ]]
}

#-----------------------------------------------------------------------------
# Action-only steps: getting the binaries and the credentials.

# Decides the version, the platform and the cache directory of the binaries.
cmd_setup() {
  local version=${INPUT_VERSION#v} arch machine source_ref=""
  local repo=${ECSMIG_ACTION_REPOSITORY:-} ref=${ECSMIG_ACTION_REF:-}
  # github.action_repository/action_ref can be empty inside composite actions;
  # the runner's download path says the same: .../_actions/OWNER/REPO/REF/action.
  if [[ -z "$repo" || -z "$ref" ]] &&
    [[ "${GITHUB_ACTION_PATH:-}" =~ /_actions/([^/]+)/([^/]+)/([^/]+)/action/?$ ]]; then
    repo=${repo:-${BASH_REMATCH[1]}/${BASH_REMATCH[2]}}
    ref=${ref:-${BASH_REMATCH[3]}}
  fi
  machine=$(uname -m)
  case "$machine" in
    x86_64 | amd64) arch=x86_64 ;;
    aarch64 | arm64) arch=arm64 ;;
    *) usage_error "no ecsmig binaries for this machine ($machine)" ;;
  esac
  if [[ "$(uname -s)" != Linux ]]; then
    usage_error "the ecsmig action runs on Linux runners only"
  fi
  if [[ -z "$version" && -n "$repo" && -n "$ref" ]]; then
    version=$(release_for_ref "$repo" "$ref") || version=""
  fi
  if [[ -z "$version" || "$version" == source ]]; then
    version=source
    source_ref=$(source_digest)
  elif [[ ! "$version" =~ ^[0-9]+\.[0-9]+\.[0-9]+([-+][0-9A-Za-z.-]+)?$ ]]; then
    usage_error "input 'version' must be a release like 1.2.3, v1.2.3 or 'source', got '$INPUT_VERSION'"
  fi
  local cache_root="${RUNNER_TOOL_CACHE:-${RUNNER_TEMP:-/tmp}}/ecsmig"
  local dir="$cache_root/${version}${source_ref:+-$source_ref}/$arch"
  log "binaries: version $version, linux-$arch"
  emit version "$version"
  emit repository "$repo"
  emit arch "$arch"
  emit bin_dir "$dir/bin"
  emit cache_path "$dir"
  emit cache_key "ecsmig-${version}${source_ref:+-$source_ref}-linux-$arch"
}

# Prints a short digest of the source tree the fallback build compiles, so a
# cached build is reused only for the very same sources.
source_digest() {
  local src
  src=$(cd "${GITHUB_ACTION_PATH:-$(dirname "${BASH_SOURCE[0]}")}/.." && pwd)
  local part parts=()
  for part in CMakeLists.txt common tools; do
    [[ -e "$src/$part" ]] && parts+=("$part")
  done
  ((${#parts[@]})) || usage_error "no ecsmig sources next to the action ($src)"
  (cd "$src" && find "${parts[@]}" -type f -print0 | LC_ALL=C sort -z |
    xargs -0 sha256sum | sha256sum | cut -c1-16)
}

# Prints the release version (no 'v') whose tag points at the same commit as REF
# (a tag like v1 or v1.2.3, or a commit sha); fails when none does.
release_for_ref() {
  local repo=$1 ref=$2 refs sha
  if [[ "$ref" =~ ^v[0-9]+\.[0-9]+\.[0-9]+([-+][0-9A-Za-z.-]+)?$ ]]; then
    echo "${ref#v}"
    return 0
  fi
  # ECSMIG_RELEASE_GIT_URL: a mirror (or the tests' local repository).
  refs=$(git ls-remote --tags "${ECSMIG_RELEASE_GIT_URL:-https://github.com/$repo.git}" 2>/dev/null) || return 1
  if [[ "$ref" =~ ^[0-9a-f]{40}$ ]]; then
    sha=$ref
  else
    # A tag's peeled line (^{}) names the commit; a lightweight tag names it itself.
    sha=$(awk -v t="refs/tags/$ref" '$2 == t"^{}" {p=$1} $2 == t {l=$1} END {print (p != "" ? p : l)}' <<<"$refs")
  fi
  [[ -n "$sha" ]] || return 1
  awk -v s="$sha" '$1 == s {sub("refs/tags/", "", $2); sub(/\^\{\}$/, "", $2); print $2}' <<<"$refs" |
    grep -E '^v[0-9]+\.[0-9]+\.[0-9]+$' | sort -V | tail -n 1 | sed 's/^v//' | grep .
}

# Puts the binaries in ECSMIG_SETUP_BIN_DIR: already there (cache hit), else the
# release archive verified against its .sha256, else built from source.
cmd_install() {
  local bin_dir=${ECSMIG_SETUP_BIN_DIR:?} version=${ECSMIG_SETUP_VERSION:?} arch=${ECSMIG_SETUP_ARCH:?}
  if [[ -x "$bin_dir/run-migration-task" && -x "$bin_dir/wait-task" ]]; then
    log "using cached binaries in $bin_dir"
    # A restored cache on a fresh runner may still lack a shared library.
    install_runtime_packages "$bin_dir"
  elif [[ "$version" == source ]]; then
    build_from_source "$bin_dir"
  else
    download_release "$version" "$arch" "$bin_dir"
  fi
  "$bin_dir/run-migration-task" --version >&2
  emit bin_dir "$bin_dir"
}

download_release() {
  local version=$1 arch=$2 bin_dir=$3
  local asset="ecsmig-${version}-linux-${arch}.tar.gz"
  # ECSMIG_RELEASE_BASE_URL: a mirror (or the tests' file:// directory).
  local url="${ECSMIG_RELEASE_BASE_URL:-https://github.com/${ECSMIG_ACTION_REPOSITORY:?}/releases/download}/v${version}"
  local work
  work=$(mktemp -d "${RUNNER_TEMP:-/tmp}/ecsmig-download.XXXXXX")
  log "downloading $asset"
  curl --silent --show-error --fail --location --retry 3 -o "$work/$asset" "$url/$asset"
  curl --silent --show-error --fail --location --retry 3 -o "$work/$asset.sha256" "$url/$asset.sha256"
  # The checksum file names the archive; checking it by name also refuses a file
  # that names some other archive.
  (cd "$work" && sha256sum --check --strict "$asset.sha256") >&2 || {
    log "error: $asset does not match its published sha256"
    exit 1
  }
  mkdir -p "$bin_dir"
  tar -xzf "$work/$asset" -C "$work"
  local name root="$work/ecsmig-${version}-linux-${arch}"
  for name in detect-schema-change resolve-network run-migration-task wait-task fetch-logs; do
    install -m 0755 "$root/bin/$name" "$bin_dir/$name"
  done
  # Releases before lint-migrations lack it; the lint step then says so.
  if [[ -f "$root/bin/lint-migrations" ]]; then
    install -m 0755 "$root/bin/lint-migrations" "$bin_dir/lint-migrations"
  fi
  # Kept beside bin/ (and so in the cache) for install_runtime_packages.
  if [[ -f "$root/runtime-packages.txt" ]]; then
    cp "$root/runtime-packages.txt" "$(dirname "$bin_dir")/runtime-packages.txt"
  fi
  install_runtime_packages "$bin_dir"
  rm -rf "$work"
}

# glibc, libcurl, libgit2 and OpenSSL stay shared (docs/release.md); when the
# runner lacks one, installs the Debian packages the release recorded.
install_runtime_packages() {
  local bin_dir=$1 list missing
  list="$(dirname "$bin_dir")/runtime-packages.txt"
  # Read whole, not `| grep -q`: with pipefail, grep's early exit fails ldd.
  missing=$(ldd "$bin_dir"/* 2>/dev/null | grep 'not found' | sort -u || true)
  if [[ -z "$missing" ]]; then
    return 0
  fi
  local packages=()
  if [[ -f "$list" ]]; then
    mapfile -t packages <"$list"
  fi
  if ((${#packages[@]} == 0)) || ! command -v apt-get >/dev/null 2>&1; then
    log "error: the binaries need shared libraries this runner lacks:"
    printf '%s\n' "$missing" >&2
    log "use version: source, or install them before this step"
    exit 1
  fi
  log "installing runtime libraries: ${packages[*]}"
  local sudo=()
  [[ $(id -u) == 0 ]] || sudo=(sudo)
  "${sudo[@]}" apt-get update -qq >&2
  "${sudo[@]}" env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends \
    "${packages[@]}" >&2
}

build_from_source() {
  local bin_dir=$1 src build
  src=$(cd "${GITHUB_ACTION_PATH:-$(dirname "$0")}/.." && pwd)
  build="${RUNNER_TEMP:-/tmp}/ecsmig-build"
  notice "no release matches this action's ref: building the tools from source"
  # What building the tools needs, no more (scripts/install-deps also brings
  # the test suite's clang, GoogleTest and moto).
  local packages=(cmake ninja-build g++ pkg-config libgit2-dev libcurl4-openssl-dev libssl-dev
    nlohmann-json3-dev libcxxopts-dev libpg-query-dev) missing=() package
  if command -v dpkg-query >/dev/null 2>&1; then
    for package in "${packages[@]}"; do
      [[ "$(dpkg-query -W -f='${Status}' "$package" 2>/dev/null)" == "install ok installed" ]] ||
        missing+=("$package")
    done
  fi
  if ((${#missing[@]})) && command -v apt-get >/dev/null 2>&1; then
    local sudo=()
    [[ $(id -u) == 0 ]] || sudo=(sudo)
    log "installing build dependencies: ${missing[*]}"
    "${sudo[@]}" apt-get update -qq >&2
    "${sudo[@]}" env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends \
      "${missing[@]}" >&2
  fi
  cmake -S "$src" -B "$build" -G Ninja -DCMAKE_BUILD_TYPE=Release -DECSMIG_TESTS=OFF >&2
  cmake --build "$build" -j "$(nproc)" >&2
  mkdir -p "$bin_dir"
  local name
  for name in detect-schema-change lint-migrations resolve-network run-migration-task wait-task fetch-logs; do
    install -m 0755 "$build/$name" "$bin_dir/$name"
  done
}

# Web identity from the GitHub OIDC token: the tools' credential chain reads
# AWS_WEB_IDENTITY_TOKEN_FILE + AWS_ROLE_ARN in every later step.
cmd_oidc() {
  if [[ -z "${INPUT_ROLE_TO_ASSUME:-}" ]]; then
    return 0
  fi
  if [[ ! "$INPUT_ROLE_TO_ASSUME" =~ ^arn:aws[a-zA-Z-]*:iam::[0-9]{12}:role/.+ ]]; then
    usage_error "input 'role-to-assume' must be an IAM role ARN (arn:aws:iam::123456789012:role/NAME)"
  fi
  local file="${RUNNER_TEMP:?}/ecsmig-web-identity-token"
  fetch_oidc_token "$file"
  {
    echo "AWS_WEB_IDENTITY_TOKEN_FILE=$file"
    echo "AWS_ROLE_ARN=$INPUT_ROLE_TO_ASSUME"
    echo "AWS_ROLE_SESSION_NAME=ecsmig-${GITHUB_RUN_ID:-local}-${GITHUB_RUN_ATTEMPT:-1}"
    echo "ECSMIG_WEB_IDENTITY_TOKEN_FILE=$file"
  } >>"${GITHUB_ENV:?}"
  log "credentials: web identity for $INPUT_ROLE_TO_ASSUME"
}

#-----------------------------------------------------------------------------
# The migration's steps.

# Runs detect-schema-change, then decides whether the migration task runs.
cmd_detect() {
  local only_if_changed args=(--repo "${INPUT_REPO:-.}")
  # Every boolean input is checked here, in the first step, so a typo fails
  # the run before any task starts.
  only_if_changed=$(bool only-if-changed "$INPUT_ONLY_IF_CHANGED")
  bool run-seeders "$INPUT_RUN_SEEDERS" >/dev/null
  bool follow-logs "$INPUT_FOLLOW_LOGS" >/dev/null
  bool stop-on-cancel "$INPUT_STOP_ON_CANCEL" >/dev/null
  if [[ "$only_if_changed" == false ]] && ! git -C "${INPUT_REPO:-.}" rev-parse --git-dir >/dev/null 2>&1; then
    # Nothing to diff (no checkout), and the task runs regardless.
    notice "no git repository here: not detecting changes (only-if-changed is false)"
    emit changed true
    emit run_migration true
    return 0
  fi
  [[ -n "${INPUT_BASE:-}" ]] && args+=(--base "$INPUT_BASE")
  [[ -n "${INPUT_HEAD:-}" ]] && args+=(--head "$INPUT_HEAD")
  # The environment's last successful deployment is the base (pending migrations).
  [[ -n "${INPUT_ENVIRONMENT:-}" ]] && args+=(--base-from deployment --environment "$INPUT_ENVIRONMENT")
  [[ -n "${INPUT_PATHS:-}" ]] && args+=(--paths "$INPUT_PATHS")
  [[ -n "${INPUT_PRESET:-}" ]] && args+=(--preset "$INPUT_PRESET")
  local detect changed
  detect=$(tool detect-schema-change)
  # The tool's own facts go to $GITHUB_OUTPUT; `changed` is read back from a
  # private copy so this script never parses the shared file.
  local facts
  facts=$(mktemp "${RUNNER_TEMP:-/tmp}/ecsmig-detect.XXXXXX")
  local status=0
  "$detect" "${args[@]}" --output "$facts" || status=$?
  # Copied even on failure: a policy violation's facts name the migrations.
  if [[ -n "${GITHUB_OUTPUT:-}" ]]; then
    cat "$facts" >>"$GITHUB_OUTPUT"
  else
    cat "$facts"
  fi
  changed=$(output_value "$facts" changed) || changed=""
  rm -f "$facts"
  if ((status != 0)); then
    exit "$status"
  fi
  if [[ "$changed" == true || "$only_if_changed" == false ]]; then
    emit run_migration true
  else
    notice "no schema or migration change in this range: the migration task is skipped"
    emit run_migration false
  fi
}

# Lints the SQL of the migrations the range adds (lint-migrations): findings
# are annotations on their lines; `lint-fail-on` classes fail the run here,
# before any task starts. Nothing to lint when nothing changed.
cmd_lint() {
  if [[ "$(bool lint "$INPUT_LINT")" != true || "${ECSMIG_CHANGED:-true}" == false ]]; then
    return 0
  fi
  if ! git -C "${INPUT_REPO:-.}" rev-parse --git-dir >/dev/null 2>&1; then
    log "no git repository here: migrations not linted"
    return 0
  fi
  local bin
  if ! bin=$(tool lint-migrations 2>/dev/null); then
    notice "this ecsmig release has no lint-migrations: migrations not linted"
    return 0
  fi
  local args=(--repo "${INPUT_REPO:-.}")
  [[ -n "${INPUT_BASE:-}" ]] && args+=(--base "$INPUT_BASE")
  [[ -n "${INPUT_HEAD:-}" ]] && args+=(--head "$INPUT_HEAD")
  # The same range as detect: the environment's last successful deployment.
  [[ -n "${INPUT_ENVIRONMENT:-}" ]] && args+=(--base-from deployment --environment "$INPUT_ENVIRONMENT")
  [[ -n "${INPUT_LINT_FAIL_ON:-}" ]] && args+=(--fail-on "$INPUT_LINT_FAIL_ON")
  "$bin" "${args[@]}"
}

# Reads the service's network configuration, with explicit inputs as fallback.
cmd_resolve() {
  require_cluster
  if [[ "${ECSMIG_RUN_MIGRATION:-true}" != true ]] && ! seeders_wanted_before_run; then
    log "no task to start: network not resolved"
    return 0
  fi
  if [[ -z "${INPUT_SERVICE:-}${INPUT_SUBNETS:-}${INPUT_SECURITY_GROUPS:-}" ]]; then
    # bridge/host networking (EC2): RunTask takes no network configuration.
    log "no service, subnets or security groups given: the task starts without a network configuration"
    return 0
  fi
  refresh_web_identity_token
  local args=(--cluster "$INPUT_CLUSTER")
  [[ -n "${INPUT_SERVICE:-}" ]] && args+=(--service "$INPUT_SERVICE")
  [[ -n "${INPUT_SUBNETS:-}" ]] && args+=(--subnets "$INPUT_SUBNETS")
  [[ -n "${INPUT_SECURITY_GROUPS:-}" ]] && args+=(--security-groups "$INPUT_SECURITY_GROUPS")
  [[ -n "${INPUT_ASSIGN_PUBLIC_IP:-}" ]] && args+=(--assign-public-ip "$INPUT_ASSIGN_PUBLIC_IP")
  local bin
  bin=$(tool resolve-network)
  "$bin" "${aws_flags[@]}" "${args[@]}"
}

seeders_wanted_before_run() {
  [[ "$(bool run-seeders "$INPUT_RUN_SEEDERS")" == true ]]
}

# Starts the migration task.
cmd_run() {
  require_cluster
  if [[ "${ECSMIG_RUN_MIGRATION:-true}" != true ]]; then
    emit result skipped
    return 0
  fi
  refresh_web_identity_token
  task_flags
  local bin
  bin=$(tool run-migration-task)
  exec "$bin" "${aws_flags[@]}" "${task_args[@]}" --command "$INPUT_COMMAND"
}

# Waits for the migration task; exits with its exit code (124 timeout, 125
# infrastructure failure, 130/143 cancelled). exec: the runner's cancel signal
# reaches wait-task itself, which stops the task (--stop-on-cancel).
cmd_wait() {
  require_cluster
  if [[ -z "${ECSMIG_TASK_ARN:-}" ]]; then
    log "no migration task to wait for"
    return 0
  fi
  refresh_web_identity_token
  wait_flags "$ECSMIG_TASK_ARN" "${ECSMIG_CONTAINER:-${INPUT_CONTAINER:-}}"
  local bin
  bin=$(tool wait-task)
  exec "$bin" "${aws_flags[@]}" "${wait_args[@]}"
}

# Starts the seed task, once the migration succeeded (or had nothing to do).
cmd_seed() {
  require_cluster
  if ! seeders_wanted; then
    if [[ "$(bool run-seeders "$INPUT_RUN_SEEDERS")" == true ]]; then
      log "seeders not run: the migration's result is '${ECSMIG_RESULT:-unknown}'"
    fi
    return 0
  fi
  refresh_web_identity_token
  task_flags
  local bin
  bin=$(tool run-migration-task)
  exec "$bin" "${aws_flags[@]}" "${task_args[@]}" --command "$INPUT_SEED_COMMAND"
}

cmd_seed_wait() {
  require_cluster
  if [[ -z "${ECSMIG_SEED_TASK_ARN:-}" ]]; then
    return 0
  fi
  refresh_web_identity_token
  wait_flags "$ECSMIG_SEED_TASK_ARN" "${ECSMIG_SEED_CONTAINER:-${INPUT_CONTAINER:-}}"
  local bin
  bin=$(tool wait-task)
  exec "$bin" "${aws_flags[@]}" "${wait_args[@]}"
}

# Escapes a value for a Markdown table cell.
md() {
  local value=${1//|/\\|} tick='`'
  value=${value//$'\n'/ }
  printf '%s' "${value//"$tick"/\'}"
}

# A short Markdown table of the run, appended to the step summary.
cmd_summary() {
  local out=${GITHUB_STEP_SUMMARY:-/dev/stdout}
  local result=${ECSMIG_RESULT:-}
  if [[ -z "$result" ]]; then
    if [[ -n "${ECSMIG_TASK_ARN:-}" ]]; then result="unknown (the wait step did not finish)"; else result="not run"; fi
  fi
  {
    echo "### Database migration"
    echo
    echo "| | |"
    echo "| --- | --- |"
    echo "| Schema changed | $(md "${ECSMIG_CHANGED:-unknown}") |"
    echo "| Migration | $(md "$result")${ECSMIG_EXIT_CODE:+ (exit code $(md "$ECSMIG_EXIT_CODE"))} |"
    if [[ -n "${ECSMIG_DIAGNOSIS_MESSAGE:-}" ]]; then
      echo "| Diagnosis | $(md "$ECSMIG_DIAGNOSIS_MESSAGE") |"
    fi
    if [[ -n "${ECSMIG_TASK_ARN:-}" ]]; then
      echo "| Task | $(md "$ECSMIG_TASK_ARN") |"
    fi
    if [[ -n "${ECSMIG_CONSOLE_URL:-}" ]]; then
      echo "| Console | [open the task]($(md "$ECSMIG_CONSOLE_URL")) |"
    fi
    if [[ -n "${ECSMIG_LOG_GROUP:-}" ]]; then
      echo "| Logs | \`$(md "$ECSMIG_LOG_GROUP")\` / \`$(md "${ECSMIG_LOG_STREAM:-}")\` |"
    fi
    if [[ "$(bool run-seeders "$INPUT_RUN_SEEDERS")" == true ]]; then
      echo "| Seeders | $(md "${ECSMIG_SEED_RESULT:-not run}")${ECSMIG_SEED_EXIT_CODE:+ (exit code $(md "$ECSMIG_SEED_EXIT_CODE"))} |"
      if [[ -n "${ECSMIG_SEED_TASK_ARN:-}" ]]; then
        echo "| Seed task | $(md "$ECSMIG_SEED_TASK_ARN") |"
      fi
    fi
    echo
  } >>"$out"
}

# After a cancelled run: stops a task left running. wait-task with a 1s
# timeout and --stop-on-timeout stops the task if it is still running and only
# reports if it has already stopped, so a finished task is never touched.
cmd_stop() {
  require_cluster
  if [[ "$(bool stop-on-cancel "$INPUT_STOP_ON_CANCEL")" != true ]]; then
    return 0
  fi
  # A subshell: a failed renewal must not keep the stop from being tried.
  (refresh_web_identity_token) || true
  local task status=0 bin
  bin=$(tool wait-task)
  for task in "${ECSMIG_SEED_TASK_ARN:-}" "${ECSMIG_TASK_ARN:-}"; do
    [[ -n "$task" ]] || continue
    log "making sure $task is stopped"
    "$bin" "${aws_flags[@]}" --cluster "$INPUT_CLUSTER" --task "$task" \
      --timeout 1s --start-timeout 1s --stop-on-timeout --output /dev/null || status=$?
    # 124: it was still running and has been stopped; other codes are its result.
    if ((status == 124)); then notice "stopped $task after the run was cancelled"; fi
    status=0
  done
}

main() {
  local step=${1:-}
  case "$step" in
    setup) cmd_setup ;;
    install) cmd_install ;;
    oidc) cmd_oidc ;;
    detect) cmd_detect ;;
    lint) cmd_lint ;;
    resolve) cmd_resolve ;;
    run) cmd_run ;;
    wait) cmd_wait ;;
    seed) cmd_seed ;;
    seed-wait) cmd_seed_wait ;;
    summary) cmd_summary ;;
    stop) cmd_stop ;;
    *)
      echo "usage: steps.sh setup|install|oidc|detect|lint|resolve|run|wait|seed|seed-wait|summary|stop" >&2
      exit 2
      ;;
  esac
}

main "$@"
