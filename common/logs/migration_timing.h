// Which migrations a `prisma migrate deploy` log says were applied, in order,
// and how long each took, from the log events' own timestamps (#17).
//
// Prisma's lines, as it prints them:
//   Applying migration `20240101000000_init`          (the native schema engine)
//   {"level":"INFO","fields":{"message":"Applying `20240101000000_init`",...}
//                       (the schema engine's own log: the WebAssembly engine
//                        prints only this, with DEBUG=prisma:schemaEngine*)
//   The following migration(s) have been applied:     (the final summary, a
//   migrations/                                        tree of the applied
//     └─ 20240101000000_init/                          folders)
//       └─ migration.sql
//   All migrations have been successfully applied.
// A migration lasts from its Applying line to the next one; the last, to the
// summary. Without a summary, the last migration started is the one that
// failed (or was cut short), so it is not counted as applied.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace ecsmig {

struct AppliedMigration {
  std::string name;
  std::optional<double> seconds;  // nullopt: the log named it but never timed it
};

class MigrationTimer {
 public:
  // One log line (already stripped of colour codes), with its event's time.
  void AddLine(std::string_view line, long long timestamp_ms);
  // The migrations applied, in the order they were applied.
  std::vector<AppliedMigration> Applied() const;

 private:
  struct Started {
    std::string name;
    long long start_ms;
  };
  std::vector<Started> started_;
  std::optional<long long> end_ms_;  // the summary (or "All migrations ...") line
  std::vector<std::string> summary_names_;
  bool in_summary_ = false;
};

// `[{"name": ..., "seconds": ...}]` (seconds null when unknown).
std::string AppliedMigrationsJson(const std::vector<AppliedMigration>& applied);
// The names, newline-separated.
std::string AppliedMigrationNames(const std::vector<AppliedMigration>& applied);
// A Markdown table of the migrations and their durations, the slowest named;
// "" when none.
std::string AppliedMigrationsMarkdown(const std::vector<AppliedMigration>& applied);

}  // namespace ecsmig
