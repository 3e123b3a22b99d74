#include "common/ecs/ecs_task.h"

#include <openssl/sha.h>

#include <algorithm>
#include <cctype>
#include <cstdio>
#include <limits>

#include "common/base/duration.h"
#include "common/base/error.h"
#include "common/base/signals.h"
#include "common/github/cli.h"

namespace ecsmig {
namespace {

using nlohmann::json;

bool IsPrefixedHexId(const std::string& id, const std::string& prefix) {
  if (id.size() <= prefix.size() || id.compare(0, prefix.size(), prefix) != 0) return false;
  if (id.size() > prefix.size() + 64) return false;
  return std::all_of(id.begin() + prefix.size(), id.end(),
                     [](unsigned char c) { return std::isdigit(c) || (c >= 'a' && c <= 'f'); });
}

std::string Shown(const std::string& s) {
  std::string shown = s.substr(0, 80);
  for (auto& c : shown) {
    if (static_cast<unsigned char>(c) < 0x20) c = '?';
  }
  return "'" + shown + (s.size() > 80 ? "...'" : "'");
}

std::string JoinNames(const std::vector<std::string>& names) {
  std::string out;
  for (const auto& n : names) out += (out.empty() ? "" : ", ") + n;
  return out.empty() ? "(none)" : out;
}

std::vector<std::string> StringList(const json& value, const std::string& flag, const char* field) {
  std::vector<std::string> out;
  if (value.is_null()) return out;
  if (!value.is_array()) throw UsageError("--" + flag + ": " + field + " must be an array");
  for (const auto& item : value) {
    if (!item.is_string()) throw UsageError("--" + flag + ": " + field + " must hold strings");
    out.push_back(item.get<std::string>());
  }
  return out;
}

// Container reasons that mean the platform, not the command, failed.
const char* const kInfraContainerReasons[] = {
    "CannotPullContainerError",   "ResourceInitializationError",  "CannotStartContainerError",
    "CannotCreateContainerError", "CannotInspectContainerError",  "OutOfMemoryError",
    "ContainerRuntimeError",      "ContainerRuntimeTimeoutError", "InternalError",
};

// The stop code that means the platform could not start the task. The
// platform's other stops (SpotInterruption, TerminationNotice) are stops from
// outside: OutsideStopper.
constexpr char kFailedToStartStopCode[] = "TaskFailedToStart";

bool IsInfraReason(const std::string& reason) {
  for (const char* known : kInfraContainerReasons) {
    if (reason.find(known) != std::string::npos) return true;
  }
  return false;
}

}  // namespace

AwsClientFactory RealAwsClientFactory() {
  return [](AwsService service, const AwsSettings& settings, ToolRun& run) {
    return MakeAwsJsonService(service, settings, run);
  };
}

std::string ValidateSubnetId(const std::string& id, const std::string& flag) {
  if (!IsPrefixedHexId(id, "subnet-")) {
    throw UsageError("--" + flag + ": " + Shown(id) + " is not a subnet id (subnet-0123abcd)");
  }
  return id;
}

std::string ValidateSecurityGroupId(const std::string& id, const std::string& flag) {
  if (!IsPrefixedHexId(id, "sg-")) {
    throw UsageError("--" + flag + ": " + Shown(id) + " is not a security group id (sg-0123abcd)");
  }
  return id;
}

std::string ValidateAssignPublicIp(const std::string& value, const std::string& flag) {
  std::string upper = value;
  std::transform(upper.begin(), upper.end(), upper.begin(),
                 [](unsigned char c) { return static_cast<char>(std::toupper(c)); });
  if (upper != "ENABLED" && upper != "DISABLED") {
    throw UsageError("--" + flag + ": " + Shown(value) + " is not ENABLED or DISABLED");
  }
  return upper;
}

json BuildNetworkConfiguration(const AwsvpcSettings& settings) {
  json vpc = json::object();
  if (!settings.subnets.empty()) vpc["subnets"] = settings.subnets;
  if (!settings.security_groups.empty()) vpc["securityGroups"] = settings.security_groups;
  if (!settings.assign_public_ip.empty()) vpc["assignPublicIp"] = settings.assign_public_ip;
  return json{{"awsvpcConfiguration", vpc}};
}

AwsvpcSettings ParseNetworkConfiguration(const json& network_configuration,
                                         const std::string& flag) {
  if (!network_configuration.is_object())
    throw UsageError("--" + flag + ": expected a JSON object");
  auto vpc_it = network_configuration.find("awsvpcConfiguration");
  if (vpc_it == network_configuration.end() || !vpc_it->is_object()) {
    throw UsageError("--" + flag + ": expected {\"awsvpcConfiguration\": {\"subnets\": [...]}}");
  }
  for (const auto& [key, value] : network_configuration.items()) {
    if (key != "awsvpcConfiguration") {
      throw UsageError("--" + flag + ": unknown field " + key + " (only awsvpcConfiguration)");
    }
  }
  const json& vpc = *vpc_it;
  for (const auto& [key, value] : vpc.items()) {
    if (key != "subnets" && key != "securityGroups" && key != "assignPublicIp") {
      throw UsageError("--" + flag + ": unknown field awsvpcConfiguration." + key);
    }
  }
  AwsvpcSettings settings;
  settings.subnets = StringList(vpc.value("subnets", json()), flag, "subnets");
  settings.security_groups =
      StringList(vpc.value("securityGroups", json()), flag, "securityGroups");
  for (const auto& s : settings.subnets) ValidateSubnetId(s, flag);
  for (const auto& g : settings.security_groups) ValidateSecurityGroupId(g, flag);
  if (vpc.contains("assignPublicIp")) {
    if (!vpc["assignPublicIp"].is_string()) {
      throw UsageError("--" + flag + ": assignPublicIp must be ENABLED or DISABLED");
    }
    settings.assign_public_ip =
        ValidateAssignPublicIp(vpc["assignPublicIp"].get<std::string>(), flag);
  }
  return settings;
}

json ParseCapacityProviderStrategy(const std::string& text, const std::string& flag) {
  json strategy = json::parse(text, nullptr, /*allow_exceptions=*/false);
  if (strategy.is_discarded()) throw UsageError("--" + flag + ": not valid JSON");
  if (!strategy.is_array() || strategy.empty()) {
    throw UsageError("--" + flag +
                     ": expected a non-empty JSON array of {\"capacityProvider\": ...}");
  }
  for (const auto& item : strategy) {
    if (!item.is_object() || !item.contains("capacityProvider") ||
        !item["capacityProvider"].is_string() ||
        item["capacityProvider"].get<std::string>().empty()) {
      throw UsageError("--" + flag + ": every item needs a \"capacityProvider\" name");
    }
    for (const auto& [key, value] : item.items()) {
      if (key == "capacityProvider") continue;
      long long max = key == "weight" ? 1000 : 100000;
      if (key != "weight" && key != "base") {
        throw UsageError("--" + flag + ": unknown field '" + key + "'");
      }
      if (!value.is_number_integer() || value.get<long long>() < 0 ||
          value.get<long long>() > max) {
        throw UsageError("--" + flag + ": " + key + " must be an integer from 0 to " +
                         std::to_string(max));
      }
    }
  }
  return strategy;
}

ServiceDescription DescribeService(AwsJsonService& ecs, const std::string& cluster,
                                   const std::string& service) {
  json response = ecs.Call("DescribeServices", {{"cluster", cluster}, {"services", {service}}});
  ServiceDescription out;
  const json& services = response.contains("services") ? response["services"] : json::array();
  if (!services.is_array() || services.empty()) {
    out.not_usable_why = "MISSING";
    if (response.contains("failures") && response["failures"].is_array() &&
        !response["failures"].empty()) {
      std::string reason = JsonString(response["failures"][0], "reason");
      if (!reason.empty()) out.not_usable_why = reason;
    }
    return out;
  }
  const json& s = services[0];
  out.arn = JsonString(s, "serviceArn");
  out.status = JsonString(s, "status");
  out.task_definition = JsonString(s, "taskDefinition");
  out.platform_version = JsonString(s, "platformVersion");
  if (s.contains("capacityProviderStrategy") && s["capacityProviderStrategy"].is_array() &&
      !s["capacityProviderStrategy"].empty()) {
    out.capacity_provider_strategy = s["capacityProviderStrategy"];
  } else {
    out.launch_type = JsonString(s, "launchType");
  }
  if (s.contains("networkConfiguration") && s["networkConfiguration"].is_object() &&
      s["networkConfiguration"].contains("awsvpcConfiguration")) {
    const json& vpc = s["networkConfiguration"]["awsvpcConfiguration"];
    AwsvpcSettings settings;
    if (vpc.contains("subnets") && vpc["subnets"].is_array()) {
      for (const auto& v : vpc["subnets"]) {
        if (v.is_string()) settings.subnets.push_back(v.get<std::string>());
      }
    }
    if (vpc.contains("securityGroups") && vpc["securityGroups"].is_array()) {
      for (const auto& v : vpc["securityGroups"]) {
        if (v.is_string()) settings.security_groups.push_back(v.get<std::string>());
      }
    }
    settings.assign_public_ip = JsonString(vpc, "assignPublicIp");
    out.awsvpc = settings;
  }
  if (out.status == "INACTIVE") {
    out.not_usable_why = "INACTIVE";
  } else {
    out.usable = true;
  }
  return out;
}

json DescribeTaskDefinition(AwsJsonService& ecs, const std::string& task_definition) {
  json response = ecs.Call("DescribeTaskDefinition", {{"taskDefinition", task_definition}});
  if (!response.contains("taskDefinition") || !response["taskDefinition"].is_object()) {
    throw Error("ECS DescribeTaskDefinition returned no task definition for " + task_definition);
  }
  return response["taskDefinition"];
}

std::vector<std::string> ContainerNames(const json& task_definition, bool essential_only) {
  std::vector<std::string> names;
  if (!task_definition.contains("containerDefinitions") ||
      !task_definition["containerDefinitions"].is_array()) {
    return names;
  }
  for (const auto& c : task_definition["containerDefinitions"]) {
    std::string name = JsonString(c, "name");
    if (name.empty()) continue;
    bool essential =
        !(c.contains("essential") && c["essential"].is_boolean() && !c["essential"].get<bool>());
    if (essential_only && !essential) continue;
    names.push_back(name);
  }
  return names;
}

std::string SelectContainer(const json& task_definition, const std::string& requested) {
  std::vector<std::string> all = ContainerNames(task_definition);
  std::string family = JsonString(task_definition, "family");
  if (!requested.empty()) {
    if (std::find(all.begin(), all.end(), requested) != all.end()) return requested;
    throw Error("container '" + requested + "' is not in task definition " + family +
                "; its containers are: " + JoinNames(all));
  }
  std::vector<std::string> essential = ContainerNames(task_definition, true);
  if (essential.size() == 1) return essential[0];
  if (essential.empty()) {
    throw Error("task definition " + family + " has no essential container; pass --container (" +
                JoinNames(all) + ")");
  }
  throw Error("task definition " + family + " has " + std::to_string(essential.size()) +
              " essential containers (" + JoinNames(essential) +
              "); pass --container to choose the one that runs the command");
}

std::string NetworkMode(const json& task_definition) {
  std::string mode = JsonString(task_definition, "networkMode");
  return mode.empty() ? "bridge" : mode;
}

std::string Sha256Hex(const std::string& data) {
  unsigned char digest[SHA256_DIGEST_LENGTH];
  SHA256(reinterpret_cast<const unsigned char*>(data.data()), data.size(), digest);
  std::string hex;
  char buf[3];
  for (unsigned char b : digest) {
    std::snprintf(buf, sizeof buf, "%02x", b);
    hex += buf;
  }
  return hex;
}

std::string DeriveClientToken(const Environment& env, Random& random,
                              const ClientTokenParts& parts) {
  std::string run_id = env.GetOr("GITHUB_RUN_ID");
  if (run_id.empty()) return random.Hex(32);
  // Length-prefixed fields, so no two different inputs join to the same text.
  std::string material = "ecsmig-client-token-v1";
  auto add = [&](const std::string& field) {
    material += "\n" + std::to_string(field.size()) + ":" + field;
  };
  add(env.GetOr("GITHUB_REPOSITORY"));
  add(run_id);
  add(env.GetOr("GITHUB_RUN_ATTEMPT", "1"));
  add(env.GetOr("GITHUB_JOB"));
  add(env.GetOr("GITHUB_ACTION"));
  add(parts.cluster);
  add(parts.task_definition_family);
  add(parts.container);
  add(parts.command_json);
  add(parts.started_by);
  add(parts.run_task_request);
  return Sha256Hex(material);  // 64 hex characters: RunTask's limit exactly
}

void MaskOverrideEnvironment(const json& task, Logger& log) {
  auto overrides = task.find("overrides");
  if (overrides == task.end() || !overrides->is_object()) return;
  auto containers = overrides->find("containerOverrides");
  if (containers == overrides->end() || !containers->is_array()) return;
  for (const auto& container : *containers) {
    auto environment = container.is_object() ? container.find("environment") : container.end();
    if (!container.is_object() || environment == container.end() || !environment->is_array())
      continue;
    for (const auto& pair : *environment) {
      std::string name = JsonString(pair, "name");
      std::string value = JsonString(pair, "value");
      if (name == kClientTokenEnv || value.empty()) continue;
      log.AddMask(value);
    }
  }
}

std::optional<json> DescribeOneTask(AwsJsonService& ecs, const std::string& cluster,
                                    const std::string& task, std::string* failure_reason,
                                    bool include_tags) {
  json request{{"cluster", cluster}, {"tasks", {task}}};
  if (include_tags) request["include"] = {"TAGS"};
  json response = ecs.Call("DescribeTasks", request);
  if (response.contains("tasks") && response["tasks"].is_array() && !response["tasks"].empty() &&
      response["tasks"][0].is_object()) {
    return response["tasks"][0];
  }
  if (failure_reason) {
    *failure_reason = "MISSING";
    if (response.contains("failures") && response["failures"].is_array() &&
        !response["failures"].empty()) {
      std::string reason = JsonString(response["failures"][0], "reason");
      if (!reason.empty()) *failure_reason = reason;
    }
  }
  return std::nullopt;
}

std::chrono::milliseconds MissingBackoff(int attempts_so_far) {
  std::chrono::milliseconds pause(1000);
  for (int i = 0; i < attempts_so_far && pause < std::chrono::milliseconds(6000); ++i) pause *= 2;
  return std::min(pause, std::chrono::milliseconds(6000));
}

std::optional<json> DescribeTaskWithinGrace(ToolRun& run, AwsJsonService& ecs,
                                            const std::string& cluster, const std::string& task,
                                            std::chrono::milliseconds grace,
                                            const std::string& grace_flag,
                                            const SleepUntilFn& sleep_until) {
  using std::chrono::milliseconds;
  Clock& clock = run.ctx().clock;
  const auto first_missing = clock.Monotonic();
  for (int attempts = 0;; ++attempts) {
    std::string failure;
    std::optional<json> answer = DescribeOneTask(ecs, cluster, task, &failure);
    if (answer) return answer;
    auto missing_for = std::chrono::duration_cast<milliseconds>(clock.Monotonic() - first_missing);
    if (failure != "MISSING" || missing_for >= grace) {
      throw Error("task " + task + " is not known to cluster " + cluster + " (" + failure +
                  (failure == "MISSING" ? " for " + FormatDuration(missing_for) : "") +
                  "): check --cluster and --task");
    }
    if (attempts == 0) {
      run.log().Info("task " + task +
                     " is not visible yet (MISSING: ECS is eventually consistent right after "
                     "RunTask); asking again for up to " +
                     grace_flag + " " + FormatDuration(grace));
    }
    milliseconds pause =
        std::max(std::min(MissingBackoff(attempts), grace - missing_for), milliseconds(1));
    const auto wake = clock.Monotonic() + pause;
    if (sleep_until) {
      if (!sleep_until(wake)) return std::nullopt;
    } else {
      clock.SleepFor(pause);
      if (CancelSignal() != 0) return std::nullopt;
    }
  }
}

std::vector<std::string> ListRunningTasks(AwsJsonService& ecs, const std::string& cluster,
                                          const std::string& started_by) {
  std::vector<std::string> arns;
  std::string next;
  for (int page = 0; page < 1000; ++page) {
    json request{{"cluster", cluster}, {"startedBy", started_by}, {"desiredStatus", "RUNNING"}};
    if (!next.empty()) request["nextToken"] = next;
    json response = ecs.Call("ListTasks", request);
    if (response.contains("taskArns") && response["taskArns"].is_array()) {
      for (const auto& a : response["taskArns"]) {
        if (a.is_string()) arns.push_back(a.get<std::string>());
      }
    }
    next = JsonString(response, "nextToken");
    if (next.empty()) break;
  }
  return arns;
}

std::vector<json> DescribeTasks(AwsJsonService& ecs, const std::string& cluster,
                                const std::vector<std::string>& arns) {
  std::vector<json> tasks;
  for (size_t i = 0; i < arns.size(); i += 100) {
    json batch = json::array();
    for (size_t j = i; j < arns.size() && j < i + 100; ++j) batch.push_back(arns[j]);
    json response =
        ecs.Call("DescribeTasks", {{"cluster", cluster}, {"tasks", batch}, {"include", {"TAGS"}}});
    if (response.contains("tasks") && response["tasks"].is_array()) {
      for (const auto& t : response["tasks"]) {
        if (t.is_object()) tasks.push_back(t);
      }
    }
  }
  return tasks;
}

constexpr double kYear2200EpochSeconds = 7258118400.0;

std::optional<double> TaskTimestamp(const json& task, const char* field) {
  if (!task.is_object() || !task.contains(field)) return std::nullopt;
  const json& v = task[field];
  if (!v.is_number()) return std::nullopt;
  // Epoch seconds between 1970 and 2200, like every timestamp we parse: a
  // value beyond (a malformed answer) would only feed garbage to durations.
  double seconds = v.get<double>();
  if (!(seconds >= 0 && seconds < kYear2200EpochSeconds)) return std::nullopt;
  return seconds;
}

std::optional<double> ContainersExitedAt(const nlohmann::json& task) {
  std::optional<double> exited = TaskTimestamp(task, "executionStoppedAt");
  return exited ? exited : TaskTimestamp(task, "stoppedAt");
}

bool CreatedBefore(const json& a, const json& b) {
  double ta = TaskTimestamp(a, "createdAt").value_or(0);
  double tb = TaskTimestamp(b, "createdAt").value_or(0);
  if (ta != tb) return ta < tb;
  return JsonString(a, "taskArn") < JsonString(b, "taskArn");
}

std::string TaskTag(const json& task, const std::string& key) {
  if (!task.contains("tags") || !task["tags"].is_array()) return "";
  for (const auto& tag : task["tags"]) {
    if (JsonString(tag, "key") == key) return JsonString(tag, "value");
  }
  return "";
}

const char* TaskResultName(TaskResult result) {
  switch (result) {
    case TaskResult::kSuccess:
      return "success";
    case TaskResult::kFailed:
      return "failed";
    case TaskResult::kInfraFailure:
      return "infra-failure";
    case TaskResult::kStoppedFromOutside:
      return "stopped";
  }
  return "failed";
}

std::optional<int> ContainerExitCode(const json& container) {
  std::optional<long long> code = JsonIntegerField(container, "exitCode");
  if (!code || *code < std::numeric_limits<int>::min() || *code > std::numeric_limits<int>::max())
    return std::nullopt;
  return static_cast<int>(*code);
}

bool EveryContainerExitedZero(const json& task) {
  if (!task.is_object() || !task.contains("containers") || !task["containers"].is_array() ||
      task["containers"].empty())
    return false;
  for (const auto& c : task["containers"]) {
    if (ContainerExitCode(c) != 0) return false;
  }
  return true;
}

namespace {

// A stopped task's containers as the classifier reads them.
struct StoppedContainers {
  std::vector<json> all;
  // Which containers decide: the chosen one, else the essential ones (every
  // container when the task definition said nothing).
  std::vector<std::string> deciding;

