#include "common/lint/sql_parser.h"

#include <gtest/gtest.h>

#include "common/lint/sql_lexer.h"

namespace ecsmig {
namespace {

SourcePosition StartOf(const std::string& text, size_t index) {
  ParsedSql parsed = ParseSql(text);
  EXPECT_FALSE(parsed.error) << parsed.error->message;
  EXPECT_LT(index, parsed.statements.size());
  return LineIndex(text).At(parsed.statements.at(index).offset);
}

TEST(SqlParserTest, StatementsStartAtTheirFirstTokenAfterComments) {
  std::string text =
      "-- CreateTable\n"
      "CREATE TABLE \"User\" (id int);\n"
      "\n"
      "/* a block /* nested */ comment */\n"
      "  -- AddForeignKey\n"
      "  ALTER TABLE \"User\" ADD COLUMN \"name\" text;";
  ParsedSql parsed = ParseSql(text);
  ASSERT_FALSE(parsed.error);
  ASSERT_EQ(parsed.statements.size(), 2u);
  EXPECT_EQ(parsed.statements[0].kind, "CreateStmt");
  EXPECT_EQ(parsed.statements[1].kind, "AlterTableStmt");
  SourcePosition first = StartOf(text, 0);
  EXPECT_EQ(first.line, 2);
  EXPECT_EQ(first.column, 1);
  SourcePosition second = StartOf(text, 1);
  EXPECT_EQ(second.line, 6);
  EXPECT_EQ(second.column, 3);
}

TEST(SqlParserTest, DoBlocksAndStringsHideSemicolons) {
  std::string text =
      "DO $$ BEGIN\n"
      "  PERFORM 1; -- not a statement of the file\n"
      "END $$;\n"
      "INSERT INTO t VALUES ('a;b', $tag$c;d$tag$);\n"
      "CREATE INDEX i ON t (a);";
  ParsedSql parsed = ParseSql(text);
  ASSERT_FALSE(parsed.error);
  ASSERT_EQ(parsed.statements.size(), 3u);
  EXPECT_EQ(parsed.statements[0].kind, "DoStmt");
  EXPECT_EQ(LineIndex(text).At(parsed.statements[1].offset).line, 4);
  EXPECT_EQ(LineIndex(text).At(parsed.statements[2].offset).line, 5);
}

TEST(SqlParserTest, SyntaxErrorCarriesItsPosition) {
  std::string text = "CREATE TABLE a (id int);\n\nALTER TABLE a ADD COLUM b int;\n";
  ParsedSql parsed = ParseSql(text);
  ASSERT_TRUE(parsed.error);
  EXPECT_TRUE(parsed.statements.empty());
  EXPECT_NE(parsed.error->message.find("syntax error"), std::string::npos);
  SourcePosition at = LineIndex(text).At(parsed.error->offset);
  EXPECT_EQ(at.line, 3);
  // "ADD COLUM b" reads as ADD [COLUMN] colum b: "int" is the first bad token.
  EXPECT_EQ(at.column, 27);
}

TEST(SqlParserTest, SyntaxErrorPositionCountsCharactersNotBytes) {
  // "é" is two bytes; PostgreSQL's cursor counts it as one character.
  std::string text = "SELECT 'é';\nSELEC 1;";
  ParsedSql parsed = ParseSql(text);
  ASSERT_TRUE(parsed.error);
  SourcePosition at = LineIndex(text).At(parsed.error->offset);
  EXPECT_EQ(at.line, 2);
  EXPECT_EQ(at.column, 1);
}

TEST(SqlParserTest, UnterminatedInputIsAnError) {
  ParsedSql parsed = ParseSql("CREATE TABLE a (id int");
  ASSERT_TRUE(parsed.error);
}

TEST(SqlParserTest, NulByteIsAnError) {
  std::string text = std::string("SELECT 1;\n") + '\0' + "DROP TABLE a;";
  ParsedSql parsed = ParseSql(text);
  ASSERT_TRUE(parsed.error);
  EXPECT_EQ(parsed.error->offset, 10u);
}

TEST(SqlParserTest, EmptyAndCommentOnlyFilesHaveNoStatements) {
  for (const char* text : {"", "  \n", "-- nothing\n/* here */"}) {
    ParsedSql parsed = ParseSql(text);
    EXPECT_FALSE(parsed.error) << text;
    EXPECT_TRUE(parsed.statements.empty()) << text;
  }
}

TEST(SqlParserTest, QuotedAndQualifiedNamesReachTheTree) {
  ParsedSql parsed =
      ParseSql("ALTER TABLE \"App\".\"User\" ADD COLUMN x int; ALTER TABLE Foo DROP y");
  ASSERT_FALSE(parsed.error);
  const auto& relation = parsed.statements[0].node["relation"];
  EXPECT_EQ(StringField(relation, "schemaname"), "App");
  EXPECT_EQ(StringField(relation, "relname"), "User");
  EXPECT_EQ(StringField(parsed.statements[1].node["relation"], "relname"), "foo");
}

TEST(SqlLexerTest, ClauseOffsetsSkipNestedCommasStringsAndComments) {
  std::string text =
      "ALTER TABLE \"s\".\"T\" ADD COLUMN a numeric(10,2) DEFAULT 'x,y', -- c,\n"
      "  ADD CONSTRAINT c CHECK (a IN (1, 2)),\n"
      "  DROP COLUMN \"b,c\"";
  size_t name = text.find("\"s\"");
  size_t past = SkipQualifiedName(text, name, text.size());
  EXPECT_EQ(text.substr(past, 4), " ADD");
  std::vector<size_t> offsets = TopLevelClauseOffsets(text, past, text.size());
  ASSERT_EQ(offsets.size(), 3u);
  LineIndex index(text);
  EXPECT_EQ(index.At(offsets[0]).line, 1);
  EXPECT_EQ(index.At(offsets[1]).line, 2);
  EXPECT_EQ(index.At(offsets[1]).column, 3);
  EXPECT_EQ(index.At(offsets[2]).line, 3);
}

TEST(SqlLexerTest, IdentifiersFoldOrKeepCase) {
  std::string text = "Foo \"Ba\"\"r\" e'x\\'y' z";
  std::vector<SqlToken> tokens = TokenizeSql(text, 0, text.size());
  ASSERT_EQ(tokens.size(), 4u);
  EXPECT_EQ(SqlIdentifier(text, tokens[0]), "foo");
  EXPECT_EQ(SqlIdentifier(text, tokens[1]), "Ba\"r");
  EXPECT_EQ(tokens[2].kind, SqlToken::Kind::kString);
  EXPECT_EQ(SqlIdentifier(text, tokens[3]), "z");
}

TEST(SqlLexerTest, LineIndexCountsCharacters) {
  std::string text = "ab\n\xc3\xa9x\n";
  LineIndex index(text);
  EXPECT_EQ(index.At(0).line, 1);
  EXPECT_EQ(index.At(3).line, 2);
  EXPECT_EQ(index.At(5).column, 2);  // after the two-byte é
  EXPECT_EQ(index.OffsetOfCharacter(5), 5u);
  EXPECT_EQ(index.OffsetOfCharacter(100), text.size());
}

}  // namespace
}  // namespace ecsmig
