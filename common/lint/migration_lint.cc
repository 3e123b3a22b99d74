#include "common/lint/migration_lint.h"

#include <algorithm>
#include <filesystem>
#include <map>
#include <nlohmann/json.hpp>
#include <system_error>

#include "common/base/error.h"
#include "common/lint/sql_lexer.h"

namespace ecsmig {
namespace {

std::string Trim(const std::string& text) {
  size_t b = text.find_first_not_of(" \t\r");
  if (b == std::string::npos) return "";
  size_t e = text.find_last_not_of(" \t\r");
  return text.substr(b, e - b + 1);
}

bool ByName(const MigrationSql& a, const MigrationSql& b) { return a.name < b.name; }

void LintOne(const MigrationSql& migration, SchemaModel& schema, const RuleSelection& rules,
             LintReport& report) {
  report.linted.push_back(migration.name);
  ParsedSql parsed = ParseSql(migration.sql);
  LineIndex index(migration.sql);
  auto add = [&](const std::string& rule, RuleClass rule_class, size_t offset,
                 const std::string& table, const std::string& message) {
    SourcePosition at = index.At(offset);
    report.findings.push_back(
        {rule, rule_class, migration.name, migration.path, at.line, at.column, table, message});
  };
  if (parsed.error) {
    add(kSyntaxErrorRule, RuleClass::kSyntax, parsed.error->offset, "",
        "PostgreSQL's parser rejects this migration (" + parsed.error->message +
            "): prisma migrate deploy would fail here; fix the SQL");
    return;
  }
  for (const LintFinding& f : LintMigrationSql(migration.sql, parsed, schema)) {
    if (rules.Enabled(f.rule)) add(f.rule, f.rule_class, f.offset, f.table, f.message);
  }
}

void LintSet(const MigrationSet& set, const RuleSelection& rules, LintReport& report) {
  std::vector<MigrationSql> applied = set.applied;
  std::vector<MigrationSql> linted = set.linted;
  std::sort(applied.begin(), applied.end(), ByName);
  std::sort(linted.begin(), linted.end(), ByName);
  SchemaModel schema;
  for (const MigrationSql& migration : applied) schema.ApplyAll(ParseSql(migration.sql));
  for (const MigrationSql& migration : linted) LintOne(migration, schema, rules, report);
}

}  // namespace

std::string LockFileProvider(const std::string& toml) {
  size_t start = 0;
  while (start < toml.size()) {
    size_t newline = toml.find('\n', start);
    if (newline == std::string::npos) newline = toml.size();
    std::string line = Trim(toml.substr(start, newline - start));
    start = newline + 1;
    size_t equals = line.find('=');
    if (line.empty() || line[0] == '#' || equals == std::string::npos) continue;
    if (Trim(line.substr(0, equals)) != "provider") continue;
    std::string value = Trim(line.substr(equals + 1));
    if (size_t comment = value.find(" #"); comment != std::string::npos) {
      value = Trim(value.substr(0, comment));
    }
    if (value.size() >= 2 && (value.front() == '"' || value.front() == '\'') &&
        value.back() == value.front()) {
      value = value.substr(1, value.size() - 2);
    }
    return value;
  }
  return "";
}

bool LintReport::syntax_error() const { return Has(RuleClass::kSyntax); }

bool LintReport::Has(RuleClass rule_class) const {
  return std::any_of(findings.begin(), findings.end(),
                     [&](const MigrationFinding& f) { return f.rule_class == rule_class; });
}

bool RuleSelection::Enabled(const std::string& rule) const {
  if (rule == kSyntaxErrorRule) return true;
  if (!only.empty() && !only.count(rule)) return false;
  return !skip.count(rule);
}

LintReport LintMigrationSets(const std::vector<MigrationSet>& sets, const RuleSelection& rules) {
  LintReport report;
  for (const MigrationSet& set : sets) {
    std::string provider = set.lock_file ? LockFileProvider(*set.lock_file) : "postgresql";
    if (provider != "postgresql") {
      report.skipped_sets.push_back(set.migrations_dir + " (" +
                                    (provider.empty() ? "no provider" : provider) + ")");
      continue;
    }
    LintSet(set, rules, report);
  }
  return report;
}

std::vector<MigrationSet> MigrationSetsUnder(const std::string& dir, FileSystem& fs) {
  namespace stdfs = std::filesystem;
  std::error_code ec;
  if (!stdfs::is_directory(dir, ec)) throw UsageError("--dir " + dir + ": not a directory");
  std::map<std::string, MigrationSet> by_dir;
  auto it = stdfs::recursive_directory_iterator(dir, ec);
  if (ec) throw UsageError("--dir " + dir + ": " + ec.message());
  for (; it != stdfs::recursive_directory_iterator(); it.increment(ec)) {
    if (ec) throw UsageError("--dir " + dir + ": " + ec.message());
    const stdfs::path& path = it->path();
    std::string name = path.filename().string();
    if (it->is_directory(ec) && (name == ".git" || name == "node_modules")) {
      it.disable_recursion_pending();
      continue;
    }
    if (name != "migration.sql" || !it->is_regular_file(ec)) continue;
    stdfs::path folder = path.parent_path();
    std::string migrations_dir = folder.parent_path().lexically_normal().string();
    MigrationSet& set = by_dir[migrations_dir];
    set.migrations_dir = migrations_dir;
    std::string file = path.lexically_normal().string();
    set.linted.push_back({folder.filename().string(), file, fs.ReadFile(path.string())});
  }
  std::vector<MigrationSet> sets;
  for (auto& [migrations_dir, set] : by_dir) {
    std::string lock = (stdfs::path(migrations_dir) / "migration_lock.toml").string();
    if (fs.Exists(lock)) set.lock_file = fs.ReadFile(lock);
    sets.push_back(std::move(set));
  }
  return sets;
}

std::string FindingsJson(const std::vector<MigrationFinding>& findings) {
  nlohmann::json array = nlohmann::json::array();
  for (const MigrationFinding& f : findings) {
    array.push_back({{"rule", f.rule},
                     {"migration", f.migration},
                     {"file", f.file},
                     {"line", f.line},
                     {"column", f.column},
                     {"table", f.table},
                     {"message", f.message}});
  }
  return array.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
}

}  // namespace ecsmig
