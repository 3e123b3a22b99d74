// Following a task's CloudWatch logs while something else waits on the task:
// wait-task --follow-logs drives it between DescribeTasks polls; fetch-logs
// --follow drives it on its own. Implemented in task_logs.cc (fetch-logs work).
#pragma once

#include <chrono>
#include <deque>
#include <functional>
#include <memory>
#include <ostream>
#include <string>
#include <vector>

#include "common/aws/aws.h"
#include "common/base/clock.h"
#include "common/ecs/ecs.h"
#include "common/logs/log_stream_reader.h"

namespace ecsmig {

class ToolRun;

using LogEventObserver = std::function<void(const LogEvent&)>;

struct TaskLogOptions {
  bool timestamps = false;
  std::chrono::milliseconds stream_timeout{120000};  // --stream-timeout
  std::chrono::milliseconds drain_grace{5000};  // after STOPPED, keep reading this long once stable
  long long max_events = -1;                    // --max-events, -1: no limit
  long long since_ms = -1;                      // --since as epoch ms, -1: from the start
  std::string output_file;                      // --output-file, "" for stdout

  // Extensions (fetch-logs work); the defaults suit wait-task --follow-logs.
  std::ostream* out = nullptr;  // where lines go without output_file; nullptr: the run's stdout
  std::chrono::milliseconds poll_interval{2000};     // Drain/ReadAll pause between rounds
  std::chrono::milliseconds retry_patience{300000};  // throttled/5xx this long in a row: fail
  double calls_per_second = 5;                       // GetLogEvents budget shared by all streams
  bool fold_groups = true;       // ReadAll: one ::group:: per container in Actions
  size_t tail_lines = 50;        // how many last lines Tail() can return
  std::string task_console_url;  // shown for containers whose logs are not in awslogs
};

// CloudWatch Logs shows a line seconds after the container printed it: the
// awslogs driver sends in batches and ingestion is asynchronous, so the last
// lines (often the error) can arrive after the exit is visible in
// DescribeTasks; users of other ECS runners needed about 10 s
// (apache/airflow#43717). A drain reads at least this long after the exit.
inline constexpr std::chrono::seconds kLogDeliveryAllowance{10};

// The monotonic time before which draining `task`'s logs must not end:
// kLogDeliveryAllowance after its containers exited (executionStoppedAt, else
// stoppedAt, by `clock`'s wall time); now when that is older or unknown.
std::chrono::steady_clock::time_point LogTailNotBefore(const Clock& clock,
                                                       const nlohmann::json& task);

class TaskLogFollower {
 public:
  virtual ~TaskLogFollower() = default;
  // Prints every event that is available now, from every followed stream, in
  // order per stream, each exactly once. Never blocks longer than one round of
  // GetLogEvents calls. A stream that does not exist yet is "not yet".
  virtual void Poll() = 0;
  // The task has stopped: keep reading until every stream's forward token is
  // stable and the grace period has passed, and not before `not_before` (see
  // LogTailNotBefore), or until `deadline`, so the last lines are never lost.
  virtual void Drain(std::chrono::steady_clock::time_point deadline,
                     std::chrono::steady_clock::time_point not_before) = 0;
  virtual long long events_printed() const = 0;
  // The last `n` printed lines (redacted), for a failed task's step summary.
  virtual std::vector<std::string> Tail(size_t n) const = 0;

  // Reads each stream to its current end, one after the other (fetch-logs
  // without --follow), waiting for a missing stream up to stream_timeout.
  virtual void ReadAll() = 0;
  // True when every followed stream was read to a stable end (or --max-events
  // was reached); false when a stream never appeared or a deadline cut reading.
  virtual bool complete() const = 0;
  // One line per stream that was not read to its end, saying why.
  virtual std::vector<std::string> problems() const = 0;
  virtual long long get_log_events_calls() const = 0;
  virtual bool limit_reached() const = 0;
  // Hands every event to `observer` as it is printed (message redacted), so
  // the run's log analysis (diagnosis.h) reads the lines as they stream.
  virtual void ObserveEvents(LogEventObserver observer) { (void)observer; }
};

// Makes the Logs client for a region ("" = the run's default region).
using LogsClientFactory = std::function<std::unique_ptr<AwsJsonService>(const std::string& region)>;

// As below, with clients from `make_client` (tests inject fakes here).
std::unique_ptr<TaskLogFollower> MakeTaskLogFollower(ToolRun& run, LogsClientFactory make_client,
                                                     std::vector<LogTarget> targets,
                                                     const TaskLogOptions& options);

// "2026-01-01T00:00:00.000Z" for epoch milliseconds.
std::string FormatLogTimestamp(long long epoch_ms);

// Writes log events as lines: redacted, optionally time-stamped and prefixed,
// streamed page by page to a file (appended) or a stream. In GitHub Actions,
// output the runner reads is wrapped per page in ::stop-commands::TOKEN ...
// ::TOKEN:: (fresh random token, checked absent from the page), so a log line
// can never run a workflow command (::add-mask::, ::set-output::, or one that
// a CR inside a message would start on its own line). Keeps only the last
// `tail_lines` lines. Not thread-safe.
class LogLinePrinter {
 public:
  LogLinePrinter(ToolRun& run, const TaskLogOptions& options);

  // Prints `events` (one page) in order; stops at max_events. Returns how
  // many were printed.
  size_t Print(const std::string& prefix, const std::vector<LogEvent>& events);
  // A foldable section (::group:: in Actions, a header line on stderr otherwise).
  void StartSection(const std::string& title);
  void EndSection();

  long long printed() const { return printed_; }
  bool limit_reached() const { return max_events_ >= 0 && printed_ >= max_events_; }
  std::vector<std::string> Tail(size_t n) const;
  void set_observer(LogEventObserver observer) { observer_ = std::move(observer); }

 private:
  void Write(const std::string& data);
  bool runner_reads_output() const;

  ToolRun& run_;
  std::ostream& out_;
  std::string output_file_;
  bool timestamps_;
  long long max_events_;
  size_t tail_capacity_;
  std::deque<std::string> tail_;
  long long printed_ = 0;
  bool in_section_ = false;
  LogEventObserver observer_;
};

// Follows `targets` (containers without awslogs get a notice and a console
// link instead of an error). Logs clients are made per region (awslogs-region
// may differ from the task's) from `settings`.
std::unique_ptr<TaskLogFollower> MakeTaskLogFollower(ToolRun& run, const AwsSettings& settings,
                                                     std::vector<LogTarget> targets,
                                                     const TaskLogOptions& options);

}  // namespace ecsmig
