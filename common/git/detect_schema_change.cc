#include "common/git/detect_schema_change.h"

#include <algorithm>
#include <map>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

#include "common/base/error.h"
#include "common/git/git_repo.h"
#include "common/git/glob.h"
#include "common/git/prisma_policy.h"
#include "common/github/github_event.h"

namespace ecsmig {
namespace {

constexpr char kTool[] = "detect-schema-change";

struct DetectOptions {
  std::string repo = ".";
  std::optional<std::string> base;
  std::optional<std::string> head;
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

std::optional<std::string> OptionalRev(const cxxopts::ParseResult& args, const std::string& flag) {
  if (!args.count(flag)) return std::nullopt;
  std::string value = args[flag].as<std::string>();
  if (value.empty()) throw UsageError("--" + flag + " must not be empty");
  return value;
}

DetectOptions ParseOptions(const cxxopts::ParseResult& args) {
  DetectOptions opt;
  if (args.count("repo")) {
    opt.repo = args["repo"].as<std::string>();
    if (opt.repo.empty()) throw UsageError("--repo must not be empty");
  }
  opt.base = OptionalRev(args, "base");
  opt.head = OptionalRev(args, "head");

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

// The event's range, or a kNone range when there is no event to read.
EventRange ReadEvent(ToolRun& run) {
  Environment& env = run.ctx().env;
  std::string name = env.GetOr("GITHUB_EVENT_NAME");
  if (!EventCarriesRange(name)) return ParseEventPayload(name, "");
  std::string path = env.GetOr("GITHUB_EVENT_PATH");
  if (path.empty()) {
    throw UsageError("GITHUB_EVENT_NAME is " + name + " but GITHUB_EVENT_PATH is not set");
  }
  std::string payload;
  try {
    payload = run.ctx().fs.ReadFile(path);
  } catch (const Error& e) {
    throw UsageError(std::string("cannot read the event payload: ") + e.what());
  }
  return ParseEventPayload(name, payload);
}

enum class Reason { kDiff, kFirstPush, kRootCommit, kMissingBase, kNoEvent };

const char* ReasonName(Reason r) {
  switch (r) {
    case Reason::kDiff:
      return "diff";
    case Reason::kFirstPush:
      return "first-push";
    case Reason::kRootCommit:
      return "root-commit";
    case Reason::kMissingBase:
      return "missing-base";
    case Reason::kNoEvent:
      return "no-event";
  }
  return "diff";
}

struct Range {
  std::optional<git_oid> base;  // nullopt: the empty tree (or missing)
  std::string base_text;        // what to report as `base`
  std::string head_text;
  std::optional<git_oid> head;  // nullopt only when missing
  Reason reason = Reason::kDiff;
  std::string missing_what;  // for missing-base: which commit and why
};

git_oid RequireCommit(const GitRepo& repo, const std::string& rev, const std::string& flag) {
  auto id = repo.ResolveCommit(rev);
  if (!id) throw UsageError(flag + " " + rev + " does not name a commit in the repository");
  return *id;
}

Range ResolveRange(ToolRun& run, const GitRepo& repo, const DetectOptions& opt,
                   const EventRange& event) {
  Range range;
  // Head: --head, else the event's head, else HEAD.
  if (opt.head) {
    range.head = RequireCommit(repo, *opt.head, "--head");
  } else if (!opt.base && !event.head_sha.empty()) {
    auto id = ParseOid(event.head_sha);
    if (!id) throw UsageError("event head " + event.head_sha + " is not a SHA-1 commit id");
    range.head_text = event.head_sha;
    if (!repo.HasCommit(*id)) {
      range.reason = Reason::kMissingBase;
      range.base_text = event.base_sha;
      range.missing_what = "the event's head commit " + event.head_sha + " is not in the clone";
      return range;
    }
    range.head = id;
  } else {
    range.head = RequireCommit(repo, "HEAD", "HEAD");
  }
  range.head_text = OidHex(*range.head);

  if (opt.base) {
    range.base = RequireCommit(repo, *opt.base, "--base");
    range.base_text = OidHex(*range.base);
    range.reason = Reason::kDiff;
    return range;
  }

  switch (event.kind) {
    case EventRange::Kind::kPush:
      if (event.first_push) {
        range.reason = Reason::kFirstPush;
        if (!event.default_branch.empty()) {
          for (const std::string& ref : {"refs/remotes/origin/" + event.default_branch,
                                         "refs/heads/" + event.default_branch}) {
            auto tip = repo.ResolveCommit(ref);
            if (!tip) continue;
            auto merge_base = repo.MergeBase(*tip, *range.head);
            // The default branch's own first push has itself as merge base:
            // that is still a diff against nothing.
            if (merge_base && !git_oid_equal(&*merge_base, &*range.head)) {
              range.base = merge_base;
              range.base_text = OidHex(*merge_base);
              run.log().Info("first push: diffing from the merge base with " + ref);
            }
            break;
          }
        }
        if (!range.base) run.log().Info("first push: diffing against the empty tree");
        return range;
      }
      [[fallthrough]];
    case EventRange::Kind::kPullRequest:
    case EventRange::Kind::kMergeGroup: {
      auto id = ParseOid(event.base_sha);
      if (!id) throw UsageError("event base " + event.base_sha + " is not a SHA-1 commit id");
      range.base_text = event.base_sha;
      if (!repo.HasCommit(*id)) {
        range.reason = Reason::kMissingBase;
        range.missing_what = "the base commit " + event.base_sha + " is not in the clone" +
                             (event.forced ? " (force push)" : "");
        return range;
      }
      range.base = id;
      range.reason = Reason::kDiff;
      return range;
    }
    case EventRange::Kind::kNone:
      break;
  }

  bool parent_missing = false;
  auto parent = repo.FirstParent(*range.head, &parent_missing);
  if (parent_missing) {
    range.reason = Reason::kMissingBase;
    range.missing_what = "the parent of " + range.head_text + " is not in the clone";
    return range;
  }
  if (!parent) {
    range.reason = Reason::kRootCommit;
    return range;
  }
  range.base = parent;
  range.base_text = OidHex(*parent);
  range.reason = Reason::kNoEvent;
  return range;
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

void WriteSummary(ToolRun& run, const Range& range, const std::vector<std::string>& files,
                  const PolicyReport& report, const std::string& decision) {
  if (!run.summary().enabled()) return;
  constexpr size_t kMaxRows = 50;
  std::string md = "### detect-schema-change\n\n";
  md += "**" + MarkdownEscape(decision) + "**\n\n";
  md += "Range `" + ShortSha(range.base_text) + "..." + ShortSha(range.head_text) + "` (reason: `" +
        ReasonName(range.reason) + "`)\n\n";
  if (!files.empty()) {
    md += "| Changed file |\n|---|\n";
    for (size_t i = 0; i < files.size() && i < kMaxRows; ++i) {
      md += "| " + MarkdownEscape(files[i]) + " |\n";
    }
    if (files.size() > kMaxRows) {
      md += "| … and " + std::to_string(files.size() - kMaxRows) + " more |\n";
    }
    md += "\n";
  }
  auto list = [&](const char* label, const std::vector<std::string>& names) {
    if (names.empty()) return;
    md += std::string("- ") + label + ": ";
    for (size_t i = 0; i < names.size(); ++i) {
      md += (i ? ", " : "") + MarkdownEscape(names[i]);
    }
    md += "\n";
  };
  list("New migrations", report.new_migrations);
  list("Edited migrations", report.modified_migrations);
  list("Deleted or renamed migrations", report.deleted_migrations);
  for (const PolicyFinding& f : report.findings) {
    md += std::string("- ") + (f.error ? "❌ " : "⚠️ ") + MarkdownEscape(f.message) +
          (f.file.empty() ? "" : " (" + MarkdownEscape(f.file) + ")") + "\n";
  }
  md += "\n";
  run.summary().Append(md);
}

int Run(ToolRun& run, const cxxopts::ParseResult& args) {
  DetectOptions opt = ParseOptions(args);
  PathFilter filter(opt.patterns);
  EventRange event;
  if (!opt.base) event = ReadEvent(run);
  GitRepo repo = GitRepo::Open(opt.repo);
  Range range = ResolveRange(run, repo, opt, event);

  OutputWriter& out = run.outputs();
  if (range.reason == Reason::kMissingBase) {
    std::string message = range.missing_what +
                          " (shallow checkout or force push): fetch more history, e.g. "
                          "actions/checkout with fetch-depth: 0";
    if (opt.fail_on_missing_base) throw Error(message, kExitMissingBase);
    run.log().Warning(message + "; reporting changed=true",
                      {"Cannot diff: base commit missing", "", 0});
    out.SetBool("changed", true);
    out.Set("files", "");
    out.Set("files_json", "[]");
    out.Set("count", "0");
    out.Set("base", range.base_text);
    out.Set("head", range.head_text);
    out.Set("reason", ReasonName(range.reason));
    out.Set("new_migrations", "");
    out.Set("modified_migrations", "");
    out.Set("deleted_migrations", "");
    out.SetBool("schema_changed", true);
    WriteSummary(run, range, {}, PolicyReport{},
                 "Base commit missing: treated as changed (" + range.missing_what + ")");
    return kExitOk;
  }

  run.log().Info(std::string("diffing ") + ShortSha(range.base_text) + ".." +
                 ShortSha(range.head_text) + " (" + ReasonName(range.reason) + ")");
  std::optional<git_oid> base_tree;
  if (range.base) base_tree = repo.CommitTree(*range.base);
  git_oid head_tree = repo.CommitTree(*range.head);
  std::vector<TreeChange> changes = repo.DiffTrees(base_tree, head_tree, filter);

  std::map<std::string, const TreeChange*> by_path;
  std::vector<PolicyChange> policy_changes;
  std::vector<std::string> files;
  for (const TreeChange& c : changes) {
    by_path[c.path] = &c;
    files.push_back(c.path);
    PolicyChange pc;
    pc.path = c.path;
    pc.kind = c.kind == TreeChange::Kind::kAdded     ? PolicyChange::Kind::kAdded
              : c.kind == TreeChange::Kind::kDeleted ? PolicyChange::Kind::kDeleted
                                                     : PolicyChange::Kind::kModified;
    policy_changes.push_back(std::move(pc));
  }
  std::sort(files.begin(), files.end());

  RepoPolicySource source(repo, base_tree, by_path);
  PolicyReport report = EvaluatePrismaPolicy(policy_changes, source);

  bool violation = report.violation() && !opt.allow_migration_edits;
  for (const PolicyFinding& f : report.findings) {
    AnnotationProperties props{f.title, f.file, 0};
    if (f.error && !opt.allow_migration_edits) {
      run.log().Error(f.message, props);
    } else {
      run.log().Warning(f.message + (f.error ? " (allowed by --allow-migration-edits)" : ""),
                        props);
    }
  }

  if (run.log().verbose()) {
    for (const std::string& f : files) run.log().Verbose("changed: " + f);
  }
  run.log().Info(std::to_string(files.size()) + " matching file" + (files.size() == 1 ? "" : "s") +
                 " changed");

  out.SetBool("changed", !files.empty());
  out.Set("files", JoinLines(files));
  out.Set("files_json",
          nlohmann::json(files).dump(-1, ' ', false, nlohmann::json::error_handler_t::replace));
  out.Set("count", std::to_string(files.size()));
  out.Set("base", range.base_text);
  out.Set("head", range.head_text);
  out.Set("reason", ReasonName(range.reason));
  out.Set("new_migrations", JoinLines(report.new_migrations));
  out.Set("modified_migrations", JoinLines(report.modified_migrations));
  out.Set("deleted_migrations", JoinLines(report.deleted_migrations));
  out.SetBool("schema_changed", report.schema_changed);

  std::string decision = violation       ? "Policy violation: applied migrations were changed"
                         : files.empty() ? "No schema or migration change"
                         : report.schema_changed || !report.new_migrations.empty()
                             ? "Schema or migrations changed"
                             : "Watched files changed";
  WriteSummary(run, range, files, report, decision);
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
  spec.add_options = [](cxxopts::Options& options) {
    options.add_options()("repo", "repository (work tree or bare; default .)",
                          cxxopts::value<std::string>(), "DIR")(
        "base", "base revision (default: from the GitHub event, else HEAD^)",
        cxxopts::value<std::string>(),
        "REV")("head", "head revision (default: the event's head, else HEAD)",
               cxxopts::value<std::string>(),
               "REV")("paths",
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
