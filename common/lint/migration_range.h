// lint-migrations' range mode: the migrations a commit range adds, with the
// migrations already present at its base to replay first.
#pragma once

#include <git2.h>

#include <optional>
#include <vector>

#include "common/git/git_repo.h"
#include "common/github/cli.h"
#include "common/lint/migration_lint.h"

namespace ecsmig {

// One set per migrations folder that gains a migration.sql between the trees
// `base_tree` (nullopt: the empty tree) and `head_tree`: the added ones
// to lint, every one present at the base to replay, and the head's
// migration_lock.toml. On a repository that cannot be read, throws Error.
std::vector<MigrationSet> MigrationSetsBetween(const GitRepo& repo,
                                               const std::optional<git_oid>& base_tree,
                                               const git_oid& head_tree);

// Resolves the range from the flags AddRangeOptions (common/git/commit_range.h)
// registered and the GitHub event, as detect-schema-change does, and returns
// MigrationSetsBetween it. A missing
// base is a warning and nothing to lint.
std::vector<MigrationSet> RangeMigrationSets(ToolRun& run, const cxxopts::ParseResult& args);

}  // namespace ecsmig
