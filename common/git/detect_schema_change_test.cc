#include "common/git/detect_schema_change.h"

#include <gtest/gtest.h>
#include <stdio.h>
#include <stdlib.h>

#include <filesystem>
#include <fstream>
#include <map>
#include <sstream>

#include "common/base/error.h"
#include "common/testing/memory_filesystem.h"
#include "common/testing/scratch_repo.h"

namespace ecsmig {
namespace {

namespace fs = std::filesystem;

class DetectTest : public ::testing::Test {
 protected:
  void Git(const std::string& args) { repo_.Git(args); }
  std::string RevParse(const std::string& rev) { return repo_.RevParse(rev); }
  void Write(const std::string& rel, const std::string& data) { repo_.Write(rel, data); }
  void Commit() { repo_.Commit(); }

  int Run(std::vector<std::string> args) {
    args.insert(args.begin(), {"detect-schema-change", "--repo", dir_});
    out_.str("");
    err_.str("");
    ToolContext ctx(env_, clock_, fs_, random_, out_, err_, nullptr);
    return RunTool(DetectSchemaChangeSpec(), args, ctx);
  }
  std::map<std::string, std::string> Outputs() {
    std::map<std::string, std::string> m;
    auto it = fs_.files.find("/gh/output");
    if (it == fs_.files.end()) return m;
    for (auto& [k, v] : ParseOutputFile(it->second)) m[k] = v;
    return m;
  }

