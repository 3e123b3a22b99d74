#include "common/lint/lint_migrations.h"

#include <gtest/gtest.h>

#include <nlohmann/json.hpp>
#include <sstream>

#include "common/base/clock.h"
#include "common/base/env.h"
#include "common/base/random.h"
#include "common/github/github.h"
#include "common/lint/migration_lint.h"
#include "common/testing/memory_filesystem.h"
#include "common/testing/scratch_repo.h"

namespace ecsmig {
namespace {

// Reads the repository's files from disk; outputs and summary stay in memory.
class DiskReadsFileSystem : public MemoryFileSystem {
 public:
  std::string ReadFile(const std::string& path) override {
    if (files.count(path)) return MemoryFileSystem::ReadFile(path);
    return disk_.ReadFile(path);
  }
  bool Exists(const std::string& path) override {
    return files.count(path) > 0 || disk_.Exists(path);
  }

 private:
  RealFileSystem disk_;
};

constexpr char kInit[] =
    "-- CreateTable\n"
    "CREATE TABLE \"User\" (\n"
    "    \"id\" SERIAL NOT NULL,\n"
    "    \"name\" TEXT,\n"
    "    CONSTRAINT \"User_pkey\" PRIMARY KEY (\"id\")\n"
    ");\n";

class LintMigrationsTest : public ::testing::Test {
 protected:
  void AddMigration(const std::string& name, const std::string& sql) {
    repo_.Write("prisma/migrations/" + name + "/migration.sql", sql);
  }
  void SetUp() override {
    repo_.Write("prisma/migrations/migration_lock.toml", "provider = \"postgresql\"\n");
    AddMigration("20240101000000_init", kInit);
    repo_.Commit();
  }

  int Run(std::vector<std::string> args) {
    args.insert(args.begin(), "lint-migrations");
    err_.str("");
    fs_.files.clear();
    ToolContext ctx(env_, clock_, fs_, random_, out_, err_, nullptr);
    return RunTool(LintMigrationsSpec(), args, ctx);
  }
  std::map<std::string, std::string> Outputs() {
    std::map<std::string, std::string> m;
    for (auto& [k, v] : ParseOutputFile(fs_.files["/gh/output"])) m[k] = v;
    return m;
  }
  nlohmann::json Findings() { return nlohmann::json::parse(Outputs()["findings_json"]); }

