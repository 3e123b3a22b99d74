#include "common/git/detect_schema_change.h"

#include <algorithm>
#include <map>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

#include "common/base/error.h"
#include "common/git/commit_range.h"
#include "common/git/git_repo.h"
#include "common/git/glob.h"
#include "common/git/prisma_policy.h"
#include "common/github/markdown.h"

namespace ecsmig {
namespace {

constexpr char kTool[] = "detect-schema-change";

struct DetectOptions {
  RangeOptions range;
  std::vector<std::string> patterns;
  bool fail_on_missing_base = false;
  bool allow_migration_edits = false;
};

// Splits a --paths value on newlines; trims surrounding blanks and CR (YAML
// block scalars and Windows checkouts add them) and drops empty lines.
void AppendPatterns(const std::string& value, std::vector<std::string>& out) {
  size_t start = 0;
  while (start <= value.size()) {
    size_t newline = value.find('\n', start);
    if (newline == std::string::npos) newline = value.size();
    std::string line = value.substr(start, newline - start);
    size_t b = line.find_first_not_of(" \t\r");
    if (b != std::string::npos) {
      size_t e = line.find_last_not_of(" \t\r");
      out.push_back(line.substr(b, e - b + 1));
    }
    start = newline + 1;
  }
}

DetectOptions ParseOptions(const cxxopts::ParseResult& args) {
  DetectOptions opt;
  opt.range = ParseRangeOptions(args);

  std::vector<std::string> user_patterns;
  bool any_paths_flag = false;
  for (const auto& kv : args.arguments()) {
    if (kv.key() != "paths") continue;
    any_paths_flag = true;
    AppendPatterns(kv.value(), user_patterns);
  }
  if (any_paths_flag && user_patterns.empty()) throw UsageError("--paths: no pattern given");
  std::string preset = any_paths_flag ? "none" : "prisma";
  if (args.count("preset")) {
    preset = RequireChoice(args["preset"].as<std::string>(), "preset", {"prisma", "none"});
  }
  if (preset == "prisma") opt.patterns = kPrismaPresetPatterns;
  opt.patterns.insert(opt.patterns.end(), user_patterns.begin(), user_patterns.end());
  if (opt.patterns.empty()) throw UsageError("--preset none needs at least one --paths pattern");

  opt.fail_on_missing_base = RequireChoice(args["on-missing-base"].as<std::string>(),
                                           "on-missing-base", {"changed", "fail"}) == "fail";
  opt.allow_migration_edits = args.count("allow-migration-edits") > 0;
  return opt;
}

// The policy's view of the repository, backed by the diffed trees.
class RepoPolicySource : public PolicySource {
 public:
  RepoPolicySource(const GitRepo& repo, std::optional<git_oid> base_tree,
                   const std::map<std::string, const TreeChange*>& by_path)
      : repo_(repo), base_tree_(base_tree), by_path_(by_path) {}

  bool ContentChanged(const std::string& path) override {
    auto it = by_path_.find(path);
    if (it == by_path_.end()) return true;
    const TreeChange& c = *it->second;
    if (git_oid_equal(&c.old_id, &c.new_id)) return false;  // mode-only change
    return DiffersBeyondLineEndings(repo_.ReadBlob(c.old_id), repo_.ReadBlob(c.new_id));
  }
  std::vector<std::string> BaseMigrations(const std::string& migrations_dir) override {
    if (!base_tree_) return {};
    return repo_.SubdirsHolding(*base_tree_, migrations_dir, "migration.sql");
  }

