#include "common/logs/migration_timing.h"

#include <gtest/gtest.h>

#include <fstream>
#include <sstream>

#include "common/logs/diagnosis.h"

namespace ecsmig {
namespace {

struct TimedLine {
  long long ms;
  std::string text;
};

std::vector<AppliedMigration> Time(const std::vector<TimedLine>& lines) {
  TaskLogAnalysis analysis;
  for (const auto& line : lines) analysis.AddLogEvent(line.text, line.ms);
  return analysis.AppliedMigrations();
}

// A native-engine deploy as CloudWatch stamps it: three migrations, the
// second one slow (a backfill), then the summary.
const std::vector<TimedLine> kNativeDeploy = {
    {1732924800123, "Prisma schema loaded from prisma/schema.prisma"},
    {1732924800124,
     "Datasource \"db\": PostgreSQL database \"app\", schema \"public\" at \"db:5432\""},
    {1732924801010, "3 migrations found in prisma/migrations"},
    {1732924801350, "Applying migration `20210322163834_init`"},
    {1732924801812, "Applying migration `20210323083311_backfill_totals`"},
    {1732924849312, "Applying migration `20210401090000_add_index`"},
    {1732924851062, ""},
    {1732924851062, "The following migration(s) have been applied:"},
    {1732924851062, ""},
    {1732924851062, "migrations/"},
    {1732924851062, "  \xe2\x94\x94\xe2\x94\x80 20210322163834_init/"},
    {1732924851062, "    \xe2\x94\x94\xe2\x94\x80 migration.sql"},
    {1732924851062, "  \xe2\x94\x94\xe2\x94\x80 20210323083311_backfill_totals/"},
    {1732924851062, "    \xe2\x94\x94\xe2\x94\x80 migration.sql"},
    {1732924851062, "  \xe2\x94\x94\xe2\x94\x80 20210401090000_add_index/"},
    {1732924851062, "    \xe2\x94\x94\xe2\x94\x80 migration.sql"},
    {1732924851063, "All migrations have been successfully applied."},
};

TEST(MigrationTimingTest, NativeDeployWithRealisticTimestamps) {
  auto applied = Time(kNativeDeploy);
  ASSERT_EQ(applied.size(), 3u);
  EXPECT_EQ(applied[0].name, "20210322163834_init");
  EXPECT_DOUBLE_EQ(*applied[0].seconds, 0.462);
  EXPECT_EQ(applied[1].name, "20210323083311_backfill_totals");
  EXPECT_DOUBLE_EQ(*applied[1].seconds, 47.5);
  EXPECT_EQ(applied[2].name, "20210401090000_add_index");
  EXPECT_DOUBLE_EQ(*applied[2].seconds, 1.75);

  EXPECT_EQ(AppliedMigrationsJson(applied),
            "[{\"name\":\"20210322163834_init\",\"seconds\":0.462},"
            "{\"name\":\"20210323083311_backfill_totals\",\"seconds\":47.5},"
            "{\"name\":\"20210401090000_add_index\",\"seconds\":1.75}]");
  EXPECT_EQ(AppliedMigrationNames(applied),
            "20210322163834_init\n20210323083311_backfill_totals\n20210401090000_add_index");
  std::string table = AppliedMigrationsMarkdown(applied);
  EXPECT_NE(table.find("| 2 | 20210323083311_backfill_totals | 47.500 |"), std::string::npos)
      << table;
  EXPECT_NE(table.find("Slowest: 20210323083311_backfill_totals (47.500 s)"), std::string::npos)
      << table;
}

TEST(MigrationTimingTest, WasmEngineDebugLinesTimeToo) {
  // DEBUG=prisma:schemaEngine:wasm:stderr, as Prisma 6 prints it with engine "js".
  auto applied = Time({
      {1000,
       "prisma:schemaEngine:wasm:stderr {\"level\":\"INFO\",\"fields\":{\"message\":"
       "\"Applying `20240101000000_init`\",\"script\":\"CREATE TABLE x ();\"},\"target\":"
       "\"schema_commands::commands::apply_migrations\"}"},
      {1000, " +27ms"},
      {3500,
       "prisma:schemaEngine:wasm:stderr {\"level\":\"INFO\",\"fields\":{\"message\":"
       "\"Applying `20240201000000_add_flow`\",\"script\":\"\"}}"},
      {4000, "The following migration(s) have been applied:"},
      {4000, "  \xe2\x94\x94\xe2\x94\x80 20240101000000_init/"},
      {4000, "  \xe2\x94\x94\xe2\x94\x80 20240201000000_add_flow/"},
  });
  ASSERT_EQ(applied.size(), 2u);
  EXPECT_DOUBLE_EQ(*applied[0].seconds, 2.5);
  EXPECT_DOUBLE_EQ(*applied[1].seconds, 0.5);
}

TEST(MigrationTimingTest, SummaryWithoutApplyingLinesListsNamesUntimed) {
  auto applied = Time({{1, "The following migration(s) have been applied:"},
                       {1, "migrations/"},
                       {1, "  \xe2\x94\x94\xe2\x94\x80 20240101000000_init/"},
                       {1, "    \xe2\x94\x94\xe2\x94\x80 migration.sql"}});
  ASSERT_EQ(applied.size(), 1u);
  EXPECT_EQ(applied[0].name, "20240101000000_init");
  EXPECT_FALSE(applied[0].seconds);
  EXPECT_EQ(AppliedMigrationsJson(applied),
            "[{\"name\":\"20240101000000_init\",\"seconds\":null}]");
}

TEST(MigrationTimingTest, TheMigrationThatFailedIsNotApplied) {
  auto applied = Time({{1000, "Applying migration `a`"},
                       {2000, "Applying migration `b`"},
                       {2100, "Error: P3018"},
                       {2100, "Migration name: b"}});
  ASSERT_EQ(applied.size(), 1u);
  EXPECT_EQ(applied[0].name, "a");
  EXPECT_DOUBLE_EQ(*applied[0].seconds, 1.0);
}

TEST(MigrationTimingTest, NothingAppliedIsEmpty) {
  auto applied = Time(
      {{1, "3 migrations found in prisma/migrations"}, {2, "No pending migrations to apply."}});
  EXPECT_TRUE(applied.empty());
  EXPECT_EQ(AppliedMigrationsJson(applied), "[]");
  EXPECT_EQ(AppliedMigrationNames(applied), "");
  EXPECT_EQ(AppliedMigrationsMarkdown(applied), "");
}

TEST(MigrationTimingTest, LinesMentioningApplyingAreNotMigrations) {
  auto applied = Time({{1, "echo Applying migration `x` is what Prisma says"},
                       {2, "Applying migration without a name"},
                       {3, "All migrations have been successfully applied."}});
  EXPECT_TRUE(applied.empty());
}

TEST(MigrationTimingTest, ColouredLinesAndTheDemoStandIn) {
  // The psql stand-in of scripts/demo prints Prisma's lines without the tree.
  auto applied = Time({{100, "\x1b[1mApplying migration `20240201000000_add_decision_flow`\x1b[0m"},
                       {350, "All migrations have been successfully applied (1 new) to ..."}});
  ASSERT_EQ(applied.size(), 1u);
  EXPECT_EQ(applied[0].name, "20240201000000_add_decision_flow");
  EXPECT_DOUBLE_EQ(*applied[0].seconds, 0.25);
}

TEST(MigrationTimingTest, MarkdownEscapesNames) {
  std::string table = AppliedMigrationsMarkdown({{"a|b<c>", 1.0}});
  EXPECT_NE(table.find("a\\|b&lt;c&gt;"), std::string::npos) << table;
}

}  // namespace
}  // namespace ecsmig
