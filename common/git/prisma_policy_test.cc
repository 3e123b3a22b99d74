#include "common/git/prisma_policy.h"

#include <gtest/gtest.h>

#include <map>
#include <set>

namespace ecsmig {
namespace {

class FakeSource : public PolicySource {
 public:
  bool ContentChanged(const std::string& path) override { return !line_ending_only.count(path); }
  std::vector<std::string> BaseMigrations(const std::string& dir) override {
    asked.push_back(dir);
    return base[dir];
  }
  std::set<std::string> line_ending_only;
  std::map<std::string, std::vector<std::string>> base;
  std::vector<std::string> asked;
};

using Kind = PolicyChange::Kind;

TEST(PrismaPaths, RecognisesMigrationsAnywhere) {
  auto m = ParseMigrationSqlPath("apps/api/prisma/migrations/20240101_init/migration.sql");
  ASSERT_TRUE(m);
  EXPECT_EQ(m->migrations_dir, "apps/api/prisma/migrations");
  EXPECT_EQ(m->name, "20240101_init");
  auto root = ParseMigrationSqlPath("migrations/1/migration.sql");
  ASSERT_TRUE(root);
  EXPECT_EQ(root->migrations_dir, "migrations");
  EXPECT_FALSE(ParseMigrationSqlPath("prisma/migrations/migration.sql"));
  EXPECT_FALSE(ParseMigrationSqlPath("prisma/migrations/1/other.sql"));
  EXPECT_FALSE(ParseMigrationSqlPath("prisma/migrations/1/sub/migration.sql"));
  EXPECT_FALSE(ParseMigrationSqlPath("prisma/not-migrations/1/migration.sql"));
  EXPECT_TRUE(IsMigrationLockPath("prisma/migrations/migration_lock.toml"));
  EXPECT_FALSE(IsMigrationLockPath("prisma/migration_lock.toml"));
  EXPECT_TRUE(IsSchemaPath("schema.prisma"));
  EXPECT_TRUE(IsSchemaPath("a/b/schema.prisma"));
  EXPECT_TRUE(IsSchemaPath("prisma/schema/user.prisma"));
  EXPECT_TRUE(IsSchemaPath("x/prisma/schema/models/user.prisma"));
  EXPECT_FALSE(IsSchemaPath("prisma/other.prisma"));
}

TEST(LineEndings, OnlyCrlfDifferencesAreIgnored) {
  EXPECT_FALSE(DiffersBeyondLineEndings("a;\nb;\n", "a;\r\nb;\r\n"));
  EXPECT_FALSE(DiffersBeyondLineEndings("a;\r\n", "a;\n"));
  EXPECT_TRUE(DiffersBeyondLineEndings("a;\n", "a; \n"));
  EXPECT_TRUE(DiffersBeyondLineEndings("a;\n", "a;\n\n"));
  EXPECT_TRUE(DiffersBeyondLineEndings("a;\r", "a;\n"));  // a lone CR is content
}

TEST(PrismaPolicy, NewMigrationWithSchemaChangeIsClean) {
  FakeSource src;
  src.base["prisma/migrations"] = {"001_a", "002_b"};
  auto r = EvaluatePrismaPolicy({{"prisma/schema.prisma", Kind::kModified},
                                 {"prisma/migrations/003_c/migration.sql", Kind::kAdded}},
                                src);
  EXPECT_EQ(r.new_migrations, std::vector<std::string>{"003_c"});
  EXPECT_TRUE(r.schema_changed);
  EXPECT_TRUE(r.findings.empty());
  EXPECT_FALSE(r.violation());
}

TEST(PrismaPolicy, EditDeleteAndLockChangesAreViolations) {
  FakeSource src;
  auto r = EvaluatePrismaPolicy({{"prisma/migrations/001_a/migration.sql", Kind::kModified},
                                 {"prisma/migrations/002_b/migration.sql", Kind::kDeleted},
                                 {"prisma/migrations/migration_lock.toml", Kind::kModified}},
                                src);
  EXPECT_EQ(r.modified_migrations, std::vector<std::string>{"001_a"});
  EXPECT_EQ(r.deleted_migrations, std::vector<std::string>{"002_b"});
  ASSERT_EQ(r.findings.size(), 3u);
  for (const auto& f : r.findings) EXPECT_TRUE(f.error) << f.message;
  EXPECT_EQ(r.findings[0].file, "prisma/migrations/001_a/migration.sql");
  EXPECT_TRUE(r.violation());
}

TEST(PrismaPolicy, LineEndingOnlyEditIsNotReported) {
  FakeSource src;
  src.line_ending_only.insert("prisma/migrations/001_a/migration.sql");
  auto r = EvaluatePrismaPolicy({{"prisma/migrations/001_a/migration.sql", Kind::kModified}}, src);
  EXPECT_TRUE(r.modified_migrations.empty());
  EXPECT_TRUE(r.findings.empty());
}

TEST(PrismaPolicy, AddedLockFileAndOtherFilesInMigrationFoldersAreFine) {
  FakeSource src;
  auto r = EvaluatePrismaPolicy({{"prisma/migrations/migration_lock.toml", Kind::kAdded},
                                 {"prisma/migrations/001_a/README.md", Kind::kModified}},
                                src);
  EXPECT_TRUE(r.findings.empty());
}

TEST(PrismaPolicy, NewMigrationSortingBeforeNewestAtBaseWarns) {
  FakeSource src;
  src.base["db/migrations"] = {"20240101_a", "20240301_c"};
  auto r = EvaluatePrismaPolicy({{"db/migrations/20240201_b/migration.sql", Kind::kAdded}}, src);
  ASSERT_EQ(r.findings.size(), 1u);
  EXPECT_FALSE(r.findings[0].error);
  EXPECT_EQ(r.findings[0].file, "db/migrations/20240201_b/migration.sql");
  EXPECT_NE(r.findings[0].message.find("20240301_c"), std::string::npos);
  EXPECT_EQ(src.asked, std::vector<std::string>{"db/migrations"});
  EXPECT_FALSE(r.violation());
}

TEST(PrismaPolicy, SchemaChangeWithoutMigrationWarns) {
  FakeSource src;
  auto r = EvaluatePrismaPolicy({{"prisma/schema/user.prisma", Kind::kModified}}, src);
  EXPECT_TRUE(r.schema_changed);
  ASSERT_EQ(r.findings.size(), 1u);
  EXPECT_FALSE(r.findings[0].error);
  EXPECT_EQ(r.findings[0].file, "prisma/schema/user.prisma");
}

TEST(PrismaPolicy, NamesAreSortedAndUnique) {
  FakeSource src;
  auto r = EvaluatePrismaPolicy({{"b/migrations/2_x/migration.sql", Kind::kAdded},
                                 {"a/migrations/2_x/migration.sql", Kind::kAdded},
                                 {"a/migrations/1_y/migration.sql", Kind::kAdded}},
                                src);
  EXPECT_EQ(r.new_migrations, (std::vector<std::string>{"1_y", "2_x"}));
}

}  // namespace
}  // namespace ecsmig
