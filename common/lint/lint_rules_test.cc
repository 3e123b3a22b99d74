#include "common/lint/lint_rules.h"

#include <gtest/gtest.h>

#include "common/lint/sql_lexer.h"

namespace ecsmig {
namespace {

// A base schema like a Prisma project's first migration.
constexpr char kBase[] =
    "CREATE TABLE \"User\" (\"id\" SERIAL NOT NULL, \"email\" TEXT, \"name\" TEXT,"
    " \"age\" INTEGER NOT NULL, CONSTRAINT \"User_pkey\" PRIMARY KEY (\"id\"));\n"
    "CREATE TABLE \"Org\" (\"id\" SERIAL PRIMARY KEY);\n"
    "CREATE TABLE \"app\".\"Document\" (\"id\" BIGINT PRIMARY KEY, \"title\" TEXT);\n";

struct Found {
  std::string rule;
  int line;
  int column;
  std::string table;
  std::string message;
};

std::vector<Found> Lint(const std::string& migration, const std::string& base = kBase) {
  SchemaModel schema;
  ParsedSql parsed_base = ParseSql(base);
  EXPECT_FALSE(parsed_base.error);
  schema.ApplyAll(parsed_base);
  ParsedSql parsed = ParseSql(migration);
  EXPECT_FALSE(parsed.error) << parsed.error->message;
  LineIndex index(migration);
  std::vector<Found> out;
  for (const LintFinding& f : LintMigrationSql(migration, parsed, schema)) {
    SourcePosition at = index.At(f.offset);
    out.push_back({f.rule, at.line, at.column, f.table, f.message});
  }
  return out;
}

std::vector<std::string> Rules(const std::vector<Found>& found) {
  std::vector<std::string> rules;
  for (const Found& f : found) rules.push_back(f.rule);
  return rules;
}

using Rs = std::vector<std::string>;

TEST(LintRulesTest, CatalogNamesAreUniqueAndFindable) {
  for (const RuleInfo& rule : LintRules()) {
    ASSERT_EQ(FindLintRule(rule.name), &rule);
  }
  EXPECT_EQ(FindLintRule("syntax-error")->rule_class, RuleClass::kSyntax);
  EXPECT_EQ(FindLintRule("no-such-rule"), nullptr);
  EXPECT_EQ(LintRules().size(), 12u);
}

TEST(LintRulesTest, DropTable) {
  auto found = Lint("DROP TABLE \"Org\";");
  ASSERT_EQ(Rules(found), Rs{"drop-table"});
  EXPECT_EQ(found[0].table, "Org");
  EXPECT_NE(found[0].message.find("\"Org\""), std::string::npos);
  EXPECT_EQ(Rules(Lint("DROP INDEX \"Org_pkey\"; DROP VIEW v;")), Rs{});
  EXPECT_EQ(Rules(Lint("CREATE TABLE t (a int);\nDROP TABLE t;")), Rs{});
  auto both = Lint("CREATE TABLE t (a int);\nDROP TABLE IF EXISTS t, \"app\".\"Document\";");
  ASSERT_EQ(Rules(both), Rs{"drop-table"});
  EXPECT_EQ(both[0].table, "app.Document");
  EXPECT_EQ(both[0].line, 2);
}

TEST(LintRulesTest, DropColumn) {
  auto found = Lint("-- AlterTable\nALTER TABLE \"User\" DROP COLUMN \"name\";");
  ASSERT_EQ(Rules(found), Rs{"drop-column"});
  EXPECT_EQ(found[0].line, 2);
  EXPECT_EQ(found[0].column, 20);  // the DROP clause
  EXPECT_EQ(Rules(Lint("ALTER TABLE \"User\" ADD COLUMN \"nick\" TEXT;")), Rs{});
  EXPECT_EQ(Rules(Lint("CREATE TABLE \"T\" (a int, b int);\nALTER TABLE \"T\" DROP COLUMN b;")),
            Rs{});
}

TEST(LintRulesTest, ChangingColumnType) {
  auto found = Lint("ALTER TABLE \"User\" ALTER COLUMN \"age\" SET DATA TYPE BIGINT;");
  ASSERT_EQ(Rules(found), Rs{"changing-column-type"});
  EXPECT_NE(found[0].message.find("from int4 to int8"), std::string::npos) << found[0].message;
  EXPECT_EQ(Rules(Lint("ALTER TABLE \"User\" ALTER COLUMN \"age\" SET DEFAULT 1;")), Rs{});
  EXPECT_EQ(Rules(Lint("CREATE TABLE \"T\" (a int);\nALTER TABLE \"T\" ALTER COLUMN a TYPE text;")),
            Rs{});
}

TEST(LintRulesTest, RenameColumn) {
  auto found = Lint("ALTER TABLE \"User\" RENAME COLUMN \"name\" TO \"fullName\";");
  ASSERT_EQ(Rules(found), Rs{"rename-column"});
  EXPECT_EQ(found[0].table, "User");
  EXPECT_EQ(Rules(Lint("ALTER INDEX \"User_pkey\" RENAME TO \"User_pk\";")), Rs{});
  EXPECT_EQ(Rules(Lint("CREATE TABLE \"T\" (a int);\nALTER TABLE \"T\" RENAME COLUMN a TO b;")),
            Rs{});
}

TEST(LintRulesTest, RenameTable) {
  EXPECT_EQ(Rules(Lint("ALTER TABLE \"Org\" RENAME TO \"Team\";")), Rs{"rename-table"});
  EXPECT_EQ(Rules(Lint("ALTER TABLE \"Org\" RENAME CONSTRAINT \"Org_pkey\" TO \"x\";")), Rs{});
  // A table created here keeps that status under its new name.
  EXPECT_EQ(Rules(Lint("CREATE TABLE \"T\" (a int);\nALTER TABLE \"T\" RENAME TO \"U\";\n"
                       "CREATE INDEX u_a ON \"U\" (a);")),
            Rs{});
}

TEST(LintRulesTest, DropThenAddColumnIsPrismasRename) {
  std::string migration =
      "-- AlterTable\n"
      "ALTER TABLE \"User\" DROP COLUMN \"name\",\n"
      "ADD COLUMN     \"fullName\" TEXT;\n";
  auto found = Lint(migration);
  ASSERT_EQ(Rules(found), (Rs{"drop-column", "drop-then-add-column"}));
  EXPECT_EQ(found[1].line, 3);
  EXPECT_EQ(found[1].column, 1);
  EXPECT_NE(found[1].message.find("RENAME COLUMN \"name\" TO \"fullName\""), std::string::npos);
  // Also across statements of one migration.
  EXPECT_EQ(Rules(Lint("ALTER TABLE \"User\" DROP COLUMN \"name\";\nSELECT 1;\n"
                       "ALTER TABLE \"User\" ADD COLUMN \"n\" TEXT;")),
            (Rs{"drop-column", "drop-then-add-column"}));
  // Adding to another table is not a rename.
  EXPECT_EQ(Rules(Lint("ALTER TABLE \"User\" DROP COLUMN \"name\";\n"
                       "ALTER TABLE \"Org\" ADD COLUMN \"n\" TEXT;")),
            Rs{"drop-column"});
  // An add before the drop is not one either.
  EXPECT_EQ(Rules(Lint("ALTER TABLE \"User\" ADD COLUMN \"n\" TEXT, DROP COLUMN \"name\";")),
            Rs{"drop-column"});
}

TEST(LintRulesTest, AddingNotNullableField) {
  auto found = Lint("ALTER TABLE \"User\" ADD COLUMN \"role\" TEXT NOT NULL;");
  ASSERT_EQ(Rules(found), Rs{"adding-not-nullable-field"});
  EXPECT_EQ(Rules(Lint("ALTER TABLE \"User\" ADD COLUMN \"role\" TEXT NOT NULL DEFAULT 'user';")),
            Rs{});
  EXPECT_EQ(Rules(Lint("ALTER TABLE \"User\" ADD COLUMN \"role\" TEXT;")), Rs{});
  EXPECT_EQ(Rules(Lint("ALTER TABLE \"User\" ADD COLUMN \"n\" SERIAL NOT NULL;")), Rs{});
  EXPECT_EQ(
      Rules(Lint("CREATE TABLE \"T\" (a int);\nALTER TABLE \"T\" ADD COLUMN b int NOT NULL;")),
      Rs{});
}

TEST(LintRulesTest, SettingNotNull) {
  auto found = Lint("ALTER TABLE \"User\" ALTER COLUMN \"email\" SET NOT NULL;");
  ASSERT_EQ(Rules(found), Rs{"setting-not-null"});
  // Already NOT NULL in the replayed schema: no scan, no finding.
  EXPECT_EQ(Rules(Lint("ALTER TABLE \"User\" ALTER COLUMN \"age\" SET NOT NULL;")), Rs{});
  EXPECT_EQ(Rules(Lint("ALTER TABLE \"User\" ALTER COLUMN \"email\" DROP NOT NULL;")), Rs{});
  EXPECT_EQ(Rules(Lint("CREATE TABLE \"T\" (a int);\nALTER TABLE \"T\" ALTER a SET NOT NULL;")),
            Rs{});
}

TEST(LintRulesTest, CreateIndexNonConcurrently) {
  auto found = Lint("CREATE INDEX \"doc_title\" ON \"app\".\"Document\" (\"title\");");
  ASSERT_EQ(Rules(found), Rs{"create-index-non-concurrently"});
  EXPECT_EQ(found[0].table, "app.Document");
  EXPECT_NE(found[0].message.find("locks writes on \"app\".\"Document\" while the index builds"),
            std::string::npos);
  EXPECT_EQ(Rules(Lint("CREATE INDEX CONCURRENTLY \"i\" ON \"User\" (\"email\");")), Rs{});
  EXPECT_EQ(Rules(Lint("CREATE TABLE \"Post\" (id int);\nCREATE UNIQUE INDEX p ON \"Post\"(id);")),
            Rs{});
}

TEST(LintRulesTest, AddingForeignKey) {
  std::string fk =
      "ALTER TABLE \"User\" ADD CONSTRAINT \"User_org_fkey\" FOREIGN KEY (\"orgId\") "
      "REFERENCES \"Org\"(\"id\") ON DELETE SET NULL ON UPDATE CASCADE";
  auto found = Lint(fk + ";");
  ASSERT_EQ(Rules(found), Rs{"adding-foreign-key"});
  EXPECT_EQ(found[0].table, "User");  // the referencing table
  EXPECT_NE(found[0].message.find("\"Org\""), std::string::npos);
  EXPECT_EQ(Rules(Lint(fk + " NOT VALID;")), Rs{});
  EXPECT_EQ(Rules(Lint("ALTER TABLE \"User\" ADD COLUMN \"o\" INT REFERENCES \"Org\"(\"id\");")),
            Rs{"adding-foreign-key"});
  // Prisma's new table: CREATE TABLE, then its foreign key, is not a finding.
  EXPECT_EQ(Rules(Lint("CREATE TABLE \"Post\" (\"id\" SERIAL, \"authorId\" INTEGER NOT NULL);\n"
                       "ALTER TABLE \"Post\" ADD CONSTRAINT \"Post_authorId_fkey\" FOREIGN KEY "
                       "(\"authorId\") REFERENCES \"User\"(\"id\");")),
            Rs{});
}

TEST(LintRulesTest, AddingCheck) {
  EXPECT_EQ(Rules(Lint("ALTER TABLE \"User\" ADD CONSTRAINT age_ok CHECK (\"age\" >= 0);")),
            Rs{"adding-check"});
  EXPECT_EQ(Rules(Lint("ALTER TABLE \"User\" ADD CONSTRAINT age_ok CHECK (\"age\" >= 0) NOT VALID;"
                       "\nALTER TABLE \"User\" VALIDATE CONSTRAINT age_ok;")),
            Rs{});
  EXPECT_EQ(Rules(Lint("CREATE TABLE t (a int);\nALTER TABLE t ADD CHECK (a > 0);")), Rs{});
}

TEST(LintRulesTest, AddingUniqueConstraint) {
  EXPECT_EQ(
      Rules(Lint("ALTER TABLE \"User\" ADD CONSTRAINT \"User_email_key\" UNIQUE (\"email\");")),
      Rs{"adding-unique-constraint"});
  EXPECT_EQ(Rules(Lint("ALTER TABLE \"Org\" ADD PRIMARY KEY (\"id\");")),
            Rs{"adding-unique-constraint"});
  EXPECT_EQ(Rules(Lint("ALTER TABLE \"User\" ADD CONSTRAINT u UNIQUE USING INDEX \"User_e\";")),
            Rs{});
  EXPECT_EQ(Rules(Lint("CREATE TABLE t (a int);\nALTER TABLE t ADD UNIQUE (a);")), Rs{});
}

TEST(LintRulesTest, QuotedNamesAreCaseSensitiveUnquotedFold) {
  // "user" (folded) is not "User": a table the history never created is
  // treated as existing, so its changes are findings.
  std::string base = "CREATE TABLE \"User\" (id int);";
  EXPECT_EQ(Rules(Lint("CREATE TABLE user_x (a int);\nCREATE INDEX i ON USER_X (a);", base)), Rs{});
  EXPECT_EQ(Rules(Lint("CREATE TABLE \"T\" (a int);\nCREATE INDEX i ON t (a);", base)),
            Rs{"create-index-non-concurrently"});
  // Schema-qualified: app.T is not public.T.
  EXPECT_EQ(Rules(Lint("CREATE TABLE t (a int);\nCREATE INDEX i ON app.t (a);", base)),
            Rs{"create-index-non-concurrently"});
  EXPECT_EQ(Rules(Lint("CREATE TABLE public.t (a int);\nCREATE INDEX i ON t (a);", base)), Rs{});
}

TEST(LintRulesTest, MultiStatementFileWithCommentsAndDoBlock) {
  std::string migration =
      "-- CreateTable\n"                                           // 1
      "CREATE TABLE \"Post\" (\"id\" SERIAL NOT NULL);\n"          // 2
      "\n"                                                         // 3
      "DO $$\n"                                                    // 4
      "BEGIN\n"                                                    // 5
      "  ALTER TABLE \"User\" DROP COLUMN \"name\"; -- inside\n"   // 6
      "END $$;\n"                                                  // 7
      "/* CreateIndex; with a ; */\n"                              // 8
      "CREATE INDEX \"User_email_idx\" ON \"User\"(\"email\");\n"  // 9
      "ALTER TABLE \"User\"\n"                                     // 10
      "  ADD COLUMN \"x\" TEXT,\n"                                 // 11
      "  ALTER COLUMN \"email\" SET NOT NULL;\n";                  // 12
  auto found = Lint(migration);
  ASSERT_EQ(Rules(found), (Rs{"create-index-non-concurrently", "setting-not-null"}));
  EXPECT_EQ(found[0].line, 9);
  EXPECT_EQ(found[0].column, 1);
  EXPECT_EQ(found[1].line, 12);
  EXPECT_EQ(found[1].column, 3);
}

TEST(LintRulesTest, SchemaIsReplayedInOrder) {
  // Dropped and recreated in the history: it exists at the base.
  std::string base = "CREATE TABLE a (x int);\nDROP TABLE a;\nCREATE TABLE a (y int NOT NULL);";
  EXPECT_EQ(Rules(Lint("ALTER TABLE a ALTER COLUMN y SET NOT NULL;", base)), Rs{});
  EXPECT_EQ(Rules(Lint("ALTER TABLE a ALTER COLUMN x SET NOT NULL;", base)),
            Rs{"setting-not-null"});
  // CREATE TABLE IF NOT EXISTS on an existing table creates nothing.
  EXPECT_EQ(Rules(Lint("CREATE TABLE IF NOT EXISTS a (z int);\nCREATE INDEX i ON a (y);", base)),
            Rs{"create-index-non-concurrently"});
}

}  // namespace
}  // namespace ecsmig
