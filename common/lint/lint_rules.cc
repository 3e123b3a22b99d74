#include "common/lint/lint_rules.h"

#include <map>
#include <set>

#include "common/lint/sql_lexer.h"

namespace ecsmig {

const char kSyntaxErrorRule[] = "syntax-error";

namespace {

// `User`, or `app.User` outside public: the `table` of a finding.
std::string TableLabel(const QualifiedName& name) {
  return name.schema == "public" ? name.name : name.schema + "." + name.name;
}

std::string Column(const QualifiedName& table, const std::string& column) {
  return table.Display() + "." + QuoteIdentifier(column);
}

// Lints one migration's statements in order; see LintMigrationSql.
class MigrationLinter {
 public:
  MigrationLinter(std::string_view text, SchemaModel& schema) : text_(text), schema_(schema) {}

  void Check(const SqlStatement& statement) {
    if (statement.kind == "CreateStmt") {
      NoteCreated(RelationName(NodeField(statement.node, "relation")),
                  BoolField(statement.node, "if_not_exists"));
    } else if (statement.kind == "CreateTableAsStmt") {
      NoteCreated(RelationName(NodeField(NodeField(statement.node, "into"), "rel")),
                  BoolField(statement.node, "if_not_exists"));
    } else if (statement.kind == "AlterTableStmt") {
      CheckAlterTable(statement);
    } else if (statement.kind == "RenameStmt") {
      CheckRename(statement);
    } else if (statement.kind == "DropStmt") {
      CheckDrop(statement);
    } else if (statement.kind == "IndexStmt") {
      CheckCreateIndex(statement);
    }
    schema_.Apply(statement);
  }

  std::vector<LintFinding> TakeFindings() { return std::move(findings_); }

 private:
  void Add(const char* rule, size_t offset, const QualifiedName& table, std::string message) {
    const RuleInfo* info = FindLintRule(rule);
    findings_.push_back(
        {rule, info ? info->rule_class : RuleClass::kLocking, offset, TableLabel(table), message});
  }

  void NoteCreated(const QualifiedName& table, bool if_not_exists) {
    // CREATE TABLE IF NOT EXISTS on a table that exists creates nothing.
    if (if_not_exists && schema_.FindTable(table)) return;
    created_.insert(table);
  }

  bool CreatedHere(const QualifiedName& table) const { return created_.count(table) > 0; }

  // Where each ALTER TABLE command's clause starts (the parse tree records
  // none); the statement's start when the clauses cannot be matched up.
  std::vector<size_t> ClauseOffsets(const SqlStatement& statement, size_t commands) const {
    auto relation = Location(NodeField(statement.node, "relation"));
    if (relation) {
      size_t past_name = SkipQualifiedName(text_, *relation, statement.end);
      std::vector<size_t> offsets = TopLevelClauseOffsets(text_, past_name, statement.end);
      if (offsets.size() == commands) return offsets;
    }
    return std::vector<size_t>(commands, statement.offset);
  }

  void CheckAlterTable(const SqlStatement& statement) {
    if (StringField(statement.node, "objtype") != "OBJECT_TABLE") return;
    QualifiedName table = RelationName(NodeField(statement.node, "relation"));
    if (CreatedHere(table)) return;
    const nlohmann::json& commands = NodeField(statement.node, "cmds");
    if (!commands.is_array()) return;
    std::vector<size_t> offsets = ClauseOffsets(statement, commands.size());
    for (size_t i = 0; i < commands.size(); ++i) {
      CheckAlterTableCommand(table, NodeField(commands[i], "AlterTableCmd"), offsets[i]);
    }
  }

  void CheckAlterTableCommand(const QualifiedName& table, const nlohmann::json& cmd,
                              size_t offset) {
    std::string subtype = StringField(cmd, "subtype");
    std::string column = StringField(cmd, "name");
    const nlohmann::json& def = NodeField(cmd, "def");
    if (subtype == "AT_DropColumn") {
      Add("drop-column", offset, table,
          "drops " + Column(table, column) +
              " and every value in it, and the release still running during the deploy fails "
              "on queries that name it; stop using the column in one release and drop it in a "
              "later one (back it up first if the data matters)");
      dropped_[table].push_back(column);
    } else if (subtype == "AT_AddColumn") {
      CheckAddColumn(table, NodeField(def, "ColumnDef"), offset);
    } else if (subtype == "AT_AlterColumnType") {
      CheckColumnType(table, column, NodeField(def, "ColumnDef"), offset);
    } else if (subtype == "AT_SetNotNull") {
      const ColumnModel* known = schema_.FindColumn(table, column);
      if (known && known->not_null) return;  // already NOT NULL: no scan
      Add("setting-not-null", offset, table,
          "SET NOT NULL on " + Column(table, column) +
              " scans the whole table under an ACCESS EXCLUSIVE lock (reads and writes wait, and "
              "it fails if a row holds NULL); add CHECK (" +
              QuoteIdentifier(column) +
              " IS NOT NULL) NOT VALID, VALIDATE CONSTRAINT it in a later migration, then SET NOT "
              "NULL (PostgreSQL 12+ then skips the scan)");
    } else if (subtype == "AT_AddConstraint") {
      CheckConstraint(table, NodeField(def, "Constraint"), offset);
    }
  }

