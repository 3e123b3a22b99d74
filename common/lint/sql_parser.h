// SQL text → statements, with PostgreSQL's own parser (libpg_query): each
// statement's parse tree (libpg_query's JSON, node names as in PostgreSQL's
// parsenodes.h) and where it starts in the text.
#pragma once

#include <cstddef>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace ecsmig {

struct SqlStatement {
  std::string kind;     // the node's type, e.g. "CreateStmt", "AlterTableStmt"
  nlohmann::json node;  // the node's fields (the object under `kind`)
  size_t offset = 0;    // byte offset of the statement's first token
  size_t end = 0;       // byte offset just past its last byte (before `;`)
};

struct SqlSyntaxError {
  std::string message;  // PostgreSQL's, e.g. `syntax error at or near "TABL"`
  size_t offset = 0;    // byte offset where the parser stopped
};

struct ParsedSql {
  std::vector<SqlStatement> statements;  // empty when `error` is set
  std::optional<SqlSyntaxError> error;
};

// Parses a whole file. Never throws for bad SQL: a file PostgreSQL would
// reject comes back with `error` set (as does one holding a NUL byte, which
// no PostgreSQL client can send).
ParsedSql ParseSql(const std::string& text);

// Helpers for reading parse trees.

// node[name], or a null node when `node` is not an object or has no such
// field (iterating a null node visits nothing). Also unwraps a typed node:
// NodeField(element, "ColumnDef").
const nlohmann::json& NodeField(const nlohmann::json& node, const char* name);

// The string of a `{"String": {"sval": …}}` node ("" otherwise).
std::string NodeString(const nlohmann::json& node);
// The last element of a list of String nodes (e.g. a type's or an object's
// qualified name), "" when empty.
std::string LastNameOf(const nlohmann::json& names);
// A field's value, or a default when absent (libpg_query leaves out false,
// 0 and empty fields).
bool BoolField(const nlohmann::json& node, const char* field);
std::string StringField(const nlohmann::json& node, const char* field);
// The `location` field of a node (a byte offset), or nullopt when absent or -1.
std::optional<size_t> Location(const nlohmann::json& node);

}  // namespace ecsmig
