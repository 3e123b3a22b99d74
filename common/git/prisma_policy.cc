#include "common/git/prisma_policy.h"

#include <algorithm>
#include <map>
#include <set>

#include "common/git/glob.h"

namespace ecsmig {

const std::vector<std::string> kPrismaSchemaPatterns = {"**/schema.prisma",
                                                        "**/prisma/schema/**/*.prisma"};
const std::vector<std::string> kPrismaPresetPatterns = {
    "**/schema.prisma", "**/prisma/schema/**/*.prisma", "**/migrations/**"};

namespace {

constexpr std::string_view kMigrationsDir = "migrations";
constexpr std::string_view kMigrationSql = "migration.sql";
constexpr std::string_view kLockFile = "migration_lock.toml";

std::vector<std::string_view> SplitPath(std::string_view path) {
  std::vector<std::string_view> parts;
  size_t start = 0;
  while (true) {
    size_t slash = path.find('/', start);
    if (slash == std::string_view::npos) {
      parts.push_back(path.substr(start));
      return parts;
    }
    parts.push_back(path.substr(start, slash - start));
    start = slash + 1;
  }
}

std::string NormalizeLineEndings(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  for (size_t i = 0; i < text.size(); ++i) {
    if (text[i] == '\r' && i + 1 < text.size() && text[i + 1] == '\n') continue;
    out += text[i];
  }
  return out;
}

std::vector<std::string> Sorted(const std::set<std::string>& names) {
  return std::vector<std::string>(names.begin(), names.end());
}

}  // namespace

std::optional<MigrationRef> ParseMigrationSqlPath(std::string_view path) {
  auto parts = SplitPath(path);
  size_t n = parts.size();
  if (n < 3 || parts[n - 1] != kMigrationSql || parts[n - 3] != kMigrationsDir) return std::nullopt;
  if (parts[n - 2].empty()) return std::nullopt;
  MigrationRef ref;
  ref.name = std::string(parts[n - 2]);
  ref.migrations_dir =
      std::string(path.substr(0, path.size() - kMigrationSql.size() - 2 - ref.name.size()));
  return ref;
}

bool IsMigrationLockPath(std::string_view path) {
  auto parts = SplitPath(path);
  size_t n = parts.size();
  return n >= 2 && parts[n - 1] == kLockFile && parts[n - 2] == kMigrationsDir;
}

bool IsSchemaPath(std::string_view path) {
  static const PathFilter* schema = new PathFilter(kPrismaSchemaPatterns);
  return schema->Matches(path);
}

bool DiffersBeyondLineEndings(std::string_view a, std::string_view b) {
  if (a == b) return false;
  return NormalizeLineEndings(a) != NormalizeLineEndings(b);
}

bool PolicyReport::violation() const {
  return std::any_of(findings.begin(), findings.end(),
                     [](const PolicyFinding& f) { return f.error; });
}

namespace {

// A new migration and the file that added it.
struct NewMigration {
  std::string name;
  std::string file;
};

// What the walk over the changed files collects besides findings.
struct MigrationChanges {
  std::set<std::string> added, modified, deleted;
  // migrations dir → the new migrations in it.
  std::map<std::string, std::vector<NewMigration>> new_by_dir;
};

PolicyFinding LockFileChanged(const PolicyChange& change) {
  bool removed = change.kind == PolicyChange::Kind::kDeleted;
  return {true, "Migration lock file changed",
          std::string("migration_lock.toml was ") + (removed ? "deleted" : "modified") +
              ": it records the database provider of every applied migration; changing it "
              "breaks `prisma migrate deploy`",
          change.path};
}

// Records an added, deleted or edited migration.sql; deleting or editing an
// applied migration is an error finding (line-ending-only edits keep
// Prisma's checksum and are ignored).
void RecordMigrationChange(const PolicyChange& change, const MigrationRef& migration,
                           PolicySource& source, MigrationChanges& seen,
                           std::vector<PolicyFinding>& findings) {
  switch (change.kind) {
    case PolicyChange::Kind::kAdded:
      seen.added.insert(migration.name);
      seen.new_by_dir[migration.migrations_dir].push_back({migration.name, change.path});
      break;
    case PolicyChange::Kind::kDeleted:
      seen.deleted.insert(migration.name);
      findings.push_back({true, "Applied migration deleted or renamed",
                          "migration " + migration.name +
                              " exists at the base and this range deletes or renames it: "
                              "databases that applied it will no longer match the migration "
                              "history",
                          change.path});
      break;
    case PolicyChange::Kind::kModified:
      if (!source.ContentChanged(change.path)) break;  // line endings only: same checksum
      seen.modified.insert(migration.name);
      findings.push_back({true, "Applied migration edited",
                          "migration " + migration.name +
                              " exists at the base and this range edits its migration.sql: "
                              "Prisma's checksum changes and databases that applied it will not "
                              "get the edit; add a new migration instead",
                          change.path});
      break;
  }
}

// A warning for each new migration that sorts before the newest one at the
// base in its migrations folder.
void FindOutOfOrderMigrations(const std::map<std::string, std::vector<NewMigration>>& new_by_dir,
                              PolicySource& source, std::vector<PolicyFinding>& findings) {
  for (const auto& [dir, news] : new_by_dir) {
    std::vector<std::string> existing = source.BaseMigrations(dir);
    if (existing.empty()) continue;
    const std::string& newest = *std::max_element(existing.begin(), existing.end());
    for (const auto& [name, file] : news) {
      if (name < newest) {
        findings.push_back(
            {false, "New migration sorts before existing ones",
             "new migration " + name + " sorts before " + newest +
                 ", the newest migration at the base: Prisma applies migrations in name order, "
                 "so databases that already applied " +
                 newest + " will apply it out of order",
             file});
      }
    }
  }
}

// A warning on the first changed schema file.
PolicyFinding SchemaWithoutMigration(const std::vector<PolicyChange>& changes) {
  std::string file;
  for (const PolicyChange& change : changes) {
    if (IsSchemaPath(change.path)) {
      file = change.path;
      break;
    }
  }
  return {false, "Schema changed without a migration",
          "the Prisma schema changed but the range adds no migration: run "
          "`prisma migrate dev` to create one",
          file};
}

}  // namespace

PolicyReport EvaluatePrismaPolicy(const std::vector<PolicyChange>& changes, PolicySource& source) {
  PolicyReport report;
  MigrationChanges seen;
  for (const PolicyChange& change : changes) {
    if (IsSchemaPath(change.path)) report.schema_changed = true;
    if (IsMigrationLockPath(change.path) && change.kind != PolicyChange::Kind::kAdded) {
      report.findings.push_back(LockFileChanged(change));
    } else if (auto migration = ParseMigrationSqlPath(change.path)) {
      RecordMigrationChange(change, *migration, source, seen, report.findings);
    }
  }
  FindOutOfOrderMigrations(seen.new_by_dir, source, report.findings);
  if (report.schema_changed && seen.added.empty()) {
    report.findings.push_back(SchemaWithoutMigration(changes));
  }
  report.new_migrations = Sorted(seen.added);
  report.modified_migrations = Sorted(seen.modified);
  report.deleted_migrations = Sorted(seen.deleted);
  return report;
}

}  // namespace ecsmig