  void CheckAddColumn(const QualifiedName& table, const nlohmann::json& def, size_t offset) {
    std::string name = StringField(def, "colname");
    auto dropped = dropped_.find(table);
    if (dropped != dropped_.end() && !dropped->second.empty()) {
      const std::string& old_name = dropped->second.back();
      Add("drop-then-add-column", offset, table,
          "drops " + Column(table, old_name) + " and adds " + QuoteIdentifier(name) +
              " in the same migration: if this is a rename (Prisma writes one this way), every "
              "value of " +
              QuoteIdentifier(old_name) + " is lost; write ALTER TABLE " + table.Display() +
              " RENAME COLUMN " + QuoteIdentifier(old_name) + " TO " + QuoteIdentifier(name) +
              " instead (prisma migrate dev --create-only, then edit)");
    }
    ColumnModel column = DescribeColumn(def);
    if (column.not_null && !column.has_default) {
      Add("adding-not-nullable-field", offset, table,
          "adds " + Column(table, name) +
              " NOT NULL without a DEFAULT: the migration fails as soon as " + table.Display() +
              " holds a row; add it with a DEFAULT, or nullable, backfill it, then SET NOT NULL");
    }
    for (const auto& wrapped : NodeField(def, "constraints")) {
      const nlohmann::json& constraint = NodeField(wrapped, "Constraint");
      std::string type = StringField(constraint, "contype");
      if (type == "CONSTR_FOREIGN" || type == "CONSTR_UNIQUE" || type == "CONSTR_PRIMARY") {
        CheckConstraint(table, constraint, offset);
      }
    }
  }

  void CheckColumnType(const QualifiedName& table, const std::string& column,
                       const nlohmann::json& def, size_t offset) {
    std::string to = LastNameOf(NodeField(NodeField(def, "typeName"), "names"));
    const ColumnModel* known = schema_.FindColumn(table, column);
    std::string from = known && !known->type.empty() ? " from " + known->type : "";
    Add("changing-column-type", offset, table,
        "changes the type of " + Column(table, column) + from + " to " + to +
            ": PostgreSQL rewrites " + table.Display() +
            " under an ACCESS EXCLUSIVE lock (reads and writes wait), a value that does not "
            "convert fails the migration, and the running release may not read the new type; add "
            "a new column, backfill it in batches, switch the application, then drop the old one");
  }

  void CheckConstraint(const QualifiedName& table, const nlohmann::json& constraint,
                       size_t offset) {
    std::string type = StringField(constraint, "contype");
    std::string name = StringField(constraint, "conname");
    std::string label = name.empty() ? "" : " " + QuoteIdentifier(name);
    bool not_valid = BoolField(constraint, "skip_validation");
    if (type == "CONSTR_FOREIGN" && !not_valid) {
      QualifiedName referenced = RelationName(NodeField(constraint, "pktable"));
      Add("adding-foreign-key", offset, table,
          "adds the foreign key" + label + " and checks every row of " + table.Display() +
              " while holding a SHARE ROW EXCLUSIVE lock on it and on " + referenced.Display() +
              " (writes to both wait); add it NOT VALID, then VALIDATE CONSTRAINT in a later "
              "migration");
    } else if (type == "CONSTR_CHECK" && !not_valid) {
      Add("adding-check", offset, table,
          "adds the check" + label + " and scans every row of " + table.Display() +
              " under an ACCESS EXCLUSIVE lock (reads and writes wait); add it NOT VALID, then "
              "VALIDATE CONSTRAINT in a later migration");
    } else if ((type == "CONSTR_UNIQUE" || type == "CONSTR_PRIMARY") &&
               StringField(constraint, "indexname").empty()) {
      Add("adding-unique-constraint", offset, table,
          std::string("adds the ") +
              (type == "CONSTR_PRIMARY" ? "primary key" : "unique constraint") + label +
              " and builds its index on " + table.Display() +
              " under an ACCESS EXCLUSIVE lock (reads and writes wait; duplicates fail it); "
              "CREATE UNIQUE INDEX CONCURRENTLY in a migration of its own, then ADD CONSTRAINT … "
              "USING INDEX");
    }
  }

