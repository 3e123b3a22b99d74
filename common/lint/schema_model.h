// What the database looks like after a sequence of migrations: tables, their
// columns, constraints and indexes, replayed from the statements' parse trees
// (no database involved). Statements the model does not track (views,
// functions, types, data) leave it unchanged.
#pragma once

#include <compare>
#include <map>
#include <nlohmann/json.hpp>
#include <optional>
#include <set>
#include <string>

#include "common/lint/sql_parser.h"

namespace ecsmig {

// A table's or index's name as PostgreSQL resolves it; an unqualified name
// is taken to be in `public` (Prisma's default schema, and search_path's).
struct QualifiedName {
  std::string schema = "public";
  std::string name;
  auto operator<=>(const QualifiedName&) const = default;
  // `"User"`, or `"app"."User"` outside public: how messages name it.
  std::string Display() const;
};

// The name of a RangeVar node (`relation` of CREATE/ALTER TABLE, CREATE INDEX).
QualifiedName RelationName(const nlohmann::json& range_var);
// The name of a DROP's object: `{"List": {"items": [String…]}}`.
QualifiedName ObjectName(const nlohmann::json& list);
// `"name"` as SQL would quote it.
std::string QuoteIdentifier(const std::string& name);

struct ColumnModel {
  std::string type;  // the type's name, e.g. "int4", "text", "timestamp"
  bool not_null = false;
  bool has_default = false;
};

struct TableModel {
  std::map<std::string, ColumnModel> columns;
  std::set<std::string> constraints;  // named ones
};

class SchemaModel {
 public:
  // Applies one statement's effect. Statements about objects the model does
  // not know (created outside the migrations) are tolerated.
  void Apply(const SqlStatement& statement);
  void ApplyAll(const ParsedSql& parsed) {
    for (const SqlStatement& s : parsed.statements) Apply(s);
  }

  const TableModel* FindTable(const QualifiedName& name) const;
  const ColumnModel* FindColumn(const QualifiedName& table, const std::string& column) const;
  const std::map<QualifiedName, TableModel>& tables() const { return tables_; }
  // The table an index belongs to, when the model saw it created.
  std::optional<QualifiedName> IndexTable(const QualifiedName& index) const;

 private:
  void ApplyCreateTable(const nlohmann::json& node);
  void ApplyAlterTable(const nlohmann::json& node);
  void ApplyAlterTableCommand(TableModel& table, const nlohmann::json& cmd);
  void ApplyRename(const nlohmann::json& node);
  void ApplyDrop(const nlohmann::json& node);
  void ApplyCreateIndex(const nlohmann::json& node);

  std::map<QualifiedName, TableModel> tables_;
  std::map<QualifiedName, QualifiedName> indexes_;  // index → table
};

// A column definition's facts: its type and whether it is NOT NULL (also as
// part of a PRIMARY KEY) or has a DEFAULT (also an identity or generated column).
ColumnModel DescribeColumn(const nlohmann::json& column_def);

}  // namespace ecsmig
