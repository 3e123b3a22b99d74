#include "common/ecs/run_migration_task.h"

#include <algorithm>
#include <cctype>
#include <csignal>
#include <optional>

#include "common/base/duration.h"
#include "common/base/error.h"
#include "common/base/signals.h"
#include "common/ecs/default_launch.h"
#include "common/ecs/ecs.h"

namespace ecsmig {
namespace {

using nlohmann::json;

// A try that lost the race restarts with a fresh token; this bounds how often.
constexpr int kMaxRounds = 5;
// How long the race check waits for ListTasks to list the task just started
// (ECS is eventually consistent: for a moment after RunTask, ListTasks omits
// it and DescribeTasks answers MISSING).
constexpr std::chrono::seconds kListedGrace{60};

std::string Trim(const std::string& s) {
  size_t b = s.find_first_not_of(" \t\r\n");
  if (b == std::string::npos) return "";
  size_t e = s.find_last_not_of(" \t\r\n");
  return s.substr(b, e - b + 1);
}

std::string JoinArns(const std::vector<json>& tasks) {
  std::string out;
  for (const auto& t : tasks)
    out += (out.empty() ? "" : ", ") + JsonString(t, "taskArn", std::string());
  return out;
}

std::string TaskIdOf(const std::string& arn) {
  size_t slash = arn.rfind('/');
  return slash == std::string::npos ? arn : arn.substr(slash + 1);
}

// The client token a task carries in its container overrides, or "".
std::string MarkerOf(const json& task) {
  if (!task.contains("overrides") || !task["overrides"].is_object()) return "";
  const json& overrides = task["overrides"];
  if (!overrides.contains("containerOverrides") || !overrides["containerOverrides"].is_array())
    return "";
  for (const auto& c : overrides["containerOverrides"]) {
    if (!c.is_object() || !c.contains("environment") || !c["environment"].is_array()) continue;
    for (const auto& e : c["environment"]) {
      if (e.is_object() && JsonString(e, "name", std::string()) == kClientTokenEnv) {
        return JsonString(e, "value", std::string());
      }
    }
  }
  return "";
}

void SetMarker(json& run_task_request, const std::string& token) {
  run_task_request["clientToken"] = token;
  for (auto& c : run_task_request["overrides"]["containerOverrides"]) {
    for (auto& e : c["environment"]) {
      if (e["name"] == kClientTokenEnv) e["value"] = token;
    }
  }
}

// The running tasks of the group, other than ours (same token, or `own_arn`).
// `own_listed` (when given) tells whether ListTasks listed `own_arn`.
std::vector<json> OtherRunningTasks(AwsJsonService& ecs, const std::string& cluster,
                                    const std::string& started_by, const std::string& token,
                                    const std::string& own_arn, bool* own_listed = nullptr) {
  std::vector<std::string> arns = ListRunningTasks(ecs, cluster, started_by);
  if (own_listed) *own_listed = std::find(arns.begin(), arns.end(), own_arn) != arns.end();
  arns.erase(std::remove(arns.begin(), arns.end(), own_arn), arns.end());
  if (arns.empty()) return {};
  std::vector<json> others;
  for (auto& task : DescribeTasks(ecs, cluster, arns)) {
    if (JsonString(task, "lastStatus", std::string()) == "STOPPED") continue;
    if (JsonString(task, "desiredStatus", std::string()) == "STOPPED") continue;
    if (!token.empty() && MarkerOf(task) == token) continue;
    if (JsonString(task, "taskArn", std::string()) == own_arn) continue;
    others.push_back(std::move(task));
  }
  return others;
}

// Waits until no other task of the group runs, per --if-running.
void WaitForOthers(AwsJsonService& ecs, ToolRun& run, const MigrationRequest& request,
                   const std::string& token) {
  // ignore starts at once: looking at the group (ListTasks, DescribeTasks)
  // could only warn, for one more round trip before every start.
  if (request.if_running == IfRunning::kIgnore) return;
  Clock& clock = run.ctx().clock;
  auto start = clock.Monotonic();
  auto last_report = start - std::chrono::hours(1);
  bool waited = false;
  while (true) {
    std::vector<json> others =
        OtherRunningTasks(ecs, request.launch.cluster, request.started_by, token, "");
    if (others.empty()) {
      if (waited) {
        run.log().Info("the group's other tasks stopped after " +
                       FormatDuration(std::chrono::duration_cast<std::chrono::milliseconds>(
                           clock.Monotonic() - start)));
      }
      return;
    }
    if (request.if_running == IfRunning::kFail) {
      throw Error("another migration task of group '" + request.started_by +
                  "' is still running: " + JoinArns(others) +
                  " (--if-running fail; use wait to wait for it)");
    }
    auto so_far = std::chrono::duration_cast<std::chrono::milliseconds>(clock.Monotonic() - start);
    if (so_far >= request.wait_timeout) {
      throw Error("another migration task of group '" + request.started_by +
                  "' is still running after " + FormatDuration(so_far) + ": " + JoinArns(others));
    }
    waited = true;
    if (clock.Monotonic() - last_report >= std::chrono::seconds(60)) {
      run.log().Info("waiting for " + std::to_string(others.size()) +
                     " running task(s) of group '" + request.started_by +
                     "' to stop: " + JoinArns(others) + " (waited " + FormatDuration(so_far) +
                     " of " + FormatDuration(request.wait_timeout) + ")");
      last_report = clock.Monotonic();
    }
    clock.SleepFor(std::min(request.poll_interval, request.wait_timeout - so_far));
    if (int sig = CancelSignal()) {
      throw Error("cancelled while waiting for the group's other tasks; nothing was started",
                  sig == SIGINT ? kExitSigInt : kExitSigTerm);
    }
  }
}

std::vector<std::pair<std::string, std::string>> RepeatedKeyValues(const cxxopts::ParseResult& args,
                                                                   const std::string& flag) {
  // cxxopts would split vector values on commas; values may hold commas.
  std::vector<std::pair<std::string, std::string>> out;
  for (const auto& kv : args.arguments()) {
    if (kv.key() == flag) out.push_back(ParseKeyValue(kv.value(), flag));
  }
  return out;
}

}  // namespace

json ParseCommand(const std::string& text) {
  std::string trimmed = Trim(text);
  if (trimmed.empty()) throw UsageError("--command must not be empty");
  if (trimmed.front() != '[') return json::array({"sh", "-c", text});
  json command = json::parse(trimmed, nullptr, /*allow_exceptions=*/false);
  if (command.is_discarded() || !command.is_array()) {
    throw UsageError("--command: starts with '[' but is not a JSON array of strings");
  }
  if (command.empty()) throw UsageError("--command: the JSON array is empty");
  for (const auto& item : command) {
    if (!item.is_string())
      throw UsageError("--command: every item of the JSON array must be a string");
  }
  return command;
}

std::string ValidateStartedBy(const std::string& value) {
  bool valid = !value.empty() && value.size() <= 128 &&
               std::all_of(value.begin(), value.end(), [](unsigned char c) {
                 return std::isalnum(c) || c == '_' || c == '-' || c == '/';
               });
  if (!valid) {
    throw UsageError("--started-by: must be 1 to 128 letters, digits, '_', '-' or '/'");
  }
  return value;
}

std::string ValidateClientToken(const std::string& value) {
  bool valid =
      !value.empty() && value.size() <= 64 &&
      std::all_of(value.begin(), value.end(), [](unsigned char c) { return c > 0x20 && c < 0x7f; });
  if (!valid) throw UsageError("--client-token: must be 1 to 64 printable ASCII characters");
  return value;
}

json BuildRunTaskRequest(const MigrationRequest& request, const ResolvedLaunch& launch,
                         const std::string& container, const std::string& client_token) {
  json override_ = {{"name", container}};
  if (!request.command.is_null()) override_["command"] = request.command;
  json environment = json::array();
  for (const auto& [key, value] : request.env)
    environment.push_back({{"name", key}, {"value", value}});
  environment.push_back({{"name", kClientTokenEnv}, {"value", client_token}});
  override_["environment"] = environment;

  json body = {{"cluster", request.launch.cluster},
               {"taskDefinition", launch.task_definition},
               {"count", 1},
               {"startedBy", request.started_by},
               {"clientToken", client_token},
               {"overrides", {{"containerOverrides", json::array({override_})}}}};
  if (!launch.network_configuration.is_null()) {
    body["networkConfiguration"] = launch.network_configuration;
  }
  if (!launch.capacity_provider_strategy.is_null()) {
    body["capacityProviderStrategy"] = launch.capacity_provider_strategy;
  } else if (!launch.launch_type.empty()) {
    body["launchType"] = launch.launch_type;
  }
  if (!launch.platform_version.empty()) body["platformVersion"] = launch.platform_version;
  if (!request.tags.empty()) {
    json tags = json::array();
    for (const auto& [key, value] : request.tags) tags.push_back({{"key", key}, {"value", value}});
    body["tags"] = tags;
  }
  return body;
}

json MaskedRunTaskRequest(json run_task_request) {
  if (run_task_request.contains("overrides")) {
    for (auto& c : run_task_request["overrides"]["containerOverrides"]) {
      if (!c.contains("environment")) continue;
      for (auto& e : c["environment"]) {
        if (e["name"] != kClientTokenEnv) e["value"] = "***";
      }
    }
  }
  return run_task_request;
}

bool IsCapacityFailure(const std::string& reason) {
  return reason.rfind("Capacity is unavailable", 0) == 0 || reason.rfind("RESOURCE:", 0) == 0;
}

namespace {

// The failures of a RunTask answer, or an empty list.
std::vector<json> RunTaskFailures(const json& response) {
  std::vector<json> failures;
  auto found = response.find("failures");
  if (found != response.end() && found->is_array()) {
    for (const auto& f : *found) failures.push_back(f);
  }
  return failures;
}

// "reason (arn): detail; ..." for the log and the error.
std::string DescribeFailures(const std::vector<json>& failures) {
  std::string details;
  for (const auto& f : failures) {
    std::string one = JsonString(f, "reason", std::string("(no reason)"));
    if (f.contains("arn") && f["arn"].is_string()) one += " (" + f["arn"].get<std::string>() + ")";
    if (f.contains("detail") && f["detail"].is_string())
      one += ": " + f["detail"].get<std::string>();
    details += (details.empty() ? "" : "; ") + one;
  }
  return details;
}

constexpr std::chrono::milliseconds kFirstCapacityBackoff{500};
constexpr std::chrono::milliseconds kLongestCapacityBackoff{15000};

int ExitCodeForSignal(int signal_number) {
  return signal_number == SIGINT ? kExitSigInt : kExitSigTerm;
}

// Calls RunTask until it starts a task. Capacity failures started nothing
// (the same token may be sent again: ECS records it only with a task), so
// they are retried with doubling pauses for up to request.start_retry_for.
json RunTaskRetryingCapacity(AwsJsonService& ecs, ToolRun& run, const MigrationRequest& request,
                             const json& body) {
  Clock& clock = run.ctx().clock;
  auto start = clock.Monotonic();
  std::chrono::milliseconds pause = kFirstCapacityBackoff;
  while (true) {
    json response = ecs.Call("RunTask", body);
    std::vector<json> failures = RunTaskFailures(response);
    if (failures.empty()) return response;
    std::string details = DescribeFailures(failures);
    bool capacity = std::all_of(failures.begin(), failures.end(), [](const json& f) {
      return IsCapacityFailure(JsonString(f, "reason", std::string()));
    });
    if (!capacity) throw Error("RunTask did not start the task: " + details);
    auto used = std::chrono::duration_cast<std::chrono::milliseconds>(clock.Monotonic() - start);
    if (used >= request.start_retry_for) {
      throw Error("RunTask did not start the task: " + details + " (no capacity for " +
                  FormatDuration(used) + ", --start-retry-for " +
                  FormatDuration(request.start_retry_for) + "; nothing was started)");
    }
    std::chrono::milliseconds sleep = std::min(pause, request.start_retry_for - used);
    run.log().Warning("RunTask: " + details + "; nothing was started, trying again in " +
                      FormatDuration(sleep) + " (" + FormatDuration(used) +
                      " of --start-retry-for " + FormatDuration(request.start_retry_for) + ")");
    clock.SleepFor(sleep);
    if (int sig = CancelSignal()) {
      throw Error("cancelled while waiting for capacity; nothing was started",
                  ExitCodeForSignal(sig));
    }
    pause = std::min(pause * 2, kLongestCapacityBackoff);
  }
}

// The task of a RunTask answer, its ARN checked for its shape.
StartedTask ReadStartedTask(const json& response) {
  if (!response.contains("tasks") || !response["tasks"].is_array() || response["tasks"].empty() ||
      !response["tasks"][0].is_object()) {
    throw Error("RunTask returned neither a task nor a failure");
  }
  StartedTask started;
  started.task = response["tasks"][0];
  started.task_arn = RequireTaskArnAnswer(JsonString(started.task, "taskArn", std::string()));
  started.task_id = TaskIdOf(started.task_arn);
  return started;
}

// True when DescribeTasks shows `started` is already stopping (a command that
// ended at once): ListTasks, which lists desired RUNNING, will never list it.
bool AlreadyStopping(AwsJsonService& ecs, const MigrationRequest& request,
                     const StartedTask& started) {
  std::optional<json> task = DescribeOneTask(ecs, request.launch.cluster, started.task_arn);
  return task && JsonString(*task, "desiredStatus", std::string()) == "STOPPED";
}

// The group's other running tasks, listed once ListTasks lists ours too. A
// concurrent caller's task started less than a moment before ours is not
// listed yet right after RunTask; once ours is listed, any task created
// before it has had longer to become visible. Asks again with MissingBackoff
// for up to kListedGrace (then warns and judges from what is listed). nullopt
// when a cancel signal arrived meanwhile.
std::optional<std::vector<json>> OthersOnceOursIsListed(AwsJsonService& ecs, ToolRun& run,
                                                        const MigrationRequest& request,
                                                        const std::string& token,
                                                        const StartedTask& started) {
  using std::chrono::milliseconds;
  Clock& clock = run.ctx().clock;
  const auto start = clock.Monotonic();
  for (int attempts = 0;; ++attempts) {
    bool own_listed = false;
    std::vector<json> others = OtherRunningTasks(ecs, request.launch.cluster, request.started_by,
                                                 token, started.task_arn, &own_listed);
    if (own_listed || AlreadyStopping(ecs, request, started)) return others;
    auto waited = std::chrono::duration_cast<milliseconds>(clock.Monotonic() - start);
    if (waited >= kListedGrace) {
      run.log().Warning("ListTasks still does not list task " + started.task_arn + " after " +
                        FormatDuration(waited) +
                        "; checking for a concurrent start among the tasks it lists");
      return others;
    }
    if (attempts == 0) {
      run.log().Info("task " + started.task_arn +
                     " is not listed yet (ECS is eventually consistent right after RunTask); "
                     "asking again before checking for a concurrent start");
    }
    clock.SleepFor(
        std::max(std::min(MissingBackoff(attempts), kListedGrace - waited), milliseconds(1)));
    if (CancelSignal() != 0) return std::nullopt;
  }
}

// Two callers may have passed the wait at the same moment. Every caller
// orders the group's tasks the same way (createdAt, then ARN); the younger
// stops itself before its command has had time to run. Returns true when
// `started` may go on (no older task of the group runs, or cancelled: the
// caller writes its outputs).
bool WinsTheRace(AwsJsonService& ecs, ToolRun& run, const MigrationRequest& request,
                 const std::string& token, const StartedTask& started) {
  std::optional<std::vector<json>> others =
      OthersOnceOursIsListed(ecs, run, request, token, started);
  if (!others) return true;
  std::vector<json> older;
  for (const auto& other : *others) {
    if (CreatedBefore(other, started.task)) older.push_back(other);
  }
  if (older.empty()) return true;
  std::string reason = std::string(kRaceStopReason) + ": older task " +
                       JsonString(older.front(), "taskArn", std::string()) + " of group '" +
                       request.started_by + "' started concurrently";
  run.log().Warning("task " + started.task_arn + " started at the same time as " + JoinArns(older) +
                    "; stopping it so that one migration runs at a time");
  ecs.Call("StopTask",
           {{"cluster", request.launch.cluster}, {"task", started.task_arn}, {"reason", reason}});
  if (request.if_running == IfRunning::kFail) {
    throw Error("another migration task of group '" + request.started_by +
                "' started concurrently: " + JoinArns(older) + "; stopped ours (" +
                started.task_arn + ")");
  }
  return false;
}

}  // namespace

StartedTask StartMigrationTask(AwsJsonService& ecs, ToolRun& run, const MigrationRequest& request,
                               const json& run_task_request) {
  std::string base_token = JsonString(run_task_request, "clientToken", std::string());
  for (int round = 0; round < kMaxRounds; ++round) {
    // A later round needs a new token (the old one names the stopped task),
    // derived so that a retried step walks the same sequence of tokens.
    std::string token =
        round == 0 ? base_token : Sha256Hex(base_token + "\nround " + std::to_string(round));
    json body = run_task_request;
    SetMarker(body, token);

    WaitForOthers(ecs, run, request, token);
    StartedTask started = ReadStartedTask(RunTaskRetryingCapacity(ecs, run, request, body));
    // Cancelled while RunTask started it: the caller writes its outputs.
    if (CancelSignal() != 0) return started;

    // The token may name a task an earlier try of this step started.
    std::string desired = JsonString(started.task, "desiredStatus", std::string());
    std::string last = JsonString(started.task, "lastStatus", std::string());
    if (desired == "STOPPED" || last == "STOPPED") {
      std::string reason = JsonString(started.task, "stoppedReason", std::string());
      if (reason.rfind(kRaceStopReason, 0) == 0) {
        run.log().Info("task " + started.task_arn +
                       " (from an earlier try) lost a race and was stopped; trying again");
        continue;
      }
      run.log().Notice("task " + started.task_arn +
                       " was already started by an earlier try of this step (same client token) "
                       "and has stopped; not starting another");
      started.reused = true;
      return started;
    }

    if (request.if_running == IfRunning::kIgnore) return started;
    if (WinsTheRace(ecs, run, request, token, started)) return started;
  }
  throw Error("could not start the migration task: it lost " + std::to_string(kMaxRounds) +
              " races to concurrent tasks of group '" + request.started_by + "'");
}

namespace {

// ---- The flags, read into a MigrationRequest (all before any AWS call) ----

void AddRunMigrationOptions(cxxopts::Options& options) {
  options.add_options()("cluster", "cluster name or ARN (required)", cxxopts::value<std::string>(),
                        "NAME|ARN")("task-definition", "task definition to run",
                                    cxxopts::value<std::string>(), "FAMILY[:REV]|ARN")(
      "service",
      "reuse this service's task definition, network, launch type or capacity provider strategy "
      "and platform version",
      cxxopts::value<std::string>(), "NAME|ARN")(
      "container", "container whose command is overridden (default: the only essential one)",
      cxxopts::value<std::string>(), "NAME")(
      "command", "JSON array of strings, or a string run by sh -c", cxxopts::value<std::string>(),
      "CMD")("env", "environment override (repeatable; values are masked)",
             cxxopts::value<std::string>(), "K=V")(
      "network-configuration", "RunTask networkConfiguration JSON", cxxopts::value<std::string>(),
      "JSON")("launch-type",
              "EC2, FARGATE, EXTERNAL or MANAGED_INSTANCES (default: the cluster's default "
              "capacity provider strategy, else FARGATE for a Fargate-only task definition, else "
              "EC2)",
              cxxopts::value<std::string>(), "TYPE")(
      "capacity-provider-strategy", "JSON array of {capacityProvider, weight, base}",
      cxxopts::value<std::string>(), "JSON")("platform-version", "Fargate platform version",
                                             cxxopts::value<std::string>(), "VERSION")(
      "started-by", "task group label (default: ecsmig)", cxxopts::value<std::string>(), "LABEL")(
      "tag", "task tag (repeatable)", cxxopts::value<std::string>(), "K=V")(
      "client-token",
      "RunTask idempotency token (default: derived from the workflow run and the whole request)",
      cxxopts::value<std::string>(),
      "TOKEN")("if-running", "another task of the group runs: wait, fail or ignore (default: wait)",
               cxxopts::value<std::string>(),
               "MODE")("wait-timeout", "how long --if-running wait waits (default: 30m)",
                       cxxopts::value<std::string>(), "DURATION")(
      "start-retry-for",
      "how long RunTask is retried while ECS has no capacity (nothing started; default: 2m)",
      cxxopts::value<std::string>(), "DURATION")(
      "stop-on-cancel", "SIGINT/SIGTERM after the task started: stop it (its outputs are written)")(
      "dry-run", "validate and print the RunTask request; start nothing");
}

// --cluster, --service, --task-definition, --container, --command.
void ReadTaskSelection(const cxxopts::ParseResult& args, MigrationRequest& request) {
  request.launch.cluster = ValidateClusterRef(RequireText(args, "cluster"));
  if (args.count("service"))
    request.launch.service = ValidateServiceRef(RequireText(args, "service"));
  if (args.count("task-definition")) {
    request.launch.task_definition =
        ValidateTaskDefinitionRef(RequireText(args, "task-definition"));
  }
  if (request.launch.service.empty() && request.launch.task_definition.empty()) {
    throw UsageError("give --task-definition or --service");
  }
  if (args.count("container"))
    request.container = ValidateContainerName(RequireText(args, "container"));
  if (args.count("command")) {
    request.command = ParseCommand(args["command"].as<std::string>());
  } else if (!request.launch.service.empty() && request.launch.task_definition.empty()) {
    // The service's own command is the application, not a migration.
    throw UsageError(
        "--command is required with --service (the service's command would start the "
        "application)");
  }
}

std::string ReadPlatformVersion(const cxxopts::ParseResult& args) {
  std::string version = RequireText(args, "platform-version");
  if (!std::all_of(version.begin(), version.end(), [](unsigned char c) {
        return std::isalnum(c) || c == '.' || c == '_' || c == '-';
      })) {
    throw UsageError("--platform-version: '" + version + "' is not a version (LATEST, 1.4.0)");
  }
  return version;
}

// The network flags, --launch-type, --capacity-provider-strategy, --platform-version.
void ReadLaunchFlags(const cxxopts::ParseResult& args, LaunchInputs& launch) {
  launch.network = ReadNetworkOptions(args);
  if (args.count("network-configuration")) {
    if (launch.HasNetworkValues()) {
      throw UsageError(
          "give --network-configuration or --subnets/--security-groups/--assign-public-ip, not "
          "both");
    }
    json parsed = json::parse(args["network-configuration"].as<std::string>(), nullptr, false);
    if (parsed.is_discarded()) throw UsageError("--network-configuration: not valid JSON");
    launch.network = ParseNetworkConfiguration(parsed);
    if (launch.network.subnets.empty()) {
      throw UsageError("--network-configuration: awsvpcConfiguration.subnets is required");
    }
  }
  if (args.count("launch-type")) {
    launch.launch_type = RequireChoice(args["launch-type"].as<std::string>(), "launch-type",
                                       {"EC2", "FARGATE", "EXTERNAL", "MANAGED_INSTANCES"});
  }
  if (args.count("capacity-provider-strategy")) {
    if (!launch.launch_type.empty()) {
      throw UsageError("give --launch-type or --capacity-provider-strategy, not both");
    }
    launch.capacity_provider_strategy =
        ParseCapacityProviderStrategy(args["capacity-provider-strategy"].as<std::string>());
  }
  if (args.count("platform-version")) launch.platform_version = ReadPlatformVersion(args);
}

// --started-by, --tag, --client-token, --if-running and the durations.
void ReadGroupFlags(const cxxopts::ParseResult& args, MigrationRequest& request) {
  if (args.count("started-by"))
    request.started_by = ValidateStartedBy(args["started-by"].as<std::string>());
  request.tags = RepeatedKeyValues(args, "tag");
  for (const auto& [key, value] : request.tags) {
    if (key.size() > 128 || value.size() > 256) {
      throw UsageError("--tag: keys are at most 128 characters, values at most 256");
    }
    if (key.rfind("aws:", 0) == 0) throw UsageError("--tag: the aws: prefix is reserved");
  }
  if (args.count("client-token")) {
    request.client_token = ValidateClientToken(args["client-token"].as<std::string>());
  }
  if (args.count("if-running")) {
    std::string mode = RequireChoice(args["if-running"].as<std::string>(), "if-running",
                                     {"wait", "fail", "ignore"});
    request.if_running = mode == "fail"     ? IfRunning::kFail
                         : mode == "ignore" ? IfRunning::kIgnore
                                            : IfRunning::kWait;
  }
  if (args.count("wait-timeout")) {
    request.wait_timeout = ParseDuration(args["wait-timeout"].as<std::string>(), "wait-timeout");
  }
  if (args.count("start-retry-for")) {
    request.start_retry_for =
        ParseDuration(args["start-retry-for"].as<std::string>(), "start-retry-for");
  }
  request.stop_on_cancel = args.count("stop-on-cancel") > 0;
  request.dry_run = args.count("dry-run") > 0;
}

MigrationRequest ReadMigrationRequest(ToolRun& run, const cxxopts::ParseResult& args) {
  MigrationRequest request;
  // Secrets first: nothing below may print an env value unmasked.
  request.env = RepeatedKeyValues(args, "env");
  for (const auto& [key, value] : request.env) {
    run.log().AddMask(value);
    if (key == kClientTokenEnv) throw UsageError("--env: " + key + " is reserved");
  }
  ReadTaskSelection(args, request);
  ReadLaunchFlags(args, request.launch);
  ReadGroupFlags(args, request);
  return request;
}

// ---- The launch, the request and its token ----

// The service's (or the flags') launch; when that leaves the launch open,
// what ECS would do, made explicit and said.
ResolvedLaunch ResolveMigrationLaunch(AwsJsonService& ecs, ToolRun& run,
                                      const MigrationRequest& request,
                                      std::optional<ClusterDescription>& cluster) {
  ResolvedLaunch launch = ResolveLaunch(ecs, request.launch, run.log());
  if (!launch.launch_type.empty() || !launch.capacity_provider_strategy.is_null()) return launch;
  if (!cluster) cluster = DescribeCluster(ecs, request.launch.cluster);
  ExplicitLaunch chosen = DefaultLaunch(*cluster, launch.task_definition_json);
  launch.launch_type = chosen.launch_type;
  launch.capacity_provider_strategy = chosen.capacity_provider_strategy;
  run.log().Info("no --launch-type or --capacity-provider-strategy: launching with " +
                 (chosen.launch_type.empty()
                      ? "capacity provider strategy " + chosen.capacity_provider_strategy.dump()
                      : "launch type " + chosen.launch_type) +
                 " (" + chosen.why + ")");
  return launch;
}

// --client-token, else derived from the workflow run and the whole request
// (with an empty token: the token cannot be part of what it is derived from).
std::string MigrationClientToken(ToolRun& run, const MigrationRequest& request,
                                 const ResolvedLaunch& launch, const std::string& container) {
  if (!request.client_token.empty()) return request.client_token;
  json without_token = BuildRunTaskRequest(request, launch, container, "");
  std::string family = JsonString(launch.task_definition_json, "family", std::string());
  ClientTokenParts parts{request.launch.cluster,
                         family,
                         container,
                         request.command.is_null() ? "" : request.command.dump(),
                         request.started_by,
                         without_token.dump()};
  return DeriveClientToken(run.ctx().env, run.ctx().random, parts);
}

// ---- Outputs ----

LogTarget LogTargetOf(const ResolvedLaunch& launch, const std::string& container,
                      const std::string& task_id, const std::string& region, ToolRun& run) {
  for (const auto& target : DeriveLogTargets(launch.task_definition_json, task_id, region)) {
    if (target.container != container || !target.awslogs) continue;
    RequireLogGroupName(target.group);
    if (!target.stream.empty()) RequireLogStreamName(target.stream);
    return target;
  }
  run.log().Warning("container " + container +
                    " has no awslogs log configuration: its output will not be in CloudWatch "
                    "Logs");
  return LogTarget{};
}

int WriteDryRun(ToolRun& run, const json& body, const ResolvedLaunch& launch,
                const std::string& container, const ClusterDescription& cluster,
                const std::string& region) {
  LogTarget target = LogTargetOf(launch, container, "TASK_ID", region, run);
  run.ctx().out << run.redactor().Redact(MaskedRunTaskRequest(body).dump(2)) << "\n" << std::flush;
  run.log().Info("dry run: RunTask request printed, nothing started");
  run.outputs().Set("cluster", cluster.arn);
  run.outputs().Set("task_definition", launch.task_definition);
  run.outputs().Set("container", container);
  run.outputs().Set("log_group", target.group);
  return kExitOk;
}

// Every output of a started task, each value checked before it is written.
// The task's ARN (checked when RunTask answered) goes first: a later value
// that does not fit fails the step without hiding which task was started.
void WriteStartedTask(ToolRun& run, const StartedTask& started, const ResolvedLaunch& launch,
                      const std::string& container, const MigrationRequest& request,
                      const std::string& region) {
  run.log().Info((started.reused ? "reused task " : "started task ") + started.task_arn);
  run.outputs().Set("task_arn", started.task_arn);
  run.outputs().Set("task_id", started.task_id);
  run.outputs().Flush();  // now: an error below must not hide which task runs
  std::string cluster_out = request.launch.cluster;
  if (started.task.contains("clusterArn")) {
    cluster_out = RequireClusterArnAnswer(JsonString(started.task, "clusterArn"));
  }
  std::string task_definition = launch.task_definition;
  if (started.task.contains("taskDefinitionArn")) {
    task_definition = RequireTaskDefinitionArnAnswer(JsonString(started.task, "taskDefinitionArn"));
  }
  LogTarget target = LogTargetOf(launch, container, started.task_id, region, run);
  std::string url = TaskConsoleUrl(region, ClusterName(cluster_out), started.task_id);
  run.log().Info("console: " + url);
  run.outputs().Set("cluster", cluster_out);
  run.outputs().Set("task_definition", task_definition);
  run.outputs().Set("container", container);
  run.outputs().Set("log_group", target.group);
  run.outputs().Set("log_stream", target.stream);
  run.outputs().Set("console_url", url);
  run.summary().Append("Started migration task [`" + MarkdownEscape(started.task_id) + "`](" + url +
                       ") on cluster `" + MarkdownEscape(ClusterName(cluster_out)) + "` from `" +
                       MarkdownEscape(launch.task_definition) + "`, container `" +
                       MarkdownEscape(container) + "`.\n");
}

// SIGINT/SIGTERM arrived once the task was started: its outputs are written;
// with --stop-on-cancel it is stopped too.
int FinishCancelled(AwsJsonService& ecs, ToolRun& run, const MigrationRequest& request,
                    const StartedTask& started, int signal_number) {
  std::string name = signal_number == SIGINT ? "SIGINT" : "SIGTERM";
  if (!request.stop_on_cancel) {
    run.log().Warning(name + " after task " + started.task_arn +
                      " was started: its outputs are written, the task keeps running "
                      "(--stop-on-cancel stops it)");
    return ExitCodeForSignal(signal_number);
  }
  try {
    ecs.Call("StopTask", {{"cluster", request.launch.cluster},
                          {"task", started.task_arn},
                          {"reason", "ecsmig: run-migration-task cancelled by " + name}});
    run.log().Warning(name + ": stopped task " + started.task_arn);
  } catch (const Error& e) {
    run.log().Error(name + ": could not stop task " + started.task_arn + ": " + e.what());
  }
  return ExitCodeForSignal(signal_number);
}

int RunMigration(AwsClientFactory& aws_factory, ToolRun& run, const cxxopts::ParseResult& args) {
  MigrationRequest request = ReadMigrationRequest(run, args);
  AwsSettings settings = ReadAwsOptions(args);
  InstallCancelHandlers();

  std::unique_ptr<AwsJsonService> ecs = aws_factory(AwsService::kEcs, settings, run);
  std::optional<ClusterDescription> cluster;
  ResolvedLaunch launch = ResolveMigrationLaunch(*ecs, run, request, cluster);
  std::string container = SelectContainer(launch.task_definition_json, request.container);
  std::string token = MigrationClientToken(run, request, launch, container);
  json body = BuildRunTaskRequest(request, launch, container, token);

  if (request.dry_run) {
    if (!cluster) cluster = DescribeCluster(*ecs, request.launch.cluster);
    return WriteDryRun(run, body, launch, container, *cluster, ecs->region());
  }
  StartedTask started = StartMigrationTask(*ecs, run, request, body);
  WriteStartedTask(run, started, launch, container, request, ecs->region());
  if (int sig = CancelSignal()) return FinishCancelled(*ecs, run, request, started, sig);
  return kExitOk;
}

}  // namespace

ToolSpec RunMigrationTaskSpec(AwsClientFactory aws_factory) {
  ToolSpec spec;
  spec.name = "run-migration-task";
  spec.summary = "Start one one-off ECS task running a migration command";
  spec.add_options = [](cxxopts::Options& options) {
    AddRunMigrationOptions(options);
    AddNetworkOptions(options);
    AddAwsOptions(options);
  };
  spec.run = [aws_factory](ToolRun& run, const cxxopts::ParseResult& args) mutable {
    return RunMigration(aws_factory, run, args);
  };
  return spec;
}

}  // namespace ecsmig
