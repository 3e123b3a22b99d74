// The commit range a tool judges: which base and head commits, and why.
//
// Shared by every tool that looks at "what this change does" in a repository
// (detect-schema-change, lint-migrations): one set of range flags, one reading
// of the GitHub event, one answer for shallow clones and missing bases
// (CONTRACT.md, "detect-schema-change": the range and repository flags).
//
// Use:
//   AddRangeOptions(options);                        // when building the CLI
//   RangeOptions opt = ParseRangeOptions(args);      // exit 2 on bad flags
//   GitRepo repo = GitRepo::Open(opt.repo);
//   CommitRange range = ResolveCommitRange(run, repo, opt);
//   if (range.base_missing) { ... fail safe: changed=true, reason=missing-base }
//   else diff range.base->tree (nullopt: the empty tree) .. range.head->tree
//
// The head: --head, else the event's head sha (not HEAD: a checkout of
// refs/pull/N/merge judges the same commits), else HEAD.
// The base, in order: --base (base_source=flag); else --base-from
// deployment (the environment's last successful GitHub deployment, see
// common/github/github_api.h; any failure to learn it is base_missing); else
// the GitHub event ($GITHUB_EVENT_NAME / $GITHUB_EVENT_PATH): push
// before..after (a first push: the merge base with the default branch),
// pull_request(_target) the merge base of base and head (the branch's own
// changes, git's base...head), merge_group base..head; else HEAD's parent.
// A commit the clone lacks (shallow clone, recognised from its shallow list;
// force push) is base_missing; an object that cannot be read throws Error.
#pragma once

#include <git2.h>

#include <cxxopts.hpp>
#include <optional>
#include <string>

#include "common/git/git_repo.h"
#include "common/github/cli.h"

namespace ecsmig {

// The range flags as given on the command line.
struct RangeOptions {
  std::string repo = ".";                  // --repo
  std::optional<std::string> base;         // --base REV
  std::optional<std::string> head;         // --head REV
  std::optional<std::string> base_from;    // --base-from deployment
  std::optional<std::string> environment;  // --environment NAME
};

// Registers --repo, --base, --head, --base-from and --environment.
void AddRangeOptions(cxxopts::Options& options);

// Reads the flags AddRangeOptions registered. Throws UsageError (exit 2) for
// an empty value, --base with --base-from, --base-from other than
// `deployment`, or --base-from deployment without --environment: all before
// any repository or network access.
RangeOptions ParseRangeOptions(const cxxopts::ParseResult& args);

// Why the range is what it is (the `reason` output).
enum class RangeReason {
  kDiff,             // base..head from --base or the event
  kFirstPush,        // a branch's first push: merge base with the default branch
  kRootCommit,       // no event, the head has no parent: the empty tree
  kMissingBase,      // the base cannot be had: see CommitRange::missing_cause
  kNoEvent,          // no event: HEAD^..HEAD
  kDeployment,       // the environment's last successful deployment
  kFirstDeployment,  // the environment was never deployed: the empty tree
};
const char* RangeReasonName(RangeReason reason);

// Where the base came from (the `base_source` output).
enum class BaseSource { kEvent, kFlag, kDeployment };
const char* BaseSourceName(BaseSource source);

// A commit and its root tree, both read from the repository.
struct RangeCommit {
  git_oid commit{};
  git_oid tree{};
};

struct CommitRange {
  // nullopt: diff from the empty tree, or (base_missing) nothing to diff.
  std::optional<RangeCommit> base;
  // nullopt only when base_missing (the event's head is not in the clone).
  std::optional<RangeCommit> head;
  std::string base_sha;  // what to report as `base`: full hex, "" for the empty tree
  std::string head_sha;  // what to report as `head`
  RangeReason reason = RangeReason::kDiff;
  BaseSource base_source = BaseSource::kEvent;
  std::string deployment_id;  // when base_source is kDeployment and one was found
  // The base cannot be had (shallow clone, force push, deployment API
  // failure): the caller must fail safe. reason is kMissingBase.
  bool base_missing = false;
  std::string missing_cause;  // one line: which commit and why
};

// Resolves the range. Throws UsageError (exit 2) for a malformed event
// payload or a --base/--head that names no commit in a complete clone;
// Error (exit 1) for a repository that cannot be read. Everything that makes
// the base unknowable is reported as base_missing instead.
CommitRange ResolveCommitRange(ToolRun& run, const GitRepo& repo, const RangeOptions& opt);

}  // namespace ecsmig
