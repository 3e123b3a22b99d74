#include "common/lint/migration_range.h"

#include <map>

#include "common/base/error.h"
#include "common/git/commit_range.h"
#include "common/git/glob.h"
#include "common/git/prisma_policy.h"

namespace ecsmig {
namespace {

// Every migration.sql (or lock file) in `tree`, by repository path.
std::vector<TreeChange> FilesIn(const GitRepo& repo, const git_oid& tree,
                                const std::string& pattern) {
  return repo.DiffTrees(std::nullopt, tree, PathFilter({pattern}));
}

constexpr char kMigrationSqlPattern[] = "**/migrations/*/migration.sql";
constexpr char kLockFilePattern[] = "**/migrations/migration_lock.toml";

}  // namespace

std::vector<MigrationSet> MigrationSetsBetween(const GitRepo& repo,
                                               const std::optional<git_oid>& base_tree,
                                               const git_oid& head_tree) {
  std::map<std::string, MigrationSet> by_dir;
  for (const TreeChange& change :
       repo.DiffTrees(base_tree, head_tree, PathFilter({kMigrationSqlPattern}))) {
    auto ref = ParseMigrationSqlPath(change.path);
    if (change.kind != TreeChange::Kind::kAdded || !ref) continue;
    MigrationSet& set = by_dir[ref->migrations_dir];
    set.migrations_dir = ref->migrations_dir;
    set.linted.push_back({ref->name, change.path, repo.ReadBlob(change.new_id)});
  }
  if (by_dir.empty()) return {};
  if (base_tree) {
    for (const TreeChange& file : FilesIn(repo, *base_tree, kMigrationSqlPattern)) {
      auto ref = ParseMigrationSqlPath(file.path);
      if (!ref) continue;
      auto set = by_dir.find(ref->migrations_dir);
      if (set == by_dir.end()) continue;
      set->second.applied.push_back({ref->name, file.path, repo.ReadBlob(file.new_id)});
    }
  }
  for (const TreeChange& file : FilesIn(repo, head_tree, kLockFilePattern)) {
    std::string dir = file.path.substr(0, file.path.rfind('/'));
    auto set = by_dir.find(dir);
    if (set != by_dir.end()) set->second.lock_file = repo.ReadBlob(file.new_id);
  }
  std::vector<MigrationSet> sets;
  for (auto& [dir, set] : by_dir) sets.push_back(std::move(set));
  return sets;
}

}  // namespace ecsmig

namespace ecsmig {

std::vector<MigrationSet> RangeMigrationSets(ToolRun& run, const cxxopts::ParseResult& args) {
  RangeOptions opt = ParseRangeOptions(args);
  GitRepo repo = GitRepo::Open(opt.repo);
  CommitRange range = ResolveCommitRange(run, repo, opt);
  if (range.base_missing) {
    // Nothing says which migrations are new: linting all of them would bury
    // the new ones' findings under the history's.
    run.log().Warning(range.missing_cause +
                          ": cannot tell which migrations the range adds, so none is linted; "
                          "fetch more history (actions/checkout with fetch-depth: 0)",
                      {"Cannot lint: base commit missing", "", 0});
    return {};
  }
  run.log().Info(
      "linting the migrations " +
      (range.base_sha.empty() ? std::string("(empty tree)") : range.base_sha.substr(0, 12)) + ".." +
      range.head_sha.substr(0, 12) + " adds (" + RangeReasonName(range.reason) + ")");
  std::optional<git_oid> base_tree;
  if (range.base) base_tree = range.base->tree;
  return MigrationSetsBetween(repo, base_tree, range.head->tree);
}

}  // namespace ecsmig
