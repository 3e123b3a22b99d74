// run-migration-task: starts one one-off ECS task (normally from the service's
// own task definition) with the container's command overridden, one
// migration at a time per --started-by group.
#pragma once

#include <chrono>
#include <nlohmann/json.hpp>
#include <string>
#include <utility>
#include <vector>

#include "common/ecs/ecs_task.h"
#include "common/ecs/resolve_network.h"
#include "common/github/cli.h"

namespace ecsmig {

// The start of the reason given to StopTask when a task lost the race to an
// older task of the same group.
inline constexpr const char* kRaceStopReason = "ecsmig: stopped before running";

enum class IfRunning { kWait, kFail, kIgnore };

// Everything run-migration-task was asked to do, validated.
struct MigrationRequest {
  LaunchInputs launch;
  std::string container;   // "" = the only essential container
  nlohmann::json command;  // array of strings, or null: keep the image's
  std::vector<std::pair<std::string, std::string>> env;
  std::vector<std::pair<std::string, std::string>> tags;
  std::string started_by = "ecsmig";
  std::string client_token;  // "" = derive
  IfRunning if_running = IfRunning::kWait;
  std::chrono::milliseconds wait_timeout{30 * 60 * 1000};
  std::chrono::milliseconds poll_interval{5000};
  // How long capacity failures (nothing started) are retried: --start-retry-for.
  std::chrono::milliseconds start_retry_for{2 * 60 * 1000};
  bool stop_on_cancel = false;
  bool dry_run = false;
};

// --command: a JSON array of strings (text starting with '['), or a string run
// by `sh -c`. On error (malformed array, empty), throws UsageError.
nlohmann::json ParseCommand(const std::string& text);

// --started-by: 1..128 of [A-Za-z0-9_/-]. On error, throws UsageError.
std::string ValidateStartedBy(const std::string& value);
// --client-token: 1..64 printable ASCII characters. On error, throws UsageError.
std::string ValidateClientToken(const std::string& value);

// The RunTask request for `launch` and `request` (token included). `env`
// values are real; mask them before printing (MaskedRunTaskRequest).
nlohmann::json BuildRunTaskRequest(const MigrationRequest& request, const ResolvedLaunch& launch,
                                   const std::string& container, const std::string& client_token);
// The same request with every environment override value replaced by ***.
nlohmann::json MaskedRunTaskRequest(nlohmann::json run_task_request);

// What was started.
struct StartedTask {
  nlohmann::json task;  // RunTask's task object
  std::string task_arn;
  std::string task_id;
  bool reused = false;  // the client token returned a task an earlier try started
};

// True for a RunTask failure reason that says there was no capacity
// ("Capacity is unavailable at this time...", RESOURCE:CPU, RESOURCE:MEMORY,
// ...): nothing was started, so RunTask may be asked again.
bool IsCapacityFailure(const std::string& reason);

// Starts the task: waits for (or refuses, or ignores) other running tasks of
// the group, calls RunTask, then checks no older task of the group started
// concurrently; a younger task stops itself before its command runs and, with
// --if-running wait, tries again after the older one stops. Capacity failures
// are retried with backoff for up to request.start_retry_for; other RunTask
// failures (and capacity failures that outlast it) throw Error with their
// reason and ARN. A cancel signal that arrives while RunTask starts a task
// returns that task (without the race check), so its outputs get written.
StartedTask StartMigrationTask(AwsJsonService& ecs, ToolRun& run, const MigrationRequest& request,
                               const nlohmann::json& run_task_request);

ToolSpec RunMigrationTaskSpec(AwsClientFactory aws_factory = RealAwsClientFactory());

}  // namespace ecsmig
