// wait-task: waits for an ECS task to stop and reports how it ended, with
// the container's exit code as the process's own.
#pragma once

#include <chrono>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "common/ecs/ecs.h"
#include "common/ecs/ecs_task.h"
#include "common/github/cli.h"
#include "common/logs/diagnosis.h"
#include "common/logs/task_logs.h"

namespace ecsmig {

// Builds the log follower for --follow-logs; tests pass a fake one.
using LogFollowerFactory = std::function<std::unique_ptr<TaskLogFollower>(
    ToolRun& run, const AwsSettings& settings, std::vector<LogTarget> targets)>;

// How the wait ended: everything wait-task outputs.
struct WaitOutcome {
  // success, failed, infra-failure, stopped, timeout, cancelled, or unknown
  // (DescribeTasks kept failing: the task may still be running).
  std::string result;
  int exit_code = 1;                // the process's exit code
  std::string task_arn;             // as ECS answered it; "" before any answer
  std::string container_exit_code;  // as ECS reported it, "" when none
  std::string last_status;
  std::string stop_code;
  std::string stopped_reason;
  std::string container_reason;
  std::string stopped_by;  // who stopped the task from outside (result "stopped")
  std::string explanation;
  long long duration_seconds = 0;
  std::vector<std::string> log_tail;  // a failed task's last log lines (with --follow-logs)
};

// Called once the outcome is known (the logs drained, before any output is
// written), with the follower when logs were followed: the place for work
// that reads what the wait saw, such as a diagnosis of the log.
using WaitFinishHook = std::function<void(WaitOutcome& outcome, const TaskLogFollower* follower)>;

struct WaitOptions {
  std::string cluster;
  TaskRef task;
  std::string container;  // "" = every essential container, first non-zero wins
  std::chrono::milliseconds timeout{30 * 60 * 1000};
  std::chrono::milliseconds start_timeout{10 * 60 * 1000};
  // How long DescribeTasks may answer MISSING (eventual consistency right
  // after RunTask) before the task counts as not found.
  std::chrono::milliseconds missing_grace{60 * 1000};
  bool until_stopped = false;  // wait for STOPPED, not only the containers' exit
  bool stop_on_timeout = false;
  bool stop_on_cancel = false;
  bool follow_logs = false;
  AwsSettings aws;  // for the log follower's own clients
  WaitFinishHook on_finish;
  TaskLogAnalysis* analysis = nullptr;  // fed each followed event and each described task
};

// How long wait-task waits after a DescribeTasks answer before the next call:
// 6 s plus up to 250 ms of jitter (so many CI jobs do not poll in step).
// `aws ecs wait tasks-stopped` calls at once, then sleeps 6 s after each
// answer; so does wait-task, and its jitter only delays. Started together
// against the same server, wait-task's k-th call is never earlier than the
// waiter's, so it notices any stop with at most as many calls (the issue's
// "never more calls than the waiter"); over a long wait the jitter puts it
// behind. The price: a stop is noticed up to ~6 s late (3 s on average), as
// with the waiter; polling faster would spend an account-wide ECS quota that
// many CI jobs share.
std::chrono::milliseconds PollInterval(Random& random);

// How often --follow-logs reads the logs between two DescribeTasks calls.
constexpr std::chrono::milliseconds kLogPollInterval{2000};

// Polls DescribeTasks until the result is known (every essential container
// exited, the task failed to start, or with until_stopped the task is
// STOPPED), the start timeout or timeout passes, or a cancellation signal
// arrives; stops the task when asked. A task ECS does not know after the
// missing grace, or an answer not to be trusted twice, throws Error (exit 1).
// AWS errors that retries did not cure end the wait as result "unknown".
WaitOutcome WaitForTask(AwsJsonService& ecs, ToolRun& run, const WaitOptions& options,
                        const LogFollowerFactory& follower_factory);

// The reason given to StopTask, naming the workflow run when there is one.
std::string StopReason(const Environment& env, const std::string& why);

// `follower_factory` null: --follow-logs is refused (this build has no log follower).
ToolSpec WaitTaskSpec(AwsClientFactory aws_factory = RealAwsClientFactory(),
                      LogFollowerFactory follower_factory = nullptr);

}  // namespace ecsmig
