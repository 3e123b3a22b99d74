#include "common/git/git_repo.h"

#include <gtest/gtest.h>
#include <stdlib.h>
#include <unistd.h>

#include <algorithm>
#include <filesystem>
#include <fstream>

#include "common/base/error.h"
#include "common/git/glob.h"
#include "common/testing/scratch_repo.h"

namespace ecsmig {
namespace {

namespace fs = std::filesystem;

std::vector<std::string> Paths(const std::vector<TreeChange>& changes) {
  std::vector<std::string> out;
  for (const auto& c : changes) out.push_back(c.path);
  return out;
}

TEST(GitRepo, OpenRejectsNonRepository) {
  EXPECT_THROW(GitRepo::Open("/nonexistent/dir"), UsageError);
}

TEST(GitRepo, ResolvesRevisionsAndParents) {
  ScratchRepo s;
  s.Write("a", "1");
  s.Commit();
  s.Write("a", "2");
  s.Commit();
  GitRepo repo = GitRepo::Open(s.dir());
  auto head = repo.ResolveCommit("HEAD");
  auto parent = repo.ResolveCommit("HEAD~1");
  ASSERT_TRUE(head && parent);
  EXPECT_FALSE(repo.ResolveCommit("no-such-ref"));
  bool missing = true;
  auto first = repo.FirstParent(*head, &missing);
  ASSERT_TRUE(first);
  EXPECT_FALSE(missing);
  EXPECT_TRUE(git_oid_equal(&*first, &*parent));
  EXPECT_FALSE(repo.FirstParent(*parent, &missing));  // root
  EXPECT_FALSE(missing);
  EXPECT_TRUE(repo.HasCommit(*head));
  EXPECT_FALSE(repo.HasCommit(*ParseOid(std::string(40, '1'))));
  EXPECT_EQ(OidHex(*head).size(), 40u);
  EXPECT_FALSE(ParseOid("xyz"));
}

TEST(GitRepo, DiffListsBothSidesOfTypeChangesAndPrunes) {
  ScratchRepo s;
  s.Write("keep/same.txt", "same");
  s.Write("db/x.sql", "1");
  s.Write("db/gone.sql", "1");
  s.Write("becomes_dir", "file");
  s.Write("src/deep/a.ts", "1");
  s.Commit();
  s.Write("db/x.sql", "2");
  s.Remove("db/gone.sql");
  s.Write("db/new/y.sql", "1");
  s.Remove("becomes_dir");
  s.Write("becomes_dir/inside", "1");
  s.Write("src/deep/a.ts", "2");
  s.Commit();
  GitRepo repo = GitRepo::Open(s.dir());
  git_oid base = repo.CommitTree(*repo.ResolveCommit("HEAD~1"));
  git_oid head = repo.CommitTree(*repo.ResolveCommit("HEAD"));

  auto all = repo.DiffTrees(base, head, PathFilter({"**"}));
  std::vector<std::string> paths = Paths(all);
  std::sort(paths.begin(), paths.end());
  EXPECT_EQ(paths, (std::vector<std::string>{"becomes_dir", "becomes_dir/inside", "db/gone.sql",
                                             "db/new/y.sql", "db/x.sql", "src/deep/a.ts"}));
  for (const auto& c : all) {
    if (c.path == "db/gone.sql") {
      EXPECT_EQ(c.kind, TreeChange::Kind::kDeleted);
    }
    if (c.path == "db/new/y.sql") {
      EXPECT_EQ(c.kind, TreeChange::Kind::kAdded);
    }
    if (c.path == "db/x.sql") {
      EXPECT_EQ(c.kind, TreeChange::Kind::kModified);
    }
  }

  auto sql = repo.DiffTrees(base, head, PathFilter({"db/*.sql"}));
  paths = Paths(sql);
  std::sort(paths.begin(), paths.end());
  EXPECT_EQ(paths, (std::vector<std::string>{"db/gone.sql", "db/x.sql"}));

  auto from_empty = repo.DiffTrees(std::nullopt, head, PathFilter({"keep/**"}));
  EXPECT_EQ(Paths(from_empty), std::vector<std::string>{"keep/same.txt"});
  EXPECT_TRUE(repo.DiffTrees(head, head, PathFilter({"**"})).empty());
}

TEST(GitRepo, SubdirsHoldingFindsMigrationFolders) {
  ScratchRepo s;
  s.Write("prisma/migrations/001_a/migration.sql", "1");
  s.Write("prisma/migrations/002_b/migration.sql", "1");
  s.Write("prisma/migrations/003_empty/readme", "1");
  s.Write("prisma/migrations/migration_lock.toml", "1");
  s.Commit();
  GitRepo repo = GitRepo::Open(s.dir());
  git_oid tree = repo.CommitTree(*repo.ResolveCommit("HEAD"));
  EXPECT_EQ(repo.SubdirsHolding(tree, "prisma/migrations", "migration.sql"),
            (std::vector<std::string>{"001_a", "002_b"}));
  EXPECT_TRUE(repo.SubdirsHolding(tree, "nowhere", "migration.sql").empty());
  EXPECT_TRUE(repo.SubdirsHolding(tree, "prisma/migrations/migration_lock.toml", "x").empty());
}

}  // namespace
}  // namespace ecsmig
