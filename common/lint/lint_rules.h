// The rules lint-migrations checks, each with a stable name (CONTRACT.md,
// "lint-migrations"), and the linter of one migration against the schema
// the migrations before it built.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

#include "common/lint/schema_model.h"
#include "common/lint/sql_parser.h"

namespace ecsmig {

enum class RuleClass { kDataLoss, kLocking, kSyntax };

// "data-loss", "locking", "syntax".
const char* RuleClassName(RuleClass rule_class);

struct RuleInfo {
  const char* name;
  RuleClass rule_class;
  const char* summary;  // one line for --help and the docs
};

// Every rule --rules and --skip-rules may name, data loss first.
const std::vector<RuleInfo>& LintRules();
// The rule named `name` (syntax-error included), or nullptr.
const RuleInfo* FindLintRule(std::string_view name);
extern const char kSyntaxErrorRule[];  // "syntax-error"

struct LintFinding {
  std::string rule;
  RuleClass rule_class = RuleClass::kLocking;
  size_t offset = 0;  // byte offset of the clause the finding is about
  std::string table;  // as `table` in findings_json: `User`, or `app.User`
  std::string message;
};

// Lints one migration. `schema` is the database before it; the migration's
// statements are applied to it as they are read, so that on return it is the
// database after it. What the migration does to a table it created itself
// (earlier in the same text) is never a finding.
std::vector<LintFinding> LintMigrationSql(std::string_view text, const ParsedSql& parsed,
                                          SchemaModel& schema);

}  // namespace ecsmig
