#include "common/git/glob.h"

#include <gtest/gtest.h>

#include <fstream>
#include <nlohmann/json.hpp>
#include <random>

#include "common/base/error.h"

namespace ecsmig {
namespace {

// Every case of git's t/t3070-wildmatch.sh (the `wildmatch` column), stored
// as data in tests/data/wildmatch/.
TEST(WildMatch, AllCasesOfGitT3070) {
  std::ifstream in(std::string(ECSMIG_TEST_DATA_DIR) + "/wildmatch/t3070_cases.jsonl");
  ASSERT_TRUE(in) << "missing tests/data/wildmatch/t3070_cases.jsonl";
  std::string line;
  int cases = 0, failures = 0;
  while (std::getline(in, line)) {
    if (line.empty()) continue;
    auto c = nlohmann::json::parse(line);
    std::string text = c["text"], pattern = c["pattern"];
    bool expected = c["match"];
    ++cases;
    if (WildMatch(pattern, text) != expected) {
      ++failures;
      ADD_FAILURE() << "wildmatch('" << pattern << "', '" << text << "') should be "
                    << (expected ? "a match" : "no match");
    }
  }
  EXPECT_EQ(cases, 189) << "the case table changed size";
  EXPECT_EQ(failures, 0) << failures << " of " << cases << " cases failed";
}

TEST(GlobPattern, StarsAndQuestionMarksStayInOneComponent) {
  EXPECT_TRUE(GlobPattern("prisma/*.prisma").Matches("prisma/schema.prisma"));
  EXPECT_FALSE(GlobPattern("prisma/*.prisma").Matches("prisma/sub/schema.prisma"));
  EXPECT_TRUE(GlobPattern("a?c").Matches("abc"));
  EXPECT_FALSE(GlobPattern("a?c").Matches("a/c"));
  EXPECT_TRUE(GlobPattern("**/schema.prisma").Matches("schema.prisma"));
  EXPECT_TRUE(GlobPattern("**/schema.prisma").Matches("a/b/schema.prisma"));
  EXPECT_TRUE(GlobPattern("**/migrations/**").Matches("db/migrations/1/migration.sql"));
  EXPECT_FALSE(GlobPattern("**/migrations/**").Matches("db/migrations"));
  EXPECT_TRUE(GlobPattern("**/prisma/schema/**/*.prisma").Matches("prisma/schema/a.prisma"));
  EXPECT_TRUE(GlobPattern("**/prisma/schema/**/*.prisma").Matches("x/prisma/schema/b/c.prisma"));
}

TEST(GlobPattern, LiteralPatternCoversItsDirectoryLikeGit) {
  GlobPattern dir("prisma");
  EXPECT_TRUE(dir.Matches("prisma"));
  EXPECT_TRUE(dir.Matches("prisma/schema.prisma"));
  EXPECT_FALSE(dir.Matches("prismatic"));
  EXPECT_TRUE(GlobPattern("prisma/").Matches("prisma/a"));
  EXPECT_FALSE(GlobPattern("prisma/").Matches("prisma"));
  // A file literally named like a class matches its own name.
  EXPECT_TRUE(GlobPattern("[ab]").Matches("[ab]"));
  EXPECT_TRUE(GlobPattern("[ab]").Matches("a"));
}

TEST(GlobPattern, LiteralPrefixIsStrippedBeforeWildmatchLikeGit) {
  // git compares the literal prefix, then wildmatches the rest: `**` right
  // after it crosses directories (ls-files column of t3070).
  EXPECT_TRUE(GlobPattern("foo**").Matches("foo/bba/arr"));
  EXPECT_FALSE(WildMatch("foo**", "foo/bba/arr"));
  EXPECT_FALSE(GlobPattern("foo**bar").Matches("foo/baz/bar"));
}

TEST(GlobPattern, RejectsEmptyPattern) { EXPECT_THROW(GlobPattern(""), UsageError); }

TEST(GlobPattern, PrunesDirectoriesNoPathBelowCanMatch) {
  EXPECT_FALSE(GlobPattern("prisma/*.prisma").MayMatchBelow("src"));
  EXPECT_TRUE(GlobPattern("prisma/*.prisma").MayMatchBelow("prisma"));
  EXPECT_FALSE(GlobPattern("prisma/*.prisma").MayMatchBelow("prisma/sub"));
  EXPECT_TRUE(GlobPattern("**/migrations/**").MayMatchBelow("src/deep/er"));
  EXPECT_TRUE(GlobPattern("src/*/db/*.sql").MayMatchBelow("src/x/db"));
  EXPECT_FALSE(GlobPattern("src/*/db/*.sql").MayMatchBelow("src/x/y"));
  EXPECT_TRUE(GlobPattern("a/[/]b").MayMatchBelow("a"));  // odd class: no split, no pruning
  EXPECT_TRUE(GlobPattern("foo**/x").MayMatchBelow("foo/a/b"));
  EXPECT_FALSE(GlobPattern("foo**/x").MayMatchBelow("bar"));
  EXPECT_TRUE(GlobPattern("deep/er/file").MayMatchBelow("deep"));
}

// Soundness: whenever a path matches, every directory above it must survive pruning.
TEST(GlobPattern, PruningNeverHidesAMatch) {
  std::mt19937 rng(12345);
  const std::vector<std::string> atoms = {"a",    "b",    "ab",  "*",  "?",  "**",
                                          "[ab]", "[!a]", "\\a", "x*", "*b", "[[:alpha:]]",
                                          "a?",   "**/",  "/",   "/"};
  const std::vector<std::string> names = {"a", "b", "ab", "ba", "x", "xb", "aa"};
  int checked = 0;
  for (int iter = 0; iter < 4000; ++iter) {
    std::string pattern;
    int n = 1 + rng() % 6;
    for (int i = 0; i < n; ++i) pattern += atoms[rng() % atoms.size()];
    GlobPattern glob(pattern);
    for (int k = 0; k < 20; ++k) {
      std::string path;
      int depth = 1 + rng() % 4;
      for (int d = 0; d < depth; ++d) path += (d ? "/" : "") + names[rng() % names.size()];
      if (!glob.Matches(path)) continue;
      ++checked;
      for (size_t slash = path.find('/'); slash != std::string::npos;
           slash = path.find('/', slash + 1)) {
        ASSERT_TRUE(glob.MayMatchBelow(path.substr(0, slash)))
            << "pattern '" << pattern << "' matches '" << path << "' but prunes '"
            << path.substr(0, slash) << "'";
      }
    }
  }
  EXPECT_GT(checked, 1000);
}

TEST(PathFilter, LaterPatternsWin) {
  PathFilter filter({"db/**", "!db/generated/**", "db/generated/keep.sql"});
  EXPECT_TRUE(filter.Matches("db/a.sql"));
  EXPECT_FALSE(filter.Matches("db/generated/x.sql"));
  EXPECT_TRUE(filter.Matches("db/generated/keep.sql"));
  EXPECT_FALSE(filter.Matches("src/a.sql"));
  EXPECT_TRUE(filter.MayMatchBelow("db/generated"));
  EXPECT_FALSE(filter.MayMatchBelow("src"));
}

TEST(PathFilter, OnlyExclusionsMatchNothing) {
  PathFilter filter({"!**/*.md"});
  EXPECT_FALSE(filter.Matches("a.sql"));
  EXPECT_FALSE(filter.MayMatchBelow("a"));
}

TEST(PathFilter, RefusesPatternsThatCanNeverMatch) {
  for (const char* bad : {"/prisma/**", "./prisma/**", "../x", "a/../b", "a/./b", "!./x", "db/[ab",
                          "db/[[:nope:]]", "db/x\\"}) {
    try {
      PathFilter filter({bad});
      ADD_FAILURE() << bad << " accepted";
    } catch (const UsageError& e) {
      std::string what = e.what();
      EXPECT_NE(what.find(bad), std::string::npos) << what;
      EXPECT_EQ(what.find('\n'), std::string::npos) << what;
    }
  }
  // Classes, escapes and dots inside names are fine.
  PathFilter ok({"db/[ab]/*.sql", "db/[[:digit:]]*", "db/\\[x", ".github/**", "a..b/*", "x/.env"});
  EXPECT_TRUE(ok.Matches("db/a/1.sql"));
  EXPECT_TRUE(ok.Matches(".github/workflows/x.yml"));
}

TEST(PathFilter, RejectsBareExclamationMark) {
  EXPECT_THROW(PathFilter({"!"}), UsageError);
  EXPECT_THROW(PathFilter({""}), UsageError);
}

// Found by the glob fuzzer: git's backtracking tries every way of giving
// the slashes to the `**/`s, C(60, 12) ≈ 10^12 here; remembered results per
// (pattern, path) position make it polynomial. (Without them this test does
// not finish.)
TEST(WildMatch, ManyDoubleStarsAgainstManySlashesStayPolynomial) {
  std::string pattern;
  for (int i = 0; i < 12; ++i) pattern += "**/";
  std::string deep;
  for (int i = 0; i < 60; ++i) deep += "a/";
  EXPECT_FALSE(WildMatch(pattern + "*/x", deep + "b"));
  EXPECT_TRUE(WildMatch(pattern + "*/x", deep + "c/x"));
  EXPECT_FALSE(GlobPattern(pattern + "*/x").Matches(deep + "b"));
  EXPECT_TRUE(GlobPattern(pattern + "*/x").Matches(deep + "c/x"));
  // Fewer directories than `**/`s: each may match none.
  EXPECT_TRUE(WildMatch(pattern + "x", "x"));
  EXPECT_FALSE(WildMatch(pattern + "x/y", "x"));
}

}  // namespace
}  // namespace ecsmig
