#include "common/lint/lint_migrations.h"

#include <set>
#include <string>
#include <vector>

#include "common/base/error.h"
#include "common/git/commit_range.h"
#include "common/github/markdown.h"
#include "common/lint/migration_lint.h"
#include "common/lint/migration_range.h"

namespace ecsmig {
namespace {

constexpr char kTool[] = "lint-migrations";

struct LintOptions {
  std::vector<std::string> dirs;
  RuleSelection rules;
  std::set<RuleClass> fail_on;
};

std::set<std::string> RuleNames(const cxxopts::ParseResult& args, const std::string& flag) {
  std::set<std::string> names;
  for (const auto& kv : args.arguments()) {
    if (kv.key() != flag) continue;
    for (const std::string& name : SplitList(kv.value())) {
      const RuleInfo* rule = FindLintRule(name);
      if (!rule || rule->rule_class == RuleClass::kSyntax) {
        throw UsageError("--" + flag + ": unknown rule '" + name +
                         "' (lint-migrations --help lists them)");
      }
      names.insert(name);
    }
  }
  return names;
}

LintOptions ParseOptions(const cxxopts::ParseResult& args) {
  LintOptions opt;
  for (const auto& kv : args.arguments()) {
    if (kv.key() == "dir") {
      if (kv.value().empty()) throw UsageError("--dir must not be empty");
      opt.dirs.push_back(kv.value());
    }
    if (kv.key() != "fail-on") continue;
    for (const std::string& name : SplitList(kv.value())) {
      std::string choice = RequireChoice(name, "fail-on", {"data-loss", "locking", "any"});
      if (choice != "locking") opt.fail_on.insert(RuleClass::kDataLoss);
      if (choice != "data-loss") opt.fail_on.insert(RuleClass::kLocking);
    }
  }
  opt.rules.only = RuleNames(args, "rules");
  opt.rules.skip = RuleNames(args, "skip-rules");
  return opt;
}

std::string JoinLines(const std::vector<std::string>& items) {
  std::string out;
  for (size_t i = 0; i < items.size(); ++i) out += (i ? "\n" : "") + items[i];
  return out;
}

void Annotate(ToolRun& run, const LintReport& report, const std::set<RuleClass>& fail_on) {
  for (const MigrationFinding& f : report.findings) {
    AnnotationProperties props{f.rule, f.file, f.line, f.column};
    if (f.rule_class == RuleClass::kSyntax || fail_on.count(f.rule_class)) {
      run.log().Error(f.message, props);
    } else {
      run.log().Warning(f.message, props);
    }
  }
}

void WriteSummary(ToolRun& run, const LintReport& report) {
  if (!run.summary().enabled()) return;
  constexpr size_t kMaxRows = 50;
  std::string md = "### lint-migrations\n\n";
  md += std::to_string(report.findings.size()) + " finding" +
        (report.findings.size() == 1 ? "" : "s") + " in " + std::to_string(report.linted.size()) +
        " migration" + (report.linted.size() == 1 ? "" : "s") + "\n\n";
  if (!report.findings.empty()) {
    md += "| Rule | Migration | Line | Table | What happens in production |\n";
    md += "| --- | --- | --- | --- | --- |\n";
    for (size_t i = 0; i < report.findings.size() && i < kMaxRows; ++i) {
      const MigrationFinding& f = report.findings[i];
      md += "| `" + f.rule + "` | " + MarkdownText(f.migration) + " | " + std::to_string(f.line) +
            " | " + MarkdownText(f.table) + " | " + MarkdownText(f.message) + " |\n";
    }
    if (report.findings.size() > kMaxRows) {
      md += "| … and " + std::to_string(report.findings.size() - kMaxRows) + " more | | | | |\n";
    }
    md += "\n";
  }
  run.summary().Append(md);
}

int Run(ToolRun& run, const cxxopts::ParseResult& args) {
  LintOptions opt = ParseOptions(args);
  std::vector<MigrationSet> sets;
  if (opt.dirs.empty()) {
    sets = RangeMigrationSets(run, args);
  } else {
    for (const std::string& dir : opt.dirs) {
      std::vector<MigrationSet> under = MigrationSetsUnder(dir, run.ctx().fs);
      if (under.empty()) run.log().Warning("--dir " + dir + ": no migration.sql below it");
      sets.insert(sets.end(), under.begin(), under.end());
    }
  }
  LintReport report = LintMigrationSets(sets, opt.rules);
  for (const std::string& skipped : report.skipped_sets) {
    run.log().Notice("not linted: " + skipped + " is not PostgreSQL, which the linter parses");
  }
  Annotate(run, report, opt.fail_on);
  run.log().Info(std::to_string(report.findings.size()) + " finding" +
                 (report.findings.size() == 1 ? "" : "s") + " in " +
                 std::to_string(report.linted.size()) + " migration" +
                 (report.linted.size() == 1 ? "" : "s"));

  OutputWriter& out = run.outputs();
  out.Set("linted", JoinLines(report.linted));
  out.Set("findings", std::to_string(report.findings.size()));
  out.Set("findings_json", FindingsJson(report.findings));
  out.SetBool("data_loss", report.Has(RuleClass::kDataLoss));
  out.Flush();  // outputs before the summary, whatever the summary does
  WriteSummary(run, report);

  if (report.syntax_error()) return kExitFailed;
  for (RuleClass rule_class : opt.fail_on) {
    if (report.Has(rule_class)) return kExitLintFindings;
  }
  return kExitOk;
}

std::string RulesHelp() {
  std::string text = "rules (data loss, then locking):";
  for (const RuleInfo& rule : LintRules()) text += std::string(" ") + rule.name;
  return text;
}

}  // namespace

ToolSpec LintMigrationsSpec() {
  ToolSpec spec;
  spec.name = kTool;
  spec.summary =
      "Review the SQL of the migrations a range adds: what would lose data or lock a busy table. " +
      RulesHelp();
  spec.add_options = [](cxxopts::Options& options) {
    AddRangeOptions(options);
    options.add_options()("dir", "lint every migration under DIR instead of a range (repeatable)",
                          cxxopts::value<std::string>(), "DIR")(
        "rules", "only these rules (comma-separated)", cxxopts::value<std::string>(), "LIST")(
        "skip-rules", "not these rules (comma-separated)", cxxopts::value<std::string>(), "LIST")(
        "fail-on", "exit 5 on findings of data-loss, locking or any (comma-separated)",
        cxxopts::value<std::string>(), "CLASS");
  };
  spec.run = Run;
  return spec;
}

}  // namespace ecsmig