  const json* Find(const std::string& name) const {
    for (const auto& c : all) {
      if (JsonString(c, "name") == name) return &c;
    }
    return nullptr;
  }
  bool IsDeciding(const std::string& name) const {
    return std::find(deciding.begin(), deciding.end(), name) != deciding.end();
  }
};

StoppedContainers ReadStoppedContainers(const json& task, const std::vector<std::string>& essential,
                                        const std::string& container) {
  StoppedContainers out;
  if (task.contains("containers") && task["containers"].is_array()) {
    for (const auto& c : task["containers"]) {
      if (c.is_object()) out.all.push_back(c);
    }
  }
  if (!container.empty()) {
    out.deciding.push_back(container);
  } else if (!essential.empty()) {
    out.deciding = essential;
  } else {
    for (const auto& c : out.all) out.deciding.push_back(JsonString(c, "name"));
  }
  return out;
}

// A container whose reason says the platform, not the command, failed.
struct InfraContainerReason {
  std::string container;
  std::string reason;  // "" when no container has one
};

// The last container with an infrastructure reason, or the first deciding
// one with such a reason when there is one.
InfraContainerReason FindInfraContainerReason(const StoppedContainers& containers) {
  InfraContainerReason found;
  for (const auto& c : containers.all) {
    std::string reason = JsonString(c, "reason");
    if (IsInfraReason(reason)) {
      found.container = JsonString(c, "name");
      found.reason = reason;
      // Prefer a deciding container's reason when several have one.
      if (containers.IsDeciding(found.container)) break;
    }
  }
  return found;
}

// The task failed to start, or the platform ended it (by its stop code or reason).
bool IsInfraStop(const std::string& stop_code, const std::string& stopped_reason) {
  return stop_code == kFailedToStartStopCode || IsInfraReason(stopped_reason);
}

void SetInfraFailure(const StoppedContainers& containers, const InfraContainerReason& infra,
                     TaskOutcome& out) {
  out.result = TaskResult::kInfraFailure;
  out.exit_code = kExitInfra;
  out.container = infra.container;
  out.container_reason = infra.reason;
  if (!infra.container.empty()) {
    if (const json* c = containers.Find(infra.container)) {
      out.container_exit_code = ContainerExitCode(*c);
    }
  }
  out.explanation = "stopCode " + (out.stop_code.empty() ? std::string("(none)") : out.stop_code) +
                    ", stoppedReason: " +
                    (out.stopped_reason.empty() ? std::string("(none)") : out.stopped_reason);
  if (!infra.reason.empty()) {
    out.explanation += "; container " + infra.container + ": " + infra.reason;
  }
}

// The first deciding container that did not exit 0 (missing, no exit code, or
// another code) decides a failure; false when every one exited 0.
bool SetFirstContainerFailure(const StoppedContainers& containers, TaskOutcome& out) {
  for (const auto& name : containers.deciding) {
    const json* c = containers.Find(name);
    std::optional<int> code = c ? ContainerExitCode(*c) : std::nullopt;
    if (code && *code == 0) continue;
    out.container = name;
    out.container_reason = c ? JsonString(*c, "reason") : "";
    out.container_exit_code = code;
    out.result = TaskResult::kFailed;
    if (!c) {
      out.exit_code = kExitFailed;
      out.explanation = "container " + name + " is not in the stopped task";
    } else if (!code) {
      out.exit_code = kExitFailed;
      out.explanation = "container " + name + " stopped without an exit code" +
                        (out.container_reason.empty() ? "" : " (" + out.container_reason + ")") +
                        "; a missing exit code is not success";
    } else {
      // Exit codes travel as the process's own; anything outside 1..255 becomes 1.
      out.exit_code = (*code >= 1 && *code <= 255) ? *code : kExitFailed;
      out.explanation = "container " + name + " exited with code " + std::to_string(*code) +
                        (out.container_reason.empty() ? "" : " (" + out.container_reason + ")");
    }
    return true;
  }
  return false;
}

// Every deciding container exited 0: success, unless there were none to decide.
void SetSuccess(const StoppedContainers& containers, TaskOutcome& out) {
  const std::vector<std::string>& deciding = containers.deciding;
  if (deciding.empty()) {
    out.result = TaskResult::kFailed;
    out.exit_code = kExitFailed;
    out.explanation = "the stopped task reports no containers";
    return;
  }
  out.result = TaskResult::kSuccess;
  out.exit_code = kExitOk;
  out.container = deciding.size() == 1 ? deciding[0] : "";
  out.container_exit_code = 0;
  out.explanation = deciding.size() == 1 ? "container " + deciding[0] + " exited with code 0"
                                         : "every essential container exited with code 0";
}

// The deciding container whose exit code a stop from outside reports: the
// first that exited non-zero, else the first that exited at all; nullptr when
// none has an exit code.
const json* ReportedContainer(const StoppedContainers& containers) {
  const json* reported = nullptr;
  for (const auto& name : containers.deciding) {
    const json* c = containers.Find(name);
    std::optional<int> code = c ? ContainerExitCode(*c) : std::nullopt;
    if (!code) continue;
    if (*code != 0) return c;
    if (!reported) reported = c;
  }
  return reported;
}

// Whatever the containers said (a reason stays), the result is
// kStoppedFromOutside, exit 125: the command did not finish on its own.
void SetStoppedFromOutside(const StoppedContainers& containers, const std::string& stopper,
                           TaskOutcome& out) {
  out.result = TaskResult::kStoppedFromOutside;
  out.exit_code = kExitInfra;
  out.stopped_by = stopper;
  out.container_exit_code.reset();
  if (const json* c = ReportedContainer(containers)) {
    out.container = JsonString(*c, "name");
    out.container_exit_code = ContainerExitCode(*c);
  }
  out.explanation =
      "the task was stopped from outside by " + stopper + " (stopCode " + out.stop_code +
      "): " + (out.stopped_reason.empty() ? "(no reason given)" : out.stopped_reason) +
      (out.container_exit_code
           ? "; the container then exited with code " + std::to_string(*out.container_exit_code)
           : "");
}

}  // namespace

std::string OutsideStopper(const std::string& stop_code) {
  if (stop_code == "UserInitiated") return "a person or program calling StopTask";
  if (stop_code == "ServiceSchedulerInitiated") return "the ECS service scheduler";
  if (stop_code == "SpotInterruption")
    return "a Fargate Spot interruption (AWS took the capacity back)";
  if (stop_code == "TerminationNotice")
    return "AWS (a termination notice: maintenance or retirement of the underlying "
           "infrastructure, or a Fargate Spot task's two-minute warning)";
  if (stop_code == "InfrastructureHealth")
    return "AWS (the infrastructure under the task was unhealthy)";
  // Every code ECS documents besides these two names a stop the task did not
  // make by exiting; AWS adds codes (InfrastructureHealth came after the
  // botocore this was written against), so an unknown one is a stop from
  // outside too: never success.
  if (stop_code.empty() || stop_code == "EssentialContainerExited" ||
      stop_code == kFailedToStartStopCode) {
    return "";
  }
  return "ECS (stopCode " + stop_code + ", a code ecsmig does not know)";
}

TaskOutcome ClassifyStoppedTask(const json& task, const std::vector<std::string>& essential,
                                const std::string& container) {
  TaskOutcome out;
  out.stop_code = JsonString(task, "stopCode");
  out.stopped_reason = JsonString(task, "stoppedReason");
  const StoppedContainers containers = ReadStoppedContainers(task, essential, container);
  // Infrastructure first: the task failed to start, or the platform ended it.
  const InfraContainerReason infra = FindInfraContainerReason(containers);
  if (IsInfraStop(out.stop_code, out.stopped_reason) || !infra.reason.empty()) {
    SetInfraFailure(containers, infra, out);
  } else if (!SetFirstContainerFailure(containers, out)) {
    SetSuccess(containers, out);
  }
  // A stop from outside keeps what the containers said (a reason, an exit
  // code) but is never success: the command did not finish on its own.
  const std::string stopper = OutsideStopper(out.stop_code);
  if (!stopper.empty()) SetStoppedFromOutside(containers, stopper, out);
  return out;
}

}  // namespace ecsmig
