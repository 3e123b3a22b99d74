// ECS helpers shared by resolve-network, run-migration-task and wait-task:
// reading a service and a task definition, choosing the container, building
// the network configuration RunTask takes, deriving an idempotency token, and
// deciding how a stopped task ended.
#pragma once

#include <chrono>
#include <functional>
#include <memory>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

#include "common/aws/aws.h"
#include "common/base/env.h"
#include "common/base/json_field.h"
#include "common/base/random.h"
#include "common/github/github.h"

namespace ecsmig {

class ToolRun;

// Builds the AWS client a tool calls; tests pass one that returns a FakeAws.
using AwsClientFactory = std::function<std::unique_ptr<AwsJsonService>(
    AwsService service, const AwsSettings& settings, ToolRun& run)>;
// The real one: MakeAwsJsonService.
AwsClientFactory RealAwsClientFactory();

// ---- Network configuration ---------------------------------------------------

// The awsvpcConfiguration of RunTask's networkConfiguration.
struct AwsvpcSettings {
  std::vector<std::string> subnets;
  std::vector<std::string> security_groups;
  std::string assign_public_ip;  // "ENABLED", "DISABLED" or "" (not said)
};

// "subnet-0abc" → unchanged. On a malformed id, throws UsageError naming `flag`.
std::string ValidateSubnetId(const std::string& id, const std::string& flag = "subnets");
std::string ValidateSecurityGroupId(const std::string& id,
                                    const std::string& flag = "security-groups");
// "ENABLED"/"DISABLED" (case-insensitive input, upper-case result). On error, throws UsageError.
std::string ValidateAssignPublicIp(const std::string& value,
                                   const std::string& flag = "assign-public-ip");

// {"awsvpcConfiguration": {"subnets": [...], "securityGroups": [...],
// "assignPublicIp": ...}}; empty lists and an unset assignPublicIp are left out.
nlohmann::json BuildNetworkConfiguration(const AwsvpcSettings& settings);

// Reads a networkConfiguration object (a service's, or --network-configuration
// text already parsed). Validates every id. On error, throws UsageError naming `flag`.
AwsvpcSettings ParseNetworkConfiguration(const nlohmann::json& network_configuration,
                                         const std::string& flag = "network-configuration");

// --capacity-provider-strategy JSON: a non-empty array of
// {"capacityProvider": str, "weight"?: 0..1000, "base"?: 0..100000}.
// On error, throws UsageError.
nlohmann::json ParseCapacityProviderStrategy(
    const std::string& text, const std::string& flag = "capacity-provider-strategy");

// ---- Services and task definitions -----------------------------------------

// What DescribeServices says about one service.
struct ServiceDescription {
  bool usable = false;         // found and not INACTIVE
  std::string not_usable_why;  // "MISSING", "INACTIVE", ... when !usable
  std::string arn;
  std::string status;  // ACTIVE, DRAINING, INACTIVE
  std::string task_definition;
  std::string launch_type;                    // "" when a strategy is used
  nlohmann::json capacity_provider_strategy;  // array, or null
  std::string platform_version;
  std::optional<AwsvpcSettings> awsvpc;  // the service's awsvpcConfiguration, if any
};

// Calls DescribeServices for one service. A service in `failures` or with
// status INACTIVE comes back with usable=false, not as an error. AWS errors
// propagate as AwsError.
ServiceDescription DescribeService(AwsJsonService& ecs, const std::string& cluster,
                                   const std::string& service);

// Calls DescribeTaskDefinition; returns the "taskDefinition" object. A
// response without one throws Error.
nlohmann::json DescribeTaskDefinition(AwsJsonService& ecs, const std::string& task_definition);

// Names of the task definition's containers, in order (essential_only: only
// those with essential true or unset, as ECS defaults essential to true).
std::vector<std::string> ContainerNames(const nlohmann::json& task_definition,
                                        bool essential_only = false);

// `requested` when the task definition has it; else, when `requested` is
// empty, its only essential container. Otherwise throws Error listing the
// container names and saying to pass --container.
std::string SelectContainer(const nlohmann::json& task_definition, const std::string& requested);

// The task definition's networkMode ("bridge" when unset, as ECS defaults on EC2).
std::string NetworkMode(const nlohmann::json& task_definition);

// ---- Client tokens -----------------------------------------------------------

// Inputs to RunTask's idempotency token.
struct ClientTokenParts {
  std::string cluster;
  std::string task_definition_family;
  std::string container;
  std::string command_json;  // the override as JSON, "" for none
  std::string started_by;
  // The whole RunTask request without its token (canonical JSON): network,
  // launch settings, every override, tags, group. Matrix legs that start
  // different tasks (another cluster, another env value) never share a token.
  std::string run_task_request;
};

// Inside GitHub Actions (GITHUB_RUN_ID set): the hex SHA-256 of the run id,
// run attempt, job, step id (GITHUB_ACTION) and `parts`, so a step that runs
// again within the same attempt (a retry wrapper, a crashed runner process
// retried) gets the same token and ECS returns the task it already started.
// A re-run of the job increments GITHUB_RUN_ATTEMPT and starts a new task on
// purpose. Outside Actions: 64 random hex characters.
std::string DeriveClientToken(const Environment& env, Random& random,
                              const ClientTokenParts& parts);

// Lowercase hex SHA-256 of `data`.
std::string Sha256Hex(const std::string& data);

// ---- Tasks -------------------------------------------------------------------

// DescribeTasks for one task. Returns the task object, or nullopt when ECS
// reports it in `failures` (e.g. MISSING); `failure_reason` then holds the reason.
std::optional<nlohmann::json> DescribeOneTask(AwsJsonService& ecs, const std::string& cluster,
                                              const std::string& task,
                                              std::string* failure_reason = nullptr,
                                              bool include_tags = false);

// The pause before asking again while DescribeTasks answers MISSING: 1 s,
// then doubling, never more than 6 s (the RunTask API reference asks callers
// to back off from a couple of seconds).
std::chrono::milliseconds MissingBackoff(int attempts_so_far);

// Sleeps until a monotonic time point; false when a cancellation signal arrived.
using SleepUntilFn = std::function<bool(std::chrono::steady_clock::time_point)>;

// DescribeOneTask, asking again with MissingBackoff while ECS answers MISSING
// (DescribeTasks is eventually consistent right after RunTask) for up to
// `grace` (named `grace_flag` in the log). Returns nullopt when `sleep_until`
// (default: the clock's sleep, then CancelSignal) reports a cancellation. A
// task still MISSING after the grace, or another failure reason, throws Error
// ("task ... is not known to cluster ..."); AWS errors propagate.
std::optional<nlohmann::json> DescribeTaskWithinGrace(ToolRun& run, AwsJsonService& ecs,
                                                      const std::string& cluster,
                                                      const std::string& task,
                                                      std::chrono::milliseconds grace,
                                                      const std::string& grace_flag,
                                                      const SleepUntilFn& sleep_until = nullptr);

// The environment variable run-migration-task adds to the container's
// overrides with the task's client token. DescribeTasks returns overrides, so
// a later try of the same step recognises its own task (and does not wait
// for itself) without tags, which would need ecs:TagResource.
inline constexpr const char* kClientTokenEnv = "ECSMIG_CLIENT_TOKEN";

// Masks (Logger::AddMask) every environment value of the task's container
// overrides. run-migration-task masked them when it started the task, but
// wait-task and fetch-logs run in other processes: the task's own output may
// print them, so they learn them again from DescribeTasks before printing.
void MaskOverrideEnvironment(const nlohmann::json& task, Logger& log);

// Every task ARN ListTasks returns for (cluster, startedBy, desiredStatus RUNNING),
// following nextToken.
std::vector<std::string> ListRunningTasks(AwsJsonService& ecs, const std::string& cluster,
                                          const std::string& started_by);

// DescribeTasks in batches of 100 (with tags). Tasks reported in `failures`
// are left out (they are gone).
std::vector<nlohmann::json> DescribeTasks(AwsJsonService& ecs, const std::string& cluster,
                                          const std::vector<std::string>& arns);

// A timestamp field (epoch seconds, possibly fractional, as ECS JSON sends
// them) in seconds, or nullopt when absent or not a time between 1970 and 2200.
std::optional<double> TaskTimestamp(const nlohmann::json& task, const char* field);

// When the task's containers exited: executionStoppedAt, else stoppedAt (tens
// of seconds later on Fargate); nullopt while they run. Epoch seconds.
std::optional<double> ContainersExitedAt(const nlohmann::json& task);

// True when task `a` was created before `b` (createdAt, then ARN as the tie-break):
// the order every concurrent caller agrees on.
bool CreatedBefore(const nlohmann::json& a, const nlohmann::json& b);

// The value of tag `key` on a task described with include TAGS, or "".
std::string TaskTag(const nlohmann::json& task, const std::string& key);

enum class TaskResult {
  kSuccess,
  kFailed,
  kInfraFailure,
  // Ended by someone or something outside the task (see OutsideStopper).
  kStoppedFromOutside,
};

// How a STOPPED task ended.
struct TaskOutcome {
  TaskResult result = TaskResult::kFailed;
  int exit_code = 1;      // the tool's exit code: the container's, 1, or 125
  std::string container;  // whose exit code / reason decided
  std::string container_reason;
  std::optional<int> container_exit_code;  // as ECS reported it
  std::string stop_code;
  std::string stopped_reason;
  std::string stopped_by;   // who stopped the task (kStoppedFromOutside only)
  std::string explanation;  // one line for the log and the annotation
};

// Who stops a task with `stop_code` when it is a stop from outside
// (UserInitiated, ServiceSchedulerInitiated, SpotInterruption,
// TerminationNotice, InfrastructureHealth, and any code ECS adds later); ""
// for none, EssentialContainerExited and TaskFailedToStart.
std::string OutsideStopper(const std::string& stop_code);

// A container's exitCode as ECS reported it; nullopt when it has none (or
// one no int holds).
std::optional<int> ContainerExitCode(const nlohmann::json& container);

// True when the task lists containers and every one exited 0: then the task
// succeeded whichever of them are essential, and wait-task needs no task
// definition to say so.
bool EveryContainerExitedZero(const nlohmann::json& task);

// Classifies a STOPPED task. `essential` lists the essential containers (from
// the task definition); `container`, when non-empty, is the one whose exit code
// counts. A stop from outside (OutsideStopper's stop codes) → kStoppedFromOutside,
// exit 125, never success whatever the exit code: the command did not finish
// on its own; container_exit_code is then the deciding containers' first
// non-zero one, else 0. Infrastructure failures (the task never ran its
// command properly: TaskFailedToStart, image pull, resource initialisation,
// out of memory, ...) → kInfraFailure, exit 125. Otherwise the chosen
// container's exit code, or the first essential container's that is non-zero;
// a missing exit code is a failure (exit 1), never success.
TaskOutcome ClassifyStoppedTask(const nlohmann::json& task,
                                const std::vector<std::string>& essential,
                                const std::string& container);

const char* TaskResultName(TaskResult result);

}  // namespace ecsmig
