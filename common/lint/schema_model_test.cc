#include "common/lint/schema_model.h"

#include <gtest/gtest.h>

namespace ecsmig {
namespace {

SchemaModel Replay(const std::string& sql) {
  SchemaModel schema;
  ParsedSql parsed = ParseSql(sql);
  EXPECT_FALSE(parsed.error) << parsed.error->message;
  schema.ApplyAll(parsed);
  return schema;
}

TEST(SchemaModelTest, TablesColumnsAndConstraints) {
  SchemaModel schema = Replay(
      "CREATE TABLE \"User\" (\"id\" SERIAL NOT NULL, \"email\" TEXT, \"n\" INT DEFAULT 1,"
      " CONSTRAINT \"User_pkey\" PRIMARY KEY (\"id\"));\n"
      "CREATE TABLE app.doc (id bigint PRIMARY KEY);\n"
      "ALTER TABLE \"User\" ADD COLUMN \"org\" INT NOT NULL DEFAULT 0,"
      " ADD CONSTRAINT \"u_email\" UNIQUE (\"email\");\n"
      "CREATE INDEX \"User_email_idx\" ON \"User\" (\"email\");");
  const TableModel* user = schema.FindTable({"public", "User"});
  ASSERT_NE(user, nullptr);
  EXPECT_EQ(user->columns.size(), 4u);
  EXPECT_TRUE(user->columns.at("id").not_null);
  EXPECT_TRUE(user->columns.at("id").has_default);  // serial
  EXPECT_FALSE(user->columns.at("email").not_null);
  EXPECT_TRUE(user->columns.at("n").has_default);
  EXPECT_EQ(user->columns.at("n").type, "int4");
  EXPECT_TRUE(user->constraints.count("User_pkey"));
  EXPECT_TRUE(user->constraints.count("u_email"));
  EXPECT_NE(schema.FindTable({"app", "doc"}), nullptr);
  EXPECT_EQ(schema.FindTable({"public", "user"}), nullptr);
  EXPECT_EQ(schema.IndexTable({"public", "User_email_idx"}), (QualifiedName{"public", "User"}));
}

TEST(SchemaModelTest, RenamesDropsAndTypeChanges) {
  SchemaModel schema = Replay(
      "CREATE TABLE a (x int, y text);\n"
      "CREATE INDEX a_x ON a (x);\n"
      "ALTER TABLE a RENAME COLUMN y TO z;\n"
      "ALTER TABLE a ALTER COLUMN x TYPE bigint, ALTER COLUMN z SET NOT NULL;\n"
      "ALTER TABLE a RENAME TO b;\n"
      "ALTER INDEX a_x RENAME TO b_x;\n"
      "CREATE TABLE c (id int);\n"
      "DROP TABLE c;\n"
      "ALTER TABLE b DROP COLUMN IF EXISTS nothing;");
  EXPECT_EQ(schema.FindTable({"public", "a"}), nullptr);
  EXPECT_EQ(schema.FindTable({"public", "c"}), nullptr);
  const ColumnModel* z = schema.FindColumn({"public", "b"}, "z");
  ASSERT_NE(z, nullptr);
  EXPECT_TRUE(z->not_null);
  EXPECT_EQ(schema.FindColumn({"public", "b"}, "x")->type, "int8");
  EXPECT_EQ(schema.FindColumn({"public", "b"}, "y"), nullptr);
  EXPECT_EQ(schema.IndexTable({"public", "b_x"}), (QualifiedName{"public", "b"}));
}

TEST(SchemaModelTest, DisplayQuotesAndQualifies) {
  EXPECT_EQ((QualifiedName{"public", "User"}).Display(), "\"User\"");
  EXPECT_EQ((QualifiedName{"app", "a\"b"}).Display(), "\"app\".\"a\"\"b\"");
}

TEST(SchemaModelTest, UnknownStatementsAndObjectsAreTolerated) {
  SchemaModel schema = Replay(
      "CREATE TYPE mood AS ENUM ('a');\n"
      "CREATE VIEW v AS SELECT 1;\n"
      "INSERT INTO t VALUES (1);\n"
      "ALTER TABLE never_created ADD COLUMN a int;\n"
      "DROP TABLE IF EXISTS also_never;\n"
      "ALTER TYPE mood ADD VALUE 'b';");
  EXPECT_NE(schema.FindColumn({"public", "never_created"}, "a"), nullptr);
}

}  // namespace
}  // namespace ecsmig
