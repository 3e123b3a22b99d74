#include "common/lint/schema_model.h"

namespace ecsmig {
namespace {

bool IsSerialType(const std::string& type) {
  return type == "serial" || type == "bigserial" || type == "smallserial" || type == "serial4" ||
         type == "serial8" || type == "serial2";
}

}  // namespace

std::string QuoteIdentifier(const std::string& name) {
  std::string out = "\"";
  for (char c : name) {
    out += c;
    if (c == '"') out += '"';
  }
  return out + "\"";
}

std::string QualifiedName::Display() const {
  if (schema == "public") return QuoteIdentifier(name);
  return QuoteIdentifier(schema) + "." + QuoteIdentifier(name);
}

QualifiedName RelationName(const nlohmann::json& range_var) {
  QualifiedName name;
  std::string schema = StringField(range_var, "schemaname");
  if (!schema.empty()) name.schema = schema;
  name.name = StringField(range_var, "relname");
  return name;
}

QualifiedName ObjectName(const nlohmann::json& list) {
  const nlohmann::json& items = NodeField(NodeField(list, "List"), "items");
  QualifiedName name;
  if (!items.is_array() || items.empty()) return name;
  name.name = NodeString(items.back());
  // [catalog.]schema.name: the schema is the one before the name.
  if (items.size() >= 2) name.schema = NodeString(items[items.size() - 2]);
  return name;
}

ColumnModel DescribeColumn(const nlohmann::json& column_def) {
  ColumnModel column;
  column.type = LastNameOf(NodeField(NodeField(column_def, "typeName"), "names"));
  column.has_default = IsSerialType(column.type);
  const nlohmann::json& constraints = NodeField(column_def, "constraints");
  if (!constraints.is_array()) return column;
  for (const auto& wrapped : constraints) {
    std::string type = StringField(NodeField(wrapped, "Constraint"), "contype");
    if (type == "CONSTR_NOTNULL" || type == "CONSTR_PRIMARY") column.not_null = true;
    if (type == "CONSTR_DEFAULT" || type == "CONSTR_IDENTITY" || type == "CONSTR_GENERATED") {
      column.has_default = true;
    }
  }
  return column;
}

void SchemaModel::Apply(const SqlStatement& statement) {
  if (statement.kind == "CreateStmt") {
    ApplyCreateTable(statement.node);
  } else if (statement.kind == "CreateTableAsStmt") {
    const nlohmann::json& into = NodeField(statement.node, "into");
    tables_.try_emplace(RelationName(NodeField(into, "rel")));
  } else if (statement.kind == "AlterTableStmt") {
    ApplyAlterTable(statement.node);
  } else if (statement.kind == "RenameStmt") {
    ApplyRename(statement.node);
  } else if (statement.kind == "DropStmt") {
    ApplyDrop(statement.node);
  } else if (statement.kind == "IndexStmt") {
    ApplyCreateIndex(statement.node);
  }
}

void SchemaModel::ApplyCreateTable(const nlohmann::json& node) {
  QualifiedName name = RelationName(NodeField(node, "relation"));
  if (tables_.count(name)) return;  // IF NOT EXISTS, or a table the model saw twice
  TableModel& table = tables_[name];
  const nlohmann::json& elements = NodeField(node, "tableElts");
  if (!elements.is_array()) return;
  for (const auto& element : elements) {
    if (const auto& def = NodeField(element, "ColumnDef"); def.is_object()) {
      table.columns[StringField(def, "colname")] = DescribeColumn(def);
    } else if (const auto& constraint = NodeField(element, "Constraint"); constraint.is_object()) {
      std::string conname = StringField(constraint, "conname");
      if (!conname.empty()) table.constraints.insert(conname);
      if (StringField(constraint, "contype") != "CONSTR_PRIMARY") continue;
      for (const auto& key : NodeField(constraint, "keys")) {
        auto column = table.columns.find(NodeString(key));
        if (column != table.columns.end()) column->second.not_null = true;
      }
    }
  }
}

void SchemaModel::ApplyAlterTable(const nlohmann::json& node) {
  if (StringField(node, "objtype") != "OBJECT_TABLE") return;
  TableModel& table = tables_[RelationName(NodeField(node, "relation"))];
  for (const auto& wrapped : NodeField(node, "cmds")) {
    ApplyAlterTableCommand(table, NodeField(wrapped, "AlterTableCmd"));
  }
}

void SchemaModel::ApplyAlterTableCommand(TableModel& table, const nlohmann::json& cmd) {
  std::string subtype = StringField(cmd, "subtype");
  std::string column = StringField(cmd, "name");
  const nlohmann::json& def = NodeField(cmd, "def");
  if (subtype == "AT_AddColumn") {
    const auto& column_def = NodeField(def, "ColumnDef");
    table.columns.try_emplace(StringField(column_def, "colname"), DescribeColumn(column_def));
  } else if (subtype == "AT_DropColumn") {
    table.columns.erase(column);
  } else if (subtype == "AT_AlterColumnType") {
    table.columns[column].type =
        LastNameOf(NodeField(NodeField(NodeField(def, "ColumnDef"), "typeName"), "names"));
  } else if (subtype == "AT_SetNotNull") {
    table.columns[column].not_null = true;
  } else if (subtype == "AT_DropNotNull") {
    table.columns[column].not_null = false;
  } else if (subtype == "AT_ColumnDefault") {
    table.columns[column].has_default = !def.is_null();
  } else if (subtype == "AT_AddConstraint") {
    std::string conname = StringField(NodeField(def, "Constraint"), "conname");
    if (!conname.empty()) table.constraints.insert(conname);
  } else if (subtype == "AT_DropConstraint") {
    table.constraints.erase(column);
  }
}

void SchemaModel::ApplyRename(const nlohmann::json& node) {
  std::string type = StringField(node, "renameType");
  std::string new_name = StringField(node, "newname");
  QualifiedName relation = RelationName(NodeField(node, "relation"));
  if (type == "OBJECT_TABLE") {
    auto entry = tables_.extract(relation);
    QualifiedName renamed{relation.schema, new_name};
    tables_[renamed] = entry ? std::move(entry.mapped()) : TableModel{};
    for (auto& [index, table] : indexes_) {
      if (table == relation) table = renamed;
    }
  } else if (type == "OBJECT_COLUMN") {
    TableModel& table = tables_[relation];
    auto entry = table.columns.extract(StringField(node, "subname"));
    table.columns[new_name] = entry ? entry.mapped() : ColumnModel{};
  } else if (type == "OBJECT_TABCONSTRAINT") {
    TableModel& table = tables_[relation];
    table.constraints.erase(StringField(node, "subname"));
    table.constraints.insert(new_name);
  } else if (type == "OBJECT_INDEX") {
    auto entry = indexes_.extract(relation);
    if (entry) indexes_[QualifiedName{relation.schema, new_name}] = entry.mapped();
  }
}

void SchemaModel::ApplyDrop(const nlohmann::json& node) {
  std::string type = StringField(node, "removeType");
  for (const auto& object : NodeField(node, "objects")) {
    QualifiedName name = ObjectName(object);
    if (type == "OBJECT_TABLE") {
      tables_.erase(name);
      std::erase_if(indexes_, [&](const auto& entry) { return entry.second == name; });
    } else if (type == "OBJECT_INDEX") {
      indexes_.erase(name);
    }
  }
}

void SchemaModel::ApplyCreateIndex(const nlohmann::json& node) {
  QualifiedName table = RelationName(NodeField(node, "relation"));
  std::string index = StringField(node, "idxname");
  if (!index.empty()) indexes_[QualifiedName{table.schema, index}] = table;
}

const TableModel* SchemaModel::FindTable(const QualifiedName& name) const {
  auto it = tables_.find(name);
  return it == tables_.end() ? nullptr : &it->second;
}

const ColumnModel* SchemaModel::FindColumn(const QualifiedName& table,
                                           const std::string& column) const {
  const TableModel* model = FindTable(table);
  if (!model) return nullptr;
  auto it = model->columns.find(column);
  return it == model->columns.end() ? nullptr : &it->second;
}

std::optional<QualifiedName> SchemaModel::IndexTable(const QualifiedName& index) const {
  auto it = indexes_.find(index);
  if (it == indexes_.end()) return std::nullopt;
  return it->second;
}

}  // namespace ecsmig
