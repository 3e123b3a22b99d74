#include "common/lint/sql_parser.h"

#include <pg_query.h>

#include "common/base/error.h"
#include "common/lint/sql_lexer.h"

namespace ecsmig {
namespace {

// Owns one libpg_query result.
class ParseResult {
 public:
  explicit ParseResult(const std::string& text) : result_(pg_query_parse(text.c_str())) {}
  ~ParseResult() { pg_query_free_parse_result(result_); }
  ParseResult(const ParseResult&) = delete;
  ParseResult& operator=(const ParseResult&) = delete;
  const PgQueryParseResult& get() const { return result_; }

 private:
  PgQueryParseResult result_;
};

}  // namespace

ParsedSql ParseSql(const std::string& text) {
  ParsedSql parsed;
  if (size_t nul = text.find('\0'); nul != std::string::npos) {
    parsed.error = SqlSyntaxError{"the file holds a NUL byte", nul};
    return parsed;
  }
  ParseResult result(text);
  if (const PgQueryError* error = result.get().error) {
    // cursorpos counts characters from 1; 0 means no position (end of input).
    size_t offset = error->cursorpos > 0
                        ? LineIndex(text).OffsetOfCharacter(static_cast<size_t>(error->cursorpos))
                        : text.size();
    parsed.error = SqlSyntaxError{error->message ? error->message : "syntax error", offset};
    return parsed;
  }
  nlohmann::json tree = nlohmann::json::parse(result.get().parse_tree, nullptr, false);
  if (tree.is_discarded()) throw Error("libpg_query returned a parse tree that is not JSON");
  if (!tree.contains("stmts")) return parsed;  // an empty file, or only comments
  for (const auto& raw : tree["stmts"]) {
    const auto& stmt = raw.value("stmt", nlohmann::json::object());
    if (!stmt.is_object() || stmt.size() != 1) continue;
    size_t location = raw.value("stmt_location", size_t{0});
    // stmt_len 0 means "the rest of the text" (the last statement, no `;`).
    size_t length = raw.value("stmt_len", size_t{0});
    size_t end = length == 0 ? text.size() : std::min(text.size(), location + length);
    SqlStatement statement;
    statement.kind = stmt.begin().key();
    statement.node = stmt.begin().value();
    statement.offset = SkipSqlSpaceAndComments(text, location, end);
    statement.end = end;
    parsed.statements.push_back(std::move(statement));
  }
  return parsed;
}

const nlohmann::json& NodeField(const nlohmann::json& node, const char* name) {
  static const nlohmann::json kNull;
  if (!node.is_object()) return kNull;
  auto it = node.find(name);
  return it == node.end() ? kNull : *it;
}

std::string NodeString(const nlohmann::json& node) {
  if (!node.is_object()) return "";
  auto it = node.find("String");
  if (it == node.end() || !it->is_object()) return "";
  return StringField(*it, "sval");
}

std::string LastNameOf(const nlohmann::json& names) {
  if (!names.is_array() || names.empty()) return "";
  return NodeString(names.back());
}

bool BoolField(const nlohmann::json& node, const char* field) {
  auto it = node.find(field);
  return it != node.end() && it->is_boolean() && it->get<bool>();
}

std::string StringField(const nlohmann::json& node, const char* field) {
  auto it = node.find(field);
  return it != node.end() && it->is_string() ? it->get<std::string>() : std::string();
}

std::optional<size_t> Location(const nlohmann::json& node) {
  auto it = node.find("location");
  if (it == node.end() || !it->is_number_integer()) return std::nullopt;
  long long value = it->get<long long>();
  if (value < 0) return std::nullopt;
  return static_cast<size_t>(value);
}

}  // namespace ecsmig
