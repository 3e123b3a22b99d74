// Linting Prisma migrations: the migrations already applied are replayed
// into a schema, then each new migration is linted against it, in folder name
// order (the order `prisma migrate deploy` applies them in).
#pragma once

#include <optional>
#include <set>
#include <string>
#include <vector>

#include "common/base/filesystem.h"
#include "common/lint/lint_rules.h"

namespace ecsmig {

struct MigrationSql {
  std::string name;  // the folder name, e.g. "20240101000000_init"
  std::string path;  // the migration.sql, as annotations name it (repository-relative)
  std::string sql;
};

// The migrations of one `<dir>/migrations` folder.
struct MigrationSet {
  std::string migrations_dir;
  // migration_lock.toml's content; nullopt when there is none.
  std::optional<std::string> lock_file;
  std::vector<MigrationSql> applied;  // replayed only, not linted
  std::vector<MigrationSql> linted;   // linted, each after the ones before it
};

// The provider a migration_lock.toml names (`provider = "postgresql"`), or ""
// when it names none.
std::string LockFileProvider(const std::string& toml);

struct MigrationFinding {
  std::string rule;
  RuleClass rule_class = RuleClass::kLocking;
  std::string migration;
  std::string file;
  int line = 1;
  int column = 1;
  std::string table;
  std::string message;
};

struct LintReport {
  std::vector<std::string> linted;  // migration names, in the order linted
  std::vector<MigrationFinding> findings;
  // Folders skipped for their provider: "<dir> (<provider>)".
  std::vector<std::string> skipped_sets;
  bool syntax_error() const;
  bool Has(RuleClass rule_class) const;
};

// Which rules report: all by default, or `only` when not empty, minus `skip`.
struct RuleSelection {
  std::set<std::string> only;
  std::set<std::string> skip;
  bool Enabled(const std::string& rule) const;
};

// Lints every set. A set whose lock file names a provider other than
// postgresql is skipped (no lock file: postgresql is assumed). A migration
// that does not parse is a `syntax-error` finding at the parser's position
// (never filtered out); an applied one that does not parse is skipped in the
// replay.
LintReport LintMigrationSets(const std::vector<MigrationSet>& sets, const RuleSelection& rules);

// --dir mode: every migration under `dir` (a `migrations` folder, or any
// folder above ones), grouped by migrations folder, every one to be linted.
// Paths are `dir` joined with the path below it; files are read through `fs`.
// `.git` and `node_modules` are not searched. On a missing directory, or one
// that cannot be listed, throws UsageError.
std::vector<MigrationSet> MigrationSetsUnder(const std::string& dir, FileSystem& fs);

// The findings as findings_json: [{rule, migration, file, line, column, table, message}].
std::string FindingsJson(const std::vector<MigrationFinding>& findings);

}  // namespace ecsmig