 private:
  const GitRepo& repo_;
  std::optional<git_oid> base_tree_;
  const std::map<std::string, const TreeChange*>& by_path_;
};

std::string JoinLines(const std::vector<std::string>& items) {
  std::string out;
  for (size_t i = 0; i < items.size(); ++i) {
    if (i) out += '\n';
    out += items[i];
  }
  return out;
}

std::string ShortSha(const std::string& sha) {
  return sha.empty() ? "(empty tree)" : sha.substr(0, 12);
}

void WriteSummary(ToolRun& run, const CommitRange& range, const std::vector<std::string>& files,
                  const PolicyReport& report, const std::string& decision) {
  if (!run.summary().enabled()) return;
  // Long lists are capped, each the same way: a summary is read, not parsed.
  constexpr size_t kMaxRows = 50;
  std::string md = "### detect-schema-change\n\n";
  md += "**" + MarkdownText(decision) + "**\n\n";
  md += "Range `" + ShortSha(range.base_sha) + "..." + ShortSha(range.head_sha) + "` (reason: `" +
        RangeReasonName(range.reason) + "`)" +
        (range.deployment_id.empty()
             ? ""
             : ", from the last successful deployment `" + range.deployment_id + "`") +
        "\n\n";
  if (!files.empty()) {
    md += "| Changed file |\n|---|\n";
    for (size_t i = 0; i < files.size() && i < kMaxRows; ++i) {
      md += "| " + MarkdownText(files[i]) + " |\n";
    }
    if (files.size() > kMaxRows) {
      md += "| … and " + std::to_string(files.size() - kMaxRows) + " more |\n";
    }
    md += "\n";
  }
  auto list = [&](const char* label, const std::vector<std::string>& names) {
    if (names.empty()) return;
    md += std::string("- ") + label + ": ";
    for (size_t i = 0; i < names.size() && i < kMaxRows; ++i) {
      md += (i ? ", " : "") + MarkdownText(names[i]);
    }
    if (names.size() > kMaxRows)
      md += " … and " + std::to_string(names.size() - kMaxRows) + " more";
    md += "\n";
  };
  list("New migrations", report.new_migrations);
  list("Edited migrations", report.modified_migrations);
  list("Deleted or renamed migrations", report.deleted_migrations);
  for (const PolicyFinding& f : report.findings) {
    md += std::string("- ") + (f.error ? "❌ " : "⚠️ ") + MarkdownText(f.message) +
          (f.file.empty() ? "" : " (" + MarkdownText(f.file) + ")") + "\n";
  }
  md += "\n";
  run.summary().Append(md);
}

void SetRangeOutputs(OutputWriter& out, const CommitRange& range) {
  out.Set("base", range.base_sha);
  out.Set("head", range.head_sha);
  out.Set("reason", RangeReasonName(range.reason));
  out.Set("base_source", BaseSourceName(range.base_source));
  if (!range.deployment_id.empty()) out.Set("deployment_id", range.deployment_id);
}

// The base commit is not in the clone: changed=true (the safe answer), or
// with --on-missing-base fail, exit kExitMissingBase.
int ReportMissingBase(ToolRun& run, const CommitRange& range, const DetectOptions& opt) {
  const std::string& message = range.missing_cause;
  if (opt.fail_on_missing_base) throw Error(message, kExitMissingBase);
  run.log().Warning(message + "; reporting changed=true",
                    {"Cannot diff: base commit missing", "", 0});
  OutputWriter& out = run.outputs();
  out.SetBool("changed", true);
  out.Set("files", "");
  out.Set("files_json", "[]");
  out.Set("count", "0");
  SetRangeOutputs(out, range);
  out.Set("new_migrations", "");
  out.Set("modified_migrations", "");
  out.Set("deleted_migrations", "");
  out.SetBool("schema_changed", true);
  WriteSummary(run, range, {}, PolicyReport{},
               "Base commit missing: treated as changed (" + range.missing_cause + ")");
  return kExitOk;
}

PolicyChange ToPolicyChange(const TreeChange& change) {
  PolicyChange pc;
  pc.path = change.path;
  pc.kind = change.kind == TreeChange::Kind::kAdded     ? PolicyChange::Kind::kAdded
            : change.kind == TreeChange::Kind::kDeleted ? PolicyChange::Kind::kDeleted
                                                        : PolicyChange::Kind::kModified;
  return pc;
}

// Applies the Prisma policy to the diffed files, reading their contents from the repository.
PolicyReport EvaluatePolicy(const GitRepo& repo, std::optional<git_oid> base_tree,
                            const std::vector<TreeChange>& changes) {
  std::map<std::string, const TreeChange*> by_path;
  std::vector<PolicyChange> policy_changes;
  for (const TreeChange& c : changes) {
    by_path[c.path] = &c;
    policy_changes.push_back(ToPolicyChange(c));
  }
  RepoPolicySource source(repo, base_tree, by_path);
  return EvaluatePrismaPolicy(policy_changes, source);
}

// Logs each finding (an error, or a warning when --allow-migration-edits
// allows it); true when an error finding is not allowed.
bool ReportFindings(ToolRun& run, const PolicyReport& report, bool allow_migration_edits) {
  for (const PolicyFinding& f : report.findings) {
    AnnotationProperties props{f.title, f.file, 0};
    if (f.error && !allow_migration_edits) {
      run.log().Error(f.message, props);
    } else {
      run.log().Warning(f.message + (f.error ? " (allowed by --allow-migration-edits)" : ""),
                        props);
    }
  }
  return report.violation() && !allow_migration_edits;
}

void WriteChangeOutputs(OutputWriter& out, const CommitRange& range,
                        const std::vector<std::string>& files, const PolicyReport& report) {
  out.SetBool("changed", !files.empty());
  out.Set("files", JoinLines(files));
  out.Set("files_json",
          nlohmann::json(files).dump(-1, ' ', false, nlohmann::json::error_handler_t::replace));
  out.Set("count", std::to_string(files.size()));
  SetRangeOutputs(out, range);
  out.Set("new_migrations", JoinLines(report.new_migrations));
  out.Set("modified_migrations", JoinLines(report.modified_migrations));
  out.Set("deleted_migrations", JoinLines(report.deleted_migrations));
  out.SetBool("schema_changed", report.schema_changed);
}

// The summary's headline.
std::string Decision(bool violation, const std::vector<std::string>& files,
                     const PolicyReport& report) {
  if (violation) return "Policy violation: applied migrations were changed";
  if (files.empty()) return "No schema or migration change";
  if (report.schema_changed || !report.new_migrations.empty())
    return "Schema or migrations changed";
  return "Watched files changed";
}

int Run(ToolRun& run, const cxxopts::ParseResult& args) {
  DetectOptions opt = ParseOptions(args);
  PathFilter filter(opt.patterns);
  GitRepo repo = GitRepo::Open(opt.range.repo);
  CommitRange range = ResolveCommitRange(run, repo, opt.range);
  if (range.base_missing) return ReportMissingBase(run, range, opt);

  run.log().Info(std::string("diffing ") + ShortSha(range.base_sha) + ".." +
                 ShortSha(range.head_sha) + " (" + RangeReasonName(range.reason) + ")");
  std::optional<git_oid> base_tree;
  if (range.base) base_tree = range.base->tree;
  std::vector<TreeChange> changes = repo.DiffTrees(base_tree, range.head->tree, filter);
  std::vector<std::string> files;
  for (const TreeChange& c : changes) files.push_back(c.path);
  std::sort(files.begin(), files.end());

  PolicyReport report = EvaluatePolicy(repo, base_tree, changes);
  bool violation = ReportFindings(run, report, opt.allow_migration_edits);
  if (run.log().verbose()) {
    for (const std::string& f : files) run.log().Verbose("changed: " + f);
  }
  run.log().Info(std::to_string(files.size()) + " matching file" + (files.size() == 1 ? "" : "s") +
                 " changed");
  WriteChangeOutputs(run.outputs(), range, files, report);
  WriteSummary(run, range, files, report, Decision(violation, files, report));
  if (violation) {
    run.log().Error(
        "refusing: the range changes migrations that databases may have applied "
        "(pass --allow-migration-edits to override)");
    return kExitPolicy;
  }
  return kExitOk;
}

}  // namespace

ToolSpec DetectSchemaChangeSpec() {
  ToolSpec spec;
  spec.name = kTool;
  spec.summary = "Decide whether a commit range changed database schema or migration files";
  spec.verbose_help =
      "more detail: every changed file and, with --base-from deployment, each GitHub API "
      "request (method, URL and status; never the token)";
  spec.add_options = [](cxxopts::Options& options) {
    AddRangeOptions(options);
    options.add_options()("paths",
                          "watched path pattern, git :(glob) syntax, !PATTERN excludes, later wins "
                          "(repeatable; newline-separated lists accepted)",
                          cxxopts::value<std::string>(), "PATTERN")(
        "preset", "prisma (default without --paths) or none", cxxopts::value<std::string>(),
        "NAME")("on-missing-base", "changed or fail when the base commit is not in the clone",
                cxxopts::value<std::string>()->default_value("changed"), "WHAT")(
        "allow-migration-edits", "report edits of applied migrations as warnings, not errors");
  };
  spec.run = Run;
  return spec;
}

}  // namespace ecsmig
