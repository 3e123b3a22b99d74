// The Prisma migration policy: which changes to migration files are safe to
// deploy. A migration is a folder `<dir>/migrations/<name>/` holding a
// `migration.sql`, anywhere in the repository. Prisma refuses to deploy when
// an applied migration's checksum changes, so editing, deleting or renaming
// one (or touching `migration_lock.toml`) is an error; line-ending-only
// edits do not change Prisma's checksum and are ignored.
#pragma once

#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace ecsmig {

// The schema files of the `prisma` preset.
extern const std::vector<std::string> kPrismaSchemaPatterns;
// Every pattern of the `prisma` preset (schema files and migration folders).
extern const std::vector<std::string> kPrismaPresetPatterns;

struct MigrationRef {
  std::string migrations_dir;  // "<dir>/migrations" (or "migrations" at the root)
  std::string name;            // the folder name, what `prisma migrate resolve` takes
};

// "<dir>/migrations/<name>/migration.sql" → the migration; else nullopt.
std::optional<MigrationRef> ParseMigrationSqlPath(std::string_view path);
// "<dir>/migrations/migration_lock.toml" → true.
bool IsMigrationLockPath(std::string_view path);
bool IsSchemaPath(std::string_view path);

// True when `a` and `b` differ in more than CRLF versus LF line endings.
bool DiffersBeyondLineEndings(std::string_view a, std::string_view b);

// One changed file as the policy sees it.
struct PolicyChange {
  enum class Kind { kAdded, kDeleted, kModified };
  std::string path;
  Kind kind = Kind::kModified;
};

// What the policy needs from the repository; the real one reads git objects.
class PolicySource {
 public:
  virtual ~PolicySource() = default;
  // Whether the file at `path` differs between base and head beyond line
  // endings (called only for modified migration.sql files).
  virtual bool ContentChanged(const std::string& path) = 0;
  // Names of the migration folders under `migrations_dir` at the base.
  virtual std::vector<std::string> BaseMigrations(const std::string& migrations_dir) = 0;
};

struct PolicyFinding {
  bool error = false;  // error (a violation) or warning
  std::string title;
  std::string message;
  std::string file;
};

struct PolicyReport {
  std::vector<std::string> new_migrations;  // folder names, byte-sorted, unique
  std::vector<std::string> modified_migrations;
  std::vector<std::string> deleted_migrations;
  bool schema_changed = false;
  std::vector<PolicyFinding> findings;
  bool violation() const;
};

// Applies the policy to the range's changed files (after path filtering).
PolicyReport EvaluatePrismaPolicy(const std::vector<PolicyChange>& changes, PolicySource& source);

}  // namespace ecsmig
