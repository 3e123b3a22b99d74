// The polling behind wait-task: one method per decision over the state of
// one wait (see WaitForTask in wait_task.h for what it promises).
#pragma once

#include <chrono>
#include <memory>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

#include "common/base/error.h"
#include "common/wait/wait_task.h"

namespace ecsmig {

class TaskWaiter {
 public:
  TaskWaiter(AwsJsonService& ecs, ToolRun& run, const WaitOptions& options,
             const LogFollowerFactory& follower_factory);
  WaitOutcome Wait();

 private:
  using TimePoint = std::chrono::steady_clock::time_point;

  // An answer about our task that passed every check; nullopt when a
  // cancellation signal arrived while backing off.
  std::optional<nlohmann::json> DescribeTrusted();
  // DescribeTasks, backing off while it answers MISSING (up to the grace).
  std::optional<nlohmann::json> DescribeVisible();
  // Why `task` is not to be trusted ("" when it is): another task, a field
  // whose shape ECS does not document, an essential container missing.
  std::string Distrust(const nlohmann::json& task);
  std::string DistrustContainers(const nlohmann::json& task);

  // The first answer: masks, checks --container, starts following logs.
  void OnFirstAnswer();
  void CheckChosenContainer();
  void StartFollowingLogs();
  void ReportStatus(const std::string& status);

  // True when the result is known: STOPPED, or (without --until-stopped)
  // the task is stopping and failed to start or its deciding containers
  // have all exited with a code.
  bool ResultKnown();
  std::vector<std::string> DecidingContainers();
  WaitOutcome Decide();
  std::optional<WaitOutcome> PastDeadline();
  WaitOutcome EndEarly(const std::string& result, int code, const std::string& why, bool stop);
  WaitOutcome Unknown(const Error& error);
  WaitOutcome Finish(WaitOutcome out);
  void StopTheTask(const std::string& why);

  // Sleeps until `wake`, reading the logs meanwhile; false when cancelled.
  bool SleepUntil(TimePoint wake);
  std::chrono::milliseconds Elapsed() const;
  const nlohmann::json& TaskDefinition();
  // The task definition's essential containers; empty when it cannot be read
  // (no ecs:DescribeTaskDefinition: then every container counts).
  const std::vector<std::string>& Essential();
  bool TaskIsEnding() const;

  AwsJsonService& ecs_;
  ToolRun& run_;
  const WaitOptions& options_;
  const LogFollowerFactory& follower_factory_;
  const TimePoint start_;

  nlohmann::json task_;
  std::string last_status_;
  bool first_answer_ = true;
  bool started_ = false;
  std::unique_ptr<TaskLogFollower> follower_;
  std::string task_definition_arn_;                // from the first answer that names it
  std::optional<nlohmann::json> task_definition_;  // described once, when needed
  std::optional<std::vector<std::string>> essential_;
};

}  // namespace ecsmig