  ScratchRepo repo_;
  const std::string& dir_ = repo_.dir();
  MapEnvironment env_{{{"GITHUB_OUTPUT", "/gh/output"}, {"GITHUB_STEP_SUMMARY", "/gh/summary"}}};
  FakeClock clock_;
  MemoryFileSystem fs_;
  SeededRandom random_{7};
  std::ostringstream out_, err_;
};

TEST_F(DetectTest, ReportsMatchingFilesAndFacts) {
  Write("prisma/schema.prisma", "model A {}\n");
  Write("src/a.ts", "1");
  Commit();
  std::string base = RevParse("HEAD");
  Write("prisma/schema.prisma", "model A {}\nmodel B {}\n");
  Write("prisma/migrations/001_b/migration.sql", "CREATE TABLE b;\n");
  Write("src/a.ts", "2");
  Commit();
  ASSERT_EQ(Run({"--base", base}), 0) << err_.str();
  auto o = Outputs();
  EXPECT_EQ(o["changed"], "true");
  EXPECT_EQ(o["files"], "prisma/migrations/001_b/migration.sql\nprisma/schema.prisma");
  EXPECT_EQ(o["files_json"], R"(["prisma/migrations/001_b/migration.sql","prisma/schema.prisma"])");
  EXPECT_EQ(o["count"], "2");
  EXPECT_EQ(o["base"], base);
  EXPECT_EQ(o["head"], RevParse("HEAD"));
  EXPECT_EQ(o["reason"], "diff");
  EXPECT_EQ(o["new_migrations"], "001_b");
  EXPECT_EQ(o["schema_changed"], "true");
  EXPECT_NE(fs_.files["/gh/summary"].find("prisma\\/schema\\.prisma"), std::string::npos);
}

TEST_F(DetectTest, SummaryCapsListsAndEscapesNames) {
  Write("a", "1");
  Commit();
  std::string base = RevParse("HEAD");
  for (int i = 0; i < 60; ++i) {
    Write("prisma/migrations/" + std::to_string(100 + i) + "_m/migration.sql", "A;\n");
  }
  Write("prisma/migrations/999_[x](http:e.vil)\xff/migration.sql", "A;\n");
  Commit();
  ASSERT_EQ(Run({"--base", base}), 0) << err_.str();
  const std::string& md = fs_.files["/gh/summary"];
  EXPECT_NE(md.find("| … and 11 more |"), std::string::npos) << md;
  EXPECT_NE(md.find(", 149\\_m … and 11 more\n"), std::string::npos) << md;
  EXPECT_EQ(md.find("[x]"), std::string::npos) << md;
  EXPECT_EQ(md.find("\xff"), std::string::npos);
  EXPECT_EQ(Outputs()["new_migrations"].find("999_[x](http:e.vil)\xff"), 1u + 60 * 6 - 1)
      << Outputs()["new_migrations"];
}

TEST_F(DetectTest, PolicyViolationExitsFourButStillWritesOutputs) {
  Write("prisma/migrations/001_a/migration.sql", "A;\n");
  Commit();
  Write("prisma/migrations/001_a/migration.sql", "B;\n");
  Commit();
  env_.Set("GITHUB_ACTIONS", "true");
  EXPECT_EQ(Run({}), kExitPolicy);
  EXPECT_EQ(Outputs()["modified_migrations"], "001_a");
  EXPECT_NE(err_.str().find("::error file=prisma/migrations/001_a/migration.sql"),
            std::string::npos)
      << err_.str();
  fs_.files.clear();
  EXPECT_EQ(Run({"--allow-migration-edits"}), kExitOk);
  EXPECT_NE(err_.str().find("::warning file=prisma/migrations/001_a/migration.sql"),
            std::string::npos);
}

TEST_F(DetectTest, PushEventFromPayloadFile) {
  Write("a.sql", "1");
  Commit();
  std::string c1 = RevParse("HEAD");
  Write("a.sql", "2");
  Commit();
  std::string c2 = RevParse("HEAD");
  env_.Set("GITHUB_EVENT_NAME", "push");
  env_.Set("GITHUB_EVENT_PATH", "/gh/event.json");
  fs_.files["/gh/event.json"] = R"({"before":")" + c1 + R"(","after":")" + c2 + R"("})";
  ASSERT_EQ(Run({"--paths", "*.sql"}), 0) << err_.str();
  auto o = Outputs();
  EXPECT_EQ(o["files"], "a.sql");
  EXPECT_EQ(o["reason"], "diff");
  EXPECT_EQ(o["schema_changed"], "false");
}

TEST_F(DetectTest, MissingBaseChangedOrFail) {
  Write("a", "1");
  Commit();
  std::string gone(40, '7');
  env_.Set("GITHUB_EVENT_NAME", "pull_request");
  env_.Set("GITHUB_EVENT_PATH", "/gh/event.json");
  fs_.files["/gh/event.json"] = R"({"pull_request":{"base":{"sha":")" + gone +
                                R"("},"head":{"sha":")" + RevParse("HEAD") + R"("}}})";
  ASSERT_EQ(Run({}), 0) << err_.str();
  auto o = Outputs();
  EXPECT_EQ(o["reason"], "missing-base");
  EXPECT_EQ(o["changed"], "true");
  EXPECT_EQ(o["base"], gone);
  fs_.files.erase("/gh/output");
  EXPECT_EQ(Run({"--on-missing-base", "fail"}), kExitMissingBase);
  EXPECT_TRUE(Outputs().empty());
}

TEST_F(DetectTest, BadInputIsUsageBeforeAnything) {
  Write("a", "1");
  Commit();
  EXPECT_EQ(Run({"--preset", "django"}), kExitUsage);
  EXPECT_EQ(Run({"--base", "nope"}), kExitUsage);
  EXPECT_EQ(Run({"--paths", "!"}), kExitUsage);
  env_.Set("GITHUB_EVENT_NAME", "push");
  env_.Set("GITHUB_EVENT_PATH", "/gh/event.json");
  fs_.files["/gh/event.json"] = "{oops";
  EXPECT_EQ(Run({}), kExitUsage);
  EXPECT_NE(err_.str().find("not valid JSON"), std::string::npos);
  EXPECT_TRUE(Outputs().empty());
}

}  // namespace
}  // namespace ecsmig