  ScratchRepo repo_;
  MapEnvironment env_{{{"GITHUB_OUTPUT", "/gh/output"}, {"GITHUB_STEP_SUMMARY", "/gh/summary"}}};
  FakeClock clock_;
  DiskReadsFileSystem fs_;
  SeededRandom random_{7};
  std::ostringstream out_, err_;
};

TEST_F(LintMigrationsTest, RangeLintsOnlyAddedMigrationsAgainstTheBase) {
  std::string base = repo_.RevParse("HEAD");
  AddMigration("20240201000000_index",
               "-- CreateIndex\nCREATE INDEX \"User_name_idx\" ON \"User\"(\"name\");\n");
  AddMigration("20240202000000_post",
               "CREATE TABLE \"Post\" (\"id\" SERIAL NOT NULL, \"authorId\" INTEGER NOT NULL);\n"
               "CREATE INDEX \"Post_authorId_idx\" ON \"Post\"(\"authorId\");\n"
               "ALTER TABLE \"Post\" ADD CONSTRAINT \"Post_authorId_fkey\" FOREIGN KEY "
               "(\"authorId\") REFERENCES \"User\"(\"id\");\n");
  repo_.Commit();
  ASSERT_EQ(Run({"--repo", repo_.dir(), "--base", base}), 0) << err_.str();
  auto outputs = Outputs();
  EXPECT_EQ(outputs["linted"], "20240201000000_index\n20240202000000_post");
  EXPECT_EQ(outputs["findings"], "1");
  EXPECT_EQ(outputs["data_loss"], "false");
  nlohmann::json f = Findings()[0];
  EXPECT_EQ(f["rule"], "create-index-non-concurrently");
  EXPECT_EQ(f["migration"], "20240201000000_index");
  EXPECT_EQ(f["file"], "prisma/migrations/20240201000000_index/migration.sql");
  EXPECT_EQ(f["line"], 2);
  EXPECT_EQ(f["column"], 1);
  EXPECT_EQ(f["table"], "User");
  EXPECT_NE(fs_.files["/gh/summary"].find("| `create-index-non-concurrently` |"),
            std::string::npos);
}

TEST_F(LintMigrationsTest, FailOnTurnsAClassIntoExitFiveAndErrors) {
  std::string base = repo_.RevParse("HEAD");
  AddMigration("20240201000000_drop", "ALTER TABLE \"User\" DROP COLUMN \"name\";\n");
  repo_.Commit();
  env_.Set("GITHUB_ACTIONS", "true");
  EXPECT_EQ(Run({"--repo", repo_.dir(), "--base", base, "--fail-on", "locking"}), 0);
  EXPECT_NE(err_.str().find("::warning file=prisma/migrations/20240201000000_drop/"
                            "migration.sql,line=1,col=20,title=drop-column::"),
            std::string::npos)
      << err_.str();
  EXPECT_EQ(Run({"--repo", repo_.dir(), "--base", base, "--fail-on", "data-loss"}), 5);
  EXPECT_NE(err_.str().find("::error file="), std::string::npos);
  EXPECT_EQ(Outputs()["data_loss"], "true");  // outputs are written before exit 5
  EXPECT_EQ(Run({"--repo", repo_.dir(), "--base", base, "--fail-on", "any"}), 5);
  EXPECT_EQ(Run({"--repo", repo_.dir(), "--base", base, "--fail-on", "any", "--skip-rules",
                 "drop-column"}),
            0);
  EXPECT_EQ(Outputs()["findings"], "0");
}

TEST_F(LintMigrationsTest, RulesChooseWhatReports) {
  std::string base = repo_.RevParse("HEAD");
  AddMigration("20240201000000_two",
               "ALTER TABLE \"User\" DROP COLUMN \"name\";\nCREATE INDEX i ON \"User\"(id);\n");
  repo_.Commit();
  ASSERT_EQ(Run({"--repo", repo_.dir(), "--base", base, "--rules",
                 "create-index-non-concurrently,adding-check"}),
            0);
  EXPECT_EQ(Findings().size(), 1u);
  EXPECT_EQ(Findings()[0]["rule"], "create-index-non-concurrently");
  EXPECT_EQ(Run({"--repo", repo_.dir(), "--base", base, "--rules", "no-such"}), 2);
  EXPECT_EQ(Run({"--repo", repo_.dir(), "--base", base, "--skip-rules", "syntax-error"}), 2);
  EXPECT_EQ(Run({"--repo", repo_.dir(), "--base", base, "--fail-on", "everything"}), 2);
}

TEST_F(LintMigrationsTest, SyntaxErrorIsExitOneWithOutputs) {
  std::string base = repo_.RevParse("HEAD");
  AddMigration("20240201000000_bad", "-- typo\n\nALTER TABLE \"User\" ADD COLUMN;\n");
  repo_.Commit();
  EXPECT_EQ(Run({"--repo", repo_.dir(), "--base", base}), 1);
  nlohmann::json f = Findings()[0];
  EXPECT_EQ(f["rule"], "syntax-error");
  EXPECT_EQ(f["line"], 3);
}

TEST_F(LintMigrationsTest, OtherProvidersAreANoticeAndExitZero) {
  repo_.Write("prisma/migrations/migration_lock.toml", "# x\nprovider = \"mysql\"\n");
  std::string base = repo_.RevParse("HEAD");
  AddMigration("20240201000000_drop", "ALTER TABLE `User` DROP COLUMN `name`;\n");
  repo_.Commit();
  EXPECT_EQ(Run({"--repo", repo_.dir(), "--base", base}), 0);
  EXPECT_EQ(Outputs()["linted"], "");
  EXPECT_EQ(Outputs()["findings"], "0");
  EXPECT_NE(err_.str().find("mysql"), std::string::npos);
}

TEST_F(LintMigrationsTest, DirLintsEveryMigrationInOrder) {
  AddMigration("20240201000000_drop", "ALTER TABLE \"User\" DROP COLUMN \"name\";\n");
  AddMigration("20240301000000_new",
               "CREATE TABLE t (a int);\nCREATE INDEX t_a ON t (a);\nDROP TABLE t;\n");
  ASSERT_EQ(Run({"--dir", repo_.dir() + "/prisma/migrations"}), 0) << err_.str();
  EXPECT_EQ(Outputs()["linted"], "20240101000000_init\n20240201000000_drop\n20240301000000_new");
  ASSERT_EQ(Findings().size(), 1u);
  EXPECT_EQ(Findings()[0]["rule"], "drop-column");
  EXPECT_EQ(Findings()[0]["file"],
            repo_.dir() + "/prisma/migrations/20240201000000_drop/migration.sql");
  EXPECT_EQ(Run({"--dir", repo_.dir() + "/nowhere"}), 2);
}

TEST_F(LintMigrationsTest, MissingBaseLintsNothing) {
  env_.Set("GITHUB_EVENT_NAME", "push");
  env_.Set("GITHUB_EVENT_PATH", "/gh/event.json");
  fs_.files["/gh/event.json"] =
      R"({"before":"1111111111111111111111111111111111111111","after":")" + repo_.RevParse("HEAD") +
      R"(","ref":"refs/heads/main"})";
  ToolContext ctx(env_, clock_, fs_, random_, out_, err_, nullptr);
  EXPECT_EQ(RunTool(LintMigrationsSpec(), {"lint-migrations", "--repo", repo_.dir()}, ctx), 0);
  EXPECT_NE(err_.str().find("none is linted"), std::string::npos) << err_.str();
}

TEST(LockFileProviderTest, ReadsTheProviderLine) {
  EXPECT_EQ(LockFileProvider("# Please do not edit\nprovider = \"postgresql\"\n"), "postgresql");
  EXPECT_EQ(LockFileProvider("provider=\"sqlite\" # x\r\n"), "sqlite");
  EXPECT_EQ(LockFileProvider("nothing = 1"), "");
}

}  // namespace
}  // namespace ecsmig
