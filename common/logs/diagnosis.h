// What went wrong and what to do about it (#17): reads a task's log lines as
// they stream and, at the end, the task's stop reasons, and recognises the
// failures a migration task meets most (Prisma's P3009, P3018, P1001, P1002,
// P1000, P3005, in the native engine's words and in the driver adapter's;
// ECS's CannotPullContainerError, ResourceInitializationError,
// OutOfMemoryError). Unknown failures get no guess. Also times the
// migrations the log says were applied (migration_timing.h).
#pragma once

#include <nlohmann/json.hpp>
#include <string>
#include <string_view>
#include <vector>

#include "common/logs/migration_timing.h"

namespace ecsmig {

class OutputWriter;
class Logger;

struct Diagnosis {
  std::string id;         // stable: "prisma:P3009", "ecs:OutOfMemoryError"; "" when none
  std::string cause;      // one line: what went wrong
  std::string action;     // one line: what to do
  std::string doc_url;    // the documentation page about it
  std::string migration;  // the migration it names, when it names one
  std::string detail;     // the database's or ECS's own words, when given
  bool empty() const { return id.empty(); }
};

// "cause. action. See URL" on one line; "" for no diagnosis.
std::string DiagnosisMessage(const Diagnosis& diagnosis);

// A log line as text: colour codes and other escape sequences removed, no CR.
std::string PlainLogLine(std::string_view line);

// Recognises Prisma's failures in log lines. An error line is recognised only
// where Prisma prints it (a line starting `Error: P3009`, `Error: external
// connector error`, ...), so a migration named `p3009_fix` or a line quoting
// a code is not. The last error recognised wins (an unknown Prisma code
// clears it); its details (the migration, the database's error) are picked
// from the lines that follow, wherever other output interleaves them.
class PrismaLogDiagnoser {
 public:
  void AddLine(std::string_view plain_line);
  Diagnosis Result() const;

 private:
  void Start(const std::string& code, bool adapter_form);
  void AddDetail(std::string_view trimmed);

  std::string code_;  // "P3009", ... ; "" when none
  std::string migration_;
  std::string host_;
  std::string database_error_code_;
  std::string database_error_;
  bool advisory_lock_ = false;
  bool database_error_next_ = false;  // the next non-empty line is the database's error
};

// Recognises ECS's reasons for stopping a task in a DescribeTasks task object
// (stoppedReason, and each container's reason); an empty Diagnosis otherwise.
Diagnosis DiagnoseStoppedTask(const nlohmann::json& task);

// Everything one run learns from a task's log and stop reasons: wait-task
// --follow-logs and fetch-logs feed it each printed event, then the task.
class TaskLogAnalysis {
 public:
  // One log event (its message may hold several lines) with its time.
  void AddLogEvent(std::string_view message, long long timestamp_ms);
  // The task as DescribeTasks last described it (stop reasons); null is ignored.
  void AddTask(const nlohmann::json& task);

  // ECS's stop reasons win: they say why the task ended; then the log's,
  // unless the task stopped with every container's exit code 0.
  Diagnosis Result() const;
  std::vector<AppliedMigration> AppliedMigrations() const { return timer_.Applied(); }

  // diagnosis and diagnosis_message; with `log_read`, also applied_migrations
  // and applied_migrations_json (empty and [] when there is nothing to say).
  void WriteOutputs(OutputWriter& outputs, bool log_read) const;
  // Says the diagnosis on standard error (an annotation in Actions).
  void Report(Logger& log) const;
  // What leads the step summary: for a failed run the diagnosis (then the
  // migrations that did apply), for a successful one the migrations table.
  std::string SummaryMarkdown(bool failed) const;

 private:
  PrismaLogDiagnoser prisma_;
  MigrationTimer timer_;
  nlohmann::json task_;
};

}  // namespace ecsmig
