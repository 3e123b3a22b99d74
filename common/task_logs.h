// Following a task's CloudWatch logs while something else waits on the task:
// wait-task --follow-logs drives it between DescribeTasks polls; fetch-logs
// --follow drives it on its own. Implemented in task_logs.cc (fetch-logs work).
#pragma once

#include <chrono>
#include <memory>
#include <string>
#include <vector>

#include "common/aws.h"
#include "common/ecs.h"

namespace ecsmig {

class ToolRun;

struct TaskLogOptions {
  bool timestamps = false;
  std::chrono::milliseconds stream_timeout{120000};  // --stream-timeout
  std::chrono::milliseconds drain_grace{5000};       // after STOPPED, keep reading this long once stable
  long long max_events = -1;                         // --max-events, -1: no limit
  long long since_ms = -1;                           // --since as epoch ms, -1: from the start
  std::string output_file;                           // --output-file, "" for stdout
};

class TaskLogFollower {
 public:
  virtual ~TaskLogFollower() = default;
  // Prints every event that is available now, from every followed stream, in
  // order per stream, each exactly once. Never blocks longer than one round of
  // GetLogEvents calls. A stream that does not exist yet is "not yet".
  virtual void Poll() = 0;
  // The task has stopped: keep reading until every stream's forward token is
  // stable and the grace period has passed (or `deadline`), so the last lines
  // are never lost.
  virtual void Drain(std::chrono::steady_clock::time_point deadline) = 0;
  virtual long long events_printed() const = 0;
  // The last `n` printed lines (redacted), for a failed task's step summary.
  virtual std::vector<std::string> Tail(size_t n) const = 0;
};

// Follows `targets` (containers without awslogs get a notice and a console
// link instead of an error). Logs clients are made per region (awslogs-region
// may differ from the task's) from `settings`.
std::unique_ptr<TaskLogFollower> MakeTaskLogFollower(ToolRun& run, const AwsSettings& settings,
                                                     std::vector<LogTarget> targets,
                                                     const TaskLogOptions& options);

}  // namespace ecsmig