  void CheckRename(const SqlStatement& statement) {
    std::string type = StringField(statement.node, "renameType");
    QualifiedName table = RelationName(NodeField(statement.node, "relation"));
    std::string new_name = StringField(statement.node, "newname");
    if (type == "OBJECT_TABLE") {
      QualifiedName renamed{table.schema, new_name};
      if (created_.erase(table)) {
        created_.insert(renamed);
        return;
      }
      Add("rename-table", statement.offset, table,
          "renames " + table.Display() + " to " + QuoteIdentifier(new_name) +
              ": the release still running during the deploy fails on every query that names " +
              table.Display() +
              "; create the new table (or a view), move the application, then "
              "drop the old one in a later release");
    } else if (type == "OBJECT_COLUMN" &&
               StringField(statement.node, "relationType") == "OBJECT_TABLE" &&
               !CreatedHere(table)) {
      std::string old_name = StringField(statement.node, "subname");
      Add("rename-column", statement.offset, table,
          "renames " + Column(table, old_name) + " to " + QuoteIdentifier(new_name) +
              ": the release still running during the deploy fails on every query that names " +
              QuoteIdentifier(old_name) +
              "; add the new column, write both, backfill, switch reads, then drop the old one");
    }
  }

  void CheckDrop(const SqlStatement& statement) {
    if (StringField(statement.node, "removeType") != "OBJECT_TABLE") return;
    for (const auto& object : NodeField(statement.node, "objects")) {
      QualifiedName table = ObjectName(object);
      if (created_.erase(table)) continue;
      Add("drop-table", statement.offset, table,
          "drops " + table.Display() +
              " and every row in it, and the release still running during the deploy fails on "
              "queries that use it; stop using the table in one release and drop it in a later "
              "one (back it up first if the data matters)");
    }
  }

  void CheckCreateIndex(const SqlStatement& statement) {
    if (BoolField(statement.node, "concurrent")) return;
    QualifiedName table = RelationName(NodeField(statement.node, "relation"));
    if (CreatedHere(table)) return;
    Add("create-index-non-concurrently", statement.offset, table,
        "locks writes on " + table.Display() +
            " while the index builds (inserts, updates and deletes wait); use CREATE INDEX "
            "CONCURRENTLY in a migration of its own (it cannot run inside a transaction)");
  }

  std::string_view text_;
  SchemaModel& schema_;
  std::set<QualifiedName> created_;
  std::map<QualifiedName, std::vector<std::string>> dropped_;
  std::vector<LintFinding> findings_;
};

}  // namespace

const char* RuleClassName(RuleClass rule_class) {
  switch (rule_class) {
    case RuleClass::kDataLoss:
      return "data-loss";
    case RuleClass::kLocking:
      return "locking";
    case RuleClass::kSyntax:
      return "syntax";
  }
  return "locking";
}

const std::vector<RuleInfo>& LintRules() {
  static const std::vector<RuleInfo> rules = {
      {"drop-table", RuleClass::kDataLoss, "DROP TABLE of a table that holds data"},
      {"drop-column", RuleClass::kDataLoss, "DROP COLUMN of a table that holds data"},
      {"changing-column-type", RuleClass::kDataLoss, "ALTER COLUMN … TYPE (rewrite, lossy cast)"},
      {"rename-column", RuleClass::kDataLoss, "RENAME COLUMN under a running release"},
      {"rename-table", RuleClass::kDataLoss, "RENAME TO under a running release"},
      {"drop-then-add-column", RuleClass::kDataLoss,
       "a column dropped and another added to the same table: a rename that loses the data"},
      {"adding-not-nullable-field", RuleClass::kLocking, "ADD COLUMN … NOT NULL without DEFAULT"},
      {"setting-not-null", RuleClass::kLocking, "ALTER COLUMN … SET NOT NULL (full scan)"},
      {"create-index-non-concurrently", RuleClass::kLocking,
       "CREATE INDEX without CONCURRENTLY (blocks writes)"},
      {"adding-foreign-key", RuleClass::kLocking, "FOREIGN KEY without NOT VALID"},
      {"adding-check", RuleClass::kLocking, "CHECK constraint without NOT VALID"},
      {"adding-unique-constraint", RuleClass::kLocking,
       "UNIQUE or PRIMARY KEY constraint built under an ACCESS EXCLUSIVE lock"},
  };
  return rules;
}

const RuleInfo* FindLintRule(std::string_view name) {
  static const RuleInfo syntax{kSyntaxErrorRule, RuleClass::kSyntax,
                               "a statement PostgreSQL's parser rejects"};
  if (name == kSyntaxErrorRule) return &syntax;
  for (const RuleInfo& rule : LintRules()) {
    if (name == rule.name) return &rule;
  }
  return nullptr;
}

std::vector<LintFinding> LintMigrationSql(std::string_view text, const ParsedSql& parsed,
                                          SchemaModel& schema) {
  MigrationLinter linter(text, schema);
  for (const SqlStatement& statement : parsed.statements) linter.Check(statement);
  return linter.TakeFindings();
}

}  // namespace ecsmig
