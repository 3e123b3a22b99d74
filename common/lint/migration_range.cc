#include "common/lint/migration_range.h"

#include <map>

#include "common/base/error.h"
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
                                               const std::optional<git_oid>& base_commit,
                                               const git_oid& head_commit) {
  std::optional<git_oid> base_tree;
  if (base_commit) base_tree = repo.CommitTree(*base_commit);
  git_oid head_tree = repo.CommitTree(head_commit);

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

// Interim: --repo/--base/--head only, until the shared range resolution
// (common/git/commit_range.h) lands.
namespace ecsmig {

void AddRangeOptions(cxxopts::Options& options) {
  options.add_options()("repo", "repository (default .)", cxxopts::value<std::string>(), "DIR")(
      "base", "base revision", cxxopts::value<std::string>(), "REV")(
      "head", "head revision (default HEAD)", cxxopts::value<std::string>(), "REV");
}

std::vector<MigrationSet> RangeMigrationSets(ToolRun& run, const cxxopts::ParseResult& args) {
  (void)run;
  GitRepo repo = GitRepo::Open(args.count("repo") ? args["repo"].as<std::string>() : ".");
  std::string head_rev = args.count("head") ? args["head"].as<std::string>() : "HEAD";
  auto head = repo.ResolveCommit(head_rev);
  if (!head) throw UsageError("--head " + head_rev + " does not name a commit");
  std::optional<git_oid> base;
  if (args.count("base")) {
    base = repo.ResolveCommit(args["base"].as<std::string>());
    if (!base) throw UsageError("--base does not name a commit");
  }
  return MigrationSetsBetween(repo, base, *head);
}

}  // namespace ecsmig
